// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The tracker's insides, shared by tracker.c (membership) and
 * tracker-usage.c (resource usage from taskstats).
 */
#ifndef RELAYFORK_TRACKER_H
#define RELAYFORK_TRACKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pidmap.h"
#include "relayfork/relayfork.h"

#define NONE UINT32_MAX

struct slot {
	struct relayfork_member rec;
	/* Events stamped before this are older than what the member's
	 * record says (it was read from /proc then). */
	uint64_t since_ns;
	uint32_t next_free;
	/* The task of the last usage record summed, and the taskstats
	 * losses counted when it joined: its figures are whole when the
	 * task that ended it sent the last record and nothing was lost
	 * meanwhile. */
	pid_t last_record_pid;
	uint64_t usage_lost_at_join;
};

/* Usage records of processes whose fork the tracker has not handled
 * yet (the two sockets are read in any order): held by pid until the
 * process joins, a bounded ring. */
#define HELD_USAGE_MAX 256

struct held_usage {
	pid_t tgid;
	pid_t last_pid;
	char comm[16];		/* the main thread's at exit, or "" */
	struct relayfork_member_usage usage;
};

struct relayfork_tracker {
	unsigned int flags;
	struct slot *slots;
	uint32_t nslots, free_slot;
	struct pidmap live;		/* pid -> slot of a live member */
	uint64_t next_id;
	/* Events older than the last resync are ignored. */
	uint64_t since_ns;
	bool lossy;			/* events lost while following */
	bool resyncing;			/* EMPTY waits until /proc is read */
	/* A child subreaper (RELAYFORK_TRACKER_SUBREAPER): orphans of the
	 * job become this process's children; those that started after
	 * the job did are its members. */
	pid_t subreaper;
	uint64_t first_spawn_ns;
	bool threads_known;
	uint64_t ended_with_usage;
	struct relayfork_tracker_totals totals;
	/* What relayfork_tracker_next() returns, in order: a ring that
	 * grows when full and never shrinks. */
	struct relayfork_tracker_event *queue;
	size_t qhead, qlen, qcap;
	/* Resource usage (tracker-usage.c). */
	struct relayfork_taskstats *taskstats;
	struct held_usage *held;
	size_t held_next, held_len;
};

struct slot *tracker_find(struct relayfork_tracker *t, pid_t pid);

/* Read the records waiting in the taskstats source: every one, or up
 * to and with task until's own when until > 0. */
int tracker_usage_drain(struct relayfork_tracker *t, pid_t until);
/* s joined: take what was held for it. */
void tracker_usage_joined(struct relayfork_tracker *t, struct slot *s);
/* s ends with last_task's exit (0: not known): flag whole figures. */
void tracker_usage_settle(struct relayfork_tracker *t, struct slot *s,
			  pid_t last_task);
void tracker_usage_free(struct relayfork_tracker *t);
/* sum += u (the memory peak is the larger of the two). */
void tracker_usage_add(struct relayfork_member_usage *sum,
		       const struct relayfork_member_usage *u);

#endif
