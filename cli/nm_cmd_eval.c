/* nm_cmd_eval.c - `newsmon eval`: precision/recall/F1 on a labelled corpus. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nm_article.h"
#include "nm_cli.h"
#include "nm_input.h"
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
    if (errors && (json_array_size(missing) || json_array_size(extra)))
        json_array_append_new(errors, json_pack("{s:s, s:s, s:o, s:o}", "id", id, "kind", kind,
                                                "missing", missing, "extra", extra));
    else {
        json_decref(missing);
        json_decref(extra);
    }
}

/* Counts one tagged record into E (a file's figures or the total); the
 * misclassified list is kept only where E->errors exists. */
static void nm_eval_account(nm_eval_t *E, const nm_rules_t *r, const nm_article_t *a,
                            json_t *labels, const nm_tag_result_t *rp) {
    const nm_tag_result_t res = *rp;
    nm_lang_stats_t *L = nm_lang(E, a->lang ? a->lang : res.lang_detected);
    E->n++;
    L->n++;
    if (a->lang && !strcmp(a->lang, res.lang_detected)) { E->langid_ok++; L->langid_ok++; }

    int gold_rel = json_is_true(json_object_get(labels, "relevant"));
    nm_count(&E->rel, gold_rel, res.relevant);
    nm_count(&L->rel, gold_rel, res.relevant);
    if (gold_rel != (int)res.relevant && E->errors)
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

static json_t *nm_eval_json(const nm_eval_t *E, const nm_rules_t *r, const char *path) {
    json_t *o = json_pack("{s:s, s:s, s:I, s:o, s:o, s:o, s:f}", "corpus", path, "rules_version",
                          r->version, "articles", (json_int_t)E->n, "relevance",
                          nm_prf_json(&E->rel), "topics_micro", nm_prf_json(&E->top),
                          "entities_micro", nm_prf_json(&E->ent), "langid_accuracy",
                          E->n ? (double)E->langid_ok / E->n : 0);
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
    if (E->errors) json_object_set(o, "errors", E->errors);
    return o;
}

static void nm_eval_print(const nm_eval_t *E, const nm_rules_t *r, const char *what) {
    printf("newsmon eval: %ld articles from %s, rules %s\n\n", E->n, what, r->version);
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

/* One line per file, then the total in full. */
static void nm_eval_print_files(const nm_eval_t *files, char *const *paths, int nfiles) {
    printf("  %-34s %5s %6s %6s %6s %8s %9s %7s\n", "file", "n", "rel-P", "rel-R", "rel-F1",
           "topic-F1", "entity-F1", "lang-id");
    for (int f = 0; f < nfiles; f++) {
        const nm_eval_t *E = &files[f];
        const char *base = strrchr(paths[f], '/');
        printf("  %-34s %5ld %6.3f %6.3f %6.3f %8.3f %9.3f %7.3f\n", base ? base + 1 : paths[f],
               E->n, nm_p(&E->rel), nm_r(&E->rel), nm_f(&E->rel), nm_f(&E->top), nm_f(&E->ent),
               E->n ? (double)E->langid_ok / E->n : 0);
    }
    printf("\n");
}

static void nm_eval_usage(FILE *f) {
    fprintf(f,
            "Usage: newsmon eval [-c FILE] [--lang LIST] [--json] CORPUS...\n"
            "\n"
            "Tags labelled corpora (format: shared corpus TAXONOMY.md, one JSON object per\n"
            "line with a 'labels' object; files or folders, as `newsmon ingest` reads) and\n"
            "prints precision, recall and F1 for relevance, each topic and micro-averaged,\n"
            "entities (micro over article x entity id), per language, the language-\n"
            "identification accuracy, and the misclassified ids. With several corpora, one\n"
            "line per corpus comes first, then the total.\n"
            "\n"
            "  -c, --config FILE   configuration file (rule paths)\n"
            "  --lang LIST         only records whose 'lang' is in LIST (e.g. en,fr,de)\n"
            "  --features FILE     write the topic model's training rows (JSON Lines) to FILE\n"
            "  --json              machine-readable output\n"
            "  -h, --help          this help\n");
}

typedef struct {
    nm_cli_env_t env;
    nm_article_limits_t lim;
    nm_tagger_ws_t *ws;
    nm_eval_t *file, *total;
    const char *only_langs; /* ",en,fr," or NULL */
    FILE *features;         /* --features: the topic model's training rows */
    int bad;
} nm_eval_run_t;

/* One row per candidate topic of a gold-relevant article: the inputs of the
 * topic model and whether the labels carry the topic (for
 * scripts/train_topic_model.py). */
static void nm_eval_features(FILE *f, const nm_rules_t *r, const nm_tagger_ws_t *ws,
                             const nm_article_t *a, json_t *labels, const nm_tag_result_t *res) {
    if (!json_is_true(json_object_get(labels, "relevant")) || !res->ncandidates) return;
    size_t tlen, nsent = 1;
    const char *text = nm_tagger_text(ws, &tlen);
    for (size_t i = 0; i < tlen; i++) nsent += text[i] == '.' || text[i] == '\n';
    json_t *gold = json_object_get(labels, "topics");
    for (int k = 0; k < res->ncandidates; k++) {
        const nm_topic_tag_t *c = &res->candidates[k];
        double x[NM_TOPIC_NFEATURES];
        nm_tagger_topic_features(c, res->candidates[0].score, nsent, x);
        const char *id = r->topics[c->topic].id;
        int fired = 0;
        for (int j = 0; j < res->ntopics; j++) fired |= res->topics[j].topic == c->topic;
        fprintf(f, "{\"id\":\"%s\",\"lang\":\"%s\",\"topic\":\"%s\",\"gold\":%d,"
                   "\"fired\":%d,\"x\":[",
                a->id, res->lang, id, json_is_array(gold) && nm_in_array(gold, id), fired);
        for (int j = 0; j < NM_TOPIC_NFEATURES; j++) fprintf(f, "%s%.6g", j ? "," : "", x[j]);
        fprintf(f, "]}\n");
    }
}

static int nm_eval_wanted(const nm_eval_run_t *R, const char *lang) {
    if (!R->only_langs) return 1;
    char key[16];
    snprintf(key, sizeof key, ",%s,", lang ? lang : "");
    return strstr(R->only_langs, key) != NULL;
}

static int nm_eval_one(void *ud, const char *buf, size_t len, const char *where, long line) {
    nm_eval_run_t *R = ud;
    nm_article_t a;
    nm_tag_result_t res;
    char reason[256];
    json_t *labels;
    if (nm_article_parse(buf, len, &R->lim, &a, reason, sizeof reason)) {
        fprintf(stderr, "%s:%ld: %s\n", where, line, reason);
        R->bad = 1;
    } else if (!nm_eval_wanted(R, a.lang)) {
        /* filtered out by --lang */
    } else if (!json_is_object(labels = json_object_get(a.root, "labels"))) {
        fprintf(stderr, "%s:%ld: no 'labels' object\n", where, line);
        R->bad = 1;
    } else if (nm_tagger_tag(R->env.rules, R->ws, a.title, a.title_len, a.body, a.body_len,
                             a.lang, &res)) {
        fprintf(stderr, "%s:%ld: out of memory\n", where, line);
        R->bad = 1;
    } else {
        if (R->features) nm_eval_features(R->features, R->env.rules, R->ws, &a, labels, &res);
        nm_eval_account(R->file, R->env.rules, &a, labels, &res);
        nm_eval_account(R->total, R->env.rules, &a, labels, &res);
    }
    nm_article_clear(&a);
    return 0;
}

int nm_cmd_eval(int argc, char **argv) {
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"lang", required_argument, NULL, 'l'},
                                         {"features", required_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL;
    int as_json = 0, c;
    char langs[512] = "";
    const char *features = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (c == 'c') config = optarg;
        else if (c == 'l') snprintf(langs, sizeof langs, ",%s,", optarg);
        else if (c == 'f') features = optarg;
        else if (c == 'j') as_json = 1;
        else if (c == 'h') { nm_eval_usage(stdout); return NM_EXIT_OK; }
        else { nm_eval_usage(stderr); return NM_EXIT_USAGE; }
    }
    int nfiles = argc - optind;
    if (nfiles < 1) { nm_eval_usage(stderr); return NM_EXIT_USAGE; }
    nm_eval_run_t R;
    memset(&R, 0, sizeof R);
    R.only_langs = langs[0] ? langs : NULL;
    if (features && !(R.features = fopen(features, "w"))) {
        perror(features);
        return NM_EXIT_USAGE;
    }
    int rc = nm_cli_setup(config, 1, &R.env);
    if (rc) return rc;
    R.lim = (nm_article_limits_t){(size_t)R.env.cfg->max_message_bytes,
                                  (size_t)R.env.cfg->max_body_bytes,
                                  (size_t)R.env.cfg->max_json_depth};
    nm_eval_t *files = calloc((size_t)nfiles, sizeof *files);
    R.total = calloc(1, sizeof *R.total);
    R.ws = nm_tagger_ws_new();
    if (!files || !R.total || !R.ws || !(R.total->errors = json_array())) {
        fprintf(stderr, "newsmon: out of memory\n");
        rc = NM_EXIT_FAIL;
        goto out;
    }
    nm_tagger_ws_always_detect(R.ws, true); /* the accuracy report needs every article's */
    for (int f = 0; f < nfiles; f++) {
        R.file = &files[f];
        if (nm_input_read(argv[optind + f], nm_eval_one, &R, NULL)) rc = NM_EXIT_USAGE;
    }
    if (!rc && R.bad) rc = NM_EXIT_FAIL;
    char what[64];
    snprintf(what, sizeof what, "%d files", nfiles);
    const char *label = nfiles == 1 ? argv[optind] : what;
    if (as_json) {
        json_t *o = nm_eval_json(R.total, R.env.rules, label);
        if (nfiles > 1) {
            json_t *fl = json_array();
            for (int f = 0; f < nfiles; f++)
                json_array_append_new(fl, nm_eval_json(&files[f], R.env.rules, argv[optind + f]));
            json_object_set_new(o, "files", fl);
        }
        json_dumpf(o, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(o);
    } else {
        if (nfiles > 1) nm_eval_print_files(files, argv + optind, nfiles);
        nm_eval_print(R.total, R.env.rules, label);
    }
out:
    if (R.features && fclose(R.features) && !rc) rc = NM_EXIT_FAIL;
    if (R.total) json_decref(R.total->errors);
    free(R.total);
    free(files);
    nm_tagger_ws_destroy(R.ws);
    nm_cli_teardown(&R.env);
    return rc;
}
