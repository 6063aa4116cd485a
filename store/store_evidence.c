/*
 * store_evidence.c - profiles, containers, observations, source checkpoints
 * and ingest statistics.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* --------------------------------------------------------------- profiles */

/* Write one profile's pending counters. */
static int
flush_entry(struct store *st, struct cache_entry *e)
{
	sqlite3_stmt *s;
	int r = 0;

	if (!e->dirty || e->tx_gen != st->tx_gen)
		return 0;
	s = store_stmt(st, S_PROFILE_FLUSH, &r);
	if (s == NULL)
		return r;
	sqlite3_bind_int64(s, 1, e->id);
	sqlite3_bind_int64(s, 2, (int64_t)e->pending_obs);
	sqlite3_bind_int64(s, 3, (int64_t)e->pending_overflow);
	sqlite3_bind_int64(s, 4, e->pending_last_new_ms);
	r = stmt_exec(s);
	if (r < 0)
		return r;
	e->pending_obs = 0;
	e->pending_overflow = 0;
	e->pending_last_new_ms = 0;
	e->dirty = 0;
	return 0;
}

int
store_flush_profiles(struct store *st)
{
	int i, r;

	if (!st->in_tx || sqlite3_get_autocommit(st->db))
		return 0;
	for (i = 0; i < CACHE_SLOTS; i++) {
		r = flush_entry(st, &st->profiles[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The profile's row count, read once per transaction. */
static int
load_count(struct store *st, struct cache_entry *e)
{
	sqlite3_stmt *s;
	int r = 0, rc;

	if (e->tx_gen == st->tx_gen)
		return 0;
	s = store_stmt(st, S_PROFILE_COUNT, &r);
	if (s == NULL)
		return r;
	sqlite3_bind_int64(s, 1, e->id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		e->obs = (uint64_t)sqlite3_column_int64(s, 0);
	stmt_done(s);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? -EIO : errno_from_sqlite(rc);
	e->tx_gen = st->tx_gen;
	e->pending_obs = e->pending_overflow = 0;
	e->pending_last_new_ms = 0;
	e->dirty = 0;
	return 0;
}

int
store_profile_entry(struct store *st, const char *name,
    struct cache_entry **ret)
{
	struct cache_entry *e;
	sqlite3_stmt *s;
	size_t len = strlen(name);
	int64_t id = 0;
	uint64_t obs = 0;
	int r = 0, rc;

	if ((e = store_cache_find(st->profiles, name, len)) != NULL) {
		r = load_count(st, e);
		if (r < 0)
			return r;
		*ret = e;
		return 0;
	}
	/* The slot's profile is forgotten: its counters go to its row now. */
	r = flush_entry(st, store_cache_slot(st->profiles, name, len));
	if (r < 0)
		return r;
	s = store_stmt(st, S_PROFILE_ID, &r);
	if (s == NULL)
		return r;
	bind_str(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		obs = (uint64_t)sqlite3_column_int64(s, 1);
	}
	stmt_done(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return errno_from_sqlite(rc);
	if (rc == SQLITE_DONE) {
		s = store_stmt(st, S_PROFILE_INSERT, &r);
		if (s == NULL)
			return r;
		bind_str(s, 1, name);
		r = stmt_exec(s);
		if (r < 0)
			return r;
		id = sqlite3_last_insert_rowid(st->db);
	}
	e = store_cache_put(st->profiles, name, len, id);
	if (e == NULL)
		return -ENOMEM;
	e->obs = obs;
	e->tx_gen = st->tx_gen;
	*ret = e;
	return 0;
}

/* The profile's row id, made when missing.  Inside a write transaction. */
int
store_profile_id(struct store *st, const char *name, int64_t *ret_id)
{
	struct cache_entry *e;
	int r;

	r = store_profile_entry(st, name, &e);
	if (r < 0)
		return r;
	*ret_id = e->id;
	return 0;
}

int
store_set_profile(struct store *st, const char *name, const char *mode,
    const char *file)
{
	sqlite3_stmt *s;
	int autotx, r = 0;

	if (name == NULL || *name == '\0')
		return -EINVAL;
	r = store_tx_enter(st, &autotx);
	if (r < 0)
		return r;
	s = store_stmt(st, S_PROFILE_SET, &r);
	if (s != NULL) {
		bind_str(s, 1, name);
		bind_str_or_null(s, 2, mode);
		bind_str_or_null(s, 3, file);
		r = stmt_exec(s);
	}
	return store_tx_leave(st, autotx, r);
}

int
store_add_overflow(struct store *st, const char *profile, uint64_t n)
{
	sqlite3_stmt *s;
	int64_t id;
	int autotx, r = 0;

	if (profile == NULL || *profile == '\0' || n > INT64_MAX)
		return -EINVAL;
	r = store_tx_enter(st, &autotx);
	if (r < 0)
		return r;
	r = store_profile_id(st, profile, &id);
	if (r == 0) {
		s = store_stmt(st, S_PROFILE_OVERFLOW, &r);
		if (s != NULL) {
			sqlite3_bind_int64(s, 1, id);
			sqlite3_bind_int64(s, 2, (int64_t)n);
			r = stmt_exec(s);
		}
	}
	return store_tx_leave(st, autotx, r);
}

int
store_list_profiles(struct store *st, store_profile_cb cb, void *arg)
{
	struct profile_info pi;
	sqlite3_stmt *s;
	int rc, r = 0, n = 0;

	/* Inside a batch, the counters it holds back count too. */
	r = store_flush_profiles(st);
	if (r < 0)
		return r;
	s = store_stmt(st, S_PROFILE_LIST, &r);
	if (s == NULL)
		return r;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&pi, 0, sizeof(pi));
		pi.name = col_str_empty(s, 0);
		pi.mode = col_str_empty(s, 1);
		pi.file = col_str_empty(s, 2);
		pi.overflow = (uint64_t)sqlite3_column_int64(s, 3);
		pi.last_new_ms = sqlite3_column_int64(s, 4);
		pi.observations = (uint64_t)sqlite3_column_int64(s, 5);
		pi.containers = (uint64_t)sqlite3_column_int64(s, 6);
		n++;
		r = cb(&pi, arg);
		if (r != 0)
			break;
	}
	return list_done(s, rc, r, n);
}

/* ----------------------------------------------------------- observations */

static void
cache_container_row(struct cache_entry *e, sqlite3_stmt *s)
{
	if (e == NULL)
		return;
	e->first_ms = sqlite3_column_int64(s, 1);
	e->last_ms = sqlite3_column_int64(s, 2);
	e->has_pod = sqlite3_column_type(s, 3) != SQLITE_NULL;
}

/*
 * The container's row id, its first/last seen widened to the observation's
 * and its pod uid filled in.  A container not stored yet is made only when
 * create is set, else -ENOENT: an observation the cap drops must not leave
 * a container row behind (a flood of short-lived containers would).
 */
static int
container_id(struct store *st, const struct observation *o, int create,
    int64_t *ret_id)
{
	const struct container *c = &o->container;
	const char *runtime = "", *id = "", *pod = NULL;
	struct cache_entry *e;
	sqlite3_stmt *s;
	char stackkey[160], *key = stackkey;
	size_t rlen, ilen, len;
	int r = 0, rc;

	if (c->id != NULL && *c->id != '\0') {
		runtime = c->runtime != NULL ? c->runtime : "";
		id = c->id;
		if (c->pod_uid != NULL && *c->pod_uid != '\0')
			pod = c->pod_uid;
	}	/* else the host */
	rlen = strlen(runtime);
	ilen = strlen(id);
	len = rlen + 1 + ilen;
	if (len >= sizeof(stackkey) && (key = malloc(len + 1)) == NULL)
		return -ENOMEM;
	memcpy(key, runtime, rlen + 1);
	memcpy(key + rlen + 1, id, ilen + 1);

	e = store_cache_find(st->containers, key, len);
	if (e == NULL) {
		s = store_stmt(st, S_CONTAINER_FIND, &r);
		if (s == NULL)
			goto out;
		bind_str(s, 1, runtime);
		bind_str(s, 2, id);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			e = store_cache_put(st->containers, key, len,
			    sqlite3_column_int64(s, 0));
			cache_container_row(e, s);
			if (e == NULL)
				r = -ENOMEM;
		} else if (rc == SQLITE_DONE) {
			r = create ? 0 : -ENOENT;
		} else {
			r = errno_from_sqlite(rc);
		}
		stmt_done(s);
		if (r < 0 || (e == NULL && !create))
			goto out;
	}
	/* Nothing to widen or fill in: no need to write. */
	if (e != NULL && (o->first_ms == 0 || (e->first_ms != 0 &&
	    o->first_ms >= e->first_ms)) && o->last_ms <= e->last_ms &&
	    (pod == NULL || e->has_pod)) {
		*ret_id = e->id;
		goto out;
	}
	s = store_stmt(st, S_CONTAINER_UPSERT, &r);
	if (s == NULL)
		goto out;
	bind_str(s, 1, runtime);
	bind_str(s, 2, id);
	bind_str_or_null(s, 3, pod);
	sqlite3_bind_int64(s, 4, o->first_ms);
	sqlite3_bind_int64(s, 5, o->last_ms);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*ret_id = sqlite3_column_int64(s, 0);
		e = store_cache_put(st->containers, key, len, *ret_id);
		cache_container_row(e, s);
	}
	stmt_done(s);
	if (rc != SQLITE_ROW)
		r = rc == SQLITE_DONE ? -EIO : errno_from_sqlite(rc);
out:
	if (key != stackkey)
		free(key);
	return r;
}

int
store_list_containers(struct store *st, store_container_cb cb, void *arg)
{
	struct container_info ci;
	sqlite3_stmt *s;
	int rc, r = 0, n = 0;

	s = store_stmt(st, S_CONTAINER_LIST, &r);
	if (s == NULL)
		return r;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&ci, 0, sizeof(ci));
		ci.runtime = col_str_empty(s, 0);
		ci.id = col_str_empty(s, 1);
		ci.pod_uid = col_str(s, 2);
		ci.first_ms = sqlite3_column_int64(s, 3);
		ci.last_ms = sqlite3_column_int64(s, 4);
		n++;
		r = cb(&ci, arg);
		if (r != 0)
			break;
	}
	return list_done(s, rc, r, n);
}

static void
bind_obs_key(sqlite3_stmt *s, int64_t pid, int64_t cid,
    const struct observation *o)
{
	int i;

	sqlite3_bind_int64(s, 1, pid);
	sqlite3_bind_int64(s, 2, cid);
	/* By name: the enum's order is the learner's business. */
	bind_str(s, 3, access_class_name(o->access.cls));
	for (i = 0; i < ACCESS_NFIELDS; i++)
		bind_str(s, 4 + i, o->access.f[i]);
	sqlite3_bind_int64(s, 10, (int64_t)o->access.mask);
	sqlite3_bind_int64(s, 11, (int64_t)o->allowed);
	sqlite3_bind_int64(s, 12, (int64_t)o->denied);
	sqlite3_bind_int64(s, 13, o->first_ms);
	sqlite3_bind_int64(s, 14, o->last_ms);
}

/*
 * Before the profile's first observation in a container: count the
 * container for the profile (a container just made is new to every one).
 */
static int
count_container(struct store *st, int64_t pid, int64_t cid, int known)
{
	sqlite3_stmt *s;
	int r = 0, rc;

	if (known) {
		s = store_stmt(st, S_PROFILE_HAS_CONTAINER, &r);
		if (s == NULL)
			return r;
		sqlite3_bind_int64(s, 1, pid);
		sqlite3_bind_int64(s, 2, cid);
		rc = sqlite3_step(s);
		stmt_done(s);
		if (rc == SQLITE_ROW)
			return 0;
		if (rc != SQLITE_DONE)
			return errno_from_sqlite(rc);
	}
	s = store_stmt(st, S_PROFILE_NEW_CONTAINER, &r);
	if (s == NULL)
		return r;
	sqlite3_bind_int64(s, 1, pid);
	return stmt_exec(s);
}

/* Add o's counts to its stored row: 1 when there was one, 0 when none. */
static int
update_observation(struct store *st, int64_t pid, int64_t cid,
    const struct observation *o)
{
	sqlite3_stmt *s;
	int r = 0;

	s = store_stmt(st, S_OBS_UPDATE, &r);
	if (s == NULL)
		return r;
	bind_obs_key(s, pid, cid, o);
	r = stmt_exec_rebound(s);
	if (r < 0)
		return r;
	return sqlite3_changes(st->db) > 0;
}

/* Recent puts were of new keys (up), or of known ones (down). */
static void
streak(struct store *st, int was_new)
{
	if (was_new && st->new_streak < 8)
		st->new_streak++;
	else if (!was_new && st->new_streak > -8)
		st->new_streak--;
}

static int
put_observation(struct store *st, const struct observation *o)
{
	struct cache_entry *pe;
	sqlite3_stmt *s;
	int64_t pid, cid = 0;
	int r = 0, known_container = 0, tried_update = 0;

	r = store_profile_entry(st, o->profile, &pe);
	if (r < 0)
		return r;
	pid = pe->id;
	r = container_id(st, o, 0, &cid);
	if (r < 0 && r != -ENOENT)
		return r;
	known_container = r == 0;
	/*
	 * A key of a container not stored yet is new.  Else guess from the
	 * puts before this one which statement finds out first: on a fresh
	 * store (an import) nearly every key is new and the INSERT alone does
	 * the work; on a warm one (the daemon) nearly every key is known and
	 * the UPDATE alone does.
	 */
	if (known_container && (st->new_streak < 0 || pe->obs >= st->cap)) {
		r = update_observation(st, pid, cid, o);
		if (r != 0) {
			if (r > 0)
				streak(st, 0);
			return r < 0 ? r : 0;
		}
		tried_update = 1;
	}

	/* A new distinct key (or perhaps one): dropped at the profile's cap. */
	if (pe->obs >= st->cap) {
		if (known_container && !tried_update) {
			r = update_observation(st, pid, cid, o);
			if (r != 0)
				return r < 0 ? r : 0;
		}
		pe->pending_overflow++;
		pe->dirty = 1;
		return 1;
	}
	if (!known_container) {
		r = container_id(st, o, 1, &cid);
		if (r < 0)
			return r;
	}
	if (o->container.id != NULL && *o->container.id != '\0') {
		/*
		 * Before the insert, which would find itself.  Should the key
		 * exist after all, it counted the container already and this
		 * finds it too.
		 */
		r = count_container(st, pid, cid, known_container);
		if (r < 0)
			return r;
	}

	s = store_stmt(st, S_OBS_INSERT, &r);
	if (s == NULL)
		return r;
	bind_obs_key(s, pid, cid, o);
	bind_str(s, 15, o->label != NULL ? o->label : o->profile);
	sqlite3_bind_int64(s, 16, o->sample_pid);
	bind_str_or_null(s, 17, o->sample_comm);
	bind_str_or_null(s, 18, o->sample_exe);
	r = stmt_exec_rebound(s);
	if (r < 0)
		return r;
	if (sqlite3_changes(st->db) == 0) {
		/* ON CONFLICT DO NOTHING: the key was stored. */
		streak(st, 0);
		r = update_observation(st, pid, cid, o);
		if (r < 0)
			return r;
		return r > 0 ? 0 : -EIO;
	}
	streak(st, 1);
	pe->obs++;
	pe->pending_obs++;
	if (o->first_ms > pe->pending_last_new_ms)
		pe->pending_last_new_ms = o->first_ms;
	pe->dirty = 1;
	return 0;
}

int
store_put_observation(struct store *st, const struct observation *o)
{
	int autotx, r;

	if (o == NULL || o->profile == NULL || *o->profile == '\0' ||
	    o->access.cls <= ACCESS_NONE || o->access.cls >= ACCESS_NCLASSES ||
	    access_class_name(o->access.cls) == NULL ||
	    o->allowed > INT64_MAX || o->denied > INT64_MAX)
		return -EINVAL;
	r = store_tx_enter(st, &autotx);
	if (r < 0)
		return r;
	r = put_observation(st, o);
	return store_tx_leave(st, autotx, r);
}

/*
 * The string columns of a row of S_OBS_LIST(_ALL), copied NUL-terminated
 * into one buffer kept for the whole listing.  Why not col_str():
 * sqlite3_column_text() of a BLOB copies it into the value's own memory
 * to add the terminator, column by column and row by row, and with the
 * type check before it that was a tenth of a 100,000-observation diff.
 */
enum { OBS_COL_LABEL, OBS_COL_CLS, OBS_COL_F0,
	OBS_COL_COMM = OBS_COL_F0 + ACCESS_NFIELDS, OBS_COL_EXE,
	OBS_COL_PROFILE, OBS_NCOLS };

/* Where each is in the statements' rows; the integers in between. */
static const int obs_col[OBS_NCOLS] = {
	[OBS_COL_LABEL] = 0, [OBS_COL_CLS] = 2,
	[OBS_COL_F0] = 3, [OBS_COL_F0 + 1] = 4, [OBS_COL_F0 + 2] = 5,
	[OBS_COL_F0 + 3] = 6, [OBS_COL_F0 + 4] = 7, [OBS_COL_F0 + 5] = 8,
	[OBS_COL_COMM] = 15, [OBS_COL_EXE] = 16, [OBS_COL_PROFILE] = 17,
};
#define OBS_COL_CONTAINER	1
#define OBS_COL_MASK		9	/* then allowed, denied, first_ms,
					 * last_ms, sample_pid */

struct row_strs {
	char	*buf;
	size_t	 cap;
	const char *v[OBS_NCOLS];	/* NULL: SQL NULL (or not read) */
};

static int
row_strs_read(struct row_strs *rs, sqlite3_stmt *s, int ncols)
{
	const void *p[OBS_NCOLS];
	size_t n[OBS_NCOLS], total = 0;
	char *d;

	for (int i = 0; i < ncols; i++) {
		int c = obs_col[i];

		/*
		 * The length first: most fields are empty, and then one
		 * call says so (the type only tells NULL from "").  Every
		 * value is a BLOB (bind_str), which neither call converts.
		 */
		p[i] = NULL;
		n[i] = (size_t)sqlite3_column_bytes(s, c);
		if (n[i] > 0) {
			p[i] = sqlite3_column_blob(s, c);
			if (p[i] == NULL)
				return -ENOMEM;
			total += n[i] + 1;
		} else if ((i == OBS_COL_COMM || i == OBS_COL_EXE) &&
		    sqlite3_column_type(s, c) == SQLITE_NULL) {
			/* only these may be NULL; for the others (NOT NULL
			 * in the schema) NULL and "" both read as "" */
			n[i] = SIZE_MAX;
		}
	}
	if (total > rs->cap) {
		size_t cap = rs->cap ? rs->cap : 4096;

		while (cap < total)
			cap *= 2;
		if ((d = realloc(rs->buf, cap)) == NULL)
			return -ENOMEM;
		rs->buf = d;
		rs->cap = cap;
	}
	d = rs->buf;
	for (int i = 0; i < ncols; i++) {
		if (n[i] == SIZE_MAX) {
			rs->v[i] = NULL;
		} else if (n[i] == 0) {
			rs->v[i] = "";
		} else {
			memcpy(d, p[i], n[i]);
			d[n[i]] = '\0';
			rs->v[i] = d;
			d += n[i] + 1;
		}
	}
	return 0;
}

static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/* The container of the rows being listed, by id (see S_OBS_LIST). */
struct row_container {
	int64_t	 id;
	bool	 known;		/* id was looked up */
	bool	 found;		/* and has a row */
	char	*buf;		/* runtime, cid, pod_uid, each NUL-ended */
	size_t	 cap;
	const char *runtime, *cid, *pod_uid;
};

static int
row_container_get(struct store *st, struct row_container *rc, int64_t id)
{
	const char *v[3];
	size_t n[3], total = 0;
	sqlite3_stmt *s;
	int r = 0, step;
	char *d;

	if (rc->known && rc->id == id)
		return 0;
	if ((s = store_stmt(st, S_CONTAINER_BY_ID, &r)) == NULL)
		return r;
	sqlite3_bind_int64(s, 1, id);
	step = sqlite3_step(s);
	rc->known = false;
	if (step == SQLITE_DONE) {
		rc->found = false;
	} else if (step != SQLITE_ROW) {
		r = errno_from_sqlite(step);
	} else {
		for (int i = 0; i < 3; i++) {
			v[i] = col_str(s, i);
			n[i] = v[i] != NULL ? strlen(v[i]) + 1 : 0;
			total += n[i];
		}
		if (total > rc->cap) {
			if ((d = realloc(rc->buf, total)) == NULL) {
				r = -ENOMEM;
				goto out;
			}
			rc->buf = d;
			rc->cap = total;
		}
		d = rc->buf;
		for (int i = 0; i < 3; i++) {
			const char **dst = i == 0 ? &rc->runtime : i == 1 ?
			    &rc->cid : &rc->pod_uid;

			*dst = NULL;
			if (v[i] != NULL) {
				memcpy(d, v[i], n[i]);
				*dst = d;
				d += n[i];
			}
		}
		rc->found = true;
	}
	if (r == 0) {
		rc->id = id;
		rc->known = true;
	}
out:
	stmt_done(s);
	return r;
}

int
store_list_observations(struct store *st, const char *profile,
    const char *container, store_observation_cb cb, void *arg)
{
	struct row_strs rs = { 0 };
	struct row_container rc = { 0 };
	struct observation o;
	sqlite3_stmt *s;
	int i, step, r = 0, n = 0;
	int ncols = profile != NULL ? OBS_COL_PROFILE : OBS_NCOLS;

	s = store_stmt(st, profile != NULL ? S_OBS_LIST : S_OBS_LIST_ALL, &r);
	if (s == NULL)
		return r;
	if (profile != NULL)
		bind_str(s, 1, profile);
	bind_str_or_null(s, 2, container);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if ((r = row_container_get(st, &rc, sqlite3_column_int64(s,
		    OBS_COL_CONTAINER))) < 0)
			break;
		if (!rc.found)
			continue;	/* no container row: the join's answer */
		if ((r = row_strs_read(&rs, s, ncols)) < 0)
			break;
		memset(&o, 0, sizeof(o));
		o.profile = profile != NULL ? profile :
		    or_empty(rs.v[OBS_COL_PROFILE]);
		o.label = or_empty(rs.v[OBS_COL_LABEL]);
		o.container.id = or_empty(rc.cid);
		if (*o.container.id == '\0') {
			o.container.id = NULL;	/* the host */
		} else {
			o.container.runtime = or_empty(rc.runtime);
			o.container.pod_uid = rc.pod_uid;
		}
		/* A class this build does not know (a newer one wrote it). */
		o.access.cls = access_class_from_name(or_empty(
		    rs.v[OBS_COL_CLS]));
		if (o.access.cls == ACCESS_NONE)
			continue;
		for (i = 0; i < ACCESS_NFIELDS; i++)
			o.access.f[i] = or_empty(rs.v[OBS_COL_F0 + i]);
		o.access.mask = (uint64_t)sqlite3_column_int64(s, OBS_COL_MASK);
		o.allowed = (uint64_t)sqlite3_column_int64(s, OBS_COL_MASK + 1);
		o.denied = (uint64_t)sqlite3_column_int64(s, OBS_COL_MASK + 2);
		o.first_ms = sqlite3_column_int64(s, OBS_COL_MASK + 3);
		o.last_ms = sqlite3_column_int64(s, OBS_COL_MASK + 4);
		o.sample_pid = (long)sqlite3_column_int64(s, OBS_COL_MASK + 5);
		o.sample_comm = rs.v[OBS_COL_COMM];
		o.sample_exe = rs.v[OBS_COL_EXE];
		n++;
		r = cb(&o, arg);
		if (r != 0)
			break;
	}
	free(rs.buf);
	free(rc.buf);
	return list_done(s, step, r, n);
}

/* ------------------------------------------------------ checkpoints, stats */

int
store_put_checkpoint(struct store *st, const struct checkpoint *cp)
{
	sqlite3_stmt *s;
	int autotx, r = 0;

	if (cp == NULL || cp->source == NULL || *cp->source == '\0' ||
	    cp->position == NULL)
		return -EINVAL;
	r = store_tx_enter(st, &autotx);
	if (r < 0)
		return r;
	s = store_stmt(st, S_CHECKPOINT_PUT, &r);
	if (s != NULL) {
		bind_str(s, 1, cp->source);
		bind_str(s, 2, cp->position);
		sqlite3_bind_int64(s, 3, cp->updated_ms);
		r = stmt_exec(s);
	}
	return store_tx_leave(st, autotx, r);
}

int
store_get_checkpoint(struct store *st, const char *source,
    char **ret_position)
{
	sqlite3_stmt *s;
	char *p;
	int rc, r = 0;

	if (source == NULL)
		return -EINVAL;
	s = store_stmt(st, S_CHECKPOINT_GET, &r);
	if (s == NULL)
		return r;
	bind_str(s, 1, source);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		p = strdup(col_str_empty(s, 0));
		if (p == NULL) {
			r = -ENOMEM;
		} else {
			*ret_position = p;
			r = 0;
		}
	} else {
		r = rc == SQLITE_DONE ? -ENOENT : errno_from_sqlite(rc);
	}
	stmt_done(s);
	return r;
}

int
store_add_source_stats(struct store *st, const struct source_stats *ss)
{
	sqlite3_stmt *s;
	int autotx, r = 0;

	if (ss == NULL || ss->source == NULL || *ss->source == '\0' ||
	    ss->read > INT64_MAX || ss->skipped > INT64_MAX ||
	    ss->malformed > INT64_MAX || ss->lost > INT64_MAX ||
	    ss->kernel_lost > INT64_MAX)
		return -EINVAL;
	r = store_tx_enter(st, &autotx);
	if (r < 0)
		return r;
	s = store_stmt(st, S_SOURCE_ADD, &r);
	if (s != NULL) {
		bind_str(s, 1, ss->source);
		sqlite3_bind_int64(s, 2, (int64_t)ss->read);
		sqlite3_bind_int64(s, 3, (int64_t)ss->skipped);
		sqlite3_bind_int64(s, 4, (int64_t)ss->malformed);
		sqlite3_bind_int64(s, 5, (int64_t)ss->lost);
		sqlite3_bind_int64(s, 6, (int64_t)ss->kernel_lost);
		sqlite3_bind_int64(s, 7, ss->last_record_ms);
		sqlite3_bind_int64(s, 8, ss->updated_ms);
		r = stmt_exec(s);
	}
	return store_tx_leave(st, autotx, r);
}

int
store_list_sources(struct store *st, store_source_cb cb, void *arg)
{
	struct source_stats ss;
	sqlite3_stmt *s;
	int rc, r = 0, n = 0;

	s = store_stmt(st, S_SOURCE_LIST, &r);
	if (s == NULL)
		return r;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&ss, 0, sizeof(ss));
		ss.source = col_str_empty(s, 0);
		ss.read = (uint64_t)sqlite3_column_int64(s, 1);
		ss.skipped = (uint64_t)sqlite3_column_int64(s, 2);
		ss.malformed = (uint64_t)sqlite3_column_int64(s, 3);
		ss.lost = (uint64_t)sqlite3_column_int64(s, 4);
		ss.kernel_lost = (uint64_t)sqlite3_column_int64(s, 5);
		ss.last_record_ms = sqlite3_column_int64(s, 6);
		ss.updated_ms = sqlite3_column_int64(s, 7);
		n++;
		r = cb(&ss, arg);
		if (r != 0)
			break;
	}
	return list_done(s, rc, r, n);
}
