// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "internal.h"

/* Is the running kernel older than major.minor? */
static bool
kernel_before(int major, int minor)
{
	struct utsname u;
	int a = 0, b = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &a, &b) != 2)
		return false;
	return a < major || (a == major && b < minor);
}

/*
 * A code is explained only with a text that is true for every function
 * that returns it: the setup failures of relayfork_monitor_start() and
 * relayfork_taskstats_new(), which share their causes (kernel options,
 * namespaces), and EPERM, whose text names both of its sources (taskstats
 * needs CAP_NET_ADMIN; a forwarder may not signal a process).  Other
 * codes (a handler's EBUSY) get strerror(3)'s text.
 */
RELAYFORK_EXPORT const char *
relayfork_strerror(int error)
{
	const char *text;

	/* -INT_MIN does not exist; no errno is that large anyway. */
	if (error == INT_MIN)
		return "Unknown error";
	if (error < 0)
		error = -error;

	switch (error) {
	case EPROTONOSUPPORT:
		return "this kernel lacks the interface: process events need "
		       "CONFIG_CONNECTOR=y and CONFIG_PROC_EVENTS=y, per-task "
		       "resource usage (taskstats) needs CONFIG_TASKSTATS=y; "
		       "boot a kernel built with them";
	case EOPNOTSUPP:
		return "process events and per-task resource usage are only "
		       "delivered to processes in the initial user and PID "
		       "namespaces (the kernel ignores process-event "
		       "subscriptions from containers without an error and "
		       "refuses taskstats listeners there with EINVAL); run "
		       "this on the host, outside any user or PID namespace";
	case ECONNREFUSED:
		return "process events and per-task resource usage (taskstats) "
		       "exist only in the initial network namespace; run this "
		       "in the host's network namespace (for example with "
		       "nsenter -t 1 -n)";
	case EPERM:
		return "operation not permitted: receiving per-task resource "
		       "usage (taskstats) needs CAP_NET_ADMIN in the initial "
		       "user namespace; run as root on the host or grant the "
		       "capability (setcap cap_net_admin+ep PROGRAM). Without "
		       "it a process tracker still follows processes, but "
		       "records no per-process CPU time, memory or I/O. (From "
		       "a forwarder: this process may not signal that one.)";
	case EACCES:
		/* Since 6.6 any user may listen: the advice would be false. */
		if (kernel_before(6, 6))
			return "on kernels before Linux 6.6 listening to process "
			       "events needs CAP_NET_ADMIN in the initial user "
			       "namespace; run as root on the host (not in a "
			       "container) or grant the capability (setcap "
			       "cap_net_admin+ep PROGRAM)";
		break;
	}
	/* strerror() may return storage the next call reuses (for an
	 * unknown code), or a translation: the static English text keeps
	 * the promise of a static string, safe in any thread. */
	text = strerrordesc_np(error);
	return text ? text : "Unknown error";
}

RELAYFORK_EXPORT const char *
relayfork_event_type_name(int type)
{
	switch (type) {
	case RELAYFORK_EVENT_NONE:
		return "none";
	case RELAYFORK_EVENT_FORK:
		return "fork";
	case RELAYFORK_EVENT_EXEC:
		return "exec";
	case RELAYFORK_EVENT_EXIT:
		return "exit";
	case RELAYFORK_EVENT_UID:
		return "uid";
	case RELAYFORK_EVENT_GID:
		return "gid";
	case RELAYFORK_EVENT_SID:
		return "sid";
	case RELAYFORK_EVENT_PTRACE:
		return "ptrace";
	case RELAYFORK_EVENT_COMM:
		return "comm";
	case RELAYFORK_EVENT_COREDUMP:
		return "coredump";
	case RELAYFORK_EVENT_LOST:
		return "lost";
	}
	return NULL;
}
