/* Records, their events and consents on PostgreSQL, retention and the
 * ledger's counts. The rules are the store front's (front_records.c): the
 * ops here read and write rows. A record is filed by socred_record_add
 * (pg_schema.c): its subject found or filed by ext_id, its type and source
 * interned, in one statement; a run of records is one pipeline (libpq
 * pipeline mode), one round trip, each record's outcome read in order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_impl.h"

#define REC_ADD "socred_rec_add"
#define REC_ADD_SQL "SELECT * FROM socred_record_add($1, $2, $3::integer, $4, $5::integer," \
		    " $6::bigint, $7, $8)"
/* records a pipeline holds at most before its outcomes are read: both
 * sides' socket buffers hold a pipeline's statements and results */
#define PIPE_MAX 256

enum sc_status sc_pq_rec_own_begin(void *impl, bool *own, struct sc_diag *d)
{
	return sc_pq_own_begin(impl, own, d);
}

enum sc_status sc_pq_rec_own_end(void *impl, bool own, enum sc_status st, struct sc_diag *d)
{
	enum sc_status cs;

	if (st == SC_ESTORE || st == SC_ENOMEM)
		return sc_pq_own_end(impl, own, st, d);
	/* a refused line changed nothing but what it may keep: commit */
	cs = sc_pq_own_end(impl, own, SC_OK, d);
	return cs ? cs : st;
}

static enum sc_status prepare(struct pq *p, struct sc_diag *d)
{
	PGresult *r;
	enum sc_status st = SC_OK;

	if (p->rec_prepared)
		return SC_OK;
	r = PQprepare(p->c, REC_ADD, REC_ADD_SQL, 0, NULL);
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
		st = sc_pq_err(p, r, d, "cannot prepare the record statement");
	PQclear(r);
	p->rec_prepared = st == SC_OK;
	return st;
}

/* A record's eight parameters, in bufs. */
struct add_params {
	char id[SC_LIMIT_RECORD_ID + 1], subject[SC_LIMIT_SUBJECT_ID + 1];
	char type[SC_LIMIT_TYPE + 1], source[SC_LIMIT_NAME + 1], ref[SC_LIMIT_REF + 1];
	char kind[SC_PQ_INT], date[SC_PQ_INT], amount[SC_PQ_INT];
	const char *v[8];
};

static void params(struct add_params *a, const struct sc_store_add *r)
{
	a->v[0] = sc_pq_text(a->id, sizeof(a->id), r->record_id.p, r->record_id.n);
	a->v[1] = sc_pq_text(a->subject, sizeof(a->subject), r->subject.p, r->subject.n);
	a->v[2] = sc_pq_i64(a->kind, r->kind);
	a->v[3] = sc_pq_text(a->type, sizeof(a->type), r->type.p, r->type.n);
	a->v[4] = sc_pq_i64(a->date, r->date);
	a->v[5] = r->amount == SC_AMOUNT_NONE ? NULL : sc_pq_i64(a->amount, r->amount);
	a->v[6] = sc_pq_text(a->source, sizeof(a->source), r->source.p, r->source.n);
	a->v[7] = sc_pq_text(a->ref, sizeof(a->ref), r->ref.p, r->ref.n);
}

/* Record r's outcome from socred_record_add's row. */
static enum sc_status outcome(const PGresult *res, const struct sc_store_add *r,
			      sc_store_taken_fn taken, struct sc_diag *d)
{
	struct sc_store_filed f;
	int64_t o = sc_pq_get_i64(res, 0, 0);

	if (o == 0)
		return SC_OK;
	if (o == 2)
		return sc_front_kind_conflict(r->subject, (enum sc_kind)sc_pq_get_i64(res, 0, 2),
					      r->kind, d);
	memset(&f, 0, sizeof(f));
	f.rid = sc_pq_get_i64(res, 0, 1);
	sc_pq_get_text(f.subject, sizeof(f.subject), res, 0, 3);
	sc_pq_get_text(f.type, sizeof(f.type), res, 0, 4);
	f.date = (sc_day)sc_pq_get_i64(res, 0, 5);
	f.amount = PQgetisnull(res, 0, 6) ? SC_AMOUNT_NONE : sc_pq_get_i64(res, 0, 6);
	sc_pq_get_text(f.source, sizeof(f.source), res, 0, 7);
	sc_pq_get_text(f.ref, sizeof(f.ref), res, 0, 8);
	return taken(r, &f, d);
}

static bool one_row(const PGresult *r)
{
	return r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQnfields(r) == 9;
}

enum sc_status sc_pq_record_add(void *impl, const struct sc_store_add *r,
				sc_store_taken_fn taken, struct sc_diag *d)
{
	struct pq *p = impl;
	struct add_params a;
	PGresult *res;
	enum sc_status st;

	if ((st = prepare(p, d)))
		return st;
	params(&a, r);
	res = PQexecPrepared(p->c, REC_ADD, 8, a.v, NULL, NULL, 0);
	st = one_row(res) ? outcome(res, r, taken, d) : sc_pq_err(p, res, d, "cannot store record");
	PQclear(res);
	return st;
}

/* Sends records r[0 .. n) as one pipeline and reads their outcomes:
 * *done those read (all n, or up to the ledger's failure in d). */
static enum sc_status pipeline(struct pq *p, const struct sc_store_add *const *r, size_t n,
			       enum sc_status *out, struct sc_diag *ds, size_t *done,
			       sc_store_taken_fn taken, struct sc_diag *d)
{
	struct add_params a;
	enum sc_status st = SC_OK;
	PGresult *res;
	size_t i;

	*done = 0;
	if (!PQenterPipelineMode(p->c))
		return sc_pq_err(p, NULL, d, "cannot enter pipeline mode");
	for (i = 0; i < n; i++) {
		params(&a, r[i]);
		if (!PQsendQueryPrepared(p->c, REC_ADD, 8, a.v, NULL, NULL, 0)) {
			st = sc_pq_err(p, NULL, d, "cannot send records");
			break;
		}
	}
	if (!PQpipelineSync(p->c) && !st)
		st = sc_pq_err(p, NULL, d, "cannot send records");
	/* every statement sent has a result, then NULL; then the sync's */
	for (size_t j = 0; j < i; j++) {
		res = PQgetResult(p->c);
		if (!st) {
			if (one_row(res)) {
				sc_diag_clear(&ds[j]);
				out[j] = outcome(res, r[j], taken, &ds[j]);
				*done = j + 1;
			} else {
				st = sc_pq_err(p, res, d, "cannot store records");
			}
		}
		PQclear(res);
		while ((res = PQgetResult(p->c)))
			PQclear(res);
	}
	while ((res = PQgetResult(p->c))) {
		ExecStatusType t = PQresultStatus(res);
		PQclear(res);
		if (t == PGRES_PIPELINE_SYNC)
			break;
	}
	if (!PQexitPipelineMode(p->c) && !st)
		st = sc_pq_err(p, NULL, d, "cannot leave pipeline mode");
	return st;
}

enum sc_status sc_pq_record_add_run(void *impl, const struct sc_store_add *const *r, size_t n,
				    enum sc_status *out, struct sc_diag *ds, size_t *done,
				    sc_store_taken_fn taken, struct sc_diag *d)
{
	struct pq *p = impl;
	enum sc_status st = prepare(p, d);
	size_t i = 0;

	while (!st && i < n) {
		size_t k = n - i < PIPE_MAX ? n - i : PIPE_MAX, got;
		st = pipeline(p, r + i, k, out + i, ds + i, &got, taken, d);
		i += got;
	}
	*done = i;
	return st;
}

enum sc_status sc_pq_record_find(void *impl, struct sc_text record_id, struct sc_store_filed *f,
				 struct sc_diag *d)
{
	struct pq *p = impl;
	char id[SC_LIMIT_RECORD_ID + 1];
	const char *v[1] = {sc_pq_text(id, sizeof(id), record_id.p, record_id.n)};
	PGresult *r;
	enum sc_status st = sc_pq_query(p,
					"SELECT r.rid, r.date, so.name, e.op, e.date, coalesce(e.ref, '')"
					" FROM records r JOIN sources so ON so.id = r.source"
					" LEFT JOIN events e ON e.rid = r.rid"
					" WHERE r.record_id = $1 ORDER BY e.seq",
					1, v, &r, d);
	int rows;

	if (st)
		return st;
	rows = PQntuples(r);
	memset(f, 0, sizeof(*f));
	f->amount = SC_AMOUNT_NONE;
	if (!rows) {
		PQclear(r);
		return SC_ENOTFOUND;
	}
	f->rid = sc_pq_get_i64(r, 0, 0);
	f->date = (sc_day)sc_pq_get_i64(r, 0, 1);
	sc_pq_get_text(f->source, sizeof(f->source), r, 0, 2);
	for (int i = 0; i < rows && f->nev < SC_STORE_FILED_EVENTS; i++) {
		struct sc_store_filed_event *e;
		if (PQgetisnull(r, i, 3))
			continue;
		e = &f->ev[f->nev++];
		e->op = (enum sc_op)sc_pq_get_i64(r, i, 3);
		e->date = (sc_day)sc_pq_get_i64(r, i, 4);
		sc_pq_get_text(e->ref, sizeof(e->ref), r, i, 5);
	}
	PQclear(r);
	return SC_OK;
}

enum sc_status sc_pq_event_add(void *impl, const struct sc_store_filed *f,
			       const struct sc_store_event *e, struct sc_diag *d)
{
	struct pq *p = impl;
	char rid[SC_PQ_INT], op[SC_PQ_INT], date[SC_PQ_INT], ref[SC_LIMIT_REF + 1];
	const char *v[4] = {sc_pq_i64(rid, f->rid), sc_pq_i64(op, e->op), sc_pq_i64(date, e->date),
			    sc_pq_text(ref, sizeof(ref), e->ref.p, e->ref.n)};

	return sc_pq_query(p, "INSERT INTO events(rid, op, date, ref) VALUES($1, $2, $3, $4)", 4,
			   v, NULL, d);
}

enum sc_status sc_pq_consent_last(void *impl, struct sc_text subject, enum sc_kind kind,
				  struct sc_text scorecard, sc_day date, int64_t *sid, int *last,
				  struct sc_diag *d)
{
	struct pq *p = impl;
	char id[SC_LIMIT_SUBJECT_ID + 1], k[SC_PQ_INT], sc[SC_LIMIT_NAME + 1], day[SC_PQ_INT];
	const char *v[4] = {sc_pq_text(id, sizeof(id), subject.p, subject.n), sc_pq_i64(k, kind),
			    sc_pq_text(sc, sizeof(sc), scorecard.p, scorecard.n),
			    sc_pq_i64(day, date)};
	PGresult *r;
	enum sc_status st = sc_pq_query(p,
					"SELECT g.sid, g.have, g.ok, (SELECT c.granted FROM consents c"
					" WHERE c.subject = g.sid AND c.scorecard = $3"
					" AND c.date = $4::integer ORDER BY c.seq DESC LIMIT 1)"
					" FROM socred_subject_get($1, $2::integer) g",
					4, v, &r, d);

	if (st)
		return st;
	*last = -1;
	if (PQntuples(r) != 1) {
		st = sc_pq_err(p, r, d, "cannot look up subject");
	} else if (strcmp(PQgetvalue(r, 0, 2), "t")) {
		st = sc_front_kind_conflict(subject, (enum sc_kind)sc_pq_get_i64(r, 0, 1), kind, d);
	} else {
		*sid = sc_pq_get_i64(r, 0, 0);
		if (!PQgetisnull(r, 0, 3))
			*last = (int)sc_pq_get_i64(r, 0, 3);
	}
	PQclear(r);
	return st;
}

enum sc_status sc_pq_consent_add(void *impl, int64_t sid, struct sc_text scorecard,
				 bool granted, sc_day date, struct sc_diag *d)
{
	struct pq *p = impl;
	char s[SC_PQ_INT], sc[SC_LIMIT_NAME + 1], day[SC_PQ_INT];
	const char *v[4] = {sc_pq_i64(s, sid), sc_pq_text(sc, sizeof(sc), scorecard.p, scorecard.n),
			    granted ? "1" : "0", sc_pq_i64(day, date)};

	return sc_pq_query(p, "INSERT INTO consents(subject, scorecard, granted, date)"
			   " VALUES($1, $2, $3, $4)", 4, v, NULL, d);
}

/* ---- retention ---- */

enum sc_status sc_pq_expire(void *impl, const int64_t *rids, size_t n, struct sc_diag *d)
{
	struct pq *p = impl;
	char *arr = malloc(n * (SC_PQ_INT + 1) + 3), num[SC_PQ_INT];
	const char *v[1];
	size_t len = 0;
	bool own;
	enum sc_status st;

	if (!arr)
		return SC_ENOMEM;
	arr[len++] = '{';
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(sc_pq_i64(num, rids[i]));
		if (i)
			arr[len++] = ',';
		memcpy(arr + len, num, k);
		len += k;
	}
	arr[len++] = '}';
	arr[len] = '\0';
	v[0] = arr;
	/* socred_expire (pg_schema.c) removes them and logs the call: the
	 * roles socred writes with may delete no record or event themselves */
	if (!(st = sc_pq_own_begin(p, &own, d))) {
		st = sc_pq_query(p, "SELECT socred_expire($1::bigint[])", 1, v, NULL, d);
		st = sc_pq_own_end(p, own, st, d);
	}
	free(arr);
	return st;
}

/* ---- counts ---- */

enum sc_status sc_pq_counts(void *impl, struct sc_store_counts *c, struct sc_diag *d)
{
	struct pq *p = impl;
	PGresult *r;
	bool own;
	enum sc_status st = sc_pq_begin_read(p, &own, d);

	*c = (struct sc_store_counts){0};
	if (st)
		return st;
	st = sc_pq_query(p, "SELECT (SELECT count(*) FROM subjects), (SELECT count(*) FROM records),"
			 " (SELECT count(*) FROM events), (SELECT count(*) FROM consents)",
			 0, NULL, &r, d);
	if (!st) {
		c->subjects = (uint64_t)sc_pq_get_i64(r, 0, 0);
		c->records = (uint64_t)sc_pq_get_i64(r, 0, 1);
		c->events = (uint64_t)sc_pq_get_i64(r, 0, 2);
		c->consents = (uint64_t)sc_pq_get_i64(r, 0, 3);
		PQclear(r);
	}
	sc_pq_end_read(p, own);
	return st;
}
