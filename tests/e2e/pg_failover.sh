# Failover of a PostgreSQL ledger to its synchronous hot standby, many times.
#
# A primary and a streaming standby (pg_basebackup -R -X stream -C -S slot)
# on loopback, with synchronous_standby_names='*' and
# synchronous_commit=remote_apply: a commit returns once it is visible on the
# standby. Two `socred serve` nodes share the ledger through the multi-host
# URI postgresql://127.0.0.1:PA,127.0.0.1:PB/socred?target_session_attrs=
# read-write. A client posts batches of one provider's records, alternating
# between the nodes, and posts again a batch whose answer was lost; another
# loop asks both nodes for checks. Then, ROUNDS times (at least 10): at a
# random point of the posting the primary's postmaster gets SIGKILL, the
# standby is promoted (pg_ctl promote), and a new standby is made from it by
# a fresh base backup into a new directory, listening on the dead primary's
# port. The pair keeps the URI's two addresses, as production nodes keep
# their host names, so the nodes run on with the same URI: each replaces a
# connection it finds lost, and the URI leads it to whichever address is
# read-write now.
#
# Checked: after every promotion, every batch acknowledged (200) before the
# kill is on the new primary; once every batch is acknowledged, `run` and
# `results` equal those of an uninterrupted SQLite ledger fed the same
# records; `audit verify` passes every chain (the command line's, one per
# node); each node answered checks between every two kills, and no check
# failed, also while no primary was up (from a kill to the end of the
# promotion): the subjects checked have no records posted, and a node whose
# ledger connection is lost answers them from its snapshot with the key it
# knew. Checks are counted per node and printed, failed ones with their
# statuses and messages.
. "$(dirname "$0")/lib.bash"
. "$SRC/tests/pg/pg.bash"

ROUNDS=${PG_FAILOVER_ROUNDS:-10}
SOURCE=traffic
AT=2025-12-31
# bound of every poll below, in seconds
WAIT=${PG_WAIT:-120}

PIDS=()
stop_all() {
	local p
	touch "$T/stop"
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2> /dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2> /dev/null; done
	PIDS=()
}
# stop_all first, then pg.bash's cleanup, then lib.bash's
eval "set -- $(trap -p EXIT)"
# shellcheck disable=SC2064 # expanded now: the previous trap's text
trap "stop_all; $3" EXIT

# until SECONDS CMD...: polls CMD until it succeeds, for SECONDS at most
until_ok() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -gt "$deadline" ] && return 1
		sleep 0.05
	done
}

# ---- the records -------------------------------------------------------
"$SOCRED" generate --people 2000 --orgs 150 --seed 5 > city.csv 2> /dev/null
# the provider's records are posted; the rest is the ledger's starting state
sqlite3 split.db ".import --csv city.csv c" ".mode csv" ".headers on" \
	".output base.csv" "SELECT * FROM c WHERE source <> '$SOURCE' ORDER BY rowid" \
	".output mine.csv" "SELECT * FROM c WHERE source = '$SOURCE' ORDER BY rowid" \
	".output mine.subjects" ".mode list" ".headers off" "SELECT DISTINCT subject FROM c WHERE source = '$SOURCE'"
total=$(($(wc -l < mine.csv) - 1))
[ "$total" -gt 2000 ] && ok || bad "only $total records to post"
# batches of 40 lines, each with the header; ids/N the record ids of batch N
tail -n +2 mine.csv | split -l 40 -d -a 3 - part.
mkdir ids
for p in part.[0-9][0-9][0-9]; do
	{ head -1 mine.csv; cat "$p"; } > "$p.csv"
	sqlite3 split.db ".import --csv $p.csv b${p#part.}" "SELECT DISTINCT record_id FROM b${p#part.}" > "ids/${p#part.}"
	rm "$p"
done
nparts=$(ls part.*.csv | wc -l)

# the uninterrupted reference: one SQLite ledger fed the same records
"$SOCRED" --db ref.db init > /dev/null
"$SOCRED" --db ref.db ingest base.csv > /dev/null 2>&1
"$SOCRED" --db ref.db ingest mine.csv > /dev/null 2>&1
"$SOCRED" --db ref.db run --at "$AT" --json | run_strip > ref.run
"$SOCRED" --db ref.db results > ref.results

echo "records and the SQLite reference ready at ${SECONDS} s"

# ---- the pair ----------------------------------------------------------
# Clusters are named n0, n1, ... in the order they are made; the primary and
# the standby are $P and $S, on ports PA and PB (which address is which
# swaps at every failover).
if ! pg_cluster_start n0; then bad "primary did not start"; finish; exit 1; fi
PA=$PG_PORT
pg_psql n0 "ALTER SYSTEM SET synchronous_standby_names = '*'" &&
	pg_psql n0 "ALTER SYSTEM SET synchronous_commit = remote_apply" &&
	pg_psql n0 "SELECT pg_reload_conf()" > /dev/null || bad "synchronous settings"
# the base backup copies them (postgresql.auto.conf): every standby made
# from here on, once promoted, waits for its own standby the same way
if ! pg_standby_create n0 n1; then bad "standby did not start"; finish; exit 1; fi
PB=$PG_PORT
P=n0 S=n1 NEXT=2
URI="postgresql://postgres@127.0.0.1:$PA,127.0.0.1:$PB/socred?target_session_attrs=read-write&connect_timeout=5"

# streaming: the primary $P has one standby, streaming, synchronous
streaming() {
	[ "$(pg_psql "$P" "SELECT string_agg(state || ' ' || sync_state, ',') FROM pg_stat_replication" 2> /dev/null)" = "streaming sync" ]
}
until_ok "$WAIT" streaming && ok || bad "n1 is not a synchronous standby of n0"
eq "$(pg_psql n1 "SELECT pg_is_in_recovery()")" t "n1 in recovery"

# ---- the ledger and the nodes ------------------------------------------
export SOCRED_DB=$URI
# the command line's local files of the ledger (a node has its own below)
export SOCRED_STATE_DIR=$T/state0
mkdir state0
"$SOCRED" init > init.out 2>&1 || { bad "init on PostgreSQL"; cat init.out; }
"$SOCRED" ingest base.csv > ingest.out 2>&1 || { bad "ingest of base.csv"; tail -3 ingest.out; }
"$SOCRED" run --at "$AT" > run.out 2>&1 || { bad "first run"; tail -3 run.out; }
PROV=$("$SOCRED" keys add --role provider --source "$SOURCE" 2> /dev/null)
ACTION=$("$SOCRED" rulebook show --json |
	 python3 -c 'import json,sys; print(sorted({m["action"] for m in json.load(sys.stdin)["measures"]})[0])')
ENF=$("$SOCRED" keys add --role enforcer --actions "$ACTION" 2> /dev/null)
[ -n "$PROV" ] && [ -n "$ENF" ] && ok || bad "keys on PostgreSQL"
# a subject on one of the lists (checks on it deny) and one that is not,
# neither with records of the provider (their checks stay answerable from
# the snapshots)
"$SOCRED" results > first.results
untouched() { awk -F'\t' -v t="$1" 'FNR == NR {mine[$1] = 1; next} $1 == t && !($2 in mine) {print $2; exit}' mine.subjects first.results; }
LISTED=$(untouched list)
PLAIN=$(untouched card)
[ -n "$LISTED" ] && [ -n "$PLAIN" ] && ok || bad "subjects to check"

# each node has a state folder of its own, as on a machine of its own
NODES=()
for n in 1 2; do
	mkdir "state$n"
	SOCRED_STATE_DIR=$T/state$n serve_start "node$n" --threads 2
	PIDS+=("$SPID")
	NODES+=("$B")
done
# metric NODE NAME: a node's metric line value (summed over labels)
metric() {
	curl -s -m 10 "${NODES[$1]}/metrics" | awk -v m="$2" 'index($0, m) == 1 {s += $NF} END {print s + 0}'
}
# each node answers checks from a snapshot it built before the test starts
snap_ok() { [ "$(metric "$1" 'socred_snapshot_builds_total{result="ok"}')" -ge 1 ]; }
for n in 0 1; do until_ok "$WAIT" snap_ok "$n" && ok || bad "node $((n + 1)) built no snapshot"; done

echo "pair, ledger and nodes ready at ${SECONDS} s"

# ---- the client and the checks -----------------------------------------
# post N NODE: posts batch N to node NODE (0, 1); succeeds on 200, every
# line accepted or (when posted again) a duplicate
post() {
	local f code
	f=$(printf 'part.%03d.csv' "$1")
	code=$(curl -s -m 60 -o "resp.$1" -w '%{http_code}' -H "Authorization: Bearer $PROV" \
		-H 'Content-Type: text/csv' --data-binary "@$f" "${NODES[$2]}/v1/records")
	echo "$(date +%s.%N) $1 $2 $code" >> posts.log
	[ "$code" = 200 ]
}
client() {
	local i=0 node=0
	while [ "$i" -lt "$nparts" ] && [ ! -e stop ]; do
		if post "$i" "$node"; then
			echo "$i" >> acked
			i=$((i + 1))
		fi
		node=$((1 - node))
	done
}
# the checks: both nodes in turn, each answer's time, node and HTTP status
checker() {
	local node code s
	while [ ! -e stop ]; do
		for node in 0 1; do
			for s in "$LISTED" "$PLAIN"; do
				code=$(curl -s -m 10 -o check.out -w '%{http_code}' -H "Authorization: Bearer $ENF" \
					"${NODES[$node]}/v1/check?subject=$s&action=$ACTION")
				echo "$(date +%s.%N) $node $code" >> checks.log
				[ "$code" = 200 ] || { cat check.out; echo; } >> checks.err
			done
		done
	done
}
: > acked
: > posts.log
: > checks.log
: > checks.err
: > events.log
client &
CLIENT=$!
PIDS+=("$CLIENT")
checker &
PIDS+=("$!")

# both nodes answered a check (before the first kill: the intervals
# counted at the end start here)
answered() { [ "$(awk '$3 == 200 {a[$2] = 1} END {print length(a)}' checks.log)" = 2 ]; }
until_ok "$WAIT" answered && ok || bad "the nodes answered no check"

acked() { wc -l < acked; }
# at_least N: N batches acknowledged, or the client is done
at_least() { [ "$(acked)" -ge "$1" ] || ! kill -0 "$CLIENT" 2> /dev/null; }

# ---- the failovers -----------------------------------------------------
for round in $(seq "$ROUNDS"); do
	# a random point of the posting: 1 to 4 more batches acknowledged,
	# then the kill lands on whatever the client and the nodes do then
	until_ok "$WAIT" at_least "$(($(acked) + RANDOM % 4 + 1))" || bad "round $round: no batch acknowledged"
	kill -0 "$CLIENT" 2> /dev/null || bad "round $round: every batch was posted before the kill"
	echo "$(date +%s.%N) kill $round" >> events.log
	pg_cluster_kill9 "$P" || bad "round $round: $P did not die"
	# a batch acknowledged now was committed before the kill: with
	# remote_apply, it is visible on the standby
	cp acked "acked.$round"
	port=$(cat "$PG_DIR/$P/port")
	pg_promote "$S" || { bad "round $round: promotion of $S"; break; }
	echo "$(date +%s.%N) promoted $round" >> events.log
	rm -rf "${PG_DIR:?}/$P"
	P=$S S=n$NEXT NEXT=$((NEXT + 1))
	# every acknowledged record on the new primary (a read: it does not
	# wait for a standby)
	ids=$(while read -r b; do cat "ids/$(printf '%03d' "$b")"; done < "acked.$round" | sort -u)
	want=$(echo "$ids" | grep -c .)
	got=$(echo "SELECT count(*) FROM records WHERE record_id = ANY (:'ids'::text[])" |
	      PGCONNECT_TIMEOUT=10 psql -X -q -tA -d "$(pg_uri "$P")" -v ids="{$(echo "$ids" | paste -sd,)}")
	eq "$got" "$want" "round $round: records of the $(grep -c . "acked.$round") acknowledged batches on $P"
	pg_standby_create "$P" "$S" "$port" || { bad "round $round: new standby $S"; break; }
	until_ok "$WAIT" streaming || bad "round $round: $S is not a synchronous standby of $P"
	echo "$(date +%s.%N) standby $round" >> events.log
	echo "round $round: $(acked) of $nparts batches acknowledged; $P primary, $S standby (${SECONDS} s)"
done

echo "$ROUNDS failovers done at ${SECONDS} s"

# ---- after the failovers -----------------------------------------------
until_ok "$WAIT" at_least "$nparts" || bad "the client did not finish"
eq "$(acked)" "$nparts" "every batch acknowledged"
touch stop
stop_all
eq "$(pg_psql "$P" "SELECT pg_is_in_recovery()")" f "$P is the primary"
eq "$(pg_psql "$S" "SELECT pg_is_in_recovery()")" t "$S is its standby"
# an answer to a batch posted again holds duplicates, never a conflict or
# a rejection
bad_lines=$(cat resp.* | grep -o '"status":"[a-z]*"' | grep -vc '"status":"\(accepted\|duplicate\)"')
eq "$bad_lines" 0 "lines neither accepted nor duplicates"
"$SOCRED" run --at "$AT" --json | run_strip > pg.run
"$SOCRED" results > pg.results
cmp -s ref.run pg.run && ok || { bad "run differs from the uninterrupted ledger's"; diff ref.run pg.run | head -5; }
cmp -s ref.results pg.results && ok ||
	{ bad "results differ from the uninterrupted ledger's"; diff ref.results pg.results | head -5; }
"$SOCRED" audit verify > verify.out 2>&1
eq "$?" 0 "audit verify"
sed 's/^/  audit verify: /' verify.out | head -5
# each chain: entries, last seq, and the size its tree holds
pg_psql "$P" "SELECT n.node, n.name, count(a.seq), max(a.seq), t.size FROM audit_nodes n
	LEFT JOIN audit a ON a.node = n.node LEFT JOIN audit_tree t ON t.node = n.node
	GROUP BY n.node, n.name, t.size ORDER BY n.node" | sed 's/^/  chain: /'

echo "final checks done at ${SECONDS} s"

# ---- what the checks saw -----------------------------------------------
# per node: checks, failures, failures while a primary was down (from a
# kill to the promotion)
awk '
	FNR == NR { if ($2 == "kill") k[$3] = $1; if ($2 == "promoted") p[$3] = $1; next }
	{
		n[$2]++
		if ($3 != 200) f[$2]++
		for (r in k) if ($1 >= k[r] && (!(r in p) || $1 < p[r])) { d[$2]++; if ($3 != 200) df[$2]++ }
	}
	$3 != 200 { codes[$2] = codes[$2] " " $3 }
	END { for (i = 0; i < 2; i++)
		printf "node %d: %d checks, %d failed; %d while the primary was down, %d of them failed (statuses:%s)\n",
			i + 1, n[i], f[i], d[i], df[i], codes[i] }' events.log checks.log
# what the failed checks said
[ -s checks.err ] && sort checks.err | uniq -c | sort -rn | head -5 | cut -c1-200 | sed 's/^/  failed check: /'
# no check failed: the subjects checked have no records posted, so each
# node answers them from its snapshot, also while no primary is up
for n in 0 1; do
	eq "$(awk -v node=$n '$2 == node && $3 != 200 {f++} END {print f + 0}' checks.log)" 0 \
		"checks of node $((n + 1)) that failed"
done
# each node answered checks between every two kills and at the end
for n in 0 1; do
	rounds=$(awk -v node=$n '
		FNR == NR { if ($2 == "kill") k[++nk] = $1; next }
		$2 == node && $3 == 200 { for (r = 1; r <= nk + 1; r++) if ((r == 1 || $1 >= k[r - 1]) && (r > nk || $1 < k[r])) a[r] = 1 }
		END { c = 0; for (r in a) c++; print c }' events.log checks.log)
	eq "$rounds" "$((ROUNDS + 1))" "node $((n + 1)) answered checks between every two kills"
done
finish
