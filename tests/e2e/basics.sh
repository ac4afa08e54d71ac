# The command's surface: help, usage errors, init, rulebook check and show.
. "$(dirname "$0")/lib.bash"

expect_rc 0 "$SOCRED" --help
has out "usage: socred [--db PATH] COMMAND"
expect_rc 2 "$SOCRED" frobnicate
has err "unknown command 'frobnicate'"
expect_rc 2 "$SOCRED"
for c in init rulebook ingest score explain check lists run generate; do
	expect_rc 0 "$SOCRED" $c --help
	has out "usage: socred [--db PATH] $c"
done
expect_rc 2 "$SOCRED" score --bogus
has err "unknown option '--bogus'"

# no ledger yet
expect_rc 2 "$SOCRED" score 360426199101010071
has err "no ledger here: run 'socred init' first"

expect_rc 0 "$SOCRED" init
has out "initialised ledger $T/socred.db with rulebook default version 2026.1"
expect_rc 2 "$SOCRED" init
has err "is already initialised"
expect_rc 0 "$SOCRED" rulebook show
has out "deny if listed on judgment_defaulters"
has out "r12  traffic.violation            -5  lapse 365d  floor -50"

# rulebook check: a good one, a bad one with file:line:column
expect_rc 0 "$SOCRED" rulebook check "$SRC/rulebooks/default.yaml"
has out "ok: rulebook default version 2026.1: 7 sources, 2 scorecards, 30 rules, 4 lists, 20 measures over 18 actions"
sed 's/civic.heroic_act/religion.pilgrimage/' "$SRC/rulebooks/default.yaml" > bad.yaml
expect_rc 1 "$SOCRED" rulebook check bad.yaml
has err "bad.yaml:"
has err "category 'religion' is refused: socred does not score speech, political opinion, religion, ethnicity or relationships"
sed 's/civic.heroic_act/leisure.video_games/' "$SRC/rulebooks/default.yaml" > leisure.yaml
expect_rc 1 "$SOCRED" rulebook check leisure.yaml
has err "category 'leisure' is refused: socred does not score what a person does in free time, which is not a finding of any authority"
sed '0,/commerce.fraud, points: -30/s//commerce.fraud, points: 30/' "$SRC/rulebooks/default.yaml" > reward.yaml
expect_rc 1 "$SOCRED" rulebook check reward.yaml
has err "type 'commerce.fraud' rewards a subject"
expect_rc 2 "$SOCRED" --db other.db init --rulebook bad.yaml
[ -e other.db ] && bad "a refused rulebook created a ledger" || ok

# a ledger with another rulebook: opaque ids
cat > any.yaml <<'YAML'
rulebook: tiny
version: "1"
id_schemes: [any]
sources: [{name: court, may_file: ["court.*"]}]
lists: [{name: l, kind: black, applies_to: [person], entered_by: [court.x], basis: "b"}]
measures: [{action: fly, deny_if_listed: [l], issued_by: "x", basis: "b"}]
YAML
expect_rc 0 "$SOCRED" --db tiny.db init --rulebook any.yaml
expect_rc 0 "$SOCRED" --db tiny.db rulebook show
has out "rulebook tiny version 1"

# rulebook show --json: the compiled program, itself a valid rulebook that
# compiles to the identical program
for rbf in "$SRC/rulebooks/default.yaml" "$SRC/tests/golden/cases/small.yaml"; do
	expect_rc 0 "$SOCRED" rulebook show "$rbf" --json
	cp out rt.json
	"$SOCRED" rulebook show "$rbf" > want.txt
	expect_rc 0 "$SOCRED" rulebook show rt.json
	if cmp -s out want.txt; then ok; else bad "rulebook JSON round trip differs for $rbf"; diff out want.txt | head -5; fi
done
expect_rc 0 "$SOCRED" rulebook show --json
has out '{"rulebook":"default","version":"2026.1","id_schemes":["cn_ric","cn_uscc"],"review_days":30,"retention_days":1825,"sources":[{"name":"court","label":"People'"'"'s courts","may_file":["court.*","contract.breach_judgment","utility.arrears_judgment"]}'
has out '{"type":"traffic.drunk_driving","points":-50,"lapse_days":1825,"repair_min_days":0,"grade_cap":"C","basis":'

# bad dates
expect_rc 2 "$SOCRED" score 360426199101010071 --at 2025-02-30
has err "--at '2025-02-30' is not a real day"
# a non-ledger file is refused
echo "hello" > notadb.db
expect_rc 2 "$SOCRED" --db notadb.db score 360426199101010071
finish
