/* SPDX-License-Identifier: MIT */
/*
 * What a healthy program never does, judged from what the chair's outputs and roller do: one
 * observer for both virtual-time runs (daemon/vt-chair.h, and the whole chair of
 * tests/vt/vt-harness.h in the program matrix and `chairctl profile check`). Fed the outputs
 * as the router sets them, the roller commands of the program's timeline as they become due,
 * and the roller's position; it reports "over-limit" (an actuator beyond what the intensity
 * and the conditions allow: depth, motor duty, heat, a forbidden air zone) and
 * "sweep-end-missed" through its fault callback, with the program's step running then.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "chair-io.h"
#include "planner.h"
#include "precautions.h"
#include "timeline.h"
#include "travel.h"

typedef void (*vt_observer_fault_fn)(void *userdata, int step, const char *code, const char *message);

struct vt_observer {
        /* what the run allows */
        uint32_t intensity;
        struct plan_limits limits;
        struct precaution_caps caps;
        struct travel_limits travel;
        int32_t speed_pct;                    /* the live speed: 100 as planned */
        vt_observer_fault_fn fault;
        void *userdata;

        /* what it saw */
        int step;                             /* the program's step running, -1 before the first */
        int32_t image[_CHAIR_OUT_MAX];        /* as the router keeps it */
        uint64_t run_since[_CHAIR_OUT_MAX];   /* ns + 1 of the current run's start, 0 none */
        uint64_t longest_run_ms[_CHAIR_OUT_MAX]; /* longest on-time run of each output */
        unsigned travel_runs;                 /* runs of the travel motor (a reversal or stop ends one) */
        unsigned sweeps;                      /* sweep commands executed */
        unsigned sweeps_checked;              /* ... that lasted long enough to reach both ends */
        unsigned sweeps_missed;               /* ... of those, the ones that did not */
        unsigned sweeps_both_ends;            /* sweeps that reached both ends, whether they had to or not */
        unsigned n_faults;

        /* the sweep being watched */
        bool sweep_on;
        int32_t sweep_end[2];
        bool reached[2];
        uint64_t sweep_from_ns, sweep_needs_ns;
};

/* Every output at its safe value, no step yet. */
void vt_observer_init(struct vt_observer *v, uint32_t intensity, const struct precaution_caps *caps,
                      const struct travel_limits *travel, int32_t speed_pct, vt_observer_fault_fn fault, void *userdata);
/* An output the router set at now_ns. */
void vt_observer_output(struct vt_observer *v, enum chair_output out, int32_t value, uint64_t now_ns);
/* A command of the program's timeline that became due at now_ns, the roller at pos_mm. */
void vt_observer_command(struct vt_observer *v, const struct timeline_cmd *c, int32_t pos_mm, uint64_t now_ns);
/* The roller at pos_mm now. */
void vt_observer_position(struct vt_observer *v, int32_t pos_mm);
/* The program ended (the scheduler's finished) at now_ns: judge the last sweep. */
void vt_observer_program_end(struct vt_observer *v, uint64_t now_ns);
/* The run ended at now_ns: close every on-time run. */
void vt_observer_finish(struct vt_observer *v, uint64_t now_ns);
/* The longest on-time run so far of out, counting the one still going at now_ns. */
uint64_t vt_observer_on_ms(const struct vt_observer *v, enum chair_output out, uint64_t now_ns);
