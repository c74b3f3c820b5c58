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
    uint32_t depth;
} nm_ac_node_t;

struct nm_ac_builder_s {
    nm_ac_node_t *nodes;
    uint32_t nnodes, capnodes;
    nm_ac_out_t *outs;
    uint32_t nouts, capouts;
    int failed;
};

/* A full DFA over byte classes, laid out for the cache:
 *  - states are numbered breadth-first, so the shallow states, where the
 *    scan spends most of its time, sit together at the start of the table;
 *  - a state id is the offset of its row (no multiply per byte), tagged with
 *    NM_AC_OUT when the state has outputs, so a byte without a match costs
 *    one load from the table and nothing else;
 *  - each row ends with the index of the state's first output, beside its
 *    transitions instead of in a separate array. */
#define NM_AC_OUT 0x80000000u
#define NM_AC_ROW 0x7FFFFFFFu

struct nm_ac_s {
    uint32_t *delta;   /* nstates rows of nclasses tagged ids + first output */
    nm_ac_out_t *outs; /* `next` links chain own outputs, then dict states' */
    uint32_t nstates, nclasses, stride;
    size_t nouts;
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
            b->nodes[c].depth = (uint32_t)(i + 1);
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

nm_ac_t *nm_ac_build(nm_ac_builder_t *b, char *errstr, size_t errstr_size) {
    nm_ac_t *ac = calloc(1, sizeof *ac);
    uint32_t *queue = malloc(b->nnodes * sizeof *queue); /* BFS position -> trie node */
    uint32_t *first = malloc(b->nnodes * sizeof *first); /* trie node -> first output */
    uint32_t *pos = malloc(b->nnodes * sizeof *pos);     /* trie node -> BFS position */
    if (!ac || !queue || !first || !pos) goto oom;

    /* byte classes: each byte used by a pattern gets its own class */
    int used[256] = {0};
    for (uint32_t i = 0; i < b->nnodes; i++)
        for (uint32_t e = 0; e < b->nodes[i].nedges; e++) used[b->nodes[i].edges[e].byte] = 1;
    ac->nclasses = 1;
    for (int c = 0; c < 256; c++) ac->cls[c] = used[c] ? (uint8_t)ac->nclasses++ : 0;
    ac->stride = ac->nclasses + 1;
    ac->nstates = b->nnodes;
    if ((size_t)ac->nstates * ac->stride > NM_AC_ROW) {
        free(queue);
        free(first);
        free(pos);
        nm_ac_builder_destroy(b);
        nm_ac_destroy(ac);
        nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "too many patterns for the matcher");
        return NULL;
    }
    ac->delta = calloc((size_t)ac->nstates * ac->stride, sizeof *ac->delta);
    if (!ac->delta) goto oom;

    /* fail and dict links breadth-first (trie order), and the flattened
     * outputs: for each state, its own outputs then its dict chain's, as
     * one linked list (so scanning never walks fail links) */
    uint32_t head = 0, tail = 0;
    queue[tail++] = 0;
    b->nodes[0].fail = 0;
    b->nodes[0].dict = NONE;
    while (head < tail) {
        const nm_ac_node_t *n = &b->nodes[queue[head++]];
        for (uint32_t e = 0; e < n->nedges; e++) {
            uint32_t c = n->edges[e].child, f = 0;
            if (n != b->nodes) { /* the fail of a root child is the root */
                uint32_t k = n->fail;
                for (;;) {
                    f = nm_ac_child(&b->nodes[k], n->edges[e].byte);
                    if (f != NONE || k == 0) break;
                    k = b->nodes[k].fail;
                }
                if (f == NONE) f = 0;
            }
            b->nodes[c].fail = f;
            b->nodes[c].dict = b->nodes[f].out != NONE ? f : b->nodes[f].dict;
            pos[c] = tail;
            queue[tail++] = c;
        }
    }
    pos[0] = 0;
    size_t total = 0;
    for (uint32_t s = 0; s < ac->nstates; s++)
        for (uint32_t d = s; d != NONE; d = b->nodes[d].dict)
            for (uint32_t o = b->nodes[d].out; o != NONE; o = b->outs[o].next) total++;
    ac->outs = malloc((total ? total : 1) * sizeof *ac->outs);
    if (!ac->outs) goto oom;
    size_t k = 0;
    for (uint32_t q = 0; q < ac->nstates; q++) { /* in BFS order, like the rows */
        uint32_t s = queue[q], prev = NONE;
        first[s] = NONE;
        for (uint32_t d = s; d != NONE; d = b->nodes[d].dict)
            for (uint32_t o = b->nodes[d].out; o != NONE; o = b->outs[o].next) {
                ac->outs[k] = (nm_ac_out_t){b->outs[o].id, b->outs[o].len, NONE};
                if (prev == NONE) first[s] = (uint32_t)k;
                else ac->outs[prev].next = (uint32_t)k;
                prev = (uint32_t)k++;
            }
    }
    ac->nouts = k;

    /* rows in BFS order: a row starts as a copy of its fail state's row
     * (earlier in BFS order), then the trie's own edges override it */
    for (uint32_t q = 0; q < ac->nstates; q++) {
        const nm_ac_node_t *n = &b->nodes[queue[q]];
        uint32_t *row = ac->delta + (size_t)q * ac->stride;
        if (q) memcpy(row, ac->delta + (size_t)pos[n->fail] * ac->stride,
                      ac->nclasses * sizeof *row);
        for (uint32_t e = 0; e < n->nedges; e++) {
            uint32_t c = n->edges[e].child;
            row[ac->cls[n->edges[e].byte]] =
                pos[c] * ac->stride | (first[c] != NONE ? NM_AC_OUT : 0);
        }
        row[ac->nclasses] = first[queue[q]];
    }
    free(queue);
    free(first);
    free(pos);
    nm_ac_builder_destroy(b);
    return ac;
oom:
    free(queue);
    free(first);
    free(pos);
    nm_ac_builder_destroy(b);
    nm_ac_destroy(ac);
    nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory building the matcher");
    return NULL;
}

void nm_ac_destroy(nm_ac_t *ac) {
    if (!ac) return;
    free(ac->delta);
    free(ac->outs);
    free(ac);
}

void nm_ac_scan(const nm_ac_t *ac, const char *s, size_t len, nm_ac_match_cb cb, void *ud) {
    const uint32_t *delta = ac->delta;
    const uint32_t nclasses = ac->nclasses;
    uint32_t state = 0;
    for (size_t i = 0; i < len; i++) {
        state = delta[(state & NM_AC_ROW) + ac->cls[(uint8_t)s[i]]];
        if (state & NM_AC_OUT) {
            uint32_t o = delta[(state & NM_AC_ROW) + nclasses];
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
           (size_t)ac->nstates * ac->stride * sizeof *ac->delta;
}
