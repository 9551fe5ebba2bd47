/* SPDX-License-Identifier: MIT */
/*
 * A technique program ("profile") as a technician writes it: an INI file, documented in
 * docs/profiles.md. The loader is strict: every number bounded, every choice from a list,
 * unknown sections or keys rejected, required keys enforced, cross-checks, and every error
 * reported as FILE:LINE: message.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chair-io.h"
#include "strict-ini.h"
#include "vocab.h" /* enum roller_technique */

#define PROFILE_MAX_STEPS 64
#define PROFILE_MAX_BLOCKS 8
#define PROFILE_MAX_BLOCK_TIMES 20     /* passes of a block, as written or as fitted */
#define PROFILE_MAX_LIST 16
#define PROFILE_ID_MAX 40
#define PROFILE_TEXT_MAX 200
/* A profile file or upload: at most this many bytes (65536 is accepted, 65537 refused). */
#define PROFILE_FILE_MAX (64 * 1024)

struct profile_step {
        char name[PROFILE_ID_MAX];
        unsigned line;                 /* the section header, for errors found later */
        enum roller_technique technique;
        bool is_range;
        double from, to;               /* body-relative: 0 shoulder, 1 waist; from == to for a point */
        uint32_t speed;                /* 1-5 */
        uint32_t width;                /* 0 narrow, 1 medium, 2 wide */
        uint32_t depth;                /* 1-5 */
        uint32_t air_zones;            /* bit per enum chair_air_zone */
        uint32_t air_inflate_s, air_hold_s, air_release_s;
        uint32_t air_level;            /* 1-5 */
        uint32_t heat[_CHAIR_HEAT_ZONE_MAX]; /* 0-3 */
        uint32_t duration_s;           /* 0 when repetitions are given */
        uint32_t repetitions;          /* sweeps of the range, or air cycles; 0 when a duration is given */
        /* A ramp across repetitions of the step's block: which value, from what, to what. */
        enum { RAMP_NONE, RAMP_DEPTH, RAMP_SPEED, RAMP_AIR } ramp;
        uint32_t ramp_from, ramp_to;
        int block;                     /* index into program.blocks, -1 none */
        /* Posture and the legs (issue #19), each PROFILE_UNSET when not given: a preset (enum
         * posture_preset, common/posture-presets.h), or the recline's and the leg rest's lift position
         * (per mille); the foot rollers (-100..100 %) and the calf kneading (0..100 %), which
         * run for the step and stop at its end. */
        int32_t posture, recline, legrest;
        int32_t foot_rollers, calf_knead;
};
#define PROFILE_UNSET INT32_MIN
/* A stretch step: air holds a part of the body while the posture changes (docs/profiles.md). */
bool profile_step_is_stretch(const struct profile_step *s);

struct profile_block {
        char name[PROFILE_ID_MAX];
        uint32_t times;                /* 1-20 passes */
        unsigned line;
};

struct program {
        char id[PROFILE_ID_MAX];
        char name[64];
        char description[PROFILE_TEXT_MAX];
        char path[256];
        uint32_t duration_s;           /* default session length */
        uint32_t intensity;            /* default 1-5 */
        char areas[PROFILE_MAX_LIST][24];
        size_t n_areas;
        char excluded_by[PROFILE_MAX_LIST][40]; /* precautions that exclude this program */
        size_t n_excluded_by;
        struct profile_step steps[PROFILE_MAX_STEPS];
        size_t n_steps;
        struct profile_block blocks[PROFILE_MAX_BLOCKS];
        size_t n_blocks;
        bool stretch;                  /* a step is a stretch: the conditions that forbid stretching
                                        * (precautions.c) are in excluded_by */
};

/* Loads a profile from a file or from text (an upload). Returns 0, or -EINVAL with every
 * error in *errors. The program is newly allocated. */
int profile_load_file(const char *path, struct program **ret, struct ini_errors *errors);
int profile_load_text(const char *name, const char *text, size_t len, struct program **ret, struct ini_errors *errors);
/* NAME in the directory DIRFD, never through a symlink (common/untrusted-file.h); DISPLAY names
 * it in errors. untrusted_file_refused() of its error says the file itself was refused unread. */
int profile_load_at(int dirfd, const char *name, const char *display, struct program **ret, struct ini_errors *errors);

/* roller_technique_to_string(), or "?" out of range. */
const char *roller_technique_name(enum roller_technique t);
/* The program's natural length, in seconds, at the default duration (blocks expanded). */
uint32_t profile_natural_length_s(const struct program *p);
