/* The evaluator's scratch space, shared by eval.c and decision.c. */
#ifndef SOCRED_EVAL_IMPL_H
#define SOCRED_EVAL_IMPL_H

#include "socred/arena.h"
#include "rulebook_impl.h"
#include "socred/eval.h"

struct sc_eval {
	const struct sc_rulebook *rb;
	const struct sc_subject *subject;
	int64_t *rule_raw;           /* [nrules] */
	int64_t *rule_capped;        /* [nrules] */
	struct sc_card_result *cards; /* [nscorecards] */
	struct sc_list_hit *hits;
	size_t nhits, cap_hits;
	struct sc_contrib *contribs;
	size_t ncontribs, cap_contribs;
	struct sc_reason *reasons;
	size_t nreasons, cap_reasons;
};

#endif
