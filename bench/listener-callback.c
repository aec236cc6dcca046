// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * listener-callback - the smallest program on librelayfork's callback
 * API, with the library's defaults: relayfork_monitor_run().
 */
#include <errno.h>
#include <stdio.h>

#include <relayfork/relayfork.h>

#include "storm-count.h"

static volatile sig_atomic_t stop;

static int
on_event(struct relayfork_monitor *m, const struct relayfork_event *ev,
	 void *userdata)
{
	struct storm_count *c = userdata;

	switch (ev->type) {
	case RELAYFORK_EVENT_FORK:
		storm_count_fork(c, ev->pid, ev->tgid, ev->u.fork.parent_tgid);
		break;
	case RELAYFORK_EVENT_EXEC:
		storm_count_exec(c, ev->pid);
		break;
	case RELAYFORK_EVENT_EXIT:
		storm_count_exit(c, ev->pid, ev->tgid, ev->u.exit.parent_tgid);
		break;
	case RELAYFORK_EVENT_LOST:
		c->lost += ev->u.lost.count;
		c->lost_reports++;
		break;
	default:
		storm_count_other(c);
		break;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct relayfork_monitor *m = NULL;
	struct storm_count c;
	pid_t root;
	int fork_only, r;

	if (listener_options(argc, argv, "listener-callback", &root,
			     &fork_only) < 0)
		return 2;
	if (storm_count_init(&c, root) < 0) {
		fprintf(stderr, "listener-callback: out of memory\n");
		return 1;
	}
	listener_catch_signals(&stop);

	r = relayfork_monitor_new(0, &m);
	if (r == 0 && fork_only)
		r = relayfork_monitor_set_events(m, RELAYFORK_EVENTS_FORK);
	if (r == 0)
		r = relayfork_monitor_start(m);
	if (r < 0) {
		fprintf(stderr, "listener-callback: %s\n", relayfork_strerror(r));
		relayfork_monitor_unref(m);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);

	/* run() returns -EINTR when a signal interrupts its wait. */
	do
		r = relayfork_monitor_run(m, on_event, &c);
	while (r == -EINTR && !stop);
	if (r < 0 && r != -EINTR)
		fprintf(stderr, "listener-callback: %s\n", relayfork_strerror(r));

	/* Whatever is still queued was received too. */
	relayfork_monitor_dispatch(m, on_event, &c);
	storm_count_report(&c, socket_drops(relayfork_monitor_get_fd(m)),
			   stdout);
	relayfork_monitor_unref(m);
	storm_count_free(&c);
	return 0;
}
