/* Scores, grades and list membership of one subject at one date. The
 * semantics are exactly those of docs/semantics.md. */
#include <stdlib.h>
#include <string.h>

#include "eval_impl.h"
#include "socred/limits.h"
#include "socred/record.h"

struct sc_eval *sc_eval_new(const struct sc_rulebook *rb)
{
	struct sc_eval *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return NULL;
	ev->rb = rb;
	ev->rule_raw = calloc(rb->nrules + 1, sizeof(int64_t));
	ev->rule_capped = calloc(rb->nrules + 1, sizeof(int64_t));
	ev->cards = calloc(rb->nscorecards + 1, sizeof(*ev->cards));
	if (!ev->rule_raw || !ev->rule_capped || !ev->cards) {
		sc_eval_free(ev);
		return NULL;
	}
	return ev;
}

void sc_eval_free(struct sc_eval *ev)
{
	if (!ev)
		return;
	free(ev->rule_raw);
	free(ev->rule_capped);
	free(ev->cards);
	free(ev->hits);
	free(ev->contribs);
	free(ev->reasons);
	free(ev);
}

static int64_t worth(const struct sc_rule_def *r, int64_t amount)
{
	if (!r->per_unit)
		return r->points;
	if (amount < 0)
		return 0;
	return (int64_t)r->points * (amount / r->unit);
}

/* Is the record suspended at `at` by a dispute left undecided past its
 * deadline? */
static bool suspended(const struct sc_eval_record *rec, sc_day at)
{
	return rec->suspended_from <= at && at < rec->suspended_until;
}

/* Window [from, *until) of a record under a rule, and its state at `at`. */
static enum sc_contrib_state rule_window(const struct sc_rule_def *r,
					 const struct sc_eval_record *rec,
					 sc_day at, sc_day *until)
{
	sc_day end = r->lapse_days == SC_NO_DAYS
			     ? SC_DAY_NONE
			     : sc_day_add(rec->date, r->lapse_days);
	bool rectified = false;

	if (rec->rectified <= at) {
		sc_day stop = sc_day_add(rec->date, r->repair_min_days);
		if (rec->rectified > stop)
			stop = rec->rectified;
		if (stop < end) {
			end = stop;
			rectified = true;
		}
	}
	*until = end;
	if (rec->revoked <= at)
		return SC_CONTRIB_REVOKED;
	if (rec->date > at)
		return SC_CONTRIB_NOT_YET;
	if (at < end)
		return suspended(rec, at) ? SC_CONTRIB_SUSPENDED : SC_CONTRIB_ACTIVE;
	return rectified ? SC_CONTRIB_RECTIFIED : SC_CONTRIB_LAPSED;
}

static bool consent_in_force(const struct sc_subject *s, int sc, sc_day at)
{
	sc_day best = SC_DAY_NONE;
	bool granted = false;

	/* the latest event on or before `at`; on a tie, the later filed */
	for (size_t i = 0; i < s->nconsents; i++) {
		const struct sc_eval_consent *c = &s->consents[i];
		if (c->scorecard != sc || c->date > at)
			continue;
		if (best == SC_DAY_NONE || c->date >= best) {
			best = c->date;
			granted = c->granted;
		}
	}
	return granted;
}

static enum sc_status add_hit(struct sc_eval *ev, const struct sc_list_def *l,
			      int li, size_t ri,
			      const struct sc_eval_record *rec, sc_day at)
{
	sc_day start = sc_day_add(rec->date, l->grace_days);
	sc_day end = l->duration_days == SC_NO_DAYS
			     ? SC_DAY_NONE
			     : sc_day_add(start, l->duration_days);

	if (rec->revoked <= at || suspended(rec, at))
		return SC_OK;
	if (rec->rectified <= at) {
		sc_day stop = sc_day_add(start, l->repair_min_days);
		if (rec->rectified > stop)
			stop = rec->rectified;
		if (stop < end)
			end = stop;
	}
	if (!(start <= at && at < end))
		return SC_OK;
	if (!sc_grow((void **)&ev->hits, &ev->cap_hits, ev->nhits + 1,
		     sizeof(*ev->hits)))
		return SC_ENOMEM;
	ev->hits[ev->nhits++] = (struct sc_list_hit){
		.list = li, .record = ri, .since = start, .until = end};
	return SC_OK;
}

static void sort_hits(struct sc_list_hit *h, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct sc_list_hit x = h[i];
		size_t j = i;
		while (j > 0 && (h[j - 1].list > x.list ||
				 (h[j - 1].list == x.list && h[j - 1].since > x.since))) {
			h[j] = h[j - 1];
			j--;
		}
		h[j] = x;
	}
}

static void score_cards(struct sc_eval *ev, const struct sc_subject *s,
			sc_day at, const int *capgrade, const long *capby)
{
	const struct sc_rulebook *rb = ev->rb;

	for (uint32_t i = 0; i < rb->nscorecards; i++) {
		const struct sc_scorecard_def *sc = &rb->scorecards[i];
		struct sc_card_result *cr = &ev->cards[i];
		int64_t total = sc->base;
		int g = 0;

		*cr = (struct sc_card_result){.grade = -1, .grade_by_score = -1,
					      .capped_by = -1};
		if (!(sc->kinds & (1u << s->kind))) {
			cr->status = SC_CARD_NOT_APPLICABLE;
			continue;
		}
		if (sc->consent_required && !consent_in_force(s, (int)i, at)) {
			cr->status = SC_CARD_NO_CONSENT;
			continue;
		}
		for (uint32_t r = sc->first_rule; r < sc->first_rule + sc->nrules; r++)
			total += ev->rule_capped[r];
		if (total < sc->min)
			total = sc->min;
		if (total > sc->max)
			total = sc->max;
		cr->status = SC_CARD_SCORED;
		cr->score = (int32_t)total;
		while ((uint32_t)g < sc->ngrades - 1 && sc->grades[g].min > total)
			g++;
		cr->grade_by_score = g;
		if (capgrade[i] > g) {
			g = capgrade[i];
			cr->capped_by = capby[i];
		}
		cr->grade = g;
	}
}

enum sc_status sc_eval_subject(struct sc_eval *ev, const struct sc_subject *s,
			       sc_day at, unsigned flags)
{
	const struct sc_rulebook *rb = ev->rb;
	int capgrade[SC_LIMIT_SCORECARDS];
	long capby[SC_LIMIT_SCORECARDS];
	enum sc_status st;

	if (s->nrecs > SC_LIMIT_SUBJECT_RECORDS)
		return SC_ELIMIT;
	ev->subject = s;
	ev->nhits = ev->ncontribs = ev->nreasons = 0;
	memset(ev->rule_raw, 0, rb->nrules * sizeof(int64_t));
	for (uint32_t i = 0; i < rb->nscorecards; i++)
		capgrade[i] = -1, capby[i] = -1;

	for (size_t ri = 0; ri < s->nrecs; ri++) {
		const struct sc_eval_record *rec = &s->recs[ri];
		const struct sc_type_def *t;

		if (rec->type < 0)
			continue;
		t = &rb->types[rec->type];
		for (uint32_t k = 0; k < t->nrules; k++) {
			const struct sc_rule_def *r = &rb->rules[t->rules[k]];
			bool applies = rb->scorecards[r->scorecard].kinds & (1u << s->kind);
			sc_day until;
			enum sc_contrib_state state = rule_window(r, rec, at, &until);
			int64_t pts = worth(r, rec->amount);

			if (!applies)
				state = SC_CONTRIB_NOT_APPLICABLE;
			if (state == SC_CONTRIB_ACTIVE) {
				ev->rule_raw[t->rules[k]] += pts;
				if (r->grade_cap > capgrade[r->scorecard]) {
					capgrade[r->scorecard] = r->grade_cap;
					capby[r->scorecard] = (long)ri;
				}
			}
			if (!(flags & SC_EVAL_EXPLAIN))
				continue;
			if (!sc_grow((void **)&ev->contribs, &ev->cap_contribs,
				     ev->ncontribs + 1, sizeof(*ev->contribs)))
				return SC_ENOMEM;
			ev->contribs[ev->ncontribs++] = (struct sc_contrib){
				.record = ri, .rule = t->rules[k], .points = pts,
				.from = rec->date, .until = until, .state = state};
		}
		for (uint32_t k = 0; k < t->nlists; k++) {
			const struct sc_list_def *l = &rb->lists[t->lists[k]];
			if (!(l->kinds & (1u << s->kind)))
				continue;
			if ((st = add_hit(ev, l, t->lists[k], ri, rec, at)))
				return st;
		}
	}
	for (uint32_t r = 0; r < rb->nrules; r++) {
		const struct sc_rule_def *rd = &rb->rules[r];
		int64_t v = ev->rule_raw[r];
		if (rd->has_cap && rd->cap < 0 && v < rd->cap)
			v = rd->cap;
		if (rd->has_cap && rd->cap > 0 && v > rd->cap)
			v = rd->cap;
		ev->rule_capped[r] = v;
	}
	score_cards(ev, s, at, capgrade, capby);
	sort_hits(ev->hits, ev->nhits);
	return SC_OK;
}

const struct sc_rulebook *sc_eval_rulebook(const struct sc_eval *ev)
{
	return ev->rb;
}

enum sc_status sc_eval_restore(struct sc_eval *ev,
			       const struct sc_card_result *cards,
			       const struct sc_list_hit *hits, size_t nhits)
{
	ev->subject = NULL;
	ev->nhits = ev->ncontribs = ev->nreasons = 0;
	memcpy(ev->cards, cards, ev->rb->nscorecards * sizeof(*ev->cards));
	for (size_t i = 0; i < nhits; i++) {
		if (!sc_grow((void **)&ev->hits, &ev->cap_hits, ev->nhits + 1,
			     sizeof(*ev->hits)))
			return SC_ENOMEM;
		ev->hits[ev->nhits++] = hits[i];
	}
	return SC_OK;
}

const struct sc_card_result *sc_eval_card(const struct sc_eval *ev, int sc)
{
	return &ev->cards[sc];
}

const struct sc_list_hit *sc_eval_lists(const struct sc_eval *ev, size_t *n)
{
	*n = ev->nhits;
	return ev->hits;
}

bool sc_eval_listed(const struct sc_eval *ev, int list)
{
	for (size_t i = 0; i < ev->nhits; i++)
		if (ev->hits[i].list == list)
			return true;
	return false;
}

const struct sc_contrib *sc_eval_contribs(const struct sc_eval *ev, size_t *n)
{
	*n = ev->ncontribs;
	return ev->contribs;
}

int64_t sc_eval_rule_total(const struct sc_eval *ev, int rule, int64_t *raw)
{
	if (raw)
		*raw = ev->rule_raw[rule];
	return ev->rule_capped[rule];
}

const char *sc_card_status_name(enum sc_card_status st)
{
	static const char *const n[] = {"scored", "no_consent", "not_applicable"};
	return (unsigned)st < 3 ? n[st] : "?";
}

const char *sc_contrib_state_name(enum sc_contrib_state st)
{
	static const char *const n[] = {"active", "not_yet", "lapsed", "rectified",
					"revoked", "not_applicable", "suspended"};
	return (unsigned)st < 7 ? n[st] : "?";
}

sc_day sc_eval_record_end(const struct sc_rulebook *rb, enum sc_kind kind,
			  const struct sc_eval_record *rec)
{
	const struct sc_type_def *t;
	sc_day end = rec->date;

	if (rec->type < 0)
		return rec->revoked < end ? rec->revoked : end;
	t = &rb->types[rec->type];
	for (uint32_t k = 0; k < t->nrules; k++) {
		const struct sc_rule_def *r = &rb->rules[t->rules[k]];
		sc_day until;
		if (!(rb->scorecards[r->scorecard].kinds & (1u << kind)))
			continue;
		/* the window as of any date after every event */
		rule_window(r, rec, SC_DAY_NONE - 1, &until);
		if (until > end)
			end = until;
	}
	for (uint32_t k = 0; k < t->nlists; k++) {
		const struct sc_list_def *l = &rb->lists[t->lists[k]];
		sc_day start = sc_day_add(rec->date, l->grace_days);
		sc_day until = l->duration_days == SC_NO_DAYS ? SC_DAY_NONE
							       : sc_day_add(start, l->duration_days);
		if (!(l->kinds & (1u << kind)))
			continue;
		if (rec->rectified != SC_DAY_NONE) {
			sc_day stop = sc_day_add(start, l->repair_min_days);
			if (rec->rectified > stop)
				stop = rec->rectified;
			if (stop < until)
				until = stop;
		}
		if (until > end)
			end = until;
	}
	if (rec->revoked < end)
		end = rec->revoked;
	return end;
}
