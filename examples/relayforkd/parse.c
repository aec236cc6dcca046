// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* Parse the digits of [p, end) into *ret, refusing overflow past max. */
static int
parse_number(const char *p, const char *end, long max, long *ret)
{
	long v = 0;

	if (p == end)
		return -EINVAL;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (max - (*p - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (*p - '0');
	}
	*ret = v;
	return 0;
}

int
parse_processes(const char *buf, size_t len, long pid_max,
		struct pid_request *out, size_t max)
{
	const char *p = buf, *end = buf + len;
	size_t n = 0;

	for (;;) {
		const char *tok;
		bool remove = false;
		long pid;

		while (p < end && is_space(*p))
			p++;
		if (p == end)
			break;
		tok = p;
		while (p < end && !is_space(*p))
			p++;
		if (*tok == '-' || *tok == '+') {
			remove = *tok == '-';
			tok++;
		}
		/* pid_max is the first pid the kernel will not hand out. */
		if (parse_number(tok, p, pid_max - 1, &pid) < 0 || pid == 0)
			return -EINVAL;
		if (n == max)
			return -EINVAL;
		out[n].pid = (pid_t)pid;
		out[n].remove = remove;
		n++;
	}
	return n > 0 ? (int)n : -EINVAL;
}

int
parse_number_text(const char *buf, size_t len, int *ret)
{
	const char *p = buf, *end = buf + len;
	long v;

	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	if (parse_number(p, end, INT_MAX, &v) < 0)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

int
parse_signal(const char *buf, size_t len, int *ret)
{
	return parse_number_text(buf, len, ret);
}

/* Make room for size bytes of line. */
static int
line_buffer_reserve(struct line_buffer *lb, size_t size)
{
	char *n;

	if (size <= lb->size)
		return 0;
	/* Grow by halves at least, never past the longest line. */
	if (size < lb->size + lb->size / 2)
		size = lb->size + lb->size / 2;
	if (size < 64)
		size = 64;
	if (size > PARSE_MAX_LINE)
		size = PARSE_MAX_LINE;
	n = realloc(lb->data, size);
	if (!n)
		return -ENOMEM;
	lb->data = n;
	lb->size = size;
	return 0;
}

/* Nothing pending: give the memory back. */
static void
line_buffer_drop(struct line_buffer *lb)
{
	free(lb->data);
	lb->data = NULL;
	lb->len = lb->size = 0;
}

ssize_t
line_buffer_write(struct line_buffer *lb, const char *buf, size_t size,
		  size_t max_pending, line_fn fn, void *userdata)
{
	size_t pos = 0, taken = 0;
	bool applied = false; /* a line this write completed succeeded */
	int r = 0;

	if (lb->discarding) {
		const char *nl = memchr(buf, '\n', size);

		/* Skipping the rest of a line whose error was reported. */
		if (!nl)
			return (ssize_t)size;
		lb->discarding = false;
		pos = taken = (size_t)(nl - buf) + 1;
	}
	while (pos < size) {
		const char *nl = memchr(buf + pos, '\n', size - pos);
		size_t seg = nl ? (size_t)(nl - buf) - pos : size - pos;
		const char *line = buf + pos;
		size_t len = lb->len + seg;

		if (len > PARSE_MAX_LINE) {
			if (applied)
				break;
			line_buffer_drop(lb);
			/* The rest of the line comes in later writes. */
			lb->discarding = !nl;
			return -EINVAL;
		}
		if (!nl) {
			/* The incomplete rest waits for the next write. */
			if (len > max_pending)
				r = -EAGAIN;
			else
				r = line_buffer_reserve(lb, len);
			if (r < 0)
				break;
			memcpy(lb->data + lb->len, line, seg);
			lb->len = len;
			taken = size;
			break;
		}
		if (lb->len > 0) {
			/* The line began in an earlier write: join it. */
			r = line_buffer_reserve(lb, len);
			if (r < 0)
				break;
			memcpy(lb->data + lb->len, line, seg);
			line = lb->data;
		}
		r = fn(line, len, userdata);
		/* Applied or failed, the line is done with. */
		lb->len = 0;
		if (r < 0)
			break;
		applied = true;
		pos = taken = (size_t)(nl - buf) + 1;
	}
	if (lb->len == 0)
		line_buffer_drop(lb);
	if (r < 0 && !applied)
		return r;
	return (ssize_t)taken;
}

int
line_buffer_finish(struct line_buffer *lb, line_fn fn, void *userdata)
{
	int r = 0;

	if (lb->len > 0)
		r = fn(lb->data, lb->len, userdata);
	lb->discarding = false;
	line_buffer_drop(lb);
	return r;
}

void
line_buffer_free(struct line_buffer *lb)
{
	line_buffer_drop(lb);
	lb->discarding = false;
}
