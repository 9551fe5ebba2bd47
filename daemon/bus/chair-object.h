/* SPDX-License-Identifier: MIT */
/* The object /org/massagechair/Chair1, interface org.massagechair.Chair1 (docs/dbus-api.md). */
#pragma once

struct chair_daemon;
struct chair_bus;
struct chair_object_cache;

/* Registers the object and subscribes it to the change channel. */
int chair_object_register(struct chair_daemon *d, struct chair_bus *b);
/* Starts the coalesced RollerPosition announcements while a session is active. */
void chair_object_session_active(struct chair_daemon *d);
void chair_object_cache_free(struct chair_object_cache *c);
