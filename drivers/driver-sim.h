/* SPDX-License-Identifier: MIT */
/* The sim backend's extra API: fault injection into the simulated chair (technicians, tests). */
#pragma once

#include <stdbool.h>

#include "driver.h"

/* -EINVAL for an unknown fault name (see chair_physics_fault_name()). */
int chair_driver_sim_inject(struct chair_driver *drv, const char *name, bool on);
/* A panel key held (code) or released (0) on the simulated panel. */
int chair_driver_sim_press_key(struct chair_driver *drv, int32_t code);
/* The seated person (as chairsim's --shoulder): shoulder above waist, both on the track. */
int chair_driver_sim_set_person(struct chair_driver *drv, int32_t shoulder_mm, int32_t waist_mm);
/* The injectable fault names, index 0 up; NULL past the last. */
const char *chair_driver_sim_fault_name(unsigned index);
/* True while the physics is being stepped (something moves or changes); false means the
 * simulated chair costs no wake-ups. */
bool chair_driver_sim_is_stepping(struct chair_driver *drv);
