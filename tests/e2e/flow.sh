# The whole flow on a generated town: generate, ingest, score, explain,
# check, lists, run; JSON shapes; exit codes; the ledger on disk.
. "$(dirname "$0")/lib.bash"

"$SOCRED" generate --people 3000 --orgs 300 --seed 7 > town.csv 2> gen.err
"$SOCRED" generate --people 3000 --orgs 300 --seed 7 > town2.csv 2>/dev/null
"$SOCRED" generate --people 3000 --orgs 300 --seed 8 > town3.csv 2>/dev/null
eq "$(sha256sum < town.csv)" "$(sha256sum < town2.csv)" "generate is deterministic"
[ "$(sha256sum < town.csv)" != "$(sha256sum < town3.csv)" ] && ok || bad "seeds differ"
has gen.err "generated 3000 people and 300 organisations"
head -1 town.csv > h; has h "op,record_id,subject,type,date,amount,source,ref"
n=$(wc -l < town.csv)
[ "$n" -gt 25000 ] && ok || bad "town has $n lines"

expect_rc 0 "$SOCRED" init
expect_rc 0 "$SOCRED" ingest town.csv
has out "rejected 0"
lines=$((n - 1))
has out "ingested $lines lines"
# idempotent: a second ingest files nothing new
expect_rc 0 "$SOCRED" ingest town.csv
has out "accepted 0, duplicates $lines, rejected 0"

# every id the generator made is valid and every line was stored
recs=$(sqlite3 socred.db "SELECT count(*) FROM records")
adds=$(grep -c '^,' town.csv)
eq "$recs" "$adds" "records stored"
# append-only by construction
sqlite3 socred.db "UPDATE records SET date = 0 WHERE rid = 1" 2> upd.err && bad "update allowed" || ok
has upd.err "records are append-only"
sqlite3 socred.db "DELETE FROM events" 2> del.err && bad "delete allowed" || ok

# pick a listed person and check at the counter
expect_rc 0 "$SOCRED" lists judgment_defaulters --at 2025-12-31
ID=$(awk -F'\t' 'NR > 1 && length($2) == 18 && $2 !~ /^9/ {print $2; exit}' out)
REC=$(awk -F'\t' -v id="$ID" '$2 == id {print $5; exit}' out)
[ -n "$ID" ] && ok || bad "no listed person"
expect_rc 1 "$SOCRED" check "$ID" air_travel --at 2025-12-31 --json
has out "{\"subject\":\"$ID\",\"action\":\"air_travel\",\"at\":\"2025-12-31\",\"decision\":\"deny\",\"reasons\":[{\"reason\":\"listed\",\"measure\":\"air_travel\",\"issued_by\":\"Civil Aviation Administration of China\""
has out "\"list\":\"judgment_defaulters\""
has out "\"record\":\"$REC\""
expect_rc 1 "$SOCRED" check "$ID" rail_high_speed --at 2025-12-31
has out "deny: rail_high_speed for $ID at 2025-12-31"
has out "listed on judgment_defaulters since"
expect_rc 0 "$SOCRED" score "$ID" --at 2025-12-31 --json
has out "{\"subject\":\"$ID\",\"kind\":\"person\",\"at\":\"2025-12-31\",\"scorecard\":\"public\",\"status\":"
has out "\"lists\":[{\"list\":\"judgment_defaulters\",\"kind\":\"black\",\"record\":\"$REC\",\"since\":"
expect_rc 0 "$SOCRED" explain "$ID" --at 2025-12-31
has out "court.judgment_default"
has out "basis: SPC list of dishonest judgment debtors"
expect_rc 0 "$SOCRED" explain "$ID" --at 2025-12-31 --json
has out "\"state\":\"active\""

# a person nobody filed anything about: allowed, not scored without consent
expect_rc 0 "$SOCRED" check 11010519491231002X air_travel --at 2025-12-31 --json
has out "\"decision\":\"allow\",\"reasons\":[]"
expect_rc 0 "$SOCRED" score 11010519491231002X --at 2025-12-31 --json
has out "{\"subject\":\"11010519491231002X\",\"kind\":\"person\",\"at\":\"2025-12-31\",\"scorecard\":\"public\",\"status\":\"no_consent\",\"score\":null,\"grade\":null,\"lists\":[]}"
expect_rc 0 "$SOCRED" check 11010519491231002X heating_discount --at 2025-12-31
has out "no consent in force for scorecard public"
has out "standard: heating_discount for 11010519491231002X at 2025-12-31"
has out "the standard terms: the standard heating tariff"
expect_rc 2 "$SOCRED" check 11010519491231002X fly_to_moon
has err "unknown action 'fly_to_moon'; the rulebook knows: admin_green_channel air_travel"
expect_rc 2 "$SOCRED" score 1101051949123100
has err "invalid subject id '1101051949123100'"
# 17 digits and Y: shaped like a unified social credit code, accepted
expect_rc 0 "$SOCRED" score 11010519491231002Y --json
has out "\"kind\":\"org\""
expect_rc 2 "$SOCRED" lists no_such_list
has err "unknown list 'no_such_list'"

# an organisation gets the enterprise scorecard by default
ORG=$(grep -m1 -o ',91[0-9A-Z]\{16\},tax' town.csv | cut -d, -f2)
expect_rc 0 "$SOCRED" score "$ORG" --at 2025-12-31 --json
has out "\"kind\":\"org\",\"at\":\"2025-12-31\",\"scorecard\":\"enterprise\",\"status\":\"scored\""
expect_rc 0 "$SOCRED" score "$ORG" --scorecard public --at 2025-12-31 --json
has out "\"scorecard\":\"public\",\"status\":\"not_applicable\""

# run: the whole population, stored
expect_rc 0 "$SOCRED" run --at 2025-12-31 --json
has out "\"subjects\":$(sqlite3 socred.db "SELECT count(*) FROM subjects")"
has out "\"scorecard\":\"public\",\"scored\":"
has out "{\"list\":\"judgment_defaulters\",\"kind\":\"black\",\"members\":"
# per-subject results live in the decision snapshot; the ledger keeps tallies
"$SOCRED" results > results.tsv
scored=$(awk -F'\t' '$1 == "card" && $4 == "scored"' results.tsv | wc -l)
[ "$scored" -gt 2000 ] && ok || bad "only $scored scored results stored"
eq "$(sqlite3 socred.db "SELECT sum(subjects) FROM run_tallies WHERE run = 1 AND status = 'scored'")" "$scored" "the run's tallies count its scored results"
eq "$(awk -F'\t' '$1 == "card"' results.tsv | cut -f2 | sort -u | wc -l)" "$(sqlite3 socred.db "SELECT count(*) FROM subjects")" "a result for every subject"
# the run agrees with one-by-one evaluation
g=$(awk -F'\t' -v o="$ORG" '$1 == "card" && $2 == o && $4 == "scored" {print $6}' results.tsv)
"$SOCRED" score "$ORG" --at 2025-12-31 --json > one.json
has one.json "\"grade\":\"$g\""
members=$(grep -o '"list":"judgment_defaulters","kind":"black","members":[0-9]*' out | grep -o '[0-9]*$')
listed=$("$SOCRED" lists judgment_defaulters --at 2025-12-31 | tail -n +2 | cut -f2 | sort -u | wc -l)
eq "$members" "$listed" "run and lists agree on judgment_defaulters"
expect_rc 0 "$SOCRED" run --at 2025-12-31
has out "scorecard public:"
has out "AAA"
eq "$(sqlite3 socred.db "SELECT count(*) FROM runs")" "2" "two runs stored"
eq "$(sqlite3 socred.db "PRAGMA integrity_check")" "ok" "integrity"
eq "$(sqlite3 socred.db "PRAGMA journal_mode")" "wal" "WAL"
finish
