/* An ingest's lines on PostgreSQL, set-based: a call's lines (records,
 * rectifications and revocations, consents) are decided in file order on
 * this side, by the front's rules, against what the ledger holds of them
 * (read in three statements, one round trip) and what the earlier lines
 * of the call did; then written in a few statements: new types and
 * sources, new subjects and kinds filled in (one round trip), the records
 * by COPY, the events and consents from arrays (sent without waiting:
 * their results are read before the next statement, so the server files
 * them while the caller goes on). Rows go in in line order, so ids
 * follow SQLite's. The caller's transaction holds the writer lock:
 * nothing changes the rows read between the reads and the writes. In a
 * first load (pg_bulk.c) records are found by the load's table of
 * record_id hashes and read by rid, and their rids are given here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_impl.h"

/* ---- a growable text buffer ---- */

struct buf {
	char *p;
	size_t n, cap;
	bool oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *q;
		while (cap < b->n + n + 1)
			cap *= 2;
		if (!(q = realloc(b->p, cap))) {
			b->oom = true;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void put_c(struct buf *b, char c)
{
	put(b, &c, 1);
}

static void put_i64(struct buf *b, int64_t v)
{
	char num[SC_PQ_INT];
	int k = snprintf(num, sizeof(num), "%lld", (long long)v);
	put(b, num, (size_t)k);
}

/* A COPY text-format field: \N for an empty text when null_empty. */
static void put_copy(struct buf *b, struct sc_text t, bool null_empty)
{
	if (!t.n && null_empty) {
		put(b, "\\N", 2);
		return;
	}
	for (size_t i = 0; i < t.n; i++) {
		char c = t.p[i];
		if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
			put_c(b, '\\');
			c = c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : c;
		}
		put_c(b, c);
	}
}

/* An element of an array literal: NULL for an empty text when null_empty. */
static void put_elem(struct buf *b, struct sc_text t, bool null_empty)
{
	put_c(b, b->n && b->p[b->n - 1] != '{' ? ',' : '{');
	if (!t.n && null_empty) {
		put(b, "NULL", 4);
		return;
	}
	put_c(b, '"');
	for (size_t i = 0; i < t.n; i++) {
		if (t.p[i] == '"' || t.p[i] == '\\')
			put_c(b, '\\');
		put_c(b, t.p[i]);
	}
	put_c(b, '"');
}

static void put_num(struct buf *b, int64_t v)
{
	put_c(b, b->n && b->p[b->n - 1] != '{' ? ',' : '{');
	put_i64(b, v);
}

/* Ends an array literal begun by put_elem/put_num ("{}" when empty). */
static const char *arr_end(struct buf *b)
{
	if (!b->n)
		put_c(b, '{');
	put_c(b, '}');
	return b->oom ? NULL : b->p;
}

/* ---- maps from texts to entries ---- */

static uint64_t hash(struct sc_text a, struct sc_text b, int64_t c)
{
	uint64_t h = 1469598103934665603u ^ (uint64_t)c;

	for (size_t i = 0; i < a.n; i++)
		h = (h ^ (unsigned char)a.p[i]) * 1099511628211u;
	h = (h ^ 0xff) * 1099511628211u;
	for (size_t i = 0; i < b.n; i++)
		h = (h ^ (unsigned char)b.p[i]) * 1099511628211u;
	return h ^ (h >> 29);
}

static bool same(struct sc_text a, struct sc_text b)
{
	return a.n == b.n && !memcmp(a.p, b.p, a.n);
}

/* Open addressing over entry numbers (+1; 0: empty). */
struct map {
	uint32_t *slot;
	size_t mask;
};

static bool map_init(struct map *m, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n + 2)
		cap *= 2;
	m->mask = cap - 1;
	return (m->slot = calloc(cap, sizeof(*m->slot))) != NULL;
}

/* ---- what a call knows ---- */

struct rec {                         /* a record, filed or filed by this call */
	struct sc_text id;
	const struct sc_store_add *add;  /* filed by this call */
	int row;                         /* else its row in the records read */
	int64_t rid;
	sc_day date;
	struct sc_text source;
	size_t nev;
	struct {
		enum sc_op op;
		sc_day date;
		struct sc_text ref;
	} ev[SC_STORE_FILED_EVENTS];
};

struct subj {
	struct sc_text id;
	int64_t sid;                     /* 0: filed by this call, id to come */
	int kind0, kind;                 /* as read (or filed), as left */
	int order;                       /* filed by this call: its place; -1 */
};

struct cons {                        /* the last act of a subject, scorecard, day */
	struct sc_text subject, scorecard;
	sc_day date;
	int last;
};

struct name {
	struct sc_text name;
	int64_t id;
};

struct state {
	struct rec *rec;
	struct subj *subj;
	struct cons *cons;
	struct name *names[2];           /* types, sources */
	size_t nrec, nsubj, ncons, nnames[2], nfiled;
	struct map mrec, msubj, mcons, mnames[2];
	PGresult *rrec, *rsubj, *rcons;
	struct pq_bulk *bulk;            /* a first load (pg_bulk.c); NULL */
};

/* Looks up hash h in map m over entries arr: sets found (eq matched) or
 * slot (the empty slot where the entry goes). */
#define FIND(m, arr, h, eq)                                                  \
	for (size_t i_ = (size_t)(h) & (m)->mask;; i_ = (i_ + 1) & (m)->mask) { \
		uint32_t k_ = (m)->slot[i_];                                    \
		if (!k_) {                                                      \
			slot = &(m)->slot[i_];                                  \
			break;                                                  \
		}                                                               \
		if (eq(&(arr)[k_ - 1])) {                                       \
			found = &(arr)[k_ - 1];                                 \
			break;                                                  \
		}                                                               \
	}

static struct rec *rec_get(struct state *s, struct sc_text id, bool add)
{
	struct rec *found = NULL;
	uint32_t *slot = NULL;
#define REC_EQ(e) same((e)->id, id)
	FIND(&s->mrec, s->rec, hash(id, (struct sc_text){"", 0}, 0), REC_EQ)
	if (found || !add)
		return found;
	found = &s->rec[s->nrec++];
	*slot = (uint32_t)s->nrec;
	memset(found, 0, sizeof(*found));
	found->id = id;
	found->row = -1;
	return found;
}

static struct subj *subj_get(struct state *s, struct sc_text id, bool add)
{
	struct subj *found = NULL;
	uint32_t *slot = NULL;
#define SUBJ_EQ(e) same((e)->id, id)
	FIND(&s->msubj, s->subj, hash(id, (struct sc_text){"", 0}, 1), SUBJ_EQ)
	if (found || !add)
		return found;
	found = &s->subj[s->nsubj++];
	*slot = (uint32_t)s->nsubj;
	memset(found, 0, sizeof(*found));
	found->id = id;
	found->order = -1;
	return found;
}

static struct cons *cons_get(struct state *s, struct sc_text subject, struct sc_text scorecard,
			     sc_day date)
{
	struct cons *found = NULL;
	uint32_t *slot = NULL;
#define CONS_EQ(e) ((e)->date == date && same((e)->subject, subject) && same((e)->scorecard, scorecard))
	FIND(&s->mcons, s->cons, hash(subject, scorecard, date), CONS_EQ)
	if (found)
		return found;
	found = &s->cons[s->ncons++];
	*slot = (uint32_t)s->ncons;
	*found = (struct cons){subject, scorecard, date, -1};
	return found;
}

static struct name *name_get(struct state *s, int t, struct sc_text name)
{
	struct name *found = NULL;
	uint32_t *slot = NULL;
#define NAME_EQ(e) same((e)->name, name)
	FIND(&s->mnames[t], s->names[t], hash(name, (struct sc_text){"", 0}, 2), NAME_EQ)
	if (found)
		return found;
	found = &s->names[t][s->nnames[t]++];
	*slot = (uint32_t)s->nnames[t];
	*found = (struct name){name, 0};
	return found;
}

static struct sc_text col(const PGresult *r, int row, int c)
{
	return (struct sc_text){PQgetvalue(r, row, c), (size_t)PQgetlength(r, row, c)};
}

static void state_free(struct state *s)
{
	free(s->rec);
	free(s->subj);
	free(s->cons);
	free(s->mrec.slot);
	free(s->msubj.slot);
	free(s->mcons.slot);
	for (int t = 0; t < 2; t++) {
		free(s->names[t]);
		free(s->mnames[t].slot);
	}
	PQclear(s->rrec);
	PQclear(s->rsubj);
	PQclear(s->rcons);
}

/* ---- reading what the ledger holds of the lines ----
 * Each read starts from the call's texts (unnest, estimated small), so the
 * planner probes the indexes for them rather than scan a table whose
 * statistics may lag a bulk load. */

static enum sc_status read_ledger(struct pq *p, struct state *s, const struct sc_store_line *l,
				  size_t n, struct sc_diag *d)
{
	struct buf ids = {0}, subjects = {0}, csubjects = {0};
	const char *v[1];
	enum sc_status st = SC_OK;
	int64_t rids[8];
	size_t nrids = 0;

	for (size_t i = 0; i < n; i++) {
		struct sc_text id = l[i].op == SC_OP_ADD ? l[i].add->record_id
				  : l[i].op == SC_OP_RECTIFY || l[i].op == SC_OP_REVOKE ? l[i].event->record_id
				  : (struct sc_text){NULL, 0};
		if (id.p && s->bulk) {
			/* the load's records whose record_id hashes alike, by rid */
			size_t k = sc_pq_bulk_find(s->bulk, sc_pq_bulk_hash(id.p, id.n), rids,
						   sizeof(rids) / sizeof(rids[0]));
			for (size_t j = 0; j < k; j++)
				put_num(&ids, rids[j]);
			nrids += k;
		} else if (id.p) {
			put_elem(&ids, id, false);
		}
		if (l[i].op == SC_OP_ADD) {
			put_elem(&subjects, l[i].add->subject, false);
		} else if (l[i].op == SC_OP_RECTIFY || l[i].op == SC_OP_REVOKE) {
		} else {
			put_elem(&subjects, l[i].subject, false);
			put_elem(&csubjects, l[i].subject, false);
		}
	}
	if (!(v[0] = arr_end(&ids)) || !arr_end(&subjects) || !arr_end(&csubjects)) {
		st = SC_ENOMEM;
		goto done;
	}
#define REC_COLS                                                                   \
	"SELECT r.record_id, r.rid, su.ext_id, t.name, r.date, r.amount, so.name,"  \
	" coalesce(r.ref, ''), e.op, e.date, coalesce(e.ref, '')"
#define REC_JOINS                                                                  \
	" JOIN subjects su ON su.id = r.subject"                                    \
	" JOIN types t ON t.id = r.type JOIN sources so ON so.id = r.source"        \
	" LEFT JOIN events e ON e.rid = r.rid ORDER BY r.rid, e.seq"
	{
		/* one round trip: the planner's settings (once a transaction),
		 * the records, the subjects, the consents */
		const char *vs[1] = {subjects.p}, *vc[1] = {csubjects.p};
		struct sc_pq_stmt q[4] = {
			{p->planned == p->cseq ? NULL
					       : "SELECT set_config('enable_hashjoin', 'off', true),"
						 " set_config('enable_mergejoin', 'off', true)",
			 0, NULL, NULL},
			{!s->bulk ? REC_COLS " FROM (SELECT DISTINCT x FROM unnest($1::text[]) x) u"
				    " JOIN records r ON r.record_id = u.x" REC_JOINS
			 : nrids ? REC_COLS " FROM (SELECT DISTINCT x FROM unnest($1::bigint[]) x) u"
				   " JOIN records r ON r.rid = u.x" REC_JOINS
				 : NULL,
			 1, v, &s->rrec},
			{"SELECT s.ext_id, s.id, s.kind FROM (SELECT DISTINCT x FROM"
			 " unnest($1::text[]) x) u JOIN subjects s ON s.ext_id = u.x",
			 1, vs, &s->rsubj},
			{csubjects.n > 2 ? "SELECT su.ext_id, c.scorecard, c.date, c.granted FROM"
					   " (SELECT DISTINCT x FROM unnest($1::text[]) x) u"
					   " JOIN subjects su ON su.ext_id = u.x"
					   " JOIN consents c ON c.subject = su.id ORDER BY c.seq"
					 : NULL,
			 1, vc, &s->rcons}};
		if (!(st = sc_pq_batch(p, q, 4, d)))
			p->planned = p->cseq;
	}
done:
	free(ids.p);
	free(subjects.p);
	free(csubjects.p);
	return st;
}

static void load_ledger(struct state *s)
{
	int rows = PQntuples(s->rrec);

	for (int i = 0; i < rows; i++) {
		struct rec *r = rec_get(s, col(s->rrec, i, 0), true);
		if (r->row < 0) {
			r->row = i;
			r->rid = sc_pq_get_i64(s->rrec, i, 1);
			r->date = (sc_day)sc_pq_get_i64(s->rrec, i, 4);
			r->source = col(s->rrec, i, 6);
		}
		if (!PQgetisnull(s->rrec, i, 8) && r->nev < SC_STORE_FILED_EVENTS) {
			r->ev[r->nev].op = (enum sc_op)sc_pq_get_i64(s->rrec, i, 8);
			r->ev[r->nev].date = (sc_day)sc_pq_get_i64(s->rrec, i, 9);
			r->ev[r->nev++].ref = col(s->rrec, i, 10);
		}
	}
	rows = PQntuples(s->rsubj);
	for (int i = 0; i < rows; i++) {
		struct subj *u = subj_get(s, col(s->rsubj, i, 0), true);
		u->sid = sc_pq_get_i64(s->rsubj, i, 1);
		u->kind0 = u->kind = (int)sc_pq_get_i64(s->rsubj, i, 2);
	}
	rows = s->rcons ? PQntuples(s->rcons) : 0;
	for (int i = 0; i < rows; i++)
		cons_get(s, col(s->rcons, i, 0), col(s->rcons, i, 1),
			 (sc_day)sc_pq_get_i64(s->rcons, i, 2))->last =
			(int)sc_pq_get_i64(s->rcons, i, 3);
}

/* ---- deciding each line ---- */

static void text_copy(char *dst, size_t cap, struct sc_text t)
{
	size_t n = t.n < cap - 1 ? t.n : cap - 1;
	memcpy(dst, t.p, n);
	dst[n] = '\0';
}

/* Record r as the front's rules see it. */
static void filed(const struct state *s, const struct rec *r, struct sc_store_filed *f)
{
	memset(f, 0, sizeof(*f));
	f->rid = r->rid;
	f->date = r->date;
	if (r->add) {
		const struct sc_store_add *a = r->add;
		text_copy(f->subject, sizeof(f->subject), a->subject);
		text_copy(f->type, sizeof(f->type), a->type);
		f->amount = a->amount;
		text_copy(f->source, sizeof(f->source), a->source);
		text_copy(f->ref, sizeof(f->ref), a->ref);
	} else {
		text_copy(f->subject, sizeof(f->subject), col(s->rrec, r->row, 2));
		text_copy(f->type, sizeof(f->type), col(s->rrec, r->row, 3));
		f->amount = PQgetisnull(s->rrec, r->row, 5) ? SC_AMOUNT_NONE
							    : sc_pq_get_i64(s->rrec, r->row, 5);
		text_copy(f->source, sizeof(f->source), col(s->rrec, r->row, 6));
		text_copy(f->ref, sizeof(f->ref), col(s->rrec, r->row, 7));
	}
	for (size_t i = 0; i < r->nev; i++) {
		f->ev[i].op = r->ev[i].op;
		f->ev[i].date = r->ev[i].date;
		text_copy(f->ev[i].ref, sizeof(f->ev[i].ref), r->ev[i].ref);
	}
	f->nev = r->nev;
}

/* A subject found or filed (kind as socred_subject_get's rule); NULL with
 * the kind conflict in d. file: filed when missing. */
static struct subj *subject(struct state *s, struct sc_text id, enum sc_kind kind, bool file,
			    enum sc_status *st, struct sc_diag *d)
{
	struct subj *u = subj_get(s, id, false);

	*st = SC_OK;
	if (u) {
		if (u->kind && kind && u->kind != (int)kind) {
			*st = sc_front_kind_conflict(id, (enum sc_kind)u->kind, kind, d);
			return NULL;
		}
		if (!u->kind)
			u->kind = (int)kind;
		return u;
	}
	if (!file)
		return NULL;
	u = subj_get(s, id, true);
	u->kind0 = u->kind = (int)kind;
	u->order = (int)s->nfiled++;
	return u;
}

static enum sc_status decide_add(struct state *s, const struct sc_store_add *a, struct sc_diag *d)
{
	struct sc_store_filed f;
	enum sc_status st;
	struct rec *r;

	/* the subject's kind first, then type and source interned, then the
	 * record_id: socred_record_add's order */
	subject(s, a->subject, a->kind, false, &st, d);
	if (st)
		return st;
	name_get(s, 0, a->type);
	name_get(s, 1, a->source);
	if ((r = rec_get(s, a->record_id, false)) && (r->add || r->row >= 0)) {
		filed(s, r, &f);
		return sc_front_record_taken(a, &f, d);
	}
	subject(s, a->subject, a->kind, true, &st, d);
	r = rec_get(s, a->record_id, true);
	r->add = a;
	if (s->bulk)
		r->rid = sc_pq_bulk_next(s->bulk);
	r->date = a->date;
	r->source = a->source;
	return SC_OK;
}

static enum sc_status decide_event(struct state *s, const struct sc_store_event *e,
				   struct sc_diag *d)
{
	struct rec *r = rec_get(s, e->record_id, false);
	struct sc_store_filed f;
	enum sc_status st;

	if (!r || (!r->add && r->row < 0))
		return sc_front_event_unknown(e, d);
	filed(s, r, &f);
	if ((st = sc_front_event_check(&f, e, d)))
		return st;
	if (r->nev < SC_STORE_FILED_EVENTS) {
		r->ev[r->nev].op = e->op;
		r->ev[r->nev].date = e->date;
		r->ev[r->nev++].ref = e->ref;
	}
	return SC_OK;
}

static enum sc_status decide_consent(struct state *s, const struct sc_store_line *l,
				     struct sc_diag *d)
{
	enum sc_status st;
	struct cons *c;

	subject(s, l->subject, l->kind, true, &st, d);
	if (st)
		return st;
	c = cons_get(s, l->subject, l->scorecard, l->date);
	/* a repeat of the day's last act for the scorecard changes nothing */
	if (c->last == (l->op == SC_OP_CONSENT))
		return SC_EDUPLICATE;
	c->last = l->op == SC_OP_CONSENT;
	return SC_OK;
}

/* ---- writing ---- */

/* The statements that file what the records of a call refer to, sent in
 * one round trip: types and sources new to the ledger (first-seen order,
 * every id read back), subjects new to it (in the order they were filed,
 * ids read back), and the kinds learnt (the subjects_kind trigger records
 * the change). */
struct refs {
	struct buf names[2], ids, kinds, sids, nk;
	const char *v[2][1], *vs[2], *vk[2];
	struct subj **order;
	PGresult *r[4];
};

static void refs_free(struct refs *f)
{
	for (int t = 0; t < 2; t++)
		free(f->names[t].p);
	free(f->ids.p);
	free(f->kinds.p);
	free(f->sids.p);
	free(f->nk.p);
	free(f->order);
	for (int i = 0; i < 4; i++)
		PQclear(f->r[i]);
}

static enum sc_status write_refs(struct pq *p, struct state *s, struct sc_diag *d)
{
	static const char *const names_sql[2] = {
		"WITH n AS (SELECT x, o FROM unnest($1::text[]) WITH ORDINALITY u(x, o)),"
		" i AS (INSERT INTO types(name) SELECT x FROM n WHERE NOT EXISTS"
		" (SELECT 1 FROM types WHERE name = n.x) ORDER BY o RETURNING id, name)"
		" SELECT id, name FROM i UNION ALL SELECT t.id, t.name FROM types t JOIN n ON t.name = n.x",
		"WITH n AS (SELECT x, o FROM unnest($1::text[]) WITH ORDINALITY u(x, o)),"
		" i AS (INSERT INTO sources(name) SELECT x FROM n WHERE NOT EXISTS"
		" (SELECT 1 FROM sources WHERE name = n.x) ORDER BY o RETURNING id, name)"
		" SELECT id, name FROM i UNION ALL SELECT t.id, t.name FROM sources t JOIN n ON t.name = n.x"};
	struct refs f = {0};
	struct sc_pq_stmt q[4] = {{0}};
	size_t changed = 0;
	enum sc_status st = SC_OK;

	for (int t = 0; t < 2; t++) {
		if (!s->nnames[t])
			continue;
		for (size_t i = 0; i < s->nnames[t]; i++)
			put_elem(&f.names[t], s->names[t][i].name, false);
		if (!(f.v[t][0] = arr_end(&f.names[t]))) {
			st = SC_ENOMEM;
			goto done;
		}
		q[t] = (struct sc_pq_stmt){names_sql[t], 1, f.v[t], &f.r[t]};
	}
	if (s->nfiled) {
		if (!(f.order = malloc(s->nfiled * sizeof(*f.order)))) {
			st = SC_ENOMEM;
			goto done;
		}
		for (size_t i = 0; i < s->nsubj; i++)
			if (s->subj[i].order >= 0)
				f.order[s->subj[i].order] = &s->subj[i];
		for (size_t i = 0; i < s->nfiled; i++) {
			put_elem(&f.ids, f.order[i]->id, false);
			put_num(&f.kinds, f.order[i]->kind0);
		}
		if (!(f.vs[0] = arr_end(&f.ids)) || !(f.vs[1] = arr_end(&f.kinds))) {
			st = SC_ENOMEM;
			goto done;
		}
		q[2] = (struct sc_pq_stmt){"INSERT INTO subjects(ext_id, kind) SELECT e, k FROM"
					   " unnest($1::text[], $2::integer[]) WITH ORDINALITY u(e, k, o)"
					   " ORDER BY o RETURNING id, ext_id",
					   2, f.vs, &f.r[2]};
	}
	/* kinds learnt by subjects the ledger held (those filed by this call
	 * go in with the kind they were filed with, kind0) */
	for (size_t i = 0; i < s->nsubj; i++) {
		struct subj *u = &s->subj[i];
		if (u->kind == u->kind0 || u->order >= 0)
			continue;
		put_num(&f.sids, u->sid);
		put_num(&f.nk, u->kind);
		changed++;
	}
	if (changed) {
		if (!(f.vk[0] = arr_end(&f.sids)) || !(f.vk[1] = arr_end(&f.nk))) {
			st = SC_ENOMEM;
			goto done;
		}
		q[3] = (struct sc_pq_stmt){"UPDATE subjects SET kind = u.k FROM unnest($1::bigint[],"
					   " $2::integer[]) u(id, k) WHERE subjects.id = u.id",
					   2, f.vk, NULL};
	}
	if ((st = sc_pq_batch(p, q, 4, d)))
		goto done;
	for (int t = 0; t < 2; t++)
		for (int i = 0; f.r[t] && i < PQntuples(f.r[t]); i++)
			name_get(s, t, col(f.r[t], i, 1))->id = sc_pq_get_i64(f.r[t], i, 0);
	for (int i = 0; f.r[2] && i < PQntuples(f.r[2]); i++)
		subj_get(s, col(f.r[2], i, 1), false)->sid = sc_pq_get_i64(f.r[2], i, 0);
	/* a subject filed by this call whose kind it learnt later */
	changed = 0;
	free(f.sids.p);
	free(f.nk.p);
	f.sids = f.nk = (struct buf){0};
	for (size_t i = 0; i < s->nsubj; i++) {
		struct subj *u = &s->subj[i];
		if (u->kind == u->kind0 || u->order < 0)
			continue;
		put_num(&f.sids, u->sid);
		put_num(&f.nk, u->kind);
		changed++;
	}
	if (changed) {
		if (!(f.vk[0] = arr_end(&f.sids)) || !(f.vk[1] = arr_end(&f.nk)))
			st = SC_ENOMEM;
		else
			st = sc_pq_query(p, "UPDATE subjects SET kind = u.k FROM unnest($1::bigint[],"
					 " $2::integer[]) u(id, k) WHERE subjects.id = u.id",
					 2, f.vk, NULL, d);
	}
done:
	refs_free(&f);
	return st;
}

/* The records this call files, by COPY, in line order. */
static enum sc_status write_records(struct pq *p, struct state *s, const struct sc_store_line *l,
				    size_t n, const enum sc_status *out, struct sc_diag *d)
{
	struct buf b = {0};
	PGresult *r;
	enum sc_status st = SC_OK;
	size_t rows = 0;

	for (size_t i = 0; i < n; i++) {
		const struct sc_store_add *a = l[i].add;
		if (l[i].op != SC_OP_ADD || out[i])
			continue;
		if (s->bulk) {
			put_i64(&b, rec_get(s, a->record_id, false)->rid);
			put_c(&b, '\t');
		}
		put_copy(&b, a->record_id, false);
		put_c(&b, '\t');
		put_i64(&b, subj_get(s, a->subject, false)->sid);
		put_c(&b, '\t');
		put_i64(&b, name_get(s, 0, a->type)->id);
		put_c(&b, '\t');
		put_i64(&b, a->date);
		put_c(&b, '\t');
		if (a->amount == SC_AMOUNT_NONE)
			put(&b, "\\N", 2);
		else
			put_i64(&b, a->amount);
		put_c(&b, '\t');
		put_i64(&b, name_get(s, 1, a->source)->id);
		put_c(&b, '\t');
		put_copy(&b, a->ref, true);
		put_c(&b, '\t');
		put_i64(&b, p->cseq);
		put_c(&b, '\n');
		rows++;
	}
	if (b.oom) {
		free(b.p);
		return SC_ENOMEM;
	}
	if (!rows)
		return SC_OK;
	if ((st = sc_pq_flush(p, d)))
		goto done;
	/* the commit sequence number given, not the column default's call
	 * per row (a fifth of the COPY's time) */
	r = PQexec(p->c, s->bulk ? "COPY records(rid, record_id, subject, type, date, amount,"
				   " source, ref, cseq) FROM STDIN"
				 : "COPY records(record_id, subject, type, date, amount, source, ref,"
				   " cseq) FROM STDIN");
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		st = sc_pq_err(p, r, d, "cannot store records");
		PQclear(r);
		goto done;
	}
	PQclear(r);
	if (PQputCopyData(p->c, b.p, (int)b.n) != 1 || PQputCopyEnd(p->c, NULL) != 1)
		st = sc_pq_err(p, NULL, d, "cannot store records");
	while ((r = PQgetResult(p->c))) {
		if (!st && PQresultStatus(r) != PGRES_COMMAND_OK)
			st = sc_pq_err(p, r, d, "cannot store records");
		else if (!st && strtoull(PQcmdTuples(r), NULL, 10) != rows)
			st = sc_pq_err(p, r, d, "cannot store records (rows lost)");
		PQclear(r);
	}
	/* the load's table learns the records filed */
	for (size_t i = 0; !st && s->bulk && i < n; i++) {
		const struct sc_store_add *a = l[i].add;
		if (l[i].op == SC_OP_ADD && !out[i] &&
		    !sc_pq_bulk_add(s->bulk, sc_pq_bulk_hash(a->record_id.p, a->record_id.n),
				    rec_get(s, a->record_id, false)->rid))
			st = SC_ENOMEM;
	}
done:
	free(b.p);
	return st;
}

static enum sc_status write_events(struct pq *p, struct state *s, const struct sc_store_line *l,
				   size_t n, const enum sc_status *out, struct sc_diag *d)
{
	struct buf ids = {0}, ops = {0}, dates = {0}, refs = {0};
	const char *v[4];
	enum sc_status st = SC_OK;
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		const struct sc_store_event *e = l[i].event;
		if ((l[i].op != SC_OP_RECTIFY && l[i].op != SC_OP_REVOKE) || out[i])
			continue;
		if (s->bulk)
			put_num(&ids, rec_get(s, e->record_id, false)->rid);
		else
			put_elem(&ids, e->record_id, false);
		put_num(&ops, e->op);
		put_num(&dates, e->date);
		put_elem(&refs, e->ref, true);
		any = true;
	}
	if (any) {
		if (!(v[0] = arr_end(&ids)) || !(v[1] = arr_end(&ops)) ||
		    !(v[2] = arr_end(&dates)) || !(v[3] = arr_end(&refs)))
			st = SC_ENOMEM;
		else if (s->bulk)
			st = sc_pq_queue(p,
					 "INSERT INTO events(rid, op, date, ref) SELECT u.rid, u.op, u.d, u.ref"
					 " FROM unnest($1::bigint[], $2::integer[], $3::integer[], $4::text[])"
					 " WITH ORDINALITY u(rid, op, d, ref, o) ORDER BY u.o",
					 4, v, d);
		else
			st = sc_pq_queue(p,
					 "INSERT INTO events(rid, op, date, ref) SELECT r.rid, u.op, u.d, u.ref"
					 " FROM unnest($1::text[], $2::integer[], $3::integer[], $4::text[])"
					 " WITH ORDINALITY u(id, op, d, ref, o)"
					 " JOIN records r ON r.record_id = u.id ORDER BY u.o",
					 4, v, d);
	}
	free(ids.p);
	free(ops.p);
	free(dates.p);
	free(refs.p);
	return st;
}

static enum sc_status write_consents(struct pq *p, struct state *s, const struct sc_store_line *l,
				     size_t n, const enum sc_status *out, struct sc_diag *d)
{
	struct buf sids = {0}, cards = {0}, granted = {0}, dates = {0};
	const char *v[4];
	enum sc_status st = SC_OK;
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		if ((l[i].op != SC_OP_CONSENT && l[i].op != SC_OP_WITHDRAW) || out[i])
			continue;
		put_num(&sids, subj_get(s, l[i].subject, false)->sid);
		put_elem(&cards, l[i].scorecard, false);
		put_num(&granted, l[i].op == SC_OP_CONSENT);
		put_num(&dates, l[i].date);
		any = true;
	}
	if (any) {
		if (!(v[0] = arr_end(&sids)) || !(v[1] = arr_end(&cards)) ||
		    !(v[2] = arr_end(&granted)) || !(v[3] = arr_end(&dates)))
			st = SC_ENOMEM;
		else
			st = sc_pq_queue(p,
					 "INSERT INTO consents(subject, scorecard, granted, date)"
					 " SELECT s, c, g, d FROM unnest($1::bigint[], $2::text[],"
					 " $3::integer[], $4::integer[]) WITH ORDINALITY u(s, c, g, d, o)"
					 " ORDER BY o",
					 4, v, d);
	}
	free(sids.p);
	free(cards.p);
	free(granted.p);
	free(dates.p);
	return st;
}

enum sc_status sc_pq_lines(void *impl, const struct sc_store_line *l, size_t n,
			   enum sc_status *out, struct sc_diag *ds, size_t *done, struct sc_diag *d)
{
	struct pq *p = impl;
	struct state s = {0};
	enum sc_status st;

	*done = 0;
	if (!n)
		return SC_OK;
	/* what the one-by-one ops remember of this transaction is not kept
	 * up to date here: forget it */
	sc_pq_cache_free(p);
	/* a load past its bound builds its indexes and goes on as on a
	 * filled ledger */
	if (p->bulk && sc_pq_bulk_room(p->bulk) < n && (st = sc_pq_bulk_end(p, d)))
		return st;
	s.bulk = p->bulk;
	/* every statement here touches a few rows per line of the call: index
	 * probes, whatever the statistics of tables a bulk load is growing
	 * say (read_ledger sets this for the rest of the transaction: the
	 * ingest's) */
	if ((st = read_ledger(p, &s, l, n, d)))
		goto done;
	{
		/* entries: what was read, and what the lines add */
		size_t nr = (size_t)PQntuples(s.rrec) + n, nu = (size_t)PQntuples(s.rsubj) + n;
		size_t nc = (s.rcons ? (size_t)PQntuples(s.rcons) : 0) + n;
		s.rec = malloc(nr * sizeof(*s.rec));
		s.subj = malloc(nu * sizeof(*s.subj));
		s.cons = malloc(nc * sizeof(*s.cons));
		s.names[0] = malloc(n * sizeof(*s.names[0]));
		s.names[1] = malloc(n * sizeof(*s.names[1]));
		if (!s.rec || !s.subj || !s.cons || !s.names[0] || !s.names[1] ||
		    !map_init(&s.mrec, nr) || !map_init(&s.msubj, nu) || !map_init(&s.mcons, nc) ||
		    !map_init(&s.mnames[0], n) || !map_init(&s.mnames[1], n)) {
			st = SC_ENOMEM;
			goto done;
		}
	}
	load_ledger(&s);
	for (size_t i = 0; i < n; i++) {
		sc_diag_clear(&ds[i]);
		if (l[i].op == SC_OP_ADD)
			out[i] = decide_add(&s, l[i].add, &ds[i]);
		else if (l[i].op == SC_OP_RECTIFY || l[i].op == SC_OP_REVOKE)
			out[i] = decide_event(&s, l[i].event, &ds[i]);
		else
			out[i] = decide_consent(&s, &l[i], &ds[i]);
	}
	if ((st = write_refs(p, &s, d)) || (st = write_records(p, &s, l, n, out, d)) ||
	    (st = write_events(p, &s, l, n, out, d)) || (st = write_consents(p, &s, l, n, out, d)))
		goto done;
	*done = n;
done:
	state_free(&s);
	return st;
}
