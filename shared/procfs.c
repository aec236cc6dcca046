// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "procfs.h"

#define PROC_USER_INIT_INO 0xEFFFFFFDu

int
procfs_parse_stat(const char *text, struct procfs_stat *ret)
{
	const char *open_paren = strchr(text, '(');
	const char *close_paren = strrchr(text, ')');
	struct procfs_stat st = { 0 };
	size_t len;
	int ppid;

	if (!open_paren || !close_paren || close_paren < open_paren)
		return -EINVAL;
	/* state(3) ppid(4) pgrp session tty_nr tpgid flags(9) minflt
	 * cminflt majflt cmajflt utime stime cutime cstime priority nice
	 * num_threads(20) itrealvalue starttime(22) */
	if (sscanf(close_paren + 1,
		   " %c %d %*d %*d %*d %*d %u %*u %*u %*u %*u %*u %*u "
		   "%*d %*d %*d %*d %ld %*d %llu",
		   &st.state, &ppid, &st.flags, &st.num_threads,
		   &st.start_ticks) != 5)
		return -EINVAL;
	st.ppid = ppid;
	len = (size_t)(close_paren - open_paren - 1);
	if (len >= sizeof(st.comm))
		len = sizeof(st.comm) - 1;
	memcpy(st.comm, open_paren + 1, len);
	*ret = st;
	return 0;
}

void
procfs_parse_status(const char *text, struct procfs_status *ret)
{
	const char *line = text;

	while (line && *line) {
		unsigned int u[4];
		uint64_t caps;
		int tgid;

		if (sscanf(line, "Tgid: %d", &tgid) == 1) {
			ret->tgid = tgid;
			ret->found |= PROCFS_STATUS_TGID;
		} else if (sscanf(line, "Uid: %u %u %u %u", &u[0], &u[1], &u[2],
				  &u[3]) == 4) {
			for (int i = 0; i < 4; i++)
				ret->uid[i] = u[i];
			ret->found |= PROCFS_STATUS_UID;
		} else if (sscanf(line, "CapEff: %" SCNx64, &caps) == 1) {
			ret->cap_eff = caps;
			ret->found |= PROCFS_STATUS_CAPEFF;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
}

ssize_t
procfs_read(int dirfd, const char *name, char *buf, size_t size)
{
	ssize_t n, total = 0;
	int fd;

	if (size == 0)
		return -EINVAL;
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	while ((size_t)total < size - 1 &&
	       (n = read(fd, buf + total, size - 1 - (size_t)total)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* A task that exits while read answers ESRCH. */
			n = errno == ESRCH ? -ESRCH : -errno;
			close(fd);
			return n;
		}
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	return total;
}

int
procfs_read_long(const char *path, long *ret)
{
	char buf[64], *end;
	ssize_t n = procfs_read(AT_FDCWD, path, buf, sizeof(buf));
	long v;

	if (n < 0)
		return (int)n;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	*ret = v;
	return 0;
}

int
procfs_open_pid(pid_t pid)
{
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	return fd;
}

int
procfs_read_stat(int dirfd, const char *name, struct procfs_stat *ret)
{
	/* 52 fields of at most 20 digits, and a 64-byte name at most. */
	char buf[1536];
	ssize_t n = procfs_read(dirfd, name, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	if (n == 0)
		return -ESRCH;
	return procfs_parse_stat(buf, ret);
}

int
procfs_read_status(int dirfd, struct procfs_status *ret)
{
	char buf[4096];
	ssize_t n = procfs_read(dirfd, "status", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	procfs_parse_status(buf, ret);
	return ret->found ? 0 : -ESRCH;
}

bool
procfs_alive(int dirfd)
{
	struct procfs_stat st;

	if (procfs_read_stat(dirfd, "stat", &st) < 0)
		return false;
	return (st.state != 'Z' && st.state != 'X') || st.num_threads > 1;
}

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
procfs_now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

void
procfs_clock_sync(struct procfs_clock *clock)
{
	uint64_t mono = clock_ns(CLOCK_MONOTONIC);
	uint64_t boot = clock_ns(CLOCK_BOOTTIME);

	clock->boot_offset_ns = boot > mono ? boot - mono : 0;
}

void
procfs_clock_init(struct procfs_clock *clock)
{
	long ticks = sysconf(_SC_CLK_TCK);

	clock->ns_per_tick = 1000000000ull / (unsigned long long)(ticks > 0 ? ticks : 100);
	procfs_clock_sync(clock);
}

uint64_t
procfs_clock_monotonic(const struct procfs_clock *clock, unsigned long long ticks)
{
	uint64_t boot_ns = ticks * clock->ns_per_tick;

	return boot_ns > clock->boot_offset_ns ? boot_ns - clock->boot_offset_ns
					       : 0;
}

uint64_t
procfs_clock_resolution(const struct procfs_clock *clock)
{
	return clock->ns_per_tick;
}

int
procfs_read_namespace(int dirfd, const char *kind,
		      struct procfs_namespace *ret)
{
	char name[64];
	struct stat st;

	snprintf(name, sizeof(name), "ns/%s", kind);
	if (fstatat(dirfd, name, &st, 0) < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	ret->dev = st.st_dev;
	ret->ino = st.st_ino;
	return 0;
}

int
procfs_namespace_is_initial(const char *kind)
{
	struct procfs_namespace ns;
	ino_t initial;
	int dirfd, r;

	if (strcmp(kind, "user") == 0)
		initial = PROC_USER_INIT_INO;
	else if (strcmp(kind, "pid") == 0)
		initial = PROCFS_PID_INIT_INO;
	else
		return -EINVAL;
	dirfd = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	r = procfs_read_namespace(dirfd, kind, &ns);
	close(dirfd);
	return r < 0 ? r : ns.ino == initial;
}

int
procfs_has_cn_proc(void)
{
	char line[256];
	FILE *f = fopen("/proc/net/connector", "re");
	int found = 0;

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f))
		found = strncmp(line, "cn_proc", 7) == 0;
	fclose(f);
	return found;
}

int
procfs_parse_nspid(const char *text, pid_t *ret)
{
	const char *p = text;
	bool any = false;
	long last = 0;

	while (p && strncmp(p, "NSpid:", 6) != 0) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return -ENOENT;
	for (p += 6;;) {
		char *end;
		long v;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			break;
		v = strtol(p, &end, 10);
		if (v <= 0 || v > INT32_MAX)
			return -ENOENT;
		last = v;
		any = true;
		p = end;
	}
	if (!any || (*p != '\n' && *p != '\0'))
		return -ENOENT;
	*ret = (pid_t)last;
	return 0;
}

int
procfs_read_nspid(int dirfd, pid_t *ret)
{
	char buf[4096];
	ssize_t n = procfs_read(dirfd, "status", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return procfs_parse_nspid(buf, ret);
}

int
procfs_parse_cgroup2(const char *text, const char **ret_path, size_t *ret_len)
{
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');

		if (strncmp(line, "0::", 3) == 0) {
			*ret_path = line + 3;
			*ret_len = nl ? (size_t)(nl - line - 3) : strlen(line + 3);
			return nl ? 1 : 0;
		}
		line = nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}

int
procfs_read_ns(int dirfd, const char *kind, uint64_t *ret_ino)
{
	char name[32];
	struct stat st;

	snprintf(name, sizeof(name), "ns/%s", kind);
	if (fstatat(dirfd, name, &st, 0) < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	*ret_ino = (uint64_t)st.st_ino;
	return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static int
unescape_field(const char *s, size_t len, char *buf, size_t size)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '\\' && i + 3 < len &&
		    s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
		    s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			c = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 +
				   (s[i + 3] - '0'));
			i += 3;
		}
		if (n + 1 >= size)
			return -ENAMETOOLONG;
		buf[n++] = c;
	}
	buf[n] = '\0';
	return 0;
}

int
procfs_find_mount(const char *fstype, char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	size_t cap = 0, typelen = strlen(fstype);
	char *line = NULL;
	int r = -ENOENT;

	if (!f)
		return -errno;
	/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - TYPE SOURCE
	 * SUPER-OPTIONS */
	while (r == -ENOENT && getline(&line, &cap, f) > 0) {
		const char *p = line, *mp, *sep;
		int field;

		for (field = 0; field < 4 && p; field++) {
			p = strchr(p, ' ');
			if (p)
				p++;
		}
		sep = p ? strstr(p, " - ") : NULL;
		if (!sep || strncmp(sep + 3, fstype, typelen) != 0 ||
		    sep[3 + typelen] != ' ')
			continue;
		mp = p;
		p = strchr(mp, ' ');
		if (p)
			r = unescape_field(mp, (size_t)(p - mp), buf, size);
	}
	free(line);
	fclose(f);
	return r;
}
