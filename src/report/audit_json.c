/* The audit log's heads and proofs as JSON, and a proof's offline check
 * (socred/audit_json.h). */
#include "socred/audit_json.h"

#include <string.h>

#include "socred/merkle.h"

json_t *sc_audit_head_json(const struct sc_audit_head *h)
{
	char root[65], key[65], sig[129], node[65];
	json_t *fr = json_array();

	sc_hex(h->root, SC_MERKLE_BYTES, root);
	sc_hex(h->key, SC_HEAD_KEY_BYTES, key);
	sc_hex(h->sig, SC_HEAD_SIG_BYTES, sig);
	for (unsigned lv = SC_MERKLE_LEVELS; lv-- > 0;)
		if (h->size >> lv & 1) {
			sc_hex(h->tree.node[lv], SC_MERKLE_BYTES, node);
			json_array_append_new(fr, json_string(node));
		}
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:o}", "size", (json_int_t)h->size, "root", root,
			 "time", h->time, "key", key, "signature", sig, "frontier", fr);
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

enum sc_status sc_audit_head_from_json(json_t *o, const char *source, unsigned line,
				       struct sc_audit_head *h, struct sc_diag *d)
{
	const char *fr[SC_MERKLE_LEVELS];
	json_t *size = json_object_get(o, "size"), *arr = json_object_get(o, "frontier");
	size_t n = 0;

	if (!json_is_object(o))
		return sc_diag_set(d, SC_ESYNTAX, source, line, 0, NULL, "a head must be an object");
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return sc_diag_set(d, SC_ESYNTAX, source, line, 0, "size",
				   "the size must be a number");
	if (arr && !json_is_array(arr))
		return sc_diag_set(d, SC_ESYNTAX, source, line, 0, "frontier",
				   "the frontier must be an array of hashes");
	if (arr) {
		if (json_array_size(arr) > SC_MERKLE_LEVELS)
			return sc_diag_set(d, SC_ESYNTAX, source, line, 0, "frontier",
					   "too many frontier hashes");
		for (; n < json_array_size(arr); n++)
			if (!(fr[n] = json_string_value(json_array_get(arr, n))))
				return sc_diag_set(d, SC_ESYNTAX, source, line, 0, "frontier",
						   "a frontier hash must be a string");
	}
	return sc_audit_head_set(h, (uint64_t)json_integer_value(size), str(o, "root"), str(o, "time"),
				 str(o, "key"), str(o, "signature"), fr, n, source, line, d);
}

json_t *sc_audit_proof_json(const struct sc_audit_entry *e, const char *prev_hex,
			    const char *hash_hex, const struct sc_audit_proof *p,
			    const struct sc_audit_head *head)
{
	char leaf[65], node[65];
	json_t *path = json_array();

	sc_hex(p->leaf, SC_MERKLE_BYTES, leaf);
	for (unsigned i = 0; i < p->npath; i++) {
		sc_hex(p->path[i], SC_MERKLE_BYTES, node);
		json_array_append_new(path, json_string(node));
	}
	char v2[SC_HASH_HEX];

	/* the encoding the entry was hashed with: 2 (length-prefixed fields)
	 * for every entry since the ledger's upgrade, 1 before */
	sc_audit_hash(e, prev_hex, v2);
	return json_pack("{s:I,s:i,s:{s:s,s:I,s:s,s:s,s:s,s:s},s:s,s:s,s:I,s:s,s:o,s:o}",
			 "seq", (json_int_t)e->seq, "encoding", strcmp(v2, hash_hex) ? 1 : 2,
			 "entry", "at", e->at, "key", (json_int_t)e->key_id, "role",
			 sc_role_name(e->role), "action", e->action, "subject", e->subject, "result",
			 e->result,
			 "prev", prev_hex, "hash", hash_hex, "leaf_index", (json_int_t)(e->seq - 1),
			 "leaf", leaf, "path", path, "head", sc_audit_head_json(head));
}

static enum sc_status refuse(struct sc_diag *d, const char *source, const char *field,
			     const char *why)
{
	return sc_diag_set(d, SC_EREFUSED, source, 0, 0, field, "%s", why);
}

enum sc_status sc_audit_proof_check(json_t *o, const unsigned char *key, const char *source,
				    struct sc_diag *d)
{
	struct sc_audit_head h;
	struct sc_audit_entry e = {0};
	unsigned char leaf[SC_MERKLE_BYTES], want[SC_MERKLE_BYTES];
	unsigned char path[SC_MERKLE_LEVELS][SC_MERKLE_BYTES];
	char hash[SC_HASH_HEX];
	json_t *en = json_object_get(o, "entry"), *arr = json_object_get(o, "path");
	json_t *seq = json_object_get(o, "seq"), *kid;
	const char *role, *prev = str(o, "prev"), *given = str(o, "hash"), *lh = str(o, "leaf");
	enum sc_status st;
	size_t n;

	if ((st = sc_audit_head_from_json(json_object_get(o, "head"), source, 0, &h, d)))
		return st;
	if (!sc_audit_head_valid(&h))
		return refuse(d, source, "head", "the head's signature does not verify");
	if (key && memcmp(key, h.key, SC_HEAD_KEY_BYTES))
		return refuse(d, source, "head", "the head is signed by another key than the one given");
	if (!json_is_object(en) || !json_is_integer(seq) || !prev || !given || !lh ||
	    !json_is_array(arr) || (n = json_array_size(arr)) > SC_MERKLE_LEVELS)
		return sc_diag_set(d, SC_ESYNTAX, source, 0, 0, NULL,
				   "a proof needs seq, entry, prev, hash, leaf and path");
	e.seq = json_integer_value(seq);
	e.at = str(en, "at");
	e.action = str(en, "action");
	e.subject = str(en, "subject");
	e.result = str(en, "result");
	role = str(en, "role");
	kid = json_object_get(en, "key");
	if (!e.at || !e.action || !e.subject || !e.result || !role || !json_is_integer(kid))
		return sc_diag_set(d, SC_ESYNTAX, source, 0, 0, "entry",
				   "the entry needs at, key, role, action, subject and result");
	e.key_id = json_integer_value(kid);
	e.role = SC_ROLE_PUBLIC;
	if (strcmp(role, "public") && sc_role_parse(role, &e.role))
		return sc_diag_set(d, SC_ESYNTAX, source, 0, 0, "role", "unknown role '%.32s'", role);
	if (e.seq < 1 || (uint64_t)e.seq > h.size)
		return refuse(d, source, "seq", "the entry is not in the head's tree");
	/* an entry hashed before its ledger's upgrade says so (encoding 1) */
	if (json_integer_value(json_object_get(o, "encoding")) == 1)
		sc_audit_hash_v1(&e, prev, hash);
	else
		sc_audit_hash(&e, prev, hash);
	if (strcmp(hash, given))
		return refuse(d, source, "hash", "the entry's fields do not hash to its hash");
	if (sc_merkle_audit_leaf(hash, leaf) || !sc_unhex(lh, want, SC_MERKLE_BYTES) ||
	    memcmp(leaf, want, SC_MERKLE_BYTES))
		return refuse(d, source, "leaf", "the leaf is not the hash of the entry's hash");
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(arr, i));
		if (!s || !sc_unhex(s, path[i], SC_MERKLE_BYTES))
			return sc_diag_set(d, SC_ESYNTAX, source, 0, 0, "path",
					   "a path hash must be 64 hex digits");
	}
	if (!sc_merkle_path_check((uint64_t)e.seq - 1, h.size, leaf,
				  (const unsigned char(*)[SC_MERKLE_BYTES])path, (unsigned)n, h.root))
		return refuse(d, source, "path", "the audit path does not lead to the head's root");
	return SC_OK;
}
