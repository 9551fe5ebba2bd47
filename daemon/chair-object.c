/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <systemd/sd-bus.h>

#include "chair-object.h"
#include "daemon.h"
#include "log.h"

static int property_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        return sd_bus_message_append(reply, "s", d->state);
}

static int property_model(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        return sd_bus_message_append(reply, "s", d->map.model);
}

static const sd_bus_vtable chair_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("State", "s", property_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Model", "s", property_model, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_VTABLE_END
};

int chair_object_register(struct chair_daemon *d) {
        int r = sd_bus_add_object_vtable(d->bus, &d->chair_slot, CHAIR_OBJECT_PATH, CHAIR_INTERFACE,
                                         chair_vtable, d);
        if (r < 0)
                return log_error_errno(r, "Failed to register %s: %m", CHAIR_OBJECT_PATH);
        return 0;
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
        return sd_bus_emit_properties_changed_strv(d->bus, CHAIR_OBJECT_PATH, CHAIR_INTERFACE, names);
}
