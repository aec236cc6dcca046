// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"
#include "environment.h"
#include "filter.h"
#include "internal.h"
#include "kernel-abi.h"
#include "loss.h"
#include "socket.h"
#include "subscribe.h"

#define COUNTER_MAX (RELAYFORK_COUNTER_CONTROL + 1)

/* Measured with bench/: 8 MiB never lost an event at the fastest storm
 * this 2-CPU machine makes; 1 ms of coalescing cuts the cost per event
 * by five against waking for each one. */
#define DEFAULT_RCVBUF (8u << 20)
#define DEFAULT_COALESCE_USEC 1000u
#define MAX_COALESCE_USEC 1000000u

struct relayfork_monitor {
	int refcount;
	unsigned int flags;
	int fd;
	uint32_t mask;

	bool started;
	/* The process that subscribed: after fork() a child shares the
	 * socket, and its unsubscribing would be the parent's. */
	pid_t owner;
	bool probed;
	/* The kernel keeps a per-socket mask (Linux 6.6+). */
	bool kernel_can_filter;
	uint32_t cookie;

	/* Dispatch state: a handler is running. */
	bool in_dispatch;
	/* References held by dispatch and run themselves: when only these
	 * are left, the caller has let go. */
	int loop_refs;

	unsigned int coalesce_usec;
	/* The receive buffer asked for, and how far loss may grow it. */
	size_t rcvbuf;
	size_t rcvbuf_max;
	/* The last wait found events: the next one sleeps first. */
	bool busy;

	/* The receive batch and where decoding stands in it. */
	struct socket_batch *batch;
	unsigned int filled;
	unsigned int current;
	bool cursor_valid;
	struct decode_cursor cursor;

	struct loss loss;
	/* An event read but held back while a loss report goes first. */
	bool have_held;
	struct relayfork_event held;

	uint64_t counters[COUNTER_MAX];

	relayfork_log_fn_t log_fn;
	void *log_userdata;
	int log_priority;
};

static void monitor_log(struct relayfork_monitor *m, int priority,
			const char *format, ...) __attribute__((format(printf, 3, 4)));

static void
monitor_log(struct relayfork_monitor *m, int priority, const char *format, ...)
{
	va_list args;

	if (!m->log_fn || priority > m->log_priority)
		return;
	va_start(args, format);
	m->log_fn(m, priority, format, args, m->log_userdata);
	va_end(args);
}

#define log_debug(m, ...) monitor_log(m, RELAYFORK_LOG_DEBUG, __VA_ARGS__)
#define log_info(m, ...) monitor_log(m, RELAYFORK_LOG_INFO, __VA_ARGS__)
#define log_err(m, ...) monitor_log(m, RELAYFORK_LOG_ERR, __VA_ARGS__)

static uint32_t
make_cookie(int fd)
{
	struct timespec ts;

	/* Only needs to tell our acknowledgements from other listeners'. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint32_t)getpid() << 16) ^ (uint32_t)ts.tv_nsec ^
	       ((uint32_t)fd << 8);
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
	m->batch = malloc(sizeof(*m->batch));
	r = m->batch ? loss_init(&m->loss, (unsigned int)sysconf(
						      _SC_NPROCESSORS_CONF))
		     : -ENOMEM;
	if (r == 0)
		r = socket_open(&m->fd);
	if (r < 0) {
		loss_free(&m->loss);
		free(m->batch);
		free(m);
		return r;
	}
	socket_batch_init(m->batch);
	/* A failure here is not fatal: the default buffer still works. */
	(void)socket_set_rcvbuf(m->fd, DEFAULT_RCVBUF);
	m->rcvbuf = DEFAULT_RCVBUF;
	m->coalesce_usec = DEFAULT_COALESCE_USEC;
	m->refcount = 1;
	m->flags = flags;
	m->mask = RELAYFORK_EVENTS_ALL;
	m->log_priority = RELAYFORK_LOG_INFO;
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

static void
monitor_free(struct relayfork_monitor *m)
{
	(void)relayfork_monitor_stop(m);
	close(m->fd);
	loss_free(&m->loss);
	free(m->batch);
	free(m);
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

static bool
using_kernel_filter(const struct relayfork_monitor *m)
{
	return m->kernel_can_filter &&
	       !(m->flags & RELAYFORK_MONITOR_NO_KERNEL_FILTER);
}

static bool
wants_all(const struct relayfork_monitor *m)
{
	return (m->mask & RELAYFORK_EVENTS_ALL) == RELAYFORK_EVENTS_ALL;
}

static bool
skips_threads(const struct relayfork_monitor *m)
{
	return m->mask & RELAYFORK_EVENTS_SKIP_THREADS;
}

/* The socket filter: the whole mask where the kernel cannot filter, the
 * thread part (which no kernel filters) where it can. */
static int
apply_socket_filter(struct relayfork_monitor *m)
{
	struct filter_program prog;

	/* Everything wanted: no filter, so that acknowledgements (which
	 * take sequence numbers too) keep the sequence whole. */
	if (!skips_threads(m) && (using_kernel_filter(m) || wants_all(m)))
		return socket_detach_filter(m->fd);
	filter_build(&prog, m->mask);
	return socket_attach_filter(m->fd, &prog);
}

/* The request form follows from the probe: the kernel filter's where it
 * is used, the legacy one everywhere else. */
static enum subscribe_form
form(const struct relayfork_monitor *m)
{
	return using_kernel_filter(m) ? SUBSCRIBE_FILTERED : SUBSCRIBE_LEGACY;
}

/* Send a subscription request, retrying what the kernel may refuse
 * for a moment: a lost IGNORE would leave a listener counted forever. */
static int
send_request(struct relayfork_monitor *m, uint32_t op)
{
	int r, tries;

	for (tries = 0; tries < 3; tries++) {
		r = subscribe_send(m->fd, form(m), op,
				   op == KCN_MCAST_LISTEN
					   ? subscribe_kernel_mask(m->mask)
					   : KCN_EVENT_NONE,
				   0, m->cookie);
		if (r != -ENOBUFS && r != -ENOMEM && r != -EAGAIN)
			break;
	}
	return r;
}

/* Install m->mask where it takes effect: the kernel and the socket. */
static int
apply_mask(struct relayfork_monitor *m)
{
	int r = apply_socket_filter(m);

	if (r < 0 || !using_kernel_filter(m))
		return r;
	/* 6.6+: a repeated LISTEN only replaces this socket's mask; it is
	 * not counted as another listener. */
	return send_request(m, KCN_MCAST_LISTEN);
}

/* Gaps in the sequence mean loss only when nothing is filtered. */
static void
update_tracking(struct relayfork_monitor *m)
{
	loss_track_sequence(&m->loss,
			    m->started && wants_all(m) && !skips_threads(m));
}

RELAYFORK_EXPORT int
relayfork_monitor_set_events(struct relayfork_monitor *m, uint32_t mask)
{
	uint32_t old;
	int r;

	return_if_fail(m, -EINVAL);
	return_if_fail((mask & (RELAYFORK_EVENTS_ALL |
				RELAYFORK_EVENTS_EXIT_FAILURE)) != 0,
		       -EINVAL);
	return_if_fail((mask & ~(uint32_t)(RELAYFORK_EVENTS_ALL |
					   RELAYFORK_EVENTS_EXIT_FAILURE |
					   RELAYFORK_EVENTS_SKIP_THREADS)) == 0,
		       -EINVAL);

	old = m->mask;
	m->mask = mask;
	if (!m->started)
		return 0;
	r = apply_mask(m);
	if (r < 0)
		m->mask = old;
	update_tracking(m);
	return r;
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
	return_if_fail(m, -EINVAL);
	return_if_fail(bytes > 0, -EINVAL);
	m->rcvbuf = bytes;
	return socket_set_rcvbuf(m->fd, bytes);
}

static int
probe(struct relayfork_monitor *m)
{
	int r;

	if (m->probed)
		return 0;
	r = subscribe_probe_filter(m->cookie ^ 0x5a5a5a5au,
				   &m->kernel_can_filter);
	if (r < 0)
		return r;
	m->probed = true;
	log_debug(m, "kernel event filter %s",
		  m->kernel_can_filter ? "available" : "not available");
	return 0;
}

RELAYFORK_EXPORT int
relayfork_monitor_start(struct relayfork_monitor *m)
{
	uint32_t drops = 0;
	int r;

	return_if_fail(m, -EINVAL);
	if (m->started)
		return 0;

	/* The kernel answers neither of these cases: find out first. */
	r = environment_check_namespaces();
	if (r < 0)
		return r;
	r = environment_check_proc_events();
	if (r < 0)
		return r;
	/* Even with NO_KERNEL_FILTER: stop() must know whether the kernel
	 * keeps per-socket state. */
	r = probe(m);
	if (r < 0)
		return r;

	/* The filter goes in before the socket joins the group, so that
	 * no unwanted event slips in between.  The kernel keeps a
	 * LISTEN's mask whether or not the socket has joined yet. */
	if (using_kernel_filter(m)) {
		r = apply_socket_filter(m);
		if (r == 0)
			r = send_request(m, KCN_MCAST_LISTEN);
		if (r < 0)
			return r;
		r = socket_join(m->fd);
		if (r < 0) {
			(void)send_request(m, KCN_MCAST_IGNORE);
			return r;
		}
	} else {
		r = apply_mask(m);
		if (r == 0)
			r = socket_join(m->fd);
		if (r < 0)
			return r;
		r = send_request(m, KCN_MCAST_LISTEN);
		if (r < 0) {
			(void)socket_leave(m->fd);
			return r;
		}
	}
	m->owner = getpid();
	m->started = true;
	/* Baseline for the drop counter, so that only our losses count. */
	if (socket_get_drops(m->fd, &drops) == 0)
		loss_set_drops(&m->loss, drops);
	update_tracking(m);
	log_debug(m, "subscribed, %s filter",
		  using_kernel_filter(m) ? "kernel" : "socket");
	return 0;
}

RELAYFORK_EXPORT int
relayfork_monitor_stop(struct relayfork_monitor *m)
{
	int r;

	return_if_fail(m, -EINVAL);
	if (!m->started)
		return 0;
	if (m->owner != getpid()) {
		/* A forked child: the subscription is its parent's. */
		m->started = false;
		return 0;
	}
	r = send_request(m, KCN_MCAST_IGNORE);
	if (r < 0) {
		log_err(m, "unsubscribing failed: %s", strerror(-r));
		return r; /* still started: stop or unref will try again */
	}
	m->started = false;
	update_tracking(m);
	/* On 6.6+ IGNORE filters this socket to nothing, and leaving the
	 * group would keep the kernel from freeing the socket's filter
	 * state when it is closed.  Older kernels keep no per-socket
	 * state and would go on delivering other listeners' events. */
	if (!m->kernel_can_filter)
		r = socket_leave(m->fd);
	return r;
}

RELAYFORK_EXPORT int
relayfork_monitor_get_fd(struct relayfork_monitor *m)
{
	return_if_fail(m, -EINVAL);
	return m->fd;
}

static bool
event_wanted(const struct relayfork_monitor *m, const struct relayfork_event *ev)
{
	if (skips_threads(m) && (ev->flags & RELAYFORK_EVENT_F_THREAD) &&
	    (ev->type == RELAYFORK_EVENT_FORK || ev->type == RELAYFORK_EVENT_EXIT))
		return false;
	if (m->mask & (1u << ev->type))
		return true;
	return ev->type == RELAYFORK_EVENT_EXIT &&
	       (m->mask & RELAYFORK_EVENTS_EXIT_FAILURE) &&
	       ev->u.exit.status != 0;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
make_lost_event(struct relayfork_monitor *m, struct relayfork_event *ev,
		uint64_t count, uint32_t reason)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = RELAYFORK_EVENT_LOST;
	ev->flags = RELAYFORK_EVENT_F_SYNTHETIC;
	ev->timestamp_ns = now_ns();
	ev->u.lost.count = count;
	ev->u.lost.reason = reason;
	m->counters[RELAYFORK_COUNTER_LOST] += count;
	log_info(m, "%llu events lost (%s)", (unsigned long long)count,
		 reason == RELAYFORK_LOST_SEQUENCE ? "the kernel did not send them"
		 : reason == RELAYFORK_LOST_OVERFLOW ? "receive buffer full"
						     : "receive buffer full, count unknown");
}

/* After an overflow: a bigger buffer, if the caller allowed it. */
static void
grow_buffer(struct relayfork_monitor *m)
{
	size_t want;
	int r;

	if (m->rcvbuf >= m->rcvbuf_max)
		return;
	want = m->rcvbuf * 2 < m->rcvbuf_max ? m->rcvbuf * 2 : m->rcvbuf_max;
	r = socket_set_rcvbuf(m->fd, want);
	if (r < 0) {
		log_err(m, "cannot grow the receive buffer: %s", strerror(-r));
		return;
	}
	m->rcvbuf = want;
	log_info(m, "receive buffer grown to %zu bytes (the kernel granted %d)",
		 want, r);
}

/*
 * Is a loss report due before *next (an event about to be delivered),
 * or, with next NULL, now that the socket is drained?  If so, fills *ev
 * with it and returns true.
 */
static bool
take_loss(struct relayfork_monitor *m, const struct relayfork_event *next,
	  struct relayfork_event *ev)
{
	uint64_t n;

	if (loss_overflow_due(&m->loss, next ? next->timestamp_ns : 0, !next)) {
		uint32_t drops = 0;
		bool have = socket_get_drops(m->fd, &drops) == 0;

		n = loss_overflow_take(&m->loss, have, drops);
		if (!have) {
			make_lost_event(m, ev, 0, RELAYFORK_LOST_UNKNOWN);
			return true;
		}
		/* A second ENOBUFS whose drops the first report counted. */
		if (n > 0) {
			make_lost_event(m, ev, n, RELAYFORK_LOST_OVERFLOW);
			grow_buffer(m);
			return true;
		}
	}
	n = loss_sequence_take(&m->loss);
	if (n > 0) {
		make_lost_event(m, ev, n, RELAYFORK_LOST_SEQUENCE);
		return true;
	}
	return false;
}

/*
 * Step through the current batch: returns true with *ev filled, or false
 * when the batch is used up.
 */
static bool
next_from_batch(struct relayfork_monitor *m, struct relayfork_event *ev)
{
	struct socket_batch *b = m->batch;

	while (m->current < m->filled) {
		struct decode_info info;
		int r;

		if (!m->cursor_valid) {
			unsigned int i = m->current;

			if (!socket_batch_from_kernel(b, i)) {
				m->counters[RELAYFORK_COUNTER_FOREIGN]++;
				log_debug(m, "dropped a datagram from port %u",
					  b->from[i].nl_pid);
				m->current++;
				continue;
			}
			m->counters[RELAYFORK_COUNTER_RECEIVED]++;
			if (socket_batch_truncated(b, i)) {
				m->counters[RELAYFORK_COUNTER_MALFORMED]++;
				log_debug(m, "dropped an oversized datagram");
				m->current++;
				continue;
			}
			decode_init(&m->cursor, b->slots[i], b->msgs[i].msg_len);
			m->cursor_valid = true;
		}

		r = decode_next(&m->cursor, ev, &info);
		switch (r) {
		case DECODE_END:
			m->cursor_valid = false;
			m->current++;
			break;
		case DECODE_EVENT:
			loss_observe(&m->loss, info.cpu, info.seq);
			if (event_wanted(m, ev))
				return true;
			m->counters[RELAYFORK_COUNTER_FILTERED]++;
			break;
		case DECODE_ACK:
			loss_observe(&m->loss, info.cpu, info.seq);
			m->counters[RELAYFORK_COUNTER_CONTROL]++;
			break;
		case DECODE_CONTROL:
			m->counters[RELAYFORK_COUNTER_CONTROL]++;
			break;
		default:
			m->counters[RELAYFORK_COUNTER_MALFORMED]++;
			log_debug(m, "dropped a malformed message: %s",
				  decode_result_name(r));
			break;
		}
	}
	return false;
}

/* The drain-and-decode core behind receive and dispatch. */
static int
monitor_next(struct relayfork_monitor *m, struct relayfork_event *ev)
{
	if (m->have_held) {
		*ev = m->held;
		m->have_held = false;
		goto deliver;
	}
	for (;;) {
		int r;

		if (next_from_batch(m, ev)) {
			struct relayfork_event lost;

			/* A loss before this event is reported first. */
			if (take_loss(m, ev, &lost)) {
				m->held = *ev;
				m->have_held = true;
				*ev = lost;
			}
			break;
		}

		r = socket_receive(m->fd, m->batch);
		if (r > 0) {
			m->filled = (unsigned int)r;
			m->current = 0;
			m->cursor_valid = false;
			continue;
		}
		m->filled = m->current = 0;
		if (r == -ENOBUFS) {
			/* Events still queued came before the loss. */
			loss_overflow(&m->loss, now_ns());
			continue;
		}
		if (r != -EAGAIN)
			return r;
		if (!take_loss(m, NULL, ev))
			return 0;
		break;
	}
deliver:
	m->counters[RELAYFORK_COUNTER_DELIVERED]++;
	return 1;
}

RELAYFORK_EXPORT int
relayfork_monitor_receive(struct relayfork_monitor *m,
			  struct relayfork_event *ev)
{
	return_if_fail(m, -EINVAL);
	return_if_fail(ev, -EINVAL);
	return_if_fail(!m->in_dispatch, -EBUSY);
	return monitor_next(m, ev);
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
	while ((r = monitor_next(m, &ev)) > 0) {
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

static bool
has_queued(const struct relayfork_monitor *m)
{
	return m->have_held || m->current < m->filled;
}

RELAYFORK_EXPORT int
relayfork_monitor_wait(struct relayfork_monitor *m, int timeout_ms)
{
	struct pollfd pfd;
	int r;

	return_if_fail(m, -EINVAL);
	if (has_queued(m))
		return 1;
	if (m->busy && m->coalesce_usec > 0 && timeout_ms != 0) {
		struct timespec ts = {
			.tv_sec = m->coalesce_usec / 1000000,
			.tv_nsec = (long)(m->coalesce_usec % 1000000) * 1000,
		};

		/* Let the kernel queue a batch while we are not looking. */
		if (nanosleep(&ts, NULL) < 0 && errno == EINTR)
			return -EINTR;
		if (timeout_ms > 0)
			timeout_ms -= (int)(m->coalesce_usec / 1000);
		if (timeout_ms <= 0)
			timeout_ms = 0;
	}
	pfd = (struct pollfd){ .fd = m->fd, .events = POLLIN };
	r = poll(&pfd, 1, timeout_ms);
	if (r < 0)
		return -errno;
	m->busy = r > 0;
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
relayfork_monitor_set_receive_buffer_growth(struct relayfork_monitor *m,
					    size_t max_bytes)
{
	return_if_fail(m, -EINVAL);
	m->rcvbuf_max = max_bytes;
	return 0;
}

RELAYFORK_EXPORT int
relayfork_monitor_get_filter_mode(struct relayfork_monitor *m)
{
	return_if_fail(m, -EINVAL);
	if (!m->probed)
		return RELAYFORK_FILTER_UNKNOWN;
	return using_kernel_filter(m) ? RELAYFORK_FILTER_KERNEL
				      : RELAYFORK_FILTER_SOCKET;
}

RELAYFORK_EXPORT uint64_t
relayfork_monitor_get_counter(struct relayfork_monitor *m, int counter)
{
	return_if_fail(m, 0);
	return_if_fail(counter >= 0 && counter < COUNTER_MAX, 0);
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
