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
	json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "reason", sc_reason_kind_name(r->kind),
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
	o = json_pack("{s:s,s:s,s:o,s:s}", "subject", l->id, "action",
		      sc_rulebook_action_name(rb, action), "at", sc_report_day(at),
		      "decision", sc_decision_name(*decision));
	/* a benefit says what the subject gets without it */
	if (o && sc_rulebook_action_is_benefit(rb, action))
		json_object_set_new(o, "standard_terms",
				    json_string(sc_rulebook_action_standard_terms(rb, action)));
	if (o)
		json_object_set_new(o, "reasons", arr ? arr : json_array());
	else
		json_decref(arr);
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
		json_t *card = card_json(rb, ev, (int)sc), *rules;
		if (!card)
			continue;
		/* without consent: no per-rule sum, nothing the score follows from */
		if (cr->status == SC_CARD_NO_CONSENT) {
			json_array_append_new(cards, card);
			continue;
		}
		if (!(rules = json_array())) {
			json_decref(card);
			continue;
		}
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
		int sc = sc_rulebook_rule_scorecard(rb, c[i].rule);
		/* the record and its window, but not its points, without consent */
		bool withheld = sc_eval_card(ev, sc)->status == SC_CARD_NO_CONSENT;
		json_t *e = json_pack("{s:s,s:s,s:o,s:s,s:s,s:o,s:o,s:o,s:s}",
			"record", l->record_ids[ri], "type", l->types[ri],
			"date", sc_report_day(er->date),
			"source", l->sources[ri],
			"scorecard", sc_rulebook_scorecard_name(rb, sc),
			"points", withheld ? json_null() : json_integer(c[i].points),
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

/* ---- the rulebook ---- */

/* Absent values are left out, so the document is itself a valid rulebook
 * (JSON is YAML) that compiles to the same program. */
static void set_opt_int(json_t *o, const char *k, int32_t v)
{
	if (v >= 0)
		json_object_set_new(o, k, json_integer(v));
}

static void set_opt_str(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(v));
}

static json_t *kinds_json(bool persons, bool orgs)
{
	json_t *a = json_array();

	if (persons)
		json_array_append_new(a, json_string("person"));
	if (orgs)
		json_array_append_new(a, json_string("org"));
	return a;
}

static json_t *rule_info_json(const struct sc_rulebook *rb, int r)
{
	struct sc_rule_info ri;
	json_t *o;
	char unit[32];

	sc_rulebook_rule_info(rb, r, &ri);
	o = json_pack("{s:s}", "type", ri.type);
	if (ri.per_unit) {
		sc_amount_format(ri.unit, unit, sizeof(unit));
		json_object_set_new(o, "points_per_unit", json_integer(ri.points));
		json_object_set_new(o, "unit", json_string(unit));
	} else {
		json_object_set_new(o, "points", json_integer(ri.points));
	}
	set_opt_int(o, "lapse_days", ri.lapse_days);
	if (ri.has_cap)
		json_object_set_new(o, "cap", json_integer(ri.cap));
	json_object_set_new(o, "repair_min_days", json_integer(ri.repair_min_days));
	if (ri.grade_cap >= 0)
		json_object_set_new(o, "grade_cap", json_string(
			sc_rulebook_grade_name(rb, ri.scorecard, ri.grade_cap)));
	json_object_set_new(o, "basis", json_string(ri.basis));
	return o;
}

json_t *sc_report_rulebook(const struct sc_rulebook *rb)
{
	json_t *sources = json_array(), *cards = json_array();
	json_t *lists = json_array(), *measures = json_array();

	for (size_t i = 0; i < sc_rulebook_source_count(rb); i++) {
		json_t *pat = json_array();
		for (size_t k = 0; k < sc_rulebook_source_pattern_count(rb, (int)i); k++)
			json_array_append_new(pat, json_string(sc_rulebook_source_pattern(rb, (int)i, k)));
		json_t *src = json_pack("{s:s}", "name", sc_rulebook_source_name(rb, (int)i));
		set_opt_str(src, "label", sc_rulebook_source_label(rb, (int)i));
		json_object_set_new(src, "may_file", pat);
		json_array_append_new(sources, src);
	}
	for (size_t i = 0; i < sc_rulebook_scorecard_count(rb); i++) {
		struct sc_scorecard_info si;
		json_t *grades = json_array(), *rules = json_array();
		sc_rulebook_scorecard_info(rb, (int)i, &si);
		for (size_t g = 0; g < si.ngrades; g++)
			json_array_append_new(grades, json_pack("{s:s,s:i}",
				"grade", sc_rulebook_grade_name(rb, (int)i, (int)g),
				"min", (int)sc_rulebook_grade_min(rb, (int)i, (int)g)));
		for (size_t r = si.first_rule; r < si.first_rule + si.nrules; r++)
			json_array_append_new(rules, rule_info_json(rb, (int)r));
		json_array_append_new(cards, json_pack("{s:s,s:o,s:s,s:i,s:i,s:i,s:o,s:o}",
			"name", si.name, "applies_to", kinds_json(si.persons, si.orgs),
			"consent", si.consent_required ? "required" : "not_required",
			"base", (int)si.base, "min", (int)si.min, "max", (int)si.max,
			"grades", grades, "rules", rules));
	}
	for (size_t i = 0; i < sc_rulebook_list_count(rb); i++) {
		struct sc_list_info li;
		json_t *types = json_array();
		sc_rulebook_list_info(rb, (int)i, &li);
		for (size_t k = 0; k < li.nentered; k++)
			json_array_append_new(types, json_string(sc_rulebook_list_type(rb, (int)i, k)));
		json_t *l = json_pack("{s:s}", "name", li.name);
		set_opt_str(l, "label", li.label);
		json_object_set_new(l, "kind", json_string(li.kind == SC_LIST_BLACK ? "black" : "red"));
		json_object_set_new(l, "applies_to", kinds_json(li.persons, li.orgs));
		json_object_set_new(l, "entered_by", types);
		json_object_set_new(l, "grace_days", json_integer(li.grace_days));
		set_opt_int(l, "duration_days", li.duration_days);
		json_object_set_new(l, "repair_min_days", json_integer(li.repair_min_days));
		json_object_set_new(l, "public", json_boolean(li.public_));
		json_object_set_new(l, "disclose", json_string(li.disclose_full ? "full" : "masked"));
		json_object_set_new(l, "basis", json_string(li.basis));
		json_array_append_new(lists, l);
	}
	for (size_t i = 0; i < sc_rulebook_measure_count(rb); i++) {
		struct sc_measure_info mi;
		json_t *m, *ls = json_array();
		sc_rulebook_measure_info(rb, (int)i, &mi);
		m = json_pack("{s:s}", "action", mi.action);
		set_opt_str(m, "label", mi.label);
		for (size_t k = 0; k < mi.nlists; k++)
			json_array_append_new(ls, json_string(sc_rulebook_list_name(rb,
				sc_rulebook_measure_list(rb, (int)i, k))));
		if (mi.deny) {
			json_object_set_new(m, "deny_if_listed", ls);
		} else if (mi.scorecard >= 0) {
			json_decref(ls);
			json_object_set_new(m, "grant_if_grade_at_least",
					    json_string(sc_rulebook_grade_name(rb, mi.scorecard, mi.grade)));
			json_object_set_new(m, "scorecard", json_string(sc_rulebook_scorecard_name(rb, mi.scorecard)));
		} else {
			json_object_set_new(m, "grant_if_listed", ls);
		}
		set_opt_str(m, "standard_terms", mi.standard_terms);
		json_object_set_new(m, "issued_by", json_string(mi.issued_by));
		json_object_set_new(m, "basis", json_string(mi.basis));
		json_array_append_new(measures, m);
	}
	json_t *schemes = json_array();
	unsigned sch = sc_rulebook_id_schemes(rb);

	if (sch & SC_SCHEME_CN_RIC)
		json_array_append_new(schemes, json_string("cn_ric"));
	if (sch & SC_SCHEME_CN_USCC)
		json_array_append_new(schemes, json_string("cn_uscc"));
	if (sch & SC_SCHEME_ANY)
		json_array_append_new(schemes, json_string("any"));
	return json_pack("{s:s,s:s,s:o,s:i,s:i,s:o,s:o,s:o,s:o}", "rulebook", sc_rulebook_name(rb),
			 "version", sc_rulebook_version(rb), "id_schemes", schemes,
			 "review_days", (int)sc_rulebook_review_days(rb),
			 "retention_days", (int)sc_rulebook_retention_days(rb), "sources", sources,
			 "scorecards", cards, "lists", lists, "measures", measures);
}
