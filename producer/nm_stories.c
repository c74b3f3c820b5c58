/* nm_stories.c - a batch's stories from the Redis window (nm_stories.h). */
#include "nm_stories.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nm_hash.h"
#include "nm_limits.h"

/* A story the batch knows: where its first article is, what it alerted on
 * (",a,b,", grown as the batch's copies alert). */
typedef struct {
    char id[19];
    char first_hour[11];
    char *alerted; /* owned */
} nm_known_t;

struct nm_stories_s {
    nm_known_t *known; /* open addressing on the story id, cap a power of two */
    size_t cap;
    char *arena;       /* the outputs' decisions and alerted topics */
    size_t len, room;
    size_t *off;       /* per output: its decision's, then its alerted's offset */
    size_t noff;
    char hour[11];     /* the batch's index hour */
    /* the last batch decided (borrowed, for a decider that follows this one) */
    const nm_stories_in_t *last_in;
    const nm_stories_out_t *last_out;
    size_t last_n;
};

_Static_assert(NM_MAX_TOPICS <= 32, "an article's alerted topics are a 32-bit mask");

nm_stories_t *nm_stories_new(void) { return calloc(1, sizeof(nm_stories_t)); }

static void nm_known_clear(nm_stories_t *S) {
    for (size_t i = 0; i < S->cap; i++) {
        free(S->known[i].alerted);
        S->known[i].alerted = NULL;
        S->known[i].id[0] = '\0';
    }
}

void nm_stories_destroy(nm_stories_t *S) {
    if (!S) return;
    nm_known_clear(S);
    free(S->known);
    free(S->arena);
    free(S->off);
    free(S);
}

static nm_known_t *nm_known_find(const nm_stories_t *S, const char *id) {
    size_t h = (size_t)nm_fnv(NM_FNV0, id, strlen(id));
    for (size_t i = h & (S->cap - 1);; i = (i + 1) & (S->cap - 1))
        if (!S->known[i].id[0] || !strcmp(S->known[i].id, id)) return &S->known[i];
}

/* The story `id`, added (first_hour, alerted) when new. NULL on OOM. */
static nm_known_t *nm_known_put(nm_stories_t *S, const char *id, const char *first_hour,
                                const char *alerted) {
    nm_known_t *k = nm_known_find(S, id);
    if (k->id[0]) return k;
    if (!(k->alerted = strdup(alerted))) return NULL;
    snprintf(k->id, sizeof k->id, "%s", id);
    snprintf(k->first_hour, sizeof k->first_hour, "%s", first_hour);
    return k;
}

/* alerted (",a,b,") has the topic of tl bytes at t */
static int nm_has_topicn(const char *alerted, const char *t, size_t tl) {
    for (const char *p = strchr(alerted, ','); p; p = strchr(p + 1, ','))
        if (!strncmp(p + 1, t, tl) && p[1 + tl] == ',') return 1;
    return 0;
}

/* The story `id` known with at least the topics of `alerted` (",a,b,"):
 * added when new, else the missing topics appended in their order. -1 on
 * OOM. */
static int nm_known_merge(nm_stories_t *S, const char *id, const char *first_hour,
                          const char *alerted) {
    nm_known_t *k = nm_known_find(S, id);
    if (!k->id[0]) return nm_known_put(S, id, first_hour, alerted) ? 0 : -1;
    for (const char *t = alerted + (*alerted == ','); *t;) {
        const char *e = strchr(t, ',');
        size_t tl = e ? (size_t)(e - t) : strlen(t);
        if (tl && !nm_has_topicn(k->alerted, t, tl)) {
            size_t kl = strlen(k->alerted);
            char *grown = realloc(k->alerted, kl + tl + 2);
            if (!grown) return -1;
            k->alerted = grown;
            memcpy(grown + kl, t, tl);
            memcpy(grown + kl + tl, ",", 2);
        }
        t += tl + (e != NULL);
    }
    return 0;
}

/* Append s (len bytes) to the arena; returns its offset or SIZE_MAX on OOM. */
static size_t nm_put(nm_stories_t *S, const char *s, size_t len) {
    if (S->len + len + 1 > S->room) {
        size_t room = S->room ? S->room : 4096;
        while (room < S->len + len + 1) room *= 2;
        char *a = realloc(S->arena, room);
        if (!a) return SIZE_MAX;
        S->arena = a;
        S->room = room;
    }
    size_t at = S->len;
    memcpy(S->arena + at, s, len);
    S->arena[at + len] = '\0';
    S->len += len + 1;
    return at;
}

static int nm_has_topic(const char *alerted, const char *t) {
    return nm_has_topicn(alerted, t, strlen(t));
}

/* A stored decision: "S" <first hour, 10> <copy 0/1> <alerted ",a,b," or
 * ","> "\n" <first article id, empty when it is the article itself: most
 * articles start their story, and the seen key lives seen_ttl_s>. Returns
 * 0 and the parts (*first = id when empty), -1 if it is none (an article
 * counted before stories: "1"). */
static int nm_parse_decision(const char *d, const char *id, char first_hour[11], int *copy,
                             const char **alerted, size_t *alen, const char **first) {
    size_t n = strlen(d);
    if (n < 14 || d[0] != 'S' || (d[11] != '0' && d[11] != '1') || d[12] != ',') return -1;
    const char *nl = strchr(d + 12, '\n');
    if (!nl) return -1;
    memcpy(first_hour, d + 1, 10);
    first_hour[10] = '\0';
    *copy = d[11] == '1';
    *alerted = d + 12;
    *alen = (size_t)(nl - (d + 12));
    *first = nl[1] ? nl + 1 : id;
    return 0;
}

static int nm_seq_cmp(const void *x, const void *y) {
    const nm_counts_candidate_t *a = *(const nm_counts_candidate_t *const *)x,
                                *b = *(const nm_counts_candidate_t *const *)y;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The slot of `id` in `at` (nm_prev_table of pv, cap a power of two). */
static size_t nm_prev_slot(const nm_stories_t *pv, const size_t *at, size_t cap, const char *id) {
    size_t i = (size_t)nm_fnv(NM_FNV0, id, strlen(id)) & (cap - 1);
    while (at[i] && strcmp(pv->last_in[at[i] - 1].id, id)) i = (i + 1) & (cap - 1);
    return i;
}

/* The table of nm_prev_decision for the batch pv decided last (caller
 * frees; NULL and *cap 0 when there is none, *oom set when it cannot be
 * allocated). */
static size_t *nm_prev_table(const nm_stories_t *pv, size_t *cap, int *oom) {
    *cap = 0;
    *oom = 0;
    if (!pv || !pv->last_n) return NULL;
    size_t c = 16;
    while (c < 2 * pv->last_n) c *= 2;
    size_t *at = calloc(c, sizeof *at);
    if (!at) {
        *oom = 1;
        return NULL;
    }
    for (size_t j = 0; j < pv->last_n; j++) {
        if (pv->last_out[j].redelivered) continue; /* stored already: the lookup has it */
        size_t i = nm_prev_slot(pv, at, c, pv->last_in[j].id);
        if (!at[i]) at[i] = j + 1; /* the first of an id is the one counted */
    }
    *cap = c;
    return at;
}

/* The followed batch's decision for article `id` (its first article of
 * that id not seen before), which its counts will store with the seen key;
 * NULL when it has none (or cap is 0: no batch followed). */
static const char *nm_prev_decision(const nm_stories_t *pv, const size_t *at, size_t cap,
                                    const char *id) {
    size_t i = cap ? nm_prev_slot(pv, at, cap, id) : 0;
    return cap && at[i] ? pv->last_out[at[i] - 1].counts.decision : NULL;
}

/* Article j of the batch pv decided last is one its counts index: not
 * seen before, the first of its id, with a band. */
static int nm_prev_indexed(const nm_stories_t *pv, const size_t *at, size_t cap, size_t j) {
    return at[nm_prev_slot(pv, at, cap, pv->last_in[j].id)] == j + 1 &&
           nm_counts_indexed(pv->last_in[j].sig);
}

/* The index of the window's candidates, oldest first (ties in
 * nm_story_assign go to the earlier), each story known; then, after them
 * (indexed later), the articles of the batch S follows, as the counts
 * script will index them: the ones not seen before that have a band, under
 * their story's first article, and every story it knows with the topics
 * it alerted on by then. pv: the decider of that batch, NULL: none; at,
 * cap: its nm_prev_table. */
static nm_story_index_t *nm_candidates(nm_stories_t *S, const nm_counts_found_t *f, size_t n,
                                        const nm_stories_t *pv, const size_t *at, size_t cap) {
    size_t np = pv ? pv->last_n : 0;
    nm_story_index_t *ix = nm_story_index_new(f->ncand + np + n);
    const nm_counts_candidate_t **order = malloc((f->ncand + 1) * sizeof *order);
    int ok = ix && order;
    for (size_t k = 0; ok && k < f->ncand; k++) order[k] = &f->cand[k];
    if (ok && f->ncand) qsort(order, f->ncand, sizeof *order, nm_seq_cmp);
    for (size_t k = 0; ok && k < f->ncand; k++) {
        nm_story_t st;
        const nm_counts_candidate_t *c = order[k];
        if (nm_story_of(c->first_article, c->first_article, &st)) continue;
        ok = nm_story_index_add(ix, c->first_article, &c->sig) == NM_OK &&
             nm_known_put(S, st.id, c->first_hour, c->alerted) != NULL;
    }
    for (size_t j = 0; ok && j < np; j++) {
        const nm_stories_out_t *po = &pv->last_out[j];
        if (nm_prev_indexed(pv, at, cap, j))
            ok = nm_story_index_add(ix, po->story.first_article, pv->last_in[j].sig) == NM_OK;
        const nm_known_t *k = ok ? nm_known_find(pv, po->story.id) : NULL;
        if (k && k->id[0]) ok = nm_known_merge(S, k->id, k->first_hour, k->alerted) == 0;
    }
    free(order);
    if (!ok) {
        nm_story_index_destroy(ix);
        return NULL;
    }
    return ix;
}

static int nm_reserve(nm_stories_t *S, size_t n, size_t ncand) {
    size_t want = 16;
    while (want < 2 * (n + ncand) + 16) want *= 2;
    nm_known_clear(S);
    if (want > S->cap) {
        nm_known_t *k = calloc(want, sizeof *k);
        if (!k) return -1;
        free(S->known);
        S->known = k;
        S->cap = want;
    }
    if (2 * n > S->noff) {
        size_t *o = realloc(S->off, 2 * n * sizeof *o);
        if (!o) return -1;
        S->off = o;
        S->noff = 2 * n;
    }
    S->len = 0;
    return 0;
}

/* The decision of one article not seen before: its story from the index,
 * its alert from the topics its story has not alerted on. */
static nm_err_t nm_decide_new(nm_stories_t *S, nm_story_index_t *ix, const nm_stories_in_t *in,
                              const char *index_hour, nm_stories_out_t *o, char *mine,
                              size_t mine_size) {
    if (nm_story_assign(ix, in->id, in->sig, &o->story)) return NM_ERR_INPUT;
    nm_known_t *k = nm_known_put(S, o->story.id, index_hour, ",");
    if (!k) return NM_ERR_NOMEM;
    o->counts.starts = !o->story.copy;
    size_t used = 0;
    mine[0] = '\0';
    for (int t = 0; t < in->ntopics && t < NM_MAX_TOPICS; t++) {
        if (nm_has_topic(k->alerted, in->topics[t])) continue;
        size_t tl = strlen(in->topics[t]), kl = strlen(k->alerted);
        char *grown = realloc(k->alerted, kl + tl + 2);
        if (!grown || used + tl + 3 > mine_size) {
            if (grown) k->alerted = grown;
            return NM_ERR_NOMEM;
        }
        k->alerted = grown;
        memcpy(k->alerted + kl, in->topics[t], tl);
        memcpy(k->alerted + kl + tl, ",", 2);
        used += (size_t)snprintf(mine + used, mine_size - used, "%s%s,", used ? "" : ",",
                                 in->topics[t]);
        o->alert |= 1u << t;
    }
    o->counts.first_hour = k->first_hour; /* stable: the table is sized for the batch */
    return NM_OK;
}

/* nm_stories_decide with pv's nm_prev_table (at, cap) built by the caller. */
static nm_err_t nm_decide(nm_stories_t *S, const nm_stories_in_t *in, size_t n,
                          const nm_counts_found_t *found, const char *index_hour,
                          const nm_stories_t *pv, const size_t *at, size_t cap,
                          nm_stories_out_t *out, char *errstr, size_t errstr_size) {
    S->last_n = 0;
    if (n == 0) return NM_OK;
    size_t np = pv ? pv->last_n : 0;
    if (found->n != n || nm_reserve(S, n + np, found->ncand))
        return nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory deciding stories");
    snprintf(S->hour, sizeof S->hour, "%s", index_hour);
    index_hour = S->hour; /* the outputs point at it */
    nm_story_index_t *ix = nm_candidates(S, found, n, pv, at, cap);
    if (!ix) return nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory deciding stories");
    nm_err_t rc = NM_OK;
    char mine[NM_MAX_TOPICS * 80], dec[NM_MAX_TOPICS * 80 + NM_STORY_ARTICLE_ID_MAX + 16];
    for (size_t i = 0; !rc && i < n; i++) {
        nm_stories_out_t *o = &out[i];
        memset(o, 0, sizeof *o);
        o->counts.index_hour = index_hour;
        o->counts.sig = in[i].sig;
        char fh[11];
        int copy;
        const char *alerted, *first;
        size_t alen;
        const char *d = found->decision[i];
        if (!d) d = nm_prev_decision(pv, at, cap, in[i].id);
        if (d && !nm_parse_decision(d, in[i].id, fh, &copy, &alerted, &alen, &first)) {
            /* a redelivery: its stored story and alert; it is a candidate
             * for the batch's later articles */
            snprintf(mine, sizeof mine, "%.*s", (int)alen, alerted);
            nm_known_t *k = NULL;
            if (nm_story_of(first, in[i].id, &o->story) || nm_story_index_add(ix, first, in[i].sig))
                rc = NM_ERR_INPUT;
            else if (!(k = nm_known_put(S, o->story.id, fh, mine)))
                rc = NM_ERR_NOMEM;
            if (rc) break;
            o->redelivered = 1;
            o->counts.first_hour = k->first_hour;
            for (int t = 0; t < in[i].ntopics && t < NM_MAX_TOPICS; t++)
                if (nm_has_topic(mine, in[i].topics[t])) o->alert |= 1u << t;
            if (alen < 2) mine[0] = '\0';
        } else if (d) {
            /* counted before stories: a story of its own, its alert as then */
            if (nm_story_of(in[i].id, in[i].id, &o->story)) rc = NM_ERR_INPUT;
            o->redelivered = 1;
            o->alert = in[i].ntopics >= NM_MAX_TOPICS ? UINT32_MAX : (1u << in[i].ntopics) - 1;
            o->counts.first_hour = index_hour;
            mine[0] = '\0';
        } else {
            rc = nm_decide_new(S, ix, &in[i], index_hour, o, mine, sizeof mine);
        }
        if (rc) break;
        snprintf(dec, sizeof dec, "S%.10s%c%s\n%s", o->counts.first_hour,
                 o->story.copy ? '1' : '0', mine[0] ? mine : ",",
                 strcmp(o->story.first_article, in[i].id) ? o->story.first_article : "");
        S->off[2 * i] = nm_put(S, dec, strlen(dec));
        S->off[2 * i + 1] = nm_put(S, mine, strlen(mine));
        if (S->off[2 * i] == SIZE_MAX || S->off[2 * i + 1] == SIZE_MAX) rc = NM_ERR_NOMEM;
    }
    nm_story_index_destroy(ix);
    if (rc)
        return nm_seterr(errstr, errstr_size, rc,
                         rc == NM_ERR_NOMEM ? "out of memory deciding stories"
                                            : "bad article id for a story");
    /* the arena no longer moves: point into it */
    for (size_t i = 0; i < n; i++) {
        nm_stories_out_t *o = &out[i];
        o->counts.story_id = o->story.id;
        o->counts.first_article = o->story.first_article;
        o->counts.decision = S->arena + S->off[2 * i];
        o->counts.alerted = S->arena + S->off[2 * i + 1];
    }
    S->last_in = in;
    S->last_out = out;
    S->last_n = n;
    return NM_OK;
}

nm_err_t nm_stories_decide(nm_stories_t *S, const nm_stories_in_t *in, size_t n,
                           const nm_counts_found_t *found, const char *index_hour,
                           const nm_stories_t *prev, nm_stories_out_t *out, char *errstr,
                           size_t errstr_size) {
    size_t cap;
    int oom;
    size_t *at = nm_prev_table(prev, &cap, &oom);
    if (oom) return nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory deciding stories");
    nm_err_t rc = nm_decide(S, in, n, found, index_hour, prev, at, cap, out, errstr, errstr_size);
    free(at);
    return rc;
}

nm_err_t nm_stories_assign(nm_stories_t *S, nm_counts_t *c, const nm_stories_in_t *in,
                           size_t n, time_t now, const nm_stories_t *pv, nm_stories_out_t *out,
                           char *errstr, size_t errstr_size) {
    S->last_n = 0; /* until decided: a decider that follows S sees no batch */
    if (n == 0) return NM_OK;
    /* the followed batch's articles the counts will index, ahead of the
     * window: the lookup leaves out the refs they push out */
    size_t np = pv ? pv->last_n : 0, cap;
    int oom;
    size_t *at = nm_prev_table(pv, &cap, &oom);
    const char **ids = malloc(n * sizeof *ids);
    nm_story_sig_t *sigs = malloc(n * sizeof *sigs);
    const nm_story_sig_t **asig = malloc((np + 1) * sizeof *asig);
    if (oom || !ids || !sigs || !asig) {
        free(at);
        free(ids);
        free(sigs);
        free(asig);
        return nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        ids[i] = in[i].id;
        sigs[i] = *in[i].sig;
    }
    nm_counts_ahead_t ahead = {asig, 0, ""};
    for (size_t j = 0; j < np; j++)
        if (nm_prev_indexed(pv, at, cap, j)) asig[ahead.n++] = pv->last_in[j].sig;
    if (pv) memcpy(ahead.day, pv->hour, 8);
    nm_counts_found_t f;
    nm_err_t rc = nm_counts_story_lookup(c, ids, sigs, n, pv ? &ahead : NULL, now, &f, errstr,
                                         errstr_size);
    free(ids);
    free(sigs);
    free(asig);
    if (!rc) {
        struct tm tm;
        char hour[16];
        gmtime_r(&now, &tm);
        strftime(hour, sizeof hour, "%Y%m%d%H", &tm);
        rc = nm_decide(S, in, n, &f, hour, pv, at, cap, out, errstr, errstr_size);
        nm_counts_found_free(&f);
    }
    free(at);
    return rc;
}
