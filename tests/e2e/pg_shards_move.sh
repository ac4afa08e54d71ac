# A shard moved between PostgreSQL ledgers keeps its subjects' whole files:
# tests/e2e/shards_move.sh's comparisons with its ledgers on two clusters
# on loopback, and the move's target a second database on the second.
. "$(dirname "$0")/lib.bash"
. "$SRC/tests/pg/pg.bash"

for c in m1 m2; do
	pg_cluster_start "$c" > /dev/null || exit 1
done
pg_psql m2 "CREATE DATABASE moved" > /dev/null || exit 1
export SOCRED_STATE_DIR=$T/state
mkdir -p "$SOCRED_STATE_DIR"
export SOCRED_SHARD_LEDGERS="$(pg_uri m1) $(pg_uri m2)"
export SOCRED_SHARD_MOVE_TO="$(pg_uri m2 | sed 's|/socred$|/moved|')"
bash "$SRC/tests/e2e/shards_move.sh" "$SOCRED" "$SRC"
