/*
 * bench_pipeline.c - the learner's half of import, without the store:
 * lines -> join -> access -> aggregate, clearing the aggregate where import
 * would flush it.  Prints records/s for each stage added, and peak RSS.
 *
 * usage: bench_pipeline FILE   (e.g. genlog.py 1000000 > FILE)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "learner.h"

#define AGG_KEYS 65536

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* stage 0: split lines only; 1: + record_parse via join; 2: + aggregate */
static void
run(const char *data, size_t size, int stage)
{
	struct aggregate *a = aggregate_new(AGG_KEYS, AGG_KEYS);
	struct join *j = join_new(16);
	struct join_stats st;
	const struct record *r;
	const char *p = data, *end = data + size, *nl;
	uint64_t lines = 0, clears = 0;
	double t0 = now(), el;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		lines++;
		if (stage >= 1 && join_line(j, p, (size_t)(nl - p)) > 0) {
			if (stage == 1)
				while ((r = join_next(j)) != NULL)
					;
			else {
				join_collect(j, a, NULL, NULL);
				if (aggregate_count(a) + 2048 >= AGG_KEYS) {
					aggregate_clear(a);
					clears++;
				}
			}
		}
		p = nl + 1;
	}
	join_drain(j);
	if (stage == 2)
		join_collect(j, a, NULL, NULL);
	el = now() - t0;
	join_get_stats(j, &st);
	printf("%-34s %8.3f s %10.0f lines/s %10.0f records/s (%llu records, %llu clears)\n",
	    stage == 0 ? "split lines" : stage == 1 ? "split + parse + join" :
	    "split + parse + join + aggregate", el, (double)lines / el,
	    (double)st.records / el, (unsigned long long)st.records,
	    (unsigned long long)clears);
	join_free(j);
	aggregate_free(a);
}

int
main(int argc, char **argv)
{
	struct rusage ru;
	struct stat sb;
	void *m;
	int fd, stage;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_pipeline FILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0 || sb.st_size == 0) {
		fprintf(stderr, "bench_pipeline: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED) {
		fprintf(stderr, "bench_pipeline: mmap: %s\n", strerror(errno));
		return 2;
	}
	/* Fault the file in first so the stages compare like with like. */
	{
		unsigned long sum = 0;
		off_t i;

		for (i = 0; i < sb.st_size; i += 4096)
			sum += ((const unsigned char *)m)[i];
		printf("input %lld MiB mapped (page sum %lu)\n",
		    (long long)(sb.st_size >> 20), sum);
	}
	for (stage = 0; stage <= 2; stage++)
		run(m, (size_t)sb.st_size, stage);
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS %ld KiB (the file is mapped: %lld MiB of it counts)\n",
	    ru.ru_maxrss, (long long)(sb.st_size >> 20));
	munmap(m, (size_t)sb.st_size);
	close(fd);
	return 0;
}
