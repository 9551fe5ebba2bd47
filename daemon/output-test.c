/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "chair-hw.h"
#include "changes.h"
#include "core-context.h"
#include "event-loop.h"
#include "log.h"
#include "output-test.h"
#include "posture.h"
#include "precautions.h"
#include "session.h"
#include "settings.h"
#include "supervisor.h"

struct output_test {
        struct chair_core *c;
        struct event_source *timer, *settle_timer;
        bool active;
        enum chair_output out;
        int32_t value;
        int32_t current_min;      /* an axis's running current, for posture's rise; INT32_MAX
                                   * until it settled */
};

uint32_t output_test_max_ms(enum chair_output out) {
        uint32_t on = chair_output_info(out)->max_on_ms;
        return on && on < OUTPUT_TEST_MAX_MS ? on : OUTPUT_TEST_MAX_MS;
}

bool output_test_active(struct output_test *t) {
        return t && t->active;
}

static bool is_leg_roller(enum chair_output out) {
        return out == CHAIR_OUT_FOOT_ROLLERS || out == CHAIR_OUT_CALF_KNEAD;
}

/* The axes and the leg rollers move or press a person's body: the test bypasses posture's
 * rules (the occupant, the feet, the precautions), so it drives them only with the seat
 * reporting no one (a reading that cannot be had counts as someone there); an axis also only
 * with its bumper free (posture's check) and short of its soft limit. NULL when it may move,
 * else why not. */
static const char *axis_blocked(struct output_test *t, enum chair_output out, int32_t value) {
        int axis = chair_output_axis(out);
        int32_t v = 1, lo, hi;

        if ((axis < 0 && !is_leg_roller(out)) || value == 0)
                return NULL;
        if (chair_hw_read_input(t->c->hw, CHAIR_IN_SEAT_OCCUPANCY, &v) < 0 || v != 0)
                return axis >= 0 ? "someone may be seated (seat_occupancy does not read 0): an axis is tested with the seat empty"
                                 : "someone may be seated (seat_occupancy does not read 0): the leg rollers are tested with the seat empty";
        if (axis < 0)
                return NULL;
        if (posture_bumper_pressed(t->c, axis))
                return "its bumper is pressed: clear its path first";
        posture_axis_range(t->c, axis, &lo, &hi);
        if (chair_hw_read_input(t->c->hw, chair_axis_info(axis)->position, &v) >= 0 &&
            ((value > 0 && v >= hi) || (value < 0 && v <= lo)))
                return value > 0 ? "at its soft limit (soft_max, or the wall clearance)" : "at its soft limit (soft_min)";
        return NULL;
}

void output_test_end(struct output_test *t, const char *why) {
        const struct chair_output_info *info;

        if (!output_test_active(t))
                return;
        info = chair_output_info(t->out);
        t->active = false;
        event_source_disarm(t->timer);
        event_source_disarm(t->settle_timer);
        /* A closed gate (a stop, a fault) has driven it safe already. */
        if (chair_hw_enabled(t->c->hw))
                (void) chair_hw_set_output(t->c->hw, t->out, info->safe_value);
        log_info("Output test: %s back to %d (%s).", info->name, info->safe_value, why);
}

static void on_timer(struct event_source *s, uint64_t usec, void *userdata) {
        output_test_end(userdata, "time is up");
}

/* An axis's running current is read once its move settled (readings come only as they change). */
static void on_settle_timer(struct event_source *s, uint64_t usec, void *userdata) {
        struct output_test *t = userdata;
        int32_t ma;

        if (output_test_active(t) && chair_output_axis(t->out) >= 0 &&
            chair_hw_read_input(t->c->hw, chair_axis_info(chair_output_axis(t->out))->current, &ma) >= 0)
                t->current_min = ma;
}

/* The roller, or a posture axis, driven into the end switch it travels toward. */
static bool into_end_switch(struct output_test *t, enum chair_output out, int32_t value) {
        enum chair_input sw = value > 0 ? CHAIR_IN_LIMIT_TOP : CHAIR_IN_LIMIT_BOTTOM;
        int axis = chair_output_axis(out);
        int32_t v = 0;

        if (axis >= 0)
                sw = value > 0 ? chair_axis_info(axis)->end_max : chair_axis_info(axis)->end_min;
        if ((out != CHAIR_OUT_TRAVEL_MOTOR && axis < 0) || value == 0 || !chair_hw_has_input(t->c->hw, sw))
                return false;
        return chair_hw_read_input(t->c->hw, sw, &v) >= 0 && v != 0;
}

/* The active person's declared conditions and caps hold for a test too: nothing at all with a
 * must-not-use condition (the gate's own refusal, as for manual use) or while the stored list
 * could not be read back; no heat (a condition's, or their heat cap of 0; a cap of 1 or 2 lets
 * the heater on, its temperature watched by the supervisor), no forbidden air zone, no deeper
 * than the depth cap. */
static int check_precautions(struct output_test *t, enum chair_output out, int32_t value, struct chair_error *error) {
        const struct chair_output_info *info = chair_output_info(out);
        struct precaution_declared dec;
        struct precaution_caps caps, conditions_caps;
        struct precaution_verdict v;
        char unused[8];

        if (value == info->safe_value)
                return 0;
        chair_settings_declared(t->c->settings, &dec);
        if (dec.unreadable)
                return chair_error_set(error, CHAIR_REASON_PRECAUTION,
                                       "The declared conditions could not be read back: declare them again first");
        /* Any use at all, asked of the gate: a must-not-use condition refuses every actuator. */
        if (precautions_check(&dec, &(struct precaution_request) { .kind = PRECAUTION_MANUAL, .value = 1 }, &v) < 0)
                return chair_error_set(error, CHAIR_REASON_PRECAUTION, "%s", v.reason);
        precautions_evaluate_declared(&dec, NULL, &caps, unused, sizeof unused);
        precautions_evaluate(dec.conditions, NULL, &conditions_caps, unused, sizeof unused);
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++)
                if (caps.no_heat && out == chair_heat_zone_output(z))
                        return chair_error_set(error, CHAIR_REASON_PRECAUTION, "%s",
                                               conditions_caps.no_heat ? "The declared conditions allow no heat"
                                                                       : "No heat with your heat cap (0)");
        for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++)
                if ((caps.forbidden_air_zones & (1u << z)) && out == chair_air_zone_valve(z))
                        return chair_error_set(error, CHAIR_REASON_PRECAUTION,
                                               "The declared conditions allow no compression of the %s",
                                               chair_air_zone_name(z));
        if (out == CHAIR_OUT_DEPTH && (uint32_t) value > caps.max_depth)
                return chair_error_set(error, CHAIR_REASON_PRECAUTION, "The declared conditions allow depth %u at most",
                                       caps.max_depth);
        return 0;
}

static void on_input(void *userdata, enum chair_input in, int32_t value, uint64_t ts) {
        struct output_test *t = userdata;
        int axis = output_test_active(t) ? chair_output_axis(t->out) : -1;
        char why[112];

        if (!output_test_active(t))
                return;
        /* An obstruction by posture's own detection ends the test at once; no pinch latches
         * (no one is seated), the reason is logged. */
        if (axis >= 0 && t->value != 0 && in == chair_axis_info(axis)->current &&
            posture_current_obstructed(t->c, axis, value, &t->current_min, why, sizeof why)) {
                output_test_end(t, why);
                return;
        }
        if ((in == CHAIR_IN_PANEL_KEY || in == CHAIR_IN_PANEL_EVENT) && value)
                output_test_end(t, "a panel key");
        else if (chair_input_info(in)->stop && value)
                output_test_end(t, chair_input_info(in)->name);
        else if (into_end_switch(t, t->out, t->value))
                output_test_end(t, "the end switch");
        else if (axis_blocked(t, t->out, t->value))
                output_test_end(t, in == CHAIR_IN_SEAT_OCCUPANCY ? "someone sat down" : axis_blocked(t, t->out, t->value));
}

static void on_event(const struct chair_event *ev, void *userdata) {
        if (ev->kind == CHAIR_EVENT_FAULT_RAISED)
                output_test_end(userdata, "a fault");
}

int output_test_start(struct output_test *t, enum chair_output out, int32_t value, uint32_t ms,
                      struct chair_error *error) {
        const struct chair_output_info *info;
        struct chair_core *c = t->c;
        uint32_t max_ms;
        int r;

        if ((unsigned) out >= _CHAIR_OUT_MAX)
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "output: unknown output");
        info = chair_output_info(out);
        if (info->indicator || !chair_hw_has_output(c->hw, out))
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "output: %s is %s", info->name,
                                       info->indicator ? "a panel indicator (the panel drives it)"
                                                       : "not on this chair's hardware map");
        if (value < info->min || value > info->max)
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "value: %s takes %d to %d, not %d", info->name,
                                       info->min, info->max, value);
        max_ms = output_test_max_ms(out);
        if (ms < 1 || ms > max_ms)
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "milliseconds: %s is tested for 1 to %u ms, not %u",
                                       info->name, max_ms, ms);
        if (supervisor_latched(c->supervisor) || session_get_state(c->session) == SESSION_FAULT)
                return chair_error_set(error, CHAIR_REASON_FAULT_LATCHED,
                                       "A fault is latched (%s): a technician must clear it first",
                                       supervisor_fault_code(c->supervisor));
        if (session_get_state(c->session) != SESSION_IDLE)
                return chair_error_set(error, CHAIR_REASON_BUSY, "The chair is %s: outputs are tested only while idle",
                                       session_state_name(session_get_state(c->session)));
        if (t->active)
                return chair_error_set(error, CHAIR_REASON_BUSY, "An output test of %s runs; one at a time",
                                       chair_output_info(t->out)->name);
        if (into_end_switch(t, out, value))
                return chair_error_set(error, CHAIR_REASON_NOT_PERMITTED, "%s is at its %s end switch",
                                       chair_output_axis(out) >= 0 ? chair_axis_info(chair_output_axis(out))->name
                                                                   : "The roller",
                                       chair_output_axis(out) >= 0 ? (value > 0 ? "end_max" : "end_min")
                                                                   : (value > 0 ? "top" : "bottom"));
        if (axis_blocked(t, out, value))
                return chair_error_set(error, CHAIR_REASON_NOT_PERMITTED, "%s: %s", info->name, axis_blocked(t, out, value));
        r = check_precautions(t, out, value, error);
        if (r < 0)
                return r;
        /* The gate opens unless a stop input is still recorded (the e-stop wins). */
        chair_hw_enable(c->hw);
        r = chair_hw_set_output(c->hw, out, value);
        if (r == -EPERM)
                return chair_error_set(error, CHAIR_REASON_NOT_PERMITTED,
                                       "The safety gate is closed (a stop input is active)");
        if (r < 0)
                return chair_error_set_errno(error, r, "Cannot drive %s: %m", info->name);
        t->active = true;
        t->out = out;
        t->value = value;
        t->current_min = INT32_MAX;
        event_source_arm(t->timer, event_loop_now(c->loop) + (uint64_t) ms * USEC_PER_MSEC);
        if (chair_output_axis(out) >= 0)
                event_source_arm(t->settle_timer, event_loop_now(c->loop) + POSTURE_CURRENT_SETTLE_USEC);
        /* The supervisor's active checks: on-times, heat, pressure, encoder, limits. */
        supervisor_update_activity(c->supervisor);
        log_info("Output test: %s at %d for %u ms.", info->name, value, ms);
        return 0;
}

int output_test_new(struct chair_core *c, struct output_test **ret) {
        struct output_test *t = calloc(1, sizeof *t);
        int r;

        if (!t)
                return -ENOMEM;
        t->c = c;
        r = event_loop_add_timer(c->loop, USEC_PER_MSEC, on_timer, t, &t->timer);
        if (r >= 0)
                r = event_loop_add_timer(c->loop, USEC_PER_MSEC, on_settle_timer, t, &t->settle_timer);
        if (r >= 0)
                r = chair_hw_subscribe(c->hw, on_input, t);
        if (r >= 0)
                r = chair_changes_listen(c->changes, on_event, t);
        if (r < 0) {
                event_source_free(t->settle_timer);
                event_source_free(t->timer);
                free(t);
                return r;
        }
        *ret = t;
        return 0;
}

struct output_test *output_test_free(struct output_test *t) {
        if (!t)
                return NULL;
        output_test_end(t, "shutting down");
        event_source_free(t->settle_timer);
        event_source_free(t->timer);
        free(t);
        return NULL;
}
