/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "posture-presets.h"

/* Per mille of each axis's travel (clamped by posture.c to the soft limits and the wall
 * clearance), -1 leaves the axis alone: the leg rest's extension is the fit's, and nothing
 * retracts it automatically. The seat slide follows the recline (a wall-hugging chair). */
static const struct {
        const char *name;
        int32_t position[_CHAIR_AXIS_MAX];
} presets[_POSTURE_PRESET_MAX] = {
        [POSTURE_PRESET_UPRIGHT]        = { "upright",        { 0, 0, -1, 0 } },
        [POSTURE_PRESET_ZERO_GRAVITY_1] = { "zero-gravity-1", { 350, 450, -1, 350 } },
        [POSTURE_PRESET_ZERO_GRAVITY_2] = { "zero-gravity-2", { 550, 650, -1, 550 } },
        [POSTURE_PRESET_ZERO_GRAVITY_3] = { "zero-gravity-3", { 750, 850, -1, 750 } },
        [POSTURE_PRESET_FLAT]           = { "flat",           { 1000, 1000, -1, 1000 } },
};

DEFINE_TABLE_LOOKUP_FIELD(posture_preset, enum posture_preset, presets, .name)

int32_t posture_preset_position(enum posture_preset p, enum chair_axis a) {
        return (unsigned) p < _POSTURE_PRESET_MAX && (unsigned) a < _CHAIR_AXIS_MAX ? presets[p].position[a] : -1;
}
