/* Fuzzes the record readers (CSV or JSONL, by FUZZ_FORMAT) through the whole
 * ingest path, validation and the ledger included, into an in-memory ledger
 * (kept across inputs, so duplicates and events meet earlier records; a new
 * one every 256 inputs). Beyond not crashing: every data line is counted once as
 * accepted, duplicate or rejected, and a line reported rejected names a
 * line number within the input. */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "socred/ingest.h"

#ifndef FUZZ_FORMAT
#error "FUZZ_FORMAT: SC_FORMAT_CSV or SC_FORMAT_JSONL"
#endif

struct seen {
	unsigned long lines, max_line;
};

static void on_line(void *ctx, unsigned long line, enum sc_line_status status,
		    const struct sc_diag *d, struct sc_text subject, struct sc_text record_id)
{
	struct seen *s = ctx;

	(void)status;
	(void)d;
	(void)subject;
	(void)record_id;
	s->lines++;
	if (line > s->max_line)
		s->max_line = line;
}

static struct sc_store *st;
static unsigned uses;

static void close_store(void)
{
	sc_store_close(st);
	st = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_default_rulebook();
	atexit(close_store);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sc_ingest_stats stats = {0};
	struct seen seen = {0};
	struct sc_ingest_opts opts = {.format = FUZZ_FORMAT, .line = on_line, .ctx = &seen};
	struct sc_diag d;
	unsigned long newlines = 1;
	FILE *in;

	if (!size)
		return 0;
	for (size_t i = 0; i < size; i++)
		newlines += data[i] == '\n';
	if (!(in = fmemopen((void *)data, size, "rb")))
		return 0;
	if (st && ++uses % 256 == 0)
		close_store();
	if (!st && sc_store_open(":memory:", SC_STORE_CREATE, &st, &d)) {
		fprintf(stderr, "fuzz: cannot open an in-memory ledger: %s\n", d.message);
		abort();
	}
	sc_ingest_stream(st, fuzz_default_rulebook(), in, "fuzz", &opts, &stats, &d);
	if (stats.accepted + stats.duplicates + stats.rejected != stats.lines ||
	    seen.lines != stats.lines || seen.max_line > newlines) {
		fprintf(stderr, "fuzz: lines %llu, accepted %llu, duplicates %llu, rejected %llu,"
			" reported %lu, last line %lu of %lu\n",
			(unsigned long long)stats.lines, (unsigned long long)stats.accepted,
			(unsigned long long)stats.duplicates, (unsigned long long)stats.rejected,
			seen.lines, seen.max_line, newlines);
		abort();
	}
	fclose(in);
	return 0;
}
