// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * relayforkd end to end: a real FUSE mount, real receivers, real
 * signals.  Usage: test-relayforkd PATH-TO-RELAYFORKD.  Exits 77 when the
 * machine cannot mount FUSE filesystems or deliver process events.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <cmocka.h>

#include "helpers.h"

/* Debian 12's headers predate it. */
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* What relayforkd -v logs when it starts or stops listening. */
#define LOG_SUBSCRIBED "relayforkd: subscribed"
#define LOG_UNSUBSCRIBED "relayforkd: unsubscribed"

static const char *daemon_path;

struct daemon {
	char dir[64];
	pid_t pid;
	char processes[96], signal[96], stats[96], log[96];
};

/* Daemons still running, stopped at exit even when a test failed (a
 * failed test leaves its frame, so copies are kept, not pointers). */
static struct {
	pid_t pid;
	char dir[64];
	bool group; /* a group's, stopped by its teardown */
} running[8];

static bool
is_mounted(const char *dir)
{
	char line[512], mnt[256], type[64];
	bool found = false;
	FILE *f = fopen("/proc/self/mounts", "re");

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %255s %63s", mnt, type) == 2 &&
			strcmp(mnt, dir) == 0 &&
			strcmp(type, "fuse.relayfork") == 0;
	fclose(f);
	return found;
}

/* Mounted and answering (a crashed daemon's mount is listed but dead). */
static bool
is_served(const struct daemon *d)
{
	int fd;

	if (!is_mounted(d->dir))
		return false;
	fd = open(d->processes, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void
wait_served(const struct daemon *d)
{
	int64_t deadline = now_ms() + WAIT_MS;

	while (!is_served(d) && now_ms() < deadline)
		usleep(10 * 1000);
	assert_true(is_served(d));
}

/* Stop the daemons left running (a test's only, or all). */
static void
stop_daemons(bool all)
{
	char log[96];
	unsigned int i;

	for (i = 0; i < sizeof(running) / sizeof(running[0]); i++) {
		if (!running[i].pid || (running[i].group && !all))
			continue;
		kill(running[i].pid, SIGKILL);
		waitpid(running[i].pid, NULL, 0);
		umount2(running[i].dir, MNT_DETACH);
		rmdir(running[i].dir);
		/* Named as in daemon_start_at(). */
		snprintf(log, sizeof(log), "%s.log", running[i].dir);
		unlink(log);
		running[i].pid = 0;
		running[i].group = false;
	}
}

static void
stop_leftover_daemons(void)
{
	stop_daemons(true);
}

static void
track(struct daemon *d, bool on)
{
	unsigned int i;

	for (i = 0; i < sizeof(running) / sizeof(running[0]); i++) {
		if (on && !running[i].pid) {
			running[i].pid = d->pid;
			snprintf(running[i].dir, sizeof(running[i].dir), "%s",
				 d->dir);
			return;
		}
		if (!on && running[i].pid == d->pid) {
			running[i].pid = 0;
			running[i].group = false;
		}
	}
}

/* Start relayforkd on dir (made if NULL) with extra arguments. */
static void
daemon_start_at(struct daemon *d, const char *extra)
{
	char cmd[512];

	if (!d->dir[0]) {
		strcpy(d->dir, "/tmp/relayforkd-test-XXXXXX");
		assert_non_null(mkdtemp(d->dir));
	}
	snprintf(d->processes, sizeof(d->processes), "%s/processes", d->dir);
	snprintf(d->signal, sizeof(d->signal), "%s/signal", d->dir);
	snprintf(d->stats, sizeof(d->stats), "%s/stats", d->dir);
	snprintf(d->log, sizeof(d->log), "%s.log", d->dir);
	/* Its output goes to a file: a daemon left behind must not hold
	 * the test's output open. */
	snprintf(cmd, sizeof(cmd), "exec %s -v %s%s %s </dev/null >>%s 2>&1",
		 daemon_path,
		 strcmp(d->dir, "/run/relayfork") ? "-m " : "",
		 strcmp(d->dir, "/run/relayfork") ? d->dir : "",
		 extra ? extra : "", d->log);
	d->pid = fork();
	assert_true(d->pid >= 0);
	if (d->pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	track(d, true);
	wait_served(d);
}

static void
daemon_stop_with(struct daemon *d, int sig)
{
	int status;

	kill(d->pid, sig);
	status = wait_child(d->pid);
	track(d, false);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* A clean stop unmounts. */
	assert_false(is_mounted(d->dir));
	rmdir(d->dir);
	unlink(d->log);
}

static void
daemon_stop(struct daemon *d)
{
	daemon_stop_with(d, SIGTERM);
}

/*
 * Write all of len bytes as stdio does: a short write is followed by
 * another with the rest.  0 or -errno of the write that failed.
 */
static int
write_all(int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, text, len);

		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Open, write, close: the write's error, or close's (the processes
 * file applies an incomplete last line at close). */
static int
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = write_all(fd, text, strlen(text));
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/* The whole file as a string (static buffer). */
static const char *
read_file(const char *path)
{
	static char buf[65536];
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* How many lines of the daemon's log start with prefix. */
static int
log_count(const struct daemon *d, const char *prefix)
{
	FILE *f = fopen(d->log, "re");
	char *line = NULL;
	size_t cap = 0;
	int n = 0;

	assert_non_null(f);
	while (getline(&line, &cap, f) > 0)
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			n++;
	free(line);
	fclose(f);
	return n;
}

/* Wait up to ms until the log has count lines starting with prefix. */
static bool
log_wait(const struct daemon *d, const char *prefix, int count, int ms)
{
	int64_t deadline = now_ms() + ms;

	while (log_count(d, prefix) < count && now_ms() < deadline)
		usleep(20 * 1000);
	return log_count(d, prefix) >= count;
}

/*
 * The receive buffer of the daemon's proc connector socket, as the
 * kernel keeps it (twice what was asked), read through a copy of the
 * socket taken with pidfd_getfd(2).  Asserts that there is one such
 * socket.  -ENOSYS where there are no pidfds (under valgrind).
 */
static int
daemon_rcvbuf(const struct daemon *d)
{
	char dir[64], target[64];
	struct dirent *de;
	int pidfd, found = 0, rcvbuf = -1;
	DIR *fds;

	pidfd = (int)syscall(SYS_pidfd_open, d->pid, 0);
	if (pidfd < 0 && errno == ENOSYS)
		return -ENOSYS;
	assert_true(pidfd >= 0);
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)d->pid);
	fds = opendir(dir);
	assert_non_null(fds);
	while ((de = readdir(fds))) {
		int fd, domain = 0, protocol = 0, size = 0;
		socklen_t len = sizeof(int);
		ssize_t n;

		n = readlinkat(dirfd(fds), de->d_name, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, "socket:", 7) != 0)
			continue;
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(de->d_name), 0);
		assert_true(fd >= 0);
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 &&
		    domain == AF_NETLINK &&
		    getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) == 0 &&
		    protocol == NETLINK_CONNECTOR &&
		    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &len) == 0) {
			found++;
			rcvbuf = size;
		}
		close(fd);
	}
	closedir(fds);
	close(pidfd);
	assert_int_equal(found, 1);
	return rcvbuf;
}

/* Write "PID\n", or "-PID\n" to unregister. */
static int
write_pid(const char *path, bool remove, pid_t pid)
{
	char text[64];

	snprintf(text, sizeof(text), "%s%d\n", remove ? "-" : "", (int)pid);
	return write_file(path, text);
}

/* Fork a short-lived child; returns its pid after reaping it. */
static pid_t
fork_and_reap(void)
{
	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	wait_child(child);
	return child;
}

/* A pid in range that no task has right now. */
static pid_t
free_pid(void)
{
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");
	long max = 32768;
	pid_t pid;

	if (f) {
		assert_int_equal(fscanf(f, "%ld", &max), 1);
		fclose(f);
	}
	for (pid = (pid_t)max - 1; pid > 300; pid--)
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return pid;
	fail();
	return -1;
}

static void
daemon_mark_group(const struct daemon *d)
{
	unsigned int i;

	for (i = 0; i < sizeof(running) / sizeof(running[0]); i++)
		if (running[i].pid == d->pid)
			running[i].group = true;
}

static int
group_setup(void **state)
{
	struct daemon *d = calloc(1, sizeof(*d));

	daemon_start_at(d, NULL);
	daemon_mark_group(d);
	*state = d;
	return 0;
}

static int
group_setup_user_writes(void **state)
{
	struct daemon *d = calloc(1, sizeof(*d));

	daemon_start_at(d, "--allow-user-writes");
	daemon_mark_group(d);
	*state = d;
	return 0;
}

static int
group_teardown(void **state)
{
	struct daemon *d = *state;

	daemon_stop(d);
	free(d);
	return 0;
}

/* The register-yourself-then-fork scenario, in a receiver process that
 * reports what sigwaitinfo() returned. */
struct report {
	int signo, errno_, code, pid, value;
	pid_t self, child;
};

static void
test_receiver_gets_exact_siginfo(void **state)
{
	struct daemon *d = *state;
	struct report rep;
	int out[2];
	pid_t receiver;

	assert_int_equal(pipe(out), 0);
	receiver = fork();
	assert_true(receiver >= 0);
	if (receiver == 0) {
		sigset_t set;
		siginfo_t si;

		sigemptyset(&set);
		sigaddset(&set, SIGRTMIN);
		sigprocmask(SIG_BLOCK, &set, NULL);
		if (write_pid(d->processes, false, getpid()) < 0)
			_exit(1);
		memset(&rep, 0, sizeof(rep));
		rep.self = getpid();
		rep.child = fork();
		if (rep.child == 0)
			_exit(0);
		/* Every fork in the system is forwarded: find ours. */
		for (;;) {
			if (wait_signal(&set, &si, WAIT_MS) < 0)
				_exit(2);
			if (si.si_value.sival_int == rep.child)
				break;
		}
		rep.signo = si.si_signo;
		rep.errno_ = si.si_errno;
		rep.code = si.si_code;
		rep.pid = si.si_pid;
		rep.value = si.si_value.sival_int;
		if (write(out[1], &rep, sizeof(rep)) != sizeof(rep))
			_exit(3);
		_exit(0);
	}
	close(out[1]);
	assert_int_equal(read(out[0], &rep, sizeof(rep)), sizeof(rep));
	close(out[0]);
	assert_int_equal(wait_child(receiver), 0);

	assert_int_equal(rep.signo, SIGRTMIN);
	assert_int_equal(rep.errno_, 0);
	assert_int_equal(rep.code, SI_ASYNCIO);
	assert_int_equal(rep.pid, rep.self);
	assert_int_equal(rep.value, rep.child);
}

static void
test_two_receivers_then_unregister(void **state)
{
	struct daemon *d = *state;
	char text[64], expect[64];
	int ra, rb, rc;
	pid_t a = start_receiver(SIGRTMIN, &ra);
	pid_t b = start_receiver(SIGRTMIN, &rb);
	pid_t c = start_receiver(SIGRTMIN, &rc);
	pid_t x;

	/* One write, several lines. */
	snprintf(text, sizeof(text), "%d\n%d\n", (int)a, (int)b);
	assert_int_equal(write_file(d->processes, text), 0);
	snprintf(expect, sizeof(expect), "%d %d \n", (int)a, (int)b);
	assert_string_equal(read_file(d->processes), expect);

	x = fork_and_reap();
	assert_true(receiver_got(ra, x, WAIT_MS));
	assert_true(receiver_got(rb, x, WAIT_MS));
	assert_false(receiver_got(rc, x, 300)); /* not registered */

	assert_int_equal(write_pid(d->processes, true, a), 0);
	x = fork_and_reap();
	assert_true(receiver_got(rb, x, WAIT_MS));
	assert_false(receiver_got(ra, x, 300));

	assert_int_equal(write_pid(d->processes, true, b), 0);
	assert_string_equal(read_file(d->processes), "\n");
	stop_receiver(a, ra);
	stop_receiver(b, rb);
	stop_receiver(c, rc);
}

static void
test_exited_target_and_reused_pid(void **state)
{
	struct daemon *d = *state;
	pid_t old, reuse;
	int status, r, rx;

	old = start_receiver(SIGRTMIN, &rx);
	assert_int_equal(write_pid(d->processes, false, old), 0);
	stop_receiver(old, rx);
	/* Gone from the list once it is gone from the system. */
	assert_string_equal(read_file(d->processes), "\n");

	/* The same pid for a process that does not block the signal: if
	 * the daemon still signalled that pid, it would die. */
	reuse = fork_with_pid(old);
	if (reuse == -EEXIST || reuse == -EBUSY)
		skip();
	assert_true(reuse >= 0);
	if (reuse == 0) {
		usleep(400 * 1000);
		_exit(7);
	}
	fork_and_reap();
	status = wait_child(reuse);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
	r = write_pid(d->processes, true, old);
	assert_int_equal(r, 0); /* unregistering the unregistered: no-op */
}

static void
test_signal_change_takes_effect(void **state)
{
	struct daemon *d = *state;
	int rx;
	pid_t recv40, x;
	char num[16];

	assert_int_equal(write_file(d->signal, "40\n"), 0);
	assert_string_equal(read_file(d->signal), "40\n");
	recv40 = start_receiver(40, &rx);
	assert_int_equal(write_pid(d->processes, false, recv40), 0);
	x = fork_and_reap();
	assert_true(receiver_got(rx, x, WAIT_MS));
	stop_receiver(recv40, rx);

	snprintf(num, sizeof(num), "%d", SIGRTMIN);
	assert_int_equal(write_file(d->signal, num), 0);
	snprintf(num, sizeof(num), "%d\n", SIGRTMIN);
	assert_string_equal(read_file(d->signal), num);
}

static void
test_bad_writes_change_nothing(void **state)
{
	struct daemon *d = *state;
	static const char *const bad_pids[] = {
		"abc", "\n", " \t ", "0", "-0", "+", "-", "12abc", "1 2x",
		"99999999999", "4194305", "--5", "0x10", "1.5",
	};
	static const char *const bad_signals[] = {
		"abc", "\n", "0", "31", "33", "65", "-34", "34 35", "9",
	};
	char before[256], text[128];
	int receiver, r;
	unsigned int i;
	pid_t a;

	a = start_receiver(SIGRTMIN, &receiver);
	assert_int_equal(write_pid(d->processes, false, a), 0);
	snprintf(before, sizeof(before), "%s", read_file(d->processes));

	for (i = 0; i < sizeof(bad_pids) / sizeof(bad_pids[0]); i++) {
		assert_int_equal(write_file(d->processes, bad_pids[i]), -EINVAL);
		assert_string_equal(read_file(d->processes), before);
	}
	/* A pid no process has. */
	snprintf(text, sizeof(text), "%d", (int)free_pid());
	assert_int_equal(write_file(d->processes, text), -ESRCH);
	/* One bad request spoils its whole line. */
	snprintf(text, sizeof(text), "%d %d\n", (int)getpid(), (int)free_pid());
	assert_int_equal(write_file(d->processes, text), -ESRCH);
	snprintf(text, sizeof(text), "-%d xyz\n", (int)a);
	assert_int_equal(write_file(d->processes, text), -EINVAL);
	/* A pid twice in a line. */
	snprintf(text, sizeof(text), "%d -%d\n", (int)a, (int)a);
	assert_int_equal(write_file(d->processes, text), -EINVAL);
	assert_string_equal(read_file(d->processes), before);

	for (i = 0; i < sizeof(bad_signals) / sizeof(bad_signals[0]); i++) {
		r = write_file(d->signal, bad_signals[i]);
		assert_int_equal(r, -EINVAL);
	}
	snprintf(text, sizeof(text), "%d\n", SIGRTMIN);
	assert_string_equal(read_file(d->signal), text);

	assert_int_equal(write_file(d->stats, "1"), -EACCES);
	assert_int_equal(open(d->stats, O_RDWR), -1);
	snprintf(text, sizeof(text), "%s/nothing", d->dir);
	assert_int_equal(open(text, O_RDONLY), -1);
	assert_int_equal(errno, ENOENT);

	assert_int_equal(write_pid(d->processes, true, a), 0);
	stop_receiver(a, receiver);
}

/*
 * The 2005 announcement's commands, verbatim, against the default mount
 * point: pid 123 is made to exist for the occasion when it is free.
 */
static void
test_seed_examples_verbatim(void **state)
{
	static const char script[] =
		"set -e\n"
		"echo 123 > /run/relayfork/processes\n"
		"cat /run/relayfork/processes\n"
		"echo -123 > /run/relayfork/processes\n"
		"echo 40 > /run/relayfork/signal\n"
		"cat /run/relayfork/signal\n"
		"cat /run/relayfork/processes\n";
	struct daemon d = { .dir = "/run/relayfork" };
	const char *out;
	char cmd[256];
	pid_t parent = getpid(), p123;
	int status;

	if (is_mounted(d.dir))
		skip(); /* a relayforkd of the system's own is running */
	p123 = fork_with_pid(123);
	if (p123 == -EEXIST || p123 == -EBUSY)
		skip(); /* pid 123 is taken on this machine */
	assert_true(p123 >= 0);
	if (p123 == 0) {
		sigset_t set;

		die_with_parent(parent);
		sigemptyset(&set);
		sigaddset(&set, SIGRTMIN);
		sigaddset(&set, 40);
		sigprocmask(SIG_BLOCK, &set, NULL);
		pause();
		_exit(0);
	}
	daemon_start_at(&d, NULL);
	snprintf(cmd, sizeof(cmd), "%s.out", d.dir);
	{
		FILE *f = popen("sh", "w");
		char redirect[300];

		assert_non_null(f);
		snprintf(redirect, sizeof(redirect), "exec > %s\n", cmd);
		fputs(redirect, f);
		fputs(script, f);
		status = pclose(f);
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	out = read_file(cmd);
	assert_string_equal(out, "123 \n40\n\n");
	unlink(cmd);
	kill(p123, SIGKILL);
	wait_child(p123);
	daemon_stop(&d);
}

static void
test_full_queue_counted(void **state)
{
	struct daemon *d = *state;
	int rb;
	pid_t slow, b, x = 0;
	char line[128];
	const char *stats;
	unsigned long long sent = 0, dropped = 0;
	int i;

	slow = start_slow_receiver(SIGRTMIN, 4252, 3);
	b = start_receiver(SIGRTMIN, &rb);
	snprintf(line, sizeof(line), "%d\n%d\n", (int)slow, (int)b);
	assert_int_equal(write_file(d->processes, line), 0);

	for (i = 0; i < 10; i++)
		x = fork_and_reap();
	/* The other receiver is served all along. */
	assert_true(receiver_got(rb, x, WAIT_MS));

	stats = read_file(d->stats);
	snprintf(line, sizeof(line), "target %d ", (int)slow);
	{
		const char *p = strstr(stats, line);

		assert_non_null(p);
		assert_int_equal(sscanf(p + strlen(line), "sent %llu dropped %llu",
					&sent, &dropped), 2);
	}
	assert_int_equal(sent, 3);
	assert_true(dropped >= 7);
	assert_non_null(strstr(stats, "signals_dropped "));
	kill(slow, SIGKILL);
	wait_child(slow);
	stop_receiver(b, rb);
	assert_string_equal(read_file(d->processes), "\n");
}

/* Run fn as an unprivileged user; returns its exit status. */
static int
as_user(uid_t uid, int (*fn)(struct daemon *, void *), struct daemon *d,
	void *arg)
{
	pid_t child = fork();
	int status;

	assert_true(child >= 0);
	if (child == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			_exit(100);
		_exit(fn(d, arg));
	}
	status = wait_child(child);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int
user_cannot_write(struct daemon *d, void *arg)
{
	if (write_pid(d->processes, false, getpid()) != -EACCES)
		return 1;
	if (write_file(d->signal, "40") != -EACCES)
		return 2;
	/* Reading is for everyone. */
	if (strcmp(read_file(d->signal), "") == 0)
		return 3;
	return 0;
}

static void
test_users_cannot_write_by_default(void **state)
{
	assert_int_equal(as_user(4260, user_cannot_write, *state, NULL), 0);
}

static int
user_registers_own(struct daemon *d, void *arg)
{
	pid_t root_pid = *(pid_t *)arg;
	pid_t own = fork();
	char expect[32];
	int r = 0;

	if (own == 0) {
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGRTMIN);
		sigprocmask(SIG_BLOCK, &set, NULL);
		pause();
		_exit(0);
	}
	if (write_pid(d->processes, false, own) != 0)
		r = 1;
	else if (write_pid(d->processes, false, root_pid) != -EPERM)
		r = 2;
	else if (write_pid(d->processes, false, 1) != -EPERM)
		r = 3;
	else if (write_file(d->signal, "40") != -EACCES)
		r = 4;
	snprintf(expect, sizeof(expect), "%d \n", (int)own);
	if (r == 0 && strcmp(read_file(d->processes), expect) != 0)
		r = 5;
	if (r == 0 && write_pid(d->processes, true, own) != 0)
		r = 6;
	kill(own, SIGKILL);
	wait_child(own);
	return r;
}

static void
test_user_writes_own_processes_only(void **state)
{
	struct daemon *d = *state;
	pid_t root_proc = fork_tied();

	if (root_proc == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(as_user(4261, user_registers_own, d, &root_proc), 0);
	/* Root's process cannot be unregistered by that user either. */
	kill(root_proc, SIGKILL);
	wait_child(root_proc);
	assert_string_equal(read_file(d->processes), "\n");
}

static void
test_stale_mount_recovered(void **state)
{
	struct daemon d = { 0 };
	int status;

	daemon_start_at(&d, NULL);
	kill(d.pid, SIGKILL);
	wait_child(d.pid);
	track(&d, false);
	/* What a crash leaves: a mount nobody serves. */
	assert_true(is_mounted(d.dir));
	assert_int_equal(open(d.processes, O_RDONLY), -1);
	assert_int_equal(errno, ENOTCONN);

	daemon_start_at(&d, NULL);
	assert_string_equal(read_file(d.processes), "\n");

	/* A second daemon on a served mount point refuses to start. */
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "%s -m %s 2>/dev/null", daemon_path,
			 d.dir);
		status = system(cmd);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 1);
	}
	daemon_stop(&d);
}

static void
test_lost_events_counted(void **state)
{
	struct daemon d = { 0 };
	const char *stats;
	unsigned long long lost = 0;
	int rx, i;
	pid_t a;

	/* The smallest buffer: a burst of forks overflows it. */
	daemon_start_at(&d, "--buffer 1");
	a = start_receiver(SIGRTMIN, &rx);
	assert_int_equal(write_pid(d.processes, false, a), 0);
	/* Stop the daemon reading while the burst queues up. */
	kill(d.pid, SIGSTOP);
	for (i = 0; i < 300; i++)
		fork_and_reap();
	kill(d.pid, SIGCONT);
	for (int64_t end = now_ms() + WAIT_MS; now_ms() < end && lost == 0;) {
		const char *p;

		stats = read_file(d.stats);
		p = strstr(stats, "events_lost ");
		assert_non_null(p);
		sscanf(p, "events_lost %llu", &lost);
		if (lost == 0)
			usleep(50 * 1000);
	}
	assert_true(lost > 0);
	stop_receiver(a, rx);
	daemon_stop_with(&d, SIGINT);
}

/*
 * Subscribed exactly while there are targets: when the last one exits,
 * the daemon stops listening by itself, with nobody reading or writing
 * its files (before, only a request made it notice).
 */
static void
test_unsubscribes_when_last_target_exits(void **state)
{
	struct daemon d = { 0 };
	int ra, rb;
	pid_t a, b, x;

	daemon_start_at(&d, NULL);
	/* Idle: not listening. */
	assert_int_equal(log_count(&d, LOG_SUBSCRIBED), 0);

	a = start_receiver(SIGRTMIN, &ra);
	assert_int_equal(write_pid(d.processes, false, a), 0);
	/* The write is answered after the daemon subscribed. */
	assert_int_equal(log_count(&d, LOG_SUBSCRIBED), 1);
	x = fork_and_reap();
	assert_true(receiver_got(ra, x, WAIT_MS));

	/* Killed and reaped; from here on no file is touched. */
	stop_receiver(a, ra);
	assert_true(log_wait(&d, LOG_UNSUBSCRIBED, 1, WAIT_MS));
	assert_int_equal(log_count(&d, LOG_SUBSCRIBED), 1);

	/* A new target: listening again, and forks reach it. */
	b = start_receiver(SIGRTMIN, &rb);
	assert_int_equal(write_pid(d.processes, false, b), 0);
	assert_int_equal(log_count(&d, LOG_SUBSCRIBED), 2);
	x = fork_and_reap();
	assert_true(receiver_got(rb, x, WAIT_MS));

	/* Unregistering the last target stops listening too. */
	assert_int_equal(write_pid(d.processes, true, b), 0);
	assert_int_equal(log_count(&d, LOG_UNSUBSCRIBED), 2);
	assert_int_equal(log_count(&d, LOG_SUBSCRIBED), 2);
	stop_receiver(b, rb);
	daemon_stop(&d);
}

static int
run_options(const char *args)
{
	char cmd[256];
	int status;

	snprintf(cmd, sizeof(cmd), "%s %s >/dev/null 2>&1", daemon_path, args);
	status = system(cmd);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void
test_options(void **state)
{
	assert_int_equal(run_options("--help"), 0);
	assert_int_equal(run_options("--version"), 0);
	assert_int_equal(run_options("--no-such-option"), 2);
	assert_int_equal(run_options("--signal 33"), 2);
	assert_int_equal(run_options("--signal abc"), 2);
	assert_int_equal(run_options("-m relative/path"), 2);
	assert_int_equal(run_options("extra-argument"), 2);
	assert_int_equal(run_options("--max-per-user 0"), 2);
	assert_int_equal(run_options("--max-targets x"), 2);
	assert_int_equal(run_options("--max-targets 99999999999"), 2);
}

/*
 * Run the daemon with args on a mount point of its own; returns its exit
 * status with its standard error in err.  One that should have refused
 * to start is stopped by timeout(1) rather than left serving.
 */
static int
run_options_stderr(const char *args, char *err, size_t size)
{
	char dir[] = "/tmp/relayforkd-test-XXXXXX", mnt[64], cmd[512];
	size_t len = 0, n;
	int status;
	FILE *p;

	assert_non_null(mkdtemp(dir));
	snprintf(mnt, sizeof(mnt), "%s/mnt", dir);
	snprintf(cmd, sizeof(cmd), "timeout 10 %s -m %s %s 2>&1 >/dev/null",
		 daemon_path, mnt, args);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (len < size - 1 && (n = fread(err + len, 1, size - 1 - len, p)) > 0)
		len += n;
	err[len] = '\0';
	status = pclose(p);
	rmdir(mnt);
	rmdir(dir);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/*
 * --buffer takes forkwatch's sizes: bytes or K, M, G (powers of 1024),
 * at most INT_MAX / 2 because the kernel doubles the int it is given.
 */
static void
test_buffer_sizes(void **state)
{
	static const struct {
		const char *arg;
		int rcvbuf;
	} good[] = {
		{ NULL, 16 << 20 }, /* the default, 8M */
		{ "--buffer 4096", 8192 },
		{ "--buffer 8M", 16 << 20 },
		{ "--buffer 64k", 128 << 10 },
		{ "--buffer 1023M", 2 * (1023 << 20) },
	};
	static const char *const bad[] = {
		"8MB", "0", "-1", "1G", "1024M", "1073741824", "8 M", "M", "",
	};
	char args[64], err[512];
	unsigned int i;
	int r;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct daemon d = { 0 };

		daemon_start_at(&d, good[i].arg);
		r = daemon_rcvbuf(&d);
		/* Without pidfds, only that it starts. */
		if (r != -ENOSYS)
			assert_int_equal(r, good[i].rcvbuf);
		daemon_stop(&d);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(args, sizeof(args), "--buffer '%s'", bad[i]);
		assert_int_equal(run_options_stderr(args, err, sizeof(err)), 2);
		/* Says which option, not just the usage. */
		if (!strstr(err, "--buffer"))
			fail_msg("%s: no message about --buffer: '%s'", args, err);
	}
}

/*
 * Processes a test started, killed and reaped after it (by
 * test_teardown()), even when it failed.
 */
static pid_t children[1024];

static void
track_child(pid_t pid)
{
	unsigned int i;

	for (i = 0; i < sizeof(children) / sizeof(children[0]); i++)
		if (!children[i]) {
			children[i] = pid;
			return;
		}
	fail_msg("too many children");
}

/* Kill and reap pid, a tracked child. */
static void
kill_child(pid_t pid)
{
	unsigned int i;

	for (i = 0; i < sizeof(children) / sizeof(children[0]); i++)
		if (children[i] == pid)
			children[i] = 0;
	kill(pid, SIGKILL);
	wait_child(pid);
}

static void remove_helper(void);

/* After every test of the groups that start daemons of their own: what
 * a failed test left behind goes. */
static int
test_teardown(void **state)
{
	unsigned int i;

	for (i = 0; i < sizeof(children) / sizeof(children[0]); i++)
		if (children[i])
			kill_child(children[i]);
	stop_daemons(false);
	remove_helper();
	return 0;
}

/* Become user uid (its own group, no others). */
static int
become(uid_t uid)
{
	if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		return -1;
	return 0;
}

static int
write_text_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = write_all(fd, text, strlen(text));
	close(fd);
	return r;
}

/*
 * As user uid, enter a user namespace of its own and be its root, with
 * every capability there (what `unshare -Ur` does).
 */
static int
enter_userns(uid_t uid)
{
	char map[64];

	/* The uid change made the process undumpable: its /proc files,
	 * uid_map among them, would be root's. */
	if (prctl(PR_SET_DUMPABLE, 1) < 0 || unshare(CLONE_NEWUSER) < 0)
		return -1;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	if (write_text_file("/proc/self/setgroups", "deny") < 0 ||
	    write_text_file("/proc/self/uid_map", map) < 0 ||
	    write_text_file("/proc/self/gid_map", map) < 0)
		return -1;
	return 0;
}

/*
 * write_file() as user uid, in a user namespace of its own if userns:
 * 0 or -errno.
 */
static int
write_as(uid_t uid, bool userns, const char *path, const char *text)
{
	pid_t child = fork();
	int status;

	assert_true(child >= 0);
	if (child == 0) {
		int r;

		if (become(uid) < 0 || (userns && enter_userns(uid) < 0))
			_exit(200);
		r = write_file(path, text);
		_exit(r < 0 ? -r : 0);
	}
	status = wait_child(child);
	assert_true(WIFEXITED(status));
	assert_int_not_equal(WEXITSTATUS(status), 200);
	return -WEXITSTATUS(status);
}

/*
 * A process of user uid (root for 0) that blocks the signal and waits,
 * tracked; returns once it runs as that user.
 */
static pid_t
spawn_process(uid_t uid)
{
	pid_t parent = getpid(), pid;
	int ready[2];
	char c;

	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGRTMIN);
		sigprocmask(SIG_BLOCK, &set, NULL);
		close(ready[0]);
		if (uid && become(uid) < 0)
			_exit(1);
		/* After the uid change, which clears the setting. */
		die_with_parent(parent);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	track_child(pid);
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	return pid;
}

/* "%d %d ... \n", the processes file's listing of these pids. */
static const char *
listing(const pid_t *pids, int n)
{
	static char buf[8192];
	size_t len = 0;
	int i;

	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%d ",
					(int)pids[i]);
	snprintf(buf + len, sizeof(buf) - len, "\n");
	return buf;
}

/* A counter's value in the stats file. */
static unsigned long long
stats_counter(const struct daemon *d, const char *name)
{
	const char *stats = read_file(d->stats), *p;
	unsigned long long v = 0;
	char key[64];

	snprintf(key, sizeof(key), "%s ", name);
	p = strstr(stats, key);
	assert_non_null(p);
	assert_int_equal(sscanf(p + strlen(key), "%llu", &v), 1);
	return v;
}

/*
 * A setuid-root program of the test's own, built once with cc(1) into a
 * directory of its own, removed at exit:
 *   helper write TEXT   writes TEXT to its standard error; exits with
 *                       write's errno (0 when it succeeded);
 *   helper hold FD      becomes root wholly (real, effective and saved
 *                       uid), writes -1 to FD, then the child pid of each
 *                       forwarded signal it receives (its mask, inherited,
 *                       blocks SIGRTMIN), until its parent is gone.
 */
static const char helper_source[] =
	"#include <errno.h>\n"
	"#include <signal.h>\n"
	"#include <stdlib.h>\n"
	"#include <string.h>\n"
	"#include <time.h>\n"
	"#include <unistd.h>\n"
	"int main(int argc, char **argv) {\n"
	"	if (argc == 3 && strcmp(argv[1], \"write\") == 0) {\n"
	"		size_t len = strlen(argv[2]);\n"
	"		ssize_t n = write(2, argv[2], len);\n"
	"		return n < 0 ? errno : (size_t)n == len ? 0 : 255;\n"
	"	}\n"
	"	if (argc == 3 && strcmp(argv[1], \"hold\") == 0) {\n"
	"		struct timespec ts = { 0, 100000000 };\n"
	"		pid_t parent = getppid();\n"
	"		int fd = atoi(argv[2]), v = -1;\n"
	"		sigset_t set;\n"
	"		siginfo_t si;\n"
	"		if (setresuid(0, 0, 0) < 0)\n"
	"			return 1;\n"
	"		sigemptyset(&set);\n"
	"		sigaddset(&set, SIGRTMIN);\n"
	"		sigprocmask(SIG_BLOCK, &set, NULL);\n"
	"		if (write(fd, &v, sizeof(v)) != sizeof(v))\n"
	"			return 2;\n"
	"		while (getppid() == parent) {\n"
	"			if (sigtimedwait(&set, &si, &ts) < 0)\n"
	"				continue;\n"
	"			v = si.si_value.sival_int;\n"
	"			if (si.si_code == SI_ASYNCIO &&\n"
	"			    write(fd, &v, sizeof(v)) != sizeof(v))\n"
	"				return 3;\n"
	"		}\n"
	"		return 0;\n"
	"	}\n"
	"	return 100;\n"
	"}\n";

static char helper_dir[64], helper_src[96], helper_path[96];

/* A setuid-root program must not outlive the test that needs it: this
 * runs after each test, at exit, and from a signal handler (meson's
 * SIGTERM at a timeout), so it calls only async-signal-safe functions. */
static void
remove_helper(void)
{
	if (!helper_dir[0])
		return;
	unlink(helper_path);
	unlink(helper_src);
	rmdir(helper_dir);
	helper_dir[0] = helper_path[0] = '\0';
}

static void
remove_helper_and_die(int sig)
{
	remove_helper();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The helper's path; skips the test where it cannot be built. */
static const char *
setuid_helper(void)
{
	char cmd[320];
	struct statvfs vfs;
	FILE *f;

	if (helper_path[0])
		return helper_path;
	strcpy(helper_dir, "/tmp/relayforkd-helper-XXXXXX");
	assert_non_null(mkdtemp(helper_dir));
	/* The users run it. */
	assert_int_equal(chmod(helper_dir, 0755), 0);
	snprintf(helper_src, sizeof(helper_src), "%s/helper.c", helper_dir);
	snprintf(helper_path, sizeof(helper_path), "%s/helper", helper_dir);
	f = fopen(helper_src, "we");
	assert_non_null(f);
	fputs(helper_source, f);
	assert_int_equal(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "cc -o %s %s >/dev/null 2>&1", helper_path,
		 helper_src);
	if (system(cmd) != 0 || statvfs(helper_dir, &vfs) < 0 ||
	    (vfs.f_flag & ST_NOSUID)) {
		remove_helper();
		fprintf(stderr, "skipping: no C compiler, or /tmp is nosuid\n");
		skip();
	}
	assert_int_equal(chown(helper_path, 0, 0), 0);
	assert_int_equal(chmod(helper_path, 04755), 0);
	return helper_path;
}

/*
 * Item: user namespaces.  The root of a user namespace of its own has
 * every capability there, CAP_KILL too, but may signal only what its
 * uid may outside: it registers no other user's process, unregisters no
 * other user's registration, and nobody registers the daemon.
 */
static void
test_userns_root_is_its_user(void **state)
{
	struct daemon d = { 0 };
	pid_t root, root_reg, other, own, expect[3];
	char text[64];

	daemon_start_at(&d, "-u");
	root = spawn_process(0);
	root_reg = spawn_process(0);
	other = spawn_process(4272);
	own = spawn_process(4271);
	assert_int_equal(write_pid(d.processes, false, root_reg), 0);
	snprintf(text, sizeof(text), "%d\n", (int)other);
	assert_int_equal(write_as(4272, false, d.processes, text), 0);

	/* `unshare -Ur sh -c 'echo PID > processes'` as user 4271. */
	snprintf(text, sizeof(text), "%d\n", (int)root);
	assert_int_equal(write_as(4271, true, d.processes, text), -EPERM);
	snprintf(text, sizeof(text), "%d\n", (int)d.pid);
	assert_int_equal(write_as(4271, true, d.processes, text), -EPERM);
	snprintf(text, sizeof(text), "-%d\n", (int)root_reg);
	assert_int_equal(write_as(4271, true, d.processes, text), -EPERM);
	snprintf(text, sizeof(text), "-%d\n", (int)other);
	assert_int_equal(write_as(4271, true, d.processes, text), -EPERM);
	/* Its own process: the same uid, seen from outside. */
	snprintf(text, sizeof(text), "%d\n", (int)own);
	assert_int_equal(write_as(4271, true, d.processes, text), 0);
	expect[0] = root_reg;
	expect[1] = other;
	expect[2] = own;
	assert_string_equal(read_file(d.processes), listing(expect, 3));

	/* The daemon is nobody's to register: its next fork would kill it. */
	assert_int_equal(write_pid(d.processes, false, d.pid), -EPERM);
	/* Another user, in a namespace or not, leaves 4271's registration
	 * alone; 4271 itself may drop it. */
	snprintf(text, sizeof(text), "-%d\n", (int)own);
	assert_int_equal(write_as(4272, true, d.processes, text), -EPERM);
	assert_int_equal(write_as(4272, false, d.processes, text), -EPERM);
	assert_int_equal(write_as(4271, false, d.processes, text), 0);
	/* Root may drop any. */
	snprintf(text, sizeof(text), "-%d -%d\n", (int)root_reg, (int)other);
	assert_int_equal(write_file(d.processes, text), 0);
	assert_string_equal(read_file(d.processes), "\n");
	daemon_stop(&d);
}

/*
 * Item: whose credentials.  `umount PID 2>processes` as a user: a
 * setuid-root program writes to a file the user opened, and the user's
 * right is what counts.  A file root opened stays root's in a user's
 * hands.
 */
static void
test_opener_credentials_count(void **state)
{
	struct daemon d = { 0 };
	const char *helper;
	char text[64];
	pid_t root, child;
	int status, fd;

	helper = setuid_helper();
	daemon_start_at(&d, "-u");
	root = spawn_process(0);
	snprintf(text, sizeof(text), "%d\n", (int)root);

	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		if (become(4275) < 0)
			_exit(200);
		fd = open(d.processes, O_WRONLY);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(201);
		execl(helper, "helper", "write", text, (char *)NULL);
		_exit(202);
	}
	status = wait_child(child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), EPERM);
	assert_string_equal(read_file(d.processes), "\n");

	fd = open(d.processes, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		if (become(4275) < 0)
			_exit(200);
		_exit(write_all(fd, text, strlen(text)) < 0 ? 1 : 0);
	}
	status = wait_child(child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(close(fd), 0);
	assert_string_equal(read_file(d.processes), listing(&root, 1));
	assert_int_equal(write_pid(d.processes, true, root), 0);
	daemon_stop(&d);
}

/*
 * A child of ours, root's, that runs sleep(1) with the signal blocked
 * (the mask outlives exec), tracked.  Made with vfork(2): the test's
 * address space is not copied, which is most of a fork's cost under the
 * sanitizers (600 forks took 25 s there).
 */
static pid_t
spawn_sleeper(void)
{
	pid_t parent = getpid(), pid;
	sigset_t set, old;

	/* Blocked here, inherited by the child, which then changes
	 * nothing of ours: it shares our memory until it execs. */
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid = vfork();
	if (pid == 0) {
		die_with_parent(parent);
		execl("/bin/sleep", "sleep", "600", (char *)NULL);
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	assert_true(pid >= 0);
	track_child(pid);
	return pid;
}

/* The state letter of /proc/PID/stat. */
static char
proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/*
 * Run the traced process pid until it enters close(2) on a descriptor
 * it opened on /proc/TARGET/status: it has read target's credentials
 * then.  It is left stopped there.  0, or a negative errno.
 */
static int
trace_until_status_read(pid_t pid, pid_t target)
{
	char want[64], path[64], link[64];
	int64_t end = now_ms() + WAIT_MS;
	long long status_fd = -1;
	unsigned long long nr = 0;

	snprintf(want, sizeof(want), "/proc/%d/status", (int)target);
	for (;;) {
		struct __ptrace_syscall_info info;
		int status, sig;
		pid_t w = waitpid(pid, &status, WNOHANG | __WALL);
		ssize_t n;

		if (w == 0) {
			if (now_ms() > end)
				return -ETIMEDOUT;
			usleep(100);
			continue;
		}
		if (w < 0 || !WIFSTOPPED(status))
			return -ECHILD;
		sig = WSTOPSIG(status);
		if (sig == (SIGTRAP | 0x80)) {
			sig = 0;
			if (ptrace(PTRACE_GET_SYSCALL_INFO, pid,
				   (void *)sizeof(info), &info) <= 0)
				return -errno;
			if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
				nr = info.entry.nr;
				if (status_fd >= 0 && nr == SYS_close &&
				    (long long)info.entry.args[0] == status_fd)
					return 0;
			} else if (info.op == PTRACE_SYSCALL_INFO_EXIT &&
				   (nr == SYS_openat || nr == SYS_open) &&
				   !info.exit.is_error) {
				snprintf(path, sizeof(path), "/proc/%d/fd/%lld",
					 (int)pid, (long long)info.exit.rval);
				n = readlink(path, link, sizeof(link) - 1);
				if (n > 0) {
					link[n] = '\0';
					if (strcmp(link, want) == 0)
						status_fd = info.exit.rval;
				}
			}
		} else if (sig == SIGTRAP || status >> 16 == PTRACE_EVENT_STOP) {
			/* The stop PTRACE_INTERRUPT asked for. */
			sig = 0;
		}
		if (ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig) < 0)
			return -errno;
	}
}

/*
 * Item: the process checked is the process registered.  A user asks to
 * register its process C.  The daemon, traced, is stopped once it has
 * read C's credentials from /proc (when it closes /proc/C/status); then
 * C is killed and a root process R made with C's pid (clone3 set_tid),
 * and the daemon goes on.  It must not register R: the process it
 * checked has exited, and the write fails with ESRCH.  (A daemon that
 * opened the target's pidfd after the check would hold R, and the next
 * fork's signal would kill it.)
 */
static void
test_checked_process_is_registered(void **state)
{
	struct daemon d = { 0 };
	int ready[2], go[2], status, r;
	pid_t parent = getpid(), c, user, reuse;
	char line[32], ch;

	daemon_start_at(&d, "-u");
	c = spawn_process(4273);
	snprintf(line, sizeof(line), "%d\n", (int)c);

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	user = fork();
	assert_true(user >= 0);
	if (user == 0) {
		int fd;

		if (become(4273) < 0)
			_exit(200);
		fd = open(d.processes, O_WRONLY);
		if (fd < 0 || write(ready[1], "r", 1) != 1 ||
		    read(go[0], &ch, 1) != 1)
			_exit(201);
		r = (int)write(fd, line, strlen(line));
		_exit(r == (int)strlen(line) ? 0 : r < 0 ? errno : 202);
	}
	track_child(user);
	assert_int_equal(read(ready[0], &ch, 1), 1);

	if (ptrace(PTRACE_SEIZE, d.pid, NULL,
		   (void *)(long)PTRACE_O_TRACESYSGOOD) < 0) {
		fprintf(stderr, "skipping: cannot trace the daemon: %m\n");
		kill_child(user);
		daemon_stop(&d);
		skip();
	}
	assert_int_equal(ptrace(PTRACE_INTERRUPT, d.pid, NULL, NULL), 0);
	assert_int_equal(write(go[1], "g", 1), 1);
	r = trace_until_status_read(d.pid, c);
	if (r < 0)
		fail_msg("the daemon was not seen reading /proc/%d/status: %s",
			 (int)c, strerror(-r));

	kill_child(c);
	reuse = fork_with_pid(c);
	if (reuse == 0) {
		/* Root's, and the signal kills it: it must never come. */
		die_with_parent(parent);
		pause();
		_exit(0);
	}
	assert_int_equal(ptrace(PTRACE_DETACH, d.pid, NULL, NULL), 0);
	if (reuse == -EEXIST || reuse == -EBUSY) {
		fprintf(stderr, "skipping: another process took pid %d\n",
			(int)c);
		skip();
	}
	assert_true(reuse > 0);
	track_child(reuse);
	status = wait_child(user);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), ESRCH);
	assert_string_equal(read_file(d.processes), "\n");
	fork_and_reap();
	/* The fork's signal would have killed it by now. */
	usleep(300 * 1000);
	assert_int_equal(waitpid(reuse, &status, WNOHANG), 0);
	kill_child(reuse);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	daemon_stop(&d);
}

/*
 * Item: a uid change is checked.  A user registers its own process,
 * which then runs a setuid-root program that makes itself wholly root
 * (as su and sudo do): the user may no longer signal it, and the daemon
 * drops it.
 */
static void
test_uid_change_revokes(void **state)
{
	struct daemon d = { 0 };
	const char *helper = setuid_helper();
	pid_t parent = getpid(), p, x;
	int out[2], go[2];

	daemon_start_at(&d, "-u");
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(go), 0);
	p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		struct pollfd pfd = { .fd = go[0], .events = POLLIN };
		char fdarg[16];
		sigset_t set;
		siginfo_t si;
		int v = -2;

		sigemptyset(&set);
		sigaddset(&set, SIGRTMIN);
		sigprocmask(SIG_BLOCK, &set, NULL);
		close(out[0]);
		close(go[1]);
		if (become(4274) < 0)
			_exit(1);
		die_with_parent(parent);
		if (write_pid(d.processes, false, getpid()) < 0 ||
		    write(out[1], &v, sizeof(v)) != sizeof(v))
			_exit(1);
		/* Report forwarded forks until told to go on. */
		while (poll(&pfd, 1, 0) == 0) {
			if (wait_signal(&set, &si, 50) < 0 ||
			    si.si_code != SI_ASYNCIO)
				continue;
			v = si.si_value.sival_int;
			if (write(out[1], &v, sizeof(v)) != sizeof(v))
				_exit(1);
		}
		snprintf(fdarg, sizeof(fdarg), "%d", out[1]);
		execl(helper, "helper", "hold", fdarg, (char *)NULL);
		_exit(127);
	}
	track_child(p);
	close(out[1]);
	close(go[0]);
	assert_true(receiver_got(out[0], -2, WAIT_MS));
	assert_string_equal(read_file(d.processes), listing(&p, 1));
	x = fork_and_reap();
	assert_true(receiver_got(out[0], x, WAIT_MS));

	/* Now root: real, effective and saved uid. */
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_true(receiver_got(out[0], -1, WAIT_MS));
	assert_true(log_wait(&d, "relayforkd: revoked", 1, WAIT_MS));
	assert_string_equal(read_file(d.processes), "\n");
	x = fork_and_reap();
	assert_false(receiver_got(out[0], x, 500));
	assert_int_equal(stats_counter(&d, "targets_revoked"), 1);
	kill_child(p);
	close(out[0]);
	close(go[1]);
	daemon_stop(&d);
}

/*
 * Item: limits.  Three registrations per user, eight in all, of which
 * users other than root may hold seven: root can always register the
 * eighth.  A line that would pass a limit changes nothing.
 */
static void
test_registration_limits(void **state)
{
	struct daemon d = { 0 };
	pid_t a[4], b[3], c[2], r[2], expect[8];
	char text[128];
	int i;

	daemon_start_at(&d, "-u --max-per-user 3 --max-targets 8");
	for (i = 0; i < 4; i++)
		a[i] = spawn_process(4276);
	for (i = 0; i < 3; i++)
		b[i] = spawn_process(4277);
	for (i = 0; i < 2; i++) {
		c[i] = spawn_process(4278);
		r[i] = spawn_process(0);
	}
	snprintf(text, sizeof(text), "%d %d %d\n", (int)a[0], (int)a[1],
		 (int)a[2]);
	assert_int_equal(write_as(4276, false, d.processes, text), 0);
	snprintf(text, sizeof(text), "%d\n", (int)a[3]);
	assert_int_equal(write_as(4276, false, d.processes, text), -EDQUOT);
	/* Giving one back in the same line makes room. */
	snprintf(text, sizeof(text), "-%d %d\n", (int)a[2], (int)a[3]);
	assert_int_equal(write_as(4276, false, d.processes, text), 0);
	snprintf(text, sizeof(text), "%d %d %d\n", (int)b[0], (int)b[1],
		 (int)b[2]);
	assert_int_equal(write_as(4277, false, d.processes, text), 0);
	/* Seven for the users together. */
	snprintf(text, sizeof(text), "%d %d\n", (int)c[0], (int)c[1]);
	assert_int_equal(write_as(4278, false, d.processes, text), -ENOSPC);
	snprintf(text, sizeof(text), "%d\n", (int)c[0]);
	assert_int_equal(write_as(4278, false, d.processes, text), 0);
	/* Root's eighth. */
	assert_int_equal(write_pid(d.processes, false, r[0]), 0);
	assert_int_equal(write_pid(d.processes, false, r[1]), -ENOSPC);
	expect[0] = a[0];
	expect[1] = a[1];
	expect[2] = a[3];
	expect[3] = b[0];
	expect[4] = b[1];
	expect[5] = b[2];
	expect[6] = c[0];
	expect[7] = r[0];
	assert_string_equal(read_file(d.processes), listing(expect, 8));
	/* A registration that ends gives its room back. */
	kill_child(a[0]);
	snprintf(text, sizeof(text), "%d\n", (int)c[1]);
	assert_int_equal(write_as(4278, false, d.processes, text), 0);
	for (i = 0; i < 4; i++)
		kill_child(a[i]);
	for (i = 0; i < 3; i++)
		kill_child(b[i]);
	for (i = 0; i < 2; i++) {
		kill_child(c[i]);
		kill_child(r[i]);
	}
	assert_string_equal(read_file(d.processes), "\n");
	daemon_stop(&d);
}

/* VmRSS of a process, in KiB. */
static long
vm_rss_kib(pid_t pid)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/*
 * Item: memory per open file.  With 600 targets, 2,000 open handles of
 * stats, each read in part, cost the daemon less than 20 MB (they held
 * a copy of the whole text each: 38 MB here).  The listing read in
 * small pieces is the listing read whole.  A user may hold 1,024 open
 * files, and a MiB of incomplete lines.  A fork storm does not keep
 * the files from answering.
 */
static void
test_open_files_bounded(void **state)
{
	enum { TARGETS = 600, HANDLES = 2000 };
	struct daemon d = { 0 };
	static pid_t pids[TARGETS];
	static int fds[HANDLES];
	static char text[TARGETS * 8 + 64], whole[TARGETS * 8 + 64];
	char buf[4096];
	long before, after;
	size_t len = 0;
	ssize_t n;
	int i, fd;
	pid_t child;

	daemon_start_at(&d, "-u");
	/* A user's open files and incomplete lines, while nothing is
	 * registered: many requests, each answered at once. */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		static char partial[60000];
		int r = 0;

		memset(partial, '1', sizeof(partial));
		if (become(4279) < 0)
			_exit(200);
		/* 17 incomplete lines of 60,000 bytes fit in a MiB, an
		 * 18th does not. */
		for (i = 0; i < 18 && r == 0; i++) {
			fds[i] = open(d.processes, O_WRONLY | O_CLOEXEC);
			n = write(fds[i], partial, sizeof(partial));
			if (i < 17 && n != (ssize_t)sizeof(partial))
				r = 3;
			if (i == 17 && (n >= 0 || errno != EAGAIN))
				r = 4;
		}
		for (i = 0; i < 18; i++)
			close(fds[i]);
		/* 1,024 open files.  Those just closed are released after
		 * close(2) returns: the first opens may have to wait. */
		for (i = 0; i < 1024 && r == 0; i++) {
			int64_t end = now_ms() + WAIT_MS;

			while ((fds[i] = open(d.stats, O_RDONLY | O_CLOEXEC)) < 0 &&
			       errno == EMFILE && now_ms() < end)
				usleep(1000);
			if (fds[i] < 0)
				r = 1;
		}
		if (r == 0 && (open(d.stats, O_RDONLY) >= 0 || errno != EMFILE))
			r = 2;
		_exit(r);
	}
	i = wait_child(child);
	assert_true(WIFEXITED(i));
	assert_int_equal(WEXITSTATUS(i), 0);

	for (i = 0; i < TARGETS; i++) {
		pids[i] = spawn_sleeper();
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%d%c",
					(int)pids[i],
					i % 100 == 99 ? '\n' : ' ');
	}
	assert_int_equal(write_file(d.processes, text), 0);
	snprintf(whole, sizeof(whole), "%s", read_file(d.processes));
	assert_string_equal(whole, listing(pids, TARGETS));
	/* Seven bytes at a time, and a pread in the middle. */
	fd = open(d.processes, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	len = 0;
	while ((n = read(fd, text + len, 7)) > 0)
		len += (size_t)n;
	text[len] = '\0';
	assert_string_equal(text, whole);
	/* At its end it stays there, however often it is read. */
	for (i = 0; i < 30; i++)
		assert_int_equal(read(fd, buf, sizeof(buf)), 0);
	assert_int_equal(pread(fd, buf, 10, 100), 10);
	assert_memory_equal(buf, whole + 100, 10);
	close(fd);

	before = vm_rss_kib(d.pid);
	for (i = 0; i < HANDLES; i++) {
		fds[i] = open(d.stats, O_RDONLY | O_CLOEXEC);
		assert_true(fds[i] >= 0);
		/* A read makes a handle render what it hands out. */
		assert_true(read(fds[i], buf, 256) > 0);
	}
	after = vm_rss_kib(d.pid);
	print_message("    daemon VmRSS %ld KiB, %ld KiB with %d open stats "
		      "handles\n", before, after, HANDLES);
	assert_true(after - before < 20 * 1024);
	/* Each reads on, to the end. */
	len = 0;
	while ((n = read(fds[HANDLES - 1], text, sizeof(text))) > 0)
		len += (size_t)n;
	assert_int_equal(n, 0);
	assert_true(len > 0);
	for (i = 0; i < HANDLES; i++)
		close(fds[i]);
	assert_non_null(strstr(read_file(d.stats), "target "));

	/* A fork storm of 30 s at most: each fork costs the daemon 600
	 * signals, and the socket refills faster than it drains.  The
	 * files still answer, between rounds of events, before the storm
	 * ends (a daemon that drained the socket first answered only
	 * then). */
	child = fork_tied();
	assert_true(child >= 0);
	if (child == 0) {
		int64_t end = now_ms() + 30000;

		while (now_ms() < end) {
			pid_t p = vfork();

			if (p == 0)
				_exit(0);
			if (p > 0)
				waitpid(p, NULL, 0);
		}
		_exit(0);
	}
	track_child(child);
	usleep(500 * 1000);
	before = now_ms();
	assert_non_null(strstr(read_file(d.stats), "forks_seen "));
	after = now_ms() - before;
	print_message("    stats read in a fork storm in %ld ms\n", after);
	assert_int_equal(waitpid(child, NULL, WNOHANG), 0);
	kill_child(child);

	for (i = 0; i < TARGETS; i++)
		kill_child(pids[i]);
	assert_string_equal(read_file(d.processes), "\n");
	daemon_stop(&d);
}

/*
 * Item: a line is one request, however the writes cut it.  `echo PID |
 * dd bs=1 of=processes` registers PID (not its digits, pid 1 among
 * them); a line waits for its newline; a pid twice in a line is refused.
 */
static void
test_lines_split_across_writes(void **state)
{
	struct daemon *d = *state;
	char text[64], c;
	int ra, fd, len, i, status;
	pid_t a = start_receiver(SIGRTMIN, &ra), child, x;

	len = snprintf(text, sizeof(text), "%d\n", (int)a);
	fd = open(d->processes, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	for (i = 0; i < len; i++) {
		assert_int_equal(write(fd, text + i, 1), 1);
		if (i < len - 1)
			assert_string_equal(read_file(d->processes), "\n");
	}
	assert_string_equal(read_file(d->processes), listing(&a, 1));
	x = fork_and_reap();
	assert_true(receiver_got(ra, x, WAIT_MS));

	/* Completed at close: by the process that opened the file, not by
	 * a child that inherited a copy and exits while the line is still
	 * being written. */
	len = snprintf(text, sizeof(text), "-%d", (int)a);
	assert_int_equal(write(fd, text, 2), 2);
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	status = wait_child(child);
	assert_true(WIFEXITED(status));
	assert_string_equal(read_file(d->processes), listing(&a, 1));
	assert_int_equal(write(fd, text + 2, (size_t)len - 2), len - 2);
	assert_int_equal(close(fd), 0);
	assert_string_equal(read_file(d->processes), "\n");

	/* An incomplete last line that is wrong: close(2) says so. */
	fd = open(d->processes, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	assert_int_equal(close(fd), -1);
	assert_int_equal(errno, EINVAL);

	snprintf(text, sizeof(text), "%d %d\n", (int)a, (int)a);
	assert_int_equal(write_file(d->processes, text), -EINVAL);
	assert_string_equal(read_file(d->processes), "\n");
	(void)c;
	stop_receiver(a, ra);
}

/*
 * Item: large writes.  The kernel hands a write(2) to the daemon in
 * pieces of up to 1 MiB.  A line cut by that boundary is one line; a bad
 * line after it fails, with the lines before it applied and the write
 * short by what was not taken, so that the writer's retry gets the
 * error; a single line of more than 64 KiB is refused whole.
 */
static void
test_large_writes(void **state)
{
	struct daemon *d = *state;
	static char big[(2 << 20) + 64 * 1024];
	pid_t a, b, c, free_one = free_pid(), expect[2];
	int ra, rb, rc, fd;
	size_t len = 0, bad_at, line_at;
	ssize_t n;
	char pid_text[16];
	int pid_len;

	a = start_receiver(SIGRTMIN, &ra);
	b = start_receiver(SIGRTMIN, &rb);
	c = start_receiver(SIGRTMIN, &rc);
	len += (size_t)snprintf(big, sizeof(big), "%d\n", (int)a);
	/* Lines of 60,000 bytes that change nothing, up to where b's pid
	 * straddles the first MiB. */
	pid_len = snprintf(pid_text, sizeof(pid_text), "%d", (int)b);
	line_at = (1u << 20) - (size_t)pid_len / 2;
	while (len < line_at) {
		/* Room for this line's text, its newline not counted. */
		size_t room = line_at - len - 1;
		int head = snprintf(big + len, sizeof(big) - len, "-%d",
				    (int)free_one);

		/* Full lines, and never a last one too short for its
		 * request. */
		if (room > 60000)
			room = room - 60000 < 32 ? 30000 : 60000;
		assert_true(room > (size_t)head);
		memset(big + len + head, ' ', room - (size_t)head);
		len += room;
		big[len++] = '\n';
	}
	len += (size_t)snprintf(big + len, sizeof(big) - len, "%s\n", pid_text);
	assert_true(line_at < (1u << 20) && line_at + (size_t)pid_len > (1u << 20));
	len += (size_t)snprintf(big + len, sizeof(big) - len, "-%d\n",
				(int)free_one);
	bad_at = len;
	len += (size_t)snprintf(big + len, sizeof(big) - len, "%d x\n%d\n",
				(int)c, (int)c);

	fd = open(d->processes, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = write(fd, big, len);
	assert_int_equal(n, (ssize_t)bad_at);
	n = write(fd, big + bad_at, len - bad_at);
	assert_int_equal(n, -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(close(fd), 0);
	expect[0] = a;
	expect[1] = b;
	assert_string_equal(read_file(d->processes), listing(expect, 2));
	snprintf(big, sizeof(big), "-%d -%d\n", (int)a, (int)b);
	assert_int_equal(write_file(d->processes, big), 0);

	/* One line of two MiB. */
	for (len = 0; len < (2u << 20) - 16;)
		len += (size_t)snprintf(big + len, sizeof(big) - len, "%d ",
					(int)c);
	big[len++] = '\n';
	big[len] = '\0';
	fd = open(d->processes, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, big, len), -EINVAL);
	assert_int_equal(close(fd), 0);
	assert_string_equal(read_file(d->processes), "\n");
	stop_receiver(a, ra);
	stop_receiver(b, rb);
	stop_receiver(c, rc);
}

/*
 * Item: edge cases.  Pids are below pid_max; a process that has exited
 * but is not reaped (a zombie) is no process to register.
 */
static void
test_pid_max_and_zombie(void **state)
{
	struct daemon *d = *state;
	char text[32];
	long pid_max = 0;
	pid_t zombie;
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid_max), 1);
	fclose(f);
	snprintf(text, sizeof(text), "%ld\n", pid_max);
	assert_int_equal(write_file(d->processes, text), -EINVAL);

	zombie = fork();
	assert_true(zombie >= 0);
	if (zombie == 0)
		_exit(0);
	while (proc_state(zombie) != 'Z')
		usleep(1000);
	assert_int_equal(write_pid(d->processes, false, zombie), -ESRCH);
	assert_string_equal(read_file(d->processes), "\n");
	wait_child(zombie);
}

static void
require_fuse(void)
{
	if (access("/dev/fuse", R_OK | W_OK) < 0) {
		fprintf(stderr, "skipping: /dev/fuse is not usable here\n");
		exit(EXIT_SKIP);
	}
	if (geteuid() != 0) {
		fprintf(stderr, "skipping: relayforkd mounts need root\n");
		exit(EXIT_SKIP);
	}
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest served[] = {
		cmocka_unit_test(test_receiver_gets_exact_siginfo),
		cmocka_unit_test(test_two_receivers_then_unregister),
		cmocka_unit_test(test_exited_target_and_reused_pid),
		cmocka_unit_test(test_signal_change_takes_effect),
		cmocka_unit_test(test_bad_writes_change_nothing),
		cmocka_unit_test(test_full_queue_counted),
		cmocka_unit_test(test_users_cannot_write_by_default),
		cmocka_unit_test_teardown(test_lines_split_across_writes,
					  test_teardown),
		cmocka_unit_test_teardown(test_large_writes, test_teardown),
		cmocka_unit_test_teardown(test_pid_max_and_zombie,
					  test_teardown),
	};
	const struct CMUnitTest user_writes[] = {
		cmocka_unit_test(test_user_writes_own_processes_only),
	};
	/* Each starts a daemon of its own, stopped by the teardown if the
	 * test fails. */
	const struct CMUnitTest permissions[] = {
		cmocka_unit_test_teardown(test_userns_root_is_its_user,
					  test_teardown),
		cmocka_unit_test_teardown(test_opener_credentials_count,
					  test_teardown),
		cmocka_unit_test_teardown(test_checked_process_is_registered,
					  test_teardown),
		cmocka_unit_test_teardown(test_uid_change_revokes, test_teardown),
		cmocka_unit_test_teardown(test_registration_limits,
					  test_teardown),
		cmocka_unit_test_teardown(test_open_files_bounded,
					  test_teardown),
	};
	const struct CMUnitTest lifecycle[] = {
		cmocka_unit_test(test_seed_examples_verbatim),
		cmocka_unit_test(test_stale_mount_recovered),
		cmocka_unit_test(test_lost_events_counted),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_unsubscribes_when_last_target_exits),
		cmocka_unit_test(test_buffer_sizes),
	};
	int failed = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s RELAYFORKD\n", argv[0]);
		return EXIT_FAILURE;
	}
	daemon_path = argv[1];
	require_proc_events();
	require_fuse();
	atexit(stop_leftover_daemons);
	atexit(remove_helper);
	signal(SIGTERM, remove_helper_and_die);
	signal(SIGINT, remove_helper_and_die);
	signal(SIGHUP, remove_helper_and_die);
	failed += cmocka_run_group_tests_name("relayforkd", served, group_setup,
					      group_teardown);
	failed += cmocka_run_group_tests_name("relayforkd-user-writes",
					      user_writes,
					      group_setup_user_writes,
					      group_teardown);
	failed += cmocka_run_group_tests_name("relayforkd-permissions",
					      permissions, NULL, NULL);
	failed += cmocka_run_group_tests_name("relayforkd-lifecycle", lifecycle,
					      NULL, NULL);
	return failed ? EXIT_FAILURE : 0;
}
