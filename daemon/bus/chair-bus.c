/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "bus-polkit.h"
#include "chair-bus-names.h"
#include "chair-bus.h"
#include "chair-object.h"
#include "daemon-context.h"
#include "log.h"
#include "people-object.h"
#include "person-object.h"
#include "posture-object.h"
#include "service-object.h"

int chair_bus_open(struct chair_daemon *d, struct chair_bus **ret) {
        struct chair_bus *b = calloc(1, sizeof *b);
        int r;

        if (!b)
                return -ENOMEM;
        *ret = b;
        r = sd_bus_open_system(&b->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        r = chair_object_register(d, b); /* each logs its own failure */
        if (r < 0)
                return r;
        r = service_object_register(d, b);
        if (r < 0)
                return r;
        r = people_object_register(d, b);
        if (r < 0)
                return r;
        r = person_object_register(d, b);
        if (r < 0)
                return r;
        r = posture_object_register(d, b);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(b->bus, d->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        r = bus_polkit_new(b->bus, &b->polkit);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the authorization checks: %m");

        /* Synchronously, so a second instance fails here with a clear message. */
        r = sd_bus_request_name(b->bus, CHAIR_BUS_NAME, 0);
        if (r == -EEXIST || r == -EALREADY)
                return log_error_errno(r, "The bus name %s is already owned: is another massagechaird running?",
                                       CHAIR_BUS_NAME);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire the bus name %s: %m", CHAIR_BUS_NAME);
        return 0;
}

struct chair_bus *chair_bus_free(struct chair_bus *b) {
        if (!b)
                return NULL;
        sd_event_source_disable_unref(b->roller_tick);
        sd_event_source_disable_unref(b->sim_key_release);
        sd_bus_slot_unref(b->chair_slot);
        sd_bus_slot_unref(b->service_slot);
        sd_bus_slot_unref(b->people_slot);
        sd_bus_slot_unref(b->people_manager_slot);
        sd_bus_slot_unref(b->person_slot);
        sd_bus_slot_unref(b->person_enumerator_slot);
        sd_bus_slot_unref(b->posture_slot);
        posture_object_cache_free(b->posture_cache); /* its caller's tracking holds the bus */
        /* Before the bus goes: its pending calls hold the bus. */
        b->polkit = bus_polkit_free(b->polkit);
        if (b->bus)
                sd_bus_flush_close_unref(b->bus);
        chair_object_cache_free(b->cache);
        people_object_cache_free(b->people_cache);
        person_object_cache_free(b->person_cache);
        free(b);
        return NULL;
}
