# The decision snapshot: checks answered from it are byte for byte the
# answers the ledger gives, and stay so while records arrive from another
# process or through the server; a snapshot for another day, or a damaged
# one, is never used, and the server builds its own.
. "$(dirname "$0")/lib.bash"

ACTIONS="air_travel rail_high_speed golf company_officer government_subsidy invoice_fast_track customs_simplified_clearance heating_discount deposit_free_bike admin_green_channel"

"$SOCRED" init > /dev/null
"$SOCRED" generate --people 3000 --orgs 150 --seed 11 > town.csv 2> /dev/null
"$SOCRED" ingest town.csv > /dev/null 2>&1
"$SOCRED" run --at 2025-12-31 > run.out
has run.out "decision snapshot for checks: $SOCRED_DB.snap"
[ -s "$SOCRED_DB.snap" ] && ok || bad "run left no snapshot"
ENF=$("$SOCRED" keys add --role enforcer --actions "$(echo $ACTIONS | tr ' ' ,)" 2> /dev/null)
PROV=$("$SOCRED" keys add --role provider --source court 2> /dev/null)

# start NAME ARGS...: a server; its base URL in $NAME. No limit on requests
# without a key: /metrics is polled ten times a second while a snapshot is
# built (the limit: ratelimit.sh)
start() {
	local name=$1; shift
	serve_start "$name" --threads 2 --rate 0 "$@"
	echo "$SPID" > "$name.pid"
	printf -v "$name" '%s' "$B"
}
stop_all() { for p in *.pid; do kill -TERM "$(cat "$p")" 2> /dev/null; wait "$(cat "$p")" 2> /dev/null; done; }
metric() { curl -s "$1/metrics" | sed -n "s/^$2 //p"; }
# answers BASE FILE: every subject of subjects.txt for every action, one line each
answers() {
	local a urls
	for a in $ACTIONS; do
		urls=$(sed "s|.*|$1/v1/check?subject=&\&action=$a|" subjects.txt)
		# shellcheck disable=SC2086
		curl -s -H "Authorization: Bearer $ENF" -w '\n' $urls
	done > "$2"
}

start SNAP --today 2025-12-31
start LEDGER --today 2025-12-31 --no-snapshot

# every listed subject, a spread of others, one with no file, one invalid id
"$SOCRED" lists --at 2025-12-31 | awk -F'\t' 'NR > 1 {print $2}' | sort -u > listed.txt
cut -d, -f3 town.csv | sed 1d | sort -u | awk 'NR % 23 == 0' > others.txt
{ cat listed.txt others.txt; echo 11010519491231002X; echo not-an-id; } > subjects.txt
[ "$(wc -l < listed.txt)" -gt 20 ] && ok || bad "too few listed subjects to compare"
answers "$SNAP" snap.txt
answers "$LEDGER" ledger.txt
N=$(wc -l < snap.txt)
[ "$N" -gt 1000 ] && ok || bad "only $N answers"
if cmp -s snap.txt ledger.txt; then ok; else bad "snapshot and ledger answers differ"; diff snap.txt ledger.txt | head -6; fi
has snap.txt '"decision":"deny"'
has snap.txt '"decision":"grant"'
has snap.txt '"decision":"standard"'
has snap.txt '"field":"subject"'
eq "$(metric "$SNAP" 'socred_checks_answered_total{from="snapshot"}')" "$N" "all from the snapshot"
eq "$(metric "$SNAP" 'socred_checks_answered_total{from="ledger"}')" "0" "none from the ledger"
eq "$(metric "$LEDGER" 'socred_checks_answered_total{from="ledger"}')" "$N" "--no-snapshot reads the ledger"
# the audit entries name the same records either way
eq "$(audit_count '$5 == "air_travel" && $7 ~ /^deny /')" \
   "$((2 * $(grep -c '"decision":"deny"' <(head -n "$(wc -l < subjects.txt)" snap.txt))))" "deny audits name records"

# a record filed by another process counts at the next check
P=$(comm -23 others.txt listed.txt | grep -v '^9' | head -1)
check() { curl -s -H "Authorization: Bearer $ENF" "$1/v1/check?subject=$P&action=air_travel"; }
check "$SNAP" > before.json
has before.json '"decision":"allow"'
printf 'op,record_id,subject,type,date,amount,source,ref\n,late-1,%s,court.judgment_default,2025-11-01,,court,(2025) late\n' "$P" > late.csv
"$SOCRED" ingest late.csv > /dev/null 2>&1
check "$SNAP" > after.json
check "$LEDGER" > after_ledger.json
has after.json '"decision":"deny"'
if cmp -s after.json after_ledger.json; then ok; else bad "after an ingest: snapshot server and ledger differ"; fi
eq "$(metric "$SNAP" 'socred_checks_answered_total{from="ledger"}')" "1" "the changed subject read from the ledger"
eq "$(metric "$SNAP" socred_snapshot_changed)" "1" "one subject changed"

# a record revoked through the server counts at once as well
curl -s -o resp -H "Authorization: Bearer $PROV" -H 'Content-Type: text/csv' --data-binary \
	"$(printf 'op,record_id,subject,type,date,source,ref\nrevoke,late-1,,,2025-12-20,,\n')" "$SNAP/v1/records"
has resp '"accepted":1'
check "$SNAP" > revoked.json
has revoked.json '"decision":"allow"'
stop_all
rm -f ./*.pid

# another day: the snapshot of 2025-12-31 is not used; a damaged file is
# not either; the server builds one for its day and then answers from it
printf 'garbage' > "$SOCRED_DB.snap"
start DAY --today 2026-03-01
start DAYL --today 2026-03-01 --no-snapshot
for i in $(seq 600); do
	curl -s "$DAY/metrics" | grep -q 'socred_snapshot_subjects{day="2026-03-01"}' && break
	sleep 0.1
done
curl -s "$DAY/metrics" > day.metrics
has day.metrics 'socred_snapshot_subjects{day="2026-03-01"} 3150'
has day.metrics 'socred_snapshot_builds_total{result="ok"} 1'
answers "$DAY" day.txt
answers "$DAYL" dayl.txt
if cmp -s day.txt dayl.txt; then ok; else bad "2026-03-01: snapshot and ledger answers differ"; diff day.txt dayl.txt | head -6; fi
eq "$(metric "$DAY" 'socred_checks_answered_total{from="snapshot"}')" "$(wc -l < day.txt)" "the new day's snapshot answers"
"$SOCRED" rulebook show > /dev/null # the ledger is still readable by others
stop_all
finish
