/* Fuzzes the value parsers a record line goes through: subject ids under
 * every scheme (check characters included), kinds, ops, dates, amounts,
 * record ids and free text. Beyond not crashing: an id accepted is
 * accepted again (the classification is a pure function), a date that
 * parses formats back to the same text, and an amount that parses formats
 * to a text that parses to the same amount. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "socred/date.h"
#include "socred/id.h"
#include "socred/record.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct sc_diag d;
	enum sc_kind k1, k2;
	enum sc_op op;
	int64_t amount, again;
	sc_day day;
	char buf[64];

	if (sc_id_classify(~0u, s, size, &k1, &d) == SC_OK &&
	    (sc_id_classify(~0u, s, size, &k2, &d) != SC_OK || k1 != k2))
		abort();
	sc_kind_parse(s, size);
	sc_op_parse(s, size, &op, &d);
	sc_record_id_check(s, size, &d);
	sc_text_check(s, size, 256, &d);
	if (sc_date_parse(s, size, &day)) {
		sc_date_format(day, buf);
		if (strlen(buf) != size || memcmp(buf, s, size))
			abort();
	}
	if (sc_amount_parse(s, size, &amount, &d) == SC_OK) {
		sc_amount_format(amount, buf, sizeof(buf));
		if (sc_amount_parse(buf, strlen(buf), &again, &d) != SC_OK || again != amount)
			abort();
	}
	return 0;
}
