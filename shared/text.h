/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Text from processes, made safe for terminals and JSON; signal names. */
#pragma once

#include <stddef.h>
#include <stdio.h>

/*
 * Text that other processes chose (command lines, names, user names),
 * for people: everything a terminal would act on, and every byte that
 * is not valid UTF-8, as \xHH; a backslash as \\ (the manual pages say
 * so).  Every piece of such text in human output goes through here.
 * Returns the characters written, for padding columns.
 */
size_t text_escape(FILE *out, const char *s, size_t len);

/*
 * A JSON string body (no quotes) for arbitrary bytes: always valid
 * UTF-8.  Valid UTF-8 is kept, controls are escaped as JSON requires,
 * and a byte that is not part of valid UTF-8 becomes the character of
 * the same number (as if Latin-1), escaped: \u00ff for 0xff.
 */
void json_escape(FILE *out, const char *s, size_t len);

/* "SIGSEGV", or "SIG40" for a signal without a name; returns buf. */
const char *signal_name(int sig, char *buf, size_t size);
