/* socred: the audit log's Merkle tree, as Certificate Transparency's
 * (RFC 9162, section 2.1): a leaf hashes as SHA-256(0x00 || leaf), a node
 * as SHA-256(0x01 || left || right), and the tree of n > 1 leaves splits
 * at k, the largest power of two smaller than n, into the trees of the
 * first k leaves and of the rest. Pure functions, no I/O. */
#ifndef SOCRED_MERKLE_H
#define SOCRED_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "socred/status.h"

#define SC_MERKLE_BYTES 32
#define SC_MERKLE_LEVELS 64 /* a tree of up to 2^64 - 1 leaves */

/* The leaves so far as their perfect subtrees, largest (leftmost) first:
 * for each bit h set in size, the root of the 2^h leaves that bit covers.
 * Enough to add the next leaf and to compute the root (RFC 9162's
 * "compact range" of [0, size)). */
struct sc_merkle_frontier {
	uint64_t size;
	unsigned char node[SC_MERKLE_LEVELS][SC_MERKLE_BYTES]; /* [h]: set when bit h of size is */
};

/* out = SHA-256(0x00 || data[0..len)) */
void sc_merkle_leaf(const void *data, size_t len, unsigned char out[SC_MERKLE_BYTES]);
/* out = SHA-256(0x01 || left || right); out may alias either */
void sc_merkle_node(const unsigned char left[SC_MERKLE_BYTES],
		    const unsigned char right[SC_MERKLE_BYTES], unsigned char out[SC_MERKLE_BYTES]);
/* The tree head MTH of n leaf hashes (n = 0: SHA-256 of nothing), by the
 * RFC's recursive definition. */
void sc_merkle_root_of(const unsigned char (*leaves)[SC_MERKLE_BYTES], uint64_t n,
		       unsigned char out[SC_MERKLE_BYTES]);

/* The audit log's leaf for an entry: sc_merkle_leaf of the 32 bytes of
 * its chain hash (sc_audit_hash, 64 hex digits). SC_EINVAL when hash_hex
 * is not 64 hex digits. */
enum sc_status sc_merkle_audit_leaf(const char *hash_hex, unsigned char out[SC_MERKLE_BYTES]);

void sc_merkle_frontier_init(struct sc_merkle_frontier *f);
/* A perfect subtree completed by an append: level h >= 1, covering leaves
 * [index * 2^h, (index + 1) * 2^h). */
typedef enum sc_status (*sc_merkle_node_fn)(void *ctx, unsigned level, uint64_t index,
					    const unsigned char hash[SC_MERKLE_BYTES]);
/* Appends a leaf hash; cb (may be NULL) hears of each subtree it
 * completes, lowest first. The status cb returned (then f is not
 * changed), or SC_OK. */
enum sc_status sc_merkle_frontier_add(struct sc_merkle_frontier *f,
				      const unsigned char leaf[SC_MERKLE_BYTES],
				      sc_merkle_node_fn cb, void *ctx);
/* The tree head of f's leaves: its subtrees folded from the smallest. */
void sc_merkle_frontier_root(const struct sc_merkle_frontier *f,
			     unsigned char out[SC_MERKLE_BYTES]);
/* The frontier's subtrees as bytes (the largest first, 32 bytes each) into
 * out (room for SC_MERKLE_LEVELS * 32); their length. */
size_t sc_merkle_frontier_encode(const struct sc_merkle_frontier *f, unsigned char *out);
/* The reverse, for size leaves: SC_EINVAL when len is not 32 bytes for
 * each bit set in size. */
enum sc_status sc_merkle_frontier_decode(struct sc_merkle_frontier *f, uint64_t size,
					 const void *data, size_t len);
/* The i-th subtree of a frontier of size leaves, the largest first (i from
 * 0 to popcount(size) - 1): its leaves [*lo, *hi) and level. */
void sc_merkle_frontier_range(uint64_t size, unsigned i, uint64_t *lo, uint64_t *hi,
			      unsigned *level);

/* The tree head of leaves [lo, hi) of a log, for sc_merkle_path. */
typedef enum sc_status (*sc_merkle_range_fn)(void *ctx, uint64_t lo, uint64_t hi,
					     unsigned char out[SC_MERKLE_BYTES]);
/* RFC 9162's PATH(m, D[0:n]): the inclusion proof of leaf m (from 0) in the
 * tree of n leaves, the hash nearest the leaf first, into path (room for
 * SC_MERKLE_LEVELS), *npath set. The subtrees come from root(ctx, lo, hi):
 * each a range the tree splits into. SC_EINVAL when m >= n, or root's
 * status. */
enum sc_status sc_merkle_path(uint64_t m, uint64_t n, sc_merkle_range_fn root, void *ctx,
			      unsigned char (*path)[SC_MERKLE_BYTES], unsigned *npath);
/* Where a store finds the heads sc_merkle_range_root needs: the frontier
 * it read; the perfect subtrees of 2^stored leaves or more, which it keeps
 * (subtree: the head of leaves [lo, lo + 2^level)); and the leaf hashes of
 * a range of at most 2^stored leaves (leaves: [lo, hi) into out, in
 * order). A callback's failure is its status. */
struct sc_merkle_source {
	const struct sc_merkle_frontier *f;
	unsigned stored;
	enum sc_status (*subtree)(void *ctx, unsigned level, uint64_t lo,
				  unsigned char out[SC_MERKLE_BYTES]);
	enum sc_status (*leaves)(void *ctx, uint64_t lo, uint64_t hi,
				 unsigned char (*out)[SC_MERKLE_BYTES]);
	void *ctx;
	unsigned char (*buf)[SC_MERKLE_BYTES]; /* room for 2^stored leaves */
};
/* The head of leaves [lo, hi) of src's log: a sc_merkle_range_fn with
 * ctx a struct sc_merkle_source. A perfect subtree comes from the
 * frontier or the store, a range of up to 2^stored leaves from its leaves,
 * and a larger one is split as the tree splits. */
enum sc_status sc_merkle_range_root(void *src, uint64_t lo, uint64_t hi,
				    unsigned char out[SC_MERKLE_BYTES]);
/* RFC 9162 section 2.1.3.2: does path prove that leaf hash `leaf` is leaf
 * m of the tree of n leaves whose head is root? */
bool sc_merkle_path_check(uint64_t m, uint64_t n, const unsigned char leaf[SC_MERKLE_BYTES],
			  const unsigned char (*path)[SC_MERKLE_BYTES], unsigned npath,
			  const unsigned char root[SC_MERKLE_BYTES]);

#endif
