// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * baseline-tuned - the best loop written by hand: a forced 8 MiB
 * receive buffer, recvmmsg(2) batches of 256, and after each drain a
 * 1 ms sleep before looking again, so that under load each wake-up
 * finds a batch (wake-up coalescing).  After the sleep it reads before
 * it polls: under load there is nearly always something to read.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "raw-proc.h"

#define BATCH 256
#define SLOT 256
#define RCVBUF (8 << 20)
#define COALESCE_NS 1000000L

static volatile sig_atomic_t stop;

static unsigned char slots[BATCH][SLOT] __attribute__((aligned(8)));
static struct iovec iov[BATCH];
static struct mmsghdr msgs[BATCH];

/* Read until the queue is empty; returns the datagrams read, or -1 on
 * an error other than "empty". */
static long
drain(int fd, struct storm_count *c)
{
	long total = 0;
	int i, n;

	for (;;) {
		n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN)
				return total;
			if (errno == ENOBUFS) {
				c->lost_reports++;
				continue;
			}
			return errno == EINTR ? total : -1;
		}
		for (i = 0; i < n; i++)
			raw_count(c, slots[i], msgs[i].msg_len);
		total += n;
		/* A short batch emptied the queue: skip the EAGAIN call. */
		if (n < BATCH)
			return total;
	}
}

int
main(int argc, char **argv)
{
	const struct timespec coalesce = { .tv_nsec = COALESCE_NS };
	struct storm_count c;
	struct pollfd pfd;
	pid_t root;
	int fd, fork_only, size = RCVBUF, i;
	long n;

	if (listener_options(argc, argv, "baseline-tuned", &root, &fork_only) < 0)
		return 2;
	if (storm_count_init(&c, root) < 0) {
		fprintf(stderr, "baseline-tuned: out of memory\n");
		return 1;
	}
	listener_catch_signals(&stop);
	for (i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ .iov_base = slots[i], .iov_len = SLOT };
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	fd = raw_open(SOCK_NONBLOCK);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 ||
	    raw_listen(fd, fork_only) < 0) {
		fprintf(stderr, "baseline-tuned: %s\n", strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);

	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	while (!stop) {
		n = drain(fd, &c);
		if (n < 0) {
			fprintf(stderr, "baseline-tuned: %s\n", strerror(errno));
			break;
		}
		if (n > 0)
			nanosleep(&coalesce, NULL);
		else
			poll(&pfd, 1, -1);
	}

	raw_ignore(fd, fork_only);
	drain(fd, &c);
	storm_count_report(&c, socket_drops(fd), stdout);
	close(fd);
	storm_count_free(&c);
	return 0;
}
