#!/usr/bin/env bash
# with_pg.sh CMD [ARG...]: runs CMD against a fresh PostgreSQL 15 cluster of
# its own (tests/pg/pg.bash), then removes the cluster. CMD gets
# SOCRED_TEST_PG, an admin URI (the "postgres" database: tests make
# databases of their own), and SOCRED_STATE_DIR, a folder for the local
# files of PostgreSQL ledgers. Exits with CMD's status, or 125 when the
# cluster did not start or stop.
set -u
. "$(dirname "$0")/pg.bash" || exit 125
[ $# -gt 0 ] || { echo "usage: with_pg.sh CMD [ARG...]" >&2; exit 2; }
pg_cluster_start test > /dev/null || exit 125
export SOCRED_TEST_PG=${PG_URI%/socred}/postgres
export SOCRED_STATE_DIR=$PG_DIR/state
mkdir -p "$SOCRED_STATE_DIR"
"$@"
status=$?
pg_cleanup || { echo "with_pg.sh: the cluster did not stop" >&2; [ "$status" != 0 ] || status=125; }
exit $status
