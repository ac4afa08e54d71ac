/* socred score ID [--scorecard NAME]: score, grade and lists at a date. */
#include <string.h>

#include "cli.h"
#include "socred/report.h"

static int pick_scorecard(const struct sc_rulebook *rb, enum sc_kind kind)
{
	for (size_t i = 0; i < sc_rulebook_scorecard_count(rb); i++)
		if (sc_rulebook_scorecard_applies(rb, (int)i, kind))
			return (int)i;
	return -1;
}

static void print_text(json_t *o)
{
	json_t *lists = json_object_get(o, "lists"), *e;
	size_t i;

	printf("%s (%s) at %s\n", json_string_value(json_object_get(o, "subject")),
	       json_is_string(json_object_get(o, "kind")) ? json_string_value(json_object_get(o, "kind")) : "kind unknown",
	       json_string_value(json_object_get(o, "at")));
	if (json_is_string(json_object_get(o, "scorecard")))
		printf("  scorecard %s: %s", json_string_value(json_object_get(o, "scorecard")),
		       json_string_value(json_object_get(o, "status")));
	else
		printf("  no scorecard applies");
	if (json_is_integer(json_object_get(o, "score")))
		printf(", score %lld, grade %s",
		       (long long)json_integer_value(json_object_get(o, "score")),
		       json_string_value(json_object_get(o, "grade")));
	printf("\n");
	json_array_foreach(lists, i, e) {
		json_t *until = json_object_get(e, "until");
		printf("  on %s list %s since %s until %s (record %s)\n",
		       json_string_value(json_object_get(e, "kind")),
		       json_string_value(json_object_get(e, "list")),
		       json_string_value(json_object_get(e, "since")),
		       json_is_string(until) ? json_string_value(until) : "further notice",
		       json_string_value(json_object_get(e, "record")));
	}
}

static int run(struct cli *cli, int argc, char **argv)
{
	const char *pos[1], *at_s = NULL, *card = NULL;
	bool json = false;
	const struct opt opts[] = {{"--at", &at_s, NULL}, {"--scorecard", &card, NULL},
				   {"--json", NULL, &json}, {0}};
	struct sc_store *st = NULL;
	struct sc_rulebook *rb = NULL;
	struct sc_eval *ev = NULL;
	struct sc_loaded l = {0};
	json_t *o = NULL;
	sc_day at;
	int sc, n, rc = cli_parse(cli, &cmd_score, argc, argv, opts, pos, 1, &n);

	if (rc >= 0)
		return rc;
	if (n != 1)
		return cli_fail("score: name one subject ID");
	if (!cli_date(at_s, &at))
		return cli_fail("--at '%s' is not a real day as YYYY-MM-DD", at_s);
	if ((rc = cli_open(cli, &st, &rb)))
		return rc;
	if ((rc = cli_load_subject(st, rb, pos[0], &l)))
		goto out;
	if (card) {
		sc = sc_rulebook_scorecard_find(rb, card, strlen(card));
		if (sc < 0) {
			rc = cli_fail("unknown scorecard '%s'", card);
			goto out;
		}
	} else {
		sc = pick_scorecard(rb, l.view.kind);
	}
	ev = sc_eval_new(rb);
	if (!ev || sc_eval_subject(ev, &l.view, at, 0) ||
	    !(o = sc_report_score(rb, &l, ev, sc, at))) {
		rc = cli_fail("cannot evaluate '%s': out of memory or too many records", pos[0]);
		goto out;
	}
	if (json) {
		json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		print_text(o);
	}
	rc = EXIT_OK;
out:
	json_decref(o);
	sc_eval_free(ev);
	sc_loaded_release(&l);
	sc_store_close(st);
	sc_rulebook_free(rb);
	return rc;
}

const struct cmd cmd_score = {
	"score", run, "score ID [--scorecard NAME] [--at DATE] [--json]",
	"Score, grade and list entries of a subject at a date (default today)."};
