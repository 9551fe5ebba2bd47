/* SPDX-License-Identifier: MIT */
/* The proof of issue 17 on the whole chair in virtual time (tests/vt/vt-harness.h: the real
 * session, planner, scheduler, supervisor with its interlocks, panel and settings on the sim
 * chair): every shipped program x intensity 1-5 x asked length (10, 20, 30 min and the
 * program's default) x declared conditions (none, and one from each class of effect in
 * profiles/precautions.c, declared through the settings owner) x both body sizes chairsim
 * models (a short and a tall shoulder, found by the session's body scan). The person's timer
 * is at its longest (30 min), so the asked length is what is planned.
 *
 * Each run ends "completed" (the ProgramFinished reason) with no fault raised, the session's
 * planned length within 30 s of what was asked (or capped by the timer), every sweep to both
 * ends of its range where the step is long enough for a stroke, no actuator beyond what the
 * intensity and the conditions allow (daemon/vt-observe.h watches the outputs and the roller
 * at every callback), the travel motor's longest run clear of its maximum on-time, and every
 * actuator safe once idle, the chair back upright. A condition that refuses the program refuses
 * its start; the stretch program is refused with each condition that forbids stretching. The
 * chair has every posture axis and both leg channels (hardware_map_simulated_posture()), so the
 * programs' posture and leg steps run through posture.c's rules.
 *
 * ctest runs the matrix in shards (MCD_MATRIX_SHARD=I/N, one entry each, so ctest -j spreads
 * it over the cores); the ASan build runs every Kth run only (MCD_MATRIX_SUBSET=K, spread over
 * every program, length, condition and body). Shard 0 prints, per program, the planned length
 * for each asked length (at its default intensity, no condition, the short body) and the share
 * of the program's time the roller moves over those four runs. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <cmocka.h>

#include "chair-io.h"
#include "macro.h"
#include "precautions.h"
#include "profile.h"
#include "vt-program.h"

#define FIT_TOLERANCE_MS 30000
#define TIMER_MIN 30
#define MAX_CLASSES 32
#define UPRIGHT_PERMILLE 30 /* the axes' soft minimum (20) and a slow move's coast */

/* chairsim's --shoulder range is 300..780, the waist 400 mm lower (as the session assumes
 * after a scan): a short and a tall person, the tall one's shoulder 40 mm below the 800 mm
 * track's top (the scan ends there once the load has fallen off). */
static const int32_t shoulders_mm[] = { 500, 760 };
#define SCAN_TOLERANCE_MM 10
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
static double cpu_s;

static double cpu_now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

struct result {
        bool refused;
        uint32_t planned_ms;
        uint64_t moving_ms;
};

static void run_one(const struct program *p, uint32_t intensity, uint32_t length_min, const char *condition,
                    int32_t shoulder, struct result *ret) {
        const char *cond[2] = { condition, NULL };
        uint32_t asked_s = MIN(length_min ? length_min * 60 : p->duration_s, TIMER_MIN * 60u);
        struct vt_program_result r;
        struct precaution_caps caps;
        char refusal[200], what[200], fault[400];
        bool refused;

        runs++;
        snprintf(what, sizeof what, "%s intensity %u, %u min asked, shoulder %d mm, condition %s", p->id, intensity,
                 length_min, shoulder, condition ? condition : "none");
        refused = precautions_evaluate(condition ? cond : NULL, p, &caps, refusal, sizeof refusal) < 0;
        assert_int_equal(vt_program_run(&(struct vt_program_options) {
                                 .program = p->id,
                                 .intensity = intensity,
                                 .duration_s = length_min * 60,
                                 .timer_min = TIMER_MIN,
                                 .conditions = condition ? cond : NULL,
                                 .shoulder_mm = shoulder,
                                 .scan = true,
                                 .log_level = getenv("MCD_MATRIX_DEBUG") ? LOG_INFO : 0,
                         }, &r), 0);
        ret->refused = r.refused;
        ret->planned_ms = r.planned_ms;
        ret->moving_ms = r.moving_ms;
        if (refused || r.refused) {
                if (refused != r.refused)
                        print_error("%s: %s\n", what, r.refused ? r.refusal : "started although the condition refuses it");
                assert_int_equal(r.refused, refused);
                refusals++;
                return;
        }
        if (!r.idle || r.n_faults || r.n_finished != 1 || strcmp(r.finished, "completed") != 0 ||
            r.intensity != CLAMP(intensity, 1u, MIN(5u, caps.max_intensity)) ||
            abs(r.scanned_shoulder_mm - shoulder) > SCAN_TOLERANCE_MM)
                print_error("%s: states %s, finished %s, intensity %u, shoulder scanned at %d, %s\n", what, r.states,
                            r.finished[0] ? r.finished : "never", r.intensity, r.scanned_shoulder_mm,
                            vt_program_first_fault(&r, fault, sizeof fault));
        assert_int_equal(r.n_faults, 0);
        assert_true(r.idle);
        assert_int_equal(r.n_finished, 1);
        assert_string_equal(r.finished, "completed");
        assert_string_equal(r.states, "scanning running settling idle");
        /* The body scan found this person's shoulder; the conditions' cap is what ran. */
        assert_in_range(r.scanned_shoulder_mm, shoulder - SCAN_TOLERANCE_MM, shoulder + SCAN_TOLERANCE_MM);
        assert_int_equal(r.intensity, CLAMP(intensity, 1u, MIN(5u, caps.max_intensity)));
        /* Fitted to the asked length; the timer caps it. */
        assert_in_range(r.planned_ms, 1000ULL * asked_s - MIN(1000ULL * asked_s, FIT_TOLERANCE_MS),
                        MIN(1000ULL * asked_s + FIT_TOLERANCE_MS, TIMER_MIN * 60000ULL));
        /* The program ran its plan (to the second the session's tick rounds to). */
        assert_in_range(r.ran_ms, r.planned_ms, r.planned_ms + 1500);
        assert_int_equal(r.sweeps_missed, 0);
        assert_true(r.longest_travel_run_ms < chair_output_info(CHAIR_OUT_TRAVEL_MOTOR)->max_on_ms);
        /* A program that moved the chair returned it upright (the soft limit, its coast). */
        if (r.end_posture_permille > UPRIGHT_PERMILLE)
                print_error("%s: the chair ended %d per mille from upright\n", what, r.end_posture_permille);
        assert_true(r.end_posture_permille <= UPRIGHT_PERMILLE);
}

/* The stretch programs under the conditions that forbid stretching, each by name (one of them
 * shares its class of caps with another condition, so the classes alone would miss it). */
static void test_stretch_refused(void **state) {
        const char *src = getenv("MCD_SOURCE_DIR");
        size_t n_list;
        const struct precaution *list = precaution_list(&n_list);
        char dir[400];
        struct program *p;
        unsigned checked = 0;

        snprintf(dir, sizeof dir, "%s/profiles/programs", src ? src : ".");
        p = load(dir, "stretch.ini");
        assert_true(p->stretch);
        for (size_t i = 0; i < n_list; i++) {
                const char *cond[2] = { list[i].name, NULL };
                struct vt_program_result r;
                if (!list[i].no_stretch)
                        continue;
                assert_int_equal(vt_program_run(&(struct vt_program_options) { .program = p->id, .conditions = cond }, &r), 0);
                if (!r.refused)
                        print_error("stretch started with %s\n", list[i].name);
                assert_true(r.refused);
                assert_non_null(strstr(r.refusal, list[i].name));
                checked++;
        }
        printf("# stretch refused with %u conditions\n", checked);
        assert_true(checked >= 2);
        free(p);
}

/* Which runs this process makes: MCD_MATRIX_SHARD=I/N (the ctest entries share the matrix out,
 * so ctest -j runs it on every core) and MCD_MATRIX_SUBSET=K (every Kth run only: the ASan
 * build). The runs of the table and the refusals (no run: cheap) are shard 0's, never left
 * out. */
struct share {
        unsigned shard, shards, subset;
        unsigned index;                   /* of the runs that may be left out */
};

static unsigned env_number(const char *name, const char *text, unsigned min, unsigned max) {
        char *end;
        unsigned long v = strtoul(text, &end, 10);

        if (end == text || v < min || v > max) {
                print_error("%s: \"%s\" is not a number in %u..%u\n", name, text, min, max);
                fail();
        }
        return (unsigned) v;
}

static void share_setup(struct share *s) {
        const char *shard = getenv("MCD_MATRIX_SHARD"), *subset = getenv("MCD_MATRIX_SUBSET");
        const char *slash = shard ? strchr(shard, '/') : NULL;

        *s = (struct share) { 0, 1, 1, 0 };
        if (subset && *subset)
                s->subset = env_number("MCD_MATRIX_SUBSET", subset, 1, 1000);
        if (shard && *shard) {
                if (!slash) {
                        print_error("MCD_MATRIX_SHARD: \"%s\" is not I/N\n", shard);
                        fail();
                }
                s->shards = env_number("MCD_MATRIX_SHARD", slash + 1, 1, 64);
                s->shard = (unsigned) strtoul(shard, NULL, 10);
                if (s->shard >= s->shards) {
                        print_error("MCD_MATRIX_SHARD: shard %u of %u\n", s->shard, s->shards);
                        fail();
                }
        }
}

static bool share_mine(struct share *s, bool always) {
        unsigned k;

        if (always)
                return s->shard == 0;
        k = s->index++;
        return k % s->subset == 0 && k / s->subset % s->shards == s->shard;
}

static void test_matrix(void **state) {
        const char *src = getenv("MCD_SOURCE_DIR");
        const char *classes[MAX_CLASSES + 1] = { NULL };
        size_t n_classes = precaution_classes(classes + 1, MAX_CLASSES);
        struct share share;
        char dir[400];
        struct dirent **names;
        int n;
        unsigned programs = 0, matrix = 0;
        double c0 = cpu_now();

        share_setup(&share);
        snprintf(dir, sizeof dir, "%s/profiles/programs", src ? src : ".");
        n = scandir(dir, &names, NULL, alphasort);
        assert_true(n > 0);
        printf("# %zu condition classes:", n_classes);
        for (size_t c = 1; c <= n_classes; c++)
                printf(" %s", classes[c]);
        printf("\n# shard %u of %u, every %u. run\n", share.shard, share.shards, share.subset);
        if (share.shard == 0)
                printf("# %-20s %9s %9s %9s %15s %8s\n", "program", "10 min", "20 min", "30 min", "default", "moving");
        for (int i = 0; i < n; i++) {
                size_t len = strlen(names[i]->d_name);
                if (len <= 4 || strcmp(names[i]->d_name + len - 4, ".ini") != 0) {
                        free(names[i]);
                        continue;
                }
                struct program *p = load(dir, names[i]->d_name);
                uint32_t planned[ARRAY_SIZE(lengths_min)] = {};
                uint64_t moving_ms = 0, program_ms = 0;

                for (size_t l = 0; l < ARRAY_SIZE(lengths_min); l++)
                        for (size_t c = 0; c <= n_classes; c++) {
                                const char *cond[2] = { classes[c], NULL };
                                struct precaution_caps caps;
                                char unused[8];
                                bool refused = precautions_evaluate(c ? cond : NULL, p, &caps, unused, sizeof unused) < 0;
                                uint32_t cap = MIN(5u, caps.max_intensity);

                                for (size_t b = 0; b < (refused ? 1 : ARRAY_SIZE(shoulders_mm)); b++)
                                        /* A capped intensity runs as the cap: once is enough; a
                                         * refused program is refused once. */
                                        for (uint32_t intensity = 1; intensity <= (refused ? 1 : cap); intensity++) {
                                                struct result r;
                                                bool table = !c && b == 0 && intensity == p->intensity;

                                                matrix++;
                                                if (!share_mine(&share, table || refused))
                                                        continue;
                                                run_one(p, intensity, lengths_min[l], classes[c], shoulders_mm[b], &r);
                                                assert_int_equal(r.refused, refused);
                                                if (table) {
                                                        planned[l] = r.planned_ms;
                                                        moving_ms += r.moving_ms;
                                                        program_ms += r.planned_ms;
                                                }
                                        }
                        }
                if (share.shard == 0)
                        printf("# %-20s %4u:%02u   %4u:%02u   %4u:%02u   %4u:%02u of %2u:%02u %6.1f%%\n", p->id,
                               planned[0] / 60000, planned[0] / 1000 % 60, planned[1] / 60000, planned[1] / 1000 % 60,
                               planned[2] / 60000, planned[2] / 1000 % 60, planned[3] / 60000, planned[3] / 1000 % 60,
                               p->duration_s / 60, p->duration_s % 60,
                               program_ms ? 100.0 * (double) moving_ms / (double) program_ms : 0.0);
                free(p);
                programs++;
                free(names[i]);
        }
        free(names);
        cpu_s = cpu_now() - c0;
        printf("# matrix of %u runs; this process ran %u (%u refused by a condition) in %.1f s of CPU time\n", matrix,
               runs, refusals, cpu_s);
        assert_true(programs >= 9);
        if (share.shard == 0)
                assert_true(refusals > 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_matrix),
                cmocka_unit_test(test_stretch_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
