/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "vocab.h"

static const char *const chair_width_table[_CHAIR_WIDTH_MAX] = {
        [CHAIR_WIDTH_NARROW] = "narrow",
        [CHAIR_WIDTH_MEDIUM] = "medium",
        [CHAIR_WIDTH_WIDE] = "wide",
};
DEFINE_STRING_TABLE_LOOKUP(chair_width, enum chair_width, chair_width_table)

const uint32_t chair_timer_minutes[CHAIR_TIMER_CHOICES] = { 10, 20, 30 };

bool chair_timer_valid(uint32_t minutes) {
        for (unsigned i = 0; i < CHAIR_TIMER_CHOICES; i++)
                if (chair_timer_minutes[i] == minutes)
                        return true;
        return false;
}

uint32_t chair_timer_next(uint32_t minutes) {
        for (unsigned i = 0; i < CHAIR_TIMER_CHOICES; i++)
                if (chair_timer_minutes[i] > minutes)
                        return chair_timer_minutes[i];
        return chair_timer_minutes[0];
}
