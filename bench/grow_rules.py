#!/usr/bin/env python3
"""grow_rules.py SRC_CONFIG_DIR OUT_DIR [FACTOR] - a copy of the rule files
with FACTOR times the terms, to measure the matcher with the automaton that
more language packs will give (bench/README.md, part `matcher`).

Every `terms =` and `not =` line of the gazetteer, the rules and the language
packs gets FACTOR-1 sibling lines whose terms are rotations of the original
(same script and letters, new trie paths that the text's letter pairs still
walk into), so the automaton grows by about FACTOR. The copies are not
meant to tag anything sensibly; only the matcher's size and speed count."""
import os
import re
import shutil
import sys


def rotate(term, k):
    star_l = term.startswith("*")
    star_r = term.endswith("*") and len(term) > 1
    core = term.strip("*")
    if len(core) < 2:
        return None
    k %= len(core)
    if k == 0:
        core = core[::-1]
    else:
        core = core[k:] + core[:k]
    core = core.strip()
    if not core:
        return None
    return ("*" if star_l else "") + core + ("*" if star_r else "")


def grow(path, factor):
    out = []
    line_re = re.compile(r"^(\s*(?:terms|not)\s*=\s*)(.*)$")
    with open(path, encoding="utf-8") as f:
        for line in f:
            out.append(line)
            m = line_re.match(line.rstrip("\n"))
            if not m:
                continue
            terms = [t.strip() for t in m.group(2).split(",") if t.strip()]
            for k in range(1, factor):
                new = [r for r in (rotate(t, k) for t in terms) if r]
                if new:
                    out.append(m.group(1) + ", ".join(new) + "\n")
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(out)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    factor = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    shutil.copytree(src, dst, dirs_exist_ok=True)
    for root, _, files in os.walk(dst):
        for name in files:
            if name in ("gazetteer.conf", "rules.conf") or os.path.basename(root) == "lang":
                if name.endswith(".conf"):
                    grow(os.path.join(root, name), factor)


if __name__ == "__main__":
    main()
