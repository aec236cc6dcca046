// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kill(2) permission rule, applied on behalf of another process:
 * the writer of a FUSE request may register a process only if it could
 * signal it itself.  FUSE tells us the writer's pid; its credentials and
 * the target's come from /proc.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "procfs.h"
#include "relayforkd.h"

#define CAP_KILL_BIT 5

/* The credentials of a process, from /proc. */
static int
read_creds(pid_t pid, struct procfs_status *c)
{
	int dirfd = procfs_open_pid(pid), r;

	if (dirfd < 0)
		return dirfd;
	*c = (struct procfs_status){ 0 };
	r = procfs_read_status(dirfd, c);
	close(dirfd);
	if (r < 0)
		return r;
	return c->found == (PROCFS_STATUS_TGID | PROCFS_STATUS_UID |
			    PROCFS_STATUS_CAPEFF)
		       ? 0
		       : -ESRCH;
}

int
proc_check_process(pid_t pid)
{
	struct procfs_status c;
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
	struct procfs_status w, t;
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
