/* Calendar dates: parsing, round trips, arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "socred/date.h"

static void parse_valid(void **state)
{
	sc_day d;

	(void)state;
	assert_true(sc_date_parse("1970-01-01", 10, &d));
	assert_int_equal(d, 0);
	assert_true(sc_date_parse("2024-02-29", 10, &d));
	assert_true(sc_date_parse("2000-02-29", 10, &d));
	assert_true(sc_date_parse("1900-01-01", 10, &d));
	assert_int_equal(d, -25567);
}

static void parse_invalid(void **state)
{
	sc_day d;
	const char *bad[] = {"2025-02-29", "2025-02-30", "1900-02-29", "2024-13-01",
			     "2024-00-10", "2024-01-32", "2024-1-01", "24-01-01",
			     "2024/01/01", "1899-12-31", "2024-01-0a", " 2024-01-01"};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(sc_date_parse(bad[i], strlen(bad[i]), &d));
}

static void round_trip(void **state)
{
	char buf[11];

	(void)state;
	for (sc_day d = -25567; d < 60000; d += 7) {
		sc_day back;
		sc_date_format(d, buf);
		assert_true(sc_date_parse(buf, 10, &back));
		assert_int_equal(back, d);
	}
	sc_date_format(sc_date_from_ymd(2024, 12, 31), buf);
	assert_string_equal(buf, "2024-12-31");
}

static void saturating_add(void **state)
{
	(void)state;
	assert_int_equal(sc_day_add(SC_DAY_NONE, 5), SC_DAY_NONE);
	assert_int_equal(sc_day_add(10, 5), 15);
	assert_int_equal(sc_day_add(SC_DAY_NONE - 1, 5), SC_DAY_NONE);
	/* the calendar ends on 9999-12-31: past it, a window never ends */
	assert_int_equal(sc_date_from_ymd(9999, 12, 31), SC_DAY_LAST);
	assert_int_equal(sc_day_add(SC_DAY_LAST - 5, 5), SC_DAY_LAST);
	assert_int_equal(sc_day_add(SC_DAY_LAST - 5, 6), SC_DAY_NONE);
}

/* A year past 9999 is never written modulo 10,000. */
static void no_year_modulo(void **state)
{
	char buf[11];

	(void)state;
	sc_date_format(SC_DAY_LAST + 400, buf);
	assert_string_equal(buf, "9999-12-31");
	sc_date_format(SC_DAY_NONE, buf);
	assert_string_equal(buf, "9999-12-31");
}

static void now_iso(void **state)
{
	/* the same text as gmtime_r and strftime, taken in the same second */
	(void)state;
	for (int tries = 0; tries < 5; tries++) {
		char got[32], want[32];
		time_t before = time(NULL), after;
		struct tm tm;
		sc_time_now_iso(got);
		after = time(NULL);
		if (before != after)
			continue;
		gmtime_r(&before, &tm);
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", &tm);
		assert_int_equal(strlen(got), 24);
		assert_memory_equal(got, want, 19);
		assert_true(got[19] == '.' && got[23] == 'Z');
		for (int i = 20; i < 23; i++)
			assert_true(got[i] >= '0' && got[i] <= '9');
		return;
	}
	fail_msg("the clock never stayed in one second");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_valid), cmocka_unit_test(parse_invalid),
		cmocka_unit_test(round_trip), cmocka_unit_test(saturating_add), cmocka_unit_test(no_year_modulo),
		cmocka_unit_test(now_iso)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
