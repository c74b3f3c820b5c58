/* nm_cli.c - shared set-up for the subcommands. */
#include "nm_cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

volatile sig_atomic_t nm_cli_stop = 0;
volatile sig_atomic_t nm_cli_reload = 0;

static void nm_on_stop(int sig) { (void)sig; nm_cli_stop = 1; }
static void nm_on_hup(int sig) { (void)sig; nm_cli_reload = 1; }

void nm_cli_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = nm_on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = nm_on_hup;
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

int nm_cli_setup(const char *config_path, int need_rules, nm_cli_env_t *env) {
    char err[1024];
    memset(env, 0, sizeof *env);
    env->cfg = nm_config_load(config_path ? config_path : nm_config_default_path(), err,
                              sizeof err);
    if (!env->cfg) {
        fprintf(stderr, "newsmon: %s\n", err);
        return NM_EXIT_USAGE;
    }
    nm_log_set_level((nm_log_level_t)nm_log_level_parse(env->cfg->log_level));
    if (!need_rules) return NM_EXIT_OK;
    env->text = nm_text_new();
    if (!env->text) {
        fprintf(stderr, "newsmon: out of memory\n");
        nm_cli_teardown(env);
        return NM_EXIT_FAIL;
    }
    env->rules = nm_rules_load(env->text, &(nm_rule_paths_t){env->cfg->gazetteer, env->cfg->rules,
                                                              env->cfg->languages,
                                                              env->cfg->topic_model},
                               err, sizeof err);
    if (!env->rules) {
        fprintf(stderr, "newsmon: %s\n", err);
        nm_cli_teardown(env);
        return NM_EXIT_USAGE;
    }
    return NM_EXIT_OK;
}

void nm_cli_teardown(nm_cli_env_t *env) {
    nm_rules_destroy(env->rules);
    nm_text_destroy(env->text);
    nm_config_destroy(env->cfg);
    memset(env, 0, sizeof *env);
}

int nm_cli_options(int argc, char **argv, const char **config, void (*usage)(FILE *)) {
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (c == 'c') {
            *config = optarg;
        } else if (c == 'h') {
            usage(stdout);
            return NM_EXIT_OK;
        } else {
            usage(stderr);
            return NM_EXIT_USAGE;
        }
    }
    return -1;
}
