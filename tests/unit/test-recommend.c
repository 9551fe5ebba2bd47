/* SPDX-License-Identifier: MIT */
/* The recommendation (daemon/recommend.h, docs/people.md "Recommendation") on the shipped
 * programs with fixed assessments and histories: the areas and their pain, the goal, past
 * outcomes raising or lowering a program with the numbers in its reason, the conditions
 * removing what they exclude (and only that), nothing at all with a must-not-use condition or
 * unreadable conditions, ties by id, the same answer for the same input in any order; the
 * worked example of docs/people.md to the point; the person's own intensity cap named where it
 * caps; and the area table against every area word the shipped programs use. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "macro.h"
#include "profile.h"
#include "recommend.h"

#define MAX_SHIPPED 32

struct shipped_entry {
        struct program *program;
        const char *areas[PROFILE_MAX_LIST + 1];
        const char *excluded_by[PROFILE_MAX_LIST + 1];
};

static struct shipped_entry shipped[MAX_SHIPPED];
static struct program_summary catalog[MAX_SHIPPED];
static size_t n_catalog;

static int cmp_entries(const void *a, const void *b) {
        return strcmp(((const struct shipped_entry *) a)->program->id, ((const struct shipped_entry *) b)->program->id);
}

/* Every shipped program as the library summarizes it (program-library.c's summarize()). */
static int setup(void **state) {
        const char *src = getenv("MCD_SOURCE_DIR");
        char dir[400];
        struct dirent *de;
        DIR *d;

        snprintf(dir, sizeof dir, "%s/profiles/programs", src ? src : ".");
        d = opendir(dir);
        if (!d)
                return -1;
        while ((de = readdir(d)) && n_catalog < MAX_SHIPPED) {
                char path[700];
                struct ini_errors e = {};
                size_t len = strlen(de->d_name);
                struct shipped_entry *s = &shipped[n_catalog];

                if (len < 5 || strcmp(de->d_name + len - 4, ".ini") != 0)
                        continue;
                snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
                if (profile_load_file(path, &s->program, &e) < 0) {
                        print_error("%s\n", e.text);
                        closedir(d);
                        return -1;
                }
                n_catalog++;
        }
        closedir(d);
        qsort(shipped, n_catalog, sizeof shipped[0], cmp_entries);
        for (size_t i = 0; i < n_catalog; i++) {
                struct shipped_entry *s = &shipped[i];
                size_t k;
                for (k = 0; k < s->program->n_areas; k++)
                        s->areas[k] = s->program->areas[k];
                s->areas[k] = NULL;
                for (k = 0; k < s->program->n_excluded_by; k++)
                        s->excluded_by[k] = s->program->excluded_by[k];
                s->excluded_by[k] = NULL;
                catalog[i] = (struct program_summary) {
                        .id = s->program->id, .name = s->program->name, .description = s->program->description,
                        .duration_s = s->program->duration_s, .intensity = s->program->intensity,
                        .areas = s->areas, .precautions = s->excluded_by,
                };
        }
        return n_catalog >= 9 ? 0 : -1;
}

static int teardown(void **state) {
        for (size_t i = 0; i < n_catalog; i++)
                free(shipped[i].program);
        return 0;
}

static struct assessment assess(enum massage_goal goal, ...) {
        struct assessment a = { .time_usec = 1700000000000000ULL, .pain_now = 5, .goal = goal };
        va_list ap;
        int area;

        for (unsigned i = 0; i < _PAIN_AREA_MAX; i++)
                a.pain[i] = PAIN_NOT_RATED;
        va_start(ap, goal);
        while ((area = va_arg(ap, int)) >= 0)
                a.pain[area] = (uint16_t) va_arg(ap, int);
        va_end(ap);
        return a;
}

static struct history_entry rated(uint64_t id, const char *program, unsigned before, unsigned after) {
        struct history_entry e = { .id = id, .start_usec = 1600000000000000ULL + id * 86400000000ULL,
                                   .duration_s = 900, .intensity = 3, .pain_before = (uint16_t) before,
                                   .pain_after = (uint16_t) after };
        snprintf(e.program, sizeof e.program, "%s", program);
        snprintf(e.reason, sizeof e.reason, "completed");
        for (unsigned i = 0; i < HISTORY_AREAS; i++)
                e.area_before[i] = e.area_after[i] = HISTORY_NOT_RATED;
        return e;
}

static struct recommend_input input(const struct assessment *a, const char *const *conditions,
                                    const struct history_entry *h, size_t n_h) {
        return (struct recommend_input) { .programs = catalog, .n_programs = n_catalog, .assessment = a,
                                          .conditions = conditions, .history = h, .n_history = n_h };
}

static int rank(const struct recommend_input *in, struct recommendation *ret) {
        int n = recommend_programs(in, ret, RECOMMEND_MAX);
        assert_true(n >= 0);
        for (int i = 0; i < n; i++)
                assert_true(ret[i].reason[0]);
        return n;
}

static bool has(const struct recommendation *r, int n, const char *id) {
        for (int i = 0; i < n; i++)
                if (strcmp(r[i].program, id) == 0)
                        return true;
        return false;
}

/* The entry of ID, which must be there. */
static const struct recommendation *find(const struct recommendation *r, int n, const char *id) {
        static const struct recommendation missing = { "(missing)", INT32_MIN, "(missing)" };
        for (int i = 0; i < n; i++)
                if (strcmp(r[i].program, id) == 0)
                        return &r[i];
        print_error("%s is not recommended\n", id);
        fail();
        return &missing;
}

static void dump(const struct recommendation *r, int n) {
        for (int i = 0; i < n; i++)
                print_message("  %-20s %4d  %s\n", r[i].program, r[i].score, r[i].reason);
}

static void test_lower_back_first(void **state) {
        struct assessment a = assess(GOAL_RELIEF, PAIN_LOWER_BACK, 7, -1);
        struct recommend_input in = input(&a, NULL, NULL, 0);
        struct recommendation r[RECOMMEND_MAX];
        int n = rank(&in, r);

        dump(r, n);
        assert_int_equal(n, (int) n_catalog);
        assert_string_equal(r[0].program, "lower-back");
        assert_non_null(strstr(r[0].reason, "targets lower back (pain 7)"));
        assert_non_null(strstr(r[0].reason, "for relief"));
        /* A program on none of the assessed areas says so and ranks below those on them. */
        assert_non_null(strstr(find(r, n, "neck-shoulders")->reason, "does not work on the areas you assessed"));
        assert_true(find(r, n, "neck-shoulders")->score < find(r, n, "swedish")->score);
}

static void test_neck_first(void **state) {
        struct assessment a = assess(GOAL_RELIEF, PAIN_NECK, 6, PAIN_SHOULDERS, 3, -1);
        struct recommend_input in = input(&a, NULL, NULL, 0);
        struct recommendation r[RECOMMEND_MAX];
        int n = rank(&in, r);

        dump(r, n);
        assert_string_equal(r[0].program, "neck-shoulders");
        assert_non_null(strstr(r[0].reason, "targets neck (pain 6), shoulders (pain 3)"));
        assert_true(find(r, n, "lower-back")->score < 0);
}

static void test_goal_fit(void **state) {
        struct assessment a = assess(GOAL_RELAXATION, -1);
        struct recommend_input in = input(&a, NULL, NULL, 0);
        struct recommendation r[RECOMMEND_MAX];
        int n = rank(&in, r);

        dump(r, n);
        /* No areas assessed: the goal alone decides, gentle before swedish by id. */
        assert_string_equal(r[0].program, "gentle");
        assert_string_equal(r[1].program, "swedish");
        assert_int_equal(r[0].score, r[1].score);
        assert_non_null(strstr(r[0].reason, "for relaxation"));
        a.goal = GOAL_RECOVERY;
        n = rank(&in, r);
        assert_string_equal(r[0].program, "sports");
        a.goal = GOAL_MOBILITY;
        n = rank(&in, r);
        assert_string_equal(r[0].program, "myofascial-release");
        assert_non_null(strstr(r[0].reason, "for mobility"));
}

static void test_good_outcomes_raise(void **state) {
        struct assessment a = assess(GOAL_RELIEF, PAIN_LOWER_BACK, 7, -1);
        struct history_entry h[] = {
                rated(1, "swedish", 6, 2), rated(2, "lower-back", 5, 5), rated(3, "swedish", 6, 2),
                rated(4, "swedish", 6, 2), rated(5, "gentle", 4, 4),
                /* Older than the last three: does not count. */
                rated(0, "swedish", 2, 9),
        };
        struct history_entry unrated = rated(6, "swedish", 6, 2);
        struct recommend_input plain = input(&a, NULL, NULL, 0), in = input(&a, NULL, h, ARRAY_SIZE(h));
        struct recommendation before[RECOMMEND_MAX], after[RECOMMEND_MAX];
        int nb = rank(&plain, before), na = rank(&in, after);

        dump(after, na);
        assert_int_equal(nb, na);
        assert_true(find(after, na, "swedish")->score > find(before, nb, "swedish")->score);
        assert_non_null(strstr(find(after, na, "swedish")->reason, "you rated it 6 -> 2 the last 3 times"));
        /* 4 points of relief over three sessions: 8 points each, past demo (its twin on areas). */
        assert_int_equal(find(after, na, "swedish")->score - find(before, nb, "swedish")->score, 32);
        assert_int_equal(find(before, nb, "swedish")->score, find(before, nb, "demo")->score);
        assert_true(find(after, na, "swedish")->score > find(after, na, "demo")->score);
        /* No change: said, no points. */
        assert_non_null(strstr(find(after, na, "lower-back")->reason, "you rated it 5 -> 5 the last time"));
        assert_int_equal(find(after, na, "lower-back")->score, find(before, nb, "lower-back")->score);

        /* A session without a rating does not count. */
        unrated.pain_after = HISTORY_NOT_RATED;
        h[5] = unrated;
        in = input(&a, NULL, h, ARRAY_SIZE(h));
        na = rank(&in, after);
        assert_non_null(strstr(find(after, na, "swedish")->reason, "6 -> 2 the last 3 times"));
}

static void test_bad_outcomes_lower(void **state) {
        struct assessment a = assess(GOAL_RELIEF, PAIN_LOWER_BACK, 7, -1);
        struct history_entry h[] = { rated(1, "lower-back", 3, 6), rated(2, "lower-back", 4, 6),
                                     rated(3, "lower-back", 3, 7) };
        struct recommend_input plain = input(&a, NULL, NULL, 0), in = input(&a, NULL, h, ARRAY_SIZE(h));
        struct recommendation before[RECOMMEND_MAX], after[RECOMMEND_MAX];
        int nb = rank(&plain, before), na = rank(&in, after);

        dump(after, na);
        assert_string_equal(before[0].program, "lower-back");
        assert_string_not_equal(after[0].program, "lower-back");
        /* 3.3 -> 6.3: 3 points worse, -24, and the penalty for worse, -20. */
        assert_int_equal(find(after, na, "lower-back")->score - find(before, nb, "lower-back")->score, -44);
        assert_non_null(strstr(find(after, na, "lower-back")->reason, "you rated it 3.3 -> 6.3 the last 3 times (worse)"));
}

static void test_conditions_exclude(void **state) {
        struct assessment a = assess(GOAL_RELIEF, PAIN_LOWER_BACK, 7, -1);
        const char *const osteoporosis[] = { "osteoporosis", NULL };
        const char *const pregnancy[] = { "pregnancy", NULL };
        const char *const varicose[] = { "varicose-veins", NULL };
        struct recommend_input in = input(&a, osteoporosis, NULL, 0);
        struct recommendation r[RECOMMEND_MAX];
        int n = rank(&in, r);

        dump(r, n);
        /* Every program whose excluded_by names the condition is gone, every other stays. */
        for (size_t i = 0; i < n_catalog; i++) {
                bool excluded = false;
                for (const char *const *x = catalog[i].precautions; *x; x++)
                        excluded |= strcmp(*x, "osteoporosis") == 0;
                assert_true(excluded == !has(r, n, catalog[i].id));
        }
        assert_false(has(r, n, "lower-back"));
        assert_false(has(r, n, "deep-tissue"));
        /* Capped, not removed: the reason says so. */
        assert_true(has(r, n, "swedish"));
        assert_non_null(strstr(find(r, n, "myofascial-release")->reason,
                               "intensity at most 2 for your condition 'osteoporosis'"));

        in = input(&a, pregnancy, NULL, 0);
        n = rank(&in, r);
        assert_false(has(r, n, "lower-back"));
        assert_false(has(r, n, "sports"));
        assert_non_null(strstr(find(r, n, "neck-shoulders")->reason, "intensity at most 2 for your condition 'pregnancy'"));
        assert_true(has(r, n, "swedish"));

        /* A condition that only changes the air removes nothing. */
        in = input(&a, varicose, NULL, 0);
        assert_int_equal(rank(&in, r), (int) n_catalog);
}

static void test_nothing_when_not_to_use(void **state) {
        struct assessment a = assess(GOAL_RELIEF, PAIN_LOWER_BACK, 7, -1);
        const char *const fever[] = { "osteoporosis", "fever", NULL };
        struct recommend_input in = input(&a, fever, NULL, 0);
        struct recommendation r[RECOMMEND_MAX];

        assert_int_equal(recommend_programs(&in, r, RECOMMEND_MAX), 0);
        in = input(&a, NULL, NULL, 0);
        in.conditions_unreadable = true;
        assert_int_equal(recommend_programs(&in, r, RECOMMEND_MAX), 0);
        /* Bad arguments are refused, MAX bounds what is stored. */
        assert_int_equal(recommend_programs(NULL, r, 1), -EINVAL);
        in = input(&a, NULL, NULL, 0);
        assert_int_equal(recommend_programs(&in, NULL, 1), -EINVAL);
        assert_int_equal(recommend_programs(&in, r, 2), 2);
        assert_string_equal(r[0].program, "lower-back");
}

static void test_no_assessment(void **state) {
        struct recommend_input in = input(NULL, NULL, NULL, 0);
        struct recommendation r[RECOMMEND_MAX];
        struct assessment none = { 0 };
        int n = rank(&in, r);

        /* Nothing to go by: every program at 0, by id. */
        assert_int_equal(n, (int) n_catalog);
        for (int i = 0; i < n; i++) {
                assert_int_equal(r[i].score, 0);
                assert_string_equal(r[i].program, catalog[i].id);
                assert_non_null(strstr(r[i].reason, "no assessment recorded yet"));
        }
        in.assessment = &none;
        assert_int_equal(rank(&in, r), n);
        assert_int_equal(r[0].score, 0);
}

static void test_ties_by_id_and_deterministic(void **state) {
        struct assessment a = assess(GOAL_RELIEF, PAIN_UPPER_BACK, 5, PAIN_CALVES, 4, -1);
        struct history_entry h[] = { rated(1, "swedish", 6, 2), rated(2, "sports", 5, 3), rated(3, "swedish", 6, 3),
                                     rated(4, "gentle", 4, 6), rated(5, "sports", 5, 1) };
        struct history_entry reversed[ARRAY_SIZE(h)];
        const char *const areas[] = { "back", NULL };
        struct program_summary twins[] = {
                { .id = "zeta", .intensity = 3, .areas = areas },
                { .id = "alpha", .intensity = 3, .areas = areas },
                { .id = "mid", .intensity = 3, .areas = areas },
        };
        struct recommend_input in = input(&a, NULL, h, ARRAY_SIZE(h)), rin;
        struct recommendation r1[RECOMMEND_MAX], r2[RECOMMEND_MAX];
        int n1, n2;

        for (size_t i = 0; i < ARRAY_SIZE(h); i++)
                reversed[i] = h[ARRAY_SIZE(h) - 1 - i];
        rin = input(&a, NULL, reversed, ARRAY_SIZE(reversed));
        n1 = rank(&in, r1);
        n2 = rank(&rin, r2);
        assert_int_equal(n1, n2);
        for (int i = 0; i < n1; i++) {
                assert_string_equal(r1[i].program, r2[i].program);
                assert_int_equal(r1[i].score, r2[i].score);
                assert_string_equal(r1[i].reason, r2[i].reason);
                if (i)
                        assert_true(r1[i - 1].score > r1[i].score ||
                                    (r1[i - 1].score == r1[i].score && strcmp(r1[i - 1].program, r1[i].program) < 0));
        }
        in = (struct recommend_input) { .programs = twins, .n_programs = ARRAY_SIZE(twins), .assessment = &a };
        assert_int_equal(rank(&in, r1), 3);
        assert_string_equal(r1[0].program, "alpha");
        assert_string_equal(r1[1].program, "mid");
        assert_string_equal(r1[2].program, "zeta");
}

/* docs/people.md's worked example, to the point: lower back at 7, goal relief, no history; then
 * swedish rated 6 -> 2 three times, and lower-back about 3 -> 6 (test_bad_outcomes_lower's). */
static void test_worked_example(void **state) {
        static const struct {
                const char *id;
                int32_t score;
        } expected[] = {
                { "lower-back", 92 }, { "deep-tissue", 89 }, { "trigger-point", 89 }, { "gentle", 64 },
                { "myofascial-release", 61 }, { "stretch", 61 }, { "demo", 52 }, { "sports", 52 }, { "swedish", 52 },
                { "neck-shoulders", -9 },
        };
        struct assessment a = assess(GOAL_RELIEF, PAIN_LOWER_BACK, 7, -1);
        struct history_entry good[] = { rated(1, "swedish", 6, 2), rated(2, "swedish", 6, 2), rated(3, "swedish", 6, 2) };
        struct history_entry bad[] = { rated(1, "lower-back", 3, 6), rated(2, "lower-back", 4, 6),
                                       rated(3, "lower-back", 3, 7) };
        struct recommend_input in = input(&a, NULL, NULL, 0);
        struct recommendation r[RECOMMEND_MAX];
        int n = rank(&in, r);

        assert_int_equal(n, (int) ARRAY_SIZE(expected));
        for (size_t i = 0; i < ARRAY_SIZE(expected); i++) {
                assert_string_equal(r[i].program, expected[i].id);
                assert_int_equal(r[i].score, expected[i].score);
        }
        in = input(&a, NULL, good, ARRAY_SIZE(good));
        n = rank(&in, r);
        assert_int_equal(find(r, n, "swedish")->score, 84);
        assert_non_null(strstr(find(r, n, "swedish")->reason, "you rated it 6 -> 2 the last 3 times"));
        in = input(&a, NULL, bad, ARRAY_SIZE(bad));
        n = rank(&in, r);
        assert_int_equal(find(r, n, "lower-back")->score, 48);
        assert_string_equal(r[0].program, "deep-tissue");
}

/* The person's own intensity cap caps a program as a condition does, and says so; the lower of
 * a condition's cap and theirs is the one named; no cap of their own (5, or not capped): nothing. */
static void test_own_caps(void **state) {
        struct assessment a = assess(GOAL_RELIEF, PAIN_LOWER_BACK, 7, -1);
        const char *const osteoporosis[] = { "osteoporosis", NULL };
        struct recommend_input in = input(&a, NULL, NULL, 0);
        struct recommendation r[RECOMMEND_MAX];
        char want[80];
        int n;

        in.capped = true;
        in.intensity_cap = 1;
        in.heat_cap = 3;
        n = rank(&in, r);
        dump(r, n);
        /* A cap lowers; it removes nothing, and the scores stay. */
        assert_int_equal(n, (int) n_catalog);
        assert_int_equal(find(r, n, "lower-back")->score, 92);
        for (int i = 0; i < n; i++) {
                uint32_t intensity = 0;
                for (size_t k = 0; k < n_catalog; k++)
                        if (strcmp(catalog[k].id, r[i].program) == 0)
                                intensity = catalog[k].intensity;
                assert_true(intensity > 0);
                assert_true((intensity > 1) == (strstr(r[i].reason, "intensity at most 1 for your intensity cap (1)") != NULL));
                assert_null(strstr(r[i].reason, "your condition"));
        }
        in.intensity_cap = 5;
        n = rank(&in, r);
        for (int i = 0; i < n; i++)
                assert_null(strstr(r[i].reason, "intensity at most"));
        /* Below the condition's 2, theirs is named; above it, the condition's. */
        in = input(&a, osteoporosis, NULL, 0);
        in.capped = true;
        in.intensity_cap = 1;
        in.heat_cap = 3;
        n = rank(&in, r);
        assert_non_null(strstr(find(r, n, "myofascial-release")->reason, "intensity at most 1 for your intensity cap (1)"));
        in.intensity_cap = 4;
        n = rank(&in, r);
        snprintf(want, sizeof want, "intensity at most 2 for your condition 'osteoporosis'");
        assert_non_null(strstr(find(r, n, "myofascial-release")->reason, want));
        assert_null(strstr(find(r, n, "myofascial-release")->reason, "your intensity cap"));
        /* Not capped: the caps given are not the person's. */
        in = input(&a, NULL, NULL, 0);
        in.intensity_cap = 1;
        n = rank(&in, r);
        for (int i = 0; i < n; i++)
                assert_null(strstr(r[i].reason, "intensity at most"));
}

/* The area table knows every word the shipped programs use, and "full-body" is every area. */
static void test_area_table_covers_shipped(void **state) {
        const char *const full[] = { "full-body", NULL };
        const char *const back[] = { "back", NULL };
        unsigned words = 0;

        for (size_t i = 0; i < n_catalog; i++)
                for (const char *const *a = catalog[i].areas; *a; a++) {
                        const char *one[] = { *a, NULL };
                        if (!recommend_program_pain_areas(one))
                                print_error("%s: area '%s' is not in recommend.c's table\n", catalog[i].id, *a);
                        assert_true(recommend_program_pain_areas(one) != 0);
                        words++;
                }
        assert_true(words >= 20);
        assert_int_equal(recommend_program_pain_areas(full), (1u << _PAIN_AREA_MAX) - 1);
        assert_int_equal(recommend_program_pain_areas(back), (1u << PAIN_UPPER_BACK) | (1u << PAIN_LOWER_BACK));
        assert_int_equal(recommend_program_pain_areas(NULL), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lower_back_first),
                cmocka_unit_test(test_neck_first),
                cmocka_unit_test(test_goal_fit),
                cmocka_unit_test(test_good_outcomes_raise),
                cmocka_unit_test(test_bad_outcomes_lower),
                cmocka_unit_test(test_conditions_exclude),
                cmocka_unit_test(test_nothing_when_not_to_use),
                cmocka_unit_test(test_no_assessment),
                cmocka_unit_test(test_ties_by_id_and_deterministic),
                cmocka_unit_test(test_area_table_covers_shipped),
                cmocka_unit_test(test_worked_example),
                cmocka_unit_test(test_own_caps),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
