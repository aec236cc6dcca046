// SPDX-License-Identifier: LGPL-2.1-or-later
/* What may be written to relayforkd's files, as arbitrary bytes. */
/* The checks below are the point: never compile them out. */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pid_request req[PARSE_MAX_REQUESTS];
	int n, signo, i;

	n = parse_processes((const char *)data, size, 4194304, req,
			    PARSE_MAX_REQUESTS);
	assert(n == -22 /* -EINVAL */ || (n > 0 && n <= PARSE_MAX_REQUESTS));
	for (i = 0; i < n; i++)
		assert(req[i].pid > 0 && req[i].pid <= 4194304);
	if (parse_signal((const char *)data, size, &signo) == 0)
		assert(signo >= 0);
	return 0;
}
