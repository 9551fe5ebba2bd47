/* SPDX-License-Identifier: MIT */
/*
 * The D-Bus layer: the connection, the objects on it, and what only they need (their timers,
 * the values last announced). It subscribes to the core's change channel and turns marks into
 * PropertiesChanged and events into signals; the core never sees it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "bus-state.h"

struct chair_daemon;

/* Connects to the system bus, registers the objects, takes the name. */
int chair_bus_open(struct chair_daemon *d, struct chair_bus **ret);
struct chair_bus *chair_bus_free(struct chair_bus *b);
