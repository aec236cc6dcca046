// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * relayforkd end to end: a real FUSE mount, real receivers, real
 * signals.  Usage: test-relayforkd PATH-TO-RELAYFORKD.  Exits 77 when the
 * machine cannot mount FUSE filesystems or deliver process events.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

static void
stop_leftover_daemons(void)
{
	char log[96];
	unsigned int i;

	for (i = 0; i < sizeof(running) / sizeof(running[0]); i++) {
		if (!running[i].pid)
			continue;
		kill(running[i].pid, SIGKILL);
		waitpid(running[i].pid, NULL, 0);
		umount2(running[i].dir, MNT_DETACH);
		rmdir(running[i].dir);
		/* Named as in daemon_start_at(). */
		snprintf(log, sizeof(log), "%s.log", running[i].dir);
		unlink(log);
		running[i].pid = 0;
	}
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
		if (!on && running[i].pid == d->pid)
			running[i].pid = 0;
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

static int
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;
	int r = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0)
		r = -errno;
	else if ((size_t)n != strlen(text))
		r = -EIO;
	close(fd);
	return r;
}

/* The whole file as a string (static buffer). */
static const char *
read_file(const char *path)
{
	static char buf[8192];
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

static int
group_setup(void **state)
{
	struct daemon *d = calloc(1, sizeof(*d));

	daemon_start_at(d, NULL);
	*state = d;
	return 0;
}

static int
group_setup_user_writes(void **state)
{
	struct daemon *d = calloc(1, sizeof(*d));

	daemon_start_at(d, "--allow-user-writes");
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
	/* One bad request spoils the whole write. */
	snprintf(text, sizeof(text), "%d\n%d\n", (int)getpid(), (int)free_pid());
	assert_int_equal(write_file(d->processes, text), -ESRCH);
	snprintf(text, sizeof(text), "-%d\nxyz\n", (int)a);
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
	};
	const struct CMUnitTest user_writes[] = {
		cmocka_unit_test(test_user_writes_own_processes_only),
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
	failed += cmocka_run_group_tests_name("relayforkd", served, group_setup,
					      group_teardown);
	failed += cmocka_run_group_tests_name("relayforkd-user-writes",
					      user_writes,
					      group_setup_user_writes,
					      group_teardown);
	failed += cmocka_run_group_tests_name("relayforkd-lifecycle", lifecycle,
					      NULL, NULL);
	return failed ? EXIT_FAILURE : 0;
}
