// SPDX-License-Identifier: LGPL-2.1-or-later
/* The tasks that exist now, from /proc, as synthetic fork events. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "procfs.h"
#include "snapshot.h"

struct relayfork_snapshot {
	unsigned int flags;
	uint64_t time_ns;	/* CLOCK_MONOTONIC before anything was read */
	DIR *procs;
	/* While listing one process's threads. */
	DIR *tasks;
	int pid_dirfd;
	pid_t tgid;
	pid_t ppid;
	struct procfs_clock clock;
};

RELAYFORK_EXPORT int
relayfork_snapshot_new(unsigned int flags, struct relayfork_snapshot **ret)
{
	struct relayfork_snapshot *s;

	return_if_fail(ret, -EINVAL);
	return_if_fail((flags & ~RELAYFORK_SNAPSHOT_THREADS) == 0, -EINVAL);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->time_ns = procfs_now_ns();
	s->procs = opendir("/proc");
	if (!s->procs) {
		int r = -errno;

		free(s);
		return r;
	}
	s->flags = flags;
	s->pid_dirfd = -1;
	procfs_clock_init(&s->clock);
	*ret = s;
	return 0;
}

static void
end_threads(struct relayfork_snapshot *s)
{
	if (s->tasks)
		closedir(s->tasks);
	if (s->pid_dirfd >= 0)
		close(s->pid_dirfd);
	s->tasks = NULL;
	s->pid_dirfd = -1;
}

RELAYFORK_EXPORT struct relayfork_snapshot *
relayfork_snapshot_free(struct relayfork_snapshot *s)
{
	if (!s)
		return NULL;
	end_threads(s);
	closedir(s->procs);
	free(s);
	return NULL;
}

RELAYFORK_EXPORT uint64_t
relayfork_snapshot_get_time(const struct relayfork_snapshot *s)
{
	return_if_fail(s, 0);
	return s->time_ns;
}

RELAYFORK_EXPORT int
relayfork_snapshot_covers(const struct relayfork_snapshot *s,
			  const struct relayfork_event *ev)
{
	return_if_fail(s && ev, -EINVAL);
	return ev->timestamp_ns < s->time_ns;
}

static void
fill(const struct relayfork_snapshot *s, struct relayfork_event *ev, pid_t pid,
     pid_t tgid, pid_t ppid, unsigned long long start_ticks)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = RELAYFORK_EVENT_FORK;
	ev->flags = RELAYFORK_EVENT_F_SYNTHETIC;
	if (pid != tgid)
		ev->flags |= RELAYFORK_EVENT_F_THREAD;
	ev->pid = pid;
	ev->tgid = tgid;
	ev->u.fork.parent_pid = ppid;
	ev->u.fork.parent_tgid = ppid;
	ev->timestamp_ns = procfs_clock_monotonic(&s->clock, start_ticks);
}

/* The next thread of the current process; false when there is none. */
static bool
next_thread(struct relayfork_snapshot *s, struct relayfork_event *ev,
	    struct procfs_stat *st)
{
	struct dirent *de;

	while ((de = readdir(s->tasks))) {
		char name[64];
		pid_t tid = atoi(de->d_name);

		if (tid <= 0 || tid == s->tgid)
			continue;
		snprintf(name, sizeof(name), "task/%d/stat", (int)tid);
		if (procfs_read_stat(s->pid_dirfd, name, st) < 0)
			continue;
		/* A thread's parent is its process's (the kernel's view). */
		fill(s, ev, tid, s->tgid, s->ppid, st->start_ticks);
		return true;
	}
	end_threads(s);
	return false;
}

/* Open the thread list of the process in dirfd (which it takes). */
static void
start_threads(struct relayfork_snapshot *s, int dirfd, pid_t pid, pid_t ppid)
{
	int fd = openat(dirfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	s->tasks = fd >= 0 ? fdopendir(fd) : NULL;
	if (!s->tasks) {
		if (fd >= 0)
			close(fd);
		close(dirfd);
		return;
	}
	s->pid_dirfd = dirfd;
	s->tgid = pid;
	s->ppid = ppid;
}

int
snapshot_next_stat(struct relayfork_snapshot *s, struct relayfork_event *ev,
		   struct procfs_stat *st)
{
	struct dirent *de;

	if (s->tasks && next_thread(s, ev, st))
		return 1;
	/* readdir() sets errno only on error; what else we call may set
	 * it too, so it is cleared before every call. */
	while ((errno = 0, de = readdir(s->procs))) {
		pid_t pid = atoi(de->d_name);
		int dirfd;

		if (pid <= 0)
			continue;
		dirfd = procfs_open_pid(pid);
		if (dirfd < 0)
			continue; /* exited meanwhile */
		/* A zombie has exited, unless its threads live on (its
		 * main thread called pthread_exit()). */
		if (procfs_read_stat(dirfd, "stat", st) < 0 ||
		    ((st->state == 'Z' || st->state == 'X') && st->num_threads <= 1)) {
			close(dirfd);
			continue;
		}
		fill(s, ev, pid, pid, st->ppid, st->start_ticks);
		/* A process alone in its thread group has no thread to list
		 * (one started later is newer than the snapshot). */
		if ((s->flags & RELAYFORK_SNAPSHOT_THREADS) && st->num_threads > 1)
			start_threads(s, dirfd, pid, st->ppid);
		else
			close(dirfd);
		return 1;
	}
	return errno ? -errno : 0;
}

RELAYFORK_EXPORT int
relayfork_snapshot_next(struct relayfork_snapshot *s, struct relayfork_event *ev)
{
	struct procfs_stat st;

	return_if_fail(s, -EINVAL);
	return_if_fail(ev, -EINVAL);
	return snapshot_next_stat(s, ev, &st);
}
