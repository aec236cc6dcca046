/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the two baselines share: a proc connector socket opened,
 * subscribed and parsed by hand, without librelayfork, the way a program
 * written from the kernel's documentation does it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "storm-count.h"

/* A socket in the proc connector's group; flags as for socket(2)
 * (SOCK_NONBLOCK).  Returns the fd or -1 with errno set. */
int raw_open(int flags);

/*
 * PROC_CN_MCAST_LISTEN for every event (the 4-byte request every kernel
 * takes) or, with fork_only, for forks alone (struct proc_input, Linux
 * 6.6+); or PROC_CN_MCAST_IGNORE.  Returns 0 or -1 with errno set.
 */
int raw_listen(int fd, int fork_only);
int raw_ignore(int fd, int fork_only);

/* Count the events of one datagram. */
void raw_count(struct storm_count *c, const void *buf, size_t len);
