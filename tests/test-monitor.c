// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The monitor's contract, against the real kernel: waiting and the
 * coalescing pause, the mask applied to every event it returns, the
 * start guarantee, overflow without POLLERR, the receive buffer's size,
 * and namespaces that /proc cannot show.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "helpers.h"

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

static struct relayfork_monitor *
new_monitor(unsigned int flags, uint32_t mask)
{
	struct relayfork_monitor *m = NULL;

	assert_int_equal(relayfork_monitor_new(flags, &m), 0);
	assert_int_equal(relayfork_monitor_set_events(m, mask), 0);
	return m;
}

static uint32_t
meminfo(struct relayfork_monitor *m, unsigned int index)
{
	uint32_t info[16] = { 0 };
	socklen_t len = sizeof(info);

	assert_int_equal(getsockopt(relayfork_monitor_get_fd(m), SOL_SOCKET,
				    SO_MEMINFO, info, &len), 0);
	return info[index];
}

#define MEMINFO_RMEM_ALLOC 0
#define MEMINFO_DROPS 8

/* A process that runs /bin/true over and over until stopped; a failed
 * test's teardown stops it too. */
static pid_t storm_pid;

static pid_t
start_storm(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "while :; do /bin/true; done",
		      (char *)NULL);
		_exit(127);
	}
	storm_pid = pid;
	return pid;
}

static void
stop_storm(pid_t pid)
{
	kill(pid, SIGKILL);
	wait_child(pid);
	storm_pid = 0;
}

static int
teardown(void **state)
{
	if (storm_pid > 0)
		stop_storm(storm_pid);
	return 0;
}

/* Drain; returns how many events came. */
static size_t
drain(struct relayfork_monitor *m)
{
	struct relayfork_event ev;
	size_t n = 0;
	int r;

	while ((r = relayfork_monitor_receive(m, &ev)) > 0)
		n++;
	assert_int_equal(r, 0);
	return n;
}

/* Drain; returns how many events the loss reports among them counted. */
static uint64_t
drain_lost(struct relayfork_monitor *m)
{
	struct relayfork_event ev;
	uint64_t lost = 0;
	int r;

	while ((r = relayfork_monitor_receive(m, &ev)) > 0)
		if (ev.type == RELAYFORK_EVENT_LOST)
			lost += ev.u.lost.count;
	assert_int_equal(r, 0);
	return lost;
}

static void
test_wait_forever_waits(void **state)
{
	struct relayfork_monitor *m = new_monitor(0, RELAYFORK_EVENTS_SID);
	pid_t child;
	bool seen = false;
	int r;

	assert_int_equal(relayfork_monitor_start(m), 0);
	assert_int_equal(relayfork_monitor_get_poll_delay(m), 0);
	/* A drain that finds events: the next wait pauses first. */
	child = fork();
	if (child == 0) {
		setsid();
		_exit(0);
	}
	wait_child(child);
	assert_int_equal(relayfork_monitor_wait(m, WAIT_MS), 1);
	assert_true(drain(m) > 0);
	assert_int_equal(relayfork_monitor_get_poll_delay(m), 1000);

	/* An event only a quarter of a second later: waiting "as long as
	 * it takes" must not give up after the pause. */
	child = fork();
	if (child == 0) {
		usleep(250 * 1000);
		setsid();
		_exit(0);
	}
	while (!seen) {
		struct relayfork_event ev;

		r = relayfork_monitor_wait(m, -1);
		assert_int_equal(r, 1);
		while (relayfork_monitor_receive(m, &ev) > 0)
			seen = seen || ev.tgid == child;
	}
	wait_child(child);

	/* A drain that found nothing: no pause. */
	assert_int_equal(drain(m), 0);
	assert_int_equal(relayfork_monitor_get_poll_delay(m), 0);
	assert_int_equal(relayfork_monitor_wait(m, 0), 0);
	relayfork_monitor_unref(m);
}

static void *
nothing(void *arg)
{
	return NULL;
}

/* A drain that received only events it does not deliver (threads
 * followed to tell process ends) was busy all the same: a reader that
 * woke for each would pay a wake-up per event. */
static void
test_busy_without_deliveries(void **state)
{
	struct relayfork_monitor *m =
		new_monitor(0, RELAYFORK_EVENTS_EXIT | RELAYFORK_EVENTS_SKIP_THREADS);
	int go[2], i;
	pid_t child;
	char c;

	assert_int_equal(pipe(go), 0);
	assert_int_equal(relayfork_monitor_start(m), 0);
	drain(m);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(go[1]);
		for (i = 0; i < 20; i++) {
			pthread_t t;

			if (pthread_create(&t, NULL, nothing, NULL) == 0)
				pthread_join(t, NULL);
		}
		/* Stay, so that no exit of a process is delivered. */
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	while (relayfork_monitor_get_counter(m, RELAYFORK_COUNTER_FOLLOWED) < 40) {
		struct pollfd pfd = { .fd = relayfork_monitor_get_fd(m),
				      .events = POLLIN };

		assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
		drain(m);
	}
	assert_int_equal(relayfork_monitor_get_poll_delay(m), 1000);
	close(go[1]);
	wait_child(child);
	close(go[0]);
	relayfork_monitor_unref(m);
}

static void
test_timeouts(void **state)
{
	struct relayfork_monitor *m = new_monitor(0, RELAYFORK_EVENTS_SID);
	int64_t start;

	assert_int_equal(relayfork_monitor_start(m), 0);
	start = now_ms();
	assert_int_equal(relayfork_monitor_wait(m, 120), 0);
	assert_true(now_ms() - start >= 110);
	assert_true(now_ms() - start < 2000);
	relayfork_monitor_unref(m);
}

/* Overflow a monitor whose buffer holds a few events: `storm` makes
 * events while we do not read for ms. */
static void
overflow(struct relayfork_monitor *m, int ms)
{
	uint32_t drops = meminfo(m, MEMINFO_DROPS);

	while (meminfo(m, MEMINFO_DROPS) == drops)
		usleep((useconds_t)ms * 1000);
}

static void
test_overflow_keeps_the_descriptor_readable(void **state)
{
	struct relayfork_monitor *m = new_monitor(0, RELAYFORK_EVENTS_ALL);
	pid_t storm;
	uint64_t lost = 0;
	int rounds;

	assert_true(relayfork_monitor_set_receive_buffer_size(m, 1) > 0);
	assert_int_equal(relayfork_monitor_start(m), 0);
	storm = start_storm();
	for (rounds = 0; rounds < 5; rounds++) {
		struct pollfd pfd = { .fd = relayfork_monitor_get_fd(m),
				      .events = POLLIN };

		overflow(m, 20);
		/* Event loops (libuv) take POLLERR for a dead descriptor. */
		assert_int_equal(poll(&pfd, 1, 0), 1);
		assert_int_equal(pfd.revents, POLLIN);
		lost += drain_lost(m);
	}
	stop_storm(storm);
	/* Unsubscribed, the socket takes no more and drops no more (the
	 * machine makes events of its own); what is queued stays, and so
	 * does what was dropped since the last drain (the storm's end
	 * fills the buffer again). */
	assert_int_equal(relayfork_monitor_stop(m), 0);
	lost += drain_lost(m);
	/* Exactly what the kernel dropped, reported in the stream. */
	assert_true(lost > 0);
	assert_int_equal(lost, meminfo(m, MEMINFO_DROPS));
	assert_int_equal(lost, relayfork_monitor_get_counter(m, RELAYFORK_COUNTER_LOST));
	relayfork_monitor_unref(m);
}

/*
 * An event held back while a loss report goes first is still checked
 * against the mask when it is returned, after a change.  A reader that
 * falls behind a storm sees events queued again after the loss: the
 * first of them is held back behind the report.
 */
static void
test_mask_change_applies_to_held_events(void **state)
{
	struct relayfork_monitor *m = new_monitor(0, RELAYFORK_EVENTS_ALL);
	pid_t storm;
	int rounds, losses = 0;

	assert_true(relayfork_monitor_set_receive_buffer_size(m, 128 << 10) > 0);
	assert_int_equal(relayfork_monitor_start(m), 0);
	storm = start_storm();
	for (rounds = 0; rounds < 5; rounds++) {
		struct relayfork_event ev;
		bool changed = false;
		int r;

		assert_int_equal(relayfork_monitor_set_events(m, RELAYFORK_EVENTS_ALL), 0);
		overflow(m, 20);
		while ((r = relayfork_monitor_receive(m, &ev)) > 0) {
			if (changed) {
				/* The storm makes forks, execs and exits:
				 * none of them may come now. */
				assert_true(ev.type == RELAYFORK_EVENT_LOST ||
					    ev.type == RELAYFORK_EVENT_COMM);
				continue;
			}
			if (ev.type == RELAYFORK_EVENT_LOST) {
				losses++;
				assert_int_equal(relayfork_monitor_set_events(
							 m, RELAYFORK_EVENTS_COMM),
						 0);
				changed = true;
				continue;
			}
			/* Slower than the storm: newer events queue. */
			usleep(200);
		}
		assert_int_equal(r, 0);
	}
	stop_storm(storm);
	assert_true(losses > 0);
	relayfork_monitor_unref(m);
}

/* Every event made after start() returns is delivered or counted as
 * lost, on both filter paths: no window while subscribing. */
static void
test_start_guarantee(void **state)
{
	unsigned int flags[] = { 0, RELAYFORK_MONITOR_NO_KERNEL_FILTER };
	unsigned int f, i;

	for (f = 0; f < 2; f++) {
		for (i = 0; i < 20; i++) {
			struct relayfork_monitor *m =
				new_monitor(flags[f], RELAYFORK_EVENTS_FORK |
							      RELAYFORK_EVENTS_SKIP_THREADS);
			struct evlog log = { 0 };
			const struct relayfork_event *found;
			pid_t child;

			assert_int_equal(relayfork_monitor_start(m), 0);
			child = fork();
			if (child == 0)
				_exit(0);
			wait_child(child);
			found = evlog_wait(m, &log, RELAYFORK_EVENT_FORK, child,
					   WAIT_MS);
			assert_true(found || relayfork_monitor_get_counter(
						     m, RELAYFORK_COUNTER_LOST) > 0);
			relayfork_monitor_unref(m);
			evlog_free(&log);
		}
	}
}

static int
rmem_max(void)
{
	FILE *f = fopen("/proc/sys/net/core/rmem_max", "re");
	int v = 0;

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &v), 1);
	fclose(f);
	return v;
}

static void
test_receive_buffer(void **state)
{
	struct relayfork_monitor *m = new_monitor(0, RELAYFORK_EVENTS_FORK);
	struct relayfork_event ev;
	uint32_t before, freed;
	pid_t child;
	int i, status;

	/* The default: 8 MiB asked, counted twice by the kernel. */
	if (geteuid() == 0)
		assert_int_equal(relayfork_monitor_get_receive_buffer_size(m),
				 16 << 20);
	assert_int_equal(relayfork_monitor_set_receive_buffer_size(m, 1 << 20),
			 2 << 20);
	assert_int_equal(relayfork_monitor_get_receive_buffer_size(m), 2 << 20);

	/* What one queued event takes: queue a few hundred, then see how
	 * much one receive (a batch of 128) frees. */
	assert_int_equal(relayfork_monitor_start(m), 0);
	for (i = 0; i < 300; i++) {
		child = fork();
		if (child == 0)
			_exit(0);
		wait_child(child);
	}
	before = meminfo(m, MEMINFO_RMEM_ALLOC);
	assert_true(before >= 200 * RELAYFORK_QUEUED_EVENT_BYTES);
	assert_int_equal(relayfork_monitor_receive(m, &ev), 1);
	freed = before - meminfo(m, MEMINFO_RMEM_ALLOC);
	assert_true(freed / 128 >= RELAYFORK_QUEUED_EVENT_BYTES * 9 / 10);
	assert_true(freed / 128 <= RELAYFORK_QUEUED_EVENT_BYTES * 11 / 10);
	relayfork_monitor_unref(m);

	/* Without CAP_NET_ADMIN the request is capped at rmem_max. */
	if (geteuid() != 0)
		return;
	child = fork();
	if (child == 0) {
		int want = 2 * (rmem_max() < (8 << 20) ? rmem_max() : 8 << 20);

		if (setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(100);
		m = NULL;
		if (relayfork_monitor_new(0, &m) < 0)
			_exit(101);
		_exit(relayfork_monitor_get_receive_buffer_size(m) == want ? 0 : 102);
	}
	status = wait_child(child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/*
 * In a user namespace with /proc hidden (a tmpfs over it), nothing in
 * /proc tells the namespaces; the kernel would ignore the subscription
 * and the monitor hear nothing.  start() must say so.  With /proc hidden
 * in the initial namespaces (only a mount namespace), it must work.
 */
static int
start_with_hidden_proc(int clone_flags)
{
	struct relayfork_monitor *m = NULL;
	int r;

	if (unshare(clone_flags | CLONE_NEWNS) < 0)
		return 100;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("none", "/proc", "tmpfs", 0, NULL) < 0)
		return 101;
	if (access("/proc/self", F_OK) == 0)
		return 102;
	r = relayfork_monitor_new(0, &m);
	if (r == 0)
		r = relayfork_monitor_start(m);
	relayfork_monitor_unref(m);
	return -r;
}

/* This binary runs again as the child ("hidden-proc FLAGS"): its exit
 * status must be its own, not valgrind's when the test runs under it. */
static const char *self;

static void
check_hidden_proc(int clone_flags, int expected_errno)
{
	char flags[16];
	pid_t child;
	int status;

	snprintf(flags, sizeof(flags), "%d", clone_flags);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		execl(self, self, "hidden-proc", flags, (char *)NULL);
		_exit(127);
	}
	status = wait_child(child);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) >= 100)
		fail_msg("cannot hide /proc here (step %d)", WEXITSTATUS(status));
	assert_int_equal(WEXITSTATUS(status), expected_errno);
}

static void
test_hidden_proc(void **state)
{
	struct relayfork_monitor *m = NULL;
	int mode;

	if (geteuid() != 0)
		skip();
	assert_int_equal(relayfork_monitor_new(0, &m), 0);
	assert_int_equal(relayfork_monitor_start(m), 0);
	mode = relayfork_monitor_get_filter_mode(m);
	relayfork_monitor_unref(m);
	/* Before Linux 6.6 a user namespace may not even join the group
	 * (no CAP_NET_ADMIN in the initial one), and says so. */
	check_hidden_proc(CLONE_NEWUSER, mode == RELAYFORK_FILTER_KERNEL
						 ? EOPNOTSUPP
						 : EACCES);
	check_hidden_proc(0, 0);
}

/*
 * A child that inherited a started monitor shares its socket: nothing it
 * does may change the parent's subscription.  It gets -ECHILD, and the
 * parent goes on receiving.
 */
static void
test_inherited_monitor_refuses(void **state)
{
	struct relayfork_monitor *m = new_monitor(0, RELAYFORK_EVENTS_FORK);
	struct relayfork_monitor *idle = new_monitor(0, RELAYFORK_EVENTS_FORK);
	struct evlog log = { 0 };
	pid_t child;
	int status, i;

	assert_int_equal(relayfork_monitor_start(m), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		int bad = 0;

		bad += relayfork_monitor_set_events(m, RELAYFORK_EVENTS_COMM) != -ECHILD;
		bad += relayfork_monitor_stop(m) != -ECHILD;
		bad += relayfork_monitor_start(m) != -ECHILD;
		bad += relayfork_monitor_set_receive_buffer_size(m, 4096) != -ECHILD;
		bad += relayfork_monitor_set_receive_buffer_growth(m, 1 << 20) != -ECHILD;
		/* Not started in the parent: starting it here would put a
		 * subscription on a socket the parent holds. */
		bad += relayfork_monitor_start(idle) != -ECHILD;
		bad += relayfork_monitor_get_events(m) != RELAYFORK_EVENTS_FORK;
		relayfork_monitor_unref(m);
		relayfork_monitor_unref(idle);
		_exit(bad);
	}
	status = wait_child(child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(relayfork_monitor_get_events(m), RELAYFORK_EVENTS_FORK);
	assert_true(relayfork_monitor_get_receive_buffer_size(m) > 4096 * 2);
	/* The parent still hears every fork. */
	for (i = 0; i < 5; i++) {
		child = fork();
		if (child == 0)
			_exit(0);
		wait_child(child);
		assert_non_null(evlog_wait(m, &log, RELAYFORK_EVENT_FORK, child,
					   WAIT_MS));
	}
	relayfork_monitor_unref(m);
	relayfork_monitor_unref(idle);
	evlog_free(&log);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wait_forever_waits),
		cmocka_unit_test(test_busy_without_deliveries),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test_teardown(test_overflow_keeps_the_descriptor_readable,
					  teardown),
		cmocka_unit_test_teardown(test_mask_change_applies_to_held_events,
					  teardown),
		cmocka_unit_test(test_start_guarantee),
		cmocka_unit_test(test_receive_buffer),
		cmocka_unit_test(test_hidden_proc),
		cmocka_unit_test(test_inherited_monitor_refuses),
	};

	/* _exit: a sanitizer's leak check at exit needs the /proc the
	 * child hid. */
	if (argc == 3 && strcmp(argv[1], "hidden-proc") == 0)
		_exit(start_with_hidden_proc(atoi(argv[2])));
	self = argv[0];
	require_proc_events();
	return cmocka_run_group_tests_name("monitor", tests, NULL, NULL);
}
