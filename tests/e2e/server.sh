# The server's own contracts: a port in use is an error (unless every server
# asked to share it), an oversized body is refused before it is sent (no
# "100 Continue"), /metrics is for loopback and admin or monitor keys, and
# the last admin key cannot be revoked.
. "$(dirname "$0")/lib.bash"

"$SOCRED" init > /dev/null
ADMIN=$("$SOCRED" keys add --role admin --name ops 2> /dev/null)
MON=$("$SOCRED" keys add --role monitor --name prometheus 2> /dev/null)
ENF=$("$SOCRED" keys add --role enforcer --actions air_travel 2> /dev/null)
ADMIN_ID=$(echo "$ADMIN" | cut -d_ -f2)
SPIDS=()
trap 'for p in "${SPIDS[@]}"; do kill -TERM "$p" 2> /dev/null; wait "$p" 2> /dev/null; done; rm -rf "$T"' EXIT

# code KEY METHOD URL [JSON]: the HTTP status, the body in resp
code() {
	local auth=() data=()
	[ -n "$1" ] && auth=(-H "Authorization: Bearer $1")
	[ -n "${4:-}" ] && data=(-H 'Content-Type: application/json' --data-binary "$4")
	curl -s -o resp -w '%{http_code}' --max-time 60 "${auth[@]}" -X "$2" "${data[@]}" "$3"
}
want() { # want STATUS KEY METHOD URL [JSON]
	local w=$1 got; shift
	got=$(code "$@")
	if [ "$got" = "$w" ]; then ok; else bad "$2 $3 with key ${1:0:8}: $got, want $w"; head -c 300 resp; echo; fi
}

# ---- a port in use ----
serve_start one --today 2025-12-31
SPIDS+=("$SPID")
ONE=$B
ONE_PORT=$PORT
"$SOCRED" serve --listen "127.0.0.1:$ONE_PORT" > two.out 2> two.err &
TWO=$!
# it either exits or says it serves; up to a minute
for i in $(seq 600); do
	kill -0 "$TWO" 2> /dev/null || break
	grep -q serving two.out && break
	sleep 0.1
done
if kill -0 "$TWO" 2> /dev/null; then
	bad "a second server on port $ONE_PORT is running: $(cat two.out)"
	kill -TERM "$TWO"
	wait "$TWO"
else
	wait "$TWO"
	eq "$?" 2 "a second server on a port in use exits 2"
	has two.err "cannot listen on 127.0.0.1:$ONE_PORT: address already in use"
fi
want 200 "" GET "$ONE/healthz"
# --reuse-port on both: they share it
serve_start three --reuse-port --today 2025-12-31
SPIDS+=("$SPID")
serve_start four --listen "127.0.0.1:$PORT" --reuse-port --today 2025-12-31
SPIDS+=("$SPID")
has four.out "serving http://127.0.0.1:$PORT/"

# ---- Expect: 100-continue over the body limit: 413 at once ----
# status LENGTH: the status of the first line the server sends after the
# headers of a POST that waits for "100 Continue" before its body
status() {
	local line=
	exec {fd}<> "/dev/tcp/127.0.0.1/$ONE_PORT"
	printf 'POST /v1/records HTTP/1.1\r\nHost: socred\r\nAuthorization: Bearer %s\r\nContent-Type: text/csv\r\nContent-Length: %s\r\nExpect: 100-continue\r\n\r\n' \
		"$ENF" "$1" >&$fd
	read -t 60 -r line <&$fd
	exec {fd}<&-
	line=${line#HTTP/1.1 }
	echo "${line%% *}"
}
eq "$(status 99999999)" 413 "Expect: 100-continue over the limit"
eq "$(status 16777217)" 413 "Expect: 100-continue one byte over the limit"
eq "$(status 16777216)" 100 "Expect: 100-continue at the limit"
# curl sends the header for a large body by itself
head -c 17000000 /dev/zero > big
got=$(curl -s -o resp -w '%{http_code}' --max-time 60 -H "Authorization: Bearer $ENF" \
	-H 'Content-Type: text/csv' --data-binary @big "$ONE/v1/records")
eq "$got" 413 "curl with a body over the limit"
has resp "request body is larger than"

# ---- /metrics: loopback, or an admin or monitor key ----
want 200 "" GET "$ONE/metrics"
want 200 "$ADMIN" GET "$ONE/metrics"
want 200 "$MON" GET "$ONE/metrics"
has resp "socred_checks_total"
want 403 "$ENF" GET "$ONE/metrics"
# a monitor key reads nothing else
want 200 "$MON" GET "$ONE/healthz"
want 403 "$MON" GET "$ONE/v1/keys"
want 403 "$MON" GET "$ONE/v1/check?subject=360426199101010071&action=air_travel"
want 403 "$MON" GET "$ONE/v1/search?q=Zhang"
# --metrics-key-only: loopback needs a key too (a reverse proxy on this host)
serve_start keyonly --metrics-key-only --today 2025-12-31
SPIDS+=("$SPID")
want 401 "" GET "$B/metrics"
has resp "/metrics needs an admin or monitor key"
want 200 "$MON" GET "$B/metrics"
want 200 "" GET "$B/healthz"
# from another address: this host's first address that is not loopback,
# so that the request's peer is that address
IP=$(hostname -I 2> /dev/null | tr ' ' '\n' | grep -m1 -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' | grep -v '^127\.')
if [ -n "$IP" ]; then
	serve_start external --listen "$IP:0" --today 2025-12-31
	SPIDS+=("$SPID")
	want 401 "" GET "$B/metrics"
	has resp "unless asked from this host (loopback)"
	want 200 "$MON" GET "$B/metrics"
	want 200 "" GET "$B/healthz"
else
	echo "note: no address but loopback here; the peer-address rule was tested with --metrics-key-only only"
fi

# ---- the last admin key ----
want 409 "$ADMIN" DELETE "$ONE/v1/keys/$ADMIN_ID"
has resp "is the last active admin key"
want 200 "$ADMIN" GET "$ONE/v1/keys"
has resp '"role":"monitor","name":"prometheus"'
want 403 "$MON" DELETE "$ONE/v1/keys/$ADMIN_ID"
want 201 "$ADMIN" POST "$ONE/v1/keys" '{"role":"admin","name":"second"}'
ADMIN2=$(sed -n 's/.*"key":"\([^"]*\)".*/\1/p' resp)
ADMIN2_ID=$(echo "$ADMIN2" | cut -d_ -f2)
want 200 "$ADMIN2" DELETE "$ONE/v1/keys/$ADMIN_ID"
want 401 "$ADMIN" GET "$ONE/v1/keys"
want 409 "$ADMIN2" DELETE "$ONE/v1/keys/$ADMIN2_ID"
want 200 "$ADMIN2" DELETE "$ONE/v1/keys/$ADMIN_ID" # already revoked: no change
want 200 "$ADMIN2" GET "$ONE/v1/keys"
# the shell: refused with the way out, or with --force
expect_rc 2 "$SOCRED" keys revoke "$ADMIN2_ID"
has "$T/err" "key $ADMIN2_ID is the last active admin key"
has "$T/err" "or revoke it with --force"
want 200 "$ADMIN2" GET "$ONE/v1/keys"
expect_rc 0 "$SOCRED" keys revoke --force "$ADMIN2_ID"
want 401 "$ADMIN2" GET "$ONE/v1/keys"
"$SOCRED" audit list > audit.txt
has audit.txt "key $ADMIN2_ID revoked (--force)"
expect_rc 0 "$SOCRED" audit verify

for p in "${SPIDS[@]}"; do kill -TERM "$p"; wait "$p" || bad "server $p exited $?"; done
SPIDS=()
finish
