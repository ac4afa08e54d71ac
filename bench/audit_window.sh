#!/usr/bin/env bash
# Two figures of the audit log under load, on a small fresh ledger:
#   1. the window in which a read's entry can be lost: ROUNDS times, an
#      enforcer's checks (one keep-alive connection, as fast as they are
#      answered) and a SIGKILL at once after the last answer; the entries
#      missing afterwards, and the time they span at the round's rate;
#   2. the ledger's growth under a flood of keyless requests to a key-only
#      route (GET /v1/check without a key: 401): wrk for SECONDS, then the
#      server stopped (its counts flushed); bytes of ledger (file and WAL,
#      checkpointed) per second of flood.
# Usage: bench/audit_window.sh [SOCRED [ROUNDS [CHECKS [SECONDS]]]]
set -euo pipefail
SOCRED=$(realpath "${1:-build/socred}")
ROUNDS=${2:-20}
CHECKS=${3:-2000}
SECONDS_FLOOD=${4:-10}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
export SOCRED_DB=$T/socred.db
"$SOCRED" init > /dev/null
"$SOCRED" generate --people 200 --orgs 10 --seed 5 > town.csv 2> /dev/null
"$SOCRED" ingest town.csv > /dev/null
ID=$(awk -F, 'NR > 1 && length($3) == 18 && $3 !~ /^9/ {print $3; exit}' town.csv)
ENF=$("$SOCRED" keys add --role enforcer --actions air_travel 2> /dev/null)
start() {
	rm -f serve.out
	"$SOCRED" serve --listen 127.0.0.1:0 --threads 1 > serve.out 2> serve.err &
	SPID=$!
	for _ in $(seq 300); do grep -q serving serve.out 2> /dev/null && break; sleep 0.1; done
	B=http://127.0.0.1:$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\)\/.*/\1/p' serve.out)
}
count() { sqlite3 socred.db "SELECT coalesce(sum(n), 0) FROM audit_blocks"; }

# 1. reads killed
worst=0 worst_ms=0 total=0
for r in $(seq "$ROUNDS"); do
	start
	urls=()
	for _ in $(seq "$CHECKS"); do urls+=("$B/v1/check?subject=$ID&action=air_travel"); done
	before=$(count)
	t0=$(date +%s.%N)
	curl -s -H "Authorization: Bearer $ENF" "${urls[@]}" > /dev/null
	t1=$(date +%s.%N)
	kill -9 "$SPID"
	wait "$SPID" 2> /dev/null || true
	lost=$((CHECKS - ($(count) - before)))
	ms=$(echo "$lost * ($t1 - $t0) * 1000 / $CHECKS" | bc -l)
	printf 'round %d: %d checks in %.2f s, %d entries lost (%.1f ms of checks)\n' \
		"$r" "$CHECKS" "$(echo "$t1 - $t0" | bc -l)" "$lost" "$ms"
	total=$((total + lost))
	if [ "$lost" -gt "$worst" ]; then worst=$lost; worst_ms=$ms; fi
done
printf 'reads: at most %d entries lost in a round (%.1f ms of checks); %d in %d rounds\n' \
	"$worst" "$worst_ms" "$total" "$ROUNDS"

# 2. a keyless flood
start
sqlite3 socred.db "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null
size() { stat -c %s socred.db; }
b0=$(size) e0=$(count)
wrk -t1 -c16 -d"${SECONDS_FLOOD}s" "$B/v1/check?subject=$ID&action=air_travel" > wrk.out
kill -TERM "$SPID"
wait "$SPID" || true
sqlite3 socred.db "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null
b1=$(size) e1=$(count)
reqs=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' wrk.out)
echo "flood: $reqs keyless requests in ${SECONDS_FLOOD} s ($(grep Requests/sec wrk.out | awk '{print $2}')/s):" \
	"$((e1 - e0)) audit entries, ledger +$((b1 - b0)) bytes ($(((b1 - b0) / SECONDS_FLOOD)) bytes/s)"
