/* One JSON object per line, with the CSV column names as keys (jansson). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "reader.h"

enum sc_status sc_jsonl_parse(const char *rec, size_t len, char *scratch,
			      struct sc_text cols[SC_COL_COUNT],
			      struct sc_diag *d)
{
	json_error_t jerr;
	json_t *obj = json_loadb(rec, len, JSON_REJECT_DUPLICATES, &jerr);
	const char *key;
	json_t *val;
	char *w = scratch;
	enum sc_status st = SC_OK;

	for (int i = 0; i < SC_COL_COUNT; i++)
		cols[i] = (struct sc_text){"", 0};
	if (!obj)
		return sc_diag_set(d, SC_ESYNTAX, NULL, 0, (unsigned long)jerr.column,
				   NULL, "invalid JSON: %s", jerr.text);
	if (!json_is_object(obj)) {
		st = sc_diag_set(d, SC_ESYNTAX, NULL, 0, 0, NULL,
				 "expected a JSON object per line");
		goto done;
	}
	json_object_foreach(obj, key, val) {
		int c = sc_col_find(key, strlen(key));
		size_t n;
		if (c < 0) {
			st = sc_diag_set(d, SC_ESYNTAX, NULL, 0, 0, NULL,
					 "unknown key '%.64s' (known: op, record_id, subject, type, date, amount, source, ref, kind, name)",
					 key);
			goto done;
		}
		if (json_is_null(val))
			continue;
		if (json_is_string(val)) {
			n = json_string_length(val);
			memcpy(w, json_string_value(val), n);
		} else if (json_is_integer(val)) {
			n = (size_t)sprintf(w, "%" JSON_INTEGER_FORMAT, json_integer_value(val));
		} else if (json_is_real(val)) {
			n = (size_t)sprintf(w, "%.15g", json_real_value(val));
		} else {
			st = sc_diag_set(d, SC_ESYNTAX, NULL, 0, 0, sc_col_name((enum sc_col)c),
					 "must be a string, a number or null");
			goto done;
		}
		cols[c].p = w;
		cols[c].n = n;
		w += n;
	}
done:
	json_decref(obj);
	return st;
}
