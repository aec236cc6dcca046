// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pidmap.h"

#define MIN_BITS 4

void
pidmap_init(struct pidmap *map)
{
	memset(map, 0, sizeof(*map));
}

void
pidmap_free(struct pidmap *map)
{
	free(map->slots);
	pidmap_init(map);
}

void
pidmap_clear(struct pidmap *map)
{
	if (map->slots)
		memset(map->slots, 0, sizeof(*map->slots) << map->bits);
	map->count = 0;
}

static size_t
home(const struct pidmap *map, pid_t key)
{
	/* Fibonacci hashing: pids are dense, the top bits spread them. */
	return (size_t)(((uint32_t)key * 0x9e3779b1u) >> (32 - map->bits));
}

static size_t
find(const struct pidmap *map, pid_t key)
{
	size_t mask = ((size_t)1 << map->bits) - 1;
	size_t i = home(map, key);

	while (map->slots[i].key != 0 && map->slots[i].key != key)
		i = (i + 1) & mask;
	return i;
}

uint32_t *
pidmap_get(const struct pidmap *map, pid_t key)
{
	size_t i;

	if (!map->slots || key <= 0)
		return NULL;
	i = find(map, key);
	return map->slots[i].key == key ? &map->slots[i].value : NULL;
}

static int
resize(struct pidmap *map, unsigned int bits)
{
	struct pidmap old = *map;
	size_t i;

	map->slots = calloc((size_t)1 << bits, sizeof(*map->slots));
	if (!map->slots) {
		*map = old;
		return -ENOMEM;
	}
	map->bits = bits;
	for (i = 0; old.slots && i < ((size_t)1 << old.bits); i++)
		if (old.slots[i].key != 0)
			map->slots[find(map, old.slots[i].key)] = old.slots[i];
	free(old.slots);
	return 0;
}

int
pidmap_put(struct pidmap *map, pid_t key, uint32_t value)
{
	size_t i;

	if (key <= 0)
		return -EINVAL;
	/* At most 3/4 full, so that runs stay short. */
	if (!map->slots || (map->count + 1) * 4 > ((size_t)3 << map->bits)) {
		int r = resize(map, map->slots ? map->bits + 1 : MIN_BITS);

		if (r < 0)
			return r;
	}
	i = find(map, key);
	map->slots[i].value = value;
	if (map->slots[i].key == key)
		return 0;
	map->slots[i].key = key;
	map->count++;
	return 1;
}

/* Close the hole at i: move back every entry of the run after it that
 * may sit there (its home is not between the hole and it). */
static void
delete_at(struct pidmap *map, size_t i)
{
	size_t mask = ((size_t)1 << map->bits) - 1;
	size_t j = i;

	for (;;) {
		size_t h;

		map->slots[i].key = 0;
		for (;;) {
			j = (j + 1) & mask;
			if (map->slots[j].key == 0)
				return;
			h = home(map, map->slots[j].key);
			/* Stays if its home lies cyclically in (i, j]. */
			if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
				continue;
			break;
		}
		map->slots[i] = map->slots[j];
		i = j;
	}
}

bool
pidmap_remove(struct pidmap *map, pid_t key, uint32_t *ret_value)
{
	size_t i;

	if (!map->slots || key <= 0)
		return false;
	i = find(map, key);
	if (map->slots[i].key != key)
		return false;
	if (ret_value)
		*ret_value = map->slots[i].value;
	delete_at(map, i);
	map->count--;
	return true;
}

size_t
pidmap_remove_value(struct pidmap *map, uint32_t value)
{
	size_t i, n = 0;

	if (!map->slots)
		return 0;
	/* Deleting shifts later entries back into the hole: look at the
	 * same slot again.  An entry may wrap from the start to the end
	 * and be looked at twice, which is harmless. */
	for (i = 0; i < ((size_t)1 << map->bits);) {
		if (map->slots[i].key != 0 && map->slots[i].value == value) {
			delete_at(map, i);
			map->count--;
			n++;
		} else {
			i++;
		}
	}
	return n;
}
