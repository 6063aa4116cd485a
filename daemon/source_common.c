/*
 * source_common.c - what every source shares: naming, counting, dispatch to
 * the sink, and the (epoch, serial) set that keeps two sources of the same
 * events (netlink and audit.log) from counting an event twice.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "source_internal.h"

int64_t
source_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
source_init(struct source *src, const struct source_ops *ops,
    enum source_type kind, const char *name, const struct source_sink *sink)
{
	memset(src, 0, sizeof(*src));
	src->ops = ops;
	src->kind = kind;
	snprintf(src->name, sizeof(src->name), "%s", name);
	if (sink != NULL)
		src->sink = *sink;
}

static void
source_note_time(struct source *src, const char *text, size_t len)
{
	int64_t epoch, serial;
	int msec;

	if (dedup_stamp(text, len, &epoch, &msec, &serial) == 0)
		src->counts.last_record_ms = epoch * 1000 + msec;
}

void
source_emit_line(struct source *src, const char *line, size_t len)
{
	src->counts.read++;
	source_note_time(src, line, len);
	if (src->sink.line != NULL)
		src->sink.line(src, line, len, src->sink.arg);
}

void
source_emit_netlink(struct source *src, int type, const char *payload,
    size_t len)
{
	src->counts.read++;
	source_note_time(src, payload, len);
	if (src->sink.netlink != NULL)
		src->sink.netlink(src, type, payload, len, src->sink.arg);
}

void
source_free(struct source *src)
{
	if (src == NULL)
		return;
	src->ops->free(src);
}

const char *
source_name(const struct source *src)
{
	return src->name;
}

enum source_type
source_kind(const struct source *src)
{
	return src->kind;
}

int
source_fd(const struct source *src)
{
	return src->ops->fd(src);
}

int
source_read(struct source *src)
{
	int r = src->ops->read(src);

	if (r > 0 && src->sink.batch != NULL)
		src->sink.batch(src, src->sink.arg);
	return r;
}

int
source_position(const struct source *src, char *buf, size_t len)
{
	return src->ops->position(src, buf, len);
}

void
source_get_counts(const struct source *src, struct source_counts *ret)
{
	*ret = src->counts;
}

/* ----------------------------------------------------------------- dedup */

/*
 * An open-addressing table of (epoch, serial) -> owner plus a ring that
 * remembers insertion order, so that the oldest entry is the one evicted.
 * Deletion uses backward-shift, so no tombstones pile up.
 */
struct dedup_entry {
	int64_t	 epoch, serial;
	int	 owner;
	int	 used;
};

struct dedup {
	struct dedup_entry *table;
	size_t	 mask;		/* table size - 1, a power of two */
	size_t	 capacity;	/* entries kept */
	size_t	 count;
	struct dedup_entry *ring;	/* insertion order, capacity slots */
	size_t	 ring_head;
	int	 evicted;		/* the newest forgotten stamp: */
	int64_t	 evicted_epoch, evicted_serial;
};

struct dedup *
dedup_new(size_t capacity)
{
	struct dedup *d;
	size_t size = 16;

	if (capacity == 0)
		capacity = 1;
	while (size < capacity * 2)
		size *= 2;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->table = calloc(size, sizeof(*d->table));
	d->ring = calloc(capacity, sizeof(*d->ring));
	if (d->table == NULL || d->ring == NULL) {
		dedup_free(d);
		return NULL;
	}
	d->mask = size - 1;
	d->capacity = capacity;
	return d;
}

void
dedup_free(struct dedup *d)
{
	if (d == NULL)
		return;
	free(d->table);
	free(d->ring);
	free(d);
}

static size_t
dedup_hash(int64_t epoch, int64_t serial)
{
	uint64_t h = (uint64_t)serial * 0x9e3779b97f4a7c15ULL;

	h ^= (uint64_t)epoch + 0x7f4a7c159e3779b9ULL + (h << 6) + (h >> 2);
	h ^= h >> 29;
	return (size_t)h;
}

static size_t
dedup_find(const struct dedup *d, int64_t epoch, int64_t serial)
{
	size_t i = dedup_hash(epoch, serial) & d->mask;

	while (d->table[i].used && (d->table[i].epoch != epoch ||
	    d->table[i].serial != serial))
		i = (i + 1) & d->mask;
	return i;
}

static void
dedup_remove(struct dedup *d, int64_t epoch, int64_t serial)
{
	size_t i = dedup_find(d, epoch, serial), j, k;

	if (!d->table[i].used)
		return;
	d->table[i].used = 0;
	d->count--;
	j = i;
	for (;;) {
		j = (j + 1) & d->mask;
		if (!d->table[j].used)
			break;
		k = dedup_hash(d->table[j].epoch, d->table[j].serial) &
		    d->mask;
		/* Move j back to i unless its home lies cyclically in (i, j]. */
		if ((i <= j) ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		d->table[i] = d->table[j];
		d->table[j].used = 0;
		i = j;
	}
}

int
dedup_claim(struct dedup *d, int64_t epoch, int64_t serial, int owner)
{
	size_t i = dedup_find(d, epoch, serial);
	struct dedup_entry *old;

	if (d->table[i].used)
		return d->table[i].owner == owner;
	if (d->count == d->capacity) {
		old = &d->ring[d->ring_head];
		if (!d->evicted || old->epoch > d->evicted_epoch ||
		    (old->epoch == d->evicted_epoch &&
		    old->serial > d->evicted_serial)) {
			d->evicted_epoch = old->epoch;
			d->evicted_serial = old->serial;
			d->evicted = 1;
		}
		dedup_remove(d, old->epoch, old->serial);
		i = dedup_find(d, epoch, serial);
	}
	d->table[i].epoch = epoch;
	d->table[i].serial = serial;
	d->table[i].owner = owner;
	d->table[i].used = 1;
	d->count++;
	d->ring[d->ring_head] = d->table[i];
	d->ring_head = (d->ring_head + 1) % d->capacity;
	return 1;
}

int
dedup_owner(const struct dedup *d, int64_t epoch, int64_t serial)
{
	size_t i = dedup_find(d, epoch, serial);

	return d->table[i].used ? d->table[i].owner : -ENOENT;
}

int
dedup_forgotten(const struct dedup *d, int64_t epoch, int64_t serial)
{
	if (!d->evicted)
		return 0;
	return epoch < d->evicted_epoch || (epoch == d->evicted_epoch &&
	    serial <= d->evicted_serial);
}

static int
dedup_digits(const char **pp, const char *end, int64_t *ret)
{
	const char *p = *pp;
	int64_t v = 0;

	if (p >= end || *p < '0' || *p > '9')
		return -EINVAL;
	while (p < end && *p >= '0' && *p <= '9') {
		if (v > (INT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (*p - '0');
		p++;
	}
	*pp = p;
	*ret = v;
	return 0;
}

int
dedup_stamp(const char *line, size_t len, int64_t *ret_epoch, int *ret_msec,
    int64_t *ret_serial)
{
	const char *p = line, *end = line + len;

	/* The stamp comes early in every shape; do not scan huge lines. */
	if (len > 512)
		end = line + 512;
	while ((p = memmem(p, (size_t)(end - p), "audit(", 6)) != NULL) {
		const char *q = p + 6;
		int64_t epoch, ms = 0, serial;

		p = q;
		if (dedup_digits(&q, end, &epoch) < 0)
			continue;
		if (q < end && *q == '.') {
			const char *m = ++q;

			if (dedup_digits(&q, end, &ms) < 0 || q - m != 3)
				continue;
		}
		if (q >= end || *q != ':')
			continue;
		q++;
		if (dedup_digits(&q, end, &serial) < 0)
			continue;
		if (q >= end || *q != ')')
			continue;
		*ret_epoch = epoch;
		*ret_msec = (int)ms;
		*ret_serial = serial;
		return 0;
	}
	return -ENOENT;
}
