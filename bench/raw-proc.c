// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kernel-abi.h"
#include "raw-proc.h"

int
raw_open(int flags)
{
	struct sockaddr_nl addr = {
		.nl_family = AF_NETLINK,
		.nl_groups = KCN_IDX_PROC,
	};
	int fd;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | flags,
		    KCN_NETLINK_CONNECTOR);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int
send_request(int fd, uint32_t op, int fork_only)
{
	static const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct kcn_proc_input input = {
		.mcast_op = op,
		.event_type = op == KCN_MCAST_LISTEN ? KCN_EVENT_FORK
						     : KCN_EVENT_NONE,
	};
	size_t datalen = fork_only ? sizeof(input) : sizeof(input.mcast_op);
	unsigned char buf[NLMSG_SPACE(sizeof(struct kcn_msg) + sizeof(input))]
		__attribute__((aligned(4))) = { 0 };
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct kcn_msg *cn = (struct kcn_msg *)NLMSG_DATA(nlh);

	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*cn) + datalen);
	nlh->nlmsg_type = NLMSG_DONE;
	cn->idx = KCN_IDX_PROC;
	cn->val = KCN_VAL_PROC;
	cn->len = (uint16_t)datalen;
	memcpy(cn + 1, &input, datalen);
	if (sendto(fd, buf, nlh->nlmsg_len, 0, (const struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -1;
	return 0;
}

int
raw_listen(int fd, int fork_only)
{
	return send_request(fd, KCN_MCAST_LISTEN, fork_only);
}

int
raw_ignore(int fd, int fork_only)
{
	return send_request(fd, KCN_MCAST_IGNORE, fork_only);
}

void
raw_count(struct storm_count *c, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;

	for (; NLMSG_OK(nlh, left); nlh = NLMSG_NEXT(nlh, left)) {
		const unsigned char *data = NLMSG_DATA(nlh);
		struct kcn_proc_event ev;
		struct kcn_msg cn;

		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(cn) + sizeof(ev)))
			continue;
		memcpy(&cn, data, sizeof(cn));
		if (cn.idx != KCN_IDX_PROC || cn.len < sizeof(ev))
			continue;
		/* The event is not 8-byte aligned in the datagram. */
		memcpy(&ev, data + sizeof(cn), sizeof(ev));
		switch (ev.what) {
		case KCN_EVENT_NONE:
			break;
		case KCN_EVENT_FORK:
			storm_count_fork(c, ev.event_data.fork.child_pid,
					 ev.event_data.fork.child_tgid,
					 ev.event_data.fork.parent_tgid);
			break;
		case KCN_EVENT_EXEC:
			storm_count_exec(c, ev.event_data.exec.process_pid);
			break;
		case KCN_EVENT_EXIT:
			storm_count_exit(c, ev.event_data.exit.process_pid,
					 ev.event_data.exit.process_tgid,
					 ev.event_data.exit.parent_tgid);
			break;
		default:
			storm_count_other(c);
			break;
		}
	}
}
