/* nm_ac.c - Aho-Corasick compiled to a byte-class DFA. */
#include "nm_ac.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint32_t id, len;
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
} nm_ac_node_t;

struct nm_ac_builder_s {
    nm_ac_node_t *nodes;
    uint32_t nnodes, capnodes;
    nm_ac_out_t *outs;
    uint32_t nouts, capouts;
    int failed;
};

/* The compiled automaton mixes two state forms, so that it stays small
 * enough for the cache and the memory budget as the rule set grows (a full
 * DFA row per state took 4 bytes x ~200 classes x every state: 58 MB for the
 * 112,000 states of 24 languages):
 *  - dense: the root and the states with many edges (the hot, shallow ones)
 *    keep a full DFA row, one load per byte;
 *  - sparse: the others (nearly all, most with one edge) keep only their own
 *    edges and their fail state; a byte with no edge follows fail states
 *    until an edge or a dense row gives the DFA's next state.
 * Both give exactly the DFA's state after every byte, so the matches and
 * their order are those of the full DFA. States are numbered breadth-first
 * (the shallow states together at the start of each table).
 * A state id is tagged: NM_AC_OUT if the state has outputs (a byte without
 * a match then costs no output lookup), NM_AC_SPARSE, and the index of its
 * dense row or the word offset of its sparse record. */
#define NM_AC_OUT 0x80000000u
#define NM_AC_SPARSE 0x40000000u
#define NM_AC_INDEX 0x3FFFFFFFu
/* Edges from which a state gets a dense row: 4 costs 2.8 MB for 112,000
 * states, scans as fast as a full DFA from a cold cache and ~15 % slower
 * from a hot one (`nm_bench matcher`, bench/RESULTS.md). */
#define NM_AC_DENSE_EDGES 4

struct nm_ac_s {
    uint32_t *delta;   /* ndense x nclasses tagged ids */
    uint32_t *dfirst;  /* per dense state: first output, or NONE */
    /* sparse records: fail id, first output, n, ceil(n/4) words of edge
     * classes (bytes), n child ids */
    uint32_t *sparse;
    nm_ac_out_t *outs; /* `next` links chain own outputs, then dict states' */
    uint32_t nstates, ndense, nclasses;
    size_t nsparse_words, nouts;
    uint8_t cls[256];
};

#define NONE UINT32_MAX

nm_ac_builder_t *nm_ac_builder_new(void) {
    nm_ac_builder_t *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->capnodes = 1024;
    b->nodes = calloc(b->capnodes, sizeof *b->nodes);
    if (!b->nodes) { free(b); return NULL; }
    b->nnodes = 1;
    b->nodes[0].out = NONE;
    return b;
}

void nm_ac_builder_destroy(nm_ac_builder_t *b) {
    if (!b) return;
    for (uint32_t i = 0; i < b->nnodes; i++) free(b->nodes[i].edges);
    free(b->nodes);
    free(b->outs);
    free(b);
}

static uint32_t nm_ac_child(const nm_ac_node_t *n, uint8_t byte) {
    for (uint32_t i = 0; i < n->nedges; i++)
        if (n->edges[i].byte == byte) return n->edges[i].child;
    return NONE;
}

nm_err_t nm_ac_builder_add(nm_ac_builder_t *b, const char *pat, size_t len, uint32_t id) {
    if (!len) return NM_ERR_CONFIG;
    uint32_t s = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t byte = (uint8_t)pat[i];
        uint32_t c = nm_ac_child(&b->nodes[s], byte);
        if (c == NONE) {
            if (b->nnodes == b->capnodes) {
                nm_ac_node_t *nn = realloc(b->nodes, 2 * b->capnodes * sizeof *nn);
                if (!nn) return NM_ERR_NOMEM;
                b->nodes = nn;
                b->capnodes *= 2;
            }
            c = b->nnodes++;
            memset(&b->nodes[c], 0, sizeof b->nodes[c]);
            b->nodes[c].out = NONE;
            nm_ac_node_t *p = &b->nodes[s];
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
    if (b->nouts == b->capouts) {
        uint32_t nc = b->capouts ? b->capouts * 2 : 256;
        nm_ac_out_t *no = realloc(b->outs, nc * sizeof *no);
        if (!no) return NM_ERR_NOMEM;
        b->outs = no;
        b->capouts = nc;
    }
    b->outs[b->nouts] = (nm_ac_out_t){id, (uint32_t)len, b->nodes[s].out};
    b->nodes[s].out = b->nouts++;
    return NM_OK;
}

static int nm_ac_is_dense(const nm_ac_node_t *n, uint32_t s) {
    return s == 0 || n->nedges >= NM_AC_DENSE_EDGES;
}

/* Goto-with-fail on the trie (build time): the state after `byte` in s. */
static uint32_t nm_ac_goto(const nm_ac_builder_t *b, uint32_t s, uint8_t byte) {
    for (;;) {
        uint32_t c = nm_ac_child(&b->nodes[s], byte);
        if (c != NONE) return c;
        if (s == 0) return 0;
        s = b->nodes[s].fail;
    }
}

nm_ac_t *nm_ac_build(nm_ac_builder_t *b, char *errstr, size_t errstr_size) {
    nm_ac_t *ac = calloc(1, sizeof *ac);
    uint32_t *queue = malloc(b->nnodes * sizeof *queue);
    uint32_t *id = malloc(b->nnodes * sizeof *id); /* trie node -> tagged state id */
    uint32_t *first = malloc(b->nnodes * sizeof *first);
    if (!ac || !queue || !id || !first) goto oom;

    /* byte classes: class 0 holds the bytes in no pattern (if there are
     * any), then each byte used by a pattern gets its own class; rep[k] is
     * a byte of class k */
    int used[256] = {0}, nused = 0;
    uint8_t rep[256] = {0};
    for (uint32_t i = 0; i < b->nnodes; i++)
        for (uint32_t e = 0; e < b->nodes[i].nedges; e++) used[b->nodes[i].edges[e].byte] = 1;
    for (int c = 0; c < 256; c++) nused += used[c];
    ac->nclasses = nused < 256;
    for (int c = 0; c < 256; c++) {
        if (!used[c]) {
            ac->cls[c] = 0;
            rep[0] = (uint8_t)c;
            continue;
        }
        ac->cls[c] = (uint8_t)ac->nclasses;
        rep[ac->nclasses++] = (uint8_t)c;
    }
    ac->nstates = b->nnodes;

    /* BFS order (shallow, hot states first and together) with fail and
     * dict links, and the ids: dense rows and sparse records in that order */
    uint32_t head = 0, tail = 0;
    queue[tail++] = 0;
    b->nodes[0].fail = 0;
    b->nodes[0].dict = NONE;
    size_t words = 0;
    while (head < tail) {
        uint32_t s = queue[head++];
        nm_ac_node_t *n = &b->nodes[s];
        if (nm_ac_is_dense(n, s)) {
            id[s] = ac->ndense++;
        } else {
            id[s] = NM_AC_SPARSE | (uint32_t)words;
            words += 3 + (n->nedges + 3) / 4 + n->nedges;
        }
        for (uint32_t e = 0; e < n->nedges; e++) {
            uint32_t c = n->edges[e].child;
            uint32_t f = s == 0 ? 0 : nm_ac_goto(b, n->fail, n->edges[e].byte);
            b->nodes[c].fail = f;
            b->nodes[c].dict = b->nodes[f].out != NONE ? f : b->nodes[f].dict;
            queue[tail++] = c;
        }
    }
    if (words > NM_AC_INDEX || ac->ndense > NM_AC_INDEX / ac->nclasses) {
        free(queue);
        free(id);
        free(first);
        nm_ac_builder_destroy(b);
        nm_ac_destroy(ac);
        nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "too many patterns for the matcher");
        return NULL;
    }

    /* flatten outputs: for each state, its own outputs then its dict chain's,
     * as one linked list in a new array (so scanning never walks fail links) */
    size_t total = 0;
    for (uint32_t s = 0; s < ac->nstates; s++)
        for (uint32_t d = s; d != NONE; d = b->nodes[d].dict)
            for (uint32_t o = b->nodes[d].out; o != NONE; o = b->outs[o].next) total++;
    ac->outs = malloc((total ? total : 1) * sizeof *ac->outs);
    ac->delta = malloc((size_t)ac->ndense * ac->nclasses * sizeof *ac->delta);
    ac->dfirst = malloc(ac->ndense * sizeof *ac->dfirst);
    ac->sparse = malloc((words ? words : 1) * sizeof *ac->sparse);
    if (!ac->outs || !ac->delta || !ac->dfirst || !ac->sparse) goto oom;
    size_t k = 0;
    for (uint32_t s = 0; s < ac->nstates; s++) {
        first[s] = NONE;
        uint32_t prev = NONE;
        for (uint32_t d = s; d != NONE; d = b->nodes[d].dict)
            for (uint32_t o = b->nodes[d].out; o != NONE; o = b->outs[o].next) {
                ac->outs[k] = (nm_ac_out_t){b->outs[o].id, b->outs[o].len, NONE};
                if (prev == NONE) first[s] = (uint32_t)k;
                else ac->outs[prev].next = (uint32_t)k;
                prev = (uint32_t)k++;
            }
        if (first[s] != NONE) id[s] |= NM_AC_OUT;
    }
    ac->nouts = k;
    ac->nsparse_words = words;

    /* the tables, with tagged ids */
    for (uint32_t s = 0; s < ac->nstates; s++) {
        const nm_ac_node_t *n = &b->nodes[s];
        uint32_t x = id[s] & NM_AC_INDEX;
        if (!(id[s] & NM_AC_SPARSE)) {
            uint32_t *row = ac->delta + (size_t)x * ac->nclasses;
            for (uint32_t c = 0; c < ac->nclasses; c++) row[c] = id[nm_ac_goto(b, s, rep[c])];
            ac->dfirst[x] = first[s];
            continue;
        }
        uint32_t *r = ac->sparse + x;
        r[0] = id[n->fail];
        r[1] = first[s];
        r[2] = n->nedges;
        uint8_t *cl = (uint8_t *)(r + 3);
        memset(cl, 0, (n->nedges + 3) / 4 * sizeof *r);
        uint32_t *child = r + 3 + (n->nedges + 3) / 4;
        for (uint32_t e = 0; e < n->nedges; e++) {
            cl[e] = ac->cls[n->edges[e].byte];
            child[e] = id[n->edges[e].child];
        }
    }
    free(queue);
    free(id);
    free(first);
    nm_ac_builder_destroy(b);
    return ac;
oom:
    free(queue);
    free(id);
    free(first);
    nm_ac_builder_destroy(b);
    nm_ac_destroy(ac);
    nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory building the matcher");
    return NULL;
}

void nm_ac_destroy(nm_ac_t *ac) {
    if (!ac) return;
    free(ac->delta);
    free(ac->dfirst);
    free(ac->sparse);
    free(ac->outs);
    free(ac);
}

void nm_ac_scan(const nm_ac_t *ac, const char *s, size_t len, nm_ac_match_cb cb, void *ud) {
    const uint32_t *delta = ac->delta, *sparse = ac->sparse;
    const uint32_t nclasses = ac->nclasses;
    uint32_t state = 0;
    for (size_t i = 0; i < len; i++) {
        uint32_t c = ac->cls[(uint8_t)s[i]];
        for (;;) {
            if (!(state & NM_AC_SPARSE)) {
                state = delta[(size_t)(state & NM_AC_INDEX) * nclasses + c];
                break;
            }
            const uint32_t *r = sparse + (state & NM_AC_INDEX);
            const uint8_t *cl = (const uint8_t *)(r + 3);
            uint32_t n = r[2], e = 0;
            while (e < n && cl[e] != c) e++;
            if (e < n) {
                state = r[3 + (n + 3) / 4 + e];
                break;
            }
            state = r[0]; /* no edge: the fail state decides */
        }
        if (state & NM_AC_OUT) {
            uint32_t o = state & NM_AC_SPARSE ? sparse[(state & NM_AC_INDEX) + 1]
                                              : ac->dfirst[state & NM_AC_INDEX];
            do {
                cb(ud, ac->outs[o].id, i + 1, ac->outs[o].len);
                o = ac->outs[o].next;
            } while (o != NONE);
        }
    }
}

size_t nm_ac_states(const nm_ac_t *ac) { return ac->nstates; }

size_t nm_ac_memory(const nm_ac_t *ac) {
    return sizeof *ac + ac->nouts * sizeof *ac->outs +
           (size_t)ac->ndense * ac->nclasses * sizeof *ac->delta +
           ac->ndense * sizeof *ac->dfirst + ac->nsparse_words * sizeof *ac->sparse;
}
