/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What may be written to relayforkd's files, parsed without side
 * effects: the processes file takes lines of "PID" and "-PID" tokens
 * separated by white space, each line one request applied whole or not
 * at all, however the writes split it; the signal file takes one number.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Most requests (tokens) one line may carry. */
#define PARSE_MAX_REQUESTS 4096
/* Longest line, its newline not counted. */
#define PARSE_MAX_LINE 65536

struct pid_request {
	pid_t pid;
	bool remove;
};

/*
 * Parse one line of the processes file.  Every token must be a decimal
 * number in [1, pid_max), pids being below pid_max, optionally preceded
 * by '-' (unregister) or '+'.  Returns the number of requests stored in
 * out[] (at least 1), or -EINVAL for anything else: no token at all, a
 * token that is not a number, zero, a number out of range, more than
 * max requests.
 */
int parse_processes(const char *buf, size_t len, long pid_max,
		    struct pid_request *out, size_t max);

/* Parse one decimal number in [0, INT_MAX], white space around it
 * allowed (the signal file, and options).  0 with *ret set, or -EINVAL. */
int parse_number_text(const char *buf, size_t len, int *ret);

/* Parse a write to the signal file: parse_number_text(). */
int parse_signal(const char *buf, size_t len, int *ret);

/*
 * Lines assembled from writes, per open file.  A line ends at '\n'; what
 * follows the last newline of a write waits for the next write (or for
 * line_buffer_finish()).  A handle holds memory only while it holds an
 * incomplete line.
 */
struct line_buffer {
	char *data;
	size_t len, size;
	/* The rest of a line that was too long is being skipped. */
	bool discarding;
};

/* Act on one complete line (without its newline): 0 or a negative errno. */
typedef int (*line_fn)(const char *line, size_t len, void *userdata);

/*
 * Take one write: call fn for each line it completes, in order, and keep
 * the incomplete rest.  Returns how many bytes of buf were taken, or a
 * negative errno when none was:
 *
 * - every line completed and the rest kept: size;
 * - a line fails (fn's error, or -EINVAL for a line longer than
 *   PARSE_MAX_LINE): if it is the first line the write touches, its
 *   error, and the line is dropped (with the part earlier writes
 *   brought); otherwise the bytes up to the end of the last line that
 *   succeeded (a short write: the writer's retry of the rest starts with
 *   the failing line and gets its error);
 * - the incomplete rest does not fit in max_pending bytes (a budget the
 *   caller sets, at most PARSE_MAX_LINE): -EAGAIN (or a short write, as
 *   above), nothing of it kept;
 * - an incomplete line grows past PARSE_MAX_LINE: -EINVAL (or a short
 *   write), and the rest of that line, up to its newline, is skipped
 *   by the writes that bring it.
 *
 * So the lines applied and the first error are the same however the
 * text is cut into writes, for a writer that retries short writes and
 * stops at the first error, as stdio does.
 */
ssize_t line_buffer_write(struct line_buffer *lb, const char *buf, size_t size,
			  size_t max_pending, line_fn fn, void *userdata);

/* The end of the text: call fn for an incomplete last line, if any, and
 * forget it.  0, or fn's error. */
int line_buffer_finish(struct line_buffer *lb, line_fn fn, void *userdata);

void line_buffer_free(struct line_buffer *lb);
