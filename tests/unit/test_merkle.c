/* The audit log's Merkle tree: RFC 6962 / 9162 test vectors (the eight
 * leaves of Certificate Transparency's reference tests), and every tree of
 * up to 70 leaves against the recursive definition: the frontier's head,
 * every inclusion proof, and proofs altered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <stdlib.h>

#include "socred/audit_head.h"
#include "socred/merkle.h"

#define N 70

static void hex(const char *h, unsigned char *out)
{
	for (size_t i = 0; h[2 * i]; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (unsigned char)v;
	}
}

/* CT's test leaves */
static const struct {
	const char *data;
	size_t len;
} ct_leaves[8] = {
	{"", 0},
	{"\x00", 1},
	{"\x10", 1},
	{"\x20\x21", 2},
	{"\x30\x31", 2},
	{"\x40\x41\x42\x43", 4},
	{"\x50\x51\x52\x53\x54\x55\x56\x57", 8},
	{"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f", 16},
};

/* the tree heads of the first 1 to 8 */
static const char *const ct_roots[8] = {
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static unsigned char leaves[N][SC_MERKLE_BYTES];

static enum sc_status range_root(void *ctx, uint64_t lo, uint64_t hi,
				 unsigned char out[SC_MERKLE_BYTES])
{
	const unsigned char(*l)[SC_MERKLE_BYTES] = ctx;

	sc_merkle_root_of(l + lo, hi - lo, out);
	return SC_OK;
}

static void vectors(void **state)
{
	struct sc_merkle_frontier f;
	unsigned char ct[8][SC_MERKLE_BYTES], want[SC_MERKLE_BYTES], got[SC_MERKLE_BYTES];
	unsigned char path[SC_MERKLE_LEVELS][SC_MERKLE_BYTES];
	unsigned npath;

	(void)state;
	sc_merkle_frontier_init(&f);
	sc_merkle_frontier_root(&f, got);
	hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want);
	assert_memory_equal(got, want, SC_MERKLE_BYTES); /* the empty tree */
	for (int i = 0; i < 8; i++) {
		sc_merkle_leaf(ct_leaves[i].data, ct_leaves[i].len, ct[i]);
		assert_int_equal(sc_merkle_frontier_add(&f, ct[i], NULL, NULL), SC_OK);
		hex(ct_roots[i], want);
		sc_merkle_frontier_root(&f, got);
		assert_memory_equal(got, want, SC_MERKLE_BYTES);
		sc_merkle_root_of((const unsigned char(*)[SC_MERKLE_BYTES])ct, (uint64_t)i + 1, got);
		assert_memory_equal(got, want, SC_MERKLE_BYTES);
	}
	/* RFC 6962's inclusion proof of leaf 0 in the tree of 8 */
	assert_int_equal(sc_merkle_path(0, 8, range_root, ct, path, &npath), SC_OK);
	assert_int_equal(npath, 3);
	hex("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", want);
	assert_memory_equal(path[0], want, SC_MERKLE_BYTES);
	hex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", want);
	assert_memory_equal(path[1], want, SC_MERKLE_BYTES);
	hex("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4", want);
	assert_memory_equal(path[2], want, SC_MERKLE_BYTES);
	/* of leaf 5 in the tree of 8 */
	assert_int_equal(sc_merkle_path(5, 8, range_root, ct, path, &npath), SC_OK);
	assert_int_equal(npath, 3);
	hex("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", want);
	assert_memory_equal(path[0], want, SC_MERKLE_BYTES);
	hex("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", want);
	assert_memory_equal(path[1], want, SC_MERKLE_BYTES);
	hex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7", want);
	assert_memory_equal(path[2], want, SC_MERKLE_BYTES);
}

struct seen {
	unsigned char node[2 * N][SC_MERKLE_BYTES];
	unsigned level[2 * N];
	uint64_t index[2 * N];
	int n;
};

static enum sc_status note(void *ctx, unsigned level, uint64_t index,
			   const unsigned char hash[SC_MERKLE_BYTES])
{
	struct seen *s = ctx;

	s->level[s->n] = level;
	s->index[s->n] = index;
	memcpy(s->node[s->n++], hash, SC_MERKLE_BYTES);
	return SC_OK;
}

/* every size up to N: the frontier's head, its encoding, the subtrees it
 * reports, every leaf's proof and the proof altered */
static void brute_force(void **state)
{
	static struct seen seen;
	struct sc_merkle_frontier f, g;
	unsigned char want[SC_MERKLE_BYTES], got[SC_MERKLE_BYTES], blob[64 * SC_MERKLE_BYTES];
	unsigned char path[SC_MERKLE_LEVELS][SC_MERKLE_BYTES];
	unsigned npath;

	(void)state;
	for (int i = 0; i < N; i++) {
		unsigned char b[2] = {(unsigned char)i, 0x5a};
		sc_merkle_leaf(b, sizeof(b), leaves[i]);
	}
	sc_merkle_frontier_init(&f);
	for (uint64_t n = 1; n <= N; n++) {
		size_t len;
		assert_int_equal(sc_merkle_frontier_add(&f, leaves[n - 1], note, &seen), SC_OK);
		sc_merkle_root_of((const unsigned char(*)[SC_MERKLE_BYTES])leaves, n, want);
		sc_merkle_frontier_root(&f, got);
		assert_memory_equal(got, want, SC_MERKLE_BYTES);
		len = sc_merkle_frontier_encode(&f, blob);
		assert_int_equal(sc_merkle_frontier_decode(&g, n, blob, len), SC_OK);
		sc_merkle_frontier_root(&g, got);
		assert_memory_equal(got, want, SC_MERKLE_BYTES);
		assert_int_equal(sc_merkle_frontier_decode(&g, n + 1, blob, len),
				 __builtin_popcountll(n + 1) != __builtin_popcountll(n) ? SC_EINVAL : SC_OK);
		/* each subtree of the frontier is the head of its range */
		for (unsigned i = 0; (uint64_t)1 << i <= n && i < 8; i++) {
			uint64_t lo, hi;
			unsigned level;
			if ((unsigned)__builtin_popcountll(n) <= i)
				break;
			sc_merkle_frontier_range(n, i, &lo, &hi, &level);
			assert_int_equal(hi - lo, (uint64_t)1 << level);
			sc_merkle_root_of((const unsigned char(*)[SC_MERKLE_BYTES])leaves + lo, hi - lo, want);
			assert_memory_equal(f.node[level], want, SC_MERKLE_BYTES);
		}
		for (uint64_t m = 0; m < n; m++) {
			sc_merkle_root_of((const unsigned char(*)[SC_MERKLE_BYTES])leaves, n, want);
			assert_int_equal(sc_merkle_path(m, n, range_root, leaves, path, &npath), SC_OK);
			assert_true(sc_merkle_path_check(m, n, leaves[m],
							 (const unsigned char(*)[SC_MERKLE_BYTES])path,
							 npath, want));
			/* another leaf, another place, another size, a hash off */
			assert_false(sc_merkle_path_check(m, n, leaves[(m + 1) % N],
							  (const unsigned char(*)[SC_MERKLE_BYTES])path,
							  npath, want));
			if (n > 1)
				assert_false(sc_merkle_path_check((m + 1) % n, n, leaves[m],
								  (const unsigned char(*)[SC_MERKLE_BYTES])path,
								  npath, want));
			/* (the same path may fit another size: the size is the
			 * signed head's, not the proof's) */
			if (n < N) {
				unsigned char other[SC_MERKLE_BYTES];
				sc_merkle_root_of((const unsigned char(*)[SC_MERKLE_BYTES])leaves, n + 1, other);
				assert_false(sc_merkle_path_check(m, n + 1, leaves[m],
								  (const unsigned char(*)[SC_MERKLE_BYTES])path,
								  npath, other));
			}
			assert_false(sc_merkle_path_check(n, n, leaves[m],
							  (const unsigned char(*)[SC_MERKLE_BYTES])path,
							  npath, want));
			for (unsigned k = 0; k < npath; k++) {
				path[k][k % SC_MERKLE_BYTES] ^= 1;
				assert_false(sc_merkle_path_check(m, n, leaves[m],
								  (const unsigned char(*)[SC_MERKLE_BYTES])path,
								  npath, want));
				path[k][k % SC_MERKLE_BYTES] ^= 1;
			}
			if (npath)
				assert_false(sc_merkle_path_check(m, n, leaves[m],
								  (const unsigned char(*)[SC_MERKLE_BYTES])path,
								  npath - 1, want));
		}
	}
	/* every completed subtree was reported, once, with its head */
	assert_int_equal(seen.n, N - __builtin_popcountll(N));
	for (int i = 0; i < seen.n; i++) {
		uint64_t w = (uint64_t)1 << seen.level[i];
		sc_merkle_root_of((const unsigned char(*)[SC_MERKLE_BYTES])leaves + seen.index[i] * w,
				  w, want);
		assert_memory_equal(seen.node[i], want, SC_MERKLE_BYTES);
	}
}

/* signed heads: valid as signed; any field changed, another key's or a
 * frontier that does not fold to the root fails; the text form read back,
 * several to a file; bad text named by line and field */
static void heads(void **state)
{
	static struct sc_audit_head h, g;
	struct sc_merkle_frontier f;
	unsigned char seed[SC_HEAD_SEED_BYTES] = {7}, sk[SC_HEAD_SECRET_BYTES], sk2[SC_HEAD_SECRET_BYTES];
	char text[2 * SC_HEAD_TEXT_MAX + 16];
	struct sc_audit_head *got;
	struct sc_diag d;
	size_t n, len;

	(void)state;
	sc_audit_key_from_seed(seed, sk);
	seed[0] = 8;
	sc_audit_key_from_seed(seed, sk2);
	sc_merkle_frontier_init(&f);
	for (int i = 0; i < 13; i++)
		sc_merkle_frontier_add(&f, leaves[i], NULL, NULL);
	sc_audit_head_sign(&h, &f, "2026-12-07T16:20:00Z", sk);
	assert_true(sc_audit_head_valid(&h));
	g = h;
	g.size = 12;
	g.tree.size = 12;
	assert_false(sc_audit_head_valid(&g));
	g = h;
	g.root[3] ^= 1;
	assert_false(sc_audit_head_valid(&g));
	g = h;
	g.time[3] = '7';
	assert_false(sc_audit_head_valid(&g));
	g = h;
	g.sig[60] ^= 1;
	assert_false(sc_audit_head_valid(&g));
	g = h;
	memcpy(g.key, sk2 + SC_HEAD_SEED_BYTES, SC_HEAD_KEY_BYTES);
	assert_false(sc_audit_head_valid(&g));
	g = h;
	g.tree.node[3][0] ^= 1; /* 13 = 8 + 4 + 1 */
	assert_false(sc_audit_head_valid(&g));

	len = sc_audit_head_format(&h, text);
	sc_audit_head_sign(&g, &f, "2026-12-07T16:21:00Z", sk2);
	memcpy(text + len, "\n# another\n", 11);
	len += 11;
	len += sc_audit_head_format(&g, text + len);
	assert_int_equal(sc_audit_head_parse(text, len, "heads.txt", &got, &n, &d), SC_OK);
	assert_int_equal(n, 2);
	assert_int_equal(got[0].line, 1);
	assert_int_equal(got[1].line, 10);
	assert_true(sc_audit_head_valid(&got[0]));
	assert_true(sc_audit_head_valid(&got[1]));
	assert_memory_equal(got[0].root, h.root, SC_MERKLE_BYTES);
	assert_memory_equal(got[1].key, sk2 + SC_HEAD_SEED_BYTES, SC_HEAD_KEY_BYTES);
	free(got);

	strcpy(text, "socred-audit-head v1\nsize 13\nroot 00\n");
	assert_int_equal(sc_audit_head_parse(text, strlen(text), "h", &got, &n, &d), SC_ESYNTAX);
	assert_int_equal(d.line, 3);
	assert_string_equal(d.field, "root");
	strcpy(text, "socred-audit-head v1\nsize 1x\n");
	assert_int_equal(sc_audit_head_parse(text, strlen(text), "h", &got, &n, &d), SC_ESYNTAX);
	assert_int_equal(d.line, 2);
	assert_string_equal(d.field, "size");
	strcpy(text, "size 13\n");
	assert_int_equal(sc_audit_head_parse(text, strlen(text), "h", &got, &n, &d), SC_ESYNTAX);
	assert_int_equal(d.line, 1);
	strcpy(text, "# nothing\n");
	assert_int_equal(sc_audit_head_parse(text, strlen(text), "h", &got, &n, &d), SC_ESYNTAX);
	len = sc_audit_head_format(&h, text);
	strcpy(strstr(text, "frontier"), "frontier 00\n");
	assert_int_equal(sc_audit_head_parse(text, strlen(text), "h", &got, &n, &d), SC_ESYNTAX);
	assert_int_equal(d.line, 7);
	assert_string_equal(d.field, "frontier");
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(vectors), cmocka_unit_test(brute_force),
					   cmocka_unit_test(heads)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
