# The report's (and so the portal's) score history evaluates each month end
# under the rulebook version in force on that day, and what each record
# costs uses the version in force in its window: a later rule change never
# rewrites the past (no false fall in the chart).
. "$(dirname "$0")/lib.bash"

P=360426199101010071
OLD=$(date -d "-400 days" +%F)   # lapses (365 days) before the new version
REC=$(date -d "-60 days" +%F)    # still counts when the new version applies
FUTURE=$(date -d "+30 days" +%F) # the new version's effective date
TODAY=$(date -d "+100 days" +%F) # the day the server answers for
printf 'op,record_id,subject,type,date,source\nconsent,,%s,public,2020-01-01,\n,t0,%s,traffic.violation,%s,traffic\n,t1,%s,traffic.violation,%s,traffic\n' \
	$P $P "$OLD" $P "$REC" > r.csv
"$SOCRED" init > /dev/null
"$SOCRED" ingest r.csv > /dev/null 2>&1
sed 's/{type: traffic.violation, points: -5,/{type: traffic.violation, points: -40,/; s/^version: "2026.1"/version: "2027.1"/' \
	"$SRC/rulebooks/default.yaml" > v2.yaml
grep -q 'points: -40' v2.yaml && ok || bad "v2 not made"
expect_rc 0 "$SOCRED" rulebook publish v2.yaml --effective "$FUTURE"
KEY=$("$SOCRED" keys add --role subject --subject $P 2> /dev/null)
serve_start serve --today "$TODAY"
code=$(curl -s -o report.json -w '%{http_code}' -H "Authorization: Bearer $KEY" "$B/v1/subjects/$P/report")
eq "$code" 200 "report"
kill -TERM $SPID; wait $SPID

# every month end: 1000 less what counted then, at that day's points
sqlite3 -separator ' ' :memory: "SELECT json_extract(value, '\$.at'), json_extract(value, '\$.public')
	FROM json_each(readfile('report.json'), '\$.history')" > got
eq "$(wc -l < got)" 36 "36 month ends"
add_days() { date -d "$1 +$2 days" +%F; }
OLD_END=$(add_days "$OLD" 365)
while read -r at score; do
	want=1000
	pts=-5
	[[ "$at" < "$FUTURE" ]] || pts=-40
	if [[ ! "$at" < "$OLD" ]] && [[ "$at" < "$OLD_END" ]]; then want=$((want + pts)); fi
	[[ "$at" < "$REC" ]] || want=$((want + pts))
	eq "$score" "$want" "score at $at"
done < got
# the chart does not fall on the day the new version came in for what came before
before_future=$(awk -v f="$FUTURE" '$1 < f' got | tail -1 | cut -d' ' -f2)
eq "$before_future" 995 "the last month end before the new version"

# what each record costs: t0's window ended under 2026.1, t1 counts today
cost() { sqlite3 :memory: "SELECT json_extract(value, '\$.$2') FROM json_each(readfile('report.json'), '\$.records') WHERE json_extract(value, '\$.record') = '$1'"; }
eq "$(cost t0 points)" -5 "t0 costs what it cost in its window"
eq "$(cost t0 rulebook_version)" 2026.1 "t0 under the version of its window"
eq "$(cost t1 points)" -40 "t1 costs today's points"
finish
