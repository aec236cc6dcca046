// SPDX-License-Identifier: LGPL-2.1-or-later
/* The 2005 contract: a real-time signal to every target on every fork. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "procfs.h"

/* Debian 12's headers predate some of these. */
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

#define COUNTER_MAX (RELAYFORK_FORWARDER_LOST + 1)
#define EXITED_BATCH 64

struct target {
	pid_t pid;
	/* -1 where the kernel has no pidfds (before 5.3); then procfd, a
	 * descriptor of /proc/PID, tells the process from a later one with
	 * its pid. */
	int pidfd;
	int procfd;
	uint64_t sent;
	uint64_t dropped;
};

struct relayfork_forwarder {
	unsigned int flags;
	int signo;
	/* Every target's pidfd: readable when its process has exited. */
	int epfd;
	struct target *targets;
	size_t ntargets, cap;
	uint64_t counters[COUNTER_MAX];
};

static int
pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int
pidfd_send_signal(int pidfd, int sig, siginfo_t *info)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, info, 0);
}

/*
 * Without pidfds, a descriptor of the /proc/PID directory stands in: it
 * stays bound to the process it was opened for, and once that process is
 * gone nothing can be opened through it, even if the pid is reused.
 * Returns true while the process exists and has not exited: a zombie
 * main thread has, unless other threads of its process live on.
 */
static bool
procfd_alive(int procfd)
{
	struct procfs_stat st;

	if (procfs_read_stat(procfd, "stat", &st) < 0)
		return false;
	return (st.state != 'Z' && st.state != 'X') || st.num_threads > 1;
}

/* Without pidfds: is pid a thread-group leader?  -EINVAL if not. */
static int
procfd_check_leader(int procfd, pid_t pid)
{
	struct procfs_status status = { 0 };

	if (procfs_read_status(procfd, &status) < 0 ||
	    !(status.found & PROCFS_STATUS_TGID))
		return -ESRCH;
	return status.tgid == pid ? 0 : -EINVAL;
}

/* A pidfd is readable once its process has exited (all its threads). */
static bool
pidfd_exited(int pidfd)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

/* Send a signal to a target, through its pidfd where it has one. */
static int
target_signal(const struct target *t, int sig, siginfo_t *info)
{
	int r;

	if (t->pidfd >= 0)
		r = pidfd_send_signal(t->pidfd, sig, info);
	else if (!procfd_alive(t->procfd))
		return -ESRCH; /* a window remains until the send below */
	else if (info)
		r = (int)syscall(SYS_rt_sigqueueinfo, t->pid, sig, info);
	else
		r = kill(t->pid, sig);
	return r < 0 ? -errno : 0;
}

RELAYFORK_EXPORT int
relayfork_forwarder_new(unsigned int flags,
			struct relayfork_forwarder **ret_forwarder)
{
	struct relayfork_forwarder *f;

	return_if_fail(ret_forwarder, -EINVAL);
	return_if_fail((flags & ~RELAYFORK_FORWARDER_SKIP_THREADS) == 0,
		       -EINVAL);
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (f->epfd < 0) {
		int r = -errno;

		free(f);
		return r;
	}
	f->flags = flags;
	f->signo = SIGRTMIN;
	*ret_forwarder = f;
	return 0;
}

static void
target_close(struct relayfork_forwarder *f, struct target *t)
{
	/* Out of the epoll set first: closing takes the pidfd out only
	 * when no copy is left, and a fork() of the caller's made one. */
	if (t->pidfd >= 0) {
		(void)epoll_ctl(f->epfd, EPOLL_CTL_DEL, t->pidfd, NULL);
		close(t->pidfd);
	}
	if (t->procfd >= 0)
		close(t->procfd);
}

RELAYFORK_EXPORT struct relayfork_forwarder *
relayfork_forwarder_free(struct relayfork_forwarder *f)
{
	size_t i;

	if (!f)
		return NULL;
	for (i = 0; i < f->ntargets; i++)
		target_close(f, &f->targets[i]);
	close(f->epfd);
	free(f->targets);
	free(f);
	return NULL;
}

RELAYFORK_EXPORT int
relayfork_forwarder_get_fd(struct relayfork_forwarder *f)
{
	return_if_fail(f, -EINVAL);
	return f->epfd;
}

static struct target *
find_target(struct relayfork_forwarder *f, pid_t pid)
{
	size_t i;

	for (i = 0; i < f->ntargets; i++)
		if (f->targets[i].pid == pid)
			return &f->targets[i];
	return NULL;
}

/* Keeps registration order, which is the order of the processes file. */
static void
drop_target(struct relayfork_forwarder *f, struct target *t)
{
	size_t i = (size_t)(t - f->targets);

	target_close(f, t);
	memmove(t, t + 1, (f->ntargets - i - 1) * sizeof(*t));
	f->ntargets--;
}

static void
prune_target(struct relayfork_forwarder *f, struct target *t)
{
	drop_target(f, t);
	f->counters[RELAYFORK_FORWARDER_PRUNED]++;
}

RELAYFORK_EXPORT int
relayfork_forwarder_prune(struct relayfork_forwarder *f)
{
	struct epoll_event exited[EXITED_BATCH];
	size_t i = 0;
	int n = 0, ready, j;

	return_if_fail(f, -EINVAL);
	/* The targets held by pidfds that became readable: one call, however
	 * many targets there are. */
	do {
		ready = epoll_wait(f->epfd, exited, EXITED_BATCH, 0);
		for (j = 0; j < ready; j++) {
			struct target *t = find_target(f, (pid_t)exited[j].data.u32);

			if (t) {
				prune_target(f, t);
				n++;
			}
		}
	} while (ready == EXITED_BATCH);
	/* Targets held by /proc descriptors, one by one. */
	while (i < f->ntargets) {
		struct target *t = &f->targets[i];

		if (t->pidfd < 0 && !procfd_alive(t->procfd)) {
			prune_target(f, t);
			n++;
		} else {
			i++;
		}
	}
	return n;
}

/* Open a target's descriptors and check that we may signal it. */
static int
target_open(struct relayfork_forwarder *f, pid_t pid, struct target *t)
{
	struct epoll_event watch = { .events = EPOLLIN,
				     .data.u32 = (uint32_t)pid };
	int r;

	*t = (struct target){ .pid = pid, .pidfd = -1, .procfd = -1 };
	t->pidfd = pidfd_open(pid);
	if (t->pidfd < 0 && errno != ENOSYS) {
		/* Kernels answer EINVAL or ENOENT for a thread id that is
		 * not its process's main thread. */
		return errno == EINVAL || errno == ENOENT ? -EINVAL : -errno;
	}
	if (t->pidfd >= 0) {
		if (epoll_ctl(f->epfd, EPOLL_CTL_ADD, t->pidfd, &watch) < 0) {
			r = -errno;
			goto fail;
		}
	} else {
		t->procfd = procfs_open_pid(pid);
		if (t->procfd < 0)
			return t->procfd;
		r = procfd_check_leader(t->procfd, pid);
		if (r < 0)
			goto fail;
	}
	/* Signal 0 checks that we may signal it, as kill(2) would; a
	 * process that has exited but is not reaped yet would pass. */
	r = target_signal(t, 0, NULL);
	if (r == 0 && t->pidfd >= 0 && pidfd_exited(t->pidfd))
		r = -ESRCH;
	if (r < 0)
		goto fail;
	return 0;

fail:
	target_close(f, t);
	return r;
}

RELAYFORK_EXPORT int
relayfork_forwarder_add(struct relayfork_forwarder *f, pid_t pid)
{
	struct target t, *old;
	int r;

	return_if_fail(f, -EINVAL);
	return_if_fail(pid > 0, -EINVAL);

	/* A registered process that has exited and whose pid came back as
	 * another one: that is a new registration. */
	relayfork_forwarder_prune(f);
	old = find_target(f, pid);
	if (old)
		return 0;

	if (f->ntargets == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 8;
		struct target *n = realloc(f->targets, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		f->targets = n;
		f->cap = cap;
	}
	r = target_open(f, pid, &t);
	if (r < 0)
		return r;
	f->targets[f->ntargets++] = t;
	return 1;
}

RELAYFORK_EXPORT int
relayfork_forwarder_remove(struct relayfork_forwarder *f, pid_t pid)
{
	struct target *t;

	return_if_fail(f, -EINVAL);
	return_if_fail(pid > 0, -EINVAL);
	t = find_target(f, pid);
	if (!t)
		return -ENOENT;
	drop_target(f, t);
	return 0;
}

RELAYFORK_EXPORT int
relayfork_forwarder_set_signal(struct relayfork_forwarder *f, int signo)
{
	return_if_fail(f, -EINVAL);
	return_if_fail(signo >= SIGRTMIN && signo <= SIGRTMAX, -EINVAL);
	f->signo = signo;
	return 0;
}

RELAYFORK_EXPORT int
relayfork_forwarder_get_signal(struct relayfork_forwarder *f)
{
	return_if_fail(f, -EINVAL);
	return f->signo;
}

RELAYFORK_EXPORT int
relayfork_forwarder_handle(struct relayfork_forwarder *f,
			   const struct relayfork_event *ev)
{
	siginfo_t info;
	size_t i = 0;
	int sent = 0;

	return_if_fail(f, -EINVAL);
	return_if_fail(ev, -EINVAL);

	if (ev->type == RELAYFORK_EVENT_LOST) {
		f->counters[RELAYFORK_FORWARDER_LOST] += ev->u.lost.count;
		return 0;
	}
	if (ev->type != RELAYFORK_EVENT_FORK)
		return 0;
	if ((f->flags & RELAYFORK_FORWARDER_SKIP_THREADS) &&
	    (ev->flags & RELAYFORK_EVENT_F_THREAD))
		return 0;
	f->counters[RELAYFORK_FORWARDER_FORKS]++;

	/* A target that has exited still takes signals while it is a
	 * zombie: find the exited ones first, so that none is counted as
	 * delivered. */
	relayfork_forwarder_prune(f);

	/* A negative si_code lets user space choose si_pid and si_value;
	 * this is the seed's siginfo, field for field. */
	memset(&info, 0, sizeof(info));
	info.si_signo = f->signo;
	info.si_errno = 0;
	info.si_code = SI_ASYNCIO;
	info.si_pid = ev->u.fork.parent_pid;
	info.si_uid = getuid();
	info.si_value.sival_int = ev->pid;

	while (i < f->ntargets) {
		struct target *t = &f->targets[i];
		int r = target_signal(t, f->signo, &info);

		if (r == -ESRCH) {
			prune_target(f, t);
			continue;
		}
		if (r == 0) {
			t->sent++;
			f->counters[RELAYFORK_FORWARDER_SENT]++;
			sent++;
		} else if (r == -EAGAIN) {
			/* The receiver's real-time queue is full. */
			t->dropped++;
			f->counters[RELAYFORK_FORWARDER_DROPPED]++;
		} else {
			f->counters[RELAYFORK_FORWARDER_FAILED]++;
		}
		i++;
	}
	return sent;
}

RELAYFORK_EXPORT int
relayfork_forwarder_get_targets(struct relayfork_forwarder *f, pid_t *pids,
				size_t n)
{
	size_t i;

	return_if_fail(f, -EINVAL);
	return_if_fail(pids || n == 0, -EINVAL);
	relayfork_forwarder_prune(f);
	for (i = 0; i < f->ntargets && i < n; i++)
		pids[i] = f->targets[i].pid;
	return (int)f->ntargets;
}

RELAYFORK_EXPORT int
relayfork_forwarder_get_target_counters(struct relayfork_forwarder *f,
					pid_t pid, uint64_t *ret_sent,
					uint64_t *ret_dropped)
{
	struct target *t;

	return_if_fail(f, -EINVAL);
	return_if_fail(ret_sent && ret_dropped, -EINVAL);
	t = find_target(f, pid);
	if (!t)
		return -ENOENT;
	*ret_sent = t->sent;
	*ret_dropped = t->dropped;
	return 0;
}

RELAYFORK_EXPORT uint64_t
relayfork_forwarder_get_counter(struct relayfork_forwarder *f, int counter)
{
	return_if_fail(f, 0);
	return_if_fail(counter >= 0 && counter < COUNTER_MAX, 0);
	return f->counters[counter];
}

RELAYFORK_EXPORT int
relayfork_siginfo_get_fork(int code, int sender, int value, pid_t *ret_parent,
			   pid_t *ret_child)
{
	return_if_fail(ret_parent && ret_child, -EINVAL);
	return_if_fail(code == SI_ASYNCIO, -EINVAL);
	return_if_fail(sender > 0 && value > 0, -EINVAL);
	*ret_parent = sender;
	*ret_child = value;
	return 0;
}
