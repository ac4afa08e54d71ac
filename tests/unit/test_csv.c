/* The CSV splitter and the bounded record reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ingest/reader.h"

static char scratch[SC_LIMIT_LINE_BYTES + 512];

static size_t split(const char *rec, struct sc_text *f, enum sc_status want)
{
	struct sc_diag d;
	size_t n = 0;

	sc_diag_clear(&d);
	assert_int_equal(sc_csv_split(rec, strlen(rec), scratch, f, &n, &d), want);
	return n;
}

static void fields(void **state)
{
	struct sc_text f[SC_LIMIT_FIELDS];

	(void)state;
	assert_int_equal(split("a,,c", f, SC_OK), 3);
	assert_int_equal(f[1].n, 0);
	assert_int_equal(split("\"a,b\",\"say \"\"hi\"\"\",x", f, SC_OK), 3);
	assert_memory_equal(f[0].p, "a,b", 3);
	assert_int_equal(f[1].n, 8);
	assert_memory_equal(f[1].p, "say \"hi\"", 8);
	assert_int_equal(split("\"line\nbreak\"", f, SC_OK), 1);
	assert_int_equal(f[0].n, 10);
	assert_int_equal(split("", f, SC_OK), 1);
	split("a\"b", f, SC_ESYNTAX);
	split("\"ab\"c", f, SC_ESYNTAX);
	split("\"ab", f, SC_ESYNTAX);
}

static void too_many_fields(void **state)
{
	struct sc_text f[SC_LIMIT_FIELDS];
	char line[SC_LIMIT_FIELDS * 2 + 4];

	(void)state;
	memset(line, ',', SC_LIMIT_FIELDS);
	line[SC_LIMIT_FIELDS] = '\0';
	split(line, f, SC_ELIMIT);
	line[SC_LIMIT_FIELDS - 1] = '\0';
	assert_int_equal(split(line, f, SC_OK), SC_LIMIT_FIELDS);
}

static void reader(void **state)
{
	const char in[] = "\xEF\xBB\xBFh1,h2\r\n\"a\nb\",c\r\n\n x \nlast";
	FILE *f = fmemopen((void *)in, sizeof(in) - 1, "rb");
	struct sc_reader r;
	struct sc_line ln;
	struct sc_diag d;

	(void)state;
	assert_int_equal(sc_reader_init(&r, f, "t"), SC_OK);
	assert_int_equal(sc_reader_next(&r, true, &ln, &d), SC_OK);
	assert_int_equal(ln.line, 1);
	assert_int_equal(ln.len, 5); /* BOM and CR removed */
	assert_memory_equal(ln.raw, "h1,h2", 5);
	assert_int_equal(sc_reader_next(&r, true, &ln, &d), SC_OK);
	assert_int_equal(ln.line, 2);
	assert_int_equal(ln.len, 7);
	assert_int_equal(sc_reader_next(&r, true, &ln, &d), SC_OK);
	assert_int_equal(ln.line, 4);
	assert_int_equal(ln.len, 0);
	assert_int_equal(sc_reader_next(&r, true, &ln, &d), SC_OK);
	assert_int_equal(ln.line, 5);
	assert_int_equal(sc_reader_next(&r, true, &ln, &d), SC_OK);
	assert_int_equal(ln.line, 6);
	assert_memory_equal(ln.raw, "last", 4);
	assert_int_equal(sc_reader_next(&r, true, &ln, &d), SC_ENOTFOUND);
	assert_int_equal(r.consumed, sizeof(in) - 1);
	sc_reader_release(&r);
	fclose(f);
}

static void reader_limits(void **state)
{
	size_t n = SC_LIMIT_LINE_BYTES + 10;
	char *in = malloc(n + 16);
	FILE *f;
	struct sc_reader r;
	struct sc_line ln;
	struct sc_diag d;

	(void)state;
	memset(in, 'x', n);
	memcpy(in + n, "\nok\n\"open", 9);
	f = fmemopen(in, n + 9, "rb");
	assert_int_equal(sc_reader_init(&r, f, "t"), SC_OK);
	sc_diag_clear(&d);
	assert_int_equal(sc_reader_next(&r, true, &ln, &d), SC_ELIMIT);
	assert_string_equal(d.message, "line is longer than 65536 bytes");
	assert_int_equal(sc_reader_next(&r, true, &ln, &d), SC_OK);
	assert_int_equal(ln.line, 2);
	assert_int_equal(sc_reader_next(&r, true, &ln, &d), SC_ESYNTAX);
	assert_string_equal(d.message, "unterminated quoted field");
	sc_reader_release(&r);
	fclose(f);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fields), cmocka_unit_test(too_many_fields),
		cmocka_unit_test(reader), cmocka_unit_test(reader_limits)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
