#!/usr/bin/env bash
# How soon a record posted to one node changes the checks of another, both
# on one PostgreSQL ledger (a throwaway cluster on loopback, tests/pg/pg.bash):
# a small generated city, two `socred serve` nodes with state folders (and
# decision snapshots) of their own; TRIALS times, a judgment default for a
# subject node B allows is posted to node A, and node B is asked about that
# subject, in a loop, until it denies. Prints per trial the milliseconds
# from A's acknowledgement to B's first deny and how many checks allowed
# before it, then the median and the maximum.
# Usage: bench/pg_nodes_delay.sh [SOCRED [TRIALS]]
set -uo pipefail
SOCRED=$(realpath "${1:-build/socred}")
TRIALS=${2:-15}
SRC=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d)
PIDS=()
stop_all() { local p; for p in "${PIDS[@]}"; do kill -TERM "$p" 2> /dev/null && wait "$p"; done; }
trap 'stop_all; rm -rf "$T"' EXIT
cd "$T"
. "$SRC/tests/pg/pg.bash"
pg_cluster_start main > /dev/null || exit 1
export SOCRED_DB=$PG_URI
"$SOCRED" init > /dev/null
"$SOCRED" generate --people 200 --orgs 0 > city.csv 2> /dev/null
"$SOCRED" ingest city.csv > /dev/null
COURT=$("$SOCRED" keys add --role provider --source court 2> /dev/null)
ENF=$("$SOCRED" keys add --role enforcer --actions air_travel 2> /dev/null)
# serve NAME: a node with a state folder of its own; prints its base URL
serve() {
	mkdir -p "$T/$1"
	SOCRED_STATE_DIR=$T/$1 "$SOCRED" serve --listen 127.0.0.1:0 --today 2025-12-31 --threads 2 \
		--rate 0 > "$T/$1/out" 2> "$T/$1/err" &
	PIDS+=($!)
	until grep -q '^socred: serving' "$T/$1/out"; do sleep 0.05; done
}
serve a
serve b
A=$(sed -n 's|^socred: serving \(http://[^/]*\)/.*|\1|p' "$T/a/out")
B=$(sed -n 's|^socred: serving \(http://[^/]*\)/.*|\1|p' "$T/b/out")
decision() {
	curl -s -H "Authorization: Bearer $ENF" "$1/v1/check?subject=$2&action=air_travel" |
		sed -n 's/.*"decision":"\([a-z]*\)".*/\1/p'
}
mapfile -t subs < <(awk -F, 'NR > 1 && $3 != "" {print $3}' city.csv | sort -u |
	while read -r s; do [ "$(decision "$A" "$s")" = allow ] && echo "$s"; done | head -"$TRIALS")
# both nodes build their snapshots and answer from them
for _ in $(seq 40); do decision "$A" "${subs[0]}" > /dev/null; decision "$B" "${subs[0]}" > /dev/null; done
: > ms
for i in "${!subs[@]}"; do
	s=${subs[$i]}
	curl -s -o /dev/null -H "Authorization: Bearer $COURT" -H 'Content-Type: text/csv' \
		--data-binary "op,record_id,subject,type,date,source,ref
,delay-$i,$s,court.judgment_default,2025-12-01,court,D $i" "$A/v1/records"
	t0=$(date +%s%N)
	n=0
	while [ "$(decision "$B" "$s")" != deny ]; do n=$((n + 1)); done
	t1=$(date +%s%N)
	echo "$(((t1 - t0) / 1000000))" >> ms
	echo "trial $((i + 1)): $(((t1 - t0) / 1000000)) ms, $n checks allowed before"
done
sort -n ms | awk '{v[NR] = $1} END {printf "median %d ms, max %d ms over %d trials\n", v[int((NR + 1) / 2)], v[NR], NR}'
curl -s "$B/metrics" | grep -E '^socred_(ledger_commits_told_total|checks_answered_total)'
