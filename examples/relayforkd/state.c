// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procfs.h"
#include "relayforkd.h"
#include "state.h"

#define STATE_VERSION "1"
/* Far more than LimitNOFILE= targets take (about 40 bytes each). */
#define STATE_MAX_SIZE (16 << 20)

int
state_init(struct state *s, const char *path, int default_signo)
{
	*s = (struct state){ .default_signo = default_signo,
			     .signo = default_signo };
	if (path && !(s->path = strdup(path)))
		return -ENOMEM;
	return 0;
}

void
state_free(struct state *s)
{
	free(s->path);
	free(s->targets);
	*s = (struct state){ 0 };
}

static int
append(struct state_target **v, size_t *n, size_t *cap,
       const struct state_target *t)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 16;
		struct state_target *nv = realloc(*v, c * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = *t;
	return 0;
}

/* This boot's id (/proc/sys/kernel/random/boot_id), or "" if unknown. */
static void
read_boot_id(char *buf, size_t size)
{
	ssize_t n = procfs_read(AT_FDCWD, "/proc/sys/kernel/random/boot_id",
				buf, size);

	if (n < 0)
		n = 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* A decimal number of at most max: 0 or -EINVAL. */
static int
parse_number(const char *s, unsigned long long max, unsigned long long *ret)
{
	unsigned long long v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (max - (unsigned)(*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*ret = v;
	return 0;
}

/*
 * The start time of registered target pid.  The /proc directory is
 * opened first, then the target is checked to be still registered (its
 * pidfd has not reported an exit): the process held the pid all along,
 * so the directory is that process's, even if the pid is free again by
 * the time it is read.  0, or a negative errno.
 */
static int
target_start_time(struct relayfork_forwarder *f, pid_t pid,
		  unsigned long long *ret)
{
	struct procfs_stat st;
	uint64_t sent, dropped;
	int dirfd = procfs_open_pid(pid), r;

	if (dirfd < 0)
		return dirfd;
	relayfork_forwarder_prune(f);
	r = relayfork_forwarder_get_target_counters(f, pid, &sent, &dropped);
	if (r == 0)
		r = procfs_read_stat(dirfd, "stat", &st);
	else
		r = -ESRCH;
	if (r == 0)
		*ret = st.start_ticks;
	close(dirfd);
	return r;
}

/* Register pid if it is still the process that started at start. */
static int
restore_target(struct relayfork_forwarder *f, pid_t pid,
	       unsigned long long start)
{
	unsigned long long now;
	int r = relayfork_forwarder_add(f, pid);

	if (r == 0)
		return -EEXIST;
	if (r < 0)
		return r;
	r = target_start_time(f, pid, &now);
	if (r == 0 && now != start)
		r = -ESTALE;
	if (r < 0)
		(void)relayfork_forwarder_remove(f, pid);
	return r;
}

static const char *
drop_reason(int r)
{
	switch (r) {
	case -ESRCH:
		return "it has exited";
	case -ESTALE:
	case -EINVAL: /* a thread of another process now */
		return "its pid now names another process";
	case -EEXIST:
		return "listed twice";
	default:
		return strerror(-r);
	}
}

/* What a state file holds. */
struct loaded {
	int signo;
	struct state_target *targets;
	size_t n, cap;
};

/* Parse one line (changed in place).  0, -EINVAL for a malformed line,
 * -EPROTO for a file of another format, -ESTALE for another boot's. */
static int
parse_line(char *line, bool *header, struct loaded *l)
{
	static const char *const ws = " \t\n";
	char *save = NULL, *key, *a, *b, *c;
	unsigned long long pid, start, uid, signo;
	char boot[64];

	key = strtok_r(line, ws, &save);
	if (!key || key[0] == '#')
		return 0;
	a = strtok_r(NULL, ws, &save);
	if (!*header) {
		*header = true;
		return strcmp(key, "relayforkd-state") == 0 && a &&
			       strcmp(a, STATE_VERSION) == 0
			       ? 0
			       : -EPROTO;
	}
	if (strcmp(key, "boot-id") == 0) {
		read_boot_id(boot, sizeof(boot));
		return a && boot[0] && strcmp(a, boot) != 0 ? -ESTALE : 0;
	}
	if (strcmp(key, "signal") == 0) {
		if (parse_number(a, INT_MAX, &signo) < 0)
			return -EINVAL;
		l->signo = (int)signo;
		return 0;
	}
	if (strcmp(key, "target") == 0) {
		struct state_target t;

		b = strtok_r(NULL, ws, &save);
		c = strtok_r(NULL, ws, &save);
		if (parse_number(a, INT_MAX, &pid) < 0 || pid == 0 ||
		    parse_number(b, ULLONG_MAX, &start) < 0 ||
		    parse_number(c, UINT_MAX - 1, &uid) < 0)
			return -EINVAL;
		t = (struct state_target){ .pid = (pid_t)pid, .start = start,
					   .uid = (uid_t)uid };
		return append(&l->targets, &l->n, &l->cap, &t);
	}
	/* A keyword of a later version. */
	return 0;
}

/* Read the file if it can be trusted.  0 (nothing there is 0 too), or a
 * negative errno, logged. */
static int
load(const char *path, struct loaded *l)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned int lineno = 0;
	bool header = false;
	struct stat st;
	int fd, r = 0;
	FILE *f;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK |
				O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT)
			return 0;
		if (r == -ELOOP)
			log_msg("ignoring %s: a symbolic link", path);
		else
			log_msg("cannot read %s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		log_msg("cannot read %s: %s", path, strerror(-r));
	} else if (!S_ISREG(st.st_mode)) {
		r = -EPERM;
		log_msg("ignoring %s: not a regular file", path);
	} else if (st.st_uid != 0) {
		r = -EPERM;
		log_msg("ignoring %s: owned by uid %u, not by root", path,
			(unsigned)st.st_uid);
	} else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		r = -EPERM;
		log_msg("ignoring %s: others than root may write it", path);
	} else if (st.st_size > STATE_MAX_SIZE) {
		r = -EFBIG;
		log_msg("ignoring %s: larger than a state file can be", path);
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	f = fdopen(fd, "r");
	if (!f) {
		r = -errno;
		close(fd);
		return r;
	}
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		r = parse_line(line, &header, l);
		if (r == -EPROTO) {
			log_msg("ignoring %s: not a relayforkd state file of "
				"version %s", path, STATE_VERSION);
			break;
		}
		if (r == -ESTALE) {
			log_msg("ignoring %s: written before the machine last "
				"booted", path);
			break;
		}
		if (r == -ENOMEM)
			break;
		if (r < 0)
			log_msg("%s:%u: ignoring a malformed line", path, lineno);
		r = 0;
	}
	if (r == 0 && ferror(f))
		r = -EIO;
	free(line);
	fclose(f);
	return r;
}

void
state_restore(struct state *s, struct relayforkd *d)
{
	struct loaded l = { 0 };
	size_t i, cap = 0;
	int r;

	if (!s->path)
		return;
	/* Whatever the file says, the next sync makes it say what this
	 * daemon knows. */
	s->unsaved = true;
	if (load(s->path, &l) < 0 || (l.n == 0 && l.signo == 0))
		goto out;
	if (l.signo && l.signo != s->default_signo) {
		r = relayfork_forwarder_set_signal(d->forwarder, l.signo);
		if (r < 0)
			log_msg("%s: ignoring signal %d", s->path, l.signo);
		else
			log_msg("signal %d restored from %s", l.signo, s->path);
	}
	s->signo = relayfork_forwarder_get_signal(d->forwarder);
	for (i = 0; i < l.n; i++) {
		r = restore_target(d->forwarder, l.targets[i].pid,
				   l.targets[i].start);
		if (r == 0)
			r = append(&s->targets, &s->n, &cap, &l.targets[i]);
		if (r < 0)
			log_msg("not restoring pid %d: %s",
				(int)l.targets[i].pid, drop_reason(r));
	}
	log_msg("restored %zu of %zu registrations from %s", s->n, l.n,
		s->path);
out:
	free(l.targets);
}

/* Write the state to a new file and rename it over the old one. */
static int
write_file(const struct state *s)
{
	char tmp[PATH_MAX], boot[64];
	size_t i;
	FILE *f;
	int fd, r = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", s->path) >=
	    sizeof(tmp))
		return -ENAMETOOLONG;
	/* Mode 0600, owned by the daemon: root. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		unlink(tmp);
		return r;
	}
	read_boot_id(boot, sizeof(boot));
	fprintf(f,
		"# relayforkd(8) state: the registered processes, restored at "
		"the next start\n"
		"# if they still run (start time: field 22 of /proc/PID/stat)\n"
		"relayforkd-state %s\n", STATE_VERSION);
	if (boot[0])
		fprintf(f, "boot-id %s\n", boot);
	fprintf(f, "signal %d\n# target PID START-TIME UID\n", s->signo);
	for (i = 0; i < s->n; i++)
		fprintf(f, "target %d %llu %u\n", (int)s->targets[i].pid,
			s->targets[i].start, (unsigned)s->targets[i].uid);
	if (fflush(f) != 0 || fsync(fd) < 0)
		r = -errno;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, s->path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

static int
compare_pid(const void *a, const void *b)
{
	pid_t x = ((const struct state_target *)a)->pid;
	pid_t y = ((const struct state_target *)b)->pid;

	return (x > y) - (x < y);
}

static bool
unchanged(const struct state *s, int signo, const pid_t *pids, size_t n)
{
	size_t i;

	if (s->unsaved || signo != s->signo || n != s->n)
		return false;
	for (i = 0; i < n; i++)
		if (pids[i] != s->targets[i].pid)
			return false;
	return true;
}

/*
 * The entries for pids: those the file lists already kept (with their
 * start time and registrant), new ones read from /proc.  Targets whose
 * start time cannot be read (they have just exited) are left out.
 */
static int
build(struct state *s, struct relayforkd *d, const pid_t *pids, size_t n,
      uid_t registrant, struct state_target **ret, size_t *ret_n)
{
	struct state_target *old = NULL, *v = NULL, key, *found, t;
	size_t i, len = 0, cap = 0;
	int r = 0;

	if (s->n) {
		old = malloc(s->n * sizeof(*old));
		if (!old)
			return -ENOMEM;
		memcpy(old, s->targets, s->n * sizeof(*old));
		qsort(old, s->n, sizeof(*old), compare_pid);
	}
	for (i = 0; i < n && r == 0; i++) {
		key.pid = pids[i];
		found = old ? bsearch(&key, old, s->n, sizeof(*old),
				      compare_pid)
			    : NULL;
		if (found) {
			t = *found;
		} else {
			t = (struct state_target){ .pid = pids[i],
						   .uid = registrant };
			if (target_start_time(d->forwarder, pids[i],
					      &t.start) < 0)
				continue;
		}
		r = append(&v, &len, &cap, &t);
	}
	free(old);
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = len;
	return 0;
}

void
state_sync(struct state *s, struct relayforkd *d, uid_t registrant)
{
	struct state_target *v = NULL;
	pid_t *pids;
	size_t len = 0;
	int n, signo, r;

	if (!s->path)
		return;
	n = relayfork_forwarder_get_targets(d->forwarder, NULL, 0);
	if (n < 0)
		return;
	pids = calloc((size_t)n + 1, sizeof(*pids));
	if (!pids)
		return;
	/* Pruning between the two calls only shortens the list. */
	n = relayfork_forwarder_get_targets(d->forwarder, pids, (size_t)n);
	signo = relayfork_forwarder_get_signal(d->forwarder);
	if (unchanged(s, signo, pids, (size_t)n)) {
		free(pids);
		return;
	}
	r = build(s, d, pids, (size_t)n, registrant, &v, &len);
	free(pids);
	if (r < 0)
		return; /* out of memory: try again on the next round */
	free(s->targets);
	s->targets = v;
	s->n = len;
	s->signo = signo;
	/* Nothing to remember: no file. */
	if (s->n == 0 && s->signo == s->default_signo)
		r = unlink(s->path) < 0 && errno != ENOENT ? -errno : 0;
	else
		r = write_file(s);
	s->unsaved = r < 0 || len != (size_t)n;
	if (r < 0 && !s->failing)
		log_msg("cannot update %s: %s (registrations will not survive "
			"a restart)", s->path, strerror(-r));
	else if (r == 0 && s->failing)
		log_msg("%s is up to date again", s->path);
	s->failing = r < 0;
}
