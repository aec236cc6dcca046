/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The classic BPF socket filter used where the kernel cannot filter proc
 * events itself (before Linux 6.6): it drops unwanted event types before
 * they take room in the receive buffer.
 */
#pragma once

#include <linux/filter.h>
#include <stdint.h>

#define FILTER_MAX_INSNS 32

struct filter_program {
	struct sock_filter insns[FILTER_MAX_INSNS];
	unsigned short len;
};

/*
 * Build the program for a relayfork event mask.  It keeps the events the
 * mask asks for and every datagram too short or too strange to judge (the
 * library counts those), and drops acknowledgements; with
 * RELAYFORK_EVENTS_SKIP_THREADS it also drops forks and exits of threads.
 * Pure.
 */
void filter_build(struct filter_program *prog, uint32_t mask);

/* A program that keeps only acknowledgements (what == NONE): the
 * filter probe's socket must not fill up with events while it waits. */
void filter_build_acks_only(struct filter_program *prog);

/* Run a program on a datagram the way the kernel would; for tests. */
uint32_t filter_run(const struct filter_program *prog, const void *data,
		    uint32_t len);
