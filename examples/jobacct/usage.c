// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Where resource figures come from.
 *
 * Per process: taskstats exit records (CPU, memory peak, page faults,
 * I/O), which need CAP_NET_ADMIN and the initial namespaces.  This
 * librelayfork has no taskstats yet: the source below is the place
 * where it plugs in (open the socket in usage_open(), poll its fd, and
 * hand each record to the tracker in usage_dispatch()); until then
 * members have no usage and usage_missing() says so.
 *
 * For the job: getrusage(RUSAGE_CHILDREN), which holds every process of
 * the job that was waited for: jobacct is the job's subreaper and reaps
 * its orphans, and each parent's children are in its own figures.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "jobacct.h"

/* Said in the summary and in the JSON summary; tests look for it. */
#define NEED_TASKSTATS "per-process CPU, memory and I/O need taskstats (CAP_NET_ADMIN)"

struct usage_source {
	int fd;
	const char *missing;
	uint64_t lost;
};

int
usage_open(struct usage_source **ret)
{
	struct usage_source *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	u->fd = -1;
	u->missing = NEED_TASKSTATS ", which this librelayfork cannot "
				    "read yet";
	*ret = u;
	return 0;
}

int
usage_get_fd(const struct usage_source *u)
{
	return u->fd;
}

int
usage_dispatch(struct usage_source *u, struct relayfork_tracker *t)
{
	(void)u;
	(void)t;
	return 0;
}

const char *
usage_missing(const struct usage_source *u)
{
	return u->missing;
}

uint64_t
usage_lost(const struct usage_source *u)
{
	return u->lost;
}

void
usage_free(struct usage_source *u)
{
	free(u);
}

static uint64_t
timeval_us(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

void
usage_children(struct job_usage *ret)
{
	struct rusage ru = { 0 };

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
}
