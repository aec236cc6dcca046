// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Attribution against the real kernel: cgroups named as the runtimes
 * name theirs, made for the test under the cgroup v2 hierarchy, processes
 * run in them, and the answers checked after feeding a table the real
 * monitor's events.  Every cgroup made is removed afterwards, also after
 * a failure (and those of an earlier run that crashed, at the start).
 * Exits 77 only where no cgroup v2 hierarchy is mounted.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "helpers.h"
#include "procfs.h"

#define ID "3b1e5c9a0d7f4e2b8c6a1d0e9f8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a"
#define ID2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID "6e7520b1-f6e3-45bd-8673-1d64d102fedf"
#define UID_ "6e7520b1_f6e3_45bd_8673_1d64d102fedf"
#define PREFIX "relayfork-test-"
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The cgroup v2 mount point, our directory in it ("relayfork-test-PID"),
 * and the test process's own cgroup. */
static char mount_point[512];
static char base[64];
static char own_cgroup[RELAYFORK_CGROUP_PATH_MAX];
/* The test process (children that exit() remove nothing), and its
 * binary, which a child executes. */
static pid_t owner;
static const char *self;

struct ctx {
	struct relayfork_monitor *m;
	struct relayfork_attribution *a;
	/* The test process and the processes it made, as forks show. */
	pid_t family[512];
	size_t nfamily;
};

/* Kill whatever runs in the cgroup dir and everything below it, then
 * remove them all, deepest first. */
static void
remove_tree(const char *dir)
{
	char path[1024];
	struct dirent *de;
	DIR *d = opendir(dir);
	int tries;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			remove_tree(path);
		}
	closedir(d);
	for (tries = 0; tries < 500; tries++) {
		FILE *f;
		int pid;

		if (rmdir(dir) == 0 || errno == ENOENT)
			return;
		snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
		f = fopen(path, "re");
		while (f && fscanf(f, "%d", &pid) == 1)
			kill(pid, SIGKILL);
		if (f)
			fclose(f);
		usleep(10 * 1000);
	}
	fprintf(stderr, "cannot remove %s: %s\n", dir, strerror(errno));
}

static void
remove_base(void)
{
	char path[1024];

	if (!base[0] || getpid() != owner)
		return;
	snprintf(path, sizeof(path), "%s/%s", mount_point, base);
	remove_tree(path);
}

/* What a run that crashed left behind: the directories of test
 * processes that no longer exist. */
static void
remove_leftovers(void)
{
	char path[1024];
	struct dirent *de;
	DIR *d = opendir(mount_point);

	if (!d)
		return;
	while ((de = readdir(d))) {
		int pid;

		if (strncmp(de->d_name, PREFIX, strlen(PREFIX)) != 0)
			continue;
		pid = atoi(de->d_name + strlen(PREFIX));
		if (pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH))
			continue;
		snprintf(path, sizeof(path), "%s/%s", mount_point, de->d_name);
		remove_tree(path);
	}
	closedir(d);
}

/* Make base/rel (and what leads to it); returns its path as
 * /proc/PID/cgroup shows it. */
static const char *
make_cgroup(const char *rel)
{
	static char shown[RELAYFORK_CGROUP_PATH_MAX];
	char path[1024], *p;

	snprintf(path, sizeof(path), "%s/%s/%s", mount_point, base, rel);
	for (p = path + strlen(mount_point) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
		*p = '/';
	}
	assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
	snprintf(shown, sizeof(shown), "/%s/%s", base, rel);
	return shown;
}

static void
move_to(const char *rel, pid_t pid)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s/cgroup.procs", mount_point, base,
		 rel);
	f = fopen(path, "we");
	assert_non_null(f);
	fprintf(f, "%d\n", (int)pid);
	assert_int_equal(fclose(f), 0);
}

static int
setup_group(void **state)
{
	char buf[8192];
	const char *path;
	size_t len;
	int r;

	r = procfs_find_mount("cgroup2", mount_point, sizeof(mount_point));
	if (r < 0) {
		fprintf(stderr, "skipping: no cgroup v2 hierarchy is mounted (%s)\n",
			strerror(-r));
		exit(EXIT_SKIP);
	}
	if (procfs_read(AT_FDCWD, "/proc/self/cgroup", buf, sizeof(buf)) < 0 ||
	    procfs_parse_cgroup2(buf, &path, &len) != 1 ||
	    len >= sizeof(own_cgroup))
		return -1;
	memcpy(own_cgroup, path, len);
	own_cgroup[len] = '\0';
	remove_leftovers();
	owner = getpid();
	snprintf(base, sizeof(base), PREFIX "%d", (int)getpid());
	snprintf(buf, sizeof(buf), "%s/%s", mount_point, base);
	if (mkdir(buf, 0755) < 0) {
		fprintf(stderr, "cannot make %s: %s\n", buf, strerror(errno));
		base[0] = '\0';
		return -1;
	}
	/* Also when a failed setup or a child's exit() ends the run. */
	atexit(remove_base);
	return 0;
}

static int
teardown_group(void **state)
{
	remove_base();
	return 0;
}

static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->m = start_monitor(0, RELAYFORK_EVENTS_ALL);
	assert_int_equal(relayfork_attribution_new(0, &c->a), 0);
	c->family[c->nfamily++] = getpid();
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	relayfork_attribution_free(c->a);
	relayfork_monitor_unref(c->m);
	free(c);
	return 0;
}

static bool
in_family(const struct ctx *c, pid_t pid)
{
	size_t i;

	for (i = 0; i < c->nfamily; i++)
		if (c->family[i] == pid)
			return true;
	return false;
}

/*
 * Receive events and hand the table those about the test's processes
 * (so that its counters count only theirs), until it has handled one of
 * this type about pid (0: any) whose parent is parent (0: any; forks
 * only), and for an exit, the one that ends the process.  Returns it.
 */
static struct relayfork_event
feed_until(struct ctx *c, int type, pid_t pid, pid_t parent)
{
	int64_t deadline = now_ms() + WAIT_MS;
	struct relayfork_event ev;

	for (;;) {
		struct pollfd pfd = { .fd = relayfork_monitor_get_fd(c->m),
				      .events = POLLIN };
		int r = relayfork_monitor_receive(c->m, &ev);
		bool fork_here;

		assert_true(r >= 0);
		if (r == 0) {
			if (now_ms() > deadline)
				fail_msg("no %s event about %d", relayfork_event_type_name(type),
					 (int)pid);
			poll(&pfd, 1, 100);
			continue;
		}
		if (ev.type == RELAYFORK_EVENT_LOST)
			fail_msg("events lost");
		fork_here = ev.type == RELAYFORK_EVENT_FORK &&
			    in_family(c, ev.u.fork.parent_tgid);
		if (!fork_here && !in_family(c, ev.tgid))
			continue;
		if (fork_here && !(ev.flags & RELAYFORK_EVENT_F_THREAD) &&
		    !in_family(c, ev.pid) && c->nfamily < ARRAY_SIZE(c->family))
			c->family[c->nfamily++] = ev.pid;
		assert_true(relayfork_attribution_handle(c->a, &ev) >= 0);
		if ((int)ev.type != type || (pid && ev.pid != pid) ||
		    (parent && ev.u.fork.parent_tgid != parent))
			continue;
		if (type == RELAYFORK_EVENT_EXIT &&
		    !(ev.flags & RELAYFORK_EVENT_F_PROCESS_END))
			continue;
		return ev;
	}
}

static struct relayfork_attribution_info
get(struct ctx *c, pid_t pid)
{
	struct relayfork_attribution_info info;

	assert_int_equal(relayfork_attribution_get(c->a, pid, &info), 0);
	assert_int_equal(info.pid, pid);
	return info;
}

static uint64_t
counter(struct ctx *c, int which)
{
	return relayfork_attribution_get_counter(c->a, which);
}

static uint64_t
own_pidns(void)
{
	struct stat st;

	assert_int_equal(stat("/proc/self/ns/pid", &st), 0);
	return st.st_ino;
}

/* A child that waits until the pipe's write end is closed. */
static pid_t
spawn_blocked(const int pipefd[2])
{
	pid_t pid = fork_tied();
	char ch;

	assert_true(pid >= 0);
	if (pid == 0) {
		close(pipefd[1]);
		while (read(pipefd[0], &ch, 1) > 0)
			;
		_exit(0);
	}
	return pid;
}

static void
end_child(pid_t pid)
{
	kill(pid, SIGKILL);
	wait_child(pid);
}

/* A process forks in a Docker container's cgroup (systemd driver): its
 * child is read at its fork and attributed to that container. */
static void
test_fork_in_container(void **state)
{
	struct ctx *c = *state;
	const char *rel = "system.slice/docker-" ID ".scope";
	const char *shown = make_cgroup(rel);
	struct relayfork_attribution_info info;
	int go[2], out[2], end[2];
	pid_t holder, child;
	uint64_t reads;
	char ch = 'g';

	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(end), 0);
	holder = fork_tied();
	assert_true(holder >= 0);
	if (holder == 0) {
		pid_t pid;

		close(end[1]);
		if (read(go[0], &ch, 1) != 1)
			_exit(1);
		pid = fork();
		if (pid == 0) {
			while (read(end[0], &ch, 1) > 0)
				;
			_exit(0);
		}
		if (write(out[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(1);
		waitpid(pid, NULL, 0);
		_exit(0);
	}
	close(end[0]);
	move_to(rel, holder);
	assert_int_equal(write(go[1], &ch, 1), 1);
	assert_int_equal(read(out[0], &child, sizeof(child)), sizeof(child));

	feed_until(c, RELAYFORK_EVENT_FORK, child, holder);
	info = get(c, child);
	assert_string_equal(info.cgroup, shown);
	assert_int_equal(info.flags, 0);
	assert_int_equal(info.container.runtime, RELAYFORK_RUNTIME_DOCKER);
	assert_string_equal(info.container.id, ID);
	assert_string_equal(info.container.unit, "docker-" ID ".scope");
	assert_string_equal(info.container.pod_uid, "");
	assert_int_equal(info.ns_pid, child);
	assert_int_equal(info.pidns, own_pidns());
	assert_true(info.start_ns > 0 && info.start_ns <= procfs_now_ns());
	/* The holder was read at its fork, after it was moved. */
	assert_string_equal(get(c, holder).cgroup, shown);
	/* Both share one record of the cgroup. */
	assert_int_equal(counter(c, RELAYFORK_ATTRIBUTION_CGROUPS), 1);

	/* The child's end is attributed without reading /proc again, and
	 * dropped at the next event. */
	reads = counter(c, RELAYFORK_ATTRIBUTION_READS);
	close(end[1]);
	feed_until(c, RELAYFORK_EVENT_EXIT, child, 0);
	assert_int_equal(counter(c, RELAYFORK_ATTRIBUTION_READS), reads);
	assert_string_equal(get(c, child).container.id, ID);
	feed_until(c, RELAYFORK_EVENT_EXIT, holder, 0);
	assert_int_equal(relayfork_attribution_get(c->a, child, &info), -ENOENT);
	assert_int_equal(counter(c, RELAYFORK_ATTRIBUTION_READS), reads);
	wait_child(holder);
	/* Once the holder's end is followed by another event, nothing is
	 * left of either, nor of their cgroup. */
	holder = spawn_blocked(go);
	feed_until(c, RELAYFORK_EVENT_FORK, holder, getpid());
	assert_int_equal(relayfork_attribution_get(c->a, child, &info), -ENOENT);
	assert_string_equal(get(c, holder).cgroup, own_cgroup);
	assert_int_equal(counter(c, RELAYFORK_ATTRIBUTION_CGROUPS), 1);
	close(go[1]);
	wait_child(holder);
	close(go[0]);
	close(out[0]);
	close(out[1]);
}

/* clone3(CLONE_INTO_CGROUP) starts a child in another cgroup than its
 * parent's: the child is read, not given its parent's cgroup.  A
 * Kubernetes pod's container under the systemd driver. */
static void
test_clone_into_pod(void **state)
{
	struct ctx *c = *state;
	const char *rel = "kubepods.slice/kubepods-burstable.slice/"
			  "kubepods-burstable-pod" UID_ ".slice/cri-containerd-" ID
			  ".scope";
	const char *shown = make_cgroup(rel);
	struct relayfork_attribution_info info;
	struct clone_args args;
	char path[1024];
	int end[2], cgfd;
	pid_t parent = getpid(), child;
	long r;

	assert_int_equal(pipe(end), 0);
	snprintf(path, sizeof(path), "%s/%s/%s", mount_point, base, rel);
	cgfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(cgfd >= 0);
	memset(&args, 0, sizeof(args));
	args.flags = CLONE_INTO_CGROUP;
	args.exit_signal = SIGCHLD;
	args.cgroup = (uint64_t)cgfd;
	r = syscall(SYS_clone3, &args, sizeof(args));
	if (r < 0 && errno == ENOSYS) {
		/* valgrind knows no clone3: a fork, moved before its fork
		 * event is handled, looks the same to the table. */
		r = fork();
		if (r > 0)
			move_to(rel, (pid_t)r);
	}
	assert_true(r >= 0);
	if (r == 0) {
		char ch;

		die_with_parent(parent);
		close(end[1]);
		while (read(end[0], &ch, 1) > 0)
			;
		_exit(0);
	}
	child = (pid_t)r;
	close(cgfd);
	close(end[0]);

	feed_until(c, RELAYFORK_EVENT_FORK, child, parent);
	info = get(c, child);
	assert_string_equal(info.cgroup, shown);
	assert_int_equal(info.flags, 0);
	assert_int_equal(info.container.runtime, RELAYFORK_RUNTIME_CONTAINERD);
	assert_string_equal(info.container.id, ID);
	assert_string_equal(info.container.pod_uid, UID);
	assert_string_equal(info.container.unit, "cri-containerd-" ID ".scope");
	close(end[1]);
	wait_child(child);
}

/* A child that is gone before its fork is handled takes its parent's
 * cgroup, and says so. */
static void
test_gone_inherits(void **state)
{
	struct ctx *c = *state;
	const char *rel = "machine.slice/libpod-" ID ".scope";
	const char *shown = make_cgroup(rel);
	struct relayfork_attribution_info info;
	int go[2], out[2];
	pid_t holder, child;
	char ch = 'g';

	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(out), 0);
	holder = fork_tied();
	assert_true(holder >= 0);
	if (holder == 0) {
		pid_t pid;

		if (read(go[0], &ch, 1) != 1)
			_exit(1);
		close(go[1]);
		pid = fork();
		if (pid == 0)
			_exit(0);
		/* Reaped before anyone reads it. */
		waitpid(pid, NULL, 0);
		if (write(out[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(1);
		while (read(go[0], &ch, 1) > 0)
			;
		_exit(0);
	}
	move_to(rel, holder);
	assert_int_equal(write(go[1], &ch, 1), 1);
	assert_int_equal(read(out[0], &child, sizeof(child)), sizeof(child));

	feed_until(c, RELAYFORK_EVENT_FORK, child, holder);
	info = get(c, child);
	assert_int_equal(info.flags, RELAYFORK_ATTRIBUTION_F_INHERITED);
	assert_string_equal(info.cgroup, shown);
	assert_int_equal(info.container.runtime, RELAYFORK_RUNTIME_PODMAN);
	assert_string_equal(info.container.id, ID);
	assert_int_equal(info.ns_pid, 0);
	assert_int_equal(info.pidns, 0);
	assert_int_equal(counter(c, RELAYFORK_ATTRIBUTION_INHERITED), 1);
	/* The holder itself was read. */
	assert_int_equal(get(c, holder).flags, 0);
	close(go[1]);
	wait_child(holder);
	close(go[0]);
	close(out[0]);
	close(out[1]);
}

/* Processes in a new PID namespace: their pid there, and the
 * namespace's inode. */
static void
test_pid_namespace(void **state)
{
	struct ctx *c = *state;
	struct relayfork_attribution_info info;
	int out[2], end[2];
	pid_t outer, init, second;
	char path[64];
	struct stat st;

	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(end), 0);
	outer = fork_tied();
	assert_true(outer >= 0);
	if (outer == 0) {
		pid_t pid;
		char ch;

		close(end[1]);
		if (unshare(CLONE_NEWPID) < 0)
			_exit(1);
		pid = fork();
		if (pid == 0) {
			/* pid 1 in the new namespace; its child is 2. */
			if (fork() == 0) {
				while (read(end[0], &ch, 1) > 0)
					;
				_exit(0);
			}
			while (wait(NULL) > 0)
				;
			_exit(0);
		}
		/* Seen from here (the parent namespace): the host pid. */
		if (write(out[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(1);
		waitpid(pid, NULL, 0);
		_exit(0);
	}
	close(end[0]);
	assert_int_equal(read(out[0], &init, sizeof(init)), sizeof(init));

	feed_until(c, RELAYFORK_EVENT_FORK, init, outer);
	second = feed_until(c, RELAYFORK_EVENT_FORK, 0, init).pid;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)init);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_ino != own_pidns());

	info = get(c, init);
	assert_int_equal(info.ns_pid, 1);
	assert_int_equal(info.pidns, st.st_ino);
	info = get(c, second);
	assert_int_equal(info.ns_pid, 2);
	assert_int_equal(info.pidns, st.st_ino);
	/* The one that made the namespace is not in it. */
	info = get(c, outer);
	assert_int_equal(info.ns_pid, outer);
	assert_int_equal(info.pidns, own_pidns());
	close(end[1]);
	wait_child(outer);
	close(out[0]);
	close(out[1]);
}

/* A process moved to another cgroup keeps its answer until it executes
 * a program, when it is read again. */
static void
test_moved_then_exec(void **state)
{
	struct ctx *c = *state;
	const char *first = make_cgroup("system.slice/relayfork-a.service");
	char shown_first[RELAYFORK_CGROUP_PATH_MAX];
	const char *second;
	struct relayfork_attribution_info info;
	int go[2], end[2];
	pid_t child;
	char ch = 'g';

	snprintf(shown_first, sizeof(shown_first), "%s", first);
	second = make_cgroup("system.slice/docker-" ID2 ".scope");
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(end), 0);
	child = fork_tied();
	assert_true(child >= 0);
	if (child == 0) {
		char fd[16];

		close(end[1]);
		if (read(go[0], &ch, 1) != 1)
			_exit(1);
		snprintf(fd, sizeof(fd), "%d", end[0]);
		execl(self, self, "block", fd, (char *)NULL);
		_exit(127);
	}
	close(end[0]);
	move_to("system.slice/relayfork-a.service", child);

	feed_until(c, RELAYFORK_EVENT_FORK, child, getpid());
	info = get(c, child);
	assert_string_equal(info.cgroup, shown_first);
	assert_string_equal(info.container.unit, "relayfork-a.service");
	assert_int_equal(info.container.runtime, RELAYFORK_RUNTIME_NONE);

	/* The kernel tells of no move: the old answer stands. */
	move_to("system.slice/docker-" ID2 ".scope", child);
	assert_string_equal(get(c, child).cgroup, shown_first);

	assert_int_equal(write(go[1], &ch, 1), 1);
	feed_until(c, RELAYFORK_EVENT_EXEC, child, 0);
	info = get(c, child);
	assert_string_equal(info.cgroup, second);
	assert_int_equal(info.flags, 0);
	assert_int_equal(info.container.runtime, RELAYFORK_RUNTIME_DOCKER);
	assert_string_equal(info.container.id, ID2);
	/* The first cgroup has no process left in the table. */
	assert_int_equal(counter(c, RELAYFORK_ATTRIBUTION_CGROUPS), 1);
	close(end[1]);
	wait_child(child);
	close(go[0]);
	close(go[1]);
}

static void *
block_thread(void *arg)
{
	int fd = *(int *)arg;
	char ch;

	while (read(fd, &ch, 1) > 0)
		;
	return NULL;
}

/* Threads share their process's entry; their events, a rename and the
 * end read nothing. */
static void
test_threads_share(void **state)
{
	struct ctx *c = *state;
	const char *shown = make_cgroup("user.slice/user-1000.slice/session-7.scope");
	struct relayfork_attribution_info info;
	struct relayfork_event ev;
	int go[2], end[2];
	pid_t child, thread;
	uint64_t reads;
	char ch = 'g';

	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(end), 0);
	child = fork_tied();
	assert_true(child >= 0);
	if (child == 0) {
		pthread_t t;

		close(end[1]);
		if (read(go[0], &ch, 1) != 1 ||
		    pthread_create(&t, NULL, block_thread, &end[0]) != 0)
			_exit(1);
		prctl(PR_SET_NAME, "renamed");
		pthread_join(t, NULL);
		_exit(0);
	}
	close(end[0]);
	move_to("user.slice/user-1000.slice/session-7.scope", child);
	feed_until(c, RELAYFORK_EVENT_FORK, child, getpid());
	reads = counter(c, RELAYFORK_ATTRIBUTION_READS);
	assert_string_equal(get(c, child).container.unit, "session-7.scope");

	assert_int_equal(write(go[1], &ch, 1), 1);
	ev = feed_until(c, RELAYFORK_EVENT_FORK, 0, 0);
	while (!(ev.flags & RELAYFORK_EVENT_F_THREAD) || ev.tgid != child)
		ev = feed_until(c, RELAYFORK_EVENT_FORK, 0, 0);
	thread = ev.pid;
	/* A thread is asked for by its process. */
	assert_int_equal(relayfork_attribution_get(c->a, thread, &info), -ENOENT);
	assert_string_equal(get(c, child).cgroup, shown);
	feed_until(c, RELAYFORK_EVENT_COMM, child, 0);
	close(end[1]);
	feed_until(c, RELAYFORK_EVENT_EXIT, child, 0);
	assert_string_equal(get(c, child).cgroup, shown);
	assert_int_equal(counter(c, RELAYFORK_ATTRIBUTION_READS), reads);
	assert_int_equal(counter(c, RELAYFORK_ATTRIBUTION_PROCESSES), 1);
	wait_child(child);
	close(go[0]);
	close(go[1]);
}

/*
 * A pid reused before the first process's fork is handled: the new
 * process (started later than that fork) is not taken for the old one,
 * which inherits its parent's cgroup; the new one gets its own at its
 * fork.
 */
static void
test_reused_pid(void **state)
{
	struct ctx *c = *state;
	const char *shown = make_cgroup("system.slice/docker-" ID ".scope");
	struct relayfork_attribution_info info;
	int end[2];
	pid_t first, second;

	assert_int_equal(pipe(end), 0);
	first = fork_tied();
	assert_true(first >= 0);
	if (first == 0)
		_exit(0);
	wait_child(first);
	/* Later than the first fork by more than a clock tick, which
	 * start times are floored to. */
	usleep(30 * 1000);
	second = fork_with_pid(first);
	if (second == -EEXIST || second == -EBUSY) {
		close(end[0]);
		close(end[1]);
		skip();
	}
	assert_true(second >= 0);
	if (second == 0) {
		char ch;

		die_with_parent(getppid());
		close(end[1]);
		while (read(end[0], &ch, 1) > 0)
			;
		_exit(0);
	}
	assert_int_equal(second, first);
	close(end[0]);
	move_to("system.slice/docker-" ID ".scope", second);

	feed_until(c, RELAYFORK_EVENT_FORK, first, getpid());
	info = get(c, first);
	assert_int_equal(info.flags, RELAYFORK_ATTRIBUTION_F_INHERITED);
	assert_string_equal(info.cgroup, own_cgroup);
	assert_int_equal(info.container.runtime, RELAYFORK_RUNTIME_NONE);

	feed_until(c, RELAYFORK_EVENT_FORK, second, getpid());
	info = get(c, second);
	assert_int_equal(info.flags, 0);
	assert_string_equal(info.cgroup, shown);
	assert_int_equal(info.container.runtime, RELAYFORK_RUNTIME_DOCKER);
	close(end[1]);
	wait_child(second);
}

/* A full table makes room by evicting; lowering the limit evicts. */
static void
test_limit(void **state)
{
	struct ctx *c = *state;
	struct relayfork_attribution_info info;
	pid_t kids[8];
	int end[2];
	size_t i;

	assert_int_equal(relayfork_attribution_set_limit(c->a, 4), 0);
	assert_int_equal(pipe(end), 0);
	for (i = 0; i < ARRAY_SIZE(kids); i++)
		kids[i] = spawn_blocked(end);
	feed_until(c, RELAYFORK_EVENT_FORK, kids[ARRAY_SIZE(kids) - 1], getpid());
	assert_int_equal(counter(c, RELAYFORK_ATTRIBUTION_PROCESSES), 4);
	assert_int_equal(counter(c, RELAYFORK_ATTRIBUTION_EVICTED), 4);
	assert_int_equal(counter(c, RELAYFORK_ATTRIBUTION_READS), 8);
	/* The newest are kept. */
	for (i = 0; i < 4; i++)
		assert_int_equal(relayfork_attribution_get(c->a, kids[i], &info),
				 -ENOENT);
	for (i = 4; i < 8; i++)
		assert_string_equal(get(c, kids[i]).cgroup, own_cgroup);
	assert_int_equal(relayfork_attribution_set_limit(c->a, 2), 0);
	assert_int_equal(counter(c, RELAYFORK_ATTRIBUTION_PROCESSES), 2);
	assert_int_equal(counter(c, RELAYFORK_ATTRIBUTION_EVICTED), 6);
	assert_int_equal(relayfork_attribution_set_limit(c->a, 0), -EINVAL);
	for (i = 0; i < ARRAY_SIZE(kids); i++)
		end_child(kids[i]);
	close(end[0]);
	close(end[1]);
}

/* A loss empties the table; a process is read again at its next event. */
static void
test_lost_forgets(void **state)
{
	struct ctx *c = *state;
	struct relayfork_attribution_info info;
	struct relayfork_event lost = { .type = RELAYFORK_EVENT_LOST };
	int end[2];
	pid_t child;

	assert_int_equal(pipe(end), 0);
	child = spawn_blocked(end);
	feed_until(c, RELAYFORK_EVENT_FORK, child, getpid());
	assert_int_equal(get(c, child).flags, 0);
	/* Not a real loss (no test can make one on purpose without
	 * losing others' events): the report the monitor would give. */
	lost.u.lost.count = 1;
	lost.u.lost.reason = RELAYFORK_LOST_OVERFLOW;
	assert_int_equal(relayfork_attribution_handle(c->a, &lost), 0);
	assert_int_equal(relayfork_attribution_get(c->a, child, &info), -ENOENT);
	assert_int_equal(counter(c, RELAYFORK_ATTRIBUTION_PROCESSES), 0);
	assert_int_equal(counter(c, RELAYFORK_ATTRIBUTION_CGROUPS), 0);
	kill(child, SIGTERM);
	feed_until(c, RELAYFORK_EVENT_EXIT, child, 0);
	assert_string_equal(get(c, child).cgroup, own_cgroup);
	wait_child(child);
	close(end[0]);
	close(end[1]);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fork_in_container, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone_into_pod, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gone_inherits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pid_namespace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_moved_then_exec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads_share, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reused_pid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_forgets, setup, teardown),
	};

	/* The role of a child that executes a program: wait for the end
	 * of file on a descriptor. */
	if (argc == 3 && strcmp(argv[1], "block") == 0) {
		int fd = atoi(argv[2]);
		char ch;

		while (read(fd, &ch, 1) > 0)
			;
		return 0;
	}
	self = argv[0];
	require_proc_events();
	return cmocka_run_group_tests_name("attribution", tests, setup_group,
					   teardown_group);
}
