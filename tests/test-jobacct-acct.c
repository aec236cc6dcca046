// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * jobacct's BSD accounting records: the kernel's encodings (kernel/acct.c
 * encode_comp_t() and encode_float()) on values worked out by hand, their
 * rounding and truncation included, and the fields of a record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "jobacct.h"

static uint32_t
float_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

static void
test_comp(void **state)
{
	assert_int_equal(acct_encode_comp(0), 0);
	assert_int_equal(acct_encode_comp(1), 1);
	/* The largest mantissa, exact. */
	assert_int_equal(acct_encode_comp(8191), 8191);
	/* 8192 = 1024 * 8: exponent 1. */
	assert_int_equal(acct_encode_comp(8192), (1 << 13) | 1024);
	/* Bit 2 of the last bits shifted out rounds up; bit 1 does not. */
	assert_int_equal(acct_encode_comp(8196), (1 << 13) | 1025);
	assert_int_equal(acct_encode_comp(8195), (1 << 13) | 1024);
	/* 65532 >> 3 = 8191, rounded up to 8192: it carries into the
	 * exponent. */
	assert_int_equal(acct_encode_comp(65532), (2 << 13) | 1024);
	assert_int_equal(acct_encode_comp(20000), (1 << 13) | 2500);
	assert_int_equal(acct_encode_comp(1ull << 30), (6 << 13) | 4096);
	/* The largest value that fits, and beyond: all ones. */
	assert_int_equal(acct_encode_comp(8191ull << 21), 0xffff);
	assert_int_equal(acct_encode_comp(1ull << 40), 0xffff);
	assert_int_equal(acct_encode_comp(UINT64_MAX), 0xffff);
}

static void
test_float(void **state)
{
	assert_int_equal(acct_encode_float(0), 0);
	assert_int_equal(acct_encode_float(1), float_bits(1.0f));
	assert_int_equal(acct_encode_float(100), float_bits(100.0f));
	assert_int_equal(acct_encode_float(150), float_bits(150.0f));
	assert_int_equal(acct_encode_float(16777216), float_bits(16777216.0f));
	/* 2^25 + 3 needs 26 bits: the kernel truncates to 2^25, where
	 * rounding to nearest would give 2^25 + 4. */
	assert_int_equal(acct_encode_float(33554435), 0x4c000000);
	assert_int_equal(acct_encode_float(33554436), 0x4c000001);
	/* The largest: every mantissa bit set, exponent 63. */
	assert_int_equal(acct_encode_float(UINT64_MAX), 0x5f7fffff);
}

static struct relayfork_member
member(int status, uint32_t flags)
{
	struct relayfork_member m = {
		.id = 2,
		.parent_id = 1,
		.pid = 4711,
		.ppid = 4700,
		.uid = 1000,
		.flags = flags,
		.start_ns = 10000000000ull,
		.end_ns = 11500000000ull,
		.status = status,
		.comm = "fifteen-chars-x",
	};

	return m;
}

static void
test_record(void **state)
{
	struct relayfork_member m = member(3 << 8, 0);
	struct extra x = { .gid = 100, .exit_ppid = 0, .execd = true };
	int64_t offset = 1700000000ll * 1000000000;
	struct acct_v3 ac;
	uint32_t etime;

	assert_int_equal(sizeof(ac), 64);
	acct_fill(&ac, &m, &x, offset);
	assert_int_equal(ac.ac_version, 3);
	assert_int_equal(ac.ac_flag, 0);
	assert_int_equal(ac.ac_tty, 0);
	/* The raw wait status, as the kernel writes it. */
	assert_int_equal(ac.ac_exitcode, 768);
	assert_int_equal(ac.ac_uid, 1000);
	assert_int_equal(ac.ac_gid, 100);
	assert_int_equal(ac.ac_pid, 4711);
	assert_int_equal(ac.ac_ppid, 4700);
	assert_int_equal(ac.ac_btime, 1700000010u);
	/* 1.5 s: 150 ticks of 1/100 s. */
	memcpy(&etime, &ac.ac_etime, sizeof(etime));
	assert_int_equal(etime, float_bits(150.0f));
	assert_string_equal(ac.ac_comm, "fifteen-chars-x");
	/* No usage: zeros. */
	assert_int_equal(ac.ac_utime, 0);
	assert_int_equal(ac.ac_stime, 0);
	assert_int_equal(ac.ac_mem, 0);
	assert_int_equal(ac.ac_io, 0);
	assert_int_equal(ac.ac_minflt, 0);

	/* Killed by SIGTERM; never executed; its parent at the end. */
	m = member(SIGTERM, 0);
	x.execd = false;
	x.exit_ppid = 4699;
	acct_fill(&ac, &m, &x, offset);
	assert_int_equal(ac.ac_flag, AFORK | AXSIG);
	assert_int_equal(ac.ac_exitcode, SIGTERM);
	assert_int_equal(ac.ac_ppid, 4699);

	/* SIGSEGV with a core dump. */
	m = member(SIGSEGV | 0x80, 0);
	x.execd = true;
	acct_fill(&ac, &m, &x, offset);
	assert_int_equal(ac.ac_flag, AXSIG | ACORE);
	assert_int_equal(ac.ac_exitcode, SIGSEGV | 0x80);

	/* Ended while events were lost: nothing claimed. */
	m = member(0, RELAYFORK_MEMBER_F_STATUS_UNKNOWN);
	acct_fill(&ac, &m, &x, offset);
	assert_int_equal(ac.ac_flag, 0);
	assert_int_equal(ac.ac_exitcode, 0);

	/* With usage: ticks of 1/100 s, KiB, counts, chars. */
	m = member(0, RELAYFORK_MEMBER_F_USAGE);
	m.usage.utime_us = 1234567;
	m.usage.stime_us = 9999;
	m.usage.hiwater_rss_kb = 20000;
	m.usage.minflt = 8196;
	m.usage.majflt = 3;
	m.usage.read_chars = 4096;
	m.usage.write_chars = 4096;
	acct_fill(&ac, &m, &x, offset);
	assert_int_equal(ac.ac_utime, 123);
	assert_int_equal(ac.ac_stime, 0);
	assert_int_equal(ac.ac_mem, (1 << 13) | 2500);
	assert_int_equal(ac.ac_minflt, (1 << 13) | 1025);
	assert_int_equal(ac.ac_majflt, 3);
	assert_int_equal(ac.ac_io, (1 << 13) | 1024);
	assert_int_equal(ac.ac_rw, 0);
	assert_int_equal(ac.ac_swaps, 0);

	/* A start before the epoch (a clock set back) is clamped. */
	m = member(0, 0);
	acct_fill(&ac, &m, &x, -20ll * 1000000000);
	assert_int_equal(ac.ac_btime, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_comp),
		cmocka_unit_test(test_float),
		cmocka_unit_test(test_record),
	};

	return cmocka_run_group_tests_name("jobacct-acct", tests, NULL, NULL);
}
