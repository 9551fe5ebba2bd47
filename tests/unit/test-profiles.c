/* SPDX-License-Identifier: MIT */
/* The profile loader (one test per class of error, FILE:LINE checked), the precautions, and the
 * planner (determinism, intensity and caps, fitting to a duration), plus the golden timelines:
 * every shipped program planned on the reference body compared with tests/golden/NAME.txt
 * (MCD_UPDATE_GOLDEN=1 rewrites them; review the diff before committing). */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "macro.h"
#include "planner.h"
#include "precautions.h"
#include "profile.h"

static const char *head =
        "[program]\n"
        "id = t\n"
        "name = Test\n"
        "description = A test\n"
        "duration_s = 300\n";

static const char *step =
        "[step.a]\n"
        "technique = knead\n"
        "range = 0..1\n"
        "duration_s = 60\n";

static struct program *load_ok(const char *text) {
        struct ini_errors e = {};
        struct program *p = NULL;
        int r = profile_load_text("t.ini", text, strlen(text), &p, &e);
        if (r < 0)
                print_error("unexpected errors:\n%s\n", e.text);
        assert_int_equal(r, 0);
        return p;
}

static void expect(const char *text, unsigned line, const char *needle) {
        struct ini_errors e = {};
        struct program *p = NULL;
        char prefix[32];
        int r = profile_load_text("t.ini", text, strlen(text), &p, &e);

        snprintf(prefix, sizeof prefix, "t.ini:%u: ", line);
        if (r >= 0 || !strstr(e.text, prefix) || !strstr(e.text, needle))
                print_error("expected '%s%s', got r=%d:\n%s\n", prefix, needle, r, e.text);
        assert_true(r < 0);
        assert_non_null(strstr(e.text, prefix));
        assert_non_null(strstr(e.text, needle));
        assert_null(p);
}

static char *cat(const char *a, const char *b) {
        static char buf[4096];
        snprintf(buf, sizeof buf, "%s%s", a, b);
        return buf;
}

static void test_minimal(void **state) {
        struct program *p = load_ok(cat(head, step));
        assert_string_equal(p->id, "t");
        assert_int_equal(p->n_steps, 1);
        assert_int_equal(p->steps[0].technique, TECH_KNEAD);
        assert_true(p->steps[0].is_range);
        free(p);
}

static void test_unknown_section_and_key(void **state) {
        expect(cat(head, "[stage.x]\ntechnique = knead\n"), 6, "unknown section [stage.x]");
        expect(cat(head, "[step.a]\ntechnique = knead\nposition = 0\nduration_s = 30\nflavour = mint\n"), 10,
               "unknown key 'flavour'");
        expect("[program]\nid = t\nname = T\ndescription = d\nduration_s = 300\ncolour = red\n[step.a]\n"
               "technique = none\nduration_s = 30\n", 6, "unknown key 'colour' in [program]");
}

static void test_out_of_bounds(void **state) {
        expect(cat(head, "[step.a]\ntechnique = knead\nposition = 0\nduration_s = 30\ndepth = 9\n"), 10,
               "depth = 9 is out of range (1..5)");
        expect(cat(head, "[step.a]\ntechnique = knead\nposition = 2.5\nduration_s = 30\n"), 8, "out of range");
        expect(cat(head, "[step.a]\ntechnique = knead\nposition = 0\nduration_s = 3\n"), 9, "duration_s = 3 is out of range");
        expect("[program]\nid = t\nname = T\ndescription = d\nduration_s = 10\n[step.a]\ntechnique = none\nduration_s = 30\n",
               5, "duration_s = 10 is out of range (60..3600)");
}

static void test_bad_choices(void **state) {
        expect(cat(head, "[step.a]\ntechnique = tickle\nposition = 0\nduration_s = 30\n"), 7, "is not one of: none, knead");
        expect(cat(head, "[step.a]\ntechnique = knead\nposition = 0\nduration_s = 30\nwidth = huge\n"), 10,
               "width = 'huge' is not one of: narrow, medium, wide");
        expect(cat(head, "[step.a]\ntechnique = knead\nposition = 0\nduration_s = 30\nair = belly\nair_pattern = 1/1/1\n"),
               10, "air: unknown zone 'belly'");
        expect(cat(head, "[step.a]\ntechnique = knead\nposition = 0\nduration_s = 30\nheat = neck:2\n"), 10,
               "heat: 'neck:2' is not ZONE:LEVEL");
        expect("[program]\nid = t\nname = T\ndescription = d\nduration_s = 300\nexcluded_by = clumsiness\n[step.a]\n"
               "technique = none\nduration_s = 30\n", 6, "unknown precaution 'clumsiness'");
        expect(cat(head, "[step.a]\ntechnique = knead\nrange = 0-1\nduration_s = 30\n"), 8, "is not FROM..TO");
        expect(cat(head, "[step.a]\ntechnique = knead\nposition = 0\nduration_s = 30\nair = calves\nair_pattern = 5/5\n"),
               11, "is not INFLATE/HOLD/RELEASE");
}

static void test_required_keys(void **state) {
        expect("[program]\nname = T\ndescription = d\nduration_s = 300\n[step.a]\ntechnique = none\nduration_s = 30\n", 1,
               "missing required key 'id'");
        expect(cat(head, "[step.a]\nposition = 0\nduration_s = 30\n"), 6, "missing required key 'technique'");
        expect(cat(head, "[step.a]\ntechnique = knead\nduration_s = 30\n"), 6, "needs a 'position' or a 'range'");
        expect(cat(head, "[step.a]\ntechnique = knead\nposition = 0\n"), 6, "exactly one of 'duration_s' or 'repetitions'");
        expect(head, 1, "at least one [step.NAME]");
        expect("# nothing here\n", 1, "missing required section [program]");
        expect(cat(head, "[block.b]\n[step.a]\nblock = b\ntechnique = none\nduration_s = 30\n"), 6,
               "missing required key 'times'");
}

static void test_duplicates(void **state) {
        expect(cat(head, "[step.a]\ntechnique = knead\ntechnique = tap\nposition = 0\nduration_s = 30\n"), 8,
               "duplicate key 'technique'");
        expect(cat(head, "[step.a]\ntechnique = none\nduration_s = 30\n[step.a]\ntechnique = none\nduration_s = 30\n"), 9,
               "duplicate section [step.a]");
        /* Found by the fuzzer: keys of a repeated [program] must not pile up. */
        expect("[program]\nid = t\nname = Test\ndescription = A test\nduration_s = 300\n"
               "areas = back, neck, hips, legs, arms, feet, calves, shoulders, back, neck, hips, legs\n"
               "[program]\nareas = back, neck, hips, legs, arms, feet, calves, shoulders, back, neck, hips, legs\n",
               7, "duplicate section [program]");
}

static void test_cross_checks(void **state) {
        /* Repetitions that cannot end: a point with no air has nothing to repeat. */
        expect(cat(head, "[step.a]\ntechnique = knead\nposition = 0.5\nrepetitions = 3\n"), 9, "repetitions need a range");
        expect(cat(head, "[step.a]\ntechnique = knead\nposition = 0\nrange = 0..1\nduration_s = 30\n"), 9,
               "either position or range");
        expect(cat(head, "[step.a]\ntechnique = knead\nposition = 0\nduration_s = 30\nair = calves\n"), 10,
               "air zones need an 'air_pattern'");
        expect(cat(head, "[step.a]\ntechnique = knead\nposition = 0\nduration_s = 30\nblock = nowhere\n"), 10,
               "block 'nowhere' has no [block.nowhere]");
        expect(cat(head, "[block.b]\ntimes = 1\n[step.a]\nblock = b\ntechnique = knead\nposition = 0\nduration_s = 30\n"
                         "ramp = depth 1..4\n"),
               13, "a ramp needs the step in a block played at least twice");
        expect(cat(head, "[block.b]\ntimes = 2\n[step.a]\nblock = b\ntechnique = none\nduration_s = 30\n"
                         "[step.c]\ntechnique = none\nduration_s = 30\n[step.d]\nblock = b\ntechnique = none\nduration_s = 30\n"),
               16, "must be consecutive");
        expect(cat(head, "[step.a]\ntechnique = knead\nrange = 0.5..0.52\nduration_s = 30\n"), 8, "shorter than 0.05");
}

static void test_syntax_and_long_lines(void **state) {
        char text[800];
        expect(cat(head, "[step.a]\ntechnique knead\n"), 7, "syntax error");
        snprintf(text, sizeof text, "%s# %0300d\n", head, 0);
        expect(text, 6, "line longer than");
        {
                struct ini_errors e = {};
                struct program *p = NULL;
                static const char nul[] = "[program]\nid = t\0x\n";
                assert_true(profile_load_text("t.ini", nul, sizeof nul - 1, &p, &e) < 0);
                assert_non_null(strstr(e.text, "NUL"));
        }
}

static void test_every_error_reported(void **state) {
        struct ini_errors e = {};
        struct program *p = NULL;
        const char *text = "[program]\nid = T!\nname = x\ndescription = d\nduration_s = 5\nintensity = 9\n[step.a]\n"
                           "technique = knead\nposition = 0\nduration_s = 30\n";
        assert_true(profile_load_text("t.ini", text, strlen(text), &p, &e) < 0);
        assert_true(e.count >= 3);
        assert_non_null(strstr(e.text, "t.ini:2: "));
        assert_non_null(strstr(e.text, "t.ini:5: "));
        assert_non_null(strstr(e.text, "t.ini:6: "));
}

static void plan(const struct program *p, uint32_t intensity, uint32_t duration, struct precaution_caps *caps,
                 struct timeline *t) {
        struct plan_options o = { .intensity = intensity, .duration_s = duration, .scan = { 620, 220 },
                                  .track_length_mm = 800 };
        if (caps) {
                o.caps = *caps;
                o.caps_given = true;
        }
        assert_int_equal(planner_plan(p, &o, t), 0);
}

static struct program *load_shipped(const char *name) {
        char path[512];
        struct ini_errors e = {};
        struct program *p = NULL;
        const char *src = getenv("MCD_SOURCE_DIR");
        snprintf(path, sizeof path, "%s/profiles/programs/%s.ini", src ? src : ".", name);
        if (profile_load_file(path, &p, &e) < 0)
                print_error("%s\n", e.text);
        assert_non_null(p);
        return p;
}

static int32_t max_value(const struct timeline *t, enum timeline_channel c) {
        int32_t m = 0;
        for (size_t i = 0; i < t->n_cmds; i++)
                if (t->cmds[i].channel == c && abs(t->cmds[i].value) > m)
                        m = abs(t->cmds[i].value);
        return m;
}

/* [block.b] at 6-7, [step.a] at 8, its ramp at 13. */
static char *ramp_text(const char *ramp) {
        static char buf[1024];
        snprintf(buf, sizeof buf, "%s[block.b]\ntimes = 3\n[step.a]\ntechnique = knead\nrange = 0..1\nduration_s = 60\n"
                 "block = b\nramp = %s\n", head, ramp);
        return buf;
}

static void test_every_range_checked(void **state) {
        struct program *p = load_ok(ramp_text("depth 1..4"));
        assert_int_equal(p->steps[0].ramp, RAMP_DEPTH);
        assert_int_equal(p->steps[0].ramp_to, 4);
        free(p);
        /* A ramp outside its range is an error, never silently dropped. */
        expect(ramp_text("depth 1..6"), 13, "ramp = 'depth 1..6' is not VALUE FROM..TO");
        expect(ramp_text("depth 0..5"), 13, "ramp = 'depth 0..5'");
        expect(ramp_text("speed -1..4"), 13, "ramp = 'speed -1..4'");
        expect(ramp_text("speed 1..4294967297"), 13, "is not VALUE FROM..TO");
        expect(ramp_text("pressure 1..4"), 13, "ramp = 'pressure' is not one of: depth, speed, air_level");
        expect(cat(head, "[step.a]\ntechnique = knead\nrange = 0..1\nrepetitions = 2\nair = seat\n"
                         "air_pattern = -1/0/1\n"), 11, "air_pattern = '-1/0/1' is not INFLATE/HOLD/RELEASE");
        expect(cat(head, "[step.a]\ntechnique = knead\nrange = 0..1\nduration_s = 60\nheat = lumbar:4\n"), 10,
               "heat: 'lumbar:4' is not ZONE:LEVEL");
        expect(cat(head, "[step.a]\ntechnique = knead\nrange = 0..1\nduration_s = 060x\n"), 9,
               "duration_s = '060x' is not a whole number (base 10)");
        expect(cat(head, "[step.a]\ntechnique = knead\nposition = 0x1p-1\nduration_s = 60\n"), 8,
               "position = '0x1p-1' is not a number");
        expect(cat(head, "[step.a]\ntechnique = knead\nposition = nan\nduration_s = 60\n"), 8, "position = 'nan'");
}

static void test_one_section_per_line(void **state) {
        expect(cat(head, "[step.a] [step.b]\ntechnique = knead\nrange = 0..1\nduration_s = 60\n"), 6,
               "text after the section header (one section per line)");
        expect(cat(head, "[step.a]][x]\n"), 6, "text after the section header");
        /* A comment after a header is fine. */
        free(load_ok(cat(head, "[step.a] ; the only step\ntechnique = knead\nrange = 0..1\nduration_s = 60\n")));
}

static void test_bad_bytes(void **state) {
        expect(cat(head, "[step.a]\ntechnique = knead\n# caf\xff\n"), 8, "the file contains invalid UTF-8");
        {
                static const char text[] = "[program]\nid = t\0\n";
                struct ini_errors e = {};
                struct program *p = NULL;
                assert_true(profile_load_text("t.ini", text, sizeof text - 1, &p, &e) < 0);
                assert_non_null(strstr(e.text, "t.ini:2: the file contains a NUL byte"));
        }
}

/* 64 KiB is exact: 65536 bytes load, 65537 are refused, from text (an upload) and from a file. */
static void test_size_limit_exact(void **state) {
        static char text[PROFILE_FILE_MAX + 2];
        char path[] = "/tmp/test-profile-size-XXXXXX";
        struct ini_errors e = {};
        struct program *p = NULL;
        size_t len;
        int fd;

        len = (size_t) snprintf(text, sizeof text, "%s%s", head, step);
        while (len < PROFILE_FILE_MAX) {
                size_t n = MIN(PROFILE_FILE_MAX - len, (size_t) 100);
                memset(text + len, '#', n);
                text[len + n - 1] = '\n';
                len += n;
        }
        assert_int_equal(len, PROFILE_FILE_MAX);
        assert_int_equal(profile_load_text("t.ini", text, len, &p, &e), 0);
        free(p);
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, len), (ssize_t) len);
        assert_int_equal(profile_load_file(path, &p, &e), 0);
        free(p);
        text[len++] = '\n';
        assert_int_equal(write(fd, "\n", 1), 1);
        close(fd);
        assert_int_equal(profile_load_text("t.ini", text, len, &p, &e), -EFBIG);
        assert_non_null(strstr(e.text, "at most 65536 bytes"));
        e = (struct ini_errors) {};
        assert_int_equal(profile_load_file(path, &p, &e), -EFBIG);
        assert_non_null(strstr(e.text, "refused: 65537 bytes"));
        unlink(path);
}

static void test_planner_deterministic_and_sorted(void **state) {
        struct program *p = load_shipped("deep-tissue");
        struct timeline a, b;
        plan(p, 4, 0, NULL, &a);
        plan(p, 4, 0, NULL, &b);
        assert_int_equal(a.n_cmds, b.n_cmds);
        assert_memory_equal(a.cmds, b.cmds, a.n_cmds * sizeof *a.cmds);
        for (size_t i = 1; i < a.n_cmds; i++)
                assert_true(a.cmds[i - 1].at_ms <= a.cmds[i].at_ms);
        for (size_t i = 0; i < a.n_cmds; i++)
                if (a.cmds[i].channel == TL_ROLLER_POSITION && a.cmds[i].value != TL_ROLLER_HERE)
                        assert_true(a.cmds[i].value >= 0 && a.cmds[i].value <= 800);
        timeline_done(&a);
        timeline_done(&b);
        free(p);
}

/* One technique table: every name in a profile (and "press") loads as its technique, and a
 * step of it at speed 3 and intensity 3 runs the motors manual mode runs (common/vocab.h). */
static void test_technique_table(void **state) {
        char text[512];

        for (int t = TECH_KNEAD; t <= _TECH_MAX; t++) {
                const char *name = t == _TECH_MAX ? "press" : roller_technique_to_string((enum roller_technique) t);
                enum roller_technique want = t == _TECH_MAX ? TECH_SHIATSU : (enum roller_technique) t;
                int32_t knead, tap, got_knead = -1000, got_tap = -1000;
                struct timeline tl;
                struct program *p;

                assert_int_equal(roller_technique_from_string(roller_technique_to_string(want)), want);
                snprintf(text, sizeof text, "%s[step.a]\ntechnique = %s\nposition = 0.5\nspeed = 3\nduration_s = 60\n", head,
                         name);
                p = load_ok(text);
                assert_int_equal(p->steps[0].technique, want);
                plan(p, 3, 0, NULL, &tl);
                for (size_t i = 0; i < tl.n_cmds; i++) {
                        if (tl.cmds[i].channel == TL_KNEAD && got_knead == -1000)
                                got_knead = tl.cmds[i].value;
                        if (tl.cmds[i].channel == TL_TAP && got_tap == -1000)
                                got_tap = tl.cmds[i].value;
                }
                roller_technique_motors(want, planner_motor_duty(3, 3), &knead, &tap);
                assert_int_equal(got_knead, knead);
                assert_int_equal(got_tap, tap);
                timeline_done(&tl);
                free(p);
        }
        assert_int_equal(roller_technique_from_string("press"), -EINVAL); /* a profile's alias only */
        assert_null(roller_technique_to_string(_TECH_MAX));
}

static void test_intensity_scales_within_bounds(void **state) {
        struct program *p = load_shipped("sports");
        struct timeline lo, hi;
        plan(p, 1, 0, NULL, &lo);
        plan(p, 5, 0, NULL, &hi);
        assert_true(max_value(&lo, TL_DEPTH) < max_value(&hi, TL_DEPTH));
        assert_true(max_value(&lo, TL_TAP) < max_value(&hi, TL_TAP));
        assert_true(max_value(&hi, TL_DEPTH) <= 5);
        assert_true(max_value(&hi, TL_TAP) <= 100);
        timeline_done(&lo);
        timeline_done(&hi);
        free(p);
}

static void test_caps_are_hard(void **state) {
        struct program *p = load_shipped("swedish");
        struct precaution_caps caps;
        const char *conditions[] = { "pregnancy", "varicose-veins", NULL };
        char reason[256];
        struct timeline t;

        assert_int_equal(precautions_evaluate(conditions, p, &caps, reason, sizeof reason), 0);
        plan(p, 5, 0, &caps, &t);
        assert_true(max_value(&t, TL_DEPTH) <= 2);
        for (size_t i = 0; i < t.n_cmds; i++) {
                const struct timeline_cmd *c = &t.cmds[i];
                if (c->channel == TL_HEAT_ZONE)
                        assert_int_equal(c->value, 0);
                if (c->channel == TL_AIR_ZONE && (c->value & 0xff) == TL_AIR_INFLATE)
                        assert_true(c->arg != CHAIR_AIR_CALVES && c->arg != CHAIR_AIR_FEET && c->arg != CHAIR_AIR_BACK &&
                                    c->arg != CHAIR_AIR_SEAT);
        }
        timeline_done(&t);
        free(p);
}

static void test_precautions_refuse_with_reason(void **state) {
        struct program *p = load_shipped("deep-tissue");
        struct precaution_caps caps;
        char reason[256];
        const char *osteo[] = { "osteoporosis", NULL }, *fever[] = { "fever", NULL };

        assert_int_equal(precautions_evaluate(osteo, p, &caps, reason, sizeof reason), -EPERM);
        assert_non_null(strstr(reason, "osteoporosis"));
        assert_int_equal(precautions_evaluate(fever, NULL, &caps, reason, sizeof reason), -EPERM);
        assert_non_null(strstr(reason, "must not use"));
        free(p);
        p = load_shipped("gentle");
        assert_int_equal(precautions_evaluate(osteo, p, &caps, reason, sizeof reason), 0);
        assert_int_equal(caps.max_intensity, 2);
        free(p);
}

static void test_duration_fitting(void **state) {
        struct program *p = load_shipped("neck-shoulders");
        struct timeline shorter, longer;
        plan(p, 3, 600, NULL, &shorter);
        plan(p, 3, 1800, NULL, &longer);
        assert_true(shorter.duration_ms <= 600000);
        assert_true(shorter.duration_ms >= 450000);
        assert_true(longer.duration_ms <= 1800000);
        assert_true(longer.duration_ms >= 1500000);
        /* Nothing is scheduled after the end. */
        assert_true(shorter.cmds[shorter.n_cmds - 1].at_ms < shorter.duration_ms);
        timeline_done(&shorter);
        timeline_done(&longer);
        free(p);
}

static void test_shipped_programs_are_real_sessions(void **state) {
        static const char *const names[] = { "swedish", "deep-tissue", "sports", "trigger-point", "myofascial-release",
                                             "neck-shoulders", "lower-back", "gentle" };
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
                struct program *p = load_shipped(names[i]);
                struct timeline t;
                assert_string_equal(p->id, names[i]);
                plan(p, 0, 0, NULL, &t);
                if (t.duration_ms < 14 * 60000 || t.duration_ms > 30 * 60000)
                        print_error("%s lasts %u s\n", names[i], t.duration_ms / 1000);
                assert_true(t.duration_ms >= 14 * 60000 && t.duration_ms <= 30 * 60000);
                assert_true(p->n_steps >= 4);
                timeline_done(&t);
                free(p);
        }
}

/* The time each of the program's steps got (summed over its passes), from the TL_STEP marks. */
static void step_times(const struct timeline *t, uint64_t *ms, size_t n_steps) {
        uint32_t at = 0;
        int cur = -1;

        memset(ms, 0, n_steps * sizeof *ms);
        for (size_t i = 0; i <= t->n_cmds; i++) {
                const struct timeline_cmd *c = i < t->n_cmds ? &t->cmds[i] : NULL;
                if (c && c->channel != TL_STEP)
                        continue;
                if (cur >= 0 && (size_t) cur < n_steps)
                        ms[cur] += (c ? c->at_ms : t->duration_ms) - at;
                if (c) {
                        cur = c->arg;
                        at = c->at_ms;
                }
        }
}

static void plan_focused(const struct program *p, uint32_t focus, struct timeline *t) {
        struct plan_options o = { .duration_s = 0, .scan = { 620, 220 }, .track_length_mm = 800, .focus_areas = focus };
        assert_int_equal(planner_plan(p, &o, t), 0);
}

/* Swedish focused on the lower back: its lower-back step gets more of the same length, the
 * steps on other areas less, the warm-up and cool-down keep their time, every step is played;
 * a neck focus moves the time elsewhere. */
static void test_focus_weights_steps(void **state) {
        struct program *p = load_shipped("swedish");
        struct timeline plain, low, neck;
        uint64_t a[PROFILE_MAX_STEPS], b[PROFILE_MAX_STEPS], c[PROFILE_MAX_STEPS];
        size_t lower = SIZE_MAX, upper = SIZE_MAX;

        for (size_t j = 0; j < p->n_steps; j++) {
                if (strcmp(p->steps[j].name, "lower-back") == 0)
                        lower = j;
                if (strcmp(p->steps[j].name, "upper-back") == 0)
                        upper = j;
        }
        assert_true(lower < p->n_steps && upper < p->n_steps);
        plan(p, 0, 0, NULL, &plain);
        plan_focused(p, 1u << PAIN_LOWER_BACK, &low);
        plan_focused(p, 1u << PAIN_NECK, &neck);
        step_times(&plain, a, p->n_steps);
        step_times(&low, b, p->n_steps);
        step_times(&neck, c, p->n_steps);
        for (size_t j = 0; j < p->n_steps; j++)
                print_message("  %-14s %7.1f s  lower-back %7.1f s  neck %7.1f s\n", p->steps[j].name, a[j] / 1000.0,
                              b[j] / 1000.0, c[j] / 1000.0);
        /* The same total, within the fitting's tolerance (whole strokes, FIT_WHOLE_MS). */
        assert_true(labs((long) low.duration_ms - (long) plain.duration_ms) <= 5000);
        assert_true(labs((long) neck.duration_ms - (long) plain.duration_ms) <= 5000);
        assert_true(low.duration_ms <= 1200000 && neck.duration_ms <= 1200000);
        assert_true(b[lower] > a[lower] * 5 / 4);
        assert_true(b[upper] < a[upper]);
        for (size_t j = 0; j < p->n_steps; j++) {
                assert_true(b[j] > 0 && c[j] > 0);
                /* Never below the floor: half of the unfocused time (the rounding of a stroke
                 * aside), the warm-up and the cool-down all of it. */
                if (j == 0 || j + 1 == p->n_steps) {
                        assert_true(b[j] * 10 >= a[j] * 9);
                        assert_true(c[j] * 10 >= a[j] * 9);
                } else {
                        assert_true(b[j] * 10 >= a[j] * 4);
                        assert_true(c[j] * 10 >= a[j] * 4);
                }
        }
        /* Neck: the upper back, nearest the neck, gets more than unfocused, the lower back less. */
        assert_true(c[upper] > a[upper] * 5 / 4);
        assert_true(c[lower] < a[lower]);
        assert_true(low.n_cmds != neck.n_cmds || memcmp(low.cmds, neck.cmds, low.n_cmds * sizeof *low.cmds) != 0);
        timeline_done(&plain);
        timeline_done(&low);
        timeline_done(&neck);
        free(p);
}

/* Focus on the areas a program does not work on (the gentle program has no calf work): the
 * program as fitted, command for command. */
static void test_focus_elsewhere_unchanged(void **state) {
        struct program *p = load_shipped("gentle");
        struct timeline plain, feet;

        plan(p, 0, 0, NULL, &plain);
        plan_focused(p, 1u << PAIN_FEET, &feet);
        assert_int_equal(plain.n_cmds, feet.n_cmds);
        assert_int_equal(plain.duration_ms, feet.duration_ms);
        assert_memory_equal(plain.cmds, feet.cmds, plain.n_cmds * sizeof *plain.cmds);
        timeline_done(&plain);
        timeline_done(&feet);
        free(p);
}

/* The step-to-area mapping (docs/profiles.md, "Focus"). */
static void test_focus_step_mapping(void **state) {
        struct profile_step s = { .technique = TECH_KNEAD, .is_range = true, .from = 0.6, .to = 1.1 };

        assert_true(planner_step_focus(&s, 1u << PAIN_LOWER_BACK) > 0.99);
        assert_true(planner_step_focus(&s, 1u << PAIN_NECK) < 0.01);
        /* Next to a focused area: half. */
        assert_true(fabs(planner_step_focus(&s, 1u << PAIN_UPPER_BACK) - 0.5) < 1e-9);
        s.from = -0.35, s.to = 0.0;
        assert_true(planner_step_focus(&s, 1u << PAIN_NECK) > 0.8);
        assert_true(planner_step_focus(&s, (1u << PAIN_NECK) | (1u << PAIN_SHOULDERS)) > 0.99);
        /* A point, and the air: calves and feet only through their bags. */
        s = (struct profile_step) { .technique = TECH_SHIATSU, .from = 0.8, .to = 0.8 };
        assert_true(planner_step_focus(&s, 1u << PAIN_LOWER_BACK) > 0.99);
        s = (struct profile_step) { .technique = TECH_NONE,
                                    .air_zones = (1u << CHAIR_AIR_CALVES) | (1u << CHAIR_AIR_FEET) };
        assert_true(fabs(planner_step_focus(&s, 1u << PAIN_CALVES) - 0.75) < 1e-9);
        assert_true(planner_step_focus(&s, 1u << PAIN_LOWER_BACK) < 0.01);
}

/* Every shipped program focused on each area alone, and on all of them: the plan keeps the
 * program's length (the fitting's tolerance), plays every step, stays sorted and on the track,
 * and asks no more of the roller than the unfocused plan's limits. */
static void test_focus_every_program_every_area(void **state) {
        const char *src = getenv("MCD_SOURCE_DIR");
        char dir[400];
        struct dirent *de;
        DIR *d;
        unsigned n = 0;

        snprintf(dir, sizeof dir, "%s/profiles/programs", src ? src : ".");
        d = opendir(dir);
        assert_non_null(d);
        while ((de = readdir(d))) {
                char name[256];
                size_t len = strlen(de->d_name);
                struct program *p;
                struct timeline plain;

                if (len < 5 || strcmp(de->d_name + len - 4, ".ini") != 0)
                        continue;
                snprintf(name, sizeof name, "%.*s", (int) len - 4, de->d_name);
                p = load_shipped(name);
                plan(p, 0, 0, NULL, &plain);
                for (unsigned a = 0; a <= _PAIN_AREA_MAX; a++) {
                        uint32_t focus = a < _PAIN_AREA_MAX ? 1u << a : (1u << _PAIN_AREA_MAX) - 1;
                        uint64_t ms[PROFILE_MAX_STEPS];
                        struct timeline t;
                        plan_focused(p, focus, &t);
                        if (labs((long) t.duration_ms - (long) plain.duration_ms) > 5000)
                                print_error("%s focused 0x%x lasts %u ms, unfocused %u ms\n", name, focus, t.duration_ms,
                                            plain.duration_ms);
                        assert_true(labs((long) t.duration_ms - (long) plain.duration_ms) <= 5000);
                        assert_true(t.duration_ms <= 1000u * p->duration_s);
                        step_times(&t, ms, p->n_steps);
                        for (size_t j = 0; j < p->n_steps; j++) {
                                if (!ms[j])
                                        print_error("%s focused 0x%x: step %s dropped\n", name, focus, p->steps[j].name);
                                assert_true(ms[j] > 0);
                        }
                        for (size_t i = 0; i < t.n_cmds; i++) {
                                const struct timeline_cmd *c = &t.cmds[i];
                                assert_true(c->at_ms < t.duration_ms);
                                if (i)
                                        assert_true(t.cmds[i - 1].at_ms <= c->at_ms);
                                if (c->channel == TL_ROLLER_POSITION && c->value != TL_ROLLER_HERE)
                                        assert_true(c->value >= 0 && c->value <= 800);
                        }
                        assert_true(max_value(&t, TL_DEPTH) <= max_value(&plain, TL_DEPTH));
                        timeline_done(&t);
                }
                timeline_done(&plain);
                free(p);
                n++;
        }
        closedir(d);
        assert_true(n >= 9);
}

static void test_golden_timelines(void **state) {
        const char *src = getenv("MCD_SOURCE_DIR");
        bool update = getenv("MCD_UPDATE_GOLDEN") != NULL;
        char dir[400];
        struct dirent *de;
        DIR *d;
        unsigned n = 0;

        snprintf(dir, sizeof dir, "%s/profiles/programs", src ? src : ".");
        d = opendir(dir);
        assert_non_null(d);
        while ((de = readdir(d))) {
                char name[256], golden[600], *out = NULL, *want = NULL;
                size_t out_len = 0, want_len = 0;
                struct program *p;
                struct timeline t;
                FILE *f;
                size_t len = strlen(de->d_name);

                if (len < 5 || strcmp(de->d_name + len - 4, ".ini") != 0)
                        continue;
                snprintf(name, sizeof name, "%.*s", (int) len - 4, de->d_name);
                p = load_shipped(name);
                plan(p, 0, 0, NULL, &t);
                f = open_memstream(&out, &out_len);
                planner_format(&t, f);
                fclose(f);
                snprintf(golden, sizeof golden, "%s/tests/golden/%s.txt", src ? src : ".", name);
                if (update) {
                        f = fopen(golden, "w");
                        assert_non_null(f);
                        fwrite(out, 1, out_len, f);
                        fclose(f);
                } else {
                        f = fopen(golden, "r");
                        if (!f)
                                print_error("no golden file %s (MCD_UPDATE_GOLDEN=1 writes it)\n", golden);
                        assert_non_null(f);
                        want = calloc(1, out_len + 65536);
                        want_len = fread(want, 1, out_len + 65535, f);
                        fclose(f);
                        if (want_len != out_len || memcmp(want, out, out_len) != 0)
                                print_error("%s differs from the planner's output; review with MCD_UPDATE_GOLDEN=1 "
                                            "and git diff\n", golden);
                        assert_true(want_len == out_len && memcmp(want, out, out_len) == 0);
                        free(want);
                }
                free(out);
                timeline_done(&t);
                free(p);
                n++;
        }
        closedir(d);
        assert_true(n >= 9);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_minimal),
                cmocka_unit_test(test_unknown_section_and_key),
                cmocka_unit_test(test_out_of_bounds),
                cmocka_unit_test(test_bad_choices),
                cmocka_unit_test(test_required_keys),
                cmocka_unit_test(test_duplicates),
                cmocka_unit_test(test_cross_checks),
                cmocka_unit_test(test_syntax_and_long_lines),
                cmocka_unit_test(test_every_error_reported),
                cmocka_unit_test(test_every_range_checked),
                cmocka_unit_test(test_one_section_per_line),
                cmocka_unit_test(test_bad_bytes),
                cmocka_unit_test(test_size_limit_exact),
                cmocka_unit_test(test_planner_deterministic_and_sorted),
                cmocka_unit_test(test_intensity_scales_within_bounds),
                cmocka_unit_test(test_caps_are_hard),
                cmocka_unit_test(test_precautions_refuse_with_reason),
                cmocka_unit_test(test_duration_fitting),
                cmocka_unit_test(test_shipped_programs_are_real_sessions),
                cmocka_unit_test(test_golden_timelines),
                cmocka_unit_test(test_technique_table),
                cmocka_unit_test(test_focus_weights_steps),
                cmocka_unit_test(test_focus_elsewhere_unchanged),
                cmocka_unit_test(test_focus_step_mapping),
                cmocka_unit_test(test_focus_every_program_every_area),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
