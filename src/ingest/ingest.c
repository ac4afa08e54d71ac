/* The ingest driver: reads lines, validates every field against the
 * rulebook, files them in the ledger in batches, reports bad lines.
 *
 * Two stages on two threads: one reads, splits and validates lines into a
 * batch (validate.c: no ledger), the caller's thread files the batch in
 * the ledger and reports every line's outcome, in file order, while the
 * next batch is read. Two batches, so memory stays flat. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"
#include "validate.h"

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

/* Header: maps CSV positions to columns. */
static enum sc_status read_header(const char *name, const struct sc_line *ln,
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
	snprintf(d->source, sizeof(d->source), "%s", name);
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

#define BATCH_LINES SC_LIMIT_INGEST_AHEAD_LINES
/* lines filed by one store call at most (write_run) */
#define RUN_LINES 32
#define BATCH_BYTES ((size_t)SC_LIMIT_INGEST_AHEAD_BYTES)
/* room a line may need in a batch's bytes: its copy, and its fields (no
 * longer than the line, and 512 bytes more for sc_jsonl_parse's scratch) */
#define LINE_ROOM (2u * SC_LIMIT_LINE_BYTES + 512u)
_Static_assert(SC_LIMIT_INGEST_AHEAD_BYTES >= 2 * SC_LIMIT_LINE_BYTES + 512,
	       "a batch holds at least one longest line");

/* One data line, read and validated. */
struct pline {
	unsigned long line;
	uint64_t consumed;           /* input bytes read through this line */
	const char *raw;             /* the line as read, in the batch's bytes */
	size_t len;
	enum sc_status st;           /* reader's or validation's verdict */
	bool parsed;                 /* fields split: subject, record_id hold */
	struct sc_text subject, record_id;
	int diag;                    /* index in the batch's diags; -1: none */
	struct sc_prep prep;         /* st == SC_OK: the ledger call */
};

struct batch {
	struct pline *lines;
	size_t n;
	char *bytes;
	size_t used;
	struct sc_diag *diags;
	size_t ndiags;
	bool last;                   /* the input ends with this batch */
	enum sc_status fatal;        /* SC_EIO, SC_ESYNTAX (header) after the lines */
	struct sc_diag fatal_d;
	uint64_t consumed;           /* input bytes read through this batch */
};

/* The reading stage's state, and the hand-over between the stages. */
struct pipe {
	const struct sc_rulebook *rb;
	const char *only_source, *name;
	sc_day today;                /* lines dated after it are refused */
	enum sc_format fmt;
	struct sc_reader r;
	bool header;                 /* CSV: the header is still to come */
	int map[SC_LIMIT_FIELDS];
	size_t ncols;
	struct batch b[2];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool full[2];                /* b[k] is the writer's */
	bool stop;                   /* the writer gave up: read no further */
};

static struct sc_diag *batch_diag(struct batch *b, struct pline *pl)
{
	pl->diag = (int)b->ndiags;
	return &b->diags[b->ndiags++];
}

/* The input ends with b: cleanly (SC_OK), or with a failure reported
 * after b's lines. Returns false, for read_line. */
static bool batch_end(struct batch *b, enum sc_status st, const struct sc_diag *d)
{
	b->fatal = st;
	if (st)
		b->fatal_d = *d;
	b->last = true;
	return false;
}

/* Reads one line into b: copied, split and validated. false at the end of
 * the input or when the input fails (b->last is then set). */
static bool read_line(struct pipe *p, struct batch *b)
{
	struct sc_text f[SC_LIMIT_FIELDS], v[SC_COL_COUNT];
	struct sc_diag ld;
	struct sc_line ln;
	struct pline *pl;
	enum sc_status ls;
	char *scratch;
	size_t nf;

	for (;;) {
		sc_diag_clear(&ld);
		ls = sc_reader_next(&p->r, p->fmt == SC_FORMAT_CSV, &ln, &ld);
		if (ls == SC_ENOTFOUND)
			return batch_end(b, SC_OK, NULL);
		if (ls == SC_EIO)
			return batch_end(b, SC_EIO, &ld);
		if (p->header) {
			if (ls)
				return batch_end(b, SC_ESYNTAX, &ld);
			if ((ls = read_header(p->name, &ln, b->bytes + b->used, p->map,
					      &p->ncols, &ld)))
				return batch_end(b, ls, &ld);
			p->header = false;
			continue;
		}
		if (ls == SC_OK && ln.len == 0)
			continue; /* blank line */
		break;
	}
	pl = &b->lines[b->n++];
	*pl = (struct pline){.line = ln.line, .consumed = p->r.consumed, .diag = -1};
	pl->len = ln.len < SC_LIMIT_LINE_BYTES ? ln.len : SC_LIMIT_LINE_BYTES;
	memcpy(b->bytes + b->used, ln.raw, pl->len);
	pl->raw = b->bytes + b->used;
	b->used += pl->len;
	scratch = b->bytes + b->used;
	if (ls == SC_OK && p->fmt == SC_FORMAT_CSV) {
		ls = sc_csv_split(ln.raw, ln.len, scratch, f, &nf, &ld);
		if (ls == SC_OK && nf != p->ncols)
			ls = sc_diag_set(&ld, SC_ESYNTAX, NULL, 0, 0, NULL,
					 "%zu fields, but the header has %zu", nf, p->ncols);
		for (int c = 0; ls == SC_OK && c < SC_COL_COUNT; c++)
			v[c] = (struct sc_text){"", 0};
		for (size_t i = 0; ls == SC_OK && i < nf; i++)
			v[p->map[i]] = f[i];
	} else if (ls == SC_OK) {
		ls = sc_jsonl_parse(ln.raw, ln.len, scratch, v, &ld);
	}
	if (ls == SC_OK) {
		/* the fields live in scratch (both parsers write them there):
		 * keep it up to the end of the last one. Measured before the
		 * validation, which may point a field elsewhere (a provider's
		 * own source), and by offset within scratch only. */
		uintptr_t s0 = (uintptr_t)scratch;
		size_t end = 0;
		for (int c = 0; c < SC_COL_COUNT; c++) {
			uintptr_t a = (uintptr_t)v[c].p;
			if (v[c].n && a >= s0 && a - s0 < LINE_ROOM && a - s0 + v[c].n > end)
				end = (size_t)(a - s0) + v[c].n;
		}
		b->used += end;
		pl->parsed = true;
		ls = sc_line_validate(p->rb, p->only_source, p->today, v, &pl->prep, &ld);
		pl->subject = v[SC_COL_SUBJECT];
		pl->record_id = v[SC_COL_RECORD_ID];
	}
	pl->st = ls;
	if (ls || ld.warning)
		*batch_diag(b, pl) = ld;
	return true;
}

/* Fills b with the next lines of the input. */
static void fill(struct pipe *p, struct batch *b)
{
	b->n = b->used = b->ndiags = 0;
	b->last = false;
	b->fatal = SC_OK;
	while (b->n < BATCH_LINES && BATCH_BYTES - b->used >= LINE_ROOM && read_line(p, b))
		;
	b->consumed = p->r.consumed;
}

static void *reading(void *arg)
{
	struct pipe *p = arg;

	for (int k = 0;; k ^= 1) {
		pthread_mutex_lock(&p->mu);
		while (p->full[k] && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		pthread_mutex_unlock(&p->mu);
		if (p->stop)
			return NULL;
		fill(p, &p->b[k]);
		pthread_mutex_lock(&p->mu);
		p->full[k] = true;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (p->b[k].last)
			return NULL;
	}
}

static void report(const char *name, const struct sc_ingest_opts *o,
		   struct sc_diag *d, const struct pline *pl)
{
	snprintf(d->source, sizeof(d->source), "%s", name);
	d->line = pl->line;
	d->column = 0;
	if (o && o->report)
		o->report(o->ctx, d, pl->raw, pl->len);
}

/* Reports a line's outcome: ls, the ledger's (ad: its diagnostic) or the
 * reader's. SC_OK, or the ledger's failure (SC_ESTORE, SC_ENOMEM: the
 * ingest stops, d says why). */
static enum sc_status settle(const char *name, const struct sc_ingest_opts *o,
			     struct sc_ingest_stats *stats, struct batch *b,
			     struct pline *pl, enum sc_status ls, struct sc_diag *ad,
			     struct sc_diag *d)
{
	struct sc_diag *ld = pl->diag >= 0 ? &b->diags[pl->diag] : NULL;
	enum sc_line_status outcome;

	stats->lines++;
	stats->bytes_done = pl->consumed;
	if (pl->st == SC_OK && ls)
		ld = ad;
	if (ls == SC_ESTORE || ls == SC_ENOMEM) {
		*d = *ld;
		snprintf(d->source, sizeof(d->source), "%s", name);
		d->line = pl->line;
		return ls;
	}
	if (ls == SC_EDUPLICATE) {
		stats->duplicates++;
		outcome = SC_LINE_DUPLICATE;
	} else if (ls) {
		stats->rejected++;
		report(name, o, ld, pl);
		outcome = SC_LINE_REJECTED;
	} else if (ld && ld->warning) {
		stats->accepted++;
		stats->warnings++;
		report(name, o, ld, pl);
		outcome = SC_LINE_WARNING;
	} else {
		stats->accepted++;
		outcome = SC_LINE_ACCEPTED;
	}
	if (o && o->line)
		o->line(o->ctx, pl->line, outcome, outcome >= SC_LINE_REJECTED ? ld : NULL,
			pl->parsed ? pl->subject : (struct sc_text){"", 0},
			pl->parsed ? pl->record_id : (struct sc_text){"", 0});
	return SC_OK;
}

/* Files one validated line and reports its outcome (settle). */
static enum sc_status write_line(struct sc_store *st, const char *name,
				 const struct sc_ingest_opts *o, struct sc_ingest_stats *stats,
				 struct batch *b, struct pline *pl, struct sc_diag *d)
{
	struct sc_diag ad;
	enum sc_status ls = pl->st;

	if (ls == SC_OK) {
		sc_diag_clear(&ad);
		ls = sc_prep_apply(st, &pl->prep, &ad);
	}
	return settle(name, o, stats, b, pl, ls, &ad, d);
}

/* Lines from pl on that each file a record (a run, up to n), for
 * write_run. */
static size_t run_length(const struct pline *pl, size_t n)
{
	size_t k = 0;

	while (k < n && k < RUN_LINES && pl[k].st == SC_OK && pl[k].prep.op == SC_OP_ADD)
		k++;
	return k;
}

/* Files a run of k lines that each file a record, by one store call
 * (fewer SQLite statements), and reports their outcomes as write_line. */
static enum sc_status write_run(struct sc_store *st, const char *name,
				const struct sc_ingest_opts *o, struct sc_ingest_stats *stats,
				struct batch *b, struct pline *pl, size_t k, struct sc_diag *d)
{
	const struct sc_store_add *r[RUN_LINES] = {0};
	enum sc_status out[RUN_LINES], rc;
	struct sc_diag ds[RUN_LINES];
	size_t done;

	for (size_t j = 0; j < k; j++) {
		r[j] = &pl[j].prep.u.add;
		sc_diag_clear(&ds[j]);
	}
	rc = sc_store_record_add_run(st, r, k, out, ds, &done, d);
	for (size_t j = 0; j < done; j++)
		if ((rc = settle(name, o, stats, b, &pl[j], out[j], &ds[j], d)))
			return rc;
	if (done < k) {
		snprintf(d->source, sizeof(d->source), "%s", name);
		d->line = pl[done].line;
	}
	return rc;
}

/* A line's subject and record_id as its ledger call names them. */
static void prep_keys(const struct sc_prep *p, struct sc_text *subject, struct sc_text *rid)
{
	static const struct sc_text none = {"", 0};

	*subject = *rid = none;
	switch (p->op) {
	case SC_OP_ADD:
		*subject = p->u.add.subject;
		*rid = p->u.add.record_id;
		break;
	case SC_OP_RECTIFY:
	case SC_OP_REVOKE:
		*rid = p->u.event.record_id;
		break;
	case SC_OP_CONSENT:
	case SC_OP_WITHDRAW:
		*subject = p->u.consent.subject;
		break;
	default:
		*subject = p->u.reg.subject;
		break;
	}
}

/* The store route picks for a valid line: SC_OK, or the line's refusal
 * (ad), or SC_ESTORE. */
static enum sc_status route_pick(const struct sc_ingest_route *r, const struct pline *pl,
				 size_t *store, struct sc_diag *ad)
{
	struct sc_text subject, rid;

	prep_keys(&pl->prep, &subject, &rid);
	sc_diag_clear(ad);
	return r->pick(r->ctx, pl->prep.op, subject, rid, store, ad);
}

/* Tells route of a line filed, after its outcome ls. */
static enum sc_status route_filed(const struct sc_ingest_route *r, const struct pline *pl,
				  enum sc_status ls, size_t store, struct sc_diag *d)
{
	struct sc_text subject, rid;

	if (ls != SC_OK && ls != SC_EDUPLICATE)
		return SC_OK;
	prep_keys(&pl->prep, &subject, &rid);
	return r->filed(r->ctx, pl->prep.op, subject, rid, store, d);
}

/* Files the lines from pl on (up to n) through route: one line, or a run
 * of records bound for one store. *took: the lines done. */
static enum sc_status write_routed(const struct sc_ingest_route *r, const char *name,
				   const struct sc_ingest_opts *o, struct sc_ingest_stats *stats,
				   struct batch *b, struct pline *pl, size_t n, size_t *took,
				   struct sc_diag *d)
{
	const struct sc_store_add *run[RUN_LINES];
	enum sc_status out[RUN_LINES], ls, rc;
	struct sc_diag ds[RUN_LINES], ad;
	size_t store, other, k = 1, done;

	*took = 1;
	if (pl->st)
		return settle(name, o, stats, b, pl, pl->st, &ad, d);
	ls = route_pick(r, pl, &store, &ad);
	if (ls == SC_ESTORE || ls == SC_ENOMEM) {
		*d = ad;
		return ls;
	}
	if (ls)
		return settle(name, o, stats, b, pl, ls, &ad, d);
	if (pl->prep.op != SC_OP_ADD) {
		sc_diag_clear(&ad);
		ls = sc_prep_apply(r->stores[store], &pl->prep, &ad);
		if (ls != SC_ESTORE && ls != SC_ENOMEM && (rc = route_filed(r, pl, ls, store, d)))
			return rc;
		return settle(name, o, stats, b, pl, ls, &ad, d);
	}
	/* a run: the following records that go to the same store */
	k = run_length(pl, n);
	for (size_t j = 1; j < k; j++) {
		if (route_pick(r, &pl[j], &other, &ad) || other != store) {
			k = j;
			break;
		}
	}
	for (size_t j = 0; j < k; j++) {
		run[j] = &pl[j].prep.u.add;
		sc_diag_clear(&ds[j]);
	}
	rc = sc_store_record_add_run(r->stores[store], run, k, out, ds, &done, d);
	for (size_t j = 0; j < done; j++) {
		enum sc_status fr = route_filed(r, &pl[j], out[j], store, d);
		if (fr)
			return fr;
		if ((fr = settle(name, o, stats, b, &pl[j], out[j], &ds[j], d)))
			return fr;
	}
	if (done < k) {
		snprintf(d->source, sizeof(d->source), "%s", name);
		d->line = pl[done].line;
	}
	*took = k;
	return rc;
}

/* Every store of the ingest: st alone, or route's. */
static size_t nstores(struct sc_store *st, const struct sc_ingest_route *r)
{
	return r ? r->nstores : (st ? 1 : 0);
}

static struct sc_store *store_at(struct sc_store *st, const struct sc_ingest_route *r, size_t i)
{
	return r ? r->stores[i] : st;
}

static void rollback_all(struct sc_store *st, const struct sc_ingest_route *r);

/* Begins a batch on every store; *lines: the fewest any store asks for.
 * batched: st files records, events and consents by sc_store_lines only
 * (a first load into an empty ledger may then be one transaction). */
static enum sc_status begin_all(struct sc_store *st, const struct sc_ingest_route *r,
				bool batched, size_t *lines, struct sc_diag *d)
{
	enum sc_status rc;
	size_t want;

	*lines = SIZE_MAX;
	if (r && (rc = r->begin(r->ctx, d)))
		return rc;
	for (size_t i = 0; i < nstores(st, r); i++) {
		if ((rc = batched ? sc_store_begin_lines(store_at(st, r, i), &want, d)
				  : sc_store_begin_ingest(store_at(st, r, i), &want, d))) {
			for (size_t k = 0; k < i; k++)
				sc_store_rollback(store_at(st, r, k));
			if (r)
				r->rollback(r->ctx);
			return rc;
		}
		if (want < *lines)
			*lines = want;
	}
	if (r && r->settled && (rc = r->settled(r->ctx, d))) {
		rollback_all(st, r);
		return rc;
	}
	/* lines spread over the stores: each store's transaction holds about
	 * the lines it asked for */
	if (r && r->nstores > 1 && *lines < SIZE_MAX / r->nstores)
		*lines *= r->nstores;
	return SC_OK;
}

/* Commits route's own data first, then every store in order. */
static enum sc_status commit_all(struct sc_store *st, const struct sc_ingest_route *r,
				 struct sc_diag *d)
{
	enum sc_status rc;
	size_t i = 0;

	if (r && (rc = r->commit(r->ctx, d)))
		goto fail;
	for (; i < nstores(st, r); i++)
		if ((rc = sc_store_commit(store_at(st, r, i), d))) {
			i++;
			goto fail;
		}
	return SC_OK;
fail:
	for (; i < nstores(st, r); i++)
		sc_store_rollback(store_at(st, r, i));
	return rc;
}

static void rollback_all(struct sc_store *st, const struct sc_ingest_route *r)
{
	for (size_t i = 0; i < nstores(st, r); i++)
		sc_store_rollback(store_at(st, r, i));
	if (r)
		r->rollback(r->ctx);
}

/* A ledger that files lines set-based (sc_store_lines_batched) takes a
 * batch's lines in one call: its arrays, for write_lines. */
struct lines {
	struct sc_store_line *l;
	enum sc_status *out;
	struct sc_diag *ds;
};

static void lines_free(struct lines *w)
{
	free(w->l);
	free(w->out);
	free(w->ds);
}

static bool lines_alloc(struct lines *w)
{
	w->l = malloc(BATCH_LINES * sizeof(*w->l));
	w->out = malloc(BATCH_LINES * sizeof(*w->out));
	w->ds = malloc(BATCH_LINES * sizeof(*w->ds));
	return w->l && w->out && w->ds;
}

/* A validated line as sc_store_lines takes it (its texts borrowed). */
static void store_line(const struct sc_prep *p, struct sc_store_line *l)
{
	memset(l, 0, sizeof(*l));
	l->op = p->op;
	if (p->op == SC_OP_ADD) {
		l->add = &p->u.add;
	} else if (p->op == SC_OP_RECTIFY || p->op == SC_OP_REVOKE) {
		l->event = &p->u.event;
	} else {
		l->subject = p->u.consent.subject;
		l->scorecard = p->u.consent.scorecard;
		l->kind = p->u.consent.kind;
		l->date = p->u.consent.date;
	}
}

/* Lines from pl on, up to n, up to a name's line (filed on its own). */
static size_t lines_length(const struct pline *pl, size_t n)
{
	size_t k = 0;

	while (k < n && !(pl[k].st == SC_OK && pl[k].prep.op == SC_OP_REGISTER))
		k++;
	return k;
}

/* Files k lines by one store call (those the validation refused are not
 * sent) and reports every line's outcome in order, as write_line. */
static enum sc_status write_lines(struct sc_store *st, const char *name,
				  const struct sc_ingest_opts *o, struct sc_ingest_stats *stats,
				  struct lines *w, struct batch *b, struct pline *pl, size_t k,
				  struct sc_diag *d)
{
	size_t n = 0, done, j = 0;
	enum sc_status rc;

	for (size_t i = 0; i < k; i++)
		if (!pl[i].st)
			store_line(&pl[i].prep, &w->l[n++]);
	rc = sc_store_lines(st, w->l, n, w->out, w->ds, &done, d);
	for (size_t i = 0; i < k; i++) {
		enum sc_status ls = pl[i].st;
		struct sc_diag *ad = NULL;
		enum sc_status sr;
		if (ls == SC_OK) {
			if (j == done) {
				snprintf(d->source, sizeof(d->source), "%s", name);
				d->line = pl[i].line;
				return rc;
			}
			ad = &w->ds[j];
			ls = w->out[j++];
		}
		if ((sr = settle(name, o, stats, b, &pl[i], ls, ad, d)))
			return sr;
	}
	return rc;
}

/* Lines of a run through route, each ledger's lines set-based in one
 * call (write_routed_lines): the arrays of struct lines, grouped by
 * store, and per line of the run its store (NONE: not sent), its place
 * in those arrays, its refusal by route; the record_ids seen in the run. */
#define NONE SIZE_MAX
struct routed {
	struct lines w;
	size_t *store, *pos, *count;
	struct sc_diag *pds;
	uint32_t *seen; /* line + 1; 0: empty */
	size_t mask;
};

static void routed_free(struct routed *x)
{
	lines_free(&x->w);
	free(x->store);
	free(x->pos);
	free(x->count);
	free(x->pds);
	free(x->seen);
}

static bool routed_alloc(struct routed *x, size_t nstores)
{
	size_t cap = 16;

	while (cap < 2 * BATCH_LINES) /* a power of two: the mask */
		cap *= 2;
	x->mask = cap - 1;
	x->store = malloc(BATCH_LINES * sizeof(*x->store));
	x->pos = malloc(BATCH_LINES * sizeof(*x->pos));
	x->count = malloc((nstores + 1) * sizeof(*x->count));
	x->pds = malloc(BATCH_LINES * sizeof(*x->pds));
	x->seen = malloc((x->mask + 1) * sizeof(*x->seen));
	return lines_alloc(&x->w) && x->store && x->pos && x->count && x->pds && x->seen;
}

/* The line of the run before j that named record_id rid (its record's
 * line when one did), or NONE; line j is remembered in its place unless
 * that was a record's line. */
static size_t seen_before(struct routed *x, const struct pline *pl, size_t j, struct sc_text rid)
{
	uint64_t h = 1469598103934665603u;
	size_t i, e;

	for (size_t k = 0; k < rid.n; k++)
		h = (h ^ (unsigned char)rid.p[k]) * 1099511628211u;
	for (i = (size_t)(h ^ h >> 32) & x->mask; x->seen[i]; i = (i + 1) & x->mask) {
		struct sc_text subject, other;
		e = x->seen[i] - 1;
		prep_keys(&pl[e].prep, &subject, &other);
		if (other.n == rid.n && !memcmp(other.p, rid.p, rid.n)) {
			if (pl[e].prep.op != SC_OP_ADD)
				x->seen[i] = (uint32_t)j + 1;
			return e;
		}
	}
	x->seen[i] = (uint32_t)j + 1;
	return NONE;
}

/* One store's share of a run, filed on a thread of its own: the stores'
 * servers work at once. */
struct share {
	struct sc_store *st;
	const struct sc_store_line *l;
	size_t n, done;
	enum sc_status *out, rc;
	struct sc_diag *ds, d;
	pthread_t t;
	bool threaded;
};

static void *share_file(void *arg)
{
	struct share *sh = arg;

	sc_diag_clear(&sh->d);
	sh->rc = sc_store_lines(sh->st, sh->l, sh->n, sh->out, sh->ds, &sh->done, &sh->d);
	return NULL;
}

/* Files lines from pl on (up to n, no name among them) through route when
 * every store takes lines set-based: route picks each line's store in
 * order, then each store files its lines in one call, then route hears of
 * every line filed and every outcome is reported, in file order. The
 * directory learns of a record only once it is filed, so: a rectification
 * or revocation of a record filed earlier in the run goes to that
 * record's store (where the directory would send it); and the run ends
 * before a second record's line with a record_id of the run (whether it
 * conflicts depends on the first one's outcome). *took: the lines done. */
static enum sc_status write_routed_lines(const struct sc_ingest_route *r, const char *name,
					 const struct sc_ingest_opts *o,
					 struct sc_ingest_stats *stats, struct routed *x,
					 struct batch *b, struct pline *pl, size_t n, size_t *took,
					 struct sc_diag *d)
{
	size_t k = 0, at = 0;
	enum sc_status rc = SC_OK;

	memset(x->seen, 0, (x->mask + 1) * sizeof(*x->seen));
	memset(x->count, 0, (r->nstores + 1) * sizeof(*x->count));
	for (; k < n; k++) {
		struct sc_text subject, rid;
		enum sc_status ls;
		size_t e = NONE;
		x->store[k] = NONE;
		if (pl[k].st)
			continue;
		prep_keys(&pl[k].prep, &subject, &rid);
		if (rid.n && (e = seen_before(x, pl, k, rid)) != NONE && pl[e].prep.op == SC_OP_ADD) {
			if (pl[k].prep.op == SC_OP_ADD)
				break;
			if (x->store[e] != NONE) {
				/* an event of a record the run files */
				x->store[k] = x->store[e];
				x->count[x->store[k]]++;
				continue;
			}
		}
		ls = route_pick(r, &pl[k], &x->store[k], &x->pds[k]);
		if (ls == SC_ESTORE || ls == SC_ENOMEM) {
			*d = x->pds[k];
			return ls;
		}
		if (ls) {
			x->store[k] = NONE;
			x->pos[k] = (size_t)ls; /* the refusal, for the report */
			continue;
		}
		x->count[x->store[k]]++;
	}
	*took = k;
	/* each store's lines together, in file order: count[] becomes where
	 * each store's lines begin */
	for (size_t s = 0; s < r->nstores; s++) {
		size_t c = x->count[s];
		x->count[s] = at;
		at += c;
	}
	for (size_t j = 0; j < k; j++) {
		if (x->store[j] == NONE)
			continue;
		x->pos[j] = x->count[x->store[j]]++;
		store_line(&pl[j].prep, &x->w.l[x->pos[j]]);
	}
	/* count[s] is now where store s's lines end; each store with lines
	 * files them on a thread of its own (the last on this one) */
	{
		struct share *sh = calloc(r->nstores, sizeof(*sh));
		size_t m = 0;
		if (!sh)
			return SC_ENOMEM;
		for (size_t s = 0, from = 0; s < r->nstores; from = x->count[s++]) {
			if (x->count[s] == from)
				continue;
			sh[m++] = (struct share){.st = r->stores[s], .l = x->w.l + from,
						 .n = x->count[s] - from, .out = x->w.out + from,
						 .ds = x->w.ds + from};
		}
		for (size_t i = 0; i + 1 < m; i++)
			sh[i].threaded = pthread_create(&sh[i].t, NULL, share_file, &sh[i]) == 0;
		for (size_t i = m; i-- > 0;) {
			if (sh[i].threaded)
				pthread_join(sh[i].t, NULL);
			else
				share_file(&sh[i]);
		}
		for (size_t i = 0; i < m && !rc; i++)
			if (sh[i].rc) {
				*d = sh[i].d;
				snprintf(d->source, sizeof(d->source), "%s", name);
				rc = sh[i].rc;
			}
		free(sh);
		if (rc)
			return rc;
	}
	for (size_t j = 0; j < k; j++) {
		enum sc_status ls = pl[j].st, fr;
		struct sc_diag *ad = NULL;
		if (ls == SC_OK && x->store[j] == NONE) {
			ls = (enum sc_status)x->pos[j];
			ad = &x->pds[j];
		} else if (ls == SC_OK) {
			ls = x->w.out[x->pos[j]];
			ad = &x->w.ds[x->pos[j]];
			if ((fr = route_filed(r, &pl[j], ls, x->store[j], d)))
				return fr;
		}
		if ((fr = settle(name, o, stats, b, &pl[j], ls, ad, d)))
			return fr;
	}
	return SC_OK;
}

static void batches_free(struct pipe *p)
{
	for (int k = 0; k < 2; k++) {
		free(p->b[k].lines);
		free(p->b[k].bytes);
		free(p->b[k].diags);
	}
}

static bool batches_alloc(struct pipe *p)
{
	for (int k = 0; k < 2; k++) {
		p->b[k].lines = malloc(BATCH_LINES * sizeof(*p->b[k].lines));
		p->b[k].bytes = malloc(BATCH_BYTES);
		p->b[k].diags = malloc(BATCH_LINES * sizeof(*p->b[k].diags));
		if (!p->b[k].lines || !p->b[k].bytes || !p->b[k].diags)
			return false;
	}
	return true;
}

enum sc_status sc_ingest_stream(struct sc_store *st,
				const struct sc_rulebook *rb, FILE *in,
				const char *name,
				const struct sc_ingest_opts *opts,
				struct sc_ingest_stats *stats,
				struct sc_diag *d)
{
	struct pipe p = {.rb = rb, .name = name,
			 .only_source = opts ? opts->only_source : NULL,
			 .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	size_t in_batch = 0, batch_lines, shown = 0;
	const struct sc_ingest_route *route = opts ? opts->route : NULL;
	struct lines w = {0};
	struct routed x = {0};
	bool batched = !route && sc_store_lines_batched(st), rbatched = route != NULL;
	pthread_t reader;
	bool threaded = false;
	enum sc_status rc;

	p.today = opts && opts->today ? opts->today : sc_date_today();
	p.fmt = opts && opts->format ? opts->format : detect(name, in);
	p.header = p.fmt == SC_FORMAT_CSV;
	/* through route, set-based when every store takes lines so */
	for (size_t i = 0; route && i < route->nstores; i++)
		rbatched &= sc_store_lines_batched(route->stores[i]);
	if (!batches_alloc(&p) || (batched && !lines_alloc(&w)) ||
	    (rbatched && !routed_alloc(&x, route->nstores))) {
		lines_free(&w);
		routed_free(&x);
		batches_free(&p);
		return SC_ENOMEM;
	}
	if ((rc = sc_reader_init(&p.r, in, name))) {
		lines_free(&w);
		routed_free(&x);
		batches_free(&p);
		return rc;
	}
	if ((rc = begin_all(st, route, batched || rbatched, &batch_lines, d)))
		goto out;
	/* without a second thread, the stages take turns on this one */
	threaded = pthread_create(&reader, NULL, reading, &p) == 0;
	for (int k = 0;; k ^= 1) {
		struct batch *b = &p.b[k];

		if (threaded) {
			pthread_mutex_lock(&p.mu);
			while (!p.full[k])
				pthread_cond_wait(&p.cv, &p.mu);
			pthread_mutex_unlock(&p.mu);
		} else {
			fill(&p, b);
		}
		for (size_t i = 0, run; i < b->n; i += run) {
			/* a run of lines stays within the transaction */
			size_t room = b->n - i < batch_lines - in_batch ? b->n - i
									: batch_lines - in_batch;
			if (rbatched && (run = lines_length(&b->lines[i], room)) > 0) {
				rc = write_routed_lines(route, name, opts, stats, &x, b, &b->lines[i], run,
							&run, d);
			} else if (route) {
				run = run_length(&b->lines[i], room);
				rc = write_routed(route, name, opts, stats, b, &b->lines[i], run ? run : 1,
						  &run, d);
			} else if (batched && (run = lines_length(&b->lines[i], room)) > 0) {
				rc = write_lines(st, name, opts, stats, &w, b, &b->lines[i], run, d);
			} else if ((run = run_length(&b->lines[i], room)) > 1) {
				rc = write_run(st, name, opts, stats, b, &b->lines[i], run, d);
			} else {
				run = 1;
				rc = write_line(st, name, opts, stats, b, &b->lines[i], d);
			}
			if (rc)
				goto fail;
			if ((in_batch += run) >= batch_lines) {
				if ((rc = commit_all(st, route, d)) ||
				    (rc = begin_all(st, route, batched || rbatched, &batch_lines, d)))
					goto out;
				in_batch = shown = 0;
				if (opts && opts->progress)
					opts->progress(opts->ctx, stats);
			} else if (in_batch - shown >= SC_LIMIT_INGEST_BATCH) {
				/* a long transaction (a first load) shows its
				 * progress before it commits */
				shown = in_batch;
				if (opts && opts->progress)
					opts->progress(opts->ctx, stats);
			}
		}
		if (b->fatal) {
			*d = b->fatal_d;
			rc = b->fatal;
			goto fail;
		}
		if (b->last) {
			stats->bytes_done = b->consumed;
			break;
		}
		pthread_mutex_lock(&p.mu);
		p.full[k] = false;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
	}
	rc = commit_all(st, route, d);
	if (opts && opts->progress)
		opts->progress(opts->ctx, stats);
	goto out;
fail:
	rollback_all(st, route);
out:
	if (threaded) {
		pthread_mutex_lock(&p.mu);
		p.stop = true;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
		pthread_join(reader, NULL);
	}
	sc_reader_release(&p.r);
	lines_free(&w);
	routed_free(&x);
	batches_free(&p);
	return rc;
}
