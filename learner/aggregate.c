/*
 * aggregate.c - dedup of records into observations, in bounded memory.
 *
 * A flood of distinct names must not grow memory without bound, and a busy
 * host repeats the same few accesses millions of times, so the common case
 * (a key already held) costs one hash and one memcmp, with no allocation:
 * the key's strings are laid out in one buffer (the key "blob"), hashed in
 * one pass, and compared with the blob kept by the entry.  A new key copies
 * its blob into chunked arenas and takes a slot in chunked entry arrays;
 * the sample's comm and exe are interned (they repeat).  Nothing is freed
 * per record; clear keeps the memory for the next flush.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "learner.h"

/* The strings that make a key, in this order. */
enum {
	K_PROFILE,
	K_LABEL,
	K_RUNTIME,
	K_ID,
	K_POD,
	K_F0,
	K_NKEYS = K_F0 + ACCESS_NFIELDS,
};

#define ENTRY_CHUNK_SHIFT	12
#define ENTRY_CHUNK		(1u << ENTRY_CHUNK_SHIFT)
#define ARENA_CHUNK		(256 * 1024)
#define MAX_PROFILES		65536
#define PREFETCH_AHEAD		8

/*
 * A key blob: the class as one byte, then for each of the K_NKEYS strings
 * either KEY_NULL, or KEY_STR followed by the string and its NUL.  Strings
 * hold no NUL, so the layout is unambiguous, and each string can be handed
 * out in place.
 */
#define KEY_NULL	1
#define KEY_STR		2

struct entry {
	uint64_t	 hash;
	const char	*key;		/* the blob, in the arena */
	uint32_t	 keylen;
	uint32_t	 profile;	/* index into profiles */
	uint32_t	 glen;		/* the key's bytes before its fields */
	const char	*comm, *exe;	/* the sample, interned */
	uint64_t	 mask, allowed, denied;
	int64_t		 first_ms, last_ms;
	long		 sample_pid;
};

struct profile_slot {
	const char	*name;		/* interned */
	uint64_t	 hash;
	size_t		 count;
	uint64_t	 overflow;
};

struct arena_chunk {
	struct arena_chunk *next;
	size_t		 size, used;
	char		 data[];
};

/* Open addressing; idx is the entry (or profile) number + 1, 0 empty. */
struct slot {
	uint32_t	 idx;
	uint32_t	 hash_hi;
};

struct istr {
	uint64_t	 hash;
	const char	*s;
};

struct aggregate {
	size_t		 max_per_profile, max_total, max_bytes;

	struct entry	**chunks;
	size_t		 nchunks;	/* allocated */
	size_t		 count;

	struct slot	*table;
	size_t		 table_size;	/* power of two */

	struct istr	*strs;		/* interned strings */
	size_t		 strs_size, nstrs;

	struct profile_slot *profiles;
	size_t		 nprofiles, profiles_alloc;
	struct slot	*ptable;
	size_t		 ptable_size;

	struct arena_chunk *arena;	/* in use, newest first */
	size_t		 arena_bytes;
	struct arena_chunk *spare;	/* emptied by clear, for reuse */
	size_t		 spare_bytes;

	uint64_t	 overflow;
	uint64_t	 overflow_unnamed;	/* the profile table was full */
	uint64_t	 seed;

	char		*keybuf;	/* the blob of the record being added */
	size_t		 keycap;

	/* aggregate_sort(): the entries in key order, while sorted is set. */
	struct sort_item *order;
	size_t		 order_cap;
	int		 sorted;
	struct sort_group *groups;	/* scratch of aggregate_sort() */
	uint32_t	*gtable;
	size_t		 gtable_size;
};

/*
 * aggregate_sort() orders by the group (class, profile, label, container:
 * the key's bytes before its fields), then by the fields.  The groups are
 * few and ranked once, so comparing two entries is a number and then only
 * their fields' bytes, reached without going through the entry.
 */
struct sort_item {
	uint64_t	 chunk;		/* 8 bytes of tail at the sort's depth */
	const char	*tail;		/* the fields' part of the key */
	uint32_t	 tlen;
	uint32_t	 rank;		/* of the group */
	struct entry	*e;
};

struct sort_group {
	const char	*key;		/* of its first entry; glen bytes */
	uint32_t	 glen;
	uint32_t	 rank;
	uint64_t	 hash;
};

/*
 * A hash of our own: eight bytes at a time, multiply and fold.  Names are
 * chosen by confined processes, so the seed comes from where the heap put
 * this aggregate (ASLR): colliding keys cannot be prepared in advance.
 */
static uint64_t
hash_bytes(const char *p, size_t len, uint64_t seed)
{
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	uint64_t h = seed ^ (len * k), v;

	while (len >= 8) {
		memcpy(&v, p, 8);
		h = (h ^ v) * k;
		h ^= h >> 31;
		p += 8;
		len -= 8;
	}
	v = 0;
	memcpy(&v, p, len);
	h = (h ^ v) * k;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return h;
}

static void *
arena_alloc(struct aggregate *a, size_t n)
{
	struct arena_chunk *c = a->arena;
	size_t size;

	if (c == NULL || c->size - c->used < n) {
		size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		if (size == ARENA_CHUNK && a->spare != NULL) {
			c = a->spare;
			a->spare = c->next;
			a->spare_bytes -= sizeof(*c) + c->size;
		} else if ((c = malloc(sizeof(*c) + size)) == NULL)
			return NULL;
		c->size = size;
		c->used = 0;
		/* A big string gets a chunk of its own behind the current one. */
		if (a->arena != NULL && size > ARENA_CHUNK) {
			c->next = a->arena->next;
			a->arena->next = c;
		} else {
			c->next = a->arena;
			a->arena = c;
		}
		a->arena_bytes += sizeof(*c) + size;
	}
	c->used += n;
	return c->data + c->used - n;
}

/*
 * Forget every string.  Chunks of the usual size are kept for the next
 * interval (no malloc churn, and a flood costs its memory once: the caps
 * bound it); oversized ones are freed.
 */
static void
arena_reset(struct aggregate *a, int keep)
{
	struct arena_chunk *c, *next;

	for (c = a->arena; c != NULL; c = next) {
		next = c->next;
		if (keep && c->size == ARENA_CHUNK) {
			c->next = a->spare;
			a->spare = c;
			a->spare_bytes += sizeof(*c) + c->size;
		} else
			free(c);
	}
	a->arena = NULL;
	a->arena_bytes = 0;
	if (!keep) {
		for (c = a->spare; c != NULL; c = next) {
			next = c->next;
			free(c);
		}
		a->spare = NULL;
		a->spare_bytes = 0;
	}
}

static int
strs_grow(struct aggregate *a)
{
	size_t size = a->strs_size ? a->strs_size * 2 : 1024, i, j;
	struct istr *t;

	t = calloc(size, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	for (i = 0; i < a->strs_size; i++) {
		if (a->strs[i].s == NULL)
			continue;
		for (j = a->strs[i].hash & (size - 1); t[j].s != NULL;
		    j = (j + 1) & (size - 1))
			;
		t[j] = a->strs[i];
	}
	free(a->strs);
	a->strs = t;
	a->strs_size = size;
	return 0;
}

/* The interned copy of s (len bytes, hash h); NULL on ENOMEM. */
static const char *
intern(struct aggregate *a, const char *s, size_t len, uint64_t h)
{
	size_t i;
	char *p;

	if ((a->nstrs + 1) * 2 > a->strs_size && strs_grow(a) < 0)
		return NULL;
	for (i = h & (a->strs_size - 1); a->strs[i].s != NULL;
	    i = (i + 1) & (a->strs_size - 1)) {
		if (a->strs[i].hash == h && strncmp(a->strs[i].s, s, len) == 0 &&
		    a->strs[i].s[len] == '\0')
			return a->strs[i].s;
	}
	p = arena_alloc(a, len + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	a->strs[i].hash = h;
	a->strs[i].s = p;
	a->nstrs++;
	return p;
}

static struct entry *
entry_at(const struct aggregate *a, size_t i)
{
	return &a->chunks[i >> ENTRY_CHUNK_SHIFT][i & (ENTRY_CHUNK - 1)];
}

static int
table_grow(struct slot **tablep, size_t *sizep, size_t min)
{
	size_t size = *sizep ? *sizep : 256;
	struct slot *t;

	while (size < min)
		size *= 2;
	if (size == *sizep)
		return 0;
	t = calloc(size, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	free(*tablep);
	*tablep = t;
	*sizep = size;
	return 1;
}

static void
table_insert(struct slot *t, size_t size, uint64_t h, uint32_t idx)
{
	size_t i;

	for (i = (size_t)h & (size - 1); t[i].idx != 0; i = (i + 1) & (size - 1))
		;
	t[i].idx = idx;
	t[i].hash_hi = (uint32_t)(h >> 32);
}

struct aggregate *
aggregate_new(size_t max_per_profile, size_t max_total)
{
	struct aggregate *a;

	if (max_total == 0 || max_total > UINT32_MAX / 4)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->seed = hash_bytes((const char *)&a, sizeof(a), 0x243f6a8885a308d3ull);
	a->max_per_profile = max_per_profile ? max_per_profile : max_total;
	a->max_total = max_total;
	a->max_bytes = max_total * 256 + 16 * 1024 * 1024;
	if (table_grow(&a->table, &a->table_size, 1024) < 0 ||
	    table_grow(&a->ptable, &a->ptable_size, 64) < 0 ||
	    strs_grow(a) < 0) {
		aggregate_free(a);
		return NULL;
	}
	return a;
}

void
aggregate_free(struct aggregate *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nchunks; i++)
		free(a->chunks[i]);
	free(a->chunks);
	free(a->table);
	free(a->strs);
	free(a->profiles);
	free(a->ptable);
	free(a->keybuf);
	free(a->order);
	free(a->groups);
	free(a->gtable);
	arena_reset(a, 0);
	free(a);
}

void
aggregate_set_max_bytes(struct aggregate *a, size_t max_bytes)
{
	a->max_bytes = max_bytes;
}

size_t
aggregate_count(const struct aggregate *a)
{
	return a->count;
}

uint64_t
aggregate_overflow(const struct aggregate *a)
{
	return a->overflow;
}

size_t
aggregate_memory(const struct aggregate *a)
{
	return sizeof(*a) + a->nchunks * (sizeof(struct entry *) +
	    ENTRY_CHUNK * sizeof(struct entry)) +
	    a->table_size * sizeof(struct slot) +
	    a->strs_size * sizeof(struct istr) +
	    a->profiles_alloc * sizeof(struct profile_slot) +
	    a->ptable_size * sizeof(struct slot) + a->arena_bytes +
	    a->spare_bytes;
}

/* The profile's slot, made when new; -1 when the table of profiles is full. */
static long
profile_get(struct aggregate *a, const char *name, size_t len, uint64_t h)
{
	struct profile_slot *p;
	const char *s;
	size_t i, n;
	int rc;

	for (i = (size_t)h & (a->ptable_size - 1); a->ptable[i].idx != 0;
	    i = (i + 1) & (a->ptable_size - 1)) {
		p = &a->profiles[a->ptable[i].idx - 1];
		if (p->hash == h && strcmp(p->name, name) == 0)
			return a->ptable[i].idx - 1;
	}
	if (a->nprofiles >= MAX_PROFILES)
		return -1;
	if (a->nprofiles == a->profiles_alloc) {
		n = a->profiles_alloc ? a->profiles_alloc * 2 : 16;
		p = realloc(a->profiles, n * sizeof(*p));
		if (p == NULL)
			return -2;
		a->profiles = p;
		a->profiles_alloc = n;
	}
	s = intern(a, name, len, h);
	if (s == NULL)
		return -2;
	p = &a->profiles[a->nprofiles];
	p->name = s;
	p->hash = h;
	p->count = 0;
	p->overflow = 0;
	a->nprofiles++;
	if ((a->nprofiles + 1) * 2 > a->ptable_size) {
		rc = table_grow(&a->ptable, &a->ptable_size, a->ptable_size * 2);
		if (rc < 0) {
			a->nprofiles--;
			return -2;
		}
		for (n = 0; n < a->nprofiles; n++)
			table_insert(a->ptable, a->ptable_size,
			    a->profiles[n].hash, (uint32_t)n + 1);
	} else
		table_insert(a->ptable, a->ptable_size, h, (uint32_t)a->nprofiles);
	return (long)a->nprofiles - 1;
}

static int
entries_reserve(struct aggregate *a)
{
	struct entry **c;
	size_t n = a->count >> ENTRY_CHUNK_SHIFT;

	if (n < a->nchunks)
		return 0;
	c = realloc(a->chunks, (n + 1) * sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	a->chunks = c;
	c[n] = malloc(ENTRY_CHUNK * sizeof(struct entry));
	if (c[n] == NULL)
		return -ENOMEM;
	a->nchunks = n + 1;
	return 0;
}

static int
rehash(struct aggregate *a)
{
	size_t i;
	int rc;

	rc = table_grow(&a->table, &a->table_size, a->table_size * 2);
	if (rc <= 0)
		return rc;
	for (i = 0; i < a->count; i++)
		table_insert(a->table, a->table_size, entry_at(a, i)->hash,
		    (uint32_t)i + 1);
	return 0;
}

static int64_t
record_ms(const struct record *r)
{
	/* Hostile epochs must not overflow the multiplication. */
	if (r->epoch < 0 || r->epoch > INT64_MAX / 1000 - 1)
		return 0;
	return r->epoch * 1000 + (r->msec >= 0 && r->msec < 1000 ? r->msec : 0);
}

static void
count(struct entry *e, const struct record *r, const struct access *acc,
    int64_t ms)
{
	e->mask |= acc->mask;
	if (r->kind == RECORD_DENIED || r->kind == RECORD_KILL)
		e->denied++;
	else
		e->allowed++;
	if (ms < e->first_ms)
		e->first_ms = ms;
	if (ms > e->last_ms)
		e->last_ms = ms;
}

static void
overflowed(struct aggregate *a, long prof)
{
	a->overflow++;
	if (prof >= 0)
		a->profiles[prof].overflow++;
	else
		a->overflow_unnamed++;
}

static void
resample(struct aggregate *a, struct entry *e, const struct record *r)
{
	size_t clen = r->comm != NULL ? strlen(r->comm) : 0;
	size_t elen = strlen(r->exe);
	const char *comm = NULL, *exe;

	if (a->arena_bytes + clen + elen + 2 > a->max_bytes)
		return;
	exe = intern(a, r->exe, elen, hash_bytes(r->exe, elen, a->seed));
	if (r->comm != NULL)
		comm = intern(a, r->comm, clen, hash_bytes(r->comm, clen, a->seed));
	if (exe == NULL || (r->comm != NULL && comm == NULL))
		return;
	e->exe = exe;
	e->comm = comm;
	e->sample_pid = r->pid;
}

int
aggregate_add_access(struct aggregate *a, const struct record *r,
    const struct container *c, const struct access *acc)
{
	const char *s[K_NKEYS], *comm, *exe;
	size_t len[K_NKEYS], i, need, keylen, clen, elen, glen = 0;
	struct entry *e;
	char *p, *key;
	uint64_t h;
	long prof;
	int64_t ms;

	if (r->profile == NULL || r->profile[0] == '\0' ||
	    acc->cls <= ACCESS_NONE || acc->cls >= ACCESS_NCLASSES)
		return -EINVAL;
	s[K_PROFILE] = r->profile_parent != NULL && r->profile_parent[0] != '\0' ?
	    r->profile_parent : r->profile;
	s[K_LABEL] = r->profile;
	s[K_RUNTIME] = c != NULL && c->id != NULL ? c->runtime : NULL;
	s[K_ID] = c != NULL ? c->id : NULL;
	s[K_POD] = c != NULL && c->id != NULL ? c->pod_uid : NULL;
	for (i = 0; i < ACCESS_NFIELDS; i++)
		s[K_F0 + i] = acc->f[i] != NULL ? acc->f[i] : "";

	keylen = 1;
	for (i = 0; i < K_NKEYS; i++) {
		len[i] = s[i] != NULL ? strlen(s[i]) : 0;
		keylen += s[i] != NULL ? len[i] + 2 : 1;
	}
	if (keylen > UINT32_MAX)
		return -EINVAL;
	if (keylen > a->keycap) {
		p = realloc(a->keybuf, keylen);
		if (p == NULL)
			return -ENOMEM;
		a->keybuf = p;
		a->keycap = keylen;
	}
	p = a->keybuf;
	*p++ = (char)acc->cls;
	for (i = 0; i < K_NKEYS; i++) {
		if (i == K_F0)
			glen = (size_t)(p - a->keybuf);
		if (s[i] == NULL) {
			*p++ = KEY_NULL;
			continue;
		}
		*p++ = KEY_STR;
		memcpy(p, s[i], len[i] + 1);
		p += len[i] + 1;
	}
	h = hash_bytes(a->keybuf, keylen, a->seed);
	ms = record_ms(r);

	for (i = (size_t)h & (a->table_size - 1); a->table[i].idx != 0;
	    i = (i + 1) & (a->table_size - 1)) {
		if (a->table[i].hash_hi != (uint32_t)(h >> 32))
			continue;
		e = entry_at(a, a->table[i].idx - 1);
		if (e->hash != h || e->keylen != keylen ||
		    memcmp(e->key, a->keybuf, keylen) != 0)
			continue;
		count(e, r, acc, ms);
		/* A sample that names its executable is worth more: take the
		 * first such record's, when the first record had none. */
		if (e->exe == NULL && r->exe != NULL)
			resample(a, e, r);
		return 0;
	}

	/* A new key. */
	prof = profile_get(a, s[K_PROFILE], len[K_PROFILE],
	    hash_bytes(s[K_PROFILE], len[K_PROFILE], a->seed));
	if (prof == -2)
		return -ENOMEM;
	comm = r->comm;
	exe = r->exe;
	clen = comm != NULL ? strlen(comm) : 0;
	elen = exe != NULL ? strlen(exe) : 0;
	need = keylen + clen + elen + 2;
	if (prof < 0 || a->count >= a->max_total ||
	    a->profiles[prof].count >= a->max_per_profile ||
	    a->arena_bytes + need > a->max_bytes) {
		overflowed(a, prof);
		return 1;
	}
	if (entries_reserve(a) < 0 || (key = arena_alloc(a, keylen)) == NULL)
		return -ENOMEM;
	memcpy(key, a->keybuf, keylen);
	e = entry_at(a, a->count);
	memset(e, 0, sizeof(*e));
	e->key = key;
	e->keylen = (uint32_t)keylen;
	e->glen = (uint32_t)glen;
	if (comm != NULL &&
	    (e->comm = intern(a, comm, clen, hash_bytes(comm, clen, a->seed))) == NULL)
		return -ENOMEM;
	if (exe != NULL &&
	    (e->exe = intern(a, exe, elen, hash_bytes(exe, elen, a->seed))) == NULL)
		return -ENOMEM;
	e->hash = h;
	e->profile = (uint32_t)prof;
	e->sample_pid = r->pid;
	e->first_ms = e->last_ms = ms;
	count(e, r, acc, ms);
	a->count++;
	a->sorted = 0;
	a->profiles[prof].count++;
	if (a->count * 2 > a->table_size) {
		if (rehash(a) < 0) {
			/* Undo: the entry is not reachable without its slot. */
			a->count--;
			a->profiles[prof].count--;
			return -ENOMEM;
		}
	} else
		table_insert(a->table, a->table_size, h, (uint32_t)a->count);
	return 0;
}

int
aggregate_add(struct aggregate *a, const struct record *r,
    const struct container *c)
{
	struct access acc;
	int rc;

	rc = access_from_record(r, &acc);
	if (rc < 0)
		return rc;
	return aggregate_add_access(a, r, c, &acc);
}

static int
cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int
cmp_group(const void *x, const void *y)
{
	const struct sort_group *a = *(const struct sort_group *const *)x;
	const struct sort_group *b = *(const struct sort_group *const *)y;

	return cmp_bytes(a->key, a->glen, b->key, b->glen);
}

static int
cmp_item(const void *x, const void *y)
{
	const struct sort_item *a = x, *b = y;

	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return cmp_bytes(a->tail, a->tlen, b->tail, b->tlen);
}

/*
 * The tails of a group share long prefixes (paths under one directory), so
 * a comparison sort spends its time in memcmp over the same bytes, each
 * time reaching the tail through its pointer.  This sorts the string
 * "rank (4 bytes, big-endian), tail" 8 bytes at a time, kept in the item:
 * the items whose 8 bytes at depth d are equal are sorted again at depth
 * d + 8, which reads each tail once per 8 bytes of depth.  Past
 * CHUNK_DEPTH_MAX bytes (names alike that far are rare) a run falls back to
 * qsort, so that the recursion stays shallow whatever the names.  The order
 * is cmp_item's: rank, then bytes, then the shorter first.
 */
#define CHUNK_DEPTH_MAX	256

static uint64_t
item_chunk(const struct sort_item *it, size_t d)
{
	uint64_t c = 0;
	size_t i, k;

	for (i = d; i < d + 8; i++) {
		c <<= 8;
		if (i < 4)
			c |= (it->rank >> (8 * (3 - i))) & 0xff;
		else if ((k = i - 4) < it->tlen)
			c |= (unsigned char)it->tail[k];
	}
	return c;
}

static void
swap_item(struct sort_item *x, struct sort_item *y)
{
	struct sort_item t = *x;

	*x = *y;
	*y = t;
}

static void sort_by_chunk(struct sort_item *v, size_t n, size_t d);

/*
 * v[0..n) have equal chunks at depth d.  Those whose string ends within
 * them come first, shorter first (zeros pad past the end, so an ended
 * string is a prefix of the others); the rest go on at depth d + 8.
 */
static void
sort_equal_run(struct sort_item *v, size_t n, size_t d)
{
	size_t i, j, ended = 0;

	if (n < 2)
		return;
	if (d + 8 >= CHUNK_DEPTH_MAX) {
		qsort(v, n, sizeof(*v), cmp_item);
		return;
	}
	for (i = 0; i < n; i++)
		if (4 + (size_t)v[i].tlen <= d + 8)
			swap_item(&v[ended++], &v[i]);
	for (i = 1; i < ended; i++)
		for (j = i; j > 0 && v[j - 1].tlen > v[j].tlen; j--)
			swap_item(&v[j - 1], &v[j]);
	if (n - ended < 2)
		return;
	for (i = ended; i < n; i++)
		v[i].chunk = item_chunk(&v[i], d + 8);
	sort_by_chunk(v + ended, n - ended, d + 8);
}

/*
 * Quicksort on the chunks, three ways (runs of equal chunks are the rule),
 * recursing into the smaller side and looping on the larger.
 */
static void
sort_by_chunk(struct sort_item *v, size_t n, size_t d)
{
	size_t lt, gt, i, j;
	uint64_t p, x, y, z;

	while (n > 1) {
		if (n < 12) {
			for (i = 1; i < n; i++)
				for (j = i; j > 0 && v[j - 1].chunk > v[j].chunk; j--)
					swap_item(&v[j - 1], &v[j]);
			for (i = 0; i < n; i = j) {
				for (j = i + 1; j < n && v[j].chunk == v[i].chunk; j++)
					;
				sort_equal_run(v + i, j - i, d);
			}
			return;
		}
		/* The median of three chunks as the pivot. */
		x = v[0].chunk;
		y = v[n / 2].chunk;
		z = v[n - 1].chunk;
		p = x < y ? (y < z ? y : (x < z ? z : x)) :
		    (x < z ? x : (y < z ? z : y));
		lt = 0;
		gt = n;
		i = 0;
		while (i < gt) {
			if (v[i].chunk < p)
				swap_item(&v[lt++], &v[i++]);
			else if (v[i].chunk > p)
				swap_item(&v[i], &v[--gt]);
			else
				i++;
		}
		sort_equal_run(v + lt, gt - lt, d);
		if (lt < n - gt) {
			sort_by_chunk(v, lt, d);
			v += gt;
			n -= gt;
		} else {
			sort_by_chunk(v + gt, n - gt, d);
			n = lt;
		}
	}
}

/* By rank, then by tail: cmp_item's order. */
static void
sort_items(struct sort_item *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		v[i].chunk = item_chunk(&v[i], 0);
	sort_by_chunk(v, n, 0);
}

/* The group number of e (made when new); -ENOMEM. */
static long
group_of(struct aggregate *a, const struct entry *e, size_t *ngroups)
{
	uint64_t h = hash_bytes(e->key, e->glen, a->seed);
	struct sort_group *g;
	size_t i, mask = a->gtable_size - 1;

	for (i = (size_t)h & mask; a->gtable[i] != 0; i = (i + 1) & mask) {
		g = &a->groups[a->gtable[i] - 1];
		if (g->hash == h && g->glen == e->glen &&
		    memcmp(g->key, e->key, e->glen) == 0)
			return (long)a->gtable[i] - 1;
	}
	g = &a->groups[*ngroups];
	g->key = e->key;
	g->glen = e->glen;
	g->hash = h;
	a->gtable[i] = (uint32_t)++*ngroups;
	return (long)*ngroups - 1;
}

int
aggregate_sort(struct aggregate *a)
{
	struct sort_group *g, **byname = NULL;
	struct sort_item *v;
	struct entry *e;
	size_t i, ngroups = 0, size = 64;
	uint32_t *t;
	long gi;

	if (a->count > a->order_cap) {
		v = realloc(a->order, a->count * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		a->order = v;
		g = realloc(a->groups, a->count * sizeof(*g));
		if (g == NULL)
			return -ENOMEM;
		a->groups = g;
		a->order_cap = a->count;
	}
	while (size < a->count * 2)
		size *= 2;
	if (size > a->gtable_size) {
		t = malloc(size * sizeof(*t));
		if (t == NULL)
			return -ENOMEM;
		free(a->gtable);
		a->gtable = t;
		a->gtable_size = size;
	}
	memset(a->gtable, 0, a->gtable_size * sizeof(*a->gtable));
	for (i = 0; i < a->count; i++) {
		e = entry_at(a, i);
		gi = group_of(a, e, &ngroups);
		a->order[i].e = e;
		a->order[i].tail = e->key + e->glen;
		a->order[i].tlen = e->keylen - e->glen;
		a->order[i].rank = (uint32_t)gi;	/* the group, for now */
	}
	if (ngroups > 1) {
		byname = malloc(ngroups * sizeof(*byname));
		if (byname == NULL)
			return -ENOMEM;
		for (i = 0; i < ngroups; i++)
			byname[i] = &a->groups[i];
		qsort(byname, ngroups, sizeof(*byname), cmp_group);
		for (i = 0; i < ngroups; i++)
			byname[i]->rank = (uint32_t)i;
		free(byname);
		for (i = 0; i < a->count; i++)
			a->order[i].rank = a->groups[a->order[i].rank].rank;
	}
	if (a->count > 1)
		sort_items(a->order, a->count);
	a->sorted = 1;
	return 0;
}

int
aggregate_foreach(const struct aggregate *a, aggregate_cb cb, void *arg)
{
	struct observation o;
	const struct entry *e;
	const char *s[K_NKEYS], *p;
	size_t i, k;
	int rc;

	for (i = 0; i < a->count; i++) {
		if (a->sorted) {
			e = a->order[i].e;
			/* The sorted walk goes all over memory: ask ahead. */
			if (i + PREFETCH_AHEAD < a->count) {
				const struct sort_item *n =
				    &a->order[i + PREFETCH_AHEAD];

				__builtin_prefetch(n->e);
				__builtin_prefetch(n->tail);
				/* The key's start, a line or so before. */
				__builtin_prefetch((const void *)
				    ((uintptr_t)n->tail - 64));
			}
		} else
			e = entry_at(a, i);
		/* Unpack the blob: the strings are handed out in place. */
		p = e->key + 1;
		for (k = 0; k < K_NKEYS; k++) {
			if (*p++ == KEY_NULL) {
				s[k] = NULL;
				continue;
			}
			s[k] = p;
			/* Most fields are empty: no call for those. */
			p += *p == '\0' ? 1 : strlen(p) + 1;
		}
		memset(&o, 0, sizeof(o));
		/* The interned copy: one pointer per profile, so that a
		 * consumer sorting by profile compares pointers first. */
		o.profile = a->profiles[e->profile].name;
		o.label = s[K_LABEL];
		o.container.runtime = s[K_RUNTIME];
		o.container.id = s[K_ID];
		o.container.pod_uid = s[K_POD];
		o.access.cls = (enum access_class)(unsigned char)e->key[0];
		for (k = 0; k < ACCESS_NFIELDS; k++)
			o.access.f[k] = s[K_F0 + k];
		o.access.mask = e->mask;
		o.allowed = e->allowed;
		o.denied = e->denied;
		o.first_ms = e->first_ms;
		o.last_ms = e->last_ms;
		o.sample_pid = e->sample_pid;
		o.sample_comm = e->comm;
		o.sample_exe = e->exe;
		rc = cb(&o, arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
aggregate_foreach_overflow(const struct aggregate *a, aggregate_overflow_cb cb,
    void *arg)
{
	size_t i;
	int rc;

	for (i = 0; i < a->nprofiles; i++) {
		if (a->profiles[i].overflow == 0)
			continue;
		rc = cb(a->profiles[i].name, a->profiles[i].overflow, arg);
		if (rc != 0)
			return rc;
	}
	if (a->overflow_unnamed != 0)
		return cb("", a->overflow_unnamed, arg);
	return 0;
}

void
aggregate_clear(struct aggregate *a)
{
	/* Entry chunks and tables keep their size: the next interval is likely
	 * to need as much again, and the caps bound them. */
	a->count = 0;
	a->sorted = 0;
	memset(a->table, 0, a->table_size * sizeof(*a->table));
	memset(a->strs, 0, a->strs_size * sizeof(*a->strs));
	a->nstrs = 0;
	memset(a->ptable, 0, a->ptable_size * sizeof(*a->ptable));
	a->nprofiles = 0;
	a->overflow = 0;
	a->overflow_unnamed = 0;
	arena_reset(a, 1);
}
