/* Building a decision snapshot from the ledger: a scan, each subject
 * evaluated, written whole. */
#include <stdlib.h>

#include "socred/limits.h"
#include "socred/snapshot.h"

enum sc_status sc_snap_writer_add_eval(struct sc_snap_writer *w,
				       struct sc_store *st, const char *id,
				       const struct sc_subject *s,
				       const struct sc_eval *ev,
				       struct sc_diag *d)
{
	struct sc_card_result cards[SC_LIMIT_SCORECARDS];
	struct sc_snap_hit hits[SC_SNAP_HITS_MAX];
	char names[SC_SNAP_HITS_MAX][SC_LIMIT_RECORD_ID + 1];
	size_t n, ncards = 0;
	const struct sc_list_hit *h = sc_eval_lists(ev, &n);
	enum sc_status rc;

	for (; ncards < sc_rulebook_scorecard_count(sc_eval_rulebook(ev)); ncards++)
		cards[ncards] = *sc_eval_card(ev, (int)ncards);
	for (size_t i = 0; i < n && i < SC_SNAP_HITS_MAX; i++) {
		if ((rc = sc_store_record_name(st, s->recs[h[i].record].rid, names[i],
					       sizeof(names[i]), d)))
			return rc;
		hits[i] = (struct sc_snap_hit){h[i].list, h[i].since, h[i].until, names[i]};
	}
	rc = sc_snap_writer_add(w, id, s->kind, cards, hits, n);
	if (rc)
		return sc_diag_set(d, rc, NULL, 0, 0, "subject",
				   "cannot add subject '%s' to the snapshot", id);
	return SC_OK;
}

struct build {
	struct sc_store *st;
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
	return sc_snap_writer_add_eval(b->w, b->st, id, s, b->ev, b->d);
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
	struct build b = {.st = st, .at = at, .progress = progress, .ctx = ctx, .d = d};
	struct sc_store_mark mark;
	enum sc_status rc;

	if (!(b.ev = sc_eval_new(rb)))
		return SC_ENOMEM;
	if ((rc = sc_snap_writer_new(rb, at, &b.w)))
		goto out;
	if ((rc = sc_store_scan_marked(st, rb, visit, on_progress, &b, &mark, d)))
		goto out;
	rc = sc_snap_writer_finish(b.w, &mark, path, opened, d);
out:
	sc_snap_writer_free(b.w);
	sc_eval_free(b.ev);
	return rc;
}
