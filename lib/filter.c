// SPDX-License-Identifier: LGPL-2.1-or-later
#include <arpa/inet.h>
#include <string.h>

#include "filter.h"
#include "internal.h"
#include "kernel-abi.h"
#include "subscribe.h"

#define KEEP 0xffffffffu
#define DROP 0u

static void
emit(struct filter_program *prog, uint16_t code, uint8_t jt, uint8_t jf,
     uint32_t k)
{
	prog->insns[prog->len++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
}

/*
 * Absolute loads read big-endian words, and event fields are in host
 * order; comparing against htonl() constants makes both sides swapped
 * the same way (a no-op on big-endian hosts).
 */
void
filter_build(struct filter_program *prog, uint32_t mask)
{
	uint32_t kmask = subscribe_kernel_mask(mask) & ~KCN_EVENT_NONZERO_EXIT;
	int failures_only = (mask & RELAYFORK_EVENTS_EXIT_FAILURE) &&
			    !(mask & RELAYFORK_EVENTS_EXIT);

	memset(prog, 0, sizeof(*prog));
	/* 0: too short to hold proc_event.what: let the decoder judge. */
	emit(prog, BPF_LD | BPF_W | BPF_LEN, 0, 0, 0);
	emit(prog, BPF_JMP | BPF_JGE | BPF_K, 1, 0,
	     KCN_EVENT_OFFSET + KCN_EVENT_SIZE);
	emit(prog, BPF_RET | BPF_K, 0, 0, KEEP);
	/* 3: A = what */
	emit(prog, BPF_LD | BPF_W | BPF_ABS, 0, 0, KCN_EVENT_OFFSET);
	/* 4: wanted type -> keep */
	emit(prog, BPF_JMP | BPF_JSET | BPF_K, failures_only ? 4 : 1, 0,
	     htonl(kmask));
	if (failures_only) {
		/* 5: not an exit -> drop; 7: exit_code == 0 -> drop */
		emit(prog, BPF_JMP | BPF_JEQ | BPF_K, 0, 2,
		     htonl(KCN_EVENT_EXIT));
		emit(prog, BPF_LD | BPF_W | BPF_ABS, 0, 0,
		     KCN_EVENT_OFFSET + KCN_EXIT_CODE_OFFSET);
		emit(prog, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0);
	}
	emit(prog, BPF_RET | BPF_K, 0, 0, DROP);
	emit(prog, BPF_RET | BPF_K, 0, 0, KEEP);
}

void
filter_build_acks_only(struct filter_program *prog)
{
	memset(prog, 0, sizeof(*prog));
	emit(prog, BPF_LD | BPF_W | BPF_LEN, 0, 0, 0);
	emit(prog, BPF_JMP | BPF_JGE | BPF_K, 0, 2,
	     KCN_EVENT_OFFSET + KCN_EVENT_SIZE);
	emit(prog, BPF_LD | BPF_W | BPF_ABS, 0, 0, KCN_EVENT_OFFSET);
	emit(prog, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, KCN_EVENT_NONE);
	emit(prog, BPF_RET | BPF_K, 0, 0, DROP);
	emit(prog, BPF_RET | BPF_K, 0, 0, KEEP);
}

static uint32_t
load_be32(const unsigned char *data, uint32_t len, uint32_t k, int *ok)
{
	uint32_t v;

	if (k > len || len - k < 4) {
		*ok = 0;
		return 0;
	}
	memcpy(&v, data + k, 4);
	return ntohl(v);
}

uint32_t
filter_run(const struct filter_program *prog, const void *data, uint32_t len)
{
	uint32_t a = 0;
	unsigned int pc = 0;
	int ok = 1;

	while (pc < prog->len) {
		const struct sock_filter *in = &prog->insns[pc++];

		switch (in->code) {
		case BPF_LD | BPF_W | BPF_LEN:
			a = len;
			break;
		case BPF_LD | BPF_W | BPF_ABS:
			a = load_be32(data, len, in->k, &ok);
			if (!ok)
				return 0; /* the kernel drops on a bad load */
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= in->k ? in->jt : in->jf;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == in->k ? in->jt : in->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (a & in->k) ? in->jt : in->jf;
			break;
		case BPF_RET | BPF_K:
			return in->k;
		default:
			return 0;
		}
	}
	return 0;
}
