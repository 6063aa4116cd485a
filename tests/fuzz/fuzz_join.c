/*
 * fuzz_join.c - lines through join and aggregate, as import and the daemon
 * run them.
 *
 * The input is split into lines; each goes to join_line() (or, when the
 * first byte is odd, to join_netlink() with a type taken from the line's
 * first byte), ready records go through join_collect() into a small
 * aggregate, and at the end everything is drained.  The promises checked:
 * the join never holds more than its window, every record fed comes out
 * exactly once, the aggregate stays within its caps and hands out
 * observations whose strings are readable.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "learner.h"

#define WINDOW 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
visit(const struct observation *o, void *arg)
{
	size_t *n = arg;
	size_t i;

	if (o->profile == NULL || o->label == NULL || o->allowed + o->denied == 0 ||
	    o->first_ms > o->last_ms)
		abort();
	for (i = 0; i < ACCESS_NFIELDS; i++)
		if (o->access.f[i] == NULL)
			abort();
	(*n) += strlen(o->profile) + strlen(o->access.f[0]);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	struct join *j = join_new(WINDOW);
	struct aggregate *a = aggregate_new(3, 8);
	struct join_stats st;
	int netlink = size > 0 && (data[0] & 1), rc;
	uint64_t out = 0;
	size_t n = 0;

	if (j == NULL || a == NULL)
		abort();
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (netlink)
			rc = join_netlink(j, nl > p ? 1100 + (unsigned char)*p : 0,
			    p, (size_t)(nl - p));
		else
			rc = join_line(j, p, (size_t)(nl - p));
		if (rc < 0 || join_pending(j) > WINDOW + 1)
			abort();
		rc = join_collect(j, a, NULL, NULL);
		if (rc < 0)
			abort();
		out += (uint64_t)rc;
		if (join_pending(j) > WINDOW)
			abort();
		p = nl + 1;
	}
	join_drain(j);
	rc = join_collect(j, a, NULL, NULL);
	if (rc < 0 || join_pending(j) != 0)
		abort();
	out += (uint64_t)rc;
	join_get_stats(j, &st);
	/* Every AppArmor record came out once: aggregated or counted. */
	if (out + st.no_access + st.overflow + st.malformed <
	    st.records || out > st.records)
		abort();
	if (aggregate_count(a) > 8)
		abort();
	aggregate_foreach(a, visit, &n);
	join_free(j);
	aggregate_free(a);
	return 0;
}
