/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The subscription protocol: PROC_CN_MCAST_LISTEN / IGNORE requests in
 * their two forms, and the probe that tells whether the running kernel
 * filters events per socket (Linux 6.6+).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel-abi.h"
#include "relayfork/relayfork.h"

/* nlmsghdr + cn_msg + struct proc_input */
#define SUBSCRIBE_MSG_MAX (KCN_NLMSG_HDRLEN + KCN_MSG_HDRLEN + 8)

enum subscribe_form {
	/* 4-byte op: every kernel; on 6.6+ it means "all events". */
	SUBSCRIBE_LEGACY,
	/* 8-byte struct proc_input: 6.6+ only; older kernels drop it
	 * without an answer. */
	SUBSCRIBE_FILTERED,
};

/*
 * Encode a request into buf (at least SUBSCRIBE_MSG_MAX bytes); returns
 * its length.  event_type is ignored for the legacy form.  Pure.
 */
size_t subscribe_encode(void *buf, enum subscribe_form form, uint32_t op,
			uint32_t event_type, uint32_t seq, uint32_t ack);

/* Encode and send a request to the kernel; 0 or a negative errno. */
int subscribe_send(int fd, enum subscribe_form form, uint32_t op,
		   uint32_t event_type, uint32_t seq, uint32_t ack);

/*
 * Find out whether the kernel accepts the filtered form, on a socket of
 * its own so that the caller's socket never carries probe traffic.
 * *ret_supported is set on success.  Returns 0 or a negative errno from
 * binding (-EPERM: no privilege on an old kernel) or sending
 * (-ECONNREFUSED: not the initial network namespace).
 */
int subscribe_probe_filter(uint32_t cookie, bool *ret_supported);

/* Map a relayfork event mask to the kernel's proc_input event_type. */
uint32_t subscribe_kernel_mask(uint32_t mask);
