# Retention: records whose effects ended more than retention_days ago are
# removed (with their events), the rest stay; the count is logged; outside
# `expire` the ledger stays append-only.
. "$(dirname "$0")/lib.bash"

cat > rb.yaml <<'YAML'
rulebook: ret
version: "1"
id_schemes: [any]
retention_days: 100
types: [court.x, court.y, court.z, civic.forever]
sources: [{name: court, may_file: ["court.*"]}, {name: civil, may_file: ["civic.*"]}]
scorecards:
  - {name: s, applies_to: [person], consent: not_required, base: 0, min: -1000, max: 1000,
     grades: [{grade: A, min: -1000}],
     rules: [{type: court.x, points: -10, lapse_days: 10, basis: b},
             {type: civic.forever, points: 5, basis: b}]}
lists:
  - {name: l, kind: black, applies_to: [person], entered_by: [court.y], duration_days: 50, basis: b}
measures: [{action: fly, deny_if_listed: [l], issued_by: x, basis: b}]
YAML
"$SOCRED" init --rulebook rb.yaml > /dev/null
cat > recs.csv <<'CSV'
op,record_id,subject,type,date,source,kind
,old,p1,court.x,2020-01-01,court,person
,old_listed,p1,court.y,2020-01-01,court,person
,forever,p1,civic.forever,2020-01-01,civil,person
,recent,p1,court.x,2020-06-01,court,person
,rectified,p2,court.y,2020-01-01,court,person
rectify,rectified,,,2020-01-05,court,
,unused,p2,court.z,2020-01-01,court,person
CSV
expect_rc 0 "$SOCRED" ingest recs.csv
# cutoff = 2020-09-01 - 100 days = 2020-05-24: old ends 01-11, old_listed 02-20,
# rectified 01-05, unused 01-01: expired; recent ends 06-11: kept; forever: kept
expect_rc 0 "$SOCRED" expire --at 2020-09-01 --dry-run
has out "would expire 4 of 6 records: their effects ended before 2020-05-24 (retention 100 days)"
eq "$(sqlite3 socred.db "SELECT count(*) FROM records")" "6" "a dry run removes nothing"
expect_rc 0 "$SOCRED" expire --at 2020-09-01
has out "expired 4 of 6 records"
eq "$(sqlite3 socred.db "SELECT group_concat(record_id, ' ') FROM (SELECT record_id FROM records ORDER BY record_id)")" "forever recent" "what is kept"
eq "$(sqlite3 socred.db "SELECT count(*) FROM events")" "0" "the events of expired records go with them"
eq "$("$SOCRED" audit list | awk -F'\t' '$5 ~ /^cli expire by os:/ {print $7}')" "4 records whose effects ended before 2020-05-24" "expiry logged"
expect_rc 0 "$SOCRED" audit verify
# outside expire, deletion is still refused
sqlite3 socred.db "DELETE FROM records WHERE record_id = 'recent'" 2> del.err && bad "delete allowed" || ok
has del.err "records are append-only"
eq "$(sqlite3 socred.db "SELECT count(*) FROM meta WHERE key = 'expiring'")" "0" "no flag left behind"
expect_rc 0 "$SOCRED" expire --at 2020-09-01
has out "expired 0 of 2 records"

# A server answering from a decision snapshot sees a record filed after an
# expire removed the ledger's newest records, though the new rows take the
# removed rows' ids on SQLite (ids the snapshot's mark already covers)
printf 'op,record_id,subject,type,date,source,kind\n,late_x,p3,court.x,2020-07-01,court,person\n' > late.csv
expect_rc 0 "$SOCRED" ingest late.csv
ENF=$("$SOCRED" keys add --role enforcer --actions fly 2> /dev/null)
expect_rc 0 "$SOCRED" run --at 2020-09-01
trap 'kill -TERM "$SPID" 2> /dev/null; wait "$SPID" 2> /dev/null; rm -rf "$T"' EXIT
serve_start snap --today 2020-09-01
check() { curl -s --max-time 60 -H "Authorization: Bearer $ENF" "$B/v1/check?subject=$1&action=fly"; }
check p4 > before.json
has before.json '"decision":"allow"'
grep -q '^socred_checks_answered_total{from="snapshot"} 1$' <(curl -s "$B/metrics") && ok ||
	bad "the check before was not answered from the snapshot"
# cutoff 2020-09-23: recent (ends 06-11) and late_x (07-11) go, the two
# newest rows; two records filed after take their ids
expect_rc 0 "$SOCRED" expire --at 2021-01-01
has out "expired 2 of 3 records"
printf 'op,record_id,subject,type,date,source,kind\n,new_listed,p4,court.y,2020-08-25,court,person\n,new_x,p4,court.x,2020-08-26,court,person\n' > new.csv
expect_rc 0 "$SOCRED" ingest new.csv
# the server learns of a commit by the next check; a few more in case a
# slow machine has it see the commit late
for i in $(seq 100); do
	check p4 > after.json
	grep -q '"decision":"deny"' after.json && break
	sleep 0.1
done
has after.json '"decision":"deny"'
has after.json '"list":"l"'
kill -TERM "$SPID"
wait "$SPID" || bad "server exited $?"
SPID=
finish
