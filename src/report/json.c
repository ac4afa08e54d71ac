/* Scores, decisions and explanations as JSON documents. */
#include <string.h>

#include "socred/record.h"
#include "socred/report.h"

json_t *sc_report_day(sc_day d)
{
	char b[SC_DATE_LEN + 1];

	if (d == SC_DAY_NONE)
		return json_null();
	sc_date_format(d, b);
	return json_string(b);
}

static const char *list_kind(const struct sc_rulebook *rb, int l)
{
	return sc_rulebook_list_kind(rb, l) == SC_LIST_BLACK ? "black" : "red";
}

json_t *sc_report_lists(const struct sc_rulebook *rb, const struct sc_loaded *l,
			const struct sc_eval *ev)
{
	size_t n;
	const struct sc_list_hit *h = sc_eval_lists(ev, &n);
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:o,s:o}",
			"list", sc_rulebook_list_name(rb, h[i].list),
			"kind", list_kind(rb, h[i].list),
			"record", l->record_ids[h[i].record],
			"since", sc_report_day(h[i].since),
			"until", sc_report_day(h[i].until)));
	return arr;
}

static json_t *card_json(const struct sc_rulebook *rb, const struct sc_eval *ev,
			 int sc)
{
	const struct sc_card_result *c = sc_eval_card(ev, sc);
	bool scored = c->status == SC_CARD_SCORED;

	return json_pack("{s:s,s:s,s:o,s:o}", "scorecard",
			 sc_rulebook_scorecard_name(rb, sc), "status",
			 sc_card_status_name(c->status), "score",
			 scored ? json_integer(c->score) : json_null(), "grade",
			 scored ? json_string(sc_rulebook_grade_name(rb, sc, c->grade))
				: json_null());
}

json_t *sc_report_score(const struct sc_rulebook *rb, const struct sc_loaded *l,
			const struct sc_eval *ev, int scorecard, sc_day at)
{
	json_t *o = json_pack("{s:s,s:o,s:o}", "subject", l->id, "kind",
			      sc_kind_name(l->view.kind)
				      ? json_string(sc_kind_name(l->view.kind))
				      : json_null(),
			      "at", sc_report_day(at));
	json_t *card;

	if (!o)
		return NULL;
	if (scorecard < 0) {
		json_object_set_new(o, "scorecard", json_null());
		json_object_set_new(o, "status", json_string("not_applicable"));
		json_object_set_new(o, "score", json_null());
		json_object_set_new(o, "grade", json_null());
	} else if ((card = card_json(rb, ev, scorecard))) {
		json_object_update(o, card);
		json_decref(card);
	}
	json_object_set_new(o, "lists", sc_report_lists(rb, l, ev));
	return o;
}

static json_t *reason_json(const struct sc_rulebook *rb,
			   const struct sc_loaded *l, const struct sc_reason *r)
{
	static const char *const kinds[] = {"listed", "grade", "not_listed",
					    "grade_below", "no_consent",
					    "not_applicable"};
	json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "reason", kinds[r->kind],
			      "measure", sc_rulebook_measure_action(rb, r->measure),
			      "issued_by", sc_rulebook_measure_issuer(rb, r->measure),
			      "basis", sc_rulebook_measure_basis(rb, r->measure));

	if (!o)
		return NULL;
	if (r->list >= 0) {
		json_object_set_new(o, "list", json_string(sc_rulebook_list_name(rb, r->list)));
		json_object_set_new(o, "list_basis", json_string(sc_rulebook_list_basis(rb, r->list)));
	}
	if (r->record >= 0) {
		json_object_set_new(o, "record", json_string(l->record_ids[r->record]));
		json_object_set_new(o, "record_type", json_string(l->types[r->record]));
		json_object_set_new(o, "source", json_string(l->sources[r->record]));
		json_object_set_new(o, "ref", l->refs[r->record][0]
				    ? json_string(l->refs[r->record]) : json_null());
		json_object_set_new(o, "since", sc_report_day(r->since));
		json_object_set_new(o, "until", sc_report_day(r->until));
	}
	if (r->scorecard >= 0) {
		json_object_set_new(o, "scorecard", json_string(sc_rulebook_scorecard_name(rb, r->scorecard)));
		json_object_set_new(o, "grade", r->grade >= 0
				    ? json_string(sc_rulebook_grade_name(rb, r->scorecard, r->grade))
				    : json_null());
		json_object_set_new(o, "required", json_string(sc_rulebook_grade_name(rb, r->scorecard, r->need)));
	}
	return o;
}

json_t *sc_report_check(const struct sc_rulebook *rb, const struct sc_loaded *l,
			struct sc_eval *ev, int action, sc_day at,
			enum sc_decision *decision)
{
	const struct sc_reason *rs;
	size_t n;
	json_t *arr, *o;

	if (sc_eval_check(ev, action, decision, &rs, &n))
		return NULL;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, reason_json(rb, l, &rs[i]));
	o = json_pack("{s:s,s:s,s:o,s:s,s:o}", "subject", l->id, "action",
		      sc_rulebook_action_name(rb, action), "at", sc_report_day(at),
		      "decision", sc_decision_name(*decision), "reasons",
		      arr ? arr : json_array());
	return o;
}

static json_t *rule_json(const struct sc_rulebook *rb, const struct sc_eval *ev,
			 int r)
{
	int64_t raw, capped = sc_eval_rule_total(ev, r, &raw);
	int32_t cap;
	bool has_cap = sc_rulebook_rule_cap(rb, r, &cap);

	return json_pack("{s:s,s:I,s:o,s:I,s:s}", "type", sc_rulebook_rule_type(rb, r),
			 "sum", (json_int_t)raw, "cap",
			 has_cap ? json_integer(cap) : json_null(), "counted",
			 (json_int_t)capped, "basis", sc_rulebook_rule_basis(rb, r));
}

json_t *sc_report_explain(const struct sc_rulebook *rb,
			  const struct sc_loaded *l, const struct sc_eval *ev,
			  sc_day at)
{
	size_t nc;
	const struct sc_contrib *c = sc_eval_contribs(ev, &nc);
	json_t *o = json_pack("{s:s,s:o,s:o}", "subject", l->id, "kind",
			      sc_kind_name(l->view.kind)
				      ? json_string(sc_kind_name(l->view.kind))
				      : json_null(),
			      "at", sc_report_day(at));
	json_t *cards = json_array(), *recs = json_array();

	if (!o || !cards || !recs) {
		json_decref(o);
		json_decref(cards);
		json_decref(recs);
		return NULL;
	}
	for (size_t sc = 0; sc < sc_rulebook_scorecard_count(rb); sc++) {
		const struct sc_card_result *cr = sc_eval_card(ev, (int)sc);
		json_t *card = card_json(rb, ev, (int)sc), *rules = json_array();
		if (!card || !rules)
			continue;
		for (size_t r = 0; r < sc_rulebook_rule_count(rb); r++) {
			int64_t raw;
			if (sc_rulebook_rule_scorecard(rb, (int)r) != (int)sc)
				continue;
			sc_eval_rule_total(ev, (int)r, &raw);
			if (raw != 0)
				json_array_append_new(rules, rule_json(rb, ev, (int)r));
		}
		json_object_set_new(card, "rules", rules);
		if (cr->status == SC_CARD_SCORED) {
			json_object_set_new(card, "grade_by_score", json_string(
				sc_rulebook_grade_name(rb, (int)sc, cr->grade_by_score)));
			json_object_set_new(card, "grade_capped_by", cr->capped_by >= 0
					    ? json_string(l->record_ids[cr->capped_by])
					    : json_null());
		}
		json_array_append_new(cards, card);
	}
	for (size_t i = 0; i < nc; i++) {
		size_t ri = c[i].record;
		char amt[32];
		const struct sc_eval_record *er = &l->view.recs[ri];
		json_t *e = json_pack("{s:s,s:s,s:o,s:s,s:s,s:I,s:o,s:o,s:s}",
			"record", l->record_ids[ri], "type", l->types[ri],
			"date", sc_report_day(er->date),
			"source", l->sources[ri],
			"scorecard", sc_rulebook_scorecard_name(rb, sc_rulebook_rule_scorecard(rb, c[i].rule)),
			"points", (json_int_t)c[i].points,
			"from", sc_report_day(c[i].from),
			"until", sc_report_day(c[i].until),
			"state", sc_contrib_state_name(c[i].state));
		if (!e)
			continue;
		if (er->amount != SC_AMOUNT_NONE) {
			sc_amount_format(er->amount, amt, sizeof(amt));
			json_object_set_new(e, "amount", json_string(amt));
		}
		json_object_set_new(e, "rectified", sc_report_day(er->rectified));
		json_object_set_new(e, "revoked", sc_report_day(er->revoked));
		json_array_append_new(recs, e);
	}
	/* records no rule counts are part of the file too; contributions come
	 * ordered by record, so one merge finds them */
	for (size_t ri = 0, ci = 0; ri < l->view.nrecs; ri++) {
		const struct sc_eval_record *er = &l->view.recs[ri];
		bool seen = ci < nc && c[ci].record == ri;
		while (ci < nc && c[ci].record == ri)
			ci++;
		if (!seen)
			json_array_append_new(recs, json_pack("{s:s,s:s,s:o,s:s,s:n,s:I,s:o,s:o,s:o,s:o,s:s}",
				"record", l->record_ids[ri], "type", l->types[ri],
				"date", sc_report_day(er->date), "source", l->sources[ri],
				"scorecard", "points", (json_int_t)0,
				"from", sc_report_day(er->date), "until", json_null(),
				"rectified", sc_report_day(er->rectified),
				"revoked", sc_report_day(er->revoked),
				"state", "no_rule"));
	}
	json_object_set_new(o, "scorecards", cards);
	json_object_set_new(o, "records", recs);
	json_object_set_new(o, "lists", sc_report_lists(rb, l, ev));
	return o;
}
