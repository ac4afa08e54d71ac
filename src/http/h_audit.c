/* The audit log's signed head, public (GET /v1/audit/head), and the
 * inclusion proof of an inquiry into a subject's file
 * (GET /v1/subjects/{id}/inquiries/{seq}/proof), for the subject or an
 * admin. docs/internals/merkle.md. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "socred/audit_json.h"
#include "socred/audit_key.h"

/* The chain a request names with ?node=N, else this server's own, made
 * the handle's. false: a reply was sent (400, 404, or the store's), and
 * the audit result set. */
static bool chain(struct sc_req *r, struct sc_store *st)
{
	const char *q = sc_req_query(r, "node");
	long long node = r->part->audit.node;
	struct sc_diag d;
	char *end;
	enum sc_status s;

	sc_diag_clear(&d);
	if (q) {
		node = strtoll(q, &end, 10);
		if (*end || end == q || node < 0 || node > INT32_MAX) {
			sc_reply_errorf(r, 400, "node", "an audit chain is named by its node (a whole"
					" number from 0)");
			snprintf(r->audit_result, sizeof(r->audit_result), "400");
			return false;
		}
	}
	s = sc_store_audit_chain(st, (int32_t)node, &d);
	if (s == SC_ENOTFOUND) {
		sc_reply_errorf(r, 404, "node", "no audit chain of node %lld", node);
		snprintf(r->audit_result, sizeof(r->audit_result), "404");
		return false;
	}
	if (s) {
		sc_reply_store_error(r, s, &d);
		return false;
	}
	return true;
}

static bool key_path(struct sc_req *r, char *path, size_t cap)
{
	if (sc_audit_key_path(r->part->db, path, cap))
		return true;
	sc_reply_errorf(r, 500, NULL, "the audit key's path is too long");
	return false;
}

void sc_h_audit_head(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	struct sc_audit_head *h = malloc(sizeof(*h));
	char path[4096];
	struct sc_diag d;

	(void)p;
	sc_diag_clear(&d);
	if (!h) {
		sc_reply_errorf(r, 500, NULL, "out of memory");
		return;
	}
	if (chain(r, st) && key_path(r, path, sizeof(path))) {
		if (sc_audit_head_make(st, path, false, h, NULL, &d))
			sc_reply_errorf(r, 503, NULL, "cannot sign the audit head: %s", d.message);
		else
			sc_reply_json(r, 200, sc_audit_head_json(h));
	}
	free(h);
}

struct inquiry {
	const char *subject;
	struct sc_audit_proof *p;
	json_t *entry; /* the entry, prev and hash */
	bool theirs;
};

static enum sc_status keep(void *ctx, const struct sc_audit_entry *e, const char *prev_hex,
			   const char *hash_hex)
{
	struct inquiry *q = ctx;

	q->theirs = !strcmp(e->subject, q->subject);
	q->entry = json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:s}", "prev", prev_hex, "hash", hash_hex,
			     "at", e->at, "key", (json_int_t)e->key_id, "role", sc_role_name(e->role),
			     "action", e->action, "result", e->result);
	return q->entry ? SC_OK : SC_ENOMEM;
}

void sc_h_inquiry_proof(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	const char *id = p[0];
	struct sc_merkle_frontier *tree = malloc(sizeof(*tree));
	struct sc_audit_proof *proof = calloc(1, sizeof(*proof));
	struct sc_audit_head *h = malloc(sizeof(*h));
	unsigned char sk[SC_HEAD_SECRET_BYTES];
	struct inquiry q = {.subject = id, .p = proof};
	char path[4096], *end, now[SC_HEAD_TIME_MAX];
	long long seq = strtoll(p[1], &end, 10);
	struct sc_diag d;
	enum sc_status s;

	sc_diag_clear(&d);
	r->audit_subject = sc_arena_strdup(&r->arena, id);
	r->audit_action = "inquiry proof";
	if (r->role == SC_ROLE_SUBJECT && strcmp(r->key.binding, id)) {
		sc_reply_errorf(r, 403, NULL, "this key reads the inquiries of its own subject only");
		snprintf(r->audit_result, sizeof(r->audit_result), "403");
		goto out;
	}
	if (!tree || !proof || !h) {
		sc_reply_errorf(r, 500, NULL, "out of memory");
		goto out;
	}
	if (*end || end == p[1] || seq < 1) {
		sc_reply_errorf(r, 400, "n", "an inquiry is named by its seq (a whole number from 1)");
		snprintf(r->audit_result, sizeof(r->audit_result), "400");
		goto out;
	}
	if (!chain(r, st))
		goto out;
	if (!key_path(r, path, sizeof(path)))
		goto out;
	if (sc_audit_key_load(path, false, sk, NULL, &d)) {
		sc_reply_errorf(r, 503, NULL, "cannot sign the audit head: %s", d.message);
		goto out;
	}
	proof->tree = tree;
	s = sc_store_audit_prove(st, seq, proof, keep, &q, &d);
	if (s == SC_ENOTFOUND || (!s && !q.theirs)) {
		sc_reply_errorf(r, 404, "n", "no inquiry %lld into this subject's file", seq);
		snprintf(r->audit_result, sizeof(r->audit_result), "404");
		goto out;
	}
	if (s) {
		sc_reply_store_error(r, s, &d);
		goto out;
	}
	sc_audit_head_time(now);
	sc_audit_head_sign(h, tree, now, sk);
	{
		struct sc_audit_entry e = {
			.seq = seq, .at = json_string_value(json_object_get(q.entry, "at")),
			.key_id = json_integer_value(json_object_get(q.entry, "key")),
			.role = SC_ROLE_PUBLIC,
			.action = json_string_value(json_object_get(q.entry, "action")),
			.subject = id,
			.result = json_string_value(json_object_get(q.entry, "result"))};
		sc_role_parse(json_string_value(json_object_get(q.entry, "role")), &e.role);
		snprintf(r->audit_result, sizeof(r->audit_result), "200 %lld", seq);
		sc_reply_json(r, 200, sc_audit_proof_json(&e, json_string_value(json_object_get(q.entry, "prev")),
							  json_string_value(json_object_get(q.entry, "hash")),
							  proof, h));
	}
out:
	json_decref(q.entry);
	free(tree);
	free(proof);
	free(h);
}
