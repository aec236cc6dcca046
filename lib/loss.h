/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loss accounting: what the monitor missed, and where in the stream to
 * say so.  Pure bookkeeping: the monitor reads the socket and the drop
 * counter and tells this code what it saw.
 *
 * Two sources:
 *  - overflow: the socket's buffer was full.  The monitor learns it from
 *    the socket's drop counter after a receive (or, where the socket
 *    reports overflows, from ENOBUFS); every event queued when that
 *    receive read came before the loss.  The loss is reported just
 *    before the first event stamped after that read (events queued
 *    again once the backlog was read), or when the socket runs dry.  The count is the socket's drop counter's growth.
 *    A timestamp can be older than its send (the sender was preempted in
 *    between), so when sequence numbers are tracked, a gap that no
 *    report has counted yet, seen while an overflow is open, makes the
 *    report due as well.
 *  - sequence: with every event type subscribed, gaps in the kernel's
 *    per-CPU sequence numbers count every event this socket did not
 *    get; those beyond the overflow drops are events the kernel failed
 *    to send at all.  With a filter, gaps are normal and not counted.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct loss {
	bool overflow_pending;
	uint64_t overflow_seen_ns; /* CLOCK_MONOTONIC when ENOBUFS came */
	bool overflow_gap;	   /* a sequence gap seen while pending */
	uint32_t drops_seen;	   /* the drop counter at the last report */

	bool tracking;
	unsigned int ncpu;
	uint32_t *last_seq;
	bool *seq_known;
	uint64_t seq_missing;	   /* gaps seen since tracking began */
	uint64_t seq_reported;	   /* of those, reported as sequence loss */
	uint64_t overflow_lost;	   /* overflow losses since tracking began */
};

int loss_init(struct loss *l, unsigned int ncpu);
void loss_free(struct loss *l);

/* Start (again, forgetting old sequence numbers) or stop gap tracking. */
void loss_track_sequence(struct loss *l, bool on);
/* Set the drop counter baseline (at subscription). */
void loss_set_drops(struct loss *l, uint32_t drops);
/* Has the drop counter grown since the last report? */
bool loss_drops_grew(const struct loss *l, uint32_t drops);
/* Every message the kernel sent us, delivered or not. */
void loss_observe(struct loss *l, uint32_t cpu, uint32_t seq);
/* The socket overflowed; events stamped after now_ns came after. */
void loss_overflow(struct loss *l, uint64_t now_ns);

/* Must an overflow report come before an event stamped ts?  drained: the
 * socket has nothing more, report now. */
bool loss_overflow_due(const struct loss *l, uint64_t ts, bool drained);
/* Close the overflow episode: the count given the drop counter now
 * (have_drops false when it cannot be read: count 0, unknown). */
uint64_t loss_overflow_take(struct loss *l, bool have_drops, uint32_t drops);
/* Events missing from the sequence that nothing has explained yet. */
uint64_t loss_sequence_take(struct loss *l);
