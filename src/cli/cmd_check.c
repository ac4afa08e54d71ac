/* socred check ID ACTION: may this subject do this, at the counter? */
#include <string.h>

#include "cli.h"
#include "socred/report.h"

static void print_text(json_t *o)
{
	json_t *r;
	size_t i;

	printf("%s: %s for %s at %s\n", cli_str(o, "decision"), cli_str(o, "action"),
	       cli_str(o, "subject"), cli_str(o, "at"));
	if (json_is_string(json_object_get(o, "standard_terms")))
		printf("  %s: %s\n", !strcmp(cli_str(o, "decision"), "grant")
			? "granted over the standard terms" : "the standard terms",
		       cli_str(o, "standard_terms"));
	json_array_foreach(json_object_get(o, "reasons"), i, r) {
		const char *k = cli_str(r, "reason");
		if (!strcmp(k, "listed"))
			printf("  listed on %s since %s until %s (record %s, %s, ref %s)\n",
			       cli_str(r, "list"), cli_str(r, "since"),
			       json_is_string(json_object_get(r, "until")) ? cli_str(r, "until") : "further notice",
			       cli_str(r, "record"), cli_str(r, "source"), cli_str(r, "ref"));
		else if (!strcmp(k, "grade") || !strcmp(k, "grade_below"))
			printf("  %s grade %s, measure requires %s\n", cli_str(r, "scorecard"),
			       cli_str(r, "grade"), cli_str(r, "required"));
		else if (!strcmp(k, "not_listed"))
			printf("  not on the %s list\n", cli_str(r, "list"));
		else if (!strcmp(k, "no_consent"))
			printf("  no consent in force for scorecard %s\n", cli_str(r, "scorecard"));
		else
			printf("  scorecard %s does not apply to this subject\n", cli_str(r, "scorecard"));
		printf("    measure issued by %s; basis: %s\n", cli_str(r, "issued_by"), cli_str(r, "basis"));
	}
}

static int unknown_action(const struct sc_rulebook *rb, const char *name)
{
	fprintf(stderr, "socred: unknown action '%s'; the rulebook knows:", name);
	for (size_t i = 0; i < sc_rulebook_action_count(rb); i++)
		fprintf(stderr, " %s", sc_rulebook_action_name(rb, (int)i));
	fputc('\n', stderr);
	return EXIT_FATAL;
}

static int run(struct cli *cli, int argc, char **argv)
{
	const char *pos[2], *at_s = NULL;
	bool json = false;
	const struct opt opts[] = {{"--at", &at_s, NULL}, {"--json", NULL, &json}, {0}};
	struct cli_subject sub;
	enum sc_decision dec;
	json_t *o = NULL;
	sc_day at;
	int action, n, rc = cli_parse(cli, &cmd_check, argc, argv, opts, pos, 2, &n);

	if (rc >= 0)
		return rc;
	if (n != 2)
		return cli_fail("check: name a subject ID and an ACTION");
	if ((rc = cli_at(at_s, &at)))
		return rc;
	if ((rc = cli_subject_open(cli, pos[0], at, 0, &sub)))
		goto out;
	action = sc_rulebook_action_find(sub.rb, pos[1], strlen(pos[1]));
	if (action < 0) {
		rc = unknown_action(sub.rb, pos[1]);
		goto out;
	}
	o = sc_report_check(sub.rb, &sub.l, sub.ev, action, at, &dec);
	{
		char day[SC_DATE_LEN + 1];
		sc_date_format(at, day);
		if (o && (rc = cli_audit(sub.st, "check", pos[0], "%s %s at %s", pos[1],
					 sc_decision_name(dec), day)))
			goto out;
	}
	if ((rc = cli_emit(o, json, print_text)) == EXIT_OK)
		rc = dec == SC_DECISION_DENY ? EXIT_SOME : EXIT_OK;
out:
	json_decref(o);
	cli_subject_close(&sub);
	return rc;
}

const struct cmd cmd_check = {
	"check", run, "check ID ACTION [--at DATE] [--json]",
	"Decide an action with every reason: a restriction answers allow or deny,\n"
	"      a benefit grant or standard (with the standard terms everyone gets).\n"
	"      Exit 1 for deny, 0 otherwise."};
