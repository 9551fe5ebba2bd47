/* SPDX-License-Identifier: MIT */
/*
 * A person's declared conditions (chair-domain.md section 4) and what each does to a session:
 * some mean the chair must not be used at all, others exclude programs that name them
 * (excluded_by in a profile), cap intensity or depth, forbid heat, or forbid compression of
 * some air zones.
 *
 * precautions_check() is the one gate: every request that can move an actuator (a program,
 * manual or point mode, a body scan, a live change, a memory recall, a posture move) asks it
 * and gets "allowed", "allowed but clamped to this value" or "refused because of this
 * condition". The planner's caps (precautions_evaluate) and the last-line filter of every
 * timeline (precautions_limit_timeline) come from the same table.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct program;
struct timeline;
struct timeline_cmd;

struct precaution {
        const char *name;
        const char *effect;           /* what it changes, for people */
        bool must_not_use;            /* refuses every program and manual use */
        uint32_t max_intensity;       /* 0 = no cap */
        uint32_t max_depth;           /* 0 = no cap */
        bool no_heat;
        uint32_t forbidden_air_zones; /* bit per enum chair_air_zone */
        uint32_t heat_dose_pct;       /* the share of the chair's heat dose limit left, 1-99 %;
                                       * 0: not lowered (no_heat lowers it to nothing) */
        bool no_stretch;              /* excludes every stretch program (the loader adds it to
                                       * their excluded_by) */
};

struct precaution_caps {
        uint32_t max_intensity;       /* 5 when uncapped */
        uint32_t max_depth;
        bool no_heat;
        uint32_t forbidden_air_zones;
        uint32_t max_heat;            /* 1-3, 3 when uncapped; 0 read as 3 (caps built without it):
                                       * no heat at all is no_heat */
};

const struct precaution *precaution_find(const char *name);
/* The share of the chair's heat dose limit (supervisor.h) that the conditions (NULL-terminated,
 * may be NULL) leave, 0-100 %: the lowest of theirs, 0 with one that forbids heat. *ret_condition
 * (may be NULL) names the condition that set it, NULL when none lowered it. */
uint32_t precautions_heat_dose_pct(const char *const *conditions, const char **ret_condition);
const struct precaution *precaution_list(size_t *ret_n);

/* What the person declared, and the caps they (or a technician) set for themselves
 * (people.h), which the gate applies exactly as a condition's caps. */
struct precaution_declared {
        const char *const *conditions; /* NULL-terminated, may be NULL */
        bool unreadable;               /* the stored list could not be read back: nothing may move
                                        * until it is declared again */
        bool capped;                   /* the person's caps below apply (false: conditions only) */
        uint32_t intensity_cap;        /* 1-5; 5: none of their own */
        uint32_t heat_cap;             /* 0-3; 3: none of their own, 0: no heat */
};

enum precaution_kind {
        PRECAUTION_PROGRAM,    /* start or recall of a program; value: intensity */
        PRECAUTION_MANUAL,     /* manual or point mode; value: intensity */
        PRECAUTION_SCAN,       /* body scan; value: the depth the roller presses with */
        PRECAUTION_INTENSITY,  /* live changes; value: the level */
        PRECAUTION_DEPTH,
        PRECAUTION_SPEED,
        PRECAUTION_WIDTH,
        PRECAUTION_AIR,        /* value: air intensity (0 = off); zones: bit per enum chair_air_zone */
        PRECAUTION_HEAT,       /* value: level (0 = off) */
        PRECAUTION_POSTURE,    /* recline or leg-rest moves; zones: the air zones' parts of the body
                                * the move presses (a leg rest: calves, feet) */
        _PRECAUTION_KIND_MAX,
};

struct precaution_request {
        enum precaution_kind kind;
        const char *program;           /* PRECAUTION_PROGRAM: its id and the conditions that */
        const char *const *excluded_by; /* exclude it (NULL-terminated, may be NULL) */
        uint32_t value;
        uint32_t zones;
        bool clamp;                    /* over a cap or into a forbidden zone or heat: lower it to
                                        * what is allowed (true) or refuse (false) */
};

struct precaution_verdict {
        uint32_t value, zones;         /* what may be done: as asked, or clamped */
        const char *condition;         /* the condition that clamped or refused; NULL otherwise */
        char reason[300];              /* for people, naming the condition */
};

/* 0: allowed as asked; 1: allowed, clamped (ret->value/zones, the reason says why); -EPERM:
 * refused, the reason names the condition; -EINVAL: an unknown kind. A must-not-use condition
 * (or an unreadable list) refuses everything except switching something off. */
int precautions_check(const struct precaution_declared *dec, const struct precaution_request *req,
                      struct precaution_verdict *ret);
const char *precaution_kind_name(enum precaution_kind k);

/* The caps for what a person declared (their conditions and their own caps) and, when a
 * program is given, whether it may run: 0 allowed (capped), -EPERM refused with a human reason
 * (an unreadable list refuses). */
int precautions_evaluate_declared(const struct precaution_declared *dec, const struct program *p,
                                  struct precaution_caps *ret, char *reason, size_t reason_size);
/* The same for a set of conditions alone (NULL-terminated, may be NULL). */
int precautions_evaluate(const char *const *conditions, const struct program *p, struct precaution_caps *ret,
                         char *reason, size_t reason_size);
/* Whether caps a are stricter than b in any respect. */
bool precaution_caps_stricter(const struct precaution_caps *a, const struct precaution_caps *b);

/* The last line before the scheduler: lowers one command, or every command of a timeline, to
 * the caps (depth above the cap to the cap, inflating a forbidden zone to releasing it, heat
 * to off or to the heat cap). Returns how many commands it changed. */
bool precautions_limit_cmd(const struct precaution_caps *caps, struct timeline_cmd *c);
size_t precautions_limit_timeline(const struct precaution_caps *caps, struct timeline *t, int32_t *ret_max_depth);
