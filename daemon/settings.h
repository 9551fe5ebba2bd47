/* SPDX-License-Identifier: MIT */
/*
 * The person's settings, one owner: the declared conditions (precautions), the child lock and
 * the technician's default auto-off timer. One setter each, for the panel, the bus layer and
 * the session alike: it checks, stores, logs, marks the change and tells the one listener the
 * composition wires (the session follows the conditions and the timer).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "chair-error.h"

struct chair_changes;
struct chair_settings;
struct state_store;

enum chair_setting {
        CHAIR_SETTING_PRECAUTIONS,
        CHAIR_SETTING_CHILD_LOCK,
        CHAIR_SETTING_DEFAULT_TIMER,
};

typedef void (*chair_settings_fn)(enum chair_setting what, void *userdata);

/* Loads what the store holds; a stored condition this daemon does not know fails closed
 * (sessions refused until the conditions are declared again). fallback_timer_min is the
 * hardware map's default when the store has none. */
int chair_settings_new(struct state_store *store, const char *state_dir, struct chair_changes *changes,
                       uint32_t fallback_timer_min, struct chair_settings **ret);
struct chair_settings *chair_settings_free(struct chair_settings *s);
void chair_settings_listen(struct chair_settings *s, chair_settings_fn fn, void *userdata);

/* NULL-terminated, never NULL. */
const char *const *chair_settings_precautions(struct chair_settings *s);
/* The stored list could not be read back: sessions are refused. */
bool chair_settings_precautions_unreadable(struct chair_settings *s);
bool chair_settings_child_lock(struct chair_settings *s);
uint32_t chair_settings_default_timer(struct chair_settings *s);

/* Checks and stores the NULL-terminated list first, and only then takes ownership of it,
 * announces it and tells the listener (a session the list refuses ends). On error (-EINVAL an
 * unknown name, -ENOBUFS too long for the store, or the write's error) nothing changes and the
 * list stays the caller's. */
int chair_settings_set_precautions(struct chair_settings *s, char **list);
/* Stored, logged (saying from where: "from the panel", "over D-Bus") and announced. */
void chair_settings_set_child_lock(struct chair_settings *s, bool on, const char *from);
/* Stored first (-EINVAL a value not on the timer's list), then the session follows it. */
int chair_settings_set_default_timer(struct chair_settings *s, uint32_t minutes, struct chair_error *error);
