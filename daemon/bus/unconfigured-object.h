/* SPDX-License-Identifier: MIT */
/*
 * The chair not configured (no hardware map, not --simulate): the daemon opens no hardware and
 * still owns its name, so `chairctl status` and D-Bus activation get an answer at once instead
 * of waiting out an activation timeout. State reads "unconfigured", FaultMessage says what to do,
 * and every method of both interfaces is refused with Error.NotConfigured naming the map.
 */
#pragma once

#include <stddef.h>

struct chair_daemon;
struct chair_bus;

/* What to do, one sentence naming the map's path (the journal, STATUS= and the error say it). */
void unconfigured_message(const char *config_path, char *buf, size_t size);
/* Connects to the system bus, registers the unconfigured object, takes the name. */
int unconfigured_bus_open(struct chair_daemon *d, struct chair_bus **ret);
