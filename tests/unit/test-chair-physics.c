/* SPDX-License-Identifier: MIT */
/* The chair physics: travel, encoder, limits, body load, heat, air, the posture axes, the
 * occupant and every injectable fault. */
#include <errno.h>
#include <math.h>
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
        chair_physics_inject(&p, PHYS_FAULT_RECLINE_BOTH_ENDS, true);
        assert_int_equal(in(&p, CHAIR_IN_RECLINE_END_MIN), 1);
        assert_int_equal(in(&p, CHAIR_IN_RECLINE_END_MAX), 1);
        chair_physics_inject(&p, PHYS_FAULT_RECLINE_BOTH_ENDS, false);
        assert_int_equal(in(&p, CHAIR_IN_RECLINE_END_MAX), 0);

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

/* Posture: each axis starts at its end_min, travels with inertia at its speed, stops at its
 * end_max with the end switch active, and draws a current that rises with load and soars
 * against the stop. */
static void test_axis_travels_and_stops_at_its_end(void **state) {
        struct chair_physics p;
        setup_chair(&p);

        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++) {
                const struct chair_axis_info *ax = chair_axis_info(a);
                int32_t travel = p.params.axis[a].travel_mm, speed = p.params.axis[a].max_speed_mm_s;
                int32_t running, pos;

                assert_int_equal(in(&p, ax->position), 0);
                assert_int_equal(in(&p, ax->end_min), 1);
                assert_int_equal(in(&p, ax->end_max), 0);
                assert_int_equal(in(&p, ax->current), 0);

                /* Inertia: after 50 ms the axis has not yet reached its speed. */
                chair_physics_set_output(&p, ax->motor, 100);
                assert_false(chair_physics_at_rest(&p));
                chair_physics_step(&p, 50);
                assert_true(p.axis[a].speed > 0 && p.axis[a].speed < 0.5 * speed);
                /* One second on it is close to full speed. */
                chair_physics_step(&p, 950);
                assert_true(p.axis[a].speed > 0.95 * speed);
                pos = in(&p, ax->position);
                assert_true(pos > 0 && pos < 1000);
                assert_int_equal(in(&p, ax->end_min), 0);
                running = in(&p, ax->current);
                assert_true(running > 1000 && running < 3000);

                /* To the end: position 1000, end_max active, the current far above running. */
                chair_physics_step(&p, (uint32_t) (2000 * travel / speed));
                assert_int_equal(in(&p, ax->position), 1000);
                assert_int_equal(in(&p, ax->end_max), 1);
                assert_int_equal(in(&p, ax->end_min), 0);
                assert_true(in(&p, ax->current) > 2 * running);
                assert_true(in(&p, ax->current) < chair_input_info(ax->current)->max);

                /* Stopped, it coasts to a halt within a few tenths of a second and draws nothing. */
                chair_physics_set_output(&p, ax->motor, -100);
                chair_physics_step(&p, 1000);
                pos = in(&p, ax->position);
                chair_physics_set_output(&p, ax->motor, 0);
                assert_int_equal(in(&p, ax->current), 0);
                chair_physics_step(&p, 500);
                assert_true(pos - in(&p, ax->position) < 10);
                assert_true(chair_physics_at_rest(&p));
                assert_int_equal(p.axis[a].speed, 0);
                setup_chair(&p);
        }
}

/* The person's weight loads the backrest coming upright and the leg rest rising. */
static void test_axis_current_rises_with_load(void **state) {
        struct chair_physics p;
        int32_t seated, empty;

        setup_chair(&p);
        chair_physics_set_output(&p, CHAIR_OUT_LEGREST_LIFT_MOTOR, 60);
        chair_physics_step(&p, 1000);
        seated = in(&p, CHAIR_IN_LEGREST_LIFT_CURRENT);
        assert_int_equal(chair_physics_set_occupant(&p, false, 450, false), 0);
        empty = in(&p, CHAIR_IN_LEGREST_LIFT_CURRENT);
        assert_true(seated > empty + 300);
}

static void test_occupant_and_feet(void **state) {
        struct chair_physics p;
        int32_t reach = 0;

        setup_chair(&p);
        /* The default occupant sits, feet on the foot rest: the safe assumption. */
        assert_int_equal(in(&p, CHAIR_IN_SEAT_OCCUPANCY), 1);
        assert_int_equal(chair_physics_set_occupant(&p, true, 0, true), -EINVAL);
        assert_int_equal(chair_physics_set_occupant(&p, true, 2001, true), -EINVAL);
        /* Legs of 500 mm: the retracted foot rest (380 mm) does not reach the soles. */
        assert_int_equal(chair_physics_set_occupant(&p, true, 500, true), 0);
        assert_int_equal(in(&p, CHAIR_IN_FEET_ON), 0);
        chair_physics_set_output(&p, CHAIR_OUT_LEGREST_EXTEND_MOTOR, 40);
        for (unsigned ms = 0; ms < 30000 && !in(&p, CHAIR_IN_FEET_ON); ms += 10) {
                chair_physics_step(&p, 10);
                reach = p.params.legrest_reach_mm + (int32_t) p.axis[CHAIR_AXIS_LEGREST_EXTEND].mm;
        }
        /* Felt when the extension reaches the person's leg length, not before. */
        assert_int_equal(in(&p, CHAIR_IN_FEET_ON), 1);
        assert_true(reach >= 500 && reach <= 501);
        chair_physics_set_output(&p, CHAIR_OUT_LEGREST_EXTEND_MOTOR, 0);
        /* Feet off the rest, or nobody seated: no feet. */
        assert_int_equal(chair_physics_set_occupant(&p, true, 500, false), 0);
        assert_int_equal(in(&p, CHAIR_IN_FEET_ON), 0);
        assert_int_equal(chair_physics_set_occupant(&p, false, 500, true), 0);
        assert_int_equal(in(&p, CHAIR_IN_FEET_ON), 0);
        assert_int_equal(in(&p, CHAIR_IN_SEAT_OCCUPANCY), 0);
        /* Short legs: felt with the foot rest retracted. */
        assert_int_equal(chair_physics_set_occupant(&p, true, 300, true), 0);
        assert_int_equal(in(&p, CHAIR_IN_FEET_ON), 1);
}

/* An object in the leg rest's path: the move meets it 20 mm on, stops there, presses the bumper
 * and the current rises; moving away releases it; taken away, the path is free. */
static void test_legrest_obstruction(void **state) {
        static const enum chair_axis legrest[] = { CHAIR_AXIS_LEGREST_LIFT, CHAIR_AXIS_LEGREST_EXTEND };
        struct chair_physics p;

        for (unsigned i = 0; i < 2; i++) {
                const struct chair_axis_info *ax = chair_axis_info(legrest[i]);
                int32_t free_ma, at;

                setup_chair(&p);
                chair_physics_set_output(&p, ax->motor, 100);
                chair_physics_step(&p, 2000);
                free_ma = in(&p, ax->current);
                at = (int32_t) p.axis[legrest[i]].mm;
                assert_int_equal(in(&p, CHAIR_IN_LEGREST_OBSTRUCTION), 0);

                chair_physics_inject(&p, PHYS_FAULT_LEGREST_OBSTRUCTION, true);
                chair_physics_step(&p, 3000);
                assert_true(fabs(p.axis[legrest[i]].mm - (at + 20)) < 1.5);
                assert_int_equal(in(&p, CHAIR_IN_LEGREST_OBSTRUCTION), 1);
                assert_int_equal(in(&p, ax->end_max), 0);
                assert_true(in(&p, ax->current) > 2 * free_ma);
                /* Still pressed with the motor off; released by moving away. */
                chair_physics_set_output(&p, ax->motor, 0);
                assert_int_equal(in(&p, CHAIR_IN_LEGREST_OBSTRUCTION), 1);
                chair_physics_set_output(&p, ax->motor, -50);
                chair_physics_step(&p, 500);
                assert_int_equal(in(&p, CHAIR_IN_LEGREST_OBSTRUCTION), 0);
                assert_true(in(&p, ax->current) < 2 * free_ma);
                /* Taken away: the path is free to the end. */
                chair_physics_inject(&p, PHYS_FAULT_LEGREST_OBSTRUCTION, false);
                chair_physics_set_output(&p, ax->motor, 100);
                chair_physics_step(&p, 30000);
                assert_int_equal(in(&p, ax->end_max), 1);
                assert_int_equal(in(&p, CHAIR_IN_LEGREST_OBSTRUCTION), 0);
        }
        /* The backrest is not the leg rest: the object does not stop it. */
        setup_chair(&p);
        chair_physics_inject(&p, PHYS_FAULT_LEGREST_OBSTRUCTION, true);
        chair_physics_set_output(&p, CHAIR_OUT_RECLINE_MOTOR, 100);
        chair_physics_step(&p, 5000);
        assert_true(p.axis[CHAIR_AXIS_RECLINE].mm > 100);
        assert_int_equal(in(&p, CHAIR_IN_LEGREST_OBSTRUCTION), 0);
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
                cmocka_unit_test(test_axis_travels_and_stops_at_its_end),
                cmocka_unit_test(test_axis_current_rises_with_load),
                cmocka_unit_test(test_occupant_and_feet),
                cmocka_unit_test(test_legrest_obstruction),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
