/*
 * bench_store - batched upsert throughput of the store on a real file.
 *
 *   distinct  N new keys (file accesses over 10 profiles and 8 containers)
 *             into a fresh database, BATCH per transaction
 *   repeated  N upserts cycling over 10,000 keys already stored
 *   commit    a batch of one observation: the fixed cost of a flush
 *
 * Each figure is the median of RUNS runs.  Environment: N (100000), BATCH
 * (1000), RUNS (5), BENCH_DIR (/var/tmp/aalearn-bench).  An argument (the
 * log that `make bench` passes to every benchmark) is ignored.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

static char dbpath[256];

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? strtol(v, NULL, 10) : def;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
remove_db(void)
{
	char p[300];

	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
}

static struct store *
fresh(void)
{
	char err[512];
	struct store *st;

	remove_db();
	st = store_open(dbpath, STORE_CREATE, err, sizeof(err));
	if (st == NULL) {
		fprintf(stderr, "bench_store: %s\n", err);
		exit(1);
	}
	store_set_cap(st, UINT64_MAX);
	return st;
}

/* Observation number k: what a daemon flush would hand the store. */
struct obsbuf {
	char	 profile[32], path[96], cid[80];
	struct observation o;
};

static void
make(struct obsbuf *b, long k)
{
	int i;

	snprintf(b->profile, sizeof(b->profile), "docker-app-%ld", k % 10);
	snprintf(b->path, sizeof(b->path), "/var/lib/app/data/%ld/part-%ld.bin",
	    k / 100, k);
	snprintf(b->cid, sizeof(b->cid), "%064lx", 0x5eedUL + (unsigned long)(k % 8));
	memset(&b->o, 0, sizeof(b->o));
	b->o.profile = b->profile;
	b->o.label = b->profile;
	b->o.container.runtime = "docker";
	b->o.container.id = b->cid;
	b->o.access.cls = ACCESS_FILE;
	for (i = 0; i < ACCESS_NFIELDS; i++)
		b->o.access.f[i] = "";
	b->o.access.f[0] = b->path;
	b->o.access.mask = 1ULL << (k % 3);
	b->o.allowed = 3;
	b->o.first_ms = 1700000000000 + k;
	b->o.last_ms = b->o.first_ms + 10;
	b->o.sample_pid = 1234;
	b->o.sample_comm = "app";
	b->o.sample_exe = "/usr/local/bin/app";
}

/* Puts keys key(0..n-1) in batches; returns the seconds taken. */
static double
load(struct store *st, long n, long batch, long (*key)(long))
{
	struct obsbuf b;
	double t0 = now();
	long i;
	int rc;

	for (i = 0; i < n; i++) {
		if (i % batch == 0 && (rc = store_begin(st)) < 0)
			goto fail;
		make(&b, key(i));
		if ((rc = store_put_observation(st, &b.o)) != 0)
			goto fail;
		if ((i + 1) % batch == 0 || i + 1 == n)
			if ((rc = store_commit(st)) < 0)
				goto fail;
	}
	return now() - t0;
fail:
	fprintf(stderr, "bench_store: put %ld: %s (%s)\n", i, strerror(-rc),
	    store_errmsg(st));
	exit(1);
}

static long
key_distinct(long i)
{
	return i;
}

static long
key_repeated(long i)
{
	return i % 10000;
}

int
main(int argc, char **argv)
{
	long n = env_long("N", 100000), batch = env_long("BATCH", 1000);
	int runs = (int)env_long("RUNS", 5), r, i;
	const char *dir = getenv("BENCH_DIR");
	double *d, *rep, *com, t;
	struct store *st;
	struct obsbuf b;

	if (dir == NULL || *dir == '\0')
		dir = "/var/tmp/aalearn-bench";
	if (n < 10000 || batch < 1 || runs < 1) {
		fprintf(stderr, "bench_store: N >= 10000, BATCH >= 1, RUNS >= 1\n");
		return 1;
	}
	mkdir(dir, 0700);
	snprintf(dbpath, sizeof(dbpath), "%s/bench_store.db", dir);
	d = calloc((size_t)runs, sizeof(*d));
	rep = calloc((size_t)runs, sizeof(*rep));
	com = calloc((size_t)runs, sizeof(*com));
	if (d == NULL || rep == NULL || com == NULL)
		return 1;

	for (r = 0; r < runs; r++) {
		st = fresh();
		d[r] = (double)n / load(st, n, batch, key_distinct);
		/* The 10,000 keys the repeated run cycles over are stored. */
		rep[r] = (double)n / load(st, n, batch, key_repeated);
		/* The fixed cost of one flush, database already large. */
		make(&b, 7);
		t = now();
		for (i = 0; i < 20; i++) {
			if (store_begin(st) < 0 ||
			    store_put_observation(st, &b.o) != 0 ||
			    store_commit(st) < 0) {
				fprintf(stderr, "bench_store: commit: %s\n",
				    store_errmsg(st));
				return 1;
			}
		}
		com[r] = (now() - t) / 20 * 1000;
		store_close(st);
	}
	remove_db();
	printf("store (%s, batches of %ld, median of %d runs)\n", dbpath,
	    batch, runs);
	printf("  distinct-key upserts: %.0f/s (%ld new keys)\n",
	    median(d, runs), n);
	printf("  repeated-key upserts: %.0f/s (%ld upserts over 10000 keys)\n",
	    median(rep, runs), n);
	printf("  one-observation batch: %.2f ms per commit\n",
	    median(com, runs));
	free(d);
	free(rep);
	free(com);
	return 0;
}
