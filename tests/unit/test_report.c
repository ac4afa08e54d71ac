/* The check answer written straight as text (sc_report_check_text) is, byte
 * for byte, what jansson prints for sc_report_check's document with the
 * fields an enforcer may not learn taken out: on generated subjects, every
 * action, and ids that need escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "socred/eval.h"
#include "socred/record.h"
#include "socred/report.h"

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

static sc_day day(const char *s)
{
	sc_day d = 0;
	sc_date_parse(s, 10, &d);
	return d;
}

/* The reference: the document, redacted as the enforcer's answer was
 * before it was written by hand, printed by jansson. Caller frees. */
static char *reference(const struct sc_loaded *l, struct sc_eval *ev, int a,
		       sc_day at, enum sc_decision *dec)
{
	static const char *const drop[] = {"record", "record_type", "source", "ref", "grade"};
	json_t *o = sc_report_check(rb, l, ev, a, at, dec), *r;
	size_t i;
	char *s;

	assert_non_null(o);
	json_array_foreach(json_object_get(o, "reasons"), i, r)
		for (size_t k = 0; k < sizeof(drop) / sizeof(drop[0]); k++)
			json_object_del(r, drop[k]);
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	assert_non_null(s);
	return s;
}

/* Compares the two for every action; counts the reasons seen by kind. */
static void compare(const struct sc_loaded *l, struct sc_eval *ev, sc_day at,
		    struct sc_arena *a, size_t kinds[8])
{
	for (size_t act = 0; act < sc_rulebook_action_count(rb); act++) {
		enum sc_decision dec;
		struct sc_check_text t;
		char *want = reference(l, ev, (int)act, at, &dec);
		assert_int_equal(sc_report_check_text(rb, l->id, ev, (int)act, at, a, &t), SC_OK);
		assert_int_equal(t.decision, dec);
		assert_int_equal(t.len, strlen(t.text));
		assert_string_equal(t.text, want);
		for (size_t i = 0; i < t.nreasons; i++)
			kinds[t.reasons[i].kind]++;
		free(want);
	}
}

static void same_as_jansson(void **state)
{
	static const char *const types[] = {
		"court.judgment_default", "traffic.drunk_driving", "traffic.violation",
		"bank.arrears", "tax.evasion", "tax.arrears", "civic.blood_donation",
		"civic.honour", "utility.theft", "commerce.fraud", "contract.breach_judgment"};
	const char *ids[8] = {"R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8"};
	const char *refs[8] = {"", "(2024) Jing 0105 Zhi 123", "", "", "", "", "", ""};
	const char *misc[8] = {"t", "t", "t", "t", "t", "t", "t", "t"};
	struct sc_eval *ev = sc_eval_new(rb);
	struct sc_arena a;
	size_t kinds[8] = {0};
	uint64_t seed = 42;

	(void)state;
	assert_non_null(ev);
	sc_arena_init(&a, 4096, 0);
	for (int n = 0; n < 3000; n++) {
		struct sc_eval_record recs[8];
		struct sc_eval_consent c = {.date = day("2020-01-01"), .scorecard = 0};
		struct sc_loaded l = {.id = "110101194001310007", .record_ids = ids,
				      .types = misc, .sources = misc, .refs = refs};
		size_t nrecs;
		seed = seed * 6364136223846793005u + 1442695040888963407u;
		nrecs = (seed >> 33) % 7;
		l.view.kind = (seed >> 40) & 1 ? SC_KIND_PERSON : SC_KIND_ORG;
		c.granted = (seed >> 41) & 1;
		for (size_t i = 0; i < nrecs; i++) {
			const char *t;
			seed = seed * 6364136223846793005u + 1442695040888963407u;
			t = types[(seed >> 33) % (sizeof(types) / sizeof(types[0]))];
			recs[i] = (struct sc_eval_record){
				.type = sc_rulebook_type_find(rb, t, strlen(t)),
				.date = day("2019-01-01") + (sc_day)((seed >> 45) % 2400),
				.amount = SC_AMOUNT_NONE, .rectified = SC_DAY_NONE,
				.revoked = SC_DAY_NONE, .suspended_from = SC_DAY_NONE,
				.suspended_until = SC_DAY_NONE};
		}
		l.view.recs = recs;
		l.view.nrecs = nrecs;
		l.view.consents = &c;
		l.view.nconsents = 1;
		assert_int_equal(sc_eval_subject(ev, &l.view, day("2025-06-01"), 0), SC_OK);
		compare(&l, ev, day("2025-06-01"), &a, kinds);
		sc_arena_clear(&a);
	}
	/* the population reached every part of the writer */
	assert_true(kinds[SC_REASON_LISTED] > 0);
	assert_true(kinds[SC_REASON_GRADE] + kinds[SC_REASON_GRADE_BELOW] > 0);
	assert_true(kinds[SC_REASON_NO_CONSENT] > 0);
	sc_arena_release(&a);
	sc_eval_free(ev);
}

static void escapes_like_jansson(void **state)
{
	/* an id is checked before it is answered for, but the writer must
	 * not rely on it: quotes, backslashes and control bytes */
	static const char *const weird[] = {"a\"b", "back\\slash", "line\nfeed\ttab",
					    "\x01\x1f\x7f", "\b\f\r", ""};
	struct sc_eval *ev = sc_eval_new(rb);
	struct sc_arena a;
	size_t kinds[8] = {0};

	(void)state;
	sc_arena_init(&a, 64, 0);
	for (size_t i = 0; i < sizeof(weird) / sizeof(weird[0]); i++) {
		struct sc_loaded l = {.id = weird[i], .view = {.kind = SC_KIND_PERSON}};
		assert_int_equal(sc_eval_subject(ev, &l.view, day("2025-06-01"), 0), SC_OK);
		compare(&l, ev, day("2025-06-01"), &a, kinds);
	}
	sc_arena_release(&a);
	sc_eval_free(ev);
}

static void long_answer(void **state)
{
	/* longer than the writer's stack buffer: it sizes, then writes again */
	struct sc_eval_record recs[40];
	const char *ids[40], *misc[40];
	struct sc_loaded l = {.id = "91110000100000000X", .record_ids = ids,
			      .types = misc, .sources = misc, .refs = misc};
	struct sc_eval *ev = sc_eval_new(rb);
	struct sc_arena a;
	size_t kinds[8] = {0};

	(void)state;
	for (size_t i = 0; i < 40; i++) {
		recs[i] = (struct sc_eval_record){
			.type = sc_rulebook_type_find(rb, "court.judgment_default", 22),
			.date = day("2025-01-01") + (sc_day)i, .amount = SC_AMOUNT_NONE,
			.rectified = SC_DAY_NONE, .revoked = SC_DAY_NONE,
			.suspended_from = SC_DAY_NONE, .suspended_until = SC_DAY_NONE};
		ids[i] = "R";
		misc[i] = "";
	}
	l.view = (struct sc_subject){.kind = SC_KIND_ORG, .recs = recs, .nrecs = 40};
	sc_arena_init(&a, 64, 0);
	assert_int_equal(sc_eval_subject(ev, &l.view, day("2025-06-01"), 0), SC_OK);
	compare(&l, ev, day("2025-06-01"), &a, kinds);
	assert_true(kinds[SC_REASON_LISTED] >= 40);
	sc_arena_release(&a);
	sc_eval_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_as_jansson), cmocka_unit_test(escapes_like_jansson),
		cmocka_unit_test(long_answer)};
	return cmocka_run_group_tests(tests, setup, teardown);
}
