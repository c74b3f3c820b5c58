#!/usr/bin/env bash
# test_config_table.sh - config/newsmon.conf, which documents every key with
# its default, agrees with the table the defaults and validators come from
# (nm_cdefs in common/nm_config.c): every key of the table is in the file, in
# its section, with the table's default as its value; every key the file sets
# outside [kafka*] is in the table; and newsmon accepts the file as it is.
source "$(dirname "$0")/lib.sh"
[[ -x $NEWSMON ]] || fail "newsmon binary not found at $NEWSMON"
$PY - "$ROOT/common/nm_config.c" "$ROOT/config/newsmon.conf" <<'PY' || fail "config/newsmon.conf and the config table differ"
import re, sys
table = {}
for sec, key, default in re.findall(r'^\s*C\("([a-z.]+)",\s*"([a-z_]+)",\s*T_\w+,\s*\w+,\s*"([^"]*)"',
                                    open(sys.argv[1]).read(), re.M):
    table[(sec, key)] = default
assert len(table) > 20, f"cannot read the table ({len(table)} rows)"
conf, sec = {}, None
for line in open(sys.argv[2]):
    m = re.match(r"^\[([a-z.]+)\]", line)
    if m:
        sec = m.group(1)
        continue
    m = re.match(r"^([a-z_][a-z0-9_.]*)\s*=\s*(.*?)\s*$", line)
    if m and not sec.startswith("kafka"):
        conf[(sec, m.group(1))] = m.group(2)
bad = []
for k, d in sorted(table.items()):
    if k not in conf:
        bad.append(f"[{k[0]}] {k[1]}: in the table (default '{d}'), not in newsmon.conf")
    elif conf[k] != d:
        bad.append(f"[{k[0]}] {k[1]}: newsmon.conf says '{conf[k]}', the table's default is '{d}'")
for k in sorted(set(conf) - set(table)):
    bad.append(f"[{k[0]}] {k[1]}: in newsmon.conf, not in the table")
if bad:
    print("\n".join(bad))
    sys.exit(1)
print(f"config: {len(table)} keys, newsmon.conf's values are the table's defaults")
PY
"$NEWSMON" tag -c "$ROOT/config/newsmon.conf" /dev/null || fail "newsmon rejects config/newsmon.conf"
echo "PASS test_config_table"
