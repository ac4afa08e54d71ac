/* The SQLite backend's reads: one subject's file, the population scan, and
 * the stored results of runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_impl.h"

static const char *adup(struct sc_arena *a, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	return sc_arena_strdup(a, t ? (const char *)t : "");
}

static int64_t int_query(struct lite *l, const char *sql, enum sc_status *st,
			 struct sc_diag *d)
{
	sqlite3_stmt *s = NULL;
	int64_t v = 0;

	if ((*st = sc_lite_prepare(l, sql, &s, d)))
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	else
		*st = sc_lite_db_err(l, d, "query failed");
	sqlite3_finalize(s);
	return v;
}

enum sc_status sc_lite_subject_load(void *impl, const struct sc_rulebook *rb,
				    struct sc_text id, struct sc_loaded *out,
				    struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = sc_lite_stmt(l, S_SUBJ_GET), *q = NULL;
	struct sc_eval_record *recs;
	struct sc_eval_consent *cons;
	enum sc_status st;
	size_t n = 0, cap = 0, nc = 0, capc = 0;
	bool own_txn;
	int rc;

	memset(out, 0, sizeof(*out));
	sc_arena_init(&out->arena, 16 * 1024, 0);
	/* one read transaction: a consistent snapshot, and one lock round trip */
	own_txn = !l->in_txn && sqlite3_get_autocommit(l->db) &&
		  sqlite3_exec(l->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
	sqlite3_bind_text(s, 1, id.p, (int)id.n, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		st = sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, "subject",
				 "subject '%.*s' has no file in this ledger",
				 (int)id.n, id.p);
		goto fail;
	}
	if (rc != SQLITE_ROW) {
		st = sc_lite_db_err(l, d, "cannot look up subject");
		goto fail;
	}
	out->sid = sqlite3_column_int64(s, 0);
	out->view.kind = (enum sc_kind)sqlite3_column_int(s, 1);
	out->id = sc_arena_strndup(&out->arena, id.p, id.n);
	sqlite3_reset(s);

	q = sc_lite_stmt(l, S_SUBJ_RECORDS);
	sqlite3_bind_int64(q, 1, out->sid);
	recs = NULL;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct sc_eval_record *r;
		const char *type;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			void *nr = sc_arena_alloc(&out->arena, ncap * sizeof(*recs));
			const char **a = sc_arena_alloc(&out->arena, 4 * ncap * sizeof(char *));
			if (!nr || !a) {
				st = SC_ENOMEM;
				goto fail;
			}
			if (n) {
				memcpy(nr, recs, n * sizeof(*recs));
				memcpy(a, out->record_ids, n * sizeof(char *));
				memcpy(a + ncap, out->types, n * sizeof(char *));
				memcpy(a + 2 * ncap, out->sources, n * sizeof(char *));
				memcpy(a + 3 * ncap, out->refs, n * sizeof(char *));
			}
			recs = nr;
			out->record_ids = a;
			out->types = a + ncap;
			out->sources = a + 2 * ncap;
			out->refs = a + 3 * ncap;
			cap = ncap;
		}
		r = &recs[n];
		type = adup(&out->arena, q, 2);
		r->rid = sqlite3_column_int64(q, 0);
		r->date = sqlite3_column_int(q, 3);
		r->amount = sqlite3_column_type(q, 4) == SQLITE_NULL
				    ? SC_AMOUNT_NONE
				    : sqlite3_column_int64(q, 4);
		r->rectified = sqlite3_column_type(q, 7) == SQLITE_NULL
				       ? SC_DAY_NONE : sqlite3_column_int(q, 7);
		r->revoked = sqlite3_column_type(q, 8) == SQLITE_NULL
				     ? SC_DAY_NONE : sqlite3_column_int(q, 8);
		r->suspended_from = sqlite3_column_type(q, 9) == SQLITE_NULL
					    ? SC_DAY_NONE : sqlite3_column_int(q, 9);
		r->suspended_until = sqlite3_column_type(q, 10) == SQLITE_NULL
					     ? SC_DAY_NONE : sqlite3_column_int(q, 10);
		r->type = type ? sc_rulebook_type_find(rb, type, strlen(type)) : -1;
		out->record_ids[n] = adup(&out->arena, q, 1);
		out->types[n] = type;
		out->sources[n] = adup(&out->arena, q, 5);
		out->refs[n] = adup(&out->arena, q, 6);
		if (!type || !out->record_ids[n] || !out->sources[n] || !out->refs[n]) {
			st = SC_ENOMEM;
			goto fail;
		}
		n++;
	}
	if (rc != SQLITE_DONE) {
		st = sc_lite_db_err(l, d, "cannot read records");
		goto fail;
	}
	sqlite3_reset(q);
	q = sc_lite_stmt(l, S_SUBJ_CONSENTS);
	sqlite3_bind_int64(q, 1, out->sid);
	cons = NULL;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *sc = (const char *)sqlite3_column_text(q, 0);
		int sci = sc_rulebook_scorecard_find(rb, sc, strlen(sc));
		if (sci < 0)
			continue;
		if (nc == capc) {
			size_t ncap = capc ? capc * 2 : 8;
			void *nn = sc_arena_alloc(&out->arena, ncap * sizeof(*cons));
			if (!nn) {
				st = SC_ENOMEM;
				goto fail;
			}
			if (nc)
				memcpy(nn, cons, nc * sizeof(*cons));
			cons = nn;
			capc = ncap;
		}
		cons[nc].scorecard = sci;
		cons[nc].granted = sqlite3_column_int(q, 1);
		cons[nc].date = sqlite3_column_int(q, 2);
		nc++;
	}
	if (rc != SQLITE_DONE) {
		st = sc_lite_db_err(l, d, "cannot read consents");
		goto fail;
	}
	sqlite3_reset(q);
	if (own_txn)
		sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL);
	out->view.recs = recs;
	out->view.nrecs = n;
	out->view.consents = cons;
	out->view.nconsents = nc;
	return SC_OK;
fail:
	if (q)
		sqlite3_reset(q);
	sqlite3_reset(s);
	if (own_txn)
		sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL);
	sc_arena_release(&out->arena);
	return st;
}

/* ---- population scan ---- */

/* A consent as scanned: its scorecard resolved under each rulebook (-1: the
 * rulebook has no such scorecard). */
struct scan_consent {
	sc_day date;
	bool granted;
	int32_t sc[SC_STORE_SCAN_RULEBOOKS];
};

struct scan {
	struct sc_eval_record *recs; /* in rid order; type: the ledger's id */
	uint32_t *rsubj;
	uint32_t *order;   /* record indices grouped by subject */
	uint64_t *off;     /* [nsub + 2] */
	struct scan_consent *cons;
	uint32_t *csubj, *corder;
	uint64_t *coff;
	int32_t *typemap[SC_STORE_SCAN_RULEBOOKS]; /* ledger type id -> rulebook type index */
	struct sc_eval_record *buf[SC_STORE_SCAN_RULEBOOKS];
	struct sc_eval_consent *cbuf[SC_STORE_SCAN_RULEBOOKS];
};

static void scan_free(struct scan *s)
{
	free(s->recs);
	free(s->rsubj);
	free(s->order);
	free(s->off);
	free(s->cons);
	free(s->csubj);
	free(s->corder);
	free(s->coff);
	for (size_t k = 0; k < SC_STORE_SCAN_RULEBOOKS; k++) {
		free(s->typemap[k]);
		free(s->buf[k]);
		free(s->cbuf[k]);
	}
}

/* Stable counting sort of n items by key (< nkeys): order and offsets. */
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
	/* o[k] now holds the end of k; shift back to starts */
	for (uint64_t k = nkeys + 1; k > 0; k--)
		o[k] = o[k - 1];
	o[0] = 0;
	*order = ord;
	*off = o;
	return true;
}

static int cmp_rid(const void *key, const void *elem)
{
	int64_t k = *(const int64_t *)key, e = ((const struct sc_eval_record *)elem)->rid;
	return k < e ? -1 : k > e;
}

enum sc_status sc_lite_scan(void *impl, const struct sc_rulebook *const *rbs,
			    size_t nrb, sc_store_visit_multi_fn cb,
			    sc_store_progress_fn progress, void *ctx,
			    struct sc_store_mark *mark, struct sc_diag *d)
{
	struct lite *l = impl;
	struct scan sc = {0};
	sqlite3_stmt *q = NULL;
	enum sc_status st = SC_OK;
	int64_t nrec, nsub = 0, ntypes = 0, ncons = 0;
	size_t n = 0, nc = 0, maxper = 1, maxc = 1;
	bool own_txn;
	int rc;

	/* one read transaction: every table as of the same moment */
	own_txn = !l->in_txn && sqlite3_get_autocommit(l->db) &&
		  sqlite3_exec(l->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
	if (mark && (st = sc_lite_mark(l, mark, d)))
		goto done;
	nrec = int_query(l, "SELECT count(*) FROM records", &st, d);
	if (!st)
		nsub = int_query(l, "SELECT coalesce(max(id), 0) FROM subjects", &st, d);
	if (!st)
		ntypes = int_query(l, "SELECT coalesce(max(id), 0) FROM types", &st, d);
	if (!st)
		ncons = int_query(l, "SELECT count(*) FROM consents", &st, d);
	if (st)
		goto done;
	sc.recs = malloc((size_t)(nrec ? nrec : 1) * sizeof(*sc.recs));
	sc.rsubj = malloc((size_t)(nrec ? nrec : 1) * sizeof(uint32_t));
	sc.cons = malloc((size_t)(ncons ? ncons : 1) * sizeof(*sc.cons));
	sc.csubj = malloc((size_t)(ncons ? ncons : 1) * sizeof(uint32_t));
	if (!sc.recs || !sc.rsubj || !sc.cons || !sc.csubj) {
		st = SC_ENOMEM;
		goto done;
	}
	for (size_t k = 0; k < nrb; k++) {
		if (!(sc.typemap[k] = malloc((size_t)(ntypes + 1) * sizeof(int32_t)))) {
			st = SC_ENOMEM;
			goto done;
		}
		for (int64_t i = 0; i <= ntypes; i++)
			sc.typemap[k][i] = -1;
	}
	if ((st = sc_lite_prepare(l, "SELECT id, name FROM types", &q, d)))
		goto done;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(q, 1);
		for (size_t k = 0; k < nrb; k++)
			sc.typemap[k][sqlite3_column_int64(q, 0)] =
				sc_rulebook_type_find(rbs[k], t, strlen(t));
	}
	sqlite3_finalize(q);
	q = NULL;

	if ((st = sc_lite_prepare(l, "SELECT rid, subject, type, date, amount FROM records"
			     " ORDER BY rid", &q, d)))
		goto done;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && n < (size_t)nrec) {
		struct sc_eval_record *r = &sc.recs[n];
		int64_t t = sqlite3_column_int64(q, 2);
		r->rid = sqlite3_column_int64(q, 0);
		sc.rsubj[n] = (uint32_t)sqlite3_column_int64(q, 1);
		r->type = t >= 0 && t <= ntypes ? (int32_t)t : -1;
		r->date = sqlite3_column_int(q, 3);
		r->amount = sqlite3_column_type(q, 4) == SQLITE_NULL
				    ? SC_AMOUNT_NONE : sqlite3_column_int64(q, 4);
		r->rectified = r->revoked = SC_DAY_NONE;
		r->suspended_from = r->suspended_until = SC_DAY_NONE;
		n++;
	}
	sqlite3_finalize(q);
	q = NULL;
	if ((st = sc_lite_prepare(l, "SELECT rid, op, date FROM events", &q, d)))
		goto done;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t rid = sqlite3_column_int64(q, 0);
		struct sc_eval_record *r = bsearch(&rid, sc.recs, n, sizeof(*sc.recs), cmp_rid);
		if (!r)
			continue;
		if (sqlite3_column_int(q, 1) == SC_OP_RECTIFY)
			r->rectified = sqlite3_column_int(q, 2);
		else
			r->revoked = sqlite3_column_int(q, 2);
	}
	sqlite3_finalize(q);
	q = NULL;
	/* disputes left undecided past their deadline suspend their record */
	if ((st = sc_lite_prepare(l, "SELECT rid, deadline, decided FROM disputes"
			     " WHERE decided IS NULL OR decided > deadline ORDER BY id", &q, d)))
		goto done;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t rid = sqlite3_column_int64(q, 0);
		struct sc_eval_record *r = bsearch(&rid, sc.recs, n, sizeof(*sc.recs), cmp_rid);
		if (!r)
			continue;
		r->suspended_from = sqlite3_column_int(q, 1);
		r->suspended_until = sqlite3_column_type(q, 2) == SQLITE_NULL
					     ? SC_DAY_NONE : sqlite3_column_int(q, 2);
	}
	sqlite3_finalize(q);
	q = NULL;
	if ((st = sc_lite_prepare(l, "SELECT subject, scorecard, granted, date FROM consents"
			     " ORDER BY seq", &q, d)))
		goto done;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && nc < (size_t)ncons) {
		const char *name = (const char *)sqlite3_column_text(q, 1);
		bool any = false;
		for (size_t k = 0; k < nrb; k++) {
			sc.cons[nc].sc[k] = sc_rulebook_scorecard_find(rbs[k], name, strlen(name));
			any |= sc.cons[nc].sc[k] >= 0;
		}
		if (!any)
			continue;
		sc.csubj[nc] = (uint32_t)sqlite3_column_int64(q, 0);
		sc.cons[nc].granted = sqlite3_column_int(q, 2);
		sc.cons[nc].date = sqlite3_column_int(q, 3);
		nc++;
	}
	sqlite3_finalize(q);
	q = NULL;
	if (!group(sc.rsubj, n, (uint64_t)nsub, &sc.order, &sc.off) ||
	    !group(sc.csubj, nc, (uint64_t)nsub, &sc.corder, &sc.coff)) {
		st = SC_ENOMEM;
		goto done;
	}
	for (int64_t s = 0; s <= nsub; s++) {
		if (sc.off[s + 1] - sc.off[s] > maxper)
			maxper = sc.off[s + 1] - sc.off[s];
		if (sc.coff[s + 1] - sc.coff[s] > maxc)
			maxc = sc.coff[s + 1] - sc.coff[s];
	}
	for (size_t k = 0; k < nrb; k++) {
		sc.buf[k] = malloc(maxper * sizeof(*sc.buf[k]));
		sc.cbuf[k] = malloc(maxc * sizeof(*sc.cbuf[k]));
		if (!sc.buf[k] || !sc.cbuf[k]) {
			st = SC_ENOMEM;
			goto done;
		}
	}

	if ((st = sc_lite_prepare(l, "SELECT id, ext_id, kind FROM subjects ORDER BY id", &q, d)))
		goto done;
	for (uint64_t done_n = 0; (rc = sqlite3_step(q)) == SQLITE_ROW; done_n++) {
		int64_t sid = sqlite3_column_int64(q, 0);
		struct sc_subject subj[SC_STORE_SCAN_RULEBOOKS];
		uint64_t a = sc.off[sid], b = sc.off[sid + 1];

		/* one view per rulebook: the same records, types and consents
		 * resolved under it */
		for (size_t k = 0; k < nrb; k++) {
			size_t m = 0;
			for (uint64_t i = a; i < b; i++) {
				struct sc_eval_record *r = &sc.buf[k][i - a];
				*r = sc.recs[sc.order[i]];
				if (r->type >= 0)
					r->type = sc.typemap[k][r->type];
			}
			for (uint64_t i = sc.coff[sid]; i < sc.coff[sid + 1]; i++) {
				const struct scan_consent *c = &sc.cons[sc.corder[i]];
				if (c->sc[k] >= 0)
					sc.cbuf[k][m++] = (struct sc_eval_consent){
						.date = c->date, .scorecard = c->sc[k],
						.granted = c->granted};
			}
			subj[k] = (struct sc_subject){
				.kind = (enum sc_kind)sqlite3_column_int(q, 2),
				.recs = sc.buf[k], .nrecs = b - a,
				.consents = sc.cbuf[k], .nconsents = m};
		}
		if ((st = cb(ctx, sid, (const char *)sqlite3_column_text(q, 1), subj)))
			goto done;
		if (progress && (done_n & 0xFFFF) == 0)
			progress(ctx, done_n, (uint64_t)nsub);
	}
	if (rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot read subjects");
	else if (progress)
		progress(ctx, (uint64_t)nsub, (uint64_t)nsub);
done:
	sqlite3_finalize(q);
	scan_free(&sc);
	if (own_txn)
		sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL);
	return st;
}

enum sc_status sc_lite_record_name(void *impl, int64_t rid, char *buf,
				   size_t size, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = sc_lite_stmt(l, S_REC_NAME);
	int rc;

	sqlite3_bind_int64(s, 1, rid);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		snprintf(buf, size, "%s", (const char *)sqlite3_column_text(s, 0));
		sqlite3_reset(s);
		return SC_OK;
	}
	if (rc == SQLITE_DONE)
		return sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, NULL, "no record row %lld",
				   (long long)rid);
	return sc_lite_db_err(l, d, "cannot read record");
}

enum sc_status sc_lite_counts(void *impl, struct sc_store_counts *c,
			      struct sc_diag *d)
{
	struct lite *l = impl;
	enum sc_status st = SC_OK;

	c->subjects = (uint64_t)int_query(l, "SELECT count(*) FROM subjects", &st, d);
	if (!st)
		c->records = (uint64_t)int_query(l, "SELECT count(*) FROM records", &st, d);
	if (!st)
		c->events = (uint64_t)int_query(l, "SELECT count(*) FROM events", &st, d);
	if (!st)
		c->consents = (uint64_t)int_query(l, "SELECT count(*) FROM consents", &st, d);
	return st;
}

/* ---- runs ---- */

enum sc_status sc_lite_run_begin(void *impl, sc_day at, int64_t *run,
				 struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = sc_lite_exec(l, "BEGIN IMMEDIATE", d)))
		return st;
	if ((st = sc_lite_prepare(l, "INSERT INTO runs(at, rulebook, started) VALUES(?1,"
			     " (SELECT max(id) FROM rulebooks), datetime('now'))", &s, d)))
		goto fail;
	sqlite3_bind_int(s, 1, at);
	if (sqlite3_step(s) != SQLITE_DONE) {
		st = sc_lite_db_err(l, d, "cannot start run");
		goto fail;
	}
	sqlite3_finalize(s);
	*run = sqlite3_last_insert_rowid(l->db);
	l->in_txn = true;
	return SC_OK;
fail:
	sqlite3_finalize(s);
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	return st;
}

enum sc_status sc_lite_run_put_card(void *impl, int64_t run, int64_t sid,
				    const char *scorecard, const char *status,
				    int32_t score, const char *grade,
				    struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = sc_lite_stmt(l, S_RUN_CARD);

	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_int64(s, 2, sid);
	sqlite3_bind_text(s, 3, scorecard, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, status, -1, SQLITE_STATIC);
	if (grade) {
		sqlite3_bind_int(s, 5, score);
		sqlite3_bind_text(s, 6, grade, -1, SQLITE_STATIC);
	}
	return sqlite3_step(s) == SQLITE_DONE ? SC_OK
					      : sc_lite_db_err(l, d, "cannot store result");
}

enum sc_status sc_lite_run_put_list(void *impl, int64_t run, int64_t sid,
				    const char *list, int64_t rid, sc_day since,
				    sc_day until, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = sc_lite_stmt(l, S_RUN_LIST);

	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_text(s, 2, list, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, sid);
	sqlite3_bind_int64(s, 4, rid);
	sqlite3_bind_int(s, 5, since);
	if (until != SC_DAY_NONE)
		sqlite3_bind_int(s, 6, until);
	return sqlite3_step(s) == SQLITE_DONE ? SC_OK
					      : sc_lite_db_err(l, d, "cannot store list entry");
}

enum sc_status sc_lite_run_finish(void *impl, int64_t run, uint64_t subjects,
				  double seconds, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = sc_lite_prepare(l, "UPDATE runs SET subjects = ?2, seconds = ?3 WHERE id = ?1", &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_int64(s, 2, (int64_t)subjects);
	sqlite3_bind_double(s, 3, seconds);
	if (sqlite3_step(s) != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot finish run");
	sqlite3_finalize(s);
	if (st)
		return st;
	l->in_txn = false;
	return sc_lite_exec(l, "COMMIT", d);
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
			"SELECT scorecard, grade, count(*) FROM results WHERE run = ?1 AND grade IS NOT NULL"
			" GROUP BY scorecard, grade ORDER BY scorecard, grade",
		[SC_TALLY_LISTS] =
			"SELECT list, '', count(DISTINCT subject) FROM list_entries WHERE run = ?1"
			" GROUP BY list ORDER BY list",
		[SC_TALLY_STATUS] =
			"SELECT scorecard, status, count(*) FROM results WHERE run = ?1"
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
