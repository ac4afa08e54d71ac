/* Roles, key tokens and the audit hash chain (libsodium for randomness and
 * constant-time compares; SHA-256 in socred/sha256.h). */
#include "socred/access.h"

#include "socred/rulebook.h"
#include "socred/sha256.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Each field, then the separator 0x1f: prev, seq, at, key id, role,
 * action, subject, result. */
void sc_audit_hash(const struct sc_audit_entry *e, const char *prev_hex,
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
