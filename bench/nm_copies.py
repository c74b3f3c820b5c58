#!/usr/bin/env python3
"""nm_copies.py - a labelled copy set for story detection (issue 14), and its measurement.

  nm_copies.py gen  [--seed S] [--copies N] --out STREAM.jsonl ARTICLES.jsonl...
  nm_copies.py eval STREAM.jsonl TAGGED.jsonl
  nm_copies.py run  --newsmon BIN [--story-bench BIN] [-c CONF] [--seed S] [--copies N]
                    [--work DIR] ARTICLES.jsonl...

`gen` takes the project's own articles (samples/*.jsonl, ../shared/corpus/dev.jsonl; never
real-dev) and writes them, plus N syndicated copies of each, in one shuffled stream (seeded,
deterministic). A copy gets a new id and a random mix of the edits syndication makes: a new
headline, boilerplate and "Read more" lines added, boilerplate removed (a dateline), the lead
trimmed, the last paragraphs cut, HTML left in, a few words changed. Every record says what it
is: "copy_of" (the original's id, null for an original) and "edits" (newsmon ignores both).

`eval` reads the stream and the `newsmon tag` output of it and prints:
  copies found   = copies whose story is their original's story (target >= 98 %), per edit;
  merged pairs   = pairs of different originals about the same event (same main topic label
                   and >= 3 shared entity labels) that got one story (target <= 1 %), and the
                   share of all pairs of different originals that did.
`run` does gen, `newsmon tag` and eval in a work folder, then, with --story-bench
(build/nm_story_bench), the cost per article (signature + index, CPU time) over the stream,
with the load average (`uptime`) before it: on a shared machine, look at the load first.
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
from collections import Counter, defaultdict
from itertools import combinations

# Page furniture a republishing site adds, in the article's language. Written for this
# tool; some lines carry a boilerplate cue of config/rules.conf, some do not (a copy
# must be found either way).
FURNITURE = {
    "en": ["Read more: {t}", "Related: {t}", "Follow us on social media for the latest updates.",
           "(Reporting by newsroom staff; editing by the world desk)", "Subscribe to our newsletter",
           "Copyright 2025. All rights reserved.", "Advertisement"],
    "fr": ["Lire aussi : {t}", "Sur le même sujet : {t}", "Abonnez-vous à notre lettre d'information",
           "Tous droits réservés.", "Publicité"],
    "de": ["Lesen Sie auch: {t}", "Mehr zum Thema: {t}", "Alle Rechte vorbehalten.", "Anzeige",
           "Folgen Sie uns in den sozialen Netzwerken."],
    "es": ["Lea también: {t}", "Noticias relacionadas: {t}", "Todos los derechos reservados.",
           "Publicidad", "Síguenos en las redes sociales."],
    "ru": ["Читайте также: {t}", "По теме: {t}", "Подписывайтесь на наш канал.", "Реклама"],
    "uk": ["Читайте також: {t}", "Дивіться також: {t}", "Підписуйтеся на наш канал."],
    "ko": ["관련기사: {t}", "무단전재 및 재배포 금지", "구독하기"],
    "ja": ["関連記事: {t}", "この記事をシェア", "続きを読む"],
    "zh": ["相关新闻：{t}", "责任编辑：编辑部", "延伸阅读：{t}"],
    "id": ["Baca juga: {t}", "Berita terkait: {t}", "Simak juga video berikut."],
}
HEAD_PREFIX = ["UPDATE 1-", "EXCLUSIVE: ", "BREAKING: ", "Analysis: ", "", "WRAPUP "]
EDITS = ["headline", "furniture", "dateline", "lead", "tail", "html", "words"]


def load(paths):
    seen, out = set(), []
    for p in paths:
        for line in open(p, encoding="utf-8"):
            line = line.strip()
            if not line:
                continue
            try:
                a = json.loads(line)
            except ValueError:
                continue
            if not isinstance(a, dict) or not isinstance(a.get("title"), str) or \
               not isinstance(a.get("body"), str) or not a.get("id") or a["id"] in seen:
                continue
            seen.add(a["id"])
            out.append(a)
    return out


def paragraphs(body):
    return [p for p in re.split(r"\n\s*\n|\n", body) if p.strip()]


def sentences(p):
    return [s for s in re.split(r"(?<=[.!?。！？])\s*", p) if s.strip()]


def new_headline(a, rng):
    words = a["title"].split()
    if len(words) > 4 and rng.random() < 0.5:
        words = words[: max(3, len(words) * 2 // 3)]
    lead = sentences(paragraphs(a["body"])[0])[0] if a["body"].strip() else a["title"]
    return rng.choice([rng.choice(HEAD_PREFIX) + " ".join(words), lead[:90]])


def change_words(p, rng, n):
    w = p.split(" ")
    for _ in range(n):
        if len(w) < 3:
            break
        i = rng.randrange(len(w))
        w[i] = rng.choice([w[i].upper(), w[i] + "s", rng.choice(w), w[i][: max(1, len(w[i]) - 2)]])
    return " ".join(w)


def make_copy(a, others, k, rng):
    paras = paragraphs(a["body"])
    n_edits = rng.randint(2, 5)
    edits = set(rng.sample(EDITS, n_edits))
    title = new_headline(a, rng) if "headline" in edits else a["title"]
    if "dateline" in edits and paras:
        # "MOSCOW (AP) - ...", "Seoul, 3 June (Yonhap) -- ..." dropped, or one added
        m = re.match(r"^[^.\n]{0,60}?(\)|—|–| - | -- )\s*", paras[0])
        paras[0] = paras[0][m.end():] if m else "SEOUL (Wire) — " + paras[0]
    if "lead" in edits and paras:
        s = sentences(paras[0])
        if len(s) > 1:
            paras[0] = " ".join(s[1:])
        elif len(paras) > 3:
            paras = paras[1:]
    if "tail" in edits and len(paras) > 2:
        cut = rng.randint(1, max(1, len(paras) // 4))
        paras = paras[:-cut]
    if "words" in edits:
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(paras))
            paras[i] = change_words(paras[i], rng, 1)
    if "furniture" in edits:
        lines = FURNITURE.get((a.get("lang") or "en")[:2], FURNITURE["en"])
        for _ in range(rng.randint(1, 3)):
            line = rng.choice(lines).format(t=rng.choice(others)["title"])
            paras.insert(rng.choice([0, len(paras), rng.randint(0, len(paras))]), line)
    if "html" in edits:
        body = "".join("<p>" + p.replace(" ", "&nbsp;", 1) + "</p>\n" for p in paras)
        body = body.replace(". ", '. <a href="/tag/x">', 1).replace("</p>", "</a></p>", 1) \
            if rng.random() < 0.5 else body
    else:
        body = "\n\n".join(paras)
    c = {"id": f"{a['id']}~copy{k}", "source": "copy-%d.example" % rng.randint(1, 40),
         "title": title, "body": body, "copy_of": a["id"], "edits": sorted(edits)}
    if a.get("lang"):
        c["lang"] = a["lang"]
    return c


def gen(args):
    rng = random.Random(args.seed)
    arts = load(args.articles)
    stream = []
    for a in arts:
        o = dict(a, copy_of=None, edits=[])
        stream.append(o)
        for k in range(args.copies):
            stream.append(make_copy(a, arts, k, rng))
    rng.shuffle(stream)
    with open(args.out, "w", encoding="utf-8") as f:
        for r in stream:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"stream: {len(arts)} originals + {len(stream) - len(arts)} copies -> {args.out}",
          file=sys.stderr)


def same_event(a, b):
    la, lb = a.get("labels") or {}, b.get("labels") or {}
    ta, tb = la.get("topics") or [], lb.get("topics") or []
    if not ta or not tb or ta[0] != tb[0]:
        return False
    return len(set(la.get("entities") or []) & set(lb.get("entities") or [])) >= 3


def evaluate(stream_path, tagged_path):
    recs = [json.loads(l) for l in open(stream_path, encoding="utf-8") if l.strip()]
    story = {}
    for l in open(tagged_path, encoding="utf-8"):
        e = json.loads(l)
        story[e["id"]] = e["story"]["id"]
    missing = [r["id"] for r in recs if r["id"] not in story]
    if missing:
        sys.exit(f"eval: {len(missing)} records have no event (first: {missing[0]})")
    found, total = Counter(), Counter()
    for r in recs:
        if r["copy_of"] is None:
            continue
        ok = story[r["id"]] == story[r["copy_of"]]
        for key in ["all"] + r["edits"]:
            total[key] += 1
            found[key] += ok
    origs = [r for r in recs if r["copy_of"] is None]
    pairs = merged = ev_pairs = ev_merged = 0
    by_story = defaultdict(list)
    for o in origs:
        by_story[story[o["id"]]].append(o)
    for a, b in combinations(origs, 2):
        same = story[a["id"]] == story[b["id"]]
        pairs += 1
        merged += same
        if same_event(a, b):
            ev_pairs += 1
            ev_merged += same
    pct = lambda x, n: 100.0 * x / n if n else 0.0
    print(f"copies found            {found['all']}/{total['all']} = {pct(found['all'], total['all']):.2f} %  (target >= 98 %)")
    for k in EDITS:
        print(f"  with {k:<18} {found[k]}/{total[k]} = {pct(found[k], total[k]):.2f} %")
    print(f"same-event pairs merged {ev_merged}/{ev_pairs} = {pct(ev_merged, ev_pairs):.2f} %  (target <= 1 %)")
    print(f"all original pairs merged {merged}/{pairs} = {pct(merged, pairs):.3f} %")
    for s, group in by_story.items():
        if len(group) > 1:
            print("  merged originals:", ", ".join(o["id"] for o in group))
    return found["all"], total["all"], ev_merged, ev_pairs


def run(args):
    os.makedirs(args.work, exist_ok=True)
    args.out = os.path.join(args.work, "stream.jsonl")
    gen(args)
    tagged = os.path.join(args.work, "tagged.jsonl")
    cmd = [args.newsmon, "tag", "--stories"] + (["-c", args.config] if args.config else []) + [args.out]
    with open(tagged, "w") as f:
        subprocess.run(cmd, stdout=f, check=True)
    evaluate(args.out, tagged)
    if args.story_bench:
        print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
        cmd = [args.story_bench] + (["-c", args.config] if args.config else []) + ["-r", "10", args.out]
        print(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout, end="")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("gen", "run"):
        p = sub.add_parser(name)
        p.add_argument("--seed", type=int, default=14)
        p.add_argument("--copies", type=int, default=5)
        p.add_argument("articles", nargs="+")
        if name == "gen":
            p.add_argument("--out", required=True)
        else:
            p.add_argument("--newsmon", required=True)
            p.add_argument("--story-bench", help="build/nm_story_bench: also print the cost per article")
            p.add_argument("-c", "--config")
            p.add_argument("--work", default="/tmp/nm-copies")
    p = sub.add_parser("eval")
    p.add_argument("stream")
    p.add_argument("tagged")
    args = ap.parse_args()
    if args.cmd == "gen":
        gen(args)
    elif args.cmd == "eval":
        evaluate(args.stream, args.tagged)
    else:
        run(args)


if __name__ == "__main__":
    main()
