// SPDX-License-Identifier: LGPL-2.1-or-later
/* Print every new process: the fd API in its smallest useful form. */
#include <poll.h>
#include <stdio.h>
#include <relayfork/relayfork.h>

int
main(void)
{
	struct relayfork_monitor *m;
	struct relayfork_event ev;
	struct pollfd pfd = { .events = POLLIN };
	int r;

	if ((r = relayfork_monitor_new(0, &m)) < 0 ||
	    (r = relayfork_monitor_set_events(m, RELAYFORK_EVENTS_FORK)) < 0 ||
	    (r = relayfork_monitor_start(m)) < 0) {
		fprintf(stderr, "%s\n", relayfork_strerror(r));
		return 1;
	}
	pfd.fd = relayfork_monitor_get_fd(m);
	while (poll(&pfd, 1, -1) > 0)
		while (relayfork_monitor_receive(m, &ev) > 0)
			if (ev.type == RELAYFORK_EVENT_FORK)
				printf("%d forked %d\n", (int)ev.u.fork.parent_tgid,
				       (int)ev.pid);
			else
				printf("lost %llu events\n",
				       (unsigned long long)ev.u.lost.count);
	relayfork_monitor_unref(m);
	return 0;
}
