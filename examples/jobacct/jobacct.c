// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * jobacct - run a command and account for every process of it.
 *
 * A monitor's events feed a job tracker (relayfork_tracker_new(3)) that
 * follows the command's whole tree, double-forked daemons included;
 * jobacct is the job's child subreaper, so the job's orphans become its
 * children: it reaps them, and their resource use reaches
 * getrusage(RUSAGE_CHILDREN).  It waits until the job is empty (the
 * tracker says so and no child is left), then exits with the command's
 * status, as time(1) does.
 *
 * The loop: one ppoll(2) over a signalfd (SIGCHLD, SIGINT, SIGTERM), the
 * per-process usage source (usage.c) and the monitor, which after a
 * drain that found events is left alone for
 * relayfork_monitor_get_poll_delay() (wake-up coalescing, as forkwatch).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jobacct.h"
#include "output.h"
#include "procfs.h"

/* The command has ended and not one event came this long after it: the
 * subscription is deaf (another network or PID namespace). */
#define BLIND_AFTER_MS 1000

/* Wake-up coalescing.  A build keeps every CPU busy, and each wake-up of
 * jobacct takes time from it; nobody watches jobacct live, so it can
 * wait longer than the library's 1 ms default.  What 10 ms of the
 * fastest storm queues (about 500 events, 0.4 MB) fits the receive
 * buffers many times over. */
#define COALESCE_USEC 10000

/* Exit statuses of jobacct's own, as env(1), timeout(1) and the shell. */
#define EXIT_FAILED 125
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127

struct job {
	struct config cfg;
	struct relayfork_monitor *monitor;
	struct relayfork_tracker *tracker;
	struct usage_source *usage;
	struct tree *tree;		/* --tree */
	FILE *json;			/* --json; NULL without, or when its
					 * reader went away */
	int acct_fd;			/* -o, or -1 */
	/* What the tracker's records lack, by member id (dense, from 1). */
	struct extra *extra;
	uint64_t nextra;
	pid_t pid;			/* the command */
	bool reaped;			/* its status is known */
	int status;
	bool children;			/* children of ours not reaped yet */
	bool empty;			/* the tracker said the job is empty */
	bool lossy;
	bool blind;			/* no event ever came */
	bool usage_busy;		/* the last usage drain found records */
	uint64_t usage_ns;		/* when */
	uint64_t start_ns;
	/* The children's figures before the command: a shell that ran
	 * jobacct with exec left its own children's in them. */
	struct job_usage before;
	uint64_t reaped_ns;		/* when the command was reaped */
	uint64_t events;		/* received from the monitor */
	uint64_t daemonised;
	unsigned int signals;		/* SIGINT and SIGTERM received */
	int stop_signal;		/* the one that stopped jobacct */
	int json_error, acct_error;	/* the first write error, -errno */
};

static uint64_t
now_ns(void)
{
	return procfs_now_ns();
}

/* The extra record of a member, grown as ids come; NULL without memory. */
static struct extra *
extra_of(struct job *j, uint64_t id)
{
	if (id >= j->nextra) {
		uint64_t n = j->nextra ? j->nextra : 256;
		struct extra *grown;

		while (n <= id)
			n *= 2;
		grown = realloc(j->extra, n * sizeof(*grown));
		if (!grown)
			return NULL;
		memset(grown + j->nextra, 0, (n - j->nextra) * sizeof(*grown));
		j->extra = grown;
		j->nextra = n;
	}
	return &j->extra[id];
}

/* The real group id of a running process, from /proc; fallback if gone. */
static uint32_t
read_gid(pid_t pid, uint32_t fallback)
{
	char buf[4096];
	const char *line;
	unsigned int gid;
	int dirfd = procfs_open_pid(pid);
	ssize_t n;

	if (dirfd < 0)
		return fallback;
	n = procfs_read(dirfd, "status", buf, sizeof(buf));
	close(dirfd);
	if (n < 0)
		return fallback;
	line = strstr(buf, "\nGid:");
	if (!line || sscanf(line + 5, "%u", &gid) != 1)
		return fallback;
	return gid;
}

static void
joined(struct job *j, const struct relayfork_member *m, struct extra *x)
{
	const struct extra *parent = NULL;

	if (m->parent_id && m->parent_id < j->nextra)
		parent = &j->extra[m->parent_id];
	/* A child is its parent's copy until it executes a program; the
	 * command was executed; a process found in /proc after a loss is
	 * taken to have executed (its fork was not seen). */
	x->execd = !parent || (m->flags & RELAYFORK_MEMBER_F_FOUND);
	if (m->flags & RELAYFORK_MEMBER_F_FOUND)
		x->gid = read_gid(m->pid, parent ? parent->gid : getgid());
	else
		x->gid = parent ? parent->gid : getgid();
}

static void
write_acct(struct job *j, const struct relayfork_member *m,
	   const struct extra *x)
{
	struct acct_v3 ac;
	const char *p = (const char *)&ac;
	size_t left = sizeof(ac);

	if (j->acct_fd < 0 || j->acct_error)
		return;
	acct_fill(&ac, m, x, real_offset_ns());
	while (left) {
		ssize_t n = write(j->acct_fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			j->acct_error = n < 0 ? -errno : -EIO;
			return;
		}
		p += n;
		left -= (size_t)n;
	}
}

/*
 * After writing JSON: @err is errno as the writes left it.  A reader
 * that went away is not an error (it has what it wanted): the rest is
 * not written.  Anything else is, at the end.
 */
static void
check_json(struct job *j, int err)
{
	int r;

	if (!j->json || (!ferror(j->json) && fflush(j->json) == 0))
		return;
	/* stdio failed in this write or an implicit one: the errno of
	 * the write if it is still there. */
	r = err ? -err : errno ? -errno : -EIO;
	if (r != -EPIPE && !j->json_error)
		j->json_error = r;
	if (j->json != stdout)
		fclose(j->json);
	j->json = NULL;
}

static int
ended(struct job *j, const struct relayfork_member *m)
{
	struct extra none = { .gid = getgid(), .execd = true };
	struct extra *x = m->id < j->nextra ? &j->extra[m->id] : &none;

	if (m->flags & RELAYFORK_MEMBER_F_REPARENTED)
		j->daemonised++;
	if (j->json) {
		errno = 0;
		report_json_member(j->json, m, x, real_offset_ns());
		check_json(j, errno);
	}
	write_acct(j, m, x);
	if (j->tree && tree_add(j->tree, m) < 0)
		return -ENOMEM;
	return 0;
}

/* Take what the tracker learned. */
static int
take(struct job *j)
{
	struct relayfork_tracker_event ev;
	struct extra *x;
	int r;

	while ((r = relayfork_tracker_next(j->tracker, &ev)) > 0) {
		switch (ev.type) {
		case RELAYFORK_TRACKER_JOINED:
			x = extra_of(j, ev.member.id);
			if (!x)
				return -ENOMEM;
			joined(j, &ev.member, x);
			break;
		case RELAYFORK_TRACKER_ENDED:
			r = ended(j, &ev.member);
			if (r < 0)
				return r;
			break;
		case RELAYFORK_TRACKER_EMPTY:
			j->empty = true;
			j->lossy = ev.flags & RELAYFORK_TRACKER_F_LOSSY;
			break;
		default:
			break;
		}
	}
	return r;
}

/*
 * One event: note what BSD accounting needs and the tracker keeps not
 * (a program executed, the group id, the parent at exit), while the
 * member is still live, then hand it to the tracker.
 */
static int
handle(struct job *j, const struct relayfork_event *ev)
{
	struct relayfork_member m;
	bool end = ev->type == RELAYFORK_EVENT_EXIT &&
		   (ev->flags & RELAYFORK_EVENT_F_PROCESS_END);
	int r;

	if ((ev->type == RELAYFORK_EVENT_EXEC || ev->type == RELAYFORK_EVENT_GID ||
	     end) &&
	    relayfork_tracker_get_member(j->tracker, ev->tgid, &m) == 0 &&
	    ev->timestamp_ns >= m.start_ns) {
		struct extra *x = extra_of(j, m.id);

		if (!x)
			return -ENOMEM;
		if (ev->type == RELAYFORK_EVENT_EXEC)
			x->execd = true;
		else if (ev->type == RELAYFORK_EVENT_GID)
			x->gid = ev->u.gid.rgid;
		else
			x->exit_ppid = ev->u.exit.parent_tgid;
	}
	r = relayfork_tracker_handle(j->tracker, ev);
	return r < 0 ? r : take(j);
}

/* Receive everything waiting; -errno on an error. */
static int
drain(struct job *j)
{
	struct relayfork_event ev;
	int r;

	while (!j->empty && (r = relayfork_monitor_receive(j->monitor, &ev)) > 0) {
		j->events++;
		r = handle(j, &ev);
		if (r < 0)
			return r;
	}
	return j->empty ? 0 : r;
}

/* Reap every child that has ended: the command (its status) and the
 * job's orphans (their resource use then counts).  True when one was. */
static bool
reap(struct job *j)
{
	bool reaped = false;

	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid > 0) {
			if (pid == j->pid) {
				j->reaped = true;
				j->status = status;
				j->reaped_ns = now_ns();
			}
			reaped = true;
			continue;
		}
		if (pid < 0 && errno == EINTR)
			continue;
		/* 0: children live on; ECHILD: none is left. */
		j->children = pid == 0;
		return reaped;
	}
}

/*
 * SIGINT and SIGTERM are for the command: the first is passed on to it
 * (unless the terminal sent it, which sends it to the command's process
 * group too), and jobacct keeps waiting for the job.  A second one, or
 * one that comes when the command has ended, stops jobacct.  True when a
 * child was reaped.
 */
static bool
on_signals(struct job *j, int sfd)
{
	struct signalfd_siginfo si;
	bool reaped = false;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		int sig = (int)si.ssi_signo;

		if (sig == SIGCHLD) {
			reaped = reap(j) || reaped;
			continue;
		}
		if (++j->signals == 1 && !j->reaped) {
			if (si.ssi_code != SI_KERNEL ||
			    getpgid(j->pid) != getpgrp())
				kill(j->pid, sig);
			continue;
		}
		j->stop_signal = sig;
	}
	return reaped;
}

/* The job is over: the tracker says so and no child of ours is left
 * (after a loss a child may be a member the tracker lost); with no
 * events at all, only the children can tell. */
static bool
over(const struct job *j)
{
	return (j->empty || j->blind) && !j->children;
}

static struct timespec
timespec_us(uint64_t us)
{
	return (struct timespec){ .tv_sec = (time_t)(us / 1000000),
				  .tv_nsec = (long)(us % 1000000) * 1000 };
}

/* The usage source's share of the coalescing: after a drain that found
 * records, how long the loop still leaves both sockets alone. */
static unsigned int
usage_delay(const struct job *j)
{
	uint64_t since_us;

	if (!j->usage_busy)
		return 0;
	since_us = (now_ns() - j->usage_ns) / 1000;
	return since_us < COALESCE_USEC ? (unsigned int)(COALESCE_USEC - since_us)
					: 0;
}

static int
take_usage(struct job *j)
{
	int r = usage_dispatch(j->usage, j->tracker);

	if (r < 0)
		return r;
	j->usage_busy = r > 0;
	if (j->usage_busy)
		j->usage_ns = now_ns();
	return take(j);
}

static int
run(struct job *j, int sfd)
{
	struct pollfd pfd[3] = {
		{ .fd = sfd, .events = POLLIN },
		{ .fd = usage_get_fd(j->usage), .events = POLLIN },
		{ .fd = relayfork_monitor_get_fd(j->monitor), .events = POLLIN },
	};
	int r;

	reap(j);
	while (!over(j) && !j->stop_signal) {
		/* The monitor is read until the job is empty. */
		bool watch = !j->empty && !j->blind;
		unsigned int delay = watch ? relayfork_monitor_get_poll_delay(j->monitor) : 0;
		/* The command has ended and no event ever came: wait a
		 * moment for one, then stop listening. */
		bool deaf = watch && j->reaped && !j->events;
		struct timespec ts;
		bool all;
		int n;

		if (usage_delay(j) > delay)
			delay = usage_delay(j);
		ts = timespec_us(delay);
		if (deaf && !delay) {
			uint64_t since_us = (now_ns() - j->reaped_ns) / 1000;

			ts = timespec_us(since_us < BLIND_AFTER_MS * 1000ull
						 ? BLIND_AFTER_MS * 1000ull - since_us
						 : 0);
		}
		/* After a drain that found events or records, both sockets
		 * are left out for the coalescing delay (each taskstats
		 * record would otherwise wake jobacct on its own); signals
		 * are still seen at once. */
		n = ppoll(pfd, delay ? 1 : watch ? 3 : 2,
			  delay || deaf ? &ts : NULL, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* A child of ours ended: the job may be over, and the kernel
		 * queued the child's exit event before it sent SIGCHLD, so
		 * the delay is cut short. */
		all = (delay && n == 0) ||
		      (pfd[0].revents && on_signals(j, sfd));
		/* Events first: a usage record read before its process's
		 * fork was handled may find no member to go to. */
		if (watch && (all || (!delay && pfd[2].revents))) {
			r = drain(j);
			if (r < 0)
				return r;
		}
		if (pfd[1].fd >= 0 && (all || (!delay && pfd[1].revents))) {
			r = take_usage(j);
			if (r < 0)
				return r;
		}
		if (deaf && !j->events &&
		    now_ns() - j->reaped_ns >= BLIND_AFTER_MS * 1000000ull)
			j->blind = true;
		if (j->empty || j->blind)
			reap(j);
	}
	return 0;
}

/* What the command's wait status makes jobacct exit with. */
static int
command_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_FAILED;
}

static int
open_outputs(struct job *j)
{
	if (j->cfg.acct_path) {
		int flags = O_WRONLY | O_CREAT | O_CLOEXEC |
			    (j->cfg.append ? O_APPEND : O_TRUNC);

		j->acct_fd = open(j->cfg.acct_path, flags, 0644);
		if (j->acct_fd < 0) {
			fprintf(stderr, "jobacct: %s: %s\n", j->cfg.acct_path,
				strerror(errno));
			return -1;
		}
	}
	if (j->cfg.json && j->cfg.json_path) {
		j->json = fopen(j->cfg.json_path, "we");
		if (!j->json) {
			fprintf(stderr, "jobacct: %s: %s\n", j->cfg.json_path,
				strerror(errno));
			return -1;
		}
	} else if (j->cfg.json) {
		j->json = stdout;
	}
	/* A line as soon as a process ends, for a reader that follows. */
	if (j->json)
		setvbuf(j->json, NULL, _IOLBF, 0);
	if (j->cfg.tree) {
		j->tree = tree_new();
		if (!j->tree) {
			fputs("jobacct: out of memory\n", stderr);
			return -1;
		}
	}
	return 0;
}

static int
setup(struct job *j)
{
	int r;

	r = relayfork_monitor_new(0, &j->monitor);
	/* Threads are left out (the socket filter drops them before they
	 * wake jobacct); the exit that ends a process is kept. */
	if (r == 0)
		r = relayfork_monitor_set_events(j->monitor,
			RELAYFORK_EVENTS_FORK | RELAYFORK_EVENTS_EXIT |
			RELAYFORK_EVENTS_EXEC | RELAYFORK_EVENTS_COMM |
			RELAYFORK_EVENTS_UID | RELAYFORK_EVENTS_GID |
			RELAYFORK_EVENTS_SKIP_THREADS);
	if (r == 0)
		r = relayfork_monitor_set_coalesce_delay(j->monitor, COALESCE_USEC);
	if (r == 0 && j->cfg.buffer) {
		r = relayfork_monitor_set_receive_buffer_size(j->monitor,
							      j->cfg.buffer);
		r = r > 0 ? 0 : r;
	}
	if (r == 0)
		r = relayfork_monitor_start(j->monitor);
	if (r == 0)
		r = relayfork_tracker_new(RELAYFORK_TRACKER_SUBREAPER, &j->tracker);
	if (r == 0)
		r = usage_open(j->tracker, &j->usage);
	if (r < 0)
		fprintf(stderr, "jobacct: cannot follow processes: %s\n",
			relayfork_strerror(r));
	return r;
}

static int
spawn(struct job *j)
{
	const char *cmd = j->cfg.command[0];
	int r;

	usage_children(&j->before);
	j->start_ns = now_ns();
	r = relayfork_tracker_spawn(j->tracker, j->monitor, j->cfg.command,
				    &j->pid, NULL);
	if (r == 0) {
		j->children = true;
		if (take(j) == 0)
			return 0;
		fputs("jobacct: out of memory\n", stderr);
		return EXIT_FAILED;
	}
	fputs("jobacct: ", stderr);
	text_escape(stderr, cmd, strlen(cmd));
	if (r == -ENOENT) {
		fputs(": command not found\n", stderr);
		return EXIT_NOT_FOUND;
	}
	fprintf(stderr, ": %s\n", strerror(-r));
	/* What the shell says: found but not executable, or not run. */
	return r == -EACCES || r == -ENOEXEC || r == -EISDIR || r == -ENOTDIR ||
			       r == -ELOOP || r == -E2BIG || r == -ETXTBSY
		       ? EXIT_CANNOT_RUN
		       : EXIT_FAILED;
}

/* Write the reports; returns the status to exit with. */
static int
finish(struct job *j, int status)
{
	struct outcome o = {
		.command = j->cfg.command,
		.pid = j->pid,
		.reaped = j->reaped,
		.status = j->status,
		.interrupted = j->stop_signal != 0,
		.blind = j->blind,
		.elapsed_ns = now_ns() - j->start_ns,
		.daemonised = j->daemonised,
		.missing = usage_missing(j->usage),
	};
	int err;

	relayfork_tracker_get_totals(j->tracker, &o.totals);
	o.complete = j->empty && !j->lossy && !j->blind && !o.interrupted;
	usage_children(&o.job);
	usage_since(&o.job, &j->before);
	if (status == 0)
		status = j->reaped ? command_exit_code(j->status) : EXIT_FAILED;
	o.exit_code = status;
	if (j->tree) {
		fputs("jobacct: process tree\n", stderr);
		tree_print(stderr, j->tree);
	}
	if (!j->cfg.quiet)
		report_text_summary(stderr, &o);
	if (j->json) {
		errno = 0;
		report_json_summary(j->json, &o);
		check_json(j, errno);
	}
	err = j->json_error;
	if (err) {
		fprintf(stderr, "jobacct: writing %s: %s\n",
			j->cfg.json_path ? j->cfg.json_path : "the JSON output",
			strerror(-err));
		status = EXIT_FAILED;
	}
	if (j->acct_fd >= 0 && !j->acct_error && close(j->acct_fd) < 0)
		j->acct_error = -errno;
	else if (j->acct_fd >= 0 && j->acct_error)
		close(j->acct_fd);
	j->acct_fd = -1;
	if (j->acct_error) {
		fprintf(stderr, "jobacct: writing %s: %s\n", j->cfg.acct_path,
			strerror(-j->acct_error));
		status = EXIT_FAILED;
	}
	return status;
}

static void
cleanup(struct job *j)
{
	if (j->json && j->json != stdout)
		fclose(j->json);
	if (j->acct_fd >= 0)
		close(j->acct_fd);
	tree_free(j->tree);
	relayfork_tracker_free(j->tracker);
	usage_free(j->usage);
	relayfork_monitor_unref(j->monitor);
	free(j->extra);
}

int
main(int argc, char **argv)
{
	struct job j = { .acct_fd = -1 };
	sigset_t mask;
	int r, sfd, closed;

	closed = hold_standard_fds();
	if (closed < 0) {
		fprintf(stderr, "jobacct: /dev/null: %s\n", strerror(-closed));
		return EXIT_FAILED;
	}
	r = options_parse(argc, argv, &j.cfg);
	if (r >= 0)
		return stream_error(stdout) == 0 ? r : EXIT_FAILED;
	if (j.cfg.json && !j.cfg.json_path && (closed & (1 << STDOUT_FILENO))) {
		fputs("jobacct: standard output is closed\n", stderr);
		return EXIT_FAILED;
	}
	if (open_outputs(&j) < 0 || setup(&j) < 0) {
		cleanup(&j);
		return EXIT_FAILED;
	}

	/*
	 * The command inherits the signal mask and ignored signals: they
	 * are blocked (for the signalfd) and SIGPIPE ignored only once it
	 * runs.  A SIGCHLD that comes before is caught by the first reap.
	 */
	r = spawn(&j);
	if (r != 0) {
		cleanup(&j);
		return r;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		r = -errno;
	} else {
		r = run(&j, sfd);
		close(sfd);
	}
	if (r < 0)
		fprintf(stderr, "jobacct: %s\n", relayfork_strerror(r));
	reap(&j);
	r = finish(&j, r < 0 ? EXIT_FAILED : 0);
	cleanup(&j);
	if (j.stop_signal) {
		/* Stopped by a signal: end by it, as the shell expects. */
		fflush(NULL);
		signal(j.stop_signal, SIG_DFL);
		sigprocmask(SIG_UNBLOCK, &mask, NULL);
		raise(j.stop_signal);
		return 128 + j.stop_signal;
	}
	return r;
}
