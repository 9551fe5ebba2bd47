/* SPDX-License-Identifier: MIT */
/*
 * The daemon's context: one instance, passed everywhere, no hidden globals. Owned by main.c.
 * Threads: the event loop (this struct, D-Bus, drivers' events, session, supervisor) and the
 * scheduler's real-time thread (scheduler.c), which shares only atomics and queues with it.
 */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "chair-error.h"
#include "hardware-map.h"

struct daemon_options {
        const char *config_path;   /* hardware map */
        bool simulate;
        const char *profiles_dir;  /* shipped programs */
        const char *profiles_override_dir;
        const char *state_dir;
        bool verbose;
};

struct chair_hw;
struct scheduler;
struct session;
struct supervisor;
struct panel;
struct program_library;
struct state_store;
struct chair_driver;
struct chair_bus;
struct chair_changes;

struct chair_daemon {
        struct daemon_options options;
        sd_event *event;
        struct chair_changes *changes; /* the one change channel (changes.h) */
        struct chair_bus *bus;         /* the D-Bus layer (bus/chair-bus.h); NULL without a bus */
        sd_event_source *watchdog_source;
        uint64_t watchdog_interval_usec;
        uint64_t watchdog_scheduler_wakeups;
        struct hardware_map map;
        struct chair_hw *hw;
        struct scheduler *scheduler;
        struct supervisor *supervisor;
        struct session *session;
        struct panel *panel;
        struct program_library *library;
        struct state_store *store;
        char **precautions;          /* the person's declared conditions, NULL-terminated */
        bool precautions_unreadable; /* the stored list could not be read back: sessions are refused */
        bool child_lock;
        bool realtime;
        bool ready;
};

int daemon_new(const struct daemon_options *options, struct chair_daemon **ret);
int daemon_run(struct chair_daemon *d);
struct chair_daemon *daemon_free(struct chair_daemon *d);
/* Declares the person's conditions: checks and stores the NULL-terminated list first, and only
 * then takes ownership of it, announces it and applies it to a running session (which a
 * must-not-use or stricter list ends). On error (-EINVAL an unknown name, -ENOBUFS too long for
 * the store, or the write's error) nothing changes and the list stays the caller's. */
int daemon_set_precautions(struct chair_daemon *d, char **list);
/* The person's child lock: stored, logged (saying from where) and announced; one setter for the
 * panel and D-Bus. */
void daemon_set_child_lock(struct chair_daemon *d, bool on, const char *from);
/* The technician's default auto-off timer: stored first, then the session's timer follows it. */
int daemon_set_default_timer(struct chair_daemon *d, uint32_t minutes, struct chair_error *error);
/* Reloads the programs; a running session keeps its own timeline. Errors are logged and, when
 * ret_errors is given, returned (free with program_library_free_errors). */
int daemon_reload_profiles(struct chair_daemon *d, char ***ret_errors);
/* Injects a named fault into the simulated chair. */
int daemon_sim_inject_fault(struct chair_daemon *d, struct chair_driver *sim, const char *name, bool on);
/* sd_notify STATUS= line; also logged at debug level. */
void daemon_status(struct chair_daemon *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
