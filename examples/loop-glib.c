// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Print every fork from a GLib main loop: a unix fd source on the
 * monitor's descriptor, which gives way to a timeout for the coalescing
 * pause after a drain that found events
 * (relayfork_monitor_get_poll_delay()), and unix signal sources that quit
 * the loop on SIGINT or SIGTERM.
 *
 * Usage: loop-glib [--buffer BYTES]
 * Prints "fork PID PARENT", "lost COUNT" and, at the end, "total lost N".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <glib-unix.h>
#include <relayfork/relayfork.h>

struct watch {
	struct relayfork_monitor *monitor;
	GMainLoop *loop;
	guint source; /* the fd source or the timeout, whichever is on */
	int failed;
};

static int
parse_args(int argc, char **argv, size_t *buffer)
{
	char *end;

	if (argc == 1)
		return 0;
	if (argc != 3 || strcmp(argv[1], "--buffer") != 0 ||
	    argv[2][0] < '0' || argv[2][0] > '9')
		return -1;
	errno = 0;
	*buffer = strtoull(argv[2], &end, 10);
	return *end || errno || *buffer == 0 ? -1 : 0;
}

static int
start_monitor(size_t buffer, struct relayfork_monitor **ret)
{
	int r;

	r = relayfork_monitor_new(0, ret);
	if (r < 0)
		return r;
	r = relayfork_monitor_set_events(*ret, RELAYFORK_EVENTS_FORK);
	if (r >= 0 && buffer > 0)
		r = relayfork_monitor_set_receive_buffer_size(*ret, buffer);
	if (r >= 0)
		r = relayfork_monitor_start(*ret);
	return r < 0 ? r : 0;
}

/* Take every waiting event: the library reads the socket in batches, and
 * events left in a batch would not make the descriptor readable again.
 * On failure, quit the loop. */
static gboolean
drain(struct watch *w)
{
	struct relayfork_event ev;
	int r;

	while ((r = relayfork_monitor_receive(w->monitor, &ev)) > 0) {
		if (ev.type == RELAYFORK_EVENT_FORK)
			printf("fork %d %d\n", (int)ev.pid,
			       (int)ev.u.fork.parent_tgid);
		else if (ev.type == RELAYFORK_EVENT_LOST)
			printf("lost %llu\n",
			       (unsigned long long)ev.u.lost.count);
	}
	fflush(stdout);
	if (r < 0) {
		fprintf(stderr, "loop-glib: %s\n", relayfork_strerror(r));
		w->failed = 1;
		w->source = 0;
		g_main_loop_quit(w->loop);
		return FALSE;
	}
	return TRUE;
}

static gboolean on_readable(gint fd, GIOCondition condition, gpointer data);
static gboolean on_pause_over(gpointer data);

static void
watch_fd(struct watch *w)
{
	w->source = g_unix_fd_add(relayfork_monitor_get_fd(w->monitor),
				  G_IO_IN, on_readable, w);
}

/* GLib's timeouts count milliseconds: round the pause up. */
static void
wait_pause(struct watch *w, unsigned int usec)
{
	w->source = g_timeout_add((usec + 999) / 1000, on_pause_over, w);
}

static gboolean
on_readable(gint fd, GIOCondition condition, gpointer data)
{
	struct watch *w = data;
	unsigned int usec;

	if (!drain(w))
		return G_SOURCE_REMOVE;
	usec = relayfork_monitor_get_poll_delay(w->monitor);
	if (usec == 0)
		return G_SOURCE_CONTINUE;
	/* Off the descriptor while the kernel queues the next batch. */
	wait_pause(w, usec);
	return G_SOURCE_REMOVE;
}

static gboolean
on_pause_over(gpointer data)
{
	struct watch *w = data;
	unsigned int usec;

	if (!drain(w))
		return G_SOURCE_REMOVE;
	usec = relayfork_monitor_get_poll_delay(w->monitor);
	if (usec == 0)
		watch_fd(w);
	else
		wait_pause(w, usec);
	return G_SOURCE_REMOVE;
}

static gboolean
on_signal(gpointer data)
{
	struct watch *w = data;

	g_main_loop_quit(w->loop);
	return G_SOURCE_CONTINUE;
}

int
main(int argc, char **argv)
{
	struct watch w = { 0 };
	size_t buffer = 0;
	guint sigint, sigterm;
	int r;

	if (parse_args(argc, argv, &buffer) < 0) {
		fprintf(stderr, "Usage: %s [--buffer BYTES]\n", argv[0]);
		return 2;
	}
	r = start_monitor(buffer, &w.monitor);
	if (r < 0) {
		fprintf(stderr, "loop-glib: %s\n", relayfork_strerror(r));
		relayfork_monitor_unref(w.monitor);
		return 1;
	}

	w.loop = g_main_loop_new(NULL, FALSE);
	watch_fd(&w);
	/* GLib installs the handlers and brings the signals into the loop. */
	sigint = g_unix_signal_add(SIGINT, on_signal, &w);
	sigterm = g_unix_signal_add(SIGTERM, on_signal, &w);
	g_main_loop_run(w.loop);

	if (!w.failed)
		printf("total lost %llu\n", (unsigned long long)
		       relayfork_monitor_get_counter(w.monitor,
						     RELAYFORK_COUNTER_LOST));
	if (fflush(stdout) != 0)
		w.failed = 1;

	/* The fd source goes before the monitor that owns the descriptor. */
	if (w.source)
		g_source_remove(w.source);
	g_source_remove(sigint);
	g_source_remove(sigterm);
	g_main_loop_unref(w.loop);
	relayfork_monitor_unref(w.monitor);
	return w.failed ? 1 : 0;
}
