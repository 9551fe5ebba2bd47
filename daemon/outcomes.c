/* SPDX-License-Identifier: MIT */
/*
 * The outcomes summary (outcomes.h has the exact definitions). Two passes over the sessions
 * in time order: the first counts and sums, the second, knowing how many each series has
 * rated, sums the changes of the last N rated and of the N before them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "outcomes.h"

/* One series being summed: all sessions, one program's, one area's. */
struct series {
        struct outcome_stats *stats;
        uint64_t sum_before, sum_after;
        int64_t sum_last, sum_prev;      /* changes of the last N rated, of the N before them */
        uint32_t seen;                   /* rated ones met in the second pass */
};

_Static_assert(HISTORY_AREAS == _PAIN_AREA_MAX, "a history entry has a pain value per area");
_Static_assert(sizeof(((struct history_entry *) 0)->program) == sizeof(((struct outcome_summary *) 0)->programs[0].program),
               "a summary keeps the program id whole");

struct program_group {
        char program[sizeof(((struct history_entry *) 0)->program)];
        struct outcome_stats stats;
        struct series series;
};

static bool pain_valid(uint16_t v) {
        return v <= 10;
}

static void series_add(struct series *s, bool second_pass, unsigned n, uint64_t start_usec, uint16_t before,
                       uint16_t after) {
        bool rated = pain_valid(before) && pain_valid(after);
        uint32_t first_prev, first_last;

        if (!second_pass) {
                s->stats->sessions++;
                s->stats->last_usec = MAX(s->stats->last_usec, start_usec);
                if (rated) {
                        s->stats->rated++;
                        s->sum_before += before;
                        s->sum_after += after;
                }
                return;
        }
        if (!rated || s->stats->rated < 2 * n)
                return;
        first_last = s->stats->rated - n;
        first_prev = first_last - n;
        if (s->seen >= first_last)
                s->sum_last += (int64_t) after - before;
        else if (s->seen >= first_prev)
                s->sum_prev += (int64_t) after - before;
        s->seen++;
}

static void series_finish(struct series *s, unsigned n) {
        struct outcome_stats *st = s->stats;

        if (st->rated) {
                st->mean_before = (double) s->sum_before / st->rated;
                st->mean_after = (double) s->sum_after / st->rated;
                st->mean_change = ((double) s->sum_after - (double) s->sum_before) / st->rated;
        }
        if (st->rated >= 2 * n)
                st->trend = (double) (s->sum_last - s->sum_prev) / n;
}

static int by_time(const void *a, const void *b) {
        const struct history_entry *x = *(const struct history_entry *const *) a, *y = *(const struct history_entry *const *) b;

        if (x->start_usec != y->start_usec)
                return x->start_usec < y->start_usec ? -1 : 1;
        return x->id < y->id ? -1 : x->id > y->id;
}

static int by_use(const void *a, const void *b) {
        const struct program_group *x = a, *y = b;

        if (x->stats.sessions != y->stats.sessions)
                return x->stats.sessions > y->stats.sessions ? -1 : 1;
        if (x->stats.last_usec != y->stats.last_usec)
                return x->stats.last_usec > y->stats.last_usec ? -1 : 1;
        return strcmp(x->program, y->program);
}

/* The group of E's program, added when new; groups are at most one per entry. */
static size_t group_of(struct program_group *groups, size_t *n_groups, const struct history_entry *e) {
        size_t len = strnlen(e->program, sizeof e->program);
        size_t i;

        if (len == sizeof e->program) /* not terminated: what a reader keeps of it */
                len--;
        for (i = 0; i < *n_groups; i++)
                if (strncmp(groups[i].program, e->program, len) == 0 && groups[i].program[len] == 0)
                        return i;
        memcpy(groups[i].program, e->program, len);
        groups[i].program[len] = 0;
        groups[i].series.stats = &groups[i].stats;
        (*n_groups)++;
        return i;
}

int outcomes_summarize(const struct history_entry *history, size_t n, unsigned trend_n, struct outcome_summary *ret) {
        _cleanup_free_ const struct history_entry **order = NULL;
        _cleanup_free_ struct program_group *groups = NULL;
        _cleanup_free_ size_t *group = NULL;
        struct series all = { .stats = &ret->all }, area[_PAIN_AREA_MAX];
        size_t n_groups = 0;

        if (trend_n == 0)
                trend_n = OUTCOMES_TREND_N;
        if (trend_n > OUTCOMES_TREND_MAX)
                return -EINVAL;
        if (n > OUTCOMES_HISTORY_MAX)
                return -E2BIG;
        if (n && !history)
                return -EINVAL;

        *ret = (struct outcome_summary) { .trend_n = trend_n };
        for (size_t a = 0; a < _PAIN_AREA_MAX; a++)
                area[a] = (struct series) { .stats = &ret->area[a] };
        if (n == 0)
                return 0;

        order = calloc(n, sizeof *order);
        groups = calloc(n, sizeof *groups);
        group = calloc(n, sizeof *group);
        if (!order || !groups || !group)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                order[i] = &history[i];
        qsort(order, n, sizeof *order, by_time);
        for (size_t i = 0; i < n; i++)
                group[i] = group_of(groups, &n_groups, order[i]);

        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < n; i++) {
                        const struct history_entry *e = order[i];

                        series_add(&all, pass, trend_n, e->start_usec, e->pain_before, e->pain_after);
                        series_add(&groups[group[i]].series, pass, trend_n, e->start_usec, e->pain_before, e->pain_after);
                        if (!e->assessed)
                                continue;
                        for (size_t a = 0; a < _PAIN_AREA_MAX; a++)
                                if (pain_valid(e->area_before[a]))
                                        series_add(&area[a], pass, trend_n, e->start_usec, e->area_before[a],
                                                   e->area_after[a]);
                }

        series_finish(&all, trend_n);
        for (size_t a = 0; a < _PAIN_AREA_MAX; a++)
                series_finish(&area[a], trend_n);
        for (size_t g = 0; g < n_groups; g++)
                series_finish(&groups[g].series, trend_n);

        /* Sorted only now: the series point into their own group. */
        qsort(groups, n_groups, sizeof *groups, by_use);
        ret->n_programs = MIN(n_groups, (size_t) OUTCOMES_PROGRAMS_MAX);
        for (size_t g = 0; g < ret->n_programs; g++) {
                memcpy(ret->programs[g].program, groups[g].program, sizeof ret->programs[g].program);
                ret->programs[g].stats = groups[g].stats;
        }
        return 0;
}
