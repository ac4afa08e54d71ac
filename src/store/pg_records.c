/* Records, their events and consents on PostgreSQL, retention and the
 * ledger's counts. The rules are the store front's (front_records.c): the
 * ops here read and write rows. A record is filed by socred_record_add
 * (pg_schema.c): its subject found or filed by ext_id, its type and source
 * interned, in one statement; a run of records is one pipeline (libpq
 * pipeline mode), one round trip, each record's outcome read in order.
 *
 * Events and consents are sent without waiting (queued in pipeline mode,
 * their results read with the next statement that needs a result: the next
 * run, a look-up, the commit), and what they need to know is mostly known
 * already: the records this transaction filed and their events, and the
 * subjects it filed and their consents (struct pq_cache), as an
 * authority's file gives a subject's records, corrections and consents
 * together. What the cache does not hold is read from the ledger. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_impl.h"

#define REC_ADD "socred_rec_add"
#define EV_ADD "socred_ev_add"
#define CO_ADD "socred_co_add"
#define REC_ADD_SQL "SELECT * FROM socred_record_add($1, $2, $3::integer, $4, $5::integer," \
		    " $6::bigint, $7, $8)"
/* statements a pipeline holds at most before its results are read: both
 * sides' socket buffers hold a pipeline's statements and results */
#define PIPE_MAX 256

/* ---- what the open transaction filed (struct pq_cache) ----
 * Slots, direct-mapped by id, each stamped with the commit sequence number
 * of the transaction that filled it: only that transaction (holding the
 * writer lock) trusts it, so no begin or commit has to empty it. A rollback
 * frees it (pg.c): the next transaction takes the same number. */
#define CACHE_SLOTS 2048
#define CACHE_REF 48 /* event refs held; a longer one: read from the ledger */
#define CACHE_CONSENTS 4

struct cache_rec {
	int64_t cseq, rid; /* cseq 0: empty */
	sc_day date;
	uint8_t len, src_len, nev;
	bool partial;      /* an event it cannot hold: read from the ledger */
	char id[SC_LIMIT_RECORD_ID], src[SC_LIMIT_NAME];
	struct {
		uint8_t op, ref_len;
		sc_day date;
		char ref[CACHE_REF];
	} ev[2];
};

/* a subject this transaction filed: every consent it has is here */
struct cache_subj {
	int64_t cseq, sid;
	uint8_t kind, len, ncons;
	bool partial;
	char id[SC_LIMIT_SUBJECT_ID];
	struct {
		uint8_t len;
		int8_t granted;
		sc_day date;
		char scorecard[SC_LIMIT_NAME];
	} cons[CACHE_CONSENTS];
};

struct pq_cache {
	struct cache_rec rec[CACHE_SLOTS];
	struct cache_subj subj[CACHE_SLOTS];
	struct cache_subj *last; /* the one consent_last answered from */
};

void sc_pq_cache_free(struct pq *p)
{
	free(p->cache);
	p->cache = NULL;
}

static size_t slot_of(struct sc_text id)
{
	uint64_t h = 1469598103934665603u;

	for (size_t i = 0; i < id.n; i++)
		h = (h ^ (unsigned char)id.p[i]) * 1099511628211u;
	return (size_t)(h >> 20) % CACHE_SLOTS;
}

static struct cache_rec *rec_find(struct pq *p, struct sc_text id)
{
	struct cache_rec *c;

	if (!p->cache || !p->cseq || id.n > sizeof(c->id))
		return NULL;
	c = &p->cache->rec[slot_of(id)];
	return c->cseq == p->cseq && c->len == id.n && !memcmp(c->id, id.p, id.n) ? c : NULL;
}

static void rec_put(struct pq *p, const struct sc_store_add *r, int64_t rid)
{
	struct cache_rec *c;

	if (!p->cseq || r->record_id.n > sizeof(c->id) || r->source.n > sizeof(c->src))
		return;
	if (!p->cache && !(p->cache = calloc(1, sizeof(*p->cache))))
		return;
	c = &p->cache->rec[slot_of(r->record_id)];
	memset(c, 0, sizeof(*c));
	c->cseq = p->cseq;
	c->rid = rid;
	c->date = r->date;
	c->len = (uint8_t)r->record_id.n;
	c->src_len = (uint8_t)r->source.n;
	memcpy(c->id, r->record_id.p, r->record_id.n);
	memcpy(c->src, r->source.p, r->source.n);
}

static struct cache_subj *subj_find(struct pq *p, struct sc_text id)
{
	struct cache_subj *c;

	if (!p->cache || !p->cseq || id.n > sizeof(c->id))
		return NULL;
	c = &p->cache->subj[slot_of(id)];
	return c->cseq == p->cseq && c->len == id.n && !memcmp(c->id, id.p, id.n) ? c : NULL;
}

static void subj_put(struct pq *p, struct sc_text id, int64_t sid, enum sc_kind kind)
{
	struct cache_subj *c;

	if (!p->cseq || id.n > sizeof(c->id))
		return;
	if (!p->cache && !(p->cache = calloc(1, sizeof(*p->cache))))
		return;
	c = &p->cache->subj[slot_of(id)];
	memset(c, 0, sizeof(*c));
	c->cseq = p->cseq;
	c->sid = sid;
	p->cache->last = c;
	c->kind = (uint8_t)kind;
	c->len = (uint8_t)id.n;
	memcpy(c->id, id.p, id.n);
}

/* ---- statements sent without waiting ---- */

/* Reads n results of statements sent in pipeline mode (each ends with a
 * NULL): the first failure in d. */
static enum sc_status read_results(struct pq *p, int n, struct sc_diag *d)
{
	enum sc_status st = SC_OK;

	for (int j = 0; j < n; j++) {
		PGresult *res = PQgetResult(p->c);
		ExecStatusType t = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
		if (!st && t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK)
			st = sc_pq_err(p, res, d, "cannot store events and consents");
		PQclear(res);
		while ((res = PQgetResult(p->c)))
			PQclear(res);
	}
	return st;
}

/* Reads up to the pipeline's sync and leaves pipeline mode. */
static enum sc_status pipe_end(struct pq *p, enum sc_status st, struct sc_diag *d)
{
	PGresult *res;

	while ((res = PQgetResult(p->c))) {
		ExecStatusType t = PQresultStatus(res);
		PQclear(res);
		if (t == PGRES_PIPELINE_SYNC)
			break;
	}
	p->pending = 0;
	if (!PQexitPipelineMode(p->c) && !st)
		st = sc_pq_err(p, NULL, d, "cannot leave pipeline mode");
	return st;
}

enum sc_status sc_pq_flush(struct pq *p, struct sc_diag *d)
{
	enum sc_status st;

	if (PQpipelineStatus(p->c) == PQ_PIPELINE_OFF)
		return SC_OK;
	if (!PQpipelineSync(p->c)) {
		st = sc_pq_err(p, NULL, d, "cannot send events and consents");
		p->pending = 0;
		PQexitPipelineMode(p->c);
		return st;
	}
	st = read_results(p, p->pending, d);
	return pipe_end(p, st, d);
}

static enum sc_status pipe_begin(struct pq *p, struct sc_diag *d)
{
	if (PQpipelineStatus(p->c) != PQ_PIPELINE_OFF)
		return SC_OK;
	p->pending = 0;
	return PQenterPipelineMode(p->c) ? SC_OK : sc_pq_err(p, NULL, d, "cannot enter pipeline mode");
}

/* Sends a prepared statement whose result only says it worked. */
static enum sc_status queue(struct pq *p, const char *stmt, int n, const char *const *v,
			    struct sc_diag *d)
{
	enum sc_status st = pipe_begin(p, d);

	if (st)
		return st;
	if (!PQsendQueryPrepared(p->c, stmt, n, v, NULL, NULL, 0)) {
		st = sc_pq_err(p, NULL, d, "cannot send events and consents");
		sc_pq_flush(p, NULL);
		return st;
	}
	return ++p->pending >= PIPE_MAX ? sc_pq_flush(p, d) : SC_OK;
}

enum sc_status sc_pq_queue(struct pq *p, const char *sql, int n, const char *const *v,
			   struct sc_diag *d)
{
	enum sc_status st = pipe_begin(p, d);

	if (st)
		return st;
	if (!PQsendQueryParams(p->c, sql, n, NULL, v, NULL, NULL, 0)) {
		st = sc_pq_err(p, NULL, d, "cannot send events and consents");
		sc_pq_flush(p, NULL);
		return st;
	}
	return ++p->pending >= PIPE_MAX ? sc_pq_flush(p, d) : SC_OK;
}

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

	static const char *const stmts[3][2] = {
		{REC_ADD, REC_ADD_SQL},
		{EV_ADD, "INSERT INTO events(rid, op, date, ref) VALUES($1, $2, $3, $4)"},
		{CO_ADD, "INSERT INTO consents(subject, scorecard, granted, date) VALUES($1, $2, $3, $4)"}};

	if (p->rec_prepared)
		return SC_OK;
	if ((st = sc_pq_flush(p, d)))
		return st;
	for (int i = 0; i < 3 && !st; i++) {
		r = PQprepare(p->c, stmts[i][0], stmts[i][1], 0, NULL);
		if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
			st = sc_pq_err(p, r, d, "cannot prepare the record statements");
		PQclear(r);
	}
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
static enum sc_status outcome(struct pq *p, const PGresult *res, const struct sc_store_add *r,
			      sc_store_taken_fn taken, struct sc_diag *d)
{
	struct sc_store_filed f;
	int64_t o = sc_pq_get_i64(res, 0, 0);
	struct cache_subj *cs;

	/* a subject of unknown kind takes the record's */
	if (o != 2 && r->kind != SC_KIND_NONE && (cs = subj_find(p, r->subject)))
		cs->kind = (uint8_t)r->kind;
	if (o == 0) {
		rec_put(p, r, sc_pq_get_i64(res, 0, 1));
		if (!strcmp(PQgetvalue(res, 0, 9), "t") && r->kind != SC_KIND_NONE)
			subj_put(p, r->subject, sc_pq_get_i64(res, 0, 10), r->kind);
		return SC_OK;
	}
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
	return r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQnfields(r) == 11;
}

enum sc_status sc_pq_record_add(void *impl, const struct sc_store_add *r,
				sc_store_taken_fn taken, struct sc_diag *d)
{
	/* an op on records reads and writes through their indexes: a first
	 * load builds the ones it deferred first (pg_bulk.c) */
	if (sc_pq_bulk_end(impl, d))
		return SC_ESTORE;
	struct pq *p = impl;
	struct add_params a;
	PGresult *res;
	enum sc_status st;

	if ((st = prepare(p, d)) || (st = sc_pq_flush(p, d)))
		return st;
	params(&a, r);
	res = PQexecPrepared(p->c, REC_ADD, 8, a.v, NULL, NULL, 0);
	st = one_row(res) ? outcome(p, res, r, taken, d) : sc_pq_err(p, res, d, "cannot store record");
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
	if ((st = pipe_begin(p, d)))
		return st;
	for (i = 0; i < n; i++) {
		params(&a, r[i]);
		if (!PQsendQueryPrepared(p->c, REC_ADD, 8, a.v, NULL, NULL, 0)) {
			st = sc_pq_err(p, NULL, d, "cannot send records");
			break;
		}
	}
	if (!PQpipelineSync(p->c) && !st)
		st = sc_pq_err(p, NULL, d, "cannot send records");
	/* every statement sent has a result, then NULL (the events and
	 * consents queued before first); then the sync's */
	{
		enum sc_status qs = read_results(p, p->pending, d);
		if (!st)
			st = qs;
	}
	for (size_t j = 0; j < i; j++) {
		res = PQgetResult(p->c);
		if (!st) {
			if (one_row(res)) {
				sc_diag_clear(&ds[j]);
				out[j] = outcome(p, res, r[j], taken, &ds[j]);
				*done = j + 1;
			} else {
				st = sc_pq_err(p, res, d, "cannot store records");
			}
		}
		PQclear(res);
		while ((res = PQgetResult(p->c)))
			PQclear(res);
	}
	return pipe_end(p, st, d);
}

enum sc_status sc_pq_record_add_run(void *impl, const struct sc_store_add *const *r, size_t n,
				    enum sc_status *out, struct sc_diag *ds, size_t *done,
				    sc_store_taken_fn taken, struct sc_diag *d)
{
	/* an op on records reads and writes through their indexes: a first
	 * load builds the ones it deferred first (pg_bulk.c) */
	if (sc_pq_bulk_end(impl, d))
		return SC_ESTORE;
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
	/* an op on records reads and writes through their indexes: a first
	 * load builds the ones it deferred first (pg_bulk.c) */
	if (sc_pq_bulk_end(impl, d))
		return SC_ESTORE;
	struct pq *p = impl;
	struct cache_rec *c = rec_find(p, record_id);
	char id[SC_LIMIT_RECORD_ID + 1];
	const char *v[1] = {sc_pq_text(id, sizeof(id), record_id.p, record_id.n)};
	PGresult *r;
	enum sc_status st;
	int rows;

	memset(f, 0, sizeof(*f));
	f->amount = SC_AMOUNT_NONE;
	if (c && !c->partial) { /* filed in this transaction, with its events */
		f->rid = c->rid;
		f->date = c->date;
		memcpy(f->source, c->src, c->src_len);
		for (unsigned i = 0; i < c->nev; i++) {
			f->ev[i].op = (enum sc_op)c->ev[i].op;
			f->ev[i].date = c->ev[i].date;
			memcpy(f->ev[i].ref, c->ev[i].ref, c->ev[i].ref_len);
		}
		f->nev = c->nev;
		return SC_OK;
	}
	st = sc_pq_query(p,
			 "SELECT r.rid, r.date, so.name, e.op, e.date, coalesce(e.ref, '')"
			 " FROM records r JOIN sources so ON so.id = r.source"
			 " LEFT JOIN events e ON e.rid = r.rid"
			 " WHERE r.record_id = $1 ORDER BY e.seq",
			 1, v, &r, d);
	if (st)
		return st;
	rows = PQntuples(r);
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
	/* an op on records reads and writes through their indexes: a first
	 * load builds the ones it deferred first (pg_bulk.c) */
	if (sc_pq_bulk_end(impl, d))
		return SC_ESTORE;
	struct pq *p = impl;
	struct cache_rec *c = rec_find(p, e->record_id);
	char rid[SC_PQ_INT], op[SC_PQ_INT], date[SC_PQ_INT], ref[SC_LIMIT_REF + 1];
	const char *v[4] = {sc_pq_i64(rid, f->rid), sc_pq_i64(op, e->op), sc_pq_i64(date, e->date),
			    sc_pq_text(ref, sizeof(ref), e->ref.p, e->ref.n)};
	enum sc_status st = prepare(p, d);

	if (st || (st = queue(p, EV_ADD, 4, v, d)))
		return st;
	if (c && !c->partial) {
		if (c->nev < 2 && e->ref.n <= CACHE_REF) {
			c->ev[c->nev].op = (uint8_t)e->op;
			c->ev[c->nev].date = e->date;
			c->ev[c->nev].ref_len = (uint8_t)e->ref.n;
			memcpy(c->ev[c->nev].ref, e->ref.p, e->ref.n);
			c->nev++;
		} else {
			c->partial = true;
		}
	}
	return SC_OK;
}

/* The last act filed for scorecard on date among a cached subject's. */
static int cached_last(const struct cache_subj *c, struct sc_text scorecard, sc_day date)
{
	for (unsigned i = 0; i < c->ncons; i++)
		if (c->cons[i].date == date && c->cons[i].len == scorecard.n &&
		    !memcmp(c->cons[i].scorecard, scorecard.p, scorecard.n))
			return c->cons[i].granted;
	return -1;
}

enum sc_status sc_pq_consent_last(void *impl, struct sc_text subject, enum sc_kind kind,
				  struct sc_text scorecard, sc_day date, int64_t *sid, int *last,
				  struct sc_diag *d)
{
	/* an op on records reads and writes through their indexes: a first
	 * load builds the ones it deferred first (pg_bulk.c) */
	if (sc_pq_bulk_end(impl, d))
		return SC_ESTORE;
	struct pq *p = impl;
	struct cache_subj *c = subj_find(p, subject);
	char id[SC_LIMIT_SUBJECT_ID + 1], k[SC_PQ_INT], sc[SC_LIMIT_NAME + 1], day[SC_PQ_INT];
	const char *v[4] = {sc_pq_text(id, sizeof(id), subject.p, subject.n), sc_pq_i64(k, kind),
			    sc_pq_text(sc, sizeof(sc), scorecard.p, scorecard.n),
			    sc_pq_i64(day, date)};
	PGresult *r;
	enum sc_status st;

	*last = -1;
	/* a subject this transaction filed, of a known kind: every consent it
	 * has is in the cache */
	if (c && !c->partial && c->kind != SC_KIND_NONE) {
		if (kind != SC_KIND_NONE && kind != c->kind)
			return sc_front_kind_conflict(subject, (enum sc_kind)c->kind, kind, d);
		*sid = c->sid;
		*last = cached_last(c, scorecard, date);
		p->cache->last = c;
		return SC_OK;
	}
	st = sc_pq_query(p,
			 "SELECT g.sid, g.have, g.ok, (SELECT c.granted FROM consents c"
			 " WHERE c.subject = g.sid AND c.scorecard = $3"
			 " AND c.date = $4::integer ORDER BY c.seq DESC LIMIT 1), g.created"
			 " FROM socred_subject_get($1, $2::integer) g",
			 4, v, &r, d);
	if (st)
		return st;
	if (PQntuples(r) != 1) {
		st = sc_pq_err(p, r, d, "cannot look up subject");
	} else if (strcmp(PQgetvalue(r, 0, 2), "t")) {
		st = sc_front_kind_conflict(subject, (enum sc_kind)sc_pq_get_i64(r, 0, 1), kind, d);
	} else {
		*sid = sc_pq_get_i64(r, 0, 0);
		if (!PQgetisnull(r, 0, 3))
			*last = (int)sc_pq_get_i64(r, 0, 3);
		if (!strcmp(PQgetvalue(r, 0, 4), "t") && kind != SC_KIND_NONE)
			subj_put(p, subject, *sid, kind);
	}
	PQclear(r);
	return st;
}

enum sc_status sc_pq_consent_add(void *impl, int64_t sid, struct sc_text scorecard,
				 bool granted, sc_day date, struct sc_diag *d)
{
	/* an op on records reads and writes through their indexes: a first
	 * load builds the ones it deferred first (pg_bulk.c) */
	if (sc_pq_bulk_end(impl, d))
		return SC_ESTORE;
	struct pq *p = impl;
	char s[SC_PQ_INT], sc[SC_LIMIT_NAME + 1], day[SC_PQ_INT];
	const char *v[4] = {sc_pq_i64(s, sid), sc_pq_text(sc, sizeof(sc), scorecard.p, scorecard.n),
			    granted ? "1" : "0", sc_pq_i64(day, date)};
	enum sc_status st = prepare(p, d);
	struct cache_subj *c = NULL;

	if (st || (st = queue(p, CO_ADD, 4, v, d)))
		return st;
	/* the cached subject consent_last answered for */
	if (p->cache && p->cache->last && p->cache->last->cseq == p->cseq &&
	    p->cache->last->sid == sid)
		c = p->cache->last;
	if (c && !c->partial) {
		unsigned i;
		for (i = 0; i < c->ncons; i++)
			if (c->cons[i].date == date && c->cons[i].len == scorecard.n &&
			    !memcmp(c->cons[i].scorecard, scorecard.p, scorecard.n))
				break;
		if (i == c->ncons && c->ncons < CACHE_CONSENTS && scorecard.n <= SC_LIMIT_NAME) {
			c->cons[i].date = date;
			c->cons[i].len = (uint8_t)scorecard.n;
			memcpy(c->cons[i].scorecard, scorecard.p, scorecard.n);
			c->ncons++;
		} else if (i == c->ncons) {
			c->partial = true;
			return SC_OK;
		}
		c->cons[i].granted = (int8_t)granted;
	}
	return SC_OK;
}

/* ---- retention ---- */

enum sc_status sc_pq_expire(void *impl, const int64_t *rids, size_t n, struct sc_diag *d)
{
	/* an op on records reads and writes through their indexes: a first
	 * load builds the ones it deferred first (pg_bulk.c) */
	if (sc_pq_bulk_end(impl, d))
		return SC_ESTORE;
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
