/* SPDX-License-Identifier: MIT */
/* The chair physics: travel, encoder, limits, body load, heat, air and every injectable fault. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "chair-physics.h"

static void setup_chair(struct chair_physics *p) {
        struct chair_physics_params params;
        chair_physics_default_params(&params);
        chair_physics_init(p, &params);
}

static int32_t in(const struct chair_physics *p, enum chair_input i) {
        return chair_physics_input(p, i);
}

static void test_starts_safe_at_bottom(void **state) {
        struct chair_physics p;
        setup_chair(&p);
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                assert_int_equal(p.out[o], chair_output_info(o)->safe_value);
        assert_int_equal(in(&p, CHAIR_IN_ENCODER), 0);
        assert_int_equal(in(&p, CHAIR_IN_LIMIT_BOTTOM), 1);
        assert_int_equal(in(&p, CHAIR_IN_LIMIT_TOP), 0);
        assert_int_equal(in(&p, CHAIR_IN_SUPPLY_VOLTAGE), 24000);
        assert_int_equal(in(&p, CHAIR_IN_TEMP_LUMBAR), 220);
        assert_int_equal(in(&p, CHAIR_IN_AIR_PRESSURE), 0);
        assert_int_equal(in(&p, CHAIR_IN_ESTOP), 0);
        assert_true(chair_physics_at_rest(&p));
}

static void test_travel_speed_encoder_and_limits(void **state) {
        struct chair_physics p;
        setup_chair(&p);
        chair_physics_set_output(&p, CHAIR_OUT_TRAVEL_MOTOR, 100);
        assert_false(chair_physics_at_rest(&p));
        chair_physics_step(&p, 1000);
        /* 40 mm/s at full duty, 2 pulses per mm */
        assert_int_equal(in(&p, CHAIR_IN_ENCODER), 80);
        assert_int_equal(in(&p, CHAIR_IN_LIMIT_BOTTOM), 0);
        chair_physics_set_output(&p, CHAIR_OUT_TRAVEL_MOTOR, 50);
        chair_physics_step(&p, 1000);
        assert_int_equal(in(&p, CHAIR_IN_ENCODER), 120);
        /* The whole 800 mm track: the top limit stops the motor and the count. */
        chair_physics_set_output(&p, CHAIR_OUT_TRAVEL_MOTOR, 100);
        chair_physics_step(&p, 30000);
        assert_int_equal(in(&p, CHAIR_IN_LIMIT_TOP), 1);
        assert_int_equal(in(&p, CHAIR_IN_ENCODER), 1600);
        /* Pressing on against the limit draws no travel current: the switch cut the motor. */
        assert_true(in(&p, CHAIR_IN_MOTOR_CURRENT) < 1000);
        chair_physics_set_output(&p, CHAIR_OUT_TRAVEL_MOTOR, -100);
        chair_physics_step(&p, 25000);
        assert_int_equal(in(&p, CHAIR_IN_LIMIT_BOTTOM), 1);
        assert_int_equal(in(&p, CHAIR_IN_LIMIT_TOP), 0);
        assert_int_equal(in(&p, CHAIR_IN_ENCODER), 0);
        chair_physics_set_output(&p, CHAIR_OUT_TRAVEL_MOTOR, 0);
        assert_true(chair_physics_at_rest(&p));
}

static void test_deterministic(void **state) {
        struct chair_physics a, b;
        setup_chair(&a);
        setup_chair(&b);
        chair_physics_set_output(&a, CHAIR_OUT_TRAVEL_MOTOR, 37);
        chair_physics_set_output(&b, CHAIR_OUT_TRAVEL_MOTOR, 37);
        chair_physics_set_output(&a, CHAIR_OUT_HEAT_LUMBAR, 1);
        chair_physics_set_output(&b, CHAIR_OUT_HEAT_LUMBAR, 1);
        for (int i = 0; i < 700; i++)
                chair_physics_step(&a, 10);
        chair_physics_step(&b, 7000);
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++)
                assert_int_equal(in(&a, i), in(&b, i));
}

/* A body scan: moving up, the load falls off at the shoulder. */
static void test_load_falls_above_shoulder(void **state) {
        struct chair_physics p;
        int32_t found_mm = -1, last = 0;
        setup_chair(&p);
        chair_physics_set_output(&p, CHAIR_OUT_DEPTH, 3);
        chair_physics_set_output(&p, CHAIR_OUT_TRAVEL_MOTOR, 50);
        chair_physics_step(&p, 5000); /* 100 mm: on the back */
        last = in(&p, CHAIR_IN_ROLLER_LOAD);
        assert_true(last > 300);
        for (int t = 0; t < 40000 && found_mm < 0; t += 10) {
                int32_t load;
                chair_physics_step(&p, 10);
                load = in(&p, CHAIR_IN_ROLLER_LOAD);
                if (load < last / 2)
                        found_mm = in(&p, CHAIR_IN_ENCODER) / 2;
        }
        assert_in_range(found_mm, 620, 650);
        /* Deeper presses harder. */
        setup_chair(&p);
        chair_physics_set_output(&p, CHAIR_OUT_TRAVEL_MOTOR, 100);
        chair_physics_step(&p, 5000);
        chair_physics_set_output(&p, CHAIR_OUT_TRAVEL_MOTOR, 0);
        chair_physics_set_output(&p, CHAIR_OUT_DEPTH, 0);
        last = in(&p, CHAIR_IN_ROLLER_LOAD);
        chair_physics_set_output(&p, CHAIR_OUT_DEPTH, 5);
        assert_true(in(&p, CHAIR_IN_ROLLER_LOAD) > last + 300);
        /* A shorter person: the shoulder parameter moves the drop. */
        struct chair_physics_params params;
        chair_physics_default_params(&params);
        params.shoulder_mm = 500;
        chair_physics_init(&p, &params);
        chair_physics_set_output(&p, CHAIR_OUT_TRAVEL_MOTOR, 100);
        chair_physics_step(&p, 13000); /* 520 mm */
        assert_true(in(&p, CHAIR_IN_ROLLER_LOAD) < 150);
}

static void test_heater_warms_and_cools(void **state) {
        struct chair_physics p;
        int t = 0;
        setup_chair(&p);
        chair_physics_set_output(&p, CHAIR_OUT_HEAT_LUMBAR, 1);
        while (in(&p, CHAIR_IN_TEMP_LUMBAR) < 570 && t < 300000) {
                chair_physics_step(&p, 100);
                t += 100;
        }
        /* Level 3 (57 degC) within a minute or two of element-on. */
        assert_in_range(t, 30000, 120000);
        assert_int_equal(in(&p, CHAIR_IN_TEMP_CALVES), 220);
        assert_false(chair_physics_at_rest(&p));
        chair_physics_set_output(&p, CHAIR_OUT_HEAT_LUMBAR, 0);
        chair_physics_step(&p, 60000);
        assert_true(in(&p, CHAIR_IN_TEMP_LUMBAR) < 450);
        chair_physics_step(&p, 900000);
        assert_int_equal(in(&p, CHAIR_IN_TEMP_LUMBAR), 220);
        assert_true(chair_physics_at_rest(&p));
}

static void test_air_rises_holds_vents(void **state) {
        struct chair_physics p;
        int32_t held;
        setup_chair(&p);
        chair_physics_set_output(&p, CHAIR_OUT_AIR_RELEASE, 0);
        chair_physics_set_output(&p, CHAIR_OUT_VALVE_CALVES, 1);
        chair_physics_set_output(&p, CHAIR_OUT_AIR_PUMP, 1);
        chair_physics_step(&p, 2000);
        held = in(&p, CHAIR_IN_AIR_PRESSURE);
        assert_in_range(held, 200, 400);
        /* Pump off, valve closed: the bag holds (a slow leak only). */
        chair_physics_set_output(&p, CHAIR_OUT_AIR_PUMP, 0);
        chair_physics_step(&p, 1000);
        assert_in_range(in(&p, CHAIR_IN_AIR_PRESSURE), held * 95 / 100, held);
        assert_false(chair_physics_at_rest(&p));
        /* The release valve vents it within seconds. */
        chair_physics_set_output(&p, CHAIR_OUT_AIR_RELEASE, 1);
        chair_physics_set_output(&p, CHAIR_OUT_VALVE_CALVES, 0);
        chair_physics_step(&p, 5000);
        assert_int_equal(in(&p, CHAIR_IN_AIR_PRESSURE), 0);
        assert_true(chair_physics_at_rest(&p));
        /* A pump against closed valves stalls below full scale. */
        chair_physics_set_output(&p, CHAIR_OUT_AIR_RELEASE, 0);
        chair_physics_set_output(&p, CHAIR_OUT_AIR_PUMP, 1);
        chair_physics_step(&p, 120000);
        assert_in_range(in(&p, CHAIR_IN_AIR_PRESSURE), 500, 1000);
}

static void test_fault_names(void **state) {
        for (unsigned f = 0; f < _PHYS_FAULT_MAX; f++) {
                const char *name = chair_physics_fault_name(f);
                assert_non_null(name);
                assert_int_equal(chair_physics_fault_from_name(name), (int) f);
        }
        assert_null(chair_physics_fault_name(_PHYS_FAULT_MAX));
        assert_int_equal(chair_physics_fault_from_name("no-such-fault"), -EINVAL);
}

static void test_each_fault_shows(void **state) {
        struct chair_physics p;
        int32_t v;

        setup_chair(&p);
        chair_physics_inject(&p, PHYS_FAULT_ESTOP, true);
        assert_int_equal(in(&p, CHAIR_IN_ESTOP), 1);
        chair_physics_inject(&p, PHYS_FAULT_ESTOP, false);
        assert_int_equal(in(&p, CHAIR_IN_ESTOP), 0);

        chair_physics_inject(&p, PHYS_FAULT_THERMISTOR_OPEN, true);
        assert_true(in(&p, CHAIR_IN_TEMP_LUMBAR) < chair_input_info(CHAIR_IN_TEMP_LUMBAR)->min);
        chair_physics_inject(&p, PHYS_FAULT_THERMISTOR_OPEN, false);
        chair_physics_inject(&p, PHYS_FAULT_THERMISTOR_SHORT, true);
        assert_true(in(&p, CHAIR_IN_TEMP_LUMBAR) > chair_input_info(CHAIR_IN_TEMP_LUMBAR)->max);
        chair_physics_inject(&p, PHYS_FAULT_THERMISTOR_SHORT, false);
        assert_int_equal(in(&p, CHAIR_IN_TEMP_LUMBAR), 220);

        chair_physics_inject(&p, PHYS_FAULT_SUPPLY_LOW, true);
        assert_true(in(&p, CHAIR_IN_SUPPLY_VOLTAGE) < 10000);
        chair_physics_inject(&p, PHYS_FAULT_SUPPLY_LOW, false);
        chair_physics_inject(&p, PHYS_FAULT_SUPPLY_HIGH, true);
        assert_true(in(&p, CHAIR_IN_SUPPLY_VOLTAGE) > 36000);
        chair_physics_inject(&p, PHYS_FAULT_SUPPLY_HIGH, false);

        chair_physics_inject(&p, PHYS_FAULT_BOTH_LIMITS, true);
        assert_int_equal(in(&p, CHAIR_IN_LIMIT_TOP), 1);
        assert_int_equal(in(&p, CHAIR_IN_LIMIT_BOTTOM), 1);
        chair_physics_inject(&p, PHYS_FAULT_BOTH_LIMITS, false);

        /* Over-temperature: the element runs away with the output off, past 60 degC. */
        chair_physics_inject(&p, PHYS_FAULT_OVER_TEMPERATURE, true);
        assert_false(chair_physics_at_rest(&p));
        chair_physics_step(&p, 90000);
        assert_true(in(&p, CHAIR_IN_TEMP_LUMBAR) > 600);
        chair_physics_inject(&p, PHYS_FAULT_OVER_TEMPERATURE, false);
        setup_chair(&p);

        /* Heat that never arrives. */
        chair_physics_inject(&p, PHYS_FAULT_HEAT_NOT_RISING, true);
        chair_physics_set_output(&p, CHAIR_OUT_HEAT_LUMBAR, 1);
        chair_physics_step(&p, 60000);
        assert_int_equal(in(&p, CHAIR_IN_TEMP_LUMBAR), 220);
        setup_chair(&p);

        /* Over-pressure with the vent open and the pump off. */
        chair_physics_inject(&p, PHYS_FAULT_OVER_PRESSURE, true);
        chair_physics_step(&p, 5000);
        assert_true(in(&p, CHAIR_IN_AIR_PRESSURE) > 500);
        setup_chair(&p);

        /* Lost encoder: the roller moves, the count does not. */
        chair_physics_inject(&p, PHYS_FAULT_LOST_ENCODER, true);
        chair_physics_set_output(&p, CHAIR_OUT_TRAVEL_MOTOR, 100);
        chair_physics_step(&p, 2000);
        assert_int_equal(in(&p, CHAIR_IN_ENCODER), 0);
        assert_int_equal(in(&p, CHAIR_IN_LIMIT_BOTTOM), 0);
        setup_chair(&p);

        /* Spurious pulses while the motor is off, and never at rest. */
        chair_physics_inject(&p, PHYS_FAULT_SPURIOUS_PULSES, true);
        assert_false(chair_physics_at_rest(&p));
        chair_physics_step(&p, 1000);
        assert_true(in(&p, CHAIR_IN_ENCODER) >= 10);
        setup_chair(&p);

        /* Stalled: no travel, the current far above any sane limit. */
        chair_physics_inject(&p, PHYS_FAULT_STALLED_MOTOR, true);
        chair_physics_set_output(&p, CHAIR_OUT_TRAVEL_MOTOR, 60);
        chair_physics_step(&p, 1000);
        assert_int_equal(in(&p, CHAIR_IN_ENCODER), 0);
        assert_true(in(&p, CHAIR_IN_MOTOR_CURRENT) > 8000);
        chair_physics_set_output(&p, CHAIR_OUT_TRAVEL_MOTOR, 0);
        assert_true(in(&p, CHAIR_IN_MOTOR_CURRENT) < 1000);
        setup_chair(&p);

        /* Stuck sensor: the load no longer follows the roller. */
        chair_physics_set_output(&p, CHAIR_OUT_TRAVEL_MOTOR, 100);
        chair_physics_step(&p, 5000);
        v = in(&p, CHAIR_IN_ROLLER_LOAD);
        chair_physics_inject(&p, PHYS_FAULT_STUCK_SENSOR, true);
        chair_physics_step(&p, 12000); /* past the shoulder */
        assert_int_equal(in(&p, CHAIR_IN_ROLLER_LOAD), v);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_starts_safe_at_bottom),
                cmocka_unit_test(test_travel_speed_encoder_and_limits),
                cmocka_unit_test(test_deterministic),
                cmocka_unit_test(test_load_falls_above_shoulder),
                cmocka_unit_test(test_heater_warms_and_cools),
                cmocka_unit_test(test_air_rises_holds_vents),
                cmocka_unit_test(test_fault_names),
                cmocka_unit_test(test_each_fault_shows),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
