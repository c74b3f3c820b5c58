/* nm_cmd_eval.c - `newsmon eval`: precision/recall/F1 on a labelled corpus. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nm_article.h"
#include "nm_cli.h"
#include "nm_tagger.h"

typedef struct {
    long tp, fp, fn;
} nm_prf_t;

typedef struct {
    char code[8];
    long n, langid_ok;
    nm_prf_t rel, top, ent;
} nm_lang_stats_t;

#define NM_EVAL_LANGS 64

typedef struct {
    nm_prf_t rel, top, ent, per_topic[NM_TAG_MAX_TOPICS];
    nm_lang_stats_t langs[NM_EVAL_LANGS];
    int nlangs;
    long n, langid_ok;
    json_t *errors; /* array of {id, kind, ...} */
} nm_eval_t;

static double nm_p(const nm_prf_t *s) { return s->tp + s->fp ? (double)s->tp / (s->tp + s->fp) : 1; }
static double nm_r(const nm_prf_t *s) { return s->tp + s->fn ? (double)s->tp / (s->tp + s->fn) : 1; }
static double nm_f(const nm_prf_t *s) {
    double p = nm_p(s), r = nm_r(s);
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

static void nm_count(nm_prf_t *s, int gold, int pred) {
    if (gold && pred) s->tp++;
    else if (pred) s->fp++;
    else if (gold) s->fn++;
}

static nm_lang_stats_t *nm_lang(nm_eval_t *E, const char *code) {
    for (int i = 0; i < E->nlangs; i++)
        if (!strcmp(E->langs[i].code, code)) return &E->langs[i];
    if (E->nlangs == NM_EVAL_LANGS) return &E->langs[NM_EVAL_LANGS - 1];
    nm_lang_stats_t *l = &E->langs[E->nlangs++];
    memset(l, 0, sizeof *l);
    snprintf(l->code, sizeof l->code, "%s", code);
    return l;
}

static int nm_in_array(json_t *arr, const char *s) {
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) if (json_is_string(v) && !strcmp(json_string_value(v), s)) return 1;
    return 0;
}

/* Compare one set of ids; records missing/extra into the error list. */
static void nm_compare_sets(nm_prf_t *total, nm_prf_t *lang, json_t *gold, json_t *pred,
                            const char *id, const char *kind, json_t *errors) {
    json_t *missing = json_array(), *extra = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(gold, i, v) {
        int hit = nm_in_array(pred, json_string_value(v));
        nm_count(total, 1, hit);
        nm_count(lang, 1, hit);
        if (!hit) json_array_append(missing, v);
    }
    json_array_foreach(pred, i, v) {
        if (nm_in_array(gold, json_string_value(v))) continue;
        nm_count(total, 0, 1);
        nm_count(lang, 0, 1);
        json_array_append(extra, v);
    }
    if (json_array_size(missing) || json_array_size(extra))
        json_array_append_new(errors, json_pack("{s:s, s:s, s:o, s:o}", "id", id, "kind", kind,
                                                "missing", missing, "extra", extra));
    else {
        json_decref(missing);
        json_decref(extra);
    }
}

static void nm_eval_record(nm_eval_t *E, const nm_rules_t *r, nm_tagger_ws_t *ws,
                           const nm_article_t *a, json_t *labels) {
    nm_tag_result_t res;
    if (nm_tagger_tag(r, ws, a->title, a->title_len, a->body, a->body_len, a->lang, &res))
        return;
    nm_lang_stats_t *L = nm_lang(E, a->lang ? a->lang : res.lang_detected);
    E->n++;
    L->n++;
    if (a->lang && !strcmp(a->lang, res.lang_detected)) { E->langid_ok++; L->langid_ok++; }

    int gold_rel = json_is_true(json_object_get(labels, "relevant"));
    nm_count(&E->rel, gold_rel, res.relevant);
    nm_count(&L->rel, gold_rel, res.relevant);
    if (gold_rel != (int)res.relevant)
        json_array_append_new(E->errors, json_pack("{s:s, s:s, s:b, s:f}", "id", a->id, "kind",
                                                   "relevance", "gold", gold_rel, "score",
                                                   res.score));

    json_t *gt = json_object_get(labels, "topics"), *pt = json_array();
    json_t *ge = json_object_get(labels, "entities"), *pe = json_array();
    for (int i = 0; i < res.ntopics; i++)
        json_array_append_new(pt, json_string(r->topics[res.topics[i].topic].id));
    for (int i = 0; i < res.nentities; i++)
        json_array_append_new(pe, json_string(r->entities[res.entities[i].entity].id));
    json_t *empty = json_array();
    if (!json_is_array(gt)) gt = empty;
    if (!json_is_array(ge)) ge = empty;
    for (size_t k = 0; k < r->ntopics && k < NM_TAG_MAX_TOPICS; k++)
        nm_count(&E->per_topic[k], nm_in_array(gt, r->topics[k].id), nm_in_array(pt, r->topics[k].id));
    nm_compare_sets(&E->top, &L->top, gt, pt, a->id, "topics", E->errors);
    nm_compare_sets(&E->ent, &L->ent, ge, pe, a->id, "entities", E->errors);
    json_decref(pt);
    json_decref(pe);
    json_decref(empty);
}

static json_t *nm_prf_json(const nm_prf_t *s) {
    return json_pack("{s:f, s:f, s:f, s:I, s:I, s:I}", "precision", nm_p(s), "recall", nm_r(s),
                     "f1", nm_f(s), "tp", (json_int_t)s->tp, "fp", (json_int_t)s->fp, "fn",
                     (json_int_t)s->fn);
}

static void nm_prf_print(const char *name, const nm_prf_t *s) {
    printf("  %-22s %6.3f %6.3f %6.3f   tp=%ld fp=%ld fn=%ld\n", name, nm_p(s), nm_r(s), nm_f(s),
           s->tp, s->fp, s->fn);
}

static void nm_eval_report(const nm_eval_t *E, const nm_rules_t *r, const char *path, int as_json) {
    if (as_json) {
        json_t *o = json_pack("{s:s, s:s, s:I, s:o, s:o, s:o, s:f}", "corpus", path,
                              "rules_version", r->version, "articles", (json_int_t)E->n,
                              "relevance", nm_prf_json(&E->rel), "topics_micro",
                              nm_prf_json(&E->top), "entities_micro", nm_prf_json(&E->ent),
                              "langid_accuracy", E->n ? (double)E->langid_ok / E->n : 0);
        json_t *pt = json_object(), *pl = json_object();
        for (size_t k = 0; k < r->ntopics && k < NM_TAG_MAX_TOPICS; k++)
            json_object_set_new(pt, r->topics[k].id, nm_prf_json(&E->per_topic[k]));
        for (int i = 0; i < E->nlangs; i++) {
            const nm_lang_stats_t *L = &E->langs[i];
            json_object_set_new(pl, L->code,
                                json_pack("{s:I, s:o, s:o, s:o, s:f}", "articles", (json_int_t)L->n,
                                          "relevance", nm_prf_json(&L->rel), "topics_micro",
                                          nm_prf_json(&L->top), "entities_micro",
                                          nm_prf_json(&L->ent), "langid_accuracy",
                                          L->n ? (double)L->langid_ok / L->n : 0));
        }
        json_object_set_new(o, "per_topic", pt);
        json_object_set_new(o, "per_language", pl);
        json_object_set(o, "errors", E->errors);
        json_dumpf(o, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(o);
        return;
    }
    printf("newsmon eval: %ld articles from %s, rules %s\n\n", E->n, path, r->version);
    printf("  %-22s %6s %6s %6s\n", "", "P", "R", "F1");
    nm_prf_print("relevance", &E->rel);
    nm_prf_print("topics (micro)", &E->top);
    for (size_t k = 0; k < r->ntopics && k < NM_TAG_MAX_TOPICS; k++) {
        char name[64];
        snprintf(name, sizeof name, "  %s", r->topics[k].id);
        nm_prf_print(name, &E->per_topic[k]);
    }
    nm_prf_print("entities (micro)", &E->ent);
    printf("\n  %-6s %5s %8s %8s %9s %8s\n", "lang", "n", "rel-F1", "topic-F1", "entity-F1",
           "lang-id");
    for (int i = 0; i < E->nlangs; i++) {
        const nm_lang_stats_t *L = &E->langs[i];
        printf("  %-6s %5ld %8.3f %8.3f %9.3f %8.3f\n", L->code, L->n, nm_f(&L->rel),
               nm_f(&L->top), nm_f(&L->ent), L->n ? (double)L->langid_ok / L->n : 0);
    }
    printf("\n  language identification accuracy: %ld/%ld = %.3f\n", E->langid_ok, E->n,
           E->n ? (double)E->langid_ok / E->n : 0);
    printf("\nmisclassified:\n");
    size_t i;
    json_t *e;
    json_array_foreach(E->errors, i, e) {
        char *s = json_dumps(e, JSON_COMPACT);
        printf("  %s\n", s ? s : "?");
        free(s);
    }
}

static void nm_eval_usage(FILE *f) {
    fprintf(f,
            "Usage: newsmon eval [-c FILE] CORPUS.jsonl [--json]\n"
            "\n"
            "Tags a labelled corpus (format: shared corpus TAXONOMY.md, one JSON object per\n"
            "line with a 'labels' object) and prints precision, recall and F1 for relevance,\n"
            "each topic and micro-averaged, entities (micro over article x entity id), per\n"
            "language, the language-identification accuracy, and the misclassified ids.\n"
            "\n"
            "  -c, --config FILE   configuration file (rule paths)\n"
            "  --json              machine-readable output\n"
            "  -h, --help          this help\n");
}

int nm_cmd_eval(int argc, char **argv) {
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL;
    int as_json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (c == 'c') config = optarg;
        else if (c == 'j') as_json = 1;
        else if (c == 'h') { nm_eval_usage(stdout); return NM_EXIT_OK; }
        else { nm_eval_usage(stderr); return NM_EXIT_USAGE; }
    }
    if (argc - optind != 1) { nm_eval_usage(stderr); return NM_EXIT_USAGE; }
    const char *path = argv[optind];
    FILE *in = fopen(path, "r");
    if (!in) { perror(path); return NM_EXIT_USAGE; }
    nm_cli_env_t env;
    int rc = nm_cli_setup(config, 1, &env);
    if (rc) { fclose(in); return rc; }
    nm_article_limits_t lim = {(size_t)env.cfg->max_message_bytes,
                               (size_t)env.cfg->max_body_bytes,
                               (size_t)env.cfg->max_json_depth};
    nm_eval_t *E = calloc(1, sizeof *E);
    nm_tagger_ws_t *ws = nm_tagger_ws_new();
    if (!E || !ws || !(E->errors = json_array())) {
        fprintf(stderr, "newsmon: out of memory\n");
        rc = NM_EXIT_FAIL;
        goto out;
    }
    nm_tagger_ws_always_detect(ws, true); /* the accuracy report needs every article's */
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    while ((n = getline(&line, &cap, in)) >= 0) {
        lineno++;
        if (strspn(line, " \t\r\n") == (size_t)n) continue;
        nm_article_t a;
        char reason[256];
        if (nm_article_parse(line, (size_t)n, &lim, &a, reason, sizeof reason)) {
            fprintf(stderr, "%s:%ld: %s\n", path, lineno, reason);
            rc = NM_EXIT_FAIL;
        } else {
            json_t *labels = json_object_get(a.root, "labels");
            if (!json_is_object(labels)) {
                fprintf(stderr, "%s:%ld: no 'labels' object\n", path, lineno);
                rc = NM_EXIT_FAIL;
            } else {
                nm_eval_record(E, env.rules, ws, &a, labels);
            }
        }
        nm_article_clear(&a);
    }
    free(line);
    nm_eval_report(E, env.rules, path, as_json);
out:
    if (E) json_decref(E->errors);
    free(E);
    nm_tagger_ws_destroy(ws);
    nm_cli_teardown(&env);
    fclose(in);
    return rc;
}
