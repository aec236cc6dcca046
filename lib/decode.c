// SPDX-License-Identifier: LGPL-2.1-or-later
#include <linux/netlink.h>
#include <string.h>
#include <sys/wait.h>

#include "netlink-frame.h"
#include "decode.h"
#include "kernel-abi.h"

_Static_assert(sizeof(struct relayfork_event) == 128,
	       "struct relayfork_event is part of the ABI: 128 bytes");

void
decode_init(struct decode_cursor *cursor, const void *buf, size_t len)
{
	cursor->buf = buf;
	cursor->len = buf ? len : 0;
	cursor->offset = 0;
}

static void
decode_exit_status(struct relayfork_event *event, uint32_t raw)
{
	int status = (int)raw;

	event->u.exit.status = status;
	if (WIFEXITED(status)) {
		event->u.exit.exited = 1;
		event->u.exit.code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		event->u.exit.signal = WTERMSIG(status);
		event->u.exit.core_dumped = WCOREDUMP(status) ? 1 : 0;
	}
}

/* Fill *event from a proc_event already copied to aligned storage. */
static int
decode_proc_event(const struct kcn_proc_event *pe, struct relayfork_event *event)
{
	const __typeof__(pe->event_data) *d = &pe->event_data;

	switch (pe->what) {
	case KCN_EVENT_FORK:
		event->type = RELAYFORK_EVENT_FORK;
		event->pid = d->fork.child_pid;
		event->tgid = d->fork.child_tgid;
		event->u.fork.parent_pid = d->fork.parent_pid;
		event->u.fork.parent_tgid = d->fork.parent_tgid;
		break;
	case KCN_EVENT_EXEC:
		event->type = RELAYFORK_EVENT_EXEC;
		event->pid = d->exec.process_pid;
		event->tgid = d->exec.process_tgid;
		break;
	case KCN_EVENT_UID:
		event->type = RELAYFORK_EVENT_UID;
		event->pid = d->id.process_pid;
		event->tgid = d->id.process_tgid;
		event->u.uid.ruid = d->id.r;
		event->u.uid.euid = d->id.e;
		break;
	case KCN_EVENT_GID:
		event->type = RELAYFORK_EVENT_GID;
		event->pid = d->id.process_pid;
		event->tgid = d->id.process_tgid;
		event->u.gid.rgid = d->id.r;
		event->u.gid.egid = d->id.e;
		break;
	case KCN_EVENT_SID:
		event->type = RELAYFORK_EVENT_SID;
		event->pid = d->sid.process_pid;
		event->tgid = d->sid.process_tgid;
		break;
	case KCN_EVENT_PTRACE:
		event->type = RELAYFORK_EVENT_PTRACE;
		event->pid = d->ptrace.process_pid;
		event->tgid = d->ptrace.process_tgid;
		event->u.ptrace.tracer_pid = d->ptrace.tracer_pid;
		event->u.ptrace.tracer_tgid = d->ptrace.tracer_tgid;
		break;
	case KCN_EVENT_COMM:
		event->type = RELAYFORK_EVENT_COMM;
		event->pid = d->comm.process_pid;
		event->tgid = d->comm.process_tgid;
		memcpy(event->u.comm.comm, d->comm.comm,
		       sizeof(event->u.comm.comm) - 1);
		break;
	case KCN_EVENT_COREDUMP:
		event->type = RELAYFORK_EVENT_COREDUMP;
		event->pid = d->coredump.process_pid;
		event->tgid = d->coredump.process_tgid;
		event->u.coredump.parent_pid = d->coredump.parent_pid;
		event->u.coredump.parent_tgid = d->coredump.parent_tgid;
		break;
	case KCN_EVENT_EXIT:
		event->type = RELAYFORK_EVENT_EXIT;
		event->pid = d->exit.process_pid;
		event->tgid = d->exit.process_tgid;
		event->u.exit.exit_signal = (int32_t)d->exit.exit_signal;
		event->u.exit.parent_pid = d->exit.parent_pid;
		event->u.exit.parent_tgid = d->exit.parent_tgid;
		decode_exit_status(event, d->exit.exit_code);
		break;
	default:
		/* Includes NONZERO_EXIT, which is a filter bit the kernel
		 * never sends as an event type. */
		return DECODE_BAD_TYPE;
	}

	if (event->pid != event->tgid)
		event->flags |= RELAYFORK_EVENT_F_THREAD;
	event->cpu = pe->cpu;
	event->timestamp_ns = pe->timestamp_ns;
	return DECODE_EVENT;
}

int
decode_next(struct decode_cursor *cursor, struct relayfork_event *event,
	    struct decode_info *info)
{
	const unsigned char *msg;
	struct nlmsghdr nlh;
	struct kcn_msg cn;
	struct kcn_proc_event pe;
	size_t left, payload;

	memset(info, 0, sizeof(*info));
	switch (nl_frame_next(cursor->buf, cursor->len, &cursor->offset, &nlh,
			      &msg, &left)) {
	case NL_FRAME_OK:
		break;
	case NL_FRAME_END:
		return DECODE_END;
	case NL_FRAME_TRUNCATED:
		return DECODE_TRUNCATED;
	default:
		return DECODE_BAD_LENGTH;
	}
	info->seq = nlh.nlmsg_seq;

	switch (nlh.nlmsg_type) {
	case NLMSG_NOOP:
		return DECODE_CONTROL;
	case NLMSG_ERROR:
	case NLMSG_OVERRUN:
		return DECODE_NETLINK_ERROR;
	case NLMSG_DONE:
		break; /* the connector's type for every message */
	default:
		return DECODE_BAD_TYPE;
	}

	payload = nlh.nlmsg_len - KCN_NLMSG_HDRLEN;
	if (payload < KCN_MSG_HDRLEN)
		return DECODE_TRUNCATED;
	memcpy(&cn, msg + KCN_NLMSG_HDRLEN, sizeof(cn));
	info->seq = cn.seq;
	info->ack = cn.ack;
	if (cn.idx != KCN_IDX_PROC || cn.val != KCN_VAL_PROC)
		return DECODE_FOREIGN_ID;
	if (cn.len > payload - KCN_MSG_HDRLEN)
		return DECODE_BAD_LENGTH;
	/* Longer events are accepted: a future kernel may append fields. */
	if (cn.len < KCN_EVENT_SIZE)
		return DECODE_TRUNCATED;

	memcpy(&pe, msg + KCN_EVENT_OFFSET, sizeof(pe));
	info->cpu = pe.cpu;
	info->what = pe.what;
	if (pe.what == KCN_EVENT_NONE) {
		info->ack_err = pe.event_data.ack.err;
		return DECODE_ACK;
	}

	memset(event, 0, sizeof(*event));
	event->seq = cn.seq;
	return decode_proc_event(&pe, event);
}

const char *
decode_result_name(int result)
{
	switch (result) {
	case DECODE_END:
		return "end";
	case DECODE_EVENT:
		return "event";
	case DECODE_ACK:
		return "ack";
	case DECODE_CONTROL:
		return "control";
	case DECODE_TRUNCATED:
		return "truncated";
	case DECODE_BAD_LENGTH:
		return "bad length";
	case DECODE_FOREIGN_ID:
		return "foreign connector id";
	case DECODE_BAD_TYPE:
		return "unknown type";
	case DECODE_NETLINK_ERROR:
		return "netlink error";
	}
	return "?";
}
