# The audit log under attack: request paths and parameters with line
# breaks, tabs and terminal controls never become rows or columns of
# `socred audit list`; share-link tokens, keys and credentials never enter
# the log (a short hash prefix names them); a flood of keyless requests
# writes one entry per client and minute with its count; a subject's report
# names the holder of the key that looked; and every command that reads a
# subject's data or changes the ledger logs the OS user who ran it.
. "$(dirname "$0")/lib.bash"

"$SOCRED" init > /dev/null
"$SOCRED" generate --people 200 --orgs 10 --seed 5 > town.csv 2> /dev/null
"$SOCRED" ingest town.csv > /dev/null
ID=$(awk -F, 'NR > 1 && length($3) == 18 && $3 !~ /^9/ {print $3; exit}' town.csv)
[ -n "$ID" ] && ok || bad "no person in town.csv"
ENF=$("$SOCRED" keys add --role enforcer --actions air_travel --name "an airline" 2> /dev/null)
SUBJ=$("$SOCRED" keys add --role subject --subject "$ID" 2> /dev/null)
REV=$("$SOCRED" keys add --role enforcer --actions air_travel 2> /dev/null)
"$SOCRED" keys revoke "$(echo "$REV" | cut -d_ -f2)" > /dev/null

# no rate limit: the flood below is about what the log keeps of it
serve_start serve --today 2025-12-31 --threads 2 --rate 0
# st KEY PATH [METHOD] [BODY]: the HTTP status
st() {
	local auth=() data=()
	[ -n "$1" ] && auth=(-H "Authorization: Bearer $1")
	[ -n "${4:-}" ] && data=(-H 'Content-Type: application/json' --data-binary "$4")
	curl -s --path-as-is -o resp -w '%{http_code}' "${auth[@]}" "${data[@]}" -X "${3:-GET}" "$B$2"
}

# 1. injection: a forged row after a line break, forged columns after tabs,
# a terminal escape; each in a path (a refusal's entry and a handler's) and
# in a parameter
FORGE='%0a999999%092026-01-01T00:00:00.000Z%090%09admin%09forged%09-%09ok%1b%5b2J'
eq "$(st "$ENF" "/v1/subjects/X${FORGE}/report")" 403 "an enforcer's report: refused"
eq "$(st "$SUBJ" "/v1/subjects/X${FORGE}/disputes" POST '{}')" 403 "another subject's dispute: refused"
eq "$(st "$ENF" "/v1/check?subject=$ID&action=rail${FORGE}")" 403 "a check outside the key's actions"
# a header value never reaches the log either
curl -s -o /dev/null -H "Authorization: Bearer $ENF" -H "X-Forwarded-For: 1.2.3.4%0aforged" "$B/v1/check?subject=$ID&action=air_travel"

# 2. secrets: a share link's token in a path, refused with a revoked key and
# with a key of the wrong role; key tokens and credentials in a path and a
# parameter
eq "$(st "$SUBJ" "/v1/subjects/$ID/shares" POST '{"days":7}')" 201 "share link made"
SHARE=$(sed -n 's|.*"url":"/v1/shares/\([0-9a-f]*\)".*|\1|p' resp)
[ ${#SHARE} = 64 ] && ok || bad "share token: '$SHARE'"
eq "$(st "$REV" "/v1/shares/$SHARE")" 401 "a share link with a revoked key"
eq "$(st "" "/v1/shares/$SHARE")" 200 "the share link"
ENFSECRET=${ENF##*_}
eq "$(st "$ENF" "/v1/subjects/$SHARE/report")" 403 "a token in a refused path"
eq "$(st "$ENF" "/v1/subjects/$ENF/report")" 403 "a key in a refused path"
eq "$(st "$SUBJ" "/v1/subjects/Bearer%20$ENFSECRET/statements" POST '{}')" 403 "credentials in a path"
eq "$(st "$ENF" "/v1/check?subject=$ID&action=$SHARE")" 403 "a token in a parameter"

# 4. a flood of keyless requests to a key-only route, from one client
N=400
urls=()
for i in $(seq $N); do urls+=("$B/v1/check?subject=$ID&action=air_travel"); done
curl -s "${urls[@]}" > /dev/null
curl -s "$B/metrics" > metrics
has metrics "socred_audit_refusals_total $((N + 1))"
bytes_before=$(stat -c %s socred.db)
kill -TERM "$SPID"
wait "$SPID"
eq "$?" 0 "server stopped"

# 6. the report names the key's holder; 5. so does an operator's read
"$SOCRED" score "$ID" > /dev/null
serve_start serve --today 2025-12-31 --threads 2
eq "$(st "$SUBJ" "/v1/subjects/$ID/report")" 200 "the report"
cp resp report.json
kill -TERM "$SPID"
wait "$SPID"
has report.json '"who":"an airline","role":"enforcer"'
hasnt report.json '"who":"enforcer key'
has report.json "\"who\":\"operator os:$(id -un)\""
has report.json "\"action\":\"cli score by os:$(id -un)\""

"$SOCRED" audit list > list
expect_rc 0 "$SOCRED" audit verify
n=$(sed -n 's/audit log intact: \([0-9]*\) entries/\1/p' out)
# one line per entry, each of seven fields, none forged, no raw escape
eq "$(($(wc -l < list) - 1))" "$n" "a line per entry"
eq "$(awk -F'\t' 'NF != 7' list | wc -l)" 0 "seven fields on every line"
eq "$(awk -F'\t' '$5 == "forged" || $1 == "999999"' list | wc -l)" 0 "no forged row"
eq "$(grep -c $'\x1b' list)" 0 "no terminal escape"
has list 'GET /v1/subjects/X\n999999\t2026-01-01T00:00:00.000Z\t0\tadmin\tforged\t-\tok\x1b[2J/report'
has list '403 action rail\n999999\t'
# no secret anywhere: not in the listing, not in the ledger's bytes
for s in "$SHARE" "$ENFSECRET"; do
	hasnt list "$s"
	eq "$(cat socred.db* | grep -ac "$s")" 0 "a secret in the ledger's files"
done
SHAREHASH=$(printf %s "$SHARE" | sha256sum | cut -c1-8)
has list "GET /v1/subjects/[redacted:$SHAREHASH]/report"
has list "403 action [redacted:$SHAREHASH]"
has list "sck_$(echo "$ENF" | cut -d_ -f2)_[redacted:"
has list "Bearer [redacted:"
# the share link's viewing is logged against its subject, without its token
eq "$(audit_count "\$5 == \"share viewed\" && \$6 == \"$ID\"")" 1 "share viewed"

# 4. the flood: no entry per request; at most one per minute it spanned,
# their counts adding up (with the revoked key's refusal)
eq "$(audit_count '$7 == "401"')" 0 "no entry per refused request"
flood=$(audit_count '$5 == "refused without a valid key, from 127.0.0.1"')
[ "$flood" -ge 1 ] && [ "$flood" -le 3 ] && ok || bad "$flood flood entries"
eq "$(awk -F'\t' '$5 == "refused without a valid key, from 127.0.0.1" {split($7, w, " "); n += w[3]} END {print n + 0}' list)" \
	"$((N + 1))" "refusals counted"
bytes_after=$(stat -c %s socred.db)
echo "ledger: $bytes_before bytes before the flood's entries were written, $bytes_after after"

# 5. every command that reads a subject's data or changes the ledger logs the
# OS user; the command's entry is written before its answer
me=$(id -un)
"$SOCRED" explain "$ID" > /dev/null
"$SOCRED" check "$ID" air_travel > /dev/null
"$SOCRED" lists judgment_defaulters > /dev/null
"$SOCRED" run --at 2025-12-31 > /dev/null
"$SOCRED" results > /dev/null
"$SOCRED" ingest town.csv > /dev/null 2>&1
"$SOCRED" expire --at 2025-12-31 > /dev/null
"$SOCRED" keys list > /dev/null
"$SOCRED" keys add --role enforcer --actions air_travel > /dev/null 2>&1
sed 's/^version: "2026.1"/version: "2099.1"/' "$SRC/rulebooks/default.yaml" > next.yaml
"$SOCRED" rulebook publish next.yaml --effective 2099-01-01 > /dev/null
"$SOCRED" whatif next.yaml --at 2025-12-31 > /dev/null
"$SOCRED" audit list > list
for c in score explain check lists run results whatif ingest expire "keys list" "keys add" "rulebook publish"; do
	n=$(awk -F'\t' -v a="cli $c by os:$me" '$5 == a && $3 == 0 && $4 == "admin"' list | wc -l)
	[ "$n" -ge 1 ] && ok || bad "no entry for '$c' naming os:$me"
done
eq "$(awk -F'\t' -v a="cli score by os:$me" '$5 == a {print $6}' list)" "$ID" "score's entry names its subject"
expect_rc 0 "$SOCRED" audit verify
finish
