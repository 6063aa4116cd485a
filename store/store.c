/*
 * store.c - aalearn's evidence store on SQLite: the schema and its
 * migrations, every statement, opening, transactions.  The rest is in
 * store_evidence.c (observations, checkpoints, statistics) and
 * store_review.c (decisions, profile versions).
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

#include "store_int.h"

static const char *const stmt_sql[S_COUNT] = {
	[S_PROFILE_ID] = "SELECT id, observations FROM profiles WHERE name = ?1",
	[S_PROFILE_INSERT] = "INSERT INTO profiles(name) VALUES (?1)",
	[S_PROFILE_SET] =
	    "INSERT INTO profiles(name, mode, file) "
	    "VALUES (?1, coalesce(?2, x''), coalesce(?3, x'')) "
	    "ON CONFLICT(name) DO UPDATE SET "
	    "mode = coalesce(?2, mode), file = coalesce(?3, file)",
	[S_PROFILE_COUNT] = "SELECT observations FROM profiles WHERE id = ?1",
	/* A transaction's new distinct observations and overflow, at once. */
	[S_PROFILE_FLUSH] =
	    "UPDATE profiles SET observations = observations + ?2, "
	    "overflow = overflow + ?3, last_new_ms = max(last_new_ms, ?4) "
	    "WHERE id = ?1",
	[S_PROFILE_OVERFLOW] =
	    "UPDATE profiles SET overflow = overflow + ?2 WHERE id = ?1",
	[S_PROFILE_LIST] =
	    "SELECT p.name, p.mode, p.file, p.overflow, p.last_new_ms, "
	    "p.observations, p.containers FROM profiles p ORDER BY p.name",
	[S_PROFILE_HAS_CONTAINER] =
	    "SELECT 1 FROM observations WHERE profile_id = ?1 AND "
	    "container_id = ?2 LIMIT 1",
	[S_PROFILE_NEW_CONTAINER] =
	    "UPDATE profiles SET containers = containers + 1 WHERE id = ?1",
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
	    "?13, ?14, ?15, ?16, ?17, ?18) ON CONFLICT DO NOTHING",
	/*
	 * No join with containers: a row's container is looked up by id
	 * when it changes (rows come ordered by it), which a diff of
	 * 100,000 observations found cheaper than a seek per row.  A row
	 * whose container is missing is skipped, as the join did.
	 */
	[S_OBS_LIST] =
	    "SELECT o.label, o.container_id, o.cls, "
	    "o.f0, o.f1, o.f2, o.f3, o.f4, o.f5, o.mask, o.allowed, "
	    "o.denied, o.first_ms, o.last_ms, o.sample_pid, "
	    "o.sample_comm, o.sample_exe "
	    "FROM observations o "
	    "WHERE o.profile_id = (SELECT id FROM profiles WHERE name = ?1) "
	    "AND (?2 IS NULL OR o.container_id IN "
	    "(SELECT id FROM containers WHERE cid = ?2)) "
	    "ORDER BY o.container_id, o.cls, o.f0, o.f1, o.f2, o.f3, o.f4, o.f5",
	[S_OBS_LIST_ALL] =
	    "SELECT o.label, o.container_id, o.cls, "
	    "o.f0, o.f1, o.f2, o.f3, o.f4, o.f5, o.mask, o.allowed, "
	    "o.denied, o.first_ms, o.last_ms, o.sample_pid, "
	    "o.sample_comm, o.sample_exe, p.name "
	    "FROM observations o JOIN profiles p ON p.id = o.profile_id "
	    "WHERE (?2 IS NULL OR o.container_id IN "
	    "(SELECT id FROM containers WHERE cid = ?2)) "
	    "ORDER BY o.profile_id, o.container_id, o.cls, o.f0, o.f1, o.f2, "
	    "o.f3, o.f4, o.f5",
	[S_CONTAINER_BY_ID] =
	    "SELECT runtime, cid, pod_uid FROM containers WHERE id = ?1",
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
	/*
	 * 1 -> 2: profiles count their distinct containers as they go, so
	 * that listing profiles does not scan every observation.
	 */
	"ALTER TABLE profiles ADD COLUMN containers INTEGER NOT NULL DEFAULT 0;"
	"UPDATE profiles SET "
	"  observations = (SELECT count(*) FROM observations o"
	"    WHERE o.profile_id = profiles.id),"
	"  containers = (SELECT count(DISTINCT o.container_id)"
	"    FROM observations o JOIN containers c ON c.id = o.container_id"
	"    WHERE o.profile_id = profiles.id AND length(c.cid) > 0);",
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* The page size of a new store, in bytes (a string for the SQL). */
#define STORE_PAGE_SIZE "16384"

/* SQLite's page cache of a read-write store, in KiB (a string for the SQL). */
#define STORE_CACHE_KIB "16384"

/* PRAGMA application_id of an aalearn store: "aaln". */
#define STORE_APPLICATION_ID 0x61616c6e

int
store_schema_version(void)
{
	return SCHEMA_VERSION;
}

sqlite3_stmt *
store_stmt(struct store *st, enum stmt_id id, int *ret_err)
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

struct cache_entry *
store_cache_find(struct cache_entry *c, const char *key, size_t len)
{
	struct cache_entry *e = &c[hash_bytes(key, len) % CACHE_SLOTS];

	if (e->key != NULL && e->keylen == len && memcmp(e->key, key, len) == 0)
		return e;
	return NULL;
}

struct cache_entry *
store_cache_slot(struct cache_entry *c, const char *key, size_t len)
{
	return &c[hash_bytes(key, len) % CACHE_SLOTS];
}

/* Remember key -> id; on failure to allocate just do not remember. */
struct cache_entry *
store_cache_put(struct cache_entry *c, const char *key, size_t len, int64_t id)
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
	st->tx_gen++;
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
	if (sqlite3_get_autocommit(st->db)) {
		/* SQLite rolled the batch back after an error (disk full...). */
		store_rollback(st);
		return -EIO;
	}
	r = store_flush_profiles(st);
	if (r == 0)
		r = exec_sql(st, "COMMIT");
	if (r < 0) {
		store_rollback(st);
		return r;
	}
	st->in_tx = 0;
	return 0;
}

/* Writes outside a batch run in a transaction of their own. */
int
store_tx_enter(struct store *st, int *ret_auto)
{
	int r;

	if (st->in_tx) {
		/*
		 * After some errors (disk full, I/O) SQLite rolls the whole
		 * batch back by itself: the rest of it must not be written,
		 * one statement at a time, without its checkpoint.
		 */
		if (sqlite3_get_autocommit(st->db))
			return -EIO;
		*ret_auto = 0;
		return 0;
	}
	r = store_begin(st);
	if (r < 0)
		return r;
	*ret_auto = 1;
	return 0;
}

int
store_tx_leave(struct store *st, int autotx, int r)
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
header_read(struct store *st, int *ret_version, int *ret_app,
    int *ret_objects)
{
	sqlite3_stmt *s;
	int rc;

	rc = sqlite3_prepare_v2(st->db,
	    "SELECT (SELECT user_version FROM pragma_user_version), "
	    "(SELECT application_id FROM pragma_application_id), "
	    "(SELECT count(*) FROM sqlite_master)", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return errno_from_sqlite(rc);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*ret_version = sqlite3_column_int(s, 0);
		*ret_app = sqlite3_column_int(s, 1);
		*ret_objects = sqlite3_column_int(s, 2);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -EIO : errno_from_sqlite(rc);
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
	int r, v = 0, i;

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

/*
 * Switch a new store to WAL.  Two programs creating the store at once can
 * both hold the shared lock and want the exclusive one; SQLite then fails
 * one of them at once rather than calling the busy handler, so retry here
 * for as long as the busy handler would wait.  A store already in WAL mode
 * takes no lock for this.
 */
static int
wal_on(struct store *st)
{
	struct timespec nap = { 0, 1000000 };
	sqlite3_stmt *s;
	const char *mode;
	int rc, tries;

	rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s,
	    NULL);
	if (rc != SQLITE_OK)
		return errno_from_sqlite(rc);
	for (tries = 0; tries < STORE_BUSY_TIMEOUT_MS; tries++) {
		rc = sqlite3_step(s);
		if ((rc & 0xff) != SQLITE_BUSY)
			break;
		sqlite3_reset(s);
		nanosleep(&nap, NULL);
	}
	if (rc == SQLITE_ROW) {
		mode = (const char *)sqlite3_column_text(s, 0);
		if (mode == NULL || (strcmp(mode, "wal") != 0 &&
		    strcmp(mode, "memory") != 0))
			rc = SQLITE_ERROR;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : errno_from_sqlite(rc == SQLITE_DONE ?
	    SQLITE_ERROR : rc);
}

static int
setup(struct store *st, const char *path, char *errmsg, size_t errlen)
{
	int r, v = 0, app = 0, objects = 0;

	sqlite3_busy_handler(st->db, busy_wait, st);
	sqlite3_extended_result_codes(st->db, 1);
	/*
	 * Our SQL only: no writable_schema tricks, and nothing in a crafted
	 * file's schema (views, triggers) may call functions with effects.
	 */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0,
	    (int *)NULL);
	/*
	 * One statement, so one snapshot: another process may be creating
	 * the store right now.
	 */
	r = header_read(st, &v, &app, &objects);
	if (r < 0) {
		snprintf(errmsg, errlen, "%s: %s", path,
		    r == -EBADMSG ? "not an aalearn database (file is not a "
		    "database or is corrupt)" : sqlite3_errmsg(st->db));
		return r;
	}
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
		/*
		 * A new store gets larger pages (kept for its life: SQLite
		 * cannot change them in WAL mode).  Observations are wide
		 * keys inserted in batches.  Measured (1M-record import;
		 * bench_store's batches of 1000): 4 KiB 1.02 s, 91k new
		 * keys/s; 16 KiB 0.89 s, 145k/s; 64 KiB 0.84 s but 69k/s,
		 * as every small commit writes whole pages to the -wal.
		 */
		if (objects == 0 && v == 0) {
			r = exec_sql(st, "PRAGMA page_size = " STORE_PAGE_SIZE);
			if (r < 0)
				goto sqlfail;
		}
		/* WAL: readers never block the writer nor it them. */
		r = wal_on(st);
		if (r < 0) {
			snprintf(errmsg, errlen, "%s: cannot switch to WAL "
			    "mode: %s", path, sqlite3_errmsg(st->db));
			return r;
		}
		/* A checkpoint is durable exactly when its batch is. */
		r = exec_sql(st, "PRAGMA synchronous = FULL");
		if (r < 0)
			goto sqlfail;
		/*
		 * The pages a batch touches stay in memory until its commit
		 * writes them to the -wal once; with SQLite's default 2 MiB
		 * a large batch spills pages into the -wal mid-transaction
		 * and reads them back (measured: a 1M-record import made
		 * 360,000 pwrite and 370,000 pread calls).  A bound, so memory
		 * stays flat however large the store grows.
		 */
		r = exec_sql(st, "PRAGMA cache_size = -" STORE_CACHE_KIB);
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
	/*
	 * SQLite's memory statistics take a global mutex around every
	 * allocation (measured: 2.5% of an import).  Nothing reads them.
	 * Only possible before SQLite initialises: later calls fail, harmlessly.
	 */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
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

int
store_set_bulk(struct store *st, int on)
{
	int r;

	if (st->readonly)
		return -EROFS;
	if (st->in_tx)
		return -EINVAL;		/* SQLite ignores it inside one */
	/*
	 * In WAL mode NORMAL still writes each commit to the -wal in order
	 * and syncs the -wal before a checkpoint copies it into the
	 * database, so a power loss rolls back whole transactions only,
	 * newest first: a batch and its source checkpoint or statistics
	 * (one transaction) stay or go together.  What is given up is that
	 * a commit returned means it survives a power loss.
	 */
	r = exec_sql(st, on ? "PRAGMA synchronous = NORMAL" :
	    "PRAGMA synchronous = FULL");
	if (r < 0)
		return r;
	/*
	 * A bulk writer's rows name profiles and containers that this store
	 * made in the same transaction; SQLite's check of both references on
	 * every insert was a twentieth of an import's writing (measured A/B,
	 * 1M records).  store_check_integrity() still runs the foreign key
	 * check over the whole store.
	 */
	return exec_sql(st, on ? "PRAGMA foreign_keys = OFF" :
	    "PRAGMA foreign_keys = ON");
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
