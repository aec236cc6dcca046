// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The taskstats decoder on recorded messages of Linux 6.1 (struct
 * taskstats version 13) and 6.18 (version 16), on the other layouts built
 * from them (14, 15, the 6.15-rc "14" of 560 bytes, 17, old versions),
 * and on bad input: every cut, lying lengths, bad nests, unknown types,
 * short structs.  Pure: no kernel needed.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "taskstats-abi.h"
#include "taskstats-decode.h"
#include "taskstats-records.h"

/* The family id in the recordings (both kernels gave 0x1f). */
#define FAMILY 0x1f

/* Offsets in a recorded single-record message. */
#define MSG_AGGR_PID 20u  /* the nest's header */
#define MSG_PID 24u	  /* PID attribute header */
#define MSG_STATS 32u	  /* STATS attribute header */
#define MSG_STATS_DATA 36u

/* Room for the biggest message built here, plus one byte so that a
 * message can start at an odd address: the decoder must not rely on
 * alignment. */
static unsigned char storage[4096] __attribute__((aligned(8)));
#define ODD (storage + 1)

static uint16_t
family_of(const unsigned char *msg)
{
	uint16_t type;

	memcpy(&type, msg + 4, sizeof(type));
	return type;
}

/* Decode a datagram that holds exactly one message. */
static int
decode_one(const void *buf, size_t len, struct relayfork_usage *u,
	   struct ts_decode_info *info)
{
	struct ts_cursor c;
	struct ts_decode_info after;
	int r;

	ts_decode_init(&c, buf, len);
	r = ts_decode_next(&c, FAMILY, u, info);
	assert_true(c.offset <= len);
	/* Whatever it was, the cursor moved past it. */
	assert_int_equal(ts_decode_next(&c, FAMILY, u, &after), TS_DECODE_END);
	return r;
}

/* Decode a copy at an odd address. */
static int
decode_copy(const void *msg, size_t len, struct relayfork_usage *u,
	    struct ts_decode_info *info)
{
	assert_true(len < sizeof(storage));
	memcpy(ODD, msg, len);
	return decode_one(ODD, len, u, info);
}

static void
assert_single(const struct relayfork_usage *u)
{
	/* What the capture's child did, the same on every kernel. */
	assert_int_equal(u->type, RELAYFORK_USAGE_TASK);
	assert_int_equal(u->flags, RELAYFORK_USAGE_F_LAST_THREAD);
	assert_int_equal(u->pid, 4242);
	assert_int_equal(u->tgid, 4242);
	assert_int_equal(u->uid, 1234);
	assert_int_equal(u->gid, 4321);
	assert_int_equal(u->exit_status, 0x300);
	assert_string_equal(u->comm, "rf-ts-single");
	/* 3000 and 10000 bytes, rounded down to KiB by the kernel. */
	assert_int_equal(u->read_chars, 2048);
	assert_int_equal(u->write_chars, 9216);
	assert_int_equal(u->read_bytes, 0);
	assert_int_equal(u->write_bytes, 0);
	assert_int_equal(u->majflt, 0);
	assert_int_equal(u->lost, 0);
	/* It burned 50 ms of CPU time (more under qemu's emulation). */
	assert_in_range(u->run_ns, 50000000, 200000000);
	assert_in_range(u->utime_us + u->stime_us, 40000, 200000);
	assert_true(u->elapsed_us >= 50000);
	assert_true(u->minflt > 0);
	assert_true(u->hiwater_rss_kb > 0);
	assert_true(u->hiwater_vm_kb >= u->hiwater_rss_kb);
	/* Started after 2025 (the recordings were made in 2026). */
	assert_true(u->start_time_s > 1735689600ull);
}

static void
assert_reserved_zero(const struct relayfork_usage *u)
{
	unsigned int i;

	for (i = 0; i < sizeof(u->reserved); i++)
		assert_int_equal(u->reserved[i], 0);
}

static void
test_recorded_v13(void **state)
{
	struct relayfork_usage u;
	struct ts_decode_info info;

	assert_int_equal(family_of(ts_v13_single), FAMILY);
	assert_int_equal(decode_copy(ts_v13_single, sizeof(ts_v13_single), &u,
				     &info),
			 TS_DECODE_RECORD);
	assert_int_equal(u.version, 13);
	assert_int_equal(info.stats_len, KTS_SIZE_V13);
	assert_false(info.aggregate);
	assert_single(&u);
	/* The capture program's pid in the guest. */
	assert_int_equal(u.ppid, 103);
	assert_reserved_zero(&u);
}

static void
test_recorded_v16(void **state)
{
	struct relayfork_usage u;
	struct ts_decode_info info;

	assert_int_equal(family_of(ts_v16_single), FAMILY);
	assert_int_equal(decode_copy(ts_v16_single, sizeof(ts_v16_single), &u,
				     &info),
			 TS_DECODE_RECORD);
	assert_int_equal(u.version, 16);
	assert_int_equal(info.stats_len, KTS_SIZE_V16);
	assert_single(&u);
	/* The capture program's pid on the host. */
	assert_int_equal(u.ppid, 23155);
	assert_reserved_zero(&u);
	/* The precise CPU time, not the tick-sampled one. */
	assert_int_equal(u.run_ns, 52527718);
	assert_int_equal(u.utime_us, 24000);
	assert_int_equal(u.stime_us, 28000);
}

/* The two kernels' records agree on every deterministic field. */
static void
test_versions_agree(void **state)
{
	struct relayfork_usage a, b;
	struct ts_decode_info info;

	assert_int_equal(decode_copy(ts_v13_single, sizeof(ts_v13_single), &a,
				     &info),
			 TS_DECODE_RECORD);
	assert_int_equal(decode_copy(ts_v16_single, sizeof(ts_v16_single), &b,
				     &info),
			 TS_DECODE_RECORD);
	assert_int_not_equal(a.version, b.version);
	assert_int_equal(a.type, b.type);
	assert_int_equal(a.flags, b.flags);
	assert_int_equal(a.pid, b.pid);
	assert_int_equal(a.tgid, b.tgid);
	assert_int_equal(a.uid, b.uid);
	assert_int_equal(a.gid, b.gid);
	assert_int_equal(a.exit_status, b.exit_status);
	assert_string_equal(a.comm, b.comm);
	assert_int_equal(a.read_chars, b.read_chars);
	assert_int_equal(a.write_chars, b.write_chars);
	assert_int_equal(a.read_bytes, b.read_bytes);
	assert_int_equal(a.write_bytes, b.write_bytes);
	assert_int_equal(a.majflt, b.majflt);
	assert_memory_equal(a.reserved, b.reserved, sizeof(a.reserved));
}

static void
check_group(const unsigned char *msg, size_t len, uint32_t version,
	    pid_t ppid)
{
	struct relayfork_usage u;
	struct ts_decode_info info;

	assert_int_equal(decode_copy(msg, len, &u, &info), TS_DECODE_RECORD);
	assert_int_equal(u.version, version);
	/* The last task's record, and the aggregate beside it. */
	assert_true(info.aggregate);
	assert_int_equal(u.flags, RELAYFORK_USAGE_F_LAST_THREAD);
	assert_int_equal(u.pid, u.tgid);
	assert_int_equal(u.exit_status, 0x500);
	assert_string_equal(u.comm, "rf-ts-group");
	assert_int_equal(u.uid, 0);
	/* The same capture program forked it as the single one. */
	assert_int_equal(u.ppid, ppid);
	/* The main thread's own 10 ms, not the threads'. */
	assert_in_range(u.run_ns, 10000000, 150000000);
}

static void
test_recorded_groups(void **state)
{
	check_group(ts_v13_group, sizeof(ts_v13_group), 13, 103);
	check_group(ts_v16_group, sizeof(ts_v16_group), 16, 23155);
}

/* Both recordings in one datagram: two records, in order. */
static void
test_two_messages(void **state)
{
	struct relayfork_usage u;
	struct ts_decode_info info;
	struct ts_cursor c;
	size_t len = sizeof(ts_v16_single) + sizeof(ts_v13_group);

	memcpy(ODD, ts_v16_single, sizeof(ts_v16_single));
	memcpy(ODD + sizeof(ts_v16_single), ts_v13_group, sizeof(ts_v13_group));
	ts_decode_init(&c, ODD, len);
	assert_int_equal(ts_decode_next(&c, FAMILY, &u, &info), TS_DECODE_RECORD);
	assert_int_equal(u.pid, 4242);
	assert_int_equal(ts_decode_next(&c, FAMILY, &u, &info), TS_DECODE_RECORD);
	assert_string_equal(u.comm, "rf-ts-group");
	assert_int_equal(ts_decode_next(&c, FAMILY, &u, &info), TS_DECODE_END);
}

/* ---- Messages built for the tests ------------------------------------ */

struct builder {
	unsigned char *buf;
	size_t len;
};

static void
put(struct builder *b, const void *data, size_t len)
{
	if (len)
		memcpy(b->buf + b->len, data, len);
	b->len += len;
	while (b->len % 4)
		b->buf[b->len++] = 0;
}

static size_t
begin_attr(struct builder *b, uint16_t type)
{
	size_t at = b->len;
	uint16_t hdr[2] = { 0, type };

	memcpy(b->buf + b->len, hdr, sizeof(hdr));
	b->len += sizeof(hdr);
	return at;
}

static void
end_attr(struct builder *b, size_t at)
{
	uint16_t len = (uint16_t)(b->len - at);

	memcpy(b->buf + at, &len, sizeof(len));
}

static void
put_attr(struct builder *b, uint16_t type, const void *data, size_t len)
{
	uint16_t hdr[2] = { (uint16_t)(KTS_NLA_HDRLEN + len), type };

	memcpy(b->buf + b->len, hdr, sizeof(hdr));
	b->len += sizeof(hdr);
	put(b, data, len);
}

static void
begin_msg(struct builder *b, uint16_t type, uint8_t cmd)
{
	unsigned char genl[4] = { cmd, 1, 0, 0 };
	uint32_t zero[4] = { 0 };

	b->len = 0;
	memcpy(b->buf, zero, sizeof(zero));
	memcpy(b->buf + 4, &type, sizeof(type));
	b->len = KTS_NLMSG_HDRLEN;
	put(b, genl, sizeof(genl));
}

static size_t
end_msg(struct builder *b)
{
	uint32_t len = (uint32_t)b->len;

	memcpy(b->buf, &len, sizeof(len));
	return b->len;
}

/* An exit message with one AGGR_PID nest: pid, then stats. */
static size_t
build_exit(unsigned char *buf, uint32_t pid, const void *stats, size_t len)
{
	struct builder b = { buf, 0 };
	size_t nest;

	begin_msg(&b, FAMILY, KTS_CMD_NEW);
	nest = begin_attr(&b, KTS_TYPE_AGGR_PID);
	put_attr(&b, KTS_TYPE_PID, &pid, sizeof(pid));
	put_attr(&b, KTS_TYPE_STATS, stats, len);
	end_attr(&b, nest);
	return end_msg(&b);
}

/* The v16 recording's struct, aligned, to build other versions from. */
static void
v16_stats(struct kts_taskstats *s)
{
	memcpy(s, ts_v16_single + MSG_STATS_DATA, sizeof(*s));
	assert_int_equal(s->version, 16);
}

static void
decode_built(const void *stats, size_t len, struct relayfork_usage *u,
	     int expected)
{
	struct ts_decode_info info;
	size_t n = build_exit(ODD, 4242, stats, len);

	assert_int_equal(decode_one(ODD, n, u, &info), expected);
}

/* The v16 record's values, whatever the layout they came in. */
static void
assert_same_as_v16(const struct relayfork_usage *u, uint32_t version)
{
	struct relayfork_usage ref;
	struct ts_decode_info info;

	assert_int_equal(decode_copy(ts_v16_single, sizeof(ts_v16_single),
				     &ref, &info),
			 TS_DECODE_RECORD);
	ref.version = version;
	assert_memory_equal(u, &ref, sizeof(ref));
}

/* Version 15 put its new fields in the middle: read them in place. */
static void
test_version15(void **state)
{
	struct kts_taskstats s;
	struct kts_taskstats_v15 t;
	struct relayfork_usage u;

	v16_stats(&s);
	memset(&t, 0, sizeof(t));
#define COPY(f) t.f = s.f
	COPY(ac_exitcode); COPY(ac_flag); COPY(ac_nice);
	COPY(cpu_count); COPY(cpu_delay_total);
	COPY(blkio_count); COPY(blkio_delay_total);
	COPY(swapin_count); COPY(swapin_delay_total);
	COPY(cpu_run_real_total); COPY(cpu_run_virtual_total);
	memcpy(t.ac_comm, s.ac_comm, sizeof(t.ac_comm));
	COPY(ac_sched); COPY(ac_uid); COPY(ac_gid); COPY(ac_pid);
	COPY(ac_ppid); COPY(ac_btime); COPY(ac_etime); COPY(ac_utime);
	COPY(ac_stime); COPY(ac_minflt); COPY(ac_majflt); COPY(coremem);
	COPY(virtmem); COPY(hiwater_rss); COPY(hiwater_vm); COPY(read_char);
	COPY(write_char); COPY(read_syscalls); COPY(write_syscalls);
	COPY(read_bytes); COPY(write_bytes); COPY(cancelled_write_bytes);
	COPY(nvcsw); COPY(nivcsw); COPY(ac_btime64); COPY(ac_tgid);
	COPY(ac_tgetime); COPY(ac_exe_dev); COPY(ac_exe_inode);
#undef COPY
	/* Maxima and minima in their v15 places, to be ignored. */
	t.cpu_delay_max = t.cpu_delay_min = 0x1111111111111111ull;
	t.swapin_delay_max = t.swapin_delay_min = 0x2222222222222222ull;
	t.compact_delay_max = t.compact_delay_min = 0x3333333333333333ull;

	t.version = 15;
	decode_built(&t, sizeof(t), &u, TS_DECODE_RECORD);
	assert_same_as_v16(&u, 15);
	/* The same layout sent as "14" before the version bump. */
	t.version = 14;
	decode_built(&t, sizeof(t), &u, TS_DECODE_RECORD);
	assert_same_as_v16(&u, 14);
	/* Read as if it were 16 it would be garbage, which the check of
	 * ac_pid against the nest's PID catches: the test means it. */
	t.version = 16;
	decode_built(&t, sizeof(t), &u, TS_DECODE_MISMATCH);
}

/* Append-only versions: prefixes of 16, or longer. */
static void
test_append_only_versions(void **state)
{
	unsigned char big[KTS_SIZE_V16 + 64] __attribute__((aligned(8)));
	struct kts_taskstats s;
	struct relayfork_usage u;

	v16_stats(&s);
	s.version = 14;
	decode_built(&s, KTS_SIZE_V14, &u, TS_DECODE_RECORD);
	assert_same_as_v16(&u, 14);
	s.version = 13;
	decode_built(&s, KTS_SIZE_V13, &u, TS_DECODE_RECORD);
	assert_same_as_v16(&u, 13);

	/* A later version with more at the end. */
	memset(big, 0xee, sizeof(big));
	s.version = 17;
	memcpy(big, &s, sizeof(s));
	decode_built(big, sizeof(big), &u, TS_DECODE_RECORD);
	assert_same_as_v16(&u, 17);

	/* Before 12 there is no ac_tgid; before 10 no ac_btime64. */
	s.version = 11;
	s.ac_btime = 1000;
	decode_built(&s, KTS_SIZE_V11, &u, TS_DECODE_RECORD);
	assert_int_equal(u.tgid, 0);
	assert_int_equal(u.pid, 4242);
	assert_true(u.start_time_s == s.ac_btime64);
	s.version = 9;
	decode_built(&s, 344, &u, TS_DECODE_RECORD);
	assert_int_equal(u.start_time_s, 1000);
	assert_int_equal(u.tgid, 0);
	/* Fields past the end read as 0. */
	s.version = 5;
	decode_built(&s, KTS_SIZE_BASIC, &u, TS_DECODE_RECORD);
	assert_int_equal(u.hiwater_rss_kb, 0);
	assert_int_equal(u.nvcsw, 0);
	assert_int_equal(u.exit_status, 0x300);
}

/* Each version must be at least its own size. */
static void
test_short_stats(void **state)
{
	struct kts_taskstats s;
	struct relayfork_usage u;

	v16_stats(&s);
	decode_built(&s, KTS_SIZE_V16 - 1, &u, TS_DECODE_SHORT_STATS);
	s.version = 15;
	decode_built(&s, KTS_SIZE_V15 - 1, &u, TS_DECODE_SHORT_STATS);
	s.version = 14;
	decode_built(&s, KTS_SIZE_V14 - 1, &u, TS_DECODE_SHORT_STATS);
	/* 14 with some fields inserted but not all: no known layout. */
	decode_built(&s, KTS_SIZE_V14 + 64, &u, TS_DECODE_BAD_VERSION);
	s.version = 13;
	decode_built(&s, KTS_SIZE_V13 - 8, &u, TS_DECODE_SHORT_STATS);
	s.version = 12;
	decode_built(&s, KTS_SIZE_V12 - 8, &u, TS_DECODE_SHORT_STATS);
	s.version = 3;
	decode_built(&s, KTS_SIZE_BASIC - 1, &u, TS_DECODE_SHORT_STATS);
	decode_built(&s, 1, &u, TS_DECODE_SHORT_STATS);
	decode_built(&s, 0, &u, TS_DECODE_SHORT_STATS);
	s.version = 0;
	decode_built(&s, sizeof(s), &u, TS_DECODE_BAD_VERSION);
}

/* A message cut anywhere is malformed, never read past its end. */
static void
test_every_cut(void **state)
{
	const unsigned char *msgs[] = { ts_v13_single, ts_v16_group };
	const size_t lens[] = { sizeof(ts_v13_single), sizeof(ts_v16_group) };
	struct relayfork_usage u;
	struct ts_decode_info info;
	unsigned int m;
	size_t cut;

	for (m = 0; m < 2; m++) {
		for (cut = 1; cut < lens[m]; cut++) {
			/* Only the first cut bytes exist: on the heap, so
			 * that the sanitizers see any read past them. */
			unsigned char *p = malloc(cut);

			memcpy(p, msgs[m], cut);
			assert_true(decode_one(p, cut, &u, &info) < 0);
			free(p);
		}
	}
}

/* The same, with nlmsg_len telling the truth about the cut: the
 * attributes overrun the message. */
static void
test_cut_nests(void **state)
{
	struct relayfork_usage u;
	struct ts_decode_info info;
	size_t cut;

	for (cut = KTS_NLMSG_HDRLEN + KTS_GENL_HDRLEN + 1;
	     cut < sizeof(ts_v16_single); cut++) {
		unsigned char *p = malloc(cut);
		uint32_t len = (uint32_t)cut;

		memcpy(p, ts_v16_single, cut);
		memcpy(p, &len, sizeof(len));
		assert_true(decode_one(p, cut, &u, &info) < 0);
		free(p);
	}
}

static void
set16(unsigned char *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void
set32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static int
decode_modified(size_t at, uint32_t value, unsigned int width)
{
	struct relayfork_usage u;
	struct ts_decode_info info;

	memcpy(ODD, ts_v16_single, sizeof(ts_v16_single));
	if (width == 2)
		set16(ODD + at, (uint16_t)value);
	else
		set32(ODD + at, value);
	return decode_one(ODD, sizeof(ts_v16_single), &u, &info);
}

static void
test_lying_lengths(void **state)
{
	/* nlmsg_len past the datagram, or shorter than a header. */
	assert_int_equal(decode_modified(0, sizeof(ts_v16_single) + 4, 4),
			 TS_DECODE_TRUNCATED);
	assert_int_equal(decode_modified(0, 8, 4), TS_DECODE_BAD_LENGTH);
	/* The AGGR_PID nest past the message, or shorter than a header. */
	assert_int_equal(decode_modified(MSG_AGGR_PID, 2000, 2),
			 TS_DECODE_TRUNCATED);
	assert_int_equal(decode_modified(MSG_AGGR_PID, 2, 2),
			 TS_DECODE_BAD_LENGTH);
	/* The PID attribute past its nest; 6 bytes for a u32. */
	assert_int_equal(decode_modified(MSG_PID, 700, 2), TS_DECODE_TRUNCATED);
	assert_int_equal(decode_modified(MSG_PID, 6, 2),
			 TS_DECODE_BAD_ATTRIBUTE);
	/* STATS past its nest, or cut to a too-short struct. */
	assert_int_equal(decode_modified(MSG_STATS, 600, 2),
			 TS_DECODE_TRUNCATED);
	/* STATS cut to 100 bytes: the rest of the struct is read as
	 * attributes, which do not fit. */
	assert_true(decode_modified(MSG_STATS, 4 + 100, 2) < 0);
	/* A message without room for the genetlink header. */
	{
		struct relayfork_usage u;
		struct ts_decode_info info;

		memcpy(ODD, ts_v16_single, KTS_NLMSG_HDRLEN + 2);
		set32(ODD, KTS_NLMSG_HDRLEN + 2);
		assert_int_equal(decode_one(ODD, KTS_NLMSG_HDRLEN + 2, &u, &info),
				 TS_DECODE_TRUNCATED);
	}
}

static void
test_foreign(void **state)
{
	/* Another family's message, another command. */
	assert_int_equal(decode_modified(4, FAMILY + 1, 2), TS_DECODE_FOREIGN);
	assert_int_equal(decode_modified(16, KTS_CMD_GET, 2), TS_DECODE_FOREIGN);
	/* A record about another task than its nest says. */
	assert_int_equal(decode_modified(MSG_PID + 4, 4243, 4),
			 TS_DECODE_MISMATCH);
	/* The version field zeroed. */
	assert_int_equal(decode_modified(MSG_STATS_DATA, 0, 2),
			 TS_DECODE_BAD_VERSION);
}

static void
test_bad_attributes(void **state)
{
	struct builder b = { ODD, 0 };
	struct relayfork_usage u;
	struct ts_decode_info info;
	struct kts_taskstats s;
	uint32_t pid = 4242, junk = 7;
	size_t nest, len;

	v16_stats(&s);

	/* An unknown type alone: nothing to deliver. */
	begin_msg(&b, FAMILY, KTS_CMD_NEW);
	put_attr(&b, 99, &junk, sizeof(junk));
	len = end_msg(&b);
	assert_int_equal(decode_one(ODD, len, &u, &info),
			 TS_DECODE_BAD_ATTRIBUTE);

	/* No attributes at all. */
	begin_msg(&b, FAMILY, KTS_CMD_NEW);
	len = end_msg(&b);
	assert_int_equal(decode_one(ODD, len, &u, &info),
			 TS_DECODE_BAD_ATTRIBUTE);

	/* A nest without STATS; without PID. */
	begin_msg(&b, FAMILY, KTS_CMD_NEW);
	nest = begin_attr(&b, KTS_TYPE_AGGR_PID);
	put_attr(&b, KTS_TYPE_PID, &pid, sizeof(pid));
	end_attr(&b, nest);
	len = end_msg(&b);
	assert_int_equal(decode_one(ODD, len, &u, &info),
			 TS_DECODE_BAD_ATTRIBUTE);
	begin_msg(&b, FAMILY, KTS_CMD_NEW);
	nest = begin_attr(&b, KTS_TYPE_AGGR_PID);
	put_attr(&b, KTS_TYPE_STATS, &s, sizeof(s));
	end_attr(&b, nest);
	len = end_msg(&b);
	assert_int_equal(decode_one(ODD, len, &u, &info),
			 TS_DECODE_BAD_ATTRIBUTE);

	/* Two STATS in a nest; two AGGR_PID nests. */
	begin_msg(&b, FAMILY, KTS_CMD_NEW);
	nest = begin_attr(&b, KTS_TYPE_AGGR_PID);
	put_attr(&b, KTS_TYPE_PID, &pid, sizeof(pid));
	put_attr(&b, KTS_TYPE_STATS, &s, sizeof(s));
	put_attr(&b, KTS_TYPE_STATS, &s, sizeof(s));
	end_attr(&b, nest);
	len = end_msg(&b);
	assert_int_equal(decode_one(ODD, len, &u, &info),
			 TS_DECODE_BAD_ATTRIBUTE);
	memcpy(ODD, ts_v16_single, sizeof(ts_v16_single));
	memcpy(ODD + sizeof(ts_v16_single), ts_v16_single + MSG_AGGR_PID,
	       sizeof(ts_v16_single) - MSG_AGGR_PID);
	set32(ODD, 2 * sizeof(ts_v16_single) - MSG_AGGR_PID);
	assert_int_equal(decode_one(ODD, 2 * sizeof(ts_v16_single) - MSG_AGGR_PID,
				    &u, &info),
			 TS_DECODE_BAD_ATTRIBUTE);

	/* A broken aggregate spoils its message. */
	begin_msg(&b, FAMILY, KTS_CMD_NEW);
	nest = begin_attr(&b, KTS_TYPE_AGGR_PID);
	put_attr(&b, KTS_TYPE_PID, &pid, sizeof(pid));
	put_attr(&b, KTS_TYPE_STATS, &s, sizeof(s));
	end_attr(&b, nest);
	nest = begin_attr(&b, KTS_TYPE_AGGR_TGID);
	put_attr(&b, KTS_TYPE_TGID, &pid, 2);
	end_attr(&b, nest);
	len = end_msg(&b);
	assert_int_equal(decode_one(ODD, len, &u, &info),
			 TS_DECODE_BAD_ATTRIBUTE);

	/* An aggregate alone is no record, but not malformed. */
	begin_msg(&b, FAMILY, KTS_CMD_NEW);
	nest = begin_attr(&b, KTS_TYPE_AGGR_TGID);
	put_attr(&b, KTS_TYPE_TGID, &pid, sizeof(pid));
	put_attr(&b, KTS_TYPE_STATS, &s, sizeof(s));
	end_attr(&b, nest);
	len = end_msg(&b);
	assert_int_equal(decode_one(ODD, len, &u, &info), TS_DECODE_AGGREGATE);
	assert_true(info.aggregate);
}

/* Padding and attributes a later kernel may add do not matter. */
static void
test_padding_and_new_types(void **state)
{
	struct builder b = { ODD, 0 };
	struct relayfork_usage u;
	struct ts_decode_info info;
	struct kts_taskstats s;
	uint32_t pid = 4242, junk = 7;
	size_t nest, len;

	v16_stats(&s);
	begin_msg(&b, FAMILY, KTS_CMD_NEW);
	put_attr(&b, KTS_TYPE_NULL, NULL, 0);
	nest = begin_attr(&b, KTS_TYPE_AGGR_PID | 0x8000 /* NLA_F_NESTED */);
	put_attr(&b, KTS_TYPE_PID, &pid, sizeof(pid));
	put_attr(&b, KTS_TYPE_NULL, NULL, 0);
	put_attr(&b, 42, &junk, sizeof(junk));
	put_attr(&b, KTS_TYPE_STATS, &s, sizeof(s));
	end_attr(&b, nest);
	put_attr(&b, 77, &junk, sizeof(junk));
	len = end_msg(&b);
	assert_int_equal(decode_one(ODD, len, &u, &info), TS_DECODE_RECORD);
	assert_same_as_v16(&u, 16);
}

static void
test_control_messages(void **state)
{
	struct relayfork_usage u;
	struct ts_decode_info info;
	unsigned char m[36] = { 0 };
	int32_t error = -EPERM;

	/* Our request's answer: NLMSG_ERROR with the error, and the
	 * request's header after it. */
	set32(m, sizeof(m));
	set16(m + 4, NLMSG_ERROR);
	set32(m + 8, 77);
	memcpy(m + 16, &error, sizeof(error));
	assert_int_equal(decode_copy(m, sizeof(m), &u, &info), TS_DECODE_ACK);
	assert_int_equal(info.error, -EPERM);
	assert_int_equal(info.seq, 77);
	error = 0;
	memcpy(m + 16, &error, sizeof(error));
	assert_int_equal(decode_copy(m, sizeof(m), &u, &info), TS_DECODE_ACK);
	assert_int_equal(info.error, 0);
	/* An error code no kernel sends; no room for one. */
	error = 5;
	memcpy(m + 16, &error, sizeof(error));
	assert_int_equal(decode_copy(m, sizeof(m), &u, &info),
			 TS_DECODE_NETLINK_ERROR);
	set32(m, 18);
	assert_int_equal(decode_copy(m, 18, &u, &info), TS_DECODE_TRUNCATED);

	set32(m, 16);
	set16(m + 4, NLMSG_NOOP);
	assert_int_equal(decode_copy(m, 16, &u, &info), TS_DECODE_CONTROL);
	set16(m + 4, NLMSG_DONE);
	assert_int_equal(decode_copy(m, 16, &u, &info), TS_DECODE_CONTROL);
	set16(m + 4, NLMSG_OVERRUN);
	assert_int_equal(decode_copy(m, 16, &u, &info),
			 TS_DECODE_NETLINK_ERROR);
	/* An empty datagram; a NULL one. */
	{
		struct ts_cursor c;

		ts_decode_init(&c, m, 0);
		assert_int_equal(ts_decode_next(&c, FAMILY, &u, &info),
				 TS_DECODE_END);
		ts_decode_init(&c, NULL, 100);
		assert_int_equal(ts_decode_next(&c, FAMILY, &u, &info),
				 TS_DECODE_END);
	}
	assert_string_equal(ts_decode_result_name(TS_DECODE_MISMATCH),
			    "ac_pid is not the record's pid");
	assert_string_equal(ts_decode_result_name(12345), "unknown");
}

/* A comm that fills all 32 bytes still ends in NUL. */
static void
test_comm_terminated(void **state)
{
	struct kts_taskstats s;
	struct relayfork_usage u;

	v16_stats(&s);
	memset(s.ac_comm, 'x', sizeof(s.ac_comm));
	decode_built(&s, sizeof(s), &u, TS_DECODE_RECORD);
	assert_int_equal(strlen(u.comm), sizeof(u.comm) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded_v13),
		cmocka_unit_test(test_recorded_v16),
		cmocka_unit_test(test_versions_agree),
		cmocka_unit_test(test_recorded_groups),
		cmocka_unit_test(test_two_messages),
		cmocka_unit_test(test_version15),
		cmocka_unit_test(test_append_only_versions),
		cmocka_unit_test(test_short_stats),
		cmocka_unit_test(test_every_cut),
		cmocka_unit_test(test_cut_nests),
		cmocka_unit_test(test_lying_lengths),
		cmocka_unit_test(test_foreign),
		cmocka_unit_test(test_bad_attributes),
		cmocka_unit_test(test_padding_and_new_types),
		cmocka_unit_test(test_control_messages),
		cmocka_unit_test(test_comm_terminated),
	};

	return cmocka_run_group_tests_name("taskstats", tests, NULL, NULL);
}
