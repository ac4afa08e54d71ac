/* Point-of-service decisions: may this subject do this action? Sanctions
 * come only from list entries; grades can only grant incentives, and a
 * benefit not granted is its standard terms, never a denial. */
#include "eval_impl.h"

static bool push(struct sc_eval *ev, struct sc_reason r)
{
	if (!sc_grow((void **)&ev->reasons, &ev->cap_reasons, ev->nreasons + 1,
		     sizeof(*ev->reasons)))
		return false;
	ev->reasons[ev->nreasons++] = r;
	return true;
}

/* Appends a LISTED reason per hit on the measure's lists; returns how many,
 * or -1 when out of memory. */
static long listed(struct sc_eval *ev, int mi)
{
	const struct sc_measure_def *m = &ev->rb->measures[mi];
	long found = 0;

	for (uint32_t l = 0; l < m->nlists; l++) {
		for (size_t h = 0; h < ev->nhits; h++) {
			const struct sc_list_hit *hit = &ev->hits[h];
			if (hit->list != m->lists[l])
				continue;
			if (!push(ev, (struct sc_reason){
					      .kind = SC_REASON_LISTED, .measure = mi,
					      .list = hit->list, .record = (long)hit->record,
					      .since = hit->since, .until = hit->until,
					      .scorecard = -1, .grade = -1, .need = -1}))
				return -1;
			found++;
		}
	}
	return found;
}

/* One incentive measure: a granted reason, or the missing one. */
static int incentive(struct sc_eval *ev, int mi)
{
	const struct sc_measure_def *m = &ev->rb->measures[mi];
	struct sc_reason r = {.measure = mi, .list = -1, .record = -1,
			      .since = SC_DAY_NONE, .until = SC_DAY_NONE,
			      .scorecard = m->scorecard, .grade = -1,
			      .need = m->grade};

	if (m->how == SC_MEASURE_GRANT_LISTED) {
		long n = listed(ev, mi);
		if (n != 0)
			return n < 0 ? -1 : 1;
		r.kind = SC_REASON_NOT_LISTED;
		r.list = m->lists[0];
	} else {
		const struct sc_card_result *c = &ev->cards[m->scorecard];
		r.grade = c->grade;
		if (c->status == SC_CARD_NOT_APPLICABLE)
			r.kind = SC_REASON_NOT_APPLICABLE;
		else if (c->status == SC_CARD_NO_CONSENT)
			r.kind = SC_REASON_NO_CONSENT;
		else if (c->grade <= m->grade)
			r.kind = SC_REASON_GRADE;
		else
			r.kind = SC_REASON_GRADE_BELOW;
		if (!push(ev, r))
			return -1;
		return r.kind == SC_REASON_GRADE;
	}
	return push(ev, r) ? 0 : -1;
}

enum sc_status sc_eval_check(struct sc_eval *ev, int action,
			     enum sc_decision *decision,
			     const struct sc_reason **reasons, size_t *n)
{
	const struct sc_action_def *a;
	bool any = false;

	if (action < 0 || (uint32_t)action >= ev->rb->nactions)
		return SC_EINVAL;
	a = &ev->rb->actions[action];
	ev->nreasons = 0;
	for (uint32_t i = 0; i < a->nmeasures; i++) {
		int mi = a->measures[i];
		long k;
		if (ev->rb->measures[mi].how != SC_MEASURE_DENY_LISTED)
			continue;
		if ((k = listed(ev, mi)) < 0)
			return SC_ENOMEM;
		any |= k > 0;
	}
	if (any) {
		*decision = SC_DECISION_DENY;
	} else if (a->has_grant) {
		size_t w = 0;
		for (uint32_t i = 0; i < a->nmeasures; i++) {
			int mi = a->measures[i], g;
			size_t before = ev->nreasons;
			if (ev->rb->measures[mi].how == SC_MEASURE_DENY_LISTED)
				continue;
			if ((g = incentive(ev, mi)) < 0)
				return SC_ENOMEM;
			if (g && !any) {
				/* first grant: drop the missing reasons so far */
				w = 0;
				for (size_t j = before; j < ev->nreasons; j++)
					ev->reasons[w++] = ev->reasons[j];
				ev->nreasons = w;
				any = true;
			} else if (!g && any) {
				ev->nreasons = before; /* keep only grants */
			}
		}
		*decision = any ? SC_DECISION_GRANT : SC_DECISION_STANDARD;
	} else {
		*decision = SC_DECISION_ALLOW;
	}
	*reasons = ev->reasons;
	*n = ev->nreasons;
	return SC_OK;
}

const char *sc_decision_name(enum sc_decision d)
{
	static const char *const n[] = {"allow", "deny", "grant", "standard"};
	return (unsigned)d < 4 ? n[d] : "?";
}

const char *sc_reason_kind_name(enum sc_reason_kind k)
{
	static const char *const n[] = {"listed", "grade", "not_listed", "grade_below",
					"no_consent", "not_applicable"};
	return (unsigned)k < 6 ? n[k] : "?";
}
