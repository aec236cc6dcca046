/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* forkwatch's parts: options, the process table, output, statistics. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <relayfork/relayfork.h>

#include "text.h"

/* What -e selected: a library event mask (with SKIP_THREADS unless
 * threads are shown), and thread-level events besides. */
struct selection {
	uint32_t mask;
	bool threads;
};

struct config {
	struct selection show;
	bool json;
	bool color;
	pid_t pid;		/* --pid, 0 for none */
	pid_t tree;		/* --tree, 0 for none */
	bool have_uid;
	uid_t uid;		/* --uid */
	const char *comm;	/* --comm pattern */
	/* Attribution (attribution.c): -C, or any of its filters. */
	bool attribution;
	const char *cgroup;	/* --cgroup, as given; NULL for none */
	char container[65];	/* --container id prefix, lower case */
	char unit[256];		/* --unit, with its suffix */
	bool stats;
	double stats_interval;	/* seconds, 0 for none */
	bool quiet;
	double duration;	/* seconds, 0 for none */
	uint64_t count;		/* 0 for none */
	size_t buffer;		/* 0 for the library's default */
	bool check;
	bool journal;		/* --journal: events to the journal */
	const char *metrics;	/* --metrics FILE, NULL for none */
};

/* Built with libsystemd: --journal can work. */
#ifdef HAVE_LIBSYSTEMD
#define JOURNAL_BUILT true
#else
#define JOURNAL_BUILT false
#endif

/* options.c: the command line.  Returns -1 to go on, or an exit status
 * (0 after --help/--version, 2 on a usage error, with a message). */
int options_parse(int argc, char **argv, struct config *cfg);
void options_usage(FILE *out);

/* Value parsers, pure (no I/O); 0 or -EINVAL.  Sizes: parse-size.h. */
int parse_events(const char *list, struct selection *ret);
int parse_seconds(const char *s, double *ret);
int parse_count(const char *s, uint64_t *ret);
int parse_pid(const char *s, pid_t *ret);
/* A user name or number; uses the user database for names. */
int parse_user(const char *s, uid_t *ret);
/* --container: 4 to 64 hex digits, lower-cased into buf (65 bytes). */
int parse_container_id(const char *s, char *buf, size_t size);
/* --unit: a unit name; one without .service or .scope gets .service. */
int parse_unit(const char *s, char *buf, size_t size);
/* --cgroup: an absolute path (checked further in attribution.c). */
int parse_cgroup(const char *s);

/* The events a selection needs from the library. */
uint32_t selection_mask(const struct selection *sel);
/* Does the selection show this event? */
bool selection_shows(const struct selection *sel,
		     const struct relayfork_event *ev);

/* procs.c: what is known about each process and thread seen. */
struct proc {
	pid_t pid;
	pid_t tgid;
	pid_t ppid;		/* 0 when unknown */
	uid_t uid;
	bool uid_known;
	bool kthread;
	bool gone;		/* exited before it could be read */
	bool listed;		/* seen in the last snapshot */
	bool start_known;
	uint64_t start_ns;	/* CLOCK_MONOTONIC */
	char comm[16];
	char *cmdline;		/* NULL when unknown (or a kernel thread) */
	struct proc *next;	/* hash chain */
};

struct procs;

int procs_new(struct procs **ret);
void procs_free(struct procs *p);
/* Called once per batch: refresh the boot-time to monotonic offset. */
void procs_sync_clock(struct procs *p);
/* Update the table for an event, before it is shown. */
void procs_update(struct procs *p, const struct relayfork_event *ev);
/* The entry for the event's process (or thread), read from /proc the
 * first time; NULL if nothing can be known. */
struct proc *procs_get(struct procs *p, pid_t pid, uint64_t ts);
/* After an exit has been shown: forget the task. */
void procs_forget(struct procs *p, pid_t pid);
/* The name of a process for the statistics: from the table, else from
 * /proc if it still runs; false when unknown. */
bool procs_name(struct procs *p, pid_t pid, char *buf, size_t size);
/*
 * Reconcile the table with a snapshot (relayfork_snapshot_new(3)), at
 * start and after a loss: begin, add every process the snapshot lists
 * (read afresh unless the entry is that same process), end (forget the
 * processes it did not list).
 */
void procs_resync_begin(struct procs *p);
void procs_resync_add(struct procs *p, const struct relayfork_event *ev);
void procs_resync_end(struct procs *p);

/* attribution.c: where each process belongs, from the library's
 * attribution table (-C, --cgroup, --container, --unit). */
struct attribution {
	struct relayfork_attribution *table;
	/* --cgroup as /proc/PID/cgroup shows it, without a trailing '/'
	 * ("" for the root). */
	bool have_cgroup;
	char cgroup[RELAYFORK_CGROUP_PATH_MAX];
	const char *container;	/* --container, NULL for none */
	const char *unit;	/* --unit, NULL for none */
	struct relayfork_attribution_info info;	/* the last answer */
};

/* 0, -errno, or an exit status after a message (a bad --cgroup: 2). */
int attribution_setup(struct attribution *a, const struct config *cfg);
void attribution_free(struct attribution *a);
/* Follow an event (every event, shown or not, LOST included); where
 * its process belongs, or NULL when that cannot be known. */
const struct relayfork_attribution_info *
attribution_follow(struct attribution *a, const struct relayfork_event *ev);
/* The filters; true when none is given. */
bool attribution_matches(const struct attribution *a,
			 const struct relayfork_attribution_info *info);
void attribution_print_header(FILE *out);
void attribution_print_column(FILE *out,
			      const struct relayfork_attribution_info *info);
/* The JSON fields, each with its leading comma. */
void attribution_print_json(FILE *out,
			    const struct relayfork_attribution_info *info);
/* The counters, a line or (json) a field of the summary object. */
void attribution_print_summary(struct relayfork_attribution *t, FILE *out,
			       bool json);

/* render.c: one event, human or JSON (escaped with text.h). */
struct render {
	FILE *out;
	bool json;
	bool color;
	bool attribution;	/* the column and the JSON fields */
	bool header_done;
	/* CLOCK_REALTIME - CLOCK_MONOTONIC, refreshed per batch, to show
	 * the kernel's monotonic timestamps as wall-clock time. */
	int64_t real_offset_ns;
};

/* Refresh the wall-clock offset (once per batch). */
void render_sync_clock(struct render *r);

/* @where: attribution_follow()'s answer (used with r->attribution). */
void render_event(struct render *r, const struct relayfork_event *ev,
		  const struct proc *proc,
		  const struct relayfork_attribution_info *where);
void render_lost(struct render *r, const struct relayfork_event *ev);
/* The human line without its time and newline, to @out. */
void render_line(struct render *r, FILE *out, const struct relayfork_event *ev,
		 const struct proc *proc,
		 const struct relayfork_attribution_info *where);
void render_lost_line(FILE *out, const struct relayfork_event *ev);
/* The parent a line shows (0 when unknown). */
pid_t render_ppid(const struct relayfork_event *ev, const struct proc *proc);
/* "overflow", "sequence" or "unknown". */
const char *render_lost_reason(const struct relayfork_event *ev);

/*
 * journal.c: --journal, each event as a journal entry with fields.
 * @info: where the process belongs, NULL when attribution is off.
 * 0 or -errno (the journal refused the entry: nothing more is sent).
 */
struct journal;

int journal_new(struct journal **ret);
void journal_free(struct journal *j);
int journal_event(struct journal *j, const struct relayfork_event *ev,
		  const struct proc *proc,
		  const struct relayfork_attribution_info *info);
int journal_lost(struct journal *j, const struct relayfork_event *ev);

/*
 * metrics.c: --metrics FILE, counters in the Prometheus text format,
 * rewritten whole (a temporary file renamed over it).
 */
struct metrics;

int metrics_new(const char *path, struct metrics **ret);
void metrics_free(struct metrics *m);
/* A shown event (or a loss); @info as for journal_event(). */
void metrics_count(struct metrics *m, const struct relayfork_event *ev,
		   const struct relayfork_attribution_info *info);
/* The process table was read from /proc again after a loss. */
void metrics_resync(struct metrics *m);
/* Write the file now: 0 or -errno. */
int metrics_write(struct metrics *m);

/*
 * groups.c: events per container or unit for the metrics, with a
 * bounded number of series: the busiest GROUPS_TOP have their own,
 * the rest are counted together as "other".
 */
#define GROUPS_TOP 20

struct groups;

int groups_new(size_t top, struct groups **ret);
void groups_free(struct groups *g);
void groups_count(struct groups *g, const struct relayfork_attribution_info *info);
/* Write the series, each under @name with its labels; then choose
 * those of the next file (the busiest since the last call). */
void groups_write(struct groups *g, FILE *out, const char *name);

/* stats.c: counts for -S and -q. */
struct forker {
	pid_t pid;
	uint64_t forks;
};

struct stats {
	uint64_t by_type[RELAYFORK_EVENT_COREDUMP + 1];
	uint64_t threads;	/* thread creations among the forks */
	uint64_t failures;	/* exits with a non-zero status */
	uint64_t events;
	uint64_t lost;
	uint64_t start_ns;
	/* Forks per parent process: open addressing, grows. */
	struct forker *forkers;
	size_t nforkers, cap;
};

void stats_init(struct stats *s, uint64_t now_ns);
void stats_free(struct stats *s);
void stats_count(struct stats *s, const struct relayfork_event *ev);
/* @attribution: its counters are printed too; NULL for none. */
void stats_print(struct stats *s, struct procs *procs,
		 struct relayfork_attribution *attribution, FILE *out, bool json,
		 uint64_t now_ns, bool final);

/* check.c: --check.  Returns the exit status. */
int check_run(FILE *out);
