/* The PostgreSQL backend's audit log: a hash chain per node, each with its
 * own Merkle tree (docs/internals/merkle.md).
 *
 * Chains. audit_nodes lists them: node 0 is the command line's, made with
 * the ledger; a server registers a new one each time it starts
 * (sc_store_audit_node), its id from the sequence audit_node_ids, so an id
 * is never given twice, even after a failed registration. Entries are seq
 * from 1 in each chain; the first is chained to the node
 * (sc_audit_genesis). Appends to one chain take its advisory lock
 * (SC_PQ_LOCK_AUDIT, node), never the ledger's writer lock: the server's
 * audit writer does not wait for an ingest, and two command-line
 * processes appending at once take turns on node 0.
 *
 * Entries are stored as SQLite's are, a batch at a time: one row of
 * audit_blocks per append, (node, seq of its first entry, n, hash of its
 * last entry, the entries coded as audit_block.h says). A row per entry
 * cost PostgreSQL a heap tuple and two index entries each, 30 to 60 us an
 * entry; a block costs one of each per append.
 *
 * The subject index: a chain's entries in segments of 2^SEG_BITS; the
 * append that fills a segment sorts its entries' (subject, seq) and writes
 * rows audit_subjects(node, seg, low, data), chunks of about CHUNK entries
 * cut where the subject changes (low: its first subject; data: each
 * subject coded after the one before, then the entry's place in the
 * segment). The appending handle keeps the open
 * segment's (subject, seq) between appends; one that does not have them
 * reads them back from the blocks. A lookup seeks the one chunk per filled
 * segment that can hold the subject, reads the blocks of its hits and
 * scans each chain's unfilled segment.
 *
 * An append is one round trip however many entries it holds: the handle
 * keeps its chain's head (struct pq_audit) and sends BEGIN, the lock, one
 * statement writing the block, the index chunks, the subtrees completed
 * and the tree, and COMMIT at once. Its first append, or one after another
 * handle appended to the chain, reads the head under the lock first.
 *
 * The tree: audit_tree(node, size, frontier), rewritten by each append,
 * and audit_subtrees(node, pos, hash), the perfect subtrees of
 * 2^NODE_LEVEL leaves and more as appends complete them (pos as in
 * sqlite_merkle.c), from which a proof reads its large subtrees. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_block.h"
#include "pg_impl.h"
#include "socred/audit_head.h"
#include "socred/merkle.h"

#define NODE_LEVEL 10
#define NODE_POS(level, index) ((int64_t)(((index) + 1) << (level)) * 64 + (int64_t)(level))
#define FETCH_BLOCKS "64"
#define SEG_BITS 14
#define SEG_STR "16384"
#define CHUNK 128

/* ---- messages ---- */

static enum sc_status broken(struct pq *p, int32_t node, int64_t seq, struct sc_diag *d)
{
	if (!node)
		return sc_diag_set(d, SC_ECORRUPT, p->where, 0, 0, NULL,
				   "audit log broken at entry %lld", (long long)seq);
	return sc_diag_set(d, SC_ECORRUPT, p->where, 0, 0, NULL,
			   "audit log of node %d broken at entry %lld", (int)node, (long long)seq);
}

static enum sc_status no_memory(struct pq *p, struct sc_diag *d)
{
	return sc_diag_set(d, SC_ENOMEM, p->where, 0, 0, NULL, "out of memory");
}

/* ---- array parameters ---- */

/* A PostgreSQL array literal being built: "{" elements "}" */
static bool arr_start(struct sc_buf *b)
{
	b->len = 0;
	if (!sc_buf_room(b, 2))
		return false;
	b->p[b->len++] = '{';
	return true;
}

static bool arr_sep(struct sc_buf *b)
{
	if (b->len > 1) {
		if (!sc_buf_room(b, 1))
			return false;
		b->p[b->len++] = ',';
	}
	return true;
}

/* a text element, double-quoted, its quotes and backslashes escaped */
static bool arr_text(struct sc_buf *b, const char *s)
{
	size_t n = strlen(s);

	if (!arr_sep(b) || !sc_buf_room(b, 2 * n + 2))
		return false;
	b->p[b->len++] = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			b->p[b->len++] = '\\';
		b->p[b->len++] = (unsigned char)*s;
	}
	b->p[b->len++] = '"';
	return true;
}

static bool arr_int(struct sc_buf *b, int64_t v)
{
	char num[SC_PQ_INT];

	return arr_text(b, sc_pq_i64(num, v));
}

/* closes the literal as a NUL-terminated string */
static bool arr_end(struct sc_buf *b)
{
	if (!sc_buf_room(b, 2))
		return false;
	b->p[b->len++] = '}';
	b->p[b->len] = '\0';
	return true;
}

/* ---- the tree's frontier ---- */

static enum sc_status read_tree(struct pq *p, int32_t node, struct sc_merkle_frontier *f,
				struct sc_diag *d)
{
	char a[SC_PQ_INT];
	const char *v[1] = {sc_pq_i64(a, node)};
	unsigned char blob[SC_MERKLE_LEVELS * SC_MERKLE_BYTES];
	PGresult *r;
	enum sc_status st = sc_pq_query(p, "SELECT size, frontier FROM audit_tree WHERE node = $1",
					1, v, &r, d);

	if (st)
		return st;
	sc_merkle_frontier_init(f);
	if (PQntuples(r) == 1) {
		int64_t size = sc_pq_get_i64(r, 0, 0);
		size_t len = 0;
		const char *hex = PQgetvalue(r, 0, 1);
		bool ok = size >= 0 && !strncmp(hex, "\\x", 2) && strlen(hex + 2) % 2 == 0 &&
			  (len = strlen(hex + 2) / 2) <= sizeof(blob) &&
			  sc_pq_get_bytes(blob, len, r, 0, 1) &&
			  !sc_merkle_frontier_decode(f, (uint64_t)size, blob, len);
		if (!ok)
			st = sc_diag_set(d, SC_ECORRUPT, p->where, 0, 0, NULL,
					 "the audit tree's frontier of node %d is damaged", (int)node);
	}
	PQclear(r);
	return st;
}

/* ---- blocks ---- */

/* A bytea cell's bytes (PQfreemem them); NULL when out of memory. */
static unsigned char *block_data(const PGresult *r, int row, int col, size_t *len)
{
	return PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), len);
}

static enum sc_status damaged(struct pq *p, int32_t node, int64_t first, struct sc_diag *d)
{
	if (!node)
		return sc_diag_set(d, SC_ECORRUPT, p->where, 0, 0, NULL,
				   "the audit block from entry %lld is damaged", (long long)first);
	return sc_diag_set(d, SC_ECORRUPT, p->where, 0, 0, NULL,
			   "the audit block of node %d from entry %lld is damaged", (int)node,
			   (long long)first);
}

/* ---- walking a chain ---- */

/* Chain `node`'s entries from..to, as sc_store_audit_walk, in the read
 * transaction open: from the block holding `from`, chained on from the
 * hash stored with the block before it, through a cursor (a few blocks at
 * a time). A block out of place, damaged or whose last hash is not the one
 * recomputed is named by its first entry, as on SQLite. */
static enum sc_status walk(struct pq *p, int32_t node, int64_t from, int64_t to,
			   sc_store_audit_chain_fn cb, void *ctx, int64_t *bad, struct sc_diag *d)
{
	char a[3][SC_PQ_INT], prev[SC_HASH_HEX], hash[SC_HASH_HEX];
	const char *v[3];
	struct sc_audit_dec x = {0};
	PGresult *r = NULL;
	int64_t expect, start, none;
	bool check = bad != NULL;
	enum sc_status st;
	int rows;

	if (!bad)
		bad = &none;
	*bad = 0;
	if (from < 1)
		from = 1;
	if (to < 0)
		to = INT64_MAX;
	v[0] = sc_pq_i64(a[0], node);
	v[1] = sc_pq_i64(a[1], from);
	v[2] = sc_pq_i64(a[2], to);
	/* the block holding `from` (or from itself), the hash before it */
	if ((st = sc_pq_query(p,
			      "SELECT s.seq, (SELECT hash FROM audit_blocks WHERE node = $1"
			      " AND seq < s.seq ORDER BY seq DESC LIMIT 1) FROM (SELECT"
			      " coalesce(max(seq), $2) AS seq FROM audit_blocks WHERE node = $1"
			      " AND seq <= $2) s",
			      2, v, &r, d)))
		return st;
	start = sc_pq_get_i64(r, 0, 0);
	if (start <= 1) {
		sc_audit_genesis(node, prev);
	} else if (PQgetisnull(r, 0, 1)) {
		PQclear(r);
		*bad = start;
		return broken(p, node, *bad, d);
	} else {
		sc_pq_get_text(prev, sizeof(prev), r, 0, 1);
	}
	PQclear(r);
	expect = start;
	v[1] = sc_pq_i64(a[1], start);
	if ((st = sc_pq_query(p,
			      "DECLARE socred_audit_walk NO SCROLL CURSOR FOR"
			      " SELECT seq, n, hash, data FROM audit_blocks"
			      " WHERE node = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq",
			      3, v, NULL, d)))
		return st;
	do {
		if ((st = sc_pq_query(p, "FETCH " FETCH_BLOCKS " FROM socred_audit_walk", 0, NULL, &r,
				      d)))
			break;
		rows = PQntuples(r);
		for (int i = 0; !st && i < rows; i++) {
			int64_t first = sc_pq_get_i64(r, i, 0), n = sc_pq_get_i64(r, i, 1);
			struct sc_audit_entry e;
			size_t len = 0;
			unsigned char *data;
			int got = 0;
			if (first != expect) {
				*bad = expect;
				st = broken(p, node, *bad, d);
				break;
			}
			if (!(data = block_data(r, i, 3, &len))) {
				st = no_memory(p, d);
				break;
			}
			sc_audit_dec_start(&x, first, data, len);
			while (!st && (got = sc_audit_dec_next(&x, &e)) == 1) {
				e.node = node;
				sc_audit_hash(&e, prev, hash);
				if (e.seq >= from && e.seq <= to)
					st = cb(ctx, &e, prev, hash);
				memcpy(prev, hash, SC_HASH_HEX);
			}
			PQfreemem(data);
			if (st)
				break;
			if (got < 0 || x.seq != first + n - 1 || n < 1 ||
			    (check && strcmp(PQgetvalue(r, i, 2), prev))) {
				*bad = first;
				st = broken(p, node, *bad, d);
				break;
			}
			expect = first + n;
		}
		PQclear(r);
	} while (!st && rows > 0);
	sc_pq_exec(p, "CLOSE socred_audit_walk", NULL);
	sc_audit_dec_free(&x);
	if (!st && to != INT64_MAX && expect <= to) {
		*bad = expect;
		st = sc_diag_set(d, SC_ENOTFOUND, p->where, 0, 0, NULL,
				 "the audit log ends before entry %lld", (long long)expect);
	}
	return st;
}

/* ---- the subject index ---- */

/* An entry of a segment being indexed */
struct skey {
	int64_t seq;
	const char *subject;
};

#define SEG_OF(seq) (((seq) - 1) >> SEG_BITS)

static int skey_cmp(const void *a, const void *b)
{
	const struct skey *x = a, *y = b;
	int c;

	if (SEG_OF(x->seq) != SEG_OF(y->seq))
		return SEG_OF(x->seq) < SEG_OF(y->seq) ? -1 : 1;
	if ((c = strcmp(x->subject, y->subject)))
		return c;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The keys being gathered, their subjects in an arena */
struct skeys {
	struct skey *k;
	size_t n, cap;
	struct sc_arena ar;
};

static bool skey_add(struct skeys *s, int64_t seq, const char *subject)
{
	const char *copy;

	if (!subject[0])
		return true; /* not indexed */
	if (!sc_grow((void **)&s->k, &s->cap, s->n + 1, sizeof(*s->k)) ||
	    !(copy = sc_arena_strdup(&s->ar, subject)))
		return false;
	s->k[s->n++] = (struct skey){.seq = seq, .subject = copy};
	return true;
}

/* The chain's stored entries after seq lo (every one before first) into s */
static enum sc_status stored_keys(struct pq *p, int32_t node, int64_t lo, struct skeys *s,
				  struct sc_diag *d)
{
	char a[2][SC_PQ_INT];
	const char *v[2] = {sc_pq_i64(a[0], node), sc_pq_i64(a[1], lo + 1)};
	struct sc_audit_dec x = {0};
	PGresult *r = NULL;
	enum sc_status st = sc_pq_query(p,
					"SELECT seq, n, data FROM audit_blocks WHERE node = $1"
					" AND seq >= coalesce((SELECT max(seq) FROM audit_blocks"
					" WHERE node = $1 AND seq <= $2), 1) ORDER BY seq",
					2, v, &r, d);

	for (int i = 0; !st && i < PQntuples(r); i++) {
		int64_t first = sc_pq_get_i64(r, i, 0);
		struct sc_audit_entry e;
		size_t len;
		unsigned char *data = block_data(r, i, 2, &len);
		int got;
		if (!data) {
			st = no_memory(p, d);
			break;
		}
		sc_audit_dec_start(&x, first, data, len);
		while ((got = sc_audit_dec_next(&x, &e)) == 1)
			if (e.seq > lo && !skey_add(s, e.seq, e.subject)) {
				got = -2;
				break;
			}
		PQfreemem(data);
		if (got == -2)
			st = no_memory(p, d);
		else if (got < 0 || x.seq != first + sc_pq_get_i64(r, i, 1) - 1)
			st = damaged(p, node, first, d);
	}
	PQclear(r);
	sc_audit_dec_free(&x);
	return st;
}

/* The index chunks of the segments entries e[0, n) fill (their seqs set),
 * as three arrays (seg, low, data): empty when they fill none. keep: the
 * keys of the open segment's entries before e[0], kept by the handle
 * (then e's are added and what is left of the segment after the chunks
 * stays in keep); NULL: read back when a segment is filled. */
static enum sc_status index_chunks(struct pq *p, int32_t node, const struct sc_audit_entry *e,
				   size_t n, struct skeys *keep, struct sc_buf col[3],
				   struct sc_diag *d)
{
	int64_t first = e[0].seq, last = e[n - 1].seq;
	int64_t lo = SEG_OF(first) << SEG_BITS, hi = (last >> SEG_BITS) << SEG_BITS;
	struct skeys own = {0}, rest = {0}, *s = keep ? keep : &own;
	struct sc_buf chunk = {0}, hex = {0};
	size_t full = 0;
	enum sc_status st = SC_OK;

	for (int c = 0; c < 3; c++)
		if (!arr_start(&col[c]))
			return no_memory(p, d);
	if (!keep) {
		if (hi <= lo)
			goto close;
		sc_arena_init(&own.ar, 1 << 16, 0);
		if (lo < first - 1 && (st = stored_keys(p, node, lo, &own, d)))
			goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!skey_add(s, e[i].seq, e[i].subject))
			goto nomem;
	if (hi <= lo)
		goto close;
	if (s->n)
		qsort(s->k, s->n, sizeof(*s->k), skey_cmp);
	while (full < s->n && s->k[full].seq <= hi) /* segments first: the filled ones */
		full++;
	/* chunks of about CHUNK entries, cut only where the subject changes:
	 * a subject's entries in a segment are in one chunk */
	for (size_t i = 0, start = 0; i < full; i++) {
		const struct skey *k = &s->k[i];
		const char *next = i + 1 < full ? s->k[i + 1].subject : NULL;
		if (!sc_audit_block_put_str(&chunk, i > start ? s->k[i - 1].subject : "", k->subject) ||
		    !sc_buf_room(&chunk, 10))
			goto nomem;
		sc_buf_varint(&chunk, (uint64_t)(k->seq - (SEG_OF(k->seq) << SEG_BITS)));
		if (next && SEG_OF(s->k[i + 1].seq) == SEG_OF(k->seq) &&
		    (i + 1 - start < CHUNK || !strcmp(next, k->subject)))
			continue;
		hex.len = 0;
		if (!sc_buf_room(&hex, 2 * chunk.len + 3))
			goto nomem;
		sc_pq_bytea((char *)hex.p, chunk.p, chunk.len);
		if (!arr_int(&col[0], SEG_OF(k->seq)) || !arr_text(&col[1], s->k[start].subject) ||
		    !arr_text(&col[2], (const char *)hex.p))
			goto nomem;
		chunk.len = 0;
		start = i + 1;
	}
	if (keep) {
		/* the keys of the segment left open, their subjects moved to an
		 * arena of their own */
		sc_arena_init(&rest.ar, 1 << 16, 0);
		for (size_t i = full; i < s->n; i++)
			if (!skey_add(&rest, s->k[i].seq, s->k[i].subject))
				goto nomem;
		free(s->k);
		sc_arena_release(&s->ar);
		*s = rest;
		rest = (struct skeys){0};
	}
close:
	for (int c = 0; c < 3; c++)
		if (!arr_end(&col[c]))
			goto nomem;
	goto out;
nomem:
	st = no_memory(p, d);
out:
	free(own.k);
	sc_arena_release(&own.ar);
	free(rest.k);
	sc_arena_release(&rest.ar);
	free(chunk.p);
	free(hex.p);
	return st;
}

/* ---- appending ---- */

/* The head of the handle's chain as its last append left it: the next
 * append starts from it without reading it back, sending BEGIN, the
 * chain's lock, the write and COMMIT at once (one round trip). Another
 * handle that appended meanwhile took the seq the block starts at (the
 * primary key): that append fails, and is made again from the head read
 * under the lock. */
struct pq_audit {
	int32_t node;
	int64_t last;
	char hash[SC_HASH_HEX];
	struct sc_merkle_frontier f;
	bool keyed; /* keys holds the index keys of the open segment's entries */
	struct skeys keys;
};

static void unkey(struct pq_audit *h)
{
	free(h->keys.k);
	sc_arena_release(&h->keys.ar);
	h->keys = (struct skeys){0};
	h->keyed = false;
}

void sc_pq_audit_free(struct pq *p)
{
	if (p->audit_head)
		unkey(p->audit_head);
	free(p->audit_head);
	p->audit_head = NULL;
}

static const char write_sql[] =
	"WITH b AS (INSERT INTO audit_blocks(node, seq, n, hash, data)"
	" VALUES($1::integer, $2::bigint, $3::integer, $4::text, $5::bytea)),"
	" x AS (INSERT INTO audit_subjects(node, seg, low, data) SELECT $1::integer, sg, lw, dt"
	" FROM unnest($6::bigint[], $7::text[], $8::bytea[]) AS u(sg, lw, dt)),"
	" t AS (INSERT INTO audit_subtrees(node, pos, hash) SELECT $1::integer, pos,"
	" decode(h, 'hex') FROM unnest($9::bigint[], $10::text[]) AS v(pos, h))"
	" INSERT INTO audit_tree(node, size, frontier) VALUES($1::integer, $11::bigint, $12::bytea)"
	" ON CONFLICT(node) DO UPDATE SET size = excluded.size, frontier = excluded.frontier";

/* An append being made: from the head (prev, f), the write's parameters */
struct append {
	struct sc_merkle_frontier f;
	char prev[SC_HASH_HEX];
	struct sc_buf pos, hash; /* the subtrees completed, as arrays */
	struct sc_buf block, idx[3];
	unsigned char tree[SC_MERKLE_LEVELS * SC_MERKLE_BYTES];
	char a[4][SC_PQ_INT];
	const char *v[12];
	int len[12], fmt[12]; /* the block and the tree in binary */
};

static void append_clear(struct append *x)
{
	free(x->pos.p);
	free(x->hash.p);
	free(x->block.p);
	for (int c = 0; c < 3; c++)
		free(x->idx[c].p);
	memset(x, 0, sizeof(*x));
}

static enum sc_status keep_subtree(void *ctx, unsigned level, uint64_t index,
				   const unsigned char hash[SC_MERKLE_BYTES])
{
	struct append *x = ctx;
	char hex[2 * SC_MERKLE_BYTES + 1];

	if (level < NODE_LEVEL)
		return SC_OK;
	sc_hex(hash, SC_MERKLE_BYTES, hex);
	return arr_int(&x->pos, NODE_POS(level, index)) && arr_text(&x->hash, hex) ? SC_OK
										: SC_ENOMEM;
}

/* e[0, n) after entry `seq` of chain node, whose hash is x->prev and
 * tree x->f: seqs set, hashed, coded, indexed (keep: as index_chunks);
 * x->v the write's parameters, x->prev and x->f the new head. */
static enum sc_status append_build(struct pq *p, int32_t node, int64_t seq,
				   struct sc_audit_entry *e, size_t n, struct skeys *keep,
				   struct append *x, struct sc_diag *d)
{
	static const struct sc_audit_entry none = {.at = "", .action = "", .subject = "",
						   .result = ""};
	char hash[SC_HASH_HEX];
	enum sc_status st;

	if (!arr_start(&x->pos) || !arr_start(&x->hash))
		return no_memory(p, d);
	x->v[0] = sc_pq_i64(x->a[0], node);
	x->v[1] = sc_pq_i64(x->a[1], seq + 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char leaf[SC_MERKLE_BYTES];
		e[i].seq = ++seq;
		e[i].node = node;
		sc_audit_hash(&e[i], x->prev, hash);
		if (!sc_audit_block_put_entry(&x->block, i ? &e[i - 1] : &none, &e[i]) ||
		    sc_merkle_audit_leaf(hash, leaf) ||
		    sc_merkle_frontier_add(&x->f, leaf, keep_subtree, x))
			return no_memory(p, d);
		memcpy(x->prev, hash, SC_HASH_HEX);
	}
	if (!arr_end(&x->pos) || !arr_end(&x->hash))
		return no_memory(p, d);
	if (x->block.len > INT32_MAX)
		return sc_diag_set(d, SC_EINVAL, p->where, 0, 0, NULL,
				   "too many audit entries in one append");
	if ((st = index_chunks(p, node, e, n, keep, x->idx, d)))
		return st;
	x->len[4] = (int)x->block.len;
	x->fmt[4] = 1;
	x->len[11] = (int)sc_merkle_frontier_encode(&x->f, x->tree);
	x->fmt[11] = 1;
	x->v[2] = sc_pq_i64(x->a[2], (int64_t)n);
	x->v[3] = x->prev;
	x->v[4] = (const char *)x->block.p;
	for (int c = 0; c < 3; c++)
		x->v[5 + c] = (const char *)x->idx[c].p;
	x->v[8] = (const char *)x->pos.p;
	x->v[9] = (const char *)x->hash.p;
	x->v[10] = sc_pq_i64(x->a[3], (int64_t)x->f.size);
	x->v[11] = (const char *)x->tree;
	return SC_OK;
}

/* BEGIN and the chain's lock. SC_EBUSY when the lock was not had within
 * the connection's lock_timeout. */
static enum sc_status lock_chain(struct pq *p, int32_t node, struct sc_diag *d)
{
	char sql[128];
	PGresult *r;
	enum sc_status st = SC_OK;

	snprintf(sql, sizeof(sql), "BEGIN; SELECT pg_advisory_xact_lock(%d, %d)",
		 (int)SC_PQ_LOCK_AUDIT, (int)node);
	/* statements the records ops queued are answered first (pg_impl.h) */
	if ((st = sc_pq_flush(p, d)))
		return st;
	r = PQexec(p->c, sql);
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
		const char *code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
		if (code && !strcmp(code, "55P03"))
			st = sc_diag_set(d, SC_EBUSY, p->where, 0, 0, NULL,
					 "another connection kept the audit chain's lock");
		else
			st = sc_pq_err(p, r, d, "cannot lock the audit chain");
		PQclear(r);
		if (PQtransactionStatus(p->c) != PQTRANS_IDLE)
			sc_pq_exec(p, "ROLLBACK", NULL);
		return st;
	}
	PQclear(r);
	return SC_OK;
}

/* BEGIN, the lock, the write and COMMIT sent at once. *taken: the block's
 * first seq was another's (the head known was not the chain's). */
static enum sc_status append_sent(struct pq *p, int32_t node, struct append *x, bool *taken,
				  struct sc_diag *d)
{
	char lock[96];
	enum sc_status st = SC_OK;
	PGresult *r;

	*taken = false;
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock(%d, %d)", (int)SC_PQ_LOCK_AUDIT,
		 (int)node);
	if ((st = sc_pq_flush(p, d)))
		return st;
	if (!PQenterPipelineMode(p->c))
		return sc_pq_err(p, NULL, d, "cannot enter pipeline mode");
	if (!PQsendQueryParams(p->c, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) ||
	    !PQsendQueryParams(p->c, lock, 0, NULL, NULL, NULL, NULL, 0) ||
	    !PQsendQueryParams(p->c, write_sql, 12, NULL, x->v, x->len, x->fmt, 0) ||
	    !PQsendQueryParams(p->c, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) ||
	    !PQpipelineSync(p->c)) {
		st = sc_pq_err(p, NULL, d, "cannot append to the audit log");
		PQexitPipelineMode(p->c);
		return st;
	}
	for (int j = 0; j < 4; j++) {
		ExecStatusType t;
		r = PQgetResult(p->c);
		t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
		if (!st && t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
			const char *code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
			if (code && !strcmp(code, "23505"))
				*taken = true;
			if (code && !strcmp(code, "55P03"))
				st = sc_diag_set(d, SC_EBUSY, p->where, 0, 0, NULL,
						 "another connection kept the audit chain's lock");
			else
				st = sc_pq_err(p, r, d, "cannot append to the audit log");
		}
		PQclear(r);
		while ((r = PQgetResult(p->c)))
			PQclear(r);
	}
	st = sc_pq_pipe_end(p, st, d);
	if (PQtransactionStatus(p->c) != PQTRANS_IDLE)
		sc_pq_exec(p, "ROLLBACK", NULL);
	return st;
}

/* The append from the head read under the chain's lock: BEGIN and the
 * lock, the head, the write, COMMIT. */
static enum sc_status append_read(struct pq *p, int32_t node, struct sc_audit_entry *e,
				  size_t n, struct append *x, struct sc_diag *d)
{
	PGresult *r = NULL;
	int64_t seq;
	enum sc_status st;
	char a[SC_PQ_INT];
	const char *v[1] = {sc_pq_i64(a, node)};

	if ((st = lock_chain(p, node, d)))
		return st;
	p->in_txn = true;
	/* the chain's head: its last block and its tree */
	if ((st = sc_pq_query(p,
			      "SELECT (SELECT count(*) FROM audit_nodes WHERE node = $1),"
			      " b.seq + b.n - 1, b.hash FROM (SELECT 1) o LEFT JOIN LATERAL"
			      " (SELECT seq, n, hash FROM audit_blocks WHERE node = $1"
			      " ORDER BY seq DESC LIMIT 1) b ON true",
			      1, v, &r, d)))
		goto fail;
	if (!sc_pq_get_i64(r, 0, 0)) {
		PQclear(r);
		st = sc_diag_set(d, SC_ENOTFOUND, p->where, 0, 0, "node", "no audit chain of node %d",
				 (int)node);
		goto fail;
	}
	seq = sc_pq_get_i64(r, 0, 1);
	if (seq)
		sc_pq_get_text(x->prev, sizeof(x->prev), r, 0, 2);
	else
		sc_audit_genesis(node, x->prev);
	PQclear(r);
	if ((st = read_tree(p, node, &x->f, d)))
		goto fail;
	if (x->f.size != (uint64_t)seq) {
		st = sc_diag_set(d, SC_ECORRUPT, p->where, 0, 0, NULL,
				 "the audit tree holds %llu entries but the log %lld: entries were"
				 " removed or the tree altered (socred audit verify --head names them)",
				 (unsigned long long)x->f.size, (long long)seq);
		goto fail;
	}
	if ((st = append_build(p, node, seq, e, n, NULL, x, d)))
		goto fail;
	r = PQexecParams(p->c, write_sql, 12, NULL, x->v, x->len, x->fmt, 0);
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
		st = sc_pq_err(p, r, d, "cannot append to the audit log");
		PQclear(r);
		goto fail;
	}
	PQclear(r);
	if ((st = sc_pq_exec(p, "COMMIT", d)))
		goto fail;
	p->in_txn = false;
	return SC_OK;
fail:
	if (PQtransactionStatus(p->c) != PQTRANS_IDLE)
		sc_pq_exec(p, "ROLLBACK", NULL);
	p->in_txn = false;
	return st;
}

enum sc_status sc_pq_audit_append(void *impl, struct sc_audit_entry *e, size_t n,
				  struct sc_diag *d)
{
	struct pq *p = impl;
	int32_t node = p->audit_node;
	struct pq_audit *h = p->audit_head;
	struct append *x = NULL;
	enum sc_status st;

	if (!n)
		return SC_OK;
	if (n > INT32_MAX)
		return sc_diag_set(d, SC_EINVAL, p->where, 0, 0, NULL,
				   "too many audit entries in one append");
	if (p->in_txn)
		return sc_diag_set(d, SC_ESTATE, p->where, 0, 0, NULL,
				   "the audit log is appended outside other transactions");
	if (!(x = calloc(1, sizeof(*x))))
		return no_memory(p, d);
	if (h && h->node == node) {
		bool taken = false;
		int64_t lo = SEG_OF(h->last + 1) << SEG_BITS;
		memcpy(x->prev, h->hash, SC_HASH_HEX);
		x->f = h->f;
		if (!h->keyed) {
			/* the open segment's keys, read back once */
			sc_arena_init(&h->keys.ar, 1 << 16, 0);
			if (lo < h->last && (st = stored_keys(p, node, lo, &h->keys, d)))
				goto out;
			h->keyed = true;
		}
		if (!(st = append_build(p, node, h->last, e, n, &h->keys, x, d)) &&
		    !(st = append_sent(p, node, x, &taken, d)))
			goto done;
		if (!taken)
			goto out;
		append_clear(x); /* another handle appended: from the chain's head */
		unkey(h);
	}
	if ((st = append_read(p, node, e, n, x, d)))
		goto out;
	if (h)
		unkey(h);
done:
	if (!h && !(h = p->audit_head = calloc(1, sizeof(*h))))
		goto out; /* the next append reads the head */
	h->node = node;
	h->last = e[n - 1].seq;
	memcpy(h->hash, x->prev, SC_HASH_HEX);
	h->f = x->f;
out:
	if (st)
		sc_pq_audit_free(p);
	append_clear(x);
	free(x);
	return st;
}

/* ---- chains ---- */

enum sc_status sc_pq_audit_node(void *impl, const char *name, int32_t *id, struct sc_diag *d)
{
	struct pq *p = impl;
	const char *v[1] = {name};
	int64_t got = 0;
	enum sc_status st;

	if ((st = sc_pq_int(p,
			    "INSERT INTO audit_nodes(node, name, created)"
			    " VALUES(nextval('audit_node_ids'), $1, to_char(clock_timestamp()"
			    " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) RETURNING node",
			    1, v, &got, d)))
		return st;
	p->audit_node = (int32_t)got;
	*id = (int32_t)got;
	return SC_OK;
}

enum sc_status sc_pq_audit_chain(void *impl, int32_t node, struct sc_diag *d)
{
	struct pq *p = impl;
	char a[SC_PQ_INT];
	const char *v[1] = {sc_pq_i64(a, node)};
	int64_t n = 0;
	enum sc_status st = sc_pq_int(p, "SELECT count(*) FROM audit_nodes WHERE node = $1", 1, v,
				      &n, d);

	if (st)
		return st;
	if (!n)
		return sc_diag_set(d, SC_ENOTFOUND, p->where, 0, 0, "node", "no audit chain of node %d",
				   (int)node);
	p->audit_node = node;
	return SC_OK;
}

/* ---- verifying every chain ---- */

static enum sc_status to_leaf(void *ctx, const struct sc_audit_entry *e, const char *prev_hex,
			      const char *hash_hex)
{
	struct sc_merkle_frontier *f = ctx;
	unsigned char leaf[SC_MERKLE_BYTES];

	(void)e;
	(void)prev_hex;
	if (sc_merkle_audit_leaf(hash_hex, leaf))
		return SC_ECORRUPT;
	return sc_merkle_frontier_add(f, leaf, NULL, NULL);
}

/* One chain: its links, then its tree against the leaves recomputed. */
static enum sc_status verify_chain(struct pq *p, int32_t node, struct sc_merkle_frontier *f,
				   struct sc_merkle_frontier *stored, struct sc_audit_verdict *v,
				   struct sc_diag *d)
{
	unsigned char a[SC_MERKLE_LEVELS * SC_MERKLE_BYTES], b[SC_MERKLE_LEVELS * SC_MERKLE_BYTES];
	size_t na, nb;
	enum sc_status st;

	sc_merkle_frontier_init(f);
	v->node = node;
	if ((st = walk(p, node, 1, -1, to_leaf, f, &v->bad, d)))
		return st;
	v->count += f->size;
	if ((st = read_tree(p, node, stored, d))) {
		v->bad = 0;
		return st;
	}
	if (stored->size != f->size) {
		if (!node)
			return sc_diag_set(d, SC_ECORRUPT, p->where, 0, 0, NULL,
					   "audit tree holds %llu entries but the log %llu: entries"
					   " were removed or added outside socred",
					   (unsigned long long)stored->size, (unsigned long long)f->size);
		return sc_diag_set(d, SC_ECORRUPT, p->where, 0, 0, NULL,
				   "audit tree of node %d holds %llu entries but its log %llu: entries"
				   " were removed or added outside socred",
				   (int)node, (unsigned long long)stored->size, (unsigned long long)f->size);
	}
	na = sc_merkle_frontier_encode(f, a);
	nb = sc_merkle_frontier_encode(stored, b);
	if (na != nb || memcmp(a, b, na))
		return sc_diag_set(d, SC_ECORRUPT, p->where, 0, 0, NULL,
				   "audit tree of node %d does not match its log: it was altered"
				   " outside socred", (int)node);
	return SC_OK;
}

/* Every chain registered, every chain with a tree and every node with
 * entries (a row added under a node of its own is checked too). */
enum sc_status sc_pq_audit_verify(void *impl, struct sc_audit_verdict *v, struct sc_diag *d)
{
	struct pq *p = impl;
	struct sc_merkle_frontier *f = malloc(2 * sizeof(*f));
	PGresult *r = NULL;
	bool own = false;
	enum sc_status st;

	if (!f)
		return no_memory(p, d);
	if ((st = sc_pq_begin_read(p, &own, d)))
		goto out;
	if ((st = sc_pq_query(p,
			      "WITH RECURSIVE e(node) AS (SELECT min(node) FROM audit_blocks UNION ALL"
			      " SELECT (SELECT min(node) FROM audit_blocks WHERE node > e.node) FROM e"
			      " WHERE e.node IS NOT NULL)"
			      " SELECT node FROM audit_nodes UNION SELECT node FROM audit_tree"
			      " UNION SELECT node FROM e WHERE node IS NOT NULL ORDER BY node",
			      0, NULL, &r, d)))
		goto out;
	for (int i = 0; !st && i < PQntuples(r); i++) {
		st = verify_chain(p, (int32_t)sc_pq_get_i64(r, i, 0), &f[0], &f[1], v, d);
		v->chains++;
	}
	PQclear(r);
	if (!st)
		v->node = 0;
out:
	sc_pq_end_read(p, own);
	free(f);
	return st;
}

/* ---- reading ---- */

/* Entries gathered to be listed in order (at, node, seq): a chain's seq
 * order need not be its stamps' */
struct listed {
	int32_t node;
	enum sc_role role;
	int64_t seq, key_id;
	const char *at, *action, *subject, *result;
};

struct listing {
	struct listed *e;
	size_t n, cap;
	struct sc_arena ar;
};

static int listed_cmp(const void *a, const void *b)
{
	const struct listed *x = a, *y = b;
	int c = strcmp(x->at, y->at);

	if (c)
		return c;
	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static bool list_add(struct listing *l, const struct sc_audit_entry *e)
{
	struct listed *o;

	if (!sc_grow((void **)&l->e, &l->cap, l->n + 1, sizeof(*l->e)))
		return false;
	o = &l->e[l->n];
	*o = (struct listed){.node = e->node, .role = e->role, .seq = e->seq, .key_id = e->key_id,
			     .at = sc_arena_strdup(&l->ar, e->at),
			     .action = sc_arena_strdup(&l->ar, e->action),
			     .subject = sc_arena_strdup(&l->ar, e->subject),
			     .result = sc_arena_strdup(&l->ar, e->result)};
	if (!o->at || !o->action || !o->subject || !o->result)
		return false;
	l->n++;
	return true;
}

/* The entries of the blocks in r (node, seq, n, data), those of subject
 * only (NULL: every one), into l. */
static enum sc_status list_blocks(struct pq *p, const PGresult *r, const char *subject,
				  struct listing *l, struct sc_audit_dec *x, struct sc_diag *d)
{
	for (int i = 0; i < PQntuples(r); i++) {
		int32_t node = (int32_t)sc_pq_get_i64(r, i, 0);
		int64_t first = sc_pq_get_i64(r, i, 1);
		struct sc_audit_entry e;
		size_t len;
		unsigned char *data = block_data(r, i, 3, &len);
		int got;
		if (!data)
			return no_memory(p, d);
		sc_audit_dec_start(x, first, data, len);
		while ((got = sc_audit_dec_next(x, &e)) == 1) {
			e.node = node;
			if ((!subject || !strcmp(e.subject, subject)) && !list_add(l, &e)) {
				PQfreemem(data);
				return no_memory(p, d);
			}
		}
		PQfreemem(data);
		if (got < 0 || x->seq != first + sc_pq_get_i64(r, i, 2) - 1)
			return damaged(p, node, first, d);
	}
	return SC_OK;
}

/* The seqs of subject's entries in a chunk of chain node's segment seg,
 * appended to the arrays hn (nodes) and hs (seqs). */
static enum sc_status chunk_hits(struct pq *p, int32_t node, int64_t seg, const unsigned char *data,
				 size_t len, const char *subject, struct sc_buf *hn, struct sc_buf *hs,
				 struct sc_diag *d)
{
	struct sc_audit_dec x = {0};
	enum sc_status st = SC_OK;
	uint64_t at;

	sc_audit_dec_start(&x, 1, data, len);
	while (x.p < x.end) {
		int c;
		if (!sc_audit_dec_str(&x, &x.f[0]) || !sc_audit_dec_varint(&x, &at) || at < 1 ||
		    at > ((uint64_t)1 << SEG_BITS)) {
			st = sc_diag_set(d, SC_ECORRUPT, p->where, 0, 0, NULL,
					 "the audit index of node %d, segment %lld is damaged", (int)node,
					 (long long)seg);
			break;
		}
		if ((c = strcmp(x.f[0].s, subject)) > 0)
			break; /* sorted: past it */
		if (!c && (!arr_int(hn, node) || !arr_int(hs, (seg << SEG_BITS) + (int64_t)at))) {
			st = no_memory(p, d);
			break;
		}
	}
	sc_audit_dec_free(&x);
	return st;
}

/* subject's entries: the chunk of each filled segment of each chain that
 * would hold it, then the blocks of its hits and of each chain's
 * unfilled segment. */
static enum sc_status find_subject(struct pq *p, const char *subject, struct listing *l,
				   struct sc_audit_dec *x, struct sc_diag *d)
{
	const char *v[2] = {subject};
	struct sc_buf hn = {0}, hs = {0};
	PGresult *r = NULL;
	enum sc_status st;

	if (!arr_start(&hn) || !arr_start(&hs)) {
		st = no_memory(p, d);
		goto out;
	}
	if ((st = sc_pq_query(p,
			      "SELECT t.node, g.seg, c.data FROM audit_tree t CROSS JOIN LATERAL"
			      " generate_series(0, t.size / " SEG_STR " - 1) g(seg) CROSS JOIN LATERAL"
			      " (SELECT data FROM audit_subjects s WHERE s.node = t.node AND s.seg = g.seg"
			      " AND s.low <= $1 ORDER BY s.low DESC LIMIT 1) c",
			      1, v, &r, d)))
		goto out;
	for (int i = 0; !st && i < PQntuples(r); i++) {
		size_t len;
		unsigned char *data = block_data(r, i, 2, &len);
		if (!data) {
			st = no_memory(p, d);
			break;
		}
		st = chunk_hits(p, (int32_t)sc_pq_get_i64(r, i, 0), sc_pq_get_i64(r, i, 1), data, len,
				subject, &hn, &hs, d);
		PQfreemem(data);
	}
	PQclear(r);
	r = NULL;
	if (st)
		goto out;
	if (!arr_end(&hn) || !arr_end(&hs)) {
		st = no_memory(p, d);
		goto out;
	}
	v[0] = (const char *)hn.p;
	v[1] = (const char *)hs.p;
	if ((st = sc_pq_query(p,
			      "SELECT DISTINCT ON (node, seq) node, seq, n, data FROM (SELECT b.*"
			      " FROM unnest($1::integer[], $2::bigint[]) AS h(node, s) CROSS JOIN LATERAL"
			      " (SELECT node, seq, n, data FROM audit_blocks WHERE node = h.node"
			      " AND seq <= h.s ORDER BY seq DESC LIMIT 1) b"
			      " UNION ALL SELECT b.* FROM audit_tree t CROSS JOIN LATERAL"
			      " (SELECT coalesce(max(seq), 1) AS f FROM audit_blocks WHERE node = t.node"
			      " AND seq <= t.size / " SEG_STR " * " SEG_STR " + 1) m CROSS JOIN LATERAL"
			      " (SELECT node, seq, n, data FROM audit_blocks WHERE node = t.node"
			      " AND seq >= m.f) b) b ORDER BY node, seq",
			      2, v, &r, d)))
		goto out;
	st = list_blocks(p, r, subject, l, x, d);
out:
	PQclear(r);
	free(hn.p);
	free(hs.p);
	return st;
}

/* Every entry, through a cursor */
static enum sc_status find_all(struct pq *p, struct listing *l, struct sc_audit_dec *x,
			       struct sc_diag *d)
{
	PGresult *r = NULL;
	enum sc_status st;
	int rows;

	if ((st = sc_pq_query(p,
			      "DECLARE socred_audit_all NO SCROLL CURSOR FOR"
			      " SELECT node, seq, n, data FROM audit_blocks ORDER BY node, seq",
			      0, NULL, NULL, d)))
		return st;
	do {
		if ((st = sc_pq_query(p, "FETCH " FETCH_BLOCKS " FROM socred_audit_all", 0, NULL, &r,
				      d)))
			break;
		rows = PQntuples(r);
		st = list_blocks(p, r, NULL, l, x, d);
		PQclear(r);
	} while (!st && rows > 0);
	sc_pq_exec(p, "CLOSE socred_audit_all", NULL);
	return st;
}

/* In one read transaction; listed in order (at, node, seq). */
enum sc_status sc_pq_audit_subject(void *impl, const char *subject, sc_store_audit_fn cb,
				   void *ctx, struct sc_diag *d)
{
	struct pq *p = impl;
	struct listing l = {0};
	struct sc_audit_dec x = {0};
	bool own = false;
	enum sc_status st;

	sc_arena_init(&l.ar, 1 << 16, 0);
	if ((st = sc_pq_begin_read(p, &own, d)))
		goto out;
	st = *subject ? find_subject(p, subject, &l, &x, d) : find_all(p, &l, &x, d);
	sc_pq_end_read(p, own);
	if (st)
		goto out;
	if (l.n)
		qsort(l.e, l.n, sizeof(*l.e), listed_cmp);
	for (size_t i = 0; !st && i < l.n; i++) {
		const struct listed *o = &l.e[i];
		struct sc_audit_entry e = {.seq = o->seq, .at = o->at, .key_id = o->key_id,
					   .role = o->role, .action = o->action,
					   .subject = o->subject, .result = o->result,
					   .node = o->node};
		st = cb(ctx, &e);
	}
out:
	free(l.e);
	sc_arena_release(&l.ar);
	sc_audit_dec_free(&x);
	return st;
}

enum sc_status sc_pq_audit_walk(void *impl, int64_t from, int64_t to,
				sc_store_audit_chain_fn cb, void *ctx, int64_t *bad,
				struct sc_diag *d)
{
	struct pq *p = impl;
	bool own = false;
	enum sc_status st = sc_pq_begin_read(p, &own, d);

	if (!st)
		st = walk(p, p->audit_node, from, to, cb, ctx, bad, d);
	sc_pq_end_read(p, own);
	return st;
}

enum sc_status sc_pq_audit_tree(void *impl, struct sc_merkle_frontier *f, struct sc_diag *d)
{
	struct pq *p = impl;

	return read_tree(p, p->audit_node, f, d);
}

/* ---- inclusion proofs (as sqlite_merkle.c's) ---- */

struct prover {
	struct pq *p;
	struct sc_diag *d;
	int32_t node;
	unsigned char (*leaves)[SC_MERKLE_BYTES]; /* 2^NODE_LEVEL */
	size_t nleaves;
	int64_t seq;
	struct sc_audit_proof *proof;
	sc_store_audit_chain_fn cb;
	void *ctx;
};

static enum sc_status mismatch(struct prover *v)
{
	return sc_diag_set(v->d, SC_ECORRUPT, v->p->where, 0, 0, NULL,
			   "the audit log does not match its tree");
}

static enum sc_status gather(void *ctx, const struct sc_audit_entry *e, const char *prev_hex,
			     const char *hash_hex)
{
	struct prover *v = ctx;
	enum sc_status st;

	if (v->nleaves >= ((size_t)1 << NODE_LEVEL) ||
	    sc_merkle_audit_leaf(hash_hex, v->leaves[v->nleaves]))
		return mismatch(v);
	if (e->seq == v->seq) {
		memcpy(v->proof->leaf, v->leaves[v->nleaves], SC_MERKLE_BYTES);
		if (v->cb && (st = v->cb(v->ctx, e, prev_hex, hash_hex)))
			return st;
	}
	v->nleaves++;
	return SC_OK;
}

/* the stored head of the perfect subtree [lo, lo + 2^level) */
static enum sc_status subtree(void *ctx, unsigned level, uint64_t lo,
			      unsigned char out[SC_MERKLE_BYTES])
{
	struct prover *v = ctx;
	char a[2][SC_PQ_INT];
	const char *pv[2] = {sc_pq_i64(a[0], v->node), sc_pq_i64(a[1], NODE_POS(level, lo >> level))};
	PGresult *r;
	enum sc_status st = sc_pq_query(v->p, "SELECT hash FROM audit_subtrees WHERE node = $1"
					" AND pos = $2", 2, pv, &r, v->d);

	if (st)
		return st;
	if (PQntuples(r) != 1 || !sc_pq_get_bytes(out, SC_MERKLE_BYTES, r, 0, 0))
		st = sc_diag_set(v->d, SC_ECORRUPT, v->p->where, 0, 0, NULL,
				 "the audit tree lacks its subtree of entries %llu to %llu",
				 (unsigned long long)lo + 1,
				 (unsigned long long)(lo + ((uint64_t)1 << level)));
	PQclear(r);
	return st;
}

/* the leaf hashes of [lo, hi), into v->leaves (the source's buffer) */
static enum sc_status leaves(void *ctx, uint64_t lo, uint64_t hi,
			     unsigned char (*out)[SC_MERKLE_BYTES])
{
	struct prover *v = ctx;
	enum sc_status st;
	int64_t bad;

	(void)out;
	v->nleaves = 0;
	if ((st = walk(v->p, v->node, (int64_t)lo + 1, (int64_t)hi, gather, v, &bad, v->d)))
		return st;
	return v->nleaves != hi - lo ? mismatch(v) : SC_OK;
}

enum sc_status sc_pq_audit_prove(void *impl, int64_t seq, struct sc_audit_proof *proof,
				 sc_store_audit_chain_fn cb, void *ctx, struct sc_diag *d)
{
	struct pq *p = impl;
	struct prover v = {.p = p, .d = d, .node = p->audit_node, .seq = seq,
			   .proof = proof, .cb = cb, .ctx = ctx};
	bool own = false;
	enum sc_status st;
	int64_t bad;

	proof->npath = 0;
	if ((st = sc_pq_begin_read(p, &own, d)) || (st = read_tree(p, v.node, proof->tree, d)))
		goto done;
	if (seq < 1 || (uint64_t)seq > proof->tree->size) {
		st = sc_diag_set(d, SC_ENOTFOUND, p->where, 0, 0, NULL, "no audit entry %lld",
				 (long long)seq);
		goto done;
	}
	if (!(v.leaves = malloc(((size_t)1 << NODE_LEVEL) * SC_MERKLE_BYTES))) {
		st = no_memory(p, d);
		goto done;
	}
	if ((st = walk(p, v.node, seq, seq, gather, &v, &bad, d)))
		goto done;
	v.cb = NULL;
	{
		struct sc_merkle_source src = {.f = proof->tree, .stored = NODE_LEVEL,
					       .subtree = subtree, .leaves = leaves, .ctx = &v,
					       .buf = v.leaves};
		st = sc_merkle_path((uint64_t)seq - 1, proof->tree->size, sc_merkle_range_root, &src,
				    proof->path, &proof->npath);
	}
done:
	free(v.leaves);
	sc_pq_end_read(p, own);
	return st;
}
