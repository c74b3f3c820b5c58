#!/usr/bin/env python3
"""check_tag.py REF.jsonl OUT.jsonl ERR.txt RC: one `newsmon tag` run under
allocation failure, against the clean run REF (same input, one event per
line). Passes (exit 0) when the run lost nothing silently:
  - it was not killed by a signal and no sanitizer reported anything;
  - every event it printed equals REF's event for that id (a failed
    allocation never yields a degraded event), processed_at aside, and its
    story too (an article that failed is not indexed: a later copy of it
    may start the story instead);
  - exit 0: every event of REF was printed;
  - otherwise stderr says why, and each article it did not print is named
    ("FILE:LINE: reason", for the LINE of that article), or comes after a
    "cannot read past line L", or the run failed before reading any input.
Prints one line saying what went wrong otherwise (exit 1)."""
import json, re, sys

ref_path, out_path, err_path, rc = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
err = open(err_path, encoding="utf-8", errors="replace").read()


def strip(ev):
    ev.pop("processed_at", None)
    ev.pop("story", None)
    return ev


ref = [strip(json.loads(l)) for l in open(ref_path, encoding="utf-8")]
index = {ev["id"]: i + 1 for i, ev in enumerate(ref)}  # line of each article
bad = lambda why: (print(why), sys.exit(1))
if rc >= 128 or rc < 0:
    bad(f"killed by signal {rc - 128}")
for mark in ("AddressSanitizer", "LeakSanitizer", "runtime error:", "Segmentation"):
    if mark in err:
        bad(f"sanitizer/crash report: {mark}")
printed = {}
for line in open(out_path, encoding="utf-8", errors="replace"):
    try:
        ev = strip(json.loads(line))
    except ValueError:
        bad(f"a printed line is not JSON: {line[:80]!r}")
    i = index.get(ev.get("id"))
    if i is None or ev != ref[i - 1]:
        bad(f"event for {ev.get('id')} differs from the clean run")
    printed[ev["id"]] = True
missing = [i for id_, i in index.items() if id_ not in printed]
if rc == 0:
    if missing:
        bad(f"exit 0 but {len(missing)} article(s) missing (first: line {missing[0]})")
    sys.exit(0)
msgs = [l for l in err.splitlines() if l and not l.startswith("failalloc:")]
if not msgs:
    bad(f"exit {rc} without a message")
named = {int(m) for m in re.findall(r"^[^\s:]+:(\d+): ", err, re.M)}
cut = [int(m) for m in re.findall(r"cannot read past line (\d+)", err)]
for i in missing:
    if i in named or (cut and i > min(cut)) or (not printed and not named and not cut):
        continue
    bad(f"article of line {i} missing without a message (exit {rc})")
