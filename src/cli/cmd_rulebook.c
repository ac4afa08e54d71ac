/* socred rulebook check FILE | show [FILE]: validate and disassemble. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "socred/report.h"

static int run(struct cli *cli, int argc, char **argv)
{
	const char *pos[2];
	bool json = false;
	const struct opt opts[] = {{"--json", NULL, &json}, {0}};
	struct sc_rulebook *rb = NULL;
	struct sc_store *st = NULL;
	struct sc_diag d;
	int n, rc = cli_parse(cli, &cmd_rulebook, argc, argv, opts, pos, 2, &n);

	if (rc >= 0)
		return rc;
	sc_diag_clear(&d);
	if (n >= 1 && !strcmp(pos[0], "check") && n == 2) {
		if (sc_rulebook_load(pos[1], &rb, &d)) {
			cli_diag(&d);
			return EXIT_SOME;
		}
		printf("%s: ok: rulebook %s version %s: %zu sources, %zu scorecards, %zu rules, %zu lists, %zu measures over %zu actions\n",
		       pos[1], sc_rulebook_name(rb), sc_rulebook_version(rb),
		       sc_rulebook_source_count(rb), sc_rulebook_scorecard_count(rb),
		       sc_rulebook_rule_count(rb), sc_rulebook_list_count(rb),
		       sc_rulebook_measure_count(rb), sc_rulebook_action_count(rb));
		sc_rulebook_free(rb);
		return EXIT_OK;
	}
	if (n >= 1 && !strcmp(pos[0], "show")) {
		bool ok;
		if (n == 2) {
			if (sc_rulebook_load(pos[1], &rb, &d)) {
				cli_diag(&d);
				return EXIT_SOME;
			}
		} else if ((rc = cli_open(cli, &st, &rb))) {
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
	return cli_fail("usage: socred rulebook check FILE | socred rulebook show [FILE]");
}

const struct cmd cmd_rulebook = {
	"rulebook", run, "rulebook check FILE | rulebook show [FILE] [--json]",
	"Validate a rulebook (errors name file, line, column and key), or print the compiled\n"
	"      program of the ledger's active rulebook (or of FILE)."};
