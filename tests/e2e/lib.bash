# Shared by the end-to-end tests: $1 is the socred binary, $2 the source dir.
set -u
SOCRED=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
export SOCRED_DB="$T/socred.db"
PASS=0
FAIL=0

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
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" = 0 ]
}
