/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Thread groups: which exit ends a process.
 *
 * The kernel reports the exit of every task, and a process ends with the
 * exit of its last one, which is not always its main thread's: a main
 * thread can call pthread_exit() and the process go on, forking, for as
 * long as another thread lives; the process's wait status is then the
 * last thread's.  Nothing in an exit event says whether it ends the
 * thread group, so this table counts the live threads of each process
 * that has any, from fork and exit events (and from /proc for the
 * processes that were there first), and marks the exits that end a
 * process with RELAYFORK_EVENT_F_PROCESS_END.  Processes that never start
 * a thread cost nothing.
 *
 * When the socket keeps only the failed exits of main threads
 * (RELAYFORK_EVENTS_EXIT_FAILURE without RELAYFORK_EVENTS_EXIT), a main
 * thread that left early with status 0 is not seen; a thread of a
 * process whose main thread was not seen to exit then ends the process
 * when it is the last and exits with a non-zero status (only a group
 * exit makes a thread's status non-zero), and the main thread's own
 * failed exit, if it comes later, is no longer the end.
 *
 * The kernel sends a task's exit event at the very end of its exit, after
 * it has woken pthread_join(): a thread that was joined can be reported
 * after its main thread's exit(5), and be the last of the process.  Its
 * own status is 0, not the process's.  The process's wait status is the
 * group exit's, which every task that was still running reports (the
 * leader's, when there was none), so the exit that ends a process with
 * status 0 carries the last non-zero status one of its tasks reported
 * instead.  (Only a thread's raw exit(2) with a code can make that
 * wrong.)
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "pidmap.h"
#include "relayfork/relayfork.h"

struct threads {
	/* A live thread that is not a main thread: its process. */
	struct pidmap tids;
	/* A process with live threads: their number and GROUP_* flags. */
	struct pidmap groups;
	/* Such a process one of whose tasks exited with a non-zero wait
	 * status: the last such status. */
	struct pidmap status;
	/* Every exit of a main thread is seen (else only failed ones). */
	bool all_leader_exits;
	/* The table was read from /proc at this CLOCK_MONOTONIC time;
	 * events stamped earlier are older than what it says. */
	uint64_t since_ns;
};

void threads_init(struct threads *t);
void threads_free(struct threads *t);
void threads_clear(struct threads *t);

/*
 * Read the table from /proc: the processes that have threads now.
 * 0, or a negative errno when /proc cannot be read (the table is then
 * empty, and processes that already had threads are taken to end with
 * their main thread).
 */
int threads_resync(struct threads *t);

/* Follow an event; set RELAYFORK_EVENT_F_PROCESS_END on an exit that
 * ends its process. */
void threads_observe(struct threads *t, struct relayfork_event *event);
