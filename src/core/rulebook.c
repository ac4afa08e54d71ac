/* Rulebook accessors and the dump of the compiled program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rulebook_impl.h"
#include "socred/record.h"

void sc_rulebook_free(struct sc_rulebook *rb)
{
	if (!rb)
		return;
	sc_arena_release(&rb->arena);
	free(rb);
}

const char *sc_rulebook_name(const struct sc_rulebook *rb) { return rb->name; }
const char *sc_rulebook_version(const struct sc_rulebook *rb) { return rb->version; }
unsigned sc_rulebook_id_schemes(const struct sc_rulebook *rb) { return rb->id_schemes; }
int32_t sc_rulebook_review_days(const struct sc_rulebook *rb) { return rb->review_days; }
int32_t sc_rulebook_retention_days(const struct sc_rulebook *rb) { return rb->retention_days; }

const char *sc_rulebook_text(const struct sc_rulebook *rb, size_t *len)
{
	*len = rb->text_len;
	return rb->text;
}

static int name_cmp(const char *a, const char *b, size_t blen)
{
	int r = strncmp(a, b, blen);
	return r ? r : (a[blen] ? 1 : 0);
}

int sc_rulebook_type_find(const struct sc_rulebook *rb, const char *type,
			  size_t len)
{
	size_t lo = 0, hi = rb->ntypes;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = name_cmp(rb->types[mid].name, type, len);
		if (r == 0)
			return (int)mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

size_t sc_rulebook_type_count(const struct sc_rulebook *rb) { return rb->ntypes; }
const char *sc_rulebook_type_name(const struct sc_rulebook *rb, int t) { return rb->types[t].name; }
bool sc_rulebook_type_needs_amount(const struct sc_rulebook *rb, int t) { return rb->types[t].needs_amount; }

int sc_rulebook_source_find(const struct sc_rulebook *rb, const char *name,
			    size_t len)
{
	for (uint32_t i = 0; i < rb->nsources; i++)
		if (!name_cmp(rb->sources[i].name, name, len))
			return (int)i;
	return -1;
}

size_t sc_rulebook_source_count(const struct sc_rulebook *rb) { return rb->nsources; }
const char *sc_rulebook_source_name(const struct sc_rulebook *rb, int s) { return rb->sources[s].name; }

size_t sc_rulebook_scorecard_count(const struct sc_rulebook *rb) { return rb->nscorecards; }

int sc_rulebook_scorecard_find(const struct sc_rulebook *rb, const char *name,
			       size_t len)
{
	for (uint32_t i = 0; i < rb->nscorecards; i++)
		if (!name_cmp(rb->scorecards[i].name, name, len))
			return (int)i;
	return -1;
}

const char *sc_rulebook_scorecard_name(const struct sc_rulebook *rb, int sc) { return rb->scorecards[sc].name; }

bool sc_rulebook_scorecard_applies(const struct sc_rulebook *rb, int sc,
				   enum sc_kind kind)
{
	return rb->scorecards[sc].kinds & (1u << kind);
}

size_t sc_rulebook_grade_count(const struct sc_rulebook *rb, int sc) { return rb->scorecards[sc].ngrades; }
const char *sc_rulebook_grade_name(const struct sc_rulebook *rb, int sc, int g) { return rb->scorecards[sc].grades[g].name; }

size_t sc_rulebook_rule_count(const struct sc_rulebook *rb) { return rb->nrules; }
int sc_rulebook_rule_scorecard(const struct sc_rulebook *rb, int r) { return rb->rules[r].scorecard; }
const char *sc_rulebook_rule_type(const struct sc_rulebook *rb, int r) { return rb->rules[r].type; }
const char *sc_rulebook_rule_basis(const struct sc_rulebook *rb, int r) { return rb->rules[r].basis; }

bool sc_rulebook_rule_cap(const struct sc_rulebook *rb, int r, int32_t *cap)
{
	*cap = rb->rules[r].cap;
	return rb->rules[r].has_cap;
}

size_t sc_rulebook_list_count(const struct sc_rulebook *rb) { return rb->nlists; }

int sc_rulebook_list_find(const struct sc_rulebook *rb, const char *name,
			  size_t len)
{
	for (uint32_t i = 0; i < rb->nlists; i++)
		if (!name_cmp(rb->lists[i].name, name, len))
			return (int)i;
	return -1;
}

const char *sc_rulebook_list_name(const struct sc_rulebook *rb, int l) { return rb->lists[l].name; }
enum sc_list_kind sc_rulebook_list_kind(const struct sc_rulebook *rb, int l) { return rb->lists[l].kind; }
bool sc_rulebook_list_public(const struct sc_rulebook *rb, int l) { return rb->lists[l].public_; }
const char *sc_rulebook_list_basis(const struct sc_rulebook *rb, int l) { return rb->lists[l].basis; }

bool sc_rulebook_list_entered_by(const struct sc_rulebook *rb, int list, int type)
{
	const struct sc_type_def *t = &rb->types[type];

	for (uint32_t i = 0; i < t->nlists; i++)
		if (t->lists[i] == list)
			return true;
	return false;
}

size_t sc_rulebook_measure_count(const struct sc_rulebook *rb) { return rb->nmeasures; }
const char *sc_rulebook_measure_action(const struct sc_rulebook *rb, int m) { return rb->measures[m].action; }
const char *sc_rulebook_measure_basis(const struct sc_rulebook *rb, int m) { return rb->measures[m].basis; }
const char *sc_rulebook_measure_issuer(const struct sc_rulebook *rb, int m) { return rb->measures[m].issued_by; }
size_t sc_rulebook_action_count(const struct sc_rulebook *rb) { return rb->nactions; }
const char *sc_rulebook_action_name(const struct sc_rulebook *rb, int a) { return rb->actions[a].name; }

bool sc_rulebook_action_is_benefit(const struct sc_rulebook *rb, int a)
{
	return rb->actions[a].has_grant;
}

const char *sc_rulebook_action_standard_terms(const struct sc_rulebook *rb, int a)
{
	return rb->actions[a].has_grant ? rb->actions[a].standard_terms : NULL;
}

int sc_rulebook_action_find(const struct sc_rulebook *rb, const char *name,
			    size_t len)
{
	for (uint32_t i = 0; i < rb->nactions; i++)
		if (!name_cmp(rb->actions[i].name, name, len))
			return (int)i;
	return -1;
}

/* ---- read-only views ---- */

static int32_t opt_days(int32_t d)
{
	return d == SC_NO_DAYS ? -1 : d;
}

void sc_rulebook_rule_info(const struct sc_rulebook *rb, int rule,
			   struct sc_rule_info *o)
{
	const struct sc_rule_def *r = &rb->rules[rule];

	*o = (struct sc_rule_info){
		.type = r->type, .basis = r->basis, .scorecard = r->scorecard,
		.per_unit = r->per_unit, .points = r->points, .unit = r->unit,
		.lapse_days = opt_days(r->lapse_days),
		.repair_min_days = r->repair_min_days, .has_cap = r->has_cap,
		.cap = r->cap, .grade_cap = r->grade_cap};
}

void sc_rulebook_scorecard_info(const struct sc_rulebook *rb, int sc,
				struct sc_scorecard_info *o)
{
	const struct sc_scorecard_def *s = &rb->scorecards[sc];

	*o = (struct sc_scorecard_info){
		.name = s->name, .persons = s->kinds & SC_KINDS_PERSON,
		.orgs = s->kinds & SC_KINDS_ORG,
		.consent_required = s->consent_required, .base = s->base,
		.min = s->min, .max = s->max, .ngrades = s->ngrades,
		.first_rule = s->first_rule, .nrules = s->nrules};
}

int32_t sc_rulebook_grade_min(const struct sc_rulebook *rb, int sc, int grade)
{
	return rb->scorecards[sc].grades[grade].min;
}

void sc_rulebook_list_info(const struct sc_rulebook *rb, int list,
			   struct sc_list_info *o)
{
	const struct sc_list_def *l = &rb->lists[list];

	*o = (struct sc_list_info){
		.name = l->name, .label = l->label, .basis = l->basis,
		.kind = l->kind, .persons = l->kinds & SC_KINDS_PERSON,
		.orgs = l->kinds & SC_KINDS_ORG, .public_ = l->public_,
		.disclose_full = l->disclose_full,
		.grace_days = l->grace_days,
		.duration_days = opt_days(l->duration_days),
		.repair_min_days = l->repair_min_days, .nentered = l->nentered};
}

const char *sc_rulebook_list_type(const struct sc_rulebook *rb, int list, size_t i)
{
	return rb->lists[list].entered_by[i];
}

void sc_rulebook_measure_info(const struct sc_rulebook *rb, int m,
			      struct sc_measure_info *o)
{
	const struct sc_measure_def *d = &rb->measures[m];

	*o = (struct sc_measure_info){
		.action = d->action, .label = d->label, .issued_by = d->issued_by,
		.basis = d->basis, .standard_terms = d->standard_terms,
		.deny = d->how == SC_MEASURE_DENY_LISTED,
		.scorecard = d->how == SC_MEASURE_GRANT_GRADE ? d->scorecard : -1,
		.grade = d->how == SC_MEASURE_GRANT_GRADE ? d->grade : -1,
		.nlists = d->nlists};
}

int sc_rulebook_measure_list(const struct sc_rulebook *rb, int m, size_t i)
{
	return rb->measures[m].lists[i];
}

const char *sc_rulebook_source_label(const struct sc_rulebook *rb, int s) { return rb->sources[s].label; }
size_t sc_rulebook_source_pattern_count(const struct sc_rulebook *rb, int s) { return rb->sources[s].npatterns; }
const char *sc_rulebook_source_pattern(const struct sc_rulebook *rb, int s, size_t i) { return rb->sources[s].patterns[i]; }

/* ---- dump ---- */

static void kinds_str(unsigned kinds, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s", kinds & SC_KINDS_PERSON ? "person" : "",
		 (kinds & SC_KINDS_PERSON) && (kinds & SC_KINDS_ORG) ? "," : "",
		 kinds & SC_KINDS_ORG ? "org" : "");
}

static void days_str(int32_t d, char *buf, size_t n)
{
	if (d == SC_NO_DAYS)
		snprintf(buf, n, "never");
	else
		snprintf(buf, n, "%dd", d);
}

static void dump_rule(FILE *f, const struct sc_rulebook *rb, uint32_t i)
{
	const struct sc_rule_def *r = &rb->rules[i];
	const struct sc_scorecard_def *s = &rb->scorecards[r->scorecard];
	char lapse[16], unit[32];

	days_str(r->lapse_days, lapse, sizeof(lapse));
	fprintf(f, "    r%-3u %-28s ", i, r->type);
	if (r->per_unit) {
		sc_amount_format(r->unit, unit, sizeof(unit));
		fprintf(f, "%+d per %s", r->points, unit);
	} else {
		fprintf(f, "%+d", r->points);
	}
	fprintf(f, "  lapse %s", lapse);
	if (r->has_cap)
		fprintf(f, "  %s %+d", r->cap < 0 ? "floor" : "ceiling", r->cap);
	if (r->repair_min_days)
		fprintf(f, "  repair_min %dd", r->repair_min_days);
	if (r->grade_cap >= 0)
		fprintf(f, "  grade_cap %s", s->grades[r->grade_cap].name);
	fprintf(f, "\n         basis: %s\n", r->basis);
}

char *sc_rulebook_dump(const struct sc_rulebook *rb)
{
	char *buf = NULL, k[32], a[16];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f, "rulebook %s version %s\nid_schemes:%s%s%s\nreview_days %d  retention_days %d\n",
		rb->name, rb->version, rb->id_schemes & SC_SCHEME_CN_RIC ? " cn_ric" : "",
		rb->id_schemes & SC_SCHEME_CN_USCC ? " cn_uscc" : "",
		rb->id_schemes & SC_SCHEME_ANY ? " any" : "", rb->review_days,
		rb->retention_days);
	fprintf(f, "\nsources (%u):\n", rb->nsources);
	for (uint32_t i = 0; i < rb->nsources; i++) {
		fprintf(f, "  s%-3u %-10s may file:", i, rb->sources[i].name);
		for (uint32_t j = 0; j < rb->sources[i].npatterns; j++)
			fprintf(f, " %s", rb->sources[i].patterns[j]);
		fprintf(f, "\n");
	}
	fprintf(f, "\nscorecards (%u):\n", rb->nscorecards);
	for (uint32_t i = 0; i < rb->nscorecards; i++) {
		const struct sc_scorecard_def *s = &rb->scorecards[i];
		kinds_str(s->kinds, k, sizeof(k));
		fprintf(f, "  c%-3u %s  applies to %s  consent %s  base %d  clamp [%d, %d]\n",
			i, s->name, k, s->consent_required ? "required" : "not required",
			s->base, s->min, s->max);
		fprintf(f, "    grades:");
		for (uint32_t g = 0; g < s->ngrades; g++)
			fprintf(f, " %s>=%d", s->grades[g].name, s->grades[g].min);
		fprintf(f, "\n");
		for (uint32_t r = s->first_rule; r < s->first_rule + s->nrules; r++)
			dump_rule(f, rb, r);
	}
	fprintf(f, "\nlists (%u):\n", rb->nlists);
	for (uint32_t i = 0; i < rb->nlists; i++) {
		const struct sc_list_def *l = &rb->lists[i];
		kinds_str(l->kinds, k, sizeof(k));
		days_str(l->duration_days, a, sizeof(a));
		fprintf(f, "  l%-3u %s  %s  applies to %s  grace %dd  duration %s  repair_min %dd  %s\n    entered by:",
			i, l->name, l->kind == SC_LIST_BLACK ? "black" : "red", k,
			l->grace_days, a, l->repair_min_days,
			l->public_ ? (l->disclose_full ? "public, disclosed in full" : "public, masked") : "not public");
		for (uint32_t j = 0; j < l->nentered; j++)
			fprintf(f, " %s", l->entered_by[j]);
		fprintf(f, "\n    basis: %s\n", l->basis);
	}
	fprintf(f, "\nmeasures (%u) by action (%u):\n", rb->nmeasures, rb->nactions);
	for (uint32_t i = 0; i < rb->nactions; i++) {
		const struct sc_action_def *ac = &rb->actions[i];
		fprintf(f, "  %s (%s)\n", ac->name, ac->has_grant ? "benefit" : "restriction");
		if (ac->has_grant)
			fprintf(f, "    without it: %s\n", ac->standard_terms);
		for (uint32_t j = 0; j < ac->nmeasures; j++) {
			const struct sc_measure_def *m = &rb->measures[ac->measures[j]];
			fprintf(f, "    m%-3d ", ac->measures[j]);
			if (m->how == SC_MEASURE_GRANT_GRADE) {
				fprintf(f, "grant if %s grade >= %s",
					rb->scorecards[m->scorecard].name,
					rb->scorecards[m->scorecard].grades[m->grade].name);
			} else {
				fprintf(f, "%s if listed on",
					m->how == SC_MEASURE_DENY_LISTED ? "deny" : "grant");
				for (uint32_t l = 0; l < m->nlists; l++)
					fprintf(f, " %s", rb->lists[m->lists[l]].name);
			}
			fprintf(f, "\n         issued by: %s\n         basis: %s\n",
				m->issued_by, m->basis);
		}
	}
	fprintf(f, "\ndispatch: record type -> rules, lists (%u types):\n", rb->ntypes);
	for (uint32_t i = 0; i < rb->ntypes; i++) {
		const struct sc_type_def *t = &rb->types[i];
		fprintf(f, "  t%-3u %-28s", i, t->name);
		for (uint32_t j = 0; j < t->nrules; j++)
			fprintf(f, " r%d", t->rules[j]);
		for (uint32_t j = 0; j < t->nlists; j++)
			fprintf(f, " l%d", t->lists[j]);
		if (t->needs_amount)
			fprintf(f, "  (needs amount)");
		fprintf(f, "\n");
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
