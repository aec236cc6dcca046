// SPDX-License-Identifier: LGPL-2.1-or-later
/* The tasks that exist now, from /proc, as synthetic fork events. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

struct relayfork_snapshot {
	unsigned int flags;
	DIR *procs;
	/* While listing one process's threads. */
	DIR *tasks;
	pid_t tgid;
	pid_t ppid;
	long ticks;
	uint64_t boot_offset_ns; /* CLOCK_BOOTTIME - CLOCK_MONOTONIC */
};

static uint64_t
clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

RELAYFORK_EXPORT int
relayfork_snapshot_new(unsigned int flags, struct relayfork_snapshot **ret)
{
	struct relayfork_snapshot *s;
	uint64_t mono, boot;

	return_if_fail(ret, -EINVAL);
	return_if_fail((flags & ~RELAYFORK_SNAPSHOT_THREADS) == 0, -EINVAL);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->procs = opendir("/proc");
	if (!s->procs) {
		int r = -errno;

		free(s);
		return r;
	}
	s->flags = flags;
	s->ticks = sysconf(_SC_CLK_TCK);
	if (s->ticks <= 0)
		s->ticks = 100;
	mono = clock_ns(CLOCK_MONOTONIC);
	boot = clock_ns(CLOCK_BOOTTIME);
	s->boot_offset_ns = boot > mono ? boot - mono : 0;
	*ret = s;
	return 0;
}

RELAYFORK_EXPORT struct relayfork_snapshot *
relayfork_snapshot_unref(struct relayfork_snapshot *s)
{
	if (!s)
		return NULL;
	if (s->tasks)
		closedir(s->tasks);
	closedir(s->procs);
	free(s);
	return NULL;
}

/* ppid and start time (field 22, clock ticks since boot) of a task. */
static int
read_stat(const char *path, pid_t *ret_ppid, unsigned long long *ret_start)
{
	char buf[1024];
	const char *p;
	ssize_t n;
	int fd, ppid;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* The name in parentheses may hold anything: skip past its end. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1,
			 " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u "
			 "%*d %*d %*d %*d %*d %*d %llu",
			 &ppid, ret_start) != 2)
		return -ESRCH;
	*ret_ppid = ppid;
	return 0;
}

static void
fill(const struct relayfork_snapshot *s, struct relayfork_event *ev, pid_t pid,
     pid_t tgid, pid_t ppid, unsigned long long start)
{
	uint64_t boot_ns = start * (1000000000ull / (unsigned long long)s->ticks);

	memset(ev, 0, sizeof(*ev));
	ev->type = RELAYFORK_EVENT_FORK;
	ev->flags = RELAYFORK_EVENT_F_SYNTHETIC;
	if (pid != tgid)
		ev->flags |= RELAYFORK_EVENT_F_THREAD;
	ev->pid = pid;
	ev->tgid = tgid;
	ev->u.fork.parent_pid = ppid;
	ev->u.fork.parent_tgid = ppid;
	ev->timestamp_ns = boot_ns > s->boot_offset_ns ? boot_ns - s->boot_offset_ns
						       : 0;
}

/* The next thread of the current process; false when there is none. */
static bool
next_thread(struct relayfork_snapshot *s, struct relayfork_event *ev)
{
	struct dirent *de;

	while ((de = readdir(s->tasks))) {
		char path[64];
		unsigned long long start;
		pid_t tid = atoi(de->d_name), ppid;

		if (tid <= 0 || tid == s->tgid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat",
			 (int)s->tgid, (int)tid);
		if (read_stat(path, &ppid, &start) < 0)
			continue;
		/* A thread's parent is its process's (the kernel's view). */
		fill(s, ev, tid, s->tgid, s->ppid, start);
		return true;
	}
	closedir(s->tasks);
	s->tasks = NULL;
	return false;
}

RELAYFORK_EXPORT int
relayfork_snapshot_next(struct relayfork_snapshot *s, struct relayfork_event *ev)
{
	struct dirent *de;

	return_if_fail(s, -EINVAL);
	return_if_fail(ev, -EINVAL);
	if (s->tasks && next_thread(s, ev))
		return 1;
	errno = 0;
	while ((de = readdir(s->procs))) {
		char path[64];
		unsigned long long start;
		pid_t pid = atoi(de->d_name), ppid;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if (read_stat(path, &ppid, &start) < 0)
			continue; /* exited meanwhile */
		fill(s, ev, pid, pid, ppid, start);
		if (s->flags & RELAYFORK_SNAPSHOT_THREADS) {
			snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
			s->tasks = opendir(path);
			s->tgid = pid;
			s->ppid = ppid;
		}
		return 1;
	}
	return errno ? -errno : 0;
}
