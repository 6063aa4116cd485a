/*
 * bench_parse - records per second of record_parse() and, in the same run on
 * the same lines, of libapparmor's parse_record() alone.
 *
 * usage: bench_parse LOG [PASSES]
 * LOG is typically `python3 ../shared/tools/genlog.py 1000000` output.  The
 * file is read into memory first; each pass parses every line; the figure
 * is the median pass.  Rates count AppArmor records (the lines each parser
 * accepted) per second, of wall time and of this thread's CPU time (the two
 * differ when other work shares the machine); SYSCALL and PROCTITLE lines are
 * parsed too, as they are in a real audit.log.
 */
#include <aalogparse/aalogparse.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "learner.h"

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall time, and this thread's CPU time (what one core spent on it). */
static double
now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static double
cpu(void)
{
	return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static char *
slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			if ((buf = realloc(buf, cap + 1)) == NULL) {
				fclose(f);
				return NULL;
			}
		}
		if ((n = fread(buf + len, 1, cap - len, f)) == 0)
			break;
		len += n;
	}
	fclose(f);
	buf[len] = '\0';
	*ret_len = len;
	return buf;
}

int
main(int argc, char **argv)
{
	struct record_state *st;
	struct record *r;
	char *text, *ctext, *p, *nl;
	size_t len, nlines = 0, cap = 0, i;
	size_t *off = NULL, *lens = NULL;
	double t0, c0, ours[15], theirs[15], ours_cpu[15], theirs_cpu[15];
	double m_ours, m_theirs, mc_ours, mc_theirs;
	long ok = 0, aa_ok = 0, malformed = 0, other = 0;
	int passes = argc > 2 ? atoi(argv[2]) : 5, pass;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_parse LOG [PASSES]\n");
		return 2;
	}
	if (passes < 1 || passes > 15)
		passes = 5;
	if ((text = slurp(argv[1], &len)) == NULL) {
		fprintf(stderr, "bench_parse: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	/* Line table, and a NUL-terminated copy for parse_record(). */
	for (p = text; p < text + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(text + len - p))) == NULL)
			nl = text + len;
		if (nlines == cap) {
			cap = cap ? cap * 2 : 1 << 16;
			off = realloc(off, cap * sizeof(*off));
			lens = realloc(lens, cap * sizeof(*lens));
			if (off == NULL || lens == NULL)
				return 2;
		}
		off[nlines] = (size_t)(p - text);
		lens[nlines++] = (size_t)(nl - p);
	}
	if ((ctext = malloc(len + 1)) == NULL)
		return 2;
	memcpy(ctext, text, len + 1);
	for (i = 0; i < nlines; i++)
		ctext[off[i] + lens[i]] = '\0';
	st = calloc(1, sizeof(*st));
	r = malloc(sizeof(*r));
	if (st == NULL || r == NULL)
		return 2;

	for (pass = 0; pass < passes; pass++) {
		long n_ok = 0, n_bad = 0, n_other = 0;

		t0 = now();
		c0 = cpu();
		for (i = 0; i < nlines; i++) {
			switch (record_parse(st, r, text + off[i], lens[i])) {
			case RECORD_OK: n_ok++; break;
			case RECORD_MALFORMED: n_bad++; break;
			default: n_other++; break;
			}
		}
		while (record_parse_pending(st))
			record_parse(st, r, NULL, 0);
		ours[pass] = now() - t0;
		ours_cpu[pass] = cpu() - c0;
		ok = n_ok;
		malformed = n_bad;
		other = n_other;
	}
	for (pass = 0; pass < passes; pass++) {
		long n_ok = 0;

		t0 = now();
		c0 = cpu();
		for (i = 0; i < nlines; i++) {
			aa_log_record *rec = parse_record(ctext + off[i]);

			if (rec != NULL) {
				if (rec->event != AA_RECORD_INVALID)
					n_ok++;
				free_record(rec);
			}
		}
		theirs[pass] = now() - t0;
		theirs_cpu[pass] = cpu() - c0;
		aa_ok = n_ok;
	}
	m_ours = median(ours, passes);
	m_theirs = median(theirs, passes);
	mc_ours = median(ours_cpu, passes);
	mc_theirs = median(theirs_cpu, passes);
	printf("lines: %zu, AppArmor records: aalearn %ld (malformed %ld, other lines %ld), "
	    "libapparmor %ld\n", nlines, ok, malformed, other, aa_ok);
	printf("record_parse:  median of %d passes %.3f s wall, %.0f records/s "
	    "(%.0f lines/s); CPU %.3f s, %.0f records/s\n", passes, m_ours,
	    (double)ok / m_ours, (double)nlines / m_ours, mc_ours,
	    (double)ok / mc_ours);
	printf("parse_record:  median of %d passes %.3f s wall, %.0f records/s "
	    "(%.0f lines/s); CPU %.3f s, %.0f records/s (libapparmor)\n",
	    passes, m_theirs, (double)aa_ok / m_theirs,
	    (double)nlines / m_theirs, mc_theirs, (double)aa_ok / mc_theirs);
	printf("record_parse is %.1fx faster (wall), %.1fx (CPU)\n",
	    m_theirs / m_ours, mc_theirs / mc_ours);
	free(st);
	free(r);
	free(off);
	free(lens);
	free(ctext);
	free(text);
	return 0;
}
