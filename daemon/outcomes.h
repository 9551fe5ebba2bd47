/* SPDX-License-Identifier: MIT */
/*
 * What a person's sessions did (docs/people.md, "Outcomes"): a pure summary of a history,
 * per person and per program, overall and per pain area: sessions, rated sessions, the mean
 * change of pain (after - before; negative is better) and its trend over the last N rated
 * sessions (the mean change of the last N against the N before them).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "state-store.h"
#include "vocab.h"

#define OUTCOMES_TREND_N 3
#define OUTCOMES_PROGRAMS_MAX 64

struct outcome_stats {
        uint32_t sessions;                 /* every session */
        uint32_t rated;                    /* with pain before and after */
        double mean_change;                /* over the rated ones; 0 when none */
        double mean_before, mean_after;
        double trend;                      /* last N mean change - the N before it; 0 when fewer than 2N */
        uint64_t last_usec;                /* start of the newest session */
};

struct outcome_summary {
        struct outcome_stats all;
        struct outcome_stats area[_PAIN_AREA_MAX];       /* from assessed sessions */
        struct {
                char program[80];
                struct outcome_stats stats;
        } programs[OUTCOMES_PROGRAMS_MAX];
        size_t n_programs;                               /* most sessions first */
};

/* HISTORY in any order; N the trend window (0: OUTCOMES_TREND_N). */
int outcomes_summarize(const struct history_entry *history, size_t n, unsigned trend_n, struct outcome_summary *ret);
