// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * forkwatch - watch process events live.
 *
 * Also the reference example of librelayfork's fd API in a real event
 * loop: one ppoll(2) over the monitor's descriptor, a signalfd for
 * SIGINT/SIGTERM and timerfds for --duration and --stats-interval.
 * After a drain that found events it leaves the monitor alone for
 * relayfork_monitor_get_poll_delay() (wake-up coalescing): under load
 * one wake-up then handles a batch of events instead of one.  It keeps
 * its process table true with snapshots of /proc: at start and after
 * every loss.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "forkwatch.h"

#define TREE_MAX (1u << 22) /* PID_MAX_LIMIT */

struct watch {
	struct config cfg;
	struct relayfork_monitor *monitor;
	struct procs *procs;
	struct render render;
	struct stats stats;
	struct stats interval;
	bool need_procs;	/* names, users: /proc is read */
	uint64_t shown;
	bool done;
	/* --tree: the pids followed, as a bitmap indexed by pid. */
	unsigned char *tree;
	/* The last snapshot the table and the tree were made from: events
	 * it covers changed nothing it does not show. */
	struct relayfork_snapshot *snapshot;
	/* Events were lost since: read /proc again once caught up. */
	bool stale;
	/* Standard output failed (-errno): nothing more is written. */
	int out_error;
};

/* A reader that keeps losing events must not also walk /proc each time. */
#define RESYNC_INTERVAL_NS 1000000000u

/*
 * Descriptors 0, 1 and 2 that whoever started us left closed would be
 * taken by the first descriptors forkwatch opens: the signalfd would
 * become standard output, and the events would be written into it.
 * Each closed one is held by /dev/null, read-only, so that writing to
 * it still fails (EBADF).  Returns 1 when standard output was closed,
 * 0 when it was open, or -errno.
 */
static int
hold_standard_fds(void)
{
	int fd, r = 0;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lowest free number: fd, those below are open. */
		if (open("/dev/null", O_RDONLY) < 0)
			return -errno;
		if (fd == STDOUT_FILENO)
			r = 1;
	}
	return r;
}

/* 0 while standard output takes everything written to it, else the
 * write error as -errno. */
static int
output_error(void)
{
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	/* stdio failed in an earlier, implicit write; its errno is gone. */
	return errno ? -errno : -EIO;
}

/*
 * The exit status once everything is written.  A write error is an
 * error, said on standard error: output that was asked for is lost.  A
 * reader that went away (forkwatch | head) is not: it has what it
 * wanted.
 */
static int
exit_status(int status, int out_error)
{
	if (out_error == 0)
		out_error = output_error();
	if (out_error == 0 || out_error == -EPIPE)
		return status;
	fprintf(stderr, "forkwatch: writing the output: %s\n",
		strerror(-out_error));
	return 1;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool
tree_has(const struct watch *w, pid_t pid)
{
	return pid > 0 && (unsigned)pid < TREE_MAX &&
	       (w->tree[pid / 8] & (1u << (pid % 8)));
}

static void
tree_set(struct watch *w, pid_t pid, bool on)
{
	if (pid <= 0 || (unsigned)pid >= TREE_MAX)
		return;
	if (on)
		w->tree[pid / 8] |= (unsigned char)(1u << (pid % 8));
	else
		w->tree[pid / 8] &= (unsigned char)~(1u << (pid % 8));
}

/* --pid and --tree, decided from the event alone. */
static bool
pid_filter(struct watch *w, const struct relayfork_event *ev, bool covered)
{
	bool process_fork = ev->type == RELAYFORK_EVENT_FORK &&
			    !(ev->flags & RELAYFORK_EVENT_F_THREAD);

	if (w->cfg.pid)
		return ev->tgid == w->cfg.pid ||
		       (process_fork && ev->u.fork.parent_tgid == w->cfg.pid);
	if (w->cfg.tree) {
		/* Follow the tree as it grows. */
		if (process_fork && !covered &&
		    tree_has(w, ev->u.fork.parent_tgid))
			tree_set(w, ev->pid, true);
		return tree_has(w, ev->tgid);
	}
	return true;
}

/* --uid and --comm need to know the process. */
static bool
proc_filter(struct watch *w, const struct relayfork_event *ev,
	    const struct proc *proc)
{
	if (w->cfg.have_uid) {
		bool match = proc && proc->uid_known && proc->uid == w->cfg.uid;

		if (ev->type == RELAYFORK_EVENT_UID)
			match = match || ev->u.uid.ruid == w->cfg.uid ||
				ev->u.uid.euid == w->cfg.uid;
		if (!match)
			return false;
	}
	if (w->cfg.comm) {
		const char *base = NULL;

		if (!proc)
			return false;
		if (proc->cmdline) {
			/* The program's file name, as typed, matches too. */
			const char *end = strchr(proc->cmdline, ' ');
			const char *slash;

			base = proc->cmdline;
			slash = memrchr(base, '/', end ? (size_t)(end - base)
						       : strlen(base));
			if (slash)
				base = slash + 1;
		}
		if (fnmatch(w->cfg.comm, proc->comm, 0) != 0 &&
		    (!base || fnmatch(w->cfg.comm, base, FNM_PERIOD) != 0)) {
			char argv0[256];
			size_t len = strcspn(base ? base : "", " ");

			if (!base || len >= sizeof(argv0))
				return false;
			memcpy(argv0, base, len);
			argv0[len] = '\0';
			if (fnmatch(w->cfg.comm, argv0, 0) != 0)
				return false;
		}
	}
	return true;
}

/*
 * Read the processes that exist now: the table and the tree start from
 * it, and after a loss are made true again (processes that ended meanwhile
 * go, those that started come, the tree takes their descendants).
 */
static int
resync(struct watch *w)
{
	struct {
		pid_t pid, ppid;
	} *all = NULL;
	struct relayfork_event ev;
	size_t n = 0, cap = 0, i;
	bool grew;
	int r;

	w->snapshot = relayfork_snapshot_free(w->snapshot);
	r = relayfork_snapshot_new(0, &w->snapshot);
	if (r < 0)
		return r;
	if (w->procs)
		procs_resync_begin(w->procs);
	while ((r = relayfork_snapshot_next(w->snapshot, &ev)) > 0) {
		if (w->procs)
			procs_resync_add(w->procs, &ev);
		if (!w->tree)
			continue;
		if (n == cap) {
			void *grown;

			cap = cap ? 2 * cap : 1024;
			grown = realloc(all, cap * sizeof(*all));
			if (!grown) {
				r = -ENOMEM;
				break;
			}
			all = grown;
		}
		all[n].pid = ev.pid;
		all[n].ppid = ev.u.fork.parent_tgid;
		n++;
	}
	if (w->procs && r == 0)
		procs_resync_end(w->procs);
	if (w->tree && r == 0) {
		/* Keep the members that live on, and the root; add their
		 * descendants, level by level. */
		unsigned char *alive = calloc(TREE_MAX / 8, 1);

		if (!alive) {
			free(all);
			return -ENOMEM;
		}
		for (i = 0; i < n; i++)
			if (tree_has(w, all[i].pid) || all[i].pid == w->cfg.tree)
				alive[all[i].pid / 8] |= (unsigned char)(1u << (all[i].pid % 8));
		memcpy(w->tree, alive, TREE_MAX / 8);
		free(alive);
		do {
			grew = false;
			for (i = 0; i < n; i++)
				if (!tree_has(w, all[i].pid) &&
				    tree_has(w, all[i].ppid)) {
					tree_set(w, all[i].pid, true);
					grew = true;
				}
		} while (grew);
	}
	free(all);
	return r;
}

/* The process an event is about: for the exit that ends a process, the
 * process (its last thread may not be its main one). */
static const struct proc *
event_proc(struct watch *w, const struct relayfork_event *ev)
{
	const struct proc *proc = NULL;

	if (ev->flags & RELAYFORK_EVENT_F_PROCESS_END)
		return procs_get(w->procs, ev->tgid, ev->timestamp_ns);
	proc = procs_get(w->procs, ev->pid, ev->timestamp_ns);
	if (!proc && ev->pid != ev->tgid)
		proc = procs_get(w->procs, ev->tgid, ev->timestamp_ns);
	return proc;
}

static void
handle(struct watch *w, const struct relayfork_event *ev)
{
	const struct proc *proc = NULL;
	bool process_end, shown, covered;

	if (ev->type == RELAYFORK_EVENT_LOST) {
		stats_count(&w->stats, ev);
		stats_count(&w->interval, ev);
		if (!w->cfg.quiet)
			render_lost(&w->render, ev);
		/* What the lost events did is unknown: ask /proc. */
		w->stale = w->procs || w->tree;
		return;
	}
	covered = w->snapshot && relayfork_snapshot_covers(w->snapshot, ev) == 1;
	process_end = ev->type == RELAYFORK_EVENT_EXIT &&
		      (ev->flags & RELAYFORK_EVENT_F_PROCESS_END);
	shown = selection_shows(&w->cfg.show, ev) && pid_filter(w, ev, covered);
	if (w->need_procs) {
		if (!covered)
			procs_update(w->procs, ev);
		proc = event_proc(w, ev);
		shown = shown && proc_filter(w, ev, proc);
	}
	if (shown && !w->done) {
		stats_count(&w->stats, ev);
		stats_count(&w->interval, ev);
		if (!w->cfg.quiet)
			render_event(&w->render, ev, proc);
		w->shown++;
		if (w->cfg.count && w->shown >= w->cfg.count)
			w->done = true;
	}
	if (ev->type == RELAYFORK_EVENT_EXIT && !covered) {
		/* A thread's entry goes with it; the process's only with
		 * the process (its main thread may leave first). */
		if (w->need_procs && ev->pid != ev->tgid)
			procs_forget(w->procs, ev->pid);
		if (process_end) {
			if (w->need_procs)
				procs_forget(w->procs, ev->tgid);
			if (w->tree)
				tree_set(w, ev->tgid, false);
		}
	}
}

/* Receive everything waiting; returns how many events, or -errno. */
static int
drain(struct watch *w)
{
	struct relayfork_event ev;
	int n = 0, r = 0;

	render_sync_clock(&w->render);
	if (w->procs)
		procs_sync_clock(w->procs);
	while (!w->done && (r = relayfork_monitor_receive(w->monitor, &ev)) > 0) {
		handle(w, &ev);
		n++;
	}
	if (w->done)
		return n;
	/* Caught up after a loss: /proc is newer than every event read. */
	if (r == 0 && w->stale &&
	    now_ns() - relayfork_snapshot_get_time(w->snapshot) >= RESYNC_INTERVAL_NS) {
		w->stale = false;
		if (resync(w) < 0 && !w->cfg.quiet)
			fprintf(stderr, "forkwatch: cannot read /proc after a "
					"loss; names may be stale\n");
	}
	return r < 0 ? r : n;
}

static int
make_timer(double seconds, bool repeat)
{
	struct itimerspec its = { 0 };
	int fd;

	if (seconds <= 0)
		return -1;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0)
		return -1;
	its.it_value.tv_sec = (time_t)seconds;
	its.it_value.tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1;
	if (repeat)
		its.it_interval = its.it_value;
	timerfd_settime(fd, 0, &its, NULL);
	return fd;
}

static int
setup(struct watch *w)
{
	uint32_t mask = selection_mask(&w->cfg.show);
	int r;

	/* Names and users are shown, or filtered on: keep the process
	 * table, which needs the events that change it, shown or not. */
	w->need_procs = !w->cfg.quiet || w->cfg.have_uid || w->cfg.comm;
	if (w->need_procs)
		mask |= RELAYFORK_EVENTS_FORK | RELAYFORK_EVENTS_EXEC |
			RELAYFORK_EVENTS_EXIT | RELAYFORK_EVENTS_COMM |
			RELAYFORK_EVENTS_UID;
	if (w->cfg.tree)
		mask |= RELAYFORK_EVENTS_FORK | RELAYFORK_EVENTS_EXIT;

	r = relayfork_monitor_new(0, &w->monitor);
	if (r == 0)
		r = relayfork_monitor_set_events(w->monitor, mask);
	if (r == 0 && w->cfg.buffer) {
		r = relayfork_monitor_set_receive_buffer_size(w->monitor,
							      w->cfg.buffer);
		r = r > 0 ? 0 : r;
	}
	if (r == 0 && w->need_procs)
		r = procs_new(&w->procs);
	if (r == 0 && w->cfg.tree) {
		w->tree = calloc(TREE_MAX / 8, 1);
		if (!w->tree)
			return -ENOMEM;
		tree_set(w, w->cfg.tree, true);
	}
	if (r == 0)
		r = relayfork_monitor_start(w->monitor);
	/* After subscribing, so that no process falls between the
	 * snapshot and the first event. */
	if (r == 0 && (w->procs || w->tree))
		r = resync(w);
	return r;
}

/* The loop: events, signals, timers; after a busy drain the monitor
 * waits out the library's coalescing delay. */
static int
watch_loop(struct watch *w, int sfd, int duration_fd, int stats_fd)
{
	struct pollfd pfd[4] = {
		{ .fd = sfd, .events = POLLIN },
		{ .fd = duration_fd, .events = POLLIN },
		{ .fd = stats_fd, .events = POLLIN },
		{ .fd = relayfork_monitor_get_fd(w->monitor), .events = POLLIN },
	};
	int r = 0;

	while (!w->done) {
		/* Leave the monitor out for a moment after a drain that
		 * found events, so that the kernel queues the next batch;
		 * signals and timers are still seen at once. */
		unsigned int delay = relayfork_monitor_get_poll_delay(w->monitor);
		struct timespec ts = { .tv_sec = delay / 1000000,
				       .tv_nsec = (long)(delay % 1000000) * 1000 };
		int n = ppoll(pfd, delay ? 3 : 4, delay ? &ts : NULL, NULL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (pfd[0].revents || pfd[1].revents)
			break;
		if (pfd[2].revents) {
			uint64_t ticks;

			if (read(stats_fd, &ticks, sizeof(ticks)) > 0) {
				stats_print(&w->interval, w->procs, stdout,
					    w->cfg.json, now_ns(), false);
				stats_init(&w->interval, now_ns());
				w->out_error = output_error();
				if (w->out_error)
					break;
			}
		}
		if (delay ? n == 0 : pfd[3].revents != 0) {
			r = drain(w);
			if (r < 0)
				break;
			r = 0;
			/* A full disk, or the reader went away: stop. */
			w->out_error = output_error();
			if (w->out_error)
				break;
		}
	}
	return r;
}

int
main(int argc, char **argv)
{
	struct watch w = { 0 };
	int sfd, duration_fd, stats_fd, r, stdout_closed;
	sigset_t mask;

	/* Before any other descriptor is made (the user database may
	 * open files while the options are read). */
	stdout_closed = hold_standard_fds();
	if (stdout_closed < 0) {
		fprintf(stderr, "forkwatch: /dev/null: %s\n",
			strerror(-stdout_closed));
		return 1;
	}
	r = options_parse(argc, argv, &w.cfg);
	if (r >= 0)
		return exit_status(r, 0);
	/* Say so now rather than at the first event, or never on a quiet
	 * machine. */
	if (stdout_closed) {
		fputs("forkwatch: standard output is closed\n", stderr);
		return 1;
	}
	if (w.cfg.check)
		return exit_status(check_run(stdout), 0);

	/* Signals arrive on a descriptor, so the loop never races them;
	 * a closed pipe shows as a write error. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		perror("forkwatch: signalfd");
		return 1;
	}

	r = setup(&w);
	if (r < 0) {
		fprintf(stderr, "forkwatch: %s\n", relayfork_strerror(r));
		relayfork_monitor_unref(w.monitor);
		relayfork_snapshot_free(w.snapshot);
		procs_free(w.procs);
		free(w.tree);
		return 1;
	}

	w.render = (struct render){ .out = stdout, .json = w.cfg.json,
				    .color = w.cfg.color };
	stats_init(&w.stats, now_ns());
	stats_init(&w.interval, now_ns());
	duration_fd = make_timer(w.cfg.duration, false);
	stats_fd = make_timer(w.cfg.stats_interval, true);

	r = watch_loop(&w, sfd, duration_fd, stats_fd);
	if (r < 0)
		fprintf(stderr, "forkwatch: %s\n", relayfork_strerror(r));
	if (w.cfg.stats && !w.out_error)
		stats_print(&w.stats, w.procs, stdout, w.cfg.json, now_ns(), true);
	r = exit_status(r < 0 ? 1 : 0, w.out_error);

	relayfork_monitor_unref(w.monitor);
	relayfork_snapshot_free(w.snapshot);
	procs_free(w.procs);
	stats_free(&w.stats);
	stats_free(&w.interval);
	free(w.tree);
	if (duration_fd >= 0)
		close(duration_fd);
	if (stats_fd >= 0)
		close(stats_fd);
	close(sfd);
	return r;
}
