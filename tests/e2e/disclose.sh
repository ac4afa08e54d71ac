# Public lists show persons masked, unless the list says disclose: full.
. "$(dirname "$0")/lib.bash"

cat > rb.yaml <<'YAML'
rulebook: disc
version: "1"
id_schemes: [any]
sources: [{name: court, label: "People's courts", may_file: ["court.*"]}]
lists:
  - {name: masked, kind: black, applies_to: [person], entered_by: [court.a], public: true, basis: "b1"}
  - {name: full, kind: black, applies_to: [person], entered_by: [court.b], public: true, disclose: full, basis: "b2"}
  - {name: private, kind: black, applies_to: [person], entered_by: [court.c], basis: "b3"}
measures: [{action: fly, deny_if_listed: [masked, full, private], issued_by: x, basis: b}]
YAML
"$SOCRED" init --rulebook rb.yaml > /dev/null
cat > r.csv <<'CSV'
op,record_id,subject,type,date,source,ref,kind,name
register,,person-0001,,2020-01-01,,,person,Li Lei
register,,person-0002,,2020-01-01,,,person,Li Na
register,,person-0003,,2020-01-01,,,person,Li Ming
,a,person-0001,court.a,2025-01-01,court,A1,person,
,b,person-0002,court.b,2025-01-01,court,B1,person,
,c,person-0003,court.c,2025-01-01,court,C1,person,
CSV
expect_rc 0 "$SOCRED" ingest r.csv
serve_start serve --today 2025-06-01
curl -s "$B/v1/search?q=Li%20Lei" > resp
has resp '"list":"masked","label":"masked","subject":"·","name":"L·"'
hasnt resp '"name":"Li Lei"'
hasnt resp 'person-0001'
curl -s "$B/v1/search?q=Li%20Na" > resp
has resp '"list":"full","label":"full","subject":"person-0002","name":"Li Na"'
curl -s "$B/v1/search?q=person-0003" > resp
hasnt resp '"list":"private"'
hasnt resp 'Li Ming'
curl -s -o resp -w '%{http_code}' "$B/v1/lists/private?q=Li" > code
eq "$(cat code)" "404" "a list that is not public cannot be searched"
kill -TERM $SPID
wait $SPID
finish
