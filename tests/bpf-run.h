/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A classic BPF interpreter for the instructions the library's socket
 * filters use, so that tests and fuzzers can run a program on a
 * datagram the way the kernel would.  Test code: not in the library.
 */
#pragma once

#include <stdint.h>

#include "filter.h"

/* What the kernel's filter returns: 0 drops the datagram. */
uint32_t bpf_run(const struct filter_program *prog, const void *data,
		 uint32_t len);
