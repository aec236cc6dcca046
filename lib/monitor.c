// SPDX-License-Identifier: LGPL-2.1-or-later
/* The monitor object: creation, references, settings and counters. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

/*
 * Measured with bench/: 8 MiB never lost an event at the fastest storm
 * a 2-CPU machine makes; the kernel counts it twice (16 MiB, about
 * 20,000 queued events of RELAYFORK_QUEUED_EVENT_BYTES).  1 ms of coalescing
 * cuts the cost per event by five against waking for each one.
 */
#define DEFAULT_RCVBUF (8u << 20)
#define DEFAULT_COALESCE_USEC 1000u
#define MAX_COALESCE_USEC 1000000u

void
monitor_log(struct relayfork_monitor *m, int priority, const char *format, ...)
{
	va_list args;

	if (!m->log_fn || priority > m->log_priority)
		return;
	va_start(args, format);
	m->log_fn(m, priority, format, args, m->log_userdata);
	va_end(args);
}

int
monitor_check_owner(const struct relayfork_monitor *m)
{
	return m->owner == getpid() ? 0 : -ECHILD;
}

static uint32_t
make_cookie(int fd)
{
	struct timespec ts;

	/* Only needs to tell our acknowledgements from other listeners'. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint32_t)getpid() << 16) ^ (uint32_t)ts.tv_nsec ^
	       ((uint32_t)fd << 8);
}

static void
monitor_free(struct relayfork_monitor *m)
{
	if (m->fd >= 0) {
		(void)relayfork_monitor_stop(m);
		close(m->fd);
	}
	threads_free(&m->threads);
	loss_free(&m->loss);
	free(m->batch);
	free(m);
}

RELAYFORK_EXPORT int
relayfork_monitor_new(unsigned int flags, struct relayfork_monitor **ret_monitor)
{
	struct relayfork_monitor *m;
	int r;

	return_if_fail(ret_monitor, -EINVAL);
	return_if_fail((flags & ~RELAYFORK_MONITOR_NO_KERNEL_FILTER) == 0,
		       -EINVAL);

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->fd = -1;
	threads_init(&m->threads);
	m->batch = malloc(sizeof(*m->batch));
	r = m->batch ? loss_init(&m->loss, (unsigned int)sysconf(
						      _SC_NPROCESSORS_CONF))
		     : -ENOMEM;
	if (r == 0)
		r = socket_open(&m->fd);
	if (r < 0) {
		monitor_free(m);
		return r;
	}
	socket_batch_init(m->batch);
	/* A failure here is not fatal: the default buffer still works. */
	m->rcvbuf = DEFAULT_RCVBUF;
	m->rcvbuf_granted = socket_set_rcvbuf(m->fd, DEFAULT_RCVBUF);
	m->coalesce_usec = DEFAULT_COALESCE_USEC;
	m->refcount = 1;
	m->flags = flags;
	m->mask = RELAYFORK_EVENTS_ALL;
	mask_plan(m->mask, &m->plan);
	m->log_priority = RELAYFORK_LOG_INFO;
	m->owner = getpid();
	m->cookie = make_cookie(m->fd);
	*ret_monitor = m;
	return 0;
}

RELAYFORK_EXPORT struct relayfork_monitor *
relayfork_monitor_ref(struct relayfork_monitor *m)
{
	return_if_fail(m, NULL);
	m->refcount++;
	return m;
}

RELAYFORK_EXPORT struct relayfork_monitor *
relayfork_monitor_unref(struct relayfork_monitor *m)
{
	if (!m)
		return NULL;
	if (--m->refcount == 0)
		monitor_free(m);
	return NULL;
}

RELAYFORK_EXPORT uint32_t
relayfork_monitor_get_events(struct relayfork_monitor *m)
{
	return_if_fail(m, 0);
	return m->mask;
}

RELAYFORK_EXPORT int
relayfork_monitor_set_receive_buffer_size(struct relayfork_monitor *m,
					  size_t bytes)
{
	int r;

	return_if_fail(m, -EINVAL);
	return_if_fail(bytes > 0, -EINVAL);
	r = monitor_check_owner(m);
	if (r < 0)
		return r;
	r = socket_set_rcvbuf(m->fd, bytes);
	if (r < 0)
		return r;
	m->rcvbuf = bytes;
	m->rcvbuf_granted = r;
	return r;
}

RELAYFORK_EXPORT int
relayfork_monitor_get_receive_buffer_size(struct relayfork_monitor *m)
{
	return_if_fail(m, -EINVAL);
	return socket_get_rcvbuf(m->fd);
}

RELAYFORK_EXPORT int
relayfork_monitor_set_receive_buffer_growth(struct relayfork_monitor *m,
					    size_t max_bytes)
{
	int r;

	return_if_fail(m, -EINVAL);
	r = monitor_check_owner(m);
	if (r == 0)
		m->rcvbuf_max = max_bytes;
	return r;
}

RELAYFORK_EXPORT int
relayfork_monitor_get_fd(struct relayfork_monitor *m)
{
	return_if_fail(m, -EINVAL);
	return m->fd;
}

RELAYFORK_EXPORT int
relayfork_monitor_set_coalesce_delay(struct relayfork_monitor *m,
				     unsigned int usec)
{
	return_if_fail(m, -EINVAL);
	return_if_fail(usec <= MAX_COALESCE_USEC, -EINVAL);
	m->coalesce_usec = usec;
	return 0;
}

RELAYFORK_EXPORT int
relayfork_monitor_get_filter_mode(struct relayfork_monitor *m)
{
	return_if_fail(m, -EINVAL);
	if (!m->probed)
		return RELAYFORK_FILTER_UNKNOWN;
	return subscription_kernel_filters(m) ? RELAYFORK_FILTER_KERNEL
					      : RELAYFORK_FILTER_SOCKET;
}

RELAYFORK_EXPORT uint64_t
relayfork_monitor_get_counter(struct relayfork_monitor *m, int counter)
{
	return_if_fail(m, 0);
	return_if_fail(counter >= 0 && counter < MONITOR_COUNTERS, 0);
	return m->counters[counter];
}

RELAYFORK_EXPORT void
relayfork_monitor_set_log_fn(struct relayfork_monitor *m, relayfork_log_fn_t fn,
			     void *userdata)
{
	if (!m)
		return;
	m->log_fn = fn;
	m->log_userdata = userdata;
}

RELAYFORK_EXPORT void
relayfork_monitor_set_log_priority(struct relayfork_monitor *m, int priority)
{
	if (!m)
		return;
	m->log_priority = priority;
}
