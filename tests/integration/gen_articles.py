#!/usr/bin/env python3
"""gen_articles.py [--long] SAMPLES N OUT [SEED]: N distinct articles for the
stream tests, made from the project's sample articles; deterministic for a
seed. The one article generator of the integration tests.

Default: each sample in turn with its id, url and a sentence of filler
varied (ids "<sample id>-g<i>"; seed 7).
--long (the fault tests, fault_lib.sh's gen_articles): ids "fault-<seed>-<i>",
the sample's title (every third one numbered), its body plus, half the time,
another sample's body, and filler up to a 1-4 KB body; the sample's lang on
three in four (seed 42)."""
import json, random, sys

args = sys.argv[1:]
long_mode = bool(args) and args[0] == "--long"
if long_mode:
    args = args[1:]
samples, n, out = args[0], int(args[1]), args[2]
seed = int(args[3]) if len(args) > 3 else (42 if long_mode else 7)
rnd = random.Random(seed)
base = [json.loads(l) for l in open(samples, encoding="utf-8") if l.strip()]


def short(f):
    filler = ["The report was published on Monday.", "Officials declined to comment further.",
              "More details are expected later this week.", "The statement was issued in the capital."]
    for i in range(n):
        a = dict(base[i % len(base)])
        a["id"] = f"{a['id']}-g{i}"
        a["url"] = f"{a['url']}?g={i}"
        a["body"] = a["body"] + "\n" + " ".join(rnd.choice(filler) for _ in range(rnd.randint(1, 4)))
        f.write(json.dumps(a, ensure_ascii=False) + "\n")


def long(f):
    filler = ["Markets were calm on {d}.", "The weather service issued no warnings for day {d}.",
              "Officials declined to comment further, report {d} said.",
              "Analysts expect more details in the coming weeks ({d})."]
    for i in range(n):
        s = base[i % len(base)]
        o = base[rnd.randrange(len(base))]
        paras = [s["body"]]
        if rnd.random() < 0.5:
            paras.append(o["body"])
        target = rnd.randint(1024, 4000)
        while len("\n".join(paras).encode()) < target:
            paras.append(rnd.choice(filler).format(d=rnd.randint(1, 10**6)))
        body = "\n".join(paras)
        while len(body.encode()) > 4096:
            body = body[:-50]
        a = {"id": f"fault-{seed}-{i:06d}", "source": "newsmon-fault",
             "url": f"https://fault.newsmon.example/{seed}/{i}",
             "title": s["title"] if i % 3 else f"{s['title']} ({i})", "body": body}
        if "lang" in s and i % 4:
            a["lang"] = s["lang"]
        if "published_at" in s:
            a["published_at"] = s["published_at"]
        f.write(json.dumps(a, ensure_ascii=False) + "\n")


with open(out, "w", encoding="utf-8") as f:
    (long if long_mode else short)(f)
