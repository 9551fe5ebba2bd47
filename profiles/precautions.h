/* SPDX-License-Identifier: MIT */
/*
 * A person's declared conditions (chair-domain.md section 4) and what each does to a session:
 * some mean the chair must not be used at all, others exclude programs that name them
 * (excluded_by in a profile), cap intensity or depth, forbid heat, or forbid compression of
 * some air zones. The caps are hard constraints applied by the planner.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct program;

struct precaution {
        const char *name;
        const char *effect;           /* what it changes, for people */
        bool must_not_use;            /* refuses every program and manual use */
        uint32_t max_intensity;       /* 0 = no cap */
        uint32_t max_depth;           /* 0 = no cap */
        bool no_heat;
        uint32_t forbidden_air_zones; /* bit per enum chair_air_zone */
};

struct precaution_caps {
        uint32_t max_intensity;       /* 5 when uncapped */
        uint32_t max_depth;
        bool no_heat;
        uint32_t forbidden_air_zones;
};

const struct precaution *precaution_find(const char *name);
const struct precaution *precaution_list(size_t *ret_n);

/* The caps for a set of conditions (NULL-terminated, may be NULL) and, when a program is given,
 * whether it may run: 0 allowed (capped), -EPERM refused with a human reason. */
int precautions_evaluate(const char *const *conditions, const struct program *p, struct precaution_caps *ret,
                         char *reason, size_t reason_size);
