// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kill(2) permission rule, applied on behalf of other processes: a
 * registration is allowed when the process that opened the processes
 * file could signal the target itself.  Credentials come from
 * /proc/PID/status, which shows ids as the reader's user namespace sees
 * them: the daemon's, the initial one, so they compare as the kernel's
 * kuids do.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procfs.h"
#include "relayforkd.h"

/* Debian 12's headers predate it. */
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* The daemon's own user namespace: capabilities count only there. */
static struct procfs_namespace daemon_userns;
/* Its uid map, normalised (map_normalize()). */
static char daemon_uid_map[512];

/* A uid map's numbers, one space between each: 0 or a negative errno. */
static int
map_read(int dirfd, char *buf, size_t size)
{
	char raw[512], *in, *out;
	ssize_t n = procfs_read(dirfd, "uid_map", raw, sizeof(raw));

	if (n < 0)
		return (int)n;
	if (size < sizeof(raw))
		return -ENOBUFS;
	out = buf;
	for (in = raw; *in; in++) {
		if (*in >= '0' && *in <= '9')
			*out++ = *in;
		else if (out > buf && out[-1] != ' ')
			*out++ = ' ';
	}
	*out = '\0';
	return 0;
}

int
creds_init(void)
{
	int dirfd = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (dirfd < 0)
		return -errno;
	r = procfs_read_namespace(dirfd, "user", &daemon_userns);
	if (r == 0)
		r = map_read(dirfd, daemon_uid_map, sizeof(daemon_uid_map));
	close(dirfd);
	return r;
}

/*
 * Is the process of dirfd in the daemon's user namespace?  Its ns/user
 * link says so exactly, but the kernel shows it only to a reader that
 * may ptrace the process: under relayforkd.service's capabilities
 * (without CAP_SYS_PTRACE) not for a root process that holds more of
 * them than the daemon, as a root shell does.  Then its uid map
 * decides, readable by all: the daemon's, the initial namespace's whole
 * identity map, is another namespace's only if a process with CAP_SETUID
 * in the initial one wrote it so.  0 with *ret set, or -ESRCH.
 */
static int
in_daemon_userns(int dirfd, bool *ret)
{
	struct procfs_namespace ns;
	char map[512];
	int r = procfs_read_namespace(dirfd, "user", &ns);

	*ret = false;
	if (r == 0) {
		*ret = ns.dev == daemon_userns.dev && ns.ino == daemon_userns.ino;
		return 0;
	}
	if (r != -EACCES && r != -EPERM)
		/* Where it cannot be told, capabilities do not count. */
		return r == -ESRCH ? r : 0;
	r = map_read(dirfd, map, sizeof(map));
	if (r == -ESRCH)
		return r;
	*ret = r == 0 && strcmp(map, daemon_uid_map) == 0;
	return 0;
}

int
creds_read(int dirfd, struct creds *ret)
{
	struct procfs_status st = { 0 };
	int r = procfs_read_status(dirfd, &st);

	if (r < 0)
		return r;
	if (st.found != (PROCFS_STATUS_TGID | PROCFS_STATUS_UID |
			 PROCFS_STATUS_CAPEFF))
		return -ESRCH;
	*ret = (struct creds){
		.tgid = st.tgid,
		.uid = st.uid[0],
		.euid = st.uid[1],
		.suid = st.uid[2],
		.fsuid = st.uid[3],
		.cap_eff = st.cap_eff,
	};
	return in_daemon_userns(dirfd, &ret->own_userns);
}

int
creds_read_pid(pid_t pid, struct creds *ret)
{
	int dirfd = procfs_open_pid(pid), r;

	if (dirfd < 0)
		return dirfd;
	r = creds_read(dirfd, ret);
	close(dirfd);
	return r;
}

bool
creds_privileged(const struct creds *c)
{
	/*
	 * CAP_KILL in the daemon's user namespace (the initial one) covers
	 * every process.  CAP_KILL in another user namespace covers only the
	 * processes whose credentials belong to it or to its descendants
	 * (ns_capable(tcred->user_ns, CAP_KILL)), which the daemon cannot
	 * tell from /proc: there it does not count at all.
	 */
	return c->own_userns && (c->cap_eff & (UINT64_C(1) << CAP_KILL_BIT));
}

int
creds_may_signal(const struct creds *sender, const struct creds *target)
{
	/* kernel/signal.c, kill_ok_by_cred(). */
	if (creds_privileged(sender))
		return 0;
	if (sender->euid == target->suid || sender->euid == target->uid ||
	    sender->uid == target->suid || sender->uid == target->uid)
		return 0;
	return -EPERM;
}

/* A pidfd is readable once its process has exited (all its threads). */
static bool
pidfd_exited(int pidfd)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	return poll(&pfd, 1, 0) != 0;
}

int
process_hold(pid_t pid, struct held_process *ret)
{
	int r;

	*ret = (struct held_process){ .pid = pid, .pidfd = -1, .procfd = -1 };
	/* First the process, then what /proc says of it: the pidfd holds
	 * the very process whose pid we were given, whatever happens to
	 * the pid later. */
	ret->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (ret->pidfd < 0) {
		r = errno;
		if (r != ENOSYS)
			/* EINVAL or ENOENT: a thread other than the main one. */
			return r == EINVAL || r == ENOENT ? -EINVAL : -r;
		/* No pidfds (before Linux 5.3, or valgrind): the /proc
		 * directory stands in, bound to its process as well. */
	}
	ret->procfd = procfs_open_pid(pid);
	if (ret->procfd < 0) {
		r = ret->procfd;
		goto fail;
	}
	r = creds_read(ret->procfd, &ret->creds);
	if (r == 0 && ret->creds.tgid != pid)
		r = -EINVAL; /* /proc/TID exists for every thread */
	/* Still alive now: what /proc said was its own, not that of a
	 * process that got its pid since.  A zombie is refused here. */
	if (r == 0)
		r = process_alive(ret);
	if (r < 0)
		goto fail;
	if (ret->pidfd >= 0) {
		close(ret->procfd);
		ret->procfd = -1;
	}
	return 0;
fail:
	process_release(ret);
	return r;
}

int
process_alive(const struct held_process *p)
{
	if (p->pidfd >= 0)
		return pidfd_exited(p->pidfd) ? -ESRCH : 0;
	return procfs_alive(p->procfd) ? 0 : -ESRCH;
}

void
process_release(struct held_process *p)
{
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->procfd >= 0)
		close(p->procfd);
	p->pidfd = p->procfd = -1;
}
