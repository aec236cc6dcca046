// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * baseline-recv - the plain loop: a blocking socket with the default
 * receive buffer and one recv(2) per event, as most programs that read
 * the proc connector are written.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "raw-proc.h"

static volatile sig_atomic_t stop;

int
main(int argc, char **argv)
{
	unsigned char buf[4096] __attribute__((aligned(8)));
	struct storm_count c;
	pid_t root;
	int fd, fork_only;
	ssize_t n;

	if (listener_options(argc, argv, "baseline-recv", &root, &fork_only) < 0)
		return 2;
	if (storm_count_init(&c, root) < 0) {
		fprintf(stderr, "baseline-recv: out of memory\n");
		return 1;
	}
	listener_catch_signals(&stop);
	fd = raw_open(0);
	if (fd < 0 || raw_listen(fd, fork_only) < 0) {
		fprintf(stderr, "baseline-recv: %s\n", strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);

	while (!stop) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0) {
			raw_count(&c, buf, (size_t)n);
		} else if (n < 0 && errno == ENOBUFS) {
			/* Loss is counted from the drop counter; this
			 * only says an episode began. */
			c.lost_reports++;
		} else if (n < 0 && errno != EINTR) {
			fprintf(stderr, "baseline-recv: %s\n", strerror(errno));
			break;
		}
	}

	raw_ignore(fd, fork_only);
	storm_count_report(&c, socket_drops(fd), stdout);
	close(fd);
	storm_count_free(&c);
	return 0;
}
