// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Records the raw taskstats exit messages of two known children, for the
 * decoder's tests and the fuzz corpus: it prints them as C arrays
 * between BEGIN-TS-RECORDS and END-TS-RECORDS.  Root only.  Standalone
 * on purpose (libmnl and libc only): it records what the kernel sends,
 * whatever the library makes of it, and runs in the qemu guest too
 * (tests/qemu/run.sh, RELAYFORK_QEMU_TESTS=taskstats-capture).
 *
 * The children do the same things on every machine, so that recordings
 * of different kernels decode to the same values where the fields are
 * deterministic:
 *
 *  single:  pid 4242 (clone3 set_tid), comm "rf-ts-single", uid 1234,
 *           gid 4321, reads 3000 bytes from /dev/zero and writes 10000
 *           to /dev/null, burns 50 ms of CPU time, exits with status 3;
 *  group:   comm "rf-ts-group", two threads burn 20 ms each and are
 *           joined, then the main thread burns 10 ms and exits with
 *           status 5: the last task's message, which carries the
 *           per-process aggregate (TASKSTATS_TYPE_AGGR_TGID) too.
 *
 * Usage: taskstats-capture [PREFIX]   (array names: PREFIX_single, ...)
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

#define SINGLE_PID 4242
#define TS_CMD_GET 1
#define TS_CMD_NEW 2
#define TS_TYPE_PID 1
#define TS_TYPE_AGGR_PID 4
#define TS_CMD_ATTR_REGISTER_CPUMASK 3

static void
die(const char *what)
{
	fprintf(stderr, "taskstats-capture: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
burn(unsigned int ms)
{
	uint64_t end = cpu_ns() + ms * 1000000ull;

	while (cpu_ns() < end)
		;
}

static void *
thread_burn(void *arg)
{
	burn(20);
	return NULL;
}

static void
child_single(void)
{
	static char buf[10000];
	int fd;

	prctl(PR_SET_NAME, "rf-ts-single");
	if (setresgid(4321, 4321, 4321) < 0 || setresuid(1234, 1234, 1234) < 0)
		_exit(100);
	fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, 3000) != 3000)
		_exit(101);
	close(fd);
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		_exit(102);
	close(fd);
	burn(50);
	_exit(3);
}

static void
child_group(void)
{
	pthread_t t[2];
	int i;

	prctl(PR_SET_NAME, "rf-ts-group");
	for (i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, thread_burn, NULL) != 0)
			_exit(100);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	burn(10);
	_exit(5);
}

/* fork() with pid `want` where possible (root, Linux 5.5+). */
static pid_t
fork_single(void)
{
	struct clone_args args;
	pid_t tid = SINGLE_PID;
	long r;

	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	args.set_tid = (uint64_t)(uintptr_t)&tid;
	args.set_tid_size = 1;
	r = syscall(SYS_clone3, &args, sizeof(args));
	if (r < 0)
		die("clone3 with set_tid (is pid 4242 taken?)");
	return (pid_t)r;
}

static int
resolve_family(struct mnl_socket *nl)
{
	char buf[8192];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;
	struct nlattr *attr;
	int family = -1;
	ssize_t n;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = 1;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "TASKSTATS");
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		die("send GETFAMILY");
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		die("receive GETFAMILY");
	nlh = (struct nlmsghdr *)buf;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		errno = -*(int *)mnl_nlmsg_get_payload(nlh);
		die("GETFAMILY");
	}
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID)
			family = mnl_attr_get_u16(attr);
	return family;
}

static void
read_possible(char *mask, size_t size)
{
	FILE *f = fopen("/sys/devices/system/cpu/possible", "re");

	if (!f || !fgets(mask, (int)size, f))
		die("/sys/devices/system/cpu/possible");
	fclose(f);
	mask[strcspn(mask, "\n")] = '\0';
}

static void
register_listener(struct mnl_socket *nl, int family, const char *mask)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = (uint16_t)family;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = 2;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = TS_CMD_GET;
	genl->version = 1;
	mnl_attr_put_strz(nlh, TS_CMD_ATTR_REGISTER_CPUMASK, mask);
	/* No ACK asked: failure alone answers (checked below by the
	 * records' arrival). */
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		die("send REGISTER_CPUMASK");
}

/* The pid of an exit message's AGGR_PID nest, or -1. */
static int
message_pid(const struct nlmsghdr *nlh, int family)
{
	const struct nlattr *attr, *inner;

	if (nlh->nlmsg_type != family)
		return -1;
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) != TS_TYPE_AGGR_PID)
			continue;
		mnl_attr_for_each_nested(inner, attr)
			if (mnl_attr_get_type(inner) == TS_TYPE_PID)
				return (int)mnl_attr_get_u32(inner);
	}
	return -1;
}

static void
print_array(const char *prefix, const char *name, const char *what,
	    const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	printf("/* %s */\nstatic const unsigned char %s_%s[%zu] = {", what,
	       prefix, name, len);
	for (i = 0; i < len; i++)
		printf("%s0x%02x,", i % 12 ? " " : "\n\t", p[i]);
	printf("\n};\n");
}

/* Receive until the exit message of pid has come; print it. */
static void
capture(struct mnl_socket *nl, int family, pid_t pid, const char *prefix,
	const char *name, const char *what)
{
	static char buf[65536] __attribute__((aligned(8)));
	time_t deadline = time(NULL) + 30;

	while (time(NULL) < deadline) {
		struct pollfd pfd = { .fd = mnl_socket_get_fd(nl),
				      .events = POLLIN };
		struct nlmsghdr *nlh;
		ssize_t n;
		int left;

		poll(&pfd, 1, 1000);
		n = recv(pfd.fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			die("recv");
		}
		left = (int)n;
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				errno = -*(int *)mnl_nlmsg_get_payload(nlh);
				die("REGISTER_CPUMASK");
			}
			if (message_pid(nlh, family) == pid) {
				print_array(prefix, name, what, nlh,
					    nlh->nlmsg_len);
				return;
			}
		}
	}
	fprintf(stderr, "taskstats-capture: no record for pid %d\n", (int)pid);
	exit(1);
}

int
main(int argc, char **argv)
{
	const char *prefix = argc > 1 ? argv[1] : "ts_record";
	struct mnl_socket *nl;
	struct utsname u;
	char mask[256], what[256];
	int family, size = 8 << 20, status;
	pid_t pid;

	nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die("netlink socket");
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &size,
		   sizeof(size));
	family = resolve_family(nl);
	if (family < 0)
		die("no TASKSTATS family");
	read_possible(mask, sizeof(mask));
	register_listener(nl, family, mask);
	uname(&u);

	printf("BEGIN-TS-RECORDS\n");
	printf("/* Recorded by tests/taskstats-capture on Linux %s %s, "
	       "CPU mask \"%s\". */\n", u.release, u.machine, mask);
	fflush(stdout);

	pid = fork_single();
	if (pid == 0)
		child_single();
	snprintf(what, sizeof(what), "pid %d, rf-ts-single, exit status 3",
		 (int)pid);
	capture(nl, family, pid, prefix, "single", what);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 3) {
		fprintf(stderr, "taskstats-capture: single child status %#x\n",
			status);
		return 1;
	}

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		child_group();
	snprintf(what, sizeof(what),
		 "pid %d, rf-ts-group (2 threads), exit status 5: the last "
		 "task's message, with the per-process aggregate", (int)pid);
	capture(nl, family, pid, prefix, "group", what);
	waitpid(pid, &status, 0);
	printf("END-TS-RECORDS\n");
	mnl_socket_close(nl);
	return 0;
}
