// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The process table: names, command lines, users and start times of the
 * processes forkwatch has seen.
 *
 * /proc is read as little as possible, because it is racy and costs
 * system calls: a forked child is a copy of its parent, so a fork copies
 * the parent's entry; only an exec (a new program) and the first sight
 * of a process that existed before forkwatch started read /proc.  Every
 * read goes through a descriptor of /proc/PID, which stays bound to one
 * process, and checks the start time against the event's: a pid that
 * was reused by another process is never mistaken for the one the event
 * is about.  What cannot be read is marked, not guessed.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "forkwatch.h"
#include "procfs.h"

#define BUCKETS 8192 /* a power of two */
#define CMDLINE_MAX 4096
/* A process started this much after an event cannot be its subject
 * (start times in /proc have clock-tick resolution). */
#define START_SLACK_NS (20 * 1000000ull)

struct procs {
	struct proc *buckets[BUCKETS];
	struct proc *free_list;
	struct procfs_clock clock;
};

int
procs_new(struct procs **ret)
{
	struct procs *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	procfs_clock_init(&p->clock);
	*ret = p;
	return 0;
}

/*
 * Command lines are shared, not copied: a fork (above all a thread's)
 * takes a reference to its parent's, so following a storm allocates
 * nothing per event.  The count sits just before the text.
 */
struct cmdline {
	unsigned int refs;
	char text[];
};

static struct cmdline *
cmdline_of(char *text)
{
	return (struct cmdline *)(text - offsetof(struct cmdline, text));
}

static char *
cmdline_new(const char *text)
{
	size_t len = strlen(text);
	struct cmdline *c = malloc(sizeof(*c) + len + 1);

	if (!c)
		return NULL;
	c->refs = 1;
	memcpy(c->text, text, len + 1);
	return c->text;
}

static char *
cmdline_ref(char *text)
{
	if (text)
		cmdline_of(text)->refs++;
	return text;
}

static void
cmdline_unref(char *text)
{
	if (text && --cmdline_of(text)->refs == 0)
		free(cmdline_of(text));
}

static void
entry_release(struct proc *e)
{
	cmdline_unref(e->cmdline);
	e->cmdline = NULL;
}

void
procs_free(struct procs *p)
{
	struct proc *e, *next;
	size_t i;

	if (!p)
		return;
	for (i = 0; i < BUCKETS; i++)
		for (e = p->buckets[i]; e; e = next) {
			next = e->next;
			entry_release(e);
			free(e);
		}
	for (e = p->free_list; e; e = next) {
		next = e->next;
		free(e);
	}
	free(p);
}

void
procs_sync_clock(struct procs *p)
{
	procfs_clock_sync(&p->clock);
}

static struct proc **
slot(struct procs *p, pid_t pid)
{
	struct proc **e = &p->buckets[(unsigned int)pid & (BUCKETS - 1)];

	while (*e && (*e)->pid != pid)
		e = &(*e)->next;
	return e;
}

static struct proc *
lookup(struct procs *p, pid_t pid)
{
	return *slot(p, pid);
}

/* A fresh entry for pid, replacing any old one. */
static struct proc *
insert(struct procs *p, pid_t pid)
{
	struct proc **s = slot(p, pid);
	struct proc *e = *s;

	if (e) {
		struct proc *next = e->next;

		entry_release(e);
		memset(e, 0, sizeof(*e));
		e->next = next;
	} else {
		e = p->free_list;
		if (e)
			p->free_list = e->next;
		else
			e = malloc(sizeof(*e));
		if (!e)
			return NULL;
		memset(e, 0, sizeof(*e));
		*s = e;
	}
	e->pid = pid;
	e->tgid = pid;
	return e;
}

void
procs_forget(struct procs *p, pid_t pid)
{
	struct proc **s = slot(p, pid);
	struct proc *e = *s;

	if (!e)
		return;
	*s = e->next;
	entry_release(e);
	e->next = p->free_list;
	p->free_list = e;
}

/* The arguments, NUL-separated in /proc, joined by spaces. */
static char *
cmdline_join(char *buf, ssize_t len)
{
	ssize_t i;

	while (len > 0 && buf[len - 1] == '\0')
		len--;
	if (len <= 0)
		return NULL;
	for (i = 0; i < len; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[len] = '\0';
	return cmdline_new(buf);
}

/*
 * Read pid from /proc into e.  ts is the time of the event it is read
 * for (0: any process with that pid will do).  -ESRCH when the process
 * is gone or is a newer one that reused the pid.
 */
static int
read_proc(struct procs *p, pid_t pid, uint64_t ts, struct proc *e)
{
	char buf[CMDLINE_MAX];
	struct procfs_status status = { 0 };
	struct procfs_stat st;
	int dirfd;
	ssize_t n;

	dirfd = procfs_open_pid(pid);
	if (dirfd < 0)
		return -ESRCH;
	if (procfs_read_stat(dirfd, "stat", &st) < 0)
		goto gone;
	e->start_ns = procfs_clock_monotonic(&p->clock, st.start_ticks);
	if (ts && e->start_ns > ts + START_SLACK_NS)
		goto gone; /* a later process with the same pid */
	e->start_known = true;
	e->ppid = st.ppid;
	e->kthread = st.flags & PROCFS_PF_KTHREAD;
	memcpy(e->comm, st.comm, sizeof(e->comm));

	cmdline_unref(e->cmdline);
	e->cmdline = NULL;
	if (!e->kthread) {
		n = procfs_read(dirfd, "cmdline", buf, sizeof(buf));
		if (n > 0)
			e->cmdline = cmdline_join(buf, n);
	}
	if (procfs_read_status(dirfd, &status) == 0 &&
	    (status.found & PROCFS_STATUS_UID)) {
		e->uid = status.uid[0];
		e->uid_known = true;
	}
	close(dirfd);
	e->gone = false;
	return 0;

gone:
	close(dirfd);
	return -ESRCH;
}

struct proc *
procs_get(struct procs *p, pid_t pid, uint64_t ts)
{
	struct proc *e = lookup(p, pid);

	if (pid <= 0)
		return NULL;
	if (e)
		return e;
	e = insert(p, pid);
	if (!e)
		return NULL;
	if (read_proc(p, pid, ts, e) < 0) {
		procs_forget(p, pid);
		return NULL;
	}
	return e;
}

/* A new task: a copy of the process it was forked from. */
static void
on_fork(struct procs *p, const struct relayfork_event *ev)
{
	bool thread = ev->flags & RELAYFORK_EVENT_F_THREAD;
	pid_t from = thread ? ev->tgid : ev->u.fork.parent_tgid;
	struct proc *src = procs_get(p, from, ev->timestamp_ns);
	struct proc copy, *e;

	if (src) {
		copy = *src;
		copy.cmdline = cmdline_ref(src->cmdline);
	} else {
		memset(&copy, 0, sizeof(copy));
		copy.gone = true;
	}
	e = insert(p, ev->pid);
	if (!e) {
		cmdline_unref(copy.cmdline);
		return;
	}
	copy.next = e->next;
	*e = copy;
	e->pid = ev->pid;
	e->tgid = ev->tgid;
	e->ppid = thread ? ev->tgid : ev->u.fork.parent_tgid;
	e->start_ns = ev->timestamp_ns;
	e->start_known = true;
	/* Children of kthreadd are kernel threads; they take their real
	 * names after the fork, without an event. */
	if (!thread && ev->u.fork.parent_tgid == 2)
		e->kthread = true;
}

/* A new program: read its name and arguments while it runs. */
static void
on_exec(struct procs *p, const struct relayfork_event *ev)
{
	struct proc *e = lookup(p, ev->pid);
	struct proc fresh;

	if (!e)
		return; /* procs_get() reads it on demand */
	memset(&fresh, 0, sizeof(fresh));
	if (read_proc(p, ev->pid, ev->timestamp_ns, &fresh) < 0 ||
	    (e->start_known && fresh.start_known &&
	     fresh.start_ns + START_SLACK_NS < e->start_ns)) {
		/* Exited before we could look: the old name would lie. */
		e->gone = true;
		cmdline_unref(e->cmdline);
		e->cmdline = NULL;
		cmdline_unref(fresh.cmdline);
		return;
	}
	cmdline_unref(e->cmdline);
	e->cmdline = fresh.cmdline;
	memcpy(e->comm, fresh.comm, sizeof(e->comm));
	e->uid = fresh.uid;
	e->uid_known = fresh.uid_known;
	e->gone = false;
}

void
procs_update(struct procs *p, const struct relayfork_event *ev)
{
	struct proc *e;

	switch (ev->type) {
	case RELAYFORK_EVENT_FORK:
		on_fork(p, ev);
		break;
	case RELAYFORK_EVENT_EXEC:
		on_exec(p, ev);
		break;
	case RELAYFORK_EVENT_COMM:
		e = lookup(p, ev->pid);
		if (e)
			memcpy(e->comm, ev->u.comm.comm, sizeof(e->comm));
		break;
	case RELAYFORK_EVENT_UID:
		e = lookup(p, ev->tgid);
		if (e) {
			e->uid = ev->u.uid.ruid;
			e->uid_known = true;
		}
		break;
	default:
		break;
	}
	/* A kernel thread named itself since: look again, cheaply. */
	e = lookup(p, ev->pid);
	if (e && e->kthread && strcmp(e->comm, "kthreadd") == 0 &&
	    ev->pid != 2) {
		int dirfd = procfs_open_pid(ev->pid);

		if (dirfd >= 0) {
			char buf[32];
			ssize_t n = procfs_read(dirfd, "comm", buf, sizeof(buf));

			if (n > 1 && (size_t)n <= sizeof(e->comm)) {
				/* The name and its newline. */
				memcpy(e->comm, buf, (size_t)n - 1);
				e->comm[n - 1] = '\0';
			}
			close(dirfd);
		}
	}
}

bool
procs_name(struct procs *p, pid_t pid, char *buf, size_t size)
{
	struct proc *e;

	if (!p) {
		/* No table (--quiet): ask /proc, once, at the end. */
		struct proc tmp = { 0 };
		struct procs clock;
		bool ok;

		procfs_clock_init(&clock.clock);
		ok = read_proc(&clock, pid, 0, &tmp) == 0 && tmp.comm[0];

		if (ok)
			snprintf(buf, size, tmp.kthread ? "[%s]" : "%s",
				 tmp.comm);
		cmdline_unref(tmp.cmdline);
		return ok;
	}
	e = lookup(p, pid);
	if (!e)
		e = procs_get(p, pid, 0);
	if (!e || !e->comm[0])
		return false;
	snprintf(buf, size, e->kthread ? "[%s]" : "%s", e->comm);
	return true;
}

void
procs_resync_begin(struct procs *p)
{
	struct proc *e;
	size_t i;

	for (i = 0; i < BUCKETS; i++)
		for (e = p->buckets[i]; e; e = e->next)
			e->listed = false;
}

void
procs_resync_add(struct procs *p, const struct relayfork_event *ev)
{
	struct proc *e = lookup(p, ev->pid);

	/* The same process if it started when the entry says (start
	 * times in /proc are a clock tick coarse). */
	if (e && e->start_known &&
	    e->start_ns <= ev->timestamp_ns + procfs_clock_resolution(&p->clock) &&
	    ev->timestamp_ns <= e->start_ns + procfs_clock_resolution(&p->clock)) {
		e->listed = true;
		return;
	}
	if (e)
		procs_forget(p, ev->pid);
	e = procs_get(p, ev->pid, 0);
	if (e)
		e->listed = true;
}

void
procs_resync_end(struct procs *p)
{
	struct proc **s, *e;
	size_t i;

	/* Processes and threads the snapshot does not list are gone.
	 * Threads are not listed: they stay until their exits. */
	for (i = 0; i < BUCKETS; i++) {
		s = &p->buckets[i];
		while ((e = *s)) {
			if (e->listed || e->pid != e->tgid) {
				s = &e->next;
				continue;
			}
			*s = e->next;
			entry_release(e);
			e->next = p->free_list;
			p->free_list = e;
		}
	}
}
