// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The decoder, the socket filters (run by the test interpreter), the
 * thread-group table and the loss bookkeeping on arbitrary datagrams.  Every decoded event must be well formed; the
 * walk must end; nothing may read out of bounds (the sanitizers say).
 */
/* The checks below are the point: never compile them out. */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "bpf-run.h"
#include "decode.h"
#include "filter.h"
#include "loss.h"
#include "threads.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t masks[] = {
		RELAYFORK_EVENTS_ALL,
		RELAYFORK_EVENTS_FORK | RELAYFORK_EVENTS_SKIP_THREADS,
		RELAYFORK_EVENTS_EXIT_FAILURE | RELAYFORK_EVENTS_EXEC,
	};
	struct relayfork_event ev;
	struct decode_cursor cursor;
	struct decode_info info;
	struct filter_program prog;
	struct mask_plan plan;
	struct threads threads;
	struct loss loss;
	unsigned int steps = 0, i;
	int r;

	if (loss_init(&loss, 4) < 0)
		return 0;
	loss_track_sequence(&loss, true);
	threads_init(&threads);
	threads.all_leader_exits = size & 1;
	decode_init(&cursor, data, size);
	while ((r = decode_next(&cursor, &ev, &info)) != DECODE_END) {
		/* Every message moves the cursor: the walk ends. */
		assert(++steps <= size / 16 + 1);
		assert(cursor.offset <= size);
		loss_observe(&loss, info.cpu, info.seq);
		if (r != DECODE_EVENT)
			continue;
		assert(ev.type >= RELAYFORK_EVENT_FORK &&
		       ev.type <= RELAYFORK_EVENT_COREDUMP);
		if (ev.type == RELAYFORK_EVENT_COMM)
			assert(memchr(ev.u.comm.comm, '\0',
				      sizeof(ev.u.comm.comm)));
		assert(((ev.flags & RELAYFORK_EVENT_F_THREAD) != 0) ==
		       (ev.pid != ev.tgid));
		if (ev.type == RELAYFORK_EVENT_EXIT)
			assert(ev.u.exit.exited + (ev.u.exit.signal != 0) <= 1);
		threads_observe(&threads, &ev);
		/* Only an exit can end a process. */
		if (ev.flags & RELAYFORK_EVENT_F_PROCESS_END)
			assert(ev.type == RELAYFORK_EVENT_EXIT);
	}
	(void)loss_sequence_take(&loss);
	loss_free(&loss);
	threads_free(&threads);

	for (i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		mask_plan(masks[i], &plan);
		filter_build(&prog, &plan);
		(void)bpf_run(&prog, data, (uint32_t)size);
	}
	return 0;
}
