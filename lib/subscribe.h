/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The subscription protocol: PROC_CN_MCAST_LISTEN / IGNORE requests in
 * their two forms, and the probe that asks the kernel whether it answers
 * one of them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel-abi.h"

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
 * Send a LISTEN in this form on a socket of its own (so that the
 * caller's socket never carries probe traffic), wait up to 100 ms for
 * the kernel's acknowledgement, and undo it with an IGNORE of the same
 * form.  The kernel answers the filtered form only on Linux 6.6+, and
 * either form only to a process in the initial user and PID namespaces.
 * *ret_answered is set on success.  Returns 0 or a negative errno from
 * binding (-EPERM: no privilege on an old kernel) or sending
 * (-ECONNREFUSED: not the initial network namespace).
 */
int subscribe_probe(enum subscribe_form form, uint32_t cookie,
		    bool *ret_answered);
