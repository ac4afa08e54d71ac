# The audit log against signed heads (a Merkle tree, RFC 9162): a witness
# saves heads; cutting the newest entries or the whole log, rewriting an
# entry with every hash recomputed, or editing one without, fails `audit
# verify --head` naming the first entry missing or differing; a tampered
# head or one signed by another key is refused; an inquiry's inclusion
# proof, served to its subject, checks offline and fails once altered.
. "$(dirname "$0")/lib.bash"

P=360426199101010071
"$SOCRED" init > init.out
has init.out "audit signing key $T/socred.db.audit-key (created, 0600)"
eq "$(stat -c %a socred.db.audit-key)" "600" "the signing key is its owner's only"
# one entry per key added
add() { for _ in $(seq "$1"); do "$SOCRED" keys add --role "$2" ${3:+--subject "$3"} > /dev/null 2>&1; done; }
add 10 subject $P
"$SOCRED" audit head > h10.txt
add 2 subject $P
"$SOCRED" audit head > h12.txt
sqlite3 socred.db ".backup fork.db"
add 1 subject $P
"$SOCRED" audit head > h13.txt
add 7 admin
"$SOCRED" audit head > h20.txt
"$SOCRED" audit head --json > h20.json
has h20.txt "size 20"
cat h10.txt h12.txt h13.txt h20.txt > heads.txt

expect_rc 0 "$SOCRED" audit verify --head heads.txt
has out "audit log intact: 20 entries, a consistent extension of 4 saved heads"
expect_rc 0 "$SOCRED" audit verify --head h20.json
KEY=$(jq -r .key h20.json)
expect_rc 0 "$SOCRED" audit verify --head h20.json --key "$KEY"
# more entries since: still an extension
add 1 admin
expect_rc 0 "$SOCRED" audit verify --head heads.txt
has out "audit log intact: 21 entries"

export SOCRED_AUDIT_KEY=$T/socred.db.audit-key
# the newest entries deleted
sqlite3 socred.db ".backup cut.db"
sqlite3 cut.db "DROP TRIGGER audit_blocks_append_only_d; DELETE FROM audit_blocks WHERE seq > 17"
expect_rc 1 "$SOCRED" --db cut.db audit verify
has out "audit tree holds 21 entries but the log 17"
expect_rc 1 "$SOCRED" --db cut.db audit verify --head h20.txt
has out "audit log cut: the head at h20.txt:1 holds 20 entries, the log 17: entry 18 is the first missing"
# cut with the tree made to match (the copy taken at 12 entries): only heads tell
expect_rc 0 "$SOCRED" --db fork.db audit verify
expect_rc 1 "$SOCRED" --db fork.db audit verify --head heads.txt
has out "entry 13 is the first missing"
# the whole log deleted, tree and all
sqlite3 cut.db "DELETE FROM audit_blocks; DELETE FROM audit_tree"
expect_rc 0 "$SOCRED" --db cut.db audit verify
expect_rc 1 "$SOCRED" --db cut.db audit verify --head h20.json
has out "the log 0: entry 1 is the first missing"

# rewritten from entry 13 on, every hash and the tree recomputed (the copy
# at 12 entries, then other entries): the heads name where
SOCRED_DB=$T/fork.db add 8 admin
expect_rc 0 "$SOCRED" --db fork.db audit verify
expect_rc 1 "$SOCRED" --db fork.db audit verify --head h20.txt
has out "audit log rewritten: the first entry that differs from the saved heads is one of entries 1 to 16"
expect_rc 1 "$SOCRED" --db fork.db audit verify --head heads.txt
has out "audit log rewritten: entry 13 is the first that differs from the saved heads"
# an entry edited in place, hashes left: the chain names its block (one entry here)
sqlite3 socred.db ".backup edit.db"
sqlite3 edit.db "DROP TRIGGER audit_blocks_append_only_u; UPDATE audit_blocks
  SET data = CAST(replace(CAST(data AS TEXT), 'key 5 subject', 'key 9 subject') AS BLOB) WHERE seq = 5"
expect_rc 1 "$SOCRED" --db edit.db audit verify --head h20.txt
has out "audit log broken at entry 5"

# a tampered head: signature, size or root changed
sed 's/^signature \(.\)/signature \1\1/; s/^signature \(.*\).$/signature \1/' h20.txt > t1.txt
grep -q "^signature" t1.txt && ! cmp -s h20.txt t1.txt && ok || bad "signature not altered"
sed -i 's/^signature \(.\)\(.\)/signature \2\1/' t1.txt
expect_rc 1 "$SOCRED" audit verify --head t1.txt
has out "audit head t1.txt:1 (20 entries): the signature does not verify"
sed 's/^size 20$/size 17/' h20.txt > t2.txt
expect_rc 1 "$SOCRED" audit verify --head t2.txt
has out "the signature does not verify"
jq '.root = "0000000000000000000000000000000000000000000000000000000000000000"' h20.json > t3.json
expect_rc 1 "$SOCRED" audit verify --head t3.json
has out "the signature does not verify"
# a head signed by another key (another ledger's), or a key pinned that is not the head's
SOCRED_AUDIT_KEY= "$SOCRED" --db other.db init > /dev/null
SOCRED_AUDIT_KEY= "$SOCRED" --db other.db audit head > other.txt
expect_rc 1 "$SOCRED" audit verify --head other.txt
has out "audit head other.txt:1: signed by key"
has out "not this ledger's key"
expect_rc 1 "$SOCRED" audit verify --head h20.txt --key "$(sed -n 's/^key //p' other.txt)"
# bad input: named with its line and field
printf 'socred-audit-head v1\nsize 3\nroot zz\n' > t4.txt
expect_rc 2 "$SOCRED" audit verify --head t4.txt
has err "t4.txt:3"
has err "root"
printf 'socred-audit-head v1\nsize 1\ncolour red\n' > t5.txt
expect_rc 2 "$SOCRED" audit verify --head t5.txt
has err "t5.txt:3"
has err "unknown field 'colour'"
unset SOCRED_AUDIT_KEY

# over HTTP: the head is public; an inquiry's proof goes to its subject
ADMIN=$("$SOCRED" keys add --role admin 2> /dev/null)
SUBJ=$("$SOCRED" keys add --role subject --subject $P 2> /dev/null)
OTHER=$("$SOCRED" keys add --role subject --subject 11010519491231002X 2> /dev/null)
serve_start serve --threads 2
get() { curl -s -o resp -w '%{http_code}' ${2:+-H "Authorization: Bearer $2"} "$B$1"; }
eq "$(get /v1/subjects/$P/report "$SUBJ")" 200 "the report"
# the report's own entry is written by the server's audit writer: wait for it
SEQ=
for _ in $(seq 300); do
	get /v1/subjects/$P/report "$SUBJ" > /dev/null
	SEQ=$(jq -r '[.inquiries[] | select(.action == "report") | .seq] | first // empty' resp)
	[ -n "$SEQ" ] && break
	sleep 0.1
done
[ -n "$SEQ" ] && ok || bad "no report inquiry with a seq"
eq "$(get /v1/subjects/$P/inquiries/$SEQ/proof "$SUBJ")" 200 "the proof, to its subject"
cp resp proof.json
eq "$(jq -r .entry.action proof.json)" "report" "the proof's entry"
eq "$(get /v1/subjects/$P/inquiries/$SEQ/proof "$ADMIN")" 200 "the proof, to an admin"
eq "$(get /v1/subjects/$P/inquiries/$SEQ/proof "$OTHER")" 403 "not to another subject"
eq "$(get /v1/subjects/$P/inquiries/$SEQ/proof)" 401 "not without a key"
eq "$(get /v1/subjects/$P/inquiries/14/proof "$SUBJ")" 404 "an entry about no subject is no inquiry"
eq "$(get /v1/subjects/$P/inquiries/999999/proof "$SUBJ")" 404 "no such entry"
eq "$(get /v1/subjects/$P/inquiries/x1/proof "$SUBJ")" 400 "not a seq"
eq "$(get /v1/audit/head)" 200 "the head, public"
cp resp served.json
kill "$SPID"; wait "$SPID"
# offline: the proof alone, no ledger
expect_rc 0 "$SOCRED" --db /nonexistent/x.db audit prove --check proof.json
has out "proof valid: entry $SEQ is in the audit tree of"
expect_rc 0 "$SOCRED" audit prove --check proof.json --key "$KEY"
expect_rc 1 "$SOCRED" audit prove --check proof.json --key "$(sed -n 's/^key //p' other.txt)"
has out "proof invalid: the head is signed by another key"
jq '.entry.result = "403"' proof.json > p1.json
expect_rc 1 "$SOCRED" audit prove --check p1.json
has out "proof invalid: the entry's fields do not hash to its hash"
jq '.path[0] |= (.[1:] + .[0:1])' proof.json > p2.json
expect_rc 1 "$SOCRED" audit prove --check p2.json
has out "proof invalid: the audit path does not lead to the head's root"
jq '.head.time = "2020-01-01T00:00:00Z"' proof.json > p3.json
expect_rc 1 "$SOCRED" audit prove --check p3.json
has out "proof invalid: the head's signature does not verify"
# the served head is a head of this log
expect_rc 0 "$SOCRED" audit verify --head served.json
# and the CLI's proof of the same entry checks too
"$SOCRED" audit prove "$SEQ" > proof2.json
expect_rc 0 "$SOCRED" audit prove --check proof2.json
finish
