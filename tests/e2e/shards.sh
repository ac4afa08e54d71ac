# Shards: a registry over three ledgers (a cluster map, --db shards:MAP)
# answers exactly as one ledger fed the same file: the tallies of `run` and
# `whatif`, `results`, `lists` (text and --json), `explain --json`, `score --json` and `check --json` of every
# action for a sample, the ingest's outcome per line (a record_id filed for
# two subjects on different shards is a conflict, as on one ledger), and
# the same again after `shards move` of a logical shard to a fourth ledger.
#
# The ledgers: $SOCRED_SHARD_LEDGERS (three, space-separated: SQLite files
# or PostgreSQL URIs of empty databases) and $SOCRED_SHARD_MOVE_TO (the
# fourth); by default SQLite files in the test's folder.
. "$(dirname "$0")/lib.bash"

AT=2026-06-01
ACTIONS="air_travel rail_high_speed star_hotel public_procurement government_subsidy deposit_free_bike loan_preferential_rate customs_simplified_clearance invoice_fast_track"
read -r -a L <<< "${SOCRED_SHARD_LEDGERS:-$T/a.db $T/b.db $T/c.db}"
MOVE_TO=${SOCRED_SHARD_MOVE_TO:-$T/d.db}
[ "${#L[@]}" = 3 ] || { echo "SOCRED_SHARD_LEDGERS names ${#L[@]} ledgers, want 3"; exit 1; }
ONE="$SOCRED --db $T/one.db"
MAP=$T/socred.shards
SH="$SOCRED --db shards:$MAP"

cat > "$MAP" <<EOF
# three ledgers, 1024 logical shards
shards 1024
directory dir.db
0-300 ${L[0]}
301-700 ${L[1]}
701-1023 ${L[2]}
EOF

"$SOCRED" generate --people 3000 --orgs 150 > city.csv 2> /dev/null
sed -e 's/{grade: A, min: 960}/{grade: A, min: 990}/' "$SRC/rulebooks/default.yaml" > draft.yaml

# a record_id of the city filed again for a subject on another ledger (a
# conflict), the same line again (a duplicate), a rectification of it
# (R1 on another ledger than the first: its rectification must be routed
# by the directory, not fall to the first ledger)
S1=
while IFS=, read -r _ R1 S1 TY DT AM SRC_ _; do
	[ "$($SH shards where "$S1" | cut -f3)" != "${L[0]}" ] && break
done < <(grep '^,' city.csv | head -100)
LED1=$($SH shards where "$S1" | cut -f3)
[ "$LED1" != "${L[0]}" ] && ok || bad "no record on another ledger than the first"
S2=
for s in $(cut -d, -f3 city.csv | sort -u | head -200); do
	if [ "$($SH shards where "$s" | cut -f3)" != "$LED1" ]; then S2=$s; break; fi
done
[ -n "$S2" ] && ok || bad "no subject on another ledger than $S1's"
{
	echo "op,record_id,subject,type,date,amount,source,ref"
	echo ",$R1,$S2,$TY,$DT,$AM,$SRC_,"
	echo ",$R1,$S1,$TY,$DT,$AM,$SRC_,"
	echo "rectify,$R1,,,2026-01-02,,$SRC_,fix"
} > extra.csv
# within one batch (a PostgreSQL map files each ledger's lines of a batch
# in one call): a new record_id for S1 then for S2 (a conflict, as on one
# ledger, though the directory learns of it only once it is filed), its
# rectification (to S1's ledger), a new record filed twice (a duplicate)
{
	echo "op,record_id,subject,type,date,amount,source,ref"
	echo ",N1-$R1,$S1,$TY,$DT,$AM,$SRC_,"
	echo ",N1-$R1,$S2,$TY,$DT,$AM,$SRC_,"
	echo "rectify,N1-$R1,,,2026-01-03,,$SRC_,fix"
	echo ",N2-$R1,$S2,$TY,$DT,$AM,$SRC_,"
	echo ",N2-$R1,$S2,$TY,$DT,$AM,$SRC_,"
} > batch.csv

# the same files into one ledger and into the map
expect_rc 0 $ONE init
expect_rc 0 $SH init
eq "$(stat -c %a "$T/dir.db")" 600 "the directory is owner-only"
for f in city.csv extra.csv batch.csv; do
	$ONE ingest "$f" --rejects one.rej > one.out 2> /dev/null; rc1=$?
	$SH ingest "$f" --rejects sh.rej > sh.out 2> /dev/null; rc3=$?
	eq "$rc3" "$rc1" "ingest $f exit"
	eq "$(sed 's/in [0-9.]* s.*: accepted/accepted/; s/; peak.*//; s/with reasons: .*//' sh.out)" \
	   "$(sed 's/in [0-9.]* s.*: accepted/accepted/; s/; peak.*//; s/with reasons: .*//' one.out)" "ingest $f summary"
done
has one.rej "already filed with a different subject"
has one.rej "N1-$R1"
if cmp -s one.rej sh.rej; then ok; else bad "rejects differ"; diff one.rej sh.rej | head; fi
has sh.out "accepted 3, duplicates 1, rejected 1"
"$SOCRED" --db "$LED1" explain "$S1" --json --at $AT > led1n.json
has led1n.json '"rectified":"2026-01-03"'
# the rectification reached R1's ledger
"$SOCRED" --db "$LED1" explain "$S1" --json --at $AT > led1.json
has led1.json "$R1"
has led1.json '"rectified":"2026-01-02"'
# the same files again: every line a duplicate or the same refusal
$SH ingest city.csv extra.csv --rejects again.rej > again.out 2> /dev/null
has again.out "accepted 0, duplicates $(( $(wc -l < city.csv) + $(wc -l < extra.csv) - 3 )), rejected 1"
# every ledger holds some of the city
for l in "${L[@]}"; do
	n=$("$SOCRED" --db "$l" lists --json | grep -o '"subject"' | wc -l)
	[ "$n" -gt 0 ] && ok || bad "$l lists no one"
done

# compare: results, lists, and per subject explain, score, check
# every 400th subject (under memcheck, where every socred takes about a
# second to start, every 1600th)
EVERY=400
[ "${SOCRED_VALGRIND:-0}" = 1 ] && EVERY=1600
SAMPLE=$( (echo "$S1"; echo "$S2"; cut -d, -f3 city.csv | sort -u | awk "NR % $EVERY == 1") | sort -u)
compare() {
	local what=$1 a
	$ONE run --at $AT > one.run 2>/dev/null || bad "run on one ledger ($what)"
	$SH run --at $AT > sh.run 2> sh.err || { bad "run over the map ($what)"; head -5 sh.err; }
	# the summaries agree but for the first line (timing) and where the
	# snapshots and image are
	eq "$(sed -n '2,/^decision/p' sh.run | grep -v '^decision')" \
	   "$(sed -n '2,/^decision/p' one.run | grep -v '^decision')" "run tallies ($what)"
	# a policy what-if: the same counts (line 2 is timing and memory)
	$ONE whatif draft.yaml --at $AT | sed 2d > one.txt 2>/dev/null
	$SH whatif draft.yaml --at $AT | sed 2d > sh.txt 2> sh.err
	if grep -q "would change" one.txt && cmp -s one.txt sh.txt; then ok; else bad "whatif differs ($what)"; diff one.txt sh.txt | head -5; head -3 sh.err; fi
	for a in results lists "lists --json" "lists judgment_defaulters --at 2025-01-01 --json"; do
		$ONE $a > one.txt 2>/dev/null
		$SH $a > sh.txt 2> sh.err
		if [ -s one.txt ] && cmp -s one.txt sh.txt; then ok; else bad "$a differs ($what)"; diff one.txt sh.txt | head -5; head -3 sh.err; fi
	done
	for s in $SAMPLE; do
		for a in "explain $s --json --at $AT" "score $s --json --at $AT"; do
			$ONE $a > one.txt 2>/dev/null
			$SH $a > sh.txt 2>/dev/null
			if [ -s one.txt ] && cmp -s one.txt sh.txt; then ok; else bad "$a differs ($what)"; fi
		done
		for a in $ACTIONS; do
			$ONE check "$s" "$a" --json --at $AT > one.txt 2>/dev/null; rc1=$?
			$SH check "$s" "$a" --json --at $AT > sh.txt 2>/dev/null; rc3=$?
			if [ "$rc1" = "$rc3" ] && [ -s one.txt ] && cmp -s one.txt sh.txt; then ok; else bad "check $s $a differs ($what)"; fi
		done
	done
}
compare "three ledgers"

# move S1's logical shard to a fourth ledger: the map names it, and every
# answer stays the same
N=$($SH shards where "$S1" | cut -f2 | awk '{print $2}')
expect_rc 0 "$SOCRED" --db "$MOVE_TO" init
expect_rc 0 $SH shards move "$N" --to "$MOVE_TO"
has out "moved logical shard $N"
$SH shards where "$S1" > where.txt
has where.txt "$MOVE_TO"
has "$MAP" "$N-$N $MOVE_TO"
compare "after a move"
# moving it where it is changes nothing
expect_rc 0 $SH shards move "$N" --to "$MOVE_TO"
has out "is on $MOVE_TO already"

# kill -9 in the middle of an ingest over a map (SQLite files here, whatever
# the ledgers above): the same ingest again converges to the same answers
mkdir crash
printf 'shards 1024\ndirectory dir.db\n0-511 x.db\n512-1023 y.db\n' > crash/socred.shards
CR="$SOCRED --db shards:$T/crash/socred.shards"
expect_rc 0 $CR init
for i in 1 2 3; do
	$CR ingest city.csv --rejects crash.rej > /dev/null 2>&1 & pid=$!
	deadline=$((SECONDS + 60))
	while [ ! -s crash/dir.db-wal ] && kill -0 $pid 2> /dev/null && [ $SECONDS -lt $deadline ]; do
		sleep 0.01
	done
	# a random point of the ingest, not a synchronisation
	sleep "0.$((RANDOM % 30))"
	kill -9 $pid 2> /dev/null
	wait $pid 2> /dev/null
done
expect_rc 1 $CR ingest city.csv extra.csv --rejects crash.rej
has out "rejected 1"
$ONE results > one.txt
$CR run --at $AT > /dev/null
$CR results > crash.txt
if [ -s one.txt ] && cmp -s one.txt crash.txt; then ok; else bad "results after kill -9 differ"; diff one.txt crash.txt | head -5; fi
$ONE lists --json > one.txt
$CR lists --json > crash.txt
if cmp -s one.txt crash.txt; then ok; else bad "lists after kill -9 differ"; fi

# a bad map: file, line and field named
printf 'shards 1024\ndirectory d.db\n0-1023 a.db\n5-6 b.db\n' > bad.shards
expect_rc 2 "$SOCRED" --db shards:bad.shards results
has err "bad.shards:4"
has err "logical shard 5 is in two ranges"
# every ledger's audit log verifies
expect_rc 0 $SH audit verify
eq "$(grep -c 'audit log intact' out)" 4 "audit verify over the map"
# commands the map does not carry yet say so
expect_rc 2 $SH expire --before 2020-01-01
has err "not available over a cluster map"
finish
