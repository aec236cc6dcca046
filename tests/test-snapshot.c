// SPDX-License-Identifier: LGPL-2.1-or-later
/* Snapshots of /proc: what exists, as synthetic fork events. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <cmocka.h>

#include "helpers.h"

/* Take a snapshot; return the event for pid (type FORK), if listed. */
static bool
find_in_snapshot(unsigned int flags, pid_t pid, struct relayfork_event *ret,
		 size_t *ret_total)
{
	struct relayfork_snapshot *s = NULL;
	struct relayfork_event ev;
	bool found = false;
	size_t total = 0;
	int r;

	assert_int_equal(relayfork_snapshot_new(flags, &s), 0);
	while ((r = relayfork_snapshot_next(s, &ev)) > 0) {
		assert_int_equal(ev.type, RELAYFORK_EVENT_FORK);
		assert_true(ev.flags & RELAYFORK_EVENT_F_SYNTHETIC);
		assert_int_equal(!!(ev.flags & RELAYFORK_EVENT_F_THREAD),
				 ev.pid != ev.tgid);
		if (!(flags & RELAYFORK_SNAPSHOT_THREADS))
			assert_int_equal(ev.pid, ev.tgid);
		if (ev.pid == pid) {
			*ret = ev;
			found = true;
		}
		total++;
	}
	assert_int_equal(r, 0);
	relayfork_snapshot_free(s);
	if (ret_total)
		*ret_total = total;
	return found;
}

static void
test_lists_us_and_our_parent(void **state)
{
	struct relayfork_event ev;
	struct timespec now;
	uint64_t now_ns;
	size_t total;

	assert_true(find_in_snapshot(0, getpid(), &ev, &total));
	assert_int_equal(ev.tgid, getpid());
	assert_int_equal(ev.u.fork.parent_tgid, getppid());
	clock_gettime(CLOCK_MONOTONIC, &now);
	now_ns = (uint64_t)now.tv_sec * 1000000000u + now.tv_nsec;
	/* We started a moment ago, on the monotonic scale. */
	assert_true(ev.timestamp_ns <= now_ns);
	assert_true(now_ns - ev.timestamp_ns < 600ull * 1000000000u);
	assert_true(total >= 2);
	assert_true(find_in_snapshot(0, 1, &ev, NULL));
}

static void *
idle(void *arg)
{
	pause();
	return NULL;
}

static void
test_threads_when_asked(void **state)
{
	struct relayfork_snapshot *s = NULL;
	struct relayfork_event ev;
	pthread_t t;
	sigset_t all, old;
	bool thread = false;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	assert_int_equal(pthread_create(&t, NULL, idle, NULL), 0);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	usleep(20 * 1000);
	assert_int_equal(relayfork_snapshot_new(RELAYFORK_SNAPSHOT_THREADS, &s), 0);
	while (relayfork_snapshot_next(s, &ev) > 0)
		if (ev.tgid == getpid() && ev.pid != getpid()) {
			thread = true;
			assert_true(ev.flags & RELAYFORK_EVENT_F_THREAD);
			assert_int_equal(ev.u.fork.parent_tgid, getppid());
		}
	relayfork_snapshot_free(s);
	pthread_cancel(t);
	pthread_join(t, NULL);
	assert_true(thread);
}

static void
test_children_come_and_go(void **state)
{
	struct relayfork_event ev;
	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_true(find_in_snapshot(0, child, &ev, NULL));
	assert_int_equal(ev.u.fork.parent_tgid, getpid());
	kill(child, SIGKILL);
	wait_child(child);
	assert_false(find_in_snapshot(0, child, &ev, NULL));
}

/* Exited but not reaped: not listed, it has exited.  A main thread
 * that left early while its threads live on: listed, the process lives. */
static void
test_zombies(void **state)
{
	struct relayfork_event ev;
	pid_t zombie = fork(), leader_gone;
	int gate[2];

	assert_true(zombie >= 0);
	if (zombie == 0)
		_exit(0);
	/* Until it has exited, without reaping it. */
	{
		siginfo_t si;

		while (waitid(P_PID, (id_t)zombie, &si, WEXITED | WNOWAIT) < 0 &&
		       errno == EINTR)
			;
	}
	assert_false(find_in_snapshot(0, zombie, &ev, NULL));
	wait_child(zombie);

	assert_int_equal(pipe(gate), 0);
	leader_gone = fork();
	assert_true(leader_gone >= 0);
	if (leader_gone == 0) {
		pthread_t t;

		close(gate[1]);
		if (pthread_create(&t, NULL, idle, NULL) != 0)
			_exit(1);
		pthread_exit(NULL);
	}
	close(gate[0]);
	usleep(50 * 1000);
	assert_true(find_in_snapshot(0, leader_gone, &ev, NULL));
	assert_true(find_in_snapshot(RELAYFORK_SNAPSHOT_THREADS, leader_gone, &ev,
				     NULL));
	kill(leader_gone, SIGKILL);
	wait_child(leader_gone);
	close(gate[1]);
}

static void
stop_storms(pid_t *storms, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		kill(storms[i], SIGKILL);
		wait_child(storms[i]);
	}
}

/* A process that forks children which exit at once, until killed or
 * until we die (a test killed on timeout must not leave it running). */
static pid_t
start_exiting_storm(void)
{
	pid_t parent = getpid();
	pid_t storm = fork();

	assert_true(storm >= 0);
	if (storm == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		for (;;) {
			pid_t child = fork();

			if (child == 0)
				_exit(0);
			if (child > 0)
				waitpid(child, NULL, 0);
		}
	}
	return storm;
}

/* Processes exiting while the list is read are skipped, and the walk
 * still ends with 0, not with an error left behind by one of them. */
static void
test_walk_while_processes_exit(void **state)
{
	pid_t storms[2];
	int64_t deadline = now_ms() + 10 * 1000;
	int i;

	for (i = 0; i < 2; i++)
		storms[i] = start_exiting_storm();
	/* 200 walks, or as many as a slow machine makes in 10 s. */
	for (i = 0; i < 200 && now_ms() < deadline; i++) {
		struct relayfork_snapshot *s = NULL;
		struct relayfork_event ev;
		int r;

		assert_int_equal(relayfork_snapshot_new(
					 i % 2 ? RELAYFORK_SNAPSHOT_THREADS : 0, &s),
				 0);
		while ((r = relayfork_snapshot_next(s, &ev)) > 0)
			;
		relayfork_snapshot_free(s);
		if (r != 0) {
			stop_storms(storms, 2);
			fail_msg("snapshot %d ended with %d", i, r);
		}
	}
	stop_storms(storms, 2);
}

/* The reconcile rule: events stamped before the snapshot are covered. */
static void
test_time_and_covers(void **state)
{
	struct relayfork_snapshot *s = NULL;
	struct relayfork_event ev = { .type = RELAYFORK_EVENT_EXIT };
	struct timespec now;
	uint64_t before, t;

	clock_gettime(CLOCK_MONOTONIC, &now);
	before = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	assert_int_equal(relayfork_snapshot_new(0, &s), 0);
	t = relayfork_snapshot_get_time(s);
	assert_true(t >= before);
	ev.timestamp_ns = t - 1;
	assert_int_equal(relayfork_snapshot_covers(s, &ev), 1);
	ev.timestamp_ns = t;
	assert_int_equal(relayfork_snapshot_covers(s, &ev), 0);
	assert_int_equal(relayfork_snapshot_covers(NULL, &ev), -EINVAL);
	assert_int_equal(relayfork_snapshot_covers(s, NULL), -EINVAL);
	assert_int_equal(relayfork_snapshot_get_time(NULL), 0);
	relayfork_snapshot_free(s);
}

static void
test_bad_arguments(void **state)
{
	struct relayfork_snapshot *s = NULL;
	struct relayfork_event ev;

	assert_int_equal(relayfork_snapshot_new(0, NULL), -EINVAL);
	assert_int_equal(relayfork_snapshot_new(1u << 4, &s), -EINVAL);
	assert_int_equal(relayfork_snapshot_next(NULL, &ev), -EINVAL);
	assert_int_equal(relayfork_snapshot_new(0, &s), 0);
	assert_int_equal(relayfork_snapshot_next(s, NULL), -EINVAL);
	assert_null(relayfork_snapshot_free(s));
	assert_null(relayfork_snapshot_free(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lists_us_and_our_parent),
		cmocka_unit_test(test_threads_when_asked),
		cmocka_unit_test(test_children_come_and_go),
		cmocka_unit_test(test_zombies),
		cmocka_unit_test(test_walk_while_processes_exit),
		cmocka_unit_test(test_time_and_covers),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests_name("snapshot", tests, NULL, NULL);
}
