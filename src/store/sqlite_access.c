/* The SQLite backend's API keys and retention (the audit trail is in
 * sqlite_audit.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_impl.h"

enum sc_status sc_lite_key_add(void *impl, struct sc_key *k, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = sc_lite_prepare(l, "INSERT INTO keys(role, name, binding, hash, created)"
			  " VALUES(?1, ?2, ?3, ?4, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))", &s, d)))
		return st;
	sqlite3_bind_text(s, 1, sc_role_name(k->role), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, k->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, k->binding, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, k->hash, SC_KEY_HASH_BYTES, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot store key");
	else
		k->id = sqlite3_last_insert_rowid(l->db);
	sqlite3_finalize(s);
	return st;
}

static void read_key(sqlite3_stmt *s, struct sc_key *k)
{
	const void *h = sqlite3_column_blob(s, 4);

	memset(k, 0, sizeof(*k));
	k->id = sqlite3_column_int64(s, 0);
	sc_role_parse((const char *)sqlite3_column_text(s, 1), &k->role);
	sc_lite_col(k->name, sizeof(k->name), s, 2);
	sc_lite_col(k->binding, sizeof(k->binding), s, 3);
	if (h && sqlite3_column_bytes(s, 4) == SC_KEY_HASH_BYTES)
		memcpy(k->hash, h, SC_KEY_HASH_BYTES);
	k->revoked = sqlite3_column_int(s, 5);
	sc_lite_col(k->created, sizeof(k->created), s, 6);
}

#define KEY_COLS "id, role, name, binding, hash, revoked, created"

enum sc_status sc_lite_key_get(void *impl, int64_t id, struct sc_key *out,
			       struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = sc_lite_stmt(l, S_KEY_GET);
	enum sc_status st = SC_OK;
	int rc;

	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_key(s, out);
	else if (rc == SQLITE_DONE)
		st = sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, "key", "no key %lld", (long long)id);
	else
		st = sc_lite_db_err(l, d, "cannot read key");
	sqlite3_reset(s);
	return st;
}

/* One statement, so the count of admin keys cannot change between the
 * test and the update (two admins revoking each other at once). */
enum sc_status sc_lite_key_revoke(void *impl, int64_t id, bool force,
				  struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;
	struct sc_key k;

	if ((st = sc_lite_prepare(l, "UPDATE keys SET revoked = 1 WHERE id = ?1 AND"
			     " (?2 OR role <> 'admin' OR revoked OR (SELECT count(*) FROM keys"
			     " WHERE role = 'admin' AND NOT revoked) > 1)", &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, force);
	if (sqlite3_step(s) != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot revoke key");
	else if (sqlite3_changes(l->db) == 0 && !(st = sc_lite_key_get(l, id, &k, d)))
		st = sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, "key",
				 "key %lld is the last active admin key: revoking it would leave"
				 " nobody able to manage keys; add another admin key first",
				 (long long)id);
	sqlite3_finalize(s);
	return st;
}

enum sc_status sc_lite_key_list(void *impl, sc_store_key_fn cb, void *ctx,
				struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;
	struct sc_key k;
	int rc;

	if ((st = sc_lite_prepare(l, "SELECT " KEY_COLS " FROM keys ORDER BY id", &s, d)))
		return st;
	while (!st && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_key(s, &k);
		st = cb(ctx, &k);
	}
	if (!st && rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot list keys");
	sqlite3_finalize(s);
	return st;
}

/* ---- retention ---- */

/* Raises the highest record row ever removed to the highest of rids. */
static enum sc_status expired_max_note(struct lite *l, const int64_t *rids, size_t n,
				       struct sc_diag *d)
{
	sqlite3_stmt *s = NULL;
	int64_t top = 0;
	enum sc_status st;

	for (size_t i = 0; i < n; i++)
		if (rids[i] > top)
			top = rids[i];
	if (!n)
		return SC_OK;
	if ((st = sc_lite_prepare(l, "INSERT INTO meta VALUES('expired_max_rid', ?1)"
			     " ON CONFLICT(key) DO UPDATE SET value ="
			     " max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))", &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, top);
	if (sqlite3_step(s) != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot note the expired rows");
	sqlite3_finalize(s);
	return st;
}

/* The highest record and event rows: tops[0], tops[1]. */
static enum sc_status expire_tops(struct lite *l, int64_t tops[2], struct sc_diag *d)
{
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = sc_lite_prepare(l, "SELECT (SELECT coalesce(max(rid), 0) FROM records),"
			     " (SELECT coalesce(max(seq), 0) FROM events)", &s, d)))
		return st;
	if (sqlite3_step(s) != SQLITE_ROW) {
		st = sc_lite_db_err(l, d, "cannot read the highest rows");
	} else {
		tops[0] = sqlite3_column_int64(s, 0);
		tops[1] = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return st;
}

/* After an expire that removed the highest record or event row (tops:
 * those before it): the changes row it reached and the highest rows left,
 * for sc_lite_changed_since (the next rows filed take the ids above them). */
static enum sc_status expire_floor_note(struct lite *l, const int64_t tops[2],
					struct sc_diag *d)
{
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = sc_lite_prepare(l, "INSERT INTO expiries(seq, rid, ev)"
			     " SELECT (SELECT coalesce(max(seq), 0) FROM changes), r, e FROM"
			     " (SELECT (SELECT coalesce(max(rid), 0) FROM records) AS r,"
			     " (SELECT coalesce(max(seq), 0) FROM events) AS e)"
			     " WHERE r < ?1 OR e < ?2"
			     " ON CONFLICT(seq) DO UPDATE SET rid = min(rid, excluded.rid),"
			     " ev = min(ev, excluded.ev)", &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, tops[0]);
	sqlite3_bind_int64(s, 2, tops[1]);
	if (sqlite3_step(s) != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot note the rows an expire left");
	sqlite3_finalize(s);
	return st;
}

enum sc_status sc_lite_expire(void *impl, const int64_t *rids, size_t n,
			      struct sc_diag *d)
{
	static const char *const dels[] = {
		"DELETE FROM events WHERE rid = ?1", "DELETE FROM disputes WHERE rid = ?1",
		"DELETE FROM statements WHERE rid = ?1", "DELETE FROM repairs WHERE rid = ?1",
		"DELETE FROM records WHERE rid = ?1"};
	struct lite *l = impl;
	sqlite3_stmt *s[5] = {0};
	int64_t tops[2] = {0};
	enum sc_status st;

	if ((st = sc_lite_exec(l, "BEGIN IMMEDIATE", d)))
		return st;
	if ((st = expire_tops(l, tops, d)) ||
	    (st = sc_lite_exec(l, "INSERT INTO meta VALUES('expiring', '1')", d)))
		goto fail;
	for (int k = 0; k < 5; k++)
		if ((st = sc_lite_prepare(l, dels[k], &s[k], d)))
			goto fail;
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 5; k++) {
			sqlite3_reset(s[k]);
			sqlite3_bind_int64(s[k], 1, rids[i]);
			if (sqlite3_step(s[k]) != SQLITE_DONE) {
				st = sc_lite_db_err(l, d, "cannot remove an expired record");
				goto fail;
			}
			if (k == 0)
				sc_lite_count(l, SC_COUNT_EVENTS, -sqlite3_changes(l->db));
			else if (k == 4)
				sc_lite_count(l, SC_COUNT_RECORDS, -sqlite3_changes(l->db));
		}
	}
	for (int k = 0; k < 5; k++)
		sqlite3_finalize(s[k]);
	if ((st = expired_max_note(l, rids, n, d)) || (st = expire_floor_note(l, tops, d)) ||
	    (st = sc_lite_exec(l, "DELETE FROM meta WHERE key = 'expiring'", d)) ||
	    (st = sc_lite_counts_flush(l, d)) || (st = sc_lite_exec(l, "COMMIT", d)))
		goto fail_stmts_done;
	return SC_OK;
fail:
	for (int k = 0; k < 5; k++)
		sqlite3_finalize(s[k]);
fail_stmts_done:
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	sc_lite_counts_drop(l);
	return st;
}
