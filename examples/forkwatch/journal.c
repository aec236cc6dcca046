// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * --journal: each event as one journal entry whose fields say what the
 * line says, so that a fleet's collectors (systemd-journal-upload, or
 * any with a journald source) can match on them without parsing text.
 * The field list is in forkwatch(1).
 *
 * Text that processes chose (command lines, names, cgroup paths) is
 * escaped as in the human output: the journal would keep raw bytes,
 * but many collectors take fields for UTF-8 text, and a value with a
 * newline or an escape must not reach a terminal through journalctl.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

/* No CODE_FILE, CODE_LINE, CODE_FUNC in every entry: they would say
 * this file, for every event, in a fifth of its bytes. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "forkwatch.h"

/* Fields in one entry, at most (the event, its process, attribution). */
#define MAX_FIELDS 32

struct journal {
	/* The fields of the entry being made, one after the other, each
	 * "NAME=value" and a NUL; reused from entry to entry. */
	FILE *mem;
	char *buf;
	size_t size;
	size_t start[MAX_FIELDS];
	size_t nfields;
	/* For render_line(): the human line, without colours. */
	struct render render;
};

/*
 * The journal's socket, as sd_journal_sendv() finds it: said at start
 * rather than at the first event, which on a quiet machine may never
 * come.  The path is the journal's native protocol's, documented as
 * stable.
 */
static int
journal_reachable(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX,
				  .sun_path = "/run/systemd/journal/socket" };
	int fd, r = 0;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		r = -errno;
	close(fd);
	return r;
}

int
journal_new(struct journal **ret)
{
	struct journal *j;
	int r;

	r = journal_reachable();
	if (r < 0)
		return r;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->mem = open_memstream(&j->buf, &j->size);
	if (!j->mem) {
		free(j);
		return -ENOMEM;
	}
	*ret = j;
	return 0;
}

void
journal_free(struct journal *j)
{
	if (!j)
		return;
	fclose(j->mem);
	free(j->buf);
	free(j);
}

static void
entry_begin(struct journal *j)
{
	rewind(j->mem);
	j->nfields = 0;
}

/* Start a field; its value is what is written to j->mem until the next
 * one.  Returns the stream. */
static FILE *
field(struct journal *j, const char *name)
{
	if (j->nfields > 0)
		fputc('\0', j->mem);
	if (j->nfields == MAX_FIELDS)
		abort(); /* a field added here without raising the bound */
	j->start[j->nfields++] = (size_t)ftello(j->mem);
	fprintf(j->mem, "%s=", name);
	return j->mem;
}

static void
field_text(struct journal *j, const char *name, const char *text)
{
	text_escape(field(j, name), text, strlen(text));
}

static int
entry_send(struct journal *j)
{
	struct iovec iov[MAX_FIELDS];
	size_t i, end;

	fputc('\0', j->mem);
	end = (size_t)ftello(j->mem);
	/* The buffer may move as it grows: take addresses only now. */
	if (fflush(j->mem) != 0)
		return -ENOMEM;
	for (i = 0; i < j->nfields; i++) {
		size_t next = i + 1 < j->nfields ? j->start[i + 1] : end;

		iov[i].iov_base = j->buf + j->start[i];
		iov[i].iov_len = next - j->start[i] - 1; /* without the NUL */
	}
	return sd_journal_sendv(iov, (int)j->nfields);
}

static void
attribution_fields(struct journal *j, const struct relayfork_attribution_info *info)
{
	const struct relayfork_container *c;
	const char *runtime;

	if (!info)
		return;
	c = &info->container;
	if (info->cgroup[0])
		field_text(j, "RELAYFORK_CGROUP", info->cgroup);
	runtime = relayfork_runtime_name((int)c->runtime);
	if (c->id[0]) {
		field_text(j, "RELAYFORK_CONTAINER_ID", c->id);
		if (runtime && runtime[0])
			field_text(j, "RELAYFORK_CONTAINER_RUNTIME", runtime);
	}
	if (c->pod_uid[0])
		field_text(j, "RELAYFORK_POD_UID", c->pod_uid);
	if (c->unit[0])
		field_text(j, "RELAYFORK_UNIT", c->unit);
	if (info->ns_pid)
		fprintf(field(j, "RELAYFORK_NS_PID"), "%d", (int)info->ns_pid);
	if (info->pidns)
		fprintf(field(j, "RELAYFORK_PIDNS"), "%llu",
			(unsigned long long)info->pidns);
}

/* Warning: a process that failed (the exits forkwatch -e failure
 * shows), or dumps core; information otherwise. */
static int
event_priority(const struct relayfork_event *ev)
{
	if (ev->type == RELAYFORK_EVENT_COREDUMP)
		return 4;
	if (ev->type == RELAYFORK_EVENT_EXIT &&
	    (ev->flags & RELAYFORK_EVENT_F_PROCESS_END) && ev->u.exit.status)
		return 4;
	return 6;
}

static void
exit_fields(struct journal *j, const struct relayfork_event *ev)
{
	char sig[16];

	fprintf(field(j, "RELAYFORK_STATUS"), "%d", (int)ev->u.exit.status);
	if (ev->u.exit.exited)
		fprintf(field(j, "RELAYFORK_EXIT_CODE"), "%d",
			(int)ev->u.exit.code);
	if (ev->u.exit.signal) {
		fprintf(field(j, "RELAYFORK_SIGNAL"), "%d",
			(int)ev->u.exit.signal);
		fputs(signal_name(ev->u.exit.signal, sig, sizeof(sig)),
		      field(j, "RELAYFORK_SIGNAL_NAME"));
	}
	if (ev->u.exit.core_dumped)
		fputs("1", field(j, "RELAYFORK_CORE_DUMPED"));
	fputs(ev->flags & RELAYFORK_EVENT_F_PROCESS_END ? "1" : "0",
	      field(j, "RELAYFORK_PROCESS_END"));
}

int
journal_event(struct journal *j, const struct relayfork_event *ev,
	      const struct proc *proc,
	      const struct relayfork_attribution_info *info)
{
	pid_t ppid = render_ppid(ev, proc);

	entry_begin(j);
	render_line(&j->render, field(j, "MESSAGE"), ev, proc, info);
	fprintf(field(j, "PRIORITY"), "%d", event_priority(ev));
	fputs("forkwatch", field(j, "SYSLOG_IDENTIFIER"));
	fputs(relayfork_event_type_name((int)ev->type),
	      field(j, "RELAYFORK_EVENT"));
	fprintf(field(j, "RELAYFORK_PID"), "%d", (int)ev->pid);
	fprintf(field(j, "RELAYFORK_TGID"), "%d", (int)ev->tgid);
	if (ppid)
		fprintf(field(j, "RELAYFORK_PPID"), "%d", (int)ppid);
	if (ev->flags & RELAYFORK_EVENT_F_THREAD)
		fputs("1", field(j, "RELAYFORK_THREAD"));
	/* The kernel's time of the event; the entry's own is when it was
	 * sent, after the event and after a batch's wait. */
	fprintf(field(j, "RELAYFORK_TIMESTAMP_NS"), "%llu",
		(unsigned long long)ev->timestamp_ns);
	if (proc && proc->uid_known)
		fprintf(field(j, "RELAYFORK_UID"), "%u", (unsigned)proc->uid);
	if (proc && proc->comm[0])
		field_text(j, "RELAYFORK_COMM", proc->comm);
	if (proc && proc->cmdline)
		field_text(j, "RELAYFORK_COMMAND", proc->cmdline);

	switch (ev->type) {
	case RELAYFORK_EVENT_EXIT:
		exit_fields(j, ev);
		break;
	case RELAYFORK_EVENT_UID:
		fprintf(field(j, "RELAYFORK_RUID"), "%u", (unsigned)ev->u.uid.ruid);
		fprintf(field(j, "RELAYFORK_EUID"), "%u", (unsigned)ev->u.uid.euid);
		break;
	case RELAYFORK_EVENT_GID:
		fprintf(field(j, "RELAYFORK_RGID"), "%u", (unsigned)ev->u.gid.rgid);
		fprintf(field(j, "RELAYFORK_EGID"), "%u", (unsigned)ev->u.gid.egid);
		break;
	case RELAYFORK_EVENT_PTRACE:
		fprintf(field(j, "RELAYFORK_TRACER_TGID"), "%d",
			(int)ev->u.ptrace.tracer_tgid);
		break;
	case RELAYFORK_EVENT_COMM:
		field_text(j, "RELAYFORK_NEW_COMM", ev->u.comm.comm);
		break;
	default:
		break;
	}
	attribution_fields(j, info);
	return entry_send(j);
}

int
journal_lost(struct journal *j, const struct relayfork_event *ev)
{
	entry_begin(j);
	render_lost_line(field(j, "MESSAGE"), ev);
	fputs("4", field(j, "PRIORITY"));
	fputs("forkwatch", field(j, "SYSLOG_IDENTIFIER"));
	fputs("lost", field(j, "RELAYFORK_EVENT"));
	fprintf(field(j, "RELAYFORK_LOST_COUNT"), "%llu",
		(unsigned long long)ev->u.lost.count);
	fputs(render_lost_reason(ev), field(j, "RELAYFORK_LOST_REASON"));
	fprintf(field(j, "RELAYFORK_TIMESTAMP_NS"), "%llu",
		(unsigned long long)ev->timestamp_ns);
	return entry_send(j);
}
