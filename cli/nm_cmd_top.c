#include <stdio.h>
#include "nm_cli.h"
int nm_cmd_top(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "WIP\n"); return NM_EXIT_FAIL; }
