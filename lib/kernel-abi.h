/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The proc connector's wire format, written out here because the build
 * host's <linux/cn_proc.h> is older than the kernels we run on (Debian 12
 * ships 6.1 headers without struct proc_input, PROC_EVENT_ALL or
 * PROC_EVENT_NONZERO_EXIT, and 6.6 renamed the nested enum).  Never
 * include <linux/cn_proc.h>; never expose these in the public header.
 *
 * Layouts are checked with static asserts below.
 */
#pragma once

#include <stdint.h>

/* include/uapi/linux/netlink.h, connector.h */
#define KCN_NETLINK_CONNECTOR 11
#define KCN_IDX_PROC 1u
#define KCN_VAL_PROC 1u

/* include/uapi/linux/cn_proc.h: enum proc_cn_mcast_op */
#define KCN_MCAST_LISTEN 1u
#define KCN_MCAST_IGNORE 2u

/* enum proc_cn_event (6.6+; the same values as the older nested enum) */
#define KCN_EVENT_NONE 0x00000000u
#define KCN_EVENT_FORK 0x00000001u
#define KCN_EVENT_EXEC 0x00000002u
#define KCN_EVENT_UID 0x00000004u
#define KCN_EVENT_GID 0x00000040u
#define KCN_EVENT_SID 0x00000080u
#define KCN_EVENT_PTRACE 0x00000100u
#define KCN_EVENT_COMM 0x00000200u
#define KCN_EVENT_NONZERO_EXIT 0x20000000u
#define KCN_EVENT_COREDUMP 0x40000000u
#define KCN_EVENT_EXIT 0x80000000u
#define KCN_EVENT_ALL                                                          \
	(KCN_EVENT_FORK | KCN_EVENT_EXEC | KCN_EVENT_UID | KCN_EVENT_GID |     \
	 KCN_EVENT_SID | KCN_EVENT_PTRACE | KCN_EVENT_COMM |                   \
	 KCN_EVENT_NONZERO_EXIT | KCN_EVENT_COREDUMP | KCN_EVENT_EXIT)

/* include/uapi/linux/connector.h: struct cn_msg */
struct kcn_msg {
	uint32_t idx;
	uint32_t val;
	uint32_t seq;
	uint32_t ack;
	uint16_t len;
	uint16_t flags;
	/* data follows */
};

/* struct proc_input (6.6+) */
struct kcn_proc_input {
	uint32_t mcast_op;
	uint32_t event_type;
};

/* struct proc_event */
struct kcn_proc_event {
	uint32_t what;
	uint32_t cpu;
	uint64_t timestamp_ns __attribute__((aligned(8)));
	union {
		struct {
			uint32_t err;
		} ack;
		struct {
			int32_t parent_pid, parent_tgid;
			int32_t child_pid, child_tgid;
		} fork;
		struct {
			int32_t process_pid, process_tgid;
		} exec;
		struct {
			int32_t process_pid, process_tgid;
			uint32_t r, e;
		} id;
		struct {
			int32_t process_pid, process_tgid;
		} sid;
		struct {
			int32_t process_pid, process_tgid;
			int32_t tracer_pid, tracer_tgid;
		} ptrace;
		struct {
			int32_t process_pid, process_tgid;
			char comm[16];
		} comm;
		struct {
			int32_t process_pid, process_tgid;
			int32_t parent_pid, parent_tgid;
		} coredump;
		struct {
			int32_t process_pid, process_tgid;
			uint32_t exit_code, exit_signal;
			int32_t parent_pid, parent_tgid;
		} exit;
	} event_data;
};

/* Sizes and offsets in a datagram: nlmsghdr (16) + cn_msg (20) + event. */
#define KCN_NLMSG_HDRLEN 16u
#define KCN_MSG_HDRLEN 20u
#define KCN_EVENT_OFFSET (KCN_NLMSG_HDRLEN + KCN_MSG_HDRLEN) /* 36 */
#define KCN_EVENT_SIZE 40u
/* Offset of exit_code inside struct proc_event. */
#define KCN_EXIT_CODE_OFFSET 24u

_Static_assert(sizeof(struct kcn_msg) == KCN_MSG_HDRLEN, "cn_msg layout");
_Static_assert(sizeof(struct kcn_proc_input) == 8, "proc_input layout");
_Static_assert(sizeof(struct kcn_proc_event) == KCN_EVENT_SIZE,
	       "proc_event layout");
_Static_assert(__builtin_offsetof(struct kcn_proc_event,
				  event_data.exit.exit_code) ==
		       KCN_EXIT_CODE_OFFSET,
	       "proc_event exit layout");
