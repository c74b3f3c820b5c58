#!/usr/bin/env python3
"""expected_counts.py EVENTS.jsonl: the Redis counts one clean pass gives,
from `newsmon tag` output (one event per distinct id), in the format of
lib.sh's `count_lines`: "<key> <member> <value>" sorted."""
import collections, json, sys

ea, em, ta = collections.Counter(), collections.Counter(), collections.Counter()
seen, relevant = set(), 0
for line in open(sys.argv[1], encoding="utf-8"):
    ev = json.loads(line)
    if ev["id"] in seen:
        continue
    seen.add(ev["id"])
    relevant += ev["relevant"]
    for e in ev["entities"]:
        ea[e["id"]] += 1
        em[e["id"]] += e["mentions"]
    for t in ev["topics"]:
        ta[t["id"]] += 1
rows = [f"{k} {m} {v}" for k, c in (("entity:articles", ea), ("entity:mentions", em),
                                     ("topic:articles", ta)) for m, v in c.items()]
rows += [f"stats articles {len(seen)}", f"stats relevant {relevant}"]
print("\n".join(sorted(rows)))
