/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "chair-io.h"
#include "macro.h"
#include "precautions.h"
#include "profile.h"

#define LEGS ((1u << CHAIR_AIR_CALVES) | (1u << CHAIR_AIR_FEET))
#define TRUNK ((1u << CHAIR_AIR_BACK) | (1u << CHAIR_AIR_SEAT))

/* From chair-domain.md section 4 (Panasonic, Nitto Kohki, the seeds) and its design note. */
static const struct precaution precautions[] = {
        { "thrombosis", "must not use the chair (thrombosis or DVT in the last 6 months)", true, 0, 0, false, 0 },
        { "aneurysm", "must not use the chair", true, 0, 0, false, 0 },
        { "spinal-fracture", "must not use the chair", true, 0, 0, false, 0 },
        { "acute-sprain", "must not use the chair until it has healed", true, 0, 0, false, 0 },
        { "skin-infection", "must not use the chair", true, 0, 0, false, 0 },
        { "open-wounds", "must not use the chair", true, 0, 0, false, 0 },
        { "fever", "must not use the chair with a temperature of 38 degC or more", true, 0, 0, false, 0 },
        { "contagious-illness", "must not use the chair", true, 0, 0, false, 0 },
        { "dvt-history", "no calf or foot compression; intensity at most 3", false, 3, 0, false, LEGS },
        { "varicose-veins", "no calf or foot compression", false, 0, 0, false, LEGS },
        { "phlebitis", "no calf or foot compression; intensity at most 2", false, 2, 0, false, LEGS },
        { "circulation-problems", "no calf or foot compression", false, 0, 0, false, LEGS },
        { "osteoporosis", "intensity at most 2 and depth at most 2", false, 2, 2, false, 0 },
        { "pregnancy", "no heat, no back or seat compression, intensity at most 2", false, 2, 2, true, TRUNK },
        { "pacemaker", "intensity at most 2; programs with tapping excluded where they say so", false, 2, 3, false, 0 },
        { "reduced-temperature-sensation", "no heat", false, 0, 0, true, 0 },
        { "diabetic-neuropathy", "no heat, no calf or foot compression", false, 0, 0, true, LEGS },
        { "anticoagulants", "intensity at most 2 and depth at most 2 (bruising)", false, 2, 2, false, 0 },
        { "heart-disease", "intensity at most 2, no heat", false, 2, 0, true, 0 },
        { "malignancy", "intensity at most 2, depth at most 2", false, 2, 2, false, 0 },
        { "kidney-or-liver-problems", "intensity at most 3", false, 3, 0, false, 0 },
        { "severe-inflammation", "intensity at most 2, no heat", false, 2, 2, true, 0 },
};

const struct precaution *precaution_find(const char *name) {
        for (size_t i = 0; i < ARRAY_SIZE(precautions); i++)
                if (strcmp(precautions[i].name, name) == 0)
                        return &precautions[i];
        return NULL;
}

const struct precaution *precaution_list(size_t *ret_n) {
        *ret_n = ARRAY_SIZE(precautions);
        return precautions;
}

int precautions_evaluate(const char *const *conditions, const struct program *p, struct precaution_caps *ret,
                         char *reason, size_t reason_size) {
        struct precaution_caps caps = { .max_intensity = 5, .max_depth = 5 };

        for (const char *const *c = conditions; c && *c; c++) {
                const struct precaution *pr = precaution_find(*c);
                if (!pr)
                        continue;
                if (pr->must_not_use) {
                        snprintf(reason, reason_size, "Declared condition '%s': %s", pr->name, pr->effect);
                        *ret = caps;
                        return -EPERM;
                }
                if (pr->max_intensity)
                        caps.max_intensity = MIN(caps.max_intensity, pr->max_intensity);
                if (pr->max_depth)
                        caps.max_depth = MIN(caps.max_depth, pr->max_depth);
                caps.no_heat |= pr->no_heat;
                caps.forbidden_air_zones |= pr->forbidden_air_zones;
                for (size_t i = 0; p && i < p->n_excluded_by; i++)
                        if (strcmp(p->excluded_by[i], pr->name) == 0) {
                                snprintf(reason, reason_size,
                                         "The program '%s' is not suitable with the declared condition '%s' (%s); "
                                         "try 'gentle'", p->id, pr->name, pr->effect);
                                *ret = caps;
                                return -EPERM;
                        }
        }
        *ret = caps;
        return 0;
}
