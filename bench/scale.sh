#!/usr/bin/env bash
# Scale: the same job at 100,000, 1,000,000 and 10,000,000 people (about 1, 10
# and 100 million records): generate, ingest, run twice (the first builds
# the population image, the second finds it up to date, as every later run
# does); wall time, peak memory and bytes per record on disk, in the image
# and in memory at each size, so growth can be read off (it should be
# linear). Ledgers go to bench/out/scale/ (about
# 10 GB and 8 GB of CSV at the largest size; each size's files are removed
# before the next).
# Usage: bench/scale.sh [PEOPLE...]   (default 100000 1000000 10000000)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${*:-100000 1000000 10000000}
OUT=bench/out/scale
AT=2025-12-31
SOCRED_SETUP_TESTS=1 scripts/setup.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo
command -v /usr/bin/time > /dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq time > /dev/null || sudo apt-get install -y -qq time > /dev/null; }
S=$PWD/build/socred
mkdir -p "$OUT"
RES=$OUT/scale.results
: > "$RES"
for people in $SIZES; do
	rm -f "$OUT"/s.db* "$OUT"/s.csv
	orgs=$((people / 20))
	echo "== $people people, $orgs organisations" >&2
	/usr/bin/time -f "%e %M" -o "$OUT/gen.time" sh -c "'$S' generate --people $people --orgs $orgs --seed 1 > '$OUT/s.csv'" 2> /dev/null
	records=$(grep -c '^,' "$OUT/s.csv")
	lines=$(($(wc -l < "$OUT/s.csv") - 1))
	"$S" --db "$OUT/s.db" init > /dev/null
	/usr/bin/time -f "%e %M" -o "$OUT/ingest.time" "$S" --db "$OUT/s.db" ingest "$OUT/s.csv" --rejects "$OUT/rejects.csv" > /dev/null 2>&1 || true
	/usr/bin/time -f "%e %M" -o "$OUT/build.time" "$S" --db "$OUT/s.db" run --at $AT > "$OUT/build.$people.txt"
	/usr/bin/time -f "%e %M" -o "$OUT/run.time" "$S" --db "$OUT/s.db" run --at $AT > "$OUT/run.$people.txt"
	read -r is ik < "$OUT/ingest.time"
	read -r bs bk < "$OUT/build.time"
	read -r rs rk < "$OUT/run.time"
	disk=$(stat -c %s "$OUT/s.db")
	img=$(stat -c %s "$OUT/s.db.image")
	snap=$(stat -c %s "$OUT/s.db.snap")
	echo "$people $records $lines $is $((ik / 1024)) $bs $((bk / 1024)) $rs $((rk / 1024)) $((disk / records)) $((img / records)) $((rk * 1024 / records)) $((snap / 1048576))" | tee -a "$RES"
done
rm -f "$OUT"/s.db* "$OUT"/s.csv
# build / run: the first run reads the ledger into the image; "run" is every later run
{
	printf "%-10s %11s %8s %6s %8s %6s %7s %6s %8s %9s %8s %5s\n" people records "ingest s" MiB \
		"build s" MiB "run s" MiB "disk B/r" "image B/r" "run B/r" "snap MiB"
	while read -r p r l is im bs bm rs rm db ib rb sm; do
		printf "%-10s %11s %8s %6s %8s %6s %7s %6s %8s %9s %8s %5s\n" "$p" "$r" "$is" "$im" "$bs" "$bm" "$rs" "$rm" "$db" "$ib" "$rb" "$sm"
	done < "$RES"
} | tee "$OUT/scale.txt"
