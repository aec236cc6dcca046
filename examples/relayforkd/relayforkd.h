/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* relayforkd's state, shared by its files. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <relayfork/relayfork.h>

#include "parse.h"

struct fuse_operations;

/* Default limits (relayforkd(8), LIMITS). */
#define DEFAULT_MAX_PER_USER 256
#define DEFAULT_MAX_TARGETS 8192
/*
 * Events are handled in rounds of at most about this many signals, a
 * request to the filesystem answered between two: under a fork storm
 * with many targets the socket refills faster than it drains, and the
 * files must still answer (the events that do not fit are lost and
 * counted).
 */
#define SIGNALS_PER_ROUND 2048
/* Descriptors the daemon needs besides one per target (a line's new
 * targets are held while it is checked, within that count). */
#define BASE_DESCRIPTORS 64
/* Open handles and bytes of incomplete lines, per user and all users
 * together; root's are not counted. */
#define MAX_HANDLES_PER_USER 1024
#define MAX_USER_HANDLES 16384
#define MAX_PENDING_PER_USER (1024 * 1024)
#define MAX_USER_PENDING (16 * 1024 * 1024)

/* CAP_KILL's bit in a capability set (linux/capability.h). */
#define CAP_KILL_BIT 5

/*
 * Credentials of a process, read from /proc/PID/status by the daemon:
 * ids as the initial user namespace sees them.
 */
struct creds {
	pid_t tgid;
	uid_t uid, euid, suid, fsuid;
	uint64_t cap_eff;
	/* In the daemon's own (the initial) user namespace. */
	bool own_userns;
};

/* What is counted against one user (a real uid) other than root. */
struct user {
	uid_t uid;
	unsigned int targets;	/* registrations */
	unsigned int handles;	/* open files */
	size_t pending;		/* bytes of incomplete lines held */
};

/* A registered process, with who registered it. */
struct registration {
	pid_t pid;
	uint64_t seq;		/* registration order */
	struct creds registrant; /* the opener of the file written to */
	pid_t registrant_pid;	/* the thread that opened it, for logs */
	struct user *user;	/* counted against; NULL for root */
};

/* Registrations, in order and by pid, and the users' accounts. */
struct registry {
	void *by_pid;		/* tsearch(3) tree of struct registration */
	void *users;		/* tsearch(3) tree of struct user */
	/* Registration order: seq ascending; removed ones are NULL until
	 * the array is compacted. */
	struct order_slot {
		uint64_t seq;
		struct registration *reg;
	} *order;
	size_t norder, order_size, nlive;
	uint64_t next_seq;
	/* The forwarder's PRUNED counter when records were last matched
	 * with its targets. */
	uint64_t pruned_seen;
	unsigned int user_targets; /* registrations of users, together */
	unsigned int user_handles;
	size_t user_pending;
	uint64_t revoked;
	/* Registrations of the state file that the permission model or
	 * the limits refused at start. */
	uint64_t restore_refused;
	/* Bumped by every change of a registration or its registrant: the
	 * state file follows it. */
	uint64_t generation;
};

struct relayforkd {
	struct relayfork_monitor *monitor;
	struct relayfork_forwarder *forwarder;
	bool subscribed;
	uint32_t events;	/* the monitor's mask */
	bool watching_uids;	/* subscribed, and to uid changes */
	bool user_writes;	/* other users may write the processes file */
	bool verbose;
	pid_t self;
	long pid_max;
	unsigned int max_per_user;
	unsigned int max_targets;
	uint64_t events_lost;
	/* Signals sent (or tried) in this round of the loop. */
	unsigned long round_work;
	struct registry registry;
};

/* Log to standard error with the program's name. */
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* fs.c: the FUSE operations serving /processes, /signal and /stats. */
extern const struct fuse_operations relayforkd_operations;
/* Free what handles were left open when the filesystem went away, and
 * the registrations. */
void relayforkd_free_state(struct relayforkd *d);

/*
 * Subscribe while there are targets, and only then: a listener makes the
 * kernel build a message for every fork in the system.  Listen to uid
 * changes too while users other than root have registrations.
 */
int relayforkd_update_subscription(struct relayforkd *d);

/* creds.c */
/* Learn the daemon's own user namespace: 0 or a negative errno. */
int creds_init(void);
/* Credentials of the process (or thread) a /proc/PID descriptor refers
 * to, or of pid: 0, -ESRCH. */
int creds_read(int dirfd, struct creds *ret);
int creds_read_pid(pid_t pid, struct creds *ret);
/* May signal every process: CAP_KILL in the initial user namespace. */
bool creds_privileged(const struct creds *c);
/* May sender signal target, by the rules of kill(2)?  0 or -EPERM. */
int creds_may_signal(const struct creds *sender, const struct creds *target);

/*
 * A process being checked for registration: held by a pidfd (or, where
 * there are none, a /proc/PID descriptor) before /proc is read, so that
 * what is checked and what is registered are the same process.
 */
struct held_process {
	pid_t pid;
	int pidfd;
	int procfd;		/* only without pidfds */
	struct creds creds;
};

/* Hold pid's process and read its credentials: 0, -ESRCH (none, or it
 * has exited: a zombie too), -EINVAL (a thread other than the main
 * one), or another negative errno (-EMFILE). */
int process_hold(pid_t pid, struct held_process *ret);
/* 0 while the held process has not exited, else -ESRCH. */
int process_alive(const struct held_process *p);
void process_release(struct held_process *p);

/* registry.c */
/* Forget the records of targets the forwarder pruned. */
void registry_sync(struct relayforkd *d);
struct registration *registry_find(struct relayforkd *d, pid_t pid);
/* The first registration with seq >= from, in registration order. */
const struct registration *registry_next(struct relayforkd *d, uint64_t from);
/*
 * Apply one line's requests for the opener of a file (user: what it is
 * counted against, NULL for root), all or none.  0 or a negative errno.
 */
int registry_apply(struct relayforkd *d, const struct creds *opener,
		   pid_t opener_pid, struct user *user,
		   const struct pid_request *req, int n);
/*
 * Register pid again for a registrant read from the state file, as its
 * own write would have: by kill(2)'s rule and within the limits (and,
 * without -u, only for root).  0, -EEXIST if pid is registered already,
 * or registry_apply()'s error; -EACCES: a user other than root, and no
 * -u.
 */
int registry_restore(struct relayforkd *d, pid_t pid,
		     const struct creds *registrant, pid_t registrant_pid);
/* Unregister pid, whoever registered it. */
void registry_remove(struct relayforkd *d, pid_t pid);
/* Check that pid's registrant may still signal it; drop it if not. */
void registry_recheck(struct relayforkd *d, pid_t pid);
/* The same for every registration made by users other than root. */
void registry_recheck_all(struct relayforkd *d);
/* Are there registrations by users other than root? */
bool registry_has_user_targets(struct relayforkd *d);
/* The account of an opener, made if needed; NULL for root (not
 * counted) or when out of memory (*ret_error says which). */
struct user *registry_user(struct relayforkd *d, const struct creds *opener,
			   int *ret_error);
/* Drop an account nothing is counted against any more. */
void registry_user_put(struct relayforkd *d, struct user *u);
void registry_free(struct relayforkd *d);
