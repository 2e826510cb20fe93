/* controller_daemon.h -- `alfup-controller serve`: agents' channel, journal, admin socket. */
#ifndef ALFUP_CONTROLLER_DAEMON_H
#define ALFUP_CONTROLLER_DAEMON_H

#include <signal.h>

#include "alfup_error.h"
#include "controller_config.h"

/* Runs until *stop becomes non-zero. ALFUP_OK after a clean stop, ALFUP_ERR
 * with err when it could not start (bind, certificates, journal). */
int controller_daemon_run(const controller_config_t *config, const volatile sig_atomic_t *stop,
                          alfup_err_t *err);

#endif
