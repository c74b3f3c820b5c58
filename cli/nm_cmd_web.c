/* nm_cmd_web.c - `newsmon web`: parse the arguments, serve the dashboard
 * (web/nm_web.h) until SIGINT/SIGTERM. */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "nm_cli.h"
#include "nm_web.h"

static void nm_web_usage(FILE *f) {
    fprintf(f,
            "Usage: newsmon web [-c FILE] [--listen IPv4:PORT]\n"
            "\n"
            "Serves the analysts' dashboard and its JSON API (/api/...) over HTTP,\n"
            "reading only Redis: hourly trends per entity and topic, top entities,\n"
            "topics and movers, the latest alerts with their evidence. Every file\n"
            "the page needs is inside newsmon: it works with no internet access.\n"
            "\n"
            "  -c, --config FILE     configuration file ([redis], [web]; [rules] for the\n"
            "                        names of entities and topics)\n"
            "  -l, --listen ADDR     address to serve on (default: [web] listen,\n"
            "                        127.0.0.1:9480)\n"
            "  -h, --help            this help\n"
            "\n"
            "SIGINT or SIGTERM stops it (exit 0).\n");
}

int nm_cmd_web(int argc, char **argv) {
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"listen", required_argument, NULL, 'l'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL, *listen = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:l:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'l': listen = optarg; break;
        case 'h': nm_web_usage(stdout); return NM_EXIT_OK;
        default: nm_web_usage(stderr); return NM_EXIT_USAGE;
        }
    }
    if (optind != argc) { nm_web_usage(stderr); return NM_EXIT_USAGE; }
    nm_cli_env_t env;
    int rc = nm_cli_setup(config, 1, &env); /* rules: the display names */
    if (rc) return rc;
    if (!listen) listen = env.cfg->web_listen;
    char e[512];
    nm_cli_signals();
    nm_web_t *w;
    nm_err_t err = nm_web_start(env.cfg, env.rules, listen, &w, e, sizeof e);
    if (err) {
        fprintf(stderr, "newsmon: %s\n", e);
        nm_cli_teardown(&env);
        return err == NM_ERR_CONFIG ? NM_EXIT_USAGE : NM_EXIT_FAIL;
    }
    NM_LOG(NM_LOG_INFO, "web", "dashboard on http://%s/ (Redis %s:%ld)", listen,
           env.cfg->redis_host, env.cfg->redis_port);
    while (!nm_cli_stop) usleep(100 * 1000);
    NM_LOG(NM_LOG_INFO, "web", "stopping");
    nm_web_stop(w);
    nm_cli_teardown(&env);
    return NM_EXIT_OK;
}
