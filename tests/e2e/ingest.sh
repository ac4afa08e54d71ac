# Ingest as a user meets it: rejects file, exit codes, JSONL, stdin, fatal
# errors that leave the ledger as it was.
. "$(dirname "$0")/lib.bash"

"$SOCRED" init > /dev/null
cat > batch.csv <<'CSV'
op,record_id,subject,type,date,amount,source,ref
,c1,360426199101010071,court.judgment_default,2024-01-01,,court,"(2024) Gan 0426 Zhi 17, ""enforcement"""
,c2,360426199101010071,court.judgment_default,2024-02-30,,court,
,c3,360426199101010071,speech.weibo_post,2024-01-01,,court,
,c4,91110000600037341M,tax.late_filing,2024-01-01,,tax,
rectify,c1,,,2024-06-01,,court,
CSV
expect_rc 1 "$SOCRED" ingest batch.csv
has out "accepted 3, duplicates 0, rejected 2, warnings 1"
has out "rejected lines, with reasons: batch.csv.rejects.csv"
has err "batch.csv:3: field 'date': invalid date '2024-02-30'"
has err "batch.csv:5: warning: field 'subject': unified social credit code"
has batch.csv.rejects.csv "file,line,field,reason,original"
has batch.csv.rejects.csv '"batch.csv",3,"date","invalid date '"'"'2024-02-30'"'"': expected a real day as YYYY-MM-DD",",c2,360426199101010071,court.judgment_default,2024-02-30,,court,"'
has batch.csv.rejects.csv '"batch.csv",4,"type","category '"'"'speech'"'"' is refused'
eq "$(wc -l < batch.csv.rejects.csv)" "3" "two rejects and a header"
# listed from the grace's end; the rectification is not known before its date
expect_rc 0 "$SOCRED" score 360426199101010071 --at 2024-05-31 --json
has out "\"since\":\"2024-01-31\",\"until\":\"2026-01-30\""
expect_rc 0 "$SOCRED" score 360426199101010071 --at 2024-06-01 --json
has out "\"lists\":[]"

# --rejects names the file; JSONL and stdin
printf '{"record_id":"j1","subject":"11010519491231002X","type":"traffic.violation","date":"2024-01-01","source":"traffic"}\n{"record_id":"j2"}\n' > more.jsonl
expect_rc 1 "$SOCRED" ingest more.jsonl --rejects rj.csv
has rj.csv '"more.jsonl",2,"subject","field is required for op '"'"'add'"'"'"'
printf 'op,record_id,subject,type,date,source\n,s1,11010519491231002X,traffic.violation,2024-01-02,traffic\n' | "$SOCRED" ingest - > out 2> err
eq "$?" "0" "stdin ingest"
has out "accepted 1"

# fatal: a header with an unknown column stores nothing and exits 2
printf 'op,record_id,subject,type,date,colour\n,x1,11010519491231002X,traffic.violation,2024-01-03,red\n' > badhdr.csv
expect_rc 2 "$SOCRED" ingest badhdr.csv
has err "badhdr.csv:1: unknown column 'colour' in the header"
eq "$(sqlite3 socred.db "SELECT count(*) FROM records WHERE record_id = 'x1'")" "0" "nothing stored"
expect_rc 2 "$SOCRED" ingest missing.csv
has err "cannot open missing.csv"
expect_rc 2 "$SOCRED" ingest
# a line over the limit is rejected, the next line is stored
{ echo "op,record_id,subject,type,date,source,ref"; printf ',long,11010519491231002X,traffic.violation,2024-01-04,traffic,'; head -c 70000 /dev/zero | tr '\0' 'x'; echo; echo ",after,11010519491231002X,traffic.violation,2024-01-05,traffic,"; } > long.csv
expect_rc 1 "$SOCRED" ingest long.csv
has err "long.csv:2: line is longer than 65536 bytes"
eq "$(sqlite3 socred.db "SELECT count(*) FROM records WHERE record_id = 'after'")" "1" "line after the long one stored"

# batches end on a line count or on their bytes (ingest reads ahead on a
# second thread): 5,000 lines, every fifth one 60 KB long and rejected,
# cross both kinds of batch end; every outcome lands on its own line number,
# in order, and the lines between are stored
awk 'BEGIN {
	print "op,record_id,subject,type,date,source,ref"
	pad = "y"; while (length(pad) < 60000) pad = pad pad; pad = substr(pad, 1, 60000)
	for (i = 2; i <= 5001; i++)
		if (i % 5 == 0) printf ",big%d,11010519491231002X,traffic.violation,2024-02-01,traffic,%s\n", i, pad
		else printf ",b%d,11010519491231002X,traffic.violation,2024-02-01,traffic,\n", i
}' > batches.csv
expect_rc 1 "$SOCRED" ingest batches.csv
has out "accepted 4000, duplicates 0, rejected 1000"
eq "$(tail -n +2 batches.csv.rejects.csv | cut -d, -f2 | tr '\n' ' ' | cut -c1-24)" "5 10 15 20 25 30 35 40 4" "rejects in line order"
eq "$(tail -1 batches.csv.rejects.csv | cut -d, -f2,3)" "5000,\"ref\"" "last reject"
eq "$(sqlite3 socred.db "SELECT count(*) FROM records WHERE record_id GLOB 'b[0-9]*'")" "4000" "the lines between stored"
eq "$(sqlite3 socred.db "SELECT min(rid) < max(rid) FROM records WHERE record_id IN ('b2', 'b5001')")" "1" "stored in file order"
finish
