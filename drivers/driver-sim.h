/* SPDX-License-Identifier: MIT */
/* The sim backend's extra API: fault injection into the simulated chair (technicians, tests). */
#pragma once

#include <stdbool.h>

#include "driver.h"

/* -EINVAL for an unknown fault name (see chair_physics_fault_name()). */
int chair_driver_sim_inject(struct chair_driver *drv, const char *name, bool on);
/* The seated person: shoulder and waist heights on the track (what a body scan finds);
 * -EINVAL unless 0 < waist < shoulder <= the track's length. */
int chair_driver_sim_set_person(struct chair_driver *drv, int32_t shoulder_mm, int32_t waist_mm);
/* The occupant: seated or not, leg length (knee to sole, 1..2000 mm: the feet are felt once
 * the leg rest's extension reaches it) and whether the feet are on the foot rest. */
int chair_driver_sim_set_occupant(struct chair_driver *drv, bool seated, int32_t leg_mm, bool feet_on);
/* A panel key held (code) or released (0) on the simulated panel. */
int chair_driver_sim_press_key(struct chair_driver *drv, int32_t code);
/* The injectable fault names, index 0 up; NULL past the last. */
const char *chair_driver_sim_fault_name(unsigned index);
/* True while the physics is being stepped (something moves or changes); false means the
 * simulated chair costs no wake-ups. */
bool chair_driver_sim_is_stepping(struct chair_driver *drv);
/* The heartbeat lease the router last handed on (CLOCK_MONOTONIC ns, 0 none): the sim has no
 * board to hold it, tests read it. */
uint64_t chair_driver_sim_lease_until_ns(struct chair_driver *drv);
