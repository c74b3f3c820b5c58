/* nm_explain.c - the tagging trace of one article (see nm_explain.h). */
#include "nm_explain.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    nm_trace_hit_t *hits;
    size_t n, cap;
    int oom;
} nm_explain_t;

static void nm_explain_collect(void *ud, const nm_trace_hit_t *hit) {
    nm_explain_t *X = ud;
    if (X->n == X->cap) {
        size_t nc = X->cap ? X->cap * 2 : 64;
        nm_trace_hit_t *nh = realloc(X->hits, nc * sizeof *nh);
        if (!nh) { X->oom = 1; return; }
        X->hits = nh;
        X->cap = nc;
    }
    X->hits[X->n++] = *hit;
}

static const char *nm_kind_name(const nm_rules_t *r, const nm_term_t *t, char *buf, size_t n) {
    if (t->kind == NM_TERM_TOPIC) snprintf(buf, n, "topic:%s", r->topics[t->target].id);
    else snprintf(buf, n, "%s", t->kind == NM_TERM_COOP ? "cooperation" : "negative");
    return buf;
}

static const char *nm_ctx_name(double ctx) {
    if (ctx == 1) return "both sides in the sentence";
    if (ctx == 0) return "no context";
    return "both sides in the paragraph or article";
}

/* The sentence holding [start, end) of the normalised text. */
static void nm_print_sentence(FILE *f, const char *s, size_t len, uint32_t start) {
    size_t a = start, b = start;
    while (a > 0 && s[a - 1] != '.' && s[a - 1] != '\n') a--;
    while (b < len && s[b] != '.' && s[b] != '\n') b++;
    if (b - a > 240) {
        a = start > 100 ? start - 100 : a;
        b = b - a > 240 ? a + 240 : b;
        while (a < b && ((unsigned char)s[a] & 0xC0) == 0x80) a++;
        while (b > a && b < len && ((unsigned char)s[b] & 0xC0) == 0x80) b--;
    }
    fprintf(f, "        | %.*s\n", (int)(b - a), s + a);
}

const nm_pipeline_out_t *nm_explain_article(FILE *f, const nm_rules_t *r,
                                            nm_pipeline_proc_t *p, const char *buf,
                                            size_t len) {
    nm_explain_t X = {0};
    nm_tagger_ws_t *ws = nm_pipeline_proc_ws(p);
    nm_tagger_set_trace(ws, nm_explain_collect, &X);
    const nm_pipeline_out_t *o = nm_pipeline_article(p, r, buf, len, NULL);
    nm_tagger_set_trace(ws, NULL, NULL);
    if (o->err) {
        free(X.hits);
        return o;
    }
    const nm_article_t *a = o->article;
    const nm_tag_result_t *res = o->tags;
    const nm_rule_settings_t *set = &r->settings;
    size_t tlen;
    const char *text = nm_tagger_text(ws, &tlen);
    fprintf(f, "== %s  lang %s  relevant %s  score %.2f (relevance_threshold %.2f; a sentence "
               "or paragraph naming both sides: %s)\n",
            a->id, res->lang, res->relevant ? "yes" : "no", res->score,
            set->relevance_threshold, res->joint ? "yes" : "no");
    fprintf(f, "   settings: paragraph_factor %.2f, document_factor %.2f, title_factor %.2f, "
               "lead_factor %.2f (first %ld chars), strong_weight %.2f, max_term_hits %ld, "
               "secondary_min_sentences %ld\n",
            set->paragraph_factor, set->document_factor, set->title_factor, set->lead_factor,
            set->lead_chars, set->strong_weight, set->max_term_hits, set->secondary_min_sentences);
    fprintf(f, "   hits (sentence s, paragraph p; contribution = weight x context x position)%s:\n",
            X.oom ? " (incomplete: out of memory)" : "");
    for (size_t i = 0; i < X.n; i++) {
        const nm_trace_hit_t *h = &X.hits[i];
        char kind[80];
        nm_kind_name(r, h->term, kind, sizeof kind);
        double w = h->term->strong ? set->strong_weight : 1.0;
        if (h->skipped)
            fprintf(f, "     s%-3u p%-3u %-28s %-24s (%s)  not counted: %s\n", h->sentence,
                    h->paragraph, kind, h->term->text, h->term->rule, h->skipped);
        else
            fprintf(f, "     s%-3u p%-3u %-28s %-24s (%s)  %.2f x %.2f (%s) x %.2f = %+.2f\n",
                    h->sentence, h->paragraph, kind, h->term->text, h->term->rule, w, h->context,
                    nm_ctx_name(h->context), h->position,
                    h->term->kind == NM_TERM_NEG ? -set->negative_weight * h->contribution
                                                 : h->contribution);
        if (h->claim > 0)
            fprintf(f, "          + claim %.2f (claim_weight x position: an object and a movement "
                       "of the topic in one sentence naming both sides)\n",
                    h->claim);
        nm_print_sentence(f, text, tlen, h->start);
    }
    fprintf(f, "   cooperation %+.2f, negative %+.2f (x negative_weight %.2f)\n", res->coop,
            -res->neg, set->negative_weight);
    fprintf(f, "   topics:\n");
    for (int k = 0; k < res->ncandidates; k++) {
        const nm_topic_tag_t *c = &res->candidates[k];
        const nm_topic_t *tp = &r->topics[c->topic];
        int fired = 0;
        for (int j = 0; j < res->ntopics; j++) fired |= res->topics[j].topic == c->topic;
        const char *why;
        if (!res->relevant) why = "not fired: the article is not relevant";
        else if (fired)
            why = k == 0            ? "FIRED (the best topic of a relevant article)"
                  : c->ndecisive && c->score < tp->threshold
                      ? "FIRED (a decisive term stated as news)"
                      : "FIRED";
        else if (c->score < tp->threshold) why = "not fired: below its threshold";
        else why = "not fired: evidence in too few sentences (secondary topic)";
        fprintf(f, "     %-22s score %6.2f  threshold %5.2f  sentences %d  title/strong %s  %s\n",
                tp->id, c->score, tp->threshold, c->sentences, c->title || c->nstrong ? "yes" : "no", why);
    }
    if (!res->ncandidates) fprintf(f, "     (no topic evidence)\n");
    free(X.hits);
    return o;
}
