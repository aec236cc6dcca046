/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The netlink socket: open, join and leave the proc connector's group,
 * size the receive buffer, attach the socket filter, read the drop
 * counter, and receive datagrams in batches.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include "filter.h"

/* Datagrams per recvmmsg(2) call, and the room for each.  Events are 76
 * bytes; anything that does not fit is not from the proc connector. */
#define SOCKET_BATCH 128
#define SOCKET_SLOT_SIZE 512

struct socket_batch {
	struct mmsghdr msgs[SOCKET_BATCH];
	struct iovec iov[SOCKET_BATCH];
	struct sockaddr_nl from[SOCKET_BATCH];
	unsigned char slots[SOCKET_BATCH][SOCKET_SLOT_SIZE]
		__attribute__((aligned(8)));
};

/* A close-on-exec, non-blocking netlink socket with its own port id,
 * whose overflows are counted, not raised (NETLINK_NO_ENOBUFS). */
int socket_open_netlink(int type, int protocol, int *ret_fd);
/* Such a socket of the proc connector. */
int socket_open(int *ret_fd);
int socket_join(int fd);
int socket_leave(int fd);
/* Set the receive buffer; both return the size granted (the kernel's
 * count, twice the request) or a negative errno. */
int socket_set_rcvbuf(int fd, size_t bytes);
int socket_get_rcvbuf(int fd);
int socket_attach_filter(int fd, const struct filter_program *prog);
int socket_detach_filter(int fd);
/* The socket's cumulative count of dropped datagrams (Linux 4.12+). */
int socket_get_drops(int fd, uint32_t *ret_drops);

void socket_batch_init(struct socket_batch *batch);
/*
 * Receive up to SOCKET_BATCH datagrams without blocking.  Returns how
 * many, or -EAGAIN when none is waiting, -ENOBUFS when the kernel dropped
 * events since the last call, or another negative errno.  EINTR is
 * retried.
 */
int socket_receive(int fd, struct socket_batch *batch);

/* Sender check and truncation check of datagram i of the last receive. */
bool socket_batch_from_kernel(const struct socket_batch *batch, unsigned int i);
bool socket_batch_truncated(const struct socket_batch *batch, unsigned int i);
