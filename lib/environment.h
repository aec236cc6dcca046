/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Checks of the process's surroundings that the kernel will not report:
 * it silently ignores subscriptions from other user and PID namespaces,
 * and a kernel with the connector but without CONFIG_PROC_EVENTS accepts
 * a subscription and never sends anything.
 */
#pragma once

/* 0 in the initial user and PID namespaces, -EOPNOTSUPP outside them,
 * 1 when /proc cannot tell (then ask the kernel: subscription.c). */
int environment_check_namespaces(void);

/* 0, or -EPROTONOSUPPORT when /proc/net/connector exists and lists no
 * cn_proc.  Where it cannot be read the kernel says more (socket and
 * sendto errors). */
int environment_check_proc_events(void);
