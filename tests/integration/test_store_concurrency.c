/*
 * test_store_concurrency - the daemon writes while CLIs read and decide.
 *
 * Four processes start at the same moment on a database that does not
 * exist yet, for a few seconds:
 *   daemon   one store kept open, batches of observations + checkpoint +
 *            source statistics, one transaction each
 *   import   a second batch writer (`aalearn import`), its own source
 *   decider  a CLI run over and over: open, list, decide, mark applied,
 *            add a profile version, close
 *   reader   a read-only CLI run over and over: open, list, close
 * Any error in any of them (a "database is locked" would be -EBUSY) fails
 * the test.  Afterwards the totals must match what each process says it
 * committed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

#define SECONDS	 4
#define BATCH	 100

static char dir[64], path[128];

static void __attribute__((format(printf, 2, 3), noreturn))
die(const char *who, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "test_store_concurrency: %s: ", who);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
check(const char *who, struct store *st, int rc, const char *what)
{
	if (rc < 0)
		die(who, "%s: %s (%s)", what, strerror(-rc),
		    st != NULL ? store_errmsg(st) : "");
}

static struct store *
open_or_die(const char *who, int flags)
{
	char err[512];
	struct store *st = store_open(path, flags, err, sizeof(err));

	if (st == NULL)
		die(who, "open: %s", err);
	return st;
}

static void
report(int fd, uint64_t n, double worst)
{
	char buf[128];
	int len = snprintf(buf, sizeof(buf), "%" PRIu64 " %.6f\n", n, worst);

	if (write(fd, buf, (size_t)len) != len)
		_exit(3);
}

/* Batches of observations with their checkpoint, like a flush. */
static void
batch_writer(const char *who, const char *profile, const char *source,
    int ready_fd, int result_fd)
{
	char fname[64], pos[64], cid[16];
	struct observation o;
	struct checkpoint cp;
	struct source_stats ss;
	struct store *st;
	uint64_t batches = 0, i;
	double t0, t, worst = 0, end;
	int f;

	st = open_or_die(who, STORE_CREATE);
	if (ready_fd >= 0) {
		if (write(ready_fd, "r", 1) != 1)
			die(who, "ready pipe");
		close(ready_fd);
	}
	check(who, st, store_set_profile(st, profile, "complain",
	    "/etc/apparmor.d/x"), "set_profile");
	end = now() + SECONDS;
	while ((t0 = now()) < end) {
		check(who, st, store_begin(st), "begin");
		for (i = 0; i < BATCH; i++) {
			memset(&o, 0, sizeof(o));
			/* Half new keys, half repeats. */
			snprintf(fname, sizeof(fname), "/srv/%" PRIu64,
			    i % 2 ? i : batches * BATCH + i);
			snprintf(cid, sizeof(cid), "c%" PRIu64, i % 5);
			o.profile = profile;
			o.container.runtime = "docker";
			o.container.id = i % 5 ? cid : NULL;
			o.access.cls = ACCESS_FILE;
			for (f = 0; f < ACCESS_NFIELDS; f++)
				o.access.f[f] = "";
			o.access.f[0] = fname;
			o.access.mask = 1;
			o.allowed = 1;
			o.first_ms = o.last_ms = (int64_t)(batches + 1);
			check(who, st, store_put_observation(st, &o), "put");
		}
		snprintf(pos, sizeof(pos), "batches=%" PRIu64, batches + 1);
		cp.source = source;
		cp.position = pos;
		cp.updated_ms = (int64_t)batches;
		check(who, st, store_put_checkpoint(st, &cp), "checkpoint");
		memset(&ss, 0, sizeof(ss));
		ss.source = source;
		ss.read = BATCH;
		check(who, st, store_add_source_stats(st, &ss), "stats");
		check(who, st, store_commit(st), "commit");
		batches++;
		t = now() - t0;
		if (t > worst)
			worst = t;
	}
	store_close(st);
	report(result_fd, batches, worst);
	_exit(0);
}

static int
count_obs(const struct observation *o, void *arg)
{
	(*(uint64_t *)arg) += o->allowed;
	return 0;
}

static int
count_prof(const struct profile_info *pi, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static int
noop_version(const struct version_info *v, void *arg)
{
	(*(int64_t *)arg) = v->version;
	return 1;	/* newest only */
}

static int
noop_source(const struct source_stats *ss, void *arg)
{
	return 0;
}

/* A CLI: open, read, decide, write a version, close; again and again. */
static void
decider(int result_fd)
{
	const char *who = "decider";
	struct decision_info d;
	struct version_info v;
	struct store *st;
	uint64_t runs = 0, seen;
	double t0, t, worst = 0, end;
	int64_t ver, newest;
	char rule_id[32], text[64];
	int np, rc;

	end = now() + SECONDS;
	while (now() < end) {
		st = open_or_die(who, STORE_CREATE);
		np = 0;
		check(who, st, store_list_profiles(st, count_prof, &np),
		    "list_profiles");
		seen = 0;
		check(who, st, store_list_observations(st, "daemon-profile",
		    NULL, count_obs, &seen), "list_observations");
		t0 = now();
		snprintf(rule_id, sizeof(rule_id), "r%" PRIu64, runs);
		memset(&d, 0, sizeof(d));
		d.profile = "daemon-profile";
		d.rule_id = rule_id;
		d.rule = "/srv/** r,";
		d.decision = runs % 3 ? DECISION_ACCEPTED : DECISION_REJECTED;
		d.decided_ms = (int64_t)runs;
		check(who, st, store_put_decision(st, &d), "put_decision");
		rc = store_get_decision(st, "daemon-profile", rule_id);
		check(who, st, rc, "get_decision");
		if (rc != (int)d.decision)
			die(who, "decision %s reads back as %d", rule_id, rc);
		check(who, st, store_mark_applied(st, "daemon-profile",
		    rule_id), "mark_applied");
		snprintf(text, sizeof(text), "profile x { # %" PRIu64 "\n}\n",
		    runs);
		memset(&v, 0, sizeof(v));
		v.profile = "daemon-profile";
		v.path = "/etc/apparmor.d/x";
		v.text = text;
		v.reason = "apply";
		check(who, st, store_add_version(st, &v, &ver), "add_version");
		if (ver != (int64_t)runs + 1)
			die(who, "version %" PRId64 " after %" PRIu64 " runs",
			    ver, runs);
		t = now() - t0;
		if (t > worst)
			worst = t;
		newest = 0;
		rc = store_list_versions(st, "daemon-profile", noop_version,
		    &newest);
		check(who, st, rc, "list_versions");
		if (newest != ver)
			die(who, "newest version %" PRId64 ", wrote %" PRId64,
			    newest, ver);
		store_close(st);
		runs++;
	}
	report(result_fd, runs, worst);
	_exit(0);
}

static void
reader(int ready_fd, int result_fd)
{
	const char *who = "reader";
	struct store *st;
	uint64_t runs = 0, seen;
	double t0, t, worst = 0, end;
	char c, *pos;
	int np, rc;

	/* Read-only cannot create: wait until the daemon has. */
	if (read(ready_fd, &c, 1) != 1)
		die(who, "ready pipe");
	end = now() + SECONDS;
	while ((t0 = now()) < end) {
		st = open_or_die(who, STORE_READONLY);
		np = 0;
		check(who, st, store_list_profiles(st, count_prof, &np),
		    "list_profiles");
		seen = 0;
		check(who, st, store_list_observations(st, "daemon-profile",
		    "c1", count_obs, &seen), "list_observations");
		rc = store_get_checkpoint(st, "netlink", &pos);
		if (rc == 0)
			free(pos);
		else if (rc != -ENOENT)
			check(who, st, rc, "get_checkpoint");
		check(who, st, store_list_sources(st, noop_source, NULL),
		    "list_sources");
		store_close(st);
		runs++;
		t = now() - t0;
		if (t > worst)
			worst = t;
	}
	report(result_fd, runs, worst);
	_exit(0);
}

static int
sum_read(const struct source_stats *ss, void *arg)
{
	uint64_t *r = arg;

	if (strcmp(ss->source, "netlink") == 0)
		r[0] = ss->read;
	else
		r[1] = ss->read;
	return 0;
}

static int
count_dec(const struct decision_info *d, void *arg)
{
	(*(uint64_t *)arg)++;
	if (!d->applied)
		return -EINVAL;
	return 0;
}

/*
 * Several programs start at once on a store that does not exist yet (the
 * daemon at boot, a CLI, an import): every one of them opens it, and the
 * store is made once, with one identity.
 */
static void
creation_race(void)
{
	char err[512], ids[4][64], cmd[160];
	int round, i, status, fd[4][2];
	struct store *st;
	pid_t pid[4];
	ssize_t len;

	for (round = 0; round < 10; round++) {
		snprintf(path, sizeof(path), "%s/race-%d/aalearn.db", dir, round);
		fflush(NULL);
		for (i = 0; i < 4; i++) {
			if (pipe2(fd[i], O_CLOEXEC) < 0)
				die("race", "pipe: %s", strerror(errno));
			pid[i] = fork();
			if (pid[i] < 0)
				die("race", "fork: %s", strerror(errno));
			if (pid[i] == 0) {
				st = store_open(path, STORE_CREATE, err,
				    sizeof(err));
				if (st == NULL) {
					fprintf(stderr, "race: %s\n", err);
					_exit(1);
				}
				len = (ssize_t)strlen(store_host_id(st));
				if (write(fd[i][1], store_host_id(st),
				    (size_t)len) != len)
					_exit(1);
				store_close(st);
				_exit(0);
			}
			close(fd[i][1]);
		}
		for (i = 0; i < 4; i++) {
			if (waitpid(pid[i], &status, 0) < 0 ||
			    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
				die("race", "round %d: opener %d failed", round,
				    i);
			len = read(fd[i][0], ids[i], sizeof(ids[i]) - 1);
			close(fd[i][0]);
			if (len <= 0)
				die("race", "round %d: no identity", round);
			ids[i][len] = '\0';
			if (strcmp(ids[i], ids[0]) != 0)
				die("race", "round %d: identities %s and %s",
				    round, ids[0], ids[i]);
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'/race-*", dir);
	if (system(cmd) != 0)
		die("race", "cleanup failed");
	printf("creation race: 10 rounds of 4 openers, one store each\n");
}

/*
 * CLIs only, no daemon keeping the store open: each close may be the last
 * one, which checkpoints and removes the -wal file while others open.
 */
static void
churn(void)
{
	char err[512];
	struct store *st;
	int i, status, np, ro, runs;
	double end;
	pid_t pid[4];

	snprintf(path, sizeof(path), "%s/churn.db", dir);
	st = open_or_die("churn", STORE_CREATE);
	store_close(st);
	fflush(NULL);
	for (i = 0; i < 4; i++) {
		pid[i] = fork();
		if (pid[i] < 0)
			die("churn", "fork: %s", strerror(errno));
		if (pid[i] != 0)
			continue;
		end = now() + 2;
		for (runs = 0; now() < end; runs++) {
			ro = i % 2 && runs % 2;
			st = store_open(path, ro ? STORE_READONLY : 0, err,
			    sizeof(err));
			if (st == NULL) {
				fprintf(stderr, "churn %d: %s\n", i, err);
				_exit(1);
			}
			np = 0;
			check("churn", st, store_list_profiles(st, count_prof,
			    &np), "list_profiles");
			if (!ro)
				check("churn", st, store_set_profile(st, "p",
				    "complain", NULL), "set_profile");
			store_close(st);
		}
		_exit(0);
	}
	for (i = 0; i < 4; i++)
		if (waitpid(pid[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			die("churn", "process %d failed", i);
	printf("churn: 4 CLIs opening and closing for 2 s, no error\n");
}

int
main(void)
{
	const char *names[4] = { "daemon", "import", "decider", "reader" };
	int go[2], ready[2], result[4][2], i, status, failed = 0;
	uint64_t n[4], reads[2] = { 0, 0 }, decisions = 0, allowed;
	double worst[4];
	struct store *st;
	char cmd[128], buf[128], *pos;
	pid_t pid[4];
	ssize_t len;

	snprintf(dir, sizeof(dir), "/tmp/test_store_conc.XXXXXX");
	if (mkdtemp(dir) == NULL)
		die("main", "mkdtemp: %s", strerror(errno));
	creation_race();
	churn();
	snprintf(path, sizeof(path), "%s/aalearn.db", dir);
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0)
		die("main", "pipe: %s", strerror(errno));
	fflush(NULL);
	for (i = 0; i < 4; i++) {
		if (pipe2(result[i], O_CLOEXEC) < 0)
			die("main", "pipe: %s", strerror(errno));
		pid[i] = fork();
		if (pid[i] < 0)
			die("main", "fork: %s", strerror(errno));
		if (pid[i] == 0) {
			close(go[1]);
			/* Everyone starts together, on no database yet. */
			if (read(go[0], buf, 1) != 0)
				_exit(3);
			switch (i) {
			case 0:
				batch_writer(names[i], "daemon-profile",
				    "netlink", ready[1], result[i][1]);
				break;
			case 1:
				batch_writer(names[i], "import-profile",
				    "file:import", -1, result[i][1]);
				break;
			case 2:
				decider(result[i][1]);
				break;
			default:
				reader(ready[0], result[i][1]);
			}
			_exit(3);
		}
		close(result[i][1]);
	}
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
	for (i = 0; i < 4; i++) {
		if (waitpid(pid[i], &status, 0) < 0)
			die("main", "waitpid: %s", strerror(errno));
		len = read(result[i][0], buf, sizeof(buf) - 1);
		close(result[i][0]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || len <= 0) {
			fprintf(stderr, "%s failed (status %#x)\n", names[i],
			    status);
			failed = 1;
			continue;
		}
		buf[len] = '\0';
		if (sscanf(buf, "%" SCNu64 " %lf", &n[i], &worst[i]) != 2)
			die("main", "bad report from %s", names[i]);
		printf("%-8s %6" PRIu64 " %s, slowest %.1f ms\n", names[i],
		    n[i], i < 2 ? "batches" : "runs", worst[i] * 1000);
	}
	if (failed)
		return 1;
	for (i = 0; i < 4; i++)
		if (n[i] == 0)
			die("main", "%s did nothing", names[i]);

	/* Every committed batch and decision is there, once. */
	st = open_or_die("main", 0);
	check("main", st, store_check_integrity(st), "integrity");
	check("main", st, store_list_sources(st, sum_read, reads), "sources");
	if (reads[0] != n[0] * BATCH || reads[1] != n[1] * BATCH)
		die("main", "sources read %" PRIu64 "/%" PRIu64 ", committed %"
		    PRIu64 "/%" PRIu64, reads[0], reads[1], n[0] * BATCH,
		    n[1] * BATCH);
	check("main", st, store_get_checkpoint(st, "netlink", &pos),
	    "checkpoint");
	snprintf(buf, sizeof(buf), "batches=%" PRIu64, n[0]);
	if (strcmp(pos, buf) != 0)
		die("main", "checkpoint %s, want %s", pos, buf);
	free(pos);
	allowed = 0;
	check("main", st, store_list_observations(st, "import-profile", NULL,
	    count_obs, &allowed), "observations");
	if (allowed != n[1] * BATCH)
		die("main", "import counted %" PRIu64 ", wrote %" PRIu64,
		    allowed, n[1] * BATCH);
	check("main", st, store_list_decisions(st, "daemon-profile",
	    count_dec, &decisions), "decisions");
	if (decisions != n[2])
		die("main", "%" PRIu64 " decisions stored, %" PRIu64 " made",
		    decisions, n[2]);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	printf("ok: no errors in %d processes\n", 4);
	return 0;
}
