/* SPDX-License-Identifier: MIT */
/*
 * The chair's physical I/O model, shared by the hardware map, the drivers, the planner, the
 * scheduler and the safety supervisor. An output is anything the daemon drives; an input is
 * anything it reads. Every output has a safe default and a maximum on-time (Klipper's rule):
 * the supervisor drives every output to its safe default on any fault.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum chair_output {
        CHAIR_OUT_TRAVEL_MOTOR,   /* roller travel, -100..100 % duty, + moves up (toward the neck) */
        CHAIR_OUT_KNEAD_MOTOR,    /* kneading, -100..100 %, + is clockwise, - reverse */
        CHAIR_OUT_TAP_MOTOR,      /* tapping/knocking, 0..100 % */
        CHAIR_OUT_WIDTH,          /* roller width setpoint: 0 narrow, 1 medium, 2 wide */
        CHAIR_OUT_DEPTH,          /* 3D depth setpoint: 0 retracted .. 5 deepest */
        CHAIR_OUT_AIR_PUMP,       /* 0/1 */
        CHAIR_OUT_VALVE_SHOULDERS,/* 0/1: zone valve open to the manifold */
        CHAIR_OUT_VALVE_ARMS,
        CHAIR_OUT_VALVE_BACK,
        CHAIR_OUT_VALVE_SEAT,
        CHAIR_OUT_VALVE_CALVES,
        CHAIR_OUT_VALVE_FEET,
        CHAIR_OUT_AIR_RELEASE,    /* 0/1: manifold vent open; safe default 1 (air released) */
        CHAIR_OUT_HEAT_LUMBAR,    /* 0/1 heater element */
        CHAIR_OUT_HEAT_CALVES,    /* 0/1 heater element */
        /* The panel's indicators (docs/panel.md). Not actuators: they pass the safety gate, so a
         * faulted chair can still show its fault code and sound a refusal. */
        CHAIR_OUT_BEEPER,         /* 0/1 */
        CHAIR_OUT_LED_POWER,      /* panel LEDs, 0/1: session state (blinks while paused or faulted) */
        CHAIR_OUT_LED_HEAT,
        CHAIR_OUT_LED_AIR,
        CHAIR_OUT_LED_LOCK,       /* the child lock is on */
        CHAIR_OUT_DISPLAY_MINUTES,   /* display fields; 0 shows blank */
        CHAIR_OUT_DISPLAY_PROGRAM,   /* 1-based number of the selected or running program */
        CHAIR_OUT_DISPLAY_INTENSITY,
        CHAIR_OUT_DISPLAY_SPEED,
        CHAIR_OUT_DISPLAY_WIDTH,     /* 1 narrow, 2 medium, 3 wide */
        CHAIR_OUT_DISPLAY_AIR,
        CHAIR_OUT_DISPLAY_HEAT,
        CHAIR_OUT_DISPLAY_FAULT,     /* fault number (E01...), docs/panel.md */
        /* Posture (issue #19), each optional: the axes' motors, -100..100 % duty, + toward the
         * axis's end_max (reclined, raised, extended, forward), safe 0 = stopped where it is
         * (never a return). Only the output test drives them, with the seat reported empty
         * (daemon/output-test.c), until the motion rules land. */
        CHAIR_OUT_RECLINE_MOTOR,
        CHAIR_OUT_LEGREST_LIFT_MOTOR,
        CHAIR_OUT_LEGREST_EXTEND_MOTOR,
        CHAIR_OUT_SEAT_SLIDE_MOTOR,
        CHAIR_OUT_FOOT_ROLLERS,      /* rotary, -100..100 % speed, - reverse */
        CHAIR_OUT_CALF_KNEAD,        /* rotary, 0..100 % */
        _CHAIR_OUT_MAX,
};

enum chair_input {
        CHAIR_IN_ENCODER,         /* roller position in encoder pulses from the bottom limit */
        CHAIR_IN_LIMIT_TOP,       /* 0/1 */
        CHAIR_IN_LIMIT_BOTTOM,    /* 0/1 */
        CHAIR_IN_ROLLER_LOAD,     /* roller load, 0..1000 (per mille of full scale) */
        CHAIR_IN_MOTOR_CURRENT,   /* travel + knead motor current, mA */
        CHAIR_IN_AIR_PRESSURE,    /* manifold pressure, 0.1 kPa */
        CHAIR_IN_TEMP_LUMBAR,     /* 0.1 degC */
        CHAIR_IN_TEMP_CALVES,     /* 0.1 degC */
        CHAIR_IN_SUPPLY_VOLTAGE,  /* mV */
        CHAIR_IN_ESTOP,           /* 0/1, 1 = emergency stop pressed */
        CHAIR_IN_PANEL_KEY,       /* key code of the key held, 0 = none */
        /* A panel board's latched key press: (presses modulo 256) << 8 | code of the latest, so
         * a tap that comes and goes between two polls is not lost. Optional. */
        CHAIR_IN_PANEL_EVENT,
        /* 0/1: the board switched every output safe by itself because the heartbeat stopped. */
        CHAIR_IN_HEARTBEAT_TRIPPED,
        /* Posture (issue #19), each optional. An axis's position is per mille of its travel
         * between its end switches (0 at end_min: upright, lowered, retracted, back); the end
         * switches are 0/1 events; its motor current is mA. */
        CHAIR_IN_RECLINE_POSITION,
        CHAIR_IN_RECLINE_END_MIN,
        CHAIR_IN_RECLINE_END_MAX,
        CHAIR_IN_RECLINE_CURRENT,
        CHAIR_IN_LEGREST_LIFT_POSITION,
        CHAIR_IN_LEGREST_LIFT_END_MIN,
        CHAIR_IN_LEGREST_LIFT_END_MAX,
        CHAIR_IN_LEGREST_LIFT_CURRENT,
        CHAIR_IN_LEGREST_EXTEND_POSITION,
        CHAIR_IN_LEGREST_EXTEND_END_MIN,
        CHAIR_IN_LEGREST_EXTEND_END_MAX,
        CHAIR_IN_LEGREST_EXTEND_CURRENT,
        CHAIR_IN_SEAT_SLIDE_POSITION,
        CHAIR_IN_SEAT_SLIDE_END_MIN,
        CHAIR_IN_SEAT_SLIDE_END_MAX,
        CHAIR_IN_SEAT_SLIDE_CURRENT,
        CHAIR_IN_SEAT_OCCUPANCY,      /* 0/1: someone sits (a switch, or a load register read with a threshold) */
        CHAIR_IN_FEET_ON,             /* 0/1: feet on the foot rest */
        CHAIR_IN_LEGREST_OBSTRUCTION, /* 0/1: the leg rest's bumper (pinch) switch */
        _CHAIR_IN_MAX,
};
/* The backends keep a bit per input (changed, valid, out of range). */
_Static_assert(_CHAIR_IN_MAX <= 64, "an input bit mask is 64 bits");

enum chair_value_kind {
        CHAIR_VALUE_BOOL,
        CHAIR_VALUE_LEVEL,     /* a small integer range */
        CHAIR_VALUE_PERCENT,   /* a duty cycle */
        CHAIR_VALUE_MEASURE,   /* a measurement with a unit */
        CHAIR_VALUE_COUNTER,
};

struct chair_output_info {
        const char *name;           /* name in the hardware map, D-Bus and logs */
        int32_t min, max;
        int32_t safe_value;
        uint32_t max_on_ms;         /* longest continuous non-safe time; 0 = unlimited */
        enum chair_value_kind kind;
        bool indicator;             /* a panel indicator, not an actuator (passes the gate) */
};

struct chair_input_info {
        const char *name;
        int32_t min, max;           /* plausible range; outside is a sensor fault */
        const char *unit;
        enum chair_value_kind kind;
        /* Read when needed, never waited on: a polling backend does not wake the event loop for
         * its changes. The encoder and the measurements change on nearly every poll while a
         * program runs; the scheduler and the supervisor read them on their own ticks. Only the
         * switches (estop, limits) and the panel's keys are events. */
        bool sampled;
        /* "Stop now": a non-zero reading makes every output safe on the thread that read it
         * (chair_hw's stop path), before the event loop hears of it. The limits stop only when
         * both are active; the map can mark further inputs (docs/hardware-map.md, stop). */
        bool stop;
        /* An interlock depends on it: a reading outside min..max stops at once, like a stop
         * input, and the supervisor names the sensor. */
        bool interlock;
        /* Can be an axis's obstruction bumper ([axis.NAME] obstruction = bumper). */
        bool bumper;
};

const struct chair_output_info *chair_output_info(enum chair_output out);
const struct chair_input_info *chair_input_info(enum chair_input in);
/* The maximum on-time rule, one copy for the I/O router, the supervisor and the virtual-time
 * tests. A change from old to value starts a new run when the output leaves its safe value or
 * a motor reverses: the travel motor's maximum on-time bounds one travel, not a roller
 * sweeping up and down. */
bool chair_output_starts_run(enum chair_output out, int32_t old, int32_t value);
/* A run of on_usec is longer than the output's maximum on-time. */
bool chair_output_over_on_time(enum chair_output out, uint64_t on_usec);
/* Returns the enum value or -EINVAL for an unknown name. */
int chair_output_from_name(const char *name);
int chair_input_from_name(const char *name);

/* The posture axes (issue #19) and the channels of each: the one table that ties an axis to
 * its motor, position, end switches and current (the map's [axis.NAME], the drivers, chairsim). */
enum chair_axis {
        CHAIR_AXIS_RECLINE,
        CHAIR_AXIS_LEGREST_LIFT,
        CHAIR_AXIS_LEGREST_EXTEND,
        CHAIR_AXIS_SEAT_SLIDE,
        _CHAIR_AXIS_MAX,
};

struct chair_axis_info {
        const char *name;             /* [axis.NAME] */
        enum chair_output motor;
        enum chair_input position, end_min, end_max, current;
};

const struct chair_axis_info *chair_axis_info(enum chair_axis a);
int chair_axis_from_name(const char *name);
/* The axis whose motor out is, or -1: an axis motor moves the person (the output test's guard). */
int chair_output_axis(enum chair_output out);
/* The axis one of whose inputs in is, or -1. */
int chair_input_axis(enum chair_input in);

/* Air zones and heat zones as the programs name them. */
enum chair_air_zone {
        CHAIR_AIR_SHOULDERS,
        CHAIR_AIR_ARMS,
        CHAIR_AIR_BACK,
        CHAIR_AIR_SEAT,
        CHAIR_AIR_CALVES,
        CHAIR_AIR_FEET,
        _CHAIR_AIR_ZONE_MAX,
};

enum chair_heat_zone {
        CHAIR_HEAT_LUMBAR,
        CHAIR_HEAT_CALVES,
        _CHAIR_HEAT_ZONE_MAX,
};

const char *chair_air_zone_name(enum chair_air_zone z);
const char *chair_heat_zone_name(enum chair_heat_zone z);
int chair_air_zone_from_name(const char *name);
int chair_heat_zone_from_name(const char *name);
enum chair_output chair_air_zone_valve(enum chair_air_zone z);
enum chair_output chair_heat_zone_output(enum chair_heat_zone z);
enum chair_input chair_heat_zone_sensor(enum chair_heat_zone z);

/* The panel's key functions (docs/panel.md). A key's default code, as a Modbus panel board or
 * the simulated panel reports it, is its index + 1; a hardware map may give other codes. */
enum chair_key {
        CHAIR_KEY_POWER,          /* stop; heard even under the child lock */
        CHAIR_KEY_PROGRAM,        /* idle: select the next program */
        CHAIR_KEY_START_PAUSE,    /* start the selected program, pause, resume */
        CHAIR_KEY_INTENSITY_UP,
        CHAIR_KEY_INTENSITY_DOWN,
        CHAIR_KEY_SPEED,          /* cycles 1-5 */
        CHAIR_KEY_WIDTH,          /* cycles narrow, medium, wide */
        CHAIR_KEY_HEAT,           /* cycles 0-3 for every heat zone */
        CHAIR_KEY_AIR_ZONE,       /* cycles the air zone sets */
        CHAIR_KEY_AIR_INTENSITY,  /* cycles 1-5 */
        CHAIR_KEY_TIMER,          /* cycles 10, 20, 30 minutes */
        CHAIR_KEY_SHOULDER_UP,    /* after a body scan: the shoulder point a step up */
        CHAIR_KEY_SHOULDER_DOWN,
        CHAIR_KEY_MEMORY_A,       /* short press recalls, long press saves */
        CHAIR_KEY_MEMORY_B,
        CHAIR_KEY_CHILD_LOCK,     /* a long press turns the child lock on or off */
        CHAIR_KEY_PERSON,         /* idle: the next person (people.h) */
        /* Posture (issue #19, daemon/posture.h): the four axis keys are hold-to-run. */
        CHAIR_KEY_RECLINE_BACK,   /* held: the backrest reclines */
        CHAIR_KEY_RECLINE_UP,     /* held: the backrest comes upright */
        CHAIR_KEY_LEGREST_UP,     /* held: the leg rest rises */
        CHAIR_KEY_LEGREST_DOWN,   /* held: the leg rest lowers */
        CHAIR_KEY_ZERO_GRAVITY,   /* zero gravity 1, 2, 3, upright; stops a preset under way */
        CHAIR_KEY_FOOT_ROLLERS,   /* cycles off, slow, fast */
        _CHAIR_KEY_MAX,
};

const char *chair_key_name(enum chair_key k);
int chair_key_from_name(const char *name);
