/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The monitor's state, shared by the files that each hold one part of
 * it: monitor.c (the object, its settings and counters), subscription.c
 * (LISTEN and IGNORE, the filters, the event mask), batch.c (the
 * receive batch, decoding, the events it delivers), lost.c (turning the
 * loss bookkeeping into RELAYFORK_EVENT_LOST events) and loop.c
 * (receive, dispatch, wait, run, wake-up coalescing).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "decode.h"
#include "internal.h"
#include "loss.h"
#include "mask.h"
#include "socket.h"
#include "threads.h"

#define MONITOR_COUNTERS (RELAYFORK_COUNTER_FOLLOWED + 1)

struct relayfork_monitor {
	int refcount;
	unsigned int flags;
	int fd;

	/* What to deliver, and what the socket needs for it. */
	uint32_t mask;
	struct mask_plan plan;

	/* The process that created the monitor: after fork() a child
	 * shares the socket, and whatever it told the kernel would change
	 * the parent's subscription. */
	pid_t owner;

	/* subscription.c */
	bool started;
	bool probed;
	/* The kernel keeps a per-socket mask (Linux 6.6+). */
	bool kernel_can_filter;
	uint32_t cookie;

	/* The receive buffer asked for, what the kernel granted (counted
	 * its way, twice the payload), and how far loss may grow it. */
	size_t rcvbuf;
	int rcvbuf_granted;
	size_t rcvbuf_max;

	/* batch.c: the receive batch and where decoding stands in it. */
	struct socket_batch *batch;
	unsigned int filled;
	unsigned int current;
	bool cursor_valid;
	struct decode_cursor cursor;
	/* An event read but held back while a loss report goes first. */
	bool have_held;
	struct relayfork_event held;
	/* Datagrams received since the socket was last found empty. */
	uint64_t since_drained;

	/* lost.c */
	struct loss loss;

	/* Thread groups, while the mask delivers exits; stale after a
	 * loss until read again from /proc. */
	struct threads threads;
	bool threads_stale;

	/* loop.c */
	bool in_dispatch;
	/* References held by dispatch and run themselves: when only these
	 * are left, the caller has let go. */
	int loop_refs;
	unsigned int coalesce_usec;
	/* The last drain received events: wait a moment before polling. */
	bool busy;

	uint64_t counters[MONITOR_COUNTERS];

	relayfork_log_fn_t log_fn;
	void *log_userdata;
	int log_priority;
};

void monitor_log(struct relayfork_monitor *m, int priority, const char *format,
		 ...) __attribute__((format(printf, 3, 4)));

#define log_debug(m, ...) monitor_log(m, RELAYFORK_LOG_DEBUG, __VA_ARGS__)
#define log_info(m, ...) monitor_log(m, RELAYFORK_LOG_INFO, __VA_ARGS__)
#define log_err(m, ...) monitor_log(m, RELAYFORK_LOG_ERR, __VA_ARGS__)

/* monitor.c: 0 in the monitor's own process, -ECHILD in a child that
 * inherited it (which must not change the parent's subscription). */
int monitor_check_owner(const struct relayfork_monitor *m);

/* subscription.c: the kernel filters for this monitor. */
bool subscription_kernel_filters(const struct relayfork_monitor *m);
/* Read the thread groups from /proc again (after a start or a loss). */
void subscription_resync_threads(struct relayfork_monitor *m);

/* lost.c: after a loss, once drained: read the thread groups again, at
 * most once a second (a reader that keeps losing must not also walk
 * /proc each time). */
void lost_resync_threads(struct relayfork_monitor *m);

/* batch.c: the next event, without blocking: 1, 0 (none) or -errno. */
int batch_next(struct relayfork_monitor *m, struct relayfork_event *event);
/* Are events waiting inside the library (no need to poll)? */
bool batch_has_queued(const struct relayfork_monitor *m);

/* lost.c */
/* After a receive that may have seen the buffer full: did the kernel
 * drop events since?  read_ns: CLOCK_MONOTONIC before the receive. */
void lost_check_drops(struct relayfork_monitor *m, int received,
		      uint64_t read_ns);
/* Is a loss report due before *next (an event about to be delivered),
 * or, with next NULL, now that the socket is drained?  If so, fills
 * *event with it and returns true. */
bool lost_take(struct relayfork_monitor *m, const struct relayfork_event *next,
	       struct relayfork_event *event);
