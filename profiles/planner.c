/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "planner.h"
#include "posture-presets.h"
#include "travel.h"

/* Speed level -> roller travel (mm/s) and motor duty (%); intensity level -> scale factor
 * applied to depth, motor duty and air level, within the bounds docs/profiles.md states. */
static const int32_t travel_mm_s[6] = { 0, 8, 12, 16, 22, 28 };
static const int32_t motor_duty[6] = { 0, 35, 50, 65, 80, 95 };
static const double intensity_factor[6] = { 0, 0.6, 0.8, 1.0, 1.2, 1.4 };

#define SHIATSU_SPACING_MM 50
#define SHIATSU_PRESS_MS 3000
#define SHIATSU_POINT_PRESS_MS 4000
#define SHIATSU_POINT_EASE_MS 2000
#define APPROACH_MM_S 25
/* Fitting: how far each step may stretch or shorten, and what whole strokes may leave. */
#define FIT_SCALE_MIN 0.25
#define FIT_SCALE_MAX 4.0
#define FIT_WHOLE_MS 5000
/* Focus (docs/profiles.md, "Focus"): a step's weight runs from FOCUS_LOW (none of it on the
 * assessed areas) to FOCUS_HIGH (all of it); the weights are then scaled so that the program
 * keeps its fitted length, each step kept at FOCUS_FLOOR of its unfocused time or more (the
 * first and the last, warm-up and cool-down, at all of it) and within FIT_SCALE_MAX. */
#define FOCUS_LOW 0.5
#define FOCUS_HIGH 2.0
#define FOCUS_FLOOR 0.5

struct planner {
        const struct program *p;
        const struct plan_options *o;
        struct timeline_cmd *cmds;
        size_t n, cap;
        int oom;
        uint32_t intensity;
        double factor;
        struct precaution_caps caps;
        double scale;          /* duration scale of every step given in repetitions */
        double dscale;         /* ... and of every step given a duration */
        bool exact;            /* repetitions scale to fractions of a stroke (the last fit) */
        uint32_t times[PROFILE_MAX_BLOCKS]; /* passes of each block, as fitted */
        uint32_t middle_times; /* passes of the middle of a program without blocks */
        double weight[PROFILE_MAX_STEPS]; /* per program step: its share of the time when focused, 1 otherwise */
};

struct expanded {
        size_t step;
        uint32_t pass, passes; /* of the step's block */
};

static void emit(struct planner *pl, uint64_t at_ms, enum timeline_channel c, int arg, int32_t value) {
        if (at_ms > UINT32_MAX)
                return;
        if (pl->n == pl->cap) {
                size_t cap = pl->cap ? pl->cap * 2 : 256;
                struct timeline_cmd *n = realloc(pl->cmds, cap * sizeof *n);
                if (!n) {
                        pl->oom = 1;
                        return;
                }
                pl->cmds = n;
                pl->cap = cap;
        }
        pl->cmds[pl->n++] = (struct timeline_cmd) { (uint32_t) at_ms, (uint16_t) c, (int16_t) arg, value };
}

static int32_t position_mm(const struct planner *pl, double rel) {
        const struct body_scan *s = &pl->o->scan;
        double mm = s->shoulder_mm + rel * (s->waist_mm - s->shoulder_mm);
        return (int32_t) CLAMP(lround(mm), 0, (long) pl->o->track_length_mm);
}

static uint32_t ramped(const struct profile_step *s, int what, uint32_t base, const struct expanded *e) {
        if ((int) s->ramp != what || e->passes < 2)
                return base;
        return (uint32_t) lround(s->ramp_from + ((double) s->ramp_to - s->ramp_from) * e->pass / (e->passes - 1));
}

static uint32_t level(double v, uint32_t max) {
        return (uint32_t) CLAMP(lround(v), 1, (long) max);
}

/* The reference chair's roller, for sizing steps (the scheduler uses the chair's own). */
static const struct travel_limits reference_travel = {
        .max_speed_mm_s = TRAVEL_REFERENCE_MAX_SPEED_MM_S,
        .margin_pct = TRAVEL_MARGIN_PCT_DEFAULT,
};

/* Length of one stroke of a range, in ms: what the closed-loop sweep takes from end to end
 * (its stops and the turn included), so a step of repetitions holds that many strokes. */
static uint64_t leg_ms(const struct planner *pl, const struct profile_step *s, uint32_t speed) {
        int32_t a = position_mm(pl, s->from), b = position_mm(pl, s->to);
        return travel_stroke_ms(b - a, travel_mm_s[speed], &reference_travel) + 1;
}

static uint64_t shiatsu_range_pass_ms(const struct planner *pl, const struct profile_step *s, uint32_t speed) {
        int32_t dist = abs(position_mm(pl, s->to) - position_mm(pl, s->from));
        uint64_t points = (uint64_t) dist / SHIATSU_SPACING_MM + 1;
        return points * (SHIATSU_SPACING_MM * 1000ULL / (uint64_t) travel_mm_s[speed] + SHIATSU_PRESS_MS);
}

static uint64_t air_cycle_ms(const struct profile_step *s) {
        return 1000ULL * (s->air_inflate_s + s->air_hold_s + s->air_release_s);
}

static uint32_t allowed_zones(const struct planner *pl, const struct profile_step *s) {
        return s->air_zones & ~pl->caps.forbidden_air_zones;
}

/* The scale of step STEP: the program's, times its focus weight, within the fitting's bounds. */
static double step_scale(const struct planner *pl, size_t step, double scale) {
        return CLAMP(scale * pl->weight[step], FIT_SCALE_MIN, FIT_SCALE_MAX);
}

/* How long a step lasts (before duration scaling of duration_s steps). */
static uint64_t step_length_ms(const struct planner *pl, const struct profile_step *s, const struct expanded *e) {
        uint32_t speed = ramped(s, RAMP_SPEED, s->speed, e);

        if (s->duration_s)
                return (uint64_t) lround(s->duration_s * 1000.0 * step_scale(pl, e->step, pl->dscale));
        /* repetitions: sweeps of the range, or else air cycles */
        {
                uint64_t unit = s->is_range && s->technique == TECH_SHIATSU ? shiatsu_range_pass_ms(pl, s, speed)
                                : s->is_range                               ? leg_ms(pl, s, speed)
                                                                            : air_cycle_ms(s);
                double scale = step_scale(pl, e->step, pl->scale);
                if (pl->exact)
                        return MAX(unit, (uint64_t) llround((double) unit * s->repetitions * scale));
                return (uint64_t) MAX(1, lround(s->repetitions * scale)) * unit;
        }
}

static void emit_roller(struct planner *pl, const struct profile_step *s, const struct expanded *e, uint64_t t,
                        uint64_t len) {
        uint32_t speed = ramped(s, RAMP_SPEED, s->speed, e);
        uint32_t depth = ramped(s, RAMP_DEPTH, s->depth, e);
        uint32_t max_depth = MIN(5, pl->caps.max_depth);
        int32_t d = (int32_t) level(depth * pl->factor, max_depth);
        int32_t duty = (int32_t) CLAMP(lround(motor_duty[speed] * pl->factor), 0, 100);
        int32_t knead, tap, v = travel_mm_s[speed];
        int32_t a = position_mm(pl, s->from), b = position_mm(pl, s->to);

        if (s->technique == TECH_NONE) {
                /* The roller rests where the last step left it. */
                emit(pl, t, TL_ROLLER_POSITION, 0, TL_ROLLER_HERE);
                emit(pl, t, TL_KNEAD, 0, 0);
                emit(pl, t, TL_TAP, 0, 0);
                emit(pl, t, TL_DEPTH, 0, 0);
                return;
        }
        roller_technique_motors(s->technique, duty, &knead, &tap);
        emit(pl, t, TL_WIDTH, 0, (int32_t) s->width);
        emit(pl, t, TL_KNEAD, 0, knead);
        emit(pl, t, TL_TAP, 0, tap);

        if (s->technique == TECH_SHIATSU) {
                /* Press and ease: sustained pressure at points, the roller eased between them. */
                int32_t ease = MAX(1, d - 2);
                if (!s->is_range) {
                        emit(pl, t, TL_ROLLER_POSITION, APPROACH_MM_S, a);
                        for (uint64_t u = 0; u < len; u += SHIATSU_POINT_PRESS_MS + SHIATSU_POINT_EASE_MS) {
                                emit(pl, t + u, TL_DEPTH, 0, d);
                                if (u + SHIATSU_POINT_PRESS_MS < len)
                                        emit(pl, t + u + SHIATSU_POINT_PRESS_MS, TL_DEPTH, 0, ease);
                        }
                        return;
                }
                uint64_t u = 0;
                for (int dir = 0; u < len; dir ^= 1) {
                        int32_t from = dir ? b : a, to = dir ? a : b, step = to > from ? SHIATSU_SPACING_MM : -SHIATSU_SPACING_MM;
                        for (int32_t x = from; u < len && (step > 0 ? x <= to : x >= to); x += step) {
                                emit(pl, t + u, TL_DEPTH, 0, ease);
                                emit(pl, t + u, TL_ROLLER_POSITION, (int16_t) v, x);
                                u += SHIATSU_SPACING_MM * 1000ULL / (uint64_t) v;
                                if (u >= len)
                                        break;
                                emit(pl, t + u, TL_DEPTH, 0, d);
                                u += SHIATSU_PRESS_MS;
                        }
                }
                return;
        }

        emit(pl, t, TL_DEPTH, 0, d);
        if (!s->is_range) {
                emit(pl, t, TL_ROLLER_POSITION, APPROACH_MM_S, a);
                return;
        }
        /* Sweeps: long strokes up and down the range, closed-loop from end to end (the
         * scheduler turns when the encoder says an end is reached), for the step's length; the
         * first stroke goes to TO (docs/profiles.md). */
        emit(pl, t, TL_ROLLER_SWEEP, (int16_t) v, timeline_sweep_value(b, a));
}

static void emit_air(struct planner *pl, const struct profile_step *s, const struct expanded *e, uint64_t t, uint64_t len) {
        uint32_t zones = allowed_zones(pl, s);
        uint32_t lvl = level(ramped(s, RAMP_AIR, s->air_level, e) * pl->factor, 5);
        uint64_t cycle = air_cycle_ms(s);

        if (!zones || !cycle)
                return;
        for (uint64_t u = 0; u < len; u += cycle)
                for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++) {
                        if (!(zones & (1u << z)))
                                continue;
                        emit(pl, t + u, TL_AIR_ZONE, (int) z, TL_AIR_INFLATE | (int32_t) (lvl << 8));
                        if (u + s->air_inflate_s * 1000ULL < len)
                                emit(pl, t + u + s->air_inflate_s * 1000ULL, TL_AIR_ZONE, (int) z, TL_AIR_HOLD);
                        if (u + (s->air_inflate_s + s->air_hold_s) * 1000ULL < len)
                                emit(pl, t + u + (s->air_inflate_s + s->air_hold_s) * 1000ULL, TL_AIR_ZONE, (int) z,
                                     TL_AIR_RELEASE);
                }
        /* Never carry air into the next step. */
        for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++)
                if (zones & (1u << z))
                        emit(pl, t + len, TL_AIR_ZONE, (int) z, TL_AIR_RELEASE);
}

#define LEG_ZONES ((1u << CHAIR_AIR_CALVES) | (1u << CHAIR_AIR_FEET))

/* Posture at the step's start (it holds until a later step moves it; the session returns the
 * chair upright at a normal end); the leg channels for the step, off at its end. With a
 * condition that forbids pressing the calves and feet the leg rest and the leg channels are
 * left out, as the air on those zones is. */
static void emit_posture(struct planner *pl, const struct profile_step *s, uint64_t t, uint64_t len) {
        bool legs = !(pl->caps.forbidden_air_zones & LEG_ZONES);

        if (s->posture != PROFILE_UNSET)
                emit(pl, t, TL_POSTURE, TL_POSTURE_PRESET, s->posture);
        if (s->recline != PROFILE_UNSET)
                emit(pl, t, TL_POSTURE, CHAIR_AXIS_RECLINE, s->recline);
        if (s->legrest != PROFILE_UNSET && legs)
                emit(pl, t, TL_POSTURE, CHAIR_AXIS_LEGREST_LIFT, s->legrest);
        if (s->foot_rollers != PROFILE_UNSET && s->foot_rollers && legs) {
                emit(pl, t, TL_FOOT_ROLLERS, 0, s->foot_rollers);
                emit(pl, t + len, TL_FOOT_ROLLERS, 0, 0);
        }
        if (s->calf_knead != PROFILE_UNSET && s->calf_knead && legs) {
                emit(pl, t, TL_CALF_KNEAD, 0, s->calf_knead);
                emit(pl, t + len, TL_CALF_KNEAD, 0, 0);
        }
}

static uint64_t emit_step(struct planner *pl, const struct expanded *e, size_t index, uint64_t t) {
        const struct profile_step *s = &pl->p->steps[e->step];
        uint64_t len = step_length_ms(pl, s, e);

        /* arg: which of the program's steps, so tools can name it; value: the running index */
        emit(pl, t, TL_STEP, (int) e->step, (int32_t) index);
        emit_roller(pl, s, e, t, len);
        emit_air(pl, s, e, t, len);
        emit_posture(pl, s, t, len);
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++)
                if (s->heat[z] != UINT32_MAX && !pl->caps.no_heat && !pl->o->no_heat)
                        emit(pl, t, TL_HEAT_ZONE, (int) z, (int32_t) s->heat[z]);
        return len;
}

static uint64_t program_ms(const struct planner *pl, const struct expanded *seq, size_t n) {
        uint64_t total = 0;
        for (size_t i = 0; i < n; i++)
                total += step_length_ms(pl, &pl->p->steps[seq[i].step], &seq[i]);
        return total;
}

/* Halves [lo, hi] `rounds` times (or until it closes) and leaves the planner at the largest
 * scale found whose program still fits in target (lo when none above it does): both scales
 * together, or the steps' durations alone. */
static void fit_scale(struct planner *pl, const struct expanded *seq, size_t n, uint64_t target,
                      double lo, double hi, int rounds, bool durations_only) {
        for (int k = 0; k < rounds && lo < hi; k++) {
                double mid = (lo + hi) / 2;
                pl->dscale = mid;
                if (!durations_only)
                        pl->scale = mid;
                if (program_ms(pl, seq, n) <= target)
                        lo = mid;
                else
                        hi = mid;
        }
        pl->dscale = lo;
        if (!durations_only)
                pl->scale = lo;
}

struct indexed_cmd {
        struct timeline_cmd cmd;
        size_t index;
};

static int cmp_indexed(const void *a, const void *b) {
        const struct indexed_cmd *x = a, *y = b;
        if (x->cmd.at_ms != y->cmd.at_ms)
                return x->cmd.at_ms < y->cmd.at_ms ? -1 : 1;
        return x->index < y->index ? -1 : x->index > y->index;
}

/* Stable: between commands of the same time, emission order decides (a release before the
 * next step's inflate of the same zone). */
static int sort_stable(struct timeline_cmd *c, size_t n) {
        struct indexed_cmd *tmp = malloc((n ? n : 1) * sizeof *tmp);
        if (!tmp)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                tmp[i] = (struct indexed_cmd) { c[i], i };
        qsort(tmp, n, sizeof *tmp, cmp_indexed);
        for (size_t i = 0; i < n; i++)
                c[i] = tmp[i].cmd;
        free(tmp);
        return 0;
}

/* The program's steps in play order, each block PL->times[b] passes, and the middle of a
 * program without blocks (every step but the first and the last) PL->middle_times passes. */
static size_t expand(const struct planner *pl, struct expanded *out, size_t max) {
        const struct program *p = pl->p;
        size_t n = 0;

        if (p->n_blocks == 0 && p->n_steps > 2) {
                out[n++] = (struct expanded) { 0, 0, 1 };
                for (uint32_t pass = 0; pass < pl->middle_times; pass++)
                        for (size_t j = 1; j + 1 < p->n_steps && n < max; j++)
                                out[n++] = (struct expanded) { j, 0, 1 };
                if (n < max)
                        out[n++] = (struct expanded) { p->n_steps - 1, 0, 1 };
                return n;
        }
        for (size_t i = 0; i < p->n_steps;) {
                int b = p->steps[i].block;
                size_t end = i + 1;
                uint32_t passes = 1;
                if (b >= 0) {
                        while (end < p->n_steps && p->steps[end].block == b)
                                end++;
                        passes = pl->times[b];
                }
                for (uint32_t pass = 0; pass < passes; pass++)
                        for (size_t j = i; j < end && n < max; j++)
                                out[n++] = (struct expanded) { j, pass, passes };
                i = end;
        }
        return n;
}

#define MAX_EXPANDED (PROFILE_MAX_STEPS * PROFILE_MAX_BLOCK_TIMES)

static uint64_t expanded_ms(struct planner *pl, struct expanded *seq, size_t *n) {
        *n = expand(pl, seq, MAX_EXPANDED);
        return program_ms(pl, seq, *n);
}

static uint64_t absdiff(uint64_t a, uint64_t b) {
        return a > b ? a - b : b - a;
}

/* Whole passes first: add or drop one pass of a block (or of the middle) while that brings the
 * unscaled length nearer the target. Each change strictly reduces the distance, so it ends. */
static void fit_passes(struct planner *pl, struct expanded *seq, uint64_t target) {
        size_t n;
        uint32_t *counts = pl->p->n_blocks ? pl->times : &pl->middle_times;
        size_t n_counts = pl->p->n_blocks ? pl->p->n_blocks : 1;
        uint64_t best = absdiff(expanded_ms(pl, seq, &n), target);

        for (bool changed = true; changed;) {
                changed = false;
                for (size_t b = 0; b < n_counts && !changed; b++)
                        for (int d = -1; d <= 1 && !changed; d += 2) {
                                uint32_t old = counts[b];
                                if ((d < 0 && old <= 1) || (d > 0 && old >= PROFILE_MAX_BLOCK_TIMES))
                                        continue;
                                counts[b] = old + (uint32_t) d;
                                uint64_t diff = absdiff(expanded_ms(pl, seq, &n), target);
                                if (diff < best) {
                                        best = diff;
                                        changed = true;
                                } else {
                                        counts[b] = old;
                                }
                        }
        }
}

/* The fitting rule (docs/profiles.md) after the passes: every step stretched or shortened
 * (0.25-4x) in whole strokes, the steps given a duration filling what whole strokes leave; if
 * that is still more than FIT_WHOLE_MS off, the strokes too scale to a fraction (the sweep is
 * closed-loop: the step's time bounds its passes). The length grows with each scale, so halving
 * the interval finds it. */
static void fit_lengths(struct planner *pl, const struct expanded *seq, size_t n, uint64_t target) {
        uint64_t natural;
        double hi;

        pl->scale = pl->dscale = 1.0;
        pl->exact = false;
        natural = program_ms(pl, seq, n);
        hi = CLAMP((double) target / (double) MAX(natural, 1u), FIT_SCALE_MIN, FIT_SCALE_MAX);
        pl->scale = pl->dscale = hi;
        if (program_ms(pl, seq, n) > target)
                fit_scale(pl, seq, n, target, FIT_SCALE_MIN, hi, 30, false);
        fit_scale(pl, seq, n, target, pl->dscale, FIT_SCALE_MAX, 30, true);
        if (absdiff(program_ms(pl, seq, n), target) > FIT_WHOLE_MS) {
                pl->exact = true;
                fit_scale(pl, seq, n, target, FIT_SCALE_MIN, FIT_SCALE_MAX, 40, false);
        }
}

/* Body-relative bands of the roller (0 the shoulder point, 1 the waist point, the loader's
 * -0.45..1.55 at most) and the air zones, as pain areas: the one step-to-area mapping
 * (docs/profiles.md, "Focus"). Calves and feet are reached by air only. */
static const struct {
        double from, to;
} focus_bands[_PAIN_AREA_MAX] = {
        [PAIN_NECK] = { -1.0, -0.1 },
        [PAIN_SHOULDERS] = { -0.1, 0.15 },
        [PAIN_UPPER_BACK] = { 0.15, 0.55 },
        [PAIN_LOWER_BACK] = { 0.55, 1.1 },
        [PAIN_HIPS] = { 1.1, 2.0 },
        [PAIN_CALVES] = { 0, 0 },
        [PAIN_FEET] = { 0, 0 },
};

static const int air_zone_area[_CHAIR_AIR_ZONE_MAX] = {
        [CHAIR_AIR_SHOULDERS] = PAIN_SHOULDERS,
        [CHAIR_AIR_ARMS] = -1,
        [CHAIR_AIR_BACK] = PAIN_LOWER_BACK,
        [CHAIR_AIR_SEAT] = PAIN_HIPS,
        [CHAIR_AIR_CALVES] = PAIN_CALVES,
        [CHAIR_AIR_FEET] = PAIN_FEET,
};

/* A focused area counts whole; one next to a focused area, in the body's order from the neck
 * down (enum pain_area), counts half: the shoulder line serves a sore neck. */
static double focus_credit(uint32_t focus, unsigned area) {
        if (focus & (1u << area))
                return 1.0;
        if ((area > 0 && (focus & (1u << (area - 1)))) || (area + 1 < _PAIN_AREA_MAX && (focus & (1u << (area + 1)))))
                return 0.5;
        return 0;
}

/* How much of a step works the areas in FOCUS, 0-1: of the roller, the part of its range (or
 * its point) inside their bands; of the air, the mean over its zones; the larger of the two. */
double planner_step_focus(const struct profile_step *s, uint32_t focus) {
        double roller = 0, air = 0;
        unsigned zones = 0;

        if (s->technique != TECH_NONE) {
                double lo = MIN(s->from, s->to), hi = MAX(s->from, s->to);
                for (unsigned a = 0; a < _PAIN_AREA_MAX; a++) {
                        double b0 = focus_bands[a].from, b1 = focus_bands[a].to, part;
                        if (b0 >= b1)
                                continue;
                        if (hi - lo < 1e-9)
                                part = lo >= b0 && lo < b1;
                        else
                                part = MAX(0.0, MIN(hi, b1) - MAX(lo, b0)) / (hi - lo);
                        roller += part * focus_credit(focus, a);
                }
        }
        for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++) {
                if (!(s->air_zones & (1u << z)))
                        continue;
                zones++;
                if (air_zone_area[z] >= 0)
                        air += focus_credit(focus, (unsigned) air_zone_area[z]);
        }
        if (zones)
                air /= zones;
        return CLAMP(MAX(roller, air), 0.0, 1.0);
}

/* Moves time towards the focused steps: PL's fitted lengths are the reference; each step's
 * multiplier is k * its weight, bounded below by the floor and above by FIT_SCALE_MAX, with k
 * found (halving) so that the total is what it was. Then the fitting runs again on the
 * weighted steps with the passes as fitted, to whole strokes where it can. */
static void focus_weights(struct planner *pl, const struct expanded *seq, size_t n, uint64_t target) {
        const struct program *p = pl->p;
        double len[PROFILE_MAX_STEPS] = {}, w[PROFILE_MAX_STEPS], lo[PROFILE_MAX_STEPS], hi[PROFILE_MAX_STEPS];
        double total = 0, wmin = FOCUS_HIGH, wmax = FOCUS_LOW, hmax = 1, k0 = 0, k1;

        for (size_t i = 0; i < n; i++)
                len[seq[i].step] += (double) step_length_ms(pl, &p->steps[seq[i].step], &seq[i]);
        for (size_t j = 0; j < p->n_steps; j++) {
                double scale = p->steps[j].duration_s ? pl->dscale : pl->scale;
                total += len[j];
                w[j] = FOCUS_LOW + (FOCUS_HIGH - FOCUS_LOW) * planner_step_focus(&p->steps[j], pl->o->focus_areas);
                wmin = MIN(wmin, w[j]);
                wmax = MAX(wmax, w[j]);
                hi[j] = MAX(1.0, FIT_SCALE_MAX / scale);
                hmax = MAX(hmax, hi[j]);
                lo[j] = MIN(1.0, MAX(j == 0 || j + 1 == p->n_steps ? 1.0 : FOCUS_FLOOR, FIT_SCALE_MIN / scale));
        }
        /* Nothing in it on those areas, or all of it: the program as fitted. */
        if (wmax - wmin < 1e-9 || total <= 0)
                return;
        /* The total grows with k, from every step at its floor (k = 0) to every step at its
         * maximum (k1), and the fitted total lies between. */
        k1 = hmax / FOCUS_LOW;
        for (int r = 0; r < 60; r++) {
                double k = (k0 + k1) / 2, sum = 0;
                for (size_t j = 0; j < p->n_steps; j++)
                        sum += len[j] * CLAMP(k * w[j], lo[j], hi[j]);
                if (sum <= total)
                        k0 = k;
                else
                        k1 = k;
        }
        for (size_t j = 0; j < p->n_steps; j++)
                pl->weight[j] = CLAMP(k0 * w[j], lo[j], hi[j]);
        fit_lengths(pl, seq, n, target);
}

int planner_plan(const struct program *p, const struct plan_options *o, struct timeline *ret) {
        struct planner pl = { .p = p, .o = o, .scale = 1.0, .dscale = 1.0 };
        struct expanded *seq;
        size_t n;
        uint64_t t = 0, natural = 0, target;
        int r;

        memset(ret, 0, sizeof *ret);
        if (o->track_length_mm <= 0 || o->scan.shoulder_mm <= o->scan.waist_mm)
                return -EINVAL;
        pl.caps = o->caps_given ? o->caps : (struct precaution_caps) { .max_intensity = 5, .max_depth = 5 };
        pl.intensity = o->intensity ? o->intensity : p->intensity;
        pl.intensity = CLAMP(pl.intensity, 1u, MIN(5u, pl.caps.max_intensity));
        pl.factor = intensity_factor[pl.intensity];

        for (size_t j = 0; j < PROFILE_MAX_STEPS; j++)
                pl.weight[j] = 1.0;
        for (size_t b = 0; b < p->n_blocks; b++)
                pl.times[b] = p->blocks[b].times;
        pl.middle_times = 1;
        seq = calloc(MAX_EXPANDED, sizeof *seq);
        if (!seq)
                return -ENOMEM;
        natural = expanded_ms(&pl, seq, &n);
        if (o->natural || !natural) {
                target = natural;
        } else {
                target = 1000ULL * (o->duration_s ? o->duration_s : p->duration_s);
                /* Whole passes of the blocks first, then the steps' lengths; focused, the
                 * time then moves towards the steps on the assessed areas. */
                fit_passes(&pl, seq, target);
                expanded_ms(&pl, seq, &n);
                fit_lengths(&pl, seq, n, target);
                if (o->focus_areas)
                        focus_weights(&pl, seq, n, target);
        }

        for (size_t i = 0; i < n; i++)
                t += emit_step(&pl, &seq[i], i, t);
        free(seq);
        if (pl.oom) {
                free(pl.cmds);
                return -ENOMEM;
        }
        if (!o->natural && t > target) {
                /* Cut the end: nothing starts at or after the session's end. */
                size_t k = 0;
                for (size_t i = 0; i < pl.n; i++)
                        if (pl.cmds[i].at_ms < target)
                                pl.cmds[k++] = pl.cmds[i];
                pl.n = k;
                t = target;
        }
        r = sort_stable(pl.cmds, pl.n);
        if (r < 0) {
                free(pl.cmds);
                return r;
        }
        ret->cmds = pl.cmds;
        ret->n_cmds = pl.n;
        ret->duration_ms = (uint32_t) MIN(t, (uint64_t) UINT32_MAX);
        return 0;
}

void planner_limits(uint32_t intensity, const struct precaution_caps *caps, struct plan_limits *ret) {
        uint32_t i = CLAMP(intensity, 1u, MIN(5u, caps && caps->max_intensity ? caps->max_intensity : 5u));
        uint32_t max_depth = MIN(5u, caps && caps->max_depth ? caps->max_depth : 5u);

        ret->depth = (int32_t) level(5 * intensity_factor[i], max_depth);
        ret->duty = (int32_t) CLAMP(lround(motor_duty[5] * intensity_factor[i]), 0, 100);
}

int32_t planner_motor_duty(uint32_t speed, uint32_t intensity) {
        return (int32_t) CLAMP(lround(motor_duty[CLAMP(speed, 1u, 5u)] * intensity_factor[CLAMP(intensity, 1u, 5u)]), 0, 100);
}

void planner_format(const struct timeline *t, FILE *out) {
        static const char *const actions[] = { "release", "inflate", "hold" };

        fprintf(out, "# %zu commands, %u.%03u s\n", t->n_cmds, t->duration_ms / 1000, t->duration_ms % 1000);
        for (size_t i = 0; i < t->n_cmds; i++) {
                const struct timeline_cmd *c = &t->cmds[i];
                fprintf(out, "%8u.%03u  %-6s ", c->at_ms / 1000, c->at_ms % 1000, timeline_channel_name(c->channel));
                switch ((enum timeline_channel) c->channel) {
                case TL_ROLLER_POSITION:
                        if (c->value == TL_ROLLER_HERE)
                                fprintf(out, "stop\n");
                        else
                                fprintf(out, "%d mm at %d mm/s\n", c->value, c->arg);
                        break;
                case TL_ROLLER_SWEEP:
                        fprintf(out, "%d..%d mm at %d mm/s\n", timeline_sweep_first(c->value),
                                timeline_sweep_second(c->value), c->arg);
                        break;
                case TL_AIR_ZONE:
                        fprintf(out, "%s %s", chair_air_zone_name(c->arg), actions[(c->value & 0xff) % 3]);
                        if ((c->value & 0xff) == TL_AIR_INFLATE)
                                fprintf(out, " level %d", (c->value >> 8) & 0xff);
                        fputc('\n', out);
                        break;
                case TL_HEAT_ZONE:
                        fprintf(out, "%s level %d\n", chair_heat_zone_name(c->arg), c->value);
                        break;
                case TL_POSTURE:
                        if (c->arg == TL_POSTURE_PRESET)
                                fprintf(out, "%s\n", posture_preset_to_string((enum posture_preset) c->value) ?: "?");
                        else if (c->value == TL_POSTURE_LEAVE)
                                fprintf(out, "%s left\n", chair_axis_info(c->arg) ? chair_axis_info(c->arg)->name : "?");
                        else
                                fprintf(out, "%s %d permille\n", chair_axis_info(c->arg) ? chair_axis_info(c->arg)->name : "?",
                                        c->value);
                        break;
                case TL_FOOT_ROLLERS:
                case TL_CALF_KNEAD:
                case TL_KNEAD:
                case TL_TAP:
                        fprintf(out, "%d %%\n", c->value);
                        break;
                case TL_WIDTH:
                        fprintf(out, "%s\n", c->value == 0 ? "narrow" : c->value == 1 ? "medium" : "wide");
                        break;
                default:
                        fprintf(out, "%d\n", c->value);
                        break;
                }
        }
}
