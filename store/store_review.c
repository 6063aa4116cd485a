/*
 * store_review.c - review decisions and the profile versions aalearn wrote.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "store_int.h"

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
	r = store_tx_enter(st, &autotx);
	if (r < 0)
		return r;
	r = store_profile_id(st, d->profile, &pid);
	if (r < 0)
		return store_tx_leave(st, autotx, r);
	if (d->decision == DECISION_NONE) {
		/* Undecided again: forget the decision. */
		s = store_stmt(st, S_DECISION_DELETE, &r);
		if (s != NULL) {
			sqlite3_bind_int64(s, 1, pid);
			bind_str(s, 2, d->rule_id);
			r = stmt_exec(s);
		}
		return store_tx_leave(st, autotx, r);
	}
	s = store_stmt(st, S_DECISION_PUT, &r);
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
	return store_tx_leave(st, autotx, r);
}

int
store_get_decision(struct store *st, const char *profile, const char *rule_id)
{
	sqlite3_stmt *s;
	int rc, r = 0;

	if (profile == NULL || rule_id == NULL)
		return -EINVAL;
	s = store_stmt(st, S_DECISION_GET, &r);
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

	s = store_stmt(st, profile != NULL ? S_DECISION_LIST :
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
	return list_done(s, rc, r, n);
}

int
store_mark_applied(struct store *st, const char *profile, const char *rule_id)
{
	sqlite3_stmt *s;
	int autotx, r = 0;

	if (profile == NULL || rule_id == NULL)
		return -EINVAL;
	r = store_tx_enter(st, &autotx);
	if (r < 0)
		return r;
	s = store_stmt(st, S_DECISION_APPLIED, &r);
	if (s != NULL) {
		bind_str(s, 1, profile);
		bind_str(s, 2, rule_id);
		r = stmt_exec(s);
		if (r == 0 && sqlite3_changes(st->db) == 0)
			r = -ENOENT;
	}
	return store_tx_leave(st, autotx, r);
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
	r = store_tx_enter(st, &autotx);
	if (r < 0)
		return r;
	r = store_profile_id(st, v->profile, &pid);
	if (r < 0)
		return store_tx_leave(st, autotx, r);
	s = store_stmt(st, S_VERSION_NEXT, &r);
	if (s == NULL)
		return store_tx_leave(st, autotx, r);
	sqlite3_bind_int64(s, 1, pid);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		next = sqlite3_column_int64(s, 0);
	stmt_done(s);
	if (rc != SQLITE_ROW)
		return store_tx_leave(st, autotx, rc == SQLITE_DONE ? -EIO :
		    errno_from_sqlite(rc));
	s = store_stmt(st, S_VERSION_INSERT, &r);
	if (s == NULL)
		return store_tx_leave(st, autotx, r);
	sqlite3_bind_int64(s, 1, pid);
	sqlite3_bind_int64(s, 2, next);
	bind_str(s, 3, v->path);
	bind_str(s, 4, v->text);
	sqlite3_bind_int64(s, 5, v->written_ms);
	bind_str(s, 6, v->reason);
	r = stmt_exec(s);
	r = store_tx_leave(st, autotx, r);
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
	s = store_stmt(st, S_VERSION_LIST, &r);
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
	return list_done(s, rc, r, n);
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
	s = store_stmt(st, version == 0 ? S_VERSION_NEWEST : S_VERSION_GET, &r);
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
