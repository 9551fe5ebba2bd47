/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "macro.h"
#include "scheduler/controllers.h"
#include "timeline.h"

#define MS_NS 1000000ULL

/* Heater element setpoints per level (0.1 degC) with hysteresis: on below setpoint - band, off
 * at the setpoint. Lower than RT6923's 45/51/57 so that overshoot stays clear of the default
 * 60 degC over-temperature interlock. */
static const int32_t heat_setpoints[4] = { 0, 420, 470, 520 };
#define HEAT_BAND 20
/* Air: zone pressure target per level 1-5 (0.1 kPa); the pump stops there and the zone holds. */
static const int32_t air_targets[6] = { 0, 150, 200, 250, 300, 350 };

/* Times are absolute ns: a sum that would wrap means "never" rather than "long ago". */
static uint64_t add_sat(uint64_t a, uint64_t b) {
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t ms_to_ns_sat(uint64_t ms) {
        return ms > UINT64_MAX / MS_NS ? UINT64_MAX : ms * MS_NS;
}

/* Saturates rather than overflows: the callers clamp the result to an output's range. */
static int64_t scale_pct(int64_t value, int32_t pct) {
        int64_t r;

        if (__builtin_mul_overflow(value, (int64_t) pct, &r))
                return (value < 0) != (pct < 0) ? INT64_MIN / 100 : INT64_MAX / 100;
        return r / 100;
}

/* ---- roller ---- */

int32_t roller_speed(const struct roller_setpoint *sp, int32_t speed_pct, const struct travel_limits *l) {
        return travel_effective_speed((int32_t) CLAMP(scale_pct(sp->speed, speed_pct), INT32_MIN, INT32_MAX), l);
}

void roller_start_leg(const struct roller_setpoint *sp, struct roller_progress *p, const struct roller_inputs *in,
                      const struct travel_limits *l) {
        int32_t pos = in->pos_mm, v = roller_speed(sp, in->speed_pct, l);
        /* Bounded for any encoder reading: travel_legs() adds up to TRAVEL_MAX_LEGS to it. */
        int32_t dist = (int32_t) CLAMP((int64_t) sp->target_mm - pos, -(INT32_MAX - TRAVEL_MAX_LEGS),
                                       INT32_MAX - TRAVEL_MAX_LEGS);
        uint32_t legs = travel_legs(dist, v, l);
        int32_t leg = legs > 1 ? dist / (int32_t) legs : dist;
        uint64_t bound_ms, ran_ms;

        p->leg_target_mm = legs > 1 ? pos + leg : sp->target_mm;
        bound_ms = travel_bound_ms(travel_expected_ms(leg, v, l), l);
        /* A new target while the motor runs on in the same direction continues its run: when
         * the run so far and this leg would pass the run's limit, stop a moment first. */
        ran_ms = in->now_ns > in->run_started_ns ? (in->now_ns - in->run_started_ns) / MS_NS : 0;
        if (in->run_started_ns && (in->motor > 0) == (dist > 0) && add_sat(ran_ms, bound_ms) > travel_run_limit_ms()) {
                p->dwell_until_ns = add_sat(in->now_ns, TRAVEL_DWELL_MS * MS_NS);
                p->deadline_ns = 0;
                return;
        }
        p->deadline_ns = add_sat(in->now_ns, ms_to_ns_sat(bound_ms));
}

void roller_start_travel(const struct roller_setpoint *sp, struct roller_progress *p, const struct roller_inputs *in,
                         const struct travel_limits *l) {
        p->dwell_until_ns = 0;
        roller_start_leg(sp, p, in, l);
}

int32_t roller_control(struct roller_setpoint *sp, struct roller_progress *p, const struct roller_inputs *in,
                       bool moving_allowed, const struct travel_limits *l) {
        int64_t err;
        int32_t duty;

        if (!sp->active || !moving_allowed)
                return 0;
        if (p->dwell_until_ns) {
                if (in->now_ns < p->dwell_until_ns)
                        return 0;
                p->dwell_until_ns = 0;
                roller_start_leg(sp, p, in, l);
        }
        err = (int64_t) p->leg_target_mm - in->pos_mm;
        if (llabs(err) <= TRAVEL_ARRIVED_MM) {
                /* A stop on the way, or a sweep's end: stand a moment (the motor's run ends
                 * here), then go on. The encoder says when an end is reached, not a timer. */
                bool turn = p->leg_target_mm == sp->target_mm && sp->sweeping;
                p->deadline_ns = 0;
                if (turn)
                        sp->target_mm = sp->target_mm == sp->sweep_mm[0] ? sp->sweep_mm[1] : sp->sweep_mm[0];
                if (p->leg_target_mm != sp->target_mm)
                        p->dwell_until_ns = add_sat(in->now_ns, TRAVEL_DWELL_MS * MS_NS);
                return 0;
        }
        duty = roller_speed(sp, in->speed_pct, l) * 100 / MAX(1, l->max_speed_mm_s);
        if (llabs(err) < TRAVEL_SLOWDOWN_MM)
                duty = duty * (int32_t) llabs(err) / TRAVEL_SLOWDOWN_MM;
        duty = CLAMP(duty, TRAVEL_MIN_DUTY, 100);
        /* Never push into a limit switch. */
        if ((err > 0 && in->limit_top) || (err < 0 && in->limit_bottom))
                duty = 0;
        return err > 0 ? duty : -duty;
}

bool roller_parked(int32_t pos_mm, bool limit_bottom) {
        return pos_mm <= TRAVEL_ARRIVED_MM || limit_bottom;
}

/* ---- mechanism ---- */

struct mechanism_outputs mechanism_control(const struct mechanism_setpoint *sp, int32_t intensity_pct,
                                           int32_t width_override, bool moving_allowed) {
        int32_t width = width_override >= 0 ? width_override : sp->width;

        if (!moving_allowed)
                return (struct mechanism_outputs) { .width = CLAMP(width, 0, 2) };
        return (struct mechanism_outputs) {
                .knead = (int32_t) CLAMP(scale_pct(sp->knead, intensity_pct), -100, 100),
                .tap = (int32_t) CLAMP(scale_pct(sp->tap, intensity_pct), 0, 100),
                .width = CLAMP(width, 0, 2),
                /* depth in whole steps, rounded */
                .depth = (int32_t) CLAMP((scale_pct((int64_t) sp->depth * 10, intensity_pct) + 5) / 10, 0, 5),
        };
}

/* ---- air ---- */

void air_zone_command(struct air_zone_state *z, int32_t value) {
        if ((value & 0xff) == TL_AIR_RELEASE)
                z->pumped_ns = 0; /* the next inflation starts from empty */
        z->action = value & 0xff;
        z->level = (value >> 8) & 0xff;
        z->as_given = value & TL_AIR_LEVEL_AS_GIVEN;
}

int32_t air_zone_level(const struct air_zone_state *z, int32_t intensity_pct) {
        int32_t given = z->level ? z->level : 3;
        return (int32_t) CLAMP(z->as_given ? given : scale_pct(given, intensity_pct), 1, 5);
}

int32_t air_target(int32_t level) {
        return air_targets[CLAMP(level, 1, 5)];
}

/* Zone valves are three-way: 1 connects the bag to the manifold, 0 (safe) vents it. The
 * release valve vents the manifold; it closes while any bag inflates or holds. */
void air_control(struct air_zone_state zones[_CHAIR_AIR_ZONE_MAX], uint64_t *last_ns, const struct air_inputs *in,
                 struct air_outputs *ret) {
        uint64_t dt = *last_ns && in->now_ns > *last_ns ? in->now_ns - *last_ns : 0;
        bool any_connected = false;

        *last_ns = in->now_ns;
        *ret = (struct air_outputs) {};
        for (unsigned i = 0; i < _CHAIR_AIR_ZONE_MAX; i++) {
                struct air_zone_state *z = &zones[i];
                bool inflate = z->action == TL_AIR_INFLATE;
                bool hold = z->action == TL_AIR_HOLD || (inflate && !in->inflate_allowed);
                int32_t level = air_zone_level(z, in->intensity_pct);
                uint64_t timed_ns = in->inflate_ms ? ms_to_ns_sat(in->inflate_ms[level]) : 0;

                /* Without a pressure sensor: pump for the level's time, then hold (the
                 * supervisor's inflation-time interlock still bounds the pump). */
                if (z->pumping)
                        z->pumped_ns = add_sat(z->pumped_ns, dt);
                z->pumping = inflate && in->inflate_allowed &&
                             (timed_ns ? z->pumped_ns < timed_ns : in->pressure < air_target(level));
                ret->pump |= z->pumping;
                if (inflate || hold) {
                        any_connected = true;
                        ret->active |= 1u << i;
                }
                ret->valve[i] = inflate || hold;
        }
        ret->release = !any_connected;
}

/* ---- heat ---- */

int32_t heat_zone_level(int32_t planned, bool heat_allowed) {
        /* Paused: the elements off, the level kept for the resume. */
        return heat_allowed ? CLAMP(planned, 0, 3) : 0;
}

int32_t heat_setpoint(int32_t level) {
        return heat_setpoints[CLAMP(level, 0, 3)];
}

enum heat_element heat_control(int32_t level, int32_t temp) {
        if (level <= 0)
                return HEAT_ELEMENT_OFF;
        if (temp >= heat_setpoint(level))
                return HEAT_ELEMENT_OFF;
        if (temp < heat_setpoint(level) - HEAT_BAND)
                return HEAT_ELEMENT_ON;
        return HEAT_ELEMENT_KEEP;
}
