/* SPDX-License-Identifier: MIT */
/* Focused sessions on the whole chair in virtual time (tests/vt/vt-program.h), judged by the
 * program matrix's own checks: every shipped program started focused on each area alone and on
 * all of them completes with no fault and no missed sweep, its plan fitted to the asked length,
 * the observer's limits held. MCD_FOCUS_SUBSET=N runs every N-th only (the sanitizer build). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "chair-io.h"
#include "log.h"
#include "macro.h"
#include "vocab.h"
#include "vt-program.h"

#define TIMER_MIN 30
#define FIT_TOLERANCE_MS 5000

static void run_focused(const char *program, uint32_t focus, uint32_t duration_s) {
        struct vt_program_result r;
        char fault[400];

        assert_int_equal(vt_program_run(&(struct vt_program_options) { .program = program, .timer_min = TIMER_MIN,
                                                                       .focus_areas = focus, .scan = true,
                                                                       .log_level = getenv("MCD_FOCUS_DEBUG") ? LOG_INFO : 0 },
                                        &r), 0);
        if (!r.idle || r.n_faults || strcmp(r.finished, "completed") != 0)
                print_error("%s focused 0x%x: states %s, finished %s, %s\n", program, focus, r.states,
                            r.finished[0] ? r.finished : "never", vt_program_first_fault(&r, fault, sizeof fault));
        assert_false(r.refused);
        assert_int_equal(r.n_faults, 0);
        assert_true(r.idle);
        assert_int_equal(r.n_finished, 1);
        assert_string_equal(r.finished, "completed");
        assert_string_equal(r.states, "scanning running settling idle");
        assert_in_range(r.planned_ms, 1000ULL * duration_s - MIN(1000ULL * duration_s, FIT_TOLERANCE_MS),
                        1000ULL * duration_s);
        assert_in_range(r.ran_ms, r.planned_ms, r.planned_ms + 1500);
        assert_int_equal(r.sweeps_missed, 0);
        assert_true(r.longest_travel_run_ms < chair_output_info(CHAIR_OUT_TRAVEL_MOTOR)->max_on_ms);
}

struct shipped {
        char id[64];
        uint32_t duration_s;
};

static size_t list_shipped(struct shipped *ret, size_t max) {
        static const char key[] = "duration_s = ";
        const char *src = getenv("MCD_SOURCE_DIR");
        char dir[400];
        struct dirent *de;
        size_t n = 0;
        DIR *d;

        snprintf(dir, sizeof dir, "%s/profiles/programs", src ? src : ".");
        d = opendir(dir);
        assert_non_null(d);
        while ((de = readdir(d)) && n < max) {
                size_t len = strlen(de->d_name);
                char path[700], line[256];
                FILE *f;
                if (len < 5 || strcmp(de->d_name + len - 4, ".ini") != 0)
                        continue;
                snprintf(ret[n].id, sizeof ret[n].id, "%.*s", (int) len - 4, de->d_name);
                snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
                f = fopen(path, "re");
                assert_non_null(f);
                ret[n].duration_s = 0;
                /* The [program] section's length: its first duration_s line. */
                while (fgets(line, sizeof line, f))
                        if (strncmp(line, key, sizeof key - 1) == 0) {
                                ret[n].duration_s = (uint32_t) strtoul(line + sizeof key - 1, NULL, 10);
                                break;
                        }
                fclose(f);
                assert_true(ret[n].duration_s > 0);
                n++;
        }
        closedir(d);
        return n;
}

static int cmp_shipped(const void *a, const void *b) {
        return strcmp(((const struct shipped *) a)->id, ((const struct shipped *) b)->id);
}

static void test_every_program_focused(void **state) {
        struct shipped programs[32];
        size_t n = list_shipped(programs, ARRAY_SIZE(programs));
        clock_t start = clock();
        const char *e = getenv("MCD_FOCUS_SUBSET");
        unsigned subset = e ? (unsigned) strtoul(e, NULL, 10) : 1, runs = 0;

        assert_true(n >= 9);
        qsort(programs, n, sizeof programs[0], cmp_shipped);
        /* Each program on each area alone and on all of them (the sanitizer build: a few). */
        for (size_t i = 0; i < n; i++)
                for (unsigned a = 0; a <= _PAIN_AREA_MAX; a++) {
                        uint32_t focus = a < _PAIN_AREA_MAX ? 1u << a : (1u << _PAIN_AREA_MAX) - 1;
                        if (subset > 1 && (i * (_PAIN_AREA_MAX + 1) + a) % subset)
                                continue;
                        run_focused(programs[i].id, focus, MIN(programs[i].duration_s, TIMER_MIN * 60u));
                        runs++;
                }
        print_message("# %u focused sessions in %.1f s of CPU time\n", runs, (double) (clock() - start) / CLOCKS_PER_SEC);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_program_focused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
