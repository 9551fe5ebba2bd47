/* SPDX-License-Identifier: MIT */
/* The I/O router on the simulated chair: the on-time the supervisor bounds, the gate that
 * go_safe closes (indicators still pass it), and the stop path drivers take on their own
 * thread. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>
#include <systemd/sd-event.h>

#include "chair-hw.h"
#include "event-loop-sd-event.h"
#include "driver-sim.h"
#include "hardware-map.h"

struct fixture {
        sd_event *event;
        struct event_loop *loop;
        struct hardware_map map;
        struct chair_hw *hw;
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof *f);
        char err[256] = "";

        assert_non_null(f);
        assert_int_equal(sd_event_new(&f->event), 0);
        assert_int_equal(event_loop_sd_event_new(f->event, &f->loop), 0);
        hardware_map_simulated(&f->map);
        assert_int_equal(chair_hw_open(&f->map, f->loop, &f->hw, err, sizeof err), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        chair_hw_close(f->hw);
        event_loop_free(f->loop);
        sd_event_unref(f->event);
        free(f);
        return 0;
}

static void pause_2ms(void) {
        struct timespec ms = { 0, 2000000 };
        nanosleep(&ms, NULL);
}

/* From leaving the safe value; a motor that reverses starts a new run, so the travel motor's
 * 42 s bounds one travel, not a roller sweeping up and down for minutes. */
static void test_on_time_restarts_when_a_motor_reverses(void **state) {
        struct chair_hw *hw = ((struct fixture *) *state)->hw;
        uint64_t since;

        assert_int_equal(chair_hw_output_active_since(hw, CHAIR_OUT_TRAVEL_MOTOR), 0);
        assert_int_equal(chair_hw_set_output(hw, CHAIR_OUT_TRAVEL_MOTOR, 50), 0);
        since = chair_hw_output_active_since(hw, CHAIR_OUT_TRAVEL_MOTOR);
        assert_true(since > 0);
        pause_2ms();
        assert_int_equal(chair_hw_set_output(hw, CHAIR_OUT_TRAVEL_MOTOR, 30), 0);  /* slower, same way */
        assert_int_equal(chair_hw_output_active_since(hw, CHAIR_OUT_TRAVEL_MOTOR), since);
        assert_int_equal(chair_hw_set_output(hw, CHAIR_OUT_TRAVEL_MOTOR, -40), 0); /* reversed */
        assert_true(chair_hw_output_active_since(hw, CHAIR_OUT_TRAVEL_MOTOR) > since);
        assert_int_equal(chair_hw_set_output(hw, CHAIR_OUT_TRAVEL_MOTOR, 0), 0);
        assert_int_equal(chair_hw_output_active_since(hw, CHAIR_OUT_TRAVEL_MOTOR), 0);

        /* A pump set on again without going off is still one run. */
        assert_int_equal(chair_hw_set_output(hw, CHAIR_OUT_AIR_PUMP, 1), 0);
        since = chair_hw_output_active_since(hw, CHAIR_OUT_AIR_PUMP);
        pause_2ms();
        assert_int_equal(chair_hw_stage_output(hw, CHAIR_OUT_AIR_PUMP, 1), 0);
        chair_hw_flush(hw);
        assert_int_equal(chair_hw_output_active_since(hw, CHAIR_OUT_AIR_PUMP), since);
}

static void test_gate_closed_by_go_safe(void **state) {
        struct chair_hw *hw = ((struct fixture *) *state)->hw;

        assert_int_equal(chair_hw_stage_output(hw, CHAIR_OUT_KNEAD_MOTOR, 60), 0);
        chair_hw_go_safe(hw);
        assert_int_equal(chair_hw_get_output(hw, CHAIR_OUT_KNEAD_MOTOR), 0);
        assert_int_equal(chair_hw_set_output(hw, CHAIR_OUT_KNEAD_MOTOR, 60), -EPERM);
        assert_int_equal(chair_hw_stage_output(hw, CHAIR_OUT_AIR_PUMP, 1), -EPERM);
        /* A faulted chair still shows its fault. */
        assert_int_equal(chair_hw_set_output(hw, CHAIR_OUT_DISPLAY_FAULT, 3), 0);
        assert_int_equal(chair_hw_stage_output(hw, CHAIR_OUT_TRAVEL_MOTOR, 101), -ERANGE);
}

static void assert_stopped_by(struct chair_hw *hw, enum chair_input want, int want_error, uint64_t want_ts) {
        enum chair_input in;
        int32_t value;
        int error;
        uint64_t ts;

        assert_false(chair_hw_enabled(hw));
        assert_true(chair_hw_stop_reason(hw, &in, &value, &error, &ts));
        assert_int_equal(in, want);
        assert_int_equal(error, want_error);
        if (want_ts)
                assert_int_equal(ts, want_ts);
}

static void assert_running(struct chair_hw *hw) {
        enum chair_input in;
        int32_t value;
        int error;
        uint64_t ts;

        assert_true(chair_hw_enabled(hw));
        assert_false(chair_hw_stop_reason(hw, &in, &value, &error, &ts));
}

/* A stop input makes every output safe at once, on the caller's thread, and the first one is
 * recorded for the supervisor until the gate opens again. */
static void test_stop_input_goes_safe_and_records(void **state) {
        struct chair_hw *hw = ((struct fixture *) *state)->hw;

        assert_int_equal(chair_hw_set_output(hw, CHAIR_OUT_TRAVEL_MOTOR, 50), 0);
        assert_int_equal(chair_hw_set_output(hw, CHAIR_OUT_HEAT_LUMBAR, 1), 0);
        chair_hw_stop_input(hw, CHAIR_IN_ESTOP, 0, 0, 5);     /* released: nothing */
        assert_running(hw);
        chair_hw_stop_input(hw, CHAIR_IN_ESTOP, 1, 0, 1234);
        assert_stopped_by(hw, CHAIR_IN_ESTOP, 0, 1234);
        assert_int_equal(chair_hw_get_output(hw, CHAIR_OUT_TRAVEL_MOTOR), 0);
        assert_int_equal(chair_hw_get_output(hw, CHAIR_OUT_HEAT_LUMBAR), 0);
        assert_int_equal(chair_hw_get_output(hw, CHAIR_OUT_AIR_RELEASE), 1);
        assert_int_equal(chair_hw_set_output(hw, CHAIR_OUT_TRAVEL_MOTOR, 50), -EPERM);
        /* The first stop explains; a later one does not overwrite it. */
        chair_hw_stop_input(hw, CHAIR_IN_HEARTBEAT_TRIPPED, 1, 0, 9999);
        assert_stopped_by(hw, CHAIR_IN_ESTOP, 0, 1234);
        /* A session starting before the supervisor latched the stop does not reopen the gate. */
        chair_hw_enable(hw);
        assert_stopped_by(hw, CHAIR_IN_ESTOP, 0, 1234);
        chair_hw_clear_stop(hw);
        chair_hw_enable(hw);
        assert_running(hw);
        assert_int_equal(chair_hw_set_output(hw, CHAIR_OUT_TRAVEL_MOTOR, 50), 0);
        chair_hw_stop_input(hw, CHAIR_IN_HEARTBEAT_TRIPPED, 1, 0, 77);
        assert_stopped_by(hw, CHAIR_IN_HEARTBEAT_TRIPPED, 0, 77);
}

/* One limit is the end of the track; both at once stop. The simulated roller starts at the
 * bottom, its bottom limit active. */
static void test_limits_stop_only_both(void **state) {
        struct chair_hw *hw = ((struct fixture *) *state)->hw;
        int32_t bottom = 0;

        assert_int_equal(chair_hw_read_input(hw, CHAIR_IN_LIMIT_BOTTOM, &bottom), 0);
        assert_int_equal(bottom, 1);
        chair_hw_stop_input(hw, CHAIR_IN_LIMIT_BOTTOM, 1, 0, 1);
        assert_running(hw);
        chair_hw_stop_input(hw, CHAIR_IN_LIMIT_TOP, 1, 0, 2);
        assert_stopped_by(hw, CHAIR_IN_LIMIT_TOP, 0, 2);
}

/* An interlock's input out of range stops; a measurement nothing depends on does not, nor does
 * a changing reading in range. */
static void test_out_of_range_interlock_input_stops(void **state) {
        struct chair_hw *hw = ((struct fixture *) *state)->hw;

        chair_hw_stop_input(hw, CHAIR_IN_ROLLER_LOAD, 1000, -ERANGE, 1);
        chair_hw_stop_input(hw, CHAIR_IN_TEMP_LUMBAR, 450, 0, 2);
        chair_hw_stop_input(hw, CHAIR_IN_PANEL_KEY, 3, 0, 3);
        assert_running(hw);
        chair_hw_stop_input(hw, CHAIR_IN_TEMP_LUMBAR, -200, -ERANGE, 4);
        assert_stopped_by(hw, CHAIR_IN_TEMP_LUMBAR, -ERANGE, 4);
}

/* The map can make any input a stop input (a seat switch, a second e-stop). */
static void test_map_marks_a_stop_input(void **state) {
        struct fixture *f = *state;

        chair_hw_stop_input(f->hw, CHAIR_IN_PANEL_KEY, 3, 0, 1);
        assert_running(f->hw);
        f->map.inputs[CHAIR_IN_PANEL_KEY].stop = true;
        chair_hw_stop_input(f->hw, CHAIR_IN_PANEL_KEY, 0, 0, 2);
        assert_running(f->hw);
        chair_hw_stop_input(f->hw, CHAIR_IN_PANEL_KEY, 3, 0, 3);
        assert_stopped_by(f->hw, CHAIR_IN_PANEL_KEY, 0, 3);
}

/* The sim backend reports its e-stop through the stop path where its inputs change: the gate is
 * closed before the event loop runs a single dispatch. */
static void test_sim_backend_stops_without_the_event_loop(void **state) {
        struct chair_hw *hw = ((struct fixture *) *state)->hw;

        assert_int_equal(chair_hw_set_output(hw, CHAIR_OUT_KNEAD_MOTOR, 40), 0);
        assert_int_equal(chair_hw_sim_inject(hw, "estop", true), 0);
        assert_stopped_by(hw, CHAIR_IN_ESTOP, 0, 0);
        assert_int_equal(chair_hw_get_output(hw, CHAIR_OUT_KNEAD_MOTOR), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_on_time_restarts_when_a_motor_reverses, setup, teardown),
                cmocka_unit_test_setup_teardown(test_gate_closed_by_go_safe, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stop_input_goes_safe_and_records, setup, teardown),
                cmocka_unit_test_setup_teardown(test_limits_stop_only_both, setup, teardown),
                cmocka_unit_test_setup_teardown(test_out_of_range_interlock_input_stops, setup, teardown),
                cmocka_unit_test_setup_teardown(test_map_marks_a_stop_input, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sim_backend_stops_without_the_event_loop, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
