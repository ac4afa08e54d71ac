/* The SQLite backend's population loader: every subject's file (or a few
 * subjects') as rulebook-free rows (struct sc_pop), read in one transaction.
 * The population scan and the population image are both made from it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_impl.h"
#include "socred/arena.h"

/* Growable arrays while loading subject by subject. */
struct cap {
	size_t sub, rec, cons, ids;
};

static enum sc_status load_types(struct lite *l, struct sc_pop *p, struct sc_diag *d)
{
	sqlite3_stmt *q = NULL;
	enum sc_status st = SC_OK;
	int64_t n = sc_lite_int_query(l, "SELECT coalesce(max(id), 0) FROM types", &st, d);
	int rc;

	if (st)
		return st;
	if ((st = sc_pop_types_init(p, n)))
		return st;
	if ((st = sc_lite_prepare(l, "SELECT id, name FROM types", &q, d)))
		return st;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		if (id < 0 || id > n)
			continue;
		if (!(p->types[id] = strdup((const char *)sqlite3_column_text(q, 1)))) {
			st = SC_ENOMEM;
			break;
		}
	}
	if (!st && rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot read types");
	sqlite3_finalize(q);
	return st;
}

static int cmp_rid(const void *key, const void *elem)
{
	int64_t k = *(const int64_t *)key, e = ((const struct sc_eval_record *)elem)->rid;
	return k < e ? -1 : k > e;
}

static struct sc_eval_record *rec_find(struct sc_eval_record *recs, size_t n, int64_t rid)
{
	return bsearch(&rid, recs, n, sizeof(*recs), cmp_rid);
}

static sc_day col_day(sqlite3_stmt *q, int col)
{
	return sqlite3_column_type(q, col) == SQLITE_NULL ? SC_DAY_NONE : sqlite3_column_int(q, col);
}

static void record_read(struct sc_eval_record *r, sqlite3_stmt *q, int col)
{
	r->rid = sqlite3_column_int64(q, col);
	r->type = (int32_t)sqlite3_column_int64(q, col + 1);
	r->date = sqlite3_column_int(q, col + 2);
	r->amount = sqlite3_column_type(q, col + 3) == SQLITE_NULL
			    ? SC_AMOUNT_NONE : sqlite3_column_int64(q, col + 3);
	r->rectified = r->revoked = SC_DAY_NONE;
	r->suspended_from = r->suspended_until = SC_DAY_NONE;
}

/* The whole ledger: tables read in storage order and fed to the builder,
 * which groups them by subject with counting sorts (sequential reads beat
 * an index walk per subject). */
static enum sc_status load_all(struct lite *l, struct sc_pop_build *b, struct sc_diag *d)
{
	sqlite3_stmt *q = NULL;
	enum sc_status st = SC_OK;
	int rc;

	if ((st = sc_lite_prepare(l, "SELECT rid, type, date, amount, subject FROM records"
			     " ORDER BY rid", &q, d)))
		goto done;
	while (!st && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct sc_eval_record r;
		record_read(&r, q, 0);
		st = sc_pop_build_record(b, sqlite3_column_int64(q, 4), &r);
	}
	if (st == SC_ELIMIT)
		st = sc_diag_set(d, SC_ELIMIT, l->path, 0, 0, NULL,
				 "a population image holds at most 2^32 subjects and"
				 " records per ledger; shard the registry");
	if (st || (st = rc != SQLITE_DONE ? sc_lite_db_err(l, d, "cannot read records") : SC_OK))
		goto done;
	sqlite3_finalize(q);
	q = NULL;
	if ((st = sc_lite_prepare(l, "SELECT rid, op, date FROM events ORDER BY seq", &q, d)))
		goto done;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		sc_pop_build_event(b, sqlite3_column_int64(q, 0), sqlite3_column_int(q, 1),
				   sqlite3_column_int(q, 2));
	if (rc != SQLITE_DONE && (st = sc_lite_db_err(l, d, "cannot read events")))
		goto done;
	sqlite3_finalize(q);
	q = NULL;
	if ((st = sc_lite_prepare(l, "SELECT rid, deadline, decided FROM disputes ORDER BY id",
				  &q, d)))
		goto done;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		sc_pop_build_dispute(b, sqlite3_column_int64(q, 0), sqlite3_column_int(q, 1),
				     col_day(q, 2));
	if (rc != SQLITE_DONE && (st = sc_lite_db_err(l, d, "cannot read disputes")))
		goto done;
	sqlite3_finalize(q);
	q = NULL;
	if ((st = sc_lite_prepare(l, "SELECT subject, scorecard, granted, date FROM consents"
			     " ORDER BY seq", &q, d)))
		goto done;
	while (!st && (rc = sqlite3_step(q)) == SQLITE_ROW)
		st = sc_pop_build_consent(b, sqlite3_column_int64(q, 0),
					  (const char *)sqlite3_column_text(q, 1),
					  (size_t)sqlite3_column_bytes(q, 1),
					  sqlite3_column_int(q, 2) != 0, sqlite3_column_int(q, 3));
	if (st || (st = rc != SQLITE_DONE ? sc_lite_db_err(l, d, "cannot read consents") : SC_OK))
		goto done;
	sqlite3_finalize(q);
	q = NULL;
	if ((st = sc_lite_prepare(l, "SELECT id, ext_id, kind FROM subjects ORDER BY id", &q, d)))
		goto done;
	while (!st && (rc = sqlite3_step(q)) == SQLITE_ROW)
		st = sc_pop_build_subject(b, sqlite3_column_int64(q, 0),
					  (const char *)sqlite3_column_text(q, 1),
					  (size_t)sqlite3_column_bytes(q, 1), sqlite3_column_int(q, 2));
	if (!st && rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot read subjects");
done:
	sqlite3_finalize(q);
	return st;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* One subject's file by its ledger id, appended to p. */
static enum sc_status load_one(struct lite *l, struct sc_pop *p, struct cap *cap,
			       sqlite3_stmt *const q[5], int64_t sid, struct sc_diag *d)
{
	enum sc_status st;
	uint64_t first;
	int rc;

	for (int k = 0; k < 5; k++) {
		sqlite3_reset(q[k]);
		sqlite3_bind_int64(q[k], 1, sid);
	}
	if ((rc = sqlite3_step(q[0])) != SQLITE_ROW)
		return rc == SQLITE_DONE ? SC_OK : sc_lite_db_err(l, d, "cannot read a subject");
	if ((st = sc_pop_push_subject(p, &cap->sub, &cap->ids, sid,
				      (const char *)sqlite3_column_text(q[0], 0),
				      (size_t)sqlite3_column_bytes(q[0], 0),
				      sqlite3_column_int(q[0], 1))))
		return st;
	first = p->nrec;
	while ((rc = sqlite3_step(q[1])) == SQLITE_ROW) {
		if (!sc_grow((void **)&p->recs, &cap->rec, p->nrec + 1, sizeof(*p->recs)))
			return SC_ENOMEM;
		record_read(&p->recs[p->nrec++], q[1], 0);
	}
	if (rc != SQLITE_DONE)
		return sc_lite_db_err(l, d, "cannot read records");
	while ((rc = sqlite3_step(q[2])) == SQLITE_ROW) {
		struct sc_eval_record *r = rec_find(p->recs + first, p->nrec - first,
						    sqlite3_column_int64(q[2], 0));
		if (r)
			sc_file_event(r, sqlite3_column_int(q[2], 1), sqlite3_column_int(q[2], 2));
	}
	if (rc != SQLITE_DONE)
		return sc_lite_db_err(l, d, "cannot read events");
	while ((rc = sqlite3_step(q[3])) == SQLITE_ROW) {
		struct sc_eval_record *r = rec_find(p->recs + first, p->nrec - first,
						    sqlite3_column_int64(q[3], 0));
		if (r)
			sc_file_dispute(r, sqlite3_column_int(q[3], 1), col_day(q[3], 2));
	}
	if (rc != SQLITE_DONE)
		return sc_lite_db_err(l, d, "cannot read disputes");
	while ((rc = sqlite3_step(q[4])) == SQLITE_ROW) {
		int32_t c = sc_pop_card(p, (const char *)sqlite3_column_text(q[4], 0),
					(size_t)sqlite3_column_bytes(q[4], 0));
		if (c < 0 || !sc_grow((void **)&p->cons, &cap->cons, p->ncons + 1, sizeof(*p->cons)))
			return SC_ENOMEM;
		p->cons[p->ncons++] = (struct sc_pop_consent){
			.date = sqlite3_column_int(q[4], 2), .card = c,
			.granted = sqlite3_column_int(q[4], 1) != 0};
	}
	if (rc != SQLITE_DONE)
		return sc_lite_db_err(l, d, "cannot read consents");
	p->roff[p->nsub] = p->nrec;
	p->coff[p->nsub] = p->ncons;
	return SC_OK;
}

static enum sc_status load_some(struct lite *l, const char *const *ids, size_t nids,
				int64_t new_after, struct sc_pop *p, struct sc_diag *d)
{
	static const char *const sql[5] = {
		"SELECT ext_id, kind FROM subjects WHERE id = ?1",
		/* CROSS JOIN: the index first (SQLite keeps that order) */
		"SELECT r.rid, r.type, r.date, r.amount FROM subject_rids(?1) i"
		" CROSS JOIN records r ON r.rid = i.rid WHERE r.subject = ?1 ORDER BY r.rid",
		"SELECT e.rid, e.op, e.date FROM subject_rids(?1) i CROSS JOIN records r"
		" ON r.rid = i.rid CROSS JOIN events e ON e.rid = r.rid WHERE r.subject = ?1"
		" ORDER BY e.seq",
		"SELECT x.rid, x.deadline, x.decided FROM subject_rids(?1) i"
		" CROSS JOIN records r ON r.rid = i.rid CROSS JOIN disputes x ON x.rid = r.rid"
		" WHERE r.subject = ?1 ORDER BY x.id",
		"SELECT scorecard, granted, date FROM consents WHERE subject = ?1 ORDER BY seq"};
	sqlite3_stmt *q[5] = {0}, *s = NULL;
	int64_t *sids = NULL;
	uint64_t n = 0;
	size_t capn = 0;
	struct cap cap = {0};
	enum sc_status st = SC_OK;
	int rc;

	if ((st = sc_lite_prepare(l, "SELECT id FROM subjects WHERE id = " SC_SUBJECT_ID("?1"), &s, d)))
		return st;
	for (size_t i = 0; i < nids; i++) {
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, ids[i], -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(s)) != SQLITE_ROW)
			continue;
		if (!sc_grow((void **)&sids, &capn, n + 1, sizeof(*sids))) {
			st = SC_ENOMEM;
			goto done;
		}
		sids[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	if ((st = sc_lite_prepare(l, "SELECT id FROM subjects WHERE id > ?1", &s, d)))
		goto done;
	sqlite3_bind_int64(s, 1, new_after);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!sc_grow((void **)&sids, &capn, n + 1, sizeof(*sids))) {
			st = SC_ENOMEM;
			goto done;
		}
		sids[n++] = sqlite3_column_int64(s, 0);
	}
	if (sids)
		qsort(sids, n, sizeof(*sids), cmp_i64);
	for (int k = 0; k < 5; k++)
		if ((st = sc_lite_prepare(l, sql[k], &q[k], d)))
			goto done;
	for (uint64_t i = 0; i < n; i++) {
		if (i && sids[i] == sids[i - 1])
			continue;
		if ((st = load_one(l, p, &cap, q, sids[i], d)))
			goto done;
	}
done:
	sqlite3_finalize(s);
	for (int k = 0; k < 5; k++)
		sqlite3_finalize(q[k]);
	free(sids);
	return st;
}

enum sc_status sc_lite_pop_load(void *impl, const char *const *ids, size_t nids,
				int64_t new_after, struct sc_pop *out,
				struct sc_store_mark *mark, char *ledger_id,
				struct sc_diag *d)
{
	struct lite *l = impl;
	struct sc_pop_build b;
	int64_t expired_max;
	enum sc_status st;
	bool own_txn;

	sc_pop_build_init(&b, out);
	own_txn = sc_lite_read_begin(l);
	if (mark && (st = sc_lite_mark(l, mark, d)))
		goto done;
	if (ledger_id && (st = sc_lite_identity(l, ledger_id, &expired_max, d)))
		goto done;
	if ((st = load_types(l, out, d)))
		goto done;
	if (new_after < 0)
		st = load_all(l, &b, d);
	else
		st = load_some(l, ids, nids, new_after, out, d);
	if (!st)
		st = sc_pop_build_end(&b);
done:
	sc_lite_read_end(l, own_txn);
	if (st)
		sc_pop_build_release(&b);
	return st;
}
