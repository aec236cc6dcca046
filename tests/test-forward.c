// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The forwarder with real signals: real receiver processes, the exact
 * siginfo of the 2005 contract, pid reuse, full queues.  Events are fed
 * both from a live monitor and as made-up fork events (the forwarder
 * consumes events, whatever their source).
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <cmocka.h>

#include "helpers.h"

/* Debian 12's headers predate it. */
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static struct relayfork_event
fork_event(pid_t parent, pid_t child)
{
	struct relayfork_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = RELAYFORK_EVENT_FORK;
	ev.pid = ev.tgid = child;
	ev.u.fork.parent_pid = ev.u.fork.parent_tgid = parent;
	return ev;
}

static void
block_signal(int signo, sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, signo);
	assert_int_equal(sigprocmask(SIG_BLOCK, set, NULL), 0);
}

/* Throw away queued instances of the signals in set. */
static void
flush_signals(const sigset_t *set)
{
	siginfo_t si;

	while (wait_signal(set, &si, 0) > 0)
		;
}

/* A child that exits when told, or once the test is gone (end of file);
 * the caller reaps it. */
static pid_t
start_child(int *ret_wfd)
{
	int go[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(go[0]);
	*ret_wfd = go[1];
	return pid;
}

/* Make the child exit and wait until it is a zombie, not reaping it. */
static void
child_exit_unreaped(pid_t pid, int wfd)
{
	siginfo_t si;
	int r;

	assert_int_equal(write(wfd, "x", 1), 1);
	close(wfd);
	do {
		r = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT);
	} while (r < 0 && errno == EINTR);
	assert_int_equal(r, 0);
	assert_int_equal(si.si_pid, pid);
}

/* Is fd readable within ms? */
static bool
readable(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int r;

	do {
		r = poll(&pfd, 1, ms);
	} while (r < 0 && errno == EINTR);
	assert_true(r >= 0);
	return r == 1 && (pfd.revents & POLLIN);
}

static void
test_signal_range(void **state)
{
	struct relayfork_forwarder *f = NULL;

	assert_int_equal(relayfork_forwarder_new(0, &f), 0);
	assert_int_equal(relayfork_forwarder_get_signal(f), SIGRTMIN);
	assert_int_equal(relayfork_forwarder_set_signal(f, SIGRTMAX), 0);
	assert_int_equal(relayfork_forwarder_get_signal(f), SIGRTMAX);
	/* The seed's 33 is glibc's own and cannot be received. */
	assert_int_equal(relayfork_forwarder_set_signal(f, SIGRTMIN - 1), -EINVAL);
	assert_int_equal(relayfork_forwarder_set_signal(f, 33), -EINVAL);
	assert_int_equal(relayfork_forwarder_set_signal(f, SIGRTMAX + 1), -EINVAL);
	assert_int_equal(relayfork_forwarder_set_signal(f, 0), -EINVAL);
	assert_int_equal(relayfork_forwarder_set_signal(f, -1), -EINVAL);
	assert_int_equal(relayfork_forwarder_set_signal(f, SIGKILL), -EINVAL);
	assert_int_equal(relayfork_forwarder_get_signal(f), SIGRTMAX);
	assert_int_equal(relayfork_forwarder_new(1u << 5, &f), -EINVAL);
	assert_int_equal(relayfork_forwarder_new(0, NULL), -EINVAL);
	relayfork_forwarder_free(f);
}

static void *
idle_thread(void *arg)
{
	pause();
	return NULL;
}

static pid_t
own_thread_id(pthread_t *t)
{
	pid_t tid = 0;
	char path[64];
	DIR *dir;
	struct dirent *de;
	sigset_t all, old;

	/* The thread takes no signal, whatever later tests send us. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	assert_int_equal(pthread_create(t, NULL, idle_thread, NULL), 0);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* Find the thread in /proc/self/task: the id that is not ours. */
	for (int tries = 0; tries < 100 && tid == 0; tries++) {
		snprintf(path, sizeof(path), "/proc/%d/task", getpid());
		dir = opendir(path);
		assert_non_null(dir);
		while ((de = readdir(dir)))
			if (atoi(de->d_name) > 0 && atoi(de->d_name) != getpid())
				tid = atoi(de->d_name);
		closedir(dir);
	}
	return tid;
}

static void
test_add_remove(void **state)
{
	struct relayfork_forwarder *f = NULL;
	pid_t pids[4], free_pid, thread;
	pthread_t t;

	assert_int_equal(relayfork_forwarder_new(0, &f), 0);
	assert_int_equal(relayfork_forwarder_add(f, 0), -EINVAL);
	assert_int_equal(relayfork_forwarder_add(f, -5), -EINVAL);
	/* Beyond the largest pid the kernel can hand out (4194304). */
	free_pid = 0x3fffffff;
	assert_int_equal(relayfork_forwarder_add(f, free_pid), -ESRCH);

	assert_int_equal(relayfork_forwarder_add(f, getpid()), 1);
	assert_int_equal(relayfork_forwarder_add(f, getpid()), 0); /* already */
	assert_int_equal(relayfork_forwarder_add(f, getppid()), 1);
	assert_int_equal(relayfork_forwarder_get_targets(f, pids, 4), 2);
	assert_int_equal(pids[0], getpid());
	assert_int_equal(pids[1], getppid());
	assert_int_equal(relayfork_forwarder_get_targets(f, NULL, 0), 2);

	/* A thread other than the main one is not a process. */
	thread = own_thread_id(&t);
	assert_true(thread > 0);
	assert_int_equal(relayfork_forwarder_add(f, thread), -EINVAL);
	pthread_cancel(t);
	pthread_join(t, NULL);

	assert_int_equal(relayfork_forwarder_remove(f, getpid()), 0);
	assert_int_equal(relayfork_forwarder_remove(f, getpid()), -ENOENT);
	assert_int_equal(relayfork_forwarder_remove(f, 0), -EINVAL);
	assert_int_equal(relayfork_forwarder_get_targets(f, pids, 4), 1);
	assert_int_equal(pids[0], getppid());
	/* Unregistered, then registered again: a registration. */
	assert_int_equal(relayfork_forwarder_add(f, getpid()), 1);
	assert_int_equal(relayfork_forwarder_add(f, getpid()), 0);
	assert_int_equal(relayfork_forwarder_get_targets(f, pids, 4), 2);
	assert_int_equal(pids[1], getpid());
	relayfork_forwarder_free(f);
}

static void
test_exact_siginfo(void **state)
{
	struct relayfork_forwarder *f = NULL;
	struct relayfork_event ev = fork_event(12345, 23456);
	pid_t parent, child;
	sigset_t set;
	siginfo_t si;

	block_signal(SIGRTMIN, &set);
	flush_signals(&set);
	assert_int_equal(relayfork_forwarder_new(0, &f), 0);
	assert_int_equal(relayfork_forwarder_add(f, getpid()), 1);
	assert_int_equal(relayfork_forwarder_handle(f, &ev), 1);

	assert_int_equal(wait_signal(&set, &si, WAIT_MS), SIGRTMIN);
	assert_int_equal(si.si_signo, SIGRTMIN);
	assert_int_equal(si.si_errno, 0);
	assert_int_equal(si.si_code, SI_ASYNCIO);
	assert_int_equal(si.si_pid, 12345);
	assert_int_equal(si.si_value.sival_int, 23456);
	assert_int_equal(relayfork_siginfo_get_fork(si.si_code, si.si_pid,
						    si.si_value.sival_int,
						    &parent, &child), 0);
	assert_int_equal(parent, 12345);
	assert_int_equal(child, 23456);

	assert_int_equal(relayfork_forwarder_get_counter(f, RELAYFORK_FORWARDER_FORKS), 1);
	assert_int_equal(relayfork_forwarder_get_counter(f, RELAYFORK_FORWARDER_SENT), 1);
	relayfork_forwarder_free(f);
}

static void
test_siginfo_decoder_rejects(void **state)
{
	pid_t p, c;

	assert_int_equal(relayfork_siginfo_get_fork(SI_QUEUE, 1, 2, &p, &c), -EINVAL);
	assert_int_equal(relayfork_siginfo_get_fork(SI_USER, 1, 2, &p, &c), -EINVAL);
	assert_int_equal(relayfork_siginfo_get_fork(SI_ASYNCIO, 0, 2, &p, &c), -EINVAL);
	assert_int_equal(relayfork_siginfo_get_fork(SI_ASYNCIO, 1, -2, &p, &c), -EINVAL);
	assert_int_equal(relayfork_siginfo_get_fork(SI_ASYNCIO, 1, 2, NULL, &c), -EINVAL);
}

/* From a live monitor: a real fork reaches us with our pid as si_pid. */
static void
test_real_fork(void **state)
{
	struct relayfork_forwarder *f = NULL;
	struct relayfork_monitor *m = NULL;
	struct relayfork_event ev;
	int64_t deadline = now_ms() + WAIT_MS;
	bool got = false;
	sigset_t set;
	siginfo_t si;
	pid_t child;

	block_signal(SIGRTMIN, &set);
	flush_signals(&set);
	assert_int_equal(relayfork_monitor_new(0, &m), 0);
	assert_int_equal(relayfork_monitor_set_events(m, RELAYFORK_EVENTS_FORK), 0);
	assert_int_equal(relayfork_monitor_start(m), 0);
	assert_int_equal(relayfork_forwarder_new(0, &f), 0);
	assert_int_equal(relayfork_forwarder_add(f, getpid()), 1);

	child = fork();
	if (child == 0)
		_exit(0);
	wait_child(child);
	/* Other processes fork too; look for ours. */
	while (!got && now_ms() < deadline) {
		struct pollfd pfd = { .fd = relayfork_monitor_get_fd(m),
				      .events = POLLIN };

		poll(&pfd, 1, 100);
		while (relayfork_monitor_receive(m, &ev) > 0)
			relayfork_forwarder_handle(f, &ev);
		while (!got && wait_signal(&set, &si, 0) > 0)
			got = si.si_value.sival_int == child;
	}
	assert_true(got);
	assert_int_equal(si.si_code, SI_ASYNCIO);
	assert_int_equal(si.si_pid, getpid());
	relayfork_forwarder_free(f);
	relayfork_monitor_unref(m);
	flush_signals(&set);
}

static void
test_two_receivers_and_remove(void **state)
{
	struct relayfork_forwarder *f = NULL;
	struct relayfork_event ev1 = fork_event(1, 40001);
	struct relayfork_event ev2 = fork_event(1, 40002);
	int ra, rb, rc;
	pid_t a = start_receiver(SIGRTMIN, &ra);
	pid_t b = start_receiver(SIGRTMIN, &rb);
	pid_t c = start_receiver(SIGRTMIN, &rc);

	assert_int_equal(relayfork_forwarder_new(0, &f), 0);
	assert_int_equal(relayfork_forwarder_add(f, a), 1);
	assert_int_equal(relayfork_forwarder_add(f, b), 1);
	assert_int_equal(relayfork_forwarder_handle(f, &ev1), 2);
	assert_true(receiver_got(ra, 40001, WAIT_MS));
	assert_true(receiver_got(rb, 40001, WAIT_MS));
	assert_false(receiver_got(rc, 40001, 200)); /* never registered */

	assert_int_equal(relayfork_forwarder_remove(f, a), 0);
	assert_int_equal(relayfork_forwarder_handle(f, &ev2), 1);
	assert_true(receiver_got(rb, 40002, WAIT_MS));
	assert_false(receiver_got(ra, 40002, 200));

	stop_receiver(a, ra);
	stop_receiver(b, rb);
	stop_receiver(c, rc);
	relayfork_forwarder_free(f);
}

static void
test_exited_target_pruned_and_pid_reuse(void **state)
{
	struct relayfork_forwarder *f = NULL;
	struct relayfork_event ev = fork_event(1, 50001);
	pid_t old, reuse, pids[2];
	int status;

	if (geteuid() != 0)
		skip(); /* clone3 with set_tid needs root */
	assert_int_equal(relayfork_forwarder_new(0, &f), 0);
	old = fork_tied();
	if (old == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(relayfork_forwarder_add(f, old), 1);
	kill(old, SIGKILL);
	wait_child(old);

	/* The same pid, now another process that does not block the
	 * signal: a wrong delivery would kill it. */
	reuse = fork_with_pid(old);
	if (reuse == -EEXIST || reuse == -EBUSY)
		skip(); /* someone else took the pid first */
	assert_true(reuse >= 0);
	if (reuse == 0) {
		usleep(300 * 1000);
		_exit(7);
	}
	assert_int_equal(reuse, old);
	assert_int_equal(relayfork_forwarder_handle(f, &ev), 0);
	status = wait_child(reuse);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
	assert_int_equal(relayfork_forwarder_get_targets(f, pids, 2), 0);
	assert_int_equal(relayfork_forwarder_get_counter(f, RELAYFORK_FORWARDER_PRUNED), 1);
	assert_int_equal(relayfork_forwarder_get_counter(f, RELAYFORK_FORWARDER_SENT), 0);
	relayfork_forwarder_free(f);
}

static void
test_listing_prunes_exited(void **state)
{
	struct relayfork_forwarder *f = NULL;
	pid_t child, pids[2];

	assert_int_equal(relayfork_forwarder_new(0, &f), 0);
	child = fork_tied();
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(relayfork_forwarder_add(f, child), 1);
	assert_int_equal(relayfork_forwarder_get_targets(f, pids, 2), 1);
	kill(child, SIGKILL);
	/* Even as a zombie, before it is reaped, it is gone. */
	{
		siginfo_t si;

		while (waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT) < 0 &&
		       errno == EINTR)
			;
	}
	assert_int_equal(relayfork_forwarder_get_targets(f, pids, 2), 0);
	wait_child(child);
	assert_int_equal(relayfork_forwarder_get_counter(f, RELAYFORK_FORWARDER_PRUNED), 1);
	relayfork_forwarder_free(f);
}

/*
 * A zombie still accepts signals (kill(2) and pidfd_send_signal(2)
 * succeed until it is reaped), but nobody will ever take them: handle
 * must drop it before sending, not count it as a delivery.
 */
static void
test_zombie_target_not_counted(void **state)
{
	struct relayfork_forwarder *f = NULL;
	struct relayfork_event ev = fork_event(1, 80001);
	uint64_t sent, dropped;
	pid_t live, zombie, pids[4];
	int rx, wfd;

	live = start_receiver(SIGRTMIN, &rx);
	zombie = start_child(&wfd);
	assert_int_equal(relayfork_forwarder_new(0, &f), 0);
	/* The zombie first: it is not merely skipped at the end. */
	assert_int_equal(relayfork_forwarder_add(f, zombie), 1);
	assert_int_equal(relayfork_forwarder_add(f, live), 1);
	child_exit_unreaped(zombie, wfd);

	assert_int_equal(relayfork_forwarder_handle(f, &ev), 1);
	assert_int_equal(relayfork_forwarder_get_counter(f, RELAYFORK_FORWARDER_FORKS), 1);
	assert_int_equal(relayfork_forwarder_get_counter(f, RELAYFORK_FORWARDER_SENT), 1);
	assert_int_equal(relayfork_forwarder_get_counter(f, RELAYFORK_FORWARDER_PRUNED), 1);
	assert_int_equal(relayfork_forwarder_get_counter(f, RELAYFORK_FORWARDER_FAILED), 0);
	assert_int_equal(relayfork_forwarder_get_target_counters(f, zombie, &sent,
								 &dropped), -ENOENT);
	assert_int_equal(relayfork_forwarder_get_target_counters(f, live, &sent,
								 &dropped), 0);
	assert_int_equal(sent, 1);
	assert_int_equal(relayfork_forwarder_get_targets(f, pids, 4), 1);
	assert_int_equal(pids[0], live);
	assert_true(receiver_got(rx, 80001, WAIT_MS));

	/* Only the live target is left to signal. */
	ev = fork_event(1, 80002);
	assert_int_equal(relayfork_forwarder_handle(f, &ev), 1);
	assert_int_equal(relayfork_forwarder_get_counter(f, RELAYFORK_FORWARDER_SENT), 2);
	assert_int_equal(relayfork_forwarder_get_counter(f, RELAYFORK_FORWARDER_PRUNED), 1);
	assert_true(receiver_got(rx, 80002, WAIT_MS));

	wait_child(zombie);
	stop_receiver(live, rx);
	relayfork_forwarder_free(f);
}

static void
test_add_zombie_refused(void **state)
{
	struct relayfork_forwarder *f = NULL;
	pid_t registered, stranger, pids[2];
	int wr, ws;

	registered = start_child(&wr);
	stranger = start_child(&ws);
	assert_int_equal(relayfork_forwarder_new(0, &f), 0);
	assert_int_equal(relayfork_forwarder_add(f, registered), 1);
	assert_int_equal(relayfork_forwarder_add(f, registered), 0);

	/* Never registered: signal 0 would pass, the pidfd says it exited. */
	child_exit_unreaped(stranger, ws);
	assert_int_equal(relayfork_forwarder_add(f, stranger), -ESRCH);

	/* Registered, then exited: gone, not "registered already". */
	child_exit_unreaped(registered, wr);
	assert_int_equal(relayfork_forwarder_add(f, registered), -ESRCH);
	assert_int_equal(relayfork_forwarder_get_targets(f, pids, 2), 0);
	assert_int_equal(relayfork_forwarder_get_counter(f, RELAYFORK_FORWARDER_PRUNED), 1);

	wait_child(stranger);
	wait_child(registered);
	relayfork_forwarder_free(f);
}

static void
test_fd_readable_on_exit(void **state)
{
	struct relayfork_forwarder *f = NULL;
	pid_t a, b, pids[2];
	int fd, wa, wb;

	/* Targets held without pidfds never make the fd readable (as
	 * documented); valgrind knows no pidfd_open. */
	fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (fd < 0 && errno == ENOSYS)
		skip();
	assert_true(fd >= 0);
	close(fd);

	assert_int_equal(relayfork_forwarder_new(0, &f), 0);
	fd = relayfork_forwarder_get_fd(f);
	assert_true(fd >= 0);
	assert_int_equal(relayfork_forwarder_get_fd(NULL), -EINVAL);
	/* Receivers are forked from the program that holds the forwarder:
	 * they must not inherit it. */
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_false(readable(fd, 0));

	a = start_child(&wa);
	b = start_child(&wb);
	assert_int_equal(relayfork_forwarder_add(f, a), 1);
	assert_int_equal(relayfork_forwarder_add(f, b), 1);
	assert_false(readable(fd, 100));

	/* An exit makes it readable before the parent reaps the child. */
	assert_int_equal(write(wa, "x", 1), 1);
	close(wa);
	assert_true(readable(fd, WAIT_MS));
	assert_int_equal(relayfork_forwarder_prune(f), 1);
	assert_false(readable(fd, 0));
	assert_int_equal(relayfork_forwarder_prune(f), 0);
	assert_int_equal(relayfork_forwarder_get_targets(f, pids, 2), 1);
	assert_int_equal(pids[0], b);

	/* And after it was reaped. */
	assert_int_equal(write(wb, "x", 1), 1);
	close(wb);
	wait_child(b);
	assert_true(readable(fd, WAIT_MS));
	assert_int_equal(relayfork_forwarder_prune(f), 1);
	assert_false(readable(fd, 0));
	assert_int_equal(relayfork_forwarder_get_targets(f, pids, 2), 0);
	assert_int_equal(relayfork_forwarder_get_counter(f, RELAYFORK_FORWARDER_PRUNED), 2);

	/* a was a zombie all along: nothing but its exit was seen. */
	assert_int_equal(waitpid(a, NULL, WNOHANG), a);
	relayfork_forwarder_free(f);
}

/* A program that forks (without exec) after registering holds copies of
 * the targets' pidfds in its children: removing a target must still
 * take it out of the exit descriptor's set. */
static void
test_fd_forgets_removed_targets(void **state)
{
	struct relayfork_forwarder *f = NULL;
	pid_t a, holder;
	int fd, wa, wh;

	fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (fd < 0 && errno == ENOSYS)
		skip();
	close(fd);
	assert_int_equal(relayfork_forwarder_new(0, &f), 0);
	fd = relayfork_forwarder_get_fd(f);
	a = start_child(&wa);
	assert_int_equal(relayfork_forwarder_add(f, a), 1);
	holder = start_child(&wh);
	assert_int_equal(relayfork_forwarder_remove(f, a), 0);
	assert_int_equal(write(wa, "x", 1), 1);
	close(wa);
	wait_child(a);
	/* It did readable forever, and prune found nothing to do. */
	assert_false(readable(fd, 200));
	assert_int_equal(relayfork_forwarder_prune(f), 0);
	assert_int_equal(write(wh, "x", 1), 1);
	close(wh);
	wait_child(holder);
	relayfork_forwarder_free(f);
}

static void *
linger(void *arg)
{
	pause();
	return NULL;
}

/* A process whose main thread left (pthread_exit() in main) while its
 * other threads run is alive: it stays registered, on every kernel (the
 * /proc fallback of kernels without pidfds, which valgrind takes too,
 * saw a zombie main thread and dropped it). */
static void
test_target_whose_main_thread_left(void **state)
{
	struct relayfork_forwarder *f = NULL;
	pid_t child, pids[1];
	siginfo_t si;
	int r;

	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pthread_t t;

		if (pthread_create(&t, NULL, linger, NULL) != 0)
			_exit(1);
		pthread_exit(NULL);
	}
	/* Wait until the main thread is a zombie. */
	for (r = 0; r < 100; r++) {
		char path[64], task_state = 0;
		FILE *st;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)child);
		st = fopen(path, "re");
		assert_non_null(st);
		assert_int_equal(fscanf(st, "%*d %*s %c", &task_state), 1);
		fclose(st);
		if (task_state == 'Z')
			break;
		usleep(10 * 1000);
	}
	assert_true(r < 100);
	assert_int_equal(relayfork_forwarder_new(0, &f), 0);
	assert_int_equal(relayfork_forwarder_add(f, child), 1);
	assert_int_equal(relayfork_forwarder_get_targets(f, pids, 1), 1);
	assert_int_equal(relayfork_forwarder_prune(f), 0);
	kill(child, SIGKILL);
	do {
		r = waitid(P_PID, (id_t)child, &si, WEXITED);
	} while (r < 0 && errno == EINTR);
	assert_int_equal(relayfork_forwarder_get_targets(f, pids, 1), 0);
	relayfork_forwarder_free(f);
}

/* Registration by pidfd: the process the descriptor holds, whatever its
 * pid has become since. */
static void
test_add_pidfd(void **state)
{
	struct relayfork_forwarder *f = NULL;
	pid_t a, pids[2];
	int pidfd, pipefd[2], wa;
	siginfo_t si;

	pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (pidfd < 0 && errno == ENOSYS)
		skip();
	close(pidfd);
	assert_int_equal(relayfork_forwarder_new(0, &f), 0);
	a = start_child(&wa);
	pidfd = (int)syscall(SYS_pidfd_open, a, 0);
	assert_true(pidfd >= 0);
	assert_int_equal(relayfork_forwarder_add_pidfd(f, pidfd), 1);
	assert_int_equal(relayfork_forwarder_add_pidfd(f, pidfd), 0);
	assert_int_equal(relayfork_forwarder_add(f, a), 0);
	assert_int_equal(relayfork_forwarder_get_targets(f, pids, 2), 1);
	assert_int_equal(pids[0], a);
	/* Not a pidfd, not a descriptor. */
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(relayfork_forwarder_add_pidfd(f, pipefd[0]), -EBADF);
	assert_int_equal(relayfork_forwarder_add_pidfd(f, -1), -EBADF);
	assert_int_equal(relayfork_forwarder_add_pidfd(NULL, pidfd), -EINVAL);
	close(pipefd[0]);
	close(pipefd[1]);
	/* The forwarder holds its own copy. */
	assert_int_equal(relayfork_forwarder_remove(f, a), 0);
	assert_true(fcntl(pidfd, F_GETFD) >= 0);
	/* A process that has exited, reaped or not, is refused. */
	assert_int_equal(write(wa, "x", 1), 1);
	close(wa);
	assert_int_equal(waitid(P_PID, (id_t)a, &si, WEXITED | WNOWAIT), 0);
	assert_int_equal(relayfork_forwarder_add_pidfd(f, pidfd), -ESRCH);
	wait_child(a);
	assert_int_equal(relayfork_forwarder_add_pidfd(f, pidfd), -ESRCH);
	close(pidfd);
	relayfork_forwarder_free(f);
}

/* Many targets: found by pid, listed in registration order, and each
 * removal leaves the others in order. */
static void
test_many_targets(void **state)
{
	struct relayfork_forwarder *f = NULL;
	enum { N = 64 };
	pid_t pids[N], got[N];
	int w[N], i, n;

	assert_int_equal(relayfork_forwarder_new(0, &f), 0);
	for (i = 0; i < N; i++) {
		pids[i] = start_child(&w[i]);
		assert_int_equal(relayfork_forwarder_add(f, pids[i]), 1);
	}
	/* Remove every third; the rest stay in order. */
	for (i = 0; i < N; i += 3)
		assert_int_equal(relayfork_forwarder_remove(f, pids[i]), 0);
	n = relayfork_forwarder_get_targets(f, got, N);
	assert_int_equal(n, N - (N + 2) / 3);
	for (i = 0, n = 0; i < N; i++)
		if (i % 3)
			assert_int_equal(got[n++], pids[i]);
	/* And registered again, last. */
	assert_int_equal(relayfork_forwarder_add(f, pids[0]), 1);
	assert_int_equal(relayfork_forwarder_get_targets(f, got, N), n + 1);
	assert_int_equal(got[n], pids[0]);
	for (i = 0; i < N; i++) {
		assert_int_equal(write(w[i], "x", 1), 1);
		close(w[i]);
		wait_child(pids[i]);
	}
	assert_int_equal(relayfork_forwarder_get_targets(f, NULL, 0), 0);
	assert_int_equal(relayfork_forwarder_get_counter(f, RELAYFORK_FORWARDER_PRUNED),
			 n + 1);
	relayfork_forwarder_free(f);
}

static void
test_full_queue_counted(void **state)
{
	struct relayfork_forwarder *f = NULL;
	struct relayfork_event ev;
	uint64_t sent, dropped;
	pid_t slow;
	int i;

	if (geteuid() != 0)
		skip(); /* needs a uid of its own for the receiver */
	slow = start_slow_receiver(SIGRTMIN, 4250, 3);

	assert_int_equal(relayfork_forwarder_new(0, &f), 0);
	assert_int_equal(relayfork_forwarder_add(f, slow), 1);
	for (i = 0; i < 10; i++) {
		ev = fork_event(1, 60000 + i);
		relayfork_forwarder_handle(f, &ev);
	}
	assert_int_equal(relayfork_forwarder_get_target_counters(f, slow, &sent,
								 &dropped), 0);
	assert_int_equal(sent, 3);
	assert_int_equal(dropped, 7);
	assert_int_equal(relayfork_forwarder_get_counter(f, RELAYFORK_FORWARDER_DROPPED), 7);
	assert_int_equal(relayfork_forwarder_get_target_counters(f, 1, &sent,
								 &dropped), -ENOENT);
	kill(slow, SIGKILL);
	wait_child(slow);
	relayfork_forwarder_free(f);
}

static void
test_skip_threads_and_lost(void **state)
{
	struct relayfork_forwarder *f = NULL;
	struct relayfork_event thr = fork_event(1, 70001);
	struct relayfork_event lost;
	sigset_t set;
	siginfo_t si;

	block_signal(SIGRTMIN, &set);
	flush_signals(&set);
	thr.flags = RELAYFORK_EVENT_F_THREAD;
	thr.tgid = 70000;
	memset(&lost, 0, sizeof(lost));
	lost.type = RELAYFORK_EVENT_LOST;
	lost.u.lost.count = 17;

	assert_int_equal(relayfork_forwarder_new(RELAYFORK_FORWARDER_SKIP_THREADS, &f), 0);
	assert_int_equal(relayfork_forwarder_add(f, getpid()), 1);
	assert_int_equal(relayfork_forwarder_handle(f, &thr), 0);
	assert_int_equal(relayfork_forwarder_handle(f, &lost), 0);
	assert_int_equal(wait_signal(&set, &si, 100), -1);
	assert_int_equal(relayfork_forwarder_get_counter(f, RELAYFORK_FORWARDER_FORKS), 0);
	assert_int_equal(relayfork_forwarder_get_counter(f, RELAYFORK_FORWARDER_LOST), 17);
	relayfork_forwarder_free(f);

	/* Without the flag, thread forks are forwarded as the seed did. */
	assert_int_equal(relayfork_forwarder_new(0, &f), 0);
	assert_int_equal(relayfork_forwarder_add(f, getpid()), 1);
	assert_int_equal(relayfork_forwarder_handle(f, &thr), 1);
	assert_int_equal(wait_signal(&set, &si, WAIT_MS), SIGRTMIN);
	assert_int_equal(si.si_value.sival_int, 70001);
	relayfork_forwarder_free(f);
}

static void
test_permission_checked(void **state)
{
	pid_t child;
	int status;

	if (geteuid() != 0)
		skip();
	child = fork();
	if (child == 0) {
		struct relayfork_forwarder *f = NULL;
		int r;

		if (setgroups(0, NULL) < 0 || setresgid(4251, 4251, 4251) < 0 ||
		    setresuid(4251, 4251, 4251) < 0)
			_exit(100);
		if (relayfork_forwarder_new(0, &f) < 0)
			_exit(101);
		r = relayfork_forwarder_add(f, 1); /* init: not ours */
		relayfork_forwarder_free(f);
		_exit(-r);
	}
	status = wait_child(child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), EPERM);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_range),
		cmocka_unit_test(test_add_remove),
		cmocka_unit_test(test_exact_siginfo),
		cmocka_unit_test(test_siginfo_decoder_rejects),
		cmocka_unit_test(test_real_fork),
		cmocka_unit_test(test_two_receivers_and_remove),
		cmocka_unit_test(test_exited_target_pruned_and_pid_reuse),
		cmocka_unit_test(test_listing_prunes_exited),
		cmocka_unit_test(test_zombie_target_not_counted),
		cmocka_unit_test(test_add_zombie_refused),
		cmocka_unit_test(test_fd_readable_on_exit),
		cmocka_unit_test(test_fd_forgets_removed_targets),
		cmocka_unit_test(test_target_whose_main_thread_left),
		cmocka_unit_test(test_add_pidfd),
		cmocka_unit_test(test_many_targets),
		cmocka_unit_test(test_full_queue_counted),
		cmocka_unit_test(test_skip_threads_and_lost),
		cmocka_unit_test(test_permission_checked),
	};

	require_proc_events();
	return cmocka_run_group_tests_name("forward", tests, NULL, NULL);
}
