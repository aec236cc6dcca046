// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "storm-count.h"

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif
#define MEMINFO_DROPS 8
#define MEMINFO_VARS 9

enum {
	STATE_NONE = 0,
	STATE_WORKER = 1,
	STATE_TASK = 2,
};

static size_t
read_pid_max(void)
{
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");
	unsigned long v = 0;

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	/* PID_MAX_LIMIT on 64-bit kernels. */
	return v ? (size_t)v : 4194304u;
}

int
storm_count_init(struct storm_count *c, pid_t root)
{
	*c = (struct storm_count){ .root = root };
	if (root <= 0)
		return 0;
	c->pid_max = read_pid_max();
	c->state = calloc(c->pid_max, 1);
	return c->state ? 0 : -ENOMEM;
}

void
storm_count_free(struct storm_count *c)
{
	free(c->state);
	c->state = NULL;
}

static unsigned char
state_of(const struct storm_count *c, pid_t pid)
{
	if (pid <= 0 || (size_t)pid >= c->pid_max)
		return STATE_NONE;
	return c->state[pid];
}

static void
set_state(struct storm_count *c, pid_t pid, unsigned char state)
{
	if (pid > 0 && (size_t)pid < c->pid_max)
		c->state[pid] = state;
}

void
storm_count_fork(struct storm_count *c, pid_t pid, pid_t tgid,
		 pid_t parent_tgid)
{
	c->events++;
	if (!c->state)
		return;
	if (parent_tgid == c->root && pid == tgid) {
		set_state(c, pid, STATE_WORKER);
		c->forks++;
	} else if (state_of(c, parent_tgid) == STATE_WORKER ||
		   (pid != tgid && state_of(c, tgid) == STATE_WORKER)) {
		set_state(c, pid, STATE_TASK);
		c->forks++;
	}
}

void
storm_count_exec(struct storm_count *c, pid_t pid)
{
	c->events++;
	if (c->state && state_of(c, pid) == STATE_TASK)
		c->execs++;
}

void
storm_count_exit(struct storm_count *c, pid_t pid, pid_t tgid,
		 pid_t parent_tgid)
{
	c->events++;
	if (!c->state || pid == c->root)
		return;
	if (state_of(c, pid) != STATE_NONE) {
		set_state(c, pid, STATE_NONE);
		c->exits++;
	} else if (parent_tgid == c->root ||
		   state_of(c, parent_tgid) == STATE_WORKER ||
		   (pid != tgid && state_of(c, tgid) == STATE_WORKER)) {
		c->exits++;
	}
}

void
storm_count_other(struct storm_count *c)
{
	c->events++;
}

void
storm_count_report(const struct storm_count *c, long long drops, FILE *f)
{
	fprintf(f,
		"result events=%llu storm_events=%llu forks=%llu execs=%llu "
		"exits=%llu lost=%llu lost_reports=%llu drops=%lld\n",
		(unsigned long long)c->events,
		(unsigned long long)(c->forks + c->execs + c->exits),
		(unsigned long long)c->forks, (unsigned long long)c->execs,
		(unsigned long long)c->exits, (unsigned long long)c->lost,
		(unsigned long long)c->lost_reports, drops < 0 ? -1 : drops);
	fflush(f);
}

long long
socket_drops(int fd)
{
	uint32_t meminfo[MEMINFO_VARS] = { 0 };
	socklen_t len = sizeof(meminfo);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, meminfo, &len) < 0 ||
	    len <= MEMINFO_DROPS * sizeof(uint32_t))
		return -1;
	return meminfo[MEMINFO_DROPS];
}

int
listener_options(int argc, char **argv, const char *name, pid_t *ret_root,
		 int *ret_fork_only)
{
	int opt;

	*ret_root = 0;
	*ret_fork_only = 0;
	while ((opt = getopt(argc, argv, "p:fh")) != -1) {
		switch (opt) {
		case 'p':
			*ret_root = (pid_t)strtol(optarg, NULL, 10);
			break;
		case 'f':
			*ret_fork_only = 1;
			break;
		default:
			fprintf(opt == 'h' ? stdout : stderr,
				"usage: %s [-p STORM_PID] [-f]\n"
				"  -p  count the events of the storm whose root "
				"process is STORM_PID\n"
				"  -f  subscribe to fork events only\n"
				"Prints \"ready\" once subscribed and a result "
				"line on SIGINT or SIGTERM.\n",
				name);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument\n", name);
		return -1;
	}
	return 0;
}

static volatile sig_atomic_t *stop_flag;

static void
on_signal(int signo)
{
	*stop_flag = 1;
}

void
listener_catch_signals(volatile sig_atomic_t *flag)
{
	struct sigaction sa = { .sa_handler = on_signal };

	stop_flag = flag;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
