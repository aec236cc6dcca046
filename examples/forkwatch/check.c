// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * --check: can this machine deliver process events to us, and if not,
 * why and what to do.  Each line is one fact; the last says yes or no.
 */
#include <errno.h>
#include <stdint.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "forkwatch.h"
#include "procfs.h"

#define CAP_NET_ADMIN_BIT 12

static const char *
connector_state(void)
{
	switch (procfs_has_cn_proc()) {
	case 1:
		return "present (cn_proc in /proc/net/connector)";
	case 0:
		return "absent: the kernel lacks CONFIG_PROC_EVENTS";
	default:
		return "unknown: /proc/net/connector is missing (another network "
		       "namespace, or CONFIG_CONNECTOR=n)";
	}
}

static const char *
namespace_state(const char *kind)
{
	int r = procfs_namespace_is_initial(kind);

	return r < 0 ? "unknown (/proc does not say)"
	       : r   ? "initial"
		     : "NOT the initial one";
}

static bool
has_cap_net_admin(void)
{
	struct procfs_status status = { 0 };
	int dirfd = procfs_open_pid(getpid());
	bool r;

	if (dirfd < 0)
		return false;
	r = procfs_read_status(dirfd, &status) == 0 &&
	    (status.cap_eff & (UINT64_C(1) << CAP_NET_ADMIN_BIT));
	close(dirfd);
	return r;
}

/* Fork a child and wait for its fork event: the end-to-end proof. */
static bool
event_arrives(struct relayfork_monitor *m)
{
	struct relayfork_event ev;
	struct timespec start, now;
	pid_t child = fork();

	if (child < 0)
		return false;
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { .fd = relayfork_monitor_get_fd(m),
				      .events = POLLIN };

		while (relayfork_monitor_receive(m, &ev) > 0)
			if (ev.type == RELAYFORK_EVENT_FORK && ev.pid == child)
				return true;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= 2)
			return false;
		poll(&pfd, 1, 100);
	}
}

int
check_run(FILE *out)
{
	struct relayfork_monitor *m = NULL;
	struct utsname u;
	long rmem_max = -1;
	int r, granted = 0, mode = 0;
	bool works;

	(void)procfs_read_long("/proc/sys/net/core/rmem_max", &rmem_max);
	uname(&u);
	fprintf(out, "kernel:          %s %s %s\n", u.sysname, u.release,
		u.machine);
	fprintf(out, "proc connector:  %s\n", connector_state());
	fprintf(out, "user namespace:  %s\n", namespace_state("user"));
	fprintf(out, "pid namespace:   %s\n", namespace_state("pid"));
	fprintf(out, "privileges:      uid %u, CAP_NET_ADMIN %s (needed only "
		"before Linux 6.6)\n",
		(unsigned)geteuid(), has_cap_net_admin() ? "yes" : "no");

	r = relayfork_monitor_new(0, &m);
	if (r == 0) {
		granted = relayfork_monitor_get_receive_buffer_size(m);
		r = relayfork_monitor_start(m);
	}
	if (r < 0) {
		fprintf(out, "subscription:    FAILED\n\n");
		fprintf(out, "Process events do not work here: %s\n",
			relayfork_strerror(r));
		relayfork_monitor_unref(m);
		return 1;
	}
	mode = relayfork_monitor_get_filter_mode(m);
	fprintf(out, "subscription:    works\n");
	fprintf(out, "event filter:    %s\n",
		mode == RELAYFORK_FILTER_KERNEL
			? "in the kernel (Linux 6.6 or later)"
			: "socket filter in forkwatch's process (kernel before 6.6)");
	/* The kernel reports twice the size, counting its overhead. */
	fprintf(out, "receive buffer:  %d KiB as the kernel counts it, about %d "
		"events (net.core.rmem_max "
		"%ld%s)\n",
		granted / 1024, granted / RELAYFORK_QUEUED_EVENT_BYTES, rmem_max,
		has_cap_net_admin() ? ", exceeded with CAP_NET_ADMIN" : "");
	works = event_arrives(m);
	fprintf(out, "test event:      %s\n",
		works ? "a fork of ours arrived"
		      : "NONE arrived within 2 seconds");
	relayfork_monitor_unref(m);
	if (!works) {
		fprintf(out, "\nProcess events do not work here: the subscription "
			"was accepted but nothing arrives; the kernel ignores "
			"subscriptions from containers and builds without "
			"CONFIG_PROC_EVENTS.\n");
		return 1;
	}
	fprintf(out, "\nProcess events work here.\n");
	return 0;
}
