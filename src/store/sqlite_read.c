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
	own_txn = sc_lite_read_begin(l);
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
	sc_lite_read_end(l, own_txn);
	out->view.recs = recs;
	out->view.nrecs = n;
	out->view.consents = cons;
	out->view.nconsents = nc;
	return SC_OK;
fail:
	if (q)
		sqlite3_reset(q);
	sqlite3_reset(s);
	sc_lite_read_end(l, own_txn);
	sc_arena_release(&out->arena);
	return st;
}

/* ---- population scan ---- */

/* Every subject's file from sc_lite_pop_load, resolved under each rulebook
 * in turn: record types by name, consents by scorecard name (a rulebook's
 * unknown scorecards left out). */
enum sc_status sc_lite_scan(void *impl, const struct sc_rulebook *const *rbs,
			    size_t nrb, sc_store_visit_multi_fn cb,
			    sc_store_progress_fn progress, void *ctx,
			    struct sc_store_mark *mark, struct sc_diag *d)
{
	struct sc_pop p;
	int32_t *typemap[SC_STORE_SCAN_RULEBOOKS] = {0}, *cardmap[SC_STORE_SCAN_RULEBOOKS] = {0};
	struct sc_eval_record *buf[SC_STORE_SCAN_RULEBOOKS] = {0};
	struct sc_eval_consent *cbuf[SC_STORE_SCAN_RULEBOOKS] = {0};
	uint64_t maxr = 1, maxc = 1;
	enum sc_status st;

	if ((st = sc_lite_pop_load(impl, NULL, 0, -1, &p, mark, NULL, d)))
		return st;
	for (uint64_t i = 0; i < p.nsub; i++) {
		if (p.roff[i + 1] - p.roff[i] > maxr)
			maxr = p.roff[i + 1] - p.roff[i];
		if (p.coff[i + 1] - p.coff[i] > maxc)
			maxc = p.coff[i + 1] - p.coff[i];
	}
	for (size_t k = 0; k < nrb; k++) {
		typemap[k] = malloc((p.ntypes + 1) * sizeof(int32_t));
		cardmap[k] = malloc((p.ncards + 1) * sizeof(int32_t));
		buf[k] = malloc(maxr * sizeof(*buf[k]));
		cbuf[k] = malloc(maxc * sizeof(*cbuf[k]));
		if (!typemap[k] || !cardmap[k] || !buf[k] || !cbuf[k]) {
			st = SC_ENOMEM;
			goto done;
		}
		for (size_t t = 0; t < p.ntypes; t++)
			typemap[k][t] = p.types[t] ? sc_rulebook_type_find(rbs[k], p.types[t],
									   strlen(p.types[t])) : -1;
		for (size_t c = 0; c < p.ncards; c++)
			cardmap[k][c] = sc_rulebook_scorecard_find(rbs[k], p.cards[c],
								   strlen(p.cards[c]));
	}
	for (uint64_t i = 0; i < p.nsub; i++) {
		struct sc_subject subj[SC_STORE_SCAN_RULEBOOKS];
		uint64_t a = p.roff[i], b = p.roff[i + 1];

		for (size_t k = 0; k < nrb; k++) {
			size_t m = 0;
			for (uint64_t r = a; r < b; r++) {
				buf[k][r - a] = p.recs[r];
				buf[k][r - a].type = p.recs[r].type >= 0 &&
						     (size_t)p.recs[r].type < p.ntypes
							     ? typemap[k][p.recs[r].type] : -1;
			}
			for (uint64_t c = p.coff[i]; c < p.coff[i + 1]; c++)
				if (cardmap[k][p.cons[c].card] >= 0)
					cbuf[k][m++] = (struct sc_eval_consent){
						.date = p.cons[c].date,
						.scorecard = cardmap[k][p.cons[c].card],
						.granted = p.cons[c].granted};
			subj[k] = (struct sc_subject){
				.kind = (enum sc_kind)p.kind[i], .recs = buf[k], .nrecs = b - a,
				.consents = cbuf[k], .nconsents = m};
		}
		if ((st = cb(ctx, p.sid[i], p.ids + p.idoff[i], subj)))
			goto done;
		if (progress && (i & 0xFFFF) == 0)
			progress(ctx, i, p.nsub);
	}
	if (progress)
		progress(ctx, p.nsub, p.nsub);
done:
	for (size_t k = 0; k < nrb; k++) {
		free(typemap[k]);
		free(cardmap[k]);
		free(buf[k]);
		free(cbuf[k]);
	}
	sc_pop_free(&p);
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
