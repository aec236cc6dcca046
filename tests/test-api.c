// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Public entry points given bad arguments return -EINVAL (or a neutral
 * value) instead of crashing; names and error texts are complete.
 * Needs no privilege and no subscription.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <sys/utsname.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <relayfork/relayfork.h>

/* Creating a monitor needs only a kernel with the connector. */
static struct relayfork_monitor *
new_or_skip(void)
{
	struct relayfork_monitor *m = NULL;
	int r = relayfork_monitor_new(0, &m);

	if (r == -EPROTONOSUPPORT)
		skip();
	assert_int_equal(r, 0);
	return m;
}

static void
test_new_rejects_bad_arguments(void **state)
{
	struct relayfork_monitor *m = (struct relayfork_monitor *)0x1;

	assert_int_equal(relayfork_monitor_new(0, NULL), -EINVAL);
	assert_int_equal(relayfork_monitor_new(1u << 7, &m), -EINVAL);
	/* The output parameter is not touched on failure. */
	assert_ptr_equal(m, (struct relayfork_monitor *)0x1);
}

static void
test_null_monitor(void **state)
{
	struct relayfork_event ev;

	assert_null(relayfork_monitor_ref(NULL));
	assert_null(relayfork_monitor_unref(NULL));
	assert_int_equal(relayfork_monitor_set_events(NULL, RELAYFORK_EVENTS_ALL),
			 -EINVAL);
	assert_int_equal(relayfork_monitor_get_events(NULL), 0);
	assert_int_equal(relayfork_monitor_set_receive_buffer_size(NULL, 4096),
			 -EINVAL);
	assert_int_equal(relayfork_monitor_start(NULL), -EINVAL);
	assert_int_equal(relayfork_monitor_stop(NULL), -EINVAL);
	assert_int_equal(relayfork_monitor_get_fd(NULL), -EINVAL);
	assert_int_equal(relayfork_monitor_receive(NULL, &ev), -EINVAL);
	assert_int_equal(relayfork_monitor_get_filter_mode(NULL), -EINVAL);
	assert_int_equal(relayfork_monitor_get_counter(NULL, 0), 0);
	relayfork_monitor_set_log_fn(NULL, NULL, NULL);
	relayfork_monitor_set_log_priority(NULL, RELAYFORK_LOG_DEBUG);
}

static void
test_bad_values(void **state)
{
	struct relayfork_monitor *m = new_or_skip();

	assert_int_equal(relayfork_monitor_get_events(m), RELAYFORK_EVENTS_ALL);
	assert_int_equal(relayfork_monitor_set_events(m, 0), -EINVAL);
	assert_int_equal(relayfork_monitor_set_events(m, 1u << 0), -EINVAL);
	assert_int_equal(relayfork_monitor_set_events(m, 1u << 10), -EINVAL);
	assert_int_equal(relayfork_monitor_set_events(m, 1u << 31), -EINVAL);
	/* A modifier alone selects no event type. */
	assert_int_equal(relayfork_monitor_set_events(m,
			 RELAYFORK_EVENTS_SKIP_THREADS), -EINVAL);
	/* A rejected mask leaves the old one in place. */
	assert_int_equal(relayfork_monitor_get_events(m), RELAYFORK_EVENTS_ALL);
	assert_int_equal(relayfork_monitor_set_events(m,
			 RELAYFORK_EVENTS_EXIT_FAILURE), 0);
	assert_int_equal(relayfork_monitor_get_events(m),
			 RELAYFORK_EVENTS_EXIT_FAILURE);
	assert_int_equal(relayfork_monitor_set_receive_buffer_size(m, 0), -EINVAL);
	assert_int_equal(relayfork_monitor_receive(m, NULL), -EINVAL);
	assert_int_equal(relayfork_monitor_dispatch(m, NULL, NULL), -EINVAL);
	assert_int_equal(relayfork_monitor_get_counter(m, -1), 0);
	assert_int_equal(relayfork_monitor_get_counter(m, 1000), 0);
	m = relayfork_monitor_unref(m);
	assert_null(m);
}

static void
test_not_started(void **state)
{
	struct relayfork_monitor *m = new_or_skip();
	struct relayfork_event ev;
	int fd;

	fd = relayfork_monitor_get_fd(m);
	assert_true(fd >= 0);
	assert_int_equal(relayfork_monitor_get_filter_mode(m),
			 RELAYFORK_FILTER_UNKNOWN);
	/* Nothing subscribed: nothing to receive, no error. */
	assert_int_equal(relayfork_monitor_receive(m, &ev), 0);
	assert_int_equal(relayfork_monitor_stop(m), 0);
	assert_ptr_equal(relayfork_monitor_ref(m), m);
	assert_null(relayfork_monitor_unref(m));
	/* Still alive: one reference left. */
	assert_int_equal(relayfork_monitor_get_fd(m), fd);
	relayfork_monitor_unref(m);
}

static void
test_type_names(void **state)
{
	static const struct {
		int type;
		const char *name;
	} names[] = {
		{ RELAYFORK_EVENT_NONE, "none" },
		{ RELAYFORK_EVENT_FORK, "fork" },
		{ RELAYFORK_EVENT_EXEC, "exec" },
		{ RELAYFORK_EVENT_EXIT, "exit" },
		{ RELAYFORK_EVENT_UID, "uid" },
		{ RELAYFORK_EVENT_GID, "gid" },
		{ RELAYFORK_EVENT_SID, "sid" },
		{ RELAYFORK_EVENT_PTRACE, "ptrace" },
		{ RELAYFORK_EVENT_COMM, "comm" },
		{ RELAYFORK_EVENT_COREDUMP, "coredump" },
		{ RELAYFORK_EVENT_LOST, "lost" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_string_equal(relayfork_event_type_name(names[i].type),
				    names[i].name);
	assert_null(relayfork_event_type_name(10));
	assert_null(relayfork_event_type_name(-1));
}

static void
test_error_texts(void **state)
{
	static const int explained[] = { EPROTONOSUPPORT, EOPNOTSUPP,
					 ECONNREFUSED, EPERM };
	struct utsname u;
	int major = 0, minor = 0;
	unsigned int i, j;

	for (i = 0; i < sizeof(explained) / sizeof(explained[0]); i++) {
		const char *text = relayfork_strerror(-explained[i]);

		/* A sentence that says more than strerror(3) does. */
		assert_non_null(text);
		assert_string_not_equal(text, strerror(explained[i]));
		assert_true(strlen(text) > 40);
		assert_string_equal(text, relayfork_strerror(explained[i]));
		for (j = 0; j < i; j++)
			assert_string_not_equal(text,
						relayfork_strerror(-explained[j]));
	}
	assert_string_equal(relayfork_strerror(-ENOMEM), strerror(ENOMEM));
	/* No negation past INT_MIN; texts for codes that are not errnos
	 * stay valid while others are asked for (static, as promised). */
	{
		const char *a = relayfork_strerror(INT_MIN);
		const char *b = relayfork_strerror(-5000);
		const char *c = relayfork_strerror(5001);

		assert_string_equal(a, "Unknown error");
		assert_string_equal(b, "Unknown error");
		assert_string_equal(c, "Unknown error");
		assert_string_equal(relayfork_strerror(INT_MAX), "Unknown error");
	}
	assert_non_null(strstr(relayfork_strerror(-EPROTONOSUPPORT),
			       "CONFIG_PROC_EVENTS"));
	/* The texts are true for taskstats as for the monitor. */
	assert_non_null(strstr(relayfork_strerror(-EPROTONOSUPPORT),
			       "CONFIG_TASKSTATS"));
	assert_non_null(strstr(relayfork_strerror(-ECONNREFUSED),
			       "resource usage"));
	/* EPERM names both of its sources: taskstats without
	 * CAP_NET_ADMIN, and a forwarder that may not signal a process;
	 * no advice that would be false for either. */
	assert_non_null(strstr(relayfork_strerror(-EPERM), "CAP_NET_ADMIN"));
	assert_non_null(strstr(relayfork_strerror(-EPERM), "forwarder"));
	/* Codes other functions return for other reasons get no advice
	 * that would be false for them: a handler's EBUSY. */
	assert_string_equal(relayfork_strerror(-EBUSY), strerror(EBUSY));
	/* Not allowed to listen: advice only where it can be true, on
	 * kernels before 6.6 (the qemu suite runs this on 6.1). */
	assert_int_equal(uname(&u), 0);
	assert_int_equal(sscanf(u.release, "%d.%d", &major, &minor), 2);
	if (major < 6 || (major == 6 && minor < 6))
		assert_non_null(strstr(relayfork_strerror(-EACCES),
				       "CAP_NET_ADMIN"));
	else
		assert_string_equal(relayfork_strerror(-EACCES),
				    strerror(EACCES));
}

/* An attribution table refuses bad arguments and knows no process
 * before it is fed (nothing is read from /proc for a query). */
static void
test_attribution_arguments(void **state)
{
	struct relayfork_attribution *a = (struct relayfork_attribution *)0x1;
	struct relayfork_attribution_info info;
	struct relayfork_event ev;

	assert_int_equal(relayfork_attribution_new(0, NULL), -EINVAL);
	assert_int_equal(relayfork_attribution_new(1, &a), -EINVAL);
	assert_ptr_equal(a, (struct relayfork_attribution *)0x1);
	assert_null(relayfork_attribution_free(NULL));
	assert_int_equal(relayfork_attribution_new(0, &a), 0);
	memset(&ev, 0, sizeof(ev));
	assert_int_equal(relayfork_attribution_handle(NULL, &ev), -EINVAL);
	assert_int_equal(relayfork_attribution_handle(a, NULL), -EINVAL);
	/* Types it has nothing to do with. */
	assert_int_equal(relayfork_attribution_handle(a, &ev), 0);
	ev.type = 77;
	assert_int_equal(relayfork_attribution_handle(a, &ev), 0);
	assert_int_equal(relayfork_attribution_get(NULL, 1, &info), -EINVAL);
	assert_int_equal(relayfork_attribution_get(a, 1, NULL), -EINVAL);
	assert_int_equal(relayfork_attribution_get(a, getpid(), &info), -ENOENT);
	assert_int_equal(relayfork_attribution_get(a, 0, &info), -ENOENT);
	assert_int_equal(relayfork_attribution_get(a, -1, &info), -ENOENT);
	assert_int_equal(relayfork_attribution_set_limit(a, 0), -EINVAL);
	assert_int_equal(relayfork_attribution_set_limit(NULL, 1), -EINVAL);
	assert_int_equal(relayfork_attribution_get_counter(a, -1), 0);
	assert_int_equal(relayfork_attribution_get_counter(a, 99), 0);
	assert_int_equal(relayfork_attribution_get_counter(NULL, 0), 0);
	assert_int_equal(relayfork_attribution_get_counter(
				 a, RELAYFORK_ATTRIBUTION_READS), 0);
	assert_null(relayfork_attribution_free(a));
	/* The record's size is part of the ABI. */
	assert_int_equal(sizeof(info), 4 * 4 + 2 * 8 +
				 sizeof(struct relayfork_container) +
				 RELAYFORK_CGROUP_PATH_MAX + 64);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_rejects_bad_arguments),
		cmocka_unit_test(test_null_monitor),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_not_started),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_error_texts),
		cmocka_unit_test(test_attribution_arguments),
	};

	return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
