/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "vt-observe.h"

#define MS 1000000ULL

static void fault(struct vt_observer *v, const char *code, const char *fmt, ...) _printf_(3, 4);
static void fault(struct vt_observer *v, const char *code, const char *fmt, ...) {
        char message[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(message, sizeof message, fmt, ap);
        va_end(ap);
        v->n_faults++;
        if (v->fault)
                v->fault(v->userdata, v->step, code, message);
}

void vt_observer_init(struct vt_observer *v, uint32_t intensity, const struct precaution_caps *caps,
                      const struct travel_limits *travel, int32_t speed_pct, vt_observer_fault_fn fault_fn, void *userdata) {
        *v = (struct vt_observer) { .intensity = intensity, .caps = *caps, .travel = *travel,
                                    .speed_pct = speed_pct ? speed_pct : 100, .fault = fault_fn, .userdata = userdata,
                                    .step = -1 };
        planner_limits(intensity, caps, &v->limits);
        for (unsigned i = 0; i < _CHAIR_OUT_MAX; i++)
                v->image[i] = chair_output_info(i)->safe_value;
}

static void end_run(struct vt_observer *v, enum chair_output out, uint64_t now_ns) {
        if (!v->run_since[out])
                return;
        uint64_t len = (now_ns - (v->run_since[out] - 1)) / MS;
        v->longest_run_ms[out] = MAX(v->longest_run_ms[out], len);
        v->run_since[out] = 0;
}

uint64_t vt_observer_on_ms(const struct vt_observer *v, enum chair_output out, uint64_t now_ns) {
        uint64_t now = v->run_since[out] ? (now_ns - (v->run_since[out] - 1)) / MS : 0;
        return MAX(v->longest_run_ms[out], now);
}

/* Nothing beyond what the intensity and the declared conditions allow. */
static void over_limit(struct vt_observer *v, enum chair_output out, int32_t value) {
        const char *name = chair_output_info(out)->name;

        switch (out) {
        case CHAIR_OUT_DEPTH:
                if (value > v->limits.depth)
                        fault(v, "over-limit", "%s %d, at most %d at intensity %u", name, value, v->limits.depth,
                              v->intensity);
                return;
        case CHAIR_OUT_KNEAD_MOTOR:
        case CHAIR_OUT_TAP_MOTOR:
                if (abs(value) > v->limits.duty)
                        fault(v, "over-limit", "%s %d %%, at most %d %% at intensity %u", name, value, v->limits.duty,
                              v->intensity);
                return;
        default:
                break;
        }
        if (!value)
                return;
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++)
                if (out == chair_heat_zone_output(z) && v->caps.no_heat)
                        fault(v, "over-limit", "%s on although the conditions forbid heat", name);
        for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++)
                if (out == chair_air_zone_valve(z) && (v->caps.forbidden_air_zones & (1u << z)))
                        fault(v, "over-limit", "%s open although the conditions forbid that zone", name);
}

/* The router's bookkeeping of on-time runs, by its rule (chair_output_starts_run). */
void vt_observer_output(struct vt_observer *v, enum chair_output out, int32_t value, uint64_t now_ns) {
        const struct chair_output_info *info = chair_output_info(out);
        int32_t old = v->image[out];

        if (!info)
                return;
        if (value == info->safe_value || chair_output_starts_run(out, old, value))
                end_run(v, out, now_ns);
        if (chair_output_starts_run(out, old, value)) {
                v->run_since[out] = now_ns + 1;
                if (out == CHAIR_OUT_TRAVEL_MOTOR)
                        v->travel_runs++;
        }
        v->image[out] = value;
        over_limit(v, out, value);
}

/* A sweep is judged when the next roller command replaces it: if it had the time to reach its
 * first end and then make one whole stroke, it must have reached both ends. */
static void sweep_close(struct vt_observer *v, uint64_t now_ns) {
        if (!v->sweep_on)
                return;
        v->sweep_on = false;
        if (v->reached[0] && v->reached[1])
                v->sweeps_both_ends++;
        if (now_ns - v->sweep_from_ns < v->sweep_needs_ns)
                return;
        v->sweeps_checked++;
        if (!v->reached[0] || !v->reached[1]) {
                v->sweeps_missed++;
                fault(v, "sweep-end-missed", "the sweep %d..%d mm from %llu s did not reach %d mm", v->sweep_end[0],
                      v->sweep_end[1], (unsigned long long) (v->sweep_from_ns / MS / 1000),
                      v->sweep_end[v->reached[0] ? 1 : 0]);
        }
}

void vt_observer_position(struct vt_observer *v, int32_t pos) {
        for (int k = 0; v->sweep_on && k < 2; k++)
                if (abs(pos - v->sweep_end[k]) <= TRAVEL_ARRIVED_MM + 1)
                        v->reached[k] = true;
}

void vt_observer_command(struct vt_observer *v, const struct timeline_cmd *c, int32_t pos, uint64_t now_ns) {
        if (c->channel == TL_STEP)
                v->step = c->arg;
        if (c->channel != TL_ROLLER_POSITION && c->channel != TL_ROLLER_SWEEP)
                return;
        int32_t speed = travel_effective_speed(c->arg * v->speed_pct / 100, &v->travel);

        sweep_close(v, now_ns);
        if (c->channel != TL_ROLLER_SWEEP)
                return;
        v->sweeps++;
        v->sweep_on = true;
        v->sweep_end[0] = timeline_sweep_first(c->value);
        v->sweep_end[1] = timeline_sweep_second(c->value);
        v->reached[0] = v->reached[1] = false;
        v->sweep_from_ns = now_ns;
        v->sweep_needs_ns = (travel_stroke_ms(v->sweep_end[0] - pos, speed, &v->travel) +
                             travel_stroke_ms(v->sweep_end[1] - v->sweep_end[0], speed, &v->travel)) * MS;
        vt_observer_position(v, pos);
}

void vt_observer_program_end(struct vt_observer *v, uint64_t now_ns) {
        sweep_close(v, now_ns);
}

void vt_observer_finish(struct vt_observer *v, uint64_t now_ns) {
        for (unsigned i = 0; i < _CHAIR_OUT_MAX; i++)
                end_run(v, (enum chair_output) i, now_ns);
}
