/* GET /v1/stats: what an operator watches: the grade distribution and list
 * sizes of the latest run, record volumes by source, open disputes and
 * repair applications with their deadlines, the active rulebook. Over a
 * cluster map, every ledger's figures summed and its items merged, in the
 * order one ledger gives them. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "socred/report.h"

static enum sc_status add_pair(void *ctx, const char *k1, const char *k2, int64_t n)
{
	json_t *o = ctx, *inner;

	if (!k2[0]) {
		json_object_set_new(o, k1, json_integer(n));
		return SC_OK;
	}
	inner = json_object_get(o, k1);
	if (!inner) {
		inner = json_object();
		json_object_set_new(o, k1, inner);
	}
	json_object_set_new(inner, k2, json_integer(n));
	return SC_OK;
}

/* ---- over a cluster map: every ledger's tallies summed ---- */

struct pair {
	char *k1, *k2;
	int64_t n;
};

struct pairs {
	struct pair *v;
	size_t n, cap;
};

static enum sc_status add_sum(void *ctx, const char *k1, const char *k2, int64_t n)
{
	struct pairs *ps = ctx;
	struct pair *p;

	for (size_t i = 0; i < ps->n; i++)
		if (!strcmp(ps->v[i].k1, k1) && !strcmp(ps->v[i].k2, k2)) {
			ps->v[i].n += n;
			return SC_OK;
		}
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? 2 * ps->cap : 32;
		struct pair *v = realloc(ps->v, cap * sizeof(*v));
		if (!v)
			return SC_ENOMEM;
		ps->v = v;
		ps->cap = cap;
	}
	p = &ps->v[ps->n];
	p->k1 = strdup(k1);
	p->k2 = strdup(k2);
	p->n = n;
	if (!p->k1 || !p->k2) {
		free(p->k1);
		free(p->k2);
		return SC_ENOMEM;
	}
	ps->n++;
	return SC_OK;
}

/* the tallies' order: by their keys' bytes (the stores sort them so) */
static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->k1, y->k1);

	return c ? c : strcmp(x->k2, y->k2);
}

/* One tally of the ledger, or of every ledger of a map summed, into o in
 * the order one ledger gives; *run_at: the home ledger's latest run. */
static enum sc_status tally(struct sc_req *r, enum sc_tally which, json_t *o, sc_day *run_at,
			    struct sc_diag *d)
{
	struct pairs ps = {0};
	enum sc_status s = SC_OK;

	if (!r->srv->opts.map)
		return sc_store_tally(sc_req_ledger(r, 0), which, add_pair, o, run_at, d);
	for (size_t i = 0; !s && i < r->srv->nparts; i++) {
		struct sc_store *one = sc_req_ledger(r, i);
		sc_day at;
		s = one ? sc_store_tally(one, which, add_sum, &ps, &at, d) : SC_ENOMEM;
		if (i == 0)
			*run_at = at;
	}
	if (!s && ps.n)
		qsort(ps.v, ps.n, sizeof(*ps.v), pair_cmp);
	for (size_t i = 0; i < ps.n; i++) {
		if (!s)
			s = add_pair(o, ps.v[i].k1, ps.v[i].k2, ps.v[i].n);
		free(ps.v[i].k1);
		free(ps.v[i].k2);
	}
	free(ps.v);
	return s;
}

void sc_h_stats(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	json_t *grades = json_object(), *status = json_object(), *lists = json_object();
	json_t *sources = json_object(), *disputes = json_array(), *repairs = json_array();
	struct sc_diag d;
	sc_day run_at;

	(void)st;
	(void)p;
	sc_diag_clear(&d);
	if (tally(r, SC_TALLY_RECORDS_BY_SOURCE, sources, &run_at, &d) ||
	    tally(r, SC_TALLY_GRADES, grades, &run_at, &d) ||
	    tally(r, SC_TALLY_STATUS, status, &run_at, &d) ||
	    tally(r, SC_TALLY_LISTS, lists, &run_at, &d) ||
	    sc_req_items(r, SC_SHARD_DISPUTE, NULL, true, disputes, &d) ||
	    sc_req_items(r, SC_SHARD_REPAIR, NULL, true, repairs, &d)) {
		json_decref(grades);
		json_decref(status);
		json_decref(lists);
		json_decref(sources);
		json_decref(disputes);
		json_decref(repairs);
		sc_reply_store_error(r, SC_ESTORE, &d);
		return;
	}
	sc_reply_json(r, 200, json_pack("{s:o,s:{s:s,s:s,s:i},s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
		"today", sc_report_day(sc_req_today(r)),
		"rulebook", "name", sc_rulebook_name(r->rb),
		"version", sc_rulebook_version(r->rb),
		"review_days", (int)sc_rulebook_review_days(r->rb),
		"run_at", sc_report_day(run_at), "grades", grades, "status", status,
		"lists", lists, "records_by_source", sources, "open_disputes", disputes,
		"open_repairs", repairs));
}

/* POST /v1/rulebooks?effective=YYYY-MM-DD: an admin publishes a new version
 * (YAML body), in force from a date that is not in the past. */
void sc_h_rulebook_publish(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	const char *eff = sc_req_query(r, "effective");
	struct sc_rulebook *rb = NULL;
	struct sc_diag d;
	sc_day effective;
	enum sc_status s;

	(void)p;
	if (!eff || !sc_date_parse(eff, strlen(eff), &effective)) {
		sc_reply_errorf(r, 400, "effective", "query parameter 'effective' is required: YYYY-MM-DD");
		return;
	}
	if (effective < sc_req_today(r)) {
		sc_reply_errorf(r, 400, "effective",
				"%.10s is in the past: a rulebook never changes what already happened", eff);
		return;
	}
	sc_diag_clear(&d);
	if ((s = sc_rulebook_compile(r->body ? r->body : "", r->body_len, "request", &rb, &d))) {
		sc_reply_error(r, s == SC_ENOMEM ? 500 : 400, &d);
		return;
	}
	/* over a cluster map on every ledger, in the map's order: each
	 * ledger's run evaluates under its own rulebooks */
	for (size_t i = 0; i < r->srv->nparts; i++) {
		struct sc_store *one = i ? sc_req_ledger(r, i) : st;
		if (!one || (s = sc_store_rulebook_put(one, rb, effective, &d))) {
			sc_rulebook_free(rb);
			if (!one)
				sc_reply_errorf(r, 500, NULL, "out of memory");
			else if (r->srv->nparts > 1 && i > 0)
				sc_reply_errorf(r, s == SC_ESTORE ? 500 : 409, NULL,
						"published on %zu of %zu ledgers of the map, not on ledger %zu:"
						" %s (publish it there with socred rulebook publish)",
						i, r->srv->nparts, i + 1, d.message);
			else
				sc_reply_store_error(r, s, &d);
			return;
		}
	}
	r->audit_subject = "";
	r->audit_action = "rulebook publish";
	snprintf(r->audit_result, sizeof(r->audit_result), "%.40s %.40s from %.10s",
		 sc_rulebook_name(rb), sc_rulebook_version(rb), eff);
	for (size_t i = 1; i < r->srv->nparts; i++)
		sc_req_audit(r, &r->srv->parts[i], r->audit_action, "", r->audit_result);
	sc_reply_json(r, 201, json_pack("{s:s,s:s,s:s}", "rulebook", sc_rulebook_name(rb),
					"version", sc_rulebook_version(rb), "effective", eff));
	if (sc_server_version_add(r->srv, effective, rb))
		sc_rulebook_free(rb); /* stored; in force after a restart */
}

static enum sc_status add_version(void *ctx, int64_t id, sc_day effective,
				  const char *text, size_t len, const char *published)
{
	struct sc_rulebook *rb = NULL;

	if (sc_rulebook_compile_flags(text, len, "ledger rulebook", SC_RULEBOOK_STORED, &rb, NULL))
		return SC_ECORRUPT;
	json_array_append_new(ctx, json_pack("{s:I,s:s,s:s,s:o,s:s}", "id", (json_int_t)id,
		"rulebook", sc_rulebook_name(rb), "version", sc_rulebook_version(rb),
		"effective", sc_report_day(effective), "published", published));
	sc_rulebook_free(rb);
	return SC_OK;
}

/* GET /v1/rulebooks: every published version and when it takes effect. */
void sc_h_rulebook_versions(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	json_t *arr = json_array();
	struct sc_diag d;
	enum sc_status s;

	(void)p;
	sc_diag_clear(&d);
	if ((s = sc_store_rulebook_list(st, add_version, arr, &d))) {
		json_decref(arr);
		sc_reply_store_error(r, s, &d);
		return;
	}
	sc_reply_json(r, 200, json_pack("{s:s,s:s,s:o}", "in_force", sc_rulebook_version(r->rb),
					"today_rulebook", sc_rulebook_name(r->rb), "versions", arr));
}

/* POST /v1/keys: an admin makes a key; the token is in this response only. */
void sc_h_key_add(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	json_t *body;
	const char *role_s, *name, *source, *actions, *subject;
	struct sc_key k;
	struct sc_diag d;
	char secret[SC_KEY_SECRET_HEX], token[SC_KEY_TOKEN_MAX];
	enum sc_status s;

	(void)p;
	if (!(body = sc_req_json(r)))
		return;
	memset(&k, 0, sizeof(k));
	if (!(role_s = sc_req_str(r, body, "role", 16, true)) ||
	    !(name = sc_req_str(r, body, "name", SC_DIAG_FIELD_MAX - 1, false)) ||
	    !(source = sc_req_str(r, body, "source", SC_LIMIT_NAME, false)) ||
	    !(actions = sc_req_str(r, body, "actions", SC_LIMIT_BINDING, false)) ||
	    !(subject = sc_req_str(r, body, "subject", SC_LIMIT_SUBJECT_ID, false)))
		goto out;
	if (sc_role_parse(role_s, &k.role)) {
		sc_reply_errorf(r, 400, "role", "role must be admin, provider, enforcer, subject or monitor");
		goto out;
	}
	sc_diag_clear(&d);
	if (sc_key_binding(r->rb, k.role, *source ? source : NULL, *actions ? actions : NULL,
			   *subject ? subject : NULL, k.binding, sizeof(k.binding), &d)) {
		sc_reply_error(r, 400, &d);
		goto out;
	}
	snprintf(k.name, sizeof(k.name), "%s", name);
	if (sc_key_secret(secret, k.hash)) {
		sc_reply_errorf(r, 500, NULL, "no randomness available");
		goto out;
	}
	if ((s = sc_store_key_add(st, &k, &d))) {
		sc_reply_store_error(r, s, &d);
		goto out;
	}
	sc_key_token(k.id, secret, token);
	sc_reply_json(r, 201, json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)k.id,
					"role", sc_role_name(k.role), "name", k.name,
					"binding", k.binding, "key", token));
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(token, sizeof(token));
	r->audit_subject = k.role == SC_ROLE_SUBJECT ? sc_arena_strdup(&r->arena, k.binding) : "";
	r->audit_action = "keys add";
	snprintf(r->audit_result, sizeof(r->audit_result), "key %lld %s %.64s", (long long)k.id,
		 sc_role_name(k.role), k.binding);
out:
	json_decref(body);
}

static enum sc_status add_key(void *ctx, const struct sc_key *k)
{
	json_array_append_new(ctx, json_pack("{s:I,s:s,s:s,s:s,s:s,s:b}", "id", (json_int_t)k->id,
		"role", sc_role_name(k->role), "name", k->name, "binding", k->binding,
		"created", k->created, "revoked", k->revoked));
	return SC_OK;
}

/* GET /v1/keys: every key, never its secret or hash. */
void sc_h_key_list(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	json_t *arr = json_array();
	struct sc_diag d;
	enum sc_status s;

	(void)p;
	sc_diag_clear(&d);
	if ((s = sc_store_key_list(st, add_key, arr, &d))) {
		json_decref(arr);
		sc_reply_store_error(r, s, &d);
		return;
	}
	sc_reply_json(r, 200, json_pack("{s:o}", "keys", arr));
}

/* DELETE /v1/keys/{id}: revoke; the key gets 401 from then on. The last
 * active admin key is refused (409): over HTTP nobody could undo it. */
void sc_h_key_revoke(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	char *end;
	long long id = strtoll(p[0], &end, 10);
	struct sc_diag d;
	enum sc_status s;

	if (*end || id <= 0) {
		sc_reply_errorf(r, 404, NULL, "no key %.32s", p[0]);
		return;
	}
	sc_diag_clear(&d);
	if ((s = sc_store_key_revoke(st, id, false, &d))) {
		sc_reply_store_error(r, s, &d);
		return;
	}
	r->audit_subject = "";
	r->audit_action = "keys revoke";
	snprintf(r->audit_result, sizeof(r->audit_result), "key %lld revoked", id);
	sc_reply_json(r, 200, json_pack("{s:I,s:b}", "id", (json_int_t)id, "revoked", 1));
}
