// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Resource usage at exit from the kernel's taskstats interface: the
 * generic netlink socket, finding the family, registering for every
 * CPU's exit records, receiving them in batches, and loss.  Decoding is
 * in taskstats-decode.c.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "environment.h"
#include "internal.h"
#include "kernel-abi.h"
#include "socket.h"
#include "taskstats-abi.h"
#include "taskstats-decode.h"

/*
 * Datagrams per recvmmsg(2) call, and the room for each: an exit
 * message is 596 bytes on Linux 6.18, 1172 with the aggregate; a slot
 * leaves room for later versions.  The batch is allocated once (256 KiB).
 */
#define TS_BATCH 64
#define TS_SLOT 4096
/* Asked for like the monitor's: the kernel grants twice this, about
 * 13,000 queued records (RELAYFORK_QUEUED_USAGE_BYTES each). */
#define TS_DEFAULT_RCVBUF (8u << 20)
/* A buffer under this (5 batches of queued records) may be full though
 * a receive found less than a batch in it: check the drop counter after
 * every receive then. */
#define TS_SMALL_BUFFER (TS_BATCH * RELAYFORK_QUEUED_USAGE_BYTES * 5)
/* The kernel answers requests inside our send(); this only bounds the
 * wait for an answer that never comes. */
#define TS_ANSWER_TIMEOUT_MS 5000
/* "0-4095" and longer lists: the mask of possible CPUs. */
#define TS_CPUMASK_MAX 1024

#define TS_COUNTERS (RELAYFORK_TASKSTATS_FOREIGN + 1)

struct ts_batch {
	struct mmsghdr msgs[TS_BATCH];
	struct iovec iov[TS_BATCH];
	struct sockaddr_nl from[TS_BATCH];
	unsigned char slots[TS_BATCH][TS_SLOT] __attribute__((aligned(8)));
};

struct relayfork_taskstats {
	int fd;
	uint16_t family;
	/* The process that registered: a child that inherited the socket
	 * must not deregister the parent's listener. */
	pid_t owner;
	bool registered;
	uint32_t seq;
	char cpumask[TS_CPUMASK_MAX];
	int rcvbuf_granted;

	/* The receive batch and where decoding stands in it. */
	struct ts_batch *batch;
	unsigned int filled;
	unsigned int current;
	bool cursor_valid;
	struct ts_cursor cursor;

	/* Loss: the drop counter at the last look, and what it found
	 * that has not been reported yet. */
	uint32_t drops_seen;
	uint64_t lost_pending;
	bool lost_unknown;

	uint64_t counters[TS_COUNTERS];
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool
from_kernel(const struct ts_batch *b, unsigned int i)
{
	/* Only the kernel sends from port 0; anyone may send to ours. */
	return b->msgs[i].msg_hdr.msg_namelen >= sizeof(struct sockaddr_nl) &&
	       b->from[i].nl_family == AF_NETLINK && b->from[i].nl_pid == 0;
}

static void
batch_init(struct ts_batch *b)
{
	unsigned int i;

	memset(b->msgs, 0, sizeof(b->msgs));
	for (i = 0; i < TS_BATCH; i++) {
		b->iov[i].iov_base = b->slots[i];
		b->iov[i].iov_len = TS_SLOT;
		b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
		b->msgs[i].msg_hdr.msg_iovlen = 1;
		b->msgs[i].msg_hdr.msg_name = &b->from[i];
	}
}

/* Receive into slots [first, TS_BATCH) without blocking: how many, or
 * -EAGAIN, -ENOBUFS, another negative errno. */
static int
batch_receive(int fd, struct ts_batch *b, unsigned int first)
{
	unsigned int i;
	int n;

	for (i = first; i < TS_BATCH; i++)
		b->msgs[i].msg_hdr.msg_namelen = sizeof(b->from[i]);
	do {
		n = recvmmsg(fd, b->msgs + first, TS_BATCH - first,
			     MSG_DONTWAIT, NULL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n;
}

static int
send_request(int fd, const struct nlmsghdr *nlh)
{
	static const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t r;

	do {
		r = sendto(fd, nlh, nlh->nlmsg_len, 0,
			   (const struct sockaddr *)&kernel, sizeof(kernel));
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == (ssize_t)nlh->nlmsg_len ? 0 : -EIO;
}

/* Wait for the socket to become readable until deadline; 0 or -errno. */
static int
wait_readable(int fd, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t left = deadline - now_ms();

	if (left <= 0)
		return -ETIMEDOUT;
	if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

static int
family_attr(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
	    mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
		*(int *)data = mnl_attr_get_u16(attr);
	return MNL_CB_OK;
}

/*
 * Outside the initial network namespace the kernel accepts a listener
 * but sends its records to the port id in the initial namespace
 * (genlmsg_unicast(&init_net, ...)): to another program's socket, or to
 * nobody.  Refuse it before registering.  The proc connector's kernel
 * socket exists only in the initial namespace: elsewhere a message to it
 * fails with ECONNREFUSED (as relayfork_monitor_start() learns it).
 * Without the connector, compare with init's namespace where /proc lets
 * us; where nothing tells, go on.
 */
static int
check_network_namespace(void)
{
	static const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	/* Too short for a cn_msg: the connector drops it unread. */
	struct nlmsghdr nlh = { .nlmsg_len = sizeof(nlh),
				.nlmsg_type = NLMSG_NOOP };
	struct stat self, init;
	int fd, err = 0;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
		    KCN_NETLINK_CONNECTOR);
	if (fd >= 0) {
		if (sendto(fd, &nlh, sizeof(nlh), MSG_DONTWAIT,
			   (const struct sockaddr *)&kernel,
			   sizeof(kernel)) < 0)
			err = errno;
		close(fd);
		if (err == 0)
			return 0;
		if (err == ECONNREFUSED)
			return -ECONNREFUSED;
	}
	if (stat("/proc/self/ns/net", &self) == 0 &&
	    stat("/proc/1/ns/net", &init) == 0 &&
	    (self.st_ino != init.st_ino || self.st_dev != init.st_dev))
		return -ECONNREFUSED;
	return 0;
}

/*
 * CTRL_CMD_GETFAMILY "TASKSTATS".  Nothing else arrives on the socket
 * before we register, except datagrams forged by other processes.
 */
static int
resolve_family(struct relayfork_taskstats *ts)
{
	unsigned char buf[TS_SLOT] __attribute__((aligned(8)));
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	int64_t deadline;
	int r;

	/* The name's attribute is padded to 4 bytes, and libmnl 1.0.4
	 * does not zero the padding: the kernel would get stack bytes. */
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = ++ts->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, KTS_GENL_NAME);
	r = send_request(ts->fd, nlh);
	if (r < 0)
		return r;

	deadline = now_ms() + TS_ANSWER_TIMEOUT_MS;
	for (;;) {
		struct sockaddr_nl from;
		socklen_t fromlen = sizeof(from);
		int family = -1;
		ssize_t n;

		n = recvfrom(ts->fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return -errno;
			r = wait_readable(ts->fd, deadline);
			if (r < 0)
				return r;
			continue;
		}
		nlh = (struct nlmsghdr *)buf;
		if (from.nl_pid != 0 || !mnl_nlmsg_ok(nlh, (int)n) ||
		    nlh->nlmsg_seq != ts->seq) {
			ts->counters[RELAYFORK_TASKSTATS_FOREIGN]++;
			continue;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
				return -EPROTO;
			if (e->error == -ENOENT)
				return -EPROTONOSUPPORT; /* CONFIG_TASKSTATS */
			return e->error < 0 ? e->error : -EPROTO;
		}
		if (nlh->nlmsg_type != GENL_ID_CTRL ||
		    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*genl)))
			return -EPROTO;
		mnl_attr_parse(nlh, sizeof(*genl), family_attr, &family);
		if (family < NLMSG_MIN_TYPE)
			return -EPROTO;
		ts->family = (uint16_t)family;
		return 0;
	}
}

/* The CPUs that can ever exist, as the kernel lists them ("0-1"). */
static void
read_possible_cpus(char *mask, size_t size)
{
	FILE *f = fopen("/sys/devices/system/cpu/possible", "re");
	bool ok = false;

	if (f) {
		ok = fgets(mask, (int)size, f) != NULL;
		fclose(f);
	}
	if (ok) {
		mask[strcspn(mask, "\n")] = '\0';
		ok = mask[0] != '\0' &&
		     strspn(mask, "0123456789,-") == strlen(mask);
	}
	if (!ok) {
		/* No sysfs (a container): the configured CPUs. */
		long n = sysconf(_SC_NPROCESSORS_CONF);

		snprintf(mask, size, "0-%ld", n > 1 ? n - 1 : 0);
	}
}

static void
put_cpumask_request(struct relayfork_taskstats *ts, void *buf, size_t size,
		    uint16_t attr, uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	/* libmnl 1.0.4 leaves an attribute's alignment padding as it
	 * finds it: without this the kernel gets stack bytes. */
	memset(buf, 0, size);
	nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = ts->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++ts->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = KTS_CMD_GET;
	genl->version = KTS_GENL_VERSION;
	mnl_attr_put_strz(nlh, attr, ts->cpumask);
}

/* What datagram i of the batch says about our registration request. */
enum answer {
	ANSWER_NONE = 0,
	ANSWER_ACK = 1,	   /* our request's acknowledgement: success */
	ANSWER_RECORD = 2, /* an exit record: the kernel sends those only
			    * to listeners, but a stale listener of a
			    * closed socket with our port id would do */
};

/* An enum answer, or our request's error (a negative errno). */
static int
registration_answer(const struct relayfork_taskstats *ts, unsigned int i)
{
	const struct ts_batch *b = ts->batch;
	struct nlmsghdr nlh;
	int32_t error;

	if (b->msgs[i].msg_len < sizeof(nlh))
		return ANSWER_NONE;
	memcpy(&nlh, b->slots[i], sizeof(nlh));
	if (nlh.nlmsg_type == ts->family)
		return ANSWER_RECORD;
	if (nlh.nlmsg_type != NLMSG_ERROR || nlh.nlmsg_seq != ts->seq ||
	    b->msgs[i].msg_len < sizeof(nlh) + sizeof(error))
		return ANSWER_NONE;
	memcpy(&error, b->slots[i] + sizeof(nlh), sizeof(error));
	return error == 0 ? ANSWER_ACK : error < 0 ? error : -EPROTO;
}

/* Move datagram from slot `from` to slot `to` of the batch. */
static void
batch_move(struct ts_batch *b, unsigned int from, unsigned int to)
{
	memcpy(b->slots[to], b->slots[from], b->msgs[from].msg_len);
	b->msgs[to].msg_len = b->msgs[from].msg_len;
	b->msgs[to].msg_hdr.msg_flags = b->msgs[from].msg_hdr.msg_flags;
	b->msgs[to].msg_hdr.msg_namelen = b->msgs[from].msg_hdr.msg_namelen;
	b->from[to] = b->from[from];
}

/*
 * Register for the exit records of every possible CPU and wait for the
 * kernel's answer.  The kernel handles the request inside our send() and
 * queues its answer then; exit records can come before it (from other
 * CPUs meanwhile): they stay in the batch, in order, for receive, and
 * the acknowledgement is skipped there as a control message.
 */
static int
register_listener(struct relayfork_taskstats *ts)
{
	unsigned char buf[512] __attribute__((aligned(8)));
	struct ts_batch *b = ts->batch;
	bool records = false;
	int64_t deadline;
	int r;

	put_cpumask_request(ts, buf, sizeof(buf),
			    KTS_CMD_ATTR_REGISTER_CPUMASK, NLM_F_ACK);
	r = send_request(ts->fd, (struct nlmsghdr *)buf);
	if (r < 0)
		return r;

	deadline = now_ms() + TS_ANSWER_TIMEOUT_MS;
	ts->filled = ts->current = 0;
	for (;;) {
		unsigned int i, first = ts->filled;
		int n, answer = ANSWER_NONE;

		/* A whole batch of records before the answer (a storm on
		 * many CPUs): they are ours, the answer will be too. */
		if (first == TS_BATCH)
			return records ? 0 : -ENOBUFS;
		n = batch_receive(ts->fd, b, first);
		if (n == -EAGAIN || n == -ENOBUFS) {
			r = wait_readable(ts->fd, deadline);
			if (r < 0)
				return r;
			continue;
		}
		if (n < 0)
			return n;
		/* Keep the kernel's datagrams, packed and in order, also
		 * those after the answer in this read. */
		for (i = first; i < first + (unsigned int)n; i++) {
			int a;

			if (!from_kernel(b, i)) {
				ts->counters[RELAYFORK_TASKSTATS_FOREIGN]++;
				continue;
			}
			if (ts->filled != i)
				batch_move(b, i, ts->filled);
			a = registration_answer(ts, ts->filled);
			ts->filled++;
			if (a == ANSWER_RECORD)
				records = true;
			else if (a != ANSWER_NONE && answer == ANSWER_NONE)
				answer = a;
		}
		if (answer < 0)
			return answer;
		if (answer == ANSWER_ACK)
			return 0;
	}
}

static void
deregister_listener(struct relayfork_taskstats *ts)
{
	unsigned char buf[512] __attribute__((aligned(8)));

	/* No acknowledgement asked: nothing to wait for.  Without this
	 * the kernel would send to our port id until a send failed, and
	 * another socket may get that id meanwhile. */
	put_cpumask_request(ts, buf, sizeof(buf),
			    KTS_CMD_ATTR_DEREGISTER_CPUMASK, 0);
	(void)send_request(ts->fd, (struct nlmsghdr *)buf);
}

RELAYFORK_EXPORT struct relayfork_taskstats *
relayfork_taskstats_free(struct relayfork_taskstats *ts)
{
	if (!ts)
		return NULL;
	if (ts->fd >= 0) {
		if (ts->registered && ts->owner == getpid())
			deregister_listener(ts);
		close(ts->fd);
	}
	free(ts->batch);
	free(ts);
	return NULL;
}

RELAYFORK_EXPORT int
relayfork_taskstats_new(unsigned int flags, struct relayfork_taskstats **ret_ts)
{
	struct relayfork_taskstats *ts;
	bool namespaces_unknown;
	int r;

	return_if_fail(ret_ts, -EINVAL);
	return_if_fail(flags == 0, -EINVAL);

	/* The kernel refuses listeners outside the initial user and PID
	 * namespaces with EINVAL (and without CAP_NET_ADMIN there with
	 * EPERM first): tell it apart where /proc can. */
	r = environment_check_namespaces();
	if (r < 0)
		return r;
	namespaces_unknown = r > 0;
	r = check_network_namespace();
	if (r < 0)
		return r;

	ts = calloc(1, sizeof(*ts));
	if (!ts)
		return -ENOMEM;
	ts->fd = -1;
	ts->owner = getpid();
	ts->seq = (uint32_t)now_ms();
	ts->batch = malloc(sizeof(*ts->batch));
	if (!ts->batch) {
		relayfork_taskstats_free(ts);
		return -ENOMEM;
	}
	batch_init(ts->batch);
	r = socket_open_netlink(SOCK_RAW, NETLINK_GENERIC, &ts->fd);
	if (r == 0)
		r = resolve_family(ts);
	if (r < 0)
		goto fail;

	/* Before registering: no record may find the buffer small.  A
	 * failure is not fatal, the default buffer still works. */
	ts->rcvbuf_granted = socket_set_rcvbuf(ts->fd, TS_DEFAULT_RCVBUF);
	if (ts->rcvbuf_granted < 0)
		ts->rcvbuf_granted = socket_get_rcvbuf(ts->fd);
	/* Baseline: only drops after registering count. */
	(void)socket_get_drops(ts->fd, &ts->drops_seen);

	read_possible_cpus(ts->cpumask, sizeof(ts->cpumask));
	r = register_listener(ts);
	if (r == -EINVAL && namespaces_unknown)
		/* The mask is the kernel's own list of CPUs: the refusal
		 * is the namespaces'. */
		r = -EOPNOTSUPP;
	if (r < 0)
		goto fail;
	ts->registered = true;
	*ret_ts = ts;
	return 0;

fail:
	relayfork_taskstats_free(ts);
	return r;
}

RELAYFORK_EXPORT int
relayfork_taskstats_get_fd(struct relayfork_taskstats *ts)
{
	return_if_fail(ts, -EINVAL);
	return ts->fd;
}

RELAYFORK_EXPORT int
relayfork_taskstats_set_receive_buffer_size(struct relayfork_taskstats *ts,
					    size_t bytes)
{
	int r;

	return_if_fail(ts, -EINVAL);
	return_if_fail(bytes > 0, -EINVAL);
	if (ts->owner != getpid())
		return -ECHILD;
	r = socket_set_rcvbuf(ts->fd, bytes);
	if (r < 0)
		return r;
	ts->rcvbuf_granted = r;
	return r;
}

RELAYFORK_EXPORT uint64_t
relayfork_taskstats_get_counter(struct relayfork_taskstats *ts, int counter)
{
	return_if_fail(ts, 0);
	return_if_fail(counter >= 0 && counter < TS_COUNTERS, 0);
	return ts->counters[counter];
}

/*
 * After a receive that may have found the buffer full: did the kernel
 * drop records since the last look?  Drops happen only while the buffer
 * is full, and between two receives the queue only grows: a receive
 * that took less than a batch from a buffer that holds several found it
 * short of full, so nothing was dropped since the previous one.
 */
static void
check_drops(struct relayfork_taskstats *ts, int received)
{
	uint32_t drops;

	if (received > 0 && received < TS_BATCH &&
	    ts->rcvbuf_granted >= (int)TS_SMALL_BUFFER)
		return;
	if (socket_get_drops(ts->fd, &drops) < 0) {
		/* Kernels before 4.12: only ENOBUFS tells, without a
		 * count. */
		if (received < 0)
			ts->lost_unknown = true;
		return;
	}
	ts->lost_pending += (uint32_t)(drops - ts->drops_seen);
	ts->drops_seen = drops;
}

static bool
take_lost(struct relayfork_taskstats *ts, struct relayfork_usage *usage)
{
	if (!ts->lost_pending && !ts->lost_unknown)
		return false;
	memset(usage, 0, sizeof(*usage));
	usage->type = RELAYFORK_USAGE_LOST;
	usage->lost = ts->lost_pending;
	ts->counters[RELAYFORK_TASKSTATS_LOST] += ts->lost_pending;
	ts->lost_pending = 0;
	ts->lost_unknown = false;
	return true;
}

/* Step through the batch: true with *usage filled, false when it is
 * used up. */
static bool
next_from_batch(struct relayfork_taskstats *ts, struct relayfork_usage *usage)
{
	struct ts_batch *b = ts->batch;

	while (ts->current < ts->filled) {
		struct ts_decode_info info;
		int r;

		if (!ts->cursor_valid) {
			unsigned int i = ts->current;

			if (!from_kernel(b, i)) {
				ts->counters[RELAYFORK_TASKSTATS_FOREIGN]++;
				ts->current++;
				continue;
			}
			if (b->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				ts->counters[RELAYFORK_TASKSTATS_MALFORMED]++;
				ts->current++;
				continue;
			}
			ts_decode_init(&ts->cursor, b->slots[i],
				       b->msgs[i].msg_len);
			ts->cursor_valid = true;
		}

		r = ts_decode_next(&ts->cursor, ts->family, usage, &info);
		if (info.aggregate)
			ts->counters[RELAYFORK_TASKSTATS_AGGREGATES]++;
		switch (r) {
		case TS_DECODE_END:
			ts->cursor_valid = false;
			ts->current++;
			break;
		case TS_DECODE_RECORD:
			ts->counters[RELAYFORK_TASKSTATS_RECEIVED]++;
			return true;
		case TS_DECODE_AGGREGATE:
		case TS_DECODE_ACK:
		case TS_DECODE_CONTROL:
			/* Our registration's acknowledgement, if it came
			 * after records. */
			break;
		default:
			ts->counters[RELAYFORK_TASKSTATS_MALFORMED]++;
			break;
		}
	}
	return false;
}

RELAYFORK_EXPORT int
relayfork_taskstats_receive(struct relayfork_taskstats *ts,
			    struct relayfork_usage *usage)
{
	return_if_fail(ts && usage, -EINVAL);

	for (;;) {
		int n;

		if (next_from_batch(ts, usage))
			return 1;
		/* The batch is used up: a loss its read found comes now,
		 * before anything read later. */
		if (take_lost(ts, usage))
			return 1;
		ts->filled = ts->current = 0;
		ts->cursor_valid = false;
		n = batch_receive(ts->fd, ts->batch, 0);
		if (n > 0) {
			ts->filled = (unsigned int)n;
			check_drops(ts, n);
			continue;
		}
		if (n == -ENOBUFS) {
			/* Where the socket reports overflows. */
			check_drops(ts, n);
			continue;
		}
		if (n != -EAGAIN)
			return n;
		return take_lost(ts, usage) ? 1 : 0;
	}
}
