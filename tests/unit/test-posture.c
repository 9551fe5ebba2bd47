/* SPDX-License-Identifier: MIT */
/* The posture axes' motion rules (daemon/posture.h, docs/posture.md) end to end on the whole
 * chair in virtual time, on the simulated chair with every axis: an obstruction stops,
 * reverses and latches, after which only slow releasing hold-to-run moves pass and only a
 * technician clears it; no occupant, no automatic motion; the person leaving stops the axes
 * and pauses the session; the fit stops at the feet and never retracts; the lease, the key and
 * the owner end a manual move; the e-stop and a stalled scheduler stop every axis where it is;
 * the return upright is slow and watched; the wall clearance holds; the precautions refuse;
 * the old chair (no axes) is unchanged. The measured times are printed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "chair-hw.h"
#include "posture.h"
#include "supervisor.h"
#include "vt-harness.h"

#define OWNER 0x1234
#define LEASE_MS 200

/* The simulated chair with every axis, the map's defaults (60 % duty, soft limits 20-980 per
 * mille, 3000 mA, 30 s): the reference chair's values. */
static void posture_map(struct hardware_map *m) {
        hardware_map_simulated_posture(m);
}

static struct vt_harness *harness_with(const struct hardware_map *m) {
        struct vt_harness *h = NULL;
        assert_int_equal(vt_harness_new(&(struct vt_harness_options) { .map = m }, &h), 0);
        return h;
}

static struct vt_harness *harness(void) {
        struct hardware_map m;
        posture_map(&m);
        return harness_with(&m);
}

static struct posture *P(struct vt_harness *h) {
        return vt_harness_core(h)->posture;
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

/* Follows the axis for a second in 10 ms samples: the ms until it came to a stand (its
 * position from then on is the last one). */
static uint64_t run_until_settled(struct vt_harness *h, enum chair_axis a) {
        int32_t samples[101];
        size_t n = 0;

        samples[n++] = pos(h, a);
        while (n < ARRAY_SIZE(samples)) {
                vt_harness_run_for(h, 10);
                samples[n++] = pos(h, a);
        }
        while (n > 1 && samples[n - 2] == samples[ARRAY_SIZE(samples) - 1])
                n--;
        return (n - 1) * 10;
}

/* Holds a manual move for ms, renewing the lease every 100 ms like a client; the result of
 * the last call. */
static int hold(struct vt_harness *h, enum chair_axis a, int dir, uint64_t ms, struct chair_error *e) {
        int r = 0;
        for (uint64_t t = 0; t < ms; t += 100) {
                r = posture_move(P(h), a, dir, LEASE_MS, OWNER, e);
                if (r < 0)
                        return r;
                vt_harness_run_for(h, 100);
        }
        return r;
}

static void test_old_chair_unchanged(void **state) {
        struct vt_harness *h = harness_with(NULL);
        struct chair_error e = CHAIR_ERROR_NULL;
        int32_t v;

        assert_int_equal(posture_axes(P(h)), 0);
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++) {
                assert_int_equal(posture_position(P(h), a, &v), -ENODEV);
                assert_int_not_equal(posture_move(P(h), a, 1, LEASE_MS, OWNER, &e), 0);
                assert_true(chair_error_is(&e, CHAIR_REASON_NOT_PERMITTED));
                chair_error_reset(&e);
        }
        for (unsigned p = 0; p < _POSTURE_PRESET_MAX; p++) {
                assert_int_not_equal(posture_preset(P(h), p, &e), 0);
                chair_error_reset(&e);
        }
        assert_int_not_equal(posture_fit_legs(P(h), &e), 0);
        chair_error_reset(&e);
        assert_int_not_equal(posture_return_upright(P(h), &e), 0);
        chair_error_reset(&e);
        assert_int_not_equal(posture_set_rotary(P(h), CHAIR_OUT_FOOT_ROLLERS, 50, &e), 0);
        vt_harness_run_for(h, 1000);
        for (size_t i = 0; i < vt_harness_record(h)->n_outputs; i++)
                assert_true(chair_output_axis(vt_harness_record(h)->outputs[i].out) < 0);
        assert_null(vt_harness_first_fault(h));
        vt_harness_free(h);
}

static void test_presets(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(posture_axes(P(h)), (1u << _CHAIR_AXIS_MAX) - 1);
        assert_string_equal(posture_preset_to_string(POSTURE_PRESET_ZERO_GRAVITY_2), "zero-gravity-2");
        assert_int_equal(posture_preset_from_string("flat"), POSTURE_PRESET_FLAT);
        assert_int_equal(posture_preset(P(h), POSTURE_PRESET_ZERO_GRAVITY_2, &e), 0);
        assert_true(posture_moving(P(h)));
        assert_int_equal(motor(h, CHAIR_AXIS_RECLINE), 60);
        assert_int_equal(motor(h, CHAIR_AXIS_LEGREST_EXTEND), 0); /* the fit's, never a preset's */
        vt_harness_run_for(h, 30000);
        assert_false(posture_moving(P(h)));
        assert_true(all_still(h));
        assert_in_range(pos(h, CHAIR_AXIS_RECLINE), 550 - 10, 550 + 5);
        assert_in_range(pos(h, CHAIR_AXIS_LEGREST_LIFT), 650 - 10, 650 + 5);
        assert_in_range(pos(h, CHAIR_AXIS_SEAT_SLIDE), 550 - 10, 550 + 5);
        assert_int_equal(pos(h, CHAIR_AXIS_LEGREST_EXTEND), 0);
        assert_null(vt_harness_first_fault(h));
        vt_harness_free(h);
}

static void test_no_occupant_no_automatic_motion(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(vt_harness_set_occupant(h, false, 450, false), 0);
        vt_harness_run_for(h, 20);
        for (unsigned p = 0; p < _POSTURE_PRESET_MAX; p++) {
                assert_int_not_equal(posture_preset(P(h), p, &e), 0);
                assert_true(chair_error_is(&e, CHAIR_REASON_NOT_OCCUPIED));
                chair_error_reset(&e);
        }
        assert_int_not_equal(posture_fit_legs(P(h), &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_NOT_OCCUPIED));
        chair_error_reset(&e);
        assert_int_not_equal(posture_return_upright(P(h), &e), 0);
        vt_harness_run_for(h, 1000);
        assert_true(all_still(h));
        assert_int_equal(pos(h, CHAIR_AXIS_RECLINE), 0);
        vt_harness_free(h);
}

static void test_person_leaves_mid_move(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;
        struct session *s = vt_harness_core(h)->session;
        uint64_t t_left, t_stopped = 0, settle;
        int32_t at;

        assert_int_equal(session_start(s, "swedish", &(struct session_options) { .duration_s = 600, .scan = 0 }, &e), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_RUNNING, 5000), 0);
        assert_int_equal(posture_preset(P(h), POSTURE_PRESET_ZERO_GRAVITY_3, &e), 0);
        vt_harness_run_for(h, 3000);
        assert_true(posture_moving(P(h)));
        t_left = vt_harness_now_ms(h);
        assert_int_equal(vt_harness_set_occupant(h, false, 450, false), 0);
        for (int i = 0; i < 10 && !t_stopped; i++) {
                vt_harness_run_for(h, 1);
                if (all_still(h))
                        t_stopped = vt_harness_now_ms(h);
        }
        assert_true(t_stopped > 0);
        assert_false(posture_moving(P(h)));
        settle = run_until_settled(h, CHAIR_AXIS_RECLINE);
        at = pos(h, CHAIR_AXIS_RECLINE);
        assert_int_equal(session_get_state(s), SESSION_PAUSED);
        vt_harness_run_for(h, 5000);
        assert_true(settle < 1000);
        assert_int_equal(pos(h, CHAIR_AXIS_RECLINE), at);
        assert_true(all_still(h));
        /* Nobody there: nothing moves by itself again. */
        assert_int_not_equal(posture_preset(P(h), POSTURE_PRESET_ZERO_GRAVITY_3, &e), 0);
        print_message("person leaves -> motors commanded 0: %llu ms (the sim's 10 ms step that read the seat); "
                      "-> recline at a stand: %llu ms more\n",
                      (unsigned long long) (t_stopped - t_left), (unsigned long long) settle);
        vt_harness_free(h);
}

static void test_fit_stops_at_feet_never_retracts(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;
        const struct vt_record *rec;
        int32_t fitted;

        /* 450 mm legs, 380 mm reach: the feet are felt at 70 mm of 200 (350 per mille). */
        assert_int_equal(posture_fit_legs(P(h), &e), 0);
        assert_int_equal(posture_axis_motion(P(h), CHAIR_AXIS_LEGREST_EXTEND), POSTURE_FIT);
        vt_harness_run_for(h, 20000);
        assert_int_equal(posture_axis_motion(P(h), CHAIR_AXIS_LEGREST_EXTEND), POSTURE_STILL);
        fitted = pos(h, CHAIR_AXIS_LEGREST_EXTEND);
        assert_in_range(fitted, 350, 365);
        /* Fitted already: a second fit does nothing. */
        assert_int_equal(posture_fit_legs(P(h), &e), 0);
        assert_false(posture_moving(P(h)));
        /* Legs longer than the leg rest reaches: it extends to its limit and stops there. */
        assert_int_equal(vt_harness_set_occupant(h, true, 700, true), 0);
        vt_harness_run_for(h, 20);
        assert_int_equal(posture_fit_legs(P(h), &e), 0);
        vt_harness_run_for(h, 30000);
        assert_false(posture_moving(P(h)));
        assert_in_range(pos(h, CHAIR_AXIS_LEGREST_EXTEND), 960, 980);
        rec = vt_harness_record(h);
        for (size_t i = 0; i < rec->n_outputs; i++)
                if (rec->outputs[i].out == CHAIR_OUT_LEGREST_EXTEND_MOTOR)
                        assert_true(rec->outputs[i].value >= 0); /* never retracted */
        assert_null(vt_harness_first_fault(h));
        vt_harness_free(h);
}

static void test_hold_to_run(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;
        uint64_t t_lapse, t_stopped = 0;

        assert_int_equal(hold(h, CHAIR_AXIS_RECLINE, 1, 2000, &e), 0);
        assert_int_equal(motor(h, CHAIR_AXIS_RECLINE), 60);
        /* Another client cannot take it over; bad leases are refused. */
        assert_int_not_equal(posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, 1, LEASE_MS, OWNER + 1, &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_BUSY));
        chair_error_reset(&e);
        assert_int_not_equal(posture_move(P(h), CHAIR_AXIS_RECLINE, 1, POSTURE_LEASE_MAX_MS + 1, OWNER, &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_INVALID_ARGS));
        chair_error_reset(&e);
        /* The lease lapses: stopped within one lease period of the last renewal. */
        t_lapse = vt_harness_now_ms(h);
        for (int i = 0; i < 2 * LEASE_MS && !t_stopped; i++) {
                vt_harness_run_for(h, 1);
                if (motor(h, CHAIR_AXIS_RECLINE) == 0)
                        t_stopped = vt_harness_now_ms(h);
        }
        assert_true(t_stopped > 0);
        /* The last renewal was 100 ms before t_lapse. */
        assert_true(t_stopped - t_lapse + 100 <= LEASE_MS);
        print_message("lease lapse -> recline motor 0: %llu ms after the last renewal (lease %u ms); at a stand %llu ms later\n",
                      (unsigned long long) (t_stopped - t_lapse + 100), LEASE_MS,
                      (unsigned long long) run_until_settled(h, CHAIR_AXIS_RECLINE));
        /* The key released. */
        assert_int_equal(posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, 1, LEASE_MS, OWNER, &e), 0);
        vt_harness_run_for(h, 50);
        assert_int_equal(posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, 0, 0, OWNER, &e), 0);
        assert_true(all_still(h));
        /* The owner goes (a client disconnects); another owner's "gone" ends nothing. */
        assert_int_equal(posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, 1, 1000, OWNER, &e), 0);
        vt_harness_run_for(h, 50);
        posture_owner_gone(P(h), OWNER + 1);
        assert_int_equal(motor(h, CHAIR_AXIS_LEGREST_LIFT), 60);
        posture_owner_gone(P(h), OWNER);
        assert_true(all_still(h));
        assert_false(posture_moving(P(h)));
        assert_null(vt_harness_first_fault(h));
        vt_harness_free(h);
}

static void test_obstruction(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;
        struct posture_obstruction_times t;
        const struct vt_fault_event *f;
        int32_t top = 0, released;
        char reason[160];

        assert_int_equal(hold(h, CHAIR_AXIS_LEGREST_LIFT, 1, 1000, &e), 0);
        assert_int_equal(chair_core_sim_inject_fault(vt_harness_core(h), "legrest-obstruction", true), 0);
        assert_int_equal(posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, 1, LEASE_MS, OWNER, &e), 0);
        /* The object lies 20 mm on: met within 2 s at 15 mm/s; keep holding the key. */
        for (int i = 0; i < 40 && !vt_harness_first_fault(h); i++) {
                (void) posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, 1, LEASE_MS, OWNER, NULL);
                vt_harness_run_for(h, 100);
                top = MAX(top, pos(h, CHAIR_AXIS_LEGREST_LIFT));
        }
        f = vt_harness_first_fault(h);
        assert_non_null(f);
        assert_string_equal(f->code, "legrest-pinch");
        assert_int_equal(chair_fault_number("legrest-pinch"), 26);
        posture_obstruction_times(P(h), &t);
        assert_true(t.detected_us > 0 && t.stopped_us == t.detected_us);
        assert_true(t.reverse_start_us > t.stopped_us && t.reverse_done_us >= t.reverse_start_us);
        assert_true(t.latched_us >= t.reverse_done_us);
        assert_true(all_still(h));
        assert_int_equal(posture_pinched_axis(P(h)), CHAIR_AXIS_LEGREST_LIFT);
        released = pos(h, CHAIR_AXIS_LEGREST_LIFT);
        /* Reversed 30 mm or 1 s at 60 % (15 mm/s), whichever first: about 13 mm (43 per mille)
         * from where it met the object. */
        assert_true(t.reverse_done_us - t.reverse_start_us <= 1000000);
        assert_in_range(top - released, 30, 100);
        print_message("obstruction -> motors commanded 0: %llu ms; reverse from %llu ms to %llu ms (%llu ms); latched at %llu ms\n",
                      (unsigned long long) ((t.stopped_us - t.detected_us) / 1000),
                      (unsigned long long) ((t.reverse_start_us - t.detected_us) / 1000),
                      (unsigned long long) ((t.reverse_done_us - t.detected_us) / 1000),
                      (unsigned long long) ((t.reverse_done_us - t.reverse_start_us) / 1000),
                      (unsigned long long) ((t.latched_us - t.detected_us) / 1000));
        vt_harness_run_for(h, 500); /* coasting to a stand */
        released = pos(h, CHAIR_AXIS_LEGREST_LIFT);
        vt_harness_run_for(h, 2000);
        assert_int_equal(pos(h, CHAIR_AXIS_LEGREST_LIFT), released); /* nothing moves by itself */
        assert_int_equal(chair_core_sim_inject_fault(vt_harness_core(h), "legrest-obstruction", false), 0);

        /* Only releasing moves, slowly, hold-to-run: not toward the object, no other axis, no preset. */
        assert_int_not_equal(posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, 1, LEASE_MS, OWNER, &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_FAULT_LATCHED));
        chair_error_reset(&e);
        assert_int_not_equal(posture_move(P(h), CHAIR_AXIS_RECLINE, 1, LEASE_MS, OWNER, &e), 0);
        chair_error_reset(&e);
        assert_int_not_equal(posture_preset(P(h), POSTURE_PRESET_UPRIGHT, &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_FAULT_LATCHED));
        chair_error_reset(&e);
        assert_int_not_equal(posture_fit_legs(P(h), &e), 0);
        chair_error_reset(&e);
        assert_true(all_still(h));
        assert_int_equal(posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, -1, LEASE_MS, OWNER, &e), 0);
        assert_int_equal(motor(h, CHAIR_AXIS_LEGREST_LIFT), -20);
        vt_harness_run_for(h, 100);
        assert_int_equal(posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, -1, LEASE_MS, OWNER, &e), 0);
        vt_harness_run_for(h, 100);
        assert_true(pos(h, CHAIR_AXIS_LEGREST_LIFT) < released);
        vt_harness_run_for(h, LEASE_MS);
        assert_true(all_still(h)); /* the lease lapsed */
        assert_true(supervisor_latched(vt_harness_core(h)->supervisor));

        /* The person cannot clear it: the panel's keys do nothing to the latch. */
        for (unsigned k = 0; k < _CHAIR_KEY_MAX; k++) {
                vt_harness_key_down(h, k);
                vt_harness_run_for(h, 150);
                vt_harness_key_up(h);
                vt_harness_run_for(h, 150);
        }
        assert_true(supervisor_latched(vt_harness_core(h)->supervisor));
        assert_string_equal(supervisor_fault_code(vt_harness_core(h)->supervisor), "legrest-pinch");
        assert_int_equal(posture_pinched_axis(P(h)), CHAIR_AXIS_LEGREST_LIFT);
        /* The technician can. */
        assert_int_equal(supervisor_clear(vt_harness_core(h)->supervisor, "technician", reason, sizeof reason), 0);
        assert_int_equal(posture_pinched_axis(P(h)), -1);
        assert_int_equal(posture_move(P(h), CHAIR_AXIS_RECLINE, 1, LEASE_MS, OWNER, &e), 0);
        assert_int_equal(motor(h, CHAIR_AXIS_RECLINE), 60);
        vt_harness_free(h);
}

/* An axis sensed by its current (a map without the bumper): the object in the leg rest's path
 * locks the actuator, and the rise over the running current is an obstruction (the current
 * limit raised here, so that the rise is what shows it). */
static void test_current_rise_is_an_obstruction(void **state) {
        struct hardware_map m;
        struct vt_harness *h;
        struct chair_error e = CHAIR_ERROR_NULL;
        struct posture_obstruction_times t;
        const struct vt_fault_event *f;

        posture_map(&m);
        m.axes[CHAIR_AXIS_LEGREST_LIFT].obstruction = HW_OBSTRUCTION_CURRENT;
        m.axes[CHAIR_AXIS_LEGREST_LIFT].bumper = -1;
        m.axes[CHAIR_AXIS_LEGREST_LIFT].obstruction_rise_ma = 500;
        m.axes[CHAIR_AXIS_LEGREST_LIFT].current_max_ma = 10000;
        h = harness_with(&m);
        if (hold(h, CHAIR_AXIS_LEGREST_LIFT, 1, 500, &e) < 0)
                fail_msg("refused: %s", e.message);
        assert_null(vt_harness_first_fault(h));
        assert_int_equal(chair_core_sim_inject_fault(vt_harness_core(h), "legrest-obstruction", true), 0);
        /* Met 20 mm on; the key held on is refused once it stopped; then it latches. */
        assert_true(hold(h, CHAIR_AXIS_LEGREST_LIFT, 1, 3000, &e) < 0);
        vt_harness_run_for(h, 1500);
        f = vt_harness_first_fault(h);
        assert_non_null(f);
        assert_string_equal(f->code, "legrest-pinch");
        assert_non_null(strstr(f->message, "rose"));
        posture_obstruction_times(P(h), &t);
        assert_true(t.detected_us > 0 && t.stopped_us == t.detected_us);
        assert_true(all_still(h));
        vt_harness_free(h);
}

/* A stop during the reverse ends the reverse and latches all the same. */
static void test_stop_during_reverse_still_latches(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;
        struct posture_obstruction_times t;

        assert_int_equal(chair_core_sim_inject_fault(vt_harness_core(h), "legrest-obstruction", true), 0);
        assert_int_equal(posture_fit_legs(P(h), &e), 0);
        for (int i = 0; i < 600; i++) {
                vt_harness_run_for(h, 10);
                posture_obstruction_times(P(h), &t);
                if (t.reverse_start_us)
                        break;
        }
        assert_int_equal(posture_axis_motion(P(h), CHAIR_AXIS_LEGREST_EXTEND), POSTURE_RELEASING);
        posture_stop(P(h));
        assert_true(all_still(h));
        assert_int_equal(posture_pinched_axis(P(h)), CHAIR_AXIS_LEGREST_EXTEND);
        assert_string_equal(supervisor_fault_code(vt_harness_core(h)->supervisor), "legrest-pinch");
        vt_harness_free(h);
}

/* The e-stop while a pinch is latched: the release permit is gone with it. */
static void test_estop_revokes_the_release(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(chair_core_sim_inject_fault(vt_harness_core(h), "legrest-obstruction", true), 0);
        assert_int_equal(posture_fit_legs(P(h), &e), 0);
        vt_harness_run_for(h, 6000);
        assert_int_equal(posture_pinched_axis(P(h)), CHAIR_AXIS_LEGREST_EXTEND);
        assert_int_equal(chair_core_sim_inject_fault(vt_harness_core(h), "estop", true), 0);
        vt_harness_run_for(h, 100);
        assert_int_not_equal(posture_move(P(h), CHAIR_AXIS_LEGREST_EXTEND, -1, LEASE_MS, OWNER, &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_FAULT_LATCHED));
        assert_int_equal(chair_hw_set_output(vt_harness_core(h)->hw, CHAIR_OUT_LEGREST_EXTEND_MOTOR, -20), -EPERM);
        assert_true(all_still(h));
        vt_harness_free(h);
}

static void test_estop_stops_where_it_is(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;
        int32_t at[_CHAIR_AXIS_MAX];
        uint64_t t0;
        const struct vt_record *rec;

        assert_int_equal(posture_preset(P(h), POSTURE_PRESET_FLAT, &e), 0);
        vt_harness_run_for(h, 4000);
        t0 = vt_harness_now_ms(h);
        assert_int_equal(chair_core_sim_inject_fault(vt_harness_core(h), "estop", true), 0);
        vt_harness_run_for(h, 20);
        assert_true(all_still(h));
        assert_false(posture_moving(P(h)));
        print_message("e-stop -> recline at a stand: %llu ms\n", (unsigned long long) run_until_settled(h, CHAIR_AXIS_RECLINE));
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                at[a] = pos(h, a);
        vt_harness_run_for(h, 10000);
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                assert_int_equal(pos(h, a), at[a]);
        /* No path moves an axis after the stop, nor a manual move while it is latched. */
        assert_int_not_equal(posture_move(P(h), CHAIR_AXIS_RECLINE, -1, LEASE_MS, OWNER, &e), 0);
        rec = vt_harness_record(h);
        for (size_t i = 0; i < rec->n_outputs; i++)
                if (rec->outputs[i].at_ms > t0 && chair_output_axis(rec->outputs[i].out) >= 0)
                        assert_int_equal(rec->outputs[i].value, 0);
        vt_harness_free(h);
}

static void test_stalled_scheduler_stops_where_it_is(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;
        struct session *s = vt_harness_core(h)->session;
        int32_t at[_CHAIR_AXIS_MAX];

        assert_int_equal(session_start(s, "swedish", &(struct session_options) { .duration_s = 600, .scan = 0 }, &e), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_RUNNING, 5000), 0);
        assert_int_equal(posture_preset(P(h), POSTURE_PRESET_ZERO_GRAVITY_3, &e), 0);
        vt_harness_run_for(h, 1000);
        vt_harness_stall_scheduler(h, true);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_FAULT, 10000), 0);
        assert_true(all_still(h));
        vt_harness_run_for(h, 200);
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                at[a] = pos(h, a);
        vt_harness_run_for(h, 5000);
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                assert_int_equal(pos(h, a), at[a]);
        vt_harness_free(h);
}

static void test_return_upright_slow_and_watched(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;
        const struct vt_fault_event *f;

        assert_int_equal(posture_preset(P(h), POSTURE_PRESET_ZERO_GRAVITY_1, &e), 0);
        vt_harness_run_for(h, 20000);
        assert_false(posture_moving(P(h)));
        assert_int_equal(chair_core_sim_inject_fault(vt_harness_core(h), "legrest-obstruction", true), 0);
        assert_int_equal(posture_return_upright(P(h), &e), 0);
        assert_int_equal(motor(h, CHAIR_AXIS_RECLINE), -30); /* half the map's duty */
        assert_int_equal(motor(h, CHAIR_AXIS_LEGREST_LIFT), -30);
        vt_harness_run_for(h, 10000);
        f = vt_harness_first_fault(h);
        assert_non_null(f);
        assert_string_equal(f->code, "legrest-pinch");
        assert_true(all_still(h));
        vt_harness_free(h);
}

static void test_wall_clearance(void **state) {
        struct hardware_map m;
        struct vt_harness *h;
        struct chair_error e = CHAIR_ERROR_NULL;
        int32_t top = 0;

        posture_map(&m);
        /* 300 mm behind the backrest, 450 mm of reach: 666 per mille at most. */
        m.axes[CHAIR_AXIS_RECLINE].wall_clearance_mm = 300;
        h = harness_with(&m);
        assert_int_equal(posture_preset(P(h), POSTURE_PRESET_FLAT, &e), 0);
        for (int i = 0; i < 400; i++) {
                vt_harness_run_for(h, 100);
                top = MAX(top, pos(h, CHAIR_AXIS_RECLINE));
        }
        assert_in_range(top, 640, 666);
        /* At the limit already: a manual move further is refused. */
        assert_int_not_equal(posture_move(P(h), CHAIR_AXIS_RECLINE, 1, LEASE_MS, OWNER, &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_NOT_PERMITTED));
        vt_harness_run_for(h, 500);
        top = MAX(top, pos(h, CHAIR_AXIS_RECLINE));
        assert_true(top <= 666);
        assert_true(all_still(h));
        vt_harness_free(h);
}

static void test_precaution_refuses_leg_rest(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;
        static const char *const veins[] = { "varicose-veins", NULL };

        assert_int_equal(vt_harness_act(h, &(struct vt_action) { .kind = VT_ACT_PRECAUTIONS, .list = veins }, NULL), 0);
        assert_int_not_equal(posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, 1, LEASE_MS, OWNER, &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_PRECAUTION));
        chair_error_reset(&e);
        assert_int_not_equal(posture_fit_legs(P(h), &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_PRECAUTION));
        chair_error_reset(&e);
        assert_true(all_still(h));
        /* The recline presses no legs. */
        assert_int_equal(posture_move(P(h), CHAIR_AXIS_RECLINE, 1, LEASE_MS, OWNER, &e), 0);
        assert_int_equal(motor(h, CHAIR_AXIS_RECLINE), 60);
        vt_harness_run_for(h, 100);
        posture_stop(P(h));
        /* The stop stays: the same press held on is refused until released. */
        assert_int_not_equal(posture_move(P(h), CHAIR_AXIS_RECLINE, 1, LEASE_MS, OWNER, &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_BUSY));
        chair_error_reset(&e);
        assert_int_equal(posture_move(P(h), CHAIR_AXIS_RECLINE, 0, 0, OWNER, &e), 0);
        /* Declared while the leg rest moves: it stops (a renewal is refused, the change stops it). */
        assert_int_equal(vt_harness_act(h, &(struct vt_action) { .kind = VT_ACT_PRECAUTIONS, .list = NULL }, NULL), 0);
        assert_int_equal(posture_preset(P(h), POSTURE_PRESET_ZERO_GRAVITY_1, &e), 0);
        vt_harness_run_for(h, 500);
        assert_int_equal(motor(h, CHAIR_AXIS_LEGREST_LIFT), 60);
        assert_int_equal(vt_harness_act(h, &(struct vt_action) { .kind = VT_ACT_PRECAUTIONS, .list = veins }, NULL), 0);
        vt_harness_run_for(h, 20);
        assert_true(all_still(h));
        assert_int_not_equal(posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, 1, LEASE_MS, OWNER + 1, &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_PRECAUTION));
        chair_error_reset(&e);
        assert_int_equal(posture_move(P(h), CHAIR_AXIS_RECLINE, 1, LEASE_MS, OWNER, &e), 0);
        assert_int_equal(motor(h, CHAIR_AXIS_RECLINE), 60);
        vt_harness_free(h);
}

/* A preset and the return upright check each axis they would move: one the conditions forbid
 * (the leg rest, with varicose veins) is left out and the others go; one already in place (the
 * leg rest down) is not asked about; refused only when nothing else would move, and a
 * must-not-use condition forbids every axis. */
static void test_preset_leaves_out_forbidden_axes(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;
        static const char *const veins[] = { "varicose-veins", NULL }, *const never[] = { "thrombosis", NULL };
        int32_t lift;

        /* The leg rest down, a leg condition: zero gravity reclines without it. */
        assert_int_equal(vt_harness_act(h, &(struct vt_action) { .kind = VT_ACT_PRECAUTIONS, .list = veins }, NULL), 0);
        lift = pos(h, CHAIR_AXIS_LEGREST_LIFT);
        assert_int_equal(posture_preset(P(h), POSTURE_PRESET_ZERO_GRAVITY_1, &e), 0);
        assert_int_equal(motor(h, CHAIR_AXIS_RECLINE), 60);
        assert_int_equal(motor(h, CHAIR_AXIS_SEAT_SLIDE), 60);
        assert_int_equal(motor(h, CHAIR_AXIS_LEGREST_LIFT), 0);
        assert_int_equal(posture_axis_motion(P(h), CHAIR_AXIS_LEGREST_LIFT), POSTURE_STILL);
        vt_harness_run_for(h, 30000);
        assert_false(posture_moving(P(h)));
        assert_in_range(pos(h, CHAIR_AXIS_RECLINE), 340, 360);
        assert_int_equal(pos(h, CHAIR_AXIS_LEGREST_LIFT), lift);
        /* The return upright with the leg rest already down: nothing refused, the rest goes back
         * slowly; the leg rest on its end switch below the soft limit is upright, not moved up to it. */
        assert_int_equal(posture_return_upright(P(h), &e), 0);
        assert_int_equal(motor(h, CHAIR_AXIS_RECLINE), -30);
        assert_int_equal(motor(h, CHAIR_AXIS_SEAT_SLIDE), -30);
        assert_int_equal(motor(h, CHAIR_AXIS_LEGREST_LIFT), 0);
        vt_harness_run_for(h, 30000);
        assert_true(all_still(h));
        assert_true(pos(h, CHAIR_AXIS_RECLINE) <= 30);
        assert_true(pos(h, CHAIR_AXIS_SEAT_SLIDE) <= 30);
        assert_int_equal(pos(h, CHAIR_AXIS_LEGREST_LIFT), lift);
        /* Upright already: nothing to move, nothing refused. */
        assert_int_equal(posture_return_upright(P(h), &e), 0);
        assert_true(all_still(h));

        /* The leg rest raised before the condition was declared: the return leaves it where it is. */
        assert_int_equal(vt_harness_act(h, &(struct vt_action) { .kind = VT_ACT_PRECAUTIONS, .list = NULL }, NULL), 0);
        assert_int_equal(posture_preset(P(h), POSTURE_PRESET_ZERO_GRAVITY_1, &e), 0);
        vt_harness_run_for(h, 40000);
        assert_false(posture_moving(P(h)));
        lift = pos(h, CHAIR_AXIS_LEGREST_LIFT);
        assert_in_range(lift, 440, 460);
        assert_int_equal(vt_harness_act(h, &(struct vt_action) { .kind = VT_ACT_PRECAUTIONS, .list = veins }, NULL), 0);
        assert_int_equal(posture_return_upright(P(h), &e), 0);
        assert_int_equal(motor(h, CHAIR_AXIS_RECLINE), -30);
        assert_int_equal(motor(h, CHAIR_AXIS_LEGREST_LIFT), 0);
        vt_harness_run_for(h, 30000);
        assert_true(all_still(h));
        assert_true(pos(h, CHAIR_AXIS_RECLINE) <= 30);
        assert_int_equal(pos(h, CHAIR_AXIS_LEGREST_LIFT), lift);
        /* Only the forbidden leg rest is left to move: refused, with the condition's reason. */
        assert_int_not_equal(posture_return_upright(P(h), &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_PRECAUTION));
        chair_error_reset(&e);
        assert_int_not_equal(posture_preset(P(h), POSTURE_PRESET_UPRIGHT, &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_PRECAUTION));
        chair_error_reset(&e);
        vt_harness_run_for(h, 500);
        assert_true(all_still(h));
        assert_int_equal(pos(h, CHAIR_AXIS_LEGREST_LIFT), lift);

        /* Must not use the chair: every axis is forbidden, so every preset that would move one is refused. */
        assert_int_equal(vt_harness_act(h, &(struct vt_action) { .kind = VT_ACT_PRECAUTIONS, .list = never }, NULL), 0);
        for (unsigned p = 0; p < _POSTURE_PRESET_MAX; p++) {
                assert_int_not_equal(posture_preset(P(h), p, &e), 0);
                assert_true(chair_error_is(&e, CHAIR_REASON_PRECAUTION));
                chair_error_reset(&e);
        }
        assert_int_not_equal(posture_return_upright(P(h), &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_PRECAUTION));
        vt_harness_run_for(h, 500);
        assert_true(all_still(h));
        assert_null(vt_harness_first_fault(h));
        vt_harness_free(h);
}

static void test_rotary_channels(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;
        static const char *const veins[] = { "varicose-veins", NULL };

        /* The foot rest does not reach the feet yet. */
        assert_int_not_equal(posture_set_rotary(P(h), CHAIR_OUT_FOOT_ROLLERS, 50, &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_NOT_PERMITTED));
        chair_error_reset(&e);
        assert_int_not_equal(posture_set_rotary(P(h), CHAIR_OUT_TRAVEL_MOTOR, 50, &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_INVALID_ARGS));
        chair_error_reset(&e);
        assert_int_equal(posture_fit_legs(P(h), &e), 0);
        vt_harness_run_for(h, 20000);
        assert_int_equal(posture_set_rotary(P(h), CHAIR_OUT_FOOT_ROLLERS, -50, &e), 0);
        assert_int_equal(posture_set_rotary(P(h), CHAIR_OUT_CALF_KNEAD, 40, &e), 0);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_FOOT_ROLLERS), -50);
        /* The feet lifted: the foot rollers stop, the calves go on. */
        assert_int_equal(vt_harness_set_occupant(h, true, 450, false), 0);
        vt_harness_run_for(h, 20);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_FOOT_ROLLERS), 0);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_CALF_KNEAD), 40);
        /* A leg condition declared: the calves stop, and nothing starts again. */
        assert_int_equal(vt_harness_act(h, &(struct vt_action) { .kind = VT_ACT_PRECAUTIONS, .list = veins }, NULL), 0);
        vt_harness_run_for(h, 20);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_CALF_KNEAD), 0);
        assert_int_not_equal(posture_set_rotary(P(h), CHAIR_OUT_CALF_KNEAD, 40, &e), 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_PRECAUTION));
        chair_error_reset(&e);
        assert_int_equal(vt_harness_act(h, &(struct vt_action) { .kind = VT_ACT_PRECAUTIONS, .list = NULL }, NULL), 0);
        assert_int_equal(posture_set_rotary(P(h), CHAIR_OUT_CALF_KNEAD, 40, &e), 0);
        /* The person leaves: stopped. */
        assert_int_equal(vt_harness_set_occupant(h, false, 450, false), 0);
        vt_harness_run_for(h, 20);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_CALF_KNEAD), 0);
        assert_int_not_equal(posture_set_rotary(P(h), CHAIR_OUT_CALF_KNEAD, 40, &e), 0);
        assert_int_equal(posture_set_rotary(P(h), CHAIR_OUT_CALF_KNEAD, 0, &e), 0);
        vt_harness_free(h);
}

/* No manual move with the seat empty either: the leg rest pinched children with no adult
 * seated. Refused NotOccupied, saying so, every axis, both ways; nothing moves. */
static void test_manual_move_needs_occupant(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(posture_preset(P(h), POSTURE_PRESET_ZERO_GRAVITY_1, &e), 0);
        vt_harness_run_for(h, 20000);
        assert_false(posture_moving(P(h)));
        assert_int_equal(vt_harness_set_occupant(h, false, 450, false), 0);
        vt_harness_run_for(h, 20);
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                for (int dir = -1; dir <= 1; dir += 2) {
                        assert_int_not_equal(posture_move(P(h), a, dir, LEASE_MS, OWNER, &e), 0);
                        assert_true(chair_error_is(&e, CHAIR_REASON_NOT_OCCUPIED));
                        assert_non_null(strstr(e.message, "seated"));
                        chair_error_reset(&e);
                }
        /* A client renewing on and on: still nothing. */
        assert_true(hold(h, CHAIR_AXIS_LEGREST_LIFT, 1, 1000, &e) < 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_NOT_OCCUPIED));
        chair_error_reset(&e);
        assert_true(all_still(h));
        assert_false(posture_moving(P(h)));
        vt_harness_free(h);
}

/* Renews every 100 ms for ms, each renewal refused with reason: nothing moves. */
static void refused_renewals(struct vt_harness *h, enum chair_axis a, int dir, uint64_t ms, enum chair_reason reason,
                             const char *why) {
        struct chair_error e = CHAIR_ERROR_NULL;
        int32_t at = pos(h, a);

        for (uint64_t t = 0; t < ms; t += 100) {
                assert_int_not_equal(posture_move(P(h), a, dir, LEASE_MS, OWNER, &e), 0);
                if (!chair_error_is(&e, reason) || !strstr(e.message, why))
                        fail_msg("renewal: reason %d, '%s' (wanted %d, '%s')", e.reason, e.message, reason, why);
                chair_error_reset(&e);
                vt_harness_run_for(h, 100);
                assert_true(all_still(h));
        }
        assert_in_range(pos(h, a), at - 3, at + 3);
}

/* The person leaves mid-move and the client renews on: refused NotOccupied, nothing moves,
 * even once the person is back; a release, then a fresh press, moves again. */
static void test_person_leaves_manual_move_stays_stopped(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(hold(h, CHAIR_AXIS_LEGREST_LIFT, 1, 1000, &e), 0);
        assert_int_equal(motor(h, CHAIR_AXIS_LEGREST_LIFT), 60);
        assert_int_equal(vt_harness_set_occupant(h, false, 450, false), 0);
        vt_harness_run_for(h, 20);
        assert_true(all_still(h));
        refused_renewals(h, CHAIR_AXIS_LEGREST_LIFT, 1, 1000, CHAIR_REASON_NOT_OCCUPIED, "left the seat");
        assert_int_equal(vt_harness_set_occupant(h, true, 450, true), 0);
        vt_harness_run_for(h, 20);
        refused_renewals(h, CHAIR_AXIS_LEGREST_LIFT, 1, 500, CHAIR_REASON_NOT_OCCUPIED, "left the seat");
        /* Released (as chairctl and the panel do after a stop), then pressed afresh. */
        assert_int_equal(posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, 0, 0, OWNER, &e), 0);
        assert_int_equal(hold(h, CHAIR_AXIS_LEGREST_LIFT, 1, 300, &e), 0);
        assert_int_equal(motor(h, CHAIR_AXIS_LEGREST_LIFT), 60);
        assert_int_equal(posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, 0, 0, OWNER, &e), 0);
        assert_true(all_still(h));
        assert_null(vt_harness_first_fault(h));
        vt_harness_free(h);
}

/* A lease that lapsed: the late renewal is no fresh press (Busy, naming the lease) until a
 * release; a move of another axis or way is one. */
static void test_lease_lapse_stays_stopped(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(hold(h, CHAIR_AXIS_RECLINE, 1, 3000, &e), 0);
        vt_harness_run_for(h, 2 * LEASE_MS);
        assert_true(all_still(h));
        refused_renewals(h, CHAIR_AXIS_RECLINE, 1, 500, CHAIR_REASON_BUSY, "lease");
        assert_int_equal(posture_move(P(h), CHAIR_AXIS_RECLINE, 0, 0, OWNER, &e), 0);
        assert_int_equal(hold(h, CHAIR_AXIS_RECLINE, 1, 300, &e), 0);
        assert_int_equal(motor(h, CHAIR_AXIS_RECLINE), 60);
        /* Lapsed again; this time the owner moves the other way: a fresh press, no release needed. */
        vt_harness_run_for(h, 2 * LEASE_MS);
        assert_true(all_still(h));
        assert_int_equal(hold(h, CHAIR_AXIS_RECLINE, -1, 300, &e), 0);
        assert_int_equal(motor(h, CHAIR_AXIS_RECLINE), -60);
        /* And the first way again is a fresh press too: the record was of the old move. */
        assert_int_equal(hold(h, CHAIR_AXIS_RECLINE, 1, 200, &e), 0);
        assert_int_equal(motor(h, CHAIR_AXIS_RECLINE), 60);
        assert_null(vt_harness_first_fault(h));
        vt_harness_free(h);
}

/* Anyone's stop (Posture.Stop, the power key) ends the move for good; only its own owner's
 * release clears that. Another owner's release does not. */
static void test_stop_stays_stopped(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(hold(h, CHAIR_AXIS_LEGREST_LIFT, 1, 500, &e), 0);
        posture_stop(P(h));
        assert_true(all_still(h));
        refused_renewals(h, CHAIR_AXIS_LEGREST_LIFT, 1, 500, CHAIR_REASON_BUSY, "stop");
        assert_int_equal(posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, 0, 0, OWNER + 1, &e), 0);
        refused_renewals(h, CHAIR_AXIS_LEGREST_LIFT, 1, 200, CHAIR_REASON_BUSY, "stop");
        assert_int_equal(posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, 0, 0, OWNER, &e), 0);
        assert_int_equal(hold(h, CHAIR_AXIS_LEGREST_LIFT, 1, 300, &e), 0);
        assert_int_equal(motor(h, CHAIR_AXIS_LEGREST_LIFT), 60);
        /* The owner's own release is no stop of the daemon's: the next press goes. */
        assert_int_equal(posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, 0, 0, OWNER, &e), 0);
        assert_int_equal(posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, 1, LEASE_MS, OWNER, &e), 0);
        assert_int_equal(motor(h, CHAIR_AXIS_LEGREST_LIFT), 60);
        assert_null(vt_harness_first_fault(h));
        vt_harness_free(h);
}

/* The pinch: the key held on toward the object is refused FaultLatched; the release (away,
 * slowly) is allowed with the seat empty: the trapped child may not be the one seated. */
static void test_pinch_release_with_seat_empty(void **state) {
        struct vt_harness *h = harness();
        struct chair_error e = CHAIR_ERROR_NULL;
        int32_t at;

        assert_int_equal(hold(h, CHAIR_AXIS_LEGREST_LIFT, 1, 1000, &e), 0);
        assert_int_equal(chair_core_sim_inject_fault(vt_harness_core(h), "legrest-obstruction", true), 0);
        for (int i = 0; i < 40 && !vt_harness_first_fault(h); i++) {
                (void) posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, 1, LEASE_MS, OWNER, NULL);
                vt_harness_run_for(h, 100);
        }
        assert_non_null(vt_harness_first_fault(h));
        assert_int_equal(posture_pinched_axis(P(h)), CHAIR_AXIS_LEGREST_LIFT);
        vt_harness_run_for(h, 500);
        refused_renewals(h, CHAIR_AXIS_LEGREST_LIFT, 1, 300, CHAIR_REASON_FAULT_LATCHED, "obstruction");
        assert_int_equal(vt_harness_set_occupant(h, false, 450, false), 0);
        vt_harness_run_for(h, 20);
        at = pos(h, CHAIR_AXIS_LEGREST_LIFT);
        assert_int_equal(posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, -1, LEASE_MS, OWNER, &e), 0);
        assert_int_equal(motor(h, CHAIR_AXIS_LEGREST_LIFT), -20);
        vt_harness_run_for(h, 100);
        assert_int_equal(posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, -1, LEASE_MS, OWNER, &e), 0);
        vt_harness_run_for(h, 100);
        assert_true(pos(h, CHAIR_AXIS_LEGREST_LIFT) < at);
        /* Another client's release of it, seat empty, after this one lets go. */
        assert_int_equal(posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, 0, 0, OWNER, &e), 0);
        assert_int_equal(posture_move(P(h), CHAIR_AXIS_LEGREST_LIFT, -1, LEASE_MS, OWNER + 1, &e), 0);
        assert_int_equal(motor(h, CHAIR_AXIS_LEGREST_LIFT), -20);
        /* Nothing else moves with the seat empty, the pinch or not. */
        assert_int_not_equal(posture_move(P(h), CHAIR_AXIS_RECLINE, 1, LEASE_MS, OWNER + 2, &e), 0);
        chair_error_reset(&e);
        vt_harness_free(h);
}

/* The panel after a stop the daemon made: the key held on does not move it again; released
 * and pressed again (the panel tells the release), it moves. */
static void test_panel_key_after_a_stop(void **state) {
        struct vt_harness *h = harness();

        assert_int_equal(vt_harness_key_down(h, CHAIR_KEY_LEGREST_UP), 0);
        vt_harness_run_for(h, 1000);
        assert_int_equal(motor(h, CHAIR_AXIS_LEGREST_LIFT), 60);
        assert_int_equal(vt_harness_set_occupant(h, false, 450, false), 0);
        vt_harness_run_for(h, 500);
        assert_true(all_still(h));
        assert_int_equal(vt_harness_set_occupant(h, true, 450, true), 0);
        vt_harness_run_for(h, 1000);
        assert_true(all_still(h)); /* held on: no renewal starts it again */
        assert_int_equal(vt_harness_key_up(h), 0);
        vt_harness_run_for(h, 200);
        assert_int_equal(vt_harness_key_down(h, CHAIR_KEY_LEGREST_UP), 0);
        vt_harness_run_for(h, 500);
        assert_int_equal(motor(h, CHAIR_AXIS_LEGREST_LIFT), 60);
        /* Stopped by a stop now, then pressed again. */
        posture_stop(P(h));
        vt_harness_run_for(h, 1000);
        assert_true(all_still(h));
        assert_int_equal(vt_harness_key_up(h), 0);
        vt_harness_run_for(h, 200);
        assert_int_equal(vt_harness_key_down(h, CHAIR_KEY_LEGREST_UP), 0);
        vt_harness_run_for(h, 300);
        assert_int_equal(motor(h, CHAIR_AXIS_LEGREST_LIFT), 60);
        assert_int_equal(vt_harness_key_up(h), 0);
        assert_true(all_still(h));
        assert_null(vt_harness_first_fault(h));
        vt_harness_free(h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_old_chair_unchanged),
                cmocka_unit_test(test_presets),
                cmocka_unit_test(test_no_occupant_no_automatic_motion),
                cmocka_unit_test(test_person_leaves_mid_move),
                cmocka_unit_test(test_fit_stops_at_feet_never_retracts),
                cmocka_unit_test(test_hold_to_run),
                cmocka_unit_test(test_obstruction),
                cmocka_unit_test(test_current_rise_is_an_obstruction),
                cmocka_unit_test(test_stop_during_reverse_still_latches),
                cmocka_unit_test(test_estop_revokes_the_release),
                cmocka_unit_test(test_estop_stops_where_it_is),
                cmocka_unit_test(test_stalled_scheduler_stops_where_it_is),
                cmocka_unit_test(test_return_upright_slow_and_watched),
                cmocka_unit_test(test_wall_clearance),
                cmocka_unit_test(test_precaution_refuses_leg_rest),
                cmocka_unit_test(test_preset_leaves_out_forbidden_axes),
                cmocka_unit_test(test_rotary_channels),
                cmocka_unit_test(test_manual_move_needs_occupant),
                cmocka_unit_test(test_person_leaves_manual_move_stays_stopped),
                cmocka_unit_test(test_lease_lapse_stays_stopped),
                cmocka_unit_test(test_stop_stays_stopped),
                cmocka_unit_test(test_pinch_release_with_seat_empty),
                cmocka_unit_test(test_panel_key_after_a_stop),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
