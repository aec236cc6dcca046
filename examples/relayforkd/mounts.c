// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mounts.h"

int
mountpoint_canonicalize(const char *path, char *ret, size_t size)
{
	char buf[PATH_MAX], parent[PATH_MAX], *slash;
	const char *base;
	size_t len;

	if (path[0] != '/')
		return -EINVAL;
	if (realpath(path, parent)) {
		if (strlen(parent) >= size)
			return -ENAMETOOLONG;
		strcpy(ret, parent);
		return 0;
	}
	/* A dead FUSE mount answers ENOTCONN; a new mount point, ENOENT. */
	if (errno != ENOENT && errno != ENOTCONN)
		return -errno;
	len = strlen(path);
	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	slash = strrchr(buf, '/');
	base = slash + 1;
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return -EINVAL;
	*slash = '\0';
	if (!realpath(buf[0] ? buf : "/", parent))
		return -errno;
	if ((size_t)snprintf(ret, size, "%s/%s",
			     strcmp(parent, "/") == 0 ? "" : parent,
			     base) >= size)
		return -ENAMETOOLONG;
	return 0;
}

void
mountinfo_unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
					(s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/*
 * A mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS
 * [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS".  Points *mnt and *fstype
 * into line (changed in place).  0 or -EINVAL.
 */
static int
parse_mountinfo_line(char *line, char **mnt, char **fstype)
{
	char *save = NULL, *tok, *sep;
	int field;

	sep = strstr(line, " - ");
	if (!sep)
		return -EINVAL;
	*sep = '\0';
	tok = strtok_r(line, " ", &save);
	for (field = 1; tok && field < 5; field++)
		tok = strtok_r(NULL, " ", &save);
	if (!tok)
		return -EINVAL;
	*mnt = tok;
	*fstype = strtok_r(sep + 3, " \n", &save);
	if (!*fstype)
		return -EINVAL;
	mountinfo_unescape(*mnt);
	return 0;
}

int
mountinfo_find(const char *path, char *ret_fstype, size_t size)
{
	char *line = NULL, *mnt, *fstype;
	size_t cap = 0;
	int found = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -errno;
	/* Stacked mounts are listed bottom first: the last one wins. */
	while (getline(&line, &cap, f) > 0) {
		if (parse_mountinfo_line(line, &mnt, &fstype) < 0 ||
		    strcmp(mnt, path) != 0)
			continue;
		snprintf(ret_fstype, size, "%s", fstype);
		found = 1;
	}
	free(line);
	fclose(f);
	return found;
}
