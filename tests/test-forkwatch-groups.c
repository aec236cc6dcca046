// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * forkwatch --metrics' events per container or unit (groups.c through
 * metrics.c): at most GROUPS_TOP series and "other", every series only
 * going up from one file to the next whatever groups win or lose a
 * series, and every event counted once.  Attribution comes from
 * relayfork_cgroup_parse() on the runtimes' real cgroup names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "forkwatch.h"

#define MAX_SERIES 64

struct series {
	char labels[1024];
	double value;
};

struct file {
	struct series s[MAX_SERIES];
	size_t n;
	double other;
	double sum;
};

/* Every series ever written, with its last value. */
#define MAX_SEEN 256

struct fixture {
	char dir[64];
	char path[96];
	struct metrics *m;
	uint64_t total;		/* events counted */
	uint64_t written;	/* of which the files have shown */
	struct series seen[MAX_SEEN];
	size_t nseen;
};

static void
read_file(struct fixture *f, struct file *ret)
{
	static const char prefix[] = "relayfork_group_events_total{";
	FILE *in = fopen(f->path, "r");
	char line[1024];

	assert_non_null(in);
	memset(ret, 0, sizeof(*ret));
	while (fgets(line, sizeof(line), in)) {
		char *end;

		if (strncmp(line, prefix, strlen(prefix)) != 0)
			continue;
		end = strstr(line, "} ");
		assert_non_null(end);
		assert_true(ret->n < MAX_SERIES);
		*end = '\0';
		snprintf(ret->s[ret->n].labels, sizeof(ret->s[ret->n].labels),
			 "%s", line + strlen(prefix));
		ret->s[ret->n].value = strtod(end + 2, NULL);
		ret->sum += ret->s[ret->n].value;
		if (strstr(ret->s[ret->n].labels, "unit=\"other\""))
			ret->other = ret->s[ret->n].value;
		ret->n++;
	}
	fclose(in);
}

static const struct series *
find(const struct file *file, const char *needle)
{
	size_t i;

	for (i = 0; i < file->n; i++)
		if (strstr(file->s[i].labels, needle))
			return &file->s[i];
	return NULL;
}

static struct series *
seen(struct fixture *f, const char *labels)
{
	size_t i;

	for (i = 0; i < f->nseen; i++)
		if (strcmp(f->seen[i].labels, labels) == 0)
			return &f->seen[i];
	assert_true(f->nseen < MAX_SEEN);
	snprintf(f->seen[i].labels, sizeof(f->seen[i].labels), "%s", labels);
	f->seen[i].value = 0;
	f->nseen++;
	return &f->seen[i];
}

/*
 * Write the file and read it back: at most GROUPS_TOP series and
 * "other"; no series below what it was when last written (even with
 * files without it between); the series went up, together, by the
 * events counted since the last file.
 */
static void
write_and_check(struct fixture *f, struct file *file)
{
	double increase = 0;
	size_t i;

	assert_int_equal(metrics_write(f->m), 0);
	read_file(f, file);
	assert_true(file->n <= GROUPS_TOP + 1);
	assert_non_null(find(file, "unit=\"other\""));
	for (i = 0; i < file->n; i++) {
		struct series *last = seen(f, file->s[i].labels);

		assert_true(file->s[i].value >= last->value);
		increase += file->s[i].value - last->value;
		last->value = file->s[i].value;
	}
	assert_true(increase == (double)(f->total - f->written));
	f->written = f->total;
}

static void
count(struct fixture *f, const char *cgroup, unsigned int n)
{
	struct relayfork_attribution_info info = { .pid = 4711 };
	struct relayfork_event ev = { .type = RELAYFORK_EVENT_EXEC,
				      .pid = 4711, .tgid = 4711 };
	unsigned int i;

	snprintf(info.cgroup, sizeof(info.cgroup), "%s", cgroup);
	assert_int_equal(relayfork_cgroup_parse(cgroup, &info.container), 1);
	for (i = 0; i < n; i++)
		metrics_count(f->m, &ev, &info);
	f->total += n;
}

static void
docker(struct fixture *f, unsigned int k, unsigned int n)
{
	char path[128];

	snprintf(path, sizeof(path),
		 "/system.slice/docker-%064x.scope", k + 1);
	count(f, path, n);
}

static char *
docker_label(unsigned int k, char *buf, size_t size)
{
	snprintf(buf, size, "container=\"%064x\"", k + 1);
	return buf;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-groups-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/m.prom", f->dir);
	assert_int_equal(metrics_new(f->path, &f->m), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	metrics_free(f->m);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
test_no_attribution_no_groups(void **state)
{
	struct fixture *f = *state;
	struct relayfork_event ev = { .type = RELAYFORK_EVENT_FORK };
	struct file file;

	metrics_count(f->m, &ev, NULL);
	assert_int_equal(metrics_write(f->m), 0);
	read_file(f, &file);
	assert_int_equal(file.n, 0);
}

static void
test_top_and_other(void **state)
{
	struct fixture *f = *state;
	struct file first, second, third;
	char label[128];
	unsigned int k;

	/* 25 containers: the first GROUPS_TOP seen take the free series. */
	for (k = 0; k < GROUPS_TOP + 5; k++)
		docker(f, k, 10);
	assert_int_equal(metrics_write(f->m), 0);
	write_and_check(f, &first);
	assert_int_equal(first.n, GROUPS_TOP + 1);
	assert_true(first.sum == (double)f->total);
	assert_true(first.other == 50);
	assert_non_null(find(&first, docker_label(0, label, sizeof(label))));
	assert_null(find(&first, docker_label(GROUPS_TOP + 4, label,
					      sizeof(label))));
	assert_non_null(find(&first, "runtime=\"docker\""));

	/* The last one becomes the busiest: its events go to "other"
	 * until the next file, after which it has a series, from 0; the
	 * idle one loses its series. */
	for (k = 0; k < GROUPS_TOP - 1; k++)
		docker(f, k, 1);
	docker(f, GROUPS_TOP + 4, 100);
	write_and_check(f, &second);
	assert_true(second.other == 50 + 100);
	assert_non_null(find(&second, docker_label(GROUPS_TOP - 1, label,
						   sizeof(label))));
	docker(f, GROUPS_TOP + 4, 7);
	write_and_check(f, &third);
	assert_int_equal(third.n, GROUPS_TOP + 1);
	assert_true(find(&third, docker_label(GROUPS_TOP + 4, label,
					      sizeof(label)))->value == 7);
	assert_null(find(&third, docker_label(GROUPS_TOP - 1, label,
					      sizeof(label))));
	assert_true(third.other == 150);

	/* The one that lost its series is busiest again: its series goes
	 * on from where it was, 10, never back to 0; its events without
	 * a series stay in "other". */
	docker(f, GROUPS_TOP - 1, 1000);
	for (k = 0; k < GROUPS_TOP + 5; k++)
		if (k != GROUPS_TOP - 1)
			docker(f, k, 2);
	write_and_check(f, &third);
	docker(f, GROUPS_TOP - 1, 5);
	write_and_check(f, &third);
	assert_true(find(&third, docker_label(GROUPS_TOP - 1, label,
					      sizeof(label)))->value == 15);
	assert_true(third.other == 150 + 1000 + 4 * 2);
}

static void
test_many_groups_stay_bounded(void **state)
{
	struct fixture *f = *state;
	struct file file;
	unsigned int k, round;

	/* Thousands of short-lived containers, more than are remembered. */
	for (round = 0; round < 5; round++) {
		for (k = 0; k < 1500; k++)
			docker(f, round * 1500 + k, 1 + k % 3);
		write_and_check(f, &file);
	}
}

static void
test_units_and_escaping(void **state)
{
	struct fixture *f = *state;
	struct file file;

	count(f, "/system.slice/sshd.service", 3);
	count(f, "/user.slice/user-1000.slice/session-3.scope", 2);
	/* Whoever may make cgroups names them: a quote, a backslash. */
	count(f, "/system.slice/a\"b\\c.service", 1);
	count(f, "/kubepods.slice/kubepods-besteffort.slice/"
		 "kubepods-besteffort-pod0b5bd3e0_9f2c_4a5e_8a1d_7c2e3f4a5b6c.slice/"
		 "cri-containerd-"
		 "2f8c1e7b9a0d4c3e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e.scope", 4);
	write_and_check(f, &file);
	assert_true(find(&file, "unit=\"sshd.service\"")->value == 3);
	assert_true(find(&file, "unit=\"session-3.scope\"")->value == 2);
	assert_true(find(&file, "unit=\"a\\\"b\\\\\\\\c.service\"")->value == 1);
	assert_true(find(&file, "runtime=\"containerd\",container=\"2f8c1e7b")
			    ->value == 4);
	assert_true(file.other == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_attribution_no_groups,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_top_and_other, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_many_groups_stay_bounded,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_units_and_escaping, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
