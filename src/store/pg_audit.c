/* The PostgreSQL backend's audit log: a hash chain per node, each with its
 * own Merkle tree (docs/internals/merkle.md).
 *
 * Chains. audit_nodes lists them: node 0 is the command line's, made with
 * the ledger; a server registers a new one each time it starts
 * (sc_store_audit_node), its id from the sequence audit_node_ids, so an id
 * is never given twice, even after a failed registration. A chain's
 * entries are rows audit(node, seq, ...), seq from 1 in each chain, with
 * the hash of the entry before and their own; the first is chained to the
 * node (sc_audit_genesis). Appends to one chain take its advisory lock
 * (SC_PQ_LOCK_AUDIT, node), never the ledger's writer lock: the server's
 * audit writer does not wait for an ingest, and two command-line
 * processes appending at once take turns on node 0.
 *
 * An append is four round trips however many entries it holds: BEGIN and
 * the lock, the chain's head (last hash, tree), one statement writing
 * every row (arrays, unnested), COMMIT.
 *
 * The tree: audit_tree(node, size, frontier), rewritten by each append,
 * and audit_subtrees(node, pos, hash), the perfect subtrees of
 * 2^NODE_LEVEL leaves and more as appends complete them (pos as in
 * sqlite_merkle.c), from which a proof reads its large subtrees. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "pg_impl.h"
#include "socred/audit_head.h"
#include "socred/merkle.h"

#define NODE_LEVEL 10
#define NODE_POS(level, index) ((int64_t)(((index) + 1) << (level)) * 64 + (int64_t)(level))
#define FETCH_ROWS "4096"

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

/* ---- walking a chain ---- */

static void read_entry(const PGresult *r, int i, int32_t node, struct sc_audit_entry *e)
{
	*e = (struct sc_audit_entry){.seq = sc_pq_get_i64(r, i, 0), .at = PQgetvalue(r, i, 1),
				     .key_id = sc_pq_get_i64(r, i, 2), .role = SC_ROLE_PUBLIC,
				     .action = PQgetvalue(r, i, 4), .subject = PQgetvalue(r, i, 5),
				     .result = PQgetvalue(r, i, 6), .node = node};
	sc_role_parse(PQgetvalue(r, i, 3), &e->role);
}

/* Chain `node`'s entries from..to, as sc_store_audit_walk, in the read
 * transaction open (through a cursor: the rows come a batch at a time). */
static enum sc_status walk(struct pq *p, int32_t node, int64_t from, int64_t to,
			   sc_store_audit_chain_fn cb, void *ctx, int64_t *bad, struct sc_diag *d)
{
	char a[3][SC_PQ_INT], prev[SC_HASH_HEX], hash[SC_HASH_HEX];
	const char *v[3];
	PGresult *r = NULL;
	int64_t expect, none;
	bool check = bad != NULL, first = true;
	enum sc_status st;
	int rows;

	if (!bad)
		bad = &none;
	*bad = 0;
	if (from < 1)
		from = 1;
	if (to < 0)
		to = INT64_MAX;
	expect = from;
	sc_audit_genesis(node, prev);
	v[0] = sc_pq_i64(a[0], node);
	v[1] = sc_pq_i64(a[1], from);
	v[2] = sc_pq_i64(a[2], to);
	if ((st = sc_pq_query(p,
			      "DECLARE socred_audit_walk NO SCROLL CURSOR FOR"
			      " SELECT seq, at, key_id, role, action, subject, result, prev, hash"
			      " FROM audit WHERE node = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq",
			      3, v, NULL, d)))
		return st;
	do {
		if ((st = sc_pq_query(p, "FETCH " FETCH_ROWS " FROM socred_audit_walk", 0, NULL, &r,
				      d)))
			break;
		rows = PQntuples(r);
		for (int i = 0; !st && i < rows; i++) {
			struct sc_audit_entry e;
			read_entry(r, i, node, &e);
			if (first && from > 1) /* chained on from the one before */
				snprintf(prev, sizeof(prev), "%s", PQgetvalue(r, i, 7));
			first = false;
			sc_audit_hash(&e, prev, hash);
			if (e.seq != expect ||
			    (check && (strcmp(PQgetvalue(r, i, 7), prev) || strcmp(PQgetvalue(r, i, 8), hash)))) {
				*bad = e.seq > expect ? expect : e.seq;
				st = broken(p, node, *bad, d);
				break;
			}
			st = cb(ctx, &e, prev, hash);
			memcpy(prev, hash, SC_HASH_HEX);
			expect++;
		}
		PQclear(r);
	} while (!st && rows > 0);
	sc_pq_exec(p, "CLOSE socred_audit_walk", NULL);
	if (!st && to != INT64_MAX && expect <= to) {
		*bad = expect;
		st = sc_diag_set(d, SC_ENOTFOUND, p->where, 0, 0, NULL,
				 "the audit log ends before entry %lld", (long long)expect);
	}
	return st;
}

/* ---- appending ---- */

struct append {
	struct sc_merkle_frontier f;
	struct sc_buf pos, hash; /* the subtrees completed, as arrays */
};

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

/* BEGIN and the chain's lock. SC_EBUSY when the lock was not had within
 * the connection's lock_timeout. */
static enum sc_status lock_chain(struct pq *p, int32_t node, struct sc_diag *d)
{
	char sql[128];
	PGresult *r;
	enum sc_status st = SC_OK;

	snprintf(sql, sizeof(sql), "BEGIN; SELECT pg_advisory_xact_lock(%d, %d)",
		 (int)SC_PQ_LOCK_AUDIT, (int)node);
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

enum sc_status sc_pq_audit_append(void *impl, struct sc_audit_entry *e, size_t n,
				  struct sc_diag *d)
{
	static const char write_sql[] =
		"WITH a AS (INSERT INTO audit(node, seq, at, key_id, role, action, subject, result,"
		" prev, hash) SELECT $1::integer, $2::bigint + o - 1, at, k, r, ac, s, re, pv, h"
		" FROM unnest($3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[],"
		" $8::text[], $9::text[], $10::text[]) WITH ORDINALITY AS u(at, k, r, ac, s, re, pv, h, o)),"
		" t AS (INSERT INTO audit_subtrees(node, pos, hash) SELECT $1::integer, pos,"
		" decode(h, 'hex') FROM unnest($11::bigint[], $12::text[]) AS v(pos, h))"
		" INSERT INTO audit_tree(node, size, frontier) VALUES($1::integer, $13::bigint, $14::bytea)"
		" ON CONFLICT(node) DO UPDATE SET size = excluded.size, frontier = excluded.frontier";
	struct pq *p = impl;
	int32_t node = p->audit_node;
	struct append *x = NULL;
	struct sc_buf col[8] = {0}, tree = {0};
	char a[3][SC_PQ_INT], prev[SC_HASH_HEX], hash[SC_HASH_HEX];
	unsigned char blob[SC_MERKLE_LEVELS * SC_MERKLE_BYTES];
	const char *v[14];
	PGresult *r = NULL;
	int64_t seq;
	enum sc_status st;

	if (!n)
		return SC_OK;
	if (p->in_txn)
		return sc_diag_set(d, SC_ESTATE, p->where, 0, 0, NULL,
				   "the audit log is appended outside other transactions");
	if (!(x = calloc(1, sizeof(*x))))
		return no_memory(p, d);
	if ((st = lock_chain(p, node, d)))
		goto out;
	p->in_txn = true;
	/* the chain's head: its last entry and its tree */
	v[0] = sc_pq_i64(a[0], node);
	if ((st = sc_pq_query(p,
			      "SELECT (SELECT count(*) FROM audit_nodes WHERE node = $1),"
			      " (SELECT seq FROM audit WHERE node = $1 ORDER BY seq DESC LIMIT 1),"
			      " (SELECT hash FROM audit WHERE node = $1 ORDER BY seq DESC LIMIT 1)",
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
		sc_pq_get_text(prev, sizeof(prev), r, 0, 2);
	else
		sc_audit_genesis(node, prev);
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
	for (int c = 0; c < 8; c++)
		if (!arr_start(&col[c]))
			goto nomem;
	if (!arr_start(&x->pos) || !arr_start(&x->hash))
		goto nomem;
	v[1] = sc_pq_i64(a[1], seq + 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char leaf[SC_MERKLE_BYTES];
		e[i].seq = ++seq;
		e[i].node = node;
		sc_audit_hash(&e[i], prev, hash);
		if (!arr_text(&col[0], e[i].at) || !arr_int(&col[1], e[i].key_id) ||
		    !arr_text(&col[2], sc_role_name(e[i].role)) || !arr_text(&col[3], e[i].action) ||
		    !arr_text(&col[4], e[i].subject) || !arr_text(&col[5], e[i].result) ||
		    !arr_text(&col[6], prev) || !arr_text(&col[7], hash))
			goto nomem;
		if (sc_merkle_audit_leaf(hash, leaf) ||
		    (st = sc_merkle_frontier_add(&x->f, leaf, keep_subtree, x)))
			goto nomem;
		memcpy(prev, hash, SC_HASH_HEX);
	}
	for (int c = 0; c < 8; c++)
		if (!arr_end(&col[c]))
			goto nomem;
	if (!arr_end(&x->pos) || !arr_end(&x->hash))
		goto nomem;
	{
		size_t len = sc_merkle_frontier_encode(&x->f, blob);
		if (!sc_buf_room(&tree, 2 * len + 3))
			goto nomem;
		sc_pq_bytea((char *)tree.p, blob, len);
	}
	for (int c = 0; c < 8; c++)
		v[2 + c] = (const char *)col[c].p;
	v[10] = (const char *)x->pos.p;
	v[11] = (const char *)x->hash.p;
	v[12] = sc_pq_i64(a[2], (int64_t)x->f.size);
	v[13] = (const char *)tree.p;
	if ((st = sc_pq_query(p, write_sql, 14, v, NULL, d)) ||
	    (st = sc_pq_exec(p, "COMMIT", d)))
		goto fail;
	p->in_txn = false;
	goto out;
nomem:
	st = no_memory(p, d);
fail:
	if (PQtransactionStatus(p->c) != PQTRANS_IDLE)
		sc_pq_exec(p, "ROLLBACK", NULL);
	p->in_txn = false;
out:
	for (int c = 0; c < 8; c++)
		free(col[c].p);
	free(tree.p);
	if (x) {
		free(x->pos.p);
		free(x->hash.p);
	}
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
			      "WITH RECURSIVE e(node) AS (SELECT min(node) FROM audit UNION ALL"
			      " SELECT (SELECT min(node) FROM audit WHERE node > e.node) FROM e"
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

enum sc_status sc_pq_audit_subject(void *impl, const char *subject, sc_store_audit_fn cb,
				   void *ctx, struct sc_diag *d)
{
	struct pq *p = impl;
	const char *v[1] = {subject};
	PGresult *r = NULL;
	bool own = false;
	enum sc_status st;
	int rows;

	if ((st = sc_pq_begin_read(p, &own, d)))
		return st;
	if ((st = sc_pq_query(p,
			      *subject ? "DECLARE socred_audit_subject NO SCROLL CURSOR FOR"
					 " SELECT seq, at, key_id, role, action, subject, result, node"
					 " FROM audit WHERE subject = $1 AND subject <> ''"
					 " ORDER BY at, node, seq"
				       : "DECLARE socred_audit_subject NO SCROLL CURSOR FOR"
					 " SELECT seq, at, key_id, role, action, subject, result, node"
					 " FROM audit ORDER BY at, node, seq",
			      *subject ? 1 : 0, *subject ? v : NULL, NULL, d)))
		goto out;
	do {
		if ((st = sc_pq_query(p, "FETCH " FETCH_ROWS " FROM socred_audit_subject", 0, NULL,
				      &r, d)))
			break;
		rows = PQntuples(r);
		for (int i = 0; !st && i < rows; i++) {
			struct sc_audit_entry e;
			read_entry(r, i, (int32_t)sc_pq_get_i64(r, i, 7), &e);
			st = cb(ctx, &e);
		}
		PQclear(r);
	} while (!st && rows > 0);
	sc_pq_exec(p, "CLOSE socred_audit_subject", NULL);
out:
	sc_pq_end_read(p, own);
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
	const struct sc_merkle_frontier *f;
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

static enum sc_status stored_subtree(struct prover *v, unsigned level, uint64_t lo, uint64_t hi,
				     unsigned char out[SC_MERKLE_BYTES])
{
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
				 (unsigned long long)lo + 1, (unsigned long long)hi);
	PQclear(r);
	return st;
}

/* The head of leaves [lo, hi) */
static enum sc_status range_root(void *ctx, uint64_t lo, uint64_t hi,
				 unsigned char out[SC_MERKLE_BYTES])
{
	struct prover *v = ctx;
	uint64_t w = hi - lo, k = 1;
	unsigned level = 0;
	enum sc_status st;
	int64_t bad;

	while (((uint64_t)1 << level) < w)
		level++;
	if (w == (uint64_t)1 << level && lo % w == 0) {
		if ((v->f->size >> level & 1) && level < SC_MERKLE_LEVELS - 1 &&
		    lo == v->f->size >> (level + 1) << (level + 1)) {
			memcpy(out, v->f->node[level], SC_MERKLE_BYTES);
			return SC_OK;
		}
		if (level >= NODE_LEVEL)
			return stored_subtree(v, level, lo, hi, out);
	}
	if (w <= ((uint64_t)1 << NODE_LEVEL)) {
		v->nleaves = 0;
		if ((st = walk(v->p, v->node, (int64_t)lo + 1, (int64_t)hi, gather, v, &bad, v->d)))
			return st;
		if (v->nleaves != w)
			return mismatch(v);
		sc_merkle_root_of((const unsigned char(*)[SC_MERKLE_BYTES])v->leaves, w, out);
		return SC_OK;
	}
	{
		unsigned char left[SC_MERKLE_BYTES], right[SC_MERKLE_BYTES];
		while (k < w - k)
			k <<= 1;
		if ((st = range_root(v, lo, lo + k, left)) || (st = range_root(v, lo + k, hi, right)))
			return st;
		sc_merkle_node(left, right, out);
	}
	return SC_OK;
}

enum sc_status sc_pq_audit_prove(void *impl, int64_t seq, struct sc_audit_proof *proof,
				 sc_store_audit_chain_fn cb, void *ctx, struct sc_diag *d)
{
	struct pq *p = impl;
	struct prover v = {.p = p, .d = d, .node = p->audit_node, .f = proof->tree, .seq = seq,
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
	st = sc_merkle_path((uint64_t)seq - 1, proof->tree->size, range_root, &v, proof->path,
			    &proof->npath);
done:
	free(v.leaves);
	sc_pq_end_read(p, own);
	return st;
}
