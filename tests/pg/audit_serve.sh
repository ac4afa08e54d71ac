# Two `socred serve` nodes on one PostgreSQL ledger (run through
# with_pg.sh): each registers an audit chain of its own at start and
# appends its entries there; GET /v1/audit/head answers the node's own
# chain, or another's with ?node=N (404: none); `audit verify` checks the
# command line's chain and both servers', and names an entry altered in a
# server's chain with its node; a restarted server takes a new chain.
# $1: the socred binary, $2: the source dir.
. "$2/tests/e2e/lib.bash"

PGURI=${SOCRED_TEST_PG%/postgres}/socred_audit_serve
psql -q "$SOCRED_TEST_PG" -c "CREATE DATABASE socred_audit_serve" || exit 1
export SOCRED_DB=$PGURI SOCRED_AUDIT_KEY=$T/audit-key
"$SOCRED" init > /dev/null 2>&1 || { bad "init"; finish; exit 1; }
TOKEN=$("$SOCRED" keys add --role admin 2> /dev/null | grep -o 'sck_[0-9a-f_]*')

PIDS=()
# serve NAME: starts a node, its URL in $NAME.url once it listens
serve() {
	"$SOCRED" serve --listen 127.0.0.1:0 --no-snapshot > "$1.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 300); do
		grep -q "serving http" "$1.log" && break
		sleep 0.1 # polls the log for the server's first line, 30 s at most
	done
	grep -o 'http://127.0.0.1:[0-9]*' "$1.log" > "$1.url"
}
stop_all() { for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null; wait "$p" 2> /dev/null; done; PIDS=(); }
trap 'stop_all; rm -rf "$T"' EXIT
post_key() { curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	-d '{"role":"admin","name":"'"$2"'"}' "$(cat "$1.url")/v1/keys"; }
serve a
serve b
for i in 1 2 3; do eq "$(post_key a a$i)" 201 "node a adds a key"; done
for i in 1 2; do eq "$(post_key b b$i)" 201 "node b adds a key"; done
stop_all # the writers commit what they hold
psql -qtA "$PGURI" -c "SELECT node, name LIKE 'serve on %' FROM audit_nodes ORDER BY node" > nodes.txt
eq "$(tr '\n' ' ' < nodes.txt)" "0|f 1|t 2|t " "each server registered a chain of its own"
psql -qtA "$PGURI" -c "SELECT node, count(*) FROM audit GROUP BY node ORDER BY node" > counts.txt
eq "$(tr '\n' ' ' < counts.txt)" "0|1 1|3 2|2 " "each node's entries are in its own chain"
expect_rc 0 "$SOCRED" audit verify
has out "audit log intact: 6 entries in 3 chains"

# heads: a restarted node takes a new chain (3); others' by ?node=
serve c
curl -s "$(cat c.url)/v1/audit/head" > own.json
has own.json '"size":0'
curl -s "$(cat c.url)/v1/audit/head?node=1" > one.json
has one.json '"size":3'
eq "$(curl -s -o /dev/null -w '%{http_code}' "$(cat c.url)/v1/audit/head?node=9")" 404 "no chain 9"
eq "$(curl -s -o /dev/null -w '%{http_code}' "$(cat c.url)/v1/audit/head?node=x")" 400 "a bad node"
stop_all
expect_rc 0 "$SOCRED" audit head --node 2
has out "size 2"

# an entry of node 2's chain altered behind the ledger's back
psql -q "$PGURI" -c "ALTER TABLE audit DISABLE TRIGGER audit_append_only;
	UPDATE audit SET result = 'key 9 admin' WHERE node = 2 AND seq = 2"
expect_rc 1 "$SOCRED" audit verify
has out "audit log broken at entry 2 of node 2: it or the entry before it was altered, inserted or removed"
finish
