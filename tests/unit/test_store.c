/*
 * test_store - every store API, against a real file and against :memory:.
 *
 * Tests that take a `state` run twice (see main): once on a fresh file in a
 * temporary directory, once on :memory:.  Tests about files (permissions,
 * migrations, read-only opening) use their own files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "store.h"

struct fixture {
	char	 dir[64];
	char	 path[128];
	struct store *st;
};

static int
rm_rf(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static int
setup_file(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[512];

	assert_non_null(fx);
	strcpy(fx->dir, "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/db/aalearn.db", fx->dir);
	fx->st = store_open(fx->path, STORE_CREATE, err, sizeof(err));
	if (fx->st == NULL)
		fail_msg("%s", err);
	*state = fx;
	return 0;
}

static int
setup_memory(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[512];

	assert_non_null(fx);
	strcpy(fx->path, ":memory:");
	fx->st = store_open(fx->path, 0, err, sizeof(err));
	if (fx->st == NULL)
		fail_msg("%s", err);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	store_close(fx->st);
	if (fx->dir[0] != '\0')
		rm_rf(fx->dir);
	free(fx);
	return 0;
}

static struct store *
ST(void **state)
{
	return ((struct fixture *)*state)->st;
}

/* An observation of a file access with the other fields empty. */
static struct observation
obs(const char *profile, const char *path)
{
	struct observation o;
	int i;

	memset(&o, 0, sizeof(o));
	o.profile = profile;
	o.label = profile;
	o.access.cls = ACCESS_FILE;
	for (i = 0; i < ACCESS_NFIELDS; i++)
		o.access.f[i] = "";
	o.access.f[0] = path;
	o.access.mask = 1;
	o.allowed = 1;
	o.first_ms = 1000;
	o.last_ms = 1000;
	o.sample_pid = 42;
	o.sample_comm = "cat";
	o.sample_exe = "/usr/bin/cat";
	return o;
}

/* Collects observations (deep copies of what tests look at). */
#define MAXOBS 64
struct got_obs {
	int	 n;
	struct {
		char	*label, *runtime, *id, *pod, *f[ACCESS_NFIELDS];
		char	*comm, *exe;
		int	 cls, host;
		uint64_t mask, allowed, denied;
		int64_t	 first, last;
		long	 pid;
	} o[MAXOBS];
};

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static int
collect_obs(const struct observation *o, void *arg)
{
	struct got_obs *g = arg;
	int i, k = g->n++;

	assert_true(k < MAXOBS);
	g->o[k].label = dup_or_null(o->label);
	g->o[k].runtime = dup_or_null(o->container.runtime);
	g->o[k].id = dup_or_null(o->container.id);
	g->o[k].pod = dup_or_null(o->container.pod_uid);
	g->o[k].host = o->container.id == NULL;
	for (i = 0; i < ACCESS_NFIELDS; i++)
		g->o[k].f[i] = dup_or_null(o->access.f[i]);
	g->o[k].comm = dup_or_null(o->sample_comm);
	g->o[k].exe = dup_or_null(o->sample_exe);
	g->o[k].cls = (int)o->access.cls;
	g->o[k].mask = o->access.mask;
	g->o[k].allowed = o->allowed;
	g->o[k].denied = o->denied;
	g->o[k].first = o->first_ms;
	g->o[k].last = o->last_ms;
	g->o[k].pid = o->sample_pid;
	return 0;
}

static void
got_obs_free(struct got_obs *g)
{
	int k, i;

	for (k = 0; k < g->n; k++) {
		free(g->o[k].label);
		free(g->o[k].runtime);
		free(g->o[k].id);
		free(g->o[k].pod);
		for (i = 0; i < ACCESS_NFIELDS; i++)
			free(g->o[k].f[i]);
		free(g->o[k].comm);
		free(g->o[k].exe);
	}
	memset(g, 0, sizeof(*g));
}

static int
list_obs(struct store *st, const char *profile, const char *container,
    struct got_obs *g)
{
	memset(g, 0, sizeof(*g));
	return store_list_observations(st, profile, container, collect_obs, g);
}

/* Collects profile_info. */
struct got_prof {
	int	 n;
	struct {
		char	*name, *mode, *file;
		uint64_t observations, containers, overflow;
		int64_t	 last_new;
	} p[16];
};

static int
collect_prof(const struct profile_info *pi, void *arg)
{
	struct got_prof *g = arg;
	int k = g->n++;

	assert_true(k < 16);
	g->p[k].name = strdup(pi->name);
	g->p[k].mode = strdup(pi->mode);
	g->p[k].file = strdup(pi->file);
	g->p[k].observations = pi->observations;
	g->p[k].containers = pi->containers;
	g->p[k].overflow = pi->overflow;
	g->p[k].last_new = pi->last_new_ms;
	return 0;
}

static void
got_prof_free(struct got_prof *g)
{
	int k;

	for (k = 0; k < g->n; k++) {
		free(g->p[k].name);
		free(g->p[k].mode);
		free(g->p[k].file);
	}
	memset(g, 0, sizeof(*g));
}

static int
list_prof(struct store *st, struct got_prof *g)
{
	memset(g, 0, sizeof(*g));
	return store_list_profiles(st, collect_prof, g);
}

static int
find_prof(const struct got_prof *g, const char *name)
{
	int k;

	for (k = 0; k < g->n; k++)
		if (strcmp(g->p[k].name, name) == 0)
			return k;
	return -1;
}

/* ------------------------------------------------------------ observations */

static void
upsert_merges(void **state)
{
	struct store *st = ST(state);
	struct observation o = obs("p", "/etc/passwd");
	struct got_obs g;

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_put_observation(st, &o), 0);
	/* Same key, other masks, counts, times and sample. */
	o.access.mask = 4;
	o.allowed = 2;
	o.denied = 3;
	o.first_ms = 500;
	o.last_ms = 700;
	o.sample_pid = 7;
	o.sample_comm = "other";
	o.sample_exe = "/bin/other";
	o.label = "p//null-/bin/other";
	assert_int_equal(store_put_observation(st, &o), 0);
	o.first_ms = 1500;
	o.last_ms = 2500;
	o.allowed = 10;
	o.denied = 0;
	o.access.mask = 1 | 8;
	assert_int_equal(store_put_observation(st, &o), 0);
	assert_int_equal(store_commit(st), 0);

	assert_int_equal(list_obs(st, "p", NULL, &g), 1);
	assert_int_equal(g.o[0].mask, 1 | 4 | 8);
	assert_int_equal(g.o[0].allowed, 1 + 2 + 10);
	assert_int_equal(g.o[0].denied, 3);
	assert_int_equal(g.o[0].first, 500);
	assert_int_equal(g.o[0].last, 2500);
	/* The sample and label are the first ones. */
	assert_int_equal(g.o[0].pid, 42);
	assert_string_equal(g.o[0].comm, "cat");
	assert_string_equal(g.o[0].exe, "/usr/bin/cat");
	assert_string_equal(g.o[0].label, "p");
	assert_int_equal(g.o[0].cls, ACCESS_FILE);
	assert_string_equal(g.o[0].f[0], "/etc/passwd");
	assert_true(g.o[0].host);
	got_obs_free(&g);
}

static void
unknown_times_do_not_win(void **state)
{
	struct store *st = ST(state);
	struct observation o = obs("p", "/x");
	struct got_obs g;

	o.first_ms = 0;
	o.last_ms = 0;
	assert_int_equal(store_put_observation(st, &o), 0);
	o.first_ms = 300;
	o.last_ms = 400;
	assert_int_equal(store_put_observation(st, &o), 0);
	o.first_ms = 0;
	o.last_ms = 0;
	assert_int_equal(store_put_observation(st, &o), 0);
	assert_int_equal(list_obs(st, "p", NULL, &g), 1);
	assert_int_equal(g.o[0].first, 300);
	assert_int_equal(g.o[0].last, 400);
	assert_int_equal(g.o[0].allowed, 3);
	got_obs_free(&g);
}

struct got_names {
	int	 n;
	char	 name[16][8];
};

static int
collect_names(const struct observation *o, void *arg)
{
	struct got_names *g = arg;

	assert_true(g->n < 16);
	snprintf(g->name[g->n++], sizeof(g->name[0]), "%s", o->profile);
	return 0;
}

static void
every_key_part_counts(void **state)
{
	struct store *st = ST(state);
	struct observation o = obs("p", "a");
	struct got_prof gp;
	struct got_obs g;
	int i, k;

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_put_observation(st, &o), 0);
	/* The same string in each other field position is another key. */
	for (i = 1; i < ACCESS_NFIELDS; i++) {
		o = obs("p", "");
		o.access.f[i] = "a";
		assert_int_equal(store_put_observation(st, &o), 0);
	}
	o = obs("p", "a");
	o.access.cls = ACCESS_EXEC;
	assert_int_equal(store_put_observation(st, &o), 0);
	o = obs("p", "a");
	o.container.runtime = "docker";
	o.container.id = "c1";
	assert_int_equal(store_put_observation(st, &o), 0);
	o.container.runtime = "podman";	/* same id, other runtime */
	assert_int_equal(store_put_observation(st, &o), 0);
	o = obs("q", "a");
	assert_int_equal(store_put_observation(st, &o), 0);
	/* The mask is not part of the key. */
	o = obs("p", "a");
	o.access.mask = 2;
	assert_int_equal(store_put_observation(st, &o), 0);
	assert_int_equal(store_commit(st), 0);

	assert_int_equal(list_obs(st, "p", NULL, &g), ACCESS_NFIELDS + 3);
	for (k = 0; k < g.n; k++)
		assert_int_equal(g.o[k].allowed, g.o[k].mask == 3 ? 2 : 1);
	got_obs_free(&g);
	assert_int_equal(list_obs(st, "q", NULL, &g), 1);
	got_obs_free(&g);
	/* Every profile's at once, grouped by profile. */
	{
		struct got_names gn;

		memset(&gn, 0, sizeof(gn));
		assert_int_equal(store_list_observations(st, NULL, NULL,
		    collect_names, &gn), ACCESS_NFIELDS + 4);
		for (k = 0; k < gn.n; k++)
			assert_string_equal(gn.name[k], k < ACCESS_NFIELDS + 3 ?
			    "p" : "q");
		memset(&gn, 0, sizeof(gn));
		assert_int_equal(store_list_observations(st, NULL, "c1",
		    collect_names, &gn), 2);
	}
	assert_int_equal(list_prof(st, &gp), 2);
	k = find_prof(&gp, "p");
	assert_true(k >= 0);
	assert_int_equal(gp.p[k].observations, ACCESS_NFIELDS + 3);
	assert_int_equal(gp.p[k].containers, 2);
	got_prof_free(&gp);
}

static void
hostile_bytes_round_trip(void **state)
{
	struct store *st = ST(state);
	char all[256], *big;
	const char *weird[] = {
		all, "\n", "a\nb\r\n", "\xff\xfe\x80", "\xc3\x28",
		"x'); DROP TABLE observations; --", "%s%n", "caf\xc3\xa9",
		"/tmp/x, /** rwx,", "@{HOME}", " ", "\t",
	};
	struct observation o;
	struct got_obs g;
	size_t i, n = sizeof(weird) / sizeof(weird[0]);
	int k, f;

	for (i = 0; i < 255; i++)
		all[i] = (char)(i + 1);
	all[255] = '\0';
	big = malloc(65537);
	assert_non_null(big);
	memset(big, '\xee', 65536);
	big[65536] = '\0';

	assert_int_equal(store_begin(st), 0);
	for (i = 0; i < n; i++) {
		o = obs(weird[i], weird[i]);
		for (f = 1; f < ACCESS_NFIELDS; f++)
			o.access.f[f] = weird[(i + (size_t)f) % n];
		o.label = weird[(i + 1) % n];
		o.container.runtime = weird[(i + 2) % n];
		o.container.id = weird[(i + 3) % n];
		o.container.pod_uid = weird[(i + 4) % n];
		o.sample_comm = weird[(i + 5) % n];
		o.sample_exe = weird[(i + 6) % n];
		assert_int_equal(store_put_observation(st, &o), 0);
	}
	o = obs("big", big);
	assert_int_equal(store_put_observation(st, &o), 0);
	assert_int_equal(store_commit(st), 0);

	for (i = 0; i < n; i++) {
		assert_int_equal(list_obs(st, weird[i], NULL, &g), 1);
		assert_string_equal(g.o[0].f[0], weird[i]);
		for (f = 1; f < ACCESS_NFIELDS; f++)
			assert_string_equal(g.o[0].f[f],
			    weird[(i + (size_t)f) % n]);
		assert_string_equal(g.o[0].label, weird[(i + 1) % n]);
		assert_string_equal(g.o[0].runtime, weird[(i + 2) % n]);
		assert_string_equal(g.o[0].id, weird[(i + 3) % n]);
		assert_string_equal(g.o[0].pod, weird[(i + 4) % n]);
		assert_string_equal(g.o[0].comm, weird[(i + 5) % n]);
		assert_string_equal(g.o[0].exe, weird[(i + 6) % n]);
		got_obs_free(&g);
		/* Filter by a hostile container id. */
		assert_int_equal(list_obs(st, weird[i], weird[(i + 3) % n],
		    &g), 1);
		got_obs_free(&g);
	}
	assert_int_equal(list_obs(st, "big", NULL, &g), 1);
	assert_int_equal(strlen(g.o[0].f[0]), 65536);
	assert_string_equal(g.o[0].f[0], big);
	got_obs_free(&g);
	/* A prefix of a key is not the key. */
	assert_int_equal(list_obs(st, "caf", NULL, &g), 0);
	k = list_obs(st, "caf\xc3", NULL, &g);
	assert_int_equal(k, 0);
	free(big);
}

static void
containers_and_host(void **state)
{
	struct store *st = ST(state);
	struct observation o = obs("p", "/a");
	struct got_obs g;
	int k;

	assert_int_equal(store_put_observation(st, &o), 0);	/* host */
	o.container.runtime = "containerd";
	o.container.id = "aaaa";
	assert_int_equal(store_put_observation(st, &o), 0);
	/* The pod uid learned later fills in; a later NULL keeps it. */
	o.container.pod_uid = "pod-1";
	o.access.f[0] = "/b";
	assert_int_equal(store_put_observation(st, &o), 0);
	o.container.pod_uid = NULL;
	o.access.f[0] = "/c";
	assert_int_equal(store_put_observation(st, &o), 0);
	o.container.id = "bbbb";
	assert_int_equal(store_put_observation(st, &o), 0);

	assert_int_equal(list_obs(st, "p", NULL, &g), 5);
	got_obs_free(&g);
	assert_int_equal(list_obs(st, "p", "", &g), 1);
	assert_true(g.o[0].host);
	assert_null(g.o[0].id);
	assert_null(g.o[0].runtime);
	got_obs_free(&g);
	assert_int_equal(list_obs(st, "p", "aaaa", &g), 3);
	for (k = 0; k < 3; k++) {
		assert_string_equal(g.o[k].runtime, "containerd");
		assert_string_equal(g.o[k].id, "aaaa");
		assert_string_equal(g.o[k].pod, "pod-1");
	}
	got_obs_free(&g);
	assert_int_equal(list_obs(st, "p", "bbbb", &g), 1);
	assert_null(g.o[0].pod);
	got_obs_free(&g);
	assert_int_equal(list_obs(st, "p", "cccc", &g), 0);
	assert_int_equal(list_obs(st, "nosuch", NULL, &g), 0);
}

struct got_cont {
	int	 n;
	char	*runtime[8], *id[8], *pod[8];
	int64_t	 first[8], last[8];
};

static int
collect_cont(const struct container_info *ci, void *arg)
{
	struct got_cont *g = arg;
	int k = g->n++;

	assert_true(k < 8);
	g->runtime[k] = strdup(ci->runtime);
	g->id[k] = strdup(ci->id);
	g->pod[k] = dup_or_null(ci->pod_uid);
	g->first[k] = ci->first_ms;
	g->last[k] = ci->last_ms;
	return 0;
}

static void
got_cont_free(struct got_cont *g)
{
	int k;

	for (k = 0; k < g->n; k++) {
		free(g->runtime[k]);
		free(g->id[k]);
		free(g->pod[k]);
	}
	memset(g, 0, sizeof(*g));
}

static int
list_cont(struct store *st, struct got_cont *g)
{
	memset(g, 0, sizeof(*g));
	return store_list_containers(st, collect_cont, g);
}

static void
containers_widen(void **state)
{
	struct store *st = ST(state);
	struct observation o = obs("p", "/a");
	struct got_cont g;
	int i;

	o.first_ms = 0;		/* unknown */
	o.last_ms = 0;
	assert_int_equal(store_put_observation(st, &o), 0);	/* host */
	o.container.runtime = "docker";
	o.container.id = "d1";
	assert_int_equal(store_put_observation(st, &o), 0);
	assert_int_equal(store_begin(st), 0);
	/* Several puts within and across batches, out of order. */
	for (i = 0; i < 3; i++) {
		o.first_ms = 200 + i;
		o.last_ms = 300 - i;
		assert_int_equal(store_put_observation(st, &o), 0);
	}
	o.first_ms = 100;
	o.last_ms = 150;
	o.access.f[0] = "/b";
	assert_int_equal(store_put_observation(st, &o), 0);
	assert_int_equal(store_commit(st), 0);
	o.first_ms = 0;
	o.last_ms = 400;
	o.container.pod_uid = "pod-x";
	assert_int_equal(store_put_observation(st, &o), 0);
	o.container.pod_uid = "pod-y";	/* the first known is kept */
	assert_int_equal(store_put_observation(st, &o), 0);
	o.container.runtime = "cri-o";
	o.container.id = "e2";
	o.container.pod_uid = NULL;
	o.first_ms = o.last_ms = 50;
	assert_int_equal(store_put_observation(st, &o), 0);

	assert_int_equal(list_cont(st, &g), 2);
	assert_string_equal(g.runtime[0], "cri-o");
	assert_string_equal(g.id[0], "e2");
	assert_null(g.pod[0]);
	assert_int_equal(g.first[0], 50);
	assert_int_equal(g.last[0], 50);
	assert_string_equal(g.runtime[1], "docker");
	assert_string_equal(g.id[1], "d1");
	assert_string_equal(g.pod[1], "pod-x");
	assert_int_equal(g.first[1], 100);
	assert_int_equal(g.last[1], 400);
	got_cont_free(&g);
}

/*
 * A batch rolled back forgets the profiles and containers it made, also in
 * what the store remembers of them: the next put must not reuse their ids,
 * which the next new rows get.
 */
static void
rollback_forgets_new_rows(void **state)
{
	struct store *st = ST(state);
	struct observation o = obs("x", "/a");
	struct got_obs g;
	struct got_prof gp;
	struct got_cont gc;
	int k;

	o.container.runtime = "docker";
	o.container.id = "cx";
	o.first_ms = o.last_ms = 10;
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_put_observation(st, &o), 0);
	store_rollback(st);
	/* These now get the rows ids "x" and "cx" had. */
	assert_int_equal(store_set_profile(st, "y", NULL, NULL), 0);
	o = obs("y", "/y");
	o.container.runtime = "docker";
	o.container.id = "cy";
	o.first_ms = o.last_ms = 20;
	assert_int_equal(store_put_observation(st, &o), 0);

	o = obs("x", "/a");
	o.container.runtime = "docker";
	o.container.id = "cx";
	o.first_ms = o.last_ms = 10;
	assert_int_equal(store_put_observation(st, &o), 0);
	assert_int_equal(list_obs(st, "x", NULL, &g), 1);
	assert_string_equal(g.o[0].id, "cx");
	assert_string_equal(g.o[0].f[0], "/a");
	got_obs_free(&g);
	assert_int_equal(list_obs(st, "y", NULL, &g), 1);
	assert_string_equal(g.o[0].id, "cy");
	got_obs_free(&g);
	assert_int_equal(list_prof(st, &gp), 2);
	k = find_prof(&gp, "x");
	assert_int_equal(gp.p[k].observations, 1);
	got_prof_free(&gp);
	assert_int_equal(list_cont(st, &gc), 2);
	assert_int_equal(gc.first[0], 10);
	assert_int_equal(gc.first[1], 20);
	got_cont_free(&gc);
	assert_int_equal(store_check_integrity(st), 0);
}

/* Many profiles and containers: more than any cache of them holds. */
static void
many_profiles_and_containers(void **state)
{
	struct store *st = ST(state);
	char prof[32], cid[32], path[32];
	struct observation o;
	struct got_prof gp;
	struct got_obs g;
	int i, round, k;

	for (round = 0; round < 2; round++) {
		assert_int_equal(store_begin(st), 0);
		for (i = 0; i < 500; i++) {
			snprintf(prof, sizeof(prof), "prof-%d", i % 200);
			snprintf(cid, sizeof(cid), "c-%d", i % 300);
			snprintf(path, sizeof(path), "/f/%d", i);
			o = obs(prof, path);
			o.container.runtime = "docker";
			o.container.id = cid;
			assert_int_equal(store_put_observation(st, &o), 0);
		}
		assert_int_equal(store_commit(st), 0);
	}
	memset(&gp, 0, sizeof(gp));
	for (i = 0; i < 200; i++) {
		snprintf(prof, sizeof(prof), "prof-%d", i);
		assert_int_equal(list_obs(st, prof, NULL, &g), i < 100 ? 3 : 2);
		for (k = 0; k < g.n; k++) {
			int n = atoi(g.o[k].f[0] + 3);

			assert_int_equal(n % 200, i);
			snprintf(cid, sizeof(cid), "c-%d", n % 300);
			assert_string_equal(g.o[k].id, cid);
			assert_int_equal(g.o[k].allowed, 2);
		}
		got_obs_free(&g);
	}
}

static void
cap_counts_overflow(void **state)
{
	struct store *st = ST(state);
	struct observation o;
	struct got_prof gp;
	struct got_obs g;
	char name[16];
	int i, k;

	store_set_cap(st, 3);
	assert_int_equal(store_begin(st), 0);
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "/f%d", i);
		o = obs("p", name);
		assert_int_equal(store_put_observation(st, &o), i < 3 ? 0 : 1);
	}
	/* Keys already kept still count. */
	o = obs("p", "/f0");
	assert_int_equal(store_put_observation(st, &o), 0);
	/* The cap is per profile. */
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "/g%d", i);
		o = obs("q", name);
		assert_int_equal(store_put_observation(st, &o), 0);
	}
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_add_overflow(st, "p", 10), 0);
	assert_int_equal(store_add_overflow(st, "r", 4), 0);

	assert_int_equal(list_obs(st, "p", NULL, &g), 3);
	for (k = 0; k < 3; k++) {
		snprintf(name, sizeof(name), "/f%d", k);
		assert_string_equal(g.o[k].f[0], name);
		assert_int_equal(g.o[k].allowed, k == 0 ? 2 : 1);
	}
	got_obs_free(&g);
	assert_int_equal(list_prof(st, &gp), 3);
	k = find_prof(&gp, "p");
	assert_int_equal(gp.p[k].observations, 3);
	assert_int_equal(gp.p[k].overflow, 2 + 10);
	k = find_prof(&gp, "q");
	assert_int_equal(gp.p[k].observations, 3);
	assert_int_equal(gp.p[k].overflow, 0);
	k = find_prof(&gp, "r");
	assert_int_equal(gp.p[k].observations, 0);
	assert_int_equal(gp.p[k].overflow, 4);
	got_prof_free(&gp);

	/* Dropped observations leave no container behind. */
	{
		struct got_cont gc;
		char cid[16];

		for (i = 0; i < 20; i++) {
			snprintf(cid, sizeof(cid), "flood-%d", i);
			o = obs("p", "/f0");
			o.container.runtime = "docker";
			o.container.id = cid;
			assert_int_equal(store_put_observation(st, &o), 1);
		}
		assert_int_equal(list_cont(st, &gc), 0);
		got_cont_free(&gc);
		assert_int_equal(list_prof(st, &gp), 3);
		k = find_prof(&gp, "p");
		assert_int_equal(gp.p[k].overflow, 2 + 10 + 20);
		got_prof_free(&gp);
	}

	/* Raising the cap lets new keys in again. */
	store_set_cap(st, 4);
	o = obs("p", "/f4");
	assert_int_equal(store_put_observation(st, &o), 0);
	o = obs("p", "/f5");
	assert_int_equal(store_put_observation(st, &o), 1);
}

static void
default_cap(void **state)
{
	struct store *st = ST(state);
	struct observation o;
	struct got_prof gp;
	char name[32];
	int i;

	/* Reaching the default cap takes a while; check it is not tiny. */
	assert_int_equal(store_begin(st), 0);
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "/f%d", i);
		o = obs("p", name);
		assert_int_equal(store_put_observation(st, &o), 0);
	}
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(list_prof(st, &gp), 1);
	assert_int_equal(gp.p[0].observations, 2000);
	assert_int_equal(gp.p[0].overflow, 0);
	got_prof_free(&gp);
}

static void
bad_observations(void **state)
{
	struct store *st = ST(state);
	struct observation o = obs("p", "/a");
	struct got_prof gp;

	o.access.cls = ACCESS_NONE;
	assert_int_equal(store_put_observation(st, &o), -EINVAL);
	o.access.cls = ACCESS_NCLASSES;
	assert_int_equal(store_put_observation(st, &o), -EINVAL);
	o = obs(NULL, "/a");
	assert_int_equal(store_put_observation(st, &o), -EINVAL);
	o = obs("", "/a");
	assert_int_equal(store_put_observation(st, &o), -EINVAL);
	assert_int_equal(store_put_observation(st, NULL), -EINVAL);
	/* NULL fields are the empty string. */
	o = obs("p", "/a");
	o.access.f[3] = NULL;
	assert_int_equal(store_put_observation(st, &o), 0);
	o.access.f[3] = "";
	assert_int_equal(store_put_observation(st, &o), 0);
	assert_int_equal(list_prof(st, &gp), 1);
	assert_int_equal(gp.p[0].observations, 1);
	got_prof_free(&gp);
}

/* --------------------------------------------------------------- batches */

static void
rollback_forgets_batch(void **state)
{
	struct store *st = ST(state);
	struct observation o = obs("p", "/a");
	struct checkpoint cp = { "file:/x", "off=10", 5 };
	struct got_obs g;
	char *pos = NULL;

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_put_observation(st, &o), 0);
	assert_int_equal(store_put_checkpoint(st, &cp), 0);
	assert_int_equal(store_commit(st), 0);

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_begin(st), -EINVAL);	/* no nesting */
	assert_int_equal(store_put_observation(st, &o), 0);
	o.access.f[0] = "/b";
	assert_int_equal(store_put_observation(st, &o), 0);
	cp.position = "off=20";
	assert_int_equal(store_put_checkpoint(st, &cp), 0);
	store_rollback(st);

	assert_int_equal(list_obs(st, "p", NULL, &g), 1);
	assert_int_equal(g.o[0].allowed, 1);
	got_obs_free(&g);
	assert_int_equal(store_get_checkpoint(st, "file:/x", &pos), 0);
	assert_string_equal(pos, "off=10");
	free(pos);

	assert_int_equal(store_commit(st), -EINVAL);	/* no batch open */
	store_rollback(st);				/* harmless */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_commit(st), 0);
}

static void
checkpoints(void **state)
{
	struct store *st = ST(state);
	struct checkpoint cp = { "netlink", "serial=1", 1 };
	char untouched[] = "untouched", *pos = untouched;

	assert_int_equal(store_get_checkpoint(st, "netlink", &pos), -ENOENT);
	assert_ptr_equal(pos, untouched);
	assert_int_equal(store_put_checkpoint(st, &cp), 0);
	cp.source = "kmsg";
	cp.position = "seq=\n\xff";
	assert_int_equal(store_put_checkpoint(st, &cp), 0);
	cp.source = "netlink";
	cp.position = "serial=2";
	assert_int_equal(store_put_checkpoint(st, &cp), 0);
	assert_int_equal(store_get_checkpoint(st, "netlink", &pos), 0);
	assert_string_equal(pos, "serial=2");
	free(pos);
	assert_int_equal(store_get_checkpoint(st, "kmsg", &pos), 0);
	assert_string_equal(pos, "seq=\n\xff");
	free(pos);
	cp.position = NULL;
	assert_int_equal(store_put_checkpoint(st, &cp), -EINVAL);
	cp.source = "";
	cp.position = "x";
	assert_int_equal(store_put_checkpoint(st, &cp), -EINVAL);
}

/* ---------------------------------------------------------------- sources */

struct got_src {
	int	 n;
	char	*name[8];
	struct source_stats s[8];
};

static int
collect_src(const struct source_stats *ss, void *arg)
{
	struct got_src *g = arg;
	int k = g->n++;

	assert_true(k < 8);
	g->s[k] = *ss;
	g->name[k] = strdup(ss->source);
	g->s[k].source = g->name[k];
	return 0;
}

static void
source_stats_add(void **state)
{
	struct store *st = ST(state);
	struct source_stats a = { "netlink", 10, 1, 2, 3, 4, 100, 200 };
	struct source_stats b = { "file:/var/log/audit/audit.log", 5, 0, 0, 0,
	    0, 50, 60 };
	struct got_src g;
	int k;

	assert_int_equal(store_add_source_stats(st, &a), 0);
	assert_int_equal(store_add_source_stats(st, &b), 0);
	a.last_record_ms = 0;	/* leave as is */
	a.updated_ms = 300;
	assert_int_equal(store_add_source_stats(st, &a), 0);
	memset(&g, 0, sizeof(g));
	assert_int_equal(store_list_sources(st, collect_src, &g), 2);
	/* Sorted by name. */
	assert_string_equal(g.s[0].source, "file:/var/log/audit/audit.log");
	assert_int_equal(g.s[0].read, 5);
	assert_int_equal(g.s[0].last_record_ms, 50);
	assert_string_equal(g.s[1].source, "netlink");
	assert_int_equal(g.s[1].read, 20);
	assert_int_equal(g.s[1].skipped, 2);
	assert_int_equal(g.s[1].malformed, 4);
	assert_int_equal(g.s[1].lost, 6);
	assert_int_equal(g.s[1].kernel_lost, 8);
	assert_int_equal(g.s[1].last_record_ms, 100);
	assert_int_equal(g.s[1].updated_ms, 300);
	for (k = 0; k < g.n; k++)
		free(g.name[k]);
	a.source = NULL;
	assert_int_equal(store_add_source_stats(st, &a), -EINVAL);
}

/* --------------------------------------------------------------- profiles */

static void
profiles_info(void **state)
{
	struct store *st = ST(state);
	struct observation o;
	struct got_prof g;
	int k;

	assert_int_equal(store_set_profile(st, "b", "complain",
	    "/etc/apparmor.d/b"), 0);
	assert_int_equal(store_set_profile(st, "a", NULL, NULL), 0);
	/* NULL leaves as is; a new value replaces. */
	assert_int_equal(store_set_profile(st, "b", NULL, NULL), 0);
	assert_int_equal(store_set_profile(st, "a", "enforce", NULL), 0);
	o = obs("a", "/x");
	o.first_ms = 5000;
	assert_int_equal(store_put_observation(st, &o), 0);
	o = obs("a", "/y");
	o.first_ms = 3000;
	o.container.runtime = "docker";
	o.container.id = "c1";
	assert_int_equal(store_put_observation(st, &o), 0);
	/* A repeat is not a new distinct observation. */
	o.first_ms = 9000;
	o.last_ms = 9000;
	assert_int_equal(store_put_observation(st, &o), 0);

	assert_int_equal(list_prof(st, &g), 2);
	assert_string_equal(g.p[0].name, "a");
	assert_string_equal(g.p[0].mode, "enforce");
	assert_string_equal(g.p[0].file, "");
	assert_int_equal(g.p[0].observations, 2);
	assert_int_equal(g.p[0].containers, 1);
	assert_int_equal(g.p[0].last_new, 5000);
	assert_string_equal(g.p[1].name, "b");
	assert_string_equal(g.p[1].mode, "complain");
	assert_string_equal(g.p[1].file, "/etc/apparmor.d/b");
	assert_int_equal(g.p[1].observations, 0);
	got_prof_free(&g);
	k = store_set_profile(st, "", "x", "y");
	assert_int_equal(k, -EINVAL);
}

static int
stop_at_first(const struct profile_info *pi, void *arg)
{
	(*(int *)arg)++;
	return 77;
}

static void
callbacks_stop(void **state)
{
	struct store *st = ST(state);
	int calls = 0;

	assert_int_equal(store_set_profile(st, "a", NULL, NULL), 0);
	assert_int_equal(store_set_profile(st, "b", NULL, NULL), 0);
	assert_int_equal(store_list_profiles(st, stop_at_first, &calls), 77);
	assert_int_equal(calls, 1);
	/* The statement was reset: listing again works. */
	assert_int_equal(store_list_profiles(st, stop_at_first, &calls), 77);
	assert_int_equal(calls, 2);
}

/* -------------------------------------------------------------- decisions */

struct got_dec {
	int	 n;
	struct {
		char	*profile, *rule_id, *rule, *note;
		int	 decision, applied;
		int64_t	 when;
	} d[8];
};

static int
collect_dec(const struct decision_info *d, void *arg)
{
	struct got_dec *g = arg;
	int k = g->n++;

	assert_true(k < 8);
	g->d[k].profile = strdup(d->profile);
	g->d[k].rule_id = strdup(d->rule_id);
	g->d[k].rule = strdup(d->rule);
	g->d[k].note = dup_or_null(d->note);
	g->d[k].decision = (int)d->decision;
	g->d[k].applied = d->applied;
	g->d[k].when = d->decided_ms;
	return 0;
}

static void
got_dec_free(struct got_dec *g)
{
	int k;

	for (k = 0; k < g->n; k++) {
		free(g->d[k].profile);
		free(g->d[k].rule_id);
		free(g->d[k].rule);
		free(g->d[k].note);
	}
	memset(g, 0, sizeof(*g));
}

static void
decisions(void **state)
{
	struct store *st = ST(state);
	struct decision_info d = { "p", "r1", "/etc/** r,", DECISION_ACCEPTED,
	    100, "looks fine\n\xff", 0 };
	struct got_dec g;

	assert_int_equal(store_get_decision(st, "p", "r1"), DECISION_NONE);
	assert_int_equal(store_mark_applied(st, "p", "r1"), -ENOENT);
	assert_int_equal(store_put_decision(st, &d), 0);
	assert_int_equal(store_get_decision(st, "p", "r1"), DECISION_ACCEPTED);
	d.rule_id = "r2";
	d.rule = "capability sys_admin,";
	d.decision = DECISION_REJECTED;
	d.decided_ms = 200;
	d.note = NULL;
	assert_int_equal(store_put_decision(st, &d), 0);
	d.profile = "q";
	d.rule_id = "r1";	/* same rule id, other profile */
	d.decided_ms = 50;
	assert_int_equal(store_put_decision(st, &d), 0);
	assert_int_equal(store_get_decision(st, "p", "r2"), DECISION_REJECTED);
	assert_int_equal(store_get_decision(st, "q", "r1"), DECISION_REJECTED);
	assert_int_equal(store_get_decision(st, "p", "r1"), DECISION_ACCEPTED);
	assert_int_equal(store_mark_applied(st, "p", "r1"), 0);

	memset(&g, 0, sizeof(g));
	assert_int_equal(store_list_decisions(st, "p", collect_dec, &g), 2);
	assert_string_equal(g.d[0].rule_id, "r1");
	assert_string_equal(g.d[0].rule, "/etc/** r,");
	assert_string_equal(g.d[0].note, "looks fine\n\xff");
	assert_int_equal(g.d[0].applied, 1);
	assert_int_equal(g.d[0].when, 100);
	assert_string_equal(g.d[1].rule_id, "r2");
	assert_null(g.d[1].note);
	assert_int_equal(g.d[1].applied, 0);
	got_dec_free(&g);
	assert_int_equal(store_list_decisions(st, NULL, collect_dec, &g), 3);
	got_dec_free(&g);

	/* Deciding again replaces the decision; NONE forgets it. */
	d.profile = "p";
	d.rule_id = "r1";
	d.rule = "/etc/passwd r,";
	d.decision = DECISION_REJECTED;
	d.decided_ms = 300;
	d.applied = 0;
	assert_int_equal(store_put_decision(st, &d), 0);
	assert_int_equal(store_get_decision(st, "p", "r1"), DECISION_REJECTED);
	assert_int_equal(store_list_decisions(st, "p", collect_dec, &g), 2);
	assert_string_equal(g.d[1].rule, "/etc/passwd r,");
	got_dec_free(&g);
	d.decision = DECISION_NONE;
	assert_int_equal(store_put_decision(st, &d), 0);
	assert_int_equal(store_get_decision(st, "p", "r1"), DECISION_NONE);
	assert_int_equal(store_list_decisions(st, "p", collect_dec, &g), 1);
	got_dec_free(&g);

	d.decision = (enum decision)7;
	assert_int_equal(store_put_decision(st, &d), -EINVAL);
	d.decision = DECISION_ACCEPTED;
	d.rule_id = "";
	assert_int_equal(store_put_decision(st, &d), -EINVAL);
}

/* --------------------------------------------------------------- versions */

struct got_ver {
	int	 n;
	int64_t	 version[8];
	char	*text[8], *path[8], *reason[8], *profile[8];
	int64_t	 when[8];
};

static int
collect_ver(const struct version_info *v, void *arg)
{
	struct got_ver *g = arg;
	int k = g->n++;

	assert_true(k < 8);
	g->version[k] = v->version;
	g->text[k] = strdup(v->text);
	g->path[k] = strdup(v->path);
	g->reason[k] = strdup(v->reason);
	g->profile[k] = strdup(v->profile);
	g->when[k] = v->written_ms;
	return 0;
}

static void
got_ver_free(struct got_ver *g)
{
	int k;

	for (k = 0; k < g->n; k++) {
		free(g->text[k]);
		free(g->path[k]);
		free(g->reason[k]);
		free(g->profile[k]);
	}
	memset(g, 0, sizeof(*g));
}

static void
versions(void **state)
{
	struct store *st = ST(state);
	struct version_info v = { "p", 0, "/etc/apparmor.d/p",
	    "profile p {\n  /etc/\xff r,\n}\n", 10, "init" };
	struct got_ver g;
	int64_t n = -1;

	memset(&g, 0, sizeof(g));
	assert_int_equal(store_get_version(st, "p", 0, collect_ver, &g),
	    -ENOENT);
	assert_int_equal(store_add_version(st, &v, &n), 0);
	assert_int_equal(n, 1);
	v.text = "profile p {}\n";
	v.reason = "apply";
	v.written_ms = 20;
	assert_int_equal(store_add_version(st, &v, &n), 0);
	assert_int_equal(n, 2);
	/* Numbered per profile. */
	v.profile = "q";
	assert_int_equal(store_add_version(st, &v, &n), 0);
	assert_int_equal(n, 1);
	v.profile = "p";
	v.reason = "rollback to 1";
	v.text = "";
	assert_int_equal(store_add_version(st, &v, NULL), 0);

	assert_int_equal(store_list_versions(st, "p", collect_ver, &g), 3);
	assert_int_equal(g.version[0], 3);
	assert_int_equal(g.version[1], 2);
	assert_int_equal(g.version[2], 1);
	assert_string_equal(g.text[2], "profile p {\n  /etc/\xff r,\n}\n");
	assert_string_equal(g.reason[0], "rollback to 1");
	assert_string_equal(g.path[1], "/etc/apparmor.d/p");
	assert_int_equal(g.when[1], 20);
	got_ver_free(&g);

	assert_int_equal(store_get_version(st, "p", 0, collect_ver, &g), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.version[0], 3);
	got_ver_free(&g);
	assert_int_equal(store_get_version(st, "p", 1, collect_ver, &g), 0);
	assert_string_equal(g.text[0], "profile p {\n  /etc/\xff r,\n}\n");
	assert_string_equal(g.reason[0], "init");
	got_ver_free(&g);
	assert_int_equal(store_get_version(st, "p", 4, collect_ver, &g),
	    -ENOENT);
	assert_int_equal(store_get_version(st, "nosuch", 0, collect_ver, &g),
	    -ENOENT);
	assert_int_equal(store_list_versions(st, "nosuch", collect_ver, &g), 0);
	v.text = NULL;
	assert_int_equal(store_add_version(st, &v, &n), -EINVAL);
}

static void
integrity_and_identity(void **state)
{
	struct store *st = ST(state);
	const char *id = store_host_id(st);
	size_t i;

	assert_int_equal(store_check_integrity(st), 0);
	assert_int_equal(strlen(id), 32);
	for (i = 0; i < 32; i++)
		assert_non_null(strchr("0123456789abcdef", id[i]));
	assert_true(store_schema_version() >= 1);
	assert_false(store_loose_permissions(st));
	assert_non_null(store_errmsg(st));
}

/* ---------------------------------------------------------- file handling */

static void
make_tmpdir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void
create_modes_and_loose(void **state)
{
	char dir[64], path[128], sub[96], err[512], side[160];
	struct store *st;
	struct stat sb;
	mode_t old;

	make_tmpdir(dir, sizeof(dir));
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	snprintf(path, sizeof(path), "%s/aalearn.db", sub);
	/* A lax umask must not loosen what is created. */
	old = umask(0);
	st = store_open(path, STORE_CREATE, err, sizeof(err));
	if (st == NULL)
		fail_msg("%s", err);
	assert_false(store_loose_permissions(st));
	assert_int_equal(store_set_profile(st, "p", "complain", NULL), 0);
	/* SQLite's -wal and -shm files follow the database's mode. */
	snprintf(side, sizeof(side), "%s-wal", path);
	assert_int_equal(stat(side, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	snprintf(side, sizeof(side), "%s-shm", path);
	assert_int_equal(stat(side, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	umask(old);
	store_close(st);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(sub, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);

	/* Reopening without STORE_CREATE keeps the identity. */
	st = store_open(path, STORE_CREATE, err, sizeof(err));
	assert_non_null(st);
	assert_false(store_loose_permissions(st));
	store_close(st);

	assert_int_equal(chmod(path, 0644), 0);
	st = store_open(path, 0, err, sizeof(err));
	assert_non_null(st);
	assert_true(store_loose_permissions(st));
	store_close(st);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(chmod(sub, 0755), 0);
	st = store_open(path, STORE_READONLY, err, sizeof(err));
	assert_non_null(st);
	assert_true(store_loose_permissions(st));
	store_close(st);
	rm_rf(dir);
}

static void
missing_file(void **state)
{
	char dir[64], path[128], err[512];

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/none.db", dir);
	assert_null(store_open(path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_null(store_open(path, STORE_READONLY, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_int_equal(access(path, F_OK), -1);	/* not created */
	assert_null(store_open(path, STORE_READONLY | STORE_CREATE, NULL, 0));
	rm_rf(dir);
}

static void
identity_kept(void **state)
{
	char dir[64], p1[128], p2[128], id[64];
	struct store *st;

	make_tmpdir(dir, sizeof(dir));
	snprintf(p1, sizeof(p1), "%s/1.db", dir);
	snprintf(p2, sizeof(p2), "%s/2.db", dir);
	st = store_open(p1, STORE_CREATE, NULL, 0);
	assert_non_null(st);
	snprintf(id, sizeof(id), "%s", store_host_id(st));
	store_close(st);
	st = store_open(p1, STORE_READONLY, NULL, 0);
	assert_non_null(st);
	assert_string_equal(store_host_id(st), id);
	store_close(st);
	st = store_open(p2, STORE_CREATE, NULL, 0);
	assert_non_null(st);
	assert_string_not_equal(store_host_id(st), id);
	store_close(st);
	rm_rf(dir);
}

static void
exec_raw(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

static int
raw_int(const char *path, const char *sql)
{
	sqlite3_stmt *s;
	sqlite3 *db;
	int v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void
newer_schema_refused(void **state)
{
	char dir[64], path[128], err[512], want[64];
	struct store *st;
	int newer = store_schema_version() + 1;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/new.db", dir);
	st = store_open(path, STORE_CREATE, NULL, 0);
	assert_non_null(st);
	store_close(st);
	snprintf(want, sizeof(want), "PRAGMA user_version = %d", newer);
	exec_raw(path, want);

	assert_null(store_open(path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	snprintf(want, sizeof(want), "%d", newer);
	assert_non_null(strstr(err, want));
	snprintf(want, sizeof(want), "(%d)", store_schema_version());
	assert_non_null(strstr(err, want));
	assert_null(store_open(path, STORE_READONLY, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	/* Refusing changed nothing. */
	assert_int_equal(raw_int(path, "PRAGMA user_version"), newer);
	rm_rf(dir);
}

static void
older_schema_migrated(void **state)
{
	char dir[64], path[128], err[512];
	struct store *st;
	struct observation o = obs("p", "/a");
	int fd;

	make_tmpdir(dir, sizeof(dir));
	/* Version 0: an empty file (what STORE_CREATE leaves if killed). */
	snprintf(path, sizeof(path), "%s/old.db", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	/* Read-only cannot migrate, and says so. */
	assert_null(store_open(path, STORE_READONLY, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "migrat"));
	st = store_open(path, 0, err, sizeof(err));
	if (st == NULL)
		fail_msg("%s", err);
	assert_int_equal(store_put_observation(st, &o), 0);
	store_close(st);
	assert_int_equal(raw_int(path, "PRAGMA user_version"),
	    store_schema_version());
	assert_int_equal(raw_int(path, "PRAGMA application_id"), 0x61616c6e);

	/*
	 * A migration that fails half way leaves nothing behind: the clash
	 * with an existing table comes after other tables were created.
	 */
	snprintf(path, sizeof(path), "%s/clash.db", dir);
	exec_raw(path, "PRAGMA application_id = 1633774702; "
	    "CREATE TABLE versions(x)");
	assert_null(store_open(path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_int_equal(raw_int(path, "PRAGMA user_version"), 0);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM sqlite_master "
	    "WHERE name IN ('profiles', 'observations', 'meta')"), 0);
	rm_rf(dir);
}

/*
 * A store as schema version 1 left it (version 2 only added the profiles'
 * container count) is brought up to date in place, its evidence and
 * identity kept, the new count filled in.
 */
static void
version_1_migrated(void **state)
{
	char dir[64], path[128], err[512], id[64], want[32];
	const char *cids[] = { NULL, "c1", "c1", "c2" };
	struct observation o;
	struct got_prof gp;
	struct store *st;
	int i, k;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/v1.db", dir);
	st = store_open(path, STORE_CREATE, err, sizeof(err));
	assert_non_null(st);
	snprintf(id, sizeof(id), "%s", store_host_id(st));
	for (i = 0; i < 4; i++) {
		o = obs("p", i == 2 ? "/other" : "/a");
		o.container.runtime = "docker";
		o.container.id = cids[i];
		assert_int_equal(store_put_observation(st, &o), 0);
	}
	o = obs("q", "/a");
	o.container.runtime = "docker";
	o.container.id = "c1";
	assert_int_equal(store_put_observation(st, &o), 0);
	store_close(st);
	exec_raw(path, "ALTER TABLE profiles DROP COLUMN containers; "
	    "PRAGMA user_version = 1");

	assert_null(store_open(path, STORE_READONLY, err, sizeof(err)));
	snprintf(want, sizeof(want), "version 1 needs migrating to %d",
	    store_schema_version());
	assert_non_null(strstr(err, want));
	st = store_open(path, 0, err, sizeof(err));
	if (st == NULL)
		fail_msg("%s", err);
	assert_string_equal(store_host_id(st), id);
	assert_int_equal(list_prof(st, &gp), 2);
	k = find_prof(&gp, "p");
	assert_int_equal(gp.p[k].observations, 4);
	assert_int_equal(gp.p[k].containers, 2);
	k = find_prof(&gp, "q");
	assert_int_equal(gp.p[k].observations, 1);
	assert_int_equal(gp.p[k].containers, 1);
	got_prof_free(&gp);
	/* And counted from there on. */
	o = obs("p", "/b");
	o.container.runtime = "docker";
	o.container.id = "c3";
	assert_int_equal(store_put_observation(st, &o), 0);
	o.container.id = "c1";
	assert_int_equal(store_put_observation(st, &o), 0);
	o = obs("q", "/b");
	o.container.runtime = "docker";
	o.container.id = "c2";
	assert_int_equal(store_put_observation(st, &o), 0);
	assert_int_equal(list_prof(st, &gp), 2);
	k = find_prof(&gp, "p");
	assert_int_equal(gp.p[k].observations, 6);
	assert_int_equal(gp.p[k].containers, 3);
	k = find_prof(&gp, "q");
	assert_int_equal(gp.p[k].containers, 2);
	got_prof_free(&gp);
	store_close(st);
	assert_int_equal(raw_int(path, "PRAGMA user_version"),
	    store_schema_version());
	rm_rf(dir);
}

/* Another program's database is refused and left as it was. */
static void
foreign_database_refused(void **state)
{
	char dir[64], path[128], err[512];

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/places.sqlite", dir);
	exec_raw(path, "CREATE TABLE unrelated(x); INSERT INTO unrelated "
	    "VALUES (1)");
	assert_null(store_open(path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not an aalearn database"));
	assert_null(store_open(path, STORE_CREATE, err, sizeof(err)));
	assert_null(store_open(path, STORE_READONLY, err, sizeof(err)));
	assert_int_equal(raw_int(path, "SELECT count(*) FROM sqlite_master"),
	    1);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM unrelated"), 1);

	/* One with a user_version but no tables yet is foreign too. */
	snprintf(path, sizeof(path), "%s/versioned.db", dir);
	exec_raw(path, "PRAGMA user_version = 1");
	assert_null(store_open(path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "not an aalearn database"));
	assert_int_equal(raw_int(path, "SELECT count(*) FROM sqlite_master"),
	    0);
	rm_rf(dir);
}

static void
not_a_database(void **state)
{
	char dir[64], path[128], err[512];
	int fd;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/junk.db", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	for (int i = 0; i < 64; i++)
		assert_int_equal(write(fd, "this is not sqlite at all.\n", 27),
		    27);
	close(fd);
	assert_null(store_open(path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not"));
	rm_rf(dir);
}

static void
readonly_refuses_writes(void **state)
{
	char dir[64], path[128], err[512], *pos = NULL;
	struct store *st;
	struct observation o = obs("p", "/a");
	struct checkpoint cp = { "s", "1", 1 };
	struct decision_info d = { "p", "r", "x", DECISION_ACCEPTED, 1, NULL,
	    0 };
	struct got_obs g;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/ro.db", dir);
	st = store_open(path, STORE_CREATE, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(store_put_observation(st, &o), 0);
	assert_int_equal(store_put_checkpoint(st, &cp), 0);
	store_close(st);

	st = store_open(path, STORE_READONLY, err, sizeof(err));
	if (st == NULL)
		fail_msg("%s", err);
	assert_int_equal(list_obs(st, "p", NULL, &g), 1);
	got_obs_free(&g);
	assert_int_equal(store_get_checkpoint(st, "s", &pos), 0);
	free(pos);
	assert_int_equal(store_begin(st), -EROFS);
	assert_int_equal(store_put_observation(st, &o), -EROFS);
	assert_int_equal(store_put_decision(st, &d), -EROFS);
	assert_int_equal(store_set_profile(st, "x", NULL, NULL), -EROFS);
	assert_int_equal(store_check_integrity(st), 0);
	store_close(st);
	rm_rf(dir);
}

static void
wal_on_file(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(store_put_observation(fx->st,
	    &(struct observation){ .profile = "p",
	    .access = { .cls = ACCESS_CAPABILITY, .f = { "net_admin" } } }), 0);
	/* Another connection sees WAL and the foreign keys in the schema. */
	{
		sqlite3 *db;
		sqlite3_stmt *s;
		const unsigned char *mode;

		assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode",
		    -1, &s, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		mode = sqlite3_column_text(s, 0);
		assert_string_equal((const char *)mode, "wal");
		sqlite3_finalize(s);
		sqlite3_close(db);
	}
	assert_true(raw_int(fx->path, "SELECT count(*) FROM "
	    "pragma_foreign_key_list('observations')") >= 2);
	/* Classes are kept by name, not by the enum's number. */
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM observations "
	    "WHERE cls = CAST('capability' AS BLOB)"), 1);
}

/* A class written by a newer aalearn is skipped, not misread. */
static void
unknown_class_skipped(void **state)
{
	struct fixture *fx = *state;
	struct observation o = obs("p", "/a");
	struct got_obs g;

	assert_int_equal(store_put_observation(fx->st, &o), 0);
	exec_raw(fx->path, "INSERT INTO observations SELECT profile_id, "
	    "container_id, CAST('teleport' AS BLOB), f0, f1, f2, f3, f4, f5, "
	    "mask, allowed, denied, first_ms, last_ms, label, sample_pid, "
	    "sample_comm, sample_exe FROM observations");
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM observations"),
	    2);
	assert_int_equal(list_obs(fx->st, "p", NULL, &g), 1);
	assert_int_equal(g.o[0].cls, ACCESS_FILE);
	got_obs_free(&g);
}

/*
 * Another process holds the write lock for a while: a write here waits for
 * it instead of failing, and reads meanwhile see only what was committed.
 */
static void
waits_for_writer(void **state)
{
	struct fixture *fx = *state;
	struct decision_info d = { "p", "r", "x", DECISION_ACCEPTED, 1, NULL,
	    0 };
	struct observation o = obs("p", "/before");
	struct got_obs g;
	int go[2], status;
	char c;
	pid_t pid;

	assert_int_equal(store_put_observation(fx->st, &o), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *st = store_open(fx->path, 0, NULL, 0);
		struct observation o2 = obs("p", "/during");

		if (st == NULL || store_begin(st) < 0 ||
		    store_put_observation(st, &o2) != 0)
			_exit(1);
		if (write(go[1], "x", 1) != 1)
			_exit(1);
		usleep(500 * 1000);
		_exit(store_commit(st) == 0 ? 0 : 1);
	}
	close(go[1]);
	assert_int_equal(read(go[0], &c, 1), 1);
	close(go[0]);
	/* The child is inside its batch now. */
	assert_int_equal(list_obs(fx->st, "p", NULL, &g), 1);
	assert_string_equal(g.o[0].f[0], "/before");
	got_obs_free(&g);
	assert_int_equal(store_put_decision(fx->st, &d), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(list_obs(fx->st, "p", NULL, &g), 2);
	got_obs_free(&g);
	assert_int_equal(store_get_decision(fx->st, "p", "r"),
	    DECISION_ACCEPTED);
}

/*
 * The disk fills up in the middle of a batch (here: a file size limit):
 * SQLite may roll the batch back by itself.  What follows in that batch
 * must fail too, not slip in one statement at a time without the
 * checkpoint, and nothing of the batch may be left.
 */
static void
disk_full_mid_batch(void **state)
{
	struct fixture *fx = *state;
	struct checkpoint cp = { "s", "before", 1 };
	int status;
	pid_t pid;

	assert_int_equal(store_put_checkpoint(fx->st, &cp), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *st = store_open(fx->path, 0, NULL, 0);
		struct checkpoint cp2 = { "s", "after", 2 };
		struct rlimit rl, old;
		struct observation o;
		char *big = malloc(8192), name[32];
		int i, r = 0;

		signal(SIGXFSZ, SIG_IGN);
		if (st == NULL || big == NULL || getrlimit(RLIMIT_FSIZE, &old) < 0)
			_exit(10);
		rl = old;
		rl.rlim_cur = 1 << 20;
		if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(10);
		memset(big, 'x', 8191);
		big[8191] = '\0';
		if (store_begin(st) < 0)
			_exit(11);
		/* Until the writes no longer fit. */
		for (i = 0; i < 100000 && r == 0; i++) {
			snprintf(name, sizeof(name), "/%d", i);
			memcpy(big, name, strlen(name));
			o = obs("p", big);
			r = store_put_observation(st, &o);
		}
		if (r >= 0)
			_exit(12);	/* the limit never hit */
		/* The rest of the batch is refused... */
		o = obs("p", "/late");
		if (store_put_observation(st, &o) >= 0)
			_exit(13);
		if (store_put_checkpoint(st, &cp2) >= 0)
			_exit(14);
		if (store_commit(st) >= 0)
			_exit(15);
		/* ...and the store works again once space is back. */
		if (setrlimit(RLIMIT_FSIZE, &old) < 0)
			_exit(16);
		if (store_put_observation(st, &o) != 0)
			_exit(17);
		store_close(st);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	{
		struct got_obs g;
		char *pos;

		assert_int_equal(store_check_integrity(fx->st), 0);
		assert_int_equal(list_obs(fx->st, "p", NULL, &g), 1);
		assert_string_equal(g.o[0].f[0], "/late");
		got_obs_free(&g);
		assert_int_equal(store_get_checkpoint(fx->st, "s", &pos), 0);
		assert_string_equal(pos, "before");
		free(pos);
	}
}

/* The daemon was killed: the first to open afterwards is a read-only CLI. */
static void
readonly_after_crash(void **state)
{
	struct fixture *fx = *state;
	char err[512];
	struct store *ro;
	struct got_obs g;
	int status;
	pid_t pid;

	store_close(fx->st);
	fx->st = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *st = store_open(fx->path, 0, NULL, 0);
		struct observation o = obs("p", "/committed");

		if (st == NULL || store_put_observation(st, &o) != 0 ||
		    store_begin(st) < 0)
			_exit(1);
		o.access.f[0] = "/uncommitted";
		if (store_put_observation(st, &o) != 0)
			_exit(1);
		raise(SIGKILL);
		_exit(1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	ro = store_open(fx->path, STORE_READONLY, err, sizeof(err));
	if (ro == NULL)
		fail_msg("%s", err);
	assert_int_equal(list_obs(ro, "p", NULL, &g), 1);
	assert_string_equal(g.o[0].f[0], "/committed");
	got_obs_free(&g);
	assert_int_equal(store_check_integrity(ro), 0);
	store_close(ro);
}

#define BOTH(f) \
	cmocka_unit_test_setup_teardown(f, setup_file, teardown), \
	cmocka_unit_test_setup_teardown(f, setup_memory, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(upsert_merges),
		BOTH(unknown_times_do_not_win),
		BOTH(every_key_part_counts),
		BOTH(hostile_bytes_round_trip),
		BOTH(containers_and_host),
		BOTH(containers_widen),
		BOTH(rollback_forgets_new_rows),
		BOTH(many_profiles_and_containers),
		BOTH(cap_counts_overflow),
		BOTH(default_cap),
		BOTH(bad_observations),
		BOTH(rollback_forgets_batch),
		BOTH(checkpoints),
		BOTH(source_stats_add),
		BOTH(profiles_info),
		BOTH(callbacks_stop),
		BOTH(decisions),
		BOTH(versions),
		BOTH(integrity_and_identity),
		cmocka_unit_test_setup_teardown(wal_on_file, setup_file,
		    teardown),
		cmocka_unit_test_setup_teardown(unknown_class_skipped,
		    setup_file, teardown),
		cmocka_unit_test_setup_teardown(waits_for_writer, setup_file,
		    teardown),
		cmocka_unit_test_setup_teardown(disk_full_mid_batch, setup_file,
		    teardown),
		cmocka_unit_test_setup_teardown(readonly_after_crash,
		    setup_file, teardown),
		cmocka_unit_test(create_modes_and_loose),
		cmocka_unit_test(missing_file),
		cmocka_unit_test(identity_kept),
		cmocka_unit_test(newer_schema_refused),
		cmocka_unit_test(older_schema_migrated),
		cmocka_unit_test(foreign_database_refused),
		cmocka_unit_test(version_1_migrated),
		cmocka_unit_test(not_a_database),
		cmocka_unit_test(readonly_refuses_writes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
