/* SPDX-License-Identifier: MIT */
/*
 * The chair's small vocabularies, one table each, with both lookups (systemd's
 * DEFINE_STRING_TABLE_LOOKUP): the massage widths, the roller's techniques and their motor
 * mapping, and the auto-off timer's values. The fault codes are common/fault-codes.h, the
 * session's states daemon/session.c.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "macro.h"

/* name##_to_string(i) is NULL out of range; name##_from_string(s) is -EINVAL for no entry. */
#define DECLARE_STRING_TABLE_LOOKUP(name, type)                                                    \
        const char *name##_to_string(type i);                                                      \
        int name##_from_string(const char *s)

#define DEFINE_STRING_TABLE_LOOKUP(name, type, table) DEFINE_TABLE_LOOKUP_FIELD(name, type, table, )

/* The same for a table of structs whose FIELD (".name") is the string. */
#define DEFINE_TABLE_LOOKUP_FIELD(name, type, table, field)                                        \
        const char *name##_to_string(type i) {                                                     \
                return (size_t) i < ARRAY_SIZE(table) ? table[i] field : NULL;                     \
        }                                                                                          \
        int name##_from_string(const char *s) {                                                    \
                for (size_t _i = 0; s && _i < ARRAY_SIZE(table); _i++)                             \
                        if (table[_i] field && strcmp(table[_i] field, s) == 0)                    \
                                return (int) _i;                                                   \
                return -EINVAL;                                                                    \
        }

enum chair_width {
        CHAIR_WIDTH_NARROW,
        CHAIR_WIDTH_MEDIUM,
        CHAIR_WIDTH_WIDE,
        _CHAIR_WIDTH_MAX,
};
DECLARE_STRING_TABLE_LOOKUP(chair_width, enum chair_width);

/* The roller's techniques: a profile step's `technique` (docs/profiles.md) and StartManual's
 * (every one but none). */
enum roller_technique {
        TECH_NONE,          /* the roller rests retracted */
        TECH_KNEAD,
        TECH_KNEAD_REVERSE,
        TECH_TAP,
        TECH_KNOCK,
        TECH_SHIATSU,       /* a profile may say "press" */
        TECH_CLAP,
        TECH_ROLL,
        TECH_KNEAD_TAP,
        _TECH_MAX,
};
struct roller_technique_info {
        const char *name;
        /* The motors, in % of the step's motor duty (negative knead: reverse). The planner and
         * manual mode both map a technique to its motors with this. */
        int16_t knead_pct, tap_pct;
};
extern const struct roller_technique_info roller_technique_table[_TECH_MAX];
DECLARE_STRING_TABLE_LOOKUP(roller_technique, enum roller_technique);
/* Manual mode's areas of the back (StartManual's area). */
enum manual_area {
        MANUAL_FULL,
        MANUAL_UPPER,
        MANUAL_LOWER,
        MANUAL_POINT,
        _MANUAL_AREA_MAX,
};
DECLARE_STRING_TABLE_LOOKUP(manual_area, enum manual_area);

/* The knead and tap setpoints of technique T at motor duty DUTY (0-100 %). */
void roller_technique_motors(enum roller_technique t, int32_t duty, int32_t *ret_knead, int32_t *ret_tap);
/* The names manual mode takes, space-separated, into BUF (truncated to SIZE), for help,
 * completion and errors; ROLLER_TECHNIQUE_NAMES_MAX holds them all (and the areas). */
#define ROLLER_TECHNIQUE_NAMES_MAX 128
const char *roller_technique_manual_names(char *buf, size_t size);
const char *manual_area_names(char *buf, size_t size);

/* Where a person hurts: an assessment's areas (docs/people.md). */
enum pain_area {
        PAIN_NECK,
        PAIN_SHOULDERS,
        PAIN_UPPER_BACK,
        PAIN_LOWER_BACK,
        PAIN_HIPS,
        PAIN_CALVES,
        PAIN_FEET,
        _PAIN_AREA_MAX,
};
DECLARE_STRING_TABLE_LOOKUP(pain_area, enum pain_area);

/* What a person wants from the session (an assessment's functional goal). */
enum massage_goal {
        GOAL_RELIEF,
        GOAL_RECOVERY,      /* after sport */
        GOAL_RELAXATION,
        GOAL_MOBILITY,
        _GOAL_MAX,
};
DECLARE_STRING_TABLE_LOOKUP(massage_goal, enum massage_goal);

/* The auto-off timer's choices, in minutes, shortest first. */
#define CHAIR_TIMER_CHOICES 3
extern const uint32_t chair_timer_minutes[CHAIR_TIMER_CHOICES];
bool chair_timer_valid(uint32_t minutes);
/* The panel's timer key: the next choice, after the longest the shortest. */
uint32_t chair_timer_next(uint32_t minutes);

/* Every vocabulary a client names in its help, completion and errors, each read from its one
 * table (here and common/chair-io.h): vocab_join() writes its words with SEP between them into
 * BUF (truncated to SIZE, VOCAB_NAMES_MAX holds any of them). */
enum vocab_list {
        VOCAB_TECHNIQUES, /* manual mode's: every technique but none */
        VOCAB_AREAS,
        VOCAB_WIDTHS,
        VOCAB_AIR_ZONES,
        VOCAB_HEAT_ZONES,
        VOCAB_KEYS,
        VOCAB_TIMERS,
        VOCAB_PAIN_AREAS,
        VOCAB_GOALS,
        _VOCAB_LIST_MAX,
};
#define VOCAB_NAMES_MAX 256
const char *vocab_join(enum vocab_list list, const char *sep, char *buf, size_t size);
