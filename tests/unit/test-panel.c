/* SPDX-License-Identifier: MIT */
/*
 * The panel's key handling (daemon/panel.c) on the whole chair in virtual time
 * (tests/vt/vt-harness.h), against what docs/panel.md promises: every key of the key table
 * (short press, long press, auto-repeat or none), superseded keys, very short presses and
 * bounce, the child lock (and that it outlives a restart), the keys during a fault, a scan and
 * the settling, the LEDs and display following the chair, and the precautions gate on panel
 * starts.
 *
 * The per-key cases are one table indexed by enum chair_key: a key added to the key table
 * without a case here fails test_every_key_has_a_case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <unistd.h>
#include <cmocka.h>

#include "chair-hw.h"
#include "fault-codes.h"
#include "panel.h"
#include "people.h"
#include "posture.h"
#include "program-library.h"
#include "settings.h"
#include "supervisor.h"
#include "vocab.h"
#include "vt-harness.h"

/* docs/panel.md, "Beeps" (on and off times in ms, as beeps_since() prints them). */
#define BEEP_SHORT "80"
#define BEEP_DOUBLE "80 100 80"
#define BEEP_LONG "600"
#define TAP_MS 100

/* ---- helpers ---- */

static struct vt_harness *new_chair_in(const char *state_dir) {
        struct vt_harness *h = NULL;

        assert_int_equal(vt_harness_new(&(struct vt_harness_options) { .state_dir = state_dir }, &h), 0);
        /* The panel's first refresh. */
        assert_true(vt_harness_run_for(h, 10) >= 0);
        return h;
}

static struct vt_harness *new_chair(void) {
        return new_chair_in(NULL);
}

static struct chair_core *core(struct vt_harness *h) {
        return vt_harness_core(h);
}

static const struct hw_panel *panel_cfg(struct vt_harness *h) {
        return &core(h)->map.panel;
}

static struct panel_stats stats(struct vt_harness *h) {
        struct panel_stats st;
        panel_get_stats(core(h)->panel, &st);
        return st;
}

static const struct session_settings *settings(struct vt_harness *h) {
        return session_settings(core(h)->session);
}

static enum session_state chair_state(struct vt_harness *h) {
        return session_get_state(core(h)->session);
}

static int32_t out(struct vt_harness *h, enum chair_output o) {
        return vt_harness_output(h, o);
}

static void run(struct vt_harness *h, uint64_t ms) {
        assert_true(vt_harness_run_for(h, ms) >= 0);
}

static void down(struct vt_harness *h, enum chair_key k) {
        assert_int_equal(vt_harness_key_down(h, k), 0);
}

static void up(struct vt_harness *h) {
        assert_int_equal(vt_harness_key_up(h), 0);
}

/* Held ms, released; then the beep it sounded is left to finish. */
static void press_for(struct vt_harness *h, enum chair_key k, uint64_t ms) {
        down(h, k);
        run(h, ms);
        up(h);
        run(h, 1000);
}

static void tap(struct vt_harness *h, enum chair_key k) {
        press_for(h, k, TAP_MS);
}

/* The beeper since from_ms as on and off times in ms ("80", "80 100 80", "600"), an open end
 * as "+"; "" when it did not sound. */
static const char *beeps_since(struct vt_harness *h, uint64_t from_ms, char *buf, size_t size) {
        const struct vt_record *rec = vt_harness_record(h);
        uint64_t last_us = 0;
        bool on = false;
        size_t len = 0;

        buf[0] = 0;
        for (size_t i = 0; i < rec->n_outputs; i++) {
                const struct vt_output_change *c = &rec->outputs[i];
                if (c->out != CHAIR_OUT_BEEPER || c->at_ms < from_ms)
                        continue;
                if (on || len)
                        len += (size_t) snprintf(buf + len, size - len, "%s%llu", len ? " " : "",
                                                 (unsigned long long) ((c->at_us - last_us) / 1000));
                on = c->value != 0;
                last_us = c->at_us;
                if (len >= size)
                        break;
        }
        if (on && len < size)
                snprintf(buf + len, size - len, "%s+", len ? " " : "");
        return buf;
}

/* The times (ms after from_ms) the beeper started sounding: one per key action. */
static size_t beep_onsets(struct vt_harness *h, uint64_t from_ms, uint64_t *ret, size_t max) {
        const struct vt_record *rec = vt_harness_record(h);
        size_t n = 0;

        for (size_t i = 0; i < rec->n_outputs && n < max; i++)
                if (rec->outputs[i].out == CHAIR_OUT_BEEPER && rec->outputs[i].value && rec->outputs[i].at_ms >= from_ms)
                        ret[n++] = rec->outputs[i].at_ms - from_ms;
        return n;
}

#define assert_beeps(h, from_ms, expected)                                      \
        do {                                                                    \
                char _b[128];                                                   \
                assert_string_equal(beeps_since((h), (from_ms), _b, sizeof _b), (expected)); \
        } while (0)

static size_t program_count(struct vt_harness *h) {
        return program_library_count(core(h)->library);
}

/* The display's number of a program (1 = the first of the library). */
static uint32_t program_number(struct vt_harness *h, const char *id) {
        struct program_summary ps;
        for (size_t i = 0; i < program_count(h); i++)
                if (program_library_get(core(h)->library, i, &ps) >= 0 && strcmp(ps.id, id) == 0)
                        return (uint32_t) i + 1;
        fail_msg("no program %s", id);
        return 0;
}

/* The panel's selection moved to program id with the program key. */
static void select_program(struct vt_harness *h, const char *id) {
        uint32_t n = program_number(h, id);
        for (size_t i = 0; i < program_count(h) && stats(h).selected_program != n; i++)
                tap(h, CHAIR_KEY_PROGRAM);
        assert_int_equal(stats(h).selected_program, n);
}

static void start(struct vt_harness *h, const char *program, uint32_t duration_s) {
        struct chair_error e = CHAIR_ERROR_NULL;
        assert_int_equal(session_start(core(h)->session, program,
                                       &(struct session_options) { .duration_s = duration_s, .scan = 0 }, &e), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_RUNNING, 60 * 1000), 0);
        /* Already running, maybe with the loop not yet past the panel's refresh. */
        run(h, 10);
}

/* A body scan on its own, back to idle with the shoulder point known. */
static void scan(struct vt_harness *h) {
        struct chair_error e = CHAIR_ERROR_NULL;
        assert_int_equal(session_start_scan(core(h)->session, &e), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 120 * 1000), 0);
        assert_true(session_shoulder_mm(core(h)->session) >= 0);
}

static void precautions(struct vt_harness *h, const char *const *list) {
        struct vt_action a = { .kind = VT_ACT_PRECAUTIONS, .list = list };
        assert_int_equal(vt_harness_act(h, &a, NULL), 0);
        run(h, 10);
}

static void stop_and_settle(struct vt_harness *h) {
        assert_int_equal(session_stop(core(h)->session, NULL), 0);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 60 * 1000), 0);
}

static void inject(struct vt_harness *h, const char *fault, bool on) {
        struct vt_action a = { .kind = VT_ACT_INJECT, .name = fault, .value = on };
        assert_int_equal(vt_harness_act(h, &a, NULL), 0);
        run(h, 50);
}

static void clear_fault(struct vt_harness *h) {
        struct chair_error e = CHAIR_ERROR_NULL;
        struct vt_action a = { .kind = VT_ACT_CLEAR_FAULT };
        assert_int_equal(vt_harness_act(h, &a, &e), 0);
        run(h, 10);
}

/* ---- the key table: what each key does, per docs/panel.md "Keys of the reference chair" ---- */

enum key_kind {
        ON_PRESS,   /* acts once when pressed, however long it is held */
        REPEATS,    /* acts when pressed, then every repeat_interval_ms after repeat_delay_ms */
        LONG,       /* a short press acts on release, a long press when held long enough */
};

struct key_case {
        enum key_kind kind;
        /* In the idle chair (a fresh harness): a short press does what the docs say, with its
         * beep; the case sets up what else it needs. */
        void (*short_press)(struct vt_harness *h);
        /* Puts the chair where holding the key repeats (or acts) without reaching a limit. */
        void (*hold_setup)(struct vt_harness *h);
        /* The key while a fault is latched: accepted (short beep) or refused (long beep). */
        bool works_in_fault;
};

static void short_power(struct vt_harness *h) {
        uint64_t t = vt_harness_now_ms(h);

        /* Idle: nothing to stop, still accepted. */
        tap(h, CHAIR_KEY_POWER);
        assert_int_equal(chair_state(h), SESSION_IDLE);
        assert_beeps(h, t, BEEP_SHORT);
        /* Running: stops, the chair settles. */
        start(h, "swedish", 600);
        t = vt_harness_now_ms(h);
        down(h, CHAIR_KEY_POWER);
        assert_int_equal(chair_state(h), SESSION_SETTLING);
        up(h);
        run(h, 1000);
        assert_beeps(h, t, BEEP_SHORT);
        assert_int_equal(vt_harness_record(h)->n_finished, 1);
        assert_string_equal(vt_harness_record(h)->finished[0].reason, "stopped");
        /* Settling: accepted, nothing to end. */
        if (chair_state(h) == SESSION_SETTLING) {
                t = vt_harness_now_ms(h);
                tap(h, CHAIR_KEY_POWER);
                assert_beeps(h, t, BEEP_SHORT);
        }
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 60 * 1000), 0);
        /* Paused: stops too. */
        start(h, "swedish", 600);
        tap(h, CHAIR_KEY_START_PAUSE);
        assert_int_equal(chair_state(h), SESSION_PAUSED);
        tap(h, CHAIR_KEY_POWER);
        assert_true(chair_state(h) == SESSION_SETTLING || chair_state(h) == SESSION_IDLE);
}

static void short_program(struct vt_harness *h) {
        uint64_t t = vt_harness_now_ms(h);
        size_t n = program_count(h);

        assert_true(n >= 2);
        assert_int_equal(stats(h).selected_program, 1);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_PROGRAM), 1);
        tap(h, CHAIR_KEY_PROGRAM);
        assert_int_equal(stats(h).selected_program, 2);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_PROGRAM), 2);
        assert_beeps(h, t, BEEP_SHORT);
        /* After the last, the first again. */
        for (size_t i = 2; i < n; i++)
                tap(h, CHAIR_KEY_PROGRAM);
        assert_int_equal(stats(h).selected_program, n);
        tap(h, CHAIR_KEY_PROGRAM);
        assert_int_equal(stats(h).selected_program, 1);
        /* Refused while running: the selection stays the running program's. */
        start(h, "swedish", 600);
        assert_int_equal(stats(h).selected_program, program_number(h, "swedish"));
        t = vt_harness_now_ms(h);
        tap(h, CHAIR_KEY_PROGRAM);
        assert_beeps(h, t, BEEP_LONG);
        assert_int_equal(stats(h).selected_program, program_number(h, "swedish"));
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_PROGRAM), program_number(h, "swedish"));
}

static void short_start_pause(struct vt_harness *h) {
        uint64_t t;

        select_program(h, "swedish");
        t = vt_harness_now_ms(h);
        /* Idle, no scan stored: the body scan first, then the selected program. */
        down(h, CHAIR_KEY_START_PAUSE);
        assert_int_equal(chair_state(h), SESSION_SCANNING);
        up(h);
        run(h, 1000);
        assert_beeps(h, t, BEEP_SHORT);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_RUNNING, 120 * 1000), 0);
        assert_string_equal(session_program(core(h)->session), "swedish");
        /* The auto-off timer sets the length. */
        assert_int_equal(session_duration_s(core(h)->session), settings(h)->timer_min * 60);
        t = vt_harness_now_ms(h);
        tap(h, CHAIR_KEY_START_PAUSE);
        assert_int_equal(chair_state(h), SESSION_PAUSED);
        assert_beeps(h, t, BEEP_SHORT);
        t = vt_harness_now_ms(h);
        tap(h, CHAIR_KEY_START_PAUSE);
        assert_int_equal(chair_state(h), SESSION_RUNNING);
        assert_beeps(h, t, BEEP_SHORT);
        stop_and_settle(h);
        /* A scan is stored now: straight to running. */
        tap(h, CHAIR_KEY_START_PAUSE);
        assert_int_equal(chair_state(h), SESSION_RUNNING);
}

static void level_key(struct vt_harness *h, enum chair_key k, int step, uint32_t limit) {
        uint64_t t = vt_harness_now_ms(h);
        uint32_t before = settings(h)->intensity;

        assert_int_equal(before, 3);
        tap(h, k);
        assert_int_equal(settings(h)->intensity, before + step);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_INTENSITY), before + step);
        assert_beeps(h, t, BEEP_SHORT);
        while (settings(h)->intensity != limit)
                tap(h, k);
        /* At the limit: the double beep, nothing changes. */
        t = vt_harness_now_ms(h);
        tap(h, k);
        assert_int_equal(settings(h)->intensity, limit);
        assert_beeps(h, t, BEEP_DOUBLE);
        /* The same during a session: the program follows. */
        start(h, "swedish", 600);
        t = vt_harness_now_ms(h);
        before = settings(h)->intensity;
        tap(h, k == CHAIR_KEY_INTENSITY_UP ? CHAIR_KEY_INTENSITY_DOWN : CHAIR_KEY_INTENSITY_UP);
        tap(h, k);
        assert_int_equal(settings(h)->intensity, before);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_INTENSITY), before);
}

static void short_intensity_up(struct vt_harness *h) {
        level_key(h, CHAIR_KEY_INTENSITY_UP, 1, 5);
}

static void short_intensity_down(struct vt_harness *h) {
        level_key(h, CHAIR_KEY_INTENSITY_DOWN, -1, 1);
}

static void short_speed(struct vt_harness *h) {
        static const uint32_t expected[] = { 4, 5, 1, 2, 3 };
        uint64_t t = vt_harness_now_ms(h);

        assert_int_equal(settings(h)->speed, 3);
        for (size_t i = 0; i < ARRAY_SIZE(expected); i++) {
                tap(h, CHAIR_KEY_SPEED);
                assert_int_equal(settings(h)->speed, expected[i]);
                assert_int_equal(out(h, CHAIR_OUT_DISPLAY_SPEED), expected[i]);
        }
        assert_beeps(h, t, BEEP_SHORT " 1020 " BEEP_SHORT " 1020 " BEEP_SHORT " 1020 " BEEP_SHORT " 1020 " BEEP_SHORT);
}

static void short_width(struct vt_harness *h) {
        uint64_t t = vt_harness_now_ms(h);
        uint32_t w = settings(h)->width;

        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_WIDTH), w + 1);
        for (int i = 0; i < 3; i++) {
                uint32_t next = w >= CHAIR_WIDTH_WIDE ? CHAIR_WIDTH_NARROW : w + 1;
                tap(h, CHAIR_KEY_WIDTH);
                assert_int_equal(settings(h)->width, next);
                assert_int_equal(out(h, CHAIR_OUT_DISPLAY_WIDTH), next + 1);
                w = next;
        }
        assert_beeps(h, t, BEEP_SHORT " 1020 " BEEP_SHORT " 1020 " BEEP_SHORT);
}

static void short_heat(struct vt_harness *h) {
        static const uint32_t expected[] = { 1, 2, 3, 0 };
        uint64_t t = vt_harness_now_ms(h);

        assert_int_equal(out(h, CHAIR_OUT_LED_HEAT), 0);
        for (size_t i = 0; i < ARRAY_SIZE(expected); i++) {
                tap(h, CHAIR_KEY_HEAT);
                for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++)
                        assert_int_equal(settings(h)->heat[z], expected[i]);
                assert_int_equal(out(h, CHAIR_OUT_DISPLAY_HEAT), expected[i]);
                assert_int_equal(out(h, CHAIR_OUT_LED_HEAT), expected[i] > 0);
        }
        assert_beeps(h, t, BEEP_SHORT " 1020 " BEEP_SHORT " 1020 " BEEP_SHORT " 1020 " BEEP_SHORT);
}

#define ZONES(a, b) ((1u << CHAIR_AIR_##a) | (1u << CHAIR_AIR_##b))
#define ALL_ZONES ((1u << _CHAIR_AIR_ZONE_MAX) - 1)

static void short_air_zone(struct vt_harness *h) {
        static const uint32_t expected[] = {
                ALL_ZONES, ZONES(SHOULDERS, ARMS), ZONES(BACK, SEAT), ZONES(CALVES, FEET), 0, ALL_ZONES,
        };
        uint64_t t = vt_harness_now_ms(h);
        struct panel_stats before = stats(h);

        assert_int_equal(settings(h)->air_zones, 0);
        assert_int_equal(out(h, CHAIR_OUT_LED_AIR), 0);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_AIR), 0);
        for (size_t i = 0; i < ARRAY_SIZE(expected); i++) {
                tap(h, CHAIR_KEY_AIR_ZONE);
                assert_int_equal(settings(h)->air_zones, expected[i]);
                assert_int_equal(out(h, CHAIR_OUT_LED_AIR), expected[i] != 0);
                assert_int_equal(out(h, CHAIR_OUT_DISPLAY_AIR), expected[i] ? settings(h)->air_intensity : 0);
                assert_true(!expected[i] || settings(h)->air_intensity > 0);
        }
        assert_int_equal(stats(h).beeps[PANEL_BEEP_SHORT] - before.beeps[PANEL_BEEP_SHORT], ARRAY_SIZE(expected));
        assert_beeps(h, t, BEEP_SHORT " 1020 " BEEP_SHORT " 1020 " BEEP_SHORT " 1020 " BEEP_SHORT " 1020 " BEEP_SHORT
                           " 1020 " BEEP_SHORT);
}

static void short_air_intensity(struct vt_harness *h) {
        uint64_t t = vt_harness_now_ms(h);
        uint32_t first;

        /* Air off: the key turns it on (every zone). */
        tap(h, CHAIR_KEY_AIR_INTENSITY);
        assert_beeps(h, t, BEEP_SHORT);
        assert_int_equal(settings(h)->air_zones, ALL_ZONES);
        first = settings(h)->air_intensity;
        assert_in_range(first, 1, 5);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_AIR), first);
        assert_int_equal(out(h, CHAIR_OUT_LED_AIR), 1);
        /* Then 1 -> ... -> 5 -> 1. */
        for (uint32_t i = 1; i <= 5; i++) {
                uint32_t next = first % 5 + 1;
                tap(h, CHAIR_KEY_AIR_INTENSITY);
                assert_int_equal(settings(h)->air_intensity, next);
                assert_int_equal(out(h, CHAIR_OUT_DISPLAY_AIR), next);
                first = next;
        }
}

static void short_timer(struct vt_harness *h) {
        uint64_t t = vt_harness_now_ms(h);

        assert_int_equal(settings(h)->timer_min, 20);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_MINUTES), 20);
        for (size_t i = 0; i < CHAIR_TIMER_CHOICES; i++) {
                uint32_t next = chair_timer_next(settings(h)->timer_min);
                tap(h, CHAIR_KEY_TIMER);
                assert_int_equal(settings(h)->timer_min, next);
                assert_int_equal(out(h, CHAIR_OUT_DISPLAY_MINUTES), next);
        }
        assert_int_equal(settings(h)->timer_min, 20);
        /* 10 -> 20 -> 30 -> 10, as documented. */
        assert_int_equal(chair_timer_next(10), 20);
        assert_int_equal(chair_timer_next(20), 30);
        assert_int_equal(chair_timer_next(30), 10);
        assert_beeps(h, t, BEEP_SHORT " 1020 " BEEP_SHORT " 1020 " BEEP_SHORT);
}

static void shoulder_key(struct vt_harness *h, enum chair_key k, int step) {
        uint64_t t = vt_harness_now_ms(h);
        int32_t mm;

        /* No body scan yet: refused. */
        tap(h, k);
        assert_beeps(h, t, BEEP_LONG);
        assert_int_equal(session_shoulder_mm(core(h)->session), -1);
        scan(h);
        mm = session_shoulder_mm(core(h)->session);
        for (int i = 1; i <= 5; i++) {
                t = vt_harness_now_ms(h);
                tap(h, k);
                assert_int_equal(session_shoulder_mm(core(h)->session), mm + step * 10 * i);
                assert_beeps(h, t, BEEP_SHORT);
        }
        /* Past 5 steps: the double beep, the point stays. */
        t = vt_harness_now_ms(h);
        tap(h, k);
        assert_int_equal(session_shoulder_mm(core(h)->session), mm + step * 50);
        assert_beeps(h, t, BEEP_DOUBLE);
}

static void short_shoulder_up(struct vt_harness *h) {
        shoulder_key(h, CHAIR_KEY_SHOULDER_UP, 1);
}

static void short_shoulder_down(struct vt_harness *h) {
        shoulder_key(h, CHAIR_KEY_SHOULDER_DOWN, -1);
}

static void memory_key(struct vt_harness *h, enum chair_key k) {
        const struct hw_panel *cfg = panel_cfg(h);
        uint64_t t = vt_harness_now_ms(h);
        uint32_t saved;

        /* Empty: refused, on release (not on press). */
        down(h, k);
        run(h, TAP_MS);
        assert_beeps(h, t, "");
        up(h);
        run(h, 1000);
        assert_beeps(h, t, BEEP_LONG);
        assert_int_equal(chair_state(h), SESSION_IDLE);
        /* Held while a program runs: saved, with the short beep when the long press is reached. */
        start(h, "gentle", 600);
        tap(h, CHAIR_KEY_INTENSITY_UP);
        saved = settings(h)->intensity;
        t = vt_harness_now_ms(h);
        down(h, k);
        run(h, cfg->long_press_ms - 1);
        assert_beeps(h, t, "");
        run(h, 1);
        assert_beeps(h, t, "+");
        up(h);
        run(h, 1000);
        assert_beeps(h, t, BEEP_SHORT);
        stop_and_settle(h);
        tap(h, CHAIR_KEY_INTENSITY_DOWN);
        /* A short press starts from the slot: the program and its intensity. */
        t = vt_harness_now_ms(h);
        tap(h, k);
        assert_beeps(h, t, BEEP_SHORT);
        assert_true(session_active(core(h)->session));
        assert_string_equal(session_program(core(h)->session), "gentle");
        assert_int_equal(settings(h)->intensity, saved);
        /* The other slot is still empty. */
        stop_and_settle(h);
        t = vt_harness_now_ms(h);
        tap(h, k == CHAIR_KEY_MEMORY_A ? CHAIR_KEY_MEMORY_B : CHAIR_KEY_MEMORY_A);
        assert_beeps(h, t, BEEP_LONG);
        assert_int_equal(chair_state(h), SESSION_IDLE);
}

static void short_memory_a(struct vt_harness *h) {
        memory_key(h, CHAIR_KEY_MEMORY_A);
}

static void short_memory_b(struct vt_harness *h) {
        memory_key(h, CHAIR_KEY_MEMORY_B);
}

static void short_child_lock(struct vt_harness *h) {
        const struct hw_panel *cfg = panel_cfg(h);
        uint64_t t = vt_harness_now_ms(h);

        /* A short press is refused: hold it. */
        tap(h, CHAIR_KEY_CHILD_LOCK);
        assert_beeps(h, t, BEEP_LONG);
        assert_false(chair_settings_child_lock(core(h)->settings));
        /* Held just short of child_lock_ms: still a short press. */
        t = vt_harness_now_ms(h);
        press_for(h, CHAIR_KEY_CHILD_LOCK, cfg->child_lock_ms - 1);
        assert_false(chair_settings_child_lock(core(h)->settings));
        assert_beeps(h, t, BEEP_LONG);
        /* Held child_lock_ms: on, acknowledged when reached. */
        t = vt_harness_now_ms(h);
        down(h, CHAIR_KEY_CHILD_LOCK);
        run(h, cfg->child_lock_ms);
        assert_true(chair_settings_child_lock(core(h)->settings));
        assert_int_equal(out(h, CHAIR_OUT_LED_LOCK), 1);
        up(h);
        run(h, 1000);
        assert_beeps(h, t + cfg->child_lock_ms, BEEP_SHORT);
        /* Again: off. */
        press_for(h, CHAIR_KEY_CHILD_LOCK, cfg->child_lock_ms + 500);
        assert_false(chair_settings_child_lock(core(h)->settings));
        assert_int_equal(out(h, CHAIR_OUT_LED_LOCK), 0);
}

/* The next person, the guest after the last, shown on display_program (0 the guest, then
 * their place); refused while a session is under way. */
static void short_person(struct vt_harness *h) {
        struct people *pp = core(h)->people;
        uint32_t ann = 0, bob = 0;
        uint64_t t = vt_harness_now_ms(h);

        /* The guest alone: the guest again, accepted. */
        tap(h, CHAIR_KEY_PERSON);
        assert_beeps(h, t, BEEP_SHORT);
        assert_int_equal(people_active(pp)->id, PERSON_GUEST_ID);
        assert_int_equal(people_create(pp, "Ann", &ann, NULL), 0);
        assert_int_equal(people_create(pp, "Bob", &bob, NULL), 0);
        tap(h, CHAIR_KEY_PERSON);
        assert_int_equal(people_active(pp)->id, ann);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_PROGRAM), 1);
        tap(h, CHAIR_KEY_PERSON);
        assert_int_equal(people_active(pp)->id, bob);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_PROGRAM), 2);
        /* A few seconds later the display shows the program again. */
        run(h, 3500);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_PROGRAM), stats(h).selected_program);
        tap(h, CHAIR_KEY_PERSON);
        assert_int_equal(people_active(pp)->id, PERSON_GUEST_ID);
        /* Refused while running: the person stays. */
        start(h, "swedish", 600);
        t = vt_harness_now_ms(h);
        tap(h, CHAIR_KEY_PERSON);
        assert_beeps(h, t, BEEP_LONG);
        assert_int_equal(people_active(pp)->id, PERSON_GUEST_ID);
}

/* Holding repeats from a level with room: 1 up, 5 down. */
static void hold_from_1(struct vt_harness *h) {
        assert_int_equal(session_set_intensity(core(h)->session, 1, NULL), 0);
}

static void hold_from_5(struct vt_harness *h) {
        assert_int_equal(session_set_intensity(core(h)->session, 5, NULL), 0);
}

/* The posture keys (tests/unit/test-panel-posture.c tests them on a chair with every axis):
 * here on the simulated chair as it is, refused with the long beep when it has no axes. On a
 * chair with axes the setup gives each key room: a short press is accepted, a held axis key
 * stops with its release, the zero-gravity key starts a preset, the foot-roller key runs them. */
static void posture_reclined(struct vt_harness *h) {
        struct chair_error e = CHAIR_ERROR_NULL;

        if (!posture_axes(core(h)->posture))
                return;
        assert_int_equal(posture_preset(core(h)->posture, POSTURE_PRESET_ZERO_GRAVITY_1, &e), 0);
        for (int i = 0; i < 600 && posture_moving(core(h)->posture); i++)
                run(h, 100);
}

static void posture_fitted(struct vt_harness *h) {
        if (posture_axes(core(h)->posture) && posture_fit_legs(core(h)->posture, NULL) >= 0)
                for (int i = 0; i < 600 && posture_moving(core(h)->posture); i++)
                        run(h, 100);
}

static void short_posture(struct vt_harness *h, enum chair_key k, void (*setup)(struct vt_harness *h)) {
        bool has = k == CHAIR_KEY_FOOT_ROLLERS ? chair_hw_has_output(core(h)->hw, CHAIR_OUT_FOOT_ROLLERS)
                                               : posture_axes(core(h)->posture) != 0;
        uint64_t t;

        if (setup)
                setup(h);
        t = vt_harness_now_ms(h);
        tap(h, k);
        if (!has) {
                assert_beeps(h, t, BEEP_LONG);
                return;
        }
        assert_beeps(h, t, BEEP_SHORT);
        if (k == CHAIR_KEY_ZERO_GRAVITY)
                assert_true(posture_moving(core(h)->posture));
        else if (k == CHAIR_KEY_FOOT_ROLLERS)
                assert_int_not_equal(out(h, CHAIR_OUT_FOOT_ROLLERS), 0);
        else
                assert_false(posture_moving(core(h)->posture));
}

static void short_recline_back(struct vt_harness *h) { short_posture(h, CHAIR_KEY_RECLINE_BACK, NULL); }
static void short_recline_up(struct vt_harness *h) { short_posture(h, CHAIR_KEY_RECLINE_UP, posture_reclined); }
static void short_legrest_up(struct vt_harness *h) { short_posture(h, CHAIR_KEY_LEGREST_UP, NULL); }
static void short_legrest_down(struct vt_harness *h) { short_posture(h, CHAIR_KEY_LEGREST_DOWN, posture_reclined); }
static void short_zero_gravity(struct vt_harness *h) { short_posture(h, CHAIR_KEY_ZERO_GRAVITY, NULL); }
static void short_foot_rollers(struct vt_harness *h) { short_posture(h, CHAIR_KEY_FOOT_ROLLERS, posture_fitted); }

static const struct key_case key_cases[_CHAIR_KEY_MAX] = {
        [CHAIR_KEY_POWER] = { ON_PRESS, short_power, NULL, true },
        [CHAIR_KEY_PROGRAM] = { ON_PRESS, short_program, NULL, true },
        [CHAIR_KEY_START_PAUSE] = { ON_PRESS, short_start_pause, NULL, false },
        [CHAIR_KEY_INTENSITY_UP] = { REPEATS, short_intensity_up, hold_from_1, true },
        [CHAIR_KEY_INTENSITY_DOWN] = { REPEATS, short_intensity_down, hold_from_5, true },
        [CHAIR_KEY_SPEED] = { ON_PRESS, short_speed, NULL, true },
        [CHAIR_KEY_WIDTH] = { ON_PRESS, short_width, NULL, true },
        [CHAIR_KEY_HEAT] = { ON_PRESS, short_heat, NULL, true },
        [CHAIR_KEY_AIR_ZONE] = { ON_PRESS, short_air_zone, NULL, true },
        [CHAIR_KEY_AIR_INTENSITY] = { ON_PRESS, short_air_intensity, NULL, true },
        [CHAIR_KEY_TIMER] = { ON_PRESS, short_timer, NULL, true },
        [CHAIR_KEY_SHOULDER_UP] = { REPEATS, short_shoulder_up, scan, true },
        [CHAIR_KEY_SHOULDER_DOWN] = { REPEATS, short_shoulder_down, scan, true },
        [CHAIR_KEY_MEMORY_A] = { LONG, short_memory_a, NULL, false },
        [CHAIR_KEY_MEMORY_B] = { LONG, short_memory_b, NULL, false },
        [CHAIR_KEY_CHILD_LOCK] = { LONG, short_child_lock, NULL, false },
        [CHAIR_KEY_PERSON] = { ON_PRESS, short_person, NULL, false },
        /* Held, a posture key beeps once, at the press (its renewals are quiet). */
        [CHAIR_KEY_RECLINE_BACK] = { ON_PRESS, short_recline_back, NULL, false },
        [CHAIR_KEY_RECLINE_UP] = { ON_PRESS, short_recline_up, posture_reclined, false },
        [CHAIR_KEY_LEGREST_UP] = { ON_PRESS, short_legrest_up, NULL, false },
        [CHAIR_KEY_LEGREST_DOWN] = { ON_PRESS, short_legrest_down, posture_reclined, false },
        [CHAIR_KEY_ZERO_GRAVITY] = { ON_PRESS, short_zero_gravity, NULL, false },
        [CHAIR_KEY_FOOT_ROLLERS] = { ON_PRESS, short_foot_rollers, posture_fitted, false },
};

static enum chair_key key_of(void **state) {
        return (enum chair_key) (uintptr_t) *state;
}

/* ---- per key ---- */

static void test_every_key_has_a_case(void **state) {
        struct vt_harness *h = new_chair();

        for (unsigned k = 0; k < _CHAIR_KEY_MAX; k++) {
                if (!key_cases[k].short_press)
                        fail_msg("key %s (%u) has no case in test-panel.c", chair_key_name(k), k);
                /* Every key of the table is on the simulated chair's panel. */
                assert_true(panel_key_code(core(h)->panel, k) > 0);
        }
        vt_harness_free(h);
}

static void test_short_press(void **state) {
        enum chair_key k = key_of(state);
        struct vt_harness *h = new_chair();

        print_message("key %s\n", chair_key_name(k));
        key_cases[k].short_press(h);
        assert_null(vt_harness_first_fault(h));
        vt_harness_free(h);
}

/* Held: a repeating key acts at the press, after repeat_delay_ms and every repeat_interval_ms;
 * a key that does not repeat acts once, on press (or, a long key, once at its long press). */
static void test_hold(void **state) {
        enum chair_key k = key_of(state);
        const struct key_case *c = &key_cases[k];
        struct vt_harness *h = new_chair();
        const struct hw_panel *cfg = panel_cfg(h);
        uint64_t onsets[32], t, long_ms = k == CHAIR_KEY_CHILD_LOCK ? cfg->child_lock_ms : cfg->long_press_ms;
        uint64_t hold_ms;
        size_t n;
        struct panel_stats before;

        print_message("key %s\n", chair_key_name(k));
        if (c->hold_setup)
                c->hold_setup(h);
        run(h, 1000);
        before = stats(h);
        t = vt_harness_now_ms(h);
        /* Repeating: the press and three repeats, short of any limit (5 steps). Else long
         * enough for every repeat and long press there could be. */
        hold_ms = c->kind == REPEATS ? cfg->repeat_delay_ms + 2 * cfg->repeat_interval_ms + 10
                                     : MAX(cfg->child_lock_ms, cfg->long_press_ms) + cfg->repeat_delay_ms + 4 * cfg->repeat_interval_ms;
        down(h, k);
        run(h, hold_ms);
        up(h);
        run(h, 1000);
        n = beep_onsets(h, t, onsets, ARRAY_SIZE(onsets));
        switch (c->kind) {
        case REPEATS:
                assert_int_equal(n, 4);
                assert_int_equal(onsets[0], 0);
                assert_int_equal(onsets[1], cfg->repeat_delay_ms);
                assert_int_equal(onsets[2], cfg->repeat_delay_ms + cfg->repeat_interval_ms);
                assert_int_equal(onsets[3], cfg->repeat_delay_ms + 2 * cfg->repeat_interval_ms);
                assert_int_equal(stats(h).keys - before.keys, 4);
                break;
        case ON_PRESS:
                assert_int_equal(n, 1);
                assert_int_equal(onsets[0], 0);
                assert_int_equal(stats(h).keys - before.keys, 1);
                break;
        case LONG:
                assert_int_equal(n, 1);
                assert_int_equal(onsets[0], long_ms);
                assert_int_equal(stats(h).keys - before.keys, 1);
                break;
        }
        if (c->kind == REPEATS) {
                /* Held on: it repeats up to its limit, where the double beep ends the repeat
                 * however long the key stays down. */
                c->hold_setup(h);
                run(h, 1000);
                before = stats(h);
                t = vt_harness_now_ms(h);
                down(h, k);
                run(h, 10 * 1000);
                up(h);
                run(h, 1000);
                n = beep_onsets(h, t, onsets, ARRAY_SIZE(onsets));
                assert_true(n >= 3);
                /* The double beep's two: the last action. */
                assert_int_equal(onsets[n - 1] - onsets[n - 2], 180);
                assert_int_equal(onsets[0], 0);
                for (size_t i = 1; i < n - 1; i++)
                        assert_int_equal(onsets[i], cfg->repeat_delay_ms + (i - 1) * cfg->repeat_interval_ms);
                assert_int_equal(stats(h).keys - before.keys, n - 1);
                assert_int_equal(stats(h).beeps[PANEL_BEEP_DOUBLE] - before.beeps[PANEL_BEEP_DOUBLE], 1);
                print_message("%s: %zu actions to the limit\n", chair_key_name(k), n - 1);
        }
        vt_harness_free(h);
}

/* A tap of no time at all (press and release in the same instant, as a board's latch reports
 * a press between two polls) and one of 1 ms: each is one press. */
static void test_very_short_press(void **state) {
        enum chair_key k = key_of(state);
        struct vt_harness *h = new_chair();

        print_message("key %s\n", chair_key_name(k));
        for (uint64_t ms = 0; ms <= 1; ms++) {
                struct panel_stats before;
                uint64_t onsets[4], t;

                if (key_cases[k].hold_setup)
                        key_cases[k].hold_setup(h);
                run(h, 1000);
                before = stats(h);
                t = vt_harness_now_ms(h);
                down(h, k);
                if (ms)
                        run(h, ms);
                up(h);
                run(h, 1000);
                assert_int_equal(stats(h).keys - before.keys, 1);
                assert_int_equal(beep_onsets(h, t, onsets, ARRAY_SIZE(onsets)), 1);
                /* The child lock's short press is a refusal: it does not lock. */
                assert_false(chair_settings_child_lock(core(h)->settings));
                if (chair_state(h) != SESSION_IDLE)
                        stop_and_settle(h);
        }
        vt_harness_free(h);
}

/* ---- superseded keys ---- */

/* A second key pressed while the first is held wins: it acts, the first's repeat ends and
 * does not start again when the second is released while the first is still held. */
static void test_superseded_repeat(void **state) {
        struct vt_harness *h = new_chair();
        const struct hw_panel *cfg = panel_cfg(h);
        struct panel_stats before = stats(h);

        hold_from_1(h);
        run(h, 10);
        down(h, CHAIR_KEY_INTENSITY_UP);
        assert_int_equal(settings(h)->intensity, 2);
        run(h, 100);
        down(h, CHAIR_KEY_SPEED);      /* over intensity_up */
        assert_int_equal(settings(h)->speed, 4);
        run(h, 2 * cfg->repeat_delay_ms);
        down(h, CHAIR_KEY_INTENSITY_UP);   /* speed released, intensity_up still held */
        run(h, 2 * cfg->repeat_delay_ms);
        up(h);
        run(h, 1000);
        assert_int_equal(settings(h)->intensity, 2);
        assert_int_equal(settings(h)->speed, 4);
        assert_int_equal(stats(h).keys - before.keys, 2);
        vt_harness_free(h);
}

/* A long key pressed over by another: its long press never comes, and its short press (which
 * comes on release) does not either: it was not released, it was pressed over. */
static void test_superseded_long(void **state) {
        struct vt_harness *h = new_chair();
        const struct hw_panel *cfg = panel_cfg(h);
        struct panel_stats before;

        /* Something in memory A, so a short press would start the chair. */
        start(h, "gentle", 600);
        press_for(h, CHAIR_KEY_MEMORY_A, cfg->long_press_ms + 100);
        stop_and_settle(h);
        before = stats(h);

        down(h, CHAIR_KEY_MEMORY_A);
        run(h, 200);
        down(h, CHAIR_KEY_TIMER);
        run(h, cfg->long_press_ms * 2);
        up(h);
        run(h, 1000);
        assert_int_equal(chair_state(h), SESSION_IDLE);
        assert_int_equal(stats(h).keys - before.keys, 1);
        assert_int_equal(settings(h)->timer_min, 30);

        /* The child lock key pressed over: no lock, however long it is held afterwards. */
        down(h, CHAIR_KEY_CHILD_LOCK);
        run(h, 100);
        down(h, CHAIR_KEY_HEAT);
        run(h, 100);
        down(h, CHAIR_KEY_CHILD_LOCK);   /* heat released, child_lock still held */
        run(h, cfg->child_lock_ms * 2);
        up(h);
        run(h, 1000);
        assert_false(chair_settings_child_lock(core(h)->settings));
        assert_int_equal(settings(h)->heat[CHAIR_HEAT_LUMBAR], 1);
        vt_harness_free(h);
}

/* Power pressed over any held key stops the chair. */
static void test_superseded_by_power(void **state) {
        struct vt_harness *h = new_chair();

        start(h, "swedish", 600);
        down(h, CHAIR_KEY_INTENSITY_UP);
        run(h, 700);
        down(h, CHAIR_KEY_POWER);
        assert_int_equal(chair_state(h), SESSION_SETTLING);
        up(h);
        run(h, 100);
        vt_harness_free(h);
}

/* The panel counts every press it is given: debouncing a contact is the GPIO backend's (the
 * kernel's debounce period), so a bouncing contact reaching the panel as three presses is
 * three presses. A bounce in a long press starts its time again. */
static void test_bounce(void **state) {
        struct vt_harness *h = new_chair();
        const struct hw_panel *cfg = panel_cfg(h);

        for (int i = 0; i < 3; i++) {
                down(h, CHAIR_KEY_INTENSITY_UP);
                run(h, 1);
                up(h);
                run(h, 1);
        }
        run(h, 1000);
        assert_int_equal(settings(h)->intensity, 5);
        /* child_lock held, a 1 ms bounce short of child_lock_ms, then held on: the lock comes
         * child_lock_ms after the bounce, not before. */
        down(h, CHAIR_KEY_CHILD_LOCK);
        run(h, cfg->child_lock_ms - 100);
        up(h);
        run(h, 1);
        down(h, CHAIR_KEY_CHILD_LOCK);
        run(h, cfg->child_lock_ms - 10);
        assert_false(chair_settings_child_lock(core(h)->settings));
        run(h, 10);
        assert_true(chair_settings_child_lock(core(h)->settings));
        up(h);
        vt_harness_free(h);
}

/* A code that is not in the key map does nothing: no action, no beep. */
static void test_unknown_code(void **state) {
        struct vt_harness *h = new_chair();
        struct panel_stats before = stats(h);
        uint64_t t = vt_harness_now_ms(h);

        for (int32_t code = 1; code < 256; code++) {
                bool known = false;
                for (unsigned k = 0; k < _CHAIR_KEY_MAX; k++)
                        known |= panel_key_code(core(h)->panel, k) == code;
                if (known)
                        continue;
                assert_int_equal(chair_hw_sim_press_key(core(h)->hw, code), 0);
                run(h, 4000);
                up(h);
                run(h, 10);
        }
        assert_beeps(h, t, "");
        assert_int_equal(stats(h).keys, before.keys);
        assert_int_equal(stats(h).ignored, before.ignored);
        assert_int_equal(chair_state(h), SESSION_IDLE);
        vt_harness_free(h);
}

/* A new beep cuts the one still sounding: a refusal's long beep, then an accepted key 100 ms
 * later, sound as one tone that ends with the short beep. */
static void test_beep_cut(void **state) {
        struct vt_harness *h = new_chair();
        uint64_t t = vt_harness_now_ms(h);

        down(h, CHAIR_KEY_CHILD_LOCK);
        run(h, TAP_MS);
        up(h);                  /* refused: the long beep */
        run(h, 100);
        tap(h, CHAIR_KEY_SPEED);
        assert_beeps(h, t, "180");
        vt_harness_free(h);
}

/* The idle panel costs no wake-ups: after a key, its beep and the refresh, the loop runs as
 * often as it did before the key (the timers run only while a key is held or a beep sounds). */
static void test_idle_costs_nothing(void **state) {
        struct vt_harness *h = new_chair();
        int64_t quiet, after;

        run(h, 10 * 1000);
        quiet = vt_harness_run_for(h, 60 * 1000);
        tap(h, CHAIR_KEY_INTENSITY_UP);
        press_for(h, CHAIR_KEY_MEMORY_A, 2000);
        run(h, 10 * 1000 - 2000);
        after = vt_harness_run_for(h, 60 * 1000);
        print_message("idle minute: %lld callbacks before the keys, %lld after\n", (long long) quiet, (long long) after);
        assert_true(quiet >= 0);
        assert_int_equal(after, quiet);
        vt_harness_free(h);
}

/* ---- the child lock ---- */

static void lock_by_panel(struct vt_harness *h) {
        press_for(h, CHAIR_KEY_CHILD_LOCK, panel_cfg(h)->child_lock_ms + 100);
        assert_true(chair_settings_child_lock(core(h)->settings));
        assert_int_equal(out(h, CHAIR_OUT_LED_LOCK), 1);
}

/* Every key but power and child_lock is ignored with the long beep and counted; nothing
 * changes. */
static void assert_keys_ignored(struct vt_harness *h) {
        for (unsigned k = 0; k < _CHAIR_KEY_MAX; k++) {
                struct session_settings before_settings = *settings(h);
                struct panel_stats before = stats(h);
                enum session_state st = chair_state(h);
                uint64_t t = vt_harness_now_ms(h);

                if (k == CHAIR_KEY_POWER || k == CHAIR_KEY_CHILD_LOCK)
                        continue;
                /* Held past every long press and repeat: still nothing. */
                press_for(h, k, 4000);
                print_message("locked: %s\n", chair_key_name(k));
                assert_beeps(h, t, BEEP_LONG);
                assert_int_equal(stats(h).ignored - before.ignored, 1);
                assert_int_equal(stats(h).keys, before.keys);
                assert_int_equal(stats(h).selected_program, before.selected_program);
                assert_memory_equal(settings(h), &before_settings, sizeof before_settings);
                assert_int_equal(chair_state(h), st);
        }
}

static void test_child_lock(void **state) {
        struct vt_harness *h = new_chair();
        uint64_t t;

        lock_by_panel(h);
        assert_keys_ignored(h);
        /* The child-lock key's short press under the lock: refused as always, not ignored. */
        t = vt_harness_now_ms(h);
        tap(h, CHAIR_KEY_CHILD_LOCK);
        assert_beeps(h, t, BEEP_LONG);
        assert_int_equal(stats(h).ignored, _CHAIR_KEY_MAX - 2);
        /* The session's own calls (D-Bus) are not locked: a program runs ... */
        start(h, "swedish", 600);
        assert_keys_ignored(h);
        assert_int_equal(chair_state(h), SESSION_RUNNING);
        /* ... and power still stops it. */
        t = vt_harness_now_ms(h);
        tap(h, CHAIR_KEY_POWER);
        assert_beeps(h, t, BEEP_SHORT);
        assert_true(chair_state(h) == SESSION_SETTLING || chair_state(h) == SESSION_IDLE);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 60 * 1000), 0);
        /* Held again: unlocked, every key works again. */
        press_for(h, CHAIR_KEY_CHILD_LOCK, panel_cfg(h)->child_lock_ms + 100);
        assert_false(chair_settings_child_lock(core(h)->settings));
        assert_int_equal(out(h, CHAIR_OUT_LED_LOCK), 0);
        tap(h, CHAIR_KEY_TIMER);
        assert_int_equal(settings(h)->timer_min, 30);
        vt_harness_free(h);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        return remove(path);
}

/* The lock is kept across a restart of the core on the same state directory. */
static void test_child_lock_kept(void **state) {
        char dir[] = "/tmp/test-panel-XXXXXX";
        struct vt_harness *h;

        assert_non_null(mkdtemp(dir));
        h = new_chair_in(dir);
        lock_by_panel(h);
        vt_harness_free(h);

        h = new_chair_in(dir);
        assert_true(chair_settings_child_lock(core(h)->settings));
        assert_int_equal(out(h, CHAIR_OUT_LED_LOCK), 1);
        assert_keys_ignored(h);
        press_for(h, CHAIR_KEY_CHILD_LOCK, panel_cfg(h)->child_lock_ms + 100);
        assert_false(chair_settings_child_lock(core(h)->settings));
        vt_harness_free(h);

        h = new_chair_in(dir);
        assert_false(chair_settings_child_lock(core(h)->settings));
        assert_int_equal(out(h, CHAIR_OUT_LED_LOCK), 0);
        vt_harness_free(h);
        assert_int_equal(nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS), 0);
}

/* ---- the panel during a fault, a scan and the settling ---- */

static void assert_actuators_safe(struct vt_harness *h) {
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                if (!chair_output_info(o)->indicator)
                        assert_int_equal(out(h, o), chair_output_info(o)->safe_value);
}

/* The power LED's changes from from_ms to to_ms are each every_ms apart. */
static void assert_blinks(struct vt_harness *h, uint64_t from_ms, uint64_t to_ms, uint64_t every_ms) {
        const struct vt_record *rec = vt_harness_record(h);
        uint64_t last = 0;
        size_t n = 0;

        for (size_t i = 0; i < rec->n_outputs; i++) {
                const struct vt_output_change *c = &rec->outputs[i];
                if (c->out != CHAIR_OUT_LED_POWER || c->at_ms < from_ms || c->at_ms > to_ms)
                        continue;
                if (n++)
                        assert_int_equal(c->at_ms - last, every_ms);
                last = c->at_ms;
        }
        assert_true(n >= (to_ms - from_ms) / every_ms - 1);
}

static void assert_fault_shown(struct vt_harness *h, const char *code) {
        unsigned number = chair_fault_number(code);

        assert_true(number > 0 && number != CHAIR_FAULT_NUMBER_UNKNOWN);
        assert_string_equal(supervisor_fault_code(core(h)->supervisor), code);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_FAULT), number);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_MINUTES), 0);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_PROGRAM), 0);
}

/* Latched: the display shows the fault's number, the power LED blinks every 250 ms; power is
 * accepted, start and a memory's recall refused, the settings keys set the next session's
 * settings; nothing moves. Cleared: back to the idle display. */
static void test_fault(void **state) {
        struct vt_harness *h = new_chair();
        uint64_t t;

        scan(h);   /* so the shoulder keys have a point to move */
        start(h, "swedish", 600);
        press_for(h, CHAIR_KEY_MEMORY_A, panel_cfg(h)->long_press_ms + 100);
        inject(h, "estop", true);
        assert_int_equal(chair_state(h), SESSION_FAULT);
        assert_fault_shown(h, "emergency-stop");
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_FAULT), 1);   /* E01, docs/panel.md */
        t = vt_harness_now_ms(h);
        run(h, 2000);
        assert_blinks(h, t, t + 2000, 250);

        for (unsigned k = 0; k < _CHAIR_KEY_MAX; k++) {
                uint64_t t0 = vt_harness_now_ms(h);

                print_message("in fault: %s\n", chair_key_name(k));
                tap(h, k);
                assert_beeps(h, t0, key_cases[k].works_in_fault ? BEEP_SHORT : BEEP_LONG);
                assert_int_equal(chair_state(h), SESSION_FAULT);
                assert_actuators_safe(h);
                assert_fault_shown(h, "emergency-stop");
        }
        /* The child lock's long press works too. */
        press_for(h, CHAIR_KEY_CHILD_LOCK, panel_cfg(h)->child_lock_ms + 100);
        assert_true(chair_settings_child_lock(core(h)->settings));
        assert_int_equal(out(h, CHAIR_OUT_LED_LOCK), 1);
        press_for(h, CHAIR_KEY_CHILD_LOCK, panel_cfg(h)->child_lock_ms + 100);

        inject(h, "estop", false);
        clear_fault(h);
        assert_int_equal(chair_state(h), SESSION_IDLE);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_FAULT), 0);
        assert_int_equal(out(h, CHAIR_OUT_LED_POWER), 0);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_MINUTES), settings(h)->timer_min);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_PROGRAM), stats(h).selected_program);
        /* After the clear the panel starts again. */
        tap(h, CHAIR_KEY_START_PAUSE);
        assert_int_equal(chair_state(h), SESSION_RUNNING);
        vt_harness_free(h);
}

/* Another fault shows its own number from the one table. */
static void test_fault_number(void **state) {
        struct vt_harness *h = new_chair();

        start(h, "swedish", 600);
        inject(h, "thermistor-open", true);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_FAULT, 10 * 1000), 0);
        run(h, 10);
        assert_fault_shown(h, supervisor_fault_code(core(h)->supervisor));
        /* The sim's open thermistor reads -40 degC: thermistor-open, E04 in docs/panel.md. */
        assert_string_equal(supervisor_fault_code(core(h)->supervisor), "thermistor-open");
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_FAULT), 4);
        assert_actuators_safe(h);
        vt_harness_free(h);
}

/* While the body scan runs, start and program are refused (busy), the live settings are
 * accepted, power stops; while it settles power is accepted and start refused. */
static void test_scanning_and_settling(void **state) {
        struct vt_harness *h = new_chair();
        uint64_t t;

        tap(h, CHAIR_KEY_START_PAUSE);
        assert_int_equal(chair_state(h), SESSION_SCANNING);
        assert_int_equal(out(h, CHAIR_OUT_LED_POWER), 1);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_PROGRAM), 1);
        t = vt_harness_now_ms(h);
        tap(h, CHAIR_KEY_START_PAUSE);
        assert_beeps(h, t, BEEP_LONG);
        assert_int_equal(chair_state(h), SESSION_SCANNING);
        t = vt_harness_now_ms(h);
        tap(h, CHAIR_KEY_PROGRAM);
        assert_beeps(h, t, BEEP_LONG);
        assert_int_equal(stats(h).selected_program, 1);
        t = vt_harness_now_ms(h);
        tap(h, CHAIR_KEY_INTENSITY_UP);
        assert_beeps(h, t, BEEP_SHORT);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_INTENSITY), settings(h)->intensity);
        t = vt_harness_now_ms(h);
        down(h, CHAIR_KEY_POWER);
        assert_int_equal(chair_state(h), SESSION_SETTLING);
        up(h);
        run(h, 100);
        assert_int_equal(out(h, CHAIR_OUT_LED_POWER), 1);
        t = vt_harness_now_ms(h);
        tap(h, CHAIR_KEY_START_PAUSE);
        assert_beeps(h, t, BEEP_LONG);
        t = vt_harness_now_ms(h);
        tap(h, CHAIR_KEY_POWER);
        assert_beeps(h, t, BEEP_SHORT);
        assert_int_equal(chair_state(h), SESSION_SETTLING);
        assert_int_equal(vt_harness_run_until_state(h, SESSION_IDLE, 60 * 1000), 0);
        run(h, 10);
        assert_int_equal(out(h, CHAIR_OUT_LED_POWER), 0);
        assert_null(vt_harness_first_fault(h));
        vt_harness_free(h);
}

/* ---- LEDs and display follow the chair ---- */

static void assert_minutes_shown(struct vt_harness *h) {
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_MINUTES), (session_remaining_s(core(h)->session) + 59) / 60);
}

/* The heat and air LEDs follow what the scheduler does at the session's 1 Hz tick (which
 * refreshes the panel with the minutes left). */
#define LED_LAG_MS 1000

static bool any_valve_open(struct vt_harness *h, uint64_t at_ms) {
        for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++)
                if (vt_harness_output_at(h, chair_air_zone_valve(z), at_ms))
                        return true;
        return false;
}

static bool output_went_to(struct vt_harness *h, enum chair_output o, int32_t value, uint64_t from_ms) {
        const struct vt_record *rec = vt_harness_record(h);
        for (size_t i = 0; i < rec->n_outputs; i++)
                if (rec->outputs[i].out == o && rec->outputs[i].value == value && rec->outputs[i].at_ms >= from_ms)
                        return true;
        return false;
}

static void test_display(void **state) {
        struct vt_harness *h = new_chair();
        const struct vt_record *rec;
        uint64_t t;
        size_t led_air_changes = 0;

        /* The idle chair of docs/panel.md. */
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_PROGRAM), 1);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_MINUTES), 20);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_INTENSITY), 3);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_SPEED), 3);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_WIDTH), 2);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_AIR), 0);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_HEAT), 0);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_FAULT), 0);
        assert_int_equal(out(h, CHAIR_OUT_LED_POWER), 0);
        assert_int_equal(out(h, CHAIR_OUT_LED_HEAT), 0);
        assert_int_equal(out(h, CHAIR_OUT_LED_AIR), 0);
        assert_int_equal(out(h, CHAIR_OUT_LED_LOCK), 0);

        /* A program started from elsewhere (D-Bus) shows as the panel's: its number, minutes
         * left rounded up, the power LED on. */
        start(h, "swedish", 600);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_PROGRAM), program_number(h, "swedish"));
        assert_int_equal(out(h, CHAIR_OUT_LED_POWER), 1);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_MINUTES), 10);
        run(h, 30 * 1000);
        assert_minutes_shown(h);
        run(h, 31 * 1000);
        assert_minutes_shown(h);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_MINUTES), 9);

        /* Heat from the panel: the LED and the display show it, the heaters work. */
        tap(h, CHAIR_KEY_HEAT);
        assert_int_equal(out(h, CHAIR_OUT_LED_HEAT), 1);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_HEAT), 1);
        t = vt_harness_now_ms(h);
        run(h, 5000);
        assert_true(output_went_to(h, CHAIR_OUT_HEAT_LUMBAR, 1, t - TAP_MS - 1000));

        /* Paused: the power LED blinks every 500 ms, the minutes stand. */
        tap(h, CHAIR_KEY_START_PAUSE);
        assert_int_equal(chair_state(h), SESSION_PAUSED);
        t = vt_harness_now_ms(h);
        run(h, 3000);
        assert_blinks(h, t, t + 3000, 500);
        assert_minutes_shown(h);
        /* Paused, the heaters are off, and the heat LED says so. */
        assert_int_equal(out(h, CHAIR_OUT_HEAT_LUMBAR), 0);
        assert_int_equal(out(h, CHAIR_OUT_LED_HEAT), 0);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_HEAT), 0);
        tap(h, CHAIR_KEY_START_PAUSE);
        assert_int_equal(chair_state(h), SESSION_RUNNING);
        assert_int_equal(out(h, CHAIR_OUT_LED_POWER), 1);

        /* The air LED follows the program's air (swedish's air waves begin some minutes in):
         * every change of the LED says what the valves do, and every change of the valves
         * shows within LED_LAG_MS. */
        t = vt_harness_now_ms(h);
        run(h, 500 * 1000);
        rec = vt_harness_record(h);
        for (size_t i = 0; i < rec->n_outputs; i++) {
                const struct vt_output_change *c = &rec->outputs[i];
                if (c->at_ms < t)
                        continue;
                if (c->out == CHAIR_OUT_LED_AIR) {
                        assert_int_equal(c->value, any_valve_open(h, c->at_ms));
                        led_air_changes++;
                } else if (c->out >= CHAIR_OUT_VALVE_SHOULDERS && c->out <= CHAIR_OUT_VALVE_FEET &&
                           any_valve_open(h, c->at_ms) == any_valve_open(h, c->at_ms + LED_LAG_MS)) {
                        assert_int_equal(vt_harness_output_at(h, CHAIR_OUT_LED_AIR, c->at_ms + LED_LAG_MS),
                                         any_valve_open(h, c->at_ms));
                }
        }
        print_message("the air LED changed %zu times\n", led_air_changes);
        assert_true(led_air_changes >= 2);

        stop_and_settle(h);
        run(h, 10);
        assert_int_equal(out(h, CHAIR_OUT_LED_POWER), 0);
        assert_int_equal(out(h, CHAIR_OUT_LED_AIR), settings(h)->air_zones && settings(h)->air_intensity);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_MINUTES), settings(h)->timer_min);
        assert_int_equal(out(h, CHAIR_OUT_DISPLAY_PROGRAM), program_number(h, "swedish"));
        assert_null(vt_harness_first_fault(h));
        vt_harness_free(h);
}

/* ---- the precautions gate applies to the panel ---- */

static void test_precautions(void **state) {
        static const char *const thrombosis[] = { "thrombosis", NULL };
        static const char *const osteoporosis[] = { "osteoporosis", NULL };
        static const char *const pregnancy[] = { "pregnancy", NULL };
        static const char *const varicose[] = { "varicose-veins", NULL };
        static const char *const none[] = { NULL };
        struct vt_harness *h = new_chair();
        uint64_t t;

        /* Memory A holds a program from before the condition. */
        start(h, "gentle", 600);
        press_for(h, CHAIR_KEY_MEMORY_A, panel_cfg(h)->long_press_ms + 100);
        stop_and_settle(h);

        /* Must not use the chair: the start key and a memory refused. */
        precautions(h, thrombosis);
        t = vt_harness_now_ms(h);
        tap(h, CHAIR_KEY_START_PAUSE);
        assert_beeps(h, t, BEEP_LONG);
        assert_int_equal(chair_state(h), SESSION_IDLE);
        t = vt_harness_now_ms(h);
        tap(h, CHAIR_KEY_MEMORY_A);
        assert_beeps(h, t, BEEP_LONG);
        assert_int_equal(chair_state(h), SESSION_IDLE);

        /* A program the condition excludes is refused from the panel; another starts, capped. */
        precautions(h, osteoporosis);
        select_program(h, "deep-tissue");
        t = vt_harness_now_ms(h);
        tap(h, CHAIR_KEY_START_PAUSE);
        assert_beeps(h, t, BEEP_LONG);
        assert_int_equal(chair_state(h), SESSION_IDLE);
        select_program(h, "swedish");
        tap(h, CHAIR_KEY_START_PAUSE);
        assert_true(session_active(core(h)->session));
        assert_true(settings(h)->intensity <= 2);
        while (settings(h)->intensity < 2)
                tap(h, CHAIR_KEY_INTENSITY_UP);
        /* Above the cap: refused (the long beep), not a limit. */
        t = vt_harness_now_ms(h);
        tap(h, CHAIR_KEY_INTENSITY_UP);
        assert_beeps(h, t, BEEP_LONG);
        assert_int_equal(settings(h)->intensity, 2);
        /* Held: no repeat past it either. */
        press_for(h, CHAIR_KEY_INTENSITY_UP, 2000);
        assert_int_equal(settings(h)->intensity, 2);
        stop_and_settle(h);

        /* No heat: the heat key refused. */
        precautions(h, pregnancy);
        t = vt_harness_now_ms(h);
        tap(h, CHAIR_KEY_HEAT);
        assert_beeps(h, t, BEEP_LONG);
        assert_int_equal(settings(h)->heat[CHAIR_HEAT_LUMBAR], 0);
        assert_int_equal(out(h, CHAIR_OUT_LED_HEAT), 0);

        /* No calf or foot compression: the air key steps over the sets with them, to off too. */
        precautions(h, varicose);
        tap(h, CHAIR_KEY_AIR_ZONE);
        assert_int_equal(settings(h)->air_zones, ZONES(SHOULDERS, ARMS));
        tap(h, CHAIR_KEY_AIR_ZONE);
        assert_int_equal(settings(h)->air_zones, ZONES(BACK, SEAT));
        t = vt_harness_now_ms(h);
        tap(h, CHAIR_KEY_AIR_ZONE);
        assert_beeps(h, t, BEEP_SHORT);
        assert_int_equal(settings(h)->air_zones, 0);
        assert_int_equal(out(h, CHAIR_OUT_LED_AIR), 0);
        tap(h, CHAIR_KEY_AIR_ZONE);
        assert_int_equal(settings(h)->air_zones, ZONES(SHOULDERS, ARMS));
        /* The air intensity key of a chair with air off turns on what is allowed. */
        tap(h, CHAIR_KEY_AIR_ZONE);
        tap(h, CHAIR_KEY_AIR_ZONE);
        assert_int_equal(settings(h)->air_zones, 0);
        tap(h, CHAIR_KEY_AIR_INTENSITY);
        assert_int_equal(settings(h)->air_zones, ZONES(SHOULDERS, ARMS));

        /* Every set refused (must not use): from off the key refuses. */
        tap(h, CHAIR_KEY_AIR_ZONE);
        tap(h, CHAIR_KEY_AIR_ZONE);
        assert_int_equal(settings(h)->air_zones, 0);
        precautions(h, thrombosis);
        t = vt_harness_now_ms(h);
        tap(h, CHAIR_KEY_AIR_ZONE);
        assert_beeps(h, t, BEEP_LONG);
        assert_int_equal(settings(h)->air_zones, 0);

        precautions(h, none);
        tap(h, CHAIR_KEY_MEMORY_A);
        assert_true(session_active(core(h)->session));
        vt_harness_free(h);
}

int main(void) {
        static struct CMUnitTest tests[3 * _CHAIR_KEY_MAX + 16];
        static char names[3 * _CHAIR_KEY_MAX][64];
        static const struct {
                const char *what;
                CMUnitTestFunction fn;
        } per_key[] = {
                { "short press", test_short_press },
                { "held", test_hold },
                { "very short press", test_very_short_press },
        };
        size_t n = 0;

        tests[n++] = (struct CMUnitTest) cmocka_unit_test(test_every_key_has_a_case);
        for (size_t w = 0; w < ARRAY_SIZE(per_key); w++)
                for (unsigned k = 0; k < _CHAIR_KEY_MAX; k++) {
                        char *name = names[w * _CHAIR_KEY_MAX + k];
                        snprintf(name, sizeof names[0], "%s: %s", chair_key_name(k), per_key[w].what);
                        tests[n++] = (struct CMUnitTest) { name, per_key[w].fn, NULL, NULL, (void *) (uintptr_t) k };
                }
        tests[n++] = (struct CMUnitTest) cmocka_unit_test(test_superseded_repeat);
        tests[n++] = (struct CMUnitTest) cmocka_unit_test(test_superseded_long);
        tests[n++] = (struct CMUnitTest) cmocka_unit_test(test_superseded_by_power);
        tests[n++] = (struct CMUnitTest) cmocka_unit_test(test_bounce);
        tests[n++] = (struct CMUnitTest) cmocka_unit_test(test_unknown_code);
        tests[n++] = (struct CMUnitTest) cmocka_unit_test(test_beep_cut);
        tests[n++] = (struct CMUnitTest) cmocka_unit_test(test_idle_costs_nothing);
        tests[n++] = (struct CMUnitTest) cmocka_unit_test(test_child_lock);
        tests[n++] = (struct CMUnitTest) cmocka_unit_test(test_child_lock_kept);
        tests[n++] = (struct CMUnitTest) cmocka_unit_test(test_fault);
        tests[n++] = (struct CMUnitTest) cmocka_unit_test(test_fault_number);
        tests[n++] = (struct CMUnitTest) cmocka_unit_test(test_scanning_and_settling);
        tests[n++] = (struct CMUnitTest) cmocka_unit_test(test_display);
        tests[n++] = (struct CMUnitTest) cmocka_unit_test(test_precautions);
        return _cmocka_run_group_tests("test-panel", tests, n, NULL, NULL);
}
