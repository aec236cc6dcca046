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
#include "output.h"

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
	/* --tree: the job tracker follows the subtree (membership decided
	 * at fork time, ids against pid reuse, /proc read after a loss). */
	struct relayfork_tracker *tracker;
	/* -C and its filters: where each process belongs. */
	struct attribution attribution;
	/* The last snapshot the table was made from: events it covers
	 * changed nothing it does not show. */
	struct relayfork_snapshot *snapshot;
	/* Events were lost since: read /proc again once caught up. */
	bool stale;
	/* Standard output failed (-errno): nothing more is written. */
	int out_error;
	/* --journal; the journal refused an entry (-errno). */
	struct journal *journal;
	int journal_error;
	/* --metrics; the last write failed (-errno), said once. */
	struct metrics *metrics;
	int metrics_error;
};

/* A reader that keeps losing events must not also walk /proc each time. */
#define RESYNC_INTERVAL_NS 1000000000u

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
		out_error = stream_error(stdout);
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
tree_member(struct watch *w, pid_t tgid)
{
	struct relayfork_member m;

	return relayfork_tracker_get_member(w->tracker, tgid, &m) == 0;
}

/*
 * --tree: hand the event to the tracker; it is about the tree when its
 * process was a member before (an exit ends the membership) or is one
 * after (a fork makes one).  What the tracker says is not needed here.
 */
static bool
tree_follow(struct watch *w, const struct relayfork_event *ev)
{
	struct relayfork_tracker_event tev;
	bool before = ev->type != RELAYFORK_EVENT_LOST &&
		      tree_member(w, ev->tgid);

	/* Only -ENOMEM: the tree misses what this event changed. */
	(void)relayfork_tracker_handle(w->tracker, ev);
	while (relayfork_tracker_next(w->tracker, &tev) > 0)
		;
	return ev->type != RELAYFORK_EVENT_LOST &&
	       (before || tree_member(w, ev->tgid));
}

/* --pid and --tree (@in_tree: tree_follow()'s answer), decided from the
 * event alone. */
static bool
pid_filter(struct watch *w, const struct relayfork_event *ev, bool in_tree)
{
	bool process_fork = ev->type == RELAYFORK_EVENT_FORK &&
			    !(ev->flags & RELAYFORK_EVENT_F_THREAD);

	if (w->cfg.pid)
		return ev->tgid == w->cfg.pid ||
		       (process_fork && ev->u.fork.parent_tgid == w->cfg.pid);
	if (w->cfg.tree)
		return in_tree;
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
 * Read the processes that exist now: the table starts from it, and after
 * a loss is made true again (processes that ended meanwhile go, those
 * that started come).  The tree is the tracker's, which does the same
 * for it at the loss.
 */
static int
resync(struct watch *w)
{
	struct relayfork_event ev;
	int r;

	w->snapshot = relayfork_snapshot_free(w->snapshot);
	r = relayfork_snapshot_new(0, &w->snapshot);
	if (r < 0)
		return r;
	procs_resync_begin(w->procs);
	while ((r = relayfork_snapshot_next(w->snapshot, &ev)) > 0)
		procs_resync_add(w->procs, &ev);
	if (r == 0)
		procs_resync_end(w->procs);
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

/*
 * --journal.  An entry the journal refuses is output lost, as a failed
 * write is: forkwatch stops (the journal blocks rather than refuse when
 * it is only slow; its socket's buffer is 8M).
 */
static void
journal_send_event(struct watch *w, const struct relayfork_event *ev,
		   const struct proc *proc,
		   const struct relayfork_attribution_info *info)
{
#ifdef HAVE_LIBSYSTEMD
	if (w->journal_error == 0)
		w->journal_error = journal_event(w->journal, ev, proc, info);
	if (w->journal_error)
		w->done = true;
#endif
}

static void
journal_send_lost(struct watch *w, const struct relayfork_event *ev)
{
#ifdef HAVE_LIBSYSTEMD
	if (w->journal_error == 0)
		w->journal_error = journal_lost(w->journal, ev);
	if (w->journal_error)
		w->done = true;
#endif
}

/* Rewrite --metrics; a failure is said once, the next success says so
 * too, and forkwatch goes on: the counters are still right. */
static int
write_metrics(struct watch *w)
{
	int r = metrics_write(w->metrics);

	if (r < 0 && r != w->metrics_error)
		fprintf(stderr, "forkwatch: writing %s: %s\n", w->cfg.metrics,
			strerror(-r));
	else if (r == 0 && w->metrics_error)
		fprintf(stderr, "forkwatch: writing %s works again\n",
			w->cfg.metrics);
	w->metrics_error = r;
	return r;
}

static void
handle(struct watch *w, const struct relayfork_event *ev)
{
	const struct proc *proc = NULL;
	const struct relayfork_attribution_info *where = NULL;
	bool process_end, shown, covered, in_tree = false;

	if (w->tracker)
		in_tree = tree_follow(w, ev);
	/* Every event, shown or not: a loss empties the table, and forks,
	 * execs and exits keep it true. */
	if (w->attribution.table)
		where = attribution_follow(&w->attribution, ev);
	if (ev->type == RELAYFORK_EVENT_LOST) {
		stats_count(&w->stats, ev);
		stats_count(&w->interval, ev);
		if (w->metrics)
			metrics_count(w->metrics, ev, NULL);
		if (w->journal)
			journal_send_lost(w, ev);
		else if (!w->cfg.quiet)
			render_lost(&w->render, ev);
		/* What the lost events did is unknown: ask /proc. */
		w->stale = w->procs != NULL;
		return;
	}
	covered = w->snapshot && relayfork_snapshot_covers(w->snapshot, ev) == 1;
	process_end = ev->type == RELAYFORK_EVENT_EXIT &&
		      (ev->flags & RELAYFORK_EVENT_F_PROCESS_END);
	shown = selection_shows(&w->cfg.show, ev) && pid_filter(w, ev, in_tree) &&
		attribution_matches(&w->attribution, where);
	if (w->need_procs) {
		if (!covered)
			procs_update(w->procs, ev);
		proc = event_proc(w, ev);
		shown = shown && proc_filter(w, ev, proc);
	}
	if (shown && !w->done) {
		stats_count(&w->stats, ev);
		stats_count(&w->interval, ev);
		if (w->metrics)
			metrics_count(w->metrics, ev, where);
		if (w->journal)
			journal_send_event(w, ev, proc, where);
		else if (!w->cfg.quiet)
			render_event(&w->render, ev, proc, where);
		w->shown++;
		if (w->cfg.count && w->shown >= w->cfg.count)
			w->done = true;
	}
	if (ev->type == RELAYFORK_EVENT_EXIT && !covered) {
		/* A thread's entry goes with it; the process's only with
		 * the process (its main thread may leave first). */
		if (w->need_procs && ev->pid != ev->tgid)
			procs_forget(w->procs, ev->pid);
		if (process_end && w->need_procs)
			procs_forget(w->procs, ev->tgid);
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
		else if (w->metrics)
			metrics_resync(w->metrics);
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
	/* The attribution table reads processes at fork and exec and
	 * forgets them at exit. */
	if (w->cfg.attribution)
		mask |= RELAYFORK_EVENTS_FORK | RELAYFORK_EVENTS_EXEC |
			RELAYFORK_EVENTS_EXIT;

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
#ifdef HAVE_LIBSYSTEMD
	if (r == 0 && w->cfg.journal) {
		r = journal_new(&w->journal);
		if (r < 0) {
			fprintf(stderr, "forkwatch: the journal's socket: %s\n",
				strerror(-r));
			return 1;
		}
	}
#endif
	if (r == 0 && w->cfg.metrics)
		r = metrics_new(w->cfg.metrics, &w->metrics);
	/* A file that cannot be written is said now, not in 15 s. */
	if (r == 0 && w->metrics && write_metrics(w) < 0)
		return 1;
	if (r == 0 && w->cfg.tree)
		r = relayfork_tracker_new(0, &w->tracker);
	if (r == 0 && w->cfg.attribution)
		r = attribution_setup(&w->attribution, &w->cfg);
	if (r == 0)
		r = relayfork_monitor_start(w->monitor);
	/* After subscribing, so that no process falls between the
	 * snapshot and the first event. */
	if (r == 0 && w->procs)
		r = resync(w);
	if (r == 0 && w->tracker) {
		r = relayfork_tracker_add(w->tracker, w->cfg.tree);
		if (r == -ESRCH) {
			fprintf(stderr, "forkwatch: --tree %d: no such "
					"process\n", (int)w->cfg.tree);
			return 1;
		}
	}
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
			bool tick = read(stats_fd, &ticks, sizeof(ticks)) > 0;

			if (tick && w->cfg.stats) {
				stats_print(&w->interval, w->procs,
					    w->attribution.table, stdout,
					    w->cfg.json, now_ns(), false);
				stats_init(&w->interval, now_ns());
				w->out_error = stream_error(stdout);
				if (w->out_error)
					break;
			}
			if (tick && w->metrics)
				write_metrics(w);
		}
		if (delay ? n == 0 : pfd[3].revents != 0) {
			r = drain(w);
			if (r < 0)
				break;
			if (w->journal_error)
				break;
			r = 0;
			/* A full disk, or the reader went away: stop. */
			w->out_error = stream_error(stdout);
			if (w->out_error)
				break;
		}
	}
	return r;
}

static void
free_outputs(struct watch *w)
{
#ifdef HAVE_LIBSYSTEMD
	journal_free(w->journal);
#endif
	metrics_free(w->metrics);
}

int
main(int argc, char **argv)
{
	struct watch w = { 0 };
	int sfd, duration_fd, stats_fd, r, closed;
	sigset_t mask;

	/* Before any other descriptor is made (the user database may
	 * open files while the options are read). */
	closed = hold_standard_fds();
	if (closed < 0) {
		fprintf(stderr, "forkwatch: /dev/null: %s\n", strerror(-closed));
		return 1;
	}
	r = options_parse(argc, argv, &w.cfg);
	if (r >= 0)
		return exit_status(r, 0);
	/* Say so now rather than at the first event, or never on a quiet
	 * machine. */
	if (closed & (1 << STDOUT_FILENO)) {
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
	if (r != 0) {
		if (r < 0)
			fprintf(stderr, "forkwatch: %s\n", relayfork_strerror(r));
		relayfork_monitor_unref(w.monitor);
		relayfork_snapshot_free(w.snapshot);
		procs_free(w.procs);
		relayfork_tracker_free(w.tracker);
		free_outputs(&w);
		attribution_free(&w.attribution);
		/* A status from setup (a bad --cgroup is a usage error). */
		return r > 0 ? r : 1;
	}

	w.render = (struct render){ .out = stdout, .json = w.cfg.json,
				    .color = w.cfg.color,
				    .attribution = w.cfg.attribution };
	stats_init(&w.stats, now_ns());
	stats_init(&w.interval, now_ns());
	duration_fd = make_timer(w.cfg.duration, false);
	stats_fd = make_timer(w.cfg.stats_interval, true);

	r = watch_loop(&w, sfd, duration_fd, stats_fd);
	if (r < 0)
		fprintf(stderr, "forkwatch: %s\n", relayfork_strerror(r));
	if (w.cfg.stats && !w.out_error)
		stats_print(&w.stats, w.procs, w.attribution.table, stdout,
			    w.cfg.json, now_ns(), true);
	if (w.journal_error)
		fprintf(stderr, "forkwatch: writing to the journal: %s\n",
			strerror(-w.journal_error));
	/* The counters at the end: the last file must be written. */
	if (w.metrics && write_metrics(&w) < 0)
		r = -EIO;
	r = exit_status(r < 0 || w.journal_error ? 1 : 0, w.out_error);

	relayfork_monitor_unref(w.monitor);
	relayfork_snapshot_free(w.snapshot);
	procs_free(w.procs);
	stats_free(&w.stats);
	stats_free(&w.interval);
	relayfork_tracker_free(w.tracker);
	free_outputs(&w);
	attribution_free(&w.attribution);
	if (duration_fd >= 0)
		close(duration_fd);
	if (stats_fd >= 0)
		close(stats_fd);
	close(sfd);
	return r;
}
