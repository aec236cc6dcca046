// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-table.h"

#define NONE UINT32_MAX
#define MIN_BITS 4

void
cgroup_table_init(struct cgroup_table *t)
{
	memset(t, 0, sizeof(*t));
	t->free_head = NONE;
}

void
cgroup_table_free(struct cgroup_table *t)
{
	free(t->recs);
	free(t->index);
	cgroup_table_init(t);
}

void
cgroup_table_clear(struct cgroup_table *t)
{
	uint32_t i;

	t->free_head = NONE;
	for (i = t->nrecs; i-- > 0;) {
		t->recs[i].refs = 0;
		t->recs[i].next_free = t->free_head;
		t->free_head = i;
	}
	if (t->index)
		memset(t->index, 0, sizeof(*t->index) << t->bits);
	t->count = 0;
}

/* FNV-1a, 64 bits. */
static uint64_t
hash_path(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static size_t
home(const struct cgroup_table *t, uint64_t hash)
{
	return (size_t)(hash >> (64 - t->bits));
}

static bool
same(const struct cgroup_rec *r, uint64_t hash, const char *path, size_t len)
{
	size_t stored = len < sizeof(r->path) ? len : sizeof(r->path) - 1;

	return r->hash == hash && r->truncated == (stored < len) &&
	       memcmp(r->path, path, stored) == 0 && r->path[stored] == '\0';
}

static int
grow_index(struct cgroup_table *t)
{
	unsigned int bits = t->bits ? t->bits + 1 : MIN_BITS;
	uint32_t *index = calloc((size_t)1 << bits, sizeof(*index));
	size_t mask = ((size_t)1 << bits) - 1, i;

	if (!index)
		return -ENOMEM;
	for (i = 0; t->index && i < ((size_t)1 << t->bits); i++) {
		uint32_t v = t->index[i];
		size_t j;

		if (!v)
			continue;
		j = (size_t)(t->recs[v - 1].hash >> (64 - bits));
		while (index[j])
			j = (j + 1) & mask;
		index[j] = v;
	}
	free(t->index);
	t->index = index;
	t->bits = bits;
	return 0;
}

static int
new_rec(struct cgroup_table *t, uint32_t *ret)
{
	if (t->free_head == NONE) {
		uint32_t n = t->nrecs ? 2 * t->nrecs : 16, i;
		struct cgroup_rec *recs;

		if (n <= t->nrecs)
			return -ENOMEM;
		recs = realloc(t->recs, (size_t)n * sizeof(*recs));
		if (!recs)
			return -ENOMEM;
		t->recs = recs;
		for (i = n; i-- > t->nrecs;) {
			recs[i].refs = 0;
			recs[i].next_free = t->free_head;
			t->free_head = i;
		}
		t->nrecs = n;
	}
	*ret = t->free_head;
	t->free_head = t->recs[*ret].next_free;
	return 0;
}

int
cgroup_table_get(struct cgroup_table *t, const char *path, size_t len,
		 uint32_t *ret_rec)
{
	uint64_t hash = hash_path(path, len);
	struct cgroup_rec *r;
	size_t mask, i, stored;
	uint32_t rec;
	int err;

	if (t->bits) {
		mask = ((size_t)1 << t->bits) - 1;
		for (i = home(t, hash); t->index[i]; i = (i + 1) & mask) {
			r = &t->recs[t->index[i] - 1];
			if (same(r, hash, path, len)) {
				r->refs++;
				*ret_rec = t->index[i] - 1;
				return 0;
			}
		}
	}
	/* At most half full, so that runs stay short. */
	if (!t->bits || (t->count + 1) * 2 > ((size_t)1 << t->bits)) {
		err = grow_index(t);
		if (err < 0)
			return err;
	}
	err = new_rec(t, &rec);
	if (err < 0)
		return err;
	r = &t->recs[rec];
	stored = len < sizeof(r->path) ? len : sizeof(r->path) - 1;
	r->hash = hash;
	r->refs = 1;
	r->truncated = stored < len;
	memcpy(r->path, path, stored);
	r->path[stored] = '\0';
	/* What the path says is read from all of it, not what fits. */
	relayfork_cgroup_parse(path, &r->container);
	mask = ((size_t)1 << t->bits) - 1;
	for (i = home(t, hash); t->index[i]; i = (i + 1) & mask)
		;
	t->index[i] = rec + 1;
	t->count++;
	*ret_rec = rec;
	return 0;
}

void
cgroup_table_ref(struct cgroup_table *t, uint32_t rec)
{
	t->recs[rec].refs++;
}

/* Take the record out of the index: close the hole by moving back each
 * entry of the run after it whose home is not in between. */
static void
unindex(struct cgroup_table *t, uint32_t rec)
{
	size_t mask = ((size_t)1 << t->bits) - 1;
	size_t i = home(t, t->recs[rec].hash), j;

	while (t->index[i] != rec + 1)
		i = (i + 1) & mask;
	j = i;
	for (;;) {
		size_t h;

		t->index[i] = 0;
		for (;;) {
			j = (j + 1) & mask;
			if (!t->index[j])
				return;
			h = home(t, t->recs[t->index[j] - 1].hash);
			if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
				continue;
			break;
		}
		t->index[i] = t->index[j];
		i = j;
	}
}

void
cgroup_table_unref(struct cgroup_table *t, uint32_t rec)
{
	struct cgroup_rec *r = &t->recs[rec];

	if (--r->refs > 0)
		return;
	unindex(t, rec);
	r->next_free = t->free_head;
	t->free_head = rec;
	t->count--;
}
