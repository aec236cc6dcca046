// SPDX-License-Identifier: LGPL-2.1-or-later
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>

#include "filter.h"
#include "internal.h"
#include "kernel-abi.h"

#define KEEP 0xffffffffu
#define DROP 0u

/* Offsets in the datagram of the pid and tgid of the task a fork
 * creates, and of the task an exit ends (struct proc_event's union). */
#define FORK_CHILD_PID (KCN_EVENT_OFFSET + 16 + 8)
#define EXIT_PROCESS_PID (KCN_EVENT_OFFSET + 16)

/* Jump targets are resolved once the program is laid out. */
enum label {
	L_NONE,
	L_KEEP,
	L_DROP,
	L_FORK,
	L_FORK_PROCESS,
	L_FORK_THREAD,
	L_EXIT,
	L_EXIT_LEADER,
	L_EXIT_THREAD,
	L_COUNT
};

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

static void
emit_load(struct builder *b, uint32_t offset)
{
	emit(b, BPF_LD | BPF_W | BPF_ABS, L_NONE, L_NONE, offset);
}

/* Jump to on_process if the pid at offset equals the tgid after it, to
 * on_thread if not.  Equality needs no byte swapping. */
static void
emit_is_process(struct builder *b, uint32_t offset, enum label on_process,
		enum label on_thread)
{
	emit_load(b, offset + 4);
	emit(b, BPF_MISC | BPF_TAX, L_NONE, L_NONE, 0);
	emit_load(b, offset);
	emit(b, BPF_JMP | BPF_JEQ | BPF_X, on_process, on_thread, 0);
}

static enum label
keep_or_drop(bool keep)
{
	return keep ? L_KEEP : L_DROP;
}

/* At `at`: keep or drop an exit as `exits` says. */
static void
emit_exits(struct builder *b, enum label at, enum mask_exits exits)
{
	label(b, at);
	if (exits != MASK_EXITS_FAILED) {
		emit(b, BPF_RET | BPF_K, L_NONE, L_NONE,
		     exits == MASK_EXITS_ALL ? KEEP : DROP);
		return;
	}
	emit_load(b, KCN_EVENT_OFFSET + KCN_EXIT_CODE_OFFSET);
	emit(b, BPF_JMP | BPF_JEQ | BPF_K, L_DROP, L_KEEP, 0);
}

/*
 * Absolute loads read big-endian words, and event fields are in host
 * order; comparing against htonl() constants makes both sides swapped
 * the same way (a no-op on big-endian hosts).
 */
void
filter_build(struct filter_program *prog, const struct mask_plan *plan)
{
	struct builder b = { .prog = prog };
	bool forks = plan->fork_process || plan->fork_thread;
	bool exits = plan->exit_leader != MASK_EXITS_NONE ||
		     plan->exit_thread != MASK_EXITS_NONE;

	memset(prog, 0, sizeof(*prog));
	/* Too short to hold proc_event.what: let the decoder judge. */
	emit(&b, BPF_LD | BPF_W | BPF_LEN, L_NONE, L_NONE, 0);
	emit(&b, BPF_JMP | BPF_JGE | BPF_K, L_NONE, L_KEEP,
	     KCN_EVENT_OFFSET + KCN_EVENT_SIZE);
	emit_load(&b, KCN_EVENT_OFFSET);
	if (plan->other)
		emit(&b, BPF_JMP | BPF_JSET | BPF_K, L_KEEP, L_NONE,
		     htonl(plan->other));
	emit(&b, BPF_JMP | BPF_JEQ | BPF_K, forks ? L_FORK : L_DROP, L_NONE,
	     htonl(KCN_EVENT_FORK));
	emit(&b, BPF_JMP | BPF_JEQ | BPF_K, exits ? L_EXIT : L_DROP, L_DROP,
	     htonl(KCN_EVENT_EXIT));

	if (forks) {
		label(&b, L_FORK);
		if (plan->fork_process == plan->fork_thread)
			emit(&b, BPF_RET | BPF_K, L_NONE, L_NONE, KEEP);
		else
			emit_is_process(&b, FORK_CHILD_PID,
					keep_or_drop(plan->fork_process),
					keep_or_drop(plan->fork_thread));
	}
	if (exits) {
		label(&b, L_EXIT);
		if (plan->exit_leader == plan->exit_thread) {
			emit_exits(&b, L_EXIT_LEADER, plan->exit_leader);
		} else {
			emit_is_process(&b, EXIT_PROCESS_PID, L_EXIT_LEADER,
					L_EXIT_THREAD);
			emit_exits(&b, L_EXIT_LEADER, plan->exit_leader);
			emit_exits(&b, L_EXIT_THREAD, plan->exit_thread);
		}
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
	emit_load(&b, KCN_EVENT_OFFSET);
	emit(&b, BPF_JMP | BPF_JEQ | BPF_K, L_KEEP, L_DROP, KCN_EVENT_NONE);
	label(&b, L_DROP);
	emit(&b, BPF_RET | BPF_K, L_NONE, L_NONE, DROP);
	label(&b, L_KEEP);
	emit(&b, BPF_RET | BPF_K, L_NONE, L_NONE, KEEP);
	resolve(&b);
}
