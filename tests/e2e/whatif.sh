# Policy what-if: `socred whatif DRAFT` must report exactly what two real
# runs show, one on a ledger under the rulebook in force and one on a copy
# of the ledger whose rulebook is the draft: the grade transitions subject by
# subject, who joins and leaves each list, and (through the server's checks)
# denials and grants per action. It writes nothing.
. "$(dirname "$0")/lib.bash"

AT=2025-12-31
ACTIONS="air_travel rail_high_speed deposit_free_bike loan_preferential_rate customs_simplified_clearance"
# the draft: a stricter A grade, a shorter defaulters' list, air travel also
# denied to tax violators, and a new list nothing enters yet
sed -e 's/{grade: A, min: 960}/{grade: A, min: 990}/' \
    -e '/name: judgment_defaulters/,/basis/s/duration_days: 730/duration_days: 365/' \
    -e 's/{action: air_travel, label: "Buy a flight ticket", deny_if_listed: \[judgment_defaulters\]/{action: air_travel, label: "Buy a flight ticket", deny_if_listed: [judgment_defaulters, serious_tax_violators]/' \
    "$SRC/rulebooks/default.yaml" > draft.yaml
cat >> draft.yaml <<'YAML'
  - {action: drone_licence, label: "Register a drone", deny_if_listed: [serious_tax_violators],
     issued_by: "Civil Aviation Administration of China", basis: "illustrative: a measure only the draft has"}
YAML
expect_rc 0 "$SOCRED" rulebook check draft.yaml
for change in "min: 990" "duration_days: 365" "[judgment_defaulters, serious_tax_violators]"; do
	has draft.yaml "$change"
done

"$SOCRED" generate --people 2500 --orgs 200 --seed 5 > town.csv 2> /dev/null
"$SOCRED" init > /dev/null
"$SOCRED" ingest town.csv > /dev/null 2>&1
before=$(sqlite3 "$SOCRED_DB" "SELECT count(*) FROM runs")
expect_rc 0 "$SOCRED" whatif draft.yaml --at $AT --json
cp "$T/out" w.json
eq "$(sqlite3 "$SOCRED_DB" "SELECT count(*) FROM runs")" "$before" "whatif wrote a run"
expect_rc 0 "$SOCRED" whatif draft.yaml --at $AT
has "$T/out" "grades in force (rows) -> under the draft (columns)"
has "$T/out" "drone_licence"
# the rulebook in force as its own draft: nothing changes
"$SOCRED" whatif "$SRC/rulebooks/default.yaml" --at $AT --json > same.json
eq "$(sqlite3 :memory: "SELECT json_extract(readfile('same.json'), '\$.changed')")" 0 "whatif of the rulebook in force"
eq "$(sqlite3 :memory: "SELECT count(*) FROM json_each(readfile('same.json'), '\$.scorecards') c,
   json_each(c.value, '\$.transitions') r, json_each(r.value, '\$.draft') g
   WHERE g.value > 0 AND g.key <> json_extract(r.value, '\$.active')")" 0 "off-diagonal transitions of the rulebook in force"
# a draft that does not compile: named, nothing evaluated
printf 'name: x\nversion: 1\nscorecards: [\n' > broken.yaml
expect_rc 2 "$SOCRED" whatif broken.yaml
has "$T/err" "broken.yaml:"

# the two real runs
"$SOCRED" run --at $AT > /dev/null
SOCRED_DB=$T/draft.db "$SOCRED" init --rulebook draft.yaml > /dev/null
SOCRED_DB=$T/draft.db "$SOCRED" ingest town.csv > /dev/null 2>&1
SOCRED_DB=$T/draft.db "$SOCRED" run --at $AT > /dev/null

q() { sqlite3 -separator ' ' "$SOCRED_DB" "ATTACH '$T/draft.db' AS b; $1"; }
# grade transitions, subject by subject ('-': not scored)
"$SOCRED" results | grep -v '^#' > a.rows
SOCRED_DB=$T/draft.db "$SOCRED" results | grep -v '^#' > b.rows
# the two runs' per-subject results (from their snapshots), side by side
r() {
	sqlite3 :memory: ".mode tabs" "CREATE TABLE a(k, subject, c3, c4, c5, c6)" \
		"CREATE TABLE b(k, subject, c3, c4, c5, c6)" ".import a.rows a" ".import b.rows b" \
		".mode list" ".separator ' '" "$1"
}
r "SELECT a.c3, a.c6, coalesce(b.c6, '-'), count(*) FROM a LEFT JOIN b
   ON b.k = 'card' AND b.subject = a.subject AND b.c3 = a.c3
   WHERE a.k = 'card' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3" > want.grades
q "SELECT json_extract(c.value, '\$.scorecard'), json_extract(r.value, '\$.active'), g.key, g.value
   FROM json_each(readfile('w.json'), '\$.scorecards') c, json_each(c.value, '\$.transitions') r,
        json_each(r.value, '\$.draft') g WHERE g.value > 0 ORDER BY 1, 2, 3" > got.grades
[ -s want.grades ] && cmp -s want.grades got.grades && ok || { bad "grade transitions differ from two runs"; diff want.grades got.grades | head; }
# the stricter A grade moves subjects from A to B
[ "$(awk '$1 == "public" && $2 == "A" && $3 == "B" {print $4}' got.grades)" -gt 0 ] && ok || bad "no A -> B transition"

# lists: members in force, under the draft, joined, left
r "WITH x AS (SELECT DISTINCT c3 AS list, subject FROM a WHERE k = 'list'),
        d AS (SELECT DISTINCT c3 AS list, subject FROM b WHERE k = 'list'),
        n AS (SELECT json_extract(value, '\$.list') AS list FROM json_each(readfile('w.json'), '\$.lists'))
   SELECT n.list, (SELECT count(*) FROM x WHERE x.list = n.list), (SELECT count(*) FROM d WHERE d.list = n.list),
     (SELECT count(*) FROM d WHERE d.list = n.list AND NOT EXISTS (SELECT 1 FROM x WHERE x.list = d.list AND x.subject = d.subject)),
     (SELECT count(*) FROM x WHERE x.list = n.list AND NOT EXISTS (SELECT 1 FROM d WHERE d.list = x.list AND d.subject = x.subject))
   FROM n ORDER BY 1" > want.lists
q "SELECT json_extract(value, '\$.list'), json_extract(value, '\$.active'), json_extract(value, '\$.draft'),
     json_extract(value, '\$.joined'), json_extract(value, '\$.left')
   FROM json_each(readfile('w.json'), '\$.lists') ORDER BY 1" > got.lists
[ -s want.lists ] && cmp -s want.lists got.lists && ok || { bad "list changes differ from two runs"; diff want.lists got.lists; }
[ "$(awk '$1 == "judgment_defaulters" {print $5}' got.lists)" -gt 0 ] && ok || bad "nobody leaves the shorter list"

# decisions: every subject, every action, asked of a server on each ledger
sqlite3 "$SOCRED_DB" "SELECT ext_id FROM subjects ORDER BY id" > subjects.txt
start() {
	local name=$1 db=$2 actions=$3 key
	key=$(SOCRED_DB=$db "$SOCRED" keys add --role enforcer --actions "$(echo $actions | tr ' ' ,)" 2> /dev/null)
	SOCRED_DB=$db serve_start "$name" --threads 2 --today $AT
	echo "$SPID" > "$name.pid"
	printf -v "$name" '%s' "$B"
	printf -v "${name}_KEY" '%s' "$key"
}
# decisions BASE KEY ACTION: one decision per subject, in subjects.txt order
decisions() {
	local urls
	urls=$(sed "s|.*|$1/v1/check?subject=&\&action=$3|" subjects.txt)
	# shellcheck disable=SC2086
	curl -s -H "Authorization: Bearer $2" -w '\n' $urls | sed 's/.*"decision":"\([a-z_]*\)".*/\1/'
}
start A "$SOCRED_DB" "$ACTIONS"
start B "$T/draft.db" "$ACTIONS drone_licence"
field() { q "SELECT json_extract(value, '\$.$2') FROM json_each(readfile('w.json'), '\$.actions') WHERE json_extract(value, '\$.action') = '$1'"; }
for a in $ACTIONS; do
	decisions "$A" "$A_KEY" $a > a.$a
	decisions "$B" "$B_KEY" $a > b.$a
	eq "$(wc -l < a.$a)" "$(wc -l < subjects.txt)" "$a: one decision per subject"
	eq "$(field $a deny_active)" "$(grep -cx deny a.$a)" "$a: denied in force"
	eq "$(field $a deny_draft)" "$(grep -cx deny b.$a)" "$a: denied under the draft"
	eq "$(field $a grant_active)" "$(grep -cx grant a.$a)" "$a: granted in force"
	eq "$(field $a grant_draft)" "$(grep -cx grant b.$a)" "$a: granted under the draft"
	eq "$(field $a newly_denied)" "$(paste -d' ' a.$a b.$a | awk '$1 != "deny" && $2 == "deny"' | wc -l)" "$a: newly denied"
	eq "$(field $a no_longer_denied)" "$(paste -d' ' a.$a b.$a | awk '$1 == "deny" && $2 != "deny"' | wc -l)" "$a: no longer denied"
done
[ "$(field air_travel newly_denied)" -gt 0 ] && ok || bad "air travel: nobody newly denied"
# a measure only the draft has: nobody is denied it today
decisions "$B" "$B_KEY" drone_licence > b.drone
eq "$(field drone_licence deny_active)" 0 "drone_licence in force"
eq "$(field drone_licence deny_draft)" "$(grep -cx deny b.drone)" "drone_licence under the draft"
[ "$(field drone_licence deny_draft)" -gt 0 ] && ok || bad "drone_licence: nobody denied under the draft"
for p in *.pid; do kill -TERM "$(cat "$p")" 2> /dev/null; wait "$(cat "$p")" 2> /dev/null; done
finish
