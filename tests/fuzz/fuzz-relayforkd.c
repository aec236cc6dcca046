// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What may be written to relayforkd's files, as arbitrary bytes: the
 * parsers, and the lines of the processes file however the writes cut
 * them.  The first byte says how many cuts, the pairs of bytes after it
 * where (modulo the text's length); the text is the rest.
 */
/* The checks below are the point: never compile them out. */
#undef NDEBUG
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define PID_MAX 4194304
#define MAX_CUTS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a writer's text did: the lines applied, in order (a hash of
 * their bytes), and the first error. */
struct outcome {
	uint32_t hash;
	size_t lines;
	int error;
};

static uint32_t
fnv1a(uint32_t h, const void *p, size_t len)
{
	const unsigned char *c = p;

	while (len--)
		h = (h ^ *c++) * 16777619u;
	return h;
}

/* A line as the daemon takes it: parsed, and (here) recorded. */
static int
record_line(const char *line, size_t len, void *userdata)
{
	static struct pid_request req[PARSE_MAX_REQUESTS];
	struct outcome *o = userdata;
	int n, i;

	assert(len <= PARSE_MAX_LINE);
	assert(!memchr(line, '\n', len));
	n = parse_processes(line, len, PID_MAX, req, PARSE_MAX_REQUESTS);
	assert(n == -EINVAL || (n > 0 && n <= PARSE_MAX_REQUESTS));
	if (n < 0)
		return n;
	for (i = 0; i < n; i++)
		assert(req[i].pid > 0 && req[i].pid < PID_MAX);
	o->hash = fnv1a(o->hash, line, len);
	o->hash = fnv1a(o->hash, "\n", 1);
	o->lines++;
	return 0;
}

/*
 * Write text in pieces ending at cuts[] as stdio does: a short write is
 * followed by one with the rest, the first error ends it all; then
 * close.
 */
static void
run_writer(const char *text, size_t size, const size_t *cuts, size_t ncuts,
	   struct outcome *o)
{
	struct line_buffer lb = { 0 };
	size_t start = 0, i;

	*o = (struct outcome){ .hash = 2166136261u };
	for (i = 0; i <= ncuts && o->error == 0; i++) {
		size_t end = i < ncuts ? cuts[i] : size;

		while (start < end) {
			ssize_t n = line_buffer_write(&lb, text + start,
						      end - start, PARSE_MAX_LINE,
						      record_line, o);

			if (n < 0) {
				o->error = (int)n;
				break;
			}
			assert(n > 0 && (size_t)n <= end - start);
			assert(lb.len <= PARSE_MAX_LINE);
			start += (size_t)n;
		}
	}
	if (o->error == 0)
		o->error = line_buffer_finish(&lb, record_line, o);
	line_buffer_free(&lb);
}

/* A writer that goes on after errors, with a small budget for the
 * incomplete line: only that nothing breaks. */
static void
run_stubborn_writer(const char *text, size_t size, const size_t *cuts,
		    size_t ncuts, size_t budget)
{
	struct line_buffer lb = { 0 };
	struct outcome o = { 0 };
	size_t start = 0, i;

	for (i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : size;

		while (start < end) {
			ssize_t n = line_buffer_write(&lb, text + start,
						      end - start, budget,
						      record_line, &o);

			assert(lb.len <= budget || lb.discarding);
			assert(lb.len <= PARSE_MAX_LINE);
			if (n <= 0)
				break;
			assert((size_t)n <= end - start);
			start += (size_t)n;
		}
		start = end;
	}
	(void)line_buffer_finish(&lb, record_line, &o);
	line_buffer_free(&lb);
}

static int
compare_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pid_request req[PARSE_MAX_REQUESTS];
	size_t cuts[MAX_CUTS], ncuts = 0, want = 0, i, len;
	struct outcome whole, split;
	const char *text;
	int n, signo;

	/* The parsers, on everything. */
	n = parse_processes((const char *)data, size, PID_MAX, req,
			    PARSE_MAX_REQUESTS);
	assert(n == -EINVAL || (n > 0 && n <= PARSE_MAX_REQUESTS));
	for (i = 0; i < (size_t)(n > 0 ? n : 0); i++)
		assert(req[i].pid > 0 && req[i].pid < PID_MAX);
	if (parse_signal((const char *)data, size, &signo) == 0)
		assert(signo >= 0);

	/* The cuts, then the text. */
	if (size > 0)
		want = data[0] % (MAX_CUTS + 1);
	if (size < 1 + 2 * want)
		return 0;
	text = (const char *)data + 1 + 2 * want;
	len = size - 1 - 2 * want;
	for (i = 0; i < want; i++) {
		size_t at = (size_t)data[1 + 2 * i] | (size_t)data[2 + 2 * i] << 8;

		cuts[ncuts++] = len ? at % (len + 1) : 0;
	}
	qsort(cuts, ncuts, sizeof(cuts[0]), compare_size);

	/* However the text is cut, the same lines, the same error. */
	run_writer(text, len, NULL, 0, &whole);
	run_writer(text, len, cuts, ncuts, &split);
	assert(whole.error == split.error);
	assert(whole.lines == split.lines && whole.hash == split.hash);
	if (len <= 4096) {
		/* dd bs=1 */
		static size_t every[4096];

		for (i = 0; i < len; i++)
			every[i] = i + 1;
		run_writer(text, len, every, len, &split);
		assert(whole.error == split.error);
		assert(whole.lines == split.lines && whole.hash == split.hash);
	}
	run_stubborn_writer(text, len, cuts, ncuts,
			    size > 0 ? (size_t)data[size - 1] * 8 : 0);
	return 0;
}
