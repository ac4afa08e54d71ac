/* Fuzzes the rulebook compiler (libyaml, then the schema and its limits).
 * A rulebook that compiles is then put to work: a subject holding one
 * record of each of its first types is evaluated, and every action checked. */
#include <stdlib.h>

#include "harness.h"
#include "socred/eval.h"
#include "socred/record.h"
#include "socred/rulebook.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sc_rulebook *rb = NULL;
	struct sc_eval *ev = NULL;
	struct sc_eval_record recs[8];
	struct sc_subject subj = {.kind = SC_KIND_PERSON, .recs = recs};
	struct sc_diag d;
	sc_day at = 20000; /* 2024-10-04 */

	if (sc_rulebook_compile((const char *)data, size, "fuzz", &rb, &d))
		return 0;
	for (int i = 0; i < 8; i++) {
		recs[subj.nrecs++] = (struct sc_eval_record){
			.rid = i + 1, .date = at - 400 + 50 * i, .rectified = SC_DAY_NONE,
			.revoked = i == 7 ? at - 10 : SC_DAY_NONE,
			.type = (size_t)i < sc_rulebook_type_count(rb) ? i : -1,
			.amount = SC_AMOUNT_NONE, .suspended_from = SC_DAY_NONE,
			.suspended_until = SC_DAY_NONE};
	}
	if (!(ev = sc_eval_new(rb)))
		goto out;
	for (int kind = 0; kind < 2; kind++) {
		subj.kind = kind ? SC_KIND_ORG : SC_KIND_PERSON;
		if (sc_eval_subject(ev, &subj, at, SC_EVAL_EXPLAIN))
			continue;
		for (size_t a = 0; a < sc_rulebook_action_count(rb); a++) {
			enum sc_decision dec;
			const struct sc_reason *why;
			size_t n;
			sc_eval_check(ev, (int)a, &dec, &why, &n);
		}
	}
out:
	sc_eval_free(ev);
	sc_rulebook_free(rb);
	return 0;
}
