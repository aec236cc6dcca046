// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * decode-bench - how many events per second the decoder turns from
 * datagrams into struct relayfork_event, with no system call involved:
 * the ceiling of the library's hot path on this CPU.
 *
 * The datagrams are the kernel's bytes (tests/datagram.h), fork and exit
 * in turn, each in its own slot as recvmmsg(2) leaves them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "datagram.h"
#include "decode.h"

#define SLOTS 4096
#define SLOT_SIZE 512

static unsigned char slots[SLOTS][SLOT_SIZE] __attribute__((aligned(8)));
static size_t lens[SLOTS];

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
fill(void)
{
	unsigned int i;

	for (i = 0; i < SLOTS; i++) {
		uint32_t pid = 1000 + i / 2;
		struct dgram_event e = {
			.cpu = i % 2,
			.seq = i / 2,
			.timestamp_ns = 1000000ull * i,
		};

		if (i % 2 == 0) {
			e.what = KCN_EVENT_FORK;
			e.data[0] = e.data[1] = 500;	/* parent */
			e.data[2] = e.data[3] = pid;	/* child */
		} else {
			e.what = KCN_EVENT_EXIT;
			e.data[0] = e.data[1] = pid;
			e.data[2] = 0;			/* exit_code */
			e.data[3] = 17;			/* SIGCHLD */
			e.data[4] = e.data[5] = 500;	/* parent */
		}
		lens[i] = dgram_put_event(slots[i], &e);
	}
}

int
main(int argc, char **argv)
{
	double seconds = argc > 1 ? strtod(argv[1], NULL) : 1.0;
	unsigned long long events = 0, checksum = 0;
	struct relayfork_event ev;
	struct decode_info info;
	struct decode_cursor cur;
	double start, elapsed;
	unsigned int i;

	fill();
	start = now();
	do {
		for (i = 0; i < SLOTS; i++) {
			decode_init(&cur, slots[i], lens[i]);
			while (decode_next(&cur, &ev, &info) == DECODE_EVENT) {
				events++;
				checksum += (unsigned int)ev.pid + ev.type;
			}
		}
		elapsed = now() - start;
	} while (elapsed < seconds);

	/* Printing the checksum keeps the compiler from skipping work. */
	printf("result decode events=%llu seconds=%.6f events_per_sec=%.0f "
	       "ns_per_event=%.2f checksum=%llx\n",
	       events, elapsed, (double)events / elapsed,
	       elapsed * 1e9 / (double)events, checksum);
	return 0;
}
