/* SPDX-License-Identifier: MIT */
/*
 * The daemon: the composition root. It owns the sd-event loop, the signals, the watchdog,
 * sd_notify and the bus, on top of the core (core.h), which knows none of them. Owned by
 * main.c. Threads: the event loop (this struct, D-Bus, drivers' events, the core) and the
 * scheduler's real-time thread (scheduler.c), which shares only atomics and queues with it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "daemon-context.h"

int daemon_new(const struct daemon_options *options, struct chair_daemon **ret);
int daemon_run(struct chair_daemon *d);
struct chair_daemon *daemon_free(struct chair_daemon *d);
/* sd_notify STATUS= line; also logged at debug level. */
