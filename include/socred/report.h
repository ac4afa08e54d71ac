/* socred: the documents a subject, an enforcer or an operator reads, as
 * JSON (jansson). The command's text output and the HTTP API both render
 * these, so every explanation comes from one place. Each function returns a
 * new reference (caller json_decref's it), or NULL when out of memory. */
#ifndef SOCRED_REPORT_H
#define SOCRED_REPORT_H

#include <jansson.h>

#include "socred/eval.h"
#include "socred/rulebook.h"
#include "socred/store.h"

/* `ev` must have evaluated `l` at `at`. scorecard: -1 for none. */
json_t *sc_report_score(const struct sc_rulebook *rb, const struct sc_loaded *l,
			const struct sc_eval *ev, int scorecard, sc_day at);

/* Decides action for the evaluated subject. *decision receives it. */
json_t *sc_report_check(const struct sc_rulebook *rb, const struct sc_loaded *l,
			struct sc_eval *ev, int action, sc_day at,
			enum sc_decision *decision);

/* Every record, rule, contribution, window, cap and list entry. `ev` must
 * have evaluated with SC_EVAL_EXPLAIN. */
json_t *sc_report_explain(const struct sc_rulebook *rb,
			  const struct sc_loaded *l, const struct sc_eval *ev,
			  sc_day at);

/* The list entries of the evaluated subject (shared by the above). */
json_t *sc_report_lists(const struct sc_rulebook *rb, const struct sc_loaded *l,
			const struct sc_eval *ev);

/* The compiled rulebook: sources, scorecards with grades and rules, lists and
 * measures, each with its basis. */
json_t *sc_report_rulebook(const struct sc_rulebook *rb);

/* "YYYY-MM-DD", or JSON null for SC_DAY_NONE. */
json_t *sc_report_day(sc_day d);

#endif
