# The files socred keeps: the ledger and every file beside it (journal, WAL,
# shared memory, change counter, image, snapshot, their temporaries) are
# created readable by their owner only, whatever the umask; none is read
# or written through a symbolic link: a link planted in a side file's place
# makes the command that would use it fail with an error naming it, and the
# file it points at is left untouched. A damaged snapshot is never served
# from: the server answers from the ledger and builds a new one.
. "$(dirname "$0")/lib.bash"

umask 022
mkdir ledger
export SOCRED_DB="$T/ledger/socred.db"
DB=$SOCRED_DB
AT=2025-12-31

# mode_all: every file in the ledger's folder is 0600
mode_all() { # when
	local f m
	for f in ledger/* ledger/.[!.]*; do
		[ -e "$f" ] || continue
		m=$(stat -c %a "$f")
		[ "$m" = 600 ] && ok || bad "$f is mode $m after $1, want 600"
	done
}
# start: a server on --today $1 (no rate limit: the metrics are polled);
# its base URL in $URL
start() {
	serve_start srv --threads 2 --today "$1" --rate 0
	PID=$SPID
	URL=$B
	ok
}
stop() { kill -TERM $PID 2> /dev/null; wait $PID 2> /dev/null; }
metric() { curl -s "$URL/metrics" | sed -n "s/^$1 //p"; }
# wait_metric NAME VALUE: up to 60 s
wait_metric() {
	for _ in $(seq 600); do [ "$(metric "$1")" = "$2" ] && return 0; sleep 0.1; done
	return 1
}

"$SOCRED" generate --people 400 --orgs 40 --seed 5 > town.csv 2> /dev/null
# one bad row, so that ingest writes its rejects next to the ledger
{ cat town.csv; echo ",bad-1,not-an-id,court.judgement_default,2025-01-01,,court,"; } > ledger/town.csv
chmod 600 ledger/town.csv
expect_rc 0 "$SOCRED" init
mode_all init
(cd ledger && "$SOCRED" ingest town.csv > /dev/null 2>&1)
[ -s ledger/town.csv.rejects.csv ] && ok || bad "ingest wrote no rejects"
mode_all ingest
expect_rc 0 "$SOCRED" run --at $AT
[ -s "$DB.image" ] && [ -s "$DB.snap" ] && ok || bad "run left no image or snapshot"
mode_all run
ENF=$("$SOCRED" keys add --role enforcer --actions air_travel 2> /dev/null)
LISTED=$("$SOCRED" lists --at $AT | awk -F'\t' 'NR > 1 && $1 == "air_travel_blacklist" {print $2; exit}')
[ -n "$LISTED" ] || LISTED=$("$SOCRED" lists --at $AT | awk -F'\t' 'NR > 1 {print $2; exit}')
[ -n "$LISTED" ] && ok || bad "nobody listed"
check() { curl -s -H "Authorization: Bearer $ENF" "$URL/v1/check?subject=$LISTED&action=air_travel"; }
# a server that builds its own snapshot (another day than run's)
start 2025-12-30
check > /dev/null
wait_metric 'socred_snapshot_builds_total{result="ok"}' 1 && ok || bad "the server built no snapshot"
check > ans
has ans '"decision":"deny"'
# while it runs, SQLite's WAL and shared memory are there too
[ -e "$DB-wal" ] && [ -e "$DB-shm" ] && ok || bad "no WAL or shared memory while serving"
mode_all "serve (running)"
stop
mode_all serve

# a link in each side file's place, pointing at a victim
victim() { printf 'the victim: not socred'"'"'s\n' > victim; cp victim victim.orig; }
planted() { # side command...
	local side=$1; shift
	victim
	rm -f "$DB$side"
	ln -s "$T/victim" "$DB$side"
	"$@" > "$T/out" 2> "$T/err"
	[ $? != 0 ] && ok || bad "$* succeeded with a link at $side"
	has "$T/err" "$DB$side"
	has "$T/err" "symbolic link"
	cmp -s victim victim.orig && ok || bad "the victim of the link at $side was written"
	rm -f "$DB$side"
}
for side in .changes -wal -shm -journal; do
	planted $side "$SOCRED" ingest town.csv
	planted $side "$SOCRED" run --at $AT
done
planted .image "$SOCRED" run --at $AT
planted .snap "$SOCRED" run --at $AT
planted .snap timeout 60 "$SOCRED" serve --listen 127.0.0.1:0 --today $AT
planted .snap "$SOCRED" results
# ingest's rejects (people's rows) under their default name: not through a link
victim
rm -f ledger/town.csv.rejects.csv
ln -s "$T/victim" ledger/town.csv.rejects.csv
(cd ledger && "$SOCRED" ingest town.csv > "$T/out" 2> "$T/err")
has "$T/err" "cannot write rejects to town.csv.rejects.csv: it is a symbolic link"
cmp -s victim victim.orig && ok || bad "the victim of the link at the rejects was written"
rm -f ledger/town.csv.rejects.csv
# gone, everything works again
expect_rc 0 "$SOCRED" run --at $AT
mode_all "the links"

# damaged snapshots: never used (the server builds its own at once, which
# it would not do for an intact one of its day), the same answer
start $AT
check > ans.ref
has ans.ref '"decision":"deny"'
eq "$(metric 'socred_checks_answered_total{from="snapshot"}')" 1 "answered from the snapshot"
stop
SIZE=$(stat -c %s "$DB.snap")
cp "$DB.snap" good.snap
for off in 100 300 $((SIZE / 2)) $((SIZE - 3)); do
	cp good.snap "$DB.snap"
	printf '\377' | dd of="$DB.snap" bs=1 seek=$off conv=notrunc status=none
	start $AT
	check > ans
	cmp -s ans ans.ref && ok || { bad "damage at $off: another answer"; cat ans; }
	wait_metric 'socred_snapshot_builds_total{result="ok"}' 1 && ok || bad "damage at $off: not rebuilt"
	stop
	expect_rc 0 "$SOCRED" results
done
truncate -s $((SIZE - 1000)) "$DB.snap"
start $AT
check > ans
cmp -s ans ans.ref && ok || bad "cut short: another answer"
wait_metric 'socred_snapshot_builds_total{result="ok"}' 1 && ok || bad "cut short: not rebuilt"
stop
finish
