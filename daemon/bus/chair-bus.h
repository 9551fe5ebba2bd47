/* SPDX-License-Identifier: MIT */
/*
 * The D-Bus layer: the connection, the objects on it, and what only they need (their timers,
 * the values last announced). It subscribes to the core's change channel and turns marks into
 * PropertiesChanged and events into signals; the core never sees it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

struct chair_daemon;

struct chair_bus {
        sd_bus *bus;
        sd_bus_slot *chair_slot;
        sd_bus_slot *service_slot;
        sd_event_source *roller_tick;      /* RollerPosition and ActiveAirZones at most 10 Hz */
        sd_event_source *sim_key_release;  /* Service.PressKey lets go of the simulated key */
        struct chair_object_cache *cache;  /* what was last announced (chair-object.c) */
        struct bus_polkit *polkit;         /* pending authorizations (bus-polkit.c) */
};

/* Connects to the system bus, registers the objects, takes the name. */
int chair_bus_open(struct chair_daemon *d, struct chair_bus **ret);
struct chair_bus *chair_bus_free(struct chair_bus *b);
