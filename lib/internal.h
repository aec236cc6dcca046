/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the library's files; nothing here is exported. */
#pragma once

#include <stdbool.h>

#include "relayfork/relayfork.h"

#define RELAYFORK_EXPORT __attribute__((visibility("default")))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A public entry point called with bad arguments returns this, not abort. */
#define return_if_fail(expr, value)                                            \
	do {                                                                   \
		if (!(expr))                                                   \
			return (value);                                        \
	} while (0)
