// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The taskstats decoder on arbitrary datagrams, and its struct taskstats
 * reader on arbitrary bytes.  Every record must be well formed; the walk
 * must end; nothing may read out of bounds (the sanitizers say).  The
 * family id is the first message's type when it could be one, so that
 * the recorded messages of the corpus decode as records.
 */
/* The checks below are the point: never compile them out. */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "taskstats-decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_record(const struct relayfork_usage *u)
{
	unsigned int i;

	assert(u->type == RELAYFORK_USAGE_TASK);
	assert((u->flags & ~(uint32_t)RELAYFORK_USAGE_F_LAST_THREAD) == 0);
	assert(u->version >= 1 && u->version <= UINT16_MAX);
	assert(memchr(u->comm, '\0', sizeof(u->comm)));
	assert(u->lost == 0);
	for (i = 0; i < sizeof(u->reserved); i++)
		assert(u->reserved[i] == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relayfork_usage u;
	struct ts_decode_info info;
	struct ts_cursor cursor;
	uint16_t family = 0x1f;
	unsigned int steps = 0;
	int r;

	if (size >= 6) {
		memcpy(&family, data + 4, sizeof(family));
		if (family < 0x10)
			family = 0x1f;
	}
	ts_decode_init(&cursor, data, size);
	while ((r = ts_decode_next(&cursor, family, &u, &info)) !=
	       TS_DECODE_END) {
		/* Every message moves the cursor: the walk ends. */
		assert(++steps <= size / 16 + 1);
		assert(cursor.offset <= size);
		if (r == TS_DECODE_RECORD) {
			check_record(&u);
			assert(info.stats_len >= 184);
		}
		if (r == TS_DECODE_ACK)
			assert(info.error <= 0 && info.error >= -4095);
	}

	/* The struct reader alone, on the whole input. */
	if (ts_decode_stats(data, size, &u) == TS_DECODE_RECORD)
		check_record(&u);
	return 0;
}
