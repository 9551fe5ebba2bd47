/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "chair-io.h"
#include "macro.h"
#include "travel.h"

/* What a bound adds besides the margin: a controller tick to start, one supervisor check
 * (100 ms) to notice. And what it keeps clear of the maximum on-time. */
#define TRAVEL_GRACE_MS 500
#define TRAVEL_GUARD_MS 1000

int32_t travel_effective_speed(int32_t speed_mm_s, const struct travel_limits *l) {
        int32_t max = MAX(1, l->max_speed_mm_s);
        return CLAMP(speed_mm_s, MAX(1, max * TRAVEL_MIN_DUTY / 100), max);
}

uint64_t travel_expected_ms(int32_t distance_mm, int32_t speed_mm_s, const struct travel_limits *l) {
        uint64_t d = (uint64_t) abs(distance_mm), v = (uint64_t) travel_effective_speed(speed_mm_s, l);
        uint64_t slow = (uint64_t) MAX(1, MAX(1, l->max_speed_mm_s) * TRAVEL_MIN_DUTY / 100);
        uint64_t band = MIN(d, (uint64_t) TRAVEL_SLOWDOWN_MM);

        /* In the band the duty falls toward the minimum: at worst the band at the slowest speed. */
        return (d - band) * 1000 / v + band * 1000 / MIN(v, slow);
}

uint64_t travel_run_limit_ms(void) {
        uint64_t limit = chair_output_info(CHAIR_OUT_TRAVEL_MOTOR)->max_on_ms;

        if (!limit)
                return UINT64_MAX;
        return limit > TRAVEL_GUARD_MS ? limit - TRAVEL_GUARD_MS : 0;
}

uint64_t travel_bound_ms(uint64_t expected_ms, const struct travel_limits *l) {
        uint64_t b = expected_ms * (100 + (uint64_t) l->margin_pct) / 100 + TRAVEL_GRACE_MS;
        /* The floor never reaches the run's limit, whatever the map says: travel-timeout first. */
        return MAX(b, MIN((uint64_t) l->floor_ms, travel_run_limit_ms()));
}

uint32_t travel_legs(int32_t distance_mm, int32_t speed_mm_s, const struct travel_limits *l) {
        uint64_t limit = travel_run_limit_ms();
        int32_t d = abs(distance_mm);
        uint32_t k = 1;

        while (k < TRAVEL_MAX_LEGS && travel_bound_ms(travel_expected_ms((d + (int32_t) k - 1) / (int32_t) k, speed_mm_s, l), l) > limit)
                k++;
        return k;
}

uint64_t travel_stroke_ms(int32_t distance_mm, int32_t speed_mm_s, const struct travel_limits *l) {
        int32_t d = abs(distance_mm);
        uint32_t k = travel_legs(d, speed_mm_s, l);

        return k * (travel_expected_ms((d + (int32_t) k - 1) / (int32_t) k, speed_mm_s, l) + TRAVEL_DWELL_MS);
}

bool travel_overdue(uint64_t deadline_ns, uint64_t now_ns) {
        return deadline_ns != 0 && now_ns > deadline_ns;
}
