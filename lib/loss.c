// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loss.h"

/* A forward jump larger than this is a counter reset, not a loss; a
 * "jump" past half the range is an old number arriving late. */
#define SEQ_MAX_GAP 0x40000000u
#define SEQ_BACKWARD 0x80000000u

int
loss_init(struct loss *l, unsigned int ncpu)
{
	memset(l, 0, sizeof(*l));
	l->ncpu = ncpu ? ncpu : 1;
	l->last_seq = calloc(l->ncpu, sizeof(*l->last_seq));
	l->seq_known = calloc(l->ncpu, sizeof(*l->seq_known));
	if (!l->last_seq || !l->seq_known) {
		loss_free(l);
		return -ENOMEM;
	}
	return 0;
}

void
loss_free(struct loss *l)
{
	free(l->last_seq);
	free(l->seq_known);
	l->last_seq = NULL;
	l->seq_known = NULL;
}

void
loss_track_sequence(struct loss *l, bool on)
{
	l->tracking = on;
	memset(l->seq_known, 0, l->ncpu * sizeof(*l->seq_known));
	l->seq_missing = l->seq_reported = l->overflow_lost = 0;
}

void
loss_set_drops(struct loss *l, uint32_t drops)
{
	l->drops_seen = drops;
}

bool
loss_drops_grew(const struct loss *l, uint32_t drops)
{
	return drops != l->drops_seen;
}

void
loss_observe(struct loss *l, uint32_t cpu, uint32_t seq)
{
	uint32_t gap;

	/* 3.10-era kernels sent cpu = UINT32_MAX on acknowledgements. */
	if (!l->tracking || cpu >= l->ncpu)
		return;
	if (!l->seq_known[cpu]) {
		l->seq_known[cpu] = true;
		l->last_seq[cpu] = seq;
		return;
	}
	gap = seq - l->last_seq[cpu]; /* wraps with the counter */
	if (gap == 0 || gap >= SEQ_BACKWARD)
		return;
	if (gap > SEQ_MAX_GAP) {
		l->last_seq[cpu] = seq;
		return;
	}
	l->seq_missing += gap - 1;
	l->last_seq[cpu] = seq;
	/* A gap no report has counted yet: this message came after the
	 * open overflow, whatever its timestamp says. */
	if (l->overflow_pending &&
	    l->seq_missing > l->overflow_lost + l->seq_reported)
		l->overflow_gap = true;
}

void
loss_overflow(struct loss *l, uint64_t now_ns)
{
	if (!l->overflow_pending)
		l->overflow_seen_ns = now_ns;
	l->overflow_pending = true;
}

bool
loss_overflow_due(const struct loss *l, uint64_t ts, bool drained)
{
	return l->overflow_pending &&
	       (drained || l->overflow_gap || ts > l->overflow_seen_ns);
}

uint64_t
loss_overflow_take(struct loss *l, bool have_drops, uint32_t drops)
{
	uint64_t n = 0;

	l->overflow_pending = false;
	l->overflow_gap = false;
	if (have_drops) {
		n = (uint32_t)(drops - l->drops_seen);
		l->drops_seen = drops;
	}
	l->overflow_lost += n;
	return n;
}

uint64_t
loss_sequence_take(struct loss *l)
{
	uint64_t explained = l->overflow_lost + l->seq_reported;
	uint64_t n;

	/* While an overflow is open its gaps are not yet explained. */
	if (!l->tracking || l->overflow_pending || l->seq_missing <= explained)
		return 0;
	n = l->seq_missing - explained;
	l->seq_reported += n;
	return n;
}
