// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Where each process belongs (-C, --cgroup, --container, --unit): the
 * library's attribution table, fed every event, and how its answers
 * are matched and shown.  Cgroup names are chosen by whoever made the
 * cgroup (a container runtime, a user's session manager): shown escaped.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "forkwatch.h"
#include "procfs.h"

/* What the column shows of a container id: as much as docker ps does. */
#define SHORT_ID 12
#define COLUMN_WIDTH 20

void
attribution_free(struct attribution *a)
{
	a->table = relayfork_attribution_free(a->table);
}

/*
 * --cgroup as /proc/PID/cgroup would show it: a path under the cgroup2
 * mount point loses the mount point, so that both spellings of one
 * cgroup are one filter.  A cgroup that does not exist yet is accepted:
 * systemd makes a service's when it starts.
 */
static int
set_cgroup(struct attribution *a, const char *path, const char *mount)
{
	size_t mlen = strlen(mount), len;

	if (strncmp(path, mount, mlen) == 0 &&
	    (path[mlen] == '\0' || path[mlen] == '/'))
		path += mlen;
	else if (strncmp(path, "/sys/fs/cgroup", 14) == 0 &&
		 (path[14] == '\0' || path[14] == '/')) {
		/* A cgroup v1 hierarchy's, on a hybrid host. */
		fprintf(stderr, "forkwatch: --cgroup %s: not in the cgroup v2 "
				"hierarchy, which is mounted at %s\n"
				"Try 'forkwatch --help'.\n", path, mount);
		return -EINVAL;
	}
	len = strlen(path);
	while (len > 0 && path[len - 1] == '/')
		len--;
	if (len >= sizeof(a->cgroup)) {
		fprintf(stderr, "forkwatch: --cgroup: the path is too long\n");
		return -EINVAL;
	}
	memcpy(a->cgroup, path, len);
	a->cgroup[len] = '\0';
	a->have_cgroup = true;
	return 0;
}

int
attribution_setup(struct attribution *a, const struct config *cfg)
{
	char mount[512];
	int r;

	*a = (struct attribution){
		.container = cfg->container[0] ? cfg->container : NULL,
		.unit = cfg->unit[0] ? cfg->unit : NULL,
	};
	if (cfg->cgroup || a->container || a->unit) {
		/* Without cgroup v2 every process's cgroup is unknown:
		 * filters on it would silently match nothing. */
		r = procfs_find_mount("cgroup2", mount, sizeof(mount));
		if (r < 0) {
			fprintf(stderr, "forkwatch: --cgroup, --container and "
					"--unit need the cgroup v2 hierarchy: %s\n",
				r == -ENOENT ? "not mounted here" : strerror(-r));
			return 1;
		}
		if (cfg->cgroup && set_cgroup(a, cfg->cgroup, mount) < 0)
			return 2;
	}
	return relayfork_attribution_new(0, &a->table);
}

const struct relayfork_attribution_info *
attribution_follow(struct attribution *a, const struct relayfork_event *ev)
{
	/* -ENOMEM only: the process is then not known, which is said. */
	if (relayfork_attribution_handle(a->table, ev) <= 0)
		return NULL;
	if (relayfork_attribution_get(a->table, ev->tgid, &a->info) < 0)
		return NULL;
	return &a->info;
}

/* The runtime's monitor (conmon) runs on the host, not in the
 * container: it is not the container's. */
static bool
in_container(const struct relayfork_attribution_info *info)
{
	return info->container.runtime != RELAYFORK_RUNTIME_NONE &&
	       !(info->container.flags & RELAYFORK_CONTAINER_F_MONITOR);
}

bool
attribution_matches(const struct attribution *a,
		    const struct relayfork_attribution_info *info)
{
	size_t len;

	if (!a->have_cgroup && !a->container && !a->unit)
		return true;
	if (!info)
		return false;
	if (a->have_cgroup) {
		len = strlen(a->cgroup);
		if (!info->cgroup[0] || strncmp(info->cgroup, a->cgroup, len) != 0 ||
		    (info->cgroup[len] != '\0' && info->cgroup[len] != '/'))
			return false;
	}
	if (a->container &&
	    (!in_container(info) ||
	     strncmp(info->container.id, a->container, strlen(a->container)) != 0))
		return false;
	if (a->unit && strcmp(info->container.unit, a->unit) != 0)
		return false;
	return true;
}

void
attribution_print_header(FILE *out)
{
	fprintf(out, "%-*s ", COLUMN_WIDTH, "CONTAINER/UNIT");
}

/* The column: runtime:short-id for a container, else the unit. */
void
attribution_print_column(FILE *out, const struct relayfork_attribution_info *info)
{
	const char *runtime;
	size_t width = 1;

	if (info && in_container(info)) {
		runtime = relayfork_runtime_name((int)info->container.runtime);
		width = text_escape(out, runtime, strlen(runtime));
		fputc(':', out);
		width += 1 + text_escape(out, info->container.id,
					 strnlen(info->container.id, SHORT_ID));
	} else if (info && info->container.unit[0]) {
		width = text_escape(out, info->container.unit,
				    strlen(info->container.unit));
	} else {
		fputc('-', out);
	}
	fprintf(out, "%*s ", width < COLUMN_WIDTH ? (int)(COLUMN_WIDTH - width) : 0,
		"");
}

static void
json_string(FILE *out, const char *s)
{
	fputc('"', out);
	json_escape(out, s, strlen(s));
	fputc('"', out);
}

void
attribution_print_json(FILE *out, const struct relayfork_attribution_info *info)
{
	const struct relayfork_container *c = info ? &info->container : NULL;

	if (!info) {
		fputs(",\"cgroup\":null,\"container\":null,\"unit\":null,"
		      "\"ns_pid\":null,\"pidns\":null", out);
		return;
	}
	fputs(",\"cgroup\":", out);
	if (info->cgroup[0])
		json_string(out, info->cgroup);
	else
		fputs("null", out);
	fputs(",\"container\":", out);
	if (c->runtime != RELAYFORK_RUNTIME_NONE) {
		fputs("{\"runtime\":", out);
		json_string(out, relayfork_runtime_name((int)c->runtime));
		fputs(",\"id\":", out);
		json_string(out, c->id);
		fputs(",\"pod\":", out);
		if (c->pod_uid[0])
			json_string(out, c->pod_uid);
		else
			fputs("null", out);
		fprintf(out, ",\"monitor\":%s}",
			c->flags & RELAYFORK_CONTAINER_F_MONITOR ? "true" : "false");
	} else {
		fputs("null", out);
	}
	fputs(",\"unit\":", out);
	if (c->unit[0])
		json_string(out, c->unit);
	else
		fputs("null", out);
	if (info->ns_pid)
		fprintf(out, ",\"ns_pid\":%d", (int)info->ns_pid);
	else
		fputs(",\"ns_pid\":null", out);
	if (info->pidns)
		fprintf(out, ",\"pidns\":%" PRIu64, info->pidns);
	else
		fputs(",\"pidns\":null", out);
	fprintf(out, ",\"cgroup_inherited\":%s",
		info->flags & RELAYFORK_ATTRIBUTION_F_INHERITED ? "true" : "false");
}

void
attribution_print_summary(struct relayfork_attribution *t, FILE *out, bool json)
{
	unsigned long long reads, inherited, evicted, procs, cgroups;

	reads = relayfork_attribution_get_counter(t, RELAYFORK_ATTRIBUTION_READS);
	inherited = relayfork_attribution_get_counter(t,
					RELAYFORK_ATTRIBUTION_INHERITED);
	evicted = relayfork_attribution_get_counter(t, RELAYFORK_ATTRIBUTION_EVICTED);
	procs = relayfork_attribution_get_counter(t, RELAYFORK_ATTRIBUTION_PROCESSES);
	cgroups = relayfork_attribution_get_counter(t, RELAYFORK_ATTRIBUTION_CGROUPS);
	if (json) {
		fprintf(out, ",\"attribution\":{\"reads\":%llu,\"inherited\":%llu,"
			"\"evicted\":%llu,\"processes\":%llu,\"cgroups\":%llu}",
			reads, inherited, evicted, procs, cgroups);
		return;
	}
	fprintf(out, "Attribution (since the start): %llu processes read from "
		"/proc, %llu gone and given their parent's cgroup, %llu "
		"evicted; %llu processes in %llu cgroups known now\n",
		reads, inherited, evicted, procs, cgroups);
}
