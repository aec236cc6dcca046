// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Fork storms against the real kernel, bounded to a few seconds: every
 * event the storm makes is either received or counted as lost, and with
 * the library's defaults nothing is lost at all.  Not run under valgrind,
 * whose slowdown would measure valgrind.
 */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "helpers.h"

#define MAX_WORKERS 8

struct storm {
	pid_t workers[MAX_WORKERS];
	int nworkers;
	int pipe;		/* each worker writes its count here */
	uint64_t created;	/* known once storm_end() returned */
};

/* Workers that create short-lived processes as fast as they can for
 * ms milliseconds, each counting what it created. */
static void
storm_start(struct storm *s, int workers, int ms)
{
	int fds[2], i;

	assert_int_equal(pipe(fds), 0);
	s->nworkers = workers;
	s->pipe = fds[0];
	for (i = 0; i < workers; i++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			int64_t end = now_ms() + ms;
			uint64_t n = 0;

			close(fds[0]);
			while (now_ms() < end) {
				/* vfork: the cheapest creation there is. */
				pid_t c = vfork();

				if (c == 0)
					_exit(0);
				if (c > 0) {
					waitpid(c, NULL, 0);
					n++;
				}
			}
			if (write(fds[1], &n, sizeof(n)) != sizeof(n))
				_exit(1);
			_exit(0);
		}
		s->workers[i] = pid;
	}
	close(fds[1]);
}

static bool
storm_running(const struct storm *s)
{
	int i;

	for (i = 0; i < s->nworkers; i++)
		if (waitpid(s->workers[i], NULL, WNOHANG) == 0)
			return true;
	return false;
}

static void
storm_end(struct storm *s)
{
	uint64_t n;
	int i;

	for (i = 0; i < s->nworkers; i++)
		waitpid(s->workers[i], NULL, 0);
	s->created = 0;
	while (read(s->pipe, &n, sizeof(n)) == sizeof(n))
		s->created += n;
	close(s->pipe);
}

static bool
is_worker(const struct storm *s, pid_t pid)
{
	int i;

	for (i = 0; i < s->nworkers; i++)
		if (pid == s->workers[i])
			return true;
	return false;
}

#define PID_LIMIT (1 << 22)

struct tally {
	const struct storm *storm;
	/* Storm children forked and not yet seen exiting, by pid: an exit
	 * reported after the parent reaped the child names no parent. */
	unsigned char *live;
	uint64_t storm_events;
	uint64_t lost;
	uint64_t lost_reports;
};

static int
count(struct relayfork_monitor *m, const struct relayfork_event *ev, void *data)
{
	struct tally *t = data;

	if (ev->type == RELAYFORK_EVENT_LOST) {
		t->lost += ev->u.lost.count;
		t->lost_reports++;
	} else if (ev->type == RELAYFORK_EVENT_FORK &&
		   is_worker(t->storm, ev->u.fork.parent_tgid)) {
		t->storm_events++;
		if (ev->pid > 0 && ev->pid < PID_LIMIT)
			t->live[ev->pid]++;
	} else if (ev->type == RELAYFORK_EVENT_EXIT && ev->pid > 0 &&
		   ev->pid < PID_LIMIT && t->live[ev->pid] &&
		   (ev->u.exit.parent_tgid == 0 ||
		    is_worker(t->storm, ev->u.exit.parent_tgid))) {
		t->storm_events++;
		t->live[ev->pid]--;
	} else if (ev->type == RELAYFORK_EVENT_EXIT &&
		   is_worker(t->storm, ev->u.exit.parent_tgid)) {
		t->storm_events++; /* its fork was lost */
	}
	return 0;
}

/* With the defaults (8 MiB, the blocking loop's coalescing), the fastest
 * storm this test can make loses nothing. */
static void
test_default_settings_lose_nothing(void **state)
{
	struct relayfork_monitor *m = NULL;
	struct storm storm = { 0 };
	struct tally t = { .storm = &storm, .live = calloc(PID_LIMIT, 1) };

	assert_int_equal(relayfork_monitor_new(0, &m), 0);
	assert_int_equal(relayfork_monitor_start(m), 0);
	/* As many workers as CPUs: the storm the machine sustains, with
	 * the reader getting its share. */
	storm_start(&storm, (int)sysconf(_SC_NPROCESSORS_ONLN), 1000);
	while (storm_running(&storm))
		if (relayfork_monitor_wait(m, 100) > 0)
			assert_int_equal(relayfork_monitor_dispatch(m, count, &t), 0);
	storm_end(&storm);
	while (relayfork_monitor_wait(m, 200) > 0)
		assert_int_equal(relayfork_monitor_dispatch(m, count, &t), 0);
	print_message("storm: %llu tasks created, %llu of their events "
		      "received, %llu lost\n",
		      (unsigned long long)storm.created,
		      (unsigned long long)t.storm_events,
		      (unsigned long long)t.lost);
	assert_true(storm.created > 1000);
	assert_int_equal(t.lost, 0);
	assert_int_equal(relayfork_monitor_get_counter(m, RELAYFORK_COUNTER_LOST), 0);
	/* A fork and an exit for every task, no more, no less. */
	assert_int_equal(t.storm_events, 2 * storm.created);
	relayfork_monitor_unref(m);
	free(t.live);
}

/* The smallest buffer, read in bursts: events are lost, and every one
 * of the storm's is accounted for, received or lost. */
static void
test_tiny_buffer_accounts_for_everything(void **state)
{
	struct relayfork_monitor *m = NULL;
	struct storm storm = { 0 };
	struct tally t = { .storm = &storm, .live = calloc(PID_LIMIT, 1) };

	assert_int_equal(relayfork_monitor_new(0, &m), 0);
	assert_true(relayfork_monitor_set_receive_buffer_size(m, 1) > 0);
	assert_int_equal(relayfork_monitor_start(m), 0);
	storm_start(&storm, 2, 500);
	while (storm_running(&storm)) {
		usleep(10 * 1000); /* fall behind on purpose */
		assert_int_equal(relayfork_monitor_dispatch(m, count, &t), 0);
	}
	storm_end(&storm);
	while (relayfork_monitor_wait(m, 200) > 0)
		assert_int_equal(relayfork_monitor_dispatch(m, count, &t), 0);
	print_message("storm: %llu tasks created, %llu of their events "
		      "received, %llu lost in %llu reports\n",
		      (unsigned long long)storm.created,
		      (unsigned long long)t.storm_events,
		      (unsigned long long)t.lost,
		      (unsigned long long)t.lost_reports);
	assert_true(t.lost > 0);
	assert_true(t.storm_events <= 2 * storm.created);
	assert_true(t.storm_events + t.lost >= 2 * storm.created);
	assert_int_equal(relayfork_monitor_get_counter(m, RELAYFORK_COUNTER_LOST),
			 t.lost);
	relayfork_monitor_unref(m);
	free(t.live);
}

static void
test_buffer_grows_after_loss(void **state)
{
	struct relayfork_monitor *m = NULL;
	struct storm storm = { 0 };
	struct tally t = { .storm = &storm, .live = calloc(PID_LIMIT, 1) };
	int before, after;
	socklen_t len = sizeof(int);

	assert_int_equal(relayfork_monitor_new(0, &m), 0);
	before = relayfork_monitor_set_receive_buffer_size(m, 4096);
	assert_true(before > 0);
	assert_int_equal(relayfork_monitor_set_receive_buffer_growth(m, 4 << 20), 0);
	assert_int_equal(relayfork_monitor_start(m), 0);
	storm_start(&storm, 2, 300);
	while (storm_running(&storm)) {
		usleep(10 * 1000);
		relayfork_monitor_dispatch(m, count, &t);
	}
	storm_end(&storm);
	while (relayfork_monitor_wait(m, 100) > 0)
		relayfork_monitor_dispatch(m, count, &t);
	assert_true(t.lost_reports > 0);
	assert_int_equal(getsockopt(relayfork_monitor_get_fd(m), SOL_SOCKET,
				    SO_RCVBUF, &after, &len), 0);
	assert_true(after > before);
	assert_true(after <= 2 * (4 << 20));
	relayfork_monitor_unref(m);
	free(t.live);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_settings_lose_nothing),
		cmocka_unit_test(test_tiny_buffer_accounts_for_everything),
		cmocka_unit_test(test_buffer_grows_after_loss),
	};

	require_proc_events();
	return cmocka_run_group_tests_name("stress", tests, NULL, NULL);
}
