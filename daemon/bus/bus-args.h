/* SPDX-License-Identifier: MIT */
/*
 * The arguments of every public D-Bus method with arguments: read, bounded by size before any
 * work and checked, without a daemon (the handlers and tests/fuzz/fuzz-dbus-args.c both use
 * them). Every refusal is InvalidArgs naming the argument. The limits are the table of
 * docs/dbus-api.md, "Limits".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "output-test.h"
#include "profile.h"
#include "program-library.h"
#include "session.h"
#include "state-store.h"

#define BUS_NAME_MAX       64          /* bytes of every identifier argument (ids, names, keys) */
#define BUS_OPTIONS_MAX    5           /* entries of an options a{sv}: each known key once */
#define BUS_LIST_MAX       HISTORY_MAX /* GetHistory/GetFaults max: what the files keep */
#define BUS_LIST_DEFAULT   50          /* ... when max is 0 */
#define BUS_UPLOAD_MAX     PROFILE_FILE_MAX      /* bytes of an uploaded profile */
#define BUS_FILENAME_MAX   PROGRAM_FILE_NAME_MAX /* bytes of its NAME.ini (the name's rule: the library's) */
#define BUS_HOLD_MS_MAX    30000       /* PressKey */
#define BUS_TEST_OUTPUT_MS_MAX OUTPUT_TEST_MAX_MS /* TestOutput; an output's own bound may be lower */
#define BUS_TREND_N_MAX    50          /* Person.GetSummary trend_n (0: the default) */
/* The levels the methods take (Chair1.GetCapabilities says them too). */
#define BUS_LEVEL_MIN      1u          /* intensity, speed, depth: BUS_LEVEL_MIN..BUS_LEVEL_MAX */
#define BUS_LEVEL_MAX      5u
#define BUS_AIR_INTENSITY_MAX 5u       /* SetAir intensity 0..it */
#define BUS_HEAT_LEVEL_MAX 3u          /* SetHeat level 0..it */
#define BUS_LEG_MM_MAX     2000        /* Service.SimSetOccupant leg_mm (the simulator's, driver-sim.h) */

/* What a parser hands its handler; each method uses the fields its parser names. */
struct bus_args {
        const char *str[2];             /* into the message: valid until it is unreferenced */
        uint32_t u[2];
        int32_t i;
        uint64_t t;
        int b;
        uint32_t mask;                  /* SetAir: bit per enum chair_air_zone */
        struct session_options options;
        char **strv;                    /* SetPrecautions: newly allocated, NULL-terminated */
        int focus;                      /* Start, StartManual: the option `focus` (0 when absent) */
        uint16_t areas[HISTORY_AREAS];  /* Assess, Person.RateSession: pain per enum pain_area, or HISTORY_NOT_RATED */
        bool any_area;                  /* ... at least one area given */
};

/* What a parser needs to know of the daemon: the conditions SetPrecautions accepts. */
struct bus_args_context {
        const char *const *conditions;  /* NULL-terminated, or NULL for none */
};

void bus_args_done(struct bus_args *a);

typedef int (*bus_args_parser)(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a,
                               sd_bus_error *error);

struct bus_method_args {
        const char *interface;          /* CHAIR_INTERFACE, CHAIR_SERVICE_INTERFACE, CHAIR_PEOPLE_INTERFACE, CHAIR_PERSON_INTERFACE
                                         * or CHAIR_POSTURE_INTERFACE */
        const char *member;
        const char *signature;
        bus_args_parser parse;
};

/* Every method with arguments, once (NULL-terminated by member): the fuzz target's table. */
extern const struct bus_method_args bus_method_args[];

int bus_parse_get_program(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_start(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_start_manual(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_move_point(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_level(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_set_width(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_set_air(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_set_heat(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_timer(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_adjust_shoulder(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_slot(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_child_lock(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_set_precautions(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_rate_session(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_list_max(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_upload(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_histogram(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_inject_fault(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_press_key(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
/* TestOutput: str[0] output name, i value, u[0] milliseconds (the output's own bounds: the core). */
int bus_parse_test_output(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);

/* People and Person (docs/dbus-api.md). A person's name (Create, FindByName, Rename: str[0]) is
 * 1-PERSON_NAME_MAX bytes of UTF-8 without control characters; Delete's confirm_name the same
 * bound (str[0]). */
int bus_parse_person_name(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_person_confirm(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
/* People.Select: str[0] the object path (its id is the caller's to look up). */
int bus_parse_person_path(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
/* SetCaps: u[0] intensity cap 1-5, u[1] heat cap 0-3. */
int bus_parse_set_caps(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
/* Person.SetTimer: u[0] 0 (the chair's default) or a timer choice. */
int bus_parse_person_timer(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
/* Assess: areas (pain_area names, each once, 0-10), u[0] pain_now 0-10, u[1] the goal (massage_goal). */
int bus_parse_assess(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
/* Person.RateSession: t, u[0] before, u[1] after (0-10), areas after (as Assess's). */
int bus_parse_person_rate(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
/* GetSummary: u[0] trend_n 0-BUS_TREND_N_MAX. */
int bus_parse_trend_n(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_posture_preset(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_posture_move(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_foot_rollers(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_calf_knead(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);
int bus_parse_sim_set_occupant(sd_bus_message *m, const struct bus_args_context *ctx, struct bus_args *a, sd_bus_error *error);

/* InvalidArgs with a formatted message; returns -EINVAL. */
int bus_invalid(sd_bus_error *error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The width names, by index (narrow, medium, wide). */

/* Whether s is UTF-8 as sd-bus accepts it (no overlong forms, surrogates or noncharacters). */
bool bus_utf8_valid(const char *s);
/* s when it is valid; otherwise a copy in buf with each invalid byte as U+FFFD, cut at a
 * character boundary to fit size (at least 4). Stored fields go out through this: sd-bus
 * refuses to append invalid UTF-8 and the whole reply would fail. */
const char *bus_utf8_safe(const char *s, char *buf, size_t size);
/* Appends a NULL-terminated list of strings as "as", each through bus_utf8_safe. */
int bus_append_strv_safe(sd_bus_message *reply, const char *const *v);
