// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which exit ends a process, on sequences of events written by hand
 * after what the kernel sends (the kernel suite checks the real thing).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "threads.h"

static uint64_t clock_ns = 1000;

static struct relayfork_event
fork_of(pid_t pid, pid_t tgid, pid_t parent)
{
	struct relayfork_event ev = { .type = RELAYFORK_EVENT_FORK, .pid = pid,
				      .tgid = tgid };

	ev.u.fork.parent_tgid = parent;
	ev.timestamp_ns = clock_ns++;
	return ev;
}

/* Observe an exit; the event as the table leaves it. */
static struct relayfork_event
exit_event(struct threads *t, pid_t pid, pid_t tgid, int status)
{
	struct relayfork_event ev = { .type = RELAYFORK_EVENT_EXIT, .pid = pid,
				      .tgid = tgid };

	ev.u.exit.status = status;
	ev.timestamp_ns = clock_ns++;
	threads_observe(t, &ev);
	return ev;
}

/* Observe an exit; returns whether it ended its process. */
static bool
exits(struct threads *t, pid_t pid, pid_t tgid, int status)
{
	return exit_event(t, pid, tgid, status).flags & RELAYFORK_EVENT_F_PROCESS_END;
}

static void
forks(struct threads *t, pid_t pid, pid_t tgid)
{
	struct relayfork_event ev = fork_of(pid, tgid, 1);

	threads_observe(t, &ev);
	assert_false(ev.flags & RELAYFORK_EVENT_F_PROCESS_END);
}

static void
execs(struct threads *t, pid_t tgid)
{
	struct relayfork_event ev = { .type = RELAYFORK_EVENT_EXEC, .pid = tgid,
				      .tgid = tgid };

	ev.timestamp_ns = clock_ns++;
	threads_observe(t, &ev);
}

static void
test_single_threaded(void **state)
{
	struct threads t;

	threads_init(&t);
	forks(&t, 100, 100);
	assert_true(exits(&t, 100, 100, 0));
	/* A process never seen before ends with its main thread too. */
	assert_true(exits(&t, 200, 200, 256));
	assert_int_equal(pidmap_count(&t.groups), 0);
	threads_free(&t);
}

static void
test_threads_exit_first(void **state)
{
	struct threads t;

	threads_init(&t);
	forks(&t, 100, 100);
	forks(&t, 101, 100);
	forks(&t, 102, 100);
	assert_false(exits(&t, 101, 100, 0));
	assert_false(exits(&t, 102, 100, 0));
	assert_true(exits(&t, 100, 100, 0));
	assert_int_equal(pidmap_count(&t.tids), 0);
	assert_int_equal(pidmap_count(&t.groups), 0);
	threads_free(&t);
}

static void
test_main_thread_leaves_first(void **state)
{
	struct threads t;

	threads_init(&t);
	forks(&t, 100, 100);
	forks(&t, 101, 100);
	forks(&t, 102, 100);
	/* pthread_exit() in main, then exit(7) in a thread. */
	assert_false(exits(&t, 100, 100, 0));
	/* The process forks on meanwhile. */
	forks(&t, 103, 100);
	assert_false(exits(&t, 101, 100, 0x700));
	assert_false(exits(&t, 103, 100, 0x700));
	assert_true(exits(&t, 102, 100, 0x700));
	assert_int_equal(pidmap_count(&t.groups), 0);
	/* Its pid reused by a single-threaded process. */
	forks(&t, 100, 100);
	assert_true(exits(&t, 100, 100, 0));
	threads_free(&t);
}

/*
 * The kernel sends a task's exit event after pthread_join() has returned
 * for it: a joined thread can be reported after its main thread's
 * exit(5), and a main thread that left with pthread_exit() after the
 * thread whose exit(7) ended the process.  The end carries the
 * process's status either way.
 */
static void
test_exits_reported_out_of_order(void **state)
{
	struct relayfork_event ev;
	struct threads t;

	threads_init(&t);
	forks(&t, 100, 100);
	forks(&t, 101, 100);
	assert_false(exits(&t, 100, 100, 0x500));
	ev = exit_event(&t, 101, 100, 0);
	assert_true(ev.flags & RELAYFORK_EVENT_F_PROCESS_END);
	assert_int_equal(ev.u.exit.status, 0x500);

	forks(&t, 200, 200);
	forks(&t, 201, 200);
	assert_false(exits(&t, 201, 200, 0x700));
	ev = exit_event(&t, 200, 200, 0);
	assert_true(ev.flags & RELAYFORK_EVENT_F_PROCESS_END);
	assert_int_equal(ev.u.exit.status, 0x700);

	/* Killed: every task says so, the end too. */
	forks(&t, 300, 300);
	forks(&t, 301, 300);
	assert_false(exits(&t, 300, 300, 9));
	ev = exit_event(&t, 301, 300, 9);
	assert_true(ev.flags & RELAYFORK_EVENT_F_PROCESS_END);
	assert_int_equal(ev.u.exit.status, 9);

	/* A pool that ends with 0 ends its process with 0. */
	forks(&t, 400, 400);
	forks(&t, 401, 400);
	assert_false(exits(&t, 401, 400, 0));
	ev = exit_event(&t, 400, 400, 0);
	assert_true(ev.flags & RELAYFORK_EVENT_F_PROCESS_END);
	assert_int_equal(ev.u.exit.status, 0);

	/* Nothing is left behind. */
	assert_int_equal(pidmap_count(&t.groups), 0);
	assert_int_equal(pidmap_count(&t.status), 0);
	assert_int_equal(pidmap_count(&t.tids), 0);
	/* A pid that comes back starts clean. */
	forks(&t, 500, 500);
	forks(&t, 501, 500);
	assert_false(exits(&t, 501, 500, 0x300));
	forks(&t, 500, 500); /* its main thread's exit was lost */
	assert_int_equal(pidmap_count(&t.status), 0);
	threads_free(&t);
}

static void
test_failures_only(void **state)
{
	struct threads t;

	/* Main threads' exits with status 0 are filtered out. */
	threads_init(&t);
	t.all_leader_exits = false;
	forks(&t, 100, 100);
	forks(&t, 101, 100);
	/* The main thread left with 0, unseen; the thread's group exit
	 * with a failure ends the process. */
	assert_true(exits(&t, 101, 100, 0x700));
	/* A group exit where the main thread goes last: its exit no longer
	 * ends anything (the end was reported). */
	forks(&t, 200, 200);
	forks(&t, 201, 200);
	assert_true(exits(&t, 201, 200, 9));
	assert_false(exits(&t, 200, 200, 9));
	assert_int_equal(pidmap_count(&t.groups), 1); /* 100's, until reused */
	/* A thread pool that empties while the main thread lives. */
	forks(&t, 300, 300);
	forks(&t, 301, 300);
	assert_false(exits(&t, 301, 300, 0));
	assert_true(exits(&t, 300, 300, 256));
	/* The pid of the process that ended comes back. */
	forks(&t, 100, 100);
	assert_int_equal(pidmap_count(&t.groups), 0);
	threads_free(&t);
}

static void
test_exec_from_a_thread(void **state)
{
	struct threads t;

	threads_init(&t);
	forks(&t, 100, 100);
	forks(&t, 101, 100);
	forks(&t, 102, 100);
	/* Thread 102 execs: the others die, the main thread too, and 102
	 * takes the id 100 without an exit of its own. */
	assert_false(exits(&t, 101, 100, 0));
	assert_false(exits(&t, 100, 100, 0));
	execs(&t, 100);
	assert_int_equal(pidmap_count(&t.tids), 0);
	assert_true(exits(&t, 100, 100, 0));
	threads_free(&t);
}

static void
test_lost_exit_then_reuse(void **state)
{
	struct threads t;

	threads_init(&t);
	forks(&t, 100, 100);
	forks(&t, 101, 100);
	/* 101's exit was lost; the id is reused by a thread of another
	 * process, and 100's count must not stay up. */
	forks(&t, 201, 200);
	forks(&t, 101, 200);
	assert_true(exits(&t, 100, 100, 0));
	assert_false(exits(&t, 101, 200, 0));
	threads_free(&t);
}

static void
test_events_older_than_the_table(void **state)
{
	struct threads t;
	struct relayfork_event ev;

	threads_init(&t);
	/* As read from /proc at since_ns: 100 has threads 101 and 102. */
	t.since_ns = 5000;
	pidmap_put(&t.tids, 101, 100);
	pidmap_put(&t.tids, 102, 100);
	pidmap_put(&t.groups, 100, 2);
	clock_ns = 4000;
	/* Older events: the fork of a thread the table has, an exit of an
	 * earlier 101, the exit of an earlier process 100. */
	forks(&t, 101, 100);
	assert_false(exits(&t, 101, 100, 0));
	ev = fork_of(103, 100, 1);
	threads_observe(&t, &ev);
	assert_int_equal(pidmap_count(&t.tids), 2);
	assert_true(exits(&t, 100, 100, 0));
	clock_ns = 6000;
	assert_false(exits(&t, 101, 100, 0));
	assert_false(exits(&t, 100, 100, 0));
	assert_true(exits(&t, 102, 100, 0));
	threads_free(&t);
}

static void
test_resync_reads_proc(void **state)
{
	struct threads t;

	threads_init(&t);
	/* This machine runs some process with threads, at least ours when
	 * the test runner has them; whatever it is, the table says what
	 * /proc says and nothing breaks. */
	assert_int_equal(threads_resync(&t), 0);
	assert_true(t.since_ns > 0);
	threads_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_threaded),
		cmocka_unit_test(test_threads_exit_first),
		cmocka_unit_test(test_main_thread_leaves_first),
		cmocka_unit_test(test_exits_reported_out_of_order),
		cmocka_unit_test(test_failures_only),
		cmocka_unit_test(test_exec_from_a_thread),
		cmocka_unit_test(test_lost_exit_then_reuse),
		cmocka_unit_test(test_events_older_than_the_table),
		cmocka_unit_test(test_resync_reads_proc),
	};

	return cmocka_run_group_tests_name("threads", tests, NULL, NULL);
}
