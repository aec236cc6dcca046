// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which exit ends a process, against the real kernel.  A process ends
 * with its last task, which is not always its main thread: main() can
 * call pthread_exit() and the process live on, fork, and exit(7) from
 * another thread.  Every monitor that delivers exits must mark the exit
 * that ends a process (RELAYFORK_EVENT_F_PROCESS_END), whatever its mask
 * and filter mode, and a process that started before the monitor must
 * be judged right too.
 */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

/*
 * The children whose exit status the tests check run this binary again
 * (a child role, chosen by argv[1]) rather than a copy of the test: a
 * test run under valgrind then checks only the test, and a child's exit
 * status is its own, not valgrind's verdict on memory it inherited.
 */
static const char *self;
static int gate[2];

/* Run this binary in a child role, with the gate's read end. */
static pid_t
spawn_role(const char *role, const char *arg)
{
	char fd[16];
	pid_t pid;

	snprintf(fd, sizeof(fd), "%d", gate[0]);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(self, self, role, fd, arg, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void *
exit7_later(void *arg)
{
	char c;

	/* Wait for the go, then end the whole process. */
	if (read(gate[0], &c, 1) != 1)
		_exit(100);
	usleep(20 * 1000);
	exit(7);
}

static void *
linger(void *arg)
{
	pause();
	return NULL;
}

/* Role "leader-first": two threads, then pthread_exit() in main; a
 * thread calls exit(7) when the gate opens. */
static int
leader_first(void)
{
	pthread_t a, b;

	if (pthread_create(&a, NULL, exit7_later, NULL) != 0 ||
	    pthread_create(&b, NULL, linger, NULL) != 0)
		return 101;
	pthread_exit(NULL);
}

/* Role "linger-then-exit CODE": a thread that sleeps; the main thread
 * calls _exit(CODE) when the gate opens (a group exit). */
static int
linger_then_exit(int code)
{
	pthread_t t;
	char c;

	if (pthread_create(&t, NULL, linger, NULL) != 0)
		return 101;
	if (read(gate[0], &c, 1) != 1)
		return 100;
	_exit(code);
}

/* A child whose main thread leaves first (see leader_first()): it
 * forks on meanwhile, and ends with exit(7) when the parent writes to
 * the gate.  Returns its pid; finish_leader_first() opens the gate and
 * reaps it. */
static pid_t
spawn_leader_first(void)
{
	assert_int_equal(pipe(gate), 0);
	return spawn_role("leader-first", NULL);
}

/* Wait until the main thread of pid has left (a zombie leader while
 * other threads live on): a slow machine may take longer to start the
 * role than any fixed pause. */
static void
wait_leader_gone(pid_t pid)
{
	int64_t deadline = now_ms() + WAIT_MS;
	char path[64], buf[512];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (;;) {
		FILE *f = fopen(path, "re");
		const char *close_paren;
		bool gone = false;

		assert_non_null(f);
		if (fgets(buf, sizeof(buf), f) &&
		    (close_paren = strrchr(buf, ')')) && close_paren[1] == ' ')
			gone = close_paren[2] == 'Z';
		fclose(f);
		if (gone)
			return;
		assert_true(now_ms() < deadline);
		usleep(5 * 1000);
	}
}

/* Wait until pid has n threads. */
static void
wait_threads(pid_t pid, size_t n)
{
	int64_t deadline = now_ms() + WAIT_MS;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	for (;;) {
		DIR *d = opendir(path);
		struct dirent *de;
		size_t count = 0;

		assert_non_null(d);
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				count++;
		closedir(d);
		if (count >= n)
			return;
		assert_true(now_ms() < deadline);
		usleep(5 * 1000);
	}
}

static void
finish_leader_first(pid_t child)
{
	int status;

	/* Let the main thread's exit be reported before the end. */
	wait_leader_gone(child);
	usleep(20 * 1000);
	assert_int_equal(write(gate[1], "g", 1), 1);
	status = wait_child(child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
	close(gate[0]);
	close(gate[1]);
}

/* The exits of tgid in the log, in order; returns how many. */
static size_t
exits_of(const struct evlog *log, pid_t tgid,
	 const struct relayfork_event **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < log->n; i++)
		if (log->ev[i].type == RELAYFORK_EVENT_EXIT &&
		    log->ev[i].tgid == tgid && n < max)
			out[n++] = &log->ev[i];
	return n;
}

/* Receive until tgid's process has ended (an exit with the flag). */
static const struct relayfork_event *
wait_end(struct relayfork_monitor *m, struct evlog *log, pid_t tgid)
{
	int64_t deadline = now_ms() + WAIT_MS;

	for (;;) {
		struct pollfd pfd = { .fd = relayfork_monitor_get_fd(m),
				      .events = POLLIN };
		size_t i;

		evlog_drain(m, log);
		for (i = 0; i < log->n; i++)
			if (log->ev[i].type == RELAYFORK_EVENT_EXIT &&
			    log->ev[i].tgid == tgid &&
			    (log->ev[i].flags & RELAYFORK_EVENT_F_PROCESS_END))
				return &log->ev[i];
		if (now_ms() >= deadline)
			return NULL;
		poll(&pfd, 1, 50);
	}
}

static void
check_leader_first(unsigned int flags, uint32_t mask)
{
	struct relayfork_monitor *m = start_monitor(flags, mask);
	const struct relayfork_event *ex[8], *end;
	struct evlog log = { 0 };
	pid_t child = spawn_leader_first();
	size_t n, i, end_index;

	finish_leader_first(child);
	end = wait_end(m, &log, child);
	assert_non_null(end);
	/* The end carries the process's status, from its last thread. */
	assert_int_equal(end->u.exit.status, 7 << 8);
	assert_true(end->pid != child);
	assert_true(end->flags & RELAYFORK_EVENT_F_THREAD);
	/* The log may move as it grows: keep the end by its place. */
	end_index = (size_t)(end - log.ev);
	evlog_collect_for(m, &log, 100);
	end = &log.ev[end_index];
	n = exits_of(&log, child, ex, 8);
	assert_true(n >= 1);
	/* Exactly one end, and nothing after it. */
	for (i = 0; i < n; i++)
		assert_int_equal(!!(ex[i]->flags & RELAYFORK_EVENT_F_PROCESS_END),
				 ex[i] == end);
	assert_ptr_equal(ex[n - 1], end);
	if (mask & RELAYFORK_EVENTS_SKIP_THREADS) {
		/* Without threads, the end is the only exit. */
		assert_int_equal(n, 1);
	} else if (mask & RELAYFORK_EVENTS_EXIT) {
		/* The main thread's early exit, not an end, came first. */
		assert_int_equal(ex[0]->pid, child);
		assert_int_equal(ex[0]->u.exit.status, 0);
		assert_int_equal(ex[0]->flags & RELAYFORK_EVENT_F_PROCESS_END, 0);
		assert_int_equal(n, 3);
	}
	relayfork_monitor_unref(m);
	evlog_free(&log);
}

static void
test_main_thread_leaves_first(void **state)
{
	static const uint32_t masks[] = {
		RELAYFORK_EVENTS_ALL,
		RELAYFORK_EVENTS_EXIT,
		RELAYFORK_EVENTS_ALL | RELAYFORK_EVENTS_SKIP_THREADS,
		RELAYFORK_EVENTS_EXIT | RELAYFORK_EVENTS_SKIP_THREADS,
		RELAYFORK_EVENTS_EXIT_FAILURE | RELAYFORK_EVENTS_SKIP_THREADS,
		RELAYFORK_EVENTS_EXIT_FAILURE,
		RELAYFORK_EVENTS_FORK | RELAYFORK_EVENTS_EXIT_FAILURE |
			RELAYFORK_EVENTS_SKIP_THREADS,
	};
	unsigned int i;

	for (i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		check_leader_first(0, masks[i]);
		check_leader_first(RELAYFORK_MONITOR_NO_KERNEL_FILTER, masks[i]);
	}
}

static void *
nothing(void *arg)
{
	return NULL;
}

/* Role "threads-exit CODE": three threads come and go, then exit. */
static int
threads_then_exit(int code)
{
	pthread_t t[3];
	int i;

	for (i = 0; i < 3; i++)
		if (pthread_create(&t[i], NULL, nothing, NULL) != 0)
			return 101;
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	return code;
}

/* The usual cases: a single-threaded process, and one whose threads end
 * before its main thread. */
static void
test_main_thread_ends_the_process(void **state)
{
	static const uint32_t masks[] = {
		RELAYFORK_EVENTS_ALL,
		RELAYFORK_EVENTS_EXIT | RELAYFORK_EVENTS_SKIP_THREADS,
		RELAYFORK_EVENTS_EXIT_FAILURE | RELAYFORK_EVENTS_SKIP_THREADS,
	};
	unsigned int i;

	for (i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		struct relayfork_monitor *m = start_monitor(0, masks[i]);
		struct evlog log = { 0 };
		const struct relayfork_event *end;
		pid_t single, threaded;

		single = fork();
		if (single == 0)
			_exit(3);
		assert_int_equal(pipe(gate), 0);
		threaded = spawn_role("threads-exit", "5");
		close(gate[0]);
		close(gate[1]);
		wait_child(single);
		wait_child(threaded);
		end = wait_end(m, &log, single);
		assert_non_null(end);
		assert_int_equal(end->pid, single);
		assert_int_equal(end->u.exit.status, 3 << 8);
		end = wait_end(m, &log, threaded);
		assert_non_null(end);
		/* Usually the main thread's exit; a joined thread's can be
		 * sent after it (the kernel wakes pthread_join() first), and
		 * then ends the process, with the process's status. */
		assert_true(end->pid == threaded ||
			    (end->flags & RELAYFORK_EVENT_F_THREAD));
		assert_int_equal(end->u.exit.status, 5 << 8);
		relayfork_monitor_unref(m);
		evlog_free(&log);
	}
}

/* Started before the monitor: its threads are known from /proc. */
static void
test_process_older_than_the_monitor(void **state)
{
	pid_t child = spawn_leader_first();
	struct relayfork_monitor *m;
	const struct relayfork_event *end, *ex[8];
	struct evlog log = { 0 };
	size_t n, end_index;

	/* Let it start its threads and leave main before we look. */
	wait_leader_gone(child);
	m = start_monitor(0, RELAYFORK_EVENTS_EXIT | RELAYFORK_EVENTS_SKIP_THREADS);
	finish_leader_first(child);
	end = wait_end(m, &log, child);
	assert_non_null(end);
	assert_int_equal(end->u.exit.status, 7 << 8);
	evlog_collect_for(m, &log, 100);
	n = exits_of(&log, child, ex, 8);
	assert_int_equal(n, 1);
	relayfork_monitor_unref(m);
	evlog_free(&log);

	/* Threads started before the monitor, main thread still there,
	 * then _exit() (a group exit): whichever task goes last ends it. */
	assert_int_equal(pipe(gate), 0);
	child = spawn_role("linger-then-exit", "4");
	wait_threads(child, 2);
	m = start_monitor(0, RELAYFORK_EVENTS_EXIT);
	assert_int_equal(write(gate[1], "g", 1), 1);
	wait_child(child);
	end = wait_end(m, &log, child);
	assert_non_null(end);
	assert_int_equal(end->u.exit.status, 4 << 8);
	end_index = (size_t)(end - log.ev);
	evlog_collect_for(m, &log, 100);
	n = exits_of(&log, child, ex, 8);
	assert_int_equal(n, 2);
	assert_ptr_equal(ex[n - 1], &log.ev[end_index]);
	close(gate[0]);
	close(gate[1]);
	relayfork_monitor_unref(m);
	evlog_free(&log);
}

static void *
exec_from_thread(void *arg)
{
	usleep(20 * 1000);
	execl("/bin/sh", "sh", "-c", "sleep 0.1; exit 6", (char *)NULL);
	_exit(127);
}

/* A thread that calls exec takes the main thread's place (Go programs
 * do this): the old main thread's exit ends nothing. */
static void
test_exec_from_a_thread(void **state)
{
	struct relayfork_monitor *m = start_monitor(0, RELAYFORK_EVENTS_ALL);
	const struct relayfork_event *end, *ex[8];
	struct evlog log = { 0 };
	pid_t child = fork();
	size_t n, i;
	int status;

	if (child == 0) {
		pthread_t t;

		if (pthread_create(&t, NULL, exec_from_thread, NULL) != 0)
			_exit(101);
		pause();
		_exit(102);
	}
	status = wait_child(child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 6);
	end = wait_end(m, &log, child);
	assert_non_null(end);
	assert_int_equal(end->pid, child);
	assert_int_equal(end->u.exit.status, 6 << 8);
	evlog_collect_for(m, &log, 100);
	n = exits_of(&log, child, ex, 8);
	assert_true(n >= 2);
	for (i = 0; i + 1 < n; i++)
		assert_int_equal(ex[i]->flags & RELAYFORK_EVENT_F_PROCESS_END, 0);
	relayfork_monitor_unref(m);
	evlog_free(&log);
}

/* Thread events taken only to follow thread groups are counted, not
 * delivered. */
static void
test_followed_threads_counted(void **state)
{
	struct relayfork_monitor *m =
		start_monitor(0, RELAYFORK_EVENTS_EXIT | RELAYFORK_EVENTS_SKIP_THREADS);
	struct evlog log = { 0 };
	pid_t child = fork();
	size_t i;

	if (child == 0)
		_exit(threads_then_exit(0));
	wait_child(child);
	assert_non_null(wait_end(m, &log, child));
	for (i = 0; i < log.n; i++)
		assert_false(log.ev[i].type == RELAYFORK_EVENT_FORK);
	assert_true(relayfork_monitor_get_counter(m, RELAYFORK_COUNTER_FOLLOWED) >= 6);
	assert_int_equal(relayfork_monitor_get_counter(m, RELAYFORK_COUNTER_FILTERED), 0);
	relayfork_monitor_unref(m);
	evlog_free(&log);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_main_thread_leaves_first),
		cmocka_unit_test(test_main_thread_ends_the_process),
		cmocka_unit_test(test_process_older_than_the_monitor),
		cmocka_unit_test(test_exec_from_a_thread),
		cmocka_unit_test(test_followed_threads_counted),
	};

	if (argc >= 3) {
		gate[0] = atoi(argv[2]);
		if (strcmp(argv[1], "leader-first") == 0)
			return leader_first();
		if (strcmp(argv[1], "threads-exit") == 0 && argc == 4)
			return threads_then_exit(atoi(argv[3]));
		if (strcmp(argv[1], "linger-then-exit") == 0 && argc == 4)
			return linger_then_exit(atoi(argv[3]));
		return 102;
	}
	self = argv[0];
	require_proc_events();
	return cmocka_run_group_tests_name("exits", tests, NULL, NULL);
}
