// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kill(2) permission rule, applied on behalf of another process:
 * the writer of a FUSE request may register a process only if it could
 * signal it itself.  FUSE tells us the writer's pid; its credentials and
 * the target's come from /proc.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "relayforkd.h"

#define CAP_KILL_BIT 5

struct creds {
	pid_t tgid;
	unsigned int uid[4]; /* real, effective, saved, fs */
	uint64_t cap_eff;
};

static int
read_creds(pid_t pid, struct creds *c)
{
	char path[64], line[256];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Tgid: %d", &c->tgid) == 1)
			found |= 1;
		else if (sscanf(line, "Uid: %u %u %u %u", &c->uid[0], &c->uid[1],
				&c->uid[2], &c->uid[3]) == 4)
			found |= 2;
		else if (sscanf(line, "CapEff: %" SCNx64, &c->cap_eff) == 1)
			found |= 4;
	}
	fclose(f);
	return found == 7 ? 0 : -ESRCH;
}

int
proc_check_process(pid_t pid)
{
	struct creds c;
	int r = read_creds(pid, &c);

	if (r < 0)
		return r;
	/* /proc/TID exists for every thread; only main threads name a
	 * process. */
	return c.tgid == pid ? 0 : -EINVAL;
}

int
creds_may_signal(pid_t writer, pid_t target)
{
	struct creds w, t;
	int r;

	r = read_creds(writer, &w);
	if (r < 0)
		return -EPERM; /* the writer is gone: refuse */
	r = read_creds(target, &t);
	if (r < 0)
		return r;
	if (w.cap_eff & (UINT64_C(1) << CAP_KILL_BIT))
		return 0;
	/* Sender's real or effective uid equals the target's real or
	 * saved uid. */
	if (w.uid[0] == t.uid[0] || w.uid[0] == t.uid[2] ||
	    w.uid[1] == t.uid[0] || w.uid[1] == t.uid[2])
		return 0;
	return -EPERM;
}
