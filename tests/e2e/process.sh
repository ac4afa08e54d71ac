# Due process over HTTP, across dates (--today): consent, a dispute left past
# its deadline (the record stops counting), decided by the filing source
# (upheld) or corrected (revoked), enforcers told meanwhile, statements,
# credit repair, share links, public search with masking.
. "$(dirname "$0")/lib.bash"

P=360426199101010071
Q=11010519491231002X
ORG=91110000600037341L
"$SOCRED" init > /dev/null
cat > seed.csv <<CSV
op,record_id,subject,type,date,amount,source,ref,name
register,,$P,,2020-01-01,,,,Zhang San
register,,$Q,,2020-01-01,,,,Zhang Wei
register,,$ORG,,2020-01-01,,,,Beijing Example Trading Co
consent,,$P,public,2020-01-01,,,,
consent,,$Q,public,2020-01-01,,,,
,c1,$P,court.judgment_default,2025-11-01,,court,(2025) Gan 0426 Zhi 17,
,c2,$Q,court.judgment_default,2025-11-01,,court,(2025) Jing 0105 Zhi 9,
,c3,$Q,traffic.violation,2025-11-05,,traffic,,
,t1,$ORG,tax.evasion,2025-06-01,,tax,SAT (2025) 12,
CSV
expect_rc 0 "$SOCRED" ingest seed.csv
SUBJ=$("$SOCRED" keys add --role subject --subject "$P" 2> /dev/null)
SUBQ=$("$SOCRED" keys add --role subject --subject "$Q" 2> /dev/null)
ENF=$("$SOCRED" keys add --role enforcer --actions air_travel 2> /dev/null)
COURT=$("$SOCRED" keys add --role provider --source court 2> /dev/null)
BANK=$("$SOCRED" keys add --role provider --source bank 2> /dev/null)
ADMIN=$("$SOCRED" keys add --role admin 2> /dev/null)

SPID=
start() { # start TODAY
	stop
	serve_start serve --today "$1" --threads 2
}
stop() { [ -n "$SPID" ] && kill -TERM "$SPID" && wait "$SPID"; SPID=; }
trap 'stop; rm -rf "$T"' EXIT
req() { # req STATUS KEY METHOD PATH [JSON]
	local w=$1 key=$2 m=$3 p=$4 body=${5:-}
	local auth=(); [ -n "$key" ] && auth=(-H "Authorization: Bearer $key")
	local data=(); [ -n "$body" ] && data=(-H 'Content-Type: application/json' --data-binary "$body")
	local got; got=$(curl -s -o resp -w '%{http_code}' "${auth[@]}" -X "$m" "${data[@]}" "$B$p")
	if [ "$got" = "$w" ]; then ok; else bad "$m $p: $got, want $w"; head -c 400 resp; echo; fi
}
check() { req 200 "$ENF" GET "/v1/check?subject=$1&action=air_travel"; }

start 2025-12-31
# consent: withdrawn today, given again
req 200 "$SUBJ" POST "/v1/subjects/$P/consent" '{"scorecard":"public","granted":false}'
has resp '"granted":false,"from":"2025-12-31"'
req 200 "$SUBJ" GET "/v1/subjects/$P/report"
has resp '"scorecard":"public","status":"no_consent"'
req 400 "$SUBJ" POST "/v1/subjects/$P/consent" '{"scorecard":"nope","granted":true}'
req 400 "$SUBJ" POST "/v1/subjects/$P/consent" '{"scorecard":"public"}'
has resp "'granted' is required: true or false"
req 403 "$SUBQ" POST "/v1/subjects/$P/consent" '{"scorecard":"public","granted":true}'
req 400 "$SUBJ" POST "/v1/subjects/$P/disputes" '{"record":"c1",'
has resp '"message":"invalid JSON:'

# a dispute of c1: deadline 30 days later; the enforcer is told "deny" meanwhile
check "$P"
has resp '"decision":"deny"'
req 201 "$SUBJ" POST "/v1/subjects/$P/disputes" '{"record":"c1","reason":"I paid on 2025-10-20; receipt attached"}'
has resp '"id":1,"record":"c1","subject":"'"$P"'","source":"court"'
has resp '"opened":"2025-12-31","deadline":"2026-01-30","status":"open"'
req 409 "$SUBJ" POST "/v1/subjects/$P/disputes" '{"record":"c1","reason":"again"}'
req 404 "$SUBJ" POST "/v1/subjects/$P/disputes" '{"record":"c2","reason":"not mine"}'
check "$P"
has resp '"decision":"deny"'
req 200 "$ADMIN" GET "/v1/disputes?open=1"
has resp '"deadline":"2026-01-30","status":"open"'
req 200 "$BANK" GET "/v1/disputes?open=1"
has resp '"disputes":[]'

# past the deadline, undecided: c1 stops counting, for points and the list
start 2026-02-15
check "$P"
has resp '"decision":"allow"'
req 200 "$SUBJ" GET "/v1/subjects/$P/report"
# consent withdrawn on 2025-12-31: the record and its window, without its points
has resp '"record":"c1","type":"court.judgment_default","date":"2025-11-01","source":"court","scorecard":"public","points":null,"from":"2025-11-01","until":"2030-10-31","state":"suspended"'
has resp '"lists":[]'
# only the filing source (or an admin) decides
req 403 "$BANK" POST /v1/disputes/1/decision '{"outcome":"upheld"}'
req 400 "$COURT" POST /v1/disputes/1/decision '{"outcome":"maybe"}'
start 2026-02-20
req 200 "$COURT" POST /v1/disputes/1/decision '{"outcome":"upheld","note":"no payment was received"}'
has resp '"decided":"2026-02-20","outcome":"upheld","decided_by":"provider key 4 of court"'
req 409 "$ADMIN" POST /v1/disputes/1/decision '{"outcome":"corrected"}'
check "$P"
has resp '"decision":"deny"'
req 200 "$SUBJ" GET "/v1/subjects/$P/report"
has resp '"told_meanwhile":[{"at":"'
has resp '"role":"enforcer","key":3,"action":"air_travel","result":"deny c1"'
# a corrected dispute revokes the record
req 201 "$SUBQ" POST "/v1/subjects/$Q/disputes" '{"record":"c2","reason":"wrong person"}'
check "$Q"
has resp '"decision":"deny"'
req 200 "$ADMIN" POST /v1/disputes/2/decision '{"outcome":"corrected","note":"identity mix-up"}'
check "$Q"
has resp '"decision":"allow"'
eq "$(sqlite3 socred.db "SELECT e.ref FROM events e JOIN records r ON r.rid = e.rid WHERE r.record_id = 'c2' AND e.op = 2")" "dispute 2 corrected" "revocation by correction"

# an explanatory statement
req 201 "$SUBQ" POST "/v1/subjects/$Q/statements" '{"record":"c3","text":"The sign was hidden by roadworks."}'
req 404 "$SUBQ" POST "/v1/subjects/$Q/statements" '{"record":"c1","text":"not my record"}'
req 200 "$SUBQ" GET "/v1/subjects/$Q/report"
has resp '"statements":[{"record":"c3","text":"The sign was hidden by roadworks.","date":"2026-02-20"}]'

# credit repair: applied with a commitment, refused with a reason, applied
# again, approved: a rectification ends the listing
req 201 "$SUBJ" POST "/v1/subjects/$P/repairs" '{"record":"c1","commitment":"I will pay in full by 2026-03-01 and accept public listing until then."}'
has resp '"id":1,"record":"c1"'
req 409 "$SUBJ" POST "/v1/subjects/$P/repairs" '{"record":"c1","commitment":"again"}'
req 400 "$COURT" POST /v1/repairs/1/decision '{"outcome":"refused"}'
has resp "a refusal must give its reason"
req 200 "$COURT" POST /v1/repairs/1/decision '{"outcome":"refused","reason":"no payment plan filed"}'
req 201 "$SUBJ" POST "/v1/subjects/$P/repairs" '{"record":"c1","commitment":"Paid in full; receipt no. 88."}'
req 200 "$ADMIN" GET "/v1/repairs?open=1"
has resp '"id":2,"record":"c1"'
start 2026-03-02
req 200 "$COURT" POST /v1/repairs/2/decision '{"outcome":"approved"}'
check "$P"
has resp '"decision":"allow"'
eq "$(sqlite3 socred.db "SELECT e.ref FROM events e JOIN records r ON r.rid = e.rid WHERE r.record_id = 'c1' AND e.op = 1")" "credit repair 2 approved" "rectification by repair"

# share links: score and grade only, for a limited time
req 200 "$SUBJ" POST "/v1/subjects/$P/consent" '{"scorecard":"public","granted":true}'
req 201 "$SUBJ" POST "/v1/subjects/$P/shares" '{"days":7}'
URL=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' resp)
has resp '"expires":"2026-03-09"'
req 400 "$SUBJ" POST "/v1/subjects/$P/shares" '{"days":365}'
req 200 "" GET "$URL"
has resp '"scores":[{"scorecard":"public","score":'
hasnt resp 'c1'
hasnt resp 'judgment'
req 404 "" GET /v1/shares/0000000000000000000000000000000000000000000000000000000000000000
req 404 "" GET /v1/shares/not-a-token
start 2026-03-09
req 410 "" GET "$URL"
has resp "this share link expired on 2026-03-09"

# public search: persons masked, organisations in full
req 200 "" GET "/v1/search?q=Beijing"
has resp '"list":"serious_tax_violators","label":"Major tax violation and dishonesty cases","subject":"'"$ORG"'","name":"Beijing Example Trading Co","finding":"tax.evasion","issued_by":"Tax bureaus (SAT)","case":"SAT (2025) 12","since":"2025-06-01"'
"$SOCRED" ingest - > /dev/null <<CSV
op,record_id,subject,type,date,source,ref
,c9,$Q,court.judgment_default,2026-01-01,court,(2026) Jing 0105 Zhi 3
CSV
req 200 "" GET "/v1/lists/judgment_defaulters?q=Zhang%20Wei"
has resp '"subject":"·","name":"Z·","finding":"court.judgment_default","issued_by":"People'"'"'s courts","case":"(2026) Jing 0105 Zhi 3"'
hasnt resp '"name":"Zhang Wei"'
req 200 "" GET "/v1/lists/judgment_defaulters?q=Zhang"
has resp '"results":[]'
req 200 "" GET "/v1/lists/judgment_defaulters?q=$Q"
has resp '"subject":"·","name":"·"'
req 400 "" GET "/v1/search?q=%20"
req 404 "" GET "/v1/lists/no_such_list?q=Zhang"
stop
expect_rc 0 "$SOCRED" audit verify
n=$(audit_count '$5 ~ /^(dispute|dispute decision|statement|repair application|repair decision|consent|withdraw consent|share|share viewed)$/')
[ "$n" -ge 14 ] && ok || bad "only $n due-process entries audited"
finish
