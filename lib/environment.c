// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>

#include "environment.h"
#include "procfs.h"

int
environment_check_namespaces(void)
{
	int user = procfs_namespace_is_initial("user");
	int pid = procfs_namespace_is_initial("pid");

	if (user == 0 || pid == 0)
		return -EOPNOTSUPP;
	return user < 0 || pid < 0 ? 1 : 0;
}

int
environment_check_proc_events(void)
{
	return procfs_has_cn_proc() == 0 ? -EPROTONOSUPPORT : 0;
}
