// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Print every fork from a libuv loop: a poll handle on the monitor's
 * descriptor, stopped for the coalescing pause after a drain that found
 * events (relayfork_monitor_get_poll_delay()) while a timer waits it out,
 * and signal handles that close everything on SIGINT or SIGTERM.
 *
 * libuv takes an error on a polled descriptor (POLLERR) for a dead one:
 * it stops the handle for good and reports UV_EBADF.  A netlink socket
 * would raise it when its buffer overflows; librelayfork keeps it from
 * doing so and reports the loss as an event instead, so this program
 * goes on after an overflow.
 *
 * Usage: loop-libuv [--buffer BYTES]
 * Prints "fork PID PARENT", "lost COUNT" and, at the end, "total lost N".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include <relayfork/relayfork.h>

struct watch {
	struct relayfork_monitor *monitor;
	uv_poll_t poll;
	uv_timer_t pause;
	uv_signal_t sigint, sigterm;
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

/* uv_run() returns once every handle is closed. */
static void
close_all(struct watch *w)
{
	if (uv_is_closing((uv_handle_t *)&w->poll))
		return; /* a second signal */
	uv_close((uv_handle_t *)&w->poll, NULL);
	uv_close((uv_handle_t *)&w->pause, NULL);
	uv_close((uv_handle_t *)&w->sigint, NULL);
	uv_close((uv_handle_t *)&w->sigterm, NULL);
}

/* Take every waiting event: the library reads the socket in batches, and
 * events left in a batch would not make the descriptor readable again.
 * Returns the pause to take, or -1 after a failure (the loop ends). */
static long
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
		fprintf(stderr, "loop-libuv: %s\n", relayfork_strerror(r));
		w->failed = 1;
		close_all(w);
		return -1;
	}
	return relayfork_monitor_get_poll_delay(w->monitor);
}

static void on_pause_over(uv_timer_t *timer);

/* libuv's timers count milliseconds: round the pause up. */
static void
wait_pause(struct watch *w, long usec)
{
	uv_timer_start(&w->pause, on_pause_over, (usec + 999) / 1000, 0);
}

static void
on_readable(uv_poll_t *poll, int status, int events)
{
	struct watch *w = poll->data;
	long usec;

	if (status < 0) {
		/* The handle is stopped for good: nothing more would come. */
		fprintf(stderr, "loop-libuv: %s\n", uv_strerror(status));
		w->failed = 1;
		close_all(w);
		return;
	}
	usec = drain(w);
	if (usec > 0) {
		/* Off the descriptor while the kernel queues a batch. */
		uv_poll_stop(&w->poll);
		wait_pause(w, usec);
	}
}

static void
on_pause_over(uv_timer_t *timer)
{
	struct watch *w = timer->data;
	long usec;

	usec = drain(w);
	if (usec == 0)
		uv_poll_start(&w->poll, UV_READABLE, on_readable);
	else if (usec > 0)
		wait_pause(w, usec);
}

static void
on_signal(uv_signal_t *handle, int signum)
{
	close_all(handle->data);
}

int
main(int argc, char **argv)
{
	struct watch w = { 0 };
	size_t buffer = 0;
	uv_loop_t loop;
	int r;

	if (parse_args(argc, argv, &buffer) < 0) {
		fprintf(stderr, "Usage: %s [--buffer BYTES]\n", argv[0]);
		return 2;
	}
	r = start_monitor(buffer, &w.monitor);
	if (r < 0) {
		fprintf(stderr, "loop-libuv: %s\n", relayfork_strerror(r));
		relayfork_monitor_unref(w.monitor);
		return 1;
	}

	if ((r = uv_loop_init(&loop)) < 0 ||
	    (r = uv_poll_init(&loop, &w.poll,
			      relayfork_monitor_get_fd(w.monitor))) < 0) {
		fprintf(stderr, "loop-libuv: %s\n", uv_strerror(r));
		relayfork_monitor_unref(w.monitor);
		return 1;
	}
	uv_timer_init(&loop, &w.pause);
	uv_signal_init(&loop, &w.sigint);
	uv_signal_init(&loop, &w.sigterm);
	w.poll.data = w.pause.data = w.sigint.data = w.sigterm.data = &w;

	uv_poll_start(&w.poll, UV_READABLE, on_readable);
	uv_signal_start(&w.sigint, on_signal, SIGINT);
	uv_signal_start(&w.sigterm, on_signal, SIGTERM);
	uv_run(&loop, UV_RUN_DEFAULT);

	if (!w.failed)
		printf("total lost %llu\n", (unsigned long long)
		       relayfork_monitor_get_counter(w.monitor,
						     RELAYFORK_COUNTER_LOST));
	if (fflush(stdout) != 0)
		w.failed = 1;
	uv_loop_close(&loop);
	/* After the poll handle is closed: the monitor owns the descriptor. */
	relayfork_monitor_unref(w.monitor);
	return w.failed ? 1 : 0;
}
