/* SPDX-License-Identifier: MIT */
/*
 * org.massagechair.Chair1: what the panel can do and what companion apps need. Each method
 * reads, bounds and validates its arguments first (bus-args.c: InvalidArgs naming the
 * argument), hands the request to the session, which queues work and returns at once, and
 * replies; outcomes arrive as PropertiesChanged and signals. See docs/dbus-api.md.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "bus-args.h"
#include "bus-errors.h"
#include "bus-polkit.h"
#include "bus-util.h"
#include "bus-state.h"
#include "chair-hw.h"
#include "chair-object.h"
#include "changes.h"
#include "daemon-context.h"
#include "log.h"
#include "program-library.h"
#include "scheduler.h"
#include "panel.h"
#include "people.h"
#include "person-object.h"
#include "posture.h"
#include "session.h"
#include "state-store.h"
#include "supervisor.h"
#include "vocab.h"

#define ROLLER_EMIT_USEC (100 * USEC_PER_MSEC) /* RollerPosition at most 10 Hz */

/* Runs a method's argument parser (bus-args.c) against the daemon's vocabularies. */
static int parse_args(struct chair_daemon *d, bus_args_parser parse, sd_bus_message *m, struct bus_args *a,
                      sd_bus_error *error) {
        const char *const *names = NULL, *const *effects = NULL;
        struct bus_args_context ctx = {};

        program_library_precautions(d->core->library, &names, &effects);
        ctx.conditions = names;
        *a = (struct bus_args) {};
        return parse(m, &ctx, a, error);
}

/* Declares a (struct bus_args) and fills it from the message, or returns the error. */
#define PARSE_ARGS(parser)                                              \
        struct bus_args a;                                              \
        do {                                                            \
                int _r = parse_args(d, parser, m, &a, error);           \
                if (_r < 0) {                                           \
                        bus_args_done(&a);                              \
                        return _r;                                      \
                }                                                       \
        } while (0)

/* ---- methods ---- */

/* Appends one (sssu) with the basic calls: no signature to parse per entry, which is most of
 * this call's cost beyond a Ping. The library's strings are valid UTF-8 already. */
static int append_program(sd_bus_message *reply, const struct program_summary *p) {
        int r;

        r = sd_bus_message_open_container(reply, 'r', "sssu");
        if (r < 0)
                return r;
        r = sd_bus_message_append_basic(reply, 's', p->id);
        if (r < 0)
                return r;
        r = sd_bus_message_append_basic(reply, 's', p->name);
        if (r < 0)
                return r;
        r = sd_bus_message_append_basic(reply, 's', p->description);
        if (r < 0)
                return r;
        r = sd_bus_message_append_basic(reply, 'u', &p->duration_s);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int method_list_programs(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = reply_open(m, &reply, 'a', "(sssu)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < program_library_count(d->core->library); i++) {
                struct program_summary p;
                if (program_library_get(d->core->library, i, &p) < 0)
                        continue;
                r = append_program(reply, &p);
                if (r < 0)
                        return r;
        }
        return reply_close_and_send(reply);
}

static int append_strv(sd_bus_message *reply, const char *key, const char *const *v) {
        int r;

        r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "s", key);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'v', "as");
        if (r < 0)
                return r;
        r = bus_append_strv_safe(reply, v);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int method_get_program(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct program_summary p;
        int r;

        PARSE_ARGS(bus_parse_get_program);
        if (program_library_find(d->core->library, a.str[0], &p) < 0)
                return sd_bus_error_setf(error, CHAIR_ERROR_UNKNOWN_PROGRAM, "No program '%s'", a.str[0]);
        r = reply_open(m, &reply, 'a', "{sv}");
        if (r < 0)
                return r;
        /* The library's strings are valid UTF-8 already. */
        r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}", "id", "s", p.id, "name", "s", p.name, "description", "s",
                                  p.description, "duration", "u", p.duration_s, "intensity", "u", p.intensity);
        if (r < 0)
                return r;
        r = append_strv(reply, "areas", p.areas);
        if (r < 0)
                return r;
        r = append_strv(reply, "precautions", p.precautions);
        if (r < 0)
                return r;
        return reply_close_and_send(reply);
}

/* A start's reply, what was planned (docs/dbus-api.md, Start): the length, Duration's value (while
 * a body scan runs first, the length the program is fitted to when the scan ends: what was asked,
 * at most the timer, as session_start caps it), the intensity after the conditions' cap, whether
 * the auto-off timer shortened what was asked, and whether a scan runs first. asked_s is the
 * length asked for, or the program's own. */
static int reply_planned(sd_bus_message *m, sd_bus_error *error, int r, const struct chair_error *e,
                         struct chair_daemon *d, uint32_t asked_s) {
        uint32_t timer_s = session_settings(d->core->session)->timer_min * 60, duration;
        int scan = session_get_state(d->core->session) == SESSION_SCANNING;

        if (r < 0)
                return bus_error_from_chair(error, r, e);
        duration = scan ? MIN(asked_s, timer_s) : session_duration_s(d->core->session);
        return sd_bus_reply_method_return(m, "a{sv}", 4, "duration", "u", duration, "intensity", "u",
                                          session_settings(d->core->session)->intensity, "timer_capped", "b",
                                          (int) (asked_s > timer_s && duration < asked_s), "scan", "b", scan);
}

/* The length a start of this program asks for: the one given, or the program's own. */
static uint32_t asked_length(struct chair_daemon *d, const char *program, uint32_t duration_s) {
        struct program_summary p;
        return duration_s ?: (program_library_find(d->core->library, program, &p) >= 0 ? p.duration_s : 0);
}

/* The option `focus`: the steps weighted on the areas of the active person's last assessment. */
static void set_focus(struct chair_daemon *d, struct bus_args *a) {
        const struct person *p = people_active(d->core->people);

        a->options.focus = a->focus;
        a->options.focus_areas = 0;
        for (unsigned i = 0; a->focus && p->assessment.time_usec && i < _PAIN_AREA_MAX; i++)
                if (p->assessment.pain[i] != PAIN_NOT_RATED && p->assessment.pain[i] > 0)
                        a->options.focus_areas |= 1u << i;
}

static int method_start(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        PARSE_ARGS(bus_parse_start);
        struct chair_error e = CHAIR_ERROR_NULL;
        set_focus(d, &a);
        int r = session_start(d->core->session, a.str[0], &a.options, &e);
        return reply_planned(m, error, r, &e, d, asked_length(d, a.str[0], a.options.duration_s));
}

static int method_start_manual(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        PARSE_ARGS(bus_parse_start_manual);
        struct chair_error e = CHAIR_ERROR_NULL;
        set_focus(d, &a);
        int r = session_start_manual(d->core->session, a.str[0], (enum manual_area) a.u[0], &a.options, &e);
        return reply_planned(m, error, r, &e, d,
                             a.options.duration_s ?: session_settings(d->core->session)->timer_min * 60);
}

static int method_move_point(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        PARSE_ARGS(bus_parse_move_point);
        struct chair_error e = CHAIR_ERROR_NULL;
        return reply_core(m, error, session_move_point(d->core->session, a.i, &e), &e);
}

#define SIMPLE_METHOD(fname, call)                                                           \
        static int fname(sd_bus_message *m, void *userdata, sd_bus_error *error) {           \
                struct chair_daemon *d = userdata;                                           \
                struct chair_error e = CHAIR_ERROR_NULL;                                     \
                return reply_core(m, error, call(d->core->session, &e), &e);                       \
        }
SIMPLE_METHOD(method_stop, session_stop)
SIMPLE_METHOD(method_pause, session_pause)
SIMPLE_METHOD(method_resume, session_resume)
SIMPLE_METHOD(method_start_body_scan, session_start_scan)

/* A method whose one argument its parser leaves in a.u[0] or a.i. */
#define ARG_METHOD(fname, parser, call, arg)                                                 \
        static int fname(sd_bus_message *m, void *userdata, sd_bus_error *error) {           \
                struct chair_daemon *d = userdata;                                           \
                struct chair_error e = CHAIR_ERROR_NULL;                                     \
                PARSE_ARGS(parser);                                                          \
                return reply_core(m, error, call(d->core->session, arg, &e), &e);                  \
        }
ARG_METHOD(method_set_intensity, bus_parse_level, session_set_intensity, a.u[0])
ARG_METHOD(method_set_speed, bus_parse_level, session_set_speed, a.u[0])
ARG_METHOD(method_set_depth, bus_parse_level, session_set_depth, a.u[0])
ARG_METHOD(method_set_width, bus_parse_set_width, session_set_width, a.u[0])
ARG_METHOD(method_set_timer, bus_parse_timer, session_set_timer, a.u[0])
ARG_METHOD(method_adjust_shoulder, bus_parse_adjust_shoulder, session_adjust_shoulder, a.i)
ARG_METHOD(method_save_memory, bus_parse_slot, session_save_memory, a.u[0])

static int method_recall_memory(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct chair_error e = CHAIR_ERROR_NULL;
        struct memory_slot slot = {};
        int r;

        PARSE_ARGS(bus_parse_slot);
        /* A program's slot asks for its own length; a manual slot's (no program) for its timer.
         * The slots are the active person's. */
        slot = people_active(d->core->people)->memory[a.u[0] - 1];
        r = session_recall_memory(d->core->session, a.u[0], &e);
        return reply_planned(m, error, r, &e, d,
                             asked_length(d, slot.used ? slot.program : "", 0) ?: session_settings(d->core->session)->timer_min * 60);
}

static int method_set_air(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        PARSE_ARGS(bus_parse_set_air);
        struct chair_error e = CHAIR_ERROR_NULL;
        return reply_core(m, error, session_set_air(d->core->session, a.mask, a.u[0], &e), &e);
}

static int method_set_heat(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        PARSE_ARGS(bus_parse_set_heat);
        struct chair_error e = CHAIR_ERROR_NULL;
        return reply_core(m, error, session_set_heat(d->core->session, a.u[1], a.u[0], &e), &e);
}

static int method_set_child_lock(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        PARSE_ARGS(bus_parse_child_lock);
        chair_settings_set_child_lock(d->core->settings, a.b, "over D-Bus");
        return sd_bus_reply_method_return(m, NULL);
}

static int method_get_memory(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct memory_slot slot;
        char program[3 * sizeof slot.program + 1];
        int r;

        PARSE_ARGS(bus_parse_slot);
        /* The active person's slot (people.c read it with their file). */
        slot = people_active(d->core->people)->memory[a.u[0] - 1];
        r = reply_open(m, &reply, 'a', "{sv}");
        if (r < 0)
                return r;
        if (slot.used)
                r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}", "program", "s",
                                          bus_utf8_safe(slot.program, program, sizeof program),
                                          "intensity", "u", slot.intensity, "speed", "u", slot.speed, "width", "s",
                                          chair_width_to_string(slot.width % _CHAIR_WIDTH_MAX), "depth", "u", slot.depth, "air_intensity", "u",
                                          slot.air_intensity, "heat_lumbar", "u", slot.heat_lumbar, "heat_calves", "u",
                                          slot.heat_calves, "timer", "u", slot.timer_min);
        if (r < 0)
                return r;
        return reply_close_and_send(reply);
}

static int method_set_precautions(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        int r;

        PARSE_ARGS(bus_parse_set_precautions);
        /* Removing one of the active person's conditions needs manage-people (Person.SetConditions). */
        r = bus_polkit_authorize_if(d->bus->polkit, m, people_conditions_loosen(people_active(d->core->people), a.strv),
                                    error);
        if (r <= 0) {
                bus_args_done(&a);
                return r < 0 ? r : 1;
        }
        /* Stored first: on any error the declared list is untouched and the list still ours. */
        r = chair_settings_set_precautions(d->core->settings, a.strv);
        if (r < 0) {
                bus_args_done(&a);
                if (r == -ENOBUFS)
                        return bus_invalid(error, "conditions: the list is too long to store");
                if (r == -EINVAL)
                        return bus_invalid(error, "conditions: an unknown condition (see ListPrecautions)");
                return sd_bus_error_set_errnof(error, -r, "Could not store the precautions: %m");
        }
        a.strv = NULL;
        return sd_bus_reply_method_return(m, NULL);
}

/* One (ss) with the basic calls, as append_program: no signature parsed per entry. */
static int append_precaution(sd_bus_message *reply, const char *name, const char *effect) {
        int r;

        r = sd_bus_message_open_container(reply, 'r', "ss");
        if (r < 0)
                return r;
        r = sd_bus_message_append_basic(reply, 's', name);
        if (r < 0)
                return r;
        r = sd_bus_message_append_basic(reply, 's', effect);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int method_list_precautions(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *const *names = NULL, *const *effects = NULL;
        int r;

        program_library_precautions(d->core->library, &names, &effects);
        r = reply_open(m, &reply, 'a', "(ss)");
        if (r < 0)
                return r;
        for (size_t i = 0; names && names[i]; i++) {
                r = append_precaution(reply, names[i], effects[i]);
                if (r < 0)
                        return r;
        }
        return reply_close_and_send(reply);
}

static int method_rate_session(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct chair_error e = CHAIR_ERROR_NULL;
        uint32_t id;
        int r;

        PARSE_ARGS(bus_parse_rate_session);
        /* The session's person, whoever is active now. */
        r = people_find_session(d->core->people, a.t, &id);
        if (r >= 0)
                r = people_rate_session(d->core->people, id, a.t, a.u[0], a.u[1], NULL, &e);
        if (r == -ENOENT && e.error >= 0)
                return bus_invalid(error, "session_id: no session %llu in the history", (unsigned long long) a.t);
        if (r < 0 && e.error < 0)
                return bus_error_from_chair(error, r, &e);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Could not store the rating: %m");
        return sd_bus_reply_method_return(m, NULL);
}

static int method_get_history(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ struct history_entry *entries = NULL;
        size_t n = 0;
        int r;

        /* Health data (pain ratings): its own polkit action, before the arguments are read. */
        BUS_POLKIT_REQUIRE(d->bus->polkit, m, error);
        PARSE_ARGS(bus_parse_list_max);
        r = people_history(d->core->people, people_active(d->core->people)->id, a.u[0], &entries, &n);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Could not read the history: %m");
        r = reply_open(m, &reply, 'a', "(tssuuqqs)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                char when[40], program[3 * sizeof entries[i].program + 1], reason[3 * sizeof entries[i].reason + 1];
                time_t t = (time_t) (entries[i].start_usec / USEC_PER_SEC);
                struct tm tm;
                strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
                r = sd_bus_message_append(reply, "(tssuuqqs)", entries[i].id,
                                          bus_utf8_safe(entries[i].program, program, sizeof program), when,
                                          entries[i].duration_s, entries[i].intensity, entries[i].pain_before,
                                          entries[i].pain_after, bus_utf8_safe(entries[i].reason, reason, sizeof reason));
                if (r < 0)
                        return r;
        }
        return reply_close_and_send(reply);
}

static int method_get_faults(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ struct fault_entry *entries = NULL;
        size_t n = 0;
        int r;

        PARSE_ARGS(bus_parse_list_max);
        r = state_store_list_faults(d->core->store, a.u[0], &entries, &n);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Could not read the fault history: %m");
        r = reply_open(m, &reply, 'a', "(tsss)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                char code[3 * sizeof entries[i].code + 1], message[3 * sizeof entries[i].message + 1],
                        cleared[3 * sizeof entries[i].cleared + 1];
                r = sd_bus_message_append(reply, "(tsss)", entries[i].time_usec,
                                          bus_utf8_safe(entries[i].code, code, sizeof code),
                                          bus_utf8_safe(entries[i].message, message, sizeof message),
                                          bus_utf8_safe(entries[i].cleared, cleared, sizeof cleared));
                if (r < 0)
                        return r;
        }
        return reply_close_and_send(reply);
}

/* ---- what this chair has (GetCapabilities) ---- */

/* One {sv} of a list of names, each from its vocabulary's table. */
static int append_names(sd_bus_message *reply, const char *key, const char *const *names, size_t n) {
        int r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 's', key);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'v', "as");
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "s");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append_basic(reply, 's', names[i]);
        for (unsigned i = 0; r >= 0 && i < 3; i++)
                r = sd_bus_message_close_container(reply);
        return r;
}

/* The posture's axes, presets and leg channels, the zones the map binds, and the vocabularies'
 * and the methods' ranges: what a client may offer on this chair, never a second list. */
static int method_get_capabilities(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct posture *p = d->core->posture;
        const char *names[_TECH_MAX + _CHAIR_AXIS_MAX + _POSTURE_PRESET_MAX + _CHAIR_OUT_MAX + _CHAIR_AIR_ZONE_MAX +
                          _CHAIR_HEAT_ZONE_MAX + _CHAIR_WIDTH_MAX];
        size_t n;
        int r;

        r = reply_open(m, &reply, 'a', "{sv}");
        if (r < 0)
                return r;
        n = 0;
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                if (posture_axes(p) & (1u << a))
                        names[n++] = chair_axis_info(a)->name;
        r = append_names(reply, "axes", names, n);
        n = 0;
        for (unsigned i = 0; posture_axes(p) && i < _POSTURE_PRESET_MAX; i++)
                names[n++] = posture_preset_to_string(i);
        if (r >= 0)
                r = append_names(reply, "presets", names, n);
        n = 0;
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                if (posture_rotaries(p) & (1ull << o))
                        names[n++] = chair_output_info(o)->name;
        if (r >= 0)
                r = append_names(reply, "leg-channels", names, n);
        n = 0;
        for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++)
                if (chair_hw_has_output(d->core->hw, chair_air_zone_valve(z)))
                        names[n++] = chair_air_zone_name(z);
        if (r >= 0)
                r = append_names(reply, "air-zones", names, n);
        n = 0;
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++)
                if (chair_hw_has_output(d->core->hw, chair_heat_zone_output(z)))
                        names[n++] = chair_heat_zone_name(z);
        if (r >= 0)
                r = append_names(reply, "heat-zones", names, n);
        n = 0;
        for (unsigned t = TECH_NONE + 1; t < _TECH_MAX; t++) /* manual mode's: every one but none */
                names[n++] = roller_technique_to_string(t);
        if (r >= 0)
                r = append_names(reply, "techniques", names, n);
        n = 0;
        for (unsigned w = 0; w < _CHAIR_WIDTH_MAX; w++)
                names[n++] = chair_width_to_string(w);
        if (r >= 0)
                r = append_names(reply, "widths", names, n);
        if (r >= 0)
                r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}", "intensity", "(uu)", BUS_LEVEL_MIN, BUS_LEVEL_MAX,
                                          "speed", "(uu)", BUS_LEVEL_MIN, BUS_LEVEL_MAX, "depth", "(uu)", BUS_LEVEL_MIN,
                                          BUS_LEVEL_MAX, "air-intensity", "(uu)", 0u, BUS_AIR_INTENSITY_MAX,
                                          "heat-levels", "(uu)", 0u, BUS_HEAT_LEVEL_MAX);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", "timer-minutes");
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'v', "au");
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'u', chair_timer_minutes, sizeof chair_timer_minutes);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return reply_close_and_send(reply);
}

/* ---- properties ---- */

/* A property's value as the change pass compares it with the one last announced: numbers (a
 * scalar, a zone mask, levels or readings packed per zone) and a text (a string, a list joined
 * by newlines), in the pass's buffer. Each is made by the expression its getter serialises. */
struct property_value {
        uint64_t n[2];
        const char *text; /* NULL: the numbers say it all */
        char *buf;
        size_t size;
};

typedef int (*property_value_t)(struct chair_daemon *d, struct property_value *v);

static inline void value_number(struct property_value *v, uint64_t n) {
        v->n[0] = n;
}

static inline void value_text(struct property_value *v, const char *text) {
        v->text = text ? text : "";
}

#define VALUE_OF(v, expr)                                                                                   \
        _Generic((expr), const char *: value_text, char *: value_text, default: value_number)(v, expr)

#define PROPERTY_GETTER(fname, sig, expr)                                                                   \
        static int fname(sd_bus *bus, const char *path, const char *interface, const char *property,      \
                         sd_bus_message *reply, void *userdata, sd_bus_error *error) {                     \
                struct chair_daemon *d = userdata;                                                          \
                return sd_bus_message_append(reply, sig, expr);                                             \
        }                                                                                                   \
        _unused_ static int fname##_value(struct chair_daemon *d, struct property_value *v) {                   \
                VALUE_OF(v, expr);                                                                          \
                return 0;                                                                                   \
        }

/* A string that may come from a file (a profile, the hardware map, a state file). */
#define PROPERTY_GETTER_TEXT(fname, expr)                                                                  \
        static int fname(sd_bus *bus, const char *path, const char *interface, const char *property,      \
                         sd_bus_message *reply, void *userdata, sd_bus_error *error) {                     \
                struct chair_daemon *d = userdata;                                                          \
                char buf[3 * 256 + 1];                                                                      \
                return sd_bus_message_append_basic(reply, 's', bus_utf8_safe(expr, buf, sizeof buf));       \
        }                                                                                                   \
        _unused_ static int fname##_value(struct chair_daemon *d, struct property_value *v) {                   \
                value_text(v, expr);                                                                        \
                return 0;                                                                                   \
        }

PROPERTY_GETTER(property_state, "s", session_state_name(session_get_state(d->core->session)))
PROPERTY_GETTER_TEXT(property_program, session_program(d->core->session))
PROPERTY_GETTER_TEXT(property_step, session_step_name(d->core->session))
PROPERTY_GETTER_TEXT(property_technique, session_step_technique(d->core->session))
PROPERTY_GETTER(property_remaining, "u", session_remaining_s(d->core->session))
PROPERTY_GETTER(property_duration, "u", session_duration_s(d->core->session))
PROPERTY_GETTER(property_intensity, "u", session_settings(d->core->session)->intensity)
PROPERTY_GETTER(property_speed, "u", session_settings(d->core->session)->speed)
PROPERTY_GETTER(property_depth, "u", session_settings(d->core->session)->depth)
PROPERTY_GETTER(property_width, "s", chair_width_to_string(session_settings(d->core->session)->width % _CHAIR_WIDTH_MAX))
PROPERTY_GETTER(property_air_intensity, "u", session_settings(d->core->session)->air_intensity)
PROPERTY_GETTER(property_timer, "u", session_settings(d->core->session)->timer_min)
PROPERTY_GETTER(property_shoulder, "i", session_shoulder_mm(d->core->session))
PROPERTY_GETTER(property_fault, "s", supervisor_fault_code(d->core->supervisor))
PROPERTY_GETTER_TEXT(property_fault_message, supervisor_fault_message(d->core->supervisor))
PROPERTY_GETTER(property_session_id, "t", session_id(d->core->session))
PROPERTY_GETTER(property_child_lock, "b", chair_settings_child_lock(d->core->settings))
PROPERTY_GETTER_TEXT(property_model, d->core->map.model)

static int32_t roller_mm(struct chair_daemon *d) {
        int32_t enc = 0;
        chair_hw_read_input(d->core->hw, CHAIR_IN_ENCODER, &enc);
        return enc / MAX(1, d->core->map.pulses_per_mm);
}
PROPERTY_GETTER(property_roller, "i", roller_mm(d))

static const char *selected_program(struct chair_daemon *d, struct program_summary *ps) {
        return panel_selected_program(d->core->panel, ps) >= 0 ? ps->id : "";
}

static int property_selected_program(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct program_summary ps;
        char buf[3 * 80 + 1];
        return sd_bus_message_append_basic(reply, 's', bus_utf8_safe(selected_program(d, &ps), buf, sizeof buf));
}

static int property_selected_program_value(struct chair_daemon *d, struct property_value *v) {
        struct program_summary ps;
        /* The summary's strings are the library's own, which outlive the pass. */
        value_text(v, selected_program(d, &ps));
        return 0;
}

/* The zones of a mask as one array, appended in one call. */
static int append_zone_mask(sd_bus_message *reply, uint32_t mask) {
        const char *names[_CHAIR_AIR_ZONE_MAX + 1];
        size_t n = 0;

        for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++)
                if (mask & (1u << z))
                        names[n++] = chair_air_zone_name(z);
        names[n] = NULL;
        return sd_bus_message_append_strv(reply, (char **) names);
}

#define PROPERTY_ZONE_MASK(fname, expr)                                                                    \
        static int fname(sd_bus *bus, const char *path, const char *interface, const char *property,      \
                         sd_bus_message *reply, void *userdata, sd_bus_error *error) {                     \
                struct chair_daemon *d = userdata;                                                          \
                return append_zone_mask(reply, expr);                                                       \
        }                                                                                                   \
        _unused_ static int fname##_value(struct chair_daemon *d, struct property_value *v) {                   \
                value_number(v, expr);                                                                      \
                return 0;                                                                                   \
        }
PROPERTY_ZONE_MASK(property_air_zones, session_settings(d->core->session)->air_zones)
PROPERTY_ZONE_MASK(property_active_air_zones, scheduler_active_air_zones(d->core->scheduler))

static uint32_t heat_level(struct chair_daemon *d, unsigned z) {
        int32_t level = session_active(d->core->session) ? scheduler_heat_level(d->core->scheduler, z) : 0;
        return level ? (uint32_t) level : session_settings(d->core->session)->heat[z];
}

static int property_heat_levels(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "{su}");
        if (r < 0)
                return r;
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++) {
                r = sd_bus_message_append(reply, "{su}", chair_heat_zone_name(z), heat_level(d, z));
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int property_heat_levels_value(struct chair_daemon *d, struct property_value *v) {
        _Static_assert(_CHAIR_HEAT_ZONE_MAX <= 4, "a heat zone's level in 16 bits of one number");
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++) {
                uint32_t level = heat_level(d, z);
                if (level > 0xffffu)
                        return -ERANGE;
                v->n[0] |= (uint64_t) level << (16 * z);
        }
        return 0;
}

static int property_temperatures(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "{sd}");
        if (r < 0)
                return r;
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++) {
                int32_t t;
                if (chair_hw_read_input(d->core->hw, chair_heat_zone_sensor(z), &t) < 0)
                        continue; /* an unavailable sensor is left out */
                r = sd_bus_message_append(reply, "{sd}", chair_heat_zone_name(z), t / 10.0);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

/* Each zone's reading in 32 bits of n[0], which zones have one in n[1]. */
static int property_temperatures_value(struct chair_daemon *d, struct property_value *v) {
        _Static_assert(_CHAIR_HEAT_ZONE_MAX <= 2, "a zone's reading in 32 bits of one number");
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++) {
                int32_t t;
                if (chair_hw_read_input(d->core->hw, chair_heat_zone_sensor(z), &t) < 0)
                        continue;
                v->n[0] |= (uint64_t) (uint32_t) t << (32 * z);
                v->n[1] |= 1u << z;
        }
        return 0;
}

/* Per zone: the dose, the active person's limit, the resume level (s), the threshold (0.1 degC)
 * and whether the zone's heat is off for its dose now (supervisor.h). */
static int property_heat_dose(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "{s(uuuib)}");
        if (r < 0)
                return r;
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++) {
                struct heat_dose_status st;
                if (supervisor_heat_dose(d->core->supervisor, z, &st) < 0)
                        continue;
                r = sd_bus_message_append(reply, "{s(uuuib)}", chair_heat_zone_name(z), st.dose_s, st.limit_s,
                                          st.resume_s, st.threshold_decic, (int) st.limited);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

/* The dose in its HEAT_DOSE_REPORT_S steps (a finer change announces nothing: no flood of
 * signals while heat runs), the rest as it is, one line per zone in the pass's buffer. */
static int property_heat_dose_value(struct chair_daemon *d, struct property_value *v) {
        size_t used = 0;

        v->buf[0] = '\0';
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++) {
                struct heat_dose_status st;
                int n;
                if (supervisor_heat_dose(d->core->supervisor, z, &st) < 0)
                        continue;
                n = snprintf(v->buf + used, v->size - used, "%u %u %u %d %d\n", st.dose_s / HEAT_DOSE_REPORT_S,
                             st.limit_s, st.resume_s, st.threshold_decic, (int) st.limited);
                if (n < 0 || (size_t) n >= v->size - used)
                        return -ENOBUFS;
                used += (size_t) n;
        }
        value_text(v, v->buf);
        return 0;
}

static int property_active_person(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        char buf[PERSON_PATH_MAX];
        return sd_bus_message_append(reply, "o", person_object_path(people_active(d->core->people)->id, buf));
}

static int property_active_person_value(struct chair_daemon *d, struct property_value *v) {
        value_number(v, people_active(d->core->people)->id);
        return 0;
}

static int property_precautions(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        return bus_append_strv_safe(reply, chair_settings_precautions(d->core->settings));
}

/* The conditions joined by newlines (no condition name holds one), in the pass's buffer. */
static int property_precautions_value(struct chair_daemon *d, struct property_value *v) {
        const char *const *list = chair_settings_precautions(d->core->settings);
        size_t used = 0;

        v->buf[0] = '\0';
        for (size_t i = 0; list && list[i]; i++) {
                int n = snprintf(v->buf + used, v->size - used, "%s\n", list[i]);
                if (n < 0 || (size_t) n >= v->size - used)
                        return -ENOBUFS;
                used += (size_t) n;
        }
        value_text(v, v->buf);
        return 0;
}

/* Every member is open to every caller (SD_BUS_VTABLE_UNPRIVILEGED): companion apps run as
 * ordinary users; the technician interface checks credentials itself. */
static const sd_bus_vtable chair_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("ListPrograms", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sssu)", programs),
                                method_list_programs, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetProgram", SD_BUS_ARGS("s", id), SD_BUS_RESULT("a{sv}", details),
                                method_get_program, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Start", SD_BUS_ARGS("s", program, "a{sv}", options), SD_BUS_RESULT("a{sv}", planned),
                                method_start, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("StartManual", SD_BUS_ARGS("s", technique, "s", area, "a{sv}", options),
                                SD_BUS_RESULT("a{sv}", planned), method_start_manual, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("MovePoint", SD_BUS_ARGS("i", steps), SD_BUS_NO_RESULT, method_move_point, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Stop", "", "", method_stop, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Pause", "", "", method_pause, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Resume", "", "", method_resume, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetIntensity", SD_BUS_ARGS("u", level), SD_BUS_NO_RESULT, method_set_intensity, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetSpeed", SD_BUS_ARGS("u", level), SD_BUS_NO_RESULT, method_set_speed, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetWidth", SD_BUS_ARGS("s", width), SD_BUS_NO_RESULT, method_set_width, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetDepth", SD_BUS_ARGS("u", level), SD_BUS_NO_RESULT, method_set_depth, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetAir", SD_BUS_ARGS("as", zones, "u", intensity), SD_BUS_NO_RESULT, method_set_air, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetHeat", SD_BUS_ARGS("s", zone, "u", level), SD_BUS_NO_RESULT, method_set_heat, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetTimer", SD_BUS_ARGS("u", minutes), SD_BUS_NO_RESULT, method_set_timer, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("StartBodyScan", "", "", method_start_body_scan, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("AdjustShoulder", SD_BUS_ARGS("i", steps), SD_BUS_NO_RESULT, method_adjust_shoulder, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SaveMemory", SD_BUS_ARGS("u", slot), SD_BUS_NO_RESULT, method_save_memory, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RecallMemory", SD_BUS_ARGS("u", slot), SD_BUS_RESULT("a{sv}", planned), method_recall_memory, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetChildLock", SD_BUS_ARGS("b", on), SD_BUS_NO_RESULT, method_set_child_lock,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetMemory", SD_BUS_ARGS("u", slot), SD_BUS_RESULT("a{sv}", contents),
                                method_get_memory, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetPrecautions", SD_BUS_ARGS("as", conditions), SD_BUS_NO_RESULT,
                                method_set_precautions, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListPrecautions", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ss)", conditions),
                                method_list_precautions, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RateSession", SD_BUS_ARGS("t", session_id, "u", pain_before, "u", pain_after),
                                SD_BUS_NO_RESULT, method_rate_session, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetHistory", SD_BUS_ARGS("u", max), SD_BUS_RESULT("a(tssuuqqs)", sessions),
                                method_get_history, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetFaults", SD_BUS_ARGS("u", max), SD_BUS_RESULT("a(tsss)", faults),
                                method_get_faults, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetCapabilities", SD_BUS_NO_ARGS, SD_BUS_RESULT("a{sv}", capabilities),
                                method_get_capabilities, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_PROPERTY("State", "s", property_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Program", "s", property_program, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Step", "s", property_step, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Technique", "s", property_technique, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Remaining", "u", property_remaining, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Duration", "u", property_duration, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Intensity", "u", property_intensity, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Speed", "u", property_speed, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Depth", "u", property_depth, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Width", "s", property_width, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("AirZones", "as", property_air_zones, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("AirIntensity", "u", property_air_intensity, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ActiveAirZones", "as", property_active_air_zones, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HeatLevels", "a{su}", property_heat_levels, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Temperatures", "a{sd}", property_temperatures, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HeatDose", "a{s(uuuib)}", property_heat_dose, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Timer", "u", property_timer, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ShoulderPosition", "i", property_shoulder, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RollerPosition", "i", property_roller, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        /* Health data: Get only, authorized by read-health (bus-polkit.c); not in GetAll,
         * and a change is announced without its value. */
        SD_BUS_PROPERTY("Precautions", "as", property_precautions, 0,
                        SD_BUS_VTABLE_PROPERTY_EXPLICIT | SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("Fault", "s", property_fault, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("FaultMessage", "s", property_fault_message, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SessionId", "t", property_session_id, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ChildLock", "b", property_child_lock, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SelectedProgram", "s", property_selected_program, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Model", "s", property_model, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ActivePerson", "o", property_active_person, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_SIGNAL_WITH_ARGS("ProgramFinished", SD_BUS_ARGS("s", program, "s", reason), 0),
        SD_BUS_SIGNAL_WITH_ARGS("FaultRaised", SD_BUS_ARGS("s", code, "s", message), 0),
        SD_BUS_SIGNAL_WITH_ARGS("BodyScanFinished", SD_BUS_ARGS("i", shoulder_mm, "b", ok), 0),
        SD_BUS_VTABLE_END
};

/* ---- the change channel to PropertiesChanged and signals ---- */

/* The one table from the core's change marks to the properties they announce, and how the
 * change pass reads each property's value (a row without one is compared by its getter's
 * serialisation, slower). */
static const struct {
        const char *name;
        uint32_t changes;
        property_value_t value;
} property_changes[] = {
        { "State", CHAIR_CHANGE_STATE, property_state_value },
        { "Program", CHAIR_CHANGE_STATE, property_program_value },
        { "Step", CHAIR_CHANGE_STEP, property_step_value },
        { "Technique", CHAIR_CHANGE_STEP, property_technique_value },
        { "Remaining", CHAIR_CHANGE_STATE | CHAIR_CHANGE_REMAINING | CHAIR_CHANGE_TIMER, property_remaining_value },
        { "Duration", CHAIR_CHANGE_STATE | CHAIR_CHANGE_TIMER, property_duration_value },
        { "Intensity", CHAIR_CHANGE_INTENSITY, property_intensity_value },
        { "Speed", CHAIR_CHANGE_SPEED, property_speed_value },
        { "Depth", CHAIR_CHANGE_DEPTH, property_depth_value },
        { "Width", CHAIR_CHANGE_WIDTH, property_width_value },
        { "AirZones", CHAIR_CHANGE_AIR, property_air_zones_value },
        { "AirIntensity", CHAIR_CHANGE_AIR, property_air_intensity_value },
        { "ActiveAirZones", CHAIR_CHANGE_ACTIVE_AIR, property_active_air_zones_value },
        { "HeatLevels", CHAIR_CHANGE_HEAT, property_heat_levels_value },
        { "Temperatures", CHAIR_CHANGE_TEMPERATURES, property_temperatures_value },
        { "HeatDose", CHAIR_CHANGE_HEAT_DOSE | CHAIR_CHANGE_ACTIVE_PERSON, property_heat_dose_value },
        { "Timer", CHAIR_CHANGE_TIMER, property_timer_value },
        { "ShoulderPosition", CHAIR_CHANGE_SHOULDER, property_shoulder_value },
        { "RollerPosition", CHAIR_CHANGE_ROLLER, property_roller_value },
        { "Precautions", CHAIR_CHANGE_PRECAUTIONS | CHAIR_CHANGE_ACTIVE_PERSON, property_precautions_value },
        { "Fault", CHAIR_CHANGE_FAULT, property_fault_value },
        { "FaultMessage", CHAIR_CHANGE_FAULT, property_fault_message_value },
        { "SessionId", CHAIR_CHANGE_SESSION_ID, property_session_id_value },
        { "ChildLock", CHAIR_CHANGE_CHILD_LOCK, property_child_lock_value },
        { "SelectedProgram", CHAIR_CHANGE_SELECTED_PROGRAM, property_selected_program_value },
        { "ActivePerson", CHAIR_CHANGE_ACTIVE_PERSON, property_active_person_value },
};

#define N_PROPERTY_CHANGES ARRAY_SIZE(property_changes)
#define PROPERTY_TEXT_MAX 4096 /* a list's text past it is announced on every mark */

/* What each property was when last announced: a mark whose value did not change announces
 * nothing. */
struct chair_object_cache {
        sd_bus_property_get_t get[N_PROPERTY_CHANGES];
        uint64_t sent[N_PROPERTY_CHANGES][2];
        char *sent_text[N_PROPERTY_CHANGES];
        bool valid[N_PROPERTY_CHANGES];
        char buf[PROPERTY_TEXT_MAX];
};

void chair_object_cache_free(struct chair_object_cache *c) {
        if (!c)
                return;
        for (unsigned i = 0; i < N_PROPERTY_CHANGES; i++)
                free(c->sent_text[i]);
        free(c);
}


/* A property without a value function: hashed from the getter's own serialisation. */
static int property_hash(struct chair_daemon *d, unsigned i, uint64_t *ret) {
        return bus_property_value_hash(d->bus->bus, CHAIR_OBJECT_PATH, CHAIR_INTERFACE, property_changes[i].name,
                                       d->bus->cache->get[i], d, ret);
}

/* 1: property i's value differs from the one last announced (and is kept as announced now),
 * 0: the same. A value that cannot be read is announced: a spurious signal, never a lost one. */
static int property_changed(struct chair_daemon *d, unsigned i) {
        struct chair_object_cache *c = d->bus->cache;
        struct property_value v = { .buf = c->buf, .size = sizeof c->buf };
        char *text = NULL;
        int r;

        if (property_changes[i].value)
                r = property_changes[i].value(d, &v);
        else
                r = property_hash(d, i, &v.n[0]);
        if (r < 0) {
                c->valid[i] = false;
                return 1;
        }
        if (c->valid[i] && c->sent[i][0] == v.n[0] && c->sent[i][1] == v.n[1] &&
            (v.text ? c->sent_text[i] && strcmp(c->sent_text[i], v.text) == 0 : !c->sent_text[i]))
                return 0;
        if (v.text && !(text = strdup(v.text))) {
                c->valid[i] = false;
                return 1;
        }
        free(c->sent_text[i]);
        c->sent_text[i] = text;
        c->sent[i][0] = v.n[0];
        c->sent[i][1] = v.n[1];
        c->valid[i] = true;
        return 1;
}

static void on_changes(uint32_t changed, void *userdata) {
        struct chair_daemon *d = userdata;
        const char *names[N_PROPERTY_CHANGES + 1];
        unsigned n = 0;

        if (changed & CHAIR_CHANGE_STATE)
                chair_object_session_active(d);
        for (unsigned i = 0; i < N_PROPERTY_CHANGES; i++)
                if ((changed & property_changes[i].changes) && property_changed(d, i))
                        names[n++] = property_changes[i].name;
        names[n] = NULL;
        if (n > 0)
                (void) sd_bus_emit_properties_changed_strv(d->bus->bus, CHAIR_OBJECT_PATH, CHAIR_INTERFACE,
                                                           (char **) names);
}

static void on_event(const struct chair_event *ev, void *userdata) {
        struct chair_daemon *d = userdata;
        sd_bus *bus = d->bus->bus;

        switch (ev->kind) {
        case CHAIR_EVENT_PROGRAM_FINISHED:
                (void) sd_bus_emit_signal(bus, CHAIR_OBJECT_PATH, CHAIR_INTERFACE, "ProgramFinished", "ss",
                                          ev->program, ev->reason);
                break;
        case CHAIR_EVENT_FAULT_RAISED:
                if (ev->restored)
                        break;
                (void) sd_bus_emit_signal(bus, CHAIR_OBJECT_PATH, CHAIR_INTERFACE, "FaultRaised", "ss", ev->code,
                                          ev->message);
                break;
        case CHAIR_EVENT_BODY_SCAN_FINISHED:
                (void) sd_bus_emit_signal(bus, CHAIR_OBJECT_PATH, CHAIR_INTERFACE, "BodyScanFinished", "ib",
                                          ev->shoulder_mm, ev->ok);
                break;
        case CHAIR_EVENT_FAULT_CLEARED:
                break; /* the Fault property says it */
        }
}

/* The roller moves continuously: its position (and the zones inflated now) is looked at every
 * 100 ms while anything moves; the cache announces it only when it changed. */
static int on_roller_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        struct chair_daemon *d = userdata;

        chair_changes_mark(d->core->changes, CHAIR_CHANGE_ROLLER | CHAIR_CHANGE_ACTIVE_AIR);
        if (session_active(d->core->session) || chair_hw_get_output(d->core->hw, CHAIR_OUT_TRAVEL_MOTOR)) {
                sd_event_source_set_time(s, usec + ROLLER_EMIT_USEC);
                return sd_event_source_set_enabled(s, SD_EVENT_ON);
        }
        return sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

static int resolve_getters(struct chair_object_cache *c) {
        _Static_assert(offsetof(typeof(property_changes[0]), name) == 0, "a row starts with its name");
        return bus_resolve_getters(chair_vtable, property_changes, N_PROPERTY_CHANGES, sizeof property_changes[0],
                                   c->get, "Chair1");
}

int chair_object_register(struct chair_daemon *d, struct chair_bus *b) {
        int r;

        b->cache = calloc(1, sizeof *b->cache);
        if (!b->cache)
                return -ENOMEM;
        r = resolve_getters(b->cache);
        if (r < 0)
                return r;
        r = sd_bus_add_object_vtable(b->bus, &b->chair_slot, CHAIR_OBJECT_PATH, CHAIR_INTERFACE, chair_vtable, d);
        if (r < 0)
                return log_error_errno(r, "Failed to register %s: %m", CHAIR_OBJECT_PATH);
        r = sd_event_add_time_relative(d->event, &b->roller_tick, CLOCK_MONOTONIC, ROLLER_EMIT_USEC,
                                       10 * USEC_PER_MSEC, on_roller_tick, d);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the roller's announcements: %m");
        (void) sd_event_source_set_enabled(b->roller_tick, SD_EVENT_OFF);
        /* Both fail only past the channel's fixed slots: a wiring mistake, named here. */
        r = chair_changes_subscribe(d->core->changes, on_changes, d);
        if (r < 0)
                return log_error_errno(r, "Failed to subscribe %s to the change channel's marks: %m", CHAIR_OBJECT_PATH);
        r = chair_changes_listen(d->core->changes, on_event, d);
        if (r < 0)
                return log_error_errno(r, "Failed to subscribe %s to the change channel's events: %m", CHAIR_OBJECT_PATH);
        return 0;
}

void chair_object_session_active(struct chair_daemon *d) {
        int enabled = SD_EVENT_OFF;

        if (!session_active(d->core->session))
                return;
        sd_event_source_get_enabled(d->bus->roller_tick, &enabled);
        if (enabled == SD_EVENT_OFF) {
                sd_event_source_set_time_relative(d->bus->roller_tick, ROLLER_EMIT_USEC);
                sd_event_source_set_enabled(d->bus->roller_tick, SD_EVENT_ON);
        }
}
