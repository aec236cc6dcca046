// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Loss, from the bookkeeping in loss.c to RELAYFORK_EVENT_LOST events:
 * reading the socket's drop counter when it may have grown, making the
 * reports, growing the buffer, and reading thread groups again after a
 * loss (the events that said what they did are gone).
 */
#include <errno.h>
#include <string.h>

#include "monitor.h"
#include "procfs.h"

/* A buffer under this (5 times the room of a batch of queued events,
 * RELAYFORK_QUEUED_EVENT_BYTES each, to spare other kernels' sizes) may
 * be full though a receive found less than a batch in it. */
#define SMALL_BUFFER (SOCKET_BATCH * RELAYFORK_QUEUED_EVENT_BYTES * 5)

void
lost_check_drops(struct relayfork_monitor *m, int received, uint64_t read_ns)
{
	uint32_t drops;

	/*
	 * The socket never reports overflows (NETLINK_NO_ENOBUFS, so that
	 * event loops never see POLLERR): its drop counter tells.  Drops
	 * happen only while the buffer is full, and between two receives
	 * the queue only grows; a receive that took less than a batch
	 * found it short of full, so nothing was dropped since the last
	 * one.  Only full batches (storms) cost a look at the counter.
	 */
	if (received < SOCKET_BATCH && m->rcvbuf_granted >= SMALL_BUFFER)
		return;
	if (socket_get_drops(m->fd, &drops) < 0)
		return;
	/* The drops came after every event queued when this receive
	 * read, and before every event queued after it. */
	if (loss_drops_grew(&m->loss, drops))
		loss_overflow(&m->loss, read_ns);
}

static void
make_lost_event(struct relayfork_monitor *m, struct relayfork_event *ev,
		uint64_t count, uint32_t reason)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = RELAYFORK_EVENT_LOST;
	ev->flags = RELAYFORK_EVENT_F_SYNTHETIC;
	ev->timestamp_ns = procfs_now_ns();
	ev->u.lost.count = count;
	ev->u.lost.reason = reason;
	m->counters[RELAYFORK_COUNTER_LOST] += count;
	log_info(m, "%llu events lost (%s)", (unsigned long long)count,
		 reason == RELAYFORK_LOST_SEQUENCE ? "the kernel did not send them"
		 : reason == RELAYFORK_LOST_OVERFLOW ? "receive buffer full"
						     : "receive buffer full, count unknown");
	/* The forks and exits that made the thread table may be among
	 * them: read it again once caught up. */
	m->threads_stale = m->plan.follows_threads;
}

#define RESYNC_INTERVAL_NS 1000000000u

void
lost_resync_threads(struct relayfork_monitor *m)
{
	uint64_t now;

	if (!m->threads_stale)
		return;
	now = procfs_now_ns();
	if (m->threads.since_ns && now - m->threads.since_ns < RESYNC_INTERVAL_NS)
		return;
	m->threads_stale = false;
	subscription_resync_threads(m);
}

/* After an overflow: a bigger buffer, if the caller allowed it. */
static void
grow_buffer(struct relayfork_monitor *m)
{
	size_t want;
	int r;

	if (m->rcvbuf >= m->rcvbuf_max)
		return;
	want = m->rcvbuf * 2 < m->rcvbuf_max ? m->rcvbuf * 2 : m->rcvbuf_max;
	r = socket_set_rcvbuf(m->fd, want);
	if (r < 0) {
		log_err(m, "cannot grow the receive buffer: %s", strerror(-r));
		return;
	}
	m->rcvbuf = want;
	m->rcvbuf_granted = r;
	log_info(m, "receive buffer grown to %zu bytes (the kernel granted %d)",
		 want, r);
}

bool
lost_take(struct relayfork_monitor *m, const struct relayfork_event *next,
	  struct relayfork_event *ev)
{
	uint64_t n;

	if (loss_overflow_due(&m->loss, next ? next->timestamp_ns : 0, !next)) {
		uint32_t drops = 0;
		bool have = socket_get_drops(m->fd, &drops) == 0;

		n = loss_overflow_take(&m->loss, have, drops);
		if (!have) {
			make_lost_event(m, ev, 0, RELAYFORK_LOST_UNKNOWN);
			return true;
		}
		/* A second ENOBUFS whose drops the first report counted. */
		if (n > 0) {
			make_lost_event(m, ev, n, RELAYFORK_LOST_OVERFLOW);
			grow_buffer(m);
			return true;
		}
	}
	n = loss_sequence_take(&m->loss);
	if (n > 0) {
		make_lost_event(m, ev, n, RELAYFORK_LOST_SEQUENCE);
		return true;
	}
	return false;
}
