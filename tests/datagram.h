/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hand-built proc connector datagrams for the decoder, filter and
 * bad-input tests: the bytes the kernel sends, written field by field
 * into a buffer with no alignment promise.
 */
#pragma once

#include <linux/netlink.h>
#include <stdint.h>
#include <string.h>

#include "kernel-abi.h"

#define DGRAM_EVENT_LEN (KCN_EVENT_OFFSET + KCN_EVENT_SIZE) /* 76 */

struct dgram_event {
	uint32_t what;
	uint32_t cpu;
	uint64_t timestamp_ns;
	uint32_t data[6]; /* the 24-byte union, as words */
	uint32_t seq;
	uint32_t ack;
};

static inline void
put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static inline void
put16(unsigned char *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/* Write one complete event message at p; returns its length (76). */
static inline size_t
dgram_put_event(unsigned char *p, const struct dgram_event *e)
{
	unsigned int i;

	memset(p, 0, DGRAM_EVENT_LEN);
	put32(p + 0, DGRAM_EVENT_LEN);	/* nlmsg_len */
	put16(p + 4, NLMSG_DONE);	/* nlmsg_type */
	put32(p + 8, e->seq);		/* nlmsg_seq */
	put32(p + 16, KCN_IDX_PROC);	/* cn_msg.id.idx */
	put32(p + 20, KCN_VAL_PROC);	/* cn_msg.id.val */
	put32(p + 24, e->seq);		/* cn_msg.seq */
	put32(p + 28, e->ack);		/* cn_msg.ack */
	put16(p + 32, KCN_EVENT_SIZE);	/* cn_msg.len */
	put32(p + 36, e->what);
	put32(p + 40, e->cpu);
	memcpy(p + 44, &e->timestamp_ns, 8);
	for (i = 0; i < 6; i++)
		put32(p + 52 + 4 * i, e->data[i]);
	return DGRAM_EVENT_LEN;
}
