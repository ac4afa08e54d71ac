/* The population image's view (the file with re-read subjects laid over
 * it) and sc_image_sync, which decides between using, folding and
 * rebuilding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image_impl.h"
#include "socred/ledger_path.h"

void sc_image_path(const char *db, char *buf, size_t size)
{
	char base[4096];

	if (!sc_ledger_local(db, base, sizeof(base)))
		base[0] = '\0';
	snprintf(buf, size, "%s.image", base);
}

void sc_image_mark(const struct sc_image *img, struct sc_store_mark *m)
{
	*m = img->mark;
}

uint64_t sc_image_subjects(const struct sc_image *img)
{
	return img->n;
}

size_t sc_image_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > SC_IMAGE_THREADS_MAX ? SC_IMAGE_THREADS_MAX : (size_t)n;
}

void sc_image_close(struct sc_image *img)
{
	if (!img)
		return;
	img_file_close(&img->f);
	sc_pop_free(&img->pop);
	free(img->ent);
	free(img->types);
	free(img->cards);
	free(img->popcard);
	free(img);
}

uint64_t img_extra_start(const struct sc_image *v, uint64_t i)
{
	uint64_t lo = 0, hi, first;

	/* the first file subject at or after i */
	while (i < v->n && (v->ent[i] & ENT_POP))
		i++;
	if (!v->f.map || i >= v->n)
		return v->f.map ? v->f.h->nextra : 0;
	first = v->f.roff[v->ent[i]];
	hi = v->f.h->nextra;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (v->f.extra[mid].rec < first)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void img_view_head(const struct sc_image *v, uint64_t i, struct img_subject *out)
{
	uint64_t k = v->ent[i] & ~ENT_POP;

	if (v->ent[i] & ENT_POP) {
		const struct sc_pop *p = &v->pop;
		*out = (struct img_subject){p->sid[k], p->ids + p->idoff[k], (enum sc_kind)p->kind[k],
					    p->roff[k + 1] - p->roff[k], p->coff[k + 1] - p->coff[k]};
	} else {
		const struct img_file *f = &v->f;
		*out = (struct img_subject){f->sid[k], f->ids + f->idoff[k], (enum sc_kind)f->kind[k],
					    f->roff[k + 1] - f->roff[k], f->coff[k + 1] - f->coff[k]};
	}
}

void img_view_subject(const struct sc_image *v, uint64_t i, uint64_t *extra,
		      struct sc_eval_record *recs, struct sc_pop_consent *cons,
		      struct img_subject *out)
{
	uint64_t e = v->ent[i];

	img_view_head(v, i, out);
	if (e & ENT_POP) {
		const struct sc_pop *p = &v->pop;
		uint64_t k = e & ~ENT_POP;
		memcpy(recs, p->recs + p->roff[k], out->nrecs * sizeof(*recs));
		for (size_t c = 0; c < out->ncons; c++) {
			cons[c] = p->cons[p->coff[k] + c];
			cons[c].card = v->popcard[cons[c].card];
		}
		return;
	}
	const struct img_file *f = &v->f;
	uint64_t a = f->roff[e], b = f->roff[e + 1];
	for (uint64_t r = a; r < b; r++) {
		const struct img_rec *ir = &f->recs[r];
		recs[r - a] = (struct sc_eval_record){
			.rid = ir->rid, .date = ir->date, .type = ir->type, .amount = ir->amount,
			.rectified = SC_DAY_NONE, .revoked = SC_DAY_NONE,
			.suspended_from = SC_DAY_NONE, .suspended_until = SC_DAY_NONE};
	}
	while (*extra < f->h->nextra && f->extra[*extra].rec < a)
		(*extra)++;
	for (; *extra < f->h->nextra && f->extra[*extra].rec < b; (*extra)++) {
		const struct img_extra *x = &f->extra[*extra];
		struct sc_eval_record *r = &recs[x->rec - a];
		r->rectified = x->rectified;
		r->revoked = x->revoked;
		r->suspended_from = x->suspended_from;
		r->suspended_until = x->suspended_until;
	}
	for (uint64_t c = 0; c < out->ncons; c++) {
		const struct img_cons *ic = &f->cons[f->coff[e] + c];
		cons[c] = (struct sc_pop_consent){ic->date, ic->card, ic->granted != 0};
	}
}

/* Lays pop over the file: subjects merged by ledger id (pop wins), names
 * tables joined. The file must be of this ledger (type ids shared). */
static enum sc_status view_build(struct sc_image *v)
{
	struct img_file *f = &v->f;
	struct sc_pop *p = &v->pop;
	uint64_t nf = f->map ? f->h->nsub : 0, nfc = f->map ? f->h->ncards : 0;
	uint64_t i = 0, k = 0;

	v->ent = malloc((nf + p->nsub + 1) * sizeof(*v->ent));
	v->types = calloc(p->ntypes + 1, sizeof(*v->types));
	v->cards = calloc(nfc + p->ncards + 1, sizeof(*v->cards));
	v->popcard = calloc(p->ncards + 1, sizeof(*v->popcard));
	if (!v->ent || !v->types || !v->cards || !v->popcard)
		return SC_ENOMEM;
	while (i < nf || k < p->nsub) {
		if (k < p->nsub && (i >= nf || p->sid[k] <= f->sid[i])) {
			if (i < nf && p->sid[k] == f->sid[i])
				i++;
			v->ent[v->n++] = ENT_POP | k++;
		} else {
			v->ent[v->n++] = i++;
		}
	}
	if (p->types) { /* the ledger's whole table, newer than the file's */
		for (size_t t = 0; t < p->ntypes; t++)
			v->types[t] = p->types[t] ? p->types[t] : "";
		v->ntypes = p->ntypes;
	} else if (f->map) {
		free(v->types);
		if (!(v->types = calloc(f->h->ntypes + 1, sizeof(*v->types))))
			return SC_ENOMEM;
		for (uint64_t t = 0; t < f->h->ntypes; t++)
			v->types[t] = f->types + f->typeoff[t];
		v->ntypes = f->h->ntypes;
	}
	for (uint64_t c = 0; c < nfc; c++)
		v->cards[v->ncards++] = f->cards + f->cardoff[c];
	for (size_t c = 0; c < p->ncards; c++) {
		size_t j = 0;
		while (j < v->ncards && strcmp(v->cards[j], p->cards[c]))
			j++;
		if (j == v->ncards)
			v->cards[v->ncards++] = p->cards[c];
		v->popcard[c] = (int32_t)j;
	}
	for (uint64_t s = 0; s < v->n; s++) {
		struct img_subject h;
		img_view_head(v, s, &h);
		v->nrec += h.nrecs;
		if (h.nrecs > v->maxr)
			v->maxr = h.nrecs;
		if (h.ncons > v->maxc)
			v->maxc = h.ncons;
	}
	v->maxr = v->maxr ? v->maxr : 1;
	v->maxc = v->maxc ? v->maxc : 1;
	return SC_OK;
}

/* Changed subjects' ids, as sc_store_changed_since gives them. */
struct idlist {
	char **ids;
	size_t n, cap;
	bool nomem;
};

static enum sc_status collect(void *ctx, const char *id)
{
	struct idlist *l = ctx;

	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 256;
		char **n = realloc(l->ids, ncap * sizeof(*n));
		if (!n)
			return SC_ENOMEM;
		l->ids = n;
		l->cap = ncap;
	}
	if (!(l->ids[l->n] = strdup(id)))
		return SC_ENOMEM;
	l->n++;
	return SC_OK;
}

static void idlist_free(struct idlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->ids[i]);
	free(l->ids);
}

/* Folding re-read subjects into a new file pays once they pass this share
 * of the population (or any number, with SC_IMAGE_FOLD). */
#define FOLD_SHARE 32    /* 1/32 */
#define FOLD_MIN 4096
#define REBUILD_SHARE 4  /* more than 1/4 changed: read the whole ledger */

/* The view of the file at path alone. */
static enum sc_status open_file_view(const char *path, struct sc_image **out,
				     struct sc_diag *d)
{
	struct sc_image *v = calloc(1, sizeof(*v));
	enum sc_status st;

	if (!v)
		return SC_ENOMEM;
	if ((st = img_file_open(path, &v->f, d)) || (st = view_build(v))) {
		sc_image_close(v);
		return st;
	}
	v->mark = v->f.h->mark;
	snprintf(v->ledger, sizeof(v->ledger), "%.32s", v->f.h->ledger);
	*out = v;
	return SC_OK;
}

/* Writes v to path and replaces it by the view of the new file. */
static enum sc_status fold(struct sc_image **v, const char *path,
			   struct sc_image_info *info, struct sc_diag *d)
{
	struct sc_image *n = NULL;
	enum sc_status st;

	if ((st = img_file_write(*v, path, d)) || (st = open_file_view(path, &n, d)))
		return st;
	sc_image_close(*v);
	*v = n;
	info->bytes = n->f.size;
	return SC_OK;
}

static enum sc_status build(struct sc_store *st, const char *path,
			    struct sc_image **out, struct sc_image_info *info,
			    struct sc_diag *d)
{
	struct sc_image *v = calloc(1, sizeof(*v));
	enum sc_status rc;

	if (!v)
		return SC_ENOMEM;
	info->built = true;
	if ((rc = sc_store_pop_load(st, NULL, 0, -1, &v->pop, &v->mark, v->ledger, d)) ||
	    (rc = view_build(v)) || (rc = fold(&v, path, info, d))) {
		sc_image_close(v);
		return rc;
	}
	info->reread = v->n;
	*out = v;
	return SC_OK;
}

enum sc_status sc_image_sync(struct sc_store *st, const char *path, unsigned flags,
			     struct sc_image **out, struct sc_image_info *info,
			     sc_store_progress_fn progress, void *ctx,
			     struct sc_diag *d)
{
	struct sc_image *v = NULL;
	struct idlist ids = {0};
	struct sc_store_mark to;
	struct sc_diag d2;
	enum sc_status rc;
	uint64_t nf;

	memset(info, 0, sizeof(*info));
	*out = NULL;
	if (progress)
		progress(ctx, 0, 1);
	sc_diag_clear(&d2);
	if (flags & SC_IMAGE_REBUILD) {
		snprintf(info->why, sizeof(info->why), "a rebuild was asked for");
		goto rebuild;
	}
	if (!(v = calloc(1, sizeof(*v))))
		return SC_ENOMEM;
	if ((rc = img_file_open(path, &v->f, &d2))) {
		if (rc == SC_EREFUSED) { /* a link in its place: never replaced */
			if (d)
				*d = d2;
			goto fail;
		}
		snprintf(info->why, sizeof(info->why), "%.150s", rc == SC_ENOTFOUND ? "there was none"
								: d2.message);
		goto rebuild;
	}
	nf = v->f.h->nsub;
	if ((rc = sc_store_changed_since(st, &v->f.h->mark, &to, collect, &ids, d)))
		goto fail;
	if (ids.n > FOLD_MIN && ids.n > nf / REBUILD_SHARE) {
		snprintf(info->why, sizeof(info->why),
			 "%zu changes to subjects' files since it was made", ids.n);
		goto rebuild;
	}
	/* the changed subjects and every subject filed since, over the file */
	if ((rc = sc_store_pop_load(st, (const char *const *)ids.ids, ids.n,
				    nf ? v->f.sid[nf - 1] : 0, &v->pop, NULL, v->ledger, d)))
		goto fail;
	if (strncmp(v->ledger, v->f.h->ledger, SC_STORE_LEDGER_ID)) {
		snprintf(info->why, sizeof(info->why), "it was made from another ledger");
		goto rebuild;
	}
	v->mark = to;
	if ((rc = view_build(v)))
		goto fail;
	info->reread = v->pop.nsub;
	info->bytes = v->f.size;
	if (memcmp(&v->mark, &v->f.h->mark, sizeof(v->mark)) &&
	    ((flags & SC_IMAGE_FOLD) || (v->pop.nsub > FOLD_MIN && v->pop.nsub > nf / FOLD_SHARE))) {
		if ((rc = fold(&v, path, info, d)))
			goto fail;
		info->rewritten = true;
	}
	goto done;
rebuild:
	sc_image_close(v);
	v = NULL;
	if ((rc = build(st, path, &v, info, d)))
		goto fail;
done:
	idlist_free(&ids);
	info->subjects = v->n;
	info->records = v->nrec;
	if (progress)
		progress(ctx, 1, 1);
	*out = v;
	return SC_OK;
fail:
	idlist_free(&ids);
	sc_image_close(v);
	return rc;
}
