/* Assembling subjects' files above the seam: one subject's file from the
 * rows its backend reads (records with their event dates, disputes,
 * consents), and the population scan from the backend's population rows,
 * each resolved against a rulebook (types by name, consents by scorecard).
 * The same on every backend. */
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

/* ---- one subject ---- */

struct load {
	struct sc_loaded *out;
	const struct sc_rulebook *rb;
	struct sc_eval_record *recs;
	struct sc_eval_consent *cons;
	size_t n, cap, nc, capc;
};

static enum sc_status on_subject(void *ctx, int64_t sid, enum sc_kind kind)
{
	struct load *L = ctx;

	L->out->sid = sid;
	L->out->view.kind = kind;
	return SC_OK;
}

/* Grows the records and their parallel name arrays together, in the
 * arena (the old copies stay there until it is released). */
static enum sc_status recs_grow(struct load *L)
{
	struct sc_loaded *o = L->out;
	size_t ncap = L->cap ? L->cap * 2 : 16;
	struct sc_eval_record *nr = sc_arena_alloc(&o->arena, ncap * sizeof(*nr));
	const char **a = sc_arena_alloc(&o->arena, 4 * ncap * sizeof(char *));

	if (!nr || !a)
		return SC_ENOMEM;
	if (L->n) {
		memcpy(nr, L->recs, L->n * sizeof(*nr));
		memcpy(a, o->record_ids, L->n * sizeof(char *));
		memcpy(a + ncap, o->types, L->n * sizeof(char *));
		memcpy(a + 2 * ncap, o->sources, L->n * sizeof(char *));
		memcpy(a + 3 * ncap, o->refs, L->n * sizeof(char *));
	}
	L->recs = nr;
	o->record_ids = a;
	o->types = a + ncap;
	o->sources = a + 2 * ncap;
	o->refs = a + 3 * ncap;
	L->cap = ncap;
	return SC_OK;
}

static enum sc_status on_record(void *ctx, const struct sc_file_rec *row)
{
	struct load *L = ctx;
	struct sc_loaded *o = L->out;
	struct sc_eval_record *r;
	enum sc_status st;
	size_t i = L->n;

	if (i == L->cap && (st = recs_grow(L)))
		return st;
	r = &L->recs[i];
	*r = (struct sc_eval_record){.rid = row->rid, .date = row->date, .amount = row->amount,
				     .rectified = row->rectified, .revoked = row->revoked,
				     .suspended_from = SC_DAY_NONE,
				     .suspended_until = SC_DAY_NONE};
	r->type = sc_rulebook_type_find(L->rb, row->type.p, row->type.n);
	o->record_ids[i] = sc_arena_strndup(&o->arena, row->record_id.p, row->record_id.n);
	o->types[i] = sc_arena_strndup(&o->arena, row->type.p, row->type.n);
	o->sources[i] = sc_arena_strndup(&o->arena, row->source.p, row->source.n);
	o->refs[i] = sc_arena_strndup(&o->arena, row->ref.p, row->ref.n);
	if (!o->record_ids[i] || !o->types[i] || !o->sources[i] || !o->refs[i])
		return SC_ENOMEM;
	L->n++;
	return SC_OK;
}

static enum sc_status on_dispute(void *ctx, int64_t rid, sc_day deadline, sc_day decided)
{
	struct load *L = ctx;

	/* records come in date order: a dispute finds its own by rid (a
	 * subject's disputes are few) */
	for (size_t i = 0; i < L->n; i++)
		if (L->recs[i].rid == rid) {
			sc_file_dispute(&L->recs[i], deadline, decided);
			break;
		}
	return SC_OK;
}

static enum sc_status on_consent(void *ctx, struct sc_text scorecard, bool granted, sc_day date)
{
	struct load *L = ctx;
	int sci = sc_rulebook_scorecard_find(L->rb, scorecard.p, scorecard.n);

	if (sci < 0) /* a scorecard this rulebook does not have */
		return SC_OK;
	if (L->nc == L->capc) {
		size_t ncap = L->capc ? L->capc * 2 : 8;
		struct sc_eval_consent *nn = sc_arena_alloc(&L->out->arena, ncap * sizeof(*nn));
		if (!nn)
			return SC_ENOMEM;
		if (L->nc)
			memcpy(nn, L->cons, L->nc * sizeof(*nn));
		L->cons = nn;
		L->capc = ncap;
	}
	L->cons[L->nc++] = (struct sc_eval_consent){.scorecard = sci, .granted = granted,
						    .date = date};
	return SC_OK;
}

static const struct sc_file_sink load_sink = {on_subject, on_record, on_dispute, on_consent};

enum sc_status sc_file_load(const struct sc_store_ops *ops, void *impl,
			    const struct sc_rulebook *rb, struct sc_text id,
			    struct sc_loaded *out, struct sc_diag *d)
{
	struct load L = {.out = out, .rb = rb};
	enum sc_status st;

	memset(out, 0, sizeof(*out));
	sc_arena_init(&out->arena, 16 * 1024, 0);
	if (!ops->subject_rows) {
		st = sc_diag_set(d, SC_EREFUSED, NULL, 0, 0, NULL,
				 "the %s ledger backend cannot do this yet (store op subject_rows)",
				 ops->name);
		goto fail;
	}
	if ((st = ops->subject_rows(impl, id, &load_sink, &L, d))) {
		if (st == SC_ENOTFOUND)
			sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, "subject",
				    "subject '%.*s' has no file in this ledger", (int)id.n, id.p);
		goto fail;
	}
	if (!(out->id = sc_arena_strndup(&out->arena, id.p, id.n))) {
		st = SC_ENOMEM;
		goto fail;
	}
	out->view.recs = L.recs;
	out->view.nrecs = L.n;
	out->view.consents = L.cons;
	out->view.nconsents = L.nc;
	return SC_OK;
fail:
	sc_arena_release(&out->arena);
	memset(out, 0, sizeof(*out));
	return st;
}

/* ---- the population ---- */

/* Every subject's file from the backend's population rows, resolved under
 * each rulebook in turn: record types by name, consents by scorecard name
 * (a rulebook's unknown scorecards left out). */
enum sc_status sc_file_scan(struct sc_store *st, const struct sc_rulebook *const *rbs,
			    size_t nrb, sc_store_visit_multi_fn cb,
			    sc_store_progress_fn progress, void *ctx,
			    struct sc_store_mark *mark, struct sc_diag *d)
{
	struct sc_pop p;
	int32_t *typemap[SC_STORE_SCAN_RULEBOOKS] = {0}, *cardmap[SC_STORE_SCAN_RULEBOOKS] = {0};
	struct sc_eval_record *buf[SC_STORE_SCAN_RULEBOOKS] = {0};
	struct sc_eval_consent *cbuf[SC_STORE_SCAN_RULEBOOKS] = {0};
	uint64_t maxr = 1, maxc = 1;
	enum sc_status rc;

	if ((rc = sc_store_pop_load(st, NULL, 0, -1, &p, mark, NULL, d)))
		return rc;
	for (uint64_t i = 0; i < p.nsub; i++) {
		if (p.roff[i + 1] - p.roff[i] > maxr)
			maxr = p.roff[i + 1] - p.roff[i];
		if (p.coff[i + 1] - p.coff[i] > maxc)
			maxc = p.coff[i + 1] - p.coff[i];
	}
	for (size_t k = 0; k < nrb; k++) {
		typemap[k] = malloc((p.ntypes + 1) * sizeof(int32_t));
		cardmap[k] = malloc((p.ncards + 1) * sizeof(int32_t));
		buf[k] = malloc(maxr * sizeof(*buf[k]));
		cbuf[k] = malloc(maxc * sizeof(*cbuf[k]));
		if (!typemap[k] || !cardmap[k] || !buf[k] || !cbuf[k]) {
			rc = SC_ENOMEM;
			goto done;
		}
		for (size_t t = 0; t < p.ntypes; t++)
			typemap[k][t] = p.types[t] ? sc_rulebook_type_find(rbs[k], p.types[t],
									   strlen(p.types[t])) : -1;
		for (size_t c = 0; c < p.ncards; c++)
			cardmap[k][c] = sc_rulebook_scorecard_find(rbs[k], p.cards[c],
								   strlen(p.cards[c]));
	}
	for (uint64_t i = 0; i < p.nsub; i++) {
		struct sc_subject subj[SC_STORE_SCAN_RULEBOOKS];
		uint64_t a = p.roff[i], b = p.roff[i + 1];

		for (size_t k = 0; k < nrb; k++) {
			size_t m = 0;
			for (uint64_t r = a; r < b; r++) {
				buf[k][r - a] = p.recs[r];
				buf[k][r - a].type = p.recs[r].type >= 0 &&
						     (size_t)p.recs[r].type < p.ntypes
							     ? typemap[k][p.recs[r].type] : -1;
			}
			for (uint64_t c = p.coff[i]; c < p.coff[i + 1]; c++)
				if (cardmap[k][p.cons[c].card] >= 0)
					cbuf[k][m++] = (struct sc_eval_consent){
						.date = p.cons[c].date,
						.scorecard = cardmap[k][p.cons[c].card],
						.granted = p.cons[c].granted};
			subj[k] = (struct sc_subject){
				.kind = (enum sc_kind)p.kind[i], .recs = buf[k], .nrecs = b - a,
				.consents = cbuf[k], .nconsents = m};
		}
		if ((rc = cb(ctx, p.sid[i], p.ids + p.idoff[i], subj)))
			goto done;
		if (progress && (i & 0xFFFF) == 0)
			progress(ctx, i, p.nsub);
	}
	if (progress)
		progress(ctx, p.nsub, p.nsub);
done:
	for (size_t k = 0; k < nrb; k++) {
		free(typemap[k]);
		free(cardmap[k]);
		free(buf[k]);
		free(cbuf[k]);
	}
	sc_pop_free(&p);
	return rc;
}
