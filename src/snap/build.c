/* Building a decision snapshot from the ledger: a scan, each subject
 * evaluated, written whole. */
#include <stdlib.h>

#include "socred/limits.h"
#include "socred/snapshot.h"

enum sc_status sc_snap_writer_add_eval(struct sc_snap_writer *w, const char *id,
				       const struct sc_subject *s,
				       const struct sc_eval *ev)
{
	struct sc_card_result cards[SC_LIMIT_SCORECARDS];
	struct sc_snap_hit hits[SC_SNAP_HITS_MAX];
	size_t n, ncards = 0;
	const struct sc_list_hit *h = sc_eval_lists(ev, &n);

	for (; ncards < sc_rulebook_scorecard_count(sc_eval_rulebook(ev)); ncards++)
		cards[ncards] = *sc_eval_card(ev, (int)ncards);
	for (size_t i = 0; i < n && i < SC_SNAP_HITS_MAX; i++)
		hits[i] = (struct sc_snap_hit){h[i].list, h[i].since, h[i].until, NULL,
					       s->recs[h[i].record].rid};
	return sc_snap_writer_add(w, id, s->kind, cards, hits, n);
}

struct build {
	struct sc_eval *ev;
	struct sc_snap_writer *w;
	sc_day at;
	sc_store_progress_fn progress;
	void *ctx;
	struct sc_diag *d;
};

static enum sc_status visit(void *vctx, int64_t sid, const char *id,
			    const struct sc_subject *s)
{
	struct build *b = vctx;
	enum sc_status rc;

	(void)sid;
	if ((rc = sc_eval_subject(b->ev, s, b->at, 0)))
		return sc_diag_set(b->d, rc, NULL, 0, 0, "subject",
				   "cannot evaluate subject '%s'", id);
	if ((rc = sc_snap_writer_add_eval(b->w, id, s, b->ev)))
		return sc_diag_set(b->d, rc, NULL, 0, 0, "subject",
				   "cannot add subject '%s' to the snapshot", id);
	return SC_OK;
}

static void on_progress(void *vctx, uint64_t done, uint64_t total)
{
	struct build *b = vctx;

	if (b->progress)
		b->progress(b->ctx, done, total);
}

enum sc_status sc_snap_build(struct sc_store *st, const struct sc_rulebook *rb,
			     sc_day at, const char *path, struct sc_snap **opened,
			     sc_store_progress_fn progress, void *ctx,
			     struct sc_diag *d)
{
	struct build b = {.at = at, .progress = progress, .ctx = ctx, .d = d};
	struct sc_store_mark mark;
	enum sc_status rc;

	if (!(b.ev = sc_eval_new(rb)))
		return SC_ENOMEM;
	if ((rc = sc_snap_writer_new(rb, at, &b.w)))
		goto out;
	if ((rc = sc_store_scan_marked(st, rb, visit, on_progress, &b, &mark, d)))
		goto out;
	rc = sc_snap_writer_finish(b.w, &mark, st, path, opened, d);
out:
	sc_snap_writer_free(b.w);
	sc_eval_free(b.ev);
	return rc;
}
