/* Line readers shared by the CSV and JSONL parsers: a buffered byte source
 * with bounded records. Not installed. */
#ifndef SOCRED_READER_H
#define SOCRED_READER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "socred/ingest.h"
#include "socred/limits.h"
#include "socred/store.h"

/* One logical record (a CSV record may span physical lines in quotes). */
struct sc_line {
	const char *raw;     /* borrowed until the next read */
	size_t len;
	unsigned long line;  /* physical line it starts on, 1-based */
};

struct sc_reader {
	FILE *f;
	const char *name;
	char *buf;           /* input buffer */
	size_t blen, bpos;
	bool eof;
	char *rec;           /* current record, SC_LIMIT_LINE_BYTES + 1 */
	size_t rlen;
	unsigned long next_line;
	uint64_t consumed;   /* bytes consumed */
	bool started;        /* BOM checked */
};

/* buf/rec are allocated here; release with sc_reader_release. */
enum sc_status sc_reader_init(struct sc_reader *r, FILE *f, const char *name);
void sc_reader_release(struct sc_reader *r);

/* Next record. quoted: CSV quoting (newlines inside quotes belong to the
 * record). SC_OK; SC_ENOTFOUND at end of input; SC_ELIMIT / SC_ESYNTAX for
 * an over-long record or an unterminated quote (the record is skipped, *out
 * still names its line and start); SC_EIO. */
enum sc_status sc_reader_next(struct sc_reader *r, bool quoted,
			      struct sc_line *out, struct sc_diag *d);

/* Splits a CSV record into fields. Unescaped text goes to scratch (at least
 * SC_LIMIT_LINE_BYTES bytes); f[] and *n receive the fields. SC_OK,
 * SC_ESYNTAX (stray quote), SC_ELIMIT (too many fields). */
enum sc_status sc_csv_split(const char *rec, size_t len, char *scratch,
			    struct sc_text *f, size_t *n, struct sc_diag *d);

/* Parses one JSONL object into columns (texts point into scratch, which
 * must hold SC_LIMIT_LINE_BYTES + 512 bytes). SC_OK or SC_ESYNTAX. */
enum sc_status sc_jsonl_parse(const char *rec, size_t len, char *scratch,
			      struct sc_text cols[SC_COL_COUNT],
			      struct sc_diag *d);

#endif
