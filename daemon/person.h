/* SPDX-License-Identifier: MIT */
/*
 * What one person is (people.h keeps them, person-file.h stores each): a header of its own so
 * that the registry and the file format depend on it, not on each other.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "state-store.h"
#include "vocab.h"

#define PERSON_GUEST_ID 0u
#define PERSON_NAME_MAX 32        /* bytes of UTF-8, no control characters, not empty */
#define PERSON_ID_MAX 9999u
#define PAIN_NOT_RATED HISTORY_NOT_RATED

struct assessment {
        uint64_t time_usec;                 /* CLOCK_REALTIME; 0: none recorded */
        uint16_t pain[_PAIN_AREA_MAX];      /* 0-10 per area named, PAIN_NOT_RATED otherwise */
        uint16_t pain_now;                  /* 0-10 overall */
        enum massage_goal goal;
};

/* What a person is; read-only to everyone but people.c. Strings are valid UTF-8. */
struct person {
        uint32_t id;
        char name[PERSON_NAME_MAX + 1];
        char **conditions;                  /* NULL-terminated, never NULL */
        bool conditions_unreadable;         /* fail closed: nothing may move until declared again */
        uint32_t intensity_cap;             /* 1-5; 5 = no cap of the person's own */
        uint32_t heat_cap;                  /* 0-3; 3 = no cap of the person's own, 0 = no heat */
        int32_t shoulder_mm;                /* the body scan; -1: none */
        int32_t shoulder_adjust;            /* fine-tune steps of 10 mm, -5..5 */
        struct memory_slot memory[MEMORY_SLOTS];
        uint32_t timer_min;                 /* 0: the chair's default; else 10/20/30 */
        uint32_t heat_pref[2];              /* per enum chair_heat_zone: level 0-3 a session starts with */
        struct assessment assessment;       /* the last one recorded */
        uint64_t assessment_used_by;        /* the session id it was attached to; 0: not yet */
};

_Static_assert(HISTORY_AREAS == _PAIN_AREA_MAX, "a history entry holds one pain per area");
