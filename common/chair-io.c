/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "chair-io.h"
#include "macro.h"

/* Maximum on-times follow chair-domain.md section 3: no motor runs for minutes unwatched, the
 * pump never runs long enough to burst a bag, a valve never holds a bag inflated for long. */
static const struct chair_output_info outputs[_CHAIR_OUT_MAX] = {
        [CHAIR_OUT_TRAVEL_MOTOR]    = { "travel_motor", -100, 100, 0, 42000, CHAIR_VALUE_PERCENT },
        [CHAIR_OUT_KNEAD_MOTOR]     = { "knead_motor", -100, 100, 0, 0, CHAIR_VALUE_PERCENT },
        [CHAIR_OUT_TAP_MOTOR]       = { "tap_motor", 0, 100, 0, 0, CHAIR_VALUE_PERCENT },
        [CHAIR_OUT_WIDTH]           = { "width", 0, 2, 1, 0, CHAIR_VALUE_LEVEL },
        [CHAIR_OUT_DEPTH]           = { "depth", 0, 5, 0, 0, CHAIR_VALUE_LEVEL },
        [CHAIR_OUT_AIR_PUMP]        = { "air_pump", 0, 1, 0, 60000, CHAIR_VALUE_BOOL },
        [CHAIR_OUT_VALVE_SHOULDERS] = { "valve_shoulders", 0, 1, 0, 120000, CHAIR_VALUE_BOOL },
        [CHAIR_OUT_VALVE_ARMS]      = { "valve_arms", 0, 1, 0, 120000, CHAIR_VALUE_BOOL },
        [CHAIR_OUT_VALVE_BACK]      = { "valve_back", 0, 1, 0, 120000, CHAIR_VALUE_BOOL },
        [CHAIR_OUT_VALVE_SEAT]      = { "valve_seat", 0, 1, 0, 120000, CHAIR_VALUE_BOOL },
        [CHAIR_OUT_VALVE_CALVES]    = { "valve_calves", 0, 1, 0, 120000, CHAIR_VALUE_BOOL },
        [CHAIR_OUT_VALVE_FEET]      = { "valve_feet", 0, 1, 0, 120000, CHAIR_VALUE_BOOL },
        [CHAIR_OUT_AIR_RELEASE]     = { "air_release", 0, 1, 1, 0, CHAIR_VALUE_BOOL },
        [CHAIR_OUT_HEAT_LUMBAR]     = { "heat_lumbar", 0, 1, 0, 0, CHAIR_VALUE_BOOL },
        [CHAIR_OUT_HEAT_CALVES]     = { "heat_calves", 0, 1, 0, 0, CHAIR_VALUE_BOOL },
        [CHAIR_OUT_BEEPER]          = { "beeper", 0, 1, 0, 2000, CHAIR_VALUE_BOOL, true },
        [CHAIR_OUT_LED_POWER]       = { "led_power", 0, 1, 0, 0, CHAIR_VALUE_BOOL, true },
        [CHAIR_OUT_LED_HEAT]        = { "led_heat", 0, 1, 0, 0, CHAIR_VALUE_BOOL, true },
        [CHAIR_OUT_LED_AIR]         = { "led_air", 0, 1, 0, 0, CHAIR_VALUE_BOOL, true },
        [CHAIR_OUT_LED_LOCK]        = { "led_lock", 0, 1, 0, 0, CHAIR_VALUE_BOOL, true },
        [CHAIR_OUT_DISPLAY_MINUTES]   = { "display_minutes", 0, 99, 0, 0, CHAIR_VALUE_LEVEL, true },
        [CHAIR_OUT_DISPLAY_PROGRAM]   = { "display_program", 0, 99, 0, 0, CHAIR_VALUE_LEVEL, true },
        [CHAIR_OUT_DISPLAY_INTENSITY] = { "display_intensity", 0, 5, 0, 0, CHAIR_VALUE_LEVEL, true },
        [CHAIR_OUT_DISPLAY_SPEED]     = { "display_speed", 0, 5, 0, 0, CHAIR_VALUE_LEVEL, true },
        [CHAIR_OUT_DISPLAY_WIDTH]     = { "display_width", 0, 3, 0, 0, CHAIR_VALUE_LEVEL, true },
        [CHAIR_OUT_DISPLAY_AIR]       = { "display_air", 0, 5, 0, 0, CHAIR_VALUE_LEVEL, true },
        [CHAIR_OUT_DISPLAY_HEAT]      = { "display_heat", 0, 3, 0, 0, CHAIR_VALUE_LEVEL, true },
        [CHAIR_OUT_DISPLAY_FAULT]     = { "display_fault", 0, 99, 0, 0, CHAIR_VALUE_LEVEL, true },
        /* An axis motor's on-time bounds one end-to-end travel with margin; the rotary ones
         * run with the program, like the knead motor. */
        [CHAIR_OUT_RECLINE_MOTOR]        = { "recline_motor", -100, 100, 0, 40000, CHAIR_VALUE_PERCENT },
        [CHAIR_OUT_LEGREST_LIFT_MOTOR]   = { "legrest_lift_motor", -100, 100, 0, 30000, CHAIR_VALUE_PERCENT },
        [CHAIR_OUT_LEGREST_EXTEND_MOTOR] = { "legrest_extend_motor", -100, 100, 0, 30000, CHAIR_VALUE_PERCENT },
        [CHAIR_OUT_SEAT_SLIDE_MOTOR]     = { "seat_slide_motor", -100, 100, 0, 30000, CHAIR_VALUE_PERCENT },
        [CHAIR_OUT_FOOT_ROLLERS]         = { "foot_rollers", -100, 100, 0, 0, CHAIR_VALUE_PERCENT },
        [CHAIR_OUT_CALF_KNEAD]           = { "calf_knead", 0, 100, 0, 0, CHAIR_VALUE_PERCENT },
};

static const struct chair_input_info inputs[_CHAIR_IN_MAX] = {
        [CHAIR_IN_ENCODER]        = { "encoder", -100000, 100000, "pulses", CHAIR_VALUE_COUNTER, .sampled = true, .interlock = true },
        [CHAIR_IN_LIMIT_TOP]      = { "limit_top", 0, 1, "", CHAIR_VALUE_BOOL, .interlock = true },
        [CHAIR_IN_LIMIT_BOTTOM]   = { "limit_bottom", 0, 1, "", CHAIR_VALUE_BOOL, .interlock = true },
        [CHAIR_IN_ROLLER_LOAD]    = { "roller_load", 0, 1000, "permille", CHAIR_VALUE_MEASURE, .sampled = true },
        [CHAIR_IN_MOTOR_CURRENT]  = { "motor_current", 0, 20000, "mA", CHAIR_VALUE_MEASURE, .sampled = true, .interlock = true },
        [CHAIR_IN_AIR_PRESSURE]   = { "air_pressure", 0, 1000, "0.1kPa", CHAIR_VALUE_MEASURE, .sampled = true, .interlock = true },
        [CHAIR_IN_TEMP_LUMBAR]    = { "temp_lumbar", -200, 1200, "0.1degC", CHAIR_VALUE_MEASURE, .sampled = true, .interlock = true },
        [CHAIR_IN_TEMP_CALVES]    = { "temp_calves", -200, 1200, "0.1degC", CHAIR_VALUE_MEASURE, .sampled = true, .interlock = true },
        [CHAIR_IN_SUPPLY_VOLTAGE] = { "supply_voltage", 0, 60000, "mV", CHAIR_VALUE_MEASURE, .sampled = true, .interlock = true },
        [CHAIR_IN_ESTOP]          = { "estop", 0, 1, "", CHAIR_VALUE_BOOL, .stop = true, .interlock = true },
        [CHAIR_IN_PANEL_KEY]      = { "panel_key", 0, 255, "", CHAIR_VALUE_LEVEL },
        [CHAIR_IN_PANEL_EVENT]    = { "panel_event", 0, 65535, "", CHAIR_VALUE_COUNTER },
        [CHAIR_IN_HEARTBEAT_TRIPPED] = { "heartbeat_tripped", 0, 1, "", CHAIR_VALUE_BOOL, .stop = true },
        /* Posture: a position a few per cent past its ends is a miscalibrated or broken sensor.
         * The occupancy, the feet and the bumper are events: motion must stop on them at once. */
        [CHAIR_IN_RECLINE_POSITION] = { "recline_position", -50, 1050, "permille", CHAIR_VALUE_MEASURE, .sampled = true, .interlock = true },
        [CHAIR_IN_RECLINE_END_MIN]  = { "recline_end_min", 0, 1, "", CHAIR_VALUE_BOOL, .interlock = true },
        [CHAIR_IN_RECLINE_END_MAX]  = { "recline_end_max", 0, 1, "", CHAIR_VALUE_BOOL, .interlock = true },
        [CHAIR_IN_RECLINE_CURRENT]  = { "recline_current", 0, 20000, "mA", CHAIR_VALUE_MEASURE, .sampled = true, .interlock = true },
        [CHAIR_IN_LEGREST_LIFT_POSITION] = { "legrest_lift_position", -50, 1050, "permille", CHAIR_VALUE_MEASURE, .sampled = true, .interlock = true },
        [CHAIR_IN_LEGREST_LIFT_END_MIN]  = { "legrest_lift_end_min", 0, 1, "", CHAIR_VALUE_BOOL, .interlock = true },
        [CHAIR_IN_LEGREST_LIFT_END_MAX]  = { "legrest_lift_end_max", 0, 1, "", CHAIR_VALUE_BOOL, .interlock = true },
        [CHAIR_IN_LEGREST_LIFT_CURRENT]  = { "legrest_lift_current", 0, 20000, "mA", CHAIR_VALUE_MEASURE, .sampled = true, .interlock = true },
        [CHAIR_IN_LEGREST_EXTEND_POSITION] = { "legrest_extend_position", -50, 1050, "permille", CHAIR_VALUE_MEASURE, .sampled = true, .interlock = true },
        [CHAIR_IN_LEGREST_EXTEND_END_MIN]  = { "legrest_extend_end_min", 0, 1, "", CHAIR_VALUE_BOOL, .interlock = true },
        [CHAIR_IN_LEGREST_EXTEND_END_MAX]  = { "legrest_extend_end_max", 0, 1, "", CHAIR_VALUE_BOOL, .interlock = true },
        [CHAIR_IN_LEGREST_EXTEND_CURRENT]  = { "legrest_extend_current", 0, 20000, "mA", CHAIR_VALUE_MEASURE, .sampled = true, .interlock = true },
        [CHAIR_IN_SEAT_SLIDE_POSITION] = { "seat_slide_position", -50, 1050, "permille", CHAIR_VALUE_MEASURE, .sampled = true, .interlock = true },
        [CHAIR_IN_SEAT_SLIDE_END_MIN]  = { "seat_slide_end_min", 0, 1, "", CHAIR_VALUE_BOOL, .interlock = true },
        [CHAIR_IN_SEAT_SLIDE_END_MAX]  = { "seat_slide_end_max", 0, 1, "", CHAIR_VALUE_BOOL, .interlock = true },
        [CHAIR_IN_SEAT_SLIDE_CURRENT]  = { "seat_slide_current", 0, 20000, "mA", CHAIR_VALUE_MEASURE, .sampled = true, .interlock = true },
        [CHAIR_IN_SEAT_OCCUPANCY]      = { "seat_occupancy", 0, 1, "", CHAIR_VALUE_BOOL, .interlock = true },
        [CHAIR_IN_FEET_ON]             = { "feet_on", 0, 1, "", CHAIR_VALUE_BOOL },
        [CHAIR_IN_LEGREST_OBSTRUCTION] = { "legrest_obstruction", 0, 1, "", CHAIR_VALUE_BOOL, .interlock = true, .bumper = true },
};

static const struct chair_axis_info axes[_CHAIR_AXIS_MAX] = {
        [CHAIR_AXIS_RECLINE] = { "recline", CHAIR_OUT_RECLINE_MOTOR, CHAIR_IN_RECLINE_POSITION, CHAIR_IN_RECLINE_END_MIN,
                                CHAIR_IN_RECLINE_END_MAX, CHAIR_IN_RECLINE_CURRENT },
        [CHAIR_AXIS_LEGREST_LIFT] = { "legrest_lift", CHAIR_OUT_LEGREST_LIFT_MOTOR, CHAIR_IN_LEGREST_LIFT_POSITION, CHAIR_IN_LEGREST_LIFT_END_MIN,
                                CHAIR_IN_LEGREST_LIFT_END_MAX, CHAIR_IN_LEGREST_LIFT_CURRENT },
        [CHAIR_AXIS_LEGREST_EXTEND] = { "legrest_extend", CHAIR_OUT_LEGREST_EXTEND_MOTOR, CHAIR_IN_LEGREST_EXTEND_POSITION, CHAIR_IN_LEGREST_EXTEND_END_MIN,
                                CHAIR_IN_LEGREST_EXTEND_END_MAX, CHAIR_IN_LEGREST_EXTEND_CURRENT },
        [CHAIR_AXIS_SEAT_SLIDE] = { "seat_slide", CHAIR_OUT_SEAT_SLIDE_MOTOR, CHAIR_IN_SEAT_SLIDE_POSITION, CHAIR_IN_SEAT_SLIDE_END_MIN,
                                CHAIR_IN_SEAT_SLIDE_END_MAX, CHAIR_IN_SEAT_SLIDE_CURRENT },
};

static const char *const keys[_CHAIR_KEY_MAX] = {
        "power", "program", "start_pause", "intensity_up", "intensity_down", "speed", "width", "heat",
        "air_zone", "air_intensity", "timer", "shoulder_up", "shoulder_down", "memory_a", "memory_b",
        "child_lock", "person", "recline_back", "recline_up", "legrest_up", "legrest_down", "zero_gravity",
        "foot_rollers",
};

static const char *const air_zones[_CHAIR_AIR_ZONE_MAX] = {
        "shoulders", "arms", "back", "seat", "calves", "feet",
};
static const char *const heat_zones[_CHAIR_HEAT_ZONE_MAX] = { "lumbar", "calves" };

const struct chair_output_info *chair_output_info(enum chair_output out) {
        if ((unsigned) out >= _CHAIR_OUT_MAX)
                return NULL;
        return &outputs[out];
}

const struct chair_input_info *chair_input_info(enum chair_input in) {
        if ((unsigned) in >= _CHAIR_IN_MAX)
                return NULL;
        return &inputs[in];
}

bool chair_output_starts_run(enum chair_output out, int32_t old, int32_t value) {
        const struct chair_output_info *info = chair_output_info(out);

        if (!info || value == info->safe_value)
                return false;
        return old == info->safe_value || (info->min < 0 && (old < 0) != (value < 0));
}

bool chair_output_over_on_time(enum chair_output out, uint64_t on_usec) {
        const struct chair_output_info *info = chair_output_info(out);

        return info && info->max_on_ms && on_usec > (uint64_t) info->max_on_ms * 1000;
}

int chair_output_from_name(const char *name) {
        for (unsigned i = 0; i < _CHAIR_OUT_MAX; i++)
                if (strcmp(outputs[i].name, name) == 0)
                        return (int) i;
        return -EINVAL;
}

int chair_input_from_name(const char *name) {
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++)
                if (strcmp(inputs[i].name, name) == 0)
                        return (int) i;
        return -EINVAL;
}

const char *chair_air_zone_name(enum chair_air_zone z) {
        return (unsigned) z < _CHAIR_AIR_ZONE_MAX ? air_zones[z] : NULL;
}

const char *chair_heat_zone_name(enum chair_heat_zone z) {
        return (unsigned) z < _CHAIR_HEAT_ZONE_MAX ? heat_zones[z] : NULL;
}

/* The index of name in one of the name tables above, or -EINVAL. */
static int name_index(const char *const *names, unsigned n, const char *name) {
        for (unsigned i = 0; i < n; i++)
                if (strcmp(names[i], name) == 0)
                        return (int) i;
        return -EINVAL;
}

int chair_air_zone_from_name(const char *name) {
        return name_index(air_zones, _CHAIR_AIR_ZONE_MAX, name);
}

int chair_heat_zone_from_name(const char *name) {
        return name_index(heat_zones, _CHAIR_HEAT_ZONE_MAX, name);
}

enum chair_output chair_air_zone_valve(enum chair_air_zone z) {
        return (enum chair_output) (CHAIR_OUT_VALVE_SHOULDERS + z);
}

enum chair_output chair_heat_zone_output(enum chair_heat_zone z) {
        return z == CHAIR_HEAT_LUMBAR ? CHAIR_OUT_HEAT_LUMBAR : CHAIR_OUT_HEAT_CALVES;
}

enum chair_input chair_heat_zone_sensor(enum chair_heat_zone z) {
        return z == CHAIR_HEAT_LUMBAR ? CHAIR_IN_TEMP_LUMBAR : CHAIR_IN_TEMP_CALVES;
}

const char *chair_key_name(enum chair_key k) {
        return (unsigned) k < _CHAIR_KEY_MAX ? keys[k] : NULL;
}

int chair_key_from_name(const char *name) {
        return name_index(keys, _CHAIR_KEY_MAX, name);
}

const struct chair_axis_info *chair_axis_info(enum chair_axis a) {
        return (unsigned) a < _CHAIR_AXIS_MAX ? &axes[a] : NULL;
}

int chair_axis_from_name(const char *name) {
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                if (strcmp(axes[a].name, name) == 0)
                        return (int) a;
        return -EINVAL;
}

int chair_output_axis(enum chair_output out) {
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                if (axes[a].motor == out)
                        return (int) a;
        return -1;
}

int chair_input_axis(enum chair_input in) {
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                if (axes[a].position == in || axes[a].end_min == in || axes[a].end_max == in || axes[a].current == in)
                        return (int) a;
        return -1;
}
