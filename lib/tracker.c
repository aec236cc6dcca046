// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Job tracking: a group of processes followed through fork events.
 *
 * Membership is decided at fork time: a process joins when the process
 * that forked it is a member.  Live members are found by pid through a
 * hash map; a member leaves the map when it ends, so that a later
 * process with its pid is a stranger unless a member forked it.  After a
 * loss, /proc says what the events would have (relayfork_snapshot_*),
 * and events older than that reading are ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor.h"
#include "procfs.h"
#include "snapshot.h"
#include "tracker.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

RELAYFORK_EXPORT int
relayfork_tracker_new(unsigned int flags, struct relayfork_tracker **ret)
{
	struct relayfork_tracker *t;

	return_if_fail(ret, -EINVAL);
	return_if_fail((flags & ~RELAYFORK_TRACKER_SUBREAPER) == 0, -EINVAL);
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->flags = flags;
	t->free_slot = NONE;
	t->next_id = 1;
	t->threads_known = true;
	pidmap_init(&t->live);
	*ret = t;
	return 0;
}

RELAYFORK_EXPORT struct relayfork_tracker *
relayfork_tracker_free(struct relayfork_tracker *t)
{
	if (!t)
		return NULL;
	pidmap_free(&t->live);
	tracker_usage_free(t);
	free(t->slots);
	free(t->queue);
	free(t);
	return NULL;
}

/* Queue an event; false when out of memory (the event is lost, the
 * caller returns -ENOMEM). */
static bool
emit(struct relayfork_tracker *t, uint32_t type, uint32_t flags,
     const struct relayfork_member *member)
{
	struct relayfork_tracker_event *ev;

	if (t->qlen == t->qcap) {
		size_t cap = t->qcap ? 2 * t->qcap : 16, i;
		struct relayfork_tracker_event *q = malloc(cap * sizeof(*q));

		if (!q)
			return false;
		for (i = 0; i < t->qlen; i++)
			q[i] = t->queue[(t->qhead + i) % t->qcap];
		free(t->queue);
		t->queue = q;
		t->qhead = 0;
		t->qcap = cap;
	}
	ev = &t->queue[(t->qhead + t->qlen++) % t->qcap];
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->flags = flags;
	if (member)
		ev->member = *member;
	return true;
}

RELAYFORK_EXPORT int
relayfork_tracker_next(struct relayfork_tracker *t,
		       struct relayfork_tracker_event *ev)
{
	return_if_fail(t && ev, -EINVAL);
	if (t->qlen == 0)
		return 0;
	*ev = t->queue[t->qhead];
	t->qhead = (t->qhead + 1) % t->qcap;
	t->qlen--;
	return 1;
}

struct slot *
tracker_find(struct relayfork_tracker *t, pid_t pid)
{
	uint32_t *i = pidmap_get(&t->live, pid);

	return i ? &t->slots[*i] : NULL;
}

/* A new live member for pid, its record zeroed but for ids; NULL when
 * out of memory.  Slots move when the array grows: look members up
 * again after a join. */
static struct slot *
join(struct relayfork_tracker *t, pid_t pid, const struct slot *parent,
     uint32_t flags)
{
	uint64_t parent_id = parent ? parent->rec.id : 0;
	struct relayfork_member inherit;
	struct slot *s;
	uint32_t i;

	if (parent)
		inherit = parent->rec;
	i = t->free_slot;
	if (i != NONE) {
		t->free_slot = t->slots[i].next_free;
	} else {
		if (t->nslots % 64 == 0) {
			struct slot *n = realloc(t->slots, ((size_t)t->nslots + 64) *
								   sizeof(*n));

			if (!n)
				return NULL;
			t->slots = n;
		}
		i = t->nslots++;
	}
	if (pidmap_put(&t->live, pid, i) < 0) {
		t->slots[i].next_free = t->free_slot;
		t->free_slot = i;
		return NULL;
	}
	s = &t->slots[i];
	memset(s, 0, sizeof(*s));
	s->rec.id = t->next_id++;
	s->rec.parent_id = parent_id;
	s->rec.pid = pid;
	s->rec.flags = flags;
	s->rec.threads = 1;
	if (!t->threads_known)
		s->rec.flags |= RELAYFORK_MEMBER_F_THREADS_UNKNOWN;
	/* A child is its parent's copy until it execs. */
	if (parent) {
		s->rec.ppid = inherit.pid;
		s->rec.uid = inherit.uid;
		memcpy(s->rec.comm, inherit.comm, sizeof(s->rec.comm));
	}
	t->totals.joined++;
	t->totals.live++;
	tracker_usage_joined(t, s);
	return s;
}

static bool
emit_empty(struct relayfork_tracker *t)
{
	return emit(t, RELAYFORK_TRACKER_EMPTY,
		    t->lossy ? RELAYFORK_TRACKER_F_LOSSY : 0, NULL);
}

/* A member ends: its final record goes out, and the job may be empty. */
static bool
end(struct relayfork_tracker *t, struct slot *s, uint64_t end_ns, int32_t status,
    bool known, pid_t last_task)
{
	struct slot *parent = tracker_find(t, s->rec.ppid);
	uint32_t i = (uint32_t)(s - t->slots);
	bool ok;

	s->rec.end_ns = end_ns;
	if (known) {
		s->rec.status = status;
	} else {
		s->rec.status = 0;
		s->rec.flags |= RELAYFORK_MEMBER_F_STATUS_UNKNOWN;
	}
	/* Its parent ended before it: it was reparented. */
	if (s->rec.parent_id && (!parent || parent->rec.id != s->rec.parent_id))
		s->rec.flags |= RELAYFORK_MEMBER_F_REPARENTED;
	tracker_usage_settle(t, s, known ? last_task : 0);
	t->totals.ended++;
	t->totals.live--;
	if (known && status != 0)
		t->totals.failed++;
	tracker_usage_add(&t->totals.usage, &s->rec.usage);
	if (s->rec.flags & RELAYFORK_MEMBER_F_USAGE)
		t->ended_with_usage++;
	ok = emit(t, RELAYFORK_TRACKER_ENDED, 0, &s->rec);
	pidmap_remove(&t->live, s->rec.pid, NULL);
	s->next_free = t->free_slot;
	t->free_slot = i;
	if (t->totals.live == 0 && !t->resyncing)
		ok = emit_empty(t) && ok;
	return ok;
}

/* The name a member runs under now, from /proc. */
static void
read_comm(struct slot *s)
{
	int dirfd = procfs_open_pid(s->rec.pid);
	struct procfs_stat st;

	if (dirfd < 0)
		return;
	if (procfs_read_stat(dirfd, "stat", &st) == 0)
		memcpy(s->rec.comm, st.comm, sizeof(s->rec.comm));
	close(dirfd);
}

static int
on_fork(struct relayfork_tracker *t, const struct relayfork_event *ev)
{
	struct slot *parent, *s;

	if (ev->flags & RELAYFORK_EVENT_F_THREAD) {
		s = tracker_find(t, ev->tgid);
		if (s && ev->timestamp_ns >= s->since_ns)
			s->rec.threads++;
		return 0;
	}
	s = tracker_find(t, ev->pid);
	if (s) {
		/* A root's own fork, seen after it joined: its real start. */
		if ((s->rec.flags & RELAYFORK_MEMBER_F_ROOT) &&
		    ev->timestamp_ns >= s->since_ns &&
		    ev->u.fork.parent_tgid == s->rec.ppid)
			s->rec.start_ns = ev->timestamp_ns;
		return 0;
	}
	parent = tracker_find(t, ev->u.fork.parent_tgid);
	if (!parent || ev->timestamp_ns < parent->since_ns)
		return 0;
	s = join(t, ev->pid, parent, 0);
	if (!s)
		return -ENOMEM;
	s->rec.start_ns = ev->timestamp_ns;
	return emit(t, RELAYFORK_TRACKER_JOINED, 0, &s->rec) ? 0 : -ENOMEM;
}

static int
on_exit_event(struct relayfork_tracker *t, const struct relayfork_event *ev)
{
	struct slot *s = tracker_find(t, ev->tgid);

	if (!s || ev->timestamp_ns < s->since_ns ||
	    !(ev->flags & RELAYFORK_EVENT_F_PROCESS_END))
		return 0;
	/* The kernel queued the last task's usage record before this
	 * event: take it (and anything before it, no more) now, unless
	 * an earlier drain did. */
	if (s->last_record_pid != ev->pid)
		tracker_usage_drain(t, ev->pid);
	s = tracker_find(t, ev->tgid);
	if (!s)
		return 0;
	return end(t, s, ev->timestamp_ns, ev->u.exit.status, true, ev->pid)
		       ? 0 : -ENOMEM;
}

/* The record of a process that joins from /proc. */
static void
fill_from_proc(struct slot *s)
{
	struct procfs_status status = { 0 };
	int dirfd = procfs_open_pid(s->rec.pid);

	if (dirfd < 0)
		return;
	if (procfs_read_status(dirfd, &status) == 0 &&
	    (status.found & PROCFS_STATUS_UID))
		s->rec.uid = status.uid[0];
	close(dirfd);
	read_comm(s);
}

/* A process the snapshot lists, and its start time in it. */
struct listed {
	pid_t pid, ppid;
	uint64_t start_ns;
};

/* Same process: start times agree within a clock tick. */
static bool
same_start(uint64_t a, uint64_t b, uint64_t tick)
{
	return a <= b + tick && b <= a + tick;
}

static int
cmp_listed(const void *a, const void *b)
{
	const struct listed *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Read the processes in /proc, sorted by pid. */
static int
list_processes(struct relayfork_snapshot **ret_snapshot, struct listed **ret,
	       size_t *ret_n)
{
	struct relayfork_snapshot *snap = NULL;
	struct listed *all = NULL;
	struct relayfork_event ev;
	size_t n = 0, cap = 0;
	int r;

	r = relayfork_snapshot_new(0, &snap);
	if (r < 0)
		return r;
	while ((r = relayfork_snapshot_next(snap, &ev)) > 0) {
		if (n == cap) {
			struct listed *g;

			cap = cap ? 2 * cap : 512;
			g = realloc(all, cap * sizeof(*g));
			if (!g) {
				r = -ENOMEM;
				break;
			}
			all = g;
		}
		all[n++] = (struct listed){ ev.pid, ev.u.fork.parent_tgid,
					    ev.timestamp_ns };
	}
	if (r < 0) {
		free(all);
		relayfork_snapshot_free(snap);
		return r;
	}
	qsort(all, n, sizeof(*all), cmp_listed);
	*ret_snapshot = snap;
	*ret = all;
	*ret_n = n;
	return 0;
}

static const struct listed *
listed(const struct listed *all, size_t n, pid_t pid)
{
	struct listed key = { .pid = pid };

	return bsearch(&key, all, n, sizeof(*all), cmp_listed);
}

/* An orphan of the job, reparented to us as its subreaper, whose fork
 * and whose parent's end were lost. */
static bool
orphan_of_job(const struct relayfork_tracker *t, const struct listed *l)
{
	return t->subreaper && l->ppid == t->subreaper &&
	       l->start_ns >= t->first_spawn_ns;
}

/* Join every listed process whose parent is a live member (and theirs,
 * level by level), and the job's orphans; returns how many joined, or
 * -ENOMEM. */
static int
join_descendants(struct relayfork_tracker *t, const struct listed *all,
		 size_t n, uint64_t since_ns, uint32_t flags)
{
	bool grew = true;
	int joined = 0;

	while (grew) {
		size_t i;

		grew = false;
		for (i = 0; i < n; i++) {
			struct slot *parent, *s;
			uint32_t extra = 0;

			if (tracker_find(t, all[i].pid))
				continue;
			parent = tracker_find(t, all[i].ppid);
			if (!parent && orphan_of_job(t, &all[i]))
				extra = RELAYFORK_MEMBER_F_REPARENTED;
			else if (!parent)
				continue;
			s = join(t, all[i].pid, parent, flags | extra);
			if (!s)
				return -ENOMEM;
			s->rec.start_ns = all[i].start_ns;
			s->rec.ppid = all[i].ppid;
			s->since_ns = since_ns;
			fill_from_proc(s);
			if (!emit(t, RELAYFORK_TRACKER_JOINED, 0, &s->rec))
				return -ENOMEM;
			joined++;
			grew = true;
		}
	}
	return joined;
}

/* After a loss: what /proc says now replaces what the events said. */
static int
resync(struct relayfork_tracker *t)
{
	struct relayfork_snapshot *snap;
	struct procfs_clock clock;
	struct listed *all;
	uint64_t now, ended = 0;
	uint32_t i;
	size_t n;
	int r, joined;

	r = list_processes(&snap, &all, &n);
	if (r < 0)
		return r;
	now = relayfork_snapshot_get_time(snap);
	relayfork_snapshot_free(snap);
	procfs_clock_init(&clock);
	t->since_ns = now;
	t->totals.resyncs++;
	/* The job is empty only if /proc shows none of it either. */
	t->resyncing = true;
	/* Members gone, or whose pid is another process's now. */
	for (i = 0; i < t->nslots; i++) {
		struct slot *s = &t->slots[i];
		const struct listed *l;
		uint32_t *live = pidmap_get(&t->live, s->rec.pid);

		if (!live || *live != i)
			continue;
		l = listed(all, n, s->rec.pid);
		if (l && same_start(l->start_ns, s->rec.start_ns,
				    procfs_clock_resolution(&clock)))
			continue;
		if (!end(t, s, now, 0, false, 0)) {
			free(all);
			t->resyncing = false;
			return -ENOMEM;
		}
		ended++;
	}
	joined = join_descendants(t, all, n, now, RELAYFORK_MEMBER_F_FOUND);
	free(all);
	t->resyncing = false;
	if (joined < 0)
		return joined;
	if (!emit(t, RELAYFORK_TRACKER_RESYNC, 0, NULL))
		return -ENOMEM;
	t->queue[(t->qhead + t->qlen - 1) % t->qcap].joined = (uint64_t)joined;
	t->queue[(t->qhead + t->qlen - 1) % t->qcap].ended = ended;
	if (t->totals.live == 0 && !emit_empty(t))
		return -ENOMEM;
	return 0;
}

RELAYFORK_EXPORT int
relayfork_tracker_handle(struct relayfork_tracker *t,
			 const struct relayfork_event *ev)
{
	struct slot *s;

	return_if_fail(t && ev, -EINVAL);
	if (ev->type == RELAYFORK_EVENT_LOST) {
		/* Every loss counts (the totals then match the monitor's);
		 * only one while the job lives can hide a member. */
		t->totals.lost += ev->u.lost.count;
		if (t->totals.live == 0)
			return 0;
		t->lossy = true;
		return resync(t);
	}
	if (t->totals.live == 0 || ev->timestamp_ns < t->since_ns)
		return 0;
	switch (ev->type) {
	case RELAYFORK_EVENT_FORK:
		return on_fork(t, ev);
	case RELAYFORK_EVENT_EXIT:
		return on_exit_event(t, ev);
	case RELAYFORK_EVENT_EXEC:
		s = tracker_find(t, ev->tgid);
		if (s && ev->timestamp_ns >= s->since_ns)
			read_comm(s);
		return 0;
	case RELAYFORK_EVENT_COMM:
		s = tracker_find(t, ev->tgid);
		if (s && ev->pid == ev->tgid && ev->timestamp_ns >= s->since_ns)
			memcpy(s->rec.comm, ev->u.comm.comm, sizeof(s->rec.comm));
		return 0;
	case RELAYFORK_EVENT_UID:
		s = tracker_find(t, ev->tgid);
		if (s && ev->timestamp_ns >= s->since_ns)
			s->rec.uid = ev->u.uid.ruid;
		return 0;
	default:
		return 0;
	}
}

RELAYFORK_EXPORT int
relayfork_tracker_add(struct relayfork_tracker *t, pid_t pid)
{
	struct relayfork_snapshot *snap;
	const struct listed *l;
	struct listed *all;
	struct slot *s;
	uint64_t now;
	size_t n;
	int r;

	return_if_fail(t, -EINVAL);
	return_if_fail(pid > 0, -EINVAL);
	if (tracker_find(t, pid))
		return -EEXIST;
	r = list_processes(&snap, &all, &n);
	if (r < 0)
		return r;
	now = relayfork_snapshot_get_time(snap);
	relayfork_snapshot_free(snap);
	l = listed(all, n, pid);
	if (!l) {
		free(all);
		return -ESRCH;
	}
	s = join(t, pid, NULL, RELAYFORK_MEMBER_F_ROOT);
	if (!s) {
		free(all);
		return -ENOMEM;
	}
	s->rec.ppid = l->ppid;
	s->rec.start_ns = l->start_ns;
	s->since_ns = now;
	fill_from_proc(s);
	r = emit(t, RELAYFORK_TRACKER_JOINED, 0, &s->rec) ? 0 : -ENOMEM;
	if (r == 0)
		r = join_descendants(t, all, n, now, RELAYFORK_MEMBER_F_FOUND);
	free(all);
	return r < 0 ? r : 0;
}

RELAYFORK_EXPORT int
relayfork_tracker_spawn(struct relayfork_tracker *t, struct relayfork_monitor *m,
			char *const argv[], pid_t *ret_pid, int *ret_pidfd)
{
	uint32_t mask;
	int errpipe[2], err = 0, pidfd = -1;
	struct slot *s;
	uint64_t now;
	ssize_t got;
	pid_t pid;

	return_if_fail(t && m && argv && argv[0] && ret_pid, -EINVAL);
	/* Every fork of the job must be seen: the subscription comes
	 * first, then the fork. */
	mask = m->mask;
	if (!m->started || monitor_check_owner(m) < 0 ||
	    !(mask & RELAYFORK_EVENTS_FORK) ||
	    !(mask & (RELAYFORK_EVENTS_EXIT | RELAYFORK_EVENTS_EXIT_FAILURE)) ||
	    ((mask & RELAYFORK_EVENTS_EXIT_FAILURE) && !(mask & RELAYFORK_EVENTS_EXIT)))
		return -EBADFD;
	t->threads_known = !(mask & RELAYFORK_EVENTS_SKIP_THREADS);
	if (t->flags & RELAYFORK_TRACKER_SUBREAPER) {
		if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
			return -errno;
		t->subreaper = getpid();
	}
	if (pipe2(errpipe, O_CLOEXEC) < 0)
		return -errno;
	now = procfs_now_ns();
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(errpipe[0]);
		close(errpipe[1]);
		return err;
	}
	if (pid == 0) {
		close(errpipe[0]);
		execvp(argv[0], argv);
		/* Only async-signal-safe calls between fork and exit. */
		err = errno;
		(void)!write(errpipe[1], &err, sizeof(err));
		_exit(127);
	}
	close(errpipe[1]);
	/* The command ran if the pipe closed on exec without a word. */
	do {
		got = read(errpipe[0], &err, sizeof(err));
	} while (got < 0 && errno == EINTR);
	close(errpipe[0]);
	if (got == sizeof(err)) {
		(void)waitpid(pid, NULL, 0);
		return -err;
	}
	s = join(t, pid, NULL, RELAYFORK_MEMBER_F_ROOT);
	if (!s) {
		kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		return -ENOMEM;
	}
	s->rec.ppid = getpid();
	s->rec.uid = getuid();
	s->rec.start_ns = now;
	if (!t->first_spawn_ns)
		t->first_spawn_ns = now;
	read_comm(s);
	if (ret_pidfd) {
		/* Ours and not reaped: the pid is still this process. */
		pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		*ret_pidfd = pidfd;
	}
	*ret_pid = pid;
	return emit(t, RELAYFORK_TRACKER_JOINED, 0, &s->rec) ? 0 : -ENOMEM;
}

RELAYFORK_EXPORT int
relayfork_tracker_get_member(struct relayfork_tracker *t, pid_t pid,
			     struct relayfork_member *ret)
{
	struct slot *s;

	return_if_fail(t && ret, -EINVAL);
	s = tracker_find(t, pid);
	if (!s)
		return -ENOENT;
	*ret = s->rec;
	return 0;
}

RELAYFORK_EXPORT int
relayfork_tracker_get_totals(struct relayfork_tracker *t,
			     struct relayfork_tracker_totals *ret)
{
	return_if_fail(t && ret, -EINVAL);
	*ret = t->totals;
	ret->usage_complete = t->ended_with_usage == t->totals.ended &&
			      t->totals.usage_lost == 0;
	return 0;
}
