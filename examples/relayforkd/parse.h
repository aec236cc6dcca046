/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What may be written to relayforkd's files, parsed without side
 * effects: the processes file takes "PID" and "-PID" tokens separated by
 * white space (one per line in the 2005 interface, several lines per
 * write here), the signal file takes one number.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Most requests one write may carry. */
#define PARSE_MAX_REQUESTS 4096

struct pid_request {
	pid_t pid;
	bool remove;
};

/*
 * Parse a write to the processes file.  Every token must be a decimal
 * number in [1, pid_max], optionally preceded by '-' (unregister) or '+'.
 * Returns the number of requests stored in out[] (at least 1), or
 * -EINVAL for anything else: no token at all, a token that is not a
 * number, zero, a number out of range, more than max requests.
 */
int parse_processes(const char *buf, size_t len, long pid_max,
		    struct pid_request *out, size_t max);

/* Parse a write to the signal file: one decimal number, white space
 * around it allowed.  Returns 0 with *ret set, or -EINVAL. */
int parse_signal(const char *buf, size_t len, int *ret);
