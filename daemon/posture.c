/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chair-hw.h"
#include "changes.h"
#include "core-context.h"
#include "event-loop.h"
#include "log.h"
#include "posture.h"
#include "precautions.h"
#include "settings.h"
#include "supervisor.h"

/* After an obstruction the motor comes to a stand before it reverses, then reverses this far
 * (or this long, whichever first) at the map's duty; later release moves go at RELEASE_DUTY_PCT. */
#define REVERSE_DELAY_USEC (100 * USEC_PER_MSEC)
#define REVERSE_MAX_MM 30
#define REVERSE_MAX_USEC (1 * USEC_PER_SEC)
#define RELEASE_DUTY_PCT 20
#define CURRENT_SETTLE_USEC POSTURE_CURRENT_SETTLE_USEC
/* A target closer than this is reached. */
#define TOLERANCE_PERMILLE 5
/* The stop is commanded this long of coasting before the target: a self-locking actuator
 * stops within it (the sim's lead screw in ~50 ms) and never passes a limit. */
#define COAST_USEC (100 * USEC_PER_MSEC)

#define LEGS ((1u << CHAIR_AIR_CALVES) | (1u << CHAIR_AIR_FEET))

/* The pinch fault of each axis. */
static const enum chair_fault pinch_fault[_CHAIR_AXIS_MAX] = {
        [CHAIR_AXIS_RECLINE] = CHAIR_FAULT_RECLINE_PINCH,
        [CHAIR_AXIS_LEGREST_LIFT] = CHAIR_FAULT_LEGREST_PINCH,
        [CHAIR_AXIS_LEGREST_EXTEND] = CHAIR_FAULT_LEGREST_PINCH,
        [CHAIR_AXIS_SEAT_SLIDE] = CHAIR_FAULT_SEAT_SLIDE_PINCH,
};

struct axis_state {
        bool present;
        enum posture_motion motion;
        int dir;                  /* +1 toward end_max, -1 */
        int32_t duty;             /* % */
        int32_t target;           /* per mille: stop there */
        uint64_t started_us;
        uint64_t deadline_us;     /* the travel timeout */
        int32_t current_min;      /* the running current this move, for the rise; INT32_MAX
                                   * until the settle timer read it */
};

/* A manual move posture stopped by itself (not its owner's release): the owner's renewals of it
 * are refused until the owner releases (direction 0) or moves another axis or way. */
struct stopped_move {
        uint64_t owner;           /* 0: none */
        int axis, dir;
        enum chair_reason reason;
        char why[128];
};

struct posture {
        struct chair_core *c;
        struct axis_state axis[_CHAIR_AXIS_MAX];
        uint32_t axes;
        struct event_source *lease_timer, *timeout_timer, *reverse_timer, *settle_timer;
        uint64_t lease_owner;     /* 0: no manual move */
        int pinched;              /* our pinch fault is latched on this axis, -1 none */
        int obstructed;           /* the axis being stopped and reversed, -1 none */
        int obstructed_dir;
        char cause[112];          /* what showed the obstruction, for the fault's message */
        posture_vacated_fn vacated;
        void *vacated_userdata;
        posture_move_fn move_starts;     /* a move of ours begins (core.c ends an output test) */
        void *move_starts_userdata;
        struct posture_obstruction_times times;
        /* Why the axes are being stopped now (stop_cause()), for the stopped move's record;
         * NULL: a stop with no better name. no_record: the owner's own release or new move. */
        enum chair_reason stop_reason;
        const char *stop_why;
        bool no_record;
        struct stopped_move stopped;
};

static uint64_t now_us(struct posture *p) {
        return event_loop_now(p->c->loop);
}

static const struct hw_axis *map_axis(struct posture *p, enum chair_axis a) {
        return &p->c->map.axes[a];
}

/* A reading, or fallback when it cannot be had. */
static int32_t input_or(struct posture *p, enum chair_input in, int32_t fallback) {
        int32_t v;
        return chair_hw_read_input(p->c->hw, in, &v) >= 0 ? v : fallback;
}

/* The range moves may reach: the soft limits, and for the recline the wall clearance too
 * (computed here as well as by the map's loader: the backrest never meets the wall). */
void posture_axis_range(struct chair_core *c, enum chair_axis a, int32_t *ret_lo, int32_t *ret_hi) {
        const struct hw_axis *x = &c->map.axes[a];
        int32_t hi = MIN(x->soft_max, x->limit_max);

        if (a == CHAIR_AXIS_RECLINE && x->reach_mm > 0)
                hi = MIN(hi, (int32_t) MIN((uint64_t) x->wall_clearance_mm * 1000 / x->reach_mm, 1000u));
        *ret_lo = x->soft_min;
        *ret_hi = hi;
}

static void axis_range(struct posture *p, enum chair_axis a, int32_t *ret_lo, int32_t *ret_hi) {
        posture_axis_range(p->c, a, ret_lo, ret_hi);
}

bool posture_bumper_pressed(struct chair_core *c, enum chair_axis a) {
        const struct hw_axis *x = &c->map.axes[a];
        int32_t v;

        return x->obstruction == HW_OBSTRUCTION_BUMPER && x->bumper >= 0 &&
               (chair_hw_read_input(c->hw, x->bumper, &v) < 0 || v != 0);
}

bool posture_current_obstructed(struct chair_core *c, enum chair_axis a, int32_t ma, int32_t *running_min, char *why,
                                size_t n) {
        const struct hw_axis *x = &c->map.axes[a];

        if (x->current_max_ma && (uint32_t) ma > x->current_max_ma) {
                snprintf(why, n, "motor current %d mA above the limit of %u mA", ma, x->current_max_ma);
                return true;
        }
        if (x->obstruction != HW_OBSTRUCTION_CURRENT || *running_min == INT32_MAX)
                return false;
        if (ma < *running_min)
                *running_min = ma;
        if ((int64_t) ma - *running_min > (int64_t) x->obstruction_rise_ma) {
                snprintf(why, n, "motor current rose %d mA over its running %d mA", ma - *running_min, *running_min);
                return true;
        }
        return false;
}

/* How far the axis coasts after the stop, per mille. */
static int32_t coast_permille(struct posture *p, enum chair_axis a, int32_t duty) {
        const struct hw_axis *x = map_axis(p, a);
        uint64_t mm_x1000 = (uint64_t) x->speed_mm_s * (uint64_t) abs(duty) / 100 * COAST_USEC / USEC_PER_MSEC;
        return x->travel_mm ? (int32_t) (mm_x1000 / x->travel_mm) + 1 : 0;
}

bool posture_moving(struct posture *p) {
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                if (p->axis[a].motion != POSTURE_STILL)
                        return true;
        return false;
}

static void announce_move(struct posture *p) {
        if (p->move_starts)
                p->move_starts(p->move_starts_userdata);
}

static void rearm_timeout(struct posture *p) {
        uint64_t at = UINT64_MAX;

        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                if (p->axis[a].motion != POSTURE_STILL && p->axis[a].deadline_us < at)
                        at = p->axis[a].deadline_us;
        if (at == UINT64_MAX)
                event_source_disarm(p->timeout_timer);
        else
                event_source_arm(p->timeout_timer, at);
}

/* The running current is read once a move has settled: readings come only as they change. */
static void rearm_settle(struct posture *p) {
        uint64_t at = UINT64_MAX;

        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                if (p->axis[a].motion != POSTURE_STILL && p->axis[a].current_min == INT32_MAX &&
                    p->axis[a].started_us + CURRENT_SETTLE_USEC < at)
                        at = p->axis[a].started_us + CURRENT_SETTLE_USEC;
        if (at == UINT64_MAX)
                event_source_disarm(p->settle_timer);
        else
                event_source_arm(p->settle_timer, at);
}

static void on_settle_timer(struct event_source *src, uint64_t usec, void *userdata) {
        struct posture *p = userdata;

        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++) {
                struct axis_state *s = &p->axis[a];
                int32_t ma;
                if (s->motion == POSTURE_STILL || s->current_min != INT32_MAX || s->started_us + CURRENT_SETTLE_USEC > usec)
                        continue;
                if (chair_hw_read_input(p->c->hw, chair_axis_info(a)->current, &ma) >= 0)
                        s->current_min = ma;
        }
        rearm_settle(p);
}

/* What the next stops are for; stop_cause(p, 0, NULL) after them. */
static void stop_cause(struct posture *p, enum chair_reason reason, const char *why) {
        p->stop_reason = why ? reason : CHAIR_REASON_BUSY;
        p->stop_why = why;
}

/* The axis stops where it is. A closed gate has stopped it already. A manual move stopped
 * other than by its owner stays stopped for that owner (posture_move). */
static void halt_axis(struct posture *p, enum chair_axis a) {
        struct axis_state *s = &p->axis[a];

        if (!s->present)
                return;
        (void) chair_hw_set_output(p->c->hw, chair_axis_info(a)->motor, 0);
        if (s->motion != POSTURE_STILL)
                chair_changes_mark(p->c->changes, CHAIR_CHANGE_POSTURE);
        if (s->motion == POSTURE_MANUAL && p->lease_owner && !p->no_record) {
                p->stopped = (struct stopped_move) { .owner = p->lease_owner, .axis = (int) a, .dir = s->dir,
                                                     .reason = p->stop_why ? p->stop_reason : CHAIR_REASON_BUSY };
                snprintf(p->stopped.why, sizeof p->stopped.why, "%s", p->stop_why ?: "the daemon stopped it");
        }
        if (s->motion == POSTURE_MANUAL)
                p->lease_owner = 0;
        s->motion = POSTURE_STILL;
        s->dir = 0;
}

static void halt_all(struct posture *p) {
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                halt_axis(p, a);
        p->lease_owner = 0;
        event_source_disarm(p->lease_timer);
        rearm_timeout(p);
}


/* Starts an axis toward target; the checks were made. 0 when already there. */
static int start_axis(struct posture *p, enum chair_axis a, enum posture_motion motion, int32_t target, int32_t duty,
                      struct chair_error *error) {
        struct axis_state *s = &p->axis[a];
        const struct hw_axis *x = map_axis(p, a);
        int32_t pos, value;
        uint64_t timeout_us;
        int dir, r;

        if (chair_hw_read_input(p->c->hw, chair_axis_info(a)->position, &pos) < 0)
                return chair_error_set(error, CHAIR_REASON_FAILED, "The %s position cannot be read", chair_axis_info(a)->name);
        if (abs(target - pos) <= TOLERANCE_PERMILLE)
                return 0;
        dir = target > pos ? 1 : -1;
        value = dir * duty;
        r = chair_hw_set_output(p->c->hw, chair_axis_info(a)->motor, value);
        if (r < 0) {
                halt_all(p);
                return chair_error_set(error, r == -EPERM ? CHAIR_REASON_FAULT_LATCHED : CHAIR_REASON_FAILED,
                                       "The %s motor cannot be driven: %s", chair_axis_info(a)->name,
                                       r == -EPERM ? "every output is stopped" : strerror(-r));
        }
        /* One travel end to end at the map's duty takes at most travel_timeout; slower moves
         * get proportionally longer. */
        timeout_us = (uint64_t) x->travel_timeout_ms * USEC_PER_MSEC * MAX(x->duty_pct, 1u) / (uint64_t) duty;
        *s = (struct axis_state) { .present = true, .motion = motion, .dir = dir, .duty = duty, .target = target,
                                   .started_us = now_us(p), .deadline_us = now_us(p) + timeout_us,
                                   .current_min = INT32_MAX };
        rearm_timeout(p);
        rearm_settle(p);
        chair_changes_mark(p->c->changes, CHAIR_CHANGE_POSTURE);
        log_debug("posture: %s from %d to %d per mille at %d %%", chair_axis_info(a)->name, pos, target, value);
        return 1;
}

/* The checks every move but the pinch release passes. automatic: presets, the fit, the return. */
static int check_move(struct posture *p, enum chair_axis a, bool automatic, struct chair_error *error) {
        struct chair_core *c = p->c;
        struct precaution_declared dec;
        struct precaution_verdict v;

        chair_settings_declared(c->settings, &dec);
        if ((unsigned) a >= _CHAIR_AXIS_MAX || !p->axis[a].present)
                return chair_error_set(error, CHAIR_REASON_NOT_PERMITTED, "This chair has no %s axis",
                                       chair_axis_info(a) ? chair_axis_info(a)->name : "such");
        if (supervisor_latched(c->supervisor) || !chair_hw_enabled(c->hw))
                return chair_error_set(error, CHAIR_REASON_FAULT_LATCHED, "Fault %s is latched: no posture move",
                                       supervisor_fault_code(c->supervisor));
        /* Every move but the pinch's release (which never comes here): a leg rest moved with
         * nobody seated is how children were pinched. */
        if (input_or(p, CHAIR_IN_SEAT_OCCUPANCY, 0) != 1)
                return automatic ? chair_error_set(error, CHAIR_REASON_NOT_OCCUPIED,
                                                   "No one is seated: the chair moves by itself only with a person in it")
                                 : chair_error_set(error, CHAIR_REASON_NOT_OCCUPIED,
                                                   "No one is seated: the %s moves only with a person in the chair",
                                                   chair_axis_info(a)->name);
        if (posture_bumper_pressed(c, a))
                return chair_error_set(error, CHAIR_REASON_NOT_PERMITTED, "The %s bumper is pressed: clear the path first",
                                       chair_axis_info(a)->name);
        if (precautions_check(&dec,
                              &(struct precaution_request) { .kind = PRECAUTION_POSTURE, .value = 1,
                                                             .zones = a == CHAIR_AXIS_LEGREST_LIFT || a == CHAIR_AXIS_LEGREST_EXTEND ? LEGS : 0 },
                              &v) < 0)
                return chair_error_set(error, CHAIR_REASON_PRECAUTION, "%s", v.reason);
        return 0;
}

/* ---- obstruction: stop, reverse a bounded distance, latch ---- */

static void latch_pinch(struct posture *p, enum chair_axis a, int dir, const char *why) {
        enum chair_output motor = chair_axis_info(a)->motor;

        halt_all(p);
        p->obstructed = -1;
        event_source_disarm(p->reverse_timer);
        if (supervisor_latched(p->c->supervisor))
                return; /* another fault came first: it explains, and nothing moves */
        p->times.latched_us = now_us(p);
        p->pinched = (int) a;
        p->obstructed_dir = dir;
        chair_changes_mark(p->c->changes, CHAIR_CHANGE_POSTURE);
        supervisor_trip(p->c->supervisor, pinch_fault[a], "the %s met an obstruction (%s): stopped, %s", chair_axis_info(a)->name,
                        p->cause, why);
        /* Away from the obstruction, slowly and hold-to-run, until a technician clears it. */
        if (chair_hw_permit_release(p->c->hw, motor, -dir) < 0)
                log_notice("posture: a stop is recorded, the %s is not released for moves.", chair_axis_info(a)->name);
}

void posture_stop(struct posture *p) {
        if (!p)
                return;
        /* A stop during an obstruction's reverse ends the reverse, never the latch. */
        if (p->obstructed >= 0) {
                latch_pinch(p, p->obstructed, p->obstructed_dir, "its reverse stopped by a stop");
                return;
        }
        stop_cause(p, CHAIR_REASON_BUSY, "a stop (Posture.Stop or the panel's power key) ended it");
        halt_all(p);
        stop_cause(p, 0, NULL);
}

static void obstruction(struct posture *p, enum chair_axis a, const char *why) {
        struct axis_state *s = &p->axis[a];
        int dir = s->dir;

        if (s->motion == POSTURE_STILL)
                return;
        p->times = (struct posture_obstruction_times) { .detected_us = now_us(p) };
        snprintf(p->cause, sizeof p->cause, "%s", why);
        log_warning("posture: obstruction on the %s (%s): stopping every axis.", chair_axis_info(a)->name, why);
        stop_cause(p, CHAIR_REASON_FAULT_LATCHED, "an obstruction stopped it: its pinch fault latches");
        if (s->motion == POSTURE_RELEASING || p->pinched >= 0) {
                /* Met again on the way out, or during a release move: stop there, and latch. */
                halt_all(p);
                stop_cause(p, 0, NULL);
                p->times.stopped_us = now_us(p);
                if (p->pinched < 0)
                        latch_pinch(p, a, p->obstructed_dir, "met again while reversing");
                return;
        }
        halt_all(p);
        stop_cause(p, 0, NULL);
        p->times.stopped_us = now_us(p);
        p->obstructed = (int) a;
        p->obstructed_dir = dir;
        event_source_arm(p->reverse_timer, now_us(p) + REVERSE_DELAY_USEC);
}

static void on_reverse_timer(struct event_source *src, uint64_t usec, void *userdata) {
        struct posture *p = userdata;
        int a = p->obstructed;
        struct axis_state *s;
        const struct hw_axis *x;
        int32_t pos, back;

        if (a < 0)
                return;
        s = &p->axis[a];
        x = map_axis(p, a);
        if (s->motion == POSTURE_RELEASING) {
                p->times.reverse_done_us = now_us(p);
                latch_pinch(p, a, p->obstructed_dir, "reversed for its longest time");
                return;
        }
        /* A fault in between (the e-stop): stay stopped where it is. */
        if (supervisor_latched(p->c->supervisor) || chair_hw_read_input(p->c->hw, chair_axis_info(a)->position, &pos) < 0) {
                latch_pinch(p, a, p->obstructed_dir, "not reversed: the chair is stopped");
                return;
        }
        back = (int32_t) MIN((uint64_t) REVERSE_MAX_MM * 1000 / MAX(x->travel_mm, 1u), 1000u);
        p->times.reverse_start_us = now_us(p);
        if (start_axis(p, a, POSTURE_RELEASING, CLAMP(pos - p->obstructed_dir * back, 0, 1000), (int32_t) x->duty_pct, NULL) <= 0) {
                p->times.reverse_done_us = now_us(p);
                latch_pinch(p, a, p->obstructed_dir, "not reversed: at its end");
                return;
        }
        event_source_arm(p->reverse_timer, now_us(p) + REVERSE_MAX_USEC);
}

/* ---- inputs: every rule acts on the callback that reads the input ---- */

static void check_current(struct posture *p, enum chair_axis a, int32_t ma) {
        char why[96];

        if (p->axis[a].motion != POSTURE_STILL && posture_current_obstructed(p->c, a, ma, &p->axis[a].current_min, why, sizeof why))
                obstruction(p, a, why);
}

static void check_position(struct posture *p, enum chair_axis a, int32_t pos) {
        struct axis_state *s = &p->axis[a];
        int32_t lead;

        if (s->motion == POSTURE_STILL)
                return;
        lead = s->motion == POSTURE_RELEASING ? 0 : coast_permille(p, a, s->duty);
        if ((s->dir > 0 && pos >= s->target - lead) || (s->dir < 0 && pos <= s->target + lead)) {
                if (s->motion == POSTURE_RELEASING) {
                        p->times.reverse_done_us = now_us(p);
                        latch_pinch(p, a, p->obstructed_dir, "reversed its full distance");
                        return;
                }
                stop_cause(p, CHAIR_REASON_BUSY, "it reached its limit");
                halt_axis(p, a);
                stop_cause(p, 0, NULL);
                rearm_timeout(p);
        }
}

static bool is_rotary(enum chair_output out) {
        return out == CHAIR_OUT_FOOT_ROLLERS || out == CHAIR_OUT_CALF_KNEAD;
}

/* For the person's messages: the channel and its verb. */
static const char *rotary_name(enum chair_output out) {
        return out == CHAIR_OUT_FOOT_ROLLERS ? "foot rollers run" : "calf kneading runs";
}

/* The rotary channel stops; NULL-safe for a chair without it. */
static bool stop_rotary(struct posture *p, enum chair_output out) {
        if (!chair_hw_has_output(p->c->hw, out) || chair_hw_get_output(p->c->hw, out) == 0)
                return false;
        (void) chair_hw_set_output(p->c->hw, out, 0);
        chair_changes_mark(p->c->changes, CHAIR_CHANGE_POSTURE);
        return true;
}

int posture_set_rotary(struct posture *p, enum chair_output out, int32_t value, struct chair_error *error) {
        struct precaution_declared dec;
        struct precaution_verdict v;
        int r;

        chair_settings_declared(p->c->settings, &dec);

        if (!is_rotary(out) || value < chair_output_info(out)->min || value > chair_output_info(out)->max)
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "Not a rotary leg channel, or out of its range");
        if (!p->axes || !chair_hw_has_output(p->c->hw, out))
                return chair_error_set(error, CHAIR_REASON_NOT_PERMITTED, "This chair has no %s", chair_output_info(out)->name);
        if (value == 0) {
                stop_rotary(p, out);
                return 0;
        }
        if (supervisor_latched(p->c->supervisor) || !chair_hw_enabled(p->c->hw))
                return chair_error_set(error, CHAIR_REASON_FAULT_LATCHED, "Fault %s is latched: the %s stays off",
                                       supervisor_fault_code(p->c->supervisor), chair_output_info(out)->name);
        if (input_or(p, CHAIR_IN_SEAT_OCCUPANCY, 0) != 1)
                return chair_error_set(error, CHAIR_REASON_NOT_OCCUPIED, "The %s only with a person seated",
                                       rotary_name(out));
        if (out == CHAIR_OUT_FOOT_ROLLERS && input_or(p, CHAIR_IN_FEET_ON, 0) != 1)
                return chair_error_set(error, CHAIR_REASON_NOT_PERMITTED, "The %s only with the feet on the foot rest",
                                       rotary_name(out));
        if (precautions_check(&dec, &(struct precaution_request) { .kind = PRECAUTION_POSTURE, .value = 1, .zones = LEGS }, &v) < 0)
                return chair_error_set(error, CHAIR_REASON_PRECAUTION, "%s", v.reason);
        r = chair_hw_set_output(p->c->hw, out, value);
        if (r < 0)
                return chair_error_set(error, r == -EPERM ? CHAIR_REASON_FAULT_LATCHED : CHAIR_REASON_FAILED,
                                       "The %s cannot be driven", chair_output_info(out)->name);
        chair_changes_mark(p->c->changes, CHAIR_CHANGE_POSTURE);
        return 0;
}

static void on_input(void *userdata, enum chair_input in, int32_t value, uint64_t ts) {
        struct posture *p = userdata;
        int a = chair_input_axis(in);

        if (in == CHAIR_IN_SEAT_OCCUPANCY || in == CHAIR_IN_FEET_ON)
                chair_changes_mark(p->c->changes, CHAIR_CHANGE_POSTURE);
        if (in == CHAIR_IN_FEET_ON && value == 0 && stop_rotary(p, CHAIR_OUT_FOOT_ROLLERS))
                log_info("posture: the feet left the foot rest: the foot rollers stopped.");
        if (in == CHAIR_IN_SEAT_OCCUPANCY && value == 0) {
                bool moved = posture_moving(p) || p->obstructed >= 0;
                moved |= stop_rotary(p, CHAIR_OUT_FOOT_ROLLERS);
                moved |= stop_rotary(p, CHAIR_OUT_CALF_KNEAD);
                /* The person left: everything stops here, not at a later tick. */
                stop_cause(p, CHAIR_REASON_NOT_OCCUPIED, "the person left the seat");
                if (moved && p->obstructed < 0)
                        halt_all(p);
                stop_cause(p, 0, NULL);
                if (moved)
                        log_notice("posture: the seat reports no one: every axis stopped.");
                if (p->vacated)
                        p->vacated(p->vacated_userdata);
                return;
        }
        if (in == CHAIR_IN_FEET_ON && value && p->axis[CHAIR_AXIS_LEGREST_EXTEND].motion == POSTURE_FIT) {
                halt_axis(p, CHAIR_AXIS_LEGREST_EXTEND);
                rearm_timeout(p);
                log_info("posture: the leg rest reached the feet.");
                return;
        }
        if (value) /* a bumper: every moving axis whose map names it */
                for (unsigned b = 0; b < _CHAIR_AXIS_MAX; b++)
                        if (p->axis[b].present && map_axis(p, b)->obstruction == HW_OBSTRUCTION_BUMPER &&
                            map_axis(p, b)->bumper == (int32_t) in && p->axis[b].motion != POSTURE_STILL) {
                                obstruction(p, b, chair_input_info(in)->name);
                                return;
                        }
        if (a < 0 || !p->axis[a].present)
                return;
        if (value && (in == chair_axis_info(a)->end_min || in == chair_axis_info(a)->end_max) &&
            input_or(p, chair_axis_info(a)->end_min, 0) && input_or(p, chair_axis_info(a)->end_max, 0)) {
                /* Both ends at once is a wiring fault: nothing the switches say can be trusted. */
                stop_cause(p, CHAIR_REASON_FAULT_LATCHED, "both end switches of an axis are active at once");
                halt_all(p);
                stop_cause(p, 0, NULL);
                p->obstructed = -1;
                event_source_disarm(p->reverse_timer);
                supervisor_trip(p->c->supervisor, CHAIR_FAULT_LIMITS_BOTH, "both %s end switches are active at once",
                                chair_axis_info(a)->name);
                return;
        }
        if (in == chair_axis_info(a)->current)
                check_current(p, a, value);
        else if (in == chair_axis_info(a)->position)
                check_position(p, a, value);
        else if (value && ((in == chair_axis_info(a)->end_max && p->axis[a].dir > 0) ||
                           (in == chair_axis_info(a)->end_min && p->axis[a].dir < 0))) {
                /* The soft limits lie inside the switches: reaching one is a broken position. */
                log_warning("posture: the %s reached its %s switch: stopped.", chair_axis_info(a)->name,
                            in == chair_axis_info(a)->end_max ? "end_max" : "end_min");
                if (p->axis[a].motion == POSTURE_RELEASING)
                        latch_pinch(p, a, p->obstructed_dir, "reversed to its end switch");
                else {
                        stop_cause(p, CHAIR_REASON_BUSY, "it reached its end switch");
                        halt_axis(p, a);
                        stop_cause(p, 0, NULL);
                        rearm_timeout(p);
                }
        }
}

static void on_lease_timer(struct event_source *src, uint64_t usec, void *userdata) {
        struct posture *p = userdata;

        log_info("posture: the hold-to-run lease lapsed: stopped.");
        stop_cause(p, CHAIR_REASON_BUSY, "its lease lapsed before a renewal came");
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                if (p->axis[a].motion == POSTURE_MANUAL)
                        halt_axis(p, a);
        stop_cause(p, 0, NULL);
        p->lease_owner = 0;
        rearm_timeout(p);
}

static void on_timeout_timer(struct event_source *src, uint64_t usec, void *userdata) {
        struct posture *p = userdata;

        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                if (p->axis[a].motion != POSTURE_STILL && p->axis[a].deadline_us <= usec) {
                        stop_cause(p, CHAIR_REASON_FAULT_LATCHED, "it did not reach its target in time (travel-timeout)");
                        halt_all(p);
                        stop_cause(p, 0, NULL);
                        p->obstructed = -1;
                        event_source_disarm(p->reverse_timer);
                        supervisor_trip(p->c->supervisor, CHAIR_FAULT_TRAVEL_TIMEOUT,
                                        "the %s did not reach its target in time", chair_axis_info(a)->name);
                        return;
                }
        rearm_timeout(p);
}

/* Any fault: the router's gate stopped the motors; forget the motions so none resumes. A
 * clear ends our pinch. */
static void on_event(const struct chair_event *ev, void *userdata) {
        struct posture *p = userdata;

        if (ev->kind == CHAIR_EVENT_FAULT_RAISED) {
                stop_cause(p, CHAIR_REASON_FAULT_LATCHED, "a fault was latched");
                if (p->obstructed < 0)
                        halt_all(p);
                stop_cause(p, 0, NULL);
        } else if (ev->kind == CHAIR_EVENT_FAULT_CLEARED) {
                if (p->pinched >= 0)
                        log_info("posture: the %s pinch fault was cleared.", chair_axis_info(p->pinched)->name);
                halt_all(p);
                p->pinched = -1;
                chair_changes_mark(p->c->changes, CHAIR_CHANGE_POSTURE);
        }
}

/* The person's conditions changed: a move they now refuse stops (a release never does). */
static void on_changes(uint32_t changed, void *userdata) {
        struct posture *p = userdata;
        struct chair_error e = CHAIR_ERROR_NULL;

        /* A polling board reads the bumper, the seat and the positions at its active rate while
         * anything of ours runs (one loop pass after it starts), not at its idle rate. */
        if (changed & CHAIR_CHANGE_POSTURE)
                chair_hw_set_awake(p->c->hw, CHAIR_HW_AWAKE_POSTURE,
                                   posture_moving(p) || posture_rotary(p, CHAIR_OUT_FOOT_ROLLERS) != 0 ||
                                           posture_rotary(p, CHAIR_OUT_CALF_KNEAD) != 0);
        if (!(changed & CHAIR_CHANGE_PRECAUTIONS))
                return;
        for (unsigned i = 0; i < 2; i++) {
                enum chair_output out = i ? CHAIR_OUT_CALF_KNEAD : CHAIR_OUT_FOOT_ROLLERS;
                if (chair_hw_has_output(p->c->hw, out) && chair_hw_get_output(p->c->hw, out) != 0 &&
                    posture_set_rotary(p, out, chair_hw_get_output(p->c->hw, out), &e) < 0) {
                        log_notice("posture: %s", e.message);
                        stop_rotary(p, out);
                }
                chair_error_reset(&e);
        }
        if (p->pinched >= 0 || p->obstructed >= 0)
                return;
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                if (p->axis[a].motion != POSTURE_STILL && check_move(p, a, false, &e) < 0) {
                        log_notice("posture: %s: every axis stopped.", e.message);
                        stop_cause(p, e.reason, e.message);
                        halt_all(p);
                        stop_cause(p, 0, NULL);
                        return;
                }
}

/* ---- the moves ---- */

/* Where a preset moves an axis: to its position clamped into the axis's range, or -1 when it
 * would not move: it stands there already, or the preset's position lies past the end of the
 * range the axis rests beyond (the upright chair on its end switch, below soft_min_permille,
 * is upright: not driven up to the soft limit). */
static int32_t preset_target(struct posture *p, enum posture_preset preset, enum chair_axis a) {
        int32_t want = posture_preset_position(preset, a), lo, hi, target, pos;

        if (!p->axis[a].present || want < 0)
                return -1;
        axis_range(p, a, &lo, &hi);
        target = CLAMP(want, lo, hi);
        if (chair_hw_read_input(p->c->hw, chair_axis_info(a)->position, &pos) < 0)
                return target; /* start_axis() says why it cannot */
        if (abs(target - pos) <= TOLERANCE_PERMILLE || (target > pos) != (want > pos))
                return -1;
        return target;
}

/* Every axis the preset would move passes every check before any moves. An axis the person's
 * conditions forbid (the leg rest, with a leg condition) is left out, not the whole preset:
 * the others go on. Only when it leaves nothing else to move is the preset refused, with the
 * condition's reason. An axis already in place is not moved, so not asked about. */
static int automatic_move(struct posture *p, enum posture_preset preset, bool slow, struct chair_error *error) {
        struct chair_error forbidden = CHAIR_ERROR_NULL;
        int32_t target[_CHAIR_AXIS_MAX];
        char left_out[64] = "";
        unsigned moving = 0;
        int r, started = 0;

        if ((unsigned) preset >= _POSTURE_PRESET_MAX)
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "No such preset");
        if (!p->axes)
                return chair_error_set(error, CHAIR_REASON_NOT_PERMITTED, "This chair has no posture axes");
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++) {
                struct chair_error why = CHAIR_ERROR_NULL;
                target[a] = -1;
                if (!p->axis[a].present || posture_preset_position(preset, a) < 0)
                        continue;
                r = check_move(p, a, true, &why);
                if (r < 0 && !chair_error_is(&why, CHAIR_REASON_PRECAUTION)) {
                        if (error)
                                *error = why;
                        return r;
                }
                target[a] = preset_target(p, preset, a);
                if (target[a] < 0 || r >= 0) {
                        moving += target[a] >= 0;
                        continue;
                }
                /* Forbidden, and it would move: left out. */
                target[a] = -1;
                snprintf(left_out + strlen(left_out), sizeof left_out - strlen(left_out), "%s%s", left_out[0] ? ", " : "",
                         chair_axis_info(a)->name);
                if (!forbidden.error)
                        forbidden = why;
        }
        if (!moving && forbidden.error) {
                if (error)
                        *error = forbidden;
                return forbidden.error;
        }
        if (p->lease_owner || p->obstructed >= 0)
                return chair_error_set(error, CHAIR_REASON_BUSY, "A hold-to-run move or a release is under way");
        announce_move(p);
        halt_all(p);
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++) {
                int32_t duty;
                if (target[a] < 0)
                        continue;
                duty = (int32_t) map_axis(p, a)->duty_pct;
                if (slow)
                        duty = MAX(duty / 2, 10);
                r = start_axis(p, a, POSTURE_PRESET_MOVE, target[a], duty, error);
                if (r < 0)
                        return r;
                started += r;
        }
        if (left_out[0])
                log_notice("posture: %s without the %s: %s.", posture_preset_to_string(preset), left_out, forbidden.message);
        else
                log_info("posture: %s%s.", posture_preset_to_string(preset), started ? "" : " (already there)");
        return 0;
}

int posture_preset(struct posture *p, enum posture_preset preset, struct chair_error *error) {
        return automatic_move(p, preset, false, error);
}

int posture_return_upright(struct posture *p, struct chair_error *error) {
        return automatic_move(p, POSTURE_PRESET_UPRIGHT, true, error);
}

int posture_fit_legs(struct posture *p, struct chair_error *error) {
        enum chair_axis a = CHAIR_AXIS_LEGREST_EXTEND;
        int32_t lo, hi;
        int r;

        r = check_move(p, a, true, error);
        if (r < 0)
                return r;
        if (!chair_hw_has_input(p->c->hw, CHAIR_IN_FEET_ON))
                return chair_error_set(error, CHAIR_REASON_NOT_PERMITTED, "This chair cannot feel the feet: no leg-length fit");
        if (p->lease_owner || p->obstructed >= 0)
                return chair_error_set(error, CHAIR_REASON_BUSY, "A hold-to-run move or a release is under way");
        /* Feet felt already: fitted; the fit never retracts. */
        if (input_or(p, CHAIR_IN_FEET_ON, 1) != 0)
                return 0;
        announce_move(p);
        halt_axis(p, a);
        axis_range(p, a, &lo, &hi);
        r = start_axis(p, a, POSTURE_FIT, hi, (int32_t) map_axis(p, a)->duty_pct, error);
        return r < 0 ? r : 0;
}

/* A manual move goes the way it was asked or not at all: an axis short of its soft limit (the
 * upright chair resting on its end switch) has no room that way, and must not go the other. */
static bool room_toward(struct posture *p, enum chair_axis a, int direction, int32_t target) {
        int32_t pos;
        return chair_hw_read_input(p->c->hw, chair_axis_info(a)->position, &pos) >= 0 &&
               (target - pos) * direction > TOLERANCE_PERMILLE;
}

int posture_go_to(struct posture *p, enum chair_axis a, int32_t permille, bool slow, struct chair_error *error) {
        int32_t lo, hi, duty;
        int r;

        if ((unsigned) a >= _CHAIR_AXIS_MAX || permille < 0 || permille > 1000)
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "An axis and a position of 0-1000 per mille");
        r = check_move(p, a, true, error);
        if (r < 0)
                return r;
        if (p->lease_owner || p->obstructed >= 0)
                return chair_error_set(error, CHAIR_REASON_BUSY, "A hold-to-run move or a release is under way");
        announce_move(p);
        halt_axis(p, a);
        axis_range(p, a, &lo, &hi);
        duty = (int32_t) map_axis(p, a)->duty_pct;
        if (slow)
                duty = MAX(duty / 2, 10);
        r = start_axis(p, a, POSTURE_PRESET_MOVE, CLAMP(permille, lo, hi), duty, error);
        if (r == 0)
                rearm_timeout(p);
        return r < 0 ? r : 0;
}

/* The one move a pinch leaves: the pinched axis, away from the obstruction, slowly. */
static int release_move(struct posture *p, enum chair_axis a, int direction, struct chair_error *error) {
        int32_t lo, hi;

        if ((int) a != p->pinched || direction != -p->obstructed_dir)
                return chair_error_set(error, CHAIR_REASON_FAULT_LATCHED,
                                       "Fault %s is latched: only the %s may move, away from the obstruction, until a technician clears it",
                                       supervisor_fault_code(p->c->supervisor), chair_axis_info(p->pinched)->name);
        axis_range(p, a, &lo, &hi);
        if (!room_toward(p, a, direction, direction > 0 ? hi : lo))
                return 0;
        return start_axis(p, a, POSTURE_MANUAL, direction > 0 ? hi : lo,
                          MIN(RELEASE_DUTY_PCT, (int32_t) map_axis(p, a)->duty_pct), error);
}

int posture_move(struct posture *p, enum chair_axis a, int direction, uint32_t lease_ms, uint64_t owner,
                 struct chair_error *error) {
        int32_t lo, hi;
        int r;

        if (owner == 0 || direction < -1 || direction > 1 || (unsigned) a >= _CHAIR_AXIS_MAX)
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "A move needs an owner, an axis and a direction of -1, 0 or 1");
        if (direction == 0) {
                /* Released: the owner's own stop, and the next press is a fresh one. */
                if (owner == p->stopped.owner)
                        p->stopped.owner = 0;
                if (owner == p->lease_owner) {
                        p->no_record = true;
                        on_lease_timer(p->lease_timer, now_us(p), p);
                        p->no_record = false;
                }
                return 0;
        }
        if (lease_ms < POSTURE_LEASE_MIN_MS || lease_ms > POSTURE_LEASE_MAX_MS)
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "The lease is %u ms: %u-%u ms", lease_ms,
                                       POSTURE_LEASE_MIN_MS, POSTURE_LEASE_MAX_MS);
        /* A move the daemon stopped stays stopped: a renewal would start it again by itself
         * (the person gone, a stop, a lapsed lease). Another axis or way is a fresh press. */
        if (owner == p->stopped.owner) {
                if ((int) a == p->stopped.axis && direction == p->stopped.dir)
                        return chair_error_set(error, p->stopped.reason,
                                               "The %s move was stopped (%s): release it (direction 0) and press again",
                                               chair_axis_info(a)->name, p->stopped.why);
                p->stopped.owner = 0;
        }
        if (p->lease_owner && p->lease_owner != owner)
                return chair_error_set(error, CHAIR_REASON_BUSY, "Another hold-to-run move is under way");
        if (p->lease_owner == owner && p->axis[a].motion == POSTURE_MANUAL && p->axis[a].dir == direction) {
                /* Each renewal passes the checks again (a condition declared, a bumper pressed). */
                r = p->pinched >= 0 ? 0 : check_move(p, a, false, error);
                if (r < 0) {
                        stop_cause(p, error ? error->reason : CHAIR_REASON_BUSY, error ? error->message : NULL);
                        halt_all(p);
                        stop_cause(p, 0, NULL);
                        return r;
                }
                event_source_arm(p->lease_timer, now_us(p) + (uint64_t) lease_ms * USEC_PER_MSEC);
                return 0;
        }
        if (p->obstructed >= 0)
                return chair_error_set(error, CHAIR_REASON_BUSY, "The chair is releasing an obstruction");
        if (p->pinched >= 0 && supervisor_latched(p->c->supervisor)) {
                if (!p->axis[a].present)
                        return chair_error_set(error, CHAIR_REASON_NOT_PERMITTED, "This chair has no %s axis", chair_axis_info(a)->name);
                p->no_record = true;
                halt_all(p);
                p->no_record = false;
                r = release_move(p, a, direction, error);
        } else {
                r = check_move(p, a, false, error);
                if (r < 0)
                        return r;
                announce_move(p);
                p->no_record = true; /* the owner's own move of another axis or way */
                halt_all(p);
                p->no_record = false;
                axis_range(p, a, &lo, &hi);
                r = room_toward(p, a, direction, direction > 0 ? hi : lo)
                            ? start_axis(p, a, POSTURE_MANUAL, direction > 0 ? hi : lo, (int32_t) map_axis(p, a)->duty_pct, error)
                            : 0;
        }
        if (r <= 0)
                return r < 0 ? r : chair_error_set(error, CHAIR_REASON_NOT_PERMITTED, "The %s is at its %s limit",
                                                   chair_axis_info(a)->name, direction > 0 ? "upper" : "lower");
        p->lease_owner = owner;
        event_source_arm(p->lease_timer, now_us(p) + (uint64_t) lease_ms * USEC_PER_MSEC);
        return 0;
}

void posture_owner_gone(struct posture *p, uint64_t owner) {
        if (!p || !owner)
                return;
        if (owner == p->stopped.owner)
                p->stopped.owner = 0;
        if (owner == p->lease_owner) {
                p->no_record = true;
                on_lease_timer(p->lease_timer, now_us(p), p);
                p->no_record = false;
        }
}

/* ---- the object ---- */

uint32_t posture_axes(struct posture *p) {
        return p ? p->axes : 0;
}

int posture_position(struct posture *p, enum chair_axis a, int32_t *ret_permille) {
        if (!p || (unsigned) a >= _CHAIR_AXIS_MAX || !p->axis[a].present)
                return -ENODEV;
        return chair_hw_read_input(p->c->hw, chair_axis_info(a)->position, ret_permille);
}

enum posture_motion posture_axis_motion(struct posture *p, enum chair_axis a) {
        return p && (unsigned) a < _CHAIR_AXIS_MAX ? p->axis[a].motion : POSTURE_STILL;
}

int posture_pinched_axis(struct posture *p) {
        return p && supervisor_latched(p->c->supervisor) ? p->pinched : -1;
}

bool posture_occupied(struct posture *p) {
        return p && p->axes && input_or(p, CHAIR_IN_SEAT_OCCUPANCY, 0) == 1;
}

bool posture_feet_on(struct posture *p) {
        return p && p->axes && input_or(p, CHAIR_IN_FEET_ON, 0) == 1;
}

int32_t posture_rotary(struct posture *p, enum chair_output out) {
        return p && p->axes && is_rotary(out) && chair_hw_has_output(p->c->hw, out) ? chair_hw_get_output(p->c->hw, out) : 0;
}

uint64_t posture_rotaries(struct posture *p) {
        _Static_assert(_CHAIR_OUT_MAX <= 64, "a bit per output");
        uint64_t m = 0;

        for (unsigned out = 0; p && p->axes && out < _CHAIR_OUT_MAX; out++)
                if (is_rotary(out) && chair_hw_has_output(p->c->hw, out))
                        m |= 1ull << out;
        return m;
}

void posture_set_vacated_listener(struct posture *p, posture_vacated_fn fn, void *userdata) {
        p->vacated = fn;
        p->vacated_userdata = userdata;
}

void posture_set_move_hook(struct posture *p, posture_move_fn fn, void *userdata) {
        p->move_starts = fn;
        p->move_starts_userdata = userdata;
}

void posture_obstruction_times(struct posture *p, struct posture_obstruction_times *ret) {
        *ret = p->times;
}

int posture_new(struct chair_core *c, struct posture **ret) {
        struct posture *p;
        int r;

        p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        p->c = c;
        p->pinched = p->obstructed = -1;
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++) {
                const struct hw_axis *x = &c->map.axes[a];
                /* The map's check made a present axis complete (limits, sensors, obstruction);
                 * one that still cannot move (a map built in code) is no axis. */
                p->axis[a].present = x->present && chair_hw_has_output(c->hw, chair_axis_info(a)->motor) &&
                                     x->duty_pct > 0 && x->travel_mm > 0 && x->speed_mm_s > 0 && x->soft_min < x->soft_max;
                if (x->present && !p->axis[a].present)
                        log_warning("posture: the %s axis cannot move (no duty, travel, speed or soft range): left out.",
                                    chair_axis_info(a)->name);
                if (p->axis[a].present)
                        p->axes |= 1u << a;
        }
        r = event_loop_add_timer(c->loop, 0, on_lease_timer, p, &p->lease_timer);
        if (r >= 0)
                r = event_loop_add_timer(c->loop, 0, on_timeout_timer, p, &p->timeout_timer);
        if (r >= 0)
                r = event_loop_add_timer(c->loop, 0, on_reverse_timer, p, &p->reverse_timer);
        if (r >= 0)
                r = event_loop_add_timer(c->loop, 0, on_settle_timer, p, &p->settle_timer);
        /* Only a chair with axes listens: the old chair is unchanged. */
        if (r >= 0 && p->axes)
                r = chair_hw_subscribe(c->hw, on_input, p);
        if (r >= 0 && p->axes)
                r = chair_changes_listen(c->changes, on_event, p);
        if (r >= 0 && p->axes)
                r = chair_changes_subscribe(c->changes, on_changes, p);
        if (r < 0) {
                posture_free(p);
                return r;
        }
        if (p->axes) {
                event_source_set_description(p->lease_timer, "posture-lease");
                event_source_set_description(p->timeout_timer, "posture-timeout");
                event_source_set_description(p->reverse_timer, "posture-reverse");
                event_source_set_description(p->settle_timer, "posture-settle");
        }
        *ret = p;
        return 0;
}

struct posture *posture_free(struct posture *p) {
        if (!p)
                return NULL;
        event_source_free(p->lease_timer);
        event_source_free(p->timeout_timer);
        event_source_free(p->reverse_timer);
        event_source_free(p->settle_timer);
        free(p);
        return NULL;
}
