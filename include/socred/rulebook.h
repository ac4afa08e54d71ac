/* socred: the published rulebook, compiled once into an immutable program.
 *
 * A compiled sc_rulebook is read-only and may be shared by any number of
 * threads. Indices returned by the lookups below are stable for the life of
 * the rulebook. */
#ifndef SOCRED_RULEBOOK_H
#define SOCRED_RULEBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "socred/id.h"
#include "socred/status.h"

struct sc_rulebook;

enum sc_list_kind { SC_LIST_BLACK = 1, SC_LIST_RED = 2 };

/* Compiles YAML text (len bytes). source names the text in diagnostics.
 * SC_OK: *out is a new rulebook, caller frees with sc_rulebook_free.
 * SC_ESYNTAX (YAML or schema error), SC_EREFUSED (a refused category, a
 * commerce type that rewards or a civic type that penalises, or a measure
 * that would deny on a score), SC_ELIMIT (over a limit in
 * socred/limits.h), SC_ENOMEM. d names line, column and key. */
enum sc_status sc_rulebook_compile(const char *text, size_t len,
				   const char *source,
				   struct sc_rulebook **out, struct sc_diag *d);
/* sc_rulebook_compile for a version already published in a ledger
 * (flags SC_RULEBOOK_STORED): a version published before a rule the
 * compiler now enforces keeps loading. Today that is an incentive measure
 * without standard_terms (SC_RULEBOOK_DEFAULT_TERMS stands in), an
 * action mixing deny and incentive measures (it denies on its lists, else
 * grants or gives the standard terms), and a commerce type that earns points
 * or enters a red list or a civic type that costs points or enters a black
 * list (its rule counts as published). Refused categories never load.
 * flags 0 is sc_rulebook_compile. */
#define SC_RULEBOOK_STORED 1u
#define SC_RULEBOOK_DEFAULT_TERMS "the standard terms"
enum sc_status sc_rulebook_compile_flags(const char *text, size_t len,
					 const char *source, unsigned flags,
					 struct sc_rulebook **out,
					 struct sc_diag *d);
/* Reads and compiles a file; also SC_EIO when it cannot be read. */
enum sc_status sc_rulebook_load(const char *path, struct sc_rulebook **out,
				struct sc_diag *d);
void sc_rulebook_free(struct sc_rulebook *rb);

/* The compiled program as text (like EXPLAIN). Caller frees with free();
 * NULL when out of memory. */
char *sc_rulebook_dump(const struct sc_rulebook *rb);

/* Borrowed strings, valid while rb lives. */
const char *sc_rulebook_name(const struct sc_rulebook *rb);
const char *sc_rulebook_version(const struct sc_rulebook *rb);
/* The YAML text it was compiled from (len in *len). */
const char *sc_rulebook_text(const struct sc_rulebook *rb, size_t *len);
unsigned sc_rulebook_id_schemes(const struct sc_rulebook *rb);
/* Days a dispute may wait for a decision before its record stops counting. */
int32_t sc_rulebook_review_days(const struct sc_rulebook *rb);
/* Days a record is kept after its last effect ends (then `socred expire`). */
int32_t sc_rulebook_retention_days(const struct sc_rulebook *rb);

/* Record types. A type's category must be one socred knows. SC_OK, or
 * SC_EINVAL (malformed), SC_EREFUSED (a category socred does not score),
 * with the reason in d. */
enum sc_status sc_type_check(const char *type, size_t len, struct sc_diag *d);
/* May a record of this (checked) type raise a subject's standing (gain:
 * earn points, enter a red list) or lower it (!gain: cost points, enter a
 * black list)? commerce records are findings of commercial dishonesty and
 * only lower it; civic records are recognised civic acts and only raise it.
 * SC_OK, or SC_EREFUSED with the reason in d. */
enum sc_status sc_type_check_effect(const char *type, bool gain,
				    struct sc_diag *d);

/* Index of a type some rule or list uses; -1 when none does. */
int sc_rulebook_type_find(const struct sc_rulebook *rb, const char *type,
			  size_t len);
size_t sc_rulebook_type_count(const struct sc_rulebook *rb);
const char *sc_rulebook_type_name(const struct sc_rulebook *rb, int type);
/* Does some rule of this type count per unit of amount? */
bool sc_rulebook_type_needs_amount(const struct sc_rulebook *rb, int type);

/* The catalogue: every record type the rulebook accepts (`types`; when
 * absent, the types its rules and lists use and its exact may_file entries
 * name). A type outside it is refused at ingest. */
bool sc_rulebook_type_known(const struct sc_rulebook *rb, const char *type, size_t len);
/* Was the catalogue declared (`types`), rather than implied? */
bool sc_rulebook_types_declared(const struct sc_rulebook *rb);
size_t sc_rulebook_catalogue_count(const struct sc_rulebook *rb);
/* Catalogue types in alphabetical order; borrowed from rb. */
const char *sc_rulebook_catalogue_type(const struct sc_rulebook *rb, size_t i);
/* The catalogue type nearest to type (len bytes) by edit distance, when
 * near enough to be a likely typo (at most 3 edits, or a quarter of its
 * length); NULL otherwise. Borrowed from rb. */
const char *sc_rulebook_type_suggest(const struct sc_rulebook *rb, const char *type,
				     size_t len);

/* Sources. */
int sc_rulebook_source_find(const struct sc_rulebook *rb, const char *name,
			    size_t len);
size_t sc_rulebook_source_count(const struct sc_rulebook *rb);
const char *sc_rulebook_source_name(const struct sc_rulebook *rb, int source);
/* Does the source's mandate cover the type? A wildcard ("court.*")
 * covers catalogue types only. */
bool sc_rulebook_source_may_file(const struct sc_rulebook *rb, int source,
				 const char *type, size_t len);

/* Scorecards. */
size_t sc_rulebook_scorecard_count(const struct sc_rulebook *rb);
int sc_rulebook_scorecard_find(const struct sc_rulebook *rb, const char *name,
			       size_t len);
const char *sc_rulebook_scorecard_name(const struct sc_rulebook *rb, int sc);
bool sc_rulebook_scorecard_applies(const struct sc_rulebook *rb, int sc,
				   enum sc_kind kind);
size_t sc_rulebook_grade_count(const struct sc_rulebook *rb, int sc);
/* Grades are numbered from the highest (0). */
const char *sc_rulebook_grade_name(const struct sc_rulebook *rb, int sc,
				   int grade);

/* Rules (numbered over all scorecards). */
size_t sc_rulebook_rule_count(const struct sc_rulebook *rb);
int sc_rulebook_rule_scorecard(const struct sc_rulebook *rb, int rule);
const char *sc_rulebook_rule_type(const struct sc_rulebook *rb, int rule);
const char *sc_rulebook_rule_basis(const struct sc_rulebook *rb, int rule);
/* The rule's cap, when it has one. */
bool sc_rulebook_rule_cap(const struct sc_rulebook *rb, int rule,
			  int32_t *cap);

/* Lists. */
size_t sc_rulebook_list_count(const struct sc_rulebook *rb);
int sc_rulebook_list_find(const struct sc_rulebook *rb, const char *name,
			  size_t len);
const char *sc_rulebook_list_name(const struct sc_rulebook *rb, int list);
enum sc_list_kind sc_rulebook_list_kind(const struct sc_rulebook *rb,
					int list);
bool sc_rulebook_list_public(const struct sc_rulebook *rb, int list);
const char *sc_rulebook_list_basis(const struct sc_rulebook *rb, int list);
/* Is the type one that enters the list? */
bool sc_rulebook_list_entered_by(const struct sc_rulebook *rb, int list,
				 int type);

/* Measures and actions. */
size_t sc_rulebook_measure_count(const struct sc_rulebook *rb);
const char *sc_rulebook_measure_action(const struct sc_rulebook *rb, int m);
const char *sc_rulebook_measure_basis(const struct sc_rulebook *rb, int m);
const char *sc_rulebook_measure_issuer(const struct sc_rulebook *rb, int m);
size_t sc_rulebook_action_count(const struct sc_rulebook *rb);
/* Actions in alphabetical order. */
const char *sc_rulebook_action_name(const struct sc_rulebook *rb, int action);
int sc_rulebook_action_find(const struct sc_rulebook *rb, const char *name,
			    size_t len);
/* A benefit action (incentive measures) answers grant or standard; a
 * restriction (deny measures) allow or deny. */
bool sc_rulebook_action_is_benefit(const struct sc_rulebook *rb, int action);
/* A benefit's standard terms, what a subject gets without it; NULL for a
 * restriction. */
const char *sc_rulebook_action_standard_terms(const struct sc_rulebook *rb,
					      int action);

/* Read-only views of the compiled program, for publishing it (rulebook show
 * --json, the public API). Strings are borrowed from rb; NULL when absent.
 * Day counts are -1 when absent (never lapses / open-ended). */
struct sc_rule_info {
	const char *type, *basis;
	int scorecard;
	bool per_unit;
	int32_t points;        /* or points per unit */
	int64_t unit;          /* fixed-point, per_unit only */
	int32_t lapse_days, repair_min_days;
	bool has_cap;
	int32_t cap;
	int grade_cap;         /* grade index, -1: none */
};
struct sc_scorecard_info {
	const char *name;
	bool persons, orgs, consent_required;
	int32_t base, min, max;
	size_t ngrades;
	size_t first_rule, nrules;
};
struct sc_list_info {
	const char *name, *label, *basis;
	enum sc_list_kind kind;
	bool persons, orgs, public_, disclose_full;
	int32_t grace_days, duration_days, repair_min_days;
	size_t nentered;       /* types: sc_rulebook_list_type() */
};
struct sc_measure_info {
	const char *action, *label, *issued_by, *basis;
	const char *standard_terms; /* incentives; NULL for a denial */
	bool deny;             /* deny_if_listed; otherwise an incentive */
	int scorecard, grade;  /* grant_if_grade_at_least; -1 otherwise */
	size_t nlists;         /* sc_rulebook_measure_list() */
};
void sc_rulebook_rule_info(const struct sc_rulebook *rb, int rule,
			   struct sc_rule_info *out);
void sc_rulebook_scorecard_info(const struct sc_rulebook *rb, int sc,
				struct sc_scorecard_info *out);
int32_t sc_rulebook_grade_min(const struct sc_rulebook *rb, int sc, int grade);
void sc_rulebook_list_info(const struct sc_rulebook *rb, int list,
			   struct sc_list_info *out);
const char *sc_rulebook_list_type(const struct sc_rulebook *rb, int list,
				  size_t i);
void sc_rulebook_measure_info(const struct sc_rulebook *rb, int m,
			      struct sc_measure_info *out);
int sc_rulebook_measure_list(const struct sc_rulebook *rb, int m, size_t i);
const char *sc_rulebook_source_label(const struct sc_rulebook *rb, int source);
size_t sc_rulebook_source_pattern_count(const struct sc_rulebook *rb, int source);
const char *sc_rulebook_source_pattern(const struct sc_rulebook *rb, int source,
				       size_t i);

#endif
