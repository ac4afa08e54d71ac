/* Signed heads of the audit log's tree (socred/audit_head.h). */
#include "socred/audit_head.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sc_hex(const unsigned char *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool sc_unhex(const char *s, unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = nibble(s[2 * i]), lo = hi < 0 ? -1 : nibble(s[2 * i + 1]);
		if (lo < 0)
			return false;
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	return s[2 * n] == '\0';
}

void sc_audit_key_from_seed(const unsigned char seed[SC_HEAD_SEED_BYTES],
			    unsigned char sk[SC_HEAD_SECRET_BYTES])
{
	unsigned char pk[SC_HEAD_KEY_BYTES];

	crypto_sign_seed_keypair(pk, sk, seed);
}

enum sc_status sc_audit_key_seed(unsigned char seed[SC_HEAD_SEED_BYTES])
{
	if (sodium_init() < 0)
		return SC_EIO;
	randombytes_buf(seed, SC_HEAD_SEED_BYTES);
	return SC_OK;
}

/* the signed bytes into buf (room for 160); their length */
static size_t message(const struct sc_audit_head *h, char *buf)
{
	char root[2 * SC_MERKLE_BYTES + 1];
	int n;

	sc_hex(h->root, SC_MERKLE_BYTES, root);
	n = snprintf(buf, 160, "socred-audit-head v1\n%" PRIu64 "\n%s\n%s\n", h->size, root, h->time);
	return n < 0 ? 0 : n >= 160 ? 159 : (size_t)n;
}

void sc_audit_head_sign(struct sc_audit_head *h, const struct sc_merkle_frontier *f,
			const char *time, const unsigned char sk[SC_HEAD_SECRET_BYTES])
{
	char msg[160];
	size_t len;

	memset(h, 0, sizeof(*h));
	h->size = f->size;
	h->tree = *f;
	sc_merkle_frontier_root(f, h->root);
	snprintf(h->time, sizeof(h->time), "%s", time);
	memcpy(h->key, sk + SC_HEAD_SEED_BYTES, SC_HEAD_KEY_BYTES);
	len = message(h, msg);
	crypto_sign_detached(h->sig, NULL, (const unsigned char *)msg, len, sk);
}

bool sc_audit_head_valid(const struct sc_audit_head *h)
{
	unsigned char root[SC_MERKLE_BYTES];
	char msg[160];
	size_t len;

	if (sodium_init() < 0 || h->tree.size != h->size)
		return false;
	len = message(h, msg);
	if (crypto_sign_verify_detached(h->sig, (const unsigned char *)msg, len, h->key))
		return false;
	sc_merkle_frontier_root(&h->tree, root);
	return !memcmp(root, h->root, SC_MERKLE_BYTES);
}

size_t sc_audit_head_format(const struct sc_audit_head *h, char *buf)
{
	char root[65], key[65], sig[129], node[65];
	size_t len;
	int n;

	sc_hex(h->root, SC_MERKLE_BYTES, root);
	sc_hex(h->key, SC_HEAD_KEY_BYTES, key);
	sc_hex(h->sig, SC_HEAD_SIG_BYTES, sig);
	n = snprintf(buf, SC_HEAD_TEXT_MAX,
		     "socred-audit-head v1\nsize %" PRIu64 "\nroot %s\ntime %s\nkey %s\nsignature %s\n",
		     h->size, root, h->time, key, sig);
	len = n > 0 ? (size_t)n : 0;
	if (h->size) {
		memcpy(buf + len, "frontier", 8);
		len += 8;
		for (unsigned lv = SC_MERKLE_LEVELS; lv-- > 0;)
			if (h->size >> lv & 1) {
				sc_hex(h->tree.node[lv], SC_MERKLE_BYTES, node);
				buf[len++] = ' ';
				memcpy(buf + len, node, 64);
				len += 64;
			}
		buf[len++] = '\n';
	}
	buf[len] = '\0';
	return len;
}

static enum sc_status bad(struct sc_diag *d, const char *source, unsigned line, const char *field,
			  const char *what)
{
	return sc_diag_set(d, SC_ESYNTAX, source, line, 0, field, "%s", what);
}

enum sc_status sc_audit_head_set(struct sc_audit_head *h, uint64_t size, const char *root,
				 const char *time, const char *key, const char *sig,
				 const char *const *frontier, size_t n, const char *source,
				 unsigned line, struct sc_diag *d)
{
	unsigned char blob[SC_MERKLE_LEVELS * SC_MERKLE_BYTES];

	memset(h, 0, sizeof(*h));
	h->size = size;
	h->line = line;
	if (!root || !sc_unhex(root, h->root, SC_MERKLE_BYTES))
		return bad(d, source, line, "root", "the root must be 64 hex digits");
	if (!time || !*time || strlen(time) >= sizeof(h->time))
		return bad(d, source, line, "time", "the time must be given, at most 39 characters");
	snprintf(h->time, sizeof(h->time), "%s", time);
	if (!key || !sc_unhex(key, h->key, SC_HEAD_KEY_BYTES))
		return bad(d, source, line, "key", "the key must be 64 hex digits");
	if (!sig || !sc_unhex(sig, h->sig, SC_HEAD_SIG_BYTES))
		return bad(d, source, line, "signature", "the signature must be 128 hex digits");
	if (n > SC_MERKLE_LEVELS)
		return bad(d, source, line, "frontier", "too many frontier hashes");
	for (size_t i = 0; i < n; i++)
		if (!sc_unhex(frontier[i], blob + i * SC_MERKLE_BYTES, SC_MERKLE_BYTES))
			return bad(d, source, line, "frontier", "a frontier hash must be 64 hex digits");
	if (sc_merkle_frontier_decode(&h->tree, size, blob, n * SC_MERKLE_BYTES))
		return bad(d, source, line, "frontier",
			   "the frontier must hold one hash for each bit set in the size");
	return SC_OK;
}

/* A head being read: its fields as text, until the next head or the end. */
struct pending {
	unsigned line;
	bool have_size;
	uint64_t size;
	char root[80], time[SC_HEAD_TIME_MAX + 1], key[80], sig[140];
	char frontier[SC_MERKLE_LEVELS][65];
	size_t nfrontier;
	bool frontier_seen;
};

static enum sc_status finish(struct pending *p, const char *source, struct sc_audit_head **heads,
			     size_t *n, size_t *cap, struct sc_diag *d)
{
	const char *fr[SC_MERKLE_LEVELS];
	enum sc_status st;

	if (!p->have_size)
		return bad(d, source, p->line, "size", "the head has no size");
	for (size_t i = 0; i < p->nfrontier; i++)
		fr[i] = p->frontier[i];
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 4;
		struct sc_audit_head *h = realloc(*heads, c * sizeof(*h));
		if (!h)
			return sc_diag_set(d, SC_ENOMEM, source, p->line, 0, NULL, "out of memory");
		*heads = h;
		*cap = c;
	}
	if ((st = sc_audit_head_set(&(*heads)[*n], p->size, p->root[0] ? p->root : NULL,
				    p->time, p->key[0] ? p->key : NULL, p->sig[0] ? p->sig : NULL, fr,
				    p->nfrontier, source, p->line, d)))
		return st;
	(*n)++;
	return SC_OK;
}

static bool word(char *dst, size_t cap, const char *p, size_t len)
{
	if (len >= cap)
		return false;
	memcpy(dst, p, len);
	dst[len] = '\0';
	return true;
}

enum sc_status sc_audit_head_parse(const char *text, size_t len, const char *source,
				   struct sc_audit_head **heads, size_t *n, struct sc_diag *d)
{
	static const char magic[] = "socred-audit-head v1";
	struct pending p;
	const char *at = text, *end = text + len;
	size_t cap = 0;
	unsigned line = 0;
	bool open = false;
	enum sc_status st = SC_OK;

	*heads = NULL;
	*n = 0;
	while (at < end && !st) {
		const char *nl = memchr(at, '\n', (size_t)(end - at)), *eol = nl ? nl : end;
		const char *sp, *val;
		unsigned char tmp[SC_HEAD_SIG_BYTES];
		size_t klen, vlen;
		line++;
		if (eol > at && eol[-1] == '\r')
			eol--;
		if (eol == at || *at == '#')
			goto next;
		if ((size_t)(eol - at) == sizeof(magic) - 1 && !memcmp(at, magic, sizeof(magic) - 1)) {
			if (open && (st = finish(&p, source, heads, n, &cap, d)))
				break;
			memset(&p, 0, sizeof(p));
			p.line = line;
			open = true;
			goto next;
		}
		if (!open) {
			st = bad(d, source, line, NULL, "expected 'socred-audit-head v1' before the head's fields");
			break;
		}
		sp = memchr(at, ' ', (size_t)(eol - at));
		klen = (size_t)((sp ? sp : eol) - at);
		val = sp ? sp + 1 : eol;
		vlen = (size_t)(eol - val);
		if (klen == 4 && !memcmp(at, "size", 4)) {
			char num[24], *e;
			if (!word(num, sizeof(num), val, vlen) || !vlen || num[0] < '0' || num[0] > '9') {
				st = bad(d, source, line, "size", "the size must be a number");
				break;
			}
			p.size = strtoull(num, &e, 10);
			if (*e) {
				st = bad(d, source, line, "size", "the size must be a number");
				break;
			}
			p.have_size = true;
		} else if (klen == 4 && !memcmp(at, "root", 4)) {
			if (!word(p.root, sizeof(p.root), val, vlen) || !sc_unhex(p.root, tmp, 32))
				st = bad(d, source, line, "root", "the root must be 64 hex digits");
		} else if (klen == 4 && !memcmp(at, "time", 4)) {
			if (!word(p.time, sizeof(p.time), val, vlen))
				st = bad(d, source, line, "time", "the time is too long");
		} else if (klen == 3 && !memcmp(at, "key", 3)) {
			if (!word(p.key, sizeof(p.key), val, vlen) || !sc_unhex(p.key, tmp, 32))
				st = bad(d, source, line, "key", "the key must be 64 hex digits");
		} else if (klen == 9 && !memcmp(at, "signature", 9)) {
			if (!word(p.sig, sizeof(p.sig), val, vlen) || !sc_unhex(p.sig, tmp, 64))
				st = bad(d, source, line, "signature", "the signature must be 128 hex digits");
		} else if (klen == 8 && !memcmp(at, "frontier", 8)) {
			const char *q = val;
			while (q < eol && !st) {
				const char *s2 = memchr(q, ' ', (size_t)(eol - q)), *we = s2 ? s2 : eol;
				if (p.nfrontier == SC_MERKLE_LEVELS ||
				    !word(p.frontier[p.nfrontier], 65, q, (size_t)(we - q)) ||
				    !sc_unhex(p.frontier[p.nfrontier], tmp, 32))
					st = bad(d, source, line, "frontier", "a frontier hash must be 64 hex digits");
				else
					p.nfrontier++;
				q = we + (s2 != NULL);
			}
		} else {
			char f[32];
			snprintf(f, sizeof(f), "%.*s", (int)(klen < 31 ? klen : 31), at);
			st = sc_diag_set(d, SC_ESYNTAX, source, line, 0, f, "unknown field '%s'", f);
		}
next:
		at = nl ? nl + 1 : end;
	}
	if (!st && open)
		st = finish(&p, source, heads, n, &cap, d);
	if (!st && !*n)
		st = bad(d, source, line, NULL, "no audit head in the file");
	if (st) {
		free(*heads);
		*heads = NULL;
		*n = 0;
	}
	return st;
}
