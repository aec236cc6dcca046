// SPDX-License-Identifier: LGPL-2.1-or-later
/* The subscription messages against golden bytes. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "datagram.h"
#include "subscribe.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the golden messages below are little-endian"
#endif

/* PROC_CN_MCAST_LISTEN, legacy form, seq 7, ack 0x01020304. */
static const unsigned char golden_listen_legacy[] = {
	0x28, 0x00, 0x00, 0x00,	/* nlmsg_len 40 */
	0x03, 0x00,		/* NLMSG_DONE */
	0x00, 0x00,		/* flags */
	0x07, 0x00, 0x00, 0x00,	/* seq */
	0x00, 0x00, 0x00, 0x00,	/* port id */
	0x01, 0x00, 0x00, 0x00,	/* CN_IDX_PROC */
	0x01, 0x00, 0x00, 0x00,	/* CN_VAL_PROC */
	0x07, 0x00, 0x00, 0x00,	/* cn seq */
	0x04, 0x03, 0x02, 0x01,	/* cn ack */
	0x04, 0x00,		/* cn len 4 */
	0x00, 0x00,		/* cn flags */
	0x01, 0x00, 0x00, 0x00,	/* PROC_CN_MCAST_LISTEN */
};

/* PROC_CN_MCAST_IGNORE, legacy form, seq 0, ack 0. */
static const unsigned char golden_ignore_legacy[] = {
	0x28, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x04, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x00, 0x00,	/* PROC_CN_MCAST_IGNORE */
};

/* struct proc_input { LISTEN, FORK|EXIT }, seq 1, ack 2. */
static const unsigned char golden_listen_filtered[] = {
	0x2c, 0x00, 0x00, 0x00,	/* nlmsg_len 44 */
	0x03, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00,	/* cn seq */
	0x02, 0x00, 0x00, 0x00,	/* cn ack */
	0x08, 0x00,		/* cn len 8 */
	0x00, 0x00,
	0x01, 0x00, 0x00, 0x00,	/* mcast_op LISTEN */
	0x01, 0x00, 0x00, 0x80,	/* PROC_EVENT_FORK | PROC_EVENT_EXIT */
};

/* struct proc_input { IGNORE, NONE }. */
static const unsigned char golden_ignore_filtered[] = {
	0x2c, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
};

static void
check_encoding(enum subscribe_form form, uint32_t op, uint32_t type,
	       uint32_t seq, uint32_t ack, const unsigned char *golden,
	       size_t golden_len)
{
	unsigned char buf[SUBSCRIBE_MSG_MAX + 16];
	size_t len;

	/* Stale bytes must not leak into the message. */
	memset(buf, 0xa5, sizeof(buf));
	len = subscribe_encode(buf, form, op, type, seq, ack);
	assert_int_equal(len, golden_len);
	assert_memory_equal(buf, golden, golden_len);
}

static void
test_golden_messages(void **state)
{
	check_encoding(SUBSCRIBE_LEGACY, KCN_MCAST_LISTEN, KCN_EVENT_ALL, 7,
		       0x01020304, golden_listen_legacy,
		       sizeof(golden_listen_legacy));
	check_encoding(SUBSCRIBE_LEGACY, KCN_MCAST_IGNORE, 0, 0, 0,
		       golden_ignore_legacy, sizeof(golden_ignore_legacy));
	check_encoding(SUBSCRIBE_FILTERED, KCN_MCAST_LISTEN,
		       KCN_EVENT_FORK | KCN_EVENT_EXIT, 1, 2,
		       golden_listen_filtered, sizeof(golden_listen_filtered));
	check_encoding(SUBSCRIBE_FILTERED, KCN_MCAST_IGNORE, KCN_EVENT_NONE, 0,
		       5, golden_ignore_filtered,
		       sizeof(golden_ignore_filtered));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_messages),
	};

	return cmocka_run_group_tests_name("subscribe", tests, NULL, NULL);
}
