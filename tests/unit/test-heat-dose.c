/* SPDX-License-Identifier: MIT */
/*
 * The supervisor's heat dose (supervisor.h, docs/architecture.md "Heat dose") on the whole chair
 * in virtual time (tests/vt/vt-harness.h): a long session with the lumbar heat on reaches the
 * limit the table says after the zone first reads the threshold, the element goes off within one
 * check and stays off (a shut output, not a fault) until the dose has decayed to the resume
 * level, a person whose conditions or heat cap lower the limit reaches it sooner, and neither
 * stopping and restarting a session nor switching person resets the dose.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "chair-hw.h"
#include "changes.h"
#include "hardware-map.h"
#include "panel.h"
#include "people.h"
#include "precautions.h"
#include "program-library.h"
#include "session.h"
#include "supervisor.h"
#include "vt-harness.h"

#define CHECK_MS 100       /* the supervisor's active period (supervisor.c) */
#define STEP_MS 100

struct fixture {
        struct vt_harness *h;
        unsigned dose_marks;
};

static void on_changes(uint32_t changed, void *userdata) {
        struct fixture *f = userdata;
        if (changed & CHAIR_CHANGE_HEAT_DOSE)
                f->dose_marks++;
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof *f);
        struct hardware_map m;

        if (!f)
                return -1;
        /* Room for a 30-minute session and a second one after it, whatever the timer. */
        hardware_map_simulated(&m);
        m.limits.max_session_s = 60 * 60;
        if (vt_harness_new(&(struct vt_harness_options) { .map = &m, .no_output_record = false }, &f->h) < 0) {
                free(f);
                return -1;
        }
        if (chair_changes_subscribe(vt_harness_core(f->h)->changes, on_changes, f) < 0) {
                vt_harness_free(f->h);
                free(f);
                return -1;
        }
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;

        vt_harness_free(f->h);
        free(f);
        return 0;
}

static struct chair_core *core(struct fixture *f) {
        return vt_harness_core(f->h);
}

static struct heat_dose_status dose(struct fixture *f) {
        struct heat_dose_status st;
        assert_int_equal(supervisor_heat_dose(core(f)->supervisor, CHAIR_HEAT_LUMBAR, &st), 0);
        return st;
}

static int32_t lumbar_temp(struct fixture *f) {
        int32_t v = 0;
        assert_true(chair_hw_read_input(core(f)->hw, CHAIR_IN_TEMP_LUMBAR, &v) >= 0);
        return v;
}

/* A 30-minute manual session. */
static void start_session(struct fixture *f) {
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(session_set_timer(core(f)->session, 30, &e), 0);
        assert_int_equal(session_start_manual(core(f)->session, "knead", MANUAL_FULL,
                                              &(struct session_options) { .duration_s = 30 * 60, .heat = true }, &e), 0);
        assert_int_equal(vt_harness_run_until_state(f->h, SESSION_RUNNING, 5000), 0);
}

/* ... with the lumbar heat at its top level. */
static void start_heat(struct fixture *f) {
        struct chair_error e = CHAIR_ERROR_NULL;

        start_session(f);
        assert_int_equal(session_set_heat(core(f)->session, CHAIR_HEAT_LUMBAR, 3, &e), 0);
}

static void stop(struct fixture *f) {
        struct chair_error e = CHAIR_ERROR_NULL;

        assert_int_equal(session_stop(core(f)->session, &e), 0);
        assert_int_equal(vt_harness_run_until_state(f->h, SESSION_IDLE, 60000), 0);
}

/* Runs in steps until the zone reads the threshold; returns that time (ms). */
static uint64_t run_until_hot(struct fixture *f, int32_t threshold) {
        for (int i = 0; i < 3000 && lumbar_temp(f) < threshold; i++)
                assert_true(vt_harness_run_for(f->h, STEP_MS) >= 0);
        assert_true(lumbar_temp(f) >= threshold);
        return vt_harness_now_ms(f->h);
}

/* Runs in steps of one check until the zone's heat is shut (or reopened: want false), at most
 * max_ms; returns that time (ms). */
static uint64_t run_until_limited(struct fixture *f, bool want, uint64_t max_ms) {
        uint64_t end = vt_harness_now_ms(f->h) + max_ms;

        while (dose(f).limited != want && vt_harness_now_ms(f->h) < end)
                assert_true(vt_harness_run_for(f->h, CHECK_MS) >= 0);
        assert_true(dose(f).limited == want);
        return vt_harness_now_ms(f->h);
}

/* No change of the element to on in the record within [from_ms, to_ms]. */
static void assert_element_stayed_off(struct fixture *f, uint64_t from_ms, uint64_t to_ms) {
        const struct vt_record *r = vt_harness_record(f->h);

        for (size_t i = 0; i < r->n_outputs; i++)
                if (r->outputs[i].out == CHAIR_OUT_HEAT_LUMBAR && r->outputs[i].value && r->outputs[i].at_ms >= from_ms &&
                    r->outputs[i].at_ms <= to_ms)
                        fail_msg("the lumbar element went on at %llu ms, shut from %llu ms to %llu ms",
                                 (unsigned long long) r->outputs[i].at_ms, (unsigned long long) from_ms,
                                 (unsigned long long) to_ms);
}

static void test_defaults_come_from_the_table_and_the_guest(void **state) {
        struct fixture *f = *state;
        struct heat_dose_limit def;
        struct heat_dose_status st = dose(f);

        heat_dose_limit_default(&def);
        /* The core set the guest's limit at start: no conditions, heat cap 3, the chair's. */
        assert_int_equal(st.limit_s, def.zone[CHAIR_HEAT_LUMBAR].limit_s);
        assert_int_equal(st.resume_s, def.zone[CHAIR_HEAT_LUMBAR].resume_s);
        assert_int_equal(st.threshold_decic, def.zone[CHAIR_HEAT_LUMBAR].threshold_decic);
        assert_int_equal(st.dose_s, 0);
        assert_false(st.limited);
        assert_true(def.zone[CHAIR_HEAT_LUMBAR].limit_s > 0 && def.zone[CHAIR_HEAT_CALVES].limit_s > 0);
        assert_true(def.zone[CHAIR_HEAT_LUMBAR].resume_s < def.zone[CHAIR_HEAT_LUMBAR].limit_s);
}

/* The long session: the limit after exactly the table's time at or above the threshold (within
 * a check each way), the element off within one check, no fault, and off for the rest of it. */
static void test_long_session_reaches_the_limit_in_the_tables_time(void **state) {
        struct fixture *f = *state;
        struct heat_dose_status st;
        uint64_t hot_ms, limited_ms, expect_ms;
        unsigned marks;

        start_heat(f);
        st = dose(f);
        hot_ms = run_until_hot(f, st.threshold_decic);
        expect_ms = hot_ms + st.limit_s * 1000ULL;
        marks = f->dose_marks;
        /* Not a moment early: one check before the time the table says, still on. */
        assert_true(vt_harness_run_until(f->h, expect_ms - 2 * CHECK_MS) >= 0);
        assert_false(dose(f).limited);
        /* Marked in HEAT_DOSE_REPORT_S steps while it grows, never each check: Chair1.HeatDose
         * (announced only on these marks) sends at most one signal per 10 s of heat. */
        print_message("heat dose marks while it grew: %u in %u s (%.2f/s)\n", f->dose_marks - marks, st.limit_s,
                      (double) (f->dose_marks - marks) / st.limit_s);
        assert_true(f->dose_marks - marks <= st.limit_s / HEAT_DOSE_REPORT_S + 2);
        marks = f->dose_marks;
        limited_ms = run_until_limited(f, true, 4 * CHECK_MS);
        assert_true(limited_ms <= expect_ms + 2 * CHECK_MS);
        /* Off within one check, through the router's gate; not a fault. */
        assert_true(vt_harness_run_for(f->h, CHECK_MS) >= 0);
        assert_int_equal(vt_harness_output(f->h, CHAIR_OUT_HEAT_LUMBAR), 0);
        assert_true(chair_hw_output_blocked(core(f)->hw, CHAIR_OUT_HEAT_LUMBAR));
        assert_false(supervisor_latched(core(f)->supervisor));
        assert_null(vt_harness_first_fault(f->h));
        assert_int_equal(session_get_state(core(f)->session), SESSION_RUNNING);
        assert_true(f->dose_marks > marks);
        /* The heat asked for stays asked for, the element stays off: the dose only decays. */
        assert_true(vt_harness_run_for(f->h, 5 * 60 * 1000) >= 0);
        assert_element_stayed_off(f, limited_ms + CHECK_MS, vt_harness_now_ms(f->h));
        assert_true(dose(f).limited);
        assert_null(vt_harness_first_fault(f->h));
}

/* Stop and start again at once: the dose is where it was, the heat is refused and stays off
 * until it has decayed to the resume level, then may be asked again. */
static void test_heat_refused_until_the_dose_decays_across_sessions(void **state) {
        struct fixture *f = *state;
        struct chair_error e = CHAIR_ERROR_NULL;
        struct heat_dose_status st;
        uint64_t limited_ms, reopened_ms;

        start_heat(f);
        (void) run_until_hot(f, dose(f).threshold_decic);
        limited_ms = run_until_limited(f, true, (dose(f).limit_s + 60) * 1000ULL);
        stop(f);
        st = dose(f);
        assert_true(st.limited);
        assert_true(st.dose_s + 60 >= st.limit_s);   /* settling took seconds, not the dose */

        /* The new session's heat is refused while the zone rests (its reason: the next test). */
        start_session(f);
        assert_true(dose(f).limited);
        assert_int_equal(session_set_heat(core(f)->session, CHAIR_HEAT_LUMBAR, 3, &e), -EACCES);
        reopened_ms = run_until_limited(f, false, (st.limit_s + 10 * 60) * 1000ULL);
        st = dose(f);
        assert_true(st.dose_s <= st.resume_s);
        /* It decayed at the rate it grew: no sooner than the time from the limit to the resume. */
        assert_true(reopened_ms - limited_ms >= (st.limit_s - st.resume_s) * 1000ULL);
        assert_element_stayed_off(f, limited_ms + CHECK_MS, reopened_ms - CHECK_MS);
        assert_false(chair_hw_output_blocked(core(f)->hw, CHAIR_OUT_HEAT_LUMBAR));
        /* Asked again once it may come back: the controller switches the element on. */
        assert_int_equal(session_set_heat(core(f)->session, CHAIR_HEAT_LUMBAR, 3, &e), 0);
        for (int i = 0; i < 50 && !vt_harness_output(f->h, CHAIR_OUT_HEAT_LUMBAR); i++)
                assert_true(vt_harness_run_for(f->h, STEP_MS) >= 0);
        assert_int_equal(vt_harness_output(f->h, CHAIR_OUT_HEAT_LUMBAR), 1);
        assert_null(vt_harness_first_fault(f->h));
}

static char *over_65[] = { (char *) "over-65", NULL };
static char *no_heat[] = { (char *) "reduced-temperature-sensation", NULL };
static char *none[] = { NULL };

static void test_person_limit_lowered_by_conditions_and_heat_cap(void **state) {
        struct heat_dose_limit def, l;
        struct person p = { .conditions = none, .heat_cap = 3, .intensity_cap = 5 };
        const char *by = NULL;

        (void) state;
        heat_dose_limit_default(&def);
        heat_dose_limit_for_person(NULL, &l);
        assert_memory_equal(&l, &def, sizeof l);
        heat_dose_limit_for_person(&p, &l);
        assert_memory_equal(&l, &def, sizeof l);

        p.conditions = over_65;
        heat_dose_limit_for_person(&p, &l);
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++) {
                assert_int_equal(l.zone[z].limit_s, def.zone[z].limit_s / 2);
                assert_int_equal(l.zone[z].threshold_decic, def.zone[z].threshold_decic);
        }
        assert_int_equal(precautions_heat_dose_pct((const char *const *) over_65, &by), 50);
        assert_string_equal(by, "over-65");

        /* The heat cap: the lower of it and the conditions'. */
        p.conditions = none;
        p.heat_cap = 2;
        heat_dose_limit_for_person(&p, &l);
        assert_int_equal(l.zone[CHAIR_HEAT_LUMBAR].limit_s, def.zone[CHAIR_HEAT_LUMBAR].limit_s * 3 / 4);
        p.conditions = over_65;
        heat_dose_limit_for_person(&p, &l);
        assert_int_equal(l.zone[CHAIR_HEAT_LUMBAR].limit_s, def.zone[CHAIR_HEAT_LUMBAR].limit_s / 2);
        p.heat_cap = 0;
        heat_dose_limit_for_person(&p, &l);
        assert_int_equal(l.zone[CHAIR_HEAT_LUMBAR].limit_s, 0);

        /* A condition that forbids heat, and conditions that cannot be read: no dose at all. */
        p.heat_cap = 3;
        p.conditions = no_heat;
        heat_dose_limit_for_person(&p, &l);
        assert_int_equal(l.zone[CHAIR_HEAT_LUMBAR].limit_s, 0);
        assert_int_equal(l.zone[CHAIR_HEAT_CALVES].limit_s, 0);
        p.conditions = none;
        p.conditions_unreadable = true;
        heat_dose_limit_for_person(&p, &l);
        assert_int_equal(l.zone[CHAIR_HEAT_LUMBAR].limit_s, 0);
}

/* A person over 65 reaches their limit in half the time. */
static void test_lowering_condition_reaches_the_limit_sooner(void **state) {
        struct fixture *f = *state;
        struct person p = { .conditions = over_65, .heat_cap = 3, .intensity_cap = 5 };
        struct heat_dose_limit l;
        uint64_t hot_ms, limited_ms;

        heat_dose_limit_for_person(&p, &l);
        supervisor_set_heat_dose_limit(core(f)->supervisor, &l);
        assert_int_equal(dose(f).limit_s, l.zone[CHAIR_HEAT_LUMBAR].limit_s);
        start_heat(f);
        hot_ms = run_until_hot(f, l.zone[CHAIR_HEAT_LUMBAR].threshold_decic);
        limited_ms = run_until_limited(f, true, (l.zone[CHAIR_HEAT_LUMBAR].limit_s + 60) * 1000ULL);
        assert_true(limited_ms + 2 * CHECK_MS >= hot_ms + l.zone[CHAIR_HEAT_LUMBAR].limit_s * 1000ULL);
        assert_true(limited_ms <= hot_ms + l.zone[CHAIR_HEAT_LUMBAR].limit_s * 1000ULL + 2 * CHECK_MS);
        assert_true(vt_harness_run_for(f->h, CHECK_MS) >= 0);
        assert_int_equal(vt_harness_output(f->h, CHAIR_OUT_HEAT_LUMBAR), 0);
}

/* Switching person changes the limit, never the dose: to a person whose limit the dose already
 * passed, the heat goes off at once; back, it stays off until the dose decays. */
static void test_switching_person_keeps_the_dose(void **state) {
        struct fixture *f = *state;
        struct person guest = { .conditions = none, .heat_cap = 3, .intensity_cap = 5 };
        struct person older = { .conditions = over_65, .heat_cap = 3, .intensity_cap = 5 };
        struct heat_dose_limit lg, lo;
        struct heat_dose_status st;
        uint64_t hot_ms;

        heat_dose_limit_for_person(&guest, &lg);
        heat_dose_limit_for_person(&older, &lo);
        start_heat(f);
        hot_ms = run_until_hot(f, lg.zone[CHAIR_HEAT_LUMBAR].threshold_decic);
        /* Past the older person's limit, short of the guest's. */
        assert_true(vt_harness_run_until(f->h, hot_ms + (lo.zone[CHAIR_HEAT_LUMBAR].limit_s + 60) * 1000ULL) >= 0);
        st = dose(f);
        assert_false(st.limited);
        assert_true(st.dose_s > lo.zone[CHAIR_HEAT_LUMBAR].limit_s);
        stop(f);

        supervisor_set_heat_dose_limit(core(f)->supervisor, &lo);
        assert_true(dose(f).limited);
        assert_true(dose(f).dose_s + 60 >= st.dose_s);
        assert_true(chair_hw_output_blocked(core(f)->hw, CHAIR_OUT_HEAT_LUMBAR));

        /* Back to the guest: the dose is not theirs to reset, their own limit applies to it. */
        supervisor_set_heat_dose_limit(core(f)->supervisor, &lg);
        assert_true(dose(f).dose_s + 60 >= st.dose_s);
        assert_int_equal(dose(f).limit_s, lg.zone[CHAIR_HEAT_LUMBAR].limit_s);
        /* Above the guest's resume level still: shut until it decays there. */
        if (dose(f).dose_s > lg.zone[CHAIR_HEAT_LUMBAR].resume_s)
                assert_true(dose(f).limited);
        (void) run_until_limited(f, false, lg.zone[CHAIR_HEAT_LUMBAR].limit_s * 1000ULL);
        assert_true(dose(f).dose_s <= lg.zone[CHAIR_HEAT_LUMBAR].resume_s);
}

/* A person with no heat (limit 0) keeps the element shut even where the gate would let it on:
 * the output test, which asks the router directly, is refused. */
static void test_zero_limit_shuts_the_element_for_every_path(void **state) {
        struct fixture *f = *state;
        struct person p = { .conditions = none, .heat_cap = 0, .intensity_cap = 5 };
        struct heat_dose_limit l;

        heat_dose_limit_for_person(&p, &l);
        supervisor_set_heat_dose_limit(core(f)->supervisor, &l);
        assert_true(dose(f).limited);
        assert_int_equal(chair_hw_set_output(core(f)->hw, CHAIR_OUT_HEAT_LUMBAR, 1), -EPERM);
        assert_int_equal(chair_hw_set_output(core(f)->hw, CHAIR_OUT_HEAT_LUMBAR, 0), 0);
        assert_int_equal(vt_harness_output(f->h, CHAIR_OUT_HEAT_LUMBAR), 0);
        heat_dose_limit_default(&l);
        supervisor_set_heat_dose_limit(core(f)->supervisor, &l);
        assert_false(dose(f).limited);
        assert_int_equal(chair_hw_set_output(core(f)->hw, CHAIR_OUT_HEAT_LUMBAR, 1), 0);
        assert_int_equal(chair_hw_set_output(core(f)->hw, CHAIR_OUT_HEAT_LUMBAR, 0), 0);
}

/* A zone off for its dose refuses heat with the reason (until when, the limit), not a level the
 * router would refuse; off is still taken; the panel's heat key beeps the refusal and still
 * sets the zone that is not off. */
static void test_heat_refused_with_its_reason_while_the_zone_rests(void **state) {
        struct fixture *f = *state;
        struct chair_error e = CHAIR_ERROR_NULL;
        struct heat_dose_limit l;
        struct panel_stats before, after;
        struct heat_dose_status st;
        char want[128];

        heat_dose_limit_default(&l);
        l.zone[CHAIR_HEAT_LUMBAR].limit_s = 60;
        l.zone[CHAIR_HEAT_LUMBAR].resume_s = 30;
        supervisor_set_heat_dose_limit(core(f)->supervisor, &l);
        start_heat(f);
        (void) run_until_hot(f, l.zone[CHAIR_HEAT_LUMBAR].threshold_decic);
        (void) run_until_limited(f, true, 120 * 1000);
        st = dose(f);

        assert_int_equal(session_set_heat(core(f)->session, CHAIR_HEAT_LUMBAR, 2, &e), -EACCES);
        assert_true(chair_error_is(&e, CHAIR_REASON_PRECAUTION));
        assert_non_null(strstr(e.message, "lumbar heat rests until "));
        snprintf(want, sizeof want, ": %u min at %g °C, your limit", st.limit_s / 60, st.threshold_decic / 10.0);
        assert_non_null(strstr(e.message, want));
        /* HH:MM */
        assert_true(strlen(e.message) > strlen("lumbar heat rests until 00:00"));
        assert_int_equal(e.message[strlen("lumbar heat rests until ") + 2], ':');
        /* Off is never refused; the other zone is not resting. */
        chair_error_reset(&e);
        assert_int_equal(session_set_heat(core(f)->session, CHAIR_HEAT_LUMBAR, 0, &e), 0);
        assert_int_equal(session_settings(core(f)->session)->heat[CHAIR_HEAT_LUMBAR], 0);
        assert_int_equal(session_set_heat(core(f)->session, CHAIR_HEAT_CALVES, 0, &e), 0);

        /* The panel's heat key (0 -> 1): a long beep, the calves take the level, lumbar stays off. */
        panel_get_stats(core(f)->panel, &before);
        assert_int_equal(vt_harness_key_down(f->h, CHAIR_KEY_HEAT), 0);
        assert_true(vt_harness_run_for(f->h, 100) >= 0);
        assert_int_equal(vt_harness_key_up(f->h), 0);
        assert_true(vt_harness_run_for(f->h, 1000) >= 0);
        panel_get_stats(core(f)->panel, &after);
        assert_int_equal(after.beeps[PANEL_BEEP_LONG], before.beeps[PANEL_BEEP_LONG] + 1);
        assert_int_equal(after.beeps[PANEL_BEEP_SHORT], before.beeps[PANEL_BEEP_SHORT]);
        assert_int_equal(session_settings(core(f)->session)->heat[CHAIR_HEAT_LUMBAR], 0);
        assert_int_equal(session_settings(core(f)->session)->heat[CHAIR_HEAT_CALVES], 1);
        assert_null(vt_harness_first_fault(f->h));
}

/* The lumbar entry of the stored heat_dose line: its dose and time (s). */
static void stored_lumbar(const char *dir, unsigned *ret_dose, unsigned long long *ret_time) {
        char path[512], line[600];
        bool found = false;
        FILE *fp;

        snprintf(path, sizeof path, "%s/settings", dir);
        fp = fopen(path, "re");
        assert_non_null(fp);
        while (fgets(line, sizeof line, fp))
                found |= sscanf(line, "heat_dose=lumbar,%u,%llu,", ret_dose, ret_time) == 2;
        fclose(fp);
        assert_true(found);
}

static struct vt_harness *boot(const char *dir, uint64_t realtime_s) {
        struct vt_harness *h;
        assert_int_equal(vt_harness_new(&(struct vt_harness_options) { .state_dir = dir,
                                                                       .realtime_start_usec = realtime_s * 1000000ULL },
                                        &h), 0);
        return h;
}

static struct heat_dose_status lumbar_of(struct vt_harness *h) {
        struct heat_dose_status st;
        assert_int_equal(supervisor_heat_dose(vt_harness_core(h)->supervisor, CHAIR_HEAT_LUMBAR, &st), 0);
        return st;
}

/* A restart (a crash, a restart loop) does not reset the dose: a new harness on the same state
 * directory starts with it, decayed by the wall-clock time between; a clock that went back
 * decays nothing; an unreadable record starts every zone at its limit. */
static void test_the_dose_survives_a_restart(void **state) {
        struct fixture *f = *state;
        char dir[] = "/tmp/test-heat-dose-XXXXXX", path[600];
        struct chair_error e = CHAIR_ERROR_NULL;
        unsigned long long t;
        struct heat_dose_status st;
        struct vt_harness *h;
        unsigned stored;

        assert_non_null(mkdtemp(dir));
        /* The fixture's chair is not this one: a chair of our own on our directory. */
        vt_harness_free(f->h);
        f->h = boot(dir, 1767225600);
        assert_int_equal(chair_changes_subscribe(core(f)->changes, on_changes, f), 0);
        start_heat(f);
        (void) run_until_hot(f, dose(f).threshold_decic);
        (void) run_until_limited(f, true, (dose(f).limit_s + 60) * 1000ULL);
        /* Stored at its 60 s steps while it runs, not only at shutdown. */
        stored_lumbar(dir, &stored, &t);
        assert_true(stored + 60 >= dose(f).dose_s);
        st = dose(f);
        f->h = vt_harness_free(f->h);
        stored_lumbar(dir, &stored, &t);
        assert_true(stored >= st.dose_s);

        /* 100 s later by the wall clock: the dose less 100 s, still off, heat refused. */
        f->h = boot(dir, t + 100);
        st = dose(f);
        assert_int_equal(st.dose_s, stored - 100);
        assert_true(st.limited);
        assert_true(chair_hw_output_blocked(core(f)->hw, CHAIR_OUT_HEAT_LUMBAR));
        start_session(f);
        assert_int_equal(session_set_heat(core(f)->session, CHAIR_HEAT_LUMBAR, 2, &e), -EACCES);
        f->h = vt_harness_free(f->h);
        stored_lumbar(dir, &stored, &t);

        /* A clock gone back a day: kept as stored, never more for a negative time. */
        f->h = boot(dir, t - 86400);
        assert_int_equal(dose(f).dose_s, stored);
        assert_true(dose(f).limited);
        f->h = vt_harness_free(f->h);

        /* Long enough for it all to decay: no dose, heat may come. */
        h = boot(dir, t + 3 * 3600);
        assert_int_equal(lumbar_of(h).dose_s, 0);
        assert_false(lumbar_of(h).limited);
        vt_harness_free(h);

        /* An unreadable record: at the limit, off until it decays. */
        snprintf(path, sizeof path, "%s/settings", dir);
        {
                FILE *fp = fopen(path, "we");
                assert_non_null(fp);
                fputs("precautions=\nheat_dose=lumbar,garbage\n", fp);
                fclose(fp);
        }
        h = boot(dir, t + 4 * 3600);
        st = lumbar_of(h);
        assert_true(st.limited);
        assert_int_equal(st.dose_s, st.limit_s);
        vt_harness_free(h);

        f->h = boot(NULL, 0); /* for the fixture's teardown */
        snprintf(path, sizeof path, "rm -rf -- '%s'", dir);
        assert_int_equal(system(path), 0);
}

static char **strv_of(const char *a) {
        char **l = calloc(2, sizeof *l);
        assert_non_null(l);
        if (a)
                assert_non_null(l[0] = strdup(a));
        return l;
}

/* The core follows the active person (core.c): their conditions and heat cap set the
 * supervisor's limit, their own programs join the catalog; the guest's are the chair's. */
static void test_the_core_follows_the_active_person(void **state) {
        struct fixture *f = *state;
        struct chair_error e = CHAIR_ERROR_NULL;
        struct heat_dose_limit def;
        struct program_summary ps;
        char dir[512], text[1024], err[1024] = "";
        char **l;
        uint32_t id;

        heat_dose_limit_default(&def);
        assert_int_equal(people_create(core(f)->people, "Anna", &id, &e), 0);
        l = strv_of("over-65");
        assert_int_equal(people_set_conditions(core(f)->people, id, l, &e), 0);
        assert_int_equal(dose(f).limit_s, def.zone[CHAIR_HEAT_LUMBAR].limit_s);   /* not active yet */
        assert_int_equal(people_select(core(f)->people, id, &e), 0);
        assert_int_equal(dose(f).limit_s, def.zone[CHAIR_HEAT_LUMBAR].limit_s / 2);
        /* Their conditions change while active: the limit follows. */
        l = strv_of(NULL);
        assert_int_equal(people_set_conditions(core(f)->people, id, l, &e), 0);
        assert_int_equal(dose(f).limit_s, def.zone[CHAIR_HEAT_LUMBAR].limit_s);
        assert_int_equal(people_set_caps(core(f)->people, id, 5, 2, &e), 0);
        assert_int_equal(dose(f).limit_s, def.zone[CHAIR_HEAT_LUMBAR].limit_s * 3 / 4);

        /* Their own program: in the catalog while they are active, not the guest's. */
        assert_int_equal(people_programs_dir(core(f)->people, id, dir, sizeof dir), 0);
        snprintf(text, sizeof text,
                 "[program]\nid = annas-back\nname = Anna\ndescription = Hers\nduration_s = 600\nintensity = 2\n"
                 "areas = back\n\n[step.roll]\ntechnique = roll\nrange = 1.2..-0.1\nspeed = 2\ndepth = 1\n"
                 "repetitions = 2\n");
        assert_int_equal(program_library_install_person(core(f)->library, dir, "annas-back.ini", text, strlen(text), 5, err,
                                                        sizeof err), 0);
        assert_int_equal(program_library_find(core(f)->library, "annas-back", &ps), 0);
        assert_int_equal(people_select(core(f)->people, PERSON_GUEST_ID, &e), 0);
        assert_int_equal(dose(f).limit_s, def.zone[CHAIR_HEAT_LUMBAR].limit_s);
        assert_int_equal(program_library_find(core(f)->library, "annas-back", &ps), -ENOENT);
        assert_int_equal(people_select(core(f)->people, id, &e), 0);
        assert_int_equal(program_library_find(core(f)->library, "annas-back", &ps), 0);
        assert_true(ps.person);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_defaults_come_from_the_table_and_the_guest, setup, teardown),
                cmocka_unit_test_setup_teardown(test_long_session_reaches_the_limit_in_the_tables_time, setup, teardown),
                cmocka_unit_test_setup_teardown(test_heat_refused_until_the_dose_decays_across_sessions, setup, teardown),
                cmocka_unit_test(test_person_limit_lowered_by_conditions_and_heat_cap),
                cmocka_unit_test_setup_teardown(test_lowering_condition_reaches_the_limit_sooner, setup, teardown),
                cmocka_unit_test_setup_teardown(test_switching_person_keeps_the_dose, setup, teardown),
                cmocka_unit_test_setup_teardown(test_zero_limit_shuts_the_element_for_every_path, setup, teardown),
                cmocka_unit_test_setup_teardown(test_the_core_follows_the_active_person, setup, teardown),
                cmocka_unit_test_setup_teardown(test_heat_refused_with_its_reason_while_the_zone_rests, setup, teardown),
                cmocka_unit_test_setup_teardown(test_the_dose_survives_a_restart, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
