// SPDX-License-Identifier: LGPL-2.1-or-later
#include "internal.h"
#include "kernel-abi.h"
#include "mask.h"

#define MASK_KNOWN                                                             \
	((uint32_t)RELAYFORK_EVENTS_ALL | RELAYFORK_EVENTS_EXIT_FAILURE |       \
	 RELAYFORK_EVENTS_SKIP_THREADS)
#define MASK_TYPES ((uint32_t)RELAYFORK_EVENTS_ALL | RELAYFORK_EVENTS_EXIT_FAILURE)

/* Kernel bits of the event types, by relayfork type. */
static const uint32_t kernel_bits[] = {
	[RELAYFORK_EVENT_FORK] = KCN_EVENT_FORK,
	[RELAYFORK_EVENT_EXEC] = KCN_EVENT_EXEC,
	[RELAYFORK_EVENT_EXIT] = KCN_EVENT_EXIT,
	[RELAYFORK_EVENT_UID] = KCN_EVENT_UID,
	[RELAYFORK_EVENT_GID] = KCN_EVENT_GID,
	[RELAYFORK_EVENT_SID] = KCN_EVENT_SID,
	[RELAYFORK_EVENT_PTRACE] = KCN_EVENT_PTRACE,
	[RELAYFORK_EVENT_COMM] = KCN_EVENT_COMM,
	[RELAYFORK_EVENT_COREDUMP] = KCN_EVENT_COREDUMP,
};

#define KERNEL_OTHER                                                           \
	(KCN_EVENT_EXEC | KCN_EVENT_UID | KCN_EVENT_GID | KCN_EVENT_SID |      \
	 KCN_EVENT_PTRACE | KCN_EVENT_COMM | KCN_EVENT_COREDUMP)

bool
mask_valid(uint32_t mask)
{
	return (mask & ~MASK_KNOWN) == 0 && (mask & MASK_TYPES) != 0;
}

bool
mask_matches(uint32_t mask, const struct relayfork_event *ev)
{
	bool skip_threads = mask & RELAYFORK_EVENTS_SKIP_THREADS;

	switch (ev->type) {
	case RELAYFORK_EVENT_LOST:
		return true;
	case RELAYFORK_EVENT_FORK:
		if (skip_threads && (ev->flags & RELAYFORK_EVENT_F_THREAD))
			return false;
		return mask & RELAYFORK_EVENTS_FORK;
	case RELAYFORK_EVENT_EXIT:
		/* Without threads, only the exit that ends a process. */
		if (skip_threads && !(ev->flags & RELAYFORK_EVENT_F_PROCESS_END))
			return false;
		return (mask & RELAYFORK_EVENTS_EXIT) ||
		       ((mask & RELAYFORK_EVENTS_EXIT_FAILURE) &&
			ev->u.exit.status != 0);
	default:
		return ev->type < 32 &&
		       (mask & RELAYFORK_EVENTS_ALL & (1u << ev->type));
	}
}

void
mask_plan(uint32_t mask, struct mask_plan *plan)
{
	bool skip_threads = mask & RELAYFORK_EVENTS_SKIP_THREADS;
	enum mask_exits exits = (mask & RELAYFORK_EVENTS_EXIT) ? MASK_EXITS_ALL
				: (mask & RELAYFORK_EVENTS_EXIT_FAILURE)
					? MASK_EXITS_FAILED
					: MASK_EXITS_NONE;
	unsigned int type;

	*plan = (struct mask_plan){ 0 };
	for (type = 0; type < ARRAY_SIZE(kernel_bits); type++)
		if (mask & (1u << type))
			plan->other |= kernel_bits[type];
	plan->other &= KERNEL_OTHER;
	plan->fork_process = mask & RELAYFORK_EVENTS_FORK;
	plan->fork_thread = plan->fork_process && !skip_threads;
	plan->exit_leader = exits;
	plan->exit_thread = skip_threads ? MASK_EXITS_NONE : exits;
	plan->follows_threads = exits != MASK_EXITS_NONE;
	if (plan->follows_threads) {
		/* Counting the threads of each process takes all their forks
		 * and exits.  Main threads' exits stay as the mask says:
		 * the threads' code tells when a failure ends a process
		 * whose main thread left first unseen (threads.h). */
		plan->fork_thread = true;
		plan->exit_thread = MASK_EXITS_ALL;
	}
}

bool
mask_plan_keeps_all(const struct mask_plan *plan)
{
	return plan->other == KERNEL_OTHER && plan->fork_process &&
	       plan->fork_thread && plan->exit_leader == MASK_EXITS_ALL &&
	       plan->exit_thread == MASK_EXITS_ALL;
}

uint32_t
mask_plan_kernel(const struct mask_plan *plan)
{
	enum mask_exits exits = plan->exit_leader > plan->exit_thread
					? plan->exit_leader
					: plan->exit_thread;
	uint32_t kmask = plan->other;

	if (mask_plan_keeps_all(plan))
		return KCN_EVENT_ALL;
	if (plan->fork_process || plan->fork_thread)
		kmask |= KCN_EVENT_FORK;
	/* With EXIT the kernel sends every exit; NONZERO_EXIT alone is
	 * its "failures only". */
	if (exits == MASK_EXITS_ALL)
		kmask |= KCN_EVENT_EXIT;
	else if (exits == MASK_EXITS_FAILED)
		kmask |= KCN_EVENT_NONZERO_EXIT;
	return kmask;
}

bool
mask_plan_needs_socket_filter(const struct mask_plan *plan, bool kernel_filters)
{
	if (mask_plan_keeps_all(plan))
		return false;
	if (!kernel_filters)
		return true;
	return plan->fork_process != plan->fork_thread ||
	       plan->exit_leader != plan->exit_thread;
}

RELAYFORK_EXPORT int
relayfork_event_match(const struct relayfork_event *event, uint32_t mask)
{
	return_if_fail(event, 0);
	return mask_matches(mask, event);
}
