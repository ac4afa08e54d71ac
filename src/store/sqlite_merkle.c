/* The audit log's Merkle tree (RFC 9162, socred/merkle.h), kept beside the
 * log. Leaf i is sc_merkle_audit_leaf of entry i + 1's chain hash.
 *
 * audit_tree holds one row: the tree's size and its frontier (the roots of
 * its perfect subtrees, the largest first), rewritten by each append in the
 * append's transaction, so the head of the log as committed is one row
 * read away. audit_nodes keeps every perfect subtree of 2^NODE_LEVEL leaves
 * and more as the appends complete them, keyed by the leaf after its end
 * times 64 plus its level: the table grows at its right edge only, by about
 * one row per 512 entries (0.09 bytes an entry). An inclusion proof reads
 * its hashes of large subtrees from there and hashes the leaves of at most
 * two runs of 2^NODE_LEVEL entries (the one holding the entry, the
 * unfinished one at the end), so its cost does not grow with the log. */
#include <stdlib.h>
#include <string.h>

#include "socred/merkle.h"
#include "sqlite_impl.h"

#define NODE_LEVEL 10
#define NODE_POS(level, index) ((int64_t)(((index) + 1) << (level)) * 64 + (int64_t)(level))

struct sc_lite_tree {
	struct sc_merkle_frontier f;
	struct lite *l;
	struct sc_diag *d;
	sqlite3_stmt *ins, *sel, *put; /* prepared once per handle */
};

#define SELECT_TREE "SELECT size, frontier FROM audit_tree WHERE id = 1"

/* *cache: a statement kept for the next call (NULL: finalized here) */
static enum sc_status read_tree_with(struct lite *l, struct sc_merkle_frontier *f,
				     sqlite3_stmt **cache, struct sc_diag *d)
{
	sqlite3_stmt *s = cache ? *cache : NULL;
	enum sc_status st = SC_OK;
	int rc;

	if (!s && (st = sc_lite_prepare(l, SELECT_TREE, &s, d)))
		return st;
	if (cache)
		*cache = s;
	sc_merkle_frontier_init(f);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int64_t size = sqlite3_column_int64(s, 0);
		if (size < 0 || sc_merkle_frontier_decode(f, (uint64_t)size, sqlite3_column_blob(s, 1),
							   (size_t)sqlite3_column_bytes(s, 1)))
			st = sc_diag_set(d, SC_ECORRUPT, l->path, 0, 0, NULL,
					 "the audit tree's frontier is damaged");
	} else if (rc != SQLITE_DONE) {
		st = sc_lite_db_err(l, d, "cannot read the audit tree");
	}
	if (cache)
		sqlite3_reset(s);
	else
		sqlite3_finalize(s);
	return st;
}

static enum sc_status read_tree(struct lite *l, struct sc_merkle_frontier *f, struct sc_diag *d)
{
	return read_tree_with(l, f, NULL, d);
}

enum sc_status sc_lite_audit_tree(void *impl, struct sc_merkle_frontier *f, struct sc_diag *d)
{
	struct lite *l = impl;
	bool own = sc_lite_read_begin(l);
	enum sc_status st = read_tree(l, f, d);

	sc_lite_read_end(l, own);
	return st;
}

/* ---- appending ---- */

void sc_lite_tree_free(struct sc_lite_tree *t)
{
	if (!t)
		return;
	sqlite3_finalize(t->ins);
	sqlite3_finalize(t->sel);
	sqlite3_finalize(t->put);
	free(t);
}

static enum sc_status keep_node(void *ctx, unsigned level, uint64_t index,
				const unsigned char hash[SC_MERKLE_BYTES]);

static enum sc_status tree_add(struct sc_lite_tree *t, const char *hash_hex)
{
	unsigned char leaf[SC_MERKLE_BYTES];

	if (sc_merkle_audit_leaf(hash_hex, leaf))
		return sc_diag_set(t->d, SC_ECORRUPT, t->l->path, 0, 0, NULL, "an audit hash is not hex");
	return sc_merkle_frontier_add(&t->f, leaf, keep_node, t);
}

static enum sc_status build_leaf(void *ctx, const struct sc_audit_entry *e, const char *prev_hex,
				 const char *hash_hex)
{
	struct sc_lite_tree *t = ctx;

	(void)e;
	(void)prev_hex;
	return tree_add(t, hash_hex);
}

enum sc_status sc_lite_tree_begin(struct lite *l, int64_t first, struct sc_lite_tree **out,
				  struct sc_diag *d)
{
	struct sc_lite_tree *t = l->tree;
	enum sc_status st;

	if (!t && !(t = l->tree = calloc(1, sizeof(*t))))
		return sc_diag_set(d, SC_ENOMEM, l->path, 0, 0, NULL, "out of memory");
	t->l = l;
	t->d = d;
	if ((st = read_tree_with(l, &t->f, &t->sel, d)))
		return st;
	/* entries written without their leaves (by an older socred, or
	 * straight into the table): added now */
	if (t->f.size < (uint64_t)(first - 1) &&
	    (st = sc_lite_audit_walk(l, (int64_t)t->f.size + 1, first - 1, build_leaf, t, NULL, d)))
		return st;
	if (t->f.size != (uint64_t)(first - 1))
		return sc_diag_set(d, SC_ECORRUPT, l->path, 0, 0, NULL,
				   "the audit tree holds %llu entries but the log %lld: entries were"
				   " removed or the tree altered (socred audit verify --head names them)",
				   (unsigned long long)t->f.size, (long long)(first - 1));
	*out = t;
	return SC_OK;
}

static enum sc_status keep_node(void *ctx, unsigned level, uint64_t index,
				const unsigned char hash[SC_MERKLE_BYTES])
{
	struct sc_lite_tree *t = ctx;
	enum sc_status st;

	if (level < NODE_LEVEL)
		return SC_OK;
	if (!t->ins && (st = sc_lite_prepare(t->l, "INSERT INTO audit_nodes(pos, hash) VALUES(?1, ?2)",
					     &t->ins, t->d)))
		return st;
	sqlite3_reset(t->ins);
	sqlite3_bind_int64(t->ins, 1, NODE_POS(level, index));
	sqlite3_bind_blob(t->ins, 2, hash, SC_MERKLE_BYTES, SQLITE_STATIC);
	if (sqlite3_step(t->ins) != SQLITE_DONE)
		return sc_lite_db_err(t->l, t->d, "cannot write the audit tree");
	return SC_OK;
}

enum sc_status sc_lite_tree_add(struct lite *l, struct sc_lite_tree *t, const char *hash_hex,
				struct sc_diag *d)
{
	(void)l;
	t->d = d;
	return tree_add(t, hash_hex);
}

enum sc_status sc_lite_tree_end(struct lite *l, struct sc_lite_tree *t, struct sc_diag *d)
{
	unsigned char blob[SC_MERKLE_LEVELS * SC_MERKLE_BYTES];
	size_t len = sc_merkle_frontier_encode(&t->f, blob);
	enum sc_status st;

	if (!t->put && (st = sc_lite_prepare(l, "INSERT OR REPLACE INTO audit_tree(id, size, frontier)"
					     " VALUES(1, ?1, ?2)", &t->put, d)))
		return st;
	sqlite3_reset(t->put);
	sqlite3_bind_int64(t->put, 1, (int64_t)t->f.size);
	sqlite3_bind_blob(t->put, 2, blob, (int)len, SQLITE_STATIC);
	st = sqlite3_step(t->put) == SQLITE_DONE ? SC_OK
						 : sc_lite_db_err(l, d, "cannot write the audit tree");
	sqlite3_reset(t->put);
	return st;
}

/* The migration: the tree of the entries as they are (a chain broken
 * already stays so for `audit verify`; the tree is built over the hashes
 * recomputed from the fields). */
enum sc_status sc_lite_tree_build(struct lite *l, struct sc_diag *d)
{
	struct sc_lite_tree *t = calloc(1, sizeof(*t));
	enum sc_status st;

	if (!t)
		return sc_diag_set(d, SC_ENOMEM, l->path, 0, 0, NULL, "out of memory");
	t->l = l;
	t->d = d;
	sc_merkle_frontier_init(&t->f);
	if (!(st = sc_lite_audit_walk(l, 1, -1, build_leaf, t, NULL, d)))
		st = sc_lite_tree_end(l, t, d);
	sc_lite_tree_free(t);
	return st;
}

/* ---- inclusion proofs ---- */

struct prover {
	struct lite *l;
	struct sc_diag *d;
	sqlite3_stmt *node;
	unsigned char (*leaves)[SC_MERKLE_BYTES]; /* 2^NODE_LEVEL */
	size_t nleaves;
	int64_t seq;
	struct sc_audit_proof *p;
	sc_store_audit_chain_fn cb;
	void *ctx;
};

static enum sc_status gather(void *ctx, const struct sc_audit_entry *e, const char *prev_hex,
			     const char *hash_hex)
{
	struct prover *v = ctx;
	enum sc_status st;

	(void)prev_hex;
	if (v->nleaves >= ((size_t)1 << NODE_LEVEL) ||
	    sc_merkle_audit_leaf(hash_hex, v->leaves[v->nleaves]))
		return sc_diag_set(v->d, SC_ECORRUPT, v->l->path, 0, 0, NULL,
				   "the audit log does not match its tree");
	if (e->seq == v->seq) {
		memcpy(v->p->leaf, v->leaves[v->nleaves], SC_MERKLE_BYTES);
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
	enum sc_status st;
	int rc;

	if (!v->node && (st = sc_lite_prepare(v->l, "SELECT hash FROM audit_nodes WHERE pos = ?1",
					     &v->node, v->d)))
		return st;
	sqlite3_reset(v->node);
	sqlite3_bind_int64(v->node, 1, NODE_POS(level, lo >> level));
	rc = sqlite3_step(v->node);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(v->node, 0) == SC_MERKLE_BYTES) {
		memcpy(out, sqlite3_column_blob(v->node, 0), SC_MERKLE_BYTES);
		return SC_OK;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sc_lite_db_err(v->l, v->d, "cannot read the audit tree");
	return sc_diag_set(v->d, SC_ECORRUPT, v->l->path, 0, 0, NULL,
			   "the audit tree lacks its subtree of entries %llu to %llu",
			   (unsigned long long)lo + 1, (unsigned long long)(lo + ((uint64_t)1 << level)));
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
	if ((st = sc_lite_audit_walk(v->l, (int64_t)lo + 1, (int64_t)hi, gather, v, &bad, v->d)))
		return st;
	if (v->nleaves != hi - lo)
		return sc_diag_set(v->d, SC_ECORRUPT, v->l->path, 0, 0, NULL,
				   "the audit log does not match its tree");
	return SC_OK;
}

enum sc_status sc_lite_audit_prove(void *impl, int64_t seq, struct sc_audit_proof *p,
				   sc_store_audit_chain_fn cb, void *ctx, struct sc_diag *d)
{
	struct lite *l = impl;
	struct prover v = {.l = l, .d = d, .seq = seq, .p = p, .cb = cb, .ctx = ctx};
	bool own = sc_lite_read_begin(l);
	enum sc_status st;
	int64_t bad;

	p->npath = 0;
	if ((st = read_tree(l, p->tree, d)))
		goto done;
	if (seq < 1 || (uint64_t)seq > p->tree->size) {
		st = sc_diag_set(d, SC_ENOTFOUND, l->path, 0, 0, NULL, "no audit entry %lld",
				 (long long)seq);
		goto done;
	}
	if (!(v.leaves = malloc(((size_t)1 << NODE_LEVEL) * SC_MERKLE_BYTES))) {
		st = sc_diag_set(d, SC_ENOMEM, l->path, 0, 0, NULL, "out of memory");
		goto done;
	}
	/* the entry and its leaf */
	if ((st = sc_lite_audit_walk(l, seq, seq, gather, &v, &bad, d)))
		goto done;
	v.cb = NULL;
	{
		struct sc_merkle_source src = {.f = p->tree, .stored = NODE_LEVEL, .subtree = subtree,
					       .leaves = leaves, .ctx = &v, .buf = v.leaves};
		st = sc_merkle_path((uint64_t)seq - 1, p->tree->size, sc_merkle_range_root, &src,
				    p->path, &p->npath);
	}
done:
	sqlite3_finalize(v.node);
	free(v.leaves);
	sc_lite_read_end(l, own);
	return st;
}
