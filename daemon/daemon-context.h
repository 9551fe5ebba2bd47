/* SPDX-License-Identifier: MIT */
/*
 * What the composition root (daemon.c) builds and the D-Bus layer's handlers read: the options,
 * the loop, the core and its modules, the bus. A header of its own, so that the bus layer sees
 * this context without including daemon.h: daemon.c includes the bus, the bus never includes
 * daemon.c's header (no include cycle between the two).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "chair-error.h"
#include "core.h"
#include "settings.h"

struct daemon_options {
        const char *config_path;   /* hardware map */
        bool simulate;
        const char *profiles_dir;  /* shipped programs */
        const char *profiles_override_dir;
        const char *state_dir;
        bool verbose;
        /* No hardware map (main.c): open nothing, answer on the bus (bus/unconfigured-object.h). */
        bool unconfigured;
};

struct chair_bus;
struct sd_event;
struct sd_event_source;

struct chair_daemon {
        struct daemon_options options;
        struct sd_event *event;
        struct event_loop *loop;       /* the core's view of event */
        struct chair_core *core;
        struct chair_bus *bus;         /* the D-Bus layer (bus/chair-bus.h) */
        struct sd_event_source *watchdog_source;
        uint64_t watchdog_interval_usec;
        uint64_t watchdog_scheduler_wakeups;
        bool ready;
};
