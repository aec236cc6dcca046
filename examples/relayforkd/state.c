// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procfs.h"
#include "relayforkd.h"
#include "state.h"

#define STATE_VERSION "1"
/* Far more than --max-targets targets take (about 100 bytes each). */
#define STATE_MAX_SIZE (16 << 20)

int
state_init(struct state *s, const char *path, int default_signo)
{
	*s = (struct state){ .default_signo = default_signo,
			     .signo = default_signo };
	if (path && !(s->path = strdup(path)))
		return -ENOMEM;
	return 0;
}

void
state_free(struct state *s)
{
	free(s->path);
	free(s->targets);
	*s = (struct state){ 0 };
}

static int
append(struct state_target **v, size_t *n, size_t *cap,
       const struct state_target *t)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 16;
		struct state_target *nv = realloc(*v, c * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = *t;
	return 0;
}

/* This boot's id (/proc/sys/kernel/random/boot_id), or "" if unknown. */
static void
read_boot_id(char *buf, size_t size)
{
	ssize_t n = procfs_read(AT_FDCWD, "/proc/sys/kernel/random/boot_id",
				buf, size);

	if (n < 0)
		n = 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* A number in base 10 or 16 (digits only, no prefix) of at most max:
 * 0 or -EINVAL. */
static int
parse_number(const char *s, unsigned int base, unsigned long long max,
	     unsigned long long *ret)
{
	unsigned long long v = 0;
	unsigned int digit;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			digit = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			digit = (unsigned)(*s - 'a' + 10);
		else
			return -EINVAL;
		if (v > (max - digit) / base)
			return -EINVAL;
		v = v * base + digit;
	}
	*ret = v;
	return 0;
}

/*
 * The start time of registered target pid.  The /proc directory is
 * opened first, then the target is checked to be still registered (its
 * pidfd has not reported an exit): the process held the pid all along,
 * so the directory is that process's, even if the pid is free again by
 * the time it is read.  0, or a negative errno.
 */
static int
target_start_time(struct relayfork_forwarder *f, pid_t pid,
		  unsigned long long *ret)
{
	struct procfs_stat st;
	uint64_t sent, dropped;
	int dirfd = procfs_open_pid(pid), r;

	if (dirfd < 0)
		return dirfd;
	relayfork_forwarder_prune(f);
	r = relayfork_forwarder_get_target_counters(f, pid, &sent, &dropped);
	if (r == 0)
		r = procfs_read_stat(dirfd, "stat", &st);
	else
		r = -ESRCH;
	if (r == 0)
		*ret = st.start_ticks;
	close(dirfd);
	return r;
}

/* The start time of whatever process pid names now: 0 or a negative
 * errno. */
static int
pid_start_time(pid_t pid, unsigned long long *ret)
{
	struct procfs_stat st;
	int dirfd = procfs_open_pid(pid), r;

	if (dirfd < 0)
		return dirfd;
	r = procfs_read_stat(dirfd, "stat", &st);
	if (r == 0)
		*ret = st.start_ticks;
	close(dirfd);
	return r;
}

/*
 * Register t again if its pid still names the process that started at
 * t->start, in its registrant's name (registry_restore(): kill(2)'s rule
 * and the limits).
 */
static int
restore_target(struct relayforkd *d, const struct state_target *t)
{
	unsigned long long now;
	int r;

	/* First what the pid names now: another process would be refused
	 * for its own credentials, a wrong reason to log. */
	r = pid_start_time(t->pid, &now);
	if (r == 0 && now != t->start)
		r = -ESTALE;
	if (r == 0)
		r = registry_restore(d, t->pid, &t->registrant,
				     t->registrant_pid);
	if (r < 0)
		return r;
	/* Again with the target held: the pid may have changed hands
	 * between the two. */
	r = target_start_time(d->forwarder, t->pid, &now);
	if (r == 0 && now != t->start)
		r = -ESTALE;
	if (r < 0)
		registry_remove(d, t->pid);
	return r;
}

/* Say why t was not restored; count it if the permission model or the
 * limits refused it. */
static void
log_dropped(struct relayforkd *d, const struct state_target *t, int r)
{
	const char *why;
	char buf[128];

	switch (r) {
	case -ESRCH:
		why = "it has exited";
		break;
	case -ESTALE:
	case -EINVAL: /* a thread of another process now */
		why = "its pid now names another process";
		break;
	case -EEXIST:
		why = "listed twice";
		break;
	case -EACCES:
		snprintf(buf, sizeof(buf), "uid %u registered it, and only "
			 "root registers without --allow-user-writes",
			 (unsigned)t->registrant.uid);
		why = buf;
		break;
	case -EPERM:
		snprintf(buf, sizeof(buf), "uid %u, which registered it, may "
			 "no longer signal it", (unsigned)t->registrant.uid);
		why = buf;
		break;
	case -EDQUOT:
		snprintf(buf, sizeof(buf), "uid %u holds --max-per-user (%u) "
			 "registrations already", (unsigned)t->registrant.uid,
			 d->max_per_user);
		why = buf;
		break;
	case -ENOSPC:
		snprintf(buf, sizeof(buf), "the registrations are at their "
			 "limit (--max-targets %u, 7/8 of it for users other "
			 "than root)", d->max_targets);
		why = buf;
		break;
	default:
		why = strerror(-r);
		break;
	}
	if (r == -EACCES || r == -EPERM || r == -EDQUOT || r == -ENOSPC)
		d->registry.restore_refused++;
	log_msg("not restoring pid %d: %s", (int)t->pid, why);
}

/* What a state file holds. */
struct loaded {
	int signo;
	struct state_target *targets;
	size_t n, cap;
};

/*
 * The registrant's credentials: the words after UID, NAME=VALUE each, any
 * of them missing (a file written before they were recorded) taken from
 * uid, the writer's: every id uid, and CAP_KILL for root.  Words of
 * other names are a later version's, skipped.  0 or -EINVAL.
 */
static int
parse_registrant(char **save, uid_t uid, struct state_target *t)
{
	static const char *const ws = " \t\n";
	static const struct {
		const char *name;
		unsigned int base;
		unsigned long long max;
	} fields[] = {
		{ "euid=", 10, UINT_MAX - 1 },	{ "suid=", 10, UINT_MAX - 1 },
		{ "fsuid=", 10, UINT_MAX - 1 },	{ "cap-eff=", 16, UINT64_MAX },
		{ "opener=", 10, INT_MAX },
	};
	struct creds *c = &t->registrant;
	unsigned long long v;
	const char *w;
	size_t i, len;

	*c = (struct creds){
		.uid = uid, .euid = uid, .suid = uid, .fsuid = uid,
		.cap_eff = uid == 0 ? UINT64_C(1) << CAP_KILL_BIT : 0,
		.own_userns = true,
	};
	while ((w = strtok_r(NULL, ws, save))) {
		if (strcmp(w, "userns=initial") == 0 ||
		    strcmp(w, "userns=other") == 0) {
			c->own_userns = strcmp(w, "userns=initial") == 0;
			continue;
		}
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			len = strlen(fields[i].name);
			if (strncmp(w, fields[i].name, len) == 0)
				break;
		}
		if (i == sizeof(fields) / sizeof(fields[0]))
			continue;
		if (parse_number(w + len, fields[i].base, fields[i].max, &v) < 0)
			return -EINVAL;
		switch (i) {
		case 0:
			c->euid = (uid_t)v;
			break;
		case 1:
			c->suid = (uid_t)v;
			break;
		case 2:
			c->fsuid = (uid_t)v;
			break;
		case 3:
			c->cap_eff = v;
			break;
		default:
			t->registrant_pid = (pid_t)v;
			break;
		}
	}
	return 0;
}

/* Parse one line (changed in place).  0, -EINVAL for a malformed line,
 * -EPROTO for a file of another format, -ESTALE for another boot's. */
static int
parse_line(char *line, bool *header, struct loaded *l)
{
	static const char *const ws = " \t\n";
	char *save = NULL, *key, *a, *b, *c;
	unsigned long long pid, start, uid, signo;
	char boot[64];

	key = strtok_r(line, ws, &save);
	if (!key || key[0] == '#')
		return 0;
	a = strtok_r(NULL, ws, &save);
	if (!*header) {
		*header = true;
		return strcmp(key, "relayforkd-state") == 0 && a &&
			       strcmp(a, STATE_VERSION) == 0
			       ? 0
			       : -EPROTO;
	}
	if (strcmp(key, "boot-id") == 0) {
		read_boot_id(boot, sizeof(boot));
		return a && boot[0] && strcmp(a, boot) != 0 ? -ESTALE : 0;
	}
	if (strcmp(key, "signal") == 0) {
		if (parse_number(a, 10, INT_MAX, &signo) < 0)
			return -EINVAL;
		l->signo = (int)signo;
		return 0;
	}
	if (strcmp(key, "target") == 0) {
		struct state_target t;

		b = strtok_r(NULL, ws, &save);
		c = strtok_r(NULL, ws, &save);
		if (parse_number(a, 10, INT_MAX, &pid) < 0 || pid == 0 ||
		    parse_number(b, 10, ULLONG_MAX, &start) < 0 ||
		    parse_number(c, 10, UINT_MAX - 1, &uid) < 0)
			return -EINVAL;
		t = (struct state_target){ .pid = (pid_t)pid, .start = start };
		if (parse_registrant(&save, (uid_t)uid, &t) < 0)
			return -EINVAL;
		return append(&l->targets, &l->n, &l->cap, &t);
	}
	/* A keyword of a later version. */
	return 0;
}

/* Read the file if it can be trusted.  0 (nothing there is 0 too), or a
 * negative errno, logged. */
static int
load(const char *path, struct loaded *l)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned int lineno = 0;
	bool header = false;
	struct stat st;
	int fd, r = 0;
	FILE *f;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK |
				O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT)
			return 0;
		if (r == -ELOOP)
			log_msg("ignoring %s: a symbolic link", path);
		else
			log_msg("cannot read %s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		log_msg("cannot read %s: %s", path, strerror(-r));
	} else if (!S_ISREG(st.st_mode)) {
		r = -EPERM;
		log_msg("ignoring %s: not a regular file", path);
	} else if (st.st_uid != 0) {
		r = -EPERM;
		log_msg("ignoring %s: owned by uid %u, not by root", path,
			(unsigned)st.st_uid);
	} else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		r = -EPERM;
		log_msg("ignoring %s: others than root may write it", path);
	} else if (st.st_size > STATE_MAX_SIZE) {
		r = -EFBIG;
		log_msg("ignoring %s: larger than a state file can be", path);
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	f = fdopen(fd, "r");
	if (!f) {
		r = -errno;
		close(fd);
		return r;
	}
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		r = parse_line(line, &header, l);
		if (r == -EPROTO) {
			log_msg("ignoring %s: not a relayforkd state file of "
				"version %s", path, STATE_VERSION);
			break;
		}
		if (r == -ESTALE) {
			log_msg("ignoring %s: written before the machine last "
				"booted", path);
			break;
		}
		if (r == -ENOMEM)
			break;
		if (r < 0)
			log_msg("%s:%u: ignoring a malformed line", path, lineno);
		r = 0;
	}
	if (r == 0 && ferror(f))
		r = -EIO;
	free(line);
	fclose(f);
	return r;
}

void
state_restore(struct state *s, struct relayforkd *d)
{
	struct loaded l = { 0 };
	size_t i, cap = 0;
	int r;

	if (!s->path)
		return;
	/* Whatever the file says, the next sync makes it say what this
	 * daemon knows. */
	s->unsaved = true;
	if (load(s->path, &l) < 0 || (l.n == 0 && l.signo == 0))
		goto out;
	if (l.signo && l.signo != s->default_signo) {
		r = relayfork_forwarder_set_signal(d->forwarder, l.signo);
		if (r < 0)
			log_msg("%s: ignoring signal %d", s->path, l.signo);
		else
			log_msg("signal %d restored from %s", l.signo, s->path);
	}
	s->signo = relayfork_forwarder_get_signal(d->forwarder);
	/* In the order they were registered: where the limits are lower
	 * now, the first ones are kept. */
	for (i = 0; i < l.n; i++) {
		struct state_target *t = &l.targets[i];
		const struct registration *reg;

		r = restore_target(d, t);
		if (r < 0) {
			log_dropped(d, t, r);
			continue;
		}
		reg = registry_find(d, t->pid);
		t->seq = reg ? reg->seq : 0;
		(void)append(&s->targets, &s->n, &cap, t);
	}
	log_msg("restored %zu of %zu registrations from %s", s->n, l.n,
		s->path);
out:
	free(l.targets);
}

/* Write the state to a new file and rename it over the old one. */
static int
write_file(const struct state *s)
{
	char tmp[PATH_MAX], boot[64];
	size_t i;
	FILE *f;
	int fd, r = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", s->path) >=
	    sizeof(tmp))
		return -ENAMETOOLONG;
	/* Mode 0600, owned by the daemon: root. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		unlink(tmp);
		return r;
	}
	read_boot_id(boot, sizeof(boot));
	fprintf(f,
		"# relayforkd(8) state: the registered processes, restored at "
		"the next start\n"
		"# if they still run (start time: field 22 of /proc/PID/stat)\n"
		"relayforkd-state %s\n", STATE_VERSION);
	if (boot[0])
		fprintf(f, "boot-id %s\n", boot);
	fprintf(f, "signal %d\n"
		"# target PID START-TIME UID, then the registrant's other "
		"credentials\n", s->signo);
	for (i = 0; i < s->n; i++) {
		const struct state_target *t = &s->targets[i];
		const struct creds *c = &t->registrant;

		fprintf(f, "target %d %llu %u euid=%u suid=%u fsuid=%u "
			"cap-eff=%016llx userns=%s opener=%d\n",
			(int)t->pid, t->start, (unsigned)c->uid,
			(unsigned)c->euid, (unsigned)c->suid,
			(unsigned)c->fsuid, (unsigned long long)c->cap_eff,
			c->own_userns ? "initial" : "other",
			(int)t->registrant_pid);
	}
	if (fflush(f) != 0 || fsync(fd) < 0)
		r = -errno;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, s->path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

static int
compare_seq(const void *a, const void *b)
{
	uint64_t x = ((const struct state_target *)a)->seq;
	uint64_t y = ((const struct state_target *)b)->seq;

	return (x > y) - (x < y);
}

/*
 * The entries for the registrations, in their order: their registrants
 * as they are now, the start times of those the file lists already kept,
 * new ones read from /proc.  Targets whose start time cannot be read
 * (they have just exited) are left out.
 */
static int
build(struct state *s, struct relayforkd *d, struct state_target **ret,
      size_t *ret_n)
{
	struct state_target *v = NULL, key, *found, t;
	const struct registration *reg;
	size_t len = 0, cap = 0;
	int r = 0;

	/* s->targets were made in registration order: sorted by seq. */
	for (reg = registry_next(d, 0); reg && r == 0;
	     reg = registry_next(d, reg->seq + 1)) {
		key.seq = reg->seq;
		found = s->n ? bsearch(&key, s->targets, s->n,
				       sizeof(*s->targets), compare_seq)
			     : NULL;
		t = (struct state_target){ .pid = reg->pid, .seq = reg->seq,
					   .registrant = reg->registrant,
					   .registrant_pid = reg->registrant_pid };
		if (found)
			t.start = found->start;
		else if (target_start_time(d->forwarder, reg->pid, &t.start) < 0)
			continue;
		r = append(&v, &len, &cap, &t);
	}
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = len;
	return 0;
}

void
state_sync(struct state *s, struct relayforkd *d)
{
	struct state_target *v = NULL;
	uint64_t generation;
	size_t len = 0;
	int signo, r;

	if (!s->path)
		return;
	/* Targets that exited leave the registry (and the file) now. */
	relayfork_forwarder_prune(d->forwarder);
	registry_sync(d);
	signo = relayfork_forwarder_get_signal(d->forwarder);
	generation = d->registry.generation;
	if (!s->unsaved && signo == s->signo && generation == s->generation)
		return;
	r = build(s, d, &v, &len);
	if (r < 0)
		return; /* out of memory: try again on the next round */
	free(s->targets);
	s->targets = v;
	s->n = len;
	s->signo = signo;
	s->generation = generation;
	/* Nothing to remember: no file. */
	if (s->n == 0 && s->signo == s->default_signo)
		r = unlink(s->path) < 0 && errno != ENOENT ? -errno : 0;
	else
		r = write_file(s);
	s->unsaved = r < 0 || len != d->registry.nlive;
	if (r < 0 && !s->failing)
		log_msg("cannot update %s: %s (registrations will not survive "
			"a restart)", s->path, strerror(-r));
	else if (r == 0 && s->failing)
		log_msg("%s is up to date again", s->path);
	s->failing = r < 0;
}
