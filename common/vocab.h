/* SPDX-License-Identifier: MIT */
/*
 * The chair's small vocabularies, one table each, with both lookups (systemd's
 * DEFINE_STRING_TABLE_LOOKUP): the massage widths and the auto-off timer's values. The fault
 * codes are daemon/fault-codes.h, the session's states daemon/session.c.
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

#define DEFINE_STRING_TABLE_LOOKUP(name, type, table)                                              \
        const char *name##_to_string(type i) {                                                     \
                return (size_t) i < ARRAY_SIZE(table) ? table[i] : NULL;                           \
        }                                                                                          \
        int name##_from_string(const char *s) {                                                    \
                for (size_t _i = 0; s && _i < ARRAY_SIZE(table); _i++)                             \
                        if (table[_i] && strcmp(table[_i], s) == 0)                                \
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

/* The auto-off timer's choices, in minutes, shortest first. */
#define CHAIR_TIMER_CHOICES 3
extern const uint32_t chair_timer_minutes[CHAIR_TIMER_CHOICES];
bool chair_timer_valid(uint32_t minutes);
/* The panel's timer key: the next choice, after the longest the shortest. */
uint32_t chair_timer_next(uint32_t minutes);
