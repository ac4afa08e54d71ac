/* socred explain ID: every record, the rule it hit, what it is worth, its
 * window, the caps, the grade and the lists. */
#include <string.h>

#include "cli.h"
#include "socred/report.h"

static const char *s(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : "-";
}

static void print_text(json_t *o)
{
	json_t *cards = json_object_get(o, "scorecards"), *recs = json_object_get(o, "records");
	json_t *lists = json_object_get(o, "lists"), *c, *r, *e;
	size_t i, j;

	printf("%s (%s) at %s\n", s(o, "subject"), s(o, "kind"), s(o, "at"));
	json_array_foreach(cards, i, c) {
		const char *name = s(c, "scorecard"), *status = s(c, "status");
		printf("\nscorecard %s: %s", name, status);
		if (!strcmp(status, "scored"))
			printf(", score %lld, grade %s",
			       (long long)json_integer_value(json_object_get(c, "score")),
			       s(c, "grade"));
		printf("\n");
		if (!strcmp(status, "not_applicable"))
			continue;
		printf("  %-22s %-28s %-10s %7s  %-23s %s\n", "record", "type", "date",
		       "points", "window", "state");
		json_array_foreach(recs, j, r) {
			if (strcmp(s(r, "scorecard"), name))
				continue;
			printf("  %-22s %-28s %-10s %+7lld  %-10s..%-11s %s\n",
			       s(r, "record"), s(r, "type"), s(r, "date"),
			       (long long)json_integer_value(json_object_get(r, "points")),
			       s(r, "from"), json_is_string(json_object_get(r, "until")) ? s(r, "until") : "open",
			       s(r, "state"));
		}
		json_array_foreach(json_object_get(c, "rules"), j, e) {
			json_t *cap = json_object_get(e, "cap");
			long long sum = (long long)json_integer_value(json_object_get(e, "sum"));
			long long counted = (long long)json_integer_value(json_object_get(e, "counted"));
			printf("  rule %s: active sum %+lld", s(e, "type"), sum);
			if (json_is_integer(cap))
				printf(", cap %+lld", (long long)json_integer_value(cap));
			if (counted != sum)
				printf(" -> counted %+lld", counted);
			printf("\n    basis: %s\n", s(e, "basis"));
		}
		if (!strcmp(status, "scored")) {
			printf("  grade by score %s", s(c, "grade_by_score"));
			if (json_is_string(json_object_get(c, "grade_capped_by")))
				printf(", capped to %s by record %s", s(c, "grade"),
				       s(c, "grade_capped_by"));
			printf("\n");
		} else if (!strcmp(status, "no_consent")) {
			printf("  no consent in force: records are kept, no score is computed\n");
		}
	}
	printf("\nlists:%s\n", json_array_size(lists) ? "" : " none");
	json_array_foreach(lists, i, e)
		printf("  %s (%s) since %s until %s, entered by record %s\n",
		       s(e, "list"), s(e, "kind"), s(e, "since"),
		       json_is_string(json_object_get(e, "until")) ? s(e, "until") : "further notice",
		       s(e, "record"));
	json_array_foreach(recs, i, r)
		if (!strcmp(s(r, "state"), "no_rule"))
			printf("  (record %s, %s: no rule of this rulebook counts it)\n",
			       s(r, "record"), s(r, "type"));
}

static int run(struct cli *cli, int argc, char **argv)
{
	const char *pos[1], *at_s = NULL;
	bool json = false;
	const struct opt opts[] = {{"--at", &at_s, NULL}, {"--json", NULL, &json}, {0}};
	struct sc_store *st = NULL;
	struct sc_rulebook *rb = NULL;
	struct sc_eval *ev = NULL;
	struct sc_loaded l = {0};
	json_t *o = NULL;
	sc_day at;
	int n, rc = cli_parse(cli, &cmd_explain, argc, argv, opts, pos, 1, &n);

	if (rc >= 0)
		return rc;
	if (n != 1)
		return cli_fail("explain: name one subject ID");
	if (!cli_date(at_s, &at))
		return cli_fail("--at '%s' is not a real day as YYYY-MM-DD", at_s);
	if ((rc = cli_open(cli, &st, &rb)))
		return rc;
	if ((rc = cli_load_subject(st, rb, pos[0], &l)))
		goto out;
	ev = sc_eval_new(rb);
	if (!ev || sc_eval_subject(ev, &l.view, at, SC_EVAL_EXPLAIN) ||
	    !(o = sc_report_explain(rb, &l, ev, at))) {
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

const struct cmd cmd_explain = {
	"explain", run, "explain ID [--at DATE] [--json]",
	"Every record, the rule it hit, its contribution and window, caps, grade caps, lists."};
