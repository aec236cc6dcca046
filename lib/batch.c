// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The drain-and-decode core behind every way of receiving: step through
 * the datagrams one recvmmsg(2) call brought, decode them, follow thread
 * groups, keep what the mask selects, and put loss reports where they
 * belong in the stream.
 */
#include <errno.h>

#include "monitor.h"
#include "procfs.h"

/*
 * Step through the current batch: returns true with *ev filled, or false
 * when the batch is used up.
 */
static bool
next_from_batch(struct relayfork_monitor *m, struct relayfork_event *ev)
{
	struct socket_batch *b = m->batch;

	while (m->current < m->filled) {
		struct decode_info info;
		int r;

		if (!m->cursor_valid) {
			unsigned int i = m->current;

			if (!socket_batch_from_kernel(b, i)) {
				m->counters[RELAYFORK_COUNTER_FOREIGN]++;
				log_debug(m, "dropped a datagram from port %u",
					  b->from[i].nl_pid);
				m->current++;
				continue;
			}
			m->counters[RELAYFORK_COUNTER_RECEIVED]++;
			if (socket_batch_truncated(b, i)) {
				m->counters[RELAYFORK_COUNTER_MALFORMED]++;
				log_debug(m, "dropped an oversized datagram");
				m->current++;
				continue;
			}
			decode_init(&m->cursor, b->slots[i], b->msgs[i].msg_len);
			m->cursor_valid = true;
		}

		r = decode_next(&m->cursor, ev, &info);
		switch (r) {
		case DECODE_END:
			m->cursor_valid = false;
			m->current++;
			break;
		case DECODE_EVENT:
			loss_observe(&m->loss, info.cpu, info.seq);
			if (m->plan.follows_threads)
				threads_observe(&m->threads, ev);
			if (mask_matches(m->mask, ev))
				return true;
			/* Taken only to count a process's threads, or let
			 * through by the filters. */
			if (m->plan.follows_threads &&
			    (ev->type == RELAYFORK_EVENT_FORK ||
			     ev->type == RELAYFORK_EVENT_EXIT))
				m->counters[RELAYFORK_COUNTER_FOLLOWED]++;
			else
				m->counters[RELAYFORK_COUNTER_FILTERED]++;
			break;
		case DECODE_ACK:
			loss_observe(&m->loss, info.cpu, info.seq);
			m->counters[RELAYFORK_COUNTER_CONTROL]++;
			break;
		case DECODE_CONTROL:
			m->counters[RELAYFORK_COUNTER_CONTROL]++;
			break;
		default:
			m->counters[RELAYFORK_COUNTER_MALFORMED]++;
			log_debug(m, "dropped a malformed message: %s",
				  decode_result_name(r));
			break;
		}
	}
	return false;
}

/* An event held back behind a loss report: the mask may have changed
 * since it was read. */
static bool
take_held(struct relayfork_monitor *m, struct relayfork_event *ev)
{
	m->have_held = false;
	if (!mask_matches(m->mask, &m->held)) {
		m->counters[RELAYFORK_COUNTER_FILTERED]++;
		return false;
	}
	*ev = m->held;
	return true;
}

bool
batch_has_queued(const struct relayfork_monitor *m)
{
	return m->have_held || m->current < m->filled;
}

int
batch_next(struct relayfork_monitor *m, struct relayfork_event *ev)
{
	for (;;) {
		uint64_t read_ns;
		int r;

		if (m->have_held) {
			if (take_held(m, ev))
				break;
			continue;
		}
		if (next_from_batch(m, ev)) {
			struct relayfork_event lost;

			/* A loss before this event is reported first. */
			if (lost_take(m, ev, &lost)) {
				m->held = *ev;
				m->have_held = true;
				*ev = lost;
			}
			break;
		}

		read_ns = procfs_now_ns();
		r = socket_receive(m->fd, m->batch);
		if (r > 0) {
			m->filled = (unsigned int)r;
			m->current = 0;
			m->cursor_valid = false;
			/* Busy is what the socket brings, delivered or not
			 * (threads followed, events filtered): a reader
			 * that wakes for each would pay for each. */
			m->since_drained += (unsigned int)r;
			lost_check_drops(m, r, read_ns);
			continue;
		}
		m->filled = m->current = 0;
		if (r == -ENOBUFS) {
			/* Where the kernel reports overflows (without
			 * NETLINK_NO_ENOBUFS): events still queued came
			 * before the loss. */
			loss_overflow(&m->loss, read_ns);
			continue;
		}
		if (r != -EAGAIN)
			return r;
		if (lost_take(m, NULL, ev))
			break;
		/* Drained: what is read from /proc now is newer than every
		 * event received. */
		lost_resync_threads(m);
		/* The caller may now wait, after a pause if this drain
		 * received anything (loop.c). */
		m->busy = m->since_drained > 0;
		m->since_drained = 0;
		return 0;
	}
	m->counters[RELAYFORK_COUNTER_DELIVERED]++;
	return 1;
}
