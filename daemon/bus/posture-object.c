/* SPDX-License-Identifier: MIT */
/*
 * org.massagechair.Chair1.Posture at /org/massagechair/Chair1/posture: the posture axes and the
 * leg rollers (docs/posture.md). Every move goes through daemon/posture.c, which holds the
 * rules (occupant, feet, precautions, the supervisor, the pinch); this file reads and bounds
 * the arguments (bus-args.c), binds a hold-to-run lease to the caller's bus connection, and
 * turns the change marks into PropertiesChanged. Present on every chair: on one without axes
 * Axes is empty and every move is refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-args.h"
#include "bus-errors.h"
#include "bus-state.h"
#include "bus-util.h"
#include "chair-bus-names.h"
#include "chair-io.h"
#include "changes.h"
#include "daemon-context.h"
#include "log.h"
#include "posture-object.h"
#include "posture.h"

#define POSITIONS_EMIT_USEC (100 * USEC_PER_MSEC) /* Positions at most 10 Hz */
/* Ticks after every axis stopped: an axis coasts a little (posture.c's COAST_USEC). */
#define POSITIONS_TRAILING_TICKS 2
/* The bus layer's hold-to-run owners (posture.h: the panel's are below). */
#define BUS_OWNER_FIRST 0x100u

static struct posture *P(struct chair_daemon *d) {
        return d->core->posture;
}

/* Motions' words, one per enum posture_motion. */
static const char *const motion_names[] = {
        [POSTURE_STILL] = "still",
        [POSTURE_PRESET_MOVE] = "preset",
        [POSTURE_FIT] = "fit",
        [POSTURE_MANUAL] = "manual",
        [POSTURE_RELEASING] = "releasing",
};
_Static_assert(ARRAY_SIZE(motion_names) == POSTURE_RELEASING + 1, "a word per motion");

static const char *motion_name(enum posture_motion m) {
        return (size_t) m < ARRAY_SIZE(motion_names) ? motion_names[m] : "still";
}

/* ---- properties ---- */

static int property_axes(sd_bus *bus, const char *path, const char *interface, const char *property,
                         sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "s");
        if (r < 0)
                return r;
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                if (posture_axes(P(d)) & (1u << a)) {
                        r = sd_bus_message_append_basic(reply, 's', chair_axis_info(a)->name);
                        if (r < 0)
                                return r;
                }
        return sd_bus_message_close_container(reply);
}

static int property_presets(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        int r = sd_bus_message_open_container(reply, 'a', "s");
        if (r < 0)
                return r;
        for (unsigned i = 0; i < _POSTURE_PRESET_MAX; i++) {
                r = sd_bus_message_append_basic(reply, 's', posture_preset_to_string(i));
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int property_positions(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "{si}");
        if (r < 0)
                return r;
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++) {
                int32_t permille;
                if (posture_position(P(d), a, &permille) < 0)
                        continue; /* no such axis, or its position is unavailable: left out */
                r = sd_bus_message_append(reply, "{si}", chair_axis_info(a)->name, permille);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int property_motions(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "{ss}");
        if (r < 0)
                return r;
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++) {
                if (!(posture_axes(P(d)) & (1u << a)))
                        continue;
                r = sd_bus_message_append(reply, "{ss}", chair_axis_info(a)->name, motion_name(posture_axis_motion(P(d), a)));
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int property_occupied(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        return sd_bus_message_append(reply, "b", (int) posture_occupied(P(d)));
}

static int property_feet_on(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        return sd_bus_message_append(reply, "b", (int) posture_feet_on(P(d)));
}

static int property_foot_rollers(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        return sd_bus_message_append(reply, "i", posture_rotary(P(d), CHAIR_OUT_FOOT_ROLLERS));
}

static int property_calf_knead(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        return sd_bus_message_append(reply, "i", posture_rotary(P(d), CHAIR_OUT_CALF_KNEAD));
}

static int property_pinched_axis(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        int a = posture_pinched_axis(P(d));
        return sd_bus_message_append(reply, "s", a >= 0 ? chair_axis_info(a)->name : "");
}

/* ---- the hold-to-run caller, and what was announced ---- */

/* The one table from the change marks to the properties they announce. A fault stops the axes
 * and the leg rollers at the router's gate, before posture.c hears of it. */
static const struct {
        const char *name;
        uint32_t changes;
} property_changes[] = {
        { "Positions", CHAIR_CHANGE_POSITIONS | CHAIR_CHANGE_POSTURE | CHAIR_CHANGE_FAULT },
        { "Motions", CHAIR_CHANGE_POSTURE | CHAIR_CHANGE_FAULT },
        { "Occupied", CHAIR_CHANGE_POSTURE },
        { "FeetOn", CHAIR_CHANGE_POSTURE },
        { "FootRollers", CHAIR_CHANGE_POSTURE | CHAIR_CHANGE_FAULT },
        { "CalfKnead", CHAIR_CHANGE_POSTURE | CHAIR_CHANGE_FAULT },
        { "PinchedAxis", CHAIR_CHANGE_POSTURE | CHAIR_CHANGE_FAULT },
};
#define N_PROPERTY_CHANGES ARRAY_SIZE(property_changes)

/* What was last announced, the positions' tick, and the one caller whose hold-to-run lease runs
 * (posture.c allows one at a time): its bus connection tracked, so that its leaving stops the
 * move at once rather than when the lease lapses. */
struct posture_object_cache {
        sd_bus_property_get_t get[N_PROPERTY_CHANGES];
        uint64_t sent[N_PROPERTY_CHANGES];
        bool valid[N_PROPERTY_CHANGES];
        sd_event_source *tick;
        unsigned trailing;
        sd_bus_track *track;
        char *caller;          /* its unique name */
        uint64_t owner;        /* its posture owner, 0: none */
        uint64_t next_owner;
        /* The caller before it, still the same owner when it calls again: posture refuses the
         * renewals of a move it stopped to that owner, and another caller's move in between
         * must not make them a fresh press. Unique names are never reused. */
        char *previous;
        uint64_t previous_owner;
};

static void forget_caller(struct posture_object_cache *c) {
        c->track = sd_bus_track_unref(c->track);
        free(c->caller);
        c->caller = NULL;
        c->owner = 0;
}

void posture_object_cache_free(struct posture_object_cache *c) {
        if (!c)
                return;
        forget_caller(c);
        free(c->previous);
        sd_event_source_disable_unref(c->tick);
        free(c);
}

static int on_caller_gone(sd_bus_track *t, void *userdata) {
        struct chair_daemon *d = userdata;
        struct posture_object_cache *c = d->bus->posture_cache;

        log_info("posture: %s left the bus: its hold-to-run move stops.", c->caller ? c->caller : "the caller");
        posture_owner_gone(P(d), c->owner);
        forget_caller(c);
        return 0;
}

/* The caller of m holds the lease of owner from now on. */
static int track_caller(struct chair_daemon *d, sd_bus_message *m, uint64_t owner) {
        struct posture_object_cache *c = d->bus->posture_cache;
        const char *sender = sd_bus_message_get_sender(m);
        int r;

        if (c->caller && c->owner) {
                free(c->previous);
                c->previous = c->caller;
                c->caller = NULL;
                c->previous_owner = c->owner;
        }
        forget_caller(c);
        if (!sender)
                return 0; /* a direct connection: only the lease bounds its move */
        c->caller = strdup(sender);
        if (!c->caller)
                return -ENOMEM;
        r = sd_bus_track_new(sd_bus_message_get_bus(m), &c->track, on_caller_gone, d);
        if (r >= 0)
                r = sd_bus_track_add_sender(c->track, m);
        if (r < 0) {
                forget_caller(c);
                return r;
        }
        c->owner = owner;
        return 0;
}

/* ---- methods ---- */

static int method_go_to_preset(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct chair_error e = CHAIR_ERROR_NULL;
        struct bus_args a = {};
        int preset, r;

        r = bus_parse_posture_preset(m, NULL, &a, error);
        if (r < 0)
                return r;
        preset = posture_preset_from_string(a.str[0]);
        if (preset < 0) {
                char names[VOCAB_NAMES_MAX] = "";
                for (unsigned i = 0; i < _POSTURE_PRESET_MAX; i++)
                        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
                                 posture_preset_to_string(i));
                return bus_invalid(error, "preset must be one of %s, not '%s'", names, a.str[0]);
        }
        return reply_core(m, error, posture_preset(P(d), (enum posture_preset) preset, &e), &e);
}

static int method_fit_legs(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct chair_error e = CHAIR_ERROR_NULL;
        return reply_core(m, error, posture_fit_legs(P(d), &e), &e);
}

static int method_return_upright(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct chair_error e = CHAIR_ERROR_NULL;
        return reply_core(m, error, posture_return_upright(P(d), &e), &e);
}

static int method_move(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct posture_object_cache *c = d->bus->posture_cache;
        struct chair_error e = CHAIR_ERROR_NULL;
        const char *sender = sd_bus_message_get_sender(m);
        struct bus_args a = {};
        uint64_t owner;
        int r;

        r = bus_parse_posture_move(m, NULL, &a, error);
        if (r < 0)
                return r;
        /* The caller holding the lease renews it as the same owner; anyone else is a new one. */
        owner = c->owner && sender && c->caller && strcmp(sender, c->caller) == 0                     ? c->owner
                : c->previous_owner && sender && c->previous && strcmp(sender, c->previous) == 0 ? c->previous_owner
                                                                                                  : c->next_owner++;
        r = posture_move(P(d), (enum chair_axis) a.u[0], a.i, a.u[1], owner, &e);
        if (r >= 0 && a.i != 0 && owner != c->owner) {
                r = track_caller(d, m, owner);
                if (r < 0) {
                        /* Untracked, a move would outlive its caller by the lease: none. */
                        posture_owner_gone(P(d), owner);
                        return sd_bus_error_set_errnof(error, -r, "Cannot watch the caller's connection: %m");
                }
        }
        return reply_core(m, error, r, &e);
}

/* Never refused: every axis and both leg rollers stop where they are. */
static int method_stop(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;

        posture_stop(P(d));
        for (unsigned out = 0; out < _CHAIR_OUT_MAX; out++)
                if (posture_rotaries(P(d)) & (1ull << out))
                        (void) posture_set_rotary(P(d), out, 0, NULL);
        return sd_bus_reply_method_return(m, NULL);
}

static int set_rotary(sd_bus_message *m, struct chair_daemon *d, enum chair_output out, bus_args_parser parse,
                      sd_bus_error *error) {
        struct chair_error e = CHAIR_ERROR_NULL;
        struct bus_args a = {};
        int r;

        r = parse(m, NULL, &a, error);
        if (r < 0)
                return r;
        return reply_core(m, error, posture_set_rotary(P(d), out, a.i, &e), &e);
}

static int method_set_foot_rollers(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return set_rotary(m, userdata, CHAIR_OUT_FOOT_ROLLERS, bus_parse_foot_rollers, error);
}

static int method_set_calf_knead(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return set_rotary(m, userdata, CHAIR_OUT_CALF_KNEAD, bus_parse_calf_knead, error);
}

/* Every member is open to whoever may start a session (Chair1.Start): the rules are posture.c's. */
static const sd_bus_vtable posture_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("GoToPreset", SD_BUS_ARGS("s", preset), SD_BUS_NO_RESULT, method_go_to_preset,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("FitLegs", "", "", method_fit_legs, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("ReturnUpright", "", "", method_return_upright, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Move", SD_BUS_ARGS("s", axis, "i", direction, "u", lease_ms), SD_BUS_NO_RESULT,
                                method_move, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Stop", "", "", method_stop, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetFootRollers", SD_BUS_ARGS("i", percent), SD_BUS_NO_RESULT, method_set_foot_rollers,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetCalfKnead", SD_BUS_ARGS("i", percent), SD_BUS_NO_RESULT, method_set_calf_knead,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_PROPERTY("Axes", "as", property_axes, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Presets", "as", property_presets, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Positions", "a{si}", property_positions, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Motions", "a{ss}", property_motions, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Occupied", "b", property_occupied, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("FeetOn", "b", property_feet_on, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("FootRollers", "i", property_foot_rollers, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("CalfKnead", "i", property_calf_knead, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PinchedAxis", "s", property_pinched_axis, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END
};

/* ---- the change channel to PropertiesChanged ---- */

/* 1: property i differs from the value last announced (kept as announced now), 0: the same. A
 * value that cannot be read is announced: a spurious signal, never a lost one. */
static int property_changed(struct chair_daemon *d, unsigned i) {
        struct posture_object_cache *c = d->bus->posture_cache;
        uint64_t h;

        if (bus_property_value_hash(d->bus->bus, CHAIR_POSTURE_PATH, CHAIR_POSTURE_INTERFACE, property_changes[i].name,
                                    c->get[i], d, &h) < 0) {
                c->valid[i] = false;
                return 1;
        }
        if (c->valid[i] && c->sent[i] == h)
                return 0;
        c->sent[i] = h;
        c->valid[i] = true;
        return 1;
}

/* While an axis moves its position is looked at every 100 ms (and a little after all stop);
 * the cache announces it only when it changed. Off while nothing moves: no wake-ups. */
static int on_positions_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        struct chair_daemon *d = userdata;
        struct posture_object_cache *c = d->bus->posture_cache;

        chair_changes_mark(d->core->changes, CHAIR_CHANGE_POSITIONS);
        if (posture_moving(P(d)))
                c->trailing = POSITIONS_TRAILING_TICKS;
        else if (c->trailing == 0)
                return sd_event_source_set_enabled(s, SD_EVENT_OFF);
        else
                c->trailing--;
        sd_event_source_set_time(s, usec + POSITIONS_EMIT_USEC);
        return sd_event_source_set_enabled(s, SD_EVENT_ON);
}

static void positions_tick_start(struct chair_daemon *d) {
        struct posture_object_cache *c = d->bus->posture_cache;
        int enabled = SD_EVENT_OFF;

        if (!posture_moving(P(d)))
                return;
        c->trailing = POSITIONS_TRAILING_TICKS;
        sd_event_source_get_enabled(c->tick, &enabled);
        if (enabled == SD_EVENT_OFF) {
                sd_event_source_set_time_relative(c->tick, POSITIONS_EMIT_USEC);
                sd_event_source_set_enabled(c->tick, SD_EVENT_ON);
        }
}

static void on_changes(uint32_t changed, void *userdata) {
        struct chair_daemon *d = userdata;
        const char *names[N_PROPERTY_CHANGES + 1];
        unsigned n = 0;

        if (changed & CHAIR_CHANGE_POSTURE)
                positions_tick_start(d);
        for (unsigned i = 0; i < N_PROPERTY_CHANGES; i++)
                if ((changed & property_changes[i].changes) && property_changed(d, i))
                        names[n++] = property_changes[i].name;
        names[n] = NULL;
        if (n > 0)
                (void) sd_bus_emit_properties_changed_strv(d->bus->bus, CHAIR_POSTURE_PATH, CHAIR_POSTURE_INTERFACE,
                                                           (char **) names);
}

int posture_object_register(struct chair_daemon *d, struct chair_bus *b) {
        struct posture_object_cache *c;
        int r;

        c = b->posture_cache = calloc(1, sizeof *b->posture_cache);
        if (!c)
                return -ENOMEM;
        c->next_owner = BUS_OWNER_FIRST;
        _Static_assert(offsetof(typeof(property_changes[0]), name) == 0, "a row starts with its name");
        r = bus_resolve_getters(posture_vtable, property_changes, N_PROPERTY_CHANGES, sizeof property_changes[0], c->get,
                                "Posture");
        if (r < 0)
                return r;
        r = sd_bus_add_object_vtable(b->bus, &b->posture_slot, CHAIR_POSTURE_PATH, CHAIR_POSTURE_INTERFACE,
                                     posture_vtable, d);
        if (r < 0)
                return log_error_errno(r, "Failed to register %s: %m", CHAIR_POSTURE_PATH);
        r = sd_event_add_time_relative(d->event, &c->tick, CLOCK_MONOTONIC, POSITIONS_EMIT_USEC, 10 * USEC_PER_MSEC,
                                       on_positions_tick, d);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the posture's announcements: %m");
        (void) sd_event_source_set_enabled(c->tick, SD_EVENT_OFF);
        (void) sd_event_source_set_description(c->tick, "posture-positions");
        /* What the properties are now, so the first mark announces only a change. */
        for (unsigned i = 0; i < N_PROPERTY_CHANGES; i++)
                c->valid[i] = bus_property_value_hash(b->bus, CHAIR_POSTURE_PATH, CHAIR_POSTURE_INTERFACE,
                                                      property_changes[i].name, c->get[i], d, &c->sent[i]) >= 0;
        r = chair_changes_subscribe(d->core->changes, on_changes, d);
        if (r < 0)
                return log_error_errno(r, "Failed to subscribe %s to the change channel's marks: %m", CHAIR_POSTURE_PATH);
        return 0;
}
