// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What jobacct says: the summary for people, JSON for programs (the
 * schema is in jobacct(1): field names never change meaning, new ones
 * may be added, "schema" counts incompatible changes), and the tree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "jobacct.h"

#define SCHEMA_VERSION 1

int64_t
real_offset_ns(void)
{
	struct timespec real, mono;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return ((int64_t)real.tv_sec - mono.tv_sec) * 1000000000 +
	       ((int64_t)real.tv_nsec - mono.tv_nsec);
}

static bool
status_known(const struct relayfork_member *m)
{
	return !(m->flags & RELAYFORK_MEMBER_F_STATUS_UNKNOWN);
}

static void
describe_status(char *buf, size_t size, int status)
{
	char sig[16];

	if (WIFEXITED(status))
		snprintf(buf, size, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by %s%s",
			 signal_name(WTERMSIG(status), sig, sizeof(sig)),
			 WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(buf, size, "status 0x%x", (unsigned int)status);
}

void
report_status(char *buf, size_t size, const struct relayfork_member *m)
{
	if (status_known(m))
		describe_status(buf, size, m->status);
	else
		snprintf(buf, size, "status unknown (events lost)");
}

static double
seconds(uint64_t ns)
{
	return (double)ns / 1e9;
}

static uint64_t
elapsed_ns(const struct relayfork_member *m)
{
	return m->end_ns > m->start_ns ? m->end_ns - m->start_ns : 0;
}

/* "2026-12-02T00:44:43.123456Z" for a CLOCK_MONOTONIC time. */
static void
json_time(FILE *out, const char *key, uint64_t mono_ns, int64_t offset)
{
	int64_t ns = (int64_t)mono_ns + offset;
	time_t s = (time_t)(ns / 1000000000);
	char when[32];
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(out, ",\"%s\":\"%s.%06ldZ\"", key, when,
		(long)(ns % 1000000000 / 1000));
}

static void
json_string(FILE *out, const char *key, const char *value)
{
	fprintf(out, ",\"%s\":\"", key);
	json_escape(out, value, strlen(value));
	fputc('"', out);
}

static const char *
json_bool(bool b)
{
	return b ? "true" : "false";
}

/* status, exited, exit_code, signal, signal_name, core_dumped */
static void
json_status(FILE *out, bool known, int status)
{
	char sig[16];

	if (!known) {
		fputs(",\"status\":null,\"exited\":null,\"exit_code\":null,"
		      "\"signal\":null,\"signal_name\":null,\"core_dumped\":null",
		      out);
		return;
	}
	fprintf(out, ",\"status\":%d,\"exited\":%s", status,
		json_bool(WIFEXITED(status)));
	if (WIFEXITED(status))
		fprintf(out, ",\"exit_code\":%d", WEXITSTATUS(status));
	else
		fputs(",\"exit_code\":null", out);
	if (WIFSIGNALED(status))
		fprintf(out, ",\"signal\":%d,\"signal_name\":\"%s\"",
			WTERMSIG(status),
			signal_name(WTERMSIG(status), sig, sizeof(sig)));
	else
		fputs(",\"signal\":null,\"signal_name\":null", out);
	fprintf(out, ",\"core_dumped\":%s",
		json_bool(WIFSIGNALED(status) && WCOREDUMP(status)));
}

void
report_json_member(FILE *out, const struct relayfork_member *m,
		   const struct extra *x, int64_t offset)
{
	const struct relayfork_member_usage *u = &m->usage;
	bool usage = m->flags & RELAYFORK_MEMBER_F_USAGE;

	fprintf(out, "{\"schema\":%d,\"event\":\"process\",\"id\":%llu",
		SCHEMA_VERSION, (unsigned long long)m->id);
	if (m->parent_id)
		fprintf(out, ",\"parent_id\":%llu",
			(unsigned long long)m->parent_id);
	else
		fputs(",\"parent_id\":null", out);
	fprintf(out, ",\"pid\":%d,\"ppid\":%d", (int)m->pid, (int)m->ppid);
	if (x->exit_ppid)
		fprintf(out, ",\"exit_ppid\":%d", (int)x->exit_ppid);
	else
		fputs(",\"exit_ppid\":null", out);
	fprintf(out, ",\"uid\":%u,\"gid\":%u", (unsigned)m->uid,
		(unsigned)x->gid);
	json_string(out, "comm", m->comm);
	json_time(out, "start", m->start_ns, offset);
	json_time(out, "end", m->end_ns, offset);
	fprintf(out, ",\"start_ns\":%llu,\"end_ns\":%llu,\"elapsed_s\":%.6f",
		(unsigned long long)m->start_ns, (unsigned long long)m->end_ns,
		seconds(elapsed_ns(m)));
	json_status(out, status_known(m), m->status);
	fprintf(out, ",\"root\":%s,\"daemonised\":%s,\"found\":%s,"
		"\"executed\":%s",
		json_bool(m->flags & RELAYFORK_MEMBER_F_ROOT),
		json_bool(m->flags & RELAYFORK_MEMBER_F_REPARENTED),
		json_bool(m->flags & RELAYFORK_MEMBER_F_FOUND),
		json_bool(x->execd));
	/* Zeros when not known: usage_known says which. */
	fprintf(out, ",\"usage_known\":%s,\"utime_s\":%.6f,\"stime_s\":%.6f,"
		"\"run_s\":%.9f,\"max_rss_kb\":%llu,\"minflt\":%llu,"
		"\"majflt\":%llu,\"read_chars\":%llu,\"write_chars\":%llu,"
		"\"read_bytes\":%llu,\"write_bytes\":%llu}\n",
		json_bool(usage), (double)u->utime_us / 1e6,
		(double)u->stime_us / 1e6, seconds(u->run_ns),
		(unsigned long long)u->hiwater_rss_kb,
		(unsigned long long)u->minflt, (unsigned long long)u->majflt,
		(unsigned long long)u->read_chars,
		(unsigned long long)u->write_chars,
		(unsigned long long)u->read_bytes,
		(unsigned long long)u->write_bytes);
}

/* Per-process sums are whole: every member that ended had figures. */
static bool
sums_complete(const struct outcome *o)
{
	return !o->missing && o->totals.usage_complete && o->totals.ended;
}

/*
 * The bytes the job passed to read(2) and write(2): the reaped
 * children's counts from /proc where it has them (the job's orphans
 * included), else the members' sums when every member had figures.
 */
static bool
chars_known(const struct outcome *o)
{
	return o->job.chars_known || sums_complete(o);
}

static uint64_t
read_chars(const struct outcome *o)
{
	return o->job.chars_known ? o->job.read_chars
				  : o->totals.usage.read_chars;
}

static uint64_t
write_chars(const struct outcome *o)
{
	return o->job.chars_known ? o->job.write_chars
				  : o->totals.usage.write_chars;
}

void
report_json_summary(FILE *out, const struct outcome *o)
{
	const struct job_usage *j = &o->job;
	size_t i;

	fprintf(out, "{\"schema\":%d,\"event\":\"summary\",\"command\":[",
		SCHEMA_VERSION);
	for (i = 0; o->command[i]; i++) {
		fputs(i ? ",\"" : "\"", out);
		json_escape(out, o->command[i], strlen(o->command[i]));
		fputc('"', out);
	}
	fprintf(out, "],\"pid\":%d", (int)o->pid);
	json_status(out, o->reaped, o->status);
	fprintf(out, ",\"jobacct_exit\":%d,\"complete\":%s,\"interrupted\":%s,"
		"\"events_seen\":%s",
		o->exit_code, json_bool(o->complete), json_bool(o->interrupted),
		json_bool(!o->blind));
	if (o->blind)
		fputs(",\"processes\":null,\"failures\":null,"
		      "\"daemonised\":null", out);
	else
		fprintf(out, ",\"processes\":%llu,\"failures\":%llu,"
			"\"daemonised\":%llu",
			(unsigned long long)o->totals.joined,
			(unsigned long long)o->totals.failed,
			(unsigned long long)o->daemonised);
	fprintf(out, ",\"running\":%llu,\"lost\":%llu,\"resyncs\":%llu,"
		"\"elapsed_s\":%.6f,\"utime_s\":%.6f,\"stime_s\":%.6f,"
		"\"max_rss_kb\":%llu,\"minflt\":%llu,\"majflt\":%llu,"
		"\"read_bytes\":%llu,\"write_bytes\":%llu",
		(unsigned long long)o->totals.live,
		(unsigned long long)o->totals.lost,
		(unsigned long long)o->totals.resyncs, seconds(o->elapsed_ns),
		(double)j->utime_us / 1e6, (double)j->stime_us / 1e6,
		(unsigned long long)j->maxrss_kb, (unsigned long long)j->minflt,
		(unsigned long long)j->majflt,
		(unsigned long long)j->read_bytes,
		(unsigned long long)j->write_bytes);
	if (chars_known(o))
		fprintf(out, ",\"read_chars\":%llu,\"write_chars\":%llu",
			(unsigned long long)read_chars(o),
			(unsigned long long)write_chars(o));
	else
		fputs(",\"read_chars\":null,\"write_chars\":null", out);
	fprintf(out, ",\"per_process_usage\":%s", json_bool(!o->missing));
	if (o->missing)
		json_string(out, "missing", o->missing);
	else
		fputs(",\"missing\":null", out);
	fputs("}\n", out);
}

/* 1.5 KiB, 3.2 MiB: sizes for people. */
static void
human_size(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t i = 0;

	if (bytes < 1024) {
		snprintf(buf, size, "%llu B", (unsigned long long)bytes);
		return;
	}
	v /= 1024;
	while (v >= 1024 && i + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		i++;
	}
	snprintf(buf, size, "%.1f %s", v, units[i]);
}

void
report_text_summary(FILE *out, const struct outcome *o)
{
	const struct job_usage *j = &o->job;
	char status[64], a[32], b[32];
	const char *name = strrchr(o->command[0], '/');

	name = name ? name + 1 : o->command[0];
	fputs("jobacct: ", out);
	text_escape(out, name, strlen(name));
	if (o->reaped) {
		describe_status(status, sizeof(status), o->status);
		fprintf(out, " (pid %d): %s\n", (int)o->pid, status);
	} else {
		fprintf(out, " (pid %d): still running\n", (int)o->pid);
	}
	if (o->interrupted)
		fprintf(out, "  stopped      before the job ended: %llu "
			"processes still ran; figures so far\n",
			(unsigned long long)o->totals.live);
	if (o->blind)
		fputs("  processes    not known: no process events arrived "
		      "(another network or PID namespace? see forkwatch "
		      "--check); waited for the processes left to jobacct\n",
		      out);
	else
		fprintf(out, "  processes    %llu (%llu failed, %llu daemonised)\n",
			(unsigned long long)o->totals.joined,
			(unsigned long long)o->totals.failed,
			(unsigned long long)o->daemonised);
	fprintf(out, "  lost events  %llu (%llu resyncs)%s\n",
		(unsigned long long)o->totals.lost,
		(unsigned long long)o->totals.resyncs,
		o->totals.lost && !o->complete
			? ": a process may have escaped unseen" : "");
	fprintf(out, "  elapsed      %.3f s\n", seconds(o->elapsed_ns));
	fprintf(out, "  CPU          %.3f s user, %.3f s system (whole job)\n",
		(double)j->utime_us / 1e6, (double)j->stime_us / 1e6);
	human_size(a, sizeof(a), j->maxrss_kb * 1024);
	fprintf(out, "  peak RSS     %s (the largest process)\n", a);
	human_size(a, sizeof(a), j->read_bytes);
	human_size(b, sizeof(b), j->write_bytes);
	fprintf(out, "  storage      %s read, %s written (whole job)\n", a, b);
	if (chars_known(o)) {
		human_size(a, sizeof(a), read_chars(o));
		human_size(b, sizeof(b), write_chars(o));
		fprintf(out, "  read/write   %s read, %s written (all I/O "
			"calls, whole job)\n", a, b);
	} else {
		fputs("  read/write   not available: bytes passed to read(2) "
		      "and write(2) come from /proc/self/io or taskstats\n",
		      out);
	}
	if (o->missing)
		fprintf(out, "  per process  not available: %s\n", o->missing);
	else if (sums_complete(o))
		fputs("  per process  every process's figures, from taskstats "
		      "(--json, --tree)\n", out);
	else
		fprintf(out, "  per process  incomplete: %llu taskstats records "
			"lost, some processes have no figures\n",
			(unsigned long long)o->totals.usage_lost);
}

/* The tree: nodes by member id (ids are dense, from 1). */
struct node {
	struct relayfork_member m;
	uint64_t first_child, next_sibling;
	bool present;
};

struct tree {
	struct node *nodes;
	uint64_t n;		/* nodes[0..n) */
};

struct tree *
tree_new(void)
{
	return calloc(1, sizeof(struct tree));
}

void
tree_free(struct tree *tree)
{
	if (!tree)
		return;
	free(tree->nodes);
	free(tree);
}

int
tree_add(struct tree *tree, const struct relayfork_member *m)
{
	if (m->id >= tree->n) {
		uint64_t n = tree->n ? tree->n : 64;
		struct node *grown;

		while (n <= m->id)
			n *= 2;
		grown = realloc(tree->nodes, n * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		memset(grown + tree->n, 0, (n - tree->n) * sizeof(*grown));
		tree->nodes = grown;
		tree->n = n;
	}
	tree->nodes[m->id].m = *m;
	tree->nodes[m->id].present = true;
	return 0;
}

static void
print_node(FILE *out, const struct relayfork_member *m)
{
	const struct relayfork_member_usage *u = &m->usage;
	char status[64];

	report_status(status, sizeof(status), m);
	fprintf(out, "%d ", (int)m->pid);
	text_escape(out, m->comm, strlen(m->comm));
	fprintf(out, ": %s, %.3f s", status, seconds(elapsed_ns(m)));
	if (m->flags & RELAYFORK_MEMBER_F_USAGE)
		fprintf(out, ", %.3f s user, %.3f s system",
			(double)u->utime_us / 1e6, (double)u->stime_us / 1e6);
	if (m->flags & RELAYFORK_MEMBER_F_REPARENTED)
		fputs(", daemonised", out);
	if (m->flags & RELAYFORK_MEMBER_F_FOUND)
		fputs(", found after a loss", out);
	fputc('\n', out);
}

/*
 * Draw it as pstree -A does, depth first without recursion (a chain of
 * forks can be deep).  The stack holds, per level, the next sibling to
 * draw (0 for none): a level with one still to come draws "| ".
 */
void
tree_print(FILE *out, const struct tree *tree)
{
	struct node *nodes = tree->nodes;
	uint64_t *stack = NULL, id;
	size_t depth = 0, cap = 0;

	if (!nodes)
		return;
	/* Children lists in id order: build them from the last id down. */
	for (id = tree->n; id-- > 1;) {
		uint64_t parent;

		if (!nodes[id].present)
			continue;
		parent = nodes[id].m.parent_id;
		if (parent && parent < tree->n && nodes[parent].present) {
			nodes[id].next_sibling = nodes[parent].first_child;
			nodes[parent].first_child = id;
		}
	}
	for (id = 1; id < tree->n; id++) {
		uint64_t parent = nodes[id].m.parent_id;

		/* Roots: members without a parent in the tree. */
		if (!nodes[id].present ||
		    (parent && parent < tree->n && nodes[parent].present))
			continue;
		print_node(out, &nodes[id].m);
		depth = 0;
		if (nodes[id].first_child) {
			if (cap == 0) {
				cap = 64;
				stack = malloc(cap * sizeof(*stack));
				if (!stack)
					break;
			}
			stack[depth++] = nodes[id].first_child;
		}
		while (depth) {
			uint64_t cur = stack[depth - 1];
			struct node *c = &nodes[cur];
			size_t k;

			/* Pop this child, push its next sibling in its place. */
			stack[depth - 1] = c->next_sibling;
			for (k = 0; k + 1 < depth; k++)
				fputs(stack[k] ? "| " : "  ", out);
			fputs(c->next_sibling ? "|-" : "`-", out);
			print_node(out, &c->m);
			if (c->first_child) {
				if (depth == cap) {
					uint64_t *s = realloc(stack, 2 * cap * sizeof(*s));

					if (!s)
						goto out;
					stack = s;
					cap *= 2;
				}
				stack[depth++] = c->first_child;
			}
			while (depth && stack[depth - 1] == 0)
				depth--;
		}
	}
out:
	free(stack);
}
