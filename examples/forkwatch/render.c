// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * How events look: aligned columns for people, one JSON object per line
 * for programs.  The JSON schema is documented in forkwatch(1); its
 * field names never change meaning, new ones may be added, and
 * "schema" counts incompatible changes.
 */
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "forkwatch.h"

#define SCHEMA_VERSION 1

#define COLOR_RESET "\033[0m"
#define COLOR_FORK "\033[32m"
#define COLOR_EXEC "\033[36m"
#define COLOR_FAIL "\033[31m"
#define COLOR_LOST "\033[1;31m"
#define COLOR_OTHER "\033[33m"
#define COLOR_DIM "\033[2m"

void
render_sync_clock(struct render *r)
{
	struct timespec real, mono;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	r->real_offset_ns = ((int64_t)real.tv_sec - mono.tv_sec) * 1000000000 +
			    ((int64_t)real.tv_nsec - mono.tv_nsec);
}

static struct timespec
wall_time(const struct render *r, uint64_t mono_ns)
{
	int64_t ns = (int64_t)mono_ns + r->real_offset_ns;

	return (struct timespec){ .tv_sec = ns / 1000000000,
				  .tv_nsec = ns % 1000000000 };
}

/* A user name, cached for the last few users asked about. */
static const char *
user_name(uid_t uid, char *buf, size_t size)
{
	static struct {
		uid_t uid;
		char name[32];
	} cache[16];
	static unsigned int next;
	struct passwd pw, *res = NULL;
	char pwbuf[1024];
	unsigned int i;

	for (i = 0; i < sizeof(cache) / sizeof(cache[0]); i++)
		if (cache[i].name[0] && cache[i].uid == uid)
			return cache[i].name;
	if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res)
		snprintf(buf, size, "%s", res->pw_name);
	else
		snprintf(buf, size, "%u", (unsigned int)uid);
	i = next++ % (sizeof(cache) / sizeof(cache[0]));
	cache[i].uid = uid;
	snprintf(cache[i].name, sizeof(cache[i].name), "%s", buf);
	return cache[i].name;
}

static bool
lifetime(const struct relayfork_event *ev, const struct proc *proc,
	 double *ret)
{
	if (ev->type != RELAYFORK_EVENT_EXIT || !proc || !proc->start_known ||
	    ev->timestamp_ns < proc->start_ns)
		return false;
	*ret = (double)(ev->timestamp_ns - proc->start_ns) / 1e9;
	return true;
}

static bool
process_end(const struct relayfork_event *ev)
{
	return ev->type == RELAYFORK_EVENT_EXIT &&
	       (ev->flags & RELAYFORK_EVENT_F_PROCESS_END);
}

/* A main thread that exits while other threads of its process live on. */
static bool
main_thread_leaves(const struct relayfork_event *ev)
{
	return ev->type == RELAYFORK_EVENT_EXIT && ev->pid == ev->tgid &&
	       !(ev->flags & RELAYFORK_EVENT_F_PROCESS_END);
}

/* The parent to show: the kernel's word where the event carries one;
 * for a thread, the process it belongs to; for the end of a process
 * whose last thread was not its main one, the process's parent. */
pid_t
render_ppid(const struct relayfork_event *ev, const struct proc *proc)
{
	if (process_end(ev) && ev->pid != ev->tgid)
		return proc ? proc->ppid : 0;
	if (ev->flags & RELAYFORK_EVENT_F_THREAD)
		return ev->tgid;
	if (ev->type == RELAYFORK_EVENT_FORK)
		return ev->u.fork.parent_tgid;
	if (ev->type == RELAYFORK_EVENT_EXIT && ev->u.exit.parent_tgid)
		return ev->u.exit.parent_tgid;
	if (ev->type == RELAYFORK_EVENT_COREDUMP && ev->u.coredump.parent_tgid)
		return ev->u.coredump.parent_tgid;
	return proc ? proc->ppid : 0;
}

static const char *
event_color(const struct relayfork_event *ev)
{
	switch (ev->type) {
	case RELAYFORK_EVENT_FORK:
		return COLOR_FORK;
	case RELAYFORK_EVENT_EXEC:
		return COLOR_EXEC;
	case RELAYFORK_EVENT_EXIT:
		return ev->u.exit.status ? COLOR_FAIL : "";
	case RELAYFORK_EVENT_COREDUMP:
		return COLOR_FAIL;
	default:
		return COLOR_OTHER;
	}
}

/* The INFO column: what happened, decoded. */
static void
describe(const struct relayfork_event *ev, char *buf, size_t size)
{
	char sig[16];

	buf[0] = '\0';
	switch (ev->type) {
	case RELAYFORK_EVENT_EXIT: {
		const char *who = main_thread_leaves(ev) ? "main thread " : "";
		size_t n;

		if (ev->u.exit.exited)
			n = (size_t)snprintf(buf, size, "%sexit %d", who,
					     (int)ev->u.exit.code);
		else if (ev->u.exit.signal)
			n = (size_t)snprintf(buf, size, "%skilled by %s%s", who,
					     signal_name(ev->u.exit.signal, sig,
							 sizeof(sig)),
					     ev->u.exit.core_dumped
						     ? " (core dumped)"
						     : "");
		else
			n = (size_t)snprintf(buf, size, "%sstatus 0x%x", who,
					     (unsigned int)ev->u.exit.status);
		/* The process ended with a thread other than its main. */
		if (process_end(ev) && ev->pid != ev->tgid && n < size)
			snprintf(buf + n, size - n, " (last thread %d)",
				 (int)ev->pid);
		break;
	}
	case RELAYFORK_EVENT_UID:
		snprintf(buf, size, "uid %u euid %u", (unsigned)ev->u.uid.ruid,
			 (unsigned)ev->u.uid.euid);
		break;
	case RELAYFORK_EVENT_GID:
		snprintf(buf, size, "gid %u egid %u", (unsigned)ev->u.gid.rgid,
			 (unsigned)ev->u.gid.egid);
		break;
	case RELAYFORK_EVENT_SID:
		snprintf(buf, size, "new session");
		break;
	case RELAYFORK_EVENT_PTRACE:
		if (ev->u.ptrace.tracer_tgid)
			snprintf(buf, size, "traced by %d",
				 (int)ev->u.ptrace.tracer_tgid);
		else
			snprintf(buf, size, "trace detached");
		break;
	case RELAYFORK_EVENT_COMM:
		snprintf(buf, size, "renamed");
		break;
	case RELAYFORK_EVENT_COREDUMP:
		snprintf(buf, size, "dumping core");
		break;
	default:
		break;
	}
}

/* The PROCESS column. */
static void
print_process(FILE *out, const struct relayfork_event *ev,
	      const struct proc *proc)
{
	if (!proc) {
		fputs("(exited, unknown)", out);
		return;
	}
	if (proc->gone) {
		fputs("(exited before it could be read)", out);
		return;
	}
	if (proc->kthread) {
		fputc('[', out);
		text_escape(out, proc->comm, strlen(proc->comm));
		fputc(']', out);
	} else if (proc->cmdline) {
		text_escape(out, proc->cmdline, strlen(proc->cmdline));
	} else if (proc->comm[0]) {
		text_escape(out, proc->comm, strlen(proc->comm));
	} else {
		fputs("?", out);
	}
}

static void
print_header(struct render *r)
{
	fprintf(r->out, "%-15s %-8s %7s %7s %-6s %-10s %9s  %-26s ", "TIME",
		"EVENT", "PID", "PPID", "TYPE", "USER", "DURATION", "INFO");
	if (r->attribution)
		attribution_print_header(r->out);
	fputs("PROCESS\n", r->out);
	r->header_done = true;
}

/* The columns after TIME: the line, and the journal's MESSAGE. */
void
render_line(struct render *r, FILE *out, const struct relayfork_event *ev,
	    const struct proc *proc,
	    const struct relayfork_attribution_info *where)
{
	const char *name = relayfork_event_type_name((int)ev->type);
	char info[64], user_buf[32], dur[16] = "";
	const char *user = "-";
	/* Thread-level: the event of a thread, or of a main thread that
	 * leaves before the others; the end of a process is the process's. */
	bool thread = ((ev->flags & RELAYFORK_EVENT_F_THREAD) && !process_end(ev)) ||
		      main_thread_leaves(ev);
	/* A process is shown by its pid, whichever thread ended it. */
	pid_t pid = process_end(ev) ? ev->tgid : ev->pid;
	pid_t ppid = render_ppid(ev, proc);
	double life;
	size_t width;

	if (proc && proc->uid_known)
		user = user_name(proc->uid, user_buf, sizeof(user_buf));
	if (lifetime(ev, proc, &life))
		snprintf(dur, sizeof(dur), "%.3fs", life);
	describe(ev, info, sizeof(info));

	fprintf(out, "%s%-8s%s %7d ", r->color ? event_color(ev) : "", name,
		r->color ? COLOR_RESET : "", (int)pid);
	if (ppid)
		fprintf(out, "%7d", (int)ppid);
	else
		fprintf(out, "%7s", "-");
	fprintf(out, " %-6s ",
		thread ? "thread" : (proc && proc->kthread ? "kernel" : "proc"));
	/* User names come from the user database: anyone's text too. */
	width = text_escape(out, user, strlen(user));
	fprintf(out, "%*s %9s  %-26s ", width < 10 ? (int)(10 - width) : 0,
		"", dur, info);
	if (r->attribution)
		attribution_print_column(out, where);
	print_process(out, ev, proc);
}

static void
render_human(struct render *r, const struct relayfork_event *ev,
	     const struct proc *proc,
	     const struct relayfork_attribution_info *where)
{
	struct timespec wall = wall_time(r, ev->timestamp_ns);
	char time_buf[16];
	struct tm tm;

	if (!r->header_done)
		print_header(r);
	localtime_r(&wall.tv_sec, &tm);
	strftime(time_buf, sizeof(time_buf), "%H:%M:%S", &tm);
	fprintf(r->out, "%s.%06ld ", time_buf, wall.tv_nsec / 1000);
	render_line(r, r->out, ev, proc, where);
	fputc('\n', r->out);
}

static void
json_string_field(FILE *out, const char *key, const char *value)
{
	fprintf(out, ",\"%s\":", key);
	if (!value) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	json_escape(out, value, strlen(value));
	fputc('"', out);
}

static void
json_common(struct render *r, const struct relayfork_event *ev)
{
	struct timespec wall = wall_time(r, ev->timestamp_ns);
	char when[32];
	struct tm tm;

	gmtime_r(&wall.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(r->out,
		"{\"schema\":%d,\"event\":\"%s\",\"time\":\"%s.%06ldZ\","
		"\"timestamp_ns\":%llu",
		SCHEMA_VERSION, relayfork_event_type_name((int)ev->type), when,
		wall.tv_nsec / 1000, (unsigned long long)ev->timestamp_ns);
}

static void
render_json(struct render *r, const struct relayfork_event *ev,
	    const struct proc *proc,
	    const struct relayfork_attribution_info *where)
{
	FILE *out = r->out;
	bool thread = ev->flags & RELAYFORK_EVENT_F_THREAD;
	char sig[16], user[32];
	double life;

	json_common(r, ev);
	fprintf(out, ",\"cpu\":%u,\"seq\":%u,\"pid\":%d,\"tgid\":%d,"
		"\"thread\":%s",
		(unsigned)ev->cpu, (unsigned)ev->seq, (int)ev->pid,
		(int)ev->tgid, thread ? "true" : "false");
	if (render_ppid(ev, proc))
		fprintf(out, ",\"ppid\":%d", (int)render_ppid(ev, proc));
	else
		fputs(",\"ppid\":null", out);
	if (proc && proc->uid_known)
		fprintf(out, ",\"uid\":%u", (unsigned)proc->uid);
	else
		fputs(",\"uid\":null", out);
	json_string_field(out, "user",
			  proc && proc->uid_known
				  ? user_name(proc->uid, user, sizeof(user))
				  : NULL);
	json_string_field(out, "comm", proc && proc->comm[0] ? proc->comm : NULL);
	json_string_field(out, "cmdline", proc ? proc->cmdline : NULL);
	fprintf(out, ",\"kernel_thread\":%s,\"process_gone\":%s",
		proc && proc->kthread ? "true" : "false",
		!proc || proc->gone ? "true" : "false");
	if (ev->type == RELAYFORK_EVENT_EXIT)
		fprintf(out, ",\"process_end\":%s",
			process_end(ev) ? "true" : "false");
	if (r->attribution)
		attribution_print_json(out, where);

	switch (ev->type) {
	case RELAYFORK_EVENT_FORK:
		fprintf(out, ",\"parent_pid\":%d,\"parent_tgid\":%d",
			(int)ev->u.fork.parent_pid, (int)ev->u.fork.parent_tgid);
		break;
	case RELAYFORK_EVENT_EXIT:
		fprintf(out, ",\"status\":%d,\"exited\":%s", (int)ev->u.exit.status,
			ev->u.exit.exited ? "true" : "false");
		if (ev->u.exit.exited)
			fprintf(out, ",\"exit_code\":%d", (int)ev->u.exit.code);
		else
			fputs(",\"exit_code\":null", out);
		if (ev->u.exit.signal)
			fprintf(out, ",\"signal\":%d,\"signal_name\":\"%s\"",
				(int)ev->u.exit.signal,
				signal_name(ev->u.exit.signal, sig, sizeof(sig)));
		else
			fputs(",\"signal\":null,\"signal_name\":null", out);
		fprintf(out, ",\"core_dumped\":%s,\"exit_signal\":%d,"
			"\"parent_pid\":%d,\"parent_tgid\":%d",
			ev->u.exit.core_dumped ? "true" : "false",
			(int)ev->u.exit.exit_signal, (int)ev->u.exit.parent_pid,
			(int)ev->u.exit.parent_tgid);
		if (lifetime(ev, proc, &life))
			fprintf(out, ",\"lifetime_s\":%.6f", life);
		else
			fputs(",\"lifetime_s\":null", out);
		break;
	case RELAYFORK_EVENT_UID:
		fprintf(out, ",\"ruid\":%u,\"euid\":%u", (unsigned)ev->u.uid.ruid,
			(unsigned)ev->u.uid.euid);
		break;
	case RELAYFORK_EVENT_GID:
		fprintf(out, ",\"rgid\":%u,\"egid\":%u", (unsigned)ev->u.gid.rgid,
			(unsigned)ev->u.gid.egid);
		break;
	case RELAYFORK_EVENT_PTRACE:
		fprintf(out, ",\"tracer_pid\":%d,\"tracer_tgid\":%d",
			(int)ev->u.ptrace.tracer_pid, (int)ev->u.ptrace.tracer_tgid);
		break;
	case RELAYFORK_EVENT_COMM:
		json_string_field(out, "new_comm", ev->u.comm.comm);
		break;
	case RELAYFORK_EVENT_COREDUMP:
		fprintf(out, ",\"parent_pid\":%d,\"parent_tgid\":%d",
			(int)ev->u.coredump.parent_pid,
			(int)ev->u.coredump.parent_tgid);
		break;
	default:
		break;
	}
	fputs("}\n", out);
}

void
render_event(struct render *r, const struct relayfork_event *ev,
	     const struct proc *proc,
	     const struct relayfork_attribution_info *where)
{
	if (r->json)
		render_json(r, ev, proc, where);
	else
		render_human(r, ev, proc, where);
}

const char *
render_lost_reason(const struct relayfork_event *ev)
{
	switch (ev->u.lost.reason) {
	case RELAYFORK_LOST_OVERFLOW:
		return "overflow";
	case RELAYFORK_LOST_SEQUENCE:
		return "sequence";
	default:
		return "unknown";
	}
}

void
render_lost(struct render *r, const struct relayfork_event *ev)
{
	if (r->json) {
		json_common(r, ev);
		fprintf(r->out, ",\"count\":%llu,\"reason\":\"%s\"}\n",
			(unsigned long long)ev->u.lost.count, render_lost_reason(ev));
		return;
	}
	if (!r->header_done)
		print_header(r);
	fprintf(r->out, "%s", r->color ? COLOR_LOST : "");
	render_lost_line(r->out, ev);
	fprintf(r->out, "%s\n", r->color ? COLOR_RESET : "");
}

void
render_lost_line(FILE *out, const struct relayfork_event *ev)
{
	if (ev->u.lost.count)
		fprintf(out, "LOST %llu events (%s)",
			(unsigned long long)ev->u.lost.count,
			ev->u.lost.reason == RELAYFORK_LOST_SEQUENCE
				? "the kernel could not send them"
				: "forkwatch fell behind and the receive buffer "
				  "overflowed; try a larger --buffer");
	else
		fputs("LOST events (the receive buffer overflowed; the kernel "
		      "cannot tell how many)", out);
}
