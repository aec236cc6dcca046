/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* relayforkd's state, shared by its files. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <relayfork/relayfork.h>

struct fuse_operations;

struct relayforkd {
	struct relayfork_monitor *monitor;
	struct relayfork_forwarder *forwarder;
	bool subscribed;
	bool user_writes;	/* other users may write the processes file */
	bool verbose;
	long pid_max;
	uint64_t events_lost;
};

/* Log to standard error with the program's name. */
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* fs.c: the FUSE operations serving /processes, /signal and /stats. */
extern const struct fuse_operations relayforkd_operations;
/* Free what readers left open when the filesystem went away. */
void relayforkd_free_snapshots(void);

/*
 * Subscribe while there are targets, and only then: a listener makes the
 * kernel build a message for every fork in the system.
 */
int relayforkd_update_subscription(struct relayforkd *d);

/* creds.c: may process `writer` (on behalf of a FUSE request) signal
 * process `target`, by the rules of kill(2)?  0, -EPERM or -ESRCH. */
int creds_may_signal(pid_t writer, pid_t target);

/* 0 if pid is a process (a thread-group leader), -EINVAL for another
 * thread, -ESRCH if there is no such task. */
int proc_check_process(pid_t pid);
