// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * PROC_CN_MCAST_IGNORE exactly once per LISTEN, on every path.  Before
 * Linux 6.6 the kernel keeps one listener count for everyone: an extra
 * IGNORE silences other programs, a missing one keeps the kernel
 * building messages for nobody (forever: closing does not uncount).
 * Newer kernels forgive an extra IGNORE but not a missing one.  The
 * library's sendto() calls are watched through the linker (--wrap) and
 * passed on to the real kernel.
 */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "helpers.h"
#include "kernel-abi.h"

#define MAX_SENT 256

struct sent {
	int fd;
	uint32_t op;
	uint16_t form; /* cn_msg.len: 4 legacy, 8 filtered */
	bool ok;
};

static struct sent sent[MAX_SENT];
static unsigned int nsent;
/* Make the next request on this descriptor fail with this errno. */
static int fail_fd = -1, fail_errno;

ssize_t __real_sendto(int fd, const void *buf, size_t len, int flags,
		      const struct sockaddr *to, socklen_t tolen);
ssize_t __wrap_sendto(int fd, const void *buf, size_t len, int flags,
		      const struct sockaddr *to, socklen_t tolen);

ssize_t
__wrap_sendto(int fd, const void *buf, size_t len, int flags,
	      const struct sockaddr *to, socklen_t tolen)
{
	const unsigned char *p = buf;
	struct kcn_msg cn;
	ssize_t r;

	if (fd == fail_fd) {
		fail_fd = -1;
		errno = fail_errno;
		return -1;
	}
	r = __real_sendto(fd, buf, len, flags, to, tolen);

	if (len >= KCN_EVENT_OFFSET + 4 && nsent < MAX_SENT) {
		memcpy(&cn, p + KCN_NLMSG_HDRLEN, sizeof(cn));
		if (cn.idx == KCN_IDX_PROC && cn.val == KCN_VAL_PROC) {
			sent[nsent].fd = fd;
			memcpy(&sent[nsent].op, p + KCN_EVENT_OFFSET, 4);
			sent[nsent].form = cn.len;
			sent[nsent].ok = r >= 0;
			nsent++;
		}
	}
	return r;
}

static unsigned int
count(int fd, uint32_t op, bool want_fd)
{
	unsigned int i, n = 0;

	for (i = 0; i < nsent; i++)
		if (sent[i].ok && sent[i].op == op &&
		    (sent[i].fd == fd) == want_fd)
			n++;
	return n;
}

static int
reset(void **state)
{
	nsent = 0;
	return 0;
}

static struct relayfork_monitor *
new_monitor(unsigned int flags)
{
	struct relayfork_monitor *m = NULL;

	assert_int_equal(relayfork_monitor_new(flags, &m), 0);
	return m;
}

/* The probe's socket: one LISTEN, one IGNORE, both in the 8-byte form
 * that kernels before 6.6 drop whole. */
static void
assert_probe_balanced(int main_fd)
{
	unsigned int i;

	assert_int_equal(count(main_fd, KCN_MCAST_LISTEN, false), 1);
	assert_int_equal(count(main_fd, KCN_MCAST_IGNORE, false), 1);
	for (i = 0; i < nsent; i++)
		if (sent[i].fd != main_fd)
			assert_int_equal(sent[i].form, 8);
}

static void
check_cycles(unsigned int flags)
{
	struct relayfork_monitor *m = new_monitor(flags);
	int fd = relayfork_monitor_get_fd(m);
	bool legacy;
	unsigned int i;

	for (i = 1; i <= 3; i++) {
		assert_int_equal(relayfork_monitor_start(m), 0);
		assert_int_equal(relayfork_monitor_start(m), 0);
		assert_int_equal(relayfork_monitor_set_events(
					 m, RELAYFORK_EVENTS_FORK), 0);
		assert_int_equal(relayfork_monitor_stop(m), 0);
		assert_int_equal(relayfork_monitor_stop(m), 0);
		assert_int_equal(count(fd, KCN_MCAST_IGNORE, true), i);
	}
	/* Started once more, then released without stop. */
	assert_int_equal(relayfork_monitor_start(m), 0);
	legacy = relayfork_monitor_get_filter_mode(m) == RELAYFORK_FILTER_SOCKET;
	relayfork_monitor_unref(m);
	assert_int_equal(count(fd, KCN_MCAST_IGNORE, true), 4);
	if (legacy) {
		/* Legacy form (asked for, or a kernel before 6.6): every
		 * LISTEN counts, so exactly 4. */
		assert_int_equal(count(fd, KCN_MCAST_LISTEN, true), 4);
		for (i = 0; i < nsent; i++)
			if (sent[i].fd == fd)
				assert_int_equal(sent[i].form, 4);
	}
	assert_probe_balanced(fd);
}

static void
test_cycles_kernel_filter(void **state)
{
	check_cycles(0);
}

static void
test_cycles_socket_filter(void **state)
{
	check_cycles(RELAYFORK_MONITOR_NO_KERNEL_FILTER);
}

static void
test_inherited_monitor_not_unsubscribed_by_child(void **state)
{
	struct relayfork_monitor *m = new_monitor(0);
	int fd = relayfork_monitor_get_fd(m);
	pid_t child;
	int status;

	assert_int_equal(relayfork_monitor_start(m), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		nsent = 0;
		relayfork_monitor_unref(m);
		_exit(count(fd, KCN_MCAST_IGNORE, true));
	}
	status = wait_child(child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	relayfork_monitor_unref(m);
	assert_int_equal(count(fd, KCN_MCAST_IGNORE, true), 1);
}

static void
test_failed_start_sends_nothing_to_undo(void **state)
{
	pid_t child = fork();
	int status;

	assert_true(child >= 0);
	if (child == 0) {
		struct relayfork_monitor *m;
		int r;

		/* A network namespace without the connector: every send
		 * fails, so there is nothing to unsubscribe. */
		if (unshare(CLONE_NEWNET) < 0)
			_exit(100);
		m = new_monitor(0);
		r = relayfork_monitor_start(m);
		relayfork_monitor_unref(m);
		if (r != -ECONNREFUSED)
			_exit(101);
		_exit(count(-1, KCN_MCAST_IGNORE, false) +
		      count(-1, KCN_MCAST_LISTEN, false));
	}
	status = wait_child(child);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 100)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Installed filter instructions on the socket (0: none). */
static unsigned int
filter_length(int fd)
{
	socklen_t len = 0;

	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, NULL, &len), 0);
	return len;
}

/*
 * A mask change the kernel's filter must take (Linux 6.6+) fails when
 * its LISTEN cannot be sent: the old mask stays, and the socket filter
 * that went in first for the new one comes out again.
 */
static void
test_failed_mask_change_restores_filters(void **state)
{
	struct relayfork_monitor *m = new_monitor(0);
	int fd = relayfork_monitor_get_fd(m);

	assert_int_equal(relayfork_monitor_start(m), 0);
	if (relayfork_monitor_get_filter_mode(m) != RELAYFORK_FILTER_KERNEL) {
		relayfork_monitor_unref(m);
		skip(); /* no LISTEN on a mask change before 6.6 */
	}
	/* Everything: no socket filter.  Forks of processes only: the
	 * kernel cannot tell threads, a socket filter must. */
	assert_int_equal(filter_length(fd), 0);
	fail_fd = fd;
	fail_errno = EPERM;
	assert_int_equal(relayfork_monitor_set_events(
				 m, RELAYFORK_EVENTS_FORK |
					    RELAYFORK_EVENTS_SKIP_THREADS),
			 -EPERM);
	assert_int_equal(relayfork_monitor_get_events(m), RELAYFORK_EVENTS_ALL);
	assert_int_equal(filter_length(fd), 0);
	/* And the other way: from a filtered mask to everything. */
	assert_int_equal(relayfork_monitor_set_events(
				 m, RELAYFORK_EVENTS_FORK |
					    RELAYFORK_EVENTS_SKIP_THREADS),
			 0);
	assert_true(filter_length(fd) > 0);
	fail_fd = fd;
	assert_int_equal(relayfork_monitor_set_events(m, RELAYFORK_EVENTS_ALL),
			 -EPERM);
	assert_true(filter_length(fd) > 0);
	relayfork_monitor_unref(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_cycles_kernel_filter, reset),
		cmocka_unit_test_setup(test_cycles_socket_filter, reset),
		cmocka_unit_test_setup(test_inherited_monitor_not_unsubscribed_by_child,
				       reset),
		cmocka_unit_test_setup(test_failed_start_sends_nothing_to_undo,
				       reset),
		cmocka_unit_test_setup(test_failed_mask_change_restores_filters,
				       reset),
	};

	require_proc_events();
	return cmocka_run_group_tests_name("balance", tests, NULL, NULL);
}
