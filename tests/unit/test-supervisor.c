/* SPDX-License-Identifier: MIT */
/*
 * The supervisor's interlocks on the whole chair in virtual time (tests/vt/vt-harness.h): for
 * every fault code of common/fault-codes.c, the cause raised at a known virtual time, then
 * (1) every actuator safe within the documented bound, (2) the session in fault, the code and
 * message latched and reported on the change channel, (3) the latch refusing every start
 * (program, manual, panel, memory) and surviving a restart of the core on the same state dir,
 * (4) only the technician's clear ends it, refused while the cause persists.
 *
 * The bounds (docs/architecture.md "Safety", docs/hardware-map.md "[limits]"): a stop input
 * is made safe where the driver reads it (the sim: where its physics steps), at once; every
 * other rule is looked at by the checks, every 100 ms while anything is active. A rule that
 * counts "for this long" starts its count at the check that first sees the condition, so it
 * trips within its limit plus two check periods of the cause.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "chair-hw.h"
#include "changes.h"
#include "fault-codes.h"
#include "hardware-map.h"
#include "panel.h"
#include "posture.h"
#include "scheduler.h"
#include "session.h"
#include "supervisor.h"
#include "timeline.h"
#include "vt-harness.h"

/* The supervisor's periods (supervisor.h): active checks, checks at rest. */
#define CHECK_MS 100
#define IDLE_CHECK_MS 2000
/* The sim's physics steps every 10 ms: a gradual cause is seen by it within one step. */
#define SIM_STEP_MS 10
#define STEP_MS 10

struct fault_case;

struct ctx {
        struct vt_harness *h;
        const struct fault_case *fc;
        struct hardware_map map;
        char state_dir[PATH_MAX];
        uint64_t cause_ms;      /* when the cause began (UINT64_MAX: not yet) */
        unsigned fault_marks;   /* CHAIR_CHANGE_FAULT passes the change channel delivered */
        bool saved_slot;        /* memory slot 1 holds the setup's session */
};

struct fault_case {
        /* How the sim (or the direct path) produces it, for messages. */
        const char *how;
        void (*tweak_map)(struct hardware_map *m);   /* NULL: the simulated chair as shipped */
        /* Starts what the fault needs (a program, manual mode, idle); asserts on failure. */
        void (*setup)(struct ctx *c);
        /* Raises the cause; sets c->cause_ms when it is a step (else cause_met() finds it). */
        void (*raise)(struct ctx *c);
        /* A gradual cause: true once it holds (NULL: raise() set cause_ms). */
        bool (*cause_met)(struct ctx *c);
        /* Removes the cause (NULL: nothing to remove: it ended with the trip). */
        void (*remove)(struct ctx *c);
        /* The documented bound from the cause to the trip, in ms, from c->map. */
        uint64_t (*bound_ms)(const struct ctx *c);
        uint64_t max_ms;        /* how long to wait for the trip at most */
        const char *message;    /* a part of the latched message */
        bool persists;          /* cause_persists() knows it: the clear is refused until removed */
        bool safe_at_cause;     /* a stop input: safe at the cause's instant, before the trip */
};

/* ---- helpers ---- */

static struct chair_core *core(struct ctx *c) {
        return vt_harness_core(c->h);
}

static void inject(struct ctx *c, const char *name, bool on) {
        assert_int_equal(chair_core_sim_inject_fault(core(c), name, on), 0);
}

static void raise_now(struct ctx *c, const char *name) {
        inject(c, name, true);
        c->cause_ms = vt_harness_now_ms(c->h);
}

static int32_t input(struct ctx *c, enum chair_input i) {
        int32_t v = 0;
        assert_true(chair_hw_read_input(core(c)->hw, i, &v) >= 0);
        return v;
}

static void start_program(struct ctx *c, const char *program) {
        struct chair_error e = CHAIR_ERROR_NULL;
        assert_int_equal(session_start(core(c)->session, program,
                                       &(struct session_options) { .duration_s = 10 * 60, .scan = 0, .heat = true }, &e), 0);
        assert_int_equal(vt_harness_run_until_state(c->h, SESSION_RUNNING, 5000), 0);
}

/* A program with the roller on its way: the travel motor turns. */
static void setup_running(struct ctx *c) {
        struct chair_error e = CHAIR_ERROR_NULL;

        start_program(c, "swedish");
        /* Memory A holds what runs: the recall must be refused under the latch. */
        assert_int_equal(session_save_memory(core(c)->session, 1, &e), 0);
        c->saved_slot = true;
        for (int i = 0; i < 3000 && !chair_hw_get_output(core(c)->hw, CHAIR_OUT_TRAVEL_MOTOR); i++)
                assert_true(vt_harness_run_for(c->h, STEP_MS) >= 0);
        assert_int_not_equal(chair_hw_get_output(core(c)->hw, CHAIR_OUT_TRAVEL_MOTOR), 0);
}

static void setup_idle(struct ctx *c) {
        assert_true(vt_harness_run_for(c->h, 3 * IDLE_CHECK_MS) >= 0);
        assert_int_equal(session_get_state(core(c)->session), SESSION_IDLE);
}

/* Manual mode with the lumbar heat on: the heat rules' path. */
static void setup_manual_heat(struct ctx *c) {
        struct chair_error e = CHAIR_ERROR_NULL;
        assert_int_equal(session_start_manual(core(c)->session, "knead", MANUAL_FULL,
                                              &(struct session_options) { .duration_s = 10 * 60, .heat = true }, &e), 0);
        assert_int_equal(vt_harness_run_until_state(c->h, SESSION_RUNNING, 5000), 0);
        assert_int_equal(session_set_heat(core(c)->session, CHAIR_HEAT_LUMBAR, 3, &e), 0);
        assert_int_equal(session_save_memory(core(c)->session, 1, &e), 0);
        c->saved_slot = true;
        assert_true(vt_harness_run_for(c->h, 500) >= 0);
}

/* Manual mode with air in every zone: the pump's path. */
static void setup_manual_air(struct ctx *c) {
        struct chair_error e = CHAIR_ERROR_NULL;
        assert_int_equal(session_start_manual(core(c)->session, "knead", MANUAL_FULL,
                                              &(struct session_options) { .duration_s = 10 * 60 }, &e), 0);
        assert_int_equal(vt_harness_run_until_state(c->h, SESSION_RUNNING, 5000), 0);
        assert_int_equal(session_save_memory(core(c)->session, 1, &e), 0);
        c->saved_slot = true;
}

static void air_on(struct ctx *c) {
        struct chair_error e = CHAIR_ERROR_NULL;
        assert_int_equal(session_set_air(core(c)->session, (1u << _CHAIR_AIR_ZONE_MAX) - 1, 5, &e), 0);
}

static uint64_t check_bound(const struct ctx *c) {
        return CHECK_MS + SIM_STEP_MS;
}

static uint64_t at_once(const struct ctx *c) {
        return 0;
}

/* ---- the causes, by fault ---- */

static void raise_estop(struct ctx *c) { raise_now(c, "estop"); }
static void remove_estop(struct ctx *c) { inject(c, "estop", false); }

static void tweak_short_session(struct hardware_map *m) { m->limits.max_session_s = 60; }
static void raise_nothing(struct ctx *c) {}
static bool session_over(struct ctx *c) {
        return session_elapsed_usec(core(c)->session) > c->map.limits.max_session_s * 1000000ULL;
}

static void raise_over_temperature(struct ctx *c) { inject(c, "over-temperature", true); }
static bool over_temperature(struct ctx *c) { return input(c, CHAIR_IN_TEMP_LUMBAR) > c->map.limits.heater_max_decic; }
static void remove_over_temperature(struct ctx *c) {
        inject(c, "over-temperature", false);
        /* It cools back below the limit on its own. */
        for (int i = 0; i < 600 && input(c, CHAIR_IN_TEMP_LUMBAR) > c->map.limits.heater_max_decic; i++)
                assert_true(vt_harness_run_for(c->h, 1000) >= 0);
}

static void raise_thermistor_open(struct ctx *c) { raise_now(c, "thermistor-open"); }
static void remove_thermistor_open(struct ctx *c) { inject(c, "thermistor-open", false); }
static void raise_thermistor_short(struct ctx *c) { raise_now(c, "thermistor-short"); }
static void remove_thermistor_short(struct ctx *c) { inject(c, "thermistor-short", false); }

static void tweak_heat_rise(struct hardware_map *m) { m->limits.heat_rise_timeout_s = 30; }
static void setup_dead_heater(struct ctx *c) {
        setup_manual_air(c);
        inject(c, "heat-not-rising", true);
}
static void raise_heat_on(struct ctx *c) {
        struct chair_error e = CHAIR_ERROR_NULL;
        assert_int_equal(session_set_heat(core(c)->session, CHAIR_HEAT_LUMBAR, 3, &e), 0);
}
static bool heater_on(struct ctx *c) { return chair_hw_get_output(core(c)->hw, CHAIR_OUT_HEAT_LUMBAR) != 0; }
static void remove_dead_heater(struct ctx *c) { inject(c, "heat-not-rising", false); }
static uint64_t heat_rise_bound(const struct ctx *c) {
        return c->map.limits.heat_rise_timeout_s * 1000ULL + 2 * CHECK_MS;
}

static void raise_over_pressure(struct ctx *c) { inject(c, "over-pressure", true); }
static bool over_pressure(struct ctx *c) { return input(c, CHAIR_IN_AIR_PRESSURE) > c->map.limits.air_max_pressure_decikpa; }
static void remove_over_pressure(struct ctx *c) { inject(c, "over-pressure", false); }

/* A burst bag: no pressure ever builds, so the pump runs on. */
static void raise_air_leak(struct ctx *c) {
        inject(c, "air-leak", true);
        air_on(c);
}
static bool pump_on(struct ctx *c) { return chair_hw_get_output(core(c)->hw, CHAIR_OUT_AIR_PUMP) != 0; }
static void remove_air_leak(struct ctx *c) { inject(c, "air-leak", false); }
static uint64_t inflate_bound(const struct ctx *c) {
        return c->map.limits.air_max_inflate_s * 1000ULL + CHECK_MS;
}

/* A slipping belt: the roller creeps, pulses and all, and never arrives in time. */
static void raise_slow_roller(struct ctx *c) { inject(c, "slow-roller", true); }
static bool travel_overdue_now(struct ctx *c) {
        uint64_t deadline = scheduler_roller_deadline_ns(core(c)->scheduler);
        return deadline && deadline / 1000 <= vt_harness_now_us(c->h) + 100 * 1000000ULL;
}
static void remove_slow_roller(struct ctx *c) { inject(c, "slow-roller", false); }

static void raise_lost_encoder(struct ctx *c) { raise_now(c, "lost-encoder"); }
static void remove_lost_encoder(struct ctx *c) { inject(c, "lost-encoder", false); }
static uint64_t encoder_bound(const struct ctx *c) {
        return c->map.limits.encoder_loss_ms + 2 * CHECK_MS;
}

static void raise_spurious(struct ctx *c) { raise_now(c, "spurious-pulses"); }
static void remove_spurious(struct ctx *c) { inject(c, "spurious-pulses", false); }
/* At rest: the next idle check, once more than 6 pulses came (the sim: 20 a second). */
static uint64_t spurious_bound(const struct ctx *c) {
        return IDLE_CHECK_MS + 7 * 1000 / 20 + SIM_STEP_MS;
}

static void raise_both_limits(struct ctx *c) { raise_now(c, "both-limits"); }
static void remove_both_limits(struct ctx *c) { inject(c, "both-limits", false); }

static void raise_stalled(struct ctx *c) { raise_now(c, "stalled-motor"); }
static void remove_stalled(struct ctx *c) { inject(c, "stalled-motor", false); }
static uint64_t stall_bound(const struct ctx *c) {
        return c->map.limits.stall_ms + 2 * CHECK_MS;
}

static void raise_supply_low(struct ctx *c) { raise_now(c, "supply-low"); }
static void remove_supply_low(struct ctx *c) { inject(c, "supply-low", false); }

/* The sim has no Modbus board: the one path every fault takes, called as the link check does. */
static void raise_link_lost(struct ctx *c) {
        c->cause_ms = vt_harness_now_ms(c->h);
        supervisor_trip(core(c)->supervisor, CHAIR_FAULT_MODBUS_LINK_LOST, "no answer from a Modbus board for %u ms",
                        c->map.limits.modbus_link_lost_ms);
}
static void raise_error_storm(struct ctx *c) {
        c->cause_ms = vt_harness_now_ms(c->h);
        supervisor_trip(core(c)->supervisor, CHAIR_FAULT_MODBUS_ERROR_STORM, "%u Modbus errors within 10 s",
                        c->map.limits.modbus_error_storm);
}

/* The scheduler runs the next command twice the bound late. Its injection moves the timeline's
 * start back, never before the clock's 0: on the harness's young clock (100 s) the next command
 * must be nearer than that, so the program runs past its first long stroke (105.8 s) first. */
static void setup_late(struct ctx *c) {
        setup_running(c);
        assert_true(vt_harness_run_for(c->h, 110 * 1000) >= 0);
        assert_int_equal(session_get_state(core(c)->session), SESSION_RUNNING);
}
static void raise_late(struct ctx *c) { raise_now(c, "scheduler-late"); }

/* The scheduler's thread stops taking commands, then a burst of live changes fills its queue. */
static void raise_queue_full(struct ctx *c) {
        struct chair_error e = CHAIR_ERROR_NULL;

        vt_harness_stall_scheduler(c->h, true);
        c->cause_ms = vt_harness_now_ms(c->h);
        for (int i = 0; i < 1000 && !supervisor_latched(core(c)->supervisor); i++)
                (void) session_set_speed(core(c)->session, 1 + (uint32_t) i % 5, &e);
}
static void remove_stall(struct ctx *c) { vt_harness_stall_scheduler(c->h, false); }

/* The pump's maximum on-time (60 s) is below an inflation limit of 120 s: the last line acts. */
static void tweak_long_inflation(struct hardware_map *m) { m->limits.air_max_inflate_s = 120; }
static uint64_t on_time_bound(const struct ctx *c) {
        return chair_output_info(CHAIR_OUT_AIR_PUMP)->max_on_ms + CHECK_MS;
}

/* The sim takes every value in range and the scheduler clamps every setpoint into it: a
 * refused write is a GPIO or Modbus driver's. The one path every fault takes, with the
 * message the session's sink passes on. */
static void raise_output_error(struct ctx *c) {
        c->cause_ms = vt_harness_now_ms(c->h);
        supervisor_trip(core(c)->supervisor, CHAIR_FAULT_OUTPUT_ERROR, "output %s refused a value: %s",
                        chair_output_info(CHAIR_OUT_TAP_MOTOR)->name, strerror(EIO));
}

static void raise_scheduler_stall(struct ctx *c) {
        vt_harness_stall_scheduler(c->h, true);
        c->cause_ms = vt_harness_now_ms(c->h);
}
static uint64_t stall_scheduler_bound(const struct ctx *c) {
        return 1000 + 2 * CHECK_MS;
}

/* The sim has no heartbeat: the board's trip as a bus thread hands it to the router. */
static void raise_heartbeat(struct ctx *c) {
        c->cause_ms = vt_harness_now_ms(c->h);
        chair_hw_stop_input(core(c)->hw, CHAIR_IN_HEARTBEAT_TRIPPED, 1, 0, vt_harness_now_us(c->h) * 1000);
}

/* The sim reads every interlock in range: a limit switch reading garbage, as a driver reports it. */
static void raise_out_of_range(struct ctx *c) {
        c->cause_ms = vt_harness_now_ms(c->h);
        chair_hw_stop_input(core(c)->hw, CHAIR_IN_LIMIT_TOP, 7, -ERANGE, vt_harness_now_us(c->h) * 1000);
}

/* A map that marks the panel's key input a stop input: any key held stops the chair. */
static void tweak_stop_key(struct hardware_map *m) { m->inputs[CHAIR_IN_PANEL_KEY].stop = true; }
static void raise_stop_key(struct ctx *c) {
        assert_int_equal(vt_harness_key_down(c->h, CHAIR_KEY_SPEED), 0);
        c->cause_ms = vt_harness_now_ms(c->h);
}
static void remove_stop_key(struct ctx *c) { assert_int_equal(vt_harness_key_up(c->h), 0); }

static uint64_t session_bound(const struct ctx *c) { return CHECK_MS; }

/* The posture axes' pinch faults (daemon/posture.c, docs/posture.md): the simulated chair with
 * its axes; the leg rest meets the sim's object during the fit, the recline and the seat slide
 * a current limit below their running current. Stopped, reversed (at most 1 s), latched. */
static void tweak_posture(struct hardware_map *m) { hardware_map_simulated_posture(m); }
static void tweak_posture_weak(struct hardware_map *m) {
        tweak_posture(m);
        m->axes[CHAIR_AXIS_RECLINE].current_max_ma = 500;
        m->axes[CHAIR_AXIS_SEAT_SLIDE].current_max_ma = 500;
}
static void raise_preset(struct ctx *c, enum posture_preset p) {
        struct chair_error e = CHAIR_ERROR_NULL;
        assert_int_equal(posture_preset(core(c)->posture, p, &e), 0);
        c->cause_ms = vt_harness_now_ms(c->h);
}
/* Both start at once; the recline's current is read first (the input order). */
static void raise_recline_pinch(struct ctx *c) { raise_preset(c, POSTURE_PRESET_ZERO_GRAVITY_1); }
static void raise_seat_slide_pinch(struct ctx *c) {
        core(c)->map.axes[CHAIR_AXIS_RECLINE].current_max_ma = 3000; /* posture reads the core's map */
        raise_preset(c, POSTURE_PRESET_ZERO_GRAVITY_1);
}
static void raise_legrest_pinch(struct ctx *c) {
        struct chair_error e = CHAIR_ERROR_NULL;
        inject(c, "legrest-obstruction", true);
        assert_int_equal(posture_fit_legs(core(c)->posture, &e), 0);
        c->cause_ms = vt_harness_now_ms(c->h);
}
static void remove_legrest_pinch(struct ctx *c) { inject(c, "legrest-obstruction", false); }
/* The object 20 mm on at 9 mm/s, 100 ms to a stand, 1 s of reverse at most. */
static uint64_t pinch_bound(const struct ctx *c) { return 4000; }

/* Indexed by the fault: a code added to fault-codes.c without an entry here fails the test. */
static const struct fault_case cases[_CHAIR_FAULT_MAX] = {
        [CHAIR_FAULT_EMERGENCY_STOP] = {
                "sim: estop pressed", NULL, setup_running, raise_estop, NULL, remove_estop, at_once, 1000,
                "the emergency stop was pressed", .persists = true, .safe_at_cause = true },
        [CHAIR_FAULT_SESSION_TOO_LONG] = {
                "max_session_minutes = 1, a 10-minute program", tweak_short_session, setup_running, raise_nothing,
                session_over, NULL, session_bound, 120000, "the session ran longer than 1 minutes" },
        [CHAIR_FAULT_HEATER_OVER_TEMPERATURE] = {
                "sim: over-temperature (a runaway element)", NULL, setup_manual_heat, raise_over_temperature,
                over_temperature, remove_over_temperature, check_bound, 300000, "heater reached", .persists = true },
        [CHAIR_FAULT_THERMISTOR_OPEN] = {
                "sim: thermistor-open", NULL, setup_manual_heat, raise_thermistor_open, NULL, remove_thermistor_open,
                check_bound, 5000, "lumbar temperature sensor reads open", .persists = true },
        [CHAIR_FAULT_THERMISTOR_SHORT] = {
                "sim: thermistor-short", NULL, setup_manual_heat, raise_thermistor_short, NULL, remove_thermistor_short,
                check_bound, 5000, "lumbar temperature sensor reads short", .persists = true },
        [CHAIR_FAULT_HEAT_NOT_RISING] = {
                "sim: heat-not-rising (a dead element), heat_rise_timeout_s = 30", tweak_heat_rise, setup_dead_heater,
                raise_heat_on, heater_on, remove_dead_heater, heat_rise_bound, 120000, "without warming" },
        [CHAIR_FAULT_AIR_OVER_PRESSURE] = {
                "sim: over-pressure (a welded pump relay)", NULL, setup_manual_air, raise_over_pressure, over_pressure,
                remove_over_pressure, check_bound, 60000, "above the limit" },
        [CHAIR_FAULT_AIR_INFLATION_TOO_LONG] = {
                "sim: air-leak (a burst bag)", NULL, setup_manual_air, raise_air_leak, pump_on, remove_air_leak,
                inflate_bound, 120000, "inflated for more than 30 s" },
        [CHAIR_FAULT_TRAVEL_TIMEOUT] = {
                "sim: slow-roller (a slipping belt)", NULL, setup_running, raise_slow_roller, travel_overdue_now,
                remove_slow_roller, check_bound, 60000, "did not reach its target" },
        [CHAIR_FAULT_ENCODER_LOST] = {
                "sim: lost-encoder", NULL, setup_running, raise_lost_encoder, NULL, remove_lost_encoder, encoder_bound,
                10000, "no encoder pulse came for 2000 ms" },
        [CHAIR_FAULT_ENCODER_SPURIOUS] = {
                "sim: spurious-pulses at rest", NULL, setup_idle, raise_spurious, NULL, remove_spurious, spurious_bound,
                10000, "encoder pulses arrive while the travel motor is off" },
        [CHAIR_FAULT_LIMITS_BOTH] = {
                "sim: both-limits", NULL, setup_running, raise_both_limits, NULL, remove_both_limits, at_once, 1000,
                "both roller limit switches are active at once", .persists = true, .safe_at_cause = true },
        [CHAIR_FAULT_MOTOR_OVERCURRENT] = {
                "sim: stalled-motor", NULL, setup_running, raise_stalled, NULL, remove_stalled, stall_bound, 5000,
                "motor current above 4000 mA" },
        [CHAIR_FAULT_SUPPLY_VOLTAGE] = {
                "sim: supply-low", NULL, setup_running, raise_supply_low, NULL, remove_supply_low, check_bound, 5000,
                "supply 8.0 V outside 10.0-36.0 V", .persists = true },
        [CHAIR_FAULT_MODBUS_LINK_LOST] = {
                "direct: the sim has no Modbus board", NULL, setup_running, raise_link_lost, NULL, NULL, at_once, 1000,
                "no answer from a Modbus board" },
        [CHAIR_FAULT_MODBUS_ERROR_STORM] = {
                "direct: the sim has no Modbus board", NULL, setup_running, raise_error_storm, NULL, NULL, at_once, 1000,
                "Modbus errors within 10 s" },
        [CHAIR_FAULT_DEADLINE_MISSED] = {
                "scheduler-late (a command twice the bound late)", NULL, setup_late, raise_late, NULL, NULL,
                check_bound, 5000, "us late (bound 20 ms)" },
        [CHAIR_FAULT_QUEUE_FULL] = {
                "the scheduler stalled, a burst of live changes", NULL, setup_running, raise_queue_full, NULL,
                remove_stall, at_once, 1000, "did not take a command", .persists = true },
        [CHAIR_FAULT_OUTPUT_MAX_ON_TIME] = {
                "sim: air-leak with air_max_inflate_s = 120 (the pump's 60 s on-time acts first)",
                tweak_long_inflation, setup_manual_air, raise_air_leak, pump_on, remove_air_leak, on_time_bound,
                120000, "air_pump stayed on longer than 60 s" },
        [CHAIR_FAULT_OUTPUT_ERROR] = {
                "direct: no driver write fails on the sim", NULL, setup_running,
                raise_output_error, NULL, NULL, at_once, 1000, "output tap_motor refused a value" },
        [CHAIR_FAULT_SCHEDULER_STALLED] = {
                "the scheduler's thread stops (the harness stops servicing it)", NULL, setup_running,
                raise_scheduler_stall, NULL, remove_stall, stall_scheduler_bound, 5000,
                "made no progress for a second", .persists = true },
        [CHAIR_FAULT_HEARTBEAT_TRIPPED] = {
                "direct: the router's stop path (the sim has no heartbeat)", NULL, setup_running, raise_heartbeat, NULL,
                NULL, check_bound, 1000, "missed the heartbeat", .safe_at_cause = true },
        [CHAIR_FAULT_SENSOR_OUT_OF_RANGE] = {
                "direct: the router's stop path with -ERANGE (the sim reads in range)", NULL, setup_running,
                raise_out_of_range, NULL, NULL, check_bound, 1000, "limit_top reads outside its plausible range",
                .safe_at_cause = true },
        [CHAIR_FAULT_STOP_INPUT] = {
                "sim: a key held on a map that marks panel_key a stop input", tweak_stop_key, setup_running,
                raise_stop_key, NULL, remove_stop_key, check_bound, 1000, "panel_key asks for a stop",
                .persists = true, .safe_at_cause = true },
        [CHAIR_FAULT_RECLINE_PINCH] = {
                "posture: zero-gravity-1 with the recline's current limit under its running current", tweak_posture_weak,
                setup_running, raise_recline_pinch, NULL, NULL, pinch_bound, 10000, "the recline met an obstruction" },
        [CHAIR_FAULT_LEGREST_PINCH] = {
                "posture: the leg-length fit into the sim's legrest-obstruction", tweak_posture, setup_running,
                raise_legrest_pinch, NULL, remove_legrest_pinch, pinch_bound, 10000, "the legrest_extend met an obstruction" },
        [CHAIR_FAULT_SEAT_SLIDE_PINCH] = {
                "posture: zero-gravity-1 with the seat slide's current limit under its running current", tweak_posture_weak,
                setup_running, raise_seat_slide_pinch, NULL, NULL, pinch_bound, 10000, "the seat_slide met an obstruction" },
};

/* ---- the runner ---- */

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        return remove(path) < 0 ? -errno : 0;
}

static void on_changes(uint32_t changed, void *userdata) {
        struct ctx *c = userdata;
        if (changed & CHAIR_CHANGE_FAULT)
                c->fault_marks++;
}

static void ctx_open(struct ctx *c) {
        struct vt_harness_options o = { .state_dir = c->state_dir, .map = &c->map };
        assert_int_equal(vt_harness_new(&o, &c->h), 0);
        assert_int_equal(chair_changes_subscribe(core(c)->changes, on_changes, c), 0);
        c->fault_marks = 0;
}

static void ctx_init(struct ctx *c, const struct fault_case *fc) {
        const char *tmp = getenv("TMPDIR");

        *c = (struct ctx) { .fc = fc, .cause_ms = UINT64_MAX };
        hardware_map_simulated(&c->map);
        if (fc && fc->tweak_map)
                fc->tweak_map(&c->map);
        snprintf(c->state_dir, sizeof c->state_dir, "%s/test-supervisor-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        assert_non_null(mkdtemp(c->state_dir));
        ctx_open(c);
}

static void ctx_done(struct ctx *c) {
        c->h = vt_harness_free(c->h);
        (void) nftw(c->state_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void assert_actuators_safe(struct ctx *c, const char *what) {
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++) {
                const struct chair_output_info *info = chair_output_info(o);
                if (info->indicator)
                        continue;
                if (vt_harness_output(c->h, o) != info->safe_value)
                        fail_msg("%s: %s is %d, not its safe %d (%s)",
                                 c->fc ? chair_fault_to_string((enum chair_fault) (c->fc - cases)) : "-", info->name, vt_harness_output(c->h, o), info->safe_value, what);
        }
}

/* No actuator left its safe value in the record from at_ms on. */
static void assert_record_safe_from(struct ctx *c, uint64_t at_ms) {
        const struct vt_record *rec = vt_harness_record(c->h);

        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                if (!chair_output_info(o)->indicator)
                        assert_int_equal(vt_harness_output_at(c->h, o, at_ms), chair_output_info(o)->safe_value);
        for (size_t i = 0; i < rec->n_outputs; i++) {
                const struct chair_output_info *info = chair_output_info(rec->outputs[i].out);
                if (rec->outputs[i].at_ms >= at_ms && !info->indicator && rec->outputs[i].value != info->safe_value)
                        fail_msg("%s went to %d at %llu ms, after the trip at %llu ms", info->name, rec->outputs[i].value,
                                 (unsigned long long) rec->outputs[i].at_ms, (unsigned long long) at_ms);
        }
}

static void assert_refused_latched(int r, const struct chair_error *e, const char *what) {
        if (r >= 0 || !chair_error_is(e, CHAIR_REASON_FAULT_LATCHED))
                fail_msg("%s under a latched fault: %d, reason %d (%s)", what, r, e->reason, e->message);
}

/* Every way to start something is refused, and nothing but the technician's clear clears. */
static void assert_latch_holds(struct ctx *c, const char *code) {
        struct session *s = core(c)->session;
        struct chair_error e = CHAIR_ERROR_NULL;
        int r;

        assert_refused_latched(session_start(s, "swedish", &(struct session_options) { .scan = 0 }, &e), &e, "Start");
        chair_error_reset(&e);
        assert_refused_latched(session_start_manual(s, "knead", MANUAL_FULL, &(struct session_options) {}, &e), &e,
                               "StartManual");
        chair_error_reset(&e);
        assert_refused_latched(session_start_scan(s, &e), &e, "StartBodyScan");
        chair_error_reset(&e);
        /* Slot 1 when the setup saved one (program or manual); else an empty slot's own refusal. */
        r = session_recall_memory(s, 1, &e);
        if (c->saved_slot)
                assert_refused_latched(r, &e, "RecallMemory");
        else
                assert_true(r < 0 && chair_error_is(&e, CHAIR_REASON_NOT_PERMITTED));
        /* The panel: start, memory A, power (a stop is no clear). */
        if (!c->map.inputs[CHAIR_IN_PANEL_KEY].stop) {
                static const enum chair_key keys[] = { CHAIR_KEY_START_PAUSE, CHAIR_KEY_MEMORY_A, CHAIR_KEY_POWER };
                for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                        assert_int_equal(vt_harness_act(c->h, &(struct vt_action) { .kind = VT_ACT_KEY_PRESS, .value = keys[i] }, NULL), 0);
                        assert_true(vt_harness_run_for(c->h, 1000) >= 0);
                        assert_int_equal(session_get_state(s), SESSION_FAULT);
                }
        }
        chair_error_reset(&e);
        (void) session_stop(s, &e);
        assert_true(vt_harness_run_for(c->h, 3 * IDLE_CHECK_MS) >= 0);
        assert_true(supervisor_latched(core(c)->supervisor));
        assert_string_equal(supervisor_fault_code(core(c)->supervisor), code);
        assert_int_equal(session_get_state(s), SESSION_FAULT);
        assert_actuators_safe(c, "latched");
}

/* After the clear: idle, and a program starts and moves the chair again. */
static void assert_cleared_and_starts(struct ctx *c) {
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_false(supervisor_latched(core(c)->supervisor));
        assert_string_equal(supervisor_fault_code(core(c)->supervisor), "");
        assert_true(vt_harness_run_for(c->h, 100) >= 0);
        assert_int_equal(session_get_state(core(c)->session), SESSION_IDLE);
        assert_int_equal(session_start(core(c)->session, "swedish", &(struct session_options) { .duration_s = 5 * 60, .scan = 0 }, &e), 0);
        assert_int_equal(vt_harness_run_until_state(c->h, SESSION_RUNNING, 5000), 0);
        for (int i = 0; i < 500 && !chair_hw_get_output(core(c)->hw, CHAIR_OUT_TRAVEL_MOTOR); i++)
                assert_true(vt_harness_run_for(c->h, STEP_MS) >= 0);
        assert_int_not_equal(chair_hw_get_output(core(c)->hw, CHAIR_OUT_TRAVEL_MOTOR), 0);
        assert_true(vt_harness_run_for(c->h, 5000) >= 0);
        assert_false(supervisor_latched(core(c)->supervisor));
        assert_int_equal(session_stop(core(c)->session, &e), 0);
}

static void run_case(enum chair_fault f, bool restart) {
        const struct fault_case *fc = &cases[f];
        const char *code = chair_fault_to_string(f);
        const struct vt_fault_event *ev;
        const struct vt_record *rec;
        struct ctx c;
        uint64_t trip_ms, bound, t0;
        char reason[256];
        int r;

        if (!fc->setup)
                fail_msg("fault %s (E%02u) has no test: add it to cases[] in %s", code, (unsigned) f, __FILE__);
        ctx_init(&c, fc);
        fc->setup(&c);
        vt_harness_record_clear(c.h);
        t0 = vt_harness_now_ms(c.h);
        fc->raise(&c);
        /* Step by step until the latch, noting when a gradual cause first held. */
        while (!supervisor_latched(core(&c)->supervisor)) {
                if (c.cause_ms == UINT64_MAX && fc->cause_met && fc->cause_met(&c))
                        c.cause_ms = vt_harness_now_ms(c.h);
                if (vt_harness_now_ms(c.h) - t0 > fc->max_ms)
                        fail_msg("%s (%s): no trip within %llu ms; state %s, fault '%s'", code, fc->how,
                                 (unsigned long long) fc->max_ms, session_state_name(session_get_state(core(&c)->session)),
                                 supervisor_fault_code(core(&c)->supervisor));
                assert_true(vt_harness_run_for(c.h, STEP_MS) >= 0);
        }
        if (c.cause_ms == UINT64_MAX && fc->cause_met && fc->cause_met(&c))
                c.cause_ms = vt_harness_now_ms(c.h);
        assert_int_not_equal(c.cause_ms, UINT64_MAX);
        assert_true(vt_harness_run_for(c.h, 0) >= 0);

        /* (2) the code and message, the event on the change channel, the session's end. */
        assert_string_equal(supervisor_fault_code(core(&c)->supervisor), code);
        if (!strstr(supervisor_fault_message(core(&c)->supervisor), fc->message))
                fail_msg("%s: message '%s' lacks '%s'", code, supervisor_fault_message(core(&c)->supervisor), fc->message);
        ev = vt_harness_first_fault(c.h);
        assert_non_null(ev);
        assert_string_equal(ev->code, code);
        assert_string_equal(ev->message, supervisor_fault_message(core(&c)->supervisor));
        assert_false(ev->restored);
        trip_ms = ev->at_ms;
        /* The change channel marked it (the bus's Fault property), the panel shows its number. */
        assert_true(c.fault_marks > 0);
        assert_int_equal(vt_harness_output(c.h, CHAIR_OUT_DISPLAY_FAULT), (int32_t) chair_fault_number(code));
        assert_int_equal(chair_fault_number(code), (unsigned) f);
        rec = vt_harness_record(c.h);
        assert_int_equal(session_get_state(core(&c)->session), SESSION_FAULT);
        if (fc->setup != setup_idle) {
                assert_int_equal(rec->n_finished, 1);
                assert_string_equal(rec->finished[0].reason, "fault");
        }

        /* (1) safe within the bound, and safe from then on. */
        bound = fc->bound_ms(&c);
        print_message("%-24s %-70s trip %+5lld ms after the cause (bound %llu ms)\n", code, fc->how,
                      (long long) (trip_ms - c.cause_ms), (unsigned long long) bound);
        assert_true(trip_ms >= c.cause_ms);
        if (trip_ms - c.cause_ms > bound)
                fail_msg("%s: tripped %llu ms after the cause, bound %llu ms", code,
                         (unsigned long long) (trip_ms - c.cause_ms), (unsigned long long) bound);
        assert_record_safe_from(&c, fc->safe_at_cause ? c.cause_ms : trip_ms);
        assert_actuators_safe(&c, "at the trip");

        /* (3) the latch holds against every start and the stop. */
        assert_latch_holds(&c, code);

        /* (4) the technician's clear: refused while the cause persists. */
        if (fc->persists) {
                r = supervisor_clear(core(&c)->supervisor, "technician", reason, sizeof reason);
                if (r != -EBUSY)
                        fail_msg("%s: clear while the cause persists: %d (%s)", code, r, r < 0 ? reason : "cleared");
                assert_true(supervisor_latched(core(&c)->supervisor));
                assert_int_equal(session_get_state(core(&c)->session), SESSION_FAULT);
        }
        if (fc->remove)
                fc->remove(&c);
        assert_true(vt_harness_run_for(c.h, 3 * IDLE_CHECK_MS) >= 0);
        assert_true(supervisor_latched(core(&c)->supervisor));

        if (restart) {
                /* A restart of the core on the same state dir is no clear. */
                c.h = vt_harness_free(c.h);
                ctx_open(&c);
                assert_true(supervisor_latched(core(&c)->supervisor));
                assert_string_equal(supervisor_fault_code(core(&c)->supervisor), code);
                /* (The restored FaultRaised goes out inside chair_core_new(), before the harness
                 * listens: the latch itself is what is asserted here.) */
                assert_true(vt_harness_run_for(c.h, 100) >= 0);
                assert_int_equal(session_get_state(core(&c)->session), SESSION_FAULT);
                assert_latch_holds(&c, code);
        }
        c.fault_marks = 0;
        r = supervisor_clear(core(&c)->supervisor, "technician", reason, sizeof reason);
        if (r < 0)
                fail_msg("%s: the clear after the cause was removed: %s", code, reason);
        ev = &vt_harness_record(c.h)->faults[vt_harness_record(c.h)->n_faults - 1];
        assert_true(ev->cleared);
        assert_true(vt_harness_run_for(c.h, 0) >= 0);
        assert_true(c.fault_marks > 0);
        assert_int_equal(vt_harness_output(c.h, CHAIR_OUT_DISPLAY_FAULT), 0);
        assert_cleared_and_starts(&c);
        ctx_done(&c);
}

static void test_every_fault(void **state) {
        for (unsigned f = CHAIR_FAULT_NONE + 1; f < _CHAIR_FAULT_MAX; f++)
                run_case((enum chair_fault) f, false);
}

static void test_every_fault_restart(void **state) {
        for (unsigned f = CHAIR_FAULT_NONE + 1; f < _CHAIR_FAULT_MAX; f++)
                run_case((enum chair_fault) f, true);
}

/* ---- the last lines of defence ---- */

/* The longest run of each output in the record up to now (the router's rule of a run), in ms. */
static void longest_runs(struct vt_harness *h, uint64_t ret_ms[_CHAIR_OUT_MAX]) {
        const struct vt_record *rec = vt_harness_record(h);
        int32_t last[_CHAIR_OUT_MAX];
        uint64_t since[_CHAIR_OUT_MAX] = {};

        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++) {
                last[o] = chair_output_info(o)->safe_value;
                ret_ms[o] = 0;
        }
        for (size_t i = 0; i < rec->n_outputs; i++) {
                const struct vt_output_change *ch = &rec->outputs[i];
                enum chair_output o = ch->out;
                bool safe = ch->value == chair_output_info(o)->safe_value;

                if (last[o] != chair_output_info(o)->safe_value && (safe || chair_output_starts_run(o, last[o], ch->value)))
                        ret_ms[o] = MAX(ret_ms[o], ch->at_ms - since[o]);
                if (!safe && (last[o] == chair_output_info(o)->safe_value || chair_output_starts_run(o, last[o], ch->value)))
                        since[o] = ch->at_ms;
                last[o] = ch->value;
        }
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                if (last[o] != chair_output_info(o)->safe_value)
                        ret_ms[o] = MAX(ret_ms[o], vt_harness_now_ms(h) - since[o]);
}

/* Every shipped program, healthy, start to idle: no fault, so the maximum on-time (the last
 * line behind the travel timeout and the inflation limit) never acts; each output's longest
 * run and its margin are printed. */
static void test_max_on_time_never_fires(void **state) {
        static const char *const programs[] = { "swedish", "deep-tissue", "gentle", "lower-back", "myofascial-release",
                                                "neck-shoulders", "sports", "trigger-point", "demo" };
        uint64_t worst[_CHAIR_OUT_MAX] = {};

        for (size_t p = 0; p < ARRAY_SIZE(programs); p++) {
                struct vt_harness *h = NULL;
                struct chair_error e = CHAIR_ERROR_NULL;
                uint64_t runs[_CHAIR_OUT_MAX];

                assert_int_equal(vt_harness_new(NULL, &h), 0);
                assert_int_equal(session_start(vt_harness_core(h)->session, programs[p],
                                               &(struct session_options) { .duration_s = 10 * 60, .scan = 1, .heat = true }, &e), 0);
                assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 15 * 60 * 1000), 0);
                if (vt_harness_first_fault(h))
                        fail_msg("%s: fault %s: %s", programs[p], vt_harness_first_fault(h)->code, vt_harness_first_fault(h)->message);
                longest_runs(h, runs);
                for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++) {
                        const struct chair_output_info *info = chair_output_info(o);
                        if (info->max_on_ms && !info->indicator && runs[o] >= info->max_on_ms)
                                fail_msg("%s: %s ran %llu ms, its maximum on-time is %u ms", programs[p], info->name,
                                         (unsigned long long) runs[o], info->max_on_ms);
                        worst[o] = MAX(worst[o], runs[o]);
                }
                vt_harness_free(h);
        }
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++) {
                const struct chair_output_info *info = chair_output_info(o);
                if (info->max_on_ms && !info->indicator)
                        print_message("%-16s longest run %6llu ms of %6u ms (%.0f %%) over every program\n", info->name,
                                      (unsigned long long) worst[o], info->max_on_ms, 100.0 * (double) worst[o] / info->max_on_ms);
        }
}

/* A creeping roller (a slipping belt) on travels bounded at their longest (travel_timeout_s
 * = 60 acts as 41 s): travel-timeout trips, and before the travel motor's 42 s maximum
 * on-time; the motor's run at the trip is under it. */
static void test_travel_timeout_before_max_on_time(void **state) {
        for (unsigned timeout_s = 10; timeout_s <= 60; timeout_s += 50) {
                struct ctx c;
                uint64_t runs[_CHAIR_OUT_MAX];
                const struct vt_fault_event *ev;

                ctx_init(&c, NULL);
                c.h = vt_harness_free(c.h);
                c.map.limits.travel_timeout_ms = timeout_s * 1000;
                ctx_open(&c);
                setup_running(&c);
                inject(&c, "slow-roller", true);
                for (int i = 0; i < 6000 && !supervisor_latched(core(&c)->supervisor); i++)
                        assert_true(vt_harness_run_for(c.h, STEP_MS) >= 0);
                ev = vt_harness_first_fault(c.h);
                assert_non_null(ev);
                assert_string_equal(ev->code, "travel-timeout");
                longest_runs(c.h, runs);
                print_message("travel_timeout_s = %u: travel-timeout with the motor's longest run %llu ms (maximum on-time %u ms)\n",
                              timeout_s, (unsigned long long) runs[CHAIR_OUT_TRAVEL_MOTOR],
                              chair_output_info(CHAIR_OUT_TRAVEL_MOTOR)->max_on_ms);
                assert_true(runs[CHAIR_OUT_TRAVEL_MOTOR] < chair_output_info(CHAIR_OUT_TRAVEL_MOTOR)->max_on_ms);
                assert_actuators_safe(&c, "after travel-timeout");
                ctx_done(&c);
        }
}

/* The precautions hold on the outputs: pregnancy (no heat, no back or seat bags, depth at most
 * 2) declared, swedish (lumbar heat, seat and back air) runs clamped with no fault, and the
 * session's own setpoints are refused. */
static void test_precautions_backstop(void **state) {
        static const char *const pregnancy[] = { "pregnancy", NULL };
        const struct vt_record *rec;
        struct vt_harness *h = NULL;
        struct chair_error e = CHAIR_ERROR_NULL;
        size_t air = 0;

        assert_int_equal(vt_harness_new(NULL, &h), 0);
        assert_int_equal(vt_harness_act(h, &(struct vt_action) { .kind = VT_ACT_PRECAUTIONS, .list = pregnancy }, NULL), 0);
        assert_int_equal(session_start(vt_harness_core(h)->session, "swedish",
                                       &(struct session_options) { .duration_s = 10 * 60, .scan = 1, .heat = true }, &e), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_RUNNING, 60 * 1000), 0);
        assert_true(session_set_heat(vt_harness_core(h)->session, CHAIR_HEAT_LUMBAR, 2, &e) < 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_PRECAUTION));
        chair_error_reset(&e);
        assert_true(session_set_air(vt_harness_core(h)->session, 1u << CHAIR_AIR_SEAT, 3, &e) < 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_PRECAUTION));
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 15 * 60 * 1000), 0);
        assert_null(vt_harness_first_fault(h));
        rec = vt_harness_record(h);
        assert_int_equal(rec->n_finished, 1);
        assert_string_equal(rec->finished[0].reason, "completed");
        for (size_t i = 0; i < rec->n_outputs; i++) {
                const struct vt_output_change *ch = &rec->outputs[i];
                switch (ch->out) {
                case CHAIR_OUT_HEAT_LUMBAR:
                case CHAIR_OUT_HEAT_CALVES:
                        assert_int_equal(ch->value, 0);
                        break;
                case CHAIR_OUT_DEPTH:
                        assert_true(ch->value <= 2);
                        break;
                default:
                        if (ch->out == chair_air_zone_valve(CHAIR_AIR_BACK) || ch->out == chair_air_zone_valve(CHAIR_AIR_SEAT))
                                assert_int_equal(ch->value, 0);
                        else if (ch->value && ch->out == chair_air_zone_valve(CHAIR_AIR_CALVES))
                                air++;
                }
        }
        /* The zones not forbidden still got their air. */
        assert_true(air > 0);
        vt_harness_free(h);
}

/* The watchdog's progress: only checks that ran count, so a supervisor whose checks stopped
 * is seen as stalled (the lease is renewed in the same place; the sim has no board to hold
 * one). At rest nothing needs checking. */
static void test_progress_only_from_checks(void **state) {
        struct vt_harness *h = NULL;
        struct chair_error e = CHAIR_ERROR_NULL;
        struct supervisor *sup;

        assert_int_equal(vt_harness_new(NULL, &h), 0);
        sup = vt_harness_core(h)->supervisor;
        assert_true(vt_harness_run_for(h, 5000) >= 0);
        assert_true(supervisor_progressed(sup));
        assert_true(supervisor_progressed(sup)); /* idle: nothing to check */
        assert_int_equal(session_start(vt_harness_core(h)->session, "swedish",
                                       &(struct session_options) { .duration_s = 5 * 60, .scan = 0 }, &e), 0);
        assert_true(vt_harness_run_for(h, 1000) >= 0);
        assert_true(supervisor_progressed(sup));
        /* No virtual time passed, no check ran: no progress. */
        assert_false(supervisor_progressed(sup));
        assert_true(vt_harness_run_for(h, CHECK_MS / 2) >= 0);
        assert_true(vt_harness_run_for(h, CHECK_MS) >= 0);
        assert_true(supervisor_progressed(sup));
        /* A latched fault: at rest again, the idle rule. */
        supervisor_trip(sup, CHAIR_FAULT_EMERGENCY_STOP, "from the test");
        assert_true(vt_harness_run_for(h, 3 * IDLE_CHECK_MS) >= 0);
        assert_true(supervisor_progressed(sup));
        vt_harness_free(h);
}

/* A map that latches until a power cycle: the technician's clear is refused too, and a restart
 * of the daemon in the same boot is no power cycle. */
static void test_latch_until_power_cycle(void **state) {
        struct ctx c;
        char reason[256];

        ctx_init(&c, NULL);
        c.h = vt_harness_free(c.h);
        c.map.limits.latch_until_power_cycle = true;
        ctx_open(&c);
        setup_running(&c);
        inject(&c, "estop", true);
        assert_true(vt_harness_run_for(c.h, CHECK_MS) >= 0);
        assert_true(supervisor_latched(core(&c)->supervisor));
        inject(&c, "estop", false);
        assert_true(vt_harness_run_for(c.h, 3 * IDLE_CHECK_MS) >= 0);
        assert_int_equal(supervisor_clear(core(&c)->supervisor, "technician", reason, sizeof reason), -EPERM);
        assert_non_null(strstr(reason, "power cycle"));
        c.h = vt_harness_free(c.h);
        ctx_open(&c);
        assert_true(supervisor_latched(core(&c)->supervisor));
        assert_string_equal(supervisor_fault_code(core(&c)->supervisor), "emergency-stop");
        assert_int_equal(supervisor_clear(core(&c)->supervisor, "technician", reason, sizeof reason), -EPERM);
        assert_latch_holds(&c, "emergency-stop");
        ctx_done(&c);
}

/* At rest the checks that make sense there run every 2 s (docs/architecture.md "Checks at
 * rest"): a cause found there trips within one idle period, a stop input at once. */
static void test_checks_at_rest(void **state) {
        static const struct {
                const char *inject, *code;
                uint64_t bound_ms;
        } rest[] = {
                { "estop", "emergency-stop", 0 },
                { "both-limits", "limits-both", 0 },
                { "thermistor-open", "thermistor-open", IDLE_CHECK_MS },
                { "thermistor-short", "thermistor-short", IDLE_CHECK_MS },
                { "supply-high", "supply-voltage", IDLE_CHECK_MS },
                { "supply-low", "supply-voltage", IDLE_CHECK_MS },
        };

        for (size_t i = 0; i < ARRAY_SIZE(rest); i++) {
                const struct vt_fault_event *ev;
                struct ctx c;

                ctx_init(&c, NULL);
                setup_idle(&c);
                /* Just after an idle check (they run at 100 ms, then every 2 s): the longest wait. */
                assert_true(vt_harness_run_for(c.h, 150) >= 0);
                raise_now(&c, rest[i].inject);
                for (int k = 0; k < 1000 && !supervisor_latched(core(&c)->supervisor); k++)
                        assert_true(vt_harness_run_for(c.h, STEP_MS) >= 0);
                ev = vt_harness_first_fault(c.h);
                assert_non_null(ev);
                assert_string_equal(ev->code, rest[i].code);
                print_message("at rest: %-16s -> %-16s %5llu ms (bound %llu ms)\n", rest[i].inject, ev->code,
                              (unsigned long long) (ev->at_ms - c.cause_ms), (unsigned long long) rest[i].bound_ms);
                assert_true(ev->at_ms - c.cause_ms <= rest[i].bound_ms);
                assert_int_equal(session_get_state(core(&c)->session), SESSION_FAULT);
                assert_actuators_safe(&c, "a fault at rest");
                ctx_done(&c);
        }
}

/* The board's heartbeat lease (docs/architecture.md): renewed by each run of the checks for
 * three of their periods, so it never lapses while they run, and a supervisor that stops
 * checking lets it lapse within three periods (300 ms active, 6 s at rest). Sampled every
 * 10 ms through a healthy program and at rest, a fault latched included; a renewal happens
 * only where a check ran. */
static void test_heartbeat_lease(void **state) {
        struct vt_harness *h = NULL;
        struct chair_error e = CHAIR_ERROR_NULL;
        struct supervisor *sup;
        int64_t lease, last = INT64_MIN, ahead_active = 0, ahead_rest = 0, least = INT64_MAX;
        unsigned renewals = 0;

        assert_int_equal(vt_harness_new(&(struct vt_harness_options) { .no_output_record = true }, &h), 0);
        sup = vt_harness_core(h)->supervisor;
        assert_int_not_equal(vt_harness_lease_until_us(h), INT64_MIN);
        assert_int_equal(session_start(vt_harness_core(h)->session, "swedish",
                                       &(struct session_options) { .duration_s = 5 * 60, .scan = 1 }, &e), 0);
        (void) supervisor_progressed(sup);
        for (uint64_t t = 0; t < 8 * 60 * 1000; t += STEP_MS) {
                bool active;

                assert_true(vt_harness_run_for(h, STEP_MS) >= 0);
                lease = vt_harness_lease_until_us(h);
                active = session_active(vt_harness_core(h)->session);
                if (t == 6 * 60 * 1000)
                        supervisor_trip(sup, CHAIR_FAULT_EMERGENCY_STOP, "from the test"); /* latched: at rest */
                /* Never lapsed: a board would not have switched off. */
                if (lease <= (int64_t) vt_harness_now_us(h))
                        fail_msg("the lease lapsed at %llu ms (until %lld us)", (unsigned long long) vt_harness_now_ms(h),
                                 (long long) lease);
                least = MIN(least, lease - (int64_t) vt_harness_now_us(h));
                if (active)
                        ahead_active = MAX(ahead_active, lease - (int64_t) vt_harness_now_us(h));
                else
                        ahead_rest = MAX(ahead_rest, lease - (int64_t) vt_harness_now_us(h));
                /* A renewal comes from checks that ran (or from waking up for a session). */
                if (lease != last && last != INT64_MIN && active && t > 1000) {
                        assert_true(supervisor_progressed(sup));
                        renewals++;
                }
                last = lease;
        }
        print_message("lease: at most %lld ms ahead while active, %lld ms at rest, never under %lld ms; %u renewals\n",
                      (long long) ahead_active / 1000, (long long) ahead_rest / 1000, (long long) least / 1000, renewals);
        assert_true(renewals > 1000);
        assert_true(ahead_active <= 3 * CHECK_MS * 1000);
        assert_true(ahead_rest <= 3 * IDLE_CHECK_MS * 1000);
        vt_harness_free(h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_fault),
                cmocka_unit_test(test_every_fault_restart),
                cmocka_unit_test(test_checks_at_rest),
                cmocka_unit_test(test_latch_until_power_cycle),
                cmocka_unit_test(test_max_on_time_never_fires),
                cmocka_unit_test(test_travel_timeout_before_max_on_time),
                cmocka_unit_test(test_precautions_backstop),
                cmocka_unit_test(test_progress_only_from_checks),
                cmocka_unit_test(test_heartbeat_lease),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
