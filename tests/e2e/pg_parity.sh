# A PostgreSQL ledger answers as a SQLite ledger fed the same inputs, byte
# for byte: the generated city ingested into both, a run, then `results`,
# `lists --json`, `explain --json`, `score` and a check of every action of
# the rulebook for a sample of subjects, a dispute and repair flow through
# the server, records posted over HTTP, and `audit verify`. Each
# difference fails the test with the first lines of its diff.
. "$(dirname "$0")/lib.bash"

SPID=
stop() { [ -n "$SPID" ] && kill -TERM "$SPID" 2> /dev/null && wait "$SPID"; SPID=; }
trap 'stop; rm -rf "$T"' EXIT
. "$SRC/tests/pg/pg.bash"

pg_cluster_start main || { bad "PostgreSQL did not start"; finish; exit 1; }
export SOCRED_STATE_DIR=$T/state
mkdir -p "$SOCRED_STATE_DIR" "$T/lite" "$T/pg"
LITE=$T/lite.db
PGDB=$PG_URI
unset SOCRED_DB
AT=2025-12-31

# what differs between two equal ledgers' output: where each ledger and its
# local files are, wall-clock times and timings
norm() {
	sed -e "s|$PGDB|LEDGER|g; s|$LITE|LEDGER|g; s|$SOCRED_STATE_DIR/pg-[0-9a-f]*|LEDGER|g" \
	    -e 's/[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:.]*Z/TIME/g' \
	    -e 's/in [0-9.]* s ([0-9]* [a-z]*\/s[^)]*)/in T s/; s/; peak memory [0-9.]* MiB//'
}

# on NAME CMD...: CMD on both ledgers, each one's exit code, output and
# error appended (normalised) to lite/NAME and pg/NAME
on() {
	local name=$1 side db rc
	shift
	for side in lite pg; do
		[ "$side" = lite ] && db=$LITE || db=$PGDB
		"$SOCRED" --db "$db" "$@" > "$T/o" 2> "$T/e"
		rc=$?
		{ echo "== $* (exit $rc)"; norm < "$T/o"; norm < "$T/e" | sed 's/^/stderr: /'; } >> "$T/$side/$name"
	done
}

# same NAME: lite/NAME and pg/NAME are equal, else fails with their diff
same() {
	if cmp -s "$T/lite/$1" "$T/pg/$1"; then
		ok
	else
		[ -n "${KEEP:-}" ] && cp "$T/lite/$1" "$KEEP/$1.lite" && cp "$T/pg/$1" "$KEEP/$1.pg"
		bad "$1 differs on PostgreSQL ($(diff "$T/lite/$1" "$T/pg/$1" | grep -c '^[<>]') lines):"
		diff "$T/lite/$1" "$T/pg/$1" | head -${DIFF_LINES:-16} | cut -c1-300 | sed 's/^/  | /'
	fi
}

"$SOCRED" generate --people 3000 --orgs 200 > city.csv
on init init
same init
on ingest ingest city.csv --rejects "$T/rejects.csv"
same ingest
on run run --at "$AT" --json
for side in lite pg; do run_strip < "$T/$side/run" > "$T/$side/run_json"; done
same run_json
on results results
same results
on lists lists --at "$AT" --json
same lists
on lists_text lists --at "$AT"
same lists_text

# the sample: every 400th subject of the results, and the first few on
# the lists (their list entries are what checks deny on); under memcheck,
# where every socred takes about a second to start, every 1600th and two
EVERY=400 LISTED=8 WANT=12
[ "${SOCRED_VALGRIND:-0}" = 1 ] && EVERY=1600 LISTED=2 WANT=3
awk -F'\t' '$1 == "card" {print $2}' "$T/lite/results" | uniq | awk "NR % $EVERY == 1" > sample
awk -F'\t' '$1 == "list" {print $2}' "$T/lite/results" | awk '!seen[$0]++' | head -$LISTED >> sample
sort -u -o sample sample
n=$(wc -l < sample)
[ "$n" -ge $WANT ] && ok || bad "sample of $n subjects, want $WANT or more"
ACTIONS=$("$SOCRED" --db "$LITE" rulebook show --json |
	  python3 -c 'import json,sys; print(" ".join(sorted({m["action"] for m in json.load(sys.stdin)["measures"]})))')
while read -r s; do
	on explain explain "$s" --at "$AT" --json
	on score score "$s" --at "$AT"
	on score score "$s" --at "$AT" --json
	for a in $ACTIONS; do on check check "$s" "$a" --at "$AT" --json; done
done < sample
same explain
same score
same check

# due process through the server on each ledger: a dispute decided, a
# repair approved, a statement, records posted; every answer compared
P=$(awk -F'\t' '$1 == "list" && $3 == "judgment_defaulters" {print $2; exit}' "$T/lite/results")
R=$(awk -F'\t' -v p="$P" '$1 == "list" && $2 == p && $3 == "judgment_defaulters" {print $6; exit}' "$T/lite/results")
Q=$(awk -F'\t' -v p="$P" '$1 == "list" && $3 == "judgment_defaulters" && $2 != p {print $2; exit}' "$T/lite/results")
RQ=$(awk -F'\t' -v q="$Q" '$1 == "list" && $2 == q && $3 == "judgment_defaulters" {print $6; exit}' "$T/lite/results")
[ -n "$R" ] && [ -n "$RQ" ] && ok || bad "no two judgment defaulters in the city"
NEW=$(awk -F'\t' '$1 == "card" {print $2}' "$T/lite/results" | uniq | tail -1)
for side in lite pg; do
	[ "$side" = lite ] && export SOCRED_DB=$LITE || export SOCRED_DB=$PGDB
	SUBJ=$("$SOCRED" keys add --role subject --subject "$P" 2> /dev/null)
	SUBQ=$("$SOCRED" keys add --role subject --subject "$Q" 2> /dev/null)
	PROV=$("$SOCRED" keys add --role provider --source "${R%%-*}" 2> /dev/null)
	PROVQ=$("$SOCRED" keys add --role provider --source "${RQ%%-*}" 2> /dev/null)
	COURT=$("$SOCRED" keys add --role provider --source court 2> /dev/null)
	ENF=$("$SOCRED" keys add --role enforcer --actions air_travel,star_hotel 2> /dev/null)
	ADMIN=$("$SOCRED" keys add --role admin 2> /dev/null)
	[ -n "$ADMIN" ] && ok || bad "$side: keys add failed"
	serve_start "$T/$side/serve" --today "$AT" --threads 2 --rate 0
	req() { # req KEY METHOD PATH [BODY]
		local auth=() data=()
		[ -n "$1" ] && auth=(-H "Authorization: Bearer $1")
		[ -n "${4:-}" ] && data=(-H "Content-Type: ${TYPE:-application/json}" --data-binary "$4")
		# an inquiry's seq is its place in the chain of the node that
		# wrote it: one chain per server node on PostgreSQL, one chain on
		# SQLite, and names its node there (the entries and their order are
		# compared)
		{ echo "== $2 $3"; curl -s -w '\n%{http_code}\n' "${auth[@]}" -X "$2" "${data[@]}" "$B$3" |
			norm | sed 's/"seq":[0-9]*/"seq":N/g; s/,"node":[0-9]*//g'; } >> "$T/$side/http"
	}
	req "$ENF" GET "/v1/check?subject=$P&action=air_travel"
	req "$SUBJ" POST "/v1/subjects/$P/disputes" "{\"record\":\"$R\",\"reason\":\"not mine\"}"
	req "$SUBJ" POST "/v1/subjects/$P/disputes" "{\"record\":\"$R\",\"reason\":\"again\"}"
	req "$ADMIN" GET "/v1/disputes?open=1"
	req "$PROV" POST /v1/disputes/1/decision '{"outcome":"corrected","note":"identity mix-up"}'
	req "$ENF" GET "/v1/check?subject=$P&action=air_travel"
	req "$SUBQ" POST "/v1/subjects/$Q/statements" "{\"record\":\"$RQ\",\"text\":\"Paid since.\"}"
	req "$SUBQ" POST "/v1/subjects/$Q/repairs" "{\"record\":\"$RQ\",\"commitment\":\"I will pay in full.\"}"
	req "$ADMIN" GET "/v1/repairs?open=1"
	req "$PROVQ" POST /v1/repairs/1/decision '{"outcome":"approved"}'
	req "$ENF" GET "/v1/check?subject=$Q&action=air_travel"
	req "$SUBJ" GET "/v1/subjects/$P/report"
	req "$SUBQ" GET "/v1/subjects/$Q/report"
	TYPE=text/csv req "$COURT" POST /v1/records "op,record_id,subject,type,date,source,ref
,parity-1,$NEW,court.judgment_default,2025-12-01,court,(2025) P 1
,parity-1,$NEW,court.judgment_default,2025-12-01,court,(2025) P 1
,parity-2,$NEW,court.judgment_default,2025-12-01,court,(2025) P 2"
	req "$ENF" GET "/v1/check?subject=$NEW&action=air_travel"
	req "$ENF" GET "/v1/check?subject=$NEW&action=star_hotel"
	req "$ADMIN" GET /v1/stats
	req "" GET "/v1/lists/judgment_defaulters?q=$NEW"
	stop
done
unset SOCRED_DB
same http
for s in "$P" "$Q" "$NEW"; do
	on after explain "$s" --at "$AT" --json
	on after check "$s" air_travel --at "$AT"
done
same after
on audit audit verify
# a PostgreSQL ledger served by a node has two chains (the command line's
# and the node's): verify says how many
sed -i 's/ entries in [0-9]* chains$/ entries/' "$T/pg/audit"
same audit
on audit_list audit list --subject "$P"
# without seq (per node, see above) and time
for side in lite pg; do cut -f3- "$T/$side/audit_list" > "$T/$side/audit_rows"; done
same audit_rows
finish
