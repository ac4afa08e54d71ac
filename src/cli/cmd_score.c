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
	struct cli_subject s;
	json_t *o = NULL;
	sc_day at;
	int sc, n, rc = cli_parse(cli, &cmd_score, argc, argv, opts, pos, 1, &n);

	if (rc >= 0)
		return rc;
	if (n != 1)
		return cli_fail("score: name one subject ID");
	if ((rc = cli_at(at_s, &at)))
		return rc;
	if ((rc = cli_subject_open(cli, pos[0], at, 0, &s)))
		goto out;
	sc = card ? sc_rulebook_scorecard_find(s.rb, card, strlen(card))
		  : pick_scorecard(s.rb, s.l.view.kind);
	if (card && sc < 0) {
		rc = cli_fail("unknown scorecard '%s'", card);
		goto out;
	}
	{
		char day[SC_DATE_LEN + 1];
		sc_date_format(at, day);
		if ((rc = cli_audit(s.st, "score", pos[0], "at %s", day)))
			goto out;
	}
	o = sc_report_score(s.rb, &s.l, s.ev, sc, at);
	rc = cli_emit(o, json, print_text);
out:
	json_decref(o);
	cli_subject_close(&s);
	return rc;
}

const struct cmd cmd_score = {
	"score", run, "score ID [--scorecard NAME] [--at DATE] [--json]",
	"Score, grade and list entries of a subject at a date (default today)."};
