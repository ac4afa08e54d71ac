/* The compiled rulebook's representation, shared by the compiler, the
 * accessors and the evaluator. Not installed: other modules use
 * socred/rulebook.h. Everything lives in one arena and is immutable after
 * compilation. */
#ifndef SOCRED_RULEBOOK_IMPL_H
#define SOCRED_RULEBOOK_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "socred/arena.h"
#include "socred/date.h"
#include "socred/rulebook.h"

#define SC_KINDS_PERSON (1u << SC_KIND_PERSON)
#define SC_KINDS_ORG (1u << SC_KIND_ORG)
#define SC_NO_DAYS (-1) /* an absent lapse_days / duration_days */

struct sc_source_def {
	const char *name;
	const char *label;
	const char **patterns; /* "cat.*" or "cat.name" */
	uint32_t npatterns;
};

struct sc_rule_def {
	const char *type;
	int type_idx;
	int scorecard;
	bool per_unit;
	int32_t points;        /* fixed points, or points per unit */
	int64_t unit;          /* fixed-point (SC_AMOUNT_SCALE); per_unit only */
	int32_t lapse_days;    /* SC_NO_DAYS: never lapses */
	bool has_cap;
	int32_t cap;           /* < 0: floor, > 0: ceiling */
	int32_t repair_min_days;
	int grade_cap;         /* grade index, -1: none */
	const char *basis;
	unsigned long line;
};

struct sc_grade_def {
	const char *name;
	int32_t min;
};

struct sc_scorecard_def {
	const char *name;
	unsigned kinds;
	bool consent_required;
	int32_t base, min, max;
	struct sc_grade_def *grades; /* highest first */
	uint32_t ngrades;
	uint32_t first_rule, nrules;
};

struct sc_list_def {
	const char *name;
	const char *label;
	enum sc_list_kind kind;
	unsigned kinds;
	const char **entered_by;
	uint32_t nentered;
	int32_t grace_days;
	int32_t duration_days; /* SC_NO_DAYS: open-ended */
	int32_t repair_min_days;
	bool public_;
	bool disclose_full;    /* publish persons' names and ids unmasked */
	const char *basis;
};

enum sc_measure_how {
	SC_MEASURE_DENY_LISTED = 1,
	SC_MEASURE_GRANT_GRADE = 2,
	SC_MEASURE_GRANT_LISTED = 3,
};

struct sc_measure_def {
	const char *action;
	const char *label;
	enum sc_measure_how how;
	int *lists; /* DENY_LISTED / GRANT_LISTED */
	uint32_t nlists;
	int scorecard; /* GRANT_GRADE */
	int grade;     /* GRANT_GRADE: at least this grade index */
	const char *issued_by;
	const char *basis;
	const char *standard_terms; /* incentives: what everyone gets without it */
	unsigned long line, column; /* where it is written, for diagnostics */
};

/* A type some rule or list uses: the evaluator's dispatch table. */
struct sc_type_def {
	const char *name;
	int *rules; /* rule indices, one per scorecard at most */
	uint32_t nrules;
	int *lists; /* lists it enters */
	uint32_t nlists;
	bool needs_amount;
};

struct sc_action_def {
	const char *name;
	int *measures;
	uint32_t nmeasures;
	bool has_deny, has_grant;
	/* a benefit action (has_grant): the terms a subject gets without it */
	const char *standard_terms;
};

struct sc_rulebook {
	struct sc_arena arena;
	const char *name, *version, *text;
	size_t text_len;
	unsigned id_schemes;
	int32_t review_days;     /* a dispute's deadline (default 30) */
	int32_t retention_days;  /* kept after the window ends (default 1825) */
	struct sc_source_def *sources;
	uint32_t nsources;
	struct sc_scorecard_def *scorecards;
	uint32_t nscorecards;
	struct sc_rule_def *rules;
	uint32_t nrules;
	struct sc_list_def *lists;
	uint32_t nlists;
	struct sc_measure_def *measures;
	uint32_t nmeasures;
	struct sc_type_def *types; /* sorted by name */
	uint32_t ntypes;
	struct sc_action_def *actions; /* sorted by name */
	uint32_t nactions;
};

#endif
