// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * relayforkd - the 2005 /sys/relayfork interface, in user space.
 *
 * Mounts a FUSE filesystem (default /run/relayfork) whose `processes` and
 * `signal` files work as the relayfork patch's did, and forwards every
 * fork the proc connector reports to the registered processes as a
 * real-time signal.  One thread, one poll(2) loop: the FUSE session, the
 * monitor, the forwarder's exit descriptor and a signalfd for every
 * signal that would otherwise end the daemon without unmounting.
 */
#define FUSE_USE_VERSION 35
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mounts.h"
#include "notify.h"
#include "parse.h"
#include "parse-size.h"
#include "procfs.h"
#include "relayforkd.h"
#include "state.h"

#define DEFAULT_MOUNTPOINT "/run/relayfork"

struct options {
	const char *mountpoint;
	/* NULL: MOUNTPOINT.state; "none": no state file. */
	const char *state_file;
	int signo;
	size_t buffer;
	bool user_writes;
	bool skip_threads;
	bool verbose;
	int max_per_user;
	int max_targets;
};

/* Long options without a short one. */
enum { OPT_MAX_PER_USER = 256, OPT_MAX_TARGETS };

void
log_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("relayforkd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
library_log(struct relayfork_monitor *m, int priority, const char *fmt,
	    va_list args, void *userdata)
{
	fputs("relayforkd: ", stderr);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
}

static void
usage(FILE *out)
{
	fprintf(out,
		"Usage: relayforkd [OPTION...]\n"
		"Serve the relayfork interface: every fork becomes a real-time signal\n"
		"to the processes registered in MOUNTPOINT/processes.\n"
		"\n"
		"  -m, --mountpoint DIR     where to mount (default %s)\n"
		"  -S, --state-file FILE    where registrations are kept across\n"
		"                           restarts (default DIR.state; none:\n"
		"                           nowhere)\n"
		"  -s, --signal N           initial signal, SIGRTMIN..SIGRTMAX\n"
		"                           (default SIGRTMIN, %d here)\n"
		"  -u, --allow-user-writes  let any user register processes it may\n"
		"                           signal itself (default: root only)\n"
		"      --max-per-user N     registrations each user other than root may\n"
		"                           hold (default %d)\n"
		"      --max-targets N      registrations in all (default %d; users other\n"
		"                           than root may hold 7/8 of them together)\n"
		"  -t, --skip-threads       do not forward forks that create threads\n"
		"  -b, --buffer SIZE        receive buffer for fork events, in bytes or\n"
		"                           with a K, M or G suffix (default 8M)\n"
		"  -v, --verbose            log every registration and every\n"
		"                           subscription change\n"
		"  -h, --help               show this help\n"
		"  -V, --version            show the version\n",
		DEFAULT_MOUNTPOINT, SIGRTMIN, DEFAULT_MAX_PER_USER,
		DEFAULT_MAX_TARGETS);
}

static int
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "mountpoint", required_argument, NULL, 'm' },
		{ "state-file", required_argument, NULL, 'S' },
		{ "signal", required_argument, NULL, 's' },
		{ "allow-user-writes", no_argument, NULL, 'u' },
		{ "max-per-user", required_argument, NULL, OPT_MAX_PER_USER },
		{ "max-targets", required_argument, NULL, OPT_MAX_TARGETS },
		{ "skip-threads", no_argument, NULL, 't' },
		{ "buffer", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c;

	/* buffer 0: the library's default. */
	*o = (struct options){ .mountpoint = DEFAULT_MOUNTPOINT,
			       .signo = SIGRTMIN,
			       .max_per_user = DEFAULT_MAX_PER_USER,
			       .max_targets = DEFAULT_MAX_TARGETS };
	while ((c = getopt_long(argc, argv, "m:S:s:utb:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (optarg[0] != '/') {
				fprintf(stderr, "relayforkd: the mount point "
						"must be an absolute path\n");
				return 2;
			}
			o->mountpoint = optarg;
			break;
		case 'S':
			if (optarg[0] != '/' && strcmp(optarg, "none") != 0) {
				fprintf(stderr, "relayforkd: --state-file takes "
						"an absolute path or 'none'\n");
				return 2;
			}
			o->state_file = optarg;
			break;
		case 's':
			if (parse_signal(optarg, strlen(optarg), &o->signo) < 0 ||
			    o->signo < SIGRTMIN || o->signo > SIGRTMAX) {
				fprintf(stderr,
					"relayforkd: --signal takes a number from "
					"%d to %d\n", SIGRTMIN, SIGRTMAX);
				return 2;
			}
			break;
		case 'u':
			o->user_writes = true;
			break;
		case OPT_MAX_PER_USER:
		case OPT_MAX_TARGETS: {
			int *v = c == OPT_MAX_PER_USER ? &o->max_per_user
						       : &o->max_targets;

			if (parse_number_text(optarg, strlen(optarg), v) < 0 ||
			    *v < 1) {
				fprintf(stderr, "relayforkd: --%s takes a whole "
						"number from 1, not '%s'\n",
					c == OPT_MAX_PER_USER ? "max-per-user"
							      : "max-targets",
					optarg);
				return 2;
			}
			break;
		}
		case 'b':
			if (parse_size(optarg, &o->buffer) < 0) {
				fprintf(stderr, "relayforkd: --buffer takes a size "
						"such as 8M, at most 1023M, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 't':
			o->skip_threads = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("relayforkd %s\n", RELAYFORK_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "relayforkd: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	return -1;
}

static long
read_pid_max(void)
{
	long v = 0;

	/* PID_MAX_LIMIT, the most any kernel allows, if /proc says nothing. */
	if (procfs_read_long("/proc/sys/kernel/pid_max", &v) < 0 || v <= 0)
		v = 4194304;
	return v;
}

int
relayforkd_update_subscription(struct relayforkd *d)
{
	/* get_targets prunes the targets that have exited first. */
	bool want = relayfork_forwarder_get_targets(d->forwarder, NULL, 0) > 0;
	uint32_t events = RELAYFORK_EVENTS_FORK;
	bool uids;
	int r = 0;

	/* A user's registration stands while the user may signal its
	 * target: a change of the target's uids is checked. */
	registry_sync(d);
	if (registry_has_user_targets(d))
		events |= RELAYFORK_EVENTS_UID;
	if (events != d->events) {
		r = relayfork_monitor_set_events(d->monitor, events);
		if (r < 0) {
			log_msg("cannot change the events listened to: %s",
				relayfork_strerror(r));
			return r;
		}
		d->events = events;
	}
	if (want != d->subscribed) {
		r = want ? relayfork_monitor_start(d->monitor)
			 : relayfork_monitor_stop(d->monitor);
		if (r < 0) {
			log_msg("cannot %s: %s", want ? "subscribe" : "unsubscribe",
				relayfork_strerror(r));
			return r;
		}
		d->subscribed = want;
		/* Whether the kernel builds a message for every fork on our
		 * behalf shows nowhere else; the tests read it here too. */
		if (d->verbose)
			log_msg("%s", want ? "subscribed to fork events"
					   : "unsubscribed: no process is registered");
	}
	uids = d->subscribed && (d->events & RELAYFORK_EVENTS_UID);
	if (uids != d->watching_uids) {
		d->watching_uids = uids;
		if (d->verbose)
			log_msg("%s", uids ? "listening to uid changes"
					   : "no longer listening to uid changes");
		/* What changed before uid changes were heard. */
		if (uids)
			registry_recheck_all(d);
	}
	return 0;
}

/*
 * Is a relayfork filesystem mounted on path (canonical; the top one, if
 * stacked)?  Compared with the kernel's list as the kernel compares: the
 * canonical path, unescaped.
 */
static bool
relayfork_mounted(const char *path)
{
	char fstype[64];

	return mountinfo_find(path, fstype, sizeof(fstype)) == 1 &&
	       strcmp(fstype, "fuse.relayfork") == 0;
}

/*
 * Make path (canonical) ready to mount on.  A daemon killed without unmounting
 * leaves a dead FUSE mount behind (every request fails with ENOTCONN,
 * though cached attributes may still answer stat()): detach it.  A live
 * one means another relayforkd serves the path: refuse.
 */
static int
prepare_mountpoint(const char *path)
{
	char probe[PATH_MAX + 16];
	struct stat st;
	int fd, tries;

	snprintf(probe, sizeof(probe), "%s/processes", path);
	for (tries = 0; tries < 16 && relayfork_mounted(path); tries++) {
		fd = open(probe, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			log_msg("%s is served by another relayforkd already", path);
			return -EBUSY;
		}
		if (errno != ENOTCONN)
			break;
		log_msg("removing the stale mount left at %s", path);
		if (umount2(path, MNT_DETACH) < 0) {
			log_msg("cannot unmount %s: %m", path);
			return -errno;
		}
	}
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		log_msg("%s is not a directory", path);
		return -ENOTDIR;
	}
	if (errno == ENOENT && mkdir(path, 0755) == 0)
		return 0;
	log_msg("cannot use %s as mount point: %m", path);
	return -errno;
}

/*
 * The signals taken from the signalfd: every one whose default action
 * ends the process and that comes from outside (kill(1), systemd, a
 * terminal), so that the daemon unmounts rather than leave a dead mount.
 * All the real-time signals are here, glibc's reserved 32 and 33 too:
 * the daemon sends them to others, and must not die of one sent to it.
 * Not here: SIGKILL and SIGSTOP, which cannot be caught; SIGPIPE,
 * ignored instead (as systemd's IgnoreSIGPIPE= has it for services): a
 * log reader that goes away must not stop the daemon; and the signals of
 * the daemon's own faults (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP,
 * SIGSYS): the kernel forces a fault's signal through a block anyway,
 * and blocking them would only take them from sanitizers' handlers.
 */
static const struct {
	int signo;
	const char *name;
} stop_signals[] = {
	{ SIGHUP, "SIGHUP" },		{ SIGINT, "SIGINT" },
	{ SIGQUIT, "SIGQUIT" },		{ SIGABRT, "SIGABRT" },
	{ SIGUSR1, "SIGUSR1" },		{ SIGUSR2, "SIGUSR2" },
	{ SIGALRM, "SIGALRM" },		{ SIGTERM, "SIGTERM" },
	{ SIGSTKFLT, "SIGSTKFLT" },	{ SIGXCPU, "SIGXCPU" },
	{ SIGXFSZ, "SIGXFSZ" },		{ SIGVTALRM, "SIGVTALRM" },
	{ SIGPROF, "SIGPROF" },		{ SIGIO, "SIGIO" },
	{ SIGPWR, "SIGPWR" },
};

/* The kernel's first real-time signal; glibc keeps 32 and 33. */
#define KERNEL_SIGRTMIN 32

/* sigaddset() refuses glibc's reserved signals; the kernel's sigset is
 * a plain bit mask. */
static void
sigset_add_any(sigset_t *set, int signo)
{
	unsigned long *words = (unsigned long *)set;
	unsigned int bits = 8 * sizeof(*words);

	words[(unsigned int)(signo - 1) / bits] |=
		1UL << ((unsigned int)(signo - 1) % bits);
}

/* Block the stop signals (read from a signalfd instead) and ignore
 * SIGPIPE.  0 or a negative errno. */
static int
take_over_signals(sigset_t *mask)
{
	struct sigaction ignore = { .sa_handler = SIG_IGN };
	size_t i;
	int signo;

	sigemptyset(mask);
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaddset(mask, stop_signals[i].signo);
	for (signo = KERNEL_SIGRTMIN; signo <= SIGRTMAX; signo++)
		sigset_add_any(mask, signo);
	if (sigaction(SIGPIPE, &ignore, NULL) < 0)
		return -errno;
	/* Not sigprocmask(): glibc's would drop 32 and 33 from the mask.
	 * Blocking them is safe in a program of one thread, which neither
	 * cancels threads nor changes ids across threads. */
	if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, mask, NULL, _NSIG / 8) < 0)
		return -errno;
	return 0;
}

static void
signal_name(int signo, char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		if (stop_signals[i].signo == signo) {
			snprintf(buf, size, "%s", stop_signals[i].name);
			return;
		}
	if (signo == SIGRTMIN)
		snprintf(buf, size, "SIGRTMIN");
	else if (signo > SIGRTMIN)
		snprintf(buf, size, "SIGRTMIN+%d", signo - SIGRTMIN);
	else
		snprintf(buf, size, "SIGRTMIN-%d", SIGRTMIN - signo);
}

/*
 * Read what the signalfd holds: the first signal that asks the daemon to
 * stop (logged), or 0 when there is none.  A real-time signal with
 * si_code SI_ASYNCIO is a forwarder's: root registered the daemon's pid
 * in another relayforkd (this one refuses its own), and a fork was
 * forwarded to it.  Nothing to do.
 */
static int
take_stop_signal(int sfd)
{
	struct signalfd_siginfo si;
	char name[32];

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_code == SI_ASYNCIO &&
		    (int)si.ssi_signo >= KERNEL_SIGRTMIN)
			continue;
		signal_name((int)si.ssi_signo, name, sizeof(name));
		/* si_code <= 0: sent by a process (kill, sigqueue, tgkill). */
		if (si.ssi_code <= 0)
			log_msg("%s (signal %u) from pid %u, unmounting", name,
				si.ssi_signo, si.ssi_pid);
		else
			log_msg("%s (signal %u) from the kernel, unmounting",
				name, si.ssi_signo);
		return (int)si.ssi_signo;
	}
	return 0;
}

/*
 * With standard input, output or error closed, the descriptors opened
 * next would take their numbers, and log lines would go to the FUSE
 * device or a socket.
 */
static void
open_standard_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

/*
 * The file system's operations with the daemon's hooks: the state file
 * is brought up to date before a write, flush or release is answered
 * (so that a registration its writer saw succeed survives a crash right
 * after), each target with its registrant as the registry holds it; and
 * init tells when the kernel's first request has been answered, for
 * READY=1.  Wrappers, not changes to fs.c: whatever a request changes,
 * the state follows.
 */
static struct fuse_operations operations;
static struct state state;
static bool fuse_initialized;

static void *
hook_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	void *r = relayforkd_operations.init(conn, cfg);

	fuse_initialized = true;
	return r;
}

static int
hook_write(const char *path, const char *buf, size_t size, off_t off,
	   struct fuse_file_info *fi)
{
	int r = relayforkd_operations.write(path, buf, size, off, fi);

	state_sync(&state, fuse_get_context()->private_data);
	return r;
}

static int
hook_flush(const char *path, struct fuse_file_info *fi)
{
	int r = relayforkd_operations.flush(path, fi);

	state_sync(&state, fuse_get_context()->private_data);
	return r;
}

/* A line left incomplete is applied at the last close. */
static int
hook_release(const char *path, struct fuse_file_info *fi)
{
	int r = relayforkd_operations.release(path, fi);

	state_sync(&state, fuse_get_context()->private_data);
	return r;
}

static void
hook_operations(void)
{
	operations = relayforkd_operations;
	if (operations.init)
		operations.init = hook_init;
	if (operations.write)
		operations.write = hook_write;
	if (operations.flush)
		operations.flush = hook_flush;
	if (operations.release)
		operations.release = hook_release;
}

static int
on_event(struct relayfork_monitor *m, const struct relayfork_event *ev,
	 void *userdata)
{
	struct relayforkd *d = userdata;

	if (ev->type == RELAYFORK_EVENT_LOST) {
		d->events_lost += ev->u.lost.count;
		log_msg("the kernel dropped %llu events: forks among them were "
			"not forwarded", (unsigned long long)ev->u.lost.count);
		/* Uid changes may have been among them too. */
		if (d->watching_uids)
			registry_recheck_all(d);
	}
	/* May the registrant of a process whose uid changed still signal
	 * it?  (The kernel's check is on the main thread's credentials.) */
	if (ev->type == RELAYFORK_EVENT_UID)
		registry_recheck(d, ev->tgid);
	relayfork_forwarder_handle(d->forwarder, ev);
	/* A fork costs a signal per target: stop the round when it has
	 * cost enough (the rest of the events stay queued). */
	d->round_work += 1;
	if (ev->type == RELAYFORK_EVENT_FORK)
		d->round_work += d->registry.nlive;
	return d->round_work >= SIGNALS_PER_ROUND;
}

/*
 * Each target costs a descriptor (its pidfd), held until it goes: make
 * sure all of them and the daemon's own fit, so that a registration
 * never fails for want of one (a line's new targets are held while it is
 * checked, within the same limit).
 */
static int
limit_descriptors(struct relayforkd *d)
{
	rlim_t need = (rlim_t)d->max_targets + BASE_DESCRIPTORS;
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim) < 0) {
		log_msg("getrlimit: %m");
		return -errno;
	}
	if (lim.rlim_cur >= need)
		return 0;
	/* poll(2), never select(2): any descriptor number will do. */
	lim.rlim_cur = lim.rlim_max < need ? lim.rlim_max : need;
	if (setrlimit(RLIMIT_NOFILE, &lim) < 0) {
		log_msg("setrlimit: %m");
		return -errno;
	}
	if (lim.rlim_cur < need) {
		d->max_targets = lim.rlim_cur > BASE_DESCRIPTORS
					 ? (unsigned int)(lim.rlim_cur -
							  BASE_DESCRIPTORS)
					 : 1;
		log_msg("RLIMIT_NOFILE allows %llu descriptors: at most %u "
			"targets (set LimitNOFILE= to --max-targets + %d)",
			(unsigned long long)lim.rlim_cur, d->max_targets,
			BASE_DESCRIPTORS);
	}
	return 0;
}

static int
setup(struct relayforkd *d, const struct options *o)
{
	int r;

	r = relayfork_forwarder_new(o->skip_threads
					    ? RELAYFORK_FORWARDER_SKIP_THREADS
					    : 0,
				    &d->forwarder);
	if (r == 0)
		r = relayfork_forwarder_set_signal(d->forwarder, o->signo);
	if (r == 0)
		r = relayfork_monitor_new(0, &d->monitor);
	if (r == 0)
		r = relayfork_monitor_set_events(d->monitor,
						 RELAYFORK_EVENTS_FORK);
	if (r == 0 && o->buffer) {
		r = relayfork_monitor_set_receive_buffer_size(d->monitor,
							      o->buffer);
		r = r > 0 ? 0 : r;
	}
	if (r < 0) {
		log_msg("%s", relayfork_strerror(r));
		return r;
	}
	relayfork_monitor_set_log_fn(d->monitor, library_log, NULL);
	/* Fail now, not on the first registration, if the kernel will not
	 * deliver events to us. */
	r = relayfork_monitor_start(d->monitor);
	if (r == 0)
		r = relayfork_monitor_stop(d->monitor);
	if (r < 0) {
		log_msg("%s", relayfork_strerror(r));
		return r;
	}
	d->events = RELAYFORK_EVENTS_FORK;
	d->user_writes = o->user_writes;
	d->verbose = o->verbose;
	d->pid_max = read_pid_max();
	d->self = getpid();
	d->max_per_user = (unsigned int)o->max_per_user;
	d->max_targets = (unsigned int)o->max_targets;
	r = creds_init();
	if (r < 0) {
		log_msg("cannot read /proc/self/ns/user: %s", strerror(-r));
		return r;
	}
	return limit_descriptors(d);
}

static int
serve(struct relayforkd *d, struct fuse *fuse, int sfd)
{
	struct fuse_session *se = fuse_get_session(fuse);
	struct fuse_buf buf = { .mem = NULL };
	struct pollfd pfd[4] = {
		{ .fd = fuse_session_fd(se), .events = POLLIN },
		{ .fd = relayfork_monitor_get_fd(d->monitor), .events = POLLIN },
		{ .fd = sfd, .events = POLLIN },
		/* Readable when a registered process exits. */
		{ .fd = relayfork_forwarder_get_fd(d->forwarder), .events = POLLIN },
	};
	bool more = false; /* events left queued by the last round */
	bool ready = false;
	int r = 0;

	while (!fuse_session_exited(se)) {
		/* Subscribed exactly while there are targets: decided here,
		 * after whatever the last round did (a request registered
		 * or unregistered, a target exited or was found gone).
		 * The state file follows the same changes. */
		(void)relayforkd_update_subscription(d);
		state_sync(&state, d);
		/* Ready once the kernel's INIT is answered: from then on
		 * the mount answers every request. */
		if (fuse_initialized && !ready) {
			ready = true;
			(void)notify_send("READY=1\nSTATUS=Serving");
		}
		if (poll(pfd, 4, more ? 0 : -1) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (pfd[2].revents && take_stop_signal(sfd) > 0)
			break;
		if (pfd[3].revents)
			relayfork_forwarder_prune(d->forwarder);
		if (pfd[1].revents || more) {
			d->round_work = 0;
			r = relayfork_monitor_dispatch(d->monitor, on_event, d);
			if (r < 0) {
				log_msg("receiving events: %s",
					relayfork_strerror(r));
				break;
			}
			/* Stopped by on_event(): a request may come first. */
			more = r > 0;
			r = 0;
		}
		if (pfd[0].revents) {
			r = fuse_session_receive_buf(se, &buf);
			if (r == -EINTR || r == -EAGAIN)
				continue;
			if (r <= 0) {
				/* Unmounted from outside (fusermount -u). */
				if (r < 0 && r != -ENODEV)
					log_msg("FUSE: %s", strerror(-r));
				r = 0;
				break;
			}
			fuse_session_process_buf(se, &buf);
			r = 0;
		}
	}
	free(buf.mem);
	(void)notify_send("STOPPING=1");
	state_sync(&state, d);
	return r;
}

int
main(int argc, char **argv)
{
	char *fuse_argv[] = { argv[0], "-o",
			      "allow_other,default_permissions,"
			      "fsname=relayfork,subtype=relayfork",
			      NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, fuse_argv);
	struct relayforkd d = { 0 };
	char mountpoint[PATH_MAX], state_path[PATH_MAX + 8];
	struct options o;
	struct fuse *fuse;
	sigset_t mask;
	int sfd, r;

	r = parse_options(argc, argv, &o);
	if (r >= 0)
		return r;

	open_standard_fds();
	r = take_over_signals(&mask);
	sfd = r < 0 ? -1 : signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		log_msg("cannot take over signals: %m");
		return 1;
	}

	r = setup(&d, &o);
	if (r < 0)
		goto out;
	/* The directory, not the spelling: /proc/self/mountinfo lists
	 * the canonical path. */
	r = mountpoint_canonicalize(o.mountpoint, mountpoint,
				    sizeof(mountpoint));
	if (r < 0) {
		log_msg("cannot use %s as mount point: %s", o.mountpoint,
			strerror(-r));
		goto out;
	}
	r = prepare_mountpoint(mountpoint);
	if (r < 0)
		goto out;
	/* Only now, with the mount point ours: a daemon that refuses to
	 * start leaves the serving one's state alone. */
	if (!o.state_file)
		snprintf(state_path, sizeof(state_path), "%s.state", mountpoint);
	r = state_init(&state,
		       !o.state_file ? state_path
		       : strcmp(o.state_file, "none") == 0 ? NULL
							  : o.state_file,
		       relayfork_forwarder_get_signal(d.forwarder));
	if (r < 0)
		goto out;
	state_restore(&state, &d);

	hook_operations();
	fuse = fuse_new(&args, &operations, sizeof(operations), &d);
	if (!fuse) {
		log_msg("cannot set up FUSE");
		r = -EIO;
		goto out;
	}
	if (fuse_mount(fuse, mountpoint) < 0) {
		log_msg("cannot mount on %s (is /dev/fuse there, and are we "
			"root?)", mountpoint);
		fuse_destroy(fuse);
		r = -EIO;
		goto out;
	}
	log_msg("serving %s, signal %d", mountpoint,
		relayfork_forwarder_get_signal(d.forwarder));

	r = serve(&d, fuse, sfd);

	fuse_unmount(fuse);
	fuse_destroy(fuse);
out:
	/* Restored registrations too, when the mount failed. */
	relayforkd_free_state(&d);
	fuse_opt_free_args(&args);
	relayfork_monitor_unref(d.monitor);
	relayfork_forwarder_free(d.forwarder);
	state_free(&state);
	close(sfd);
	return r < 0 ? 1 : 0;
}
