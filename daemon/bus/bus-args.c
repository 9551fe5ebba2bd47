/* SPDX-License-Identifier: MIT */
/*
 * Reading the public methods' arguments (bus-args.h). Each argument is bounded before it is
 * used: strings by length, arrays and dictionaries by count while they are read (a long list
 * is refused at its first element past the limit, never read whole), so every parser is
 * linear in an input of bounded size.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-args.h"
#include "chair-bus-names.h"
#include "chair-io.h"
#include "macro.h"
#include "people.h"
#include "posture.h"
#include "state-store.h"
#include "strv.h"
#include "vocab.h"

_Static_assert(FAULTS_MAX == HISTORY_MAX, "GetHistory and GetFaults share one maximum");


int bus_invalid(sd_bus_error *error, const char *fmt, ...) {
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, msg);
}

void bus_args_done(struct bus_args *a) {
        a->strv = strv_free(a->strv);
}

/* Reads one string argument of at most max bytes. sd-bus has checked it is UTF-8. */
static int read_string(sd_bus_message *m, const char *arg, size_t max, const char **ret, sd_bus_error *error) {
        int r = sd_bus_message_read_basic(m, 's', ret);
        if (r < 0)
                return r;
        if (r == 0)
                return bus_invalid(error, "argument '%s' is missing", arg);
        if (strnlen(*ret, max + 1) > max)
                return bus_invalid(error, "argument '%s' is longer than %zu bytes", arg, max);
        return 0;
}

static int read_u32(sd_bus_message *m, const char *arg, uint32_t lo, uint32_t hi, uint32_t *ret, sd_bus_error *error) {
        int r = sd_bus_message_read_basic(m, 'u', ret);
        if (r < 0)
                return r;
        if (r == 0)
                return bus_invalid(error, "argument '%s' is missing", arg);
        if (*ret < lo || *ret > hi)
                return bus_invalid(error, "%s must be %u-%u, not %u", arg, lo, hi, *ret);
        return 0;
}

static int read_i32(sd_bus_message *m, const char *arg, int32_t *ret, sd_bus_error *error) {
        int r = sd_bus_message_read_basic(m, 'i', ret);
        if (r == 0)
                return bus_invalid(error, "argument '%s' is missing", arg);
        return r < 0 ? r : 0;
}

/* The options of Start and StartManual: each known key at most once, types checked. */
static const char *const option_keys[BUS_OPTIONS_MAX] = { "intensity", "duration", "scan", "heat", "focus" };

static int read_options(sd_bus_message *m, struct session_options *o, int *focus, sd_bus_error *error) {
        unsigned seen = 0, n = 0;
        const char *key;
        int r;

        *o = (struct session_options) { .scan = -1, .heat = true };
        *focus = 0;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        if (r == 0)
                return bus_invalid(error, "argument 'options' is missing");
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                unsigned k;
                if (++n > BUS_OPTIONS_MAX)
                        return bus_invalid(error, "options: at most %d entries", BUS_OPTIONS_MAX);
                r = read_string(m, "options key", BUS_NAME_MAX, &key, error);
                if (r < 0)
                        return r;
                for (k = 0; k < ARRAY_SIZE(option_keys); k++)
                        if (strcmp(option_keys[k], key) == 0)
                                break;
                if (k == ARRAY_SIZE(option_keys))
                        return bus_invalid(error, "unknown option '%s' (intensity, duration, scan, heat, focus)", key);
                if (seen & (1u << k))
                        return bus_invalid(error, "option '%s' given twice", key);
                seen |= 1u << k;
                if (k <= 1) {
                        uint32_t v;
                        r = sd_bus_message_read(m, "v", "u", &v);
                        if (r < 0)
                                return bus_invalid(error, "option '%s' must be of type u", key);
                        if (k == 0 && (v < BUS_LEVEL_MIN || v > BUS_LEVEL_MAX))
                                return bus_invalid(error, "option 'intensity' must be %u-%u, not %u", BUS_LEVEL_MIN,
                                                   BUS_LEVEL_MAX, v);
                        if (k == 1 && (v < 60 || v > 3600))
                                return bus_invalid(error, "option 'duration' must be 60-3600 seconds, not %u", v);
                        if (k == 0)
                                o->intensity = v;
                        else
                                o->duration_s = v;
                } else {
                        int b;
                        r = sd_bus_message_read(m, "v", "b", &b);
                        if (r < 0)
                                return bus_invalid(error, "option '%s' must be of type b", key);
                        if (k == 2)
                                o->scan = b;
                        else if (k == 3)
                                o->heat = b;
                        else
                                *focus = b;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 0;
}

int bus_parse_get_program(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        return read_string(m, "id", BUS_NAME_MAX, &a->str[0], error);
}

int bus_parse_start(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        int r = read_string(m, "program", BUS_NAME_MAX, &a->str[0], error);
        return r < 0 ? r : read_options(m, &a->options, &a->focus, error);
}

int bus_parse_start_manual(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        char names[ROLLER_TECHNIQUE_NAMES_MAX];
        int r, t;

        r = read_string(m, "technique", BUS_NAME_MAX, &a->str[0], error);
        if (r < 0)
                return r;
        t = roller_technique_from_string(a->str[0]);
        if (t < 0 || t == TECH_NONE)
                return bus_invalid(error, "technique must be one of %s, not '%s'",
                                   roller_technique_manual_names(names, sizeof names), a->str[0]);
        r = read_string(m, "area", BUS_NAME_MAX, &a->str[1], error);
        if (r < 0)
                return r;
        r = manual_area_from_string(a->str[1]);
        if (r < 0)
                return bus_invalid(error, "area must be one of %s, not '%s'", manual_area_names(names, sizeof names),
                                   a->str[1]);
        a->u[0] = (uint32_t) r;
        return read_options(m, &a->options, &a->focus, error);
}

int bus_parse_move_point(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        int r = read_i32(m, "steps", &a->i, error);
        if (r < 0)
                return r;
        if (a->i < -20 || a->i > 20 || a->i == 0)
                return bus_invalid(error, "steps must be -20..20 and not 0, not %d", a->i);
        return 0;
}

/* SetIntensity, SetSpeed, SetDepth. */
int bus_parse_level(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        return read_u32(m, "level", BUS_LEVEL_MIN, BUS_LEVEL_MAX, &a->u[0], error);
}

int bus_parse_set_width(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        int r = read_string(m, "width", BUS_NAME_MAX, &a->str[0], error);
        if (r < 0)
                return r;
        r = chair_width_from_string(a->str[0]);
        if (r >= 0) {
                a->u[0] = (uint32_t) r;
                return 0;
        }
        return bus_invalid(error, "width must be narrow, medium or wide, not '%s'", a->str[0]);
}

/* Zones: at most the zones that exist, each once. */
int bus_parse_set_air(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        const char *name;
        unsigned n = 0;
        int r;

        a->mask = 0;
        r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return r;
        if (r == 0)
                return bus_invalid(error, "argument 'zones' is missing");
        while ((r = sd_bus_message_read_basic(m, 's', &name)) > 0) {
                int zone;
                if (++n > _CHAIR_AIR_ZONE_MAX)
                        return bus_invalid(error, "zones: at most %d zones", _CHAIR_AIR_ZONE_MAX);
                if (strnlen(name, BUS_NAME_MAX + 1) > BUS_NAME_MAX)
                        return bus_invalid(error, "zones: a zone name is longer than %d bytes", BUS_NAME_MAX);
                zone = chair_air_zone_from_name(name);
                if (zone < 0)
                        return bus_invalid(error, "zones: unknown air zone '%s' (shoulders arms back seat calves feet)", name);
                if (a->mask & (1u << zone))
                        return bus_invalid(error, "zones: '%s' given twice", name);
                a->mask |= 1u << zone;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        return read_u32(m, "intensity", 0, BUS_AIR_INTENSITY_MAX, &a->u[0], error);
}

int bus_parse_set_heat(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        int z, r = read_string(m, "zone", BUS_NAME_MAX, &a->str[0], error);
        if (r < 0)
                return r;
        z = chair_heat_zone_from_name(a->str[0]);
        if (z < 0)
                return bus_invalid(error, "zone: unknown heat zone '%s' (lumbar, calves)", a->str[0]);
        a->u[1] = (uint32_t) z;
        return read_u32(m, "level", 0, BUS_HEAT_LEVEL_MAX, &a->u[0], error);
}

/* SetTimer, SetDefaultTimer. */
int bus_parse_timer(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        int r = read_u32(m, "minutes", 0, UINT32_MAX, &a->u[0], error);
        if (r < 0)
                return r;
        if (!chair_timer_valid(a->u[0]))
                return bus_invalid(error, "minutes must be 10, 20 or 30, not %u", a->u[0]);
        return 0;
}

int bus_parse_adjust_shoulder(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        int r = read_i32(m, "steps", &a->i, error);
        if (r < 0)
                return r;
        if (a->i < -5 || a->i > 5)
                return bus_invalid(error, "steps must be -5..5, not %d", a->i);
        return 0;
}

/* SaveMemory, RecallMemory, GetMemory. */
int bus_parse_slot(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        return read_u32(m, "slot", 1, MEMORY_SLOTS, &a->u[0], error);
}

int bus_parse_child_lock(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        int r = sd_bus_message_read_basic(m, 'b', &a->b);
        if (r == 0)
                return bus_invalid(error, "argument 'on' is missing");
        return r < 0 ? r : 0;
}

/* Conditions: at most the conditions that exist, each once, each known. */
int bus_parse_set_precautions(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a,
                              sd_bus_error *error) {
        const char *const *known = ctx && ctx->conditions ? ctx->conditions : (const char *const[]) { NULL };
        _cleanup_free_ bool *seen = NULL;
        size_t n_known = 0, n = 0;
        const char *name;
        int r;

        while (known[n_known])
                n_known++;
        seen = calloc(n_known + 1, sizeof *seen);
        a->strv = calloc(n_known + 1, sizeof *a->strv);
        if (!seen || !a->strv)
                return -ENOMEM;
        r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return r;
        if (r == 0)
                return bus_invalid(error, "argument 'conditions' is missing");
        while ((r = sd_bus_message_read_basic(m, 's', &name)) > 0) {
                size_t k;
                if (n == n_known)
                        return bus_invalid(error, "conditions: at most %zu conditions", n_known);
                if (strnlen(name, BUS_NAME_MAX + 1) > BUS_NAME_MAX)
                        return bus_invalid(error, "conditions: a condition is longer than %d bytes", BUS_NAME_MAX);
                for (k = 0; k < n_known; k++)
                        if (strcmp(known[k], name) == 0)
                                break;
                if (k == n_known)
                        return bus_invalid(error, "conditions: unknown condition '%s' (see ListPrecautions)", name);
                if (seen[k])
                        return bus_invalid(error, "conditions: '%s' given twice", name);
                seen[k] = true;
                a->strv[n] = strdup(name);
                if (!a->strv[n++])
                        return -ENOMEM;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 0;
}

int bus_parse_rate_session(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        int r = sd_bus_message_read_basic(m, 't', &a->t);
        if (r == 0)
                return bus_invalid(error, "argument 'session_id' is missing");
        if (r < 0)
                return r;
        r = read_u32(m, "pain_before", 0, 10, &a->u[0], error);
        if (r < 0)
                return r;
        return read_u32(m, "pain_after", 0, 10, &a->u[1], error);
}

/* GetHistory, GetFaults: 0 is the default. */
int bus_parse_list_max(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        int r = read_u32(m, "max", 0, BUS_LIST_MAX, &a->u[0], error);
        if (r >= 0 && a->u[0] == 0)
                a->u[0] = BUS_LIST_DEFAULT;
        return r;
}

/* Only the sizes: the file name's rule and the profile's are the library's (program_library_upload). */
int bus_parse_upload(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        int r = read_string(m, "filename", BUS_FILENAME_MAX, &a->str[0], error);
        if (r < 0)
                return r;
        r = sd_bus_message_read_basic(m, 's', &a->str[1]);
        if (r == 0)
                return bus_invalid(error, "argument 'contents' is missing");
        if (r < 0)
                return r;
        if (strnlen(a->str[1], BUS_UPLOAD_MAX + 1) > BUS_UPLOAD_MAX)
                return bus_invalid(error, "contents: a profile is at most %d bytes", BUS_UPLOAD_MAX);
        return 0;
}

int bus_parse_histogram(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        int r = read_string(m, "which", BUS_NAME_MAX, &a->str[0], error);
        if (r < 0)
                return r;
        if (strcmp(a->str[0], "wakeups") != 0 && strcmp(a->str[0], "commands") != 0)
                return bus_invalid(error, "which must be wakeups or commands, not '%s'", a->str[0]);
        return 0;
}

int bus_parse_inject_fault(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        int r = read_string(m, "name", BUS_NAME_MAX, &a->str[0], error);
        if (r < 0)
                return r;
        r = sd_bus_message_read_basic(m, 'b', &a->b);
        if (r == 0)
                return bus_invalid(error, "argument 'on' is missing");
        return r < 0 ? r : 0;
}

int bus_parse_press_key(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        int r = read_string(m, "key", BUS_NAME_MAX, &a->str[0], error);
        return r < 0 ? r : read_u32(m, "hold_ms", 0, BUS_HOLD_MS_MAX, &a->u[0], error);
}

int bus_parse_test_output(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        int r = read_string(m, "output", BUS_NAME_MAX, &a->str[0], error);
        if (r >= 0)
                r = read_i32(m, "value", &a->i, error);
        return r < 0 ? r : read_u32(m, "milliseconds", 1, BUS_TEST_OUTPUT_MS_MAX, &a->u[0], error);
}

/* ---- People and Person ---- */

/* The names of the pain areas or the goals, space-separated, from their tables (vocab.c). */
static const char *pain_area_names(char *buf, size_t size) {
        size_t o = 0;
        buf[0] = '\0';
        for (int i = 0; i < _PAIN_AREA_MAX && o < size; i++)
                o += (size_t) snprintf(buf + o, size - o, "%s%s", i ? " " : "", pain_area_to_string(i));
        return buf;
}

static const char *goal_names(char *buf, size_t size) {
        size_t o = 0;
        buf[0] = '\0';
        for (int i = 0; i < _GOAL_MAX && o < size; i++)
                o += (size_t) snprintf(buf + o, size - o, "%s%s", i ? " " : "", massage_goal_to_string(i));
        return buf;
}

static int read_person_name(sd_bus_message *m, const char *arg, const char **ret, sd_bus_error *error) {
        int r = read_string(m, arg, PERSON_NAME_MAX, ret, error);
        if (r < 0)
                return r;
        if (!**ret)
                return bus_invalid(error, "%s must not be empty", arg);
        if (!bus_utf8_valid(*ret))
                return bus_invalid(error, "%s is not valid UTF-8", arg);
        for (const unsigned char *p = (const unsigned char *) *ret; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return bus_invalid(error, "%s must not contain control characters", arg);
        return 0;
}

int bus_parse_person_name(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        return read_person_name(m, "name", &a->str[0], error);
}

int bus_parse_person_confirm(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        return read_person_name(m, "confirm_name", &a->str[0], error);
}

int bus_parse_person_path(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        int r = sd_bus_message_read_basic(m, 'o', &a->str[0]);
        if (r == 0)
                return bus_invalid(error, "argument 'person' is missing");
        if (r < 0)
                return r;
        if (strnlen(a->str[0], BUS_NAME_MAX + 1) > BUS_NAME_MAX)
                return bus_invalid(error, "argument 'person' is longer than %d bytes", BUS_NAME_MAX);
        return 0;
}

int bus_parse_set_caps(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        int r = read_u32(m, "intensity_cap", 1, 5, &a->u[0], error);
        return r < 0 ? r : read_u32(m, "heat_cap", 0, 3, &a->u[1], error);
}

int bus_parse_person_timer(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        int r = read_u32(m, "minutes", 0, UINT32_MAX, &a->u[0], error);
        if (r < 0)
                return r;
        if (a->u[0] != 0 && !chair_timer_valid(a->u[0]))
                return bus_invalid(error, "minutes must be 0 (the chair's default), 10, 20 or 30, not %u", a->u[0]);
        return 0;
}

/* An a{su} of pain per area: at most the areas that exist, each once, each 0-10. */
static int read_pain_areas(sd_bus_message *m, const char *arg, struct bus_args *a, sd_bus_error *error) {
        char names[128];
        const char *name;
        uint32_t pain;
        unsigned n = 0;
        int r;

        for (size_t i = 0; i < HISTORY_AREAS; i++)
                a->areas[i] = HISTORY_NOT_RATED;
        a->any_area = false;
        r = sd_bus_message_enter_container(m, 'a', "{su}");
        if (r < 0)
                return r;
        if (r == 0)
                return bus_invalid(error, "argument '%s' is missing", arg);
        while ((r = sd_bus_message_enter_container(m, 'e', "su")) > 0) {
                int area;
                if (++n > _PAIN_AREA_MAX)
                        return bus_invalid(error, "%s: at most %d areas", arg, _PAIN_AREA_MAX);
                r = sd_bus_message_read(m, "su", &name, &pain);
                if (r < 0)
                        return r;
                if (strnlen(name, BUS_NAME_MAX + 1) > BUS_NAME_MAX)
                        return bus_invalid(error, "%s: an area name is longer than %d bytes", arg, BUS_NAME_MAX);
                area = pain_area_from_string(name);
                if (area < 0)
                        return bus_invalid(error, "%s: unknown area '%s' (%s)", arg, name, pain_area_names(names, sizeof names));
                if (a->areas[area] != HISTORY_NOT_RATED)
                        return bus_invalid(error, "%s: '%s' given twice", arg, name);
                if (pain > 10)
                        return bus_invalid(error, "%s: the pain of '%s' must be 0-10, not %u", arg, name, pain);
                a->areas[area] = (uint16_t) pain;
                a->any_area = true;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 0;
}

int bus_parse_assess(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        char names[128];
        int goal, r;

        r = read_pain_areas(m, "pain_by_area", a, error);
        if (r < 0)
                return r;
        r = read_u32(m, "pain_now", 0, 10, &a->u[0], error);
        if (r < 0)
                return r;
        r = read_string(m, "goal", BUS_NAME_MAX, &a->str[0], error);
        if (r < 0)
                return r;
        goal = massage_goal_from_string(a->str[0]);
        if (goal < 0)
                return bus_invalid(error, "goal must be one of %s, not '%s'", goal_names(names, sizeof names), a->str[0]);
        a->u[1] = (uint32_t) goal;
        return 0;
}

int bus_parse_person_rate(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        int r = bus_parse_rate_session(m, ctx, a, error);
        return r < 0 ? r : read_pain_areas(m, "area_after", a, error);
}

int bus_parse_trend_n(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        return read_u32(m, "trend_n", 0, BUS_TREND_N_MAX, &a->u[0], error);
}

/* ---- org.massagechair.Chair1.Posture (docs/posture.md) ---- */

/* The preset's name is the presets' table's (common/posture-presets.h): looked up by the handler. */
int bus_parse_posture_preset(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        return read_string(m, "preset", BUS_NAME_MAX, &a->str[0], error);
}

/* a.u[0] the axis, a.i the direction, a.u[1] the lease (any when the direction is 0). */
int bus_parse_posture_move(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        char names[VOCAB_NAMES_MAX] = "";
        int axis, r;

        r = read_string(m, "axis", BUS_NAME_MAX, &a->str[0], error);
        if (r < 0)
                return r;
        axis = chair_axis_from_name(a->str[0]);
        if (axis < 0) {
                for (unsigned i = 0; i < _CHAIR_AXIS_MAX; i++)
                        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
                                 chair_axis_info(i)->name);
                return bus_invalid(error, "axis must be one of %s, not '%s'", names, a->str[0]);
        }
        a->u[0] = (uint32_t) axis;
        r = read_i32(m, "direction", &a->i, error);
        if (r < 0)
                return r;
        if (a->i < -1 || a->i > 1)
                return bus_invalid(error, "direction must be -1, 0 or 1, not %d", a->i);
        return read_u32(m, "lease_ms", a->i ? POSTURE_LEASE_MIN_MS : 0, a->i ? POSTURE_LEASE_MAX_MS : UINT32_MAX, &a->u[1],
                        error);
}

/* a.i the percent, within the rotary output's own range (common/chair-io.c). */
static int read_rotary(sd_bus_message *m, enum chair_output out, struct bus_args *a, sd_bus_error *error) {
        const struct chair_output_info *o = chair_output_info(out);
        int r = read_i32(m, "percent", &a->i, error);
        if (r < 0)
                return r;
        if (a->i < o->min || a->i > o->max)
                return bus_invalid(error, "percent must be %d..%d, not %d", o->min, o->max, a->i);
        return 0;
}

int bus_parse_foot_rollers(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        return read_rotary(m, CHAIR_OUT_FOOT_ROLLERS, a, error);
}

int bus_parse_calf_knead(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        return read_rotary(m, CHAIR_OUT_CALF_KNEAD, a, error);
}

/* Service.SimSetOccupant: a.b seated, a.i the leg length (the simulator's own bounds), a.u[0]
 * the feet on. */
int bus_parse_sim_set_occupant(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error) {
        uint32_t leg_mm;
        int feet_on, r;

        r = sd_bus_message_read_basic(m, 'b', &a->b);
        if (r == 0)
                return bus_invalid(error, "argument 'seated' is missing");
        if (r < 0)
                return r;
        r = read_u32(m, "leg_mm", 1, BUS_LEG_MM_MAX, &leg_mm, error);
        if (r < 0)
                return r;
        a->i = (int32_t) leg_mm;
        r = sd_bus_message_read_basic(m, 'b', &feet_on);
        if (r == 0)
                return bus_invalid(error, "argument 'feet_on' is missing");
        if (r < 0)
                return r;
        a->u[0] = (uint32_t) !!feet_on;
        return 0;
}

const struct bus_method_args bus_method_args[] = {
        { CHAIR_INTERFACE, "GetProgram", "s", bus_parse_get_program },
        { CHAIR_INTERFACE, "Start", "sa{sv}", bus_parse_start },
        { CHAIR_INTERFACE, "StartManual", "ssa{sv}", bus_parse_start_manual },
        { CHAIR_INTERFACE, "MovePoint", "i", bus_parse_move_point },
        { CHAIR_INTERFACE, "SetIntensity", "u", bus_parse_level },
        { CHAIR_INTERFACE, "SetSpeed", "u", bus_parse_level },
        { CHAIR_INTERFACE, "SetDepth", "u", bus_parse_level },
        { CHAIR_INTERFACE, "SetWidth", "s", bus_parse_set_width },
        { CHAIR_INTERFACE, "SetAir", "asu", bus_parse_set_air },
        { CHAIR_INTERFACE, "SetHeat", "su", bus_parse_set_heat },
        { CHAIR_INTERFACE, "SetTimer", "u", bus_parse_timer },
        { CHAIR_INTERFACE, "AdjustShoulder", "i", bus_parse_adjust_shoulder },
        { CHAIR_INTERFACE, "SaveMemory", "u", bus_parse_slot },
        { CHAIR_INTERFACE, "RecallMemory", "u", bus_parse_slot },
        { CHAIR_INTERFACE, "GetMemory", "u", bus_parse_slot },
        { CHAIR_INTERFACE, "SetChildLock", "b", bus_parse_child_lock },
        { CHAIR_INTERFACE, "SetPrecautions", "as", bus_parse_set_precautions },
        { CHAIR_INTERFACE, "RateSession", "tuu", bus_parse_rate_session },
        { CHAIR_INTERFACE, "GetHistory", "u", bus_parse_list_max },
        { CHAIR_INTERFACE, "GetFaults", "u", bus_parse_list_max },
        { CHAIR_SERVICE_INTERFACE, "UploadProfile", "ss", bus_parse_upload },
        { CHAIR_SERVICE_INTERFACE, "GetLatencyHistogram", "s", bus_parse_histogram },
        { CHAIR_SERVICE_INTERFACE, "InjectFault", "sb", bus_parse_inject_fault },
        { CHAIR_SERVICE_INTERFACE, "PressKey", "su", bus_parse_press_key },
        { CHAIR_SERVICE_INTERFACE, "TestOutput", "siu", bus_parse_test_output },
        { CHAIR_SERVICE_INTERFACE, "SetDefaultTimer", "u", bus_parse_timer },
        { CHAIR_PEOPLE_INTERFACE, "Create", "s", bus_parse_person_name },
        { CHAIR_PEOPLE_INTERFACE, "Select", "o", bus_parse_person_path },
        { CHAIR_PEOPLE_INTERFACE, "FindByName", "s", bus_parse_person_name },
        { CHAIR_PERSON_INTERFACE, "Rename", "s", bus_parse_person_name },
        { CHAIR_PERSON_INTERFACE, "Delete", "s", bus_parse_person_confirm },
        { CHAIR_PERSON_INTERFACE, "SetConditions", "as", bus_parse_set_precautions },
        { CHAIR_PERSON_INTERFACE, "SetCaps", "uu", bus_parse_set_caps },
        { CHAIR_PERSON_INTERFACE, "SetTimer", "u", bus_parse_person_timer },
        { CHAIR_PERSON_INTERFACE, "SetHeatPreference", "su", bus_parse_set_heat },
        { CHAIR_PERSON_INTERFACE, "Assess", "a{su}us", bus_parse_assess },
        { CHAIR_PERSON_INTERFACE, "RateSession", "tuua{su}", bus_parse_person_rate },
        { CHAIR_PERSON_INTERFACE, "GetHistory", "u", bus_parse_list_max },
        { CHAIR_PERSON_INTERFACE, "GetSummary", "u", bus_parse_trend_n },
        { CHAIR_PERSON_INTERFACE, "InstallProgram", "ss", bus_parse_upload },
        { CHAIR_PERSON_INTERFACE, "RemoveProgram", "s", bus_parse_get_program },
        { CHAIR_POSTURE_INTERFACE, "GoToPreset", "s", bus_parse_posture_preset },
        { CHAIR_POSTURE_INTERFACE, "Move", "siu", bus_parse_posture_move },
        { CHAIR_POSTURE_INTERFACE, "SetFootRollers", "i", bus_parse_foot_rollers },
        { CHAIR_POSTURE_INTERFACE, "SetCalfKnead", "i", bus_parse_calf_knead },
        { CHAIR_SERVICE_INTERFACE, "SimSetOccupant", "bub", bus_parse_sim_set_occupant },
        {}
};

/* ---- UTF-8 as sd-bus checks it ---- */

/* Length of the valid character at p, or 0. */
static size_t utf8_char_len(const unsigned char *p) {
        uint32_t c;
        size_t len;

        if (p[0] < 0x80)
                return 1;
        if ((p[0] & 0xe0) == 0xc0)
                len = 2, c = p[0] & 0x1f;
        else if ((p[0] & 0xf0) == 0xe0)
                len = 3, c = p[0] & 0x0f;
        else if ((p[0] & 0xf8) == 0xf0)
                len = 4, c = p[0] & 0x07;
        else
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80) /* also stops at the NUL */
                        return 0;
                c = (c << 6) | (p[i] & 0x3f);
        }
        if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000))
                return 0; /* overlong */
        if (c >= 0x110000 || (c & 0xfffff800) == 0xd800 || (c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe)
                return 0;
        return len;
}

bool bus_utf8_valid(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p;) {
                size_t n = utf8_char_len(p);
                if (!n)
                        return false;
                p += n;
        }
        return true;
}

const char *bus_utf8_safe(const char *s, char *buf, size_t size) {
        size_t o = 0;

        if (!s)
                return "";
        if (bus_utf8_valid(s))
                return s;
        for (const unsigned char *p = (const unsigned char *) s; *p;) {
                size_t n = utf8_char_len(p);
                const char *out = n ? (const char *) p : "\xef\xbf\xbd";
                size_t out_len = n ? n : 3;
                if (o + out_len >= size)
                        break;
                memcpy(buf + o, out, out_len);
                o += out_len;
                p += n ? n : 1;
        }
        buf[o] = '\0';
        return buf;
}

int bus_append_strv_safe(sd_bus_message *reply, const char *const *v) {
        int r = sd_bus_message_open_container(reply, 'a', "s");
        if (r < 0)
                return r;
        for (const char *const *p = v; p && *p; p++) {
                char buf[3 * 256 + 1];
                r = sd_bus_message_append_basic(reply, 's', bus_utf8_safe(*p, buf, sizeof buf));
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}
