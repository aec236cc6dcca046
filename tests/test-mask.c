// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What an event mask means, checked end to end without a kernel: for
 * every mask, the events a monitor delivers (mask_matches) must all
 * reach it through the kernel's filter (simulated as cn_proc.c filters)
 * and the socket filter (run by an interpreter), and those two must
 * keep exactly what the mask's plan says, on both kinds of kernel.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bpf-run.h"
#include "datagram.h"
#include "filter.h"
#include "kernel-abi.h"
#include "mask.h"

/* One task-level event: a kernel type, thread or not, a status. */
struct probe {
	uint32_t what;
	bool thread;
	uint32_t status;
};

static const uint32_t kernel_types[] = {
	KCN_EVENT_FORK, KCN_EVENT_EXEC, KCN_EVENT_UID, KCN_EVENT_GID,
	KCN_EVENT_SID, KCN_EVENT_PTRACE, KCN_EVENT_COMM, KCN_EVENT_COREDUMP,
	KCN_EVENT_EXIT,
};

static const int relayfork_types[] = {
	RELAYFORK_EVENT_FORK, RELAYFORK_EVENT_EXEC, RELAYFORK_EVENT_UID,
	RELAYFORK_EVENT_GID, RELAYFORK_EVENT_SID, RELAYFORK_EVENT_PTRACE,
	RELAYFORK_EVENT_COMM, RELAYFORK_EVENT_COREDUMP, RELAYFORK_EVENT_EXIT,
};

#define NTYPES (sizeof(kernel_types) / sizeof(kernel_types[0]))

static size_t
datagram(unsigned char *buf, const struct probe *p)
{
	struct dgram_event e = { .what = p->what };
	int32_t pid = p->thread ? 11 : 10, tgid = 10;

	if (p->what == KCN_EVENT_FORK) {
		e.data[0] = e.data[1] = 1;
		e.data[2] = (uint32_t)pid;
		e.data[3] = (uint32_t)tgid;
	} else {
		e.data[0] = (uint32_t)pid;
		e.data[1] = (uint32_t)tgid;
		e.data[2] = p->status;
	}
	return dgram_put_event(buf, &e);
}

/* drivers/connector/cn_proc.c, cn_filter(), for a LISTEN with kmask. */
static bool
kernel_keeps(uint32_t kmask, const struct probe *p)
{
	if (kmask == KCN_EVENT_ALL)
		return true;
	if (kmask & p->what)
		return true;
	return (kmask & KCN_EVENT_NONZERO_EXIT) && p->what == KCN_EVENT_EXIT &&
	       p->status != 0;
}

/* What the plan says the socket must keep. */
static bool
plan_keeps(const struct mask_plan *plan, const struct probe *p)
{
	enum mask_exits exits;

	if (p->what == KCN_EVENT_FORK)
		return p->thread ? plan->fork_thread : plan->fork_process;
	if (p->what != KCN_EVENT_EXIT)
		return plan->other & p->what;
	exits = p->thread ? plan->exit_thread : plan->exit_leader;
	return exits == MASK_EXITS_ALL ||
	       (exits == MASK_EXITS_FAILED && p->status != 0);
}

/* What reaches the monitor: the kernel's filter, then the socket's. */
static bool
socket_receives(const struct mask_plan *plan, bool kernel_filters,
		const struct probe *p)
{
	unsigned char buf[DGRAM_EVENT_LEN];
	struct filter_program prog;
	uint32_t kmask = kernel_filters ? mask_plan_kernel(plan) : KCN_EVENT_ALL;

	if (!kernel_keeps(kmask, p))
		return false;
	if (!mask_plan_needs_socket_filter(plan, kernel_filters))
		return true;
	filter_build(&prog, plan);
	assert_true(prog.len <= FILTER_MAX_INSNS);
	return bpf_run(&prog, buf, (uint32_t)datagram(buf, p)) != 0;
}

static struct relayfork_event
event_of(const struct probe *p, unsigned int type_index, bool process_end)
{
	struct relayfork_event ev = { 0 };

	ev.type = (uint32_t)relayfork_types[type_index];
	ev.pid = p->thread ? 11 : 10;
	ev.tgid = 10;
	if (p->thread)
		ev.flags |= RELAYFORK_EVENT_F_THREAD;
	if (process_end)
		ev.flags |= RELAYFORK_EVENT_F_PROCESS_END;
	ev.u.exit.status = (int32_t)p->status;
	return ev;
}

/* Every mask of the types, with and without the two modifiers. */
static void
for_each_mask(void (*fn)(uint32_t mask))
{
	uint32_t types;

	for (types = 0; types <= RELAYFORK_EVENTS_ALL; types += 2) {
		uint32_t extra;

		if (types & ~(uint32_t)RELAYFORK_EVENTS_ALL)
			continue;
		for (extra = 0; extra < 4; extra++) {
			uint32_t mask = types;

			if (extra & 1)
				mask |= RELAYFORK_EVENTS_EXIT_FAILURE;
			if (extra & 2)
				mask |= RELAYFORK_EVENTS_SKIP_THREADS;
			if (mask_valid(mask))
				fn(mask);
		}
	}
}

static void
check_mask(uint32_t mask)
{
	struct mask_plan plan;
	unsigned int i, k;

	mask_plan(mask, &plan);
	for (i = 0; i < NTYPES; i++) {
		for (k = 0; k < 4; k++) {
			struct probe p = { .what = kernel_types[i],
					   .thread = k & 1,
					   .status = (k & 2) ? 0x700 : 0 };
			bool planned = plan_keeps(&plan, &p);
			struct relayfork_event ev;
			int end;

			/* The filters keep exactly the plan, whatever the
			 * kernel can do. */
			assert_int_equal(socket_receives(&plan, true, &p), planned);
			assert_int_equal(socket_receives(&plan, false, &p), planned);
			/* Whatever the monitor delivers, the plan keeps. */
			for (end = 0; end < 2; end++) {
				ev = event_of(&p, i, end);
				if (mask_matches(mask, &ev))
					assert_true(planned);
			}
		}
	}
	/* Acknowledgements are dropped wherever a filter is installed, and
	 * never delivered. */
	if (mask_plan_needs_socket_filter(&plan, false)) {
		struct filter_program prog;
		unsigned char buf[DGRAM_EVENT_LEN];
		struct probe ack = { .what = KCN_EVENT_NONE };

		filter_build(&prog, &plan);
		assert_int_equal(bpf_run(&prog, buf, (uint32_t)datagram(buf, &ack)), 0);
	}
}

static void
test_filters_keep_the_plan(void **state)
{
	for_each_mask(check_mask);
}

static void
check_threads_followed(uint32_t mask)
{
	struct mask_plan plan;

	mask_plan(mask, &plan);
	assert_int_equal(plan.follows_threads,
			 (mask & (RELAYFORK_EVENTS_EXIT |
				  RELAYFORK_EVENTS_EXIT_FAILURE)) != 0);
	if (!plan.follows_threads)
		return;
	/* Counting threads takes all their forks and exits, and the exits
	 * of main threads the mask delivers at least. */
	assert_true(plan.fork_thread);
	assert_int_equal(plan.exit_thread, MASK_EXITS_ALL);
	assert_int_equal(plan.exit_leader, (mask & RELAYFORK_EVENTS_EXIT)
						   ? MASK_EXITS_ALL
						   : MASK_EXITS_FAILED);
}

static void
test_exits_follow_threads(void **state)
{
	for_each_mask(check_threads_followed);
}

static void
test_kernel_masks(void **state)
{
	struct mask_plan plan;

	mask_plan(RELAYFORK_EVENTS_ALL, &plan);
	assert_true(mask_plan_keeps_all(&plan));
	assert_int_equal(mask_plan_kernel(&plan), KCN_EVENT_ALL);
	assert_false(mask_plan_needs_socket_filter(&plan, false));

	/* Threads skipped, exits wanted: the threads are still needed to
	 * tell which exit ends a process, so everything comes. */
	mask_plan(RELAYFORK_EVENTS_ALL | RELAYFORK_EVENTS_SKIP_THREADS, &plan);
	assert_true(mask_plan_keeps_all(&plan));

	/* No exits: threads skipped in the socket filter. */
	mask_plan(RELAYFORK_EVENTS_FORK | RELAYFORK_EVENTS_SKIP_THREADS, &plan);
	assert_int_equal(mask_plan_kernel(&plan), KCN_EVENT_FORK);
	assert_true(mask_plan_needs_socket_filter(&plan, true));
	mask_plan(RELAYFORK_EVENTS_FORK, &plan);
	assert_int_equal(mask_plan_kernel(&plan), KCN_EVENT_FORK);
	assert_false(mask_plan_needs_socket_filter(&plan, true));
	assert_true(mask_plan_needs_socket_filter(&plan, false));

	mask_plan(RELAYFORK_EVENTS_EXEC | RELAYFORK_EVENTS_UID |
			  RELAYFORK_EVENTS_GID | RELAYFORK_EVENTS_SID |
			  RELAYFORK_EVENTS_PTRACE | RELAYFORK_EVENTS_COMM |
			  RELAYFORK_EVENTS_COREDUMP,
		  &plan);
	assert_int_equal(mask_plan_kernel(&plan),
			 KCN_EVENT_EXEC | KCN_EVENT_UID | KCN_EVENT_GID |
				 KCN_EVENT_SID | KCN_EVENT_PTRACE |
				 KCN_EVENT_COMM | KCN_EVENT_COREDUMP);

	/* Failures only: the kernel must send the threads' every exit (to
	 * count them) and their forks; the socket filter keeps only the
	 * failed exits of main threads. */
	mask_plan(RELAYFORK_EVENTS_EXIT_FAILURE, &plan);
	assert_int_equal(mask_plan_kernel(&plan), KCN_EVENT_FORK | KCN_EVENT_EXIT);
	assert_true(mask_plan_needs_socket_filter(&plan, true));
}

static void
test_matches(void **state)
{
	struct relayfork_event ev = { .type = RELAYFORK_EVENT_EXIT, .pid = 11,
				      .tgid = 10,
				      .flags = RELAYFORK_EVENT_F_THREAD };
	uint32_t skip = RELAYFORK_EVENTS_SKIP_THREADS;

	/* A thread's exit: only without SKIP_THREADS, unless it ends its
	 * process. */
	assert_true(mask_matches(RELAYFORK_EVENTS_EXIT, &ev));
	assert_false(mask_matches(RELAYFORK_EVENTS_EXIT | skip, &ev));
	ev.flags |= RELAYFORK_EVENT_F_PROCESS_END;
	assert_true(mask_matches(RELAYFORK_EVENTS_EXIT | skip, &ev));
	assert_false(mask_matches(RELAYFORK_EVENTS_EXIT_FAILURE | skip, &ev));
	ev.u.exit.status = 0x700;
	assert_true(mask_matches(RELAYFORK_EVENTS_EXIT_FAILURE | skip, &ev));

	/* A main thread that leaves early is thread-level. */
	ev = (struct relayfork_event){ .type = RELAYFORK_EVENT_EXIT, .pid = 10,
				       .tgid = 10 };
	assert_true(mask_matches(RELAYFORK_EVENTS_EXIT, &ev));
	assert_false(mask_matches(RELAYFORK_EVENTS_EXIT | skip, &ev));

	/* Loss is never filtered; unknown types never match. */
	ev.type = RELAYFORK_EVENT_LOST;
	assert_true(mask_matches(RELAYFORK_EVENTS_FORK | skip, &ev));
	ev.type = RELAYFORK_EVENT_NONE;
	assert_false(mask_matches(RELAYFORK_EVENTS_ALL, &ev));
	ev.type = 31;
	assert_false(mask_matches(0xffffffffu, &ev));
	ev.type = 1000;
	assert_false(mask_matches(0xffffffffu, &ev));

	assert_false(mask_valid(0));
	assert_false(mask_valid(RELAYFORK_EVENTS_SKIP_THREADS));
	assert_false(mask_valid(1u << 20));
	assert_true(mask_valid(RELAYFORK_EVENTS_EXIT_FAILURE));
}

static void
test_short_datagrams_kept(void **state)
{
	/* Too short to judge: kept, so the library can count it. */
	unsigned char buf[DGRAM_EVENT_LEN] = { 0 };
	struct filter_program prog;
	struct mask_plan plan;

	mask_plan(RELAYFORK_EVENTS_FORK, &plan);
	filter_build(&prog, &plan);
	assert_int_not_equal(bpf_run(&prog, buf, 0), 0);
	assert_int_not_equal(bpf_run(&prog, buf, KCN_EVENT_OFFSET + 2), 0);
}

static void
test_acks_only(void **state)
{
	unsigned char buf[DGRAM_EVENT_LEN];
	struct filter_program prog;
	struct probe p = { .what = KCN_EVENT_NONE };
	unsigned int i;

	filter_build_acks_only(&prog);
	assert_int_not_equal(bpf_run(&prog, buf, (uint32_t)datagram(buf, &p)), 0);
	for (i = 0; i < NTYPES; i++) {
		p.what = kernel_types[i];
		assert_int_equal(bpf_run(&prog, buf, (uint32_t)datagram(buf, &p)),
				 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filters_keep_the_plan),
		cmocka_unit_test(test_exits_follow_threads),
		cmocka_unit_test(test_kernel_masks),
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_short_datagrams_kept),
		cmocka_unit_test(test_acks_only),
	};

	return cmocka_run_group_tests_name("mask", tests, NULL, NULL);
}
