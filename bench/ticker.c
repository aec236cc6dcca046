// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ticker - a control for the benchmark: wakes up every INTERVAL
 * microseconds and does nothing else.  It reads no events, so the kernel
 * does no work for it; beside the storm it shows what waking up alone
 * does to the storm's rate (under CPU contention, a lot: every wake-up
 * is a point where the scheduler may give a waiting storm task the CPU).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void
on_signal(int signo)
{
	stop = 1;
}

int
main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned long long wakeups = 0;
	struct timespec ts;
	long usec = 200;
	int opt;

	while ((opt = getopt(argc, argv, "i:h")) != -1) {
		if (opt == 'i') {
			usec = strtol(optarg, NULL, 10);
		} else {
			fprintf(opt == 'h' ? stdout : stderr,
				"usage: ticker [-i MICROSECONDS]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (usec < 1 || usec >= 1000000) {
		fprintf(stderr, "ticker: interval out of range\n");
		return 2;
	}
	ts = (struct timespec){ .tv_nsec = usec * 1000 };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		if (nanosleep(&ts, NULL) == 0 || errno != EINTR)
			wakeups++;
	printf("result wakeups=%llu\n", wakeups);
	return 0;
}
