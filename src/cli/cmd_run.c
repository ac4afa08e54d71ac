/* socred run: evaluate every subject, store the results, print the grade
 * distribution and the list sizes. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "socred/limits.h"
#include "socred/report.h"
#include "socred/image.h"
#include "socred/shard.h"
#include "socred/snapshot.h"

/* One thread's share: its counts, and the snapshot entries of its
 * subjects (in ledger order, merged after the scan). */
struct part {
	struct sc_eval *ev;
	struct sc_snap_writer *w;
	sc_day at;
	size_t ncards;
	uint64_t subjects, records;
	uint64_t status[SC_LIMIT_SCORECARDS][3];
	uint64_t grades[SC_LIMIT_SCORECARDS][SC_LIMIT_GRADES];
	uint64_t *list_members, *list_entries;
	/* non-NULL: only the subjects this map gives to ledger `self` (the
	 * rest were moved to another ledger and are left behind here) */
	const struct sc_shard_map *map;
	size_t self;
	/* the subject the snapshot refused: copied, as the ledger scan lends
	 * ids for the call only */
	char bad[SC_LIMIT_SUBJECT_ID + 1];
};

struct ctx {
	struct sc_store *st;
	const struct sc_rulebook *rb;
	sc_day at;
	int64_t run;
	struct part *parts;
	size_t nparts;
	struct progress prog;
	const char *what;
};

/* One subject, on one of the scan's threads: evaluate, count, and add
 * its entry to the thread's snapshot writer. */
static enum sc_status visit(void *tctx, int64_t sid, const char *id,
			    const struct sc_subject *s)
{
	struct part *p = tctx;
	const struct sc_list_hit *h;
	size_t n;
	enum sc_status st;

	(void)sid;
	if (p->map && sc_shard_ledger(p->map, id, strlen(id)) != p->self)
		return SC_OK;
	if ((st = sc_eval_subject(p->ev, s, p->at, 0)))
		return st;
	p->subjects++;
	p->records += s->nrecs;
	for (size_t i = 0; i < p->ncards; i++) {
		const struct sc_card_result *r = sc_eval_card(p->ev, (int)i);
		p->status[i][r->status]++;
		if (r->status == SC_CARD_SCORED && r->grade >= 0)
			p->grades[i][r->grade]++;
	}
	h = sc_eval_lists(p->ev, &n);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || h[i].list != h[i - 1].list)
			p->list_members[h[i].list]++;
		p->list_entries[h[i].list]++;
	}
	if ((st = sc_snap_writer_add_eval(p->w, id, s, p->ev)))
		snprintf(p->bad, sizeof(p->bad), "%s", id);
	return st;
}

/* The reference path (--from-ledger): the ledger scan, one thread. */
static enum sc_status visit_ledger(void *vctx, int64_t sid, const char *id,
				   const struct sc_subject *s)
{
	struct ctx *c = vctx;

	return visit(&c->parts[0], sid, id, s);
}

static void on_progress(void *vctx, uint64_t done, uint64_t total)
{
	struct ctx *c = vctx;

	progress_show(&c->prog, c->what, (double)done, (double)total, (double)done, "subjects");
}

/* Room in each part's writer for its share of n subjects, so that the
 * scan does not grow and copy them as it goes (an estimate: an entry is
 * its head, cards and an id of about 18 bytes; list entries are few). */
static enum sc_status parts_reserve(struct ctx *c, uint64_t n)
{
	size_t each = (size_t)(n / c->nparts + n / (c->nparts * 64) + 1024);
	size_t bytes = each * (4 + c->parts[0].ncards * 8 + 20);

	for (size_t t = 0; t < c->nparts; t++)
		if (sc_snap_writer_reserve(c->parts[t].w, each, bytes))
			return SC_ENOMEM;
	return SC_OK;
}

/* The snapshot: every part's entries, in order (ledger order), written
 * while the record ids of list entries are looked up. */
static enum sc_status write_snapshot(struct ctx *c, struct sc_snap_writer *w,
				     const struct sc_store_mark *mark, const char *path,
				     struct sc_diag *d)
{
	enum sc_status st = SC_OK;

	for (size_t t = 0; t < c->nparts && !st; t++)
		st = sc_snap_writer_append(w, c->parts[t].w);
	if (!st)
		st = sc_snap_writer_finish(w, mark, c->st, path, NULL, d);
	return st;
}

/* The parts' counts summed into parts[0]. */
static void merge_counts(struct ctx *c)
{
	struct part *a = &c->parts[0];

	for (size_t t = 1; t < c->nparts; t++) {
		struct part *p = &c->parts[t];
		a->subjects += p->subjects;
		a->records += p->records;
		for (size_t i = 0; i < SC_LIMIT_SCORECARDS; i++) {
			for (int k = 0; k < 3; k++)
				a->status[i][k] += p->status[i][k];
			for (int k = 0; k < SC_LIMIT_GRADES; k++)
				a->grades[i][k] += p->grades[i][k];
		}
		for (size_t l = 0; l < sc_rulebook_list_count(c->rb); l++) {
			a->list_members[l] += p->list_members[l];
			a->list_entries[l] += p->list_entries[l];
		}
	}
}

static enum sc_status save_run(struct ctx *c, double secs, struct sc_diag *d)
{
	const struct sc_rulebook *rb = c->rb;
	const struct part *a = &c->parts[0];
	struct sc_run_tally t[SC_LIMIT_SCORECARDS * (SC_LIMIT_GRADES + 2)];
	struct sc_run_list *l = calloc(sc_rulebook_list_count(rb) + 1, sizeof(*l));
	size_t nt = 0;
	enum sc_status st;

	if (!l)
		return SC_ENOMEM;
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
	for (size_t i = 0; i < sc_rulebook_list_count(rb); i++)
		l[i] = (struct sc_run_list){sc_rulebook_list_name(rb, (int)i),
					    a->list_members[i], a->list_entries[i]};
	st = sc_store_run_save(c->st, c->at, a->subjects, secs, t, nt, l,
			       sc_rulebook_list_count(rb), &c->run, d);
	free(l);
	return st;
}

static json_t *summary(struct ctx *c, double secs)
{
	const struct sc_rulebook *rb = c->rb;
	json_t *cards = json_array(), *lists = json_array();

	for (size_t i = 0; i < sc_rulebook_scorecard_count(rb); i++) {
		json_t *g = json_object();
		for (size_t k = 0; k < sc_rulebook_grade_count(rb, (int)i); k++)
			json_object_set_new(g, sc_rulebook_grade_name(rb, (int)i, (int)k),
					    json_integer((json_int_t)c->parts[0].grades[i][k]));
		json_array_append_new(cards, json_pack("{s:s,s:I,s:I,s:I,s:o}",
			"scorecard", sc_rulebook_scorecard_name(rb, (int)i),
			"scored", (json_int_t)c->parts[0].status[i][SC_CARD_SCORED],
			"no_consent", (json_int_t)c->parts[0].status[i][SC_CARD_NO_CONSENT],
			"not_applicable", (json_int_t)c->parts[0].status[i][SC_CARD_NOT_APPLICABLE],
			"grades", g));
	}
	for (size_t i = 0; i < sc_rulebook_list_count(rb); i++)
		json_array_append_new(lists, json_pack("{s:s,s:s,s:I,s:I}",
			"list", sc_rulebook_list_name(rb, (int)i),
			"kind", sc_rulebook_list_kind(rb, (int)i) == SC_LIST_BLACK ? "black" : "red",
			"members", (json_int_t)c->parts[0].list_members[i],
			"entries", (json_int_t)c->parts[0].list_entries[i]));
	return json_pack("{s:I,s:o,s:s,s:s,s:I,s:I,s:f,s:f,s:o,s:o}",
		"run", (json_int_t)c->run, "at", sc_report_day(c->at),
		"rulebook", sc_rulebook_name(rb), "version", sc_rulebook_version(rb),
		"subjects", (json_int_t)c->parts[0].subjects,
		"records", (json_int_t)c->parts[0].records,
		"seconds", secs, "peak_mib", cli_peak_mib(),
		"scorecards", cards, "lists", lists);
}

void cli_run_print(json_t *o)
{
	json_t *card, *l, *img;
	size_t i;
	double secs = json_real_value(json_object_get(o, "seconds"));
	long long subjects = (long long)json_integer_value(json_object_get(o, "subjects"));
	long long records = (long long)json_integer_value(json_object_get(o, "records"));

	printf("run %lld at %s under rulebook %s %s: %lld subjects, %lld records in %.2f s"
	       " (%.0f subjects/s, %.0f records/s); peak memory %.1f MiB\n",
	       (long long)json_integer_value(json_object_get(o, "run")),
	       json_string_value(json_object_get(o, "at")),
	       json_string_value(json_object_get(o, "rulebook")),
	       json_string_value(json_object_get(o, "version")), subjects, records, secs,
	       secs > 0 ? (double)subjects / secs : 0.0, secs > 0 ? (double)records / secs : 0.0,
	       json_real_value(json_object_get(o, "peak_mib")));
	json_array_foreach(json_object_get(o, "scorecards"), i, card) {
		long long scored = (long long)json_integer_value(json_object_get(card, "scored"));
		const char *g;
		json_t *v;
		printf("\nscorecard %s: %lld scored, %lld without consent, %lld not applicable\n",
		       json_string_value(json_object_get(card, "scorecard")), scored,
		       (long long)json_integer_value(json_object_get(card, "no_consent")),
		       (long long)json_integer_value(json_object_get(card, "not_applicable")));
		json_object_foreach(json_object_get(card, "grades"), g, v) {
			long long k = (long long)json_integer_value(v);
			int bar = scored ? (int)(50.0 * (double)k / (double)scored + 0.5) : 0;
			printf("  %-4s %9lld %5.1f%%  ", g, k, scored ? 100.0 * (double)k / (double)scored : 0.0);
			for (int b = 0; b < bar; b++)
				putchar('#');
			putchar('\n');
		}
	}
	printf("\nlists at %s:\n", json_string_value(json_object_get(o, "at")));
	json_array_foreach(json_object_get(o, "lists"), i, l)
		printf("  %-24s %-5s %9lld subjects (%lld entries)\n",
		       json_string_value(json_object_get(l, "list")),
		       json_string_value(json_object_get(l, "kind")),
		       (long long)json_integer_value(json_object_get(l, "members")),
		       (long long)json_integer_value(json_object_get(l, "entries")));
	printf("\ndecision snapshot for checks: %s\n",
	       json_string_value(json_object_get(o, "snapshot")));
	if ((img = json_object_get(o, "image")) && json_is_object(img))
		printf("population image: %s, %s (%lld subjects re-read from the ledger)\n",
		       cli_str(img, "path"),
		       json_is_true(json_object_get(img, "built")) ? "built" :
		       json_is_true(json_object_get(img, "rewritten")) ? "brought up to date, rewritten" :
		       "brought up to date",
		       (long long)json_integer_value(json_object_get(img, "reread")));
	if (img && json_is_string(json_object_get(img, "why")))
		printf("  built because %s\n", cli_str(img, "why"));
}

static void parts_free(struct ctx *c)
{
	for (size_t t = 0; c->parts && t < c->nparts; t++) {
		struct part *p = &c->parts[t];
		sc_eval_free(p->ev);
		sc_snap_writer_free(p->w);
		free(p->list_members);
		free(p->list_entries);
	}
	free(c->parts);
}

static int run(struct cli *cli, int argc, char **argv)
{
	const char *at_s = NULL, *threads_s = NULL, *map_s = NULL;
	struct sc_shard_map *map = NULL;
	size_t self = 0;
	bool json = false, from_ledger = false, rebuild = false;
	const struct opt opts[] = {{"--at", &at_s, NULL}, {"--json", NULL, &json},
				   {"--threads", &threads_s, NULL},
				   {"--from-ledger", NULL, &from_ledger},
				   {"--rebuild-image", NULL, &rebuild},
				   {"--only-map", &map_s, NULL}, {0}};
	struct ctx c = {0};
	struct sc_rulebook *rb = NULL;
	struct sc_image *img = NULL;
	struct sc_image_info info = {0};
	struct sc_snap_writer *snap = NULL;
	struct sc_diag d;
	struct sc_store_mark mark;
	char snap_path[4096], img_path[4096];
	json_t *o = NULL;
	double t0, t_image = 0, t_eval = 0;
	long threads = (long)sc_image_threads();
	enum sc_status st;
	int n, rc = cli_parse(cli, &cmd_run, argc, argv, opts, NULL, 0, &n);

	if (rc >= 0)
		return rc;
	if ((rc = cli_at(at_s, &c.at)))
		return rc;
	if (threads_s) {
		char *end;
		threads = strtol(threads_s, &end, 10);
		if (*end || threads < 1 || threads > SC_IMAGE_THREADS_MAX)
			return cli_fail("--threads takes a whole number from 1 to %d",
					SC_IMAGE_THREADS_MAX);
	}
	/* a ledger of a cluster map, run by `socred --db shards:MAP run` */
	if (map_s && (rc = cli_shard_self(cli, map_s, &map, &self)))
		return rc;
	if ((rc = cli_open(cli, c.at, &c.st, &rb))) {
		sc_shard_map_free(map);
		return rc;
	}
	c.rb = rb;
	{
		char day[SC_DATE_LEN + 1];
		sc_date_format(c.at, day);
		if ((rc = cli_audit(c.st, "run", NULL, "every subject at %s", day)))
			goto out;
	}
	c.nparts = from_ledger ? 1 : (size_t)threads;
	if (!(c.parts = calloc(c.nparts, sizeof(*c.parts))) || sc_snap_writer_new(rb, c.at, &snap)) {
		rc = cli_fail("out of memory");
		goto out;
	}
	for (size_t t = 0; t < c.nparts; t++) {
		struct part *p = &c.parts[t];
		p->ev = sc_eval_new(rb);
		p->ncards = sc_rulebook_scorecard_count(rb);
		p->list_members = calloc(sc_rulebook_list_count(rb) + 1, sizeof(uint64_t));
		p->list_entries = calloc(sc_rulebook_list_count(rb) + 1, sizeof(uint64_t));
		if (!p->ev || !p->list_members || !p->list_entries ||
		    sc_snap_writer_new(rb, c.at, &p->w)) {
			rc = cli_fail("out of memory");
			goto out;
		}
		p->at = c.at;
		p->map = map;
		p->self = self;
	}
	sc_diag_clear(&d);
	progress_init(&c.prog);
	t0 = cli_now();
	if (from_ledger) {
		c.what = "run (from the ledger)";
		st = sc_store_scan_marked(c.st, rb, visit_ledger, on_progress, &c, &mark, &d);
	} else {
		void *tctx[SC_IMAGE_THREADS_MAX];
		const struct sc_rulebook *rbs[1] = {rb};
		sc_image_path(cli->db, img_path, sizeof(img_path));
		c.what = "image";
		st = sc_image_sync(c.st, img_path, rebuild ? SC_IMAGE_REBUILD : 0, &img, &info,
				   on_progress, &c, &d);
		t_image = cli_now() - t0;
		if (!st && (st = parts_reserve(&c, sc_image_subjects(img))))
			sc_diag_set(&d, st, NULL, 0, 0, NULL, "out of memory");
		if (!st) {
			for (size_t t = 0; t < c.nparts; t++)
				tctx[t] = &c.parts[t];
			sc_image_mark(img, &mark);
			c.what = "run";
			st = sc_image_scan(img, rbs, 1, c.nparts, visit, tctx, on_progress, &c, &d);
		}
	}
	progress_end(&c.prog);
	t_eval = cli_now() - t0 - t_image;
	merge_counts(&c);
	/* the decision snapshot that `socred serve` answers checks from */
	sc_snap_path(cli->db, snap_path, sizeof(snap_path));
	for (size_t t = 0; st && t < c.nparts; t++)
		if (c.parts[t].bad[0]) {
			sc_diag_set(&d, st, NULL, 0, 0, "subject",
				    "cannot add subject '%s' to the snapshot", c.parts[t].bad);
			break;
		}
	if (st || (st = write_snapshot(&c, snap, &mark, snap_path, &d)) ||
	    (st = save_run(&c, cli_now() - t0, &d))) {
		cli_diag(&d);
		rc = st == SC_ENOMEM ? cli_fail("out of memory") : EXIT_FATAL;
		goto out;
	}
	if ((o = summary(&c, cli_now() - t0))) {
		json_object_set_new(o, "snapshot", json_string(snap_path));
		uint64_t carried, looked_up;
		sc_snap_writer_ids(snap, &carried, &looked_up);
		json_object_set_new(o, "threads", json_integer((json_int_t)c.nparts));
		/* the record ids of list entries: from the snapshot replaced, or
		 * from the ledger */
		json_object_set_new(o, "record_ids", json_pack("{s:I,s:I}",
			"carried", (json_int_t)carried, "looked_up", (json_int_t)looked_up));
		/* where the time went: bringing the image up to date, evaluating,
		 * and the snapshot with the tallies */
		json_object_set_new(o, "phases", json_pack("{s:f,s:f,s:f}", "image", t_image,
			"evaluate", t_eval, "snapshot", json_real_value(json_object_get(o, "seconds")) -
			t_image - t_eval));
		if (from_ledger)
			json_object_set_new(o, "image", json_null());
		else
			json_object_set_new(o, "image", json_pack("{s:s,s:b,s:b,s:I,s:I,s:f,s:s?}",
				"path", img_path, "built", info.built, "rewritten", info.rewritten,
				"reread", (json_int_t)info.reread, "bytes", (json_int_t)info.bytes,
				"seconds", t_image, "why", info.built ? info.why : NULL));
	}
	rc = cli_emit(o, json, cli_run_print);
out:
	json_decref(o);
	sc_image_close(img);
	sc_snap_writer_free(snap);
	parts_free(&c);
	sc_store_close(c.st);
	sc_rulebook_free(rb);
	sc_shard_map_free(map);
	return rc;
}

const struct cmd cmd_run = {
	"run", run, "run [--at DATE] [--threads N] [--from-ledger] [--rebuild-image] [--json]",
	"Evaluate every subject, store the run's tallies, write the decision\n"
	"      snapshot, print the grade distribution and the list sizes. The\n"
	"      evaluation reads the population image (<ledger>.image), brought up\n"
	"      to date first (only subjects changed since it was made are re-read;\n"
	"      it is rebuilt when missing or stale), on N threads (default: the\n"
	"      cores). --from-ledger evaluates straight from the ledger on one\n"
	"      thread instead (the reference); --rebuild-image rebuilds it."};
