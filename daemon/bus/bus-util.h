/* SPDX-License-Identifier: MIT */
#pragma once

#include <systemd/sd-bus.h>

#include "bus-errors.h"

/* Replies "()" when r >= 0; otherwise passes r up, with the named error the callee set. */
static inline int reply_or_error(sd_bus_message *m, int r) {
        return r < 0 ? r : sd_bus_reply_method_return(m, NULL);
}

/* Replies "()" to a core call that succeeded; otherwise the named error for its reason. */
static inline int reply_core(sd_bus_message *m, sd_bus_error *error, int r, const struct chair_error *e) {
        return r < 0 ? bus_error_from_chair(error, r, e) : sd_bus_reply_method_return(m, NULL);
}
