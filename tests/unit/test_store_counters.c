/*
 * test_store_counters - the per-profile counters a batch holds back until
 * its commit (observations, overflow, last new): exact under the cap with
 * more profiles in one batch than the store caches, visible to a listing
 * inside the batch, gone with a rollback; and store_set_bulk.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "store.h"

#define NPROF 150	/* more than the store's cache of profiles */
#define PER 5		/* distinct observations put per profile */
#define CAP 3

struct counts {
	uint64_t obs[NPROF], over[NPROF];
	int64_t	 last_new[NPROF];
	int	 seen;
};

static int
count_cb(const struct profile_info *p, void *arg)
{
	struct counts *c = arg;
	int i;

	if (sscanf(p->name, "prof-%d", &i) != 1 || i < 0 || i >= NPROF)
		return 0;
	c->obs[i] = p->observations;
	c->over[i] = p->overflow;
	c->last_new[i] = p->last_new_ms;
	c->seen++;
	return 0;
}

static void
put(struct store *st, int prof, int k, int64_t ms, int want)
{
	struct observation o;
	char name[32], path[32];

	snprintf(name, sizeof(name), "prof-%d", prof);
	snprintf(path, sizeof(path), "/f/%d", k);
	memset(&o, 0, sizeof(o));
	o.profile = name;
	o.access.cls = ACCESS_FILE;
	for (int i = 0; i < ACCESS_NFIELDS; i++)
		o.access.f[i] = "";
	o.access.f[0] = path;
	o.access.mask = MASK_READ;
	o.allowed = 1;
	o.first_ms = o.last_ms = ms;
	assert_int_equal(store_put_observation(st, &o), want);
}

static struct counts
list(struct store *st)
{
	struct counts c;

	memset(&c, 0, sizeof(c));
	assert_true(store_list_profiles(st, count_cb, &c) >= 0);
	return c;
}

static void
cap_with_many_profiles(void **state)
{
	struct store *st = store_open(":memory:", 0, NULL, 0);
	struct counts c;

	(void)state;
	assert_non_null(st);
	store_set_cap(st, CAP);
	assert_int_equal(store_begin(st), 0);
	/* Interleaved: every profile's entry is evicted between its puts. */
	for (int k = 0; k < PER; k++)
		for (int p = 0; p < NPROF; p++)
			put(st, p, k, 1000 + k, k < CAP ? 0 : 1);
	/* A listing inside the batch sees what it holds back. */
	c = list(st);
	assert_int_equal(c.seen, NPROF);
	for (int p = 0; p < NPROF; p++) {
		assert_int_equal(c.obs[p], CAP);
		assert_int_equal(c.over[p], PER - CAP);
	}
	/* A known key under the cap is counted, not overflowed. */
	for (int p = 0; p < NPROF; p++)
		put(st, p, 0, 5000, 0);
	assert_int_equal(store_commit(st), 0);
	c = list(st);
	for (int p = 0; p < NPROF; p++) {
		assert_int_equal(c.obs[p], CAP);
		assert_int_equal(c.over[p], PER - CAP);
		assert_int_equal(c.last_new[p], 1000 + CAP - 1);
	}

	/* A second batch starts from the committed counts. */
	assert_int_equal(store_begin(st), 0);
	for (int p = 0; p < NPROF; p++)
		put(st, p, 99, 9000, 1);
	assert_int_equal(store_commit(st), 0);
	c = list(st);
	for (int p = 0; p < NPROF; p++) {
		assert_int_equal(c.obs[p], CAP);
		assert_int_equal(c.over[p], PER - CAP + 1);
	}

	/* Raised cap, then a rollback: nothing of the batch stays. */
	store_set_cap(st, CAP + 1);
	assert_int_equal(store_begin(st), 0);
	for (int p = 0; p < NPROF; p++)
		put(st, p, 50, 7000, 0);
	store_rollback(st);
	c = list(st);
	for (int p = 0; p < NPROF; p++) {
		assert_int_equal(c.obs[p], CAP);
		assert_int_equal(c.over[p], PER - CAP + 1);
	}
	/* Outside a batch each put commits its own counters. */
	put(st, 7, 50, 8000, 0);
	put(st, 7, 51, 8001, 1);
	c = list(st);
	assert_int_equal(c.obs[7], CAP + 1);
	assert_int_equal(c.over[7], PER - CAP + 2);
	assert_int_equal(c.last_new[7], 8000);
	store_close(st);
}

static void
bulk_mode(void **state)
{
	char dir[] = "/tmp/test_store_counters.XXXXXX", path[96], cmd[128];
	struct store *st;
	struct counts c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.db", dir);
	st = store_open(path, STORE_CREATE, NULL, 0);
	assert_non_null(st);
	assert_int_equal(store_set_bulk(st, 1), 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_set_bulk(st, 0), -EINVAL);	/* inside a batch */
	put(st, 1, 1, 100, 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_set_bulk(st, 0), 0);
	store_close(st);

	st = store_open(path, STORE_READONLY, NULL, 0);
	assert_non_null(st);
	assert_int_equal(store_set_bulk(st, 1), -EROFS);
	c = list(st);
	assert_int_equal(c.obs[1], 1);
	assert_int_equal(store_check_integrity(st), 0);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cap_with_many_profiles),
		cmocka_unit_test(bulk_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
