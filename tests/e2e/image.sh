# The population image: `run` evaluates from it, on several threads, and
# must give exactly what the reference gives (`run --from-ledger`: the
# ledger read straight, one thread): the same tallies and, byte for byte,
# the same decision snapshot. Then the ledger changes in every way a
# subject's file can (new subjects, records of existing ones, rectify,
# revoke, consent, withdrawal, a dispute left past its deadline, retention)
# and the image, brought up to date by re-reading only those subjects, must
# still agree; a damaged image or one of another ledger is rebuilt.
. "$(dirname "$0")/lib.bash"

AT=2025-12-31
IMG="$SOCRED_DB.image"
SNAP="$SOCRED_DB.snap"
field() { grep -o "\"$1\":[a-z0-9]*" "$T/out" | head -1 | cut -d: -f2; }

# run from the image, then from the ledger: the same answers
agree() { # what
	"$SOCRED" run --at $AT --json --from-ledger | run_strip > ref.json
	cp "$SNAP" ref.snap
	"$SOCRED" results > ref.results
	"$SOCRED" run --at $AT --json ${THREADS:+--threads $THREADS} > "$T/out"
	eq "$?" "0" "run from the image ($1)"
	run_strip < "$T/out" > img.json
	cmp -s ref.json img.json && ok || { bad "tallies differ from the reference ($1)"; diff ref.json img.json | head -5; }
	cmp -s ref.snap "$SNAP" && ok || bad "snapshot differs from the reference ($1)"
	"$SOCRED" results > img.results
	cmp -s ref.results img.results && ok || bad "results differ from the reference ($1)"
}

"$SOCRED" generate --people 3000 --orgs 300 --seed 11 > town.csv 2> /dev/null
"$SOCRED" init > /dev/null
"$SOCRED" ingest town.csv > /dev/null 2>&1

# the first run builds the image
expect_rc 0 "$SOCRED" run --at $AT --json
has out '"built":true'
has out '"why":"there was none"'
[ -s "$IMG" ] && ok || bad "no image next to the ledger"
# what the run saw: every subject and record of the ledger
eq "$(field subjects)" "$(sqlite3 "$SOCRED_DB" "SELECT count(*) FROM subjects")" "every subject evaluated"
eq "$(field records)" "$(sqlite3 "$SOCRED_DB" "SELECT count(*) FROM records")" "every record evaluated"
agree "fresh image"
has out '"built":false'
has out '"reread":0'

# any number of threads, the same snapshot
for n in 1 3 7; do
	THREADS=$n agree "$n threads"
done

# every kind of change to a subject's file
"$SOCRED" generate --people 300 --orgs 30 --seed 12 > more.csv 2> /dev/null
"$SOCRED" ingest more.csv > /dev/null 2>&1
old=$(grep -v '^op' town.csv | grep -v '^[a-z]' | sed -n 5p | cut -d, -f3)
r1=$(sqlite3 "$SOCRED_DB" "SELECT record_id FROM records r JOIN types t ON t.id = r.type WHERE t.name LIKE 'court.%' LIMIT 1 OFFSET 3")
r2=$(sqlite3 "$SOCRED_DB" "SELECT record_id FROM records r JOIN types t ON t.id = r.type WHERE t.name LIKE 'court.%' LIMIT 1 OFFSET 7")
src1=$(sqlite3 "$SOCRED_DB" "SELECT so.name FROM records r JOIN sources so ON so.id = r.source WHERE record_id = '$r1'")
src2=$(sqlite3 "$SOCRED_DB" "SELECT so.name FROM records r JOIN sources so ON so.id = r.source WHERE record_id = '$r2'")
cat > change.csv <<EOF
op,record_id,subject,type,date,amount,source,ref
,extra-1,$old,traffic.violation,2025-06-01,,traffic,
rectify,$r1,,,2025-11-01,,$src1,
revoke,$r2,,,2025-10-01,,$src2,
withdraw,,$old,public,2025-09-01,,,
EOF
expect_rc 0 "$SOCRED" ingest change.csv
# a dispute left undecided past its deadline suspends its record: one that
# puts its subject on a list, so that the suspension shows
listed=$("$SOCRED" results | awk -F'\t' '$1 == "list" {print $6}' | sed -n 3p)
[ -n "$listed" ] && ok || bad "nobody listed to dispute"
sqlite3 "$SOCRED_DB" "INSERT INTO disputes(rid, reason, opened, deadline)
  SELECT rid, 'not mine', date, date + 1 FROM records WHERE record_id = '$listed'"
agree "after changes"
has out '"built":false'
reread=$(field reread)
[ "$reread" -gt 0 ] && [ "$reread" -lt 1000 ] && ok || bad "re-read $reread subjects, not only the changed ones"
"$SOCRED" results | grep -q "$listed" && bad "a suspended record still lists its subject" || ok
# retention removes records: the image forgets them too (a version of the
# rulebook in force from today keeps them 1,000 days, not 1,825: expire
# never runs ahead of the real date)
sed 's/^version: .*/version: "short-retention"\nretention_days: 1000/' "$SRC/rulebooks/default.yaml" > short.yaml
expect_rc 0 "$SOCRED" rulebook publish short.yaml --effective "$(date +%F)"
expect_rc 0 "$SOCRED" expire
has out "expired"
[ "$(sed -n 's/^expired \([0-9]*\) of.*/\1/p' "$T/out")" -gt 0 ] && ok || bad "expire removed nothing"
agree "after expiry"
has out '"built":false'

# --rebuild-image, a truncated image, a garbled one, one of another ledger
expect_rc 0 "$SOCRED" run --at $AT --json --rebuild-image
has out '"built":true'
truncate -s 1000 "$IMG"
agree "truncated image"
has out '"built":true'
has out 'truncated'
printf 'garbage' | dd of="$IMG" bs=1 seek=0 conv=notrunc 2> /dev/null
agree "garbled image"
has out '"built":true'
SOCRED_DB=$T/other.db "$SOCRED" init > /dev/null
SOCRED_DB=$T/other.db "$SOCRED" ingest more.csv > /dev/null 2>&1
SOCRED_DB=$T/other.db "$SOCRED" run --at $AT > /dev/null
cp "$T/other.db.image" "$IMG"
agree "another ledger's image"
has out '"built":true'
has out 'another ledger'

# what-if reads the image too, with the reference's answers
"$SOCRED" whatif "$SRC/rulebooks/default.yaml" --at $AT --json --from-ledger | sed 's/"seconds":[0-9.e+-]*,"peak_mib":[0-9.e+-]*,//' > w.ref
"$SOCRED" whatif "$SRC/rulebooks/default.yaml" --at $AT --json | sed 's/"seconds":[0-9.e+-]*,"peak_mib":[0-9.e+-]*,//' > w.img
cmp -s w.ref w.img && ok || { bad "whatif from the image differs"; diff w.ref w.img | head -5; }

# the ledger keeps a run's tallies, not a row per subject
eq "$(sqlite3 "$SOCRED_DB" "SELECT count(*) FROM sqlite_master WHERE name IN ('results', 'list_entries')")" "0" "no per-subject result tables"
eq "$(sqlite3 "$SOCRED_DB" "SELECT sum(subjects) FROM run_tallies WHERE run = (SELECT max(id) FROM runs) AND scorecard = 'public'")" \
   "$(awk -F'\t' '$1 == "card" && $3 == "public" && $4 != "not_applicable"' img.results | wc -l)" "tallies match the snapshot"
bad_args=$("$SOCRED" run --threads 0 2>&1)
echo "$bad_args" | grep -q -- "--threads takes a whole number" && ok || bad "--threads 0 accepted: $bad_args"
finish
