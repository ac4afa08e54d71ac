/* GET /v1/check?subject=&action=: the point-of-service decision for an
 * enforcer bound to that action. It says the decision and its reason codes
 * (list, since, until, basis, issuing body) and nothing else about the
 * subject: no records, no score, no grade. */
#include <string.h>

#include "http.h"
#include "socred/eval.h"
#include "socred/report.h"

/* Keeps only what an enforcer may learn from a reason. */
static void redact(json_t *reasons)
{
	static const char *const drop[] = {"record", "record_type", "source", "ref", "grade"};
	size_t i;
	json_t *r;

	json_array_foreach(reasons, i, r)
		for (size_t k = 0; k < sizeof(drop) / sizeof(drop[0]); k++)
			json_object_del(r, drop[k]);
}

void sc_h_check(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	const char *subject = sc_req_query(r, "subject");
	const char *action = sc_req_query(r, "action");
	const struct sc_rulebook *rb = r->rb;
	struct sc_loaded l;
	struct sc_eval *ev = NULL;
	struct sc_diag d;
	enum sc_decision dec;
	sc_day at = sc_req_today(r);
	json_t *o;
	enum sc_status s;
	int a;

	(void)p;
	if (!subject || !*subject) {
		sc_reply_errorf(r, 400, "subject", "query parameter 'subject' is required");
		return;
	}
	if (!action || !*action) {
		sc_reply_errorf(r, 400, "action", "query parameter 'action' is required");
		return;
	}
	if (!sc_key_bound_to(r->key.binding, action)) {
		sc_reply_errorf(r, 403, "action", "this key may check %s only, not '%.64s'",
				r->key.binding, action);
		r->audit_subject = subject;
		r->audit_action = "check";
		snprintf(r->audit_result, sizeof(r->audit_result), "403 action %.64s", action);
		return;
	}
	if ((a = sc_rulebook_action_find(rb, action, strlen(action))) < 0) {
		sc_reply_errorf(r, 400, "action", "unknown action '%.64s'", action);
		return;
	}
	sc_diag_clear(&d);
	if ((s = sc_store_subject_open(st, rb, subject, &l, &d))) {
		sc_reply_store_error(r, s, &d);
		return;
	}
	ev = sc_eval_new(rb);
	if (!ev || sc_eval_subject(ev, &l.view, at, 0) ||
	    !(o = sc_report_check(rb, &l, ev, a, at, &dec))) {
		sc_reply_errorf(r, 500, NULL, "cannot evaluate the subject");
		goto out;
	}
	/* the audit entry names the records the decision rests on, so a
	 * report can tell who was told what about a disputed record */
	{
		size_t i, n = (size_t)snprintf(r->audit_result, sizeof(r->audit_result), "%s",
					       sc_decision_name(dec));
		json_t *reason;
		json_array_foreach(json_object_get(o, "reasons"), i, reason) {
			json_t *rec = json_object_get(reason, "record");
			if (json_is_string(rec) && n < sizeof(r->audit_result))
				n += (size_t)snprintf(r->audit_result + n, sizeof(r->audit_result) - n,
						      " %s", json_string_value(rec));
		}
	}
	redact(json_object_get(o, "reasons"));
	r->srv->metrics.decisions[dec]++;
	r->audit_subject = sc_arena_strdup(&r->arena, subject);
	r->audit_action = sc_arena_strdup(&r->arena, action);
	sc_reply_json(r, 200, o);
out:
	sc_eval_free(ev);
	sc_loaded_release(&l);
}
