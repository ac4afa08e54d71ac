/* The SQLite backend's index of records by subject (schema 12), in runs.
 *
 * A B-tree index on records(subject) took a random insert per record: at
 * ingest the most expensive of the ledger's B-tree writes after the table
 * itself, and the one that grew worst with the ledger (every transaction
 * dirtied index pages all over the file). Instead, the (subject, rid)
 * pairs a transaction files are kept in memory (sc_lite_bysubj_note) and
 * written at its commit as one sorted run (sc_lite_bysubj_flush): rows of
 * subject_chunks(run, low, data), each at least RUN_CHUNK pairs, cut only
 * where the subject changes, so one subject's pairs of a run sit in one
 * chunk. A pair is coded as varints: the subject's increase over the pair
 * before, then the rid, or, for the same subject, the rid's increase (a
 * chunk starts from subject low, rid 0): 2.2 bytes a pair on generated
 * data (bench/README.md, eleventh session).
 *
 * Runs are merged two at a time while two are of one size class (the same
 * highest bit) and the result holds at most RUN_MAX pairs: a binary
 * counter. A ledger of n records keeps at most log2 n runs
 * (and n / RUN_MAX of the largest size), and a pair is rewritten at most
 * log2 n times, always sequentially. A merge copies a chunk as it is,
 * without decoding it, when all of it comes before the other run's next
 * pair and after every pair written (out_copy): runs of new subjects, as
 * a bulk load files them, mostly lie apart, and their merges were 8% of
 * an ingest's writing thread (bench/README.md, fifteenth session). A
 * lookup (the table-valued function subject_rids(subject), for SQL) seeks
 * one chunk per run and adds the pairs of the open transaction.
 *
 * Removed records (expire) leave their pairs behind, and SQLite may give a
 * removed highest rid to the next record: so the function returns each rid
 * once, and every query joins records and keeps r.subject = the subject. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "socred/arena.h"
#include "sqlite_impl.h"

#define RUN_CHUNK 128
#define RUN_MAX (1 << 26)

static int pair_cmp(const void *a, const void *b)
{
	const struct sc_pair *x = a, *y = b;

	if (x->sid != y->sid)
		return x->sid < y->sid ? -1 : 1;
	return (x->rid > y->rid) - (x->rid < y->rid);
}

/* Sorts by (sid, rid). A transaction's rids ascend in the order it filed
 * them, so a stable sort by sid is enough: LSD radix, 11 bits a pass, as
 * many passes as the largest sid needs; qsort when the rids did not ascend
 * (never seen; kept for safety); nothing when the sids ascend too (a bulk
 * load of new subjects, each filed once). */
static enum sc_status pairs_sort(struct sc_pairs *p)
{
	struct sc_pair *tmp, *a = p->v, *b;
	int64_t max = 0;
	bool ascending = true, sorted = true;

	for (size_t i = 0; i < p->n; i++) {
		if (p->v[i].sid > max)
			max = p->v[i].sid;
		if (i && p->v[i].rid <= p->v[i - 1].rid)
			ascending = false;
		if (i && p->v[i].sid < p->v[i - 1].sid)
			sorted = false;
	}
	if (ascending && sorted)
		return SC_OK;
	if (!ascending || max < 0 || p->n < 64) {
		qsort(p->v, p->n, sizeof(*p->v), pair_cmp);
		return SC_OK;
	}
	if (!(tmp = malloc(p->n * sizeof(*tmp))))
		return SC_ENOMEM;
	b = tmp;
	for (unsigned shift = 0; shift < 64 && (max >> shift); shift += 11) {
		size_t count[2049] = {0};
		for (size_t i = 0; i < p->n; i++)
			count[(((uint64_t)a[i].sid >> shift) & 2047) + 1]++;
		for (size_t k = 1; k < 2049; k++)
			count[k] += count[k - 1];
		for (size_t i = 0; i < p->n; i++)
			b[count[((uint64_t)a[i].sid >> shift) & 2047]++] = a[i];
		struct sc_pair *t = a;
		a = b;
		b = t;
	}
	if (a != p->v)
		memcpy(p->v, a, p->n * sizeof(*a));
	free(tmp);
	return SC_OK;
}

enum sc_status sc_lite_bysubj_note(struct lite *l, int64_t sid, int64_t rid)
{
	struct sc_pairs *p = &l->pend;

	if (!sc_grow((void **)&p->v, &p->cap, p->n + 1, sizeof(*p->v)))
		return SC_ENOMEM;
	p->v[p->n++] = (struct sc_pair){sid, rid};
	return SC_OK;
}

void sc_lite_bysubj_drop(struct lite *l)
{
	l->pend.n = 0;
	if (l->pend.cap > (1u << 20)) { /* a large ingest's: give it back */
		free(l->pend.v);
		l->pend = (struct sc_pairs){0};
	}
}

/* ---- writing a run ---- */

/* Pairs in order in, chunks out. */
struct out {
	struct lite *l;
	sqlite3_stmt *ins;
	int64_t run;
	struct sc_buf b;
	int64_t low, sid, rid; /* the chunk's first subject; the last pair */
	size_t in_chunk;
	uint64_t pairs;
};

/* One row of the run: a chunk from subject low. */
static enum sc_status out_row(struct out *o, int64_t low, const void *data, size_t len,
			      struct sc_diag *d)
{
	sqlite3_reset(o->ins);
	sqlite3_bind_int64(o->ins, 1, o->run);
	sqlite3_bind_int64(o->ins, 2, low);
	sqlite3_bind_blob(o->ins, 3, data, (int)len, SQLITE_STATIC);
	if (sqlite3_step(o->ins) != SQLITE_DONE)
		return sc_lite_db_err(o->l, d, "cannot write the subject index");
	return SC_OK;
}

static enum sc_status out_chunk(struct out *o, struct sc_diag *d)
{
	enum sc_status st;

	if (!o->in_chunk)
		return SC_OK;
	if ((st = out_row(o, o->low, o->b.p, o->b.len, d)))
		return st;
	o->b.len = 0;
	o->in_chunk = 0;
	return SC_OK;
}

static enum sc_status out_pair(struct out *o, int64_t sid, int64_t rid, struct sc_diag *d)
{
	enum sc_status st;

	if (o->pairs && sid == o->sid && rid == o->rid)
		return SC_OK; /* the same pair in two runs (a reused rid) */
	if (o->in_chunk >= RUN_CHUNK && sid != o->sid && (st = out_chunk(o, d)))
		return st;
	if (!o->in_chunk) {
		o->low = o->sid = sid;
		o->rid = 0;
	}
	if (!sc_buf_room(&o->b, 20))
		return SC_ENOMEM;
	sc_buf_varint(&o->b, (uint64_t)(sid - o->sid));
	sc_buf_varint(&o->b, (uint64_t)(sid != o->sid ? rid : rid - o->rid));
	o->sid = sid;
	o->rid = rid;
	o->in_chunk++;
	o->pairs++;
	return SC_OK;
}

/* Writes a chunk of another run as it is: its pairs (len bytes of
 * varints, two a pair) all have subjects from low up to, not including,
 * below, and after every pair written so far. The chunk open before it
 * is written first, so no subject is cut in two. */
static enum sc_status out_copy(struct out *o, int64_t low, const unsigned char *data,
			       size_t len, uint64_t pairs, int64_t below, struct sc_diag *d)
{
	enum sc_status st;

	if ((st = out_chunk(o, d)) || (st = out_row(o, low, data, len, d)))
		return st;
	o->pairs += pairs;
	/* a bound, not the last pair: what comes next starts a chunk */
	o->sid = below - 1;
	o->rid = -1;
	return SC_OK;
}

static enum sc_status out_begin(struct out *o, struct lite *l, struct sc_diag *d)
{
	enum sc_status st = SC_OK;

	memset(o, 0, sizeof(*o));
	o->l = l;
	o->run = sc_lite_int_query(l, "SELECT coalesce(max(run), 0) + 1 FROM subject_runs", &st, d);
	if (st)
		return st;
	return sc_lite_prepare(l, "INSERT INTO subject_chunks(run, low, data) VALUES(?1, ?2, ?3)",
			       &o->ins, d);
}

/* Writes the last chunk and the run's row; releases o either way. */
static enum sc_status out_end(struct out *o, enum sc_status st, struct sc_diag *d)
{
	sqlite3_stmt *s = NULL;

	if (!st)
		st = out_chunk(o, d);
	if (!st && o->pairs &&
	    !(st = sc_lite_prepare(o->l, "INSERT INTO subject_runs(run, pairs) VALUES(?1, ?2)", &s, d))) {
		sqlite3_bind_int64(s, 1, o->run);
		sqlite3_bind_int64(s, 2, (int64_t)o->pairs);
		if (sqlite3_step(s) != SQLITE_DONE)
			st = sc_lite_db_err(o->l, d, "cannot write the subject index");
	}
	sqlite3_finalize(s);
	sqlite3_finalize(o->ins);
	free(o->b.p);
	return st;
}

/* ---- reading a run ---- */

/* A run's pairs in order. Chunks are copied out of SQLite, since the
 * merge writes to the same table between reads, one ahead: the next
 * chunk's first subject bounds the subjects of this one, so that a merge
 * can copy this one whole (out_copy) when it all comes before the other
 * run's next pair. */
struct in {
	struct lite *l;
	sqlite3_stmt *q;
	int64_t run;
	unsigned char *data, *next; /* this chunk, the next one */
	size_t cap, next_cap, len, next_len;
	const unsigned char *p, *end;
	int64_t sid, rid;
	int64_t low, next_low;      /* first subjects; next_low INT64_MAX: none */
	bool fresh;                 /* sid, rid is this chunk's first pair */
};

static enum sc_status damaged(struct lite *l, int64_t run, int64_t low, struct sc_diag *d)
{
	return sc_diag_set(d, SC_ECORRUPT, l->path, 0, 0, "subject_chunks",
			   "the subject index is damaged: run %lld, chunk from subject %lld",
			   (long long)run, (long long)low);
}

/* Decodes the next pair of the chunk at p: 1, or 0 at its end, or -1. */
static int chunk_next(const unsigned char **p, const unsigned char *end, int64_t *sid,
		      int64_t *rid)
{
	uint64_t ds, r;

	if (*p == end)
		return 0;
	if (!sc_varint_get(p, end, &ds) || !sc_varint_get(p, end, &r) ||
	    ds > (uint64_t)INT64_MAX - (uint64_t)*sid)
		return -1;
	*sid += (int64_t)ds;
	if (ds)
		*rid = (int64_t)r;
	else if (r > (uint64_t)INT64_MAX - (uint64_t)*rid)
		return -1;
	else
		*rid += (int64_t)r;
	return 1;
}

/* Reads the chunk after this one into x->next (next_low INT64_MAX when
 * there is none). */
static enum sc_status in_fetch(struct in *x, struct sc_diag *d)
{
	int rc = sqlite3_step(x->q);
	size_t n;

	x->next_low = INT64_MAX;
	x->next_len = 0;
	if (rc == SQLITE_DONE)
		return SC_OK;
	if (rc != SQLITE_ROW)
		return sc_lite_db_err(x->l, d, "cannot read the subject index");
	n = (size_t)sqlite3_column_bytes(x->q, 1);
	if (!sc_grow((void **)&x->next, &x->next_cap, n, 1))
		return SC_ENOMEM;
	if (n)
		memcpy(x->next, sqlite3_column_blob(x->q, 1), n);
	x->next_low = sqlite3_column_int64(x->q, 0);
	x->next_len = n;
	return SC_OK;
}

/* The pairs of x's chunk, counted without decoding them (a varint ends
 * at a byte below 0x80); false when they are not whole pairs. */
static bool in_pairs(const struct in *x, uint64_t *pairs)
{
	uint64_t ends = 0;

	for (size_t i = 0; i < x->len; i++)
		ends += !(x->data[i] & 0x80);
	*pairs = ends / 2;
	return !(ends % 2) && (!x->len || !(x->data[x->len - 1] & 0x80));
}

/* The next pair: 1, or 0 at the run's end; SC_* in *st when it fails. */
static int in_next(struct in *x, enum sc_status *st, struct sc_diag *d)
{
	unsigned char *t;
	size_t c;
	int rc;

	x->fresh = false;
	for (;;) {
		if (x->p && (rc = chunk_next(&x->p, x->end, &x->sid, &x->rid)) != 0) {
			if (rc > 0)
				return 1;
			*st = damaged(x->l, x->run, x->low, d);
			return 0;
		}
		if (x->next_low == INT64_MAX)
			return 0;
		t = x->data, x->data = x->next, x->next = t;
		c = x->cap, x->cap = x->next_cap, x->next_cap = c;
		x->len = x->next_len;
		x->sid = x->low = x->next_low;
		x->rid = 0;
		x->p = x->data;
		x->end = x->data + x->len;
		x->fresh = true;
		if ((*st = in_fetch(x, d)))
			return 0;
	}
}

static enum sc_status in_begin(struct in *x, struct lite *l, int64_t run, struct sc_diag *d)
{
	enum sc_status st;

	memset(x, 0, sizeof(*x));
	x->l = l;
	x->run = run;
	if ((st = sc_lite_prepare(l, "SELECT low, data FROM subject_chunks WHERE run = ?1 ORDER BY low",
				  &x->q, d)))
		return st;
	sqlite3_bind_int64(x->q, 1, run);
	return in_fetch(x, d);
}

static void in_end(struct in *x)
{
	sqlite3_finalize(x->q);
	free(x->data);
	free(x->next);
}

/* ---- merging ---- */

static enum sc_status drop_run(struct lite *l, int64_t run, struct sc_diag *d)
{
	char sql[160];

	snprintf(sql, sizeof(sql),
		 "DELETE FROM subject_chunks WHERE run = %lld; DELETE FROM subject_runs WHERE run = %lld",
		 (long long)run, (long long)run);
	return sc_lite_exec(l, sql, d);
}

static enum sc_status merge(struct lite *l, int64_t a, int64_t b, struct sc_diag *d)
{
	struct in x, y;
	struct out o;
	enum sc_status st;
	int hx, hy;

	if ((st = in_begin(&x, l, a, d)))
		goto done_x;
	if ((st = in_begin(&y, l, b, d)))
		goto done_y;
	if ((st = out_begin(&o, l, d)))
		goto done_out;
	hx = in_next(&x, &st, d);
	hy = st ? 0 : in_next(&y, &st, d);
	while (!st && (hx || hy)) {
		bool take_x = hx && (!hy || x.sid < y.sid || (x.sid == y.sid && x.rid <= y.rid));
		struct in *t = take_x ? &x : &y, *u = take_x ? &y : &x;
		bool more = take_x ? hy : hx;
		/* t's chunk, not begun, all before u's next pair and after
		 * every pair written: as it is (runs of new subjects, as a bulk
		 * load files them, are mostly apart) */
		if (t->fresh && (!more || t->next_low <= u->sid) && (!o.pairs || o.sid < t->low)) {
			uint64_t pairs;
			if (!in_pairs(t, &pairs)) {
				st = damaged(l, t->run, t->low, d);
				break;
			}
			if ((st = out_copy(&o, t->low, t->data, t->len, pairs, t->next_low, d)))
				break;
			t->p = t->end;
		} else if ((st = out_pair(&o, t->sid, t->rid, d))) {
			break;
		}
		if (take_x)
			hx = in_next(&x, &st, d);
		else
			hy = in_next(&y, &st, d);
	}
	sqlite3_reset(x.q);
	sqlite3_reset(y.q);
done_out:
	st = out_end(&o, st, d);
done_y:
	in_end(&y);
done_x:
	in_end(&x);
	if (!st && !(st = drop_run(l, a, d)))
		st = drop_run(l, b, d);
	return st;
}

static int level(int64_t n) { return n > 0 ? 63 - __builtin_clzll((unsigned long long)n) : 0; }

/* Merges two runs of one size class (the same highest bit; the smallest
 * such two) while there are any whose result stays within RUN_MAX: a
 * binary counter. */
static enum sc_status settle(struct lite *l, struct sc_diag *d)
{
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = sc_lite_prepare(l, "SELECT run, pairs FROM subject_runs ORDER BY pairs, run", &s, d)))
		return st;
	for (;;) {
		int64_t run[2] = {0}, n[2] = {0};
		bool found = false;
		int rc;
		sqlite3_reset(s);
		while (!found && (rc = sqlite3_step(s)) == SQLITE_ROW) {
			run[0] = run[1];
			n[0] = n[1];
			run[1] = sqlite3_column_int64(s, 0);
			n[1] = sqlite3_column_int64(s, 1);
			found = n[0] && level(n[0]) == level(n[1]) && n[0] + n[1] <= RUN_MAX;
		}
		sqlite3_reset(s);
		if (!found)
			break;
		if ((st = merge(l, run[0], run[1], d)))
			break;
	}
	sqlite3_finalize(s);
	return st;
}

enum sc_status sc_lite_bysubj_flush(struct lite *l, struct sc_diag *d)
{
	struct out o;
	enum sc_status st;

	if (!l->pend.n)
		return SC_OK;
	if ((st = pairs_sort(&l->pend)))
		return st;
	if (!(st = out_begin(&o, l, d))) {
		for (size_t i = 0; i < l->pend.n && !st; i++)
			st = out_pair(&o, l->pend.v[i].sid, l->pend.v[i].rid, d);
		st = out_end(&o, st, d);
	}
	if (!st)
		st = settle(l, d);
	if (!st)
		sc_lite_bysubj_drop(l);
	return st;
}

enum sc_status sc_lite_bysubj_build(struct lite *l, struct sc_diag *d)
{
	sqlite3_stmt *s = NULL;
	struct out o;
	enum sc_status st;
	int rc = SQLITE_DONE;

	if ((st = sc_lite_prepare(l, "SELECT subject, rid FROM records ORDER BY subject, rid", &s, d)))
		return st;
	if (!(st = out_begin(&o, l, d))) {
		while (!st && (rc = sqlite3_step(s)) == SQLITE_ROW)
			st = out_pair(&o, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), d);
		if (!st && rc != SQLITE_DONE)
			st = sc_lite_db_err(l, d, "cannot read the records");
		st = out_end(&o, st, d);
	}
	sqlite3_finalize(s);
	return st;
}

/* ---- lookups: subject_rids(subject) ---- */

struct rids {
	int64_t *v;
	size_t n, cap;
};

static bool rids_add(struct rids *r, int64_t rid)
{
	if (!sc_grow((void **)&r->v, &r->cap, r->n + 1, sizeof(*r->v)))
		return false;
	r->v[r->n++] = rid;
	return true;
}

static int rid_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Every rid filed under sid, ascending, each once; q is the chunk query. */
static enum sc_status rids_of(struct lite *l, sqlite3_stmt *q, int64_t sid, struct rids *out,
			      struct sc_diag *d)
{
	enum sc_status st = SC_OK;
	size_t k = 0;
	int rc;

	out->n = 0;
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, sid);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_blob(q, 2);
		const unsigned char *end = p + sqlite3_column_bytes(q, 2);
		int64_t s = sqlite3_column_int64(q, 1), r = 0;
		int got;
		while ((got = chunk_next(&p, end, &s, &r)) > 0 && s <= sid)
			if (s == sid && !rids_add(out, r)) {
				st = SC_ENOMEM;
				goto done;
			}
		if (got < 0) {
			st = damaged(l, sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1), d);
			goto done;
		}
	}
	if (rc != SQLITE_DONE) {
		st = sc_lite_db_err(l, d, "cannot read the subject index");
		goto done;
	}
	for (size_t i = 0; i < l->pend.n; i++)
		if (l->pend.v[i].sid == sid && !rids_add(out, l->pend.v[i].rid)) {
			st = SC_ENOMEM;
			goto done;
		}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), rid_cmp);
	for (size_t i = 0; i < out->n; i++)
		if (!k || out->v[k - 1] != out->v[i])
			out->v[k++] = out->v[i];
	out->n = k;
done:
	sqlite3_reset(q);
	return st;
}

struct vt {
	sqlite3_vtab base;
	struct lite *l;
	sqlite3_stmt *q; /* prepared at the first lookup */
};

struct vt_cursor {
	sqlite3_vtab_cursor base;
	struct rids r;
	size_t i;
	int64_t sid;
};

static int vt_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
		      sqlite3_vtab **out, char **err)
{
	struct vt *v;
	int rc;

	(void)argc;
	(void)argv;
	(void)err;
	if ((rc = sqlite3_declare_vtab(db, "CREATE TABLE x(rid INTEGER, subject HIDDEN)")))
		return rc;
	if (!(v = sqlite3_malloc(sizeof(*v))))
		return SQLITE_NOMEM;
	memset(v, 0, sizeof(*v));
	v->l = aux;
	*out = &v->base;
	return SQLITE_OK;
}

static int vt_disconnect(sqlite3_vtab *base)
{
	struct vt *v = (struct vt *)base;

	sqlite3_finalize(v->q);
	sqlite3_free(v);
	return SQLITE_OK;
}

/* Only with subject = ?: a plan without it is refused. */
static int vt_best_index(sqlite3_vtab *base, sqlite3_index_info *info)
{
	(void)base;
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		if (c->iColumn == 1 && c->op == SQLITE_INDEX_CONSTRAINT_EQ && c->usable) {
			info->aConstraintUsage[i].argvIndex = 1;
			info->aConstraintUsage[i].omit = 1;
			info->idxNum = 1;
			info->estimatedCost = 20;
			info->estimatedRows = 16;
			if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == 0 &&
			    !info->aOrderBy[0].desc)
				info->orderByConsumed = 1;
			return SQLITE_OK;
		}
	}
	return SQLITE_CONSTRAINT;
}

static int vt_open(sqlite3_vtab *base, sqlite3_vtab_cursor **out)
{
	struct vt_cursor *c = sqlite3_malloc(sizeof(*c));

	(void)base;
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	*out = &c->base;
	return SQLITE_OK;
}

static int vt_close(sqlite3_vtab_cursor *base)
{
	struct vt_cursor *c = (struct vt_cursor *)base;

	free(c->r.v);
	sqlite3_free(c);
	return SQLITE_OK;
}

static int vt_filter(sqlite3_vtab_cursor *base, int idx, const char *idx_str, int argc,
		     sqlite3_value **argv)
{
	struct vt_cursor *c = (struct vt_cursor *)base;
	struct vt *v = (struct vt *)base->pVtab;
	struct sc_diag d;
	enum sc_status st;

	(void)idx;
	(void)idx_str;
	c->r.n = c->i = 0;
	if (argc < 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return SQLITE_OK;
	c->sid = sqlite3_value_int64(argv[0]);
	/* a chunk per run: the last one that starts at or before the subject
	 * (CROSS JOIN: runs first, or SQLite scans every chunk) */
	if (!v->q && sqlite3_prepare_v3(v->l->db,
					"SELECT r.run, c.low, c.data FROM subject_runs r"
					" CROSS JOIN subject_chunks c ON c.run = r.run AND c.low ="
					" (SELECT max(low) FROM subject_chunks WHERE run = r.run AND low <= ?1)",
					-1, SQLITE_PREPARE_PERSISTENT, &v->q, NULL) != SQLITE_OK)
		return SQLITE_ERROR;
	if ((st = rids_of(v->l, v->q, c->sid, &c->r, &d))) {
		sqlite3_free(base->pVtab->zErrMsg);
		base->pVtab->zErrMsg = sqlite3_mprintf("%s", st == SC_ENOMEM ? "out of memory" : d.message);
		return st == SC_ENOMEM ? SQLITE_NOMEM : SQLITE_CORRUPT;
	}
	return SQLITE_OK;
}

static int vt_next(sqlite3_vtab_cursor *base)
{
	((struct vt_cursor *)base)->i++;
	return SQLITE_OK;
}

static int vt_eof(sqlite3_vtab_cursor *base)
{
	struct vt_cursor *c = (struct vt_cursor *)base;
	return c->i >= c->r.n;
}

static int vt_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int col)
{
	struct vt_cursor *c = (struct vt_cursor *)base;

	sqlite3_result_int64(ctx, col == 0 ? c->r.v[c->i] : c->sid);
	return SQLITE_OK;
}

static int vt_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid)
{
	struct vt_cursor *c = (struct vt_cursor *)base;

	*rowid = c->r.v[c->i];
	return SQLITE_OK;
}

static const sqlite3_module module = {
	.iVersion = 0,
	.xCreate = NULL, /* eponymous only: subject_rids(?) in a FROM clause */
	.xConnect = vt_connect,
	.xBestIndex = vt_best_index,
	.xDisconnect = vt_disconnect,
	.xDestroy = vt_disconnect,
	.xOpen = vt_open,
	.xClose = vt_close,
	.xFilter = vt_filter,
	.xNext = vt_next,
	.xEof = vt_eof,
	.xColumn = vt_column,
	.xRowid = vt_rowid,
};

enum sc_status sc_lite_bysubj_register(struct lite *l, struct sc_diag *d)
{
	if (sqlite3_create_module_v2(l->db, "subject_rids", &module, l, NULL) != SQLITE_OK)
		return sc_lite_db_err(l, d, "cannot register subject_rids");
	return SC_OK;
}
