/* The PostgreSQL backend's reads: one subject's rows, the population rows
 * (binary COPY, for images and scans), what changed since a mark (in commit
 * sequence numbers), record names, and the stored results of runs. Every
 * read of more than one statement runs in one REPEATABLE READ READ ONLY
 * transaction (a consistent view, also on a hot standby; no temp tables). */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_impl.h"

/* ---- a growable string, for statements and array literals ---- */

struct sbuf {
	char *p;
	size_t n, cap;
	bool nomem;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->nomem || !sc_grow((void **)&b->p, &b->cap, b->n + n + 1, 1)) {
		b->nomem = true;
		return;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_i64(struct sbuf *b, int64_t v)
{
	char t[SC_PQ_INT];

	sb_str(b, sc_pq_i64(t, v));
}

/* An array literal's element: quoted, with " and \ escaped. */
static void sb_elem(struct sbuf *b, const char *s)
{
	sb_add(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sb_add(b, "\\", 1);
		sb_add(b, s, 1);
	}
	sb_add(b, "\"", 1);
}

static sc_day text_day(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? SC_DAY_NONE : (sc_day)sc_pq_get_i64(r, row, col);
}

static struct sc_text text_of(const PGresult *r, int row, int col)
{
	return (struct sc_text){PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col)};
}

/* ---- one subject ---- */

/* The whole file in one statement (one snapshot, one round trip): kind 0
 * the subject, 1 its records in date order, 2 their disputes, 3 its
 * consents, each in the order the sink wants. */
static const char subject_sql[] =
	"WITH s AS (SELECT id, kind FROM subjects WHERE ext_id = $1)"
	" SELECT 0, s.id, NULL::text, NULL::text, s.kind, NULL::bigint, NULL::text, NULL::text,"
	" NULL::integer, NULL::integer, 0::bigint, 0::bigint FROM s"
	" UNION ALL SELECT 1, r.rid, r.record_id, t.name, r.date, r.amount, so.name,"
	" coalesce(r.ref, ''),"
	" (SELECT e.date FROM events e WHERE e.rid = r.rid AND e.op = 1),"
	" (SELECT e.date FROM events e WHERE e.rid = r.rid AND e.op = 2), r.date, r.rid"
	" FROM s JOIN records r ON r.subject = s.id JOIN types t ON t.id = r.type"
	" JOIN sources so ON so.id = r.source"
	" UNION ALL SELECT 2, x.rid, NULL, NULL, x.deadline, NULL, NULL, NULL, x.decided, NULL,"
	" x.id, 0 FROM s JOIN records r ON r.subject = s.id JOIN disputes x ON x.rid = r.rid"
	" UNION ALL SELECT 3, NULL, c.scorecard, NULL, c.granted, NULL, NULL, NULL, c.date, NULL,"
	" c.seq, 0 FROM s JOIN consents c ON c.subject = s.id"
	" ORDER BY 1, 11, 12";

enum sc_status sc_pq_subject_rows(void *impl, struct sc_text id,
				  const struct sc_file_sink *sink, void *ctx,
				  struct sc_diag *d)
{
	struct pq *p = impl;
	char idbuf[SC_LIMIT_SUBJECT_ID + 1];
	const char *v[1];
	PGresult *r;
	enum sc_status st;
	int n;

	if (id.n > SC_LIMIT_SUBJECT_ID)
		return SC_ENOTFOUND;
	memcpy(idbuf, id.p, id.n);
	idbuf[id.n] = '\0';
	v[0] = idbuf;
	if ((st = sc_pq_query(p, subject_sql, 1, v, &r, d)))
		return st;
	n = PQntuples(r);
	if (n == 0 || strcmp(PQgetvalue(r, 0, 0), "0")) {
		PQclear(r);
		return SC_ENOTFOUND;
	}
	st = sink->subject(ctx, sc_pq_get_i64(r, 0, 1), (enum sc_kind)sc_pq_get_i64(r, 0, 4));
	for (int i = 1; !st && i < n; i++) {
		int k = (int)sc_pq_get_i64(r, i, 0);
		if (k == 1) {
			struct sc_file_rec rec = {
				.rid = sc_pq_get_i64(r, i, 1), .record_id = text_of(r, i, 2),
				.type = text_of(r, i, 3), .date = (sc_day)sc_pq_get_i64(r, i, 4),
				.amount = PQgetisnull(r, i, 5) ? SC_AMOUNT_NONE
							       : sc_pq_get_i64(r, i, 5),
				.source = text_of(r, i, 6), .ref = text_of(r, i, 7),
				.rectified = text_day(r, i, 8), .revoked = text_day(r, i, 9)};
			st = sink->record(ctx, &rec);
		} else if (k == 2) {
			st = sink->dispute(ctx, sc_pq_get_i64(r, i, 1),
					   (sc_day)sc_pq_get_i64(r, i, 4), text_day(r, i, 8));
		} else {
			st = sink->consent(ctx, text_of(r, i, 2), sc_pq_get_i64(r, i, 4) != 0,
					   (sc_day)sc_pq_get_i64(r, i, 8));
		}
	}
	PQclear(r);
	return st;
}

/* ---- where the ledger stands ---- */

static enum sc_status mark_read(struct pq *p, struct sc_store_mark *m, struct sc_diag *d)
{
	int64_t v;
	enum sc_status st = sc_pq_int(p, "SELECT value::bigint FROM meta WHERE key = 'commit_seq'",
				      0, NULL, &v, d);

	if (st)
		return st;
	memset(m, 0, sizeof(*m));
	m->w[0] = v;
	return SC_OK;
}

/* ---- the population ---- */

struct popctx {
	struct pq *p;
	struct sc_pop_build *b;
	struct sc_diag *d;
};

static enum sc_status bad_row(struct popctx *c, const char *what)
{
	return sc_diag_set(c->d, SC_ESTORE, c->p->where, 0, 0, NULL,
			   "ledger read failed: an unexpected %s row", what);
}

static bool is_int(const struct sc_pq_field *f, int n)
{
	return f->p && f->n == n;
}

static enum sc_status on_record(void *ctx, int n, const struct sc_pq_field *f)
{
	struct popctx *c = ctx;
	struct sc_eval_record r;
	enum sc_status st;

	if (n != 5 || !is_int(&f[0], 8) || !is_int(&f[1], 8) || !is_int(&f[2], 4) ||
	    !is_int(&f[3], 4) || (f[4].p && f[4].n != 8))
		return bad_row(c, "record");
	r = (struct sc_eval_record){.rid = sc_pq_be64(f[1].p), .type = sc_pq_be32(f[2].p),
				    .date = sc_pq_be32(f[3].p),
				    .amount = f[4].p ? sc_pq_be64(f[4].p) : SC_AMOUNT_NONE};
	st = sc_pop_build_record(c->b, sc_pq_be64(f[0].p), &r);
	if (st == SC_ELIMIT)
		st = sc_diag_set(c->d, SC_ELIMIT, c->p->where, 0, 0, NULL,
				 "a population image holds at most 2^32 subjects and"
				 " records per ledger; shard the registry");
	return st;
}

static enum sc_status on_event(void *ctx, int n, const struct sc_pq_field *f)
{
	struct popctx *c = ctx;

	if (n != 3 || !is_int(&f[0], 8) || !is_int(&f[1], 4) || !is_int(&f[2], 4))
		return bad_row(c, "event");
	sc_pop_build_event(c->b, sc_pq_be64(f[0].p), sc_pq_be32(f[1].p), sc_pq_be32(f[2].p));
	return SC_OK;
}

static enum sc_status on_dispute(void *ctx, int n, const struct sc_pq_field *f)
{
	struct popctx *c = ctx;

	if (n != 3 || !is_int(&f[0], 8) || !is_int(&f[1], 4) || (f[2].p && f[2].n != 4))
		return bad_row(c, "dispute");
	sc_pop_build_dispute(c->b, sc_pq_be64(f[0].p), sc_pq_be32(f[1].p),
			     f[2].p ? sc_pq_be32(f[2].p) : SC_DAY_NONE);
	return SC_OK;
}

static enum sc_status on_consent(void *ctx, int n, const struct sc_pq_field *f)
{
	struct popctx *c = ctx;

	if (n != 4 || !is_int(&f[0], 8) || !f[1].p || !is_int(&f[2], 4) || !is_int(&f[3], 4))
		return bad_row(c, "consent");
	return sc_pop_build_consent(c->b, sc_pq_be64(f[0].p), f[1].p, (size_t)f[1].n,
				    sc_pq_be32(f[2].p) != 0, sc_pq_be32(f[3].p));
}

static enum sc_status on_subject(void *ctx, int n, const struct sc_pq_field *f)
{
	struct popctx *c = ctx;

	if (n != 3 || !is_int(&f[0], 8) || !f[1].p || !is_int(&f[2], 4))
		return bad_row(c, "subject");
	return sc_pop_build_subject(c->b, sc_pq_be64(f[0].p), f[1].p, (size_t)f[1].n,
				    sc_pq_be32(f[2].p));
}

/* The subjects a partial load reads, as an SQL condition on a subject id
 * column: those named in ids and those filed after new_after. */
static void subject_filter(struct pq *p, struct sbuf *w, const char *const *ids, size_t nids,
			   int64_t new_after)
{
	struct sbuf a = {0};
	char *lit;

	sb_str(&a, "{");
	for (size_t i = 0; i < nids; i++) {
		if (i)
			sb_str(&a, ",");
		sb_elem(&a, ids[i]);
	}
	sb_str(&a, "}");
	lit = a.nomem ? NULL : PQescapeLiteral(p->c, a.p, a.n);
	if (!lit) {
		w->nomem = true;
		free(a.p);
		return;
	}
	sb_str(w, " IN (SELECT id FROM subjects WHERE ext_id = ANY(");
	sb_str(w, lit);
	sb_str(w, "::text[]) OR id > ");
	sb_i64(w, new_after);
	sb_str(w, ")");
	PQfreemem(lit);
	free(a.p);
}

/* Each table in one streamed read; *where (NULL: the whole ledger) is the
 * subject filter of a partial load. Records come in storage order (the
 * builder sorts them by rid when they are not), the rest in filing order. */
static enum sc_status load_rows(struct pq *p, struct sc_pop_build *b, const char *where,
				int first, struct sc_diag *d)
{
	static const char *const sql[5][2] = {
		{"SELECT subject, rid, type, date, amount FROM records",
		 "SELECT subject, rid, type, date, amount FROM records WHERE subject"},
		{"SELECT rid, op, date FROM events",
		 "SELECT e.rid, e.op, e.date FROM events e JOIN records r ON r.rid = e.rid"
		 " WHERE r.subject"},
		{"SELECT rid, deadline, decided FROM disputes ORDER BY id",
		 "SELECT x.rid, x.deadline, x.decided FROM disputes x JOIN records r"
		 " ON r.rid = x.rid WHERE r.subject"},
		{"SELECT subject, scorecard, granted, date FROM consents ORDER BY seq",
		 "SELECT subject, scorecard, granted, date FROM consents WHERE subject"},
		{"SELECT id, ext_id, kind FROM subjects ORDER BY id",
		 "SELECT id, ext_id, kind FROM subjects WHERE id"},
	};
	static const char *const tail[5] = {"", "", " ORDER BY x.id", " ORDER BY seq",
					    " ORDER BY id"};
	static const sc_pq_row_fn fn[5] = {on_record, on_event, on_dispute, on_consent,
					   on_subject};
	struct popctx c = {p, b, d};
	enum sc_status st = SC_OK;

	for (int k = first; k < 5 && !st; k++) {
		struct sbuf q = {0};

		if (!where) {
			sb_str(&q, sql[k][0]);
		} else {
			sb_str(&q, sql[k][1]);
			sb_str(&q, where);
			sb_str(&q, tail[k]);
		}
		st = q.nomem ? SC_ENOMEM : sc_pq_copy_out(p, q.p, fn[k], &c, d);
		free(q.p);
	}
	return st;
}

static enum sc_status load_types(struct pq *p, struct sc_pop_build *b, struct sc_diag *d)
{
	PGresult *r;
	enum sc_status st = sc_pq_query(p, "SELECT id, name FROM types ORDER BY id", 0, NULL, &r, d);

	if (st)
		return st;
	if ((st = sc_pop_types_init(b->p, PQntuples(r) ? sc_pq_get_i64(r, PQntuples(r) - 1, 0)
						      : 0)))
		goto out;
	for (int i = 0; !st && i < PQntuples(r); i++)
		st = sc_pop_build_type(b, sc_pq_get_i64(r, i, 0), PQgetvalue(r, i, 1),
				       (size_t)PQgetlength(r, i, 1));
out:
	PQclear(r);
	return st;
}

/* ---- the records in two halves, on two connections ---- */

/* A second connection to the ledger with the first one's parameters, or
 * NULL. */
static PGconn *connect_again(struct pq *p)
{
	PQconninfoOption *o = PQconninfo(p->c);
	const char *keys[64], *vals[64];
	PGconn *c;
	int n = 0;

	if (!o)
		return NULL;
	for (PQconninfoOption *i = o; i->keyword && n < 63; i++)
		if (i->val && *i->val) {
			keys[n] = i->keyword;
			vals[n++] = i->val;
		}
	keys[n] = vals[n] = NULL;
	c = PQconnectdbParams(keys, vals, 0);
	PQconninfoFree(o);
	if (c && PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		c = NULL;
	}
	return c;
}

struct half {
	struct pq q;
	struct sc_pop b;
	struct sc_pop_build pb;
	char sql[160];
	struct sc_diag d;
	enum sc_status st;
};

static void *half_main(void *arg)
{
	struct half *h = arg;
	struct popctx c = {&h->q, &h->pb, &h->d};

	h->st = sc_pq_copy_out(&h->q, h->sql, on_record, &c, &h->d);
	return NULL;
}

/* The records above the middle rid in the same snapshot (exported from
 * this transaction) on a second connection, by a second thread, while this
 * one reads those below: two backends produce the COPY, the bound of a
 * whole-ledger load. *done false (and SC_OK): not possible here (a hot
 * standby, too few rows, no second connection); the caller reads the
 * records itself. */
static enum sc_status records_split(struct pq *p, struct sc_pop_build *b, bool *done,
				    struct sc_diag *d)
{
	struct half h = {.st = SC_OK};
	struct popctx c = {p, b, d};
	char lo[SC_PQ_INT + 64], set[160], *lit = NULL;
	PGresult *r = NULL;
	pthread_t t;
	enum sc_status st;
	int64_t mid;

	*done = false;
	if ((st = sc_pq_query(p, "SELECT pg_is_in_recovery(), min(rid), max(rid) FROM records", 0,
			      NULL, &r, d)))
		return st;
	if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), "f") || PQgetisnull(r, 0, 1) ||
	    sc_pq_get_i64(r, 0, 2) - sc_pq_get_i64(r, 0, 1) < 1) {
		PQclear(r);
		return SC_OK;
	}
	mid = sc_pq_get_i64(r, 0, 1) + (sc_pq_get_i64(r, 0, 2) - sc_pq_get_i64(r, 0, 1)) / 2;
	PQclear(r);
	if ((st = sc_pq_query(p, "SELECT pg_export_snapshot()", 0, NULL, &r, d)))
		return st;
	lit = PQntuples(r) == 1 ? PQescapeLiteral(p->c, PQgetvalue(r, 0, 0),
						  strlen(PQgetvalue(r, 0, 0))) : NULL;
	PQclear(r);
	if (!lit)
		return SC_OK;
	snprintf(set, sizeof(set), "SET TRANSACTION SNAPSHOT %s", lit);
	PQfreemem(lit);
	snprintf(h.q.where, sizeof(h.q.where), "%s", p->where);
	if (!(h.q.c = connect_again(p)))
		return SC_OK;
	if (sc_pq_exec(&h.q, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL) ||
	    sc_pq_exec(&h.q, set, NULL)) {
		PQfinish(h.q.c);
		return SC_OK;
	}
	sc_pop_build_init(&h.pb, &h.b);
	snprintf(h.sql, sizeof(h.sql),
		 "SELECT subject, rid, type, date, amount FROM records WHERE rid > %lld",
		 (long long)mid);
	if (pthread_create(&t, NULL, half_main, &h)) {
		PQfinish(h.q.c);
		return SC_OK;
	}
	snprintf(lo, sizeof(lo),
		 "SELECT subject, rid, type, date, amount FROM records WHERE rid <= %lld",
		 (long long)mid);
	st = sc_pq_copy_out(p, lo, on_record, &c, d);
	pthread_join(t, NULL);
	if (!st && h.st) {
		st = h.st;
		if (d)
			*d = h.d;
	}
	/* the upper half after the lower: rid order kept */
	for (size_t i = 0; !st && i < h.pb.n; i++)
		st = sc_pop_build_record(b, h.pb.rsubj[i], &h.pb.recs[i]);
	sc_pop_build_release(&h.pb);
	sc_pq_exec(&h.q, "COMMIT", NULL);
	PQfinish(h.q.c);
	*done = !st;
	return st;
}

/* Room for the whole ledger, by the planner's row estimates (no scan). */
static enum sc_status reserve(struct pq *p, struct sc_pop_build *b, struct sc_diag *d)
{
	PGresult *r;
	enum sc_status st = sc_pq_query(p,
					"SELECT greatest((SELECT reltuples FROM pg_class"
					" WHERE oid = 'records'::regclass), 0)::bigint,"
					" greatest((SELECT reltuples FROM pg_class"
					" WHERE oid = 'consents'::regclass), 0)::bigint",
					0, NULL, &r, d);

	if (st)
		return st;
	st = sc_pop_build_reserve(b, (size_t)sc_pq_get_i64(r, 0, 0) + 1024,
				  (size_t)sc_pq_get_i64(r, 0, 1) + 1024);
	PQclear(r);
	return st;
}

enum sc_status sc_pq_pop_load(void *impl, const char *const *ids, size_t nids,
			      int64_t new_after, struct sc_pop *out,
			      struct sc_store_mark *mark, char *ledger_id, struct sc_diag *d)
{
	struct pq *p = impl;
	struct sc_pop_build b;
	struct sbuf where = {0};
	enum sc_status st;
	bool own, split = false;

	sc_pop_build_init(&b, out);
	if ((st = sc_pq_begin_read(p, &own, d)))
		return st;
	if (mark && (st = mark_read(p, mark, d)))
		goto done;
	if (ledger_id) {
		PGresult *r;
		if ((st = sc_pq_query(p, "SELECT value FROM meta WHERE key = 'ledger_id'", 0, NULL,
				      &r, d)))
			goto done;
		ledger_id[0] = '\0';
		if (PQntuples(r) == 1)
			sc_pq_get_text(ledger_id, SC_STORE_LEDGER_ID, r, 0, 0);
		PQclear(r);
	}
	if ((st = load_types(p, &b, d)))
		goto done;
	if (new_after < 0 && (st = reserve(p, &b, d)))
		goto done;
	if (new_after >= 0) {
		subject_filter(p, &where, ids, nids, new_after);
		if (where.nomem) {
			st = SC_ENOMEM;
			goto done;
		}
	}
	if (new_after < 0 && own && (st = records_split(p, &b, &split, d)))
		goto done;
	if ((st = load_rows(p, &b, new_after >= 0 ? where.p : NULL, split ? 1 : 0, d)))
		goto done;
	st = sc_pop_build_end(&b);
done:
	free(where.p);
	sc_pq_end_read(p, own);
	if (st)
		sc_pop_build_release(&b);
	return st;
}

/* ---- change tracking ---- */

struct idctx {
	sc_store_id_fn cb;
	void *ctx;
};

static enum sc_status on_id(void *ctx, int n, const struct sc_pq_field *f)
{
	struct idctx *c = ctx;
	char id[SC_LIMIT_SUBJECT_ID + 1];

	if (n != 1 || !f[0].p || f[0].n > SC_LIMIT_SUBJECT_ID)
		return SC_OK;
	memcpy(id, f[0].p, (size_t)f[0].n);
	id[f[0].n] = '\0';
	return c->cb(c->ctx, id);
}

enum sc_status sc_pq_changed_since(void *impl, const struct sc_store_mark *from,
				   struct sc_store_mark *to, sc_store_id_fn cb, void *ctx,
				   struct sc_diag *d)
{
	struct pq *p = impl;
	struct idctx c = {cb, ctx};
	struct sbuf q = {0};
	enum sc_status st;
	int64_t since = from->w[0];
	bool own;

	if ((st = sc_pq_begin_read(p, &own, d)))
		return st;
	if ((st = mark_read(p, to, d)) || !memcmp(from, to, sizeof(*to)))
		goto out;
	/* a mark ahead of the ledger (a copy restored, a standby promoted
	 * behind) or not in this backend's terms: every subject changed */
	if (since > to->w[0] || from->w[1] || from->w[2] || from->w[3])
		since = 0;
	/* rows of later commits carry their cseq; in one snapshot none is
	 * above to->w[0] (commits take cseqs in commit order, under the
	 * write lock) */
	sb_str(&q, "SELECT s.ext_id FROM subjects s WHERE s.id IN ("
		   "SELECT subject FROM records WHERE cseq > ");
	sb_i64(&q, since);
	sb_str(&q, " UNION SELECT r.subject FROM events e JOIN records r ON r.rid = e.rid"
		   " WHERE e.cseq > ");
	sb_i64(&q, since);
	sb_str(&q, " UNION SELECT subject FROM consents WHERE cseq > ");
	sb_i64(&q, since);
	sb_str(&q, " UNION SELECT subject FROM changes WHERE cseq > ");
	sb_i64(&q, since);
	sb_str(&q, ")");
	st = q.nomem ? SC_ENOMEM : sc_pq_copy_out(p, q.p, on_id, &c, d);
out:
	free(q.p);
	sc_pq_end_read(p, own);
	return st;
}

/* No shared counter: nodes share no memory, and reading meta.commit_seq
 * costs the round trip it would save; callers ask changed_since instead. */
bool sc_pq_change_count(void *impl, uint64_t *n)
{
	(void)impl;
	(void)n;
	return false;
}

/* ---- record names ---- */

/* rids per statement */
#define NAMES_CHUNK 8192

enum sc_status sc_pq_record_names(void *impl, const int64_t *rids, size_t n,
				  sc_store_record_name_fn cb, void *ctx, struct sc_diag *d)
{
	struct pq *p = impl;
	enum sc_status st;
	bool own;

	if ((st = sc_pq_begin_read(p, &own, d)))
		return st;
	for (size_t at = 0; at < n && !st; at += NAMES_CHUNK) {
		size_t m = n - at < NAMES_CHUNK ? n - at : NAMES_CHUNK;
		struct sbuf a = {0};
		const char *v[1];
		PGresult *r;

		sb_str(&a, "{");
		for (size_t i = 0; i < m; i++) {
			if (i)
				sb_str(&a, ",");
			sb_i64(&a, rids[at + i]);
		}
		sb_str(&a, "}");
		if (a.nomem) {
			st = SC_ENOMEM;
			break;
		}
		v[0] = a.p;
		st = sc_pq_query(p,
				 "SELECT u.rid, r.record_id FROM unnest($1::bigint[]) WITH ORDINALITY"
				 " u(rid, i) LEFT JOIN records r ON r.rid = u.rid ORDER BY u.i",
				 1, v, &r, d);
		free(a.p);
		if (st)
			break;
		for (int i = 0; !st && i < PQntuples(r); i++) {
			if (PQgetisnull(r, i, 1))
				st = sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, NULL,
						 "no record row %lld",
						 (long long)sc_pq_get_i64(r, i, 0));
			else
				st = cb(ctx, at + (size_t)i, PQgetvalue(r, i, 1));
		}
		PQclear(r);
	}
	sc_pq_end_read(p, own);
	return st;
}

/* ---- runs ---- */

/* A text[] literal of n strings taken from each element (stride bytes
 * apart) at offset off; NULL pointers as SQL NULL. */
static void text_array(struct sbuf *a, const void *base, size_t n, size_t stride, size_t off)
{
	sb_str(a, "{");
	for (size_t i = 0; i < n; i++) {
		const char *s = *(const char *const *)((const char *)base + i * stride + off);
		if (i)
			sb_str(a, ",");
		if (s)
			sb_elem(a, s);
		else
			sb_str(a, "NULL");
	}
	sb_str(a, "}");
}

static void u64_array(struct sbuf *a, const void *base, size_t n, size_t stride, size_t off)
{
	sb_str(a, "{");
	for (size_t i = 0; i < n; i++) {
		uint64_t v = *(const uint64_t *)((const char *)base + i * stride + off);
		if (i)
			sb_str(a, ",");
		sb_i64(a, (int64_t)v);
	}
	sb_str(a, "}");
}

/* A run's rows in one short transaction of their own: runs are not part
 * of any subject's file, so it takes no ledger write lock. */
enum sc_status sc_pq_run_save(void *impl, sc_day at, uint64_t subjects, double seconds,
			      const struct sc_run_tally *t, size_t nt,
			      const struct sc_run_list *ls, size_t nl, int64_t *run,
			      struct sc_diag *d)
{
	struct pq *p = impl;
	struct sbuf a[7] = {{0}};
	char atb[SC_PQ_INT], sb[SC_PQ_INT], secs[64], rb[SC_PQ_INT];
	const char *v[5];
	enum sc_status st;
	int64_t id = 0;

	if (p->in_txn)
		return sc_diag_set(d, SC_ESTATE, p->where, 0, 0, NULL,
				   "a transaction is already open on this connection");
	snprintf(secs, sizeof(secs), "%.17g", seconds);
	v[0] = sc_pq_i64(atb, at);
	v[1] = sc_pq_i64(sb, (int64_t)subjects);
	v[2] = secs;
	if ((st = sc_pq_exec(p, "BEGIN", d)))
		return st;
	if ((st = sc_pq_int(p,
			    "INSERT INTO runs(at, rulebook, started, subjects, seconds)"
			    " VALUES($1, (SELECT max(id) FROM rulebooks),"
			    " to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), $2, $3)"
			    " RETURNING id",
			    3, v, &id, d)))
		goto fail;
	text_array(&a[0], t, nt, sizeof(*t), offsetof(struct sc_run_tally, scorecard));
	text_array(&a[1], t, nt, sizeof(*t), offsetof(struct sc_run_tally, status));
	text_array(&a[2], t, nt, sizeof(*t), offsetof(struct sc_run_tally, grade));
	u64_array(&a[3], t, nt, sizeof(*t), offsetof(struct sc_run_tally, subjects));
	text_array(&a[4], ls, nl, sizeof(*ls), offsetof(struct sc_run_list, list));
	u64_array(&a[5], ls, nl, sizeof(*ls), offsetof(struct sc_run_list, members));
	u64_array(&a[6], ls, nl, sizeof(*ls), offsetof(struct sc_run_list, entries));
	for (int i = 0; i < 7; i++)
		if (a[i].nomem) {
			st = SC_ENOMEM;
			goto fail;
		}
	v[0] = sc_pq_i64(rb, id);
	v[1] = a[0].p;
	v[2] = a[1].p;
	v[3] = a[2].p;
	v[4] = a[3].p;
	if ((st = sc_pq_query(p,
			      "INSERT INTO run_tallies(run, scorecard, status, grade, subjects)"
			      " SELECT $1, u.c, u.s, u.g, u.n FROM unnest($2::text[], $3::text[],"
			      " $4::text[], $5::bigint[]) WITH ORDINALITY u(c, s, g, n, i) ORDER BY u.i",
			      5, v, NULL, d)))
		goto fail;
	v[1] = a[4].p;
	v[2] = a[5].p;
	v[3] = a[6].p;
	if ((st = sc_pq_query(p,
			      "INSERT INTO run_lists(run, list, members, entries)"
			      " SELECT $1, u.l, u.m, u.e FROM unnest($2::text[], $3::bigint[],"
			      " $4::bigint[]) WITH ORDINALITY u(l, m, e, i) ORDER BY u.i",
			      4, v, NULL, d)))
		goto fail;
	if ((st = sc_pq_exec(p, "COMMIT", d)))
		goto out;
	*run = id;
	goto out;
fail:
	sc_pq_exec(p, "ROLLBACK", NULL);
out:
	for (int i = 0; i < 7; i++)
		free(a[i].p);
	return st;
}

enum sc_status sc_pq_tally(void *impl, enum sc_tally which, sc_store_tally_fn cb, void *ctx,
			   sc_day *run_at, struct sc_diag *d)
{
	static const char *const sql[] = {
		[SC_TALLY_RECORDS_BY_SOURCE] =
			"SELECT so.name, '', count(*) FROM records r JOIN sources so ON so.id = r.source"
			" WHERE $1::bigint IS NOT NULL GROUP BY so.name ORDER BY so.name",
		[SC_TALLY_GRADES] =
			"SELECT scorecard, grade, sum(subjects) FROM run_tallies WHERE run = $1"
			" AND grade IS NOT NULL GROUP BY scorecard, grade ORDER BY scorecard, grade",
		[SC_TALLY_LISTS] =
			"SELECT list, '', sum(members) FROM run_lists WHERE run = $1"
			" GROUP BY list ORDER BY list",
		[SC_TALLY_STATUS] =
			"SELECT scorecard, status, sum(subjects) FROM run_tallies WHERE run = $1"
			" GROUP BY scorecard, status ORDER BY scorecard, status",
	};
	struct pq *p = impl;
	char rb[SC_PQ_INT];
	const char *v[1];
	PGresult *r;
	enum sc_status st;
	int64_t run = 0;
	bool own;

	*run_at = SC_DAY_NONE;
	if ((unsigned)which > SC_TALLY_STATUS)
		return SC_EINVAL;
	if ((st = sc_pq_begin_read(p, &own, d)))
		return st;
	if ((st = sc_pq_query(p, "SELECT id, at FROM runs WHERE subjects IS NOT NULL"
				 " ORDER BY id DESC LIMIT 1", 0, NULL, &r, d)))
		goto out;
	if (PQntuples(r) == 1) {
		run = sc_pq_get_i64(r, 0, 0);
		*run_at = (sc_day)sc_pq_get_i64(r, 0, 1);
	}
	PQclear(r);
	v[0] = sc_pq_i64(rb, run);
	if ((st = sc_pq_query(p, sql[which], 1, v, &r, d)))
		goto out;
	for (int i = 0; !st && i < PQntuples(r); i++)
		st = cb(ctx, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), sc_pq_get_i64(r, i, 2));
	PQclear(r);
out:
	sc_pq_end_read(p, own);
	return st;
}
