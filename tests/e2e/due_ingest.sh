# Due process at the door: the subject's consent acts over HTTP on one day
# (the last one filed is in force, as the API answered); `expire`, which
# never removes a record whose retention has not ended at the real date; the
# generator, which files nothing the ingest would refuse.
. "$(dirname "$0")/lib.bash"

P=360426199101010071
"$SOCRED" init > /dev/null
cat > seed.csv <<CSV
op,record_id,subject,type,date,amount,source,ref,name
consent,,$P,public,2020-01-01,,,,
,c1,$P,traffic.violation,2025-11-01,,traffic,,
CSV
expect_rc 0 "$SOCRED" ingest seed.csv
SUBJ=$("$SOCRED" keys add --role subject --subject "$P" 2> /dev/null)

SPID=
stop() { [ -n "$SPID" ] && kill -TERM "$SPID" && wait "$SPID"; SPID=; }
trap 'stop; rm -rf "$T"' EXIT
serve_start serve --today 2025-12-31 --threads 2
req() { # req STATUS KEY METHOD PATH [JSON]
	local w=$1 key=$2 m=$3 p=$4 body=${5:-}
	local auth=(); [ -n "$key" ] && auth=(-H "Authorization: Bearer $key")
	local data=(); [ -n "$body" ] && data=(-H 'Content-Type: application/json' --data-binary "$body")
	local got; got=$(curl -s -o resp -w '%{http_code}' "${auth[@]}" -X "$m" "${data[@]}" "$B$p")
	if [ "$got" = "$w" ]; then ok; else bad "$m $p: $got, want $w"; head -c 400 resp; echo; fi
}
consent() { # consent true|false: the subject's act today, and its answer
	req 200 "$SUBJ" POST "/v1/subjects/$P/consent" "{\"scorecard\":\"public\",\"granted\":$1}"
	has resp "\"granted\":$1,\"from\":\"2025-12-31\""
}
status() { # status WANT: the report's status for the public scorecard
	req 200 "$SUBJ" GET "/v1/subjects/$P/report"
	has resp "\"scorecard\":\"public\",\"status\":\"$1\""
}
# a provider's batch over HTTP: dated after the server's today, or a
# mistyped type, refused with the reason
COURT=$("$SOCRED" keys add --role provider --source court 2> /dev/null)
printf 'op,record_id,subject,type,date,source,ref\n,h1,%s,court.judgment_default,2026-01-05,court,\n,h2,%s,court.judgement_default,2025-12-01,court,\n,h3,%s,court.judgment_default,1991-01-01,court,\n' \
	"$P" "$P" "$P" > batch.csv
eq "$(curl -s -o resp -w '%{http_code}' -H "Authorization: Bearer $COURT" -H 'Content-Type: text/csv' \
	--data-binary @batch.csv "$B/v1/records")" 200 "a provider's batch"
has resp '"accepted":1,"duplicates":0,"rejected":2'
has resp '"field":"date","message":"date 2026-01-05 is after today (2025-12-31): nothing is filed before it happens"'
has resp "\"field\":\"type\",\"message\":\"unknown record type 'court.judgement_default': not in the rulebook's catalogue; did you mean 'court.judgment_default'?\""
# withdraw, consent, withdraw on one day: withdrawn, as the last answer said
consent false
status no_consent
consent true
status scored
consent false
status no_consent
consent true
status scored
consent true
status scored
stop
eq "$(sqlite3 socred.db "SELECT group_concat(granted, '') FROM (SELECT granted FROM consents ORDER BY seq)")" \
	"10101" "each act kept in filing order, a repeat of the last not"

# expire: a future --at is refused, whatever --dry-run says
cat > rb.yaml <<'YAML'
rulebook: ret
version: "1"
id_schemes: [any]
retention_days: 100
sources: [{name: court, may_file: ["court.*"]}]
scorecards:
  - {name: s, applies_to: [person], consent: not_required, base: 0, min: -1000, max: 1000,
     grades: [{grade: A, min: -1000}],
     rules: [{type: court.x, points: -10, lapse_days: 10, basis: b}]}
YAML
# a rulebook without a catalogue still loads, with a warning
expect_rc 0 "$SOCRED" rulebook check rb.yaml
has err "rb.yaml declares no catalogue of record types ('types'): it accepts only the 1 types"
expect_rc 0 "$SOCRED" rulebook check "$SRC/rulebooks/default.yaml"
hasnt err "warning"
rm -f socred.db*
"$SOCRED" init --rulebook rb.yaml > /dev/null
TODAY=$(date +%F)
RECENT=$(date -d "-50 days" +%F)
cat > recs.csv <<CSV
op,record_id,subject,type,date,source,kind
,old,p1,court.x,2020-01-01,court,person
,recent,p1,court.x,$RECENT,court,person
CSV
expect_rc 0 "$SOCRED" ingest recs.csv
FUTURE=$(date -d "+1 year" +%F)
expect_rc 2 "$SOCRED" expire --at "$FUTURE"
has err "expire: --at $FUTURE is after today ($TODAY): a record is removed only once its retention has ended"
expect_rc 2 "$SOCRED" expire --at "$FUTURE" --dry-run
eq "$(sqlite3 socred.db "SELECT count(*) FROM records")" "2" "nothing removed"
# --dry-run: what would go, and nothing goes
expect_rc 0 "$SOCRED" expire --dry-run
has out "would expire 1 of 2 records"
expect_rc 0 "$SOCRED" expire --dry-run --json
has out '"dry_run":true'
has out '"records":2,"expire":1'
has out '"record":"old","subject":"p1","type":"court.x","date":"2020-01-01","ended":"2020-01-11"'
hasnt out '"record":"recent"'
eq "$(sqlite3 socred.db "SELECT count(*) FROM records")" "2" "a dry run removes nothing"
expect_rc 0 "$SOCRED" expire --json
has out '"dry_run":false'
has out '"record":"old"'
eq "$(sqlite3 socred.db "SELECT group_concat(record_id) FROM records")" "recent" "only the old record went"

# the generator files nothing before a person's birth nor after today
rm -f socred.db*
"$SOCRED" init > /dev/null
"$SOCRED" generate --people 300 --orgs 30 --from 1950-01-01 --to 2025-12-31 > town.csv 2> /dev/null
expect_rc 0 "$SOCRED" ingest town.csv
has out "rejected 0, warnings 0"
expect_rc 2 "$SOCRED" generate --people 3 --to "$FUTURE"
has err "generate: --to $FUTURE is after today"
finish
