/* SPDX-License-Identifier: MIT */
/* The precautions gate: for every kind of actuator request, what a declared condition allows
 * (as asked), clamps (to which value, naming the condition) or refuses (naming it); the planner's
 * caps agree with it; the last-line filter lowers any command past the caps. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "chair-io.h"
#include "macro.h"
#include "precautions.h"
#include "timeline.h"

#define ZONE(z) (1u << (z))

static int check(const char *const *conditions, enum precaution_kind kind, uint32_t value, uint32_t zones, bool clamp,
                 struct precaution_verdict *v) {
        const struct precaution_declared dec = { .conditions = conditions };
        return precautions_check(&dec, &(struct precaution_request) { .kind = kind, .value = value, .zones = zones,
                                                                      .clamp = clamp },
                                 v);
}

static void test_no_conditions_allow_everything(void **state) {
        struct precaution_verdict v;

        for (int k = 0; k < _PRECAUTION_KIND_MAX; k++) {
                assert_int_equal(check(NULL, (enum precaution_kind) k, 5, 0x3f, false, &v), 0);
                assert_int_equal(v.value, 5);
                assert_int_equal(v.zones, 0x3f);
                assert_null(v.condition);
                assert_string_not_equal(precaution_kind_name((enum precaution_kind) k), "?");
        }
        assert_int_equal(check(NULL, _PRECAUTION_KIND_MAX, 1, 0, false, &v), -EINVAL);
}

static void test_must_not_use_refuses_every_kind(void **state) {
        const char *const fever[] = { "varicose-veins", "fever", NULL };
        struct precaution_verdict v;

        for (int k = 0; k < _PRECAUTION_KIND_MAX; k++) {
                /* clamp cannot make it acceptable */
                assert_int_equal(check(fever, (enum precaution_kind) k, 1, ZONE(CHAIR_AIR_ARMS), true, &v), -EPERM);
                assert_string_equal(v.condition, "fever");
                assert_non_null(strstr(v.reason, "'fever'"));
                assert_non_null(strstr(v.reason, "must not use"));
        }
        /* Switching off is what every refusal falls back to: never refused. */
        assert_int_equal(check(fever, PRECAUTION_HEAT, 0, 0, false, &v), 0);
        assert_int_equal(check(fever, PRECAUTION_AIR, 0, ZONE(CHAIR_AIR_BACK), false, &v), 0);
        assert_int_equal(check(fever, PRECAUTION_AIR, 3, 0, false, &v), 0);
}

static void test_unreadable_list_refuses_until_declared(void **state) {
        const struct precaution_declared dec = { .unreadable = true };
        struct precaution_verdict v;

        assert_int_equal(precautions_check(&dec, &(struct precaution_request) { .kind = PRECAUTION_PROGRAM, .value = 1 }, &v),
                         -EPERM);
        assert_null(v.condition);
        assert_non_null(strstr(v.reason, "chairctl precautions set"));
        assert_int_equal(precautions_check(&dec, &(struct precaution_request) { .kind = PRECAUTION_SCAN, .value = 2 }, &v),
                         -EPERM);
        assert_int_equal(precautions_check(&dec, &(struct precaution_request) { .kind = PRECAUTION_HEAT }, &v), 0);
}

static void test_program_excluded_by_a_condition(void **state) {
        const char *const osteo[] = { "osteoporosis", NULL };
        const char *const excluded[] = { "pregnancy", "osteoporosis", NULL };
        const struct precaution_declared dec = { .conditions = osteo };
        struct precaution_verdict v;

        assert_int_equal(precautions_check(&dec,
                                           &(struct precaution_request) { .kind = PRECAUTION_PROGRAM, .program = "deep",
                                                                          .excluded_by = excluded, .value = 1 },
                                           &v),
                         -EPERM);
        assert_string_equal(v.condition, "osteoporosis");
        assert_non_null(strstr(v.reason, "'deep'"));
        /* The same list does not exclude manual mode: its caps apply instead. */
        assert_int_equal(precautions_check(&dec,
                                           &(struct precaution_request) { .kind = PRECAUTION_MANUAL,
                                                                          .excluded_by = excluded, .value = 1 },
                                           &v),
                         0);
}

static void test_intensity_and_depth_caps(void **state) {
        /* dvt-history caps intensity at 3, osteoporosis at 2: the tightest names the refusal. */
        const char *const list[] = { "dvt-history", "osteoporosis", NULL };
        static const enum precaution_kind intensity_kinds[] = { PRECAUTION_PROGRAM, PRECAUTION_MANUAL, PRECAUTION_INTENSITY };
        struct precaution_verdict v;

        for (size_t i = 0; i < ARRAY_SIZE(intensity_kinds); i++) {
                assert_int_equal(check(list, intensity_kinds[i], 2, 0, false, &v), 0);
                assert_int_equal(check(list, intensity_kinds[i], 4, 0, false, &v), -EPERM);
                assert_string_equal(v.condition, "osteoporosis");
                assert_non_null(strstr(v.reason, "at most 2"));
                assert_int_equal(check(list, intensity_kinds[i], 4, 0, true, &v), 1);
                assert_int_equal(v.value, 2);
                assert_string_equal(v.condition, "osteoporosis");
        }
        assert_int_equal(check(list, PRECAUTION_DEPTH, 3, 0, false, &v), -EPERM);
        assert_int_equal(check(list, PRECAUTION_DEPTH, 4, 0, true, &v), 1);
        assert_int_equal(v.value, 2);
        /* The scan presses at depth 2: within every cap the table has. */
        assert_int_equal(check(list, PRECAUTION_SCAN, 2, 0, false, &v), 0);
        assert_int_equal(check(list, PRECAUTION_SCAN, 3, 0, true, &v), 1);
        assert_int_equal(v.value, 2);
        /* No cap on speed, width or posture. */
        assert_int_equal(check(list, PRECAUTION_SPEED, 5, 0, false, &v), 0);
        assert_int_equal(check(list, PRECAUTION_WIDTH, 2, 0, false, &v), 0);
        assert_int_equal(check(list, PRECAUTION_POSTURE, 1, 0, false, &v), 0);
}

static void test_pregnancy_air_and_heat(void **state) {
        const char *const preg[] = { "pregnancy", NULL };
        struct precaution_verdict v;

        assert_int_equal(check(preg, PRECAUTION_AIR, 3, ZONE(CHAIR_AIR_BACK), false, &v), -EPERM);
        assert_string_equal(v.condition, "pregnancy");
        assert_non_null(strstr(v.reason, "back"));
        assert_int_equal(check(preg, PRECAUTION_AIR, 3, ZONE(CHAIR_AIR_SEAT) | ZONE(CHAIR_AIR_CALVES), true, &v), 1);
        assert_int_equal(v.zones, ZONE(CHAIR_AIR_CALVES));
        assert_int_equal(v.value, 3);
        assert_int_equal(check(preg, PRECAUTION_AIR, 3, ZONE(CHAIR_AIR_ARMS), false, &v), 0);
        assert_int_equal(check(preg, PRECAUTION_HEAT, 1, 0, false, &v), -EPERM);
        assert_non_null(strstr(v.reason, "No heat"));
        assert_int_equal(check(preg, PRECAUTION_HEAT, 2, 0, true, &v), 1);
        assert_int_equal(v.value, 0);
        assert_int_equal(check(preg, PRECAUTION_HEAT, 0, 0, false, &v), 0);
}

static void test_planner_caps_agree_with_the_gate(void **state) {
        const char *const list[] = { "pregnancy", "dvt-history", NULL };
        const char *const fever[] = { "fever", NULL };
        struct precaution_caps caps, none = { .max_intensity = 5, .max_depth = 5 };
        char reason[300];

        assert_int_equal(precautions_evaluate(list, NULL, &caps, reason, sizeof reason), 0);
        assert_int_equal(caps.max_intensity, 2);
        assert_int_equal(caps.max_depth, 2);
        assert_true(caps.no_heat);
        assert_int_equal(caps.forbidden_air_zones, ZONE(CHAIR_AIR_BACK) | ZONE(CHAIR_AIR_SEAT) | ZONE(CHAIR_AIR_CALVES) |
                                                            ZONE(CHAIR_AIR_FEET));
        assert_true(precaution_caps_stricter(&caps, &none));
        assert_false(precaution_caps_stricter(&none, &caps));
        assert_false(precaution_caps_stricter(&caps, &caps));
        assert_int_equal(precautions_evaluate(fever, NULL, &caps, reason, sizeof reason), -EPERM);
        assert_non_null(strstr(reason, "fever"));
}

static void test_last_line_limits_commands(void **state) {
        const char *const preg[] = { "pregnancy", NULL };
        struct timeline_cmd cmds[] = {
                { 0, TL_DEPTH, 0, 4 },
                { 0, TL_DEPTH, 0, 1 },
                { 0, TL_AIR_ZONE, CHAIR_AIR_BACK, TL_AIR_INFLATE | (4 << 8) },
                { 0, TL_AIR_ZONE, CHAIR_AIR_SEAT, TL_AIR_HOLD },
                { 0, TL_AIR_ZONE, CHAIR_AIR_ARMS, TL_AIR_INFLATE },
                { 0, TL_AIR_ZONE, CHAIR_AIR_BACK, TL_AIR_RELEASE },
                { 0, TL_HEAT_ZONE, CHAIR_HEAT_LUMBAR, 2 },
                { 0, TL_KNEAD, 0, 80 },
        };
        struct timeline t = { cmds, ARRAY_SIZE(cmds), 1000 };
        struct precaution_caps caps;
        int32_t max_depth = -1;
        char reason[300];

        assert_int_equal(precautions_evaluate(preg, NULL, &caps, reason, sizeof reason), 0);
        assert_int_equal(precautions_limit_timeline(&caps, &t, &max_depth), 4);
        assert_int_equal(max_depth, 2);
        assert_int_equal(cmds[0].value, 2);
        assert_int_equal(cmds[1].value, 1);
        assert_int_equal(cmds[2].value, TL_AIR_RELEASE);
        assert_int_equal(cmds[3].value, TL_AIR_RELEASE);
        assert_int_equal(cmds[4].value, TL_AIR_INFLATE);
        assert_int_equal(cmds[6].value, 0);
        assert_int_equal(cmds[7].value, 80);
        /* Limited once, nothing is left to limit. */
        assert_int_equal(precautions_limit_timeline(&caps, &t, NULL), 0);
}

/* A person's own caps (people.h) act exactly as a condition's; the lower one names the reason. */
static void test_person_caps(void **state) {
        const char *const osteo[] = { "osteoporosis", NULL };
        struct precaution_declared dec = { .capped = true, .intensity_cap = 3, .heat_cap = 1 };
        struct precaution_caps caps;
        struct precaution_verdict v;
        struct timeline_cmd heat = { 0, TL_HEAT_ZONE, CHAIR_HEAT_LUMBAR, 3 };
        char reason[300];

        /* Intensity: refused or clamped at the person's cap, on every kind that has one. */
        for (enum precaution_kind k = PRECAUTION_PROGRAM; k <= PRECAUTION_INTENSITY; k++) {
                if (k == PRECAUTION_SCAN)
                        continue;
                assert_int_equal(precautions_check(&dec, &(struct precaution_request) { .kind = k, .value = 4 }, &v), -EPERM);
                assert_non_null(strstr(v.reason, "your intensity cap (3)"));
                assert_null(v.condition);
                assert_int_equal(precautions_check(&dec, &(struct precaution_request) { .kind = k, .value = 4, .clamp = true }, &v), 1);
                assert_int_equal(v.value, 3);
                assert_int_equal(precautions_check(&dec, &(struct precaution_request) { .kind = k, .value = 3 }, &v), 0);
        }
        /* A condition's lower cap wins, and names itself. */
        dec.conditions = osteo;
        assert_int_equal(precautions_check(&dec, &(struct precaution_request) { .kind = PRECAUTION_INTENSITY, .value = 3 }, &v), -EPERM);
        assert_string_equal(v.condition, "osteoporosis");
        dec.conditions = NULL;
        /* Heat: at most the cap; 0 no heat at all; off is always allowed. */
        assert_int_equal(precautions_check(&dec, &(struct precaution_request) { .kind = PRECAUTION_HEAT, .value = 2 }, &v), -EPERM);
        assert_non_null(strstr(v.reason, "your heat cap (1)"));
        assert_int_equal(precautions_check(&dec, &(struct precaution_request) { .kind = PRECAUTION_HEAT, .value = 3, .clamp = true }, &v), 1);
        assert_int_equal(v.value, 1);
        dec.heat_cap = 0;
        assert_int_equal(precautions_check(&dec, &(struct precaution_request) { .kind = PRECAUTION_HEAT, .value = 1 }, &v), -EPERM);
        assert_non_null(strstr(v.reason, "your heat cap (0)"));
        assert_int_equal(precautions_check(&dec, &(struct precaution_request) { .kind = PRECAUTION_HEAT, .value = 0 }, &v), 0);
        /* Without capped, the fields mean nothing (callers that know no person). */
        assert_int_equal(precautions_check(&(struct precaution_declared) { .heat_cap = 0 },
                                           &(struct precaution_request) { .kind = PRECAUTION_HEAT, .value = 3 }, &v), 0);

        /* The planner's caps and the last line agree. */
        dec.heat_cap = 2;
        assert_int_equal(precautions_evaluate_declared(&dec, NULL, &caps, reason, sizeof reason), 0);
        assert_int_equal(caps.max_intensity, 3);
        assert_int_equal(caps.max_heat, 2);
        assert_false(caps.no_heat);
        assert_true(precautions_limit_cmd(&caps, &heat));
        assert_int_equal(heat.value, 2);
        assert_true(precaution_caps_stricter(&caps, &(struct precaution_caps) { .max_intensity = 5, .max_depth = 5 }));
        dec.heat_cap = 0;
        assert_int_equal(precautions_evaluate_declared(&dec, NULL, &caps, reason, sizeof reason), 0);
        assert_true(caps.no_heat);
        assert_true(precautions_limit_cmd(&caps, &heat));
        assert_int_equal(heat.value, 0);
        /* Caps built without max_heat (0) limit no heat level. */
        heat.value = 3;
        assert_false(precautions_limit_cmd(&(struct precaution_caps) { .max_intensity = 5, .max_depth = 5 }, &heat));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_no_conditions_allow_everything),
                cmocka_unit_test(test_must_not_use_refuses_every_kind),
                cmocka_unit_test(test_unreadable_list_refuses_until_declared),
                cmocka_unit_test(test_program_excluded_by_a_condition),
                cmocka_unit_test(test_intensity_and_depth_caps),
                cmocka_unit_test(test_pregnancy_air_and_heat),
                cmocka_unit_test(test_planner_caps_agree_with_the_gate),
                cmocka_unit_test(test_last_line_limits_commands),
                cmocka_unit_test(test_person_caps),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
