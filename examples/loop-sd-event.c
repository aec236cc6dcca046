// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Print every fork from an sd-event loop (libsystemd): an IO source on
 * the monitor's descriptor, a one-shot timer that stands in for it while
 * the IO source is off for the coalescing pause
 * (relayfork_monitor_get_poll_delay()), and signal sources that end the
 * loop on SIGINT or SIGTERM.
 *
 * Usage: loop-sd-event [--buffer BYTES]
 * Prints "fork PID PARENT", "lost COUNT" and, at the end, "total lost N".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>
#include <relayfork/relayfork.h>

struct watch {
	struct relayfork_monitor *monitor;
	sd_event_source *io;
	sd_event_source *pause;
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
 * events left in a batch would not make the descriptor readable again. */
static int
drain(struct relayfork_monitor *m)
{
	struct relayfork_event ev;
	int r;

	while ((r = relayfork_monitor_receive(m, &ev)) > 0) {
		if (ev.type == RELAYFORK_EVENT_FORK)
			printf("fork %d %d\n", (int)ev.pid,
			       (int)ev.u.fork.parent_tgid);
		else if (ev.type == RELAYFORK_EVENT_LOST)
			printf("lost %llu\n",
			       (unsigned long long)ev.u.lost.count);
	}
	fflush(stdout);
	return r;
}

/* Watch the descriptor, or turn it off and wait the pause out. */
static int
schedule(struct watch *w)
{
	unsigned int usec = relayfork_monitor_get_poll_delay(w->monitor);
	int r;

	if (usec == 0)
		return sd_event_source_set_enabled(w->io, SD_EVENT_ON);
	r = sd_event_source_set_enabled(w->io, SD_EVENT_OFF);
	if (r >= 0)
		r = sd_event_source_set_time_relative(w->pause, usec);
	if (r >= 0)
		r = sd_event_source_set_enabled(w->pause, SD_EVENT_ONESHOT);
	return r;
}

/* A failure ends the loop: a handler's error would only turn its source
 * off, and the program would wait for nothing. */
static int
drain_and_schedule(sd_event_source *s, struct watch *w)
{
	int r;

	r = drain(w->monitor);
	if (r >= 0)
		r = schedule(w);
	if (r < 0) {
		fprintf(stderr, "loop-sd-event: %s\n", relayfork_strerror(r));
		return sd_event_exit(sd_event_source_get_event(s), 1);
	}
	return 0;
}

static int
on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	return drain_and_schedule(s, userdata);
}

static int
on_pause_over(sd_event_source *s, uint64_t usec, void *userdata)
{
	return drain_and_schedule(s, userdata);
}

static int
on_signal(sd_event_source *s, const struct signalfd_siginfo *si,
	  void *userdata)
{
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

int
main(int argc, char **argv)
{
	struct watch w = { 0 };
	sd_event *e = NULL;
	size_t buffer = 0;
	sigset_t signals;
	int r;

	if (parse_args(argc, argv, &buffer) < 0) {
		fprintf(stderr, "Usage: %s [--buffer BYTES]\n", argv[0]);
		return 2;
	}

	/* sd-event takes signals from a signalfd: they must be blocked. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	sigprocmask(SIG_BLOCK, &signals, NULL);

	r = start_monitor(buffer, &w.monitor);
	if (r < 0) {
		fprintf(stderr, "loop-sd-event: %s\n", relayfork_strerror(r));
		relayfork_monitor_unref(w.monitor);
		return 1;
	}
	/* An accuracy of 0 would mean sd-event's default, 250 ms: ask for
	 * the pause as it is. */
	if ((r = sd_event_default(&e)) < 0 ||
	    (r = sd_event_add_io(e, &w.io, relayfork_monitor_get_fd(w.monitor),
				 EPOLLIN, on_readable, &w)) < 0 ||
	    (r = sd_event_add_time_relative(e, &w.pause, CLOCK_MONOTONIC, 0, 1,
					    on_pause_over, &w)) < 0 ||
	    (r = sd_event_source_set_enabled(w.pause, SD_EVENT_OFF)) < 0 ||
	    (r = sd_event_add_signal(e, NULL, SIGINT, on_signal, NULL)) < 0 ||
	    (r = sd_event_add_signal(e, NULL, SIGTERM, on_signal, NULL)) < 0) {
		fprintf(stderr, "loop-sd-event: %s\n", strerror(-r));
		r = 1;
		goto out;
	}

	r = sd_event_loop(e);
	if (r == 0) {
		printf("total lost %llu\n", (unsigned long long)
		       relayfork_monitor_get_counter(w.monitor,
						     RELAYFORK_COUNTER_LOST));
		r = fflush(stdout) == 0 ? 0 : 1;
	} else if (r < 0) {
		fprintf(stderr, "loop-sd-event: %s\n", strerror(-r));
		r = 1;
	}
out:
	/* The IO source goes before the monitor that owns its descriptor. */
	sd_event_source_unref(w.io);
	sd_event_source_unref(w.pause);
	sd_event_unref(e);
	relayfork_monitor_unref(w.monitor);
	return r;
}
