/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Checks of the process's surroundings that the kernel will not report:
 * it silently ignores subscriptions from other user and PID namespaces,
 * and a kernel with the connector but without CONFIG_PROC_EVENTS accepts
 * a subscription and never sends anything.
 */
#pragma once

/* 0, or -EOPNOTSUPP outside the initial user or PID namespace.  When
 * /proc cannot tell, returns 0 and lets the kernel decide. */
int environment_check_namespaces(void);

/* 0, or -EPROTONOSUPPORT when /proc/net/connector exists and lists no
 * cn_proc. */
int environment_check_proc_events(void);
