/* SPDX-License-Identifier: MIT */
/* daemon/bus-args.c without a daemon: the UTF-8 check agrees with sd-bus's own on every short
 * byte sequence, sanitized text is always accepted by sd-bus, and the parsers' limits hold at
 * and just past each bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <systemd/sd-bus.h>

#include "bus/bus-args.h"
#include "chair-bus-names.h"
#include "macro.h"
#include "people.h"
#include "posture.h"
#include "vocab.h"

static sd_bus *bus;
static int peer = -1;

static int setup(void **state) {
        int fds[2];
        /* A bus on a socketpair that never authenticates: enough to build messages. */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0 || sd_bus_new(&bus) < 0 ||
            sd_bus_set_fd(bus, fds[0], fds[0]) < 0 || sd_bus_start(bus) < 0)
                return -1;
        peer = fds[1];
        return 0;
}

static int teardown(void **state) {
        /* Never flushed: nobody answers its authentication. */
        sd_bus_close_unref(bus);
        close(peer);
        return 0;
}

static bool sd_bus_accepts(const char *s) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        assert_int_equal(sd_bus_message_new_method_call(bus, &m, "a.b", "/a", "a.b", "M"), 0);
        return sd_bus_message_append_basic(m, 's', s) >= 0;
}

static void check_sequence(const unsigned char *bytes, size_t n) {
        char s[8], buf[3 * 8 + 1];
        memcpy(s, bytes, n);
        s[n] = '\0';
        if (strlen(s) != n)
                return;
        assert_int_equal(bus_utf8_valid(s), sd_bus_accepts(s));
        assert_true(sd_bus_accepts(bus_utf8_safe(s, buf, sizeof buf)));
}

static void test_utf8_agrees_with_sd_bus(void **state) {
        unsigned char b[4];
        /* Every one- and two-byte sequence, every three-byte one with a lead byte of 0xe0-0xf4
         * (the forms that need more than one check), and four-byte ones of each lead byte. */
        for (unsigned i = 1; i < 256; i++) {
                b[0] = (unsigned char) i;
                check_sequence(b, 1);
                for (unsigned j = 1; j < 256; j++) {
                        b[1] = (unsigned char) j;
                        check_sequence(b, 2);
                }
        }
        for (unsigned i = 0xe0; i <= 0xf4; i++)
                for (unsigned j = 0x70; j < 0xd0; j++)
                        for (unsigned k = 0x70; k < 0xd0; k++) {
                                b[0] = (unsigned char) i, b[1] = (unsigned char) j, b[2] = (unsigned char) k;
                                check_sequence(b, 3);
                        }
        srand(1);
        for (unsigned n = 0; n < 200000; n++) {
                b[0] = (unsigned char) (0xf0 + rand() % 16);
                for (unsigned i = 1; i < 4; i++)
                        b[i] = (unsigned char) (0x80 + rand() % 64);
                check_sequence(b, 4);
        }
        /* The noncharacters and surrogates sd-bus refuses. */
        assert_false(bus_utf8_valid("\xef\xbf\xbf"));
        assert_false(bus_utf8_valid("\xef\xb7\x90"));
        assert_false(bus_utf8_valid("\xed\xa0\x80"));
        assert_true(bus_utf8_valid("caf\xc3\xa9"));
}

static void test_utf8_safe_fits(void **state) {
        char buf[8];
        const char *valid = "plain";
        assert_ptr_equal(bus_utf8_safe(valid, buf, sizeof buf), valid);
        assert_string_equal(bus_utf8_safe("a\xff", buf, sizeof buf), "a\xef\xbf\xbd");
        /* Cut at a character boundary, never in the middle of U+FFFD. */
        assert_string_equal(bus_utf8_safe("\xff\xff\xff", buf, sizeof buf), "\xef\xbf\xbd\xef\xbf\xbd");
        assert_string_equal(bus_utf8_safe(NULL, buf, sizeof buf), "");
}

/* Builds a sealed call with the given arguments and runs a parser on it. */
static int parse(bus_args_parser parser, const char *const *conditions, struct bus_args *a, sd_bus_error *error,
                 const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        const struct bus_args_context ctx = { .conditions = conditions };
        va_list ap;
        int r;

        assert_int_equal(sd_bus_message_new_method_call(bus, &m, "a.b", "/a", "a.b", "M"), 0);
        va_start(ap, types);
        r = sd_bus_message_appendv(m, types, ap);
        va_end(ap);
        assert_true(r >= 0);
        assert_int_equal(sd_bus_message_seal(m, 1, 0), 0);
        *a = (struct bus_args) {};
        r = parser(m, &ctx, a, error);
        return r;
}

static void expect_invalid(int r, sd_bus_error *error, const char *names) {
        assert_true(r < 0);
        assert_string_equal(error->name, SD_BUS_ERROR_INVALID_ARGS);
        if (!strstr(error->message, names))
                fail_msg("'%s' not in '%s'", names, error->message);
        sd_bus_error_free(error);
}

static void test_air_zones(void **state) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        struct bus_args a;
        int r;

        r = parse(bus_parse_set_air, NULL, &a, &error, "asu", 6, "shoulders", "arms", "back", "seat", "calves", "feet", 5);
        assert_int_equal(r, 0);
        assert_int_equal(a.mask, 0x3f);
        assert_int_equal(a.u[0], 5);
        r = parse(bus_parse_set_air, NULL, &a, &error, "asu", 7, "shoulders", "arms", "back", "seat", "calves", "feet",
                  "feet", 5);
        expect_invalid(r, &error, "at most 6 zones");
        r = parse(bus_parse_set_air, NULL, &a, &error, "asu", 2, "back", "back", 1);
        expect_invalid(r, &error, "'back' given twice");
        r = parse(bus_parse_set_air, NULL, &a, &error, "asu", 1, "back", 6);
        expect_invalid(r, &error, "intensity");
}

static void test_conditions(void **state) {
        static const char *const known[] = { "pregnancy", "osteoporosis", NULL };
        sd_bus_error error = SD_BUS_ERROR_NULL;
        struct bus_args a;
        int r;

        r = parse(bus_parse_set_precautions, known, &a, &error, "as", 2, "osteoporosis", "pregnancy");
        assert_int_equal(r, 0);
        assert_string_equal(a.strv[0], "osteoporosis");
        assert_string_equal(a.strv[1], "pregnancy");
        assert_null(a.strv[2]);
        bus_args_done(&a);
        r = parse(bus_parse_set_precautions, known, &a, &error, "as", 3, "osteoporosis", "pregnancy", "pregnancy");
        bus_args_done(&a);
        expect_invalid(r, &error, "at most 2 conditions");
        r = parse(bus_parse_set_precautions, known, &a, &error, "as", 2, "pregnancy", "pregnancy");
        bus_args_done(&a);
        expect_invalid(r, &error, "'pregnancy' given twice");
        r = parse(bus_parse_set_precautions, known, &a, &error, "as", 1, "gout");
        bus_args_done(&a);
        expect_invalid(r, &error, "unknown condition 'gout'");
        r = parse(bus_parse_set_precautions, NULL, &a, &error, "as", 0);
        assert_int_equal(r, 0);
        bus_args_done(&a);
}

static void test_options_and_strings(void **state) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char at[BUS_NAME_MAX + 2];
        struct bus_args a;
        int r;

        r = parse(bus_parse_start, NULL, &a, &error, "sa{sv}", "demo", 4, "intensity", "u", 5, "duration", "u", 3600,
                  "scan", "b", 0, "heat", "b", 0);
        assert_int_equal(r, 0);
        assert_int_equal(a.options.intensity, 5);
        assert_int_equal(a.options.duration_s, 3600);
        assert_int_equal(a.options.scan, 0);
        assert_false(a.options.heat);
        r = parse(bus_parse_start, NULL, &a, &error, "sa{sv}", "demo", 2, "heat", "b", 0, "heat", "b", 1);
        expect_invalid(r, &error, "'heat' given twice");
        r = parse(bus_parse_start, NULL, &a, &error, "sa{sv}", "demo", 1, "colour", "s", "red");
        expect_invalid(r, &error, "unknown option 'colour'");
        r = parse(bus_parse_start, NULL, &a, &error, "sa{sv}", "demo", 1, "scan", "u", 1);
        expect_invalid(r, &error, "'scan' must be of type b");

        memset(at, 'x', BUS_NAME_MAX);
        at[BUS_NAME_MAX] = '\0';
        r = parse(bus_parse_get_program, NULL, &a, &error, "s", at);
        assert_int_equal(r, 0);
        at[BUS_NAME_MAX] = 'x';
        at[BUS_NAME_MAX + 1] = '\0';
        r = parse(bus_parse_get_program, NULL, &a, &error, "s", at);
        expect_invalid(r, &error, "'id'");
}

static void test_manual_technique(void **state) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        struct bus_args a;

        assert_int_equal(parse(bus_parse_start_manual, NULL, &a, &error, "ssa{sv}", "knead+tap", "point", 0), 0);
        assert_int_equal(a.u[0], 3);
        expect_invalid(parse(bus_parse_start_manual, NULL, &a, &error, "ssa{sv}", "none", "full", 0), &error,
                       "technique must be one of knead knead-reverse tap knock shiatsu clap roll knead+tap, not 'none'");
        expect_invalid(parse(bus_parse_start_manual, NULL, &a, &error, "ssa{sv}", "stroke", "full", 0), &error,
                       "not 'stroke'");
        expect_invalid(parse(bus_parse_start_manual, NULL, &a, &error, "ssa{sv}", "knead", "left", 0), &error,
                       "not 'left'");
}

static void test_upload_limit(void **state) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *text = malloc(BUS_UPLOAD_MAX + 2);
        struct bus_args a;
        int r;

        assert_non_null(text);
        memset(text, '#', BUS_UPLOAD_MAX + 1);
        text[BUS_UPLOAD_MAX] = '\0';
        r = parse(bus_parse_upload, NULL, &a, &error, "ss", "x.ini", text);
        assert_int_equal(r, 0);
        text[BUS_UPLOAD_MAX] = '#';
        text[BUS_UPLOAD_MAX + 1] = '\0';
        r = parse(bus_parse_upload, NULL, &a, &error, "ss", "x.ini", text);
        expect_invalid(r, &error, "contents");
        memset(text, 'x', BUS_FILENAME_MAX + 1);
        text[BUS_FILENAME_MAX + 1] = '\0';
        r = parse(bus_parse_upload, NULL, &a, &error, "ss", text, "");
        expect_invalid(r, &error, "'filename'");
}

static void test_list_max(void **state) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        struct bus_args a;

        assert_int_equal(parse(bus_parse_list_max, NULL, &a, &error, "u", 0), 0);
        assert_int_equal(a.u[0], BUS_LIST_DEFAULT);
        assert_int_equal(parse(bus_parse_list_max, NULL, &a, &error, "u", BUS_LIST_MAX), 0);
        expect_invalid(parse(bus_parse_list_max, NULL, &a, &error, "u", BUS_LIST_MAX + 1), &error, "max");
}

/* Posture.Move, the leg rollers, Service.SimSetOccupant: each argument bounded and named. */
static void test_posture(void **state) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        struct bus_args a;

        assert_int_equal(parse(bus_parse_posture_move, NULL, &a, &error, "siu", "legrest_lift", -1, POSTURE_LEASE_MAX_MS), 0);
        assert_int_equal(a.u[0], CHAIR_AXIS_LEGREST_LIFT);
        assert_int_equal(a.i, -1);
        assert_int_equal(a.u[1], POSTURE_LEASE_MAX_MS);
        /* Released: any lease. */
        assert_int_equal(parse(bus_parse_posture_move, NULL, &a, &error, "siu", "recline", 0, 0), 0);
        expect_invalid(parse(bus_parse_posture_move, NULL, &a, &error, "siu", "tail", 1, 500), &error,
                       "axis must be one of recline, legrest_lift, legrest_extend, seat_slide, not 'tail'");
        expect_invalid(parse(bus_parse_posture_move, NULL, &a, &error, "siu", "recline", 2, 500), &error, "direction");
        expect_invalid(parse(bus_parse_posture_move, NULL, &a, &error, "siu", "recline", 1, POSTURE_LEASE_MIN_MS - 1),
                       &error, "lease_ms must be 50-1000");
        expect_invalid(parse(bus_parse_posture_move, NULL, &a, &error, "siu", "recline", -1, POSTURE_LEASE_MAX_MS + 1),
                       &error, "lease_ms");
        assert_int_equal(parse(bus_parse_foot_rollers, NULL, &a, &error, "i", -100), 0);
        assert_int_equal(a.i, -100);
        expect_invalid(parse(bus_parse_foot_rollers, NULL, &a, &error, "i", 101), &error, "percent must be -100..100");
        assert_int_equal(parse(bus_parse_calf_knead, NULL, &a, &error, "i", 100), 0);
        expect_invalid(parse(bus_parse_calf_knead, NULL, &a, &error, "i", -1), &error, "percent must be 0..100");
        assert_int_equal(parse(bus_parse_sim_set_occupant, NULL, &a, &error, "bub", 1, BUS_LEG_MM_MAX, 0), 0);
        assert_true(a.b && a.i == BUS_LEG_MM_MAX && a.u[0] == 0);
        expect_invalid(parse(bus_parse_sim_set_occupant, NULL, &a, &error, "bub", 1, 0, 1), &error, "leg_mm");
}

static void test_people(void **state) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char name[PERSON_NAME_MAX + 2];
        struct bus_args a;

        /* Names: 1-32 bytes of UTF-8, no control characters. */
        memset(name, 'x', PERSON_NAME_MAX);
        name[PERSON_NAME_MAX] = '\0';
        assert_int_equal(parse(bus_parse_person_name, NULL, &a, &error, "s", name), 0);
        name[PERSON_NAME_MAX] = 'x';
        name[PERSON_NAME_MAX + 1] = '\0';
        expect_invalid(parse(bus_parse_person_name, NULL, &a, &error, "s", name), &error, "'name' is longer than 32");
        expect_invalid(parse(bus_parse_person_name, NULL, &a, &error, "s", ""), &error, "name must not be empty");
        expect_invalid(parse(bus_parse_person_name, NULL, &a, &error, "s", "a\x7f"), &error, "control");
        expect_invalid(parse(bus_parse_person_confirm, NULL, &a, &error, "s", "a\nb"), &error, "confirm_name");
        assert_int_equal(parse(bus_parse_person_name, NULL, &a, &error, "s", "Zoë"), 0);
        assert_int_equal(parse(bus_parse_person_path, NULL, &a, &error, "o", CHAIR_PEOPLE_PATH "/3"), 0);

        /* Caps and the person's timer. */
        assert_int_equal(parse(bus_parse_set_caps, NULL, &a, &error, "uu", 1, 0), 0);
        assert_int_equal(parse(bus_parse_set_caps, NULL, &a, &error, "uu", 5, 3), 0);
        expect_invalid(parse(bus_parse_set_caps, NULL, &a, &error, "uu", 0, 3), &error, "intensity_cap");
        expect_invalid(parse(bus_parse_set_caps, NULL, &a, &error, "uu", 3, 4), &error, "heat_cap");
        assert_int_equal(parse(bus_parse_person_timer, NULL, &a, &error, "u", 0), 0);
        assert_int_equal(parse(bus_parse_person_timer, NULL, &a, &error, "u", 30), 0);
        expect_invalid(parse(bus_parse_person_timer, NULL, &a, &error, "u", 25), &error, "minutes");

        /* Assess: each area of the table once, 0-10; the goal from its table. */
        assert_int_equal(parse(bus_parse_assess, NULL, &a, &error, "a{su}us", 2, "lower-back", 10, "neck", 0, 4,
                               "recovery"), 0);
        assert_int_equal(a.areas[PAIN_LOWER_BACK], 10);
        assert_int_equal(a.areas[PAIN_NECK], 0);
        assert_int_equal(a.areas[PAIN_FEET], HISTORY_NOT_RATED);
        assert_true(a.any_area);
        assert_int_equal(a.u[0], 4);
        assert_int_equal(a.u[1], GOAL_RECOVERY);
        assert_int_equal(parse(bus_parse_assess, NULL, &a, &error, "a{su}us", 0, 4, "relief"), 0);
        assert_false(a.any_area);
        expect_invalid(parse(bus_parse_assess, NULL, &a, &error, "a{su}us", 2, "neck", 1, "neck", 2, 4, "relief"),
                       &error, "'neck' given twice");
        expect_invalid(parse(bus_parse_assess, NULL, &a, &error, "a{su}us", 1, "elbow", 1, 4, "relief"), &error,
                       "unknown area 'elbow' (neck shoulders upper-back lower-back hips calves feet)");
        expect_invalid(parse(bus_parse_assess, NULL, &a, &error, "a{su}us", 1, "hips", 11, 4, "relief"), &error,
                       "pain_by_area");
        expect_invalid(parse(bus_parse_assess, NULL, &a, &error, "a{su}us", 0, 11, "relief"), &error, "pain_now");
        expect_invalid(parse(bus_parse_assess, NULL, &a, &error, "a{su}us", 0, 1, "fun"), &error,
                       "goal must be one of relief recovery relaxation mobility, not 'fun'");
        expect_invalid(parse(bus_parse_assess, NULL, &a, &error, "a{su}us", 8, "neck", 1, "shoulders", 1, "upper-back",
                             1, "lower-back", 1, "hips", 1, "calves", 1, "feet", 1, "neck", 1, 1, "relief"),
                       &error, "at most 7 areas");

        /* RateSession of a person, GetSummary, and the option focus. */
        assert_int_equal(parse(bus_parse_person_rate, NULL, &a, &error, "tuua{su}", (uint64_t) 7, 3, 1, 1, "feet", 2), 0);
        assert_int_equal(a.areas[PAIN_FEET], 2);
        expect_invalid(parse(bus_parse_person_rate, NULL, &a, &error, "tuua{su}", (uint64_t) 7, 3, 1, 1, "feet", 12),
                       &error, "area_after");
        assert_int_equal(parse(bus_parse_trend_n, NULL, &a, &error, "u", BUS_TREND_N_MAX), 0);
        expect_invalid(parse(bus_parse_trend_n, NULL, &a, &error, "u", BUS_TREND_N_MAX + 1), &error, "trend_n");
        assert_int_equal(parse(bus_parse_start, NULL, &a, &error, "sa{sv}", "demo", 1, "focus", "b", 1), 0);
        assert_int_equal(a.focus, 1);
        expect_invalid(parse(bus_parse_start, NULL, &a, &error, "sa{sv}", "demo", 1, "focus", "u", 1), &error,
                       "'focus' must be of type b");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_utf8_agrees_with_sd_bus),
                cmocka_unit_test(test_utf8_safe_fits),
                cmocka_unit_test(test_air_zones),
                cmocka_unit_test(test_conditions),
                cmocka_unit_test(test_options_and_strings),
                cmocka_unit_test(test_manual_technique),
                cmocka_unit_test(test_upload_limit),
                cmocka_unit_test(test_list_max),
                cmocka_unit_test(test_people),
                cmocka_unit_test(test_posture),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
