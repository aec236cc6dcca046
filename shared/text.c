// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Text that processes chose, for people and for JSON: names and command
 * lines are bytes, not always text, and must neither act on a terminal
 * nor break a JSON document.  The programs' manual pages say what the
 * escapes look like (forkwatch(1), jobacct(1)).
 */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "text.h"

/* "SIGSEGV", or "SIG40" for signals without a name. */
const char *
signal_name(int sig, char *buf, size_t size)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, size, "SIG%s", abbrev);
	else
		snprintf(buf, size, "SIG%d", sig);
	return buf;
}

/*
 * The length of the well-formed UTF-8 sequence at p, and the code point
 * it encodes; 0 where none begins.  Strictly RFC 3629: no overlong forms
 * (C0, C1, E0 80-9F, F0 80-8F), no surrogates (ED A0-BF), nothing above
 * U+10FFFF (F4 90-BF, F5-FF), no sequence cut short.  The bounds of the
 * second byte are where each of those is decided.
 */
static size_t
utf8_sequence(const unsigned char *p, size_t len, uint32_t *ret_cp)
{
	unsigned char lo = 0x80, hi = 0xbf;
	uint32_t cp;
	size_t n, k;

	if (p[0] < 0x80) {
		*ret_cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (len < n || p[1] < lo || p[1] > hi)
		return 0;
	for (k = 1; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[k] & 0x3f);
	}
	*ret_cp = cp;
	return n;
}

/*
 * What a terminal shows as text rather than acts on: not a C0 or C1
 * control, not DEL, and not one of the characters that move other text
 * about (line and paragraph separators, bidirectional controls: they
 * can make a line say something else than its bytes).
 */
static bool
printable(uint32_t cp)
{
	return cp >= 0x20 && !(cp >= 0x7f && cp <= 0x9f) && cp != 0x061c &&
	       cp != 0x200e && cp != 0x200f && !(cp >= 0x2028 && cp <= 0x202e) &&
	       !(cp >= 0x2066 && cp <= 0x2069);
}

size_t
text_escape(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0, shown = 0, k;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_sequence(p + i, len - i, &cp);

		if (n && printable(cp) && cp != '\\') {
			i += n;
			shown++;
			continue;
		}
		fwrite(p + run, 1, i - run, out);
		if (n && cp == '\\') {
			fputs("\\\\", out);
			shown += 2;
		} else {
			/* Every byte of a control character; a byte that
			 * begins no character alone. */
			n = n ? n : 1;
			for (k = 0; k < n; k++)
				fprintf(out, "\\x%02x", p[i + k]);
			shown += 4 * n;
		}
		i += n;
		run = i;
	}
	fwrite(p + run, 1, i - run, out);
	return shown;
}

void
json_escape(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	while (i < len) {
		unsigned char c = p[i];
		uint32_t cp;
		size_t n = utf8_sequence(p + i, len - i, &cp);

		if (n && c >= 0x20 && c != 0x7f && c != '"' && c != '\\') {
			i += n;
			continue;
		}
		fwrite(p + run, 1, i - run, out);
		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
		} else {
			/* A control character; or a byte that is not part
			 * of valid UTF-8: the character of the same number
			 * (Latin-1), as the manual pages say. */
			fprintf(out, "\\u%04x", c);
		}
		i++;
		run = i;
	}
	fwrite(p + run, 1, i - run, out);
}
