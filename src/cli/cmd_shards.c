/* socred shards: the cluster map's own commands (--db shards:MAP).
 *   where ID         the subject's logical shard and ledger
 *   move N --to L    moves logical shard N to ledger L */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "socred/ledger_path.h"
#include "socred/limits.h"
#include "socred/shard.h"

static int where(struct sc_shard_map *m, const char *id)
{
	uint32_t n = sc_shard_of(m, id, strlen(id));
	char shown[SC_LIMIT_SHARD_LEDGER + 1];

	sc_ledger_display(m->names[m->owner[n]], shown, sizeof(shown));
	printf("%s\tshard %u of %u\t%s\n", id, n, m->count, shown);
	return EXIT_OK;
}

static int run(struct cli *cli, int argc, char **argv)
{
	const char *pos[2], *to = NULL;
	const struct opt opts[] = {{"--to", &to, NULL}, {0}};
	struct sc_shard_map *m = NULL;
	int n, rc = cli_parse(cli, &cmd_shards, argc, argv, opts, pos, 2, &n);

	if (rc >= 0)
		return rc;
	if (!cli_sharded(cli))
		return cli_fail("shards: the ledger is not a cluster map (--db shards:MAP)");
	if (n == 2 && !strcmp(pos[0], "where")) {
		if ((rc = cli_shard_map(cli, &m)))
			return rc;
		rc = where(m, pos[1]);
	} else if (n == 2 && !strcmp(pos[0], "move") && to) {
		if ((rc = cli_shard_map(cli, &m)))
			return rc;
		rc = cli_shards_move(cli, m, pos[1], to);
	} else {
		return cli_fail("usage: socred --db shards:MAP shards where ID | move N --to LEDGER");
	}
	sc_shard_map_free(m);
	return rc;
}

const struct cmd cmd_shards = {
	"shards", run, "shards where ID | move N --to LEDGER",
	"Over a cluster map (--db shards:MAP): where a subject's file lives, or move\n"
	"      logical shard N to another ledger (initialised with the same rulebook):\n"
	"      its subjects' whole files (records, events, consents, disputes, statements,\n"
	"      repair applications, share links, names, access log entries) are copied and\n"
	"      verified with the old ledger's write lock held, then the map is rewritten."};
