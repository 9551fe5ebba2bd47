/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "chair-hw.h"
#include "core.h"
#include "macro.h"
#include "posture.h"
#include "precautions.h"
#include "program-library.h"
#include "session.h"
#include "settings.h"
#include "timeline.h"
#include "vt-harness.h"
#include "vt-observe.h"
#include "vt-program.h"

#define MS 1000000ULL
#define TIMER_DEFAULT_MIN 30
#define WAIST_BELOW_SHOULDER_MM 400   /* chairsim's --shoulder, and the session after a scan */
#define SETTLE_MAX_MIN 10             /* after the timer: a run still not idle then is stuck */

struct run {
        const struct vt_program_options *o;
        struct vt_program_result *ret;
        uint32_t asked_s;
        struct vt_observer obs;
        struct timeline *plan;            /* the session's plan, planned again alike */
        size_t next_cmd;
        int step;                         /* from the plan's TL_STEP commands */
        bool running;
        uint64_t start_ns, end_ns;
        uint64_t moving_since_ns;         /* + 1; 0: stopped */
        uint64_t now;                     /* ns of the callback observed */
};

static void add_fault(struct run *r, int step, uint64_t at_ns, const char *code, const char *message) {
        struct vt_program_result *ret = r->ret;
        struct vt_program_fault *f;

        if (ret->n_faults >= VT_PROGRAM_MAX_FAULTS)
                return;
        f = &ret->faults[ret->n_faults++];
        f->step = step;
        f->at_ms = r->running && at_ns > r->start_ns ? (at_ns - r->start_ns) / MS : 0;
        snprintf(f->code, sizeof f->code, "%s", code);
        snprintf(f->message, sizeof f->message, "%s", message);
}

static uint64_t now_ns(struct vt_harness *h) {
        return vt_harness_now_us(h) * 1000;
}

static void on_observer_fault(void *userdata, int step, const char *code, const char *message) {
        struct run *r = userdata;
        add_fault(r, step, r->now, code, message);
}

static int on_running(struct vt_harness *h, struct run *r) {
        struct chair_core *c = vt_harness_core(h);
        int32_t shoulder = session_shoulder_mm(c->session);
        struct precaution_declared dec;
        struct plan_request req = {
                .intensity = session_settings(c->session)->intensity,
                .duration_s = r->asked_s,
                .track_length_mm = c->map.track_length_mm,
                .heat = true,
                .precautions = chair_settings_precautions(c->settings),
                .focus_areas = r->o->focus_areas,
                .declared = &dec,
        };
        struct precaution_caps caps;
        char msg[256];
        int k;

        /* The person's caps as the session's plan had them. */
        chair_settings_declared(c->settings, &dec);

        if (shoulder < 0)
                shoulder = 620;  /* no scan: the session's default person */
        req.scan = (struct body_scan) { shoulder, MAX(0, shoulder - WAIST_BELOW_SHOULDER_MM) };
        r->running = true;
        r->start_ns = now_ns(h);
        r->ret->scanned_shoulder_mm = shoulder;
        r->ret->intensity = req.intensity;
        r->ret->duration_s = session_duration_s(c->session);
        /* The limits are those of the intensity that runs. */
        r->obs.intensity = req.intensity;
        planner_limits(req.intensity, &r->obs.caps, &r->obs.limits);
        k = program_library_plan(c->library, r->o->program, &req, &r->plan, msg, sizeof msg);
        if (k < 0) {
                add_fault(r, -1, 0, "plan", msg);
                return k;
        }
        precautions_evaluate_declared(&dec, NULL, &caps, msg, sizeof msg);
        precautions_limit_timeline(&caps, r->plan, NULL);
        r->ret->planned_ms = r->plan->duration_ms;
        /* The same plan as the session's, or the sweep ends judged are not the ones it runs. */
        if ((r->plan->duration_ms + 999) / 1000 != r->ret->duration_s)
                add_fault(r, -1, 0, "plan", "planned again, the program differs from the session's");
        return 0;
}

static void observe(struct vt_harness *h, void *userdata) {
        struct run *r = userdata;
        struct chair_core *c = vt_harness_core(h);
        enum session_state st = session_get_state(c->session);
        uint64_t now = now_ns(h);
        int32_t enc = 0, pos;

        r->now = now;
        if (!r->running && st == SESSION_RUNNING)
                (void) on_running(h, r);
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++) {
                int32_t v = chair_hw_get_output(c->hw, o);
                if (v != r->obs.image[o])
                        vt_observer_output(&r->obs, o, v, now);
        }
        chair_hw_read_input(c->hw, CHAIR_IN_ENCODER, &enc);
        pos = enc / MAX(1, c->map.pulses_per_mm);
        while (r->plan && !r->end_ns && r->next_cmd < r->plan->n_cmds &&
               r->start_ns + (uint64_t) r->plan->cmds[r->next_cmd].at_ms * MS <= now)
                vt_observer_command(&r->obs, &r->plan->cmds[r->next_cmd++], pos, now);
        vt_observer_position(&r->obs, pos);
        if (!r->running || r->end_ns)
                return;
        bool on = r->obs.image[CHAIR_OUT_TRAVEL_MOTOR] != 0;
        if (r->moving_since_ns && !on) {
                r->ret->moving_ms += (now - (r->moving_since_ns - 1)) / MS;
                r->moving_since_ns = 0;
        } else if (!r->moving_since_ns && on)
                r->moving_since_ns = now + 1;
        if (st != SESSION_RUNNING && st != SESSION_PAUSED) {
                r->end_ns = now;
                vt_observer_program_end(&r->obs, now);
                if (r->moving_since_ns)
                        r->ret->moving_ms += (now - (r->moving_since_ns - 1)) / MS;
        }
}

/* The plan's step at ms since its start (the last TL_STEP at or before it), -1 none. */
static int step_at(const struct run *r, uint64_t ms) {
        int step = -1;
        for (size_t i = 0; r->plan && i < r->plan->n_cmds && r->plan->cmds[i].at_ms <= ms; i++)
                if (r->plan->cmds[i].channel == TL_STEP)
                        step = r->plan->cmds[i].arg;
        return step;
}

int vt_program_run(const struct vt_program_options *o, struct vt_program_result *ret) {
        const char *cond_none[] = { NULL };
        uint32_t timer_min = o->timer_min ? o->timer_min : TIMER_DEFAULT_MIN;
        struct vt_harness *h = NULL;
        struct hardware_map map;
        struct chair_error e = CHAIR_ERROR_NULL;
        struct program_summary summary;
        struct precaution_caps caps;
        struct chair_core *c;
        const struct vt_record *rec;
        struct run *r;
        char unused[8];
        int k;

        memset(ret, 0, sizeof *ret);
        r = calloc(1, sizeof *r);
        if (!r)
                return -ENOMEM;
        r->o = o;
        r->ret = ret;
        /* The chair with every posture axis and the leg rollers: a program's posture and leg
         * steps run through posture.c's rules as on the reference chair. */
        hardware_map_simulated_posture(&map);
        k = vt_harness_new(&(struct vt_harness_options) { .map = &map, .profiles_dir = o->profiles_dir,
                                                          .log_level = o->log_level ? o->log_level : LOG_ERR,
                                                          .no_output_record = true }, &h);
        if (k < 0)
                goto out;
        c = vt_harness_core(h);
        k = program_library_find(c->library, o->program, &summary);
        if (k < 0)
                goto out;
        r->asked_s = MIN(o->duration_s ? o->duration_s : summary.duration_s, timer_min * 60);
        if (o->shoulder_mm) {
                k = chair_hw_sim_set_person(c->hw, o->shoulder_mm, o->shoulder_mm - WAIST_BELOW_SHOULDER_MM);
                if (k < 0)
                        goto out;
        }
        if (o->conditions) {
                k = vt_harness_act(h, &(struct vt_action) { .kind = VT_ACT_PRECAUTIONS, .list = o->conditions }, NULL);
                if (k < 0)
                        goto out;
        }
        k = session_set_timer(c->session, timer_min, &e);
        if (k < 0)
                goto out;
        /* Until the session says which intensity runs: the conditions' caps at the asked one. */
        precautions_evaluate(o->conditions ? o->conditions : cond_none, NULL, &caps, unused, sizeof unused);
        vt_observer_init(&r->obs, CLAMP(o->intensity ? o->intensity : summary.intensity, 1u, MIN(5u, caps.max_intensity)),
                         &caps,
                         &(struct travel_limits) { 40, c->map.limits.travel_margin_pct, c->map.limits.travel_timeout_ms },
                         100, on_observer_fault, r);
        vt_harness_set_observer(h, observe, r);
        if (session_start(c->session, o->program,
                          &(struct session_options) { .intensity = o->intensity, .duration_s = o->duration_s,
                                                      .scan = o->scan ? 1 : 0, .heat = true,
                                                      .focus = o->focus_areas != 0, .focus_areas = o->focus_areas },
                          &e) < 0) {
                ret->refused = true;
                snprintf(ret->refusal, sizeof ret->refusal, "%s", e.message[0] ? e.message : "refused");
                k = 0;
                goto out;
        }
        if (o->inject) {
                if (vt_harness_run_for(h, o->inject_at_ms) < 0) {
                        k = -ELOOP;
                        goto out;
                }
                k = chair_core_sim_inject_fault(c, o->inject, true);
                if (k < 0)
                        goto out;
        }
        /* To idle, or to a fault (latched: it stays). */
        for (uint64_t end = vt_harness_now_ms(h) + (uint64_t) (timer_min + SETTLE_MAX_MIN) * 60 * 1000;;) {
                enum session_state st = session_get_state(c->session);
                if (st == SESSION_IDLE || st == SESSION_FAULT || vt_harness_now_ms(h) >= end)
                        break;
                if (vt_harness_run_for(h, 1000) < 0) {
                        k = -ELOOP;
                        goto out;
                }
        }
        ret->idle = session_get_state(c->session) == SESSION_IDLE;
        vt_observer_finish(&r->obs, now_ns(h));

        rec = vt_harness_record(h);
        for (size_t i = 0; i < rec->n_faults; i++) {
                const struct vt_fault_event *f = &rec->faults[i];
                uint64_t at_ns = f->at_us * 1000;  /* since the harness's start, as start_ns */
                if (f->cleared)
                        continue;
                add_fault(r, r->running && at_ns >= r->start_ns ? step_at(r, (at_ns - r->start_ns) / MS) : -1, at_ns,
                          f->code, f->message);
        }
        for (unsigned i = 0; i < _CHAIR_OUT_MAX; i++) {
                const struct chair_output_info *info = chair_output_info(i);
                char msg[128];
                if (info->indicator || vt_harness_output(h, i) == info->safe_value)
                        continue;
                snprintf(msg, sizeof msg, "%s is %d once idle (safe: %d)", info->name, vt_harness_output(h, i), info->safe_value);
                add_fault(r, -1, now_ns(h), "unsafe-at-end", msg);
        }
        ret->end_posture_permille = -1;
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++) {
                int32_t v;
                /* The fit's extension stays (nothing retracts it automatically). */
                if (a != CHAIR_AXIS_LEGREST_EXTEND && posture_position(c->posture, a, &v) >= 0)
                        ret->end_posture_permille = MAX(ret->end_posture_permille, v);
        }
        vt_harness_states_string(h, ret->states, sizeof ret->states);
        ret->n_finished = (unsigned) rec->n_finished;
        if (rec->n_finished)
                snprintf(ret->finished, sizeof ret->finished, "%s", rec->finished[0].reason);
        ret->ran_ms = r->end_ns > r->start_ns ? (r->end_ns - r->start_ns) / MS : 0;
        ret->longest_travel_run_ms = r->obs.longest_run_ms[CHAIR_OUT_TRAVEL_MOTOR];
        ret->sweeps = r->obs.sweeps;
        ret->sweeps_checked = r->obs.sweeps_checked;
        ret->sweeps_missed = r->obs.sweeps_missed;
        k = 0;
out:
        if (r->plan) {
                timeline_free(r->plan); /* frees what it owns, the struct too */
        }
        free(r);
        vt_harness_free(h);
        return k;
}

const char *vt_program_first_fault(const struct vt_program_result *r, char *buf, size_t size) {
        if (!r->n_faults)
                snprintf(buf, size, "none");
        else
                snprintf(buf, size, "%s in step %d at %llu s: %s", r->faults[0].code, r->faults[0].step,
                         (unsigned long long) (r->faults[0].at_ms / 1000), r->faults[0].message);
        return buf;
}
