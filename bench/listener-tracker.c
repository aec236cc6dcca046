// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * listener-tracker - listener-fd with a job tracker fed every event: the
 * storm's root is added to it (relayfork_tracker_add()) before the storm
 * starts, so that its workers join and every thread they create is
 * followed, as a job's threads are.  Beside listener-fd this measures
 * what the tracker adds per event.  After the result line it prints
 * "tracker members=N ended=N resyncs=N", which run.py checks.
 */
#include <errno.h>
#include <stdio.h>

#include <relayfork/relayfork.h>

#include "listener.h"

static volatile sig_atomic_t stop;

/* Take what the tracker queued, as a program would (jobacct does). */
static int
take(struct relayfork_tracker *t)
{
	struct relayfork_tracker_event tev;
	int r;

	while ((r = relayfork_tracker_next(t, &tev)) > 0)
		;
	return r;
}

static int
follow(struct relayfork_tracker *t, struct storm_count *c,
       const struct relayfork_event *ev)
{
	int r;

	listener_count_event(c, ev);
	r = relayfork_tracker_handle(t, ev);
	return r < 0 ? r : take(t);
}

int
main(int argc, char **argv)
{
	struct relayfork_monitor *m = NULL;
	struct relayfork_tracker *t = NULL;
	struct relayfork_tracker_totals totals;
	struct relayfork_event ev;
	struct storm_count c;
	pid_t root;
	int fork_only, r;

	if (listener_options(argc, argv, "listener-tracker", &root,
			     &fork_only) < 0)
		return 2;
	/* The tracker needs exits: it follows processes, not forks. */
	if (fork_only) {
		fprintf(stderr, "listener-tracker: a tracker needs exits, not "
				"fork events only\n");
		return 2;
	}
	if (storm_count_init(&c, root) < 0) {
		fprintf(stderr, "listener-tracker: out of memory\n");
		return 1;
	}
	listener_catch_signals(&stop);

	m = listener_start_monitor("listener-tracker", 0);
	if (!m)
		return 1;
	r = relayfork_tracker_new(0, &t);
	if (r == 0)
		r = relayfork_tracker_add(t, root);
	if (r == 0)
		r = take(t);
	if (r < 0) {
		fprintf(stderr, "listener-tracker: following %d: %s\n",
			(int)root, relayfork_strerror(r));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);

	while (!stop) {
		r = relayfork_monitor_wait(m, -1);
		if (r == -EINTR)
			continue;
		if (r < 0)
			break;
		while ((r = relayfork_monitor_receive(m, &ev)) > 0) {
			r = follow(t, &c, &ev);
			if (r < 0)
				break;
		}
		if (r < 0)
			break;
	}
	if (r < 0 && r != -EINTR)
		fprintf(stderr, "listener-tracker: %s\n", relayfork_strerror(r));

	/* Whatever is still queued was received too. */
	while (relayfork_monitor_receive(m, &ev) > 0)
		(void)follow(t, &c, &ev);
	storm_count_report(&c, socket_drops(relayfork_monitor_get_fd(m)),
			   stdout);
	relayfork_tracker_get_totals(t, &totals);
	printf("tracker members=%llu ended=%llu resyncs=%llu\n",
	       (unsigned long long)totals.joined,
	       (unsigned long long)totals.ended,
	       (unsigned long long)totals.resyncs);
	relayfork_tracker_free(t);
	relayfork_monitor_unref(m);
	storm_count_free(&c);
	return 0;
}
