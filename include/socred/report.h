/* socred: the documents a subject, an enforcer or an operator reads, as
 * JSON (jansson). The command's text output and the HTTP API both render
 * these, so every explanation comes from one place. Each function returns a
 * new reference (caller json_decref's it), or NULL when out of memory. */
#ifndef SOCRED_REPORT_H
#define SOCRED_REPORT_H

#include <jansson.h>

#include "socred/arena.h"
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

/* The answer an enforcer gets to a check, as JSON text: sc_report_check's
 * document without what an enforcer may not learn (a reason's record,
 * record_type, source, ref and grade), byte for byte as
 * json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER) would print it. The hot
 * path of GET /v1/check: no JSON tree, no heap. */
struct sc_check_text {
	char *text;                      /* in the arena, NUL-terminated */
	size_t len;
	enum sc_decision decision;
	const struct sc_reason *reasons; /* borrowed from ev, as sc_eval_check's */
	size_t nreasons;
};
/* Decides action for the subject id last evaluated by ev. SC_OK, SC_ENOMEM
 * (the arena's limit), SC_EINVAL (an out-of-range action). */
enum sc_status sc_report_check_text(const struct sc_rulebook *rb, const char *id,
				    struct sc_eval *ev, int action, sc_day at,
				    struct sc_arena *a, struct sc_check_text *out);

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
