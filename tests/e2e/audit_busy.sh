# The audit trail while another process holds the ledger's write lock (an
# ingest) for longer than a connection waits for it (5 s): 1,000 checks are
# all answered while the lock is still held, none is written meanwhile;
# once it goes, every one of them is in the audit log (none dropped when
# the writer's wait ran out), in order, and the chain is intact.
. "$(dirname "$0")/lib.bash"

P=11010519491231002X
N=1000
"$SOCRED" init > /dev/null
printf 'op,record_id,subject,type,date,source,ref\n,a1,%s,court.judgment_default,2025-06-01,court,(2025) Jing 1\n' $P > one.csv
"$SOCRED" ingest one.csv > /dev/null
ENF=$("$SOCRED" keys add --role enforcer --actions air_travel 2> /dev/null)
serve_start serve --threads 2 --today 2025-12-31
eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ENF" "$B/v1/check?subject=$P&action=air_travel")" 200 "a check before the lock"
count() { audit_count '$5 == "air_travel"'; }
for i in $(seq 600); do [ "$(count)" = 1 ] && break; sleep 0.1; done
eq "$(count)" 1 "the first check is audited"

# another connection takes the ledger's write lock and keeps it (up to 60 s)
mkfifo lockin
sqlite3 socred.db < lockin > lock.out 2>&1 &
LPID=$!
exec {lockfd}> lockin
echo "BEGIN IMMEDIATE; SELECT 'locked';" >&$lockfd
for i in $(seq 600); do grep -q locked lock.out 2> /dev/null && break; sleep 0.1; done
has lock.out locked

# N checks over one keep-alive connection, then the lock is kept past the
# writer's 5 s wait
for i in $(seq $N); do echo "url = \"$B/v1/check?subject=$P&action=air_travel\""; echo 'output = "/dev/null"'; done > urls.cfg
curl -s -K urls.cfg -H "Authorization: Bearer $ENF" -w '%{http_code}\n' --max-time 300 > codes
eq "$(grep -c '^200$' codes)" "$N" "every check answered while the ledger is locked"
# the lock is still held: no request waited for it
kill -0 $LPID 2> /dev/null && ok || bad "the lock holder ended before the checks did"
eq "$(count)" 1 "nothing written while the lock is held"
sleep 6 # the scenario, not a wait: the lock outlives the writer's 5 s
eq "$(count)" 1 "nothing written while the lock is held, past the writer's wait"

# the lock goes: the writer thread writes what waited
echo "ROLLBACK;" >&$lockfd
exec {lockfd}>&-
wait $LPID
for i in $(seq 600); do [ "$(count)" = $((N + 1)) ] && break; sleep 0.1; done
eq "$(count)" $((N + 1)) "every check audited once the lock is gone"
failed=$(curl -s "$B/metrics" | sed -n 's/^socred_audit_entries_total{result="failed"} //p')
eq "$failed" 0 "no audit entry failed"
# in push order: seq follows time
"$SOCRED" audit list | awk -F'\t' 'NR > 2 && $2 < at {n++} {at = $2} END {print n + 0}' > disorder
eq "$(cat disorder)" 0 "entries in the order they were made"

kill -TERM $SPID
wait $SPID
eq "$?" 0 "clean shutdown"
expect_rc 0 "$SOCRED" audit verify
has out "audit log intact"
finish
