/* The SQLite backend's reads: one subject's rows, record names, the
 * ledger's identity, and the stored results of runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_impl.h"

/* A text column as a borrowed text ("" for NULL), valid until the next
 * step of s. */
static struct sc_text col_text(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	return (struct sc_text){t ? (const char *)t : "", t ? (size_t)sqlite3_column_bytes(s, col) : 0};
}

static sc_day col_day(sqlite3_stmt *s, int col)
{
	return sqlite3_column_type(s, col) == SQLITE_NULL ? SC_DAY_NONE : sqlite3_column_int(s, col);
}

/* One subject's rows, in one read transaction (a consistent view, one lock
 * round trip), through the subject index (subject_rids). */
enum sc_status sc_lite_subject_rows(void *impl, struct sc_text id,
				    const struct sc_file_sink *sink, void *ctx,
				    struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = sc_lite_stmt(l, S_SUBJ_GET), *q = NULL;
	enum sc_status st = SC_OK;
	bool own_txn = sc_lite_read_begin(l), disputed = false;
	int64_t sid;
	int rc;

	sqlite3_bind_text(s, 1, id.p, (int)id.n, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		st = rc == SQLITE_DONE ? SC_ENOTFOUND : sc_lite_db_err(l, d, "cannot look up subject");
		goto out;
	}
	sid = sqlite3_column_int64(s, 0);
	if ((st = sink->subject(ctx, sid, (enum sc_kind)sqlite3_column_int(s, 1))))
		goto out;
	sqlite3_reset(s);

	q = sc_lite_stmt(l, S_SUBJ_RECORDS);
	sqlite3_bind_int64(q, 1, sid);
	while (!st && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct sc_file_rec r = {
			.rid = sqlite3_column_int64(q, 0), .record_id = col_text(q, 1),
			.type = col_text(q, 2), .date = sqlite3_column_int(q, 3),
			.amount = sqlite3_column_type(q, 4) == SQLITE_NULL
					  ? SC_AMOUNT_NONE : sqlite3_column_int64(q, 4),
			.source = col_text(q, 5), .ref = col_text(q, 6),
			.rectified = col_day(q, 7), .revoked = col_day(q, 8)};
		disputed |= sqlite3_column_int(q, 9) != 0;
		st = sink->record(ctx, &r);
	}
	if (!st && rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot read records");
	sqlite3_reset(q);
	if (st)
		goto out;
	/* most files have no dispute: their statement is skipped */
	if (!disputed)
		goto consents;
	q = sc_lite_stmt(l, S_SUBJ_DISPUTES);
	sqlite3_bind_int64(q, 1, sid);
	while (!st && (rc = sqlite3_step(q)) == SQLITE_ROW)
		st = sink->dispute(ctx, sqlite3_column_int64(q, 0), sqlite3_column_int(q, 1),
				   col_day(q, 2));
	if (!st && rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot read disputes");
	sqlite3_reset(q);
	if (st)
		goto out;
consents:
	q = sc_lite_stmt(l, S_SUBJ_CONSENTS);
	sqlite3_bind_int64(q, 1, sid);
	while (!st && (rc = sqlite3_step(q)) == SQLITE_ROW)
		st = sink->consent(ctx, col_text(q, 0), sqlite3_column_int(q, 1) != 0,
				   sqlite3_column_int(q, 2));
	if (!st && rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot read consents");
out:
	if (q)
		sqlite3_reset(q);
	sqlite3_reset(s);
	sc_lite_read_end(l, own_txn);
	return st;
}

enum sc_status sc_lite_record_names(void *impl, const int64_t *rids, size_t n,
				    sc_store_record_name_fn cb, void *ctx, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = sc_lite_stmt(l, S_REC_NAME);
	enum sc_status st = SC_OK;
	/* one read transaction, not one per row: a row then costs a B-tree
	 * descent, not a lock and a look at the WAL */
	bool own_txn = sc_lite_read_begin(l);

	for (size_t i = 0; i < n && !st; i++) {
		int rc;
		sqlite3_bind_int64(s, 1, rids[i]);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			st = cb(ctx, i, (const char *)sqlite3_column_text(s, 0));
		else if (rc == SQLITE_DONE)
			st = sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, NULL, "no record row %lld",
					 (long long)rids[i]);
		else
			st = sc_lite_db_err(l, d, "cannot read record");
		sqlite3_reset(s);
	}
	sc_lite_read_end(l, own_txn);
	return st;
}

enum sc_status sc_lite_identity(void *impl, char *ledger_id, int64_t *expired_max,
				struct sc_diag *d)
{
	struct lite *l = impl;
	enum sc_status st = SC_OK;
	sqlite3_stmt *s = NULL;
	int rc;

	ledger_id[0] = '\0';
	*expired_max = INT64_MAX;
	if ((st = sc_lite_prepare(l, "SELECT key, value FROM meta"
			     " WHERE key IN ('ledger_id', 'expired_max_rid')", &s, d)))
		return st;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(s, 0);
		if (!strcmp(k, "ledger_id"))
			snprintf(ledger_id, SC_STORE_LEDGER_ID, "%s",
				 (const char *)sqlite3_column_text(s, 1));
		else
			*expired_max = sqlite3_column_int64(s, 1);
	}
	if (rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot read the ledger's identity");
	sqlite3_finalize(s);
	return st;
}


/* ---- runs ---- */

enum sc_status sc_lite_run_save(void *impl, sc_day at, uint64_t subjects,
			       double seconds, const struct sc_run_tally *t,
			       size_t nt, const struct sc_run_list *ls, size_t nl,
			       int64_t *run, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = sc_lite_exec(l, "BEGIN IMMEDIATE", d)))
		return st;
	if ((st = sc_lite_prepare(l, "INSERT INTO runs(at, rulebook, started, subjects, seconds)"
			     " VALUES(?1, (SELECT max(id) FROM rulebooks), datetime('now'), ?2, ?3)",
			     &s, d)))
		goto fail;
	sqlite3_bind_int(s, 1, at);
	sqlite3_bind_int64(s, 2, (int64_t)subjects);
	sqlite3_bind_double(s, 3, seconds);
	if (sqlite3_step(s) != SQLITE_DONE) {
		st = sc_lite_db_err(l, d, "cannot store the run");
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	*run = sqlite3_last_insert_rowid(l->db);
	if ((st = sc_lite_prepare(l, "INSERT INTO run_tallies(run, scorecard, status, grade, subjects)"
			     " VALUES(?1, ?2, ?3, ?4, ?5)", &s, d)))
		goto fail;
	for (size_t i = 0; i < nt; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, *run);
		sqlite3_bind_text(s, 2, t[i].scorecard, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, t[i].status, -1, SQLITE_STATIC);
		if (t[i].grade)
			sqlite3_bind_text(s, 4, t[i].grade, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(s, 4);
		sqlite3_bind_int64(s, 5, (int64_t)t[i].subjects);
		if (sqlite3_step(s) != SQLITE_DONE) {
			st = sc_lite_db_err(l, d, "cannot store the run's tallies");
			goto fail;
		}
	}
	sqlite3_finalize(s);
	s = NULL;
	if ((st = sc_lite_prepare(l, "INSERT INTO run_lists(run, list, members, entries)"
			     " VALUES(?1, ?2, ?3, ?4)", &s, d)))
		goto fail;
	for (size_t i = 0; i < nl; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, *run);
		sqlite3_bind_text(s, 2, ls[i].list, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, (int64_t)ls[i].members);
		sqlite3_bind_int64(s, 4, (int64_t)ls[i].entries);
		if (sqlite3_step(s) != SQLITE_DONE) {
			st = sc_lite_db_err(l, d, "cannot store the run's list sizes");
			goto fail;
		}
	}
	sqlite3_finalize(s);
	return sc_lite_exec(l, "COMMIT", d);
fail:
	sqlite3_finalize(s);
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	return st;
}

/* ---- statistics ---- */

enum sc_status sc_lite_tally(void *impl, enum sc_tally which,
			     sc_store_tally_fn cb, void *ctx, sc_day *run_at,
			     struct sc_diag *d)
{
	static const char *const sql[] = {
		[SC_TALLY_RECORDS_BY_SOURCE] =
			"SELECT so.name, '', count(*) FROM records r JOIN sources so ON so.id = r.source"
			" GROUP BY so.name ORDER BY so.name",
		[SC_TALLY_GRADES] =
			"SELECT scorecard, grade, sum(subjects) FROM run_tallies WHERE run = ?1"
			" AND grade IS NOT NULL GROUP BY scorecard, grade ORDER BY scorecard, grade",
		[SC_TALLY_LISTS] =
			"SELECT list, '', sum(members) FROM run_lists WHERE run = ?1"
			" GROUP BY list ORDER BY list",
		[SC_TALLY_STATUS] =
			"SELECT scorecard, status, sum(subjects) FROM run_tallies WHERE run = ?1"
			" GROUP BY scorecard, status ORDER BY scorecard, status",
	};
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;
	int64_t run = 0;
	int rc;

	*run_at = SC_DAY_NONE;
	if ((st = sc_lite_prepare(l, "SELECT id, at FROM runs WHERE subjects IS NOT NULL"
			     " ORDER BY id DESC LIMIT 1", &s, d)))
		return st;
	if (sqlite3_step(s) == SQLITE_ROW) {
		run = sqlite3_column_int64(s, 0);
		*run_at = sqlite3_column_int(s, 1);
	}
	sqlite3_finalize(s);
	if ((unsigned)which > SC_TALLY_STATUS)
		return SC_EINVAL;
	if ((st = sc_lite_prepare(l, sql[which], &s, d)))
		return st;
	if (which != SC_TALLY_RECORDS_BY_SOURCE)
		sqlite3_bind_int64(s, 1, run);
	while (!st && (rc = sqlite3_step(s)) == SQLITE_ROW)
		st = cb(ctx, (const char *)sqlite3_column_text(s, 0),
			(const char *)sqlite3_column_text(s, 1), sqlite3_column_int64(s, 2));
	if (!st && rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot count");
	sqlite3_finalize(s);
	return st;
}
