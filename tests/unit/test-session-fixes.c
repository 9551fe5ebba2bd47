/* SPDX-License-Identifier: MIT */
/*
 * The session bugs of issue 17 that were fixed without a test of their own, each on the whole
 * chair in virtual time (tests/vt/vt-harness.h) and each failing on the old behaviour: the
 * intensity a session starts at, point mode's live settings, manual air levels, the shoulder
 * fine-tune, manual memory slots, heat and air set while idle, heat while paused, a program's
 * heat on the change channel, the timer rules, and the air LED following the bags at once.
 * Where a figure depends on the chair's physics, a second harness that never had the bug's
 * precondition (a fresh chair) gives the value to compare with.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "chair-hw.h"
#include "changes.h"
#include "scheduler.h"
#include "settings.h"
#include "vt-harness.h"

#define MIN_MS (60 * 1000ULL)
#define OPTS(...) (&(struct session_options) { __VA_ARGS__ })
/* Manual and point mode take live changes at their next safe point, every 2 s. */
#define SAFE_POINT_MS 2000

struct fixture {
        struct vt_harness *h, *fresh;  /* fresh: made by a test that needs a chair to compare with */
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof *f);

        if (!f || vt_harness_new(NULL, &f->h) < 0) {
                free(f);
                return -1;
        }
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;

        vt_harness_free(f->h);
        vt_harness_free(f->fresh);
        free(f);
        return 0;
}

static struct vt_harness *fresh(struct fixture *f) {
        if (!f->fresh)
                assert_int_equal(vt_harness_new(NULL, &f->fresh), 0);
        return f->fresh;
}

static struct session *S(struct vt_harness *h) {
        return vt_harness_core(h)->session;
}

static enum session_state state_of(struct vt_harness *h) {
        return session_get_state(S(h));
}

static void expect_no_fault(struct vt_harness *h) {
        const struct vt_fault_event *ft = vt_harness_first_fault(h);

        if (ft)
                print_error("fault %s at %llu ms: %s\n", ft->code, (unsigned long long) ft->at_ms, ft->message);
        assert_null(ft);
}

static void stop_to_idle(struct vt_harness *h) {
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(session_stop(S(h), &e), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 2 * MIN_MS), 0);
}

/* The first value other than 0 an output took at or after from_ms (0: none). */
static int32_t first_nonzero(struct vt_harness *h, enum chair_output out, uint64_t from_ms) {
        const struct vt_record *rec = vt_harness_record(h);

        for (size_t i = 0; i < rec->n_outputs; i++)
                if (rec->outputs[i].out == out && rec->outputs[i].at_ms >= from_ms && rec->outputs[i].value)
                        return rec->outputs[i].value;
        return 0;
}

/* The largest magnitude an output took in [from_ms, to_ms], its value at from_ms included. */
static int32_t max_abs(struct vt_harness *h, enum chair_output out, uint64_t from_ms, uint64_t to_ms) {
        const struct vt_record *rec = vt_harness_record(h);
        int32_t m = abs(vt_harness_output_at(h, out, from_ms));

        for (size_t i = 0; i < rec->n_outputs; i++)
                if (rec->outputs[i].out == out && rec->outputs[i].at_ms >= from_ms && rec->outputs[i].at_ms <= to_ms)
                        m = MAX(m, abs(rec->outputs[i].value));
        return m;
}

static int32_t roller_mm(struct vt_harness *h) {
        int32_t enc = 0;

        assert_int_equal(chair_hw_read_input(vt_harness_core(h)->hw, CHAIR_IN_ENCODER, &enc), 0);
        return enc / vt_harness_core(h)->map.pulses_per_mm;
}

/* The lowest the roller went in the next ms, sampled every 50 ms. */
static int32_t lowest_mm(struct vt_harness *h, uint64_t ms) {
        int32_t low = roller_mm(h);

        for (uint64_t t = 0; t < ms; t += 50) {
                vt_harness_run_for(h, 50);
                low = MIN(low, roller_mm(h));
        }
        return low;
}

/* The highest the roller went in the next ms, sampled every 50 ms. */
static int32_t highest_mm(struct vt_harness *h, uint64_t ms) {
        int32_t top = roller_mm(h);

        for (uint64_t t = 0; t < ms; t += 50) {
                vt_harness_run_for(h, 50);
                top = MAX(top, roller_mm(h));
        }
        return top;
}

static int32_t pressure(struct vt_harness *h) {
        int32_t p = 0;

        assert_int_equal(chair_hw_read_input(vt_harness_core(h)->hw, CHAIR_IN_AIR_PRESSURE, &p), 0);
        return p;
}

/* ---- 1. a session's intensity is its own ---- */

/* The first knead duty of a program started at intensity 1 right after one at 5. */
static int32_t program_first_knead(struct vt_harness *h, uint32_t intensity) {
        struct chair_error e = CHAIR_ERROR_NULL;
        uint64_t t0 = vt_harness_now_ms(h);

        /* Deep tissue kneads from its first step. */
        assert_int_equal(session_start(S(h), "deep-tissue", OPTS(.intensity = intensity, .duration_s = 600, .scan = 0), &e), 0);
        assert_int_equal(state_of(h), SESSION_RUNNING);
        vt_harness_run_for(h, 5 * 1000);
        return first_nonzero(h, CHAIR_OUT_KNEAD_MOTOR, t0);
}

static void test_first_step_uses_this_sessions_intensity(void **state) {
        struct fixture *f = *state;
        int32_t at5, after5, at1;

        at5 = program_first_knead(f->h, 5);
        /* A live change: the scheduler holds a modifier other than 100 % at the stop. */
        assert_int_equal(session_set_intensity(S(f->h), 3, NULL), 0);
        vt_harness_run_for(f->h, 5000);
        stop_to_idle(f->h);
        after5 = program_first_knead(f->h, 1);
        at1 = program_first_knead(fresh(f), 1);
        assert_int_not_equal(at1, 0);
        assert_true(abs(at1) < abs(at5));
        if (after5 != at1)
                print_error("first knead at intensity 1: %d after a session at 5, %d on a fresh chair (5: %d)\n",
                            after5, at1, at5);
        assert_int_equal(after5, at1);
        expect_no_fault(f->h);
}

static int32_t point_knead(struct vt_harness *h, uint32_t intensity) {
        struct chair_error e = CHAIR_ERROR_NULL;
        uint64_t t0 = vt_harness_now_ms(h);

        assert_int_equal(session_start_manual(S(h), "knead", MANUAL_POINT, OPTS(.intensity = intensity, .duration_s = 300), &e), 0);
        vt_harness_run_for(h, 10 * 1000);
        /* The first duty and the one after several safe points: the whole session. */
        assert_int_equal(first_nonzero(h, CHAIR_OUT_KNEAD_MOTOR, t0), max_abs(h, CHAIR_OUT_KNEAD_MOTOR, t0, t0 + 10 * 1000));
        return vt_harness_output(h, CHAIR_OUT_KNEAD_MOTOR);
}

static void test_manual_point_session_uses_this_sessions_intensity(void **state) {
        struct fixture *f = *state;
        int32_t at5, after5, at1;

        at5 = point_knead(f->h, 5);
        stop_to_idle(f->h);
        after5 = point_knead(f->h, 1);
        at1 = point_knead(fresh(f), 1);
        assert_int_not_equal(at1, 0);
        assert_true(abs(at1) < abs(at5));
        assert_int_equal(after5, at1);
        assert_int_equal(session_settings(S(f->h))->intensity, 1);
        expect_no_fault(f->h);
}

/* ---- 2. point mode: the settings reach the motors ---- */

static void test_point_mode_uses_depth_and_width_set_before_the_start(void **state) {
        struct fixture *f = *state;
        struct chair_error e = CHAIR_ERROR_NULL;
        struct vt_harness *d = fresh(f);

        assert_int_equal(session_set_depth(S(f->h), 5, &e), 0);
        assert_int_equal(session_set_width(S(f->h), 2, &e), 0);
        assert_int_equal(session_start_manual(S(f->h), "knead", MANUAL_POINT, OPTS(.duration_s = 300), &e), 0);
        assert_int_equal(session_start_manual(S(d), "knead", MANUAL_POINT, OPTS(.duration_s = 300), &e), 0);
        vt_harness_run_for(f->h, 500);
        vt_harness_run_for(d, 500);
        assert_int_equal(vt_harness_output(f->h, CHAIR_OUT_WIDTH), 2);
        assert_int_equal(vt_harness_output(d, CHAIR_OUT_WIDTH), 1);
        /* Depth 5 presses harder than the default 3, both scaled by the same intensity. */
        assert_true(vt_harness_output(f->h, CHAIR_OUT_DEPTH) > vt_harness_output(d, CHAIR_OUT_DEPTH));
        expect_no_fault(f->h);
}

static void test_point_mode_live_changes_reach_the_motors(void **state) {
        struct fixture *f = *state;
        struct vt_harness *h = f->h;
        struct chair_error e = CHAIR_ERROR_NULL;
        int32_t knead, slow, quick, at;

        assert_int_equal(session_start_manual(S(h), "knead", MANUAL_POINT, OPTS(.intensity = 2, .duration_s = 600), &e), 0);
        vt_harness_run_for(h, 5000);
        knead = abs(vt_harness_output(h, CHAIR_OUT_KNEAD_MOTOR));
        assert_int_not_equal(knead, 0);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_WIDTH), 1);

        assert_int_equal(session_set_width(S(h), 0, &e), 0);
        assert_int_equal(session_set_intensity(S(h), 5, &e), 0);
        vt_harness_run_for(h, SAFE_POINT_MS + 100);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_WIDTH), 0);
        assert_true(abs(vt_harness_output(h, CHAIR_OUT_KNEAD_MOTOR)) > knead);
        assert_int_equal(session_set_intensity(S(h), 1, &e), 0);
        vt_harness_run_for(h, SAFE_POINT_MS + 100);
        assert_true(abs(vt_harness_output(h, CHAIR_OUT_KNEAD_MOTOR)) < knead);

        /* The speed: the travel to a moved point runs faster at 5 than at 1. */
        assert_int_equal(session_set_speed(S(h), 1, &e), 0);
        vt_harness_run_for(h, SAFE_POINT_MS + 100);
        at = (int32_t) vt_harness_now_ms(h);
        assert_int_equal(session_move_point(S(h), -5, &e), 0);
        vt_harness_run_for(h, 8000);
        slow = max_abs(h, CHAIR_OUT_TRAVEL_MOTOR, (uint64_t) at, vt_harness_now_ms(h));
        assert_int_equal(session_set_speed(S(h), 5, &e), 0);
        vt_harness_run_for(h, SAFE_POINT_MS + 100);
        at = (int32_t) vt_harness_now_ms(h);
        assert_int_equal(session_move_point(S(h), 5, &e), 0);
        vt_harness_run_for(h, 8000);
        quick = max_abs(h, CHAIR_OUT_TRAVEL_MOTOR, (uint64_t) at, vt_harness_now_ms(h));
        if (!(slow > 0 && quick > slow))
                print_error("travel duty at speed 1: %d, at speed 5: %d\n", slow, quick);
        assert_true(slow > 0 && quick > slow);
        expect_no_fault(h);
}

/* ---- 3. manual air levels are the person's, not scaled by the intensity ---- */

/* The bag's pressure once a manual session's zone has inflated to level 3. */
static int32_t manual_air_pressure(struct vt_harness *h, uint32_t intensity) {
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(session_set_air(S(h), 1u << CHAIR_AIR_BACK, 3, &e), 0);
        assert_int_equal(session_start_manual(S(h), "knead", MANUAL_FULL, OPTS(.intensity = intensity, .duration_s = 300), &e), 0);
        vt_harness_run_for(h, 20 * 1000);
        assert_int_equal(vt_harness_output(h, chair_air_zone_valve(CHAIR_AIR_BACK)), 1);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_AIR_PUMP), 0); /* inflated: holding */
        return pressure(h);
}

static void test_manual_air_level_is_not_scaled_by_intensity(void **state) {
        struct fixture *f = *state;
        int32_t at1 = manual_air_pressure(f->h, 1), at5 = manual_air_pressure(fresh(f), 5);

        if (abs(at1 - at5) > at5 / 20)
                print_error("air level 3 holds %d at intensity 1, %d at 5\n", at1, at5);
        assert_true(at1 > 0);
        assert_true(abs(at1 - at5) <= at5 / 20);
        expect_no_fault(f->h);
        expect_no_fault(f->fresh);
}

/* ---- 4. the shoulder fine-tune during a session ---- */

static void test_shoulder_fine_tune_during_a_program_moves_the_roller(void **state) {
        struct fixture *f = *state;
        struct chair_error e = CHAIR_ERROR_NULL;
        struct vt_harness *d = fresh(f);
        int32_t tuned, plain;

        /* The same program on two chairs; one person moves the shoulder point 3 steps down
         * once the warm-up's first stroke reached the top. Swedish's strokes go to the top of
         * the track (clamped) but turn above the hips, relative to the shoulder: the turn
         * moves by the offset. */
        assert_int_equal(session_start(S(f->h), "swedish", OPTS(.duration_s = 600, .scan = 0), &e), 0);
        assert_int_equal(session_start(S(d), "swedish", OPTS(.duration_s = 600, .scan = 0), &e), 0);
        vt_harness_run_for(f->h, 40 * 1000);
        vt_harness_run_for(d, 40 * 1000);
        assert_true(roller_mm(f->h) > 300);
        assert_int_equal(session_adjust_shoulder(S(f->h), -3, &e), 0);
        tuned = lowest_mm(f->h, 2 * MIN_MS);
        plain = lowest_mm(d, 2 * MIN_MS);
        if (abs(plain - tuned - 30) > 5)
                print_error("lowest roller position: %d mm fine-tuned 30 mm down, %d mm as planned\n", tuned, plain);
        assert_in_range(plain - tuned, 25, 35);
        expect_no_fault(f->h);
}

/* Manual mode sweeps one range for its whole length: a fine-tune moves it at once. */
static void test_shoulder_fine_tune_during_a_manual_session_moves_the_roller(void **state) {
        struct fixture *f = *state;
        struct chair_error e = CHAIR_ERROR_NULL;
        struct vt_harness *d = fresh(f);
        int32_t tuned_low, plain_low, tuned_high, plain_high;

        assert_int_equal(session_start_manual(S(f->h), "knead", MANUAL_FULL, OPTS(.duration_s = 600), &e), 0);
        assert_int_equal(session_start_manual(S(d), "knead", MANUAL_FULL, OPTS(.duration_s = 600), &e), 0);
        vt_harness_run_for(f->h, 20 * 1000);
        vt_harness_run_for(d, 20 * 1000);
        assert_int_equal(session_adjust_shoulder(S(f->h), -3, &e), 0);
        /* Give the roller a pass to reach the new range, then compare its ends. */
        vt_harness_run_for(f->h, MIN_MS);
        vt_harness_run_for(d, MIN_MS);
        tuned_low = lowest_mm(f->h, 2 * MIN_MS);
        plain_low = lowest_mm(d, 2 * MIN_MS);
        tuned_high = highest_mm(f->h, 2 * MIN_MS);
        plain_high = highest_mm(d, 2 * MIN_MS);
        if (abs(plain_low - tuned_low - 30) > 5 || abs(plain_high - tuned_high - 30) > 5)
                print_error("manual sweep %d..%d mm fine-tuned 30 mm down, %d..%d mm as planned\n", tuned_low,
                            tuned_high, plain_low, plain_high);
        assert_in_range(plain_low - tuned_low, 25, 35);
        assert_in_range(plain_high - tuned_high, 25, 35);
        expect_no_fault(f->h);
}

/* ---- 5. a memory slot of manual mode ---- */

static void test_manual_memory_slot_is_recalled(void **state) {
        struct fixture *f = *state;
        struct vt_harness *h = f->h;
        struct chair_error e = CHAIR_ERROR_NULL;
        const struct session_settings *st = session_settings(S(h));

        assert_int_equal(session_start_manual(S(h), "tap", MANUAL_LOWER, OPTS(.intensity = 2, .duration_s = 600), &e), 0);
        assert_int_equal(session_set_speed(S(h), 4, &e), 0);
        assert_int_equal(session_set_width(S(h), 2, &e), 0);
        vt_harness_run_for(h, 5000);
        assert_int_equal(session_save_memory(S(h), 2, &e), 0);
        stop_to_idle(h);
        assert_int_equal(session_set_intensity(S(h), 4, &e), 0);
        assert_int_equal(session_set_speed(S(h), 1, &e), 0);
        assert_int_equal(session_set_width(S(h), 0, &e), 0);

        assert_int_equal(session_recall_memory(S(h), 2, &e), 0);
        assert_int_equal(state_of(h), SESSION_RUNNING);
        assert_string_equal(session_program(S(h)), "manual:tap");
        assert_int_equal(st->intensity, 2);
        assert_int_equal(st->speed, 4);
        assert_int_equal(st->width, 2);
        vt_harness_run_for(h, 5000);
        assert_int_not_equal(vt_harness_output(h, CHAIR_OUT_TAP_MOTOR), 0);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_WIDTH), 2);
        stop_to_idle(h);
        assert_string_equal(vt_harness_record(h)->finished[vt_harness_record(h)->n_finished - 1].program, "manual:tap");
        expect_no_fault(h);
}

/* ---- 6. a manual start uses heat and air set while idle ---- */

static void test_manual_start_uses_heat_and_air_set_while_idle(void **state) {
        struct fixture *f = *state;
        struct vt_harness *h = f->h;
        struct chair_error e = CHAIR_ERROR_NULL;
        uint64_t t0;

        assert_int_equal(session_set_heat(S(h), CHAIR_HEAT_CALVES, 2, &e), 0);
        assert_int_equal(session_set_air(S(h), 1u << CHAIR_AIR_SEAT, 2, &e), 0);
        vt_harness_run_for(h, 5000);
        /* Idle: set, not driven. */
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_HEAT_CALVES), 0);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_AIR_PUMP), 0);

        t0 = vt_harness_now_ms(h);
        assert_int_equal(session_start_manual(S(h), "knead", MANUAL_FULL, OPTS(.duration_s = 300), &e), 0);
        vt_harness_run_for(h, 1000);
        assert_int_equal(scheduler_heat_level(vt_harness_core(h)->scheduler, CHAIR_HEAT_CALVES), 2);
        assert_int_equal(vt_harness_output_at(h, CHAIR_OUT_HEAT_CALVES, t0 + 500), 1);
        assert_int_equal(scheduler_active_air_zones(vt_harness_core(h)->scheduler), 1u << CHAIR_AIR_SEAT);
        assert_int_equal(vt_harness_output_at(h, chair_air_zone_valve(CHAIR_AIR_SEAT), t0 + 500), 1);
        assert_int_equal(first_nonzero(h, CHAIR_OUT_AIR_PUMP, t0), 1);
        expect_no_fault(h);
}

/* ---- 7. heat while paused ---- */

static void test_heat_is_off_while_paused_and_back_after_resume(void **state) {
        struct fixture *f = *state;
        struct vt_harness *h = f->h;
        struct chair_error e = CHAIR_ERROR_NULL;
        struct scheduler *sch = vt_harness_core(h)->scheduler;
        uint64_t paused_at, resumed_at;

        assert_int_equal(session_set_heat(S(h), CHAIR_HEAT_LUMBAR, 3, &e), 0);
        assert_int_equal(session_start_manual(S(h), "knead", MANUAL_UPPER, OPTS(.duration_s = 600), &e), 0);
        vt_harness_run_for(h, 10 * 1000);
        assert_int_equal(scheduler_heat_level(sch, CHAIR_HEAT_LUMBAR), 3);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_HEAT_LUMBAR), 1);

        assert_int_equal(session_pause(S(h), &e), 0);
        paused_at = vt_harness_now_ms(h);
        vt_harness_run_for(h, MIN_MS);
        assert_int_equal(scheduler_heat_level(sch, CHAIR_HEAT_LUMBAR), 0);
        assert_int_equal(vt_harness_output_at(h, CHAIR_OUT_HEAT_LUMBAR, paused_at + 100), 0);
        assert_int_equal(max_abs(h, CHAIR_OUT_HEAT_LUMBAR, paused_at + 100, vt_harness_now_ms(h)), 0);
        /* The person's setting is kept for the resume. */
        assert_int_equal(session_settings(S(h))->heat[CHAIR_HEAT_LUMBAR], 3);

        assert_int_equal(session_resume(S(h), &e), 0);
        resumed_at = vt_harness_now_ms(h);
        vt_harness_run_for(h, 1000);
        assert_int_equal(scheduler_heat_level(sch, CHAIR_HEAT_LUMBAR), 3);
        /* The element cooled while paused: back on at once. */
        assert_int_equal(vt_harness_output_at(h, CHAIR_OUT_HEAT_LUMBAR, resumed_at + 100), 1);
        expect_no_fault(h);
}

/* ---- 8. a program's heat on the change channel ---- */

struct marks {
        struct vt_harness *h;
        uint64_t heat_at_ms[64];
        size_t n_heat;
        uint64_t active_air_at_ms[256];
        size_t n_active_air;
};

static void on_marks(uint32_t changed, void *userdata) {
        struct marks *m = userdata;

        if ((changed & CHAIR_CHANGE_HEAT) && m->n_heat < ARRAY_SIZE(m->heat_at_ms))
                m->heat_at_ms[m->n_heat++] = vt_harness_now_ms(m->h);
        if ((changed & CHAIR_CHANGE_ACTIVE_AIR) && m->n_active_air < ARRAY_SIZE(m->active_air_at_ms))
                m->active_air_at_ms[m->n_active_air++] = vt_harness_now_ms(m->h);
}

/* Whether a mark fell in [from_ms, to_ms]. */
static bool marked(const uint64_t *at, size_t n, uint64_t from_ms, uint64_t to_ms) {
        for (size_t i = 0; i < n; i++)
                if (at[i] >= from_ms && at[i] <= to_ms)
                        return true;
        return false;
}

static void test_program_heat_changes_are_marked(void **state) {
        struct fixture *f = *state;
        struct vt_harness *h = f->h;
        struct chair_error e = CHAIR_ERROR_NULL;
        struct scheduler *sch = vt_harness_core(h)->scheduler;
        struct marks m = { .h = h };
        int32_t level = 0;
        unsigned changes = 0;

        assert_int_equal(chair_changes_subscribe(vt_harness_core(h)->changes, on_marks, &m), 0);
        /* Swedish heats the lumbar zone in its warm-up and turns it off for the cool-down;
         * nobody calls SetHeat. */
        assert_int_equal(session_start(S(h), "swedish", OPTS(.duration_s = 600, .scan = 0, .heat = true), &e), 0);
        m.n_heat = 0;
        for (uint64_t t = 0; t < 11 * MIN_MS && state_of(h) != SESSION_IDLE; t += 100) {
                int32_t now;

                vt_harness_run_for(h, 100);
                now = scheduler_heat_level(sch, CHAIR_HEAT_LUMBAR);
                if (now != level && state_of(h) == SESSION_RUNNING) {
                        uint64_t at = vt_harness_now_ms(h);
                        /* Within the session's 1 s tick of the change. */
                        vt_harness_run_for(h, 1100);
                        if (!marked(m.heat_at_ms, m.n_heat, at - 100, at + 1100))
                                print_error("lumbar heat %d -> %d at %llu ms: no heat change marked\n", level, now,
                                            (unsigned long long) at);
                        assert_true(marked(m.heat_at_ms, m.n_heat, at - 100, at + 1100));
                        changes++;
                        t += 1100;
                }
                level = now;
        }
        /* On, then off before the end. */
        assert_true(changes >= 2);
        expect_no_fault(h);
}

/* ---- 9. the timer ---- */

static void test_shorter_timer_ends_a_session_longer_never_lengthens(void **state) {
        struct fixture *f = *state;
        struct vt_harness *h = f->h;
        struct chair_error e = CHAIR_ERROR_NULL;
        const struct vt_state_change *run, *settle;

        assert_int_equal(session_set_timer(S(h), 30, &e), 0);
        assert_int_equal(session_start(S(h), "swedish", OPTS(.duration_s = 20 * 60, .scan = 0), &e), 0);
        assert_int_equal(session_duration_s(S(h)), 20 * 60);
        vt_harness_run_for(h, MIN_MS);
        /* Longer than the program: nothing changes. */
        assert_int_equal(session_set_timer(S(h), 30, &e), 0);
        assert_int_equal(session_duration_s(S(h)), 20 * 60);
        /* Shorter: ends it at 10 minutes. */
        assert_int_equal(session_set_timer(S(h), 10, &e), 0);
        assert_int_equal(session_duration_s(S(h)), 10 * 60);
        /* Longer again: the session stays at the shorter length. */
        assert_int_equal(session_set_timer(S(h), 20, &e), 0);
        assert_int_equal(session_duration_s(S(h)), 10 * 60);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 15 * MIN_MS), 0);
        run = vt_harness_find_state(h, SESSION_RUNNING, 0);
        settle = vt_harness_find_state(h, SESSION_SETTLING, 0);
        assert_non_null(run);
        assert_non_null(settle);
        assert_in_range(settle->at_ms - run->at_ms, 599 * 1000, 602 * 1000);
        expect_no_fault(h);
}

static void test_timer_caps_an_explicit_manual_length(void **state) {
        struct fixture *f = *state;
        struct vt_harness *h = f->h;
        struct chair_error e = CHAIR_ERROR_NULL;
        const struct vt_state_change *run, *settle;

        assert_int_equal(session_set_timer(S(h), 10, &e), 0);
        assert_int_equal(session_start_manual(S(h), "knead", MANUAL_FULL, OPTS(.duration_s = 25 * 60), &e), 0);
        assert_int_equal(session_duration_s(S(h)), 10 * 60);
        assert_int_equal(session_remaining_s(S(h)), 10 * 60);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 15 * MIN_MS), 0);
        run = vt_harness_find_state(h, SESSION_RUNNING, 0);
        settle = vt_harness_find_state(h, SESSION_SETTLING, 0);
        assert_non_null(run);
        assert_non_null(settle);
        assert_in_range(settle->at_ms - run->at_ms, 599 * 1000, 602 * 1000);
        expect_no_fault(h);
}

static void test_duration_during_the_first_scan_is_what_was_planned(void **state) {
        struct fixture *f = *state;
        struct vt_harness *h = f->h;
        struct chair_error e = CHAIR_ERROR_NULL;
        uint32_t promised;

        assert_int_equal(session_set_timer(S(h), 20, &e), 0);
        /* 30 minutes asked, 20 by the timer: the reply and Duration say 20 throughout. */
        assert_int_equal(session_start(S(h), "swedish", OPTS(.duration_s = 30 * 60, .scan = 1), &e), 0);
        assert_int_equal(state_of(h), SESSION_SCANNING);
        promised = session_duration_s(S(h));
        assert_int_equal(promised, 20 * 60);
        vt_harness_run_for(h, 5000);
        assert_int_equal(state_of(h), SESSION_SCANNING);
        assert_int_equal(session_duration_s(S(h)), promised);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_RUNNING, 2 * MIN_MS), 0);
        assert_int_equal(session_duration_s(S(h)), promised);
        expect_no_fault(h);
}

/* ---- the air LED follows the bags at once ---- */

static void test_air_led_follows_the_valves_promptly(void **state) {
        struct fixture *f = *state;
        struct vt_harness *h = f->h;
        struct chair_error e = CHAIR_ERROR_NULL;
        const struct vt_record *rec;
        uint64_t settle_at;
        unsigned checked = 0;

        /* Swedish's air waves switch zones in and out at times that are not on the session's
         * 1 s tick (its closed-loop strokes end where they end): the old lag shows there. */
        assert_int_equal(session_start(S(h), "swedish", OPTS(.duration_s = 600, .scan = 0), &e), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_SETTLING, 11 * MIN_MS), 0);
        settle_at = vt_harness_find_state(h, SESSION_SETTLING, 0)->at_ms;
        rec = vt_harness_record(h);
        for (size_t i = 0; i < rec->n_outputs; i++) {
                const struct vt_output_change *c = &rec->outputs[i];
                uint64_t at = c->at_ms;
                bool any = false;

                /* Settling vents everything and marks its state: not the air waves. */
                if (c->out != CHAIR_OUT_AIR_RELEASE || at < 200 || at >= settle_at)
                        continue;
                /* The release valve closes while a bag inflates or holds: the LED is its opposite
                 * within 100 ms. */
                for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++)
                        any |= vt_harness_output_at(h, chair_air_zone_valve(z), at) != 0;
                assert_int_equal(any, !c->value);
                if (vt_harness_output_at(h, CHAIR_OUT_LED_AIR, at + 100) != any)
                        print_error("air bags %s at %llu ms, the LED %d 100 ms later\n", any ? "in use" : "vented",
                                    (unsigned long long) at, vt_harness_output_at(h, CHAIR_OUT_LED_AIR, at + 100));
                assert_int_equal(vt_harness_output_at(h, CHAIR_OUT_LED_AIR, at + 100), any);
                checked++;
        }
        if (checked < 6)
                print_error("only %u air changes checked\n", checked);
        assert_true(checked >= 6);
        expect_no_fault(h);
}

/* The air LED's promptness costs the idle chair nothing: no air, no marks. */
static void test_idle_chair_marks_no_air_changes(void **state) {
        struct fixture *f = *state;
        struct vt_harness *h = f->h;
        struct marks m = { .h = h };

        assert_int_equal(chair_changes_subscribe(vt_harness_core(h)->changes, on_marks, &m), 0);
        assert_true(vt_harness_run_for(h, 10 * MIN_MS) >= 0);
        assert_int_equal(m.n_active_air, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_first_step_uses_this_sessions_intensity, setup, teardown),
                cmocka_unit_test_setup_teardown(test_manual_point_session_uses_this_sessions_intensity, setup, teardown),
                cmocka_unit_test_setup_teardown(test_point_mode_uses_depth_and_width_set_before_the_start, setup, teardown),
                cmocka_unit_test_setup_teardown(test_point_mode_live_changes_reach_the_motors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_manual_air_level_is_not_scaled_by_intensity, setup, teardown),
                cmocka_unit_test_setup_teardown(test_shoulder_fine_tune_during_a_program_moves_the_roller, setup, teardown),
                cmocka_unit_test_setup_teardown(test_shoulder_fine_tune_during_a_manual_session_moves_the_roller, setup, teardown),
                cmocka_unit_test_setup_teardown(test_manual_memory_slot_is_recalled, setup, teardown),
                cmocka_unit_test_setup_teardown(test_manual_start_uses_heat_and_air_set_while_idle, setup, teardown),
                cmocka_unit_test_setup_teardown(test_heat_is_off_while_paused_and_back_after_resume, setup, teardown),
                cmocka_unit_test_setup_teardown(test_program_heat_changes_are_marked, setup, teardown),
                cmocka_unit_test_setup_teardown(test_shorter_timer_ends_a_session_longer_never_lengthens, setup, teardown),
                cmocka_unit_test_setup_teardown(test_timer_caps_an_explicit_manual_length, setup, teardown),
                cmocka_unit_test_setup_teardown(test_duration_during_the_first_scan_is_what_was_planned, setup, teardown),
                cmocka_unit_test_setup_teardown(test_air_led_follows_the_valves_promptly, setup, teardown),
                cmocka_unit_test_setup_teardown(test_idle_chair_marks_no_air_changes, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
