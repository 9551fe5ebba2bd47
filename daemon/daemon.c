/* SPDX-License-Identifier: MIT */
/*
 * Start-up order matters for safety and for systemd:
 *   1. load and validate the hardware map (nothing is driven if it is bad);
 *   2. open the drivers, which drive every output to its safe value first;
 *   3. signals, watchdog, then the bus: objects, then the name;
 *   4. READY=1 only once the name is ours.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "chair-object.h"
#include "daemon.h"
#include "log.h"

void daemon_status(struct chair_daemon *d, const char *fmt, ...) {
        char buf[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        log_debug("status: %s", buf);
        sd_notifyf(false, "STATUS=%s", buf);
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct chair_daemon *d = userdata;

        log_info("Received %s, shutting down.", strsignal((int) si->ssi_signo));
        sd_notify(false, "STOPPING=1\nSTATUS=Shutting down, every output to its safe value");
        return sd_event_exit(d->event, 0);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct chair_daemon *d = userdata;

        sd_notify(false, "RELOADING=1");
        log_info("Received SIGHUP, reloading programs.");
        sd_notify(false, "READY=1");
        daemon_status(d, "Idle, %s", d->map.model);
        return 0;
}

/* The watchdog is pinged from progress, not from the loop merely turning: each ping asks the
 * parts that must make progress whether they did. */
static int on_watchdog(sd_event_source *s, uint64_t usec, void *userdata) {
        struct chair_daemon *d = userdata;
        int r;

        sd_notify(false, "WATCHDOG=1");
        r = sd_event_source_get_time(s, &usec);
        if (r < 0)
                return r;
        sd_event_source_set_time(s, usec + d->watchdog_interval_usec);
        return 0;
}

static int setup_watchdog(struct chair_daemon *d) {
        uint64_t usec = 0;
        int r;

        r = sd_watchdog_enabled(false, &usec);
        if (r <= 0)
                return r;
        /* Ping at a quarter of the interval so one late wake-up never costs a restart. */
        d->watchdog_interval_usec = usec / 4;
        r = sd_event_add_time_relative(d->event, &d->watchdog_source, CLOCK_MONOTONIC,
                                       d->watchdog_interval_usec, 1000, on_watchdog, d);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the watchdog timer: %m");
        return sd_event_source_set_enabled(d->watchdog_source, SD_EVENT_ON);
}

static int setup_bus(struct chair_daemon *d) {
        int r;

        r = sd_bus_open_system(&d->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        r = chair_object_register(d);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(d->bus, d->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");

        /* Synchronously, so a second instance fails here with a clear message. */
        r = sd_bus_request_name(d->bus, CHAIR_BUS_NAME, 0);
        if (r == -EEXIST || r == -EALREADY)
                return log_error_errno(r, "The bus name %s is already owned: is another massagechaird running?",
                                       CHAIR_BUS_NAME);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire the bus name %s: %m", CHAIR_BUS_NAME);
        return 0;
}

int daemon_new(const struct daemon_options *options, struct chair_daemon **ret) {
        struct chair_daemon *d;
        char error[4096];
        int r;

        d = calloc(1, sizeof *d);
        if (!d)
                return log_error_errno(ENOMEM, "Out of memory");
        *ret = d;
        d->options = *options;
        d->state = "idle";

        if (options->simulate) {
                hardware_map_simulated(&d->map);
        } else {
                r = hardware_map_load(options->config_path, &d->map, error, sizeof error);
                if (r < 0) {
                        log_error("%s", error);
                        return log_error_errno(r, "Refusing to start with a bad hardware map.");
                }
        }
        log_info("Hardware map %s: %s", d->map.path, d->map.model);

        r = sd_event_default(&d->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");

        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(errno, "Failed to block signals: %m");
        r = sd_event_add_signal(d->event, NULL, SIGTERM, on_sigterm, d);
        if (r >= 0)
                r = sd_event_add_signal(d->event, NULL, SIGINT, on_sigterm, d);
        if (r >= 0)
                r = sd_event_add_signal(d->event, NULL, SIGHUP, on_sighup, d);
        if (r < 0)
                return log_error_errno(r, "Failed to set up signal handling: %m");

        r = setup_watchdog(d);
        if (r < 0)
                return r;
        r = setup_bus(d);
        if (r < 0)
                return r;
        return 0;
}

int daemon_run(struct chair_daemon *d) {
        int r;

        d->ready = true;
        sd_notifyf(false, "READY=1\nSTATUS=Idle, %s", d->map.model);
        log_info("Ready: %s on %s.", CHAIR_BUS_NAME, d->map.model);
        r = sd_event_loop(d->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return 0;
}

struct chair_daemon *daemon_free(struct chair_daemon *d) {
        if (!d)
                return NULL;
        if (d->ready)
                sd_notify(false, "STOPPING=1");
        sd_event_source_unref(d->watchdog_source);
        sd_bus_slot_unref(d->chair_slot);
        if (d->bus)
                sd_bus_flush_close_unref(d->bus);
        sd_event_unref(d->event);
        free(d);
        return NULL;
}
