/* socred: the command. One table of subcommands (like git.c); each lives in
 * its own cmd_<verb>.c. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cmd *const commands[] = {
	&cmd_init, &cmd_rulebook, &cmd_ingest, &cmd_score, &cmd_explain,
	&cmd_check, &cmd_lists, &cmd_run, &cmd_results, &cmd_generate, &cmd_keys, &cmd_audit, &cmd_serve,
	&cmd_expire, &cmd_whatif, &cmd_shards};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void help(FILE *out)
{
	fprintf(out,
		"usage: socred [--db PATH] COMMAND [ARGS]\n\n"
		"A registry and trust-scoring engine: authorities file records, a published\n"
		"rulebook turns them into scores, grades, black and red lists and joint\n"
		"measures, every effect explained down to the record and the rule.\n\n"
		"The ledger is --db PATH, else $SOCRED_DB, else ./socred.db. A PATH of\n"
		"shards:MAP names a cluster map: several ledgers as one (socred shards).\n\n"
		"commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-60s\n      %s\n", commands[i]->usage, commands[i]->summary);
	fprintf(out, "\n'socred COMMAND --help' for one command. Exit codes: 0 ok, 1 some lines\n"
		     "rejected or a deny decision, 2 usage or fatal error.\n");
}

int main(int argc, char **argv)
{
	struct cli cli = {.db = getenv("SOCRED_DB"), .prog = "socred", .self = "/proc/self/exe"};
	int i = 1;

	if (!cli.db || !*cli.db)
		cli.db = "socred.db";
	/* a path as started (under a wrapper such as valgrind, /proc/self/exe
	 * is the wrapper's) */
	if (argv[0] && strchr(argv[0], '/'))
		cli.self = argv[0];
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--db") && i + 1 < argc) {
			cli.db = argv[i + 1];
			i += 2;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			help(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--version")) {
			printf("socred %s\n", SOCRED_VERSION);
			return EXIT_OK;
		} else {
			fprintf(stderr, "socred: unknown option '%s'\n", argv[i]);
			help(stderr);
			return EXIT_FATAL;
		}
	}
	if (i >= argc) {
		help(stderr);
		return EXIT_FATAL;
	}
	/* a --db after the command counts as before it (cli_parse), and is
	 * taken out: the commands over a cluster map pass the rest on */
	for (int k = i + 1; k < argc; k++)
		if (!strcmp(argv[k], "--db") && k + 1 < argc) {
			cli.db = argv[k + 1];
			memmove(&argv[k], &argv[k + 2], (size_t)(argc - k - 2) * sizeof(char *));
			argc -= 2;
			k--;
		}
	for (size_t c = 0; c < NCOMMANDS; c++)
		if (!strcmp(commands[c]->name, argv[i]))
			return cli_sharded(&cli) ? cli_shards_dispatch(&cli, commands[c], argc - i, argv + i)
						 : commands[c]->run(&cli, argc - i, argv + i);
	fprintf(stderr, "socred: unknown command '%s' (see 'socred --help')\n", argv[i]);
	return EXIT_FATAL;
}
