# The record ids in the decision snapshot: a run carries them over from the
# snapshot it replaces only for rows that have held the same record since,
# and looks up the rest. SQLite gives a removed highest row number to the
# next record, so after `expire` removes the highest rows, a new record can
# take the row of an old listed one: its id must be the new record's.
. "$(dirname "$0")/lib.bash"

"$SOCRED" init > /dev/null
"$SOCRED" generate --people 400 --orgs 20 --seed 5 > town.csv 2> /dev/null
"$SOCRED" ingest town.csv > /dev/null 2>&1
# ids: results' list lines (subject, list, since, until, record)
lists() { "$SOCRED" results | awk -F'\t' '$1 == "list"' | sort; }
# record_ids FIELD: from the last run's --json
record_ids() { sed -n "s/.*\"record_ids\":{\"carried\":\([0-9]*\),\"looked_up\":\([0-9]*\)}.*/\\$1/p" run.json; }

"$SOCRED" run --at 2025-12-31 --json > run.json
first=$(record_ids 2)
[ "${first:-0}" -gt 0 ] && ok || bad "the first run looked up no ids ($first)"
eq "$(record_ids 1)" 0 "nothing to carry from in a new ledger"
lists > first.txt
[ -s first.txt ] && ok || bad "no list entries"

# the same ledger again: every id carried, none looked up, the same answer
"$SOCRED" run --at 2025-12-31 --json > run.json
eq "$(record_ids 1)" "$first" "carried on the second run"
eq "$(record_ids 2)" 0 "looked up on the second run"
lists > second.txt
cmp -s first.txt second.txt && ok || bad "carried ids differ from looked-up ones"
# and each id is the one the ledger gives (socred lists reads it directly)
"$SOCRED" lists --at 2025-12-31 | awk -F'\t' 'NR > 1 {print $2 "\t" $1 "\t" $5}' | sort > direct.txt
awk -F'\t' '{print $2 "\t" $3 "\t" $6}' second.txt | sort > fromsnap.txt
cmp -s direct.txt fromsnap.txt && ok || { bad "snapshot ids differ from the ledger's"; diff direct.txt fromsnap.txt | head -5; }

# A listed record at the highest row, on a fresh ledger: listed in 2005,
# removed by expire (its retention ended in 2015), its row then taken by a
# new record of another subject.
export SOCRED_DB="$T/reuse.db"
"$SOCRED" init > /dev/null
grep -oE ',[1-6][0-9]{5}19[0-9]{9}[0-9X],' town.csv | tr -d , | sort -u > persons.txt
A=$(sed -n 1p persons.txt)
B=$(sed -n 2p persons.txt)
[ -n "$A" ] && [ -n "$B" ] && [ "$A" != "$B" ] && ok || bad "no two person ids in town.csv"
printf 'op,record_id,subject,type,date,amount,source,ref\n,court-old-1,%s,court.judgment_default,2005-01-01,,court,\n' "$A" > old.csv
"$SOCRED" ingest old.csv > /dev/null 2>&1
"$SOCRED" run --at 2005-06-01 --json > run.json
eq "$(record_ids 2)" 1 "the old entry looked up"
lists > old.txt
has old.txt "court-old-1"
"$SOCRED" expire > expire.out 2>&1
has expire.out "1"
[ "$(sqlite3 "$SOCRED_DB" 'SELECT count(*) FROM records')" = 0 ] && ok || bad "expire left the record"
printf 'op,record_id,subject,type,date,amount,source,ref\n,court-new-1,%s,court.judgment_default,2026-01-01,,court,\n' "$B" > new.csv
"$SOCRED" ingest new.csv > /dev/null 2>&1
# the new record took the old one's row
eq "$(sqlite3 "$SOCRED_DB" "SELECT rid FROM records WHERE record_id = 'court-new-1'")" 1 "row reused"
"$SOCRED" run --at 2026-06-01 --json > run.json
eq "$(record_ids 1)" 0 "a row at or below the highest expired is never carried"
eq "$(record_ids 2)" 1 "the reused row looked up"
lists > new.txt
has new.txt "court-new-1"
hasnt new.txt "court-old-1"

finish
