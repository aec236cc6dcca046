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
#include <sys/un.h>
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
/* The generated relayforkd.service, when the build passes it. */
static const char *unit_path;

struct daemon {
	/* The mount point, canonical; parent: a directory made for it (when
	 * the mount point's name is not mkdtemp's), removed with it. */
	char dir[64], parent[64];
	pid_t pid;
	char processes[96], signal[96], stats[96], log[96], state[96];
};

/* Daemons still running, stopped at exit even when a test failed, and
 * the mount points of those that have exited until a test cleaned up
 * after them (a failed test leaves its frame, so copies are kept, not
 * pointers).  An entry is in use while dir is set; pid is 0 once the
 * daemon has exited. */
static struct {
	pid_t pid;
	char dir[64], parent[64], state[96];
	bool group; /* a group's, stopped by its teardown */
} running[16];

/* Undo mountinfo's octal escapes (\040 space, \011 tab, \012 newline,
 * \134 backslash) in place. */
static void
unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
					(s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* How many relayfork filesystems are mounted on dir (stacked ones
 * count each), from /proc/self/mountinfo. */
static int
mount_count(const char *dir)
{
	char *line = NULL, *sep, mnt[512], type[64];
	size_t cap = 0;
	int n = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1 ||
		    sscanf(sep, " - %63s", type) != 1)
			continue;
		unescape(mnt);
		if (strcmp(mnt, dir) == 0 && strcmp(type, "fuse.relayfork") == 0)
			n++;
	}
	free(line);
	fclose(f);
	return n;
}

static bool
is_mounted(const char *dir)
{
	return mount_count(dir) > 0;
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

/* Remove what a daemon on dir leaves: every mount (stacked ones too),
 * its log and state files, the directory. */
static void
remove_leftovers(const char *dir, const char *parent, const char *state)
{
	char path[128];
	int i;

	for (i = 0; i < 8 && umount2(dir, MNT_DETACH) == 0; i++)
		;
	/* Named as in daemon_init(), and dir.link by tests. */
	snprintf(path, sizeof(path), "%s.log", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s.link", dir);
	unlink(path);
	if (state[0])
		unlink(state);
	rmdir(dir);
	if (parent[0])
		rmdir(parent);
}

/* Stop the daemons left running and remove what they left (a test's
 * only, or a group's too). */
static void
stop_daemons(bool all)
{
	unsigned int i;

	for (i = 0; i < sizeof(running) / sizeof(running[0]); i++) {
		if (!running[i].dir[0] || (running[i].group && !all))
			continue;
		if (running[i].pid) {
			kill(running[i].pid, SIGKILL);
			waitpid(running[i].pid, NULL, 0);
		}
		remove_leftovers(running[i].dir, running[i].parent,
				 running[i].state);
		running[i].pid = 0;
		running[i].group = false;
		running[i].dir[0] = '\0';
	}
}

static void
stop_leftover_daemons(void)
{
	stop_daemons(true);
}

/* on: d runs (on its mount point); off: it has exited, but its mount
 * point and files stay listed until daemon_cleanup(). */
static void
track(struct daemon *d, bool on)
{
	unsigned int i, n = sizeof(running) / sizeof(running[0]);

	for (i = 0; i < n; i++)
		if (running[i].dir[0] && strcmp(running[i].dir, d->dir) == 0)
			break;
	if (i == n && on)
		for (i = 0; i < n && running[i].dir[0]; i++)
			;
	assert_true(i < n);
	/* A new entry is a test's until daemon_mark_group(). */
	if (!running[i].dir[0])
		running[i].group = false;
	running[i].pid = on ? d->pid : 0;
	snprintf(running[i].dir, sizeof(running[i].dir), "%s", d->dir);
	snprintf(running[i].parent, sizeof(running[i].parent), "%s", d->parent);
	snprintf(running[i].state, sizeof(running[i].state), "%s", d->state);
}

static void
untrack(struct daemon *d)
{
	unsigned int i;

	for (i = 0; i < sizeof(running) / sizeof(running[0]); i++)
		if (running[i].dir[0] && strcmp(running[i].dir, d->dir) == 0) {
			assert_int_equal(running[i].pid, 0);
			running[i].dir[0] = '\0';
			running[i].group = false;
		}
}

/* Pick a mount point (made with mkdtemp if d->dir is empty) and name
 * the files around it. */
static void
daemon_init(struct daemon *d)
{
	if (!d->dir[0]) {
		strcpy(d->dir, "/tmp/relayforkd-test-XXXXXX");
		assert_non_null(mkdtemp(d->dir));
	}
	snprintf(d->processes, sizeof(d->processes), "%s/processes", d->dir);
	snprintf(d->signal, sizeof(d->signal), "%s/signal", d->dir);
	snprintf(d->stats, sizeof(d->stats), "%s/stats", d->dir);
	snprintf(d->log, sizeof(d->log), "%s.log", d->dir);
	/* The daemon's default: next to the mount point. */
	if (!d->state[0])
		snprintf(d->state, sizeof(d->state), "%s.state", d->dir);
}

/* A mount point whose name has a space in it, in a directory of its
 * own. */
static void
daemon_init_spaced(struct daemon *d)
{
	strcpy(d->parent, "/tmp/relayforkd-test-XXXXXX");
	assert_non_null(mkdtemp(d->parent));
	snprintf(d->dir, sizeof(d->dir), "%s/a b", d->parent);
	assert_int_equal(mkdir(d->dir, 0755), 0);
	daemon_init(d);
}

enum stderr_mode { STDERR_LOG, STDERR_BROKEN_PIPE, STDERR_CLOSED };

struct start {
	const char *extra;	/* more arguments, for sh */
	const char *spelling;	/* the -m argument, if not d->dir */
	enum stderr_mode err;
	const char *notify;	/* $NOTIFY_SOCKET */
	bool no_wait;		/* return at once, not once served */
	const char *wrapper;	/* a command to run the daemon with */
};

/* Start relayforkd on d->dir (made if empty). */
static void
daemon_start_with(struct daemon *d, const struct start *o)
{
	const char *redirect = "2>&1";
	char cmd[768];
	int broken[2] = { -1, -1 };

	daemon_init(d);
	if (o->err == STDERR_BROKEN_PIPE) {
		/* Nobody will ever read it: the first log line breaks it. */
		assert_int_equal(pipe(broken), 0);
		close(broken[0]);
		redirect = "2>&3 3>&-";
	} else if (o->err == STDERR_CLOSED) {
		redirect = "2>&-";
	}
	/* Its output goes to a file: a daemon left behind must not hold
	 * the test's output open.  Paths are quoted: some have spaces. */
	if (strcmp(d->dir, "/run/relayfork") == 0 && !o->spelling)
		snprintf(cmd, sizeof(cmd),
			 "exec %s %s -v %s </dev/null >>'%s' %s", o->wrapper ?: "",
			 daemon_path, o->extra ?: "", d->log, redirect);
	else
		snprintf(cmd, sizeof(cmd),
			 "exec %s %s -v -m '%s' %s </dev/null >>'%s' %s",
			 o->wrapper ?: "", daemon_path,
			 o->spelling ?: d->dir, o->extra ?: "", d->log,
			 redirect);
	d->pid = fork();
	assert_true(d->pid >= 0);
	if (d->pid == 0) {
		if (broken[1] >= 0)
			dup2(broken[1], 3);
		if (o->notify)
			setenv("NOTIFY_SOCKET", o->notify, 1);
		else
			unsetenv("NOTIFY_SOCKET");
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (broken[1] >= 0)
		close(broken[1]);
	track(d, true);
	if (!o->no_wait)
		wait_served(d);
}

/* Start relayforkd on dir (made if NULL) with extra arguments. */
static void
daemon_start_at(struct daemon *d, const char *extra)
{
	struct start o = { .extra = extra };

	daemon_start_with(d, &o);
}

/* Send sig; the daemon must exit with status 0, its mount gone. */
static void
daemon_signal_exit(struct daemon *d, int sig)
{
	int status;

	kill(d->pid, sig);
	status = wait_child(d->pid);
	track(d, false);
	if (!WIFEXITED(status))
		fail_msg("signal %d: the daemon died of signal %d", sig,
			 WIFSIGNALED(status) ? WTERMSIG(status) : -1);
	assert_int_equal(WEXITSTATUS(status), 0);
	/* A clean stop unmounts. */
	assert_false(is_mounted(d->dir));
}

/* SIGKILL, as a crash: the mount stays behind, dead. */
static void
daemon_crash(struct daemon *d)
{
	kill(d->pid, SIGKILL);
	wait_child(d->pid);
	track(d, false);
	assert_true(is_mounted(d->dir));
}

/* Everything a daemon left in the file system. */
static void
daemon_cleanup(struct daemon *d)
{
	untrack(d);
	remove_leftovers(d->dir, d->parent, d->state);
}

static void
daemon_stop_with(struct daemon *d, int sig)
{
	daemon_signal_exit(d, sig);
	daemon_cleanup(d);
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

/* Does the daemon's log have a line containing text? */
static bool
log_has(const struct daemon *d, const char *text)
{
	FILE *f = fopen(d->log, "re");
	char *line = NULL;
	size_t cap = 0;
	bool found = false;

	if (!f)
		return false;
	while (!found && getline(&line, &cap, f) > 0)
		found = strstr(line, text) != NULL;
	free(line);
	fclose(f);
	return found;
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
		if (running[i].dir[0] && strcmp(running[i].dir, d->dir) == 0)
			running[i].group = true;
}

/* After each test that starts its own daemons: what a failed one left. */
static int
cleanup_leftovers(void **state)
{
	stop_daemons(false);
	return 0;
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
	char cmd[256], arg[128];
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
	/* A state file of the test's: a system's relayforkd may have left
	 * /run/relayfork.state for its next start. */
	snprintf(d.state, sizeof(d.state), "/tmp/relayforkd-test-seed-%d.state",
		 (int)getpid());
	snprintf(arg, sizeof(arg), "--state-file %s", d.state);
	daemon_start_at(&d, arg);
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

/* A file holding one number. */
static bool
procfs_read_long_test(const char *path, long *ret)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return false;
	ok = fscanf(f, "%ld", ret) == 1;
	fclose(f);
	return ok;
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
static bool file_has(const char *path, const char *text);

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
 * /metrics: the counters of /stats in the Prometheus text format, each
 * with its HELP and TYPE lines, and the targets registered as a gauge.
 * Read before /stats, so never above it.
 */
static void
test_metrics_match_stats(void **state)
{
	static const char *const names[][2] = {
		{ "forks_seen", "relayforkd_forks_seen_total" },
		{ "signals_sent", "relayforkd_signals_sent_total" },
		{ "signals_dropped", "relayforkd_signals_dropped_total" },
		{ "signals_failed", "relayforkd_signals_failed_total" },
		{ "targets_pruned", "relayforkd_targets_pruned_total" },
		{ "targets_revoked", "relayforkd_targets_revoked_total" },
		{ "restores_refused", "relayforkd_restores_refused_total" },
		{ "events_lost", "relayforkd_lost_events_total" },
	};
	struct daemon *d = *state;
	char path[128], text[64], key[160];
	unsigned long long v, before[8];
	char *metrics;
	size_t i;
	int ra, k;
	pid_t a = start_receiver(SIGRTMIN, &ra), x;

	snprintf(path, sizeof(path), "%s/metrics", d->dir);
	snprintf(text, sizeof(text), "%d\n", (int)a);
	assert_int_equal(write_file(d->processes, text), 0);
	for (i = 0; i < 8; i++)
		before[i] = stats_counter(d, names[i][0]);
	for (k = 0; k < 5; k++) {
		x = fork_and_reap();
		assert_true(receiver_got(ra, x, WAIT_MS));
	}
	metrics = strdup(read_file(path));
	assert_non_null(metrics);
	for (i = 0; i < 8; i++) {
		const char *p;

		snprintf(key, sizeof(key), "# HELP %s ", names[i][1]);
		assert_non_null(strstr(metrics, key));
		snprintf(key, sizeof(key), "# TYPE %s counter\n%s ",
			 names[i][1], names[i][1]);
		p = strstr(metrics, key);
		assert_non_null(p);
		assert_int_equal(sscanf(p + strlen(key), "%llu", &v), 1);
		assert_true(v >= before[i]);
		assert_true(v <= stats_counter(d, names[i][0]));
		if (i < 2) /* the forks, and a signal for each */
			assert_true(v >= before[i] + 5);
	}
	assert_non_null(strstr(metrics, "# TYPE relayforkd_targets gauge\n"
					"relayforkd_targets 1\n"));
	free(metrics);
	assert_int_equal(write_file(path, "1"), -EACCES);

	assert_int_equal(write_pid(d->processes, true, a), 0);
	assert_non_null(strstr(read_file(path), "\nrelayforkd_targets 0\n"));
	stop_receiver(a, ra);
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
	char text[64];

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
	snprintf(text, sizeof(text), "target %d ", (int)p);
	assert_true(file_has(d.state, text));
	x = fork_and_reap();
	assert_true(receiver_got(out[0], x, WAIT_MS));

	/* Now root: real, effective and saved uid. */
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_true(receiver_got(out[0], -1, WAIT_MS));
	assert_true(log_wait(&d, "relayforkd: revoked", 1, WAIT_MS));
	assert_string_equal(read_file(d.processes), "\n");
	/* Nothing left to restore: the state file went with it (before
	 * the read was answered). */
	assert_int_equal(access(d.state, F_OK), -1);
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
	struct rlimit lim;

	/* The test holds HANDLES files, and its user's child 1,024 and
	 * more: past the soft limit of 1024 that a plain init leaves (the
	 * qemu guest's). */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &lim), 0);
	if (lim.rlim_cur < HANDLES + 64) {
		lim.rlim_cur = HANDLES + 64;
		if (lim.rlim_max < lim.rlim_cur)
			lim.rlim_max = lim.rlim_cur;
		/* Raising the hard limit takes CAP_SYS_RESOURCE. */
		if (setrlimit(RLIMIT_NOFILE, &lim) < 0) {
			print_message("    cannot hold %d files: %s\n",
				      HANDLES + 64, strerror(errno));
			skip();
		}
	}
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
	/* A stop signal is taken between rounds too: the daemon unmounts
	 * and exits in the storm, its state kept for the next. */
	before = now_ms();
	daemon_signal_exit(&d, SIGTERM);
	after = now_ms() - before;
	print_message("    stopped in a fork storm in %ld ms\n", after);
	assert_true(after < WAIT_MS);
	assert_int_equal(waitpid(child, NULL, WNOHANG), 0);
	kill_child(child);
	daemon_start_at(&d, "-u");
	assert_string_equal(read_file(d.processes), whole);
	snprintf(text, sizeof(text), "restored %d of %d registrations",
		 TARGETS, TARGETS);
	assert_true(log_has(&d, text));

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

/*
 * Every signal whose default action ends a process, sent from outside:
 * the daemon unmounts, says which signal it was, and exits 0.  (Before,
 * all but SIGINT and SIGTERM killed it and left a dead mount.)  Not
 * here: SIGKILL and SIGSTOP (cannot be caught), SIGPIPE (ignored, see
 * below), and the faults (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP,
 * SIGSYS), which keep their default action.
 */
static void
test_terminating_signals_unmount(void **state)
{
	static const int standard[] = {
		SIGHUP, SIGINT, SIGQUIT, SIGABRT, SIGUSR1, SIGUSR2, SIGALRM,
		SIGTERM, SIGSTKFLT, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO,
		SIGPWR,
	};
	int sigs[64], n = 0, i, sig;
	char text[32];

	for (i = 0; i < (int)(sizeof(standard) / sizeof(standard[0])); i++)
		sigs[n++] = standard[i];
	/* Every real-time signal, glibc's reserved 32 and 33 included: the
	 * kernel's SIGRTMIN is 32. */
	for (sig = 32; sig <= SIGRTMAX; sig++)
		sigs[n++] = sig;
	for (i = 0; i < n; i++) {
		struct daemon d = { 0 };

		daemon_start_at(&d, NULL);
		daemon_signal_exit(&d, sigs[i]);
		snprintf(text, sizeof(text), "(signal %d)", sigs[i]);
		if (!log_has(&d, text))
			fail_msg("signal %d: not logged", sigs[i]);
		daemon_cleanup(&d);
	}
}

/* sigqueue(3) too (si_code SI_QUEUE), not only kill(2). */
static void
test_queued_signal_unmounts(void **state)
{
	struct daemon d = { 0 };
	union sigval v = { .sival_int = 1 };

	daemon_start_at(&d, NULL);
	assert_int_equal(sigqueue(d.pid, SIGRTMIN + 1, v), 0);
	daemon_signal_exit(&d, 0);
	daemon_cleanup(&d);
}

/*
 * The daemon forwards real-time signals, and may be sent them by a
 * forwarder: another relayforkd where root registered this daemon's pid
 * (its own refuses it: see PERMISSIONS).  That must not stop it.
 */
static void
test_registered_daemon_survives(void **state)
{
	struct daemon d = { 0 }, e = { 0 };
	const char *stats;
	unsigned long long sent = 0;
	int rx;
	pid_t a, x;

	daemon_start_at(&d, NULL);
	daemon_start_at(&e, NULL);
	a = start_receiver(SIGRTMIN, &rx);
	assert_int_equal(write_pid(d.processes, false, d.pid), -EPERM);
	assert_int_equal(write_pid(e.processes, false, d.pid), 0);
	assert_int_equal(write_pid(e.processes, false, a), 0);
	x = fork_and_reap();
	/* The receiver registered after the daemon got it: the daemon was
	 * signalled first. */
	assert_true(receiver_got(rx, x, WAIT_MS));
	usleep(100 * 1000);
	assert_true(is_served(&d));
	assert_false(log_has(&d, "unmounting"));
	stats = read_file(e.stats);
	assert_non_null(strstr(stats, "signals_sent "));
	sscanf(strstr(stats, "signals_sent "), "signals_sent %llu", &sent);
	assert_true(sent >= 2);
	assert_int_equal(write_pid(e.processes, true, d.pid), 0);
	assert_int_equal(write_pid(e.processes, true, a), 0);
	stop_receiver(a, rx);
	daemon_stop(&e);
	daemon_stop(&d);
}

/*
 * SIGPIPE is ignored, as systemd's IgnoreSIGPIPE= does for services: a
 * log reader that goes away must not stop the daemon, and neither does
 * a SIGPIPE sent from outside.  Nor does a closed standard error.
 */
static void
test_broken_stderr_survives(void **state)
{
	static const enum stderr_mode modes[] = { STDERR_BROKEN_PIPE,
						  STDERR_CLOSED, STDERR_LOG };
	unsigned int i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct daemon d = { 0 };
		struct start o = { .err = modes[i] };
		int rx;
		pid_t a, x;

		daemon_start_with(&d, &o);
		kill(d.pid, SIGPIPE);
		/* -v logs the registration: a write to the broken pipe. */
		a = start_receiver(SIGRTMIN, &rx);
		assert_int_equal(write_pid(d.processes, false, a), 0);
		x = fork_and_reap();
		assert_true(receiver_got(rx, x, WAIT_MS));
		assert_int_equal(write_pid(d.processes, true, a), 0);
		stop_receiver(a, rx);
		usleep(100 * 1000);
		assert_true(is_served(&d));
		daemon_stop(&d);
	}
}

/* Run a second daemon on the mount point spelled so (it should refuse
 * to start: timeout(1) stops one that does not); its exit status. */
static int
run_second_daemon(const char *spelling)
{
	char cmd[512];
	int status;

	snprintf(cmd, sizeof(cmd),
		 "timeout 5 %s -m '%s' </dev/null >/dev/null 2>&1", daemon_path,
		 spelling);
	status = system(cmd);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/*
 * The mount point is the directory, however it is spelled: a second
 * daemon given the first one's mount point with a trailing slash, a
 * doubled slash, a "." or through a symbolic link refuses to start
 * rather than mount over the first.
 */
static void
test_served_mountpoint_spellings_refused(void **state)
{
	struct daemon d = { 0 };
	char spelling[128], link[80];
	const char *base;
	int i;

	daemon_start_at(&d, NULL);
	base = strrchr(d.dir, '/') + 1;
	snprintf(link, sizeof(link), "%s.link", d.dir);
	assert_int_equal(symlink(d.dir, link), 0);
	for (i = 0; i < 5; i++) {
		switch (i) {
		case 0:
			snprintf(spelling, sizeof(spelling), "%s/", d.dir);
			break;
		case 1:
			snprintf(spelling, sizeof(spelling), "%s//", d.dir);
			break;
		case 2:
			snprintf(spelling, sizeof(spelling), "/tmp//%s", base);
			break;
		case 3:
			snprintf(spelling, sizeof(spelling), "%s/.", d.dir);
			break;
		case 4:
			snprintf(spelling, sizeof(spelling), "%s", link);
			break;
		}
		if (run_second_daemon(spelling) != 1)
			fail_msg("'%s': a second daemon did not refuse", spelling);
		assert_int_equal(mount_count(d.dir), 1);
		assert_true(is_served(&d));
	}
	unlink(link);
	daemon_stop(&d);
	assert_int_equal(mount_count(d.dir), 0);
}

/*
 * What a crash leaves at a mount point whose name has a space (the
 * kernel lists it as "a\040b"): the next daemon removes it, and after a
 * clean stop nothing is mounted there.
 */
static void
test_stale_mount_with_space_recovered(void **state)
{
	struct daemon d = { 0 };

	daemon_init_spaced(&d);
	daemon_start_at(&d, NULL);
	daemon_crash(&d);
	assert_int_equal(open(d.processes, O_RDONLY), -1);
	assert_int_equal(errno, ENOTCONN);

	daemon_start_at(&d, NULL);
	assert_int_equal(mount_count(d.dir), 1);
	assert_string_equal(read_file(d.processes), "\n");
	daemon_stop(&d);
	assert_int_equal(mount_count(d.dir), 0);
}

/* The stale mount is found whatever the spelling of the mount point. */
static void
test_stale_mount_other_spellings_recovered(void **state)
{
	struct daemon d = { 0 };
	char spelling[128];
	int i;

	daemon_start_at(&d, NULL);
	for (i = 0; i < 3; i++) {
		struct start o = { .spelling = spelling };

		daemon_crash(&d);
		if (i == 0)
			snprintf(spelling, sizeof(spelling), "%s/", d.dir);
		else if (i == 1)
			snprintf(spelling, sizeof(spelling), "%s//", d.dir);
		else
			snprintf(spelling, sizeof(spelling), "/tmp//%s",
				 strrchr(d.dir, '/') + 1);
		daemon_start_with(&d, &o);
		if (mount_count(d.dir) != 1)
			fail_msg("'%s': %d mounts", spelling, mount_count(d.dir));
	}
	daemon_stop(&d);
	assert_int_equal(mount_count(d.dir), 0);
}

/* A process's start time, field 22 of /proc/PID/stat. */
/* Clock ticks since boot, the unit of /proc/PID/stat's start time. */
static unsigned long long
ticks_since_boot(void)
{
	struct timespec ts;
	long hz = sysconf(_SC_CLK_TCK);

	assert_int_equal(clock_gettime(CLOCK_BOOTTIME, &ts), 0);
	return (unsigned long long)ts.tv_sec * (unsigned long long)hz +
	       (unsigned long long)ts.tv_nsec / (1000000000ull / (unsigned long long)hz);
}

static unsigned long long
start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	/* Fields 3 to 21 follow the last ')', then the start time. */
	p = strrchr(buf, ')');
	assert_non_null(p);
	assert_int_equal(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
				       "%*u %*u %*u %*u %*d %*d %*d %*d %*d "
				       "%*d %llu", &ticks), 1);
	return ticks;
}

static bool
file_has(const char *path, const char *text)
{
	return strstr(read_file(path), text) != NULL;
}

/*
 * Registrations survive a crash: the next daemon restores from the
 * state file the processes that still run, and not one that exited
 * meanwhile even though another process now has its pid.
 */
static void
test_state_restored_after_crash(void **state)
{
	struct daemon d = { 0 };
	char text[128];
	struct stat st;
	pid_t parent = getpid(), a, b, c, reuse, x;
	unsigned long long c_start;
	int ra, rb, rc, status;

	daemon_start_at(&d, NULL);
	a = start_receiver(SIGRTMIN, &ra);
	b = start_receiver(SIGRTMIN, &rb);
	c = start_receiver(SIGRTMIN, &rc);
	snprintf(text, sizeof(text), "%d\n%d\n%d\n", (int)a, (int)c, (int)b);
	assert_int_equal(write_file(d.processes, text), 0);

	/* Written when the write was answered: root's, for root only. */
	assert_int_equal(lstat(d.state, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(text, sizeof(text), "target %d %llu ", (int)a, start_time(a));
	assert_true(file_has(d.state, text));
	c_start = start_time(c);

	daemon_crash(&d);
	/* c exits while no daemon runs, and its pid goes to a process
	 * that would die of the signal, in a later clock tick than c's
	 * start (start times have a tick's resolution: relayforkd(8)). */
	stop_receiver(c, rc);
	while (ticks_since_boot() <= c_start + 1)
		usleep(5 * 1000);
	reuse = fork_with_pid(c);
	if (reuse == -EEXIST || reuse == -EBUSY)
		skip();
	assert_true(reuse >= 0);
	if (reuse == 0) {
		die_with_parent(parent);
		sleep(30);
		_exit(7);
	}

	daemon_start_at(&d, NULL);
	snprintf(text, sizeof(text), "%d %d \n", (int)a, (int)b);
	assert_string_equal(read_file(d.processes), text);
	x = fork_and_reap();
	assert_true(receiver_got(ra, x, WAIT_MS));
	assert_true(receiver_got(rb, x, WAIT_MS));
	/* Still there: not signalled. */
	usleep(100 * 1000);
	assert_int_equal(waitpid(reuse, &status, WNOHANG), 0);
	kill(reuse, SIGKILL);
	status = wait_child(reuse);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	assert_true(log_has(&d, "restored 2 of 3 registrations"));
	snprintf(text, sizeof(text), "not restoring pid %d:", (int)c);
	assert_true(log_has(&d, text));
	/* The file is brought up to date at once. */
	snprintf(text, sizeof(text), "target %d ", (int)c);
	assert_false(file_has(d.state, text));

	/* Nothing left to remember: no file. */
	snprintf(text, sizeof(text), "-%d -%d", (int)a, (int)b);
	assert_int_equal(write_file(d.processes, text), 0);
	assert_int_equal(access(d.state, F_OK), -1);
	stop_receiver(a, ra);
	stop_receiver(b, rb);
	daemon_stop(&d);
}

/*
 * A clean stop keeps the state too: `systemctl restart` and package
 * upgrades stop the daemon cleanly.  The signal is restored with the
 * registrations, over -s: the receivers wait for that one.
 */
static void
test_state_kept_on_clean_stop(void **state)
{
	struct daemon d = { 0 };
	char text[64];
	pid_t a, x;
	int ra;

	daemon_start_at(&d, NULL);
	a = start_receiver(40, &ra);
	assert_int_equal(write_file(d.signal, "40"), 0);
	assert_int_equal(write_pid(d.processes, false, a), 0);
	daemon_signal_exit(&d, SIGTERM);

	daemon_start_at(&d, "-s 41");
	snprintf(text, sizeof(text), "%d \n", (int)a);
	assert_string_equal(read_file(d.processes), text);
	assert_string_equal(read_file(d.signal), "40\n");
	x = fork_and_reap();
	assert_true(receiver_got(ra, x, WAIT_MS));

	/* Unregistered, and the signal the command line's again: nothing
	 * to remember. */
	assert_int_equal(write_pid(d.processes, true, a), 0);
	assert_int_equal(access(d.state, F_OK), 0);
	assert_int_equal(write_file(d.signal, "41"), 0);
	assert_int_equal(access(d.state, F_OK), -1);
	stop_receiver(a, ra);
	daemon_stop(&d);
}

/* Write a state file that would restore pid (if trusted). */
static void
write_state(const char *path, pid_t pid, const char *boot_id, uid_t uid,
	    mode_t mode)
{
	char text[256], boot[64] = "";
	FILE *f;

	if (!boot_id) {
		f = fopen("/proc/sys/kernel/random/boot_id", "re");
		assert_non_null(f);
		assert_non_null(fgets(boot, sizeof(boot), f));
		fclose(f);
		boot[strcspn(boot, "\n")] = '\0';
		boot_id = boot;
	}
	snprintf(text, sizeof(text),
		 "# written by a test\n"
		 "relayforkd-state 1\n"
		 "boot-id %s\n"
		 "future-keyword 1 2 3\n"
		 "signal %d\n"
		 "target %d %llu 0 more fields\n",
		 boot_id, SIGRTMIN, (int)pid, start_time(pid));
	unlink(path);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chown(path, uid, 0), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/*
 * The state file is root's: one owned by another user, or writable by
 * others, or a symbolic link, or from another boot, restores nothing
 * (and is replaced); a good one restores.
 */
static void
test_state_file_trust(void **state)
{
	static const struct {
		const char *boot_id;
		uid_t uid;
		mode_t mode;
		bool link, restored;
	} cases[] = {
		{ NULL, 0, 0600, false, true },
		{ NULL, 0, 0644, false, true },
		{ NULL, 4263, 0600, false, false },
		{ NULL, 0, 0602, false, false },
		{ NULL, 0, 0620, false, false },
		{ NULL, 0, 0600, true, false },
		{ "00000000-0000-0000-0000-000000000000", 0, 0600, false, false },
	};
	char text[64], real[112];
	unsigned int i;
	pid_t a;
	int ra;

	a = start_receiver(SIGRTMIN, &ra);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct daemon d = { 0 };

		daemon_init(&d);
		if (cases[i].link) {
			/* Named so that a failed test's is removed. */
			snprintf(real, sizeof(real), "%s.link", d.dir);
			write_state(real, a, NULL, 0, 0600);
			assert_int_equal(symlink(real, d.state), 0);
		} else {
			write_state(d.state, a, cases[i].boot_id, cases[i].uid,
				    cases[i].mode);
		}
		daemon_start_at(&d, NULL);
		snprintf(text, sizeof(text), "%d \n", (int)a);
		if (strcmp(read_file(d.processes),
			   cases[i].restored ? text : "\n") != 0)
			fail_msg("case %u: restored '%s'", i,
				 read_file(d.processes));
		if (!cases[i].restored) {
			/* The file now says what this daemon knows:
			 * nothing. */
			assert_int_equal(access(d.state, F_OK), -1);
		} else {
			assert_int_equal(write_pid(d.processes, true, a), 0);
		}
		if (cases[i].link) {
			/* The link was replaced, not followed. */
			assert_true(file_has(real, "target"));
			unlink(real);
		}
		daemon_stop(&d);
	}
	stop_receiver(a, ra);
}

/* --state-file chooses the file; "none" keeps no state. */
static void
test_state_file_option(void **state)
{
	struct daemon d = { 0 };
	char path[96], arg[128], text[64];
	pid_t a;
	int ra;

	daemon_init(&d);
	snprintf(path, sizeof(path), "%s.other", d.dir);
	snprintf(arg, sizeof(arg), "--state-file '%s'", path);
	/* Cleaned up with the daemon. */
	snprintf(d.state, sizeof(d.state), "%s", path);
	daemon_start_at(&d, arg);
	a = start_receiver(SIGRTMIN, &ra);
	assert_int_equal(write_pid(d.processes, false, a), 0);
	assert_int_equal(access(path, F_OK), 0);
	daemon_crash(&d);
	daemon_start_at(&d, arg);
	snprintf(text, sizeof(text), "%d \n", (int)a);
	assert_string_equal(read_file(d.processes), text);
	daemon_crash(&d);

	/* None: nothing restored, nothing written. */
	snprintf(d.state, sizeof(d.state), "%s.state", d.dir);
	daemon_start_at(&d, "--state-file none");
	assert_string_equal(read_file(d.processes), "\n");
	assert_int_equal(write_pid(d.processes, false, a), 0);
	assert_int_equal(access(d.state, F_OK), -1);
	stop_receiver(a, ra);
	daemon_stop(&d);
	unlink(path);
}

/*
 * A process of user uid that keeps root as its saved uid, blocks the
 * signal and waits, tracked: uid may signal it until switch_to_root()
 * makes it wholly root (as su does), while no daemon runs.
 */
struct switchable {
	pid_t pid;
	int go, done;
};

static void
spawn_switchable(uid_t uid, struct switchable *ret)
{
	pid_t parent = getpid();
	int go[2], done[2];
	char c;

	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(done), 0);
	ret->pid = fork();
	assert_true(ret->pid >= 0);
	if (ret->pid == 0) {
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGRTMIN);
		sigprocmask(SIG_BLOCK, &set, NULL);
		close(go[1]);
		close(done[0]);
		if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
		    setresuid(uid, uid, 0) < 0)
			_exit(1);
		die_with_parent(parent);
		if (write(done[1], "r", 1) != 1 || read(go[0], &c, 1) != 1 ||
		    setresuid(0, 0, 0) < 0 || write(done[1], "g", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	track_child(ret->pid);
	close(go[0]);
	close(done[1]);
	ret->go = go[1];
	ret->done = done[0];
	assert_int_equal(read(ret->done, &c, 1), 1);
}

static void
switch_to_root(struct switchable *s)
{
	char c;

	assert_int_equal(write(s->go, "g", 1), 1);
	assert_int_equal(read(s->done, &c, 1), 1);
	assert_int_equal(c, 'g');
	close(s->go);
	close(s->done);
}

/*
 * Item: a restart applies the permission model.  Registrations come
 * back in their registrant's name, as that registrant's write would be
 * taken now: one whose process became root while no daemon ran is
 * dropped (its user may no longer signal it), one past a lower
 * --max-per-user too, each logged and counted; those kept count against
 * the user's limit; root's registration of the user's process stays;
 * and without -u the user's go, root's stay.  The state file records
 * the registrant's credentials and follows every drop.
 */
static void
test_state_restore_applies_permissions(void **state)
{
	struct daemon d = { 0 };
	struct switchable sw;
	pid_t a, b, c, r, expect[2];
	char text[128];

	daemon_start_at(&d, "-u --max-per-user 3");
	spawn_switchable(4282, &sw);
	a = spawn_process(4282);
	b = spawn_process(4282);
	c = spawn_process(4282);
	r = spawn_process(4282);
	snprintf(text, sizeof(text), "%d %d %d\n", (int)sw.pid, (int)a, (int)b);
	assert_int_equal(write_as(4282, false, d.processes, text), 0);
	assert_int_equal(write_pid(d.processes, false, r), 0);
	/* The registrant is the opener: uid 4282, no capability. */
	snprintf(text, sizeof(text),
		 "target %d %llu 4282 euid=4282 suid=4282 fsuid=4282 "
		 "cap-eff=0000000000000000 userns=initial opener=",
		 (int)a, start_time(a));
	assert_true(file_has(d.state, text));
	snprintf(text, sizeof(text), "target %d %llu 0 euid=0 ", (int)r,
		 start_time(r));
	assert_true(file_has(d.state, text));

	daemon_crash(&d);
	switch_to_root(&sw);
	daemon_start_at(&d, "-u --max-per-user 1");
	expect[0] = a;
	expect[1] = r;
	assert_string_equal(read_file(d.processes), listing(expect, 2));
	snprintf(text, sizeof(text), "not restoring pid %d: uid 4282, which "
		 "registered it, may no longer signal it", (int)sw.pid);
	assert_true(log_has(&d, text));
	snprintf(text, sizeof(text), "not restoring pid %d: uid 4282 holds "
		 "--max-per-user (1)", (int)b);
	assert_true(log_has(&d, text));
	assert_true(log_has(&d, "restored 2 of 4 registrations"));
	assert_int_equal(stats_counter(&d, "restores_refused"), 2);
	/* The file says what was restored, before the read is answered. */
	snprintf(text, sizeof(text), "target %d ", (int)sw.pid);
	assert_false(file_has(d.state, text));
	snprintf(text, sizeof(text), "target %d ", (int)b);
	assert_false(file_has(d.state, text));
	snprintf(text, sizeof(text), "target %d %llu 4282 ", (int)a,
		 start_time(a));
	assert_true(file_has(d.state, text));
	/* a counts: the user is at its limit. */
	snprintf(text, sizeof(text), "%d\n", (int)c);
	assert_int_equal(write_as(4282, false, d.processes, text), -EDQUOT);
	/* And it is the user's to unregister, and to register again. */
	snprintf(text, sizeof(text), "-%d\n", (int)a);
	assert_int_equal(write_as(4282, false, d.processes, text), 0);
	snprintf(text, sizeof(text), "%d\n", (int)a);
	assert_int_equal(write_as(4282, false, d.processes, text), 0);

	/* Without -u only root registers: the user's goes. */
	daemon_crash(&d);
	daemon_start_at(&d, NULL);
	assert_string_equal(read_file(d.processes), listing(&r, 1));
	snprintf(text, sizeof(text), "not restoring pid %d: uid 4282 "
		 "registered it, and only root registers without "
		 "--allow-user-writes", (int)a);
	assert_true(log_has(&d, text));
	assert_int_equal(stats_counter(&d, "restores_refused"), 1);
	kill_child(sw.pid);
	kill_child(a);
	kill_child(b);
	kill_child(c);
	kill_child(r);
	assert_string_equal(read_file(d.processes), "\n");
	daemon_stop(&d);
}

/* Receive one datagram within ms, with its sender's pid; its length or
 * -1. */
static ssize_t
recv_notify(int fd, char *buf, size_t size, pid_t *ret_pid, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = size - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = &control,
			      .msg_controllen = sizeof(control) };
	struct cmsghdr *c;
	ssize_t n;

	if (poll(&pfd, 1, ms) != 1)
		return -1;
	n = recvmsg(fd, &msg, MSG_DONTWAIT);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	*ret_pid = 0;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred cred;

			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			*ret_pid = cred.pid;
		}
	return n;
}

/* The minor device number of the relayfork mount on dir, or -1. */
static int
mount_minor(const char *dir)
{
	char *line = NULL, *sep, mnt[512], type[64];
	unsigned int major, minor;
	size_t cap = 0;
	int found = -1;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		sep = strstr(line, " - ");
		if (!sep ||
		    sscanf(line, "%*s %*s %u:%u %*s %511s", &major, &minor,
			   mnt) != 3 ||
		    sscanf(sep, " - %63s", type) != 1)
			continue;
		unescape(mnt);
		if (strcmp(mnt, dir) == 0 && strcmp(type, "fuse.relayfork") == 0)
			found = (int)minor;
	}
	free(line);
	fclose(f);
	return found;
}

/*
 * How many requests of the FUSE connection on dir wait for an answer
 * (fusectl's "waiting": the kernel's INIT counts until answered), or -1.
 * fusectl is mounted in a mount namespace of a child's own, so nothing
 * is left mounted.
 */
static int
fuse_waiting(const char *dir)
{
	int minor = mount_minor(dir), status;
	pid_t child;

	if (minor < 0)
		return -1;
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char path[64], buf[32] = "";
		FILE *f;

		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("fusectl", "/sys/fs/fuse/connections", "fusectl", 0,
			  NULL) < 0)
			_exit(255);
		snprintf(path, sizeof(path),
			 "/sys/fs/fuse/connections/%d/waiting", minor);
		f = fopen(path, "re");
		if (!f || !fgets(buf, sizeof(buf), f))
			_exit(254);
		_exit(atoi(buf) > 200 ? 200 : atoi(buf));
	}
	status = wait_child(child);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status) >= 254 ? -1 : WEXITSTATUS(status);
}

/* Is line (such as "READY=1") one of the message's lines? */
static bool
has_line(const char *msg, const char *line)
{
	size_t len = strlen(line);
	const char *p;

	for (p = msg; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, line, len) == 0 &&
		    (p[len] == '\n' || p[len] == '\0'))
			return true;
	return false;
}

/*
 * Type=notify: READY=1 on $NOTIFY_SOCKET (a path, or abstract with '@')
 * from the main process once the mount is served, STOPPING=1 when it
 * stops.
 */
static void
test_notify_ready_and_stopping(void **state)
{
	int variant, one = 1;

	for (variant = 0; variant < 2; variant++) {
		struct daemon d = { 0 };
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		struct start o = { .notify = sa.sun_path, .no_wait = true };
		socklen_t len;
		char msg[512];
		pid_t sender;
		int fd, status, waiting;

		daemon_init(&d);
		if (variant == 0)
			snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.link",
				 d.dir);
		else
			snprintf(sa.sun_path, sizeof(sa.sun_path),
				 "@relayforkd-test-%d", (int)getpid());
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				  strlen(sa.sun_path));
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		assert_true(fd >= 0);
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one,
					    sizeof(one)), 0);
		if (variant == 1)
			sa.sun_path[0] = '\0';
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
		if (variant == 1)
			sa.sun_path[0] = '@';

		daemon_start_with(&d, &o);
		assert_true(recv_notify(fd, msg, sizeof(msg), &sender,
					WAIT_MS) > 0);
		/* Stopped at once: what it announced must be true already. */
		kill(d.pid, SIGSTOP);
		if (!has_line(msg, "READY=1"))
			fail_msg("not READY=1: '%s'", msg);
		assert_int_equal(sender, d.pid);
		assert_true(is_mounted(d.dir));
		/* The kernel's INIT is answered already (where fusectl can
		 * tell). */
		waiting = fuse_waiting(d.dir);
		if (waiting >= 0)
			assert_int_equal(waiting, 0);
		kill(d.pid, SIGCONT);
		assert_true(is_served(&d));

		kill(d.pid, SIGTERM);
		assert_true(recv_notify(fd, msg, sizeof(msg), &sender,
					WAIT_MS) > 0);
		if (!has_line(msg, "STOPPING=1"))
			fail_msg("not STOPPING=1: '%s'", msg);
		status = wait_child(d.pid);
		track(&d, false);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		assert_false(is_mounted(d.dir));
		close(fd);
		daemon_cleanup(&d);
	}
}

/* Without $NOTIFY_SOCKET, or with one nobody listens on, it serves. */
static void
test_notify_socket_absent(void **state)
{
	struct daemon d = { 0 };
	struct start o = { .notify = "/nonexistent/notify" };

	daemon_start_with(&d, &o);
	daemon_stop(&d);
}

/* The unit's CapabilityBoundingSet=, as setpriv(1) --bounding-set
 * takes it ("-all,+sys_admin,..."), minus the capability without. */
static bool
unit_bounding_set(char *out, size_t size, const char *without)
{
	char line[512], *tok, *save;
	bool found = false;
	FILE *f;

	if (!unit_path)
		return false;
	f = fopen(unit_path, "re");
	assert_non_null(f);
	snprintf(out, size, "-all");
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "CapabilityBoundingSet=", 22) == 0) {
			found = true;
			for (tok = strtok_r(line + 22, " \n", &save); tok;
			     tok = strtok_r(NULL, " \n", &save)) {
				char *p;

				if (strncmp(tok, "CAP_", 4) != 0)
					continue;
				if (without && strcmp(tok, without) == 0)
					continue;
				for (p = tok; *p; p++)
					*p = (char)(*p >= 'A' && *p <= 'Z'
							    ? *p - 'A' + 'a'
							    : *p);
				snprintf(out + strlen(out), size - strlen(out),
					 ",+%s", tok + 4);
			}
		}
	fclose(f);
	return found;
}

/* A target's sent count in the stats, -1 if it is not listed. */
static long long
target_sent(const struct daemon *d, pid_t pid)
{
	unsigned long long sent;
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "target %d sent ", (int)pid);
	p = strstr(read_file(d->stats), key);
	if (!p || sscanf(p + strlen(key), "%llu", &sent) != 1)
		return -1;
	return (long long)sent;
}

/*
 * The daemon does its work with nothing but the unit's capability
 * bounding set: mounts, signals another user's process, forces its
 * receive buffer, removes a stale mount; and each capability in the set
 * is needed.
 */
static void
test_unit_capabilities(void **state)
{
	char set[256], wrapper[512];
	struct daemon d = { 0 };
	struct start o = { .wrapper = wrapper };
	long rmem_max = 0;
	pid_t slow, x;
	int r, status;

	if (!unit_path || system("command -v setpriv >/dev/null") != 0)
		skip();
	if (!unit_bounding_set(set, sizeof(set), NULL))
		fail_msg("%s has no CapabilityBoundingSet=", unit_path);
	snprintf(wrapper, sizeof(wrapper),
		 "setpriv --bounding-set %s --inh-caps -all --", set);
	daemon_start_with(&d, &o);
	/* Another user's receiver: needs CAP_KILL. */
	slow = start_slow_receiver(SIGRTMIN, 4266, 16);
	assert_int_equal(write_pid(d.processes, false, slow), 0);
	x = fork_and_reap();
	(void)x;
	for (int64_t end = now_ms() + WAIT_MS;
	     target_sent(&d, slow) < 1 && now_ms() < end;)
		usleep(20 * 1000);
	assert_true(target_sent(&d, slow) >= 1);
	/* SO_RCVBUFFORCE: CAP_NET_ADMIN. */
	r = daemon_rcvbuf(&d);
	if (r != -ENOSYS)
		assert_int_equal(r, 16 << 20);
	/* umount2() of the stale mount and mount(): CAP_SYS_ADMIN. */
	daemon_crash(&d);
	daemon_start_with(&d, &o);
	assert_int_equal(mount_count(d.dir), 1);
	assert_true(target_sent(&d, slow) >= 0); /* restored */
	kill(slow, SIGKILL);
	wait_child(slow);
	daemon_stop(&d);

	/* Each one is needed. */
	unit_bounding_set(set, sizeof(set), "CAP_SYS_ADMIN");
	snprintf(wrapper, sizeof(wrapper),
		 "timeout 5 setpriv --bounding-set %s --inh-caps -all -- %s "
		 "-m /tmp/relayforkd-test-nomount >/dev/null 2>&1",
		 set, daemon_path);
	mkdir("/tmp/relayforkd-test-nomount", 0700);
	status = system(wrapper);
	rmdir("/tmp/relayforkd-test-nomount");
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);

	unit_bounding_set(set, sizeof(set), "CAP_KILL");
	snprintf(wrapper, sizeof(wrapper),
		 "setpriv --bounding-set %s --inh-caps -all --", set);
	memset(&d, 0, sizeof(d));
	daemon_start_with(&d, &o);
	slow = start_slow_receiver(SIGRTMIN, 4266, 16);
	/* Registering checks kill(pid, 0), which fails without it. */
	assert_int_equal(write_pid(d.processes, false, slow), -EPERM);
	kill(slow, SIGKILL);
	wait_child(slow);
	daemon_stop(&d);

	if (procfs_read_long_test("/proc/sys/net/core/rmem_max", &rmem_max) &&
	    2 * rmem_max < (16 << 20)) {
		unit_bounding_set(set, sizeof(set), "CAP_NET_ADMIN");
		snprintf(wrapper, sizeof(wrapper),
			 "setpriv --bounding-set %s --inh-caps -all --", set);
		memset(&d, 0, sizeof(d));
		daemon_start_with(&d, &o);
		r = daemon_rcvbuf(&d);
		if (r != -ENOSYS)
			assert_true(r < (16 << 20));
		daemon_stop(&d);
	}
}

/*
 * The unit's LimitNOFILE= is what the default limits need, a descriptor
 * per target of --max-targets and the daemon's own: under it the daemon
 * keeps --max-targets whole; one descriptor fewer makes it lower the
 * limit, and say so.
 */
static void
test_unit_descriptor_limit(void **state)
{
	char line[256], wrapper[128], text[96];
	struct start o = { .wrapper = wrapper };
	struct daemon d = { 0 };
	struct rlimit lim;
	long limit = -1;
	FILE *f;

	if (!unit_path || system("command -v prlimit >/dev/null") != 0)
		skip();
	f = fopen(unit_path, "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		sscanf(line, "LimitNOFILE=%ld", &limit);
	fclose(f);
	assert_true(limit > 0);
	/* Above our hard limit, prlimit needs CAP_SYS_RESOURCE: so does
	 * raising it here, which tells whether it will work. */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &lim), 0);
	if (lim.rlim_max < (rlim_t)limit) {
		lim.rlim_max = (rlim_t)limit;
		if (setrlimit(RLIMIT_NOFILE, &lim) < 0)
			skip();
	}
	snprintf(wrapper, sizeof(wrapper), "prlimit --nofile=%ld:%ld --", limit,
		 limit);
	daemon_start_with(&d, &o);
	assert_false(log_has(&d, "RLIMIT_NOFILE allows"));
	daemon_stop(&d);

	snprintf(wrapper, sizeof(wrapper), "prlimit --nofile=%ld:%ld --",
		 limit - 1, limit - 1);
	memset(&d, 0, sizeof(d));
	daemon_start_with(&d, &o);
	snprintf(text, sizeof(text), "RLIMIT_NOFILE allows %ld descriptors",
		 limit - 1);
	assert_true(log_has(&d, text));
	daemon_stop(&d);
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
		cmocka_unit_test(test_metrics_match_stats),
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
		cmocka_unit_test_teardown(test_state_restore_applies_permissions,
					  test_teardown),
	};
	const struct CMUnitTest lifecycle[] = {
		cmocka_unit_test_teardown(test_seed_examples_verbatim,
					  cleanup_leftovers),
		cmocka_unit_test_teardown(test_stale_mount_recovered,
					  cleanup_leftovers),
		cmocka_unit_test_teardown(test_lost_events_counted,
					  cleanup_leftovers),
		cmocka_unit_test_teardown(test_options,
					  cleanup_leftovers),
		cmocka_unit_test_teardown(test_unsubscribes_when_last_target_exits,
					  cleanup_leftovers),
		cmocka_unit_test_teardown(test_buffer_sizes,
					  cleanup_leftovers),
		cmocka_unit_test_teardown(test_terminating_signals_unmount,
					  cleanup_leftovers),
		cmocka_unit_test_teardown(test_queued_signal_unmounts,
					  cleanup_leftovers),
		cmocka_unit_test_teardown(test_registered_daemon_survives,
					  cleanup_leftovers),
		cmocka_unit_test_teardown(test_broken_stderr_survives,
					  cleanup_leftovers),
		cmocka_unit_test_teardown(test_served_mountpoint_spellings_refused,
					  cleanup_leftovers),
		cmocka_unit_test_teardown(test_stale_mount_with_space_recovered,
					  cleanup_leftovers),
		cmocka_unit_test_teardown(test_stale_mount_other_spellings_recovered,
					  cleanup_leftovers),
		cmocka_unit_test_teardown(test_state_restored_after_crash,
					  cleanup_leftovers),
		cmocka_unit_test_teardown(test_state_kept_on_clean_stop,
					  cleanup_leftovers),
		cmocka_unit_test_teardown(test_state_file_trust,
					  cleanup_leftovers),
		cmocka_unit_test_teardown(test_state_file_option,
					  cleanup_leftovers),
		cmocka_unit_test_teardown(test_notify_ready_and_stopping,
					  cleanup_leftovers),
		cmocka_unit_test_teardown(test_notify_socket_absent,
					  cleanup_leftovers),
		cmocka_unit_test_teardown(test_unit_capabilities,
					  cleanup_leftovers),
		cmocka_unit_test_teardown(test_unit_descriptor_limit,
					  cleanup_leftovers),
	};
	int failed = 0;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: %s RELAYFORKD [UNIT-FILE]\n", argv[0]);
		return EXIT_FAILURE;
	}
	daemon_path = argv[1];
	unit_path = argc == 3 ? argv[2] : NULL;
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
