# A service offered on a score is a benefit, never a denial: replacing air
# travel's blacklist measure with "grant if grade at least A" must not turn
# every subject below A into a refusal. A benefit states its standard terms;
# its check (CLI and HTTP) answers grant or standard, exit 0; an action
# mixing a denial and a grant is refused; whatif counts every decision's
# transitions (deny->standard, allow->grant ...), not only denials.
. "$(dirname "$0")/lib.bash"

AT=2025-12-31
P1=110105198001010016 # on the defaulters' list, grade B
P2=110105199002020026 # consent, no records: grade A
P3=110105198503030033 # no consent
printf 'op,record_id,subject,type,date,source\nconsent,,%s,public,2020-01-01,\n,c1,%s,court.judgment_default,2025-06-01,court\nconsent,,%s,public,2020-01-01,\n,t1,%s,traffic.violation,2025-06-01,traffic\n' \
	$P1 $P1 $P2 $P3 > r.csv
OLD='{action: air_travel, label: "Buy a flight ticket", deny_if_listed: \[judgment_defaulters\],'
# the attack: the blacklist measure becomes a grade threshold
sed "s/$OLD/{action: air_travel, label: \"Buy a flight ticket\", grant_if_grade_at_least: A, scorecard: public,/" \
	"$SRC/rulebooks/default.yaml" > noterms.yaml
grep -q 'air_travel, label: "Buy a flight ticket", grant_if_grade_at_least' noterms.yaml && ok || bad "noterms not made"
expect_rc 1 "$SOCRED" rulebook check noterms.yaml
has err "noterms.yaml:"
has err "field 'measures[0].standard_terms': an incentive measure must state the standard_terms everyone gets without it"
# mixing a grant into the restriction
cp "$SRC/rulebooks/default.yaml" mixed.yaml
cat >> mixed.yaml <<'YAML'
  - {action: air_travel, grant_if_grade_at_least: A, scorecard: public, standard_terms: "a ticket at the published fare",
     issued_by: "x", basis: "y"}
YAML
expect_rc 1 "$SOCRED" rulebook check mixed.yaml
has err "action 'air_travel' mixes a restriction (deny_if_listed) with a benefit"
# the draft done right: a benefit with its standard terms
sed "s/$OLD/{action: air_travel, label: \"Buy a flight ticket\", grant_if_grade_at_least: A, scorecard: public, standard_terms: \"a ticket at the published fare\",/" \
	"$SRC/rulebooks/default.yaml" > draft.yaml
expect_rc 0 "$SOCRED" rulebook check draft.yaml

"$SOCRED" init > /dev/null
"$SOCRED" ingest r.csv > /dev/null 2>&1
expect_rc 1 "$SOCRED" check $P1 air_travel --at $AT
expect_rc 0 "$SOCRED" whatif draft.yaml --at $AT --json
cp "$T/out" w.json
tr() { sqlite3 :memory: "SELECT coalesce(json_extract(value, '\$.transitions.\"$2\"'), 0) FROM json_each(readfile('w.json'), '\$.actions') WHERE json_extract(value, '\$.action') = '$1'"; }
eq "$(tr air_travel 'deny->standard')" 1 "air_travel deny->standard"
eq "$(tr air_travel 'allow->grant')" 1 "air_travel allow->grant"
eq "$(tr air_travel 'allow->standard')" 1 "air_travel allow->standard"
eq "$(tr heating_discount 'standard->grant')" 0 "heating_discount unchanged"
eq "$(sqlite3 :memory: "SELECT json_extract(readfile('w.json'), '\$.changed')")" 3 "subjects whose decision changes"
expect_rc 0 "$SOCRED" whatif draft.yaml --at $AT
has out "air_travel                   allow->grant 1, allow->standard 1, deny->standard 1"

# under the draft: standard with its terms, exit 0, never a refusal
export SOCRED_DB=$T/draft.db
"$SOCRED" init --rulebook draft.yaml > /dev/null
"$SOCRED" ingest r.csv > /dev/null 2>&1
expect_rc 0 "$SOCRED" check $P1 air_travel --at $AT
has out "standard: air_travel for $P1 at $AT"
has out "the standard terms: a ticket at the published fare"
expect_rc 0 "$SOCRED" check $P3 air_travel --at $AT --json
has out '"decision":"standard","standard_terms":"a ticket at the published fare","reasons":[{"reason":"no_consent"'
expect_rc 0 "$SOCRED" check $P2 air_travel --at $AT --json
has out '"decision":"grant","standard_terms":"a ticket at the published fare","reasons":[{"reason":"grade"'
expect_rc 1 "$SOCRED" check $P1 rail_high_speed --at $AT

KEY=$("$SOCRED" keys add --role enforcer --actions air_travel 2> /dev/null)
serve_start serve --today $AT
code=$(curl -s -o resp -w '%{http_code}' -H "Authorization: Bearer $KEY" "$B/v1/check?subject=$P1&action=air_travel")
eq "$code" 200 "HTTP check"
has resp '"decision":"standard","standard_terms":"a ticket at the published fare"'
hasnt resp "deny"
curl -s "$B/metrics" > metrics
has metrics 'decision="standard"'
kill -TERM $SPID; wait $SPID

# a ledger whose rulebook was published before standard_terms existed (and
# mixed a grant into a restriction) keeps working: the benefit's terms read
# "the standard terms"; a new publication must state them
export SOCRED_DB=$T/old.db
"$SOCRED" init > /dev/null
"$SOCRED" ingest r.csv > /dev/null 2>&1
sqlite3 "$SOCRED_DB" "UPDATE rulebooks SET text = replace(text, '     standard_terms: \"the standard heating tariff\",' || char(10), '')"
sqlite3 "$SOCRED_DB" "UPDATE rulebooks SET text = text || '  - {action: air_travel, grant_if_listed: [tax_a_grade], issued_by: \"x\", basis: \"y\"}' || char(10)"
eq "$(sqlite3 "$SOCRED_DB" "SELECT count(*) FROM rulebooks WHERE text LIKE '%standard heating tariff%'")" 0 "an old rulebook"
expect_rc 0 "$SOCRED" check $P1 heating_discount --at $AT --json
has out '"decision":"standard","standard_terms":"the standard terms"'
expect_rc 1 "$SOCRED" check $P1 air_travel --at $AT
expect_rc 0 "$SOCRED" check $P2 air_travel --at $AT
expect_rc 0 "$SOCRED" rulebook list
sqlite3 "$SOCRED_DB" "SELECT text FROM rulebooks" > old.yaml
expect_rc 1 "$SOCRED" rulebook check old.yaml
has err "standard_terms"
finish
