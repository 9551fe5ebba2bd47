/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "timeline.h"

void timeline_done(struct timeline *t) {
        if (!t)
                return;
        free(t->cmds);
        t->cmds = NULL;
        t->n_cmds = 0;
}

struct timeline *timeline_free(struct timeline *t) {
        timeline_done(t);
        free(t);
        return NULL;
}

const char *timeline_channel_name(enum timeline_channel c) {
        static const char *const names[_TL_CHANNEL_MAX] = {
                [TL_ROLLER_POSITION] = "roller",
                [TL_KNEAD] = "knead",
                [TL_TAP] = "tap",
                [TL_WIDTH] = "width",
                [TL_DEPTH] = "depth",
                [TL_AIR_ZONE] = "air",
                [TL_HEAT_ZONE] = "heat",
                [TL_STEP] = "step",
                [TL_ROLLER_SWEEP] = "sweep",
                [TL_POSTURE] = "posture",
                [TL_FOOT_ROLLERS] = "feet",
                [TL_CALF_KNEAD] = "calf",
        };
        return (unsigned) c < _TL_CHANNEL_MAX ? names[c] : "?";
}
