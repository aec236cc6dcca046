// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"
#include "filter.h"
#include "internal.h"
#include "socket.h"
#include "subscribe.h"

/* The kernel answers synchronously, inside our send(); the wait only has
 * to cover a kernel that never answers (before 6.6). */
#define PROBE_TIMEOUT_MS 100
/* Retries when the probe socket itself overflowed before the answer. */
#define PROBE_ATTEMPTS 3

size_t
subscribe_encode(void *buf, enum subscribe_form form, uint32_t op,
		 uint32_t event_type, uint32_t seq, uint32_t ack)
{
	struct kcn_proc_input input = { .mcast_op = op,
					.event_type = event_type };
	size_t datalen = form == SUBSCRIBE_FILTERED ? sizeof(input)
						    : sizeof(input.mcast_op);
	struct nlmsghdr *nlh;
	struct kcn_msg *cn;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_seq = seq;
	cn = mnl_nlmsg_put_extra_header(nlh, sizeof(*cn) + datalen);
	cn->idx = KCN_IDX_PROC;
	cn->val = KCN_VAL_PROC;
	cn->seq = seq;
	cn->ack = ack;
	cn->len = (uint16_t)datalen;
	memcpy(cn + 1, &input, datalen);
	return nlh->nlmsg_len;
}

int
subscribe_send(int fd, enum subscribe_form form, uint32_t op,
	       uint32_t event_type, uint32_t seq, uint32_t ack)
{
	static const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	unsigned char buf[SUBSCRIBE_MSG_MAX] __attribute__((aligned(4)));
	size_t len = subscribe_encode(buf, form, op, event_type, seq, ack);
	ssize_t r;

	do {
		r = sendto(fd, buf, len, 0, (const struct sockaddr *)&kernel,
			   sizeof(kernel));
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == (ssize_t)len ? 0 : -EIO;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Read the probe socket until our acknowledgement shows up or the
 * deadline passes.  Returns 1 (ack seen), 0 (none), -ENOBUFS (the socket
 * overflowed, the ack may be lost) or another negative errno.
 */
static int
probe_wait_ack(int fd, uint32_t cookie)
{
	unsigned char buf[512] __attribute__((aligned(8)));
	int64_t deadline = now_ms() + PROBE_TIMEOUT_MS;
	bool overflowed = false;

	for (;;) {
		struct sockaddr_nl from;
		socklen_t fromlen = sizeof(from);
		struct decode_cursor cursor;
		struct relayfork_event event;
		struct decode_info info;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t n;
		int r;

		if (left < 0) {
			uint32_t drops = 0;

			/* The socket does not report overflows
			 * (NETLINK_NO_ENOBUFS): its drop counter does. */
			if (socket_get_drops(fd, &drops) == 0 && drops > 0)
				overflowed = true;
			return overflowed ? -ENOBUFS : 0;
		}
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				overflowed = true;
				continue;
			}
			if (errno != EAGAIN)
				return -errno;
			r = poll(&pfd, 1, (int)left);
			if (r < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		if (from.nl_pid != 0)
			continue;
		decode_init(&cursor, buf, (size_t)n);
		while ((r = decode_next(&cursor, &event, &info)) != DECODE_END)
			if (r == DECODE_ACK && info.ack == cookie + 1)
				return 1;
	}
}

int
subscribe_probe(enum subscribe_form form, uint32_t cookie, bool *ret_answered)
{
	struct filter_program acks;
	int attempt, fd, r = 0;

	for (attempt = 0; attempt < PROBE_ATTEMPTS; attempt++) {
		r = socket_open(&fd);
		if (r < 0)
			return r;
		filter_build_acks_only(&acks);
		r = socket_attach_filter(fd, &acks);
		if (r == 0)
			r = socket_join(fd);
		if (r < 0) {
			close(fd);
			return r;
		}

		/* Mask "all": a socket whose mask hides NONE never sees its
		 * own acknowledgement. */
		r = subscribe_send(fd, form, KCN_MCAST_LISTEN, KCN_EVENT_ALL, 0,
				   cookie);
		if (r == 0)
			r = probe_wait_ack(fd, cookie);
		/* Undo the LISTEN whatever we saw: it counted even if its
		 * answer was lost, and closing does not uncount it.  Older
		 * kernels drop the 8-byte form both times. */
		for (int tries = 0; tries < 3; tries++)
			if (subscribe_send(fd, form, KCN_MCAST_IGNORE,
					   KCN_EVENT_NONE, 0,
					   cookie + 2) != -ENOBUFS)
				break;
		close(fd);
		if (r != -ENOBUFS)
			break;
	}
	if (r < 0 && r != -ENOBUFS)
		return r;
	*ret_answered = r == 1;
	return 0;
}
