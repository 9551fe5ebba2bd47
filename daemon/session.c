/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chair-hw.h"
#include "changes.h"
#include "core-context.h"
#include "event-loop.h"
#include "log.h"
#include "people.h"
#include "planner.h"
#include "posture.h"
#include "precautions.h"
#include "program-library.h"
#include "scheduler.h"
#include "session.h"
#include "settings.h"
#include "state-store.h"
#include "supervisor.h"

#define SCAN_TICK_USEC (50 * USEC_PER_MSEC)
#define SCAN_SPEED_MM_S 40
#define SCAN_LOAD_ON 120        /* permille: the roller presses the body */
#define SCAN_CLEAR_MM 40        /* this far above the last loaded point, the shoulder is found */
#define SCAN_TIMEOUT_USEC (90 * USEC_PER_SEC)
#define DEFAULT_SHOULDER_MM 620
#define WAIST_BELOW_SHOULDER_MM 400
#define SHOULDER_STEP_MM 10
#define SHOULDER_MAX_STEPS 5
#define POINT_STEP_MM 10
#define SCAN_DEPTH 2            /* how hard the roller presses while it scans */
#define SCAN_FULL_PCT 90        /* of the hardest press: still on the body below the shoulder */
#define MANUAL_SAFE_POINT_MS 2000
#define MANUAL_SWEEP_SPEED_MM_S 15
#define UPRIGHT_POLL_USEC (100 * USEC_PER_MSEC)
#define MANUAL_SLOT_PREFIX "manual:"  /* a memory slot of manual mode */ /* live changes in manual and point mode take effect this often */

enum scan_phase {
        SCAN_TO_BOTTOM,
        SCAN_SWEEP_UP,
};

struct session {
        struct chair_core *d;
        enum session_state state;
        char program[80];
        bool manual;
        char manual_technique[24];
        struct program_step_name steps[PROFILE_MAX_STEPS]; /* the program's, as planned */
        size_t n_steps;
        int step;                         /* which of them runs (TL_STEP), -1 none yet */
        enum manual_area manual_area;
        int32_t manual_point_mm;
        struct session_settings settings;
        struct session_options pending;   /* a start waiting for its body scan */
        bool start_after_scan;
        uint64_t id;
        uint64_t started_realtime_usec;
        uint64_t started_usec;            /* CLOCK_MONOTONIC */
        uint64_t paused_since_usec, paused_usec; /* the pause under way, and the pauses' sum */
        uint32_t duration_s;
        uint32_t last_remaining;
        int32_t last_heat[_CHAIR_HEAT_ZONE_MAX]; /* as last signalled: a program's heat changes too */
        struct precaution_caps caps;      /* what the running timeline was limited to */
        int32_t planned_max_depth;        /* its deepest depth command */

        /* Body scan: the active person's (people.h), their shoulder point and fine-tune. */
        uint32_t person;                  /* whose session it is (the active person at its start) */
        enum scan_phase scan_phase;
        int32_t scan_last_loaded_mm;
        int32_t scan_peak_load, scan_full_mm; /* the hardest press so far, and the last point near it */
        int32_t planned_shoulder_steps;   /* the fine-tune the running timeline was planned with */
        uint64_t scan_started_usec;

        struct event_source *tick;        /* 1 Hz while running: Remaining, auto-off */
        struct event_source *scan_tick;
        struct event_source *scheduler_source;

        /* Posture and the legs (issue #19): what the program's commands asked last (a resume
         * asks again), and whether one moved the chair from upright (a normal end returns it). */
        int32_t posture_preset;           /* -1: none */
        int32_t posture_axis[_CHAIR_AXIS_MAX]; /* per mille, -1: none */
        int32_t leg_channel[2];           /* the foot rollers, the calf kneading; 0 off */
        bool reclined;
        bool holds_let_go;                /* paused by the person leaving: the air released */
        struct event_source *upright_tick; /* settling waits for the return upright */

        session_fault_sink fault_sink;    /* the scheduler's faults go here (the supervisor) */
        session_start_hook start_hook;    /* before a session drives anything */
        void *start_userdata;
        void *fault_userdata;
};

static const char *const state_names[] = {
        [SESSION_IDLE] = "idle",       [SESSION_SCANNING] = "scanning", [SESSION_RUNNING] = "running",
        [SESSION_PAUSED] = "paused",   [SESSION_SETTLING] = "settling", [SESSION_FAULT] = "fault",
};

DEFINE_STRING_TABLE_LOOKUP(session_state, enum session_state, state_names)

const char *session_state_name(enum session_state st) {
        return session_state_to_string(st) ?: "?";
}

bool session_active(struct session *s);

void session_set_fault_sink(struct session *s, session_fault_sink sink, void *userdata) {
        s->fault_sink = sink;
        s->fault_userdata = userdata;
}

void session_set_start_hook(struct session *s, session_start_hook hook, void *userdata) {
        s->start_hook = hook;
        s->start_userdata = userdata;
}

/* Reports a fault of the scheduler's to the sink; returns -ECANCELED, as a trip does. */
static _printf_(3, 4) int fault(struct session *s, enum chair_fault code, const char *fmt, ...) {
        char message[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(message, sizeof message, fmt, ap);
        va_end(ap);
        if (s->fault_sink)
                s->fault_sink(s->fault_userdata, code, message);
        else
                log_error("Session fault %s: %s (no sink to report it to)", chair_fault_to_string(code), message);
        return -ECANCELED;
}

static void set_state(struct session *s, enum session_state st) {
        if (s->state == st)
                return;
        /* Only a clear leaves a latched fault: a call that went on after a trip (a scheduler
         * command not taken, say) must not make the state claim what the chair is not doing. */
        if (s->state == SESSION_FAULT && supervisor_latched(s->d->supervisor))
                return;
        log_debug("Session: %s -> %s", session_state_name(s->state), session_state_name(st));
        s->state = st;
        chair_core_status(s->d, "%s%s%s", session_state_name(st), s->program[0] ? ": " : "", s->program);
        chair_changes_mark(s->d->changes, CHAIR_CHANGE_STATE | CHAIR_CHANGE_STEP);
        /* Polling backends slow down while nothing runs. */
        chair_hw_set_awake(s->d->hw, CHAIR_HW_AWAKE_SESSION, st != SESSION_IDLE && st != SESSION_FAULT);
        if (session_active(s))
                supervisor_update_activity(s->d->supervisor);
}

/* ---- the precautions: every request that can move an actuator asks the gate ---- */

/* The active person's conditions and caps, as the gate takes them. */
static struct precaution_declared declared(struct session *s) {
        struct precaution_declared dec;
        chair_settings_declared(s->d->settings, &dec);
        return dec;
}

static struct precaution_caps declared_caps(struct session *s) {
        const struct precaution_declared dec = declared(s);
        struct precaution_caps caps;
        char unused[8];
        /* A refusal still yields the caps; refusals are the gate's to report. */
        precautions_evaluate_declared(&dec, NULL, &caps, unused, sizeof unused);
        return caps;
}

/* Returns 0 (as asked), 1 (clamped: use v->value and v->zones), or a PrecautionConflict. */
static int gate(struct session *s, const struct precaution_request *req, struct precaution_verdict *v,
                struct chair_error *error) {
        const struct precaution_declared dec = declared(s);
        int r = precautions_check(&dec, req, v);

        if (r < 0)
                return chair_error_set(error, CHAIR_REASON_PRECAUTION, "%s", v->reason);
        if (r > 0)
                log_info("Precautions: %s.", v->reason);
        return r;
}

/* A level through the gate: the value allowed, or a negative errno (refused). */
static int gate_level(struct session *s, enum precaution_kind kind, uint32_t level, bool clamp, struct chair_error *error) {
        struct precaution_verdict v;
        int r = gate(s, &(struct precaution_request) { .kind = kind, .value = level, .clamp = clamp }, &v, error);
        return r < 0 ? r : (int) v.value;
}

/* Every setpoint the session sends by itself passes the last line too. */
static int send_channel(struct session *s, enum timeline_channel c, int16_t arg, int32_t value) {
        struct timeline_cmd cmd = { 0, (uint16_t) c, arg, value };
        struct precaution_caps caps = declared_caps(s);

        if (precautions_limit_cmd(&caps, &cmd))
                log_warning("Precautions: %s %d limited to %d.", timeline_channel_name(c), value, cmd.value);
        return scheduler_set_channel(s->d->scheduler, c, cmd.arg, cmd.value);
}

/* ---- posture and the legs: the program's commands, carried out by posture.c on the loop ---- */

static void posture_reset(struct session *s) {
        s->posture_preset = -1;
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                s->posture_axis[a] = -1;
        s->leg_channel[0] = s->leg_channel[1] = 0;
        s->reclined = false;
}

static enum chair_output leg_output(unsigned i) {
        return i ? CHAIR_OUT_CALF_KNEAD : CHAIR_OUT_FOOT_ROLLERS;
}

/* No one on the seat, as posture.c reads it (a reading that cannot be had counts as no one); a
 * chair without the sensor has no say. */
static bool seat_empty(struct session *s) {
        int32_t v;
        return chair_hw_has_input(s->d->hw, CHAIR_IN_SEAT_OCCUPANCY) &&
               (chair_hw_read_input(s->d->hw, CHAIR_IN_SEAT_OCCUPANCY, &v) < 0 || v != 1);
}

/* The chair feels the feet and does not feel them now. */
static bool feet_unfelt(struct session *s) {
        int32_t v;
        return chair_hw_has_input(s->d->hw, CHAIR_IN_FEET_ON) &&
               chair_hw_read_input(s->d->hw, CHAIR_IN_FEET_ON, &v) >= 0 && v != 1;
}

/* One command through posture.c's rules. Refused because no one is seated: the session pauses,
 * as when the person leaves; any other refusal (no such axis, a precaution, a fault, the feet
 * off the foot rest) leaves that part of the step out and the massage goes on. */
static void posture_apply(struct session *s, int channel, int16_t arg, int32_t value) {
        struct posture *p = s->d->posture;
        struct chair_error e = CHAIR_ERROR_NULL;
        int r;

        log_debug("Session %s: %s %d %d.", s->program, timeline_channel_name(channel), arg, value);
        if (!p || s->state != SESSION_RUNNING)
                return;
        if (channel == TL_POSTURE) {
                if (value == TL_POSTURE_LEAVE || !posture_axes(p))
                        return;
                if (arg == TL_POSTURE_PRESET) {
                        if ((uint32_t) value >= _POSTURE_PRESET_MAX) {
                                log_warning("Session %s: no posture preset %d.", s->program, value);
                                return;
                        }
                        r = posture_preset(p, (enum posture_preset) value, &e);
                        s->reclined |= r >= 0 && value != POSTURE_PRESET_UPRIGHT;
                } else {
                        if ((unsigned) arg >= _CHAIR_AXIS_MAX || !(posture_axes(p) & (1u << arg)))
                                return;
                        r = posture_go_to(p, (enum chair_axis) arg, value, true, &e);
                        s->reclined |= r >= 0 && value > 0;
                }
        } else {
                enum chair_output out = leg_output(channel == TL_CALF_KNEAD);
                if (!chair_hw_has_output(s->d->hw, out))
                        return;
                r = posture_set_rotary(p, out, value, &e);
        }
        if (r >= 0)
                return;
        if (seat_empty(s)) {
                log_notice("Session %s: %s: paused until the person is back.", s->program, e.message);
                session_vacated(s);
                return;
        }
        if (channel == TL_FOOT_ROLLERS && value && feet_unfelt(s)) {
                /* The foot rest must reach the soles first: the leg-length fit (it extends only,
                 * stops at the feet); the tick starts the rollers once they are felt. */
                chair_error_reset(&e);
                if (posture_fit_legs(p, &e) >= 0)
                        return;
        }
        log_notice("Session %s: the step's %s left out: %s.", s->program, timeline_channel_name(channel), e.message);
}

/* The foot rollers a step asked for wait for the fit to reach the feet. */
static void posture_tick(struct session *s) {
        if (s->state == SESSION_RUNNING && s->leg_channel[0] && chair_hw_has_output(s->d->hw, CHAIR_OUT_FOOT_ROLLERS) &&
            chair_hw_get_output(s->d->hw, CHAIR_OUT_FOOT_ROLLERS) == 0 && !feet_unfelt(s))
                posture_apply(s, TL_FOOT_ROLLERS, 0, s->leg_channel[0]);
}

/* A command the scheduler handed over (SCHED_EV_POSTURE): remembered for a resume, then done. */
static void posture_command(struct session *s, int channel, int16_t arg, int32_t value) {
        if (channel == TL_POSTURE && arg == TL_POSTURE_PRESET) {
                s->posture_preset = value;
                for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                        s->posture_axis[a] = -1;
        } else if (channel == TL_POSTURE && (unsigned) arg < _CHAIR_AXIS_MAX)
                s->posture_axis[arg] = value;
        else if (channel == TL_FOOT_ROLLERS || channel == TL_CALF_KNEAD)
                s->leg_channel[channel == TL_CALF_KNEAD] = value;
        else
                return;
        posture_apply(s, channel, arg, value);
}

/* A resume asks again for what the program last asked (posture.c checks it all again). The
 * person having left, the step's air holds were let go: its moves wait for the next step, which
 * inflates the holds with them (a hold lasts until the moves are done, never a move unheld). */
static void posture_replay(struct session *s) {
        if (s->holds_let_go) {
                log_info("Session %s: the step's holds were let go: posture moves wait for the next step.", s->program);
                s->posture_preset = -1;
                for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                        s->posture_axis[a] = -1;
        }
        if (s->posture_preset >= 0)
                posture_apply(s, TL_POSTURE, TL_POSTURE_PRESET, s->posture_preset);
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                if (s->posture_axis[a] >= 0)
                        posture_apply(s, TL_POSTURE, (int16_t) a, s->posture_axis[a]);
        for (unsigned i = 0; i < 2; i++)
                if (s->leg_channel[i])
                        posture_apply(s, i ? TL_CALF_KNEAD : TL_FOOT_ROLLERS, 0, s->leg_channel[i]);
}

static void legs_off(struct session *s) {
        for (unsigned i = 0; i < 2; i++)
                if (chair_hw_has_output(s->d->hw, leg_output(i)))
                        (void) posture_set_rotary(s->d->posture, leg_output(i), 0, NULL);
}

/* A stop, a pause, an end by the conditions: every axis stops where it is (never a move back)
 * and the leg channels stop, at once. */
static void posture_halt(struct session *s) {
        if (!s->d->posture || !posture_axes(s->d->posture))
                return;
        posture_stop(s->d->posture);
        legs_off(s);
}

/* A normal end (completed, the timer): the leg channels stop, and a program that moved the
 * chair returns it upright, slowly and watched (posture.c); settling waits for it. */
static void posture_end(struct session *s) {
        struct chair_error e = CHAIR_ERROR_NULL;

        if (!s->d->posture || !posture_axes(s->d->posture))
                return;
        legs_off(s);
        if (!s->reclined)
                return;
        s->reclined = false;
        /* posture.c leaves out what the conditions forbid (the leg rest, with a leg condition):
         * the other axes go back. */
        if (posture_return_upright(s->d->posture, &e) < 0)
                log_notice("Session %s: the chair stays where it is: %s.", s->program, e.message);
}

static int check_can_start(struct session *s, struct chair_error *error) {
        if (s->state == SESSION_FAULT || supervisor_latched(s->d->supervisor))
                return chair_error_set(error, CHAIR_REASON_FAULT_LATCHED, "A fault is latched (%s): a technician must clear it first",
                              supervisor_fault_code(s->d->supervisor));
        if (s->state != SESSION_IDLE)
                return chair_error_set(error, CHAIR_REASON_BUSY, "The chair is %s; stop it first", session_state_name(s->state));
        if (s->start_hook)
                s->start_hook(s->start_userdata);
        /* Switching is refused while the session runs (core.c's guard), so it stays theirs. */
        s->person = people_active(s->d->people)->id;
        return 0;
}

static const struct person *scan_person(struct session *s) {
        return people_active(s->d->people);
}

static struct body_scan current_scan(struct session *s) {
        const struct person *pp = scan_person(s);
        int32_t shoulder = (pp->shoulder_mm >= 0 ? pp->shoulder_mm : DEFAULT_SHOULDER_MM) +
                           pp->shoulder_adjust * SHOULDER_STEP_MM;
        shoulder = CLAMP(shoulder, WAIST_BELOW_SHOULDER_MM / 2, s->d->map.track_length_mm);
        return (struct body_scan) { shoulder, MAX(0, shoulder - WAIST_BELOW_SHOULDER_MM) };
}

/* Live settings go to the scheduler as percentages of the planned values. */
static int push_modifiers(struct session *s) {
        int32_t intensity_pct = 100, speed_pct = (int32_t) (60 + 20 * (s->settings.speed - 1)) ;
        if (!s->manual && s->pending.intensity && s->settings.intensity != s->pending.intensity)
                intensity_pct = (int32_t) (100 * s->settings.intensity / s->pending.intensity);
        if (s->manual)
                intensity_pct = (int32_t) (40 + 15 * (s->settings.intensity - 1));
        /* Stronger than planned scales the depth too: never past the depth cap. */
        if (intensity_pct > 100 && s->planned_max_depth > 0 && s->caps.max_depth < 5)
                intensity_pct = MIN(intensity_pct, (int32_t) (100 * s->caps.max_depth) / s->planned_max_depth);
        /* speed 3 = as planned; 1 = 60 %, 5 = 140 % */
        return scheduler_set_modifiers(s->d->scheduler, intensity_pct, speed_pct, (int32_t) s->settings.width);
}

static void start_tick(struct session *s) {
        if (!event_source_armed(s->tick))
                event_source_arm(s->tick, event_loop_now(s->d->loop));
}

static int set_heat(struct session *s, unsigned zone, uint32_t level, bool clamp, struct chair_error *error);

/* The person's preferred heat, per zone a session starts with (through the gate: clamped to
 * their conditions and heat cap), unless heat was asked off or is set already. */
static void apply_heat_preference(struct session *s) {
        const struct person *pp = people_get(s->d->people, s->person);

        if (!pp || !s->pending.heat)
                return;
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++)
                if (pp->heat_pref[z] && !s->settings.heat[z])
                        set_heat(s, z, pp->heat_pref[z], true, NULL);
}

static void begin_running(struct session *s, struct timeline *t) {
        size_t limited;

        /* The last line: whatever built the timeline, nothing past the caps reaches the scheduler. */
        s->caps = declared_caps(s);
        limited = precautions_limit_timeline(&s->caps, t, &s->planned_max_depth);
        if (limited)
                log_warning("Precautions: %zu commands of %s limited to the declared conditions' caps.", limited,
                            s->program);
        s->duration_s = (t->duration_ms + 999) / 1000;
        s->planned_shoulder_steps = scan_person(s)->shoulder_adjust;
        s->started_usec = event_loop_now(s->d->loop);
        s->paused_usec = 0;
        s->started_realtime_usec = event_loop_clock(s->d->loop, CLOCK_REALTIME);
        s->id = s->started_realtime_usec;
        s->last_remaining = s->duration_s;
        posture_reset(s);
        chair_hw_enable(s->d->hw);
        /* The modifiers first: the load takes them, so the first step runs at this session's
         * intensity, speed and width. */
        if (push_modifiers(s) < 0) {
                timeline_free(t);
                return; /* not taken: the scheduler's sink has faulted the chair */
        }
        if (scheduler_load(s->d->scheduler, t, event_loop_now(s->d->loop) * 1000) < 0) {
                fault(s, CHAIR_FAULT_QUEUE_FULL, "the scheduler's command queue is full");
                return;
        }
        set_state(s, SESSION_RUNNING);
        chair_changes_mark(s->d->changes, CHAIR_CHANGE_SESSION_ID);
        start_tick(s);
        apply_heat_preference(s);
        log_info("Session %llu: %s for %u s at intensity %u.", (unsigned long long) s->id, s->program,
                 s->duration_s, s->settings.intensity);
}

static int plan_and_run(struct session *s, struct chair_error *error) {
        const struct precaution_declared dec = declared(s);
        struct plan_request req = {
                .intensity = s->settings.intensity,
                .duration_s = s->pending.duration_s,
                .scan = current_scan(s),
                .track_length_mm = s->d->map.track_length_mm,
                .heat = s->pending.heat,
                .precautions = chair_settings_precautions(s->d->settings),
                .focus_areas = s->pending.focus ? s->pending.focus_areas : 0,
                .declared = &dec,
        };
        struct timeline *t = NULL;
        char msg[512];
        int r;

        /* Conditions declared during the scan before it lower the level it starts at. */
        r = gate_level(s, PRECAUTION_INTENSITY, s->settings.intensity, true, error);
        if (r < 0) {
                set_state(s, SESSION_IDLE);
                s->program[0] = 0;
                return r;
        }
        s->settings.intensity = s->pending.intensity = req.intensity = (uint32_t) r;
        chair_changes_mark(s->d->changes, CHAIR_CHANGE_INTENSITY);
        r = program_library_plan(s->d->library, s->program, &req, &t, msg, sizeof msg);
        if (r < 0) {
                set_state(s, SESSION_IDLE);
                s->program[0] = 0;
                return chair_error_set(error, CHAIR_REASON_INVALID_PROFILE, "Cannot plan the program: %s", msg);
        }
        r = program_library_steps(s->d->library, s->program, s->steps, ARRAY_SIZE(s->steps));
        s->n_steps = r < 0 ? 0 : (size_t) r;
        s->step = -1;
        begin_running(s, t);
        return 0;
}

/* ---- body scan: move to the bottom, then sweep up until the load falls off above the
 * shoulders; not timing-critical, so it runs on the event loop. ---- */

static int32_t roller_mm(struct session *s) {
        int32_t enc = 0;
        chair_hw_read_input(s->d->hw, CHAIR_IN_ENCODER, &enc);
        return enc / MAX(1, s->d->map.pulses_per_mm);
}

static void scan_finish(struct session *s, int32_t shoulder_mm, bool ok) {
        event_source_disarm(s->scan_tick);
        send_channel(s, TL_DEPTH, 0, 0);
        if (ok) {
                uint32_t id = scan_person(s)->id;
                /* The person's scan: their next session starts from it. */
                if (people_set_scan(s->d->people, id, shoulder_mm, 0) < 0)
                        log_warning("Body scan: could not store the shoulder at %d mm.", shoulder_mm);
                log_info("Body scan: shoulder at %d mm.", shoulder_mm);
        } else {
                log_warning("Body scan found no shoulder; using %d mm.", current_scan(s).shoulder_mm);
        }
        chair_changes_publish(s->d->changes, &(struct chair_event) {
                .kind = CHAIR_EVENT_BODY_SCAN_FINISHED, .shoulder_mm = current_scan(s).shoulder_mm, .ok = ok });
        chair_changes_mark(s->d->changes, CHAIR_CHANGE_SHOULDER);
        if (s->start_after_scan) {
                s->start_after_scan = false;
                if (plan_and_run(s, NULL) < 0)
                        scheduler_settle(s->d->scheduler);
                return;
        }
        scheduler_settle(s->d->scheduler);
        set_state(s, SESSION_SETTLING);
}

static void on_scan_tick(struct event_source *src, uint64_t usec, void *userdata) {
        struct session *s = userdata;
        int32_t pos = roller_mm(s), load = 0, bottom = 0;

        if (s->state != SESSION_SCANNING)
                return;
        event_source_arm(src, usec + SCAN_TICK_USEC);
        if (usec - s->scan_started_usec > SCAN_TIMEOUT_USEC) {
                scan_finish(s, -1, false);
                return;
        }
        chair_hw_read_input(s->d->hw, CHAIR_IN_ROLLER_LOAD, &load);
        chair_hw_read_input(s->d->hw, CHAIR_IN_LIMIT_BOTTOM, &bottom);

        switch (s->scan_phase) {
        case SCAN_TO_BOTTOM:
                if (pos <= 3 || bottom) {
                        s->scan_phase = SCAN_SWEEP_UP;
                        s->scan_last_loaded_mm = -1;
                        s->scan_peak_load = 0;
                        s->scan_full_mm = -1;
                        send_channel(s, TL_DEPTH, 0, SCAN_DEPTH);
                        send_channel(s, TL_ROLLER_POSITION, SCAN_SPEED_MM_S, s->d->map.track_length_mm);
                }
                break;
        case SCAN_SWEEP_UP:
                /* The shoulder is where the load starts to fall, not where it has fallen below
                 * SCAN_LOAD_ON (that is ~20 mm higher): the last point pressed nearly as hard
                 * as the hardest so far. */
                s->scan_peak_load = MAX(s->scan_peak_load, load);
                if (load >= SCAN_LOAD_ON && load >= s->scan_peak_load * SCAN_FULL_PCT / 100)
                        s->scan_full_mm = pos;
                if (load >= SCAN_LOAD_ON)
                        s->scan_last_loaded_mm = pos;
                else if (s->scan_last_loaded_mm >= 0 && pos >= s->scan_last_loaded_mm + SCAN_CLEAR_MM) {
                        scan_finish(s, s->scan_full_mm >= 0 ? s->scan_full_mm : s->scan_last_loaded_mm, true);
                        return;
                }
                if (pos >= s->d->map.track_length_mm - 3) {
                        /* A tall person: the load fell off but the track ends before the 40 mm
                         * of clearance. The fall is what marks the shoulder; only a body still
                         * pressing at the top has none the roller can reach. */
                        if (load < SCAN_LOAD_ON && s->scan_last_loaded_mm >= 0)
                                scan_finish(s, s->scan_full_mm >= 0 ? s->scan_full_mm : s->scan_last_loaded_mm, true);
                        else
                                scan_finish(s, -1, false);
                }
                break;
        }
}

int session_start_scan(struct session *s, struct chair_error *error) {
        int r = check_can_start(s, error);
        if (r < 0)
                return r;
        /* The scan presses the roller into the body: the conditions apply to it too. */
        r = gate_level(s, PRECAUTION_SCAN, SCAN_DEPTH, false, error);
        if (r < 0)
                return r;
        if (!chair_hw_has_input(s->d->hw, CHAIR_IN_ROLLER_LOAD) || !chair_hw_has_input(s->d->hw, CHAIR_IN_ENCODER))
                return chair_error_set(error, CHAIR_REASON_NOT_PERMITTED, "This chair has no roller load sensor or encoder to scan with");
        chair_hw_enable(s->d->hw);
        r = scheduler_manual(s->d->scheduler);
        if (r < 0)
                return fault(s, CHAIR_FAULT_QUEUE_FULL, "the scheduler's command queue is full");
        send_channel(s, TL_DEPTH, 0, 0);
        send_channel(s, TL_ROLLER_POSITION, 40, 0);
        s->scan_phase = SCAN_TO_BOTTOM;
        s->scan_started_usec = event_loop_now(s->d->loop);
        s->started_usec = s->scan_started_usec;
        s->paused_usec = 0;
        event_source_arm(s->scan_tick, s->scan_started_usec + SCAN_TICK_USEC);
        set_state(s, SESSION_SCANNING);
        return 0;
}

/* A manual area's sweep on the body as scanned (and fine-tuned). */
static void manual_range(struct session *s, enum manual_area area, const struct body_scan *scan, int32_t *lo, int32_t *hi) {
        switch (area) {
        case MANUAL_UPPER:
                *lo = (scan->shoulder_mm + scan->waist_mm) / 2, *hi = scan->shoulder_mm + 40;
                break;
        case MANUAL_LOWER:
                *lo = MAX(0, scan->waist_mm - 100), *hi = (scan->shoulder_mm + scan->waist_mm) / 2;
                break;
        case MANUAL_FULL:
        default:
                *lo = MAX(0, scan->waist_mm - 100), *hi = scan->shoulder_mm + 40;
                break;
        }
        *hi = MIN(*hi, s->d->map.track_length_mm);
}

int session_adjust_shoulder(struct session *s, int32_t steps, struct chair_error *error) {
        const struct person *pp = scan_person(s);
        int32_t n = pp->shoulder_adjust + steps;
        int r;

        if (n < -SHOULDER_MAX_STEPS || n > SHOULDER_MAX_STEPS)
                return chair_error_set(error, CHAIR_REASON_NOT_PERMITTED, "The shoulder point can move at most %d steps from the scan",
                              SHOULDER_MAX_STEPS);
        /* The person's fine-tune first (stored with them), then what runs follows it. */
        r = people_set_scan(s->d->people, pp->id, pp->shoulder_mm, n);
        if (r < 0)
                return chair_error_set_errno(error, r, "Could not store the shoulder point: %m");
        /* A program under way follows at its next roller command: its positions are all
         * relative to the shoulder (the waist moves with it). */
        if (!s->manual && (s->state == SESSION_RUNNING || s->state == SESSION_PAUSED)) {
                r = scheduler_set_roller_offset(s->d->scheduler, (n - s->planned_shoulder_steps) * SHOULDER_STEP_MM);
                if (r < 0)
                        return r;
        }
        /* Manual mode sweeps one range for the whole session: sweep the moved one now. */
        if (s->manual && s->manual_area != MANUAL_POINT && (s->state == SESSION_RUNNING || s->state == SESSION_PAUSED)) {
                struct body_scan scan = current_scan(s);
                int32_t lo, hi;

                manual_range(s, s->manual_area, &scan, &lo, &hi);
                send_channel(s, TL_ROLLER_SWEEP, MANUAL_SWEEP_SPEED_MM_S, timeline_sweep_value(hi, lo));
        }
        chair_changes_mark(s->d->changes, CHAIR_CHANGE_SHOULDER);
        return 0;
}

/* ---- starting and ending ---- */

int session_start(struct session *s, const char *program, const struct session_options *o, struct chair_error *error) {
        struct program_summary p;
        struct precaution_verdict v;
        int r;

        r = check_can_start(s, error);
        if (r < 0)
                return r;
        if (program_library_find(s->d->library, program, &p) < 0)
                return chair_error_set(error, CHAIR_REASON_UNKNOWN_PROGRAM, "No program '%s' (see ListPrograms)", program);
        /* Refused, or the intensity clamped to the cap (the Intensity property shows it). */
        r = gate(s,
                 &(struct precaution_request) { .kind = PRECAUTION_PROGRAM, .program = p.id, .excluded_by = p.precautions,
                                                .value = o->intensity ? o->intensity : p.intensity, .clamp = true },
                 &v, error);
        if (r < 0)
                return r;

        snprintf(s->program, sizeof s->program, "%s", program);
        s->manual = false;
        s->pending = *o;
        s->settings.intensity = v.value;
        s->pending.intensity = s->settings.intensity;
        chair_changes_mark(s->d->changes, CHAIR_CHANGE_INTENSITY);
        /* The program's own length unless asked otherwise; the auto-off timer caps every
         * session, an explicit length too (the program is fitted to what is left). */
        if (!s->pending.duration_s)
                s->pending.duration_s = p.duration_s;
        s->pending.duration_s = MIN(s->pending.duration_s, s->settings.timer_min * 60);

        if (o->scan == 1 || (o->scan == -1 && scan_person(s)->shoulder_mm < 0 && chair_hw_has_input(s->d->hw, CHAIR_IN_ROLLER_LOAD))) {
                r = session_start_scan(s, error);
                if (r < 0)
                        return r;
                s->start_after_scan = true;
                /* What the reply promised, until the scan's end plans it (begin_running). */
                s->duration_s = s->pending.duration_s;
                return 0;
        }
        return plan_and_run(s, error);
}

/* Manual mode's motors: a program step's at speed 3 and intensity 3, mapped by the one
 * technique table (common/vocab.h); the intensity key scales them live (push_modifiers). */
#define MANUAL_SPEED_LEVEL 3
#define MANUAL_INTENSITY_LEVEL 3

int session_start_manual(struct session *s, const char *technique, enum manual_area area,
                         const struct session_options *o, struct chair_error *error) {
        struct body_scan scan = current_scan(s);
        struct timeline *t;
        int32_t lo, hi, speed = MANUAL_SWEEP_SPEED_MM_S, knead, tap, depth;
        /* The auto-off timer caps every session, an explicit length too. */
        uint32_t duration_s = MIN(o->duration_s ? o->duration_s : UINT32_MAX, s->settings.timer_min * 60), at = 0;
        size_t n = 0, cap;
        int r, intensity, tech;

        r = check_can_start(s, error);
        if (r < 0)
                return r;
        intensity = gate_level(s, PRECAUTION_MANUAL, o->intensity ? o->intensity : s->settings.intensity, true, error);
        if (intensity < 0)
                return intensity;
        tech = roller_technique_from_string(technique);
        if (tech < 0 || tech == TECH_NONE)
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "Unknown technique '%s'", technique);
        roller_technique_motors((enum roller_technique) tech,
                                planner_motor_duty(MANUAL_SPEED_LEVEL, MANUAL_INTENSITY_LEVEL), &knead, &tap);

        if (area == MANUAL_POINT)
                lo = hi = s->manual_point_mm = roller_mm(s) > 10 ? roller_mm(s) : scan.shoulder_mm;
        else
                manual_range(s, area, &scan, &lo, &hi);
        /* The Depth setting as set while idle (the default 3), within the conditions' cap. */
        depth = gate_level(s, PRECAUTION_DEPTH, s->settings.depth, true, error);
        if (depth < 0)
                return depth;

        /* One closed-loop sweep between the ends (or the point) for the whole duration, with the
         * air and heat set while idle; a step every MANUAL_SAFE_POINT_MS is a safe point for
         * live changes. */
        cap = 6 + _CHAIR_AIR_ZONE_MAX + _CHAIR_HEAT_ZONE_MAX + duration_s * 1000 / MANUAL_SAFE_POINT_MS + 1;
        t = calloc(1, sizeof *t);
        if (!t || !(t->cmds = calloc(cap, sizeof *t->cmds))) {
                free(t);
                return -ENOMEM;
        }
        t->cmds[n++] = (struct timeline_cmd) { 0, TL_WIDTH, 0, (int32_t) s->settings.width };
        t->cmds[n++] = (struct timeline_cmd) { 0, TL_DEPTH, 0, depth };
        t->cmds[n++] = (struct timeline_cmd) { 0, TL_KNEAD, 0, knead };
        t->cmds[n++] = (struct timeline_cmd) { 0, TL_TAP, 0, tap };
        for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++)
                if ((s->settings.air_zones & (1u << z)) && s->settings.air_intensity)
                        t->cmds[n++] = (struct timeline_cmd) { 0, TL_AIR_ZONE, (int16_t) z,
                                                               TL_AIR_INFLATE | (int32_t) (s->settings.air_intensity << 8) |
                                                                       TL_AIR_LEVEL_AS_GIVEN };
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++)
                if (s->settings.heat[z])
                        t->cmds[n++] = (struct timeline_cmd) { 0, TL_HEAT_ZONE, (int16_t) z, (int32_t) s->settings.heat[z] };
        t->cmds[n++] = lo == hi ? (struct timeline_cmd) { 0, TL_ROLLER_POSITION, (int16_t) speed, lo }
                                : (struct timeline_cmd) { 0, TL_ROLLER_SWEEP, (int16_t) speed, timeline_sweep_value(hi, lo) };
        for (int32_t i = 0; at < duration_s * 1000 && n < cap; i++, at += MANUAL_SAFE_POINT_MS)
                t->cmds[n++] = (struct timeline_cmd) { at, TL_STEP, 0, i };
        t->n_cmds = n;
        t->duration_ms = duration_s * 1000;

        snprintf(s->program, sizeof s->program, "manual:%s", technique);
        snprintf(s->manual_technique, sizeof s->manual_technique, "%s", technique);
        s->manual = true;
        s->manual_area = area;
        s->pending = *o;
        s->settings.intensity = (uint32_t) intensity;
        chair_changes_mark(s->d->changes, CHAIR_CHANGE_INTENSITY);
        begin_running(s, t);
        return 0;
}

int session_move_point(struct session *s, int32_t steps, struct chair_error *error) {
        if (!s->manual || s->manual_area != MANUAL_POINT || (s->state != SESSION_RUNNING && s->state != SESSION_PAUSED))
                return chair_error_set(error, CHAIR_REASON_NOT_RUNNING, "Moving the point needs manual mode on a point");
        s->manual_point_mm = CLAMP(s->manual_point_mm + steps * POINT_STEP_MM, 0, s->d->map.track_length_mm);
        send_channel(s, TL_ROLLER_POSITION, 15, s->manual_point_mm);
        return 0;
}

/* The person's assessment not yet attached to a session is this one's: its goal, the pain
 * per area before, and the pain now as the pain before. */
static void attach_assessment(struct session *s, struct history_entry *e) {
        const struct person *pp = people_get(s->d->people, s->person);

        for (size_t i = 0; i < HISTORY_AREAS; i++)
                e->area_before[i] = e->area_after[i] = HISTORY_NOT_RATED;
        if (!pp || !pp->assessment.time_usec || pp->assessment_used_by)
                return;
        e->assessed = true;
        e->goal = (uint8_t) pp->assessment.goal;
        memcpy(e->area_before, pp->assessment.pain, sizeof e->area_before);
        e->pain_before = pp->assessment.pain_now;
}

static void finish(struct session *s, const char *reason) {
        char program[80];

        snprintf(program, sizeof program, "%s", s->program);
        event_source_disarm(s->tick);
        event_source_disarm(s->scan_tick);
        s->start_after_scan = false;
        if (program[0] && s->id) {
                struct history_entry e = {
                        .id = s->id,
                        .start_usec = s->started_realtime_usec,
                        .duration_s = (uint32_t) ((event_loop_now(s->d->loop) - s->started_usec) / USEC_PER_SEC),
                        .intensity = s->settings.intensity,
                        .pain_before = HISTORY_NOT_RATED,
                        .pain_after = HISTORY_NOT_RATED,
                        /* Planned with Start's option focus on some areas (docs/people.md). */
                        .focused = !s->manual && s->pending.focus && s->pending.focus_areas != 0,
                };
                snprintf(e.program, sizeof e.program, "%s", program);
                snprintf(e.reason, sizeof e.reason, "%s", reason);
                attach_assessment(s, &e);
                if (people_append_history(s->d->people, s->person, &e) < 0)
                        log_warning("Could not record session %llu in the history.", (unsigned long long) s->id);
        }
        if (program[0]) {
                log_info("Program %s finished: %s.", program, reason);
                chair_changes_publish(s->d->changes, &(struct chair_event) {
                        .kind = CHAIR_EVENT_PROGRAM_FINISHED, .program = program, .reason = reason });
        }
}

static int end_session(struct session *s, const char *reason, struct chair_error *error) {
        if (s->state == SESSION_IDLE || s->state == SESSION_FAULT)
                return chair_error_set(error, CHAIR_REASON_NOT_RUNNING, "No session is running");
        /* Only the timer is a normal end: a stop (the power key, Stop) or the conditions leave
         * the chair where it is, and a stop during the return upright ends it. */
        if (strcmp(reason, "timer") == 0)
                posture_end(s);
        else
                posture_halt(s);
        if (s->state == SESSION_SETTLING)
                return 0;
        finish(s, reason);
        if (scheduler_settle(s->d->scheduler) < 0)
                return fault(s, CHAIR_FAULT_QUEUE_FULL, "the scheduler's command queue is full");
        set_state(s, SESSION_SETTLING);
        return 0;
}

int session_stop(struct session *s, struct chair_error *error) {
        return end_session(s, "stopped", error);
}

int session_pause(struct session *s, struct chair_error *error) {
        if (s->state != SESSION_RUNNING)
                return chair_error_set(error, CHAIR_REASON_NOT_RUNNING, "Only a running session can pause (the chair is %s)",
                              session_state_name(s->state));
        /* Not taken: the sink has faulted the chair, and the state must not say paused. */
        if (scheduler_pause(s->d->scheduler) < 0)
                return chair_error_set(error, CHAIR_REASON_FAULT_LATCHED, "The scheduler did not take the pause: the chair is in fault");
        posture_halt(s);
        s->holds_let_go = false;
        s->paused_since_usec = event_loop_now(s->d->loop);
        set_state(s, SESSION_PAUSED);
        return 0;
}

void session_vacated(struct session *s) {
        if (!s || s->state != SESSION_RUNNING || session_pause(s, NULL) < 0)
                return;
        /* No one is held: the bags let go (the next step's air inflates them again, and the
         * step's moves wait for it: posture_replay). */
        s->holds_let_go = true;
        for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++)
                if (scheduler_set_channel(s->d->scheduler, TL_AIR_ZONE, (int16_t) z, TL_AIR_RELEASE) < 0)
                        return;
}

int session_resume(struct session *s, struct chair_error *error) {
        if (s->state != SESSION_PAUSED)
                return chair_error_set(error, CHAIR_REASON_NOT_RUNNING, "Only a paused session can resume (the chair is %s)",
                              session_state_name(s->state));
        if (scheduler_resume(s->d->scheduler) < 0)
                return chair_error_set(error, CHAIR_REASON_FAULT_LATCHED, "The scheduler did not take the resume: the chair is in fault");
        s->paused_usec += event_loop_now(s->d->loop) - s->paused_since_usec;
        set_state(s, SESSION_RUNNING);
        posture_replay(s);
        return 0;
}

void session_fault(struct session *s) {
        if (s->state != SESSION_IDLE && s->state != SESSION_FAULT)
                finish(s, "fault");
        /* The gate stopped every output; posture forgets its moves (it never drives back). */
        s->reclined = false;
        event_source_disarm(s->upright_tick);
        event_source_disarm(s->tick);
        event_source_disarm(s->scan_tick);
        set_state(s, SESSION_FAULT);
}

void session_fault_cleared(struct session *s) {
        s->program[0] = 0;
        set_state(s, SESSION_IDLE);
}

/* ---- live settings ---- */

static int live_change(struct session *s, uint32_t changed) {
        chair_changes_mark(s->d->changes, changed);
        if (s->state == SESSION_RUNNING || s->state == SESSION_PAUSED)
                return push_modifiers(s);
        return 0;
}

/* The live setters: clamp (a memory recall) lowers what a condition caps, otherwise a request
 * past a cap is refused with the condition's name (the D-Bus reply cannot carry a lower value). */
static int set_intensity(struct session *s, uint32_t level, bool clamp, struct chair_error *error) {
        int r = gate_level(s, PRECAUTION_INTENSITY, level, clamp, error);
        if (r < 0)
                return r;
        s->settings.intensity = (uint32_t) r;
        return live_change(s, CHAIR_CHANGE_INTENSITY);
}

int session_set_intensity(struct session *s, uint32_t level, struct chair_error *error) {
        return set_intensity(s, level, false, error);
}

int session_set_speed(struct session *s, uint32_t level, struct chair_error *error) {
        int r = gate_level(s, PRECAUTION_SPEED, level, false, error);
        if (r < 0)
                return r;
        s->settings.speed = (uint32_t) r;
        return live_change(s, CHAIR_CHANGE_SPEED);
}

int session_set_width(struct session *s, uint32_t width, struct chair_error *error) {
        int r = gate_level(s, PRECAUTION_WIDTH, width, false, error);
        if (r < 0)
                return r;
        s->settings.width = (uint32_t) r;
        return live_change(s, CHAIR_CHANGE_WIDTH);
}

static int set_depth(struct session *s, uint32_t level, bool clamp, struct chair_error *error) {
        int r = gate_level(s, PRECAUTION_DEPTH, level, clamp, error);
        if (r < 0)
                return r;
        s->settings.depth = (uint32_t) r;
        if (s->manual && s->state == SESSION_RUNNING)
                send_channel(s, TL_DEPTH, 0, (int32_t) s->settings.depth);
        chair_changes_mark(s->d->changes, CHAIR_CHANGE_DEPTH);
        return 0;
}

int session_set_depth(struct session *s, uint32_t level, struct chair_error *error) {
        return set_depth(s, level, false, error);
}

static int set_air(struct session *s, uint32_t zones, uint32_t intensity, bool clamp, struct chair_error *error) {
        struct precaution_verdict v;
        int r = gate(s, &(struct precaution_request) { .kind = PRECAUTION_AIR, .value = intensity, .zones = zones, .clamp = clamp },
                     &v, error);
        if (r < 0)
                return r;
        s->settings.air_zones = zones = v.zones;
        s->settings.air_intensity = intensity = v.value;
        if (s->state == SESSION_RUNNING && s->manual)
                for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++)
                        send_channel(s, TL_AIR_ZONE, (int16_t) z,
                                     (zones & (1u << z)) && intensity
                                             ? TL_AIR_INFLATE | (int32_t) (intensity << 8) | TL_AIR_LEVEL_AS_GIVEN
                                             : TL_AIR_RELEASE);
        chair_changes_mark(s->d->changes, CHAIR_CHANGE_AIR);
        return 0;
}

int session_set_air(struct session *s, uint32_t zones, uint32_t intensity, struct chair_error *error) {
        return set_air(s, zones, intensity, false, error);
}

/* A zone off for its heat dose takes no level but off (the router would refuse it): the
 * refusal says until when at the earliest (the dose decays a second a second below the
 * threshold), and why. */
static int refuse_heat_for_dose(struct session *s, unsigned zone, struct chair_error *error) {
        struct heat_dose_status st;
        char until[16] = "";
        struct tm tm;
        time_t t;

        if (supervisor_heat_dose(s->d->supervisor, zone, &st) < 0 || !st.limited)
                return 0;
        if (st.limit_s == 0)
                return chair_error_set(error, CHAIR_REASON_PRECAUTION, "%s heat is off: your limit allows no heat there",
                                       chair_heat_zone_name(zone));
        t = (time_t) (event_loop_clock(s->d->loop, CLOCK_REALTIME) / USEC_PER_SEC) +
            (time_t) (st.dose_s > st.resume_s ? st.dose_s - st.resume_s : 0);
        if (localtime_r(&t, &tm))
                strftime(until, sizeof until, "%H:%M", &tm);
        return chair_error_set(error, CHAIR_REASON_PRECAUTION, "%s heat rests until %s: %u min at %g °C, your limit",
                               chair_heat_zone_name(zone), until, st.limit_s / 60, st.threshold_decic / 10.0);
}

static int set_heat(struct session *s, unsigned zone, uint32_t level, bool clamp, struct chair_error *error) {
        int r = gate_level(s, PRECAUTION_HEAT, level, clamp, error);
        if (r < 0)
                return r;
        if (r > 0) {
                int q = refuse_heat_for_dose(s, zone, error);
                if (q < 0)
                        return q;
        }
        s->settings.heat[zone] = (uint32_t) r;
        if (s->state == SESSION_RUNNING || s->state == SESSION_PAUSED)
                send_channel(s, TL_HEAT_ZONE, (int16_t) zone, r);
        chair_changes_mark(s->d->changes, CHAIR_CHANGE_HEAT);
        return 0;
}

int session_set_heat(struct session *s, unsigned zone, uint32_t level, struct chair_error *error) {
        return set_heat(s, zone, level, false, error);
}

int session_set_timer(struct session *s, uint32_t minutes, struct chair_error *error) {
        s->settings.timer_min = minutes;
        if (s->state == SESSION_RUNNING || s->state == SESSION_PAUSED) {
                /* The auto-off timer ends the session early; it never lengthens a program. */
                uint32_t elapsed = scheduler_program_ms(s->d->scheduler) / 1000;
                if (minutes * 60 < s->duration_s && elapsed < minutes * 60)
                        s->duration_s = minutes * 60;
        }
        chair_changes_mark(s->d->changes, CHAIR_CHANGE_TIMER);
        return 0;
}

/* ---- memory ---- */

int session_save_memory(struct session *s, unsigned n, struct chair_error *error) {
        const struct session_settings *st = &s->settings;
        struct memory_slot slot = {};
        int r;

        if (!s->program[0] || s->state == SESSION_IDLE || s->state == SESSION_FAULT)
                return chair_error_set(error, CHAIR_REASON_NOT_RUNNING, "Nothing to save: no program is running");
        /* Manual mode: its technique and area, "manual:TECHNIQUE@AREA" (enum manual_area). */
        if (s->manual)
                snprintf(slot.program, sizeof slot.program, "%s%s@%d", MANUAL_SLOT_PREFIX, s->manual_technique,
                         (int) s->manual_area);
        else
                snprintf(slot.program, sizeof slot.program, "%s", s->program);
        slot.used = true;
        slot.intensity = st->intensity;
        slot.speed = st->speed;
        slot.width = st->width;
        slot.depth = st->depth;
        slot.air_zones = st->air_zones;
        slot.air_intensity = st->air_intensity;
        slot.heat_lumbar = st->heat[CHAIR_HEAT_LUMBAR];
        slot.heat_calves = st->heat[CHAIR_HEAT_CALVES];
        slot.timer_min = st->timer_min;
        r = people_save_memory(s->d->people, people_active(s->d->people)->id, n, &slot);
        if (r < 0) {
                if (error)
                        return chair_error_set_errno(error, r, "Could not save memory slot %u: %m", n);
                return r;
        }
        log_info("Memory slot %u: saved %s.", n, slot.program);
        return 0;
}

int session_recall_memory(struct session *s, unsigned n, struct chair_error *error) {
        struct memory_slot slot;
        struct session_options o = { .scan = -1, .heat = true };
        struct program_summary p;
        struct precaution_verdict v;
        int r;

        if (n < 1 || n > MEMORY_SLOTS || !people_active(s->d->people)->memory[n - 1].used)
                return chair_error_set(error, CHAIR_REASON_NOT_PERMITTED, "Memory slot %u is empty", n);
        slot = people_active(s->d->people)->memory[n - 1];
        r = check_can_start(s, error);
        if (r < 0)
                return r;
        if (strncmp(slot.program, MANUAL_SLOT_PREFIX, strlen(MANUAL_SLOT_PREFIX)) == 0) {
                char technique[sizeof slot.program];
                const char *at = strrchr(slot.program, '@');
                int area = at && at[1] >= '0' && at[1] <= '0' + MANUAL_POINT && !at[2] ? at[1] - '0' : -1;
                if (area < 0)
                        return chair_error_set(error, CHAIR_REASON_NOT_PERMITTED,
                                               "Memory slot %u holds no valid manual mode ('%s')", n, slot.program);
                snprintf(technique, sizeof technique, "%.*s", (int) (at - slot.program - strlen(MANUAL_SLOT_PREFIX)),
                         slot.program + strlen(MANUAL_SLOT_PREFIX));
                /* The settings first (each within the conditions), then manual mode with them. */
                session_set_speed(s, slot.speed, NULL);
                session_set_width(s, slot.width, NULL);
                set_depth(s, slot.depth, true, NULL);
                set_air(s, slot.air_zones, slot.air_intensity, true, NULL);
                set_heat(s, CHAIR_HEAT_LUMBAR, slot.heat_lumbar, true, NULL);
                set_heat(s, CHAIR_HEAT_CALVES, slot.heat_calves, true, NULL);
                session_set_timer(s, slot.timer_min, NULL);
                o.intensity = slot.intensity;
                return session_start_manual(s, technique, (enum manual_area) area, &o, error);
        }
        if (program_library_find(s->d->library, slot.program, &p) < 0)
                return chair_error_set(error, CHAIR_REASON_UNKNOWN_PROGRAM, "Memory slot %u names no installed program ('%s')", n,
                              slot.program);
        /* A slot saved before a condition was declared: refused, or each setting clamped (the
         * properties show what runs), before anything changes. */
        r = gate(s,
                 &(struct precaution_request) { .kind = PRECAUTION_PROGRAM, .program = p.id, .excluded_by = p.precautions,
                                                .value = slot.intensity, .clamp = true },
                 &v, error);
        if (r < 0)
                return r;
        session_set_speed(s, slot.speed, NULL);
        session_set_width(s, slot.width, NULL);
        set_depth(s, slot.depth, true, NULL);
        set_air(s, slot.air_zones, slot.air_intensity, true, NULL);
        session_set_timer(s, slot.timer_min, NULL);
        o.intensity = v.value;
        r = session_start(s, slot.program, &o, error);
        if (r >= 0) {
                if (slot.heat_lumbar)
                        set_heat(s, CHAIR_HEAT_LUMBAR, slot.heat_lumbar, true, NULL);
                if (slot.heat_calves)
                        set_heat(s, CHAIR_HEAT_CALVES, slot.heat_calves, true, NULL);
        }
        return r;
}

/* New conditions were declared. A session that they refuse, or that was built with laxer caps
 * (its timeline already holds their commands), ends; the person starts again within them. */
void session_precautions_changed(struct session *s) {
        struct precaution_request req = {};
        struct precaution_declared dec;
        struct program_summary p;
        struct precaution_verdict v;
        struct precaution_caps caps;
        int r;

        if (!s || s->state == SESSION_SETTLING || s->state == SESSION_FAULT)
                return;
        dec = declared(s);
        if (s->state == SESSION_IDLE) {
                /* The levels shown for the next session follow the caps at once (unless nothing
                 * may run at all: then there is nothing to lower). */
                if (precautions_check(&dec, &(struct precaution_request) { .kind = PRECAUTION_SPEED, .value = 1 }, &v) < 0)
                        return;
                set_intensity(s, s->settings.intensity, true, NULL);
                set_depth(s, s->settings.depth, true, NULL);
                set_air(s, s->settings.air_zones, s->settings.air_intensity, true, NULL);
                for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++)
                        if (s->settings.heat[z])
                                set_heat(s, z, s->settings.heat[z], true, NULL);
                return;
        }
        caps = declared_caps(s);
        req.kind = s->manual ? PRECAUTION_MANUAL : PRECAUTION_PROGRAM;
        req.value = s->settings.intensity;
        req.clamp = true;  /* refused only for what no clamp can fix; the caps are compared below */
        if (s->state == SESSION_SCANNING && !s->start_after_scan)
                req.kind = PRECAUTION_SCAN, req.value = SCAN_DEPTH;
        if (req.kind == PRECAUTION_PROGRAM && program_library_find(s->d->library, s->program, &p) >= 0) {
                req.program = p.id;
                req.excluded_by = p.precautions;
        }
        r = precautions_check(&dec, &req, &v);  /* no log of a clamp: the caps decide below */
        /* A scan's program is planned with the new caps when the scan ends. */
        if (r < 0 || (s->state != SESSION_SCANNING && precaution_caps_stricter(&caps, &s->caps))) {
                log_notice("Session %s ended by the declared conditions: %s.", s->program[0] ? s->program : "body scan",
                           r < 0 ? v.reason : "they are stricter than it was planned for");
                end_session(s, "precaution", NULL);
        }
}

void session_person_changed(struct session *s) {
        if (!s)
                return;
        /* Another person is selected only while idle (the switch guard); their own timer set
         * during their session is for the next one. */
        if (s->state == SESSION_IDLE)
                (void) session_set_timer(s, chair_settings_timer(s->d->settings), NULL);
        chair_changes_mark(s->d->changes, CHAIR_CHANGE_SHOULDER);
        session_precautions_changed(s);
}

/* ---- events ---- */

static void on_tick(struct event_source *src, uint64_t usec, void *userdata) {
        struct session *s = userdata;
        uint32_t remaining;
        bool heat_changed;

        if (s->state != SESSION_RUNNING && s->state != SESSION_PAUSED)
                return;
        event_source_arm(src, usec + USEC_PER_SEC);
        posture_tick(s);
        remaining = session_remaining_s(s);
        if (remaining != s->last_remaining) {
                s->last_remaining = remaining;
                chair_changes_mark(s->d->changes, CHAIR_CHANGE_REMAINING | CHAIR_CHANGE_TEMPERATURES);
        }
        heat_changed = false;
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++) {
                int32_t level = scheduler_heat_level(s->d->scheduler, z);
                heat_changed |= level != s->last_heat[z];
                s->last_heat[z] = level;
        }
        if (heat_changed)
                chair_changes_mark(s->d->changes, CHAIR_CHANGE_HEAT);
        if (remaining == 0 && s->state == SESSION_RUNNING && scheduler_get_mode(s->d->scheduler) == SCHEDULER_RUNNING)
                end_session(s, "timer", NULL);
}

/* Settled: idle once the return upright, if any, has ended too. */
static void settle_done(struct session *s) {
        if (s->d->posture && posture_moving(s->d->posture)) {
                event_source_arm(s->upright_tick, event_loop_now(s->d->loop) + UPRIGHT_POLL_USEC);
                return;
        }
        s->program[0] = 0;
        set_state(s, SESSION_IDLE);
}

static void on_upright_tick(struct event_source *src, uint64_t usec, void *userdata) {
        struct session *s = userdata;
        if (s->state == SESSION_SETTLING)
                settle_done(s);
}

int session_on_scheduler_event(struct session *s) {
        struct scheduler_event ev;

        while (scheduler_pop_event(s->d->scheduler, &ev)) {
                switch (ev.type) {
                case SCHED_EV_STEP:
                        log_debug("Step %d (the program's %lld).", ev.a, (long long) ev.b);
                        if (ev.b != s->step) {
                                s->step = (int) ev.b;
                                chair_changes_mark(s->d->changes, CHAIR_CHANGE_STEP);
                        }
                        break;
                case SCHED_EV_FINISHED:
                        if (s->state == SESSION_RUNNING) {
                                posture_end(s);
                                finish(s, "completed");
                                set_state(s, SESSION_SETTLING);
                        }
                        break;
                case SCHED_EV_SETTLED:
                        if (s->state == SESSION_SETTLING)
                                settle_done(s);
                        break;
                case SCHED_EV_POSTURE:
                        posture_command(s, ev.a, scheduler_posture_arg(ev.b), scheduler_posture_value(ev.b));
                        break;
                case SCHED_EV_LATE:
                        fault(s, CHAIR_FAULT_DEADLINE_MISSED, "command %d ran %lld us late (bound %u ms)", ev.a,
                              (long long) ev.b, s->d->map.limits.deadline_miss_ms);
                        break;
                case SCHED_EV_OUTPUT_ERROR:
                        if (ev.b != -EPERM)
                                fault(s, CHAIR_FAULT_OUTPUT_ERROR, "output %s refused a value: %s",
                                      chair_output_info((enum chair_output) ev.a)->name, strerror((int) -ev.b));
                        break;
                case SCHED_EV_TIMELINE_DONE:
                        timeline_free(ev.ptr);
                        break;
                case SCHED_EV_AIR_ZONES:
                        chair_changes_mark(s->d->changes, CHAIR_CHANGE_ACTIVE_AIR);
                        break;
                }
        }
        if (scheduler_overflowed(s->d->scheduler) && !supervisor_latched(s->d->supervisor))
                fault(s, CHAIR_FAULT_QUEUE_FULL, "the scheduler's event queue overflowed");
        return 0;
}

static void on_scheduler_fd(struct event_source *src, int fd, void *userdata) {
        (void) session_on_scheduler_event(userdata);
}

/* ---- accessors ---- */

enum session_state session_get_state(struct session *s) {
        return s->state;
}

const char *session_program(struct session *s) {
        return s->program;
}

uint32_t session_remaining_s(struct session *s) {
        uint32_t elapsed;
        if (s->state != SESSION_RUNNING && s->state != SESSION_PAUSED)
                return 0;
        elapsed = scheduler_program_ms(s->d->scheduler) / 1000;
        return elapsed >= s->duration_s ? 0 : s->duration_s - elapsed;
}

static bool step_shown(struct session *s) {
        return s->state == SESSION_RUNNING || s->state == SESSION_PAUSED;
}

const char *session_step_name(struct session *s) {
        if (!step_shown(s))
                return "";
        if (s->manual)
                return "manual";
        return s->step >= 0 && (size_t) s->step < s->n_steps ? s->steps[s->step].name : "";
}

const char *session_step_technique(struct session *s) {
        if (!step_shown(s))
                return "";
        if (s->manual)
                return s->manual_technique;
        return s->step >= 0 && (size_t) s->step < s->n_steps ? roller_technique_name(s->steps[s->step].technique) : "";
}

uint32_t session_duration_s(struct session *s) {
        return s->state == SESSION_IDLE ? 0 : s->duration_s;
}

uint64_t session_id(struct session *s) {
        return s->id;
}

int32_t session_shoulder_mm(struct session *s) {
        return scan_person(s)->shoulder_mm < 0 ? -1 : current_scan(s).shoulder_mm;
}

const struct session_settings *session_settings(struct session *s) {
        return &s->settings;
}

bool session_active(struct session *s) {
        return s->state != SESSION_IDLE && s->state != SESSION_FAULT;
}

uint64_t session_elapsed_usec(struct session *s) {
        uint64_t until;

        /* The massage's time: a pause holds it, and settling home is not massage (the travel
         * and on-time checks bound it), so a 30-minute program fits a 30-minute cap. */
        if (!session_active(s) || s->state == SESSION_SETTLING)
                return 0;
        until = s->state == SESSION_PAUSED ? s->paused_since_usec : event_loop_now(s->d->loop);
        return until - s->started_usec - MIN(s->paused_usec, until - s->started_usec);
}

int session_new(struct chair_core *d, struct session **ret) {
        struct session *s = calloc(1, sizeof *s);
        int r;

        if (!s)
                return -ENOMEM;
        s->d = d;
        s->state = SESSION_IDLE;
        posture_reset(s);
        s->settings = (struct session_settings) {
                .intensity = 3, .speed = 3, .depth = 3, .width = 1, .air_intensity = 3,
                .timer_min = chair_settings_timer(d->settings),
        };
        r = event_loop_add_timer(d->loop, 10 * USEC_PER_MSEC, on_tick, s, &s->tick);
        if (r >= 0)
                r = event_loop_add_timer(d->loop, USEC_PER_MSEC, on_scan_tick, s, &s->scan_tick);
        if (r >= 0)
                r = event_loop_add_timer(d->loop, USEC_PER_MSEC, on_upright_tick, s, &s->upright_tick);
        if (r >= 0)
                r = event_loop_add_io(d->loop, scheduler_event_fd(d->scheduler), on_scheduler_fd, s, &s->scheduler_source);
        if (r < 0) {
                session_free(s);
                return r;
        }
        chair_hw_set_awake(d->hw, CHAIR_HW_AWAKE_SESSION, false);
        *ret = s;
        return 0;
}

void session_free(struct session *s) {
        if (!s)
                return;
        event_source_free(s->tick);
        event_source_free(s->scan_tick);
        event_source_free(s->upright_tick);
        event_source_free(s->scheduler_source);
        free(s);
}
