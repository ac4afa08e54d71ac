/* RFC 4180 field splitting: quoted fields, "" escapes, embedded newlines.
 * Hand-written rather than libcsv: it is ingest's hot path, and it works on
 * the bounded record the reader already holds. */
#include "reader.h"

enum sc_status sc_csv_split(const char *rec, size_t len, char *scratch,
			    struct sc_text *f, size_t *n, struct sc_diag *d)
{
	size_t i = 0, nf = 0;
	char *w = scratch;

	for (;;) {
		char *start = w;
		if (nf == SC_LIMIT_FIELDS)
			return sc_diag_set(d, SC_ELIMIT, NULL, 0, 0, NULL,
					   "more than %d fields", SC_LIMIT_FIELDS);
		if (i < len && rec[i] == '"') {
			for (i++;; i++) {
				if (i >= len)
					return sc_diag_set(d, SC_ESYNTAX, NULL, 0, 0, NULL,
							   "unterminated quoted field %zu", nf + 1);
				if (rec[i] == '"') {
					if (i + 1 < len && rec[i + 1] == '"') {
						*w++ = '"';
						i++;
						continue;
					}
					i++;
					break;
				}
				*w++ = rec[i];
			}
			if (i < len && rec[i] != ',')
				return sc_diag_set(d, SC_ESYNTAX, NULL, 0, 0, NULL,
						   "unexpected character after the closing quote of field %zu",
						   nf + 1);
		} else {
			for (; i < len && rec[i] != ','; i++) {
				if (rec[i] == '"')
					return sc_diag_set(d, SC_ESYNTAX, NULL, 0, 0, NULL,
							   "quote inside unquoted field %zu (quote the whole field)",
							   nf + 1);
				*w++ = rec[i];
			}
		}
		f[nf].p = start;
		f[nf].n = (size_t)(w - start);
		nf++;
		if (i >= len)
			break;
		i++; /* the comma */
	}
	*n = nf;
	return SC_OK;
}
