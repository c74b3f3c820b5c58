/* nm_article_path.c - one article: parse, tag, event, alert decision (see
 * nm_pipeline.h). The one path of `run`, `tag` and `eval`. */
#include <stdlib.h>
#include <string.h>

#include "nm_event.h"
#include "nm_pipeline.h"

struct nm_pipeline_proc_s {
    const nm_config_t *cfg;
    nm_article_limits_t lim;
    nm_tagger_ws_t *ws;
    nm_article_t a;
    nm_tag_result_t res;
    nm_jbuf_t ev, al, rec; /* reused */
    nm_pipeline_out_t out;
};

nm_pipeline_proc_t *nm_pipeline_proc_new(const nm_config_t *cfg) {
    nm_pipeline_proc_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->cfg = cfg;
    p->lim = (nm_article_limits_t){(size_t)cfg->max_message_bytes, (size_t)cfg->max_body_bytes,
                                   (size_t)cfg->max_json_depth};
    nm_jbuf_init(&p->ev);
    nm_jbuf_init(&p->al);
    nm_jbuf_init(&p->rec);
    if (!(p->ws = nm_tagger_ws_new())) {
        free(p);
        return NULL;
    }
    return p;
}

nm_tagger_ws_t *nm_pipeline_proc_ws(nm_pipeline_proc_t *p) { return p->ws; }

void nm_pipeline_proc_destroy(nm_pipeline_proc_t *p) {
    if (!p) return;
    nm_article_clear(&p->a);
    nm_jbuf_free(&p->ev);
    nm_jbuf_free(&p->al);
    nm_jbuf_free(&p->rec);
    nm_tagger_ws_destroy(p->ws);
    free(p);
}

const nm_pipeline_out_t *nm_pipeline_article(nm_pipeline_proc_t *p, const nm_rules_t *rules,
                                             const char *buf, size_t len,
                                             const char *processed_at) {
    const nm_config_t *cfg = p->cfg;
    nm_pipeline_out_t *o = &p->out;
    memset(o, 0, sizeof *o);
    nm_article_clear(&p->a);
    char now[32];
    if (!processed_at) {
        nm_event_now(now);
        processed_at = now;
    }
    o->err = nm_article_parse(buf, len, &p->lim, &p->a, o->reason, sizeof o->reason);
    if (o->err) return o;
    if (nm_tagger_tag(rules, p->ws, p->a.title, p->a.title_len, p->a.body, p->a.body_len,
                      p->a.lang, &p->res)) {
        o->err = nm_seterr(o->reason, sizeof o->reason, NM_ERR_NOMEM, "out of memory tagging");
        return o;
    }
    o->article = &p->a;
    o->tags = &p->res;
    nm_body_mode_t body = cfg->include_body ? NM_BODY_INCLUDE : NM_BODY_EXCLUDE;
    size_t max = (size_t)cfg->max_output_bytes;
    nm_err_t rc = nm_event_enriched(&p->ev, &p->a, rules, &p->res, body, processed_at);
    if (!rc && p->ev.len > max && body == NM_BODY_INCLUDE)
        /* too large for the topic: the tags matter more than the body */
        rc = nm_event_enriched(&p->ev, &p->a, rules, &p->res, NM_BODY_OMITTED, processed_at);
    if (rc) {
        o->err = nm_seterr(o->reason, sizeof o->reason, NM_ERR_NOMEM, "cannot build event");
        return o;
    }
    if (p->ev.len > max) {
        o->err = nm_seterr(o->reason, sizeof o->reason, NM_ERR_LIMIT,
                           "enriched event of %zu bytes exceeds max_output_bytes %ld", p->ev.len,
                           cfg->max_output_bytes);
        return o;
    }
    o->event = p->ev.s;
    o->event_len = p->ev.len;
    if (!p->res.relevant || p->res.score < rules->settings.alert_threshold || p->res.ntopics == 0)
        return o;
    if (nm_event_alert(&p->al, &p->a, rules, &p->res, NM_ALERT_TOPIC_IDS, processed_at) ||
        nm_event_alert(&p->rec, &p->a, rules, &p->res, NM_ALERT_TOPIC_EVIDENCE, processed_at)) {
        o->err = nm_seterr(o->reason, sizeof o->reason, NM_ERR_NOMEM, "cannot build alert");
        o->event = NULL;
        return o;
    }
    o->alert = 1;
    o->alert_json = p->al.s;
    o->alert_len = p->al.len;
    o->record = p->rec.s;
    o->record_len = p->rec.len;
    return o;
}
