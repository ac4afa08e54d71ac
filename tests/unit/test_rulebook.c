/* The rulebook compiler: the default rulebook, the dump, limits, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "socred/limits.h"
#include "socred/rulebook.h"

static struct sc_rulebook *load_default(void)
{
	struct sc_rulebook *rb = NULL;
	struct sc_diag d;

	sc_diag_clear(&d);
	if (sc_rulebook_load(SOURCE_DIR "/rulebooks/default.yaml", &rb, &d)) {
		char m[1024];
		sc_diag_format(&d, m, sizeof(m));
		fail_msg("default rulebook: %s", m);
	}
	return rb;
}

static void default_rulebook(void **state)
{
	struct sc_rulebook *rb = load_default();
	int t, l;

	(void)state;
	assert_string_equal(sc_rulebook_name(rb), "default");
	assert_string_equal(sc_rulebook_version(rb), "2026.1");
	assert_int_equal(sc_rulebook_scorecard_count(rb), 2);
	assert_int_equal(sc_rulebook_rule_count(rb), 30);
	assert_int_equal(sc_rulebook_list_count(rb), 4);
	assert_int_equal(sc_rulebook_action_count(rb), 18);
	t = sc_rulebook_type_find(rb, "court.judgment_default", 22);
	assert_true(t >= 0);
	l = sc_rulebook_list_find(rb, "judgment_defaulters", 19);
	assert_true(sc_rulebook_list_entered_by(rb, l, t));
	assert_true(sc_rulebook_type_needs_amount(rb, sc_rulebook_type_find(rb, "civic.volunteering", 18)));
	assert_false(sc_rulebook_type_needs_amount(rb, t));
	/* mandates: only a court may file a court finding */
	assert_true(sc_rulebook_source_may_file(rb, sc_rulebook_source_find(rb, "court", 5), "court.judgment_default", 22));
	assert_false(sc_rulebook_source_may_file(rb, sc_rulebook_source_find(rb, "bank", 4), "court.judgment_default", 22));
	assert_true(sc_rulebook_source_may_file(rb, sc_rulebook_source_find(rb, "court", 5), "utility.arrears_judgment", 24));
	assert_false(sc_rulebook_source_may_file(rb, sc_rulebook_source_find(rb, "utility", 7), "utility.arrears_judgment", 24));
	/* every rule, list and measure cites a basis */
	for (size_t i = 0; i < sc_rulebook_rule_count(rb); i++)
		assert_true(strlen(sc_rulebook_rule_basis(rb, (int)i)) > 10);
	for (size_t i = 0; i < sc_rulebook_list_count(rb); i++)
		assert_true(strlen(sc_rulebook_list_basis(rb, (int)i)) > 10);
	for (size_t i = 0; i < sc_rulebook_measure_count(rb); i++) {
		assert_true(strlen(sc_rulebook_measure_basis(rb, (int)i)) > 10);
		assert_true(strlen(sc_rulebook_measure_issuer(rb, (int)i)) > 3);
	}
	sc_rulebook_free(rb);
}

static void dump(void **state)
{
	struct sc_rulebook *rb = load_default();
	char *d = sc_rulebook_dump(rb);

	(void)state;
	assert_non_null(d);
	assert_non_null(strstr(d, "r12  traffic.violation            -5  lapse 365d  floor -50"));
	assert_non_null(strstr(d, "grade_cap C"));
	assert_non_null(strstr(d, "deny if listed on judgment_defaulters"));
	assert_non_null(strstr(d, "grant if public grade >= AAA"));
	free(d);
	sc_rulebook_free(rb);
}

static void too_big(void **state)
{
	size_t n = SC_LIMIT_RULEBOOK_BYTES + 1;
	char *text = malloc(n);
	struct sc_rulebook *rb = NULL;
	struct sc_diag d;

	(void)state;
	memset(text, '#', n);
	sc_diag_clear(&d);
	assert_int_equal(sc_rulebook_compile(text, n, "big", &rb, &d), SC_ELIMIT);
	assert_null(rb);
	assert_string_equal(d.message, "rulebook is over the limit of 1048576 bytes");
	free(text);
}

static void nul_and_deep_nesting(void **state)
{
	struct sc_rulebook *rb = NULL;
	struct sc_diag d;
	char deep[4096];
	size_t n = 0;

	(void)state;
	sc_diag_clear(&d);
	assert_int_equal(sc_rulebook_compile("a\0b", 3, "nul", &rb, &d), SC_ESYNTAX);
	n += (size_t)sprintf(deep, "rulebook: x\nversion: v\nid_schemes: [any]\nsources: ");
	for (int i = 0; i < 1000; i++)
		deep[n++] = '[';
	for (int i = 0; i < 1000; i++)
		deep[n++] = ']';
	deep[n++] = '\n';
	assert_int_equal(sc_rulebook_compile(deep, n, "deep", &rb, &d), SC_ESYNTAX);
	assert_null(rb);
}

/* A version published before benefits stated their standard terms, with an
 * action mixing a denial and a grant: refused as a new rulebook, still
 * loaded from a ledger, the benefit with the default terms. */
static void stored_before_standard_terms(void **state)
{
	static const char text[] =
		"rulebook: old\nversion: \"1\"\nid_schemes: [any]\n"
		"sources: [{name: court, may_file: [\"court.*\"]}]\n"
		"scorecards: [{name: s, applies_to: [person], consent: required, base: 0, min: 0, max: 10,\n"
		"  grades: [{grade: A, min: 5}, {grade: D, min: 0}], rules: []}]\n"
		"lists: [{name: l, kind: black, applies_to: [person], entered_by: [court.x], duration_days: 9, basis: b}]\n"
		"measures:\n"
		"  - {action: fly, deny_if_listed: [l], issued_by: x, basis: b}\n"
		"  - {action: fly, grant_if_grade_at_least: A, scorecard: s, issued_by: x, basis: b}\n"
		"  - {action: heat, grant_if_grade_at_least: A, scorecard: s, issued_by: x, basis: b}\n";
	struct sc_rulebook *rb = NULL;
	struct sc_diag d;
	int a;

	(void)state;
	sc_diag_clear(&d);
	assert_int_equal(sc_rulebook_compile(text, sizeof(text) - 1, "new", &rb, &d), SC_ESYNTAX);
	assert_null(rb);
	assert_int_equal(sc_rulebook_compile_flags(text, sizeof(text) - 1, "stored",
						   SC_RULEBOOK_STORED, &rb, &d), SC_OK);
	a = sc_rulebook_action_find(rb, "heat", 4);
	assert_true(sc_rulebook_action_is_benefit(rb, a));
	assert_string_equal(sc_rulebook_action_standard_terms(rb, a), SC_RULEBOOK_DEFAULT_TERMS);
	sc_rulebook_free(rb);
}

/* A commerce type earning points or a civic type costing them: refused as
 * a new rulebook, still loaded from a ledger. */
static void stored_before_effect_signs(void **state)
{
	static const char text[] =
		"rulebook: old\nversion: \"1\"\nid_schemes: [any]\n"
		"sources: [{name: m, may_file: [\"commerce.*\", \"civic.*\"]}]\n"
		"scorecards: [{name: s, applies_to: [person], consent: required, base: 0, min: -9, max: 9,\n"
		"  grades: [{grade: A, min: 0}, {grade: D, min: -9}], rules: [\n"
		"  {type: commerce.purchase, points: 1, basis: b},\n"
		"  {type: civic.absence, points: -1, basis: b}]}]\n";
	struct sc_rulebook *rb = NULL;
	struct sc_diag d;

	(void)state;
	sc_diag_clear(&d);
	assert_int_equal(sc_rulebook_compile(text, sizeof(text) - 1, "new", &rb, &d), SC_EREFUSED);
	assert_null(rb);
	assert_non_null(strstr(d.message, "type 'commerce.purchase' rewards a subject"));
	assert_int_equal(sc_rulebook_compile_flags(text, sizeof(text) - 1, "stored",
						   SC_RULEBOOK_STORED, &rb, &d), SC_OK);
	assert_true(sc_rulebook_type_find(rb, "civic.absence", 13) >= 0);
	sc_rulebook_free(rb);
}

static void missing_file(void **state)
{
	struct sc_rulebook *rb = NULL;
	struct sc_diag d;

	(void)state;
	sc_diag_clear(&d);
	assert_int_equal(sc_rulebook_load("/nonexistent/x.yaml", &rb, &d), SC_EIO);
	assert_string_equal(d.source, "/nonexistent/x.yaml");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_rulebook), cmocka_unit_test(dump),
		cmocka_unit_test(too_big), cmocka_unit_test(nul_and_deep_nesting),
		cmocka_unit_test(missing_file),
		cmocka_unit_test(stored_before_standard_terms),
		cmocka_unit_test(stored_before_effect_signs)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
