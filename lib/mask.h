/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What an event mask means, in one place: which events a monitor
 * delivers, and what the socket must therefore receive from the kernel
 * and keep through its filter.  Pure.
 *
 * A monitor that delivers exits follows thread groups, to tell which
 * exit ends a process (RELAYFORK_EVENT_F_PROCESS_END): for that it
 * needs the forks and exits of threads and every exit of a main thread,
 * whatever the mask says it delivers.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "relayfork/relayfork.h"

/* Which exits of one kind of task the socket keeps. */
enum mask_exits {
	MASK_EXITS_NONE,
	MASK_EXITS_FAILED, /* a non-zero wait status */
	MASK_EXITS_ALL,
};

/* What the socket must receive for a mask. */
struct mask_plan {
	/* Kernel bits of the types other than fork and exit: kept for
	 * every task. */
	uint32_t other;
	bool fork_process;	/* forks that create a process */
	bool fork_thread;	/* forks that create a thread */
	enum mask_exits exit_leader;	/* exits of main threads */
	enum mask_exits exit_thread;	/* exits of other threads */
	bool follows_threads;	/* the monitor follows thread groups */
};

/* Is the mask valid (known bits, at least one event type)? */
bool mask_valid(uint32_t mask);

/* Does the mask select this event?  relayfork_event_match(). */
bool mask_matches(uint32_t mask, const struct relayfork_event *event);

void mask_plan(uint32_t mask, struct mask_plan *ret_plan);

/* Does the plan keep every event the kernel makes? */
bool mask_plan_keeps_all(const struct mask_plan *plan);

/* The event_type of a filtered (Linux 6.6+) LISTEN for the plan. */
uint32_t mask_plan_kernel(const struct mask_plan *plan);

/*
 * Must a socket filter drop what the kernel still sends?  kernel_filters:
 * the kernel applies mask_plan_kernel() per socket.  The kernel filters
 * by type only: it cannot tell a thread from a process.
 */
bool mask_plan_needs_socket_filter(const struct mask_plan *plan,
				   bool kernel_filters);
