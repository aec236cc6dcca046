// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Members' resource usage, from the kernel's taskstats exit records.
 *
 * Every task sends a record as it exits, before its EXIT event, on
 * another socket.  Records of a live member's tasks are summed into its
 * record as they come; at the EXIT that ends a member the source is
 * drained first, so the last task's record is in by then (or a loss
 * report that counts it).  A record may also be read before the fork
 * of its process was handled: one whose parent is a member is held
 * until the process joins.  Every other record (the rest of the
 * system's exits) is dropped.  So that records rarely come before their
 * forks, the drain at an exit stops at the exiting task's own record:
 * the records after it are of tasks that exited later, whose forks may
 * still wait on the monitor's socket (a child and its parent both, when
 * the child exits first: then its parent is not a member yet).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "monitor.h"
#include "tracker.h"

static void
usage_from_record(struct relayfork_member_usage *sum,
		  const struct relayfork_usage *u)
{
	const struct relayfork_member_usage one = {
		.utime_us = u->utime_us,
		.stime_us = u->stime_us,
		.run_ns = u->run_ns,
		.minflt = u->minflt,
		.majflt = u->majflt,
		.hiwater_rss_kb = u->hiwater_rss_kb,
		.read_chars = u->read_chars,
		.write_chars = u->write_chars,
		.read_bytes = u->read_bytes,
		.write_bytes = u->write_bytes,
		.records = 1,
	};

	tracker_usage_add(sum, &one);
}

void
tracker_usage_add(struct relayfork_member_usage *sum,
		  const struct relayfork_member_usage *u)
{
	sum->utime_us += u->utime_us;
	sum->stime_us += u->stime_us;
	sum->run_ns += u->run_ns;
	sum->minflt += u->minflt;
	sum->majflt += u->majflt;
	/* Every thread reports its process's peak; the largest is it. */
	if (u->hiwater_rss_kb > sum->hiwater_rss_kb)
		sum->hiwater_rss_kb = u->hiwater_rss_kb;
	sum->read_chars += u->read_chars;
	sum->write_chars += u->write_chars;
	sum->read_bytes += u->read_bytes;
	sum->write_bytes += u->write_bytes;
	sum->records += u->records;
}

static void
take_comm(char comm[16], const char *exit_comm)
{
	size_t n = strnlen(exit_comm, 15);

	if (n == 0)
		return;
	memcpy(comm, exit_comm, n);
	memset(comm + n, 0, 16 - n);
}

static struct held_usage *
held_find(struct relayfork_tracker *t, pid_t tgid)
{
	size_t i;

	for (i = 0; i < t->held_len; i++)
		if (t->held[i].tgid == tgid)
			return &t->held[i];
	return NULL;
}

/* Hold a record for a process about to join; the oldest goes when the
 * ring is full, and its process's figures will not be whole. */
static void
hold(struct relayfork_tracker *t, pid_t tgid, const struct relayfork_usage *u)
{
	struct held_usage *h = held_find(t, tgid);

	if (!h) {
		if (!t->held) {
			t->held = calloc(HELD_USAGE_MAX, sizeof(*t->held));
			if (!t->held) {
				t->totals.usage_lost++;
				return;
			}
		}
		if (t->held_len < HELD_USAGE_MAX) {
			h = &t->held[t->held_len++];
		} else {
			h = &t->held[t->held_next];
			t->held_next = (t->held_next + 1) % HELD_USAGE_MAX;
		}
		memset(h, 0, sizeof(*h));
		h->tgid = tgid;
	}
	usage_from_record(&h->usage, u);
	h->last_pid = u->pid;
	if (u->pid == tgid)
		take_comm(h->comm, u->comm);
}

static int
take(struct relayfork_tracker *t, const struct relayfork_usage *u)
{
	pid_t tgid = u->tgid ? u->tgid : u->pid;
	struct slot *s;

	if (u->type == RELAYFORK_USAGE_LOST) {
		/* Whose they were is not known: every live member's
		 * figures may now fall short. */
		t->totals.usage_lost += u->lost ? u->lost : 1;
		return 0;
	}
	if (u->type != RELAYFORK_USAGE_TASK)
		return 0;
	s = tracker_find(t, tgid);
	if (s) {
		usage_from_record(&s->rec.usage, u);
		s->last_record_pid = u->pid;
		/* The name at exit: /proc may have been too late to say
		 * what a short-lived process executed. */
		if (u->pid == tgid)
			take_comm(s->rec.comm, u->comm);
		return 1;
	}
	/* The parent at exit: a member whose child's fork is still
	 * queued on the monitor's socket. */
	if (u->ppid > 0 && tracker_find(t, u->ppid)) {
		hold(t, tgid, u);
		return 1;
	}
	return 0;
}

int
tracker_usage_drain(struct relayfork_tracker *t, pid_t until)
{
	struct relayfork_usage u;
	int r, taken = 0;

	if (!t->taskstats)
		return 0;
	while ((r = relayfork_taskstats_receive(t->taskstats, &u)) > 0) {
		taken += take(t, &u);
		if (until > 0 && u.type == RELAYFORK_USAGE_TASK && u.pid == until)
			break;
	}
	return r < 0 ? r : taken;
}

void
tracker_usage_joined(struct relayfork_tracker *t, struct slot *s)
{
	struct held_usage *h;

	s->usage_lost_at_join = t->totals.usage_lost;
	if (!t->held_len)
		return;
	h = held_find(t, s->rec.pid);
	if (!h)
		return;
	tracker_usage_add(&s->rec.usage, &h->usage);
	s->last_record_pid = h->last_pid;
	if (h->comm[0])
		memcpy(s->rec.comm, h->comm, sizeof(s->rec.comm));
	/* Keep the ring dense: the last entry takes its place. */
	*h = t->held[--t->held_len];
	if (t->held_next > t->held_len)
		t->held_next = 0;
}

void
tracker_usage_settle(struct relayfork_tracker *t, struct slot *s,
		     pid_t last_task)
{
	if (!t->taskstats || last_task <= 0)
		return;
	if (s->last_record_pid == last_task &&
	    s->usage_lost_at_join == t->totals.usage_lost)
		s->rec.flags |= RELAYFORK_MEMBER_F_USAGE;
}

void
tracker_usage_free(struct relayfork_tracker *t)
{
	free(t->held);
	t->held = NULL;
	t->held_len = t->held_next = 0;
}

RELAYFORK_EXPORT int
relayfork_tracker_set_taskstats(struct relayfork_tracker *t,
				struct relayfork_taskstats *ts)
{
	return_if_fail(t, -EINVAL);
	t->taskstats = ts;
	return 0;
}

RELAYFORK_EXPORT int
relayfork_tracker_drain_usage(struct relayfork_tracker *t)
{
	return_if_fail(t, -EINVAL);
	return tracker_usage_drain(t, 0);
}
