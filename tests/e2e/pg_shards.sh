# Shards on PostgreSQL: three PostgreSQL clusters on loopback, each holding
# one shard ledger of a cluster map (and a fourth for `shards move`), answer
# exactly as one SQLite ledger fed the same file. The comparisons are
# tests/e2e/shards.sh's, run with its ledgers pointed at the clusters.
. "$(dirname "$0")/lib.bash"
. "$SRC/tests/pg/pg.bash"

for c in g1 g2 g3; do
	pg_cluster_start "$c" > /dev/null || exit 1
done
# the move's target: a second database on the third cluster
pg_psql g3 "CREATE DATABASE moved" > /dev/null || exit 1
export SOCRED_STATE_DIR=$T/state
mkdir -p "$SOCRED_STATE_DIR"
export SOCRED_SHARD_LEDGERS="$(pg_uri g1) $(pg_uri g2) $(pg_uri g3)"
export SOCRED_SHARD_MOVE_TO="$(pg_uri g3 | sed 's|/socred$|/moved|')"
bash "$SRC/tests/e2e/shards.sh" "$SOCRED" "$SRC"
