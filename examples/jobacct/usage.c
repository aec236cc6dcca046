// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Where resource figures come from.
 *
 * Per process: taskstats exit records (CPU, memory peak, page faults,
 * I/O), which need CAP_NET_ADMIN and the initial namespaces.  The
 * tracker reads them (relayfork_tracker_set_taskstats()) and sums them
 * into its members' records; jobacct drains the source when it is
 * readable.  Without them usage_missing() says why.
 *
 * For the job: getrusage(RUSAGE_CHILDREN), which holds every process of
 * the job that was waited for: jobacct is the job's subreaper and reaps
 * its orphans, and each parent's children are in its own figures.  The
 * kernel sums reaped children's I/O counts the same way, into the
 * process's /proc/PID/io (which adds its live threads' own); its thread's
 * /proc/PID/task/TID/io holds only that thread's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "procfs.h"

#include "jobacct.h"

/* Said in the summary and in the JSON summary; tests look for it. */
#define NEED_TASKSTATS "per-process CPU, memory and I/O need taskstats (CAP_NET_ADMIN)"

struct usage_source {
	struct relayfork_taskstats *ts;
	const char *missing;
};

int
usage_open(struct relayfork_tracker *t, struct usage_source **ret)
{
	struct usage_source *u = calloc(1, sizeof(*u));
	int r;

	if (!u)
		return -ENOMEM;
	r = relayfork_taskstats_new(0, &u->ts);
	switch (r) {
	case 0:
		relayfork_tracker_set_taskstats(t, u->ts);
		break;
	case -ENOMEM:
		free(u);
		return r;
	case -EPERM:
		u->missing = NEED_TASKSTATS ", which this process lacks";
		break;
	case -EOPNOTSUPP:
		u->missing = NEED_TASKSTATS " in the initial user and PID "
					    "namespaces, which this process is not in";
		break;
	case -ECONNREFUSED:
		u->missing = NEED_TASKSTATS " in the initial network "
					    "namespace, which this process is not in";
		break;
	case -EPROTONOSUPPORT:
		u->missing = "per-process CPU, memory and I/O need taskstats, "
			     "which this kernel lacks (CONFIG_TASKSTATS)";
		break;
	default:
		u->missing = "taskstats could not be read";
		break;
	}
	*ret = u;
	return 0;
}

int
usage_get_fd(const struct usage_source *u)
{
	return u->ts ? relayfork_taskstats_get_fd(u->ts) : -1;
}

int
usage_dispatch(struct usage_source *u, struct relayfork_tracker *t)
{
	uint64_t before;
	int r;

	if (!u->ts)
		return 0;
	/* Anything read counts for coalescing, other processes' records
	 * too: each one was a wake-up's worth. */
	before = relayfork_taskstats_get_counter(u->ts, RELAYFORK_TASKSTATS_RECEIVED) +
		 relayfork_taskstats_get_counter(u->ts, RELAYFORK_TASKSTATS_AGGREGATES);
	r = relayfork_tracker_drain_usage(t);
	if (r < 0)
		return r;
	return relayfork_taskstats_get_counter(u->ts, RELAYFORK_TASKSTATS_RECEIVED) +
		       relayfork_taskstats_get_counter(u->ts, RELAYFORK_TASKSTATS_AGGREGATES) >
	       before;
}

const char *
usage_missing(const struct usage_source *u)
{
	return u->missing;
}

uint64_t
usage_lost(const struct usage_source *u)
{
	return u->ts ? relayfork_taskstats_get_counter(u->ts,
						       RELAYFORK_TASKSTATS_LOST)
		     : 0;
}

void
usage_free(struct usage_source *u)
{
	if (!u)
		return;
	relayfork_taskstats_free(u->ts);
	free(u);
}

static uint64_t
timeval_us(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* rchar and wchar of an io file, and the bytes its read took; 0 or
 * -errno. */
static int
read_io(const char *path, uint64_t *ret_rchar, uint64_t *ret_wchar,
	uint64_t *ret_size)
{
	char buf[512];
	const char *r, *w;
	unsigned long long rchar, wchar;
	ssize_t n = procfs_read(AT_FDCWD, path, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	r = strstr(buf, "rchar:");
	w = strstr(buf, "wchar:");
	if (!r || !w || sscanf(r + 6, "%llu", &rchar) != 1 ||
	    sscanf(w + 6, "%llu", &wchar) != 1)
		return -EPROTO;
	*ret_rchar = rchar;
	*ret_wchar = wchar;
	*ret_size = (uint64_t)n;
	return 0;
}

void
usage_children(struct job_usage *ret)
{
	struct rusage ru = { 0 };
	uint64_t all_r, all_w, own_r, own_w, own_size, size;
	char own[64];

	(void)getrusage(RUSAGE_CHILDREN, &ru);
	*ret = (struct job_usage){
		.utime_us = timeval_us(ru.ru_utime),
		.stime_us = timeval_us(ru.ru_stime),
		.maxrss_kb = (uint64_t)ru.ru_maxrss,
		.minflt = (uint64_t)ru.ru_minflt,
		.majflt = (uint64_t)ru.ru_majflt,
		.read_bytes = (uint64_t)ru.ru_inblock * 512,
		.write_bytes = (uint64_t)ru.ru_oublock * 512,
	};
	/*
	 * jobacct has one thread: the process's counts less its own are
	 * those of the children it reaped.  Its own first: the process's,
	 * read next, then holds the bytes that read took too.  (A kernel
	 * without CONFIG_TASK_IO_ACCOUNTING has no io files.)
	 */
	snprintf(own, sizeof(own), "/proc/self/task/%d/io", (int)gettid());
	if (read_io(own, &own_r, &own_w, &own_size) == 0 &&
	    read_io("/proc/self/io", &all_r, &all_w, &size) == 0 &&
	    all_r >= own_r + own_size && all_w >= own_w) {
		ret->chars_known = true;
		ret->read_chars = all_r - own_r - own_size;
		ret->write_chars = all_w - own_w;
	}
}

static uint64_t
less(uint64_t now, uint64_t before)
{
	return now > before ? now - before : 0;
}

void
usage_since(struct job_usage *now, const struct job_usage *before)
{
	now->utime_us = less(now->utime_us, before->utime_us);
	now->stime_us = less(now->stime_us, before->stime_us);
	now->minflt = less(now->minflt, before->minflt);
	now->majflt = less(now->majflt, before->majflt);
	now->read_bytes = less(now->read_bytes, before->read_bytes);
	now->write_bytes = less(now->write_bytes, before->write_bytes);
	now->chars_known = now->chars_known && before->chars_known;
	now->read_chars = less(now->read_chars, before->read_chars);
	now->write_chars = less(now->write_chars, before->write_chars);
}
