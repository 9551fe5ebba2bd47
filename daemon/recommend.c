/* SPDX-License-Identifier: MIT */
/*
 * The ranking rule of docs/people.md, "Recommendation": points for the assessed areas a program
 * works on (by their pain), against the areas it works on that were not assessed, for the fit
 * of the goal, and for what the person's last rated sessions of it did. The precaution gate
 * decides what may be recommended at all, exactly as it decides what may start.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "precautions.h"
#include "recommend.h"

#define ALL_AREAS ((1u << _PAIN_AREA_MAX) - 1)
#define BIT(a) (1u << (a))

/* The points (docs/people.md keeps the same table). */
#define POINTS_PER_PAIN 10        /* each assessed area the program works on: 10 x its pain */
#define POINTS_OTHER_AREA (-3)    /* each area it works on that the assessment does not name */
#define POINTS_GOAL 25            /* it fits the goal */
#define POINTS_PER_RELIEF 8       /* past outcomes: 8 x the mean drop of pain (6 -> 2: +32) */
#define POINTS_OUTCOME_MAX 40     /* ... at most this much either way */
#define POINTS_WORSE (-20)        /* and again this when the pain rose on average */
#define OUTCOMES_LAST 3           /* the rated sessions of the program that count */

/* A profile's `areas` words (profile-loader.c's vocabulary) as pain areas: the one table. */
static const struct {
        const char *word;
        uint32_t areas;
        bool broad;             /* names a region, not the area itself (no "aimed at" for relief) */
} area_table[] = {
        { "neck", BIT(PAIN_NECK), false },
        { "shoulders", BIT(PAIN_SHOULDERS), false },
        { "upper-back", BIT(PAIN_UPPER_BACK), false },
        { "back", BIT(PAIN_UPPER_BACK) | BIT(PAIN_LOWER_BACK), true },
        { "lower-back", BIT(PAIN_LOWER_BACK), false },
        { "hips", BIT(PAIN_HIPS), false },
        /* The arm bags hold the upper arms: the nearest area a person names is the shoulders. */
        { "arms", BIT(PAIN_SHOULDERS), true },
        { "legs", BIT(PAIN_CALVES), true },
        { "calves", BIT(PAIN_CALVES), false },
        { "feet", BIT(PAIN_FEET), false },
        { "full-body", ALL_AREAS, true },
};

static uint32_t pain_areas(const char *const *areas, bool named_only) {
        uint32_t r = 0;

        for (const char *const *a = areas; a && *a; a++)
                for (size_t i = 0; i < ARRAY_SIZE(area_table); i++)
                        if (strcmp(*a, area_table[i].word) == 0 && !(named_only && area_table[i].broad))
                                r |= area_table[i].areas;
        return r;
}

uint32_t recommend_program_pain_areas(const char *const *areas) {
        return pain_areas(areas, false);
}

/* A goal's fit, from what a program summary says: its default intensity, its areas and words
 * of its id (the summary names no techniques; the id is how the shipped ones name theirs). */
static const struct goal_fit {
        uint32_t max_intensity, min_intensity; /* 0: any */
        uint32_t areas_any;                    /* it works on one of these; 0: any */
        bool specific;                         /* names the most painful area itself, 3 areas at most */
        const char *words[3];                  /* or its id contains one of these */
        const char *why;
} goal_fits[_GOAL_MAX] = {
        [GOAL_RELIEF] = { 0, 0, 0, true, { NULL }, "aimed at where it hurts most, for relief" },
        [GOAL_RECOVERY] = { 0, 4, BIT(PAIN_CALVES), false, { "sport" }, "firm work on the legs, for recovery after sport" },
        [GOAL_RELAXATION] = { 2, 0, 0, false, { "swedish", "gentle" }, "light and flowing, for relaxation" },
        [GOAL_MOBILITY] = { 0, 0, 0, false, { "stretch", "myofascial", "mobil" }, "stretching and release, for mobility" },
};

static bool pain_valid(uint16_t v) {
        return v <= 10;
}

static unsigned popcount(uint32_t v) {
        return (unsigned) __builtin_popcount(v);
}

static bool goal_fits_program(const struct goal_fit *g, const struct program_summary *p, uint32_t areas,
                              int most_painful) {
        if (g->specific)
                return most_painful >= 0 && (pain_areas(p->areas, true) & BIT(most_painful)) && popcount(areas) <= 3;
        for (size_t i = 0; i < ARRAY_SIZE(g->words) && g->words[i]; i++)
                if (p->id && strstr(p->id, g->words[i]))
                        return true;
        if (!g->max_intensity && !g->min_intensity && !g->areas_any)
                return false;
        return (!g->max_intensity || p->intensity <= g->max_intensity) &&
               (!g->min_intensity || p->intensity >= g->min_intensity) && (!g->areas_any || (areas & g->areas_any));
}

struct outcome {
        unsigned n;
        double before, after; /* means over the last N rated sessions */
};

static bool newer(const struct history_entry *a, const struct history_entry *b) {
        return a->start_usec > b->start_usec || (a->start_usec == b->start_usec && a->id > b->id);
}

/* The person's last OUTCOMES_LAST rated sessions of PROGRAM, newest by start (then by id). */
static void last_outcomes(const struct recommend_input *in, const char *program, struct outcome *ret) {
        const struct history_entry *last[OUTCOMES_LAST];
        unsigned n = 0;

        for (size_t i = 0; i < in->n_history; i++) {
                const struct history_entry *e = &in->history[i];
                unsigned k = 0;
                if (!pain_valid(e->pain_before) || !pain_valid(e->pain_after) ||
                    strncmp(e->program, program, sizeof e->program) != 0)
                        continue;
                /* Into the newest-first window, the oldest falling out. */
                while (k < n && newer(last[k], e))
                        k++;
                if (k == OUTCOMES_LAST)
                        continue;
                for (unsigned j = MIN(n, OUTCOMES_LAST - 1u); j > k; j--)
                        last[j] = last[j - 1];
                last[k] = e;
                n = MIN(n + 1, (unsigned) OUTCOMES_LAST);
        }
        *ret = (struct outcome) { .n = n };
        for (unsigned k = 0; k < n; k++) {
                ret->before += last[k]->pain_before;
                ret->after += last[k]->pain_after;
        }
        if (n) {
                ret->before /= n;
                ret->after /= n;
        }
}

struct reason {
        char *buf;
        size_t size, len;
};

static void add(struct reason *r, const char *fmt, ...) _printf_(2, 3);
static void add(struct reason *r, const char *fmt, ...) {
        va_list ap;
        int k;

        if (r->len >= r->size - 1)
                return;
        if (r->len)
                r->len += (size_t) snprintf(r->buf + r->len, r->size - r->len, "; ");
        if (r->len >= r->size - 1) {
                r->len = r->size - 1;
                return;
        }
        va_start(ap, fmt);
        k = vsnprintf(r->buf + r->len, r->size - r->len, fmt, ap);
        va_end(ap);
        r->len = k < 0 ? r->len : MIN(r->len + (size_t) k, r->size - 1);
}

/* "lower back", as a person says it. */
static const char *area_words(enum pain_area a, char *buf, size_t size) {
        snprintf(buf, size, "%s", pain_area_to_string(a));
        for (char *c = buf; *c; c++)
                if (*c == '-')
                        *c = ' ';
        return buf;
}

/* 2, or 2.5: a mean as a person reads it. */
static const char *mean_words(double v, char *buf, size_t size) {
        double r = round(v * 10) / 10;
        if (fabs(r - round(r)) < 1e-9)
                snprintf(buf, size, "%.0f", r);
        else
                snprintf(buf, size, "%.1f", r);
        return buf;
}

static void score_areas(const struct assessment *as, uint32_t areas, int32_t *score, struct reason *why) {
        char targets[RECOMMEND_REASON_MAX] = "", word[32];
        size_t len = 0;
        unsigned others = 0;

        for (unsigned a = 0; a < _PAIN_AREA_MAX; a++) {
                bool named = pain_valid(as->pain[a]) && as->pain[a] > 0;
                if (!(areas & BIT(a)))
                        continue;
                if (!named) {
                        others++;
                        continue;
                }
                *score += POINTS_PER_PAIN * as->pain[a];
                if (len < sizeof targets - 1) {
                        int k = snprintf(targets + len, sizeof targets - len, "%s%s (pain %u)", len ? ", " : "",
                                         area_words(a, word, sizeof word), as->pain[a]);
                        len = k < 0 ? len : MIN(len + (size_t) k, sizeof targets - 1);
                }
        }
        *score += POINTS_OTHER_AREA * (int32_t) others;
        if (len)
                add(why, "targets %s", targets);
        else
                add(why, "does not work on the areas you assessed");
}

static void score_outcomes(const struct outcome *o, int32_t *score, struct reason *why) {
        char b[16], a[16];
        double change = o->after - o->before;
        int32_t points = (int32_t) lround(-change * POINTS_PER_RELIEF);

        if (!o->n)
                return;
        *score += CLAMP(points, -POINTS_OUTCOME_MAX, POINTS_OUTCOME_MAX);
        if (change > 0)
                *score += POINTS_WORSE;
        mean_words(o->before, b, sizeof b);
        mean_words(o->after, a, sizeof a);
        if (o->n == 1)
                add(why, "you rated it %s -> %s the last time%s", b, a, change > 0 ? " (worse)" : "");
        else
                add(why, "you rated it %s -> %s the last %u times%s", b, a, o->n, change > 0 ? " (worse)" : "");
}

static int cmp_recommendation(const void *x, const void *y) {
        const struct recommendation *a = x, *b = y;
        if (a->score != b->score)
                return a->score > b->score ? -1 : 1;
        return strcmp(a->program, b->program);
}

int recommend_programs(const struct recommend_input *in, struct recommendation *ret, size_t max) {
        const struct precaution_declared dec = { .conditions = in ? in->conditions : NULL,
                                                 .unreadable = in && in->conditions_unreadable,
                                                 .capped = in && in->capped,
                                                 .intensity_cap = in ? in->intensity_cap : 5,
                                                 .heat_cap = in ? in->heat_cap : 3 };
        const struct assessment *as = in && in->assessment && in->assessment->time_usec ? in->assessment : NULL;
        _cleanup_free_ struct recommendation *all = NULL;
        int most_painful = -1;
        size_t n = 0;

        if (!in || (max && !ret) || (in->n_programs && !in->programs) || (in->n_history && !in->history))
                return -EINVAL;
        /* Fail closed: unknown conditions, or one that forbids the chair, recommend nothing. */
        if (dec.unreadable)
                return 0;
        for (const char *const *c = dec.conditions; c && *c; c++) {
                const struct precaution *pr = precaution_find(*c);
                if (pr && pr->must_not_use)
                        return 0;
        }
        if (!in->n_programs || !max)
                return 0;
        all = calloc(in->n_programs, sizeof *all);
        if (!all)
                return -ENOMEM;
        for (unsigned a = 0; as && a < _PAIN_AREA_MAX; a++)
                if (pain_valid(as->pain[a]) && as->pain[a] > 0 &&
                    (most_painful < 0 || as->pain[a] > as->pain[most_painful]))
                        most_painful = (int) a;

        for (size_t i = 0; i < in->n_programs; i++) {
                const struct program_summary *p = &in->programs[i];
                struct recommendation *r = &all[n];
                struct reason why = { r->reason, sizeof r->reason, 0 };
                struct precaution_verdict v;
                struct outcome o;
                uint32_t areas = recommend_program_pain_areas(p->areas);
                int k;

                if (!p->id)
                        continue;
                /* The gate's own answer for a start at the program's default intensity. */
                k = precautions_check(&dec,
                                      &(struct precaution_request) { .kind = PRECAUTION_PROGRAM, .program = p->id,
                                                                     .excluded_by = p->precautions,
                                                                     .value = CLAMP(p->intensity, 1u, 5u), .clamp = true },
                                      &v);
                if (k < 0)
                        continue;
                *r = (struct recommendation) { .program = p->id };
                if (as && most_painful >= 0)
                        score_areas(as, areas, &r->score, &why);
                if (as && as->goal < _GOAL_MAX && goal_fits_program(&goal_fits[as->goal], p, areas, most_painful)) {
                        r->score += POINTS_GOAL;
                        add(&why, "%s", goal_fits[as->goal].why);
                }
                last_outcomes(in, p->id, &o);
                score_outcomes(&o, &r->score, &why);
                /* The gate names no condition when the person's own cap is the lower one. */
                if (k > 0 && v.condition)
                        add(&why, "intensity at most %u for your condition '%s'", v.value, v.condition);
                else if (k > 0)
                        add(&why, "intensity at most %u for your intensity cap (%u)", v.value, v.value);
                if (!why.len)
                        add(&why, "%s", as ? "allowed with your conditions" : "no assessment recorded yet");
                n++;
        }
        qsort(all, n, sizeof *all, cmp_recommendation);
        n = MIN(n, max);
        memcpy(ret, all, n * sizeof *ret);
        return (int) n;
}
