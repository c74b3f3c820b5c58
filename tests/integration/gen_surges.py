#!/usr/bin/env python3
"""gen_surges.py OUT_DIR [SEED]: a ten-day stream of articles for the surge test
(tests/integration/test_surge.sh), text written for this project.

published_at spreads over the 240 UTC hours before the current one. A steady
background (diplomacy, arms shipments, a few troop, missile and sanctions
stories, weather) never surges; planted bursts do, and quiet bursts must not:

  planted  P1  hour 100: 12 missile stories  -> weapon:kn23, weapon:kn23|arms_transfer
  quiet    Q1  hour  50: 4 missile stories   (below min_count)
  quiet    Q2  hour 130: 4 more arms stories (arms_transfer about doubles: below ratio)
  quiet    C1  hour 103: 8 missile stories   (ratio met, but 3 h after P1: cool-down)
  planted  P2  hour 170: 10 Kursk stories    -> place:kursk, troop_deployment,
                                                place:kursk|troop_deployment
  planted  P3  hour 190: 8 sanctions stories, sent LAST (late data for a past hour)
                                             -> sanctions_un, org:un_security_council
  quiet    S1  hour 150: 12 copies of ONE missile story (new ids and urls, the same
                         text): one story, not twelve (the rule counts stories)

Every article is its own story (a key sentence in one of three wordings and
six sentences of random everyday words), except the copies of S1.

Writes OUT_DIR/stream.jsonl (in published_at order), OUT_DIR/late.jsonl (P3)
and OUT_DIR/planted.txt ("kind key YYYYMMDDHH" lines). The defaults of the
rules' [surge] section (min_count 5, ratio 5, 72 h baseline, 6 h cool-down,
24 h history) are what the plan is built for; test_surge.sh checks the plan
against an independent evaluation of the rule over `newsmon tag` output."""
import json, os, random, sys, time

out = sys.argv[1]
rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 15)
HOURS = 240
now_hour = int(time.time()) // 3600
start = now_hour - HOURS

# per kind: a title and the key sentence in three wordings (what the tagger reads)
T = {
    "diplomacy": ("Russia and North Korea hold talks on trade and transport links", [
        "Officials from Russia and North Korea met in Moscow this week to discuss rail freight, "
        "fisheries and tourism.",
        "Delegations of Russia and North Korea gathered in Moscow to talk about fisheries, rail "
        "freight and tourism.",
        "In Moscow, Russia and North Korea held a round of talks on tourism, fisheries and rail "
        "freight."]),
    "shells": ("North Korea sends artillery shells to Russia, report says", [
        "North Korea has sent large numbers of artillery shells to Russia, a report said.",
        "A report said North Korea shipped large quantities of artillery shells to Russia.",
        "Large shipments of North Korean artillery shells have reached Russia, the report said."]),
    "kn23": ("North Korea shipped KN-23 ballistic missiles to Russia, officials say", [
        "North Korea has supplied KN-23 ballistic missiles to Russia for use at the front, "
        "officials said.",
        "Officials said North Korea delivered KN-23 ballistic missiles to Russia by rail.",
        "Russia has received KN-23 ballistic missiles supplied by North Korea, officials said."]),
    "kursk": ("North Korean troops deployed to Kursk region, officials say", [
        "North Korean soldiers have been deployed to the Kursk region of Russia to fight alongside "
        "Russian forces, officials said.",
        "Officials said thousands of North Korean troops arrived in the Kursk region of Russia to "
        "fight with Russian forces.",
        "Troops from North Korea were sent to Russia's Kursk region to fight beside Russian forces, "
        "officials said."]),
    "sanctions": ("UN panel reports new sanctions violations by North Korea and Russia", [
        "A United Nations panel said North Korea and Russia violated Security Council sanctions "
        "through arms deals.",
        "North Korea and Russia broke Security Council sanctions with arms deals, a United Nations "
        "panel said.",
        "Arms deals between North Korea and Russia violated Security Council sanctions, a United "
        "Nations panel reported."]),
    "weather": ("Rainy weekend expected across the region", [
        "Forecasters expect steady rain on Saturday and Sunday.",
        "Steady rain is expected on Saturday and Sunday, forecasters said.",
        "Forecasters said the weekend would bring steady rain."]),
}
# neutral sentences of random everyday words, none of them a rule term
# ("festival" and "bridge" are negative evidence and would sink a story of
# one key sentence); no two articles share a 4-word run
WORDS = ("apple bakery garden yellow window bicycle river market autumn violin teacher lemon "
         "harbour carpet pencil summer orange museum blanket village meadow candle teacup "
         "library coffee island ribbon pumpkin tulip kitchen saddle lantern forest teapot "
         "cherry theatre basket mountain puzzle umbrella cottage painter ladder orchard "
         "sunrise chimney pebble tractor notebook velvet harvest postcard cinnamon balcony").split()


def filler():
    return " ".join(rnd.choice(WORDS) for _ in range(12)).capitalize() + "."


n = 0


def article(kind, hour, body=None):
    global n
    n += 1
    title, key = T[kind]
    t = (start + hour) * 3600 + rnd.randrange(3600)
    if body is None:
        body = "\n".join([rnd.choice(key)] + [filler() for _ in range(6)])
    return {"id": f"surge-{kind}-{n:05d}", "lang": "en", "source": "newsmon-surge-test",
            "url": f"https://surge.newsmon.example/{kind}/{n}",
            "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)),
            "title": title, "body": body}


stream, late = [], []
for h in range(HOURS):
    batch = [article("diplomacy", h) for _ in range(3 + h % 3)]
    batch += [article("shells", h) for _ in range(3 + h % 2)]
    if h % 2 == 0:
        batch.append(article("kursk", h))
    if h % 6 == 3:
        batch.append(article("kn23", h))
    if h % 4 == 1:
        batch.append(article("sanctions", h))
    batch += [article("weather", h) for _ in range(1 + h % 2)]
    burst = {100: ("kn23", 12), 50: ("kn23", 4), 130: ("shells", 4), 103: ("kn23", 8),
             170: ("kursk", 10)}.get(h)
    if burst:
        batch += [article(burst[0], h) for _ in range(burst[1])]
    if h == 150:  # syndication: one story carried twelve times
        wire = article("kn23", h)
        batch += [wire] + [article("kn23", h, wire["body"]) for _ in range(11)]
    if h == 190:
        late = [article("sanctions", h) for _ in range(8)]
    rnd.shuffle(batch)
    stream += sorted(batch, key=lambda a: a["published_at"])

hour = lambda h: time.strftime("%Y%m%d%H", time.gmtime((start + h) * 3600))
planted = [("entity", "weapon:kn23", hour(100)), ("pair", "weapon:kn23|arms_transfer", hour(100)),
           ("entity", "place:kursk", hour(170)), ("topic", "troop_deployment", hour(170)),
           ("pair", "place:kursk|troop_deployment", hour(170)),
           ("topic", "sanctions_un", hour(190)), ("entity", "org:un_security_council", hour(190))]
os.makedirs(out, exist_ok=True)
for name, rows in (("stream.jsonl", stream), ("late.jsonl", late)):
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        for a in rows:
            f.write(json.dumps(a, ensure_ascii=False) + "\n")
with open(os.path.join(out, "planted.txt"), "w") as f:
    f.write("".join(f"{k} {key} {h}\n" for k, key, h in sorted(planted)))
