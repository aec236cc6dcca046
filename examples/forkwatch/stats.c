// SPDX-License-Identifier: LGPL-2.1-or-later
/* Counting for --stats and --quiet: no system call per event. */
#include <stdlib.h>
#include <string.h>

#include "forkwatch.h"

#define TOP 10

void
stats_init(struct stats *s, uint64_t now_ns)
{
	struct forker *keep = s->forkers;
	size_t cap = s->cap;

	memset(s, 0, sizeof(*s));
	s->start_ns = now_ns;
	/* Reuse the table's memory from one interval to the next. */
	if (keep) {
		memset(keep, 0, cap * sizeof(*keep));
		s->forkers = keep;
		s->cap = cap;
	}
}

void
stats_free(struct stats *s)
{
	free(s->forkers);
	s->forkers = NULL;
}

static struct forker *
forker_slot(struct forker *table, size_t cap, pid_t pid)
{
	size_t i = ((size_t)pid * 2654435761u) & (cap - 1);

	while (table[i].pid && table[i].pid != pid)
		i = (i + 1) & (cap - 1);
	return &table[i];
}

static void
forker_add(struct stats *s, pid_t pid)
{
	struct forker *f;

	if (s->nforkers * 10 >= s->cap * 7) {
		size_t cap = s->cap ? 2 * s->cap : 1024, i;
		struct forker *n = calloc(cap, sizeof(*n));

		if (!n)
			return; /* statistics are best effort */
		for (i = 0; i < s->cap; i++)
			if (s->forkers[i].pid)
				*forker_slot(n, cap, s->forkers[i].pid) =
					s->forkers[i];
		free(s->forkers);
		s->forkers = n;
		s->cap = cap;
	}
	f = forker_slot(s->forkers, s->cap, pid);
	if (!f->pid) {
		f->pid = pid;
		s->nforkers++;
	}
	f->forks++;
}

void
stats_count(struct stats *s, const struct relayfork_event *ev)
{
	bool thread = ev->flags & RELAYFORK_EVENT_F_THREAD;

	if (ev->type == RELAYFORK_EVENT_LOST) {
		s->lost += ev->u.lost.count;
		return;
	}
	if (ev->type > RELAYFORK_EVENT_COREDUMP)
		return;
	s->events++;
	s->by_type[ev->type]++;
	if (ev->type == RELAYFORK_EVENT_FORK) {
		if (thread)
			s->threads++;
		else
			forker_add(s, ev->u.fork.parent_tgid);
	}
	/* A failure is a process that ends with a non-zero status,
	 * whichever of its threads was the last. */
	if (ev->type == RELAYFORK_EVENT_EXIT &&
	    (ev->flags & RELAYFORK_EVENT_F_PROCESS_END) && ev->u.exit.status)
		s->failures++;
}

static int
by_forks(const void *a, const void *b)
{
	const struct forker *x = a, *y = b;

	if (x->forks != y->forks)
		return x->forks < y->forks ? 1 : -1;
	return x->pid - y->pid;
}

void
stats_print(struct stats *s, struct procs *procs,
	    struct relayfork_attribution *attribution, FILE *out, bool json,
	    uint64_t now_ns, bool final)
{
	double secs = (double)(now_ns - s->start_ns) / 1e9;
	struct forker top[TOP];
	size_t ntop = 0, i;
	int type;

	/* The few busiest parents, without sorting the whole table. */
	for (i = 0; i < s->cap; i++) {
		if (!s->forkers[i].pid)
			continue;
		if (ntop < TOP) {
			top[ntop++] = s->forkers[i];
			qsort(top, ntop, sizeof(*top), by_forks);
		} else if (s->forkers[i].forks > top[TOP - 1].forks) {
			top[TOP - 1] = s->forkers[i];
			qsort(top, ntop, sizeof(*top), by_forks);
		}
	}

	if (json) {
		fprintf(out, "{\"schema\":1,\"event\":\"summary\",\"final\":%s,"
			"\"duration_s\":%.3f,\"events\":%llu,\"lost\":%llu,"
			"\"counts\":{",
			final ? "true" : "false", secs,
			(unsigned long long)s->events,
			(unsigned long long)s->lost);
		for (type = RELAYFORK_EVENT_FORK; type <= RELAYFORK_EVENT_COREDUMP;
		     type++)
			fprintf(out, "\"%s\":%llu,", relayfork_event_type_name(type),
				(unsigned long long)s->by_type[type]);
		fprintf(out, "\"thread\":%llu,\"failure\":%llu},\"top_forkers\":[",
			(unsigned long long)s->threads,
			(unsigned long long)s->failures);
		for (i = 0; i < ntop; i++) {
			char name[32];

			fprintf(out, "%s{\"pid\":%d,\"forks\":%llu,\"comm\":",
				i ? "," : "", (int)top[i].pid,
				(unsigned long long)top[i].forks);
			if (procs_name(procs, top[i].pid, name, sizeof(name))) {
				fputc('"', out);
				json_escape(out, name, strlen(name));
				fputc('"', out);
			} else {
				fputs("null", out);
			}
			fputc('}', out);
		}
		fputc(']', out);
		if (attribution)
			attribution_print_summary(attribution, out, true);
		fputs("}\n", out);
		return;
	}

	fprintf(out, "%s: %.3f s, %llu events (%.1f/s), %llu lost\n",
		final ? "Summary" : "Interval", secs,
		(unsigned long long)s->events,
		secs > 0 ? (double)s->events / secs : 0.0,
		(unsigned long long)s->lost);
	for (type = RELAYFORK_EVENT_FORK; type <= RELAYFORK_EVENT_COREDUMP; type++)
		fprintf(out, "  %-9s %12llu\n", relayfork_event_type_name(type),
			(unsigned long long)s->by_type[type]);
	fprintf(out, "  %-9s %12llu  (of the forks)\n", "thread",
		(unsigned long long)s->threads);
	fprintf(out, "  %-9s %12llu  (of the exits)\n", "failure",
		(unsigned long long)s->failures);
	if (ntop) {
		fprintf(out, "Top forking processes:\n  %12s %7s  %s\n", "FORKS",
			"PID", "PROCESS");
		for (i = 0; i < ntop; i++) {
			char name[32];

			if (!procs_name(procs, top[i].pid, name, sizeof(name)))
				snprintf(name, sizeof(name), "(exited)");
			fprintf(out, "  %12llu %7d  ",
				(unsigned long long)top[i].forks, (int)top[i].pid);
			/* The name a process gave itself (PR_SET_NAME). */
			text_escape(out, name, strlen(name));
			fputc('\n', out);
		}
	}
	if (attribution)
		attribution_print_summary(attribution, out, false);
}
