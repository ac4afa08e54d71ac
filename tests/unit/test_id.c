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
	/* 1899 is no birth year from 1900 on: not a person */
	assert_int_equal(classify("360426189901010071", &k, &d), SC_EINVAL);
	assert_non_null(strstr(d.message, "invalid subject id"));
	/* February 30th could be a birth date, and is none */
	assert_int_equal(classify("360426202502300071", &k, &d), SC_EINVAL);
	assert_string_equal(d.message,
			    "resident identity number '360426202502300071' has an impossible birth date: 2025-02-30");
}

/* A mistyped resident identity number never becomes an organisation, even
 * when the string passes as a unified social credit code: characters 7-14
 * that could be a birth date make it a person's id, whose birth date must
 * be real and not after today and whose check character must hold. */
static void ric_attempt_never_an_org(void **state)
{
	enum sc_kind k;
	struct sc_diag d;
	sc_day birth, today = sc_date_from_ymd(2026, 12, 7);

	(void)state;
	/* 110105199003071239 with its 4th digit mistyped: the USCC check holds */
	assert_int_equal(sc_id_uscc_check("11040519900307123"), '9');
	assert_int_equal(classify("110405199003071239", &k, &d), SC_EINVAL);
	assert_string_equal(d.message,
			    "resident identity number '110405199003071239' has a wrong check character: '9', expected '5'");
	/* an impossible birth date, though the USCC check holds */
	assert_int_equal(sc_id_uscc_check("91101919900230000"), '9');
	assert_int_equal(classify("911019199002300009", &k, &d), SC_EINVAL);
	assert_non_null(strstr(d.message, "impossible birth date: 1990-02-30"));
	/* day 31 of a 30-day month */
	assert_int_equal(classify("110105199004310011", &k, &d), SC_EINVAL);
	assert_non_null(strstr(d.message, "impossible birth date: 1990-04-31"));
	/* a birth date after today: rejected, valid from that day on */
	assert_int_equal(sc_id_classify_at(SC_SCHEME_CN_RIC | SC_SCHEME_CN_USCC,
					   "110101202612080017", 18, today, &k, &d), SC_EINVAL);
	assert_string_equal(d.message,
			    "resident identity number '110101202612080017' has a birth date in the future: 2026-12-08");
	assert_int_equal(sc_id_ric_check("11010120261208001"), '7');
	assert_int_equal(sc_id_classify_at(SC_SCHEME_CN_RIC | SC_SCHEME_CN_USCC,
					   "110101202612080017", 18, today + 1, &k, &d), SC_OK);
	assert_int_equal(k, SC_KIND_PERSON);
	/* the birth date of an attempt */
	assert_true(sc_id_ric_birth("110105199003071239", 18, &birth));
	assert_int_equal(birth, sc_date_from_ymd(1990, 3, 7));
	assert_false(sc_id_ric_birth("911019199002300009", 18, &birth));
	assert_false(sc_id_ric_birth("913604260002237818", 18, &birth));
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
	/* 2099 is still a birth year: a person's id, valid from that day */
	snprintf(ric, sizeof(ric), "11010120991231001%c", sc_id_ric_check("11010120991231001"));
	assert_int_equal(classify(ric, &k, &d), SC_EINVAL);
	assert_non_null(strstr(d.message, "birth date in the future: 2099-12-31"));
	assert_int_equal(sc_id_classify_at(SC_SCHEME_CN_RIC | SC_SCHEME_CN_USCC, ric, 18,
					   sc_date_from_ymd(2099, 12, 31), &k, &d), SC_OK);
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
		cmocka_unit_test(ric_bad_date_is_not_a_ric), cmocka_unit_test(ric_attempt_never_an_org),
		cmocka_unit_test(uscc),
		cmocka_unit_test(date_shaped_uscc), cmocka_unit_test(opaque),
		cmocka_unit_test(kinds)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
