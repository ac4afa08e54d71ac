# serve over a cluster map of PostgreSQL ledgers: three databases of one
# cluster on loopback, each a shard ledger, served by one socred serve and
# compared over HTTP with a server over one SQLite ledger fed the same
# city. The comparisons are tests/e2e/serve_shards.sh's, run with its
# ledgers pointed at the databases.
. "$(dirname "$0")/lib.bash"
. "$SRC/tests/pg/pg.bash"

pg_cluster_start g1 > /dev/null || exit 1
for x in s2 s3 s4; do
	pg_psql g1 "CREATE DATABASE $x" > /dev/null || exit 1
done
export SOCRED_STATE_DIR=$T/state
mkdir -p "$SOCRED_STATE_DIR"
U=$(pg_uri g1)
export SOCRED_SHARD_LEDGERS="$U ${U%/socred}/s2 ${U%/socred}/s3"
export SOCRED_SHARD_MOVE_TO=${U%/socred}/s4
bash "$SRC/tests/e2e/serve_shards.sh" "$SOCRED" "$SRC"
