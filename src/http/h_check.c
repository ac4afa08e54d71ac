/* GET /v1/check?subject=&action=: the point-of-service decision for an
 * enforcer bound to that action. It says the decision and its reason codes
 * (list, since, until, basis, issuing body) and nothing else about the
 * subject: no records, no score, no grade. */
#include <string.h>

#include "http.h"
#include "socred/eval.h"
#include "socred/limits.h"
#include "socred/report.h"

/* The answer of the evaluated subject, into the request's reply, and the
 * records it rests on into the audit entry's result (so a report can tell
 * who was told what about a disputed record). */
static enum sc_status answer(struct sc_req *r, const struct sc_rulebook *rb,
			     const struct sc_loaded *l, struct sc_eval *ev, int a,
			     sc_day at, enum sc_decision *dec)
{
	struct sc_check_text t;
	enum sc_status s;
	size_t n;

	if ((s = sc_report_check_text(rb, l->id, ev, a, at, &r->arena, &t)))
		return s;
	*dec = t.decision;
	n = (size_t)snprintf(r->audit_result, sizeof(r->audit_result), "%s",
			     sc_decision_name(t.decision));
	for (size_t i = 0; i < t.nreasons; i++)
		if (t.reasons[i].record >= 0 && n < sizeof(r->audit_result))
			n += (size_t)snprintf(r->audit_result + n, sizeof(r->audit_result) - n,
					      " %s", l->record_ids[t.reasons[i].record]);
	sc_reply_arena(r, 200, "application/json", t.text, t.len);
	return SC_OK;
}

/* The decision as the ledger gives it: the subject's file loaded and
 * evaluated. */
static enum sc_status from_ledger(struct sc_req *r, struct sc_store *st,
				  const struct sc_rulebook *rb, const char *subject,
				  struct sc_eval *ev, int a, sc_day at,
				  enum sc_decision *dec, struct sc_diag *d)
{
	struct sc_loaded l;
	enum sc_status s;

	if ((s = sc_store_subject_open(st, rb, subject, &l, d)))
		return s;
	if (!(s = sc_eval_subject(ev, &l.view, at, 0)))
		s = answer(r, rb, &l, ev, a, at, dec);
	sc_loaded_release(&l);
	return s;
}

/* The same decision from the snapshot: its cards and list entries put back
 * into the evaluator, so sc_eval_check and the report are the very ones the
 * ledger path uses. A subject the snapshot does not hold has no file: an
 * empty one of its id's kind, as sc_store_subject_open gives. */
static enum sc_status from_snapshot(struct sc_req *r, const struct sc_snapref *ref,
				    const struct sc_rulebook *rb, const char *subject,
				    struct sc_eval *ev, int a, sc_day at,
				    enum sc_decision *dec, struct sc_diag *d)
{
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
	/* only record ids reach the audit entry; the answer has none */
	l.record_ids = names;
	return answer(r, rb, &l, ev, a, at, dec);
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
	ev = sc_req_eval(r, rb);
	if (!ev) {
		sc_reply_errorf(r, 500, NULL, "out of memory");
		return;
	}
	sc_diag_clear(&d);
	if ((ref = sc_decisions_get(r->part, st, subject, at, rb))) {
		s = from_snapshot(r, ref, rb, subject, ev, a, at, &dec, &d);
		sc_decisions_release(&r->part->decisions, ref);
		if (s == SC_ESTATE) /* more list entries than a snapshot keeps */
			s = from_ledger(r, st, rb, subject, ev, a, at, &dec, &d);
	} else {
		s = from_ledger(r, st, rb, subject, ev, a, at, &dec, &d);
	}
	if (s) {
		if (s == SC_ENOMEM)
			sc_reply_errorf(r, 500, NULL, "cannot evaluate the subject");
		else
			sc_reply_store_error(r, s, &d);
		goto out;
	}
	r->srv->metrics.decisions[dec]++;
	r->audit_subject = sc_arena_strdup(&r->arena, subject);
	r->audit_action = sc_arena_strdup(&r->arena, action);
out:
	sc_req_eval_done(r, ev);
}
