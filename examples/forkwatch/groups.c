// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Events per container or systemd unit, for --metrics, with a bounded
 * number of series.  A machine may run thousands of short-lived
 * containers; a series each would swamp the Prometheus server that
 * scrapes a fleet of them.
 *
 * The busiest groups (at most @top) have a series each; every other
 * group's events are counted in one series, unit="other".  A group seen
 * while a series is free takes it at once; otherwise which groups are
 * the busiest is decided again after each write, from the events since
 * the one before, for the next.  Every series only goes up:
 *
 *  - a group that loses its series (a busier one took it) has its next
 *    events counted in "other", which only grows; its series is no
 *    longer written, but its value is remembered;
 *  - a group that gets a series takes it up where it left it (at 0 the
 *    first time); its events counted in "other" meanwhile stay there.
 *
 * So each event is counted once, and between two files the series that
 * are in the second went up, together, by the events in between: what
 * Prometheus's rate() and increase() over the series sum to.  The
 * deciding comes after the write so that a series that is about to go
 * is written with its last events first.  A group's remembered value is
 * forgotten only when the table is full and the group was idle since
 * the last write; if it comes back and gets a series again, that series
 * restarts at 0, which Prometheus takes for a counter reset.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "forkwatch.h"

/* Groups remembered: bounds the memory (about 400 bytes each). */
#define GROUPS_MAX 1024
/* Index slots: a power of two, twice GROUPS_MAX. */
#define INDEX_SIZE 2048

struct group {
	uint32_t hash;
	uint32_t runtime;	/* enum relayfork_runtime */
	char id[72];
	char unit[256];
	uint64_t series;	/* counted while it had a series */
	uint64_t recent;	/* events since the last write */
	bool promoted;		/* has a series now */
};

struct groups {
	size_t top;
	size_t promoted;
	struct group *g;	/* GROUPS_MAX entries */
	size_t n;
	int16_t index[INDEX_SIZE]; /* entry + 1, 0 for a free slot */
	uint64_t other;
};

int
groups_new(size_t top, struct groups **ret)
{
	struct groups *g = calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	g->g = calloc(GROUPS_MAX, sizeof(*g->g));
	if (!g->g) {
		free(g);
		return -ENOMEM;
	}
	g->top = top;
	*ret = g;
	return 0;
}

void
groups_free(struct groups *g)
{
	if (!g)
		return;
	free(g->g);
	free(g);
}

/* FNV-1a over the runtime, the id and the unit. */
static uint32_t
key_hash(uint32_t runtime, const char *id, const char *unit)
{
	uint32_t h = 2166136261u ^ runtime;
	const char *s;

	for (s = id; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (s = unit; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static int16_t *
index_slot(struct groups *g, uint32_t hash, uint32_t runtime, const char *id,
	   const char *unit)
{
	size_t i = hash & (INDEX_SIZE - 1);

	for (;; i = (i + 1) & (INDEX_SIZE - 1)) {
		struct group *e;

		if (!g->index[i])
			return &g->index[i];
		e = &g->g[g->index[i] - 1];
		if (e->hash == hash && e->runtime == runtime &&
		    strcmp(e->id, id) == 0 && strcmp(e->unit, unit) == 0)
			return &g->index[i];
	}
}

static void
index_rebuild(struct groups *g)
{
	size_t i;

	memset(g->index, 0, sizeof(g->index));
	for (i = 0; i < g->n; i++)
		*index_slot(g, g->g[i].hash, g->g[i].runtime, g->g[i].id,
			    g->g[i].unit) = (int16_t)(i + 1);
}

void
groups_count(struct groups *g, const struct relayfork_attribution_info *info)
{
	const struct relayfork_container *c = &info->container;
	uint32_t hash = key_hash(c->runtime, c->id, c->unit);
	int16_t *slot = index_slot(g, hash, c->runtime, c->id, c->unit);
	struct group *e;

	if (!*slot) {
		if (g->n == GROUPS_MAX) {
			/* Full until the next write forgets idle groups. */
			g->other++;
			return;
		}
		e = &g->g[g->n];
		*e = (struct group){ .hash = hash, .runtime = c->runtime };
		memcpy(e->id, c->id, sizeof(e->id));
		e->id[sizeof(e->id) - 1] = '\0';
		memcpy(e->unit, c->unit, sizeof(e->unit));
		e->unit[sizeof(e->unit) - 1] = '\0';
		/* A free series is taken at once, not at the next write:
		 * a short run would otherwise count everything in "other". */
		if (g->promoted < g->top) {
			e->promoted = true;
			g->promoted++;
		}
		*slot = (int16_t)(++g->n);
	}
	e = &g->g[*slot - 1];
	e->recent++;
	if (e->promoted)
		e->series++;
	else
		g->other++;
}

/* Busiest first; among equals, those that have a series keep it. */
static int
by_recent(const void *a, const void *b)
{
	const struct group *x = *(const struct group *const *)a;
	const struct group *y = *(const struct group *const *)b;

	if (x->recent != y->recent)
		return x->recent < y->recent ? 1 : -1;
	return (int)y->promoted - (int)x->promoted;
}

/* Give the busiest groups the series; forget idle groups when full. */
static void
rerank(struct groups *g)
{
	struct group **order = malloc(g->n * sizeof(*order) + 1);
	size_t i, kept = 0;

	/* Without memory the series stay as they are: still correct. */
	if (order) {
		for (i = 0; i < g->n; i++)
			order[i] = &g->g[i];
		qsort(order, g->n, sizeof(*order), by_recent);
		for (i = 0; i < g->n; i++)
			order[i]->promoted = i < g->top;
		g->promoted = g->n < g->top ? g->n : g->top;
		free(order);
	}
	if (g->n * 4 >= GROUPS_MAX * 3) {
		for (i = 0; i < g->n; i++)
			if (g->g[i].promoted || g->g[i].recent)
				g->g[kept++] = g->g[i];
		g->n = kept;
		index_rebuild(g);
	}
	for (i = 0; i < g->n; i++)
		g->g[i].recent = 0;
}

/* A label value: text as the human output escapes it, then the text
 * format's own escapes for a backslash, a quote and a newline. */
static void
label(FILE *out, const char *name, const char *value, bool last)
{
	char *buf = NULL;
	size_t size = 0, i;
	FILE *mem = open_memstream(&buf, &size);

	fprintf(out, "%s=\"", name);
	if (mem) {
		text_escape(mem, value, strlen(value));
		fclose(mem);
	}
	for (i = 0; buf && i < size; i++) {
		if (buf[i] == '\\' || buf[i] == '"')
			fputc('\\', out);
		fputc(buf[i], out);
	}
	free(buf);
	fprintf(out, "\"%s", last ? "" : ",");
}

void
groups_write(struct groups *g, FILE *out, const char *name)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		const struct group *e = &g->g[i];
		const char *runtime = relayfork_runtime_name((int)e->runtime);

		if (!e->promoted)
			continue;
		fprintf(out, "%s{", name);
		label(out, "runtime", runtime ? runtime : "", false);
		label(out, "container", e->id, false);
		label(out, "unit", e->unit, true);
		fprintf(out, "} %llu\n", (unsigned long long)e->series);
	}
	/* Units end in .service, .scope or .slice: "other" is none. */
	fprintf(out, "%s{runtime=\"\",container=\"\",unit=\"other\"} %llu\n",
		name, (unsigned long long)g->other);
	rerank(g);
}
