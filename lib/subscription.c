// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The subscription: LISTEN and IGNORE exactly once each per start, the
 * kernel's and the socket's filters for the event mask, and the checks
 * that must pass before the kernel will deliver anything.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "environment.h"
#include "filter.h"
#include "kernel-abi.h"
#include "monitor.h"
#include "subscribe.h"

bool
subscription_kernel_filters(const struct relayfork_monitor *m)
{
	return m->kernel_can_filter &&
	       !(m->flags & RELAYFORK_MONITOR_NO_KERNEL_FILTER);
}

/* The socket filter: what the plan needs that the kernel does not do. */
static int
apply_socket_filter(struct relayfork_monitor *m)
{
	struct filter_program prog;

	/* Everything wanted: no filter, so that acknowledgements (which
	 * take sequence numbers too) keep the sequence whole. */
	if (!mask_plan_needs_socket_filter(&m->plan, subscription_kernel_filters(m)))
		return socket_detach_filter(m->fd);
	filter_build(&prog, &m->plan);
	return socket_attach_filter(m->fd, &prog);
}

/* Send a subscription request in the form the probe found, retrying
 * what the kernel may refuse for a moment: a lost IGNORE would leave a
 * listener counted forever. */
static int
send_request(struct relayfork_monitor *m, uint32_t op)
{
	enum subscribe_form form = subscription_kernel_filters(m)
					   ? SUBSCRIBE_FILTERED
					   : SUBSCRIBE_LEGACY;
	int r, tries;

	for (tries = 0; tries < 3; tries++) {
		r = subscribe_send(m->fd, form, op,
				   op == KCN_MCAST_LISTEN
					   ? mask_plan_kernel(&m->plan)
					   : KCN_EVENT_NONE,
				   0, m->cookie);
		if (r != -ENOBUFS && r != -ENOMEM && r != -EAGAIN)
			break;
	}
	return r;
}

/* Gaps in the sequence mean loss only when every event reaches us. */
static void
update_sequence_tracking(struct relayfork_monitor *m)
{
	loss_track_sequence(&m->loss,
			    m->started && mask_plan_keeps_all(&m->plan));
}

void
subscription_resync_threads(struct relayfork_monitor *m)
{
	int r;

	if (!m->plan.follows_threads) {
		threads_clear(&m->threads);
		return;
	}
	m->threads.all_leader_exits = m->plan.exit_leader == MASK_EXITS_ALL;
	m->threads_stale = false;
	r = threads_resync(&m->threads);
	if (r < 0)
		log_info(m, "cannot read the threads of running processes from "
			    "/proc: %s", strerror(-r));
}

RELAYFORK_EXPORT int
relayfork_monitor_set_events(struct relayfork_monitor *m, uint32_t mask)
{
	struct mask_plan old_plan;
	uint32_t old_mask;
	int r;

	return_if_fail(m, -EINVAL);
	return_if_fail(mask_valid(mask), -EINVAL);
	r = monitor_check_owner(m);
	if (r < 0)
		return r;

	old_mask = m->mask;
	old_plan = m->plan;
	m->mask = mask;
	mask_plan(mask, &m->plan);
	if (!m->started)
		return 0;

	r = apply_socket_filter(m);
	/* 6.6+: a repeated LISTEN only replaces this socket's mask; it is
	 * not counted as another listener. */
	if (r == 0 && subscription_kernel_filters(m))
		r = send_request(m, KCN_MCAST_LISTEN);
	if (r < 0) {
		/* The kernel kept the old mask (the request did not go
		 * out); put the old socket filter back beside it. */
		m->mask = old_mask;
		m->plan = old_plan;
		(void)apply_socket_filter(m);
		return r;
	}
	if (m->plan.follows_threads != old_plan.follows_threads ||
	    m->plan.exit_leader != old_plan.exit_leader)
		subscription_resync_threads(m);
	update_sequence_tracking(m);
	return 0;
}

static int
probe(struct relayfork_monitor *m)
{
	int r;

	if (m->probed)
		return 0;
	r = subscribe_probe(SUBSCRIBE_FILTERED, m->cookie ^ 0x5a5a5a5au,
			    &m->kernel_can_filter);
	if (r < 0)
		return r;
	m->probed = true;
	log_debug(m, "kernel event filter %s",
		  m->kernel_can_filter ? "available" : "not available");
	return 0;
}

/*
 * The kernel ignores subscriptions from outside the initial user and PID
 * namespaces without a word.  /proc usually tells; where it cannot (it is
 * hidden), the kernel's answer does: it acknowledges a LISTEN only from
 * the initial namespaces.  The filter probe's answer already proves it
 * on Linux 6.6+; elsewhere a legacy request, which every kernel
 * acknowledges, asks.
 */
static int
check_namespaces(struct relayfork_monitor *m)
{
	bool answered;
	int r;

	if (m->kernel_can_filter)
		return 0;
	r = subscribe_probe(SUBSCRIBE_LEGACY, m->cookie ^ 0xa5a5a5a5u, &answered);
	if (r < 0)
		return r;
	log_debug(m, "/proc hides the namespaces; the kernel %s", answered
			     ? "answered, so they are the initial ones"
			     : "did not answer: another namespace");
	return answered ? 0 : -EOPNOTSUPP;
}

static int
subscribe(struct relayfork_monitor *m, bool namespaces_unknown)
{
	int r;

	/* The kernel answers neither of these cases: find out first. */
	r = environment_check_proc_events();
	if (r < 0)
		return r;
	/* Even with NO_KERNEL_FILTER: stop() must know whether the kernel
	 * keeps per-socket state. */
	r = probe(m);
	if (r == 0 && namespaces_unknown)
		r = check_namespaces(m);
	if (r < 0)
		return r;

	/* The filter goes in before the socket joins the group, so that
	 * no unwanted event slips in between.  The kernel keeps a
	 * LISTEN's mask whether or not the socket has joined yet. */
	r = apply_socket_filter(m);
	if (r < 0)
		return r;
	if (subscription_kernel_filters(m)) {
		r = send_request(m, KCN_MCAST_LISTEN);
		if (r < 0)
			return r;
		r = socket_join(m->fd);
		if (r < 0)
			(void)send_request(m, KCN_MCAST_IGNORE);
		return r;
	}
	r = socket_join(m->fd);
	if (r < 0)
		return r;
	r = send_request(m, KCN_MCAST_LISTEN);
	if (r < 0)
		(void)socket_leave(m->fd);
	return r;
}

RELAYFORK_EXPORT int
relayfork_monitor_start(struct relayfork_monitor *m)
{
	uint32_t drops = 0;
	int r;

	return_if_fail(m, -EINVAL);
	r = monitor_check_owner(m);
	if (r < 0)
		return r;
	if (m->started)
		return 0;
	r = environment_check_namespaces();
	if (r < 0)
		return r;
	/* Baseline for the drop counter, so that only our losses count:
	 * nothing is delivered, so nothing dropped, before we join. */
	if (socket_get_drops(m->fd, &drops) == 0)
		loss_set_drops(&m->loss, drops);
	r = subscribe(m, r > 0);
	if (r < 0)
		/* Joining the group needs CAP_NET_ADMIN before Linux 6.6: a
		 * code of its own, so that the advice goes only here. */
		return r == -EPERM ? -EACCES : r;

	m->started = true;
	update_sequence_tracking(m);
	/* After joining: a thread started meanwhile is both listed and
	 * reported, and the table takes it once. */
	subscription_resync_threads(m);
	log_debug(m, "subscribed, %s filter",
		  subscription_kernel_filters(m) ? "kernel" : "socket");
	return 0;
}

RELAYFORK_EXPORT int
relayfork_monitor_stop(struct relayfork_monitor *m)
{
	int r;

	return_if_fail(m, -EINVAL);
	r = monitor_check_owner(m);
	if (r < 0)
		return r; /* a forked child: the subscription is its parent's */
	if (!m->started)
		return 0;
	r = send_request(m, KCN_MCAST_IGNORE);
	if (r < 0) {
		log_err(m, "unsubscribing failed: %s", strerror(-r));
		return r; /* still started: stop or unref will try again */
	}
	m->started = false;
	update_sequence_tracking(m);
	/* On 6.6+ IGNORE filters this socket to nothing, and leaving the
	 * group would keep the kernel from freeing the socket's filter
	 * state when it is closed.  Older kernels keep no per-socket
	 * state and would go on delivering other listeners' events. */
	if (!m->kernel_can_filter)
		r = socket_leave(m->fd);
	return r;
}
