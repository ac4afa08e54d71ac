# Public search matches a person by the whole name or the whole id, in any
# case, composed or decomposed, full-width or half-width; a one-character
# name is a valid query; a prefix finds organisations only.
. "$(dirname "$0")/lib.bash"

P=360426199101010071 # Zhang San
Q=11010519491231002X # 张
R=110105198001010032 # Zoë
K=110105198001010016 # カタカナ
ORG=91110000600037341L
"$SOCRED" init > /dev/null
cat > seed.csv <<CSV
op,record_id,subject,type,date,amount,source,ref,name
register,,$P,,2020-01-01,,,,Zhang San
register,,$Q,,2020-01-01,,,,张
register,,$R,,2020-01-01,,,,Zoë
register,,$K,,2020-01-01,,,,カタカナ
register,,$ORG,,2020-01-01,,,,张家口示例贸易有限公司
,c1,$P,court.judgment_default,2025-11-01,,court,P1,
,c2,$Q,court.judgment_default,2025-11-01,,court,Q1,
,c3,$R,court.judgment_default,2025-11-01,,court,R1,
,c4,$K,court.judgment_default,2025-11-01,,court,K1,
,t1,$ORG,tax.evasion,2025-06-01,,tax,O1,
CSV
expect_rc 0 "$SOCRED" ingest seed.csv
serve_start serve --today 2025-12-31 --threads 2 --rate 0
trap 'kill -TERM $SPID 2> /dev/null; wait $SPID; rm -rf "$T"' EXIT
enc() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n' | sed 's/../%&/g'; }
# finds QUERY CASE...: the search answers 200 with exactly the entries of
# these cases (record refs)
finds() {
	local q=$1; shift
	local code; code=$(curl -s -o resp -w '%{http_code}' "$B/v1/search?q=$(enc "$q")")
	local got; got=$(grep -o '"case":"[^"]*"' resp | sed 's/"case":"//; s/"//' | sort | tr '\n' ' ')
	local want; want=$(printf '%s\n' "$@" | sed '/^$/d' | sort | tr '\n' ' ')
	eq "$code $got" "200 $want" "search '$q'"
}
for q in "Zhang San" "zhang san" "ZHANG SAN" "  Zhang   San " "Ｚｈａｎｇ　Ｓａｎ" "ｚｈａｎｇ ｓａｎ"; do
	finds "$q" P1
done
# no prefix of a person, however long
for q in "Zhang Sa" "Zhang" "Zh" "Z" "zhang san feng"; do finds "$q"; done
# composed, decomposed, upper case
for q in "Zoë" "$(printf 'Zoe\xcc\x88')" "ZOË"; do finds "$q" R1; done
finds "Zoe"
# half-width and full-width katakana
for q in "カタカナ" "ｶﾀｶﾅ"; do finds "$q" K1; done
finds "カタカ"
# a one-character name is a query; it finds that person, not 张三-like
# names, and the organisations whose names start with it
finds "张" Q1 O1
finds "张家口" O1
finds "张家口示例贸易有限公司" O1
# ids: in any case, full-width digits
finds "$P" P1
finds "11010519491231002x" Q1
finds "１１０１０５１９４９１２３１００２Ｘ" Q1
finds "3604261991010100" # the start of an id is no id
# an empty or blank query is refused
eq "$(curl -s -o resp -w '%{http_code}' "$B/v1/search?q=%20%20")" 400 "a blank query"
has resp "query parameter 'q'"
finish
