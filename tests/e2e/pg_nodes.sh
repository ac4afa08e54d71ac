# Two `socred serve` nodes on one PostgreSQL ledger, each with a decision
# snapshot of its own (its own state folder). A record posted to node A
# that lists a subject changes node B's check of that subject (B is told of
# A's commit by the ledger); both nodes answer checks throughout, B from its
# snapshot for subjects that did not change. PostgreSQL restarted under the
# nodes: they reconnect, listen again, and a record posted then reaches the
# other node too. Every node's audit chain verifies. The delay from A's
# answer to B's first changed check is printed (not asserted: timing).
. "$(dirname "$0")/lib.bash"

PIDS=()
stop_all() { local p; for p in "${PIDS[@]}"; do kill -TERM "$p" 2> /dev/null && wait "$p"; done; PIDS=(); }
trap 'stop_all; rm -rf "$T"' EXIT
. "$SRC/tests/pg/pg.bash"

pg_cluster_start main || { bad "PostgreSQL did not start"; finish; exit 1; }
export SOCRED_DB=$PG_URI
TODAY=2025-12-31
P=360426199101010071
Q=11010519491231002X
R=110101194001010012
"$SOCRED" init > /dev/null
cat > seed.csv <<CSV
op,record_id,subject,type,date,amount,source,ref
consent,,$P,public,2020-01-01,,,
consent,,$Q,public,2020-01-01,,,
consent,,$R,public,2020-01-01,,,
,t1,$P,traffic.violation,2025-11-05,,traffic,
,c1,$Q,court.judgment_default,2025-11-01,,court,(2025) Jing 0105 Zhi 9
,t2,$R,traffic.violation,2025-11-05,,traffic,
CSV
expect_rc 0 "$SOCRED" ingest seed.csv
COURT=$("$SOCRED" keys add --role provider --source court 2> /dev/null)
ENF=$("$SOCRED" keys add --role enforcer --actions air_travel 2> /dev/null)
[ -n "$COURT" ] && [ -n "$ENF" ] && ok || bad "keys add failed"

# node NAME: a server with a state folder (and so a snapshot) of its own
node() {
	mkdir -p "$T/$1"
	SOCRED_STATE_DIR=$T/$1 serve_start "$T/$1/serve" --today "$TODAY" --threads 2 --rate 0
	PIDS+=("$SPID")
}
node a
A=$B
node b
NB=$B

decision() { # decision BASE SUBJECT: allow, deny, or the HTTP status
	local code
	code=$(curl -s -o "$T/check.json" -w '%{http_code}' -H "Authorization: Bearer $ENF" \
		"$1/v1/check?subject=$2&action=air_travel")
	if [ "$code" = 200 ]; then sed -n 's/.*"decision":"\([a-z]*\)".*/\1/p' "$T/check.json"; else echo "$code"; fi
}
metric() { # metric BASE NAME: its value
	curl -s "$1/metrics" | awk -v m="$2" '$1 == m {print $2}'
}
now_ms() { date +%s%3N; }

eq "$(decision "$A" "$P") $(decision "$NB" "$P") $(decision "$NB" "$Q")" "allow allow deny" "before"
eq "$(metric "$NB" socred_ledger_listening)" 1 "node b listens for commits"
# each node builds its own snapshot and answers unchanged subjects from it
for n in "$A" "$NB"; do
	deadline=$((SECONDS + 60))
	until [ "$(metric "$n" 'socred_checks_answered_total{from="snapshot"}')" -gt 0 ] 2> /dev/null; do
		[ "$SECONDS" -gt "$deadline" ] && { bad "$n never answered from its snapshot"; break; }
		decision "$n" "$R" > /dev/null
		sleep 0.1
	done
done
[ -s "$T/a/pg-"*.snap ] && [ -s "$T/b/pg-"*.snap ] && ok || bad "each node has its snapshot file"

# both nodes keep answering while records are posted; each answer is
# written with the phase it came in (steady, restart, after)
: > "$T/answers"
# the phase is replaced whole (rename), never seen half-written
set_phase() { echo "$1" > "$T/phase.new" && mv "$T/phase.new" "$T/phase"; }
set_phase steady
(
	while [ ! -e "$T/stop" ]; do
		for n in "$A" "$NB"; do
			code=$(curl -s -m 20 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ENF" \
				"$n/v1/check?subject=$R&action=air_travel")
			echo "$(cat "$T/phase") $code" >> "$T/answers"
		done
	done
) &
LOOP=$!

# post_listing BASE SUBJECT ID: a judgment default for SUBJECT, through BASE
post_listing() {
	curl -s -o "$T/post.json" -w '%{http_code}' -H "Authorization: Bearer $COURT" \
		-H 'Content-Type: text/csv' --data-binary "op,record_id,subject,type,date,source,ref
,$3,$2,court.judgment_default,2025-12-01,court,(2025) N $3" "$1/v1/records"
}
# until_deny BASE SUBJECT: polls BASE's check of SUBJECT until deny (10 s
# at most); prints the milliseconds it took
until_deny() {
	local t0 deadline=$((SECONDS + 10))
	t0=$(now_ms)
	while [ "$(decision "$1" "$2")" != deny ]; do
		[ "$SECONDS" -gt "$deadline" ] && { echo never; return; }
	done
	echo $(($(now_ms) - t0))
}

told=$(metric "$NB" socred_ledger_commits_told_total)
eq "$(post_listing "$A" "$P" n1)" 200 "record posted to node a"
ms=$(until_deny "$NB" "$P")
[ "$ms" != never ] && ok || bad "node b never denied $P after node a filed the record"
echo "propagation: node b denied $P $ms ms after node a acknowledged the record"
[ "$(metric "$NB" socred_ledger_commits_told_total)" -gt "$told" ] && ok ||
	bad "node b was not told of node a's commit"
eq "$(decision "$A" "$P")" deny "node a denies too"

# PostgreSQL restarted under the nodes, on the same port
# the loop has answered enough checks in the steady phase first
deadline=$((SECONDS + 60))
until [ "$(grep -c '^steady' "$T/answers")" -gt 5 ]; do
	[ "$SECONDS" -gt "$deadline" ] && break
	sleep 0.1
done
set_phase restart
pg_run "$PG_BIN/pg_ctl" -D "$PG_DIR/main/data" -m fast -w -t 60 stop > /dev/null
pg_run "$PG_BIN/pg_ctl" -D "$PG_DIR/main/data" -l "$PG_DIR/main/log" -w -t 60 start > /dev/null ||
	bad "PostgreSQL did not start again"
deadline=$((SECONDS + 30))
until [ "$(metric "$NB" socred_ledger_listening)" = 1 ] && [ "$(metric "$A" socred_ledger_listening)" = 1 ]; do
	[ "$SECONDS" -gt "$deadline" ] && { bad "the nodes did not listen again"; break; }
	sleep 0.1
done
[ "$(metric "$NB" socred_ledger_listen_lost_total)" -ge 1 ] && ok || bad "node b did not see its connection lost"
# a connection lost in a node's pool fails one request, then is replaced
deadline=$((SECONDS + 30))
until [ "$(post_listing "$NB" "$R" n2)" = 200 ]; do
	[ "$SECONDS" -gt "$deadline" ] && { bad "node b did not file after the restart: $(cat "$T/post.json")"; break; }
done
set_phase after
ms=$(until_deny "$A" "$R")
[ "$ms" != never ] && ok || bad "node a never denied $R after node b filed the record"
echo "propagation after the restart: node a denied $R $ms ms after node b acknowledged"
touch "$T/stop"
wait "$LOOP"
n=$(grep -c '^steady' "$T/answers")
[ "$n" -gt 5 ] && ok || bad "only $n checks answered before the restart"
n=$(grep -c '^after' "$T/answers")
[ "$n" -gt 0 ] && ok || bad "no check answered after the restart"
# 200 while the ledger is up; while it restarts, 200 or a server error
# that says so (a key is never refused for it)
eq "$(grep -v '^steady 200$\|^after 200$\|^restart \(200\|500\|503\)$' "$T/answers" | sort | uniq -c | tr -s ' \n' ' ')" "" \
	"answers other than 200 outside the restart, or 4xx within it"
stop_all
expect_rc 0 "$SOCRED" audit verify
cat "$T/out"
finish
