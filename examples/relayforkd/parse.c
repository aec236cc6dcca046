// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <limits.h>

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
		if (parse_number(tok, p, pid_max, &pid) < 0 || pid == 0)
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
parse_signal(const char *buf, size_t len, int *ret)
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
