// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The filesystem: /processes, /signal and /stats, the 2005 sysfs files
 * served over FUSE.  Every request runs on the daemon's one thread.
 */
#define FUSE_USE_VERSION 35
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse.h"
#include "relayforkd.h"

enum node { NODE_NONE, NODE_ROOT, NODE_PROCESSES, NODE_SIGNAL, NODE_STATS };

/*
 * What a reader gets: the file's text when it was opened, like sysfs.
 * Open snapshots are listed so that those whose release never came (the
 * filesystem was unmounted first) are freed at exit.
 */
struct snapshot {
	struct snapshot *prev, *next;
	size_t len;
	char text[];
};

static struct snapshot *open_snapshots;

static void
snapshot_link(struct snapshot *s)
{
	s->prev = NULL;
	s->next = open_snapshots;
	if (open_snapshots)
		open_snapshots->prev = s;
	open_snapshots = s;
}

static void
snapshot_free(struct snapshot *s)
{
	if (!s)
		return;
	if (s->prev)
		s->prev->next = s->next;
	else
		open_snapshots = s->next;
	if (s->next)
		s->next->prev = s->prev;
	free(s);
}

void
relayforkd_free_snapshots(void)
{
	while (open_snapshots)
		snapshot_free(open_snapshots);
}

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
					     "stats" };
	size_t i;

	if (lookup(path) != NODE_ROOT)
		return -ENOTDIR;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		fill(buf, names[i], NULL, 0, 0);
	return 0;
}

/* printf into a growing snapshot. */
static struct snapshot *
snapshot_printf(struct snapshot *s, const char *fmt, ...)
{
	va_list ap;
	size_t len = s ? s->len : 0;
	struct snapshot *n;
	int add;

	va_start(ap, fmt);
	add = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (add < 0) {
		free(s);
		return NULL;
	}
	n = realloc(s, sizeof(*n) + len + (size_t)add + 1);
	if (!n) {
		free(s);
		return NULL;
	}
	va_start(ap, fmt);
	vsnprintf(n->text + len, (size_t)add + 1, fmt, ap);
	va_end(ap);
	n->len = len + (size_t)add;
	return n;
}

static struct snapshot *
render_processes(struct relayforkd *d)
{
	struct snapshot *s = snapshot_printf(NULL, "%s", "");
	pid_t *pids;
	int n, i;

	n = relayfork_forwarder_get_targets(d->forwarder, NULL, 0);
	pids = calloc((size_t)n + 1, sizeof(*pids));
	if (!pids) {
		free(s);
		return NULL;
	}
	n = relayfork_forwarder_get_targets(d->forwarder, pids, (size_t)n);
	/* The 2005 format: each pid followed by a space, then a newline. */
	for (i = 0; i < n && s; i++)
		s = snapshot_printf(s, "%d ", (int)pids[i]);
	free(pids);
	if (s)
		s = snapshot_printf(s, "\n");
	return s;
}

static struct snapshot *
render_stats(struct relayforkd *d)
{
	struct relayfork_forwarder *f = d->forwarder;
	struct snapshot *s;
	pid_t *pids;
	int n, i;

	s = snapshot_printf(NULL,
			    "forks_seen %llu\n"
			    "signals_sent %llu\n"
			    "signals_dropped %llu\n"
			    "signals_failed %llu\n"
			    "targets_pruned %llu\n"
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
			    (unsigned long long)d->events_lost);
	n = relayfork_forwarder_get_targets(f, NULL, 0);
	pids = calloc((size_t)n + 1, sizeof(*pids));
	if (!pids) {
		free(s);
		return NULL;
	}
	n = relayfork_forwarder_get_targets(f, pids, (size_t)n);
	for (i = 0; i < n && s; i++) {
		uint64_t sent = 0, dropped = 0;

		relayfork_forwarder_get_target_counters(f, pids[i], &sent,
							&dropped);
		s = snapshot_printf(s, "target %d sent %llu dropped %llu\n",
				    (int)pids[i], (unsigned long long)sent,
				    (unsigned long long)dropped);
	}
	free(pids);
	return s;
}

static int
fs_open(const char *path, struct fuse_file_info *fi)
{
	struct relayforkd *d = daemon_state();
	enum node node = lookup(path);
	int mode = fi->flags & O_ACCMODE;
	struct snapshot *s = NULL;

	if (node == NODE_NONE)
		return -ENOENT;
	if (node == NODE_ROOT)
		return -EISDIR;
	if (node == NODE_STATS && mode != O_RDONLY)
		return -EACCES;
	/* The contents change with every request: no page cache. */
	fi->direct_io = 1;
	if (mode == O_WRONLY)
		return 0;

	switch (node) {
	case NODE_PROCESSES:
		s = render_processes(d);
		break;
	case NODE_SIGNAL:
		s = snapshot_printf(NULL, "%d\n",
				    relayfork_forwarder_get_signal(d->forwarder));
		break;
	case NODE_STATS:
		s = render_stats(d);
		break;
	default:
		break;
	}
	if (!s)
		return -ENOMEM;
	snapshot_link(s);
	fi->fh = (uint64_t)(uintptr_t)s;
	return 0;
}

static int
fs_read(const char *path, char *buf, size_t size, off_t off,
	struct fuse_file_info *fi)
{
	struct snapshot *s = (struct snapshot *)(uintptr_t)fi->fh;

	if (!s)
		return -EBADF;
	if (off < 0 || (size_t)off >= s->len)
		return 0;
	if (size > s->len - (size_t)off)
		size = s->len - (size_t)off;
	memcpy(buf, s->text + off, size);
	return (int)size;
}

static int
fs_release(const char *path, struct fuse_file_info *fi)
{
	snapshot_free((struct snapshot *)(uintptr_t)fi->fh);
	return 0;
}

/*
 * Check every request before changing anything, so that a bad write
 * changes nothing: a shell's `echo` then reports the error.
 */
static int
check_processes_request(struct relayforkd *d, const struct pid_request *req,
			const struct fuse_context *ctx)
{
	int r;

	if (!req->remove) {
		r = proc_check_process(req->pid);
		if (r < 0)
			return r;
	}
	if (ctx->uid == 0)
		return 0;
	if (!d->user_writes)
		return -EACCES;
	r = creds_may_signal(ctx->pid, req->pid);
	/* Unregistering a process that has gone needs no permission. */
	if (r == -ESRCH && req->remove)
		return 0;
	return r;
}

static int
apply_processes_request(struct relayforkd *d, const struct pid_request *req,
			bool *changed)
{
	int r;

	*changed = false;
	if (req->remove) {
		r = relayfork_forwarder_remove(d->forwarder, req->pid);
		*changed = r == 0;
		/* Unregistering an unregistered pid is a no-op, as
		 * registering a registered one is. */
		return r == -ENOENT ? 0 : r;
	}
	r = relayfork_forwarder_add(d->forwarder, req->pid);
	*changed = r > 0;
	return r < 0 ? r : 0;
}

static int
write_processes(struct relayforkd *d, const char *buf, size_t size)
{
	static struct pid_request req[PARSE_MAX_REQUESTS];
	static bool changed[PARSE_MAX_REQUESTS];
	const struct fuse_context *ctx = fuse_get_context();
	int n, i, r = 0;

	n = parse_processes(buf, size, d->pid_max, req, PARSE_MAX_REQUESTS);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		r = check_processes_request(d, &req[i], ctx);
		if (r < 0)
			return r;
	}
	for (i = 0; i < n; i++) {
		r = apply_processes_request(d, &req[i], &changed[i]);
		if (r < 0)
			break;
	}
	if (r < 0) {
		/* A process vanished between check and apply: undo. */
		while (i-- > 0) {
			if (!changed[i])
				continue;
			if (req[i].remove)
				(void)relayfork_forwarder_add(d->forwarder,
							      req[i].pid);
			else
				(void)relayfork_forwarder_remove(d->forwarder,
								 req[i].pid);
		}
		return r;
	}
	if (d->verbose)
		for (i = 0; i < n; i++)
			if (changed[i])
				log_msg("%s %d (by pid %d, uid %u)",
					req[i].remove ? "unregistered"
						      : "registered",
					(int)req[i].pid, (int)ctx->pid,
					(unsigned)ctx->uid);
	/* The serving loop subscribes or unsubscribes after this request;
	 * the caller learns here if listening fails. */
	r = relayforkd_update_subscription(d);
	return r < 0 ? -EIO : 0;
}

static int
write_signal(struct relayforkd *d, const char *buf, size_t size)
{
	const struct fuse_context *ctx = fuse_get_context();
	int signo, r;

	/* Only root changes the signal, whatever the mode bits. */
	if (ctx->uid != 0)
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
	int r;

	/* Each write is one command, wherever the file offset is. */
	switch (lookup(path)) {
	case NODE_PROCESSES:
		r = write_processes(d, buf, size);
		break;
	case NODE_SIGNAL:
		r = write_signal(d, buf, size);
		break;
	default:
		r = -EACCES;
		break;
	}
	return r < 0 ? r : (int)size;
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
	.release = fs_release,
};
