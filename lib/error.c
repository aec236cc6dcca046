// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <string.h>

#include "internal.h"

RELAYFORK_EXPORT const char *
relayfork_strerror(int error)
{
	if (error < 0)
		error = -error;

	switch (error) {
	case EPROTONOSUPPORT:
		return "this kernel has no process events connector: it needs "
		       "CONFIG_CONNECTOR=y and CONFIG_PROC_EVENTS=y; boot a "
		       "kernel built with them";
	case EOPNOTSUPP:
		return "process events are only delivered to processes in the "
		       "initial user and PID namespaces (the kernel ignores "
		       "subscriptions from containers without an error); run "
		       "this on the host, outside any user or PID namespace";
	case ECONNREFUSED:
		return "the process events connector exists only in the "
		       "initial network namespace; run this on the host's "
		       "network namespace (for example with nsenter -t 1 -n)";
	case EPERM:
		return "on kernels before Linux 6.6 listening to process events "
		       "needs CAP_NET_ADMIN; run as root or grant the "
		       "capability (setcap cap_net_admin+ep PROGRAM)";
	case EBUSY:
		return "the monitor is busy: receive and dispatch cannot be "
		       "called from an event handler";
	}
	return strerror(error);
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
