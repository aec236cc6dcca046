/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the two listeners on the library share. */
#pragma once

#include <relayfork/relayfork.h>

#include "storm-count.h"

/* Count one of the library's events. */
void listener_count_event(struct storm_count *c,
			  const struct relayfork_event *ev);

/* A started monitor with the library's defaults, for all events or
 * forks only; NULL, with a message on stderr, on failure. */
struct relayfork_monitor *listener_start_monitor(const char *name,
						 int fork_only);
