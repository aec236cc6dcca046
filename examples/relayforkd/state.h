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
 * keywords they do not know, and words after those they know (a
 * target's NAME=VALUE words of names they do not know).
 *
 *	relayforkd-state 1
 *	boot-id 6ad5e1d6-...
 *	signal 34
 *	target PID START-TIME UID euid=N suid=N fsuid=N cap-eff=HEX
 *	       userns=initial|other opener=PID
 *
 * (one line each) in registration order.  UID and the NAME=VALUE words
 * are the credentials of the process that opened the file the target
 * was written to (struct creds; cap-eff in hexadecimal, as
 * /proc/PID/status shows it; userns: whether it was in the daemon's
 * user namespace, the initial one) and its pid, for the logs.  At start
 * each target is registered again in that registrant's name, by
 * kill(2)'s rule and within its limits, as the registrant's own write
 * would be now.  Files written before the credentials were recorded end
 * at UID, the writer's uid: it stands for every id, with CAP_KILL for
 * uid 0 (root wrote them).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "relayforkd.h"

struct state_target {
	pid_t pid;
	uint64_t seq;			/* the registration's; not saved */
	unsigned long long start;	/* clock ticks after boot */
	struct creds registrant;
	pid_t registrant_pid;
};

struct state {
	char *path;		/* NULL: keep no state */
	/* The command line's signal: with no target, not worth a file. */
	int default_signo;
	/* What the file says, or is to say (unsaved). */
	int signo;
	struct state_target *targets;
	size_t n;
	/* The registry's generation when targets was made. */
	uint64_t generation;
	bool unsaved;
	bool failing;		/* the last write failed (logged once) */
};

/* path NULL: no state file.  0 or -ENOMEM. */
int state_init(struct state *s, const char *path, int default_signo);

/*
 * Read the state file and register its targets that still run and that
 * their registrants may still register (and set its signal), logging
 * what was restored and what was dropped.  The next state_sync()
 * rewrites the file to match.
 */
void state_restore(struct state *s, struct relayforkd *d);

/*
 * Rewrite the state file if the registrations (targets, registrants) or
 * the signal changed since it was written (or its last write failed):
 * registered, unregistered, exited, revoked.
 */
void state_sync(struct state *s, struct relayforkd *d);

void state_free(struct state *s);
