/* SPDX-License-Identifier: MIT */
#include "bus-errors.h"

static const char *const reason_names[_CHAIR_REASON_MAX] = {
        [CHAIR_REASON_UNKNOWN_PROGRAM] = CHAIR_ERROR_UNKNOWN_PROGRAM,
        [CHAIR_REASON_BUSY] = CHAIR_ERROR_BUSY,
        [CHAIR_REASON_NOT_RUNNING] = CHAIR_ERROR_NOT_RUNNING,
        [CHAIR_REASON_FAULT_LATCHED] = CHAIR_ERROR_FAULT_LATCHED,
        [CHAIR_REASON_NOT_PERMITTED] = CHAIR_ERROR_NOT_PERMITTED,
        [CHAIR_REASON_PRECAUTION] = CHAIR_ERROR_PRECAUTION,
        [CHAIR_REASON_INVALID_PROFILE] = CHAIR_ERROR_INVALID_PROFILE,
        [CHAIR_REASON_INVALID_ARGS] = SD_BUS_ERROR_INVALID_ARGS,
        [CHAIR_REASON_FAILED] = SD_BUS_ERROR_FAILED,
        [CHAIR_REASON_UNKNOWN_PERSON] = CHAIR_ERROR_UNKNOWN_PERSON,
        [CHAIR_REASON_PEOPLE_FULL] = CHAIR_ERROR_PEOPLE_FULL,
        [CHAIR_REASON_NAME_TAKEN] = CHAIR_ERROR_NAME_TAKEN,
        [CHAIR_REASON_NOT_OCCUPIED] = CHAIR_ERROR_NOT_OCCUPIED,
};

int bus_error_from_chair(sd_bus_error *error, int r, const struct chair_error *e) {
        const char *name;

        if (r >= 0)
                return r;
        if (!e || e->error >= 0)
                return r;
        name = (unsigned) e->reason < _CHAIR_REASON_MAX ? reason_names[e->reason] : NULL;
        if (!name)
                return sd_bus_error_set_errnof(error, -r, "%s", e->message);
        sd_bus_error_set(error, name, e->message);
        return r;
}
