/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading /proc: the one place that knows its formats.  Linked into the
 * library and into the programs (a static helper library, not part of
 * the ABI).  Parsers are pure and take the file's text; readers go
 * through a descriptor of /proc/PID where they can, because such a
 * descriptor stays bound to one process even when its pid is reused.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* include/linux/sched.h */
#define PROCFS_PF_KTHREAD 0x00200000u

/* What /proc/PID/stat (or .../task/TID/stat) says of a task. */
struct procfs_stat {
	char comm[16];			/* NUL-terminated, may hold anything */
	char state;			/* R, S, D, Z, X, ... */
	pid_t ppid;
	unsigned int flags;		/* PF_* */
	long num_threads;		/* of its process */
	unsigned long long start_ticks;	/* clock ticks after boot */
};

/*
 * Parse the text of a stat file.  The command name is in parentheses
 * and may hold spaces and parentheses itself: every field after it is
 * read from after the *last* ')'.  0 or -EINVAL.
 */
int procfs_parse_stat(const char *text, struct procfs_stat *ret);

/* What /proc/PID/status says; fields it lacks are left as they were. */
struct procfs_status {
	pid_t tgid;
	uid_t uid[4];		/* real, effective, saved, filesystem */
	uint64_t cap_eff;
	unsigned int found;	/* PROCFS_STATUS_* of the fields read */
};

enum {
	PROCFS_STATUS_TGID = 1 << 0,
	PROCFS_STATUS_UID = 1 << 1,
	PROCFS_STATUS_CAPEFF = 1 << 2,
};

void procfs_parse_status(const char *text, struct procfs_status *ret);

/*
 * Read a whole small file relative to dirfd (AT_FDCWD for an absolute
 * path) into buf, NUL-terminated.  Returns its length or a negative
 * errno (-ESRCH when the file cannot be opened: the process is gone).
 */
ssize_t procfs_read(int dirfd, const char *name, char *buf, size_t size);

/* A file holding one number, such as /proc/sys/kernel/pid_max: 0 with
 * *ret set, or a negative errno. */
int procfs_read_long(const char *path, long *ret);

/* Open /proc/PID as an O_PATH directory descriptor; -ESRCH if gone. */
int procfs_open_pid(pid_t pid);

/* Read and parse stat / status relative to a /proc/PID descriptor
 * (name "stat", or "task/TID/stat").  0, -ESRCH or -EINVAL. */
int procfs_read_stat(int dirfd, const char *name, struct procfs_stat *ret);
int procfs_read_status(int dirfd, struct procfs_status *ret);

/*
 * Has the process a /proc/PID descriptor refers to not exited?  Such a
 * descriptor stays bound to its process: once that is gone nothing can
 * be read through it, even if the pid is reused.  A zombie main thread
 * counts as alive while other threads of its process live on.  For
 * kernels without pidfds (and valgrind), where a pidfd would tell.
 */
bool procfs_alive(int dirfd);

/*
 * Start times in /proc count clock ticks after boot (CLOCK_BOOTTIME);
 * the proc connector stamps events with CLOCK_MONOTONIC.  The offset
 * between the two grows with every suspend: refresh it now and then.
 */
struct procfs_clock {
	unsigned long long ns_per_tick;
	uint64_t boot_offset_ns;	/* CLOCK_BOOTTIME - CLOCK_MONOTONIC */
};

void procfs_clock_init(struct procfs_clock *clock);
/* Refresh the offset (cheap: two vDSO calls). */
void procfs_clock_sync(struct procfs_clock *clock);
/* A start time on the CLOCK_MONOTONIC scale, in ns (0 if before it). */
uint64_t procfs_clock_monotonic(const struct procfs_clock *clock,
				unsigned long long ticks);
/* The resolution of start times, in ns (one clock tick). */
uint64_t procfs_clock_resolution(const struct procfs_clock *clock);

/* CLOCK_MONOTONIC now, in ns. */
uint64_t procfs_now_ns(void);

/* A namespace, as /proc/PID/ns/KIND names it: equal dev and ino, the
 * same namespace. */
struct procfs_namespace {
	dev_t dev;
	ino_t ino;
};

/*
 * The namespace of kind "user", "pid", ... of the process a /proc/PID
 * descriptor refers to.  Another user's process needs the right to
 * ptrace-read it (PTRACE_MODE_READ_FSCREDS).  0, -ESRCH (gone), or a
 * negative errno such as -EACCES.
 */
int procfs_read_namespace(int dirfd, const char *kind,
			  struct procfs_namespace *ret);

/*
 * Is this process in the initial user ("user") or PID ("pid")
 * namespace?  1 yes, 0 no, or a negative errno when /proc cannot tell
 * (it is hidden or not mounted).  Initial namespaces have fixed inode
 * numbers (include/linux/proc_ns.h, stable since Linux 3.8).
 */
int procfs_namespace_is_initial(const char *kind);

/*
 * Does the kernel have the proc connector (CONFIG_PROC_EVENTS)?  1 when
 * /proc/net/connector lists cn_proc, 0 when it does not, or a negative
 * errno when it cannot be read (no /proc, or another network namespace).
 */
int procfs_has_cn_proc(void);

/*
 * The last field of the NSpid line of a status file's text: the task's
 * pid in its own PID namespace (the line lists it from the initial
 * namespace down).  0 with *ret, or -ENOENT (no such line, or not
 * numbers).
 */
int procfs_parse_nspid(const char *text, pid_t *ret);
/* The same, read relative to a /proc/PID descriptor; -ESRCH if gone. */
int procfs_read_nspid(int dirfd, pid_t *ret);

/* The inode of the initial PID namespace (include/linux/proc_ns.h). */
#define PROCFS_PID_INIT_INO 0xEFFFFFFCu

/*
 * The unified hierarchy's line ("0::PATH") of the text of
 * /proc/PID/cgroup: on a cgroup v2 host the only line, on a hybrid host
 * the one beside the v1 hierarchies' numbered lines.  1 with *ret_path
 * pointing into text and *ret_len its length (to the newline); 0 when
 * the line runs to the end of the text without a newline (a read cut
 * it); -ENOENT when there is no such line (a host with cgroup v1 only).
 */
int procfs_parse_cgroup2(const char *text, const char **ret_path,
			 size_t *ret_len);

/* The inode of a namespace of the process in the /proc/PID descriptor
 * dirfd ("pid", "user", ...): 0, or -ESRCH when it is gone. */
int procfs_read_ns(int dirfd, const char *kind, uint64_t *ret_ino);

/*
 * Where a file system of this type (e.g. "cgroup2") is mounted, from
 * /proc/self/mountinfo: the first such mount point, decoded, in buf.
 * 0, -ENOENT when none is mounted, -ENAMETOOLONG, or the error of
 * reading mountinfo.
 */
int procfs_find_mount(const char *fstype, char *buf, size_t size);
