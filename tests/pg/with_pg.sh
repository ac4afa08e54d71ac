#!/usr/bin/env bash
# with_pg.sh CMD [ARG...]: runs CMD with SOCRED_TEST_PG set to the URI of a
# fresh PostgreSQL 15 cluster (tests/pg/pg.bash), then removes the cluster.
# Exits with CMD's status, or 125 when the cluster did not start.
set -u
. "$(dirname "$0")/pg.bash" || exit 125
[ $# -gt 0 ] || { echo "usage: with_pg.sh CMD [ARG...]" >&2; exit 2; }
pg_cluster_start test || exit 125
export SOCRED_TEST_PG=$PG_URI
"$@"
status=$?
pg_cleanup || { echo "with_pg.sh: the cluster did not stop" >&2; [ "$status" != 0 ] || status=125; }
exit $status
