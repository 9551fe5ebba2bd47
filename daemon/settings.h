/* SPDX-License-Identifier: MIT */
/*
 * The settings the core acts on, one door: the active person's declared conditions and caps
 * (people.h keeps them per person; these answer for whoever is active), the chair-wide child
 * lock and the technician's default auto-off timer (state-store's `settings`). One setter each,
 * for the panel, the bus layer and the session alike: it checks, stores, logs, marks the change
 * and tells the one listener the composition wires (the session follows the conditions, the
 * timer and another person's selection).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "chair-error.h"

struct chair_changes;
struct chair_settings;
struct people;
struct precaution_declared;
struct state_store;

enum chair_setting {
        CHAIR_SETTING_PRECAUTIONS,    /* the active person's conditions or caps */
        CHAIR_SETTING_CHILD_LOCK,
        CHAIR_SETTING_DEFAULT_TIMER,  /* the timer a session starts with (chair_settings_timer) */
        CHAIR_SETTING_PERSON,         /* another person is active (all of the above may differ), or
                                       * the active person's own timer changed: for the next session */
};

typedef void (*chair_settings_fn)(enum chair_setting what, void *userdata);

/* Loads the chair-wide settings the store holds and follows PEOPLE's active person (a stored
 * condition this daemon does not know fails closed there: sessions refused until the conditions
 * are declared again). fallback_timer_min is the hardware map's default when the store has none. */
int chair_settings_new(struct state_store *store, struct people *people, struct chair_changes *changes,
                       uint32_t fallback_timer_min, struct chair_settings **ret);
struct chair_settings *chair_settings_free(struct chair_settings *s);
void chair_settings_listen(struct chair_settings *s, chair_settings_fn fn, void *userdata);

/* The active person's conditions: NULL-terminated, never NULL. */
const char *const *chair_settings_precautions(struct chair_settings *s);
/* Their stored list could not be read back: sessions are refused. */
bool chair_settings_precautions_unreadable(struct chair_settings *s);
/* What the precaution gate is handed on every path that moves an actuator: the active person's
 * conditions (valid until they change) and their intensity and heat caps. */
void chair_settings_declared(struct chair_settings *s, struct precaution_declared *ret);
bool chair_settings_child_lock(struct chair_settings *s);
/* The technician's default, chair-wide. */
uint32_t chair_settings_default_timer(struct chair_settings *s);
/* The timer the active person's session starts with: their own, or the chair's default. */
uint32_t chair_settings_timer(struct chair_settings *s);

/* The active person's conditions: checks and stores the NULL-terminated list first, and only
 * then takes ownership of it, announces it and tells the listener (a session the list refuses
 * ends). On error (-EINVAL an unknown name or too many, or the write's error) nothing changes and
 * the list stays the caller's. */
int chair_settings_set_precautions(struct chair_settings *s, char **list);
/* Stored, logged (saying from where: "from the panel", "over D-Bus") and announced. */
void chair_settings_set_child_lock(struct chair_settings *s, bool on, const char *from);
/* Stored first (-EINVAL a value not on the timer's list), then the session follows it. */
int chair_settings_set_default_timer(struct chair_settings *s, uint32_t minutes, struct chair_error *error);
