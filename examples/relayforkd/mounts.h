/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mount point as the kernel sees it.  mount(2) resolves the path it
 * is given to a directory, and /proc/self/mountinfo lists that
 * directory's canonical path with white space and backslashes escaped
 * in octal.  The same directory spelled another way ("/run/relayfork/",
 * "//run/relayfork", through a symbolic link) or with a space in its
 * name ("a\040b" in mountinfo) is still the same mount point.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * The canonical form of an absolute path: symbolic links, ".", ".." and
 * repeated or trailing slashes resolved, as realpath(3) does.  When the
 * last component cannot be resolved (it does not exist yet, or it is a
 * mount its daemon left dead), its parent is resolved and the name
 * appended.  0, or a negative errno.
 */
int mountpoint_canonicalize(const char *path, char *ret, size_t size);

/* Undo mountinfo's octal escapes (\040 \011 \012 \134) in place. */
void mountinfo_unescape(char *s);

/*
 * The file system type of the mount on top at path (canonical), from
 * /proc/self/mountinfo: 1 with ret_fstype set, 0 if nothing is mounted
 * there, or a negative errno.
 */
int mountinfo_find(const char *path, char *ret_fstype, size_t size);
