/* SPDX-License-Identifier: MIT */
/* The whole-chair harness (tests/vt/vt-harness.h): the real core in virtual time runs a
 * program from start to idle, fast, with no fault. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "hardware-map.h"
#include "supervisor.h"
#include "vt-harness.h"

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        return remove(path);
}

/* Removes a test's state directory (the store's files, then the directory). */
static int remove_tree(const char *dir) {
        return nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* This process's CPU time: the figure that matters on a loaded machine (wall time is
 * printed too, never asserted). */
static double seconds(clockid_t clock) {
        struct timespec ts;
        clock_gettime(clock, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Swedish at 20 minutes with a body scan: idle -> scanning -> running -> settling -> idle. */
static void test_swedish_20_minutes(void **state) {
        struct vt_harness *h = NULL;
        struct chair_error e = CHAIR_ERROR_NULL;
        const struct vt_record *rec;
        const struct vt_state_change *running, *settling;
        char states[256];
        double t0, c0, wall, cpu;

        assert_int_equal(vt_harness_new(NULL, &h), 0);
        *state = h;  /* freed by the teardown should an assertion fail */
        assert_int_equal(session_get_state(vt_harness_core(h)->session), SESSION_IDLE);
        t0 = seconds(CLOCK_MONOTONIC);
        c0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
        assert_int_equal(session_start(vt_harness_core(h)->session, "swedish",
                                       &(struct session_options) { .duration_s = 20 * 60, .scan = 1 }, &e), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 25 * 60 * 1000), 0);
        wall = seconds(CLOCK_MONOTONIC) - t0;
        cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;

        rec = vt_harness_record(h);
        vt_harness_states_string(h, states, sizeof states);
        print_message("states: %s; virtual %.1f s in %.3f s of CPU time (%.3f s wall)\n", states,
                      (double) vt_harness_now_ms(h) / 1000, cpu, wall);
        assert_string_equal(states, "scanning running settling idle");
        assert_null(vt_harness_first_fault(h));
        assert_int_equal(rec->n_finished, 1);
        assert_string_equal(rec->finished[0].program, "swedish");
        assert_string_equal(rec->finished[0].reason, "completed");
        running = vt_harness_find_state(h, SESSION_RUNNING, 0);
        settling = vt_harness_find_state(h, SESSION_SETTLING, 0);
        assert_non_null(running);
        assert_non_null(settling);
        /* The program ran as long as asked, within the second its tick rounds to. */
        assert_in_range(settling->at_ms - running->at_ms, 20 * 60 * 1000 - 1000, 20 * 60 * 1000 + 1000);
        assert_true(rec->n_outputs > 0);
        /* Back at rest: every actuator safe. */
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                if (!chair_output_info(o)->indicator)
                        assert_int_equal(vt_harness_output(h, o), chair_output_info(o)->safe_value);
        *state = vt_harness_free(h);
}

/* A 30-minute program start to idle, then idle to 32 minutes, and what it costs (printed,
 * never asserted). It ends settling home after the simulated map's max_session_minutes = 30:
 * settling is not massage time, so no session-too-long. */
static void test_thirty_minutes(void **state) {
        struct vt_harness *h = NULL;
        struct chair_error e = CHAIR_ERROR_NULL;
        double c0, cpu;

        assert_int_equal(vt_harness_new(&(struct vt_harness_options) { .no_output_record = true }, &h), 0);
        *state = h;  /* freed by the teardown should an assertion fail */
        /* The auto-off timer (20 minutes by default) would end it first. */
        assert_int_equal(session_set_timer(vt_harness_core(h)->session, 30, &e), 0);
        c0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
        assert_int_equal(session_start(vt_harness_core(h)->session, "swedish",
                                       &(struct session_options) { .duration_s = 30 * 60 }, &e), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 35 * 60 * 1000), 0);
        assert_true(vt_harness_run_until(h, 32 * 60 * 1000) >= 0);
        cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
        print_message("30-minute swedish, then idle to 32 minutes: virtual %.1f s in %.3f s of CPU time\n", (double) vt_harness_now_ms(h) / 1000, cpu);
        assert_null(vt_harness_first_fault(h));
        assert_int_equal(vt_harness_record(h)->n_finished, 1);
        assert_string_equal(vt_harness_record(h)->finished[0].reason, "completed");
        assert_int_equal(vt_harness_now_ms(h), 32 * 60 * 1000);
        assert_int_equal(vt_harness_record(h)->n_outputs, 0);
        *state = vt_harness_free(h);
}

/* The harness's stand-in for a hung scheduler thread: the supervisor sees no progress and
 * trips, every output safe. */
static void test_stalled_scheduler_trips(void **state) {
        struct vt_harness *h = NULL;
        const struct vt_fault_event *f;
        int results[2];
        const struct vt_action script[] = {
                { .at_ms = 0, .kind = VT_ACT_START, .name = "swedish", .options = { .duration_s = 300 } },
                { .at_ms = 20 * 1000, .kind = VT_ACT_INJECT, .name = "scheduler-hang", .value = 1 },
        };

        assert_int_equal(vt_harness_new(NULL, &h), 0);
        *state = h;  /* freed by the teardown should an assertion fail */
        assert_int_equal(vt_harness_play(h, script, ARRAY_SIZE(script), results), 0);
        assert_int_equal(results[0], 0);
        assert_int_equal(results[1], 0);
        assert_int_equal(session_get_state(vt_harness_core(h)->session), SESSION_RUNNING);
        assert_true(vt_harness_run_for(h, 3000) >= 0);
        f = vt_harness_first_fault(h);
        assert_non_null(f);
        print_message("stalled at 20 s: %s at %.1f s: %s\n", f->code, (double) f->at_ms / 1000, f->message);
        assert_string_equal(f->code, "scheduler-stalled");
        assert_in_range(f->at_ms, 20 * 1000, 22 * 1000);
        assert_int_equal(session_get_state(vt_harness_core(h)->session), SESSION_FAULT);
        assert_int_equal(vt_harness_output(h, CHAIR_OUT_TRAVEL_MOTOR), 0);
        *state = vt_harness_free(h);
}

/* Another person in the chair: the body scan finds their shoulder. */
static void test_person_is_scanned(void **state) {
        struct vt_harness *h = NULL;
        struct chair_error e = CHAIR_ERROR_NULL;
        int32_t shoulder;

        assert_int_equal(vt_harness_new(&(struct vt_harness_options) { .person_shoulder_mm = 700, .person_waist_mm = 260 }, &h), 0);
        *state = h;  /* freed by the teardown should an assertion fail */
        assert_int_equal(session_start_scan(vt_harness_core(h)->session, &e), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 3 * 60 * 1000), 0);
        shoulder = session_shoulder_mm(vt_harness_core(h)->session);
        print_message("shoulder 700 mm scanned at %d mm\n", shoulder);
        assert_in_range(shoulder, 670, 730);
        assert_null(vt_harness_first_fault(h));
        *state = vt_harness_free(h);
}

/* The state directory outlives a harness: a latched fault comes back latched at the next start,
 * and one latched until a power cycle ends with a later boot. */
static void test_latch_across_restarts_and_boots(void **state) {
        char dir[] = "/tmp/vt-smoke-XXXXXX";
        struct hardware_map map;
        struct vt_harness *h = NULL;
        const struct vt_fault_event *f;

        assert_non_null(mkdtemp(dir));
        hardware_map_simulated(&map);
        map.limits.latch_until_power_cycle = true;
        assert_int_equal(vt_harness_new(&(struct vt_harness_options) { .map = &map, .state_dir = dir }, &h), 0);
        *state = h;  /* freed by the teardown should an assertion fail */
        assert_string_equal(vt_harness_state_dir(h), dir);
        assert_int_equal(chair_core_sim_inject_fault(vt_harness_core(h), "estop", true), 0);
        assert_true(vt_harness_run_for(h, 1000) >= 0);
        assert_true(supervisor_latched(vt_harness_core(h)->supervisor));
        *state = vt_harness_free(h);

        /* A restart in the same boot: latched again, nothing new raised. */
        assert_int_equal(vt_harness_new(&(struct vt_harness_options) { .map = &map, .state_dir = dir }, &h), 0);
        *state = h;  /* freed by the teardown should an assertion fail */
        assert_true(supervisor_latched(vt_harness_core(h)->supervisor));
        assert_int_equal(session_get_state(vt_harness_core(h)->session), SESSION_FAULT);
        assert_non_null(vt_harness_find_state(h, SESSION_FAULT, 0));  /* recorded from the start */
        f = vt_harness_first_fault(h);
        assert_true(!f || f->restored);
        *state = vt_harness_free(h);

        /* A day later, a new boot: the power cycle cleared it. */
        assert_int_equal(vt_harness_new(&(struct vt_harness_options) {
                                 .map = &map, .state_dir = dir,
                                 .realtime_start_usec = (1767225600ULL + 86400) * 1000000ULL }, &h), 0);
        *state = h;  /* freed by the teardown should an assertion fail */
        assert_false(supervisor_latched(vt_harness_core(h)->supervisor));
        assert_int_equal(session_get_state(vt_harness_core(h)->session), SESSION_IDLE);
        *state = vt_harness_free(h);
        assert_int_equal(remove_tree(dir), 0);
}

static int teardown(void **state) {
        vt_harness_free(*state);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_swedish_20_minutes, teardown),
                cmocka_unit_test_teardown(test_thirty_minutes, teardown),
                cmocka_unit_test_teardown(test_stalled_scheduler_trips, teardown),
                cmocka_unit_test_teardown(test_person_is_scanned, teardown),
                cmocka_unit_test_teardown(test_latch_across_restarts_and_boots, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
