/* SPDX-License-Identifier: MIT */
/* The I/O router on the simulated chair: the on-time the supervisor bounds, and the gate that
 * go_safe closes (indicators still pass it). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "chair-hw.h"
#include "hardware-map.h"

struct fixture {
        sd_event *event;
        struct hardware_map map;
        struct chair_hw *hw;
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof *f);
        char err[256] = "";

        assert_non_null(f);
        assert_int_equal(sd_event_new(&f->event), 0);
        hardware_map_simulated(&f->map);
        assert_int_equal(chair_hw_open(&f->map, f->event, &f->hw, err, sizeof err), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        chair_hw_close(f->hw);
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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_on_time_restarts_when_a_motor_reverses, setup, teardown),
                cmocka_unit_test_setup_teardown(test_gate_closed_by_go_safe, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
