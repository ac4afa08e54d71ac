/* socred: who may do what. Roles, API keys and the audit chain.
 *
 * A key is shown once, as "sck_<id>_<secret>"; the ledger keeps only the
 * SHA-256 of the secret, and a presented key is compared with it in constant
 * time. Every read of a subject's data and every change is appended to the
 * audit log; each entry carries the hash of the previous one. */
#ifndef SOCRED_ACCESS_H
#define SOCRED_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "socred/limits.h"
#include "socred/status.h"

enum sc_role {
	SC_ROLE_PUBLIC = 0,   /* no key */
	SC_ROLE_ADMIN = 1,
	SC_ROLE_PROVIDER = 2, /* bound to one source */
	SC_ROLE_ENFORCER = 3, /* bound to the actions it applies */
	SC_ROLE_SUBJECT = 4,  /* bound to one subject id */
	SC_ROLE_MONITOR = 5,  /* reads /metrics and /healthz, nothing else */
};

/* "public", "admin", ...; never NULL. */
const char *sc_role_name(enum sc_role r);
/* SC_OK or SC_EINVAL. */
enum sc_status sc_role_parse(const char *s, enum sc_role *out);

#define SC_KEY_SECRET_BYTES 32
#define SC_KEY_HASH_BYTES 32
#define SC_KEY_TOKEN_MAX 96  /* "sck_" + id + "_" + 64 hex + NUL */
#define SC_HASH_HEX 65       /* 64 hex digits + NUL */

#define SC_KEY_SECRET_HEX (2 * SC_KEY_SECRET_BYTES + 1)

/* A fresh secret from the system's CSPRNG, as hex, and the hash to store.
 * SC_OK or SC_EIO (no randomness). Wipe secret_hex after use. */
enum sc_status sc_key_secret(char secret_hex[SC_KEY_SECRET_HEX],
			     unsigned char hash[SC_KEY_HASH_BYTES]);
/* The token shown once to the key's holder. */
void sc_key_token(int64_t id, const char *secret_hex,
		  char token[SC_KEY_TOKEN_MAX]);
/* Splits a presented token into its key id and the hash of its secret.
 * SC_OK or SC_EINVAL (not a socred key). */
enum sc_status sc_key_parse(const char *token, size_t len, int64_t *id,
			    unsigned char hash[SC_KEY_HASH_BYTES]);
/* Constant-time comparison of two key hashes. */
bool sc_key_hash_equal(const unsigned char a[SC_KEY_HASH_BYTES],
		       const unsigned char b[SC_KEY_HASH_BYTES]);

/* One audit entry, as hashed and stored. Strings are borrowed. */
struct sc_audit_entry {
	int64_t seq;
	const char *at;       /* UTC, "YYYY-MM-DDTHH:MM:SS.mmmZ" */
	int64_t key_id;       /* 0: no key */
	enum sc_role role;
	const char *action;   /* "GET /v1/check air_travel", "ingest", ... */
	const char *subject;  /* "" when none */
	const char *result;   /* "200 deny", "403", ... */
	int32_t node;         /* its chain: 0, the command line's (and a SQLite
			       * ledger's only one); a server node's otherwise
			       * (sc_store_audit_node). Set by the store, not hashed:
			       * a chain's first entry is chained to its node
			       * (sc_audit_genesis) */
};

struct sc_rulebook;

/* The binding a role needs, checked against the rulebook into out: a
 * provider's source, an enforcer's actions ("a,b"), a subject's id; admin:
 * none. Exactly the role's own must be given (NULL for the others).
 * SC_OK or SC_EINVAL naming the field. */
enum sc_status sc_key_binding(const struct sc_rulebook *rb, enum sc_role role,
			      const char *source, const char *actions,
			      const char *subject, char *out, size_t size,
			      struct sc_diag *d);

/* Is item one of the comma-separated names in binding ("a,b,c")? */
bool sc_key_bound_to(const char *binding, const char *item);

/* Does an audit result ("deny c10 c1") name the record among its
 * space-separated words? */
bool sc_audit_names_record(const char *result, const char *record);

/* An entry's hash, chained to the one before (prev_hex "" for the first):
 * SHA-256 of a domain tag and every field with its length (strings as an
 * 8-byte big-endian length and their bytes; seq and key id as 8-byte
 * big-endian numbers; the role as a byte), so no two entries encode alike.
 * The entries a ledger wrote before it knew this encoding keep
 * sc_audit_hash_v1's: SHA-256(prev_hex | seq | at | key_id | role | action
 * | subject | result), fields separated by 0x1f. */
void sc_audit_hash(const struct sc_audit_entry *e, const char *prev_hex,
		   char hex[SC_HASH_HEX]);
void sc_audit_hash_v1(const struct sc_audit_entry *e, const char *prev_hex,
		      char hex[SC_HASH_HEX]);
/* The hash a chain's first entry is chained to: "" for node 0 (so a
 * ledger with one chain hashes as it always has), else the SHA-256 of
 * "socred-audit-chain N" in hex, so no entry verifies in another chain
 * than its own. */
void sc_audit_genesis(int32_t node, char hex[SC_HASH_HEX]);

/* src[0, n) as a field of an audit entry, into dst[size] (NUL-terminated,
 * size > 0): secrets redacted as "[redacted:<8 hex>]" (the first digits of
 * SHA-256 of the secret, as the ledger keeps a key's or share link's hash):
 * runs of 32 or more hex digits, a key's secret after "sck_<id>_", the
 * credentials after "Bearer " or "Basic "; a backslash as "\\"; tab,
 * newline and carriage return as "\t", "\n", "\r"; every other control
 * byte, each byte of a C1 control, bidi control or line separator, and
 * every byte that is not part of well-formed UTF-8 as "\xHH". Cut to fit
 * at a whole character or escape. Returns dst's length. So a stored field
 * never holds a tab, a newline or anything a terminal acts on. */
size_t sc_audit_field(char *dst, size_t size, const char *src, size_t n);
/* A stored field for display, into dst[size]: the same escapes but for
 * the backslash, which stays as it is (a field stored by sc_audit_field
 * shows unchanged; one stored before shows without raw control bytes). */
size_t sc_audit_show(char *dst, size_t size, const char *src);

/* Refused requests counted per client address, to be audited as one entry
 * per client and minute with its count (a flood of keyless requests writes
 * a bounded number of entries, not one each). The table is bounded: at 3/4
 * of SC_LIMIT_REFUSAL_CLIENTS addresses, the refusals of every further
 * address are counted together in `other`. Caller-owned; zero it (or
 * sc_refusals_clear) before use; not thread-safe. About 260 KiB. */
struct sc_refusal {
	char addr[56]; /* an IPv4 or IPv6 address as text */
	uint64_t n;    /* 0: a free slot */
};
struct sc_refusals {
	size_t used;
	uint64_t other;
	struct sc_refusal slot[SC_LIMIT_REFUSAL_CLIENTS];
};
void sc_refusals_clear(struct sc_refusals *t);
/* One refusal from addr (cut to 55 bytes). */
void sc_refusals_add(struct sc_refusals *t, const char *addr);
/* cb(ctx, addr, n) for each address counted, then (addr NULL) for the
 * other clients when any. */
typedef void (*sc_refusals_fn)(void *ctx, const char *addr, uint64_t n);
void sc_refusals_each(const struct sc_refusals *t, sc_refusals_fn cb, void *ctx);

#endif
