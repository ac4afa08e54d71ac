/* The population run (sc_poprun) on a generated town: from the ledger and
 * from the image (on three threads), with and without the decision
 * snapshot, under one rulebook and under two. Every way gives, for every
 * subject, what evaluating it alone through the store gives, and the same
 * tallies (counted here again from those evaluations); the subjects come in
 * ledger order; the snapshot holds each subject's cards and list entries
 * and is the same file both ways; no snapshot is written when none is
 * asked for or when a visitor stops the run; the stored tallies are the
 * run's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "ledger_files.h"
#include "socred/generate.h"
#include "socred/ingest.h"
#include "socred/poprun.h"

#define MAX_SUBJECTS 1024
#define THREADS 3

/* One subject as a visitor saw it: its id, the thread, and a digest of its
 * results under each rulebook. */
struct seen {
	char id[SC_LIMIT_SUBJECT_ID + 1];
	size_t thread;
	uint64_t digest[SC_POPRUN_RULEBOOKS];
};

/* The visitor's record of one run: per thread, the subjects in the order
 * visited. */
struct visits {
	size_t nrb;
	struct seen seen[THREADS][MAX_SUBJECTS];
	size_t n[THREADS];
	size_t stop_at; /* 0: never; else fail the n-th subject */
	size_t total;
	bool phase_seen[2];
	uint64_t last_done, last_total;
};

static struct {
	char db[128], snap[160], image[160];
	struct sc_store *st;
	struct sc_rulebook *rb, *draft;
	sc_day at;
} g;

static void mix(uint64_t *h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		*h ^= b[i];
		*h *= UINT64_C(0x100000001b3);
	}
}

/* What ev says about the subject it last evaluated: every scorecard's
 * status, score and grade, and every list entry. */
static uint64_t digest(const struct sc_eval *ev)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	const struct sc_list_hit *lh;
	size_t n;

	for (size_t c = 0; c < sc_rulebook_scorecard_count(sc_eval_rulebook(ev)); c++) {
		const struct sc_card_result *r = sc_eval_card(ev, (int)c);
		int32_t v[3] = {(int32_t)r->status, r->status == SC_CARD_SCORED ? r->score : 0,
				r->grade};
		mix(&h, v, sizeof(v));
	}
	lh = sc_eval_lists(ev, &n);
	for (size_t i = 0; i < n; i++) {
		int32_t v[3] = {lh[i].list, lh[i].since, lh[i].until};
		mix(&h, v, sizeof(v));
	}
	return h;
}

static enum sc_status visit(void *ctx, size_t thread, const char *id,
			    const struct sc_subject *subjects, struct sc_eval *const *evs)
{
	struct visits *v = ctx;
	struct seen *s;

	(void)subjects;
	if (thread >= THREADS || v->n[thread] >= MAX_SUBJECTS)
		return SC_ELIMIT;
	s = &v->seen[thread][v->n[thread]++];
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->thread = thread;
	for (size_t k = 0; k < v->nrb; k++)
		s->digest[k] = digest(evs[k]);
	/* threads count at once; only the single-threaded runs stop */
	if (v->stop_at && ++v->total == v->stop_at)
		return SC_ELIMIT;
	return SC_OK;
}

static void progress(void *ctx, enum sc_poprun_phase phase, uint64_t done, uint64_t total)
{
	struct visits *v = ctx;

	v->phase_seen[phase] = true;
	if (phase == SC_POPRUN_EVALUATE) {
		v->last_done = done;
		v->last_total = total;
	}
}

/* The subjects visited, in thread order. */
static size_t flatten(const struct visits *v, const struct seen **out)
{
	size_t n = 0;

	for (size_t t = 0; t < THREADS; t++)
		for (size_t i = 0; i < v->n[t]; i++)
			out[n++] = &v->seen[t][i];
	return n;
}

static bool exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

/* One run of the town: from the image when image, with the snapshot when
 * snap; rulebooks rb (and draft when two). */
static void run(bool image, bool snap, size_t nrb, struct visits *v,
		struct sc_poprun_result *r)
{
	struct sc_poprun_opts o = {.rbs = {g.rb, g.draft}, .nrb = nrb, .at = g.at,
				   .image = image ? g.image : NULL, .threads = THREADS,
				   .snapshot = snap ? g.snap : NULL, .open_snapshot = snap,
				   .progress = progress, .visit = visit, .ctx = v};
	struct sc_diag d;

	memset(v, 0, sizeof(*v));
	v->nrb = nrb;
	if (!snap) /* else a file left there lends its record ids */
		unlink(g.snap);
	sc_diag_clear(&d);
	assert_int_equal(sc_poprun_threads(&o), image ? THREADS : 1);
	if (sc_poprun(g.st, &o, r, &d) != SC_OK)
		fail_msg("sc_poprun: %s", d.message);
	assert_int_equal(r->nrb, nrb);
	assert_int_equal(r->threads, image ? THREADS : 1);
	assert_int_equal(r->from_image, image);
	assert_int_equal(exists(g.snap), snap);
	assert_int_equal(r->snap != NULL, snap);
	assert_true(v->phase_seen[SC_POPRUN_EVALUATE]);
	assert_int_equal(v->phase_seen[SC_POPRUN_IMAGE], image);
	assert_int_equal(v->last_done, r->subjects);
	assert_int_equal(v->last_total, r->subjects);
	if (!image)
		assert_int_equal(v->n[1] + v->n[2], 0);
}

static void tally_alloc(struct sc_poprun_tally *t, const struct sc_rulebook *rb)
{
	memset(t, 0, sizeof(*t));
	t->nlists = sc_rulebook_list_count(rb);
	t->members = calloc(t->nlists + 1, sizeof(uint64_t));
	t->entries = calloc(t->nlists + 1, sizeof(uint64_t));
	assert_non_null(t->members);
	assert_non_null(t->entries);
}

static void tally_equal(const struct sc_poprun_tally *a, const struct sc_poprun_tally *b)
{
	for (size_t i = 0; i < SC_LIMIT_SCORECARDS; i++) {
		for (int k = 0; k < 3; k++)
			assert_int_equal(a->status[i][k], b->status[i][k]);
		for (int k = 0; k < SC_LIMIT_GRADES; k++)
			assert_int_equal(a->grades[i][k], b->grades[i][k]);
	}
	assert_int_equal(a->nlists, b->nlists);
	for (size_t l = 0; l < a->nlists; l++) {
		assert_int_equal(a->members[l], b->members[l]);
		assert_int_equal(a->entries[l], b->entries[l]);
	}
}

/* The snapshot's entry for the subject ev last evaluated is ev's. */
static void snap_agrees(const struct sc_snap *s, const char *id, const struct sc_eval *ev,
			const struct sc_loaded *l)
{
	struct sc_snap_entry e;
	const struct sc_list_hit *lh;
	size_t n;

	assert_true(sc_snap_find(s, id, strlen(id), &e));
	assert_int_equal(e.kind, l->view.kind);
	assert_int_equal(e.ncards, sc_rulebook_scorecard_count(sc_eval_rulebook(ev)));
	for (size_t c = 0; c < e.ncards; c++) {
		const struct sc_card_result *want = sc_eval_card(ev, (int)c);
		struct sc_card_result got;
		sc_snap_entry_card(&e, c, &got);
		assert_int_equal(got.status, want->status);
		assert_int_equal(got.grade, want->grade);
		if (want->status == SC_CARD_SCORED)
			assert_int_equal(got.score, want->score);
	}
	lh = sc_eval_lists(ev, &n);
	assert_true(n <= SC_SNAP_HITS_MAX);
	assert_false(e.ledger_only);
	assert_int_equal(e.nhits, n);
	for (size_t i = 0; i < n; i++) {
		struct sc_snap_hit h;
		sc_snap_entry_hit(&e, i, &h);
		assert_int_equal(h.list, lh[i].list);
		assert_int_equal(h.since, lh[i].since);
		assert_int_equal(h.until, lh[i].until);
		assert_string_equal(sc_snap_hit_record(&e, &h), l->record_ids[lh[i].record]);
	}
}

/* Every subject the run visited, evaluated alone through the store under
 * each rulebook, gives what the run's visitor saw (and, with a snapshot,
 * what the snapshot holds), and the run's counts are these evaluations'.
 * *draft_differs: some subject's results differ between the rulebooks. */
static void agrees_with_store(const struct visits *v, const struct sc_poprun_result *r,
			      bool *draft_differs)
{
	static const struct seen *flat[THREADS * MAX_SUBJECTS];
	const struct sc_rulebook *rbs[SC_POPRUN_RULEBOOKS] = {g.rb, g.draft};
	struct sc_poprun_tally want[SC_POPRUN_RULEBOOKS];
	uint64_t records = 0;
	size_t n = flatten(v, flat);

	assert_int_equal(n, r->subjects);
	assert_true(n > 300);
	if (draft_differs)
		*draft_differs = false;
	for (size_t k = 0; k < r->nrb; k++) {
		struct sc_eval *ev = sc_eval_new(rbs[k]);
		assert_non_null(ev);
		tally_alloc(&want[k], rbs[k]);
		for (size_t i = 0; i < n; i++) {
			struct sc_loaded l;
			const struct sc_list_hit *lh;
			size_t nh;
			struct sc_text id = {flat[i]->id, strlen(flat[i]->id)};
			assert_int_equal(sc_store_subject_load(g.st, rbs[k], id, &l, NULL), SC_OK);
			assert_int_equal(sc_eval_subject(ev, &l.view, g.at, 0), SC_OK);
			if (digest(ev) != flat[i]->digest[k])
				fail_msg("subject %s under rulebook %zu: the run saw other results",
					 flat[i]->id, k);
			if (draft_differs && k == 1 && flat[i]->digest[0] != flat[i]->digest[1])
				*draft_differs = true;
			if (k == 0 && r->snap)
				snap_agrees(r->snap, flat[i]->id, ev, &l);
			if (k == 0)
				records += l.view.nrecs;
			for (size_t c = 0; c < sc_rulebook_scorecard_count(rbs[k]); c++) {
				const struct sc_card_result *cr = sc_eval_card(ev, (int)c);
				want[k].status[c][cr->status]++;
				if (cr->status == SC_CARD_SCORED)
					want[k].grades[c][cr->grade]++;
			}
			lh = sc_eval_lists(ev, &nh);
			for (size_t h = 0; h < nh; h++) {
				if (h == 0 || lh[h].list != lh[h - 1].list)
					want[k].members[lh[h].list]++;
				want[k].entries[lh[h].list]++;
			}
			sc_loaded_release(&l);
		}
		tally_equal(&r->tally[k], &want[k]);
		free(want[k].members);
		free(want[k].entries);
		sc_eval_free(ev);
	}
	assert_int_equal(records, r->records);
	if (r->snap) {
		struct sc_store_mark m;
		assert_int_equal(sc_snap_count(r->snap), n);
		assert_int_equal(sc_snap_day(r->snap), g.at);
		sc_snap_mark(r->snap, &m);
		assert_memory_equal(&m, &r->mark, sizeof(m));
	}
}

/* The visitors saw the same subjects in the same order. */
static void same_order(const struct visits *a, const struct visits *b)
{
	static const struct seen *fa[THREADS * MAX_SUBJECTS], *fb[THREADS * MAX_SUBJECTS];
	size_t na = flatten(a, fa), nb = flatten(b, fb);

	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		assert_string_equal(fa[i]->id, fb[i]->id);
		assert_int_equal(fa[i]->digest[0], fb[i]->digest[0]);
	}
}

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b;
	long size;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	b = malloc((size_t)size + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	*n = (size_t)size;
	return b;
}

/* One rulebook, with the snapshot: from the ledger and from the image on
 * three threads, each subject as the store gives it, the same snapshot
 * file both ways. */
static void one_rulebook(void **state)
{
	static struct visits vl, vi;
	struct sc_poprun_result rl, ri;
	unsigned char *fl, *fi;
	size_t nl, ni;

	(void)state;
	run(false, true, 1, &vl, &rl);
	agrees_with_store(&vl, &rl, NULL);
	assert_false(rl.from_image);
	fl = slurp(g.snap, &nl);
	run(true, true, 1, &vi, &ri);
	agrees_with_store(&vi, &ri, NULL);
	fi = slurp(g.snap, &ni);
	/* the image was made now: every subject read from the ledger */
	assert_true(ri.image.built);
	assert_int_equal(ri.image.subjects, ri.subjects);
	for (size_t t = 0; t < THREADS; t++)
		assert_true(vi.n[t] > 0);
	same_order(&vl, &vi);
	tally_equal(&rl.tally[0], &ri.tally[0]);
	assert_memory_equal(&rl.mark, &ri.mark, sizeof(rl.mark));
	assert_int_equal(nl, ni);
	assert_memory_equal(fl, fi, nl);
	/* the second file's record ids came from the first */
	assert_true(ri.ids_carried > 0);
	assert_int_equal(ri.ids_looked_up, 0);
	assert_true(rl.ids_looked_up > 0);
	free(fl);
	free(fi);
	sc_poprun_release(&rl);
	sc_poprun_release(&ri);
	assert_null(ri.snap);
}

/* Two rulebooks, no snapshot: each subject under each rulebook as the
 * store gives it, both ways; the first rulebook's counts are a one-rulebook
 * run's. */
static void two_rulebooks(void **state)
{
	static struct visits v1, vl, vi;
	struct sc_poprun_result r1, rl, ri;
	bool differs;

	(void)state;
	run(true, false, 1, &v1, &r1);
	assert_int_equal(r1.ids_carried + r1.ids_looked_up, 0);
	run(false, false, 2, &vl, &rl);
	agrees_with_store(&vl, &rl, &differs);
	assert_true(differs);
	run(true, false, 2, &vi, &ri);
	assert_false(ri.image.built); /* the image the first run left, up to date */
	agrees_with_store(&vi, &ri, &differs);
	assert_true(differs);
	same_order(&vl, &vi);
	same_order(&v1, &vi);
	tally_equal(&r1.tally[0], &rl.tally[0]);
	tally_equal(&rl.tally[0], &ri.tally[0]);
	tally_equal(&rl.tally[1], &ri.tally[1]);
	sc_poprun_release(&r1);
	sc_poprun_release(&rl);
	sc_poprun_release(&ri);
}

/* A visitor that stops the run stops it with its status, the subject
 * named, and no snapshot; options out of range are refused. */
static void stopped(void **state)
{
	static struct visits v;
	struct sc_poprun_opts o = {.rbs = {g.rb, g.draft}, .nrb = 1, .at = g.at,
				   .snapshot = g.snap, .visit = visit, .ctx = &v};
	struct sc_poprun_result r;
	struct sc_diag d;
	char want[128];

	(void)state;
	memset(&v, 0, sizeof(v));
	v.nrb = 1;
	v.stop_at = 10;
	unlink(g.snap);
	sc_diag_clear(&d);
	assert_int_equal(sc_poprun(g.st, &o, &r, &d), SC_ELIMIT);
	snprintf(want, sizeof(want), "evaluating subject '%s' failed", v.seen[0][9].id);
	assert_string_equal(d.message, want);
	assert_int_equal(v.n[0], 10);
	assert_false(exists(g.snap));
	assert_int_equal(r.subjects, 0);
	assert_null(r.tally[0].members);
	sc_poprun_release(&r);
	o.nrb = 0;
	assert_int_equal(sc_poprun(g.st, &o, &r, NULL), SC_EINVAL);
	o.nrb = 3;
	assert_int_equal(sc_poprun(g.st, &o, &r, NULL), SC_EINVAL);
	o.nrb = 1;
	o.image = g.image;
	o.threads = SC_IMAGE_THREADS_MAX + 1;
	assert_int_equal(sc_poprun(g.st, &o, &r, NULL), SC_EINVAL);
	assert_false(exists(g.snap));
}

/* What sc_poprun_save stores is the run's tallies. */
struct stored {
	const struct sc_rulebook *rb;
	const struct sc_poprun_tally *t;
	uint64_t sum;
	size_t rows;
};

static enum sc_status stored_grade(void *ctx, const char *card, const char *grade, int64_t n)
{
	struct stored *s = ctx;
	int c = sc_rulebook_scorecard_find(s->rb, card, strlen(card));

	assert_true(c >= 0);
	for (size_t k = 0; k < sc_rulebook_grade_count(s->rb, c); k++)
		if (!strcmp(sc_rulebook_grade_name(s->rb, c, (int)k), grade))
			assert_int_equal((uint64_t)n, s->t->grades[c][k]);
	s->sum += (uint64_t)n;
	s->rows++;
	return SC_OK;
}

static enum sc_status stored_list(void *ctx, const char *list, const char *unused, int64_t n)
{
	struct stored *s = ctx;

	(void)unused;
	for (size_t l = 0; l < s->t->nlists; l++)
		if (!strcmp(sc_rulebook_list_name(s->rb, (int)l), list))
			assert_int_equal((uint64_t)n, s->t->members[l]);
	s->rows++;
	return SC_OK;
}

static void saved(void **state)
{
	static struct visits v;
	struct sc_poprun_result r;
	struct stored s = {.rb = NULL};
	uint64_t scored = 0;
	int64_t id = 0;
	sc_day day;

	(void)state;
	run(true, false, 1, &v, &r);
	assert_int_equal(sc_poprun_save(g.st, &r, 1.5, &id, NULL), SC_OK);
	assert_true(id > 0);
	s.rb = g.rb;
	s.t = &r.tally[0];
	assert_int_equal(sc_store_tally(g.st, SC_TALLY_GRADES, stored_grade, &s, &day, NULL), SC_OK);
	assert_int_equal(day, g.at);
	for (size_t c = 0; c < sc_rulebook_scorecard_count(g.rb); c++)
		scored += r.tally[0].status[c][SC_CARD_SCORED];
	assert_int_equal(s.sum, scored);
	assert_true(s.rows > 0);
	s.rows = 0;
	assert_int_equal(sc_store_tally(g.st, SC_TALLY_LISTS, stored_list, &s, &day, NULL), SC_OK);
	assert_true(s.rows > 0);
	sc_poprun_release(&r);
}

/* The town: 300 people and 30 organisations, and a draft with a stricter
 * A grade. */
static int setup(void **state)
{
	struct sc_gen_opts go = {.people = 300, .orgs = 30, .seed = 3,
				 .from = sc_date_from_ymd(2020, 1, 1),
				 .to = sc_date_from_ymd(2025, 12, 1)};
	struct sc_ingest_opts io = {0};
	struct sc_ingest_stats is = {0};
	size_t n;
	char *text, *at;
	FILE *csv;

	(void)state;
	snprintf(g.db, sizeof(g.db), "/tmp/socred-test-poprun-%ld.db", (long)getpid());
	sc_snap_path(g.db, g.snap, sizeof(g.snap));
	sc_image_path(g.db, g.image, sizeof(g.image));
	remove_ledger(g.db);
	unlink(g.snap);
	unlink(g.image);
	g.at = sc_date_from_ymd(2025, 12, 31);
	assert_int_equal(sc_rulebook_load(SOURCE_DIR "/rulebooks/default.yaml", &g.rb, NULL), SC_OK);
	text = (char *)slurp(SOURCE_DIR "/rulebooks/default.yaml", &n);
	text[n] = '\0';
	assert_non_null(at = strstr(text, "{grade: A, min: 960}"));
	memcpy(at, "{grade: A, min: 990}", 20);
	assert_int_equal(sc_rulebook_compile(text, n, "draft.yaml", &g.draft, NULL), SC_OK);
	free(text);
	assert_int_equal(sc_store_open(g.db, SC_STORE_CREATE, &g.st, NULL), SC_OK);
	assert_non_null(csv = tmpfile());
	assert_int_equal(sc_generate(&go, csv, NULL, NULL), SC_OK);
	rewind(csv);
	assert_int_equal(sc_ingest_stream(g.st, g.rb, csv, "town.csv", &io, &is, NULL), SC_OK);
	fclose(csv);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sc_store_close(g.st);
	remove_ledger(g.db);
	unlink(g.snap);
	unlink(g.image);
	sc_rulebook_free(g.rb);
	sc_rulebook_free(g.draft);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_rulebook),
		cmocka_unit_test(two_rulebooks),
		cmocka_unit_test(stopped),
		cmocka_unit_test(saved),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
