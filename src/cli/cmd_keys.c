/* socred keys add|list|revoke: API keys for the service. A key is shown
 * once; the ledger keeps only the hash of its secret. */
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "socred/shard.h"

static int add(struct cli *cli, int argc, char **argv)
{
	const char *role_s = NULL, *name = NULL, *source = NULL, *actions = NULL, *subject = NULL;
	const struct opt opts[] = {{"--role", &role_s, NULL}, {"--name", &name, NULL},
				   {"--source", &source, NULL}, {"--actions", &actions, NULL},
				   {"--subject", &subject, NULL}, {0}};
	struct sc_store *st = NULL;
	struct sc_rulebook *rb = NULL;
	struct sc_key k;
	struct sc_diag d;
	char secret[SC_KEY_SECRET_HEX], token[SC_KEY_TOKEN_MAX];
	int n, rc = cli_parse(cli, &cmd_keys, argc, argv, opts, NULL, 0, &n);

	if (rc >= 0)
		return rc;
	memset(&k, 0, sizeof(k));
	if (!role_s || sc_role_parse(role_s, &k.role))
		return cli_fail("keys add: --role must be admin, provider, enforcer, subject or monitor");
	if ((rc = cli_open(cli, sc_date_today(), &st, &rb)))
		return rc;
	sc_diag_clear(&d);
	if (sc_key_binding(rb, k.role, source, actions, subject, k.binding, sizeof(k.binding), &d)) {
		cli_diag(&d);
		rc = EXIT_FATAL;
		goto out;
	}
	if (name && strlen(name) >= sizeof(k.name)) {
		rc = cli_fail("keys add: --name is longer than %zu bytes", sizeof(k.name) - 1);
		goto out;
	}
	snprintf(k.name, sizeof(k.name), "%s", name ? name : "");
	if (sc_key_secret(secret, k.hash)) {
		rc = cli_fail("no randomness available for a key");
		goto out;
	}
	if (sc_store_key_add(st, &k, &d)) {
		cli_diag(&d);
		rc = EXIT_FATAL;
		goto out;
	}
	sc_key_token(k.id, secret, token);
	sodium_memzero(secret, sizeof(secret));
	if (cli->map && subject) {
		/* over a cluster map, in the log the subject's report reads */
		struct sc_store *own = NULL;
		sc_diag_clear(&d);
		if (sc_store_open(cli->map->ledgers[sc_shard_ledger(cli->map, subject, strlen(subject))],
				  0, &own, &d)) {
			cli_diag(&d);
			rc = EXIT_FATAL;
			goto out;
		}
		rc = cli_audit(own, "keys add", subject, "key %" PRId64 " %s %.64s", k.id,
			       sc_role_name(k.role), k.binding);
		sc_store_close(own);
	} else {
		rc = cli_audit(st, "keys add", subject, "key %" PRId64 " %s %.64s", k.id,
			       sc_role_name(k.role), k.binding);
	}
	if (rc)
		goto out;
	printf("%s\n", token);
	fprintf(stderr, "key %" PRId64 " (%s%s%s): keep it now, it is not shown again\n",
		k.id, sc_role_name(k.role), k.binding[0] ? " " : "", k.binding);
	sodium_memzero(token, sizeof(token));
	rc = EXIT_OK;
out:
	sc_store_close(st);
	sc_rulebook_free(rb);
	return rc;
}

static enum sc_status print_key(void *ctx, const struct sc_key *k)
{
	bool json = *(bool *)ctx;

	if (json)
		printf("{\"id\":%" PRId64 ",\"role\":\"%s\",\"binding\":\"%s\",\"revoked\":%s,\"created\":\"%s\"}\n",
		       k->id, sc_role_name(k->role), k->binding, k->revoked ? "true" : "false", k->created);
	else
		printf("%" PRId64 "\t%s\t%s\t%s\t%s\t%s\n", k->id, sc_role_name(k->role),
		       k->binding[0] ? k->binding : "-", k->name[0] ? k->name : "-",
		       k->created, k->revoked ? "revoked" : "active");
	return SC_OK;
}

static int run(struct cli *cli, int argc, char **argv)
{
	const char *pos[2];
	bool json = false, force = false;
	const struct opt opts[] = {{"--json", NULL, &json}, {"--force", NULL, &force}, {0}};
	struct sc_store *st = NULL;
	struct sc_rulebook *rb = NULL;
	struct sc_diag d;
	int n, rc;

	if (argc >= 2 && !strcmp(argv[1], "add"))
		return add(cli, argc - 1, argv + 1);
	rc = cli_parse(cli, &cmd_keys, argc, argv, opts, pos, 2, &n);
	if (rc >= 0)
		return rc;
	sc_diag_clear(&d);
	if (n == 1 && !strcmp(pos[0], "list")) {
		if ((rc = cli_open(cli, sc_date_today(), &st, &rb)))
			return rc;
		if ((rc = cli_audit(st, "keys list", NULL, "listed"))) {
			sc_store_close(st);
			sc_rulebook_free(rb);
			return rc;
		}
		if (!json)
			printf("id\trole\tbinding\tname\tcreated\tstate\n");
		rc = sc_store_key_list(st, print_key, &json, &d) ? EXIT_FATAL : EXIT_OK;
	} else if (n == 2 && !strcmp(pos[0], "revoke")) {
		char *end;
		long long id = strtoll(pos[1], &end, 10);
		enum sc_status s;
		if (*end || id <= 0)
			return cli_fail("keys revoke: ID is a key number");
		if ((rc = cli_open(cli, sc_date_today(), &st, &rb)))
			return rc;
		/* --force: whoever can write the ledger file can also add an
		 * admin key again, so the shell may revoke the last one */
		s = sc_store_key_revoke(st, id, force, &d);
		if (s == SC_ECONFLICT)
			snprintf(d.message + strlen(d.message), sizeof(d.message) - strlen(d.message),
				 " (socred keys add --role admin), or revoke it with --force");
		rc = s ? EXIT_FATAL : EXIT_OK;
		if (!rc && !(rc = cli_audit(st, "keys revoke", NULL, "key %lld revoked%s", id,
						 force ? " (--force)" : "")))
			printf("key %lld revoked\n", id);
	} else {
		return cli_fail("usage: socred keys add --role ROLE ... | keys list | keys revoke ID");
	}
	if (rc)
		cli_diag(&d);
	sc_store_close(st);
	sc_rulebook_free(rb);
	return rc;
}

const struct cmd cmd_keys = {
	"keys", run,
	"keys add --role ROLE [--name N] [--source S | --actions A,B | --subject ID] | keys list [--json] |\n"
	"      keys revoke ID [--force]",
	"API keys for the service: admin; provider (bound to one source); enforcer (bound to\n"
	"      the actions it applies); subject (bound to one subject id); monitor (reads\n"
	"      /metrics only). Printed once; only a hash is stored. The last active admin key\n"
	"      is not revoked without --force (then `keys add --role admin` makes a new one)."};
