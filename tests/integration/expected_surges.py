#!/usr/bin/env python3
"""expected_surges.py EVENTS.jsonl RULES.conf: the surges the rule of
processor/nm_surge.h gives over `newsmon tag` output, evaluated offline on the
final hourly counts, every key's hours oldest first (the daemon evaluates the
same rule incrementally inside Redis; for a stream in time order the two
agree). Counts are distinct stories (the event's story id; an event without
one is its own story), as the daemon counts with [stories] enabled.
NM_COOLDOWN_HOURS overrides cooldown_hours; NM_COUNT_ARTICLES=1 counts
articles instead. Bucket: the event's published_at hour (the test's articles are all
within the plausibility window). Prints "kind key YYYYMMDDHH" lines, sorted."""
import collections, datetime, json, os, re, sys

events, rules = sys.argv[1], sys.argv[2]
p = {"min_count": 5, "ratio": 5.0, "baseline_hours": 72, "cooldown_hours": 6, "min_history_hours": 24}
pairs, sec = [], None
for line in open(rules, encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    m = re.match(r"^\[(.+)\]$", line)
    if m:
        sec = m.group(1)
        continue
    if sec != "surge" or "=" not in line:
        continue
    k, v = (x.strip() for x in line.split("=", 1))
    if k == "pair":
        pairs.append(tuple(x.strip() for x in v.split(",")))
    elif k in p:
        p[k] = float(v)

# (kind, key) -> hour -> the distinct stories (each article its own without "story")
counts = collections.defaultdict(lambda: collections.defaultdict(set))
by_article = os.environ.get("NM_COUNT_ARTICLES") == "1"  # what counting articles would give
seen = set()
for line in open(events, encoding="utf-8"):
    ev = json.loads(line)
    if ev["id"] in seen:
        continue
    seen.add(ev["id"])
    t = datetime.datetime.strptime(ev["published_at"], "%Y-%m-%dT%H:%M:%SZ")
    h = int(t.replace(tzinfo=datetime.timezone.utc).timestamp()) // 3600
    story = ev["story"]["id"] if "story" in ev and not by_article else ev["id"]
    ents = {e["id"] for e in ev["entities"]}
    tops = {t["id"] for t in ev["topics"]}
    for e in ents:
        counts[("entity", e)][h].add(story)
    for t in tops:
        counts[("topic", t)][h].add(story)
    for e, t in pairs:
        if e in ents and t in tops:
            counts[("pair", f"{e}|{t}")][h].add(story)
# NM_COOLDOWN_HOURS overrides the cool-down (the test shows what it suppresses)
p["cooldown_hours"] = float(os.environ.get("NM_COOLDOWN_HOURS", p["cooldown_hours"]))
first = min(h for c in counts.values() for h in c)
bh, out = int(p["baseline_hours"]), []
for (kind, key), sets in counts.items():
    c = {h: len(v) for h, v in sets.items()}
    fired = []
    for h in sorted(c):
        n = c[h]
        if n < p["min_count"] or h - first < p["min_history_hours"]:
            continue
        if any(abs(h - f) < p["cooldown_hours"] for f in fired):
            continue
        b = sum(c.get(u, 0) for u in range(h - bh, h)) / bh
        if (n + 1) / (b + 1) >= p["ratio"]:
            fired.append(h)
            out.append(f"{kind} {key} {datetime.datetime.fromtimestamp(h * 3600, datetime.timezone.utc):%Y%m%d%H}")
print("\n".join(sorted(out)))
