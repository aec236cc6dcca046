// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * storm - create tasks as fast as possible for a fixed time and say
 * exactly how many were created, so that a listener's loss can be
 * computed against the truth.
 *
 * The process that runs storm (the root) forks N worker processes; each
 * worker creates tasks one after another (fork+exit+wait, vfork,
 * clone(CLONE_VM), a thread created and joined, or fork+exec) until the
 * deadline.  Workers are processes, not threads of one process, so that
 * they do not serialize on one address space's locks.  Every task in the
 * tree below the root counts, the workers included: a listener that
 * knows the root's pid can recognise each of them from the events alone
 * (see storm-count.h).
 *
 * Protocol, for the runner: storm prints "ready pid=ROOT" and waits for
 * a line on stdin (so that listeners can subscribe knowing the pid), then
 * runs and prints one "result ..." line.  -n starts at once.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum mode {
	MODE_FORK,
	MODE_VFORK,
	MODE_CLONE,
	MODE_THREAD,
	MODE_EXEC,
};

static const char *const mode_names[] = {
	[MODE_FORK] = "fork",
	[MODE_VFORK] = "vfork",
	[MODE_CLONE] = "clone",
	[MODE_THREAD] = "thread",
	[MODE_EXEC] = "exec",
};

#define MAX_WORKERS 256
#define CLONE_STACK_SIZE (64 * 1024)
#define THREAD_STACK_SIZE (64 * 1024)

/* One cache line per worker: the counters live in shared memory and are
 * written by one process each. */
struct worker_count {
	uint64_t created;
	uint64_t execs;
	uint64_t failed;
	unsigned char pad[40];
};

struct options {
	enum mode mode;
	unsigned int workers;
	double seconds;
	const char *exec_path;
	int start_now;
	/* Small stacks: glibc keeps a 40 MiB cache of thread stacks, and
	 * eight 8 MiB stacks would miss it and mmap every time. */
	pthread_attr_t thread_attr;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double
timeval_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static void *
thread_main(void *arg)
{
	return arg;
}

static int
clone_main(void *arg)
{
	return 0;
}

/* Wait for one child; true if it exited with status 0. */
static int
reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Create one task; returns 1 if a task was created.  An exec that
 * succeeded bumps *execs (the helper exits 0, a failed exec 127). */
static int
create_one(const struct options *o, unsigned char *clone_stack,
	   uint64_t *execs)
{
	pthread_t thread;
	pid_t pid = -1;

	switch (o->mode) {
	case MODE_FORK:
		pid = fork();
		if (pid == 0)
			_exit(0);
		break;
	case MODE_VFORK:
		pid = vfork();
		if (pid == 0)
			_exit(0);
		break;
	case MODE_CLONE:
		/* The child runs on clone_stack while we wait for it, so
		 * one stack per worker is enough. */
		pid = clone(clone_main, clone_stack + CLONE_STACK_SIZE,
			    CLONE_VM | SIGCHLD, NULL);
		break;
	case MODE_THREAD:
		if (pthread_create(&thread, &o->thread_attr, thread_main,
				   NULL) != 0)
			return 0;
		pthread_join(thread, NULL);
		return 1;
	case MODE_EXEC:
		pid = fork();
		if (pid == 0) {
			execl(o->exec_path, o->exec_path, (char *)NULL);
			_exit(127);
		}
		if (pid > 0) {
			if (reap(pid))
				(*execs)++;
			return 1;
		}
		break;
	}
	if (pid < 0)
		return 0;
	reap(pid);
	return 1;
}

static void
worker(const struct options *o, uint64_t deadline, struct worker_count *count)
{
	unsigned char *stack = NULL;
	uint64_t created = 0, execs = 0, failed = 0;

	if (o->mode == MODE_CLONE) {
		stack = mmap(NULL, CLONE_STACK_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (stack == MAP_FAILED)
			_exit(1);
	}
	while (now_ns() < deadline) {
		if (create_one(o, stack, &execs))
			created++;
		else
			failed++;
	}
	count->created = created;
	count->execs = execs;
	count->failed = failed;
	_exit(0);
}

static int
parse_mode(const char *s, enum mode *ret)
{
	unsigned int i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (strcmp(s, mode_names[i]) == 0) {
			*ret = (enum mode)i;
			return 0;
		}
	return -1;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: storm [-m MODE] [-w WORKERS] [-d SECONDS] [-x PATH] [-n]\n"
		"  -m  fork, vfork, clone, thread (default) or exec\n"
		"  -w  worker processes (default 8)\n"
		"  -d  duration in seconds (default 2)\n"
		"  -x  program that exec mode runs (default: storm-true next to storm)\n"
		"  -n  start at once instead of waiting for a line on stdin\n");
}

/* storm-true in the directory of this executable. */
static char *
default_exec_path(void)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 16);
	char *slash;

	if (n <= 0)
		return NULL;
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (!slash)
		return NULL;
	strcpy(slash + 1, "storm-true");
	return path;
}

int
main(int argc, char **argv)
{
	struct options o = { .mode = MODE_THREAD, .workers = 8, .seconds = 2.0 };
	struct worker_count *counts;
	uint64_t created, execs = 0, failed = 0, start, end, deadline;
	struct rusage ru;
	pid_t pids[MAX_WORKERS];
	unsigned int i, started = 0;
	char line[64];
	double elapsed;
	int opt, ok = 1;

	while ((opt = getopt(argc, argv, "m:w:d:x:nh")) != -1) {
		switch (opt) {
		case 'm':
			if (parse_mode(optarg, &o.mode) < 0) {
				usage(stderr);
				return 2;
			}
			break;
		case 'w':
			o.workers = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'd':
			o.seconds = strtod(optarg, NULL);
			break;
		case 'x':
			o.exec_path = optarg;
			break;
		case 'n':
			o.start_now = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || o.workers < 1 || o.workers > MAX_WORKERS ||
	    !(o.seconds > 0)) {
		usage(stderr);
		return 2;
	}
	pthread_attr_init(&o.thread_attr);
	pthread_attr_setstacksize(&o.thread_attr, THREAD_STACK_SIZE);
	if (o.mode == MODE_EXEC && !o.exec_path)
		o.exec_path = default_exec_path();
	if (o.mode == MODE_EXEC && (!o.exec_path || access(o.exec_path, X_OK))) {
		fprintf(stderr, "storm: cannot run %s\n",
			o.exec_path ? o.exec_path : "storm-true");
		return 1;
	}

	counts = mmap(NULL, sizeof(*counts) * o.workers, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED) {
		perror("storm: mmap");
		return 1;
	}

	printf("ready pid=%d\n", (int)getpid());
	fflush(stdout);
	if (!o.start_now && !fgets(line, sizeof(line), stdin))
		return 1;

	start = now_ns();
	deadline = start + (uint64_t)(o.seconds * 1e9);
	for (i = 0; i < o.workers; i++) {
		pid_t pid = fork();

		if (pid == 0)
			worker(&o, deadline, &counts[i]);
		if (pid < 0) {
			perror("storm: fork");
			ok = 0;
			break;
		}
		pids[started++] = pid;
	}
	created = started;
	for (i = 0; i < started; i++) {
		if (!reap(pids[i]))
			ok = 0;
		created += counts[i].created;
		execs += counts[i].execs;
		failed += counts[i].failed;
	}
	end = now_ns();
	elapsed = (double)(end - start) / 1e9;
	/* The workers' time, and through them their children's: what the
	 * storm's tasks cost, including the kernel's work for listeners. */
	getrusage(RUSAGE_CHILDREN, &ru);

	printf("result mode=%s workers=%u seconds=%.6f created=%llu execs=%llu "
	       "failed=%llu rate=%.0f cpu=%.6f\n",
	       mode_names[o.mode], started, elapsed, (unsigned long long)created,
	       (unsigned long long)execs, (unsigned long long)failed,
	       (double)created / elapsed, timeval_s(&ru.ru_utime) +
	       timeval_s(&ru.ru_stime));
	return ok ? 0 : 1;
}
