/* nm_ac.c - Aho-Corasick compiled to a byte-class DFA, beside a word-start trie. */
#include "nm_ac.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint32_t id, len;
    uint32_t rank; /* order of the nm_ac_builder_add* call: ties at one end */
    uint32_t next; /* next output of the same state, UINT32_MAX = none */
} nm_ac_out_t;

typedef struct {
    uint8_t byte;
    uint32_t child;
} nm_ac_edge_t;

typedef struct {
    nm_ac_edge_t *edges;
    uint32_t nedges, capedges;
    uint32_t fail;
    uint32_t out;     /* first own output, UINT32_MAX = none */
    uint32_t dict;    /* nearest proper suffix state with outputs */
    uint8_t spawn;    /* a word prefix ends here (word trie) */
} nm_ac_node_t;

/* A trie being built: one for the patterns matched anywhere, one for those
 * matched at word starts. */
typedef struct {
    nm_ac_node_t *nodes;
    uint32_t nnodes, capnodes;
    nm_ac_out_t *outs;
    uint32_t nouts, capouts;
} nm_ac_trie_t;

struct nm_ac_builder_s {
    nm_ac_trie_t any, word;
    uint32_t nadds;
    uint8_t sep[256];
};

/* A compiled trie. It mixes two state forms, so that it stays small enough
 * for the cache and the memory budget as the rule set grows (a full DFA row
 * per state took 4 bytes x ~200 classes x every state: 58 MB for the 112,000
 * states of 24 languages):
 *  - dense: the root and the states with many edges (the hot, shallow ones)
 *    keep a full row, one load per byte;
 *  - sparse: the others (nearly all, most with one edge) keep only their own
 *    edges and their fail state; a byte with no edge follows fail states
 *    until an edge or a dense row gives the DFA's next state.
 * Both give exactly the DFA's state after every byte, so the matches and
 * their order are those of the full DFA. States are numbered breadth-first
 * (the shallow states together at the start of each table), the word
 * trie's depth first (see nm_ac_compile).
 * The word trie has no fail links: a byte with no edge ends the walk
 * (NM_AC_DEAD in its rows, and from its records).
 * A state id is tagged: NM_AC_OUT if the state has outputs (a byte without
 * a match then costs no output lookup), NM_AC_SPARSE, NM_AC_SPAWN if a word
 * prefix ends there, and the word offset of its dense row (rows have
 * nclasses + 1 words: the last is the first output) or of its sparse
 * record. The word trie's records are smaller: [n, n classes] in bytes,
 * n child ids, the first output if any (8 bytes for most states). */
#define NM_AC_OUT 0x80000000u
#define NM_AC_SPARSE 0x40000000u
#define NM_AC_SPAWN 0x20000000u
#define NM_AC_INDEX 0x1FFFFFFFu
#define NM_AC_DEAD NM_AC_INDEX
/* Edges from which a state gets a dense row: 4 cost 2.8 MB for 112,000
 * states in one automaton, as fast as a full DFA from a cold cache
 * (bench/RESULTS.md); the two tries of 117,000 states now take 1.7 MB. */
#define NM_AC_DENSE_EDGES 4
/* The automaton of the patterns matched anywhere (CJK and Thai mostly) is
 * small and steps on every byte of those scripts: rows from 2 edges cost
 * 134 KB and scan CJK text 10-25 % faster. */
#define NM_AC_DENSE_EDGES_ANY 2
/* Walks of the word trie alive at once: one per start within the longest
 * word pattern; longer word patterns go to the other trie (matched
 * anywhere, which reports more, never fewer, occurrences). */
#define NM_AC_WALKERS 256
/* Bits of the hashed set of three-byte starts (8 KB): the any trie's few
 * thousand leave most bits clear. */
#define NM_AC_TRIPLE_BITS 65536u

typedef struct {
    uint32_t *delta;   /* dense rows, nclasses + 1 tagged ids each */
    /* sparse records: fail id, first output, n, ceil(n/4) words of edge
     * classes (bytes), n child ids (the word trie's: see above) */
    uint32_t *sparse;
    nm_ac_out_t *outs; /* `next` links chain own outputs, then dict states' */
    uint32_t nstates, ndense, nclasses;
    size_t nsparse_words, nouts;
    uint8_t cls[256];
} nm_ac_dfa_t;

/* Patterns matched anywhere and patterns matched at word starts are two
 * automata scanned side by side. The word patterns (nearly all rule terms)
 * need no fail links: a walk starts at each word start and ends at the
 * first byte no pattern continues with, so most bytes of a text touch only
 * the small automaton of the others. */
struct nm_ac_s {
    nm_ac_dfa_t any, word;
    uint8_t sep[256];
    /* bit nm_ac_pair(b0, b1): while the automaton of the patterns matched
     * anywhere is at its root, b0 followed by b1 needs the full step only
     * if b0 is a separator (a word starts after it) or b0 b1 begins one of
     * those patterns (or b0 is one); other bytes leave it at the root */
    uint64_t stop[65536 / 64];
    /* bit nm_ac_pair(b0, b1): a stop pair that begins patterns only longer
     * than two bytes, so the third byte decides (stop3). Compound parts
     * matched anywhere ("*vertrag") begin with pairs common in every Latin
     * text ("ve", "te"): most of those starts end at the third byte */
    uint64_t third[65536 / 64];
    /* bit nm_ac_triple(b0, b1, b2): b0 b1 b2 may begin such a pattern (a
     * hash: a collision only costs a full step) */
    uint64_t stop3[NM_AC_TRIPLE_BITS / 64];
    /* a separator that begins no pattern matched anywhere: the skip takes
     * it itself when the walk ends there (the general step only would
     * start the next word's walk) */
    uint8_t skip_sep[256];
};

#define NONE UINT32_MAX

static int nm_ac_trie_init(nm_ac_trie_t *t) {
    t->capnodes = 1024;
    t->nodes = calloc(t->capnodes, sizeof *t->nodes);
    if (!t->nodes) return -1;
    t->nnodes = 1;
    t->nodes[0].out = NONE;
    return 0;
}

static void nm_ac_trie_free(nm_ac_trie_t *t) {
    for (uint32_t i = 0; i < t->nnodes; i++) free(t->nodes[i].edges);
    free(t->nodes);
    free(t->outs);
}

nm_ac_builder_t *nm_ac_builder_new(void) {
    nm_ac_builder_t *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    if (nm_ac_trie_init(&b->any) || nm_ac_trie_init(&b->word)) {
        nm_ac_builder_destroy(b);
        return NULL;
    }
    return b;
}

void nm_ac_builder_destroy(nm_ac_builder_t *b) {
    if (!b) return;
    nm_ac_trie_free(&b->any);
    nm_ac_trie_free(&b->word);
    free(b);
}

static uint32_t nm_ac_child(const nm_ac_node_t *n, uint8_t byte) {
    for (uint32_t i = 0; i < n->nedges; i++)
        if (n->edges[i].byte == byte) return n->edges[i].child;
    return NONE;
}

/* The trie path of pat (created as needed): its last node in *node. */
static nm_err_t nm_ac_path(nm_ac_trie_t *t, const char *pat, size_t len, uint32_t *node) {
    uint32_t s = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t byte = (uint8_t)pat[i];
        uint32_t c = nm_ac_child(&t->nodes[s], byte);
        if (c == NONE) {
            if (t->nnodes == t->capnodes) {
                nm_ac_node_t *nn = realloc(t->nodes, 2 * t->capnodes * sizeof *nn);
                if (!nn) return NM_ERR_NOMEM;
                t->nodes = nn;
                t->capnodes *= 2;
            }
            c = t->nnodes++;
            memset(&t->nodes[c], 0, sizeof t->nodes[c]);
            t->nodes[c].out = NONE;
            nm_ac_node_t *p = &t->nodes[s];
            if (p->nedges == p->capedges) {
                uint32_t nc = p->capedges ? p->capedges * 2 : 2;
                nm_ac_edge_t *ne = realloc(p->edges, nc * sizeof *ne);
                if (!ne) return NM_ERR_NOMEM;
                p->edges = ne;
                p->capedges = nc;
            }
            p->edges[p->nedges++] = (nm_ac_edge_t){byte, c};
        }
        s = c;
    }
    *node = s;
    return NM_OK;
}

static nm_err_t nm_ac_add(nm_ac_builder_t *b, nm_ac_trie_t *t, const char *pat, size_t len,
                          uint32_t id) {
    if (!len) return NM_ERR_CONFIG;
    uint32_t s;
    nm_err_t rc = nm_ac_path(t, pat, len, &s);
    if (rc) return rc;
    if (t->nouts == t->capouts) {
        uint32_t nc = t->capouts ? t->capouts * 2 : 256;
        nm_ac_out_t *no = realloc(t->outs, nc * sizeof *no);
        if (!no) return NM_ERR_NOMEM;
        t->outs = no;
        t->capouts = nc;
    }
    t->outs[t->nouts] = (nm_ac_out_t){id, (uint32_t)len, b->nadds++, t->nodes[s].out};
    t->nodes[s].out = t->nouts++;
    return NM_OK;
}

nm_err_t nm_ac_builder_add(nm_ac_builder_t *b, const char *pat, size_t len, uint32_t id) {
    return nm_ac_add(b, &b->any, pat, len, id);
}

nm_err_t nm_ac_builder_add_word(nm_ac_builder_t *b, const char *pat, size_t len, uint32_t id) {
    /* the walks alive at once are bounded by the longest word pattern */
    return nm_ac_add(b, len < NM_AC_WALKERS - 1 ? &b->word : &b->any, pat, len, id);
}

nm_err_t nm_ac_builder_add_prefix(nm_ac_builder_t *b, const char *p, size_t len) {
    if (!len || len >= NM_AC_WALKERS) return NM_ERR_CONFIG;
    for (size_t i = 0; i < len; i++)
        if (b->sep[(uint8_t)p[i]]) return NM_OK; /* can never be one word's first letters */
    uint32_t s;
    nm_err_t rc = nm_ac_path(&b->word, p, len, &s);
    if (rc) return rc;
    b->word.nodes[s].spawn = 1;
    return NM_OK;
}

void nm_ac_builder_separators(nm_ac_builder_t *b, const char *seps, size_t n) {
    for (size_t i = 0; i < n; i++) b->sep[(uint8_t)seps[i]] = 1;
}

static int nm_ac_is_dense(const nm_ac_node_t *n, uint32_t s, int word) {
    return s == 0 || n->nedges >= (word ? NM_AC_DENSE_EDGES : NM_AC_DENSE_EDGES_ANY);
}

/* Goto-with-fail on the trie (build time): the state after `byte` in s;
 * in the word trie (no fail links) NONE when no pattern continues. */
static uint32_t nm_ac_goto(const nm_ac_trie_t *t, int word, uint32_t s, uint8_t byte) {
    for (;;) {
        uint32_t c = nm_ac_child(&t->nodes[s], byte);
        if (c != NONE || word) return c;
        if (s == 0) return 0;
        s = t->nodes[s].fail;
    }
}

/* Compile trie t into a; word: no fail links and no dict chains (a word
 * walk reports only the pattern it spells). */
static nm_err_t nm_ac_compile(nm_ac_trie_t *t, int word, nm_ac_dfa_t *a, char *errstr,
                              size_t errstr_size) {
    nm_err_t rc = NM_ERR_NOMEM;
    uint32_t *queue = malloc(t->nnodes * sizeof *queue);
    uint32_t *id = malloc(t->nnodes * sizeof *id); /* trie node -> tagged state id */
    uint32_t *first = malloc(t->nnodes * sizeof *first);
    if (!queue || !id || !first) goto out;

    /* byte classes: class 0 holds the bytes in no pattern (if there are
     * any), then each byte used by a pattern gets its own class; rep[k] is
     * a byte of class k */
    int used[256] = {0}, nused = 0;
    uint8_t rep[256] = {0};
    for (uint32_t i = 0; i < t->nnodes; i++)
        for (uint32_t e = 0; e < t->nodes[i].nedges; e++) used[t->nodes[i].edges[e].byte] = 1;
    for (int c = 0; c < 256; c++) nused += used[c];
    a->nclasses = nused < 256;
    for (int c = 0; c < 256; c++) {
        if (!used[c]) {
            a->cls[c] = 0;
            rep[0] = (uint8_t)c;
            continue;
        }
        a->cls[c] = (uint8_t)a->nclasses;
        rep[a->nclasses++] = (uint8_t)c;
    }
    a->nstates = t->nnodes;

    /* BFS order with fail and dict links; the automaton's states are
     * numbered in that order (shallow, hot states first and together), the
     * word trie's depth first (a walk's next record is mostly the next one
     * in memory) */
    uint32_t head = 0, tail = 0;
    queue[tail++] = 0;
    t->nodes[0].fail = 0;
    t->nodes[0].dict = NONE;
    while (head < tail) {
        const nm_ac_node_t *n = &t->nodes[queue[head++]];
        for (uint32_t e = 0; e < n->nedges; e++) {
            uint32_t c = n->edges[e].child;
            uint32_t f = word || n == t->nodes ? 0 : nm_ac_goto(t, 0, n->fail, n->edges[e].byte);
            t->nodes[c].fail = f;
            t->nodes[c].dict = word ? NONE : t->nodes[f].out != NONE ? f : t->nodes[f].dict;
            queue[tail++] = c;
        }
    }
    if (word) { /* preorder, children in the order they were added */
        uint32_t *stack = first, top = 0;
        tail = 0;
        stack[top++] = 0;
        while (top) {
            const nm_ac_node_t *n = &t->nodes[queue[tail++] = stack[--top]];
            for (uint32_t e = n->nedges; e-- > 0;) stack[top++] = n->edges[e].child;
        }
    }
    size_t words = 0, dwords = 0;
    for (uint32_t q = 0; q < tail; q++) {
        uint32_t s = queue[q];
        const nm_ac_node_t *n = &t->nodes[s];
        if (nm_ac_is_dense(n, s, word)) {
            id[s] = (uint32_t)dwords;
            dwords += a->nclasses + 1;
            a->ndense++;
        } else {
            id[s] = NM_AC_SPARSE | (uint32_t)words;
            words += word ? (n->nedges + 4) / 4 + n->nedges + (n->out != NONE)
                          : 3 + (n->nedges + 3) / 4 + n->nedges;
        }
        if (n->spawn) id[s] |= NM_AC_SPAWN;
        if (words >= NM_AC_INDEX || dwords >= NM_AC_INDEX) {
            rc = nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "too many patterns for the matcher");
            goto out;
        }
    }

    /* flatten outputs: for each state, its own outputs then its dict chain's,
     * as one linked list in a new array (so scanning never walks fail links) */
    size_t total = 0;
    for (uint32_t s = 0; s < a->nstates; s++)
        for (uint32_t d = s; d != NONE; d = t->nodes[d].dict)
            for (uint32_t o = t->nodes[d].out; o != NONE; o = t->outs[o].next) total++;
    a->outs = malloc((total ? total : 1) * sizeof *a->outs);
    a->delta = malloc(dwords * sizeof *a->delta);
    a->sparse = malloc((words ? words : 1) * sizeof *a->sparse);
    if (!a->outs || !a->delta || !a->sparse) goto out;
    size_t k = 0;
    for (uint32_t s = 0; s < a->nstates; s++) {
        first[s] = NONE;
        uint32_t prev = NONE;
        for (uint32_t d = s; d != NONE; d = t->nodes[d].dict)
            for (uint32_t o = t->nodes[d].out; o != NONE; o = t->outs[o].next) {
                a->outs[k] = t->outs[o];
                a->outs[k].next = NONE;
                if (prev == NONE) first[s] = (uint32_t)k;
                else a->outs[prev].next = (uint32_t)k;
                prev = (uint32_t)k++;
            }
        if (first[s] != NONE) id[s] |= NM_AC_OUT;
    }
    a->nouts = k;
    a->nsparse_words = words;

    /* the tables, with tagged ids */
    for (uint32_t s = 0; s < a->nstates; s++) {
        const nm_ac_node_t *n = &t->nodes[s];
        uint32_t x = id[s] & NM_AC_INDEX;
        if (!(id[s] & NM_AC_SPARSE)) {
            uint32_t *row = a->delta + x;
            for (uint32_t c = 0; c < a->nclasses; c++) {
                uint32_t to = nm_ac_goto(t, word, s, rep[c]);
                row[c] = to == NONE ? NM_AC_DEAD : id[to];
            }
            row[a->nclasses] = first[s];
            continue;
        }
        uint32_t *r = a->sparse + x, *child;
        uint8_t *cl;
        if (word) { /* the count and classes in bytes, children, first output */
            memset(r, 0, (n->nedges + 4) / 4 * sizeof *r);
            cl = (uint8_t *)r;
            *cl++ = (uint8_t)n->nedges;
            child = r + (n->nedges + 4) / 4;
            if (first[s] != NONE) child[n->nedges] = first[s];
        } else {
            r[0] = id[n->fail];
            r[1] = first[s];
            r[2] = n->nedges;
            cl = (uint8_t *)(r + 3);
            memset(cl, 0, (n->nedges + 3) / 4 * sizeof *r);
            child = r + 3 + (n->nedges + 3) / 4;
        }
        for (uint32_t e = 0; e < n->nedges; e++) {
            cl[e] = a->cls[n->edges[e].byte];
            child[e] = id[n->edges[e].child];
        }
    }
    rc = NM_OK;
out:
    free(queue);
    free(id);
    free(first);
    if (rc == NM_ERR_NOMEM)
        nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory building the matcher");
    return rc;
}

/* The index of the byte pair b0 b1 in `stop`: the pair as one 16-bit load
 * from the text reads it (in the machine's byte order). */
static inline uint32_t nm_ac_pair(const void *p) {
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void nm_ac_bit(uint64_t *set, uint32_t k) { set[k >> 6] |= 1ull << (k & 63); }

static inline int nm_ac_has(const uint64_t *set, uint32_t k) { return set[k >> 6] >> (k & 63) & 1; }

static uint32_t nm_ac_pair_of(uint32_t b0, uint32_t b1) {
    const uint8_t pair[2] = {(uint8_t)b0, (uint8_t)b1};
    return nm_ac_pair(pair);
}

static inline uint32_t nm_ac_triple(uint32_t pair, uint32_t b2) {
    return (pair * 0x9E3779B1u ^ b2 * 0x85EBCA6Bu) >> (32 - 16);
}
_Static_assert(NM_AC_TRIPLE_BITS == 1u << 16, "nm_ac_triple keeps 16 bits");

/* The stop sets (see nm_ac_s) from the any trie's first three levels. */
static void nm_ac_stops(nm_ac_t *ac, const nm_ac_trie_t *any, int word_on) {
    const nm_ac_node_t *root = &any->nodes[0];
    for (uint32_t b0 = 0; b0 < 256; b0++) {
        uint32_t c1 = nm_ac_child(root, (uint8_t)b0);
        const nm_ac_node_t *n1 = c1 == NONE ? NULL : &any->nodes[c1];
        int all = ac->sep[b0] || (n1 && n1->out != NONE); /* b0 followed by anything */
        for (uint32_t b1 = 0; all && b1 < 256; b1++) nm_ac_bit(ac->stop, nm_ac_pair_of(b0, b1));
        ac->skip_sep[b0] = ac->sep[b0] && word_on && !n1;
        if (all || !n1) continue;
        for (uint32_t e = 0; e < n1->nedges; e++) {
            const nm_ac_node_t *n2 = &any->nodes[n1->edges[e].child];
            uint32_t p = nm_ac_pair_of(b0, n1->edges[e].byte);
            nm_ac_bit(ac->stop, p);
            if (n2->out != NONE) continue; /* b0 b1 is a pattern */
            nm_ac_bit(ac->third, p);
            for (uint32_t f = 0; f < n2->nedges; f++)
                nm_ac_bit(ac->stop3, nm_ac_triple(p, n2->edges[f].byte));
        }
    }
}

nm_ac_t *nm_ac_build(nm_ac_builder_t *b, char *errstr, size_t errstr_size) {
    nm_ac_t *ac = calloc(1, sizeof *ac);
    if (!ac) {
        nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory building the matcher");
    } else if (nm_ac_compile(&b->any, 0, &ac->any, errstr, errstr_size) ||
               nm_ac_compile(&b->word, 1, &ac->word, errstr, errstr_size)) {
        nm_ac_destroy(ac);
        ac = NULL;
    } else {
        memcpy(ac->sep, b->sep, sizeof ac->sep);
        nm_ac_stops(ac, &b->any, b->word.nnodes > 1);
    }
    nm_ac_builder_destroy(b);
    return ac;
}

static void nm_ac_dfa_free(nm_ac_dfa_t *a) {
    free(a->delta);
    free(a->sparse);
    free(a->outs);
}

void nm_ac_destroy(nm_ac_t *ac) {
    if (!ac) return;
    nm_ac_dfa_free(&ac->any);
    nm_ac_dfa_free(&ac->word);
    free(ac);
}

/* The state after class c in state (fail links followed). */
static inline uint32_t nm_ac_step(const nm_ac_dfa_t *a, uint32_t state, uint32_t c) {
    for (;;) {
        if (!(state & NM_AC_SPARSE)) return a->delta[(state & NM_AC_INDEX) + c];
        const uint32_t *r = a->sparse + (state & NM_AC_INDEX);
        const uint8_t *cl = (const uint8_t *)(r + 3);
        uint32_t n = r[2], e = 0;
        while (e < n && cl[e] != c) e++;
        if (e < n) return r[3 + (n + 3) / 4 + e];
        state = r[0]; /* no edge: the fail state decides */
    }
}

/* The word trie's state after class c, or NM_AC_DEAD. */
static inline uint32_t nm_ac_walk(const nm_ac_dfa_t *a, uint32_t state, uint32_t c) {
    if (!(state & NM_AC_SPARSE)) return a->delta[(state & NM_AC_INDEX) + c];
    const uint32_t *r = a->sparse + (state & NM_AC_INDEX);
    const uint8_t *cl = (const uint8_t *)r;
    uint32_t n = cl[0], e = 1;
    if (n == 1) return cl[1] == c ? r[1] : NM_AC_DEAD; /* most states: a chain */
    while (e <= n && cl[e] != c) e++;
    return e <= n ? r[(n + 4) / 4 + e - 1] : NM_AC_DEAD;
}

/* The first output of a state that has outputs (word: of the word trie). */
static uint32_t nm_ac_first(const nm_ac_dfa_t *a, int word, uint32_t state) {
    const uint32_t *r = a->sparse + (state & NM_AC_INDEX);
    if (!(state & NM_AC_SPARSE)) return a->delta[(state & NM_AC_INDEX) + a->nclasses];
    if (!word) return r[1];
    uint32_t n = *(const uint8_t *)r;
    return r[(n + 4) / 4 + n];
}

typedef struct {
    uint32_t start, state, primary; /* primary: started at a word start */
} nm_ac_walker_t;

/* Every match ending at `end`: the other trie's (longest first) merged with
 * those of the walks, whose starts ascend; one length is one pattern, whose
 * ids come in the order of the full automaton (last added first). */
static void nm_ac_report(const nm_ac_t *ac, uint32_t any, const nm_ac_walker_t *w, size_t nw,
                         size_t end, nm_ac_match_cb cb, void *ud) {
    const nm_ac_out_t *ao = ac->any.outs, *wo = ac->word.outs;
    uint32_t o = any & NM_AC_OUT ? nm_ac_first(&ac->any, 0, any) : NONE;
    for (size_t j = 0; j < nw; j++) {
        if (!(w[j].state & NM_AC_OUT)) continue;
        uint32_t len = (uint32_t)end - w[j].start;
        for (; o != NONE && ao[o].len > len; o = ao[o].next) cb(ud, ao[o].id, end, ao[o].len);
        for (uint32_t p = nm_ac_first(&ac->word, 1, w[j].state); p != NONE;) {
            if (o != NONE && ao[o].len == len && ao[o].rank > wo[p].rank) {
                cb(ud, ao[o].id, end, len);
                o = ao[o].next;
            } else {
                cb(ud, wo[p].id, end, len);
                p = wo[p].next;
            }
        }
    }
    for (; o != NONE; o = ao[o].next) cb(ud, ao[o].id, end, ao[o].len);
}

void nm_ac_scan(const nm_ac_t *ac, const char *s, size_t len, nm_ac_match_cb cb, void *ud) {
    const nm_ac_dfa_t *A = &ac->any, *W = &ac->word;
    const int any_on = A->nstates > 1, word_on = W->nstates > 1;
    nm_ac_walker_t w[NM_AC_WALKERS];
    size_t nw = 0;
    uint32_t state = 0;
    if (word_on && len) w[nw++] = (nm_ac_walker_t){0, 0, 1};
    for (size_t i = 0; i < len; i++) {
        /* the other automaton at its root: a byte that begins no pattern
         * pair leads it back to the root at the next byte, so until a stop
         * only the word being walked, if any, needs a step */
        if (!state && nw <= 1)
            for (; i + 1 < len; i++) {
                /* the stop pairs' test first: it is true at word ends and
                 * seldom in words, where testing the byte's kind first
                 * mispredicted on every common letter that begins a stop
                 * pair (a branch per letter costs more than the load) */
                uint32_t p = nm_ac_pair(s + i), c = (uint8_t)s[i];
                if (nm_ac_has(ac->stop, p)) {
                    if (ac->skip_sep[c]) { /* the general step's, when the walk ends here */
                        if (nw && nm_ac_walk(W, w[0].state, W->cls[c]) != NM_AC_DEAD) break;
                        w[0] = (nm_ac_walker_t){(uint32_t)i + 1, 0, 1};
                        nw = 1;
                        continue;
                    }
                    if (i + 2 >= len || !nm_ac_has(ac->third, p) ||
                        nm_ac_has(ac->stop3, nm_ac_triple(p, (uint8_t)s[i + 2])))
                        break;
                }
                if (!nw) { /* no walk: nothing to do until a stop pair */
                    while (i + 2 < len && !nm_ac_has(ac->stop, nm_ac_pair(s + i + 1))) i++;
                    continue;
                }
                uint32_t st = nm_ac_walk(W, w[0].state, W->cls[c]);
                w[0].state = st;
                if (st == NM_AC_DEAD) {
                    nw = 0;
                    continue;
                }
                if (!(st & (NM_AC_OUT | NM_AC_SPAWN))) continue;
                if (st & NM_AC_OUT) nm_ac_report(ac, 0, w, 1, i + 1, cb, ud);
                if ((st & NM_AC_SPAWN) && w[0].primary) {
                    w[nw++] = (nm_ac_walker_t){(uint32_t)i + 1, 0, 0};
                    i++; /* this byte is done: the general step takes the next */
                    break;
                }
            }
        uint8_t byte = (uint8_t)s[i];
        if (any_on) state = nm_ac_step(A, state, A->cls[byte]);
        uint32_t flags = 0;
        if (nw == 1) { /* the common case: one word being walked */
            flags = nm_ac_walk(W, w[0].state, W->cls[byte]);
            w[0].state = flags;
            if (flags == NM_AC_DEAD) nw = flags = 0;
        } else if (nw) {
            uint32_t c = W->cls[byte];
            size_t k = 0;
            for (size_t j = 0; j < nw; j++) {
                uint32_t st = nm_ac_walk(W, w[j].state, c);
                if (st == NM_AC_DEAD) continue;
                w[k] = w[j];
                w[k++].state = st;
                flags |= st;
            }
            nw = k;
        }
        if ((state | flags) & NM_AC_OUT) nm_ac_report(ac, state, w, nw, i + 1, cb, ud);
        if (flags & NM_AC_SPAWN) /* a word prefix: word patterns may start after it */
            for (size_t j = 0, n0 = nw; j < n0; j++)
                if (w[j].primary && (w[j].state & NM_AC_SPAWN))
                    w[nw++] = (nm_ac_walker_t){(uint32_t)i + 1, 0, 0};
        if (word_on && ac->sep[byte]) w[nw++] = (nm_ac_walker_t){(uint32_t)i + 1, 0, 1};
    }
}

size_t nm_ac_states(const nm_ac_t *ac) { return ac->any.nstates + ac->word.nstates - 1; }

static size_t nm_ac_dfa_memory(const nm_ac_dfa_t *a) {
    return a->nouts * sizeof *a->outs +
           (size_t)a->ndense * (a->nclasses + 1) * sizeof *a->delta +
           a->nsparse_words * sizeof *a->sparse;
}

size_t nm_ac_memory(const nm_ac_t *ac) {
    return sizeof *ac + nm_ac_dfa_memory(&ac->any) + nm_ac_dfa_memory(&ac->word);
}
