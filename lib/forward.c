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
#include "pidmap.h"
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
#define NONE UINT32_MAX

struct target {
	pid_t pid;
	/* -1 where the kernel has no pidfds (before 5.3); then procfd, a
	 * descriptor of /proc/PID, tells the process from a later one with
	 * its pid. */
	int pidfd;
	int procfd;
	uint64_t sent;
	uint64_t dropped;
	/* Registration order (the order of relayforkd's processes file),
	 * or the free list. */
	uint32_t prev, next;
};

/*
 * Targets live in slots found by pid through a hash map and chained in
 * registration order: adding, finding and removing one cost the same
 * with ten targets or ten thousand.
 */
struct relayfork_forwarder {
	unsigned int flags;
	int signo;
	/* Every target's pidfd: readable when its process has exited. */
	int epfd;
	struct target *slots;
	uint32_t nslots, free_slot;
	uint32_t first, last;
	size_t ntargets;
	struct pidmap by_pid;
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
	f->free_slot = f->first = f->last = NONE;
	pidmap_init(&f->by_pid);
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
	uint32_t i;

	if (!f)
		return NULL;
	for (i = f->first; i != NONE; i = f->slots[i].next)
		target_close(f, &f->slots[i]);
	close(f->epfd);
	pidmap_free(&f->by_pid);
	free(f->slots);
	free(f);
	return NULL;
}

RELAYFORK_EXPORT int
relayfork_forwarder_get_fd(struct relayfork_forwarder *f)
{
	return_if_fail(f, -EINVAL);
	return f->epfd;
}

/* The slot of pid's target, or NONE. */
static uint32_t
find_target(struct relayfork_forwarder *f, pid_t pid)
{
	uint32_t *slot = pidmap_get(&f->by_pid, pid);

	return slot ? *slot : NONE;
}

/* A free slot, or NONE when out of memory.  Slots may move: hold
 * indices, not pointers, across a call. */
static uint32_t
slot_get(struct relayfork_forwarder *f)
{
	uint32_t i = f->free_slot;

	if (i != NONE) {
		f->free_slot = f->slots[i].next;
		return i;
	}
	if (f->nslots % 64 == 0) {
		struct target *n = realloc(f->slots,
					   ((size_t)f->nslots + 64) * sizeof(*n));

		if (!n)
			return NONE;
		f->slots = n;
	}
	return f->nslots++;
}

/* Put t, filled in, last in registration order. */
static int
target_link(struct relayfork_forwarder *f, uint32_t i)
{
	struct target *t = &f->slots[i];

	if (pidmap_put(&f->by_pid, t->pid, i) < 0)
		return -ENOMEM;
	t->prev = f->last;
	t->next = NONE;
	if (f->last != NONE)
		f->slots[f->last].next = i;
	else
		f->first = i;
	f->last = i;
	f->ntargets++;
	return 0;
}

static void
drop_target(struct relayfork_forwarder *f, uint32_t i)
{
	struct target *t = &f->slots[i];

	target_close(f, t);
	pidmap_remove(&f->by_pid, t->pid, NULL);
	if (t->prev != NONE)
		f->slots[t->prev].next = t->next;
	else
		f->first = t->next;
	if (t->next != NONE)
		f->slots[t->next].prev = t->prev;
	else
		f->last = t->prev;
	f->ntargets--;
	t->next = f->free_slot;
	f->free_slot = i;
}

static void
prune_target(struct relayfork_forwarder *f, uint32_t i)
{
	drop_target(f, i);
	f->counters[RELAYFORK_FORWARDER_PRUNED]++;
}

RELAYFORK_EXPORT int
relayfork_forwarder_prune(struct relayfork_forwarder *f)
{
	struct epoll_event exited[EXITED_BATCH];
	uint32_t i, next;
	int n = 0, ready, j;

	return_if_fail(f, -EINVAL);
	/* The targets held by pidfds that became readable: one call, however
	 * many targets there are. */
	do {
		ready = epoll_wait(f->epfd, exited, EXITED_BATCH, 0);
		for (j = 0; j < ready; j++) {
			i = find_target(f, (pid_t)exited[j].data.u32);
			if (i != NONE) {
				prune_target(f, i);
				n++;
			}
		}
	} while (ready == EXITED_BATCH);
	/* Targets held by /proc descriptors, one by one. */
	for (i = f->first; i != NONE; i = next) {
		next = f->slots[i].next;
		if (f->slots[i].pidfd < 0 && !procfd_alive(f->slots[i].procfd)) {
			prune_target(f, i);
			n++;
		}
	}
	return n;
}

/* Watch a target's pidfd, and check that we may signal it and that it
 * has not exited (a zombie would pass kill(2)'s test). */
static int
target_check(struct relayfork_forwarder *f, struct target *t)
{
	struct epoll_event watch = { .events = EPOLLIN,
				     .data.u32 = (uint32_t)t->pid };
	int r;

	if (t->pidfd >= 0 &&
	    epoll_ctl(f->epfd, EPOLL_CTL_ADD, t->pidfd, &watch) < 0)
		return -errno;
	/* Signal 0 checks that we may signal it, as kill(2) would. */
	r = target_signal(t, 0, NULL);
	if (r == 0 && t->pidfd >= 0 && pidfd_exited(t->pidfd))
		r = -ESRCH;
	return r;
}

/* Open a target's descriptors for pid. */
static int
target_open(pid_t pid, struct target *t)
{
	int r;

	*t = (struct target){ .pid = pid, .pidfd = -1, .procfd = -1 };
	t->pidfd = pidfd_open(pid);
	if (t->pidfd >= 0)
		return 0;
	if (errno != ENOSYS)
		/* Kernels answer EINVAL or ENOENT for a thread id that is
		 * not its process's main thread. */
		return errno == EINVAL || errno == ENOENT ? -EINVAL : -errno;
	t->procfd = procfs_open_pid(pid);
	if (t->procfd < 0)
		return t->procfd;
	r = procfd_check_leader(t->procfd, pid);
	if (r < 0) {
		close(t->procfd);
		t->procfd = -1;
	}
	return r;
}

/* Register t (its descriptors open, its pid not registered yet). */
static int
target_add(struct relayfork_forwarder *f, struct target *t)
{
	uint32_t i;
	int r = target_check(f, t);

	if (r == 0) {
		i = slot_get(f);
		r = i == NONE ? -ENOMEM : 0;
	}
	if (r == 0) {
		f->slots[i] = *t;
		r = target_link(f, i);
		if (r < 0) {
			f->slots[i].next = f->free_slot;
			f->free_slot = i;
		}
	}
	if (r < 0)
		target_close(f, t);
	return r < 0 ? r : 1;
}

RELAYFORK_EXPORT int
relayfork_forwarder_add(struct relayfork_forwarder *f, pid_t pid)
{
	struct target t;
	int r;

	return_if_fail(f, -EINVAL);
	return_if_fail(pid > 0, -EINVAL);

	/* A registered process that has exited and whose pid came back as
	 * another one: that is a new registration. */
	relayfork_forwarder_prune(f);
	if (find_target(f, pid) != NONE)
		return 0;
	r = target_open(pid, &t);
	if (r < 0)
		return r;
	return target_add(f, &t);
}

/* The process a pidfd refers to, from /proc/self/fdinfo: -ESRCH once it
 * has been reaped (the kernel shows -1). */
static int
pidfd_get_pid(int pidfd, pid_t *ret)
{
	char name[64], buf[1024];
	const char *line;
	int pid;

	snprintf(name, sizeof(name), "/proc/self/fdinfo/%d", pidfd);
	if (procfs_read(AT_FDCWD, name, buf, sizeof(buf)) < 0)
		return -EBADF;
	line = strstr(buf, "\nPid:");
	if (!line || sscanf(line + 5, "%d", &pid) != 1)
		return -EBADF; /* not a pidfd */
	if (pid <= 0)
		return -ESRCH;
	*ret = pid;
	return 0;
}

RELAYFORK_EXPORT int
relayfork_forwarder_add_pidfd(struct relayfork_forwarder *f, int pidfd)
{
	struct target t = { .pidfd = -1, .procfd = -1 };
	int r;

	return_if_fail(f, -EINVAL);
	return_if_fail(pidfd >= 0, -EBADF);

	relayfork_forwarder_prune(f);
	r = pidfd_get_pid(pidfd, &t.pid);
	if (r < 0)
		return r;
	if (find_target(f, t.pid) != NONE)
		return 0;
	t.pidfd = fcntl(pidfd, F_DUPFD_CLOEXEC, 3);
	if (t.pidfd < 0)
		return -errno;
	return target_add(f, &t);
}

RELAYFORK_EXPORT int
relayfork_forwarder_remove(struct relayfork_forwarder *f, pid_t pid)
{
	uint32_t i;

	return_if_fail(f, -EINVAL);
	return_if_fail(pid > 0, -EINVAL);
	i = find_target(f, pid);
	if (i == NONE)
		return -ENOENT;
	drop_target(f, i);
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
	uint32_t i, next;
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

	for (i = f->first; i != NONE; i = next) {
		struct target *t = &f->slots[i];
		int r = target_signal(t, f->signo, &info);

		next = t->next;
		if (r == -ESRCH) {
			prune_target(f, i);
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
	}
	return sent;
}

RELAYFORK_EXPORT int
relayfork_forwarder_get_targets(struct relayfork_forwarder *f, pid_t *pids,
				size_t n)
{
	uint32_t i;
	size_t k = 0;

	return_if_fail(f, -EINVAL);
	return_if_fail(pids || n == 0, -EINVAL);
	relayfork_forwarder_prune(f);
	for (i = f->first; i != NONE && k < n; i = f->slots[i].next)
		pids[k++] = f->slots[i].pid;
	return (int)f->ntargets;
}

RELAYFORK_EXPORT int
relayfork_forwarder_get_target_counters(struct relayfork_forwarder *f,
					pid_t pid, uint64_t *ret_sent,
					uint64_t *ret_dropped)
{
	uint32_t i;

	return_if_fail(f, -EINVAL);
	return_if_fail(ret_sent && ret_dropped, -EINVAL);
	i = find_target(f, pid);
	if (i == NONE)
		return -ENOENT;
	*ret_sent = f->slots[i].sent;
	*ret_dropped = f->slots[i].dropped;
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
