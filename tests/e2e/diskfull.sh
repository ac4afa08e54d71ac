# Disk full: an ingest into a ledger on a 10 MiB filesystem (a tmpfs the test
# mounts) stops with a clear error, leaves a consistent ledger holding whole
# batches only, and, once there is room, the same ingest resumes to exactly
# the state of an uninterrupted run. Where mounting is not allowed (not
# root, no CAP_SYS_ADMIN), the same with the file-size limit (ulimit -f),
# which makes writes fail the same way.
. "$(dirname "$0")/lib.bash"

"$SOCRED" generate --people 20000 --orgs 1000 --seed 3 > city.csv 2> /dev/null
"$SOCRED" --db clean.db init > /dev/null
"$SOCRED" --db clean.db ingest city.csv > /dev/null 2>&1
strip() { run_strip; }
"$SOCRED" --db clean.db run --at 2025-12-31 --json | strip > clean.json

mkdir small
MOUNTED=0
if mount -t tmpfs -o size=10m tmpfs small 2> /dev/null; then
	MOUNTED=1
	trap 'umount "$T/small" 2> /dev/null; rm -rf "$T"' EXIT
	echo "disk full: a 10 MiB tmpfs"
else
	echo "disk full: no mount allowed here; a 10 MiB file-size limit instead"
fi
DB=$T/small/l.db
"$SOCRED" --db "$DB" init > /dev/null
if [ "$MOUNTED" = 1 ]; then
	"$SOCRED" --db "$DB" ingest city.csv > out 2> err
	rc=$?
else
	(trap '' XFSZ; ulimit -f 10240; exec "$SOCRED" --db "$DB" ingest city.csv > out 2> err)
	rc=$?
fi
eq "$rc" 2 "ingest on a full disk exits 2"
grep -qE "l\.db: (database or disk is full|disk I/O error)" err && ok || { bad "no disk-full error"; head -3 err; }
has err "ingest of city.csv stopped: the batch being written was rolled back, earlier batches are stored"
eq "$(sqlite3 "$DB" "PRAGMA integrity_check")" ok "integrity on the full disk"
stored=$(sqlite3 "$DB" "SELECT count(*) FROM records")
[ "$stored" -gt 0 ] && [ "$stored" -lt "$(sqlite3 clean.db "SELECT count(*) FROM records")" ] && ok || bad "stored $stored records before the disk filled"
eq "$(sqlite3 "$DB" "SELECT count(*) FROM records r LEFT JOIN subjects s ON s.id = r.subject WHERE s.id IS NULL")" 0 "no half record"
# reads still work on the full disk
expect_rc 0 "$SOCRED" --db "$DB" rulebook show

# room again: the same ingest resumes
if [ "$MOUNTED" = 1 ]; then
	mount -o remount,size=256m "$T/small"
	"$SOCRED" --db "$DB" ingest city.csv > out 2> err
else
	"$SOCRED" --db "$DB" ingest city.csv > out 2> err
fi
eq "$?" 0 "resumed ingest"
for t in records events consents names; do
	eq "$(sqlite3 "$DB" "SELECT count(*) FROM $t")" "$(sqlite3 clean.db "SELECT count(*) FROM $t")" "$t after resume"
done
"$SOCRED" --db "$DB" run --at 2025-12-31 --json | strip > resumed.json
cmp -s clean.json resumed.json && ok || { bad "run after resume differs"; diff clean.json resumed.json | head -5; }
finish
