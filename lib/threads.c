// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>

#include "procfs.h"
#include "snapshot.h"
#include "threads.h"

/* In a groups value, beside the number of live threads. */
#define GROUP_LEADER_GONE 0x80000000u	/* its main thread has exited */
#define GROUP_ENDED 0x40000000u		/* ended, its main thread's exit unseen */
#define GROUP_COUNT 0x3fffffffu

void
threads_init(struct threads *t)
{
	pidmap_init(&t->tids);
	pidmap_init(&t->groups);
	pidmap_init(&t->status);
	t->all_leader_exits = true;
	t->since_ns = 0;
}

void
threads_free(struct threads *t)
{
	pidmap_free(&t->tids);
	pidmap_free(&t->groups);
	pidmap_free(&t->status);
}

void
threads_clear(struct threads *t)
{
	pidmap_clear(&t->tids);
	pidmap_clear(&t->groups);
	pidmap_clear(&t->status);
	t->since_ns = 0;
}

static uint32_t *
group(struct threads *t, pid_t tgid)
{
	return pidmap_get(&t->groups, tgid);
}

static void
group_put(struct threads *t, pid_t tgid, uint32_t value)
{
	/* Out of memory: the process is taken to end with its main
	 * thread, which is what a table-less reader would think. */
	(void)pidmap_put(&t->groups, tgid, value);
}

static void
group_remove(struct threads *t, pid_t tgid)
{
	pidmap_remove(&t->groups, tgid, NULL);
	if (pidmap_count(&t->status) > 0)
		pidmap_remove(&t->status, tgid, NULL);
}

/* A task of tgid's process exited and the process is not over yet:
 * keep a failed status for the exit that will end it. */
static void
note_status(struct threads *t, pid_t tgid, const struct relayfork_event *ev)
{
	if (ev->u.exit.status != 0)
		(void)pidmap_put(&t->status, tgid, (uint32_t)ev->u.exit.status);
}

/* The exit that ends tgid's process: the process's status on it. */
static void
take_status(struct threads *t, pid_t tgid, struct relayfork_event *ev)
{
	uint32_t status;

	if (pidmap_count(&t->status) > 0 &&
	    pidmap_remove(&t->status, tgid, &status) && ev->u.exit.status == 0)
		ev->u.exit.status = (int32_t)status;
}

int
threads_resync(struct threads *t)
{
	struct relayfork_snapshot *s = NULL;
	struct relayfork_event ev;
	struct procfs_stat st;
	bool leader_gone = false;
	int r;

	threads_clear(t);
	r = relayfork_snapshot_new(RELAYFORK_SNAPSHOT_THREADS, &s);
	if (r < 0)
		return r;
	t->since_ns = relayfork_snapshot_get_time(s);
	/* A process comes first, then its threads. */
	while ((r = snapshot_next_stat(s, &ev, &st)) > 0) {
		uint32_t *g;

		if (ev.pid == ev.tgid) {
			/* A zombie main thread whose threads live on has
			 * exited early. */
			leader_gone = st.state == 'Z' || st.state == 'X';
			continue;
		}
		if (pidmap_put(&t->tids, ev.pid, (uint32_t)ev.tgid) <= 0)
			continue;
		g = group(t, ev.tgid);
		if (g)
			(*g)++;
		else
			group_put(t, ev.tgid,
				  1 | (leader_gone ? GROUP_LEADER_GONE : 0));
	}
	relayfork_snapshot_free(s);
	return r;
}

/* One thread fewer in tgid's group; the group's value after, or NULL
 * when tgid has no counted thread. */
static uint32_t *
group_drop_thread(struct threads *t, pid_t tgid)
{
	uint32_t *g = group(t, tgid);

	if (!g || (*g & GROUP_COUNT) == 0)
		return NULL;
	(*g)--;
	return g;
}

static void
on_thread_fork(struct threads *t, const struct relayfork_event *ev)
{
	uint32_t *old = pidmap_get(&t->tids, ev->pid);
	uint32_t *g;

	if (old && (pid_t)*old == ev->tgid)
		return;
	if (old) {
		/* A stale entry: its exit was lost with other events. */
		pid_t stale = (pid_t)*old;

		g = group_drop_thread(t, stale);
		if (g && (*g & GROUP_COUNT) == 0)
			group_remove(t, stale);
	}
	if (pidmap_put(&t->tids, ev->pid, (uint32_t)ev->tgid) < 0)
		return;
	g = group(t, ev->tgid);
	group_put(t, ev->tgid, g ? (*g & ~GROUP_ENDED) + 1 : 1);
}

static void
on_process_fork(struct threads *t, const struct relayfork_event *ev)
{
	/* A process that ended with its main thread's exit unseen left
	 * its entry; the pid is in use again. */
	if (pidmap_count(&t->groups) > 0 || pidmap_count(&t->status) > 0)
		group_remove(t, ev->pid);
}

static void
on_thread_exit(struct threads *t, struct relayfork_event *ev, bool older)
{
	uint32_t tgid, *g;

	/* A thread alive when /proc was read exited before: the event is
	 * about an earlier task with the same id. */
	if (older || !pidmap_remove(&t->tids, ev->pid, &tgid))
		return;
	g = group_drop_thread(t, (pid_t)tgid);
	if (!g)
		return;
	if ((*g & GROUP_COUNT) > 0) {
		note_status(t, (pid_t)tgid, ev);
	} else if (*g & GROUP_LEADER_GONE) {
		ev->flags |= RELAYFORK_EVENT_F_PROCESS_END;
		take_status(t, (pid_t)tgid, ev);
		pidmap_remove(&t->groups, (pid_t)tgid, NULL);
	} else if (!t->all_leader_exits && ev->u.exit.status != 0) {
		ev->flags |= RELAYFORK_EVENT_F_PROCESS_END;
		take_status(t, (pid_t)tgid, ev);
		*g = GROUP_ENDED;
	} else {
		/* The main thread's exit, still to come, ends it. */
		note_status(t, (pid_t)tgid, ev);
		pidmap_remove(&t->groups, (pid_t)tgid, NULL);
	}
}

static void
on_leader_exit(struct threads *t, struct relayfork_event *ev, bool older)
{
	uint32_t *g = group(t, ev->tgid);

	if (!g || (*g & GROUP_COUNT) == 0) {
		bool ended = g && (*g & GROUP_ENDED);

		if (ended) {
			group_remove(t, ev->tgid);
			return;
		}
		if (g)
			pidmap_remove(&t->groups, ev->tgid, NULL);
		ev->flags |= RELAYFORK_EVENT_F_PROCESS_END;
		take_status(t, ev->tgid, ev);
		return;
	}
	if (older) {
		/* Alive when /proc was read: the event is about an earlier
		 * process with this pid, which has ended. */
		if (!(*g & GROUP_LEADER_GONE))
			ev->flags |= RELAYFORK_EVENT_F_PROCESS_END;
		return;
	}
	note_status(t, ev->tgid, ev);
	*g |= GROUP_LEADER_GONE;
}

/* After an exec a process has one thread: the others were killed, and
 * the thread that called exec took the main thread's id. */
static void
on_exec(struct threads *t, const struct relayfork_event *ev)
{
	if (pidmap_remove(&t->groups, ev->tgid, NULL))
		pidmap_remove_value(&t->tids, (uint32_t)ev->tgid);
	if (pidmap_count(&t->status) > 0)
		pidmap_remove(&t->status, ev->tgid, NULL);
}

void
threads_observe(struct threads *t, struct relayfork_event *ev)
{
	bool older = ev->timestamp_ns < t->since_ns;
	bool thread = ev->pid != ev->tgid;

	switch (ev->type) {
	case RELAYFORK_EVENT_FORK:
		if (older)
			break; /* the table has it, if it still lives */
		if (thread)
			on_thread_fork(t, ev);
		else
			on_process_fork(t, ev);
		break;
	case RELAYFORK_EVENT_EXIT:
		if (thread)
			on_thread_exit(t, ev, older);
		else
			on_leader_exit(t, ev, older);
		break;
	case RELAYFORK_EVENT_EXEC:
		if (!older)
			on_exec(t, ev);
		break;
	default:
		break;
	}
}
