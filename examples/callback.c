// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Report processes that end with a failure, using the callback API and
 * the "failures only" filter without threads: each process once, when
 * its last thread ends (RELAYFORK_EVENT_F_PROCESS_END), with its status.
 * Stop after ten of them.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <relayfork/relayfork.h>

static int
on_event(struct relayfork_monitor *m, const struct relayfork_event *ev,
	 void *userdata)
{
	int *left = userdata;

	if (ev->type == RELAYFORK_EVENT_LOST) {
		printf("lost %llu events\n", (unsigned long long)ev->u.lost.count);
		return 0;
	}
	/* The process is tgid: its last thread may not be its main one. */
	if (ev->u.exit.exited)
		printf("%d exited with %d\n", (int)ev->tgid, (int)ev->u.exit.code);
	else
		printf("%d killed by %s\n", (int)ev->tgid,
		       strsignal(ev->u.exit.signal));
	/* Non-zero stops the dispatch and is returned from it. */
	return --*left == 0 ? 1 : 0;
}

int
main(void)
{
	struct relayfork_monitor *m;
	struct pollfd pfd = { .events = POLLIN };
	int left = 10, r;

	if ((r = relayfork_monitor_new(0, &m)) < 0 ||
	    (r = relayfork_monitor_set_events(m, RELAYFORK_EVENTS_EXIT_FAILURE |
						 RELAYFORK_EVENTS_SKIP_THREADS)) < 0 ||
	    (r = relayfork_monitor_start(m)) < 0) {
		fprintf(stderr, "%s\n", relayfork_strerror(r));
		return 1;
	}
	pfd.fd = relayfork_monitor_get_fd(m);
	r = 0;
	while (r == 0 && poll(&pfd, 1, -1) > 0)
		r = relayfork_monitor_dispatch(m, on_event, &left);
	relayfork_monitor_unref(m);
	return r < 0 ? 1 : 0;
}
