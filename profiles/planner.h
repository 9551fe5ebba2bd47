/* SPDX-License-Identifier: MIT */
/*
 * The planner: program + options (intensity, duration, body scan, precautions' caps) ->
 * a deterministic timeline of timed setpoint commands (common/timeline.h). Pure: no I/O, no
 * clock, so golden-file tests compare its text output with reviewed files.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "precautions.h"
#include "profile.h"
#include "timeline.h"

struct plan_options {
        uint32_t intensity;        /* 1-5; 0 = the program's default */
        uint32_t duration_s;       /* 0 = the program's default */
        struct body_scan scan;
        int32_t track_length_mm;
        bool no_heat;              /* the person switched heat off */
        bool caps_given;
        struct precaution_caps caps;
        bool natural;              /* play every step once as written, ignoring duration */
        /* Bit per enum pain_area: the steps working these areas get more of the fitted time,
         * the others less, the total unchanged (docs/profiles.md, "Focus"); 0 = not focused. */
        uint32_t focus_areas;
};

int planner_plan(const struct program *p, const struct plan_options *o, struct timeline *ret);
/* How much of step S works the pain areas FOCUS (bit per enum pain_area), 0-1: the planner's
 * one step-to-area mapping (the roller's range against body bands, the air zones). */
double planner_step_focus(const struct profile_step *s, uint32_t focus);

/* The most any program planned at INTENSITY (1-5) under CAPS (NULL: none) asks of the roller:
 * depth level and motor duty (knead either way, tap), for checks of what ran. */
struct plan_limits {
        int32_t depth, duty;
};
void planner_limits(uint32_t intensity, const struct precaution_caps *caps, struct plan_limits *ret);
/* The roller motors' duty (%) at speed level SPEED and intensity level INTENSITY (1-5 each),
 * before the technique's mapping (roller_technique_motors()): a program step's, and manual mode's
 * at speed 3 and intensity 3. */
int32_t planner_motor_duty(uint32_t speed, uint32_t intensity);
/* One line per command, for golden files, `chairctl profile show` and debugging. */
void planner_format(const struct timeline *t, FILE *out);
