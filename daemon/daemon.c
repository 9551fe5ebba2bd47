/* SPDX-License-Identifier: MIT */
/*
 * The composition root. Start-up order matters for safety and for systemd:
 *   1. signals blocked before any thread exists;
 *   2. the sd-event loop, then the core (core.c: the map, the drivers with every output safe
 *      first, the scheduler's thread, state, programs, supervisor, session, panel);
 *   3. signals, watchdog, then the bus: objects, then the name;
 *   4. READY=1 only once the name is ours.
 * Shutting down runs it backwards, with every output safe before anything is closed.
 */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "bus/chair-bus.h"
#include "bus/unconfigured-object.h"
#include "chair-bus-names.h"
#include "chair-hw.h"
#include "core.h"
#include "daemon.h"
#include "event-loop-sd-event.h"
#include "log.h"
#include "program-library.h"
#include "scheduler.h"
#include "session.h"
#include "supervisor.h"

/* The core's status lines (the session's state) become sd_notify's. */
static void on_core_status(void *userdata, const char *status) {
        sd_notifyf(false, "STATUS=%s", status);
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct chair_daemon *d = userdata;

        log_info("Received %s, shutting down.", strsignal((int) si->ssi_signo));
        sd_notify(false, "STOPPING=1\nSTATUS=Shutting down, every output to its safe value");
        /* The chair is made safe now, not after the loop has wound down. */
        if (d->core && d->core->hw)
                chair_hw_go_safe(d->core->hw);
        return sd_event_exit(d->event, 0);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct chair_daemon *d = userdata;

        sd_notify(false, "RELOADING=1");
        log_info("Received SIGHUP, reloading programs.");
        chair_core_reload_profiles(d->core, NULL);
        sd_notify(false, "READY=1");
        chair_core_status(d->core, "%s, %zu programs", session_state_name(session_get_state(d->core->session)),
                      program_library_count(d->core->library));
        return 0;
}

/* A test hook, only with $MASSAGECHAIRD_TEST_STALL_FILE set: SIGUSR2 stalls the event loop
 * (as a flood of heavy D-Bus calls would) until that file is removed, at most 60 s, so tests
 * can show what does not wait for the loop. It creates FILE.stalled once the loop is stuck. */
#define TEST_STALL_ENV "MASSAGECHAIRD_TEST_STALL_FILE"
static int on_test_stall(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        const char *path = getenv(TEST_STALL_ENV);
        char marker[PATH_MAX];
        int fd;

        if (!path || snprintf(marker, sizeof marker, "%s.stalled", path) >= (int) sizeof marker)
                return 0;
        log_warning("Test hook: stalling the event loop while %s exists.", path);
        fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0)
                close(fd);
        for (unsigned i = 0; i < 6000 && access(path, F_OK) == 0; i++) {
                struct timespec ms10 = { 0, 10 * 1000 * 1000 };
                nanosleep(&ms10, NULL);
        }
        unlink(marker);
        return 0;
}

/* The watchdog is pinged from progress, not from the loop merely turning: while a program
 * runs the scheduler's thread must have woken since the last ping, and the supervisor must
 * have run its checks. A hung scheduler stops the pings, and systemd restarts the daemon, which
 * starts by making every output safe. */
static int on_watchdog(sd_event_source *s, uint64_t usec, void *userdata) {
        struct chair_daemon *d = userdata;
        uint64_t wakeups;
        bool scheduler_ok, supervisor_ok;

        if (!d->core) { /* unconfigured: nothing runs but the loop */
                sd_notify(false, "WATCHDOG=1");
                return sd_event_source_set_time(s, usec + d->watchdog_interval_usec);
        }
        wakeups = scheduler_wakeups(d->core->scheduler);
        scheduler_ok = scheduler_get_mode(d->core->scheduler) == SCHEDULER_IDLE || wakeups != d->watchdog_scheduler_wakeups;
        d->watchdog_scheduler_wakeups = wakeups;
        supervisor_ok = supervisor_progressed(d->core->supervisor);
        if (scheduler_ok && supervisor_ok)
                sd_notify(false, "WATCHDOG=1");
        else
                log_warning("Watchdog not fed: %s made no progress.", scheduler_ok ? "the supervisor" : "the scheduler");
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

/* SIGTERM and SIGINT are blocked from the start (they reach the event loop's signalfd), so
 * start-up looks for a pending one between its steps and ends promptly instead of starting. */
static bool stop_requested(void) {
        sigset_t pending;

        if (sigpending(&pending) < 0 || (sigismember(&pending, SIGTERM) != 1 && sigismember(&pending, SIGINT) != 1))
                return false;
        log_info("Terminated during start-up.");
        return true;
}

static int on_sighup_unconfigured(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        log_info("Received SIGHUP: not configured, nothing to reload ('systemctl restart massagechaird' reads a new map).");
        return 0;
}

/* No hardware map: no core, no hardware opened; signals, the watchdog and the bus only. */
static int daemon_new_unconfigured(struct chair_daemon *d) {
        char message[1024];
        int r;

        unconfigured_message(d->options.config_path, message, sizeof message);
        log_warning("This chair is not configured: %s.", message);
        r = sd_event_add_signal(d->event, NULL, SIGTERM, on_sigterm, d);
        if (r >= 0)
                r = sd_event_add_signal(d->event, NULL, SIGINT, on_sigterm, d);
        if (r >= 0)
                r = sd_event_add_signal(d->event, NULL, SIGHUP, on_sighup_unconfigured, d);
        if (r < 0)
                return log_error_errno(r, "Failed to set up signal handling: %m");
        r = setup_watchdog(d);
        if (r < 0)
                return r;
        return unconfigured_bus_open(d, &d->bus);
}

int daemon_new(const struct daemon_options *options, struct chair_daemon **ret) {
        _cleanup_free_ struct hardware_map *sim_map = NULL;
        struct chair_daemon *d;
        sigset_t mask;
        int r;

        d = calloc(1, sizeof *d);
        if (!d)
                return log_error_errno(ENOMEM, "Out of memory");
        *ret = d;
        d->options = *options;

        /* Before any thread exists, so every thread inherits the mask and signals reach the
         * event loop's signalfd only. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (getenv(TEST_STALL_ENV))
                sigaddset(&mask, SIGUSR2);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(errno, "Failed to block signals: %m");

        r = sd_event_default(&d->event);
        if (r >= 0)
                r = event_loop_sd_event_new(d->event, &d->loop);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");
        if (options->unconfigured)
                return daemon_new_unconfigured(d);
        /* --simulate: the demo chair has everything the daemon drives, the posture axes too (the
         * core's own simulated chair, the virtual-time tests', is the one without them). */
        if (options->simulate) {
                sim_map = malloc(sizeof *sim_map);
                if (!sim_map)
                        return log_error_errno(ENOMEM, "Out of memory");
                hardware_map_simulated_posture(sim_map);
        }
        r = chair_core_new(&(struct chair_core_options) {
                        .config_path = options->config_path,
                        .simulate = options->simulate,
                        .map = sim_map,
                        .profiles_dir = options->profiles_dir,
                        .profiles_override_dir = options->profiles_override_dir,
                        .state_dir = options->state_dir,
                        .status = on_core_status,
                        .status_userdata = d,
                }, d->loop, stop_requested, &d->core);
        if (r < 0)
                return r;

        r = sd_event_add_signal(d->event, NULL, SIGTERM, on_sigterm, d);
        if (r >= 0)
                r = sd_event_add_signal(d->event, NULL, SIGINT, on_sigterm, d);
        if (r >= 0)
                r = sd_event_add_signal(d->event, NULL, SIGHUP, on_sighup, d);
        if (r >= 0 && getenv(TEST_STALL_ENV))
                r = sd_event_add_signal(d->event, NULL, SIGUSR2, on_test_stall, d);
        if (r < 0)
                return log_error_errno(r, "Failed to set up signal handling: %m");

        r = setup_watchdog(d);
        if (r < 0)
                return r;
        return chair_bus_open(d, &d->bus);
}

int daemon_run(struct chair_daemon *d) {
        int r;

        d->ready = true;
        if (!d->core) {
                char message[1024];
                unconfigured_message(d->options.config_path, message, sizeof message);
                sd_notifyf(false, "READY=1\nSTATUS=Not configured: %s", message);
                log_info("Ready: %s, not configured.", CHAIR_BUS_NAME);
        } else {
                sd_notifyf(false, "READY=1\nSTATUS=Idle, %s, %zu programs", d->core->map.model,
                           program_library_count(d->core->library));
                log_info("Ready: %s on %s.", CHAIR_BUS_NAME, d->core->map.model);
        }
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
        /* Safe first: close the gate and drive every output safe, then wind down. */
        if (d->core && d->core->hw)
                chair_hw_go_safe(d->core->hw);
        sd_event_source_disable_unref(d->watchdog_source);
        chair_bus_free(d->bus);
        chair_core_free(d->core);
        event_loop_free(d->loop);
        sd_event_unref(d->event);
        free(d);
        return NULL;
}
