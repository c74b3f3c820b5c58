/* fuzz_tag.c - libFuzzer target: parse + tag + enriched event + alert +
 * json_dumps, with the real rule files of config/ loaded once.
 * The rule directory is NM_FUZZ_RULES_DIR (compile-time default: the
 * repository's config/), overridable by the environment variable of the
 * same name. Checks: the event serialises, round-trips through the JSON
 * parser, and evidence offsets lie inside their field. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nm_article.h"
#include "nm_event.h"
#include "nm_rules.h"
#include "nm_tagger.h"
#include "nm_text.h"

#ifndef NM_FUZZ_RULES_DIR
#define NM_FUZZ_RULES_DIR "config"
#endif

static nm_text_t *text;
static nm_rules_t *rules;
static nm_tagger_ws_t *ws;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *dir = getenv("NM_FUZZ_RULES_DIR");
    if (!dir) dir = NM_FUZZ_RULES_DIR;
    char g[4096], r[4096], e[1024];
    snprintf(g, sizeof g, "%s/gazetteer.conf", dir);
    snprintf(r, sizeof r, "%s/rules.conf", dir);
    text = nm_text_new();
    rules = text ? nm_rules_load(text, &(nm_rule_paths_t){g, r, NULL, NULL}, e, sizeof e) : NULL;
    ws = nm_tagger_ws_new();
    if (!rules || !ws) {
        fprintf(stderr, "fuzz_tag: cannot load rules from %s: %s\n", dir, rules ? "" : e);
        exit(1);
    }
    return 0;
}

static void check_ev(const nm_evidence_t *ev, const nm_article_t *a) {
    size_t flen = ev->field ? a->body_len : a->title_len;
    if (ev->field != 0 && ev->field != 1) abort();
    if (ev->offset > flen) abort();
    const char *f = ev->field ? a->body : a->title;
    if (ev->snippet && (ev->snippet < f || ev->snippet + ev->snippet_len > f + flen)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nm_article_limits_t lim = {1u << 20, 1u << 19, 32};
    nm_article_t a;
    char reason[256];
    if (nm_article_parse((const char *)data, size, &lim, &a, reason, sizeof reason) == NM_OK) {
        nm_tag_result_t res;
        if (nm_tagger_tag(rules, ws, a.title, a.title_len, a.body, a.body_len, a.lang, &res) ==
            NM_OK) {
            if (res.ntopics < 0 || res.ntopics > NM_TAG_MAX_TOPICS) abort();
            for (int t = 0; t < res.ntopics; t++) {
                if (res.topics[t].nev < 0 || res.topics[t].nev > NM_TAG_MAX_EVIDENCE) abort();
                for (int k = 0; k < res.topics[t].nev; k++) check_ev(&res.topics[t].ev[k], &a);
            }
            for (int i = 0; i < res.nentities; i++) {
                if (res.entities[i].mentions < 1) abort();
                check_ev(&res.entities[i].ev, &a);
            }
            static nm_jbuf_t out;
            if (nm_event_enriched(&out, &a, rules, &res, NM_BODY_INCLUDE,
                                  "2026-01-01T00:00:00.000Z"))
                abort();
            json_error_t je;
            json_t *back = json_loadb(out.s, out.len, 0, &je);
            if (!back) {
                fprintf(stderr, "event does not parse back: %s\n", je.text);
                abort();
            }
            json_decref(back);
            if (res.relevant) {
                if (nm_event_alert(&out, &a, rules, &res, NM_ALERT_TOPIC_EVIDENCE,
                                   "2026-01-01T00:00:00.000Z"))
                    abort();
                back = json_loadb(out.s, out.len, 0, &je);
                if (!back) {
                    fprintf(stderr, "alert does not parse back: %s\n", je.text);
                    abort();
                }
                json_decref(back);
            }
        }
    }
    nm_article_clear(&a);
    return 0;
}
