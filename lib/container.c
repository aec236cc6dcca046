// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What a cgroup path says of its processes: the names container runtimes
 * and systemd give the cgroups they make.  Pure; tests/test-container.c
 * lists the layouts and where each comes from.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "internal.h"

#define ID_LEN 64
#define UID_LEN 36

struct prefix {
	const char *name;
	enum relayfork_runtime runtime;
	unsigned int flags;
	/* The systemd driver's form ends in ".scope"; the cgroupfs
	 * driver's has no suffix. */
	bool bare;
};

/*
 * Longer prefixes before those they start with (libpod-conmon- before
 * libpod-).  cri-containerd- and docker- are only ever made by the
 * systemd driver; the cgroupfs drivers of docker and containerd name the
 * cgroup after the bare id (see plain_id below).
 */
static const struct prefix prefixes[] = {
	{ "docker-", RELAYFORK_RUNTIME_DOCKER, 0, false },
	{ "libpod-conmon-", RELAYFORK_RUNTIME_PODMAN,
	  RELAYFORK_CONTAINER_F_MONITOR, false },
	{ "libpod-", RELAYFORK_RUNTIME_PODMAN, 0, true },
	{ "cri-containerd-", RELAYFORK_RUNTIME_CONTAINERD, 0, false },
	{ "nerdctl-", RELAYFORK_RUNTIME_CONTAINERD, 0, false },
	{ "crio-conmon-", RELAYFORK_RUNTIME_CRIO, RELAYFORK_CONTAINER_F_MONITOR,
	  true },
	{ "crio-", RELAYFORK_RUNTIME_CRIO, 0, true },
};

static bool
is_hex_id(const char *s, size_t len)
{
	size_t i;

	if (len != ID_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool
ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

static void
set_id(struct relayfork_container *c, enum relayfork_runtime runtime,
       unsigned int flags, const char *id)
{
	c->runtime = runtime;
	c->flags = (c->flags & RELAYFORK_CONTAINER_F_TRUNCATED) | flags;
	memcpy(c->id, id, ID_LEN);
	c->id[ID_LEN] = '\0';
}

/* A runtime's own name for the cgroup: PREFIX ID [.scope]. */
static bool
match_prefixed(struct relayfork_container *c, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(prefixes); i++) {
		const struct prefix *p = &prefixes[i];
		size_t n = strlen(p->name);
		size_t idlen;

		if (len <= n || memcmp(s, p->name, n) != 0)
			continue;
		idlen = len - n;
		if (ends_with(s, len, ".scope"))
			idlen -= strlen(".scope");
		else if (!p->bare)
			continue;
		if (!is_hex_id(s + n, idlen))
			continue;
		set_id(c, p->runtime, p->flags, s + n);
		return true;
	}
	return false;
}

/*
 * A Kubernetes pod's cgroup: "podUID" (cgroupfs driver), or
 * "kubepods[-QOS]-podUID_WITH_UNDERSCORES.slice" (systemd driver, which
 * takes '-' for a step in the hierarchy, so the kubelet writes '_').
 */
static bool
match_pod(struct relayfork_container *c, const char *s, size_t len)
{
	char out[UID_LEN + 1];
	const char *uid = NULL;
	size_t i;

	if (ends_with(s, len, ".slice"))
		len -= strlen(".slice");
	if (len < 3 + UID_LEN)
		return false;
	if (len == 3 + UID_LEN && memcmp(s, "pod", 3) == 0)
		uid = s + 3;
	else if (memcmp(s + len - UID_LEN - 4, "-pod", 4) == 0)
		uid = s + len - UID_LEN;
	if (!uid)
		return false;
	for (i = 0; i < UID_LEN; i++) {
		char ch = uid[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (ch != '-' && ch != '_')
				return false;
			ch = '-';
		} else if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
			return false;
		}
		out[i] = ch;
	}
	out[UID_LEN] = '\0';
	memcpy(c->pod_uid, out, sizeof(out));
	return true;
}

static void
set_unit(struct relayfork_container *c, const char *s, size_t len)
{
	if (len >= sizeof(c->unit)) {
		len = sizeof(c->unit) - 1;
		c->flags |= RELAYFORK_CONTAINER_F_TRUNCATED;
	} else {
		c->flags &= ~(uint32_t)RELAYFORK_CONTAINER_F_TRUNCATED;
	}
	memcpy(c->unit, s, len);
	c->unit[len] = '\0';
}

RELAYFORK_EXPORT int
relayfork_cgroup_parse(const char *path, struct relayfork_container *ret)
{
	struct relayfork_container c;
	const char *s = path, *prev = NULL;
	size_t prev_len = 0;
	/* Under a kubepods cgroup; the previous component was a pod. */
	bool kube = false, after_pod = false;

	return_if_fail(path && ret, -EINVAL);
	memset(&c, 0, sizeof(c));
	while (*s) {
		size_t len = strcspn(s, "/");
		bool pod = false;

		if (len == 0) {
			s++;
			continue;
		}
		if (ends_with(s, len, ".service") || ends_with(s, len, ".scope"))
			set_unit(&c, s, len);
		if (memmem(s, len, "kubepods", 8))
			kube = true;
		if (kube && match_pod(&c, s, len))
			pod = true;
		else if (match_prefixed(&c, s, len))
			;
		else if (is_hex_id(s, len) && prev_len == 6 &&
			 memcmp(prev, "docker", 6) == 0)
			set_id(&c, RELAYFORK_RUNTIME_DOCKER, 0, s);
		else if (is_hex_id(s, len) && after_pod)
			set_id(&c, RELAYFORK_RUNTIME_KUBERNETES, 0, s);
		after_pod = pod;
		prev = s;
		prev_len = len;
		s += len;
	}
	*ret = c;
	return c.runtime != RELAYFORK_RUNTIME_NONE || c.pod_uid[0] || c.unit[0];
}

RELAYFORK_EXPORT const char *
relayfork_runtime_name(int runtime)
{
	switch (runtime) {
	case RELAYFORK_RUNTIME_NONE:
		return "";
	case RELAYFORK_RUNTIME_DOCKER:
		return "docker";
	case RELAYFORK_RUNTIME_PODMAN:
		return "podman";
	case RELAYFORK_RUNTIME_CONTAINERD:
		return "containerd";
	case RELAYFORK_RUNTIME_CRIO:
		return "cri-o";
	case RELAYFORK_RUNTIME_KUBERNETES:
		return "kubernetes";
	}
	return NULL;
}
