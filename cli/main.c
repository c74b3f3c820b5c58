/* main.c - the newsmon command: dispatches to subcommands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nm_cli.h"
#include "nm_err.h"

#ifndef NEWSMON_VERSION
#define NEWSMON_VERSION "0.0.0"
#endif

static void nm_usage(FILE *f) {
    fprintf(f,
            "Usage: newsmon COMMAND [OPTIONS]\n"
            "\n"
            "Tags news articles from Kafka for Russia-North Korea military cooperation\n"
            "and named entities, counts entities in Redis, republishes enriched events\n"
            "and alerts to Kafka.\n"
            "\n"
            "Commands:\n"
            "  run     [-c FILE]                       the daemon (consume, tag, count, produce)\n"
            "  ingest  [-c FILE] PATH...|-             publish articles to the input topic\n"
            "  tag     [-c FILE] [--explain] [PATH...|-]\n"
            "                                          tag offline as the daemon does (no Kafka,\n"
            "                                          no Redis); --explain: why each tag fired\n"
            "  top     [-c FILE] [--entities|--topics] [--stories] [-n N] [--hours H]\n"
            "                                          read counts back from Redis\n"
            "  top     [-c FILE] --movers [-n N] [--hours H]\n"
            "                                          keys ranked by ratio over their baseline\n"
            "  eval    [-c FILE] [--lang L,..] [--json] CORPUS...\n"
            "                                          precision/recall/F1 per corpus, topic, language\n"
            "  topics  [-c FILE] [-p N] [-r N]         create the topics the config names\n"
            "  web     [-c FILE] [--listen ADDR]       the dashboard and its JSON API (reads Redis)\n"
            "\n"
            "  newsmon COMMAND --help   details of a command\n"
            "  newsmon --version        version\n"
            "\n"
            "Config: -c FILE, else $NEWSMON_CONFIG, else ./config/newsmon.conf, else\n"
            "/etc/newsmon/newsmon.conf. Exit codes: 0 ok, 1 runtime failure, 2 usage or\n"
            "config error.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        nm_usage(stderr);
        return NM_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        nm_usage(stdout);
        return NM_EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("newsmon %s\n", NEWSMON_VERSION);
        return NM_EXIT_OK;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"run", nm_cmd_run},   {"ingest", nm_cmd_ingest}, {"tag", nm_cmd_tag},
                {"top", nm_cmd_top},   {"eval", nm_cmd_eval}, {"topics", nm_cmd_topics},
                {"web", nm_cmd_web}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(cmd, cmds[i].name)) return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "newsmon: unknown command '%s' (see newsmon --help)\n", cmd);
    return NM_EXIT_USAGE;
}
