// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The filesystem: /processes, /signal and /stats, the 2005 sysfs files
 * served over FUSE, and /metrics, the counters of /stats in the
 * Prometheus text format.  Every request runs on the daemon's one
 * thread.
 */
#define FUSE_USE_VERSION 35
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse.h"
#include "relayforkd.h"

enum node { NODE_NONE, NODE_ROOT, NODE_PROCESSES, NODE_SIGNAL, NODE_STATS,
	    NODE_METRICS };

/* Room for the longest piece of a file handed out at once: the stats
 * header. */
#define PIECE_SIZE 384

/* Where a reader stands. */
enum stage { STAGE_HEAD, STAGE_TARGETS, STAGE_TAIL, STAGE_END };

/*
 * An open file.  What it reads is made as it is read, a piece (a line,
 * a pid) at a time, so that a handle costs the same with ten targets or
 * ten thousand and a long listing is not made again for every read call:
 * a listing read in several calls shows the targets registered as it
 * goes, each once.  Writing the processes file runs with the
 * credentials of the process that opened it, read at open, as the
 * kernel does for /proc/PID/mem: a handle opened by a user stays that
 * user's, whoever writes to it.  Open handles are listed so that those
 * whose release never came (the filesystem was unmounted first) are
 * freed at exit.
 */
struct handle {
	struct handle *prev, *next;
	enum node node;
	struct creds opener;
	pid_t opener_pid;	/* the thread that opened it */
	struct user *user;	/* counted against; NULL for root */
	/* Reading: the offset of the next byte, the next target to list,
	 * and the piece being handed out. */
	off_t off;
	uint64_t next_seq;
	unsigned char stage;	/* enum stage */
	unsigned short len, pos;
	char piece[PIECE_SIZE];
	/* Writing the processes file: the incomplete last line. */
	struct line_buffer lines;
};

static struct handle *open_handles;

static struct relayforkd *
daemon_state(void)
{
	return fuse_get_context()->private_data;
}

static enum node
lookup(const char *path)
{
	if (strcmp(path, "/") == 0)
		return NODE_ROOT;
	if (strcmp(path, "/processes") == 0)
		return NODE_PROCESSES;
	if (strcmp(path, "/signal") == 0)
		return NODE_SIGNAL;
	if (strcmp(path, "/stats") == 0)
		return NODE_STATS;
	if (strcmp(path, "/metrics") == 0)
		return NODE_METRICS;
	return NODE_NONE;
}

static int
fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct relayforkd *d = daemon_state();
	enum node node = lookup(path);

	memset(st, 0, sizeof(*st));
	st->st_uid = 0;
	st->st_gid = 0;
	st->st_mtime = st->st_atime = st->st_ctime = time(NULL);
	switch (node) {
	case NODE_ROOT:
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	case NODE_PROCESSES:
		st->st_mode = S_IFREG | (d->user_writes ? 0666 : 0644);
		break;
	case NODE_SIGNAL:
		st->st_mode = S_IFREG | 0644;
		break;
	case NODE_STATS:
	case NODE_METRICS:
		st->st_mode = S_IFREG | 0444;
		break;
	case NODE_NONE:
		return -ENOENT;
	}
	st->st_nlink = 1;
	st->st_size = 4096; /* as sysfs: the real length is known on read */
	return 0;
}

static int
fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
	   struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	static const char *const names[] = { ".", "..", "processes", "signal",
					     "stats", "metrics" };
	size_t i;

	if (lookup(path) != NODE_ROOT)
		return -ENOTDIR;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		fill(buf, names[i], NULL, 0, 0);
	return 0;
}

/* Put the stats header in the piece: the counters as they are now. */
static void
piece_stats_header(struct relayforkd *d, struct handle *h)
{
	struct relayfork_forwarder *f = d->forwarder;
	int n;

	n = snprintf(h->piece, sizeof(h->piece),
		     "forks_seen %llu\n"
		     "signals_sent %llu\n"
		     "signals_dropped %llu\n"
		     "signals_failed %llu\n"
		     "targets_pruned %llu\n"
		     "targets_revoked %llu\n"
		     "restores_refused %llu\n"
		     "events_lost %llu\n",
		     (unsigned long long)relayfork_forwarder_get_counter(
			     f, RELAYFORK_FORWARDER_FORKS),
		     (unsigned long long)relayfork_forwarder_get_counter(
			     f, RELAYFORK_FORWARDER_SENT),
		     (unsigned long long)relayfork_forwarder_get_counter(
			     f, RELAYFORK_FORWARDER_DROPPED),
		     (unsigned long long)relayfork_forwarder_get_counter(
			     f, RELAYFORK_FORWARDER_FAILED),
		     (unsigned long long)relayfork_forwarder_get_counter(
			     f, RELAYFORK_FORWARDER_PRUNED),
		     (unsigned long long)d->registry.revoked,
		     (unsigned long long)d->registry.restore_refused,
		     (unsigned long long)d->events_lost);
	h->len = (unsigned short)(n < (int)sizeof(h->piece) ? n : 0);
}

/*
 * /metrics: the counters of /stats, a piece each (HELP, TYPE and the
 * sample), for Prometheus.  No series per target: a machine may have
 * thousands, and /stats lists them.
 */
static const struct metric {
	const char *name;
	const char *help;
	bool gauge;
} metrics[] = {
	{ "relayforkd_forks_seen_total", "Forks the daemon was told of.", false },
	{ "relayforkd_signals_sent_total", "Signals queued to targets.", false },
	{ "relayforkd_signals_dropped_total",
	  "Signals not sent: the target's queue of signals was full.", false },
	{ "relayforkd_signals_failed_total",
	  "Signals that failed otherwise.", false },
	{ "relayforkd_targets_pruned_total",
	  "Targets dropped because they exited.", false },
	{ "relayforkd_targets_revoked_total",
	  "Registrations dropped because their registrant may no longer "
	  "signal the target.", false },
	{ "relayforkd_restores_refused_total",
	  "Registrations of the state file refused at start.", false },
	{ "relayforkd_lost_events_total",
	  "Process events the kernel dropped.", false },
	{ "relayforkd_targets", "Processes registered now.", true },
};

static uint64_t
metric_value(struct relayforkd *d, size_t i)
{
	static const int counters[] = {
		RELAYFORK_FORWARDER_FORKS, RELAYFORK_FORWARDER_SENT,
		RELAYFORK_FORWARDER_DROPPED, RELAYFORK_FORWARDER_FAILED,
		RELAYFORK_FORWARDER_PRUNED,
	};

	if (i < sizeof(counters) / sizeof(counters[0]))
		return relayfork_forwarder_get_counter(d->forwarder,
						       counters[i]);
	switch (i) {
	case 5:
		return d->registry.revoked;
	case 6:
		return d->registry.restore_refused;
	case 7:
		return d->events_lost;
	default:
		return d->registry.nlive;
	}
}

/* The metric h->next_seq, in the piece; false after the last. */
static bool
piece_metric(struct relayforkd *d, struct handle *h)
{
	const struct metric *m;
	int n;

	if (h->next_seq >= sizeof(metrics) / sizeof(metrics[0]))
		return false;
	m = &metrics[h->next_seq];
	n = snprintf(h->piece, sizeof(h->piece),
		     "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", m->name, m->help,
		     m->name, m->gauge ? "gauge" : "counter", m->name,
		     (unsigned long long)metric_value(d, (size_t)h->next_seq));
	h->len = (unsigned short)(n < (int)sizeof(h->piece) ? n : 0);
	h->next_seq++;
	return true;
}

/* Make the next piece of h's file; false at its end. */
static bool
next_piece(struct relayforkd *d, struct handle *h)
{
	const struct registration *r;
	uint64_t sent, dropped;
	int n = 0;

	h->pos = h->len = 0;
	while (n == 0 && h->stage != STAGE_END) {
		switch (h->stage) {
		case STAGE_HEAD:
			if (h->node == NODE_METRICS) {
				if (piece_metric(d, h))
					n = h->len;
				else
					h->stage = STAGE_END;
				break;
			}
			h->stage = STAGE_TARGETS;
			if (h->node == NODE_SIGNAL) {
				n = snprintf(h->piece, sizeof(h->piece), "%d\n",
					     relayfork_forwarder_get_signal(
						     d->forwarder));
				h->stage = STAGE_END;
			} else if (h->node == NODE_STATS) {
				piece_stats_header(d, h);
				n = h->len;
			}
			break;
		case STAGE_TARGETS:
			r = registry_next(d, h->next_seq);
			if (!r) {
				h->stage = STAGE_TAIL;
				break;
			}
			h->next_seq = r->seq + 1;
			/* The 2005 format: each pid followed by a space, then
			 * a newline. */
			if (h->node == NODE_PROCESSES)
				n = snprintf(h->piece, sizeof(h->piece), "%d ",
					     (int)r->pid);
			else if (relayfork_forwarder_get_target_counters(
					 d->forwarder, r->pid, &sent,
					 &dropped) == 0)
				n = snprintf(h->piece, sizeof(h->piece),
					     "target %d sent %llu dropped %llu\n",
					     (int)r->pid, (unsigned long long)sent,
					     (unsigned long long)dropped);
			break;
		case STAGE_TAIL:
			h->stage = STAGE_END;
			if (h->node == NODE_PROCESSES)
				n = snprintf(h->piece, sizeof(h->piece), "\n");
			break;
		default:
			break;
		}
	}
	h->len = (unsigned short)(n > 0 && n < (int)sizeof(h->piece) ? n : 0);
	return h->len > 0;
}

/* Hand out up to size bytes of h's file from where it stands (into buf,
 * or nowhere); returns how many. */
static size_t
produce(struct relayforkd *d, struct handle *h, char *buf, size_t size)
{
	size_t done = 0;

	while (done < size) {
		size_t take;

		if (h->pos == h->len && !next_piece(d, h))
			break;
		take = h->len - h->pos;
		if (take > size - done)
			take = size - done;
		if (buf)
			memcpy(buf + done, h->piece + h->pos, take);
		h->pos += (unsigned short)take;
		done += take;
	}
	h->off += (off_t)done;
	return done;
}

static int
fs_read(const char *path, char *buf, size_t size, off_t off,
	struct fuse_file_info *fi)
{
	struct relayforkd *d = daemon_state();
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;

	if (!h)
		return -EBADF;
	if (off < 0)
		return -EINVAL;
	/* Targets that exited are not listed. */
	relayfork_forwarder_prune(d->forwarder);
	registry_sync(d);
	if (off != h->off) {
		/* Not where the last read ended (a seek, pread(2)): start
		 * again from the top, now. */
		h->off = 0;
		h->stage = STAGE_HEAD;
		h->next_seq = 0;
		h->len = h->pos = 0;
		while (h->off < off)
			if (produce(d, h, NULL, (size_t)(off - h->off)) == 0)
				return 0;
	}
	return (int)produce(d, h, buf, size);
}

/* What the lines of one write (or close) act on. */
struct line_context {
	struct relayforkd *d;
	struct handle *h;
	bool changed;
};

static int
apply_line(const char *line, size_t len, void *userdata)
{
	static struct pid_request req[PARSE_MAX_REQUESTS];
	struct line_context *lc = userdata;
	struct handle *h = lc->h;
	int n, r;

	n = parse_processes(line, len, lc->d->pid_max, req, PARSE_MAX_REQUESTS);
	if (n < 0)
		return n;
	r = registry_apply(lc->d, &h->opener, h->opener_pid, h->user, req, n);
	if (r == 0)
		lc->changed = true;
	return r;
}

/* Count the change in h's incomplete line against its user. */
static void
pending_account(struct relayforkd *d, struct handle *h, size_t before)
{
	if (!h->user)
		return;
	h->user->pending = h->user->pending - before + h->lines.len;
	d->registry.user_pending = d->registry.user_pending - before +
				   h->lines.len;
}

/* The most h's incomplete line may hold within its user's budgets. */
static size_t
pending_room(struct relayforkd *d, struct handle *h)
{
	size_t mine, all;

	if (!h->user)
		return PARSE_MAX_LINE;
	/* What this handle holds is replaced, not added to. */
	mine = MAX_PENDING_PER_USER - (h->user->pending - h->lines.len);
	all = MAX_USER_PENDING - (d->registry.user_pending - h->lines.len);
	return mine < all ? mine : all;
}

/* Subscribe or unsubscribe after requests changed something: the writer
 * learns here if listening fails. */
static int
after_requests(struct relayforkd *d, const struct line_context *lc, int r)
{
	if (lc->changed && relayforkd_update_subscription(d) < 0 && r >= 0)
		return -EIO;
	return r;
}

/* Apply h's incomplete last line, as if a newline had come. */
static int
finish_line(struct relayforkd *d, struct handle *h)
{
	struct line_context lc = { .d = d, .h = h };
	size_t before = h->lines.len;
	int r = line_buffer_finish(&h->lines, apply_line, &lc);

	pending_account(d, h, before);
	return after_requests(d, &lc, r);
}

static int
write_processes(struct relayforkd *d, struct handle *h, const char *buf,
		size_t size)
{
	struct line_context lc = { .d = d, .h = h };
	size_t before = h->lines.len;
	ssize_t r;

	r = line_buffer_write(&h->lines, buf, size, pending_room(d, h),
			      apply_line, &lc);
	pending_account(d, h, before);
	return after_requests(d, &lc, (int)r);
}

static int
write_signal(struct relayforkd *d, struct handle *h, const char *buf,
	     size_t size)
{
	int signo, r;

	/* Only root changes the signal, whatever the mode bits. */
	if (!creds_privileged(&h->opener))
		return -EACCES;
	r = parse_signal(buf, size, &signo);
	if (r < 0)
		return r;
	r = relayfork_forwarder_set_signal(d->forwarder, signo);
	if (r == 0 && d->verbose)
		log_msg("signal set to %d", signo);
	return r;
}

static int
fs_write(const char *path, const char *buf, size_t size, off_t off,
	 struct fuse_file_info *fi)
{
	struct relayforkd *d = daemon_state();
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	int r;

	if (!h)
		return -EBADF;
	/* Wherever the file offset is: the processes file takes lines,
	 * the signal file one number per write. */
	switch (h->node) {
	case NODE_PROCESSES:
		return write_processes(d, h, buf, size);
	case NODE_SIGNAL:
		r = write_signal(d, h, buf, size);
		return r < 0 ? r : (int)size;
	default:
		return -EACCES;
	}
}

static int
fs_open(const char *path, struct fuse_file_info *fi)
{
	struct relayforkd *d = daemon_state();
	const struct fuse_context *ctx = fuse_get_context();
	enum node node = lookup(path);
	bool writing = (fi->flags & O_ACCMODE) != O_RDONLY;
	struct handle *h;
	struct creds opener;
	struct user *u;
	int r;

	if (node == NODE_NONE)
		return -ENOENT;
	if (node == NODE_ROOT)
		return -EISDIR;
	if ((node == NODE_STATS || node == NODE_METRICS) && writing)
		return -EACCES;
	/* The opener waits for this answer: its thread is the one FUSE
	 * names, and /proc must agree on who it is. */
	r = creds_read_pid(ctx->pid, &opener);
	if (r < 0 || opener.fsuid != ctx->uid)
		return -EACCES;
	if (writing && !creds_privileged(&opener) &&
	    (node == NODE_SIGNAL || !d->user_writes))
		return -EACCES;
	u = registry_user(d, &opener, &r);
	if (r < 0)
		return r;
	if (u && u->handles >= MAX_HANDLES_PER_USER) {
		registry_user_put(d, u);
		return -EMFILE;
	}
	if (u && d->registry.user_handles >= MAX_USER_HANDLES) {
		registry_user_put(d, u);
		return -ENFILE;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		registry_user_put(d, u);
		return -ENOMEM;
	}
	h->node = node;
	h->opener = opener;
	h->opener_pid = ctx->pid;
	h->user = u;
	if (u) {
		u->handles++;
		d->registry.user_handles++;
	}
	h->prev = NULL;
	h->next = open_handles;
	if (open_handles)
		open_handles->prev = h;
	open_handles = h;
	fi->fh = (uint64_t)(uintptr_t)h;
	/* The contents change with every request: no page cache. */
	fi->direct_io = 1;
	/* Only a writer of the processes file has something to end at
	 * close. */
	fi->noflush = node != NODE_PROCESSES || !writing;
	return 0;
}

/* Unlist and free h, giving back what it counted. */
static void
handle_free(struct relayforkd *d, struct handle *h)
{
	size_t before = h->lines.len;

	line_buffer_free(&h->lines);
	pending_account(d, h, before);
	if (h->user) {
		h->user->handles--;
		d->registry.user_handles--;
		registry_user_put(d, h->user);
	}
	if (h->prev)
		h->prev->next = h->next;
	else
		open_handles = h->next;
	if (h->next)
		h->next->prev = h->prev;
	free(h);
}

/*
 * close(2) reports what flush returns: the incomplete last line is
 * applied here, when the process that opened the file closes it.  A copy
 * of the descriptor that another process closes (a child that inherited
 * it, at its exit) leaves the line alone: the opener may still be
 * writing it.
 */
static int
fs_flush(const char *path, struct fuse_file_info *fi)
{
	struct relayforkd *d = daemon_state();
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	struct creds closer;

	if (!h || h->node != NODE_PROCESSES || h->lines.len == 0)
		return 0;
	if (creds_read_pid(fuse_get_context()->pid, &closer) < 0 ||
	    closer.tgid != h->opener.tgid)
		return 0;
	return finish_line(d, h);
}

/* The last close: a line still incomplete is applied, its error only
 * logged (release cannot report one). */
static int
fs_release(const char *path, struct fuse_file_info *fi)
{
	struct relayforkd *d = daemon_state();
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	int r;

	if (!h)
		return 0;
	if (h->lines.len > 0) {
		r = finish_line(d, h);
		if (r < 0)
			log_msg("the last line written to processes (opened by "
				"pid %d) was incomplete and failed at close: %s",
				(int)h->opener_pid, strerror(-r));
	}
	handle_free(d, h);
	return 0;
}

void
relayforkd_free_state(struct relayforkd *d)
{
	while (open_handles)
		handle_free(d, open_handles);
	registry_free(d);
}

static int
fs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	/* `echo N > file` truncates first; there is nothing to cut. */
	switch (lookup(path)) {
	case NODE_PROCESSES:
	case NODE_SIGNAL:
		return 0;
	case NODE_NONE:
		return -ENOENT;
	default:
		return -EACCES;
	}
}

static void *
fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	/* Attributes and names never change; contents are read fresh. */
	cfg->direct_io = 1;
	cfg->kernel_cache = 0;
	return fuse_get_context()->private_data;
}

const struct fuse_operations relayforkd_operations = {
	.init = fs_init,
	.getattr = fs_getattr,
	.readdir = fs_readdir,
	.open = fs_open,
	.read = fs_read,
	.write = fs_write,
	.truncate = fs_truncate,
	.flush = fs_flush,
	.release = fs_release,
};
