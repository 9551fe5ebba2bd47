/* SPDX-License-Identifier: MIT */
/*
 * The session's state machine (docs/architecture.md's diagram) on the whole chair in virtual
 * time (tests/vt/vt-harness.h): every transition, each refusal's reason, pause and resume
 * (remaining time frozen, heat and motors off), settling (roller home, air released, heat
 * off, then idle), the auto-off timer over a program and a manual session, the live setters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "chair-hw.h"
#include "scheduler.h"
#include "settings.h"
#include "supervisor.h"
#include "vt-harness.h"

#define MIN_MS (60 * 1000ULL)
#define OPTS(...) (&(struct session_options) { __VA_ARGS__ })

static int setup(void **state) {
        struct vt_harness *h = NULL;

        if (vt_harness_new(NULL, &h) < 0)
                return -1;
        *state = h;
        return 0;
}

static int teardown(void **state) {
        vt_harness_free(*state);
        return 0;
}

static struct session *S(struct vt_harness *h) {
        return vt_harness_core(h)->session;
}

static enum session_state state_of(struct vt_harness *h) {
        return session_get_state(S(h));
}

static void expect_states(struct vt_harness *h, const char *want) {
        char buf[512];

        vt_harness_states_string(h, buf, sizeof buf);
        if (strcmp(buf, want) != 0)
                print_error("states: '%s', expected '%s'\n", buf, want);
        assert_string_equal(buf, want);
}

static void expect_refused(int r, const struct chair_error *e, enum chair_reason reason) {
        assert_true(r < 0);
        if (!chair_error_is(e, reason))
                print_error("refusal: reason %d (%s), expected %d\n", e->reason, e->message, reason);
        assert_true(chair_error_is(e, reason));
}

static void expect_finished(struct vt_harness *h, size_t i, const char *program, const char *reason) {
        const struct vt_record *rec = vt_harness_record(h);

        assert_true(rec->n_finished > i);
        assert_string_equal(rec->finished[i].program, program);
        assert_string_equal(rec->finished[i].reason, reason);
}

/* No fault raised so far. */
static void expect_no_fault(struct vt_harness *h) {
        const struct vt_fault_event *f = vt_harness_first_fault(h);

        if (f)
                print_error("fault %s at %llu ms: %s\n", f->code, (unsigned long long) f->at_ms, f->message);
        assert_null(f);
}

/* Every actuator (not the panel's indicators) at its safe value. */
static void expect_actuators_safe(struct vt_harness *h) {
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++) {
                const struct chair_output_info *info = chair_output_info(o);
                if (info->indicator)
                        continue;
                if (vt_harness_output(h, o) != info->safe_value)
                        print_error("%s is %d, not its safe %d\n", info->name, vt_harness_output(h, o), info->safe_value);
                assert_int_equal(vt_harness_output(h, o), info->safe_value);
        }
}

/* A program running now, no body scan. */
static void start_running(struct vt_harness *h, const char *program, uint32_t duration_s) {
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(session_start(S(h), program, OPTS(.duration_s = duration_s, .scan = 0), &e), 0);
        assert_int_equal(state_of(h), SESSION_RUNNING);
}

static uint64_t ran_ms(struct vt_harness *h) {
        const struct vt_state_change *run = vt_harness_find_state(h, SESSION_RUNNING, 0);
        const struct vt_state_change *settle = vt_harness_find_state(h, SESSION_SETTLING, 0);

        assert_non_null(run);
        assert_non_null(settle);
        return settle->at_ms - run->at_ms;
}

/* ---- the transitions ---- */

/* idle -> running (scan=false) -> settling (the program ends) -> idle. */
static void test_program_runs_to_its_end(void **state) {
        struct vt_harness *h = *state;

        start_running(h, "swedish", 300);
        assert_string_equal(session_program(S(h)), "swedish");
        assert_int_equal(session_duration_s(S(h)), 300);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 10 * MIN_MS), 0);
        expect_states(h, "running settling idle");
        expect_finished(h, 0, "swedish", "completed");
        assert_in_range(ran_ms(h), 299 * 1000, 301 * 1000);
        assert_string_equal(session_program(S(h)), "");
        expect_no_fault(h);
        expect_actuators_safe(h);
}

/* idle -> scanning (no shoulder stored) -> running (the scan done, a program waits); the
 * next start finds the shoulder stored and runs at once. */
static void test_start_scans_first_when_no_shoulder_is_stored(void **state) {
        struct vt_harness *h = *state;
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(session_shoulder_mm(S(h)), -1);
        assert_int_equal(session_start(S(h), "swedish", OPTS(.duration_s = 120, .scan = -1), &e), 0);
        assert_int_equal(state_of(h), SESSION_SCANNING);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_RUNNING, 2 * MIN_MS), 0);
        assert_true(session_shoulder_mm(S(h)) > 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 5 * MIN_MS), 0);
        expect_states(h, "scanning running settling idle");

        assert_int_equal(session_start(S(h), "swedish", OPTS(.duration_s = 120, .scan = -1), &e), 0);
        assert_int_equal(state_of(h), SESSION_RUNNING);
        expect_no_fault(h);
}

/* idle -> scanning (a body scan alone) -> settling (scan done) -> idle: no program finished. */
static void test_scan_alone_settles(void **state) {
        struct vt_harness *h = *state;
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(session_start_scan(S(h), &e), 0);
        assert_int_equal(state_of(h), SESSION_SCANNING);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 3 * MIN_MS), 0);
        expect_states(h, "scanning settling idle");
        assert_true(session_shoulder_mm(S(h)) > 0);
        assert_int_equal(vt_harness_record(h)->n_finished, 0);
        expect_no_fault(h);
        expect_actuators_safe(h);
}

/* scanning -> settling: Stop during the scan; the program that waited does not start. */
static void test_stop_during_scan(void **state) {
        struct vt_harness *h = *state;
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(session_start(S(h), "swedish", OPTS(.duration_s = 120, .scan = 1), &e), 0);
        vt_harness_run_for(h, 2000);
        assert_int_equal(state_of(h), SESSION_SCANNING);
        assert_int_equal(session_stop(S(h), &e), 0);
        assert_int_equal(state_of(h), SESSION_SETTLING);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, MIN_MS), 0);
        vt_harness_run_for(h, MIN_MS);
        expect_states(h, "scanning settling idle");
        expect_no_fault(h);
}

/* idle -> running: StartManual; running -> settling: Stop. */
static void test_manual_session(void **state) {
        struct vt_harness *h = *state;
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(session_start_manual(S(h), "knead", MANUAL_FULL, OPTS(.duration_s = 300), &e), 0);
        assert_int_equal(state_of(h), SESSION_RUNNING);
        assert_string_equal(session_program(S(h)), "manual:knead");
        vt_harness_run_for(h, MIN_MS);
        assert_int_equal(session_stop(S(h), &e), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, MIN_MS), 0);
        expect_states(h, "running settling idle");
        expect_finished(h, 0, "manual:knead", "stopped");
        expect_no_fault(h);
        expect_actuators_safe(h);
}

/* idle -> running: RecallMemory starts what was saved. */
static void test_recall_memory_starts_the_saved_program(void **state) {
        struct vt_harness *h = *state;
        struct chair_error e = CHAIR_ERROR_NULL;

        start_running(h, "deep-tissue", 600);
        assert_int_equal(session_set_intensity(S(h), 2, &e), 0);
        assert_int_equal(session_save_memory(S(h), 1, &e), 0);
        assert_int_equal(session_stop(S(h), &e), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, MIN_MS), 0);
        assert_int_equal(session_set_intensity(S(h), 4, &e), 0);

        assert_int_equal(session_recall_memory(S(h), 1, &e), 0);
        assert_int_not_equal(state_of(h), SESSION_IDLE);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_RUNNING, 2 * MIN_MS), 0);
        assert_string_equal(session_program(S(h)), "deep-tissue");
        assert_int_equal(session_settings(S(h))->intensity, 2);
        expect_no_fault(h);
}

/* running -> paused -> running; paused -> settling (Stop). While paused the remaining time
 * stands still, and heat and motors are off; the paused time does not count. */
static void test_pause_and_resume(void **state) {
        struct vt_harness *h = *state;
        static const enum chair_output off_while_paused[] = {
                CHAIR_OUT_HEAT_LUMBAR, CHAIR_OUT_HEAT_CALVES, CHAIR_OUT_TRAVEL_MOTOR, CHAIR_OUT_KNEAD_MOTOR,
                CHAIR_OUT_TAP_MOTOR, CHAIR_OUT_AIR_PUMP,
        };
        struct chair_error e = CHAIR_ERROR_NULL;
        const struct vt_record *rec;
        uint32_t remaining;
        uint64_t paused_at, resumed_at;

        start_running(h, "swedish", 300);
        /* The warm-up heats the lumbar zone. */
        assert_int_equal(session_set_heat(S(h), CHAIR_HEAT_LUMBAR, 2, &e), 0);
        vt_harness_run_for(h, 30 * 1000);
        assert_int_equal(session_pause(S(h), &e), 0);
        assert_int_equal(state_of(h), SESSION_PAUSED);
        paused_at = vt_harness_now_ms(h);
        remaining = session_remaining_s(S(h));
        assert_in_range(remaining, 268, 271);

        vt_harness_run_for(h, 2 * MIN_MS);
        assert_int_equal(state_of(h), SESSION_PAUSED);
        assert_int_equal(session_remaining_s(S(h)), remaining);
        /* Off within a controller tick of the pause, and off until the resume. */
        rec = vt_harness_record(h);
        for (size_t i = 0; i < ARRAY_SIZE(off_while_paused); i++)
                assert_int_equal(vt_harness_output_at(h, off_while_paused[i], paused_at + 100), 0);
        for (size_t i = 0; i < rec->n_outputs; i++)
                for (size_t k = 0; k < ARRAY_SIZE(off_while_paused); k++)
                        if (rec->outputs[i].out == off_while_paused[k] && rec->outputs[i].at_ms > paused_at + 100)
                                assert_int_equal(rec->outputs[i].value, 0);

        assert_int_equal(session_resume(S(h), &e), 0);
        assert_int_equal(state_of(h), SESSION_RUNNING);
        resumed_at = vt_harness_now_ms(h);
        vt_harness_run_for(h, 10 * 1000);
        assert_in_range(session_remaining_s(S(h)), remaining - 11, remaining - 9);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_SETTLING, 10 * MIN_MS), 0);
        /* 300 s of program, the 120 s pause on top. */
        assert_in_range(ran_ms(h), 419 * 1000, 421 * 1000);
        assert_true(resumed_at - paused_at >= 2 * MIN_MS);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, MIN_MS), 0);
        expect_states(h, "running paused running settling idle");
        expect_finished(h, 0, "swedish", "completed");
        expect_no_fault(h);
}

static void test_stop_while_paused(void **state) {
        struct vt_harness *h = *state;
        struct chair_error e = CHAIR_ERROR_NULL;

        start_running(h, "swedish", 300);
        vt_harness_run_for(h, 10 * 1000);
        assert_int_equal(session_pause(S(h), &e), 0);
        vt_harness_run_for(h, 10 * 1000);
        assert_int_equal(session_stop(S(h), &e), 0);
        assert_int_equal(state_of(h), SESSION_SETTLING);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, MIN_MS), 0);
        expect_states(h, "running paused settling idle");
        expect_finished(h, 0, "swedish", "stopped");
        expect_no_fault(h);
        expect_actuators_safe(h);
}

/* Settling: heat and air off at once, the roller driven home, then idle. */
static void test_settle_parks_releases_and_cools(void **state) {
        struct vt_harness *h = *state;
        struct chair_error e = CHAIR_ERROR_NULL;
        const struct vt_state_change *settle, *idle;
        int32_t enc = -1, bottom = 0;

        assert_int_equal(session_set_air(S(h), 0x3, 3, &e), 0);
        assert_int_equal(session_start_manual(S(h), "knead", MANUAL_UPPER, OPTS(.duration_s = 300), &e), 0);
        assert_int_equal(session_set_heat(S(h), CHAIR_HEAT_LUMBAR, 3, &e), 0);
        vt_harness_run_for(h, MIN_MS);
        /* The roller is up the back, working. */
        assert_int_equal(chair_hw_read_input(vt_harness_core(h)->hw, CHAIR_IN_ENCODER, &enc), 0);
        assert_true(enc / vt_harness_core(h)->map.pulses_per_mm > 100);

        assert_int_equal(session_stop(S(h), &e), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, MIN_MS), 0);
        settle = vt_harness_find_state(h, SESSION_SETTLING, 0);
        idle = vt_harness_find_state(h, SESSION_IDLE, 0);
        assert_non_null(settle);
        assert_non_null(idle);
        /* Not instant: the roller had to travel home. */
        assert_true(idle->at_ms - settle->at_ms > 500);
        /* Air released, heat and the massage motors off within a tick of the stop. */
        assert_int_equal(vt_harness_output_at(h, CHAIR_OUT_HEAT_LUMBAR, settle->at_ms + 50), 0);
        assert_int_equal(vt_harness_output_at(h, CHAIR_OUT_AIR_PUMP, settle->at_ms + 50), 0);
        assert_int_equal(vt_harness_output_at(h, CHAIR_OUT_AIR_RELEASE, settle->at_ms + 50), 1);
        assert_int_equal(vt_harness_output_at(h, CHAIR_OUT_KNEAD_MOTOR, settle->at_ms + 50), 0);
        /* The roller moved down while settling and stands at the bottom at idle. */
        assert_true(vt_harness_output_at(h, CHAIR_OUT_TRAVEL_MOTOR, settle->at_ms + 50) < 0);
        assert_int_equal(chair_hw_read_input(vt_harness_core(h)->hw, CHAIR_IN_ENCODER, &enc), 0);
        assert_int_equal(chair_hw_read_input(vt_harness_core(h)->hw, CHAIR_IN_LIMIT_BOTTOM, &bottom), 0);
        assert_true(bottom || enc / vt_harness_core(h)->map.pulses_per_mm <= 5);
        expect_actuators_safe(h);
        expect_no_fault(h);
}

/* ---- the auto-off timer ---- */

/* An explicit length longer than the timer is fitted to the timer. */
static void test_timer_caps_a_program(void **state) {
        struct vt_harness *h = *state;
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(session_set_timer(S(h), 10, &e), 0);
        start_running(h, "swedish", 20 * 60);
        assert_int_equal(session_duration_s(S(h)), 10 * 60);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 15 * MIN_MS), 0);
        assert_in_range(ran_ms(h), 599 * 1000, 601 * 1000);
        expect_finished(h, 0, "swedish", "completed");
        expect_no_fault(h);
}

/* The timer lowered while a program runs ends it early, by the timer. */
static void test_timer_lowered_during_a_program(void **state) {
        struct vt_harness *h = *state;
        struct chair_error e = CHAIR_ERROR_NULL;

        start_running(h, "swedish", 20 * 60);
        vt_harness_run_for(h, MIN_MS);
        assert_int_equal(session_set_timer(S(h), 10, &e), 0);
        assert_int_equal(session_duration_s(S(h)), 10 * 60);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 15 * MIN_MS), 0);
        assert_in_range(ran_ms(h), 599 * 1000, 602 * 1000);
        expect_finished(h, 0, "swedish", "timer");
        expect_no_fault(h);
}

/* A manual session without a length runs for the timer. */
static void test_timer_ends_a_manual_session(void **state) {
        struct vt_harness *h = *state;
        struct chair_error e = CHAIR_ERROR_NULL;
        const struct vt_record *rec;

        assert_int_equal(session_set_timer(S(h), 10, &e), 0);
        assert_int_equal(session_start_manual(S(h), "tap", MANUAL_LOWER, OPTS(), &e), 0);
        assert_int_equal(session_duration_s(S(h)), 10 * 60);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 15 * MIN_MS), 0);
        assert_in_range(ran_ms(h), 599 * 1000, 602 * 1000);
        rec = vt_harness_record(h);
        assert_int_equal(rec->n_finished, 1);
        assert_string_equal(rec->finished[0].program, "manual:tap");
        /* Its timeline ends with the timer: whichever sees the end first names it. */
        assert_true(strcmp(rec->finished[0].reason, "completed") == 0 || strcmp(rec->finished[0].reason, "timer") == 0);
        expect_no_fault(h);
}

/* The technician's default timer (the settings' owner) is the session's timer. */
static void test_default_timer_follows_the_setting(void **state) {
        struct vt_harness *h = *state;
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(chair_settings_set_default_timer(vt_harness_core(h)->settings, 10, &e), 0);
        assert_int_equal(session_settings(S(h))->timer_min, 10);
        expect_refused(chair_settings_set_default_timer(vt_harness_core(h)->settings, 7, &e), &e, CHAIR_REASON_INVALID_ARGS);
        assert_int_equal(session_settings(S(h))->timer_min, 10);
        start_running(h, "swedish", 20 * 60);
        assert_int_equal(session_duration_s(S(h)), 10 * 60);
}

/* ---- refusals ---- */

static void test_refusals_name_the_state(void **state) {
        struct vt_harness *h = *state;
        struct chair_error e = CHAIR_ERROR_NULL;

        /* Idle: nothing to stop, pause or resume. */
        expect_refused(session_stop(S(h), &e), &e, CHAIR_REASON_NOT_RUNNING);
        expect_refused(session_pause(S(h), &e), &e, CHAIR_REASON_NOT_RUNNING);
        expect_refused(session_resume(S(h), &e), &e, CHAIR_REASON_NOT_RUNNING);
        expect_refused(session_save_memory(S(h), 1, &e), &e, CHAIR_REASON_NOT_RUNNING);
        expect_refused(session_recall_memory(S(h), 2, &e), &e, CHAIR_REASON_NOT_PERMITTED);
        expect_refused(session_move_point(S(h), 1, &e), &e, CHAIR_REASON_NOT_RUNNING);
        expect_refused(session_start(S(h), "no-such-program", OPTS(), &e), &e, CHAIR_REASON_UNKNOWN_PROGRAM);
        expect_refused(session_start_manual(S(h), "no-such-technique", MANUAL_FULL, OPTS(), &e), &e,
                       CHAIR_REASON_INVALID_ARGS);
        assert_int_equal(state_of(h), SESSION_IDLE);

        /* Scanning: busy. */
        assert_int_equal(session_start_scan(S(h), &e), 0);
        expect_refused(session_start(S(h), "swedish", OPTS(), &e), &e, CHAIR_REASON_BUSY);
        expect_refused(session_start_scan(S(h), &e), &e, CHAIR_REASON_BUSY);
        expect_refused(session_pause(S(h), &e), &e, CHAIR_REASON_NOT_RUNNING);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 3 * MIN_MS), 0);
        /* The shoulder moves only so far from the scan. */
        expect_refused(session_adjust_shoulder(S(h), 100, &e), &e, CHAIR_REASON_NOT_PERMITTED);

        /* Running: busy; Resume only when paused. */
        start_running(h, "swedish", 300);
        expect_refused(session_start(S(h), "swedish", OPTS(), &e), &e, CHAIR_REASON_BUSY);
        expect_refused(session_start_manual(S(h), "knead", MANUAL_FULL, OPTS(), &e), &e, CHAIR_REASON_BUSY);
        expect_refused(session_resume(S(h), &e), &e, CHAIR_REASON_NOT_RUNNING);

        /* Paused: busy; Pause only when running. */
        assert_int_equal(session_pause(S(h), &e), 0);
        expect_refused(session_pause(S(h), &e), &e, CHAIR_REASON_NOT_RUNNING);
        expect_refused(session_start(S(h), "swedish", OPTS(), &e), &e, CHAIR_REASON_BUSY);

        /* Settling: busy; a second Stop is no error. */
        assert_int_equal(session_stop(S(h), &e), 0);
        assert_int_equal(state_of(h), SESSION_SETTLING);
        assert_int_equal(session_stop(S(h), &e), 0);
        expect_refused(session_start(S(h), "swedish", OPTS(), &e), &e, CHAIR_REASON_BUSY);
        expect_refused(session_pause(S(h), &e), &e, CHAIR_REASON_NOT_RUNNING);
        expect_refused(session_resume(S(h), &e), &e, CHAIR_REASON_NOT_RUNNING);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, MIN_MS), 0);

        /* Fault: latched. */
        supervisor_trip(vt_harness_core(h)->supervisor, CHAIR_FAULT_DEADLINE_MISSED, "a test's trip");
        assert_int_equal(state_of(h), SESSION_FAULT);
        expect_refused(session_start(S(h), "swedish", OPTS(), &e), &e, CHAIR_REASON_FAULT_LATCHED);
        expect_refused(session_start_manual(S(h), "knead", MANUAL_FULL, OPTS(), &e), &e, CHAIR_REASON_FAULT_LATCHED);
        expect_refused(session_start_scan(S(h), &e), &e, CHAIR_REASON_FAULT_LATCHED);
        expect_refused(session_stop(S(h), &e), &e, CHAIR_REASON_NOT_RUNNING);
}

/* The declared conditions: a program they exclude, and levels past their caps. */
static void test_conditions_refuse_and_cap(void **state) {
        struct vt_harness *h = *state;
        struct chair_error e = CHAIR_ERROR_NULL;
        char **list = calloc(2, sizeof *list);

        assert_non_null(list);
        list[0] = strdup("osteoporosis");  /* intensity and depth at most 2; excludes deep-tissue */
        assert_int_equal(chair_settings_set_precautions(vt_harness_core(h)->settings, list), 0);
        expect_refused(session_start(S(h), "deep-tissue", OPTS(.scan = 0), &e), &e, CHAIR_REASON_PRECAUTION);
        assert_int_equal(state_of(h), SESSION_IDLE);

        /* Allowed, its intensity capped. */
        assert_int_equal(session_start(S(h), "swedish", OPTS(.intensity = 5, .duration_s = 300, .scan = 0), &e), 0);
        assert_int_equal(session_settings(S(h))->intensity, 2);
        expect_refused(session_set_intensity(S(h), 4, &e), &e, CHAIR_REASON_PRECAUTION);
        expect_refused(session_set_depth(S(h), 3, &e), &e, CHAIR_REASON_PRECAUTION);
        assert_int_equal(session_set_intensity(S(h), 1, &e), 0);
        assert_int_equal(session_settings(S(h))->intensity, 1);
        vt_harness_run_for(h, MIN_MS);
        expect_no_fault(h);
}

/* A must-not-use condition declared during a session ends it ("precaution"). */
static void test_conditions_declared_during_a_session_end_it(void **state) {
        struct vt_harness *h = *state;
        char **list = calloc(2, sizeof *list);

        start_running(h, "swedish", 300);
        vt_harness_run_for(h, 10 * 1000);
        assert_non_null(list);
        list[0] = strdup("fever");
        assert_int_equal(chair_settings_set_precautions(vt_harness_core(h)->settings, list), 0);
        assert_int_equal(state_of(h), SESSION_SETTLING);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, MIN_MS), 0);
        expect_finished(h, 0, "swedish", "precaution");
        expect_no_fault(h);
}

/* ---- faults ---- */

/* Every state -> fault on a trip: outputs safe at once, a running program finishes with
 * "fault"; fault -> idle once a technician clears it. */
static void trip_and_clear(struct vt_harness *h, enum session_state from, const char *finished_reason) {
        char reason[256];

        assert_int_equal(state_of(h), from);
        supervisor_trip(vt_harness_core(h)->supervisor, CHAIR_FAULT_DEADLINE_MISSED, "a test's trip");
        assert_int_equal(state_of(h), SESSION_FAULT);
        expect_actuators_safe(h);
        if (finished_reason) {
                const struct vt_record *rec = vt_harness_record(h);
                assert_true(rec->n_finished >= 1);
                assert_string_equal(rec->finished[rec->n_finished - 1].reason, finished_reason);
        }
        vt_harness_run_for(h, 5000);
        assert_int_equal(state_of(h), SESSION_FAULT);
        expect_actuators_safe(h);
        assert_int_equal(supervisor_clear(vt_harness_core(h)->supervisor, "technician", reason, sizeof reason), 0);
        assert_int_equal(state_of(h), SESSION_IDLE);
        vt_harness_run_for(h, 1000);
}

static void test_fault_from_every_state(void **state) {
        struct vt_harness *h = *state;
        struct chair_error e = CHAIR_ERROR_NULL;

        trip_and_clear(h, SESSION_IDLE, NULL);

        assert_int_equal(session_start(S(h), "swedish", OPTS(.duration_s = 300, .scan = 1), &e), 0);
        vt_harness_run_for(h, 1000);
        trip_and_clear(h, SESSION_SCANNING, "fault");

        start_running(h, "swedish", 300);
        vt_harness_run_for(h, 5000);
        trip_and_clear(h, SESSION_RUNNING, "fault");

        start_running(h, "swedish", 300);
        vt_harness_run_for(h, 5000);
        assert_int_equal(session_pause(S(h), &e), 0);
        trip_and_clear(h, SESSION_PAUSED, "fault");

        start_running(h, "swedish", 300);
        vt_harness_run_for(h, 5000);
        assert_int_equal(session_stop(S(h), &e), 0);
        trip_and_clear(h, SESSION_SETTLING, NULL);

        expect_states(h, "fault idle scanning fault idle running fault idle running paused fault idle running settling fault idle");
        /* And a session runs again after the clear. */
        start_running(h, "swedish", 60);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 3 * MIN_MS), 0);
        expect_finished(h, vt_harness_record(h)->n_finished - 1, "swedish", "completed");
}

/* The chair's own fault (the emergency stop) takes the same path. */
static void test_emergency_stop_during_a_program(void **state) {
        struct vt_harness *h = *state;
        const struct vt_fault_event *f;

        start_running(h, "swedish", 300);
        vt_harness_run_for(h, 20 * 1000);
        assert_int_equal(chair_core_sim_inject_fault(vt_harness_core(h), "estop", true), 0);
        vt_harness_run_for(h, 1000);
        assert_int_equal(state_of(h), SESSION_FAULT);
        f = vt_harness_first_fault(h);
        assert_non_null(f);
        assert_string_equal(f->code, "emergency-stop");
        expect_finished(h, 0, "swedish", "fault");
        expect_actuators_safe(h);
}

/* ---- the panel's keys reach the same rules ---- */

static void press(struct vt_harness *h, enum chair_key k) {
        assert_int_equal(vt_harness_key_down(h, k), 0);
        vt_harness_run_for(h, 100);
        assert_int_equal(vt_harness_key_up(h), 0);
        vt_harness_run_for(h, 100);
}

/* running -> paused -> running by start_pause; running -> settling by the power key. */
static void test_panel_pauses_resumes_and_stops(void **state) {
        struct vt_harness *h = *state;

        start_running(h, "swedish", 300);
        vt_harness_run_for(h, 5000);
        press(h, CHAIR_KEY_START_PAUSE);
        assert_int_equal(state_of(h), SESSION_PAUSED);
        press(h, CHAIR_KEY_START_PAUSE);
        assert_int_equal(state_of(h), SESSION_RUNNING);
        press(h, CHAIR_KEY_POWER);
        assert_int_not_equal(state_of(h), SESSION_RUNNING);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, MIN_MS), 0);
        expect_states(h, "running paused running settling idle");
        expect_finished(h, 0, "swedish", "stopped");
}

/* ---- live setters ---- */

static void test_live_setters(void **state) {
        struct vt_harness *h = *state;
        struct chair_error e = CHAIR_ERROR_NULL;
        const struct session_settings *st = session_settings(S(h));

        start_running(h, "swedish", 300);
        vt_harness_run_for(h, 10 * 1000);
        assert_int_equal(session_set_intensity(S(h), 5, &e), 0);
        assert_int_equal(session_set_speed(S(h), 1, &e), 0);
        assert_int_equal(session_set_width(S(h), 2, &e), 0);
        assert_int_equal(session_set_depth(S(h), 4, &e), 0);
        assert_int_equal(session_set_heat(S(h), CHAIR_HEAT_CALVES, 1, &e), 0);
        assert_int_equal(session_set_air(S(h), 0x1, 2, &e), 0);
        assert_int_equal(st->intensity, 5);
        assert_int_equal(st->speed, 1);
        assert_int_equal(st->width, 2);
        assert_int_equal(st->depth, 4);
        assert_int_equal(st->heat[CHAIR_HEAT_CALVES], 1);
        assert_int_equal(st->air_zones, 0x1);
        assert_int_equal(st->air_intensity, 2);
        /* The live width reaches the roller at the next step boundary. */
        vt_harness_run_for(h, MIN_MS);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_WIDTH), 2);
        /* Paused, the setters still take (the heat channel too, applied once resumed). */
        assert_int_equal(session_pause(S(h), &e), 0);
        assert_int_equal(session_set_intensity(S(h), 3, &e), 0);
        assert_int_equal(session_set_heat(S(h), CHAIR_HEAT_LUMBAR, 2, &e), 0);
        assert_int_equal(st->intensity, 3);
        assert_int_equal(session_resume(S(h), &e), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 10 * MIN_MS), 0);
        expect_finished(h, 0, "swedish", "completed");
        expect_no_fault(h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_program_runs_to_its_end, setup, teardown),
                cmocka_unit_test_setup_teardown(test_start_scans_first_when_no_shoulder_is_stored, setup, teardown),
                cmocka_unit_test_setup_teardown(test_scan_alone_settles, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stop_during_scan, setup, teardown),
                cmocka_unit_test_setup_teardown(test_manual_session, setup, teardown),
                cmocka_unit_test_setup_teardown(test_recall_memory_starts_the_saved_program, setup, teardown),
                cmocka_unit_test_setup_teardown(test_pause_and_resume, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stop_while_paused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_settle_parks_releases_and_cools, setup, teardown),
                cmocka_unit_test_setup_teardown(test_timer_caps_a_program, setup, teardown),
                cmocka_unit_test_setup_teardown(test_timer_lowered_during_a_program, setup, teardown),
                cmocka_unit_test_setup_teardown(test_timer_ends_a_manual_session, setup, teardown),
                cmocka_unit_test_setup_teardown(test_default_timer_follows_the_setting, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refusals_name_the_state, setup, teardown),
                cmocka_unit_test_setup_teardown(test_conditions_refuse_and_cap, setup, teardown),
                cmocka_unit_test_setup_teardown(test_conditions_declared_during_a_session_end_it, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fault_from_every_state, setup, teardown),
                cmocka_unit_test_setup_teardown(test_emergency_stop_during_a_program, setup, teardown),
                cmocka_unit_test_setup_teardown(test_panel_pauses_resumes_and_stops, setup, teardown),
                cmocka_unit_test_setup_teardown(test_live_setters, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
