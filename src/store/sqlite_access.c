/* The SQLite backend's API keys and audit trail. The chain's hash function
 * is the core's (sc_audit_hash), so every backend chains the same way. */
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

enum sc_status sc_lite_key_revoke(void *impl, int64_t id, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = sc_lite_prepare(l, "UPDATE keys SET revoked = 1 WHERE id = ?1", &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot revoke key");
	else if (sqlite3_changes(l->db) == 0)
		st = sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, "key", "no key %lld", (long long)id);
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

/* ---- audit ---- */

static enum sc_status last_entry(struct lite *l, int64_t *seq, char prev[SC_HASH_HEX],
				 struct sc_diag *d)
{
	sqlite3_stmt *s = NULL;
	enum sc_status st;
	int rc;

	*seq = 0;
	prev[0] = '\0';
	if ((st = sc_lite_prepare(l, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", &s, d)))
		return st;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(s, 0);
		sc_lite_col(prev, SC_HASH_HEX, s, 1);
	} else if (rc != SQLITE_DONE) {
		st = sc_lite_db_err(l, d, "cannot read the audit log");
	}
	sqlite3_finalize(s);
	return st;
}

/* Indexes the segments that entries (from, to] filled, sorted by subject:
 * the index B-tree grows at its right edge only. */
static enum sc_status index_segments(struct lite *l, int64_t from, int64_t to,
				     struct sc_diag *d)
{
	sqlite3_stmt *s = NULL;
	int64_t lo = from >> AUDIT_SEG_BITS, hi = to >> AUDIT_SEG_BITS;
	enum sc_status st;

	if (lo == hi)
		return SC_OK;
	if ((st = sc_lite_prepare(l, "INSERT INTO audit_index SELECT (seq - 1) >> " AUDIT_SEG_STR
				  ", subject, seq FROM audit WHERE seq > ?1 AND seq <= ?2"
				  " AND subject <> '' ORDER BY 1, 2, 3", &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, lo << AUDIT_SEG_BITS);
	sqlite3_bind_int64(s, 2, hi << AUDIT_SEG_BITS);
	if (sqlite3_step(s) != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot index the audit log");
	sqlite3_finalize(s);
	return st;
}

enum sc_status sc_lite_audit_append(void *impl, struct sc_audit_entry *e,
				    size_t n, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	char prev[SC_HASH_HEX], hash[SC_HASH_HEX];
	int64_t seq;
	enum sc_status st;

	if (!n)
		return SC_OK;
	switch (sqlite3_exec(l->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) {
	case SQLITE_OK:
		break;
	case SQLITE_BUSY:
		return sc_diag_set(d, SC_EBUSY, l->path, 0, 0, NULL,
				   "another connection kept the ledger's write lock");
	default:
		return sc_lite_db_err(l, d, "cannot begin a transaction");
	}
	if ((st = last_entry(l, &seq, prev, d)) ||
	    (st = sc_lite_prepare(l, "INSERT INTO audit(seq, at, key_id, role, action, subject, result, prev, hash)"
			  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &s, d)))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		e[i].seq = ++seq;
		sc_audit_hash(&e[i], prev, hash);
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, e[i].seq);
		sqlite3_bind_text(s, 2, e[i].at, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, e[i].key_id);
		sqlite3_bind_text(s, 4, sc_role_name(e[i].role), -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, e[i].action, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, e[i].subject, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 7, e[i].result, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 8, prev, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 9, hash, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(s) != SQLITE_DONE) {
			st = sc_lite_db_err(l, d, "cannot append to the audit log");
			goto fail;
		}
		memcpy(prev, hash, SC_HASH_HEX);
	}
	sqlite3_finalize(s);
	s = NULL;
	if ((st = index_segments(l, e[0].seq - 1, seq, d)))
		goto fail;
	l->quiet = true; /* the audit log is no subject's file */
	st = sc_lite_exec(l, "COMMIT", d);
	l->quiet = false;
	return st;
fail:
	sqlite3_finalize(s);
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	return st;
}

static void read_entry(sqlite3_stmt *s, struct sc_audit_entry *e)
{
	e->seq = sqlite3_column_int64(s, 0);
	e->at = (const char *)sqlite3_column_text(s, 1);
	e->key_id = sqlite3_column_int64(s, 2);
	e->role = SC_ROLE_PUBLIC;
	sc_role_parse((const char *)sqlite3_column_text(s, 3), &e->role);
	e->action = (const char *)sqlite3_column_text(s, 4);
	e->subject = (const char *)sqlite3_column_text(s, 5);
	e->result = (const char *)sqlite3_column_text(s, 6);
}

#define AUDIT_COLS "seq, at, key_id, role, action, subject, result, prev, hash"

enum sc_status sc_lite_audit_verify(void *impl, uint64_t *count, int64_t *bad,
				    struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	char prev[SC_HASH_HEX] = "", hash[SC_HASH_HEX];
	int64_t expect = 1;
	enum sc_status st;
	int rc;

	*count = 0;
	*bad = 0;
	if ((st = sc_lite_prepare(l, "SELECT " AUDIT_COLS " FROM audit ORDER BY seq", &s, d)))
		return st;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sc_audit_entry e;
		read_entry(s, &e);
		sc_audit_hash(&e, prev, hash);
		/* a gap, a broken link or a changed field all break the chain */
		if (e.seq != expect ||
		    strcmp((const char *)sqlite3_column_text(s, 7), prev) ||
		    strcmp((const char *)sqlite3_column_text(s, 8), hash)) {
			*bad = e.seq != expect && e.seq > expect ? expect : e.seq;
			sqlite3_finalize(s);
			return sc_diag_set(d, SC_ECORRUPT, l->path, 0, 0, NULL,
					   "audit log broken at entry %lld", (long long)*bad);
		}
		memcpy(prev, sqlite3_column_text(s, 8), SC_HASH_HEX);
		expect++;
		(*count)++;
	}
	if (rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot read the audit log");
	sqlite3_finalize(s);
	return st;
}

/* Streams the rows of one prepared statement to cb. */
static enum sc_status stream(struct lite *l, sqlite3_stmt *s, sc_store_audit_fn cb,
			     void *ctx, struct sc_diag *d)
{
	enum sc_status st = SC_OK;
	int rc = SQLITE_DONE;

	while (!st && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sc_audit_entry e;
		read_entry(s, &e);
		st = cb(ctx, &e);
	}
	if (!st && rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot read the audit log");
	return st;
}

/* In one read transaction: the indexed segments, one seek each, then the
 * unfilled tail by scan. Subject "": every entry. */
enum sc_status sc_lite_audit_subject(void *impl, const char *subject,
				     sc_store_audit_fn cb, void *ctx,
				     struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	int64_t last, nseg;
	char prev[SC_HASH_HEX];
	enum sc_status st;
	bool own_txn;

	if (!*subject) {
		if ((st = sc_lite_prepare(l, "SELECT " AUDIT_COLS " FROM audit ORDER BY seq", &s, d)))
			return st;
		st = stream(l, s, cb, ctx, d);
		sqlite3_finalize(s);
		return st;
	}
	own_txn = sc_lite_read_begin(l);
	if ((st = last_entry(l, &last, prev, d)))
		goto done;
	nseg = last >> AUDIT_SEG_BITS;
	if ((st = sc_lite_prepare(l, "SELECT a.seq, a.at, a.key_id, a.role, a.action, a.subject,"
				  " a.result, a.prev, a.hash FROM audit_index i"
				  " JOIN audit a ON a.seq = i.seq WHERE i.seg = ?1 AND i.subject = ?2"
				  " ORDER BY i.seq", &s, d)))
		goto done;
	sqlite3_bind_text(s, 2, subject, -1, SQLITE_STATIC);
	for (int64_t k = 0; k < nseg && !st; k++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, k);
		st = stream(l, s, cb, ctx, d);
	}
	sqlite3_finalize(s);
	s = NULL;
	if (st || (st = sc_lite_prepare(l, "SELECT " AUDIT_COLS " FROM audit WHERE seq > ?1"
					" AND subject = ?2 ORDER BY seq", &s, d)))
		goto done;
	sqlite3_bind_int64(s, 1, nseg << AUDIT_SEG_BITS);
	sqlite3_bind_text(s, 2, subject, -1, SQLITE_STATIC);
	st = stream(l, s, cb, ctx, d);
done:
	sqlite3_finalize(s);
	sc_lite_read_end(l, own_txn);
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

enum sc_status sc_lite_expire(void *impl, const int64_t *rids, size_t n,
			      struct sc_diag *d)
{
	static const char *const dels[] = {
		"DELETE FROM events WHERE rid = ?1", "DELETE FROM disputes WHERE rid = ?1",
		"DELETE FROM statements WHERE rid = ?1", "DELETE FROM repairs WHERE rid = ?1",
		"DELETE FROM records WHERE rid = ?1"};
	struct lite *l = impl;
	sqlite3_stmt *s[5] = {0};
	enum sc_status st;

	if ((st = sc_lite_exec(l, "BEGIN IMMEDIATE", d)))
		return st;
	if ((st = sc_lite_exec(l, "INSERT INTO meta VALUES('expiring', '1')", d)))
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
		}
	}
	for (int k = 0; k < 5; k++)
		sqlite3_finalize(s[k]);
	if ((st = expired_max_note(l, rids, n, d)) ||
	    (st = sc_lite_exec(l, "DELETE FROM meta WHERE key = 'expiring'", d)))
		goto fail_stmts_done;
	return sc_lite_exec(l, "COMMIT", d);
fail:
	for (int k = 0; k < 5; k++)
		sqlite3_finalize(s[k]);
fail_stmts_done:
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	return st;
}
