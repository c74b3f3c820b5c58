#!/usr/bin/env python3
"""train_topic_model.py - fit the topic model (the learned layer over the rule evidence).

The rules find the evidence; this model only decides which *secondary* candidate topics of
a relevant article fire (the best-scoring topic always does), from how their evidence is
spread: score, share of the best topic's score, sentences, title and lead hits, strong
terms, the largest one-sentence share, the share from sentences naming both sides, and the
article's length. The C side computes those inputs (nm_tagger_topic_features) and applies
the weights this script writes; every tag keeps its rule evidence.

Usage:
  scripts/train_topic_model.py [--out config/topic_model.conf] CORPUS.jsonl...

It runs `newsmon eval --features` with the model switched off (so the inputs do not depend
on a previous model), cross-validates by article (5 folds, folds fixed by a hash of the id),
prints the cross-validated micro-F1 of the secondary-topic decision for several thresholds
next to the rules alone, then fits on everything and writes the weights file. Pure Python:
the data is a few thousand rows.
"""
import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FEATURES = ["log_score", "share_of_best", "is_best", "log_sentences", "title", "lead_share",
            "log_strong", "max_sentence_share", "joint_share", "log_article_sentences", "one"]
L2 = 0.3          # ridge penalty on the feature weights (not on the topic biases)
ITERATIONS = 1500
RATE = 0.5
FOLDS = 5


def run_features(newsmon, config, corpora):
    """Rows of `newsmon eval --features` over the corpora, model off."""
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "newsmon.conf")
        src = open(config).read()
        # absolute rule paths, and no topic model while collecting the inputs
        cdir = os.path.dirname(os.path.abspath(config))
        lines = []
        for line in src.splitlines():
            k = line.split("=")[0].strip()
            if k in ("gazetteer", "rules", "langid", "languages") and "=" in line:
                v = line.split("=", 1)[1].strip()
                line = f"{k} = {v if v.startswith('/') else os.path.join(cdir, v)}"
            if k == "topic_model":
                line = "topic_model ="
            lines.append(line)
        open(conf, "w").write("\n".join(lines) + "\n")
        out = os.path.join(tmp, "features.jsonl")
        subprocess.run([newsmon, "eval", "-c", conf, "--features", out, *corpora],
                       check=True, stdout=subprocess.DEVNULL)
        rows = [json.loads(l) for l in open(out)]
    gold_topics = {}
    for path in corpora:
        for l in open(path):
            if l.strip():
                d = json.loads(l)
                if d["labels"].get("relevant"):
                    gold_topics[d["id"]] = set(d["labels"].get("topics", []))
    return rows, gold_topics


def sigmoid(z):
    return 1 / (1 + math.exp(-z)) if z > -30 else 0.0


def fit(rows, topics):
    """L2-regularised logistic regression by full-batch gradient descent."""
    nf = len(FEATURES)
    w = [0.0] * nf
    b = {t: 0.0 for t in topics}
    n = max(len(rows), 1)
    for _ in range(ITERATIONS):
        gw = [L2 * wi / n for wi in w]
        gb = {t: 0.0 for t in topics}
        for r in rows:
            z = b[r["topic"]] + sum(wi * xi for wi, xi in zip(w, r["x"]))
            e = sigmoid(z) - r["gold"]
            for j in range(nf):
                gw[j] += e * r["x"][j] / n
            gb[r["topic"]] += e / n
        w = [wi - RATE * g for wi, g in zip(w, gw)]
        for t in topics:
            b[t] -= RATE * gb[t]
    return w, b


def prob(model, r):
    w, b = model
    return sigmoid(b.get(r["topic"], 0.0) + sum(wi * xi for wi, xi in zip(w, r["x"])))


def fold_of(article_id):
    return int(hashlib.sha1(article_id.encode()).hexdigest(), 16) % FOLDS


def micro_f1(decisions, gold_topics, ids):
    """decisions: {(id, topic): fired}; gold topics without a candidate are misses."""
    tp = fp = fn = 0
    for i in ids:
        fired = {t for (a, t), f in decisions.items() if a == i and f}
        gold = gold_topics.get(i, set())
        tp += len(fired & gold)
        fp += len(fired - gold)
        fn += len(gold - fired)
    p = tp / (tp + fp) if tp + fp else 1
    rc = tp / (tp + fn) if tp + fn else 1
    return (2 * p * rc / (p + rc) if p + rc else 0), tp, fp, fn


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "config", "topic_model.conf"))
    ap.add_argument("--config", default=os.path.join(ROOT, "config", "newsmon.conf"))
    ap.add_argument("--newsmon", default=os.path.join(ROOT, "build", "newsmon"))
    ap.add_argument("corpora", nargs="+")
    a = ap.parse_args()
    rows, gold_topics = run_features(a.newsmon, a.config, a.corpora)
    topics = sorted({r["topic"] for r in rows})
    ids = sorted(gold_topics)
    best = {(r["id"], r["topic"]) for r in rows if r["x"][FEATURES.index("is_best")] == 1}
    secondary = [r for r in rows if (r["id"], r["topic"]) not in best]
    print(f"{len(rows)} candidate topics of {len(ids)} relevant articles "
          f"({len(secondary)} secondary)")

    thresholds = [0.35, 0.4, 0.45, 0.5, 0.55, 0.6]
    cv = {t: {} for t in thresholds}
    for k in range(FOLDS):
        train = [r for r in secondary if fold_of(r["id"]) != k]
        model = fit(train, topics)
        for r in rows:
            if fold_of(r["id"]) != k:
                continue
            key = (r["id"], r["topic"])
            p = 1.0 if key in best else prob(model, r)
            for t in thresholds:
                cv[t][key] = p >= t
    only_best = {(r["id"], r["topic"]): (r["id"], r["topic"]) in best for r in rows}
    f, tp, fp, fn = micro_f1(only_best, gold_topics, ids)
    print(f"  best topic only          micro-F1 {f:.3f}  tp={tp} fp={fp} fn={fn}")
    rules = {(r["id"], r["topic"]): bool(r["fired"]) or (r["id"], r["topic"]) in best for r in rows}
    f, tp, fp, fn = micro_f1(rules, gold_topics, ids)
    print(f"  rules alone (thresholds) micro-F1 {f:.3f}  tp={tp} fp={fp} fn={fn}")
    for t in thresholds:
        f, tp, fp, fn = micro_f1(cv[t], gold_topics, ids)
        print(f"  cross-validated, p>={t:.2f} micro-F1 {f:.3f}  tp={tp} fp={fp} fn={fn}")
    chosen = max(thresholds, key=lambda t: (micro_f1(cv[t], gold_topics, ids)[0], -abs(t - 0.5)))

    w, b = fit(secondary, topics)
    names = ", ".join(os.path.basename(c) for c in a.corpora)
    with open(a.out, "w") as o:
        o.write("# topic_model.conf - the learned layer over the rule evidence (docs/RULES.md).\n")
        o.write("# Generated by scripts/train_topic_model.py; do not edit by hand, retrain:\n")
        o.write(f"#   scripts/train_topic_model.py {' '.join(a.corpora)}\n")
        o.write(f"# Trained on {len(secondary)} secondary candidate topics from: {names}.\n")
        o.write(f"# {FOLDS}-fold cross-validated topic micro-F1 at the chosen threshold: "
                f"{micro_f1(cv[chosen], gold_topics, ids)[0]:.3f}\n\n")
        o.write("[topic_model]\n")
        o.write(f"features = {', '.join(FEATURES)}\n")
        o.write(f"weights = {', '.join(f'{x:.5f}' for x in w)}\n")
        o.write(f"threshold = {chosen}\n\n[bias]\n")
        for t in topics:
            o.write(f"{t} = {b[t]:.5f}\n")
    print(f"wrote {a.out} (threshold {chosen})")


if __name__ == "__main__":
    sys.exit(main())
