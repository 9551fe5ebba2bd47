/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chair-physics.h"
#include "macro.h"
#include "planner.h"
#include "precautions.h"
#include "scheduler.h"
#include "travel.h"
#include "vt-chair.h"
#include "vt-observe.h"

#define MS 1000000ULL
#define TRACK_MM 800
#define TICK_MS 10

struct vt {
        const struct vt_options *o;
        struct vt_record *rec;
        struct chair_physics phys;
        struct scheduler *sched;
        uint64_t now;                         /* ns of the wake-up being served */
        bool faulted;
        struct vt_observer obs;               /* over-limit, on-time runs, sweep ends (vt-observe.h) */
};

static void record_fault(struct vt *v, int step, const char *code, const char *message) {
        struct vt_record *r = v->rec;

        v->faulted = true;
        if (r->n_faults >= VT_MAX_FAULTS)
                return;
        struct vt_fault *f = &r->faults[r->n_faults++];
        snprintf(f->code, sizeof f->code, "%s", code);
        snprintf(f->message, sizeof f->message, "%s", message);
        f->at_ms = v->now / MS;
        f->step = step;
}

static void on_observer_fault(void *userdata, int step, const char *code, const char *message) {
        record_fault(userdata, step, code, message);
}

static void fault(struct vt *v, const char *code, const char *fmt, ...) _printf_(3, 4);
static void fault(struct vt *v, const char *code, const char *fmt, ...) {
        char message[160];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(message, sizeof message, fmt, ap);
        va_end(ap);
        record_fault(v, v->obs.step, code, message);
}

static int vt_set_output(void *userdata, enum chair_output out, int32_t value) {
        struct vt *v = userdata;
        const struct chair_output_info *info = chair_output_info(out);

        if (!info)
                return -EINVAL;
        if (value < info->min || value > info->max)
                return -ERANGE;
        vt_observer_output(&v->obs, out, value, v->now);
        chair_physics_set_output(&v->phys, out, value);
        return 0;
}

static int vt_read_input(void *userdata, enum chair_input in, int32_t *ret) {
        struct vt *v = userdata;
        *ret = chair_physics_input(&v->phys, in);
        return 0;
}

static int32_t roller_mm(struct vt *v) {
        return chair_physics_input(&v->phys, CHAIR_IN_ENCODER) / v->phys.params.pulses_per_mm;
}

/* The supervisor's checks that a healthy program must never trip, by its own rules. */
static void check(struct vt *v) {
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                if (v->obs.run_since[o] && chair_output_over_on_time(o, (v->now - (v->obs.run_since[o] - 1)) / 1000)) {
                        fault(v, "output-max-on-time", "%s stayed on longer than %u s", chair_output_info(o)->name,
                              chair_output_info(o)->max_on_ms / 1000);
                        return;
                }
        if (v->obs.image[CHAIR_OUT_TRAVEL_MOTOR] && travel_overdue(scheduler_roller_deadline_ns(v->sched), v->now))
                fault(v, "travel-timeout", "the roller did not arrive in time (at %d mm)", roller_mm(v));
}

int vt_run_program(const struct program *p, const struct vt_options *o, struct vt_record *ret) {
        struct chair_physics_params params;
        struct plan_options po = {
                .intensity = o->intensity,
                .duration_s = o->duration_s,
                .scan = o->scan.shoulder_mm ? o->scan : (struct body_scan) { 620, 220 },
                .track_length_mm = TRACK_MM,
        };
        struct scheduler_config cfg = {
                .pulses_per_mm = 2,
                .track_length_mm = TRACK_MM,
                .max_speed_mm_s = 40,
                .deadline_miss_ms = 20,
                .tick_ms = TICK_MS,
                .travel_timeout_ms = o->travel_timeout_ms ? o->travel_timeout_ms : 10000,
                .travel_margin_pct = o->travel_margin_pct,
        };
        struct vt *v;
        struct timeline *t;
        size_t next_cmd = 0;
        bool settling = false;
        int r;

        memset(ret, 0, sizeof *ret);
        v = calloc(1, sizeof *v);
        t = calloc(1, sizeof *t);
        if (!v || !t) {
                free(v);
                free(t);
                return -ENOMEM;
        }
        v->o = o;
        v->rec = ret;
        chair_physics_default_params(&params);
        params.track_length_mm = TRACK_MM;
        params.shoulder_mm = po.scan.shoulder_mm;
        params.waist_mm = po.scan.waist_mm;
        chair_physics_init(&v->phys, &params);
        v->phys.roller_mm = o->start_mm < 0 ? 0 : o->start_mm ? o->start_mm : po.scan.shoulder_mm + 40;
        v->phys.encoder = v->phys.roller_mm * params.pulses_per_mm;

        /* As the session does: the conditions' caps for the plan, then the last-line filter. */
        if (precautions_evaluate(o->conditions, p, &ret->caps, ret->refusal, sizeof ret->refusal) < 0) {
                ret->refused = true;
                r = 0;
                goto out;
        }
        ret->intensity = CLAMP(o->intensity ? o->intensity : p->intensity, 1u, MIN(5u, ret->caps.max_intensity));
        po.intensity = ret->intensity;
        po.caps_given = true;
        po.caps = ret->caps;
        po.no_heat = ret->caps.no_heat;
        vt_observer_init(&v->obs, ret->intensity, &ret->caps,
                         &(struct travel_limits) { cfg.max_speed_mm_s,
                                                   o->travel_margin_pct ? o->travel_margin_pct : TRAVEL_MARGIN_PCT_DEFAULT,
                                                   cfg.travel_timeout_ms },
                         o->speed_pct, on_observer_fault, v);
        r = planner_plan(p, &po, t);
        if (r < 0)
                goto out;
        precautions_limit_timeline(&ret->caps, t, NULL);
        ret->planned_ms = t->duration_ms;
        r = scheduler_new(&cfg, &(struct scheduler_io) { vt_set_output, vt_read_input, v, NULL }, &v->sched);
        if (r < 0)
                goto out;
        /* The timeline is the scheduler's from here; the harness reads it until it is handed back. */
        const struct timeline *plan = t;
        if (o->speed_pct)
                scheduler_set_modifiers(v->sched, 100, o->speed_pct, -1);
        scheduler_load(v->sched, t, 0);
        t = NULL;

        for (v->now = 0;;) {
                struct scheduler_event ev;
                uint64_t next;

                /* What the scheduler executes at this wake-up, as the harness sees it. */
                while (plan && next_cmd < plan->n_cmds && (uint64_t) plan->cmds[next_cmd].at_ms * MS <= v->now) {
                        const struct timeline_cmd *c = &plan->cmds[next_cmd++];
                        vt_observer_command(&v->obs, c, roller_mm(v), v->now);
                }
                next = scheduler_service(v->sched, v->now);
                while (scheduler_pop_event(v->sched, &ev)) {
                        if (ev.type == SCHED_EV_TIMELINE_DONE) {
                                if (ev.ptr == plan)
                                        plan = NULL;
                                timeline_free(ev.ptr);
                        } else if (ev.type == SCHED_EV_FINISHED) {
                                vt_observer_program_end(&v->obs, v->now);
                                settling = true;
                        } else if (ev.type == SCHED_EV_SETTLED) {
                                ret->settled = true;
                        } else if (ev.type == SCHED_EV_LATE) {
                                fault(v, "deadline-miss", "command %d late by %lld us", ev.a, (long long) ev.b);
                        } else if (ev.type == SCHED_EV_OUTPUT_ERROR) {
                                fault(v, "output-error", "%s: %s", chair_output_info(ev.a)->name, strerror((int) -ev.b));
                        }
                }
                check(v);
                if (v->faulted || ret->settled || next == UINT64_MAX)
                        break;
                if (next <= v->now)
                        next = v->now + MS;
                /* Timeline commands are due on whole ms; controllers tick on whole ms from 0. */
                uint32_t dt_ms = (uint32_t) ((next - v->now + MS - 1) / MS);
                if (v->obs.image[CHAIR_OUT_TRAVEL_MOTOR] && !settling)
                        ret->moving_ms += dt_ms;
                chair_physics_step(&v->phys, dt_ms);
                v->now += dt_ms * MS;
                vt_observer_position(&v->obs, roller_mm(v));
                if (o->creep_at_ms && v->now >= (uint64_t) o->creep_at_ms * MS)
                        v->phys.params.max_speed_mm_s = MAX(1, params.max_speed_mm_s / 20);
        }
        vt_observer_finish(&v->obs, v->now);
        for (unsigned i = 0; i < _CHAIR_OUT_MAX; i++)
                if (ret->settled && v->obs.image[i] != chair_output_info(i)->safe_value)
                        fault(v, "unsafe-at-end", "%s is %d once settled (safe: %d)", chair_output_info(i)->name,
                              v->obs.image[i], chair_output_info(i)->safe_value);
        memcpy(ret->longest_run_ms, v->obs.longest_run_ms, sizeof ret->longest_run_ms);
        ret->travel_runs = v->obs.travel_runs;
        ret->sweeps = v->obs.sweeps;
        ret->sweeps_checked = v->obs.sweeps_checked;
        ret->sweeps_missed = v->obs.sweeps_missed;
        ret->sweeps_both_ends = v->obs.sweeps_both_ends;
        ret->ran_ms = v->now / MS;
        r = 0;
        scheduler_free(v->sched);
out:
        timeline_free(t);
        free(v);
        return r;
}

const char *vt_first_fault(const struct vt_record *r, char *buf, size_t size) {
        if (!r->n_faults)
                snprintf(buf, size, "none");
        else
                snprintf(buf, size, "%s at %llu s: %s", r->faults[0].code, (unsigned long long) (r->faults[0].at_ms / 1000),
                         r->faults[0].message);
        return buf;
}
