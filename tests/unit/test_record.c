/* Record fields: amounts, ops, record ids, text, categories. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "socred/record.h"
#include "socred/rulebook.h"

static enum sc_status amt(const char *s, int64_t *v, struct sc_diag *d)
{
	sc_diag_clear(d);
	return sc_amount_parse(s, strlen(s), v, d);
}

static void amounts(void **state)
{
	int64_t v;
	struct sc_diag d;
	char buf[32];

	(void)state;
	assert_int_equal(amt("12", &v, &d), SC_OK);
	assert_int_equal(v, 120000);
	assert_int_equal(amt("12.5", &v, &d), SC_OK);
	assert_int_equal(v, 125000);
	assert_int_equal(amt("0.0001", &v, &d), SC_OK);
	assert_int_equal(v, 1);
	assert_int_equal(amt("99999999999999.9999", &v, &d), SC_OK);
	assert_int_equal(v, 999999999999999999);
	assert_int_equal(amt("999999999999999", &v, &d), SC_ELIMIT);
	assert_string_equal(d.message, "amount '999999999999999' is too large: at most 14 integer digits");
	sc_amount_format(125000, buf, sizeof(buf));
	assert_string_equal(buf, "12.5");
	sc_amount_format(120000, buf, sizeof(buf));
	assert_string_equal(buf, "12");
	assert_int_equal(amt("-1", &v, &d), SC_EINVAL);
	assert_string_equal(d.message, "amount '-1' is negative");
	assert_int_equal(amt("NaN", &v, &d), SC_EINVAL);
	assert_int_equal(amt("1e400", &v, &d), SC_EINVAL);
	assert_int_equal(amt("12.", &v, &d), SC_EINVAL);
	assert_int_equal(amt(".5", &v, &d), SC_EINVAL);
	assert_int_equal(amt("", &v, &d), SC_EINVAL);
	assert_int_equal(amt("1.00001", &v, &d), SC_ELIMIT);
}

static void ops(void **state)
{
	enum sc_op op;
	struct sc_diag d;

	(void)state;
	sc_diag_clear(&d);
	assert_int_equal(sc_op_parse("", 0, &op, &d), SC_OK);
	assert_int_equal(op, SC_OP_ADD);
	assert_int_equal(sc_op_parse("withdraw", 8, &op, &d), SC_OK);
	assert_int_equal(op, SC_OP_WITHDRAW);
	assert_int_equal(sc_op_parse("delete", 6, &op, &d), SC_EINVAL);
	assert_string_equal(d.field, "op");
}

static void record_ids_and_text(void **state)
{
	struct sc_diag d;
	char big[80];

	(void)state;
	sc_diag_clear(&d);
	assert_int_equal(sc_record_id_check("court/2024:1-a_b.c", 18, &d), SC_OK);
	assert_int_equal(sc_record_id_check("a b", 3, &d), SC_EINVAL);
	assert_int_equal(sc_record_id_check("x'; DROP TABLE records;--", 25, &d), SC_EINVAL);
	memset(big, 'a', sizeof(big));
	assert_int_equal(sc_record_id_check(big, 65, &d), SC_ELIMIT);
	assert_int_equal(sc_text_check("(2024) \xe4\xba\xac 0105", 13, 256, &d), SC_OK);
	assert_int_equal(sc_text_check("\xff\xfe", 2, 256, &d), SC_EINVAL);
	assert_int_equal(sc_text_check("\xed\xa0\x80", 3, 256, &d), SC_EINVAL); /* surrogate */
	assert_int_equal(sc_text_check("a\tb", 3, 256, &d), SC_EINVAL);
	assert_int_equal(sc_text_check("abcd", 4, 3, &d), SC_ELIMIT);
}

static void categories(void **state)
{
	struct sc_diag d;

	(void)state;
	sc_diag_clear(&d);
	assert_int_equal(sc_type_check("court.judgment_default", 22, &d), SC_OK);
	assert_int_equal(sc_type_check("speech.post", 11, &d), SC_EREFUSED);
	assert_non_null(strstr(d.message, "socred does not score speech"));
	assert_int_equal(sc_type_check("religion.x", 10, &d), SC_EREFUSED);
	assert_int_equal(sc_type_check("relationship.x", 14, &d), SC_EREFUSED);
	assert_int_equal(sc_type_check("gossip.x", 8, &d), SC_EINVAL);
	assert_non_null(strstr(d.message, "unknown category 'gossip'"));
	assert_int_equal(sc_type_check("court", 5, &d), SC_EINVAL);
	assert_int_equal(sc_type_check("court.", 6, &d), SC_EINVAL);
	assert_int_equal(sc_type_check("Court.x", 7, &d), SC_EINVAL);
	assert_int_equal(sc_type_check("consumption.x", 13, &d), SC_EREFUSED);
	assert_non_null(strstr(d.message, "what a person buys"));
	assert_int_equal(sc_type_check("leisure.x", 9, &d), SC_EREFUSED);
	assert_non_null(strstr(d.message, "free time"));
	assert_int_equal(sc_type_check("family.x", 8, &d), SC_EREFUSED);
	assert_non_null(strstr(d.message, "through a court's judgment"));
	/* a category named like a refused one's prefix is merely unknown */
	assert_int_equal(sc_type_check("leisur.x", 8, &d), SC_EINVAL);
}

static void effects(void **state)
{
	struct sc_diag d;

	(void)state;
	sc_diag_clear(&d);
	assert_int_equal(sc_type_check_effect("commerce.fraud", false, &d), SC_OK);
	assert_int_equal(sc_type_check_effect("commerce.fraud", true, &d), SC_EREFUSED);
	assert_non_null(strstr(d.message, "type 'commerce.fraud' rewards a subject"));
	assert_int_equal(sc_type_check_effect("civic.honour", true, &d), SC_OK);
	assert_int_equal(sc_type_check_effect("civic.honour", false, &d), SC_EREFUSED);
	assert_non_null(strstr(d.message, "type 'civic.honour' penalises a subject"));
	assert_int_equal(sc_type_check_effect("court.x", true, &d), SC_OK);
	assert_int_equal(sc_type_check_effect("court.x", false, &d), SC_OK);
	/* the category is the part before the dot, not a prefix of it */
	assert_int_equal(sc_type_check_effect("commercex.y", true, &d), SC_OK);
	assert_int_equal(sc_type_check_effect("civics.y", false, &d), SC_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(amounts), cmocka_unit_test(ops),
		cmocka_unit_test(record_ids_and_text), cmocka_unit_test(categories),
		cmocka_unit_test(effects)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
