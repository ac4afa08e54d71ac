# serve over a cluster map (--db shards:MAP): a server over three ledgers
# answers over HTTP exactly as a server over one ledger fed the same city:
# checks of every action for a sample of subjects (from the decision
# snapshots, and from the ledgers after a filing), subject reports, a
# provider's filing and its effect on the checks, a record_id filed again
# for a subject on another ledger (refused with one ledger's message), a
# share link, a rulebook published on every ledger, disputes, statements
# and repair applications on two ledgers (registry-wide ids), listed and
# decided, the operators' statistics; after a move of a logical shard, a
# moved subject's open dispute is found and decided by the id it had.
#
# The ledgers: $SOCRED_SHARD_LEDGERS (three, space-separated: SQLite files
# or PostgreSQL URIs of empty databases) and $SOCRED_SHARD_MOVE_TO (a
# fourth, for a move); by default SQLite files here.
. "$(dirname "$0")/lib.bash"

TODAY=2026-06-01
ACTIONS="air_travel rail_high_speed star_hotel public_procurement government_subsidy deposit_free_bike loan_preferential_rate customs_simplified_clearance invoice_fast_track"
read -r -a L <<< "${SOCRED_SHARD_LEDGERS:-$T/a.db $T/b.db $T/c.db}"
MOVE_TO=${SOCRED_SHARD_MOVE_TO:-$T/d.db}
[ "${#L[@]}" = 3 ] || { echo "SOCRED_SHARD_LEDGERS names ${#L[@]} ledgers, want 3"; exit 1; }
ONE="$SOCRED --db $T/one.db"
MAP=$T/socred.shards
SH="$SOCRED --db shards:$MAP"
cat > "$MAP" <<EOF
shards 1024
directory dir.db
0-300 ${L[0]}
301-700 ${L[1]}
701-1023 ${L[2]}
EOF

"$SOCRED" generate --people 2000 --orgs 100 > city.csv 2> /dev/null
expect_rc 0 $ONE init
expect_rc 0 $SH init
expect_rc 0 $ONE ingest city.csv
expect_rc 0 $SH ingest city.csv
# snapshots for the day the servers answer on (one per ledger over the map)
expect_rc 0 $ONE run --at $TODAY
expect_rc 0 $SH run --at $TODAY

where() { $SH shards where "$1" | cut -f3; }
# S1: a subject on a ledger other than the first (the home of keys), with
# a record R1; S2: a subject on yet another ledger than S1's
S1=
while IFS=, read -r _ R1 S1 _; do
	[ "$(where "$S1")" != "${L[0]}" ] && break
done < <(grep '^,' city.csv | head -200)
S2=
for s in $(cut -d, -f3 city.csv | sort -u | head -300); do
	if [ "$(where "$s")" != "$(where "$S1")" ]; then S2=$s; break; fi
done
[ -n "$S1" ] && [ -n "$S2" ] && [ "$(where "$S1")" != "${L[0]}" ] && ok || bad "no subjects on two ledgers"

# names for public search: organisations "Acme Trading N" and two persons
# "Zhao Li" on several ledgers, each on a public list
{
	echo "op,record_id,subject,type,date,amount,source,ref,name"
	k=0
	for o in $(awk -F, '$3 ~ /^9/ {print $3}' city.csv | sort -u | head -12); do
		k=$((k + 1))
		echo "register,,$o,,2020-01-01,,,,Acme Trading $k"
		echo ",acme-$k,$o,tax.evasion,2025-06-01,,tax,SAT (2025) $k,"
	done
	for p in $(awk -F, '$3 ~ /^1/ {print $3}' city.csv | sort -u | head -4); do
		k=$((k + 1))
		echo "register,,$p,,2020-01-01,,,,Zhao Li"
		echo ",zl-$k,$p,court.judgment_default,2025-11-01,,court,(2025) Jing $k,"
	done
} > names.csv
expect_rc 0 $ONE ingest names.csv
expect_rc 0 $SH ingest names.csv
n=$(for o in $(grep -o '^register,,[^,]*' names.csv | cut -d, -f3); do where "$o"; done | sort -u | wc -l)
eq "$n" 3 "named subjects on every ledger"

# the same keys, in the same order, on both: the map's on its first ledger
for who in ONE SH; do
	X=${!who}
	eval "${who}_ADMIN=\$($X keys add --role admin --name ops 2> /dev/null)"
	eval "${who}_PROV=\$($X keys add --role provider --source court --name a-court 2> /dev/null)"
	eval "${who}_ENF=\$($X keys add --role enforcer --actions ${ACTIONS// /,} --name an-enforcer 2> /dev/null)"
	eval "${who}_SUBJ=\$($X keys add --role subject --subject $S1 2> /dev/null)"
done
[ -n "$SH_ENF" ] && [ -n "$ONE_ENF" ] && ok || bad "keys not made"
"$SOCRED" --db "${L[0]}" keys list > keys.txt
has keys.txt "an-enforcer"

serve_start one --db "$T/one.db" --today $TODAY --threads 2 --rate 0
B1=$B
P1=$SPID
serve_start map --db "shards:$MAP" --today $TODAY --threads 2 --rate 0
B3=$B
P3=$SPID
has map.out "shards:"

# both KEYWHO METHOD PATH [BODY [TYPE]]: the request to both servers (each
# with its own key of that name), answers in one.txt and sh.txt and
# statuses in $C1 and $C3
both() {
	local who=$1 m=$2 p=$3 body=${4:-} type=${5:-text/csv} k1 k3
	k1=ONE_$who
	k3=SH_$who
	local a1=() a3=()
	[ "$who" != NONE ] && a1=(-H "Authorization: Bearer ${!k1}") && a3=(-H "Authorization: Bearer ${!k3}")
	if [ -n "$body" ]; then
		C1=$(curl -s -o one.txt -w '%{http_code}' "${a1[@]}" -X "$m" -H "Content-Type: $type" --data-binary "$body" "$B1$p")
		C3=$(curl -s -o sh.txt -w '%{http_code}' "${a3[@]}" -X "$m" -H "Content-Type: $type" --data-binary "$body" "$B3$p")
	else
		C1=$(curl -s -o one.txt -w '%{http_code}' "${a1[@]}" -X "$m" "$B1$p")
		C3=$(curl -s -o sh.txt -w '%{http_code}' "${a3[@]}" -X "$m" "$B3$p")
	fi
}
same() { # same WHAT: both answered alike, byte for byte
	if [ "$C1" = "$C3" ] && [ -s one.txt ] && cmp -s one.txt sh.txt; then ok; else
		bad "$1: $C1 and $C3 differ"; head -c 300 one.txt; echo; head -c 300 sh.txt; echo
	fi
}

# checks of every action for a sample (every 100th subject; under memcheck
# every 400th)
EVERY=100
[ "${SOCRED_VALGRIND:-0}" = 1 ] && EVERY=400
SAMPLE=$( (echo "$S1"; echo "$S2"; cut -d, -f3 city.csv | sort -u | awk "NR % $EVERY == 1") | sort -u)
checks() { # checks WHAT SUBJECTS...
	local what=$1 s a; shift
	for s in "$@"; do
		for a in $ACTIONS; do
			both ENF GET "/v1/check?subject=$s&action=$a"
			same "check $s $a ($what)"
		done
	done
}
checks "snapshots" $SAMPLE
# a valid id with no file, and a malformed one: as one ledger answers
checks "no file" 11010119900307001X
both ENF GET "/v1/check?subject=nobody&action=air_travel"
same "check of a malformed id"
# the checks came from the ledgers' snapshots
curl -s "$B3/metrics" > metrics.txt
grep -q 'socred_checks_answered_total{from="snapshot"} [1-9]' metrics.txt && ok || bad "no check from the snapshots"

# reports, but for when the inquiries were made and their place in each log
strip() { jq -c 'del(.inquiries[].at, .inquiries[].seq, .inquiries[].node)' "$1"; }
for s in $SAMPLE; do
	both ADMIN GET "/v1/subjects/$s/report"
	if [ "$C1" = 200 ] && [ "$C3" = 200 ] && [ "$(strip one.txt)" = "$(strip sh.txt)" ]; then ok; else
		bad "report of $s differs ($C1, $C3)"; diff <(strip one.txt | tr , '\n') <(strip sh.txt | tr , '\n') | head -5
	fi
done
# the report names the enforcer who asked, a key of the home ledger
both SUBJ GET "/v1/subjects/$S1/report"
jq -e '.inquiries | map(select(.who == "an-enforcer")) | length > 0' sh.txt > /dev/null && ok || bad "the report does not name the enforcer"
eq "$(strip sh.txt)" "$(strip one.txt)" "the subject's own report"

# a court judgment filed for S1: the answer per line, then the checks
# (S1 changed: from its ledger, not the snapshot)
CSV="op,record_id,subject,type,date,source,ref
,srv-1,$S1,court.judgment_default,2026-04-20,court,(2026) Jing 7
,srv-2,$S2,court.judgment_default,2026-04-21,court,(2026) Jing 8"
both PROV POST /v1/records "$CSV"
same "filing two records"
has sh.txt '"accepted":2'
checks "after a filing" "$S1" "$S2"
both ENF GET "/v1/check?subject=$S1&action=air_travel"
has sh.txt '"deny"'
# each record on its subject's ledger, claimed in the directory
"$SOCRED" --db "$(where "$S1")" explain "$S1" --json --at $TODAY > s1.json
has s1.json srv-1
"$SOCRED" --db "$(where "$S2")" explain "$S2" --json --at $TODAY > s2.json
has s2.json srv-2
# the same looks at the one ledger (they are in the subjects' reports)
$ONE explain "$S1" --json --at $TODAY > /dev/null
$ONE explain "$S2" --json --at $TODAY > /dev/null
# the same again: duplicates on both
both PROV POST /v1/records "$CSV"
same "filing the same records again"
has sh.txt '"duplicates":2'
# R1 (S1's, on S1's ledger) filed for S2 (another ledger): refused with
# the message one ledger gives
BAD="op,record_id,subject,type,date,source,ref
,$R1,$S2,court.judgment_default,2026-05-22,court,(2026) Jing 9"
both PROV POST /v1/records "$BAD"
same "a record_id of another subject"
has sh.txt "already filed with a different subject"
has sh.txt '"rejected":1'
# and a rectification of srv-2 goes to S2's ledger by the directory
FIX="op,record_id,subject,type,date,source,ref
rectify,srv-2,,,2026-05-25,court,fix"
both PROV POST /v1/records "$FIX"
same "a rectification"
checks "after a rectification" "$S2"
# the ingest over the map sees the server's claims: R1 for S2 is refused there too
printf 'op,record_id,subject,type,date,source,ref\n,srv-1,%s,court.judgment_default,2026-05-20,court,x\n' "$S2" > again.csv
$SH ingest again.csv --rejects again.rej > /dev/null 2>&1
has again.rej "already filed with a different subject"

# a share link made on S1's ledger is found through the map
both SUBJ POST "/v1/subjects/$S1/shares" '{"days":7}' application/json
eq "$C3 $(jq -c .expires sh.txt)" "$C1 $(jq -c .expires one.txt)" "making a share link"
U1=$(jq -r .url one.txt)
U3=$(jq -r .url sh.txt)
C1=$(curl -s -o one.txt -w '%{http_code}' "$B1$U1")
C3=$(curl -s -o sh.txt -w '%{http_code}' "$B3$U3")
same "a share link"

# consent for S1, by its own key, on its ledger
both SUBJ POST "/v1/subjects/$S1/consent" '{"scorecard":"public","granted":true}' application/json
same "consent given"
checks "after consent" "$S1"

# a rulebook published over HTTP reaches every ledger
sed 's/^version: .*/version: "next"/' "$SRC/rulebooks/default.yaml" > next.yaml
both ADMIN POST "/v1/rulebooks?effective=2026-07-01" "$(cat next.yaml)" application/yaml
same "publishing a rulebook"
for l in "${L[@]}"; do
	"$SOCRED" --db "$l" rulebook list > rb.txt 2>&1
	has rb.txt "next"
done

# public search and list search: every ledger's finds in one ledger's order
enc() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n' | sed 's/../%&/g'; }
for q in "Acme" "acme trading 1" "Zhao Li" "$S1" "$(grep -o '^register,,9[^,]*' names.csv | head -1 | cut -d, -f3)" "Nobody"; do
	both NONE GET "/v1/search?q=$(enc "$q")"
	same "search for $q"
	both NONE GET "/v1/lists/judgment_defaulters?q=$(enc "$q")"
	same "judgment_defaulters search for $q"
done
both NONE GET "/v1/search?q=Acme"
[ "$(jq '.results | length' sh.txt)" -ge 10 ] && ok || bad "search for Acme found $(jq '.results | length' sh.txt)"

# due process over the map: disputes, statements and repair applications
# on two ledgers get the registry's ids (one ledger's numbering), and are
# listed, decided and reported as on one ledger
R2=$(awk -F, -v s="$S2" '$1 == "" && $3 == s {print $2; exit}' city.csv)
[ -n "$R2" ] && ok || bad "no record of $S2"
for who in ONE SH; do
	X=${!who}
	eval "${who}_SUBJ2=\$($X keys add --role subject --subject $S2 2> /dev/null)"
done
both SUBJ POST "/v1/subjects/$S1/disputes" "{\"record\":\"$R1\",\"reason\":\"not mine\"}" application/json
same "a dispute on $S1's ledger"
both SUBJ2 POST "/v1/subjects/$S2/disputes" "{\"record\":\"$R2\",\"reason\":\"paid\"}" application/json
same "a dispute on $S2's ledger"
has sh.txt '"id":2'
both SUBJ POST "/v1/subjects/$S1/statements" "{\"record\":\"$R1\",\"text\":\"it was a mistake\"}" application/json
same "a statement"
both SUBJ2 POST "/v1/subjects/$S2/statements" "{\"record\":\"$R2\",\"text\":\"paid in full\"}" application/json
same "a statement on another ledger"
has sh.txt '"id":2'
for rec in srv-1 "$R1"; do
	both SUBJ POST "/v1/subjects/$S1/repairs" "{\"record\":\"$rec\",\"commitment\":\"I will pay\"}" application/json
	same "a repair application for $rec"
done
for rec in srv-2 "$R2"; do
	both SUBJ2 POST "/v1/subjects/$S2/repairs" "{\"record\":\"$rec\",\"commitment\":\"I will pay\"}" application/json
	same "a repair application for $rec on another ledger"
done
for p in /v1/disputes "/v1/disputes?open=1" /v1/repairs /v1/stats; do
	both ADMIN GET "$p"
	same "GET $p"
done
eq "$(jq -c '[.open_disputes[].id]' sh.txt)" "[1,2]" "open disputes in the statistics"
both PROV GET /v1/disputes
same "a provider's disputes"
# decided by the registry's id: dispute 2 is S2's, 1 on its own ledger
both ADMIN POST /v1/disputes/2/decision '{"outcome":"upheld","note":"paid"}' application/json
same "deciding dispute 2"
has sh.txt "\"subject\":\"$S2\""
both PROV POST /v1/disputes/1/decision '{"outcome":"rejected","note":"it is yours"}' application/json
same "deciding dispute 1"
both ADMIN POST /v1/disputes/99/decision '{"outcome":"upheld"}' application/json
same "deciding no dispute"
has sh.txt "no dispute 99"
both ADMIN GET /v1/repairs
same "the repairs"
n=$(jq '.repairs | length' sh.txt)
[ "$n" -ge 2 ] && [ "$(jq '[.repairs[].subject] | unique | length' sh.txt)" = 2 ] && ok || bad "repairs of two subjects wanted: $(head -c 300 sh.txt)"
for k in $(seq "$n"); do
	both ADMIN POST "/v1/repairs/$k/decision" '{"outcome":"approved","reason":"paid"}' application/json
	same "deciding repair $k"
done
both ADMIN POST /v1/repairs/99/decision '{"outcome":"approved"}' application/json
same "deciding no repair"
for p in /v1/disputes /v1/repairs /v1/stats; do
	both ADMIN GET "$p"
	same "GET $p after the decisions"
done
strip2() { jq -c 'del(.inquiries[].at, .inquiries[].seq, .inquiries[].node, .disputes[].told_meanwhile[].at, .disputes[].told_meanwhile[].seq, .disputes[].told_meanwhile[].node)' "$1"; }
for s in "$S1" "$S2"; do
	both ADMIN GET "/v1/subjects/$s/report"
	if [ "$C1" = 200 ] && [ "$(strip2 one.txt)" = "$(strip2 sh.txt)" ]; then ok; else
		bad "report of $s after due process differs ($C1, $C3)"; diff <(strip2 one.txt | tr , '\n') <(strip2 sh.txt | tr , '\n') | head -5
	fi
	checks "after due process" "$s"
done

kill -TERM "$P1" "$P3"
wait "$P1" "$P3"
eq "$?" 0 "servers stop cleanly"

# S1's logical shard moved to a fourth ledger: a server over the rewritten
# map answers S1 from there, S1's disputes with it under the ids they had
# (the move points their registry-wide ids at the copies): dispute 1, open,
# still refuses another on R1 and is decided there by its id
N=$($SH shards where "$S1" | cut -f2 | awk '{print $2}')
expect_rc 0 "$SOCRED" --db "$MOVE_TO" init
expect_rc 0 $SH shards move "$N" --to "$MOVE_TO"
serve_start moved --db "shards:$MAP" --today $TODAY --threads 2 --rate 0
c=$(curl -s -o resp -w '%{http_code}' -H "Authorization: Bearer $SH_ENF" "$B/v1/check?subject=$S1&action=air_travel")
eq "$c" 200 "a check of a moved subject"
has resp "\"subject\":\"$S1\""
c=$(curl -s -o resp -w '%{http_code}' -H "Authorization: Bearer $SH_SUBJ" -X POST -H 'Content-Type: application/json' \
	--data-binary "{\"record\":\"$R1\",\"reason\":\"again\"}" "$B/v1/subjects/$S1/disputes")
eq "$c" 409 "a second dispute of a record whose dispute moved open"
c=$(curl -s -o resp -w '%{http_code}' -H "Authorization: Bearer $SH_ADMIN" -X POST --data-binary '{"outcome":"upheld"}' "$B/v1/disputes/1/decision")
eq "$c" 200 "deciding a moved dispute by its id"
has resp '"id":1,'
has resp '"reason":"not mine"'
has resp "\"subject\":\"$S1\""
c=$(curl -s -o resp -w '%{http_code}' -H "Authorization: Bearer $SH_ADMIN" "$B/v1/disputes")
eq "$(jq -c '[.disputes[].id]' resp)" "[1,2]" "the disputes after a move"
kill -TERM "$SPID"
wait "$SPID"
# every ledger's audit log verifies, with the servers' entries
expect_rc 0 $SH audit verify
eq "$(grep -c 'audit log intact' out)" 4 "audit verify over the map"
finish
