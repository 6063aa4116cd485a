/*
 * test_aggregate_sort - aggregate_sort(): every observation visited once,
 * each (class, profile, container) together and by path within, counts
 * unchanged; a new key afterwards brings back arrival order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "learner.h"

#define N 300

struct visit {
	size_t	 n;
	char	 key[N + 1][96];
	uint64_t allowed[N + 1];
};

static int
note(const struct observation *o, void *arg)
{
	struct visit *v = arg;

	assert_true(v->n < N + 1);
	snprintf(v->key[v->n], sizeof(v->key[0]), "%d|%s|%s|%s",
	    (int)o->access.cls, o->profile,
	    o->container.id != NULL ? o->container.id : "", o->access.f[0]);
	v->allowed[v->n] = o->allowed;
	v->n++;
	return 0;
}

static void
add(struct aggregate *a, const char *profile, const char *cid,
    enum access_class cls, const char *name, int times)
{
	struct record r;
	struct container c = { .runtime = "docker", .id = cid };
	struct access acc;

	memset(&r, 0, sizeof(r));
	r.kind = RECORD_ALLOWED;
	r.audit_type = 1400;
	r.epoch = 1700000000;
	r.serial = 1;
	r.profile = profile;
	r.pid = 1;
	memset(&acc, 0, sizeof(acc));
	acc.cls = cls;
	for (int i = 0; i < ACCESS_NFIELDS; i++)
		acc.f[i] = "";
	acc.f[0] = name;
	acc.mask = MASK_READ;
	for (int i = 0; i < times; i++)
		assert_int_equal(aggregate_add_access(a, &r,
		    cid != NULL ? &c : NULL, &acc), 0);
}

/* The group of a visit key: everything before the last '|'. */
static size_t
group_len(const char *k)
{
	return (size_t)(strrchr(k, '|') - k);
}

static void
sorted_visits(void **state)
{
	static const char *const profiles[] = { "zeta", "alpha", "mid" };
	static const char *const cids[] = { NULL, "c2", "c1" };
	struct aggregate *a = aggregate_new(0, 1000);
	struct visit before = { 0 }, after = { 0 };
	char name[64];
	unsigned seed = 12345;

	(void)state;
	assert_non_null(a);
	/* Keys arrive scrambled; each added 1 + (i % 3) times. */
	for (int i = 0; i < N; i++) {
		seed = seed * 1103515245u + 12345u;
		snprintf(name, sizeof(name), "/d%u/f%d", (seed >> 16) % 7, i);
		add(a, profiles[(seed >> 8) % 3], cids[(seed >> 4) % 3],
		    (seed >> 12) % 2 ? ACCESS_FILE : ACCESS_EXEC, name, 1 + i % 3);
	}
	assert_int_equal(aggregate_count(a), N);
	assert_int_equal(aggregate_foreach(a, note, &before), 0);
	assert_int_equal(aggregate_sort(a), 0);
	assert_int_equal(aggregate_foreach(a, note, &after), 0);
	assert_int_equal(after.n, N);

	/* The same observations with the same counts. */
	for (size_t i = 0; i < N; i++) {
		size_t k;

		for (k = 0; k < N; k++)
			if (strcmp(before.key[i], after.key[k]) == 0)
				break;
		assert_true(k < N);
		assert_int_equal(before.allowed[i], after.allowed[k]);
	}
	/* Groups contiguous, names ordered within a group. */
	for (size_t i = 1; i < N; i++) {
		size_t g = group_len(after.key[i]);

		if (g == group_len(after.key[i - 1]) &&
		    strncmp(after.key[i], after.key[i - 1], g) == 0) {
			assert_true(strcmp(after.key[i - 1] + g,
			    after.key[i] + g) < 0);
			continue;
		}
		/* A new group: none of the earlier visits belongs to it. */
		for (size_t k = 0; k < i; k++)
			assert_false(group_len(after.key[k]) == g &&
			    strncmp(after.key[k], after.key[i], g) == 0);
	}

	/* Counting a known key keeps the order; a new key ends it. */
	add(a, "alpha", NULL, ACCESS_FILE, "/new", 1);
	memset(&after, 0, sizeof(after));
	assert_int_equal(aggregate_foreach(a, note, &after), 0);
	assert_int_equal(after.n, N + 1);
	for (size_t i = 0; i < N; i++)
		assert_string_equal(after.key[i], before.key[i]);
	assert_string_equal(after.key[N], "1|alpha||/new");
	aggregate_free(a);
}

/* ------------------------------------------- many keys, alike names */

#define M 20000

struct seen {
	size_t	 n;
	char	*group[M];
	char	*f[M][2];
};

static int
note_fields(const struct observation *o, void *arg)
{
	struct seen *v = arg;
	char g[256];

	assert_true(v->n < M);
	snprintf(g, sizeof(g), "%d|%s|%s", (int)o->access.cls, o->profile,
	    o->container.id != NULL ? o->container.id : "");
	v->group[v->n] = strdup(g);
	v->f[v->n][0] = strdup(o->access.f[0]);
	v->f[v->n][1] = strdup(o->access.f[1]);
	v->n++;
	return 0;
}

/*
 * 20,000 keys in six groups whose names share long prefixes (some longer
 * than the chunked sort goes before it falls back), are prefixes of each
 * other, and differ in the second field only: visited with each group
 * together and, within one, strictly increasing by (f0, f1) as strcmp
 * orders them.
 */
static void
sorted_alike_names(void **state)
{
	static const char *const profiles[] = { "p1", "p2", "p10" };
	static const char *const cids[] = { NULL, "c1" };
	struct aggregate *a = aggregate_new(0, M + 10);
	struct seen *v = calloc(1, sizeof(*v));
	char name[700], second[32], deep[600];
	unsigned seed = 777;
	struct record r;
	struct container c = { .runtime = "docker" };
	struct access acc;

	(void)state;
	assert_non_null(a);
	assert_non_null(v);
	memset(deep, 'd', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	memset(&r, 0, sizeof(r));
	r.kind = RECORD_ALLOWED;
	r.audit_type = 1400;
	r.epoch = 1700000000;
	r.serial = 1;
	r.pid = 1;
	for (int i = 0; i < M; i++) {
		seed = seed * 1103515245u + 12345u;
		switch ((seed >> 8) % 4) {
		case 0:		/* one directory, numbered */
			snprintf(name, sizeof(name), "/var/lib/app/data/users/%u",
			    (seed >> 12) % 5000);
			break;
		case 1:		/* a prefix of the others */
			snprintf(name, sizeof(name), "/var/lib/app/data/users");
			break;
		case 2:		/* alike for 600 bytes */
			snprintf(name, sizeof(name), "/%s/%u", deep,
			    (seed >> 12) % 300);
			break;
		default:
			snprintf(name, sizeof(name), "/tmp/%x", (seed >> 12) % 4096);
			break;
		}
		snprintf(second, sizeof(second), "%u", (seed >> 20) % 7 == 0 ?
		    (seed >> 4) % 50 : 0);
		r.profile = profiles[(seed >> 5) % 3];
		c.id = cids[(seed >> 7) % 2];
		memset(&acc, 0, sizeof(acc));
		acc.cls = ACCESS_FILE;
		for (int k = 0; k < ACCESS_NFIELDS; k++)
			acc.f[k] = "";
		acc.f[0] = name;
		acc.f[1] = strcmp(second, "0") == 0 ? "" : second;
		acc.mask = MASK_READ;
		assert_true(aggregate_add_access(a, &r, c.id != NULL ? &c : NULL,
		    &acc) >= 0);
	}
	assert_true(aggregate_count(a) > 1000);
	assert_int_equal(aggregate_sort(a), 0);
	assert_int_equal(aggregate_foreach(a, note_fields, v), 0);
	assert_int_equal(v->n, aggregate_count(a));
	for (size_t i = 1; i < v->n; i++) {
		int c0, c1;

		if (strcmp(v->group[i], v->group[i - 1]) != 0) {
			/* A new group: none of the earlier visits belongs to it. */
			for (size_t k = 0; k < i; k++)
				assert_string_not_equal(v->group[k], v->group[i]);
			continue;
		}
		c0 = strcmp(v->f[i - 1][0], v->f[i][0]);
		c1 = strcmp(v->f[i - 1][1], v->f[i][1]);
		if (c0 > 0 || (c0 == 0 && c1 >= 0))
			fail_msg("out of order at %zu: (%s, %s) then (%s, %s)", i,
			    v->f[i - 1][0], v->f[i - 1][1], v->f[i][0], v->f[i][1]);
	}
	for (size_t i = 0; i < v->n; i++) {
		free(v->group[i]);
		free(v->f[i][0]);
		free(v->f[i][1]);
	}
	free(v);
	aggregate_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sorted_visits),
		cmocka_unit_test(sorted_alike_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
