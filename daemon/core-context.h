/* SPDX-License-Identifier: MIT */
/*
 * The core's shared context (built by core.c, see core.h): one instance, passed to the core's
 * modules, no hidden globals. The fields are the modules' shared context: read them, never
 * replace them. A header of its own so that the modules depend on the context, not on the
 * composition that includes them all.
 *
 * Threads: the loop's (this struct and everything in it) and, in the daemon, the scheduler's
 * real-time thread, which shares only atomics and queues with it.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hardware-map.h"
#include "log.h"
#include "macro.h"

struct chair_changes;
struct chair_hw;
struct chair_settings;
struct event_loop;
struct panel;
struct people;
struct posture;
struct program_library;
struct scheduler;
struct session;
struct state_store;
struct supervisor;

typedef void (*chair_status_fn)(void *userdata, const char *status);

struct chair_core_options {
        const char *config_path;   /* hardware map; unused when simulate or map */
        bool simulate;             /* the built-in simulated chair */
        const struct hardware_map *map; /* a map already built (copied; a harness's tweaked one) */
        const char *profiles_dir;  /* shipped programs */
        const char *profiles_override_dir;
        const char *state_dir;
        /* No scheduler thread: whoever runs the loop calls scheduler_service() (the harness). */
        bool no_thread;
        /* Where the status lines go (the daemon's sd_notify), from the first one on: a fault
         * restored at start-up says so. NULL: only logged. */
        chair_status_fn status;
        void *status_userdata;
};

struct output_test;

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
        struct people *people;           /* who uses the chair, one of them active (people.h) */
        struct chair_settings *settings; /* the person's settings (settings.h) */
        struct output_test *output_test; /* the technician's output test (output-test.h) */
        struct posture *posture;         /* the posture axes' motion rules (posture.h) */
        bool realtime;                   /* the scheduler's thread got SCHED_FIFO */
        chair_status_fn status;
        void *status_userdata;
};

/* A status line (the daemon's sd_notify STATUS=); logged at debug level. */
_printf_(2, 3) static inline void chair_core_status(struct chair_core *c, const char *fmt, ...) {
        char buf[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        log_debug("status: %s", buf);
        if (c->status)
                c->status(c->status_userdata, buf);
}
