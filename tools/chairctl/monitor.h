/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

/* Runs the live view until Ctrl-C (or, without a terminal, until the session ends);
 * once: print one frame. Returns the exit code. */
int monitor_run(sd_bus *bus, bool once, bool json);
