// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Who registered what: beside each of the forwarder's targets, the
 * credentials of the process that opened the file the registration was
 * written to, kept to check again when the target's uid changes; and
 * what each user holds, for the limits.
 */
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "relayforkd.h"

static int
compare_pid(const void *a, const void *b)
{
	pid_t x = ((const struct registration *)a)->pid;
	pid_t y = ((const struct registration *)b)->pid;

	return x < y ? -1 : x > y;
}

static int
compare_uid(const void *a, const void *b)
{
	uid_t x = ((const struct user *)a)->uid;
	uid_t y = ((const struct user *)b)->uid;

	return x < y ? -1 : x > y;
}

struct registration *
registry_find(struct relayforkd *d, pid_t pid)
{
	struct registration key = { .pid = pid };
	void *node = tfind(&key, &d->registry.by_pid, compare_pid);

	return node ? *(struct registration **)node : NULL;
}

struct user *
registry_user(struct relayforkd *d, const struct creds *opener, int *ret_error)
{
	struct user key = { .uid = opener->uid }, *u;
	void **node;

	*ret_error = 0;
	if (creds_privileged(opener))
		return NULL;
	node = tfind(&key, &d->registry.users, compare_uid);
	if (node)
		return *node;
	u = calloc(1, sizeof(*u));
	if (!u) {
		*ret_error = -ENOMEM;
		return NULL;
	}
	u->uid = opener->uid;
	if (!tsearch(u, &d->registry.users, compare_uid)) {
		free(u);
		*ret_error = -ENOMEM;
		return NULL;
	}
	return u;
}

void
registry_user_put(struct relayforkd *d, struct user *u)
{
	if (!u || u->targets || u->handles || u->pending)
		return;
	tdelete(u, &d->registry.users, compare_uid);
	free(u);
}

/* The slot of seq in the order array, or the first after it. */
static size_t
order_find(const struct registry *reg, uint64_t seq)
{
	size_t lo = 0, hi = reg->norder;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (reg->order[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Squeeze out the slots of removed registrations once they are many. */
static void
order_compact(struct registry *reg)
{
	size_t i, n = 0;

	if (reg->norder - reg->nlive < 64 || reg->norder - reg->nlive < reg->nlive)
		return;
	for (i = 0; i < reg->norder; i++)
		if (reg->order[i].reg)
			reg->order[n++] = reg->order[i];
	reg->norder = n;
}

const struct registration *
registry_next(struct relayforkd *d, uint64_t from)
{
	const struct registry *reg = &d->registry;
	size_t i;

	for (i = order_find(reg, from); i < reg->norder; i++)
		if (reg->order[i].reg)
			return reg->order[i].reg;
	return NULL;
}

/* Count r against its user. */
static void
charge(struct relayforkd *d, struct registration *r, struct user *u)
{
	r->user = u;
	d->registry.generation++;
	if (u) {
		u->targets++;
		d->registry.user_targets++;
	}
}

static void
uncharge(struct relayforkd *d, struct registration *r)
{
	struct user *u = r->user;

	r->user = NULL;
	d->registry.generation++;
	if (u) {
		u->targets--;
		d->registry.user_targets--;
		registry_user_put(d, u);
	}
}

/* Record a new registration, last in order.  0 or -ENOMEM. */
static int
record_add(struct relayforkd *d, pid_t pid, const struct creds *opener,
	   pid_t opener_pid, struct user *u)
{
	struct registry *reg = &d->registry;
	struct registration *r;

	order_compact(reg);
	if (reg->norder == reg->order_size) {
		size_t size = reg->order_size ? 2 * reg->order_size : 64;
		struct order_slot *n = realloc(reg->order, size * sizeof(*n));

		if (!n)
			return -ENOMEM;
		reg->order = n;
		reg->order_size = size;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->pid = pid;
	r->seq = reg->next_seq++;
	r->registrant = *opener;
	r->registrant_pid = opener_pid;
	if (!tsearch(r, &reg->by_pid, compare_pid)) {
		free(r);
		return -ENOMEM;
	}
	reg->order[reg->norder++] = (struct order_slot){ r->seq, r };
	reg->nlive++;
	charge(d, r, u);
	return 0;
}

/* Forget a registration (the forwarder's target is the caller's). */
static void
record_drop(struct relayforkd *d, struct registration *r)
{
	struct registry *reg = &d->registry;
	size_t i = order_find(reg, r->seq);

	if (i < reg->norder && reg->order[i].reg == r)
		reg->order[i].reg = NULL;
	tdelete(r, &reg->by_pid, compare_pid);
	reg->nlive--;
	uncharge(d, r);
	free(r);
}

void
registry_sync(struct relayforkd *d)
{
	struct registry *reg = &d->registry;
	uint64_t pruned = relayfork_forwarder_get_counter(
		d->forwarder, RELAYFORK_FORWARDER_PRUNED);
	size_t i;

	if (pruned == reg->pruned_seen)
		return;
	reg->pruned_seen = pruned;
	/* record_drop() leaves the array as it is: no slot moves here. */
	for (i = 0; i < reg->norder; i++) {
		struct registration *r = reg->order[i].reg;
		uint64_t sent, dropped;

		if (r && relayfork_forwarder_get_target_counters(
				 d->forwarder, r->pid, &sent, &dropped) == -ENOENT)
			record_drop(d, r);
	}
}

bool
registry_has_user_targets(struct relayforkd *d)
{
	return d->registry.user_targets > 0;
}

/* May the opener unregister r?  0 or -EPERM. */
static int
may_unregister(const struct registration *r, const struct creds *opener,
	       const struct user *u)
{
	struct creds target;
	int ret;

	/* Its own user's registration (u is NULL for root, who passes
	 * below). */
	if (u && r->user == u)
		return 0;
	ret = creds_read_pid(r->pid, &target);
	/* Gone: the registration is dropped anyway. */
	if (ret == -ESRCH)
		return 0;
	if (ret < 0)
		return -EPERM;
	return creds_may_signal(opener, &target);
}

static int
compare_pid_t(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

/* Does a pid come twice?  (n <= PARSE_MAX_REQUESTS) */
static bool
has_duplicates(const struct pid_request *req, int n)
{
	static pid_t pids[PARSE_MAX_REQUESTS];
	int i;

	for (i = 0; i < n; i++)
		pids[i] = req[i].pid;
	qsort(pids, (size_t)n, sizeof(pids[0]), compare_pid_t);
	for (i = 1; i < n; i++)
		if (pids[i] == pids[i - 1])
			return true;
	return false;
}

/*
 * Would the line fit the limits?  Counted from the registry as it is:
 * new registrations, registrations that pass to this opener's account,
 * and those the line removes.
 */
static int
check_limits(struct relayforkd *d, struct user *u,
	     const struct pid_request *req, int n)
{
	const struct registry *reg = &d->registry;
	long total = 0, users = 0, mine = 0;
	unsigned int users_max = d->max_targets - d->max_targets / 8;
	int i;

	for (i = 0; i < n; i++) {
		const struct registration *r = registry_find(d, req[i].pid);

		if (req[i].remove) {
			if (!r)
				continue;
			total--;
			users -= r->user != NULL;
			mine -= u && r->user == u;
			continue;
		}
		total += !r;
		users += u && (!r || !r->user);
		users -= !u && r && r->user; /* root takes it over */
		mine += u && (!r || r->user != u);
	}
	/* Only what grows is refused: a line may always give back. */
	if (u && mine > 0 && u->targets + mine > d->max_per_user)
		return -EDQUOT;
	if (u && users > 0 && reg->user_targets + users > users_max)
		return -ENOSPC;
	if (total > 0 && reg->nlive + total > d->max_targets)
		return -ENOSPC;
	return 0;
}

int
registry_apply(struct relayforkd *d, const struct creds *opener,
	       pid_t opener_pid, struct user *u, const struct pid_request *req,
	       int n)
{
	static struct held_process held[PARSE_MAX_REQUESTS];
	/* 1: added, 0: registered already, -1: untouched */
	static signed char added[PARSE_MAX_REQUESTS];
	int i, r = 0;

	if (has_duplicates(req, n))
		return -EINVAL;
	/* Records of exited targets would count, and could be taken for
	 * the processes that get their pids. */
	relayfork_forwarder_prune(d->forwarder);
	registry_sync(d);
	r = check_limits(d, u, req, n);
	if (r < 0)
		return r;

	/* Check everything before changing anything. */
	for (i = 0; i < n; i++) {
		held[i] = (struct held_process){ .pidfd = -1, .procfd = -1 };
		added[i] = -1;
	}
	for (i = 0; i < n && r == 0; i++) {
		struct registration *reg = registry_find(d, req[i].pid);
		struct creds target;

		if (req[i].remove) {
			if (reg)
				r = may_unregister(reg, opener, u);
		} else if (req[i].pid == d->self) {
			/* Its next fork would kill it and leave a dead
			 * mount. */
			r = -EPERM;
		} else if (reg) {
			/* Registered, and alive when pruned: the forwarder
			 * holds it, and /proc shows it unless it has exited
			 * since (checked below). */
			r = creds_read_pid(req[i].pid, &target);
			if (r == 0)
				r = creds_may_signal(opener, &target);
		} else {
			/* New: held from before /proc is read.  At most as
			 * many as the limits leave room for, each a
			 * descriptor until the forwarder has its own. */
			r = process_hold(req[i].pid, &held[i]);
			if (r == 0)
				r = creds_may_signal(opener, &held[i].creds);
		}
	}
	/* A registered target that exited while it was checked: what was
	 * read may have been another process's. */
	if (r == 0 && relayfork_forwarder_prune(d->forwarder) > 0) {
		registry_sync(d);
		for (i = 0; i < n && r == 0; i++)
			if (!req[i].remove && held[i].pidfd < 0 &&
			    held[i].procfd < 0 && !registry_find(d, req[i].pid))
				r = -ESRCH;
	}

	/* The forwarder first: registering can fail, and is undone if it
	 * does; unregistering cannot. */
	for (i = 0; i < n && r == 0; i++) {
		if (req[i].remove)
			continue;
		if (held[i].pidfd >= 0) {
			r = relayfork_forwarder_add_pidfd(d->forwarder,
							  held[i].pidfd);
		} else if (held[i].procfd >= 0) {
			r = relayfork_forwarder_add(d->forwarder, req[i].pid);
			/* Without pidfds the forwarder opens the target by
			 * pid: if the process held is alive now, it was all
			 * along, and the pid was its own. */
			if (r >= 0 && process_alive(&held[i]) < 0) {
				if (r == 1)
					(void)relayfork_forwarder_remove(
						d->forwarder, req[i].pid);
				r = -ESRCH;
			}
		} else {
			r = 0; /* registered already */
		}
		if (r >= 0) {
			added[i] = (signed char)r;
			r = 0;
		}
	}
	for (i = 0; i < n; i++)
		process_release(&held[i]);
	if (r < 0) {
		for (i = 0; i < n; i++)
			if (added[i] == 1)
				(void)relayfork_forwarder_remove(d->forwarder,
								 req[i].pid);
		return r;
	}

	/* Then the records, in the opener's name. */
	for (i = 0; i < n; i++) {
		struct registration *reg = registry_find(d, req[i].pid);

		if (req[i].remove) {
			if (!reg)
				continue;
			(void)relayfork_forwarder_remove(d->forwarder, req[i].pid);
			record_drop(d, reg);
			added[i] = 1;
		} else if (added[i] == 0 && reg) {
			/* Registered already: now in this opener's name. */
			uncharge(d, reg);
			reg->registrant = *opener;
			reg->registrant_pid = opener_pid;
			charge(d, reg, u);
		} else {
			/* New; a record left by an exited target of that pid
			 * goes. */
			if (reg)
				record_drop(d, reg);
			if (record_add(d, req[i].pid, opener, opener_pid, u) < 0) {
				/* No target without its registrant. */
				(void)relayfork_forwarder_remove(d->forwarder,
								 req[i].pid);
				added[i] = -1;
				r = -ENOMEM;
			}
		}
	}
	if (d->verbose)
		for (i = 0; i < n; i++)
			if (added[i] == 1)
				log_msg("%s %d (opened by pid %d, uid %u)",
					req[i].remove ? "unregistered"
						      : "registered",
					(int)req[i].pid, (int)opener_pid,
					(unsigned)opener->uid);
	return r;
}

int
registry_restore(struct relayforkd *d, pid_t pid,
		 const struct creds *registrant, pid_t registrant_pid)
{
	struct pid_request req = { .pid = pid };
	struct user *u;
	int r;

	/* What the processes file's mode would refuse the registrant
	 * now. */
	if (!creds_privileged(registrant) && !d->user_writes)
		return -EACCES;
	relayfork_forwarder_prune(d->forwarder);
	registry_sync(d);
	if (registry_find(d, pid))
		return -EEXIST;
	u = registry_user(d, registrant, &r);
	if (r < 0)
		return r;
	r = registry_apply(d, registrant, registrant_pid, u, &req, 1);
	/* Its account goes if nothing was counted against it. */
	registry_user_put(d, u);
	return r;
}

void
registry_remove(struct relayforkd *d, pid_t pid)
{
	struct registration *r = registry_find(d, pid);

	(void)relayfork_forwarder_remove(d->forwarder, pid);
	if (r)
		record_drop(d, r);
}

/* Drop r if its registrant may no longer signal its process. */
static void
recheck(struct relayforkd *d, struct registration *r)
{
	struct creds target;

	/* Root's registrations stand: root may signal anything. */
	if (!r->user)
		return;
	/* Gone: the forwarder prunes it. */
	if (creds_read_pid(r->pid, &target) < 0)
		return;
	if (creds_may_signal(&r->registrant, &target) == 0)
		return;
	log_msg("revoked %d: uid %u, which registered it (opened by pid %d), "
		"may no longer signal it: its uid is now %u, saved uid %u",
		(int)r->pid, (unsigned)r->registrant.uid,
		(int)r->registrant_pid, (unsigned)target.uid,
		(unsigned)target.suid);
	(void)relayfork_forwarder_remove(d->forwarder, r->pid);
	record_drop(d, r);
	d->registry.revoked++;
}

void
registry_recheck(struct relayforkd *d, pid_t pid)
{
	struct registration *r;

	/* A target that exited must not be judged by the process that got
	 * its pid. */
	relayfork_forwarder_prune(d->forwarder);
	registry_sync(d);
	r = registry_find(d, pid);
	if (r)
		recheck(d, r);
}

void
registry_recheck_all(struct relayforkd *d)
{
	struct registry *reg = &d->registry;
	size_t i;

	relayfork_forwarder_prune(d->forwarder);
	registry_sync(d);
	if (!reg->user_targets)
		return;
	/* record_drop() leaves the array as it is. */
	for (i = 0; i < reg->norder; i++)
		if (reg->order[i].reg)
			recheck(d, reg->order[i].reg);
}

void
registry_free(struct relayforkd *d)
{
	struct registry *reg = &d->registry;

	tdestroy(reg->by_pid, free);
	tdestroy(reg->users, free);
	free(reg->order);
	memset(reg, 0, sizeof(*reg));
}
