// SPDX-License-Identifier: LGPL-2.1-or-later
#include <arpa/inet.h>
#include <string.h>

#include "bpf-run.h"

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
bpf_run(const struct filter_program *prog, const void *data, uint32_t len)
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
			return 0; /* an instruction the kernel would refuse */
		}
	}
	return 0;
}
