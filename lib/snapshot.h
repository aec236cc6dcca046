/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the library's own readers of a snapshot see besides the events. */
#pragma once

#include "procfs.h"
#include "relayfork/relayfork.h"

/* relayfork_snapshot_next(), with what /proc/PID/stat (or the thread's)
 * said of the task listed. */
int snapshot_next_stat(struct relayfork_snapshot *snapshot,
		       struct relayfork_event *event, struct procfs_stat *st);
