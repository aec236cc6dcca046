// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The subscription messages against golden bytes, the mapping of our
 * event mask to the kernel's, and the classic BPF fallback filter run on
 * hand-built datagrams.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "datagram.h"
#include "filter.h"
#include "subscribe.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the golden messages below are little-endian"
#endif

/* PROC_CN_MCAST_LISTEN, legacy form, seq 7, ack 0x01020304. */
static const unsigned char golden_listen_legacy[] = {
	0x28, 0x00, 0x00, 0x00,	/* nlmsg_len 40 */
	0x03, 0x00,		/* NLMSG_DONE */
	0x00, 0x00,		/* flags */
	0x07, 0x00, 0x00, 0x00,	/* seq */
	0x00, 0x00, 0x00, 0x00,	/* port id */
	0x01, 0x00, 0x00, 0x00,	/* CN_IDX_PROC */
	0x01, 0x00, 0x00, 0x00,	/* CN_VAL_PROC */
	0x07, 0x00, 0x00, 0x00,	/* cn seq */
	0x04, 0x03, 0x02, 0x01,	/* cn ack */
	0x04, 0x00,		/* cn len 4 */
	0x00, 0x00,		/* cn flags */
	0x01, 0x00, 0x00, 0x00,	/* PROC_CN_MCAST_LISTEN */
};

/* PROC_CN_MCAST_IGNORE, legacy form, seq 0, ack 0. */
static const unsigned char golden_ignore_legacy[] = {
	0x28, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x04, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x00, 0x00,	/* PROC_CN_MCAST_IGNORE */
};

/* struct proc_input { LISTEN, FORK|EXIT }, seq 1, ack 2. */
static const unsigned char golden_listen_filtered[] = {
	0x2c, 0x00, 0x00, 0x00,	/* nlmsg_len 44 */
	0x03, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00,	/* cn seq */
	0x02, 0x00, 0x00, 0x00,	/* cn ack */
	0x08, 0x00,		/* cn len 8 */
	0x00, 0x00,
	0x01, 0x00, 0x00, 0x00,	/* mcast_op LISTEN */
	0x01, 0x00, 0x00, 0x80,	/* PROC_EVENT_FORK | PROC_EVENT_EXIT */
};

/* struct proc_input { IGNORE, NONE }. */
static const unsigned char golden_ignore_filtered[] = {
	0x2c, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
};

static void
check_encoding(enum subscribe_form form, uint32_t op, uint32_t type,
	       uint32_t seq, uint32_t ack, const unsigned char *golden,
	       size_t golden_len)
{
	unsigned char buf[SUBSCRIBE_MSG_MAX + 16];
	size_t len;

	/* Stale bytes must not leak into the message. */
	memset(buf, 0xa5, sizeof(buf));
	len = subscribe_encode(buf, form, op, type, seq, ack);
	assert_int_equal(len, golden_len);
	assert_memory_equal(buf, golden, golden_len);
}

static void
test_golden_messages(void **state)
{
	check_encoding(SUBSCRIBE_LEGACY, KCN_MCAST_LISTEN, KCN_EVENT_ALL, 7,
		       0x01020304, golden_listen_legacy,
		       sizeof(golden_listen_legacy));
	check_encoding(SUBSCRIBE_LEGACY, KCN_MCAST_IGNORE, 0, 0, 0,
		       golden_ignore_legacy, sizeof(golden_ignore_legacy));
	check_encoding(SUBSCRIBE_FILTERED, KCN_MCAST_LISTEN,
		       KCN_EVENT_FORK | KCN_EVENT_EXIT, 1, 2,
		       golden_listen_filtered, sizeof(golden_listen_filtered));
	check_encoding(SUBSCRIBE_FILTERED, KCN_MCAST_IGNORE, KCN_EVENT_NONE, 0,
		       5, golden_ignore_filtered,
		       sizeof(golden_ignore_filtered));
}

static void
test_kernel_mask(void **state)
{
	assert_int_equal(subscribe_kernel_mask(RELAYFORK_EVENTS_ALL),
			 KCN_EVENT_ALL);
	assert_int_equal(subscribe_kernel_mask(RELAYFORK_EVENTS_ALL |
					       RELAYFORK_EVENTS_EXIT_FAILURE),
			 KCN_EVENT_ALL);
	assert_int_equal(subscribe_kernel_mask(RELAYFORK_EVENTS_FORK),
			 KCN_EVENT_FORK);
	assert_int_equal(subscribe_kernel_mask(RELAYFORK_EVENTS_EXEC |
					       RELAYFORK_EVENTS_UID |
					       RELAYFORK_EVENTS_GID |
					       RELAYFORK_EVENTS_SID |
					       RELAYFORK_EVENTS_PTRACE |
					       RELAYFORK_EVENTS_COMM |
					       RELAYFORK_EVENTS_COREDUMP),
			 KCN_EVENT_EXEC | KCN_EVENT_UID | KCN_EVENT_GID |
				 KCN_EVENT_SID | KCN_EVENT_PTRACE |
				 KCN_EVENT_COMM | KCN_EVENT_COREDUMP);
	/* "Failures only" is NONZERO_EXIT without EXIT: with EXIT the
	 * kernel would deliver every exit. */
	assert_int_equal(subscribe_kernel_mask(RELAYFORK_EVENTS_EXIT_FAILURE),
			 KCN_EVENT_NONZERO_EXIT);
	assert_int_equal(subscribe_kernel_mask(RELAYFORK_EVENTS_EXIT |
					       RELAYFORK_EVENTS_EXIT_FAILURE),
			 KCN_EVENT_EXIT);
}

static const uint32_t kernel_types[] = {
	KCN_EVENT_FORK, KCN_EVENT_EXEC, KCN_EVENT_UID, KCN_EVENT_GID,
	KCN_EVENT_SID, KCN_EVENT_PTRACE, KCN_EVENT_COMM, KCN_EVENT_COREDUMP,
	KCN_EVENT_EXIT,
};

static uint32_t
run_on(const struct filter_program *prog, uint32_t what, uint32_t exit_code)
{
	unsigned char buf[DGRAM_EVENT_LEN];
	struct dgram_event e = { .what = what,
				 .data = { 1, 1, exit_code, SIGCHLD } };

	dgram_put_event(buf, &e);
	return filter_run(prog, buf, sizeof(buf));
}

static void
test_filter_single_types(void **state)
{
	unsigned int i, j;

	/* Each one-type mask keeps that type and nothing else. */
	for (i = 0; i < sizeof(kernel_types) / sizeof(kernel_types[0]); i++) {
		struct filter_program prog;
		uint32_t mask = 0;

		for (j = RELAYFORK_EVENT_FORK; j <= RELAYFORK_EVENT_COREDUMP; j++)
			if (subscribe_kernel_mask(1u << j) == kernel_types[i])
				mask = 1u << j;
		assert_int_not_equal(mask, 0);
		filter_build(&prog, mask);
		for (j = 0; j < sizeof(kernel_types) / sizeof(kernel_types[0]); j++)
			assert_int_equal(run_on(&prog, kernel_types[j], 0) != 0,
					 i == j);
		/* Acknowledgements are never kept. */
		assert_int_equal(run_on(&prog, KCN_EVENT_NONE, 0), 0);
	}
}

static void
test_filter_all(void **state)
{
	struct filter_program prog;
	unsigned int i;

	filter_build(&prog, RELAYFORK_EVENTS_ALL);
	for (i = 0; i < sizeof(kernel_types) / sizeof(kernel_types[0]); i++)
		assert_int_not_equal(run_on(&prog, kernel_types[i], 0), 0);
	assert_int_equal(run_on(&prog, KCN_EVENT_NONE, 0), 0);
}

static void
test_filter_failures_only(void **state)
{
	struct filter_program prog;

	filter_build(&prog, RELAYFORK_EVENTS_FORK | RELAYFORK_EVENTS_EXIT_FAILURE);
	assert_int_not_equal(run_on(&prog, KCN_EVENT_FORK, 0), 0);
	assert_int_equal(run_on(&prog, KCN_EVENT_EXIT, 0), 0);
	assert_int_not_equal(run_on(&prog, KCN_EVENT_EXIT, 1 << 8), 0);
	assert_int_not_equal(run_on(&prog, KCN_EVENT_EXIT, SIGKILL), 0);
	assert_int_equal(run_on(&prog, KCN_EVENT_EXEC, 0), 0);
	assert_int_equal(run_on(&prog, KCN_EVENT_NONE, 0), 0);

	/* With EXIT as well, every exit is kept. */
	filter_build(&prog, RELAYFORK_EVENTS_EXIT | RELAYFORK_EVENTS_EXIT_FAILURE);
	assert_int_not_equal(run_on(&prog, KCN_EVENT_EXIT, 0), 0);
	assert_int_not_equal(run_on(&prog, KCN_EVENT_EXIT, 1 << 8), 0);
	assert_int_equal(run_on(&prog, KCN_EVENT_FORK, 0), 0);
}

static void
test_filter_keeps_short_datagrams(void **state)
{
	/* Too short to judge: kept, so the library can count it. */
	unsigned char buf[DGRAM_EVENT_LEN] = { 0 };
	struct filter_program prog;

	filter_build(&prog, RELAYFORK_EVENTS_FORK);
	assert_int_not_equal(filter_run(&prog, buf, 0), 0);
	assert_int_not_equal(filter_run(&prog, buf, KCN_EVENT_OFFSET + 2), 0);
	assert_true(prog.len <= FILTER_MAX_INSNS);
}

/* A fork or exit datagram about pid/tgid. */
static uint32_t
run_task(const struct filter_program *prog, uint32_t what, int32_t pid,
	 int32_t tgid, uint32_t exit_code)
{
	unsigned char buf[DGRAM_EVENT_LEN];
	struct dgram_event e = { .what = what };

	if (what == KCN_EVENT_FORK) {
		e.data[0] = e.data[1] = 1;
		e.data[2] = (uint32_t)pid;
		e.data[3] = (uint32_t)tgid;
	} else {
		e.data[0] = (uint32_t)pid;
		e.data[1] = (uint32_t)tgid;
		e.data[2] = exit_code;
	}
	dgram_put_event(buf, &e);
	return filter_run(prog, buf, sizeof(buf));
}

static void
test_filter_skip_threads(void **state)
{
	struct filter_program prog;

	filter_build(&prog, RELAYFORK_EVENTS_ALL | RELAYFORK_EVENTS_SKIP_THREADS);
	assert_true(prog.len <= FILTER_MAX_INSNS);
	assert_int_not_equal(run_task(&prog, KCN_EVENT_FORK, 10, 10, 0), 0);
	assert_int_equal(run_task(&prog, KCN_EVENT_FORK, 11, 10, 0), 0);
	assert_int_not_equal(run_task(&prog, KCN_EVENT_EXIT, 10, 10, 0), 0);
	assert_int_equal(run_task(&prog, KCN_EVENT_EXIT, 11, 10, 0), 0);
	/* Other events of threads stay: a thread may rename itself. */
	assert_int_not_equal(run_task(&prog, KCN_EVENT_COMM, 11, 10, 0), 0);
	assert_int_equal(run_on(&prog, KCN_EVENT_NONE, 0), 0);

	/* With "failures only": a thread's failing exit is still a thread. */
	filter_build(&prog, RELAYFORK_EVENTS_FORK | RELAYFORK_EVENTS_EXIT_FAILURE |
				    RELAYFORK_EVENTS_SKIP_THREADS);
	assert_int_not_equal(run_task(&prog, KCN_EVENT_EXIT, 10, 10, 256), 0);
	assert_int_equal(run_task(&prog, KCN_EVENT_EXIT, 10, 10, 0), 0);
	assert_int_equal(run_task(&prog, KCN_EVENT_EXIT, 11, 10, 256), 0);
	assert_int_equal(run_task(&prog, KCN_EVENT_FORK, 11, 10, 0), 0);
	assert_int_not_equal(run_task(&prog, KCN_EVENT_FORK, 12, 12, 0), 0);
	assert_int_equal(run_on(&prog, KCN_EVENT_EXEC, 0), 0);
}

static void
test_filter_acks_only(void **state)
{
	struct filter_program prog;
	unsigned int i;

	filter_build_acks_only(&prog);
	assert_int_not_equal(run_on(&prog, KCN_EVENT_NONE, 0), 0);
	for (i = 0; i < sizeof(kernel_types) / sizeof(kernel_types[0]); i++)
		assert_int_equal(run_on(&prog, kernel_types[i], 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_messages),
		cmocka_unit_test(test_kernel_mask),
		cmocka_unit_test(test_filter_single_types),
		cmocka_unit_test(test_filter_all),
		cmocka_unit_test(test_filter_failures_only),
		cmocka_unit_test(test_filter_keeps_short_datagrams),
		cmocka_unit_test(test_filter_acks_only),
		cmocka_unit_test(test_filter_skip_threads),
	};

	return cmocka_run_group_tests_name("subscribe", tests, NULL, NULL);
}
