/* nm_counts.c - batched, idempotent count writes with one script call, the
 * recent-alerts stream, the reads, and Redis Cluster redirects. */
#include "nm_counts.h"

#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nm_bcache.h"
#include "nm_counts_surge.h"
#include "nm_decimal.h"
#include "nm_hash.h"
#include "nm_replyarena.h"
#include "nm_surge.h"

/* many(cmd, key, args): cmd [key] args..., in calls of at most 2000
 * arguments (Lua's unpack and redis.call take about 8000), the array
 * replies joined. Both scripts start with it. */
static const char nm_many_lua[] =
    "local function many(cmd, key, args)\n"
    "  local out = {}\n"
    "  for i = 1, #args, 2000 do\n"
    "    local j = math.min(i + 1999, #args)\n"
    "    local r = key and redis.call(cmd, key, unpack(args, i, j)) or redis.call(cmd, unpack(args, i, j))\n"
    "    if type(r) == 'table' then for _, v in ipairs(r) do out[#out + 1] = v end end\n"
    "  end\n"
    "  return out\n"
    "end\n";

/* KEYS: 1 stats, 2 entity:mentions, 3 entity:articles, 4 topic:articles,
 *   5 alerts:recent, 6 entity:stories, 7 topic:stories, 8 story:seq, then
 *   per distinct hour j (0-based) of the batch 9+5j entity:mentions:H,
 *   entity:articles:H, topic:articles:H, entity:stories:H, topic:stories:H,
 *   then one seen key per article, in article order, then the story keys
 *   the articles name by index (members sets, signature hashes, band keys),
 *   then the surge keys (nm_counts_surge.c).
 * ARGV: seen_ttl, hour_ttl, recent_alerts, n_hours, story_ttl, band_cap,
 *   n_indexed, sa (the ARGV index of the surge arguments), then per
 *   article: hour index, relevant(0/1), n_entities,
 *   n_topics, (entity, mentions)*, topic*, alert record ('' when none),
 *   story members key index (0: no story, and nothing more), then: id,
 *   decision (the seen value), signature hash key index (0: not indexed),
 *   its first article's hash key index, starts(0/1), alerted topics,
 *   record (first hour, signature, first article id), its day's band
 *   hash key index, n_bands, its band fields; then the surge arguments.
 * Returns {the number of articles counted for the first time, the surges
 * handed to the caller}. The script is nm_surge_lua, nm_csurge_lua,
 * nm_many_lua, then this. A story's members set is asked once per article
 * (SMISMEMBER of what the batch has not asked yet; SMISMEMBER and ZUNION
 * need Redis 6.2) and added to once per batch, before the EXPIREs: not one
 * SADD per member. */
static const char nm_counts_lua[] =
    "local seen_ttl, hour_ttl, recent = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "local story_ttl, cap, nidx = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])\n"
    "local inc, touched, bands = {}, {}, {}\n"
    "local function add(k, member, by)\n"
    "  local t = inc[k]; if not t then t = {}; inc[k] = t end\n"
    "  t[member] = (t[member] or 0) + by\n"
    "end\n"
    "local mem, madd = {}, {}\n"
    "local function distinct(key, q)\n"
    "  local m = mem[key]; if not m then m = {}; mem[key] = m; madd[key] = {} end\n"
    "  local ask = {}\n"
    "  for _, x in ipairs(q) do if m[x[1]] == nil then m[x[1]] = false; ask[#ask + 1] = x[1] end end\n"
    "  for j, r in ipairs(many('SMISMEMBER', key, ask)) do m[ask[j]] = r == 1 end\n"
    "  for _, x in ipairs(q) do\n"
    "    if not m[x[1]] then m[x[1]] = true; table.insert(madd[key], x[1]); add(x[2], x[3], 1) end\n"
    "  end\n"
    "end\n"
    "local function push(old, ref) -- ref in front of old's refs, cap refs kept\n"
    "  if not old then return ref end\n"
    "  local v, p = ref .. '\\n' .. old, 0\n"
    "  for _ = 1, cap do p = string.find(v, '\\n', p + 1, true); if not p then return v end end\n"
    "  return string.sub(v, 1, p - 1)\n"
    "end\n"
    "local seq = 0\n"
    "if nidx > 0 then seq = redis.call('INCRBY', KEYS[8], nidx) - nidx end\n"
    "local function story(s, sk)\n"
    "  touched[KEYS[sk]] = true\n"
    "  local bk, fk = tonumber(ARGV[s+2]), tonumber(ARGV[s+3])\n"
    "  if bk == 0 then return end\n"
    "  local rec = ARGV[s+6]\n"
    "  seq = seq + 1\n"
    "  redis.call('HSET', KEYS[bk], ARGV[s], string.format('%016x', seq) .. rec)\n"
    "  local ref, dk = string.sub(KEYS[bk], -10) .. ARGV[s], KEYS[tonumber(ARGV[s+7])]\n"
    "  local nb, t = tonumber(ARGV[s+8]), bands[dk]\n"
    "  if not t then t = {}; bands[dk] = t end\n"
    "  local miss = {}\n"
    "  for b = s + 9, s + 8 + nb do if t[ARGV[b]] == nil then miss[#miss + 1] = ARGV[b] end end\n"
    "  if #miss > 0 then\n"
    "    local old = redis.call('HMGET', dk, unpack(miss))\n"
    "    for j, f in ipairs(miss) do t[f] = old[j] end -- false: none yet\n"
    "  end\n"
    "  for b = s + 9, s + 8 + nb do t[ARGV[b]] = push(t[ARGV[b]], ref) end\n"
    "  touched[dk] = true\n"
    "  local f = '!' .. string.sub(rec, 143)\n"
    "  if ARGV[s+4] == '1' then redis.call('HSETNX', KEYS[fk], f, ',') end\n"
    "  local alerted = ARGV[s+5]\n"
    "  local cur = alerted ~= '' and redis.call('HGET', KEYS[fk], f)\n"
    "  if cur then\n"
    "    for t in string.gmatch(alerted, '[^,]+') do\n"
    "      if not string.find(cur, ',' .. t .. ',', 1, true) then cur = cur .. t .. ',' end\n"
    "    end\n"
    "    redis.call('HSET', KEYS[fk], f, cur)\n"
    "  end\n"
    "  touched[KEYS[bk]] = true; touched[KEYS[fk]] = true\n"
    "end\n"
    "local i, seen, new, rel = 9, 8 + 5 * tonumber(ARGV[4]), 0, 0\n"
    "local sa, seen0, fresh = tonumber(ARGV[8]), seen, {}\n"
    "while i < sa do\n"
    "  local h, r = 9 + 5 * tonumber(ARGV[i]), ARGV[i+1]\n"
    "  local ne, nt = tonumber(ARGV[i+2]), tonumber(ARGV[i+3])\n"
    "  i = i + 4\n"
    "  local al, sk = ARGV[i+2*ne+nt], tonumber(ARGV[i+2*ne+nt+1])\n"
    "  local s = i + 2*ne + nt + 2\n"
    "  seen = seen + 1\n"
    "  if redis.call('SET', KEYS[seen], sk > 0 and ARGV[s+1] or '1', 'NX', 'EX', seen_ttl) then\n"
    "    new = new + 1\n"
    "    fresh[seen] = sk -- the members key of its story (0: none)\n"
    "    if r == '1' then rel = rel + 1 end\n"
    "    local hh, q = string.sub(KEYS[h], -10), sk > 0 and {}\n"
    "    for k = 0, ne - 1 do\n"
    "      local e, m = ARGV[i+2*k], tonumber(ARGV[i+2*k+1])\n"
    "      add(2, e, m); add(h, e, m); add(3, e, 1); add(h + 1, e, 1)\n"
    "      if sk > 0 then q[#q + 1] = {'e' .. e, 6, e}; q[#q + 1] = {hh .. 'e' .. e, h + 3, e} end\n"
    "    end\n"
    "    for k = 0, nt - 1 do\n"
    "      local t = ARGV[i+2*ne+k]\n"
    "      add(4, t, 1); add(h + 2, t, 1)\n"
    "      if sk > 0 then q[#q + 1] = {'t' .. t, 7, t}; q[#q + 1] = {hh .. 't' .. t, h + 4, t} end\n"
    "    end\n"
    "    if sk > 0 then distinct(KEYS[sk], q) end\n"
    "    if al ~= '' and recent > 0 then\n"
    "      redis.call('XADD', KEYS[5], 'MAXLEN', '~', recent, '*', 'alert', al)\n"
    "    end\n"
    "    if sk > 0 then story(s, sk) end\n"
    "  end\n"
    "  i = sk > 0 and s + 9 + tonumber(ARGV[s+8]) or s\n"
    "end\n"
    "for k, t in pairs(inc) do\n"
    "  for member, by in pairs(t) do redis.call('ZINCRBY', KEYS[k], by, member) end\n"
    "  if k > 8 then redis.call('EXPIRE', KEYS[k], hour_ttl) end\n"
    "end\n"
    "for dk, t in pairs(bands) do\n"
    "  local set = {}\n"
    "  for f, v in pairs(t) do\n"
    "    set[#set + 1] = f; set[#set + 1] = v\n"
    "    if #set >= 2000 then redis.call('HSET', dk, unpack(set)); set = {} end\n"
    "  end\n"
    "  if #set > 0 then redis.call('HSET', dk, unpack(set)) end\n"
    "end\n"
    "for key, l in pairs(madd) do many('SADD', key, l) end\n"
    "for key in pairs(touched) do redis.call('EXPIRE', key, story_ttl) end\n"
    "if new > 0 then redis.call('HINCRBY', KEYS[1], 'articles', new) end\n"
    "if rel > 0 then redis.call('HINCRBY', KEYS[1], 'relevant', rel) end\n"
    "local surged = surge_eval(fresh, seen0, sa, hour_ttl)\n"
    "return {new, surged}\n";

/* The story lookup, first call (reads only): the band values. KEYS: the
 * signature hashes of the window's hours, the band hashes of its days,
 * then per article its seen key. ARGV: n_hours, n_days, n_fields, then the
 * batch's distinct band fields. Returns {decisions, live, then per day the
 * fields' values}: per article its seen value (nil when not seen); per hour
 * '1' when its signature hash exists, else '0'; per field its refs (hour,
 * article id, one per line) or nil. The client splits the values into the
 * distinct refs in the order its articles, their days and their fields
 * name them (C does that at a fraction of what Lua's strings cost: it was
 * most of this script's time). The records are not read here: a record
 * never changes once written (the counts script writes it with the
 * article's bands, in one hash per hour that only expires or is evicted
 * whole), so the client keeps the ones it has read (nm_bcache) and the
 * second call (nm_story_recs_lua) reads only the others, with the
 * stories' "!" fields. The script is nm_many_lua, then this. */
static const char nm_story_refs_lua[] =
    "local nw, nd, nf = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "local live, seen, fields = {}, {}, {}\n"
    "for w = 1, nw do live[w] = redis.call('EXISTS', KEYS[w]) == 1 and '1' or '0' end\n"
    "for k = nw + nd + 1, #KEYS do seen[#seen + 1] = KEYS[k] end\n"
    "local dec = many('MGET', nil, seen)\n"
    "for f = 1, nf do fields[f] = ARGV[3 + f] end\n"
    "local out = {dec, table.concat(live)}\n"
    "for day = nw + 1, nw + nd do out[#out + 1] = many('HMGET', KEYS[day], fields) end\n"
    "return out\n";

/* The story lookup, second call (reads only): records and stories. KEYS:
 * the signature hashes of the window's hours. ARGV: n_hours, n_refs, the
 * refs whose records the client does not have, then the stories whose "!"
 * field it wants (first hour, first article id). Returns {records,
 * stories}: per ref its record ('' when there is none); per story asked
 * its alerted topics, then per ref its record's story's ('' when the
 * record or the story is not there, or its first hour is not in the
 * window). One HMGET per hour of the records, then one per hour of the
 * "!" fields. The script is nm_many_lua, then this. */
static const char nm_story_recs_lua[] =
    "local nw, nr = tonumber(ARGV[1]), tonumber(ARGV[2])\n"
    "local function group(t, key, item)\n"
    "  local g = t[key]; if not g then g = {list = {}, at = {}}; t[key] = g end\n"
    "  local at = g.at[item]\n"
    "  if not at then at = #g.list + 1; g.list[at] = item; g.at[item] = at end\n"
    "  return at\n"
    "end\n"
    "local bucket = {}\n"
    "for w = 1, nw do bucket[string.sub(KEYS[w], -10)] = KEYS[w] end\n"
    "local ids, tk, ti, got = {}, {}, {}, {}\n"
    "for j = 1, nr do\n"
    "  local ref = ARGV[2 + j]\n"
    "  local key = bucket[string.sub(ref, 1, 10)]\n"
    "  if key then tk[j] = key; ti[j] = group(ids, key, string.sub(ref, 11)) end\n"
    "end\n"
    "for key, g in pairs(ids) do got[key] = many('HMGET', key, g.list) end\n"
    "local ns, stf, sk, sj, recs = #ARGV - 2 - nr, {}, {}, {}, {}\n"
    "for s = 1, ns do\n"
    "  local f = ARGV[2 + nr + s]\n"
    "  local key = bucket[string.sub(f, 1, 10)]\n"
    "  if key then sk[s] = key; sj[s] = group(stf, key, '!' .. string.sub(f, 11)) end\n"
    "end\n"
    "for j = 1, nr do\n"
    "  local rec = tk[j] and got[tk[j]][ti[j]]\n"
    "  recs[j] = rec or ''\n"
    "  local fkey = rec and bucket[string.sub(rec, 17, 26)]\n"
    "  if fkey then sk[ns + j] = fkey; sj[ns + j] = group(stf, fkey, '!' .. string.sub(rec, 159)) end\n"
    "end\n"
    "local vals, sts = {}, {}\n"
    "for key, g in pairs(stf) do vals[key] = many('HMGET', key, g.list) end\n"
    "for s = 1, ns + nr do sts[s] = sk[s] and vals[sk[s]][sj[s]] or '' end\n"
    "return {recs, sts}\n";

enum { NM_SCRIPT_COUNTS = 1, NM_SCRIPT_REFS = 2, NM_SCRIPT_RECS = 3 }; /* nm_counts_call's `evalsha` */
#define NM_SIG_BYTES (4 * (1 + NM_STORY_BINS)) /* shingles, then the bins, u32 LE */

/* The fixed keys, in KEYS order. */
enum { K_STATS, K_ENT_MENTIONS, K_ENT_ARTICLES, K_TOPIC_ARTICLES, K_ALERTS, K_ENT_STORIES,
       K_TOPIC_STORIES, K_STORY_SEQ, K_FIXED };
static const char *const nm_fixed_names[K_FIXED] = {
    "stats", "entity:mentions", "entity:articles", "topic:articles", "alerts:recent",
    "entity:stories", "topic:stories", "story:seq"};
/* per hour, in KEYS order (the names of the all-time zsets) */
#define NM_HOUR_KEYS 5
static const int nm_hour_keys[NM_HOUR_KEYS] = {K_ENT_MENTIONS, K_ENT_ARTICLES, K_TOPIC_ARTICLES,
                                               K_ENT_STORIES, K_TOPIC_STORIES};

#define NM_REDIRECTS 5 /* MOVED/ASK hops per call before giving up */

typedef struct {
    char *host;
    int port;
} nm_node_t;

struct nm_counts_s {
    redisContext *rc;
    int loaded;      /* the scripts are loaded on rc's server */
    char sha[3][41]; /* the scripts' SHA-1 (counts, refs, recs), the same on every server */
    nm_node_t seed;   /* the configured address */
    nm_node_t target; /* the server believed to own the slot */
    nm_node_t *nodes; /* cluster nodes learned with CLUSTER NODES */
    size_t nnodes;
    char *user, *password, *configured, *prefix;
    char *fixed[K_FIXED];
    int legacy_checked;
    long timeout_ms, seen_ttl, hour_ttl, recent_alerts, wait_replicas, story_window;
    int stories; /* [stories] enabled (what the surge rule and the movers count) */
    /* reusable per-batch arrays */
    const char **argv;
    size_t *argvlen;
    size_t capargs;
    char *buf; /* key names and decimal numbers referenced by argv */
    size_t capbuf;
    int *hour_of; /* per item: index of its hour; then per hour: its first item */
    size_t caphour;
    char *resp; /* the command in the protocol's form (nm_counts_command) */
    size_t capresp;
    char *script; /* nm_surge_lua + nm_csurge_lua + nm_many_lua + nm_counts_lua */
    char *refs;   /* nm_many_lua + nm_story_refs_lua */
    char *recs;   /* nm_many_lua + nm_story_recs_lua */
    nm_bcache_t *records; /* story records read (NM_COUNTS_RECORD_CACHE; stories on only) */
    nm_replyarena_t *arena; /* the story lookup's replies (stories on only) */
    int in_arena;           /* replies are built in `arena` (during a lookup) */
    nm_csurge_t *surge;
};

/* "nm:" -> "{nm}:", "a{b}c" stays (it holds a hash tag), "" -> "{nm}". */
static char *nm_counts_make_prefix(const char *p) {
    const char *o = strchr(p, '{');
    const char *e = o ? strchr(o + 1, '}') : NULL;
    if (e && e > o + 1) return strdup(p);
    size_t n = strlen(p), colon = n && p[n - 1] == ':';
    const char *base = n > colon ? p : "nm";
    size_t bn = n > colon ? n - colon : 2;
    char *out = malloc(bn + 4);
    if (out) snprintf(out, bn + 4, "{%.*s}%s", (int)bn, base, colon ? ":" : "");
    return out;
}

static char *nm_cat(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);
    if (!s) return NULL;
    memcpy(s, a, la);
    memcpy(s + la, b, lb + 1);
    return s;
}

nm_counts_t *nm_counts_new(const nm_config_t *cfg) {
    nm_counts_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->seed.host = strdup(cfg->redis_host);
    c->seed.port = (int)cfg->redis_port;
    c->target.host = strdup(cfg->redis_host);
    c->target.port = (int)cfg->redis_port;
    c->user = strdup(cfg->redis_user);
    c->password = strdup(cfg->redis_password);
    c->configured = strdup(cfg->redis_prefix);
    c->prefix = nm_counts_make_prefix(cfg->redis_prefix);
    c->timeout_ms = cfg->redis_timeout_ms;
    c->seen_ttl = cfg->redis_seen_ttl_s;
    c->hour_ttl = cfg->redis_hour_ttl_s;
    c->recent_alerts = cfg->redis_recent_alerts;
    c->wait_replicas = cfg->redis_wait_replicas;
    c->story_window = cfg->stories_window_s;
    c->stories = cfg->stories_enabled;
    int ok = c->seed.host && c->target.host && c->user && c->password && c->configured &&
             c->prefix;
    for (int k = 0; ok && k < K_FIXED; k++) ok = (c->fixed[k] = nm_cat(c->prefix, nm_fixed_names[k])) != NULL;
    char *lua = ok ? nm_cat(nm_surge_lua, nm_csurge_lua) : NULL;
    char *lua2 = lua ? nm_cat(lua, nm_many_lua) : NULL;
    ok = ok && lua2 && (c->script = nm_cat(lua2, nm_counts_lua)) != NULL &&
         (c->refs = nm_cat(nm_many_lua, nm_story_refs_lua)) != NULL &&
         (c->recs = nm_cat(nm_many_lua, nm_story_recs_lua)) != NULL &&
         (!c->stories || (c->records = nm_bcache_new(NM_COUNTS_RECORD_CACHE)) != NULL) &&
         (c->surge = nm_csurge_new(cfg, c->prefix)) != NULL;
    free(lua);
    free(lua2);
    if (!ok) {
        nm_counts_destroy(c);
        return NULL;
    }
    return c;
}

const char *nm_counts_prefix(const nm_counts_t *c) { return c->prefix; }

static void nm_counts_drop(nm_counts_t *c) {
    if (c->rc) redisFree(c->rc);
    c->rc = NULL;
    c->loaded = 0;
}

/* Text of an error reply (freed) or of the dead context (dropped: hiredis
 * cannot reuse a context after an I/O error). */
static nm_err_t nm_counts_fail(nm_counts_t *c, redisReply *r, const char *what, char *errstr,
                               size_t errstr_size) {
    if (r) {
        nm_seterr(errstr, errstr_size, NM_ERR_REDIS, "%s: %.*s", what, (int)r->len,
                  r->str ? r->str : "unexpected reply");
        nm_replyarena_free(c->arena, r);
    } else {
        nm_seterr(errstr, errstr_size, NM_ERR_REDIS, "%s: %s", what,
                  c->rc && c->rc->errstr[0] ? c->rc->errstr : "not connected");
        nm_counts_drop(c);
    }
    return NM_ERR_REDIS;
}

static int nm_set_node(nm_node_t *n, const char *host, size_t hlen, int port) {
    char *h = strndup(host, hlen);
    if (!h) return -1;
    free(n->host);
    n->host = h;
    n->port = port;
    return 0;
}

/* "host:port" (the last ':' splits, for IPv6) into *n. */
static int nm_parse_addr(const char *s, size_t len, nm_node_t *n) {
    const char *colon = NULL;
    for (size_t i = 0; i < len; i++)
        if (s[i] == ':') colon = s + i;
    if (!colon || colon == s) return -1;
    int port = atoi(colon + 1);
    if (port <= 0 || port > 65535) return -1;
    return nm_set_node(n, s, (size_t)(colon - s), port);
}

/* A connected, authenticated context, or NULL with errstr set. The
 * password is never echoed: errors only say AUTH failed. */
static redisContext *nm_counts_open(nm_counts_t *c, const nm_node_t *n, char *errstr,
                                    size_t errstr_size) {
    struct timeval tv = {c->timeout_ms / 1000, (c->timeout_ms % 1000) * 1000};
    redisContext *rc = redisConnectWithTimeout(n->host, n->port, tv);
    if (!rc || rc->err) {
        nm_seterr(errstr, errstr_size, NM_ERR_REDIS, "connect %s:%d: %s", n->host, n->port,
                  rc ? rc->errstr : "out of memory");
        if (rc) redisFree(rc);
        return NULL;
    }
    redisSetTimeout(rc, tv);
    if (c->password[0]) {
        redisReply *r = c->user[0] ? redisCommand(rc, "AUTH %s %s", c->user, c->password)
                                   : redisCommand(rc, "AUTH %s", c->password);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            nm_seterr(errstr, errstr_size, NM_ERR_REDIS, "AUTH %s:%d: %s", n->host, n->port,
                      r ? r->str : rc->errstr);
            if (r) nm_replyarena_free(c->arena, r);
            redisFree(rc);
            return NULL;
        }
        nm_replyarena_free(c->arena, r);
    }
    return rc;
}

/* On a cluster, remember every node's address (CLUSTER NODES lines are
 * "<id> <ip:port@cport[,hostname]> <flags> ..."); on a single Redis the
 * command fails and the list stays empty. */
static void nm_counts_learn_nodes(nm_counts_t *c) {
    redisReply *r = redisCommand(c->rc, "CLUSTER NODES");
    if (!r) return;
    if (r->type == REDIS_REPLY_STRING) {
        size_t n = 0;
        for (size_t i = 0; i < r->len; i++) n += r->str[i] == '\n';
        nm_node_t *nodes = calloc(n + 1, sizeof *nodes);
        size_t k = 0;
        for (const char *line = r->str; nodes && line && *line && k <= n;) {
            const char *sp = strchr(line, ' ');
            const char *nl = strchr(line, '\n');
            if (sp && (!nl || sp < nl)) {
                const char *a = sp + 1;
                size_t alen = strcspn(a, "@, \n");
                if (nm_parse_addr(a, alen, &nodes[k]) == 0) k++;
            }
            line = nl ? nl + 1 : NULL;
        }
        if (nodes && k) {
            for (size_t i = 0; i < c->nnodes; i++) free(c->nodes[i].host);
            free(c->nodes);
            c->nodes = nodes;
            c->nnodes = k;
        } else {
            free(nodes);
        }
    }
    nm_replyarena_free(c->arena, r);
}

/* An existing deployment with a prefix without hash tag kept its counts
 * under the unbraced names: say how to move them (once). */
static void nm_counts_check_legacy(nm_counts_t *c) {
    c->legacy_checked = 1;
    if (strchr(c->configured, '{')) return;
    redisReply *r = redisCommand(c->rc, "EXISTS %sstats", c->configured);
    if (r && r->type == REDIS_REPLY_INTEGER && r->integer > 0)
        NM_LOG(NM_LOG_WARN, "counts",
               "keys %s* are from an older newsmon; counts now go to %s* (a Redis Cluster hash "
               "tag). To keep the old counts, rename each key %s<rest> to %s<rest> (README, "
               "\"Redis keys\")",
               c->configured, c->prefix, c->configured, c->prefix);
    if (r) nm_replyarena_free(c->arena, r);
}

static nm_err_t nm_counts_load_script(nm_counts_t *c, redisContext *rc, char *errstr,
                                      size_t errstr_size) {
    const char *const lua[3] = {c->script, c->refs, c->recs};
    for (int k = 0; k < 3; k++) {
        redisReply *r = redisCommand(rc, "SCRIPT LOAD %s", lua[k]);
        if (!r || r->type != REDIS_REPLY_STRING || r->len != 40) {
            if (rc != c->rc) {
                nm_seterr(errstr, errstr_size, NM_ERR_REDIS, "SCRIPT LOAD: %s",
                          r && r->str ? r->str : rc->errstr);
                if (r) nm_replyarena_free(c->arena, r);
                return NM_ERR_REDIS;
            }
            return nm_counts_fail(c, r, "SCRIPT LOAD", errstr, errstr_size);
        }
        memcpy(c->sha[k], r->str, 40);
        c->sha[k][40] = '\0';
        nm_replyarena_free(c->arena, r);
    }
    if (rc == c->rc) c->loaded = 1;
    return NM_OK;
}

/* Connect to the slot's owner as far as known: the target, else the
 * configured address, else any learned cluster node (after a failover the
 * old master is gone; a live node redirects to the new one). */
static nm_err_t nm_counts_connect(nm_counts_t *c, char *errstr, size_t errstr_size) {
    if (c->rc && c->loaded) return NM_OK;
    if (!c->rc) {
        const nm_node_t *tried = &c->target;
        c->rc = nm_counts_open(c, &c->target, errstr, errstr_size);
        for (size_t i = 0; !c->rc && i <= c->nnodes; i++) {
            tried = i == 0 ? &c->seed : &c->nodes[i - 1];
            if (!strcmp(tried->host, c->target.host) && tried->port == c->target.port) continue;
            char e2[256];
            c->rc = nm_counts_open(c, tried, e2, sizeof e2);
        }
        if (!c->rc) return NM_ERR_REDIS; /* errstr: the target's failure */
        if (tried != &c->target && nm_set_node(&c->target, tried->host, strlen(tried->host),
                                               tried->port)) {
            nm_counts_drop(c);
            return nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
        }
        nm_counts_learn_nodes(c);
        if (!c->legacy_checked) nm_counts_check_legacy(c);
    }
    return nm_counts_load_script(c, c->rc, errstr, errstr_size);
}

int nm_counts_ready(nm_counts_t *c) {
    char e[256];
    return nm_counts_connect(c, e, sizeof e) == NM_OK;
}

static int nm_is_err(const redisReply *r, const char *code) {
    size_t n = strlen(code);
    return r && r->type == REDIS_REPLY_ERROR && r->len > n && !strncmp(r->str, code, n) &&
           r->str[n] == ' ';
}

/* "MOVED <slot> <host:port>" / "ASK <slot> <host:port>" into *n. */
static int nm_redirect_addr(const redisReply *r, nm_node_t *n) {
    const char *a = strrchr(r->str, ' ');
    return a ? nm_parse_addr(a + 1, strlen(a + 1), n) : -1;
}

/* "<mark><n>\r\n" at p; returns the end. */
static char *nm_resp_head(char *p, char mark, size_t n) {
    char d[24], *e = d + sizeof d, *b = nm_decimal_end(e, n);
    *p++ = mark;
    memcpy(p, b, (size_t)(e - b));
    p += e - b;
    *p++ = '\r';
    *p++ = '\n';
    return p;
}

/* redisCommandArgv, with the command written here into c->resp: hiredis
 * writes each argument's header with its own printf (sdscatfmt), which
 * cost a batch's command more than building it (about 17 K instructions
 * per article in a replay, bench/RESULTS.md). Returns the reply (caller
 * frees), or NULL with rc->err set (or on OOM, from redisCommandArgv). */
static redisReply *nm_counts_command(nm_counts_t *c, redisContext *rc, int argc,
                                     const char **argv, const size_t *argvlen) {
    size_t need = 16; /* "*<argc>\r\n" */
    for (int i = 0; i < argc; i++) need += argvlen[i] + 26; /* "$<len>\r\n" <arg> "\r\n" */
    if (need > c->capresp) {
        char *nb = realloc(c->resp, need);
        if (!nb) return redisCommandArgv(rc, argc, argv, argvlen);
        c->resp = nb;
        c->capresp = need;
    }
    char *p = nm_resp_head(c->resp, '*', (size_t)argc);
    for (int i = 0; i < argc; i++) {
        p = nm_resp_head(p, '$', argvlen[i]);
        memcpy(p, argv[i], argvlen[i]);
        p += argvlen[i];
        *p++ = '\r';
        *p++ = '\n';
    }
    void *r = NULL;
    if (redisAppendFormattedCommand(rc, c->resp, (size_t)(p - c->resp)) != REDIS_OK ||
        nm_replyarena_read(c->in_arena ? c->arena : NULL, rc, &r) != REDIS_OK)
        return NULL;
    return r;
}

/* The command once on the node an ASK reply names (the slot is migrating
 * there): ASKING, then the command; the script is loaded there if missing.
 * Returns the reply (never an error reply) or NULL with errstr set. */
static redisReply *nm_counts_ask(nm_counts_t *c, const nm_node_t *to, int argc,
                                 const char **argv, const size_t *argvlen, int evalsha,
                                 char *errstr, size_t errstr_size) {
    redisContext *ask = nm_counts_open(c, to, errstr, errstr_size);
    if (!ask) return NULL;
    redisReply *r = NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        redisReply *ok = redisCommand(ask, "ASKING");
        if (ok) nm_replyarena_free(c->arena, ok);
        r = nm_counts_command(c, ask, argc, argv, argvlen);
        if (!evalsha || !r || r->type != REDIS_REPLY_ERROR || strncmp(r->str, "NOSCRIPT", 8))
            break;
        nm_replyarena_free(c->arena, r);
        r = NULL;
        if (nm_counts_load_script(c, ask, errstr, errstr_size)) break;
    }
    if (r && r->type == REDIS_REPLY_ERROR) {
        nm_seterr(errstr, errstr_size, NM_ERR_REDIS, "%s (ASK %s:%d): %s", argv[0], to->host,
                  to->port, r->str);
        nm_replyarena_free(c->arena, r);
        r = NULL;
    } else if (!r && ask->err) {
        nm_seterr(errstr, errstr_size, NM_ERR_REDIS, "%s (ASK %s:%d): %s", argv[0], to->host,
                  to->port, ask->errstr);
    }
    redisFree(ask);
    return r;
}

/* Send one command to the owner of the slot: follows MOVED (the slot has
 * a new owner: reconnect there) and ASK (it is migrating: ASKING, then the
 * command, on the other node once), and reloads the scripts after NOSCRIPT.
 * argv[1] is replaced by a script's SHA when `evalsha` (NM_SCRIPT_*). Returns the
 * reply (caller frees; never an error reply), or NULL with errstr set. */
static redisReply *nm_counts_call(nm_counts_t *c, int argc, const char **argv,
                                  const size_t *argvlen, int evalsha, char *errstr,
                                  size_t errstr_size) {
    int noscript = 0;
    for (int hop = 0; hop <= NM_REDIRECTS; hop++) {
        if (nm_counts_connect(c, errstr, errstr_size)) return NULL;
        if (evalsha) argv[1] = c->sha[evalsha - 1];
        redisReply *r = nm_counts_command(c, c->rc, argc, argv, argvlen);
        if (!r) {
            nm_counts_fail(c, NULL, argv[0], errstr, errstr_size);
            return NULL;
        }
        if (r->type != REDIS_REPLY_ERROR) return r;
        if (nm_is_err(r, "MOVED")) {
            /* logged when the owner changes, not on every hop of a failover */
            int port = c->target.port;
            char host[256];
            snprintf(host, sizeof host, "%s", c->target.host);
            int bad = nm_redirect_addr(r, &c->target);
            if (!bad && (port != c->target.port || strcmp(host, c->target.host)))
                NM_LOG(NM_LOG_INFO, "counts", "%s: the slot's owner is now %s:%d", r->str,
                       c->target.host, c->target.port);
            nm_replyarena_free(c->arena, r);
            nm_counts_drop(c);
            if (bad) {
                nm_seterr(errstr, errstr_size, NM_ERR_REDIS, "bad MOVED reply");
                return NULL;
            }
            continue;
        }
        if (nm_is_err(r, "ASK")) {
            nm_node_t to = {0};
            int bad = nm_redirect_addr(r, &to);
            nm_replyarena_free(c->arena, r);
            r = bad ? NULL : nm_counts_ask(c, &to, argc, argv, argvlen, evalsha, errstr,
                                           errstr_size);
            if (bad) nm_seterr(errstr, errstr_size, NM_ERR_REDIS, "bad ASK reply");
            free(to.host);
            return r;
        }
        if (evalsha && !strncmp(r->str, "NOSCRIPT", 8) && !noscript++) {
            /* a restarted Redis (or a new master) does not have it: load it */
            nm_replyarena_free(c->arena, r);
            c->loaded = 0;
            continue;
        }
        nm_counts_fail(c, r, argv[0], errstr, errstr_size);
        return NULL;
    }
    nm_seterr(errstr, errstr_size, NM_ERR_REDIS, "%s: more than %d redirects", argv[0],
              NM_REDIRECTS);
    return NULL;
}

static int nm_counts_reserve(nm_counts_t *c, size_t nargs, size_t nbytes, size_t nitems) {
    if (nargs > c->capargs) {
        const char **a = realloc(c->argv, nargs * sizeof *a);
        if (!a) return -1;
        c->argv = a;
        size_t *l = realloc(c->argvlen, nargs * sizeof *l);
        if (!l) return -1;
        c->argvlen = l;
        c->capargs = nargs;
    }
    if (nbytes > c->capbuf) {
        char *nb = realloc(c->buf, nbytes);
        if (!nb) return -1;
        c->buf = nb;
        c->capbuf = nbytes;
    }
    if (nitems > c->caphour) {
        int *h = realloc(c->hour_of, 2 * nitems * sizeof *h);
        if (!h) return -1;
        c->hour_of = h;
        c->caphour = nitems;
    }
    return 0;
}

/* Argument writer over the reserved arrays. */
typedef struct {
    nm_counts_t *c;
    size_t k;  /* next argv index */
    char *buf; /* next free byte of c->buf */
} nm_args_t;

static void nm_arg(nm_args_t *a, const char *s, size_t len) {
    a->c->argv[a->k] = s;
    a->c->argvlen[a->k++] = len;
}

/* A number argument (the most frequent kind: counts, key indexes). */
static void nm_argn(nm_args_t *a, long long v) {
    char d[24], *e = d + sizeof d, *b = nm_decimal_signed_end(e, v);
    size_t w = (size_t)(e - b);
    memcpy(a->buf, b, w);
    a->buf[w] = '\0';
    nm_arg(a, a->buf, w);
    a->buf += w + 1;
}

/* The key <prefix><mid> and the first tl bytes of tail (the caller
 * reserved the room, with a NUL). */
static void nm_argkey(nm_args_t *a, const char *mid, const char *tail, size_t tl) {
    size_t pl = strlen(a->c->prefix), ml = strlen(mid);
    char *p = a->buf;
    memcpy(p, a->c->prefix, pl);
    memcpy(p + pl, mid, ml);
    memcpy(p + pl + ml, tail, tl);
    p[pl + ml + tl] = '\0';
    nm_arg(a, p, pl + ml + tl);
    a->buf += pl + ml + tl + 1;
}

/* printf-formatted argument written into the buffer */
static void nm_argf(nm_args_t *a, size_t room, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void nm_argf(nm_args_t *a, size_t room, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(a->buf, room, fmt, ap);
    va_end(ap);
    nm_arg(a, a->buf, (size_t)w);
    a->buf += w + 1;
}

/* The master acknowledged the batch; a failover before it replicated
 * would lose it: wait until wait_replicas replicas have it, or as many as
 * are connected (a master just promoted after a failover has none yet, and
 * nobody to lose the batch to). A retry of the batch is harmless, and its
 * WAIT covers the earlier write too. */
static nm_err_t nm_counts_wait(nm_counts_t *c, char *errstr, size_t errstr_size) {
    redisReply *r = redisCommand(c->rc, "WAIT %ld %ld", c->wait_replicas, c->timeout_ms / 2);
    if (!r || r->type != REDIS_REPLY_INTEGER)
        return nm_counts_fail(c, r, "WAIT", errstr, errstr_size);
    long long acked = r->integer;
    nm_replyarena_free(c->arena, r);
    if (acked >= c->wait_replicas) return NM_OK;
    r = redisCommand(c->rc, "ROLE"); /* master: ["master", offset, [replicas]] */
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 3)
        return nm_counts_fail(c, r, "ROLE", errstr, errstr_size);
    long long connected =
        r->element[2]->type == REDIS_REPLY_ARRAY ? (long long)r->element[2]->elements : 0;
    nm_replyarena_free(c->arena, r);
    if (acked >= connected) return NM_OK;
    return nm_seterr(errstr, errstr_size, NM_ERR_REDIS,
                     "WAIT: %lld of %lld connected replica(s) have the batch", acked, connected);
}

void nm_counts_set_rules(nm_counts_t *c, const nm_rules_t *rules) {
    nm_csurge_set_rules(c->surge, rules);
}

size_t nm_counts_surges(const nm_counts_t *c, const nm_counts_surge_t **out) {
    return nm_csurge_claimed(c->surge, out);
}

nm_err_t nm_counts_surge_done(nm_counts_t *c, const char *id) {
    return nm_csurge_done(c->surge, id) ? NM_ERR_NOMEM : NM_OK;
}

static nm_err_t nm_counts_run(nm_counts_t *c, const nm_counts_item_t *items, size_t n,
                              long long *newly, char *errstr, size_t errstr_size);

nm_err_t nm_counts_surge_tick(nm_counts_t *c, char *errstr, size_t errstr_size) {
    return nm_counts_run(c, NULL, 0, NULL, errstr, errstr_size);
}

/* The bins an article's band keys are for: the first NM_STORY_BANDS that
 * are not empty. Returns how many, their numbers in bins[]. */
static int nm_bands(const nm_story_sig_t *sig, int bins[NM_STORY_BANDS]) {
    int nb = 0;
    for (int b = 0; b < NM_STORY_BANDS && sig->shingles; b++)
        if (sig->min[b] != NM_STORY_EMPTY) bins[nb++] = b;
    return nb;
}

int nm_counts_indexed(const nm_story_sig_t *sig) {
    int bins[NM_STORY_BANDS];
    return nm_bands(sig, bins) > 0;
}

/* The field of bin b's value v in a band hash: the bin (hex digit), the value. */
static void nm_band_field_of(nm_args_t *a, int b, uint32_t v) {
    static const char hex[] = "0123456789abcdef";
    char *p = a->buf;
    p[0] = hex[b & 15];
    for (int k = 0; k < 8; k++) p[1 + k] = hex[v >> (28 - 4 * k) & 15];
    p[9] = '\0';
    nm_arg(a, p, 9);
    a->buf += 10;
}

static void nm_band_field(nm_args_t *a, const nm_story_sig_t *sig, int b) {
    nm_band_field_of(a, b, sig->min[b]);
}

/* shingles, then the bins, u32 little-endian: the same bytes on any host */
static void nm_sig_pack(const nm_story_sig_t *sig, unsigned char out[NM_SIG_BYTES]) {
    for (int k = 0; k <= NM_STORY_BINS; k++) {
        uint32_t v = k ? sig->min[k - 1] : sig->shingles;
        for (int j = 0; j < 4; j++) out[4 * k + j] = (unsigned char)(v >> (8 * j));
    }
}

static void nm_sig_unpack(const unsigned char *in, nm_story_sig_t *sig) {
    for (int k = 0; k <= NM_STORY_BINS; k++) {
        uint32_t v = 0;
        for (int j = 0; j < 4; j++) v |= (uint32_t)in[4 * k + j] << (8 * j);
        if (k) sig->min[k - 1] = v;
        else sig->shingles = v;
    }
}

nm_err_t nm_counts_apply(nm_counts_t *c, const nm_counts_item_t *items, size_t n,
                         long long *newly, char *errstr, size_t errstr_size) {
    if (newly) *newly = 0;
    /* without articles, only surge reports to record */
    if (n == 0 && !nm_csurge_ndone(c->surge)) {
        nm_csurge_forget(c->surge);
        return NM_OK;
    }
    return nm_counts_run(c, items, n, newly, errstr, errstr_size);
}

static nm_err_t nm_counts_run(nm_counts_t *c, const nm_counts_item_t *items, size_t n,
                              long long *newly, char *errstr, size_t errstr_size) {
    if (newly) *newly = 0;
    nm_csurge_forget(c->surge); /* what the last call handed over is the caller's now */
    size_t plen = strlen(c->prefix), nargs = 3 + K_FIXED + 8, nbytes = 9 * 24;
    for (size_t i = 0; i < n; i++) {
        const nm_counts_story_t *st = items[i].story;
        nargs += NM_HOUR_KEYS /* hour keys, at most */ + 1 /* seen */ + 6 +
                 2 * (size_t)items[i].nentities + (size_t)items[i].ntopics;
        nbytes += NM_HOUR_KEYS * (plen + 32) + plen + 6 + strlen(items[i].id) +
                  (3 + (size_t)items[i].nentities) * 24;
        if (st) {
            nargs += 4 + 9 + NM_STORY_BANDS;
            nbytes += 4 * (plen + 40) + NM_STORY_BANDS * 16 + 8 * 24 + NM_SIG_BYTES + 12 +
                      strlen(st->first_article);
        }
    }
    if (nm_counts_reserve(c, nargs, nbytes, n + 1))
        return nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");

    /* the batch's distinct hours (usually one or two) */
    size_t nh = 0, nidx = 0, nkeys = 0;
    int *first = c->hour_of + n;
    for (size_t i = 0; i < n; i++) {
        size_t h = 0;
        while (h < nh && strcmp(items[first[h]].hour, items[i].hour)) h++;
        if (h == nh) first[nh++] = (int)i;
        c->hour_of[i] = (int)h;
    }
    /* story keys per article (repeating a key is harmless: the script
     * keys what it keeps per key on the key's name, not its index, so
     * articles of one batch that share a band field all get into it):
     * members set, then, when indexed, its hash, its first article's hash,
     * its day's band hash */
    for (size_t i = 0; i < n; i++) {
        const nm_counts_story_t *st = items[i].story;
        if (!st) continue;
        int bins[NM_STORY_BANDS];
        int nb = nm_bands(st->sig, bins);
        nkeys += nb ? 4 : 1;
        nidx += nb > 0;
    }
    /* the surge part's keys and arguments go after the counts' own */
    const char *hours[nh + 1];
    for (size_t h = 0; h < nh; h++) hours[h] = items[first[h]].hour;
    const char *const *skeys, *const *sargs;
    const size_t *skeylen, *sarglen;
    if (nm_csurge_plan(c->surge, items, n, c->hour_of, hours, nh,
                       K_FIXED + NM_HOUR_KEYS * nh + n + nkeys + 1))
        return nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
    size_t nsk = nm_csurge_keys(c->surge, &skeys, &skeylen);
    size_t nsa = nm_csurge_args(c->surge, &sargs, &sarglen);
    if (nm_counts_reserve(c, nargs + nsk + nsa, nbytes, n + 1))
        return nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
    nm_args_t a = {c, 0, c->buf};
    nm_arg(&a, "EVALSHA", 7);
    nm_arg(&a, c->sha[0], 40); /* the SHA: nm_counts_call sets the script's */
    size_t nkeys_all = K_FIXED + NM_HOUR_KEYS * nh + n + nkeys + nsk;
    nm_argn(&a, nkeys_all);
    for (int k = 0; k < K_FIXED; k++) nm_arg(&a, c->fixed[k], strlen(c->fixed[k]));
    for (size_t h = 0; h < nh; h++)
        for (int k = 0; k < NM_HOUR_KEYS; k++)
            nm_argf(&a, plen + 32, "%s%s:%s", c->prefix, nm_fixed_names[nm_hour_keys[k]],
                    items[first[h]].hour);
    for (size_t i = 0; i < n; i++)
        nm_argkey(&a, "seen:", items[i].id, strlen(items[i].id));
    size_t key1 = K_FIXED + NM_HOUR_KEYS * nh + n + 1; /* the first story key (1-based) */
    for (size_t i = 0; i < n; i++) {
        const nm_counts_story_t *st = items[i].story;
        if (!st) continue;
        int bins[NM_STORY_BANDS];
        int nb = nm_bands(st->sig, bins);
        nm_argkey(&a, "story:", st->story_id, strlen(st->story_id));
        if (!nb) continue;
        nm_argkey(&a, "story:sig:", st->index_hour, strlen(st->index_hour));
        nm_argkey(&a, "story:sig:", st->first_hour, strlen(st->first_hour));
        nm_argkey(&a, "story:band:", st->index_hour, 8); /* its day */
    }
    for (size_t k = 0; k < nsk; k++) nm_arg(&a, skeys[k], skeylen[k]);
    nm_argn(&a, c->seen_ttl);
    nm_argn(&a, c->hour_ttl);
    nm_argn(&a, c->recent_alerts);
    nm_argn(&a, nh);
    nm_argn(&a, c->story_window + 3600);
    nm_argn(&a, NM_COUNTS_BAND_CAP);
    nm_argn(&a, nidx);
    size_t sa_at = a.k; /* ARGV[8], where the surge arguments start: set below */
    nm_arg(&a, "", 0);
    size_t key = key1;
    for (size_t i = 0; i < n; i++) {
        const nm_counts_item_t *it = &items[i];
        nm_argn(&a, c->hour_of[i]);
        nm_arg(&a, it->relevant ? "1" : "0", 1);
        nm_argn(&a, it->nentities);
        nm_argn(&a, it->ntopics);
        for (int e = 0; e < it->nentities; e++) {
            nm_arg(&a, it->entities[e], strlen(it->entities[e]));
            nm_argn(&a, it->mentions[e]);
        }
        for (int t = 0; t < it->ntopics; t++) nm_arg(&a, it->topics[t], strlen(it->topics[t]));
        nm_arg(&a, it->alert ? it->alert : "", it->alert ? it->alert_len : 0);
        const nm_counts_story_t *st = it->story;
        if (!st) {
            nm_arg(&a, "0", 1);
            continue;
        }
        int bins[NM_STORY_BANDS];
        int nb = nm_bands(st->sig, bins);
        nm_argn(&a, key);
        nm_arg(&a, it->id, strlen(it->id));
        nm_arg(&a, st->decision, strlen(st->decision));
        nm_argn(&a, nb ? key + 1 : 0);
        nm_argn(&a, nb ? key + 2 : 0);
        nm_arg(&a, st->starts ? "1" : "0", 1);
        nm_arg(&a, st->alerted, strlen(st->alerted));
        /* the record: first hour, signature, first article id */
        size_t flen = strlen(st->first_article);
        char *rec = a.buf;
        memcpy(rec, st->first_hour, 10);
        nm_sig_pack(st->sig, (unsigned char *)rec + 10);
        memcpy(rec + 10 + NM_SIG_BYTES, st->first_article, flen);
        nm_arg(&a, rec, 10 + NM_SIG_BYTES + flen);
        a.buf += 10 + NM_SIG_BYTES + flen;
        nm_argn(&a, nb ? key + 3 : 0);
        nm_argn(&a, nb);
        for (int b = 0; b < nb; b++) nm_band_field(&a, st->sig, bins[b]);
        key += nb ? 4 : 1;
    }
    /* argv: EVALSHA, sha, numkeys, the keys, then ARGV[1]... */
    int w = snprintf(a.buf, 24, "%zu", a.k - (3 + nkeys_all) + 1);
    c->argv[sa_at] = a.buf;
    c->argvlen[sa_at] = (size_t)w;
    a.buf += w + 1;
    for (size_t k = 0; k < nsa; k++) nm_arg(&a, sargs[k], sarglen[k]);
    redisReply *r = nm_counts_call(c, (int)a.k, c->argv, c->argvlen, NM_SCRIPT_COUNTS, errstr,
                                   errstr_size);
    if (!r) return NM_ERR_REDIS;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_INTEGER)
        return nm_counts_fail(c, r, "EVALSHA", errstr, errstr_size);
    long long n_new = r->element[0]->integer;
    int bad = nm_csurge_take(c->surge, r->element[1]);
    nm_replyarena_free(c->arena, r);
    if (bad)
        return nm_seterr(errstr, errstr_size, NM_ERR_REDIS, "EVALSHA: bad surge reply (or out of memory)");
    if (c->wait_replicas > 0 && nm_counts_wait(c, errstr, errstr_size)) return NM_ERR_REDIS;
    if (newly) *newly = n_new;
    return NM_OK;
}

void nm_counts_found_free(nm_counts_found_t *f) {
    if (!f) return;
    for (size_t i = 0; f->decision && i < f->n; i++) free(f->decision[i]);
    for (size_t i = 0; i < f->ncand; i++) free(f->cand[i].alerted);
    free(f->decision);
    free(f->cand);
    memset(f, 0, sizeof *f);
}

#define NM_RECORD_HEAD (16 + 10 + NM_SIG_BYTES) /* a record before its first article id */

/* A record of `len` bytes is well formed (its id 1 to ..._ID_MAX bytes). */
static int nm_record_ok(size_t len) {
    return len > NM_RECORD_HEAD && len - NM_RECORD_HEAD <= NM_STORY_ARTICLE_ID_MAX;
}

/* A candidate from its record (seq, first hour, signature, first article
 * id, `len` bytes); -1 when malformed. */
static int nm_candidate(const char *rec, size_t len, nm_counts_candidate_t *o) {
    size_t head = NM_RECORD_HEAD;
    if (!nm_record_ok(len)) return -1;
    char seq[17];
    memcpy(seq, rec, 16);
    seq[16] = '\0';
    o->seq = strtoull(seq, NULL, 16);
    memcpy(o->first_hour, rec + 16, 10);
    o->first_hour[10] = '\0';
    nm_sig_unpack((const unsigned char *)rec + 26, &o->sig);
    memcpy(o->first_article, rec + head, len - head);
    o->first_article[len - head] = '\0';
    return 0;
}

/* The window's hours, newest first, 11 bytes each ("YYYYMMDDHH"). */
static void nm_window_hours(time_t now, size_t nw, char *hours) {
    for (size_t w = 0; w < nw; w++) {
        time_t at = now - (time_t)w * 3600;
        struct tm tm;
        gmtime_r(&at, &tm);
        strftime(hours + 11 * w, 11, "%Y%m%d%H", &tm);
    }
}

/* Open addressing over indexes (SIZE_MAX: empty) for the lookup's
 * dedupes: of band fields, refs and stories. */
typedef struct {
    size_t *slot;
    size_t mask;
} nm_set_t;

static int nm_set_init(nm_set_t *t, size_t n) {
    size_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    if (!(t->slot = malloc(cap * sizeof *t->slot))) return -1;
    memset(t->slot, 0xff, cap * sizeof *t->slot);
    t->mask = cap - 1;
    return 0;
}


/* What one batch's lookup holds; owned by nm_counts_story_lookup. */
typedef struct {
    uint64_t *field; /* the batch's distinct band fields: bin << 32 | value */
    size_t nf, nd;   /* nd: the window's days */
    size_t *fof;     /* per article, NM_STORY_BANDS: its fields' indexes */
    int *nb;         /* per article: its fields */
    const char **ref; /* the refs, distinct, in order (into the first reply) */
    size_t *reflen, nr;
    const char **rec; /* per ref: its record (the cache's or the second reply's) */
    size_t *rlen;
    size_t *story;   /* per ref: its story among the second reply's (SIZE_MAX: none) */
    size_t *miss, nmiss; /* the refs whose records are asked for */
    size_t *first, nstories; /* per story asked: the ref whose record names it */
    unsigned *ahead;  /* per field: the articles ahead with it (nm_counts_ahead_t) */
    size_t ahead_d;   /* their day among the window's (SIZE_MAX: none of them) */
} nm_lookup_t;

static void nm_lookup_free(nm_lookup_t *L) {
    free(L->field);
    free(L->fof);
    free(L->nb);
    free(L->ref);
    free(L->reflen);
    free(L->rec);
    free(L->rlen);
    free(L->story);
    free(L->miss);
    free(L->first);
    free(L->ahead);
}

/* Open-addressing slot of band field f in t (over L->field). */
static size_t nm_field_slot(const nm_lookup_t *L, const nm_set_t *t, uint64_t f) {
    size_t s = (size_t)((f * 0x9e3779b97f4a7c15ULL) >> 20) & t->mask;
    while (t->slot[s] != SIZE_MAX && L->field[t->slot[s]] != f) s = (s + 1) & t->mask;
    return s;
}

/* The batch's distinct band fields and each article's, and how many of
 * the articles ahead have each. -1 on OOM. */
static int nm_lookup_fields(nm_lookup_t *L, const nm_story_sig_t *sigs, size_t n,
                            const nm_counts_ahead_t *ahead) {
    nm_set_t t = {0};
    L->field = malloc((n * NM_STORY_BANDS + 1) * sizeof *L->field);
    L->fof = malloc((n * NM_STORY_BANDS + 1) * sizeof *L->fof);
    L->nb = malloc(n * sizeof *L->nb);
    L->ahead = calloc(n * NM_STORY_BANDS + 1, sizeof *L->ahead);
    if (!L->field || !L->fof || !L->nb || !L->ahead || nm_set_init(&t, n * NM_STORY_BANDS)) {
        free(t.slot);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        int bins[NM_STORY_BANDS];
        L->nb[i] = nm_bands(&sigs[i], bins);
        for (int j = 0; j < L->nb[i]; j++) {
            uint64_t f = (uint64_t)bins[j] << 32 | sigs[i].min[bins[j]];
            size_t s = nm_field_slot(L, &t, f);
            if (t.slot[s] == SIZE_MAX) {
                t.slot[s] = L->nf;
                L->field[L->nf++] = f;
            }
            L->fof[i * NM_STORY_BANDS + (size_t)j] = t.slot[s];
        }
    }
    for (size_t i = 0; ahead && i < ahead->n; i++) {
        int bins[NM_STORY_BANDS], nb = nm_bands(ahead->sig[i], bins);
        for (int j = 0; j < nb; j++) {
            size_t s = nm_field_slot(L, &t, (uint64_t)bins[j] << 32 | ahead->sig[i]->min[bins[j]]);
            if (t.slot[s] != SIZE_MAX) L->ahead[t.slot[s]]++;
        }
    }
    free(t.slot);
    return 0;
}

static int nm_str_or_nil(const redisReply *r) {
    return r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_NIL;
}

/* The first call (nm_story_refs_lua): *out its reply (caller frees),
 * checked. Returns NM_OK, NM_ERR_REDIS or NM_ERR_NOMEM with errstr set
 * (*out NULL). */
static nm_err_t nm_lookup_refs(nm_counts_t *c, nm_lookup_t *L, const char *const *ids, size_t n,
                               const char *hours, size_t nw, const nm_counts_ahead_t *ahead,
                               redisReply **out, char *errstr, size_t errstr_size) {
    size_t plen = strlen(c->prefix), nd_max = nw / 24 + 2; /* the days the hours fall in */
    size_t nargs = 6 + nw + nd_max + n + L->nf;
    size_t nbytes = (nw + nd_max) * (plen + 32) + 4 * 24 + L->nf * 10;
    for (size_t i = 0; i < n; i++) nbytes += plen + 6 + strlen(ids[i]);
    *out = NULL;
    if (nm_counts_reserve(c, nargs, nbytes, n))
        return nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
    nm_args_t a = {c, 0, c->buf};
    nm_arg(&a, "EVALSHA", 7);
    nm_arg(&a, c->sha[NM_SCRIPT_REFS - 1], 40);
    size_t nkeys_at = a.k;
    nm_arg(&a, "", 0); /* the number of keys, once known */
    for (size_t w = 0; w < nw; w++) nm_argkey(&a, "story:sig:", hours + 11 * w, 10);
    L->nd = 0;
    L->ahead_d = SIZE_MAX;
    for (size_t w = 0; w < nw; w++)
        if (!w || memcmp(hours + 11 * w, hours + 11 * (w - 1), 8)) {
            if (ahead && !memcmp(hours + 11 * w, ahead->day, 8)) L->ahead_d = L->nd;
            nm_argkey(&a, "story:band:", hours + 11 * w, 8);
            L->nd++;
        }
    for (size_t i = 0; i < n; i++) nm_argkey(&a, "seen:", ids[i], strlen(ids[i]));
    nm_argn(&a, (long long)(nw + L->nd + n));
    c->argv[nkeys_at] = c->argv[a.k - 1];
    c->argvlen[nkeys_at] = c->argvlen[a.k - 1];
    a.k--;
    nm_argn(&a, (long long)nw);
    nm_argn(&a, (long long)L->nd);
    nm_argn(&a, (long long)L->nf);
    for (size_t f = 0; f < L->nf; f++)
        nm_band_field_of(&a, (int)(L->field[f] >> 32), (uint32_t)L->field[f]);
    redisReply *r = nm_counts_call(c, (int)a.k, c->argv, c->argvlen, NM_SCRIPT_REFS, errstr,
                                   errstr_size);
    if (!r) return NM_ERR_REDIS;
    int ok = r->type == REDIS_REPLY_ARRAY && r->elements == 2 + L->nd &&
             r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == n &&
             r->element[1]->type == REDIS_REPLY_STRING && r->element[1]->len == nw;
    for (size_t i = 0; ok && i < n; i++) ok = nm_str_or_nil(r->element[0]->element[i]);
    for (size_t d = 0; ok && d < L->nd; d++) {
        const redisReply *v = r->element[2 + d];
        ok = v->type == REDIS_REPLY_ARRAY && v->elements == L->nf;
        for (size_t f = 0; ok && f < L->nf; f++) ok = nm_str_or_nil(v->element[f]);
    }
    if (!ok) return nm_counts_fail(c, r, "story lookup", errstr, errstr_size);
    *out = r;
    return NM_OK;
}

/* The refs of the first reply r: split from the band values of the unseen
 * articles, in the order the articles, the days and their fields name
 * them, each once, those of a window hour whose signature hash exists
 * (exactly what the script did before it left the split to C); of a value
 * the articles ahead push into, only the refs they leave. -1 on OOM. */
static int nm_lookup_split(nm_lookup_t *L, const redisReply *r, size_t n, const char *hours,
                           size_t nw) {
    size_t bound = 0, nv = L->nd * L->nf;
    for (size_t d = 0; d < L->nd; d++)
        for (size_t f = 0; f < L->nf; f++) {
            const redisReply *v = r->element[2 + d]->element[f];
            if (v->type != REDIS_REPLY_STRING) continue;
            for (const char *p = v->str, *e = p + v->len; (p = memchr(p, '\n', (size_t)(e - p))); p++)
                bound++;
            bound++;
        }
    nm_set_t t = {0};
    unsigned char *parsed = calloc(nv + 1, 1);
    L->ref = malloc((bound + 1) * sizeof *L->ref);
    L->reflen = malloc((bound + 1) * sizeof *L->reflen);
    if (!parsed || !L->ref || !L->reflen || nm_set_init(&t, bound)) {
        free(parsed);
        free(t.slot);
        return -1;
    }
    const char *live = r->element[1]->str;
    size_t last = 0; /* the hour of the last ref: most refs share a few */
    for (size_t i = 0; i < n; i++) {
        if (r->element[0]->element[i]->type != REDIS_REPLY_NIL) continue; /* seen */
        for (size_t d = 0; d < L->nd; d++)
            for (int j = 0; j < L->nb[i]; j++) {
                size_t f = L->fof[i * NM_STORY_BANDS + (size_t)j];
                const redisReply *v = r->element[2 + d]->element[f];
                if (v->type != REDIS_REPLY_STRING || parsed[d * L->nf + f]) continue;
                parsed[d * L->nf + f] = 1;
                unsigned pushed = d == L->ahead_d ? L->ahead[f] : 0;
                size_t left = pushed >= NM_COUNTS_BAND_CAP ? 0 : NM_COUNTS_BAND_CAP - pushed;
                for (const char *p = v->str, *e = p + v->len; p < e && left; left--) {
                    const char *nl = memchr(p, '\n', (size_t)(e - p));
                    size_t len = (size_t)((nl ? nl : e) - p);
                    const char *ref = p;
                    p += len + 1;
                    if (len < 10) continue; /* no hour: not of the window */
                    if (memcmp(hours + 11 * last, ref, 10))
                        for (last = 0; last < nw && memcmp(hours + 11 * last, ref, 10); last++) {}
                    if (last == nw) {
                        last = 0;
                        continue;
                    }
                    if (live[last] != '1') continue;
                    size_t s = nm_fnv(NM_FNV0, ref, len) & t.mask;
                    while (t.slot[s] != SIZE_MAX &&
                           (L->reflen[t.slot[s]] != len || memcmp(L->ref[t.slot[s]], ref, len)))
                        s = (s + 1) & t.mask;
                    if (t.slot[s] != SIZE_MAX) continue;
                    t.slot[s] = L->nr;
                    L->ref[L->nr] = ref;
                    L->reflen[L->nr++] = len;
                }
            }
    }
    free(parsed);
    free(t.slot);
    return 0;
}

static uint64_t nm_story_hash(const char *rec, size_t len) {
    return nm_fnv(nm_fnv(NM_FNV0, rec + 16, 10), rec + NM_RECORD_HEAD, len - NM_RECORD_HEAD);
}

static int nm_same_story(const char *a, size_t al, const char *b, size_t bl) {
    return al == bl && !memcmp(a + 16, b + 16, 10) &&
           !memcmp(a + NM_RECORD_HEAD, b + NM_RECORD_HEAD, al - NM_RECORD_HEAD);
}

/* Each ref's record from the cache, else it is asked for; the distinct
 * stories of the cached ones. The cache's pointers stay valid until its
 * next put: none before the pick. -1 on OOM. */
static int nm_lookup_cached(nm_lookup_t *L, nm_bcache_t *cache) {
    size_t nr = L->nr;
    nm_set_t t = {0};
    L->rec = calloc(nr + 1, sizeof *L->rec);
    L->rlen = calloc(nr + 1, sizeof *L->rlen);
    L->story = calloc(nr + 1, sizeof *L->story);
    L->miss = calloc(nr + 1, sizeof *L->miss);
    L->first = calloc(nr + 1, sizeof *L->first);
    if (!L->rec || !L->rlen || !L->story || !L->miss || !L->first || nm_set_init(&t, nr)) {
        free(t.slot);
        return -1;
    }
    for (size_t k = 0; k < nr; k++) {
        const char *rec = nm_bcache_get(cache, L->ref[k], L->reflen[k], &L->rlen[k]);
        if (!(L->rec[k] = rec)) {
            L->miss[L->nmiss++] = k;
            continue;
        }
        size_t s = nm_story_hash(rec, L->rlen[k]) & t.mask;
        while (t.slot[s] != SIZE_MAX && !nm_same_story(L->rec[L->first[t.slot[s]]],
                                                       L->rlen[L->first[t.slot[s]]], rec, L->rlen[k]))
            s = (s + 1) & t.mask;
        if (t.slot[s] == SIZE_MAX) {
            t.slot[s] = L->nstories;
            L->first[L->nstories++] = k;
        }
        L->story[k] = t.slot[s];
    }
    free(t.slot);
    return 0;
}

/* The second call (nm_story_recs_lua) for the refs the cache does not
 * have, and the stories of those it has: *out as nm_lookup_refs. */
static nm_err_t nm_lookup_recs(nm_counts_t *c, const nm_lookup_t *L, const char *hours, size_t nw,
                               redisReply **out, char *errstr, size_t errstr_size) {
    size_t plen = strlen(c->prefix), head = NM_RECORD_HEAD;
    size_t nargs = 5 + nw + L->nmiss + L->nstories;
    size_t nbytes = nw * (plen + 32) + 3 * 24 + L->nstories * (11 + NM_STORY_ARTICLE_ID_MAX);
    *out = NULL;
    if (nm_counts_reserve(c, nargs, nbytes, 0))
        return nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
    nm_args_t a = {c, 0, c->buf};
    nm_arg(&a, "EVALSHA", 7);
    nm_arg(&a, c->sha[NM_SCRIPT_RECS - 1], 40);
    nm_argn(&a, (long long)nw);
    for (size_t w = 0; w < nw; w++) nm_argkey(&a, "story:sig:", hours + 11 * w, 10);
    nm_argn(&a, (long long)nw);
    nm_argn(&a, (long long)L->nmiss);
    for (size_t j = 0; j < L->nmiss; j++) nm_arg(&a, L->ref[L->miss[j]], L->reflen[L->miss[j]]);
    for (size_t s = 0; s < L->nstories; s++) {
        const char *rec = L->rec[L->first[s]];
        size_t fl = L->rlen[L->first[s]] - head;
        memcpy(a.buf, rec + 16, 10);
        memcpy(a.buf + 10, rec + head, fl);
        nm_arg(&a, a.buf, 10 + fl);
        a.buf += 10 + fl;
    }
    redisReply *r = nm_counts_call(c, (int)a.k, c->argv, c->argvlen, NM_SCRIPT_RECS, errstr,
                                   errstr_size);
    if (!r) return NM_ERR_REDIS;
    const size_t want[2] = {L->nmiss, L->nstories + L->nmiss};
    int ok = r->type == REDIS_REPLY_ARRAY && r->elements == 2;
    for (size_t k = 0; ok && k < 2; k++) {
        const redisReply *e = r->element[k];
        ok = e->type == REDIS_REPLY_ARRAY && e->elements == want[k];
        for (size_t i = 0; ok && i < e->elements; i++)
            ok = e->element[i]->type == REDIS_REPLY_STRING;
    }
    if (!ok) return nm_counts_fail(c, r, "story lookup", errstr, errstr_size);
    *out = r;
    return NM_OK;
}

/* The candidates: the first NM_COUNTS_BATCH_CANDIDATES refs, in order,
 * whose record is there and whose story is alive (the stories' values of
 * S); a malformed record counts toward the cap but is left out. */
static int nm_lookup_pick(const nm_lookup_t *L, const redisReply *S, nm_counts_found_t *out) {
    size_t cap = L->nr < NM_COUNTS_BATCH_CANDIDATES ? L->nr : NM_COUNTS_BATCH_CANDIDATES;
    if (!(out->cand = calloc(cap + 1, sizeof *out->cand))) return -1;
    for (size_t r = 0, got = 0; r < L->nr && got < cap; r++) {
        const redisReply *st = L->story[r] == SIZE_MAX ? NULL : S->element[L->story[r]];
        if (!L->rec[r] || !st || !st->len) continue;
        got++;
        nm_counts_candidate_t *o = &out->cand[out->ncand];
        if (nm_candidate(L->rec[r], L->rlen[r], o)) continue;
        if (!(o->alerted = strndup(st->str, st->len))) return -1;
        out->ncand++;
    }
    return 0;
}

void nm_counts_record_stats(const nm_counts_t *c, unsigned long long *kept,
                            unsigned long long *read) {
    *kept = *read = 0;
    if (c->records) nm_bcache_stats(c->records, kept, read);
}

nm_err_t nm_counts_story_lookup(nm_counts_t *c, const char *const *ids,
                                const nm_story_sig_t *sigs, size_t n,
                                const nm_counts_ahead_t *ahead, time_t now,
                                nm_counts_found_t *out, char *errstr, size_t errstr_size) {
    memset(out, 0, sizeof *out);
    if (n == 0) return NM_OK;
    size_t nw = (size_t)(c->story_window / 3600) + 1;
    nm_lookup_t L = {0};
    char *hours = malloc(11 * nw);
    if (!hours || (!c->records && !(c->records = nm_bcache_new(NM_COUNTS_RECORD_CACHE))) ||
        (!c->arena && !(c->arena = nm_replyarena_new())) ||
        nm_lookup_fields(&L, sigs, n, ahead)) {
        free(hours);
        nm_lookup_free(&L);
        return nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
    }
    nm_window_hours(now, nw, hours);
    redisReply *r1 = NULL, *r2 = NULL;
    c->in_arena = 1; /* both calls' replies, until the reset below */
    nm_err_t rc = nm_lookup_refs(c, &L, ids, n, hours, nw, ahead, &r1, errstr, errstr_size);
    if (!rc) {
        const redisReply *dec = r1->element[0];
        int oom = !(out->decision = calloc(n, sizeof *out->decision));
        out->n = oom ? 0 : n;
        for (size_t i = 0; !oom && i < n; i++)
            if (dec->element[i]->type == REDIS_REPLY_STRING && dec->element[i]->len &&
                !(out->decision[i] = strndup(dec->element[i]->str, dec->element[i]->len)))
                oom = 1;
        if (oom || nm_lookup_split(&L, r1, n, hours, nw) || nm_lookup_cached(&L, c->records))
            rc = nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
    }
    if (!rc && L.nr) rc = nm_lookup_recs(c, &L, hours, nw, &r2, errstr, errstr_size);
    if (!rc && r2) {
        const redisReply *recs = r2->element[0];
        for (size_t j = 0; j < L.nmiss; j++) {
            size_t k = L.miss[j];
            L.rec[k] = recs->element[j]->len ? recs->element[j]->str : NULL;
            L.rlen[k] = recs->element[j]->len;
            L.story[k] = L.nstories + j;
        }
        if (nm_lookup_pick(&L, r2->element[1], out))
            rc = nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
        for (size_t j = 0; !rc && j < L.nmiss; j++)
            if (nm_record_ok(recs->element[j]->len))
                nm_bcache_put(c->records, L.ref[L.miss[j]], L.reflen[L.miss[j]],
                              recs->element[j]->str, recs->element[j]->len);
    }
    free(hours);
    c->in_arena = 0;
    nm_lookup_free(&L);
    nm_replyarena_reset(c->arena); /* r1, r2: out and the cache hold copies */
    if (rc) nm_counts_found_free(out);
    return rc;
}

/* ---- reads ---- */

static int nm_row_cmp(const void *x, const void *y) {
    const nm_counts_row_t *a = x, *b = y;
    if (a->articles != b->articles) return a->articles < b->articles ? 1 : -1;
    if (a->mentions != b->mentions) return a->mentions < b->mentions ? 1 : -1;
    return strcmp(a->id, b->id);
}

static int nm_row_id_cmp(const void *x, const void *y) {
    return strcmp(((const nm_counts_row_t *)x)->id, ((const nm_counts_row_t *)y)->id);
}

void nm_counts_rows_free(nm_counts_row_t *rows, size_t nrows) {
    for (size_t i = 0; rows && i < nrows; i++) free(rows[i].id);
    free(rows);
}

/* ZUNION of the all-time key `name` (hours 0) or of its last `hours` hour
 * keys, WITHSCORES. Returns the reply (a flat member, score array). */
static redisReply *nm_counts_union(nm_counts_t *c, const char *name, long hours, time_t now,
                                   char *errstr, size_t errstr_size) {
    size_t nkeys = hours ? (size_t)hours : 1, plen = strlen(c->prefix);
    if (nm_counts_reserve(c, nkeys + 3, nkeys * (plen + 32) + 24, 0)) {
        nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    nm_args_t a = {c, 0, c->buf};
    nm_arg(&a, "ZUNION", 6);
    nm_argn(&a, nkeys);
    for (size_t h = 0; h < nkeys; h++) {
        if (!hours) {
            nm_argf(&a, plen + 32, "%s%s", c->prefix, name);
            continue;
        }
        time_t at = now - (time_t)h * 3600;
        struct tm tm;
        char hour[16];
        gmtime_r(&at, &tm);
        strftime(hour, sizeof hour, "%Y%m%d%H", &tm);
        nm_argf(&a, plen + 32, "%s%s:%s", c->prefix, name, hour);
    }
    nm_arg(&a, "WITHSCORES", 10);
    redisReply *r = nm_counts_call(c, (int)a.k, c->argv, c->argvlen, 0, errstr, errstr_size);
    if (r && r->type != REDIS_REPLY_ARRAY) {
        nm_counts_fail(c, r, "ZUNION", errstr, errstr_size);
        return NULL;
    }
    return r;
}

nm_err_t nm_counts_top(nm_counts_t *c, nm_counts_kind_t kind, long hours, time_t now, size_t n,
                       nm_counts_row_t **rows, size_t *nrows, char *errstr, size_t errstr_size) {
    *rows = NULL;
    *nrows = 0;
    static const int keys[] = {K_ENT_ARTICLES, K_TOPIC_ARTICLES, K_ENT_STORIES, K_TOPIC_STORIES};
    int ents = kind == NM_COUNTS_ENTITIES;
    redisReply *art = nm_counts_union(c, nm_fixed_names[keys[kind]], hours, now, errstr,
                                      errstr_size);
    if (!art) return NM_ERR_REDIS;
    redisReply *men = ents ? nm_counts_union(c, nm_fixed_names[K_ENT_MENTIONS], hours, now,
                                             errstr, errstr_size)
                           : NULL;
    if (ents && !men) {
        nm_replyarena_free(c->arena, art);
        return NM_ERR_REDIS;
    }
    size_t cap = art->elements / 2 + (men ? men->elements / 2 : 0) + 1, m = 0;
    nm_counts_row_t *t = calloc(cap, sizeof *t);
    nm_err_t rc = t ? NM_OK : NM_ERR_NOMEM;
    for (size_t i = 0; rc == NM_OK && i + 1 < art->elements; i += 2, m++) {
        t[m].articles = strtod(art->element[i + 1]->str, NULL);
        if (!(t[m].id = strdup(art->element[i]->str))) rc = NM_ERR_NOMEM;
    }
    /* mentions joined by id (both sets have the same members in practice) */
    size_t joined = m;
    if (rc == NM_OK && men) qsort(t, joined, sizeof *t, nm_row_id_cmp);
    for (size_t i = 0; rc == NM_OK && men && i + 1 < men->elements; i += 2) {
        nm_counts_row_t key = {.id = men->element[i]->str};
        nm_counts_row_t *row = joined ? bsearch(&key, t, joined, sizeof *t, nm_row_id_cmp) : NULL;
        if (!row) {
            row = &t[m++];
            if (!(row->id = strdup(key.id))) rc = NM_ERR_NOMEM;
        }
        row->mentions = strtod(men->element[i + 1]->str, NULL);
    }
    nm_replyarena_free(c->arena, art);
    if (men) nm_replyarena_free(c->arena, men);
    if (rc) {
        nm_counts_rows_free(t, m);
        return nm_seterr(errstr, errstr_size, rc, "out of memory");
    }
    if (m) qsort(t, m, sizeof *t, nm_row_cmp);
    for (size_t i = n; i < m; i++) free(t[i].id);
    *rows = t;
    *nrows = m < n ? m : n;
    return NM_OK;
}

void nm_counts_movers_free(nm_counts_mover_t *rows, size_t nrows) {
    for (size_t i = 0; rows && i < nrows; i++) free(rows[i].id);
    free(rows);
}

static int nm_mover_cmp(const void *x, const void *y) {
    const nm_counts_mover_t *a = x, *b = y;
    if (a->ratio != b->ratio) return a->ratio < b->ratio ? 1 : -1;
    if (a->current != b->current) return a->current < b->current ? 1 : -1;
    if (a->kind != b->kind) return a->kind - b->kind;
    return strcmp(a->id, b->id);
}

/* score of `member` in a flat ZUNION ... WITHSCORES reply, 0 if absent */
static double nm_union_score(const redisReply *r, const char *member) {
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (!strcmp(r->element[i]->str, member)) return strtod(r->element[i + 1]->str, NULL);
    return 0;
}

nm_err_t nm_counts_movers(nm_counts_t *c, long hours, long baseline_hours, time_t now, size_t n,
                          nm_counts_mover_t **rows, size_t *nrows, char *errstr,
                          size_t errstr_size) {
    *rows = NULL;
    *nrows = 0;
    nm_counts_mover_t *t = NULL;
    size_t m = 0, cap = 0;
    nm_err_t rc = NM_ERR_REDIS;
    for (int k = 0; k < NM_SURGE_KINDS; k++) {
        const char *base = nm_surge_count_base((nm_surge_kind_t)k, c->stories);
        redisReply *cur = nm_counts_union(c, base, hours, now, errstr, errstr_size);
        if (!cur) goto fail;
        redisReply *before = nm_counts_union(c, base, baseline_hours, now - hours * 3600,
                                             errstr, errstr_size);
        if (!before) {
            nm_replyarena_free(c->arena, cur);
            goto fail;
        }
        size_t more = cur->elements / 2;
        if (m + more > cap) {
            cap = m + more;
            nm_counts_mover_t *nt = realloc(t, (cap ? cap : 1) * sizeof *t);
            if (!nt) {
                nm_replyarena_free(c->arena, cur);
                nm_replyarena_free(c->arena, before);
                rc = nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
                goto fail;
            }
            t = nt;
        }
        /* the baseline rows are few (the keys of one kind): a linear look-up */
        for (size_t i = 0; i + 1 < cur->elements; i += 2) {
            nm_counts_mover_t *row = &t[m];
            row->kind = k;
            row->current = strtod(cur->element[i + 1]->str, NULL);
            row->baseline = nm_union_score(before, cur->element[i]->str) * (double)hours /
                            (double)baseline_hours;
            row->ratio = (row->current + 1) / (row->baseline + 1);
            if (!(row->id = strdup(cur->element[i]->str))) {
                nm_replyarena_free(c->arena, cur);
                nm_replyarena_free(c->arena, before);
                rc = nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
                goto fail;
            }
            m++;
        }
        nm_replyarena_free(c->arena, cur);
        nm_replyarena_free(c->arena, before);
    }
    if (m) qsort(t, m, sizeof *t, nm_mover_cmp);
    for (size_t i = n; i < m; i++) free(t[i].id);
    *rows = t;
    *nrows = m < n ? m : n;
    return NM_OK;
fail:
    nm_counts_movers_free(t, m);
    return rc;
}

void nm_counts_alerts_free(nm_counts_alert_t *alerts, size_t n) {
    for (size_t i = 0; alerts && i < n; i++) free(alerts[i].json);
    free(alerts);
}

/* The `n` newest entries of the capped stream `key`, field `field`. */
static nm_err_t nm_counts_recent(nm_counts_t *c, const char *key, const char *field, size_t n,
                                 nm_counts_alert_t **out, size_t *nout, char *errstr,
                                 size_t errstr_size) {
    *out = NULL;
    *nout = 0;
    char count[24];
    snprintf(count, sizeof count, "%zu", n);
    const char *argv[] = {"XREVRANGE", key, "+", "-", "COUNT", count};
    size_t argvlen[6];
    for (int i = 0; i < 6; i++) argvlen[i] = strlen(argv[i]);
    redisReply *r = nm_counts_call(c, 6, argv, argvlen, 0, errstr, errstr_size);
    if (!r) return NM_ERR_REDIS;
    if (r->type != REDIS_REPLY_ARRAY) return nm_counts_fail(c, r, "XREVRANGE", errstr, errstr_size);
    nm_counts_alert_t *al = calloc(r->elements + 1, sizeof *al);
    size_t k = 0;
    int oom = !al;
    for (size_t i = 0; !oom && i < r->elements; i++) {
        const redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2) continue;
        const redisReply *f = e->element[1];
        for (size_t j = 0; f->type == REDIS_REPLY_ARRAY && j + 1 < f->elements; j += 2) {
            if (strcmp(f->element[j]->str, field)) continue;
            const redisReply *v = f->element[j + 1];
            if (!(al[k].json = malloc(v->len + 1))) {
                oom = 1;
                break;
            }
            memcpy(al[k].json, v->str, v->len + 1);
            al[k].len = v->len;
            snprintf(al[k].entry_id, sizeof al[k].entry_id, "%s", e->element[0]->str);
            k++;
            break;
        }
    }
    nm_replyarena_free(c->arena, r);
    if (oom) {
        nm_counts_alerts_free(al, k);
        return nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
    }
    *out = al;
    *nout = k;
    return NM_OK;
}

nm_err_t nm_counts_recent_alerts(nm_counts_t *c, size_t n, nm_counts_alert_t **out,
                                 size_t *nout, char *errstr, size_t errstr_size) {
    return nm_counts_recent(c, c->fixed[K_ALERTS], "alert", n, out, nout, errstr, errstr_size);
}

nm_err_t nm_counts_recent_surges(nm_counts_t *c, size_t n, nm_counts_alert_t **out,
                                 size_t *nout, char *errstr, size_t errstr_size) {
    char key[256];
    snprintf(key, sizeof key, "%ssurges:recent", c->prefix);
    return nm_counts_recent(c, key, "surge", n, out, nout, errstr, errstr_size);
}

nm_err_t nm_counts_stats(nm_counts_t *c, long long *articles, long long *relevant,
                         char *errstr, size_t errstr_size) {
    *articles = *relevant = 0;
    const char *argv[] = {"HMGET", c->fixed[K_STATS], "articles", "relevant"};
    size_t argvlen[4];
    for (int i = 0; i < 4; i++) argvlen[i] = strlen(argv[i]);
    redisReply *r = nm_counts_call(c, 4, argv, argvlen, 0, errstr, errstr_size);
    if (!r) return NM_ERR_REDIS;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
        return nm_counts_fail(c, r, "HMGET", errstr, errstr_size);
    if (r->element[0]->type == REDIS_REPLY_STRING) *articles = atoll(r->element[0]->str);
    if (r->element[1]->type == REDIS_REPLY_STRING) *relevant = atoll(r->element[1]->str);
    nm_replyarena_free(c->arena, r);
    return NM_OK;
}

void nm_counts_destroy(nm_counts_t *c) {
    if (!c) return;
    nm_counts_drop(c);
    free(c->seed.host);
    free(c->target.host);
    for (size_t i = 0; i < c->nnodes; i++) free(c->nodes[i].host);
    free(c->nodes);
    free(c->user);
    free(c->password);
    free(c->configured);
    free(c->prefix);
    for (int k = 0; k < K_FIXED; k++) free(c->fixed[k]);
    free(c->argv);
    free(c->argvlen);
    free(c->buf);
    free(c->resp);
    free(c->hour_of);
    free(c->script);
    free(c->refs);
    free(c->recs);
    nm_bcache_destroy(c->records);
    nm_replyarena_destroy(c->arena);
    nm_csurge_destroy(c->surge);
    free(c);
}
