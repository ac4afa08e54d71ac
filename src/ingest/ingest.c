/* The ingest driver: reads lines, validates every field against the
 * rulebook, files them in the ledger in batches, reports bad lines. */
#include <stdlib.h>
#include <string.h>

#include "reader.h"
#include "socred/date.h"
#include "socred/id.h"
#include "socred/process.h"
#include "socred/record.h"

static const char *const col_names[SC_COL_COUNT] = {
	"op", "record_id", "subject", "type", "date", "amount", "source", "ref", "kind",
	"name"};

const char *sc_col_name(enum sc_col c)
{
	return (unsigned)c < SC_COL_COUNT ? col_names[c] : "?";
}

int sc_col_find(const char *name, size_t len)
{
	for (int i = 0; i < SC_COL_COUNT; i++)
		if (strlen(col_names[i]) == len && !memcmp(col_names[i], name, len))
			return i;
	return -1;
}

struct ing {
	struct sc_store *st;
	const struct sc_rulebook *rb;
	const struct sc_ingest_opts *o;
	struct sc_ingest_stats *stats;
	const char *name;
	unsigned long line;
};

/* Field-level error: names the column. */
static enum sc_status ferr(enum sc_col c, struct sc_diag *d, enum sc_status st,
			   const char *msg)
{
	return sc_diag_set(d, st, NULL, 0, 0, sc_col_name(c), "%s", msg);
}

static enum sc_status unused(const struct sc_text *v, enum sc_op op,
			     const enum sc_col *cols, size_t n,
			     struct sc_diag *d)
{
	for (size_t i = 0; i < n; i++)
		if (v[cols[i]].n)
			return sc_diag_set(d, SC_EINVAL, NULL, 0, 0,
					   sc_col_name(cols[i]),
					   "field is not used by op '%s': leave it empty",
					   sc_op_name(op));
	return SC_OK;
}

static enum sc_status need(const struct sc_text *v, enum sc_col c,
			   enum sc_op op, struct sc_diag *d)
{
	if (v[c].n)
		return SC_OK;
	return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, sc_col_name(c),
			   "field is required for op '%s'", sc_op_name(op));
}

static enum sc_status parse_date(const struct sc_text *v, struct sc_diag *d,
				 sc_day *out)
{
	if (sc_date_parse(v[SC_COL_DATE].p, v[SC_COL_DATE].n, out))
		return SC_OK;
	return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "date",
			   "invalid date '%.*s': expected a real day as YYYY-MM-DD",
			   (int)(v[SC_COL_DATE].n > 32 ? 32 : v[SC_COL_DATE].n),
			   v[SC_COL_DATE].p);
}

/* Subject id and kind under the rulebook's schemes. */
static enum sc_status subject_kind(struct ing *g, const struct sc_text *v,
				   bool kind_required, enum sc_kind *kind,
				   struct sc_diag *d)
{
	unsigned schemes = sc_rulebook_id_schemes(g->rb);
	enum sc_status st;

	st = sc_id_classify(schemes, v[SC_COL_SUBJECT].p, v[SC_COL_SUBJECT].n, kind, d);
	if (st) {
		snprintf(d->field, sizeof(d->field), "subject");
		return st;
	}
	if (d->warning) {
		snprintf(d->field, sizeof(d->field), "subject");
		d->source[0] = '\0';
	}
	if (!(schemes & SC_SCHEME_ANY)) {
		if (v[SC_COL_KIND].n)
			return ferr(SC_COL_KIND, d, SC_EINVAL,
				    "kind is only used with the 'any' id scheme: the id says the kind");
		return SC_OK;
	}
	if (!v[SC_COL_KIND].n) {
		if (kind_required)
			return ferr(SC_COL_KIND, d, SC_EINVAL,
				    "kind (person or org) is required with the 'any' id scheme");
		return SC_OK;
	}
	*kind = sc_kind_parse(v[SC_COL_KIND].p, v[SC_COL_KIND].n);
	if (*kind == SC_KIND_NONE)
		return ferr(SC_COL_KIND, d, SC_EINVAL, "kind must be person or org");
	return SC_OK;
}

static enum sc_status check_source(struct ing *g, struct sc_text s,
				   struct sc_diag *d, int *out)
{
	int src = sc_rulebook_source_find(g->rb, s.p, s.n);

	if (src < 0) {
		char known[512];
		size_t k = 0;
		for (size_t i = 0; i < sc_rulebook_source_count(g->rb) && k < sizeof(known); i++)
			k += (size_t)snprintf(known + k, sizeof(known) - k, "%s%s",
					      i ? ", " : "", sc_rulebook_source_name(g->rb, (int)i));
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "source",
				   "unknown source '%.*s': the rulebook registers %s",
				   (int)(s.n > 64 ? 64 : s.n), s.p, known);
	}
	*out = src;
	return SC_OK;
}

static enum sc_status do_add(struct ing *g, const struct sc_text *v,
			     struct sc_diag *d)
{
	struct sc_store_add a = {0};
	enum sc_status st;
	int src, type;
	struct sc_diag warn;

	for (enum sc_col c = SC_COL_RECORD_ID; c <= SC_COL_SOURCE; c++)
		if (c != SC_COL_AMOUNT && (st = need(v, c, SC_OP_ADD, d)))
			return st;
	if (v[SC_COL_NAME].n)
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "name",
				   "field is not used by op 'add': leave it empty (names come with op 'register')");
	if ((st = sc_record_id_check(v[SC_COL_RECORD_ID].p, v[SC_COL_RECORD_ID].n, d)))
		return st;
	sc_diag_clear(&warn);
	if ((st = subject_kind(g, v, true, &a.kind, &warn))) {
		*d = warn;
		return st;
	}
	if ((st = sc_type_check(v[SC_COL_TYPE].p, v[SC_COL_TYPE].n, d)))
		return st;
	if ((st = check_source(g, v[SC_COL_SOURCE], d, &src)))
		return st;
	if (!sc_rulebook_source_may_file(g->rb, src, v[SC_COL_TYPE].p, v[SC_COL_TYPE].n))
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "type",
				   "source '%s' has no mandate to file '%.*s'",
				   sc_rulebook_source_name(g->rb, src),
				   (int)v[SC_COL_TYPE].n, v[SC_COL_TYPE].p);
	if ((st = parse_date(v, d, &a.date)))
		return st;
	a.amount = SC_AMOUNT_NONE;
	if (v[SC_COL_AMOUNT].n &&
	    (st = sc_amount_parse(v[SC_COL_AMOUNT].p, v[SC_COL_AMOUNT].n, &a.amount, d)))
		return st;
	type = sc_rulebook_type_find(g->rb, v[SC_COL_TYPE].p, v[SC_COL_TYPE].n);
	if (a.amount == SC_AMOUNT_NONE && type >= 0 &&
	    sc_rulebook_type_needs_amount(g->rb, type))
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "amount",
				   "type '%.*s' is scored per unit: amount is required",
				   (int)v[SC_COL_TYPE].n, v[SC_COL_TYPE].p);
	if ((st = sc_text_check(v[SC_COL_REF].p, v[SC_COL_REF].n, SC_LIMIT_REF, d))) {
		snprintf(d->field, sizeof(d->field), "ref");
		return st;
	}
	a.record_id = v[SC_COL_RECORD_ID];
	a.subject = v[SC_COL_SUBJECT];
	a.type = v[SC_COL_TYPE];
	a.source = v[SC_COL_SOURCE];
	a.ref = v[SC_COL_REF];
	st = sc_store_record_add(g->st, &a, d);
	if (st == SC_OK && warn.warning)
		*d = warn;
	return st;
}

static enum sc_status do_event(struct ing *g, enum sc_op op,
			       const struct sc_text *v, struct sc_diag *d)
{
	static const enum sc_col unused_cols[] = {SC_COL_SUBJECT, SC_COL_TYPE,
						  SC_COL_AMOUNT, SC_COL_KIND, SC_COL_NAME};
	struct sc_store_event e = {.op = op};
	enum sc_status st;
	int src;

	if ((st = need(v, SC_COL_RECORD_ID, op, d)) || (st = need(v, SC_COL_DATE, op, d)) ||
	    (st = unused(v, op, unused_cols, 5, d)) ||
	    (st = sc_record_id_check(v[SC_COL_RECORD_ID].p, v[SC_COL_RECORD_ID].n, d)) ||
	    (st = parse_date(v, d, &e.date)))
		return st;
	if (v[SC_COL_SOURCE].n && (st = check_source(g, v[SC_COL_SOURCE], d, &src)))
		return st;
	if ((st = sc_text_check(v[SC_COL_REF].p, v[SC_COL_REF].n, SC_LIMIT_REF, d))) {
		snprintf(d->field, sizeof(d->field), "ref");
		return st;
	}
	e.record_id = v[SC_COL_RECORD_ID];
	e.source = v[SC_COL_SOURCE];
	e.ref = v[SC_COL_REF];
	return sc_store_record_event(g->st, &e, d);
}

static enum sc_status do_consent(struct ing *g, enum sc_op op,
				 const struct sc_text *v, struct sc_diag *d)
{
	static const enum sc_col unused_cols[] = {SC_COL_RECORD_ID, SC_COL_AMOUNT,
						  SC_COL_SOURCE, SC_COL_REF, SC_COL_NAME};
	enum sc_kind kind = SC_KIND_NONE;
	struct sc_diag warn;
	enum sc_status st;
	sc_day date;
	int sc;

	if ((st = need(v, SC_COL_SUBJECT, op, d)) || (st = need(v, SC_COL_TYPE, op, d)) ||
	    (st = need(v, SC_COL_DATE, op, d)) || (st = unused(v, op, unused_cols, 5, d)))
		return st;
	sc_diag_clear(&warn);
	if ((st = subject_kind(g, v, false, &kind, &warn))) {
		*d = warn;
		return st;
	}
	sc = sc_rulebook_scorecard_find(g->rb, v[SC_COL_TYPE].p, v[SC_COL_TYPE].n);
	if (sc < 0)
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "type",
				   "unknown scorecard '%.*s': a %s names a scorecard in 'type'",
				   (int)(v[SC_COL_TYPE].n > 64 ? 64 : v[SC_COL_TYPE].n),
				   v[SC_COL_TYPE].p, sc_op_name(op));
	if (kind != SC_KIND_NONE && !sc_rulebook_scorecard_applies(g->rb, sc, kind))
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "type",
				   "scorecard '%s' does not apply to %s subjects",
				   sc_rulebook_scorecard_name(g->rb, sc), sc_kind_name(kind));
	if ((st = parse_date(v, d, &date)))
		return st;
	return sc_store_consent(g->st, v[SC_COL_SUBJECT], kind, v[SC_COL_TYPE],
				op == SC_OP_CONSENT, date, d);
}

static enum sc_status do_register(struct ing *g, const struct sc_text *v,
				  struct sc_diag *d)
{
	static const enum sc_col unused_cols[] = {SC_COL_RECORD_ID, SC_COL_TYPE,
						  SC_COL_AMOUNT, SC_COL_SOURCE, SC_COL_REF};
	enum sc_kind kind = SC_KIND_NONE;
	struct sc_diag warn;
	enum sc_status st;
	sc_day date;

	if ((st = need(v, SC_COL_SUBJECT, SC_OP_REGISTER, d)) ||
	    (st = need(v, SC_COL_NAME, SC_OP_REGISTER, d)) ||
	    (st = need(v, SC_COL_DATE, SC_OP_REGISTER, d)) ||
	    (st = unused(v, SC_OP_REGISTER, unused_cols, 5, d)))
		return st;
	sc_diag_clear(&warn);
	if ((st = subject_kind(g, v, false, &kind, &warn))) {
		*d = warn;
		return st;
	}
	if ((st = sc_text_check(v[SC_COL_NAME].p, v[SC_COL_NAME].n, SC_LIMIT_PERSON_NAME, d))) {
		snprintf(d->field, sizeof(d->field), "name");
		return st;
	}
	if ((st = parse_date(v, d, &date)))
		return st;
	return sc_store_name_set(g->st, v[SC_COL_SUBJECT], kind, v[SC_COL_NAME], date, d);
}

/* A provider's batch: its own source only. An empty source on a rectify or
 * revoke becomes the provider's, so the ledger checks it filed the record. */
static enum sc_status own_source(const char *src, enum sc_op op,
				 struct sc_text *v, struct sc_diag *d)
{
	size_t n = strlen(src);

	if (op == SC_OP_CONSENT || op == SC_OP_WITHDRAW || op == SC_OP_REGISTER)
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "op",
				   "a source's key cannot file a %s: the subject's own acts come through the subject",
				   sc_op_name(op));
	if (!v[SC_COL_SOURCE].n && op != SC_OP_ADD) {
		v[SC_COL_SOURCE] = (struct sc_text){src, n};
		return SC_OK;
	}
	if (v[SC_COL_SOURCE].n != n || memcmp(v[SC_COL_SOURCE].p, src, n))
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "source",
				   "this key files for source '%s' only, not '%.*s'", src,
				   (int)(v[SC_COL_SOURCE].n > 64 ? 64 : v[SC_COL_SOURCE].n),
				   v[SC_COL_SOURCE].p);
	return SC_OK;
}

/* Validates and files one line. */
static enum sc_status file_line(struct ing *g, struct sc_text *v,
				struct sc_diag *d)
{
	enum sc_op op;
	enum sc_status st;

	for (int c = 0; c < SC_COL_COUNT; c++)
		if (v[c].n > SC_LIMIT_FIELD_BYTES)
			return sc_diag_set(d, SC_ELIMIT, NULL, 0, 0, col_names[c],
					   "field is %zu bytes long: at most %d",
					   v[c].n, SC_LIMIT_FIELD_BYTES);
	if ((st = sc_op_parse(v[SC_COL_OP].p, v[SC_COL_OP].n, &op, d)))
		return st;
	if (g->o && g->o->only_source && (st = own_source(g->o->only_source, op, v, d)))
		return st;
	switch (op) {
	case SC_OP_ADD:
		return do_add(g, v, d);
	case SC_OP_RECTIFY:
	case SC_OP_REVOKE:
		return do_event(g, op, v, d);
	case SC_OP_CONSENT:
	case SC_OP_WITHDRAW:
		return do_consent(g, op, v, d);
	case SC_OP_REGISTER:
		return do_register(g, v, d);
	}
	return SC_EINVAL;
}

static void report(struct ing *g, struct sc_diag *d, const struct sc_line *ln)
{
	snprintf(d->source, sizeof(d->source), "%s", g->name);
	d->line = ln->line;
	d->column = 0;
	if (g->o && g->o->report)
		g->o->report(g->o->ctx, d, ln->raw, ln->len);
}

/* Header: maps CSV positions to columns. */
static enum sc_status read_header(struct ing *g, const struct sc_line *ln,
				  char *scratch, int *map, size_t *ncols,
				  struct sc_diag *d)
{
	struct sc_text f[SC_LIMIT_FIELDS];
	bool seen[SC_COL_COUNT] = {0};
	enum sc_status st = sc_csv_split(ln->raw, ln->len, scratch, f, ncols, d);

	if (st)
		goto fail;
	for (size_t i = 0; i < *ncols; i++) {
		int c = sc_col_find(f[i].p, f[i].n);
		if (c < 0) {
			st = sc_diag_set(d, SC_ESYNTAX, NULL, 0, 0, NULL,
					 "unknown column '%.*s' in the header (known: op, record_id, subject, type, date, amount, source, ref, kind, name)",
					 (int)(f[i].n > 64 ? 64 : f[i].n), f[i].p);
			goto fail;
		}
		if (seen[c]) {
			st = sc_diag_set(d, SC_ESYNTAX, NULL, 0, 0, NULL,
					 "column '%s' appears twice in the header", col_names[c]);
			goto fail;
		}
		seen[c] = true;
		map[i] = c;
	}
	if (!seen[SC_COL_DATE]) {
		st = sc_diag_set(d, SC_ESYNTAX, NULL, 0, 0, NULL,
				 "the header has no 'date' column");
		goto fail;
	}
	return SC_OK;
fail:
	snprintf(d->source, sizeof(d->source), "%s", g->name);
	d->line = ln->line;
	return st;
}

static enum sc_format detect(const char *name, FILE *in)
{
	size_t n = strlen(name);
	int c;

	if ((n > 6 && !strcmp(name + n - 6, ".jsonl")) ||
	    (n > 7 && !strcmp(name + n - 7, ".ndjson")))
		return SC_FORMAT_JSONL;
	if (n > 4 && !strcmp(name + n - 4, ".csv"))
		return SC_FORMAT_CSV;
	c = getc(in);
	if (c != EOF)
		ungetc(c, in);
	return c == '{' ? SC_FORMAT_JSONL : SC_FORMAT_CSV;
}

enum sc_status sc_ingest_stream(struct sc_store *st,
				const struct sc_rulebook *rb, FILE *in,
				const char *name,
				const struct sc_ingest_opts *opts,
				struct sc_ingest_stats *stats,
				struct sc_diag *d)
{
	struct ing g = {.st = st, .rb = rb, .o = opts, .stats = stats, .name = name};
	struct sc_reader r;
	struct sc_line ln;
	struct sc_text f[SC_LIMIT_FIELDS], v[SC_COL_COUNT];
	int map[SC_LIMIT_FIELDS];
	size_t ncols = 0, nf, in_batch = 0;
	enum sc_format fmt = opts && opts->format ? opts->format : detect(name, in);
	char *scratch = malloc(SC_LIMIT_LINE_BYTES + 512);
	enum sc_status rc;
	bool header = fmt == SC_FORMAT_CSV;

	if (!scratch)
		return SC_ENOMEM;
	if ((rc = sc_reader_init(&r, in, name))) {
		free(scratch);
		return rc;
	}
	if ((rc = sc_store_begin(st, d)))
		goto out;
	for (;;) {
		struct sc_diag ld;
		enum sc_status ls;
		enum sc_line_status outcome;
		bool parsed = false;

		sc_diag_clear(&ld);
		ls = sc_reader_next(&r, fmt == SC_FORMAT_CSV, &ln, &ld);
		if (ls == SC_ENOTFOUND)
			break;
		if (ls == SC_EIO) {
			*d = ld;
			rc = SC_EIO;
			goto fail;
		}
		if (header) {
			if (ls) {
				*d = ld;
				rc = SC_ESYNTAX;
				goto fail;
			}
			if ((rc = read_header(&g, &ln, scratch, map, &ncols, d)))
				goto fail;
			header = false;
			continue;
		}
		if (ls == SC_OK && ln.len == 0)
			continue; /* blank line */
		stats->lines++;
		stats->bytes_done = r.consumed;
		if (ls == SC_OK && fmt == SC_FORMAT_CSV) {
			ls = sc_csv_split(ln.raw, ln.len, scratch, f, &nf, &ld);
			if (ls == SC_OK && nf != ncols)
				ls = sc_diag_set(&ld, SC_ESYNTAX, NULL, 0, 0, NULL,
						 "%zu fields, but the header has %zu", nf, ncols);
			for (int c = 0; ls == SC_OK && c < SC_COL_COUNT; c++)
				v[c] = (struct sc_text){"", 0};
			for (size_t i = 0; ls == SC_OK && i < nf; i++)
				v[map[i]] = f[i];
		} else if (ls == SC_OK) {
			ls = sc_jsonl_parse(ln.raw, ln.len, scratch, v, &ld);
		}
		if (ls == SC_OK) {
			parsed = true;
			ls = file_line(&g, v, &ld);
		}
		if (ls == SC_ESTORE || ls == SC_ENOMEM) {
			*d = ld;
			snprintf(d->source, sizeof(d->source), "%s", name);
			d->line = ln.line;
			rc = ls;
			goto fail;
		}
		if (ls == SC_EDUPLICATE) {
			stats->duplicates++;
			outcome = SC_LINE_DUPLICATE;
		} else if (ls) {
			stats->rejected++;
			report(&g, &ld, &ln);
			outcome = SC_LINE_REJECTED;
		} else if (ld.warning) {
			stats->accepted++;
			stats->warnings++;
			report(&g, &ld, &ln);
			outcome = SC_LINE_WARNING;
		} else {
			stats->accepted++;
			outcome = SC_LINE_ACCEPTED;
		}
		if (opts && opts->line)
			opts->line(opts->ctx, ln.line, outcome,
				   outcome >= SC_LINE_REJECTED ? &ld : NULL,
				   parsed ? v[SC_COL_SUBJECT] : (struct sc_text){"", 0},
				   parsed ? v[SC_COL_RECORD_ID] : (struct sc_text){"", 0});
		if (++in_batch >= SC_LIMIT_INGEST_BATCH) {
			if ((rc = sc_store_commit(st, d)) || (rc = sc_store_begin(st, d)))
				goto out;
			in_batch = 0;
			if (opts && opts->progress)
				opts->progress(opts->ctx, stats);
		}
	}
	stats->bytes_done = r.consumed;
	rc = sc_store_commit(st, d);
	if (opts && opts->progress)
		opts->progress(opts->ctx, stats);
	goto out;
fail:
	sc_store_rollback(st);
out:
	sc_reader_release(&r);
	free(scratch);
	return rc;
}
