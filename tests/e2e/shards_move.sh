# Moving a logical shard moves its subjects' whole files: after
# `shards move`, every moved subject's report (GET /v1/subjects/ID/report)
# from the new ledger is the old ledger's byte for byte, but for the ids
# the new ledger gives (disputes and repair applications: "id"; access
# log entries: "seq" and "node", places in each ledger's own chain). The
# moved shard holds a dispute (opened, told to an enforcer meanwhile,
# decided: a revocation), a statement, a repair application (approved: a
# rectification), consent, a share link, a registered name, and rectify
# and revoke lines with their own refs. results and lists over the map
# are the same before and after. The move holds the old ledger's write
# lock (SQLite: a move while an ingest's batch is open is refused, the
# map unchanged), and an ingest over a map rewritten under it stops.
#
# The ledgers: $SOCRED_SHARD_LEDGERS (the first two are used: SQLite files
# or PostgreSQL URIs of empty databases) and $SOCRED_SHARD_MOVE_TO; by
# default SQLite files in the test's folder.
. "$(dirname "$0")/lib.bash"
SPID=
stop() { [ -n "$SPID" ] && kill -TERM "$SPID" 2> /dev/null && wait "$SPID"; SPID=; }
trap 'stop; rm -rf "$T"' EXIT

AT=2026-06-01
read -r -a L <<< "${SOCRED_SHARD_LEDGERS:-$T/a.db $T/b.db}"
MOVE_TO=${SOCRED_SHARD_MOVE_TO:-$T/d.db}
MAP=$T/socred.shards
SH="$SOCRED --db shards:$MAP"
cat > "$MAP" <<EOF
shards 4
directory dir.db
0-1 ${L[0]}
2-3 ${L[1]}
EOF
# locked LEDGER: its write lock is held (polled for up to 60 s, then fails
# the test): SQLite's by a transaction begun IMMEDIATE, PostgreSQL's by the
# advisory lock socred takes
LOCK_WAIT=$((SECONDS + 60))
locked() {
	[ $SECONDS -lt $LOCK_WAIT ] || { bad "$1 was never locked"; finish; exit 1; }
	case $1 in
	postgresql:* | postgres:*)
		[ "$(psql -At "$1" -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted" 2> /dev/null)" -gt 0 ] ;;
	*) ! sqlite3 "$1" "BEGIN IMMEDIATE; ROLLBACK;" 2> /dev/null ;;
	esac
}
# shard ID: its logical shard of 4 (the low bits of SHA-256's first 8 bytes)
shard() { local h; h=$(printf %s "$1" | sha256sum); echo $(( 0x${h:15:1} & 3 )); }

"$SOCRED" generate --people 400 --orgs 20 > city.csv 2> /dev/null
cut -d, -f3 city.csv | grep -v '^subject$' | sort -u > subjects.txt
while read -r s; do echo "$s $(shard "$s")"; done < subjects.txt > shard_of.txt
# P: a judgment defaulter of 2025 (listed on $AT) on logical shard N, the
# one moved; Q: another subject of shard N
IFS=, read -r _ RP P _ < <(grep ',court.judgment_default,2025-' city.csv | head -1)
N=$(shard "$P")
Q=$(awk -v n="$N" -v p="$P" '$2 == n && $1 != p {print $1; exit}' shard_of.txt)
RQ=$(grep -m1 ",$Q," city.csv | cut -d, -f2)
[ -n "$P" ] && [ -n "$RQ" ] && ok || { bad "no judgment defaulter of 2025 and neighbour"; finish; exit 1; }
# S: a third subject of shard N with two records before 2026-03 (a
# rectification and a revocation with refs of their own)
S=$(awk -v n="$N" -v p="$P" -v q="$Q" '$2 == n && $1 != p && $1 != q {print $1}' shard_of.txt |
	while read -r s; do
		[ "$(grep -c ",$s,[^,]*,202[0-5]-" city.csv)" -ge 2 ] && { echo "$s"; break; }
	done)
[ -n "$S" ] && ok || bad "no third subject with two records on shard $N"
RS1=$(grep ",$S,[^,]*,202[0-5]-" city.csv | sed -n 1p)
RS2=$(grep ",$S,[^,]*,202[0-5]-" city.csv | sed -n 2p)
{
	echo "op,record_id,subject,type,date,amount,source,ref,name"
	echo "rectify,$(cut -d, -f2 <<< "$RS1"),,,2026-03-02,,$(cut -d, -f7 <<< "$RS1"),RECT-REF-77,"
	echo "revoke,$(cut -d, -f2 <<< "$RS2"),,,2026-03-03,,$(cut -d, -f7 <<< "$RS2"),REV-REF-88,"
	echo "consent,,$P,public,2026-01-01,,,,"
	echo "register,,$P,,2026-01-01,,,,Zhang Movedshard"
} > extra.csv

expect_rc 0 $SH init
expect_rc 0 $SH ingest city.csv extra.csv
has out "rejected 0"
LP=$($SH shards where "$P" | cut -f3)
eq "$($SH shards where "$P" | cut -f2)" "shard $N of 4" "shards where $P"
# X: a subject on P's ledger, not on shard N (its dispute takes an id the
# new ledger gives to another)
X=$(awk -v n=$((N ^ 1)) '$2 == n {print $1; exit}' shard_of.txt)
RX=$(grep -m1 ",$X," city.csv | cut -d, -f2)
[ -n "$RX" ] && [ "$($SH shards where "$X" | cut -f3)" = "$LP" ] && ok || bad "no subject on $LP off shard $N"
LO=${L[$(( N < 2 ? 1 : 0 ))]}

# keys: the registry-wide ones (admin, provider, enforcer) alike on the
# old and the new ledger, as a control ledger would hold them (their ids
# and names show in a report's inquiries); subjects' keys unnamed, on the
# old one only (an unnamed key shows the same on any ledger)
expect_rc 0 "$SOCRED" --db "$MOVE_TO" init
ADMIN_OLD=$("$SOCRED" --db "$LP" keys add --role admin --name ops 2> /dev/null)
COURT=$("$SOCRED" --db "$LP" keys add --role provider --source court --name "court desk" 2> /dev/null)
ENF=$("$SOCRED" --db "$LP" keys add --role enforcer --actions air_travel --name "an airline" 2> /dev/null)
ADMIN_NEW=$("$SOCRED" --db "$MOVE_TO" keys add --role admin --name ops 2> /dev/null)
"$SOCRED" --db "$MOVE_TO" keys add --role provider --source court --name "court desk" > /dev/null 2>&1
"$SOCRED" --db "$MOVE_TO" keys add --role enforcer --actions air_travel --name "an airline" > /dev/null 2>&1
SUBP=$("$SOCRED" --db "$LP" keys add --role subject --subject "$P" 2> /dev/null)
SUBQ=$("$SOCRED" --db "$LP" keys add --role subject --subject "$Q" 2> /dev/null)
SUBX=$("$SOCRED" --db "$LP" keys add --role subject --subject "$X" 2> /dev/null)
[ -n "$SUBX" ] && [ -n "$ENF" ] && [ -n "$ADMIN_NEW" ] && ok || bad "keys add failed"

req() { # req WANT KEY METHOD PATH [BODY]: the answer's body in resp
	local auth=() data=() code
	[ -n "$2" ] && auth=(-H "Authorization: Bearer $2")
	[ -n "${5:-}" ] && data=(-H "Content-Type: application/json" --data-binary "$5")
	code=$(curl -s -o resp -w '%{http_code}' "${auth[@]}" -X "$3" "${data[@]}" "$B$4")
	[ "$code" = "$1" ] && ok || { bad "$3 $4: $code, want $1"; head -c 300 resp; echo; }
}
# due process on the old ledger, through its server
serve_start old --db "$LP" --today "$AT" --threads 1 --rate 0
req 201 "$SUBX" POST "/v1/subjects/$X/disputes" "{\"record\":\"$RX\",\"reason\":\"not mine either\"}"
req 201 "$SUBP" POST "/v1/subjects/$P/disputes" "{\"record\":\"$RP\",\"reason\":\"not mine\"}"
DP=$(grep -o '"id":[0-9]*' resp | head -1 | cut -d: -f2)
eq "$DP" 2 "P's dispute is the old ledger's second"
req 200 "$ENF" GET "/v1/check?subject=$P&action=air_travel"
req 200 "$COURT" POST "/v1/disputes/$DP/decision" '{"outcome":"corrected","note":"identity mix-up"}'
req 201 "$SUBQ" POST "/v1/subjects/$Q/statements" "{\"record\":\"$RQ\",\"text\":\"Paid since.\"}"
req 201 "$SUBQ" POST "/v1/subjects/$Q/repairs" "{\"record\":\"$RQ\",\"commitment\":\"I will pay in full.\"}"
DR=$(grep -o '"id":[0-9]*' resp | head -1 | cut -d: -f2)
req 200 "$COURT" POST "/v1/repairs/$DR/decision" '{"outcome":"approved"}'
req 201 "$SUBP" POST "/v1/subjects/$P/shares" '{"days":7}'
SHARE=$(grep -o '"url":"[^"]*"' resp | cut -d'"' -f4)
[ -n "$SHARE" ] && ok || bad "no share link"
stop
# inquiries at the command line, over the map
expect_rc 0 $SH check "$P" air_travel --at "$AT"
expect_rc 0 $SH explain "$S" --at "$AT"
# the move needs the old ledger's write lock: while an ingest's batch is
# open (its input a pipe it waits on), a move is refused and the map stays
# (SQLite: its lock waits 5 s; PostgreSQL's waits for the batch's end)
case $LP in
postgresql:* | postgres:*) ;;
*)
	mkfifo in.fifo
	$SH ingest - --rejects fifo.rej < in.fifo > fifo.out 2> fifo.err & IPID=$!
	exec 3> in.fifo
	echo "op,record_id,subject,type,date,amount,source,ref" >&3
	echo ",mv-fifo-1,$P,court.judgment_default,2026-02-01,,court,(2026) FIFO 1" >&3
	# the batch is open when the old ledger's write lock is taken
	LOCK_WAIT=$((SECONDS + 60))
	until locked "$LP"; do sleep 0.05; done
	cp "$MAP" map.before
	expect_rc 2 $SH shards move "$N" --to "$MOVE_TO"
	has err "cannot take the write lock"
	cmp -s "$MAP" map.before && ok || bad "a refused move changed the map"
	exec 3>&-
	wait $IPID; eq $? 0 "the ingest the move was refused for"
	has fifo.out "accepted 1"
	;;
esac
$SH run --at "$AT" > /dev/null 2>&1 || bad "run before the move"
$SH results > results.before
$SH lists --json > lists.before

# over the map, disputes and repair applications show registry-wide ids
# (the map's directory): the move keeps them
ADMIN_MAP=$($SH keys add --role admin --name "map ops" 2> /dev/null)
map_lists() { # map_lists SUFFIX: the disputes and repairs a server over the map lists
	serve_start map --db "shards:$MAP" --today "$AT" --threads 1 --rate 0
	req 200 "$ADMIN_MAP" GET /v1/disputes; cp resp "disputes.$1"
	req 200 "$ADMIN_MAP" GET /v1/repairs; cp resp "repairs.$1"
	stop
}
# a server over the map, running through the move: it lists before, and
# refuses writes after (the map it serves is no longer the map)
COURT_MAP=$($SH keys add --role provider --source court --name "map court" 2> /dev/null)
serve_start map --db "shards:$MAP" --today "$AT" --threads 1 --rate 0
req 200 "$ADMIN_MAP" GET /v1/disputes; cp resp disputes.before
req 200 "$ADMIN_MAP" GET /v1/repairs; cp resp repairs.before
has disputes.before "\"subject\":\"$P\""

expect_rc 0 $SH shards move "$N" --to "$MOVE_TO"
has out "moved logical shard $N:"
c=$(curl -s -o resp -w '%{http_code}' -H "Authorization: Bearer $COURT_MAP" -H 'Content-Type: text/csv' \
	--data-binary "op,record_id,subject,type,date,amount,source,ref
,mv-after-1,$P,court.judgment_default,2026-02-02,,court,(2026) after 1" "$B/v1/records")
eq "$c" 503 "a filing through a server over a map rewritten since it started"
has resp "the cluster map was rewritten"
has resp "logical shard $N moved to"
stop
has out " 1 disputes, 1 statements, 1 repair applications, 1 share links, 1 names,"
has "$MAP" "$N-$N $MOVE_TO"
eq "$($SH shards where "$P" | cut -f3)" "$MOVE_TO" "shards where $P after the move"
# the move's own audit entry in both ledgers' logs names the shard and the count
MOVED=$(awk -v n="$N" '$2 == n' shard_of.txt | wc -l)
"$SOCRED" --db "$LP" audit list > old.audit
"$SOCRED" --db "$MOVE_TO" audit list > new.audit
has old.audit "shard $N to "
has old.audit ": $MOVED subjects, the map rewritten"
has new.audit "shard $N from "
has new.audit ": $MOVED subjects, "
# ... and which of the new ledger's entries are the copies
A=$(grep -o "access entries copied (seq [0-9]* to [0-9]*)" new.audit | grep -o '[0-9][0-9]*' | head -1)
Z=$(grep -o "access entries copied (seq [0-9]* to [0-9]*)" new.audit | grep -o '[0-9][0-9]*' | tail -1)
[ -n "$A" ] && [ "$A" -gt 0 ] && [ "$Z" -ge "$A" ] && ok || bad "no seq range of the copies"
eq "$(awk -F'\t' -v a="$A" -v z="$Z" 'NR > 1 && $1 >= a && $1 <= z && $6 != "" {n++} END {print n + 0}' new.audit)" \
   "$(awk -F'\t' -v a="$A" -v z="$Z" 'NR > 1 && $1 >= a && $1 <= z {n++} END {print n + 0}' new.audit)" \
   "the copies are about subjects"

# every moved subject's report: the new ledger's, then the old one's
# (which the move leaves as it was); neither holds the other's reading
strip() { sed 's/"id":[0-9]*/"id":N/g; s/"seq":[0-9]*/"seq":N/g; s/,"node":[0-9]*//g'; }
mkdir new old
serve_start new --db "$MOVE_TO" --today "$AT" --threads 1 --rate 0
awk -v n="$N" '$2 == n {print $1}' shard_of.txt > moved.txt
while read -r s; do req 200 "$ADMIN_NEW" GET "/v1/subjects/$s/report"; strip < resp > "new/$s"; done < moved.txt
stop
serve_start old --db "$LP" --today "$AT" --threads 1 --rate 0
while read -r s; do req 200 "$ADMIN_OLD" GET "/v1/subjects/$s/report"; strip < resp > "old/$s"; done < moved.txt
stop
while read -r s; do
	if [ -s "old/$s" ] && cmp -s "old/$s" "new/$s"; then ok; else bad "report of $s differs"; diff <(tr , '\n' < "old/$s") <(tr , '\n' < "new/$s") | head -10; fi
done < moved.txt
# what the reports hold
has "new/$P" '"status":"decided","decided":"'$AT'","outcome":"corrected","decided_by"'
has "new/$P" '"told_meanwhile":[{'
has "new/$P" '"action":"cli check by os:'
has "new/$Q" '"statements":[{"record":"'$RQ'","text":"Paid since."'
has "new/$Q" '"outcome":"approved"'
has "new/$S" '"rectified":"2026-03-02"'
has "new/$S" '"revoked":"2026-03-03"'
# the share link and the registered name (public search) answer on the
# new ledger as on the old
for side in new old; do
	[ "$side" = new ] && l=$MOVE_TO || l=$LP
	serve_start $side --db "$l" --today "$AT" --threads 1 --rate 0
	req 200 "" GET "$SHARE"
	strip < resp > "share.$side"
	req 200 "" GET "/v1/search?q=Zhang%20Movedshard"
	cp resp "search.$side"
	stop
done
cmp -s share.old share.new && ok || bad "the share link answers differently"
has search.new "Zhang"
cmp -s search.old search.new && ok || bad "the name search answers differently"
# the events' own refs, and the revocation's ref naming P's dispute by its
# new id (1: the old ledger's 2)
case $MOVE_TO in
postgresql:* | postgres:*) refs=$(psql -At "$MOVE_TO" -c "SELECT ref FROM events ORDER BY seq") ;;
*) refs=$(sqlite3 "$MOVE_TO" "SELECT ref FROM events ORDER BY seq") ;;
esac
for r in RECT-REF-77 REV-REF-88 "dispute 1 corrected" "credit repair 1 approved"; do
	grep -qxF "$r" <<< "$refs" && ok || bad "no event ref '$r' on the new ledger"
done

$SH run --at "$AT" > /dev/null 2>&1 || bad "run after the move"
map_lists after
if cmp -s disputes.before disputes.after; then ok; else bad "disputes over the map differ"; cat disputes.before; echo; cat disputes.after; echo; fi
if cmp -s repairs.before repairs.after; then ok; else bad "repairs over the map differ"; cat repairs.before; echo; cat repairs.after; echo; fi

# results and lists over the map: the same after the move
$SH run --at "$AT" > /dev/null 2>&1 || bad "run after the move"
$SH results > results.after
$SH lists --json > lists.after
cmp -s results.before results.after && [ -s results.after ] && ok || bad "results differ after the move"
cmp -s lists.before lists.after && ok || bad "lists differ after the move"
# moving it again: nothing to do
expect_rc 0 $SH shards move "$N" --to "$MOVE_TO"
has out "is on $MOVE_TO already"

# an ingest over a map rewritten under it (as a move that ended between
# two of its batches does) stops at its next batch, naming the shard
mkfifo in2.fifo
$SH ingest - extra.csv --rejects w.rej < in2.fifo > w.out 2> w.err & IPID=$!
exec 4> in2.fifo
echo "op,record_id,subject,type,date,amount,source,ref" >&4
# its first batch open (the map read, checked and the locks held)
LOCK_WAIT=$((SECONDS + 60))
until locked "$LP"; do sleep 0.05; done
cp "$MAP" map.kept
M=$((N ^ 1))
{
	printf 'shards 4\ndirectory dir.db\n'
	for i in 0 1 2 3; do
		if [ "$i" = "$N" ] || [ "$i" = "$M" ]; then echo "$i $MOVE_TO"
		elif [ "$i" -lt 2 ]; then echo "$i ${L[0]}"
		else echo "$i ${L[1]}"; fi
	done
} > map.new
mv map.new "$MAP"
exec 4>&-
wait $IPID; eq $? 2 "an ingest over a rewritten map"
has w.err "the cluster map was rewritten since it was read (logical shard $M moved to $MOVE_TO)"
has w.err "the batch being written was rolled back, earlier batches are stored; run the same ingest again"
mv map.kept "$MAP"

# a move run again onto a ledger holding the files already (as after a
# failure past the copy) files nothing twice and still verifies
sed "s|^$N-$N .*|$N-$N $LP|; s|^$N $MOVE_TO\$|$N $LP|" "$MAP" > map.back
grep -q "^$N\(-$N\)\? $LP\$" map.back && ok || { bad "cannot point shard $N back"; cat map.back; }
mv map.back "$MAP"
expect_rc 0 $SH shards move "$N" --to "$MOVE_TO"
has out " 0 disputes, 0 statements, 0 repair applications, 0 share links, 0 names,"
has "$MAP" "$N-$N $MOVE_TO"

expect_rc 0 $SH audit verify
finish
