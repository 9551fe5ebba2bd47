/* SPDX-License-Identifier: MIT */
#pragma once

#include <systemd/sd-bus.h>

/* Replies "()" when r >= 0; otherwise passes r up, with the named error the callee set. */
static inline int reply_or_error(sd_bus_message *m, int r) {
        return r < 0 ? r : sd_bus_reply_method_return(m, NULL);
}
