// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which cgroup, container, unit and PID namespace each process belongs
 * to, read from /proc once per process (at fork, again at exec) and kept
 * by pid, with the start time that tells a process from a later one
 * with its pid.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-table.h"
#include "internal.h"
#include "pidmap.h"
#include "procfs.h"

#define NONE UINT32_MAX
#define DEFAULT_LIMIT 65536
#define COUNTER_MAX (RELAYFORK_ATTRIBUTION_EVICTED + 1)
/*
 * A start time read from /proc is floored to a clock tick and converted
 * with the boot offset of the moment: it may come out a little after the
 * true one.  A process that started more than this after an event is not
 * the one the event is about.
 */
#define START_SLACK_NS 1000000u
/* /proc/PID/cgroup: a v2 path of up to PATH_MAX, and v1 lines beside. */
#define CGROUP_FILE_MAX 8192

struct proc_entry {
	pid_t pid;		/* 0: free */
	pid_t ns_pid;
	uint64_t pidns;
	uint64_t start_ns;
	/* From /proc/PID/stat; 0 for an entry inherited from the parent
	 * (the process was never read). */
	unsigned long long start_ticks;
	uint32_t cgroup;
	uint32_t next_free;
	uint32_t flags;		/* RELAYFORK_ATTRIBUTION_F_INHERITED */
	bool referenced;	/* for the clock's second chance */
};

/* What one read of /proc/PID found. */
struct reading {
	unsigned long long start_ticks;
	uint64_t start_ns;
	uint64_t pidns;
	pid_t ns_pid;
	const char *path;	/* in the table's buffer, NUL-terminated */
	size_t len;
};

struct relayfork_attribution {
	struct proc_entry *procs;
	uint32_t nprocs;	/* allocated */
	uint32_t free_head;
	uint32_t hand;		/* the clock's position */
	size_t count;
	size_t limit;
	struct pidmap by_pid;
	struct cgroup_table cgroups;
	/* The process whose end was handled last: dropped at the next
	 * event, so that its exit can still be attributed. */
	pid_t ended;
	struct procfs_clock clock;
	uint64_t counters[COUNTER_MAX];
	char buf[CGROUP_FILE_MAX];
};

RELAYFORK_EXPORT int
relayfork_attribution_new(unsigned int flags, struct relayfork_attribution **ret)
{
	struct relayfork_attribution *a;

	return_if_fail(ret, -EINVAL);
	return_if_fail(flags == 0, -EINVAL);
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->free_head = NONE;
	a->limit = DEFAULT_LIMIT;
	pidmap_init(&a->by_pid);
	cgroup_table_init(&a->cgroups);
	procfs_clock_init(&a->clock);
	*ret = a;
	return 0;
}

RELAYFORK_EXPORT struct relayfork_attribution *
relayfork_attribution_free(struct relayfork_attribution *a)
{
	if (!a)
		return NULL;
	pidmap_free(&a->by_pid);
	cgroup_table_free(&a->cgroups);
	free(a->procs);
	free(a);
	return NULL;
}

static struct proc_entry *
lookup(const struct relayfork_attribution *a, pid_t pid)
{
	uint32_t *slot = pidmap_get(&a->by_pid, pid);

	return slot ? &a->procs[*slot] : NULL;
}

static void
remove_slot(struct relayfork_attribution *a, uint32_t slot)
{
	struct proc_entry *e = &a->procs[slot];

	pidmap_remove(&a->by_pid, e->pid, NULL);
	cgroup_table_unref(&a->cgroups, e->cgroup);
	e->pid = 0;
	e->next_free = a->free_head;
	a->free_head = slot;
	a->count--;
}

static void
drop(struct relayfork_attribution *a, pid_t pid)
{
	uint32_t *slot = pidmap_get(&a->by_pid, pid);

	if (slot)
		remove_slot(a, *slot);
}

/* Forget every process, keeping the memory for the next ones. */
static void
clear(struct relayfork_attribution *a)
{
	uint32_t i;

	pidmap_clear(&a->by_pid);
	cgroup_table_clear(&a->cgroups);
	a->free_head = NONE;
	for (i = a->nprocs; i-- > 0;) {
		a->procs[i].pid = 0;
		a->procs[i].next_free = a->free_head;
		a->free_head = i;
	}
	a->count = 0;
	a->ended = 0;
}

/* Drop one process that was not looked at since the clock last passed
 * it (the second chance); the table is not empty. */
static void
evict_one(struct relayfork_attribution *a)
{
	for (;;) {
		struct proc_entry *e;

		if (a->hand >= a->nprocs)
			a->hand = 0;
		e = &a->procs[a->hand];
		if (e->pid != 0 && !e->referenced) {
			remove_slot(a, a->hand++);
			a->counters[RELAYFORK_ATTRIBUTION_EVICTED]++;
			return;
		}
		e->referenced = false;
		a->hand++;
	}
}

/* A free entry for pid (not in the table), with a reference on cgroup
 * already taken by the caller; NULL (the reference dropped) on -ENOMEM. */
static struct proc_entry *
insert(struct relayfork_attribution *a, pid_t pid, uint32_t cgroup)
{
	struct proc_entry *e;
	uint32_t slot;

	while (a->count >= a->limit)
		evict_one(a);
	if (a->free_head == NONE) {
		uint32_t n = a->nprocs ? 2 * a->nprocs : 64, i;
		struct proc_entry *procs;

		if (n <= a->nprocs)
			goto fail;
		procs = realloc(a->procs, (size_t)n * sizeof(*procs));
		if (!procs)
			goto fail;
		a->procs = procs;
		for (i = n; i-- > a->nprocs;) {
			procs[i].pid = 0;
			procs[i].next_free = a->free_head;
			a->free_head = i;
		}
		a->nprocs = n;
	}
	slot = a->free_head;
	if (pidmap_put(&a->by_pid, pid, slot) < 0)
		goto fail;
	e = &a->procs[slot];
	a->free_head = e->next_free;
	*e = (struct proc_entry){
		.pid = pid,
		.cgroup = cgroup,
		.referenced = true,
	};
	a->count++;
	return e;
fail:
	cgroup_table_unref(&a->cgroups, cgroup);
	return NULL;
}

/*
 * Read the process with this pid through one /proc/PID descriptor, so
 * that every file is the same process's.  With before_ns, a process that
 * started after that moment is not the one meant (its pid was reused):
 * -ESRCH, as for one that is gone.
 */
static int
read_process(struct relayfork_attribution *a, pid_t pid, uint64_t before_ns,
	     struct reading *rd)
{
	struct procfs_stat st;
	ssize_t n;
	int dirfd, r;

	if (pid <= 0)
		return -ESRCH;
	dirfd = procfs_open_pid(pid);
	if (dirfd < 0)
		return dirfd;
	a->counters[RELAYFORK_ATTRIBUTION_READS]++;
	r = procfs_read_stat(dirfd, "stat", &st);
	if (r < 0)
		goto out;
	procfs_clock_sync(&a->clock);
	rd->start_ticks = st.start_ticks;
	rd->start_ns = procfs_clock_monotonic(&a->clock, st.start_ticks);
	if (before_ns && rd->start_ns > before_ns + START_SLACK_NS) {
		r = -ESRCH;
		goto out;
	}
	n = procfs_read(dirfd, "cgroup", a->buf, sizeof(a->buf));
	if (n < 0) {
		r = (int)n;
		goto out;
	}
	/* A path cut by the buffer is kept as far as it goes; the table
	 * marks what does not fit its records anyway. */
	if (procfs_parse_cgroup2(a->buf, &rd->path, &rd->len) < 0) {
		rd->path = "";
		rd->len = 0;
	} else {
		((char *)rd->path)[rd->len] = '\0';
	}
	/* A zombie has no namespaces left to show: unknown, not gone. */
	rd->pidns = 0;
	rd->ns_pid = 0;
	if (procfs_read_ns(dirfd, "pid", &rd->pidns) == 0) {
		if (rd->pidns == PROCFS_PID_INIT_INO)
			rd->ns_pid = pid;
		else if (procfs_read_nspid(dirfd, &rd->ns_pid) < 0)
			rd->ns_pid = 0;
	}
	r = 0;
out:
	close(dirfd);
	return r;
}

static void
set_reading(struct proc_entry *e, const struct reading *rd)
{
	e->ns_pid = rd->ns_pid;
	e->pidns = rd->pidns;
	e->start_ns = rd->start_ns;
	e->start_ticks = rd->start_ticks;
	e->flags = 0;
}

/* Add a process just read (not in the table).  1, or -ENOMEM. */
static int
store(struct relayfork_attribution *a, pid_t pid, const struct reading *rd)
{
	struct proc_entry *e;
	uint32_t cgroup;
	int r = cgroup_table_get(&a->cgroups, rd->path, rd->len, &cgroup);

	if (r < 0)
		return r;
	e = insert(a, pid, cgroup);
	if (!e)
		return -ENOMEM;
	set_reading(e, rd);
	return 1;
}

/* The process is known, or read now if it started before the event.
 * 1 known, 0 not (gone), or a negative errno. */
static int
known_or_read(struct relayfork_attribution *a, pid_t pid, uint64_t when_ns)
{
	struct proc_entry *e = lookup(a, pid);
	struct reading rd;
	int r;

	if (e) {
		e->referenced = true;
		return 1;
	}
	r = read_process(a, pid, when_ns, &rd);
	if (r < 0)
		return r == -ESRCH ? 0 : r;
	return store(a, pid, &rd);
}

static int
handle_fork(struct relayfork_attribution *a, const struct relayfork_event *ev)
{
	struct proc_entry *parent, *e;
	struct reading rd;
	uint32_t cgroup;
	int r;

	/* A thread belongs to its process's entry. */
	if (ev->flags & RELAYFORK_EVENT_F_THREAD)
		return known_or_read(a, ev->tgid, ev->timestamp_ns);
	/* Whatever had this pid before has ended. */
	drop(a, ev->pid);
	r = read_process(a, ev->pid, ev->timestamp_ns, &rd);
	if (r == 0)
		return store(a, ev->pid, &rd);
	if (r != -ESRCH)
		return r;
	/* Gone already: it started in its parent's cgroup (unless made
	 * with CLONE_INTO_CGROUP, which nothing left can tell). */
	r = known_or_read(a, ev->u.fork.parent_tgid, ev->timestamp_ns);
	if (r <= 0)
		return r;
	parent = lookup(a, ev->u.fork.parent_tgid);
	cgroup = parent->cgroup;
	cgroup_table_ref(&a->cgroups, cgroup);
	e = insert(a, ev->pid, cgroup);
	if (!e)
		return -ENOMEM;
	e->flags = RELAYFORK_ATTRIBUTION_F_INHERITED;
	e->start_ns = ev->timestamp_ns;
	a->counters[RELAYFORK_ATTRIBUTION_INHERITED]++;
	return 1;
}

/* The proc connector tells of no cgroup moves; a new program is the
 * moment to look again. */
static int
handle_exec(struct relayfork_attribution *a, const struct relayfork_event *ev)
{
	struct proc_entry *e = lookup(a, ev->tgid);
	struct reading rd;
	uint32_t cgroup;
	int r;

	if (!e)
		return known_or_read(a, ev->tgid, ev->timestamp_ns);
	e->referenced = true;
	/* Gone when its fork was handled: nothing to read again. */
	if (e->flags & RELAYFORK_ATTRIBUTION_F_INHERITED)
		return 1;
	r = read_process(a, ev->tgid, ev->timestamp_ns, &rd);
	/* Gone since, or another process: keep the last answer. */
	if (r == -ESRCH || (r == 0 && rd.start_ticks != e->start_ticks))
		return 1;
	if (r < 0)
		return r;
	r = cgroup_table_get(&a->cgroups, rd.path, rd.len, &cgroup);
	if (r < 0)
		return r;
	/* The lookup again: nothing above moves entries, but be plain. */
	e = lookup(a, ev->tgid);
	cgroup_table_unref(&a->cgroups, e->cgroup);
	e->cgroup = cgroup;
	set_reading(e, &rd);
	return 1;
}

RELAYFORK_EXPORT int
relayfork_attribution_handle(struct relayfork_attribution *a,
			     const struct relayfork_event *ev)
{
	int r;

	return_if_fail(a && ev, -EINVAL);
	if (a->ended) {
		drop(a, a->ended);
		a->ended = 0;
	}
	switch (ev->type) {
	case RELAYFORK_EVENT_FORK:
		return handle_fork(a, ev);
	case RELAYFORK_EVENT_EXEC:
		return handle_exec(a, ev);
	case RELAYFORK_EVENT_EXIT:
		r = known_or_read(a, ev->tgid, ev->timestamp_ns);
		if (r == 1 && (ev->flags & RELAYFORK_EVENT_F_PROCESS_END))
			a->ended = ev->tgid;
		return r;
	case RELAYFORK_EVENT_UID:
	case RELAYFORK_EVENT_GID:
	case RELAYFORK_EVENT_SID:
	case RELAYFORK_EVENT_PTRACE:
	case RELAYFORK_EVENT_COMM:
	case RELAYFORK_EVENT_COREDUMP:
		return known_or_read(a, ev->tgid, ev->timestamp_ns);
	case RELAYFORK_EVENT_LOST:
		/* Lost exits and forks may have given known pids to new
		 * processes: start again, reading each at its next event. */
		clear(a);
		return 0;
	}
	return 0;
}

RELAYFORK_EXPORT int
relayfork_attribution_get(struct relayfork_attribution *a, pid_t pid,
			  struct relayfork_attribution_info *info)
{
	const struct cgroup_rec *cg;
	struct proc_entry *e;

	return_if_fail(a && info, -EINVAL);
	e = pid > 0 ? lookup(a, pid) : NULL;
	if (!e)
		return -ENOENT;
	e->referenced = true;
	cg = cgroup_table_at(&a->cgroups, e->cgroup);
	memset(info, 0, sizeof(*info));
	info->pid = e->pid;
	info->ns_pid = e->ns_pid;
	info->pidns = e->pidns;
	info->start_ns = e->start_ns;
	info->flags = e->flags;
	if (cg->truncated)
		info->flags |= RELAYFORK_ATTRIBUTION_F_TRUNCATED;
	info->container = cg->container;
	memcpy(info->cgroup, cg->path, strlen(cg->path) + 1);
	return 0;
}

RELAYFORK_EXPORT int
relayfork_attribution_set_limit(struct relayfork_attribution *a,
				size_t max_processes)
{
	return_if_fail(a && max_processes > 0, -EINVAL);
	a->limit = max_processes;
	while (a->count > a->limit)
		evict_one(a);
	return 0;
}

RELAYFORK_EXPORT uint64_t
relayfork_attribution_get_counter(struct relayfork_attribution *a, int counter)
{
	return_if_fail(a, 0);
	switch (counter) {
	case RELAYFORK_ATTRIBUTION_PROCESSES:
		return a->count;
	case RELAYFORK_ATTRIBUTION_CGROUPS:
		return a->cgroups.count;
	}
	if (counter < 0 || counter >= COUNTER_MAX)
		return 0;
	return a->counters[counter];
}
