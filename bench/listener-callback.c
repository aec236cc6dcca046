// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * listener-callback - the smallest program on librelayfork's callback
 * API, with the library's defaults: relayfork_monitor_run().
 */
#include <errno.h>
#include <stdio.h>

#include <relayfork/relayfork.h>

#include "listener.h"

static volatile sig_atomic_t stop;

static int
on_event(struct relayfork_monitor *m, const struct relayfork_event *ev,
	 void *userdata)
{
	listener_count_event(userdata, ev);
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

	m = listener_start_monitor("listener-callback", fork_only);
	if (!m)
		return 1;
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
