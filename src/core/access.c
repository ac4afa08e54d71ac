/* Roles, key tokens and the audit hash chain (libsodium for randomness and
 * constant-time compares; SHA-256 in socred/sha256.h). */
#include "socred/access.h"

#include "socred/rulebook.h"
#include "socred/sha256.h"

#include <ctype.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const role_names[] = {"public", "admin", "provider",
					 "enforcer", "subject", "monitor"};
#define NROLES (sizeof(role_names) / sizeof(role_names[0]))

const char *sc_role_name(enum sc_role r)
{
	return (unsigned)r < NROLES ? role_names[r] : "?";
}

enum sc_status sc_role_parse(const char *s, enum sc_role *out)
{
	for (unsigned i = 1; i < NROLES; i++)
		if (!strcmp(s, role_names[i])) {
			*out = (enum sc_role)i;
			return SC_OK;
		}
	return SC_EINVAL;
}

static bool ready(void)
{
	return sodium_init() >= 0;
}

enum sc_status sc_key_secret(char secret_hex[SC_KEY_SECRET_HEX],
			     unsigned char hash[SC_KEY_HASH_BYTES])
{
	unsigned char secret[SC_KEY_SECRET_BYTES];

	if (!ready())
		return SC_EIO;
	randombytes_buf(secret, sizeof(secret));
	sodium_bin2hex(secret_hex, SC_KEY_SECRET_HEX, secret, sizeof(secret));
	sc_sha256(secret_hex, 2 * SC_KEY_SECRET_BYTES, hash);
	sodium_memzero(secret, sizeof(secret));
	return SC_OK;
}

void sc_key_token(int64_t id, const char *secret_hex,
		  char token[SC_KEY_TOKEN_MAX])
{
	snprintf(token, SC_KEY_TOKEN_MAX, "sck_%" PRId64 "_%s", id, secret_hex);
}

enum sc_status sc_key_parse(const char *token, size_t len, int64_t *id,
			    unsigned char hash[SC_KEY_HASH_BYTES])
{
	const char *p = token + 4, *end = token + len, *us;
	int64_t v = 0;

	if (!ready() || len < 6 || len >= SC_KEY_TOKEN_MAX || memcmp(token, "sck_", 4))
		return SC_EINVAL;
	us = memchr(p, '_', (size_t)(end - p));
	if (!us || us == p || us - p > 18 || (size_t)(end - us - 1) != 2 * SC_KEY_SECRET_BYTES)
		return SC_EINVAL;
	for (; p < us; p++) {
		if (*p < '0' || *p > '9')
			return SC_EINVAL;
		v = v * 10 + (*p - '0');
	}
	for (p = us + 1; p < end; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return SC_EINVAL;
	*id = v;
	sc_sha256(us + 1, (size_t)(end - us - 1), hash);
	return SC_OK;
}

bool sc_key_hash_equal(const unsigned char a[SC_KEY_HASH_BYTES],
		       const unsigned char b[SC_KEY_HASH_BYTES])
{
	return sodium_memcmp(a, b, SC_KEY_HASH_BYTES) == 0;
}

/* v in decimal into buf (room for 21), its length; as printf's PRId64 */
static size_t decimal(char *buf, int64_t v)
{
	char tmp[24];
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	size_t n = 0, len = 0;

	do
		tmp[n++] = (char)('0' + u % 10);
	while ((u /= 10));
	if (v < 0)
		buf[len++] = '-';
	while (n)
		buf[len++] = tmp[--n];
	return len;
}

/* The encoding of entries before SC_AUDIT_V2 (kept to verify them): each
 * field, then the separator 0x1f: prev, seq, at, key id, role, action,
 * subject, result. A field holding 0x1f made it ambiguous. */
void sc_audit_hash_v1(const struct sc_audit_entry *e, const char *prev_hex,
		      char hex[SC_HASH_HEX])
{
	static const char sep = 0x1f;
	unsigned char out[SC_SHA256_BYTES];
	char seq[24], key[24];
	const char *role = sc_role_name(e->role);
	struct sc_bytes parts[16];
	const char *fields[8] = {prev_hex, seq, e->at, key, role, e->action,
				 e->subject, e->result};
	const size_t lens[8] = {strlen(prev_hex), decimal(seq, e->seq), strlen(e->at),
				decimal(key, e->key_id), strlen(role), strlen(e->action),
				strlen(e->subject), strlen(e->result)};

	for (size_t i = 0; i < 8; i++) {
		parts[2 * i] = (struct sc_bytes){fields[i], lens[i]};
		parts[2 * i + 1] = (struct sc_bytes){&sep, 1};
	}
	sc_sha256_parts(parts, 16, out);
	sodium_bin2hex(hex, SC_HASH_HEX, out, sizeof(out));
}

static void be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

/* A domain tag, then every field with its length: the 8-byte big-endian
 * length of each string before its bytes, seq and key id as 8-byte
 * big-endian numbers, the role as one byte. No two entries encode alike. */
void sc_audit_hash(const struct sc_audit_entry *e, const char *prev_hex,
		   char hex[SC_HASH_HEX])
{
	static const char tag[] = "socred audit entry v2";
	unsigned char out[SC_SHA256_BYTES], num[2][8], len[5][8], role = (unsigned char)e->role;
	const char *str[5] = {prev_hex, e->at, e->action, e->subject, e->result};
	struct sc_bytes parts[14];
	size_t n = 0;

	be64(num[0], (uint64_t)e->seq);
	be64(num[1], (uint64_t)e->key_id);
	parts[n++] = (struct sc_bytes){tag, sizeof(tag)};
	for (int i = 0; i < 5; i++) {
		size_t l = strlen(str[i]);
		be64(len[i], l);
		parts[n++] = (struct sc_bytes){len[i], 8};
		parts[n++] = (struct sc_bytes){str[i], l};
		if (i == 0) {
			parts[n++] = (struct sc_bytes){num[0], 8};
		} else if (i == 1) {
			parts[n++] = (struct sc_bytes){num[1], 8};
			parts[n++] = (struct sc_bytes){&role, 1};
		}
	}
	sc_sha256_parts(parts, n, out);
	sodium_bin2hex(hex, SC_HASH_HEX, out, sizeof(out));
}

/* ---- audit fields: escaped and without secrets ---- */

struct out {
	char *p;
	size_t size, len;
	bool full; /* something did not fit: nothing more goes in */
};

/* s whole into o, or nothing (an escape or a character is never cut) */
static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || o->len + n + 1 > o->size) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void put_byte_escaped(struct out *o, unsigned char c)
{
	static const char hexd[] = "0123456789abcdef";
	char b[4] = {'\\', 'x', hexd[c >> 4], hexd[c & 15]};

	switch (c) {
	case '\t':
		put(o, "\\t", 2);
		break;
	case '\n':
		put(o, "\\n", 2);
		break;
	case '\r':
		put(o, "\\r", 2);
		break;
	default:
		put(o, b, 4);
	}
}

/* The length of the well-formed UTF-8 character at s (of n bytes), 0 when
 * none starts there; its code point in *cp. */
static size_t utf8_char(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t v, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, v = s[0] & 0x1f, min = 0x80;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, v = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, v = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/* Characters that move or hide text on a terminal or a page: C0 and C1
 * controls, DEL, the line and paragraph separators, bidi controls. */
static bool hides(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0x200e || c == 0x200f || c == 0x061c;
}

static bool is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_word(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '_' || c == '-' || c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
}

/* "[redacted:" the first 8 hex digits of SHA-256(s[0, n)) "]": the same
 * prefix as the ledger's hash of a key's or a share link's secret */
static void put_redacted(struct out *o, const char *s, size_t n)
{
	unsigned char h[SC_SHA256_BYTES];
	char hex[2 * SC_SHA256_BYTES + 1], b[32];

	sc_sha256(s, n, h);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(b, sizeof(b), "[redacted:%.8s]", hex);
	put(o, b, strlen(b));
}

/* The length of a secret starting at s[i] (0: none), and in *keep how many
 * of its first bytes are not secret: a run of 32 or more hex digits (a
 * key's or a share link's secret), the secret of "sck_<id>_<secret>", the
 * credentials after "Bearer " or "Basic ". */
static size_t secret_at(const char *s, size_t i, size_t n, size_t *keep)
{
	size_t j = i;

	*keep = 0;
	if (i == 0 || !is_hex((unsigned char)s[i - 1])) {
		while (j < n && is_hex((unsigned char)s[j]))
			j++;
		if (j - i >= 32)
			return j - i;
	}
	if (n - i > 4 && !memcmp(s + i, "sck_", 4)) {
		j = i + 4;
		while (j < n && s[j] >= '0' && s[j] <= '9')
			j++;
		if (j < n && s[j] == '_') {
			size_t k = ++j;
			while (k < n && isalnum((unsigned char)s[k]))
				k++;
			if (k > j) {
				*keep = j - i;
				return k - i;
			}
		}
	}
	for (int w = 0; w < 2; w++) {
		const char *scheme = w ? "basic " : "bearer ";
		size_t m = strlen(scheme), k;
		if (n - i <= m || strncasecmp(s + i, scheme, m))
			continue;
		k = i + m;
		while (k < n && is_word((unsigned char)s[k]))
			k++;
		if (k > i + m) {
			*keep = m;
			return k - i;
		}
	}
	return 0;
}

static size_t escape(char *dst, size_t size, const char *src, size_t n, bool record)
{
	struct out o = {dst, size, 0, size == 0};
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0;

	if (size)
		dst[0] = '\0';
	while (i < n && !o.full) {
		uint32_t cp;
		size_t len, keep;
		if (record && (len = secret_at(src, i, n, &keep))) {
			put(&o, src + i, keep);
			put_redacted(&o, src + i + keep, len - keep);
			i += len;
		} else if (s[i] == '\\') {
			put(&o, record ? "\\\\" : "\\", record ? 2 : 1);
			i++;
		} else if (!(len = utf8_char(s + i, n - i, &cp))) {
			put_byte_escaped(&o, s[i++]);
		} else if (hides(cp)) {
			for (size_t k = 0; k < len; k++)
				put_byte_escaped(&o, s[i + k]);
			i += len;
		} else {
			put(&o, src + i, len);
			i += len;
		}
	}
	return o.len;
}

size_t sc_audit_field(char *dst, size_t size, const char *src, size_t n)
{
	return escape(dst, size, src, n, true);
}

size_t sc_audit_show(char *dst, size_t size, const char *src)
{
	return escape(dst, size, src, strlen(src), false);
}

enum sc_status sc_key_binding(const struct sc_rulebook *rb, enum sc_role role,
			      const char *source, const char *actions,
			      const char *subject, char *out, size_t size,
			      struct sc_diag *d)
{
	enum sc_kind kind;

	out[0] = '\0';
	if ((role == SC_ROLE_PROVIDER) != (source != NULL))
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "source",
				   "a provider key needs a source, and only a provider key has one");
	if ((role == SC_ROLE_ENFORCER) != (actions != NULL))
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "actions",
				   "an enforcer key needs its actions, and only an enforcer key has them");
	if ((role == SC_ROLE_SUBJECT) != (subject != NULL))
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "subject",
				   "a subject key needs its subject, and only a subject key has one");
	if (source) {
		if (sc_rulebook_source_find(rb, source, strlen(source)) < 0)
			return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "source",
					   "unknown source '%.64s'", source);
		snprintf(out, size, "%s", source);
	}
	if (actions) {
		const char *p = actions;
		if (!*actions || strlen(actions) >= size)
			return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "actions",
					   "actions must be 1 to %zu bytes", size - 1);
		while (*p) {
			const char *comma = strchr(p, ',');
			size_t n = comma ? (size_t)(comma - p) : strlen(p);
			if (sc_rulebook_action_find(rb, p, n) < 0)
				return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "actions",
						   "unknown action '%.*s'", (int)(n > 64 ? 64 : n), p);
			p += n + (comma != NULL);
		}
		snprintf(out, size, "%s", actions);
	}
	if (subject) {
		if (sc_id_classify(sc_rulebook_id_schemes(rb), subject, strlen(subject), &kind, d)) {
			if (d)
				snprintf(d->field, sizeof(d->field), "subject");
			return SC_EINVAL;
		}
		snprintf(out, size, "%s", subject);
	}
	return SC_OK;
}

/* Is [p, p + n) one of the `sep`-separated words of list? */
static bool has_word(const char *list, char sep, const char *p, size_t n)
{
	while (*list) {
		const char *end = strchr(list, sep);
		size_t len = end ? (size_t)(end - list) : strlen(list);
		if (len == n && !memcmp(list, p, n))
			return true;
		if (!end)
			break;
		list = end + 1;
	}
	return false;
}

bool sc_key_bound_to(const char *binding, const char *item)
{
	return *item && has_word(binding, ',', item, strlen(item));
}

bool sc_audit_names_record(const char *result, const char *record)
{
	return *record && has_word(result, ' ', record, strlen(record));
}

void sc_audit_genesis(int32_t node, char hex[SC_HASH_HEX])
{
	unsigned char out[SC_SHA256_BYTES];
	char tag[48];
	int n;

	if (!node) {
		hex[0] = '\0';
		return;
	}
	n = snprintf(tag, sizeof(tag), "socred-audit-chain %d", (int)node);
	sc_sha256(tag, (size_t)n, out);
	sodium_bin2hex(hex, SC_HASH_HEX, out, sizeof(out));
}
