// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The ways to consume events: receive one, dispatch all waiting to a
 * handler, wait for more, and run the loop; and the wake-up coalescing
 * they share with event loops outside the library.
 */
#include <errno.h>
#include <poll.h>
#include <time.h>

#include "monitor.h"
#include "procfs.h"

RELAYFORK_EXPORT int
relayfork_monitor_receive(struct relayfork_monitor *m,
			  struct relayfork_event *ev)
{
	return_if_fail(m, -EINVAL);
	return_if_fail(ev, -EINVAL);
	return_if_fail(!m->in_dispatch, -EBUSY);
	return batch_next(m, ev);
}

/*
 * Dispatch and run hold a reference of their own while handlers run, so
 * that a handler may drop the caller's; when only these are left, the
 * caller has let go and the loop ends.
 */
static void
loop_hold(struct relayfork_monitor *m)
{
	relayfork_monitor_ref(m);
	m->loop_refs++;
}

static void
loop_release(struct relayfork_monitor *m)
{
	m->loop_refs--;
	relayfork_monitor_unref(m);
}

static bool
caller_let_go(const struct relayfork_monitor *m)
{
	return m->refcount == m->loop_refs;
}

RELAYFORK_EXPORT int
relayfork_monitor_dispatch(struct relayfork_monitor *m,
			   relayfork_handler_t handler, void *userdata)
{
	struct relayfork_event ev;
	int r;

	return_if_fail(m, -EINVAL);
	return_if_fail(handler, -EINVAL);
	return_if_fail(!m->in_dispatch, -EBUSY);

	loop_hold(m);
	m->in_dispatch = true;
	while ((r = batch_next(m, &ev)) > 0) {
		r = handler(m, &ev, userdata);
		if (caller_let_go(m)) {
			r = 0;
			break;
		}
		if (r != 0)
			break;
	}
	m->in_dispatch = false;
	loop_release(m);
	return r;
}

RELAYFORK_EXPORT unsigned int
relayfork_monitor_get_poll_delay(struct relayfork_monitor *m)
{
	return_if_fail(m, 0);
	if (batch_has_queued(m) || !m->busy)
		return 0;
	return m->coalesce_usec;
}

static struct timespec
timespec_of_ns(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000u),
				  .tv_nsec = (long)(ns % 1000000000u) };
}

RELAYFORK_EXPORT int
relayfork_monitor_wait(struct relayfork_monitor *m, int timeout_ms)
{
	uint64_t delay_ns, deadline = 0;
	struct pollfd pfd;
	struct timespec ts;
	int r;

	return_if_fail(m, -EINVAL);
	if (batch_has_queued(m))
		return 1;
	if (timeout_ms > 0)
		deadline = procfs_now_ns() + (uint64_t)timeout_ms * 1000000u;

	delay_ns = (uint64_t)relayfork_monitor_get_poll_delay(m) * 1000u;
	if (delay_ns > 0 && timeout_ms != 0) {
		if (timeout_ms > 0 && delay_ns > (uint64_t)timeout_ms * 1000000u)
			delay_ns = (uint64_t)timeout_ms * 1000000u;
		/* Let the kernel queue a batch while we are not looking;
		 * one pause per drain that found events. */
		m->busy = false;
		ts = timespec_of_ns(delay_ns);
		if (nanosleep(&ts, NULL) < 0 && errno == EINTR)
			return -EINTR;
	}

	pfd = (struct pollfd){ .fd = m->fd, .events = POLLIN };
	if (timeout_ms < 0) {
		r = ppoll(&pfd, 1, NULL, NULL);
	} else {
		uint64_t now = procfs_now_ns();

		ts = timespec_of_ns(deadline > now ? deadline - now : 0);
		r = ppoll(&pfd, 1, &ts, NULL);
	}
	if (r < 0)
		return -errno;
	return r > 0 ? 1 : 0;
}

RELAYFORK_EXPORT int
relayfork_monitor_run(struct relayfork_monitor *m, relayfork_handler_t handler,
		      void *userdata)
{
	int r;

	return_if_fail(m, -EINVAL);
	return_if_fail(handler, -EINVAL);
	return_if_fail(!m->in_dispatch, -EBUSY);
	loop_hold(m);
	for (;;) {
		r = relayfork_monitor_wait(m, -1);
		if (r < 0)
			break;
		r = relayfork_monitor_dispatch(m, handler, userdata);
		if (r != 0 || caller_let_go(m))
			break;
	}
	loop_release(m);
	return r;
}
