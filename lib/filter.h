/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The classic BPF socket filter: it drops what a monitor does not need
 * before it takes room in the receive buffer or wakes the reader.  It
 * does all of the filtering where the kernel cannot filter proc events
 * (before Linux 6.6), and what the kernel's filter cannot do elsewhere
 * (tell threads from processes, failures of one from the other's).
 */
#pragma once

#include <linux/filter.h>
#include <stdint.h>

#include "mask.h"

#define FILTER_MAX_INSNS 32

struct filter_program {
	struct sock_filter insns[FILTER_MAX_INSNS];
	unsigned short len;
};

/*
 * Build the program that keeps what the plan needs, and every datagram
 * too short to judge (the library counts those); it drops
 * acknowledgements.  Pure.
 */
void filter_build(struct filter_program *prog, const struct mask_plan *plan);

/* A program that keeps only acknowledgements (what == NONE): the
 * probes' sockets must not fill up with events while they wait. */
void filter_build_acks_only(struct filter_program *prog);
