/* Search keys (sc_text_fold): the forms a person would call the same text
 * give the same key; different names stay different. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "socred/record.h"

static char *key(const char *s)
{
	char *k = NULL;
	size_t n = 0;

	assert_int_equal(sc_text_fold(s, strlen(s), &k, &n), SC_OK);
	assert_int_equal(strlen(k), n);
	return k;
}

static void same(const char *a, const char *b)
{
	char *ka = key(a), *kb = key(b);

	assert_string_equal(ka, kb);
	free(ka);
	free(kb);
}

static void differ(const char *a, const char *b)
{
	char *ka = key(a), *kb = key(b);

	assert_string_not_equal(ka, kb);
	free(ka);
	free(kb);
}

static void case_width_and_form_fold_alike(void **state)
{
	(void)state;
	same("Zhang San", "zhang san");
	same("Zhang San", "ZHANG SAN");
	/* full-width Latin letters and the ideographic space */
	same("Zhang San", "\xef\xbc\xba\xef\xbd\x88\xef\xbd\x81\xef\xbd\x8e\xef\xbd\x87\xe3\x80\x80"
			  "\xef\xbc\xb3\xef\xbd\x81\xef\xbd\x8e");
	/* spaces: runs as one, none at the ends */
	same("Zhang San", "  Zhang   San ");
	/* composed and decomposed: e with diaeresis */
	same("Zo\xc3\xab", "Zoe\xcc\x88");
	same("ZO\xc3\x8b", "zo\xc3\xab");
	/* half-width and full-width katakana */
	same("\xef\xbd\xb6\xef\xbe\x80\xef\xbd\xb6\xef\xbe\x85", "\xe3\x82\xab\xe3\x82\xbf\xe3\x82\xab\xe3\x83\x8a");
	/* full-width digits and a lower-case check character */
	same("11010519491231002X", "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x90\xef\xbc\x91\xef\xbc\x90\xef\xbc\x95"
				   "\xef\xbc\x91\xef\xbc\x99\xef\xbc\x94\xef\xbc\x99\xef\xbc\x91\xef\xbc\x92"
				   "\xef\xbc\x93\xef\xbc\x91\xef\xbc\x90\xef\xbc\x90\xef\xbc\x92x");
	/* a one-character surname is its own key */
	same("\xe5\xbc\xa0", "\xe5\xbc\xa0");
}

static void different_names_stay_different(void **state)
{
	(void)state;
	differ("Zhang San", "Zhang Sa");
	differ("Zhang San", "ZhangSan");
	differ("\xe5\xbc\xa0\xe4\xb8\x89", "\xe5\xbc\xa0");
	differ("Zoe", "Zo\xc3\xab");
}

static void keys_are_stable_and_checked(void **state)
{
	char *k = key("Stra\xc3\x9f" "e"), *again;
	size_t n;

	(void)state;
	/* a key folds to itself */
	again = key(k);
	assert_string_equal(k, again);
	assert_string_equal(k, "strasse");
	free(again);
	free(k);
	k = key("   ");
	assert_string_equal(k, "");
	free(k);
	k = key("");
	assert_string_equal(k, "");
	free(k);
	assert_int_equal(sc_text_fold("Z\x8d", 2, &k, &n), SC_EINVAL);
	assert_int_equal(sc_text_fold("a\nb", 3, &k, &n), SC_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(case_width_and_form_fold_alike),
		cmocka_unit_test(different_names_stay_different),
		cmocka_unit_test(keys_are_stable_and_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
