/* The evaluator on its own (no ledger): a score depends only on the
 * subject's own records; results are stable under record order; explain
 * lists every (record, rule) pair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "socred/eval.h"
#include "socred/record.h"

static struct sc_rulebook *rb;

static int setup(void **state)
{
	struct sc_diag d;

	(void)state;
	sc_diag_clear(&d);
	return sc_rulebook_load(SOURCE_DIR "/rulebooks/default.yaml", &rb, &d) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	sc_rulebook_free(rb);
	return 0;
}

static struct sc_eval_record rec(const char *type, const char *date)
{
	struct sc_eval_record r = {.rectified = SC_DAY_NONE, .revoked = SC_DAY_NONE,
				   .amount = SC_AMOUNT_NONE, .suspended_from = SC_DAY_NONE,
				   .suspended_until = SC_DAY_NONE};
	r.type = sc_rulebook_type_find(rb, type, strlen(type));
	sc_date_parse(date, 10, &r.date);
	return r;
}

static sc_day day(const char *s)
{
	sc_day d = 0;
	sc_date_parse(s, 10, &d);
	return d;
}

static void order_independent(void **state)
{
	struct sc_eval_record recs[4], rev[4];
	struct sc_eval_consent c = {.date = day("2020-01-01"), .scorecard = 0, .granted = true};
	struct sc_subject s = {.kind = SC_KIND_PERSON, .recs = recs, .nrecs = 4,
			       .consents = &c, .nconsents = 1};
	struct sc_eval *ev = sc_eval_new(rb);
	int32_t score;

	(void)state;
	recs[0] = rec("traffic.violation", "2025-01-01");
	recs[1] = rec("bank.arrears", "2025-02-01");
	recs[2] = rec("civic.blood_donation", "2025-03-01");
	recs[3] = rec("traffic.drunk_driving", "2025-04-01");
	for (int i = 0; i < 4; i++)
		rev[i] = recs[3 - i];
	assert_int_equal(sc_eval_subject(ev, &s, day("2025-06-01"), 0), SC_OK);
	score = sc_eval_card(ev, 0)->score;
	assert_int_equal(score, 1000 - 5 - 10 + 10 - 50);
	assert_string_equal(sc_rulebook_grade_name(rb, 0, sc_eval_card(ev, 0)->grade), "C");
	assert_int_equal(sc_eval_card(ev, 0)->capped_by, 3);
	s.recs = rev;
	assert_int_equal(sc_eval_subject(ev, &s, day("2025-06-01"), 0), SC_OK);
	assert_int_equal(sc_eval_card(ev, 0)->score, score);
	assert_int_equal(sc_eval_card(ev, 1)->status, SC_CARD_NOT_APPLICABLE);
	sc_eval_free(ev);
}

static void own_records_only(void **state)
{
	/* evaluating another subject in between leaves no trace */
	struct sc_eval_record bad = rec("court.judgment_default", "2025-01-01");
	struct sc_eval_consent c = {.date = day("2020-01-01"), .scorecard = 0, .granted = true};
	struct sc_subject a = {.kind = SC_KIND_PERSON, .recs = &bad, .nrecs = 1,
			       .consents = &c, .nconsents = 1};
	struct sc_subject b = {.kind = SC_KIND_PERSON, .consents = &c, .nconsents = 1};
	struct sc_eval *ev = sc_eval_new(rb);

	(void)state;
	assert_int_equal(sc_eval_subject(ev, &a, day("2025-06-01"), 0), SC_OK);
	assert_int_equal(sc_eval_card(ev, 0)->score, 900);
	assert_true(sc_eval_listed(ev, sc_rulebook_list_find(rb, "judgment_defaulters", 19)));
	assert_int_equal(sc_eval_subject(ev, &b, day("2025-06-01"), 0), SC_OK);
	assert_int_equal(sc_eval_card(ev, 0)->score, 1000);
	assert_false(sc_eval_listed(ev, sc_rulebook_list_find(rb, "judgment_defaulters", 19)));
	sc_eval_free(ev);
}

static void explain_pairs(void **state)
{
	struct sc_eval_record r[2];
	struct sc_subject s = {.kind = SC_KIND_ORG, .recs = r, .nrecs = 2};
	struct sc_eval *ev = sc_eval_new(rb);
	const struct sc_contrib *c;
	size_t n;

	(void)state;
	/* court.judgment_default has a rule in both scorecards */
	r[0] = rec("court.judgment_default", "2025-01-01");
	r[1] = rec("tax.late_filing", "2023-01-01");
	assert_int_equal(sc_eval_subject(ev, &s, day("2025-06-01"), SC_EVAL_EXPLAIN), SC_OK);
	c = sc_eval_contribs(ev, &n);
	assert_int_equal(n, 3);
	assert_int_equal(c[0].state, SC_CONTRIB_NOT_APPLICABLE); /* public, persons only */
	assert_int_equal(c[1].state, SC_CONTRIB_ACTIVE);
	assert_int_equal(c[1].points, -40);
	assert_int_equal(c[2].state, SC_CONTRIB_LAPSED);
	assert_int_equal(sc_eval_card(ev, 1)->score, 60);
	sc_eval_free(ev);
}

static void unknown_types_ignored(void **state)
{
	struct sc_eval_record r = rec("court.judgment_default", "2025-01-01");
	struct sc_subject s = {.kind = SC_KIND_ORG, .recs = &r, .nrecs = 1};
	struct sc_eval *ev = sc_eval_new(rb);

	(void)state;
	r.type = -1; /* a type no rule of this rulebook uses */
	assert_int_equal(sc_eval_subject(ev, &s, day("2025-06-01"), 0), SC_OK);
	assert_int_equal(sc_eval_card(ev, 1)->score, 100);
	sc_eval_free(ev);
}

static void suspended_by_dispute(void **state)
{
	/* a court finding disputed on 2025-01-10, deadline 2025-02-09, decided
	 * (upheld) on 2025-03-01: it stops counting, for points and lists,
	 * from the deadline until the decision */
	struct sc_eval_record r = rec("court.judgment_default", "2025-01-01");
	struct sc_eval_consent c = {.date = day("2020-01-01"), .scorecard = 0, .granted = true};
	struct sc_subject s = {.kind = SC_KIND_PERSON, .recs = &r, .nrecs = 1,
			       .consents = &c, .nconsents = 1};
	struct sc_eval *ev = sc_eval_new(rb);
	int l = sc_rulebook_list_find(rb, "judgment_defaulters", 19);
	const struct sc_contrib *k;
	size_t n;

	(void)state;
	r.suspended_from = day("2025-02-09");
	r.suspended_until = day("2025-03-01");
	assert_int_equal(sc_eval_subject(ev, &s, day("2025-02-08"), 0), SC_OK);
	assert_int_equal(sc_eval_card(ev, 0)->score, 900);
	assert_true(sc_eval_listed(ev, l));
	assert_int_equal(sc_eval_subject(ev, &s, day("2025-02-09"), SC_EVAL_EXPLAIN), SC_OK);
	assert_int_equal(sc_eval_card(ev, 0)->score, 1000);
	assert_false(sc_eval_listed(ev, l));
	k = sc_eval_contribs(ev, &n);
	assert_int_equal(k[0].state, SC_CONTRIB_SUSPENDED);
	assert_string_equal(sc_contrib_state_name(k[0].state), "suspended");
	assert_int_equal(sc_eval_subject(ev, &s, day("2025-03-01"), 0), SC_OK);
	assert_int_equal(sc_eval_card(ev, 0)->score, 900);
	assert_true(sc_eval_listed(ev, l));
	/* undecided: suspended for good */
	r.suspended_until = SC_DAY_NONE;
	assert_int_equal(sc_eval_subject(ev, &s, day("2026-01-01"), 0), SC_OK);
	assert_int_equal(sc_eval_card(ev, 0)->score, 1000);
	sc_eval_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(order_independent), cmocka_unit_test(own_records_only),
		cmocka_unit_test(explain_pairs), cmocka_unit_test(unknown_types_ignored),
		cmocka_unit_test(suspended_by_dispute)};
	return cmocka_run_group_tests(tests, setup, teardown);
}
