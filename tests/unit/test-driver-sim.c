/* SPDX-License-Identifier: MIT */
/* The sim backend: safe start, outputs from any thread, input changes on the event loop,
 * go_safe, fault injection, and no wake-ups at all while the simulated chair is at rest; the
 * posture axes through the I/O router: they move, their sensors report, and the stop path
 * stops them where they are. */
#include <pthread.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <systemd/sd-event.h>

#include "chair-hw.h"
#include "chair-physics.h"
#include "driver-sim.h"
#include "event-loop-sd-event.h"
#include "hardware-map.h"
#include "macro.h"

struct fixture {
        sd_event *event;
        struct event_loop *loop;
        struct hardware_map map;
        struct chair_driver *drv;
        int32_t last[_CHAIR_IN_MAX];
        unsigned changes[_CHAIR_IN_MAX];
        uint64_t last_ts;
        bool ts_monotonic;
};

static void on_input(void *userdata, enum chair_input in, int32_t value, uint64_t ts) {
        struct fixture *f = userdata;
        if (ts < f->last_ts || ts == 0)
                f->ts_monotonic = false;
        f->last_ts = ts;
        f->last[in] = value;
        f->changes[in]++;
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof *f);
        char err[256] = "";

        assert_non_null(f);
        f->ts_monotonic = true;
        assert_int_equal(sd_event_new(&f->event), 0);
        assert_int_equal(event_loop_sd_event_new(f->event, &f->loop), 0);
        hardware_map_simulated(&f->map);
        assert_int_equal(chair_driver_new_sim(&f->drv), 0);
        assert_int_equal(f->drv->backend, HW_BACKEND_SIM);
        assert_int_equal(f->drv->ops->open(f->drv, &f->map, f->loop, err, sizeof err), 0);
        assert_int_equal(f->drv->ops->subscribe(f->drv, on_input, f), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        f->drv->ops->close(f->drv);
        event_loop_free(f->loop);
        sd_event_unref(f->event);
        free(f);
        return 0;
}

static int32_t input(struct fixture *f, enum chair_input in) {
        int32_t v = -12345;
        assert_int_equal(f->drv->ops->read_input(f->drv, in, &v), 0);
        return v;
}

/* Runs the loop for up to ms of simulated-and-real time, returning how many events ran. */
static unsigned run_for(struct fixture *f, unsigned ms) {
        struct timespec start, now;
        unsigned dispatched = 0;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                int r;
                uint64_t elapsed;
                clock_gettime(CLOCK_MONOTONIC, &now);
                elapsed = (uint64_t) (now.tv_sec - start.tv_sec) * 1000 +
                          (uint64_t) (now.tv_nsec - start.tv_nsec) / 1000000 - (now.tv_nsec < start.tv_nsec ? 1000 : 0);
                if ((int64_t) elapsed >= ms)
                        return dispatched;
                r = sd_event_run(f->event, (ms - elapsed) * USEC_PER_MSEC);
                assert_true(r >= 0);
                dispatched += (unsigned) r;
        }
}

static void test_opens_safe_and_idle(void **state) {
        struct fixture *f = *state;
        assert_string_equal(f->drv->ops->name, "sim");
        assert_int_equal(input(f, CHAIR_IN_LIMIT_BOTTOM), 1);
        assert_int_equal(input(f, CHAIR_IN_ENCODER), 0);
        assert_int_equal(input(f, CHAIR_IN_SUPPLY_VOLTAGE), 24000);
        assert_int_equal(input(f, CHAIR_IN_TEMP_LUMBAR), 220);
        /* At rest: no timer armed, and the loop sleeps through. */
        assert_false(chair_driver_sim_is_stepping(f->drv));
        assert_int_equal(run_for(f, 60), 0);
}

static void test_set_output_checks(void **state) {
        struct fixture *f = *state;
        assert_int_equal(f->drv->ops->set_output(f->drv, CHAIR_OUT_TRAVEL_MOTOR, 101), -ERANGE);
        assert_int_equal(f->drv->ops->set_output(f->drv, CHAIR_OUT_AIR_PUMP, 2), -ERANGE);
        assert_int_equal(f->drv->ops->set_output(f->drv, _CHAIR_OUT_MAX, 0), -EINVAL);
        assert_int_equal(f->drv->ops->set_output(f->drv, (enum chair_output) -1, 0), -EINVAL);
        int32_t v;
        assert_int_equal(f->drv->ops->read_input(f->drv, _CHAIR_IN_MAX, &v), -EINVAL);
}

static void test_moves_reports_and_goes_safe(void **state) {
        struct fixture *f = *state;
        struct chair_driver_stats stats;

        assert_int_equal(f->drv->ops->set_output(f->drv, CHAIR_OUT_TRAVEL_MOTOR, 100), 0);
        run_for(f, 300);
        assert_true(chair_driver_sim_is_stepping(f->drv));
        assert_true(input(f, CHAIR_IN_ENCODER) > 0);
        assert_int_equal(input(f, CHAIR_IN_LIMIT_BOTTOM), 0);
        assert_true(f->changes[CHAIR_IN_ENCODER] > 1);
        assert_int_equal(f->last[CHAIR_IN_ENCODER], input(f, CHAIR_IN_ENCODER));
        assert_int_equal(f->last[CHAIR_IN_LIMIT_BOTTOM], 0);
        assert_true(f->ts_monotonic);

        assert_int_equal(f->drv->ops->go_safe(f->drv), 0);
        run_for(f, 50);
        int32_t stopped = input(f, CHAIR_IN_ENCODER);
        /* Stopped and at rest: the timer is off and nothing wakes the loop. */
        assert_false(chair_driver_sim_is_stepping(f->drv));
        assert_int_equal(run_for(f, 60), 0);
        assert_int_equal(input(f, CHAIR_IN_ENCODER), stopped);

        assert_int_equal(f->drv->ops->get_stats(f->drv, &stats), 0);
        assert_true(stats.link_up);
}

static void test_lit_led_costs_no_wakeups(void **state) {
        struct fixture *f = *state;
        assert_int_equal(f->drv->ops->set_output(f->drv, CHAIR_OUT_LED_POWER, 1), 0);
        run_for(f, 30);
        assert_false(chair_driver_sim_is_stepping(f->drv));
        assert_int_equal(run_for(f, 60), 0);
}

static void *set_from_thread(void *userdata) {
        struct fixture *f = userdata;
        f->drv->ops->set_output(f->drv, CHAIR_OUT_TRAVEL_MOTOR, 100);
        return NULL;
}

static void test_output_from_another_thread(void **state) {
        struct fixture *f = *state;
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, set_from_thread, f), 0);
        pthread_join(t, NULL);
        run_for(f, 200);
        assert_true(input(f, CHAIR_IN_ENCODER) > 0);
        f->drv->ops->go_safe(f->drv);
        run_for(f, 30);
        assert_false(chair_driver_sim_is_stepping(f->drv));
}

static void count_calls(void *userdata, enum chair_input in, int32_t value, uint64_t ts) {
        (*(unsigned *) userdata)++;
}

static void test_inject_faults(void **state) {
        struct fixture *f = *state;
        unsigned n = 0, second = 0;

        assert_int_equal(f->drv->ops->subscribe(f->drv, count_calls, &second), 0);
        assert_int_equal(f->drv->ops->subscribe(f->drv, NULL, NULL), -EINVAL);

        while (chair_driver_sim_fault_name(n))
                n++;
        assert_int_equal(n, _PHYS_FAULT_MAX);
        assert_string_equal(chair_driver_sim_fault_name(PHYS_FAULT_LEGREST_OBSTRUCTION), "legrest-obstruction");
        assert_int_equal(chair_driver_sim_inject(f->drv, "no-such-fault", true), -EINVAL);

        assert_int_equal(chair_driver_sim_inject(f->drv, "estop", true), 0);
        assert_int_equal(f->last[CHAIR_IN_ESTOP], 1);
        assert_int_equal(input(f, CHAIR_IN_ESTOP), 1);
        assert_int_equal(second, 1);
        assert_false(chair_driver_sim_is_stepping(f->drv));
        assert_int_equal(chair_driver_sim_inject(f->drv, "estop", false), 0);
        assert_int_equal(input(f, CHAIR_IN_ESTOP), 0);

        /* A fault that keeps changing an input keeps the physics stepping. */
        assert_int_equal(chair_driver_sim_inject(f->drv, "spurious-pulses", true), 0);
        assert_true(chair_driver_sim_is_stepping(f->drv));
        /* 20 pulses a second: a few in 300 ms, but a loaded CI machine may run the loop late,
         * so wait for the first one (bounded) rather than for a fixed time. */
        for (unsigned waited = 0; input(f, CHAIR_IN_ENCODER) <= 0 && waited < 5000; waited += 100)
                run_for(f, 100);
        assert_true(input(f, CHAIR_IN_ENCODER) > 0);
        assert_int_equal(chair_driver_sim_inject(f->drv, "spurious-pulses", false), 0);
        run_for(f, 30);
        assert_false(chair_driver_sim_is_stepping(f->drv));

        assert_int_equal(chair_driver_sim_press_key(f->drv, 7), 0);
        assert_int_equal(input(f, CHAIR_IN_PANEL_KEY), 7);
        assert_int_equal(f->last[CHAIR_IN_PANEL_KEY], 7);
}

static int32_t hw_input(struct chair_hw *hw, enum chair_input in) {
        int32_t v = -12345;
        assert_int_equal(chair_hw_read_input(hw, in, &v), 0);
        return v;
}

/* The posture map on the sim backend through the router: an axis moves and reports; the
 * occupant's sensors follow the harness; the e-stop with two axes moving stops both where
 * they are (never home), on the stop path, and the gate keeps them stopped. */
static void test_posture_axes_and_the_stop_path(void **state) {
        struct fixture *f = *state;
        struct hardware_map *map = calloc(1, sizeof *map);
        struct chair_hw *hw = NULL;
        char err[256] = "";
        int32_t recline, lift;
        enum chair_input stop_in;
        int32_t stop_value;
        int stop_error;
        uint64_t stop_ns;

        assert_non_null(map);
        hardware_map_simulated_posture(map);
        assert_int_equal(chair_hw_open(map, f->loop, &hw, err, sizeof err), 0);
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++) {
                assert_true(chair_hw_has_output(hw, chair_axis_info(a)->motor));
                assert_int_equal(chair_hw_get_output(hw, chair_axis_info(a)->motor), 0);
                assert_int_equal(hw_input(hw, chair_axis_info(a)->end_min), 1);
        }
        assert_int_equal(hw_input(hw, CHAIR_IN_SEAT_OCCUPANCY), 1);

        /* The harness's occupant: nobody, then a person whose feet the retracted rest reaches. */
        assert_int_equal(chair_hw_sim_set_occupant(hw, false, 450, false), 0);
        assert_int_equal(hw_input(hw, CHAIR_IN_SEAT_OCCUPANCY), 0);
        assert_int_equal(hw_input(hw, CHAIR_IN_FEET_ON), 0);
        assert_int_equal(chair_hw_sim_set_occupant(hw, true, 350, true), 0);
        assert_int_equal(hw_input(hw, CHAIR_IN_FEET_ON), 1);
        assert_int_equal(chair_hw_sim_set_occupant(hw, true, 0, true), -EINVAL);

        assert_int_equal(chair_hw_set_output(hw, CHAIR_OUT_RECLINE_MOTOR, 100), 0);
        assert_int_equal(chair_hw_set_output(hw, CHAIR_OUT_LEGREST_LIFT_MOTOR, 100), 0);
        assert_int_equal(chair_hw_set_output(hw, CHAIR_OUT_FOOT_ROLLERS, -40), 0);
        for (unsigned waited = 0; hw_input(hw, CHAIR_IN_RECLINE_POSITION) < 20 && waited < 5000; waited += 50)
                run_for(f, 50);
        assert_true(hw_input(hw, CHAIR_IN_RECLINE_POSITION) >= 20);
        assert_int_equal(hw_input(hw, CHAIR_IN_RECLINE_END_MIN), 0);
        assert_true(hw_input(hw, CHAIR_IN_RECLINE_CURRENT) > 0);
        assert_true(chair_hw_output_active_since(hw, CHAIR_OUT_RECLINE_MOTOR) > 0);

        /* The e-stop: the stop path on the sim's step, before any subscriber. */
        assert_int_equal(chair_hw_sim_inject(hw, "estop", true), 0);
        assert_false(chair_hw_enabled(hw));
        assert_true(chair_hw_stop_reason(hw, &stop_in, &stop_value, &stop_error, &stop_ns));
        assert_int_equal(stop_in, CHAIR_IN_ESTOP);
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                assert_int_equal(chair_hw_get_output(hw, o), chair_output_info(o)->safe_value);
        assert_int_equal(chair_hw_set_output(hw, CHAIR_OUT_RECLINE_MOTOR, 100), -EPERM);
        assert_int_equal(chair_hw_set_output(hw, CHAIR_OUT_LEGREST_LIFT_MOTOR, -100), -EPERM);
        /* Unpowered, the lead screws coast a millimetre or so (under 300 ms), then stand. */
        run_for(f, 500);
        recline = hw_input(hw, CHAIR_IN_RECLINE_POSITION);
        lift = hw_input(hw, CHAIR_IN_LEGREST_LIFT_POSITION);
        assert_true(recline > 0 && lift > 0);
        assert_int_equal(hw_input(hw, CHAIR_IN_RECLINE_CURRENT), 0);
        /* Stopped where they are: a second later nothing went home. A loop that ran late (a
         * loaded machine) may have left the last millimetre of coasting for now: never back,
         * never more than 2 mm (5 per mille of the recline's 400 mm, 7 of the lift's 300). */
        run_for(f, 1000);
        assert_in_range(hw_input(hw, CHAIR_IN_RECLINE_POSITION), recline, recline + 5);
        assert_in_range(hw_input(hw, CHAIR_IN_LEGREST_LIFT_POSITION), lift, lift + 7);
        assert_int_equal(hw_input(hw, CHAIR_IN_RECLINE_END_MIN), 0);
        assert_int_equal(hw_input(hw, CHAIR_IN_RECLINE_CURRENT), 0);

        chair_hw_close(hw);
        free(map);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_opens_safe_and_idle, setup, teardown),
                cmocka_unit_test_setup_teardown(test_set_output_checks, setup, teardown),
                cmocka_unit_test_setup_teardown(test_moves_reports_and_goes_safe, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lit_led_costs_no_wakeups, setup, teardown),
                cmocka_unit_test_setup_teardown(test_output_from_another_thread, setup, teardown),
                cmocka_unit_test_setup_teardown(test_inject_faults, setup, teardown),
                cmocka_unit_test_setup_teardown(test_posture_axes_and_the_stop_path, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
