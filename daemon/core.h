/* SPDX-License-Identifier: MIT */
/*
 * The chair's core without a bus: the store, the I/O router and its drivers, the scheduler,
 * the supervisor, the session, the panel, the posture axes (posture.h), the program library
 * and the person's settings, on one event loop (event-loop.h), with their listeners wired.
 * The daemon (daemon.c) adds the sd-event loop, signals, the watchdog, sd_notify and the bus;
 * the virtual-time harness (tests/vt/vt-harness.h) adds a virtual loop and drives the
 * scheduler itself.
 *
 * The struct itself, which the modules read, is in core-context.h.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core-context.h"

/* Loads and checks the map (messages in the journal), opens the drivers (every output safe
 * first), then the scheduler (its thread unless options->no_thread), state, programs,
 * supervisor, session, panel and posture, wired. stop_requested (may be NULL) is asked
 * between the steps: true ends start-up with -ECANCELED. On error *ret holds what was built (free it). */
int chair_core_new(const struct chair_core_options *options, struct event_loop *loop, bool (*stop_requested)(void),
                   struct chair_core **ret);
/* Every output safe first, then everything backwards. NULL-safe. */
struct chair_core *chair_core_free(struct chair_core *c);

/* Reloads the programs; a running session keeps its own timeline. Errors are logged and, when
 * ret_errors is given, returned (free with program_library_free_errors). */
int chair_core_reload_profiles(struct chair_core *c, char ***ret_errors);
/* Injects a named fault into the simulated chair (or the scheduler's "scheduler-hang",
 * "scheduler-late"): -ENODEV when the map has no sim backend, -EINVAL for an unknown name. */
int chair_core_sim_inject_fault(struct chair_core *c, const char *name, bool on);
