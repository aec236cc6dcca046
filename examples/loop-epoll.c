// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Print every fork from an epoll(7) loop, with nothing but the C library:
 * a signalfd ends the program on SIGINT or SIGTERM, and a timerfd holds
 * the monitor's descriptor back for a moment after a drain that found
 * events (relayfork_monitor_get_poll_delay()), so that under load one
 * wake-up takes a whole batch.
 *
 * Usage: loop-epoll [--buffer BYTES]
 * Prints "fork PID PARENT", "lost COUNT" and, at the end, "total lost N".
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <relayfork/relayfork.h>

static int
parse_args(int argc, char **argv, size_t *buffer)
{
	char *end;

	if (argc == 1)
		return 0;
	if (argc != 3 || strcmp(argv[1], "--buffer") != 0 ||
	    argv[2][0] < '0' || argv[2][0] > '9')
		return -1;
	errno = 0;
	*buffer = strtoull(argv[2], &end, 10);
	return *end || errno || *buffer == 0 ? -1 : 0;
}

static int
start_monitor(size_t buffer, struct relayfork_monitor **ret)
{
	int r;

	r = relayfork_monitor_new(0, ret);
	if (r < 0)
		return r;
	r = relayfork_monitor_set_events(*ret, RELAYFORK_EVENTS_FORK);
	if (r >= 0 && buffer > 0)
		r = relayfork_monitor_set_receive_buffer_size(*ret, buffer);
	if (r >= 0)
		r = relayfork_monitor_start(*ret);
	return r < 0 ? r : 0;
}

/* Take every waiting event: the library reads the socket in batches, and
 * events left in a batch would not make the descriptor readable again. */
static int
drain(struct relayfork_monitor *m)
{
	struct relayfork_event ev;
	int r;

	while ((r = relayfork_monitor_receive(m, &ev)) > 0) {
		if (ev.type == RELAYFORK_EVENT_FORK)
			printf("fork %d %d\n", (int)ev.pid,
			       (int)ev.u.fork.parent_tgid);
		else if (ev.type == RELAYFORK_EVENT_LOST)
			printf("lost %llu\n",
			       (unsigned long long)ev.u.lost.count);
	}
	fflush(stdout);
	return r;
}

static int
watch(int ep, int fd, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.fd = fd };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0 ? -errno : 0;
}

/* Drain, then either watch the descriptor or wait the pause out. */
static int
drain_and_schedule(struct relayfork_monitor *m, int ep, int tfd, int *watching)
{
	int fd = relayfork_monitor_get_fd(m);
	unsigned int usec;
	struct itimerspec delay = { 0 };
	int r;

	r = drain(m);
	if (r < 0)
		return r;
	usec = relayfork_monitor_get_poll_delay(m);
	if (usec == 0) {
		if (!*watching && (r = watch(ep, fd, EPOLLIN)) < 0)
			return r;
		*watching = 1;
		return 0;
	}
	/* Out of the set rather than ignored: the kernel queues events
	 * meanwhile and epoll_wait() does not return for them. */
	if (*watching && epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL) < 0)
		return -errno;
	*watching = 0;
	delay.it_value.tv_sec = usec / 1000000;
	delay.it_value.tv_nsec = (long)(usec % 1000000) * 1000;
	return timerfd_settime(tfd, 0, &delay, NULL) < 0 ? -errno : 0;
}

int
main(int argc, char **argv)
{
	struct relayfork_monitor *m = NULL;
	struct epoll_event ready[3];
	size_t buffer = 0;
	sigset_t signals;
	int ep, sfd, tfd, watching = 0, done = 0, i, n, r;

	if (parse_args(argc, argv, &buffer) < 0) {
		fprintf(stderr, "Usage: %s [--buffer BYTES]\n", argv[0]);
		return 2;
	}

	/* Blocked, the signals wait on the signalfd for the loop. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	sigprocmask(SIG_BLOCK, &signals, NULL);
	sfd = signalfd(-1, &signals, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || tfd < 0 || ep < 0 || watch(ep, sfd, EPOLLIN) < 0 ||
	    watch(ep, tfd, EPOLLIN) < 0) {
		perror("loop-epoll");
		return 1;
	}

	if ((r = start_monitor(buffer, &m)) < 0 ||
	    (r = watch(ep, relayfork_monitor_get_fd(m), EPOLLIN)) < 0)
		goto out;
	watching = 1;

	while (!done) {
		n = epoll_wait(ep, ready, 3, -1);
		if (n < 0 && errno == EINTR)
			continue; /* stopped (SIGSTOP) and continued */
		if (n < 0) {
			r = -errno;
			goto out;
		}
		for (i = 0; i < n; i++) {
			uint64_t ticks;

			if (ready[i].data.fd == sfd) {
				done = 1;
				continue;
			}
			/* The monitor's descriptor, or the end of a pause. */
			if (ready[i].data.fd == tfd &&
			    read(tfd, &ticks, sizeof(ticks)) < 0)
				continue;
			r = drain_and_schedule(m, ep, tfd, &watching);
			if (r < 0)
				goto out;
		}
	}
	printf("total lost %llu\n", (unsigned long long)
	       relayfork_monitor_get_counter(m, RELAYFORK_COUNTER_LOST));
	r = fflush(stdout) == 0 ? 0 : -errno;
out:
	if (r < 0)
		fprintf(stderr, "loop-epoll: %s\n", relayfork_strerror(r));
	relayfork_monitor_unref(m);
	close(ep);
	close(tfd);
	close(sfd);
	return r < 0 ? 1 : 0;
}
