// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "environment.h"

/* include/linux/proc_ns.h: the initial namespaces' fixed inode numbers,
 * stable since Linux 3.8. */
#define PROC_USER_INIT_INO 0xEFFFFFFDu
#define PROC_PID_INIT_INO 0xEFFFFFFCu

static int
namespace_is_initial(const char *path, unsigned long ino)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1; /* unknown */
	return st.st_ino == ino;
}

int
environment_check_namespaces(void)
{
	if (namespace_is_initial("/proc/self/ns/user", PROC_USER_INIT_INO) == 0 ||
	    namespace_is_initial("/proc/self/ns/pid", PROC_PID_INIT_INO) == 0)
		return -EOPNOTSUPP;
	return 0;
}

int
environment_check_proc_events(void)
{
	char line[256];
	FILE *f;
	int found = 0;

	f = fopen("/proc/net/connector", "re");
	if (!f)
		return 0; /* other netns, or no /proc: the kernel will say */
	while (!found && fgets(line, sizeof(line), f))
		found = strncmp(line, "cn_proc", 7) == 0;
	fclose(f);
	return found ? 0 : -EPROTONOSUPPORT;
}
