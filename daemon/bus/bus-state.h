/* SPDX-License-Identifier: MIT */
/*
 * What the D-Bus objects share: the connection, their slots and timers, the values last
 * announced, the pending authorizations. Its own header, so the objects (chair-object.c,
 * service-object.c, unconfigured-object.c) see it without including chair-bus.h, which
 * registers them (no include cycle between the connection and its objects).
 */
#pragma once

#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

struct chair_bus {
        sd_bus *bus;
        sd_bus_slot *chair_slot;
        sd_bus_slot *service_slot;
        sd_event_source *roller_tick;      /* RollerPosition and ActiveAirZones at most 10 Hz */
        sd_event_source *sim_key_release;  /* Service.PressKey lets go of the simulated key */
        struct chair_object_cache *cache;  /* what was last announced (chair-object.c) */
        struct bus_polkit *polkit;         /* pending authorizations (bus-polkit.c) */
        /* The people (people-object.c) and each person's object (person-object.c). */
        sd_bus_slot *people_slot, *people_manager_slot, *person_slot, *person_enumerator_slot;
        struct people_object_cache *people_cache;
        struct person_object_cache *person_cache;
        /* The id of a person just deleted while InterfacesRemoved is built for it, or -1. */
        int64_t person_removing;
        /* The posture (posture-object.c): its object, what it announced, its caller and tick. */
        sd_bus_slot *posture_slot;
        struct posture_object_cache *posture_cache;
};
