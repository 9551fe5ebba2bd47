/* SPDX-License-Identifier: MIT */
/*
 * The core's refusals: a negative errno plus a reason (what kind of refusal, and a message for
 * the person). The core knows no D-Bus; the bus layer maps each reason to its named error in
 * one table (daemon/bus/bus-errors.c), the panel logs the message.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

enum chair_reason {
        CHAIR_REASON_ERRNO,            /* no reason of ours: the errno says it */
        CHAIR_REASON_UNKNOWN_PROGRAM,
        CHAIR_REASON_BUSY,
        CHAIR_REASON_NOT_RUNNING,
        CHAIR_REASON_FAULT_LATCHED,
        CHAIR_REASON_NOT_PERMITTED,
        CHAIR_REASON_PRECAUTION,
        CHAIR_REASON_INVALID_PROFILE,
        CHAIR_REASON_INVALID_ARGS,     /* an argument out of the core's vocabulary */
        CHAIR_REASON_FAILED,           /* refused, no better name (the panel's own refusals) */
        CHAIR_REASON_UNKNOWN_PERSON,
        CHAIR_REASON_PEOPLE_FULL,      /* PEOPLE_MAX profiles exist already */
        CHAIR_REASON_NAME_TAKEN,       /* another person has that name */
        CHAIR_REASON_NOT_OCCUPIED,     /* needs a person seated (the posture's automatic moves) */
        _CHAIR_REASON_MAX,
};

#define CHAIR_ERROR_MESSAGE_MAX 300

struct chair_error {
        enum chair_reason reason;
        int error;                     /* negative errno, 0 while unset */
        char message[CHAIR_ERROR_MESSAGE_MAX];
};

#define CHAIR_ERROR_NULL ((struct chair_error) { .reason = CHAIR_REASON_ERRNO })

/* Fills *e (when given) and returns the reason's negative errno. Without e the refusal is
 * logged and -EPERM returned, as the panel's calls have always seen. */
_printf_(3, 4) int chair_error_set(struct chair_error *e, enum chair_reason reason, const char *fmt, ...);
/* A failure with no reason of ours (a write that failed): r is the negative errno; "%m" in fmt
 * prints it. Returns r. */
_printf_(3, 4) int chair_error_set_errno(struct chair_error *e, int r, const char *fmt, ...);
static inline bool chair_error_is(const struct chair_error *e, enum chair_reason reason) {
        return e && e->error < 0 && e->reason == reason;
}
static inline void chair_error_reset(struct chair_error *e) {
        *e = CHAIR_ERROR_NULL;
}
