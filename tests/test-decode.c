// SPDX-License-Identifier: LGPL-2.1-or-later
/* The decoder on hand-built datagrams: every event type, and bad input. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "datagram.h"
#include "decode.h"

/* Room for several events, plus one byte so a datagram can start at an
 * odd address: the decoder must never rely on alignment. */
static unsigned char storage[4 * DGRAM_EVENT_LEN + 8] __attribute__((aligned(8)));
#define ODD (storage + 1)

static int
decode_one(const void *buf, size_t len, struct relayfork_event *ev,
	   struct decode_info *info)
{
	struct decode_cursor c;
	struct decode_info after;
	int r;

	decode_init(&c, buf, len);
	r = decode_next(&c, ev, info);
	/* A single message is followed by the end, whatever it was. */
	assert_int_equal(decode_next(&c, ev, &after), DECODE_END);
	return r;
}

static int
decode_event(const struct dgram_event *e, struct relayfork_event *ev)
{
	struct decode_info info;
	size_t len = dgram_put_event(ODD, e);

	return decode_one(ODD, len, ev, &info);
}

static void
test_fork_process(void **state)
{
	struct dgram_event e = { .what = KCN_EVENT_FORK, .cpu = 1,
				 .timestamp_ns = 0x123456789abcdefull,
				 .seq = 42,
				 .data = { 100, 100, 200, 200 } };
	struct relayfork_event ev;

	assert_int_equal(decode_event(&e, &ev), DECODE_EVENT);
	assert_int_equal(ev.type, RELAYFORK_EVENT_FORK);
	assert_int_equal(ev.pid, 200);
	assert_int_equal(ev.tgid, 200);
	assert_int_equal(ev.u.fork.parent_pid, 100);
	assert_int_equal(ev.u.fork.parent_tgid, 100);
	assert_int_equal(ev.flags, 0);
	assert_int_equal(ev.cpu, 1);
	assert_int_equal(ev.seq, 42);
	assert_true(ev.timestamp_ns == 0x123456789abcdefull);
}

static void
test_fork_thread(void **state)
{
	/* The kernel reports the caller's parent for a new thread. */
	struct dgram_event e = { .what = KCN_EVENT_FORK,
				 .data = { 60, 1, 201, 200 } };
	struct relayfork_event ev;

	assert_int_equal(decode_event(&e, &ev), DECODE_EVENT);
	assert_int_equal(ev.pid, 201);
	assert_int_equal(ev.tgid, 200);
	assert_int_equal(ev.u.fork.parent_pid, 60);
	assert_int_equal(ev.u.fork.parent_tgid, 1);
	assert_int_equal(ev.flags, RELAYFORK_EVENT_F_THREAD);
}

static void
test_exec(void **state)
{
	struct dgram_event e = { .what = KCN_EVENT_EXEC, .data = { 300, 300 } };
	struct relayfork_event ev;

	assert_int_equal(decode_event(&e, &ev), DECODE_EVENT);
	assert_int_equal(ev.type, RELAYFORK_EVENT_EXEC);
	assert_int_equal(ev.pid, 300);
	assert_int_equal(ev.tgid, 300);
}

static void
test_uid_gid(void **state)
{
	struct dgram_event u = { .what = KCN_EVENT_UID,
				 .data = { 5, 5, 1000, 0 } };
	struct dgram_event g = { .what = KCN_EVENT_GID,
				 .data = { 5, 5, 100, 4294967295u } };
	struct relayfork_event ev;

	assert_int_equal(decode_event(&u, &ev), DECODE_EVENT);
	assert_int_equal(ev.type, RELAYFORK_EVENT_UID);
	assert_int_equal(ev.u.uid.ruid, 1000);
	assert_int_equal(ev.u.uid.euid, 0);

	assert_int_equal(decode_event(&g, &ev), DECODE_EVENT);
	assert_int_equal(ev.type, RELAYFORK_EVENT_GID);
	assert_int_equal(ev.u.gid.rgid, 100);
	assert_true(ev.u.gid.egid == 4294967295u);
}

static void
test_sid(void **state)
{
	struct dgram_event e = { .what = KCN_EVENT_SID, .data = { 7, 7 } };
	struct relayfork_event ev;

	assert_int_equal(decode_event(&e, &ev), DECODE_EVENT);
	assert_int_equal(ev.type, RELAYFORK_EVENT_SID);
	assert_int_equal(ev.pid, 7);
}

static void
test_ptrace(void **state)
{
	struct dgram_event attach = { .what = KCN_EVENT_PTRACE,
				      .data = { 8, 8, 9, 9 } };
	struct dgram_event detach = { .what = KCN_EVENT_PTRACE,
				      .data = { 8, 8, 0, 0 } };
	struct relayfork_event ev;

	assert_int_equal(decode_event(&attach, &ev), DECODE_EVENT);
	assert_int_equal(ev.type, RELAYFORK_EVENT_PTRACE);
	assert_int_equal(ev.u.ptrace.tracer_pid, 9);
	assert_int_equal(ev.u.ptrace.tracer_tgid, 9);
	assert_int_equal(decode_event(&detach, &ev), DECODE_EVENT);
	assert_int_equal(ev.u.ptrace.tracer_tgid, 0);
}

static void
test_comm(void **state)
{
	struct dgram_event e = { .what = KCN_EVENT_COMM, .data = { 10, 10 } };
	struct relayfork_event ev;

	/* Sixteen bytes without a NUL: the kernel never sends that, and
	 * the event must still hold a terminated string. */
	memcpy(&e.data[2], "abcdefghijklmnop", 16);
	assert_int_equal(decode_event(&e, &ev), DECODE_EVENT);
	assert_int_equal(ev.type, RELAYFORK_EVENT_COMM);
	assert_string_equal(ev.u.comm.comm, "abcdefghijklmno");

	memset(&e.data[2], 0, 16);
	memcpy(&e.data[2], "sh", 2);
	assert_int_equal(decode_event(&e, &ev), DECODE_EVENT);
	assert_string_equal(ev.u.comm.comm, "sh");
}

static void
test_coredump(void **state)
{
	struct dgram_event e = { .what = KCN_EVENT_COREDUMP,
				 .data = { 11, 11, 12, 12 } };
	struct dgram_event old = { .what = KCN_EVENT_COREDUMP,
				   .data = { 11, 11 } };
	struct relayfork_event ev;

	assert_int_equal(decode_event(&e, &ev), DECODE_EVENT);
	assert_int_equal(ev.type, RELAYFORK_EVENT_COREDUMP);
	assert_int_equal(ev.u.coredump.parent_tgid, 12);
	/* Before Linux 4.18 the parent fields are zero. */
	assert_int_equal(decode_event(&old, &ev), DECODE_EVENT);
	assert_int_equal(ev.u.coredump.parent_pid, 0);
	assert_int_equal(ev.u.coredump.parent_tgid, 0);
}

static void
test_exit_code(void **state)
{
	struct dgram_event e = { .what = KCN_EVENT_EXIT,
				 .data = { 20, 20, 3 << 8, SIGCHLD, 1, 1 } };
	struct relayfork_event ev;

	assert_int_equal(decode_event(&e, &ev), DECODE_EVENT);
	assert_int_equal(ev.type, RELAYFORK_EVENT_EXIT);
	assert_int_equal(ev.u.exit.status, 0x300);
	assert_int_equal(ev.u.exit.exited, 1);
	assert_int_equal(ev.u.exit.code, 3);
	assert_int_equal(ev.u.exit.signal, 0);
	assert_int_equal(ev.u.exit.core_dumped, 0);
	assert_int_equal(ev.u.exit.exit_signal, SIGCHLD);
	assert_int_equal(ev.u.exit.parent_pid, 1);
	assert_int_equal(ev.u.exit.parent_tgid, 1);
	assert_int_equal(ev.flags, 0);
}

static void
test_exit_killed(void **state)
{
	struct dgram_event core = { .what = KCN_EVENT_EXIT,
				    .data = { 21, 21, SIGSEGV | 0x80, SIGCHLD,
					      1, 1 } };
	struct dgram_event kill = { .what = KCN_EVENT_EXIT,
				    .data = { 22, 22, SIGKILL, SIGCHLD, 1, 1 } };
	struct relayfork_event ev;

	assert_int_equal(decode_event(&core, &ev), DECODE_EVENT);
	assert_int_equal(ev.u.exit.exited, 0);
	assert_int_equal(ev.u.exit.signal, SIGSEGV);
	assert_int_equal(ev.u.exit.core_dumped, 1);

	assert_int_equal(decode_event(&kill, &ev), DECODE_EVENT);
	assert_int_equal(ev.u.exit.exited, 0);
	assert_int_equal(ev.u.exit.signal, SIGKILL);
	assert_int_equal(ev.u.exit.core_dumped, 0);
}

static void
test_exit_thread_without_parent(void **state)
{
	/* Threads: exit_signal -1 and no parent (auto-reaped); the same
	 * zeros come from kernels before 4.18 for every exit. */
	struct dgram_event e = { .what = KCN_EVENT_EXIT,
				 .data = { 31, 30, 0, 0xffffffffu, 0, 0 } };
	struct relayfork_event ev;

	assert_int_equal(decode_event(&e, &ev), DECODE_EVENT);
	assert_int_equal(ev.u.exit.exit_signal, -1);
	assert_int_equal(ev.u.exit.parent_pid, 0);
	assert_int_equal(ev.u.exit.parent_tgid, 0);
	assert_int_equal(ev.flags, RELAYFORK_EVENT_F_THREAD);
	assert_int_equal(ev.u.exit.exited, 1);
	assert_int_equal(ev.u.exit.code, 0);
}

static void
test_ack(void **state)
{
	struct dgram_event e = { .what = KCN_EVENT_NONE, .ack = 1001,
				 .data = { 22 } };
	struct relayfork_event ev;
	struct decode_info info;
	size_t len = dgram_put_event(ODD, &e);

	assert_int_equal(decode_one(ODD, len, &ev, &info), DECODE_ACK);
	assert_int_equal(info.ack, 1001);
	assert_int_equal(info.ack_err, 22);
}

static void
test_several_messages(void **state)
{
	struct dgram_event a = { .what = KCN_EVENT_FORK, .data = { 1, 1, 2, 2 } };
	struct dgram_event b = { .what = KCN_EVENT_EXEC, .data = { 2, 2 } };
	struct dgram_event c = { .what = KCN_EVENT_EXIT, .data = { 2, 2 } };
	struct relayfork_event ev;
	struct decode_info info;
	struct decode_cursor cur;
	size_t len = 0;

	len += dgram_put_event(ODD + len, &a);
	len += dgram_put_event(ODD + len, &b);
	len += dgram_put_event(ODD + len, &c);
	decode_init(&cur, ODD, len);
	assert_int_equal(decode_next(&cur, &ev, &info), DECODE_EVENT);
	assert_int_equal(ev.type, RELAYFORK_EVENT_FORK);
	assert_int_equal(decode_next(&cur, &ev, &info), DECODE_EVENT);
	assert_int_equal(ev.type, RELAYFORK_EVENT_EXEC);
	assert_int_equal(decode_next(&cur, &ev, &info), DECODE_EVENT);
	assert_int_equal(ev.type, RELAYFORK_EVENT_EXIT);
	assert_int_equal(decode_next(&cur, &ev, &info), DECODE_END);
	assert_int_equal(decode_next(&cur, &ev, &info), DECODE_END);
}

static void
test_bad_message_between_good_ones(void **state)
{
	/* A message whose own length is sound but whose content is bad
	 * is skipped; the valid event behind it is not lost. */
	struct dgram_event a = { .what = KCN_EVENT_FORK, .data = { 1, 1, 2, 2 } };
	struct dgram_event bad = { .what = 0x400 };
	struct dgram_event c = { .what = KCN_EVENT_EXIT, .data = { 2, 2 } };
	struct relayfork_event ev;
	struct decode_info info;
	struct decode_cursor cur;
	size_t len = 0;

	len += dgram_put_event(ODD + len, &a);
	len += dgram_put_event(ODD + len, &bad);
	put32(ODD + len - DGRAM_EVENT_LEN + 16, 7); /* foreign connector id */
	len += dgram_put_event(ODD + len, &c);
	decode_init(&cur, ODD, len);
	assert_int_equal(decode_next(&cur, &ev, &info), DECODE_EVENT);
	assert_int_equal(decode_next(&cur, &ev, &info), DECODE_FOREIGN_ID);
	assert_int_equal(decode_next(&cur, &ev, &info), DECODE_EVENT);
	assert_int_equal(ev.type, RELAYFORK_EVENT_EXIT);
	assert_int_equal(decode_next(&cur, &ev, &info), DECODE_END);
}

static void
test_empty(void **state)
{
	struct relayfork_event ev;
	struct decode_info info;
	struct decode_cursor cur;

	decode_init(&cur, ODD, 0);
	assert_int_equal(decode_next(&cur, &ev, &info), DECODE_END);
	decode_init(&cur, NULL, 100);
	assert_int_equal(decode_next(&cur, &ev, &info), DECODE_END);
}

static void
test_truncated_nlmsghdr(void **state)
{
	struct dgram_event e = { .what = KCN_EVENT_FORK };
	struct relayfork_event ev;
	struct decode_info info;
	size_t len;

	dgram_put_event(ODD, &e);
	for (len = 1; len < KCN_NLMSG_HDRLEN; len++)
		assert_int_equal(decode_one(ODD, len, &ev, &info),
				 DECODE_TRUNCATED);
}

static void
test_truncated_datagram(void **state)
{
	/* The datagram is shorter than nlmsg_len says, at every length. */
	struct dgram_event e = { .what = KCN_EVENT_FORK };
	struct relayfork_event ev;
	struct decode_info info;
	size_t len;

	dgram_put_event(ODD, &e);
	for (len = KCN_NLMSG_HDRLEN; len < DGRAM_EVENT_LEN; len++)
		assert_int_equal(decode_one(ODD, len, &ev, &info),
				 DECODE_TRUNCATED);
}

static void
test_nlmsg_len_lies(void **state)
{
	struct dgram_event e = { .what = KCN_EVENT_FORK };
	struct relayfork_event ev;
	struct decode_info info;

	/* Shorter than its own header. */
	dgram_put_event(ODD, &e);
	put32(ODD, 8);
	assert_int_equal(decode_one(ODD, DGRAM_EVENT_LEN, &ev, &info),
			 DECODE_BAD_LENGTH);
	put32(ODD, 0);
	assert_int_equal(decode_one(ODD, DGRAM_EVENT_LEN, &ev, &info),
			 DECODE_BAD_LENGTH);
	/* Longer than the datagram. */
	put32(ODD, DGRAM_EVENT_LEN + 4);
	assert_int_equal(decode_one(ODD, DGRAM_EVENT_LEN, &ev, &info),
			 DECODE_TRUNCATED);
	put32(ODD, 0xffffffffu);
	assert_int_equal(decode_one(ODD, DGRAM_EVENT_LEN, &ev, &info),
			 DECODE_TRUNCATED);
	/* Room for the netlink header but not for cn_msg. */
	put32(ODD, KCN_NLMSG_HDRLEN + 4);
	assert_int_equal(decode_one(ODD, KCN_NLMSG_HDRLEN + 4, &ev, &info),
			 DECODE_TRUNCATED);
}

static void
test_cn_len_lies(void **state)
{
	struct dgram_event e = { .what = KCN_EVENT_FORK };
	struct relayfork_event ev;
	struct decode_info info;

	/* Longer than the netlink payload. */
	dgram_put_event(ODD, &e);
	put16(ODD + 32, KCN_EVENT_SIZE + 1);
	assert_int_equal(decode_one(ODD, DGRAM_EVENT_LEN, &ev, &info),
			 DECODE_BAD_LENGTH);
	put16(ODD + 32, 0xffff);
	assert_int_equal(decode_one(ODD, DGRAM_EVENT_LEN, &ev, &info),
			 DECODE_BAD_LENGTH);
	/* Shorter than a proc_event. */
	put16(ODD + 32, KCN_EVENT_SIZE - 1);
	assert_int_equal(decode_one(ODD, DGRAM_EVENT_LEN, &ev, &info),
			 DECODE_TRUNCATED);
	put16(ODD + 32, 0);
	assert_int_equal(decode_one(ODD, DGRAM_EVENT_LEN, &ev, &info),
			 DECODE_TRUNCATED);
}

static void
test_longer_event_accepted(void **state)
{
	/* A future kernel may append fields: read what we know. */
	struct dgram_event e = { .what = KCN_EVENT_EXEC, .data = { 5, 5 } };
	struct relayfork_event ev;
	struct decode_info info;

	dgram_put_event(ODD, &e);
	put32(ODD, DGRAM_EVENT_LEN + 8);
	put16(ODD + 32, KCN_EVENT_SIZE + 8);
	assert_int_equal(decode_one(ODD, DGRAM_EVENT_LEN + 8, &ev, &info),
			 DECODE_EVENT);
	assert_int_equal(ev.pid, 5);
}

static void
test_foreign_connector_id(void **state)
{
	struct dgram_event e = { .what = KCN_EVENT_FORK };
	struct relayfork_event ev;
	struct decode_info info;

	dgram_put_event(ODD, &e);
	put32(ODD + 16, 2); /* CN_IDX_CIFS */
	assert_int_equal(decode_one(ODD, DGRAM_EVENT_LEN, &ev, &info),
			 DECODE_FOREIGN_ID);
	dgram_put_event(ODD, &e);
	put32(ODD + 20, 2);
	assert_int_equal(decode_one(ODD, DGRAM_EVENT_LEN, &ev, &info),
			 DECODE_FOREIGN_ID);
}

static void
test_unknown_event_type(void **state)
{
	static const uint32_t bad[] = { 0x8, 0x10, 0x20, 0x400,
					KCN_EVENT_NONZERO_EXIT,
					KCN_EVENT_FORK | KCN_EVENT_EXEC };
	struct relayfork_event ev;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dgram_event e = { .what = bad[i] };

		assert_int_equal(decode_event(&e, &ev), DECODE_BAD_TYPE);
	}
}

static void
test_netlink_control_types(void **state)
{
	struct dgram_event e = { .what = KCN_EVENT_FORK };
	struct relayfork_event ev;
	struct decode_info info;

	dgram_put_event(ODD, &e);
	put16(ODD + 4, NLMSG_ERROR);
	assert_int_equal(decode_one(ODD, DGRAM_EVENT_LEN, &ev, &info),
			 DECODE_NETLINK_ERROR);
	put16(ODD + 4, NLMSG_OVERRUN);
	assert_int_equal(decode_one(ODD, DGRAM_EVENT_LEN, &ev, &info),
			 DECODE_NETLINK_ERROR);
	put16(ODD + 4, NLMSG_NOOP);
	assert_int_equal(decode_one(ODD, DGRAM_EVENT_LEN, &ev, &info),
			 DECODE_CONTROL);
	put16(ODD + 4, NLMSG_MIN_TYPE);
	assert_int_equal(decode_one(ODD, DGRAM_EVENT_LEN, &ev, &info),
			 DECODE_BAD_TYPE);
	/* A bare NOOP header, no payload at all. */
	put32(ODD, KCN_NLMSG_HDRLEN);
	put16(ODD + 4, NLMSG_NOOP);
	assert_int_equal(decode_one(ODD, KCN_NLMSG_HDRLEN, &ev, &info),
			 DECODE_CONTROL);
}

static void
test_bad_length_stops_walk(void **state)
{
	/* After a length that cannot be trusted nothing can be located:
	 * the walk ends instead of reading garbage as messages. */
	struct dgram_event e = { .what = KCN_EVENT_FORK };
	struct relayfork_event ev;
	struct decode_info info;
	struct decode_cursor cur;

	dgram_put_event(ODD, &e);
	dgram_put_event(ODD + DGRAM_EVENT_LEN, &e);
	put32(ODD, 4);
	decode_init(&cur, ODD, 2 * DGRAM_EVENT_LEN);
	assert_int_equal(decode_next(&cur, &ev, &info), DECODE_BAD_LENGTH);
	assert_int_equal(decode_next(&cur, &ev, &info), DECODE_END);
}

static void
test_result_names(void **state)
{
	int r;

	for (r = DECODE_NETLINK_ERROR; r <= DECODE_CONTROL; r++)
		assert_string_not_equal(decode_result_name(r), "?");
	assert_string_equal(decode_result_name(99), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fork_process),
		cmocka_unit_test(test_fork_thread),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_uid_gid),
		cmocka_unit_test(test_sid),
		cmocka_unit_test(test_ptrace),
		cmocka_unit_test(test_comm),
		cmocka_unit_test(test_coredump),
		cmocka_unit_test(test_exit_code),
		cmocka_unit_test(test_exit_killed),
		cmocka_unit_test(test_exit_thread_without_parent),
		cmocka_unit_test(test_ack),
		cmocka_unit_test(test_several_messages),
		cmocka_unit_test(test_bad_message_between_good_ones),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_truncated_nlmsghdr),
		cmocka_unit_test(test_truncated_datagram),
		cmocka_unit_test(test_nlmsg_len_lies),
		cmocka_unit_test(test_cn_len_lies),
		cmocka_unit_test(test_longer_event_accepted),
		cmocka_unit_test(test_foreign_connector_id),
		cmocka_unit_test(test_unknown_event_type),
		cmocka_unit_test(test_netlink_control_types),
		cmocka_unit_test(test_bad_length_stops_walk),
		cmocka_unit_test(test_result_names),
	};

	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
