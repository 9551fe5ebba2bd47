/* SPDX-License-Identifier: MIT */
/*
 * The one change channel. Core modules mark what changed (a bit per piece of state) and
 * publish what happened (a program finished, a fault was raised or cleared, a body scan
 * ended); they do not know who listens. Marks are coalesced: one deferred event per loop pass
 * hands the union to every subscriber (the bus layer's PropertiesChanged, the panel's LEDs
 * and display). Events go to their listeners at once, in the order published.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum chair_change {
        CHAIR_CHANGE_STATE            = 1u << 0,  /* state, program, remaining, duration */
        CHAIR_CHANGE_REMAINING        = 1u << 1,
        CHAIR_CHANGE_SESSION_ID       = 1u << 2,
        CHAIR_CHANGE_INTENSITY        = 1u << 3,
        CHAIR_CHANGE_SPEED            = 1u << 4,
        CHAIR_CHANGE_DEPTH            = 1u << 5,
        CHAIR_CHANGE_WIDTH            = 1u << 6,
        CHAIR_CHANGE_AIR              = 1u << 7,  /* zones and intensity asked for */
        CHAIR_CHANGE_HEAT             = 1u << 8,
        CHAIR_CHANGE_TIMER            = 1u << 9,  /* the timer, so remaining and duration too */
        CHAIR_CHANGE_SHOULDER         = 1u << 10,
        CHAIR_CHANGE_ROLLER           = 1u << 11, /* the roller's position (sampled, 10 Hz at most) */
        CHAIR_CHANGE_ACTIVE_AIR       = 1u << 12, /* the zones inflated right now */
        CHAIR_CHANGE_TEMPERATURES     = 1u << 13,
        CHAIR_CHANGE_PRECAUTIONS      = 1u << 14,
        CHAIR_CHANGE_FAULT            = 1u << 15,
        CHAIR_CHANGE_CHILD_LOCK       = 1u << 16,
        CHAIR_CHANGE_SELECTED_PROGRAM = 1u << 17,
        CHAIR_CHANGE_STEP             = 1u << 18, /* the step running and its technique */
        CHAIR_CHANGE_PEOPLE           = 1u << 19, /* a person created, renamed or deleted */
        CHAIR_CHANGE_ACTIVE_PERSON    = 1u << 20, /* another person selected */
        CHAIR_CHANGE_PERSON           = 1u << 21, /* a person's own settings (people_take_dirty) */
        CHAIR_CHANGE_HEAT_DOSE        = 1u << 22, /* a heat zone's dose or its limit */
        CHAIR_CHANGE_POSTURE          = 1u << 23, /* an axis's motion started or ended, the pinched
                                                   * axis, occupant and feet, the leg rollers */
        CHAIR_CHANGE_POSITIONS        = 1u << 24, /* the axes' positions (sampled, 10 Hz at most) */
};

/* Readings that change continuously and that the panel does not show. */
#define CHAIR_CHANGE_MEASUREMENTS \
        (CHAIR_CHANGE_ROLLER | CHAIR_CHANGE_ACTIVE_AIR | CHAIR_CHANGE_TEMPERATURES | CHAIR_CHANGE_POSITIONS)

enum chair_event_kind {
        CHAIR_EVENT_PROGRAM_FINISHED,   /* program, reason */
        CHAIR_EVENT_FAULT_RAISED,       /* code, message */
        CHAIR_EVENT_FAULT_CLEARED,      /* code, message (how) */
        CHAIR_EVENT_BODY_SCAN_FINISHED, /* shoulder_mm, ok */
};

struct chair_event {
        enum chair_event_kind kind;
        const char *program, *reason;
        const char *code, *message;
        int32_t shoulder_mm;
        bool ok;
        bool restored;     /* a fault latched before this start: no new fault, nothing to signal */
};

/* Subscribers and listeners together: the bus objects, the panel, posture, the output test,
 * the core, a test; a fixed few, wired at start-up (-ENOBUFS past it). */
#define CHAIR_CHANGES_SUBSCRIBERS_MAX 16

typedef void (*chair_changes_fn)(uint32_t changed, void *userdata);
typedef void (*chair_event_fn)(const struct chair_event *ev, void *userdata);

struct chair_changes;
struct event_loop;

/* With an event loop, marks are delivered by a deferred event source; without one (a test
 * harness) by chair_changes_flush(). */
int chair_changes_new(struct event_loop *loop, struct chair_changes **ret);
struct chair_changes *chair_changes_free(struct chair_changes *c);

int chair_changes_subscribe(struct chair_changes *c, chair_changes_fn fn, void *userdata);
int chair_changes_listen(struct chair_changes *c, chair_event_fn fn, void *userdata);

/* Marks state as changed; safe with c == NULL (a module built without a channel). */
void chair_changes_mark(struct chair_changes *c, uint32_t changed);
/* Hands the marks gathered so far to the subscribers now. */
void chair_changes_flush(struct chair_changes *c);
void chair_changes_publish(struct chair_changes *c, const struct chair_event *ev);
