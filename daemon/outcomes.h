/* SPDX-License-Identifier: MIT */
/*
 * What a person's sessions did (docs/people.md, "Outcomes"): a pure summary of a history,
 * per person and per program, overall and per pain area: sessions, rated sessions, the mean
 * change of pain (after - before; negative is better) and its trend over the last N rated
 * sessions (the mean change of the last N against the N before them).
 *
 * Precisely, with the sessions in time order (start_usec, then id):
 * - all: every session counts in `sessions`; it is `rated` when pain_before and pain_after are
 *   both 0-10 (anything else, HISTORY_NOT_RATED included, is not rated). mean_before,
 *   mean_after and mean_change = mean_after - mean_before are over the rated sessions only
 *   (0 when none). trend = (sum of the changes of the last N rated - sum of the changes of the
 *   N rated before them) / N, 0 when fewer than 2N are rated: negative means the recent
 *   sessions relieved more than the earlier ones. last_usec: the newest session's start.
 * - area[a]: the assessed sessions that named area a (area_before[a] 0-10) count in
 *   `sessions`; those with area_after[a] 0-10 too are `rated`, and the means and trend are
 *   over area_before/area_after as above. An area no session named has sessions == 0.
 * - programs: one entry per program id, each computed as `all` over that program's sessions;
 *   most sessions first, then the most recently used, then by id (strcmp); at most
 *   OUTCOMES_PROGRAMS_MAX (the least used are left out; n_programs says how many are kept).
 * Sums are of integers, so every mean is the exact quotient rounded once to a double.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "state-store.h"
#include "vocab.h"

#define OUTCOMES_TREND_N 3
#define OUTCOMES_TREND_MAX (HISTORY_MAX / 2)     /* the largest N: 2N sessions fill a history */
#define OUTCOMES_HISTORY_MAX HISTORY_MAX        /* the longest history summarized */
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
        unsigned trend_n;                                /* the N used */
};

/* HISTORY in any order; N the trend window (0: OUTCOMES_TREND_N). -EINVAL: N above
 * OUTCOMES_TREND_MAX; -E2BIG: more than OUTCOMES_HISTORY_MAX entries; -ENOMEM. */
int outcomes_summarize(const struct history_entry *history, size_t n, unsigned trend_n, struct outcome_summary *ret);
