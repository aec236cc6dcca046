/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers for the tests that talk to the real kernel: start a monitor or
 * skip the suite with a reason, and collect events until the one a test
 * waits for shows up.  Other processes on the machine make events too,
 * so tests always look for events by the pids they created.
 *
 * Include after <cmocka.h>: some helpers assert.
 */
#pragma once

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <relayfork/relayfork.h>

#define EXIT_SKIP 77
#define WAIT_MS 5000

/* Exit 77 when this machine cannot deliver process events at all. */
static inline void
require_proc_events(void)
{
	struct relayfork_monitor *m = NULL;
	int r;

	r = relayfork_monitor_new(0, &m);
	if (r == 0)
		r = relayfork_monitor_start(m);
	relayfork_monitor_unref(m);
	if (r == -EPROTONOSUPPORT || r == -EOPNOTSUPP || r == -ECONNREFUSED ||
	    r == -EACCES) {
		fprintf(stderr, "skipping: %s\n", relayfork_strerror(r));
		exit(EXIT_SKIP);
	}
	if (r < 0) {
		fprintf(stderr, "cannot subscribe: %s\n", relayfork_strerror(r));
		exit(EXIT_FAILURE);
	}
}

/* A started monitor for mask, with a buffer no test overflows by
 * accident. */
static inline struct relayfork_monitor *
start_monitor(unsigned int flags, uint32_t mask)
{
	struct relayfork_monitor *m = NULL;

	assert_int_equal(relayfork_monitor_new(flags, &m), 0);
	assert_int_equal(relayfork_monitor_set_events(m, mask), 0);
	assert_true(relayfork_monitor_set_receive_buffer_size(m, 4 << 20) > 0);
	assert_int_equal(relayfork_monitor_start(m), 0);
	return m;
}

static inline int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Every event a test has received, in order. */
struct evlog {
	struct relayfork_event *ev;
	size_t n, cap;
};

static inline void
evlog_add(struct evlog *log, const struct relayfork_event *ev)
{
	if (log->n == log->cap) {
		log->cap = log->cap ? 2 * log->cap : 1024;
		log->ev = realloc(log->ev, log->cap * sizeof(*log->ev));
		if (!log->ev)
			abort();
	}
	log->ev[log->n++] = *ev;
}

static inline void
evlog_free(struct evlog *log)
{
	free(log->ev);
	memset(log, 0, sizeof(*log));
}

/* The first logged event of this type about this pid, or NULL. */
static inline const struct relayfork_event *
evlog_find(const struct evlog *log, int type, pid_t pid)
{
	size_t i;

	for (i = 0; i < log->n; i++)
		if ((int)log->ev[i].type == type && log->ev[i].pid == pid)
			return &log->ev[i];
	return NULL;
}

/*
 * The first event of this type about our child `pid`: after the child's
 * fork (pids are reused, and an old task's exit can be reported late),
 * and for an exit, one that names us as parent (or no one: the kernel
 * reports the exit after the parent may have reaped the child).
 */
static inline const struct relayfork_event *
evlog_find_child(const struct evlog *log, int type, pid_t pid)
{
	size_t i, start = 0;
	bool forked = false;

	for (i = 0; i < log->n && !forked; i++)
		if (log->ev[i].type == RELAYFORK_EVENT_FORK &&
		    log->ev[i].pid == pid &&
		    log->ev[i].u.fork.parent_tgid == getpid()) {
			start = i;
			forked = true;
		}
	for (i = start; i < log->n; i++) {
		const struct relayfork_event *ev = &log->ev[i];

		if ((int)ev->type != type || ev->pid != pid)
			continue;
		if (forked && type == RELAYFORK_EVENT_EXIT &&
		    ev->u.exit.parent_tgid != getpid() &&
		    ev->u.exit.parent_tgid != 0)
			continue;
		return ev;
	}
	return NULL;
}

static inline size_t
evlog_count(const struct evlog *log, int type, pid_t pid)
{
	size_t i, n = 0;

	for (i = 0; i < log->n; i++)
		if ((int)log->ev[i].type == type && log->ev[i].pid == pid)
			n++;
	return n;
}

/* Receive everything waiting into the log; returns the last result. */
static inline int
evlog_drain(struct relayfork_monitor *m, struct evlog *log)
{
	struct relayfork_event ev;
	int r;

	while ((r = relayfork_monitor_receive(m, &ev)) > 0)
		evlog_add(log, &ev);
	return r;
}

/*
 * Receive until an event of this type about our child pid is logged
 * (see evlog_find_child()), or timeout_ms passes.  Returns it, or NULL.
 */
static inline const struct relayfork_event *
evlog_wait(struct relayfork_monitor *m, struct evlog *log, int type, pid_t pid,
	   int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	const struct relayfork_event *found;

	for (;;) {
		struct pollfd pfd = { .fd = relayfork_monitor_get_fd(m),
				      .events = POLLIN };
		int64_t left;

		if (evlog_drain(m, log) < 0)
			return NULL;
		found = evlog_find_child(log, type, pid);
		if (found)
			return found;
		left = deadline - now_ms();
		if (left <= 0)
			return NULL;
		poll(&pfd, 1, (int)left);
	}
}

/* Receive for a while, collecting whatever comes. */
static inline void
evlog_collect_for(struct relayfork_monitor *m, struct evlog *log, int ms)
{
	int64_t deadline = now_ms() + ms;
	int64_t left;

	while ((left = deadline - now_ms()) > 0) {
		struct pollfd pfd = { .fd = relayfork_monitor_get_fd(m),
				      .events = POLLIN };

		poll(&pfd, 1, (int)left);
		evlog_drain(m, log);
	}
	evlog_drain(m, log);
}

/* waitpid() without EINTR trouble; returns the status. */
static inline int
wait_child(pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

#include <linux/sched.h>
#include <sys/syscall.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

/*
 * fork(), but the child gets pid `want` (which must be free), root only:
 * clone3() with set_tid, or where clone3 is missing (valgrind knows no
 * clone3) /proc/sys/kernel/ns_last_pid and retries.  Returns like
 * fork(), or -errno.
 */
static inline pid_t
fork_with_pid(pid_t want)
{
	struct clone_args args;
	pid_t tid = want, pid;
	long r;
	int tries;

	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	args.set_tid = (uint64_t)(uintptr_t)&tid;
	args.set_tid_size = 1;
	r = syscall(SYS_clone3, &args, sizeof(args));
	if (r >= 0 || errno != ENOSYS)
		return r < 0 ? -errno : (pid_t)r;

	for (tries = 0; tries < 20; tries++) {
		FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "we");

		if (!f)
			return -errno;
		fprintf(f, "%d", (int)want - 1);
		if (fclose(f) != 0)
			return -errno;
		pid = fork();
		if (pid == 0) {
			if (getpid() != want)
				_exit(0); /* someone else forked first */
			return 0;
		}
		if (pid < 0 || pid == want)
			return pid < 0 ? -errno : pid;
		waitpid(pid, NULL, 0);
	}
	return -EBUSY;
}

/* Wait up to ms for a signal in set; returns it or -1 on timeout. */
static inline int
wait_signal(const sigset_t *set, siginfo_t *si, int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };
	int r;

	do {
		r = sigtimedwait(set, si, &ts);
	} while (r < 0 && errno == EINTR);
	return r;
}

#include <fcntl.h>
#include <sys/prctl.h>

/*
 * In a child just forked: die with the test.  A failed assertion leaves
 * its test before the child is stopped; the child must not outlive the
 * run (nor hold its output pipe open).
 */
static inline void
die_with_parent(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
}

/* fork(), with a child that dies with the test. */
static inline pid_t
fork_tied(void)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0)
		die_with_parent(parent);
	return pid;
}

/*
 * A receiver: blocks the signal, tells the parent it is ready, then
 * reports each forwarded child pid it receives through a pipe, until
 * killed.
 */
static inline pid_t
start_receiver(int signo, int *ret_rfd)
{
	int ready[2], out[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	pid = fork_tied();
	assert_true(pid >= 0);
	if (pid == 0) {
		sigset_t set;
		siginfo_t si;

		sigemptyset(&set);
		sigaddset(&set, signo);
		sigprocmask(SIG_BLOCK, &set, NULL);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;) {
			if (sigwaitinfo(&set, &si) < 0)
				continue;
			if (si.si_code != SI_ASYNCIO)
				continue;
			if (write(out[1], &si.si_value.sival_int, sizeof(int)) < 0)
				_exit(1);
		}
	}
	close(ready[1]);
	close(out[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	*ret_rfd = out[0];
	return pid;
}

/* Did the receiver report `child` within ms? */
static inline bool
receiver_got(int rfd, int child, int ms)
{
	int64_t deadline = now_ms() + ms;
	int v;

	for (;;) {
		struct pollfd pfd = { .fd = rfd, .events = POLLIN };
		int64_t left = deadline - now_ms();

		if (left < 0 || poll(&pfd, 1, (int)left) <= 0)
			return false;
		if (read(rfd, &v, sizeof(v)) != sizeof(v))
			return false;
		if (v == child)
			return true;
	}
}

static inline void
stop_receiver(pid_t pid, int rfd)
{
	kill(pid, SIGKILL);
	wait_child(pid);
	close(rfd);
}


#include <grp.h>
#include <sys/resource.h>

/*
 * A receiver that never reads its queue: it blocks the signal, becomes
 * user `uid` (pending signals are counted per user: a user of its own
 * keeps the count to it) with RLIMIT_SIGPENDING `limit`, and waits.
 * Root only.  Returns its pid once it is ready.
 */
static inline pid_t
start_slow_receiver(int signo, uid_t uid, rlim_t limit)
{
	pid_t parent = getpid(), pid;
	int ready[2];
	char c;

	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit lim = { limit, limit };
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, signo);
		sigprocmask(SIG_BLOCK, &set, NULL);
		if (setrlimit(RLIMIT_SIGPENDING, &lim) < 0 ||
		    setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			_exit(1);
		/* After the uid change, which clears the setting. */
		die_with_parent(parent);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	return pid;
}
