/* nm_tagger.c - relevance, topic and entity tagging of one article.
 *
 * One pass of the rule automaton over the normalised title + body collects
 * every term hit; the rest works on that hit list and on the sentence and
 * paragraph structure the normaliser left in the text ('.' and '\n').
 * The scoring is described in docs/RULES.md.
 */
#include "nm_tagger.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "nm_langid.h"

typedef struct {
    uint32_t term, start, end;
    uint32_t wend;   /* end of the word for a stem term ("transfer*"), else end */
    uint32_t voided; /* set by nm_filter_hits */
} nm_hit_t;

/* how far a stem hit's word may run past the stem, for overlaps */
enum { NM_STEM_TAIL = 64 };

enum { PARA_BOILER = 0x80, SENT_BACKGROUND = 0x40, SENT_BOILER = 0x20, SENT_LIST = 0x10 };

struct nm_tagger_ws_s {
    nm_textbuf_t tb;
    nm_hit_t *hits;
    size_t nhits, caphits;
    uint32_t *para, *sent; /* start positions */
    uint8_t *para_flags, *sent_mask;
    uint64_t *para_topics;       /* per paragraph: see the object/movement rule */
    size_t npara, nsent, capmarks;
    size_t title_nlen; /* bytes of the normalised title */
    uint16_t *term_count; /* per rule term, zero between calls */
    size_t capterms;
    nm_entity_tag_t *ents;
    int *ent_slot; /* per entity: index into ents, or -1 */
    size_t capents;
    const nm_rules_t *rules; /* during a scan */
    int oom;
    nm_topic_tag_t cand[NM_MAX_TOPICS];
    nm_tagger_trace_cb trace;
    void *trace_ud;
    bool always_detect;
};

void nm_tagger_set_trace(nm_tagger_ws_t *ws, nm_tagger_trace_cb cb, void *ud) {
    ws->trace = cb;
    ws->trace_ud = ud;
}

const char *nm_tagger_text(const nm_tagger_ws_t *ws, size_t *len) {
    *len = ws->tb.len;
    return ws->tb.s;
}

size_t nm_tagger_paragraphs(const nm_tagger_ws_t *ws) { return ws->npara; }

nm_tagger_para_t nm_tagger_paragraph(const nm_tagger_ws_t *ws, size_t i) {
    size_t start = ws->para[i], end = i + 1 < ws->npara ? ws->para[i + 1] - 1 : ws->tb.len;
    return (nm_tagger_para_t){ws->tb.s + start, end - start, start < ws->title_nlen,
                              (ws->para_flags[i] & PARA_BOILER) != 0};
}

static void nm_trace(const nm_tagger_ws_t *ws, const nm_hit_t *h, size_t sent, size_t para,
                     double ctx, double pos, double contribution, double claim,
                     const char *skipped) {
    if (!ws->trace) return;
    nm_trace_hit_t th = {&ws->rules->terms[h->term], h->start, h->end, (uint32_t)sent,
                         (uint32_t)para, ctx, pos, contribution, claim, skipped};
    ws->trace(ws->trace_ud, &th);
}

nm_tagger_ws_t *nm_tagger_ws_new(void) {
    nm_tagger_ws_t *ws = calloc(1, sizeof *ws);
    if (ws) nm_textbuf_init(&ws->tb);
    return ws;
}

void nm_tagger_ws_always_detect(nm_tagger_ws_t *ws, bool on) { ws->always_detect = on; }

void nm_tagger_ws_destroy(nm_tagger_ws_t *ws) {
    if (!ws) return;
    nm_textbuf_free(&ws->tb);
    free(ws->hits);
    free(ws->para);
    free(ws->sent);
    free(ws->para_flags);
    free(ws->sent_mask);
    free(ws->para_topics);
    free(ws->term_count);
    free(ws->ents);
    free(ws->ent_slot);
    free(ws);
}

static void nm_tagger_on_match(void *ud, uint32_t id, size_t end, size_t len) {
    nm_tagger_ws_t *ws = ud;
    const nm_term_t *t = &ws->rules->terms[id];
    const char *s = ws->tb.s;
    size_t start = end - len;
    /* a failed left boundary may still be a clitic prefix ("و" + "روسيا") */
    if (!t->open_left && start > 0 && !nm_text_is_sep(s[start - 1]) &&
        !nm_rules_prefix_ok(ws->rules, t, s, start))
        return;
    if (!t->open_right && end < ws->tb.len && !nm_text_is_sep(s[end])) return;
    if (ws->nhits == ws->caphits) {
        size_t nc = ws->caphits ? ws->caphits * 2 : 256;
        nm_hit_t *nh = realloc(ws->hits, nc * sizeof *nh);
        if (!nh) { ws->oom = 1; return; }
        ws->hits = nh;
        ws->caphits = nc;
    }
    size_t wend = end;
    if (t->stem) /* "arms transfer*" covers all of "arms transfers" */
        while (wend < ws->tb.len && wend - end < NM_STEM_TAIL && !nm_text_is_sep(s[wend])) wend++;
    ws->hits[ws->nhits++] = (nm_hit_t){id, (uint32_t)start, (uint32_t)end, (uint32_t)wend, 0};
}

/* The position of the next sentence or paragraph mark ('.', '\n') of
 * s[i..len), or len: 16 bytes at a time where SSE2 is, else eight, as marks
 * are ~1 % of the text. */
static size_t nm_next_mark(const char *s, size_t i, size_t len) {
#ifdef __SSE2__
    for (; i + 16 <= len; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))));
        if (m) return i + (unsigned)__builtin_ctz(m);
    }
#endif
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    for (; i + 8 <= len; i += 8) {
        uint64_t x, d, n;
        memcpy(&x, s + i, sizeof x);
        d = x ^ ('.' * ones);
        n = x ^ ('\n' * ones);
        /* a zero byte in d or n (exact for the first one) */
        uint64_t z = ((d - ones) & ~d) | ((n - ones) & ~n);
        if (z & high) break;
    }
    while (i < len && s[i] != '.' && s[i] != '\n') i++;
    return i;
}

/* Sizes every per-article array for this text and rule set. */
static nm_err_t nm_tagger_reserve(nm_tagger_ws_t *ws, const nm_rules_t *r) {
    size_t marks = ws->tb.marks + 1;
    if (marks > ws->capmarks) {
        size_t nc = marks * 2;
        uint32_t *p = realloc(ws->para, nc * sizeof *p);
        if (!p) return NM_ERR_NOMEM;
        ws->para = p;
        uint32_t *s = realloc(ws->sent, nc * sizeof *s);
        if (!s) return NM_ERR_NOMEM;
        ws->sent = s;
        uint8_t *pf = realloc(ws->para_flags, nc);
        if (!pf) return NM_ERR_NOMEM;
        ws->para_flags = pf;
        uint8_t *sm = realloc(ws->sent_mask, nc);
        if (!sm) return NM_ERR_NOMEM;
        ws->sent_mask = sm;
        uint64_t *pt = realloc(ws->para_topics, nc * sizeof *pt);
        if (!pt) return NM_ERR_NOMEM;
        ws->para_topics = pt;
        ws->capmarks = nc;
    }
    if (r->nterms > ws->capterms) {
        uint16_t *tc = realloc(ws->term_count, r->nterms * sizeof *tc);
        if (!tc) return NM_ERR_NOMEM;
        memset(tc, 0, r->nterms * sizeof *tc);
        ws->term_count = tc;
        ws->capterms = r->nterms;
    }
    if (r->nentities > ws->capents) {
        nm_entity_tag_t *e = realloc(ws->ents, r->nentities * sizeof *e);
        if (!e) return NM_ERR_NOMEM;
        ws->ents = e;
        int *sl = realloc(ws->ent_slot, r->nentities * sizeof *sl);
        if (!sl) return NM_ERR_NOMEM;
        ws->ent_slot = sl;
        ws->capents = r->nentities;
    }
    return NM_OK;
}

/* Index of the segment (sentence or paragraph) holding position pos. */
static size_t nm_segment_of(const uint32_t *starts, size_t n, uint32_t pos) {
    size_t lo = 0, hi = n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (starts[mid] <= pos) lo = mid;
        else hi = mid;
    }
    return lo;
}

static void nm_split_segments(nm_tagger_ws_t *ws) {
    const char *s = ws->tb.s;
    ws->npara = ws->nsent = 1;
    ws->para[0] = ws->sent[0] = 0;
    for (size_t i = nm_next_mark(s, 0, ws->tb.len); i < ws->tb.len;
         i = nm_next_mark(s, i + 1, ws->tb.len)) {
        if (s[i] == '\n') ws->para[ws->npara++] = (uint32_t)i + 1;
        ws->sent[ws->nsent++] = (uint32_t)i + 1;
    }
    memset(ws->para_flags, 0, ws->npara);
    memset(ws->sent_mask, 0, ws->nsent);
}

/* Does hit o cover hit h and make it void? A `not` phrase of the same target
 * does; so does a longer entity hit ("south korea" is not also "korea"), a
 * longer hit of the same topic or cue, and the same words listed twice.
 * Inlined: most neighbours do not even span h, a test of two numbers. */
static inline int nm_hit_voids(const nm_rules_t *r, const nm_hit_t *h, const nm_hit_t *o) {
    if (o->start > h->start || o->wend < h->wend) return 0;
    const nm_term_t *t = &r->terms[h->term], *ot = &r->terms[o->term];
    uint8_t notkind = t->kind == NM_TERM_ENTITY ? NM_TERM_NOT_ENTITY : NM_TERM_NOT_TOPIC;
    if (ot->kind == notkind && ot->target == t->target) return 1;
    /* an organisation's `not` phrases name other bodies ("national security
     * council" is no UN body): no topic evidence inside them either */
    if (t->kind == NM_TERM_TOPIC && ot->kind == NM_TERM_NOT_ENTITY &&
        r->entities[ot->target].is_org)
        return 1;
    if (t->kind != ot->kind) return 0;
    size_t len = h->wend - h->start, olen = o->wend - o->start;
    /* the same words listed twice (in two files, or as "veto" and "veto*")
     * are one mention: the first term listed counts */
    int same = olen == len && o->term < h->term && ot->target == t->target;
    if (t->kind == NM_TERM_ENTITY)
        return olen > len || same; /* "south korea" is not also "korea" */
    /* one mention, one piece of evidence: "sanctions" inside "UN sanctions"
     * counts once for its topic, as the longer term; so do cues */
    if (t->kind == NM_TERM_TOPIC || t->kind == NM_TERM_COOP || t->kind == NM_TERM_NEG)
        return ot->target == t->target && (olen > len || same);
    return 0;
}

/* Hits come sorted by end and a term is under 512 bytes, so a covering hit
 * lies among the neighbours whose end is within 512 bytes after, or within
 * the tail of a stem's word before ("arms transfer*" ends before "transfers"). */
static void nm_filter_hits(nm_tagger_ws_t *ws) {
    const nm_term_t *terms = ws->rules->terms;
    size_t n = ws->nhits, k = 0;
    for (size_t i = 0; i < n; i++) {
        const nm_hit_t *h = &ws->hits[i];
        uint8_t kind = terms[h->term].kind;
        int voided = 0;
        if (kind == NM_TERM_ENTITY || kind == NM_TERM_TOPIC || kind == NM_TERM_COOP ||
            kind == NM_TERM_NEG) {
            for (size_t j = i; j-- > 0 && ws->hits[j].end + NM_STEM_TAIL >= h->end && !voided;)
                voided = nm_hit_voids(ws->rules, h, &ws->hits[j]);
            for (size_t j = i + 1; j < n && ws->hits[j].end < h->end + 512 && !voided; j++)
                voided = nm_hit_voids(ws->rules, h, &ws->hits[j]);
        }
        /* mark now, compact after the loop: a voided hit may still void
         * another ("korea" inside "south korea" inside a `not` phrase) */
        ws->hits[i].voided = (uint32_t)voided;
    }
    for (size_t i = 0; i < n; i++)
        if (!ws->hits[i].voided) ws->hits[k++] = ws->hits[i];
    ws->nhits = k;
}

/* Evidence for a hit: where it is in the original text, and a snippet. */
static void nm_evidence(const nm_tagger_ws_t *ws, const nm_hit_t *h, size_t title_nlen,
                        const char *title, size_t tlen, const char *body, size_t blen,
                        double weight, nm_evidence_t *ev) {
    const nm_term_t *t = &ws->rules->terms[h->term];
    int field = h->start >= title_nlen;
    const char *f = field ? body : title;
    size_t flen = field ? blen : tlen;
    size_t off = ws->tb.src[h->start], last = ws->tb.src[h->end - 1];
    size_t a = off > 60 ? off - 60 : 0, b = last + 64 < flen ? last + 64 : flen;
    while (a < off && ((unsigned char)f[a] & 0xC0) == 0x80) a++;
    while (b < flen && b > last && ((unsigned char)f[b] & 0xC0) == 0x80) b--;
    ev->term = t->text;
    ev->rule = t->rule;
    ev->field = field;
    ev->offset = (uint32_t)off;
    ev->snippet = f + a;
    ev->snippet_len = b - a;
    ev->weight = weight;
}

/* Too short for nm_langid ("Їжак і єнот", a headline alone): a script that
 * only one of our languages writes decides when most letters are in it;
 * otherwise ("Ежик и енот" may be Russian or Bulgarian) "und". */
static void nm_lang_by_script(const uint32_t *sc, char out[8]) {
    static const struct { nm_script_t script; const char *code; } own[] = {
        {NM_SCRIPT_HANGUL, "ko"}, {NM_SCRIPT_GREEK, "el"}, {NM_SCRIPT_HEBREW, "he"},
        {NM_SCRIPT_THAI, "th"},   {NM_SCRIPT_LAO, "lo"},   {NM_SCRIPT_KHMER, "km"},
        {NM_SCRIPT_MYANMAR, "my"},
    };
    uint32_t total = 0;
    for (int i = 1; i < NM_SCRIPT_COUNT; i++) total += sc[i];
    const char *code = "und";
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (sc[own[i].script] * 2 > total) code = own[i].code;
    if ((sc[NM_SCRIPT_HAN] + sc[NM_SCRIPT_KANA]) * 2 > total)
        code = sc[NM_SCRIPT_KANA] ? "ja" : "zh"; /* kanji with kana is Japanese */
    if ((sc[NM_SCRIPT_CYRILLIC] + sc[NM_SCRIPT_UKRAINIAN]) * 2 > total && sc[NM_SCRIPT_UKRAINIAN])
        code = "uk"; /* і ї є ґ */
    snprintf(out, 8, "%s", code);
}

static int nm_entity_cmp(const void *a, const void *b) {
    const nm_entity_tag_t *x = a, *y = b;
    if (x->mentions != y->mentions) return y->mentions - x->mentions;
    return x->entity - y->entity;
}

static int nm_topic_cmp(const void *a, const void *b) {
    const nm_topic_tag_t *x = a, *y = b;
    return (x->score < y->score) - (x->score > y->score);
}

static void nm_keep_evidence(nm_topic_tag_t *tt, const nm_evidence_t *ev) {
    if (tt->nev < NM_MAX_EVIDENCE) {
        tt->ev[tt->nev++] = *ev;
        return;
    }
    int min = 0;
    for (int i = 1; i < tt->nev; i++)
        if (tt->ev[i].weight < tt->ev[min].weight) min = i;
    if (ev->weight > tt->ev[min].weight) tt->ev[min] = *ev;
}

/* The side a hit speaks for: an actor term's, or its entity's. */
static uint8_t nm_hit_side(const nm_rules_t *r, const nm_hit_t *h) {
    const nm_term_t *t = &r->terms[h->term];
    if (t->kind == NM_TERM_ENTITY) return r->entities[t->target].side;
    return t->kind == NM_TERM_ACTOR ? (uint8_t)t->target : 0;
}

/* Is this place hit part of a dateline or credit ("MOSCOW (AP) -",
 * "Seoul, 3 June (Yonhap) --")? Those name where the story was filed, not a
 * party to it. A dateline opens a body paragraph with the place and ends,
 * within its first 64 bytes, at a dash or after a parenthesis (the agency). */
static int nm_in_dateline(const nm_tagger_ws_t *ws, const nm_rules_t *r, const nm_term_t *t,
                          const nm_hit_t *h, size_t p, size_t title_nlen, const char *body,
                          size_t blen) {
    if (h->start < title_nlen || !r->entities[t->target].is_place) return 0;
    size_t o = ws->tb.src[ws->para[p]], at = ws->tb.src[h->start];
    if (at < o || at - o > 8) return 0;
    for (size_t i = o; i < at; i++) /* the place opens the paragraph */
        if ((unsigned)(((unsigned char)body[i] | 0x20) - 'a') < 26u || (unsigned char)body[i] >= 0x80)
            return 0;
    size_t lim = o + 64 < blen ? o + 64 : blen;
    int open = 0;
    for (size_t i = at; i < lim; i++) {
        unsigned char c = (unsigned char)body[i];
        if (c == '(') open = 1;
        else if (c == ')' && open) return 1;
        else if (c == '-' && i + 1 < lim && (body[i + 1] == ' ' || body[i + 1] == '-') && i > o &&
                 body[i - 1] == ' ')
            return 1;
        else if (c == 0xE2 && i + 2 < lim && (unsigned char)body[i + 1] == 0x80 &&
                 ((unsigned char)body[i + 2] == 0x93 || (unsigned char)body[i + 2] == 0x94))
            return 1; /* en or em dash */
        else if (c == '.' || c == '\n' || c == ':' || c == '"')
            return 0; /* a sentence, a quote or a label: no dateline */
    }
    return 0;
}

nm_err_t nm_tagger_tag(const nm_rules_t *r, nm_tagger_ws_t *ws, const char *title,
                       size_t tlen, const char *body, size_t blen, const char *lang,
                       nm_tag_result_t *out) {
    const nm_rule_settings_t *set = &r->settings;
    memset(out, 0, sizeof *out);

    /* the language first, from the original text: it decides how Latin
     * diacritics fold. A given code is kept when it looks like one ("fr",
     * "zh-Hant"); anything else ("русский", "French (France)") gives way to
     * detection, which runs only then (it costs about a sixth of an
     * article's processing); text too short for it is settled by script below */
    size_t ll = lang ? strlen(lang) : 0;
    int valid = ll >= 2 && ll < sizeof out->lang;
    for (size_t i = 0; valid && i < ll; i++)
        valid = (lang[i] >= 'a' && lang[i] <= 'z') || (lang[i] >= 'A' && lang[i] <= 'Z') ||
                (lang[i] >= '0' && lang[i] <= '9') || (lang[i] == '-' && i > 0);
    int detected = 0;
    if (!valid || ws->always_detect)
        detected = nm_langid_detect(title, tlen, body, blen, out->lang_detected);
    const char *use = valid ? lang : detected ? out->lang_detected : NULL;
    unsigned flags = NM_TEXT_HTML;
    if (use && nm_rules_lang_keeps_marks(r, use)) flags |= NM_TEXT_KEEP_MARKS;

    nm_textbuf_reset(&ws->tb);
    ws->npara = 0; /* no paragraphs until this article's are split */
    if (nm_text_append(r->text, &ws->tb, title, tlen, flags)) return NM_ERR_NOMEM;
    size_t title_nlen = ws->tb.len;
    ws->title_nlen = title_nlen;
    nm_textbuf_break(&ws->tb, '\n');
    if (nm_text_append(r->text, &ws->tb, body, blen, flags)) return NM_ERR_NOMEM;
    if (nm_tagger_reserve(ws, r)) return NM_ERR_NOMEM;
    if ((!valid || ws->always_detect) && !detected)
        nm_lang_by_script(ws->tb.script_count, out->lang_detected);
    const char *code = valid ? lang : out->lang_detected; /* as snprintf "%s" would, without printf */
    size_t n = strnlen(code, sizeof out->lang - 1);
    memcpy(out->lang, code, n);
    out->lang[n] = '\0';

    ws->rules = r;
    ws->nhits = 0;
    ws->oom = 0;
    nm_ac_scan(r->ac, ws->tb.s, ws->tb.len, nm_tagger_on_match, ws);
    if (ws->oom) return NM_ERR_NOMEM;
    nm_filter_hits(ws);
    nm_split_segments(ws);

    /* paragraphs that are page furniture: a boilerplate cue at the start of
     * the line, or a repeat of the title; a line that is nothing but a cue
     * ("Related News", "関連記事") heads the link on the next line */
    const char *s = ws->tb.s;
    for (size_t i = 0; i < ws->nhits; i++) {
        const nm_hit_t *h = &ws->hits[i];
        if (r->terms[h->term].kind != NM_TERM_BOILER) continue;
        size_t p = nm_segment_of(ws->para, ws->npara, h->start);
        if (ws->para[p] != h->start) continue;
        size_t end = p + 1 < ws->npara ? ws->para[p + 1] - 1 : ws->tb.len;
        if (set->boilerplate_max_line && end - ws->para[p] > (size_t)set->boilerplate_max_line) {
            /* a whole article scraped onto one line after a caption cue
             * ("Photo: ... News ..."): only the cue's sentence is furniture */
            ws->sent_mask[nm_segment_of(ws->sent, ws->nsent, h->start)] |= SENT_BOILER;
            continue;
        }
        ws->para_flags[p] |= PARA_BOILER;
        if (h->end == end && p + 1 < ws->npara) ws->para_flags[p + 1] |= PARA_BOILER;
    }
    for (size_t p = 1; p < ws->npara && title_nlen; p++) {
        size_t end = p + 1 < ws->npara ? ws->para[p + 1] - 1 : ws->tb.len;
        if (end - ws->para[p] == title_nlen && memcmp(s + ws->para[p], s, title_nlen) == 0)
            ws->para_flags[p] |= PARA_BOILER;
    }

    /* background sentences: recalled context, not the news of the article */
    for (size_t i = 0; i < ws->nhits; i++)
        if (r->terms[ws->hits[i].term].kind == NM_TERM_BACKGROUND)
            ws->sent_mask[nm_segment_of(ws->sent, ws->nsent, ws->hits[i].start)] |= SENT_BACKGROUND;

    /* lists: both sides and a third state named one after the other, with
     * at most list_gap bytes between the names ("Iran, North Korea and
     * Russia"), say nothing of the dyad itself: that sentence is no pair */
    if (set->list_gap) {
        size_t run_sent = SIZE_MAX;
        uint8_t run = 0;
        uint32_t last_end = 0;
        for (size_t i = 0; i < ws->nhits; i++) {
            const nm_hit_t *h = &ws->hits[i];
            uint8_t side = nm_hit_side(r, h);
            if (!side) continue;
            size_t k = nm_segment_of(ws->sent, ws->nsent, h->start);
            int joined = k == run_sent &&
                         (h->start <= last_end || h->start - last_end <= (uint32_t)set->list_gap);
            run = joined ? run | side : side;
            run_sent = k;
            if (h->end > last_end || !joined) last_end = h->end;
            if (run == (NM_SIDE_RU | NM_SIDE_KP | NM_SIDE_THIRD)) ws->sent_mask[k] |= SENT_LIST;
        }
    }

    /* entities (boilerplate included, per the labelling conventions) and
     * actor sides (boilerplate, lists and datelines excluded) */
    int nents = 0;
    for (size_t e = 0; e < r->nentities; e++) ws->ent_slot[e] = -1;
    uint8_t doc_mask = 0;
    for (size_t i = 0; i < ws->nhits; i++) {
        const nm_hit_t *h = &ws->hits[i];
        const nm_term_t *t = &r->terms[h->term];
        uint8_t side;
        if (t->kind == NM_TERM_ENTITY) {
            int *slot = &ws->ent_slot[t->target];
            if (*slot < 0) {
                *slot = nents++;
                nm_entity_tag_t *et = &ws->ents[*slot];
                et->entity = t->target;
                et->mentions = 0;
                nm_evidence(ws, h, title_nlen, title, tlen, body, blen, 1, &et->ev);
            }
            ws->ents[*slot].mentions++;
            side = r->entities[t->target].side;
        } else if (t->kind == NM_TERM_ACTOR) {
            side = (uint8_t)t->target;
        } else {
            continue;
        }
        side &= NM_SIDE_RU | NM_SIDE_KP;
        size_t p = nm_segment_of(ws->para, ws->npara, h->start);
        size_t k = nm_segment_of(ws->sent, ws->nsent, h->start);
        if (!side || (ws->para_flags[p] & PARA_BOILER) ||
            (ws->sent_mask[k] & (SENT_BOILER | SENT_LIST)))
            continue;
        if (t->kind == NM_TERM_ENTITY && nm_in_dateline(ws, r, t, h, p, title_nlen, body, blen))
            continue;
        ws->para_flags[p] |= side;
        ws->sent_mask[k] |= side;
        doc_mask |= side;
    }
    if (nents) qsort(ws->ents, (size_t)nents, sizeof *ws->ents, nm_entity_cmp);
    out->entities = ws->ents;
    out->nentities = nents;

    /* an object ("missiles") is evidence of a transfer only in a paragraph
     * that also has a movement ("supplied") or a plain term of its topic,
     * and a movement only beside an object or a plain term: per paragraph,
     * the low 32 bits mark topics with a non-object hit, the high 32 bits
     * topics with a non-movement hit */
    memset(ws->para_topics, 0, ws->npara * sizeof *ws->para_topics);
    for (size_t i = 0; i < ws->nhits; i++) {
        const nm_term_t *t = &r->terms[ws->hits[i].term];
        if (t->kind != NM_TERM_TOPIC || t->target >= NM_MAX_TOPICS) continue;
        uint64_t *m = &ws->para_topics[nm_segment_of(ws->para, ws->npara, ws->hits[i].start)];
        if (t->object != NM_OBJECT) *m |= 1ull << t->target;
        if (t->object != NM_MOVE) *m |= 1ull << (32 + t->target);
    }

    /* topic, cooperation and negative evidence, weighed by context */
    nm_topic_tag_t all[NM_MAX_TOPICS];
    memset(all, 0, sizeof all);
    double coop = 0, neg = 0;
    uint32_t last_sent[NM_MAX_TOPICS];
    size_t claim_sent = SIZE_MAX; /* the sentence the claim masks below are for */
    uint32_t claim_obj = 0, claim_move = 0, claim_done = 0;
    double sent_sum[NM_MAX_TOPICS];
    int joint = 0;
    for (size_t p = 0; p < ws->npara; p++)
        if ((ws->para_flags[p] & 3) == 3) joint = 1;
    for (size_t i = 0; i < ws->nhits; i++) {
        const nm_hit_t *h = &ws->hits[i];
        const nm_term_t *t = &r->terms[h->term];
        if (t->kind != NM_TERM_TOPIC && t->kind != NM_TERM_COOP && t->kind != NM_TERM_NEG)
            continue;
        size_t p = nm_segment_of(ws->para, ws->npara, h->start);
        size_t sent = nm_segment_of(ws->sent, ws->nsent, h->start);
        if ((ws->para_flags[p] & PARA_BOILER) || (ws->sent_mask[sent] & SENT_BOILER)) {
            nm_trace(ws, h, sent, p, 0, 0, 0, 0, "boilerplate line");
            continue;
        }
        if (t->object == NM_OBJECT && !(ws->para_topics[p] & (1ull << t->target))) {
            nm_trace(ws, h, sent, p, 0, 0, 0, 0, "an object with no movement in its paragraph");
            continue;
        }
        if (t->object == NM_MOVE && !(ws->para_topics[p] & (1ull << (32 + t->target)))) {
            nm_trace(ws, h, sent, p, 0, 0, 0, 0, "a movement with no object in its paragraph");
            continue;
        }
        if (ws->term_count[h->term] >= set->max_term_hits) {
            nm_trace(ws, h, sent, p, 0, 0, 0, 0, "max_term_hits reached");
            continue;
        }
        ws->term_count[h->term]++;
        /* topics may weigh one-sided context their own way (a third state's
         * condemnation often names one party only) */
        const nm_topic_t *tp = t->kind == NM_TERM_TOPIC ? &r->topics[t->target] : NULL;
        double ctx;
        if ((ws->sent_mask[sent] & 3) == 3) ctx = 1;
        else if ((ws->para_flags[p] & 3) == 3) ctx = tp ? tp->paragraph_factor : set->paragraph_factor;
        else if (doc_mask == 3) ctx = tp ? tp->document_factor : set->document_factor;
        else ctx = 0;
        if (tp && (ws->sent_mask[sent] & SENT_BACKGROUND)) ctx *= set->background_factor;
        double pos = 1;
        if (h->start < title_nlen) pos = set->title_factor;
        else if (ws->tb.src[h->start] < (uint32_t)set->lead_chars) pos = set->lead_factor;
        double w = (t->strong ? set->strong_weight : 1.0) * ctx * pos;
        /* a claim: an object and a movement of this topic meet in a sentence
         * naming both sides that recalls no background */
        double claim = 0;
        if (tp && t->object && t->target < 32 && ctx == 1 &&
            !(ws->sent_mask[sent] & SENT_BACKGROUND)) {
            if (claim_sent != sent) claim_sent = sent, claim_obj = claim_move = claim_done = 0;
            uint32_t bit = 1u << t->target;
            if (t->object == NM_OBJECT) claim_obj |= bit;
            else claim_move |= bit;
            if ((claim_obj & claim_move & bit) && !(claim_done & bit)) {
                claim_done |= bit;
                claim = set->claim_weight * pos;
            }
        }
        nm_trace(ws, h, sent, p, ctx, pos, w, claim,
                 ctx > 0 ? NULL : "no sentence, paragraph or article names both sides");
        w += claim;
        if (t->kind == NM_TERM_COOP) { coop += w; continue; }
        if (t->kind == NM_TERM_NEG) { neg += w; continue; }
        if (t->target >= NM_MAX_TOPICS || w <= 0) continue;
        nm_topic_tag_t *tt = &all[t->target];
        if (!tt->sentences || last_sent[t->target] != sent) {
            tt->sentences++;
            sent_sum[t->target] = 0;
        }
        last_sent[t->target] = (uint32_t)sent;
        sent_sum[t->target] += w;
        if (sent_sum[t->target] > tt->max_sentence) tt->max_sentence = sent_sum[t->target];
        tt->title += h->start < title_nlen;
        tt->nstrong += t->strong != 0;
        /* a decisive phrase stated as news: in a sentence or paragraph
         * naming both sides, not recalled as background */
        tt->ndecisive += t->strong == NM_DECISIVE && (ws->para_flags[p] & 3) == 3 &&
                         !(ws->sent_mask[sent] & SENT_BACKGROUND);
        if (pos > 1) tt->lead_score += w;
        if (ctx == 1) tt->joint_score += w;
        tt->score += w;
        nm_evidence_t ev;
        nm_evidence(ws, h, title_nlen, title, tlen, body, blen, w, &ev);
        nm_keep_evidence(tt, &ev);
    }
    /* leave term_count zeroed for the next article */
    for (size_t i = 0; i < ws->nhits; i++) ws->term_count[ws->hits[i].term] = 0;

    double score = coop - set->negative_weight * neg;
    int ntopics = (int)(r->ntopics < NM_MAX_TOPICS ? r->ntopics : NM_MAX_TOPICS);
    for (int k = 0; k < ntopics; k++) {
        all[k].topic = k;
        score += all[k].score;
    }
    out->score = score;
    out->coop = coop;
    out->neg = neg;
    out->joint = joint;
    out->relevant = joint && score >= set->relevance_threshold;
    qsort(all, (size_t)ntopics, sizeof *all, nm_topic_cmp);
    int ncand = 0;
    while (ncand < ntopics && all[ncand].score > 0) ncand++;
    for (int k = 0; k < ncand; k++) {
        all[k].prob = -1;
        if (!r->model.loaded) continue;
        double x[NM_TOPIC_NFEATURES], z = r->model.bias[all[k].topic];
        nm_tagger_topic_features(&all[k], all[0].score, ws->nsent, x);
        for (int f = 0; f < NM_TOPIC_NFEATURES; f++) z += r->model.weights[f] * x[f];
        all[k].prob = 1 / (1 + exp(-z));
    }
    memcpy(ws->cand, all, (size_t)ncand * sizeof *all);
    out->candidates = ws->cand;
    out->ncandidates = ncand;
    if (out->relevant) {
        /* the best topic always (a relevant article is about something);
         * the others by the model when there is one, else by threshold and
         * sentence support */
        for (int k = 0; k < ncand; k++) {
            const nm_topic_tag_t *tt = &all[k];
            int fires;
            if (k == 0) fires = 1;
            else if (r->model.loaded) fires = tt->prob >= r->model.threshold;
            else fires = tt->ndecisive ||
                         (tt->score >= r->topics[tt->topic].threshold &&
                          (tt->title || tt->nstrong ||
                           tt->sentences >= set->secondary_min_sentences));
            if (fires) out->topics[out->ntopics++] = *tt;
        }
    }
    return NM_OK;
}

void nm_tagger_topic_features(const nm_topic_tag_t *tt, double best, size_t nsent,
                              double x[NM_TOPIC_NFEATURES]) {
    double sc = tt->score > 0 ? tt->score : 1e-9;
    x[0] = log1p(tt->score);
    x[1] = best > 0 ? tt->score / best : 0;
    x[2] = tt->score >= best;
    x[3] = log1p(tt->sentences);
    x[4] = tt->title > 0;
    x[5] = tt->lead_score / sc;
    x[6] = log1p(tt->nstrong);
    x[7] = tt->max_sentence / sc;
    x[8] = tt->joint_score / sc;
    x[9] = log1p((double)nsent);
    x[10] = 1;
}
