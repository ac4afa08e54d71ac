/* The population run (see socred/poprun.h). Each thread has its own part:
 * its evaluators, its counts and its own snapshot writer. After the walk
 * the counts are summed and the writers joined in thread order, so the
 * snapshot holds the subjects in ledger order however many threads
 * evaluated them. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "socred/poprun.h"

struct job;

/* One thread's share. */
struct part {
	const struct job *job;
	size_t thread;
	struct sc_eval *ev[SC_POPRUN_RULEBOOKS];
	struct sc_snap_writer *w; /* NULL without a snapshot */
	uint64_t subjects, records;
	struct sc_poprun_tally tally[SC_POPRUN_RULEBOOKS];
	struct sc_diag d;         /* what failed, naming the subject */
};

struct job {
	const struct sc_poprun_opts *o;
	struct part *parts;
	size_t nparts;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- tallies ---- */

static enum sc_status tally_init(struct sc_poprun_tally *t, const struct sc_rulebook *rb)
{
	memset(t, 0, sizeof(*t));
	t->nlists = sc_rulebook_list_count(rb);
	t->members = calloc(t->nlists + 1, sizeof(*t->members));
	t->entries = calloc(t->nlists + 1, sizeof(*t->entries));
	return t->members && t->entries ? SC_OK : SC_ENOMEM;
}

static void tally_release(struct sc_poprun_tally *t)
{
	free(t->members);
	free(t->entries);
	t->members = t->entries = NULL;
}

/* Counts the subject ev last evaluated. */
static void tally_count(struct sc_poprun_tally *t, const struct sc_eval *ev)
{
	size_t ncards = sc_rulebook_scorecard_count(sc_eval_rulebook(ev)), n;
	const struct sc_list_hit *h;

	for (size_t i = 0; i < ncards; i++) {
		const struct sc_card_result *r = sc_eval_card(ev, (int)i);
		t->status[i][r->status]++;
		if (r->status == SC_CARD_SCORED && r->grade >= 0)
			t->grades[i][r->grade]++;
	}
	h = sc_eval_lists(ev, &n);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || h[i].list != h[i - 1].list)
			t->members[h[i].list]++;
		t->entries[h[i].list]++;
	}
}

static void tally_add(struct sc_poprun_tally *a, const struct sc_poprun_tally *b)
{
	for (size_t i = 0; i < SC_LIMIT_SCORECARDS; i++) {
		for (int k = 0; k < 3; k++)
			a->status[i][k] += b->status[i][k];
		for (int k = 0; k < SC_LIMIT_GRADES; k++)
			a->grades[i][k] += b->grades[i][k];
	}
	for (size_t l = 0; l < a->nlists; l++) {
		a->members[l] += b->members[l];
		a->entries[l] += b->entries[l];
	}
}

/* ---- the threads' parts ---- */

static void parts_free(struct job *job)
{
	for (size_t t = 0; job->parts && t < job->nparts; t++) {
		struct part *p = &job->parts[t];
		for (size_t k = 0; k < SC_POPRUN_RULEBOOKS; k++) {
			sc_eval_free(p->ev[k]);
			tally_release(&p->tally[k]);
		}
		sc_snap_writer_free(p->w);
	}
	free(job->parts);
	job->parts = NULL;
}

static enum sc_status parts_new(struct job *job)
{
	const struct sc_poprun_opts *o = job->o;

	if (!(job->parts = calloc(job->nparts, sizeof(*job->parts))))
		return SC_ENOMEM;
	for (size_t t = 0; t < job->nparts; t++) {
		struct part *p = &job->parts[t];
		p->job = job;
		p->thread = t;
		sc_diag_clear(&p->d);
		for (size_t k = 0; k < o->nrb; k++)
			if (!(p->ev[k] = sc_eval_new(o->rbs[k])) ||
			    tally_init(&p->tally[k], o->rbs[k]))
				return SC_ENOMEM;
		if (o->snapshot && sc_snap_writer_new(o->rbs[0], o->at, &p->w))
			return SC_ENOMEM;
	}
	return SC_OK;
}

/* Room in each part's writer for its share of n subjects, so that the
 * walk does not grow and copy them as it goes (an estimate: an entry is
 * its head, cards and an id of about 18 bytes; list entries are few). */
static enum sc_status parts_reserve(struct job *job, uint64_t n)
{
	size_t ncards = sc_rulebook_scorecard_count(job->o->rbs[0]);
	size_t each = (size_t)(n / job->nparts + n / (job->nparts * 64) + 1024);
	size_t bytes = each * (4 + ncards * 8 + 20);

	for (size_t t = 0; t < job->nparts; t++)
		if (sc_snap_writer_reserve(job->parts[t].w, each, bytes))
			return SC_ENOMEM;
	return SC_OK;
}

/* After a failed walk: the part that failed says which subject. */
static void parts_diag(const struct job *job, struct sc_diag *d)
{
	for (size_t t = 0; d && t < job->nparts; t++)
		if (job->parts[t].d.message[0]) {
			*d = job->parts[t].d;
			return;
		}
}

/* ---- the walk ---- */

/* One subject, on one of the walk's threads: evaluated under each
 * rulebook, counted, added to the thread's snapshot writer, visited. */
static enum sc_status visit(void *tctx, int64_t sid, const char *id,
			    const struct sc_subject *subjects)
{
	struct part *p = tctx;
	const struct sc_poprun_opts *o = p->job->o;
	enum sc_status st;

	(void)sid;
	if (o->keep && !o->keep(o->ctx, id))
		return SC_OK;
	for (size_t k = 0; k < o->nrb; k++)
		if ((st = sc_eval_subject(p->ev[k], &subjects[k], o->at, 0)))
			return sc_diag_set(&p->d, st, NULL, 0, 0, "subject",
					   "cannot evaluate subject '%s'", id);
	p->subjects++;
	p->records += subjects[0].nrecs;
	for (size_t k = 0; k < o->nrb; k++)
		tally_count(&p->tally[k], p->ev[k]);
	if (p->w && (st = sc_snap_writer_add_eval(p->w, id, &subjects[0], p->ev[0])))
		return sc_diag_set(&p->d, st, NULL, 0, 0, "subject",
				   "cannot add subject '%s' to the snapshot", id);
	if (o->visit && (st = o->visit(o->ctx, p->thread, id, subjects, p->ev)))
		return sc_diag_set(&p->d, st, NULL, 0, 0, "subject",
				   "evaluating subject '%s' failed", id);
	return SC_OK;
}

/* The ledger's walk: one thread, parts[0]. */
static enum sc_status visit_ledger(void *vctx, int64_t sid, const char *id,
				   const struct sc_subject *subjects)
{
	struct job *job = vctx;

	return visit(&job->parts[0], sid, id, subjects);
}

static void on_image(void *vctx, uint64_t done, uint64_t total)
{
	const struct sc_poprun_opts *o = ((struct job *)vctx)->o;

	o->progress(o->ctx, SC_POPRUN_IMAGE, done, total);
}

static void on_evaluate(void *vctx, uint64_t done, uint64_t total)
{
	const struct sc_poprun_opts *o = ((struct job *)vctx)->o;

	o->progress(o->ctx, SC_POPRUN_EVALUATE, done, total);
}

/* Every subject from the image, on every part's thread; r->mark: the
 * image's. The image is closed when the walk is done. */
static enum sc_status walk_image(struct sc_store *st, struct job *job,
				 struct sc_poprun_result *r, struct sc_diag *d)
{
	const struct sc_poprun_opts *o = job->o;
	struct sc_image *img = NULL;
	void *tctx[SC_IMAGE_THREADS_MAX];
	double t0 = now();
	enum sc_status rc;

	r->from_image = true;
	if ((rc = sc_image_sync(st, o->image, o->image_flags, &img, &r->image,
				o->progress ? on_image : NULL, job, d)))
		return rc;
	r->image_seconds = now() - t0;
	if (o->snapshot && (rc = parts_reserve(job, sc_image_subjects(img)))) {
		sc_diag_set(d, rc, NULL, 0, 0, NULL, "out of memory");
		goto close;
	}
	for (size_t t = 0; t < job->nparts; t++)
		tctx[t] = &job->parts[t];
	sc_image_mark(img, &r->mark);
	rc = sc_image_scan(img, o->rbs, o->nrb, job->nparts, visit, tctx,
			   o->progress ? on_evaluate : NULL, job, d);
close:
	sc_image_close(img);
	return rc;
}

/* The parts' counts summed into r. */
static void merge(const struct job *job, struct sc_poprun_result *r)
{
	for (size_t t = 0; t < job->nparts; t++) {
		const struct part *p = &job->parts[t];
		r->subjects += p->subjects;
		r->records += p->records;
		for (size_t k = 0; k < r->nrb; k++)
			tally_add(&r->tally[k], &p->tally[k]);
	}
}

/* The snapshot: every part's entries, in thread order (ledger order),
 * written as of r->mark. */
static enum sc_status write_snapshot(struct sc_store *st, struct job *job,
				     struct sc_poprun_result *r, struct sc_diag *d)
{
	const struct sc_poprun_opts *o = job->o;
	struct sc_snap_writer *w = NULL;
	enum sc_status rc;

	if ((rc = sc_snap_writer_new(o->rbs[0], o->at, &w)))
		return sc_diag_set(d, rc, NULL, 0, 0, NULL, "out of memory");
	for (size_t t = 0; t < job->nparts && !rc; t++)
		rc = sc_snap_writer_append(w, job->parts[t].w);
	if (!rc)
		rc = sc_snap_writer_finish(w, &r->mark, st, o->snapshot,
					   o->open_snapshot ? &r->snap : NULL, d);
	if (!rc)
		sc_snap_writer_ids(w, &r->ids_carried, &r->ids_looked_up);
	sc_snap_writer_free(w);
	return rc;
}

size_t sc_poprun_threads(const struct sc_poprun_opts *o)
{
	if (!o->image)
		return 1;
	return o->threads ? o->threads : sc_image_threads();
}

enum sc_status sc_poprun(struct sc_store *st, const struct sc_poprun_opts *o,
			 struct sc_poprun_result *out, struct sc_diag *d)
{
	struct job job = {.o = o};
	struct sc_poprun_result r = {0};
	double t0;
	enum sc_status rc;

	memset(out, 0, sizeof(*out));
	if (o->nrb < 1 || o->nrb > SC_POPRUN_RULEBOOKS)
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, NULL,
				   "a population run takes 1 to %d rulebooks", SC_POPRUN_RULEBOOKS);
	if (o->threads > SC_IMAGE_THREADS_MAX)
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, NULL,
				   "a population run takes 1 to %d threads", SC_IMAGE_THREADS_MAX);
	r.nrb = o->nrb;
	r.at = o->at;
	for (size_t k = 0; k < o->nrb; k++)
		r.rbs[k] = o->rbs[k];
	r.threads = job.nparts = sc_poprun_threads(o);
	for (size_t k = 0; k < o->nrb; k++)
		if (tally_init(&r.tally[k], o->rbs[k])) {
			rc = sc_diag_set(d, SC_ENOMEM, NULL, 0, 0, NULL, "out of memory");
			goto fail;
		}
	if ((rc = parts_new(&job))) {
		sc_diag_set(d, rc, NULL, 0, 0, NULL, "out of memory");
		goto fail;
	}
	t0 = now();
	rc = o->image ? walk_image(st, &job, &r, d)
		      : sc_store_scan_multi(st, o->rbs, o->nrb, visit_ledger,
					    o->progress ? on_evaluate : NULL, &job, &r.mark, d);
	r.evaluate_seconds = now() - t0 - r.image_seconds;
	if (rc) {
		parts_diag(&job, d);
		goto fail;
	}
	merge(&job, &r);
	if (o->snapshot) {
		t0 = now();
		if ((rc = write_snapshot(st, &job, &r, d)))
			goto fail;
		r.snapshot_seconds = now() - t0;
	}
	parts_free(&job);
	*out = r;
	return SC_OK;
fail:
	parts_free(&job);
	sc_poprun_release(&r);
	return rc;
}

void sc_poprun_release(struct sc_poprun_result *r)
{
	if (!r)
		return;
	for (size_t k = 0; k < SC_POPRUN_RULEBOOKS; k++)
		tally_release(&r->tally[k]);
	sc_snap_close(r->snap);
	memset(r, 0, sizeof(*r));
}

enum sc_status sc_poprun_save(struct sc_store *st, const struct sc_poprun_result *r,
			      double seconds, int64_t *run, struct sc_diag *d)
{
	const struct sc_rulebook *rb = r->rbs[0];
	const struct sc_poprun_tally *a = &r->tally[0];
	struct sc_run_tally t[SC_LIMIT_SCORECARDS * (SC_LIMIT_GRADES + 2)];
	size_t nt = 0;
	struct sc_run_list *l = calloc(a->nlists + 1, sizeof(*l));
	enum sc_status rc;

	if (!l)
		return sc_diag_set(d, SC_ENOMEM, NULL, 0, 0, NULL, "out of memory");
	for (size_t i = 0; i < sc_rulebook_scorecard_count(rb); i++) {
		const char *name = sc_rulebook_scorecard_name(rb, (int)i);
		uint64_t graded = 0;
		for (size_t k = 0; k < sc_rulebook_grade_count(rb, (int)i); k++) {
			graded += a->grades[i][k];
			if (a->grades[i][k])
				t[nt++] = (struct sc_run_tally){name, "scored",
					sc_rulebook_grade_name(rb, (int)i, (int)k), a->grades[i][k]};
		}
		if (a->status[i][SC_CARD_SCORED] > graded)
			t[nt++] = (struct sc_run_tally){name, "scored", NULL,
							a->status[i][SC_CARD_SCORED] - graded};
		if (a->status[i][SC_CARD_NO_CONSENT])
			t[nt++] = (struct sc_run_tally){name, "no_consent", NULL,
							a->status[i][SC_CARD_NO_CONSENT]};
	}
	for (size_t i = 0; i < a->nlists; i++)
		l[i] = (struct sc_run_list){sc_rulebook_list_name(rb, (int)i),
					    a->members[i], a->entries[i]};
	rc = sc_store_run_save(st, r->at, r->subjects, seconds, t, nt, l, a->nlists, run, d);
	free(l);
	return rc;
}
