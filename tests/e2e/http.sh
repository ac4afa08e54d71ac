# The HTTP service against a real server on a free loopback port: every
# route for every role, refusals audited, providers' batches, the report,
# limits, graceful shutdown, and the audit chain.
. "$(dirname "$0")/lib.bash"

"$SOCRED" init > /dev/null
"$SOCRED" generate --people 500 --orgs 20 --seed 5 > town.csv 2> /dev/null
"$SOCRED" ingest town.csv > /dev/null
ID=$("$SOCRED" lists judgment_defaulters --at 2025-12-31 | awk -F'\t' 'NR > 1 && $2 !~ /^9/ {print $2; exit}')
OTHER=11010519491231002X
ADMIN=$("$SOCRED" keys add --role admin --name ops 2> /dev/null)
PROV=$("$SOCRED" keys add --role provider --source court 2> /dev/null)
ENF=$("$SOCRED" keys add --role enforcer --actions air_travel,rail_high_speed --name "an airline" 2> /dev/null)
SUBJ=$("$SOCRED" keys add --role subject --subject "$ID" 2> /dev/null)
REV=$("$SOCRED" keys add --role enforcer --actions air_travel 2> /dev/null)
"$SOCRED" keys revoke "$(echo "$REV" | cut -d_ -f2)" > /dev/null
BAD=sck_1_0000000000000000000000000000000000000000000000000000000000000000

# no limit on requests without a valid key: the role matrix makes some 90
# of them at once (the limit: ratelimit.sh)
serve_start serve --today 2025-12-31 --threads 2 --rate 0

# code KEY METHOD PATH [BODY]: the HTTP status
code() {
	local key=$1 method=$2 path=$3 body=${4:-}
	local auth=()
	[ -n "$key" ] && auth=(-H "Authorization: Bearer $key")
	if [ -n "$body" ]; then
		curl -s -o resp -w '%{http_code}' "${auth[@]}" -X "$method" -H 'Content-Type: text/csv' --data-binary "$body" "$B$path"
	else
		curl -s -o resp -w '%{http_code}' "${auth[@]}" -X "$method" "$B$path"
	fi
}
want() { # want STATUS KEY METHOD PATH [BODY]
	local w=$1; shift
	local got; got=$(code "$@")
	if [ "$got" = "$w" ]; then ok; else bad "$2 $3 with key ${1:0:8}: $got, want $w"; head -c 300 resp; echo; fi
}

# the role matrix: public, admin, provider, enforcer, subject, revoked, garbage
CSV='op,record_id,subject,type,date,source,ref
,m1,'"$OTHER"',court.judgment_default,2025-12-01,court,(2025) Jing 1'
matrix() { # matrix METHOD PATH BODY  S_public S_admin S_provider S_enforcer S_subject S_revoked S_garbage
	local m=$1 p=$2 body=$3; shift 3
	local keys=("" "$ADMIN" "$PROV" "$ENF" "$SUBJ" "$REV" "$BAD")
	for i in 0 1 2 3 4 5 6; do want "${!i+${@:$((i + 1)):1}}" "${keys[$i]}" "$m" "$p" "$body"; done
}
matrix GET /healthz "" 200 200 200 200 200 401 401
# from loopback without a key, or with an admin (or monitor) key
matrix GET /metrics "" 200 200 403 403 403 401 401
matrix GET /v1/openapi.yaml "" 200 200 200 200 200 401 401
matrix GET /v1/rulebook "" 200 200 200 200 200 401 401
matrix GET "/v1/check?subject=$ID&action=air_travel" "" 401 403 403 200 403 401 401
matrix POST /v1/records "$CSV" 401 403 200 403 403 401 401
matrix GET "/v1/subjects/$ID/report" "" 401 200 403 403 200 401 401
# due process: the subject's own acts (a valid role with an empty body: 400)
for what in disputes statements repairs consent shares; do
	matrix POST "/v1/subjects/$ID/$what" "{}" 401 403 403 403 400 401 401
	want 403 "$SUBJ" POST "/v1/subjects/$OTHER/$what" "{}"
done
matrix GET /v1/disputes "" 401 200 200 403 403 401 401
matrix POST /v1/disputes/99/decision '{"outcome":"upheld"}' 401 404 404 403 403 401 401
matrix GET /v1/repairs "" 401 200 200 403 403 401 401
matrix POST /v1/repairs/99/decision '{"outcome":"approved"}' 401 404 404 403 403 401 401
matrix GET /v1/shares/0123 "" 404 404 404 404 404 401 401
matrix GET "/v1/lists/judgment_defaulters?q=11" "" 200 200 200 200 200 401 401
matrix GET "/v1/search?q=11" "" 200 200 200 200 200 401 401
# every route of the table is in this matrix
routes=$(grep -c '^	{"' "$SRC/src/http/routes.c")
matrix GET /v1/stats "" 401 200 403 403 403 401 401
matrix GET /v1/me "" 401 200 200 200 200 401 401
matrix GET / "" 200 200 200 200 200 401 401
matrix GET /app.js "" 200 200 200 200 200 401 401
matrix GET /app.css "" 200 200 200 200 200 401 401
matrix GET /favicon.ico "" 204 204 204 204 204 401 401
matrix GET /v1/rulebooks "" 200 200 200 200 200 401 401
matrix POST "/v1/rulebooks?effective=2026-01-01" "rulebook: [" 401 400 403 403 403 401 401
matrix POST /v1/keys '{"role":"nobody"}' 401 400 403 403 403 401 401
matrix GET /v1/keys "" 401 200 403 403 403 401 401
matrix DELETE /v1/keys/999 "" 401 404 403 403 403 401 401
matrix GET /v1/audit/head "" 200 200 200 200 200 401 401
matrix GET "/v1/subjects/$ID/inquiries/999999/proof" "" 401 404 403 403 404 401 401
eq "$routes" "32" "routes in the table (add the new one to the matrix above)"
# keys over HTTP: made (shown once), listed without secrets, revoked
want 201 "$ADMIN" POST /v1/keys '{"role":"enforcer","name":"a railway","actions":"rail_high_speed,rail_soft_sleeper"}'
NEWKEY=$(sed -n 's/.*"key":"\(sck_[0-9]*_[0-9a-f]*\)".*/\1/p' resp)
NEWID=$(sed -n 's/.*"id":\([0-9]*\),.*/\1/p' resp)
want 200 "$NEWKEY" GET "/v1/check?subject=$ID&action=rail_high_speed"
want 400 "$ADMIN" POST /v1/keys '{"role":"enforcer","actions":"teleport"}'
has resp "unknown action 'teleport'"
want 400 "$ADMIN" POST /v1/keys '{"role":"provider"}'
has resp '"field":"source"'
want 200 "$ADMIN" GET /v1/keys
has resp '"name":"a railway","binding":"rail_high_speed,rail_soft_sleeper"'
hasnt resp "$NEWKEY"
hasnt resp '"hash"'
want 200 "$ADMIN" DELETE "/v1/keys/$NEWID"
want 401 "$NEWKEY" GET "/v1/check?subject=$ID&action=rail_high_speed"
# only the portal's assets are served, whatever the path
for p in /../../etc/passwd /app.js/../../etc/passwd /index.html /web/app.js /%2e%2e/etc/passwd /socred.db; do
	got=$(curl -s --path-as-is -o resp -w '%{http_code}' "$B$p")
	[ "$got" = 404 ] && ok || bad "$p: $got"
	hasnt resp "root:"
done
curl -s -D hdr -o /dev/null "$B/"
has hdr "Content-Security-Policy: default-src 'none'; script-src 'self'"
# an API answer loads nothing at all
curl -s -D hdr -o /dev/null "$B/v1/rulebook"
has hdr "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'"
has hdr "X-Content-Type-Options: nosniff"
want 403 "$SUBJ" GET "/v1/subjects/$OTHER/report"
want 404 "" GET /v1/nothing
want 405 "" POST /v1/rulebook

# refusals are audited (by the audit queue's thread: until they are there)
for i in $(seq 600); do [ "$(audit_count '$7 == "401" || $7 == "403"')" -ge 20 ] && break; sleep 0.1; done
audit_count '$7 == "401" || $7 == "403"' > n401
[ "$(cat n401)" -ge 20 ] && ok || bad "only $(cat n401) refusals audited"
# `audit list` shows every entry (header + one line each); --subject only that subject's
"$SOCRED" audit list > all
"$SOCRED" audit verify > verified
[ "audit log intact: $(($(wc -l < all) - 1)) entries" = "$(cat verified)" ] && ok || bad "audit list: $(wc -l < all) lines, $(cat verified)"
"$SOCRED" audit list --subject "$OTHER" | awk -F'\t' -v s="$OTHER" 'NR > 1 && $6 != s {bad = 1} END {exit bad}' && ok || bad "audit list --subject shows other subjects"

# the check: decision and reason codes, nothing else about the subject
want 200 "$ENF" GET "/v1/check?subject=$ID&action=air_travel"
has resp '"decision":"deny"'
has resp '"list":"judgment_defaulters"'
has resp '"issued_by":"Civil Aviation Administration of China"'
hasnt resp '"record"'
hasnt resp '"ref"'
want 403 "$ENF" GET "/v1/check?subject=$ID&action=golf"
has resp "this key may check air_travel,rail_high_speed only, not 'golf'"
want 400 "$ENF" GET "/v1/check?action=air_travel"
has resp "query parameter 'subject' is required"
want 400 "$ENF" GET "/v1/check?subject=123&action=air_travel"
has resp '"field":"subject"'
want 200 "$ENF" GET "/v1/check?subject=360426199101010071&action=rail_high_speed"
has resp '"decision":"allow","reasons":[]'
# the matrix's POST listed $OTHER (court finding on 2025-12-01, grace 30 days)
want 200 "$ENF" GET "/v1/check?subject=$OTHER&action=rail_high_speed"
has resp '"decision":"deny"'
has resp '"since":"2025-12-31"'

# a provider files for its own source only; rectify its own records
want 200 "$PROV" POST /v1/records 'op,record_id,subject,type,date,source,ref
,h1,'"$OTHER"',court.judgment_default,2025-11-01,court,A
,h2,'"$OTHER"',tax.arrears,2025-11-01,tax,
consent,,'"$OTHER"',public,2025-11-01,,
rectify,h1,,,2025-12-15,,
,h1,'"$OTHER"',court.judgment_default,2025-11-01,court,A'
has resp '"accepted":2,"duplicates":1,"rejected":2'
has resp "{\"line\":3,\"status\":\"rejected\",\"field\":\"source\",\"message\":\"this key files for source 'court' only, not 'tax'\"}"
has resp "a source's key cannot file a consent: the subject's own acts come through the subject"
eq "$(sqlite3 socred.db "SELECT count(*) FROM events e JOIN records r ON r.rid = e.rid WHERE r.record_id = 'h1'")" "1" "rectified by its source"
want 400 "$PROV" POST /v1/records 'op,colour
x,y'
has resp "unknown column 'colour' in the header"
head -c $((17 * 1024 * 1024)) /dev/zero | tr '\0' 'x' > big.csv
got=$(curl -s -o resp -w '%{http_code}' -H "Authorization: Bearer $PROV" -H 'Content-Type: text/csv' --data-binary @big.csv "$B/v1/records")
eq "$got" "413" "oversized body"

# a key made after the server started works (no stale snapshot after writes)
SUBJ2=$("$SOCRED" keys add --role subject --subject "$OTHER" 2> /dev/null)
want 200 "$SUBJ2" GET "/v1/subjects/$OTHER/report"
has resp '"record":"h1"'

# the subject's report: records, lists, incentives, history, inquiries
want 200 "$SUBJ" GET "/v1/subjects/$ID/report"
has resp "\"subject\":\"$ID\""
has resp '"scorecards":[{"scorecard":"public"'
has resp '"lists":[{"list":"judgment_defaulters"'
has resp '"incentives":[{"action":"admin_green_channel","decision":"standard","standard_terms":"the standard administrative approval procedure"'
has resp '{"reason":"no_consent","measure":"deposit_free_bike"'
has resp '"history":[{"at":"2022-12-31"'
has resp '"role":"enforcer","key":3,"action":"air_travel","result":"deny court-'

# statistics for the operators
"$SOCRED" run --at 2025-12-31 > /dev/null
want 200 "$ADMIN" GET /v1/stats
has resp '"rulebook":{"name":"default","version":"2026.1","review_days":30},"run_at":"2025-12-31","grades":{"enterprise":{'
has resp '"records_by_source":{"bank":'
# every list of the rulebook, empty ones too, with its members in the run
has resp '"lists":{"abnormal_operations":'
jd=$("$SOCRED" results | awk -F'\t' '$1 == "list" && $3 == "judgment_defaulters" {print $2}' | sort -u | wc -l)
has resp "\"judgment_defaulters\":$jd,"

# metrics reflect the traffic
want 200 "" GET /metrics
has resp 'socred_checks_total{decision="deny"}'
has resp 'socred_requests_total{route="check",code="2xx"}'
has resp 'socred_request_duration_seconds_bucket{le="+Inf"}'
has resp 'socred_records_stored '

# graceful shutdown; the audit log is flushed and intact
kill -TERM "$SPID"
wait "$SPID"
eq "$?" "0" "server exit status after SIGTERM"
has serve.err "SIGTERM: stopping"
expect_rc 0 "$SOCRED" audit verify
has out "audit log intact"
n=$(audit_count "\$5 == \"file h1\" && \$6 == \"$OTHER\"")
eq "$n" "1" "the filed record is audited against its subject"

# an altered audit block is detected and named by its first entry; so is
# a removed one
seq=$("$SOCRED" audit list | awk -F'\t' 'NR > 1 && $7 ~ /^deny/ {print $1; exit}')
first=$(sqlite3 socred.db "SELECT max(seq) FROM audit_blocks WHERE seq <= $seq")
sqlite3 socred.db "UPDATE audit_blocks SET n = n WHERE seq = $first" 2> upd.err && bad "audit block updated" || ok
has upd.err "the audit log is append-only"
sqlite3 socred.db "DELETE FROM audit_blocks WHERE seq = $first" 2> del.err && bad "audit block deleted" || ok
has del.err "the audit log is append-only"
cp socred.db kept.db
hex=$(sqlite3 socred.db "SELECT hex(data) FROM audit_blocks WHERE seq = $first")
case "$hex" in *64656E79*) ok ;; *) bad "no 'deny' in the block from $first" ;; esac
sqlite3 socred.db "DROP TRIGGER audit_blocks_append_only_u; UPDATE audit_blocks SET data = X'${hex/64656E79/616C6C77}' WHERE seq = $first"
expect_rc 1 "$SOCRED" audit verify
has out "audit log broken at entry $first"
mv kept.db socred.db
rm -f socred.db-wal socred.db-shm
expect_rc 0 "$SOCRED" audit verify
last=$(sqlite3 socred.db "SELECT max(seq) FROM audit_blocks")
second=$(sqlite3 socred.db "SELECT min(seq) FROM audit_blocks WHERE seq > $first")
sqlite3 socred.db "DROP TRIGGER audit_blocks_append_only_d; DELETE FROM audit_blocks WHERE seq = $first"
expect_rc 1 "$SOCRED" audit verify
has out "audit log broken at entry $first"
[ "$second" -le "$last" ] && ok || bad "one block only"
finish
