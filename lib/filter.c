// SPDX-License-Identifier: LGPL-2.1-or-later
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>

#include "filter.h"
#include "internal.h"
#include "kernel-abi.h"
#include "subscribe.h"

#define KEEP 0xffffffffu
#define DROP 0u

/* Offsets in the datagram of the pid and tgid of the task a fork
 * creates, and of the task an exit ends (struct proc_event's union). */
#define FORK_CHILD_PID (KCN_EVENT_OFFSET + 16 + 8)
#define EXIT_PROCESS_PID (KCN_EVENT_OFFSET + 16)

/* Jump targets are resolved once the program is laid out. */
enum label { L_NONE, L_KEEP, L_DROP, L_THREADS, L_FORK, L_EXIT, L_COUNT };

struct builder {
	struct filter_program *prog;
	int at[L_COUNT];
	struct {
		unsigned short insn;
		enum label jt, jf;
	} fix[FILTER_MAX_INSNS];
	unsigned int nfix;
};

static void
emit(struct builder *b, uint16_t code, enum label jt, enum label jf, uint32_t k)
{
	struct filter_program *prog = b->prog;

	if (jt != L_NONE || jf != L_NONE) {
		b->fix[b->nfix].insn = prog->len;
		b->fix[b->nfix].jt = jt;
		b->fix[b->nfix].jf = jf;
		b->nfix++;
	}
	prog->insns[prog->len++] = (struct sock_filter)BPF_STMT(code, k);
}

static void
label(struct builder *b, enum label l)
{
	b->at[l] = b->prog->len;
}

static void
resolve(struct builder *b)
{
	unsigned int i;

	for (i = 0; i < b->nfix; i++) {
		struct sock_filter *in = &b->prog->insns[b->fix[i].insn];
		int next = b->fix[i].insn + 1;

		if (b->fix[i].jt != L_NONE)
			in->jt = (uint8_t)(b->at[b->fix[i].jt] - next);
		if (b->fix[i].jf != L_NONE)
			in->jf = (uint8_t)(b->at[b->fix[i].jf] - next);
	}
}

/* Keep if the pid at offset equals the tgid after it (a process, not a
 * thread).  Equality needs no byte swapping. */
static void
emit_is_process(struct builder *b, uint32_t offset)
{
	emit(b, BPF_LD | BPF_W | BPF_ABS, L_NONE, L_NONE, offset + 4);
	emit(b, BPF_MISC | BPF_TAX, L_NONE, L_NONE, 0);
	emit(b, BPF_LD | BPF_W | BPF_ABS, L_NONE, L_NONE, offset);
	emit(b, BPF_JMP | BPF_JEQ | BPF_X, L_KEEP, L_DROP, 0);
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
	bool failures_only = (mask & RELAYFORK_EVENTS_EXIT_FAILURE) &&
			     !(mask & RELAYFORK_EVENTS_EXIT);
	bool skip_threads = mask & RELAYFORK_EVENTS_SKIP_THREADS;
	enum label wanted = skip_threads ? L_THREADS : L_KEEP;
	struct builder b = { .prog = prog };

	memset(prog, 0, sizeof(*prog));
	/* Too short to hold proc_event.what: let the decoder judge. */
	emit(&b, BPF_LD | BPF_W | BPF_LEN, L_NONE, L_NONE, 0);
	emit(&b, BPF_JMP | BPF_JGE | BPF_K, L_NONE, L_KEEP,
	     KCN_EVENT_OFFSET + KCN_EVENT_SIZE);
	emit(&b, BPF_LD | BPF_W | BPF_ABS, L_NONE, L_NONE, KCN_EVENT_OFFSET);
	emit(&b, BPF_JMP | BPF_JSET | BPF_K, wanted,
	     failures_only ? L_NONE : L_DROP, htonl(kmask));
	if (failures_only) {
		/* An exit whose exit_code is not 0. */
		emit(&b, BPF_JMP | BPF_JEQ | BPF_K, L_NONE, L_DROP,
		     htonl(KCN_EVENT_EXIT));
		emit(&b, BPF_LD | BPF_W | BPF_ABS, L_NONE, L_NONE,
		     KCN_EVENT_OFFSET + KCN_EXIT_CODE_OFFSET);
		emit(&b, BPF_JMP | BPF_JEQ | BPF_K, L_DROP, wanted, 0);
	}
	if (skip_threads) {
		/* A is no longer `what` after the exit_code load: reload. */
		label(&b, L_THREADS);
		emit(&b, BPF_LD | BPF_W | BPF_ABS, L_NONE, L_NONE,
		     KCN_EVENT_OFFSET);
		emit(&b, BPF_JMP | BPF_JEQ | BPF_K, L_FORK, L_NONE,
		     htonl(KCN_EVENT_FORK));
		emit(&b, BPF_JMP | BPF_JEQ | BPF_K, L_EXIT, L_KEEP,
		     htonl(KCN_EVENT_EXIT));
		label(&b, L_FORK);
		emit_is_process(&b, FORK_CHILD_PID);
		label(&b, L_EXIT);
		emit_is_process(&b, EXIT_PROCESS_PID);
	}
	label(&b, L_DROP);
	emit(&b, BPF_RET | BPF_K, L_NONE, L_NONE, DROP);
	label(&b, L_KEEP);
	emit(&b, BPF_RET | BPF_K, L_NONE, L_NONE, KEEP);
	resolve(&b);
}

void
filter_build_acks_only(struct filter_program *prog)
{
	struct builder b = { .prog = prog };

	memset(prog, 0, sizeof(*prog));
	emit(&b, BPF_LD | BPF_W | BPF_LEN, L_NONE, L_NONE, 0);
	emit(&b, BPF_JMP | BPF_JGE | BPF_K, L_NONE, L_DROP,
	     KCN_EVENT_OFFSET + KCN_EVENT_SIZE);
	emit(&b, BPF_LD | BPF_W | BPF_ABS, L_NONE, L_NONE, KCN_EVENT_OFFSET);
	emit(&b, BPF_JMP | BPF_JEQ | BPF_K, L_KEEP, L_DROP, KCN_EVENT_NONE);
	label(&b, L_DROP);
	emit(&b, BPF_RET | BPF_K, L_NONE, L_NONE, DROP);
	label(&b, L_KEEP);
	emit(&b, BPF_RET | BPF_K, L_NONE, L_NONE, KEEP);
	resolve(&b);
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
	uint32_t a = 0, x = 0;
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
		case BPF_JMP | BPF_JEQ | BPF_X:
			pc += a == x ? in->jt : in->jf;
			break;
		case BPF_MISC | BPF_TAX:
			x = a;
			break;
		case BPF_RET | BPF_K:
			return in->k;
		default:
			return 0;
		}
	}
	return 0;
}
