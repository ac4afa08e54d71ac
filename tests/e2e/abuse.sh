# Abuse: slow clients do not starve others; connections beyond the limit are
# refused at once and the server serves again when they go; headers over
# 8 KiB get 431; an oversized body gets 413 and malformed JSON 400 with the
# parser's diagnostic.
. "$(dirname "$0")/lib.bash"

P=11010519491231002X
"$SOCRED" init > /dev/null
printf 'op,record_id,subject,type,date,source,ref\n,a1,%s,court.judgment_default,2025-06-01,court,(2025) Jing 1\n' $P > one.csv
"$SOCRED" ingest one.csv > /dev/null
ENF=$("$SOCRED" keys add --role enforcer --actions air_travel 2> /dev/null)
SUBJ=$("$SOCRED" keys add --role subject --subject $P 2> /dev/null)
# no limit on requests without a key: /metrics and /healthz are polled ten
# times a second (the limit: ratelimit.sh)
serve_start serve --threads 2 --max-connections 64 --today 2025-12-31 --rate 0
check() { curl -s -o resp -w '%{http_code}' --max-time 20 -H "Authorization: Bearer $ENF" "$B/v1/check?subject=$P&action=air_travel"; }
eq "$(check)" 200 "a check before the abuse"

# -- 40 slow clients, each sending its request a byte a second, while 100
# ordinary checks are made: every check is answered (within 20 s each, less
# than the slow clients' dribble of over 30 s: the server's threads are not
# held by the slow ones)
REQ="GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
slow_fds=()
for i in $(seq 40); do
	exec {fd}<> "/dev/tcp/127.0.0.1/$PORT" && slow_fds+=("$fd")
done
eq "${#slow_fds[@]}" 40 "slow connections opened"
(
	for k in $(seq 0 $((${#REQ} - 1))); do
		for fd in "${slow_fds[@]}"; do printf '%s' "${REQ:$k:1}" >&"$fd" 2> /dev/null; done
		echo "$k" > dribbled
		sleep 1
	done
) &
dribbler=$!
open_now() { curl -s --max-time 30 "$B/metrics" | sed -n 's/^socred_connections_open //p'; }
# until every slow client is a few bytes into its request and the server
# holds all 40 (its count includes the asking request's own connection)
for i in $(seq 600); do [ "$(cat dribbled 2> /dev/null)" -ge 2 ] 2> /dev/null && break; sleep 0.1; done
for i in $(seq 600); do [ "$(open_now)" = 41 ] && break; sleep 0.1; done
eq "$(open_now)" 41 "the slow connections are held"
answered=0
for i in $(seq 100); do [ "$(check)" = 200 ] && answered=$((answered + 1)); done
eq "$answered" 100 "checks answered while 40 clients dribble"
kill "$dribbler" 2> /dev/null
wait "$dribbler" 2> /dev/null
for fd in "${slow_fds[@]}"; do exec {fd}>&-; done

# -- beyond --max-connections 64: 64 idle connections held open, then a
# request is refused at once (the connection closed, not left hanging); once
# they close, requests are served again
# the slow clients' connections are closed first (the count includes the
# asking request's own connection)
for i in $(seq 600); do [ "$(open_now)" = 1 ] && break; sleep 0.1; done
eq "$(open_now)" 1 "the slow connections are gone"
idle=()
for i in $(seq 63); do exec {fd}<> "/dev/tcp/127.0.0.1/$PORT" && idle+=("$fd"); done
# until the server holds all 63 (its count includes this request's own)
for i in $(seq 600); do [ "$(open_now)" = 64 ] && break; sleep 0.1; done
exec {fd}<> "/dev/tcp/127.0.0.1/$PORT" && idle+=("$fd")
# the 64th may take a moment to be counted: a request then is still served
for try in $(seq 300); do
	start=$(date +%s)
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 "$B/healthz")
	took=$(($(date +%s) - start))
	[ "$code" = 000 ] && break
	sleep 0.2
done
eq "$code" 000 "a request beyond the connection limit is refused"
# left hanging, it would wait out curl's 60 s
[ "$took" -lt 30 ] && ok || bad "refusal took ${took}s: left hanging"
for fd in "${idle[@]}"; do exec {fd}>&-; done
for i in $(seq 600); do [ "$(open_now)" = 1 ] && break; sleep 0.1; done
eq "$(check)" 200 "served again once the idle connections are gone"
refused=$(curl -s "$B/metrics" | sed -n 's/^socred_connections_refused_total //p')
[ "${refused:-0}" -ge 1 ] && ok || bad "refusals not counted: '$refused'"

# -- headers: 7,000 bytes of them are read; over 8 KiB (the connection's
# memory for a request's headers) is 431, and the next request is served
big() { head -c "$1" /dev/zero | tr '\0' a; }
eq "$(curl -s -o resp -w '%{http_code}' -H "X-Pad: $(big 7000)" -H "Authorization: Bearer $ENF" \
	"$B/v1/check?subject=$P&action=air_travel")" 200 "a request with 7,000 bytes of headers"
eq "$(curl -s -o resp -w '%{http_code}' -H "X-Pad: $(big 9000)" -H "Authorization: Bearer $ENF" \
	"$B/v1/check?subject=$P&action=air_travel")" 431 "headers over 8 KiB"
eq "$(check)" 200 "served after the oversized headers"

# -- bodies: too large, and not JSON
head -c $((17 * 1024 * 1024)) /dev/zero | tr '\0' 'x' > big.body
eq "$(curl -s -o resp -w '%{http_code}' -H "Authorization: Bearer $SUBJ" -H 'Content-Type: application/json' \
	--data-binary @big.body "$B/v1/subjects/$P/disputes")" 413 "oversized body"
has resp "request body is larger than 16777216 bytes"
for body in '{"record": "a1", "reason": ' '{"record": "a1" "reason": "x"}' '[1, 2' '{"a":1,"a":2}'; do
	eq "$(curl -s -o resp -w '%{http_code}' -H "Authorization: Bearer $SUBJ" -H 'Content-Type: application/json' \
		--data-binary "$body" "$B/v1/subjects/$P/disputes")" 400 "malformed JSON: $body"
	has resp '"message":"invalid JSON'
done
has resp "duplicate object key"

kill -TERM $SPID
wait $SPID
eq "$?" 0 "clean shutdown after the abuse"
finish
