/* SPDX-License-Identifier: MIT */
/*
 * A virtual-time chair: a program planned by the real planner, executed by the real
 * scheduler core (scheduler_service() on an injected clock) against the shared chair physics
 * (drivers/chair-physics.c), with the supervisor's rules applied after every wake-up through the
 * functions the supervisor itself uses (common/chair-io.h: maximum on-times; common/travel.h:
 * overdue travels). A 30-minute program runs in a fraction of a second.
 *
 * Drive it with a program and options; read back the record of outputs and faults. Meant to
 * grow (session, supervisor and panel on the one clock).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "chair-io.h"
#include "precautions.h"
#include "profile.h"
#include "timeline.h"

struct vt_options {
        uint32_t intensity;          /* 1-5; 0: the program's default */
        uint32_t duration_s;         /* 0: the program's default */
        struct body_scan scan;       /* zero: the reference person (shoulder 620, waist 220 mm) */
        int32_t speed_pct;           /* the panel's live speed, 60-140 %; 0: 100 */
        int32_t start_mm;            /* the roller at the start; 0: where a body scan leaves it,
                                        40 mm above the shoulder; -1: at the bottom */
        uint32_t travel_margin_pct;  /* the map's [limits]; 0: its defaults */
        uint32_t travel_timeout_ms;
        /* A roller that creeps (1/20 of its speed, as the sim backend's slow-roller) from then on. */
        uint32_t creep_at_ms;        /* 0: never */
        const char *const *conditions; /* declared, NULL-terminated; NULL: none */
};

struct vt_fault {
        int step;                    /* the program's step running then (its index), -1 none */
        char code[40];
        char message[160];
        uint64_t at_ms;
};

#define VT_MAX_FAULTS 8

struct vt_record {
        uint32_t planned_ms;         /* the timeline's length */
        uint64_t ran_ms;             /* program start to settled (or to the fault) */
        uint64_t moving_ms;          /* the travel motor on, before settling */
        uint64_t longest_run_ms[_CHAIR_OUT_MAX]; /* longest on-time run of each output */
        unsigned travel_runs;        /* runs of the travel motor (a reversal or stop ends one) */
        unsigned sweeps;             /* sweep commands executed */
        unsigned sweeps_checked;     /* ... that lasted long enough to reach both ends */
        unsigned sweeps_missed;      /* ... of those, the ones that did not */
        unsigned sweeps_both_ends;   /* sweeps that reached both ends, whether they had to or not */
        bool settled;
        bool refused;                /* the conditions refuse the program: nothing ran */
        char refusal[200];
        uint32_t intensity;          /* what ran, after the conditions' cap */
        struct precaution_caps caps; /* the conditions' */
        unsigned n_faults;
        struct vt_fault faults[VT_MAX_FAULTS];
};

/* 0, or a negative errno when the program cannot be planned or the chair set up. Faults are
 * in the record, not the return value: a fault ends the run as the supervisor's trip would.
 * Besides the supervisor's trips, the run records as faults what a healthy program never does:
 * "over-limit" (an actuator beyond what the intensity and the conditions allow: depth, motor
 * duty, heat, a forbidden air zone), "sweep-end-missed", and "unsafe-at-end" (an output not
 * back at its safe value once the chair settled). */
int vt_run_program(const struct program *p, const struct vt_options *o, struct vt_record *ret);
/* The first fault as "code at S s: message", or "none". */
const char *vt_first_fault(const struct vt_record *r, char *buf, size_t size);
