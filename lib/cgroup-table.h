/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The distinct cgroups of the processes an attribution table knows, each
 * stored once with what its path says (parsed once, when it is first
 * seen) and counted by the processes in it.  Records are found by path
 * through an open-addressing index and reused through a free list: after
 * warm-up, a cgroup that comes and goes allocates nothing.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relayfork/relayfork.h"

struct cgroup_rec {
	uint64_t hash;		/* of the whole path, however long */
	uint32_t refs;		/* 0: free */
	uint32_t next_free;
	bool truncated;		/* path holds only its beginning */
	struct relayfork_container container;
	char path[RELAYFORK_CGROUP_PATH_MAX];
};

struct cgroup_table {
	struct cgroup_rec *recs;
	uint32_t nrecs;		/* allocated */
	uint32_t free_head;	/* UINT32_MAX: none */
	uint32_t *index;	/* record + 1, 0: empty */
	unsigned int bits;	/* index capacity 1 << bits; 0: none yet */
	size_t count;
};

void cgroup_table_init(struct cgroup_table *t);
void cgroup_table_free(struct cgroup_table *t);
/* Forget every record, keeping the memory. */
void cgroup_table_clear(struct cgroup_table *t);

/* Find the record of path (len bytes, and a NUL after them), or add it;
 * either way take a reference.  0 with *ret_rec, or -ENOMEM. */
int cgroup_table_get(struct cgroup_table *t, const char *path, size_t len,
		     uint32_t *ret_rec);
void cgroup_table_ref(struct cgroup_table *t, uint32_t rec);
void cgroup_table_unref(struct cgroup_table *t, uint32_t rec);

static inline const struct cgroup_rec *
cgroup_table_at(const struct cgroup_table *t, uint32_t rec)
{
	return &t->recs[rec];
}
