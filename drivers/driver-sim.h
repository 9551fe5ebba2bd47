/* SPDX-License-Identifier: MIT */
/* The sim backend's extra API: fault injection into the simulated chair (technicians, tests). */
#pragma once

#include <stdbool.h>

#include "driver.h"

/* -EINVAL for an unknown fault name (see chair_physics_fault_name()). */
int chair_driver_sim_inject(struct chair_driver *drv, const char *name, bool on);
/* A panel key held (code) or released (0) on the simulated panel. */
int chair_driver_sim_press_key(struct chair_driver *drv, int32_t code);
