// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kernel-abi.h"
#include "socket.h"

/* linux/sock_diag.h; older libcs lack SO_MEMINFO. */
#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif
#define MEMINFO_DROPS 8
#define MEMINFO_VARS 9

int
socket_open_netlink(int type, int protocol, int *ret_fd)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
	int fd, one = 1;

	fd = socket(AF_NETLINK, type | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
	if (fd < 0)
		return -errno;
	/* An overflow would set the socket's error: POLLERR, which event
	 * loops such as libuv take for a dead descriptor.  The drop
	 * counter says the same without it (lost.c, taskstats.c).  Kernels without the
	 * option (before 2.6.30) report ENOBUFS, which is handled too. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	/* Port id 0 asks the kernel to pick one: it is not our pid, and a
	 * process may hold many of these sockets. */
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int
socket_open(int *ret_fd)
{
	return socket_open_netlink(SOCK_DGRAM, KCN_NETLINK_CONNECTOR, ret_fd);
}

static int
set_membership(int fd, int op)
{
	int group = KCN_IDX_PROC;

	if (setsockopt(fd, SOL_NETLINK, op, &group, sizeof(group)) < 0)
		return -errno;
	return 0;
}

int
socket_join(int fd)
{
	return set_membership(fd, NETLINK_ADD_MEMBERSHIP);
}

int
socket_leave(int fd)
{
	return set_membership(fd, NETLINK_DROP_MEMBERSHIP);
}

int
socket_set_rcvbuf(int fd, size_t bytes)
{
	int size = bytes > (size_t)(INT32_MAX / 2) ? INT32_MAX / 2 : (int)bytes;

	/* FORCE ignores rmem_max but needs CAP_NET_ADMIN. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
		return -errno;
	return socket_get_rcvbuf(fd);
}

int
socket_get_rcvbuf(int fd)
{
	int size = 0;
	socklen_t len = sizeof(size);

	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &len) < 0)
		return -errno;
	return size;
}

int
socket_attach_filter(int fd, const struct filter_program *prog)
{
	struct sock_fprog fprog = {
		.len = prog->len,
		.filter = (struct sock_filter *)prog->insns,
	};

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog,
		       sizeof(fprog)) < 0)
		return -errno;
	return 0;
}

int
socket_detach_filter(int fd)
{
	int dummy = 0;

	if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &dummy,
		       sizeof(dummy)) < 0 &&
	    errno != ENOENT)
		return -errno;
	return 0;
}

int
socket_get_drops(int fd, uint32_t *ret_drops)
{
	uint32_t meminfo[MEMINFO_VARS] = { 0 };
	socklen_t len = sizeof(meminfo);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, meminfo, &len) < 0)
		return -errno;
	if (len <= MEMINFO_DROPS * sizeof(uint32_t))
		return -EOPNOTSUPP;
	*ret_drops = meminfo[MEMINFO_DROPS];
	return 0;
}

void
socket_batch_init(struct socket_batch *batch)
{
	unsigned int i;

	memset(batch->msgs, 0, sizeof(batch->msgs));
	for (i = 0; i < SOCKET_BATCH; i++) {
		batch->iov[i].iov_base = batch->slots[i];
		batch->iov[i].iov_len = SOCKET_SLOT_SIZE;
		batch->msgs[i].msg_hdr.msg_iov = &batch->iov[i];
		batch->msgs[i].msg_hdr.msg_iovlen = 1;
		batch->msgs[i].msg_hdr.msg_name = &batch->from[i];
	}
}

int
socket_receive(int fd, struct socket_batch *batch)
{
	unsigned int i;
	int n;

	/* The kernel shrinks msg_namelen; give every slot its full room. */
	for (i = 0; i < SOCKET_BATCH; i++)
		batch->msgs[i].msg_hdr.msg_namelen = sizeof(batch->from[i]);
	do {
		n = recvmmsg(fd, batch->msgs, SOCKET_BATCH, MSG_DONTWAIT, NULL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n;
}

bool
socket_batch_from_kernel(const struct socket_batch *batch, unsigned int i)
{
	const struct msghdr *h = &batch->msgs[i].msg_hdr;

	/* A user-space sender, root included, always has a non-zero port
	 * id; only the kernel sends from port 0. */
	return h->msg_namelen >= sizeof(struct sockaddr_nl) &&
	       batch->from[i].nl_family == AF_NETLINK &&
	       batch->from[i].nl_pid == 0;
}

bool
socket_batch_truncated(const struct socket_batch *batch, unsigned int i)
{
	return (batch->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
}
