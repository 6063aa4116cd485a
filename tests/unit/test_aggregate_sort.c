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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sorted_visits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
