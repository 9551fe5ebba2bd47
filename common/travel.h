/* SPDX-License-Identifier: MIT */
/*
 * How long a roller travel should take and how long it may take: one rule for the scheduler's
 * roller controller (which splits travels and arms their deadlines), the supervisor (which
 * faults an overdue travel), the planner (which sizes steps of whole sweeps) and the
 * virtual-time tests. A travel that does not arrive within its bound is travel-timeout; the
 * travel motor's maximum on-time (common/chair-io.c) is only the last line of defence, so no
 * single travel is allowed a bound that reaches it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define TRAVEL_ARRIVED_MM 3          /* the roller is "there" within this */
#define TRAVEL_SLOWDOWN_MM 15        /* proportional band before a target */
#define TRAVEL_MIN_DUTY 15           /* below this the travel motor does not move a loaded roller */
#define TRAVEL_DWELL_MS 200          /* the roller stands this long at a turn or a stop on the way */
#define TRAVEL_MARGIN_PCT_DEFAULT 25 /* the hardware map's travel_margin_pct when it gives none */
#define TRAVEL_MAX_LEGS 64
/* The reference chair's travel at 100 % duty, for planning away from a chair (the planner). */
#define TRAVEL_REFERENCE_MAX_SPEED_MM_S 40

struct travel_limits {
        int32_t max_speed_mm_s;  /* travel at 100 % duty */
        uint32_t margin_pct;     /* allowed on top of the expected time (the map's travel_margin_pct) */
        uint32_t floor_ms;       /* least time any travel is allowed (the map's travel_timeout_s) */
};

/* The speed the roller controller actually drives at for a commanded speed. */
int32_t travel_effective_speed(int32_t speed_mm_s, const struct travel_limits *l);
/* Expected time of one travel without a stop: distance at the effective speed plus the
 * slowdown band before the target. */
uint64_t travel_expected_ms(int32_t distance_mm, int32_t speed_mm_s, const struct travel_limits *l);
/* The deadline of a travel expected to take expected_ms: the map's margin on top, never less
 * than its floor. */
uint64_t travel_bound_ms(uint64_t expected_ms, const struct travel_limits *l);
/* The longest bound one run of the travel motor (no stop, no reversal) may be given: clear of
 * its maximum on-time by a supervisor check and more. */
uint64_t travel_run_limit_ms(void);
/* Into how many legs (stops on the way + 1) a travel splits so that each leg's bound stays
 * clear of the travel motor's maximum on-time. */
uint32_t travel_legs(int32_t distance_mm, int32_t speed_mm_s, const struct travel_limits *l);
/* Time of one stroke of a sweep from end to end: its legs, their stops and the turn. */
uint64_t travel_stroke_ms(int32_t distance_mm, int32_t speed_mm_s, const struct travel_limits *l);
/* The supervisor's rule: a travel is overdue once its deadline (0: none) has passed. */
bool travel_overdue(uint64_t deadline_ns, uint64_t now_ns);
