# Crash safety of the service: records posted to the server while it is
# killed (SIGKILL at random points, many times). After every kill the ledger
# is intact and holds no half record; posting the batches again from the
# first one not acknowledged ends in exactly the state of one clean ingest
# of the same records (same counts, same `run` output).
. "$(dirname "$0")/lib.bash"

SOURCE=traffic
"$SOCRED" generate --people 3000 --orgs 200 --seed 3 > city.csv 2> /dev/null
# the records of one source (a provider key is bound to one), through SQLite's
# own CSV reader and writer so quoted fields survive
sqlite3 split.db ".import --csv city.csv c" ".mode csv" ".headers on" ".output mine.csv" \
	"SELECT * FROM c WHERE source = '$SOURCE' ORDER BY rowid"
total=$(($(wc -l < mine.csv) - 1))
[ "$total" -gt 5000 ] && ok || bad "only $total records to post"
# batches of 100 lines, each with the header
tail -n +2 mine.csv | split -l 100 -d -a 3 - part.
for p in part.*; do { head -1 mine.csv; cat "$p"; } > "$p.csv"; rm "$p"; done
nparts=$(ls part.*.csv | wc -l)

"$SOCRED" --db clean.db init > /dev/null
"$SOCRED" --db clean.db ingest mine.csv > /dev/null 2>&1
strip() { run_strip; }
"$SOCRED" --db clean.db run --at 2025-12-31 --json | strip > clean.json

"$SOCRED" init > /dev/null
KEY=$("$SOCRED" keys add --role provider --source $SOURCE 2> /dev/null)
SPID=
start() { serve_start serve --threads 2; }
# post N: posts part N; 0 when the server acknowledged it (200)
post() {
	local f; f=$(printf 'part.%03d.csv' "$1")
	[ "$(curl -s -o resp -w '%{http_code}' -H "Authorization: Bearer $KEY" -H 'Content-Type: text/csv' \
		--data-binary "@$f" "$B/v1/records")" = 200 ]
}
next=0 kills=0
for round in $(seq 20); do
	start
	# the killer: SIGKILL after a random 0.02 to 0.2 s of posting (the
	# scenario, not a wait: any point of the posting will do)
	( sleep "0.$(printf '%02d' $(( (RANDOM % 10 + 1) * 2 )))"; kill -9 "$SPID" 2> /dev/null ) &
	killer=$!
	while [ "$next" -lt "$nparts" ] && post "$next"; do next=$((next + 1)); done
	wait "$killer"
	wait "$SPID" 2> /dev/null
	kills=$((kills + 1))
	eq "$(sqlite3 socred.db "PRAGMA integrity_check")" ok "integrity after kill $round"
	eq "$(sqlite3 socred.db "SELECT count(*) FROM records r LEFT JOIN subjects s ON s.id = r.subject WHERE s.id IS NULL")" 0 "no half record after kill $round"
	stored=$(sqlite3 socred.db "SELECT count(*) FROM records")
	echo "kill $round: $next of $nparts batches acknowledged, $stored records stored"
done
# then the rest, from the first batch not acknowledged
start
while [ "$next" -lt "$nparts" ]; do post "$next" && next=$((next + 1)) || { bad "batch $next refused"; cat resp; break; }; done
kill -TERM "$SPID"
wait "$SPID"
eq "$kills" 20 "kills"
for t in records events consents; do
	eq "$(sqlite3 socred.db "SELECT count(*) FROM $t")" "$(sqlite3 clean.db "SELECT count(*) FROM $t")" "$t after the kills"
done
"$SOCRED" run --at 2025-12-31 --json | strip > resumed.json
cmp -s clean.json resumed.json && ok || { bad "run after the kills differs"; diff clean.json resumed.json | head -5; }
expect_rc 0 "$SOCRED" audit verify
finish
