# A change acknowledged to a client is durable together with its audit
# entry: the server is killed (SIGKILL) right after answering writes, round
# after round, and every acknowledged statement and filed record has its
# entry in the log, which verifies.
. "$(dirname "$0")/lib.bash"

"$SOCRED" init > /dev/null
"$SOCRED" generate --people 200 --orgs 10 --seed 5 > town.csv 2> /dev/null
"$SOCRED" ingest town.csv > /dev/null
# a person and one of its records
read -r ID REC < <(awk -F, 'NR > 1 && length($3) == 18 && $3 !~ /^9/ {print $3, $2; exit}' town.csv)
[ -n "$REC" ] && ok || bad "no person's record in town.csv"
SUBJ=$("$SOCRED" keys add --role subject --subject "$ID" 2> /dev/null)
PROV=$("$SOCRED" keys add --role provider --source court 2> /dev/null)

SPID=
start() { serve_start serve --threads 2; }
stmts=0 recs=0
for round in $(seq 6); do
	start
	csv="op,record_id,subject,type,date,source,ref
,d$round,$ID,court.judgment_default,2025-11-01,court,(2025) Jing $round"
	[ "$(curl -s -o resp -w '%{http_code}' -H "Authorization: Bearer $PROV" -H 'Content-Type: text/csv' \
		--data-binary "$csv" "$B/v1/records")" = 200 ] && grep -q '"accepted":1' resp && recs=$((recs + 1))
	for i in 1 2 3; do
		[ "$(curl -s -o resp -w '%{http_code}' -H "Authorization: Bearer $SUBJ" -H 'Content-Type: application/json' \
			--data-binary "{\"record\":\"$REC\",\"text\":\"round $round, statement $i\"}" \
			"$B/v1/subjects/$ID/statements")" = 201 ] && stmts=$((stmts + 1))
	done
	# at once after the last answer
	kill -9 "$SPID"
	wait "$SPID" 2> /dev/null
done
eq "$recs" 6 "records acknowledged"
eq "$stmts" 18 "statements acknowledged"
eq "$(sqlite3 socred.db "SELECT count(*) FROM statements")" "$stmts" "statements stored"
eq "$(audit_count "\$5 == \"statement\" && \$6 == \"$ID\" && \$7 ~ /^201 /")" "$stmts" "every acknowledged statement audited"
eq "$(audit_count "\$5 ~ /^file d[0-9]\$/ && \$6 == \"$ID\"")" "$recs" "every acknowledged record audited"
expect_rc 0 "$SOCRED" audit verify
finish
