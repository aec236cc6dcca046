/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Registrations kept across restarts.  After every change of the target
 * set (or of the signal) the daemon replaces its state file, atomically
 * (a new file renamed over the old one), mode 0600.  At start it
 * restores the targets listed there that still run: a target is known by
 * its pid *and* its start time (field 22 of /proc/PID/stat), so a
 * process that got the pid of one that exited meanwhile is not taken for
 * it.  The file is trusted only if it is a regular file owned by root
 * and writable by nobody else, and only during the boot that wrote it.
 *
 * The format is lines of words, extensible: readers skip comments (#),
 * keywords they do not know, and words after those they know.
 *
 *	relayforkd-state 1
 *	boot-id 6ad5e1d6-...
 *	signal 34
 *	target PID START-TIME UID
 *
 * UID is the user that registered the target, when the daemon knows it
 * (the writer of the request), else 0.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct relayforkd;

struct state_target {
	pid_t pid;
	unsigned long long start;	/* clock ticks after boot */
	uid_t uid;			/* who registered it, 0 if unknown */
};

struct state {
	char *path;		/* NULL: keep no state */
	/* The command line's signal: with no target, not worth a file. */
	int default_signo;
	/* What the file says, or is to say (unsaved). */
	int signo;
	struct state_target *targets;
	size_t n;
	bool unsaved;
	bool failing;		/* the last write failed (logged once) */
};

/* path NULL: no state file.  0 or -ENOMEM. */
int state_init(struct state *s, const char *path, int default_signo);

/*
 * Read the state file and register its targets that still run (and set
 * its signal), logging what was restored and what was dropped.  The
 * next state_sync() rewrites the file to match.
 */
void state_restore(struct state *s, struct relayforkd *d);

/*
 * Rewrite the state file if the targets or the signal changed since it
 * was written (or its last write failed).  registrant: the user on
 * whose behalf the daemon is running a request (0 if none or unknown),
 * recorded for targets that are new.
 */
void state_sync(struct state *s, struct relayforkd *d, uid_t registrant);

void state_free(struct state *s);
