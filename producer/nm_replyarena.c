/* nm_replyarena.c - hiredis reply objects in arena blocks (why: the
 * header). The functions mirror hiredis 0.14's defaults (read.c's
 * create*Object): the same redisReply layout, linked into the parent
 * array the same way, so readers of the replies see no difference. */
#include "nm_replyarena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct nm_block_s {
    struct nm_block_s *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
} nm_block_t;

struct nm_replyarena_s {
    nm_block_t *head; /* the block being filled; older ones behind it */
};

/* A zeroed, 16-byte aligned piece of n bytes, or NULL when out of memory. */
static void *nm_arena_alloc(nm_replyarena_t *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    nm_block_t *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = b ? 2 * b->size : NM_REPLYARENA_BLOCK;
        if (size < n) size = n;
        nm_block_t *nb = malloc(sizeof *nb + size);
        if (!nb) return NULL;
        nb->next = b;
        nb->size = size;
        nb->used = 0;
        a->head = b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    return memset(p, 0, n);
}

static redisReply *nm_arena_reply(const redisReadTask *task, int type) {
    redisReply *r = nm_arena_alloc(task->privdata, sizeof *r);
    if (!r) return NULL;
    r->type = type;
    if (task->parent) {
        redisReply *parent = task->parent->obj;
        parent->element[task->idx] = r;
    }
    return r;
}

static void *nm_arena_string(const redisReadTask *task, char *str, size_t len) {
    char *buf = nm_arena_alloc(task->privdata, len + 1);
    if (!buf) return NULL;
    memcpy(buf, str, len); /* zeroed: NUL-terminated */
    redisReply *r = nm_arena_reply(task, task->type);
    if (!r) return NULL;
    r->str = buf;
    r->len = len;
    return r;
}

static void *nm_arena_array(const redisReadTask *task, int elements) {
    redisReply **el = NULL;
    if (elements > 0 && !(el = nm_arena_alloc(task->privdata, (size_t)elements * sizeof *el)))
        return NULL;
    redisReply *r = nm_arena_reply(task, REDIS_REPLY_ARRAY);
    if (!r) return NULL;
    r->element = el;
    r->elements = elements > 0 ? (size_t)elements : 0;
    return r;
}

static void *nm_arena_integer(const redisReadTask *task, long long value) {
    redisReply *r = nm_arena_reply(task, REDIS_REPLY_INTEGER);
    if (r) r->integer = value;
    return r;
}

static void *nm_arena_nil(const redisReadTask *task) {
    return nm_arena_reply(task, REDIS_REPLY_NIL);
}

static void nm_arena_noop(void *reply) { (void)reply; } /* freed by the reset */

static redisReplyObjectFunctions nm_arena_fns = {nm_arena_string, nm_arena_array,
                                                 nm_arena_integer, nm_arena_nil, nm_arena_noop};

nm_replyarena_t *nm_replyarena_new(void) { return calloc(1, sizeof(nm_replyarena_t)); }

static int nm_arena_owns(const nm_replyarena_t *a, const void *p) {
    for (const nm_block_t *b = a ? a->head : NULL; b; b = b->next)
        if ((uintptr_t)p >= (uintptr_t)b->data && (uintptr_t)p < (uintptr_t)(b->data + b->size))
            return 1;
    return 0;
}

int nm_replyarena_read(nm_replyarena_t *a, redisContext *rc, void **reply) {
    if (!a) return redisGetReply(rc, reply);
    redisReader *rd = rc->reader;
    redisReplyObjectFunctions *fn = rd->fn;
    void *priv = rd->privdata;
    rd->fn = &nm_arena_fns;
    rd->privdata = a;
    int res = redisGetReply(rc, reply);
    rd->fn = fn;
    rd->privdata = priv;
    /* an I/O error mid-reply leaves the partial reply in the reader, which
     * redisFree would free with hiredis's own functions: it is the arena's */
    if (rd->reply && nm_arena_owns(a, rd->reply)) rd->reply = NULL;
    return res;
}

void nm_replyarena_free(const nm_replyarena_t *a, void *reply) {
    if (reply && !nm_arena_owns(a, reply)) freeReplyObject(reply);
}

void nm_replyarena_reset(nm_replyarena_t *a) {
    if (!a || !a->head) return;
    nm_block_t *b = a->head->next; /* keep the newest, largest block */
    a->head->next = NULL;
    a->head->used = 0;
    while (b) {
        nm_block_t *n = b->next;
        free(b);
        b = n;
    }
}

void nm_replyarena_destroy(nm_replyarena_t *a) {
    if (!a) return;
    while (a->head) {
        nm_block_t *b = a->head;
        a->head = b->next;
        free(b);
    }
    free(a);
}
