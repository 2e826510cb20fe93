/* fleet_cli.h -- the `fleet check` and `fleet show` commands (docs/fleet.md). */
#ifndef ALFUP_FLEET_CLI_H
#define ALFUP_FLEET_CLI_H

#include <stdio.h>

/* Windows `fleet show` lists by default, and at most. */
#define FLEET_CLI_WINDOWS_DEFAULT 5
#define FLEET_CLI_WINDOWS_MAX 100

/* words[0] is "fleet". check: every error as FILE:LINE on err, exit 1 if any. show: the
 * timeline from --from (default now) as text or --json on out. 0, 1 or 2 (usage). */
int fleet_cli_main(int count, char **words, FILE *out, FILE *err);

#endif
