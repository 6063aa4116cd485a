/*
 * pipeline.c - from a source's lines to observations in the store.
 *
 * Each source has its own join (records of one event come from one source);
 * every record that leaves a join is attributed and aggregated at once.  A
 * flush drains the joins first, so that the positions the sources reported
 * cover nothing that is still held back, then writes observations, positions,
 * stats and overflow in one transaction.  When that fails nothing is lost:
 * the aggregate and the counters stay as they were for the next try.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define DEFAULT_SOURCES	8
#define MAX_SOURCES	64

struct psource {
	char		*name;
	struct join	*join;
	char		*position;	/* the newest, NULL: none yet */
	int		 position_dirty;
	uint64_t	 lost, kernel_lost;	/* not yet written */
	struct join_stats written;	/* what the store already counted */
	int64_t		 last_record_ms;
};

struct pipeline {
	struct store	*store;
	struct attribution *attr;
	struct pipeline_config cfg;
	struct aggregate *agg;
	struct psource	*src;
	size_t		 nsrc;
	uint64_t	 flushed, flush_failures, overflow_written, rejected;
	uint64_t	 rejected_now;	/* in the transaction being written */
	struct psource	*cur;		/* the source being collected */
};

void
pipeline_config_default(struct pipeline_config *c)
{
	memset(c, 0, sizeof(*c));
	c->max_per_profile = 10000;
	c->max_total = 200000;
	c->flush_max_pending = 50000;
	c->join_window = 16;
	c->max_sources = DEFAULT_SOURCES;
}

struct pipeline *
pipeline_new(struct store *st, struct attribution *attr,
    const struct pipeline_config *cfg)
{
	struct pipeline *p;

	if (st == NULL)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->store = st;
	p->attr = attr;
	if (cfg != NULL)
		p->cfg = *cfg;
	else
		pipeline_config_default(&p->cfg);
	if (p->cfg.max_sources == 0)
		p->cfg.max_sources = DEFAULT_SOURCES;
	if (p->cfg.max_sources > MAX_SOURCES)
		p->cfg.max_sources = MAX_SOURCES;
	if (p->cfg.max_total == 0)
		p->cfg.max_total = 200000;
	if (p->cfg.flush_max_pending == 0 ||
	    p->cfg.flush_max_pending > p->cfg.max_total)
		p->cfg.flush_max_pending = p->cfg.max_total;
	p->agg = aggregate_new(p->cfg.max_per_profile, p->cfg.max_total);
	p->src = calloc(p->cfg.max_sources, sizeof(*p->src));
	if (p->agg == NULL || p->src == NULL) {
		pipeline_free(p);
		return NULL;
	}
	return p;
}

void
pipeline_free(struct pipeline *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nsrc; i++) {
		free(p->src[i].name);
		free(p->src[i].position);
		join_free(p->src[i].join);
	}
	free(p->src);
	aggregate_free(p->agg);
	free(p);
}

static int
attribute(const struct record *r, struct container *ret, void *arg)
{
	struct pipeline *p = arg;
	int64_t ms;

	if (r->epoch > 0 && r->epoch < INT64_MAX / 1000 - 1) {
		ms = r->epoch * 1000 + (r->msec > 0 && r->msec < 1000 ? r->msec : 0);
		if (ms > p->cur->last_record_ms)
			p->cur->last_record_ms = ms;
	}
	if (p->attr == NULL) {
		memset(ret, 0, sizeof(*ret));
		return 0;
	}
	return attribution_lookup(p->attr, r->pid, ret);
}

int
pipeline_add_source(struct pipeline *p, const char *name)
{
	struct psource *s;
	size_t i;

	if (name == NULL || *name == '\0')
		return -EINVAL;
	for (i = 0; i < p->nsrc; i++)
		if (strcmp(p->src[i].name, name) == 0)
			return (int)i;
	if (p->nsrc >= p->cfg.max_sources)
		return -ENOSPC;
	s = &p->src[p->nsrc];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	s->join = join_new(p->cfg.join_window);
	if (s->name == NULL || s->join == NULL) {
		free(s->name);
		join_free(s->join);
		memset(s, 0, sizeof(*s));
		return -ENOMEM;
	}
	/* Look the process up while it most likely still runs. */
	if (p->attr != NULL)
		join_set_attribution(s->join, attribute, p);
	return (int)p->nsrc++;
}

static struct psource *
source(struct pipeline *p, int i)
{
	if (i < 0 || (size_t)i >= p->nsrc)
		return NULL;
	return &p->src[i];
}

static int
collect(struct pipeline *p, struct psource *s)
{
	p->cur = s;
	return join_collect(s->join, p->agg, attribute, p);
}

int
pipeline_feed_line(struct pipeline *p, int i, const char *line, size_t len)
{
	struct psource *s = source(p, i);
	int rc;

	if (s == NULL)
		return -EINVAL;
	p->cur = s;
	rc = join_line(s->join, line, len);
	if (rc <= 0)
		return rc;
	rc = collect(p, s);
	return rc < 0 ? rc : 0;
}

int
pipeline_feed_netlink(struct pipeline *p, int i, int type, const char *payload,
    size_t len)
{
	struct psource *s = source(p, i);
	int rc;

	if (s == NULL)
		return -EINVAL;
	p->cur = s;
	rc = join_netlink(s->join, type, payload, len);
	if (rc <= 0)
		return rc;
	rc = collect(p, s);
	return rc < 0 ? rc : 0;
}

int
pipeline_set_position(struct pipeline *p, int i, const char *position)
{
	struct psource *s = source(p, i);
	char *copy;

	if (s == NULL || position == NULL)
		return -EINVAL;
	if (s->position != NULL && strcmp(s->position, position) == 0)
		return 0;
	copy = strdup(position);
	if (copy == NULL)
		return -ENOMEM;
	free(s->position);
	s->position = copy;
	s->position_dirty = 1;
	return 0;
}

void
pipeline_add_lost(struct pipeline *p, int i, uint64_t lost,
    uint64_t kernel_lost)
{
	struct psource *s = source(p, i);

	if (s == NULL)
		return;
	s->lost += lost;
	s->kernel_lost += kernel_lost;
}

int
pipeline_should_flush(const struct pipeline *p)
{
	return aggregate_count(p->agg) >= p->cfg.flush_max_pending;
}

static int
put_one(const struct observation *o, void *arg)
{
	struct pipeline *p = arg;
	int rc;

	rc = store_put_observation(p->store, o);
	/*
	 * A row the store refuses for what it holds (a constraint, too big)
	 * would fail every retry and hold back every checkpoint after it:
	 * count it and go on.  Any other error aborts the transaction.
	 */
	if (rc == -EINVAL) {
		p->rejected_now++;
		return 0;
	}
	return rc < 0 ? rc : 0;
}

static int
put_overflow(const char *profile, uint64_t n, void *arg)
{
	struct pipeline *p = arg;

	/* Records whose profile name was not kept cannot be charged to it;
	 * they are in the pipeline's overflow count. */
	if (*profile == '\0')
		return 0;
	return store_add_overflow(p->store, profile, n);
}

int
pipeline_flush(struct pipeline *p, int64_t now_ms)
{
	struct join_stats js[MAX_SOURCES];
	struct source_stats ss;
	struct checkpoint cp;
	struct psource *s;
	size_t i;
	int rc;

	/* Everything fed so far goes in: the positions promise it. */
	for (i = 0; i < p->nsrc; i++) {
		join_drain(p->src[i].join);
		rc = collect(p, &p->src[i]);
		if (rc < 0)
			return rc;
		join_get_stats(p->src[i].join, &js[i]);
	}

	/*
	 * In the store's key order each row lands next to the one before,
	 * in a page just used (as import does).  Unsorted is only slower.
	 */
	(void)aggregate_sort(p->agg);
	rc = store_begin(p->store);
	if (rc < 0)
		goto fail;
	p->rejected_now = 0;
	rc = aggregate_foreach(p->agg, put_one, p);
	if (rc < 0)
		goto rollback;
	rc = aggregate_foreach_overflow(p->agg, put_overflow, p);
	if (rc < 0)
		goto rollback;
	for (i = 0; i < p->nsrc; i++) {
		s = &p->src[i];
		if (s->position != NULL && s->position_dirty) {
			cp.source = s->name;
			cp.position = s->position;
			cp.updated_ms = now_ms;
			rc = store_put_checkpoint(p->store, &cp);
			if (rc < 0)
				goto rollback;
		}
		memset(&ss, 0, sizeof(ss));
		ss.source = s->name;
		ss.read = js[i].records - s->written.records;
		ss.skipped = (js[i].other - s->written.other) +
		    (js[i].no_access - s->written.no_access);
		ss.malformed = js[i].malformed - s->written.malformed;
		ss.lost = s->lost;
		ss.kernel_lost = s->kernel_lost;
		ss.last_record_ms = s->last_record_ms;
		ss.updated_ms = now_ms;
		rc = store_add_source_stats(p->store, &ss);
		if (rc < 0)
			goto rollback;
	}
	rc = store_commit(p->store);
	if (rc < 0)
		goto rollback;

	rc = (int)aggregate_count(p->agg);
	p->flushed += (uint64_t)rc - p->rejected_now;
	p->rejected += p->rejected_now;
	p->overflow_written += aggregate_overflow(p->agg);
	aggregate_clear(p->agg);
	for (i = 0; i < p->nsrc; i++) {
		s = &p->src[i];
		s->written = js[i];
		s->lost = 0;
		s->kernel_lost = 0;
		s->position_dirty = 0;
	}
	return rc;

rollback:
	store_rollback(p->store);
fail:
	p->flush_failures++;
	return rc;
}

void
pipeline_get_stats(const struct pipeline *p, struct pipeline_stats *ret)
{
	struct join_stats js;
	size_t i;

	memset(ret, 0, sizeof(*ret));
	for (i = 0; i < p->nsrc; i++) {
		join_get_stats(p->src[i].join, &js);
		ret->lines += js.lines;
		ret->records += js.records;
		ret->skipped += js.other + js.no_access;
		ret->malformed += js.malformed;
		ret->joined += js.joined;
		ret->unattributed += js.unattributed;
	}
	ret->overflow = p->overflow_written + aggregate_overflow(p->agg);
	ret->flushed = p->flushed;
	ret->rejected = p->rejected;
	ret->flush_failures = p->flush_failures;
	ret->pending = aggregate_count(p->agg);
	ret->memory = aggregate_memory(p->agg);
	for (i = 0; i < p->nsrc; i++)
		ret->memory += join_memory(p->src[i].join);
}
