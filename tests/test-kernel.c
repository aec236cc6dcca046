// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The monitor against the real kernel: children this test creates do
 * each thing the proc connector reports, and the events must arrive with
 * the right pids and values.  Exits 77 where the machine has no proc
 * connector (or the process cannot use it).
 */
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <linux/netlink.h>
#include <cmocka.h>

#include "datagram.h"
#include "helpers.h"

struct fixture {
	struct relayfork_monitor *m;
	struct evlog log;
};

/*
 * Does the running kernel filter per socket (Linux 6.6+)?  The library's
 * probe decides, for a monitor that may use the kernel filter; the tests
 * then assert the behaviour of that kind of kernel.  A 6.6+ kernel always
 * has the filter, so there the probe must find it (an older distribution
 * kernel may have it backported).
 */
static bool
kernel_filters(void)
{
	static int known = -1;
	struct relayfork_monitor *m;
	struct utsname u;
	int mode, major = 0, minor = 0;

	if (known >= 0)
		return known;
	m = start_monitor(0, RELAYFORK_EVENTS_ALL);
	mode = relayfork_monitor_get_filter_mode(m);
	relayfork_monitor_unref(m);
	assert_int_equal(uname(&u), 0);
	assert_int_equal(sscanf(u.release, "%d.%d", &major, &minor), 2);
	if (mode == RELAYFORK_FILTER_SOCKET) {
		if (major > 6 || (major == 6 && minor >= 6))
			fail_msg("Linux %s has the event filter, the probe "
				 "missed it", u.release);
	} else {
		assert_int_equal(mode, RELAYFORK_FILTER_KERNEL);
	}
	known = mode == RELAYFORK_FILTER_KERNEL;
	return known;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->m = start_monitor(0, RELAYFORK_EVENTS_ALL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	relayfork_monitor_unref(f->m);
	evlog_free(&f->log);
	free(f);
	return 0;
}

/* Fork a child that runs fn and exits with its return value. */
static pid_t
spawn(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn(arg));
	return pid;
}

static int
run_exit3(void *arg)
{
	execl("/bin/sh", "sh", "-c", "exit 3", (char *)NULL);
	return 127;
}

static void
test_fork_exec_exit(void **state)
{
	struct fixture *f = *state;
	const struct relayfork_event *fork_ev, *exec_ev, *exit_ev;
	pid_t child = spawn(run_exit3, NULL);
	int status;

	/* Reaped only once its exit event is in: the kernel leaves the
	 * parent out of the event when the parent has reaped the task
	 * already (a race that a slow machine loses now and then). */
	exit_ev = evlog_wait(f->m, &f->log, RELAYFORK_EVENT_EXIT, child, WAIT_MS);
	status = wait_child(child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	assert_non_null(exit_ev);
	fork_ev = evlog_find_child(&f->log, RELAYFORK_EVENT_FORK, child);
	exec_ev = evlog_find_child(&f->log, RELAYFORK_EVENT_EXEC, child);
	assert_non_null(fork_ev);
	assert_non_null(exec_ev);

	assert_int_equal(fork_ev->tgid, child);
	assert_int_equal(fork_ev->u.fork.parent_pid, getpid());
	assert_int_equal(fork_ev->u.fork.parent_tgid, getpid());
	assert_int_equal(fork_ev->flags, 0);
	assert_int_equal(exec_ev->tgid, child);
	/* Stream order for one process: fork, exec, exit. */
	assert_true(fork_ev < exec_ev && exec_ev < exit_ev);
	assert_true(fork_ev->timestamp_ns <= exec_ev->timestamp_ns);

	assert_int_equal(exit_ev->u.exit.status, status);
	assert_int_equal(exit_ev->u.exit.exited, 1);
	assert_int_equal(exit_ev->u.exit.code, 3);
	assert_int_equal(exit_ev->u.exit.signal, 0);
	assert_int_equal(exit_ev->u.exit.exit_signal, SIGCHLD);
	assert_int_equal(exit_ev->u.exit.parent_tgid, getpid());
}

static void
test_timestamp_is_monotonic_clock(void **state)
{
	struct fixture *f = *state;
	const struct relayfork_event *ev;
	struct timespec before, after;
	uint64_t b, a;
	pid_t child;

	clock_gettime(CLOCK_MONOTONIC, &before);
	child = spawn(run_exit3, NULL);
	wait_child(child);
	ev = evlog_wait(f->m, &f->log, RELAYFORK_EVENT_FORK, child, WAIT_MS);
	clock_gettime(CLOCK_MONOTONIC, &after);
	assert_non_null(ev);
	b = (uint64_t)before.tv_sec * 1000000000u + before.tv_nsec;
	a = (uint64_t)after.tv_sec * 1000000000u + after.tv_nsec;
	assert_true(ev->timestamp_ns >= b && ev->timestamp_ns <= a);
	assert_true(ev->cpu < (uint32_t)sysconf(_SC_NPROCESSORS_CONF));
}

static int
run_change_ids(void *arg)
{
	if (setresgid(1234, 1235, 1235) < 0)
		return 1;
	if (setresuid(4321, 4322, 4322) < 0)
		return 2;
	return 0;
}

static void
test_uid_gid(void **state)
{
	struct fixture *f = *state;
	const struct relayfork_event *uid, *gid;
	pid_t child = spawn(run_change_ids, NULL);

	assert_int_equal(wait_child(child), 0);
	uid = evlog_wait(f->m, &f->log, RELAYFORK_EVENT_UID, child, WAIT_MS);
	gid = evlog_find_child(&f->log, RELAYFORK_EVENT_GID, child);
	assert_non_null(uid);
	assert_non_null(gid);
	assert_int_equal(gid->u.gid.rgid, 1234);
	assert_int_equal(gid->u.gid.egid, 1235);
	assert_int_equal(uid->u.uid.ruid, 4321);
	assert_int_equal(uid->u.uid.euid, 4322);
	assert_int_equal(uid->tgid, child);
}

static int
run_setsid(void *arg)
{
	return setsid() < 0;
}

static void
test_sid(void **state)
{
	struct fixture *f = *state;
	const struct relayfork_event *ev;
	pid_t child = spawn(run_setsid, NULL);

	assert_int_equal(wait_child(child), 0);
	ev = evlog_wait(f->m, &f->log, RELAYFORK_EVENT_SID, child, WAIT_MS);
	assert_non_null(ev);
	assert_int_equal(ev->tgid, child);
}

static int
run_set_name(void *arg)
{
	return prctl(PR_SET_NAME, "rf-test-name", 0, 0, 0) < 0;
}

static void
test_comm(void **state)
{
	struct fixture *f = *state;
	const struct relayfork_event *ev;
	pid_t child = spawn(run_set_name, NULL);

	assert_int_equal(wait_child(child), 0);
	ev = evlog_wait(f->m, &f->log, RELAYFORK_EVENT_COMM, child, WAIT_MS);
	assert_non_null(ev);
	assert_string_equal(ev->u.comm.comm, "rf-test-name");
}

static int
run_sleep(void *arg)
{
	for (;;)
		pause();
	return 0;
}

static void
test_ptrace(void **state)
{
	struct fixture *f = *state;
	const struct relayfork_event *attach = NULL, *detach = NULL;
	pid_t child = spawn(run_sleep, NULL);
	int status;
	size_t i;

	assert_int_equal(ptrace(PTRACE_ATTACH, child, 0, 0), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSTOPPED(status));
	assert_int_equal(ptrace(PTRACE_DETACH, child, 0, 0), 0);
	kill(child, SIGKILL);
	wait_child(child);

	assert_non_null(evlog_wait(f->m, &f->log, RELAYFORK_EVENT_EXIT, child,
				   WAIT_MS));
	for (i = 0; i < f->log.n; i++) {
		const struct relayfork_event *ev = &f->log.ev[i];

		if (ev->type != RELAYFORK_EVENT_PTRACE || ev->pid != child)
			continue;
		if (!attach)
			attach = ev;
		else if (!detach)
			detach = ev;
	}
	assert_non_null(attach);
	assert_non_null(detach);
	assert_int_equal(attach->u.ptrace.tracer_pid, getpid());
	assert_int_equal(attach->u.ptrace.tracer_tgid, getpid());
	assert_int_equal(detach->u.ptrace.tracer_pid, 0);
	assert_int_equal(detach->u.ptrace.tracer_tgid, 0);
}

static int
run_abort(void *dir)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };

	/* Let a core be written if the system writes them, in a place we
	 * clean up. */
	if (chdir(dir) < 0)
		return 1;
	setrlimit(RLIMIT_CORE, &unlimited);
	abort();
}

static void
test_coredump(void **state)
{
	struct fixture *f = *state;
	const struct relayfork_event *core, *exit_ev;
	char dir[] = "/tmp/relayfork-core-XXXXXX";
	char cmd[128];
	pid_t child;
	int status;

	assert_non_null(mkdtemp(dir));
	child = spawn(run_abort, dir);
	status = wait_child(child);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);

	exit_ev = evlog_wait(f->m, &f->log, RELAYFORK_EVENT_EXIT, child, WAIT_MS);
	core = evlog_find_child(&f->log, RELAYFORK_EVENT_COREDUMP, child);
	assert_non_null(exit_ev);
	assert_non_null(core);
	assert_true(core < exit_ev);
	assert_int_equal(core->u.coredump.parent_tgid, getpid());
	assert_int_equal(exit_ev->u.exit.status, status);
	assert_int_equal(exit_ev->u.exit.exited, 0);
	assert_int_equal(exit_ev->u.exit.signal, SIGABRT);
	assert_int_equal(exit_ev->u.exit.core_dumped, WCOREDUMP(status) ? 1 : 0);
}

static void *
thread_main(void *arg)
{
	return NULL;
}

static int
run_thread(void *arg)
{
	pthread_t t;

	if (pthread_create(&t, NULL, thread_main, NULL) != 0)
		return 1;
	return pthread_join(t, NULL) != 0;
}

static void
test_thread(void **state)
{
	struct fixture *f = *state;
	const struct relayfork_event *thr = NULL, *thr_exit;
	pid_t child = spawn(run_thread, NULL);
	size_t i;

	assert_int_equal(wait_child(child), 0);
	assert_non_null(evlog_wait(f->m, &f->log, RELAYFORK_EVENT_EXIT, child,
				   WAIT_MS));
	for (i = 0; i < f->log.n && !thr; i++)
		if (f->log.ev[i].type == RELAYFORK_EVENT_FORK &&
		    f->log.ev[i].tgid == child && f->log.ev[i].pid != child)
			thr = &f->log.ev[i];
	assert_non_null(thr);
	assert_int_equal(thr->flags & RELAYFORK_EVENT_F_THREAD,
			 RELAYFORK_EVENT_F_THREAD);
	/* The kernel names the creating process's parent for a thread. */
	assert_int_equal(thr->u.fork.parent_tgid, getpid());

	thr_exit = evlog_find_child(&f->log, RELAYFORK_EVENT_EXIT, thr->pid);
	assert_non_null(thr_exit);
	assert_int_equal(thr_exit->tgid, child);
	assert_int_equal(thr_exit->flags & RELAYFORK_EVENT_F_THREAD,
			 RELAYFORK_EVENT_F_THREAD);
	assert_int_equal(thr_exit->u.exit.exit_signal, -1);
}

/* A workload that makes every kind of event it can without privilege
 * tricks: fork, exec, comm, sid, exit 0 and exit 1.  It writes its
 * child's pid to the pipe it is given. */
static int
run_workload(void *arg)
{
	int fd = *(int *)arg;
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_NAME, "rf-workload", 0, 0, 0);
		setsid();
		execl("/bin/sh", "sh", "-c", "exit 1", (char *)NULL);
		_exit(127);
	}
	if (write(fd, &pid, sizeof(pid)) != sizeof(pid))
		return 1;
	wait_child(pid);
	return 0;
}

/* Which event types arrived about these two processes. */
static uint32_t
types_seen_for(const struct evlog *log, pid_t a, pid_t b)
{
	uint32_t seen = 0;
	size_t i;

	for (i = 0; i < log->n; i++) {
		const struct relayfork_event *ev = &log->ev[i];

		if (ev->type != RELAYFORK_EVENT_LOST &&
		    (ev->tgid == a || ev->tgid == b))
			seen |= 1u << ev->type;
	}
	return seen;
}

/* Every event in the log, from anyone, has a type in the mask. */
static void
assert_only_types(const struct evlog *log, uint32_t mask)
{
	size_t i;

	for (i = 0; i < log->n; i++) {
		const struct relayfork_event *ev = &log->ev[i];

		if (ev->type == RELAYFORK_EVENT_LOST)
			continue;
		if (ev->type == RELAYFORK_EVENT_EXIT &&
		    !(mask & RELAYFORK_EVENTS_EXIT)) {
			assert_true(mask & RELAYFORK_EVENTS_EXIT_FAILURE);
			assert_int_not_equal(ev->u.exit.status, 0);
			continue;
		}
		assert_true(mask & (1u << ev->type));
	}
}

static void
check_filter(unsigned int flags, int expected_mode)
{
	static const uint32_t masks[] = {
		RELAYFORK_EVENTS_FORK,
		RELAYFORK_EVENTS_EXEC | RELAYFORK_EVENTS_COMM,
		RELAYFORK_EVENTS_SID | RELAYFORK_EVENTS_EXIT,
		RELAYFORK_EVENTS_EXIT_FAILURE,
		RELAYFORK_EVENTS_FORK | RELAYFORK_EVENTS_EXIT_FAILURE,
	};
	unsigned int i;

	for (i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		struct relayfork_monitor *m = start_monitor(flags, masks[i]);
		struct evlog log = { 0 };
		uint32_t want = masks[i] & RELAYFORK_EVENTS_ALL;
		pid_t child, grandchild;
		int pipefd[2];

		assert_int_equal(relayfork_monitor_get_filter_mode(m),
				 expected_mode);
		assert_int_equal(pipe(pipefd), 0);
		child = spawn(run_workload, &pipefd[1]);
		assert_int_equal(wait_child(child), 0);
		assert_int_equal(read(pipefd[0], &grandchild, sizeof(grandchild)),
				 sizeof(grandchild));
		close(pipefd[0]);
		close(pipefd[1]);
		if (masks[i] & (RELAYFORK_EVENTS_EXIT_FAILURE |
				RELAYFORK_EVENTS_EXIT))
			want |= RELAYFORK_EVENTS_EXIT;
		/* The workload ends with its grandchild's exit 1 and its
		 * own exit 0; give them time to come in. */
		evlog_collect_for(m, &log, 300);
		assert_only_types(&log, masks[i]);
		assert_int_equal(types_seen_for(&log, child, grandchild), want);
		/* Failures only: the grandchild's exit 1, not the exit 0. */
		if (!(masks[i] & RELAYFORK_EVENTS_EXIT) &&
		    (masks[i] & RELAYFORK_EVENTS_EXIT_FAILURE)) {
			assert_null(evlog_find_child(&log, RELAYFORK_EVENT_EXIT, child));
			assert_non_null(evlog_find_child(&log, RELAYFORK_EVENT_EXIT,
						   grandchild));
		}
		assert_true(relayfork_monitor_get_counter(
				    m, RELAYFORK_COUNTER_DELIVERED) >= 1);
		/* The kernel or the socket filter did the work: nothing
		 * unwanted reached the library. */
		assert_int_equal(relayfork_monitor_get_counter(
					 m, RELAYFORK_COUNTER_FILTERED), 0);
		relayfork_monitor_unref(m);
		evlog_free(&log);
	}
}

/* Without the flag: the kernel's filter where there is one, else the
 * socket filter, with the same events delivered either way. */
static void
test_filter_kernel(void **state)
{
	check_filter(0, kernel_filters() ? RELAYFORK_FILTER_KERNEL
					 : RELAYFORK_FILTER_SOCKET);
}

static void
test_filter_socket(void **state)
{
	check_filter(RELAYFORK_MONITOR_NO_KERNEL_FILTER, RELAYFORK_FILTER_SOCKET);
}

static void
check_skip_threads(unsigned int flags)
{
	struct relayfork_monitor *m =
		start_monitor(flags, RELAYFORK_EVENTS_ALL |
					     RELAYFORK_EVENTS_SKIP_THREADS);
	struct evlog log = { 0 };
	pid_t child = spawn(run_thread, NULL);
	int64_t deadline = now_ms() + WAIT_MS;
	const struct relayfork_event *end = NULL;
	size_t i;

	assert_int_equal(wait_child(child), 0);
	/* The process's end: its main thread's exit, or its thread's when
	 * that one was the last (pthread_join() returns before the kernel
	 * reports the thread's exit). */
	while (!end && now_ms() < deadline) {
		struct pollfd pfd = { .fd = relayfork_monitor_get_fd(m),
				      .events = POLLIN };

		poll(&pfd, 1, 50);
		evlog_drain(m, &log);
		for (i = 0; i < log.n && !end; i++)
			if (log.ev[i].type == RELAYFORK_EVENT_EXIT &&
			    log.ev[i].tgid == child)
				end = &log.ev[i];
	}
	assert_non_null(end);
	assert_true(end->flags & RELAYFORK_EVENT_F_PROCESS_END);
	assert_non_null(evlog_find_child(&log, RELAYFORK_EVENT_FORK, child));
	for (i = 0; i < log.n; i++) {
		const struct relayfork_event *ev = &log.ev[i];

		/* No thread's fork, and of exits only ends of processes. */
		if (ev->type == RELAYFORK_EVENT_FORK)
			assert_int_equal(ev->flags & RELAYFORK_EVENT_F_THREAD, 0);
		if (ev->type == RELAYFORK_EVENT_EXIT)
			assert_true(ev->flags & RELAYFORK_EVENT_F_PROCESS_END);
	}
	/* Taken to count threads, not delivered; nothing else dropped by
	 * the library. */
	assert_true(relayfork_monitor_get_counter(m, RELAYFORK_COUNTER_FOLLOWED) > 0);
	assert_int_equal(relayfork_monitor_get_counter(m, RELAYFORK_COUNTER_FILTERED),
			 0);
	relayfork_monitor_unref(m);
	evlog_free(&log);
}

static void
test_skip_threads(void **state)
{
	check_skip_threads(0);
	check_skip_threads(RELAYFORK_MONITOR_NO_KERNEL_FILTER);
}

static void
test_filter_change_while_running(void **state)
{
	struct relayfork_monitor *m = start_monitor(0, RELAYFORK_EVENTS_FORK);
	struct evlog log = { 0 };
	pid_t child;

	child = spawn(run_exit3, NULL);
	wait_child(child);
	assert_non_null(evlog_wait(m, &log, RELAYFORK_EVENT_FORK, child, WAIT_MS));
	evlog_collect_for(m, &log, 100);
	assert_null(evlog_find_child(&log, RELAYFORK_EVENT_EXIT, child));

	assert_int_equal(relayfork_monitor_set_events(m, RELAYFORK_EVENTS_EXIT), 0);
	assert_int_equal(relayfork_monitor_get_events(m), RELAYFORK_EVENTS_EXIT);
	evlog_drain(m, &log);
	child = spawn(run_exit3, NULL);
	wait_child(child);
	assert_non_null(evlog_wait(m, &log, RELAYFORK_EVENT_EXIT, child, WAIT_MS));
	assert_null(evlog_find_child(&log, RELAYFORK_EVENT_FORK, child));
	relayfork_monitor_unref(m);
	evlog_free(&log);
}

static int
run_unprivileged_listener(void *arg)
{
	struct relayfork_monitor *m = NULL;
	struct evlog log = { 0 };
	pid_t grandchild;
	int r;

	if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
	    setresuid(65534, 65534, 65534) < 0)
		return 10;
	r = relayfork_monitor_new(0, &m);
	if (r == 0)
		r = relayfork_monitor_start(m);
	if (r == -EACCES)
		return 77; /* a kernel before 6.6: documented behaviour */
	if (r < 0)
		return 11;
	grandchild = fork();
	if (grandchild == 0)
		_exit(0);
	wait_child(grandchild);
	r = evlog_wait(m, &log, RELAYFORK_EVENT_EXIT, grandchild, WAIT_MS) ? 0 : 12;
	relayfork_monitor_unref(m);
	evlog_free(&log);
	return r;
}

static void
test_unprivileged_listener(void **state)
{
	pid_t child;
	int status;

	if (geteuid() != 0)
		skip();
	child = spawn(run_unprivileged_listener, NULL);
	status = wait_child(child);
	assert_true(WIFEXITED(status));
	if (!kernel_filters()) {
		/* Before Linux 6.6: EACCES, and the library says why. */
		assert_int_equal(WEXITSTATUS(status), 77);
		assert_non_null(strstr(relayfork_strerror(-EACCES),
				       "CAP_NET_ADMIN"));
		return;
	}
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_forged_event_dropped(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_nl group = { .nl_family = AF_NETLINK,
				     .nl_groups = KCN_IDX_PROC };
	struct sockaddr_nl self = { .nl_family = AF_NETLINK };
	/* A believable fork of a pid that cannot exist. */
	struct dgram_event forged = { .what = KCN_EVENT_FORK,
				      .data = { 1, 1, 0x7ffffff0, 0x7ffffff0 } };
	unsigned char buf[DGRAM_EVENT_LEN];
	uint64_t foreign;
	pid_t child;
	int fd;

	foreign = relayfork_monitor_get_counter(f->m, RELAYFORK_COUNTER_FOREIGN);
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&self, sizeof(self)), 0);
	dgram_put_event(buf, &forged);
	if (sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)&group,
		   sizeof(group)) < 0) {
		close(fd);
		skip(); /* only privileged senders can forge */
	}
	close(fd);

	/* A real event queued behind the forged one still arrives. */
	child = spawn(run_exit3, NULL);
	wait_child(child);
	assert_non_null(evlog_wait(f->m, &f->log, RELAYFORK_EVENT_EXIT, child,
				   WAIT_MS));
	assert_null(evlog_find_child(&f->log, RELAYFORK_EVENT_FORK, 0x7ffffff0));
	assert_true(relayfork_monitor_get_counter(f->m, RELAYFORK_COUNTER_FOREIGN) >
		    foreign);
}

static void
test_fd_not_inherited(void **state)
{
	struct fixture *f = *state;
	int fd = relayfork_monitor_get_fd(f->m);
	char script[64];
	pid_t child;

	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	snprintf(script, sizeof(script), "test ! -e /proc/self/fd/%d", fd);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(wait_child(child), 0);
}

static int
run_start_in(void *arg)
{
	int flags = *(int *)arg;
	struct relayfork_monitor *m = NULL;
	pid_t pid;
	int r;

	if (unshare(flags) < 0)
		return 100;
	if (flags & CLONE_NEWPID) {
		/* Only children enter the new PID namespace. */
		pid = fork();
		if (pid != 0) {
			int status = wait_child(pid);

			return WIFEXITED(status) ? WEXITSTATUS(status) : 101;
		}
	}
	r = relayfork_monitor_new(0, &m);
	if (r == 0)
		r = relayfork_monitor_start(m);
	relayfork_monitor_unref(m);
	return -r;
}

static void
check_namespace(int flags, int expected_errno)
{
	pid_t child = spawn(run_start_in, &flags);
	int status = wait_child(child);

	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 100)
		skip(); /* namespaces unavailable here */
	assert_int_equal(WEXITSTATUS(status), expected_errno);
	assert_non_null(strstr(relayfork_strerror(-expected_errno), "namespace"));
}

static void
test_user_namespace_refused(void **state)
{
	check_namespace(CLONE_NEWUSER, EOPNOTSUPP);
}

static void
test_pid_namespace_refused(void **state)
{
	check_namespace(CLONE_NEWPID, EOPNOTSUPP);
}

static void
test_net_namespace_refused(void **state)
{
	check_namespace(CLONE_NEWNET, ECONNREFUSED);
}

static void
test_stop_and_restart(void **state)
{
	struct relayfork_monitor *m = start_monitor(0, RELAYFORK_EVENTS_ALL);
	struct evlog log = { 0 };
	pid_t child;

	assert_int_equal(relayfork_monitor_stop(m), 0);
	assert_int_equal(relayfork_monitor_stop(m), 0); /* idempotent */
	evlog_drain(m, &log);
	child = spawn(run_exit3, NULL);
	wait_child(child);
	evlog_collect_for(m, &log, 200);
	assert_null(evlog_find_child(&log, RELAYFORK_EVENT_FORK, child));
	assert_null(evlog_find_child(&log, RELAYFORK_EVENT_EXIT, child));

	assert_int_equal(relayfork_monitor_start(m), 0);
	assert_int_equal(relayfork_monitor_start(m), 0); /* idempotent */
	child = spawn(run_exit3, NULL);
	wait_child(child);
	assert_non_null(evlog_wait(m, &log, RELAYFORK_EVENT_EXIT, child, WAIT_MS));
	relayfork_monitor_unref(m);
	evlog_free(&log);
}

static void
test_stop_does_not_silence_others(void **state)
{
	struct relayfork_monitor *a = start_monitor(0, RELAYFORK_EVENTS_ALL);
	struct relayfork_monitor *b =
		start_monitor(RELAYFORK_MONITOR_NO_KERNEL_FILTER,
			      RELAYFORK_EVENTS_ALL);
	struct evlog log = { 0 };
	pid_t child;

	/* Before 6.6 one global count; an extra IGNORE silenced everyone. */
	assert_int_equal(relayfork_monitor_stop(a), 0);
	a = relayfork_monitor_unref(a);
	child = spawn(run_exit3, NULL);
	wait_child(child);
	assert_non_null(evlog_wait(b, &log, RELAYFORK_EVENT_EXIT, child, WAIT_MS));
	relayfork_monitor_unref(b);
	evlog_free(&log);
}

/* Read exactly n bytes within WAIT_MS; false on timeout or EOF. */
static bool
read_within(int fd, void *buf, size_t n)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, WAIT_MS) != 1)
		return false;
	return read(fd, buf, n) == (ssize_t)n;
}

/*
 * The other process of check_two_processes: its own monitor, started,
 * then (if `stop`) stopped; the parent then names a child it ran, whose
 * exit this monitor must see (still listening) or must not (stopped).
 */
static int
run_peer(unsigned int flags, bool stop, int to_parent, int from_parent)
{
	struct relayfork_monitor *m = NULL;
	struct evlog log = { 0 };
	pid_t pid;
	int r;

	if (relayfork_monitor_new(flags, &m) < 0 ||
	    relayfork_monitor_set_receive_buffer_size(m, 4 << 20) < 0 ||
	    relayfork_monitor_start(m) < 0)
		return 10;
	if (stop && relayfork_monitor_stop(m) < 0)
		return 11;
	if (write(to_parent, "r", 1) != 1)
		return 12;
	evlog_drain(m, &log);
	if (!read_within(from_parent, &pid, sizeof(pid)))
		return 13;
	if (stop) {
		evlog_collect_for(m, &log, 300);
		r = evlog_find(&log, RELAYFORK_EVENT_FORK, pid) ||
		    evlog_find(&log, RELAYFORK_EVENT_EXIT, pid) ? 14 : 0;
	} else {
		r = evlog_wait(m, &log, RELAYFORK_EVENT_EXIT, pid, WAIT_MS) ? 0 : 15;
	}
	relayfork_monitor_unref(m);
	evlog_free(&log);
	return r;
}

struct peer {
	pid_t pid;
	int to, from;
};

static struct peer
start_peer(unsigned int flags, bool stop)
{
	struct peer p;
	int down[2], up[2];
	char c;

	assert_int_equal(pipe2(down, O_CLOEXEC), 0);
	assert_int_equal(pipe2(up, O_CLOEXEC), 0);
	p.pid = fork();
	assert_true(p.pid >= 0);
	if (p.pid == 0)
		_exit(run_peer(flags, stop, up[1], down[0]));
	close(down[0]);
	close(up[1]);
	p.to = down[1];
	p.from = up[0];
	assert_true(read_within(p.from, &c, 1));
	return p;
}

/* Tell the peer which child to look for; returns its exit status. */
static int
finish_peer(struct peer *p, pid_t child)
{
	int status;

	assert_int_equal(write(p->to, &child, sizeof(child)), sizeof(child));
	status = wait_child(p->pid);
	close(p->to);
	close(p->from);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/*
 * Two listeners in two processes: stopping either leaves the other
 * receiving, and the stopped one really receives nothing more.  Before
 * Linux 6.6 the kernel keeps a single listener count for everyone (an
 * unbalanced IGNORE silences all listeners) and delivers to every
 * socket in the group (a stopped monitor must leave it).
 */
static void
check_two_processes(unsigned int flags, unsigned int peer_flags)
{
	struct relayfork_monitor *m = start_monitor(flags, RELAYFORK_EVENTS_ALL);
	struct evlog log = { 0 };
	struct peer peer;
	pid_t child;

	/* The other process stops: we go on receiving. */
	peer = start_peer(peer_flags, true);
	child = spawn(run_exit3, NULL);
	wait_child(child);
	assert_non_null(evlog_wait(m, &log, RELAYFORK_EVENT_EXIT, child, WAIT_MS));
	assert_int_equal(finish_peer(&peer, child), 0);

	/* We stop: the other process goes on receiving, we do not. */
	peer = start_peer(peer_flags, false);
	assert_int_equal(relayfork_monitor_stop(m), 0);
	evlog_drain(m, &log);
	child = spawn(run_exit3, NULL);
	wait_child(child);
	assert_int_equal(finish_peer(&peer, child), 0);
	evlog_collect_for(m, &log, 200);
	assert_null(evlog_find(&log, RELAYFORK_EVENT_FORK, child));
	assert_null(evlog_find(&log, RELAYFORK_EVENT_EXIT, child));

	/* And once both are gone, a new listener still gets events. */
	relayfork_monitor_unref(m);
	m = start_monitor(flags, RELAYFORK_EVENTS_ALL);
	child = spawn(run_exit3, NULL);
	wait_child(child);
	assert_non_null(evlog_wait(m, &log, RELAYFORK_EVENT_EXIT, child, WAIT_MS));
	relayfork_monitor_unref(m);
	evlog_free(&log);
}

static void
test_two_processes(void **state)
{
	check_two_processes(0, RELAYFORK_MONITOR_NO_KERNEL_FILTER);
	check_two_processes(RELAYFORK_MONITOR_NO_KERNEL_FILTER, 0);
}

struct dispatch_ctx {
	int calls;
	int stop_after;
	int ret;
	bool unref;
	int nested;
	int inner_receive;
	pid_t child;
	bool saw_child_exit;
};

static int
handler(struct relayfork_monitor *m, const struct relayfork_event *ev,
	void *userdata)
{
	struct dispatch_ctx *ctx = userdata;
	struct relayfork_event dummy;

	ctx->calls++;
	if (ev->type == RELAYFORK_EVENT_EXIT && ev->pid == ctx->child)
		ctx->saw_child_exit = true;
	ctx->nested = relayfork_monitor_dispatch(m, handler, userdata);
	ctx->inner_receive = relayfork_monitor_receive(m, &dummy);
	if (ctx->unref) {
		relayfork_monitor_unref(m);
		return 0;
	}
	if (ctx->calls == ctx->stop_after)
		return ctx->ret;
	return 0;
}

static void
wait_readable(struct relayfork_monitor *m)
{
	struct pollfd pfd = { .fd = relayfork_monitor_get_fd(m),
			      .events = POLLIN };

	assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
}

static void
test_dispatch_stops_and_resumes(void **state)
{
	struct relayfork_monitor *m = start_monitor(0, RELAYFORK_EVENTS_ALL);
	struct dispatch_ctx ctx = { .stop_after = 1, .ret = 42 };
	int r;

	ctx.child = spawn(run_exit3, NULL);
	wait_child(ctx.child);
	wait_readable(m);
	assert_int_equal(relayfork_monitor_dispatch(m, handler, &ctx), 42);
	assert_int_equal(ctx.calls, 1);
	assert_int_equal(ctx.nested, -EBUSY);
	assert_int_equal(ctx.inner_receive, -EBUSY);

	/* The rest is still there, child's exit included. */
	ctx.stop_after = -1;
	for (int64_t end = now_ms() + WAIT_MS;
	     !ctx.saw_child_exit && now_ms() < end;) {
		r = relayfork_monitor_dispatch(m, handler, &ctx);
		assert_int_equal(r, 0);
		if (!ctx.saw_child_exit) {
			struct pollfd pfd = { .fd = relayfork_monitor_get_fd(m),
					      .events = POLLIN };

			poll(&pfd, 1, 100);
		}
	}
	assert_true(ctx.saw_child_exit);
	assert_int_equal(relayfork_monitor_dispatch(NULL, handler, &ctx), -EINVAL);
	assert_int_equal(relayfork_monitor_dispatch(m, NULL, &ctx), -EINVAL);
	relayfork_monitor_unref(m);
}

static void
test_dispatch_handler_unrefs(void **state)
{
	struct relayfork_monitor *m = start_monitor(0, RELAYFORK_EVENTS_ALL);
	struct dispatch_ctx ctx = { .unref = true };

	ctx.child = spawn(run_exit3, NULL);
	wait_child(ctx.child);
	wait_readable(m);
	/* The handler drops the only reference: dispatch ends cleanly and
	 * the monitor is gone afterwards (ASan and valgrind check it). */
	assert_int_equal(relayfork_monitor_dispatch(m, handler, &ctx), 0);
	assert_int_equal(ctx.calls, 1);
}

/* Fork and reap n children, each pinned to the given CPU (-1: any). */
static void
storm(int n, int cpu)
{
	int i;

	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			if (cpu >= 0) {
				cpu_set_t set;

				CPU_ZERO(&set);
				CPU_SET(cpu, &set);
				sched_setaffinity(0, sizeof(set), &set);
			}
			_exit(0);
		}
		wait_child(pid);
	}
}

/*
 * A burst against the smallest buffer: the loss is reported in stream
 * order (no event after the loss comes before its report) and exactly
 * (the reports add up to every sequence number missing from what was
 * delivered, and to the socket's drop counter).
 */
static int
stop_from_handler(struct relayfork_monitor *m, const struct relayfork_event *ev,
		  void *userdata)
{
	int *calls = userdata;

	if ((*calls)++ == 0) {
		/* Both are allowed in a handler; dispatch goes on with what
		 * was received already. */
		assert_int_equal(relayfork_monitor_set_events(m,
				 RELAYFORK_EVENTS_EXIT), 0);
		assert_int_equal(relayfork_monitor_stop(m), 0);
	}
	return 0;
}

static void
test_handler_stops_monitor(void **state)
{
	struct relayfork_monitor *m = start_monitor(0, RELAYFORK_EVENTS_ALL);
	struct evlog log = { 0 };
	int calls = 0;
	pid_t child;

	child = spawn(run_exit3, NULL);
	wait_child(child);
	wait_readable(m);
	assert_int_equal(relayfork_monitor_dispatch(m, stop_from_handler, &calls), 0);
	assert_true(calls >= 1);
	/* Stopped: a new child is not reported. */
	child = spawn(run_exit3, NULL);
	wait_child(child);
	evlog_collect_for(m, &log, 200);
	assert_null(evlog_find_child(&log, RELAYFORK_EVENT_EXIT, child));
	relayfork_monitor_unref(m);
	evlog_free(&log);
}

static void
test_loss_order_and_count(void **state)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	struct relayfork_monitor *m = NULL;
	struct evlog log = { 0 };
	uint32_t *last = calloc((size_t)ncpu, sizeof(*last));
	bool *known = calloc((size_t)ncpu, sizeof(*known));
	uint64_t lost = 0, gaps = 0, meminfo[16] = { 0 };
	socklen_t len = sizeof(meminfo);
	uint32_t drops;
	bool gap_before_report = false;
	size_t i;
	int cpu;

	assert_int_equal(relayfork_monitor_new(0, &m), 0);
	/* Every CPU's first sequence number, before anything is lost: a
	 * drop before a CPU's first event would be a loss no gap shows,
	 * so the buffer is small only once every CPU is known. */
	assert_true(relayfork_monitor_set_receive_buffer_size(m, 8 << 20) > 0);
	assert_int_equal(relayfork_monitor_start(m), 0);
	for (cpu = 0; cpu < ncpu; cpu++) {
		storm(1, cpu);
		evlog_collect_for(m, &log, 20);
	}
	assert_true(relayfork_monitor_set_receive_buffer_size(m, 1) > 0);
	/* A storm in another process while this one reads in bursts: the
	 * buffer overflows again and again, and new events queue up while
	 * the backlog before each loss is read.  The storm is a shell that
	 * runs /bin/true: native speed even when this test runs under
	 * valgrind or sanitizers. */
	{
		pid_t stormer = fork();
		struct relayfork_event ev;
		int status;

		if (stormer == 0) {
			execl("/bin/sh", "sh", "-c",
			      "i=0; while [ $i -lt 300 ]; do /bin/true; "
			      "i=$((i+1)); done", (char *)NULL);
			_exit(127);
		}
		while (waitpid(stormer, &status, WNOHANG) == 0) {
			usleep(20 * 1000);
			while (relayfork_monitor_receive(m, &ev) > 0) {
				evlog_add(&log, &ev);
				usleep(100);
			}
		}
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	evlog_drain(m, &log);
	/* A buffer that the rest of the machine cannot overflow now: the
	 * losses to count are the storm's, and every one of them must show
	 * as a gap before the events below. */
	assert_true(relayfork_monitor_set_receive_buffer_size(m, 8 << 20) > 0);
	/* Make every CPU speak once more, slowly enough not to overflow,
	 * so that a loss at the very end shows as a gap too. */
	for (cpu = 0; cpu < ncpu; cpu++) {
		storm(1, cpu);
		evlog_collect_for(m, &log, 20);
	}

	for (i = 0; i < log.n; i++) {
		const struct relayfork_event *ev = &log.ev[i];

		if (ev->type == RELAYFORK_EVENT_LOST) {
			assert_true(ev->u.lost.reason == RELAYFORK_LOST_OVERFLOW ||
				    ev->u.lost.reason == RELAYFORK_LOST_SEQUENCE);
			assert_true(ev->u.lost.count > 0);
			lost += ev->u.lost.count;
			continue;
		}
		assert_true(ev->cpu < (uint32_t)ncpu);
		if (known[ev->cpu] && ev->seq != last[ev->cpu] + 1) {
			gaps += ev->seq - last[ev->cpu] - 1;
			/* A gap is only allowed once it has been reported. */
			if (gaps > lost)
				gap_before_report = true;
		}
		known[ev->cpu] = true;
		last[ev->cpu] = ev->seq;
	}
	assert_true(lost > 0);
	assert_false(gap_before_report);
	assert_int_equal(gaps, lost);
	assert_int_equal(relayfork_monitor_get_counter(m, RELAYFORK_COUNTER_LOST),
			 lost);
	assert_int_equal(getsockopt(relayfork_monitor_get_fd(m), SOL_SOCKET,
				    55 /* SO_MEMINFO */, meminfo, &len), 0);
	memcpy(&drops, (char *)meminfo + 8 * sizeof(uint32_t), sizeof(drops));
	assert_int_equal(drops, lost);
	relayfork_monitor_unref(m);
	evlog_free(&log);
	free(last);
	free(known);
}

static int
stop_at_exit(struct relayfork_monitor *m, const struct relayfork_event *ev,
	     void *userdata)
{
	pid_t *child = userdata;

	return ev->type == RELAYFORK_EVENT_EXIT && ev->pid == *child ? 5 : 0;
}

static int
unref_and_go_on(struct relayfork_monitor *m, const struct relayfork_event *ev,
		void *userdata)
{
	int *calls = userdata;

	if ((*calls)++ == 0)
		relayfork_monitor_unref(m);
	return 0;
}

static void
test_wait_and_run(void **state)
{
	struct relayfork_monitor *m = NULL;
	pid_t child;
	int calls = 0;

	assert_int_equal(relayfork_monitor_new(0, &m), 0);
	/* Not subscribed: nothing comes. */
	assert_int_equal(relayfork_monitor_wait(m, 0), 0);
	assert_int_equal(relayfork_monitor_wait(m, 30), 0);
	assert_int_equal(relayfork_monitor_set_coalesce_delay(m, 1000001), -EINVAL);
	assert_int_equal(relayfork_monitor_set_coalesce_delay(m, 0), 0);
	assert_int_equal(relayfork_monitor_set_coalesce_delay(m, 2000), 0);
	assert_int_equal(relayfork_monitor_start(m), 0);

	child = spawn(run_exit3, NULL);
	wait_child(child);
	assert_int_equal(relayfork_monitor_wait(m, WAIT_MS), 1);
	/* Runs until the handler says stop, and returns its value. */
	assert_int_equal(relayfork_monitor_run(m, stop_at_exit, &child), 5);
	assert_int_equal(relayfork_monitor_run(NULL, stop_at_exit, &child), -EINVAL);
	assert_int_equal(relayfork_monitor_run(m, NULL, NULL), -EINVAL);

	/* A handler that drops the last reference ends the loop. */
	child = spawn(run_exit3, NULL);
	wait_child(child);
	assert_int_equal(relayfork_monitor_run(m, unref_and_go_on, &calls), 0);
	assert_int_equal(calls, 1);
}

static void
log_fn(struct relayfork_monitor *m, int priority, const char *fmt, va_list args,
       void *userdata)
{
	int *count = userdata;

	(*count)++;
}

static void
test_log_function(void **state)
{
	struct relayfork_monitor *m = NULL;
	int count = 0;

	assert_int_equal(relayfork_monitor_new(0, &m), 0);
	relayfork_monitor_set_log_fn(m, log_fn, &count);
	relayfork_monitor_set_log_priority(m, RELAYFORK_LOG_DEBUG);
	assert_int_equal(relayfork_monitor_start(m), 0);
	assert_true(count > 0);
	relayfork_monitor_unref(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fork_exec_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timestamp_is_monotonic_clock,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_uid_gid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_comm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ptrace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_coredump, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread, setup, teardown),
		cmocka_unit_test(test_filter_kernel),
		cmocka_unit_test(test_filter_socket),
		cmocka_unit_test(test_filter_change_while_running),
		cmocka_unit_test(test_skip_threads),
		cmocka_unit_test(test_unprivileged_listener),
		cmocka_unit_test_setup_teardown(test_forged_event_dropped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fd_not_inherited, setup,
						teardown),
		cmocka_unit_test(test_user_namespace_refused),
		cmocka_unit_test(test_pid_namespace_refused),
		cmocka_unit_test(test_net_namespace_refused),
		cmocka_unit_test(test_stop_and_restart),
		cmocka_unit_test(test_stop_does_not_silence_others),
		cmocka_unit_test(test_two_processes),
		cmocka_unit_test(test_dispatch_stops_and_resumes),
		cmocka_unit_test(test_dispatch_handler_unrefs),
		cmocka_unit_test(test_handler_stops_monitor),
		cmocka_unit_test(test_loss_order_and_count),
		cmocka_unit_test(test_wait_and_run),
		cmocka_unit_test(test_log_function),
	};

	require_proc_events();
	return cmocka_run_group_tests_name("kernel", tests, NULL, NULL);
}
