// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * relayforkd's lines, without a daemon: what a write takes, what it
 * reports, what waits for the next one.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "parse.h"

/* The lines seen, each followed by '|' (a long one as "<LENGTH>"); a
 * line "bad" fails with -EPERM. */
struct seen {
	char text[256];
	size_t len;
};

static int
see(const char *line, size_t len, void *userdata)
{
	struct seen *s = userdata;

	if (len == 3 && memcmp(line, "bad", 3) == 0)
		return -EPERM;
	assert_true(s->len + 32 < sizeof(s->text));
	if (len > 16) {
		s->len += (size_t)snprintf(s->text + s->len,
					   sizeof(s->text) - s->len, "<%zu>|",
					   len);
		return 0;
	}
	memcpy(s->text + s->len, line, len);
	s->len += len;
	s->text[s->len++] = '|';
	s->text[s->len] = '\0';
	return 0;
}

static void
forget(struct seen *s)
{
	s->len = 0;
	s->text[0] = '\0';
}

static ssize_t
feed(struct line_buffer *lb, struct seen *s, const char *text)
{
	return line_buffer_write(lb, text, strlen(text), PARSE_MAX_LINE, see, s);
}

static void
test_lines(void **state)
{
	struct line_buffer lb = { 0 };
	struct seen s = { .len = 0 };

	/* A line waits for its newline, however it comes. */
	assert_int_equal(feed(&lb, &s, "3"), 1);
	assert_int_equal(feed(&lb, &s, "13"), 2);
	assert_string_equal(s.text, "");
	assert_int_equal(feed(&lb, &s, "28\n4"), 4);
	assert_string_equal(s.text, "31328|");
	assert_int_equal(lb.len, 1);
	/* The end applies the last line. */
	assert_int_equal(line_buffer_finish(&lb, see, &s), 0);
	assert_string_equal(s.text, "31328|4|");
	assert_int_equal(lb.len, 0);
	assert_null(lb.data);

	/* A wrong line after good ones: a short write, up to it. */
	forget(&s);
	assert_int_equal(feed(&lb, &s, "1\n2\nbad\n3\n"), 4);
	assert_string_equal(s.text, "1|2|");
	/* The retry starts with it, and fails. */
	assert_int_equal(feed(&lb, &s, "bad\n3\n"), -EPERM);
	/* A wrong line that earlier writes began is dropped whole. */
	assert_int_equal(feed(&lb, &s, "ba"), 2);
	assert_int_equal(feed(&lb, &s, "d\n5\n"), -EPERM);
	assert_int_equal(lb.len, 0);
	assert_int_equal(feed(&lb, &s, "5\n"), 2);
	assert_string_equal(s.text, "1|2|5|");
	/* At the end too. */
	assert_int_equal(feed(&lb, &s, "bad"), 3);
	assert_int_equal(line_buffer_finish(&lb, see, &s), -EPERM);
	line_buffer_free(&lb);
}

static void
test_long_lines_and_budget(void **state)
{
	static char big[PARSE_MAX_LINE + 2];
	struct line_buffer lb = { 0 };
	struct seen s = { .len = 0 };

	memset(big, ' ', sizeof(big));
	/* As long as a line may be, in two writes. */
	assert_int_equal(line_buffer_write(&lb, big, PARSE_MAX_LINE - 1,
					   PARSE_MAX_LINE, see, &s),
			 PARSE_MAX_LINE - 1);
	assert_int_equal(line_buffer_write(&lb, "x\n", 2, PARSE_MAX_LINE, see, &s),
			 2);
	assert_string_equal(s.text, "<65536>|");
	/* One byte longer: refused, and the rest of it skipped. */
	forget(&s);
	assert_int_equal(line_buffer_write(&lb, big, PARSE_MAX_LINE + 1,
					   PARSE_MAX_LINE, see, &s),
			 -EINVAL);
	assert_true(lb.discarding);
	assert_int_equal(line_buffer_write(&lb, "more", 4, PARSE_MAX_LINE, see, &s),
			 4);
	assert_int_equal(line_buffer_write(&lb, "x\n7\n", 4, PARSE_MAX_LINE, see,
					   &s),
			 4);
	assert_false(lb.discarding);
	assert_string_equal(s.text, "7|");
	/* A complete line too long in one write. */
	big[PARSE_MAX_LINE + 1] = '\n';
	assert_int_equal(line_buffer_write(&lb, big, sizeof(big), PARSE_MAX_LINE,
					   see, &s),
			 -EINVAL);
	assert_false(lb.discarding);

	/* The caller's budget for what waits: EAGAIN, nothing taken, and
	 * what waited still waits; a short write when lines came first. */
	forget(&s);
	assert_int_equal(line_buffer_write(&lb, "12", 2, 4, see, &s), 2);
	assert_int_equal(line_buffer_write(&lb, "345", 3, 4, see, &s), -EAGAIN);
	assert_int_equal(lb.len, 2);
	assert_int_equal(line_buffer_write(&lb, "8\n9999", 6, 4, see, &s), 6);
	assert_int_equal(line_buffer_write(&lb, "\n77777", 6, 4, see, &s), 1);
	assert_string_equal(s.text, "128|9999|");
	line_buffer_free(&lb);
}

static void
test_processes_tokens(void **state)
{
	struct pid_request req[4];

	assert_int_equal(parse_processes(" 1\t-2 +3 ", 9, 100, req, 4), 3);
	assert_true(req[1].remove && req[1].pid == 2 && !req[2].remove);
	/* Pids are below pid_max. */
	assert_int_equal(parse_processes("99", 2, 100, req, 4), 1);
	assert_int_equal(parse_processes("100", 3, 100, req, 4), -EINVAL);
	assert_int_equal(parse_processes("1 2 3 4 5", 9, 100, req, 4), -EINVAL);
	assert_int_equal(parse_processes("", 0, 100, req, 4), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_long_lines_and_budget),
		cmocka_unit_test(test_processes_tokens),
	};

	return cmocka_run_group_tests_name("relayforkd-parse", tests, NULL, NULL);
}
