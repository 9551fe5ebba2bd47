/* SPDX-License-Identifier: MIT */
/*
 * Start-up order matters for safety and for systemd:
 *   1. load and validate the hardware map (nothing is driven if it is bad);
 *   2. open the drivers, which drive every output to its safe value first (a crash may have
 *      left them on);
 *   3. the scheduler's thread, the supervisor, the session, the programs and the state;
 *   4. signals, watchdog, then the bus: objects, then the name;
 *   5. READY=1 only once the name is ours.
 * Shutting down runs it backwards, with every output safe before anything is closed.
 */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "atomic-file.h"
#include "bus/chair-bus.h"
#include "chair-bus-names.h"
#include "chair-hw.h"
#include "changes.h"
#include "daemon.h"
#include "driver-sim.h"
#include "log.h"
#include "program-library.h"
#include "scheduler.h"
#include "panel.h"
#include "precautions.h"
#include "session.h"
#include "state-store.h"
#include "strv.h"
#include "supervisor.h"
#include "vocab.h"

void daemon_status(struct chair_daemon *d, const char *fmt, ...) {
        char buf[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        log_debug("status: %s", buf);
        sd_notifyf(false, "STATUS=%s", buf);
}

int daemon_set_precautions(struct chair_daemon *d, char **list) {
        int r;

        for (char **p = list; p && *p; p++)
                if (!precaution_find(*p))
                        return -EINVAL;
        r = state_store_save_precautions(d->store, (const char *const *) list);
        if (r < 0)
                return r;
        strv_free(d->precautions);
        d->precautions = list;
        if (d->precautions_unreadable)
                log_info("Precautions declared again; sessions are allowed.");
        d->precautions_unreadable = false;
        chair_changes_mark(d->changes, CHAIR_CHANGE_PRECAUTIONS);
        session_precautions_changed(d->session);
        return 0;
}

int daemon_reload_profiles(struct chair_daemon *d, char ***ret_errors) {
        char **errors = NULL;
        int r;

        r = program_library_reload(d->library, &errors);
        for (char **e = errors; e && *e; e++)
                log_warning("%s", *e);
        log_info("Programs loaded: %zu.", program_library_count(d->library));
        if (ret_errors)
                *ret_errors = errors;
        else
                program_library_free_errors(errors);
        return r;
}

int daemon_sim_inject_fault(struct chair_daemon *d, struct chair_driver *sim, const char *name, bool on) {
        /* A hung scheduler is a fault of the daemon, not of the chair: simulated all the same. */
        if (strcmp(name, "scheduler-hang") == 0)
                return on ? scheduler_inject_hang(d->scheduler) : -EINVAL;
        if (strcmp(name, "scheduler-late") == 0)
                return on ? scheduler_inject_late(d->scheduler, 2 * d->map.limits.deadline_miss_ms) : -EINVAL;
        return chair_driver_sim_inject(sim, name, on);
}

void daemon_set_child_lock(struct chair_daemon *d, bool on, const char *from) {
        int r;

        if (d->child_lock == on)
                return;
        d->child_lock = on;
        r = state_store_save_child_lock(d->store, on);
        if (r < 0)
                log_warning_errno(r, "Could not store the child lock: %m");
        log_info("Child lock %s %s.", on ? "on" : "off", from);
        chair_changes_mark(d->changes, CHAIR_CHANGE_CHILD_LOCK);
}

int daemon_set_default_timer(struct chair_daemon *d, uint32_t minutes, struct chair_error *error) {
        int r = state_store_save_default_timer(d->store, minutes);

        if (r < 0)
                return chair_error_set_errno(error, r, "Could not store the default timer: %m");
        d->map.auto_off_default_min = minutes;
        return session_set_timer(d->session, minutes, error);
}

/* The composition root's wiring: what the supervisor publishes reaches the session first (a
 * trip ends the session with reason "fault" before the bus signals FaultRaised). */
static void on_supervisor_event(const struct chair_event *ev, void *userdata) {
        struct chair_daemon *d = userdata;

        if (ev->kind == CHAIR_EVENT_FAULT_RAISED)
                session_fault(d->session);
        else if (ev->kind == CHAIR_EVENT_FAULT_CLEARED)
                session_fault_cleared(d->session);
}

static void on_session_fault(void *userdata, enum chair_fault code, const char *message) {
        struct chair_daemon *d = userdata;
        supervisor_trip(d->supervisor, code, "%s", message);
}

static void on_scheduler_command_lost(void *userdata) {
        struct chair_daemon *d = userdata;
        supervisor_trip(d->supervisor, CHAIR_FAULT_QUEUE_FULL,
                        "the scheduler's thread did not take a command within its deadline");
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct chair_daemon *d = userdata;

        log_info("Received %s, shutting down.", strsignal((int) si->ssi_signo));
        sd_notify(false, "STOPPING=1\nSTATUS=Shutting down, every output to its safe value");
        /* The chair is made safe now, not after the loop has wound down. */
        chair_hw_go_safe(d->hw);
        return sd_event_exit(d->event, 0);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct chair_daemon *d = userdata;

        sd_notify(false, "RELOADING=1");
        log_info("Received SIGHUP, reloading programs.");
        daemon_reload_profiles(d, NULL);
        sd_notify(false, "READY=1");
        daemon_status(d, "%s, %zu programs", session_state_name(session_get_state(d->session)),
                      program_library_count(d->library));
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
        struct scheduler_stats st;
        bool scheduler_ok, supervisor_ok;

        scheduler_get_stats(d->scheduler, &st);
        scheduler_ok = scheduler_get_mode(d->scheduler) == SCHEDULER_IDLE ||
                       st.wakeups != d->watchdog_scheduler_wakeups;
        d->watchdog_scheduler_wakeups = st.wakeups;
        supervisor_ok = supervisor_progressed(d->supervisor);
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

static int scheduler_set_output(void *userdata, enum chair_output out, int32_t value) {
        return chair_hw_stage_output(userdata, out, value);
}

static void scheduler_flush(void *userdata) {
        chair_hw_flush(userdata);
}

static int scheduler_read_input(void *userdata, enum chair_input in, int32_t *ret) {
        return chair_hw_read_input(userdata, in, ret);
}

/* The controllers' period: 10 ms when the encoder is read as it changes (GPIO edges, the
 * simulated chair); with a polled encoder (Modbus) half its poll period, 10-25 ms, since
 * ticking faster than the position can change only costs wake-ups. */
static uint32_t controller_tick_ms(const struct hardware_map *map) {
        const struct hw_binding *enc = &map->inputs[CHAIR_IN_ENCODER];

        if (enc->backend != HW_BACKEND_MODBUS || enc->bus < 0)
                return 10;
        return CLAMP(map->buses[enc->bus].poll_interval_ms / 2, 10u, 25u);
}

static int setup_scheduler(struct chair_daemon *d) {
        struct scheduler_config cfg = {
                .pulses_per_mm = d->map.pulses_per_mm,
                .track_length_mm = d->map.track_length_mm,
                .max_speed_mm_s = 40,
                .deadline_miss_ms = d->map.limits.deadline_miss_ms,
                .tick_ms = controller_tick_ms(&d->map),
                .travel_timeout_ms = d->map.limits.travel_timeout_ms,
                .travel_margin_pct = d->map.limits.travel_margin_pct,
                .priority = d->map.scheduler.priority,
                .cpu = d->map.scheduler.cpu,
        };
        struct scheduler_io io = { scheduler_set_output, scheduler_read_input, d->hw, scheduler_flush };
        int r;

        /* No pressure sensor, by design: inflate by the map's time per level, then hold. */
        if (d->map.air_timed_inflation)
                memcpy(cfg.air_inflate_ms, d->map.air_inflate_ms, sizeof cfg.air_inflate_ms);
        r = scheduler_new(&cfg, &io, &d->scheduler);
        if (r < 0)
                return log_error_errno(r, "Failed to create the scheduler: %m");
        r = scheduler_start_thread(d->scheduler, &d->realtime);
        if (r == -EINVAL && d->map.scheduler.cpu >= 0)
                return log_error_errno(r, "%s:%u: [scheduler] cpu = %d is not a CPU this daemon may run on.",
                                       d->map.path, d->map.scheduler.line_no, d->map.scheduler.cpu);
        if (r < 0)
                return log_error_errno(r, "Failed to start the scheduler's thread: %m");
        if (d->realtime && d->map.scheduler.cpu >= 0)
                log_info("Scheduler thread runs SCHED_FIFO priority %u on CPU %d with memory locked.",
                         d->map.scheduler.priority, d->map.scheduler.cpu);
        else if (d->realtime)
                log_info("Scheduler thread runs SCHED_FIFO priority %u with memory locked.", d->map.scheduler.priority);
        else
                log_notice("Scheduler thread runs as an ordinary thread: SCHED_FIFO or mlockall not permitted "
                           "(LimitRTPRIO=, LimitMEMLOCK= or CAP_SYS_NICE/CAP_IPC_LOCK grant them).");
        return 0;
}

/* With the scheduler on a CPU of its own, the daemon's other threads (the event loop, and the
 * bus threads the drivers start, which inherit this) keep off that CPU: the kernel preempts a
 * thread inside a system call only at its next preemption point, so a bus thread sending on
 * that CPU would delay the scheduler's wake-up. Before any thread exists. */
static void keep_off_scheduler_cpu(const struct hardware_map *map) {
        cpu_set_t set;

        if (map->scheduler.cpu < 0 || sched_getaffinity(0, sizeof set, &set) < 0)
                return;
        /* Not ours: the scheduler's start reports it with the map's line. */
        if (!CPU_ISSET((unsigned) map->scheduler.cpu, &set))
                return;
        CPU_CLR((unsigned) map->scheduler.cpu, &set);
        if (CPU_COUNT(&set) == 0)
                return; /* one CPU: nowhere else to go */
        if (sched_setaffinity(0, sizeof set, &set) < 0)
                log_warning("Could not keep the daemon's other threads off CPU %d: %m", map->scheduler.cpu);
}

static int setup_state(struct chair_daemon *d) {
        uint32_t timer = 0;
        char **precautions = NULL;
        int r;

        r = state_store_open(d->options.state_dir, &d->store);
        if (r < 0)
                return log_error_errno(r, "Failed to open the state directory %s: %m", d->options.state_dir);
        d->precautions_unreadable = state_store_precautions_unreadable(d->store);
        if (state_store_load_precautions(d->store, &precautions) >= 0) {
                /* A name this daemon does not know cannot be honoured: fail closed. */
                for (char **p = precautions; *p; p++)
                        if (!precaution_find(*p)) {
                                log_warning("%s/settings: unknown precaution '%s'; sessions are refused until the "
                                            "precautions are declared again.", d->options.state_dir, *p);
                                d->precautions_unreadable = true;
                        }
                strv_free(d->precautions);
                d->precautions = precautions;
        } else
                d->precautions_unreadable = true;
        if (state_store_load_default_timer(d->store, &timer) >= 0 && chair_timer_valid(timer))
                d->map.auto_off_default_min = timer;
        return 0;
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

int daemon_new(const struct daemon_options *options, struct chair_daemon **ret) {
        struct chair_daemon *d;
        char error[4096];
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
        if (stop_requested())
                return -ECANCELED;

        keep_off_scheduler_cpu(&d->map);

        r = sd_event_default(&d->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");

        /* Drivers drive every output safe before anything else happens. */
        error[0] = 0;
        r = chair_hw_open(&d->map, d->event, &d->hw, error, sizeof error);
        if (r < 0) {
                log_error("%s", error[0] ? error : strerror(-r));
                return log_error_errno(r, "Cannot open the chair's hardware.");
        }
        log_info("Every output is at its safe value.");

        r = setup_scheduler(d);
        if (r < 0)
                return r;
        r = setup_state(d);
        if (r < 0)
                return r;
        r = chair_changes_new(d->event, &d->changes);
        if (r >= 0)
                r = chair_changes_listen(d->changes, on_supervisor_event, d);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the change channel: %m");
        r = program_library_new(options->profiles_dir, options->profiles_override_dir, &d->library);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the program library: %m");
        daemon_reload_profiles(d, NULL);
        if (stop_requested())
                return -ECANCELED;
        r = supervisor_new(d, &d->supervisor);
        if (r >= 0)
                r = session_new(d, &d->session);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the session: %m");
        r = panel_new(d, &d->panel);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the panel: %m");
        session_set_fault_sink(d->session, on_session_fault, d);
        supervisor_restore_latch(d->supervisor);
        scheduler_set_command_lost_sink(d->scheduler, on_scheduler_command_lost, d);

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
        sd_notifyf(false, "READY=1\nSTATUS=Idle, %s, %zu programs", d->map.model, program_library_count(d->library));
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
        /* Safe first: close the gate and drive every output safe, then wind down. */
        if (d->hw)
                chair_hw_go_safe(d->hw);
        if (d->scheduler)
                scheduler_stop_thread(d->scheduler);
        panel_free(d->panel);
        d->panel = NULL;
        session_free(d->session);
        supervisor_free(d->supervisor);
        sd_event_source_disable_unref(d->watchdog_source);
        chair_bus_free(d->bus);
        scheduler_free(d->scheduler);
        chair_hw_close(d->hw);
        program_library_free(d->library);
        state_store_close(d->store);
        strv_free(d->precautions);
        chair_changes_free(d->changes);
        sd_event_unref(d->event);
        free(d);
        return NULL;
}
