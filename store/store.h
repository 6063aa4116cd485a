/*
 * store.h - aalearn's evidence store: everything SQL, nothing else.
 *
 * One SQLite file in WAL mode.  The daemon is the single writer of
 * observations; the CLI reads and records decisions and profile versions at
 * the same time.  Writes come as batches: store_begin(), any number of
 * store_put_*(), store_commit() - one transaction, so that a source
 * checkpoint is durable exactly when the observations it covers are.
 *
 * Returns 0 (or a count) on success and -errno on failure; look-ups that
 * find nothing return -ENOENT.  Strings handed out in callbacks are borrowed
 * for the duration of the callback only.
 *
 * Strings may hold any byte but NUL (non-UTF-8, newlines...) and come back
 * exactly as they went in.  They are kept as BLOBs: when querying the file
 * by hand, compare with CAST(x AS TEXT) or X'...' literals.
 *
 * Write calls made outside store_begin()/store_commit() run in a
 * transaction of their own.  Inside a batch, a failed call leaves the batch
 * half done: call store_rollback().  Every write takes the write lock up
 * front and waits (a long busy timeout) for another writer to finish, so
 * that "database is locked" never reaches a user.
 *
 * The store_list_* calls visit rows in a stable order; a callback returns
 * non-zero to stop, and that value is returned, else the number of rows
 * visited.  Inside a callback, do not write to the same store nor call the
 * same list function again (other look-ups are fine).
 *
 * One struct store per thread.  Another program's SQLite file is refused
 * untouched (PRAGMA application_id marks ours).
 */
#ifndef AALEARN_STORE_H
#define AALEARN_STORE_H

#include <stdint.h>
#include "learner.h"

struct store;

#define STORE_DEFAULT_PATH "/var/lib/aalearn/aalearn.db"
#define STORE_DEFAULT_CAP 100000	/* distinct observations per profile */

enum store_flags {
	STORE_READONLY = 1 << 0,
	STORE_CREATE = 1 << 1,	/* create the file (0600) and its directory (0700) */
};

/*
 * Open (and migrate) the store at path (":memory:" works).  On failure
 * returns NULL and, when errmsg is not NULL, writes a message naming the
 * path and the reason (newer schema, not a database, locked...) into it.
 * STORE_READONLY refuses a store that still needs migrating.
 */
struct store *store_open(const char *path, int flags, char *errmsg,
    size_t errlen);
void store_close(struct store *);
/* Non-zero when the file or its directory had looser permissions than 0600/0700. */
int store_loose_permissions(const struct store *);
/*
 * Distinct observations kept per profile before overflow is counted
 * (STORE_DEFAULT_CAP until set).  Lowering it drops nothing already kept.
 */
void store_set_cap(struct store *, uint64_t per_profile);
/*
 * This store's host identity: 32 hex digits, random, made once, kept in the
 * database ("" on a read-only store whose identity was deleted).
 */
const char *store_host_id(const struct store *);
/*
 * Bulk loading (aalearn import): commits stop waiting for the disk
 * (PRAGMA synchronous = NORMAL; the -wal is synced at each checkpoint
 * instead).  Each batch stays atomic with what it says about its source -
 * after a power loss the store holds a prefix of the batches, each whole -
 * but the last batches committed before the loss may be gone.  SQLite's
 * foreign key checks are off meanwhile (the store makes every row a batch
 * refers to; store_check_integrity() checks them all).  Off by default: the
 * daemon's netlink records cannot be read twice.  0 or -errno.
 */
int store_set_bulk(struct store *, int on);
/* SQLite's message for the last failed call on this store (for logs). */
const char *store_errmsg(const struct store *);
/* 0 when PRAGMA integrity_check and foreign_key_check find nothing wrong. */
int store_check_integrity(struct store *);
/* The schema version (PRAGMA user_version) this build writes. */
int store_schema_version(void);

/* ---------------------------------------------------------------- batches */

int store_begin(struct store *);
int store_commit(struct store *);
void store_rollback(struct store *);

/*
 * Upsert by (profile, container runtime+id, access class, f[0..5]): counts
 * add, masks union, first/last widen (0: unknown), label and sample kept
 * from the first.  container.id NULL or "": the host.  Returns 0 when kept,
 * 1 when the profile already holds its cap of distinct observations (the
 * observation is dropped and the profile's overflow counter grows).
 */
int store_put_observation(struct store *, const struct observation *);

/* Where a source got to.  The position is opaque to the store. */
struct checkpoint {
	const char *source;	/* "netlink", "file:/var/log/audit/audit.log", "kmsg" */
	const char *position;	/* e.g. "dev=..,ino=..,off=..,serial=.." */
	int64_t	 updated_ms;
};
int store_put_checkpoint(struct store *, const struct checkpoint *);
/* Returns 0 and a malloc'd position in *ret_position, or -ENOENT. */
int store_get_checkpoint(struct store *, const char *source,
    char **ret_position);

/* Ingest statistics per source; the deltas add up. */
struct source_stats {
	const char *source;
	uint64_t read, skipped, malformed, lost, kernel_lost;
	int64_t	 last_record_ms;	/* 0: leave as is */
	int64_t	 updated_ms;
};
int store_add_source_stats(struct store *, const struct source_stats *);
typedef int (*store_source_cb)(const struct source_stats *, void *arg);
int store_list_sources(struct store *, store_source_cb, void *arg);

/* --------------------------------------------------------------- reading */

struct profile_info {
	const char *name;
	const char *mode;		/* "complain", "enforce", "" unknown */
	const char *file;		/* file that defines it, "" unknown */
	uint64_t observations;		/* distinct */
	uint64_t containers;		/* distinct containers seen (not the host) */
	uint64_t overflow;		/* observations dropped by the cap */
	int64_t	 last_new_ms;		/* when the newest distinct observation arrived */
};
typedef int (*store_profile_cb)(const struct profile_info *, void *arg);
int store_list_profiles(struct store *, store_profile_cb, void *arg);
/* Creates or updates a profile; mode or file NULL: leave as is. */
int store_set_profile(struct store *, const char *name, const char *mode,
    const char *file);
/* Observations dropped for one profile since the start. */
int store_add_overflow(struct store *, const char *profile, uint64_t n);

/* A container seen in any observation (the host is not listed). */
struct container_info {
	const char *runtime;
	const char *id;
	const char *pod_uid;		/* the first one known, or NULL */
	int64_t	 first_ms, last_ms;	/* over the observations kept */
};
typedef int (*store_container_cb)(const struct container_info *, void *arg);
/* Ordered by runtime, then id. */
int store_list_containers(struct store *, store_container_cb, void *arg);

typedef int (*store_observation_cb)(const struct observation *, void *arg);
/*
 * All observations of a profile (NULL: of every profile, grouped by
 * profile); container NULL for all, "" for the host only.
 */
int store_list_observations(struct store *, const char *profile,
    const char *container, store_observation_cb, void *arg);

/* --------------------------------------------------------------- decisions */

enum decision {
	DECISION_NONE = 0,
	DECISION_ACCEPTED,
	DECISION_REJECTED,
};
struct decision_info {
	const char *profile;
	const char *rule_id;	/* stable id derived from the rule text */
	const char *rule;	/* the rule text as decided (may be an edited glob) */
	enum decision decision;
	int64_t	 decided_ms;
	const char *note;
	int	 applied;	/* written into the profile by `aalearn apply` */
};
/* Replaces any earlier decision on (profile, rule_id); DECISION_NONE forgets it. */
int store_put_decision(struct store *, const struct decision_info *);
/* Returns DECISION_* for the rule, DECISION_NONE when never decided. */
int store_get_decision(struct store *, const char *profile,
    const char *rule_id);
typedef int (*store_decision_cb)(const struct decision_info *, void *arg);
/* profile NULL: every profile's.  Oldest first. */
int store_list_decisions(struct store *, const char *profile,
    store_decision_cb, void *arg);
/* -ENOENT when the rule was never decided. */
int store_mark_applied(struct store *, const char *profile,
    const char *rule_id);

/* ---------------------------------------------------------------- versions */

struct version_info {
	const char *profile;
	int64_t	 version;	/* 1, 2, ... per profile */
	const char *path;	/* the file written */
	const char *text;	/* its full contents */
	int64_t	 written_ms;
	const char *reason;	/* "apply", "init", "rollback to 3", ... */
};
/* Keeps text as the next version; the new number in *ret_version. */
int store_add_version(struct store *, const struct version_info *,
    int64_t *ret_version);
typedef int (*store_version_cb)(const struct version_info *, void *arg);
/* Newest first. */
int store_list_versions(struct store *, const char *profile,
    store_version_cb, void *arg);
/* Calls cb once with that version (0: the newest), or returns -ENOENT. */
int store_get_version(struct store *, const char *profile, int64_t version,
    store_version_cb, void *arg);

#endif /* AALEARN_STORE_H */
