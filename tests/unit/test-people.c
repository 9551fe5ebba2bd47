/* SPDX-License-Identifier: MIT */
/*
 * People (daemon/people.h, issue #20) on the whole chair in virtual time (tests/vt/vt-harness.h):
 * the life cycle (create, rename, select, delete with a wrong and the right confirmation, full
 * at PEOPLE_MAX, the name rules, ids never reused), persistence across a restart of the core on
 * the same state directory, isolation (a corrupt file or a deleted person leaves the others'
 * files as they were), the migration of the single-person files of earlier versions into the
 * guest, switching refused during a session, each person's scan, memory slots, history and
 * assessment, and every person-dependent limit on every path that moves an actuator: the
 * intensity cap on program start, recall, manual mode, live SetIntensity and the panel's
 * stronger key; the heat cap on live heat, at start (the preferred heat), on a program's heat
 * commands and on the output test; another person selected afterwards gets their own limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "changes.h"
#include "chair-hw.h"
#include "output-test.h"
#include "panel.h"
#include "people.h"
#include "scheduler.h"
#include "settings.h"
#include "state-store.h"
#include "strv.h"
#include "vt-harness.h"

/* ---- fixture: a state directory of the test's own, so a test can restart the core on it ---- */

struct fixture {
        char dir[64];
        struct vt_harness *h;
};

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        return remove(path);
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof *f);

        assert_non_null(f);
        snprintf(f->dir, sizeof f->dir, "/tmp/test-people-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;

        vt_harness_free(f->h);
        nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
        free(f);
        return 0;
}

/* The core (re)started on the fixture's directory. */
static struct vt_harness *boot(struct fixture *f) {
        f->h = vt_harness_free(f->h);
        assert_int_equal(vt_harness_new(&(struct vt_harness_options) { .state_dir = f->dir }, &f->h), 0);
        assert_true(vt_harness_run_for(f->h, 10) >= 0);
        return f->h;
}

static struct chair_core *core(struct vt_harness *h) {
        return vt_harness_core(h);
}

static struct people *ppl(struct vt_harness *h) {
        return core(h)->people;
}

static const struct session_settings *settings(struct vt_harness *h) {
        return session_settings(core(h)->session);
}

static void run(struct vt_harness *h, uint64_t ms) {
        assert_true(vt_harness_run_for(h, ms) >= 0);
}

static uint32_t create(struct vt_harness *h, const char *name) {
        struct chair_error e = CHAIR_ERROR_NULL;
        uint32_t id = 0;

        assert_int_equal(people_create(ppl(h), name, &id, &e), 0);
        assert_true(id > 0);
        return id;
}

static void select_person(struct vt_harness *h, uint32_t id) {
        struct chair_error e = CHAIR_ERROR_NULL;
        assert_int_equal(people_select(ppl(h), id, &e), 0);
        assert_int_equal(people_active(ppl(h))->id, id);
        run(h, 10);
}

static void caps(struct vt_harness *h, uint32_t id, uint32_t intensity, uint32_t heat) {
        struct chair_error e = CHAIR_ERROR_NULL;
        assert_int_equal(people_set_caps(ppl(h), id, intensity, heat, &e), 0);
        run(h, 10);
}

#define assert_refused(call, e, why)                                                   \
        do {                                                                           \
                assert_true((call) < 0);                                               \
                assert_int_equal((e)->reason, (why));                                  \
        } while (0)

#define assert_message_has(e, text)                                                    \
        do {                                                                           \
                if (!strstr((e)->message, (text)))                                     \
                        fail_msg("'%s' does not say '%s'", (e)->message, (text));      \
        } while (0)

static void start(struct vt_harness *h, const char *program, uint32_t intensity, bool heat) {
        struct chair_error e = CHAIR_ERROR_NULL;
        assert_int_equal(session_start(core(h)->session, program,
                                       &(struct session_options) { .intensity = intensity, .duration_s = 600, .scan = 0,
                                                                   .heat = heat },
                                       &e), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_RUNNING, 60 * 1000), 0);
}

static void stop_and_settle(struct vt_harness *h) {
        assert_int_equal(session_stop(core(h)->session, NULL), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 60 * 1000), 0);
}

/* The last session ended with reason "precaution" and the chair is idle again. */
static void assert_ended_by_precaution(struct vt_harness *h) {
        const struct vt_record *rec;

        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 60 * 1000), 0);
        rec = vt_harness_record(h);
        assert_true(rec->n_finished > 0);
        assert_string_equal(rec->finished[rec->n_finished - 1].reason, "precaution");
}

static void scan(struct vt_harness *h) {
        struct chair_error e = CHAIR_ERROR_NULL;
        assert_int_equal(session_start_scan(core(h)->session, &e), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 120 * 1000), 0);
}

static void tap(struct vt_harness *h, enum chair_key k) {
        assert_int_equal(vt_harness_key_down(h, k), 0);
        run(h, 100);
        assert_int_equal(vt_harness_key_up(h), 0);
        run(h, 1000);
}

/* Whether the beeper sounded the long "refused" beep (600 ms) since from_ms. */
static bool refused_beep_since(struct vt_harness *h, uint64_t from_ms) {
        const struct vt_record *rec = vt_harness_record(h);
        uint64_t on_us = 0;
        bool on = false;

        for (size_t i = 0; i < rec->n_outputs; i++) {
                const struct vt_output_change *c = &rec->outputs[i];
                if (c->out != CHAIR_OUT_BEEPER || c->at_ms < from_ms)
                        continue;
                if (c->value && !on)
                        on_us = c->at_us;
                else if (!c->value && on && c->at_us - on_us >= 500 * 1000)
                        return true;
                on = c->value != 0;
        }
        return false;
}

static char *read_file(const char *dir, const char *name, size_t *ret_len) {
        char path[256];
        FILE *fp;
        char *buf;
        long n;

        snprintf(path, sizeof path, "%s/%s", dir, name);
        fp = fopen(path, "re");
        if (!fp)
                return NULL;
        fseek(fp, 0, SEEK_END);
        n = ftell(fp);
        rewind(fp);
        buf = calloc(1, (size_t) n + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t) n, fp), (size_t) n);
        fclose(fp);
        *ret_len = (size_t) n;
        return buf;
}

static char **strv(const char *a, const char *b) {
        char **l = calloc(3, sizeof *l);
        assert_non_null(l);
        if (a)
                l[0] = strdup(a);
        if (b)
                l[1] = strdup(b);
        return l;
}

/* ---- life cycle ---- */

static void test_life_cycle(void **state) {
        struct vt_harness *h = boot(*state);
        struct chair_error e = CHAIR_ERROR_NULL;
        const struct person *list[PEOPLE_MAX + 1];
        uint32_t ann, bob, id, ids[PEOPLE_MAX + 1];
        char long_name[PERSON_NAME_MAX + 2];

        /* The guest alone, active, named guest. */
        assert_int_equal(people_list(ppl(h), list), 1);
        assert_int_equal(list[0]->id, PERSON_GUEST_ID);
        assert_string_equal(list[0]->name, "guest");
        assert_int_equal(people_active(ppl(h))->id, PERSON_GUEST_ID);

        ann = create(h, "Ann");
        bob = create(h, "Zoë Ø");    /* UTF-8, a space inside */
        assert_int_equal(ann, 1);
        assert_int_equal(bob, 2);
        assert_int_equal(people_list(ppl(h), list), 3);
        assert_string_equal(list[2]->name, "Zoë Ø");
        /* A new person has no cap of their own, no scan, the chair's timer. */
        assert_int_equal(list[1]->intensity_cap, 5);
        assert_int_equal(list[1]->heat_cap, 3);
        assert_int_equal(list[1]->shoulder_mm, -1);
        assert_int_equal(list[1]->timer_min, 0);

        /* The name rules. */
        memset(long_name, 'a', sizeof long_name - 1);
        long_name[sizeof long_name - 1] = 0;
        assert_refused(people_create(ppl(h), "", &id, &e), &e, CHAIR_REASON_INVALID_ARGS);
        assert_refused(people_create(ppl(h), long_name, &id, &e), &e, CHAIR_REASON_INVALID_ARGS);
        long_name[PERSON_NAME_MAX] = 0;
        assert_int_equal(people_create(ppl(h), long_name, &id, &e), 0);  /* exactly the most */
        assert_int_equal(people_delete(ppl(h), id, long_name, &e), 0);
        assert_refused(people_create(ppl(h), "a\tb", &id, &e), &e, CHAIR_REASON_INVALID_ARGS);
        assert_refused(people_create(ppl(h), "a\xc2\x85", &id, &e), &e, CHAIR_REASON_INVALID_ARGS); /* NEL */
        assert_refused(people_create(ppl(h), "\xff\xfe", &id, &e), &e, CHAIR_REASON_INVALID_ARGS);
        assert_refused(people_create(ppl(h), " Ann", &id, &e), &e, CHAIR_REASON_INVALID_ARGS);
        assert_refused(people_create(ppl(h), "guest", &id, &e), &e, CHAIR_REASON_NAME_TAKEN);
        assert_refused(people_create(ppl(h), "GUEST", &id, &e), &e, CHAIR_REASON_NAME_TAKEN);
        assert_refused(people_create(ppl(h), "aNN", &id, &e), &e, CHAIR_REASON_NAME_TAKEN);

        /* Rename: unique, not the guest; the same name in another case is the same person's. */
        assert_int_equal(people_rename(ppl(h), ann, "Anna", &e), 0);
        assert_string_equal(people_get(ppl(h), ann)->name, "Anna");
        assert_int_equal(people_rename(ppl(h), ann, "ANNA", &e), 0);
        assert_refused(people_rename(ppl(h), ann, "zoë Ø", &e), &e, CHAIR_REASON_NAME_TAKEN); /* ASCII letters' case */
        assert_refused(people_rename(ppl(h), PERSON_GUEST_ID, "Host", &e), &e, CHAIR_REASON_NOT_PERMITTED);
        assert_refused(people_rename(ppl(h), 77, "X", &e), &e, CHAIR_REASON_UNKNOWN_PERSON);

        /* Select, and the dirty list names who changed. */
        (void) people_take_dirty(ppl(h), ids);
        select_person(h, bob);
        assert_int_equal(people_take_dirty(ppl(h), ids), 2);
        assert_refused(people_select(ppl(h), 77, &e), &e, CHAIR_REASON_UNKNOWN_PERSON);

        /* Delete: the confirmation is the name; the guest never; the active one leaves the guest. */
        assert_refused(people_delete(ppl(h), bob, "Zoe", &e), &e, CHAIR_REASON_INVALID_ARGS);
        assert_refused(people_delete(ppl(h), bob, NULL, &e), &e, CHAIR_REASON_INVALID_ARGS);
        assert_non_null(people_get(ppl(h), bob));
        assert_refused(people_delete(ppl(h), PERSON_GUEST_ID, "guest", &e), &e, CHAIR_REASON_NOT_PERMITTED);
        assert_int_equal(people_delete(ppl(h), bob, "Zoë Ø", &e), 0);
        assert_null(people_get(ppl(h), bob));
        assert_int_equal(people_active(ppl(h))->id, PERSON_GUEST_ID);
        assert_refused(people_delete(ppl(h), bob, "Zoë Ø", &e), &e, CHAIR_REASON_UNKNOWN_PERSON);

        /* Full at PEOPLE_MAX; ids never reused. */
        for (unsigned i = people_list(ppl(h), list) - 1; i < PEOPLE_MAX; i++) {
                char name[16];
                snprintf(name, sizeof name, "p%u", i);
                id = create(h, name);
                assert_true(id > bob);
        }
        assert_int_equal(people_list(ppl(h), list), PEOPLE_MAX + 1);
        assert_refused(people_create(ppl(h), "one more", &id, &e), &e, CHAIR_REASON_PEOPLE_FULL);
        assert_int_equal(people_delete(ppl(h), ann, "ANNA", &e), 0);
        id = create(h, "Ann again");
        assert_int_equal(id, PEOPLE_MAX + 3);  /* 1..2, 3 (the long name), then 4.. */

        /* The panel's key cycles through them all, the guest after the last. */
        assert_int_equal(people_select(ppl(h), PERSON_GUEST_ID, &e), 0);
        assert_int_equal(people_list(ppl(h), list), PEOPLE_MAX + 1);
        for (unsigned i = 1; i <= PEOPLE_MAX; i++) {
                tap(h, CHAIR_KEY_PERSON);
                assert_int_equal(people_active(ppl(h))->id, list[i]->id);
        }
        tap(h, CHAIR_KEY_PERSON);
        assert_int_equal(people_active(ppl(h))->id, PERSON_GUEST_ID);
        /* The child lock ignores it. */
        chair_settings_set_child_lock(core(h)->settings, true, "from the test");
        tap(h, CHAIR_KEY_PERSON);
        assert_int_equal(people_active(ppl(h))->id, PERSON_GUEST_ID);
}

/* ---- the change bits ---- */

static void collect(uint32_t changed, void *userdata) {
        *(uint32_t *) userdata |= changed;
}

static void test_change_bits(void **state) {
        struct vt_harness *h = boot(*state);
        struct chair_error e = CHAIR_ERROR_NULL;
        uint32_t bits = 0, ann, ids[PEOPLE_MAX + 1];

        assert_int_equal(chair_changes_subscribe(core(h)->changes, collect, &bits), 0);
        ann = create(h, "Ann");
        run(h, 10);
        assert_true(bits & CHAIR_CHANGE_PEOPLE);
        assert_false(bits & CHAIR_CHANGE_ACTIVE_PERSON);
        /* Another person's caps: theirs only, nothing of the active one's. */
        bits = 0;
        (void) people_take_dirty(ppl(h), ids);
        caps(h, ann, 3, 2);
        assert_true(bits & CHAIR_CHANGE_PERSON);
        assert_false(bits & CHAIR_CHANGE_PRECAUTIONS);
        assert_int_equal(people_take_dirty(ppl(h), ids), 1);
        assert_int_equal(ids[0], ann);
        assert_int_equal(people_take_dirty(ppl(h), ids), 0);
        /* Selecting: the active person, both people's objects, the limits and the timer. */
        bits = 0;
        select_person(h, ann);
        assert_true(bits & CHAIR_CHANGE_ACTIVE_PERSON);
        assert_true(bits & CHAIR_CHANGE_PERSON);
        assert_true(bits & CHAIR_CHANGE_PRECAUTIONS);
        assert_true(bits & CHAIR_CHANGE_TIMER);
        /* The active person's caps: the limits too. */
        bits = 0;
        caps(h, ann, 4, 2);
        assert_true(bits & CHAIR_CHANGE_PRECAUTIONS);
        /* A rename: the list of people and the person. */
        bits = 0;
        assert_int_equal(people_rename(ppl(h), ann, "Anne", &e), 0);
        run(h, 10);
        assert_true(bits & CHAIR_CHANGE_PEOPLE);
        assert_true(bits & CHAIR_CHANGE_PERSON);
        /* Deleting the active person leaves the guest active. */
        bits = 0;
        assert_int_equal(people_delete(ppl(h), ann, "Anne", &e), 0);
        run(h, 10);
        assert_true(bits & CHAIR_CHANGE_PEOPLE);
        assert_true(bits & CHAIR_CHANGE_ACTIVE_PERSON);
        assert_int_equal(people_take_dirty(ppl(h), ids), 1);
        assert_int_equal(ids[0], PERSON_GUEST_ID);   /* the deleted one is not listed */
        /* No unsubscribe: the core goes before BITS does. */
        ((struct fixture *) *state)->h = vt_harness_free(h);
}

/* ---- switching during a session ---- */

static void test_switch_refused_during_session(void **state) {
        struct vt_harness *h = boot(*state);
        struct chair_error e = CHAIR_ERROR_NULL;
        uint32_t ann = create(h, "Ann");
        uint64_t t;

        select_person(h, ann);
        start(h, "swedish", 3, false);
        assert_refused(people_select(ppl(h), PERSON_GUEST_ID, &e), &e, CHAIR_REASON_BUSY);
        assert_refused(people_select_next(ppl(h), &e), &e, CHAIR_REASON_BUSY);
        assert_refused(people_delete(ppl(h), ann, "Ann", &e), &e, CHAIR_REASON_BUSY);
        t = vt_harness_now_ms(h);
        tap(h, CHAIR_KEY_PERSON);
        assert_true(refused_beep_since(h, t));
        assert_int_equal(people_active(ppl(h))->id, ann);
        /* Settling is not idle either. */
        assert_int_equal(session_stop(core(h)->session, NULL), 0);
        assert_int_equal(session_get_state(core(h)->session), SESSION_SETTLING);
        assert_refused(people_select(ppl(h), PERSON_GUEST_ID, &e), &e, CHAIR_REASON_BUSY);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 60 * 1000), 0);
        select_person(h, PERSON_GUEST_ID);
        /* The session went into Ann's history, not the guest's. */
        {
                struct history_entry *hist = NULL;
                size_t n = 0;
                assert_int_equal(people_history(ppl(h), ann, 10, &hist, &n), 0);
                assert_int_equal(n, 1);
                assert_string_equal(hist[0].program, "swedish");
                free(hist);
                assert_int_equal(people_history(ppl(h), PERSON_GUEST_ID, 10, &hist, &n), 0);
                assert_int_equal(n, 0);
                free(hist);
        }
}

/* An output test drives an actuator checked against the person active when it started: no one
 * else is selected (nor that person deleted) until it ends. */
static void test_switch_refused_during_output_test(void **state) {
        struct vt_harness *h = boot(*state);
        struct chair_error e = CHAIR_ERROR_NULL;
        uint32_t ann = create(h, "Ann");

        select_person(h, ann);
        assert_int_equal(output_test_start(core(h)->output_test, CHAIR_OUT_AIR_PUMP, 1, 2000, &e), 0);
        assert_refused(people_select(ppl(h), PERSON_GUEST_ID, &e), &e, CHAIR_REASON_BUSY);
        chair_error_reset(&e);
        assert_refused(people_select_next(ppl(h), &e), &e, CHAIR_REASON_BUSY);
        chair_error_reset(&e);
        assert_refused(people_delete(ppl(h), ann, "Ann", &e), &e, CHAIR_REASON_BUSY);
        chair_error_reset(&e);
        assert_int_equal(people_active(ppl(h))->id, ann);
        assert_true(output_test_active(core(h)->output_test));
        run(h, 2100);
        assert_false(output_test_active(core(h)->output_test));
        select_person(h, PERSON_GUEST_ID);
}

/* What counts as loosening (the bus asks manage-people for it): dropping a declared condition,
 * any list over an unreadable one, a cap that rises; adding, reordering, lowering do not. */
static void test_loosening_rule(void **state) {
        char preg[] = "pregnancy", fever[] = "fever", pace[] = "pacemaker", old[] = "over-65";
        char *declared[] = { preg, fever, NULL }, *none[] = { NULL };
        char *same[] = { fever, preg, NULL }, *more[] = { fever, pace, preg, NULL };
        char *fewer[] = { preg, NULL }, *other[] = { pace, old, NULL };
        struct person p = { .conditions = declared, .intensity_cap = 3, .heat_cap = 2 };

        assert_false(people_conditions_loosen(&p, same));
        assert_false(people_conditions_loosen(&p, more));
        assert_true(people_conditions_loosen(&p, fewer));
        assert_true(people_conditions_loosen(&p, other));
        assert_true(people_conditions_loosen(&p, none));
        assert_true(people_conditions_loosen(&p, NULL));
        p.conditions = none;
        assert_false(people_conditions_loosen(&p, NULL));
        assert_false(people_conditions_loosen(&p, more));
        /* Unreadable: what was declared is not known, any list loosens. */
        p.conditions_unreadable = true;
        assert_true(people_conditions_loosen(&p, more));
        assert_true(people_conditions_loosen(&p, none));

        assert_false(people_caps_loosen(&p, 3, 2));
        assert_false(people_caps_loosen(&p, 1, 0));
        assert_true(people_caps_loosen(&p, 4, 2));
        assert_true(people_caps_loosen(&p, 3, 3));
        assert_true(people_caps_loosen(&p, 1, 3));
}

/* ---- each person's own state ---- */

static void test_own_scan_memory_history(void **state) {
        struct fixture *f = *state;
        struct vt_harness *h = boot(f);
        struct chair_error e = CHAIR_ERROR_NULL;
        struct assessment a = { .time_usec = 1, .pain_now = 6, .goal = GOAL_RELIEF };
        struct history_entry *hist = NULL;
        uint32_t ann = create(h, "Ann"), bob = create(h, "Bob");
        int32_t ann_shoulder;
        size_t n = 0;

        /* Ann's scan and fine-tune are hers: ShoulderPosition follows who is active. */
        select_person(h, ann);
        scan(h);
        ann_shoulder = session_shoulder_mm(core(h)->session);
        assert_true(ann_shoulder > 0);
        assert_int_equal(session_adjust_shoulder(core(h)->session, 2, &e), 0);
        assert_int_equal(session_shoulder_mm(core(h)->session), ann_shoulder + 20);
        assert_int_equal(people_get(ppl(h), ann)->shoulder_adjust, 2);
        select_person(h, bob);
        assert_int_equal(session_shoulder_mm(core(h)->session), -1);
        select_person(h, ann);
        assert_int_equal(session_shoulder_mm(core(h)->session), ann_shoulder + 20);

        /* Memory slots: Ann's A is not Bob's. */
        start(h, "swedish", 2, false);
        assert_int_equal(session_save_memory(core(h)->session, 1, &e), 0);
        stop_and_settle(h);
        assert_true(people_get(ppl(h), ann)->memory[0].used);
        assert_false(people_get(ppl(h), bob)->memory[0].used);
        select_person(h, bob);
        assert_refused(session_recall_memory(core(h)->session, 1, &e), &e, CHAIR_REASON_NOT_PERMITTED);

        /* Ann's assessment goes with her next session once. */
        for (size_t i = 0; i < _PAIN_AREA_MAX; i++)
                a.pain[i] = PAIN_NOT_RATED;
        a.pain[PAIN_LOWER_BACK] = 7;
        assert_refused(people_set_assessment(ppl(h), ann, &(struct assessment) { .pain_now = 11 }, &e), &e,
                       CHAIR_REASON_INVALID_ARGS);
        assert_int_equal(people_set_assessment(ppl(h), ann, &a, &e), 0);
        select_person(h, ann);
        start(h, "lower-back", 2, false);
        stop_and_settle(h);
        start(h, "lower-back", 2, false);
        stop_and_settle(h);
        assert_int_equal(people_history(ppl(h), ann, 10, &hist, &n), 0);
        assert_int_equal(n, 3);
        assert_false(hist[0].assessed);             /* newest: the assessment was used */
        assert_int_equal(hist[0].pain_before, HISTORY_NOT_RATED);
        assert_true(hist[1].assessed);
        assert_int_equal(hist[1].goal, GOAL_RELIEF);
        assert_int_equal(hist[1].pain_before, 6);
        assert_int_equal(hist[1].area_before[PAIN_LOWER_BACK], 7);
        assert_int_equal(hist[1].area_before[PAIN_NECK], HISTORY_NOT_RATED);
        assert_int_equal(hist[1].area_after[PAIN_LOWER_BACK], HISTORY_NOT_RATED);
        assert_int_equal(people_get(ppl(h), ann)->assessment_used_by, hist[1].id);

        /* A rating finds the session's person; another's session is not theirs. */
        {
                uint16_t after[_PAIN_AREA_MAX];
                uint32_t who = 99;
                for (size_t i = 0; i < _PAIN_AREA_MAX; i++)
                        after[i] = PAIN_NOT_RATED;
                after[PAIN_LOWER_BACK] = 3;
                assert_int_equal(people_find_session(ppl(h), hist[1].id, &who), 0);
                assert_int_equal(who, ann);
                assert_int_equal(people_rate_session(ppl(h), ann, hist[1].id, PAIN_NOT_RATED, 2, after, &e), 0);
                assert_true(people_rate_session(ppl(h), bob, hist[1].id, 5, 2, NULL, &e) == -ENOENT);
                assert_refused(people_rate_session(ppl(h), ann, hist[1].id, 11, 2, NULL, &e), &e,
                               CHAIR_REASON_INVALID_ARGS);
        }
        free(hist);
        assert_int_equal(people_history(ppl(h), ann, 10, &hist, &n), 0);
        assert_int_equal(hist[1].pain_before, 6);   /* kept: not rated again */
        assert_int_equal(hist[1].pain_after, 2);
        assert_int_equal(hist[1].area_after[PAIN_LOWER_BACK], 3);
        free(hist);
        assert_int_equal(people_history(ppl(h), bob, 10, &hist, &n), 0);
        assert_int_equal(n, 0);
        free(hist);
}

/* ---- persistence ---- */

static void test_persistence(void **state) {
        struct fixture *f = *state;
        struct vt_harness *h = boot(f);
        struct chair_error e = CHAIR_ERROR_NULL;
        struct history_entry *hist = NULL;
        uint32_t ann = create(h, "Ann"), bob = create(h, "Bob"), id;
        int32_t shoulder;
        size_t n = 0;
        const struct person *p;

        /* The guest's scan lasts until a restart, as the one person's always did. */
        scan(h);
        assert_true(session_shoulder_mm(core(h)->session) > 0);
        select_person(h, ann);
        assert_int_equal(people_set_conditions(ppl(h), ann, strv("osteoporosis", NULL), &e), 0);
        caps(h, ann, 2, 1);
        assert_int_equal(people_set_timer(ppl(h), ann, 10, &e), 0);
        assert_refused(people_set_timer(ppl(h), ann, 11, &e), &e, CHAIR_REASON_INVALID_ARGS);
        assert_int_equal(people_set_heat_pref(ppl(h), ann, (const uint32_t[2]) { 1, 0 }, &e), 0);
        assert_refused(people_set_heat_pref(ppl(h), ann, (const uint32_t[2]) { 4, 0 }, &e), &e, CHAIR_REASON_INVALID_ARGS);
        scan(h);
        shoulder = session_shoulder_mm(core(h)->session);
        start(h, "swedish", 2, false);
        assert_int_equal(session_save_memory(core(h)->session, 2, &e), 0);
        stop_and_settle(h);
        assert_int_equal(people_delete(ppl(h), bob, "Bob", &e), 0);

        h = boot(f);
        /* The guest is active at start; Ann is back with all of hers; Bob's id stays used. */
        assert_int_equal(people_active(ppl(h))->id, PERSON_GUEST_ID);
        assert_null(people_get(ppl(h), bob));
        p = people_get(ppl(h), ann);
        assert_non_null(p);
        assert_string_equal(p->name, "Ann");
        assert_string_equal(p->conditions[0], "osteoporosis");
        assert_null(p->conditions[1]);
        assert_false(p->conditions_unreadable);
        assert_int_equal(p->intensity_cap, 2);
        assert_int_equal(p->heat_cap, 1);
        assert_int_equal(p->timer_min, 10);
        assert_int_equal(p->heat_pref[0], 1);
        assert_true(p->memory[1].used);
        assert_string_equal(p->memory[1].program, "swedish");
        assert_int_equal(people_history(ppl(h), ann, 10, &hist, &n), 0);
        assert_int_equal(n, 1);
        free(hist);
        assert_int_equal(session_shoulder_mm(core(h)->session), -1);   /* the guest's: not kept */
        select_person(h, ann);
        assert_int_equal(session_shoulder_mm(core(h)->session), shoulder);
        /* Their timer is what the next session gets; the guest's is the chair's. */
        assert_int_equal(settings(h)->timer_min, 10);
        select_person(h, PERSON_GUEST_ID);
        assert_int_equal(settings(h)->timer_min, chair_settings_default_timer(core(h)->settings));
        /* Their own timer set while they sit: the next session's; the running one keeps its. */
        select_person(h, ann);
        assert_int_equal(people_set_timer(ppl(h), ann, 20, &e), 0);
        run(h, 10);
        assert_int_equal(settings(h)->timer_min, 20);
        assert_int_equal(session_start(core(h)->session, "swedish",
                                       &(struct session_options) { .duration_s = 1200, .scan = 0 }, &e), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_RUNNING, 60 * 1000), 0);
        assert_int_equal(session_duration_s(core(h)->session), 1200);
        assert_int_equal(people_set_timer(ppl(h), ann, 10, &e), 0);
        run(h, 10);
        assert_int_equal(session_duration_s(core(h)->session), 1200);
        stop_and_settle(h);
        select_person(h, PERSON_GUEST_ID);
        id = create(h, "Cleo");
        assert_int_equal(id, bob + 1);
}

/* ---- isolation ---- */

static void test_isolation(void **state) {
        struct fixture *f = *state;
        struct vt_harness *h = boot(f);
        struct chair_error e = CHAIR_ERROR_NULL;
        char dir[128], *before, *after;
        const char *garbage;
        uint32_t ann = create(h, "Ann"), bob = create(h, "Bob"), cleo = create(h, "Cleo");
        size_t len_before, len_after;
        int fd;

        assert_int_equal(people_set_conditions(ppl(h), bob, strv("pacemaker", NULL), &e), 0);
        caps(h, cleo, 3, 2);
        snprintf(dir, sizeof dir, "%s/people", f->dir);
        h = f->h = vt_harness_free(f->h);

        /* Ann's file is garbage: Bob's and Cleo's files are untouched by the load. */
        before = read_file(dir, "2", &len_before);
        assert_non_null(before);
        {
                char path[160];
                snprintf(path, sizeof path, "%s/%u", dir, ann);
                fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
                assert_true(fd >= 0);
                garbage = "\x01\x02 not a person file\xff\nname=\n=\n";
                assert_true(write(fd, garbage, strlen(garbage)) > 0);
                close(fd);
        }
        h = boot(f);
        after = read_file(dir, "2", &len_after);
        assert_non_null(after);
        assert_int_equal(len_before, len_after);
        assert_memory_equal(before, after, len_before);
        free(after);
        assert_non_null(people_get(ppl(h), bob));
        assert_string_equal(people_get(ppl(h), bob)->conditions[0], "pacemaker");
        assert_int_equal(people_get(ppl(h), cleo)->intensity_cap, 3);
        assert_int_equal(people_get(ppl(h), cleo)->heat_cap, 2);
        /* Ann is still there, but her conditions could not be read: nothing may move for her
         * until declared again. */
        assert_non_null(people_get(ppl(h), ann));
        assert_true(people_get(ppl(h), ann)->conditions_unreadable);
        select_person(h, ann);
        assert_refused(session_start(core(h)->session, "swedish", &(struct session_options) { .scan = 0 }, &e), &e,
                       CHAIR_REASON_PRECAUTION);
        select_person(h, PERSON_GUEST_ID);

        /* Deleting Cleo leaves Bob's file as it was. */
        assert_int_equal(people_delete(ppl(h), cleo, "Cleo", &e), 0);
        after = read_file(dir, "2", &len_after);
        assert_non_null(after);
        assert_int_equal(len_before, len_after);
        assert_memory_equal(before, after, len_before);
        free(after);
        free(before);
        assert_null(read_file(dir, "3", &len_after));
        h = boot(f);
        assert_null(people_get(ppl(h), cleo));
        assert_non_null(people_get(ppl(h), bob));
}

/* A file whose name line is unreadable loads as "person N"; when a real person is called that,
 * the one loaded with the default name takes a unique one ("person N (2)"), stored, so the next
 * start agrees; the real person keeps theirs, and the rest of the file is kept. */
static void test_unreadable_name_unique(void **state) {
        struct fixture *f = *state;
        struct vt_harness *h = boot(f);
        struct chair_error e = CHAIR_ERROR_NULL;
        uint32_t ann = create(h, "Ann"), bob = create(h, "Bob"), cleo = create(h, "Cleo");
        char dir[128], path[160], *text, *line;
        size_t len;
        int fd;

        assert_int_equal(people_rename(ppl(h), bob, "person 1", &e), 0);
        assert_int_equal(ann, 1);
        assert_int_equal(people_rename(ppl(h), cleo, "Person 1 (2)", &e), 0); /* taken too, case aside */
        caps(h, ann, 2, 1);
        h = f->h = vt_harness_free(f->h);

        /* Ann's name line: not UTF-8. */
        snprintf(dir, sizeof dir, "%s/people", f->dir);
        text = read_file(dir, "1", &len);
        assert_non_null(text);
        line = strstr(text, "name=Ann\n");
        assert_non_null(line);
        memcpy(line, "name=\xff\xfe\xfd", 8);
        snprintf(path, sizeof path, "%s/1", dir);
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, len), (ssize_t) len);
        close(fd);
        free(text);

        /* Twice: the second start reads the name the first one stored. */
        for (int boots = 0; boots < 2; boots++) {
                h = boot(f);
                assert_non_null(people_get(ppl(h), ann));
                assert_string_equal(people_get(ppl(h), ann)->name, "person 1 (3)");
                assert_int_equal(people_get(ppl(h), ann)->intensity_cap, 2);
                assert_string_equal(people_get(ppl(h), bob)->name, "person 1");
                assert_string_equal(people_get(ppl(h), cleo)->name, "Person 1 (2)");
        }
        text = read_file(dir, "1", &len);
        assert_non_null(text);
        assert_non_null(strstr(text, "name=person 1 (3)\n"));
        free(text);
}

/* The guest's file refused whole (a link, say) or gone: the guest fails closed. */
/* A start stores nothing: a daemon that then fails to own its bus name (or was run by hand as
 * another user) leaves no people/ behind that the chair's own user could not open. */
static void test_start_writes_nothing(void **state) {
        struct fixture *f = *state;
        struct vt_harness *h = boot(f);
        char path[160];
        struct stat st;

        snprintf(path, sizeof path, "%s/people", f->dir);
        assert_int_equal(stat(path, &st), -1);
        assert_int_equal(errno, ENOENT);
        assert_int_equal(chair_settings_set_precautions(core(h)->settings, strv(NULL, NULL)), 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
        snprintf(path, sizeof path, "%s/people/0", f->dir);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        snprintf(path, sizeof path, "%s/people/next-id", f->dir);
        assert_int_equal(stat(path, &st), 0);
}

static void test_guest_file_lost_fails_closed(void **state) {
        struct fixture *f = *state;
        struct chair_error e = CHAIR_ERROR_NULL;
        struct vt_harness *h = boot(f);
        char path[160];

        /* A start writes nothing: the guest's file exists once something is stored. */
        assert_int_equal(chair_settings_set_precautions(core(h)->settings, strv(NULL, NULL)), 0);
        h = f->h = vt_harness_free(f->h);
        snprintf(path, sizeof path, "%s/people/0", f->dir);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(symlink("/etc/hostname", path), 0);
        h = boot(f);
        assert_true(people_active(ppl(h))->conditions_unreadable);
        assert_refused(session_start(core(h)->session, "gentle", &(struct session_options) { .scan = 0 }, &e), &e,
                       CHAIR_REASON_PRECAUTION);
        assert_int_equal(chair_settings_set_precautions(core(h)->settings, strv(NULL, NULL)), 0);
        start(h, "gentle", 3, false);
        stop_and_settle(h);
        /* Declared again, it is kept as anyone's. */
        h = boot(f);
        assert_false(people_active(ppl(h))->conditions_unreadable);
}

/* ---- the migration of the single-person files ---- */

static void test_migration(void **state) {
        struct fixture *f = *state;
        struct state_store *st = NULL;
        struct vt_harness *h;
        struct history_entry *hist = NULL;
        struct history_entry e1 = { .id = 1000, .program = "swedish", .start_usec = 1, .duration_s = 60,
                                    .intensity = 3, .pain_before = 6, .pain_after = 2, .reason = "completed" };
        struct history_entry e2 = { .id = 2000, .program = "gentle", .start_usec = 2, .duration_s = 90,
                                    .intensity = 2, .pain_before = HISTORY_NOT_RATED, .pain_after = HISTORY_NOT_RATED,
                                    .reason = "stopped" };
        struct memory_slot m = { .used = true, .program = "gentle", .intensity = 2, .speed = 3, .width = 1,
                                 .depth = 2, .air_intensity = 3, .timer_min = 20 };
        const char *const conditions[] = { "osteoporosis", NULL };
        const struct person *g;
        size_t n = 0;

        for (size_t i = 0; i < HISTORY_AREAS; i++)
                e1.area_before[i] = e1.area_after[i] = e2.area_before[i] = e2.area_after[i] = HISTORY_NOT_RATED;
        /* What a chair of an earlier version left. */
        assert_int_equal(state_store_open(f->dir, &st), 0);
        assert_int_equal(state_store_save_precautions(st, conditions), 0);
        assert_int_equal(state_store_save_memory(st, 1, &m), 0);
        assert_int_equal(state_store_append_history(st, &e1), 0);
        assert_int_equal(state_store_append_history(st, &e2), 0);
        assert_int_equal(state_store_save_child_lock(st, true), 0);
        state_store_close(st);

        h = boot(f);
        g = people_active(ppl(h));
        assert_int_equal(g->id, PERSON_GUEST_ID);
        assert_string_equal(g->conditions[0], "osteoporosis");
        assert_null(g->conditions[1]);
        assert_true(g->memory[0].used);
        assert_string_equal(g->memory[0].program, "gentle");
        assert_false(g->memory[1].used);
        assert_int_equal(people_history(ppl(h), PERSON_GUEST_ID, 10, &hist, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(hist[0].id, 2000);   /* newest first, as before */
        assert_int_equal(hist[1].id, 1000);
        assert_int_equal(hist[1].pain_after, 2);
        free(hist);
        /* The chair-wide settings stay the chair's. */
        assert_true(chair_settings_child_lock(core(h)->settings));

        /* Once: a cleared list stays cleared across a restart (the old file is not read again). */
        assert_int_equal(chair_settings_set_precautions(core(h)->settings, strv(NULL, NULL)), 0);
        h = boot(f);
        assert_null(people_active(ppl(h))->conditions[0]);
        assert_int_equal(people_history(ppl(h), PERSON_GUEST_ID, 10, &hist, &n), 0);
        assert_int_equal(n, 2);
        free(hist);
}

/* An unreadable precautions line in the old settings file fails closed in the guest. */
static void test_migration_fails_closed(void **state) {
        struct fixture *f = *state;
        struct chair_error e = CHAIR_ERROR_NULL;
        struct vt_harness *h;
        char path[128];
        FILE *fp;

        snprintf(path, sizeof path, "%s/settings", f->dir);
        fp = fopen(path, "we");
        assert_non_null(fp);
        fputs("precautions=not-a-condition\n", fp);
        fclose(fp);
        h = boot(f);
        assert_true(people_active(ppl(h))->conditions_unreadable);
        assert_refused(session_start(core(h)->session, "swedish", &(struct session_options) { .scan = 0 }, &e), &e,
                       CHAIR_REASON_PRECAUTION);
        /* Still after a restart: the guest's file keeps it closed. */
        h = boot(f);
        assert_true(people_active(ppl(h))->conditions_unreadable);
}

/* ---- every limit per person, on every path ---- */

/* The highest heat level the scheduler held on zone z since the observer started. */
struct heat_watch {
        int32_t max[_CHAIR_HEAT_ZONE_MAX];
};

static void watch_heat(struct vt_harness *h, void *userdata) {
        struct heat_watch *w = userdata;
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++) {
                int32_t l = scheduler_heat_level(core(h)->scheduler, z);
                if (l > w->max[z])
                        w->max[z] = l;
        }
}

static void test_intensity_cap_every_path(void **state) {
        struct vt_harness *h = boot(*state);
        struct chair_error e = CHAIR_ERROR_NULL;
        struct memory_slot slot = { .used = true, .program = "swedish", .intensity = 5, .speed = 3, .width = 1,
                                    .depth = 3, .air_intensity = 3, .timer_min = 20 };
        uint32_t ann = create(h, "Ann"), bob = create(h, "Bob");
        uint64_t t;

        caps(h, ann, 2, 3);
        select_person(h, ann);
        /* Idle: the level shown for the next session follows the cap at once. */
        assert_true(settings(h)->intensity <= 2);

        /* Program start: clamped to the cap. */
        start(h, "swedish", 4, false);
        assert_int_equal(settings(h)->intensity, 2);
        /* Live SetIntensity: refused, naming the cap. */
        chair_error_reset(&e);
        assert_refused(session_set_intensity(core(h)->session, 3, &e), &e, CHAIR_REASON_PRECAUTION);
        assert_message_has(&e, "your intensity cap (2)");
        assert_int_equal(settings(h)->intensity, 2);
        assert_int_equal(session_set_intensity(core(h)->session, 1, &e), 0);
        assert_int_equal(session_set_intensity(core(h)->session, 2, &e), 0);
        /* The panel's stronger key: refused with the long beep. */
        t = vt_harness_now_ms(h);
        tap(h, CHAIR_KEY_INTENSITY_UP);
        assert_true(refused_beep_since(h, t));
        assert_int_equal(settings(h)->intensity, 2);
        stop_and_settle(h);

        /* Recall of a slot saved stronger: clamped. */
        assert_int_equal(people_save_memory(ppl(h), ann, 1, &slot), 0);
        assert_int_equal(session_recall_memory(core(h)->session, 1, &e), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_RUNNING, 60 * 1000), 0);
        assert_int_equal(settings(h)->intensity, 2);
        stop_and_settle(h);

        /* Manual mode: clamped. */
        assert_int_equal(session_start_manual(core(h)->session, "knead", MANUAL_FULL,
                                              &(struct session_options) { .intensity = 5, .duration_s = 60 }, &e), 0);
        assert_int_equal(settings(h)->intensity, 2);
        assert_refused(session_set_intensity(core(h)->session, 4, &e), &e, CHAIR_REASON_PRECAUTION);
        stop_and_settle(h);

        /* A cap set during a session stricter than it was planned for ends it. */
        caps(h, ann, 5, 3);
        start(h, "swedish", 4, false);
        assert_int_equal(settings(h)->intensity, 4);
        caps(h, ann, 3, 3);
        assert_ended_by_precaution(h);
        caps(h, ann, 2, 3);

        /* Bob, selected afterwards, has his own limits: none. */
        select_person(h, bob);
        start(h, "swedish", 4, false);
        assert_int_equal(settings(h)->intensity, 4);
        assert_int_equal(session_set_intensity(core(h)->session, 5, &e), 0);
        stop_and_settle(h);
        /* And Ann hers again. */
        select_person(h, ann);
        start(h, "swedish", 5, false);
        assert_int_equal(settings(h)->intensity, 2);
        stop_and_settle(h);
}

static void test_heat_cap_every_path(void **state) {
        struct vt_harness *h = boot(*state);
        struct chair_error e = CHAIR_ERROR_NULL;
        struct heat_watch w = {};
        uint32_t ann = create(h, "Ann"), bob = create(h, "Bob");

        caps(h, ann, 5, 1);
        assert_int_equal(people_set_heat_pref(ppl(h), ann, (const uint32_t[2]) { 3, 0 }, &e), 0);
        select_person(h, ann);

        /* At the start: the preferred heat, clamped to the cap; a program's own heat commands
         * (swedish asks lumbar 2) never past it either. */
        vt_harness_set_observer(h, watch_heat, &w);
        start(h, "swedish", 3, true);
        assert_int_equal(settings(h)->heat[CHAIR_HEAT_LUMBAR], 1);
        run(h, 120 * 1000);
        assert_int_equal(w.max[CHAIR_HEAT_LUMBAR], 1);
        assert_true(w.max[CHAIR_HEAT_CALVES] <= 1);
        /* Heat set live: refused above the cap, naming it. */
        assert_refused(session_set_heat(core(h)->session, CHAIR_HEAT_CALVES, 2, &e), &e, CHAIR_REASON_PRECAUTION);
        assert_message_has(&e, "your heat cap (1)");
        assert_int_equal(session_set_heat(core(h)->session, CHAIR_HEAT_CALVES, 1, &e), 0);
        /* The panel's heat key: at the cap it goes round to off, never past it. */
        tap(h, CHAIR_KEY_HEAT);
        assert_int_equal(settings(h)->heat[CHAIR_HEAT_LUMBAR], 0);
        assert_int_equal(settings(h)->heat[CHAIR_HEAT_CALVES], 0);
        tap(h, CHAIR_KEY_HEAT);
        assert_int_equal(settings(h)->heat[CHAIR_HEAT_LUMBAR], 1);
        tap(h, CHAIR_KEY_HEAT);
        assert_int_equal(settings(h)->heat[CHAIR_HEAT_LUMBAR], 0);
        stop_and_settle(h);
        vt_harness_set_observer(h, NULL, NULL);

        /* A heat cap of 0: no heat at all, on every path; the output test too. */
        caps(h, ann, 5, 0);
        w = (struct heat_watch) {};
        vt_harness_set_observer(h, watch_heat, &w);
        start(h, "swedish", 3, true);
        run(h, 120 * 1000);
        assert_int_equal(w.max[CHAIR_HEAT_LUMBAR], 0);
        assert_int_equal(settings(h)->heat[CHAIR_HEAT_LUMBAR], 0);
        assert_refused(session_set_heat(core(h)->session, CHAIR_HEAT_LUMBAR, 1, &e), &e, CHAIR_REASON_PRECAUTION);
        assert_message_has(&e, "your heat cap (0)");
        stop_and_settle(h);
        vt_harness_set_observer(h, NULL, NULL);
        assert_refused(output_test_start(core(h)->output_test, CHAIR_OUT_HEAT_LUMBAR, 1, 1000, &e), &e,
                       CHAIR_REASON_PRECAUTION);
        assert_message_has(&e, "your heat cap (0)");
        /* With a cap of 1 the test may switch the element on (its temperature watched). */
        caps(h, ann, 5, 1);
        assert_int_equal(output_test_start(core(h)->output_test, CHAIR_OUT_HEAT_LUMBAR, 1, 1000, &e), 0);
        run(h, 1500);
        assert_false(output_test_active(core(h)->output_test));
        caps(h, ann, 5, 0);

        /* Bob has no cap: the program's heat, live heat 3 and the output test are his. */
        select_person(h, bob);
        w = (struct heat_watch) {};
        vt_harness_set_observer(h, watch_heat, &w);
        start(h, "swedish", 3, true);
        run(h, 120 * 1000);
        assert_int_equal(w.max[CHAIR_HEAT_LUMBAR], 2);
        assert_int_equal(session_set_heat(core(h)->session, CHAIR_HEAT_CALVES, 3, &e), 0);
        stop_and_settle(h);
        vt_harness_set_observer(h, NULL, NULL);
        assert_int_equal(output_test_start(core(h)->output_test, CHAIR_OUT_HEAT_LUMBAR, 1, 1000, &e), 0);
        run(h, 1500);
}

/* The person's conditions are theirs: another person's do not apply. */
static void test_conditions_per_person(void **state) {
        struct vt_harness *h = boot(*state);
        struct chair_error e = CHAIR_ERROR_NULL;
        uint32_t ann = create(h, "Ann");

        select_person(h, ann);
        assert_int_equal(chair_settings_set_precautions(core(h)->settings, strv("fever", NULL)), 0);
        assert_string_equal(chair_settings_precautions(core(h)->settings)[0], "fever");
        assert_refused(session_start(core(h)->session, "gentle", &(struct session_options) { .scan = 0 }, &e), &e,
                       CHAIR_REASON_PRECAUTION);
        {
                /* Refused: nothing changes and the list stays the caller's. */
                char **bad = strv("no-such", NULL);
                assert_int_equal(chair_settings_set_precautions(core(h)->settings, bad), -EINVAL);
                assert_string_equal(chair_settings_precautions(core(h)->settings)[0], "fever");
                strv_free(bad);
        }
        select_person(h, PERSON_GUEST_ID);
        assert_null(chair_settings_precautions(core(h)->settings)[0]);
        start(h, "gentle", 3, false);
        stop_and_settle(h);
        /* The active person's conditions changed during their session end it. */
        select_person(h, ann);
        assert_int_equal(people_set_conditions(ppl(h), ann, NULL, &e), 0);
        start(h, "gentle", 3, false);
        assert_int_equal(people_set_conditions(ppl(h), ann, strv("fever", NULL), &e), 0);
        assert_ended_by_precaution(h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_life_cycle, setup, teardown),
                cmocka_unit_test_setup_teardown(test_change_bits, setup, teardown),
                cmocka_unit_test_setup_teardown(test_switch_refused_during_session, setup, teardown),
                cmocka_unit_test_setup_teardown(test_switch_refused_during_output_test, setup, teardown),
                cmocka_unit_test(test_loosening_rule),
                cmocka_unit_test_setup_teardown(test_own_scan_memory_history, setup, teardown),
                cmocka_unit_test_setup_teardown(test_persistence, setup, teardown),
                cmocka_unit_test_setup_teardown(test_isolation, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unreadable_name_unique, setup, teardown),
                cmocka_unit_test_setup_teardown(test_start_writes_nothing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_guest_file_lost_fails_closed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_migration, setup, teardown),
                cmocka_unit_test_setup_teardown(test_migration_fails_closed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_intensity_cap_every_path, setup, teardown),
                cmocka_unit_test_setup_teardown(test_heat_cap_every_path, setup, teardown),
                cmocka_unit_test_setup_teardown(test_conditions_per_person, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
