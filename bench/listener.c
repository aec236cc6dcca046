// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>

#include "listener.h"

void
listener_count_event(struct storm_count *c, const struct relayfork_event *ev)
{
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
}

struct relayfork_monitor *
listener_start_monitor(const char *name, int fork_only)
{
	struct relayfork_monitor *m = NULL;
	int r;

	r = relayfork_monitor_new(0, &m);
	if (r == 0 && fork_only)
		r = relayfork_monitor_set_events(m, RELAYFORK_EVENTS_FORK);
	if (r == 0)
		r = relayfork_monitor_start(m);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", name, relayfork_strerror(r));
		return relayfork_monitor_unref(m);
	}
	return m;
}
