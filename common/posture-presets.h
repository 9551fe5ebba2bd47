/* SPDX-License-Identifier: MIT */
/*
 * The posture presets (issue #19, docs/posture.md "The presets"), one table: each preset's name
 * and its position of every axis. In common/ so that every layer reads the same table: the
 * motion rules (daemon/posture.c), the profile loader and the planner (a step's `posture`, a
 * TL_POSTURE value is a preset's index), the session, the bus (`Presets`, GetCapabilities) and
 * chairctl (its help, completion and checks).
 */
#pragma once

#include <stdint.h>

#include "chair-io.h"
#include "vocab.h"

enum posture_preset {
        POSTURE_PRESET_UPRIGHT,
        POSTURE_PRESET_ZERO_GRAVITY_1,
        POSTURE_PRESET_ZERO_GRAVITY_2,
        POSTURE_PRESET_ZERO_GRAVITY_3,
        POSTURE_PRESET_FLAT,
        _POSTURE_PRESET_MAX,
};
/* posture_preset_to_string() is NULL past the end; _from_string() -EINVAL for no such name. */
DECLARE_STRING_TABLE_LOOKUP(posture_preset, enum posture_preset);
/* A preset's position of an axis, per mille of its travel, or -1: the preset leaves the axis
 * alone (and -1 for a preset or an axis out of range). */
int32_t posture_preset_position(enum posture_preset p, enum chair_axis a);
