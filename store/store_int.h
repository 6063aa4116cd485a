/*
 * store_int.h - what the store's source files share; not public.
 */
#ifndef AALEARN_STORE_INT_H
#define AALEARN_STORE_INT_H

#include <errno.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "store.h"

/*
 * Long enough that a reader or decider never sees "database is locked" while
 * the daemon commits a batch, or while another CLI holds a write transaction
 * for the time of one command.
 */
#define STORE_BUSY_TIMEOUT_MS 60000

/* Every statement the store runs; the SQL is in store.c, next to the schema. */
enum stmt_id {
	S_PROFILE_ID,
	S_PROFILE_INSERT,
	S_PROFILE_SET,
	S_PROFILE_COUNT,
	S_PROFILE_FLUSH,
	S_PROFILE_OVERFLOW,
	S_PROFILE_LIST,
	S_PROFILE_HAS_CONTAINER,
	S_PROFILE_NEW_CONTAINER,
	S_CONTAINER_FIND,
	S_CONTAINER_UPSERT,
	S_CONTAINER_LIST,
	S_OBS_UPDATE,
	S_OBS_INSERT,
	S_OBS_LIST,
	S_OBS_LIST_ALL,
	S_CONTAINER_BY_ID,
	S_CHECKPOINT_PUT,
	S_CHECKPOINT_GET,
	S_SOURCE_ADD,
	S_SOURCE_LIST,
	S_DECISION_PUT,
	S_DECISION_DELETE,
	S_DECISION_GET,
	S_DECISION_LIST,
	S_DECISION_LIST_ALL,
	S_DECISION_APPLIED,
	S_VERSION_NEXT,
	S_VERSION_INSERT,
	S_VERSION_LIST,
	S_VERSION_GET,
	S_VERSION_NEWEST,
	S_COUNT
};

/*
 * Row ids of profiles and containers, so that a put does not look them up
 * every time.  Direct-mapped and small: a miss only costs the look-up.
 * Rows are never deleted and container first/last only widen, so an entry
 * stays true once committed; everything is forgotten on rollback, which
 * may undo rows made in the batch.
 */
#define CACHE_SLOTS 64

struct cache_entry {
	char	*key;		/* profile name, or runtime NUL id */
	size_t	 keylen;
	int64_t	 id;
	int64_t	 first_ms, last_ms;	/* containers: the range stored */
	int	 has_pod;
	/*
	 * Profiles: the counters of the transaction numbered tx_gen, kept
	 * here rather than written per observation (one UPDATE of the
	 * profile's row per new observation was a third of a put).  obs is
	 * the row's count plus what this transaction added; the pending_*
	 * deltas are written by store_flush_profiles() before COMMIT, or
	 * when the entry is evicted.  Only the writer holding the write lock
	 * changes the row, so obs stays exact for the whole transaction.
	 */
	uint64_t tx_gen;
	uint64_t obs;
	uint64_t pending_obs, pending_overflow;
	int64_t	 pending_last_new_ms;
	int	 dirty;
};

struct store {
	sqlite3 *db;
	struct cache_entry profiles[CACHE_SLOTS];
	struct cache_entry containers[CACHE_SLOTS];
	sqlite3_stmt *stmt[S_COUNT];
	int	 readonly;
	int	 in_tx;
	uint64_t tx_gen;	/* numbers write transactions, from 1 */
	/*
	 * > 0 while recent puts were mostly of new keys (try the INSERT
	 * first), < 0 while mostly of known ones (try the UPDATE first).
	 */
	int	 new_streak;
	int	 loose;
	uint64_t cap;
	char	 host_id[64];
	struct timespec busy_since;
};

/* Prepared once per store, then reused. */
sqlite3_stmt *store_stmt(struct store *, enum stmt_id, int *ret_err);
/* Writes outside a batch run in a transaction of their own. */
int store_tx_enter(struct store *, int *ret_auto);
int store_tx_leave(struct store *, int autotx, int r);
struct cache_entry *store_cache_find(struct cache_entry *, const char *key,
    size_t len);
struct cache_entry *store_cache_put(struct cache_entry *, const char *key,
    size_t len, int64_t id);
/* The slot key would take (to flush what it holds before store_cache_put). */
struct cache_entry *store_cache_slot(struct cache_entry *, const char *key,
    size_t len);
/* The profile's row id, made when missing.  Inside a write transaction. */
int store_profile_id(struct store *, const char *name, int64_t *ret_id);
/*
 * The profile's cache entry, its row made when missing and its counters
 * (obs) loaded for the current transaction.  Inside a write transaction.
 */
int store_profile_entry(struct store *, const char *name,
    struct cache_entry **ret);
/* Write the profiles' pending counters (before COMMIT, before a listing). */
int store_flush_profiles(struct store *);

static inline int
errno_from_sqlite(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
	case SQLITE_TOOBIG:
		return -EINVAL;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	default:
		return -EIO;
	}
}

static inline void
stmt_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/*
 * The end of a listing: rc is the last sqlite3_step() result, r what the
 * callback returned (non-zero stops the listing and is passed on), n the
 * rows visited.  A step that failed before the end is the listing's error.
 */
static inline int
list_done(sqlite3_stmt *s, int rc, int r, int n)
{
	if (r == 0 && rc != SQLITE_DONE)
		r = errno_from_sqlite(rc);
	stmt_done(s);
	return r != 0 ? r : n;
}

/* Strings go in as BLOBs of their exact length; NULL becomes the empty one. */
static inline int
bind_str(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		v = "";
	/* Most of an observation's fields are empty: no call for those. */
	return sqlite3_bind_blob(s, i, v, v[0] == '\0' ? 0 : (int)strlen(v),
	    SQLITE_STATIC);
}

static inline int
bind_str_or_null(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(s, i);
	return bind_str(s, i, v);
}

/*
 * A column as a NUL-terminated string (no value holds a NUL: they all came
 * in through bind_str).  NULL only for SQL NULL.
 */
static inline const char *
col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *p;

	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return NULL;
	p = sqlite3_column_text(s, i);
	return p != NULL ? (const char *)p : "";
}

static inline const char *
col_str_empty(sqlite3_stmt *s, int i)
{
	const char *p = col_str(s, i);

	return p != NULL ? p : "";
}

/* Step a statement that returns no row. */
static inline int
stmt_exec(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	stmt_done(s);
	return rc == SQLITE_DONE ? 0 : errno_from_sqlite(rc);
}

/*
 * The same for a statement whose every parameter is bound before each
 * step: the bindings need no clearing (the strings are SQLITE_STATIC and
 * the next put binds over them).
 */
static inline int
stmt_exec_rebound(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : errno_from_sqlite(rc);
}

#endif /* AALEARN_STORE_INT_H */
