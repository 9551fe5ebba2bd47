/* SPDX-License-Identifier: MIT */
/*
 * A timeline: what the planner produces from a program and what the scheduler executes.
 * Each command takes effect at a time relative to the start of the program; the scheduler
 * turns that into an absolute CLOCK_MONOTONIC deadline. Commands are setpoints on channels;
 * the scheduler's controllers turn channels into outputs (for example a roller target
 * position becomes travel-motor duty from the encoder count).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum timeline_channel {
        TL_ROLLER_POSITION, /* value: target, mm above the bottom limit, or TL_ROLLER_HERE;
                               arg: speed, mm/s (1..100) */
        TL_KNEAD,           /* value: -100..100 % (negative = reverse) */
        TL_TAP,             /* value: 0..100 % */
        TL_WIDTH,           /* value: 0 narrow, 1 medium, 2 wide */
        TL_DEPTH,           /* value: 0..5 */
        TL_AIR_ZONE,        /* arg: enum chair_air_zone; value: enum timeline_air_action */
        TL_HEAT_ZONE,       /* arg: enum chair_heat_zone; value: level 0 (off) .. 3 */
        TL_STEP,            /* a step boundary, a safe point for live changes; arg: the program's step,
                               value: the running index */
        TL_ROLLER_SWEEP,    /* closed-loop strokes between two ends until the next roller command:
                               to the first end, turn when the encoder says it is reached, to the
                               second, and so on; value: timeline_sweep_value(); arg: speed, mm/s */
        /* The posture channels (issue #19) are not the scheduler's to drive: it hands each to the
         * event loop (SCHED_EV_POSTURE), where the session asks daemon/posture.c, whose rules
         * (occupant, feet, precautions, supervisor) decide. */
        TL_POSTURE,         /* arg TL_POSTURE_PRESET: value = enum posture_preset (common/posture-presets.h);
                               arg = enum chair_axis: value = its position, per mille of its travel
                               (0..1000), or TL_POSTURE_LEAVE (nothing: a precaution took it out) */
        TL_FOOT_ROLLERS,    /* value: -100..100 % (negative = reverse), 0 off */
        TL_CALF_KNEAD,      /* value: 0..100 %, 0 off */
        _TL_CHANNEL_MAX,
};

/* TL_POSTURE's arg for a preset, and its value that moves nothing. */
#define TL_POSTURE_PRESET (-1)
#define TL_POSTURE_LEAVE (-1)

/* The value of a TL_ROLLER_POSITION that stops the roller where it is (a sweep ends there). */
#define TL_ROLLER_HERE (-1)

enum timeline_air_action {
        TL_AIR_RELEASE = 0,
        TL_AIR_INFLATE = 1,
        TL_AIR_HOLD = 2,
};
/* In a TL_AIR_ZONE value, above the level: the level as given, not scaled by the live intensity
 * (manual air has an intensity of its own). */
#define TL_AIR_LEVEL_AS_GIVEN (1 << 16)

struct timeline_cmd {
        uint32_t at_ms;     /* from the start of the program */
        uint16_t channel;   /* enum timeline_channel */
        int16_t arg;
        int32_t value;
};

struct timeline {
        struct timeline_cmd *cmds; /* sorted by at_ms, stable for equal times */
        size_t n_cmds;
        uint32_t duration_ms;      /* the program ends here: everything settles */
};

/* The body-scan result that positions are relative to, in mm above the bottom limit. */
struct body_scan {
        int32_t shoulder_mm;
        int32_t waist_mm;
};

/* A sweep's two ends (mm, 0..32767) in one command value, the first in the low half. */
static inline int32_t timeline_sweep_value(int32_t first_mm, int32_t second_mm) {
        return (int32_t) (((uint32_t) second_mm & 0x7fff) << 16 | ((uint32_t) first_mm & 0x7fff));
}
static inline int32_t timeline_sweep_first(int32_t value) {
        return value & 0x7fff;
}
static inline int32_t timeline_sweep_second(int32_t value) {
        return (value >> 16) & 0x7fff;
}

/* Who owns what: a timeline on the heap (the session's, the scheduler's) is freed with
 * timeline_free(), commands and struct; one the caller embeds (planner_plan()'s result on the
 * stack) is emptied with timeline_done(), commands only. scheduler_load() takes a heap timeline
 * on every path, its failures included. */
struct timeline *timeline_free(struct timeline *t); /* returns NULL */
void timeline_done(struct timeline *t);
static inline void timeline_freep(struct timeline **t) {
        timeline_free(*t);
}
const char *timeline_channel_name(enum timeline_channel c);
