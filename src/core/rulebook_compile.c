/* The rulebook compiler: YAML (libyaml's document API) to the immutable
 * program of rulebook_impl.h. Every error names the line, column and key. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "rulebook_impl.h"
#include "socred/limits.h"
#include "socred/record.h"

struct cc {
	const char *src;
	yaml_document_t doc;
	struct sc_rulebook *rb;
	struct sc_diag *d;
	size_t visits;
	unsigned flags;         /* SC_RULEBOOK_STORED: a published version */
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static enum sc_status err(struct cc *c, const yaml_node_t *n,
			  enum sc_status st, const char *field,
			  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static enum sc_status err(struct cc *c, const yaml_node_t *n,
			  enum sc_status st, const char *field,
			  const char *fmt, ...)
{
	char msg[SC_DIAG_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sc_diag_set(c->d, st, c->src, n ? n->start_mark.line + 1 : 0,
			   n ? n->start_mark.column + 1 : 0, field, "%s", msg);
}

/* Key paths for diagnostics ("lists[2].basis"); long ones are cut. */
static void path_fmt(char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void path_fmt(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, n, fmt, ap);
	va_end(ap);
}
#define PATH(buf, ...) path_fmt(buf, sizeof(buf), __VA_ARGS__)

static yaml_node_t *node(struct cc *c, int idx)
{
	c->visits++;
	return yaml_document_get_node(&c->doc, idx);
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* Collects the values of a mapping's keys into vals[] (NULL: absent).
 * Unknown and repeated keys are errors; some keys are refusals. */
static enum sc_status fields(struct cc *c, yaml_node_t *map, const char *what,
			     const char *path, const char *const *keys,
			     size_t nkeys, yaml_node_t **vals)
{
	static const char *const other_subjects[] = {
		"relatives", "family", "associates", "related", "network",
		"friends", "subject", "of"};
	char known[512];
	size_t kn = 0;

	if (c->visits > SC_LIMIT_RULEBOOK_NODES)
		return err(c, map, SC_ELIMIT, path,
			   "rulebook has more than %d nodes",
			   SC_LIMIT_RULEBOOK_NODES);
	if (map->type != YAML_MAPPING_NODE)
		return err(c, map, SC_ESYNTAX, path, "%s must be a mapping", what);
	for (size_t i = 0; i < nkeys; i++)
		vals[i] = NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key);
		char field[SC_DIAG_FIELD_MAX];
		size_t i;

		if (!k || k->type != YAML_SCALAR_NODE)
			return err(c, k, SC_ESYNTAX, path,
				   "%s keys must be plain names", what);
		path_fmt(field, sizeof(field), "%s%s%s", path, *path ? "." : "",
			 scalar(k));
		for (i = 0; i < nkeys; i++)
			if (!strcmp(keys[i], scalar(k)))
				break;
		if (i < nkeys) {
			if (vals[i])
				return err(c, k, SC_ESYNTAX, field,
					   "key '%s' is repeated", keys[i]);
			vals[i] = node(c, p->value);
			continue;
		}
		if (!strcmp(what, "measure") && !strncmp(scalar(k), "deny_if_", 8))
			return err(c, k, SC_EREFUSED, field,
				   "a measure cannot deny on '%s': sanctions follow list entries created by an authority's finding, never a score or grade (use deny_if_listed)",
				   scalar(k));
		for (size_t j = 0; j < COUNT(other_subjects); j++)
			if (!strcmp(what, "rule") && !strcmp(scalar(k), other_subjects[j]))
				return err(c, k, SC_EREFUSED, field,
					   "a rule reads only its own subject's records: '%s' is refused",
					   scalar(k));
		for (size_t j = 0; j < nkeys && kn < sizeof(known) - 1; j++)
			kn += (size_t)snprintf(known + kn, sizeof(known) - kn,
					       "%s%s", j ? ", " : "", keys[j]);
		return err(c, k, SC_ESYNTAX, field,
			   "unknown key '%s' in %s (known: %s)", scalar(k), what,
			   known);
	}
	return SC_OK;
}

static enum sc_status str(struct cc *c, yaml_node_t *n, const char *field,
			  size_t max, const char **out)
{
	size_t len;
	struct sc_diag td;

	if (n->type != YAML_SCALAR_NODE)
		return err(c, n, SC_ESYNTAX, field, "must be a string");
	len = n->data.scalar.length;
	if (len == 0)
		return err(c, n, SC_ESYNTAX, field, "must not be empty");
	sc_diag_clear(&td);
	if (sc_text_check(scalar(n), len, max, &td) != SC_OK)
		return err(c, n, len > max ? SC_ELIMIT : SC_ESYNTAX, field, "%s",
			   td.message);
	*out = sc_arena_strndup(&c->rb->arena, scalar(n), len);
	return *out ? SC_OK : SC_ENOMEM;
}

/* A name: [a-z0-9_]+, at most SC_LIMIT_NAME. */
static enum sc_status name(struct cc *c, yaml_node_t *n, const char *field,
			   const char **out)
{
	enum sc_status st = str(c, n, field, SC_LIMIT_NAME, out);

	if (st)
		return st;
	for (const char *p = *out; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			return err(c, n, SC_ESYNTAX, field,
				   "name '%s' has a character outside [a-z0-9_]",
				   *out);
	return SC_OK;
}

static enum sc_status integer(struct cc *c, yaml_node_t *n, const char *field,
			      long lo, long hi, int32_t *out)
{
	char *end;
	long v;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.length == 0)
		return err(c, n, SC_ESYNTAX, field, "must be an integer");
	errno = 0;
	v = strtol(scalar(n), &end, 10);
	if (*end || errno)
		return err(c, n, SC_ESYNTAX, field, "'%.40s' is not an integer",
			   scalar(n));
	if (v < lo || v > hi)
		return err(c, n, SC_ESYNTAX, field,
			   "%ld is out of range [%ld, %ld]", v, lo, hi);
	*out = (int32_t)v;
	return SC_OK;
}

static enum sc_status days(struct cc *c, yaml_node_t *n, const char *field,
			   long lo, int32_t *out)
{
	return integer(c, n, field, lo, SC_LIMIT_DAYS, out);
}

static enum sc_status boolean(struct cc *c, yaml_node_t *n, const char *field,
			      bool *out)
{
	if (n->type == YAML_SCALAR_NODE && !strcmp(scalar(n), "true"))
		*out = true;
	else if (n->type == YAML_SCALAR_NODE && !strcmp(scalar(n), "false"))
		*out = false;
	else
		return err(c, n, SC_ESYNTAX, field, "must be true or false");
	return SC_OK;
}

/* A sequence node; *n items. */
static enum sc_status seq(struct cc *c, yaml_node_t *n, const char *field,
			  size_t max, bool nonempty, size_t *count)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return err(c, n, SC_ESYNTAX, field, "must be a list");
	*count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (nonempty && *count == 0)
		return err(c, n, SC_ESYNTAX, field, "must not be empty");
	if (*count > max)
		return err(c, n, SC_ELIMIT, field, "has %zu entries: at most %zu",
			   *count, max);
	return SC_OK;
}

static yaml_node_t *item(struct cc *c, yaml_node_t *n, size_t i)
{
	return node(c, n->data.sequence.items.start[i]);
}

static enum sc_status kinds(struct cc *c, yaml_node_t *n, const char *field,
			    unsigned *out)
{
	size_t cnt = 0;
	enum sc_status st = seq(c, n, field, 2, true, &cnt);

	*out = 0;
	for (size_t i = 0; !st && i < cnt; i++) {
		yaml_node_t *it = item(c, n, i);
		enum sc_kind k = it->type == YAML_SCALAR_NODE
					 ? sc_kind_parse(scalar(it), it->data.scalar.length)
					 : SC_KIND_NONE;
		if (k == SC_KIND_NONE)
			return err(c, it, SC_ESYNTAX, field,
				   "expected person or org");
		*out |= 1u << k;
	}
	return st;
}

static enum sc_status type_name(struct cc *c, yaml_node_t *n,
				const char *field, bool pattern,
				const char **out)
{
	struct sc_diag td;
	enum sc_status st;
	size_t len;

	if (n->type != YAML_SCALAR_NODE)
		return err(c, n, SC_ESYNTAX, field, "must be a record type");
	len = n->data.scalar.length;
	sc_diag_clear(&td);
	if (pattern && len > 2 && !strcmp(scalar(n) + len - 2, ".*")) {
		/* "cat.*": check the category with a stand-in name (a pattern
		 * over the limit is reported as it is: found by fuzzing, the
		 * probe once read past its buffer) */
		char probe[SC_LIMIT_TYPE];
		if (len > SC_LIMIT_TYPE) {
			st = sc_type_check(scalar(n), len, &td);
		} else {
			memcpy(probe, scalar(n), len - 1);
			probe[len - 1] = 'x';
			st = sc_type_check(probe, len, &td);
		}
	} else {
		st = sc_type_check(scalar(n), len, &td);
	}
	if (st)
		return err(c, n, st, field, "%s", td.message);
	*out = sc_arena_strndup(&c->rb->arena, scalar(n), len);
	return *out ? SC_OK : SC_ENOMEM;
}


/* Does a record of type t (checked) raise (gain) or lower a subject's
 * standing as its category allows? n is where the effect is written. A
 * version already published keeps loading, so its ledger opens and its
 * history can be evaluated; a new version must comply. */
static enum sc_status effect(struct cc *c, yaml_node_t *n, const char *field,
			     const char *t, bool gain)
{
	struct sc_diag td;
	enum sc_status st;

	if (c->flags & SC_RULEBOOK_STORED)
		return SC_OK;
	sc_diag_clear(&td);
	if ((st = sc_type_check_effect(t, gain, &td)))
		return err(c, n, st, field, "%s", td.message);
	return SC_OK;
}

/* ---- sources ---- */

static enum sc_status compile_sources(struct cc *c, yaml_node_t *n)
{
	static const char *const keys[] = {"name", "label", "may_file"};
	struct sc_rulebook *rb = c->rb;
	size_t cnt = 0;
	enum sc_status st = seq(c, n, "sources", SC_LIMIT_SOURCES, true, &cnt);

	if (st)
		return st;
	rb->sources = sc_arena_calloc(&rb->arena, cnt, sizeof(*rb->sources));
	if (!rb->sources)
		return SC_ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		struct sc_source_def *s = &rb->sources[i];
		yaml_node_t *v[COUNT(keys)], *it = item(c, n, i);
		char p[SC_DIAG_FIELD_MAX], f[SC_DIAG_FIELD_MAX];
		size_t np = 0;

		PATH(p, "sources[%zu]", i);
		if ((st = fields(c, it, "source", p, keys, COUNT(keys), v)))
			return st;
		if (!v[0] || !v[2])
			return err(c, it, SC_ESYNTAX, p,
				   "a source needs a name and may_file");
		PATH(f, "%s.name", p);
		if ((st = name(c, v[0], f, &s->name)))
			return st;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(rb->sources[j].name, s->name))
				return err(c, v[0], SC_ESYNTAX, f,
					   "source '%s' is defined twice", s->name);
		PATH(f, "%s.label", p);
		if (v[1] && (st = str(c, v[1], f, SC_LIMIT_TEXT, &s->label)))
			return st;
		PATH(f, "%s.may_file", p);
		if ((st = seq(c, v[2], f, SC_LIMIT_PATTERNS, true, &np)))
			return st;
		s->patterns = sc_arena_calloc(&rb->arena, np, sizeof(char *));
		if (!s->patterns)
			return SC_ENOMEM;
		for (size_t j = 0; j < np; j++)
			if ((st = type_name(c, item(c, v[2], j), f, true,
					    &s->patterns[j])))
				return st;
		s->npatterns = (uint32_t)np;
		rb->nsources++;
	}
	return SC_OK;
}

/* ---- scorecards ---- */

static enum sc_status compile_grades(struct cc *c, yaml_node_t *n,
				     const char *p, struct sc_scorecard_def *s)
{
	static const char *const keys[] = {"grade", "min"};
	char f[SC_DIAG_FIELD_MAX];
	size_t cnt = 0;
	enum sc_status st;

	PATH(f, "%s.grades", p);
	if ((st = seq(c, n, f, SC_LIMIT_GRADES, true, &cnt)))
		return st;
	s->grades = sc_arena_calloc(&c->rb->arena, cnt, sizeof(*s->grades));
	if (!s->grades)
		return SC_ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		struct sc_grade_def *g = &s->grades[i];
		yaml_node_t *v[2], *it = item(c, n, i);
		char gp[SC_DIAG_FIELD_MAX];

		PATH(gp, "%s.grades[%zu]", p, i);
		if ((st = fields(c, it, "grade", gp, keys, 2, v)))
			return st;
		if (!v[0] || !v[1])
			return err(c, it, SC_ESYNTAX, gp, "a grade needs grade and min");
		PATH(f, "%s.grade", gp);
		if ((st = str(c, v[0], f, 16, &g->name)))
			return st;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(s->grades[j].name, g->name))
				return err(c, v[0], SC_ESYNTAX, f,
					   "grade '%s' is defined twice", g->name);
		PATH(f, "%s.min", gp);
		if ((st = integer(c, v[1], f, -SC_LIMIT_POINTS, SC_LIMIT_POINTS,
				  &g->min)))
			return st;
		if (i && g->min >= s->grades[i - 1].min)
			return err(c, v[1], SC_ESYNTAX, f,
				   "grades must be listed highest first: %d is not below %d",
				   g->min, s->grades[i - 1].min);
	}
	s->ngrades = (uint32_t)cnt;
	if (s->grades[cnt - 1].min > s->min)
		return err(c, n, SC_ESYNTAX, f,
			   "the lowest grade's min (%d) must be <= the scorecard's min (%d) so that every score has a grade",
			   s->grades[cnt - 1].min, s->min);
	return SC_OK;
}

static int grade_find(const struct sc_scorecard_def *s, const char *g)
{
	for (uint32_t i = 0; i < s->ngrades; i++)
		if (!strcmp(s->grades[i].name, g))
			return (int)i;
	return -1;
}

static enum sc_status compile_rule(struct cc *c, yaml_node_t *it,
				   const char *p, int sci,
				   struct sc_scorecard_def *s,
				   struct sc_rule_def *r)
{
	static const char *const keys[] = {
		"type", "points", "points_per_unit", "unit", "lapse_days", "cap",
		"repair_min_days", "grade_cap", "basis"};
	yaml_node_t *v[COUNT(keys)];
	char f[SC_DIAG_FIELD_MAX];
	enum sc_status st;

	if ((st = fields(c, it, "rule", p, keys, COUNT(keys), v)))
		return st;
	r->scorecard = sci;
	r->line = it->start_mark.line + 1;
	r->lapse_days = SC_NO_DAYS;
	r->grade_cap = -1;
	PATH(f, "%s.type", p);
	if (!v[0])
		return err(c, it, SC_ESYNTAX, f, "a rule needs a type");
	if ((st = type_name(c, v[0], f, false, &r->type)))
		return st;
	PATH(f, "%s.points", p);
	if (!!v[1] == !!v[2])
		return err(c, it, SC_ESYNTAX, f,
			   "a rule needs exactly one of points and points_per_unit");
	if (v[1] && v[3])
		return err(c, v[3], SC_ESYNTAX, f,
			   "unit goes with points_per_unit, not points");
	if (v[1] && (st = integer(c, v[1], f, -SC_LIMIT_POINTS,
				  SC_LIMIT_POINTS, &r->points)))
		return st;
	if (v[2]) {
		struct sc_diag td;
		PATH(f, "%s.points_per_unit", p);
		if ((st = integer(c, v[2], f, -SC_LIMIT_POINTS, SC_LIMIT_POINTS,
				  &r->points)))
			return st;
		r->per_unit = true;
		PATH(f, "%s.unit", p);
		if (!v[3])
			return err(c, it, SC_ESYNTAX, f,
				   "points_per_unit needs a unit");
		sc_diag_clear(&td);
		if (v[3]->type != YAML_SCALAR_NODE ||
		    sc_amount_parse(scalar(v[3]), v[3]->data.scalar.length,
				    &r->unit, &td) != SC_OK ||
		    r->unit == 0)
			return err(c, v[3], SC_ESYNTAX, f,
				   "unit must be a decimal number > 0");
	}
	if (r->per_unit)
		PATH(f, "%s.points_per_unit", p);
	else
		PATH(f, "%s.points", p);
	if (r->points && (st = effect(c, v[1] ? v[1] : v[2], f, r->type,
				      r->points > 0)))
		return st;
	PATH(f, "%s.lapse_days", p);
	if (v[4] && (st = days(c, v[4], f, 1, &r->lapse_days)))
		return st;
	PATH(f, "%s.cap", p);
	if (v[5]) {
		if ((st = integer(c, v[5], f, -SC_LIMIT_POINTS, SC_LIMIT_POINTS,
				  &r->cap)))
			return st;
		if (r->cap == 0)
			return err(c, v[5], SC_ESYNTAX, f,
				   "cap must not be 0 (negative: a floor, positive: a ceiling)");
		r->has_cap = true;
	}
	PATH(f, "%s.repair_min_days", p);
	if (v[6] && (st = days(c, v[6], f, 0, &r->repair_min_days)))
		return st;
	PATH(f, "%s.grade_cap", p);
	if (v[7]) {
		if (v[7]->type != YAML_SCALAR_NODE ||
		    (r->grade_cap = grade_find(s, scalar(v[7]))) < 0)
			return err(c, v[7], SC_ESYNTAX, f,
				   "grade_cap must name a grade of scorecard '%s'",
				   s->name);
	}
	PATH(f, "%s.basis", p);
	if (!v[8])
		return err(c, it, SC_ESYNTAX, f,
			   "every rule must cite its basis");
	return str(c, v[8], f, SC_LIMIT_TEXT, &r->basis);
}

static enum sc_status compile_scorecards(struct cc *c, yaml_node_t *n)
{
	static const char *const keys[] = {"name", "applies_to", "consent",
					   "base", "min", "max", "grades",
					   "rules"};
	struct sc_rulebook *rb = c->rb;
	size_t cnt = 0, total = 0;
	enum sc_status st = seq(c, n, "scorecards", SC_LIMIT_SCORECARDS, false, &cnt);

	if (st)
		return st;
	/* rules of all scorecards in one array: count them first */
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *it = item(c, n, i);
		if (it->type != YAML_MAPPING_NODE)
			continue;
		for (yaml_node_pair_t *p = it->data.mapping.pairs.start;
		     p < it->data.mapping.pairs.top; p++) {
			yaml_node_t *k = node(c, p->key), *val = node(c, p->value);
			if (k->type == YAML_SCALAR_NODE && !strcmp(scalar(k), "rules") &&
			    val->type == YAML_SEQUENCE_NODE)
				total += (size_t)(val->data.sequence.items.top -
						  val->data.sequence.items.start);
		}
	}
	if (total > SC_LIMIT_RULES)
		return err(c, n, SC_ELIMIT, "scorecards",
			   "%zu rules: at most %d", total, SC_LIMIT_RULES);
	rb->scorecards = sc_arena_calloc(&rb->arena, cnt ? cnt : 1, sizeof(*rb->scorecards));
	rb->rules = sc_arena_calloc(&rb->arena, total ? total : 1, sizeof(*rb->rules));
	if (!rb->scorecards || !rb->rules)
		return SC_ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		struct sc_scorecard_def *s = &rb->scorecards[i];
		yaml_node_t *v[COUNT(keys)], *it = item(c, n, i);
		char p[SC_DIAG_FIELD_MAX], f[SC_DIAG_FIELD_MAX];
		size_t nr = 0;

		PATH(p, "scorecards[%zu]", i);
		if ((st = fields(c, it, "scorecard", p, keys, COUNT(keys), v)))
			return st;
		for (size_t k = 0; k < COUNT(keys); k++)
			if (!v[k])
				return err(c, it, SC_ESYNTAX, p,
					   "a scorecard needs %s", keys[k]);
		PATH(f, "%s.name", p);
		if ((st = name(c, v[0], f, &s->name)))
			return st;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(rb->scorecards[j].name, s->name))
				return err(c, v[0], SC_ESYNTAX, f,
					   "scorecard '%s' is defined twice", s->name);
		PATH(f, "%s.applies_to", p);
		if ((st = kinds(c, v[1], f, &s->kinds)))
			return st;
		PATH(f, "%s.consent", p);
		if (v[2]->type == YAML_SCALAR_NODE && !strcmp(scalar(v[2]), "required"))
			s->consent_required = true;
		else if (!(v[2]->type == YAML_SCALAR_NODE &&
			   !strcmp(scalar(v[2]), "not_required")))
			return err(c, v[2], SC_ESYNTAX, f,
				   "expected required or not_required");
		PATH(f, "%s.base", p);
		if ((st = integer(c, v[3], f, -SC_LIMIT_POINTS, SC_LIMIT_POINTS, &s->base)))
			return st;
		PATH(f, "%s.min", p);
		if ((st = integer(c, v[4], f, -SC_LIMIT_POINTS, SC_LIMIT_POINTS, &s->min)))
			return st;
		PATH(f, "%s.max", p);
		if ((st = integer(c, v[5], f, -SC_LIMIT_POINTS, SC_LIMIT_POINTS, &s->max)))
			return st;
		if (s->min > s->base || s->base > s->max)
			return err(c, v[3], SC_ESYNTAX, p,
				   "need min <= base <= max (%d, %d, %d)",
				   s->min, s->base, s->max);
		if ((st = compile_grades(c, v[6], p, s)))
			return st;
		PATH(f, "%s.rules", p);
		if ((st = seq(c, v[7], f, SC_LIMIT_RULES, false, &nr)))
			return st;
		s->first_rule = rb->nrules;
		for (size_t j = 0; j < nr; j++) {
			struct sc_rule_def *r = &rb->rules[rb->nrules];
			char rp[SC_DIAG_FIELD_MAX];

			PATH(rp, "%s.rules[%zu]", p, j);
			if ((st = compile_rule(c, item(c, v[7], j), rp, (int)i, s, r)))
				return st;
			for (uint32_t k = s->first_rule; k < rb->nrules; k++)
				if (!strcmp(rb->rules[k].type, r->type))
					return err(c, item(c, v[7], j), SC_ESYNTAX, rp,
						   "type '%s' has two rules in scorecard '%s'",
						   r->type, s->name);
			rb->nrules++;
		}
		s->nrules = (uint32_t)nr;
		rb->nscorecards++;
	}
	return SC_OK;
}

/* ---- lists ---- */

static enum sc_status compile_lists(struct cc *c, yaml_node_t *n)
{
	static const char *const keys[] = {
		"name", "label", "kind", "applies_to", "entered_by", "grace_days",
		"duration_days", "repair_min_days", "public", "basis", "disclose"};
	struct sc_rulebook *rb = c->rb;
	size_t cnt = 0;
	enum sc_status st = seq(c, n, "lists", SC_LIMIT_LISTS, false, &cnt);

	if (st)
		return st;
	rb->lists = sc_arena_calloc(&rb->arena, cnt ? cnt : 1, sizeof(*rb->lists));
	if (!rb->lists)
		return SC_ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		struct sc_list_def *l = &rb->lists[i];
		yaml_node_t *v[COUNT(keys)], *it = item(c, n, i);
		char p[SC_DIAG_FIELD_MAX], f[SC_DIAG_FIELD_MAX];
		size_t ne = 0;

		PATH(p, "lists[%zu]", i);
		if ((st = fields(c, it, "list", p, keys, COUNT(keys), v)))
			return st;
		l->duration_days = SC_NO_DAYS;
		if (!v[0] || !v[2] || !v[3] || !v[4])
			return err(c, it, SC_ESYNTAX, p,
				   "a list needs name, kind, applies_to and entered_by");
		PATH(f, "%s.name", p);
		if ((st = name(c, v[0], f, &l->name)))
			return st;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(rb->lists[j].name, l->name))
				return err(c, v[0], SC_ESYNTAX, f,
					   "list '%s' is defined twice", l->name);
		PATH(f, "%s.label", p);
		if (v[1] && (st = str(c, v[1], f, SC_LIMIT_TEXT, &l->label)))
			return st;
		PATH(f, "%s.kind", p);
		if (v[2]->type == YAML_SCALAR_NODE && !strcmp(scalar(v[2]), "black"))
			l->kind = SC_LIST_BLACK;
		else if (v[2]->type == YAML_SCALAR_NODE && !strcmp(scalar(v[2]), "red"))
			l->kind = SC_LIST_RED;
		else
			return err(c, v[2], SC_ESYNTAX, f, "expected black or red");
		PATH(f, "%s.applies_to", p);
		if ((st = kinds(c, v[3], f, &l->kinds)))
			return st;
		PATH(f, "%s.entered_by", p);
		if ((st = seq(c, v[4], f, SC_LIMIT_PATTERNS, true, &ne)))
			return st;
		l->entered_by = sc_arena_calloc(&rb->arena, ne, sizeof(char *));
		if (!l->entered_by)
			return SC_ENOMEM;
		for (size_t j = 0; j < ne; j++)
			if ((st = type_name(c, item(c, v[4], j), f, false,
					    &l->entered_by[j])) ||
			    (st = effect(c, item(c, v[4], j), f,
					 l->entered_by[j], l->kind == SC_LIST_RED)))
				return st;
		l->nentered = (uint32_t)ne;
		PATH(f, "%s.grace_days", p);
		if (v[5] && (st = days(c, v[5], f, 0, &l->grace_days)))
			return st;
		PATH(f, "%s.duration_days", p);
		if (v[6] && (st = days(c, v[6], f, 1, &l->duration_days)))
			return st;
		PATH(f, "%s.repair_min_days", p);
		if (v[7] && (st = days(c, v[7], f, 0, &l->repair_min_days)))
			return st;
		PATH(f, "%s.public", p);
		if (v[8] && (st = boolean(c, v[8], f, &l->public_)))
			return st;
		PATH(f, "%s.disclose", p);
		if (v[10]) {
			if (v[10]->type == YAML_SCALAR_NODE && !strcmp(scalar(v[10]), "full"))
				l->disclose_full = true;
			else if (!(v[10]->type == YAML_SCALAR_NODE && !strcmp(scalar(v[10]), "masked")))
				return err(c, v[10], SC_ESYNTAX, f, "expected full or masked");
		}
		PATH(f, "%s.basis", p);
		if (!v[9])
			return err(c, it, SC_ESYNTAX, f, "every list must cite its basis");
		if ((st = str(c, v[9], f, SC_LIMIT_TEXT, &l->basis)))
			return st;
		rb->nlists++;
	}
	return SC_OK;
}

/* ---- measures ---- */

static int list_find(const struct sc_rulebook *rb, const char *name)
{
	for (uint32_t i = 0; i < rb->nlists; i++)
		if (!strcmp(rb->lists[i].name, name))
			return (int)i;
	return -1;
}

static enum sc_status measure_lists(struct cc *c, yaml_node_t *n,
				    const char *f, struct sc_measure_def *m,
				    enum sc_list_kind want)
{
	struct sc_rulebook *rb = c->rb;
	size_t cnt = 0;
	enum sc_status st = seq(c, n, f, SC_LIMIT_LISTS, true, &cnt);

	if (st)
		return st;
	m->lists = sc_arena_calloc(&rb->arena, cnt, sizeof(int));
	if (!m->lists)
		return SC_ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *it = item(c, n, i);
		int l = it->type == YAML_SCALAR_NODE ? list_find(rb, scalar(it)) : -1;
		if (l < 0)
			return err(c, it, SC_ESYNTAX, f, "unknown list '%s'",
				   it->type == YAML_SCALAR_NODE ? scalar(it) : "?");
		if (rb->lists[l].kind != want)
			return err(c, it, want == SC_LIST_BLACK ? SC_EREFUSED : SC_ESYNTAX, f,
				   want == SC_LIST_BLACK
					   ? "list '%s' is a red list: only black lists can deny"
					   : "list '%s' is a black list: only red lists can grant",
				   rb->lists[l].name);
		m->lists[i] = l;
	}
	m->nlists = (uint32_t)cnt;
	return SC_OK;
}

/* An incentive states the standard terms everyone gets without it; a
 * denial has none. A version published before the field existed loads with
 * a stated default. */
static enum sc_status standard_terms(struct cc *c, yaml_node_t *it,
				     yaml_node_t *v, const char *p,
				     struct sc_measure_def *m)
{
	char f[SC_DIAG_FIELD_MAX];

	PATH(f, "%s.standard_terms", p);
	if (m->how == SC_MEASURE_DENY_LISTED) {
		if (v)
			return err(c, v, SC_ESYNTAX, f,
				   "standard_terms goes with an incentive measure (grant_if_grade_at_least or grant_if_listed)");
		return SC_OK;
	}
	if (v)
		return str(c, v, f, SC_LIMIT_TEXT, &m->standard_terms);
	if (c->flags & SC_RULEBOOK_STORED) {
		m->standard_terms = SC_RULEBOOK_DEFAULT_TERMS;
		return SC_OK;
	}
	return err(c, it, SC_ESYNTAX, f,
		   "an incentive measure must state the standard_terms everyone gets without it (for example \"standard heating tariff\")");
}

static enum sc_status compile_measures(struct cc *c, yaml_node_t *n)
{
	static const char *const keys[] = {
		"action", "label", "deny_if_listed", "grant_if_grade_at_least",
		"scorecard", "grant_if_listed", "issued_by", "basis",
		"standard_terms"};
	struct sc_rulebook *rb = c->rb;
	size_t cnt = 0;
	enum sc_status st = seq(c, n, "measures", SC_LIMIT_MEASURES, false, &cnt);

	if (st)
		return st;
	rb->measures = sc_arena_calloc(&rb->arena, cnt ? cnt : 1, sizeof(*rb->measures));
	if (!rb->measures)
		return SC_ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		struct sc_measure_def *m = &rb->measures[i];
		yaml_node_t *v[COUNT(keys)], *it = item(c, n, i);
		char p[SC_DIAG_FIELD_MAX], f[SC_DIAG_FIELD_MAX];
		int how;

		PATH(p, "measures[%zu]", i);
		if ((st = fields(c, it, "measure", p, keys, COUNT(keys), v)))
			return st;
		m->line = it->start_mark.line + 1;
		m->column = it->start_mark.column + 1;
		how = !!v[2] + !!v[3] + !!v[5];
		PATH(f, "%s.action", p);
		if (!v[0])
			return err(c, it, SC_ESYNTAX, f, "a measure needs an action");
		if ((st = name(c, v[0], f, &m->action)))
			return st;
		PATH(f, "%s.label", p);
		if (v[1] && (st = str(c, v[1], f, SC_LIMIT_TEXT, &m->label)))
			return st;
		if (how != 1)
			return err(c, it, SC_ESYNTAX, p,
				   "a measure needs exactly one of deny_if_listed, grant_if_grade_at_least and grant_if_listed");
		m->scorecard = -1;
		m->grade = -1;
		if (v[2]) {
			PATH(f, "%s.scorecard", p);
			if (v[4])
				return err(c, v[4], SC_EREFUSED, f,
					   "a denial cannot depend on a scorecard: sanctions follow list entries only");
			m->how = SC_MEASURE_DENY_LISTED;
			PATH(f, "%s.deny_if_listed", p);
			if ((st = measure_lists(c, v[2], f, m, SC_LIST_BLACK)))
				return st;
		} else if (v[5]) {
			PATH(f, "%s.grant_if_listed", p);
			if (v[4])
				return err(c, v[4], SC_ESYNTAX, f,
					   "scorecard goes with grant_if_grade_at_least");
			m->how = SC_MEASURE_GRANT_LISTED;
			if ((st = measure_lists(c, v[5], f, m, SC_LIST_RED)))
				return st;
		} else {
			const struct sc_scorecard_def *s = NULL;
			PATH(f, "%s.scorecard", p);
			m->how = SC_MEASURE_GRANT_GRADE;
			if (!v[4])
				return err(c, it, SC_ESYNTAX, f,
					   "grant_if_grade_at_least needs a scorecard");
			for (uint32_t k = 0; k < rb->nscorecards; k++)
				if (v[4]->type == YAML_SCALAR_NODE &&
				    !strcmp(rb->scorecards[k].name, scalar(v[4])))
					s = &rb->scorecards[k], m->scorecard = (int)k;
			if (!s)
				return err(c, v[4], SC_ESYNTAX, f, "unknown scorecard");
			PATH(f, "%s.grant_if_grade_at_least", p);
			if (v[3]->type != YAML_SCALAR_NODE ||
			    (m->grade = grade_find(s, scalar(v[3]))) < 0)
				return err(c, v[3], SC_ESYNTAX, f,
					   "not a grade of scorecard '%s'", s->name);
		}
		PATH(f, "%s.issued_by", p);
		if (!v[6])
			return err(c, it, SC_ESYNTAX, f,
				   "every measure must name its issuing body");
		if ((st = str(c, v[6], f, SC_LIMIT_TEXT, &m->issued_by)))
			return st;
		PATH(f, "%s.basis", p);
		if (!v[7])
			return err(c, it, SC_ESYNTAX, f, "every measure must cite its basis");
		if ((st = str(c, v[7], f, SC_LIMIT_TEXT, &m->basis)))
			return st;
		if ((st = standard_terms(c, it, v[8], p, m)))
			return st;
		rb->nmeasures++;
	}
	return SC_OK;
}

/* ---- derived tables: types and actions ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool mandate_covers(const struct sc_source_def *s, const char *type)
{
	for (uint32_t i = 0; i < s->npatterns; i++) {
		const char *pat = s->patterns[i];
		size_t pl = strlen(pat);
		if (pl > 2 && !strcmp(pat + pl - 2, ".*")) {
			if (!strncmp(type, pat, pl - 1))
				return true;
		} else if (!strcmp(pat, type)) {
			return true;
		}
	}
	return false;
}

bool sc_rulebook_source_may_file(const struct sc_rulebook *rb, int source,
				 const char *type, size_t len)
{
	char buf[SC_LIMIT_TYPE + 1];

	if (source < 0 || (uint32_t)source >= rb->nsources || len > SC_LIMIT_TYPE ||
	    !sc_rulebook_type_known(rb, type, len))
		return false;
	memcpy(buf, type, len);
	buf[len] = '\0';
	return mandate_covers(&rb->sources[source], buf);
}

static enum sc_status build_types(struct cc *c, yaml_node_t *root)
{
	struct sc_rulebook *rb = c->rb;
	size_t max = rb->nrules, n = 0;
	const char **names;

	for (uint32_t i = 0; i < rb->nlists; i++)
		max += rb->lists[i].nentered;
	names = sc_arena_calloc(&rb->arena, max ? max : 1, sizeof(char *));
	if (!names)
		return SC_ENOMEM;
	for (uint32_t i = 0; i < rb->nrules; i++)
		names[n++] = rb->rules[i].type;
	for (uint32_t i = 0; i < rb->nlists; i++)
		for (uint32_t j = 0; j < rb->lists[i].nentered; j++)
			names[n++] = rb->lists[i].entered_by[j];
	qsort(names, n, sizeof(char *), cmp_str);
	rb->types = sc_arena_calloc(&rb->arena, n ? n : 1, sizeof(*rb->types));
	if (!rb->types)
		return SC_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct sc_type_def *t;
		bool fileable = false;

		if (i && !strcmp(names[i], names[i - 1]))
			continue;
		t = &rb->types[rb->ntypes++];
		t->name = names[i];
		for (uint32_t s = 0; s < rb->nsources; s++)
			fileable |= mandate_covers(&rb->sources[s], t->name);
		if (!fileable)
			return err(c, root, SC_ESYNTAX, "sources",
				   "no source may file type '%s', which a rule or list uses",
				   t->name);
		t->rules = sc_arena_calloc(&rb->arena, rb->nscorecards + 1, sizeof(int));
		t->lists = sc_arena_calloc(&rb->arena, rb->nlists + 1, sizeof(int));
		if (!t->rules || !t->lists)
			return SC_ENOMEM;
	}
	for (uint32_t i = 0; i < rb->nrules; i++) {
		int ti = sc_rulebook_type_find(rb, rb->rules[i].type,
					       strlen(rb->rules[i].type));
		struct sc_type_def *t = &rb->types[ti];
		rb->rules[i].type_idx = ti;
		t->rules[t->nrules++] = (int)i;
		t->needs_amount |= rb->rules[i].per_unit;
	}
	for (uint32_t i = 0; i < rb->nlists; i++) {
		for (uint32_t j = 0; j < rb->lists[i].nentered; j++) {
			const char *ty = rb->lists[i].entered_by[j];
			struct sc_type_def *t = &rb->types[sc_rulebook_type_find(rb, ty, strlen(ty))];
			if (t->nlists && t->lists[t->nlists - 1] == (int)i)
				continue; /* named twice in one list */
			t->lists[t->nlists++] = (int)i;
		}
	}
	return SC_OK;
}

/* ---- the catalogue of record types ---- */

static bool is_pattern(const char *p)
{
	size_t pl = strlen(p);
	return pl > 2 && !strcmp(p + pl - 2, ".*");
}

/* The implied catalogue: the types rules and lists use (rb->types) and the
 * exact may_file entries. */
static enum sc_status implied_catalogue(struct cc *c)
{
	struct sc_rulebook *rb = c->rb;
	size_t max = rb->ntypes;
	const char **names;

	for (uint32_t s = 0; s < rb->nsources; s++)
		max += rb->sources[s].npatterns;
	names = sc_arena_calloc(&rb->arena, max ? max : 1, sizeof(char *));
	if (!names)
		return SC_ENOMEM;
	for (uint32_t i = 0; i < rb->ntypes; i++)
		names[rb->ncatalogue++] = rb->types[i].name;
	for (uint32_t s = 0; s < rb->nsources; s++)
		for (uint32_t j = 0; j < rb->sources[s].npatterns; j++)
			if (!is_pattern(rb->sources[s].patterns[j]))
				names[rb->ncatalogue++] = rb->sources[s].patterns[j];
	qsort(names, rb->ncatalogue, sizeof(char *), cmp_str);
	rb->catalogue = names;
	if (rb->ncatalogue) {
		uint32_t n = 1;
		for (uint32_t i = 1; i < rb->ncatalogue; i++)
			if (strcmp(names[i], names[n - 1]))
				names[n++] = names[i];
		rb->ncatalogue = n;
	}
	return SC_OK;
}

/* The value of key in a mapping node; NULL when absent. */
static yaml_node_t *value_of(struct cc *c, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key);
		if (k && k->type == YAML_SCALAR_NODE && !strcmp(scalar(k), key))
			return node(c, p->value);
	}
	return NULL;
}

/* " (did you mean 'x'?)" for a type outside the catalogue, or "". */
static const char *near_note(const struct sc_rulebook *rb, const char *type, char *buf,
			     size_t size)
{
	const char *near = sc_rulebook_type_suggest(rb, type, strlen(type));

	if (!near)
		return "";
	snprintf(buf, size, " (did you mean '%s'?)", near);
	return buf;
}

/* `types`: every record type the rulebook accepts. Each type a rule or list
 * uses and each exact may_file entry must be in it, and some source must
 * be able to file each. Absent: the implied catalogue. */
static enum sc_status compile_catalogue(struct cc *c, yaml_node_t *root, yaml_node_t *n)
{
	struct sc_rulebook *rb = c->rb;
	char note[SC_LIMIT_TYPE + 32], f[SC_DIAG_FIELD_MAX];
	size_t cnt = 0;
	enum sc_status st;
	const char **names;

	if (!n)
		return implied_catalogue(c);
	if ((st = seq(c, n, "types", SC_LIMIT_CATALOGUE, true, &cnt)))
		return st;
	names = sc_arena_calloc(&rb->arena, cnt, sizeof(char *));
	if (!names)
		return SC_ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		PATH(f, "types[%zu]", i);
		if ((st = type_name(c, item(c, n, i), f, false, &names[i])))
			return st;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(names[j], names[i]))
				return err(c, item(c, n, i), SC_ESYNTAX, f,
					   "type '%s' is listed twice", names[i]);
	}
	qsort(names, cnt, sizeof(char *), cmp_str);
	rb->catalogue = names;
	rb->ncatalogue = (uint32_t)cnt;
	rb->catalogue_declared = true;
	for (uint32_t i = 0; i < rb->ntypes; i++)
		if (!sc_rulebook_type_known(rb, rb->types[i].name, strlen(rb->types[i].name)))
			return err(c, n, SC_ESYNTAX, "types",
				   "type '%s', which a rule or list uses, is not in the catalogue%s",
				   rb->types[i].name,
				   near_note(rb, rb->types[i].name, note, sizeof(note)));
	for (uint32_t s = 0; s < rb->nsources; s++)
		for (uint32_t j = 0; j < rb->sources[s].npatterns; j++) {
			const char *p = rb->sources[s].patterns[j];
			if (is_pattern(p) || sc_rulebook_type_known(rb, p, strlen(p)))
				continue;
			/* the entry's node, for its line (sources and may_file
			 * are sequences: compile_sources checked them) */
			yaml_node_t *src = value_of(c, root, "sources");
			src = value_of(c, item(c, src, s), "may_file");
			PATH(f, "sources[%u].may_file", s);
			return err(c, src ? item(c, src, j) : root, SC_ESYNTAX, f,
				   "source '%s' may file '%s', which is not in the catalogue%s",
				   rb->sources[s].name, p, near_note(rb, p, note, sizeof(note)));
		}
	for (size_t i = 0; i < cnt; i++) {
		bool fileable = false;
		for (uint32_t s = 0; s < rb->nsources; s++)
			fileable |= mandate_covers(&rb->sources[s], names[i]);
		if (!fileable)
			return err(c, n, SC_ESYNTAX, "types",
				   "no source may file type '%s' of the catalogue", names[i]);
	}
	return SC_OK;
}

static int cmp_action(const void *a, const void *b)
{
	return strcmp(((const struct sc_action_def *)a)->name,
		      ((const struct sc_action_def *)b)->name);
}

/* An action is a restriction (deny measures only) or a benefit (incentive
 * measures only, all stating the same standard terms): a benefit withheld
 * must never read as a denial. Versions published before this rule load as
 * they are (a mixed action denies on its lists, else grants or gives the
 * standard terms). m, measure i, was just added to a. */
static enum sc_status action_kind(struct cc *c, struct sc_action_def *a,
				  const struct sc_measure_def *m, uint32_t i)
{
	char f[SC_DIAG_FIELD_MAX];

	if (m->standard_terms && !a->standard_terms)
		a->standard_terms = m->standard_terms;
	if (c->flags & SC_RULEBOOK_STORED)
		return SC_OK;
	PATH(f, "measures[%u]", i);
	if (a->has_deny && a->has_grant)
		return sc_diag_set(c->d, SC_EREFUSED, c->src, m->line, m->column, f,
				   "action '%s' mixes a restriction (deny_if_listed) with a benefit (grant_if_*): an action either denies on list entries or grants a benefit over stated standard terms, never both; name the benefit as its own action",
				   a->name);
	if (m->standard_terms && strcmp(m->standard_terms, a->standard_terms))
		return sc_diag_set(c->d, SC_ESYNTAX, c->src, m->line, m->column, f,
				   "action '%s' states different standard_terms in two measures ('%.60s' and '%.60s')",
				   a->name, a->standard_terms, m->standard_terms);
	return SC_OK;
}

static enum sc_status build_actions(struct cc *c)
{
	struct sc_rulebook *rb = c->rb;
	enum sc_status st;

	rb->actions = sc_arena_calloc(&rb->arena, rb->nmeasures ? rb->nmeasures : 1,
				      sizeof(*rb->actions));
	if (!rb->actions)
		return SC_ENOMEM;
	for (uint32_t i = 0; i < rb->nmeasures; i++) {
		uint32_t a;
		for (a = 0; a < rb->nactions; a++)
			if (!strcmp(rb->actions[a].name, rb->measures[i].action))
				break;
		if (a == rb->nactions) {
			rb->actions[a].name = rb->measures[i].action;
			rb->actions[a].measures = sc_arena_calloc(
				&rb->arena, rb->nmeasures, sizeof(int));
			if (!rb->actions[a].measures)
				return SC_ENOMEM;
			rb->nactions++;
		}
		rb->actions[a].measures[rb->actions[a].nmeasures++] = (int)i;
		if (rb->measures[i].how == SC_MEASURE_DENY_LISTED)
			rb->actions[a].has_deny = true;
		else
			rb->actions[a].has_grant = true;
		if ((st = action_kind(c, &rb->actions[a], &rb->measures[i], i)))
			return st;
	}
	qsort(rb->actions, rb->nactions, sizeof(*rb->actions), cmp_action);
	return SC_OK;
}

/* ---- top level ---- */

static enum sc_status compile_schemes(struct cc *c, yaml_node_t *n)
{
	size_t cnt = 0;
	enum sc_status st = seq(c, n, "id_schemes", 3, true, &cnt);

	for (size_t i = 0; !st && i < cnt; i++) {
		yaml_node_t *it = item(c, n, i);
		const char *s = it->type == YAML_SCALAR_NODE ? scalar(it) : "";
		if (!strcmp(s, "cn_ric"))
			c->rb->id_schemes |= SC_SCHEME_CN_RIC;
		else if (!strcmp(s, "cn_uscc"))
			c->rb->id_schemes |= SC_SCHEME_CN_USCC;
		else if (!strcmp(s, "any"))
			c->rb->id_schemes |= SC_SCHEME_ANY;
		else
			return err(c, it, SC_ESYNTAX, "id_schemes",
				   "unknown id scheme '%.40s': expected cn_ric, cn_uscc or any", s);
	}
	if (!st && (c->rb->id_schemes & SC_SCHEME_ANY) &&
	    c->rb->id_schemes != SC_SCHEME_ANY)
		return err(c, n, SC_ESYNTAX, "id_schemes",
			   "'any' cannot be combined with other schemes");
	return st;
}

static enum sc_status compile_root(struct cc *c, yaml_node_t *root)
{
	static const char *const keys[] = {"rulebook", "version", "id_schemes",
					   "sources", "scorecards", "lists",
					   "measures", "review_days", "retention_days",
					   "types"};
	yaml_node_t *v[COUNT(keys)];
	enum sc_status st;

	if ((st = fields(c, root, "rulebook", "", keys, COUNT(keys), v)))
		return st;
	if (!v[0] || !v[1] || !v[2] || !v[3])
		return err(c, root, SC_ESYNTAX, !v[0] ? "rulebook" : !v[1] ? "version" : !v[2] ? "id_schemes" : "sources",
			   "a rulebook needs rulebook, version, id_schemes and sources");
	if ((st = name(c, v[0], "rulebook", &c->rb->name)) ||
	    (st = str(c, v[1], "version", SC_LIMIT_NAME, &c->rb->version)) ||
	    (st = compile_schemes(c, v[2])) ||
	    (st = compile_sources(c, v[3])))
		return st;
	if (v[4] && (st = compile_scorecards(c, v[4])))
		return st;
	if (v[5] && (st = compile_lists(c, v[5])))
		return st;
	if (v[6] && (st = compile_measures(c, v[6])))
		return st;
	c->rb->review_days = 30;
	c->rb->retention_days = 1825;
	if (v[7] && (st = days(c, v[7], "review_days", 1, &c->rb->review_days)))
		return st;
	if (v[8] && (st = days(c, v[8], "retention_days", 0, &c->rb->retention_days)))
		return st;
	if ((st = build_types(c, root)) || (st = compile_catalogue(c, root, v[9])))
		return st;
	return build_actions(c);
}

enum sc_status sc_rulebook_compile(const char *text, size_t len,
				   const char *source,
				   struct sc_rulebook **out, struct sc_diag *d)
{
	return sc_rulebook_compile_flags(text, len, source, 0, out, d);
}

enum sc_status sc_rulebook_compile_flags(const char *text, size_t len,
					 const char *source, unsigned flags,
					 struct sc_rulebook **out,
					 struct sc_diag *d)
{
	struct cc c = {.src = source ? source : "<rulebook>", .d = d, .flags = flags};
	yaml_parser_t parser;
	struct sc_rulebook *rb;
	yaml_node_t *root;
	enum sc_status st;
	char *copy;

	if (len > SC_LIMIT_RULEBOOK_BYTES)
		return sc_diag_set(d, SC_ELIMIT, c.src, 0, 0, NULL,
				   "rulebook is over the limit of %d bytes",
				   SC_LIMIT_RULEBOOK_BYTES);
	if (memchr(text, '\0', len))
		return sc_diag_set(d, SC_ESYNTAX, c.src, 0, 0, NULL,
				   "rulebook contains a NUL byte");
	rb = calloc(1, sizeof(*rb));
	if (!rb)
		return SC_ENOMEM;
	sc_arena_init(&rb->arena, 64 * 1024, 0);
	c.rb = rb;
	if (!yaml_parser_initialize(&parser)) {
		st = SC_ENOMEM;
		goto fail_rb;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &c.doc)) {
		char where[64] = "";
		if (parser.context)
			snprintf(where, sizeof(where), " (opened at line %zu, column %zu)",
				 parser.context_mark.line + 1,
				 parser.context_mark.column + 1);
		st = sc_diag_set(d, SC_ESYNTAX, c.src,
				 parser.problem_mark.line + 1,
				 parser.problem_mark.column + 1, NULL,
				 "invalid YAML: %s%s%s%s",
				 parser.problem ? parser.problem : "parse error",
				 parser.context ? " " : "",
				 parser.context ? parser.context : "", where);
		goto fail_parser;
	}
	root = yaml_document_get_root_node(&c.doc);
	if (!root) {
		st = sc_diag_set(d, SC_ESYNTAX, c.src, 1, 1, NULL,
				 "rulebook is empty");
		goto fail_doc;
	}
	if ((st = compile_root(&c, root)))
		goto fail_doc;
	copy = sc_arena_strndup(&rb->arena, text, len);
	if (!copy) {
		st = SC_ENOMEM;
		goto fail_doc;
	}
	rb->text = copy;
	rb->text_len = len;
	yaml_document_delete(&c.doc);
	yaml_parser_delete(&parser);
	*out = rb;
	return SC_OK;

fail_doc:
	yaml_document_delete(&c.doc);
fail_parser:
	yaml_parser_delete(&parser);
fail_rb:
	if (st == SC_ENOMEM)
		sc_diag_set(d, st, c.src, 0, 0, NULL, "out of memory");
	sc_rulebook_free(rb);
	return st;
}

enum sc_status sc_rulebook_load(const char *path, struct sc_rulebook **out,
				struct sc_diag *d)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;
	enum sc_status st;

	if (!f)
		return sc_diag_set(d, SC_EIO, path, 0, 0, NULL,
				   "cannot open rulebook: %s", strerror(errno));
	buf = malloc(SC_LIMIT_RULEBOOK_BYTES + 1);
	if (!buf) {
		fclose(f);
		return SC_ENOMEM;
	}
	n = fread(buf, 1, SC_LIMIT_RULEBOOK_BYTES + 1, f);
	if (ferror(f))
		st = sc_diag_set(d, SC_EIO, path, 0, 0, NULL,
				 "cannot read rulebook: %s", strerror(errno));
	else
		st = sc_rulebook_compile(buf, n, path, out, d);
	fclose(f);
	free(buf);
	return st;
}
