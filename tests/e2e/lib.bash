# Shared by the end-to-end tests: $1 is the socred binary, $2 the source dir.
set -u
SOCRED=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
export SOCRED_DB="$T/socred.db"
# SOCRED_VALGRIND=1 (scripts/valgrind.sh): every socred the test starts runs
# under valgrind's memcheck; finish fails on any error it logged
if [ "${SOCRED_VALGRIND:-0}" = 1 ]; then
	mkdir -p "$T/vg"
	printf '#!/bin/sh\nexec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --log-file=%s/vg/%%p.log %s "$@"\n' \
		"$T" "$SOCRED" > "$T/socred-vg"
	chmod +x "$T/socred-vg"
	SOCRED=$T/socred-vg
fi
PASS=0
FAIL=0
# audit_count CONDITION: how many audit entries meet an awk condition over
# the fields of `socred audit list` ($1 seq, $2 at, $3 key, $4 role,
# $5 action, $6 subject, $7 result)
audit_count() { "$SOCRED" audit list | awk -F'\t' "NR > 1 && ($1) {n++} END {print n + 0}"; }

ok() { PASS=$((PASS + 1)); }
bad() { FAIL=$((FAIL + 1)); echo "FAIL: $*"; }

# expect_rc WANT CMD...: the command exits WANT
expect_rc() {
	local want=$1; shift
	"$@" > "$T/out" 2> "$T/err"; local rc=$?
	if [ "$rc" = "$want" ]; then ok; else bad "exit $rc, want $want: $*"; sed 's/^/  | /' "$T/err" | head -5; fi
}
# has FILE TEXT: FILE contains TEXT literally
has() {
	if grep -qF -- "$2" "$1"; then ok; else bad "$1 lacks: $2"; sed 's/^/  | /' "$1" | head -10; fi
}
hasnt() {
	if grep -qF -- "$2" "$1"; then bad "$1 has: $2"; else ok; fi
}
eq() {
	if [ "$1" = "$2" ]; then ok; else bad "'$1' != '$2' ($3)"; fi
}
finish() {
	local f
	for f in "$T"/vg/*.log; do
		[ -s "$f" ] || continue
		bad "valgrind: $(grep -m1 -E '(Invalid|uninitialised|definitely lost|Mismatched)' "$f")"
		head -40 "$f"
	done
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" = 0 ]
}

# A run's --json output without what differs between equal runs: its id,
# timings, memory, the snapshot's path, threads, the image's state and where the
# snapshot's record ids came from.
run_strip() {
	sed 's/"run":[0-9]*,//; s/"seconds":[0-9.e+-]*,"peak_mib":[0-9.e+-]*,//; s/,"snapshot":"[^"]*"//;
	     s/,"threads":[0-9]*//; s/,"phases":{[^}]*}//; s/,"image":{[^}]*}//; s/,"image":null//;
	     s/,"record_ids":{[^}]*}//'
}

# serve_start NAME [ARGS...]: the one way a test starts a server. Runs
# `socred serve ARGS` (with --listen 127.0.0.1:0 unless ARGS has --listen),
# output in NAME.out and NAME.err, and waits until it says where it listens
# and takes a connection there (no request: nothing is counted against a
# rate limit or in the metrics), for up to
# SERVE_WAIT seconds (default 60: a sanitizer or valgrind build on a loaded
# machine starts slowly). Sets SPID, PORT and B (its base URL; 127.0.0.1 for
# a server on 0.0.0.0). A server that exits or never answers fails the test
# and ends it.
serve_start() {
	local name=$1 a host= deadline=$((SECONDS + ${SERVE_WAIT:-60}))
	local listen=(--listen 127.0.0.1:0)
	shift
	for a in "$@"; do [ "$a" = --listen ] && listen=(); done
	# emptied here, not by the redirection in the child: a previous
	# server's line must not be read as this one's
	: > "$name.out"
	: > "$name.err"
	"$SOCRED" serve "${listen[@]}" "$@" >> "$name.out" 2>> "$name.err" &
	SPID=$!
	PORT=
	B=
	while [ "$SECONDS" -le "$deadline" ]; do
		if [ -z "$PORT" ]; then
			# "socred: serving http://HOST:PORT/ (...)", read once
			a=$(sed -n 's|^socred: serving http://\(.*\):\([0-9][0-9]*\)/ .*|\1 \2|p' "$name.out")
			if [ -n "$a" ]; then
				host=${a% *}
				PORT=${a#* }
				[ "$host" = 0.0.0.0 ] && host=127.0.0.1
				B=http://$host:$PORT
			fi
		fi
		if [ -n "$B" ] && (exec {a}<> "/dev/tcp/$host/$PORT") 2> /dev/null; then
			return 0
		fi
		kill -0 "$SPID" 2> /dev/null || break
		sleep 0.1
	done
	if kill -0 "$SPID" 2> /dev/null; then
		bad "socred serve $* did not take a connection within ${SERVE_WAIT:-60} s (at ${B:-no address yet})"
	else
		bad "socred serve $* exited before it took a connection"
	fi
	sed 's/^/  | /' "$name.out" "$name.err" | head -20
	kill -TERM "$SPID" 2> /dev/null
	wait "$SPID" 2> /dev/null
	SPID=
	finish
	exit 1
}
