/* SPDX-License-Identifier: MIT */
/*
 * The scheduler's controllers: what each output should be, decided from the setpoints the
 * timeline gave, the inputs read this wake-up and the time. Pure functions: no globals, no I/O,
 * no clock; the caller (daemon/scheduler.c) reads the inputs, passes the time and writes the
 * outputs. State they keep from one tick to the next is in the structs they are given.
 *
 * - roller: position and sweep, closed-loop on the encoder; travels split into legs with a
 *   stop between them, each leg with a deadline the supervisor checks (common/travel.h).
 * - mechanism: knead, tap, width, depth, scaled by the live intensity.
 * - air: zone valves, pump and release valve; to a pressure target, or by time on a chair
 *   without a pressure sensor.
 * - heat: each element on and off around its level's setpoint.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "chair-io.h"
#include "travel.h"

/* ---- roller ---- */

/* Where the timeline asks the roller to go. */
struct roller_setpoint {
        bool active;
        int32_t target_mm, speed;   /* where the current travel ends, at what speed (mm/s) */
        bool sweeping;              /* turn at each end of sweep_mm, closed-loop */
        int32_t sweep_mm[2];
};

/* The controller's own progress through a travel. */
struct roller_progress {
        int32_t leg_target_mm;      /* a travel runs in legs, with a stop between them */
        uint64_t dwell_until_ns;    /* standing at a stop or a turn until then, 0: not */
        uint64_t deadline_ns;       /* when the leg should have arrived, 0: it stands */
};

struct roller_inputs {
        uint64_t now_ns;
        int32_t pos_mm;             /* from the encoder */
        bool limit_top, limit_bottom;
        int32_t speed_pct;          /* the live speed modifier */
        int32_t motor;              /* the travel motor's output now (duty, signed) */
        uint64_t run_started_ns;    /* when the motor's current run began, 0: it stands */
};

/* The speed the travel is driven at: the setpoint's, scaled by the live modifier, within what
 * the chair can do. */
int32_t roller_speed(const struct roller_setpoint *sp, int32_t speed_pct, const struct travel_limits *l);
/* The next leg of the travel to sp->target_mm from where the roller is, and its deadline (its
 * expected time plus the map's margin). A leg that would carry the motor's current run past its
 * limit starts with a stop instead. */
void roller_start_leg(const struct roller_setpoint *sp, struct roller_progress *p, const struct roller_inputs *in,
                      const struct travel_limits *l);
/* A new travel: no stop, its first leg at once. */
void roller_start_travel(const struct roller_setpoint *sp, struct roller_progress *p, const struct roller_inputs *in,
                         const struct travel_limits *l);
/* One tick: the travel motor's duty (-100..100, 0 stands). Arriving at a sweep's end turns the
 * sweep (sp->target_mm moves to the other end). Never pushes into a limit switch. */
int32_t roller_control(struct roller_setpoint *sp, struct roller_progress *p, const struct roller_inputs *in,
                       bool moving_allowed, const struct travel_limits *l);
/* Settling is done: the roller is at the bottom (or on its limit). */
bool roller_parked(int32_t pos_mm, bool limit_bottom);

/* ---- mechanism ---- */

struct mechanism_setpoint {
        int32_t knead, tap, width, depth;
};

struct mechanism_outputs {
        int32_t knead, tap, width, depth;
};

/* width_override: the person's width (0-2), -1: the timeline's. */
struct mechanism_outputs mechanism_control(const struct mechanism_setpoint *sp, int32_t intensity_pct,
                                           int32_t width_override, bool moving_allowed);

/* ---- air ---- */

struct air_zone_state {
        int32_t action;             /* TL_AIR_* */
        int32_t level;              /* 1-5, 0: 3 */
        bool as_given;              /* TL_AIR_LEVEL_AS_GIVEN: not scaled by the intensity */
        uint64_t pumped_ns;         /* timed inflation: pumping so far */
        bool pumping;               /* ... since the last control pass */
};

struct air_inputs {
        uint64_t now_ns;
        int32_t pressure;           /* 0.1 kPa */
        int32_t intensity_pct;
        bool inflate_allowed;       /* false: inflating zones hold */
        const uint32_t *inflate_ms; /* [6]: ms of pumping per level 1-5; all zero: by pressure */
};

struct air_outputs {
        bool valve[_CHAIR_AIR_ZONE_MAX]; /* 1 connects the bag to the manifold, 0 vents it */
        bool pump, release;
        uint32_t active;            /* zones inflating or holding, a bit each */
};

/* A timeline's air command: action in the low byte, level above it, TL_AIR_LEVEL_AS_GIVEN. */
void air_zone_command(struct air_zone_state *z, int32_t value);
/* The level a zone aims at, 1-5. */
int32_t air_zone_level(const struct air_zone_state *z, int32_t intensity_pct);
/* The pressure target of a level 1-5, 0.1 kPa. */
int32_t air_target(int32_t level);
/* One pass over every zone. last_ns: the time of the previous pass (0: none), updated. */
void air_control(struct air_zone_state zones[_CHAIR_AIR_ZONE_MAX], uint64_t *last_ns, const struct air_inputs *in,
                 struct air_outputs *ret);

/* ---- heat ---- */

enum heat_element {
        HEAT_ELEMENT_KEEP = -1,     /* inside the hysteresis band: leave it as it is */
        HEAT_ELEMENT_OFF = 0,
        HEAT_ELEMENT_ON = 1,
};

/* The level a zone heats at, 0-3: the timeline's, 0 while heat is not allowed (paused). */
int32_t heat_zone_level(int32_t planned, bool heat_allowed);
/* The element's setpoint for a level, 0.1 degC (0 for level 0). */
int32_t heat_setpoint(int32_t level);
/* On below the setpoint minus the band, off at the setpoint; off at level 0 and for a
 * temperature that cannot be read (INT32_MAX). */
enum heat_element heat_control(int32_t level, int32_t temp);
