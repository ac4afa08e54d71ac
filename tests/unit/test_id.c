/* Identifiers: GB 11643 and GB 32100 check characters, classification. */
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "socred/id.h"

static enum sc_status classify(const char *id, enum sc_kind *k, struct sc_diag *d)
{
	sc_diag_clear(d);
	return sc_id_classify(SC_SCHEME_CN_RIC | SC_SCHEME_CN_USCC, id, strlen(id), k, d);
}

static void ric_valid(void **state)
{
	enum sc_kind k;
	struct sc_diag d;

	(void)state;
	assert_int_equal(sc_id_ric_check("36042619910101007"), '1');
	assert_int_equal(sc_id_ric_check("11010519491231002"), 'X');
	assert_int_equal(classify("360426199101010071", &k, &d), SC_OK);
	assert_int_equal(k, SC_KIND_PERSON);
	assert_int_equal(classify("11010519491231002X", &k, &d), SC_OK);
	assert_int_equal(d.warning, 0);
}

static void ric_wrong_check(void **state)
{
	enum sc_kind k;
	struct sc_diag d;

	(void)state;
	assert_int_equal(classify("360426199101010072", &k, &d), SC_EINVAL);
	assert_string_equal(d.message,
			    "resident identity number '360426199101010072' has a wrong check character: '2', expected '1'");
}

static void ric_bad_date_is_not_a_ric(void **state)
{
	enum sc_kind k;
	struct sc_diag d;

	(void)state;
	/* 1899 and February 30th are not dates from 1900 on: not a person */
	assert_int_equal(classify("360426189901010071", &k, &d), SC_EINVAL);
	assert_int_equal(classify("360426202502300071", &k, &d), SC_EINVAL);
	assert_non_null(strstr(d.message, "invalid subject id"));
}

static void uscc(void **state)
{
	enum sc_kind k;
	struct sc_diag d;

	(void)state;
	assert_int_equal(sc_id_uscc_check("91110000600037341"), 'L');
	assert_int_equal(classify("91110000600037341L", &k, &d), SC_OK);
	assert_int_equal(k, SC_KIND_ORG);
	assert_int_equal(d.warning, 0);
	/* wrong check character: accepted with a warning (pilot codes) */
	assert_int_equal(classify("91110000600037341M", &k, &d), SC_OK);
	assert_int_equal(d.warning, 1);
	assert_int_equal(k, SC_KIND_ORG);
	/* letters outside the 31-symbol alphabet, or a bad first character */
	assert_int_equal(classify("91110000600037341I", &k, &d), SC_EINVAL);
	assert_int_equal(classify("21110000600037341L", &k, &d), SC_EINVAL);
	assert_int_equal(sc_id_uscc_check("9111000060003734O"), 0);
}

static void date_shaped_uscc(void **state)
{
	enum sc_kind k;
	struct sc_diag d;
	char ric[19];

	(void)state;
	/* characters 7-14 read 2600-01-01: RIC-shaped, but the RIC check fails
	 * and the USCC check holds: an organisation */
	assert_int_equal(classify("913604260001017841", &k, &d), SC_OK);
	assert_int_equal(k, SC_KIND_ORG);
	assert_int_equal(d.warning, 0);
	/* the same 17 characters with the RIC check character: still an
	 * organisation (no one is born in 2600), with the USCC warning */
	assert_int_equal(classify("913604260001017848", &k, &d), SC_OK);
	assert_int_equal(k, SC_KIND_ORG);
	assert_int_equal(d.warning, 1);
	/* a generated organisation whose RIC check holds by chance */
	assert_int_equal(classify("913604260002237818", &k, &d), SC_OK);
	assert_int_equal(k, SC_KIND_ORG);
	/* 2099 is still a birth year: a person */
	snprintf(ric, sizeof(ric), "11010120991231001%c", sc_id_ric_check("11010120991231001"));
	assert_int_equal(classify(ric, &k, &d), SC_OK);
	assert_int_equal(k, SC_KIND_PERSON);
	/* neither check holds on a real birth date: rejected as a resident
	 * identity number */
	assert_int_equal(classify("110101199001010012", &k, &d), SC_EINVAL);
	assert_non_null(strstr(d.message, "resident identity number"));
}

static void opaque(void **state)
{
	enum sc_kind k = SC_KIND_PERSON;
	struct sc_diag d;
	char long_id[70];

	(void)state;
	sc_diag_clear(&d);
	assert_int_equal(sc_id_classify(SC_SCHEME_ANY, "a.b:c-d_9", 9, &k, &d), SC_OK);
	assert_int_equal(k, SC_KIND_NONE);
	assert_int_equal(sc_id_classify(SC_SCHEME_ANY, "a b", 3, &k, &d), SC_EINVAL);
	memset(long_id, 'a', 65);
	assert_int_equal(sc_id_classify(SC_SCHEME_ANY, long_id, 65, &k, &d), SC_EINVAL);
	assert_int_equal(sc_id_classify(SC_SCHEME_ANY, long_id, 64, &k, &d), SC_OK);
	assert_int_equal(sc_id_classify(SC_SCHEME_ANY, "", 0, &k, &d), SC_EINVAL);
}

static void kinds(void **state)
{
	(void)state;
	assert_int_equal(sc_kind_parse("person", 6), SC_KIND_PERSON);
	assert_int_equal(sc_kind_parse("org", 3), SC_KIND_ORG);
	assert_int_equal(sc_kind_parse("orgs", 4), SC_KIND_NONE);
	assert_string_equal(sc_kind_name(SC_KIND_ORG), "org");
	assert_null(sc_kind_name(SC_KIND_NONE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ric_valid), cmocka_unit_test(ric_wrong_check),
		cmocka_unit_test(ric_bad_date_is_not_a_ric), cmocka_unit_test(uscc),
		cmocka_unit_test(date_shaped_uscc), cmocka_unit_test(opaque),
		cmocka_unit_test(kinds)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
