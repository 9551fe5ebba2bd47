/* SPDX-License-Identifier: MIT */
/*
 * org.massagechair.Chair1: what the panel can do and what companion apps need. Each method
 * reads, bounds and validates its arguments first (bus-args.c: InvalidArgs naming the
 * argument), hands the request to the session, which queues work and returns at once, and
 * replies; outcomes arrive as PropertiesChanged and signals. See docs/dbus-api.md.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "bus-args.h"
#include "bus-errors.h"
#include "bus-util.h"
#include "chair-hw.h"
#include "chair-object.h"
#include "daemon.h"
#include "log.h"
#include "program-library.h"
#include "scheduler.h"
#include "panel.h"
#include "session.h"
#include "state-store.h"
#include "supervisor.h"

#define ROLLER_EMIT_USEC (100 * USEC_PER_MSEC) /* RollerPosition at most 10 Hz */

/* Runs a method's argument parser (bus-args.c) against the daemon's vocabularies. */
static int parse_args(struct chair_daemon *d, bus_args_parser parse, sd_bus_message *m, struct bus_args *a,
                      sd_bus_error *error) {
        const char *const *names = NULL, *const *effects = NULL;
        struct bus_args_context ctx = {};

        program_library_precautions(d->library, &names, &effects);
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

static int method_list_programs(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(sssu)");
        for (size_t i = 0; r >= 0 && i < program_library_count(d->library); i++) {
                struct program_summary p;
                char b1[3 * 80 + 1], b2[3 * 80 + 1], b3[3 * 512 + 1];
                if (program_library_get(d->library, i, &p) >= 0)
                        r = sd_bus_message_append(reply, "(sssu)", bus_utf8_safe(p.id, b1, sizeof b1),
                                                  bus_utf8_safe(p.name, b2, sizeof b2),
                                                  bus_utf8_safe(p.description, b3, sizeof b3), p.duration_s);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int append_strv(sd_bus_message *reply, const char *key, const char *const *v) {
        int r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", key);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'v', "as");
        if (r >= 0)
                r = bus_append_strv_safe(reply, v);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int method_get_program(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct program_summary p;
        char b1[3 * 80 + 1], b2[3 * 80 + 1], b3[3 * 512 + 1];
        int r;

        PARSE_ARGS(bus_parse_get_program);
        if (program_library_find(d->library, a.str[0], &p) < 0)
                return sd_bus_error_setf(error, CHAIR_ERROR_UNKNOWN_PROGRAM, "No program '%s'", a.str[0]);
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}", "id", "s", bus_utf8_safe(p.id, b1, sizeof b1),
                                          "name", "s", bus_utf8_safe(p.name, b2, sizeof b2),
                                          "description", "s", bus_utf8_safe(p.description, b3, sizeof b3),
                                          "duration", "u", p.duration_s, "intensity", "u", p.intensity);
        if (r >= 0)
                r = append_strv(reply, "areas", p.areas);
        if (r >= 0)
                r = append_strv(reply, "precautions", p.precautions);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_start(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        PARSE_ARGS(bus_parse_start);
        return reply_or_error(m, session_start(d->session, a.str[0], &a.options, error));
}

static int method_start_manual(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        PARSE_ARGS(bus_parse_start_manual);
        return reply_or_error(m, session_start_manual(d->session, a.str[0], (enum manual_area) a.u[0], &a.options, error));
}

static int method_move_point(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        PARSE_ARGS(bus_parse_move_point);
        return reply_or_error(m, session_move_point(d->session, a.i, error));
}

#define SIMPLE_METHOD(fname, call)                                                           \
        static int fname(sd_bus_message *m, void *userdata, sd_bus_error *error) {           \
                struct chair_daemon *d = userdata;                                           \
                return reply_or_error(m, call(d->session, error));                              \
        }
SIMPLE_METHOD(method_stop, session_stop)
SIMPLE_METHOD(method_pause, session_pause)
SIMPLE_METHOD(method_resume, session_resume)
SIMPLE_METHOD(method_start_body_scan, session_start_scan)

/* A method whose one argument its parser leaves in a.u[0] or a.i. */
#define ARG_METHOD(fname, parser, call, arg)                                                 \
        static int fname(sd_bus_message *m, void *userdata, sd_bus_error *error) {           \
                struct chair_daemon *d = userdata;                                           \
                PARSE_ARGS(parser);                                                          \
                return reply_or_error(m, call(d->session, arg, error));                      \
        }
ARG_METHOD(method_set_intensity, bus_parse_level, session_set_intensity, a.u[0])
ARG_METHOD(method_set_speed, bus_parse_level, session_set_speed, a.u[0])
ARG_METHOD(method_set_depth, bus_parse_level, session_set_depth, a.u[0])
ARG_METHOD(method_set_width, bus_parse_set_width, session_set_width, a.u[0])
ARG_METHOD(method_set_timer, bus_parse_timer, session_set_timer, a.u[0])
ARG_METHOD(method_adjust_shoulder, bus_parse_adjust_shoulder, session_adjust_shoulder, a.i)
ARG_METHOD(method_save_memory, bus_parse_slot, session_save_memory, a.u[0])
ARG_METHOD(method_recall_memory, bus_parse_slot, session_recall_memory, a.u[0])

static int method_set_air(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        PARSE_ARGS(bus_parse_set_air);
        return reply_or_error(m, session_set_air(d->session, a.mask, a.u[0], error));
}

static int method_set_heat(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        PARSE_ARGS(bus_parse_set_heat);
        return reply_or_error(m, session_set_heat(d->session, a.u[1], a.u[0], error));
}

static int method_set_child_lock(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        int r;

        PARSE_ARGS(bus_parse_child_lock);
        if (d->child_lock != !!a.b) {
                d->child_lock = a.b;
                r = state_store_save_child_lock(d->store, d->child_lock);
                if (r < 0)
                        log_warning_errno(r, "Could not store the child lock: %m");
                log_info("Child lock %s over D-Bus.", a.b ? "on" : "off");
                chair_object_emit_changed(d, "ChildLock", NULL);
        }
        return sd_bus_reply_method_return(m, NULL);
}

static int method_get_memory(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct memory_slot slot;
        char program[3 * sizeof slot.program + 1];
        int r;

        PARSE_ARGS(bus_parse_slot);
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0 && state_store_load_memory(d->store, a.u[0], &slot) >= 0 && slot.used)
                r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}", "program", "s",
                                          bus_utf8_safe(slot.program, program, sizeof program),
                                          "intensity", "u", slot.intensity, "speed", "u", slot.speed, "width", "s",
                                          bus_width_names[slot.width % 3], "depth", "u", slot.depth, "air_intensity", "u",
                                          slot.air_intensity, "heat_lumbar", "u", slot.heat_lumbar, "heat_calves", "u",
                                          slot.heat_calves, "timer", "u", slot.timer_min);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_set_precautions(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        int r;

        PARSE_ARGS(bus_parse_set_precautions);
        /* Stored first: on any error the declared list is untouched and the list still ours. */
        r = daemon_set_precautions(d, a.strv);
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

static int method_list_precautions(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *const *names = NULL, *const *effects = NULL;
        int r;

        program_library_precautions(d->library, &names, &effects);
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ss)");
        for (size_t i = 0; r >= 0 && names && names[i]; i++)
                r = sd_bus_message_append(reply, "(ss)", names[i], effects[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_rate_session(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        int r;

        PARSE_ARGS(bus_parse_rate_session);
        r = state_store_rate_session(d->store, a.t, a.u[0], a.u[1]);
        if (r == -ENOENT)
                return bus_invalid(error, "session_id: no session %llu in the history", (unsigned long long) a.t);
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

        PARSE_ARGS(bus_parse_list_max);
        r = state_store_list_history(d->store, a.u[0], &entries, &n);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Could not read the history: %m");
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(tssuuqqs)");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                char when[40], program[3 * sizeof entries[i].program + 1], reason[3 * sizeof entries[i].reason + 1];
                time_t t = (time_t) (entries[i].start_usec / USEC_PER_SEC);
                struct tm tm;
                strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
                r = sd_bus_message_append(reply, "(tssuuqqs)", entries[i].id,
                                          bus_utf8_safe(entries[i].program, program, sizeof program), when,
                                          entries[i].duration_s, entries[i].intensity, entries[i].pain_before,
                                          entries[i].pain_after, bus_utf8_safe(entries[i].reason, reason, sizeof reason));
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_get_faults(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ struct fault_entry *entries = NULL;
        size_t n = 0;
        int r;

        PARSE_ARGS(bus_parse_list_max);
        r = state_store_list_faults(d->store, a.u[0], &entries, &n);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Could not read the fault history: %m");
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(tsss)");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                char code[3 * sizeof entries[i].code + 1], message[3 * sizeof entries[i].message + 1],
                        cleared[3 * sizeof entries[i].cleared + 1];
                r = sd_bus_message_append(reply, "(tsss)", entries[i].time_usec,
                                          bus_utf8_safe(entries[i].code, code, sizeof code),
                                          bus_utf8_safe(entries[i].message, message, sizeof message),
                                          bus_utf8_safe(entries[i].cleared, cleared, sizeof cleared));
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

/* ---- properties ---- */

#define PROPERTY_GETTER(fname, sig, expr)                                                                   \
        static int fname(sd_bus *bus, const char *path, const char *interface, const char *property,      \
                         sd_bus_message *reply, void *userdata, sd_bus_error *error) {                     \
                struct chair_daemon *d = userdata;                                                          \
                return sd_bus_message_append(reply, sig, expr);                                             \
        }

/* A string that may come from a file (a profile, the hardware map, a state file). */
#define PROPERTY_GETTER_TEXT(fname, expr)                                                                  \
        static int fname(sd_bus *bus, const char *path, const char *interface, const char *property,      \
                         sd_bus_message *reply, void *userdata, sd_bus_error *error) {                     \
                struct chair_daemon *d = userdata;                                                          \
                char buf[3 * 256 + 1];                                                                      \
                return sd_bus_message_append_basic(reply, 's', bus_utf8_safe(expr, buf, sizeof buf));       \
        }

PROPERTY_GETTER(property_state, "s", session_state_name(session_get_state(d->session)))
PROPERTY_GETTER_TEXT(property_program, session_program(d->session))
PROPERTY_GETTER(property_remaining, "u", session_remaining_s(d->session))
PROPERTY_GETTER(property_duration, "u", session_duration_s(d->session))
PROPERTY_GETTER(property_intensity, "u", session_settings(d->session)->intensity)
PROPERTY_GETTER(property_speed, "u", session_settings(d->session)->speed)
PROPERTY_GETTER(property_depth, "u", session_settings(d->session)->depth)
PROPERTY_GETTER(property_width, "s", bus_width_names[session_settings(d->session)->width % 3])
PROPERTY_GETTER(property_air_intensity, "u", session_settings(d->session)->air_intensity)
PROPERTY_GETTER(property_timer, "u", session_settings(d->session)->timer_min)
PROPERTY_GETTER(property_shoulder, "i", session_shoulder_mm(d->session))
PROPERTY_GETTER(property_fault, "s", supervisor_fault_code(d->supervisor))
PROPERTY_GETTER_TEXT(property_fault_message, supervisor_fault_message(d->supervisor))
PROPERTY_GETTER(property_session_id, "t", session_id(d->session))
PROPERTY_GETTER(property_child_lock, "b", d->child_lock)
PROPERTY_GETTER_TEXT(property_model, d->map.model)

static int property_roller(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        int32_t enc = 0;
        chair_hw_read_input(d->hw, CHAIR_IN_ENCODER, &enc);
        return sd_bus_message_append(reply, "i", enc / MAX(1, d->map.pulses_per_mm));
}

static int property_selected_program(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct program_summary ps;
        char buf[3 * 80 + 1];
        return sd_bus_message_append_basic(reply, 's', panel_selected_program(d->panel, &ps) >= 0 ?
                                           bus_utf8_safe(ps.id, buf, sizeof buf) : "");
}

static int append_zone_mask(sd_bus_message *reply, uint32_t mask) {
        int r = sd_bus_message_open_container(reply, 'a', "s");
        for (unsigned z = 0; r >= 0 && z < _CHAIR_AIR_ZONE_MAX; z++)
                if (mask & (1u << z))
                        r = sd_bus_message_append(reply, "s", chair_air_zone_name(z));
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int property_air_zones(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        return append_zone_mask(reply, session_settings(d->session)->air_zones);
}

static int property_active_air_zones(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        return append_zone_mask(reply, scheduler_active_air_zones(d->scheduler));
}

static int property_heat_levels(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "{su}");
        for (unsigned z = 0; r >= 0 && z < _CHAIR_HEAT_ZONE_MAX; z++) {
                int32_t level = session_active(d->session) ? scheduler_heat_level(d->scheduler, z) : 0;
                if (!level)
                        level = (int32_t) session_settings(d->session)->heat[z];
                r = sd_bus_message_append(reply, "{su}", chair_heat_zone_name(z), (uint32_t) level);
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int property_temperatures(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "{sd}");
        for (unsigned z = 0; r >= 0 && z < _CHAIR_HEAT_ZONE_MAX; z++) {
                int32_t t;
                if (chair_hw_read_input(d->hw, chair_heat_zone_sensor(z), &t) >= 0)
                        r = sd_bus_message_append(reply, "{sd}", chair_heat_zone_name(z), t / 10.0);
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int property_precautions(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        return bus_append_strv_safe(reply, (const char *const *) d->precautions);
}

/* Every member is open to every caller (SD_BUS_VTABLE_UNPRIVILEGED): companion apps run as
 * ordinary users; the technician interface checks credentials itself. */
static const sd_bus_vtable chair_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("ListPrograms", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sssu)", programs),
                                method_list_programs, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetProgram", SD_BUS_ARGS("s", id), SD_BUS_RESULT("a{sv}", details),
                                method_get_program, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Start", SD_BUS_ARGS("s", program, "a{sv}", options), SD_BUS_NO_RESULT,
                                method_start, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("StartManual", SD_BUS_ARGS("s", technique, "s", area, "a{sv}", options),
                                SD_BUS_NO_RESULT, method_start_manual, SD_BUS_VTABLE_UNPRIVILEGED),
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
        SD_BUS_METHOD_WITH_ARGS("RecallMemory", SD_BUS_ARGS("u", slot), SD_BUS_NO_RESULT, method_recall_memory, SD_BUS_VTABLE_UNPRIVILEGED),
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
        SD_BUS_PROPERTY("State", "s", property_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Program", "s", property_program, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
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
        SD_BUS_PROPERTY("Timer", "u", property_timer, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ShoulderPosition", "i", property_shoulder, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RollerPosition", "i", property_roller, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Precautions", "as", property_precautions, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Fault", "s", property_fault, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("FaultMessage", "s", property_fault_message, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SessionId", "t", property_session_id, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ChildLock", "b", property_child_lock, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SelectedProgram", "s", property_selected_program, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Model", "s", property_model, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_SIGNAL_WITH_ARGS("ProgramFinished", SD_BUS_ARGS("s", program, "s", reason), 0),
        SD_BUS_SIGNAL_WITH_ARGS("FaultRaised", SD_BUS_ARGS("s", code, "s", message), 0),
        SD_BUS_SIGNAL_WITH_ARGS("BodyScanFinished", SD_BUS_ARGS("i", shoulder_mm, "b", ok), 0),
        SD_BUS_VTABLE_END
};

/* The roller moves continuously: its position is announced at most every 100 ms, and only
 * when it changed. */
static int on_roller_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        struct chair_daemon *d = userdata;
        int32_t enc = 0, mm;

        chair_hw_read_input(d->hw, CHAIR_IN_ENCODER, &enc);
        mm = enc / MAX(1, d->map.pulses_per_mm);
        if (mm != d->roller_announced_mm) {
                d->roller_announced_mm = mm;
                chair_object_emit_changed(d, "RollerPosition", "ActiveAirZones", NULL);
        }
        if (session_active(d->session) || chair_hw_get_output(d->hw, CHAIR_OUT_TRAVEL_MOTOR)) {
                sd_event_source_set_time(s, usec + ROLLER_EMIT_USEC);
                return sd_event_source_set_enabled(s, SD_EVENT_ON);
        }
        return sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

int chair_object_register(struct chair_daemon *d) {
        int r = sd_bus_add_object_vtable(d->bus, &d->chair_slot, CHAIR_OBJECT_PATH, CHAIR_INTERFACE,
                                         chair_vtable, d);
        if (r < 0)
                return log_error_errno(r, "Failed to register %s: %m", CHAIR_OBJECT_PATH);
        d->roller_announced_mm = INT32_MIN;
        r = sd_event_add_time_relative(d->event, &d->roller_tick, CLOCK_MONOTONIC, ROLLER_EMIT_USEC,
                                       10 * USEC_PER_MSEC, on_roller_tick, d);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(d->roller_tick, SD_EVENT_OFF);
}

void chair_object_session_active(struct chair_daemon *d) {
        int enabled = SD_EVENT_OFF;
        sd_event_source_get_enabled(d->roller_tick, &enabled);
        if (enabled == SD_EVENT_OFF) {
                sd_event_source_set_time_relative(d->roller_tick, ROLLER_EMIT_USEC);
                sd_event_source_set_enabled(d->roller_tick, SD_EVENT_ON);
        }
}

int chair_object_emit_changed(struct chair_daemon *d, const char *first, ...) {
        char *names[16];
        unsigned n = 0;
        va_list ap;

        va_start(ap, first);
        for (const char *p = first; p && n < 15; p = va_arg(ap, const char *))
                names[n++] = (char *) p;
        va_end(ap);
        names[n] = NULL;
        /* Every change shows on both: D-Bus clients and the panel's LEDs and display. The
         * roller's position (10 Hz), the zones inflated right now and the temperatures are
         * not on the panel. */
        for (unsigned i = 0; i < n; i++)
                if (strcmp(names[i], "RollerPosition") != 0 && strcmp(names[i], "ActiveAirZones") != 0 &&
                    strcmp(names[i], "Temperatures") != 0) {
                        panel_refresh(d->panel);
                        break;
                }
        if (!d->bus)
                return 0;
        return sd_bus_emit_properties_changed_strv(d->bus, CHAIR_OBJECT_PATH, CHAIR_INTERFACE, names);
}
