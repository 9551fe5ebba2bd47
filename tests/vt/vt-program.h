/* SPDX-License-Identifier: MIT */
/*
 * One program on the whole chair in virtual time (vt-harness.h), as a person starts it: the
 * declared conditions through the settings owner, the timer, Start with intensity, length and
 * a body scan, run to idle. Watched at every callback by daemon/vt-observe.h (over-limit, sweep
 * ends, on-time runs) against the session's own plan (planned again alike), with the faults the
 * supervisor raised, each named by the program's step running then. The program matrix
 * (tests/unit/test-programs-matrix.c) and `chairctl profile check` run it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chair-error.h"

#define VT_PROGRAM_MAX_FAULTS 8

struct vt_program_options {
        const char *program;              /* its id */
        const char *profiles_dir;         /* NULL: the harness's default (the shipped programs) */
        uint32_t intensity;               /* 0: the program's default */
        uint32_t duration_s;              /* 0: the program's default */
        uint32_t timer_min;               /* the person's auto-off timer; 0: 30 */
        const char *const *conditions;    /* declared, NULL-terminated; NULL: none */
        int32_t shoulder_mm;              /* the seated person (waist 400 mm lower); 0: the sim's 620 */
        bool scan;                        /* Start with a body scan */
        uint32_t focus_areas;             /* started focused on these (bit per enum pain_area); 0: not */
        int log_level;                    /* 0: errors only */
        /* A fault of the sim chair's (chair_driver_sim_fault_name()) injected that long after
         * the start: a test of the run's own reporting. NULL: none. */
        const char *inject;
        uint32_t inject_at_ms;
};

struct vt_program_fault {
        int step;                         /* the program's step (index) running then, -1 none */
        uint64_t at_ms;                   /* since the program started */
        char code[48];
        char message[256];
};

struct vt_program_result {
        bool refused;                     /* Start refused (a condition, ...): nothing ran */
        char refusal[CHAIR_ERROR_MESSAGE_MAX];
        bool idle;                        /* back at idle in time */
        uint32_t intensity;               /* what ran */
        int32_t scanned_shoulder_mm;      /* what the session planned for */
        uint32_t planned_ms;              /* the session's plan */
        uint32_t duration_s;              /* the session's Duration */
        uint64_t ran_ms;                  /* program start to settling */
        uint64_t moving_ms;               /* the travel motor on while the program ran */
        uint64_t longest_travel_run_ms;
        unsigned sweeps, sweeps_checked, sweeps_missed;
        int32_t end_posture_permille;     /* once idle: the furthest of the recline, the leg rest's lift
                                           * and the seat slide from upright, per mille (-1: no axes) */
        char states[256];                 /* the session's states, "scanning running settling idle" */
        char finished[32];                /* the ProgramFinished reason, "" none */
        unsigned n_finished;
        unsigned n_faults;                /* raised by the supervisor, or seen by the observer */
        struct vt_program_fault faults[VT_PROGRAM_MAX_FAULTS];
};

/* 0 (the result says how it went), or a negative errno when the chair could not be set up. */
int vt_program_run(const struct vt_program_options *o, struct vt_program_result *ret);
/* The first fault as "CODE in step N at S s: message", or "none". */
const char *vt_program_first_fault(const struct vt_program_result *r, char *buf, size_t size);
