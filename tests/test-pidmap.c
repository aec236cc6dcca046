// SPDX-License-Identifier: LGPL-2.1-or-later
/* The pid hash map, against a plain array as the reference. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "pidmap.h"

#define RANGE 5000

static void
test_against_array(void **state)
{
	static uint32_t ref[RANGE];
	static bool present[RANGE];
	struct pidmap map;
	unsigned int seed = 1, i;
	size_t count = 0;

	pidmap_init(&map);
	assert_null(pidmap_get(&map, 1));
	assert_false(pidmap_remove(&map, 1, NULL));
	/* Random puts and removes on a dense range, as pids are. */
	for (i = 0; i < 200000; i++) {
		pid_t key = (pid_t)(rand_r(&seed) % (RANGE - 1)) + 1;
		uint32_t v = (uint32_t)rand_r(&seed), got;

		if (rand_r(&seed) % 3) {
			int r = pidmap_put(&map, key, v);

			assert_int_equal(r, present[key] ? 0 : 1);
			count += !present[key];
			present[key] = true;
			ref[key] = v;
		} else {
			bool was = pidmap_remove(&map, key, &got);

			assert_int_equal(was, present[key]);
			if (was) {
				assert_int_equal(got, ref[key]);
				count--;
			}
			present[key] = false;
		}
		assert_int_equal(pidmap_count(&map), count);
	}
	for (i = 1; i < RANGE; i++) {
		uint32_t *v = pidmap_get(&map, (pid_t)i);

		assert_int_equal(v != NULL, present[i]);
		if (v)
			assert_int_equal(*v, ref[i]);
	}
	pidmap_free(&map);
}

static void
test_remove_value(void **state)
{
	struct pidmap map;
	pid_t i;

	pidmap_init(&map);
	for (i = 1; i <= 1000; i++)
		assert_int_equal(pidmap_put(&map, i, (uint32_t)(i % 7)), 1);
	assert_int_equal(pidmap_remove_value(&map, 3), 143);
	assert_int_equal(pidmap_count(&map), 857);
	for (i = 1; i <= 1000; i++) {
		uint32_t *v = pidmap_get(&map, i);

		assert_int_equal(v == NULL, i % 7 == 3);
	}
	pidmap_clear(&map);
	assert_int_equal(pidmap_count(&map), 0);
	assert_null(pidmap_get(&map, 7));
	assert_int_equal(pidmap_put(&map, 0, 1), -EINVAL);
	assert_int_equal(pidmap_put(&map, -4, 1), -EINVAL);
	pidmap_free(&map);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_array),
		cmocka_unit_test(test_remove_value),
	};

	return cmocka_run_group_tests_name("pidmap", tests, NULL, NULL);
}
