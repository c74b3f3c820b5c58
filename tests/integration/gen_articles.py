#!/usr/bin/env python3
"""gen_articles.py SAMPLES N OUT [SEED]: N distinct articles for the stream
tests, made from the project's sample articles (ids, urls and a sentence of
filler varied so every article is unique; deterministic for a seed)."""
import json, random, sys

samples, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 7)
base = [json.loads(l) for l in open(samples, encoding="utf-8") if l.strip()]
filler = ["The report was published on Monday.", "Officials declined to comment further.",
          "More details are expected later this week.", "The statement was issued in the capital."]
with open(out, "w", encoding="utf-8") as f:
    for i in range(n):
        a = dict(base[i % len(base)])
        a["id"] = f"{a['id']}-g{i}"
        a["url"] = f"{a['url']}?g={i}"
        a["body"] = a["body"] + "\n" + " ".join(rnd.choice(filler) for _ in range(rnd.randint(1, 4)))
        f.write(json.dumps(a, ensure_ascii=False) + "\n")
