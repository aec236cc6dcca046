// SPDX-License-Identifier: LGPL-2.1-or-later
/* The programs' standard descriptors and write errors. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "output.h"

int
hold_standard_fds(void)
{
	int fd, r = 0;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lowest free number: fd, those below are open. */
		if (open("/dev/null", O_RDONLY) < 0)
			return -errno;
		r |= 1 << fd;
	}
	return r;
}

int
stream_error(FILE *f)
{
	errno = 0;
	if (fflush(f) == 0 && !ferror(f))
		return 0;
	/* stdio failed in an earlier, implicit write; its errno is gone. */
	return errno ? -errno : -EIO;
}
