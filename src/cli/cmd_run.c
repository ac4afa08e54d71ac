/* socred run: evaluate every subject, store the results, print the grade
 * distribution and the list sizes. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "socred/poprun.h"
#include "socred/shard.h"
#include "socred/report.h"

struct ctx {
	struct progress prog;
	const char *what; /* what the evaluation's progress line says */
	/* non-NULL: only the subjects this map gives to ledger `self` (the
	 * rest were moved to another ledger and are left behind here) */
	const struct sc_shard_map *map;
	size_t self;
};

static bool keep(void *vctx, const char *id)
{
	const struct ctx *c = vctx;

	return !c->map || sc_shard_ledger(c->map, id, strlen(id)) == c->self;
}

static void on_progress(void *vctx, enum sc_poprun_phase phase, uint64_t done, uint64_t total)
{
	struct ctx *c = vctx;

	progress_show(&c->prog, phase == SC_POPRUN_IMAGE ? "image" : c->what, (double)done,
		      (double)total, (double)done, "subjects");
}

static json_t *summary(const struct sc_poprun_result *r, int64_t run, double secs)
{
	const struct sc_rulebook *rb = r->rbs[0];
	const struct sc_poprun_tally *a = &r->tally[0];
	json_t *cards = json_array(), *lists = json_array();

	for (size_t i = 0; i < sc_rulebook_scorecard_count(rb); i++) {
		json_t *g = json_object();
		for (size_t k = 0; k < sc_rulebook_grade_count(rb, (int)i); k++)
			json_object_set_new(g, sc_rulebook_grade_name(rb, (int)i, (int)k),
					    json_integer((json_int_t)a->grades[i][k]));
		json_array_append_new(cards, json_pack("{s:s,s:I,s:I,s:I,s:o}",
			"scorecard", sc_rulebook_scorecard_name(rb, (int)i),
			"scored", (json_int_t)a->status[i][SC_CARD_SCORED],
			"no_consent", (json_int_t)a->status[i][SC_CARD_NO_CONSENT],
			"not_applicable", (json_int_t)a->status[i][SC_CARD_NOT_APPLICABLE],
			"grades", g));
	}
	for (size_t i = 0; i < sc_rulebook_list_count(rb); i++)
		json_array_append_new(lists, json_pack("{s:s,s:s,s:I,s:I}",
			"list", sc_rulebook_list_name(rb, (int)i),
			"kind", sc_rulebook_list_kind(rb, (int)i) == SC_LIST_BLACK ? "black" : "red",
			"members", (json_int_t)a->members[i],
			"entries", (json_int_t)a->entries[i]));
	return json_pack("{s:I,s:o,s:s,s:s,s:I,s:I,s:f,s:f,s:o,s:o}",
		"run", (json_int_t)run, "at", sc_report_day(r->at),
		"rulebook", sc_rulebook_name(rb), "version", sc_rulebook_version(rb),
		"subjects", (json_int_t)r->subjects,
		"records", (json_int_t)r->records,
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

static int run(struct cli *cli, int argc, char **argv)
{
	const char *at_s = NULL, *threads_s = NULL, *map_s = NULL;
	struct sc_shard_map *map = NULL;
	bool json = false, from_ledger = false, rebuild = false;
	const struct opt opts[] = {{"--at", &at_s, NULL}, {"--json", NULL, &json},
				   {"--threads", &threads_s, NULL},
				   {"--from-ledger", NULL, &from_ledger},
				   {"--rebuild-image", NULL, &rebuild},
				   {"--only-map", &map_s, NULL}, {0}};
	struct ctx c = {0};
	struct sc_store *store = NULL;
	struct sc_rulebook *rb = NULL;
	struct sc_poprun_opts po = {.nrb = 1};
	struct sc_poprun_result r = {0};
	struct sc_diag d;
	char snap_path[4096], img_path[4096];
	json_t *o = NULL;
	double t0;
	int64_t run_id = 0;
	long threads = (long)sc_image_threads();
	enum sc_status st;
	int n, rc = cli_parse(cli, &cmd_run, argc, argv, opts, NULL, 0, &n);

	if (rc >= 0)
		return rc;
	if ((rc = cli_at(at_s, &po.at)))
		return rc;
	if (threads_s) {
		char *end;
		threads = strtol(threads_s, &end, 10);
		if (*end || threads < 1 || threads > SC_IMAGE_THREADS_MAX)
			return cli_fail("--threads takes a whole number from 1 to %d",
					SC_IMAGE_THREADS_MAX);
	}
	/* a ledger of a cluster map, run by `socred --db shards:MAP run` */
	if (map_s && (rc = cli_shard_self(cli, map_s, &map, &c.self)))
		return rc;
	c.map = map;
	if ((rc = cli_open(cli, po.at, &store, &rb))) {
		sc_shard_map_free(map);
		return rc;
	}
	{
		char day[SC_DATE_LEN + 1];
		sc_date_format(po.at, day);
		if ((rc = cli_audit(store, "run", NULL, "every subject at %s", day)))
			goto out;
	}
	/* the decision snapshot that `socred serve` answers checks from */
	sc_snap_path(cli->db, snap_path, sizeof(snap_path));
	sc_image_path(cli->db, img_path, sizeof(img_path));
	po.rbs[0] = rb;
	po.image = from_ledger ? NULL : img_path;
	po.image_flags = rebuild ? SC_IMAGE_REBUILD : 0;
	po.threads = (size_t)threads;
	po.snapshot = snap_path;
	po.progress = on_progress;
	po.keep = keep;
	po.ctx = &c;
	c.what = from_ledger ? "run (from the ledger)" : "run";
	sc_diag_clear(&d);
	progress_init(&c.prog);
	t0 = cli_now();
	st = sc_poprun(store, &po, &r, &d);
	progress_end(&c.prog);
	if (st || (st = sc_poprun_save(store, &r, cli_now() - t0, &run_id, &d))) {
		cli_diag(&d);
		rc = st == SC_ENOMEM ? cli_fail("out of memory") : EXIT_FATAL;
		goto out;
	}
	if ((o = summary(&r, run_id, cli_now() - t0))) {
		json_object_set_new(o, "snapshot", json_string(snap_path));
		json_object_set_new(o, "threads", json_integer((json_int_t)r.threads));
		/* the record ids of list entries: from the snapshot replaced, or
		 * from the ledger */
		json_object_set_new(o, "record_ids", json_pack("{s:I,s:I}",
			"carried", (json_int_t)r.ids_carried, "looked_up", (json_int_t)r.ids_looked_up));
		/* where the time went: bringing the image up to date, evaluating,
		 * and the snapshot with the tallies */
		json_object_set_new(o, "phases", json_pack("{s:f,s:f,s:f}", "image", r.image_seconds,
			"evaluate", r.evaluate_seconds, "snapshot",
			json_real_value(json_object_get(o, "seconds")) - r.image_seconds -
			r.evaluate_seconds));
		if (!r.from_image)
			json_object_set_new(o, "image", json_null());
		else
			json_object_set_new(o, "image", json_pack("{s:s,s:b,s:b,s:I,s:I,s:f,s:s?}",
				"path", img_path, "built", r.image.built, "rewritten", r.image.rewritten,
				"reread", (json_int_t)r.image.reread, "bytes", (json_int_t)r.image.bytes,
				"seconds", r.image_seconds, "why", r.image.built ? r.image.why : NULL));
	}
	rc = cli_emit(o, json, cli_run_print);
out:
	json_decref(o);
	sc_shard_map_free(map);
	sc_poprun_release(&r);
	sc_store_close(store);
	sc_rulebook_free(rb);
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
