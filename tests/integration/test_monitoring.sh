#!/usr/bin/env bash
# test_monitoring.sh - the operations view in deploy/:
#   1. deploy/prometheus/newsmon-rules.yml passes `promtool check rules`, and its
#      unit tests (newsmon-rules.test.yml, `promtool test rules`) fire each alert
#      on a series shaped like its trouble and keep it quiet on a healthy one;
#      the rules cover lag growing, dead letters, Redis errors and not ready;
#   2. deploy/grafana/newsmon-dashboard.json: every query is valid PromQL
#      (promtool checks it as a recording rule) and uses the datasource and
#      member variables;
#   3. every newsmon_* metric named in the rules or the dashboard is served by
#      a real `newsmon run` on /metrics.
source "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || fail "promtool missing (Debian's prometheus package, scripts/install-deps.sh)"
P=$ROOT/deploy/prometheus G=$ROOT/deploy/grafana/newsmon-dashboard.json
promtool check rules "$P/newsmon-rules.yml" || fail "promtool check rules"
(cd "$P" && promtool test rules newsmon-rules.test.yml) || fail "promtool test rules"

$PY - "$P/newsmon-rules.yml" "$G" "$WORK/dash-rules.yml" <<'PY' || fail "rules or dashboard"
import json, re, sys, yaml
rules = [r for g in yaml.safe_load(open(sys.argv[1]))["groups"] for r in g["rules"]]
names = {r["alert"] for r in rules}
for want in ("NewsmonConsumerLagGrowing", "NewsmonDeadLetters", "NewsmonRedisErrors", "NewsmonNotReady"):
    assert want in names, f"no {want} rule"
for r in rules:
    assert r["labels"]["severity"] in ("warning", "critical") and r["annotations"]["summary"], r["alert"]
d = json.load(open(sys.argv[2]))
assert d["uid"] and d["title"] and d["timezone"] == "utc"
tv = {v["name"]: v for v in d["templating"]["list"]}
assert tv["datasource"]["type"] == "datasource" and tv["instance"]["type"] == "query"
exprs, ids = [], set()
for p in d["panels"]:
    assert p["id"] not in ids, f"duplicate panel id {p['id']}"; ids.add(p["id"])
    if p["type"] == "row": continue
    assert p["datasource"]["uid"] == "${datasource}" and p.get("description"), p["title"]
    assert p["targets"], p["title"]
    for t in p["targets"]:
        assert '$instance' in t["expr"], f"{p['title']}: query ignores the member variable"
        exprs.append((p["title"], t["expr"]))
# the dashboard's queries as recording rules, for promtool to parse
rec = [{"record": f"dash:q{i}", "expr": e.replace("$__rate_interval", "5m").replace("$instance", ".*")}
       for i, (_, e) in enumerate(exprs)]
yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rec}]}, open(sys.argv[3], "w"))
used = set()
for e in [r["expr"] for r in rules] + [e for _, e in exprs]:
    used |= set(re.findall(r"\bnewsmon_[a-z_]+", e))
open(sys.argv[3] + ".metrics", "w").write("\n".join(sorted(used)) + "\n")
print(f"rules: {len(rules)} alerts; dashboard: {len(exprs)} queries in {len(ids)} panels, {len(used)} metrics")
PY
promtool check rules "$WORK/dash-rules.yml" >/dev/null || fail "a dashboard query is not valid PromQL"

require_services
write_config
start_daemon
curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" >"$WORK/metrics.txt" || fail "no /metrics"
stop_daemon TERM || fail "newsmon run did not exit 0"
while read -r m; do
    base=${m%_bucket}
    grep -qE "^# TYPE ($m|$base) " "$WORK/metrics.txt" || fail "metric $m is not served by newsmon run"
done <"$WORK/dash-rules.yml.metrics"
log "every metric of the rules and the dashboard is on /metrics ($(wc -l <"$WORK/dash-rules.yml.metrics"))"
echo "PASS test_monitoring"
