/*
 * test_daemon_source_file - the audit.log follower: first start, backlog,
 * partial lines, rotation by rename (once, twice, with a late writer),
 * copy-truncate, and resuming from a checkpoint after each of them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

struct seen {
	char	**line;
	size_t	 n, cap;
};

static void
sink_line(struct source *src, const char *line, size_t len, void *arg)
{
	struct seen *s = arg;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->line = realloc(s->line, s->cap * sizeof(*s->line));
		assert_non_null(s->line);
	}
	s->line[s->n] = malloc(len + 1);
	assert_non_null(s->line[s->n]);
	memcpy(s->line[s->n], line, len);
	s->line[s->n][len] = '\0';
	s->n++;
}

static void
seen_clear(struct seen *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->line[i]);
	free(s->line);
	memset(s, 0, sizeof(*s));
}

struct fixture {
	char	 dir[64];
	char	 log[128];
	struct seen seen;
	struct source_sink sink;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_source_file.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->log, sizeof(f->log), "%s/audit.log", f->dir);
	f->sink.line = sink_line;
	f->sink.arg = &f->seen;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	seen_clear(&f->seen);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Record i as auditd writes it: one line with its serial. */
static void
append_to(const char *path, int from, int to)
{
	FILE *fp = fopen(path, "a");
	int i;

	assert_non_null(fp);
	for (i = from; i <= to; i++)
		fprintf(fp, "type=AVC msg=audit(1700000000.%03d:%d): "
		    "apparmor=\"ALLOWED\" n=%d\n", i % 1000, i, i);
	fclose(fp);
}

static void
append(struct fixture *f, int from, int to)
{
	append_to(f->log, from, to);
}

static void
append_raw(const char *path, const char *text)
{
	FILE *fp = fopen(path, "a");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int
serial_of(const char *line)
{
	const char *p = strstr(line, " n=");

	return p != NULL ? atoi(p + 3) : -1;
}

/* One more sighting of a line's serial (1..4000); any other fails. */
static void
count_serial(unsigned char *count, const char *line)
{
	int n = serial_of(line);

	if (n >= 1 && n <= 4000)
		count[n]++;
	else
		fail_msg("a line without a serial in 1..4000: %s", line);
}

/* What the sink saw is exactly from..to, in order; then forget it. */
static void
expect(struct fixture *f, int from, int to)
{
	size_t i;

	if (f->seen.n != (size_t)(to - from + 1)) {
		for (i = 0; i < f->seen.n; i++)
			print_message("seen: %s\n", f->seen.line[i]);
		fail_msg("saw %zu lines, want %d..%d", f->seen.n, from, to);
	}
	for (i = 0; i < f->seen.n; i++)
		assert_int_equal(serial_of(f->seen.line[i]), from + (int)i);
	seen_clear(&f->seen);
}

static void
expect_none(struct fixture *f)
{
	assert_int_equal(f->seen.n, 0);
}

static void
rotate_rename(struct fixture *f, int keep)
{
	char a[160], b[160];
	int i;

	for (i = keep - 1; i >= 1; i--) {
		snprintf(a, sizeof(a), "%s.%d", f->log, i);
		snprintf(b, sizeof(b), "%s.%d", f->log, i + 1);
		(void)rename(a, b);
	}
	snprintf(b, sizeof(b), "%s.1", f->log);
	assert_int_equal(rename(f->log, b), 0);
}

/* logrotate's copytruncate: older generations move up, then copy. */
static void
copy_truncate(struct fixture *f)
{
	char cmd[1024], a[160], b[160];
	int i;

	for (i = 99; i >= 1; i--) {
		snprintf(a, sizeof(a), "%s.%d", f->log, i);
		snprintf(b, sizeof(b), "%s.%d", f->log, i + 1);
		(void)rename(a, b);
	}

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s.1' && : > '%s'", f->log,
	    f->log, f->log);
	assert_int_equal(system(cmd), 0);
}

static struct source *
open_src(struct fixture *f, const char *ck, int backlog)
{
	struct source *s = NULL;

	assert_int_equal(source_file_new(&f->sink, f->log, ck, backlog, &s),
	    0);
	assert_non_null(s);
	return s;
}

static char *
position(struct source *s)
{
	char buf[512];

	assert_true(source_position(s, buf, sizeof(buf)) > 0);
	return strdup(buf);
}

/* ------------------------------------------------------------------ */

static void
first_start_at_end(void **state)
{
	struct fixture *f = *state;
	struct source *s;

	append(f, 1, 3);
	s = open_src(f, NULL, 0);
	assert_int_equal(source_read(s), 0);
	expect_none(f);
	append(f, 4, 5);
	assert_int_equal(source_read(s), 2);
	expect(f, 4, 5);
	assert_int_equal(strncmp(source_name(s), "file:/tmp/", 10), 0);
	source_free(s);
}

static void
first_start_backlog(void **state)
{
	struct fixture *f = *state;
	struct source *s;

	append(f, 1, 3);
	s = open_src(f, NULL, 1);
	assert_int_equal(source_read(s), 3);
	expect(f, 1, 3);
	source_free(s);
}

/* No log yet: once it appears it is read from its start. */
static void
log_appears_later(void **state)
{
	struct fixture *f = *state;
	struct source *s = open_src(f, NULL, 0);

	assert_int_equal(source_read(s), 0);
	append(f, 1, 2);
	source_read(s);
	expect(f, 1, 2);
	source_free(s);
}

static void
partial_line_waits(void **state)
{
	struct fixture *f = *state;
	struct source *s = open_src(f, NULL, 0);
	char *pos;

	append_raw(f->log, "type=AVC msg=audit(1700000000.001:1): a");
	source_read(s);
	expect_none(f);
	/* The checkpoint does not cover half a line. */
	pos = position(s);
	assert_non_null(strstr(pos, ",off=0,"));
	free(pos);
	append_raw(f->log, "b n=1\n");
	source_read(s);
	expect(f, 1, 1);
	source_free(s);
}

static void
rename_rotation(void **state)
{
	struct fixture *f = *state;
	struct source *s = open_src(f, NULL, 1);

	append(f, 1, 3);
	source_read(s);
	expect(f, 1, 3);
	append(f, 4, 5);		/* unread when the file moves */
	rotate_rename(f, 5);
	append(f, 6, 7);
	source_read(s);
	expect(f, 4, 7);
	append(f, 8, 8);
	source_read(s);
	expect(f, 8, 8);
	source_free(s);
}

/* Two rotations between reads: the middle generation is not skipped. */
static void
double_rotation(void **state)
{
	struct fixture *f = *state;
	struct source *s = open_src(f, NULL, 1);

	append(f, 1, 2);
	source_read(s);
	expect(f, 1, 2);
	append(f, 3, 3);
	rotate_rename(f, 5);
	append(f, 4, 6);
	rotate_rename(f, 5);
	append(f, 7, 9);
	source_read(s);
	expect(f, 3, 9);
	source_free(s);
}

/*
 * After the rename the writer still finishes its line in the old file
 * before it opens the new one: nothing of it is lost.
 */
static void
late_writer(void **state)
{
	struct fixture *f = *state;
	struct source *s = open_src(f, NULL, 1);
	char old[160];

	append(f, 1, 1);
	source_read(s);
	expect(f, 1, 1);
	rotate_rename(f, 5);
	snprintf(old, sizeof(old), "%s.1", f->log);
	append_raw(f->log, "");			/* the new, empty file */
	source_read(s);
	expect_none(f);
	append_to(old, 2, 3);			/* late lines in the old one */
	source_read(s);
	expect(f, 2, 3);
	append(f, 4, 4);
	source_read(s);
	expect(f, 4, 4);
	source_free(s);
}

/*
 * The new log stays empty past the grace period while the old one got late
 * lines: after switching, the first lines of the new log must not make the
 * old one look like a fresh copy to read again.
 */
static void
late_writer_empty_new_log(void **state)
{
	struct fixture *f = *state;
	struct source *s = open_src(f, NULL, 1);
	char old[160];

	append(f, 1, 1);
	source_read(s);
	expect(f, 1, 1);
	rotate_rename(f, 5);
	append_raw(f->log, "");
	snprintf(old, sizeof(old), "%s.1", f->log);
	usleep(20000);
	append_to(old, 2, 3);
	source_read(s);
	expect(f, 2, 3);
	usleep(2100 * 1000);	/* the grace period: switch to the empty log */
	source_read(s);
	expect_none(f);
	usleep(20000);
	append(f, 4, 5);
	source_read(s);
	expect(f, 4, 5);
	source_free(s);
}

static void
copy_truncate_live(void **state)
{
	struct fixture *f = *state;
	struct source *s = open_src(f, NULL, 1);

	append(f, 1, 3);
	source_read(s);
	expect(f, 1, 3);
	append(f, 4, 5);		/* only in the copy after this */
	copy_truncate(f);
	append(f, 6, 6);
	source_read(s);
	expect(f, 4, 6);
	source_free(s);
}

/* The truncated file grew past the old offset before we looked. */
static void
copy_truncate_regrown(void **state)
{
	struct fixture *f = *state;
	struct source *s = open_src(f, NULL, 1);

	append(f, 1, 2);
	source_read(s);
	expect(f, 1, 2);
	append(f, 3, 3);
	copy_truncate(f);
	append(f, 100, 110);
	source_read(s);
	assert_int_equal(f->seen.n, 12);
	assert_int_equal(serial_of(f->seen.line[0]), 3);
	assert_int_equal(serial_of(f->seen.line[1]), 100);
	assert_int_equal(serial_of(f->seen.line[11]), 110);
	seen_clear(&f->seen);
	source_free(s);
}

static void
resume_same_file(void **state)
{
	struct fixture *f = *state;
	struct source *s = open_src(f, NULL, 1);
	char *pos;

	append(f, 1, 3);
	source_read(s);
	expect(f, 1, 3);
	pos = position(s);
	source_free(s);
	append(f, 4, 6);
	s = open_src(f, pos, 0);
	source_read(s);
	expect(f, 4, 6);
	free(pos);
	source_free(s);
}

/* A checkpoint older than a flush: the lines after it are read again. */
static void
resume_replays_uncommitted(void **state)
{
	struct fixture *f = *state;
	struct source *s = open_src(f, NULL, 1);
	char *pos;

	append(f, 1, 2);
	source_read(s);
	pos = position(s);
	append(f, 3, 4);
	source_read(s);
	expect(f, 1, 4);
	source_free(s);
	s = open_src(f, pos, 0);
	source_read(s);
	expect(f, 3, 4);
	free(pos);
	source_free(s);
}

static void
resume_after_rotations(void **state)
{
	struct fixture *f = *state;
	struct source *s = open_src(f, NULL, 1);
	char *pos;

	append(f, 1, 3);
	source_read(s);
	expect(f, 1, 3);
	pos = position(s);
	source_free(s);
	/* While stopped: the tail of the old file, then two rotations. */
	append(f, 4, 5);
	rotate_rename(f, 5);
	append(f, 6, 7);
	rotate_rename(f, 5);
	append(f, 8, 9);
	s = open_src(f, pos, 0);
	source_read(s);
	expect(f, 4, 9);
	free(pos);
	source_free(s);
}

static void
resume_after_copy_truncate(void **state)
{
	struct fixture *f = *state;
	struct source *s = open_src(f, NULL, 1);
	char *pos;

	append(f, 1, 3);
	source_read(s);
	expect(f, 1, 3);
	pos = position(s);
	source_free(s);
	append(f, 4, 5);
	copy_truncate(f);
	append(f, 6, 20);	/* longer than before: size alone won't tell */
	s = open_src(f, pos, 0);
	source_read(s);
	expect(f, 4, 20);
	free(pos);
	source_free(s);
}

/* The checkpoint's file was rotated away and deleted: newer ones follow. */
static void
resume_file_gone(void **state)
{
	struct fixture *f = *state;
	struct source *s = open_src(f, NULL, 1);
	char *pos, old[160];

	append(f, 1, 2);
	source_read(s);
	expect(f, 1, 2);
	pos = position(s);
	source_free(s);
	usleep(20000);		/* a later mtime for the newer files */
	rotate_rename(f, 5);
	snprintf(old, sizeof(old), "%s.1", f->log);
	assert_int_equal(unlink(old), 0);
	append(f, 3, 4);
	rotate_rename(f, 5);
	append(f, 5, 6);
	s = open_src(f, pos, 0);
	source_read(s);
	expect(f, 3, 6);
	free(pos);
	source_free(s);
}

/* Far behind: more generations than the source opens at once. */
static void
resume_many_generations(void **state)
{
	struct fixture *f = *state;
	struct source *s = open_src(f, NULL, 1);
	char *pos;
	int i;

	append(f, 1, 1);
	source_read(s);
	expect(f, 1, 1);
	pos = position(s);
	source_free(s);
	for (i = 2; i <= 50; i++) {
		append(f, i, i);
		rotate_rename(f, 60);
	}
	append(f, 51, 51);
	s = open_src(f, pos, 0);
	source_read(s);
	expect(f, 2, 51);
	free(pos);
	source_free(s);
}

static void
bad_checkpoint_starts_at_end(void **state)
{
	struct fixture *f = *state;
	struct source *s;

	append(f, 1, 2);
	s = open_src(f, "dev=1,ino=zz", 0);
	source_read(s);
	expect_none(f);
	append(f, 3, 3);
	source_read(s);
	expect(f, 3, 3);
	source_free(s);
}

/* Any byte may appear; a line without newline past 64 KiB is cut. */
static void
hostile_bytes(void **state)
{
	struct fixture *f = *state;
	struct source *s = open_src(f, NULL, 1);
	char *big;
	FILE *fp;

	fp = fopen(f->log, "a");
	assert_non_null(fp);
	fwrite("a\0b\r\n", 1, 5, fp);
	big = malloc(200000);
	assert_non_null(big);
	memset(big, 'x', 200000);
	fwrite(big, 1, 200000, fp);
	fwrite("\nend\n", 1, 5, fp);
	fclose(fp);
	free(big);
	source_read(s);
	assert_true(f->seen.n >= 4);
	assert_int_equal(memcmp(f->seen.line[0], "a\0b", 3), 0);
	assert_string_equal(f->seen.line[f->seen.n - 1], "end");
	seen_clear(&f->seen);
	source_free(s);
}

/*
 * Random interleavings of writes, rotations of both kinds, reads, commits
 * and restarts from the last commit: every record is handed on exactly once
 * after the last commit that covers it.  A restart forgets what was seen
 * since the commit, as a crash does.
 */
static void
random_ops(void **state)
{
	struct fixture *f = *state;
	unsigned seed = (unsigned)time(NULL), round;
	const char *env = getenv("AALEARN_TEST_SEED");
	int trace = getenv("AALEARN_TEST_TRACE") != NULL;

	if (trace)
		setvbuf(stdout, NULL, _IONBF, 0);

	if (env != NULL)
		seed = (unsigned)strtoul(env, NULL, 10);
	print_message("seed %u\n", seed);
	for (round = 0; round < 40; round++) {
		unsigned round_seed = seed;

		struct source *s;
		char *committed = NULL, cmd[300];
		int written = 0, counted_upto = 0, step, *seen, renames = 0;
		unsigned char *count;
		size_t i;

		snprintf(cmd, sizeof(cmd), "rm -f '%s'/audit.log*", f->dir);
		assert_int_equal(system(cmd), 0);
		seen_clear(&f->seen);
		count = calloc(4001, 1);
		assert_non_null(count);
		/* The first commit, once the log exists. */
		append(f, 1, 1);
		written = 1;
		s = open_src(f, NULL, 1);
		assert_true(source_read(s) == 1);
		count[1]++;
		seen_clear(&f->seen);
		committed = position(s);
		for (step = 0; step < 300 && written < 4000; step++) {
			int op = (int)(rand_r(&seed) % 10);

			if (op < 4) {
				int n = 1 + (int)(rand_r(&seed) % 20);

				if (written + n > 4000)
					n = 4000 - written;
				append(f, written + 1, written + n);
				if (trace)
					print_message("write %d..%d\n",
					    written + 1, written + n);
				written += n;
			} else if (op == 4 && access(f->log, F_OK) == 0) {
				if (rand_r(&seed) % 2) {
					rotate_rename(f, 100);
					renames++;
					if (trace)
						print_message("rename\n");
				} else {
					copy_truncate(f);
					if (trace)
						print_message("copytrunc\n");
				}
			} else if (op < 8) {
				size_t before = f->seen.n;

				assert_true(source_read(s) >= 0);
				if (trace && f->seen.n > before)
					print_message("read %d..%d\n",
					    serial_of(f->seen.line[before]),
					    serial_of(f->seen.line[f->seen.n - 1]));
			} else if (op == 8) {
				/* Commit: what was seen is now counted. */
				assert_true(source_read(s) >= 0);
				if (trace && f->seen.n > 0)
					print_message("count %d..%d\n",
					    serial_of(f->seen.line[0]),
					    serial_of(f->seen.line[f->seen.n - 1]));
				for (i = 0; i < f->seen.n; i++)
					count_serial(count, f->seen.line[i]);
				seen_clear(&f->seen);
				free(committed);
				committed = position(s);
				if (trace)
					print_message("commit %s\n", committed);
			} else {
				/* Crash and restart from the last commit. */
				if (trace && f->seen.n > 0)
					print_message("crash, forgetting %d..%d\n",
					    serial_of(f->seen.line[0]),
					    serial_of(f->seen.line[f->seen.n - 1]));
				seen_clear(&f->seen);
				source_free(s);
				s = open_src(f, committed, 1);
			}
		}
		/*
		 * The writer goes on (a record in the current log, so that
		 * no rotation waits for it), then everything is read.
		 */
		append(f, written + 1, written + 1);
		written++;
		assert_true(source_read(s) >= 0);
		assert_true(source_read(s) >= 0);
		assert_true(source_read(s) >= 0);
		for (i = 0; i < f->seen.n; i++)
			count_serial(count, f->seen.line[i]);
		seen_clear(&f->seen);
		for (counted_upto = 1; counted_upto <= written; counted_upto++)
			if (count[counted_upto] != 1)
				fail_msg("round seed %u: record %d counted "
				    "%d times (%d written, %d renames)",
				    round_seed, counted_upto, count[counted_upto],
				    written, renames);
		(void)seen;
		free(count);
		free(committed);
		source_free(s);
	}
}

static void
position_shape(void **state)
{
	struct fixture *f = *state;
	struct source *s;
	struct stat st;
	char *pos, want[128];

	append(f, 1, 1);
	s = open_src(f, NULL, 1);
	source_read(s);
	expect(f, 1, 1);
	pos = position(s);
	assert_int_equal(stat(f->log, &st), 0);
	snprintf(want, sizeof(want), "dev=%ju,ino=%ju,off=%jd,",
	    (uintmax_t)st.st_dev, (uintmax_t)st.st_ino, (intmax_t)st.st_size);
	assert_int_equal(strncmp(pos, want, strlen(want)), 0);
	assert_non_null(strstr(pos, ",serial=1700000000:1"));
	free(pos);
	source_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
		T(first_start_at_end),
		T(first_start_backlog),
		T(log_appears_later),
		T(partial_line_waits),
		T(rename_rotation),
		T(double_rotation),
		T(late_writer),
		T(late_writer_empty_new_log),
		T(copy_truncate_live),
		T(copy_truncate_regrown),
		T(resume_same_file),
		T(resume_replays_uncommitted),
		T(resume_after_rotations),
		T(resume_after_copy_truncate),
		T(resume_file_gone),
		T(resume_many_generations),
		T(bad_checkpoint_starts_at_end),
		T(hostile_bytes),
		T(position_shape),
		T(random_ops),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
