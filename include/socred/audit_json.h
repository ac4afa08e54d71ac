/* socred: the audit log's signed heads and inclusion proofs as JSON (the
 * HTTP routes' bodies, `socred audit head --json`, `audit prove`), and the
 * offline check of a proof. docs/internals/merkle.md gives the algorithm. */
#ifndef SOCRED_AUDIT_JSON_H
#define SOCRED_AUDIT_JSON_H

#include <jansson.h>

#include "socred/access.h"
#include "socred/audit_head.h"
#include "socred/store.h"

/* {"size", "root", "time", "key", "signature", "frontier": [...]}: a new
 * reference. */
json_t *sc_audit_head_json(const struct sc_audit_head *h);
/* The reverse, naming source, line and field on SC_ESYNTAX. */
enum sc_status sc_audit_head_from_json(json_t *o, const char *source, unsigned line,
				       struct sc_audit_head *h, struct sc_diag *d);
/* {"seq", "entry": {...}, "prev", "hash", "leaf_index", "leaf",
 * "path": [...], "head": {...}}: a new reference. */
json_t *sc_audit_proof_json(const struct sc_audit_entry *e, const char *prev_hex,
			    const char *hash_hex, const struct sc_audit_proof *p,
			    const struct sc_audit_head *head);
/* Checks a proof offline: the head's signature (and that its key is
 * `key` when key is not NULL), the entry's chain hash from its fields and
 * prev, the leaf from the hash, the audit path to the head's root. SC_OK,
 * or SC_EREFUSED / SC_ESYNTAX with the reason in d (source, field). */
enum sc_status sc_audit_proof_check(json_t *o, const unsigned char *key, const char *source,
				    struct sc_diag *d);

#endif
