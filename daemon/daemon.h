/* SPDX-License-Identifier: MIT */
/*
 * The daemon's context: one instance, passed everywhere, no hidden globals. Owned by main.c.
 * Threads: the event loop (this struct, D-Bus, drivers' events, session, supervisor) and the
 * scheduler's real-time thread (scheduler.c), which shares only atomics and queues with it.
 */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "hardware-map.h"

#define CHAIR_BUS_NAME "org.massagechair.Chair1"
#define CHAIR_OBJECT_PATH "/org/massagechair/Chair1"
#define CHAIR_INTERFACE "org.massagechair.Chair1"
#define CHAIR_SERVICE_INTERFACE "org.massagechair.Chair1.Service"

struct daemon_options {
        const char *config_path;   /* hardware map */
        bool simulate;
        const char *profiles_dir;  /* shipped programs */
        const char *profiles_override_dir;
        const char *state_dir;
        bool verbose;
};

struct chair_daemon {
        struct daemon_options options;
        sd_event *event;
        sd_bus *bus;
        sd_bus_slot *chair_slot;
        sd_event_source *watchdog_source;
        uint64_t watchdog_interval_usec;
        struct hardware_map map;
        const char *state;          /* session state name as on D-Bus */
        bool ready;
};

int daemon_new(const struct daemon_options *options, struct chair_daemon **ret);
int daemon_run(struct chair_daemon *d);
struct chair_daemon *daemon_free(struct chair_daemon *d);
/* sd_notify STATUS= line; also logged at debug level. */
void daemon_status(struct chair_daemon *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
