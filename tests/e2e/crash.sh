# Crash safety: SIGKILL an ingest at random points, many times; the ledger
# stays consistent, holds no half record, and re-running the same ingest
# ends in exactly the state of an uninterrupted run.
. "$(dirname "$0")/lib.bash"

"$SOCRED" generate --people 20000 --orgs 1000 --seed 3 > city.csv 2>/dev/null
"$SOCRED" --db clean.db init > /dev/null
"$SOCRED" --db clean.db ingest city.csv > /dev/null
"$SOCRED" --db clean.db run --at 2025-12-31 --json | run_strip > clean.json

"$SOCRED" init > /dev/null
kills=0
for i in $(seq 20); do
	"$SOCRED" ingest city.csv > /dev/null 2>&1 &
	pid=$!
	sleep "0.$(( (RANDOM % 9) + 1 ))"
	if kill -9 "$pid" 2> /dev/null; then kills=$((kills + 1)); fi
	wait "$pid" 2> /dev/null
	eq "$(sqlite3 socred.db "PRAGMA integrity_check")" "ok" "integrity after kill $i"
	eq "$(sqlite3 socred.db "PRAGMA foreign_key_check" | wc -l)" "0" "foreign keys after kill $i"
	# no half record: every record has its subject, type and source
	eq "$(sqlite3 socred.db "SELECT count(*) FROM records r LEFT JOIN subjects s ON s.id = r.subject LEFT JOIN types t ON t.id = r.type WHERE s.id IS NULL OR t.id IS NULL")" "0" "no half record after kill $i"
done
echo "killed $kills ingests"
"$SOCRED" ingest city.csv > resume.out
eq "$?" "0" "resume"
eq "$(sqlite3 socred.db "SELECT count(*) FROM records")" "$(sqlite3 clean.db "SELECT count(*) FROM records")" "records after resume"
eq "$(sqlite3 socred.db "SELECT count(*) FROM events")" "$(sqlite3 clean.db "SELECT count(*) FROM events")" "events after resume"
eq "$(sqlite3 socred.db "SELECT count(*) FROM consents")" "$(sqlite3 clean.db "SELECT count(*) FROM consents")" "consents after resume"
"$SOCRED" run --at 2025-12-31 --json | run_strip > resumed.json
if cmp -s clean.json resumed.json; then ok; else bad "run after resume differs"; diff clean.json resumed.json | head; fi
finish
