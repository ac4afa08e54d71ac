/* GET /v1/subjects/{id}/report: the subject's whole file, for the subject
 * (or an admin): every record with its rule, contribution, window and state;
 * scores and grades; lists with their basis; incentives granted or missed;
 * month-end score history over three years; and every inquiry: who looked,
 * when, for which action, and what they were told. */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "socred/eval.h"
#include "socred/report.h"

struct process_ctx {
	json_t *arr;
	json_t *inquiries;
};

/* The enforcers told something based on the record while it was disputed
 * (a check's audit result names the records its decision rests on). */
static json_t *told(json_t *inquiries, const struct sc_dispute *x)
{
	json_t *out = json_array(), *q;
	size_t i;

	json_array_foreach(inquiries, i, q) {
		const char *at = json_string_value(json_object_get(q, "at"));
		const char *res = json_string_value(json_object_get(q, "result"));
		const char *role = json_string_value(json_object_get(q, "role"));
		if (!at || !res || !role || strcmp(role, "enforcer") ||
		    !sc_audit_names_record(res, x->record_id))
			continue;
		if (strcmp(at, x->opened_at) < 0 || (x->decided_at[0] && strcmp(at, x->decided_at) > 0))
			continue;
		json_array_append(out, q);
	}
	return out;
}

static enum sc_status add_dispute(void *ctx, const struct sc_dispute *x)
{
	struct process_ctx *c = ctx;
	json_t *o = sc_json_dispute(x);

	json_object_set_new(o, "told_meanwhile", told(c->inquiries, x));
	json_array_append_new(c->arr, o);
	return SC_OK;
}

static enum sc_status add_statement(void *ctx, const struct sc_statement *x)
{
	json_array_append_new(((struct process_ctx *)ctx)->arr,
			      json_pack("{s:s,s:s,s:o}", "record", x->record_id, "text", x->text,
					"date", sc_report_day(x->date)));
	return SC_OK;
}

/* The inquiries, each naming who asked: the holder of the key (its name,
 * "an airline"), an operator at the command line by OS user, or nobody
 * known (no key: a share link's viewer). Keys looked up once each. */
struct inquiry_ctx {
	struct sc_store *st;
	json_t *arr;
	int64_t ids[16];
	char names[16][SC_DIAG_FIELD_MAX];
	size_t n;
};

static const char *key_holder(struct inquiry_ctx *c, int64_t id, enum sc_role role)
{
	struct sc_key k;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->ids[i] == id)
			return c->names[i];
	if (!c->st || sc_store_key_get(c->st, id, &k, NULL) || !k.name[0])
		snprintf(k.name, sizeof(k.name), "an unnamed %s key", sc_role_name(role));
	i = c->n < 16 ? c->n++ : (size_t)id % 16;
	c->ids[i] = id;
	memcpy(c->names[i], k.name, sizeof(c->names[i]));
	return c->names[i];
}

static enum sc_status add_inquiry(void *ctx, const struct sc_audit_entry *e)
{
	struct inquiry_ctx *c = ctx;
	char who[SC_DIAG_FIELD_MAX + 32], action[256], result[256];
	const char *by;

	if (e->key_id > 0)
		sc_audit_show(who, sizeof(who), key_holder(c, e->key_id, e->role));
	else if (e->role == SC_ROLE_ADMIN && (by = strstr(e->action, " by os:")))
		snprintf(who, sizeof(who), "operator %.60s", by + 4); /* "cli score by os:alice" */
	else if (e->role == SC_ROLE_ADMIN)
		snprintf(who, sizeof(who), "operator");
	else
		snprintf(who, sizeof(who), "someone without a key");
	sc_audit_show(action, sizeof(action), e->action);
	sc_audit_show(result, sizeof(result), e->result);
	json_array_append_new(c->arr, json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:I}", "at", e->at,
		"who", who, "role", sc_role_name(e->role), "key", (json_int_t)e->key_id,
		"action", action, "result", result, "seq", (json_int_t)e->seq));
	/* a server node's chain (PostgreSQL): the proof is asked with ?node= */
	if (e->node)
		json_object_set_new(json_array_get(c->arr, json_array_size(c->arr) - 1), "node",
				    json_integer(e->node));
	return SC_OK;
}

/* The subject's file under each rulebook version the report reads: the one
 * in force on the report's day (loaded by the caller) and, lazily, the
 * earlier ones in force at a month end of the history or at the end of a
 * record's window. Type indices differ between versions, so each needs its
 * own load and evaluator. */
struct vfile {
	const struct sc_rulebook *rb; /* borrowed from the server's versions */
	struct sc_loaded l;
	struct sc_eval *ev;
	bool owned;                   /* l and ev are ours to release */
};

struct versions {
	struct sc_server *srv;
	struct sc_store *st;
	const char *id;
	struct vfile *v;
	size_t n, cap;
};

static void versions_release(struct versions *vs)
{
	for (size_t i = 0; i < vs->n; i++)
		if (vs->v[i].owned) {
			sc_eval_free(vs->v[i].ev);
			sc_loaded_release(&vs->v[i].l);
		}
	free(vs->v);
}

/* The subject under the version in force at `day`; NULL when none is, or
 * it cannot be loaded (out of memory, an id that version does not accept). */
static struct vfile *version_at(struct versions *vs, sc_day day)
{
	const struct sc_rulebook *rb = sc_server_rulebook_at(vs->srv, day);
	struct vfile *f;

	if (!rb)
		return NULL;
	for (size_t i = 0; i < vs->n; i++)
		if (vs->v[i].rb == rb)
			return &vs->v[i];
	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? 2 * vs->cap : 4;
		struct vfile *v = realloc(vs->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		vs->v = v;
		vs->cap = cap;
	}
	f = &vs->v[vs->n];
	*f = (struct vfile){.rb = rb, .owned = true};
	if (sc_store_subject_open(vs->st, rb, vs->id, &f->l, NULL))
		return NULL;
	if (!(f->ev = sc_eval_new(rb))) {
		sc_loaded_release(&f->l);
		return NULL;
	}
	vs->n++;
	return f;
}

/* Score at each month end of the last 36 months, per applicable scorecard,
 * each under the rulebook version in force on that day: a later change of
 * the rules never rewrites the past. */
static json_t *history(struct versions *vs, sc_day today)
{
	json_t *out = json_array();
	int y, m, d;

	sc_date_to_ymd(today, &y, &m, &d);
	for (int k = 36; k >= 1; k--) {
		int mm = m - k, yy = y;
		struct vfile *f;
		sc_day end;
		json_t *pt;
		while (mm < 1) {
			mm += 12;
			yy--;
		}
		/* the last day of month mm: the day before the first of the next */
		end = sc_date_from_ymd(mm == 12 ? yy + 1 : yy, mm == 12 ? 1 : mm + 1, 1) - 1;
		pt = json_pack("{s:o}", "at", sc_report_day(end));
		if ((f = version_at(vs, end)) && !sc_eval_subject(f->ev, &f->l.view, end, 0))
			for (size_t sc = 0; sc < sc_rulebook_scorecard_count(f->rb); sc++) {
				const struct sc_card_result *c = sc_eval_card(f->ev, (int)sc);
				if (c->status == SC_CARD_NOT_APPLICABLE)
					continue;
				json_object_set_new(pt, sc_rulebook_scorecard_name(f->rb, (int)sc),
						    c->status == SC_CARD_SCORED ? json_integer(c->score) : json_null());
			}
		json_array_append_new(out, pt);
	}
	return out;
}

/* What a record whose window ended before the version in force today took
 * effect cost under the version in force on its window's last day. */
static void window_cost(struct versions *vs, json_t *rec, sc_day today)
{
	const char *id = json_string_value(json_object_get(rec, "record"));
	const char *card = json_string_value(json_object_get(rec, "scorecard"));
	const char *until_s = json_string_value(json_object_get(rec, "until"));
	const struct sc_contrib *c;
	struct vfile *f;
	sc_day until, last;
	int64_t points = 0;
	size_t n;

	if (!id || !card || !until_s || !json_is_integer(json_object_get(rec, "points")) ||
	    !sc_date_parse(until_s, strlen(until_s), &until) || until > today)
		return;
	last = until - 1;
	if (!(f = version_at(vs, last)) || f->rb == vs->v[0].rb ||
	    sc_eval_subject(f->ev, &f->l.view, last, SC_EVAL_EXPLAIN))
		return;
	c = sc_eval_contribs(f->ev, &n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f->l.record_ids[c[i].record], id) &&
		    !strcmp(sc_rulebook_scorecard_name(f->rb,
				sc_rulebook_rule_scorecard(f->rb, c[i].rule)), card)) {
			points = c[i].points;
			break;
		}
	json_object_set_new(rec, "points", json_integer(points));
	json_object_set_new(rec, "rulebook_version", json_string(sc_rulebook_version(f->rb)));
}

void sc_h_report(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	const struct sc_rulebook *rb = r->rb;
	const char *id = p[0];
	sc_day at = sc_req_today(r);
	struct sc_eval *ev = NULL;
	struct sc_loaded l;
	struct sc_diag d;
	struct versions vs = {.srv = r->srv, .st = st, .id = id};
	json_t *o = NULL, *incentives, *inquiries, *rec;
	enum sc_status s, ids = SC_OK;
	size_t i;

	if (r->role == SC_ROLE_SUBJECT && strcmp(r->key.binding, id)) {
		sc_reply_errorf(r, 403, NULL, "this key reads the report of its own subject only");
		r->audit_subject = sc_arena_strdup(&r->arena, id);
		snprintf(r->audit_result, sizeof(r->audit_result), "403");
		return;
	}
	sc_diag_clear(&d);
	if ((s = sc_store_subject_open(st, rb, id, &l, &d))) {
		sc_reply_store_error(r, s, &d);
		return;
	}
	ev = sc_eval_new(rb);
	if (!ev || sc_eval_subject(ev, &l.view, at, SC_EVAL_EXPLAIN) ||
	    !(o = sc_report_explain(rb, &l, ev, at))) {
		sc_reply_errorf(r, 500, NULL, "cannot evaluate the subject");
		goto out;
	}
	/* the version in force today is the first, loaded above */
	if (!(vs.v = calloc(4, sizeof(*vs.v)))) {
		sc_reply_errorf(r, 500, NULL, "out of memory");
		goto out;
	}
	vs.v[0] = (struct vfile){.rb = rb, .l = l, .ev = ev};
	vs.n = 1;
	vs.cap = 4;
	json_array_foreach(json_object_get(o, "records"), i, rec)
		window_cost(&vs, rec, at);
	/* incentives: every action with incentive measures, granted or why not */
	incentives = json_array();
	for (size_t a = 0; a < sc_rulebook_action_count(rb); a++) {
		enum sc_decision dec;
		json_t *c = sc_report_check(rb, &l, ev, (int)a, at, &dec);
		if (c && sc_rulebook_action_is_benefit(rb, (int)a))
			json_array_append_new(incentives, json_pack("{s:s,s:s,s:s,s:O}",
				"action", sc_rulebook_action_name(rb, (int)a),
				"decision", sc_decision_name(dec),
				"standard_terms", sc_rulebook_action_standard_terms(rb, (int)a),
				"reasons", json_object_get(c, "reasons")));
		json_decref(c);
	}
	json_object_set_new(o, "incentives", incentives);
	inquiries = json_array();
	{
		/* the keys are on the home ledger */
		struct inquiry_ctx ic = {.st = sc_req_ledger(r, 0), .arr = inquiries};
		sc_store_audit_subject(st, id, add_inquiry, &ic, NULL);
	}
	{
		struct process_ctx pc = {.arr = json_array(), .inquiries = inquiries};
		sc_store_statement_list(st, id, add_statement, &pc, NULL);
		json_object_set_new(o, "statements", pc.arr);
		pc.arr = json_array();
		sc_store_dispute_list(st, id, NULL, false, add_dispute, &pc, NULL);
		json_object_set_new(o, "disputes", pc.arr);
		ids = sc_ids_out_all(r->srv, SC_SHARD_DISPUTE, r->part, pc.arr, &d);
		pc.arr = json_array();
		sc_store_repair_list(st, id, NULL, false, sc_json_append_repair, pc.arr, NULL);
		json_object_set_new(o, "repairs", pc.arr);
		if (!ids)
			ids = sc_ids_out_all(r->srv, SC_SHARD_REPAIR, r->part, pc.arr, &d);
	}
	if (ids) { /* the registry's ids over a cluster map */
		sc_reply_store_error(r, ids, &d);
		goto out;
	}
	json_object_set_new(o, "inquiries", inquiries);
	json_object_set_new(o, "history", history(&vs, at));
	r->audit_subject = sc_arena_strdup(&r->arena, id);
	r->audit_action = "report";
	snprintf(r->audit_result, sizeof(r->audit_result), "200");
	sc_reply_json(r, 200, o);
	o = NULL; /* the reply owns it */
out:
	json_decref(o);
	versions_release(&vs);
	sc_eval_free(ev);
	sc_loaded_release(&l);
}
