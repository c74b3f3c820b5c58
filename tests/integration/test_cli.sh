#!/usr/bin/env bash
# test_cli.sh - the command line contract, no services needed: --help and
# --version, exit codes (0 ok, 1 runtime failure, 2 usage or config error),
# `file:line: reason` for bad config and rule files, `newsmon tag` going on
# past bad lines, plain-text ingest parsing (via `tag` on the same rules).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NEWSMON=${NEWSMON:-$ROOT/build/newsmon}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fails=0
check() { # description, expected exit code, command...
    local what=$1 want=$2
    shift 2
    "$@" >"$WORK/out" 2>"$WORK/err"
    local got=$?
    if [[ $got -ne $want ]]; then
        echo "FAIL: $what: exit $got, expected $want"; sed 's/^/  /' "$WORK/err" | head -5
        fails=$((fails + 1))
    fi
}
expect_err() { # description, pattern
    grep -Eq -- "$2" "$WORK/err" || { echo "FAIL: $1: stderr lacks /$2/: $(head -c 300 "$WORK/err")"; fails=$((fails + 1)); }
}

check "--version" 0 "$NEWSMON" --version
grep -Eq '^newsmon [0-9]+\.[0-9]+\.[0-9]+$' "$WORK/out" || { echo "FAIL: --version output"; fails=$((fails + 1)); }
check "--help" 0 "$NEWSMON" --help
for cmd in run ingest tag top eval topics; do
    check "$cmd --help" 0 "$NEWSMON" "$cmd" --help
    grep -q "Usage: newsmon $cmd" "$WORK/out" || { echo "FAIL: $cmd --help has no usage line"; fails=$((fails + 1)); }
done
check "no command" 2 "$NEWSMON"
check "unknown command" 2 "$NEWSMON" frobnicate
check "unknown option" 2 "$NEWSMON" tag --frobnicate
check "top -n 0" 2 "$NEWSMON" top -n 0

# bad config: unknown key, with file:line
cp "$ROOT"/config/*.conf "$WORK/" && cp -r "$ROOT/config/lang" "$WORK/"
printf '[input]\nbatch_sise = 10\n' >>"$WORK/newsmon.conf"
check "unknown config key" 2 "$NEWSMON" tag -c "$WORK/newsmon.conf" /dev/null
expect_err "unknown config key" "newsmon.conf:[0-9]+: unknown key 'batch_sise' in \[input\]"
cp "$ROOT/config/newsmon.conf" "$WORK/newsmon.conf"
# out-of-range value from the environment
NEWSMON_REDIS_PORT=99999 check "bad env override" 2 "$NEWSMON" tag -c "$WORK/newsmon.conf" /dev/null
expect_err "bad env override" "NEWSMON_REDIS_PORT"
# bad rule file, with file:line
printf '[topic:x]\nname = X\nterms = ok, ---\n' >>"$WORK/rules.conf"
check "bad rule file" 2 "$NEWSMON" tag -c "$WORK/newsmon.conf" /dev/null
expect_err "bad rule file" "rules.conf:[0-9]+: term '---' has no letter or digit"
cp "$ROOT/config/rules.conf" "$WORK/rules.conf"
check "missing config file" 2 "$NEWSMON" tag -c "$WORK/nope.conf" /dev/null

# tag: one event per good line, in order; bad lines reported with their number
{
    head -n 2 "$ROOT/samples/articles.jsonl"
    echo '{"title": "no body"}'
    echo
    sed -n 3p "$ROOT/samples/articles.jsonl"
} >"$WORK/mixed.jsonl"
check "tag with a bad line" 1 "$NEWSMON" tag -c "$WORK/newsmon.conf" "$WORK/mixed.jsonl"
expect_err "tag with a bad line" "mixed.jsonl:3: missing field 'body'"
ids=$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["id"] for l in open(sys.argv[1])))' "$WORK/out")
want=$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["id"] for l in list(open(sys.argv[1]))[:3]))' "$ROOT/samples/articles.jsonl")
[[ $ids == "$want" ]] || { echo "FAIL: tag output ids '$ids', expected '$want'"; fails=$((fails + 1)); }
check "tag from stdin" 0 "$NEWSMON" tag -c "$WORK/newsmon.conf" - <"$ROOT/samples/articles.jsonl"
[[ $(wc -l <"$WORK/out") -eq $(grep -c . "$ROOT/samples/articles.jsonl") ]] || { echo "FAIL: tag - line count"; fails=$((fails + 1)); }

# eval: a labelled corpus gives the table; --json parses
printf '%s\n' '{"id":"e1","lang":"en","title":"Putin and Kim Jong Un sign a mutual defence treaty","body":"Russia and North Korea signed a military alliance treaty in Pyongyang.","labels":{"relevant":true,"topics":["defense_treaty"],"entities":["person:vladimir_putin","person:kim_jong_un","country:russia","country:north_korea","place:pyongyang"]}}' >"$WORK/lab.jsonl"
check "eval" 0 "$NEWSMON" eval -c "$WORK/newsmon.conf" "$WORK/lab.jsonl"
grep -q "relevance" "$WORK/out" || { echo "FAIL: eval table"; fails=$((fails + 1)); }
check "eval --json" 0 "$NEWSMON" eval -c "$WORK/newsmon.conf" "$WORK/lab.jsonl" --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["articles"] == 1 and "relevance" in d' "$WORK/out" ||
    { echo "FAIL: eval --json"; fails=$((fails + 1)); }

# eval over several corpora (files and a folder): one line per corpus, then the
# total; --lang keeps only the listed languages
mkdir -p "$WORK/labdir"
printf '%s\n' '{"id":"e2","lang":"fr","title":"Le marché de Noël ouvre à Lyon","body":"Des chalets en bois sur la place.","labels":{"relevant":false,"topics":[],"entities":[]}}' >"$WORK/labdir/b.jsonl"
check "eval several" 0 "$NEWSMON" eval -c "$WORK/newsmon.conf" "$WORK/lab.jsonl" "$WORK/labdir" --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["articles"] == 2 and [f["articles"] for f in d["files"]] == [1, 1], d' "$WORK/out" ||
    { echo "FAIL: eval several files"; fails=$((fails + 1)); }
check "eval --lang" 0 "$NEWSMON" eval -c "$WORK/newsmon.conf" --lang fr "$WORK/lab.jsonl" "$WORK/labdir" --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["articles"] == 1 and list(d["per_language"]) == ["fr"], d' "$WORK/out" ||
    { echo "FAIL: eval --lang"; fails=$((fails + 1)); }

# tag reads what ingest reads: a folder of plain-text articles (first line = title)
mkdir -p "$WORK/txt"
printf 'Putin receives Kim Jong Un\nRussia and North Korea signed a mutual defence treaty.\n' >"$WORK/txt/a1.txt"
printf 'Weather\nSunny.\n' >"$WORK/txt/a2.txt"
check "tag a folder" 0 "$NEWSMON" tag -c "$WORK/newsmon.conf" "$WORK/txt"
python3 -c '
import json,sys
ev=[json.loads(l) for l in open(sys.argv[1])]
assert [e["id"] for e in ev] == ["a1", "a2"], ev
assert ev[0]["title"] == "Putin receives Kim Jong Un" and ev[0]["relevant"] and not ev[1]["relevant"]
' "$WORK/out" || { echo "FAIL: tag a folder of text files"; fails=$((fails + 1)); }

# tag --explain: the trace of each scored term and the topic decisions
check "tag --explain" 0 "$NEWSMON" tag -c "$WORK/newsmon.conf" --explain "$WORK/txt/a1.txt"
grep -q '^== a1  lang en  relevant yes' "$WORK/out" && grep -Eq 'topic:defense_treaty +mutual defen' "$WORK/out" &&
    grep -Eq '^ +defense_treaty +score .*FIRED' "$WORK/out" ||
    { echo "FAIL: tag --explain: $(head -c 600 "$WORK/out")"; fails=$((fails + 1)); }

# tag --stories: a syndicated copy (new id and headline, a "Read more" line)
# shares the story of the first; with --no-stories the events have no story,
# with neither flag they have one ([stories] enabled = true by default)
python3 - "$ROOT/samples/articles.jsonl" >"$WORK/copies.jsonl" <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][:2]
c = dict(a[0], id="copy-1", title="Another headline for the same wire story")
c["body"] = c["body"] + "\nRead more: other news of the day"
for d in (a[0], a[1], c):
    print(json.dumps(d, ensure_ascii=False))
PY
check "tag --stories" 0 "$NEWSMON" tag -c "$WORK/newsmon.conf" --stories "$WORK/copies.jsonl"
python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
s = [e["story"] for e in ev]
assert s[0]["copy"] is False and s[1]["copy"] is False and s[0]["id"] != s[1]["id"], s
assert s[2] == {"id": s[0]["id"], "first_article": ev[0]["id"], "copy": True}, s
' "$WORK/out" || { echo "FAIL: tag --stories"; fails=$((fails + 1)); }
check "tag --no-stories" 0 "$NEWSMON" tag -c "$WORK/newsmon.conf" --no-stories "$WORK/copies.jsonl"
! grep -q '"story"' "$WORK/out" || { echo "FAIL: tag --no-stories wrote stories"; fails=$((fails + 1)); }
check "tag (stories by default)" 0 "$NEWSMON" tag -c "$WORK/newsmon.conf" "$WORK/copies.jsonl"
[[ $(grep -c '"story"' "$WORK/out") -eq 3 ]] || { echo "FAIL: tag without a flag wrote no stories"; fails=$((fails + 1)); }

if [[ $fails -eq 0 ]]; then echo "PASS test_cli"; else echo "test_cli: $fails failure(s)"; exit 1; fi
