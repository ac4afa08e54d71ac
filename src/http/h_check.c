/* GET /v1/check?subject=&action=: the point-of-service decision for an
 * enforcer bound to that action. It says the decision and its reason codes
 * (list, since, until, basis, issuing body) and nothing else about the
 * subject: no records, no score, no grade. */
#include <string.h>

#include "http.h"
#include "socred/eval.h"
#include "socred/limits.h"
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

/* The decision as the ledger gives it: the subject's file loaded and
 * evaluated. */
static enum sc_status from_ledger(struct sc_store *st,
				  const struct sc_rulebook *rb, const char *subject,
				  struct sc_eval *ev, int a, sc_day at,
				  enum sc_decision *dec, json_t **o, struct sc_diag *d)
{
	struct sc_loaded l;
	enum sc_status s;

	if ((s = sc_store_subject_open(st, rb, subject, &l, d)))
		return s;
	if (!(s = sc_eval_subject(ev, &l.view, at, 0)) &&
	    !(*o = sc_report_check(rb, &l, ev, a, at, dec)))
		s = SC_ENOMEM;
	sc_loaded_release(&l);
	return s;
}

/* The same decision from the snapshot: its cards and list entries put back
 * into the evaluator, so sc_eval_check and the report are the very ones the
 * ledger path uses. A subject the snapshot does not hold has no file: an
 * empty one of its id's kind, as sc_store_subject_open gives. */
static enum sc_status from_snapshot(const struct sc_snapref *ref,
				    const struct sc_rulebook *rb, const char *subject,
				    struct sc_eval *ev, int a, sc_day at,
				    enum sc_decision *dec, json_t **o, struct sc_diag *d)
{
	const char *none[SC_SNAP_HITS_MAX];
	struct sc_snap_entry e;
	struct sc_card_result cards[SC_LIMIT_SCORECARDS];
	struct sc_list_hit hits[SC_SNAP_HITS_MAX];
	const char *names[SC_SNAP_HITS_MAX];
	struct sc_loaded l = {.id = subject};
	enum sc_status s;

	if (!sc_snap_find(ref->snap, subject, strlen(subject), &e)) {
		struct sc_subject empty = {0};
		if ((s = sc_subject_kind(rb, subject, &empty.kind, d)))
			return s;
		l.view = empty;
		if ((s = sc_eval_subject(ev, &empty, at, 0)))
			return s;
	} else if (e.ledger_only) {
		return SC_ESTATE;
	} else {
		for (size_t i = 0; i < e.ncards; i++)
			sc_snap_entry_card(&e, i, &cards[i]);
		for (size_t i = 0; i < e.nhits && i < SC_SNAP_HITS_MAX; i++) {
			struct sc_snap_hit h;
			sc_snap_entry_hit(&e, i, &h);
			hits[i] = (struct sc_list_hit){h.list, i, h.since, h.until};
			names[i] = sc_snap_hit_record(&e, &h);
		}
		l.view.kind = e.kind;
		if ((s = sc_eval_restore(ev, cards, hits, e.nhits)))
			return s;
	}
	/* only record ids reach the audit entry; the rest is redacted */
	for (size_t i = 0; i < SC_SNAP_HITS_MAX; i++)
		none[i] = "";
	l.record_ids = names;
	l.types = l.sources = l.refs = (const char **)none;
	if (!(*o = sc_report_check(rb, &l, ev, a, at, dec)))
		return SC_ENOMEM;
	return SC_OK;
}

void sc_h_check(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	const char *subject = sc_req_query(r, "subject");
	const char *action = sc_req_query(r, "action");
	const struct sc_rulebook *rb = r->rb;
	struct sc_eval *ev = NULL;
	struct sc_snapref *ref;
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
	ev = sc_eval_new(rb);
	if (!ev) {
		sc_reply_errorf(r, 500, NULL, "out of memory");
		return;
	}
	sc_diag_clear(&d);
	if ((ref = sc_decisions_get(r->srv, st, subject, at, rb))) {
		s = from_snapshot(ref, rb, subject, ev, a, at, &dec, &o, &d);
		sc_decisions_release(&r->srv->decisions, ref);
		if (s == SC_ESTATE) /* more list entries than a snapshot keeps */
			s = from_ledger(st, rb, subject, ev, a, at, &dec, &o, &d);
	} else {
		s = from_ledger(st, rb, subject, ev, a, at, &dec, &o, &d);
	}
	if (s) {
		if (s == SC_ENOMEM)
			sc_reply_errorf(r, 500, NULL, "cannot evaluate the subject");
		else
			sc_reply_store_error(r, s, &d);
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
}
