/* SPDX-License-Identifier: MIT */
/* The proof of issue 17 on the virtual-time chair (daemon/vt-chair.h): every shipped program x
 * intensity 1-5 x asked length (10, 20, 30 min and the default) x declared conditions (none,
 * and one from each class of effect in profiles/precautions.c) x both body sizes chairsim
 * models (a short and a tall shoulder). Each run ends completed with no fault, its planned
 * length within 30 s of what was asked, every sweep to both ends of its range where the step
 * is long enough for a stroke, no actuator beyond what the intensity and the conditions allow,
 * every output safe at the end. A condition that refuses the program refuses every run of it.
 * Prints, per program, the planned length for each asked length and the share of time the
 * roller moves. */
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
#include "precautions.h"
#include "profile.h"
#include "vt-chair.h"

#define FIT_TOLERANCE_MS 30000
#define MAX_CLASSES 32

/* chairsim's --shoulder range is 300..780, the waist 400 mm lower. */
static const struct body_scan bodies[] = { { 500, 100 }, { 760, 360 } };
static const uint32_t lengths_min[] = { 10, 20, 30, 0 };

/* One condition per distinct effect: the first of the table with that effect. */
static size_t precaution_classes(const char *ret[], size_t max) {
        size_t n_list, n = 0;
        const struct precaution *list = precaution_list(&n_list);

        for (size_t i = 0; i < n_list; i++) {
                bool seen = false;
                for (size_t j = 0; j < i && !seen; j++)
                        seen = list[j].must_not_use == list[i].must_not_use &&
                               list[j].max_intensity == list[i].max_intensity && list[j].max_depth == list[i].max_depth &&
                               list[j].no_heat == list[i].no_heat &&
                               list[j].forbidden_air_zones == list[i].forbidden_air_zones;
                if (!seen && n < max)
                        ret[n++] = list[i].name;
        }
        return n;
}

static struct program *load(const char *dir, const char *file) {
        char path[700];
        struct ini_errors e = {};
        struct program *p = NULL;

        snprintf(path, sizeof path, "%s/%s", dir, file);
        if (profile_load_file(path, &p, &e) < 0)
                print_error("%s\n", e.text);
        assert_non_null(p);
        return p;
}

static unsigned runs, refusals;

static void run_one(const struct program *p, const struct vt_options *o, const char *condition, struct vt_record *r) {
        char buf[256];
        uint64_t asked = 1000ULL * (o->duration_s ? o->duration_s : p->duration_s);

        assert_int_equal(vt_run_program(p, o, r), 0);
        runs++;
        if (r->refused) {
                refusals++;
                return;
        }
        if (r->n_faults || !r->settled || r->planned_ms + FIT_TOLERANCE_MS < asked || r->planned_ms > asked + FIT_TOLERANCE_MS)
                print_error("%s intensity %u, %u s asked, planned %u ms, shoulder %d, condition %s: %s%s\n", p->id,
                            o->intensity, o->duration_s, r->planned_ms, o->scan.shoulder_mm, condition ? condition : "none",
                            vt_first_fault(r, buf, sizeof buf), r->settled ? "" : " (not settled)");
        assert_int_equal(r->n_faults, 0);
        assert_true(r->settled);
        assert_true(r->planned_ms + FIT_TOLERANCE_MS >= asked && r->planned_ms <= asked + FIT_TOLERANCE_MS);
        assert_int_equal(r->sweeps_missed, 0);
        assert_true(r->longest_run_ms[CHAIR_OUT_TRAVEL_MOTOR] < chair_output_info(CHAIR_OUT_TRAVEL_MOTOR)->max_on_ms);
}

static void test_matrix(void **state) {
        const char *src = getenv("MCD_SOURCE_DIR");
        const char *classes[MAX_CLASSES + 1] = { NULL };
        size_t n_classes = precaution_classes(classes + 1, MAX_CLASSES);
        char dir[400];
        struct dirent **names;
        int n;
        unsigned programs = 0;

        snprintf(dir, sizeof dir, "%s/profiles/programs", src ? src : ".");
        n = scandir(dir, &names, NULL, alphasort);
        assert_true(n > 0);
        printf("# %zu condition classes:", n_classes);
        for (size_t c = 1; c <= n_classes; c++)
                printf(" %s", classes[c]);
        printf("\n# %-20s %9s %9s %9s %15s %8s\n", "program", "10 min", "20 min", "30 min", "default", "moving");
        for (int i = 0; i < n; i++) {
                size_t len = strlen(names[i]->d_name);
                if (len <= 4 || strcmp(names[i]->d_name + len - 4, ".ini") != 0) {
                        free(names[i]);
                        continue;
                }
                struct program *p = load(dir, names[i]->d_name);
                uint32_t planned[ARRAY_SIZE(lengths_min)] = {};
                double moving = 0;

                for (size_t l = 0; l < ARRAY_SIZE(lengths_min); l++)
                        for (size_t c = 0; c <= n_classes; c++) {
                                const char *cond[2] = { classes[c], NULL };
                                uint32_t done = 0, cap = 5; /* intensities already run (after the cap) */
                                for (size_t b = 0; b < ARRAY_SIZE(bodies); b++)
                                        for (uint32_t intensity = 1; intensity <= 5; intensity++) {
                                                struct vt_options o = { .intensity = intensity,
                                                                        .duration_s = lengths_min[l] * 60,
                                                                        .scan = bodies[b],
                                                                        .start_mm = bodies[b].shoulder_mm + 40,
                                                                        .conditions = c ? cond : NULL };
                                                struct vt_record r;
                                                /* A capped intensity runs as the cap: once is enough. */
                                                if (done & (1u << (b * 8 + MIN(intensity, cap))))
                                                        continue;
                                                run_one(p, &o, classes[c], &r);
                                                done |= 1u << (b * 8 + r.intensity);
                                                cap = r.caps.max_intensity;
                                                if (!c && b == 0 && intensity == p->intensity) {
                                                        planned[l] = r.planned_ms;
                                                        if (!lengths_min[l])
                                                                moving = 100.0 * (double) r.moving_ms / (double) r.planned_ms;
                                                }
                                                if (r.refused)
                                                        goto next_class;
                                        }
                        next_class:;
                        }
                printf("# %-20s %4u:%02u   %4u:%02u   %4u:%02u   %4u:%02u of %2u:%02u %6.1f%%\n", p->id,
                       planned[0] / 60000, planned[0] / 1000 % 60, planned[1] / 60000, planned[1] / 1000 % 60,
                       planned[2] / 60000, planned[2] / 1000 % 60, planned[3] / 60000, planned[3] / 1000 % 60,
                       p->duration_s / 60, p->duration_s % 60, moving);
                free(p);
                programs++;
                free(names[i]);
        }
        free(names);
        printf("# %u runs (%u refused by a condition)\n", runs, refusals);
        assert_true(programs >= 9);
        assert_true(refusals > 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_matrix),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
