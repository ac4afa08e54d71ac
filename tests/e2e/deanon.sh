# A keyless caller learns nothing about a masked person that it did not
# supply. Three attacks against a real server (its rate limit off, so the
# search rules alone are tested): growing a name prefix a letter at a time
# while the masked entry is still returned; trying the resident ids that fit
# what a masked entry shows of the id; comparing masked names' lengths.
# Organisations stay searchable by prefix.
. "$(dirname "$0")/lib.bash"

P=360426199101010071 # Zhang Sanfeng, born January 1991
Q=11010519491231002X # Zhao Li
ORG=91110000600037341L
# ric_check FIRST17: the GB 11643 check character
ric_check() {
	awk -v s="$1" 'BEGIN { split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ");
		for (i = 1; i <= 17; i++) t += substr(s, i, 1) * w[i]; print substr("10X98765432", t % 11 + 1, 1) }'
}
R=11010519800101003; R=$R$(ric_check $R) # Zhao Lixiang
"$SOCRED" init > /dev/null
cat > seed.csv <<CSV
op,record_id,subject,type,date,amount,source,ref,name
register,,$P,,2020-01-01,,,,Zhang Sanfeng
register,,$Q,,2020-01-01,,,,Zhao Li
register,,$R,,2020-01-01,,,,Zhao Lixiang
register,,$ORG,,2020-01-01,,,,Beijing Example Trading Co
,c1,$P,court.judgment_default,2025-11-01,,court,(2025) Gan 0426 Zhi 17,
,c2,$Q,court.judgment_default,2025-11-01,,court,(2025) Jing 0105 Zhi 9,
,c3,$R,court.judgment_default,2025-11-01,,court,(2025) Jing 0105 Zhi 10,
,t1,$ORG,tax.evasion,2025-06-01,,tax,SAT (2025) 12,
CSV
expect_rc 0 "$SOCRED" ingest seed.csv
serve_start serve --today 2025-12-31 --threads 2 --rate 0
trap 'kill -TERM $SPID 2> /dev/null; wait $SPID; rm -rf "$T"' EXIT
enc() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n' | sed 's/../%&/g'; }
search() { curl -s "$B/v1/search?q=$(enc "$1")"; }
# the masked entry of c1 (Zhang Sanfeng's), one line of JSON, or nothing
entry() { search "$1" | grep -o '{[^{}]*"case":"(2025) Gan 0426 Zhi 17"[^{}]*}'; }
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }

# -- 1. the prefix attack: from the first letter, add the letter that keeps
# the entry in the answer, until none does
pfx=Z
while :; do
	grown=
	for c in a b c d e f g h i j k l m n o p q r s t u v w x y z ' ' \
		A B C D E F G H I J K L M N O P Q R S T U V W X Y Z; do
		if [ -n "$(entry "$pfx$c")" ]; then grown=$pfx$c; break; fi
	done
	[ -n "$grown" ] || break
	pfx=$grown
done
eq "$pfx" Z "the name recovered by growing a prefix"
# the whole name finds the entry: the caller supplied it
entry "Zhang Sanfeng" > e.json
has e.json '"finding":"court.judgment_default"'
hasnt e.json 'Sanfeng'

# -- 2. the id-candidate attack: an attacker who knows the birth month
# tries every resident id that fits what the masked entry shows
m=$(field subject < e.json)
hasnt e.json "$P"
# what the mask shows at each position: positions 1-6 region, 7-14 birth
# date (1991-01-?? known), 15-17 sequence, 18 check
if [ ${#m} = 18 ]; then
	pat=${m:0:6}199101${m:12:6}
else
	pat='******199101******' # shows nothing: every position open
fi
count=$(awk -v p="$pat" 'BEGIN { n = 1; for (i = 1; i <= 17; i++) if (substr(p, i, 1) == "*")
	n *= (i == 13 ? 4 : 10); printf "%.0f", n }')
if [ "$count" -le 100000 ]; then
	# few enough to try: each one that fits the check character is searched
	awk -v p="$pat" 'function gen(s, i,   c, d, t, k) {
			if (i > 17) {
				d = substr(s, 13, 2) + 0
				if (d < 1 || d > 31) return
				for (k = 1; k <= 17; k++) t += substr(s, k, 1) * w[k]
				c = substr("10X98765432", t % 11 + 1, 1)
				if (substr(p, 18, 1) == "*" || substr(p, 18, 1) == c) print s c
				return
			}
			c = substr(p, i, 1)
			if (c != "*") { gen(s c, i + 1); return }
			for (d = 0; d <= 9; d++) gen(s d, i + 1) }
		BEGIN { split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " "); gen("", 1) }' > cands
	recovered=
	while read -r id; do
		if search "$id" | grep -q '"case":"(2025) Gan 0426 Zhi 17"'; then recovered=$id; break; fi
	done < cands
	eq "${recovered:-none}" none "an id recovered from $(wc -l < cands) candidates fitting '$m'"
else
	# astronomically many: at 2 requests a second (serve's default --rate),
	# longer than a year even for this well-informed attacker
	[ "$count" -gt $((2 * 365 * 24 * 3600)) ] && ok || bad "only $count ids fit '$m'"
fi
# the masked id shows no digit of the id at all
case "$m" in *[0-9X]*) bad "the masked id '$m' shows characters of $P" ;; *) ok ;; esac

# -- 3. a masked name does not show the name's length
n1=$(search "Zhao Li" | grep -o '{[^{}]*"case":"(2025) Jing 0105 Zhi 9"[^{}]*}' | field name)
n2=$(search "Zhao Lixiang" | grep -o '{[^{}]*"case":"(2025) Jing 0105 Zhi 10"[^{}]*}' | field name)
[ -n "$n1" ] && ok || bad "Zhao Li not found by the whole name"
eq "$n1" "$n2" "masked names of 'Zhao Li' and 'Zhao Lixiang'"
# found by the id, the entry does not show the name's first letter either
search "$Q" > q.json
has q.json '"case":"(2025) Jing 0105 Zhi 9"'
hasnt q.json '"name":"Z'

# -- organisations: public by law, found by any prefix and shown in full
search "beijing exa" > o.json
has o.json '"subject":"'"$ORG"'","name":"Beijing Example Trading Co"'
search "B" > o.json
has o.json '"name":"Beijing Example Trading Co"'
finish
