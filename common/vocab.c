/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>

#include "chair-io.h"
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

static const char *const pain_area_table[_PAIN_AREA_MAX] = {
        [PAIN_NECK] = "neck",
        [PAIN_SHOULDERS] = "shoulders",
        [PAIN_UPPER_BACK] = "upper-back",
        [PAIN_LOWER_BACK] = "lower-back",
        [PAIN_HIPS] = "hips",
        [PAIN_CALVES] = "calves",
        [PAIN_FEET] = "feet",
};
DEFINE_STRING_TABLE_LOOKUP(pain_area, enum pain_area, pain_area_table)

static const char *const massage_goal_table[_GOAL_MAX] = {
        [GOAL_RELIEF] = "relief",
        [GOAL_RECOVERY] = "recovery",
        [GOAL_RELAXATION] = "relaxation",
        [GOAL_MOBILITY] = "mobility",
};
DEFINE_STRING_TABLE_LOOKUP(massage_goal, enum massage_goal, massage_goal_table)

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

const char *roller_technique_manual_names(char *buf, size_t size) {
        return vocab_join(VOCAB_TECHNIQUES, " ", buf, size);
}

const char *manual_area_names(char *buf, size_t size) {
        return vocab_join(VOCAB_AREAS, " ", buf, size);
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

/* The Ith word of LIST, NULL past its end; NUM holds a number's digits. */
static const char *vocab_word(enum vocab_list list, unsigned i, char num[static 12]) {
        switch (list) {
        case VOCAB_TECHNIQUES:
                return i + TECH_NONE + 1 < _TECH_MAX ? roller_technique_table[i + TECH_NONE + 1].name : NULL;
        case VOCAB_AREAS:
                return manual_area_to_string((enum manual_area) i);
        case VOCAB_WIDTHS:
                return chair_width_to_string((enum chair_width) i);
        case VOCAB_AIR_ZONES:
                return chair_air_zone_name((enum chair_air_zone) i);
        case VOCAB_HEAT_ZONES:
                return chair_heat_zone_name((enum chair_heat_zone) i);
        case VOCAB_KEYS:
                return chair_key_name((enum chair_key) i);
        case VOCAB_PAIN_AREAS:
                return pain_area_to_string((enum pain_area) i);
        case VOCAB_GOALS:
                return massage_goal_to_string((enum massage_goal) i);
        case VOCAB_TIMERS:
                if (i >= CHAIR_TIMER_CHOICES)
                        return NULL;
                snprintf(num, 12, "%u", chair_timer_minutes[i]);
                return num;
        default:
                return NULL;
        }
}

const char *vocab_join(enum vocab_list list, const char *sep, char *buf, size_t size) {
        char num[12];
        const char *w;
        size_t len = 0;

        if (!size)
                return buf;
        buf[0] = 0;
        for (unsigned i = 0; (w = vocab_word(list, i, num)) && len < size; i++) {
                int n = snprintf(buf + len, size - len, "%s%s", i ? sep : "", w);
                len = n < 0 ? size : len + (size_t) n;
        }
        return buf;
}
