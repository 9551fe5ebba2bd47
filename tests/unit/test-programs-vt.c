/* SPDX-License-Identifier: MIT */
/* Every shipped program at every intensity, and at the panel's slowest and fastest speed, run
 * in virtual time through the real planner and scheduler on the shared chair physics
 * (daemon/vt-chair.h): no output beyond its maximum on-time, every travel within its
 * expected time plus the map's margin, every sweep to both ends of its range. Prints, per
 * program, its planned length, the share of time the roller moves and the longest travel. */
#include <dirent.h>
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
#include "vt-chair.h"

static struct program *load(const char *file) {
        const char *src = getenv("MCD_SOURCE_DIR");
        char path[600];
        struct ini_errors e = {};
        struct program *p = NULL;

        snprintf(path, sizeof path, "%s/profiles/programs/%s", src ? src : ".", file);
        if (profile_load_file(path, &p, &e) < 0)
                print_error("%s\n", e.text);
        assert_non_null(p);
        return p;
}

static void expect_healthy(const struct program *p, const struct vt_options *o, struct vt_record *r) {
        char buf[256];

        assert_int_equal(vt_run_program(p, o, r), 0);
        if (r->n_faults || !r->settled)
                print_error("%s intensity %u speed %d %%: %s%s\n", p->id, o->intensity, o->speed_pct ? o->speed_pct : 100,
                            vt_first_fault(r, buf, sizeof buf), r->settled ? "" : " (not settled)");
        assert_int_equal(r->n_faults, 0);
        assert_true(r->settled);
        /* The last line of defence never came close: every travel well inside 42 s. */
        assert_true(r->longest_run_ms[CHAIR_OUT_TRAVEL_MOTOR] <
                    chair_output_info(CHAIR_OUT_TRAVEL_MOTOR)->max_on_ms);
}

static void test_every_shipped_program(void **state) {
        const char *src = getenv("MCD_SOURCE_DIR");
        char dir[400];
        struct dirent **names;
        int n;
        unsigned programs = 0;

        snprintf(dir, sizeof dir, "%s/profiles/programs", src ? src : ".");
        n = scandir(dir, &names, NULL, alphasort);
        assert_true(n > 0);
        printf("# %-20s %10s %8s %10s %12s %6s\n", "program", "planned", "moving", "longest", "both ends", "runs");
        for (int i = 0; i < n; i++) {
                size_t len = strlen(names[i]->d_name);
                if (len > 4 && strcmp(names[i]->d_name + len - 4, ".ini") == 0) {
                        struct program *p = load(names[i]->d_name);
                        struct vt_record r, def = {};
                        uint64_t longest = 0;

                        for (uint32_t intensity = 1; intensity <= 5; intensity++) {
                                expect_healthy(p, &(struct vt_options) { .intensity = intensity }, &r);
                                longest = MAX(longest, r.longest_run_ms[CHAIR_OUT_TRAVEL_MOTOR]);
                                if (intensity == p->intensity)
                                        def = r;
                        }
                        /* The person may turn the speed down or up at any time. */
                        expect_healthy(p, &(struct vt_options) { .speed_pct = 60 }, &r);
                        longest = MAX(longest, r.longest_run_ms[CHAIR_OUT_TRAVEL_MOTOR]);
                        expect_healthy(p, &(struct vt_options) { .speed_pct = 140 }, &r);
                        /* Maps with the least and the most margin and floor run every program. */
                        expect_healthy(p, &(struct vt_options) { .travel_margin_pct = 5, .travel_timeout_ms = 5000 }, &r);
                        expect_healthy(p, &(struct vt_options) { .travel_margin_pct = 100, .travel_timeout_ms = 60000,
                                                                 .speed_pct = 60 }, &r);
                        longest = MAX(longest, r.longest_run_ms[CHAIR_OUT_TRAVEL_MOTOR]);
                        printf("# %-20s %8u s %7.1f%% %8.1f s %6u of %-3u %6u   (longest at any setting %.1f s)\n",
                               p->id, def.planned_ms / 1000, 100.0 * (double) def.moving_ms / (double) def.planned_ms,
                               (double) def.longest_run_ms[CHAIR_OUT_TRAVEL_MOTOR] / 1000.0, def.sweeps_both_ends,
                               def.sweeps, def.travel_runs, (double) longest / 1000.0);
                        free(p);
                        programs++;
                }
                free(names[i]);
        }
        free(names);
        assert_true(programs >= 9);
}

/* A roller that creeps is caught by travel-timeout, long before the travel motor's maximum
 * on-time would have been reached. */
static void test_creeping_roller_is_travel_timeout(void **state) {
        struct program *p = load("swedish.ini");
        struct vt_record r;

        assert_int_equal(vt_run_program(p, &(struct vt_options) { .creep_at_ms = 60000 }, &r), 0);
        assert_true(r.n_faults >= 1);
        assert_string_equal(r.faults[0].code, "travel-timeout");
        assert_true(r.faults[0].at_ms > 60000);
        /* Named by the step running then, for `chairctl profile check` to give its FILE:LINE. */
        assert_true(r.faults[0].step >= 0 && (size_t) r.faults[0].step < p->n_steps);
        assert_true(r.longest_run_ms[CHAIR_OUT_TRAVEL_MOTOR] < chair_output_info(CHAIR_OUT_TRAVEL_MOTOR)->max_on_ms);
        free(p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_shipped_program),
                cmocka_unit_test(test_creeping_roller_is_travel_timeout),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
