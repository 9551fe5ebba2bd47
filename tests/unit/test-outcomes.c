/* SPDX-License-Identifier: MIT */
/* The outcomes summary (daemon/outcomes.h) on fixed histories: means, trend, per area, the
 * programs' order, unrated sessions counted but not averaged, the empty history, the bounds. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "outcomes.h"

#define NR HISTORY_NOT_RATED
#define DAY (86400ULL * 1000000ULL)

static struct history_entry session(uint64_t id, const char *program, unsigned day, uint16_t before, uint16_t after) {
        struct history_entry e = {
                .id = id,
                .start_usec = 1700000000ULL * 1000000ULL + day * DAY,
                .duration_s = 900,
                .intensity = 3,
                .pain_before = before,
                .pain_after = after,
        };
        snprintf(e.program, sizeof e.program, "%s", program);
        snprintf(e.reason, sizeof e.reason, "completed");
        for (size_t a = 0; a < HISTORY_AREAS; a++)
                e.area_before[a] = e.area_after[a] = NR;
        return e;
}

static void assess(struct history_entry *e, enum pain_area a, uint16_t before, uint16_t after) {
        e->assessed = true;
        e->area_before[a] = before;
        e->area_after[a] = after;
}

static void test_empty(void **state) {
        struct outcome_summary s;
        (void) state;

        memset(&s, 0x5a, sizeof s);
        assert_int_equal(outcomes_summarize(NULL, 0, 0, &s), 0);
        assert_int_equal(s.all.sessions, 0);
        assert_int_equal(s.all.rated, 0);
        assert_true(s.all.mean_change == 0 && s.all.mean_before == 0 && s.all.mean_after == 0 && s.all.trend == 0);
        assert_int_equal(s.all.last_usec, 0);
        assert_int_equal(s.n_programs, 0);
        assert_int_equal(s.trend_n, OUTCOMES_TREND_N);
        for (size_t a = 0; a < _PAIN_AREA_MAX; a++)
                assert_int_equal(s.area[a].sessions, 0);
}

/* Unrated sessions count as sessions, never in a mean; an out-of-range value is not a rating. */
static void test_means_and_unrated(void **state) {
        struct history_entry h[] = {
                session(1, "swedish", 1, 8, 4),  session(2, "swedish", 2, 6, 3), session(3, "swedish", 3, NR, NR),
                session(4, "swedish", 4, 7, 7),  session(5, "swedish", 5, 5, NR), session(6, "swedish", 6, 11, 2),
        };
        struct outcome_summary s;
        (void) state;

        assert_int_equal(outcomes_summarize(h, ARRAY_SIZE(h), 0, &s), 0);
        assert_int_equal(s.all.sessions, 6);
        assert_int_equal(s.all.rated, 3);
        assert_true(s.all.mean_before == 21.0 / 3);
        assert_true(s.all.mean_after == 14.0 / 3);
        assert_true(s.all.mean_change == -7.0 / 3);
        assert_true(s.all.trend == 0); /* 3 rated: fewer than 2N */
        assert_int_equal(s.all.last_usec, h[5].start_usec);
        assert_int_equal(s.n_programs, 1);
        assert_string_equal(s.programs[0].program, "swedish");
        assert_int_equal(s.programs[0].stats.sessions, 6);
        assert_int_equal(s.programs[0].stats.rated, 3);
        assert_true(s.programs[0].stats.mean_change == -7.0 / 3);
        /* No assessment: no area has sessions. */
        for (size_t a = 0; a < _PAIN_AREA_MAX; a++)
                assert_int_equal(s.area[a].sessions, 0);
}

/* The last N rated against the N before them, in time order whatever the array's order;
 * unrated sessions in between do not count in the window. */
static void test_trend(void **state) {
        /* Changes in time order: -1 (day 1), -1 (3), -3 (4), -5 (6); unrated on days 2 and 5. */
        struct history_entry h[] = {
                session(6, "deep", 6, 7, 2), session(2, "deep", 2, NR, NR), session(1, "deep", 1, 6, 5),
                session(4, "deep", 4, 6, 3), session(5, "deep", 5, 4, NR), session(3, "deep", 3, 5, 4),
        };
        struct outcome_summary s;
        (void) state;

        assert_int_equal(outcomes_summarize(h, ARRAY_SIZE(h), 2, &s), 0);
        assert_int_equal(s.trend_n, 2);
        assert_int_equal(s.all.rated, 4);
        assert_true(s.all.trend == ((-3 + -5) - (-1 + -1)) / 2.0); /* -3: getting better */
        assert_true(s.all.mean_change == -10.0 / 4);
        assert_int_equal(s.all.last_usec, h[0].start_usec);

        /* N = 3 needs 6 rated: none. */
        assert_int_equal(outcomes_summarize(h, ARRAY_SIZE(h), 3, &s), 0);
        assert_true(s.all.trend == 0);

        /* Five rated, N = 2: the oldest is outside both windows (changes 0, +1, +1, -2, -2). */
        struct history_entry g[] = {
                session(1, "x", 1, 5, 5), session(2, "x", 2, 4, 5), session(3, "x", 3, 4, 5),
                session(4, "x", 4, 6, 4), session(5, "x", 5, 6, 4),
        };
        assert_int_equal(outcomes_summarize(g, ARRAY_SIZE(g), 2, &s), 0);
        assert_true(s.all.trend == ((-2 + -2) - (1 + 1)) / 2.0);
        assert_true(s.all.mean_change == -2.0 / 5);

        /* Same start time: the id orders them. */
        struct history_entry t[] = {
                session(4, "x", 1, 9, 1), session(3, "x", 1, 9, 1), session(2, "x", 1, 1, 1), session(1, "x", 1, 1, 1),
        };
        assert_int_equal(outcomes_summarize(t, ARRAY_SIZE(t), 2, &s), 0);
        assert_true(s.all.trend == ((-8 + -8) - 0) / 2.0);
}

static void test_areas(void **state) {
        struct history_entry h[] = {
                session(1, "neck-relief", 1, 7, 4), session(2, "neck-relief", 2, 6, 3), session(3, "swedish", 3, 5, 5),
                session(4, "neck-relief", 4, 6, NR),
        };
        struct outcome_summary s;
        (void) state;

        assess(&h[0], PAIN_NECK, 8, 4);
        assess(&h[0], PAIN_LOWER_BACK, 5, 5);
        assess(&h[1], PAIN_NECK, 6, 2);
        /* Named but not rated after: a session of the area, not averaged. */
        assess(&h[3], PAIN_NECK, 7, NR);
        /* Not assessed: the area values are ignored even when set. */
        h[2].area_before[PAIN_FEET] = 3;
        h[2].area_after[PAIN_FEET] = 1;

        assert_int_equal(outcomes_summarize(h, ARRAY_SIZE(h), 1, &s), 0);
        assert_int_equal(s.area[PAIN_NECK].sessions, 3);
        assert_int_equal(s.area[PAIN_NECK].rated, 2);
        assert_true(s.area[PAIN_NECK].mean_before == 7.0);
        assert_true(s.area[PAIN_NECK].mean_after == 3.0);
        assert_true(s.area[PAIN_NECK].mean_change == -4.0);
        assert_true(s.area[PAIN_NECK].trend == (-4.0) - (-4.0));
        assert_int_equal(s.area[PAIN_NECK].last_usec, h[3].start_usec);
        assert_int_equal(s.area[PAIN_LOWER_BACK].sessions, 1);
        assert_int_equal(s.area[PAIN_LOWER_BACK].rated, 1);
        assert_true(s.area[PAIN_LOWER_BACK].mean_change == 0);
        assert_int_equal(s.area[PAIN_FEET].sessions, 0);
        assert_int_equal(s.area[PAIN_SHOULDERS].sessions, 0);
        /* The overall series is the sessions' own pain, areas or not. */
        assert_int_equal(s.all.sessions, 4);
        assert_int_equal(s.all.rated, 3);
        assert_true(s.all.mean_change == -6.0 / 3);
}

/* Most sessions first, then the most recently used, then by id. */
static void test_program_order(void **state) {
        struct history_entry h[] = {
                session(1, "shiatsu", 1, 5, 4), session(2, "swedish", 2, 6, 3),   session(3, "sports", 3, NR, NR),
                session(4, "swedish", 4, 6, 2), session(5, "deep", 5, 8, 6),      session(6, "sports", 6, 5, 5),
                session(7, "swedish", 7, 7, 3), session(8, "recovery", 5, 4, 4), session(9, "alpha", 1, 4, 4),
        };
        static const char *const expect[] = { "swedish", "sports", "deep", "recovery", "alpha", "shiatsu" };
        struct outcome_summary s;
        (void) state;

        assert_int_equal(outcomes_summarize(h, ARRAY_SIZE(h), 0, &s), 0);
        assert_int_equal(s.n_programs, ARRAY_SIZE(expect));
        for (size_t i = 0; i < ARRAY_SIZE(expect); i++)
                assert_string_equal(s.programs[i].program, expect[i]);
        assert_int_equal(s.programs[0].stats.sessions, 3);
        assert_true(s.programs[0].stats.mean_before == 19.0 / 3);
        assert_true(s.programs[0].stats.mean_after == 8.0 / 3);
        assert_int_equal(s.programs[1].stats.sessions, 2);
        assert_int_equal(s.programs[1].stats.rated, 1);
        assert_true(s.programs[1].stats.mean_change == 0);
        assert_int_equal(s.programs[1].stats.last_usec, h[5].start_usec);
}

/* More programs than a summary keeps: the least used are left out. */
static void test_many_programs(void **state) {
        size_t n = OUTCOMES_PROGRAMS_MAX + 10 + 1;
        struct history_entry *h = calloc(n + 1, sizeof *h);
        struct outcome_summary s;
        char name[32];
        (void) state;

        assert_non_null(h);
        for (size_t i = 0; i < n; i++) {
                snprintf(name, sizeof name, "p%03zu", i);
                h[i] = session(i + 1, name, (unsigned) i, 5, 4);
        }
        /* p000 twice: first. */
        h[n] = session(n + 1, "p000", 0, 5, 3);
        assert_int_equal(outcomes_summarize(h, n + 1, 0, &s), 0);
        assert_int_equal(s.n_programs, OUTCOMES_PROGRAMS_MAX);
        assert_string_equal(s.programs[0].program, "p000");
        assert_int_equal(s.programs[0].stats.sessions, 2);
        /* Then the most recent first: p074, p073, ... */
        snprintf(name, sizeof name, "p%03zu", n - 1);
        assert_string_equal(s.programs[1].program, name);
        assert_int_equal(s.all.sessions, n + 1);
        free(h);
}

/* A program id that fills its field without a terminator is kept as a reader would. */
static void test_unterminated_program(void **state) {
        struct history_entry h[2] = { session(1, "", 1, 5, 4), session(2, "", 2, 5, 4) };
        struct outcome_summary s;
        (void) state;

        memset(h[0].program, 'a', sizeof h[0].program);
        memset(h[1].program, 'a', sizeof h[1].program);
        assert_int_equal(outcomes_summarize(h, 2, 0, &s), 0);
        assert_int_equal(s.n_programs, 1);
        assert_int_equal(strlen(s.programs[0].program), sizeof h[0].program - 1);
        assert_int_equal(s.programs[0].stats.sessions, 2);
}

static void test_bounds(void **state) {
        struct history_entry h[1] = { session(1, "x", 1, 5, 4) };
        struct outcome_summary s;
        (void) state;

        assert_int_equal(outcomes_summarize(h, 1, OUTCOMES_TREND_MAX + 1, &s), -EINVAL);
        assert_int_equal(outcomes_summarize(h, 1, OUTCOMES_TREND_MAX, &s), 0);
        assert_int_equal(outcomes_summarize(h, OUTCOMES_HISTORY_MAX + 1, 0, &s), -E2BIG);
        assert_int_equal(outcomes_summarize(NULL, 1, 0, &s), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty),         cmocka_unit_test(test_means_and_unrated),
                cmocka_unit_test(test_trend),         cmocka_unit_test(test_areas),
                cmocka_unit_test(test_program_order), cmocka_unit_test(test_many_programs),
                cmocka_unit_test(test_unterminated_program), cmocka_unit_test(test_bounds),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
