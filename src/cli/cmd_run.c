/* socred run: evaluate every subject, store the results, print the grade
 * distribution and the list sizes. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "socred/limits.h"
#include "socred/report.h"
#include "socred/snapshot.h"

struct ctx {
	struct sc_store *st;
	const struct sc_rulebook *rb;
	struct sc_eval *ev;
	sc_day at;
	int64_t run;
	struct sc_snap_writer *snap;
	uint64_t subjects, records;
	uint64_t status[SC_LIMIT_SCORECARDS][3];
	uint64_t grades[SC_LIMIT_SCORECARDS][SC_LIMIT_GRADES];
	uint64_t *list_members;   /* subjects on each list */
	uint64_t *list_entries;   /* entries (records) on each list */
	struct progress prog;
};

static enum sc_status visit(void *vctx, int64_t sid, const char *id,
			    const struct sc_subject *s)
{
	struct ctx *c = vctx;
	const struct sc_rulebook *rb = c->rb;
	const struct sc_list_hit *h;
	size_t n;
	enum sc_status st;
	struct sc_diag d;

	if ((st = sc_eval_subject(c->ev, s, c->at, 0)))
		return st;
	c->subjects++;
	c->records += s->nrecs;
	sc_diag_clear(&d);
	for (size_t i = 0; i < sc_rulebook_scorecard_count(rb); i++) {
		const struct sc_card_result *r = sc_eval_card(c->ev, (int)i);
		c->status[i][r->status]++;
		if (r->status == SC_CARD_NOT_APPLICABLE)
			continue;
		if (r->status == SC_CARD_SCORED)
			c->grades[i][r->grade]++;
		if ((st = sc_store_run_put_card(c->st, c->run, sid,
						sc_rulebook_scorecard_name(rb, (int)i),
						sc_card_status_name(r->status), r->score,
						r->grade >= 0 ? sc_rulebook_grade_name(rb, (int)i, r->grade) : NULL,
						&d)))
			return st;
	}
	if ((st = sc_snap_writer_add_eval(c->snap, c->st, id, s, c->ev, &d)))
		return st;
	h = sc_eval_lists(c->ev, &n);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || h[i].list != h[i - 1].list)
			c->list_members[h[i].list]++;
		c->list_entries[h[i].list]++;
		if ((st = sc_store_run_put_list(c->st, c->run, sid,
						sc_rulebook_list_name(rb, h[i].list),
						s->recs[h[i].record].rid, h[i].since,
						h[i].until, &d)))
			return st;
	}
	return SC_OK;
}

static void on_progress(void *vctx, uint64_t done, uint64_t total)
{
	struct ctx *c = vctx;

	progress_show(&c->prog, "run", (double)done, (double)total, (double)done, "subjects");
}

static json_t *summary(struct ctx *c, double secs)
{
	const struct sc_rulebook *rb = c->rb;
	json_t *cards = json_array(), *lists = json_array();

	for (size_t i = 0; i < sc_rulebook_scorecard_count(rb); i++) {
		json_t *g = json_object();
		for (size_t k = 0; k < sc_rulebook_grade_count(rb, (int)i); k++)
			json_object_set_new(g, sc_rulebook_grade_name(rb, (int)i, (int)k),
					    json_integer((json_int_t)c->grades[i][k]));
		json_array_append_new(cards, json_pack("{s:s,s:I,s:I,s:I,s:o}",
			"scorecard", sc_rulebook_scorecard_name(rb, (int)i),
			"scored", (json_int_t)c->status[i][SC_CARD_SCORED],
			"no_consent", (json_int_t)c->status[i][SC_CARD_NO_CONSENT],
			"not_applicable", (json_int_t)c->status[i][SC_CARD_NOT_APPLICABLE],
			"grades", g));
	}
	for (size_t i = 0; i < sc_rulebook_list_count(rb); i++)
		json_array_append_new(lists, json_pack("{s:s,s:s,s:I,s:I}",
			"list", sc_rulebook_list_name(rb, (int)i),
			"kind", sc_rulebook_list_kind(rb, (int)i) == SC_LIST_BLACK ? "black" : "red",
			"members", (json_int_t)c->list_members[i],
			"entries", (json_int_t)c->list_entries[i]));
	return json_pack("{s:I,s:o,s:s,s:s,s:I,s:I,s:f,s:f,s:o,s:o}",
		"run", (json_int_t)c->run, "at", sc_report_day(c->at),
		"rulebook", sc_rulebook_name(rb), "version", sc_rulebook_version(rb),
		"subjects", (json_int_t)c->subjects, "records", (json_int_t)c->records,
		"seconds", secs, "peak_mib", cli_peak_mib(),
		"scorecards", cards, "lists", lists);
}

static void print_text(json_t *o)
{
	json_t *card, *l;
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
}

static int run(struct cli *cli, int argc, char **argv)
{
	const char *at_s = NULL;
	bool json = false;
	const struct opt opts[] = {{"--at", &at_s, NULL}, {"--json", NULL, &json}, {0}};
	struct ctx c = {0};
	struct sc_rulebook *rb = NULL;
	struct sc_diag d;
	struct sc_store_mark mark;
	char snap_path[4096];
	json_t *o = NULL;
	double t0;
	int n, rc = cli_parse(cli, &cmd_run, argc, argv, opts, NULL, 0, &n);

	if (rc >= 0)
		return rc;
	if ((rc = cli_at(at_s, &c.at)))
		return rc;
	if ((rc = cli_open(cli, c.at, &c.st, &rb)))
		return rc;
	c.rb = rb;
	c.ev = sc_eval_new(rb);
	c.list_members = calloc(sc_rulebook_list_count(rb) + 1, sizeof(uint64_t));
	c.list_entries = calloc(sc_rulebook_list_count(rb) + 1, sizeof(uint64_t));
	if (!c.ev || !c.list_members || !c.list_entries ||
	    sc_snap_writer_new(rb, c.at, &c.snap)) {
		rc = cli_fail("out of memory");
		goto out;
	}
	sc_diag_clear(&d);
	progress_init(&c.prog);
	t0 = cli_now();
	if (sc_store_run_begin(c.st, c.at, &c.run, &d) ||
	    sc_store_scan_marked(c.st, rb, visit, on_progress, &c, &mark, &d) ||
	    sc_store_run_finish(c.st, c.run, c.subjects, cli_now() - t0, &d)) {
		sc_store_run_abort(c.st);
		progress_end(&c.prog);
		cli_diag(&d);
		rc = EXIT_FATAL;
		goto out;
	}
	progress_end(&c.prog);
	/* the decision snapshot that `socred serve` answers checks from */
	sc_snap_path(cli->db, snap_path, sizeof(snap_path));
	if (sc_snap_writer_finish(c.snap, &mark, snap_path, NULL, &d)) {
		cli_diag(&d);
		rc = EXIT_FATAL;
		goto out;
	}
	if ((o = summary(&c, cli_now() - t0)))
		json_object_set_new(o, "snapshot", json_string(snap_path));
	rc = cli_emit(o, json, print_text);
out:
	json_decref(o);
	sc_snap_writer_free(c.snap);
	free(c.list_members);
	free(c.list_entries);
	sc_eval_free(c.ev);
	sc_store_close(c.st);
	sc_rulebook_free(rb);
	return rc;
}

const struct cmd cmd_run = {
	"run", run, "run [--at DATE] [--json]",
	"Evaluate every subject, store the results as a run, print the grade\n"
	"      distribution and the list sizes."};
