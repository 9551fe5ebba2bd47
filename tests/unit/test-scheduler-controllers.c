/* SPDX-License-Identifier: MIT */
/* The scheduler's controllers as pure functions (daemon/scheduler/controllers.h): state and
 * inputs in, outputs and the next state out, with no chair, no clock and no thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "scheduler/controllers.h"
#include "timeline.h"
#include "travel.h"

#define MS 1000000ULL
#define S (1000 * MS)

/* The reference chair: 40 mm/s at 100 % duty, the default margin, no floor. */
static const struct travel_limits limits = { .max_speed_mm_s = 40, .margin_pct = TRAVEL_MARGIN_PCT_DEFAULT };

static struct roller_inputs at(uint64_t now_ns, int32_t pos_mm) {
        return (struct roller_inputs) { .now_ns = now_ns, .pos_mm = pos_mm, .speed_pct = 100 };
}

static uint64_t bound_ns(int32_t distance_mm, int32_t speed) {
        return travel_bound_ms(travel_expected_ms(distance_mm, speed, &limits), &limits) * MS;
}

/* ---- roller ---- */

static void test_roller_approach_and_arrival(void **state) {
        struct roller_setpoint sp = { .active = true, .target_mm = 400, .speed = 40 };
        struct roller_progress p = {};
        struct roller_inputs in = at(10 * S, 100);

        roller_start_travel(&sp, &p, &in, &limits);
        assert_int_equal(p.leg_target_mm, 400);
        assert_int_equal(p.dwell_until_ns, 0);
        /* The deadline the supervisor checks: the leg's expected time plus the margin. */
        assert_int_equal(p.deadline_ns, 10 * S + bound_ns(300, 40));

        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 100);
        /* Inside the slowdown band the duty falls with the distance, never below the minimum. */
        in = at(15 * S, 390);
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 100 * 10 / TRAVEL_SLOWDOWN_MM);
        in = at(16 * S, 396);
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 100 * 4 / TRAVEL_SLOWDOWN_MM);
        assert_int_not_equal(p.deadline_ns, 0);
        /* Arrived within TRAVEL_ARRIVED_MM: stands, no deadline, no dwell (not a sweep). */
        in = at(17 * S, 400 - TRAVEL_ARRIVED_MM);
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 0);
        assert_int_equal(p.deadline_ns, 0);
        assert_int_equal(p.dwell_until_ns, 0);
        assert_int_equal(sp.target_mm, 400);
        /* And stays there. */
        in = at(18 * S, 401);
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 0);

        /* Downwards: the sign of the duty. */
        sp.target_mm = 100;
        in = at(20 * S, 400);
        roller_start_travel(&sp, &p, &in, &limits);
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), -100);
        assert_int_equal(p.deadline_ns, 20 * S + bound_ns(300, 40));
}

static void test_roller_stands_when_not_allowed(void **state) {
        struct roller_setpoint sp = { .active = true, .target_mm = 400, .speed = 40 };
        struct roller_progress p = {};
        struct roller_inputs in = at(S, 100);

        roller_start_travel(&sp, &p, &in, &limits);
        struct roller_progress before = p;
        /* Paused: the motor off, the travel kept. */
        assert_int_equal(roller_control(&sp, &p, &in, false, &limits), 0);
        assert_memory_equal(&p, &before, sizeof p);
        /* No roller setpoint (TL_ROLLER_HERE): off. */
        sp.active = false;
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 0);
}

static void test_roller_sweep_turns_closed_loop(void **state) {
        struct roller_setpoint sp = { .active = true, .sweeping = true, .sweep_mm = { 200, 500 }, .target_mm = 200, .speed = 40 };
        struct roller_progress p = {};
        struct roller_inputs in = at(S, 300);

        roller_start_travel(&sp, &p, &in, &limits);
        assert_int_equal(p.leg_target_mm, 200);
        assert_true(roller_control(&sp, &p, &in, true, &limits) < 0);

        /* Time alone never turns a sweep: the encoder has not moved, so the roller keeps
         * driving, and its deadline passes (the supervisor's travel-timeout, a stall). */
        uint64_t t = p.deadline_ns + S;
        in = at(t, 300);
        assert_true(roller_control(&sp, &p, &in, true, &limits) < 0);
        assert_int_equal(sp.target_mm, 200);
        assert_true(travel_overdue(p.deadline_ns, in.now_ns));

        /* The bottom end reached: stand for the dwell, no deadline, then up. */
        t += S;
        in = at(t, 201);
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 0);
        assert_int_equal(sp.target_mm, 500);
        assert_int_equal(p.deadline_ns, 0);
        assert_int_equal(p.dwell_until_ns, t + TRAVEL_DWELL_MS * MS);
        assert_false(travel_overdue(p.deadline_ns, t + 100 * S));
        in = at(t + (TRAVEL_DWELL_MS - 1) * MS, 201);
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 0);
        in = at(t + TRAVEL_DWELL_MS * MS, 201);
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 100);
        assert_int_equal(p.dwell_until_ns, 0);
        assert_int_equal(p.leg_target_mm, 500);
        assert_int_equal(p.deadline_ns, in.now_ns + bound_ns(299, 40));

        /* The top end: turns back down. */
        t += 20 * S;
        in = at(t, 498);
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 0);
        assert_int_equal(sp.target_mm, 200);
        in = at(t + TRAVEL_DWELL_MS * MS, 498);
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), -100);
}

static void test_roller_sweep_ends_equal(void **state) {
        struct roller_setpoint sp = { .active = true, .sweeping = true, .sweep_mm = { 300, 300 }, .target_mm = 300, .speed = 40 };
        struct roller_progress p = {};
        struct roller_inputs in = at(S, 100);

        roller_start_travel(&sp, &p, &in, &limits);
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 100);
        /* At the one end: it stands, without a dwell or a turn that goes anywhere. */
        for (uint64_t t = 10; t < 20; t++) {
                in = at(t * S, 300);
                assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 0);
                assert_int_equal(sp.target_mm, 300);
                assert_int_equal(p.dwell_until_ns, 0);
                assert_int_equal(p.deadline_ns, 0);
        }
}

static void test_roller_speed_modifier(void **state) {
        struct roller_setpoint sp = { .active = true, .target_mm = 200, .speed = 20 };
        struct roller_progress p = {};
        struct roller_inputs in = at(S, 100);

        assert_int_equal(roller_speed(&sp, 100, &limits), 20);
        assert_int_equal(roller_speed(&sp, 50, &limits), 10);
        assert_int_equal(roller_speed(&sp, 140, &limits), 28);
        /* Never faster than the chair, never slower than its minimum duty moves it. */
        assert_int_equal(roller_speed(&sp, 1000, &limits), 40);
        assert_int_equal(roller_speed(&sp, 0, &limits), 40 * TRAVEL_MIN_DUTY / 100);
        assert_int_equal(roller_speed(&sp, -100, &limits), 40 * TRAVEL_MIN_DUTY / 100);
        sp.speed = INT32_MAX;
        assert_int_equal(roller_speed(&sp, INT32_MAX, &limits), 40);
        sp.speed = 20;

        in.speed_pct = 50;
        roller_start_travel(&sp, &p, &in, &limits);
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 25);
        /* The deadline follows the speed driven at. */
        assert_int_equal(p.deadline_ns, S + bound_ns(100, 10));
        /* Slow near the target: the duty falls to the minimum that still moves the roller. */
        in.pos_mm = 195;
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), TRAVEL_MIN_DUTY);
        in.pos_mm = 100;
        in.speed_pct = 140;
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 70);

        /* Zero speed: driven at the minimum, with a finite deadline. */
        sp.speed = 0;
        in.speed_pct = 100;
        roller_start_travel(&sp, &p, &in, &limits);
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), TRAVEL_MIN_DUTY);
        assert_int_equal(p.deadline_ns, S + bound_ns(100, 0));
        assert_true(p.deadline_ns < UINT64_MAX);
}

/* A travel too long for one run of the travel motor (slow, the whole track) runs in legs, each
 * with a bound clear of the motor's maximum on-time, with a stop between them. */
static void test_roller_long_travel_in_legs(void **state) {
        struct roller_setpoint sp = { .active = true, .target_mm = 800, .speed = 1 };
        struct roller_progress p = {};
        int32_t v = roller_speed(&sp, 100, &limits);
        uint32_t legs = travel_legs(800, v, &limits);
        uint64_t now = S;
        int32_t pos = 0;
        unsigned stops = 0;

        assert_true(legs > 1);
        struct roller_inputs in = at(now, pos);
        roller_start_travel(&sp, &p, &in, &limits);
        while (abs(pos - 800) > TRAVEL_ARRIVED_MM) {
                int32_t duty;

                assert_true(p.leg_target_mm > pos);
                assert_true(p.deadline_ns - now <= travel_run_limit_ms() * MS);
                pos = p.leg_target_mm;          /* the roller gets there */
                now += 60 * S;
                in = at(now, pos);
                assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 0);
                assert_int_equal(p.deadline_ns, 0);
                if (abs(pos - 800) <= TRAVEL_ARRIVED_MM)
                        break;
                stops++;
                assert_int_equal(p.dwell_until_ns, now + TRAVEL_DWELL_MS * MS);
                now += TRAVEL_DWELL_MS * MS;
                in = at(now, pos);
                duty = roller_control(&sp, &p, &in, true, &limits);
                assert_true(duty > 0);
                assert_int_not_equal(p.deadline_ns, 0);
        }
        assert_int_equal(stops, legs - 1);
}

/* A roller that creeps (the motor driven, the encoder hardly moving): the controller keeps
 * driving and keeps the deadline it armed at the leg's start (ticks never re-arm it), so the
 * supervisor's travel-timeout sees it overdue long before it arrives. */
static void test_roller_creep_is_overdue(void **state) {
        struct roller_setpoint sp = { .active = true, .target_mm = 500, .speed = 40 };
        struct roller_progress p = {};
        struct roller_inputs in = at(S, 100);
        uint64_t deadline, t;
        int32_t pos = 100;

        roller_start_travel(&sp, &p, &in, &limits);
        deadline = p.deadline_ns;
        for (t = S; !travel_overdue(p.deadline_ns, t); t += 10 * MS) {
                pos = 100 + (int32_t) ((t - S) / (500 * MS));   /* 2 mm/s instead of 40 */
                in = at(t, pos);
                assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 100);
                assert_int_equal(p.deadline_ns, deadline);
        }
        assert_true(pos < 500 - TRAVEL_SLOWDOWN_MM);
        assert_true(t > deadline && t <= deadline + 10 * MS);   /* on the first tick past it */
}

/* A new target in the same direction while the motor runs on continues its run: when that run
 * and the new leg would pass the run's limit, the controller stops first. */
static void test_roller_run_limit_stops_first(void **state) {
        struct roller_setpoint sp = { .active = true, .target_mm = 700, .speed = 40 };
        struct roller_progress p = {};
        uint64_t now = 100 * S;
        struct roller_inputs in = at(now, 100);

        in.motor = 100;
        in.run_started_ns = now - 40 * S;
        roller_start_leg(&sp, &p, &in, &limits);
        assert_int_equal(p.dwell_until_ns, now + TRAVEL_DWELL_MS * MS);
        assert_int_equal(p.deadline_ns, 0);
        /* Standing through the dwell; then a new run with its own deadline. */
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 0);
        in = at(now + TRAVEL_DWELL_MS * MS, 100);
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 100);
        assert_int_equal(p.deadline_ns, in.now_ns + bound_ns(600, 40));

        /* A reversal ends the run anyway: no stop needed. */
        p = (struct roller_progress) {};
        in = at(now, 100);
        in.motor = -100;
        in.run_started_ns = now - 40 * S;
        roller_start_leg(&sp, &p, &in, &limits);
        assert_int_equal(p.dwell_until_ns, 0);
        assert_int_not_equal(p.deadline_ns, 0);
        /* A short run so far: no stop either. */
        in.motor = 100;
        in.run_started_ns = now - S;
        roller_start_leg(&sp, &p, &in, &limits);
        assert_int_equal(p.dwell_until_ns, 0);
}

static void test_roller_limit_switches(void **state) {
        struct roller_setpoint sp = { .active = true, .target_mm = 700, .speed = 40 };
        struct roller_progress p = {};
        struct roller_inputs in = at(S, 400);

        roller_start_travel(&sp, &p, &in, &limits);
        in.limit_top = true;
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 0);
        in.limit_top = false;
        in.limit_bottom = true;     /* the other end: does not stop a travel up */
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 100);

        sp.target_mm = 10;
        roller_start_travel(&sp, &p, &in, &limits);
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 0);
        in.limit_bottom = false;
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), -100);

        assert_true(roller_parked(0, false));
        assert_true(roller_parked(TRAVEL_ARRIVED_MM, false));
        assert_false(roller_parked(TRAVEL_ARRIVED_MM + 1, false));
        assert_true(roller_parked(500, true));
        assert_true(roller_parked(-5, false));
}

/* Absolute times near the end of the clock, and inputs at the ends of their range: saturated,
 * never wrapped (a wrapped deadline would be "long ago", a fault at once). UBSan checks the
 * arithmetic. */
static void test_roller_overflow(void **state) {
        struct roller_setpoint sp = { .active = true, .sweeping = true, .sweep_mm = { 100, 700 }, .target_mm = 100, .speed = 40 };
        struct roller_progress p = {};
        struct roller_inputs in = at(UINT64_MAX - MS, 400);

        roller_start_travel(&sp, &p, &in, &limits);
        assert_int_equal(p.deadline_ns, UINT64_MAX);
        assert_false(travel_overdue(p.deadline_ns, UINT64_MAX));
        in.pos_mm = 100;
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 0);
        assert_int_equal(p.dwell_until_ns, UINT64_MAX);

        /* A run that began "after" now (a clock going backwards) is a short run, no stop. */
        p = (struct roller_progress) {};
        in = at(S, 400);
        in.motor = 100;
        in.run_started_ns = 10 * S;
        roller_start_leg(&sp, &p, &in, &limits);
        assert_int_equal(p.dwell_until_ns, 0);

        /* An encoder at the end of its range. */
        sp = (struct roller_setpoint) { .active = true, .target_mm = 800, .speed = 40 };
        in = at(S, INT32_MIN);
        roller_start_travel(&sp, &p, &in, &limits);
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), 100);
        sp.target_mm = 0;
        in = at(S, INT32_MAX);
        roller_start_travel(&sp, &p, &in, &limits);
        assert_int_equal(roller_control(&sp, &p, &in, true, &limits), -100);
}

/* ---- mechanism ---- */

static void expect_mechanism(struct mechanism_outputs o, int32_t knead, int32_t tap, int32_t width, int32_t depth) {
        assert_int_equal(o.knead, knead);
        assert_int_equal(o.tap, tap);
        assert_int_equal(o.width, width);
        assert_int_equal(o.depth, depth);
}

static void test_mechanism(void **state) {
        struct mechanism_setpoint sp = { .knead = 60, .tap = 50, .width = 2, .depth = 3 };

        expect_mechanism(mechanism_control(&sp, 100, -1, true), 60, 50, 2, 3);
        /* The live intensity scales the motors and the depth (rounded to whole steps). */
        expect_mechanism(mechanism_control(&sp, 50, -1, true), 30, 25, 2, 2);
        expect_mechanism(mechanism_control(&sp, 200, -1, true), 100, 100, 2, 5);
        /* The person's width wins over the timeline's; the width holds while paused. */
        expect_mechanism(mechanism_control(&sp, 100, 0, false), 0, 0, 0, 0);
        expect_mechanism(mechanism_control(&sp, 100, -1, false), 0, 0, 2, 0);
        /* Out of range: clamped, without overflow. */
        sp = (struct mechanism_setpoint) { .knead = INT32_MIN, .tap = -5, .width = 9, .depth = INT32_MAX };
        expect_mechanism(mechanism_control(&sp, INT32_MAX, -1, true), -100, 0, 2, 5);
        expect_mechanism(mechanism_control(&sp, INT32_MIN, -1, true), 100, 100, 2, 0);
        expect_mechanism(mechanism_control(&sp, 0, 7, true), 0, 0, 2, 0);
}

/* ---- air ---- */

static void test_air_by_pressure(void **state) {
        struct air_zone_state zones[_CHAIR_AIR_ZONE_MAX] = {};
        struct air_outputs o;
        uint64_t last = 0;
        struct air_inputs in = { .now_ns = S, .pressure = 0, .intensity_pct = 100, .inflate_allowed = true };

        /* Nothing asked: every valve venting, the pump off, the release valve open. */
        air_control(zones, &last, &in, &o);
        assert_false(o.pump);
        assert_true(o.release);
        assert_int_equal(o.active, 0);
        for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++)
                assert_false(o.valve[z]);

        /* Inflate zone 0 at level 3 (the default level) and zone 1 at level 5. */
        air_zone_command(&zones[0], TL_AIR_INFLATE);
        air_zone_command(&zones[1], TL_AIR_INFLATE | 5 << 8);
        assert_int_equal(air_zone_level(&zones[0], 100), 3);
        assert_int_equal(air_zone_level(&zones[1], 100), 5);
        air_control(zones, &last, &in, &o);
        assert_true(o.pump);
        assert_true(o.valve[0]);
        assert_true(o.valve[1]);
        assert_false(o.release);
        assert_int_equal(o.active, 3);
        /* Zone 0's target reached: it holds, zone 1 still pumps. */
        in.pressure = air_target(3);
        air_control(zones, &last, &in, &o);
        assert_false(zones[0].pumping);
        assert_true(zones[1].pumping);
        assert_true(o.pump);
        assert_true(o.valve[0]);
        in.pressure = air_target(5);
        air_control(zones, &last, &in, &o);
        assert_false(o.pump);
        assert_int_equal(o.active, 3);
        assert_false(o.release);

        /* Paused: an inflating zone holds, the pump stops. */
        in.pressure = 0;
        in.inflate_allowed = false;
        air_control(zones, &last, &in, &o);
        assert_false(o.pump);
        assert_true(o.valve[0]);
        assert_int_equal(o.active, 3);
        in.inflate_allowed = true;

        /* Hold, then release: the valve vents, the release valve opens once none holds. */
        air_zone_command(&zones[0], TL_AIR_HOLD);
        air_zone_command(&zones[1], TL_AIR_RELEASE);
        air_control(zones, &last, &in, &o);
        assert_false(o.pump);
        assert_true(o.valve[0]);
        assert_false(o.valve[1]);
        assert_false(o.release);
        assert_int_equal(o.active, 1);
        air_zone_command(&zones[0], TL_AIR_RELEASE);
        air_control(zones, &last, &in, &o);
        assert_true(o.release);
        assert_int_equal(o.active, 0);
}

static void test_air_levels(void **state) {
        struct air_zone_state z = {};

        /* Scaled by the live intensity, within 1-5; as given: not scaled. */
        air_zone_command(&z, TL_AIR_INFLATE | 4 << 8);
        assert_int_equal(z.action, TL_AIR_INFLATE);
        assert_int_equal(air_zone_level(&z, 100), 4);
        assert_int_equal(air_zone_level(&z, 50), 2);
        assert_int_equal(air_zone_level(&z, 10), 1);
        assert_int_equal(air_zone_level(&z, 200), 5);
        assert_int_equal(air_zone_level(&z, INT32_MAX), 5);
        air_zone_command(&z, TL_AIR_INFLATE | 4 << 8 | TL_AIR_LEVEL_AS_GIVEN);
        assert_true(z.as_given);
        assert_int_equal(air_zone_level(&z, 50), 4);
        air_zone_command(&z, TL_AIR_INFLATE | 0xff << 8 | TL_AIR_LEVEL_AS_GIVEN);
        assert_int_equal(air_zone_level(&z, 100), 5);
        /* Targets rise with the level. */
        for (int32_t l = 2; l <= 5; l++)
                assert_true(air_target(l) > air_target(l - 1));
        assert_int_equal(air_target(0), air_target(1));
        assert_int_equal(air_target(9), air_target(5));
}

/* Without a pressure sensor: each level pumps for its time, then holds; the time counts only
 * while the pump runs, and a release starts the next inflation from empty. */
static void test_air_timed(void **state) {
        static const uint32_t inflate_ms[6] = { 0, 1000, 2000, 3000, 4000, 5000 };
        struct air_zone_state zones[_CHAIR_AIR_ZONE_MAX] = {};
        struct air_outputs o;
        uint64_t last = 0;
        struct air_inputs in = { .now_ns = S, .pressure = 9999, .intensity_pct = 100, .inflate_allowed = true,
                                 .inflate_ms = inflate_ms };

        air_zone_command(&zones[2], TL_AIR_INFLATE | 2 << 8);
        air_control(zones, &last, &in, &o);
        assert_true(o.pump);            /* a pressure reading does not matter */
        assert_int_equal(zones[2].pumped_ns, 0);
        in.now_ns = S + 1500 * MS;
        air_control(zones, &last, &in, &o);
        assert_true(o.pump);
        assert_int_equal(zones[2].pumped_ns, 1500 * MS);
        /* Paused half-way: held, and the pause does not count. */
        in.now_ns = S + 1600 * MS;
        in.inflate_allowed = false;
        air_control(zones, &last, &in, &o);
        assert_false(o.pump);
        assert_true(o.valve[2]);
        assert_int_equal(zones[2].pumped_ns, 1600 * MS);
        in.now_ns = 60 * S;
        air_control(zones, &last, &in, &o);
        assert_int_equal(zones[2].pumped_ns, 1600 * MS);
        in.inflate_allowed = true;
        air_control(zones, &last, &in, &o);
        assert_true(o.pump);
        in.now_ns = 60 * S + 400 * MS;
        air_control(zones, &last, &in, &o);
        assert_false(o.pump);           /* 2000 ms pumped: level 2's time */
        assert_true(o.valve[2]);
        assert_int_equal(o.active, 1u << 2);
        assert_int_equal(zones[2].pumped_ns, 2000 * MS);
        in.now_ns = 120 * S;
        air_control(zones, &last, &in, &o);
        assert_false(o.pump);

        air_zone_command(&zones[2], TL_AIR_RELEASE);
        assert_int_equal(zones[2].pumped_ns, 0);
        air_zone_command(&zones[2], TL_AIR_INFLATE | 1 << 8);
        air_control(zones, &last, &in, &o);
        assert_true(o.pump);

        /* A clock that goes backwards adds nothing; pumped time saturates. */
        in.now_ns = S;
        air_control(zones, &last, &in, &o);
        assert_int_equal(zones[2].pumped_ns, 0);
        zones[2].pumped_ns = UINT64_MAX - 1;
        zones[2].pumping = true;
        in.now_ns = 3 * S;
        air_control(zones, &last, &in, &o);
        assert_int_equal(zones[2].pumped_ns, UINT64_MAX);
        assert_false(o.pump);

        /* The longest time a level may be given does not overflow. */
        static const uint32_t long_ms[6] = { 0, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX };
        memset(zones, 0, sizeof zones);
        air_zone_command(&zones[0], TL_AIR_INFLATE);
        in.inflate_ms = long_ms;
        air_control(zones, &last, &in, &o);
        assert_true(o.pump);
}

/* ---- heat ---- */

static void test_heat(void **state) {
        /* Off at level 0 whatever the temperature; on below the band, off at the setpoint. */
        assert_int_equal(heat_control(0, 0), HEAT_ELEMENT_OFF);
        for (int32_t level = 1; level <= 3; level++) {
                int32_t sp = heat_setpoint(level);
                assert_int_equal(heat_control(level, 200), HEAT_ELEMENT_ON);
                assert_int_equal(heat_control(level, sp - 21), HEAT_ELEMENT_ON);
                assert_int_equal(heat_control(level, sp - 20), HEAT_ELEMENT_KEEP);
                assert_int_equal(heat_control(level, sp - 1), HEAT_ELEMENT_KEEP);
                assert_int_equal(heat_control(level, sp), HEAT_ELEMENT_OFF);
                assert_int_equal(heat_control(level, INT32_MAX), HEAT_ELEMENT_OFF); /* unreadable */
                /* Clear of the default 60 degC over-temperature interlock. */
                assert_true(sp < 600);
                if (level > 1)
                        assert_true(sp > heat_setpoint(level - 1));
        }
        assert_int_equal(heat_setpoint(0), 0);
        assert_int_equal(heat_setpoint(7), heat_setpoint(3));
        /* The level heated at: the timeline's within 0-3, none while paused. */
        assert_int_equal(heat_zone_level(2, true), 2);
        assert_int_equal(heat_zone_level(2, false), 0);
        assert_int_equal(heat_zone_level(9, true), 3);
        assert_int_equal(heat_zone_level(-1, true), 0);
        assert_int_equal(heat_control(heat_zone_level(INT32_MAX, true), 0), HEAT_ELEMENT_ON);
        assert_int_equal(heat_control(-5, 0), HEAT_ELEMENT_OFF);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roller_approach_and_arrival),
                cmocka_unit_test(test_roller_stands_when_not_allowed),
                cmocka_unit_test(test_roller_sweep_turns_closed_loop),
                cmocka_unit_test(test_roller_sweep_ends_equal),
                cmocka_unit_test(test_roller_speed_modifier),
                cmocka_unit_test(test_roller_long_travel_in_legs),
                cmocka_unit_test(test_roller_creep_is_overdue),
                cmocka_unit_test(test_roller_run_limit_stops_first),
                cmocka_unit_test(test_roller_limit_switches),
                cmocka_unit_test(test_roller_overflow),
                cmocka_unit_test(test_mechanism),
                cmocka_unit_test(test_air_by_pressure),
                cmocka_unit_test(test_air_levels),
                cmocka_unit_test(test_air_timed),
                cmocka_unit_test(test_heat),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
