/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The taskstats decoder: bytes of one datagram from the TASKSTATS
 * generic netlink family in, struct relayfork_usage records out.  Pure:
 * no system calls, no allocation, no global state; fuzzed
 * (tests/fuzz/fuzz-taskstats.c).
 *
 * An exit message is a generic netlink message of the family's id with
 * command TASKSTATS_CMD_NEW and these attributes:
 *
 *   AGGR_PID  (nest)  PID (u32), STATS (struct taskstats)
 *   AGGR_TGID (nest)  TGID (u32), STATS   only with the last task of a
 *                                         process that had threads
 *   NULL              padding, anywhere (aligns STATS on some
 *                     architectures)
 *
 * The AGGR_PID nest becomes the record; the AGGR_TGID aggregate is
 * checked and reported (info.aggregate), never delivered.  Attributes of
 * other types are skipped (a later kernel may add some), but a message
 * with neither nest is malformed, and so is a nest without its id or
 * STATS, a duplicate, a length that overruns its container, a struct too
 * short for its version, and a STATS whose ac_pid is not the nest's PID.
 * struct taskstats is read by version (taskstats-abi.h): min(length,
 * sizeof) bytes are copied to aligned storage, the rest reads as 0.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relayfork/relayfork.h"

/* What ts_decode_next() found; negative values are malformed input. */
enum ts_decode_result {
	TS_DECODE_END = 0,	   /* no more messages in the datagram */
	TS_DECODE_RECORD = 1,	   /* *usage was filled */
	TS_DECODE_AGGREGATE = 2,   /* a message with only an aggregate */
	TS_DECODE_ACK = 3,	   /* NLMSG_ERROR: info.error, info.seq */
	TS_DECODE_CONTROL = 4,	   /* NLMSG_NOOP, NLMSG_DONE */
	TS_DECODE_TRUNCATED = -1,  /* a header or attribute is cut short */
	TS_DECODE_BAD_LENGTH = -2, /* a length disagrees with its container */
	TS_DECODE_FOREIGN = -3,	   /* another family or command */
	TS_DECODE_BAD_ATTRIBUTE = -4, /* missing, duplicate or mis-sized */
	TS_DECODE_SHORT_STATS = -5,   /* struct taskstats too short */
	TS_DECODE_BAD_VERSION = -6,   /* version 0, or a layout not known */
	TS_DECODE_MISMATCH = -7,      /* ac_pid is not the nest's PID */
	TS_DECODE_NETLINK_ERROR = -8, /* NLMSG_OVERRUN, or a bad NLMSG_ERROR */
};

/* Position in one datagram; set up with ts_decode_init(). */
struct ts_cursor {
	const unsigned char *buf;
	size_t len;
	size_t offset;
};

/* Details ts_decode_next() reports besides the record. */
struct ts_decode_info {
	uint32_t seq;	    /* nlmsg_seq (per-CPU on exit records) */
	int32_t error;	    /* TS_DECODE_ACK: 0 or a negative errno */
	uint32_t stats_len; /* length of the record's struct taskstats */
	bool aggregate;	    /* an AGGR_TGID nest came with the message */
};

void ts_decode_init(struct ts_cursor *cursor, const void *buf, size_t len);

/*
 * Decode the next netlink message of the datagram; family is the
 * TASKSTATS family's id.  *usage is written only on TS_DECODE_RECORD;
 * *info on every result but TS_DECODE_END, as far as the message could
 * be read.  After a negative result the cursor has moved past the bad
 * message, or to the end when lengths cannot be trusted: calling again
 * never loops and never reads out of bounds.
 */
int ts_decode_next(struct ts_cursor *cursor, uint16_t family,
		   struct relayfork_usage *usage, struct ts_decode_info *info);

/*
 * Decode one struct taskstats of len bytes (the STATS attribute's
 * payload, any alignment) into a RELAYFORK_USAGE_TASK record.  Returns
 * TS_DECODE_RECORD, TS_DECODE_SHORT_STATS or TS_DECODE_BAD_VERSION;
 * *usage is written only on success.
 */
int ts_decode_stats(const void *stats, size_t len,
		    struct relayfork_usage *usage);

/* A name for a ts_decode_result, for logs and tests. */
const char *ts_decode_result_name(int result);
