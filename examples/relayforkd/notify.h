/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * systemd's readiness protocol (sd_notify(3)), for Type=notify: one
 * datagram of "KEY=VALUE" lines to the AF_UNIX socket named by
 * $NOTIFY_SOCKET, abstract if the name starts with '@'.  Written here in
 * a few lines rather than taken from libsystemd: the daemon depends on
 * nothing it does not need, and the protocol is a stable interface
 * (systemd documents it for exactly this).
 */
#pragma once

/*
 * Send message (such as "READY=1") if $NOTIFY_SOCKET is set.  0 when it
 * was sent or there is nobody to tell, or a negative errno.
 */
int notify_send(const char *message);
