/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsers for command-line values that more than one program takes. */
#pragma once

#include <stddef.h>

/*
 * A size in bytes for a receive buffer: a decimal number with an
 * optional K, M or G suffix (powers of 1024), from 1 byte to INT_MAX/2
 * (the kernel takes an int and doubles it).  Pure; 0 or -EINVAL.
 */
int parse_size(const char *s, size_t *ret);
