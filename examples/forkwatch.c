// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * forkwatch - watch process events live.
 *
 * Also the reference example of librelayfork's fd API: one poll(2) loop
 * over the monitor's descriptor and a signalfd for SIGINT/SIGTERM.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <relayfork/relayfork.h>

static void
print_event(const struct relayfork_event *ev)
{
	const char *name = relayfork_event_type_name((int)ev->type);

	printf("%-8s pid=%d tgid=%d", name ? name : "?", (int)ev->pid,
	       (int)ev->tgid);
	switch (ev->type) {
	case RELAYFORK_EVENT_FORK:
		printf(" parent=%d/%d%s", (int)ev->u.fork.parent_pid,
		       (int)ev->u.fork.parent_tgid,
		       ev->flags & RELAYFORK_EVENT_F_THREAD ? " thread" : "");
		break;
	case RELAYFORK_EVENT_EXIT:
		if (ev->u.exit.exited)
			printf(" exit %d", (int)ev->u.exit.code);
		else
			printf(" killed by %s%s", strsignal(ev->u.exit.signal),
			       ev->u.exit.core_dumped ? " (core dumped)" : "");
		break;
	case RELAYFORK_EVENT_UID:
		printf(" ruid=%u euid=%u", (unsigned)ev->u.uid.ruid,
		       (unsigned)ev->u.uid.euid);
		break;
	case RELAYFORK_EVENT_GID:
		printf(" rgid=%u egid=%u", (unsigned)ev->u.gid.rgid,
		       (unsigned)ev->u.gid.egid);
		break;
	case RELAYFORK_EVENT_PTRACE:
		printf(" tracer=%d", (int)ev->u.ptrace.tracer_tgid);
		break;
	case RELAYFORK_EVENT_COMM:
		printf(" comm=%s", ev->u.comm.comm);
		break;
	case RELAYFORK_EVENT_COREDUMP:
		printf(" parent=%d", (int)ev->u.coredump.parent_tgid);
		break;
	case RELAYFORK_EVENT_LOST:
		printf(" count=%llu", (unsigned long long)ev->u.lost.count);
		break;
	}
	putchar('\n');
}

int
main(void)
{
	struct relayfork_monitor *monitor = NULL;
	struct relayfork_event ev;
	struct pollfd pfd[2];
	sigset_t mask;
	int sfd, r;

	/* Signals arrive on a descriptor, so the loop never races them. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		perror("forkwatch: signalfd");
		return 1;
	}

	r = relayfork_monitor_new(0, &monitor);
	if (r == 0)
		r = relayfork_monitor_start(monitor);
	if (r < 0) {
		fprintf(stderr, "forkwatch: %s\n", relayfork_strerror(r));
		relayfork_monitor_unref(monitor);
		return 1;
	}

	pfd[0] = (struct pollfd){ .fd = relayfork_monitor_get_fd(monitor),
				  .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("forkwatch: poll");
			r = -errno;
			break;
		}
		if (pfd[1].revents)
			break;
		/* POLLERR too: it means events were dropped. */
		while ((r = relayfork_monitor_receive(monitor, &ev)) > 0)
			print_event(&ev);
		fflush(stdout);
		if (r < 0) {
			fprintf(stderr, "forkwatch: %s\n", relayfork_strerror(r));
			break;
		}
	}

	relayfork_monitor_unref(monitor);
	close(sfd);
	return r < 0 ? 1 : 0;
}
