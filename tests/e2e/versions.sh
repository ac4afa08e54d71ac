# Rulebook versions: a new version takes effect on its date and never
# before; evaluations at a date use the version in force then; publishing
# in the past is refused; over HTTP too.
. "$(dirname "$0")/lib.bash"

P=360426199101010071
"$SOCRED" init > /dev/null
printf 'op,record_id,subject,type,date,source\nconsent,,%s,public,2020-01-01,\n,t1,%s,traffic.violation,2026-06-01,traffic\n' $P $P > r.csv
"$SOCRED" ingest r.csv > /dev/null
sed 's/{type: traffic.violation, points: -5,/{type: traffic.violation, points: -7,/; s/^version: "2026.1"/version: "2027.1"/' \
	"$SRC/rulebooks/default.yaml" > v2.yaml
grep -q 'points: -7' v2.yaml && ok || bad "v2 not made"
FUTURE=$(date -d "+30 days" +%F)
AFTER=$(date -d "+31 days" +%F)
BEFORE=$(date -d "+29 days" +%F)
expect_rc 2 "$SOCRED" rulebook publish v2.yaml --effective 2020-01-01
has err "is in the past: a rulebook never changes what already happened"
expect_rc 2 "$SOCRED" rulebook publish v2.yaml
expect_rc 0 "$SOCRED" rulebook publish v2.yaml --effective "$FUTURE"
has out "published rulebook default version 2027.1, in force from $FUTURE"
expect_rc 0 "$SOCRED" rulebook list
has out "default	2026.1	always"
has out "default	2027.1	$FUTURE"
expect_rc 0 "$SOCRED" score $P --at "$BEFORE" --json
has out '"score":995'
expect_rc 0 "$SOCRED" score $P --at "$FUTURE" --json
has out '"score":993'
expect_rc 0 "$SOCRED" rulebook show --at "$AFTER"
has out "rulebook default version 2027.1"
expect_rc 0 "$SOCRED" rulebook show
has out "rulebook default version 2026.1"
sed -i 's/traffic.violation, points: -7/traffic.violation, points: -7, colour: red/' v2.yaml
expect_rc 1 "$SOCRED" rulebook publish v2.yaml --effective "$FUTURE"
has err "unknown key 'colour' in rule"

# over HTTP: the server applies the version in force on its day
ADMIN=$("$SOCRED" keys add --role admin 2> /dev/null)
ENF=$("$SOCRED" keys add --role enforcer --actions air_travel 2> /dev/null)
serve() { serve_start serve --today "$1"; }
serve "$BEFORE"
curl -s "$B/v1/rulebook" > resp
has resp '"version":"2026.1"'
curl -s "$B/v1/rulebooks" > resp
has resp '"in_force":"2026.1"'
has resp "\"version\":\"2027.1\",\"effective\":\"$FUTURE\""
printf 'rulebook: x\nversion: "3"\nid_schemes: [any]\nsources: [{name: court, may_file: ["court.*"], colour: red}]\n' > bad.yaml
code=$(curl -s -o resp -w '%{http_code}' -H "Authorization: Bearer $ADMIN" --data-binary @bad.yaml "$B/v1/rulebooks?effective=$AFTER")
eq "$code" "400" "a bad rulebook is refused"
has resp '"line":4,"column":'
has resp "unknown key 'colour' in source"
code=$(curl -s -o resp -w '%{http_code}' -H "Authorization: Bearer $ADMIN" --data-binary @"$SRC/rulebooks/default.yaml" "$B/v1/rulebooks?effective=2020-01-01")
eq "$code" "400" "publishing in the past is refused"
sed 's/^version: "2026.1"/version: "2027.2"/' "$SRC/rulebooks/default.yaml" > v3.yaml
code=$(curl -s -o resp -w '%{http_code}' -H "Authorization: Bearer $ADMIN" --data-binary @v3.yaml "$B/v1/rulebooks?effective=$AFTER")
eq "$code" "201" "published over HTTP"
has resp "{\"rulebook\":\"default\",\"version\":\"2027.2\",\"effective\":\"$AFTER\"}"
kill -TERM $SPID; wait $SPID
serve "$AFTER"
curl -s "$B/v1/rulebook" > resp
has resp '"version":"2027.2"'
kill -TERM $SPID; wait $SPID
eq "$(audit_count '$5 == "rulebook publish" || $5 ~ /^cli rulebook publish by os:/')" "2" "publications audited"
finish
