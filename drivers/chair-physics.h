/* SPDX-License-Identifier: MIT */
/*
 * A deterministic model of the reference chair, stepped by its caller: the in-process sim
 * backend (massagechaird --simulate) and chairsim share it, so both behave the same.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "chair-io.h"

enum chair_physics_fault {
        PHYS_FAULT_STUCK_SENSOR,      /* the roller load sensor freezes */
        PHYS_FAULT_THERMISTOR_OPEN,   /* lumbar temperature reads -40 degC */
        PHYS_FAULT_THERMISTOR_SHORT,  /* lumbar temperature reads 150 degC */
        PHYS_FAULT_OVER_TEMPERATURE,  /* the lumbar element runs away */
        PHYS_FAULT_OVER_PRESSURE,     /* a welded pump relay, a blocked vent: pressure climbs */
        PHYS_FAULT_LOST_ENCODER,      /* no pulses while the roller moves */
        PHYS_FAULT_SPURIOUS_PULSES,   /* pulses while the roller stands */
        PHYS_FAULT_STALLED_MOTOR,     /* the roller does not move; current soars */
        PHYS_FAULT_BOTH_LIMITS,       /* both limit switches read active */
        PHYS_FAULT_SUPPLY_LOW,
        PHYS_FAULT_SUPPLY_HIGH,
        PHYS_FAULT_ESTOP,             /* the emergency stop is pressed */
        PHYS_FAULT_HEAT_NOT_RISING,   /* the element is dead: no warming */
        /* An object (a child's leg, a toy) in the leg rest's path: the first move of the lift or
         * the extension after it is placed meets it 20 mm on; it blocks the move, presses the
         * bumper and the motor's current rises. */
        PHYS_FAULT_LEGREST_OBSTRUCTION,
        PHYS_FAULT_RECLINE_BOTH_ENDS, /* both recline end switches read active (a wiring fault) */
        _PHYS_FAULT_MAX,
};

struct chair_physics_params {
        int32_t track_length_mm;
        int32_t pulses_per_mm;
        int32_t max_speed_mm_s;       /* travel at 100 % duty */
        int32_t shoulder_mm, waist_mm; /* the seated person */
        int32_t ambient_decic;
        int32_t supply_mv;
        /* The posture axes: travel between the end switches, speed at 100 % duty. */
        struct {
                int32_t travel_mm;
                int32_t max_speed_mm_s;
        } axis[_CHAIR_AXIS_MAX];
        int32_t legrest_reach_mm;     /* knee to foot rest with the extension retracted */
};

/* The person in the chair, as the seat, the foot rest and the leg rest feel them. */
struct chair_physics_occupant {
        bool seated;
        int32_t leg_mm;               /* knee to sole: the feet are felt once the foot rest reaches it */
        bool feet_on;                 /* the person puts the feet on the foot rest */
};

struct chair_physics_axis {
        double mm;                    /* from the end_min switch */
        double speed;                 /* mm/s, with the mechanism's inertia */
        int obstacle_dir;             /* legrest obstruction: +1/-1 the side it lies on, 0 none yet */
        double obstacle_mm;
};

struct chair_physics {
        struct chair_physics_params params;
        int32_t out[_CHAIR_OUT_MAX];
        double roller_mm;
        double encoder;               /* pulses, fractional */
        double pressure;              /* 0.1 kPa, manifold and connected bags */
        double bag[_CHAIR_AIR_ZONE_MAX];
        double temp[_CHAIR_HEAT_ZONE_MAX];       /* 0.1 degC */
        double element[_CHAIR_HEAT_ZONE_MAX];    /* element temperature */
        int32_t frozen_load;
        int32_t panel_key;            /* code of the key held, 0 none */
        uint32_t panel_presses;       /* the panel board's latch: presses so far ... */
        int32_t panel_last_code;      /* ... and the code of the latest */
        bool fault[_PHYS_FAULT_MAX];
        uint64_t time_ms;
        struct chair_physics_axis axis[_CHAIR_AXIS_MAX];
        struct chair_physics_occupant occupant;
        int8_t input_axis[_CHAIR_IN_MAX];       /* chair_input_axis(), looked up once at init */
};

/* Everything an axis's inputs (position, end switches, current) are computed from: equal keys,
 * equal inputs, so a caller may skip an axis at rest. */
struct chair_physics_axis_key {
        double mm, obstacle_mm;
        int32_t duty, travel_mm;
        int32_t obstacle_dir;
        bool seated, obstruction, both_ends;
};

void chair_physics_default_params(struct chair_physics_params *ret);
void chair_physics_axis_key(const struct chair_physics *p, enum chair_axis a, struct chair_physics_axis_key *ret);
void chair_physics_init(struct chair_physics *p, const struct chair_physics_params *params);
void chair_physics_set_output(struct chair_physics *p, enum chair_output out, int32_t value);
void chair_physics_step(struct chair_physics *p, uint32_t dt_ms);
int32_t chair_physics_input(const struct chair_physics *p, enum chair_input in);
/* -EINVAL unless 0 < leg_mm <= 2000. */
int chair_physics_set_occupant(struct chair_physics *p, bool seated, int32_t leg_mm, bool feet_on);
/* A key pressed (code) or released (0) on the panel; a new code counts as a press. */
void chair_physics_press_key(struct chair_physics *p, int32_t code);
void chair_physics_inject(struct chair_physics *p, enum chair_physics_fault f, bool on);
/* True when nothing moves or changes any more, so the caller may stop stepping. */
bool chair_physics_at_rest(const struct chair_physics *p);
/* Nothing moves, pumps, heats, holds air or is faulted: at most the temperatures drift back to
 * ambient, over minutes, so a step a second follows them closely enough. */
bool chair_physics_only_cooling(const struct chair_physics *p);

const char *chair_physics_fault_name(enum chair_physics_fault f);
int chair_physics_fault_from_name(const char *name);
