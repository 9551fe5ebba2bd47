/* SPDX-License-Identifier: MIT */
/*
 * Which programs suit a person now (docs/people.md, "Recommendation"): a pure function of the
 * programs (their areas and the conditions that exclude them), the person's assessment and
 * conditions and caps, and their past outcomes. A program a declared condition excludes, or
 * that the person's conditions refuse, is never recommended; one a cap lowers says so. Every entry says why, in words a person
 * reads ("targets lower back; you rated it 6 -> 2 the last 3 times").
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "people.h"
#include "program-library.h"
#include "state-store.h"

#define RECOMMEND_MAX PROGRAM_LIBRARY_MAX
#define RECOMMEND_REASON_MAX 200

struct recommendation {
        const char *program;               /* the program's id (points into the programs given) */
        int32_t score;                     /* higher first; ties by id */
        char reason[RECOMMEND_REASON_MAX];
};

struct recommend_input {
        const struct program_summary *programs;  /* the catalog (and the person's own programs) */
        size_t n_programs;
        const struct assessment *assessment;     /* may be NULL or time_usec 0: none */
        const char *const *conditions;           /* NULL-terminated, may be NULL */
        bool conditions_unreadable;              /* nothing is recommended */
        bool capped;                             /* the person's own caps below apply */
        uint32_t intensity_cap;                  /* 1-5; 5: none of their own */
        uint32_t heat_cap;                       /* 0-3; 3: none of their own */
        const struct history_entry *history;     /* the person's, any order */
        size_t n_history;
};

/* Ranks every program allowed: fills RET (at most MAX) best first and returns how many. */
int recommend_programs(const struct recommend_input *in, struct recommendation *ret, size_t max);

/* The pain areas a program's `areas` (profile.h) work on, a bit per enum pain_area
 * (full-body: all; back: upper and lower back; ...). One table, in recommend.c. */
uint32_t recommend_program_pain_areas(const char *const *areas);
