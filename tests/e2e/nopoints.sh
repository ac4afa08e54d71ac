# Without consent to a scorecard, explain, the report (and so the portal)
# show the subject's records and their windows, but no points, per-rule sums
# or anything else the score follows from; with consent they show them.
. "$(dirname "$0")/lib.bash"

AT=2025-12-31
P=360426199101010071
printf 'op,record_id,subject,type,date,source\n,t1,%s,traffic.violation,2025-06-01,traffic\n,t2,%s,traffic.violation,2025-07-01,traffic\n,v1,%s,civic.blood_donation,2025-03-01,civil\n' \
	$P $P $P > r.csv
"$SOCRED" init > /dev/null
"$SOCRED" ingest r.csv > /dev/null 2>&1
withheld() { # FILE: records and windows, nothing to compute a score from
	has "$1" '"status":"no_consent"'
	has "$1" '"record":"t1"'
	has "$1" '"record":"v1"'
	has "$1" '"from":"2025-06-01","until":"2026-06-01"'
	has "$1" '"points":null'
	hasnt "$1" '"points":-5'
	hasnt "$1" '"points":10'
	hasnt "$1" '"sum"'
	hasnt "$1" '"counted"'
	hasnt "$1" '"grade_by_score"'
}
expect_rc 0 "$SOCRED" explain $P --at $AT --json
withheld "$T/out"
expect_rc 0 "$SOCRED" explain $P --at $AT
has out "t1"
has out "2025-06-01..2026-06-01"
hasnt out "-5"
hasnt out "+10"
hasnt out "-10"
hasnt out "rule traffic.violation"
hasnt out "active sum"

KEY=$("$SOCRED" keys add --role subject --subject $P 2> /dev/null)
serve() { serve_start serve --today $AT; }
serve
code=$(curl -s -o report.json -w '%{http_code}' -H "Authorization: Bearer $KEY" "$B/v1/subjects/$P/report")
eq "$code" 200 "report"
withheld report.json
eq "$(sqlite3 :memory: "SELECT count(*) FROM json_each(readfile('report.json'), '\$.history') WHERE json_extract(value, '\$.public') IS NOT NULL")" 0 "no score in the history"
eq "$(sqlite3 :memory: "SELECT json_array_length(readfile('report.json'), '\$.history')")" 36 "36 month ends"
kill -TERM $SPID; wait $SPID

# with consent: the points, the sums and the score
printf 'op,record_id,subject,type,date,source\nconsent,,%s,public,2020-01-01,\n' $P > c.csv
"$SOCRED" ingest c.csv > /dev/null 2>&1
expect_rc 0 "$SOCRED" explain $P --at $AT --json
has out '"status":"scored","score":1000'
has out '"points":-5'
has out '"points":10'
has out '"sum":-10'
expect_rc 0 "$SOCRED" explain $P --at $AT
has out "rule traffic.violation: active sum -10"
serve
curl -s -H "Authorization: Bearer $KEY" "$B/v1/subjects/$P/report" > report.json
has report.json '"points":-5'
has report.json '"sum":-10'
kill -TERM $SPID; wait $SPID
finish
