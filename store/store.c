/*
 * store.c - aalearn's evidence store on SQLite.
 *
 * Every string the store keeps may hold any byte but NUL (file names from
 * audit records are hostile input), so strings are bound as BLOBs with an
 * explicit length into BLOB-affinity columns: SQLite never converts,
 * normalises or compares them as text, and they come back byte for byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"

/*
 * Long enough that a reader or decider never sees "database is locked" while
 * the daemon commits a batch, or while another CLI holds a write transaction
 * for the time of one command.
 */
#define STORE_BUSY_TIMEOUT_MS 60000

enum stmt_id {
	S_PROFILE_ID,
	S_PROFILE_INSERT,
	S_PROFILE_SET,
	S_PROFILE_NEW_OBS,
	S_PROFILE_OVERFLOW,
	S_PROFILE_LIST,
	S_CONTAINER_FIND,
	S_CONTAINER_UPSERT,
	S_CONTAINER_LIST,
	S_OBS_UPDATE,
	S_OBS_INSERT,
	S_OBS_LIST,
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

static const char *const stmt_sql[S_COUNT] = {
	[S_PROFILE_ID] = "SELECT id FROM profiles WHERE name = ?1",
	[S_PROFILE_INSERT] = "INSERT INTO profiles(name) VALUES (?1)",
	[S_PROFILE_SET] =
	    "INSERT INTO profiles(name, mode, file) "
	    "VALUES (?1, coalesce(?2, x''), coalesce(?3, x'')) "
	    "ON CONFLICT(name) DO UPDATE SET "
	    "mode = coalesce(?2, mode), file = coalesce(?3, file)",
	/* Counts a new distinct observation unless the cap ?3 is reached. */
	[S_PROFILE_NEW_OBS] =
	    "UPDATE profiles SET observations = observations + 1, "
	    "last_new_ms = max(last_new_ms, ?2) "
	    "WHERE id = ?1 AND observations < ?3",
	[S_PROFILE_OVERFLOW] =
	    "UPDATE profiles SET overflow = overflow + ?2 WHERE id = ?1",
	[S_PROFILE_LIST] =
	    "SELECT p.name, p.mode, p.file, p.overflow, p.last_new_ms, "
	    "(SELECT count(*) FROM observations o WHERE o.profile_id = p.id), "
	    "(SELECT count(DISTINCT o.container_id) FROM observations o "
	    " JOIN containers c ON c.id = o.container_id "
	    " WHERE o.profile_id = p.id AND length(c.cid) > 0) "
	    "FROM profiles p ORDER BY p.name",
	[S_CONTAINER_FIND] =
	    "SELECT id, first_ms, last_ms, pod_uid FROM containers "
	    "WHERE runtime = ?1 AND cid = ?2",
	[S_CONTAINER_UPSERT] =
	    "INSERT INTO containers(runtime, cid, pod_uid, first_ms, last_ms) "
	    "VALUES (?1, ?2, ?3, ?4, ?5) "
	    "ON CONFLICT(runtime, cid) DO UPDATE SET "
	    "pod_uid = coalesce(pod_uid, excluded.pod_uid), "
	    "first_ms = CASE WHEN first_ms = 0 THEN excluded.first_ms "
	    "  WHEN excluded.first_ms = 0 THEN first_ms "
	    "  ELSE min(first_ms, excluded.first_ms) END, "
	    "last_ms = max(last_ms, excluded.last_ms) "
	    "RETURNING id, first_ms, last_ms, pod_uid",
	/*
	 * first_ms 0 means "not known": it neither wins nor loses against a
	 * known time.
	 */
	[S_CONTAINER_LIST] =
	    "SELECT runtime, cid, pod_uid, first_ms, last_ms FROM containers "
	    "WHERE length(cid) > 0 ORDER BY runtime, cid",
	[S_OBS_UPDATE] =
	    "UPDATE observations SET mask = mask | ?10, "
	    "allowed = allowed + ?11, denied = denied + ?12, "
	    "first_ms = CASE WHEN first_ms = 0 THEN ?13 "
	    "  WHEN ?13 = 0 THEN first_ms ELSE min(first_ms, ?13) END, "
	    "last_ms = max(last_ms, ?14) "
	    "WHERE profile_id = ?1 AND container_id = ?2 AND cls = ?3 "
	    "AND f0 = ?4 AND f1 = ?5 AND f2 = ?6 AND f3 = ?7 AND f4 = ?8 "
	    "AND f5 = ?9",
	[S_OBS_INSERT] =
	    "INSERT INTO observations(profile_id, container_id, cls, "
	    "f0, f1, f2, f3, f4, f5, mask, allowed, denied, first_ms, "
	    "last_ms, label, sample_pid, sample_comm, sample_exe) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
	    "?13, ?14, ?15, ?16, ?17, ?18)",
	[S_OBS_LIST] =
	    "SELECT o.label, c.runtime, c.cid, c.pod_uid, o.cls, "
	    "o.f0, o.f1, o.f2, o.f3, o.f4, o.f5, o.mask, o.allowed, "
	    "o.denied, o.first_ms, o.last_ms, o.sample_pid, "
	    "o.sample_comm, o.sample_exe "
	    "FROM observations o JOIN containers c ON c.id = o.container_id "
	    "WHERE o.profile_id = (SELECT id FROM profiles WHERE name = ?1) "
	    "AND (?2 IS NULL OR c.cid = ?2) "
	    "ORDER BY o.container_id, o.cls, o.f0, o.f1, o.f2, o.f3, o.f4, o.f5",
	[S_CHECKPOINT_PUT] =
	    "INSERT INTO checkpoints(source, position, updated_ms) "
	    "VALUES (?1, ?2, ?3) ON CONFLICT(source) DO UPDATE SET "
	    "position = excluded.position, updated_ms = excluded.updated_ms",
	[S_CHECKPOINT_GET] = "SELECT position FROM checkpoints WHERE source = ?1",
	[S_SOURCE_ADD] =
	    "INSERT INTO sources(source, read, skipped, malformed, lost, "
	    "kernel_lost, last_record_ms, updated_ms) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
	    "ON CONFLICT(source) DO UPDATE SET "
	    "read = read + excluded.read, skipped = skipped + excluded.skipped, "
	    "malformed = malformed + excluded.malformed, "
	    "lost = lost + excluded.lost, "
	    "kernel_lost = kernel_lost + excluded.kernel_lost, "
	    "last_record_ms = max(last_record_ms, excluded.last_record_ms), "
	    "updated_ms = excluded.updated_ms",
	[S_SOURCE_LIST] =
	    "SELECT source, read, skipped, malformed, lost, kernel_lost, "
	    "last_record_ms, updated_ms FROM sources ORDER BY source",
	[S_DECISION_PUT] =
	    "INSERT INTO decisions(profile_id, rule_id, rule, decision, "
	    "decided_ms, note, applied) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
	    "ON CONFLICT(profile_id, rule_id) DO UPDATE SET "
	    "rule = excluded.rule, decision = excluded.decision, "
	    "decided_ms = excluded.decided_ms, note = excluded.note, "
	    "applied = excluded.applied",
	[S_DECISION_DELETE] =
	    "DELETE FROM decisions WHERE profile_id = ?1 AND rule_id = ?2",
	[S_DECISION_GET] =
	    "SELECT d.decision FROM decisions d JOIN profiles p "
	    "ON p.id = d.profile_id WHERE p.name = ?1 AND d.rule_id = ?2",
	[S_DECISION_LIST] =
	    "SELECT p.name, d.rule_id, d.rule, d.decision, d.decided_ms, "
	    "d.note, d.applied FROM decisions d JOIN profiles p "
	    "ON p.id = d.profile_id WHERE p.name = ?1 "
	    "ORDER BY d.decided_ms, d.rule_id",
	[S_DECISION_LIST_ALL] =
	    "SELECT p.name, d.rule_id, d.rule, d.decision, d.decided_ms, "
	    "d.note, d.applied FROM decisions d JOIN profiles p "
	    "ON p.id = d.profile_id ORDER BY p.name, d.decided_ms, d.rule_id",
	[S_DECISION_APPLIED] =
	    "UPDATE decisions SET applied = 1 WHERE rule_id = ?2 AND "
	    "profile_id = (SELECT id FROM profiles WHERE name = ?1)",
	[S_VERSION_NEXT] =
	    "SELECT coalesce(max(version), 0) + 1 FROM versions "
	    "WHERE profile_id = ?1",
	[S_VERSION_INSERT] =
	    "INSERT INTO versions(profile_id, version, path, text, written_ms, "
	    "reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_VERSION_LIST] =
	    "SELECT p.name, v.version, v.path, v.text, v.written_ms, v.reason "
	    "FROM versions v JOIN profiles p ON p.id = v.profile_id "
	    "WHERE p.name = ?1 ORDER BY v.version DESC",
	[S_VERSION_GET] =
	    "SELECT p.name, v.version, v.path, v.text, v.written_ms, v.reason "
	    "FROM versions v JOIN profiles p ON p.id = v.profile_id "
	    "WHERE p.name = ?1 AND v.version = ?2",
	[S_VERSION_NEWEST] =
	    "SELECT p.name, v.version, v.path, v.text, v.written_ms, v.reason "
	    "FROM versions v JOIN profiles p ON p.id = v.profile_id "
	    "WHERE p.name = ?1 ORDER BY v.version DESC LIMIT 1",
};

/*
 * Schema migrations: migrations[i] takes user_version i to i + 1.  Never
 * edit a released step; append a new one.
 */
static const char *const migrations[] = {
	/* 0 -> 1: the first schema. */
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY NOT NULL,"
	"  value BLOB NOT NULL);"
	"CREATE TABLE profiles ("
	"  id INTEGER PRIMARY KEY,"
	"  name BLOB NOT NULL UNIQUE,"
	"  mode BLOB NOT NULL DEFAULT x'',"
	"  file BLOB NOT NULL DEFAULT x'',"
	"  observations INTEGER NOT NULL DEFAULT 0,"
	"  overflow INTEGER NOT NULL DEFAULT 0,"
	"  last_new_ms INTEGER NOT NULL DEFAULT 0);"
	/* The host itself is the container with empty runtime and id. */
	"CREATE TABLE containers ("
	"  id INTEGER PRIMARY KEY,"
	"  runtime BLOB NOT NULL,"
	"  cid BLOB NOT NULL,"
	"  pod_uid BLOB,"
	"  first_ms INTEGER NOT NULL,"
	"  last_ms INTEGER NOT NULL,"
	"  UNIQUE (runtime, cid));"
	/*
	 * Keyed by the access itself, stored once (no rowid and a second
	 * copy of the key in a UNIQUE index).
	 */
	"CREATE TABLE observations ("
	"  profile_id INTEGER NOT NULL REFERENCES profiles(id),"
	"  container_id INTEGER NOT NULL REFERENCES containers(id),"
	"  cls BLOB NOT NULL,"
	"  f0 BLOB NOT NULL, f1 BLOB NOT NULL, f2 BLOB NOT NULL,"
	"  f3 BLOB NOT NULL, f4 BLOB NOT NULL, f5 BLOB NOT NULL,"
	"  mask INTEGER NOT NULL,"
	"  allowed INTEGER NOT NULL,"
	"  denied INTEGER NOT NULL,"
	"  first_ms INTEGER NOT NULL,"
	"  last_ms INTEGER NOT NULL,"
	"  label BLOB NOT NULL,"
	"  sample_pid INTEGER NOT NULL,"
	"  sample_comm BLOB,"
	"  sample_exe BLOB,"
	"  PRIMARY KEY (profile_id, container_id, cls, f0, f1, f2, f3, f4, f5)"
	") WITHOUT ROWID;"
	"CREATE TABLE checkpoints ("
	"  source BLOB PRIMARY KEY NOT NULL,"
	"  position BLOB NOT NULL,"
	"  updated_ms INTEGER NOT NULL);"
	"CREATE TABLE sources ("
	"  source BLOB PRIMARY KEY NOT NULL,"
	"  read INTEGER NOT NULL,"
	"  skipped INTEGER NOT NULL,"
	"  malformed INTEGER NOT NULL,"
	"  lost INTEGER NOT NULL,"
	"  kernel_lost INTEGER NOT NULL,"
	"  last_record_ms INTEGER NOT NULL,"
	"  updated_ms INTEGER NOT NULL);"
	"CREATE TABLE decisions ("
	"  profile_id INTEGER NOT NULL REFERENCES profiles(id),"
	"  rule_id BLOB NOT NULL,"
	"  rule BLOB NOT NULL,"
	"  decision INTEGER NOT NULL CHECK (decision IN (1, 2)),"
	"  decided_ms INTEGER NOT NULL,"
	"  note BLOB,"
	"  applied INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (profile_id, rule_id));"
	"CREATE TABLE versions ("
	"  profile_id INTEGER NOT NULL REFERENCES profiles(id),"
	"  version INTEGER NOT NULL,"
	"  path BLOB NOT NULL,"
	"  text BLOB NOT NULL,"
	"  written_ms INTEGER NOT NULL,"
	"  reason BLOB NOT NULL,"
	"  PRIMARY KEY (profile_id, version));",
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* PRAGMA application_id of an aalearn store: "aaln". */
#define STORE_APPLICATION_ID 0x61616c6e

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
};

struct store {
	sqlite3 *db;
	struct cache_entry profiles[CACHE_SLOTS];
	struct cache_entry containers[CACHE_SLOTS];
	sqlite3_stmt *stmt[S_COUNT];
	int	 readonly;
	int	 in_tx;
	int	 loose;
	uint64_t cap;
	char	 host_id[64];
	struct timespec busy_since;
};

int
store_schema_version(void)
{
	return SCHEMA_VERSION;
}

static int
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

static sqlite3_stmt *
stmt_get(struct store *st, enum stmt_id id, int *ret_err)
{
	int rc;

	if (st->stmt[id] == NULL) {
		rc = sqlite3_prepare_v3(st->db, stmt_sql[id], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[id], NULL);
		if (rc != SQLITE_OK) {
			st->stmt[id] = NULL;
			*ret_err = errno_from_sqlite(rc);
			return NULL;
		}
	}
	return st->stmt[id];
}

static void
stmt_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Strings go in as BLOBs of their exact length; NULL becomes the empty one. */
static int
bind_str(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		v = "";
	return sqlite3_bind_blob(s, i, v, (int)strlen(v), SQLITE_STATIC);
}

static int
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
static const char *
col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *p;

	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return NULL;
	p = sqlite3_column_text(s, i);
	return p != NULL ? (const char *)p : "";
}

static const char *
col_str_empty(sqlite3_stmt *s, int i)
{
	const char *p = col_str(s, i);

	return p != NULL ? p : "";
}

/* Step a statement that returns no row. */
static int
stmt_exec(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	stmt_done(s);
	return rc == SQLITE_DONE ? 0 : errno_from_sqlite(rc);
}

static int
exec_sql(struct store *st, const char *sql)
{
	return errno_from_sqlite(sqlite3_exec(st->db, sql, NULL, NULL, NULL));
}

/* ------------------------------------------------------------------ cache */

static uint32_t
hash_bytes(const char *p, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 16777619u;
	}
	return h;
}

static void
cache_clear(struct cache_entry *c)
{
	int i;

	for (i = 0; i < CACHE_SLOTS; i++) {
		free(c[i].key);
		memset(&c[i], 0, sizeof(c[i]));
	}
}

static struct cache_entry *
cache_find(struct cache_entry *c, const char *key, size_t len)
{
	struct cache_entry *e = &c[hash_bytes(key, len) % CACHE_SLOTS];

	if (e->key != NULL && e->keylen == len && memcmp(e->key, key, len) == 0)
		return e;
	return NULL;
}

/* Remember key -> id; on failure to allocate just do not remember. */
static struct cache_entry *
cache_put(struct cache_entry *c, const char *key, size_t len, int64_t id)
{
	struct cache_entry *e = &c[hash_bytes(key, len) % CACHE_SLOTS];
	char *k = malloc(len + 1);

	if (k == NULL)
		return NULL;
	memcpy(k, key, len);
	k[len] = '\0';
	free(e->key);
	memset(e, 0, sizeof(*e));
	e->key = k;
	e->keylen = len;
	e->id = id;
	return e;
}

static void
cache_forget(struct store *st)
{
	cache_clear(st->profiles);
	cache_clear(st->containers);
}

/* ------------------------------------------------------------ transactions */

/*
 * Every write takes the write lock up front (BEGIN IMMEDIATE): a deferred
 * transaction that reads first and writes later can fail with SQLITE_BUSY
 * without ever calling the busy handler, which is what users would see as
 * "database is locked".
 */
int
store_begin(struct store *st)
{
	int r;

	if (st->in_tx)
		return -EINVAL;
	if (st->readonly)
		return -EROFS;
	r = exec_sql(st, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	st->in_tx = 1;
	return 0;
}

void
store_rollback(struct store *st)
{
	if (st == NULL || !st->in_tx)
		return;
	/* A failed COMMIT or an I/O error may have rolled back already. */
	if (!sqlite3_get_autocommit(st->db))
		(void)exec_sql(st, "ROLLBACK");
	st->in_tx = 0;
	cache_forget(st);
}

int
store_commit(struct store *st)
{
	int r;

	if (!st->in_tx)
		return -EINVAL;
	r = exec_sql(st, "COMMIT");
	if (r < 0) {
		store_rollback(st);
		return r;
	}
	st->in_tx = 0;
	return 0;
}

/* Writes outside a batch run in a transaction of their own. */
static int
tx_enter(struct store *st, int *ret_auto)
{
	int r;

	if (st->in_tx) {
		*ret_auto = 0;
		return 0;
	}
	r = store_begin(st);
	if (r < 0)
		return r;
	*ret_auto = 1;
	return 0;
}

static int
tx_leave(struct store *st, int autotx, int r)
{
	int c;

	if (!autotx)
		return r;
	if (r < 0) {
		store_rollback(st);
		return r;
	}
	c = store_commit(st);
	return c < 0 ? c : r;
}

/* ------------------------------------------------------------------- open */

static int
mkdir_parents(char *dir)
{
	struct stat sb;
	char *p;

	if (stat(dir, &sb) == 0)
		return S_ISDIR(sb.st_mode) ? 0 : -ENOTDIR;
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/*
 * Create the directory (0700) and the file (0600) before SQLite does, so
 * that their modes do not depend on the umask's leniency; SQLite gives the
 * -wal and -shm files the database file's mode.
 */
static int
create_file(const char *path, char *dir)
{
	int fd, r;

	r = mkdir_parents(dir);
	if (r < 0)
		return r;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int
check_permissions(const char *path, const char *dir)
{
	struct stat sb;

	if (stat(path, &sb) == 0 && (sb.st_mode & 0077) != 0)
		return 1;
	if (stat(dir, &sb) == 0 && (sb.st_mode & 0077) != 0)
		return 1;
	return 0;
}

static int
pragma_int(struct store *st, const char *sql, int *ret)
{
	sqlite3_stmt *s;
	int rc;

	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return errno_from_sqlite(rc);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : errno_from_sqlite(rc);
}

static int
host_id_load(struct store *st)
{
	sqlite3_stmt *s;
	const char *v;
	int rc, r = -ENOENT;

	rc = sqlite3_prepare_v2(st->db,
	    "SELECT value FROM meta WHERE key = 'host_id'", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return errno_from_sqlite(rc);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		v = col_str_empty(s, 0);
		snprintf(st->host_id, sizeof(st->host_id), "%s", v);
		r = 0;
	} else if (rc != SQLITE_DONE) {
		r = errno_from_sqlite(rc);
	}
	sqlite3_finalize(s);
	return r;
}

/* Inside the migration transaction: make the host id if there is none. */
static int
host_id_make(struct store *st)
{
	unsigned char raw[16];
	char hex[2 * sizeof(raw) + 1];
	sqlite3_stmt *s;
	size_t i, got = 0;
	ssize_t n;
	int rc;

	while (got < sizeof(raw)) {
		n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	for (i = 0; i < sizeof(raw); i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	rc = sqlite3_prepare_v2(st->db,
	    "INSERT OR IGNORE INTO meta(key, value) VALUES ('host_id', ?1)",
	    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return errno_from_sqlite(rc);
	bind_str(s, 1, hex);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : errno_from_sqlite(rc);
}

/*
 * Bring the schema to SCHEMA_VERSION in one transaction.  The version is
 * read again under the write lock: another process may have migrated while
 * we waited for it.
 */
static int
migrate(struct store *st, const char *path, char *errmsg, size_t errlen)
{
	int r, v, i;

	r = store_begin(st);
	if (r < 0) {
		snprintf(errmsg, errlen, "%s: cannot lock for migration: %s",
		    path, sqlite3_errmsg(st->db));
		return r;
	}
	r = pragma_int(st, "PRAGMA user_version", &v);
	if (r < 0)
		goto fail;
	if (v > SCHEMA_VERSION) {
		store_rollback(st);
		snprintf(errmsg, errlen, "%s: schema version %d is newer than "
		    "this aalearn understands (%d); use a newer aalearn",
		    path, v, SCHEMA_VERSION);
		return -EPROTONOSUPPORT;
	}
	for (i = v; i < SCHEMA_VERSION; i++) {
		r = exec_sql(st, migrations[i]);
		if (r < 0)
			goto fail;
	}
	if (v < SCHEMA_VERSION) {
		char sql[96];

		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d; "
		    "PRAGMA application_id = %d", SCHEMA_VERSION,
		    STORE_APPLICATION_ID);
		r = exec_sql(st, sql);
		if (r < 0)
			goto fail;
	}
	r = host_id_make(st);
	if (r < 0)
		goto fail;
	r = store_commit(st);
	if (r < 0) {
		snprintf(errmsg, errlen, "%s: migration from version %d to %d "
		    "failed: %s", path, v, SCHEMA_VERSION,
		    sqlite3_errmsg(st->db));
		return r;
	}
	return 0;
fail:
	snprintf(errmsg, errlen, "%s: migration to schema version %d failed: "
	    "%s", path, SCHEMA_VERSION, sqlite3_errmsg(st->db));
	store_rollback(st);
	return r;
}

/*
 * SQLite's own busy handler backs off to 100 ms sleeps, and a waiter that
 * polls that seldom keeps missing the short gaps between a busy writer's
 * batches: a CLI would wait for seconds behind the daemon.  Poll every
 * millisecond or so instead, up to the timeout.
 */
static int
busy_wait(void *arg, int count)
{
	struct store *st = arg;
	struct timespec t, nap;
	int64_t waited;

	clock_gettime(CLOCK_MONOTONIC, &t);
	if (count == 0)
		st->busy_since = t;
	waited = (int64_t)(t.tv_sec - st->busy_since.tv_sec) * 1000 +
	    (t.tv_nsec - st->busy_since.tv_nsec) / 1000000;
	if (waited >= STORE_BUSY_TIMEOUT_MS)
		return 0;
	nap.tv_sec = 0;
	nap.tv_nsec = count < 20 ? 200000 : 1000000;
	nanosleep(&nap, NULL);
	return 1;
}

static int
setup(struct store *st, const char *path, char *errmsg, size_t errlen)
{
	int r, v, app = 0, objects = 0;

	sqlite3_busy_handler(st->db, busy_wait, st);
	sqlite3_extended_result_codes(st->db, 1);
	r = pragma_int(st, "PRAGMA user_version", &v);
	if (r < 0) {
		snprintf(errmsg, errlen, "%s: %s", path,
		    r == -EBADMSG ? "not an aalearn database (file is not a "
		    "database or is corrupt)" : sqlite3_errmsg(st->db));
		return r;
	}
	r = pragma_int(st, "PRAGMA application_id", &app);
	if (r == 0 && app != STORE_APPLICATION_ID)
		r = pragma_int(st, "SELECT count(*) FROM sqlite_master",
		    &objects);
	if (r < 0)
		goto sqlfail;
	/*
	 * Some other program's database (a mistyped --db): never add our
	 * tables to it.  An empty one is a new store.
	 */
	if (app != STORE_APPLICATION_ID && (objects > 0 || v > 0)) {
		snprintf(errmsg, errlen, "%s: not an aalearn database (it holds "
		    "another program's data)", path);
		return -EBADMSG;
	}
	if (v > SCHEMA_VERSION) {
		snprintf(errmsg, errlen, "%s: schema version %d is newer than "
		    "this aalearn understands (%d); use a newer aalearn",
		    path, v, SCHEMA_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (st->readonly) {
		if (v < SCHEMA_VERSION) {
			snprintf(errmsg, errlen, "%s: schema version %d needs "
			    "migrating to %d; open it read-write once", path,
			    v, SCHEMA_VERSION);
			return -EPROTONOSUPPORT;
		}
	} else {
		/* WAL: readers never block the writer nor it them. */
		sqlite3_stmt *s;
		const char *mode = "";

		if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1,
		    &s, NULL) != SQLITE_OK) {
			snprintf(errmsg, errlen, "%s: %s", path,
			    sqlite3_errmsg(st->db));
			return -EIO;
		}
		if (sqlite3_step(s) == SQLITE_ROW)
			mode = col_str_empty(s, 0);
		if (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0) {
			snprintf(errmsg, errlen, "%s: cannot switch to WAL "
			    "mode: %s", path, sqlite3_errmsg(st->db));
			sqlite3_finalize(s);
			return -EIO;
		}
		sqlite3_finalize(s);
		/* A checkpoint is durable exactly when its batch is. */
		r = exec_sql(st, "PRAGMA synchronous = FULL");
		if (r < 0)
			goto sqlfail;
		/* One large batch must not leave a large -wal file behind. */
		r = exec_sql(st, "PRAGMA journal_size_limit = 16777216");
		if (r < 0)
			goto sqlfail;
	}
	r = exec_sql(st, "PRAGMA foreign_keys = ON");
	if (r < 0)
		goto sqlfail;
	if (!st->readonly && v < SCHEMA_VERSION) {
		r = migrate(st, path, errmsg, errlen);
		if (r < 0)
			return r;
	}
	r = host_id_load(st);
	if (r == -ENOENT && !st->readonly) {
		/* Someone deleted the row: make a new identity. */
		r = host_id_make(st);
		if (r == 0)
			r = host_id_load(st);
	} else if (r == -ENOENT) {
		r = 0;	/* read-only: no identity to show */
	}
	if (r < 0)
		goto sqlfail;
	return 0;
sqlfail:
	snprintf(errmsg, errlen, "%s: %s", path, sqlite3_errmsg(st->db));
	return r;
}

struct store *
store_open(const char *path, int flags, char *errmsg, size_t errlen)
{
	char dummy[8], *dir = NULL;
	struct store *st;
	int memory, oflags, rc, r;

	if (errmsg == NULL || errlen == 0) {
		errmsg = dummy;
		errlen = sizeof(dummy);
	}
	errmsg[0] = '\0';
	if (path == NULL || *path == '\0') {
		snprintf(errmsg, errlen, "(no path): no database given");
		return NULL;
	}
	if ((flags & STORE_READONLY) && (flags & STORE_CREATE)) {
		snprintf(errmsg, errlen, "%s: cannot create read-only", path);
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		snprintf(errmsg, errlen, "%s: out of memory", path);
		return NULL;
	}
	st->cap = STORE_DEFAULT_CAP;
	st->readonly = (flags & STORE_READONLY) != 0;
	memory = strcmp(path, ":memory:") == 0;
	if (!memory) {
		dir = dir_of(path);
		if (dir == NULL) {
			snprintf(errmsg, errlen, "%s: out of memory", path);
			goto fail;
		}
		if (flags & STORE_CREATE) {
			r = create_file(path, dir);
			if (r < 0) {
				snprintf(errmsg, errlen, "%s: cannot create: %s",
				    path, strerror(-r));
				goto fail;
			}
		} else if (access(path, F_OK) < 0) {
			snprintf(errmsg, errlen, "%s: %s", path,
			    strerror(errno));
			goto fail;
		}
		st->loose = check_permissions(path, dir);
	}
	oflags = st->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (memory)
		oflags |= SQLITE_OPEN_CREATE;
	oflags |= SQLITE_OPEN_NOMUTEX;
	rc = sqlite3_open_v2(path, &st->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		snprintf(errmsg, errlen, "%s: %s", path,
		    st->db != NULL ? sqlite3_errmsg(st->db) :
		    sqlite3_errstr(rc));
		goto fail;
	}
	if (setup(st, path, errmsg, errlen) < 0)
		goto fail;
	free(dir);
	return st;
fail:
	free(dir);
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	store_rollback(st);
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	cache_forget(st);
	sqlite3_close(st->db);
	free(st);
}

int
store_loose_permissions(const struct store *st)
{
	return st->loose;
}

void
store_set_cap(struct store *st, uint64_t per_profile)
{
	st->cap = per_profile;
}

const char *
store_host_id(const struct store *st)
{
	return st->host_id;
}

const char *
store_errmsg(const struct store *st)
{
	return sqlite3_errmsg(st->db);
}

int
store_check_integrity(struct store *st)
{
	sqlite3_stmt *s;
	const char *v;
	int rc, r = 0, rows = 0;

	rc = sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s,
	    NULL);
	if (rc != SQLITE_OK)
		return errno_from_sqlite(rc);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = col_str_empty(s, 0);
		if (rows++ > 0 || strcmp(v, "ok") != 0)
			r = -EBADMSG;
	}
	if (rc != SQLITE_DONE)
		r = errno_from_sqlite(rc);
	sqlite3_finalize(s);
	if (r == 0) {
		rc = sqlite3_prepare_v2(st->db, "PRAGMA foreign_key_check", -1,
		    &s, NULL);
		if (rc != SQLITE_OK)
			return errno_from_sqlite(rc);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			r = -EBADMSG;
		else if (rc != SQLITE_DONE)
			r = errno_from_sqlite(rc);
		sqlite3_finalize(s);
	}
	return r;
}

/* --------------------------------------------------------------- profiles */

/* The profile's row id, made when missing.  Inside a write transaction. */
static int
profile_id(struct store *st, const char *name, int64_t *ret_id)
{
	struct cache_entry *e;
	sqlite3_stmt *s;
	size_t len = strlen(name);
	int r = 0, rc;

	if ((e = cache_find(st->profiles, name, len)) != NULL) {
		*ret_id = e->id;
		return 0;
	}
	s = stmt_get(st, S_PROFILE_ID, &r);
	if (s == NULL)
		return r;
	bind_str(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*ret_id = sqlite3_column_int64(s, 0);
		stmt_done(s);
		cache_put(st->profiles, name, len, *ret_id);
		return 0;
	}
	stmt_done(s);
	if (rc != SQLITE_DONE)
		return errno_from_sqlite(rc);
	s = stmt_get(st, S_PROFILE_INSERT, &r);
	if (s == NULL)
		return r;
	bind_str(s, 1, name);
	r = stmt_exec(s);
	if (r < 0)
		return r;
	*ret_id = sqlite3_last_insert_rowid(st->db);
	cache_put(st->profiles, name, len, *ret_id);
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
	r = tx_enter(st, &autotx);
	if (r < 0)
		return r;
	s = stmt_get(st, S_PROFILE_SET, &r);
	if (s != NULL) {
		bind_str(s, 1, name);
		bind_str_or_null(s, 2, mode);
		bind_str_or_null(s, 3, file);
		r = stmt_exec(s);
	}
	return tx_leave(st, autotx, r);
}

int
store_add_overflow(struct store *st, const char *profile, uint64_t n)
{
	sqlite3_stmt *s;
	int64_t id;
	int autotx, r = 0;

	if (profile == NULL || *profile == '\0' || n > INT64_MAX)
		return -EINVAL;
	r = tx_enter(st, &autotx);
	if (r < 0)
		return r;
	r = profile_id(st, profile, &id);
	if (r == 0) {
		s = stmt_get(st, S_PROFILE_OVERFLOW, &r);
		if (s != NULL) {
			sqlite3_bind_int64(s, 1, id);
			sqlite3_bind_int64(s, 2, (int64_t)n);
			r = stmt_exec(s);
		}
	}
	return tx_leave(st, autotx, r);
}

int
store_list_profiles(struct store *st, store_profile_cb cb, void *arg)
{
	struct profile_info pi;
	sqlite3_stmt *s;
	int rc, r = 0, n = 0;

	s = stmt_get(st, S_PROFILE_LIST, &r);
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
	if (r == 0 && rc != SQLITE_DONE)
		r = errno_from_sqlite(rc);
	stmt_done(s);
	return r != 0 ? r : n;
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

	e = cache_find(st->containers, key, len);
	if (e == NULL) {
		s = stmt_get(st, S_CONTAINER_FIND, &r);
		if (s == NULL)
			goto out;
		bind_str(s, 1, runtime);
		bind_str(s, 2, id);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			e = cache_put(st->containers, key, len,
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
	s = stmt_get(st, S_CONTAINER_UPSERT, &r);
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
		e = cache_put(st->containers, key, len, *ret_id);
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

	s = stmt_get(st, S_CONTAINER_LIST, &r);
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
	if (r == 0 && rc != SQLITE_DONE)
		r = errno_from_sqlite(rc);
	stmt_done(s);
	return r != 0 ? r : n;
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

static int
put_observation(struct store *st, const struct observation *o)
{
	sqlite3_stmt *s;
	int64_t pid = 0, cid = 0;
	int r = 0, have_container = 0;

	r = profile_id(st, o->profile, &pid);
	if (r < 0)
		return r;
	r = container_id(st, o, 0, &cid);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == 0) {
		/* Most puts are of keys already known: try the update first. */
		s = stmt_get(st, S_OBS_UPDATE, &r);
		if (s == NULL)
			return r;
		bind_obs_key(s, pid, cid, o);
		r = stmt_exec(s);
		if (r < 0)
			return r;
		if (sqlite3_changes(st->db) > 0)
			return 0;
		have_container = 1;
	}

	/* A new distinct key: counted unless the profile is at its cap. */
	s = stmt_get(st, S_PROFILE_NEW_OBS, &r);
	if (s == NULL)
		return r;
	sqlite3_bind_int64(s, 1, pid);
	sqlite3_bind_int64(s, 2, o->first_ms);
	sqlite3_bind_int64(s, 3, st->cap > INT64_MAX ? INT64_MAX :
	    (int64_t)st->cap);
	r = stmt_exec(s);
	if (r < 0)
		return r;
	if (sqlite3_changes(st->db) == 0) {
		s = stmt_get(st, S_PROFILE_OVERFLOW, &r);
		if (s == NULL)
			return r;
		sqlite3_bind_int64(s, 1, pid);
		sqlite3_bind_int64(s, 2, 1);
		r = stmt_exec(s);
		return r < 0 ? r : 1;
	}
	if (!have_container) {
		r = container_id(st, o, 1, &cid);
		if (r < 0)
			return r;
	}

	s = stmt_get(st, S_OBS_INSERT, &r);
	if (s == NULL)
		return r;
	bind_obs_key(s, pid, cid, o);
	bind_str(s, 15, o->label != NULL ? o->label : o->profile);
	sqlite3_bind_int64(s, 16, o->sample_pid);
	bind_str_or_null(s, 17, o->sample_comm);
	bind_str_or_null(s, 18, o->sample_exe);
	return stmt_exec(s);
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
	r = tx_enter(st, &autotx);
	if (r < 0)
		return r;
	r = put_observation(st, o);
	return tx_leave(st, autotx, r);
}

int
store_list_observations(struct store *st, const char *profile,
    const char *container, store_observation_cb cb, void *arg)
{
	struct observation o;
	sqlite3_stmt *s;
	int i, rc, r = 0, n = 0;

	if (profile == NULL)
		return -EINVAL;
	s = stmt_get(st, S_OBS_LIST, &r);
	if (s == NULL)
		return r;
	bind_str(s, 1, profile);
	bind_str_or_null(s, 2, container);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&o, 0, sizeof(o));
		o.profile = profile;
		o.label = col_str_empty(s, 0);
		o.container.id = col_str_empty(s, 2);
		if (*o.container.id == '\0') {
			o.container.id = NULL;	/* the host */
		} else {
			o.container.runtime = col_str_empty(s, 1);
			o.container.pod_uid = col_str(s, 3);
		}
		/* A class this build does not know (a newer one wrote it). */
		o.access.cls = access_class_from_name(col_str_empty(s, 4));
		if (o.access.cls == ACCESS_NONE)
			continue;
		for (i = 0; i < ACCESS_NFIELDS; i++)
			o.access.f[i] = col_str_empty(s, 5 + i);
		o.access.mask = (uint64_t)sqlite3_column_int64(s, 11);
		o.allowed = (uint64_t)sqlite3_column_int64(s, 12);
		o.denied = (uint64_t)sqlite3_column_int64(s, 13);
		o.first_ms = sqlite3_column_int64(s, 14);
		o.last_ms = sqlite3_column_int64(s, 15);
		o.sample_pid = (long)sqlite3_column_int64(s, 16);
		o.sample_comm = col_str(s, 17);
		o.sample_exe = col_str(s, 18);
		n++;
		r = cb(&o, arg);
		if (r != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = errno_from_sqlite(rc);
	stmt_done(s);
	return r != 0 ? r : n;
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
	r = tx_enter(st, &autotx);
	if (r < 0)
		return r;
	s = stmt_get(st, S_CHECKPOINT_PUT, &r);
	if (s != NULL) {
		bind_str(s, 1, cp->source);
		bind_str(s, 2, cp->position);
		sqlite3_bind_int64(s, 3, cp->updated_ms);
		r = stmt_exec(s);
	}
	return tx_leave(st, autotx, r);
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
	s = stmt_get(st, S_CHECKPOINT_GET, &r);
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
	r = tx_enter(st, &autotx);
	if (r < 0)
		return r;
	s = stmt_get(st, S_SOURCE_ADD, &r);
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
	return tx_leave(st, autotx, r);
}

int
store_list_sources(struct store *st, store_source_cb cb, void *arg)
{
	struct source_stats ss;
	sqlite3_stmt *s;
	int rc, r = 0, n = 0;

	s = stmt_get(st, S_SOURCE_LIST, &r);
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
	if (r == 0 && rc != SQLITE_DONE)
		r = errno_from_sqlite(rc);
	stmt_done(s);
	return r != 0 ? r : n;
}

/* -------------------------------------------------------------- decisions */

int
store_put_decision(struct store *st, const struct decision_info *d)
{
	sqlite3_stmt *s;
	int64_t pid;
	int autotx, r = 0;

	if (d == NULL || d->profile == NULL || *d->profile == '\0' ||
	    d->rule_id == NULL || *d->rule_id == '\0' ||
	    (d->decision != DECISION_NONE && d->decision != DECISION_ACCEPTED &&
	    d->decision != DECISION_REJECTED) ||
	    (d->decision != DECISION_NONE && d->rule == NULL))
		return -EINVAL;
	r = tx_enter(st, &autotx);
	if (r < 0)
		return r;
	r = profile_id(st, d->profile, &pid);
	if (r < 0)
		return tx_leave(st, autotx, r);
	if (d->decision == DECISION_NONE) {
		/* Undecided again: forget the decision. */
		s = stmt_get(st, S_DECISION_DELETE, &r);
		if (s != NULL) {
			sqlite3_bind_int64(s, 1, pid);
			bind_str(s, 2, d->rule_id);
			r = stmt_exec(s);
		}
		return tx_leave(st, autotx, r);
	}
	s = stmt_get(st, S_DECISION_PUT, &r);
	if (s != NULL) {
		sqlite3_bind_int64(s, 1, pid);
		bind_str(s, 2, d->rule_id);
		bind_str(s, 3, d->rule);
		sqlite3_bind_int(s, 4, (int)d->decision);
		sqlite3_bind_int64(s, 5, d->decided_ms);
		bind_str_or_null(s, 6, d->note);
		sqlite3_bind_int(s, 7, d->applied != 0);
		r = stmt_exec(s);
	}
	return tx_leave(st, autotx, r);
}

int
store_get_decision(struct store *st, const char *profile, const char *rule_id)
{
	sqlite3_stmt *s;
	int rc, r = 0;

	if (profile == NULL || rule_id == NULL)
		return -EINVAL;
	s = stmt_get(st, S_DECISION_GET, &r);
	if (s == NULL)
		return r;
	bind_str(s, 1, profile);
	bind_str(s, 2, rule_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		r = sqlite3_column_int(s, 0);
	else if (rc == SQLITE_DONE)
		r = DECISION_NONE;
	else
		r = errno_from_sqlite(rc);
	stmt_done(s);
	return r;
}

int
store_list_decisions(struct store *st, const char *profile,
    store_decision_cb cb, void *arg)
{
	struct decision_info d;
	sqlite3_stmt *s;
	int rc, r = 0, n = 0;

	s = stmt_get(st, profile != NULL ? S_DECISION_LIST :
	    S_DECISION_LIST_ALL, &r);
	if (s == NULL)
		return r;
	if (profile != NULL)
		bind_str(s, 1, profile);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&d, 0, sizeof(d));
		d.profile = col_str_empty(s, 0);
		d.rule_id = col_str_empty(s, 1);
		d.rule = col_str_empty(s, 2);
		d.decision = (enum decision)sqlite3_column_int(s, 3);
		d.decided_ms = sqlite3_column_int64(s, 4);
		d.note = col_str(s, 5);
		d.applied = sqlite3_column_int(s, 6);
		n++;
		r = cb(&d, arg);
		if (r != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = errno_from_sqlite(rc);
	stmt_done(s);
	return r != 0 ? r : n;
}

int
store_mark_applied(struct store *st, const char *profile, const char *rule_id)
{
	sqlite3_stmt *s;
	int autotx, r = 0;

	if (profile == NULL || rule_id == NULL)
		return -EINVAL;
	r = tx_enter(st, &autotx);
	if (r < 0)
		return r;
	s = stmt_get(st, S_DECISION_APPLIED, &r);
	if (s != NULL) {
		bind_str(s, 1, profile);
		bind_str(s, 2, rule_id);
		r = stmt_exec(s);
		if (r == 0 && sqlite3_changes(st->db) == 0)
			r = -ENOENT;
	}
	return tx_leave(st, autotx, r);
}

/* --------------------------------------------------------------- versions */

int
store_add_version(struct store *st, const struct version_info *v,
    int64_t *ret_version)
{
	sqlite3_stmt *s;
	int64_t pid, next = 0;
	int autotx, rc, r = 0;

	if (v == NULL || v->profile == NULL || *v->profile == '\0' ||
	    v->text == NULL)
		return -EINVAL;
	r = tx_enter(st, &autotx);
	if (r < 0)
		return r;
	r = profile_id(st, v->profile, &pid);
	if (r < 0)
		return tx_leave(st, autotx, r);
	s = stmt_get(st, S_VERSION_NEXT, &r);
	if (s == NULL)
		return tx_leave(st, autotx, r);
	sqlite3_bind_int64(s, 1, pid);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		next = sqlite3_column_int64(s, 0);
	stmt_done(s);
	if (rc != SQLITE_ROW)
		return tx_leave(st, autotx, rc == SQLITE_DONE ? -EIO :
		    errno_from_sqlite(rc));
	s = stmt_get(st, S_VERSION_INSERT, &r);
	if (s == NULL)
		return tx_leave(st, autotx, r);
	sqlite3_bind_int64(s, 1, pid);
	sqlite3_bind_int64(s, 2, next);
	bind_str(s, 3, v->path);
	bind_str(s, 4, v->text);
	sqlite3_bind_int64(s, 5, v->written_ms);
	bind_str(s, 6, v->reason);
	r = stmt_exec(s);
	r = tx_leave(st, autotx, r);
	if (r == 0 && ret_version != NULL)
		*ret_version = next;
	return r;
}

static void
version_row(sqlite3_stmt *s, struct version_info *v)
{
	memset(v, 0, sizeof(*v));
	v->profile = col_str_empty(s, 0);
	v->version = sqlite3_column_int64(s, 1);
	v->path = col_str_empty(s, 2);
	v->text = col_str_empty(s, 3);
	v->written_ms = sqlite3_column_int64(s, 4);
	v->reason = col_str_empty(s, 5);
}

int
store_list_versions(struct store *st, const char *profile,
    store_version_cb cb, void *arg)
{
	struct version_info v;
	sqlite3_stmt *s;
	int rc, r = 0, n = 0;

	if (profile == NULL)
		return -EINVAL;
	s = stmt_get(st, S_VERSION_LIST, &r);
	if (s == NULL)
		return r;
	bind_str(s, 1, profile);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		version_row(s, &v);
		n++;
		r = cb(&v, arg);
		if (r != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = errno_from_sqlite(rc);
	stmt_done(s);
	return r != 0 ? r : n;
}

int
store_get_version(struct store *st, const char *profile, int64_t version,
    store_version_cb cb, void *arg)
{
	struct version_info v;
	sqlite3_stmt *s;
	int rc, r = 0;

	if (profile == NULL || version < 0)
		return -EINVAL;
	s = stmt_get(st, version == 0 ? S_VERSION_NEWEST : S_VERSION_GET, &r);
	if (s == NULL)
		return r;
	bind_str(s, 1, profile);
	if (version != 0)
		sqlite3_bind_int64(s, 2, version);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		version_row(s, &v);
		r = cb(&v, arg);
	} else {
		r = rc == SQLITE_DONE ? -ENOENT : errno_from_sqlite(rc);
	}
	stmt_done(s);
	return r;
}
