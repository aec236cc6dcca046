// SPDX-License-Identifier: LGPL-2.1-or-later
#include <linux/netlink.h>
#include <string.h>

#include "netlink-frame.h"
#include "taskstats-abi.h"
#include "taskstats-decode.h"

_Static_assert(sizeof(struct relayfork_usage) == 256,
	       "struct relayfork_usage is part of the ABI: 256 bytes");
_Static_assert(__builtin_offsetof(struct relayfork_usage, reserved) == 196,
	       "struct relayfork_usage: 60 reserved bytes at the end");

/* NLA_F_NESTED and NLA_F_NET_BYTEORDER are flags, not part of the type. */
#define NLA_TYPE_BITS 0x3fffu

void
ts_decode_init(struct ts_cursor *cursor, const void *buf, size_t len)
{
	cursor->buf = buf;
	cursor->len = buf ? len : 0;
	cursor->offset = 0;
}

/* The least a record of this version must hold. */
static size_t
min_size(unsigned int version)
{
	if (version >= 15)
		return KTS_SIZE_V16; /* 15 and 16 are both 560 */
	switch (version) {
	case 14:
		return KTS_SIZE_V14;
	case 13:
		return KTS_SIZE_V13;
	case 12:
		return KTS_SIZE_V12;
	case 11:
		return KTS_SIZE_V11;
	case 10:
		return KTS_SIZE_V10;
	}
	return KTS_SIZE_BASIC;
}

/* Both layouts name their fields alike: one filler for either. */
#define FILL_USAGE(u, s)                                                       \
	do {                                                                   \
		memset((u), 0, sizeof(*(u)));                                  \
		(u)->type = RELAYFORK_USAGE_TASK;                              \
		if ((s)->ac_flag & KTS_AGROUP)                                 \
			(u)->flags |= RELAYFORK_USAGE_F_LAST_THREAD;           \
		(u)->version = (s)->version;                                   \
		(u)->pid = (pid_t)(s)->ac_pid;                                 \
		(u)->tgid = (s)->version >= 12 ? (pid_t)(s)->ac_tgid : 0;      \
		(u)->ppid = (pid_t)(s)->ac_ppid;                               \
		(u)->uid = (s)->ac_uid;                                        \
		(u)->gid = (s)->ac_gid;                                        \
		(u)->exit_status = (int32_t)(s)->ac_exitcode;                  \
		(u)->start_time_s =                                            \
			(s)->version >= 10 ? (s)->ac_btime64 : (s)->ac_btime;  \
		(u)->elapsed_us = (s)->ac_etime;                               \
		(u)->utime_us = (s)->ac_utime;                                 \
		(u)->stime_us = (s)->ac_stime;                                 \
		(u)->run_ns = (s)->cpu_run_virtual_total;                      \
		(u)->minflt = (s)->ac_minflt;                                  \
		(u)->majflt = (s)->ac_majflt;                                  \
		(u)->nvcsw = (s)->nvcsw;                                       \
		(u)->nivcsw = (s)->nivcsw;                                     \
		(u)->hiwater_rss_kb = (s)->hiwater_rss;                        \
		(u)->hiwater_vm_kb = (s)->hiwater_vm;                          \
		(u)->read_chars = (s)->read_char;                              \
		(u)->write_chars = (s)->write_char;                            \
		(u)->read_bytes = (s)->read_bytes;                             \
		(u)->write_bytes = (s)->write_bytes;                           \
		memcpy((u)->comm, (s)->ac_comm, sizeof((u)->comm) - 1);        \
	} while (0)

_Static_assert(sizeof(((struct relayfork_usage *)0)->comm) == KTS_COMM_LEN,
	       "comm holds the kernel's ac_comm");

int
ts_decode_stats(const void *stats, size_t len, struct relayfork_usage *usage)
{
	uint16_t version;

	if (len < sizeof(version))
		return TS_DECODE_SHORT_STATS;
	memcpy(&version, stats, sizeof(version));
	if (version == 0)
		return TS_DECODE_BAD_VERSION;
	if (len < min_size(version))
		return TS_DECODE_SHORT_STATS;

	/* 15 inserted fields in the middle; 14 of 560 bytes is the same
	 * layout before its version bump (taskstats-abi.h). */
	if (version == 15 || (version == 14 && len >= KTS_SIZE_V15)) {
		struct kts_taskstats_v15 s;

		memset(&s, 0, sizeof(s));
		memcpy(&s, stats, len < sizeof(s) ? len : sizeof(s));
		FILL_USAGE(usage, &s);
	} else if (version == 14 && len > KTS_SIZE_V14) {
		/* Some fields inserted, not all: no kernel release. */
		return TS_DECODE_BAD_VERSION;
	} else {
		struct kts_taskstats s;

		memset(&s, 0, sizeof(s));
		memcpy(&s, stats, len < sizeof(s) ? len : sizeof(s));
		FILL_USAGE(usage, &s);
	}
	return TS_DECODE_RECORD;
}

/* One attribute inside [*offset, end) of buf; advances *offset. */
struct attr {
	uint16_t type;
	const unsigned char *data;
	size_t len;
};

static int
next_attr(const unsigned char *buf, size_t end, size_t *offset, struct attr *a)
{
	uint16_t hdr[2];
	size_t left = end - *offset, step;

	if (left < KTS_NLA_HDRLEN)
		return TS_DECODE_TRUNCATED;
	memcpy(hdr, buf + *offset, sizeof(hdr));
	if (hdr[0] < KTS_NLA_HDRLEN)
		return TS_DECODE_BAD_LENGTH;
	if (hdr[0] > left)
		return TS_DECODE_TRUNCATED;
	a->type = hdr[1] & NLA_TYPE_BITS;
	a->data = buf + *offset + KTS_NLA_HDRLEN;
	a->len = hdr[0] - KTS_NLA_HDRLEN;
	step = KTS_NLA_ALIGN((size_t)hdr[0]);
	*offset += step < left ? step : left;
	return 0;
}

/*
 * An AGGR_PID or AGGR_TGID nest: its id attribute (PID or TGID) and its
 * STATS.
 */
static int
parse_nest(const struct attr *nest, uint16_t id_type, uint32_t *ret_id,
	   const unsigned char **ret_stats, size_t *ret_len)
{
	size_t offset = 0;
	bool have_id = false;

	*ret_stats = NULL;
	while (offset < nest->len) {
		struct attr a;
		int r = next_attr(nest->data, nest->len, &offset, &a);

		if (r < 0)
			return r;
		if (a.type == id_type) {
			if (have_id || a.len != sizeof(*ret_id))
				return TS_DECODE_BAD_ATTRIBUTE;
			memcpy(ret_id, a.data, sizeof(*ret_id));
			have_id = true;
		} else if (a.type == KTS_TYPE_STATS) {
			if (*ret_stats)
				return TS_DECODE_BAD_ATTRIBUTE;
			*ret_stats = a.data;
			*ret_len = a.len;
		}
		/* KTS_TYPE_NULL pads; other types may come with new kernels. */
	}
	return have_id && *ret_stats ? 0 : TS_DECODE_BAD_ATTRIBUTE;
}

static int
decode_exit(const unsigned char *msg, size_t len, struct relayfork_usage *usage,
	    struct ts_decode_info *info)
{
	const unsigned char *stats = NULL;
	size_t offset = KTS_NLMSG_HDRLEN + KTS_GENL_HDRLEN, stats_len = 0;
	uint32_t pid = 0;
	bool have_pid = false;
	int r;

	while (offset < len) {
		const unsigned char *agg_stats;
		size_t agg_len;
		uint32_t tgid;
		struct attr a;

		r = next_attr(msg, len, &offset, &a);
		if (r < 0)
			return r;
		switch (a.type) {
		case KTS_TYPE_AGGR_PID:
			if (have_pid)
				return TS_DECODE_BAD_ATTRIBUTE;
			r = parse_nest(&a, KTS_TYPE_PID, &pid, &stats,
				       &stats_len);
			if (r < 0)
				return r;
			have_pid = true;
			break;
		case KTS_TYPE_AGGR_TGID:
			if (info->aggregate)
				return TS_DECODE_BAD_ATTRIBUTE;
			r = parse_nest(&a, KTS_TYPE_TGID, &tgid, &agg_stats,
				       &agg_len);
			if (r < 0)
				return r;
			info->aggregate = true;
			break;
		default:
			/* NULL padding, or a type a later kernel added. */
			break;
		}
	}
	if (!have_pid)
		return info->aggregate ? TS_DECODE_AGGREGATE
				       : TS_DECODE_BAD_ATTRIBUTE;
	info->stats_len = (uint32_t)stats_len;
	{
		struct relayfork_usage u;

		r = ts_decode_stats(stats, stats_len, &u);
		if (r != TS_DECODE_RECORD)
			return r;
		if ((uint32_t)u.pid != pid)
			return TS_DECODE_MISMATCH;
		*usage = u;
	}
	return TS_DECODE_RECORD;
}

int
ts_decode_next(struct ts_cursor *cursor, uint16_t family,
	       struct relayfork_usage *usage, struct ts_decode_info *info)
{
	const unsigned char *msg;
	struct nlmsghdr nlh;
	size_t left;
	uint8_t cmd;

	memset(info, 0, sizeof(*info));
	switch (nl_frame_next(cursor->buf, cursor->len, &cursor->offset, &nlh,
			      &msg, &left)) {
	case NL_FRAME_OK:
		break;
	case NL_FRAME_END:
		return TS_DECODE_END;
	case NL_FRAME_TRUNCATED:
		return TS_DECODE_TRUNCATED;
	default:
		return TS_DECODE_BAD_LENGTH;
	}
	info->seq = nlh.nlmsg_seq;

	switch (nlh.nlmsg_type) {
	case NLMSG_NOOP:
	case NLMSG_DONE:
		return TS_DECODE_CONTROL;
	case NLMSG_ERROR: {
		int32_t error;

		if (nlh.nlmsg_len < KTS_NLMSG_HDRLEN + sizeof(error))
			return TS_DECODE_TRUNCATED;
		memcpy(&error, msg + KTS_NLMSG_HDRLEN, sizeof(error));
		if (error > 0 || error < -4095)
			return TS_DECODE_NETLINK_ERROR;
		info->error = error;
		return TS_DECODE_ACK;
	}
	case NLMSG_OVERRUN:
		return TS_DECODE_NETLINK_ERROR;
	}
	if (nlh.nlmsg_type != family)
		return TS_DECODE_FOREIGN;
	if (nlh.nlmsg_len < KTS_NLMSG_HDRLEN + KTS_GENL_HDRLEN)
		return TS_DECODE_TRUNCATED;
	cmd = msg[KTS_NLMSG_HDRLEN];
	if (cmd != KTS_CMD_NEW)
		return TS_DECODE_FOREIGN;
	return decode_exit(msg, nlh.nlmsg_len, usage, info);
}

const char *
ts_decode_result_name(int result)
{
	switch (result) {
	case TS_DECODE_END:
		return "end";
	case TS_DECODE_RECORD:
		return "record";
	case TS_DECODE_AGGREGATE:
		return "aggregate";
	case TS_DECODE_ACK:
		return "ack";
	case TS_DECODE_CONTROL:
		return "control";
	case TS_DECODE_TRUNCATED:
		return "truncated";
	case TS_DECODE_BAD_LENGTH:
		return "bad length";
	case TS_DECODE_FOREIGN:
		return "another family or command";
	case TS_DECODE_BAD_ATTRIBUTE:
		return "missing, duplicate or mis-sized attribute";
	case TS_DECODE_SHORT_STATS:
		return "struct taskstats too short for its version";
	case TS_DECODE_BAD_VERSION:
		return "struct taskstats of an unknown layout";
	case TS_DECODE_MISMATCH:
		return "ac_pid is not the record's pid";
	case TS_DECODE_NETLINK_ERROR:
		return "netlink error";
	}
	return "unknown";
}
