#!/usr/bin/env python3
"""story_lookup_diff.py - the story lookup of producer/nm_counts.c (its two
scripts, nm_story_refs_lua then nm_story_recs_lua, and the client's part
between them, done here the way nm_counts_story_lookup does it in C: the
split of the band values into refs, records it keeps not asked for again,
the first `cap` refs that resolve are the candidates; the C code itself is
checked against the daemon's earlier output by bench/nm_story_state.sh) against
the oracle below (one script, one redis.call per ref, as it was until the
reads were batched): random windows (signature hashes, band hashes,
stories' "!" fields, seen keys), random batches and a random part of the
window's records already kept by the client; the oracle's reply and the
lookup's {decisions, candidates} compared exactly. Random bytes in the
signatures, refs of hours outside the window, missing records and stories,
and caps from 0 to more than there are candidates are all drawn.

Usage: story_lookup_diff.py REDIS_PORT KEY_PREFIX [TRIALS] [SEED]
Keys are made under KEY_PREFIX (the caller deletes them)."""
import os
import random
import re
import socket
import sys

# The lookup at e9e0beb: per ref, HGET its record, then HGET its story's "!".
ORACLE = r"""
local nw, nd, total = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local bucket = {}
for w = 1, nw do bucket[string.sub(KEYS[w], -10)] = KEYS[w] end
local dec, cand, done, parsed, got, a = {}, {}, {}, {}, 0, 4
for k = nw + nd + 1, #KEYS do
  local d, nb = redis.call('GET', KEYS[k]), tonumber(ARGV[a])
  dec[#dec + 1] = d or ''
  for day = nw + 1, (d or nb == 0) and 0 or nw + nd do
    for j, refs in ipairs(redis.call('HMGET', KEYS[day], unpack(ARGV, a + 1, a + nb))) do
      local pk = refs and day .. ARGV[a + j]
      if pk and parsed[pk] then refs = nil elseif pk then parsed[pk] = true end
      for ref in string.gmatch(refs or '', '[^\n]+') do
        if not done[ref] and got < total then
          done[ref] = true
          local key = bucket[string.sub(ref, 1, 10)]
          local rec = key and redis.call('HGET', key, string.sub(ref, 11))
          local fkey = rec and bucket[string.sub(rec, 17, 26)]
          local st = fkey and redis.call('HGET', fkey, '!' .. string.sub(rec, 159))
          if st then got = got + 1; cand[#cand + 1] = rec; cand[#cand + 1] = st end
        end
      end
    end
  end
  a = a + 1 + nb
end
return {dec, cand}
"""


def c_literal(path, name):
    """The text of the C string literal `static const char name[] = ...;`."""
    src = open(path, encoding="utf-8").read()
    body = src[src.index(f"{name}[] =") :]
    body = body[: body.index(";\n")]
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', body)
    return "".join(parts).encode("latin-1").decode("unicode_escape")


class Redis:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")

    def call(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.s.sendall(b"".join(out))
        return self.reply()

    def reply(self):
        line = self.f.readline()[:-2]
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            return data
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise RuntimeError(f"bad reply {line!r}")


def lookup(r, keys, a, nw, nd, n, kept):
    """nm_counts_story_lookup's two calls and its part between them, as
    producer/nm_counts.c does it: the batch's distinct band fields asked
    once; the values split into the distinct refs of the unseen articles,
    in article, day, field order, of a window hour whose signature hash
    exists; the records `kept` (ref -> record) from earlier lookups not
    asked for again; the first `cap` refs that resolve are the candidates."""
    cap, arts, p = a[2], [], 3
    for _ in range(n):
        arts.append(a[p + 1 : p + 1 + a[p]])
        p += 1 + a[p]
    fields, at = [], {}
    for fl in arts:
        for f in fl:
            if f not in at:
                at[f] = len(fields)
                fields.append(f)
    out = r.call("EVAL", REFS, len(keys), *keys, nw, nd, len(fields), *fields)
    dec, live, vals = out[0], out[1], out[2:]
    hours = [k[-10:] for k in keys[:nw]]
    refs, done, parsed = [], set(), set()
    for i, fl in enumerate(arts):
        if dec[i] is not None:
            continue
        for d in range(nd):
            for f in fl:
                v = vals[d][at[f]]
                if v is None or (d, f) in parsed:
                    continue
                parsed.add((d, f))
                for ref in v.split(b"\n"):
                    h = ref[:10]
                    if len(ref) >= 10 and h in hours and live[hours.index(h)] == ord("1") and ref not in done:
                        done.add(ref)
                        refs.append(ref)
    dec = [x if x is not None else b"" for x in dec]
    rec, story, miss, stories, sat = {}, {}, [], [], {}
    for k, ref in enumerate(refs):
        if ref in kept:
            s = kept[ref][16:26] + kept[ref][158:]  # its story: first hour, first article
            if s not in sat:
                sat[s] = len(stories)
                stories.append(s)
            rec[k], story[k] = kept[ref], sat[s]
        else:
            miss.append(k)
    if not refs:
        return [dec, []]
    recs, sts = r.call("EVAL", RECS, nw, *keys[:nw], nw, len(miss), *[refs[k] for k in miss], *stories)
    for j, k in enumerate(miss):
        rec[k], story[k] = recs[j], len(stories) + j
    cand, got = [], 0
    for k in range(len(refs)):
        if got >= cap:
            break
        if rec[k] and sts[story[k]]:
            got += 1
            cand += [rec[k], sts[story[k]]]
    return [dec, cand]


def trial(r, rnd, kp, big):
    hours = sorted({f"20261202{h:02d}" for h in rnd.sample(range(24), rnd.randint(1, 8))}, reverse=True)
    window = hours[: rnd.randint(1, len(hours))]  # the rest: outside the window
    days = sorted({h[:8] for h in window} | {"20261201"}, reverse=True)[: rnd.randint(1, 2)]
    sig = {h: f"{kp}story:sig:{h}".encode() for h in hours}
    band = {d: f"{kp}story:band:{d}".encode() for d in days}
    ids = [f"a{k}" for k in range(rnd.randint(1, 3000 if big else 60))]
    home = {i: rnd.choice(hours) for i in ids}
    firsts = rnd.sample(ids, max(1, len(ids) // 4))
    for i in ids:  # records (some missing)
        if rnd.random() < 0.15:
            continue
        fa = rnd.choice(firsts)
        rec = b"%016x" % rnd.randrange(1 << 40) + home[fa].encode() + os.urandom(132) + fa.encode()
        r.call("HSET", sig[home[i]], i, rec)
    for fa in firsts:  # stories alive (some over)
        if rnd.random() < 0.8:
            r.call("HSET", sig[home[fa]], "!" + fa, "," + ",".join(rnd.sample("xyzw", rnd.randint(0, 3))) + ",")
    fields = [f"{b:x}{rnd.randrange(1 << 32):08x}" for b in range(rnd.randint(1, 40 if not big else 400))]
    for d in days:
        for f in fields:
            if rnd.random() < 0.3:
                continue
            refs = [home[i] + i for i in rnd.choices(ids, k=rnd.randint(1, 8))]
            if rnd.random() < 0.05:
                refs.append("short")
            r.call("HSET", band[d], f, "\n".join(refs))
    n = rnd.randint(1, 600 if big else 40)
    seen = [f"{kp}seen:s{k}".encode() for k in range(n)]
    for k in seen:
        x = rnd.random()
        if x < 0.2:
            r.call("SET", k, "S2026120200" + "0,\n")
        elif x < 0.23:
            r.call("SET", k, "")
    nwk = [sig[h] for h in window]
    a = [len(window), len(days), rnd.choice([0, 1, 2, 5, 17, 64, 8192, rnd.randint(1, 300)])]
    for _ in range(n):  # an article's band fields are distinct (one per bin)
        nb = 0 if rnd.random() < 0.1 else rnd.randint(1, min(16, len(fields)))
        a.append(nb)
        a.extend(rnd.sample(fields, nb))
    keys = nwk + [band[d] for d in days] + seen
    kept = {}  # what the client read in earlier lookups: records that exist
    for i in ids:
        if rnd.random() < 0.5:
            rec = r.call("HGET", sig[home[i]], i)
            if rec:
                kept[(home[i] + i).encode()] = rec
    want = r.call("EVAL", ORACLE, len(keys), *keys, *a)
    got = lookup(r, keys, a, len(window), len(days), n, kept)
    for k in list(sig.values()) + list(band.values()) + seen:
        r.call("DEL", k)
    return want == got, want, got, n, len(want[1]) // 2


if __name__ == "__main__":
    port, kp = int(sys.argv[1]), sys.argv[2]
    trials = int(sys.argv[3]) if len(sys.argv) > 3 else 300
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 13
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    src = os.path.join(root, "producer", "nm_counts.c")
    REFS = c_literal(src, "nm_many_lua") + c_literal(src, "nm_story_refs_lua")
    RECS = c_literal(src, "nm_many_lua") + c_literal(src, "nm_story_recs_lua")
    r = Redis(port)
    rnd = random.Random(seed)
    ncand = 0
    for t in range(trials):
        same, want, got, n, nc = trial(r, rnd, kp, big=t % 50 == 49)
        if not same:
            print(f"trial {t}: replies differ (n={n}): oracle {len(want[1])//2} candidates, new {len(got[1])//2}")
            sys.exit(1)
        ncand += nc
    print(f"story lookup: {trials} random windows, replies equal to the oracle's ({ncand} candidates in all)")
