// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * --metrics FILE: forkwatch's counters in the Prometheus text format,
 * for node_exporter's textfile collector (or anything that reads such a
 * file).  The file is written whole each time, to a temporary file in
 * the same directory that is then renamed over it, so that a reader
 * never sees half of it.  The temporary name does not end in .prom: the
 * textfile collector reads only *.prom files.
 *
 * Counters only go up while forkwatch runs; a new forkwatch starts them
 * at zero, which Prometheus takes for a counter reset.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forkwatch.h"
#include "output.h"

enum outcome { OUTCOME_SUCCESS, OUTCOME_FAILURE, OUTCOME_SIGNAL, OUTCOMES };
enum reason { REASON_OVERFLOW, REASON_SEQUENCE, REASON_UNKNOWN, REASONS };

struct metrics {
	char *path;
	char *tmpl;		/* PATH's directory/.NAME.XXXXXX */
	uint64_t by_type[RELAYFORK_EVENT_COREDUMP + 1];
	uint64_t exits[OUTCOMES];
	uint64_t lost[REASONS];	/* events */
	uint64_t losses[REASONS];	/* reports of lost events */
	uint64_t resyncs;
	/* Created at the first event with attribution. */
	struct groups *groups;
	bool groups_failed;
};

static const char *const outcome_names[OUTCOMES] = { "success", "failure",
						     "signal" };
static const char *const reason_names[REASONS] = { "overflow", "sequence",
						   "unknown" };

int
metrics_new(const char *path, struct metrics **ret)
{
	struct metrics *m = calloc(1, sizeof(*m));
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;

	if (!m)
		return -ENOMEM;
	m->path = strdup(path);
	if (!m->path ||
	    asprintf(&m->tmpl, "%.*s.%s.XXXXXX", dirlen, path,
		     slash ? slash + 1 : path) < 0) {
		m->tmpl = NULL;
		metrics_free(m);
		return -ENOMEM;
	}
	*ret = m;
	return 0;
}

void
metrics_free(struct metrics *m)
{
	if (!m)
		return;
	groups_free(m->groups);
	free(m->path);
	free(m->tmpl);
	free(m);
}

static enum reason
lost_reason(const struct relayfork_event *ev)
{
	switch (ev->u.lost.reason) {
	case RELAYFORK_LOST_OVERFLOW:
		return REASON_OVERFLOW;
	case RELAYFORK_LOST_SEQUENCE:
		return REASON_SEQUENCE;
	default:
		return REASON_UNKNOWN;
	}
}

void
metrics_count(struct metrics *m, const struct relayfork_event *ev,
	      const struct relayfork_attribution_info *info)
{
	if (ev->type == RELAYFORK_EVENT_LOST) {
		enum reason r = lost_reason(ev);

		m->losses[r]++;
		m->lost[r] += ev->u.lost.count;
		return;
	}
	if (ev->type > RELAYFORK_EVENT_COREDUMP)
		return;
	m->by_type[ev->type]++;
	/* The ends of processes, as --stats counts failures. */
	if (ev->type == RELAYFORK_EVENT_EXIT &&
	    (ev->flags & RELAYFORK_EVENT_F_PROCESS_END)) {
		if (ev->u.exit.exited)
			m->exits[ev->u.exit.code ? OUTCOME_FAILURE
						 : OUTCOME_SUCCESS]++;
		else
			m->exits[OUTCOME_SIGNAL]++;
	}
	if (!info)
		return;
	if (!m->groups && !m->groups_failed)
		m->groups_failed = groups_new(GROUPS_TOP, &m->groups) < 0;
	if (m->groups)
		groups_count(m->groups, info);
}

void
metrics_resync(struct metrics *m)
{
	m->resyncs++;
}

static void
header(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
write_all(struct metrics *m, FILE *out)
{
	int type;
	size_t i;

	header(out, "relayfork_events_total", "counter",
	       "Process events forkwatch reported, by type.");
	for (type = RELAYFORK_EVENT_FORK; type <= RELAYFORK_EVENT_COREDUMP; type++)
		fprintf(out, "relayfork_events_total{type=\"%s\"} %llu\n",
			relayfork_event_type_name(type),
			(unsigned long long)m->by_type[type]);
	header(out, "relayfork_exits_total", "counter",
	       "Processes that ended, by outcome: exit status 0, another "
	       "status, or a signal.");
	for (i = 0; i < OUTCOMES; i++)
		fprintf(out, "relayfork_exits_total{outcome=\"%s\"} %llu\n",
			outcome_names[i], (unsigned long long)m->exits[i]);
	header(out, "relayfork_lost_events_total", "counter",
	       "Events the kernel dropped, by reason (a loss whose size the "
	       "kernel cannot tell counts none).");
	for (i = 0; i < REASONS; i++)
		fprintf(out, "relayfork_lost_events_total{reason=\"%s\"} %llu\n",
			reason_names[i], (unsigned long long)m->lost[i]);
	header(out, "relayfork_losses_total", "counter",
	       "Times events were dropped, by reason.");
	for (i = 0; i < REASONS; i++)
		fprintf(out, "relayfork_losses_total{reason=\"%s\"} %llu\n",
			reason_names[i], (unsigned long long)m->losses[i]);
	header(out, "relayfork_resyncs_total", "counter",
	       "Times the process table was read again from /proc after a "
	       "loss.");
	fprintf(out, "relayfork_resyncs_total %llu\n",
		(unsigned long long)m->resyncs);
	if (m->groups) {
		header(out, "relayfork_group_events_total", "counter",
		       "Process events by container or systemd unit: the "
		       "busiest have a series each, the others are counted "
		       "in unit=\"other\".");
		groups_write(m->groups, out, "relayfork_group_events_total");
	}
}

int
metrics_write(struct metrics *m)
{
	char *tmp = strdup(m->tmpl);
	FILE *out = NULL;
	int fd, r = 0;

	if (!tmp)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		free(tmp);
		return r;
	}
	/* mkstemp makes it 0600; the collector is often another user. */
	if (fchmod(fd, 0644) < 0)
		r = -errno;
	if (r == 0) {
		out = fdopen(fd, "w");
		if (!out)
			r = -errno;
	}
	if (r == 0) {
		write_all(m, out);
		r = stream_error(out);
	}
	/* No fsync: the counters are only good while forkwatch runs, and
	 * a file lost in a crash is rewritten by the next forkwatch. */
	if (out) {
		if (fclose(out) != 0 && r == 0)
			r = -errno;
	} else {
		close(fd);
	}
	if (r == 0 && rename(tmp, m->path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	free(tmp);
	return r;
}
