// SPDX-License-Identifier: LGPL-2.1-or-later
/* Loss bookkeeping: when a loss is due in the stream, and how much. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "loss.h"

static int
setup(void **state)
{
	static struct loss l;

	assert_int_equal(loss_init(&l, 2), 0);
	*state = &l;
	return 0;
}

static int
teardown(void **state)
{
	loss_free(*state);
	return 0;
}

static void
test_overflow_due_by_timestamp(void **state)
{
	struct loss *l = *state;

	loss_set_drops(l, 100);
	assert_false(loss_overflow_due(l, 5, false));
	assert_false(loss_overflow_due(l, 5, true));
	loss_overflow(l, 1000);
	/* Queued before the ENOBUFS was seen: not yet. */
	assert_false(loss_overflow_due(l, 999, false));
	assert_false(loss_overflow_due(l, 1000, false));
	/* Stamped after: the report goes first. */
	assert_true(loss_overflow_due(l, 1001, false));
	/* Or the socket ran dry. */
	assert_true(loss_overflow_due(l, 0, true));
	/* A second ENOBUFS in the same episode keeps the first time. */
	loss_overflow(l, 5000);
	assert_true(loss_overflow_due(l, 1001, false));
	assert_int_equal(loss_overflow_take(l, true, 130), 30);
	assert_false(loss_overflow_due(l, 99999, true));
	/* The counter wraps. */
	loss_overflow(l, 6000);
	loss_set_drops(l, 0xfffffff0u);
	assert_int_equal(loss_overflow_take(l, true, 0x10), 0x20);
	/* Unknown count. */
	loss_overflow(l, 7000);
	assert_int_equal(loss_overflow_take(l, false, 0), 0);
}

static void
test_sequence_gaps(void **state)
{
	struct loss *l = *state;

	/* Not tracking (a filter is active): gaps are normal. */
	loss_observe(l, 0, 10);
	loss_observe(l, 0, 20);
	assert_int_equal(loss_sequence_take(l), 0);

	loss_track_sequence(l, true);
	loss_observe(l, 0, 10);	/* baseline */
	loss_observe(l, 1, 500);	/* baseline, other CPU */
	loss_observe(l, 0, 11);
	loss_observe(l, 1, 501);
	assert_int_equal(loss_sequence_take(l), 0);
	loss_observe(l, 0, 15);	/* 12, 13, 14 missing */
	assert_int_equal(loss_sequence_take(l), 3);
	assert_int_equal(loss_sequence_take(l), 0); /* reported once */
	/* Wrap-around of the 32-bit counter. */
	loss_track_sequence(l, true);
	loss_observe(l, 1, 0xfffffffeu);
	loss_observe(l, 1, 1);		/* ffffffff and 0 missing */
	assert_int_equal(loss_sequence_take(l), 2);
	/* A forward jump too large to be loss: the counter was reset. */
	loss_observe(l, 1, 0x60000000u);
	assert_int_equal(loss_sequence_take(l), 0);
	loss_observe(l, 0, 15);		/* baseline again */
	/* Duplicates and old numbers are not losses. */
	loss_observe(l, 0, 15);
	loss_observe(l, 0, 14);
	loss_observe(l, 0, 16);
	assert_int_equal(loss_sequence_take(l), 0);
	/* CPUs we do not know (3.10 acks said UINT32_MAX) are ignored. */
	loss_observe(l, 7, 1);
	loss_observe(l, 0xffffffffu, 1);
	assert_int_equal(loss_sequence_take(l), 0);
}

static void
test_overflow_explains_gaps(void **state)
{
	struct loss *l = *state;

	loss_track_sequence(l, true);
	loss_set_drops(l, 0);
	loss_observe(l, 0, 100);
	loss_overflow(l, 1000);
	/* While the overflow is open, gaps wait for its count. */
	loss_observe(l, 0, 110);
	assert_int_equal(loss_sequence_take(l), 0);
	assert_int_equal(loss_overflow_take(l, true, 9), 9);
	assert_int_equal(loss_sequence_take(l), 0);
	/* One more missing than the socket dropped: the kernel never
	 * sent it. */
	loss_observe(l, 0, 112);
	assert_int_equal(loss_sequence_take(l), 1);
	/* An event whose timestamp is older than the ENOBUFS but whose
	 * sequence number skipped came after the loss: report first. */
	loss_overflow(l, 2000);
	loss_observe(l, 1, 40);		/* baseline */
	assert_false(loss_overflow_due(l, 1500, false));
	loss_observe(l, 1, 41);
	assert_false(loss_overflow_due(l, 1500, false));
	loss_observe(l, 1, 45);
	assert_true(loss_overflow_due(l, 1500, false));
	assert_int_equal(loss_overflow_take(l, true, 12), 3);
	assert_false(loss_overflow_due(l, 1500, false));
	/* A gap the reports have counted already (the drop counter ran
	 * ahead of the sequence numbers seen) is no reason. */
	loss_overflow(l, 3000);
	assert_int_equal(loss_overflow_take(l, true, 14), 2);
	loss_overflow(l, 4000);
	loss_observe(l, 1, 47);		/* 46: counted above */
	assert_false(loss_overflow_due(l, 3500, false));
	loss_observe(l, 1, 50);		/* 48, 49: not yet */
	assert_true(loss_overflow_due(l, 3500, false));
	assert_int_equal(loss_overflow_take(l, true, 15), 1);
	assert_int_equal(loss_sequence_take(l), 0);
	/* Restarting forgets the old numbers. */
	loss_track_sequence(l, true);
	loss_observe(l, 0, 5000);
	assert_int_equal(loss_sequence_take(l), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_overflow_due_by_timestamp,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sequence_gaps, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_overflow_explains_gaps,
						setup, teardown),
	};

	return cmocka_run_group_tests_name("loss", tests, NULL, NULL);
}
