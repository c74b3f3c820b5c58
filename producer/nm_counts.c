/* nm_counts.c - batched, idempotent count writes with one script call. */
#include "nm_counts.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ARGV: prefix, seen_ttl, hour_ttl, then per article:
 *   id, hour, relevant(0/1), n_entities, n_topics, (entity, mentions)*, topic*
 * Returns the number of articles counted for the first time. */
static const char nm_counts_lua[] =
    "local p, seen_ttl, hour_ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])\n"
    "local inc = {}\n"
    "local function add(key, member, by)\n"
    "  local t = inc[key]; if not t then t = {}; inc[key] = t end\n"
    "  t[member] = (t[member] or 0) + by\n"
    "end\n"
    "local i, new, rel = 4, 0, 0\n"
    "while i <= #ARGV do\n"
    "  local id, hour, r = ARGV[i], ARGV[i+1], ARGV[i+2]\n"
    "  local ne, nt = tonumber(ARGV[i+3]), tonumber(ARGV[i+4])\n"
    "  i = i + 5\n"
    "  if redis.call('SET', p..'seen:'..id, '1', 'NX', 'EX', seen_ttl) then\n"
    "    new = new + 1\n"
    "    if r == '1' then rel = rel + 1 end\n"
    "    for k = 0, ne - 1 do\n"
    "      local e, m = ARGV[i+2*k], tonumber(ARGV[i+2*k+1])\n"
    "      add('entity:mentions', e, m); add('entity:mentions:'..hour, e, m)\n"
    "      add('entity:articles', e, 1); add('entity:articles:'..hour, e, 1)\n"
    "    end\n"
    "    for k = 0, nt - 1 do\n"
    "      local t = ARGV[i+2*ne+k]\n"
    "      add('topic:articles', t, 1); add('topic:articles:'..hour, t, 1)\n"
    "    end\n"
    "  end\n"
    "  i = i + 2*ne + nt\n"
    "end\n"
    "for key, t in pairs(inc) do\n"
    "  for member, by in pairs(t) do redis.call('ZINCRBY', p..key, by, member) end\n"
    "  if string.find(key, ':%d%d%d%d%d%d%d%d%d%d$') then redis.call('EXPIRE', p..key, hour_ttl) end\n"
    "end\n"
    "if new > 0 then redis.call('HINCRBY', p..'stats', 'articles', new) end\n"
    "if rel > 0 then redis.call('HINCRBY', p..'stats', 'relevant', rel) end\n"
    "return new\n";

struct nm_counts_s {
    redisContext *rc;
    char sha[41];
    char *host, *user, *password, *prefix;
    int port;
    long timeout_ms, seen_ttl, hour_ttl;
    /* reusable argument arrays */
    const char **argv;
    size_t *argvlen;
    size_t capargs;
    char *numbuf; /* decimal numbers referenced by argv */
    size_t capnum;
};

nm_counts_t *nm_counts_new(const nm_config_t *cfg) {
    nm_counts_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->host = strdup(cfg->redis_host);
    c->user = strdup(cfg->redis_user);
    c->password = strdup(cfg->redis_password);
    c->prefix = strdup(cfg->redis_prefix);
    c->port = (int)cfg->redis_port;
    c->timeout_ms = cfg->redis_timeout_ms;
    c->seen_ttl = cfg->redis_seen_ttl_s;
    c->hour_ttl = cfg->redis_hour_ttl_s;
    if (!c->host || !c->user || !c->password || !c->prefix) {
        nm_counts_destroy(c);
        return NULL;
    }
    return c;
}

static void nm_counts_drop(nm_counts_t *c) {
    if (c->rc) redisFree(c->rc);
    c->rc = NULL;
    c->sha[0] = '\0';
}

/* An error reply or a dead context, as text; the context is dropped when
 * it cannot be reused (hiredis: after an I/O error it is dead). */
static nm_err_t nm_counts_fail(nm_counts_t *c, redisReply *r, const char *what, char *errstr,
                               size_t errstr_size) {
    if (r) {
        nm_seterr(errstr, errstr_size, NM_ERR_REDIS, "%s: %.*s", what, (int)r->len,
                  r->str ? r->str : "");
        freeReplyObject(r);
    } else {
        nm_seterr(errstr, errstr_size, NM_ERR_REDIS, "%s: %s", what,
                  c->rc ? c->rc->errstr : "not connected");
        nm_counts_drop(c);
    }
    return NM_ERR_REDIS;
}

static nm_err_t nm_counts_load_script(nm_counts_t *c, char *errstr, size_t errstr_size) {
    redisReply *r = redisCommand(c->rc, "SCRIPT LOAD %s", nm_counts_lua);
    if (!r || r->type != REDIS_REPLY_STRING || r->len != 40)
        return nm_counts_fail(c, r, "SCRIPT LOAD", errstr, errstr_size);
    memcpy(c->sha, r->str, 40);
    c->sha[40] = '\0';
    freeReplyObject(r);
    return NM_OK;
}

static nm_err_t nm_counts_connect(nm_counts_t *c, char *errstr, size_t errstr_size) {
    if (c->rc && c->sha[0]) return NM_OK;
    if (!c->rc) {
        struct timeval tv = {c->timeout_ms / 1000, (c->timeout_ms % 1000) * 1000};
        c->rc = redisConnectWithTimeout(c->host, c->port, tv);
        if (!c->rc || c->rc->err)
            return nm_counts_fail(c, NULL, "connect", errstr, errstr_size);
        redisSetTimeout(c->rc, tv);
        if (c->password[0]) {
            /* never echo the password: errors only say AUTH failed */
            redisReply *r = c->user[0]
                                ? redisCommand(c->rc, "AUTH %s %s", c->user, c->password)
                                : redisCommand(c->rc, "AUTH %s", c->password);
            if (!r || r->type == REDIS_REPLY_ERROR)
                return nm_counts_fail(c, r, "AUTH", errstr, errstr_size);
            freeReplyObject(r);
        }
    }
    return nm_counts_load_script(c, errstr, errstr_size);
}

struct redisContext *nm_counts_context(nm_counts_t *c, char *errstr, size_t errstr_size) {
    return nm_counts_connect(c, errstr, errstr_size) ? NULL : c->rc;
}

int nm_counts_ready(nm_counts_t *c) {
    char e[256];
    return nm_counts_connect(c, e, sizeof e) == NM_OK;
}

static int nm_counts_reserve(nm_counts_t *c, size_t nargs, size_t numbytes) {
    if (nargs > c->capargs) {
        const char **a = realloc(c->argv, nargs * sizeof *a);
        if (!a) return -1;
        c->argv = a;
        size_t *l = realloc(c->argvlen, nargs * sizeof *l);
        if (!l) return -1;
        c->argvlen = l;
        c->capargs = nargs;
    }
    if (numbytes > c->capnum) {
        char *nb = realloc(c->numbuf, numbytes);
        if (!nb) return -1;
        c->numbuf = nb;
        c->capnum = numbytes;
    }
    return 0;
}

nm_err_t nm_counts_apply(nm_counts_t *c, const nm_counts_item_t *items, size_t n,
                         long long *newly, char *errstr, size_t errstr_size) {
    if (newly) *newly = 0;
    if (n == 0) return NM_OK;
    size_t nargs = 6, nnums = 2;
    for (size_t i = 0; i < n; i++) {
        nargs += 5 + 2 * (size_t)items[i].nentities + (size_t)items[i].ntopics;
        nnums += 3 + (size_t)items[i].nentities;
    }
    if (nm_counts_reserve(c, nargs, nnums * 24))
        return nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
    nm_err_t rc = nm_counts_connect(c, errstr, errstr_size);
    if (rc) return rc;

    size_t k = 0;
    char *num = c->numbuf;
#define ARG(s, l) (c->argv[k] = (s), c->argvlen[k++] = (l))
#define NUM(v)                                                 \
    do {                                                       \
        int w_ = snprintf(num, 24, "%lld", (long long)(v));    \
        ARG(num, (size_t)w_);                                  \
        num += w_ + 1;                                         \
    } while (0)
    ARG("EVALSHA", 7);
    ARG(c->sha, 40);
    ARG("0", 1);
    ARG(c->prefix, strlen(c->prefix));
    NUM(c->seen_ttl);
    NUM(c->hour_ttl);
    for (size_t i = 0; i < n; i++) {
        const nm_counts_item_t *it = &items[i];
        ARG(it->id, strlen(it->id));
        ARG(it->hour, strlen(it->hour));
        ARG(it->relevant ? "1" : "0", 1);
        NUM(it->nentities);
        NUM(it->ntopics);
        for (int e = 0; e < it->nentities; e++) {
            ARG(it->entities[e], strlen(it->entities[e]));
            NUM(it->mentions[e]);
        }
        for (int t = 0; t < it->ntopics; t++) ARG(it->topics[t], strlen(it->topics[t]));
    }
#undef ARG
#undef NUM
    for (int attempt = 0; attempt < 2; attempt++) {
        c->argv[1] = c->sha;
        redisReply *r = redisCommandArgv(c->rc, (int)k, c->argv, c->argvlen);
        if (r && r->type == REDIS_REPLY_INTEGER) {
            if (newly) *newly = r->integer;
            freeReplyObject(r);
            return NM_OK;
        }
        if (r && r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "NOSCRIPT", 8) && attempt == 0) {
            /* Redis restarted and forgot the script: load it again */
            freeReplyObject(r);
            rc = nm_counts_load_script(c, errstr, errstr_size);
            if (rc) return rc;
            continue;
        }
        return nm_counts_fail(c, r, "EVALSHA", errstr, errstr_size);
    }
    return nm_seterr(errstr, errstr_size, NM_ERR_REDIS, "EVALSHA: script missing after reload");
}

void nm_counts_destroy(nm_counts_t *c) {
    if (!c) return;
    nm_counts_drop(c);
    free(c->host);
    free(c->user);
    free(c->password);
    free(c->prefix);
    free(c->argv);
    free(c->argvlen);
    free(c->numbuf);
    free(c);
}
