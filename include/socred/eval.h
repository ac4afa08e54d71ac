/* socred: evaluating one subject at one date under a compiled rulebook.
 *
 * Pure computation, no I/O. The evaluator sees exactly one subject's records:
 * there is no way for a rule to read another subject's data. An sc_eval holds
 * reusable scratch space; use one per thread. Results are borrowed from the
 * sc_eval and valid until its next sc_eval_subject() or sc_eval_free(). */
#ifndef SOCRED_EVAL_H
#define SOCRED_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "socred/date.h"
#include "socred/id.h"
#include "socred/rulebook.h"
#include "socred/status.h"

/* One record as the evaluator sees it: no text, everything resolved. */
struct sc_eval_record {
	int64_t rid;         /* ledger row, echoed back in explanations */
	sc_day date;
	sc_day rectified;    /* SC_DAY_NONE: never */
	sc_day revoked;      /* SC_DAY_NONE: never */
	int32_t type;        /* sc_rulebook_type_find() index; -1: no rule uses it */
	int64_t amount;      /* fixed-point (SC_AMOUNT_SCALE); SC_AMOUNT_NONE */
	/* a dispute left undecided past its deadline: the record does not count
	 * in [suspended_from, suspended_until); SC_DAY_NONE when never */
	sc_day suspended_from, suspended_until;
};

/* A consent or withdrawal for a scorecard, in ledger (filing) order. */
struct sc_eval_consent {
	sc_day date;
	int32_t scorecard;
	bool granted;
};

struct sc_subject {
	enum sc_kind kind;
	const struct sc_eval_record *recs;
	size_t nrecs;
	const struct sc_eval_consent *consents;
	size_t nconsents;
};

enum sc_card_status {
	SC_CARD_SCORED = 0,
	SC_CARD_NO_CONSENT = 1,
	SC_CARD_NOT_APPLICABLE = 2,
};

struct sc_card_result {
	enum sc_card_status status;
	int32_t score;        /* SC_CARD_SCORED only */
	int grade;            /* index, 0 is the highest; -1 when not scored */
	int grade_by_score;   /* the grade before any grade_cap */
	long capped_by;       /* record index whose grade_cap applied, or -1 */
};

/* A list interval containing the evaluation date. */
struct sc_list_hit {
	int list;
	size_t record; /* index into the subject's recs */
	sc_day since;
	sc_day until;  /* SC_DAY_NONE: open-ended */
};

enum sc_contrib_state {
	SC_CONTRIB_ACTIVE = 0,
	SC_CONTRIB_NOT_YET = 1,  /* date after the evaluation date */
	SC_CONTRIB_LAPSED = 2,
	SC_CONTRIB_RECTIFIED = 3, /* ended early by rectification */
	SC_CONTRIB_REVOKED = 4,
	SC_CONTRIB_NOT_APPLICABLE = 5, /* scorecard does not apply to the kind */
	SC_CONTRIB_SUSPENDED = 6, /* disputed, and the review is overdue */
};

/* One (record, rule) pair, collected with SC_EVAL_EXPLAIN. */
struct sc_contrib {
	size_t record;
	int rule;
	int64_t points;  /* what the record is worth under the rule */
	sc_day from, until; /* its window [from, until); until SC_DAY_NONE: open */
	enum sc_contrib_state state; /* counted only when ACTIVE */
};

enum sc_decision {
	SC_DECISION_ALLOW = 0,
	SC_DECISION_DENY = 1,
	SC_DECISION_GRANT = 2,
	/* a benefit not granted: the action's standard terms, never a denial */
	SC_DECISION_STANDARD = 3,
};
#define SC_DECISION_COUNT 4

enum sc_reason_kind {
	SC_REASON_LISTED = 0,        /* on a list the measure names */
	SC_REASON_GRADE = 1,         /* grade reaches the measure's */
	SC_REASON_NOT_LISTED = 2,    /* missing: not on the measure's lists */
	SC_REASON_GRADE_BELOW = 3,   /* missing: grade below the measure's */
	SC_REASON_NO_CONSENT = 4,    /* missing: no consent for the scorecard */
	SC_REASON_NOT_APPLICABLE = 5 /* missing: scorecard not for this kind */
};

struct sc_reason {
	enum sc_reason_kind kind;
	int measure;
	int list;        /* LISTED; -1 otherwise */
	long record;     /* LISTED: record index; -1 otherwise */
	sc_day since, until;
	int scorecard;   /* grade reasons; -1 otherwise */
	int grade;       /* the subject's grade, -1 when none */
	int need;        /* the grade the measure needs */
};

#define SC_EVAL_EXPLAIN 1u

struct sc_eval;

/* rb is borrowed and must outlive the sc_eval. NULL when out of memory. */
struct sc_eval *sc_eval_new(const struct sc_rulebook *rb);
void sc_eval_free(struct sc_eval *ev);

/* Evaluates s at date `at`. flags: SC_EVAL_EXPLAIN to collect every
 * contribution. SC_OK, SC_ENOMEM, or SC_ELIMIT (more records than
 * SC_LIMIT_SUBJECT_RECORDS). s is borrowed for the duration of the call and,
 * for record indices, until the results are read. */
enum sc_status sc_eval_subject(struct sc_eval *ev, const struct sc_subject *s,
			       sc_day at, unsigned flags);

const struct sc_card_result *sc_eval_card(const struct sc_eval *ev, int sc);
/* List intervals containing `at`, ordered by list then since. */
const struct sc_list_hit *sc_eval_lists(const struct sc_eval *ev, size_t *n);
bool sc_eval_listed(const struct sc_eval *ev, int list);
/* SC_EVAL_EXPLAIN only; ordered by record. */
const struct sc_contrib *sc_eval_contribs(const struct sc_eval *ev, size_t *n);
/* Sum of the rule's active contributions before (*raw) and after its cap. */
int64_t sc_eval_rule_total(const struct sc_eval *ev, int rule, int64_t *raw);

/* The day a record's last effect ends under rb: the latest end of its rules'
 * windows and list entries (rectification and revocation included; a record
 * no rule or list uses ends on its date). SC_DAY_NONE: it never ends (a rule
 * without lapse_days, an open-ended list). kind: the subject's. */
sc_day sc_eval_record_end(const struct sc_rulebook *rb, enum sc_kind kind,
			  const struct sc_eval_record *rec);

/* The rulebook ev evaluates under. */
const struct sc_rulebook *sc_eval_rulebook(const struct sc_eval *ev);

/* Sets ev's results as if sc_eval_subject had computed them: one card per
 * scorecard, and the list entries (in sc_eval_lists order) whose `record`
 * fields index the caller's own table. For answering from a decision
 * snapshot: sc_eval_check then decides exactly as after an evaluation.
 * SC_OK or SC_ENOMEM. */
enum sc_status sc_eval_restore(struct sc_eval *ev,
			       const struct sc_card_result *cards,
			       const struct sc_list_hit *hits, size_t nhits);

/* Decides `action` (an sc_rulebook_action_find index) for the subject last
 * evaluated. *reasons is borrowed like other results. SC_OK or SC_ENOMEM;
 * SC_EINVAL for an out-of-range action. */
enum sc_status sc_eval_check(struct sc_eval *ev, int action,
			     enum sc_decision *decision,
			     const struct sc_reason **reasons, size_t *n);
/* "allow", "deny", "grant", "standard". A restriction answers allow or
 * deny; a benefit grant or standard (a version published before actions
 * were kept apart may also deny a benefit on its lists). */
const char *sc_decision_name(enum sc_decision d);
/* "listed", "grade", "not_listed", "grade_below", "no_consent",
 * "not_applicable". */
const char *sc_reason_kind_name(enum sc_reason_kind k);
/* "scored", "no_consent", "not_applicable". */
const char *sc_card_status_name(enum sc_card_status st);
/* "active", "not_yet", "lapsed", "rectified", "revoked", "not_applicable",
 * "suspended". */
const char *sc_contrib_state_name(enum sc_contrib_state st);

#endif
