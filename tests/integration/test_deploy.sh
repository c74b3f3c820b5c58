#!/usr/bin/env bash
# test_deploy.sh - checks the deployment files in deploy/ as far as this
# machine allows, and runs their probes and signals against a real daemon:
#   1. Dockerfile: stages, build/runtime packages against scripts/install-deps.sh
#      and the binary's own NEEDED libraries, non-root user, entrypoint, health check;
#   2. systemd units (newsmon.service, the template newsmon@.service):
#      `systemd-analyze verify` and `security --offline` (when
#      systemd-analyze exists), the hardening directives, the env file example;
#   3. compose.yaml: KRaft Kafka, Redis AOF, the topics one-shot, 2 replicas,
#      health checks, depends_on conditions (`docker compose config` if present);
#   4. k8s: manifests parse, kustomize renders (kubectl, if present), probes,
#      resources, securityContext, PDB/Service selectors, ConfigMap = config/;
#   5. every NEWSMON_* variable used is a real config key, and newsmon accepts
#      the config + environment of compose and k8s;
#   6. a real `newsmon run`: the Dockerfile HEALTHCHECK, the compose health check
#      and the k8s probe paths against its HTTP endpoint, the metrics named in
#      docs/DEPLOY.md, SIGHUP (ExecReload) and SIGTERM (exit 0).
# A missing optional tool (systemd-analyze, docker compose, kubectl) is reported
# and its check skipped; python3-yaml is required.
source "$(dirname "$0")/lib.sh"
D=$ROOT/deploy
note() { printf '[deploy] %s\n' "$*"; }

python3 -c 'import yaml' 2>/dev/null ||
    fail "python3 module yaml is missing: apt-get install python3-yaml (scripts/install-deps.sh)"
for f in Dockerfile compose.yaml systemd/newsmon.service systemd/newsmon@.service systemd/newsmon.env k8s/kustomization.yaml \
    k8s/deployment.yaml k8s/service.yaml k8s/pdb.yaml k8s/secret.example.yaml; do
    [[ -f $D/$f ]] || fail "deploy/$f missing"
done
[[ -f $ROOT/docs/DEPLOY.md ]] || fail "docs/DEPLOY.md missing"
require_services

# ------------------------------------------------------------ 1. Dockerfile
python3 - "$ROOT" "$NEWSMON" <<'PY' || fail "deploy/Dockerfile"
import os, re, subprocess, sys
root = sys.argv[1]
text = open(f"{root}/deploy/Dockerfile").read()
# join continuation lines, drop comments
lines, cur = [], ""
for raw in text.splitlines():
    s = raw.strip()
    if not cur and (not s or s.startswith("#")):
        continue
    if s.startswith("#"):
        continue
    cur += " " + s.rstrip("\\").strip() if cur else s.rstrip("\\").strip()
    if not s.endswith("\\"):
        lines.append(cur); cur = ""
args = dict(re.findall(r"^ARG (\w+)=(\S+)", "\n".join(lines), re.M))
stages, st = [], None
for l in lines:
    m = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", l, re.I)
    if m:
        img = re.sub(r"\$\{(\w+)\}", lambda x: args.get(x.group(1), x.group(0)), m.group(1))
        st = {"image": img, "name": m.group(2), "lines": []}
        stages.append(st)
    elif st is not None:
        st["lines"].append(l)
assert len(stages) == 2, f"want 2 stages (build, runtime), got {[s['image'] for s in stages]}"
b, r = stages
assert b["image"] == "debian:bookworm" and b["name"], f"build stage: {b['image']} AS {b['name']}"
assert r["image"] == "debian:bookworm-slim", f"runtime stage: {r['image']}"
def apt(stage):
    pk = set()
    for l in stage["lines"]:
        for m in re.finditer(r"apt-get install ([^&;]*)", l):
            pk |= {w for w in m.group(1).split() if not w.startswith("-")}
    return pk
bpk, rpk = apt(b), apt(r)
blines, rlines = "\n".join(b["lines"]), "\n".join(r["lines"])
# build deps: every -dev library install-deps.sh installs, except the test tools (cmocka, fuzzer runtime)
deps = open(f"{root}/scripts/install-deps.sh").read()
devs = set(re.findall(r"\b(lib[a-z0-9.+-]+-dev)\b", deps)) - {"libcmocka-dev", "libclang-rt-14-dev"}
assert devs <= bpk, f"build stage lacks {sorted(devs - bpk)} (scripts/install-deps.sh has them)"
assert {"cmake", "pkg-config"} <= bpk, "build stage lacks cmake/pkg-config"
assert "-DNM_BUILD_TESTS=OFF" in blines, "build stage must configure with -DNM_BUILD_TESTS=OFF"
assert not [p for p in rpk if p.endswith("-dev")], f"runtime stage installs -dev packages: {rpk}"
want_rt = {"librdkafka1", "libjansson4", "libhiredis0.14", "libutf8proc2", "libxml2", "libmicrohttpd12", "libsimdjson14",
           "libcld2-0"}
assert want_rt <= rpk, f"runtime stage lacks {sorted(want_rt - rpk)}"
assert f"--from={b['name']}" in rlines, "runtime stage does not copy from the build stage"
for name in ("newsmon.conf", "gazetteer.conf", "rules.conf"):
    assert f"config/{name}" in rlines and os.path.exists(f"{root}/config/{name}"), f"config/{name} not copied"
assert "/etc/newsmon/" in rlines, "config not installed in /etc/newsmon"
assert re.search(r"^COPY config/lang/? /etc/newsmon/lang/?$", rlines, re.M), "the language packs (config/lang) are not installed in /etc/newsmon/lang"
user = re.findall(r"^USER (\S+)", rlines, re.M)
assert user and user[-1].split(":")[0] not in ("0", "root"), f"runtime user: {user}"
assert re.search(r'^ENTRYPOINT \["newsmon"\]$', rlines, re.M), "ENTRYPOINT must be [\"newsmon\"]"
assert re.search(r'^CMD \["run", "-c", "/etc/newsmon/newsmon.conf"\]$', rlines, re.M), "CMD must be run -c /etc/newsmon/newsmon.conf"
assert re.search(r"^EXPOSE 9465$", rlines, re.M), "EXPOSE 9465 missing"
assert re.search(r"^HEALTHCHECK .*/healthz", rlines, re.M), "HEALTHCHECK on /healthz missing"
assert "NEWSMON_HTTP_LISTEN=0.0.0.0:9465" in rlines, "the image must listen on 0.0.0.0:9465"
# the binary's direct libraries must all come from runtime packages
newsmon = sys.argv[2]
needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]",
                    subprocess.run(["readelf", "-d", newsmon], capture_output=True, text=True).stdout)
paths = dict(re.findall(r"^\s*(\S+) => (\S+)", subprocess.run(["ldd", newsmon], capture_output=True, text=True).stdout, re.M))
skip = {"libc6", "libgcc-s1", "libstdc++6"}
for so in needed:
    if re.match(r"lib(asan|ubsan|lsan|tsan)", so):
        continue
    p = paths.get(so)
    assert p and p != "not", f"{so} not resolvable by ldd"
    q = subprocess.run(["dpkg", "-S", os.path.realpath(p)], capture_output=True, text=True)
    if q.returncode:
        q = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True)
    pkg = q.stdout.split(":")[0].strip()
    assert pkg, f"no package owns {p}"
    assert pkg in rpk or pkg in skip, f"newsmon needs {so} from {pkg}, not installed by the runtime stage"
print(f"Dockerfile: stages {b['name']} ({b['image']}) -> runtime ({r['image']}); "
      f"{len(needed)} NEEDED libraries covered by {sorted(rpk)}")
PY
# Runtime package names exist in this machine's apt lists (same release).
if command -v apt-cache >/dev/null; then
    for p in librdkafka1 libjansson4 libhiredis0.14 libutf8proc2 libxml2 libmicrohttpd12 ca-certificates; do
        apt-cache show "$p" >/dev/null 2>&1 || fail "runtime package $p unknown to apt-cache"
    done
    note "Dockerfile: runtime packages known to apt"
fi
if [[ -n ${NM_TEST_DOCKER:-} ]] && docker info >/dev/null 2>&1; then
    docker build -q -f "$D/Dockerfile" -t "newsmon-test:$NM_RUN" "$ROOT" >/dev/null || fail "docker build failed"
    docker run --rm "newsmon-test:$NM_RUN" --version || fail "image does not run"
    docker rmi "newsmon-test:$NM_RUN" >/dev/null || true
    note "Dockerfile: image built and ran"
else
    note "Dockerfile: image not built (set NM_TEST_DOCKER=1 with a running Docker daemon to build it)"
fi

# ------------------------------------------------------------ 2. systemd
UNIT=$D/systemd/newsmon.service
python3 - "$UNIT" "$D/systemd/newsmon.env" <<'PY' || fail "deploy/systemd"
import re, sys
unit = {}
sec = None
for l in open(sys.argv[1]):
    l = l.strip()
    if not l or l.startswith("#"): continue
    m = re.match(r"\[(\w+)\]$", l)
    if m: sec = m.group(1); continue
    k, _, v = l.partition("=")
    unit.setdefault((sec, k.strip()), []).append(v.strip())
def get(k, sec="Service"): return unit.get((sec, k), [None])[-1]
want = {"Type": "simple", "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
        "PrivateTmp": "yes", "PrivateDevices": "yes", "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes", "MemoryDenyWriteExecute": "yes",
        "KillSignal": "SIGTERM", "ExecReload": "/bin/kill -HUP $MAINPID", "DynamicUser": "yes",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX", "RestartPreventExitStatus": "2"}
for k, v in want.items():
    assert get(k) == v, f"[Service] {k}={get(k)!r}, want {v!r}"
assert "@system-service" in unit.get(("Service", "SystemCallFilter"), []), "SystemCallFilter=@system-service missing"
assert "/etc/newsmon" in (get("ReadOnlyPaths") or ""), "ReadOnlyPaths=/etc/newsmon missing"
assert get("Restart") in ("on-failure", "always"), f"Restart={get('Restart')}"
assert int(get("TimeoutStopSec")) >= 30, "TimeoutStopSec too short for a drain"
assert get("ExecStart").split()[1:4] == ["run", "-c", "/etc/newsmon/newsmon.conf"], get("ExecStart")
assert get("WantedBy", "Install") == "multi-user.target"
envf = get("EnvironmentFile").lstrip("-")
assert envf.startswith("/etc/newsmon/"), envf
for l in open(sys.argv[2]):
    l = l.strip()
    if l and not l.startswith("#"):
        assert re.match(r"^NEWSMON_[A-Z0-9_]+=", l), f"newsmon.env: {l}"
print("systemd unit: hardening, signals and restart policy present")
PY
# the template unit: newsmon.service per instance, with its own metrics port,
# static membership id and transactional id taken from the instance name
python3 - "$UNIT" "$D/systemd/newsmon@.service" <<'PY' || fail "deploy/systemd/newsmon@.service"
import re, sys
def parse(path):
    unit, sec = {}, None
    for l in open(path):
        l = l.strip()
        if not l or l.startswith("#"): continue
        m = re.match(r"\[(\w+)\]$", l)
        if m: sec = m.group(1); continue
        k, _, v = l.partition("=")
        unit.setdefault((sec, k.strip()), []).append(v.strip())
    return unit
one, tpl = parse(sys.argv[1]), parse(sys.argv[2])
own = {("Unit", "Description"), ("Service", "Environment"), ("Service", "EnvironmentFile")}
for k in sorted(set(one) | set(tpl), key=str):
    if k not in own:
        assert one.get(k) == tpl.get(k), f"newsmon@.service {k}: {tpl.get(k)} != newsmon.service's {one.get(k)}"
env = dict(e.split("=", 1) for e in tpl[("Service", "Environment")])
assert env.get("NEWSMON_HTTP_LISTEN") == "127.0.0.1:%i", env
assert "%i" in env.get("NEWSMON_KAFKA_GROUP_INSTANCE_ID", ""), env
assert "%i" in env.get("NEWSMON_OUTPUT_TRANSACTIONAL_ID", ""), env
assert tpl[("Service", "EnvironmentFile")] == one[("Service", "EnvironmentFile")] + ["-/etc/newsmon/newsmon@%i.env"]
print("systemd template unit: newsmon.service plus a port, group.instance.id and transactional id per instance")
PY
if command -v systemd-analyze >/dev/null; then
    # verify needs the ExecStart binary to exist: point it at the one under test
    mkdir -p "$WORK/unit"
    sed "s|/usr/local/bin/newsmon|$NEWSMON|" "$UNIT" >"$WORK/unit/newsmon.service"
    st=0
    systemd-analyze verify "$WORK/unit/newsmon.service" >"$WORK/verify.txt" 2>&1 || st=$?
    # (warnings about other units on this host are not ours)
    if [[ $st -ne 0 ]] || grep -q 'newsmon' "$WORK/verify.txt"; then
        cat "$WORK/verify.txt" >&2
        fail "systemd-analyze verify reported problems with newsmon.service"
    fi
    sed "s|/usr/local/bin/newsmon|$NEWSMON|" "$D/systemd/newsmon@.service" >"$WORK/unit/newsmon@.service"
    ln -sf "newsmon@.service" "$WORK/unit/newsmon@9465.service"
    st=0
    systemd-analyze verify "$WORK/unit/newsmon@9465.service" >"$WORK/verify.txt" 2>&1 || st=$?
    if [[ $st -ne 0 ]] || grep -q 'newsmon' "$WORK/verify.txt"; then
        cat "$WORK/verify.txt" >&2
        fail "systemd-analyze verify reported problems with newsmon@9465.service"
    fi
    note "systemd: systemd-analyze verify clean (newsmon.service, newsmon@9465.service)"
    if out=$(systemd-analyze security --offline=yes "$WORK/unit/newsmon.service" 2>/dev/null); then
        score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
        [[ -n $score ]] || fail "no exposure level from systemd-analyze security"
        awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "systemd exposure level $score > 2.0"
        note "systemd: exposure level $score (systemd-analyze security --offline)"
    else
        note "systemd: systemd-analyze security --offline not supported here (systemd < 250): skipped"
    fi
else
    note "systemd: systemd-analyze not installed: verify skipped (static checks above ran)"
fi

# ------------------------------------------------------------ 3. compose
python3 - "$D/compose.yaml" <<'PY' || fail "deploy/compose.yaml"
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
s = c["services"]
k = s["kafka"]
assert k["image"].startswith("apache/kafka:"), k["image"]
env = k["environment"]
assert "controller" in env["KAFKA_PROCESS_ROLES"] and "broker" in env["KAFKA_PROCESS_ROLES"], "Kafka not in KRaft combined mode"
assert "KAFKA_CONTROLLER_QUORUM_VOTERS" in env and "CLUSTER_ID" in env
assert str(env.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE")).lower() == "false", "topics must be created explicitly"
r = s["redis"]
cmd = " ".join(r["command"]) if isinstance(r["command"], list) else r["command"]
assert "--appendonly yes" in cmd and "--appendfsync everysec" in cmd, f"Redis AOF: {cmd}"
assert "noeviction" in cmd, "Redis must not evict (dedupe keys)"
t = s["topics"]
assert t["command"][0] == "topics" and t.get("restart") == "no", t
n = s["newsmon"]
assert n["deploy"]["replicas"] == 2, "want 2 newsmon replicas"
parts = int(t["command"][t["command"].index("-p") + 1].split(":-")[-1].rstrip("}"))
assert n["deploy"]["replicas"] <= parts, f"replicas {n['deploy']['replicas']} > partitions {parts}"
for name in ("kafka", "redis", "newsmon"):
    assert "test" in s[name].get("healthcheck", {}), f"{name} has no healthcheck"
dep = n["depends_on"]
assert dep["kafka"]["condition"] == "service_healthy"
assert dep["redis"]["condition"] == "service_healthy"
assert dep["topics"]["condition"] == "service_completed_successfully"
assert t["depends_on"]["kafka"]["condition"] == "service_healthy"
assert n.get("stop_signal", "SIGTERM") == "SIGTERM" and n.get("stop_grace_period")
assert n["environment"]["NEWSMON_HTTP_LISTEN"] == "0.0.0.0:9465"
print("compose: KRaft Kafka, Redis AOF, topics one-shot, 2 replicas, health checks and conditions")
PY
if docker compose version >/dev/null 2>&1; then
    docker compose -f "$D/compose.yaml" config -q || fail "docker compose config rejects deploy/compose.yaml"
    note "compose: docker compose config ok"
else
    note "compose: no docker compose plugin here: 'docker compose config' skipped (YAML checks above ran)"
fi

# ------------------------------------------------------------ 4. Kubernetes
RENDERED=$WORK/k8s.yaml
if command -v kubectl >/dev/null; then
    kubectl kustomize --load-restrictor LoadRestrictionsNone "$D/k8s" >"$RENDERED" ||
        fail "kustomize cannot render deploy/k8s"
    note "k8s: kustomize rendered $(grep -c '^kind:' "$RENDERED") objects"
else
    note "k8s: kubectl not installed: checking the raw manifests (ConfigMap generated by this test)"
    : >"$RENDERED"
fi
python3 - "$D/k8s" "$RENDERED" "$ROOT/config" "$WORK/cm" <<'PY' || fail "deploy/k8s"
import os, sys, yaml
kdir, rendered, confdir, cmdir = sys.argv[1:5]
kust = yaml.safe_load(open(f"{kdir}/kustomization.yaml"))
docs = [d for d in yaml.safe_load_all(open(rendered)) if d] if os.path.getsize(rendered) else []
if not docs:
    for f in kust["resources"]:
        docs += [d for d in yaml.safe_load_all(open(f"{kdir}/{f}")) if d]
    for gen in kust["configMapGenerator"]:
        docs.append({"kind": "ConfigMap", "metadata": {"name": gen["name"]},
                     "data": {os.path.basename(f): open(os.path.join(kdir, f)).read() for f in gen["files"]}})
for f in os.listdir(kdir):
    if f.endswith((".yaml", ".yml")):
        list(yaml.safe_load_all(open(f"{kdir}/{f}")))  # every file parses
by = {}
for d in docs:
    by.setdefault(d["kind"], []).append(d)
dep = by["Deployment"][0]
spec = dep["spec"]; pod = spec["template"]; ps = pod["spec"]
assert spec["replicas"] == 2
c = ps["containers"][0]
assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
ports = {p["name"]: p["containerPort"] for p in c["ports"]}
assert ports.get(c["livenessProbe"]["httpGet"]["port"]) == 9465
assert c["resources"]["requests"]["cpu"] and c["resources"]["requests"]["memory"] and c["resources"]["limits"]["memory"]
sc, psc = c["securityContext"], ps["securityContext"]
assert psc["runAsNonRoot"] is True and psc["runAsUser"] != 0
assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
assert sc["capabilities"]["drop"] == ["ALL"]
assert ps["terminationGracePeriodSeconds"] >= 30
assert c["args"] == ["run", "-c", "/etc/newsmon/newsmon.conf"]
env = {e["name"]: e for e in c.get("env", [])}
assert env["NEWSMON_HTTP_LISTEN"]["value"] == "0.0.0.0:9465"
secret_refs = [e for e in c.get("envFrom", []) if "secretRef" in e] + \
              [e for e in env.values() if "secretKeyRef" in e.get("valueFrom", {})]
assert secret_refs, "no secrets from a Secret"
mounts = {m["name"]: m for m in c["volumeMounts"]}
vols = {v["name"]: v for v in ps["volumes"]}
cfgm = [n for n, m in mounts.items() if m["mountPath"] == "/etc/newsmon"]
assert cfgm and "configMap" in vols[cfgm[0]] and mounts[cfgm[0]].get("readOnly"), "config not mounted from a ConfigMap at /etc/newsmon"
cm = [d for d in by["ConfigMap"] if d["metadata"]["name"] == vols[cfgm[0]]["configMap"]["name"]]
assert cm, "the Deployment's ConfigMap is not in the manifests"
data = cm[0]["data"]
os.makedirs(cmdir, exist_ok=True)
for f in ("newsmon.conf", "gazetteer.conf", "rules.conf"):
    assert data.get(f) == open(f"{confdir}/{f}").read(), f"ConfigMap {f} differs from config/{f}"
    open(f"{cmdir}/{f}", "w").write(data[f])
# the language packs: their own ConfigMap, mounted where [rules] languages points
langdir = env["NEWSMON_RULES_LANGUAGES"]["value"]
lm = [n for n, m in mounts.items() if m["mountPath"] == langdir]
assert lm and "configMap" in vols[lm[0]] and mounts[lm[0]].get("readOnly"), f"no ConfigMap mounted at {langdir}"
lcm = [d for d in by["ConfigMap"] if d["metadata"]["name"] == vols[lm[0]]["configMap"]["name"]]
assert lcm, "the language packs' ConfigMap is not in the manifests"
packs = sorted(f for f in os.listdir(f"{confdir}/lang") if f.endswith(".conf"))
missing = [f for f in packs if f not in lcm[0]["data"]]
assert not missing, f"deploy/k8s/kustomization.yaml lacks the packs {missing} (add ../../config/lang/<file>)"
os.makedirs(cmdir + "-lang", exist_ok=True)
for f in packs:
    assert lcm[0]["data"][f] == open(f"{confdir}/lang/{f}").read(), f"ConfigMap {f} differs from config/lang/{f}"
    open(f"{cmdir}-lang/{f}", "w").write(lcm[0]["data"][f])
env["NEWSMON_RULES_LANGUAGES"] = {"value": cmdir + "-lang"}  # as mounted, here
labels = pod["metadata"]["labels"]
def selects(sel): return all(labels.get(k) == v for k, v in sel.items())
assert selects(spec["selector"]["matchLabels"])
pdb = by["PodDisruptionBudget"][0]
assert selects(pdb["spec"]["selector"]["matchLabels"]), "PDB selects no newsmon pod"
assert "maxUnavailable" in pdb["spec"] or "minAvailable" in pdb["spec"]
svc = by["Service"][0]
assert selects(svc["spec"]["selector"]), "metrics Service selects no newsmon pod"
assert svc["spec"]["ports"][0]["targetPort"] in (9465, "http-metrics")
ann = pod["metadata"].get("annotations", {})
assert ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/port") == "9465"
# env for the next step: what the pod would see (plain values only)
with open(f"{cmdir}/env", "w") as fh:
    for n, e in env.items():
        if "value" in e and n.startswith("NEWSMON_") and "$(" not in e["value"]:
            fh.write(f"{n}={e['value']}\n")
print(f"k8s: Deployment (2 replicas, probes, resources, non-root read-only), ConfigMap = config/, PDB, Service")
PY

# ------------------------------------------------------------ 5. environment names and values
python3 - "$ROOT" <<'PY' || fail "a NEWSMON_* variable in deploy/ is not a config key"
import re, sys, glob
root = sys.argv[1]
keys, sec = set(), None
for l in open(f"{root}/config/newsmon.conf"):
    m = re.match(r"^\[([a-z.]+)\]", l)
    if m: sec = m.group(1); continue
    m = re.match(r"^([a-z_][a-z0-9_]*)\s*=", l)
    if m and sec and not sec.startswith("kafka"):
        keys.add(f"NEWSMON_{sec}_{m.group(1)}".upper())
files = glob.glob(f"{root}/deploy/**/*", recursive=True) + [f"{root}/docs/DEPLOY.md"]
used = {}
for f in files:
    if f.endswith(("pom.xml",)) or not re.search(r"\.(ya?ml|service|env|md)$|Dockerfile$", f):
        continue
    for v in re.findall(r"\bNEWSMON_[A-Z0-9_]+", open(f).read()):
        used.setdefault(v, f)
bad = {v: f for v, f in used.items()
       if v not in keys and not v.startswith("NEWSMON_KAFKA_") and v != "NEWSMON_CONFIG"
       and not v.endswith("_")}
assert "NEWSMON_REDIS_PASSWORD" in keys
assert not bad, f"unknown NEWSMON_* names (no such key in config/newsmon.conf): {bad}"
print(f"env: {len(used)} NEWSMON_* names in deploy/ and docs/DEPLOY.md are config keys or Kafka properties")
PY
# newsmon accepts the ConfigMap as mounted plus the compose and k8s environments
# (the image holds the packs in /etc/newsmon/lang, as the Dockerfile copies them)
cp -r "$ROOT/config/lang" "$WORK/cm/lang"
for envsrc in compose k8s; do
    if [[ $envsrc == compose ]]; then
        python3 -c '
import sys, yaml
e = yaml.safe_load(open(sys.argv[1]))["services"]["newsmon"]["environment"]
for k, v in e.items():
    v = str(v)
    if "${" in v: v = v.split(":-", 1)[1].rstrip("}") if ":-" in v else ""
    print(f"{k}={v}")' "$D/compose.yaml" >"$WORK/env.compose"
    else
        cp "$WORK/cm/env" "$WORK/env.k8s"
    fi
    # shellcheck disable=SC2046
    env -i PATH="$PATH" $(cat "$WORK/env.$envsrc") \
        "$NEWSMON" tag -c "$WORK/cm/newsmon.conf" "$ROOT/samples/articles.jsonl" >"$WORK/tag.$envsrc" 2>"$WORK/tag.$envsrc.err" ||
        fail "newsmon rejects the $envsrc environment + ConfigMap config: $(cat "$WORK/tag.$envsrc.err")"
    [[ $(grep -c . "$WORK/tag.$envsrc") -eq $(grep -c . "$ROOT/samples/articles.jsonl") ]] || fail "tag with the $envsrc environment printed too few events"
done
note "env: newsmon loads the mounted config with the compose and k8s environments"

# ------------------------------------------------------------ 6. probes and signals on a real daemon
port=""
for p in $(shuf -i 20000-29999 -n 20); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { port=$p; break; }
done
[[ -n $port ]] || fail "no free port for the HTTP endpoint"
# the daemon runs as instance $port of newsmon@.service: with its Environment=
# lines (%i the port, %H the host name), so its static member id and port too
while IFS= read -r kv; do
    kv=${kv//%i/$port}
    export "${kv//%H/$(hostname)}"
done < <(sed -n 's/^Environment=//p' "$D/systemd/newsmon@.service")
[[ ${NEWSMON_HTTP_LISTEN:-} == "127.0.0.1:$port" && ${NEWSMON_KAFKA_GROUP_INSTANCE_ID:-} == *-$port ]] ||
    fail "newsmon@.service does not set NEWSMON_HTTP_LISTEN and NEWSMON_KAFKA_GROUP_INSTANCE_ID from %i"
write_config
start_daemon
# the compose daemon's answer to GET PATH: its body (lib.sh's http_get)
http_body() { http_get "$port" "$1" "$WORK/http_body.txt" >/dev/null; cat "$WORK/http_body.txt"; }
# the exact health check commands of the Dockerfile and compose.yaml
hc_docker=$(python3 -c '
import json, re, sys
t = open(sys.argv[1]).read().replace("\\\n", " ")
m = re.search(r"^HEALTHCHECK .*?CMD (\[.*\])\s*$", t, re.M)
print(json.loads(m.group(1))[2])' "$D/Dockerfile")
hc_compose=$(python3 -c '
import sys, yaml
t = yaml.safe_load(open(sys.argv[1]))["services"]["newsmon"]["healthcheck"]["test"]
assert t[:3] == ["CMD", "bash", "-c"], t
print(t[3].replace("$$", "$"))' "$D/compose.yaml")
bash -c "${hc_docker//9465/$port}" || fail "the Dockerfile HEALTHCHECK fails against a live daemon"
ok=""
for _ in $(seq 1 60); do
    if bash -c "${hc_compose//9465/$port}"; then ok=1; break; fi
    sleep 0.5
done
[[ -n $ok ]] || fail "the compose health check (/readyz) never passed: $(http_body /readyz)"
for path in /healthz /readyz /metrics; do
    [[ $(http_get "$port" "$path" /dev/null) == 200 ]] || fail "GET $path is not 200 (k8s probes, Prometheus)"
done
# the negative case: the health check must fail on a closed port
! bash -c "${hc_docker//9465/1}" 2>/dev/null || fail "the health check passes with nothing listening"
note "probes: Dockerfile HEALTHCHECK, compose health check, /healthz /readyz /metrics all 200"
http_body /metrics >"$WORK/metrics.txt"
missing=()
for m in $(grep -o 'newsmon_[a-z_]*' "$ROOT/docs/DEPLOY.md" | sort -u); do
    grep -q "^$m\b\|^# TYPE $m " "$WORK/metrics.txt" || missing+=("$m")
done
((${#missing[@]} == 0)) || fail "docs/DEPLOY.md names metrics that /metrics lacks: ${missing[*]}"
note "metrics: every metric named in docs/DEPLOY.md is exported"
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$DAEMON_PID/status")
note "daemon RSS after start: $((rss / 1024)) MiB"
# ExecReload: SIGHUP reloads the rules and the daemon keeps running
kill -HUP "$DAEMON_PID"
ok=""
for _ in $(seq 1 40); do
    grep -q '^newsmon_rules_reloads_total [1-9]' <(http_body /metrics) && { ok=1; break; }
    sleep 0.25
done
[[ -n $ok ]] || fail "SIGHUP (ExecReload) did not reload the rules"
kill -0 "$DAEMON_PID" || fail "newsmon died on SIGHUP"
st=0
stop_daemon TERM || st=$?
[[ $st -eq 0 ]] || fail "newsmon exited $st on SIGTERM (KillSignal/STOPSIGNAL)"
note "signals: SIGHUP reloads, SIGTERM exits 0"
echo "PASS test_deploy"
