/* SPDX-License-Identifier: MIT */
/* chairctl hw: the bindings of every input and output, with their values in units. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

/* config: a hardware map to read, or NULL for the daemon's (the built-in one when it
 * simulates, else the installed chair.conf). bus may be NULL: no values then. */
int chairctl_hw(sd_bus *bus, const char *config, bool json, bool pretty, bool no_legend);
