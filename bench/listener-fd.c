// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * listener-fd - the smallest program on librelayfork's fd API, with the
 * library's defaults: relayfork_monitor_wait() (which coalesces
 * wake-ups) and relayfork_monitor_receive() until it returns 0.
 */
#include <errno.h>
#include <stdio.h>

#include <relayfork/relayfork.h>

#include "listener.h"

static volatile sig_atomic_t stop;

int
main(int argc, char **argv)
{
	struct relayfork_monitor *m = NULL;
	struct relayfork_event ev;
	struct storm_count c;
	pid_t root;
	int fork_only, r;

	if (listener_options(argc, argv, "listener-fd", &root, &fork_only) < 0)
		return 2;
	if (storm_count_init(&c, root) < 0) {
		fprintf(stderr, "listener-fd: out of memory\n");
		return 1;
	}
	listener_catch_signals(&stop);

	m = listener_start_monitor("listener-fd", fork_only);
	if (!m)
		return 1;
	printf("ready\n");
	fflush(stdout);

	while (!stop) {
		r = relayfork_monitor_wait(m, -1);
		if (r == -EINTR)
			continue;
		if (r < 0)
			break;
		while ((r = relayfork_monitor_receive(m, &ev)) > 0)
			listener_count_event(&c, &ev);
		if (r < 0)
			break;
	}
	if (r < 0 && r != -EINTR)
		fprintf(stderr, "listener-fd: %s\n", relayfork_strerror(r));

	/* Whatever is still queued was received too. */
	while (relayfork_monitor_receive(m, &ev) > 0)
		listener_count_event(&c, &ev);
	storm_count_report(&c, socket_drops(relayfork_monitor_get_fd(m)),
			   stdout);
	relayfork_monitor_unref(m);
	storm_count_free(&c);
	return 0;
}
