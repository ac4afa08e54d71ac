# Requests without a valid API key are limited per client address, loopback
# included: over the limit, 429 with Retry-After, counted in /metrics. A
# made-up key is no way round it; a valid key is not limited; another
# address has its own bucket. The default limit applies unless --rate 0.
. "$(dirname "$0")/lib.bash"

P=360426199101010071
"$SOCRED" init > /dev/null
cat > seed.csv <<CSV
op,record_id,subject,type,date,amount,source,ref,name
register,,$P,,2020-01-01,,,,Zhang San
,c1,$P,court.judgment_default,2025-11-01,,court,(2025) Gan 0426 Zhi 17,
CSV
expect_rc 0 "$SOCRED" ingest seed.csv
ENF=$("$SOCRED" keys add --role enforcer --actions air_travel 2> /dev/null)
SPID=
# start ARGS...: a server; its base URL in $B
start() { serve_start serve --today 2025-12-31 --threads 2 "$@"; }
stop() { [ -n "$SPID" ] && kill -TERM "$SPID" && wait "$SPID"; SPID=; }
trap 'stop; rm -rf "$T"' EXIT
# code [CURL ARGS...] PATH: the status; the body in resp, the headers in hdr
code() {
	local p=${*: -1}
	curl -s -D hdr -o resp -w '%{http_code}' "${@:1:$#-1}" "$B$p"
}

# a bucket of 3 that fills again in 1,000 s: the fourth keyless request is over
start --rate 0.001 --burst 3
for i in 1 2 3; do eq "$(code "/v1/search?q=Zhang%20San")" 200 "keyless search $i of 3"; done
eq "$(code "/v1/search?q=Zhang%20San")" 429 "the fourth keyless search"
has resp '"status":429'
has resp "too many requests without an API key"
ra=$(tr -d '\r' < hdr | sed -n 's/^Retry-After: //ip')
[ -n "$ra" ] && [ "$ra" -ge 1 ] && [ "$ra" -le 1000 ] && ok || bad "Retry-After '$ra'"
# every keyless route, and one that is none
n=1
for p in /healthz / /app.js /v1/rulebook /v1/lists/judgment_defaulters?q=Zhang%20San /no/such/path; do
	eq "$(code "$p")" 429 "keyless $p over the limit"
	n=$((n + 1))
done
# a made-up key is keyless: 429, not a 401 to try keys with
eq "$(code -H "Authorization: Bearer not-a-key" "/v1/check?subject=$P&action=air_travel")" 429 "an unknown key over the limit"
n=$((n + 1))
# a valid key is not limited
for i in 1 2 3 4 5; do
	eq "$(code -H "Authorization: Bearer $ENF" "/v1/check?subject=$P&action=air_travel")" 200 "a check with a key ($i)"
done
# another address has its own bucket; the refusals are counted
eq "$(code --interface 127.0.0.2 "/v1/search?q=Zhang%20San")" 200 "a search from 127.0.0.2"
eq "$(code --interface 127.0.0.3 /metrics)" 200 "metrics from 127.0.0.3"
has resp "socred_rate_limited_total $n"
stop

# many: 300 keyless requests on one connection, their statuses
many() {
	local args=() i
	for i in $(seq 300); do args+=(-o /dev/null "$B/healthz"); done
	curl -s -w '%{http_code}\n' "${args[@]}"
}

# the default limit holds on loopback: 300 keyless requests at once
start
many > codes
limited=$(grep -c '^429$' codes)
[ "$limited" -ge 100 ] && ok || bad "only $limited of 300 requests limited by default"
grep -q '^200$' codes && ok || bad "no request served by default"
stop
# --rate 0: no limit
start --rate 0
many > codes
eq "$(grep -c '^200$' codes)" 300 "requests served with --rate 0"
stop
finish
