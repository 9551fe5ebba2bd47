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

#define MS 1000000ULL
#define TRACK_MM 800
#define TICK_MS 10

struct vt {
        const struct vt_options *o;
        struct vt_record *rec;
        struct chair_physics phys;
        struct scheduler *sched;
        struct travel_limits travel;
        uint64_t now;                         /* ns of the wake-up being served */
        int32_t image[_CHAIR_OUT_MAX];        /* as the router keeps it */
        uint64_t run_since[_CHAIR_OUT_MAX];   /* ns + 1 of the current run's start, 0 none */
        bool faulted;
        int step;                             /* the program's step running, -1 before the first */
        struct plan_limits limits;
        const struct precaution_caps *caps;

        /* the sweep being watched */
        bool sweep_on;
        int32_t sweep_end[2];
        bool reached[2];
        uint64_t sweep_from_ns, sweep_needs_ns;
};

static void fault(struct vt *v, const char *code, const char *fmt, ...) _printf_(3, 4);
static void fault(struct vt *v, const char *code, const char *fmt, ...) {
        struct vt_record *r = v->rec;
        va_list ap;

        v->faulted = true;
        if (r->n_faults >= VT_MAX_FAULTS)
                return;
        struct vt_fault *f = &r->faults[r->n_faults++];
        snprintf(f->code, sizeof f->code, "%s", code);
        f->at_ms = v->now / MS;
        f->step = v->step;
        va_start(ap, fmt);
        vsnprintf(f->message, sizeof f->message, fmt, ap);
        va_end(ap);
}

static void end_run(struct vt *v, enum chair_output out) {
        if (!v->run_since[out])
                return;
        uint64_t len = (v->now - (v->run_since[out] - 1)) / MS;
        v->rec->longest_run_ms[out] = MAX(v->rec->longest_run_ms[out], len);
        v->run_since[out] = 0;
}

/* Nothing beyond what the intensity and the declared conditions allow. */
static void over_limit(struct vt *v, enum chair_output out, int32_t value) {
        const char *name = chair_output_info(out)->name;

        switch (out) {
        case CHAIR_OUT_DEPTH:
                if (value > v->limits.depth)
                        fault(v, "over-limit", "%s %d, at most %d at intensity %u", name, value, v->limits.depth,
                              v->rec->intensity);
                return;
        case CHAIR_OUT_KNEAD_MOTOR:
        case CHAIR_OUT_TAP_MOTOR:
                if (abs(value) > v->limits.duty)
                        fault(v, "over-limit", "%s %d %%, at most %d %% at intensity %u", name, value, v->limits.duty,
                              v->rec->intensity);
                return;
        default:
                break;
        }
        if (!value)
                return;
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++)
                if (out == chair_heat_zone_output(z) && v->caps->no_heat)
                        fault(v, "over-limit", "%s on although the conditions forbid heat", name);
        for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++)
                if (out == chair_air_zone_valve(z) && (v->caps->forbidden_air_zones & (1u << z)))
                        fault(v, "over-limit", "%s open although the conditions forbid that zone", name);
}

/* The router's bookkeeping of on-time runs, by its rule (chair_output_starts_run). */
static int vt_set_output(void *userdata, enum chair_output out, int32_t value) {
        struct vt *v = userdata;
        const struct chair_output_info *info = chair_output_info(out);
        int32_t old = v->image[out];

        if (!info)
                return -EINVAL;
        if (value < info->min || value > info->max)
                return -ERANGE;
        if (value == info->safe_value || chair_output_starts_run(out, old, value))
                end_run(v, out);
        if (chair_output_starts_run(out, old, value)) {
                v->run_since[out] = v->now + 1;
                if (out == CHAIR_OUT_TRAVEL_MOTOR)
                        v->rec->travel_runs++;
        }
        v->image[out] = value;
        chair_physics_set_output(&v->phys, out, value);
        over_limit(v, out, value);
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

/* A sweep is judged when the next roller command replaces it: if it had the time to reach its
 * first end and then make one whole stroke, it must have reached both ends. */
static void sweep_close(struct vt *v) {
        if (!v->sweep_on)
                return;
        v->sweep_on = false;
        if (v->reached[0] && v->reached[1])
                v->rec->sweeps_both_ends++;
        if (v->now - v->sweep_from_ns < v->sweep_needs_ns)
                return;
        v->rec->sweeps_checked++;
        if (!v->reached[0] || !v->reached[1]) {
                v->rec->sweeps_missed++;
                fault(v, "sweep-end-missed", "the sweep %d..%d mm from %llu s did not reach %d mm",
                      v->sweep_end[0], v->sweep_end[1], (unsigned long long) (v->sweep_from_ns / MS / 1000),
                      v->sweep_end[v->reached[0] ? 1 : 0]);
        }
}

static void sweep_watch(struct vt *v) {
        int32_t pos = roller_mm(v);
        for (int k = 0; v->sweep_on && k < 2; k++)
                if (abs(pos - v->sweep_end[k]) <= TRAVEL_ARRIVED_MM + 1)
                        v->reached[k] = true;
}

static void on_roller_command(struct vt *v, const struct timeline_cmd *c) {
        int32_t speed = travel_effective_speed(c->arg * (v->o->speed_pct ? v->o->speed_pct : 100) / 100, &v->travel);
        int32_t pos = roller_mm(v);

        sweep_close(v);
        if (c->channel != TL_ROLLER_SWEEP)
                return;
        v->rec->sweeps++;
        v->sweep_on = true;
        v->sweep_end[0] = timeline_sweep_first(c->value);
        v->sweep_end[1] = timeline_sweep_second(c->value);
        v->reached[0] = v->reached[1] = false;
        v->sweep_from_ns = v->now;
        v->sweep_needs_ns = (travel_stroke_ms(v->sweep_end[0] - pos, speed, &v->travel) +
                             travel_stroke_ms(v->sweep_end[1] - v->sweep_end[0], speed, &v->travel)) * MS;
}

/* The supervisor's checks that a healthy program must never trip, by its own rules. */
static void check(struct vt *v) {
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                if (v->run_since[o] && chair_output_over_on_time(o, (v->now - (v->run_since[o] - 1)) / 1000)) {
                        fault(v, "output-max-on-time", "%s stayed on longer than %u s", chair_output_info(o)->name,
                              chair_output_info(o)->max_on_ms / 1000);
                        return;
                }
        if (v->image[CHAIR_OUT_TRAVEL_MOTOR] && travel_overdue(scheduler_roller_deadline_ns(v->sched), v->now))
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
        for (unsigned i = 0; i < _CHAIR_OUT_MAX; i++)
                v->image[i] = chair_output_info(i)->safe_value;
        chair_physics_default_params(&params);
        params.track_length_mm = TRACK_MM;
        params.shoulder_mm = po.scan.shoulder_mm;
        params.waist_mm = po.scan.waist_mm;
        chair_physics_init(&v->phys, &params);
        v->phys.roller_mm = o->start_mm < 0 ? 0 : o->start_mm ? o->start_mm : po.scan.shoulder_mm + 40;
        v->phys.encoder = v->phys.roller_mm * params.pulses_per_mm;
        v->travel = (struct travel_limits) { cfg.max_speed_mm_s,
                                             o->travel_margin_pct ? o->travel_margin_pct : TRAVEL_MARGIN_PCT_DEFAULT,
                                             cfg.travel_timeout_ms };

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
        v->caps = &ret->caps;
        v->step = -1;
        planner_limits(ret->intensity, &ret->caps, &v->limits);
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
                        if (c->channel == TL_STEP)
                                v->step = c->arg;
                        if (c->channel == TL_ROLLER_POSITION || c->channel == TL_ROLLER_SWEEP)
                                on_roller_command(v, c);
                }
                next = scheduler_service(v->sched, v->now);
                while (scheduler_pop_event(v->sched, &ev)) {
                        if (ev.type == SCHED_EV_TIMELINE_DONE) {
                                if (ev.ptr == plan)
                                        plan = NULL;
                                timeline_free(ev.ptr);
                        } else if (ev.type == SCHED_EV_FINISHED) {
                                sweep_close(v);
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
                if (v->image[CHAIR_OUT_TRAVEL_MOTOR] && !settling)
                        ret->moving_ms += dt_ms;
                chair_physics_step(&v->phys, dt_ms);
                v->now += dt_ms * MS;
                sweep_watch(v);
                if (o->creep_at_ms && v->now >= (uint64_t) o->creep_at_ms * MS)
                        v->phys.params.max_speed_mm_s = MAX(1, params.max_speed_mm_s / 20);
        }
        for (unsigned i = 0; i < _CHAIR_OUT_MAX; i++) {
                end_run(v, (enum chair_output) i);
                if (ret->settled && v->image[i] != chair_output_info(i)->safe_value)
                        fault(v, "unsafe-at-end", "%s is %d once settled (safe: %d)", chair_output_info(i)->name,
                              v->image[i], chair_output_info(i)->safe_value);
        }
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
