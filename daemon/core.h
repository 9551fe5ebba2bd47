/* SPDX-License-Identifier: MIT */
/*
 * The chair's core without a bus: the store, the I/O router and its drivers, the scheduler,
 * the supervisor, the session, the panel, the program library and the person's settings, on
 * one event loop (event-loop.h), with their listeners wired. The daemon (daemon.c) adds the
 * sd-event loop, signals, the watchdog, sd_notify and the bus; the virtual-time harness
 * (tests/vt/vt-harness.h) adds a virtual loop and drives the scheduler itself.
 *
 * One instance, passed to the core's modules, no hidden globals. Threads: the loop's (this
 * struct and everything in it) and, in the daemon, the scheduler's real-time thread, which
 * shares only atomics and queues with it. The fields are the modules' shared context: read
 * them, never replace them.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "chair-error.h"
#include "hardware-map.h"
#include "macro.h"

struct chair_changes;
struct chair_driver;
struct chair_hw;
struct chair_settings;
struct event_loop;
struct output_test;
struct panel;
struct program_library;
struct scheduler;
struct session;
struct state_store;
struct supervisor;

struct chair_core_options {
        const char *config_path;   /* hardware map; unused when simulate or map */
        bool simulate;             /* the built-in simulated chair */
        const struct hardware_map *map; /* a map already built (copied; a harness's tweaked one) */
        const char *profiles_dir;  /* shipped programs */
        const char *profiles_override_dir;
        const char *state_dir;
        /* No scheduler thread: whoever runs the loop calls scheduler_service() (the harness). */
        bool no_thread;
};

typedef void (*chair_status_fn)(void *userdata, const char *status);

struct chair_core {
        struct chair_core_options options;
        struct event_loop *loop;
        struct chair_changes *changes; /* the one change channel (changes.h) */
        struct hardware_map map;
        struct chair_hw *hw;
        struct scheduler *scheduler;
        struct supervisor *supervisor;
        struct session *session;
        struct panel *panel;
        struct program_library *library;
        struct state_store *store;
        struct chair_settings *settings; /* the person's settings (settings.h) */
        struct output_test *output_test; /* the technician's output test (output-test.h) */
        bool realtime;                   /* the scheduler's thread got SCHED_FIFO */
        chair_status_fn status;
        void *status_userdata;
};

/* Loads and checks the map (messages in the journal), opens the drivers (every output safe
 * first), then the scheduler (its thread unless options->no_thread), state, programs,
 * supervisor, session and panel, wired. stop_requested (may be NULL) is asked between the
 * steps: true ends start-up with -ECANCELED. On error *ret holds what was built (free it). */
int chair_core_new(const struct chair_core_options *options, struct event_loop *loop, bool (*stop_requested)(void),
                   struct chair_core **ret);
/* Every output safe first, then everything backwards. NULL-safe. */
struct chair_core *chair_core_free(struct chair_core *c);

/* Reloads the programs; a running session keeps its own timeline. Errors are logged and, when
 * ret_errors is given, returned (free with program_library_free_errors). */
int chair_core_reload_profiles(struct chair_core *c, char ***ret_errors);
/* Injects a named fault into the simulated chair (or the scheduler's "scheduler-hang",
 * "scheduler-late"). */
int chair_core_sim_inject_fault(struct chair_core *c, struct chair_driver *sim, const char *name, bool on);
/* A status line (the daemon's sd_notify STATUS=); logged at debug level. */
_printf_(2, 3) void chair_core_status(struct chair_core *c, const char *fmt, ...);
