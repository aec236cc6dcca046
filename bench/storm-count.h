/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Counting a storm's events exactly, from the events alone.
 *
 * Other processes on the machine make events too, so a listener counts
 * only the tasks below the storm's root process (storm.c):
 *
 *  - a fork whose parent process is the root creates a worker;
 *  - a fork whose parent process is a worker (a process the worker
 *    forked), or whose new task belongs to a worker's thread group (a
 *    thread: the kernel names the worker's parent as a thread's parent),
 *    creates a task;
 *  - an exec counts when its task is one of those;
 *  - an exit counts when its task is one of those, or when its parent or
 *    thread group is the root or a worker (so that an exit still counts
 *    when the fork before it was lost).
 *
 * Workers stay alive until every task they created is reaped, so their
 * pids cannot be reused while they matter; a task's pid is forgotten at
 * its exit, long before pid_max wraps.  The per-pid table is allocated
 * once, sized from /proc/sys/kernel/pid_max: counting allocates nothing
 * per event.
 */
#pragma once

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct storm_count {
	pid_t root;
	size_t pid_max;
	unsigned char *state;
	/* The storm's events, by type. */
	uint64_t forks;
	uint64_t execs;
	uint64_t exits;
	/* Every event received, the storm's or not. */
	uint64_t events;
	/* Events reported lost (the library's LOST events, ENOBUFS). */
	uint64_t lost;
	uint64_t lost_reports;
};

/* root 0 counts every event but no storm. */
int storm_count_init(struct storm_count *c, pid_t root);
void storm_count_free(struct storm_count *c);

void storm_count_fork(struct storm_count *c, pid_t pid, pid_t tgid,
		      pid_t parent_tgid);
void storm_count_exec(struct storm_count *c, pid_t pid);
void storm_count_exit(struct storm_count *c, pid_t pid, pid_t tgid,
		      pid_t parent_tgid);
/* Any other event type. */
void storm_count_other(struct storm_count *c);

/*
 * The line the runner parses:
 * "result events=N storm_events=N forks=N execs=N exits=N lost=N
 *  lost_reports=N drops=N".  drops < 0 prints as -1 (unknown).
 */
void storm_count_report(const struct storm_count *c, long long drops, FILE *f);

/* The socket's kernel drop counter (SO_MEMINFO), or -1. */
long long socket_drops(int fd);

/*
 * Parse the options every listener takes: -p ROOT (the storm's pid),
 * -f (fork events only).  Returns 0, or prints usage and returns -1.
 */
int listener_options(int argc, char **argv, const char *name, pid_t *ret_root,
		     int *ret_fork_only);

/*
 * SIGINT and SIGTERM set *flag and interrupt blocking calls (no
 * SA_RESTART), so that a loop blocked in poll() or recv() sees EINTR.
 */
void listener_catch_signals(volatile sig_atomic_t *flag);
