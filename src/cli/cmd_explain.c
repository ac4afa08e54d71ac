/* socred explain ID: every record, the rule it hit, what it is worth, its
 * window, the caps, the grade and the lists. */
#include <string.h>

#include "cli.h"
#include "socred/report.h"

static void print_text(json_t *o)
{
	json_t *cards = json_object_get(o, "scorecards"), *recs = json_object_get(o, "records");
	json_t *lists = json_object_get(o, "lists"), *c, *r, *e;
	size_t i, j;

	printf("%s (%s) at %s\n", cli_str(o, "subject"), cli_str(o, "kind"), cli_str(o, "at"));
	json_array_foreach(cards, i, c) {
		const char *name = cli_str(c, "scorecard"), *status = cli_str(c, "status");
		printf("\nscorecard %s: %s", name, status);
		if (!strcmp(status, "scored"))
			printf(", score %lld, grade %s",
			       (long long)json_integer_value(json_object_get(c, "score")),
			       cli_str(c, "grade"));
		printf("\n");
		if (!strcmp(status, "not_applicable"))
			continue;
		printf("  %-22s %-28s %-10s %7s  %-23s %s\n", "record", "type", "date",
		       "points", "window", "state");
		json_array_foreach(recs, j, r) {
			json_t *pts = json_object_get(r, "points");
			char p[24] = "-"; /* withheld without consent */
			if (strcmp(cli_str(r, "scorecard"), name))
				continue;
			if (json_is_integer(pts))
				snprintf(p, sizeof(p), "%+lld", (long long)json_integer_value(pts));
			printf("  %-22s %-28s %-10s %7s  %-10s..%-11s %s\n",
			       cli_str(r, "record"), cli_str(r, "type"), cli_str(r, "date"), p,
			       cli_str(r, "from"), json_is_string(json_object_get(r, "until")) ? cli_str(r, "until") : "open",
			       cli_str(r, "state"));
		}
		json_array_foreach(json_object_get(c, "rules"), j, e) {
			json_t *cap = json_object_get(e, "cap");
			long long sum = (long long)json_integer_value(json_object_get(e, "sum"));
			long long counted = (long long)json_integer_value(json_object_get(e, "counted"));
			printf("  rule %s: active sum %+lld", cli_str(e, "type"), sum);
			if (json_is_integer(cap))
				printf(", cap %+lld", (long long)json_integer_value(cap));
			if (counted != sum)
				printf(" -> counted %+lld", counted);
			printf("\n    basis: %s\n", cli_str(e, "basis"));
		}
		if (!strcmp(status, "scored")) {
			printf("  grade by score %s", cli_str(c, "grade_by_score"));
			if (json_is_string(json_object_get(c, "grade_capped_by")))
				printf(", capped to %s by record %s", cli_str(c, "grade"),
				       cli_str(c, "grade_capped_by"));
			printf("\n");
		} else if (!strcmp(status, "no_consent")) {
			printf("  no consent in force: records and their windows are kept, no points or score are computed\n");
		}
	}
	printf("\nlists:%s\n", json_array_size(lists) ? "" : " none");
	json_array_foreach(lists, i, e)
		printf("  %s (%s) since %s until %s, entered by record %s\n",
		       cli_str(e, "list"), cli_str(e, "kind"), cli_str(e, "since"),
		       json_is_string(json_object_get(e, "until")) ? cli_str(e, "until") : "further notice",
		       cli_str(e, "record"));
	json_array_foreach(recs, i, r)
		if (!strcmp(cli_str(r, "state"), "no_rule"))
			printf("  (record %s, %s: no rule of this rulebook counts it)\n",
			       cli_str(r, "record"), cli_str(r, "type"));
}

static int run(struct cli *cli, int argc, char **argv)
{
	const char *pos[1], *at_s = NULL;
	bool json = false;
	const struct opt opts[] = {{"--at", &at_s, NULL}, {"--json", NULL, &json}, {0}};
	struct cli_subject sub;
	json_t *o = NULL;
	sc_day at;
	int n, rc = cli_parse(cli, &cmd_explain, argc, argv, opts, pos, 1, &n);

	if (rc >= 0)
		return rc;
	if (n != 1)
		return cli_fail("explain: name one subject ID");
	if ((rc = cli_at(at_s, &at)))
		return rc;
	if ((rc = cli_subject_open(cli, pos[0], at, SC_EVAL_EXPLAIN, &sub)))
		goto out;
	{
		char day[SC_DATE_LEN + 1];
		sc_date_format(at, day);
		if ((rc = cli_audit(sub.st, "explain", pos[0], "at %s", day)))
			goto out;
	}
	o = sc_report_explain(sub.rb, &sub.l, sub.ev, at);
	rc = cli_emit(o, json, print_text);
out:
	json_decref(o);
	cli_subject_close(&sub);
	return rc;
}

const struct cmd cmd_explain = {
	"explain", run, "explain ID [--at DATE] [--json]",
	"Every record, the rule it hit, its contribution and window, caps, grade caps, lists."};
