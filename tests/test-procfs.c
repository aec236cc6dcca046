// SPDX-License-Identifier: LGPL-2.1-or-later
/* The /proc parsers and the size parser, on text written by hand. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "parse-size.h"
#include "procfs.h"

static void
test_stat(void **state)
{
	/* A name with spaces and parentheses, as a program may choose. */
	const char *text =
		"4711 (a) b (c) S 1 4711 4711 0 -1 4194560 100 0 0 0 5 6 0 0 "
		"20 0 3 0 123456 1000 200 18446744073709551615 0 0 0 0\n";
	struct procfs_stat st;

	assert_int_equal(procfs_parse_stat(text, &st), 0);
	assert_string_equal(st.comm, "a) b (c");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.flags, 4194560);
	assert_int_equal(st.num_threads, 3);
	assert_int_equal(st.start_ticks, 123456);

	/* Names are cut to what fits, NUL-terminated. */
	assert_int_equal(procfs_parse_stat("1 (0123456789abcdefghij) Z 0 0 0 0 -1 "
					   "0 0 0 0 0 0 0 0 0 20 0 1 0 7",
					   &st),
			 0);
	assert_int_equal(strlen(st.comm), 15);
	assert_int_equal(st.state, 'Z');

	assert_int_equal(procfs_parse_stat("", &st), -EINVAL);
	assert_int_equal(procfs_parse_stat("1 (x S 1", &st), -EINVAL);
	assert_int_equal(procfs_parse_stat("1 x) S 1", &st), -EINVAL);
	assert_int_equal(procfs_parse_stat("1 (x) S 1 2 3", &st), -EINVAL);
}

static void
test_status(void **state)
{
	struct procfs_status s = { 0 };

	procfs_parse_status("Name:\tx\nTgid:\t42\nPid:\t43\n"
			    "Uid:\t1000\t1001\t1002\t1003\nCapEff:\t0000000000000020\n",
			    &s);
	assert_int_equal(s.found, PROCFS_STATUS_TGID | PROCFS_STATUS_UID |
					  PROCFS_STATUS_CAPEFF);
	assert_int_equal(s.tgid, 42);
	assert_int_equal(s.uid[1], 1001);
	assert_int_equal(s.uid[3], 1003);
	assert_int_equal(s.cap_eff, 0x20);

	s = (struct procfs_status){ 0 };
	procfs_parse_status("Name:\tTgid: 5\nUid: x\n", &s);
	assert_int_equal(s.found, 0);
}

static void
test_nspid(void **state)
{
	pid_t pid = 0;

	/* Three namespaces deep: the last is the task's own. */
	assert_int_equal(procfs_parse_nspid("Name:\tsh\nNSpid:\t4711\t12\t1\n"
					    "Uid:\t0\t0\t0\t0\n",
					    &pid),
			 0);
	assert_int_equal(pid, 1);
	assert_int_equal(procfs_parse_nspid("NSpid:\t4711", &pid), 0);
	assert_int_equal(pid, 4711);
	/* Nothing usable. */
	pid = 5;
	assert_int_equal(procfs_parse_nspid("NSpid:\t\n", &pid), -ENOENT);
	assert_int_equal(procfs_parse_nspid("NSpid:\t12 x\n", &pid), -ENOENT);
	assert_int_equal(procfs_parse_nspid("NSpid:\t-3\n", &pid), -ENOENT);
	assert_int_equal(procfs_parse_nspid("Name:\tNSpid: 3\n", &pid), -ENOENT);
	assert_int_equal(procfs_parse_nspid("", &pid), -ENOENT);
	assert_int_equal(pid, 5);
}

static void
test_cgroup2(void **state)
{
	const char *path;
	size_t len;

	/* A hybrid host: the v1 hierarchies, then the unified one. */
	assert_int_equal(procfs_parse_cgroup2("9:name=systemd:/user.slice\n"
					      "4:memory:/x\n"
					      "0::/user.slice/session-3.scope\n",
					      &path, &len),
			 1);
	assert_int_equal(len, strlen("/user.slice/session-3.scope"));
	assert_memory_equal(path, "/user.slice/session-3.scope", len);
	/* cgroup v2 only. */
	assert_int_equal(procfs_parse_cgroup2("0::/\n", &path, &len), 1);
	assert_int_equal(len, 1);
	/* Cut by a short read: no newline. */
	assert_int_equal(procfs_parse_cgroup2("1:cpu:/\n0::/a/b", &path, &len), 0);
	assert_int_equal(len, 4);
	/* v1 only, and a "0::" that is not at a line's start. */
	assert_int_equal(procfs_parse_cgroup2("4:memory:/x\n", &path, &len),
			 -ENOENT);
	assert_int_equal(procfs_parse_cgroup2("1:name=0::/x\n", &path, &len),
			 -ENOENT);
	assert_int_equal(procfs_parse_cgroup2("", &path, &len), -ENOENT);
}

static void
test_read_self(void **state)
{
	struct procfs_status status = { 0 };
	struct procfs_stat st;
	struct procfs_clock clock;
	int dirfd = procfs_open_pid(getpid());
	uint64_t start;

	assert_true(dirfd >= 0);
	assert_int_equal(procfs_read_stat(dirfd, "stat", &st), 0);
	assert_int_equal(st.ppid, getppid());
	assert_int_equal(procfs_read_status(dirfd, &status), 0);
	assert_int_equal(status.tgid, getpid());
	assert_int_equal(status.uid[0], getuid());
	close(dirfd);

	/* Our start time, on the monotonic scale, is in the past. */
	procfs_clock_init(&clock);
	start = procfs_clock_monotonic(&clock, st.start_ticks);
	assert_true(start > 0 && start <= procfs_now_ns());
	assert_true(procfs_clock_resolution(&clock) >= 1000000);

	assert_int_equal(procfs_open_pid(0x7ffffff0), -ESRCH);
	{
		long pid_max = 0;

		assert_int_equal(procfs_read_long("/proc/sys/kernel/pid_max",
						  &pid_max), 0);
		assert_true(pid_max >= 301);
		assert_int_equal(procfs_read_long("/proc/self/comm", &pid_max),
				 -EINVAL);
		assert_int_equal(procfs_read_long("/proc/nonexistent", &pid_max),
				 -ESRCH);
	}
	assert_true(procfs_namespace_is_initial("user") >= 0);
	{
		char mp[256];
		uint64_t ino = 0;
		struct stat nsst;

		/* Our PID namespace's inode, as stat() of the link says. */
		dirfd = procfs_open_pid(getpid());
		assert_int_equal(procfs_read_ns(dirfd, "pid", &ino), 0);
		assert_int_equal(stat("/proc/self/ns/pid", &nsst), 0);
		assert_int_equal(ino, nsst.st_ino);
		assert_int_equal(procfs_read_ns(dirfd, "nosuch", &ino), -ESRCH);
		{
			pid_t ns_pid = 0;

			assert_int_equal(procfs_read_nspid(dirfd, &ns_pid), 0);
			assert_int_equal(ns_pid, getpid());
		}
		close(dirfd);
		/* /proc is where it is; nothing is mounted as "nosuchfs". */
		assert_int_equal(procfs_find_mount("proc", mp, sizeof(mp)), 0);
		assert_string_equal(mp, "/proc");
		assert_int_equal(procfs_find_mount("nosuchfs", mp, sizeof(mp)),
				 -ENOENT);
		assert_int_equal(procfs_find_mount("proc", mp, 3), -ENAMETOOLONG);
	}
	assert_int_equal(procfs_namespace_is_initial("net"), -EINVAL);
}

/* Namespaces and liveness through a /proc/PID descriptor. */
static void
test_namespace_and_alive(void **state)
{
	struct procfs_namespace ns;
	struct procfs_stat st;
	struct stat self;
	int dirfd = procfs_open_pid(getpid());
	pid_t child;

	assert_true(dirfd >= 0);
	assert_int_equal(procfs_read_namespace(dirfd, "user", &ns), 0);
	assert_int_equal(stat("/proc/self/ns/user", &self), 0);
	assert_true(ns.dev == self.st_dev && ns.ino == self.st_ino);
	assert_int_equal(procfs_read_namespace(dirfd, "nothing", &ns), -ESRCH);
	assert_true(procfs_alive(dirfd));
	close(dirfd);

	/* A zombie has exited. */
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	dirfd = procfs_open_pid(child);
	assert_true(dirfd >= 0);
	do {
		assert_int_equal(procfs_read_stat(dirfd, "stat", &st), 0);
	} while (st.state != 'Z' && usleep(1000) == 0);
	assert_false(procfs_alive(dirfd));
	assert_int_equal(waitpid(child, NULL, 0), child);
	/* Reaped: the descriptor reads nothing, even if the pid comes back. */
	assert_false(procfs_alive(dirfd));
	close(dirfd);
}

static void
test_size(void **state)
{
	size_t v;

	assert_int_equal(parse_size("8M", &v), 0);
	assert_int_equal(v, 8u << 20);
	assert_int_equal(parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("1k", &v), 0);
	assert_int_equal(v, 1024);
	assert_int_equal(parse_size("1023M", &v), 0);
	/* The kernel doubles an int: 1 GiB is already too much. */
	assert_int_equal(parse_size("1G", &v), -EINVAL);
	assert_int_equal(parse_size("1M ", &v), -EINVAL);
	assert_int_equal(parse_size("0", &v), -EINVAL);
	assert_int_equal(parse_size("-1", &v), -EINVAL);
	assert_int_equal(parse_size(" 1", &v), -EINVAL);
	assert_int_equal(parse_size("8MB", &v), -EINVAL);
	assert_int_equal(parse_size("", &v), -EINVAL);
	assert_int_equal(parse_size("99999999999999999999", &v), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_nspid),
		cmocka_unit_test(test_cgroup2),
		cmocka_unit_test(test_read_self),
		cmocka_unit_test(test_namespace_and_alive),
		cmocka_unit_test(test_size),
	};

	return cmocka_run_group_tests_name("procfs", tests, NULL, NULL);
}
