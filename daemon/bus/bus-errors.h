/* SPDX-License-Identifier: MIT */
/* The one table from the core's reasons (chair-error.h) to the named D-Bus errors; the errno
 * each reason returns is the core's (chair-error.c), so it is not kept here a second time. */
#pragma once

#include <systemd/sd-bus.h>

#include "chair-bus-names.h"
#include "chair-error.h"

/* The reason's named error in *error; returns r (the core's negative errno). A core error with
 * no reason passes r up with its message (org.freedesktop.DBus.Error.* from the errno). */
int bus_error_from_chair(sd_bus_error *error, int r, const struct chair_error *e);
