/* The audit log's Merkle tree (socred/merkle.h): RFC 9162's hashes, tree
 * head, inclusion proofs and their check, and the frontier that keeps the
 * head up to date one leaf at a time. */
/* The tree's hashes are of 33 and 65 bytes, two for each entry appended
 * on average: sc_sha256_parts, which uses OpenSSL's low-level calls (57
 * and 97 ns for them with SHA-NI, where EVP took 400-550 ns). */
#include "socred/merkle.h"

#include <string.h>

#include "socred/sha256.h"

void sc_merkle_leaf(const void *data, size_t len, unsigned char out[SC_MERKLE_BYTES])
{
	static const unsigned char zero = 0;
	const struct sc_bytes parts[2] = {{&zero, 1}, {data, len}};

	sc_sha256_parts(parts, 2, out);
}

void sc_merkle_node(const unsigned char left[SC_MERKLE_BYTES],
		    const unsigned char right[SC_MERKLE_BYTES], unsigned char out[SC_MERKLE_BYTES])
{
	static const unsigned char one = 1;
	const struct sc_bytes parts[3] = {{&one, 1}, {left, SC_MERKLE_BYTES},
					  {right, SC_MERKLE_BYTES}};

	sc_sha256_parts(parts, 3, out);
}

/* hex digit values, 16 for anything else: a table, as the digits of a
 * hash are random and comparisons mispredicted half of them */
static const unsigned char unhex[256] = {
	['0'] = 0, ['1'] = 1, ['2'] = 2, ['3'] = 3, ['4'] = 4, ['5'] = 5, ['6'] = 6, ['7'] = 7,
	['8'] = 8, ['9'] = 9, ['a'] = 10, ['b'] = 11, ['c'] = 12, ['d'] = 13, ['e'] = 14,
	['f'] = 15, ['A'] = 10, ['B'] = 11, ['C'] = 12, ['D'] = 13, ['E'] = 14, ['F'] = 15,
};

static bool is_hex(unsigned char c)
{
	return unhex[c] || c == '0';
}

enum sc_status sc_merkle_audit_leaf(const char *hash_hex, unsigned char out[SC_MERKLE_BYTES])
{
	const unsigned char *h = (const unsigned char *)hash_hex;
	unsigned char b[SC_MERKLE_BYTES];

	/* one digit at a time: a short string ends at its NUL, never read past */
	for (int i = 0; i < SC_MERKLE_BYTES; i++) {
		unsigned char x = h[2 * i], y;
		if (!is_hex(x) || !is_hex(y = h[2 * i + 1]))
			return SC_EINVAL;
		b[i] = (unsigned char)(unhex[x] << 4 | unhex[y]);
	}
	if (h[2 * SC_MERKLE_BYTES])
		return SC_EINVAL;
	sc_merkle_leaf(b, sizeof(b), out);
	return SC_OK;
}

/* the largest power of two smaller than n (n >= 2) */
static uint64_t split(uint64_t n)
{
	uint64_t k = 1;

	while (k < n - k)
		k <<= 1;
	return k;
}

void sc_merkle_root_of(const unsigned char (*leaves)[SC_MERKLE_BYTES], uint64_t n,
		       unsigned char out[SC_MERKLE_BYTES])
{
	unsigned char l[SC_MERKLE_BYTES], r[SC_MERKLE_BYTES];
	uint64_t k;

	if (n == 0) {
		sc_sha256("", 0, out);
		return;
	}
	if (n == 1) {
		memcpy(out, leaves[0], SC_MERKLE_BYTES);
		return;
	}
	k = split(n);
	sc_merkle_root_of(leaves, k, l);
	sc_merkle_root_of(leaves + k, n - k, r);
	sc_merkle_node(l, r, out);
}

void sc_merkle_frontier_init(struct sc_merkle_frontier *f)
{
	f->size = 0;
}

enum sc_status sc_merkle_frontier_add(struct sc_merkle_frontier *f,
				      const unsigned char leaf[SC_MERKLE_BYTES],
				      sc_merkle_node_fn cb, void *ctx)
{
	unsigned char cur[SC_MERKLE_BYTES];
	uint64_t index = f->size;
	unsigned h = 0;
	enum sc_status st;

	memcpy(cur, leaf, SC_MERKLE_BYTES);
	/* carry: each subtree of the size's low set bits joins the new one */
	while (h < SC_MERKLE_LEVELS - 1 && (f->size >> h & 1)) {
		sc_merkle_node(f->node[h], cur, cur);
		h++;
		index >>= 1;
		if (cb && (st = cb(ctx, h, index, cur)))
			return st;
	}
	memcpy(f->node[h], cur, SC_MERKLE_BYTES);
	f->size++;
	return SC_OK;
}

void sc_merkle_frontier_root(const struct sc_merkle_frontier *f,
			     unsigned char out[SC_MERKLE_BYTES])
{
	bool any = false;

	for (unsigned h = 0; h < SC_MERKLE_LEVELS; h++) {
		if (!(f->size >> h & 1))
			continue;
		if (any)
			sc_merkle_node(f->node[h], out, out);
		else
			memcpy(out, f->node[h], SC_MERKLE_BYTES);
		any = true;
	}
	if (!any)
		sc_sha256("", 0, out);
}

size_t sc_merkle_frontier_encode(const struct sc_merkle_frontier *f, unsigned char *out)
{
	size_t len = 0;

	for (unsigned h = SC_MERKLE_LEVELS; h-- > 0;)
		if (f->size >> h & 1) {
			memcpy(out + len, f->node[h], SC_MERKLE_BYTES);
			len += SC_MERKLE_BYTES;
		}
	return len;
}

enum sc_status sc_merkle_frontier_decode(struct sc_merkle_frontier *f, uint64_t size,
					 const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t want = 0;

	for (unsigned h = 0; h < SC_MERKLE_LEVELS; h++)
		want += (size >> h & 1) * SC_MERKLE_BYTES;
	if (len != want)
		return SC_EINVAL;
	for (unsigned h = SC_MERKLE_LEVELS; h-- > 0;)
		if (size >> h & 1) {
			memcpy(f->node[h], p, SC_MERKLE_BYTES);
			p += SC_MERKLE_BYTES;
		}
	f->size = size;
	return SC_OK;
}

void sc_merkle_frontier_range(uint64_t size, unsigned i, uint64_t *lo, uint64_t *hi,
			      unsigned *level)
{
	uint64_t start = 0;

	for (unsigned h = SC_MERKLE_LEVELS; h-- > 0;) {
		if (!(size >> h & 1))
			continue;
		if (i-- == 0) {
			*lo = start;
			*hi = start + ((uint64_t)1 << h);
			*level = h;
			return;
		}
		start += (uint64_t)1 << h;
	}
	*lo = *hi = start;
	*level = 0;
}

/* PATH(m, D[lo:hi]), appended to path */
static enum sc_status path_of(uint64_t m, uint64_t lo, uint64_t hi, sc_merkle_range_fn root,
			      void *ctx, unsigned char (*path)[SC_MERKLE_BYTES], unsigned *npath)
{
	uint64_t k;
	enum sc_status st;

	if (hi - lo <= 1)
		return SC_OK;
	k = split(hi - lo);
	if (m < lo + k) {
		if ((st = path_of(m, lo, lo + k, root, ctx, path, npath)))
			return st;
		return root(ctx, lo + k, hi, path[(*npath)++]);
	}
	if ((st = path_of(m, lo + k, hi, root, ctx, path, npath)))
		return st;
	return root(ctx, lo, lo + k, path[(*npath)++]);
}

enum sc_status sc_merkle_path(uint64_t m, uint64_t n, sc_merkle_range_fn root, void *ctx,
			      unsigned char (*path)[SC_MERKLE_BYTES], unsigned *npath)
{
	*npath = 0;
	if (m >= n)
		return SC_EINVAL;
	return path_of(m, 0, n, root, ctx, path, npath);
}

bool sc_merkle_path_check(uint64_t m, uint64_t n, const unsigned char leaf[SC_MERKLE_BYTES],
			  const unsigned char (*path)[SC_MERKLE_BYTES], unsigned npath,
			  const unsigned char root[SC_MERKLE_BYTES])
{
	unsigned char r[SC_MERKLE_BYTES];
	uint64_t fn = m, sn;

	if (m >= n)
		return false;
	sn = n - 1;
	memcpy(r, leaf, SC_MERKLE_BYTES);
	for (unsigned i = 0; i < npath; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			sc_merkle_node(path[i], r, r);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			sc_merkle_node(r, path[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && !memcmp(r, root, SC_MERKLE_BYTES);
}

enum sc_status sc_merkle_range_root(void *src, uint64_t lo, uint64_t hi,
				    unsigned char out[SC_MERKLE_BYTES])
{
	const struct sc_merkle_source *s = src;
	uint64_t w = hi - lo, k = 1;
	unsigned level = 0;
	enum sc_status st;

	while (((uint64_t)1 << level) < w)
		level++;
	if (w == (uint64_t)1 << level && lo % w == 0) {
		/* a perfect subtree: the frontier's, or a stored one */
		if ((s->f->size >> level & 1) && level < SC_MERKLE_LEVELS - 1 &&
		    lo == s->f->size >> (level + 1) << (level + 1)) {
			memcpy(out, s->f->node[level], SC_MERKLE_BYTES);
			return SC_OK;
		}
		if (level >= s->stored)
			return s->subtree(s->ctx, level, lo, out);
	}
	if (w <= ((uint64_t)1 << s->stored)) {
		if ((st = s->leaves(s->ctx, lo, hi, s->buf)))
			return st;
		sc_merkle_root_of((const unsigned char(*)[SC_MERKLE_BYTES])s->buf, w, out);
		return SC_OK;
	}
	{
		unsigned char left[SC_MERKLE_BYTES], right[SC_MERKLE_BYTES];
		while (k < w - k)
			k <<= 1;
		if ((st = sc_merkle_range_root(src, lo, lo + k, left)) ||
		    (st = sc_merkle_range_root(src, lo + k, hi, right)))
			return st;
		sc_merkle_node(left, right, out);
	}
	return SC_OK;
}
