/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>

#include "vocab.h"

static const char *const chair_width_table[_CHAIR_WIDTH_MAX] = {
        [CHAIR_WIDTH_NARROW] = "narrow",
        [CHAIR_WIDTH_MEDIUM] = "medium",
        [CHAIR_WIDTH_WIDE] = "wide",
};
DEFINE_STRING_TABLE_LOOKUP(chair_width, enum chair_width, chair_width_table)

static const char *const manual_area_table[_MANUAL_AREA_MAX] = {
        [MANUAL_FULL] = "full",
        [MANUAL_UPPER] = "upper",
        [MANUAL_LOWER] = "lower",
        [MANUAL_POINT] = "point",
};
DEFINE_STRING_TABLE_LOOKUP(manual_area, enum manual_area, manual_area_table)

const struct roller_technique_info roller_technique_table[_TECH_MAX] = {
        [TECH_NONE] = { "none", 0, 0 },
        [TECH_KNEAD] = { "knead", 100, 0 },
        [TECH_KNEAD_REVERSE] = { "knead-reverse", -100, 0 },
        [TECH_TAP] = { "tap", 0, 80 },
        [TECH_KNOCK] = { "knock", 0, 100 }, /* harder than tap */
        [TECH_SHIATSU] = { "shiatsu", 0, 0 }, /* presses with the depth */
        [TECH_CLAP] = { "clap", 0, 60 },    /* lighter than tap */
        [TECH_ROLL] = { "roll", 0, 0 },     /* travels with the depth set */
        [TECH_KNEAD_TAP] = { "knead+tap", 80, 60 },
};
DEFINE_TABLE_LOOKUP_FIELD(roller_technique, enum roller_technique, roller_technique_table, .name)

void roller_technique_motors(enum roller_technique t, int32_t duty, int32_t *ret_knead, int32_t *ret_tap) {
        const struct roller_technique_info *i = &roller_technique_table[(size_t) t < _TECH_MAX ? t : TECH_NONE];
        *ret_knead = duty * i->knead_pct / 100;
        *ret_tap = duty * i->tap_pct / 100;
}

/* The names of FIRST..N-1 of a table, space-separated. */
static const char *join_names(const char *(*name)(unsigned), unsigned first, unsigned n, char *buf, size_t size) {
        size_t len = 0;

        if (size)
                buf[0] = 0;
        for (unsigned i = first; i < n && len < size; i++)
                len += (size_t) snprintf(buf + len, size - len, "%s%s", len ? " " : "", name(i));
        return buf;
}

static const char *technique_name(unsigned i) {
        return roller_technique_table[i].name;
}

static const char *area_name(unsigned i) {
        return manual_area_table[i];
}

const char *roller_technique_manual_names(char *buf, size_t size) {
        return join_names(technique_name, TECH_NONE + 1, _TECH_MAX, buf, size);
}

const char *manual_area_names(char *buf, size_t size) {
        return join_names(area_name, 0, _MANUAL_AREA_MAX, buf, size);
}

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
