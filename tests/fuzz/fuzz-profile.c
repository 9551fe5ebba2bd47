/* SPDX-License-Identifier: MIT */
/* libFuzzer target: any bytes through the profile loader and, when they load, the planner on
 * a range of bodies and options. Nothing may crash, leak or hang. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "planner.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct ini_errors errors = {};
        struct program *p = NULL;

        if (size > 64 * 1024)
                return 0;
        if (profile_load_text("fuzz.ini", (const char *) data, size, &p, &errors) < 0)
                return 0;
        for (unsigned k = 0; k < 3; k++) {
                struct plan_options o = {
                        .intensity = 1 + (unsigned) (size % 5),
                        .duration_s = k == 0 ? 0 : k == 1 ? 60 : 3600,
                        .scan = { 450 + 100 * (int32_t) k, 100 + 60 * (int32_t) k },
                        .track_length_mm = 600 + 300 * (int32_t) k,
                        .caps_given = k == 2,
                        .caps = { .max_intensity = 2, .max_depth = 2, .no_heat = true, .forbidden_air_zones = 0x30 },
                };
                struct timeline t = {};
                if (planner_plan(p, &o, &t) == 0)
                        timeline_done(&t);
        }
        free(p);
        return 0;
}
