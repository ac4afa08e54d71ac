/* socred rulebook check | show | publish | list: validate a rulebook, print
 * the compiled program, publish a new version in force from a date, list
 * the versions. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "socred/report.h"

static int check(const char *file)
{
	struct sc_rulebook *rb = NULL;
	struct sc_diag d;

	sc_diag_clear(&d);
	if (sc_rulebook_load(file, &rb, &d)) {
		cli_diag(&d);
		return EXIT_SOME;
	}
	printf("%s: ok: rulebook %s version %s: %zu sources, %zu scorecards, %zu rules, %zu lists, %zu measures over %zu actions\n",
	       file, sc_rulebook_name(rb), sc_rulebook_version(rb),
	       sc_rulebook_source_count(rb), sc_rulebook_scorecard_count(rb),
	       sc_rulebook_rule_count(rb), sc_rulebook_list_count(rb),
	       sc_rulebook_measure_count(rb), sc_rulebook_action_count(rb));
	sc_rulebook_free(rb);
	return EXIT_OK;
}

static int show(struct cli *cli, const char *file, sc_day at, bool json)
{
	struct sc_rulebook *rb = NULL;
	struct sc_store *st = NULL;
	struct sc_diag d;
	bool ok;
	int rc;

	sc_diag_clear(&d);
	if (file) {
		if (sc_rulebook_load(file, &rb, &d)) {
			cli_diag(&d);
			return EXIT_SOME;
		}
	} else if ((rc = cli_open(cli, at, &st, &rb))) {
		return rc;
	}
	if (json) {
		json_t *o = sc_report_rulebook(rb);
		if ((ok = o != NULL))
			cli_json_print(o);
		json_decref(o);
	} else {
		char *dump = sc_rulebook_dump(rb);
		if ((ok = dump != NULL))
			fputs(dump, stdout);
		free(dump);
	}
	sc_rulebook_free(rb);
	sc_store_close(st);
	return ok ? EXIT_OK : cli_fail("out of memory");
}

static int publish(struct cli *cli, const char *file, const char *effective_s)
{
	struct sc_rulebook *rb = NULL, *cur = NULL;
	struct sc_store *st = NULL;
	struct sc_diag d;
	sc_day effective, today = sc_date_today();
	int rc;

	if (!effective_s || !sc_date_parse(effective_s, strlen(effective_s), &effective))
		return cli_fail("rulebook publish: --effective YYYY-MM-DD is required");
	if (effective < today)
		return cli_fail("rulebook publish: --effective %s is in the past: a rulebook never changes what already happened", effective_s);
	sc_diag_clear(&d);
	if (sc_rulebook_load(file, &rb, &d)) {
		cli_diag(&d);
		return EXIT_SOME;
	}
	if ((rc = cli_open(cli, SC_DAY_NONE, &st, &cur)))
		goto out;
	if (sc_store_rulebook_put(st, rb, effective, &d)) {
		cli_diag(&d);
		rc = EXIT_FATAL;
		goto out;
	}
	if ((rc = cli_audit(st, "rulebook publish", NULL, "%.40s %.40s from %.10s",
			    sc_rulebook_name(rb), sc_rulebook_version(rb), effective_s)))
		goto out;
	printf("published rulebook %s version %s, in force from %s\n", sc_rulebook_name(rb),
	       sc_rulebook_version(rb), effective_s);
	rc = EXIT_OK;
out:
	sc_rulebook_free(rb);
	sc_rulebook_free(cur);
	sc_store_close(st);
	return rc;
}

static enum sc_status print_version(void *ctx, int64_t id, sc_day effective,
				    const char *text, size_t len, const char *published)
{
	struct sc_rulebook *rb = NULL;
	char day[16];

	(void)ctx;
	if (sc_rulebook_compile_flags(text, len, "ledger rulebook", SC_RULEBOOK_STORED, &rb, NULL))
		return SC_ECORRUPT;
	printf("%lld\t%s\t%s\t%s\t%s\n", (long long)id, sc_rulebook_name(rb), sc_rulebook_version(rb),
	       effective == SC_DAY_NONE ? "always" : cli_day(effective, day), published);
	sc_rulebook_free(rb);
	return SC_OK;
}

static int list(struct cli *cli)
{
	struct sc_store *st = NULL;
	struct sc_diag d;
	int rc;

	sc_diag_clear(&d);
	if (cli_store_open(cli, 0, &st))
		return EXIT_FATAL;
	printf("id\trulebook\tversion\tin force from\tpublished\n");
	rc = sc_store_rulebook_list(st, print_version, NULL, &d) ? EXIT_FATAL : EXIT_OK;
	if (rc)
		cli_diag(&d);
	sc_store_close(st);
	return rc;
}

static int run(struct cli *cli, int argc, char **argv)
{
	const char *pos[2], *at_s = NULL, *effective = NULL;
	bool json = false;
	const struct opt opts[] = {{"--json", NULL, &json}, {"--at", &at_s, NULL},
				   {"--effective", &effective, NULL}, {0}};
	sc_day at;
	int n, rc = cli_parse(cli, &cmd_rulebook, argc, argv, opts, pos, 2, &n);

	if (rc >= 0)
		return rc;
	if (n == 2 && !strcmp(pos[0], "check"))
		return check(pos[1]);
	if (n >= 1 && !strcmp(pos[0], "show")) {
		if ((rc = cli_at(at_s, &at)))
			return rc;
		return show(cli, n == 2 ? pos[1] : NULL, at, json);
	}
	if (n == 2 && !strcmp(pos[0], "publish"))
		return publish(cli, pos[1], effective);
	if (n == 1 && !strcmp(pos[0], "list"))
		return list(cli);
	return cli_fail("usage: socred rulebook check FILE | show [FILE] [--at DATE] [--json] | publish FILE --effective DATE | list");
}

const struct cmd cmd_rulebook = {
	"rulebook", run,
	"rulebook check FILE | show [FILE] [--at DATE] [--json] | publish FILE --effective DATE | list",
	"Validate a rulebook (errors name file, line, column and key); print the compiled\n"
	"      program in force at a date (or of FILE); publish a new version in force from a\n"
	"      date (never in the past); list the versions."};
