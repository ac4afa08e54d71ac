/* socred check ID ACTION: may this subject do this, at the counter? */
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
	json_t *r;
	size_t i;

	printf("%s: %s for %s at %s\n", s(o, "decision"), s(o, "action"),
	       s(o, "subject"), s(o, "at"));
	json_array_foreach(json_object_get(o, "reasons"), i, r) {
		const char *k = s(r, "reason");
		if (!strcmp(k, "listed"))
			printf("  listed on %s since %s until %s (record %s, %s, ref %s)\n",
			       s(r, "list"), s(r, "since"),
			       json_is_string(json_object_get(r, "until")) ? s(r, "until") : "further notice",
			       s(r, "record"), s(r, "source"), s(r, "ref"));
		else if (!strcmp(k, "grade") || !strcmp(k, "grade_below"))
			printf("  %s grade %s, measure requires %s\n", s(r, "scorecard"),
			       s(r, "grade"), s(r, "required"));
		else if (!strcmp(k, "not_listed"))
			printf("  not on the %s list\n", s(r, "list"));
		else if (!strcmp(k, "no_consent"))
			printf("  no consent in force for scorecard %s\n", s(r, "scorecard"));
		else
			printf("  scorecard %s does not apply to this subject\n", s(r, "scorecard"));
		printf("    measure issued by %s; basis: %s\n", s(r, "issued_by"), s(r, "basis"));
	}
}

static int run(struct cli *cli, int argc, char **argv)
{
	const char *pos[2], *at_s = NULL;
	bool json = false;
	const struct opt opts[] = {{"--at", &at_s, NULL}, {"--json", NULL, &json}, {0}};
	struct sc_store *st = NULL;
	struct sc_rulebook *rb = NULL;
	struct sc_eval *ev = NULL;
	struct sc_loaded l = {0};
	enum sc_decision dec;
	json_t *o = NULL;
	sc_day at;
	int action, n, rc = cli_parse(cli, &cmd_check, argc, argv, opts, pos, 2, &n);

	if (rc >= 0)
		return rc;
	if (n != 2)
		return cli_fail("check: name a subject ID and an ACTION");
	if (!cli_date(at_s, &at))
		return cli_fail("--at '%s' is not a real day as YYYY-MM-DD", at_s);
	if ((rc = cli_open(cli, &st, &rb)))
		return rc;
	action = sc_rulebook_action_find(rb, pos[1], strlen(pos[1]));
	if (action < 0) {
		fprintf(stderr, "socred: unknown action '%s'; the rulebook knows:", pos[1]);
		for (size_t i = 0; i < sc_rulebook_action_count(rb); i++)
			fprintf(stderr, " %s", sc_rulebook_action_name(rb, (int)i));
		fputc('\n', stderr);
		rc = EXIT_FATAL;
		goto out;
	}
	if ((rc = cli_load_subject(st, rb, pos[0], &l)))
		goto out;
	ev = sc_eval_new(rb);
	if (!ev || sc_eval_subject(ev, &l.view, at, 0) ||
	    !(o = sc_report_check(rb, &l, ev, action, at, &dec))) {
		rc = cli_fail("cannot evaluate '%s': out of memory or too many records", pos[0]);
		goto out;
	}
	if (json) {
		json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		print_text(o);
	}
	rc = dec == SC_DECISION_ALLOW || dec == SC_DECISION_GRANT ? EXIT_OK : EXIT_SOME;
out:
	json_decref(o);
	sc_eval_free(ev);
	sc_loaded_release(&l);
	sc_store_close(st);
	sc_rulebook_free(rb);
	return rc;
}

const struct cmd cmd_check = {
	"check", run, "check ID ACTION [--at DATE] [--json]",
	"Decide an action (allow, deny, grant, not_eligible) with every reason.\n"
	"      Exit 0 for allow/grant, 1 for deny/not_eligible."};
