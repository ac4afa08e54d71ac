/* socred init: create a ledger and publish its first rulebook. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "socred/audit_key.h"

extern const unsigned char sc_default_rulebook[];
extern const unsigned long sc_default_rulebook_len;

static int run(struct cli *cli, int argc, char **argv)
{
	const char *file = NULL;
	const struct opt opts[] = {{"--rulebook", &file, NULL}, {0}};
	struct sc_rulebook *rb = NULL;
	struct sc_store *st = NULL;
	struct sc_diag d;
	char *text = NULL;
	size_t len;
	int n, rc = cli_parse(cli, &cmd_init, argc, argv, opts, NULL, 0, &n);

	if (rc >= 0)
		return rc;
	sc_diag_clear(&d);
	if (file ? sc_rulebook_load(file, &rb, &d)
		 : sc_rulebook_compile((const char *)sc_default_rulebook,
				       sc_default_rulebook_len, "default rulebook", &rb, &d)) {
		cli_diag(&d);
		return EXIT_FATAL;
	}
	if (cli_store_open(cli, SC_STORE_CREATE, &st)) {
		rc = EXIT_FATAL;
		goto out;
	}
	if (sc_store_rulebook_get(st, SC_DAY_NONE, &text, &len, &d) == SC_OK) {
		rc = cli_fail("ledger '%s' is already initialised (publish a new version with 'socred rulebook publish')",
			      cli_where(cli));
		goto out;
	}
	if (sc_store_rulebook_put(st, rb, SC_DAY_NONE, &d)) {
		cli_diag(&d);
		rc = EXIT_FATAL;
		goto out;
	}
	printf("initialised ledger %s with rulebook %s version %s\n", cli_where(cli),
	       sc_rulebook_name(rb), sc_rulebook_version(rb));
	{
		/* the key that signs the audit log's heads, outside the ledger */
		unsigned char sk[SC_HEAD_SECRET_BYTES];
		char path[4096];
		bool created;
		if (!sc_audit_key_path(cli->db, path, sizeof(path)) ||
		    sc_audit_key_load(path, true, sk, &created, &d)) {
			cli_diag(&d);
			rc = EXIT_FATAL;
			goto out;
		}
		printf("audit signing key %s%s\n", path, created ? " (created, 0600)" : "");
	}
	rc = EXIT_OK;
out:
	free(text);
	sc_store_close(st);
	sc_rulebook_free(rb);
	return rc;
}

const struct cmd cmd_init = {
	"init", run, "init [--rulebook FILE]",
	"Create the ledger and publish a rulebook (the default one when FILE is absent)."};
