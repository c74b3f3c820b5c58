/* nm_event.c - builds enriched events and alerts. */
#include "nm_event.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#ifndef NEWSMON_VERSION
#define NEWSMON_VERSION "0.0.0"
#endif

void nm_event_now(char buf[32]) {
    /* 64 bytes of room silences -Wformat-truncation for impossible years */
    char tmp[64];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             ts.tv_nsec / 1000000L);
    memcpy(buf, tmp, 31);
    buf[31] = '\0';
}

static int nm_set_str(json_t *o, const char *key, const char *v) {
    return v ? json_object_set_new(o, key, json_string(v)) : 0;
}

/* Snippets are cut at byte offsets of valid UTF-8 text; newlines become
 * spaces so an analyst can read them on one line. */
static json_t *nm_snippet(const char *s, size_t len) {
    char buf[256];
    size_t n = len < sizeof buf ? len : sizeof buf - 1;
    for (size_t i = 0; i < n; i++) buf[i] = (s[i] == '\n' || s[i] == '\r' || s[i] == '\t') ? ' ' : s[i];
    /* drop a last UTF-8 sequence that the length limit cut short */
    size_t lead = n;
    while (lead && ((unsigned char)buf[lead - 1] & 0xC0) == 0x80) lead--;
    if (lead) {
        unsigned char c = (unsigned char)buf[lead - 1];
        size_t want = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (lead - 1 + want > n) n = lead - 1;
    }
    json_t *j = json_stringn(buf, n);
    return j ? j : json_string("");
}

static json_t *nm_evidence_json(const nm_evidence_t *ev) {
    return json_pack("{s:s, s:s, s:s, s:I, s:o}", "term", ev->term, "rule", ev->rule, "field",
                     ev->field ? "body" : "title", "offset", (json_int_t)ev->offset,
                     "snippet", nm_snippet(ev->snippet, ev->snippet_len));
}

static void nm_copy_input(json_t *ev, const nm_article_t *a, int include_body) {
    nm_set_str(ev, "id", a->id);
    nm_set_str(ev, "url", a->url);
    nm_set_str(ev, "source", a->source);
    nm_set_str(ev, "published_at", a->published_at);
    json_object_set_new(ev, "title", json_stringn(a->title, a->title_len));
    if (include_body) json_object_set_new(ev, "body", json_stringn(a->body, a->body_len));
}

/* A new event with the input fields, and two new empty arrays for the
 * caller to fill and attach; NULL (nothing allocated) on OOM. */
static json_t *nm_event_base(const nm_article_t *a, int include_body, json_t **topics,
                             json_t **entities) {
    json_t *ev = json_object();
    *topics = json_array();
    *entities = json_array();
    if (!ev || !*topics || !*entities) {
        json_decref(ev);
        json_decref(*topics);
        json_decref(*entities);
        return NULL;
    }
    nm_copy_input(ev, a, include_body);
    return ev;
}

/* Scores are printed with three decimals: enough for analysts, stable. */
static json_t *nm_score(double v) { return json_real((double)(long)(v * 1000) / 1000); }

json_t *nm_event_enriched(const nm_article_t *a, const nm_rules_t *rules,
                          const nm_tag_result_t *res, int include_body,
                          const char *processed_at) {
    json_t *topics, *entities;
    json_t *ev = nm_event_base(a, include_body, &topics, &entities);
    if (!ev) return NULL;
    json_object_set_new(ev, "relevant", json_boolean(res->relevant));
    json_object_set_new(ev, "score", nm_score(res->score));
    for (int i = 0; i < res->ntopics; i++) {
        const nm_topic_tag_t *t = &res->topics[i];
        json_t *evs = json_array();
        for (int k = 0; k < t->nev; k++) json_array_append_new(evs, nm_evidence_json(&t->ev[k]));
        json_array_append_new(topics, json_pack("{s:s, s:o, s:o}", "id",
                                                rules->topics[t->topic].id, "score",
                                                nm_score(t->score), "evidence", evs));
    }
    json_object_set_new(ev, "topics", topics);
    for (int i = 0; i < res->nentities; i++) {
        const nm_entity_tag_t *e = &res->entities[i];
        const nm_entity_t *ent = &rules->entities[e->entity];
        json_array_append_new(entities,
                              json_pack("{s:s, s:s, s:s, s:i, s:[o]}", "id", ent->id, "name",
                                        ent->name, "type", ent->type, "mentions", e->mentions,
                                        "evidence", nm_evidence_json(&e->ev)));
    }
    json_object_set_new(ev, "entities", entities);
    json_object_set_new(ev, "lang", json_string(res->lang));
    if (a->utf8_repaired) json_object_set_new(ev, "utf8_repaired", json_true());
    json_object_set_new(ev, "processed_at", json_string(processed_at));
    json_object_set_new(ev, "newsmon_version", json_string(NEWSMON_VERSION));
    json_object_set_new(ev, "rules_version", json_string(rules->version));
    return ev;
}

json_t *nm_event_alert(const nm_article_t *a, const nm_rules_t *rules,
                       const nm_tag_result_t *res, const char *processed_at) {
    json_t *topics, *entities;
    json_t *ev = nm_event_base(a, 0, &topics, &entities);
    if (!ev) return NULL;
    nm_set_str(ev, "lang", res->lang);
    json_object_set_new(ev, "score", nm_score(res->score));
    for (int i = 0; i < res->ntopics; i++)
        json_array_append_new(topics, json_string(rules->topics[res->topics[i].topic].id));
    for (int i = 0; i < res->nentities && i < 10; i++)
        json_array_append_new(entities, json_string(rules->entities[res->entities[i].entity].id));
    json_object_set_new(ev, "topics", topics);
    json_object_set_new(ev, "entities", entities);
    json_object_set_new(ev, "processed_at", json_string(processed_at));
    json_object_set_new(ev, "rules_version", json_string(rules->version));
    return ev;
}
