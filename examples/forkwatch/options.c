// SPDX-License-Identifier: LGPL-2.1-or-later
/* The command line, and the parsers for its values. */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forkwatch.h"
#include "parse-size.h"

/*
 * Summaries are for people and for scripts that sample: a dozen lines
 * each, ten a second is already more than anyone reads.  Below that a
 * timer would print summaries faster than events come (1e-9 printed
 * tens of thousands a second) and take the time from the events.
 */
#define STATS_INTERVAL_MIN 0.1

/* --metrics without --stats-interval: Prometheus's default scrape
 * interval, so that a scrape is never much older than the file. */
#define METRICS_INTERVAL 15.0

/* -e names, as library event masks; "thread" is not an event type. */
static const struct {
	const char *name;
	uint32_t mask;
	bool threads;
} event_names[] = {
	{ "fork", RELAYFORK_EVENTS_FORK, false },
	{ "exec", RELAYFORK_EVENTS_EXEC, false },
	{ "exit", RELAYFORK_EVENTS_EXIT, false },
	{ "failure", RELAYFORK_EVENTS_EXIT_FAILURE, false },
	{ "uid", RELAYFORK_EVENTS_UID, false },
	{ "gid", RELAYFORK_EVENTS_GID, false },
	{ "sid", RELAYFORK_EVENTS_SID, false },
	{ "ptrace", RELAYFORK_EVENTS_PTRACE, false },
	{ "comm", RELAYFORK_EVENTS_COMM, false },
	{ "coredump", RELAYFORK_EVENTS_COREDUMP, false },
	{ "thread", 0, true },
	{ "all", RELAYFORK_EVENTS_ALL, true },
};

int
parse_events(const char *list, struct selection *ret)
{
	struct selection sel = { 0 };
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ",");
		size_t i;
		bool found = false;

		for (i = 0; i < sizeof(event_names) / sizeof(event_names[0]); i++) {
			if (strlen(event_names[i].name) == len &&
			    strncmp(event_names[i].name, p, len) == 0) {
				sel.mask |= event_names[i].mask;
				sel.threads |= event_names[i].threads;
				found = true;
			}
		}
		if (!found)
			return -EINVAL;
		p += len;
		if (*p == ',' && *++p == '\0')
			return -EINVAL; /* a trailing comma */
	}
	if (sel.mask == 0 && !sel.threads)
		return -EINVAL;
	/* Threads hidden: the library drops them (and keeps, of a
	 * process's exits, the one that ends it). */
	if (!sel.threads)
		sel.mask |= RELAYFORK_EVENTS_SKIP_THREADS;
	*ret = sel;
	return 0;
}

int
parse_seconds(const char *s, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v <= 0 ||
	    v > 365.0 * 86400)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int
parse_unsigned(const char *s, unsigned long long max, unsigned long long *ret)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL; /* strtoull would take "-1" and " 1" */
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || v > max)
		return -EINVAL;
	*ret = v;
	return (int)(end - s);
}

int
parse_count(const char *s, uint64_t *ret)
{
	unsigned long long v;
	int n = parse_unsigned(s, UINT64_MAX, &v);

	if (n < 0 || s[n] != '\0' || v == 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

int
parse_pid(const char *s, pid_t *ret)
{
	unsigned long long v;
	int n = parse_unsigned(s, INT_MAX, &v);

	if (n < 0 || s[n] != '\0' || v == 0)
		return -EINVAL;
	*ret = (pid_t)v;
	return 0;
}

int
parse_user(const char *s, uid_t *ret)
{
	unsigned long long v;
	struct passwd *pw;
	int n = parse_unsigned(s, UINT32_MAX - 1, &v);

	if (n > 0 && s[n] == '\0') {
		*ret = (uid_t)v;
		return 0;
	}
	if (*s == '\0')
		return -EINVAL;
	pw = getpwnam(s);
	if (!pw)
		return -EINVAL;
	*ret = pw->pw_uid;
	return 0;
}

/*
 * Shorter prefixes match many containers at once, and "a" or "0" would
 * match a sixteenth of them: docker takes any unique prefix, but an
 * event filter cannot ask which are unique, so it wants a few digits.
 */
#define CONTAINER_PREFIX_MIN 4

int
parse_container_id(const char *s, char *buf, size_t size)
{
	size_t len = strlen(s), i;

	if (len < CONTAINER_PREFIX_MIN || len > 64 || len >= size)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -EINVAL;
		buf[i] = c;
	}
	buf[len] = '\0';
	return 0;
}

static bool
has_suffix(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len > n && memcmp(s + len - n, suffix, n) == 0;
}

/* As systemctl does: a name that is not a service's or a scope's is
 * taken for a service's ("sshd" is sshd.service).  Only services and
 * scopes hold processes. */
int
parse_unit(const char *s, char *buf, size_t size)
{
	size_t len = strlen(s);
	bool bare = !has_suffix(s, len, ".service") &&
		    !has_suffix(s, len, ".scope");

	if (len == 0 || strchr(s, '/') || len + (bare ? 8 : 0) >= size)
		return -EINVAL;
	snprintf(buf, size, "%s%s", s, bare ? ".service" : "");
	return 0;
}

int
parse_cgroup(const char *s)
{
	return s[0] == '/' ? 0 : -EINVAL;
}

/* Thread-level: the fork of a thread, an exit that ends no process (a
 * thread's, or a main thread's that left before the others). */
static bool
thread_event(const struct relayfork_event *ev)
{
	if (ev->type == RELAYFORK_EVENT_FORK)
		return ev->flags & RELAYFORK_EVENT_F_THREAD;
	if (ev->type == RELAYFORK_EVENT_EXIT)
		return !(ev->flags & RELAYFORK_EVENT_F_PROCESS_END);
	return false;
}

uint32_t
selection_mask(const struct selection *sel)
{
	uint32_t mask = sel->mask;

	if (sel->threads)
		mask |= RELAYFORK_EVENTS_FORK | RELAYFORK_EVENTS_EXIT;
	return mask;
}

bool
selection_shows(const struct selection *sel, const struct relayfork_event *ev)
{
	return relayfork_event_match(ev, sel->mask) ||
	       (sel->threads && thread_event(ev));
}

void
options_usage(FILE *out)
{
	fputs("Usage: forkwatch [OPTION...]\n"
	      "Watch process events live: forks, execs, exits and more.\n"
	      "\n"
	      "Events:\n"
	      "  -e, --events LIST      comma-separated: fork, exec, exit, failure\n"
	      "                         (processes that end with a non-zero status),\n"
	      "                         uid, gid, sid, ptrace, comm, coredump, thread\n"
	      "                         (forks and exits of threads, main threads\n"
	      "                         that leave first), all; the default is\n"
	      "                         everything but thread\n"
	      "Filters:\n"
	      "  -p, --pid PID          events of that process (and the forks it makes)\n"
	      "  -t, --tree PID         that process and all its descendants, followed\n"
	      "                         through forks as they happen\n"
	      "  -u, --uid USER         processes of that user (name or number)\n"
	      "  -c, --comm PATTERN     processes whose name matches (shell pattern)\n"
	      "      --cgroup PATH      processes in that cgroup or below it (as in\n"
	      "                         /proc/PID/cgroup, or under the cgroup2 mount)\n"
	      "      --container ID     processes of containers whose id starts with ID\n"
	      "                         (at least 4 hex digits)\n"
	      "      --unit NAME        processes of that systemd unit (a service or a\n"
	      "                         scope; NAME without a suffix is NAME.service)\n"
	      "Output:\n"
	      "  -j, --json             one JSON object per line\n"
	      "  -C, --attribution      show each process's container or unit, cgroup\n"
	      "                         and PID namespace (implied by the three above)\n"
	      "      --no-color         no colours, even on a terminal\n"
	      "  -S, --stats            print a summary at exit\n"
	      "      --stats-interval SECONDS\n"
	      "                         and one every SECONDS (at least 0.1)\n"
	      "  -q, --quiet            no per-event lines; implies --stats\n"
	      "      --journal          each event as a journal entry with fields,\n"
	      "                         instead of a line\n"
	      "      --metrics FILE     counters for Prometheus (node_exporter's textfile\n"
	      "                         collector), rewritten every --stats-interval\n"
	      "                         (default 15 s) and at exit\n"
	      "Stopping:\n"
	      "  -d, --duration SECONDS stop after this long\n"
	      "  -n, --count N          stop after N events\n"
	      "Other:\n"
	      "  -b, --buffer SIZE      receive buffer, e.g. 8M (default 8M)\n"
	      "      --check            say whether process events work here, and why not\n"
	      "  -h, --help             show this help\n"
	      "  -V, --version          show the version\n"
	      "\n"
	      "Exit status: 0 success, 1 error, 2 usage error.\n",
	      out);
}

enum {
	OPT_NO_COLOR = 256,
	OPT_STATS_INTERVAL,
	OPT_CHECK,
	OPT_JOURNAL,
	OPT_METRICS,
	OPT_CGROUP,
	OPT_CONTAINER,
	OPT_UNIT,
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("forkwatch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'forkwatch --help'.\n", stderr);
	return 2;
}

int
options_parse(int argc, char **argv, struct config *cfg)
{
	static const struct option longopts[] = {
		{ "events", required_argument, NULL, 'e' },
		{ "pid", required_argument, NULL, 'p' },
		{ "tree", required_argument, NULL, 't' },
		{ "uid", required_argument, NULL, 'u' },
		{ "comm", required_argument, NULL, 'c' },
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "container", required_argument, NULL, OPT_CONTAINER },
		{ "unit", required_argument, NULL, OPT_UNIT },
		{ "json", no_argument, NULL, 'j' },
		{ "attribution", no_argument, NULL, 'C' },
		{ "no-color", no_argument, NULL, OPT_NO_COLOR },
		{ "stats", no_argument, NULL, 'S' },
		{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
		{ "quiet", no_argument, NULL, 'q' },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ "buffer", required_argument, NULL, 'b' },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "journal", no_argument, NULL, OPT_JOURNAL },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	bool no_color = false, interval_given = false;
	int c;

	*cfg = (struct config){ .show = { .mask = RELAYFORK_EVENTS_ALL |
						   RELAYFORK_EVENTS_SKIP_THREADS } };
	/* 0, not 1: getopt starts over completely (the fuzzer parses many
	 * command lines in one process). */
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":e:p:t:u:c:jCSqd:n:b:hV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'e':
			if (parse_events(optarg, &cfg->show) < 0)
				return usage_error("unknown event list '%s'",
						   optarg);
			break;
		case 'p':
			if (parse_pid(optarg, &cfg->pid) < 0)
				return usage_error("--pid takes a process id, "
						   "not '%s'", optarg);
			break;
		case 't':
			if (parse_pid(optarg, &cfg->tree) < 0)
				return usage_error("--tree takes a process id, "
						   "not '%s'", optarg);
			break;
		case 'u':
			if (parse_user(optarg, &cfg->uid) < 0)
				return usage_error("no such user '%s'", optarg);
			cfg->have_uid = true;
			break;
		case 'c':
			if (*optarg == '\0')
				return usage_error("--comm takes a pattern");
			cfg->comm = optarg;
			break;
		case OPT_CGROUP:
			if (parse_cgroup(optarg) < 0)
				return usage_error("--cgroup takes an absolute path "
						   "such as /system.slice/foo.service, "
						   "not '%s'", optarg);
			cfg->cgroup = optarg;
			cfg->attribution = true;
			break;
		case OPT_CONTAINER:
			if (parse_container_id(optarg, cfg->container,
					       sizeof(cfg->container)) < 0)
				return usage_error("--container takes 4 to 64 hex "
						   "digits of a container id, not "
						   "'%s'", optarg);
			cfg->attribution = true;
			break;
		case OPT_UNIT:
			if (parse_unit(optarg, cfg->unit, sizeof(cfg->unit)) < 0)
				return usage_error("--unit takes a unit name such as "
						   "sshd.service, not '%s'", optarg);
			cfg->attribution = true;
			break;
		case 'j':
			cfg->json = true;
			break;
		case 'C':
			cfg->attribution = true;
			break;
		case OPT_NO_COLOR:
			no_color = true;
			break;
		case 'S':
			cfg->stats = true;
			break;
		case OPT_STATS_INTERVAL:
			if (parse_seconds(optarg, &cfg->stats_interval) < 0)
				return usage_error("--stats-interval takes a "
						   "number of seconds, not '%s'",
						   optarg);
			if (cfg->stats_interval < STATS_INTERVAL_MIN)
				return usage_error("--stats-interval must be at "
						   "least %g seconds, not '%s'",
						   STATS_INTERVAL_MIN, optarg);
			interval_given = true;
			break;
		case 'q':
			cfg->quiet = true;
			cfg->stats = true;
			break;
		case 'd':
			if (parse_seconds(optarg, &cfg->duration) < 0)
				return usage_error("--duration takes a number of "
						   "seconds, not '%s'", optarg);
			break;
		case 'n':
			if (parse_count(optarg, &cfg->count) < 0)
				return usage_error("--count takes a positive "
						   "number, not '%s'", optarg);
			break;
		case 'b':
			if (parse_size(optarg, &cfg->buffer) < 0)
				return usage_error("--buffer takes a size such as "
						   "8M, at most 1023M, not '%s'",
						   optarg);
			break;
		case OPT_CHECK:
			cfg->check = true;
			break;
		case OPT_JOURNAL:
			if (!JOURNAL_BUILT) {
				fputs("forkwatch: --journal: this forkwatch was "
				      "built without libsystemd\n", stderr);
				return 1;
			}
			cfg->journal = true;
			break;
		case OPT_METRICS:
			if (*optarg == '\0')
				return usage_error("--metrics takes a file name");
			cfg->metrics = optarg;
			break;
		case 'h':
			options_usage(stdout);
			return 0;
		case 'V':
			printf("forkwatch %s\n", RELAYFORK_VERSION);
			return 0;
		case ':':
			return usage_error("option '%s' needs a value",
					   argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (cfg->pid && cfg->tree)
		return usage_error("--pid and --tree exclude each other");
	if (cfg->journal && cfg->quiet)
		return usage_error("--journal and --quiet exclude each other");
	/* The interval is the summaries', or, with --metrics, the file's:
	 * an agent writing metrics prints no summaries unless asked. */
	if (interval_given && !cfg->metrics)
		cfg->stats = true;
	if (cfg->metrics && !interval_given)
		cfg->stats_interval = METRICS_INTERVAL;
	cfg->color = !no_color && !cfg->json && isatty(STDOUT_FILENO) &&
		     !getenv("NO_COLOR");
	return -1;
}
