/* The SQLite backend's population loader: every subject's file (or a few
 * subjects') as rulebook-free rows (struct sc_pop), read in one transaction.
 * The population scan and the population image are both made from it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_impl.h"
#include "socred/arena.h"

void sc_pop_free(struct sc_pop *p)
{
	if (!p)
		return;
	free(p->sid);
	free(p->kind);
	free(p->idoff);
	free(p->ids);
	free(p->roff);
	free(p->coff);
	free(p->recs);
	free(p->cons);
	for (size_t i = 0; i < p->ntypes; i++)
		free(p->types[i]);
	free(p->types);
	for (size_t i = 0; i < p->ncards; i++)
		free(p->cards[i]);
	free(p->cards);
	memset(p, 0, sizeof(*p));
}

/* Growable arrays while loading. */
struct cap {
	size_t sub, rec, cons, ids;
};

static enum sc_status subject_push(struct sc_pop *p, struct cap *c, int64_t sid,
				   const char *id, int kind)
{
	size_t len = strlen(id) + 1;
	uint64_t i = p->nsub;
	size_t old = c->sub;
	void *a, *b, *e, *f;

	if (!sc_grow((void **)&p->sid, &c->sub, i + 2, sizeof(*p->sid)))
		return SC_ENOMEM;
	if (c->sub != old) { /* the per-subject arrays follow sid's capacity */
		if ((a = realloc(p->kind, c->sub * sizeof(*p->kind))))
			p->kind = a;
		if ((b = realloc(p->idoff, c->sub * sizeof(*p->idoff))))
			p->idoff = b;
		if ((e = realloc(p->roff, c->sub * sizeof(*p->roff))))
			p->roff = e;
		if ((f = realloc(p->coff, c->sub * sizeof(*p->coff))))
			p->coff = f;
		if (!a || !b || !e || !f)
			return SC_ENOMEM;
	}
	if (i == 0)
		p->idoff[0] = 0;
	if (!sc_grow((void **)&p->ids, &c->ids, p->idoff[i] + len, 1))
		return SC_ENOMEM;
	memcpy(p->ids + p->idoff[i], id, len);
	p->idoff[i + 1] = p->idoff[i] + len;
	p->sid[i] = sid;
	p->kind[i] = (uint8_t)kind;
	p->roff[i] = p->nrec;
	p->coff[i] = p->ncons;
	p->roff[i + 1] = p->nrec;
	p->coff[i + 1] = p->ncons;
	p->nsub++;
	return SC_OK;
}

static int32_t card_id(struct sc_pop *p, const char *name)
{
	char **n;

	for (size_t i = 0; i < p->ncards; i++)
		if (!strcmp(p->cards[i], name))
			return (int32_t)i;
	if (p->ncards >= INT16_MAX || !(n = realloc(p->cards, (p->ncards + 1) * sizeof(*n))))
		return -1;
	p->cards = n;
	if (!(n[p->ncards] = strdup(name)))
		return -1;
	return (int32_t)p->ncards++;
}

static enum sc_status load_types(struct lite *l, struct sc_pop *p, struct sc_diag *d)
{
	sqlite3_stmt *q = NULL;
	enum sc_status st = SC_OK;
	int64_t n = sc_lite_int_query(l, "SELECT coalesce(max(id), 0) FROM types", &st, d);
	int rc;

	if (st)
		return st;
	if (!(p->types = calloc((size_t)n + 1, sizeof(*p->types))))
		return SC_ENOMEM;
	p->ntypes = (size_t)n + 1;
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

/* Applies an event or a dispute row to the record it names in recs[n]. */
static void apply_event(struct sc_eval_record *recs, size_t n, int64_t rid, int op,
			sc_day date)
{
	struct sc_eval_record *r = bsearch(&rid, recs, n, sizeof(*recs), cmp_rid);

	if (!r)
		return;
	if (op == SC_OP_RECTIFY)
		r->rectified = date;
	else
		r->revoked = date;
}

static void apply_dispute(struct sc_eval_record *recs, size_t n, sqlite3_stmt *q)
{
	int64_t rid = sqlite3_column_int64(q, 0);
	struct sc_eval_record *r = bsearch(&rid, recs, n, sizeof(*recs), cmp_rid);

	if (!r)
		return;
	/* undecided past its deadline: suspended from the deadline */
	r->suspended_from = sqlite3_column_int(q, 1);
	r->suspended_until = sqlite3_column_type(q, 2) == SQLITE_NULL
				     ? SC_DAY_NONE : sqlite3_column_int(q, 2);
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

#define DISPUTE_OPEN " (decided IS NULL OR decided > deadline)"

/* Stable counting sort of n items by key (<= nkeys): order and offsets. */
static bool group(const uint32_t *key, size_t n, uint64_t nkeys,
		  uint32_t **order, uint64_t **off)
{
	uint64_t *o = calloc(nkeys + 2, sizeof(uint64_t));
	uint32_t *ord = malloc((n ? n : 1) * sizeof(uint32_t));

	if (!o || !ord) {
		free(o);
		free(ord);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		o[key[i] + 1]++;
	for (uint64_t k = 0; k <= nkeys; k++)
		o[k + 1] += o[k];
	for (size_t i = 0; i < n; i++)
		ord[o[key[i]]++] = (uint32_t)i;
	for (uint64_t k = nkeys + 1; k > 0; k--)
		o[k] = o[k - 1];
	o[0] = 0;
	*order = ord;
	*off = o;
	return true;
}

/* The whole ledger: tables read in storage order, then grouped by subject
 * with counting sorts (sequential reads beat an index walk per subject). */
static enum sc_status load_all(struct lite *l, struct sc_pop *p, struct sc_diag *d)
{
	struct sc_eval_record *recs = NULL;
	struct sc_pop_consent *cons = NULL;
	uint32_t *rsubj = NULL, *csubj = NULL, *order = NULL, *corder = NULL;
	uint64_t *off = NULL, *coff = NULL;
	sqlite3_stmt *q = NULL;
	enum sc_status st = SC_OK;
	struct cap cap = {0};
	int64_t nrec, nsub, ncons;
	size_t n = 0, nc = 0;
	int rc;

	nrec = sc_lite_int_query(l, "SELECT count(*) FROM records", &st, d);
	if (!st)
		nsub = sc_lite_int_query(l, "SELECT coalesce(max(id), 0) FROM subjects", &st, d);
	if (!st)
		ncons = sc_lite_int_query(l, "SELECT count(*) FROM consents", &st, d);
	if (st)
		return st;
	if (nsub >= (int64_t)UINT32_MAX || nrec >= (int64_t)UINT32_MAX)
		return sc_diag_set(d, SC_ELIMIT, l->path, 0, 0, NULL,
				   "a population image holds at most 2^32 subjects and"
				   " records per ledger; shard the registry");
	recs = malloc((size_t)(nrec ? nrec : 1) * sizeof(*recs));
	rsubj = malloc((size_t)(nrec ? nrec : 1) * sizeof(*rsubj));
	cons = malloc((size_t)(ncons ? ncons : 1) * sizeof(*cons));
	csubj = malloc((size_t)(ncons ? ncons : 1) * sizeof(*csubj));
	if (!recs || !rsubj || !cons || !csubj) {
		st = SC_ENOMEM;
		goto done;
	}
	if ((st = sc_lite_prepare(l, "SELECT rid, type, date, amount, subject FROM records"
			     " ORDER BY rid", &q, d)))
		goto done;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && n < (size_t)nrec) {
		record_read(&recs[n], q, 0);
		rsubj[n++] = (uint32_t)sqlite3_column_int64(q, 4);
	}
	sqlite3_finalize(q);
	q = NULL;
	if ((st = sc_lite_prepare(l, "SELECT rid, op, date FROM events ORDER BY seq", &q, d)))
		goto done;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		apply_event(recs, n, sqlite3_column_int64(q, 0), sqlite3_column_int(q, 1),
			    sqlite3_column_int(q, 2));
	sqlite3_finalize(q);
	q = NULL;
	if ((st = sc_lite_prepare(l, "SELECT rid, deadline, decided FROM disputes WHERE"
			     DISPUTE_OPEN " ORDER BY id", &q, d)))
		goto done;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		apply_dispute(recs, n, q);
	sqlite3_finalize(q);
	q = NULL;
	if ((st = sc_lite_prepare(l, "SELECT subject, scorecard, granted, date FROM consents"
			     " ORDER BY seq", &q, d)))
		goto done;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && nc < (size_t)ncons) {
		int32_t c = card_id(p, (const char *)sqlite3_column_text(q, 1));
		if (c < 0) {
			st = SC_ENOMEM;
			goto done;
		}
		csubj[nc] = (uint32_t)sqlite3_column_int64(q, 0);
		cons[nc++] = (struct sc_pop_consent){.date = sqlite3_column_int(q, 3),
						     .card = c,
						     .granted = sqlite3_column_int(q, 2) != 0};
	}
	sqlite3_finalize(q);
	q = NULL;
	if (!group(rsubj, n, (uint64_t)nsub, &order, &off) ||
	    !group(csubj, nc, (uint64_t)nsub, &corder, &coff)) {
		st = SC_ENOMEM;
		goto done;
	}
	free(rsubj);
	free(csubj);
	rsubj = csubj = NULL;
	/* the grouped arrays, allocated once at their final size */
	cap.rec = n ? n : 1;
	cap.cons = nc ? nc : 1;
	p->recs = malloc(cap.rec * sizeof(*p->recs));
	p->cons = malloc(cap.cons * sizeof(*p->cons));
	if (!p->recs || !p->cons) {
		st = SC_ENOMEM;
		goto done;
	}
	if ((st = sc_lite_prepare(l, "SELECT id, ext_id, kind FROM subjects ORDER BY id", &q, d)))
		goto done;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t sid = sqlite3_column_int64(q, 0);
		if (sid < 0 || sid > nsub)
			continue;
		if ((st = subject_push(p, &cap, sid, (const char *)sqlite3_column_text(q, 1),
				       sqlite3_column_int(q, 2))))
			goto done;
		for (uint64_t i = off[sid]; i < off[sid + 1]; i++)
			p->recs[p->nrec++] = recs[order[i]];
		for (uint64_t i = coff[sid]; i < coff[sid + 1]; i++)
			p->cons[p->ncons++] = cons[corder[i]];
		p->roff[p->nsub] = p->nrec;
		p->coff[p->nsub] = p->ncons;
	}
	if (rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot read subjects");
done:
	sqlite3_finalize(q);
	free(recs);
	free(rsubj);
	free(cons);
	free(csubj);
	free(order);
	free(corder);
	free(off);
	free(coff);
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
	if ((st = subject_push(p, cap, sid, (const char *)sqlite3_column_text(q[0], 0),
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
	while ((rc = sqlite3_step(q[2])) == SQLITE_ROW)
		apply_event(p->recs + first, p->nrec - first, sqlite3_column_int64(q[2], 0),
			    sqlite3_column_int(q[2], 1), sqlite3_column_int(q[2], 2));
	if (rc != SQLITE_DONE)
		return sc_lite_db_err(l, d, "cannot read events");
	while ((rc = sqlite3_step(q[3])) == SQLITE_ROW)
		apply_dispute(p->recs + first, p->nrec - first, q[3]);
	if (rc != SQLITE_DONE)
		return sc_lite_db_err(l, d, "cannot read disputes");
	while ((rc = sqlite3_step(q[4])) == SQLITE_ROW) {
		int32_t c = card_id(p, (const char *)sqlite3_column_text(q[4], 0));
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
		" WHERE r.subject = ?1 AND" DISPUTE_OPEN " ORDER BY x.id",
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
	int64_t expired_max;
	enum sc_status st;
	bool own_txn;

	memset(out, 0, sizeof(*out));
	own_txn = sc_lite_read_begin(l);
	if (mark && (st = sc_lite_mark(l, mark, d)))
		goto done;
	if (ledger_id && (st = sc_lite_identity(l, ledger_id, &expired_max, d)))
		goto done;
	if ((st = load_types(l, out, d)))
		goto done;
	st = new_after < 0 ? load_all(l, out, d) : load_some(l, ids, nids, new_after, out, d);
	if (!st && !out->roff) { /* no subject: each offset array holds its one 0 */
		out->idoff = calloc(1, sizeof(*out->idoff));
		out->roff = calloc(1, sizeof(*out->roff));
		out->coff = calloc(1, sizeof(*out->coff));
		if (!out->idoff || !out->roff || !out->coff)
			st = SC_ENOMEM;
	}
done:
	sc_lite_read_end(l, own_txn);
	if (st)
		sc_pop_free(out);
	return st;
}
