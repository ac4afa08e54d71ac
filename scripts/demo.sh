#!/usr/bin/env bash
# The main job on the embedded default (SQLite, nothing to set up): build,
# generate a synthetic city of 100,000 people and 5,000 organisations, ingest
# it, evaluate everyone, and explain a few subjects.
# Usage: scripts/demo.sh [PEOPLE [ORGS]]    (state in ./demo/)
set -euo pipefail
cd "$(dirname "$0")/.."
PEOPLE=${1:-100000}
ORGS=${2:-5000}
AT=2025-12-31

scripts/setup.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo
S=$PWD/build/socred
mkdir -p demo
cd demo
rm -f city.db city.db-wal city.db-shm city.csv.rejects.csv
export SOCRED_DB=$PWD/city.db

echo "== socred generate --people $PEOPLE --orgs $ORGS --seed 1"
"$S" generate --people "$PEOPLE" --orgs "$ORGS" --seed 1 > city.csv
echo "== socred init (default rulebook $(grep -m1 '^version' ../rulebooks/default.yaml))"
"$S" init
echo "== socred ingest city.csv"
rc=0; "$S" ingest city.csv || rc=$?
[ "$rc" -le 1 ] || exit "$rc"
echo "== socred run --at $AT"
"$S" run --at "$AT"

"$S" lists --at "$AT" > lists.tsv
listed=$(awk -F'\t' '$1 == "judgment_defaulters" && $2 !~ /^9/ {print $2; exit}' lists.tsv)
org=$(awk -F'\t' '$1 == "serious_tax_violators" {print $2; exit}' lists.tsv)
capped=$(awk -F, 'NR == FNR {if ($1 == "consent" && $5 < "2025") c[$3] = 1; next}
	$4 == "traffic.drunk_driving" && $5 ~ /^2025/ && c[$3] {print $3; exit}' city.csv city.csv)
for id in $listed $capped; do
	echo; echo "== socred explain $id --at $AT"
	"$S" explain "$id" --at "$AT"
done
if [ -n "$listed" ]; then
	echo; echo "== socred check $listed air_travel --at $AT"
	"$S" check "$listed" air_travel --at "$AT" || true
fi
if [ -n "$org" ]; then
	echo; echo "== socred check $org public_procurement --at $AT"
	"$S" check "$org" public_procurement --at "$AT" || true
	echo; echo "== socred explain $org --at $AT"
	"$S" explain "$org" --at "$AT"
fi
echo; echo "ledger: demo/city.db  (try: build/socred --db demo/city.db score ID --at $AT)"
