/* Evaluating the population image on several threads: each thread takes a
 * contiguous run of subjects, unpacks each one under every rulebook and
 * calls the visitor with its own context. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "image_impl.h"

struct shared {
	const struct sc_image *v;
	const struct sc_rulebook *const *rbs;
	size_t nrb;
	sc_image_visit_fn cb;
	int32_t *typemap[SC_STORE_SCAN_RULEBOOKS]; /* view type id -> rulebook's */
	int32_t *cardmap[SC_STORE_SCAN_RULEBOOKS]; /* view card id -> rulebook's */
	atomic_uint_fast64_t done;
	atomic_bool stop;
};

struct worker {
	struct shared *sh;
	void *tctx;
	uint64_t from, to;
	enum sc_status st;
	struct sc_diag d;
	pthread_t thread;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	const struct sc_image *v = sh->v;
	struct sc_eval_record *raw = malloc(v->maxr * sizeof(*raw));
	struct sc_pop_consent *rawc = malloc(v->maxc * sizeof(*rawc));
	struct sc_eval_record *buf[SC_STORE_SCAN_RULEBOOKS] = {0};
	struct sc_eval_consent *cbuf[SC_STORE_SCAN_RULEBOOKS] = {0};
	uint64_t extra = img_extra_start(v, w->from), since = 0;

	for (size_t k = 0; k < sh->nrb; k++) {
		buf[k] = malloc(v->maxr * sizeof(*buf[k]));
		cbuf[k] = malloc(v->maxc * sizeof(*cbuf[k]));
		if (!buf[k] || !cbuf[k])
			w->st = SC_ENOMEM;
	}
	if (!raw || !rawc)
		w->st = SC_ENOMEM;
	for (uint64_t i = w->from; !w->st && i < w->to; i++) {
		struct sc_subject subj[SC_STORE_SCAN_RULEBOOKS];
		struct img_subject s;

		img_view_subject(v, i, &extra, raw, rawc, &s);
		for (size_t k = 0; k < sh->nrb; k++) {
			const int32_t *tm = sh->typemap[k], *cm = sh->cardmap[k];
			size_t m = 0;
			for (size_t r = 0; r < s.nrecs; r++) {
				buf[k][r] = raw[r];
				buf[k][r].type = raw[r].type >= 0 && (size_t)raw[r].type < v->ntypes
							 ? tm[raw[r].type] : -1;
			}
			for (size_t c = 0; c < s.ncons; c++) {
				int32_t sc = rawc[c].card >= 0 && (size_t)rawc[c].card < v->ncards
						     ? cm[rawc[c].card] : -1;
				if (sc >= 0)
					cbuf[k][m++] = (struct sc_eval_consent){
						.date = rawc[c].date, .scorecard = sc,
						.granted = rawc[c].granted};
			}
			subj[k] = (struct sc_subject){.kind = s.kind, .recs = buf[k],
						      .nrecs = s.nrecs, .consents = cbuf[k],
						      .nconsents = m};
		}
		if ((w->st = sh->cb(w->tctx, s.sid, s.id, subj))) {
			sc_diag_set(&w->d, w->st, NULL, 0, 0, "subject",
				    "evaluating subject '%s' failed", s.id);
			break;
		}
		if (++since == 4096) {
			atomic_fetch_add(&sh->done, since);
			since = 0;
			if (atomic_load(&sh->stop))
				break;
		}
	}
	atomic_fetch_add(&sh->done, since);
	if (w->st)
		atomic_store(&sh->stop, true);
	free(raw);
	free(rawc);
	for (size_t k = 0; k < sh->nrb; k++) {
		free(buf[k]);
		free(cbuf[k]);
	}
	return NULL;
}

enum sc_status sc_image_scan(const struct sc_image *img,
			     const struct sc_rulebook *const *rbs, size_t nrb,
			     size_t nthreads, sc_image_visit_fn cb,
			     void *const *tctx, sc_store_progress_fn progress,
			     void *ctx, struct sc_diag *d)
{
	struct shared sh = {.v = img, .rbs = rbs, .nrb = nrb, .cb = cb};
	struct worker *w = NULL;
	enum sc_status st = SC_OK;
	size_t started = 0;

	if (nrb < 1 || nrb > SC_STORE_SCAN_RULEBOOKS || nthreads < 1 ||
	    nthreads > SC_IMAGE_THREADS_MAX)
		return SC_EINVAL;
	atomic_init(&sh.done, 0);
	atomic_init(&sh.stop, false);
	for (size_t k = 0; k < nrb; k++) {
		sh.typemap[k] = malloc((img->ntypes + 1) * sizeof(int32_t));
		sh.cardmap[k] = malloc((img->ncards + 1) * sizeof(int32_t));
		if (!sh.typemap[k] || !sh.cardmap[k]) {
			st = SC_ENOMEM;
			goto done;
		}
		for (size_t t = 0; t < img->ntypes; t++)
			sh.typemap[k][t] = img->types[t][0]
						   ? sc_rulebook_type_find(rbs[k], img->types[t],
									   strlen(img->types[t]))
						   : -1;
		for (size_t c = 0; c < img->ncards; c++)
			sh.cardmap[k][c] = sc_rulebook_scorecard_find(rbs[k], img->cards[c],
								      strlen(img->cards[c]));
	}
	if (!(w = calloc(nthreads, sizeof(*w)))) {
		st = SC_ENOMEM;
		goto done;
	}
	for (size_t t = 0; t < nthreads; t++) {
		w[t] = (struct worker){.sh = &sh, .tctx = tctx[t],
				       .from = img->n * t / nthreads,
				       .to = img->n * (t + 1) / nthreads};
		sc_diag_clear(&w[t].d);
	}
	/* threads 1.. run beside; thread 0's share runs here after progress */
	for (started = 1; started < nthreads; started++)
		if (pthread_create(&w[started].thread, NULL, work, &w[started])) {
			w[started].st = SC_ENOMEM;
			atomic_store(&sh.stop, true);
			break;
		}
	if (progress) {
		/* the calling thread reports while it works its own share in
		 * slices */
		struct worker *w0 = &w[0];
		uint64_t end = w0->to;
		for (uint64_t a = w0->from; a < end && !w0->st && !atomic_load(&sh.stop);) {
			w0->from = a;
			w0->to = a + 65536 < end ? a + 65536 : end;
			work(w0);
			a = w0->to;
			progress(ctx, atomic_load(&sh.done), img->n);
		}
	} else {
		work(&w[0]);
	}
	for (size_t t = 1; t < started; t++)
		pthread_join(w[t].thread, NULL);
	if (progress)
		progress(ctx, atomic_load(&sh.done), img->n);
	for (size_t t = 0; t < nthreads; t++)
		if (w[t].st) {
			st = w[t].st;
			if (d && w[t].d.message[0])
				*d = w[t].d;
			break;
		}
done:
	for (size_t k = 0; k < nrb; k++) {
		free(sh.typemap[k]);
		free(sh.cardmap[k]);
	}
	free(w);
	return st;
}
