/* SPDX-License-Identifier: MIT */
/*
 * The core's composition. Start-up order matters for safety:
 *   1. load and validate the hardware map (nothing is driven if it is bad);
 *   2. open the drivers, which drive every output to its safe value first (a crash may have
 *      left them on);
 *   3. the scheduler (and its thread), the state and the person's settings, the programs, the
 *      supervisor, the session and the panel, then their wiring.
 * Freeing runs it backwards, with every output safe before anything is closed.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chair-hw.h"
#include "changes.h"
#include "core.h"
#include "event-loop.h"
#include "log.h"
#include "output-test.h"
#include "panel.h"
#include "people.h"
#include "posture.h"
#include "program-library.h"
#include "scheduler.h"
#include "session.h"
#include "settings.h"
#include "state-store.h"
#include "supervisor.h"

int chair_core_reload_profiles(struct chair_core *c, char ***ret_errors) {
        char **errors = NULL;
        int r;

        r = program_library_reload(c->library, &errors);
        for (char **e = errors; e && *e; e++)
                log_warning("%s", *e);
        log_info("Programs loaded: %zu.", program_library_count(c->library));
        if (ret_errors)
                *ret_errors = errors;
        else
                program_library_free_errors(errors);
        return r;
}

int chair_core_sim_inject_fault(struct chair_core *c, const char *name, bool on) {
        if (!chair_hw_uses_backend(c->hw, HW_BACKEND_SIM))
                return -ENODEV;
        /* A hung scheduler is a fault of the daemon, not of the chair: simulated all the same. */
        if (strcmp(name, "scheduler-hang") == 0)
                return on ? scheduler_inject_hang(c->scheduler) : -EINVAL;
        if (strcmp(name, "scheduler-late") == 0)
                return on ? scheduler_inject_late(c->scheduler, 2 * c->map.limits.deadline_miss_ms) : -EINVAL;
        return chair_hw_sim_inject(c->hw, name, on);
}

/* The wiring: what the supervisor publishes reaches the session first (a trip ends the
 * session with reason "fault" before the bus signals FaultRaised). */
static void on_supervisor_event(const struct chair_event *ev, void *userdata) {
        struct chair_core *c = userdata;

        if (ev->kind == CHAIR_EVENT_FAULT_RAISED)
                session_fault(c->session);
        else if (ev->kind == CHAIR_EVENT_FAULT_CLEARED)
                session_fault_cleared(c->session);
}

/* A session ends a technician's output test before it drives anything. */
static void on_session_start(void *userdata) {
        struct chair_core *c = userdata;
        output_test_end(c->output_test, "a session starts");
}

/* A posture move ends a technician's output test before it drives anything. */
static void on_posture_move(void *userdata) {
        struct chair_core *c = userdata;
        output_test_end(c->output_test, "a posture move starts");
}

/* The seat reports no one: a running session pauses (the axes stopped already). */
static void on_posture_vacated(void *userdata) {
        struct chair_core *c = userdata;

        session_vacated(c->session);
}

static void on_session_fault(void *userdata, enum chair_fault code, const char *message) {
        struct chair_core *c = userdata;
        supervisor_trip(c->supervisor, code, "%s", message);
}

static void on_scheduler_command_lost(void *userdata) {
        struct chair_core *c = userdata;
        supervisor_trip(c->supervisor, CHAIR_FAULT_QUEUE_FULL,
                        "the scheduler's thread did not take a command within its deadline");
}

static bool probe_session_active(void *userdata) {
        return session_active(userdata);
}

static uint64_t probe_session_elapsed(void *userdata) {
        return session_elapsed_usec(userdata);
}

/* The active person's heat dose limit (their conditions and heat cap) and own programs. */
static void follow_active_person(struct chair_core *c) {
        const struct person *p = people_active(c->people);
        struct heat_dose_limit limit;
        char dir[256];

        heat_dose_limit_for_person(p, &limit);
        supervisor_set_heat_dose_limit(c->supervisor, &limit);
        (void) program_library_set_person(c->library,
                                          people_programs_dir(c->people, p->id, dir, sizeof dir) >= 0 ? dir : NULL);
}

/* The session follows the person's settings. */
static void on_setting_changed(enum chair_setting what, void *userdata) {
        struct chair_core *c = userdata;

        /* The heat dose limit and the person's own programs before the session hears of it. */
        if (what == CHAIR_SETTING_PRECAUTIONS || what == CHAIR_SETTING_PERSON)
                follow_active_person(c);
        /* A test was checked against the limits as they were: ending it is always safe. */
        if (what == CHAIR_SETTING_PRECAUTIONS)
                output_test_end(c->output_test, "the person's conditions or caps changed");
        if (what == CHAIR_SETTING_PRECAUTIONS)
                session_precautions_changed(c->session);
        else if (what == CHAIR_SETTING_DEFAULT_TIMER)
                (void) session_set_timer(c->session, chair_settings_timer(c->settings), NULL);
        else if (what == CHAIR_SETTING_PERSON)
                session_person_changed(c->session);
}

/* Another person may sit down only while no session runs and no output test drives an actuator
 * (checked against the person who was active when it started: docs/people.md). */
static bool people_switch_allowed(void *userdata) {
        struct chair_core *c = userdata;
        return session_get_state(c->session) == SESSION_IDLE && !output_test_active(c->output_test);
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

static int setup_scheduler(struct chair_core *c) {
        struct scheduler_config cfg = {
                .pulses_per_mm = c->map.pulses_per_mm,
                .track_length_mm = c->map.track_length_mm,
                .max_speed_mm_s = 40,
                .deadline_miss_ms = c->map.limits.deadline_miss_ms,
                .tick_ms = controller_tick_ms(&c->map),
                .travel_timeout_ms = c->map.limits.travel_timeout_ms,
                .travel_margin_pct = c->map.limits.travel_margin_pct,
                .priority = c->map.scheduler.priority,
                .cpu = c->map.scheduler.cpu,
        };
        struct scheduler_io io = { scheduler_set_output, scheduler_read_input, c->hw, scheduler_flush };
        int r;

        /* No pressure sensor, by design: inflate by the map's time per level, then hold. */
        if (c->map.air_timed_inflation)
                memcpy(cfg.air_inflate_ms, c->map.air_inflate_ms, sizeof cfg.air_inflate_ms);
        r = scheduler_new(&cfg, &io, &c->scheduler);
        if (r < 0)
                return log_error_errno(r, "Failed to create the scheduler: %m");
        if (c->options.no_thread)
                return 0;
        r = scheduler_start_thread(c->scheduler, &c->realtime);
        if (r == -EINVAL && c->map.scheduler.cpu >= 0)
                return log_error_errno(r, "%s:%u: [scheduler] cpu = %d is not a CPU this daemon may run on.",
                                       c->map.path, c->map.scheduler.line_no, c->map.scheduler.cpu);
        if (r < 0)
                return log_error_errno(r, "Failed to start the scheduler's thread: %m");
        if (c->realtime && c->map.scheduler.cpu >= 0)
                log_info("Scheduler thread runs SCHED_FIFO priority %u on CPU %d with memory locked.",
                         c->map.scheduler.priority, c->map.scheduler.cpu);
        else if (c->realtime)
                log_info("Scheduler thread runs SCHED_FIFO priority %u with memory locked.", c->map.scheduler.priority);
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

static int setup_state(struct chair_core *c) {
        int r;

        r = state_store_open(c->options.state_dir, &c->store);
        if (r < 0)
                return log_error_errno(r, "Failed to open the state directory %s: %m", c->options.state_dir);
        r = people_new(c->options.state_dir, c->store, c->changes, &c->people);
        if (r < 0)
                return log_error_errno(r, "Failed to read the people's files: %m");
        r = chair_settings_new(c->store, c->people, c->changes, c->map.auto_off_default_min, &c->settings);
        if (r < 0)
                return log_error_errno(r, "Failed to read the person's settings: %m");
        return 0;
}

static bool stopping(bool (*stop_requested)(void)) {
        return stop_requested && stop_requested();
}

int chair_core_new(const struct chair_core_options *options, struct event_loop *loop, bool (*stop_requested)(void),
                   struct chair_core **ret) {
        struct chair_core *c;
        char error[4096];
        int r;

        c = calloc(1, sizeof *c);
        if (!c)
                return log_error_errno(ENOMEM, "Out of memory");
        *ret = c;
        c->options = *options;
        c->loop = loop;
        c->status = options->status;
        c->status_userdata = options->status_userdata;

        if (options->map) {
                c->map = *options->map;
        } else if (options->simulate) {
                hardware_map_simulated(&c->map);
        } else {
                r = hardware_map_load(options->config_path, &c->map, error, sizeof error);
                if (r < 0) {
                        log_error("%s", error);
                        return log_error_errno(r, "Refusing to start with a bad hardware map.");
                }
        }
        log_info("Hardware map %s: %s", c->map.path, c->map.model);
        if (stopping(stop_requested))
                return -ECANCELED;

        if (!options->no_thread)
                keep_off_scheduler_cpu(&c->map);

        /* Drivers drive every output safe before anything else happens. */
        error[0] = 0;
        r = chair_hw_open(&c->map, loop, &c->hw, error, sizeof error);
        if (r < 0) {
                log_error("%s", error[0] ? error : strerror(-r));
                return log_error_errno(r, "Cannot open the chair's hardware.");
        }
        log_info("Every output is at its safe value.");

        r = setup_scheduler(c);
        if (r < 0)
                return r;
        r = chair_changes_new(loop, &c->changes);
        if (r >= 0)
                r = chair_changes_listen(c->changes, on_supervisor_event, c);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the change channel: %m");
        r = setup_state(c);
        if (r < 0)
                return r;
        r = program_library_new(options->profiles_dir, options->profiles_override_dir, &c->library);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the program library: %m");
        chair_core_reload_profiles(c, NULL);
        if (stopping(stop_requested))
                return -ECANCELED;
        r = supervisor_new(c, &c->supervisor);
        if (r >= 0)
                r = session_new(c, &c->session);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the session: %m");
        r = panel_new(c, &c->panel);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the panel: %m");
        r = output_test_new(c, &c->output_test);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the output test: %m");
        r = posture_new(c, &c->posture);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the posture axes: %m");
        posture_set_vacated_listener(c->posture, on_posture_vacated, c);
        posture_set_move_hook(c->posture, on_posture_move, c);
        supervisor_set_session_probe(c->supervisor, &(struct supervisor_session_probe) {
                probe_session_active, probe_session_elapsed, c->session });
        session_set_fault_sink(c->session, on_session_fault, c);
        session_set_start_hook(c->session, on_session_start, c);
        chair_settings_listen(c->settings, on_setting_changed, c);
        people_set_switch_guard(c->people, people_switch_allowed, c);
        follow_active_person(c);
        supervisor_restore_latch(c->supervisor);
        scheduler_set_command_lost_sink(c->scheduler, on_scheduler_command_lost, c);
        return 0;
}

struct chair_core *chair_core_free(struct chair_core *c) {
        if (!c)
                return NULL;
        /* Safe first: close the gate and drive every output safe, then wind down. */
        if (c->hw)
                chair_hw_go_safe(c->hw);
        if (c->scheduler && !c->options.no_thread)
                scheduler_stop_thread(c->scheduler);
        c->posture = posture_free(c->posture);
        c->output_test = output_test_free(c->output_test);
        panel_free(c->panel);
        c->panel = NULL;
        session_free(c->session);
        supervisor_free(c->supervisor);
        scheduler_free(c->scheduler);
        chair_hw_close(c->hw);
        program_library_free(c->library);
        chair_settings_free(c->settings);
        people_free(c->people);
        state_store_close(c->store);
        chair_changes_free(c->changes);
        free(c);
        return NULL;
}
