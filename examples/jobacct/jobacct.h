/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jobacct's parts: options, resource figures, BSD accounting, reports. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/acct.h>
#include <sys/types.h>

#include <relayfork/relayfork.h>

#include "text.h"

struct config {
	bool json;		/* --json */
	const char *json_path;	/* --json=FILE; NULL for standard output */
	const char *acct_path;	/* -o FILE */
	bool append;		/* -a: add to FILE rather than replace it */
	bool tree;		/* --tree */
	bool quiet;		/* no summary */
	size_t buffer;		/* 0 for the library's default */
	char **command;		/* NULL-terminated */
};

/* options.c: the command line.  Returns -1 to go on, or an exit status
 * (0 after --help/--version, 2 on a usage error, with a message). */
int options_parse(int argc, char **argv, struct config *cfg);
void options_usage(FILE *out);

/*
 * What jobacct learns of a member besides the tracker's record, from
 * the events it hands the tracker: BSD accounting wants them.
 */
struct extra {
	uint32_t gid;		/* real group id (inherited, then GID events) */
	pid_t exit_ppid;	/* its parent when it ended; 0 when not known */
	bool execd;		/* it executed a program (else AFORK) */
};

/*
 * usage.c: where resource figures come from; the one place that knows.
 *
 * Per process they come from taskstats: the source hands its records to
 * the tracker, which sums them into struct relayfork_member.usage and
 * sets RELAYFORK_MEMBER_F_USAGE.  Without it (no CAP_NET_ADMIN, or
 * outside the initial namespaces) members have no usage, and
 * usage_missing() says why.  For the job as a whole, getrusage(2)'s
 * RUSAGE_CHILDREN: jobacct is the job's subreaper and reaps every
 * process of it, orphans included.
 */
struct usage_source;

/* Start receiving per-process figures for t's members, before the
 * command runs.  The run goes on without them: only -ENOMEM fails. */
int usage_open(struct relayfork_tracker *t, struct usage_source **ret);
/* The descriptor to poll for POLLIN, or -1 when there is none. */
int usage_get_fd(const struct usage_source *u);
/* Take what is waiting and hand it to the tracker: 1 when anything was
 * read, 0 when nothing, or -errno. */
int usage_dispatch(struct usage_source *u, struct relayfork_tracker *t);
/* NULL when per-process figures come; otherwise why not, for people. */
const char *usage_missing(const struct usage_source *u);
/* Records lost on the way (the figures of some members are missing). */
uint64_t usage_lost(const struct usage_source *u);
void usage_free(struct usage_source *u);

/*
 * The job as a whole: what jobacct's reaped children used, which is the
 * job (jobacct is its subreaper).  CPU, memory and storage from
 * getrusage(RUSAGE_CHILDREN); the bytes passed to read(2) and write(2)
 * from /proc/self/io less jobacct's own thread's (the kernel adds a
 * reaped child's I/O counts to its parent's, as its CPU times).
 */
struct job_usage {
	uint64_t utime_us;
	uint64_t stime_us;
	uint64_t maxrss_kb;	/* the largest peak of a single process */
	uint64_t minflt;
	uint64_t majflt;
	uint64_t read_bytes;	/* from storage (ru_inblock, 512-byte units) */
	uint64_t write_bytes;	/* to storage (ru_oublock) */
	bool chars_known;	/* /proc/self/io could be read */
	uint64_t read_chars;	/* bytes passed to read(2) and the like */
	uint64_t write_chars;
};

void usage_children(struct job_usage *ret);
/* What the job used since @before (the figures inherited across exec
 * from whoever ran jobacct are not the job's); maxrss_kb cannot be
 * taken apart and stays as it is. */
void usage_since(struct job_usage *now, const struct job_usage *before);

/* acct.c: BSD process accounting, version 3 (struct acct_v3). */

/* The kernel's encodings (kernel/acct.c): a comp_t (13-bit mantissa,
 * base-8 exponent, rounded) and an IEEE float (truncated). */
uint16_t acct_encode_comp(uint64_t value);
uint32_t acct_encode_float(uint64_t value);

/* The record of a member that ended.  @real_offset_ns: CLOCK_REALTIME -
 * CLOCK_MONOTONIC. */
void acct_fill(struct acct_v3 *ac, const struct relayfork_member *m,
	       const struct extra *x, int64_t real_offset_ns);

/* report.c: what jobacct says. */

/* CLOCK_REALTIME - CLOCK_MONOTONIC now, in ns. */
int64_t real_offset_ns(void);

/* The end of the job, for the summary. */
struct outcome {
	char *const *command;
	pid_t pid;		/* the command's */
	bool reaped;		/* its status is known */
	int status;		/* raw wait status */
	int exit_code;		/* what jobacct exits with */
	bool interrupted;	/* stopped by a second signal: not over */
	bool blind;		/* no process events came: not followed */
	bool complete;		/* ended, nothing lost: nothing escaped */
	uint64_t elapsed_ns;
	uint64_t daemonised;
	struct relayfork_tracker_totals totals;
	struct job_usage job;
	const char *missing;	/* usage_missing() */
};

/* One JSON object for a member that ended, one line. */
void report_json_member(FILE *out, const struct relayfork_member *m,
			const struct extra *x, int64_t real_offset_ns);
void report_json_summary(FILE *out, const struct outcome *o);
void report_text_summary(FILE *out, const struct outcome *o);
/* "exit 3", "killed by SIGTERM (core dumped)", "status unknown" */
void report_status(char *buf, size_t size, const struct relayfork_member *m);

/* The process tree, for --tree: every member that ended, by id. */
struct tree;

struct tree *tree_new(void);
void tree_free(struct tree *tree);
/* Keep a member's final record; 0 or -ENOMEM. */
int tree_add(struct tree *tree, const struct relayfork_member *m);
void tree_print(FILE *out, const struct tree *tree);
