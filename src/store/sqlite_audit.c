/* The SQLite backend's audit trail. The chain's hash function is the core's
 * (sc_audit_hash), so every backend chains the same way.
 *
 * Entries are stored a batch at a time: one row of audit_blocks per append,
 * (seq of its first entry, count, hash of its last entry, data), the data
 * holding each entry's fields, every string as the length of the prefix it
 * shares with the entry before and the rest. Consecutive checks share most
 * of their stamp, action and result, so an entry takes about 16 bytes and an
 * append one row, where a row per entry (the audit table, still read for the
 * entries written before schema 10) took several hundred bytes with its
 * hashes and cost a B-tree insert each. seq is implicit: the block's first
 * plus the entry's place in it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "sqlite_impl.h"

/* ---- encoding ---- */

/* s as the length it shares with prev, the length of the rest, the rest */
static bool put_str(struct sc_buf *b, const char *prev, const char *s)
{
	size_t shared = 0, len = strlen(s);

	while (prev[shared] && prev[shared] == s[shared])
		shared++;
	if (!sc_buf_room(b, 20 + len - shared))
		return false;
	sc_buf_varint(b, shared);
	sc_buf_varint(b, len - shared);
	memcpy(b->p + b->len, s + shared, len - shared);
	b->len += len - shared;
	return true;
}

static bool put_entry(struct sc_buf *b, const struct sc_audit_entry *prev,
		      const struct sc_audit_entry *e)
{
	uint64_t key = ((uint64_t)e->key_id << 1) ^ (uint64_t)(e->key_id >> 63);

	if (!put_str(b, prev->at, e->at) || !sc_buf_room(b, 11))
		return false;
	sc_buf_varint(b, key);
	b->p[b->len++] = (unsigned char)e->role;
	return put_str(b, prev->action, e->action) && put_str(b, prev->subject, e->subject) &&
	       put_str(b, prev->result, e->result);
}

/* ---- decoding ---- */

struct field {
	char *s;
	size_t len, cap;
};

/* A block being read: its entries one by one. The strings handed out live
 * in the fields until the next entry. */
struct dec {
	const unsigned char *p, *end;
	int64_t seq; /* of the entry last read */
	struct field f[4]; /* at, action, subject, result */
};

static bool get_varint(struct dec *x, uint64_t *v)
{
	return sc_varint_get(&x->p, x->end, v);
}

static bool get_str(struct dec *x, struct field *f)
{
	uint64_t shared, rest;

	if (!get_varint(x, &shared) || !get_varint(x, &rest) || shared > f->len ||
	    rest > (uint64_t)(x->end - x->p))
		return false;
	if (shared + rest + 1 > f->cap) {
		size_t cap = shared + rest + 64;
		char *s = realloc(f->s, cap);
		if (!s)
			return false;
		f->s = s;
		f->cap = cap;
	}
	memcpy(f->s + shared, x->p, rest);
	x->p += rest;
	f->len = shared + rest;
	f->s[f->len] = '\0';
	return true;
}

static void dec_start(struct dec *x, int64_t first, const void *data, int len)
{
	x->p = data;
	x->end = x->p + (len > 0 ? len : 0);
	x->seq = first - 1;
	for (int i = 0; i < 4; i++) {
		x->f[i].len = 0;
		if (x->f[i].s)
			x->f[i].s[0] = '\0';
	}
}

static void dec_free(struct dec *x)
{
	for (int i = 0; i < 4; i++)
		free(x->f[i].s);
}

/* 1: the next entry in e; 0: the block's end; -1: damaged (or no memory) */
static int dec_next(struct dec *x, struct sc_audit_entry *e)
{
	uint64_t key;

	if (x->p == x->end)
		return 0;
	if (!get_str(x, &x->f[0]) || !get_varint(x, &key) || x->p == x->end)
		return -1;
	e->role = (enum sc_role)*x->p++;
	if (!get_str(x, &x->f[1]) || !get_str(x, &x->f[2]) || !get_str(x, &x->f[3]))
		return -1;
	e->seq = ++x->seq;
	e->node = 0; /* the ledger's one chain */
	e->key_id = (int64_t)(key >> 1) ^ -(int64_t)(key & 1);
	e->at = x->f[0].s;
	e->action = x->f[1].s;
	e->subject = x->f[2].s;
	e->result = x->f[3].s;
	return 1;
}

static enum sc_status damaged(struct lite *l, int64_t first, struct sc_diag *d)
{
	return sc_diag_set(d, SC_ECORRUPT, l->path, 0, 0, NULL,
			   "the audit block from entry %lld is damaged", (long long)first);
}

/* ---- hashing ---- */

/* The first entry hashed with sc_audit_hash, the length-prefixed encoding:
 * the ledger's entries before it keep the one they were written with
 * (sc_audit_hash_v1). Every entry appended after the migration that sets
 * it is past it. */
static int64_t hashed_v2_from(struct lite *l, enum sc_status *st, struct sc_diag *d)
{
	int64_t v = sc_lite_int_query(l, "SELECT coalesce((SELECT CAST(value AS INTEGER) FROM meta"
				      " WHERE key = 'audit_v2_from'), 1)", st, d);

	return *st ? 0 : v;
}

static void entry_hash(int64_t v2_from, const struct sc_audit_entry *e, const char *prev,
		       char hash[SC_HASH_HEX])
{
	if (e->seq < v2_from)
		sc_audit_hash_v1(e, prev, hash);
	else
		sc_audit_hash(e, prev, hash);
}

/* ---- reading ---- */

#define AUDIT_COLS "seq, at, key_id, role, action, subject, result, prev, hash"

static void read_row(sqlite3_stmt *s, struct sc_audit_entry *e)
{
	e->seq = sqlite3_column_int64(s, 0);
	e->at = (const char *)sqlite3_column_text(s, 1);
	e->key_id = sqlite3_column_int64(s, 2);
	e->role = SC_ROLE_PUBLIC;
	sc_role_parse((const char *)sqlite3_column_text(s, 3), &e->role);
	e->action = (const char *)sqlite3_column_text(s, 4);
	e->subject = (const char *)sqlite3_column_text(s, 5);
	e->result = (const char *)sqlite3_column_text(s, 6);
	e->node = 0;
}

static enum sc_status last_entry(struct lite *l, int64_t *seq, char prev[SC_HASH_HEX],
				 struct sc_diag *d)
{
	static const char *const sql[] = {
		"SELECT seq + n - 1, hash FROM audit_blocks ORDER BY seq DESC LIMIT 1",
		"SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"};
	enum sc_status st = SC_OK;

	*seq = 0;
	prev[0] = '\0';
	for (int i = 0; i < 2 && !st; i++) {
		sqlite3_stmt *s = NULL;
		int rc;
		if ((st = sc_lite_prepare(l, sql[i], &s, d)))
			return st;
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			*seq = sqlite3_column_int64(s, 0);
			sc_lite_col(prev, SC_HASH_HEX, s, 1);
			sqlite3_finalize(s);
			return SC_OK;
		}
		if (rc != SQLITE_DONE)
			st = sc_lite_db_err(l, d, "cannot read the audit log");
		sqlite3_finalize(s);
	}
	return st;
}

/* Every entry after seq `after`, in order: the rows of the audit table
 * (entries written before schema 10), then the blocks. subject non-NULL:
 * only its entries. */
static enum sc_status each(struct lite *l, int64_t after, const char *subject,
			   sc_store_audit_fn cb, void *ctx, struct sc_diag *d)
{
	sqlite3_stmt *s = NULL;
	struct dec x = {0};
	enum sc_status st;
	int rc;

	if ((st = sc_lite_prepare(l, subject ? "SELECT " AUDIT_COLS " FROM audit WHERE seq > ?1"
					       " AND subject = ?2 ORDER BY seq"
					     : "SELECT " AUDIT_COLS " FROM audit WHERE seq > ?1 ORDER BY seq",
				  &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, after);
	if (subject)
		sqlite3_bind_text(s, 2, subject, -1, SQLITE_STATIC);
	while (!st && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sc_audit_entry e;
		read_row(s, &e);
		st = cb(ctx, &e);
	}
	if (!st && rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot read the audit log");
	sqlite3_finalize(s);
	s = NULL;
	/* from the block holding entry after + 1 */
	if (st || (st = sc_lite_prepare(l, "SELECT seq, n, data FROM audit_blocks WHERE seq >="
					" coalesce((SELECT max(seq) FROM audit_blocks WHERE seq <= ?1), 0)"
					" ORDER BY seq", &s, d)))
		goto done;
	sqlite3_bind_int64(s, 1, after + 1);
	while (!st && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t first = sqlite3_column_int64(s, 0), n = sqlite3_column_int64(s, 1);
		struct sc_audit_entry e;
		int got;
		dec_start(&x, first, sqlite3_column_blob(s, 2), sqlite3_column_bytes(s, 2));
		while (!st && (got = dec_next(&x, &e)) == 1)
			if (e.seq > after && (!subject || !strcmp(e.subject, subject)))
				st = cb(ctx, &e);
		if (!st && (got < 0 || x.seq != first + n - 1))
			st = damaged(l, first, d);
	}
	if (!st && rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot read the audit log");
done:
	sqlite3_finalize(s);
	dec_free(&x);
	return st;
}

/* Entries by seq, in increasing order: the block a seq is in is read once
 * for all the seqs asked of it in a row. */
struct by_seq {
	struct lite *l;
	sqlite3_stmt *row, *blk;
	bool open; /* blk holds a block, x reads it */
	int64_t first, n;
	struct dec x;
};

static enum sc_status by_seq_get(struct by_seq *b, int64_t seq, sc_store_audit_fn cb,
				 void *ctx, struct sc_diag *d)
{
	struct sc_audit_entry e;
	enum sc_status st;
	int rc, got;

	if (!b->row &&
	    ((st = sc_lite_prepare(b->l, "SELECT " AUDIT_COLS " FROM audit WHERE seq = ?1", &b->row, d)) ||
	     (st = sc_lite_prepare(b->l, "SELECT seq, n, data FROM audit_blocks WHERE seq <= ?1"
				   " ORDER BY seq DESC LIMIT 1", &b->blk, d))))
		return st;
	if (!b->open || seq < b->first || seq >= b->first + b->n || seq <= b->x.seq) {
		sqlite3_reset(b->blk);
		b->open = false;
		sqlite3_bind_int64(b->blk, 1, seq);
		rc = sqlite3_step(b->blk);
		if (rc == SQLITE_ROW) {
			b->first = sqlite3_column_int64(b->blk, 0);
			b->n = sqlite3_column_int64(b->blk, 1);
		}
		if (rc != SQLITE_ROW || seq >= b->first + b->n) {
			/* not in a block: a row of the audit table */
			if (rc != SQLITE_ROW && rc != SQLITE_DONE)
				return sc_lite_db_err(b->l, d, "cannot read the audit log");
			sqlite3_reset(b->row);
			sqlite3_bind_int64(b->row, 1, seq);
			if ((rc = sqlite3_step(b->row)) == SQLITE_ROW) {
				read_row(b->row, &e);
				return cb(ctx, &e);
			}
			if (rc != SQLITE_DONE)
				return sc_lite_db_err(b->l, d, "cannot read the audit log");
			return sc_diag_set(d, SC_ECORRUPT, b->l->path, 0, 0, NULL,
					   "audit entry %lld is indexed but missing", (long long)seq);
		}
		dec_start(&b->x, b->first, sqlite3_column_blob(b->blk, 2),
			  sqlite3_column_bytes(b->blk, 2));
		b->open = true;
	}
	while ((got = dec_next(&b->x, &e)) == 1 && e.seq < seq)
		;
	if (got != 1)
		return damaged(b->l, b->first, d);
	return cb(ctx, &e);
}

static void by_seq_free(struct by_seq *b)
{
	sqlite3_finalize(b->row);
	sqlite3_finalize(b->blk);
	dec_free(&b->x);
}

/* ---- the subject index ---- */

/* An entry of the open segment, for its index: ordered by segment, then
 * subject (its first 16 bytes as two big-endian words, where most
 * comparisons end; then the rest), then seq. */
struct key {
	uint64_t h0, h1;
	int64_t seq;
	uint32_t off; /* the subject, in the pool */
};
#define KEY_SEG(k) (((k)->seq - 1) >> AUDIT_SEG_BITS)

/* The open segment's entries, kept between appends in sorted runs: each
 * append sorts its own entries as a run and merges runs of like size, so
 * the append that fills a segment merges the few runs left and writes the
 * index, without reading the segment back or sorting it whole. That took
 * 40 to 180 ms of the server's audit writer at once, every 131,072 checks
 * (now 10 to 30 ms), and 0.36 us of its time per entry (now 0.22). */
struct sc_lite_audit {
	int64_t lo;   /* the segment's first entry is lo + 1 */
	int64_t last; /* entries (lo, last] are in k; -1: not known */
	struct key *k, *aux; /* aux: as many, for sorting and merging */
	size_t n, cap;
	size_t run[64]; /* k is sorted runs, each from run[i] */
	int nrun;
	struct sc_buf pool; /* subjects, NUL-terminated */
};

void sc_lite_audit_free(struct sc_lite_audit *a)
{
	if (!a)
		return;
	free(a->k);
	free(a->aux);
	free(a->pool.p);
	free(a);
}

static int key_cmp(const struct key *x, const struct key *y, const unsigned char *pool)
{
	int c;

	if (KEY_SEG(x) != KEY_SEG(y))
		return KEY_SEG(x) < KEY_SEG(y) ? -1 : 1;
	if (x->h0 != y->h0)
		return x->h0 < y->h0 ? -1 : 1;
	if (x->h1 != y->h1)
		return x->h1 < y->h1 ? -1 : 1;
	/* the same 16 bytes: the same subject if it is shorter (no NUL
	 * inside a subject), else the rest decides */
	if ((x->h1 & 0xff) &&
	    (c = strcmp((const char *)pool + x->off + 16, (const char *)pool + y->off + 16)))
		return c;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Sorts k[0, n) with aux (room for n / 2): a merge sort with the
 * comparison inlined, where qsort's indirect calls took most of a sort */
static void keys_sort(struct key *k, struct key *aux, size_t n, const unsigned char *pool)
{
	size_t h = n / 2, i = 0, j = h, o = 0;

	if (n < 16) {
		for (size_t a = 1; a < n; a++) {
			struct key t = k[a];
			size_t b = a;
			for (; b > 0 && key_cmp(&k[b - 1], &t, pool) > 0; b--)
				k[b] = k[b - 1];
			k[b] = t;
		}
		return;
	}
	keys_sort(k, aux, h, pool);
	keys_sort(k + h, aux, n - h, pool);
	if (key_cmp(&k[h - 1], &k[h], pool) < 0)
		return; /* in order already */
	/* the left half moved out; writing at o never passes the right
	 * half's next unread key (o = i + j - h <= j) */
	memcpy(aux, k, h * sizeof(*k));
	while (i < h && j < n)
		k[o++] = key_cmp(&aux[i], &k[j], pool) <= 0 ? aux[i++] : k[j++];
	while (i < h)
		k[o++] = aux[i++];
}

/* Entry (seq, subject) into the open segment's keys, unsorted at the end. */
static bool key_add(struct sc_lite_audit *a, int64_t seq, const char *subject)
{
	size_t len = strlen(subject) + 1;
	struct key *k;

	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 1024;
		struct key *nk = realloc(a->k, cap * sizeof(*nk)), *na;
		if (!nk)
			return false;
		a->k = nk;
		if (!(na = realloc(a->aux, cap * sizeof(*na))))
			return false;
		a->aux = na;
		a->cap = cap;
	}
	if (a->pool.len + len > UINT32_MAX || !sc_buf_room(&a->pool, len))
		return false;
	k = &a->k[a->n++];
	*k = (struct key){.seq = seq, .off = (uint32_t)a->pool.len};
	{
		unsigned char h[16] = {0};
		memcpy(h, subject, len - 1 < 16 ? len - 1 : 16);
		for (int i = 0; i < 8; i++) {
			k->h0 = k->h0 << 8 | h[i];
			k->h1 = k->h1 << 8 | h[8 + i];
		}
	}
	memcpy(a->pool.p + a->pool.len, subject, len);
	a->pool.len += len;
	return true;
}

/* Merges the sorted runs k[lo, mid) and k[mid, hi), the right one moved
 * out and merged in from the end. */
static void keys_join(struct sc_lite_audit *a, size_t lo, size_t mid, size_t hi)
{
	size_t i = mid, j = hi - mid, o = hi;
	struct key *k = a->k, *t = a->aux;

	if (lo == mid || mid == hi || key_cmp(&k[mid - 1], &k[mid], a->pool.p) < 0)
		return;
	memcpy(t, k + mid, (hi - mid) * sizeof(*k));
	while (j > 0) /* o = i + j: never past a key of the left run not yet moved */
		k[--o] = i > lo && key_cmp(&k[i - 1], &t[j - 1], a->pool.p) > 0 ? k[--i] : t[--j];
}

/* Sorts the keys from `from` on as a run of their own, then merges the
 * last two runs while the last is at least half the one before: runs halve
 * (at most 64 of them), and a key is moved about log2(segment / append)
 * times in all, a little at each append (merging every append into one
 * sorted whole moved the whole segment each time). all: down to one run. */
static void keys_runs(struct sc_lite_audit *a, size_t from, bool all)
{
	if (from < a->n) {
		keys_sort(a->k + from, a->aux, a->n - from, a->pool.p);
		a->run[a->nrun++] = from;
	}
	while (a->nrun >= 2) {
		size_t lo = a->run[a->nrun - 2], mid = a->run[a->nrun - 1];
		if (!all && 2 * (a->n - mid) < mid - lo)
			break;
		keys_join(a, lo, mid, a->n);
		a->nrun--;
	}
}

static enum sc_status collect(void *ctx, const struct sc_audit_entry *e)
{
	struct sc_lite_audit *a = ctx;

	if (e->seq <= a->lo || e->seq > a->last || !e->subject[0])
		return SC_OK;
	return key_add(a, e->seq, e->subject) ? SC_OK : SC_ENOMEM;
}

static enum sc_status no_memory(struct lite *l, struct sc_diag *d)
{
	return sc_diag_set(d, SC_ENOMEM, l->path, 0, 0, NULL, "out of memory indexing the audit log");
}

/* The keys of the segment entry `first` is in, up to first - 1: kept from
 * the last append when it ended there, else read back from the log (the
 * first append of a handle, or after another handle appended). */
static enum sc_status keys_reach(struct lite *l, int64_t first, struct sc_diag *d)
{
	struct sc_lite_audit *a = l->audit;
	int64_t lo = ((first - 1) >> AUDIT_SEG_BITS) << AUDIT_SEG_BITS;
	enum sc_status st;

	if (!a && !(a = l->audit = calloc(1, sizeof(*a))))
		return no_memory(l, d);
	if (a->last == first - 1 && a->lo == lo)
		return SC_OK;
	a->n = 0;
	a->nrun = 0;
	a->pool.len = 0;
	a->lo = lo;
	a->last = first - 1;
	if (lo < first - 1 && (st = each(l, lo, NULL, collect, a, d))) {
		a->last = -1;
		return st == SC_ENOMEM ? no_memory(l, d) : st;
	}
	keys_runs(a, 0, false);
	return SC_OK;
}

/* Writes the index of every segment entries up to `to` filled: the keys'
 * segments before to's, in rows of audit_subjects keyed by (segment, first
 * subject), each a chunk of subjects coded as in a block and the entries'
 * places in the segment. The index B-tree grows at its right edge only, by
 * a row per AUDIT_CHUNK entries. The keys left start the next segment. */
static enum sc_status keys_flush(struct lite *l, int64_t to, struct sc_diag *d)
{
	struct sc_lite_audit *a = l->audit;
	int64_t hi = (to >> AUDIT_SEG_BITS) << AUDIT_SEG_BITS;
	const char *pool = (const char *)a->pool.p;
	struct sc_buf chunk = {0}, keep = {0};
	sqlite3_stmt *s = NULL;
	size_t full = 0;
	enum sc_status st = SC_OK;

	if (hi <= a->lo)
		return SC_OK;
	keys_runs(a, a->n, true);
	while (full < a->n && a->k[full].seq <= hi)
		full++;
	if ((st = sc_lite_prepare(l, "INSERT INTO audit_subjects(seg, low, data) VALUES(?1, ?2, ?3)",
				  &s, d)))
		goto done;
	/* chunks of about AUDIT_CHUNK entries, cut only where the subject
	 * changes: a subject's entries in a segment are in one chunk */
	for (size_t i = 0, start = 0; i < full; i++) {
		const struct key *k = &a->k[i];
		const char *subj = pool + k->off, *next = i + 1 < full ? pool + a->k[i + 1].off : NULL;
		if (!sc_buf_room(&chunk, 10) ||
		    !put_str(&chunk, i > start ? pool + a->k[i - 1].off : "", subj) ||
		    !sc_buf_room(&chunk, 10)) {
			st = no_memory(l, d);
			goto done;
		}
		sc_buf_varint(&chunk, (uint64_t)(k->seq - (KEY_SEG(k) << AUDIT_SEG_BITS)));
		if (next && KEY_SEG(&a->k[i + 1]) == KEY_SEG(k) &&
		    (i + 1 - start < AUDIT_CHUNK || !strcmp(next, subj)))
			continue;
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, KEY_SEG(k));
		sqlite3_bind_text(s, 2, pool + a->k[start].off, -1, SQLITE_STATIC);
		sqlite3_bind_blob(s, 3, chunk.p, (int)chunk.len, SQLITE_STATIC);
		if (chunk.len > INT32_MAX || sqlite3_step(s) != SQLITE_DONE) {
			st = sc_lite_db_err(l, d, "cannot index the audit log");
			goto done;
		}
		chunk.len = 0;
		start = i + 1;
	}
	/* the keys of the next segment, their subjects gathered aside and
	 * put back at the pool's start (the pool keeps its memory) */
	for (size_t i = full; i < a->n; i++) {
		size_t len = strlen(pool + a->k[i].off) + 1;
		if (!sc_buf_room(&keep, len)) {
			st = no_memory(l, d);
			goto done;
		}
		memcpy(keep.p + keep.len, pool + a->k[i].off, len);
		a->k[i].off = (uint32_t)keep.len;
		keep.len += len;
	}
	if (keep.len)
		memcpy(a->pool.p, keep.p, keep.len);
	a->pool.len = keep.len;
	memmove(a->k, a->k + full, (a->n - full) * sizeof(*a->k));
	a->n -= full;
	a->run[0] = 0;
	a->nrun = a->n > 0;
	a->lo = hi;
done:
	sqlite3_finalize(s);
	free(chunk.p);
	free(keep.p);
	return st;
}

/* Entries e[0, n), seqs first.. , into the open segment's keys; the index
 * of any segment they fill written. On failure the keys are left unknown,
 * to be read back at the next append. */
static enum sc_status keys_append(struct lite *l, int64_t first, const struct sc_audit_entry *e,
				  size_t n, struct sc_diag *d)
{
	struct sc_lite_audit *a;
	size_t from;
	enum sc_status st;

	if ((st = keys_reach(l, first, d)))
		return st;
	a = l->audit;
	from = a->n;
	for (size_t i = 0; i < n; i++)
		if (e[i].subject[0] && !key_add(a, e[i].seq, e[i].subject))
			goto nomem;
	keys_runs(a, from, false);
	a->last = first + (int64_t)n - 1;
	if ((st = keys_flush(l, a->last, d)))
		a->last = -1;
	return st;
nomem:
	a->last = -1;
	return no_memory(l, d);
}

/* The seqs of subject's entries in a chunk of segment seg, into h. */
struct hits {
	int64_t *seq;
	size_t n, cap;
};

static enum sc_status chunk_hits(struct lite *l, int64_t seg, const void *data, int len,
				 const char *subject, struct hits *h, struct sc_diag *d)
{
	struct dec x;
	enum sc_status st = SC_OK;
	uint64_t at;

	memset(&x, 0, sizeof(x));
	dec_start(&x, 1, data, len);
	while (x.p < x.end) {
		int c;
		if (!get_str(&x, &x.f[0]) || !get_varint(&x, &at) || at < 1 ||
		    at > ((uint64_t)1 << AUDIT_SEG_BITS)) {
			st = sc_diag_set(d, SC_ECORRUPT, l->path, 0, 0, NULL,
					 "the audit index of segment %lld is damaged", (long long)seg);
			break;
		}
		if ((c = strcmp(x.f[0].s, subject)) > 0)
			break; /* sorted: past it */
		if (c)
			continue;
		if (h->n == h->cap) {
			size_t cap = h->cap ? 2 * h->cap : 64;
			int64_t *p = realloc(h->seq, cap * sizeof(*p));
			if (!p) {
				st = sc_diag_set(d, SC_ENOMEM, l->path, 0, 0, NULL,
						 "out of memory reading the audit index");
				break;
			}
			h->seq = p;
			h->cap = cap;
		}
		h->seq[h->n++] = (seg << AUDIT_SEG_BITS) + (int64_t)at;
	}
	dec_free(&x);
	return st;
}

/* ---- the calls ---- */

enum sc_status sc_lite_audit_append(void *impl, struct sc_audit_entry *e,
				    size_t n, struct sc_diag *d)
{
	static const struct sc_audit_entry none = {.at = "", .action = "", .subject = "",
						   .result = ""};
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	char prev[SC_HASH_HEX], hash[SC_HASH_HEX];
	struct sc_buf b = {0};
	struct sc_lite_tree *tree = NULL;
	int64_t seq, first;
	enum sc_status st;

	if (!n)
		return SC_OK;
	switch (sqlite3_exec(l->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) {
	case SQLITE_OK:
		break;
	case SQLITE_BUSY:
		return sc_diag_set(d, SC_EBUSY, l->path, 0, 0, NULL,
				   "another connection kept the ledger's write lock");
	default:
		return sc_lite_db_err(l, d, "cannot begin a transaction");
	}
	if ((st = last_entry(l, &seq, prev, d)))
		goto fail;
	first = seq + 1;
	if ((st = sc_lite_tree_begin(l, first, &tree, d)))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		e[i].seq = ++seq;
		sc_audit_hash(&e[i], prev, hash);
		if ((st = sc_lite_tree_add(l, tree, hash, d)))
			goto fail;
		memcpy(prev, hash, SC_HASH_HEX);
		if (!put_entry(&b, i ? &e[i - 1] : &none, &e[i])) {
			st = sc_diag_set(d, SC_ENOMEM, l->path, 0, 0, NULL,
					 "out of memory writing the audit log");
			goto fail;
		}
	}
	if ((st = sc_lite_prepare(l, "INSERT INTO audit_blocks(seq, n, hash, data)"
				  " VALUES(?1, ?2, ?3, ?4)", &s, d)))
		goto fail;
	sqlite3_bind_int64(s, 1, first);
	sqlite3_bind_int64(s, 2, (int64_t)n);
	sqlite3_bind_text(s, 3, prev, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, b.p, (int)b.len, SQLITE_STATIC);
	if (b.len > INT32_MAX || sqlite3_step(s) != SQLITE_DONE) {
		st = sc_lite_db_err(l, d, "cannot append to the audit log");
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	free(b.p);
	b.p = NULL;
	if ((st = keys_append(l, first, e, n, d)) || (st = sc_lite_tree_end(l, tree, d)))
		goto fail;
	l->quiet = true; /* the audit log is no subject's file */
	st = sc_lite_exec(l, "COMMIT", d);
	l->quiet = false;
	if (st && l->audit)
		l->audit->last = -1;
	return st;
fail:
	sqlite3_finalize(s);
	free(b.p);
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	if (l->audit)
		l->audit->last = -1;
	return st;
}

static enum sc_status count_entry(void *ctx, const struct sc_audit_entry *e, const char *prev_hex,
				  const char *hash_hex)
{
	(void)e;
	(void)prev_hex;
	(void)hash_hex;
	(*(uint64_t *)ctx)++;
	return SC_OK;
}

/* The whole chain (the ledger's one, node 0), recomputed by the walk (a
 * gap, a broken link or a changed field all break it); v->count entries. */
enum sc_status sc_lite_audit_verify(void *impl, struct sc_audit_verdict *v, struct sc_diag *d)
{
	v->count = 0;
	v->chains = 1;
	v->node = 0;
	return sc_lite_audit_walk(impl, 1, -1, count_entry, &v->count, &v->bad, d);
}

/* In one read transaction: the indexed segments, one seek each, then the
 * unfilled tail by scan. Subject "": every entry. */
enum sc_status sc_lite_audit_subject(void *impl, const char *subject,
				     sc_store_audit_fn cb, void *ctx,
				     struct sc_diag *d)
{
	struct lite *l = impl;
	struct by_seq b = {.l = impl};
	sqlite3_stmt *s = NULL;
	int64_t last, nseg;
	char prev[SC_HASH_HEX];
	enum sc_status st;
	struct hits hits = {0};
	int64_t old_segs;
	bool own_txn;
	int rc = SQLITE_DONE;

	own_txn = sc_lite_read_begin(l);
	if (!*subject) {
		st = each(l, 0, NULL, cb, ctx, d);
		goto done;
	}
	if ((st = last_entry(l, &last, prev, d)))
		goto done;
	nseg = last >> AUDIT_SEG_BITS;
	/* segments indexed before schema 11: a row per entry */
	if ((st = sc_lite_prepare(l, "SELECT coalesce(max(seg), -1) FROM audit_index", &s, d)))
		goto done;
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		st = sc_lite_db_err(l, d, "cannot read the audit index");
		goto done;
	}
	old_segs = sqlite3_column_int64(s, 0) + 1;
	sqlite3_finalize(s);
	s = NULL;
	if ((st = sc_lite_prepare(l, "SELECT seq FROM audit_index WHERE seg = ?1 AND subject = ?2"
				  " ORDER BY seq", &s, d)))
		goto done;
	sqlite3_bind_text(s, 2, subject, -1, SQLITE_STATIC);
	for (int64_t k = 0; k < old_segs && k < nseg && !st; k++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, k);
		while (!st && (rc = sqlite3_step(s)) == SQLITE_ROW)
			st = by_seq_get(&b, sqlite3_column_int64(s, 0), cb, ctx, d);
		if (!st && rc != SQLITE_DONE)
			st = sc_lite_db_err(l, d, "cannot read the audit index");
	}
	sqlite3_finalize(s);
	s = NULL;
	/* then the chunk that would hold the subject, in each segment */
	if (st || (st = sc_lite_prepare(l, "SELECT data FROM audit_subjects WHERE seg = ?1 AND low <= ?2"
					" ORDER BY low DESC LIMIT 1", &s, d)))
		goto done;
	sqlite3_bind_text(s, 2, subject, -1, SQLITE_STATIC);
	for (int64_t k = old_segs; k < nseg && !st; k++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, k);
		if ((rc = sqlite3_step(s)) == SQLITE_ROW)
			st = chunk_hits(l, k, sqlite3_column_blob(s, 0), sqlite3_column_bytes(s, 0),
					subject, &hits, d);
		else if (rc != SQLITE_DONE)
			st = sc_lite_db_err(l, d, "cannot read the audit index");
		for (size_t i = 0; i < hits.n && !st; i++)
			st = by_seq_get(&b, hits.seq[i], cb, ctx, d);
		hits.n = 0;
	}
	if (!st)
		st = each(l, nseg << AUDIT_SEG_BITS, subject, cb, ctx, d);
done:
	sqlite3_finalize(s);
	free(hits.seq);
	by_seq_free(&b);
	sc_lite_read_end(l, own_txn);
	return st;
}

/* ---- the chain entry by entry: the Merkle tree's leaves ---- */

/* The chain's hash before entry seq: the stored hash of the block or row
 * before it ("" before the first entry). false: not found. */
static bool hash_before(struct lite *l, int64_t seq, char prev[SC_HASH_HEX], enum sc_status *st,
			struct sc_diag *d)
{
	static const char *const sql[] = {
		"SELECT hash FROM audit_blocks WHERE seq < ?1 ORDER BY seq DESC LIMIT 1",
		"SELECT hash FROM audit WHERE seq = ?1 - 1"};

	prev[0] = '\0';
	if (seq <= 1)
		return true;
	for (int i = 0; i < 2; i++) {
		sqlite3_stmt *s = NULL;
		int rc;
		if ((*st = sc_lite_prepare(l, sql[i], &s, d)))
			return false;
		sqlite3_bind_int64(s, 1, seq);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			sc_lite_col(prev, SC_HASH_HEX, s, 0);
		else if (rc != SQLITE_DONE)
			*st = sc_lite_db_err(l, d, "cannot read the audit log");
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return rc == SQLITE_ROW;
	}
	return false;
}

enum sc_status sc_lite_audit_walk(void *impl, int64_t from, int64_t to,
				  sc_store_audit_chain_fn cb, void *ctx, int64_t *bad,
				  struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	char prev[SC_HASH_HEX] = "", hash[SC_HASH_HEX];
	struct dec x = {0};
	int64_t expect, start = 0;
	bool rows = false, own = sc_lite_read_begin(l), check = bad != NULL;
	int64_t none;
	enum sc_status st = SC_OK;
	int rc;

	int64_t v2_from = hashed_v2_from(l, &st, d);

	if (st)
		goto done;
	if (!bad)
		bad = &none;
	*bad = 0;
	if (from < 1)
		from = 1;
	if (to < 0)
		to = INT64_MAX;
	expect = from;
	/* entries written before schema 10: rows with both hashes */
	if ((st = sc_lite_prepare(l, "SELECT " AUDIT_COLS " FROM audit WHERE seq >= ?1 AND seq <= ?2"
				  " ORDER BY seq", &s, d)))
		goto done;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, to);
	while (!st && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sc_audit_entry e;
		read_row(s, &e);
		if (!rows && from > 1)
			sc_lite_col(prev, SC_HASH_HEX, s, 7); /* chained on from the one before */
		rows = true;
		entry_hash(v2_from, &e, prev, hash);
		if (e.seq != expect || (check && (strcmp((const char *)sqlite3_column_text(s, 7), prev) ||
						  strcmp((const char *)sqlite3_column_text(s, 8), hash)))) {
			*bad = e.seq > expect ? expect : e.seq;
			goto broken;
		}
		st = cb(ctx, &e, prev, hash);
		memcpy(prev, hash, SC_HASH_HEX);
		expect++;
	}
	if (!st && rc != SQLITE_DONE)
		goto db_err;
	sqlite3_finalize(s);
	s = NULL;
	if (st || expect > to)
		goto done;
	/* then the blocks, from the one holding expect, chained on from the
	 * hash stored before it */
	if (!rows) {
		if ((st = sc_lite_prepare(l, "SELECT coalesce(max(seq), ?1) FROM audit_blocks"
					  " WHERE seq <= ?1", &s, d)))
			goto done;
		sqlite3_bind_int64(s, 1, expect);
		if (sqlite3_step(s) != SQLITE_ROW)
			goto db_err;
		start = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		s = NULL;
		if (!hash_before(l, start, prev, &st, d)) {
			if (!st)
				*bad = start;
			goto broken;
		}
	} else {
		start = expect;
	}
	if ((st = sc_lite_prepare(l, "SELECT seq, n, hash, data FROM audit_blocks"
				  " WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq", &s, d)))
		goto done;
	sqlite3_bind_int64(s, 1, start);
	sqlite3_bind_int64(s, 2, to);
	while (!st && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t first = sqlite3_column_int64(s, 0), n = sqlite3_column_int64(s, 1);
		struct sc_audit_entry e;
		int got;
		if (first < expect && !rows && first == start)
			expect = first; /* the block holding `from` */
		if (first != expect) {
			*bad = expect;
			goto broken;
		}
		dec_start(&x, first, sqlite3_column_blob(s, 3), sqlite3_column_bytes(s, 3));
		while (!st && (got = dec_next(&x, &e)) == 1) {
			entry_hash(v2_from, &e, prev, hash);
			if (e.seq >= from && e.seq <= to)
				st = cb(ctx, &e, prev, hash);
			memcpy(prev, hash, SC_HASH_HEX);
		}
		if (st)
			break;
		if (got < 0 || x.seq != first + n - 1 || n < 1 ||
		    (check && strcmp((const char *)sqlite3_column_text(s, 2), prev))) {
			*bad = first;
			goto broken;
		}
		expect = first + n;
	}
	if (!st && rc != SQLITE_DONE)
		goto db_err;
	if (!st && to != INT64_MAX && expect <= to) {
		*bad = expect;
		st = sc_diag_set(d, SC_ENOTFOUND, l->path, 0, 0, NULL,
				 "the audit log ends before entry %lld", (long long)expect);
	}
	goto done;
broken:
	st = sc_diag_set(d, SC_ECORRUPT, l->path, 0, 0, NULL,
			 "audit log broken at entry %lld", (long long)*bad);
	goto done;
db_err:
	st = sc_lite_db_err(l, d, "cannot read the audit log");
done:
	sqlite3_finalize(s);
	dec_free(&x);
	sc_lite_read_end(l, own);
	return st;
}
