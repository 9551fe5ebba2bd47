/* SPDX-License-Identifier: MIT */
/* The technician's output test (daemon/output-test.h) on the whole chair in virtual time: back
 * to safe after its time, refused unless idle, the e-stop wins, a Start or a panel key ends it,
 * the supervisor's limits and the person's declared conditions apply; the axes and the leg
 * rollers only with the seat empty, an axis stopped by posture's obstruction detection and at
 * its soft limits, without a pinch latched. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "chair-hw.h"
#include "core.h"
#include "hardware-map.h"
#include "output-test.h"
#include "supervisor.h"
#include "vt-harness.h"

static struct vt_harness *harness(void) {
        struct vt_harness *h = NULL;
        assert_int_equal(vt_harness_new(NULL, &h), 0);
        return h;
}

static struct output_test *ot(struct vt_harness *h) {
        return vt_harness_core(h)->output_test;
}

static void test_back_to_safe_after_its_time(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;
        uint64_t t0 = vt_harness_now_ms(h);

        assert_int_equal(output_test_start(ot(h), CHAIR_OUT_AIR_PUMP, 1, 1500, &e), 0);
        assert_true(output_test_active(ot(h)));
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_AIR_PUMP), 1);
        vt_harness_run_for(h, 1400);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_AIR_PUMP), 1);
        vt_harness_run_for(h, 200);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_AIR_PUMP), 0);
        assert_false(output_test_active(ot(h)));
        assert_int_equal(vt_harness_output_at(h, CHAIR_OUT_AIR_PUMP, t0 + 1499), 1);
        assert_int_equal(vt_harness_output_at(h, CHAIR_OUT_AIR_PUMP, t0 + 1501), 0);
        assert_int_equal(session_get_state(vt_harness_core(h)->session), SESSION_IDLE);
        assert_null(vt_harness_first_fault(h));
        vt_harness_free(h);
}

static void test_refusals(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(output_test_start(ot(h), CHAIR_OUT_AIR_PUMP, 2, 100, &e), -EINVAL);
        assert_true(chair_error_is(&e, CHAIR_REASON_INVALID_ARGS));
        chair_error_reset(&e);
        assert_int_equal(output_test_start(ot(h), CHAIR_OUT_AIR_PUMP, 1, OUTPUT_TEST_MAX_MS + 1, &e), -EINVAL);
        chair_error_reset(&e);
        assert_int_equal(output_test_start(ot(h), CHAIR_OUT_AIR_PUMP, 1, 0, &e), -EINVAL);
        chair_error_reset(&e);
        assert_int_equal(output_test_start(ot(h), CHAIR_OUT_LED_POWER, 1, 100, &e), -EINVAL);
        chair_error_reset(&e);
        /* The roller rests on its bottom end switch: never driven further down. */
        assert_int_not_equal(output_test_start(ot(h), CHAIR_OUT_TRAVEL_MOTOR, -30, 100, &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_NOT_PERMITTED));
        chair_error_reset(&e);
        /* One at a time. */
        assert_int_equal(output_test_start(ot(h), CHAIR_OUT_HEAT_LUMBAR, 1, 1000, &e), 0);
        assert_int_not_equal(output_test_start(ot(h), CHAIR_OUT_HEAT_CALVES, 1, 1000, &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_BUSY));
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_HEAT_CALVES), 0);
        vt_harness_free(h);
}

static void test_refused_when_not_idle(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;
        struct session *s = vt_harness_core(h)->session;

        assert_int_equal(session_start(s, "swedish", &(struct session_options) { .duration_s = 120, .scan = 0 }, &e), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_RUNNING, 5000), 0);
        assert_int_not_equal(output_test_start(ot(h), CHAIR_OUT_HEAT_LUMBAR, 1, 1000, &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_BUSY));
        vt_harness_free(h);
}

static void test_start_ends_it(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;
        struct session *s = vt_harness_core(h)->session;

        assert_int_equal(output_test_start(ot(h), CHAIR_OUT_HEAT_LUMBAR, 1, 5000, &e), 0);
        vt_harness_run_for(h, 100);
        /* No heat asked for: the element on is the test's alone, and the start ends it. */
        assert_int_equal(session_start(s, "swedish", &(struct session_options) { .duration_s = 120, .scan = 0 }, &e), 0);
        assert_false(output_test_active(ot(h)));
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_HEAT_LUMBAR), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_RUNNING, 5000), 0);
        vt_harness_free(h);
}

static void test_panel_key_ends_it(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(output_test_start(ot(h), CHAIR_OUT_VALVE_BACK, 1, 5000, &e), 0);
        vt_harness_run_for(h, 100);
        assert_int_equal(vt_harness_key_down(h, CHAIR_KEY_TIMER), 0);
        vt_harness_run_for(h, 50);
        assert_int_equal(vt_harness_key_up(h), 0);
        vt_harness_run_for(h, 50);
        assert_false(output_test_active(ot(h)));
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_VALVE_BACK), 0);
        vt_harness_free(h);
}

static void test_estop_wins(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;
        const struct vt_fault_event *f;

        assert_int_equal(output_test_start(ot(h), CHAIR_OUT_HEAT_LUMBAR, 1, 5000, &e), 0);
        vt_harness_run_for(h, 100);
        assert_int_equal(vt_harness_act(h, &(struct vt_action) { .kind = VT_ACT_INJECT, .name = "estop", .value = 1 }, &e), 0);
        vt_harness_run_for(h, 100);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_HEAT_LUMBAR), 0);
        assert_false(output_test_active(ot(h)));
        f = vt_harness_first_fault(h);
        assert_non_null(f);
        assert_string_equal(f->code, "emergency-stop");
        /* Latched: no test until a technician clears it. */
        chair_error_reset(&e);
        assert_int_not_equal(output_test_start(ot(h), CHAIR_OUT_HEAT_LUMBAR, 1, 1000, &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_FAULT_LATCHED));
        vt_harness_free(h);
}

/* The supervisor watches a test as any active output: a roller driven up runs into its top end
 * switch long before the test's time; the test ends there, the motor never stays on. */
static void test_end_switch_ends_it(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(output_test_start(ot(h), CHAIR_OUT_TRAVEL_MOTOR, 100, OUTPUT_TEST_MAX_MS, &e), 0);
        vt_harness_run_for(h, OUTPUT_TEST_MAX_MS + 100);
        assert_false(output_test_active(ot(h)));
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_TRAVEL_MOTOR), 0);
        print_message("travel test: %zu output changes, fault %s\n", vt_harness_record(h)->n_outputs,
                      vt_harness_first_fault(h) ? vt_harness_first_fault(h)->code : "none");
        vt_harness_free(h);
}

/* The person's declared conditions hold for a test too. */
static void test_precautions_apply(void **state) {
        static const char *const pregnancy[] = { "pregnancy", NULL };
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(vt_harness_act(h, &(struct vt_action) { .kind = VT_ACT_PRECAUTIONS, .list = pregnancy }, &e), 0);
        assert_int_not_equal(output_test_start(ot(h), CHAIR_OUT_HEAT_LUMBAR, 1, 1000, &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_PRECAUTION));
        chair_error_reset(&e);
        assert_int_not_equal(output_test_start(ot(h), CHAIR_OUT_VALVE_BACK, 1, 1000, &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_PRECAUTION));
        chair_error_reset(&e);
        assert_int_not_equal(output_test_start(ot(h), CHAIR_OUT_DEPTH, 5, 1000, &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_PRECAUTION));
        chair_error_reset(&e);
        assert_int_equal(output_test_start(ot(h), CHAIR_OUT_DEPTH, 2, 1000, &e), 0);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_HEAT_LUMBAR), 0);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_VALVE_BACK), 0);
        vt_harness_free(h);
}

/* A must-not-use condition refuses every actuator, as the gate refuses every other use; the
 * same test is allowed before it is declared and again once it is withdrawn. */
static void test_must_not_use_refuses_every_output(void **state) {
        static const char *const fever[] = { "fever", NULL };
        static const char *const none[] = { NULL };
        struct vt_harness *h = harness();
        struct chair_hw *hw = vt_harness_core(h)->hw;
        struct chair_error e = CHAIR_ERROR_NULL;
        unsigned tried = 0;

        assert_int_equal(output_test_start(ot(h), CHAIR_OUT_AIR_PUMP, 1, 100, &e), 0);
        vt_harness_run_for(h, 200);
        assert_false(output_test_active(ot(h)));
        assert_int_equal(vt_harness_act(h, &(struct vt_action) { .kind = VT_ACT_PRECAUTIONS, .list = fever }, &e), 0);
        for (unsigned out = 0; out < _CHAIR_OUT_MAX; out++) {
                const struct chair_output_info *info = chair_output_info(out);
                int32_t value = info->max != info->safe_value ? info->max : info->min;
                if (info->indicator || !chair_hw_has_output(hw, out) || value == info->safe_value)
                        continue;
                chair_error_reset(&e);
                assert_int_not_equal(output_test_start(ot(h), out, value, 100, &e), 0);
                /* An axis may be refused before the conditions are looked at (the seat, a switch). */
                if (!chair_error_is(&e, CHAIR_REASON_NOT_PERMITTED)) {
                        assert_true(chair_error_is(&e, CHAIR_REASON_PRECAUTION));
                        assert_non_null(strstr(e.message, "fever"));
                        tried++;
                }
                assert_false(output_test_active(ot(h)));
                assert_int_equal(vt_harness_output(h, out), info->safe_value);
        }
        assert_true(tried >= 5);
        chair_error_reset(&e);
        assert_int_equal(vt_harness_act(h, &(struct vt_action) { .kind = VT_ACT_PRECAUTIONS, .list = none }, &e), 0);
        assert_int_equal(output_test_start(ot(h), CHAIR_OUT_AIR_PUMP, 1, 100, &e), 0);
        vt_harness_run_for(h, 200);
        /* Declared while a test runs: the test ends at once, the output back to safe. */
        assert_int_equal(output_test_start(ot(h), CHAIR_OUT_AIR_PUMP, 1, 5000, &e), 0);
        vt_harness_run_for(h, 50);
        assert_int_equal(vt_harness_act(h, &(struct vt_action) { .kind = VT_ACT_PRECAUTIONS, .list = fever }, &e), 0);
        vt_harness_run_for(h, 10);
        assert_false(output_test_active(ot(h)));
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_AIR_PUMP), 0);
        vt_harness_free(h);
}

static struct vt_harness *posture_harness(struct hardware_map *m) {
        struct vt_harness *h = NULL;
        assert_int_equal(vt_harness_new(&(struct vt_harness_options) { .map = m }, &h), 0);
        return h;
}

static int32_t input(struct vt_harness *h, enum chair_input in) {
        int32_t v = -1;
        assert_int_equal(chair_hw_read_input(vt_harness_core(h)->hw, in, &v), 0);
        return v;
}

/* The foot rollers and calf kneading bypass posture's rules here: only with the seat empty. */
static void test_leg_rollers_only_with_the_seat_empty(void **state) {
        struct hardware_map m;
        struct vt_harness *h;
        struct chair_error e = CHAIR_ERROR_NULL;

        hardware_map_simulated_posture(&m);
        h = posture_harness(&m);
        assert_int_equal(vt_harness_set_occupant(h, true, 450, true), 0);
        vt_harness_run_for(h, 100);
        assert_int_not_equal(output_test_start(ot(h), CHAIR_OUT_FOOT_ROLLERS, 100, 3000, &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_NOT_PERMITTED));
        assert_non_null(strstr(e.message, "seated"));
        chair_error_reset(&e);
        assert_int_not_equal(output_test_start(ot(h), CHAIR_OUT_CALF_KNEAD, 100, 3000, &e), 0);
        chair_error_reset(&e);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_FOOT_ROLLERS), 0);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_CALF_KNEAD), 0);
        assert_int_equal(vt_harness_set_occupant(h, false, 450, false), 0);
        vt_harness_run_for(h, 100);
        if (output_test_start(ot(h), CHAIR_OUT_FOOT_ROLLERS, 100, 3000, &e) < 0)
                fail_msg("refused: %s", e.message);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_FOOT_ROLLERS), 100);
        /* Someone sits down: the test ends at once. */
        assert_int_equal(vt_harness_set_occupant(h, true, 450, true), 0);
        vt_harness_run_for(h, 100);
        assert_false(output_test_active(ot(h)));
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_FOOT_ROLLERS), 0);
        vt_harness_free(h);
}

/* An axis driven up with the seat empty meets an object 20 mm on: stopped by posture's
 * detection (the bumper, or a MAP with the current rise), no pinch latched. */
static void axis_stopped_by_obstruction(struct hardware_map *m) {
        struct vt_harness *h = posture_harness(m);
        struct chair_error e = CHAIR_ERROR_NULL;
        int32_t lift = chair_axis_info(CHAIR_AXIS_LEGREST_LIFT)->motor;

        assert_int_equal(vt_harness_set_occupant(h, false, 450, false), 0);
        vt_harness_run_for(h, 100);
        if (output_test_start(ot(h), lift, 60, 10000, &e) < 0)
                fail_msg("refused: %s", e.message);
        vt_harness_run_for(h, 500);
        assert_true(output_test_active(ot(h)));
        assert_int_equal(chair_core_sim_inject_fault(vt_harness_core(h), "legrest-obstruction", true), 0);
        vt_harness_run_for(h, 3000);
        assert_false(output_test_active(ot(h)));
        assert_int_equal(vt_harness_output(h, lift), 0);
        assert_null(vt_harness_first_fault(h));
        vt_harness_free(h);
}

static void test_axis_stopped_by_the_bumper(void **state) {
        struct hardware_map m;

        hardware_map_simulated_posture(&m);
        axis_stopped_by_obstruction(&m);
}

static void test_axis_stopped_by_a_current_rise(void **state) {
        struct hardware_map m;

        hardware_map_simulated_posture(&m);
        m.axes[CHAIR_AXIS_LEGREST_LIFT].obstruction = HW_OBSTRUCTION_CURRENT;
        m.axes[CHAIR_AXIS_LEGREST_LIFT].bumper = -1;
        m.axes[CHAIR_AXIS_LEGREST_LIFT].obstruction_rise_ma = 500;
        m.axes[CHAIR_AXIS_LEGREST_LIFT].current_max_ma = 10000;
        axis_stopped_by_obstruction(&m);
}

/* Nothing in the way: the test stops at the soft limit, short of the end switch. */
static void test_axis_stops_at_its_soft_limit(void **state) {
        struct hardware_map m;
        struct vt_harness *h;
        struct chair_error e = CHAIR_ERROR_NULL;
        const struct chair_axis_info *a = chair_axis_info(CHAIR_AXIS_LEGREST_LIFT);

        hardware_map_simulated_posture(&m);
        /* Reached in 6 s of the 10 (300 mm at 25 mm/s: 12 s end to end). */
        m.axes[CHAIR_AXIS_LEGREST_LIFT].soft_max = m.axes[CHAIR_AXIS_LEGREST_LIFT].limit_max = 500;
        h = posture_harness(&m);
        assert_int_equal(vt_harness_set_occupant(h, false, 450, false), 0);
        vt_harness_run_for(h, 100);
        if (output_test_start(ot(h), a->motor, 100, 10000, &e) < 0)
                fail_msg("refused: %s", e.message);
        vt_harness_run_for(h, 7000);
        assert_false(output_test_active(ot(h)));
        vt_harness_run_for(h, 500);
        assert_int_equal(input(h, a->end_max), 0);
        assert_in_range(input(h, a->position), 500, 540);
        /* Refused further that way now; the other way goes. */
        assert_int_not_equal(output_test_start(ot(h), a->motor, 100, 1000, &e), 0);
        assert_non_null(strstr(e.message, "soft limit"));
        chair_error_reset(&e);
        assert_int_equal(output_test_start(ot(h), a->motor, -100, 200, &e), 0);
        assert_null(vt_harness_first_fault(h));
        vt_harness_free(h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_back_to_safe_after_its_time),
                cmocka_unit_test(test_refusals),
                cmocka_unit_test(test_refused_when_not_idle),
                cmocka_unit_test(test_start_ends_it),
                cmocka_unit_test(test_panel_key_ends_it),
                cmocka_unit_test(test_estop_wins),
                cmocka_unit_test(test_end_switch_ends_it),
                cmocka_unit_test(test_precautions_apply),
                cmocka_unit_test(test_must_not_use_refuses_every_output),
                cmocka_unit_test(test_leg_rollers_only_with_the_seat_empty),
                cmocka_unit_test(test_axis_stopped_by_the_bumper),
                cmocka_unit_test(test_axis_stopped_by_a_current_rise),
                cmocka_unit_test(test_axis_stops_at_its_soft_limit),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
