/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The decoder: bytes of one datagram from the proc connector in,
 * relayfork events out.  Pure: no system calls, no allocation, no global
 * state; it is the most tested and fuzzed code of the project.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "relayfork/relayfork.h"

/* What decode_next() found; negative values are malformed input. */
enum decode_result {
	DECODE_END = 0,		/* no more messages in the datagram */
	DECODE_EVENT = 1,	/* an event was decoded */
	DECODE_ACK = 2,		/* a subscription acknowledgement */
	DECODE_CONTROL = 3,	/* NLMSG_NOOP and the like: nothing to do */
	DECODE_TRUNCATED = -1,	/* a header or payload is cut short */
	DECODE_BAD_LENGTH = -2, /* a length field disagrees with the data */
	DECODE_FOREIGN_ID = -3, /* not CN_IDX_PROC/CN_VAL_PROC */
	DECODE_BAD_TYPE = -4,	/* an event type the decoder does not know */
	DECODE_NETLINK_ERROR = -5, /* NLMSG_ERROR or NLMSG_OVERRUN */
};

/* Position in one datagram; set up with decode_init(). */
struct decode_cursor {
	const unsigned char *buf;
	size_t len;
	size_t offset;
};

/* Details decode_next() reports besides the event. */
struct decode_info {
	uint32_t seq;	   /* cn_msg.seq: the per-CPU sequence number */
	uint32_t ack;	   /* cn_msg.ack: non-zero on acknowledgements */
	uint32_t ack_err;  /* the acknowledged request's error (positive) */
	uint32_t cpu;	   /* proc_event.cpu */
	uint32_t what;	   /* proc_event.what, the kernel's type bit */
};

void decode_init(struct decode_cursor *cursor, const void *buf, size_t len);

/*
 * Decode the next netlink message of the datagram.  On DECODE_EVENT,
 * *event is filled; on every result but DECODE_END, *info describes the
 * message as far as it could be read.  After a negative result the cursor
 * has moved past the bad message, or to the end when the lengths cannot
 * be trusted, so calling again never loops and never reads out of bounds.
 */
int decode_next(struct decode_cursor *cursor, struct relayfork_event *event,
		struct decode_info *info);

/* Human-readable name of a decode_result, for logs and tests. */
const char *decode_result_name(int result);
