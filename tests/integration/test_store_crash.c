/*
 * test_store_crash - SIGKILL a writer at random moments; nothing is lost and
 * nothing is counted twice.
 *
 * The child plays the daemon: it reads a deterministic, endless stream of
 * records (record i is a pure function of i), resumes from the checkpoint
 * it finds in the store, and writes batches of random size, each with the
 * checkpoint that says how far it got.  The parent kills it at a random
 * moment, 50 times.  After each kill the database must open and pass
 * integrity_check, and every observation must hold exactly what records
 * 0 .. checkpoint-1 add up to: counts, masks, first/last seen.  Since each
 * child resumes from that checkpoint, a batch committed twice or a
 * checkpoint ahead of (or behind) its observations shows up as a mismatch.
 *
 * AALEARN_SEED=N replays one run.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

#define KILLS	 50
#define NKEYS	 1500
#define NPROF	 3
#define SOURCE	 "file:/var/log/audit/audit.log"

static char dir[64], path[128];

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "test_store_crash: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* What record i is. */
struct rec {
	int	 key, denied;
	uint64_t mask;
	int64_t	 ms;
};

static void
record(uint64_t i, struct rec *r)
{
	uint64_t h = mix(i + 1);

	/* Skewed: a few keys are hot, as in real traffic. */
	r->key = (h & 3) == 0 ? (int)((h >> 8) % 16) : (int)((h >> 8) % NKEYS);
	r->denied = ((h >> 40) % 7) == 0;
	r->mask = 1ULL << ((h >> 48) % 5);
	r->ms = 1000000 + (int64_t)i;
}

/* The key's fields, with bytes that must survive the round trip. */
static void
key_fields(int key, char *profile, size_t plen, char *path0, size_t flen,
    char *cid, size_t clen)
{
	snprintf(profile, plen, "prof\n%d", key % NPROF);
	snprintf(path0, flen, "/data/\xff%d\n'x", key);
	if (key % 4 == 0)
		cid[0] = '\0';
	else
		snprintf(cid, clen, "%064x", key % 4);
}

static int
key_of_path(const char *p)
{
	int k;

	if (sscanf(p, "/data/\xff%d\n'x", &k) != 1 || k < 0 || k >= NKEYS)
		return -1;
	return k;
}

static void
make_obs(const struct rec *r, struct observation *o, char *profile,
    size_t plen, char *path0, size_t flen, char *cid, size_t clen)
{
	int i;

	key_fields(r->key, profile, plen, path0, flen, cid, clen);
	memset(o, 0, sizeof(*o));
	o->profile = profile;
	o->label = profile;
	if (cid[0] != '\0') {
		o->container.runtime = "docker";
		o->container.id = cid;
	}
	o->access.cls = ACCESS_FILE;
	for (i = 0; i < ACCESS_NFIELDS; i++)
		o->access.f[i] = "";
	o->access.f[0] = path0;
	o->access.mask = r->mask;
	o->allowed = r->denied ? 0 : 1;
	o->denied = r->denied ? 1 : 0;
	o->first_ms = r->ms;
	o->last_ms = r->ms;
	o->sample_pid = 100;
	o->sample_comm = "worker";
	o->sample_exe = "/usr/bin/worker";
}

/* The child: resume from the checkpoint and write until killed. */
static void
writer(unsigned seed, int progress_fd)
{
	char err[512], profile[32], path0[64], cid[80], pos_text[64];
	struct observation o;
	struct checkpoint cp;
	struct source_stats ss;
	struct rec r;
	uint64_t pos = 0, n, j;
	char *pos_str = NULL;
	struct store *st;
	int rc;

	st = store_open(path, STORE_CREATE, err, sizeof(err));
	if (st == NULL) {
		fprintf(stderr, "writer: %s\n", err);
		_exit(2);
	}
	rc = store_get_checkpoint(st, SOURCE, &pos_str);
	if (rc == 0) {
		if (sscanf(pos_str, "records=%" SCNu64, &pos) != 1) {
			fprintf(stderr, "writer: bad checkpoint %s\n", pos_str);
			_exit(2);
		}
		free(pos_str);
	} else if (rc != -ENOENT) {
		fprintf(stderr, "writer: checkpoint: %s\n", strerror(-rc));
		_exit(2);
	}
	srand(seed);
	for (;;) {
		n = 1 + (uint64_t)(rand() % 300);
		if ((rc = store_begin(st)) < 0)
			break;
		for (j = 0; j < n; j++) {
			record(pos + j, &r);
			make_obs(&r, &o, profile, sizeof(profile), path0,
			    sizeof(path0), cid, sizeof(cid));
			if ((rc = store_put_observation(st, &o)) != 0)
				goto out;
		}
		snprintf(pos_text, sizeof(pos_text), "records=%" PRIu64,
		    pos + n);
		cp.source = SOURCE;
		cp.position = pos_text;
		cp.updated_ms = (int64_t)(pos + n);
		if ((rc = store_put_checkpoint(st, &cp)) < 0)
			break;
		memset(&ss, 0, sizeof(ss));
		ss.source = SOURCE;
		ss.read = n;
		ss.updated_ms = (int64_t)(pos + n);
		if ((rc = store_add_source_stats(st, &ss)) < 0)
			break;
		if ((rc = store_commit(st)) < 0)
			break;
		pos += n;
		/* Tell the parent; once the pipe is full, wait to be killed. */
		if (write(progress_fd, "c", 1) != 1)
			break;
	}
out:
	fprintf(stderr, "writer: at %" PRIu64 ": %s (%s)\n", pos,
	    strerror(rc < 0 ? -rc : EINVAL), store_errmsg(st));
	_exit(2);
}

/* What the parent expects, extended as the checkpoint moves on. */
struct expect {
	uint64_t upto;
	uint64_t allowed[NKEYS], denied[NKEYS], mask[NKEYS];
	int64_t	 first[NKEYS], last[NKEYS];
	int	 seen[NKEYS], found[NKEYS];
	int	 mismatches;
};

static void
expect_extend(struct expect *e, uint64_t upto)
{
	struct rec r;

	for (; e->upto < upto; e->upto++) {
		record(e->upto, &r);
		if (!e->seen[r.key]) {
			e->seen[r.key] = 1;
			e->first[r.key] = r.ms;
		}
		e->last[r.key] = r.ms;
		e->mask[r.key] |= r.mask;
		if (r.denied)
			e->denied[r.key]++;
		else
			e->allowed[r.key]++;
	}
}

static int
check_obs(const struct observation *o, void *arg)
{
	struct expect *e = arg;
	char profile[32], path0[64], cid[80];
	int k = key_of_path(o->access.f[0]);

	if (k < 0) {
		e->mismatches++;
		fprintf(stderr, "unknown observation %s\n", o->access.f[0]);
		return 0;
	}
	key_fields(k, profile, sizeof(profile), path0, sizeof(path0), cid,
	    sizeof(cid));
	if (e->found[k]++ || !e->seen[k] || strcmp(o->profile, profile) != 0 ||
	    strcmp(o->access.f[0], path0) != 0 ||
	    strcmp(o->container.id != NULL ? o->container.id : "", cid) != 0 ||
	    o->allowed != e->allowed[k] || o->denied != e->denied[k] ||
	    o->access.mask != e->mask[k] || o->first_ms != e->first[k] ||
	    o->last_ms != e->last[k]) {
		if (e->mismatches++ < 5)
			fprintf(stderr, "key %d: allowed %" PRIu64 "/%" PRIu64
			    " denied %" PRIu64 "/%" PRIu64 " mask %" PRIx64
			    "/%" PRIx64 " first %" PRId64 "/%" PRId64
			    " last %" PRId64 "/%" PRId64 " (got/want)\n", k,
			    o->allowed, e->allowed[k], o->denied,
			    e->denied[k], o->access.mask, e->mask[k],
			    o->first_ms, e->first[k], o->last_ms, e->last[k]);
	}
	return 0;
}

static int
get_read(const struct source_stats *ss, void *arg)
{
	if (strcmp(ss->source, SOURCE) == 0)
		*(uint64_t *)arg = ss->read;
	return 0;
}

/* After a kill: the store opens, is intact, and matches its checkpoint. */
static uint64_t
verify(struct expect *e, int iter)
{
	char err[512], profile[32], *pos_str = NULL;
	uint64_t pos = 0, read = 0;
	struct store *st;
	int rc, p, k, rows = 0, distinct = 0;

	if (access(path, F_OK) < 0)
		return 0;	/* killed before it made the file */
	st = store_open(path, 0, err, sizeof(err));
	if (st == NULL)
		die("kill %d: reopen: %s", iter, err);
	if ((rc = store_check_integrity(st)) != 0)
		die("kill %d: integrity check: %s", iter, strerror(-rc));
	rc = store_get_checkpoint(st, SOURCE, &pos_str);
	if (rc == 0) {
		if (sscanf(pos_str, "records=%" SCNu64, &pos) != 1)
			die("kill %d: bad checkpoint %s", iter, pos_str);
		free(pos_str);
	} else if (rc != -ENOENT) {
		die("kill %d: checkpoint: %s", iter, strerror(-rc));
	}
	if (pos < e->upto)
		die("kill %d: checkpoint went back from %" PRIu64 " to %"
		    PRIu64, iter, e->upto, pos);
	expect_extend(e, pos);
	memset(e->found, 0, sizeof(e->found));
	e->mismatches = 0;
	for (p = 0; p < NPROF; p++) {
		snprintf(profile, sizeof(profile), "prof\n%d", p);
		rc = store_list_observations(st, profile, NULL, check_obs, e);
		if (rc < 0)
			die("kill %d: list: %s", iter, strerror(-rc));
		rows += rc;
	}
	for (k = 0; k < NKEYS; k++) {
		distinct += e->seen[k];
		if (e->seen[k] && !e->found[k])
			e->mismatches++;
	}
	if (e->mismatches != 0 || rows != distinct)
		die("kill %d: store does not match checkpoint %" PRIu64
		    ": %d rows for %d keys, %d mismatches", iter, pos, rows,
		    distinct, e->mismatches);
	if ((rc = store_list_sources(st, get_read, &read)) < 0)
		die("kill %d: sources: %s", iter, strerror(-rc));
	if (read != pos)
		die("kill %d: source stats say %" PRIu64 " read, checkpoint %"
		    PRIu64, iter, read, pos);
	store_close(st);
	return pos;
}

int
main(void)
{
	struct expect *e;
	struct timespec ts;
	const char *env;
	unsigned seed;
	uint64_t before, pos = 0;
	int i, j, early, status, progressed = 0;
	long delay_us;
	pid_t pid;
	char cmd[128];

	env = getenv("AALEARN_SEED");
	seed = env != NULL ? (unsigned)strtoul(env, NULL, 10) :
	    (unsigned)time(NULL) ^ (unsigned)getpid();
	printf("seed %u (AALEARN_SEED=%u replays)\n", seed, seed);
	srand(seed);
	/*
	 * SIGKILL leaves the page cache as it was, so tmpfs loses nothing a
	 * disk would keep here; it spares a loaded machine's fsyncs.
	 */
	snprintf(dir, sizeof(dir), "/dev/shm/test_store_crash.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		snprintf(dir, sizeof(dir), "/tmp/test_store_crash.XXXXXX");
		if (mkdtemp(dir) == NULL)
			die("mkdtemp: %s", strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/state/aalearn.db", dir);
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		die("out of memory");

	for (i = 0; i < KILLS; i++) {
		unsigned child_seed = (unsigned)rand();
		int progress[2], commits;
		char c;

		/*
		 * Now and then within the first milliseconds, while the file
		 * is created and migrated; mostly after a random number of
		 * commits, a random time into the batches that follow.
		 */
		early = i < 3 || rand() % 8 == 0;
		commits = early ? 0 : 1 + rand() % 20;
		delay_us = rand() % 3000;
		if (pipe2(progress, O_CLOEXEC) < 0)
			die("pipe: %s", strerror(errno));
		fflush(NULL);
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0) {
			close(progress[0]);
			writer(child_seed, progress[1]);
		}
		close(progress[1]);
		for (j = 0; j < commits; j++)
			if (read(progress[0], &c, 1) != 1)
				break;	/* it died: waitpid tells */
		ts.tv_sec = 0;
		ts.tv_nsec = delay_us * 1000;
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		if (waitpid(pid, &status, 0) < 0)
			die("waitpid: %s", strerror(errno));
		close(progress[0]);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
			die("kill %d: writer failed before the kill "
			    "(status %#x)", i, status);
		before = pos;
		pos = verify(e, i);
		if (pos > before)
			progressed++;
		else if (commits > 0)
			die("kill %d: %d commits reported, checkpoint stayed at %"
			    PRIu64, i, commits, pos);
		printf("kill %2d after %2d commits + %4ld us: checkpoint %"
		    PRIu64 "\n", i, commits, delay_us, pos);
	}
	/* The kills must have landed while work was being done. */
	if (progressed < KILLS / 3)
		die("only %d of %d runs committed anything", progressed, KILLS);
	printf("ok: %d kills, %d runs made progress, %" PRIu64
	    " records counted exactly once\n", KILLS, progressed, pos);
	free(e);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return 0;
}
