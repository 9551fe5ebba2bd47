/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "chair-error.h"
#include "log.h"

/* What a reason returns to C callers: distinct errnos, none that a caller gives its own meaning
 * (the panel's -ERANGE "at the limit" beep). */
static const int reason_errno[_CHAIR_REASON_MAX] = {
        [CHAIR_REASON_ERRNO] = EIO,
        [CHAIR_REASON_UNKNOWN_PROGRAM] = ENOENT,
        [CHAIR_REASON_BUSY] = EBUSY,
        [CHAIR_REASON_NOT_RUNNING] = ESRCH,
        [CHAIR_REASON_FAULT_LATCHED] = EIO,
        [CHAIR_REASON_NOT_PERMITTED] = EPERM,
        [CHAIR_REASON_PRECAUTION] = EACCES,
        [CHAIR_REASON_INVALID_PROFILE] = EBADMSG,
        [CHAIR_REASON_INVALID_ARGS] = EINVAL,
        [CHAIR_REASON_FAILED] = ECANCELED,
        [CHAIR_REASON_UNKNOWN_PERSON] = ENXIO,
        [CHAIR_REASON_PEOPLE_FULL] = ENOSPC,
        [CHAIR_REASON_NAME_TAKEN] = EEXIST,
        [CHAIR_REASON_NOT_OCCUPIED] = ENOTCONN,
};

int chair_error_set(struct chair_error *e, enum chair_reason reason, const char *fmt, ...) {
        char msg[CHAIR_ERROR_MESSAGE_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (!e) {
                log_info("Refused: %s", msg);
                return -EPERM;
        }
        e->reason = (unsigned) reason < _CHAIR_REASON_MAX ? reason : CHAIR_REASON_FAILED;
        e->error = -reason_errno[e->reason];
        snprintf(e->message, sizeof e->message, "%s", msg);
        return e->error;
}

int chair_error_set_errno(struct chair_error *e, int r, const char *fmt, ...) {
        va_list ap;

        if (r >= 0)
                r = -EIO;
        if (!e)
                return r;
        errno = -r;
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof e->message, fmt, ap);
        va_end(ap);
        e->reason = CHAIR_REASON_ERRNO;
        e->error = r;
        return r;
}
