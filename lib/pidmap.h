/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A hash map from pids (positive) to 32-bit values: open addressing with
 * linear probing and backward-shift deletion, so that no lookup ever
 * scans more than a short run, however many pids come and go.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pidmap_slot {
	int32_t key; /* 0: empty */
	uint32_t value;
};

struct pidmap {
	struct pidmap_slot *slots;
	unsigned int bits; /* capacity 1 << bits; 0: no table yet */
	size_t count;
};

void pidmap_init(struct pidmap *map);
void pidmap_free(struct pidmap *map);
void pidmap_clear(struct pidmap *map);

/* The value stored for key, or NULL.  The pointer is valid until the
 * next put or remove. */
uint32_t *pidmap_get(const struct pidmap *map, pid_t key);

/* Store value for key (> 0): 1 when added, 0 when replaced, -ENOMEM. */
int pidmap_put(struct pidmap *map, pid_t key, uint32_t value);

/* Remove key; true (and its value, if ret_value) if it was there. */
bool pidmap_remove(struct pidmap *map, pid_t key, uint32_t *ret_value);

/* Remove every entry whose value is value; returns how many. */
size_t pidmap_remove_value(struct pidmap *map, uint32_t value);

static inline size_t
pidmap_count(const struct pidmap *map)
{
	return map->count;
}
