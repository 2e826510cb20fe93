/* agent_daemon.h -- the alfup-agent main loop: channel, step runner, result store. */
#ifndef ALFUP_AGENT_DAEMON_H
#define ALFUP_AGENT_DAEMON_H

#include <signal.h>

#include "agent_config.h"
#include "alfup_error.h"

/* Runs until *stop becomes non-zero (a signal handler sets it). Refuses to
 * start when the config's name differs from its certificate's common name.
 * Returns ALFUP_OK after a clean stop, ALFUP_ERR with err when it could not
 * start or its sockets failed. */
int agent_daemon_run(const agent_config_t *config, const volatile sig_atomic_t *stop, alfup_err_t *err);

#endif
