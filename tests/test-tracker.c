// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The job tracker against the real kernel: jobs that double-fork, whose
 * main thread leaves first, that fork hundreds of processes, whose pids
 * come back as strangers', and that are followed through lost events.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "helpers.h"

struct job {
	struct relayfork_monitor *m;
	struct relayfork_tracker *t;
	struct relayfork_taskstats *ts;	/* NULL unless usage is wanted */
	bool drain_usage;		/* follow() drains ts when readable */
	struct relayfork_tracker_event *ev;
	size_t n, cap;
	bool empty;
	int64_t empty_ms;	/* when EMPTY came */
};

static void
job_start_flags(struct job *j, uint32_t mask, size_t rcvbuf, unsigned int flags)
{
	memset(j, 0, sizeof(*j));
	assert_int_equal(relayfork_monitor_new(0, &j->m), 0);
	assert_int_equal(relayfork_monitor_set_events(j->m, mask), 0);
	assert_true(relayfork_monitor_set_receive_buffer_size(j->m, rcvbuf) > 0);
	assert_int_equal(relayfork_monitor_start(j->m), 0);
	assert_int_equal(relayfork_tracker_new(flags, &j->t), 0);
}

static void
job_start(struct job *j, uint32_t mask, size_t rcvbuf)
{
	job_start_flags(j, mask, rcvbuf, 0);
}

static void
job_free(struct job *j)
{
	relayfork_tracker_free(j->t);
	relayfork_taskstats_free(j->ts);
	relayfork_monitor_unref(j->m);
	free(j->ev);
}

static void
take(struct job *j)
{
	struct relayfork_tracker_event ev;

	while (relayfork_tracker_next(j->t, &ev) > 0) {
		if (j->n == j->cap) {
			j->cap = j->cap ? 2 * j->cap : 64;
			j->ev = realloc(j->ev, j->cap * sizeof(*j->ev));
			assert_non_null(j->ev);
		}
		j->ev[j->n++] = ev;
		if (ev.type == RELAYFORK_TRACKER_EMPTY) {
			j->empty = true;
			j->empty_ms = now_ms();
		}
	}
}

/* Feed the tracker until the job is empty (or ms pass); with a
 * taskstats source, drain it whenever it is readable. */
static bool
follow(struct job *j, int ms)
{
	int64_t deadline = now_ms() + ms;

	while (!j->empty && now_ms() < deadline) {
		struct relayfork_event ev;
		struct pollfd pfd[2] = {
			{ .fd = relayfork_monitor_get_fd(j->m), .events = POLLIN },
			{ .fd = j->ts ? relayfork_taskstats_get_fd(j->ts) : -1,
			  .events = POLLIN },
		};

		poll(pfd, 2, 20);
		if ((pfd[1].revents & POLLIN) && j->drain_usage)
			assert_true(relayfork_tracker_drain_usage(j->t) >= 0);
		while (relayfork_monitor_receive(j->m, &ev) > 0) {
			assert_int_equal(relayfork_tracker_handle(j->t, &ev), 0);
			take(j);
		}
	}
	return j->empty;
}

static pid_t
spawn_sh(struct job *j, const char *script)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	pid_t pid;
	int pidfd = -1;

	assert_int_equal(relayfork_tracker_spawn(j->t, j->m, argv, &pid, &pidfd), 0);
	if (pidfd >= 0)
		close(pidfd);
	take(j);
	return pid;
}

/* The ENDED record of a member with this pid, the last one. */
static const struct relayfork_member *
ended(const struct job *j, pid_t pid)
{
	const struct relayfork_member *m = NULL;
	size_t i;

	for (i = 0; i < j->n; i++)
		if (j->ev[i].type == RELAYFORK_TRACKER_ENDED &&
		    j->ev[i].member.pid == pid)
			m = &j->ev[i].member;
	return m;
}

static size_t
count_type(const struct job *j, uint32_t type)
{
	size_t i, n = 0;

	for (i = 0; i < j->n; i++)
		n += j->ev[i].type == type;
	return n;
}

/* Every member that joined ended exactly once, with a unique id, and
 * every parent id is a member's that joined before. */
static void
check_consistent(const struct job *j)
{
	size_t i, k;

	for (i = 0; i < j->n; i++) {
		const struct relayfork_tracker_event *a = &j->ev[i];
		size_t ends = 0;
		bool parent_seen = a->member.parent_id == 0;

		if (a->type != RELAYFORK_TRACKER_JOINED)
			continue;
		for (k = 0; k < j->n; k++) {
			const struct relayfork_tracker_event *b = &j->ev[k];

			if (b->type == RELAYFORK_TRACKER_ENDED &&
			    b->member.id == a->member.id)
				ends++;
			if (k < i && b->type == RELAYFORK_TRACKER_JOINED) {
				assert_true(b->member.id != a->member.id);
				parent_seen = parent_seen ||
					      b->member.id == a->member.parent_id;
			}
		}
		assert_int_equal(ends, 1);
		assert_true(parent_seen);
	}
}

#define FORKS_EXITS (RELAYFORK_EVENTS_FORK | RELAYFORK_EVENTS_EXIT | \
		     RELAYFORK_EVENTS_EXEC | RELAYFORK_EVENTS_COMM)

/* A double fork: the sleep leaves its parent and is still a member; the
 * job is over only when it ends. */
static void
test_double_fork(void **state)
{
	struct job j;
	const struct relayfork_member *root, *sleeper = NULL;
	struct relayfork_tracker_totals totals;
	int64_t root_end_ms = 0;
	size_t i;
	pid_t pid;

	job_start(&j, FORKS_EXITS | RELAYFORK_EVENTS_SKIP_THREADS, 4 << 20);
	pid = spawn_sh(&j, "(sleep 0.3 &); exit 0");
	while (!ended(&j, pid) && follow(&j, 50) == false && !ended(&j, pid))
		;
	root_end_ms = now_ms();
	wait_child(pid);
	assert_true(follow(&j, WAIT_MS));
	root = ended(&j, pid);
	assert_non_null(root);
	assert_true(root->flags & RELAYFORK_MEMBER_F_ROOT);
	assert_int_equal(root->status, 0);
	for (i = 0; i < j.n; i++)
		if (j.ev[i].type == RELAYFORK_TRACKER_ENDED &&
		    strcmp(j.ev[i].member.comm, "sleep") == 0)
			sleeper = &j.ev[i].member;
	assert_non_null(sleeper);
	assert_true(sleeper->flags & RELAYFORK_MEMBER_F_REPARENTED);
	assert_true(sleeper->end_ns - sleeper->start_ns >= 250000000u);
	assert_true(j.empty_ms - root_end_ms >= 200);
	assert_int_equal(count_type(&j, RELAYFORK_TRACKER_EMPTY), 1);
	check_consistent(&j);
	assert_int_equal(relayfork_tracker_get_totals(j.t, &totals), 0);
	assert_int_equal(totals.joined, totals.ended);
	assert_int_equal(totals.live, 0);
	assert_int_equal(totals.joined, 3); /* sh, the subshell, sleep */
	job_free(&j);
}

/* Main thread leaves first, a thread forks later: the child is a
 * member, and the process ends with its last thread. */
static void
test_main_thread_leaves_first(void **state)
{
	static const char *script =
		"import os, threading, time\n"
		"def later():\n"
		"    time.sleep(0.1)\n"
		"    if os.fork() == 0:\n"
		"        os._exit(4)\n"
		"    os.wait()\n"
		"    time.sleep(0.05)\n"
		"    os._exit(7)\n"
		"threading.Thread(target=later).start()\n"
		"import ctypes\n"
		"ctypes.CDLL(None).pthread_exit(None)\n";
	/* The interpreter itself, not a wrapper script that forks. */
	char *argv[] = { "/usr/bin/python3", "-c", (char *)script, NULL };
	const struct relayfork_member *root;
	struct job j;
	size_t i, children = 0;
	pid_t pid;

	if (access("/usr/bin/python3", X_OK) != 0)
		skip();
	job_start(&j, FORKS_EXITS, 4 << 20);
	assert_int_equal(relayfork_tracker_spawn(j.t, j.m, argv, &pid, NULL), 0);
	assert_true(follow(&j, WAIT_MS));
	wait_child(pid);
	root = ended(&j, pid);
	assert_non_null(root);
	assert_int_equal(root->status, 7 << 8);
	assert_true(root->threads >= 2);
	for (i = 0; i < j.n; i++)
		if (j.ev[i].type == RELAYFORK_TRACKER_ENDED &&
		    j.ev[i].member.parent_id == root->id) {
			children++;
			assert_int_equal(j.ev[i].member.status, 4 << 8);
		}
	assert_int_equal(children, 1);
	check_consistent(&j);
	job_free(&j);
}

/* A parallel build: every recipe's shell is a member that ended with 0. */
/* A job whose tracker takes usage from taskstats; skips the test where
 * taskstats cannot be had. */
static void
job_start_with_usage(struct job *j)
{
	int r;

	job_start(j, FORKS_EXITS, 8 << 20);
	r = relayfork_taskstats_new(0, &j->ts);
	if (r == -EPERM || r == -EOPNOTSUPP || r == -EPROTONOSUPPORT) {
		job_free(j);
		skip(); /* taskstats needs CAP_NET_ADMIN in the initial namespaces */
	}
	assert_int_equal(r, 0);
	assert_int_equal(relayfork_tracker_set_taskstats(j->t, j->ts), 0);
}

/*
 * Usage from taskstats: every member of a make -j4 job ends with whole
 * figures, and their CPU time adds up to what getrusage(2) says the
 * test's children used, within a tick per process (taskstats samples
 * at ticks, getrusage is exact).  Whether the program drains the source
 * as it becomes readable (records may then come before their process's
 * fork is handled) or never (the tracker's drain at each member's exit
 * must find the record).
 */
static void
check_usage_of_make(bool program_drains)
{
	char dir[] = "/tmp/relayfork-make-XXXXXX", path[128];
	char *argv[] = { "make", "-s", "-j4", "-C", dir, NULL };
	struct relayfork_tracker_totals totals;
	struct rusage before, after;
	uint64_t rusage_us, sum_us, tolerance_us;
	struct job j;
	FILE *f;
	pid_t pid;
	size_t i;
	int status;

	if (access("/usr/bin/make", X_OK) != 0)
		skip();
	job_start_with_usage(&j);
	j.drain_usage = program_drains;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/Makefile", dir);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs("all:", f);
	for (i = 0; i < 100; i++)
		fprintf(f, " t%zu", i);
	fputs("\n", f);
	/* Some CPU in each: a shell loop. */
	for (i = 0; i < 100; i++)
		fprintf(f, "t%zu:\n\t@i=0; while [ $$i -lt 2000 ]; do i=$$((i+1)); done\n", i);
	fclose(f);

	assert_int_equal(getrusage(RUSAGE_CHILDREN, &before), 0);
	assert_int_equal(relayfork_tracker_spawn(j.t, j.m, argv, &pid, NULL), 0);
	assert_true(follow(&j, 60000));
	status = wait_child(pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(getrusage(RUSAGE_CHILDREN, &after), 0);

	assert_int_equal(relayfork_tracker_get_totals(j.t, &totals), 0);
	assert_true(totals.ended >= 101);
	assert_int_equal(totals.usage_lost, 0);
	assert_int_equal(totals.usage_complete, 1);
	for (i = 0; i < j.n; i++)
		if (j.ev[i].type == RELAYFORK_TRACKER_ENDED) {
			const struct relayfork_member *m = &j.ev[i].member;

			assert_true(m->flags & RELAYFORK_MEMBER_F_USAGE);
			assert_true(m->usage.records >= 1);
		}
	assert_true(totals.usage.records >= totals.ended);
	assert_true(totals.usage.run_ns > 0);

	rusage_us = (uint64_t)(after.ru_utime.tv_sec - before.ru_utime.tv_sec) * 1000000 +
		    (after.ru_utime.tv_usec - before.ru_utime.tv_usec) +
		    (uint64_t)(after.ru_stime.tv_sec - before.ru_stime.tv_sec) * 1000000 +
		    (after.ru_stime.tv_usec - before.ru_stime.tv_usec);
	sum_us = totals.usage.utime_us + totals.usage.stime_us;
	/* A tick is at most 10 ms (HZ 100). */
	tolerance_us = (totals.usage.records + 1) * 10000;
	print_message("taskstats %llu us, getrusage %llu us, %llu records\n",
		      (unsigned long long)sum_us, (unsigned long long)rusage_us,
		      (unsigned long long)totals.usage.records);
	assert_true(sum_us <= rusage_us + tolerance_us);
	assert_true(rusage_us <= sum_us + tolerance_us);
	/* The exact run time is not far from getrusage's either. */
	assert_true(totals.usage.run_ns / 1000 <= rusage_us + tolerance_us);

	snprintf(path, sizeof(path), "%s/Makefile", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	job_free(&j);
}

static void
test_usage_of_make(void **state)
{
	check_usage_of_make(true);
	check_usage_of_make(false);
}

/*
 * A member's record that the program read before the member's exit was
 * handled (it drains the source when readable).  At that exit the
 * tracker has nothing to wait for; if it read on, it would take the
 * records of processes whose forks are still queued (here a child that
 * ends before its parent, neither yet a member) and drop them.  The
 * whole job runs before the tracker sees its events, so the order is
 * the kernel's, not the timing's.
 */
/* Its directory and fifo, removed by the teardown even when it fails. */
static char early_dir[] = "/tmp/relayfork-early-XXXXXX";
static char early_fifo[64];

static int
remove_early_dir(void **state)
{
	if (early_fifo[0])
		unlink(early_fifo);
	if (strcmp(early_dir + strlen(early_dir) - 6, "XXXXXX") != 0)
		rmdir(early_dir);
	return 0;
}

static void
test_usage_read_before_the_exit(void **state)
{
	char *dir = early_dir, *fifo = early_fifo, script[256];
	struct relayfork_tracker_totals totals;
	struct job j;
	pid_t pid;
	size_t i;
	int64_t deadline;
	int r, fd;

	job_start_with_usage(&j);
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(early_fifo), "%s/go", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* Subshells in the background, so that every shell (busybox's
	 * too) forks them: a child, then after the fifo a child that
	 * forks a grandchild and waits for it. */
	snprintf(script, sizeof(script),
		 "(exit 0) & wait; read x < %s; ((exit 0) & wait) & wait", fifo);
	pid = spawn_sh(&j, script);

	/* The first child's record, read before any event is handled:
	 * held, as its parent is a member. */
	deadline = now_ms() + 10000;
	for (r = 0; r < 1; r = relayfork_tracker_drain_usage(j.t)) {
		struct pollfd pfd = { .fd = relayfork_taskstats_get_fd(j.ts),
				      .events = POLLIN };

		assert_true(r >= 0);
		assert_true(now_ms() < deadline);
		poll(&pfd, 1, 100);
	}
	/* The rest of the job, all of it queued before it is followed. */
	fd = open(fifo, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\n", 1), 1);
	close(fd);
	assert_int_equal(wait_child(pid), 0);
	assert_true(follow(&j, 10000));

	assert_int_equal(relayfork_tracker_get_totals(j.t, &totals), 0);
	assert_true(totals.ended >= 4);
	assert_int_equal(totals.usage_lost, 0);
	for (i = 0; i < j.n; i++)
		if (j.ev[i].type == RELAYFORK_TRACKER_ENDED) {
			print_message("member %d: records %llu\n",
				      (int)j.ev[i].member.pid,
				      (unsigned long long)j.ev[i].member.usage.records);
			assert_true(j.ev[i].member.flags & RELAYFORK_MEMBER_F_USAGE);
		}
	assert_int_equal(totals.usage_complete, 1);
	job_free(&j);
}

static void
test_make(void **state)
{
	char dir[] = "/tmp/relayfork-make-XXXXXX", path[128], target[64];
	char *argv[] = { "make", "-s", "-j4", "-C", dir, NULL };
	struct relayfork_tracker_totals totals;
	struct job j;
	FILE *f;
	pid_t pid;
	int i, status, logged = 0, found;

	if (access("/usr/bin/make", X_OK) != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/Makefile", dir);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs("all:", f);
	for (i = 0; i < 200; i++)
		fprintf(f, " t%d", i);
	fputs("\n", f);
	for (i = 0; i < 200; i++)
		fprintf(f, "t%d:\n\t@echo $$$$ >> pids\n", i);
	fclose(f);

	job_start(&j, FORKS_EXITS | RELAYFORK_EVENTS_SKIP_THREADS, 8 << 20);
	assert_int_equal(relayfork_tracker_spawn(j.t, j.m, argv, &pid, NULL), 0);
	assert_true(follow(&j, 60000));
	status = wait_child(pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(path, sizeof(path), "%s/pids", dir);
	f = fopen(path, "re");
	assert_non_null(f);
	while (fscanf(f, "%d", &i) == 1) {
		const struct relayfork_member *m = ended(&j, i);

		assert_non_null(m);
		assert_int_equal(m->status, 0);
		logged++;
	}
	fclose(f);
	assert_int_equal(logged, 200);
	assert_int_equal(relayfork_tracker_get_totals(j.t, &totals), 0);
	assert_int_equal(totals.joined, totals.ended);
	assert_true(totals.joined >= 201);
	assert_int_equal(totals.failed, 0);
	assert_int_equal(totals.lost, 0);
	check_consistent(&j);
	found = unlink(path) == 0;
	snprintf(path, sizeof(path), "%s/Makefile", dir);
	found += unlink(path) == 0;
	assert_int_equal(found, 2);
	assert_int_equal(rmdir(dir), 0);
	snprintf(target, sizeof(target), "%d", pid);
	job_free(&j);
}

/*
 * A member's pid comes back as a stranger's (forked by the test, not by
 * a member): it does not join, and the totals do not move; the same
 * with a loss between the exit and the reuse (the resync must not adopt
 * the stranger).
 */
static void
check_reuse(bool loss)
{
	struct relayfork_tracker_totals before, after;
	struct job j;
	pid_t member, stranger, keeper;
	int go[2];
	char c;

	if (geteuid() != 0)
		skip(); /* choosing a pid needs root */
	job_start(&j, FORKS_EXITS, 4 << 20);
	/* A member that lives on, so that the job is not empty. */
	keeper = spawn_sh(&j, "sleep 5");
	member = spawn_sh(&j, "exit 0");
	wait_child(member);
	while (!ended(&j, member))
		follow(&j, 50);
	assert_int_equal(relayfork_tracker_get_totals(j.t, &before), 0);
	if (loss) {
		struct relayfork_event lost = { .type = RELAYFORK_EVENT_LOST };

		lost.u.lost.count = 1;
		lost.timestamp_ns = (uint64_t)now_ms() * 1000000u;
		assert_int_equal(relayfork_tracker_handle(j.t, &lost), 0);
	}
	assert_int_equal(pipe(go), 0);
	stranger = fork_with_pid(member);
	if (stranger == 0) {
		close(go[1]);
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	assert_int_equal(stranger, member);
	close(go[0]);
	follow(&j, 200);
	if (loss) {
		/* The resync happens now, with the stranger alive. */
		struct relayfork_event lost = { .type = RELAYFORK_EVENT_LOST };

		lost.u.lost.count = 1;
		lost.timestamp_ns = (uint64_t)now_ms() * 1000000u;
		assert_int_equal(relayfork_tracker_handle(j.t, &lost), 0);
		take(&j);
	}
	{
		struct relayfork_member rec;

		assert_int_equal(relayfork_tracker_get_member(j.t, stranger, &rec),
				 -ENOENT);
	}
	close(go[1]);
	wait_child(stranger);
	follow(&j, 200);
	assert_int_equal(relayfork_tracker_get_totals(j.t, &after), 0);
	assert_int_equal(after.joined, before.joined);
	assert_int_equal(after.ended, before.ended);
	kill(keeper, SIGKILL);
	wait_child(keeper);
	assert_true(follow(&j, WAIT_MS));
	check_consistent(&j);
	job_free(&j);
}

static void
test_pid_reuse(void **state)
{
	check_reuse(false);
}

static void
test_pid_reuse_across_a_loss(void **state)
{
	check_reuse(true);
}

/*
 * A storm with a tiny receive buffer while the job double-forks sleeps:
 * events are lost, the tracker reads /proc, the sleeps are members (the
 * tracker is the job's subreaper: their parents' ends were lost too, and
 * they became its children), and the job is empty once, after them.
 */
/* The storm's process group, stopped by the teardown if a test fails. */
static pid_t storm_group;

static int
stop_storm(void **state)
{
	if (storm_group > 0) {
		kill(-storm_group, SIGKILL);
		wait_child(storm_group);
		storm_group = 0;
	}
	return 0;
}

static void
test_loss_during_storm(void **state)
{
	struct relayfork_tracker_totals totals;
	struct job j;
	pid_t pid, storm;
	size_t i, sleeps = 0;

	job_start_flags(&j, FORKS_EXITS, 1, RELAYFORK_TRACKER_SUBREAPER);
	storm = fork();
	assert_true(storm >= 0);
	if (storm == 0) {
		setpgid(0, 0);
		execl("/bin/sh", "sh", "-c", "while :; do /bin/true; done",
		      (char *)NULL);
		_exit(127);
	}
	storm_group = storm;
	/* Not reading while the storm fills the buffer and the job forks:
	 * its forks are among the lost. */
	pid = spawn_sh(&j, "for i in 1 2 3 4 5; do (sleep 0.6 &); done; exit 0");
	usleep(200 * 1000);
	follow(&j, 300);
	stop_storm(NULL);
	wait_child(pid);
	assert_true(follow(&j, WAIT_MS));
	/* Their subreaper reaps them. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0), 0);
	assert_int_equal(relayfork_tracker_get_totals(j.t, &totals), 0);
	assert_true(totals.resyncs >= 1);
	assert_true(totals.lost > 0);
	assert_int_equal(totals.lost,
			 relayfork_monitor_get_counter(j.m, RELAYFORK_COUNTER_LOST));
	for (i = 0; i < j.n; i++)
		if (j.ev[i].type == RELAYFORK_TRACKER_ENDED &&
		    strcmp(j.ev[i].member.comm, "sleep") == 0)
			sleeps++;
	assert_int_equal(sleeps, 5);
	assert_int_equal(count_type(&j, RELAYFORK_TRACKER_EMPTY), 1);
	assert_true(j.ev[j.n - 1].flags & RELAYFORK_TRACKER_F_LOSSY);
	check_consistent(&j);
	job_free(&j);
}

static void
test_spawn_errors(void **state)
{
	char *missing[] = { "/nonexistent/relayfork-command", NULL };
	char *ok[] = { "true", NULL };
	struct relayfork_monitor *m = NULL;
	struct relayfork_tracker *t = NULL;
	pid_t pid;

	assert_int_equal(relayfork_tracker_new(1u << 5, &t), -EINVAL);
	assert_int_equal(relayfork_tracker_new(0, &t), 0);
	assert_int_equal(relayfork_monitor_new(0, &m), 0);
	/* Not subscribed: a fork could go unseen. */
	assert_int_equal(relayfork_tracker_spawn(t, m, ok, &pid, NULL), -EBADFD);
	assert_int_equal(relayfork_monitor_set_events(m, RELAYFORK_EVENTS_EXEC), 0);
	assert_int_equal(relayfork_monitor_start(m), 0);
	/* No forks or exits in the mask. */
	assert_int_equal(relayfork_tracker_spawn(t, m, ok, &pid, NULL), -EBADFD);
	assert_int_equal(relayfork_monitor_set_events(m, FORKS_EXITS), 0);
	assert_int_equal(relayfork_tracker_spawn(t, m, missing, &pid, NULL), -ENOENT);
	assert_int_equal(relayfork_tracker_spawn(t, m, NULL, &pid, NULL), -EINVAL);
	assert_int_equal(relayfork_tracker_add(t, 0), -EINVAL);
	assert_int_equal(relayfork_tracker_add(t, 0x3fffffff), -ESRCH);
	relayfork_tracker_free(t);
	relayfork_monitor_unref(m);
}

/* A running process with children, added: all of them are members. */
static void
test_add_running(void **state)
{
	struct relayfork_member rec;
	struct job j;
	pid_t pid;
	size_t i, found = 0;

	job_start(&j, FORKS_EXITS, 4 << 20);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "sleep 0.4 & sleep 0.4 & wait",
		      (char *)NULL);
		_exit(127);
	}
	usleep(100 * 1000);
	assert_int_equal(relayfork_tracker_add(j.t, pid), 0);
	assert_int_equal(relayfork_tracker_add(j.t, pid), -EEXIST);
	take(&j);
	assert_int_equal(relayfork_tracker_get_member(j.t, pid, &rec), 0);
	assert_true(rec.flags & RELAYFORK_MEMBER_F_ROOT);
	for (i = 0; i < j.n; i++)
		if (j.ev[i].type == RELAYFORK_TRACKER_JOINED &&
		    (j.ev[i].member.flags & RELAYFORK_MEMBER_F_FOUND)) {
			assert_int_equal(j.ev[i].member.ppid, pid);
			found++;
		}
	assert_int_equal(found, 2);
	assert_true(follow(&j, WAIT_MS));
	wait_child(pid);
	assert_non_null(ended(&j, pid));
	check_consistent(&j);
	job_free(&j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_double_fork),
		cmocka_unit_test(test_main_thread_leaves_first),
		cmocka_unit_test(test_make),
		cmocka_unit_test(test_usage_of_make),
		cmocka_unit_test_teardown(test_usage_read_before_the_exit,
					  remove_early_dir),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_pid_reuse_across_a_loss),
		cmocka_unit_test_teardown(test_loss_during_storm, stop_storm),
		cmocka_unit_test(test_spawn_errors),
		cmocka_unit_test(test_add_running),
	};

	require_proc_events();
	return cmocka_run_group_tests_name("tracker", tests, NULL, NULL);
}
