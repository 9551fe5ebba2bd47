/* SPDX-License-Identifier: MIT */
/* The object /org/massagechair/Chair1, interface org.massagechair.Chair1 (docs/dbus-api.md). */
#pragma once

struct chair_daemon;

int chair_object_register(struct chair_daemon *d);
/* Starts the coalesced RollerPosition announcements while a session is active. */
void chair_object_session_active(struct chair_daemon *d);
/* Emits PropertiesChanged for the named properties (NULL-terminated). */
int chair_object_emit_changed(struct chair_daemon *d, const char *first, ...);
