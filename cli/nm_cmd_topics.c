/* nm_cmd_topics.c - `newsmon topics`: create the topics newsmon uses. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nm_cli.h"
#include "nm_kafka.h"

static void nm_topics_usage(FILE *f) {
    fprintf(f,
            "Usage: newsmon topics [-c FILE] [-p N] [-r N]\n"
            "\n"
            "Creates, if missing, every topic the configuration names: the input topic,\n"
            "the enriched topic and the dead-letter topic, the alert topics\n"
            "(<prefix><topic id> for each topic in the rules, and <prefix>all) and the\n"
            "surge topic ([output] surge_topic), through\n"
            "the Kafka Admin API. For clusters that do not auto-create topics.\n"
            "\n"
            "  -c, --config FILE          configuration file\n"
            "  -p, --partitions N         partitions of the input and enriched topics (3)\n"
            "  -r, --replication N        replication factor (1)\n"
            "  -h, --help                 this help\n");
}

int nm_cmd_topics(int argc, char **argv) {
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"partitions", required_argument, NULL, 'p'},
                                         {"replication", required_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL;
    int parts = 3, repl = 1, c;
    while ((c = getopt_long(argc, argv, "c:p:r:h", opts, NULL)) != -1) {
        if (c == 'c') config = optarg;
        else if (c == 'p') parts = atoi(optarg);
        else if (c == 'r') repl = atoi(optarg);
        else if (c == 'h') { nm_topics_usage(stdout); return NM_EXIT_OK; }
        else { nm_topics_usage(stderr); return NM_EXIT_USAGE; }
    }
    if (optind != argc || parts < 1 || repl < 1) { nm_topics_usage(stderr); return NM_EXIT_USAGE; }
    nm_cli_env_t env;
    int rc = nm_cli_setup(config, 1, &env);
    if (rc) return rc;
    const nm_config_t *cfg = env.cfg;
    char e[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk = NULL;
    if (nm_kafka_conf_apply(conf, &cfg->kafka, e, sizeof e)) {
        fprintf(stderr, "newsmon: %s\n", e);
        rd_kafka_conf_destroy(conf);
        nm_cli_teardown(&env);
        return NM_EXIT_USAGE;
    }
    rd_kafka_conf_set_log_cb(conf, nm_kafka_log_cb);
    if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e))) {
        fprintf(stderr, "newsmon: %s\n", e);
        rd_kafka_conf_destroy(conf);
        nm_cli_teardown(&env);
        return NM_EXIT_USAGE;
    }
    size_t n = 3 + env.rules->ntopics + 2;
    rd_kafka_NewTopic_t **nt = calloc(n, sizeof *nt);
    char name[512];
    for (size_t i = 0; i < n; i++) {
        int p = 1;
        if (i == 0) { snprintf(name, sizeof name, "%s", cfg->input_topic); p = parts; }
        else if (i == 1) { snprintf(name, sizeof name, "%s", cfg->enriched_topic); p = parts; }
        else if (i == 2) snprintf(name, sizeof name, "%s", cfg->dlq_topic);
        else if (i < n - 2)
            snprintf(name, sizeof name, "%s%s", cfg->alert_topic_prefix, env.rules->topics[i - 3].id);
        else if (i == n - 2) snprintf(name, sizeof name, "%sall", cfg->alert_topic_prefix);
        else snprintf(name, sizeof name, "%s", cfg->surge_topic);
        nt[i] = rd_kafka_NewTopic_new(name, p, repl, e, sizeof e);
    }
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(o, 15000, e, sizeof e);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, nt, n, o, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    if (!ev || rd_kafka_event_error(ev)) {
        fprintf(stderr, "newsmon: CreateTopics: %s\n",
                ev ? rd_kafka_event_error_string(ev) : "timed out");
        rc = NM_EXIT_FAIL;
    } else {
        size_t cnt;
        const rd_kafka_topic_result_t **tr =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
        for (size_t i = 0; i < cnt; i++) {
            rd_kafka_resp_err_t err = rd_kafka_topic_result_error(tr[i]);
            const char *t = rd_kafka_topic_result_name(tr[i]);
            if (!err) printf("created %s\n", t);
            else if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) printf("exists  %s\n", t);
            else {
                fprintf(stderr, "newsmon: %s: %s\n", t, rd_kafka_topic_result_error_string(tr[i]));
                rc = NM_EXIT_FAIL;
            }
        }
    }
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_NewTopic_destroy_array(nt, n);
    free(nt);
    rd_kafka_destroy(rk);
    nm_cli_teardown(&env);
    return rc;
}
