/* SPDX-License-Identifier: MIT */
/*
 * The panel's posture keys (daemon/panel.c, docs/panel.md "Posture keys") and the posture
 * safety of issue #19 that the panel path leans on, on the whole chair in virtual time with
 * every axis (hardware_map_simulated_posture()): a held axis key moves the axis and releasing
 * it stops the axis at once; a held key whose renewals stop coming stops by the lease; the
 * child lock ignores the posture keys; the zero-gravity key cycles the presets, stops one under
 * way and refuses with no one seated; the foot-roller key cycles and refuses without the feet;
 * the power key stops a moving axis; both end switches of an axis latch limits-both with every
 * axis stopped; a pinch's clear is refused while the bumper is pressed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "chair-hw.h"
#include "panel.h"
#include "posture.h"
#include "settings.h"
#include "supervisor.h"
#include "vt-harness.h"

static struct vt_harness *harness(void) {
        struct vt_harness *h = NULL;
        struct hardware_map m;

        hardware_map_simulated_posture(&m);
        assert_int_equal(vt_harness_new(&(struct vt_harness_options) { .map = &m }, &h), 0);
        assert_true(vt_harness_run_for(h, 10) >= 0);
        return h;
}

static struct chair_core *core(struct vt_harness *h) {
        return vt_harness_core(h);
}

static struct posture *P(struct vt_harness *h) {
        return core(h)->posture;
}

static const struct hw_panel *cfg(struct vt_harness *h) {
        return &core(h)->map.panel;
}

static void run(struct vt_harness *h, uint64_t ms) {
        assert_true(vt_harness_run_for(h, ms) >= 0);
}

static int32_t pos(struct vt_harness *h, enum chair_axis a) {
        int32_t v = -1;
        assert_int_equal(posture_position(P(h), a, &v), 0);
        return v;
}

static int32_t motor(struct vt_harness *h, enum chair_axis a) {
        return vt_harness_output(h, chair_axis_info(a)->motor);
}

static bool all_still(struct vt_harness *h) {
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                if (motor(h, a) != 0)
                        return false;
        return true;
}

static uint64_t beeps(struct vt_harness *h, enum panel_beep b) {
        struct panel_stats st;
        panel_get_stats(core(h)->panel, &st);
        return st.beeps[b];
}

static void tap(struct vt_harness *h, enum chair_key k) {
        assert_int_equal(vt_harness_key_down(h, k), 0);
        run(h, 100);
        assert_int_equal(vt_harness_key_up(h), 0);
        run(h, 700);
}

/* The first time (ms since the harness began) at or after from_ms the output took value, or
 * UINT64_MAX. */
static uint64_t output_became(struct vt_harness *h, enum chair_output out, int32_t value, uint64_t from_ms) {
        const struct vt_record *rec = vt_harness_record(h);
        for (size_t i = 0; i < rec->n_outputs; i++)
                if (rec->outputs[i].out == out && rec->outputs[i].value == value && rec->outputs[i].at_ms >= from_ms)
                        return rec->outputs[i].at_ms;
        return UINT64_MAX;
}

static void run_until_still(struct vt_harness *h, uint64_t max_ms) {
        for (uint64_t t = 0; t < max_ms && posture_moving(P(h)); t += 100)
                run(h, 100);
        assert_false(posture_moving(P(h)));
}

/* Each axis key moves its axis its way while held, and the release stops it on that callback. */
static void test_hold_and_release(void **state) {
        static const struct { enum chair_key key; enum chair_axis axis; int dir; uint64_t ms; } keys[] = {
                { CHAIR_KEY_RECLINE_BACK, CHAIR_AXIS_RECLINE, 1, 4000 },   { CHAIR_KEY_RECLINE_UP, CHAIR_AXIS_RECLINE, -1, 2000 },
                { CHAIR_KEY_LEGREST_UP, CHAIR_AXIS_LEGREST_LIFT, 1, 4000 }, { CHAIR_KEY_LEGREST_DOWN, CHAIR_AXIS_LEGREST_LIFT, -1, 2000 },
        };
        struct vt_harness *h = harness();
        uint64_t long_before = beeps(h, PANEL_BEEP_LONG);

        /* Upright, the up key has no room: refused (long beep), and nothing moves the other way. */
        assert_int_equal(pos(h, CHAIR_AXIS_RECLINE), 0);
        tap(h, CHAIR_KEY_RECLINE_UP);
        tap(h, CHAIR_KEY_LEGREST_DOWN);
        assert_int_equal(beeps(h, PANEL_BEEP_LONG) - long_before, 2);
        assert_int_equal(pos(h, CHAIR_AXIS_RECLINE), 0);
        assert_int_equal(pos(h, CHAIR_AXIS_LEGREST_LIFT), 0);
        assert_true(all_still(h));

        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                enum chair_axis a = keys[i].axis;
                uint64_t short_before = beeps(h, PANEL_BEEP_SHORT), released;
                int32_t start = pos(h, a), held;

                print_message("key %s\n", chair_key_name(keys[i].key));
                assert_int_equal(vt_harness_key_down(h, keys[i].key), 0);
                assert_int_equal(motor(h, a), keys[i].dir * 60);
                assert_int_equal(posture_axis_motion(P(h), a), POSTURE_MANUAL);
                /* Held: a renewal every repeat interval, one beep at the press. */
                run(h, keys[i].ms);
                assert_int_equal(motor(h, a), keys[i].dir * 60);
                held = pos(h, a);
                assert_true((held - start) * keys[i].dir > 50);
                released = vt_harness_now_ms(h);
                assert_int_equal(vt_harness_key_up(h), 0);
                assert_int_equal(motor(h, a), 0);
                assert_int_equal(posture_axis_motion(P(h), a), POSTURE_STILL);
                assert_int_equal(output_became(h, chair_axis_info(a)->motor, 0, released), released);
                run(h, 1000);
                assert_int_equal(beeps(h, PANEL_BEEP_SHORT) - short_before, 1);
                assert_in_range(pos(h, a), MIN(held, held + keys[i].dir * 5), MAX(held, held + keys[i].dir * 5));
        }
        assert_null(vt_harness_first_fault(h));
        vt_harness_free(h);
}

/* Held to the end of its travel: the axis stops at its soft limit, the double beep says so,
 * and holding on does not move it again. */
static void test_hold_to_the_limit(void **state) {
        struct vt_harness *h = harness();
        uint64_t double_before = beeps(h, PANEL_BEEP_DOUBLE);

        assert_int_equal(vt_harness_key_down(h, CHAIR_KEY_LEGREST_UP), 0);
        run(h, 25000); /* 300 mm at 15 mm/s */
        assert_int_equal(motor(h, CHAIR_AXIS_LEGREST_LIFT), 0);
        assert_in_range(pos(h, CHAIR_AXIS_LEGREST_LIFT), 960, 980);
        assert_int_equal(beeps(h, PANEL_BEEP_DOUBLE) - double_before, 1);
        assert_int_equal(vt_harness_key_up(h), 0);
        run(h, 500);
        assert_null(vt_harness_first_fault(h));
        vt_harness_free(h);
}

/* The renewals stop coming (a stalled panel path) with the key still held: the lease, a half
 * tick past the last renewal, stops the axis by itself. */
static void test_stalled_repeat_stops_by_the_lease(void **state) {
        struct vt_harness *h = harness();
        uint32_t tick = MIN(cfg(h)->repeat_interval_ms, 500), lease = tick * 3 / 2;
        uint64_t last_renewal, stopped;

        assert_int_equal(vt_harness_key_down(h, CHAIR_KEY_RECLINE_BACK), 0);
        /* Four ticks: the last renewal is the one at 4 ticks (run_for includes its end). */
        run(h, 4 * tick);
        last_renewal = vt_harness_now_ms(h);
        assert_int_equal(motor(h, CHAIR_AXIS_RECLINE), 60);
        panel_stall_repeats(core(h)->panel, true);
        run(h, 2000);
        assert_int_equal(motor(h, CHAIR_AXIS_RECLINE), 0);
        assert_false(posture_moving(P(h)));
        stopped = output_became(h, CHAIR_OUT_RECLINE_MOTOR, 0, last_renewal);
        print_message("stalled renewals: the recline stopped %llu ms after the last renewal (lease %u ms, tick %u ms)\n",
                      (unsigned long long) (stopped - last_renewal), lease, tick);
        assert_int_equal(stopped - last_renewal, lease);
        panel_stall_repeats(core(h)->panel, false);
        assert_int_equal(vt_harness_key_up(h), 0);
        run(h, 500);
        assert_true(all_still(h));
        vt_harness_free(h);
}

/* Under the child lock the posture keys are ignored (long beep, counted), power still stops. */
static void test_child_lock_ignores_posture_keys(void **state) {
        static const enum chair_key keys[] = {
                CHAIR_KEY_RECLINE_BACK, CHAIR_KEY_RECLINE_UP, CHAIR_KEY_LEGREST_UP, CHAIR_KEY_LEGREST_DOWN,
                CHAIR_KEY_ZERO_GRAVITY, CHAIR_KEY_FOOT_ROLLERS,
        };
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;
        struct panel_stats before, after;

        chair_settings_set_child_lock(core(h)->settings, true, "test");
        run(h, 10);
        panel_get_stats(core(h)->panel, &before);
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                assert_int_equal(vt_harness_key_down(h, keys[i]), 0);
                run(h, 2000);
                assert_true(all_still(h));
                assert_false(posture_moving(P(h)));
                assert_int_equal(vt_harness_key_up(h), 0);
                run(h, 700);
        }
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_FOOT_ROLLERS), 0);
        panel_get_stats(core(h)->panel, &after);
        assert_int_equal(after.ignored - before.ignored, ARRAY_SIZE(keys));
        assert_int_equal(after.beeps[PANEL_BEEP_LONG] - before.beeps[PANEL_BEEP_LONG], ARRAY_SIZE(keys));
        assert_int_equal(after.keys, before.keys);
        /* A preset started over D-Bus: the lock does not stop the power key. */
        assert_int_equal(posture_preset(P(h), POSTURE_PRESET_ZERO_GRAVITY_1, &e), 0);
        run(h, 500);
        assert_true(posture_moving(P(h)));
        tap(h, CHAIR_KEY_POWER);
        assert_false(posture_moving(P(h)));
        assert_true(all_still(h));
        vt_harness_free(h);
}

/* zero_gravity: 1, 2, 3, upright, 1 again; a press while a preset runs stops it there. */
static void test_zero_gravity_cycles(void **state) {
        static const enum posture_preset order[] = {
                POSTURE_PRESET_ZERO_GRAVITY_1, POSTURE_PRESET_ZERO_GRAVITY_2, POSTURE_PRESET_ZERO_GRAVITY_3,
                POSTURE_PRESET_UPRIGHT, POSTURE_PRESET_ZERO_GRAVITY_1,
        };
        struct vt_harness *h = harness();
        uint64_t short_before = beeps(h, PANEL_BEEP_SHORT);
        int32_t stopped_at;

        for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
                int32_t want = posture_preset_position(order[i], CHAIR_AXIS_RECLINE);
                tap(h, CHAIR_KEY_ZERO_GRAVITY);
                assert_true(posture_moving(P(h)));
                assert_int_equal(posture_axis_motion(P(h), CHAIR_AXIS_RECLINE), POSTURE_PRESET_MOVE);
                run_until_still(h, 40000);
                print_message("zero_gravity press %zu: %s, recline at %d per mille\n", i + 1,
                              posture_preset_to_string(order[i]), pos(h, CHAIR_AXIS_RECLINE));
                assert_in_range(pos(h, CHAIR_AXIS_RECLINE), MAX(want, 20) - 10, MAX(want, 20) + 10);
        }
        assert_int_equal(beeps(h, PANEL_BEEP_SHORT) - short_before, ARRAY_SIZE(order));
        /* The next (2) starts; a press 1 s into it stops every axis where it is. */
        tap(h, CHAIR_KEY_ZERO_GRAVITY);
        assert_true(posture_moving(P(h)));
        run(h, 200);
        assert_int_equal(vt_harness_key_down(h, CHAIR_KEY_ZERO_GRAVITY), 0);
        assert_true(all_still(h));
        assert_false(posture_moving(P(h)));
        assert_int_equal(vt_harness_key_up(h), 0);
        run(h, 1000);
        stopped_at = pos(h, CHAIR_AXIS_RECLINE);
        run(h, 5000);
        assert_int_equal(pos(h, CHAIR_AXIS_RECLINE), stopped_at);
        assert_true(stopped_at < posture_preset_position(POSTURE_PRESET_ZERO_GRAVITY_2, CHAIR_AXIS_RECLINE) - 50);
        assert_null(vt_harness_first_fault(h));
        vt_harness_free(h);
}

/* No one seated: the zero-gravity key is refused with the long beep and nothing moves. */
static void test_zero_gravity_needs_an_occupant(void **state) {
        struct vt_harness *h = harness();
        uint64_t long_before;

        assert_int_equal(vt_harness_set_occupant(h, false, 450, false), 0);
        run(h, 100);
        long_before = beeps(h, PANEL_BEEP_LONG);
        tap(h, CHAIR_KEY_ZERO_GRAVITY);
        assert_int_equal(beeps(h, PANEL_BEEP_LONG) - long_before, 1);
        assert_false(posture_moving(P(h)));
        assert_true(all_still(h));
        /* Seated again: it goes. */
        assert_int_equal(vt_harness_set_occupant(h, true, 450, true), 0);
        run(h, 100);
        tap(h, CHAIR_KEY_ZERO_GRAVITY);
        assert_true(posture_moving(P(h)));
        vt_harness_free(h);
}

/* foot_rollers: off, slow, fast, off; refused (long beep) with the feet off the foot rest. */
static void test_foot_rollers_cycle(void **state) {
        static const int32_t order[] = { 40, 80, 0, 40 };
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;
        uint64_t long_before;

        /* The leg rest fitted to the legs: the feet reach the foot rest. */
        assert_int_equal(posture_fit_legs(P(h), &e), 0);
        run_until_still(h, 20000);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_FOOT_ROLLERS), 0);
        for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
                tap(h, CHAIR_KEY_FOOT_ROLLERS);
                assert_int_equal(vt_harness_output(h, CHAIR_OUT_FOOT_ROLLERS), order[i]);
        }
        /* The power key stops them. */
        tap(h, CHAIR_KEY_POWER);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_FOOT_ROLLERS), 0);
        /* Feet off: refused, they stay off. */
        assert_int_equal(vt_harness_set_occupant(h, true, 450, false), 0);
        run(h, 100);
        long_before = beeps(h, PANEL_BEEP_LONG);
        tap(h, CHAIR_KEY_FOOT_ROLLERS);
        assert_int_equal(beeps(h, PANEL_BEEP_LONG) - long_before, 1);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_FOOT_ROLLERS), 0);
        assert_null(vt_harness_first_fault(h));
        vt_harness_free(h);
}

/* The power key stops a moving axis on its press: a preset's, and a held key's own. */
static void test_power_stops_posture(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;
        int32_t at;

        assert_int_equal(posture_preset(P(h), POSTURE_PRESET_FLAT, &e), 0);
        run(h, 2000);
        assert_true(posture_moving(P(h)));
        assert_int_equal(vt_harness_key_down(h, CHAIR_KEY_POWER), 0);
        assert_true(all_still(h));
        assert_false(posture_moving(P(h)));
        assert_int_equal(vt_harness_key_up(h), 0);
        run(h, 1000);
        at = pos(h, CHAIR_AXIS_RECLINE);
        run(h, 5000);
        assert_int_equal(pos(h, CHAIR_AXIS_RECLINE), at);
        /* Pressed over a held axis key. */
        assert_int_equal(vt_harness_key_down(h, CHAIR_KEY_LEGREST_UP), 0);
        run(h, 1000);
        assert_int_equal(motor(h, CHAIR_AXIS_LEGREST_LIFT), 60);
        assert_int_equal(vt_harness_key_down(h, CHAIR_KEY_POWER), 0);
        assert_true(all_still(h));
        run(h, 2000);
        assert_true(all_still(h));
        assert_int_equal(vt_harness_key_up(h), 0);
        run(h, 500);
        assert_null(vt_harness_first_fault(h));
        vt_harness_free(h);
}

/* Both end switches of an axis at once: a wiring fault. Every axis stops on that input's
 * callback and limits-both latches; the clear is refused while they still read so. */
static void test_both_end_switches_latch(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;
        const struct vt_fault_event *f;
        char reason[160];

        assert_int_equal(posture_preset(P(h), POSTURE_PRESET_ZERO_GRAVITY_2, &e), 0);
        run(h, 2000);
        assert_true(posture_moving(P(h)));
        assert_int_equal(chair_core_sim_inject_fault(core(h), "recline-both-ends", true), 0);
        run(h, 10);
        f = vt_harness_first_fault(h);
        assert_non_null(f);
        assert_string_equal(f->code, "limits-both");
        assert_non_null(strstr(f->message, "both recline end switches"));
        assert_true(all_still(h));
        assert_false(posture_moving(P(h)));
        assert_true(supervisor_latched(core(h)->supervisor));
        assert_int_equal(supervisor_clear(core(h)->supervisor, "technician", reason, sizeof reason), -EBUSY);
        print_message("clear refused: %s\n", reason);
        assert_non_null(strstr(reason, "recline end switches"));
        assert_int_equal(chair_core_sim_inject_fault(core(h), "recline-both-ends", false), 0);
        run(h, 10);
        assert_int_equal(supervisor_clear(core(h)->supervisor, "technician", reason, sizeof reason), 0);
        /* Nothing resumes by itself. */
        run(h, 2000);
        assert_true(all_still(h));
        vt_harness_free(h);
}

/* A pinch's clear is refused while the object still presses the bumper, allowed once it is
 * gone. The object is met again on the release move (it lies on the other side too). */
static void test_pinch_clear_waits_for_the_bumper(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;
        char reason[160];
        int32_t bumper = 0;

        /* The leg rest up 1.5 s, then the object: met 20 mm on. */
        assert_int_equal(vt_harness_key_down(h, CHAIR_KEY_LEGREST_UP), 0);
        run(h, 1500);
        assert_int_equal(chair_core_sim_inject_fault(core(h), "legrest-obstruction", true), 0);
        run(h, 5000);
        assert_int_equal(vt_harness_key_up(h), 0);
        run(h, 2000);
        assert_true(supervisor_latched(core(h)->supervisor));
        assert_string_equal(supervisor_fault_code(core(h)->supervisor), "legrest-pinch");
        assert_true(all_still(h));
        /* Released: the bumper is free, but another object now lies below (placed anew). */
        assert_int_equal(chair_core_sim_inject_fault(core(h), "legrest-obstruction", false), 0);
        assert_int_equal(chair_core_sim_inject_fault(core(h), "legrest-obstruction", true), 0);
        /* The panel's down key is the release move: slow, hold-to-run, until it meets it. */
        assert_int_equal(vt_harness_key_down(h, CHAIR_KEY_LEGREST_DOWN), 0);
        assert_int_equal(motor(h, CHAIR_AXIS_LEGREST_LIFT), -20);
        run(h, 8000);
        assert_int_equal(vt_harness_key_up(h), 0);
        run(h, 500);
        assert_true(all_still(h));
        assert_int_equal(chair_hw_read_input(core(h)->hw, CHAIR_IN_LEGREST_OBSTRUCTION, &bumper), 0);
        assert_int_equal(bumper, 1);
        assert_int_equal(supervisor_clear(core(h)->supervisor, "technician", reason, sizeof reason), -EBUSY);
        print_message("clear refused: %s\n", reason);
        assert_non_null(strstr(reason, "bumper is still pressed"));
        assert_true(supervisor_latched(core(h)->supervisor));
        /* The object taken away: cleared. */
        assert_int_equal(chair_core_sim_inject_fault(core(h), "legrest-obstruction", false), 0);
        run(h, 20);
        assert_int_equal(supervisor_clear(core(h)->supervisor, "technician", reason, sizeof reason), 0);
        assert_false(supervisor_latched(core(h)->supervisor));
        assert_int_equal(posture_pinched_axis(P(h)), -1);
        run(h, 2000);
        assert_true(all_still(h));
        (void) e;
        vt_harness_free(h);
}

/* A chair without axes (today's --simulate): every posture key is refused with the long beep. */
static void test_chair_without_axes(void **state) {
        static const enum chair_key keys[] = {
                CHAIR_KEY_RECLINE_BACK, CHAIR_KEY_RECLINE_UP, CHAIR_KEY_LEGREST_UP, CHAIR_KEY_LEGREST_DOWN,
                CHAIR_KEY_ZERO_GRAVITY, CHAIR_KEY_FOOT_ROLLERS,
        };
        struct vt_harness *h = NULL;
        struct hardware_map m;
        uint64_t long_before;

        hardware_map_simulated(&m);
        assert_int_equal(vt_harness_new(&(struct vt_harness_options) { .map = &m }, &h), 0);
        run(h, 10);
        long_before = beeps(h, PANEL_BEEP_LONG);
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
                tap(h, keys[i]);
        assert_int_equal(beeps(h, PANEL_BEEP_LONG) - long_before, ARRAY_SIZE(keys));
        assert_null(vt_harness_first_fault(h));
        vt_harness_free(h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hold_and_release),
                cmocka_unit_test(test_hold_to_the_limit),
                cmocka_unit_test(test_stalled_repeat_stops_by_the_lease),
                cmocka_unit_test(test_child_lock_ignores_posture_keys),
                cmocka_unit_test(test_zero_gravity_cycles),
                cmocka_unit_test(test_zero_gravity_needs_an_occupant),
                cmocka_unit_test(test_foot_rollers_cycle),
                cmocka_unit_test(test_power_stops_posture),
                cmocka_unit_test(test_both_end_switches_latch),
                cmocka_unit_test(test_pinch_clear_waits_for_the_bumper),
                cmocka_unit_test(test_chair_without_axes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
