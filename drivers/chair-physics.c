/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "chair-physics.h"
#include "macro.h"

/* Air: the pump raises a connected volume by this much per second (0.1 kPa/s); a bag leaks
 * slowly, the vent empties fast. */
#define PUMP_RATE 150.0
#define LEAK_RATE 0.02
#define VENT_RATE 3.0
/* Heat: the element approaches its drive temperature, the sensed zone follows the element. */
#define PUMP_MAX 900.0      /* the pump's stall pressure, 90 kPa */
/* Heat: the element approaches its drive temperature, the sensed zone follows the element. A
 * level-3 setpoint of 57 degC arrives after about a minute of element-on. */
#define ELEMENT_HOT 800.0   /* 80 degC: where a permanently-on element would settle */
#define ELEMENT_RUNAWAY 1100.0 /* a welded heater relay with no cut-off */
#define ELEMENT_TAU_S 50.0
#define ZONE_TAU_S 8.0
/* Settled: closer than this to ambient (0.1 degC) or to zero (0.1 kPa) snaps to it. */
#define SETTLED_DECIC 2.0
#define SETTLED_PRESSURE 0.5
/* The motor current: idle electronics, per % duty of each motor, and a locked rotor. */
#define CURRENT_IDLE_MA 150
#define CURRENT_STALL_MA 9000
/* The posture axes: the mechanism reaches its speed within a few tenths of a second; the motor
 * draws a running current with duty and occupant load, and far more against an end stop or an
 * obstruction (a locked actuator). */
#define AXIS_TAU_S 0.15
#define AXIS_STOP_TAU_S 0.05   /* a self-locking lead screw: unpowered, it stops within a few mm */
#define AXIS_CURRENT_BASE_MA 300
#define AXIS_CURRENT_PER_PCT_MA 10
#define AXIS_STALL_PER_PCT_MA 55
#define OBSTACLE_GAP_MM 20.0
/* Longest internal step, so that a caller stepping seconds at once stays stable. */
#define MAX_SUBSTEP_MS 10

static const char *const fault_names[_PHYS_FAULT_MAX] = {
        [PHYS_FAULT_STUCK_SENSOR] = "stuck-sensor",
        [PHYS_FAULT_THERMISTOR_OPEN] = "thermistor-open",
        [PHYS_FAULT_THERMISTOR_SHORT] = "thermistor-short",
        [PHYS_FAULT_OVER_TEMPERATURE] = "over-temperature",
        [PHYS_FAULT_OVER_PRESSURE] = "over-pressure",
        [PHYS_FAULT_LOST_ENCODER] = "lost-encoder",
        [PHYS_FAULT_SPURIOUS_PULSES] = "spurious-pulses",
        [PHYS_FAULT_STALLED_MOTOR] = "stalled-motor",
        [PHYS_FAULT_BOTH_LIMITS] = "both-limits",
        [PHYS_FAULT_SUPPLY_LOW] = "supply-low",
        [PHYS_FAULT_SUPPLY_HIGH] = "supply-high",
        [PHYS_FAULT_ESTOP] = "estop",
        [PHYS_FAULT_HEAT_NOT_RISING] = "heat-not-rising",
        [PHYS_FAULT_LEGREST_OBSTRUCTION] = "legrest-obstruction",
        [PHYS_FAULT_RECLINE_BOTH_ENDS] = "recline-both-ends",
};

const char *chair_physics_fault_name(enum chair_physics_fault f) {
        return (unsigned) f < _PHYS_FAULT_MAX ? fault_names[f] : NULL;
}

int chair_physics_fault_from_name(const char *name) {
        for (unsigned i = 0; i < _PHYS_FAULT_MAX; i++)
                if (strcmp(fault_names[i], name) == 0)
                        return (int) i;
        return -EINVAL;
}

void chair_physics_default_params(struct chair_physics_params *ret) {
        *ret = (struct chair_physics_params) {
                .track_length_mm = 800,
                .pulses_per_mm = 2,
                .max_speed_mm_s = 40,
                .shoulder_mm = 620,
                .waist_mm = 220,
                .ambient_decic = 220,
                .supply_mv = 24000,
                .axis = {
                        [CHAIR_AXIS_RECLINE] = { 400, 25 },
                        [CHAIR_AXIS_LEGREST_LIFT] = { 300, 25 },
                        [CHAIR_AXIS_LEGREST_EXTEND] = { 200, 15 },
                        [CHAIR_AXIS_SEAT_SLIDE] = { 150, 12 },
                },
                .legrest_reach_mm = 380,
        };
}

int chair_physics_set_occupant(struct chair_physics *p, bool seated, int32_t leg_mm, bool feet_on) {
        if (leg_mm <= 0 || leg_mm > 2000)
                return -EINVAL;
        p->occupant = (struct chair_physics_occupant) { .seated = seated, .leg_mm = leg_mm, .feet_on = feet_on };
        return 0;
}

void chair_physics_init(struct chair_physics *p, const struct chair_physics_params *params) {
        memset(p, 0, sizeof *p);
        p->params = *params;
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                p->out[o] = chair_output_info(o)->safe_value;
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++)
                p->temp[z] = p->element[z] = params->ambient_decic;
        /* Read for every input at every step: a linear search each time was a profile's top line. */
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++)
                p->input_axis[i] = (int8_t) chair_input_axis(i);
        /* Someone sits, feet on the foot rest: the safe assumption for anything that moves. */
        p->occupant = (struct chair_physics_occupant) { .seated = true, .leg_mm = 450, .feet_on = true };
}

void chair_physics_set_output(struct chair_physics *p, enum chair_output out, int32_t value) {
        if ((unsigned) out < _CHAIR_OUT_MAX)
                p->out[out] = value;
}

void chair_physics_inject(struct chair_physics *p, enum chair_physics_fault f, bool on) {
        if ((unsigned) f >= _PHYS_FAULT_MAX)
                return;
        if (f == PHYS_FAULT_STUCK_SENSOR && on)
                p->frozen_load = chair_physics_input(p, CHAIR_IN_ROLLER_LOAD);
        /* Placed anew, or taken away: the next move finds where it lies. */
        if (f == PHYS_FAULT_LEGREST_OBSTRUCTION)
                for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                        p->axis[a].obstacle_dir = 0;
        p->fault[f] = on;
}

/* The load on the roller: the body presses back between the hips and the shoulders, more with
 * depth, and falls off over 30 mm above the shoulders. */
static int32_t body_load(const struct chair_physics *p) {
        double pos = p->roller_mm, s = p->params.shoulder_mm;
        double depth = p->out[CHAIR_OUT_DEPTH];
        double contact;

        if (pos < 60)
                contact = pos / 60.0;
        else if (pos <= s)
                contact = 1.0;
        else if (pos < s + 30)
                contact = 1.0 - (pos - s) / 30.0;
        else
                contact = 0.0;
        return (int32_t) (contact * (150 + 130 * depth));
}

static bool is_legrest(enum chair_axis a) {
        return a == CHAIR_AXIS_LEGREST_LIFT || a == CHAIR_AXIS_LEGREST_EXTEND;
}

/* The leg rest presses on the object in its path. */
static bool axis_on_obstacle(const struct chair_physics *p, enum chair_axis a) {
        const struct chair_physics_axis *x = &p->axis[a];
        return p->fault[PHYS_FAULT_LEGREST_OBSTRUCTION] && x->obstacle_dir && fabs(x->mm - x->obstacle_mm) < 1.0;
}

/* The motor drives the axis into something that does not give: an end stop or the object. */
static bool axis_pushing(const struct chair_physics *p, enum chair_axis a) {
        const struct chair_physics_axis *x = &p->axis[a];
        int32_t duty = p->out[chair_axis_info(a)->motor];
        double travel = p->params.axis[a].travel_mm;

        if (duty > 0)
                return x->mm >= travel - 0.5 || (axis_on_obstacle(p, a) && x->obstacle_dir > 0);
        if (duty < 0)
                return x->mm <= 0.5 || (axis_on_obstacle(p, a) && x->obstacle_dir < 0);
        return false;
}

static void axis_substep(struct chair_physics *p, enum chair_axis a, double dt) {
        struct chair_physics_axis *x = &p->axis[a];
        double duty = p->out[chair_axis_info(a)->motor] / 100.0;
        double target = duty * p->params.axis[a].max_speed_mm_s;
        double travel = p->params.axis[a].travel_mm;

        /* At rest, unpowered and with no object in its path, a step changes nothing. */
        if (duty == 0 && x->speed == 0 && !(x->obstacle_dir && p->fault[PHYS_FAULT_LEGREST_OBSTRUCTION]))
                return;
        if (is_legrest(a) && p->fault[PHYS_FAULT_LEGREST_OBSTRUCTION] && !x->obstacle_dir && duty != 0) {
                x->obstacle_dir = duty > 0 ? 1 : -1;
                x->obstacle_mm = x->mm + x->obstacle_dir * OBSTACLE_GAP_MM;
        }
        x->speed += (target - x->speed) * MIN(1.0, dt / (target == 0 ? AXIS_STOP_TAU_S : AXIS_TAU_S));
        if (target == 0 && fabs(x->speed) < 0.05)
                x->speed = 0;
        x->mm += x->speed * dt;
        if (x->mm <= 0 || x->mm >= travel) {
                x->mm = CLAMP(x->mm, 0.0, travel);
                x->speed = 0;
        }
        if (x->obstacle_dir && p->fault[PHYS_FAULT_LEGREST_OBSTRUCTION] &&
            (x->mm - x->obstacle_mm) * x->obstacle_dir >= 0) {
                x->mm = x->obstacle_mm;
                x->speed = 0;
        }
}

static void substep(struct chair_physics *p, uint32_t dt_ms) {
        double dt = dt_ms / 1000.0;
        double duty = p->out[CHAIR_OUT_TRAVEL_MOTOR] / 100.0;
        double old = p->roller_mm;
        bool connected = false;

        p->time_ms += dt_ms;
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                axis_substep(p, a, dt);

        /* Roller travel, stopped by the ends of the track. */
        if (!p->fault[PHYS_FAULT_STALLED_MOTOR])
                p->roller_mm += duty * p->params.max_speed_mm_s * dt;
        p->roller_mm = CLAMP(p->roller_mm, 0.0, (double) p->params.track_length_mm);
        if (!p->fault[PHYS_FAULT_LOST_ENCODER])
                p->encoder += (p->roller_mm - old) * p->params.pulses_per_mm;
        if (p->fault[PHYS_FAULT_SPURIOUS_PULSES] && duty == 0)
                p->encoder += 20.0 * dt;

        /* Air: three-way zone valves (1 = bag on the manifold), pump, manifold vent. */
        for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++) {
                if (p->out[chair_air_zone_valve(z)]) {
                        connected = true;
                        p->bag[z] = p->pressure;
                } else {
                        p->bag[z] -= p->bag[z] * VENT_RATE * dt; /* vented to the air */
                }
        }
        if (p->out[CHAIR_OUT_AIR_PUMP])
                p->pressure += PUMP_RATE * dt / (connected ? 1.0 : 0.3) * MAX(0.0, 1.0 - p->pressure / PUMP_MAX);
        if (p->out[CHAIR_OUT_AIR_RELEASE] && !p->fault[PHYS_FAULT_OVER_PRESSURE])
                p->pressure -= p->pressure * VENT_RATE * dt;
        p->pressure -= p->pressure * LEAK_RATE * dt;
        /* A welded pump relay and a blocked vent: the pressure climbs whatever the outputs say. */
        if (p->fault[PHYS_FAULT_OVER_PRESSURE])
                p->pressure = MIN(p->pressure + PUMP_RATE * dt, 1200.0);
        if (p->pressure < SETTLED_PRESSURE && !p->out[CHAIR_OUT_AIR_PUMP])
                p->pressure = 0;
        for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++)
                if (p->bag[z] < SETTLED_PRESSURE && p->pressure == 0)
                        p->bag[z] = 0;

        /* Heat: first-order element and zone. */
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++) {
                bool on = p->out[chair_heat_zone_output(z)] != 0 && !(z == 0 && p->fault[PHYS_FAULT_HEAT_NOT_RISING]);
                double drive = on ? ELEMENT_HOT : p->params.ambient_decic;
                if (z == 0 && p->fault[PHYS_FAULT_OVER_TEMPERATURE])
                        drive = ELEMENT_RUNAWAY;
                p->element[z] += (drive - p->element[z]) * MIN(1.0, dt / ELEMENT_TAU_S);
                p->temp[z] += (p->element[z] - p->temp[z]) * MIN(1.0, dt / ZONE_TAU_S);
                if (drive == p->params.ambient_decic && fabs(p->element[z] - drive) < SETTLED_DECIC &&
                    fabs(p->temp[z] - drive) < SETTLED_DECIC)
                        p->temp[z] = p->element[z] = drive;
        }
}

void chair_physics_step(struct chair_physics *p, uint32_t dt_ms) {
        while (dt_ms > 0) {
                uint32_t chunk = MIN(dt_ms, (uint32_t) MAX_SUBSTEP_MS);
                substep(p, chunk);
                dt_ms -= chunk;
        }
}

/* The travel motor turns only between the limits: a limit switch cuts it in its direction. */
static bool travel_turning(const struct chair_physics *p) {
        int32_t duty = p->out[CHAIR_OUT_TRAVEL_MOTOR];
        if (duty > 0)
                return p->roller_mm < p->params.track_length_mm;
        if (duty < 0)
                return p->roller_mm > 0;
        return false;
}

static int32_t axis_current(const struct chair_physics *p, enum chair_axis a) {
        int32_t duty = abs(p->out[chair_axis_info(a)->motor]);
        int32_t load = 0;

        if (!duty)
                return 0;
        if (axis_pushing(p, a))
                return AXIS_CURRENT_BASE_MA + duty * AXIS_STALL_PER_PCT_MA;
        /* The person's weight: on the backrest coming upright, on the leg rest rising. */
        if (p->occupant.seated && ((a == CHAIR_AXIS_RECLINE && p->out[chair_axis_info(a)->motor] < 0) ||
                                   (a == CHAIR_AXIS_LEGREST_LIFT && p->out[chair_axis_info(a)->motor] > 0)))
                load = 600;
        return AXIS_CURRENT_BASE_MA + duty * AXIS_CURRENT_PER_PCT_MA + load;
}

/* One of an axis's inputs, or -1 when in is none of them. */
static int32_t axis_input(const struct chair_physics *p, enum chair_input in) {
        int a = p->input_axis[in];
        const struct chair_axis_info *ax = chair_axis_info(a);
        double mm, travel;

        if (a < 0)
                return -1;
        mm = p->axis[a].mm;
        travel = p->params.axis[a].travel_mm;
        if (in == ax->position)
                return (int32_t) lround(mm * 1000.0 / travel);
        if ((in == ax->end_min || in == ax->end_max) && a == CHAIR_AXIS_RECLINE && p->fault[PHYS_FAULT_RECLINE_BOTH_ENDS])
                return 1;
        if (in == ax->end_min)
                return mm <= 0.5;
        if (in == ax->end_max)
                return mm >= travel - 0.5;
        return axis_current(p, a);
}

/* Kept next to axis_input(): what it, axis_current() and axis_pushing() read. */
void chair_physics_axis_key(const struct chair_physics *p, enum chair_axis a, struct chair_physics_axis_key *ret) {
        memset(ret, 0, sizeof *ret);  /* the padding too: callers compare keys with memcmp() */
        ret->mm = p->axis[a].mm;
        ret->obstacle_mm = p->axis[a].obstacle_mm;
        ret->duty = p->out[chair_axis_info(a)->motor];
        ret->travel_mm = p->params.axis[a].travel_mm;
        ret->obstacle_dir = p->axis[a].obstacle_dir;
        ret->seated = p->occupant.seated;
        ret->obstruction = p->fault[PHYS_FAULT_LEGREST_OBSTRUCTION];
        ret->both_ends = p->fault[PHYS_FAULT_RECLINE_BOTH_ENDS];
}

int32_t chair_physics_input(const struct chair_physics *p, enum chair_input in) {
        if ((unsigned) in < _CHAIR_IN_MAX && p->input_axis[in] >= 0)
                return axis_input(p, in);
        switch (in) {
        case CHAIR_IN_ENCODER:
                return (int32_t) lround(p->encoder);
        case CHAIR_IN_LIMIT_TOP:
                return p->fault[PHYS_FAULT_BOTH_LIMITS] || p->roller_mm >= p->params.track_length_mm - 0.5;
        case CHAIR_IN_LIMIT_BOTTOM:
                return p->fault[PHYS_FAULT_BOTH_LIMITS] || p->roller_mm <= 0.5;
        case CHAIR_IN_ROLLER_LOAD:
                return p->fault[PHYS_FAULT_STUCK_SENSOR] ? p->frozen_load : body_load(p);
        case CHAIR_IN_MOTOR_CURRENT: {
                int32_t travel = abs(p->out[CHAIR_OUT_TRAVEL_MOTOR]), knead = abs(p->out[CHAIR_OUT_KNEAD_MOTOR]);
                int32_t ma = CURRENT_IDLE_MA + knead * 10 + p->out[CHAIR_OUT_TAP_MOTOR] * 8;
                if (p->fault[PHYS_FAULT_STALLED_MOTOR] && travel)
                        ma += CURRENT_STALL_MA;
                else if (travel_turning(p))
                        ma += travel * 12;
                /* The roller pressing the body loads whichever motor turns it. */
                if (travel || knead || p->out[CHAIR_OUT_TAP_MOTOR])
                        ma += body_load(p);
                return ma;
        }
        case CHAIR_IN_AIR_PRESSURE:
                return (int32_t) lround(MIN(p->pressure, 1000.0)); /* the sensor's full scale */
        case CHAIR_IN_TEMP_LUMBAR:
                if (p->fault[PHYS_FAULT_THERMISTOR_OPEN])
                        return -400;
                if (p->fault[PHYS_FAULT_THERMISTOR_SHORT])
                        return 1500;
                return (int32_t) lround(p->temp[CHAIR_HEAT_LUMBAR]);
        case CHAIR_IN_TEMP_CALVES:
                return (int32_t) lround(p->temp[CHAIR_HEAT_CALVES]);
        case CHAIR_IN_SUPPLY_VOLTAGE:
                if (p->fault[PHYS_FAULT_SUPPLY_LOW])
                        return 8000;
                if (p->fault[PHYS_FAULT_SUPPLY_HIGH])
                        return 40000;
                return p->params.supply_mv;
        case CHAIR_IN_ESTOP:
                return p->fault[PHYS_FAULT_ESTOP];
        case CHAIR_IN_PANEL_KEY:
                return p->panel_key;
        case CHAIR_IN_PANEL_EVENT:
                return (int32_t) ((p->panel_presses & 0xff) << 8 | (uint32_t) (p->panel_last_code & 0xff));
        case CHAIR_IN_SEAT_OCCUPANCY:
                return p->occupant.seated;
        case CHAIR_IN_FEET_ON:
                /* The foot rest meets the soles once it reaches as far as the legs are long. */
                return p->occupant.seated && p->occupant.feet_on &&
                       p->params.legrest_reach_mm + p->axis[CHAIR_AXIS_LEGREST_EXTEND].mm >= p->occupant.leg_mm;
        case CHAIR_IN_LEGREST_OBSTRUCTION:
                return axis_on_obstacle(p, CHAIR_AXIS_LEGREST_LIFT) || axis_on_obstacle(p, CHAIR_AXIS_LEGREST_EXTEND);
        case CHAIR_IN_HEARTBEAT_TRIPPED:   /* the simulated chair has no heartbeat */
        default:                           /* the axes' inputs, above */
                break;
        }
        return 0;
}

void chair_physics_press_key(struct chair_physics *p, int32_t code) {
        if (code && code != p->panel_key) {
                p->panel_presses++;
                p->panel_last_code = code;
        }
        p->panel_key = code;
}

bool chair_physics_only_cooling(const struct chair_physics *p) {
        if (p->out[CHAIR_OUT_TRAVEL_MOTOR] || p->out[CHAIR_OUT_AIR_PUMP])
                return false;
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                if (p->out[chair_axis_info(a)->motor] || p->axis[a].speed != 0)
                        return false;
        if (p->fault[PHYS_FAULT_SPURIOUS_PULSES] || p->fault[PHYS_FAULT_OVER_TEMPERATURE] ||
            p->fault[PHYS_FAULT_OVER_PRESSURE])
                return false;
        if (p->pressure > 0.5)
                return false;
        for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++)
                if (p->bag[z] > 0.5)
                        return false;
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++)
                if (p->out[chair_heat_zone_output(z)])
                        return false;
        return true;
}

bool chair_physics_at_rest(const struct chair_physics *p) {
        if (!chair_physics_only_cooling(p))
                return false;
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++)
                if (fabs(p->temp[z] - p->params.ambient_decic) > 2 || fabs(p->element[z] - p->params.ambient_decic) > 2)
                        return false;
        return true;
}
