/*
 * test_aggregate.c - dedup, counts, caps and overflow of learner/aggregate.c.
 *
 * Records and accesses are built by hand here so that these tests say what
 * the aggregate does with them, independent of the record parser.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "learner.h"

static struct record *
rec(const char *label, const char *parent, enum record_kind kind,
    int64_t epoch, int msec, long pid, const char *comm)
{
	static struct record r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.audit_type = 1400;
	r.epoch = epoch;
	r.msec = msec;
	r.serial = 1;
	r.profile = label;
	r.profile_parent = parent;
	r.pid = pid;
	r.comm = comm;
	return &r;
}

static struct access
file_access(const char *path, uint64_t mask)
{
	struct access a;
	int i;

	memset(&a, 0, sizeof(a));
	a.cls = ACCESS_FILE;
	for (i = 0; i < ACCESS_NFIELDS; i++)
		a.f[i] = "";
	a.f[0] = path;
	a.mask = mask;
	return a;
}

#define MAXOBS 64
struct seen {
	size_t n;
	struct observation o[MAXOBS];
	char strs[MAXOBS][8][256];
};

static const char *
keep(struct seen *s, int k, const char *v)
{
	if (v == NULL)
		return NULL;
	snprintf(s->strs[s->n][k], 256, "%s", v);
	return s->strs[s->n][k];
}

static int
collect(const struct observation *o, void *arg)
{
	struct seen *s = arg;

	if (s->n >= MAXOBS)
		return -1;
	s->o[s->n] = *o;
	s->o[s->n].profile = keep(s, 0, o->profile);
	s->o[s->n].label = keep(s, 1, o->label);
	s->o[s->n].access.f[0] = keep(s, 2, o->access.f[0]);
	s->o[s->n].container.id = keep(s, 3, o->container.id);
	s->o[s->n].container.runtime = keep(s, 4, o->container.runtime);
	s->o[s->n].sample_comm = keep(s, 5, o->sample_comm);
	s->o[s->n].sample_exe = keep(s, 6, o->sample_exe);
	s->o[s->n].container.pod_uid = keep(s, 7, o->container.pod_uid);
	s->n++;
	return 0;
}

static void
test_dedup_counts_and_times(void **state)
{
	struct aggregate *a = aggregate_new(100, 1000);
	struct access acc;
	struct record *r;
	struct seen s = { 0 };

	assert_non_null(a);
	/* Same key three times, out of time order, with different masks. */
	r = rec("web", "web", RECORD_ALLOWED, 1700000000, 500, 42, "nginx");
	r->exe = "/usr/sbin/nginx";
	acc = file_access("/etc/hosts", 1);
	assert_int_equal(aggregate_add_access(a, r, NULL, &acc), 0);
	r = rec("web", "web", RECORD_ALLOWED, 1699999999, 5, 43, "other");
	acc = file_access("/etc/hosts", 2);
	assert_int_equal(aggregate_add_access(a, r, NULL, &acc), 0);
	r = rec("web", "web", RECORD_DENIED, 1700000002, 999, 44, "third");
	acc = file_access("/etc/hosts", 4);
	assert_int_equal(aggregate_add_access(a, r, NULL, &acc), 0);
	assert_int_equal(aggregate_count(a), 1);

	assert_int_equal(aggregate_foreach(a, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.o[0].profile, "web");
	assert_string_equal(s.o[0].label, "web");
	assert_string_equal(s.o[0].access.f[0], "/etc/hosts");
	assert_int_equal(s.o[0].access.cls, ACCESS_FILE);
	assert_int_equal(s.o[0].access.mask, 7);
	assert_int_equal(s.o[0].allowed, 2);
	assert_int_equal(s.o[0].denied, 1);
	assert_int_equal(s.o[0].first_ms, 1699999999005LL);
	assert_int_equal(s.o[0].last_ms, 1700000002999LL);
	/* The sample is the first record's. */
	assert_int_equal(s.o[0].sample_pid, 42);
	assert_string_equal(s.o[0].sample_comm, "nginx");
	assert_string_equal(s.o[0].sample_exe, "/usr/sbin/nginx");
	assert_null(s.o[0].container.id);
	aggregate_free(a);
}

static void
test_sample_prefers_exe(void **state)
{
	struct aggregate *a = aggregate_new(100, 1000);
	struct access acc = file_access("/etc/hosts", 1);
	struct record *r;
	struct seen s = { 0 };

	/* The first record was not joined with its SYSCALL; the second was. */
	r = rec("web", "web", RECORD_ALLOWED, 10, 0, 1, "first");
	aggregate_add_access(a, r, NULL, &acc);
	r = rec("web", "web", RECORD_ALLOWED, 11, 0, 2, "second");
	r->exe = "/usr/bin/second";
	aggregate_add_access(a, r, NULL, &acc);
	r = rec("web", "web", RECORD_ALLOWED, 12, 0, 3, "third");
	r->exe = "/usr/bin/third";
	aggregate_add_access(a, r, NULL, &acc);
	aggregate_foreach(a, collect, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.o[0].sample_pid, 2);
	assert_string_equal(s.o[0].sample_comm, "second");
	assert_string_equal(s.o[0].sample_exe, "/usr/bin/second");
	assert_int_equal(s.o[0].allowed, 3);
	aggregate_free(a);
}

static void
test_keys_differ(void **state)
{
	struct aggregate *a = aggregate_new(100, 1000);
	struct container c1 = { "docker", "aaaaaaaaaaaa", NULL };
	struct container c2 = { "docker", "bbbbbbbbbbbb", NULL };
	struct access acc;
	struct seen s = { 0 };

	acc = file_access("/x", 1);
	aggregate_add_access(a, rec("p", "p", RECORD_ALLOWED, 1, 0, 1, "c"), NULL, &acc);
	aggregate_add_access(a, rec("p", "p", RECORD_ALLOWED, 1, 0, 1, "c"), &c1, &acc);
	aggregate_add_access(a, rec("p", "p", RECORD_ALLOWED, 1, 0, 1, "c"), &c2, &acc);
	aggregate_add_access(a, rec("q", "q", RECORD_ALLOWED, 1, 0, 1, "c"), &c2, &acc);
	acc = file_access("/y", 1);
	aggregate_add_access(a, rec("p", "p", RECORD_ALLOWED, 1, 0, 1, "c"), NULL, &acc);
	/* The same path in another field is another access. */
	acc = file_access("", 1);
	acc.f[1] = "/x";
	aggregate_add_access(a, rec("p", "p", RECORD_ALLOWED, 1, 0, 1, "c"), NULL, &acc);
	/* Another class with the same fields. */
	acc = file_access("/x", 1);
	acc.cls = ACCESS_EXEC;
	aggregate_add_access(a, rec("p", "p", RECORD_ALLOWED, 1, 0, 1, "c"), NULL, &acc);
	assert_int_equal(aggregate_count(a), 7);
	/* Repeats of each change nothing. */
	acc = file_access("/x", 8);
	aggregate_add_access(a, rec("p", "p", RECORD_ALLOWED, 1, 0, 1, "c"), &c1, &acc);
	assert_int_equal(aggregate_count(a), 7);
	aggregate_foreach(a, collect, &s);
	assert_int_equal(s.n, 7);
	/* Insertion order, and c1's entry got the second mask. */
	assert_null(s.o[0].container.id);
	assert_string_equal(s.o[1].container.id, "aaaaaaaaaaaa");
	assert_string_equal(s.o[1].container.runtime, "docker");
	assert_int_equal(s.o[1].access.mask, 9);
	assert_int_equal(s.o[1].allowed, 2);
	assert_string_equal(s.o[3].profile, "q");
	aggregate_free(a);
}

static void
test_child_label_into_parent(void **state)
{
	struct aggregate *a = aggregate_new(100, 1000);
	struct access acc = file_access("/bin/busybox", 1);
	struct seen s = { 0 };

	aggregate_add_access(a, rec("app//null-/bin/busybox", "app",
	    RECORD_ALLOWED, 5, 0, 7, "sh"), NULL, &acc);
	aggregate_add_access(a, rec("app//hat", "app", RECORD_ALLOWED, 5, 0, 7,
	    "sh"), NULL, &acc);
	aggregate_add_access(a, rec("app", NULL, RECORD_ALLOWED, 5, 0, 7, "sh"),
	    NULL, &acc);
	aggregate_foreach(a, collect, &s);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.o[0].profile, "app");
	assert_string_equal(s.o[0].label, "app//null-/bin/busybox");
	assert_string_equal(s.o[1].profile, "app");
	assert_string_equal(s.o[1].label, "app//hat");
	assert_string_equal(s.o[2].profile, "app");
	assert_string_equal(s.o[2].label, "app");
	aggregate_free(a);
}

static void
test_rejects(void **state)
{
	struct aggregate *a = aggregate_new(100, 1000);
	struct access acc = file_access("/x", 1);

	assert_int_equal(aggregate_add_access(a, rec(NULL, NULL, RECORD_ALLOWED,
	    1, 0, 1, "c"), NULL, &acc), -EINVAL);
	assert_int_equal(aggregate_add_access(a, rec("", NULL, RECORD_ALLOWED,
	    1, 0, 1, "c"), NULL, &acc), -EINVAL);
	acc.cls = ACCESS_NONE;
	assert_int_equal(aggregate_add_access(a, rec("p", "p", RECORD_ALLOWED,
	    1, 0, 1, "c"), NULL, &acc), -EINVAL);
	assert_int_equal(aggregate_count(a), 0);
	/* A hostile epoch does not overflow (UBSan would abort here). */
	acc = file_access("/x", 1);
	assert_int_equal(aggregate_add_access(a, rec("p", "p", RECORD_ALLOWED,
	    INT64_MAX, 0, 1, "c"), NULL, &acc), 0);
	aggregate_free(a);
	assert_null(aggregate_new(10, 0));
	aggregate_free(NULL);
}

struct ovf {
	char name[8][64];
	uint64_t n[8];
	int count;
};

static int
collect_overflow(const char *profile, uint64_t n, void *arg)
{
	struct ovf *o = arg;

	snprintf(o->name[o->count], 64, "%s", profile);
	o->n[o->count++] = n;
	return 0;
}

static void
test_caps(void **state)
{
	struct aggregate *a = aggregate_new(3, 5);
	struct access acc;
	struct ovf o = { 0 };
	char name[32];
	int i, rc;

	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "/a/%d", i);
		acc = file_access(name, 1);
		rc = aggregate_add_access(a, rec("A", "A", RECORD_ALLOWED, 1, 0,
		    1, "c"), NULL, &acc);
		assert_int_equal(rc, i < 3 ? 0 : 1);
	}
	/* A key already held is still counted when its profile is full. */
	acc = file_access("/a/0", 1);
	assert_int_equal(aggregate_add_access(a, rec("A", "A", RECORD_ALLOWED, 1,
	    0, 1, "c"), NULL, &acc), 0);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "/b/%d", i);
		acc = file_access(name, 1);
		rc = aggregate_add_access(a, rec("B", "B", RECORD_ALLOWED, 1, 0,
		    1, "c"), NULL, &acc);
		/* B gets two: the total cap of 5 is reached first. */
		assert_int_equal(rc, i < 2 ? 0 : 1);
	}
	assert_int_equal(aggregate_count(a), 5);
	assert_int_equal(aggregate_overflow(a), 4);
	assert_int_equal(aggregate_foreach_overflow(a, collect_overflow, &o), 0);
	assert_int_equal(o.count, 2);
	assert_string_equal(o.name[0], "A");
	assert_int_equal(o.n[0], 2);
	assert_string_equal(o.name[1], "B");
	assert_int_equal(o.n[1], 2);

	/* After a flush the caps apply afresh. */
	aggregate_clear(a);
	assert_int_equal(aggregate_count(a), 0);
	assert_int_equal(aggregate_overflow(a), 0);
	o.count = 0;
	aggregate_foreach_overflow(a, collect_overflow, &o);
	assert_int_equal(o.count, 0);
	acc = file_access("/b/3", 1);
	assert_int_equal(aggregate_add_access(a, rec("B", "B", RECORD_ALLOWED, 1,
	    0, 1, "c"), NULL, &acc), 0);
	aggregate_free(a);
}

static void
test_byte_cap(void **state)
{
	struct aggregate *a = aggregate_new(1000, 1000);
	struct access acc;
	char *big;
	int rc, i, ok = 0, over = 0;

	/* 600 KiB of strings allowed (give or take the arena's chunk of
	 * 256 KiB); 20 names of 64 KiB cannot all fit. */
	aggregate_set_max_bytes(a, 600 * 1024);
	big = malloc(65536);
	for (i = 0; i < 20; i++) {
		memset(big, 'a' + i, 65535);
		big[65535] = '\0';
		acc = file_access(big, 1);
		rc = aggregate_add_access(a, rec("p", "p", RECORD_ALLOWED, 1, 0, 1,
		    "c"), NULL, &acc);
		assert_true(rc == 0 || rc == 1);
		if (rc == 0)
			ok++;
		else
			over++;
	}
	assert_true(ok >= 2 && ok <= 13);
	assert_int_equal(over, 20 - ok);
	assert_int_equal(aggregate_overflow(a), (uint64_t)over);
	assert_true(aggregate_memory(a) < 2 * 1024 * 1024);
	free(big);
	aggregate_free(a);
}

static void
test_hostile_bytes_kept(void **state)
{
	struct aggregate *a = aggregate_new(100, 1000);
	const char *name = "/tmp/x, /** rwx,\n\"}\xff@{HOME}";
	struct access acc = file_access(name, 1);
	struct seen s = { 0 };

	aggregate_add_access(a, rec("p", "p", RECORD_ALLOWED, 1, 0, 1,
	    "a\"b"), NULL, &acc);
	/* A prefix of it is another key. */
	acc = file_access("/tmp/x, /** rwx,", 1);
	aggregate_add_access(a, rec("p", "p", RECORD_ALLOWED, 1, 0, 1, "c"),
	    NULL, &acc);
	aggregate_foreach(a, collect, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.o[0].access.f[0], name);
	assert_string_equal(s.o[0].sample_comm, "a\"b");
	assert_string_equal(s.o[1].access.f[0], "/tmp/x, /** rwx,");
	aggregate_free(a);
}

struct sum {
	uint64_t allowed, n;
	int bad;
};

static int
sum_up(const struct observation *o, void *arg)
{
	struct sum *s = arg;
	unsigned long i;

	/* Each key i was added (i % 3) + 1 times, see below. */
	if (sscanf(o->access.f[0], "/data/%lu", &i) != 1 ||
	    o->allowed != i % 3 + 1 || strcmp(o->profile, i % 2 ? "odd" : "even"))
		s->bad++;
	s->allowed += o->allowed;
	s->n++;
	return 0;
}

static void
test_many_keys_and_reuse(void **state)
{
	struct aggregate *a = aggregate_new(0, 200000);
	struct access acc;
	struct sum s;
	char name[64];
	unsigned long i, rep, expect = 0;
	size_t mem[2];
	int round;

	/* Twice, with a clear in between: the arenas are reused. */
	for (round = 0; round < 2; round++) {
		expect = 0;
		for (rep = 0; rep < 3; rep++)
			for (i = 0; i < 50000; i++) {
				if (rep > i % 3)
					continue;
				snprintf(name, sizeof(name), "/data/%lu", i);
				acc = file_access(name, 1);
				assert_int_equal(aggregate_add_access(a,
				    rec(i % 2 ? "odd" : "even", NULL,
				    RECORD_ALLOWED, 1, 0, 1, "c"), NULL, &acc), 0);
				expect++;
			}
		assert_int_equal(aggregate_count(a), 50000);
		memset(&s, 0, sizeof(s));
		aggregate_foreach(a, sum_up, &s);
		assert_int_equal(s.n, 50000);
		assert_int_equal(s.bad, 0);
		assert_int_equal(s.allowed, expect);
		mem[round] = aggregate_memory(a);
		aggregate_clear(a);
	}
	/* The second interval reused the first one's memory, no more. */
	assert_int_equal(mem[0], mem[1]);
	aggregate_free(a);
}

static int
stop_early(const struct observation *o, void *arg)
{
	int *n = arg;

	return ++*n == 2 ? 7 : 0;
}

static void
test_foreach_stops(void **state)
{
	struct aggregate *a = aggregate_new(10, 10);
	struct access acc;
	int n = 0;

	acc = file_access("/1", 1);
	aggregate_add_access(a, rec("p", "p", RECORD_ALLOWED, 1, 0, 1, "c"), NULL, &acc);
	acc = file_access("/2", 1);
	aggregate_add_access(a, rec("p", "p", RECORD_ALLOWED, 1, 0, 1, "c"), NULL, &acc);
	acc = file_access("/3", 1);
	aggregate_add_access(a, rec("p", "p", RECORD_ALLOWED, 1, 0, 1, "c"), NULL, &acc);
	assert_int_equal(aggregate_foreach(a, stop_early, &n), 7);
	assert_int_equal(n, 2);
	aggregate_free(a);
}

/* The flood: hundreds of thousands of distinct names stay in bounded memory. */
static void
test_flood_bounded(void **state)
{
	struct aggregate *a = aggregate_new(10000, 50000);
	struct access acc;
	char name[64];
	size_t mem_at_cap = 0;
	unsigned long i;
	int rc;

	for (i = 0; i < 400000; i++) {
		snprintf(name, sizeof(name), "/tmp/flood.%08lx", i);
		acc = file_access(name, 1);
		rc = aggregate_add_access(a, rec(i % 8 ? "busy" : "calm", NULL,
		    RECORD_ALLOWED, 1, 0, 1, "c"), NULL, &acc);
		assert_true(rc == 0 || rc == 1);
		if (i == 80000)
			mem_at_cap = aggregate_memory(a);
	}
	/* busy gets 10000, calm (1 in 8) its 10000 of 50000 records. */
	assert_int_equal(aggregate_count(a), 20000);
	assert_int_equal(aggregate_overflow(a), 400000 - 20000);
	/* Once both profiles are full, memory does not grow any more. */
	assert_int_equal(aggregate_memory(a), mem_at_cap);
	print_message("flood: 400000 distinct names, %zu held, %zu bytes\n",
	    aggregate_count(a), aggregate_memory(a));
	aggregate_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dedup_counts_and_times),
		cmocka_unit_test(test_sample_prefers_exe),
		cmocka_unit_test(test_keys_differ),
		cmocka_unit_test(test_child_label_into_parent),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_byte_cap),
		cmocka_unit_test(test_hostile_bytes_kept),
		cmocka_unit_test(test_many_keys_and_reuse),
		cmocka_unit_test(test_foreach_stops),
		cmocka_unit_test(test_flood_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
