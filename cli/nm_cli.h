/* nm_cli.h - what the newsmon subcommands share: set-up and exit codes. */
#ifndef NM_CLI_H
#define NM_CLI_H

#include <signal.h>
#include <stdio.h>

#include "nm_config.h"
#include "nm_rules.h"
#include "nm_text.h"

/* Exit codes of every subcommand. */
enum { NM_EXIT_OK = 0, NM_EXIT_FAIL = 1, NM_EXIT_USAGE = 2 };

typedef struct {
    nm_config_t *cfg;
    nm_text_t *text;
    nm_rules_t *rules;
} nm_cli_env_t;

/** @brief Load the config (path NULL: the default path) and, if need_rules,
 *  the rule files. Prints `file:line: reason` on failure.
 *  @returns NM_EXIT_OK or NM_EXIT_USAGE (bad config). */
int nm_cli_setup(const char *config_path, int need_rules, nm_cli_env_t *env);
void nm_cli_teardown(nm_cli_env_t *env);

/** @brief Parse the options of commands that take only `-c FILE` and
 *  `-h`; positional arguments then start at argv[optind].
 *  @returns -1 to go on, else the exit code to return (help printed, or a
 *  usage error reported through `usage(stderr)`). */
int nm_cli_options(int argc, char **argv, const char **config, void (*usage)(FILE *));

/** @brief Install SIGINT/SIGTERM (stop) and SIGHUP (reload) handlers. */
void nm_cli_signals(void);
/** @brief Set by SIGINT/SIGTERM. */
extern volatile sig_atomic_t nm_cli_stop;
/** @brief Set by SIGHUP; the daemon clears it when it has reloaded. */
extern volatile sig_atomic_t nm_cli_reload;

int nm_cmd_run(int argc, char **argv);
int nm_cmd_ingest(int argc, char **argv);
int nm_cmd_tag(int argc, char **argv);
int nm_cmd_top(int argc, char **argv);
int nm_cmd_eval(int argc, char **argv);
int nm_cmd_topics(int argc, char **argv);
int nm_cmd_web(int argc, char **argv);

#endif
