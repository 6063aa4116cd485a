/*
 * import.c - aalearn import FILE...|-: the daemon's pipeline, once.
 *
 * Lines -> join (exe from SYSCALL) -> access -> aggregate -> the store, with
 * the learner doing the work the daemon does too (join_collect); only the
 * reading and the flushing are here, because cli/ never calls into daemon/.
 * Processes named by an imported log are long gone or on another host, so
 * nothing is attributed to a container: observations go to the host.
 *
 * This is the fast path (CI imports whole logs): input is read in large
 * blocks and split in place, records parse into the join's slots, and the
 * aggregate allocates nothing per record.  Memory stays bounded because the
 * aggregate is flushed whenever it nears its size.
 *
 * Measured (bench_import.sh): parsing and aggregating a genlog.py log costs
 * less CPU than writing its observations into SQLite, and one after the
 * other they cannot reach the import goal.  So a second thread writes one
 * full aggregate while the main thread fills the other; the writer is the
 * only user of the store until it is joined.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define READ_BLOCK	(1024 * 1024)
#define AGG_KEYS	65536		/* distinct keys held between flushes */
#define AGG_SLACK	2048		/* flush this far before the cap */
#define AGG_EARLY	8192		/* an idle writer takes a batch this big */
#define COMMIT_EVERY	1.0		/* seconds: see writer_main() */
#define JOIN_WINDOW	16
#define SOURCE_NAME	"import"

struct import;

/* The writer thread and what it is handed. */
struct writer {
	pthread_t	 thread;
	int		 running;	/* the thread exists; else flush inline */
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct aggregate *batch;	/* to write; NULL when idle */
	struct join_stats delta;	/* with the last batch */
	int		 has_delta;
	int64_t		 last_record_ms;
	int		 quit;
	int		 rc;		/* the first failure */
};

struct import {
	struct cli	*cli;
	struct store	*store;
	struct aggregate *agg;		/* being filled */
	struct aggregate *spare;	/* being written, or ready */
	struct writer	 w;
	struct join_stats total;	/* over every file */
	uint64_t	 lines_too_long;
	uint64_t	 written;	/* observations put */
	uint64_t	 rejected, rejected_now;	/* refused by the store */
	uint64_t	 store_overflow;	/* dropped by the store's own cap */
	uint64_t	 agg_overflow;
	uint64_t	 flushes;	/* transactions committed */

	/* the writer's open transaction, and the counters at its start */
	int		 tx_open;
	double		 tx_started;
	uint64_t	 tx_written, tx_sover;
	uint64_t	 tx_rejected, tx_agg_overflow;
	int64_t		 last_record_ms;
	size_t		 next_check;	/* look at the writer at this count */
	double		 handed_at;	/* the last batch went to the writer */

	/* progress */
	int		 progress;	/* stderr is a terminal */
	int		 shown;
	uint64_t	 bytes_total, bytes_done;
	double		 start, next_draw;
	const char	*name;
	struct join	*cur;		/* the input being read */
	int		 store_failed;
};

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
progress_draw(struct import *im, int force)
{
	double t = now_mono(), el = t - im->start;
	uint64_t recs = im->total.records;
	struct join_stats js;

	if (!im->progress || (!force && (t < im->next_draw || el < 0.5)))
		return;
	im->next_draw = t + 0.1;
	im->shown = 1;
	if (im->cur != NULL) {
		join_get_stats(im->cur, &js);
		recs += js.records;
	}
	fputs("\r\033[K", stderr);
	if (im->bytes_total > 0) {
		int pct = (int)(im->bytes_done * 100 / im->bytes_total);
		int i, w = 30, fill = pct * w / 100;

		fputc('[', stderr);
		for (i = 0; i < w; i++)
			fputc(i < fill ? '#' : '.', stderr);
		fprintf(stderr, "] %3d%% ", pct);
	}
	fprintf(stderr, "%" PRIu64 " MiB, %" PRIu64 " records, %.0f records/s",
	    im->bytes_done >> 20, recs, el > 0 ? (double)recs / el : 0.0);
	fflush(stderr);
}

static void
progress_end(struct import *im)
{
	if (im->shown)
		fputs("\r\033[K", stderr);
}

static int
put_one(const struct observation *o, void *arg)
{
	struct import *im = arg;
	int rc;

	rc = store_put_observation(im->store, o);
	if (rc == -EINVAL) {
		/* The store refuses this row for what it holds: count it, go
		 * on (a retry would refuse it again). */
		im->rejected_now++;
		return 0;
	}
	if (rc < 0)
		return rc;
	if (rc == 1)
		im->store_overflow++;
	else
		im->written++;
	return 0;
}

static int
put_overflow(const char *profile, uint64_t n, void *arg)
{
	struct import *im = arg;

	if (*profile == '\0')
		return 0;
	return store_add_overflow(im->store, profile, n);
}

/*
 * Every observation of agg and, with the last batch, what the files said,
 * into the open transaction (begun here when none is).  Runs on the writer
 * thread: it touches the store and the writer's counters only.
 */
static int
write_batch(struct import *im, struct aggregate *agg,
    const struct join_stats *delta, int64_t last_record_ms)
{
	struct source_stats ss;
	int rc;

	if (!im->tx_open) {
		rc = store_begin(im->store);
		if (rc < 0)
			return rc;
		im->tx_open = 1;
		im->tx_started = now_mono();
		im->tx_written = im->written;
		im->tx_sover = im->store_overflow;
	}
	im->rejected_now = 0;
	rc = aggregate_foreach(agg, put_one, im);
	if (rc == 0)
		rc = aggregate_foreach_overflow(agg, put_overflow, im);
	if (rc == 0 && delta != NULL) {
		memset(&ss, 0, sizeof(ss));
		ss.source = SOURCE_NAME;
		ss.read = delta->records;
		ss.skipped = delta->other + delta->no_access;
		ss.malformed = delta->malformed;
		ss.last_record_ms = last_record_ms;
		ss.updated_ms = now_ms();
		rc = store_add_source_stats(im->store, &ss);
	}
	if (rc < 0) {
		store_rollback(im->store);
		im->tx_open = 0;
		im->written = im->tx_written;
		im->store_overflow = im->tx_sover;
		im->tx_rejected = im->tx_agg_overflow = 0;
		return rc;
	}
	im->tx_rejected += im->rejected_now;
	im->tx_agg_overflow += aggregate_overflow(agg);
	aggregate_clear(agg);
	return 0;
}

/* Commit the open transaction; on failure nothing of it counts. */
static int
commit_batches(struct import *im)
{
	int rc;

	if (!im->tx_open)
		return 0;
	im->tx_open = 0;
	rc = store_commit(im->store);
	if (rc < 0) {
		store_rollback(im->store);
		im->written = im->tx_written;
		im->store_overflow = im->tx_sover;
	} else {
		im->rejected += im->tx_rejected;
		im->agg_overflow += im->tx_agg_overflow;
		im->flushes++;
	}
	im->tx_rejected = im->tx_agg_overflow = 0;
	return rc;
}

/* One batch in a transaction of its own (no writer thread). */
static int
flush(struct import *im, struct aggregate *agg, const struct join_stats *delta,
    int64_t last_record_ms)
{
	int rc;

	rc = write_batch(im, agg, delta, last_record_ms);
	return rc < 0 ? rc : commit_batches(im);
}

/*
 * Measured (bench_import.sh): each commit writes every page its batches
 * touched to the -wal, and a checkpoint copies them again; the batches of
 * a log of distinct names touch nearly every page of the table, so one
 * commit per batch made a third of the writer's time.  Batches that come
 * within COMMIT_EVERY of the transaction's start share it.  A concurrent
 * writer (the daemon) waits at most that long for the lock.
 */
static void *
writer_main(void *arg)
{
	struct import *im = arg;
	struct writer *w = &im->w;
	struct aggregate *agg;
	struct timespec until;
	double t;
	int rc;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->batch == NULL && !w->quit && !im->tx_open)
			pthread_cond_wait(&w->cv, &w->mu);
		/* With a transaction open: until it is due. */
		while (w->batch == NULL && !w->quit && im->tx_open) {
			t = im->tx_started + COMMIT_EVERY;
			until.tv_sec = (time_t)t;
			until.tv_nsec = (long)((t - (double)until.tv_sec) * 1e9);
			if (pthread_cond_timedwait(&w->cv, &w->mu, &until) != 0)
				break;
		}
		if (w->batch == NULL) {
			pthread_mutex_unlock(&w->mu);
			rc = commit_batches(im);
			pthread_mutex_lock(&w->mu);
			if (rc < 0 && w->rc == 0)
				w->rc = rc;
			if (w->quit)
				break;
			continue;
		}
		agg = w->batch;
		pthread_mutex_unlock(&w->mu);
		rc = write_batch(im, agg, w->has_delta ? &w->delta : NULL,
		    w->last_record_ms);
		if (rc == 0 && (w->has_delta ||
		    now_mono() - im->tx_started >= COMMIT_EVERY))
			rc = commit_batches(im);
		pthread_mutex_lock(&w->mu);
		if (rc < 0 && w->rc == 0)
			w->rc = rc;
		w->batch = NULL;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Wait until the writer is idle; its first failure, or 0. */
static int
writer_wait(struct writer *w)
{
	int rc;

	pthread_mutex_lock(&w->mu);
	while (w->batch != NULL)
		pthread_cond_wait(&w->cv, &w->mu);
	rc = w->rc;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

/*
 * Hand the full aggregate to the writer and go on with the other one (the
 * writer cleared it).  delta: the final stats, with the last batch.
 */
static int
handoff(struct import *im, const struct join_stats *delta)
{
	struct writer *w = &im->w;
	struct aggregate *full = im->agg;
	int rc;

	/*
	 * In key order, each insert lands next to the one before it, in a
	 * page just used, instead of anywhere in the tree (measured: a fifth
	 * less CPU for the writer).  Sorted here, on the reading thread,
	 * which waits for the writer anyway.  Unsorted is only slower.
	 */
	(void)aggregate_sort(full);
	if (!w->running) {
		rc = flush(im, full, delta, im->last_record_ms);
		if (rc < 0)
			im->store_failed = 1;
		return rc;
	}
	rc = writer_wait(w);
	if (rc < 0) {
		im->store_failed = 1;
		return rc;
	}
	pthread_mutex_lock(&w->mu);
	w->batch = full;
	w->has_delta = delta != NULL;
	if (delta != NULL)
		w->delta = *delta;
	w->last_record_ms = im->last_record_ms;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	im->agg = im->spare;
	im->spare = full;
	im->next_check = AGG_EARLY;
	im->handed_at = now_mono();
	return 0;
}

static void
writer_stop(struct writer *w)
{
	if (!w->running)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	w->running = 0;
}

static int
note_time(const struct record *r, struct container *ret, void *arg)
{
	struct import *im = arg;
	int64_t ms;

	memset(ret, 0, sizeof(*ret));
	if (r->epoch > 0 && r->epoch < INT64_MAX / 1000 - 1) {
		ms = r->epoch * 1000 + (r->msec > 0 && r->msec < 1000 ? r->msec : 0);
		if (ms > im->last_record_ms)
			im->last_record_ms = ms;
	}
	return 0;
}

/* The writer thread runs and has no batch (a moment's truth). */
static int
writer_idle(struct import *im)
{
	int idle;

	if (!im->w.running)
		return 0;
	pthread_mutex_lock(&im->w.mu);
	idle = im->w.batch == NULL;
	pthread_mutex_unlock(&im->w.mu);
	return idle;
}

static int
collect(struct import *im, struct join *j)
{
	size_t n;
	int rc;

	rc = join_collect(j, im->agg, note_time, im);
	if (rc < 0)
		return rc;
	n = aggregate_count(im->agg);
	if (n + AGG_SLACK >= AGG_KEYS)
		return handoff(im, NULL);
	/*
	 * A writer with nothing to do takes what there is: the batches adapt
	 * to whichever side is slower, and the last one, which nothing
	 * overlaps, stays small (measured: a full last batch alone was a
	 * quarter of an import's time).
	 */
	if (n < im->next_check)
		return 0;
	if (writer_idle(im))
		return handoff(im, NULL);
	im->next_check = n + AGG_EARLY / 4;
	return 0;
}

static void
add_stats(struct join_stats *to, const struct join_stats *s)
{
	to->lines += s->lines;
	to->records += s->records;
	to->other += s->other;
	to->malformed += s->malformed;
	to->joined += s->joined;
	to->no_access += s->no_access;
	to->unattributed += s->unattributed;
	to->overflow += s->overflow;
}

static int
feed(struct import *im, struct join *j, const char *line, size_t len)
{
	int rc;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	rc = join_line(j, line, len);
	if (rc > 0)
		rc = collect(im, j);
	return rc;
}

/*
 * Read one input to its end.  Returns 0, 1 when reading the input failed
 * (errno in *ret_errno; what was read is kept), or -errno when the pipeline
 * or the store failed.
 */
static int
import_fd(struct import *im, int fd, char *buf, int *ret_errno)
{
	struct join_stats s;
	struct join *j;
	size_t have = 0, off;
	ssize_t n;
	char *nl;
	int rc = 0, skipping = 0;

	j = join_new(JOIN_WINDOW);
	if (j == NULL)
		return -ENOMEM;
	im->cur = j;
	/* Read once, front to back: ask for readahead (a no-op on a pipe). */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (;;) {
		n = read(fd, buf + have, READ_BLOCK - have);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*ret_errno = errno;
			have = 0;
			rc = 1;
			break;
		}
		if (n == 0)
			break;
		im->bytes_done += (uint64_t)n;
		have += (size_t)n;
		off = 0;
		while (off < have &&
		    (nl = memchr(buf + off, '\n', have - off)) != NULL) {
			if (skipping)
				skipping = 0;
			else if ((rc = feed(im, j, buf + off,
			    (size_t)(nl - (buf + off)))) < 0)
				goto out;
			off = (size_t)(nl - buf) + 1;
		}
		if (off == 0 && have == READ_BLOCK) {
			/* A line longer than the block: no record is that long. */
			if (!skipping)
				im->lines_too_long++;
			skipping = 1;
			have = 0;
			continue;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
		progress_draw(im, 0);
		/*
		 * A slow input (a pipe from tail -f) fills no batch: what it
		 * brought goes to the writer once COMMIT_EVERY has passed since
		 * the last batch, so that it is in the store while the import
		 * goes on.
		 */
		if (aggregate_count(im->agg) > 0 && writer_idle(im) &&
		    now_mono() - im->handed_at >= COMMIT_EVERY &&
		    (rc = handoff(im, NULL)) < 0)
			goto out;
	}
	if (rc >= 0 && have > 0 && !skipping &&
	    (rc = feed(im, j, buf, have)) < 0)	/* last line, no newline */
		goto out;
	if (rc >= 0) {
		join_drain(j);
		n = collect(im, j);
		if (n < 0)
			rc = (int)n;
	}
out:
	im->cur = NULL;
	join_get_stats(j, &s);
	add_stats(&im->total, &s);
	join_free(j);
	return rc;
}

struct count_arg {
	uint64_t observations;
};

static int
count_profile(const struct profile_info *p, void *arg)
{
	struct count_arg *c = arg;

	c->observations += p->observations;
	return 0;
}

static uint64_t
distinct_in_store(struct store *st)
{
	struct count_arg c = { 0 };

	if (store_list_profiles(st, count_profile, &c) < 0)
		return 0;
	return c.observations;
}

static void
print_summary(struct import *im, uint64_t new_obs, double secs, int nerr)
{
	const struct join_stats *t = &im->total;
	uint64_t updated = im->written > new_obs ? im->written - new_obs : 0;
	uint64_t skipped = t->other + t->no_access;
	uint64_t malformed = t->malformed + im->lines_too_long;
	uint64_t overflow = im->agg_overflow + im->store_overflow;

	if (im->cli->json) {
		printf("{\"lines\":%" PRIu64 ",\"records\":%" PRIu64
		    ",\"skipped\":%" PRIu64 ",\"malformed\":%" PRIu64
		    ",\"joined\":%" PRIu64 ",\"observations\":{\"new\":%" PRIu64
		    ",\"updated\":%" PRIu64 "},\"overflow\":%" PRIu64
		    ",\"rejected\":%" PRIu64
		    ",\"transactions\":%" PRIu64 ",\"seconds\":%.3f"
		    ",\"records_per_second\":%.0f,\"errors\":%d}\n",
		    t->lines, t->records, skipped, malformed, t->joined, new_obs,
		    updated, overflow, im->rejected, im->flushes, secs,
		    secs > 0 ? (double)t->records / secs : 0.0, nerr);
		return;
	}
	printf("records      %" PRIu64 " AppArmor records in %" PRIu64 " lines"
	    " (%" PRIu64 " with their executable)\n", t->records, t->lines,
	    t->joined);
	printf("skipped      %" PRIu64 " (other audit records, or no access asked)\n",
	    skipped);
	printf("malformed    %" PRIu64 "\n", malformed);
	printf("observations %" PRIu64 " new, %" PRIu64 " updated\n", new_obs,
	    updated);
	if (overflow > 0)
		printf("overflow     %" PRIu64 " dropped by the per-profile caps\n",
		    overflow);
	if (im->rejected > 0)
		printf("rejected     %" PRIu64 " refused by the store\n",
		    im->rejected);
	printf("time         %.2f s, %.0f records/s\n", secs,
	    secs > 0 ? (double)t->records / secs : 0.0);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: aalearn import [--no-progress] FILE...|-\n\n"
	    "Learn from audit logs (auditd, syslog, dmesg, journal text) once:\n"
	    "the daemon's pipeline without the daemon.  '-' reads standard input.\n"
	    "Prints records, skipped, malformed and observations new/updated\n"
	    "(updated: puts into a stored observation, one per batch that met\n"
	    "it) (--json for one object).  Exit 2 when an input cannot be read.\n");
}

int
cmd_import(struct cli *cli, int argc, char **argv)
{
	struct import im;
	pthread_condattr_t cattr;
	struct join_stats delta;
	struct stat sb;
	uint64_t before, after;
	char *buf = NULL;
	int i, fd, rc, err = 0, nfiles = 0, nerr = 0, opts_done = 0, no_progress = 0;
	int ret = EXIT_ERROR;

	for (i = 1; i < argc; i++) {
		if (opts_done || argv[i][0] != '-' || strcmp(argv[i], "-") == 0) {
			nfiles++;
			continue;
		}
		if (strcmp(argv[i], "--") == 0)
			opts_done = 1;
		else if (strcmp(argv[i], "--no-progress") == 0)
			no_progress = 1;
		else {
			cli_error("import: unknown option '%s'", argv[i]);
			usage(stderr);
			return EXIT_ERROR;
		}
	}
	if (nfiles == 0) {
		usage(stderr);
		return EXIT_ERROR;
	}

	memset(&im, 0, sizeof(im));
	im.next_check = AGG_EARLY;
	im.handed_at = now_mono();
	pthread_mutex_init(&im.w.mu, NULL);
	/* The writer's deadlines are on the monotonic clock. */
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&im.w.cv, &cattr);
	pthread_condattr_destroy(&cattr);
	im.cli = cli;
	im.progress = !no_progress && isatty(STDERR_FILENO);
	im.start = now_mono();
	im.store = cli_open_store(cli, STORE_CREATE);
	if (im.store == NULL)
		goto out;
	im.agg = aggregate_new(AGG_KEYS, AGG_KEYS);
	im.spare = aggregate_new(AGG_KEYS, AGG_KEYS);
	buf = malloc(READ_BLOCK);
	if (im.agg == NULL || im.spare == NULL || buf == NULL) {
		cli_error("import: out of memory");
		goto out;
	}
	/* Sizes for the progress bar, when the inputs are files. */
	opts_done = 0;
	for (i = 1; i < argc; i++) {
		if (!opts_done && argv[i][0] == '-' && strcmp(argv[i], "-") != 0) {
			opts_done = strcmp(argv[i], "--") == 0;
			continue;
		}
		if (strcmp(argv[i], "-") != 0 && stat(argv[i], &sb) == 0 &&
		    S_ISREG(sb.st_mode))
			im.bytes_total += (uint64_t)sb.st_size;
	}
	/*
	 * A batch that did not reach the disk before a power loss is as
	 * lost as one not yet written when the import was interrupted:
	 * commits need not wait for the disk (store_set_bulk).  Should it
	 * fail they still do, which is only slower.
	 */
	(void)store_set_bulk(im.store, 1);
	before = distinct_in_store(im.store);
	/* From here until writer_stop() only the writer uses the store. */
	im.w.running = pthread_create(&im.w.thread, NULL, writer_main, &im) == 0;

	opts_done = 0;
	for (i = 1; i < argc; i++) {
		if (!opts_done && argv[i][0] == '-' && strcmp(argv[i], "-") != 0) {
			opts_done = strcmp(argv[i], "--") == 0;
			continue;
		}
		if (strcmp(argv[i], "-") == 0) {
			fd = STDIN_FILENO;
			im.bytes_total = 0;	/* unknown: no percentage */
		} else {
			fd = open(argv[i], O_RDONLY | O_CLOEXEC | O_NOCTTY);
			if (fd < 0) {
				progress_end(&im);
				cli_error("import: %s: %s", argv[i], strerror(errno));
				nerr++;
				continue;
			}
		}
		im.name = argv[i];
		rc = import_fd(&im, fd, buf, &err);
		if (fd != STDIN_FILENO)
			close(fd);
		if (rc == 1) {
			progress_end(&im);
			cli_error("import: %s: %s", argv[i], strerror(err));
			nerr++;
		} else if (rc < 0) {
			progress_end(&im);
			if (im.store_failed)
				cli_error("import: %s: writing the store: %s",
				    cli->db, strerror(-rc));
			else
				cli_error("import: %s: %s", argv[i], strerror(-rc));
			goto out;
		}
	}
	/* The rest, and what was counted, in one last transaction. */
	delta = im.total;
	rc = handoff(&im, &delta);
	if (rc == 0)
		rc = writer_wait(&im.w);
	writer_stop(&im.w);
	progress_end(&im);
	if (rc < 0) {
		cli_error("import: %s: writing the store: %s", cli->db,
		    strerror(-rc));
		goto out;
	}
	after = distinct_in_store(im.store);
	print_summary(&im, after > before ? after - before : 0,
	    now_mono() - im.start, nerr);
	ret = nerr > 0 ? EXIT_ERROR : EXIT_OK;
out:
	writer_stop(&im.w);
	pthread_mutex_destroy(&im.w.mu);
	pthread_cond_destroy(&im.w.cv);
	free(buf);
	aggregate_free(im.agg);
	aggregate_free(im.spare);
	store_close(im.store);
	return ret;
}
