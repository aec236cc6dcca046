// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The netlink framing both decoders share (decode.c, taskstats-decode.c):
 * find the next message of a datagram without trusting its lengths.
 */
#ifndef RELAYFORK_NETLINK_FRAME_H
#define RELAYFORK_NETLINK_FRAME_H

#include <linux/netlink.h>
#include <stddef.h>
#include <string.h>

enum nl_frame {
	NL_FRAME_OK = 0,
	NL_FRAME_END,		/* no message left */
	NL_FRAME_TRUNCATED,	/* a message longer than what is left */
	NL_FRAME_BAD_LENGTH	/* a length shorter than its own header */
};

/*
 * The message at *offset of buf (len bytes): its header copied to nlh,
 * its start to *ret_msg and the bytes left from there to *ret_left;
 * *offset moves past it.  A lying length ends the datagram: nothing
 * after it can be located.
 */
static inline enum nl_frame
nl_frame_next(const unsigned char *buf, size_t len, size_t *offset,
	      struct nlmsghdr *nlh, const unsigned char **ret_msg,
	      size_t *ret_left)
{
	const unsigned char *msg;
	size_t left;

	if (*offset >= len)
		return NL_FRAME_END;
	msg = buf + *offset;
	left = len - *offset;
	if (left < NLMSG_HDRLEN) {
		*offset = len;
		return NL_FRAME_TRUNCATED;
	}
	/* Datagrams carry no alignment promise for us: copy, never cast. */
	memcpy(nlh, msg, sizeof(*nlh));
	if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > left) {
		*offset = len;
		return nlh->nlmsg_len > left ? NL_FRAME_TRUNCATED
					     : NL_FRAME_BAD_LENGTH;
	}
	*offset += NLMSG_ALIGN(nlh->nlmsg_len) < left ? NLMSG_ALIGN(nlh->nlmsg_len)
						      : left;
	*ret_msg = msg;
	*ret_left = left;
	return NL_FRAME_OK;
}

#endif
