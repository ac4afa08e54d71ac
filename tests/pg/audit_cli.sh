# The audit commands on a PostgreSQL ledger (run through with_pg.sh): the
# same output as a SQLite ledger fed the same commands (time stamps and key
# tokens aside); heads and proofs that check offline; an entry altered
# behind the ledger's back named by `audit verify` (exit 1); a chain named
# with --node that does not exist refused; a second chain counted.
# $1: the socred binary, $2: the source dir.
. "$2/tests/e2e/lib.bash"

PGURI=${SOCRED_TEST_PG%/postgres}/socred_audit_cli
psql -q "$SOCRED_TEST_PG" -c "CREATE DATABASE socred_audit_cli" || exit 1
P=360426199101010071
# the same commands on both ledgers; time stamps and tokens masked
mask() { sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z/TIME/g; s/sck_[0-9]+_[0-9a-f]+/TOKEN/g'; }
drive() {
	export SOCRED_DB=$1 SOCRED_AUDIT_KEY=$2
	"$SOCRED" init > /dev/null 2>&1
	for _ in 1 2 3; do "$SOCRED" keys add --role subject --subject $P 2>&1; done
	"$SOCRED" keys add --role admin 2>&1
	"$SOCRED" keys revoke 2 2>&1
	"$SOCRED" keys list 2>&1
	"$SOCRED" audit verify 2>&1; echo "rc=$?"
	"$SOCRED" audit list 2>&1
	"$SOCRED" audit list --subject $P 2>&1
	"$SOCRED" audit head > "$3" 2>&1
	"$SOCRED" audit verify --head "$3" 2>&1; echo "rc=$?"
}
drive "$T/lite.db" "$T/lite.key" "$T/lite.head" | mask > lite.out
drive "$PGURI" "$T/pg.key" "$T/pg.head" | mask > pg.out
if diff lite.out pg.out > diff.out; then ok; else bad "PostgreSQL's output differs from SQLite's"; head -20 diff.out; fi
has pg.out "audit log intact: 6 entries"
export SOCRED_DB=$PGURI SOCRED_AUDIT_KEY=$T/pg.key

# an inclusion proof of node 0's entry 2 checks offline
expect_rc 0 "$SOCRED" audit prove 2
cp out proof.json
expect_rc 0 "$SOCRED" audit prove --check proof.json
has out "proof valid: entry 2 is in the audit tree of"

# a chain that does not exist; one registered (a server's, empty)
expect_rc 2 "$SOCRED" audit head --node 7
has err "no audit chain of node 7"
psql -q "$PGURI" -c "INSERT INTO audit_nodes VALUES(nextval('audit_node_ids'), 'serve', 'x')"
expect_rc 0 "$SOCRED" audit head --node 1
has out "size 0"
expect_rc 0 "$SOCRED" audit verify
has out "entries in 2 chains"

# an entry altered as the tables' owner, its guard disabled
psql -q "$PGURI" -c "ALTER TABLE audit DISABLE TRIGGER audit_append_only;
	UPDATE audit SET result = 'key 9 admin' WHERE node = 0 AND seq = 4"
expect_rc 1 "$SOCRED" audit verify
has out "audit log broken at entry 4: it or the entry before it was altered, inserted or removed"
finish
