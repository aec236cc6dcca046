/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The programs' standard descriptors and write errors. */
#pragma once

#include <stdio.h>

/*
 * Descriptors 0, 1 and 2 that whoever started us left closed would be
 * taken by the first descriptors the program opens: a signalfd or a
 * socket would become standard output, and output would be written
 * into it.  Each closed one is held by /dev/null, read-only, so that
 * writing to it still fails (EBADF).  Call it first.  Returns a mask
 * of the descriptors that were closed (1 << fd), or -errno.
 */
int hold_standard_fds(void);

/* 0 while the stream has taken everything written to it, else the
 * write error as -errno (flushes it). */
int stream_error(FILE *f);
