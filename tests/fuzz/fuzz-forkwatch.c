// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * forkwatch's option values and whole command lines, as arbitrary
 * bytes: the input is split at NUL bytes into argv.
 */
/* The checks below are the point: never compile them out. */
#undef NDEBUG
#include <assert.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forkwatch.h"
#include "parse-size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int devnull = -1;
	int saved, saved_out;
	char *copy = malloc(size + 1), *argv[34];
	struct config cfg;
	struct selection show;
	uint64_t count;
	double secs;
	size_t bytes, i;
	pid_t pid;
	char id[65], unit[256];
	int argc = 1, r;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';

	if (parse_events(copy, &show) == 0) {
		uint32_t mask = selection_mask(&show);

		/* What it asks of the library is a valid mask. */
		assert((mask & RELAYFORK_EVENTS_ALL) ||
		       (mask & RELAYFORK_EVENTS_EXIT_FAILURE));
		assert(!(mask & ~(uint32_t)(RELAYFORK_EVENTS_ALL |
					    RELAYFORK_EVENTS_EXIT_FAILURE |
					    RELAYFORK_EVENTS_SKIP_THREADS)));
	}
	if (parse_seconds(copy, &secs) == 0)
		assert(secs > 0);
	if (parse_count(copy, &count) == 0)
		assert(count > 0);
	if (parse_size(copy, &bytes) == 0)
		assert(bytes > 0);
	if (parse_pid(copy, &pid) == 0)
		assert(pid > 0);
	if (parse_container_id(copy, id, sizeof(id)) == 0) {
		/* What is compared with the runtimes' ids: lower-case hex. */
		assert(strlen(id) >= 4 && strlen(id) <= 64);
		assert(strspn(id, "0123456789abcdef") == strlen(id));
	}
	if (parse_unit(copy, unit, sizeof(unit)) == 0) {
		size_t n = strlen(unit);

		assert(!strchr(unit, '/'));
		assert((n > 8 && strcmp(unit + n - 8, ".service") == 0) ||
		       (n > 6 && strcmp(unit + n - 6, ".scope") == 0));
	}

	/* A whole command line; --uid is left out (it asks NSS). */
	argv[0] = "forkwatch";
	for (i = 0; i <= size && argc < 33; i += strlen(copy + i) + 1)
		argv[argc++] = copy + i;
	argv[argc] = NULL;
	for (i = 1; i < (size_t)argc; i++)
		if (strncmp(argv[i], "-u", 2) == 0 ||
		    strncmp(argv[i], "--u", 3) == 0)
			goto out;
	/* Usage errors and --help go to stderr and stdout: away with
	 * them, but only for the call, so that the fuzzer's own reports
	 * still show. */
	if (devnull < 0)
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	saved_out = dup(STDOUT_FILENO);
	saved = dup(STDERR_FILENO);
	dup2(devnull, STDOUT_FILENO);
	dup2(devnull, STDERR_FILENO);
	r = options_parse(argc, argv, &cfg);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved, STDERR_FILENO);
	close(saved_out);
	close(saved);
	assert(r == -1 || r == 0 || r == 2);
	if (r == -1)
		assert(!(cfg.pid && cfg.tree));
out:
	free(copy);
	return 0;
}
