# A synchronous hot standby under two serve nodes. A primary and a standby
# on loopback (synchronous_commit = remote_apply), the nodes on a
# multi-host URI with target_session_attrs=read-write. Batches of records
# are posted through both nodes, each retried until acknowledged, while the
# primary is killed with SIGKILL at random points (FAILOVERS times, 10 by
# default): each time the standby is promoted and a new standby is made
# from it with pg_basebackup, on the dead primary's port. Then: every
# acknowledged record is on the last primary, the ledger gives the same
# `results` as a SQLite ledger fed the same batches once, every audit chain
# verifies, and both nodes answered checks before, between and after the
# failovers. How many checks failed during failovers is printed.
. "$(dirname "$0")/lib.bash"

PIDS=()
stop_all() { local p; for p in "${PIDS[@]}"; do kill -TERM "$p" 2> /dev/null && wait "$p"; done; PIDS=(); }
trap 'stop_all; rm -rf "$T"' EXIT
. "$SRC/tests/pg/pg.bash"

FAILOVERS=${FAILOVERS:-10}
TODAY=2025-12-31
pg_cluster_start g0 || { bad "PostgreSQL did not start"; finish; exit 1; }
for set in "synchronous_standby_names = '*'" "synchronous_commit = 'remote_apply'" \
	   "wal_keep_size = '256MB'"; do
	pg_psql g0 "ALTER SYSTEM SET $set" || bad "cannot set $set"
done
pg_psql g0 "SELECT pg_reload_conf()" > /dev/null

# standby NAME FROM PORT: a streaming standby of FROM on PORT (the settings
# of FROM, synchronous ones included, come with the base backup)
standby() {
	local dir=$PG_DIR/$1
	pg_cluster_dir "$1" || return 1
	pg_run "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$(cat "$PG_DIR/$2/port")" -U postgres \
		-D "$dir/data" -R -X stream -c fast > "$PG_DIR/$1.basebackup" 2>&1 ||
		{ tail -5 "$PG_DIR/$1.basebackup"; return 1; }
	pg_conf "$1" "$3" || return 1
	pg_run "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start > /dev/null || return 1
	echo "$3" > "$dir/port"
}
# streaming NAME: polls until NAME's primary has a synchronous standby
streaming() {
	local deadline=$((SECONDS + 60))
	until [ "$(pg_psql "$1" "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'" 2> /dev/null)" = 1 ]; do
		[ "$SECONDS" -gt "$deadline" ] && return 1
		sleep 0.05
	done
}
P0=$(cat "$PG_DIR/g0/port")
# a free loopback port for the standby
P1=$P0
while [ "$P1" = "$P0" ] || (exec 3<> "/dev/tcp/127.0.0.1/$P1") 2> /dev/null; do
	P1=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
done
standby g1 g0 "$P1" || { bad "no standby"; finish; exit 1; }
streaming g0 || bad "the standby is not synchronous"
URI="postgresql://postgres@127.0.0.1:$P0,127.0.0.1:$P1/socred?target_session_attrs=read-write&connect_timeout=2"
export SOCRED_DB=$URI

"$SOCRED" init > /dev/null
# subjects with valid ids, from a small generated city
"$SOCRED" generate --people 400 --orgs 0 | awk -F, 'NR > 1 && $3 != "" {print $3}' | sort -u > people
COURT=$("$SOCRED" keys add --role provider --source court 2> /dev/null)
ENF=$("$SOCRED" keys add --role enforcer --actions air_travel 2> /dev/null)
[ -n "$COURT" ] && [ -n "$ENF" ] && ok || bad "keys add failed"
# batch K: b$K.csv, 10 records for 10 subjects (judgment defaults and
# breach-of-contract judgments)
batch() {
	{
		echo "op,record_id,subject,type,date,source,ref"
		sed -n "$(( ($1 - 1) * 10 % 390 + 1 )),+9p" people | awk -v k="$1" -F, '{
			t = (NR % 2) ? "court.judgment_default" : "contract.breach_judgment"
			printf ",f%d-%d,%s,%s,2025-%02d-%02d,court,F %d\n", k, NR, $1, t, 1 + k % 12, 1 + NR, k }'
	} > "b$1.csv"
}

node() {
	mkdir -p "$T/$1"
	SOCRED_STATE_DIR=$T/$1 serve_start "$T/$1/serve" --today "$TODAY" --threads 2 --rate 0
	PIDS+=("$SPID")
}
node a
A=$B
node b
NBASE=$B

# posters: node a takes the odd batches, node b the even ones, until the
# failovers are over; each batch is retried until acknowledged (a retry
# files duplicates: nothing new)
poster() { # poster BASE FIRST
	local k code
	for ((k = $2; ; k += 2)); do
		[ -e "$T/enough" ] && break
		batch "$k"
		until code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $COURT" \
				-H 'Content-Type: text/csv' --data-binary "@b$k.csv" "$1/v1/records") &&
			[ "$code" = 200 ]; do
			echo "$k $code" >> "$T/retries"
			sleep 0.2
		done
		echo "$k" >> "$T/acked"
		sleep 0.1
	done
}
: > "$T/acked"
: > "$T/retries"
: > "$T/answers"
poster "$A" 1 &
PA=$!
poster "$NBASE" 2 &
PB=$!
# checkers: both nodes, all along, with the failover count at each answer
echo 0 > "$T/gen"
(
	s=$(tail -1 people) # in no batch: its answer stays the snapshot's
	while [ ! -e "$T/stop" ]; do
		for n in "$A" "$NBASE"; do
			code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ENF" \
				"$n/v1/check?subject=$s&action=air_travel")
			echo "$n $(cat "$T/gen") $code" >> "$T/answers"
		done
		sleep 0.05
	done
) &
CHK=$!

say() { [ -n "${PG_FAILOVER_TRACE:-}" ] && echo "$SECONDS s: $*"; }
say "posting"
cur=g0
stby=g1
for i in $(seq 1 "$FAILOVERS"); do
	# a random point: 0.2 to 1.5 s into this round of posts
	sleep "$(awk -v r="$RANDOM" 'BEGIN {printf "%.2f", 0.2 + (r % 131) / 100}')"
	port=$(cat "$PG_DIR/$cur/port")
	say "kill $cur"
	pg_cluster_kill9 "$cur" || bad "kill $cur"
	say "promote $stby"
	pg_promote "$stby" || { bad "promote $stby"; break; }
	say "standby"
	echo "$i" > "$T/gen"
	new=g$((i + 1))
	standby "$new" "$stby" "$port" || { bad "new standby $new"; break; }
	say "streaming?"
	streaming "$stby" || bad "$new is not a synchronous standby of $stby"
	say "streaming"
	rm -rf "${PG_DIR:?}/$cur"
	cur=$stby
	stby=$new
done
echo "$((FAILOVERS + 1))" > "$T/gen"
touch "$T/enough"
wait "$PA" "$PB"
# every batch made was posted until acknowledged
BATCHES=$(ls b*.csv | sed 's/^b\([0-9]*\)\.csv$/\1/' | sort -n)
NB=$(echo "$BATCHES" | wc -l)
say "posted"
# after the last failover, both nodes answer again
for n in "$A" "$NBASE"; do
	deadline=$((SECONDS + 30))
	until [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ENF" \
		"$n/v1/check?subject=$(head -1 people)&action=air_travel")" = 200 ]; do
		[ "$SECONDS" -gt "$deadline" ] && { bad "$n does not answer after the failovers"; break; }
		sleep 0.1
	done
done
touch "$T/stop"
wait "$CHK"
eq "$(sort -n "$T/acked" | uniq)" "$BATCHES" "every batch acknowledged"
# every acknowledged record on the last primary, once
eq "$(pg_psql "$cur" "SELECT count(*), count(DISTINCT record_id) FROM records WHERE record_id LIKE 'f%'")" \
	"$((NB * 10))|$((NB * 10))" "acknowledged records on the last primary"
# answered 200 in every round (before, between and after the failovers)
for n in "$A" "$NBASE"; do
	for g in $(seq 0 "$((FAILOVERS + 1))"); do
		grep -q "^$n $g 200$" "$T/answers" || bad "$n answered no check in round $g"
	done
done
echo "checks: $(wc -l < "$T/answers") answered, $(grep -vc ' 200$' "$T/answers") not 200 ($(awk '{print $3}' "$T/answers" | sort | uniq -c | tr -s ' \n' ' ')); posts retried: $(wc -l < "$T/retries")"
say "stopping"
stop_all
say "verify"
expect_rc 0 "$SOCRED" audit verify
cat "$T/out"

# the same batches once into SQLite: the same results
mkdir -p "$T/state"
export SOCRED_STATE_DIR=$T/state
"$SOCRED" run --at "$TODAY" > /dev/null || bad "run on PostgreSQL"
"$SOCRED" results > pg.results
SOCRED_DB=$T/lite.db "$SOCRED" init > /dev/null
for k in $BATCHES; do SOCRED_DB=$T/lite.db "$SOCRED" ingest "b$k.csv" > /dev/null || bad "ingest b$k into SQLite"; done
SOCRED_DB=$T/lite.db "$SOCRED" run --at "$TODAY" > /dev/null
SOCRED_DB=$T/lite.db "$SOCRED" results > lite.results
# the same content; subjects in the order they were first filed, which
# the two posters interleave
sort -o pg.results pg.results
sort -o lite.results lite.results
if cmp -s pg.results lite.results; then ok; else
	bad "results differ ($(wc -l < pg.results) lines on PostgreSQL, $(wc -l < lite.results) on SQLite):"
	diff pg.results lite.results | head -5
	[ -n "${KEEP:-}" ] && cp pg.results lite.results b*.csv "$KEEP/"
fi
finish
