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
 * observations whose strings are readable; sorted (aggregate_sort), it
 * hands out the same observations, each (class, profile, label, container)
 * together and by fields within.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "learner.h"

#define WINDOW 4
#define MAX_TOTAL 64

/* One visited observation: its group and its fields, as strings. */
struct seen {
	size_t	 n;
	char	*group[MAX_TOTAL];
	char	*f[MAX_TOTAL][ACCESS_NFIELDS];
};

static char *
join3(const char *a, const char *b, const char *c, const char *d, int cls)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + strlen(d) + 16;
	char *s = malloc(n);

	if (s == NULL)
		abort();
	/* NUL cannot occur in the strings: \001 separates unambiguously
	 * enough for a test that compares equal or not. */
	snprintf(s, n, "%d\001%s\001%s\001%s\001%s", cls, a, b, c, d);
	return s;
}

static int
note(const struct observation *o, void *arg)
{
	struct seen *v = arg;
	size_t i;

	if (v->n >= MAX_TOTAL)
		abort();
	v->group[v->n] = join3(o->profile, o->label,
	    o->container.id != NULL ? o->container.id : "",
	    o->container.runtime != NULL ? o->container.runtime : "",
	    (int)o->access.cls);
	for (i = 0; i < ACCESS_NFIELDS; i++)
		if ((v->f[v->n][i] = strdup(o->access.f[i])) == NULL)
			abort();
	v->n++;
	return 0;
}

static int
cmp_fields(char *const *a, char *const *b)
{
	size_t i;
	int c;

	for (i = 0; i < ACCESS_NFIELDS; i++)
		if ((c = strcmp(a[i], b[i])) != 0)
			return c;
	return 0;
}

static void
seen_free(struct seen *v)
{
	size_t i, k;

	for (i = 0; i < v->n; i++) {
		free(v->group[i]);
		for (k = 0; k < ACCESS_NFIELDS; k++)
			free(v->f[i][k]);
	}
}

/* The sorted visit is a permutation of the unsorted one, in order. */
static void
check_sorted(struct aggregate *a)
{
	struct seen before, after;
	size_t i, k;
	int found;

	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	aggregate_foreach(a, note, &before);
	if (aggregate_sort(a) != 0)
		abort();
	aggregate_foreach(a, note, &after);
	if (after.n != before.n)
		abort();
	for (i = 0; i < after.n; i++) {
		found = 0;
		for (k = 0; k < before.n && !found; k++)
			found = strcmp(before.group[k], after.group[i]) == 0 &&
			    cmp_fields(before.f[k], after.f[i]) == 0;
		if (!found)
			abort();
		if (i == 0)
			continue;
		if (strcmp(after.group[i], after.group[i - 1]) == 0) {
			if (cmp_fields(after.f[i - 1], after.f[i]) >= 0)
				abort();
			continue;
		}
		for (k = 0; k < i; k++)
			if (strcmp(after.group[k], after.group[i]) == 0)
				abort();
	}
	seen_free(&before);
	seen_free(&after);
}

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
	struct aggregate *a = aggregate_new(24, MAX_TOTAL);
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
	if (aggregate_count(a) > MAX_TOTAL)
		abort();
	aggregate_foreach(a, visit, &n);
	check_sorted(a);
	join_free(j);
	aggregate_free(a);
	return 0;
}
