/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "chair-bus-names.h"
#include "bus-state.h"
#include "daemon-context.h"
#include "log.h"
#include "unconfigured-object.h"

void unconfigured_message(const char *config_path, char *buf, size_t size) {
        snprintf(buf, size,
                 "no hardware map at %s; see chair.conf(5): copy %s/reference-chair.conf there and edit it, "
                 "check it with 'massagechaird --check-config %s', then 'systemctl restart massagechaird' "
                 "(or try the daemon with 'massagechaird --simulate')",
                 config_path, MCD_EXAMPLES_DIR, config_path);
}

static int property_string(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        char message[1024];

        if (strcmp(property, "State") == 0)
                return sd_bus_message_append(reply, "s", "unconfigured");
        if (strcmp(property, "FaultMessage") == 0) {
                unconfigured_message(d->options.config_path, message, sizeof message);
                return sd_bus_message_append(reply, "s", message);
        }
        return sd_bus_message_append(reply, "s", ""); /* Program, Fault, Model */
}

static int property_zero(sd_bus *bus, const char *path, const char *interface, const char *property,
                         sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "u", 0);
}

/* Every call of our interfaces but the properties': nothing can be done without the chair. */
static int filter(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct chair_daemon *d = userdata;
        const char *interface = sd_bus_message_get_interface(m);
        char message[1024];

        if (sd_bus_message_is_method_call(m, NULL, NULL) <= 0 || !interface ||
            (strcmp(interface, CHAIR_INTERFACE) != 0 && strcmp(interface, CHAIR_SERVICE_INTERFACE) != 0))
                return 0;
        unconfigured_message(d->options.config_path, message, sizeof message);
        (void) sd_bus_reply_method_errorf(m, CHAIR_ERROR_NOT_CONFIGURED, "This chair is not configured: %s", message);
        return 1;
}

static const sd_bus_vtable unconfigured_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("State", "s", property_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Program", "s", property_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Remaining", "u", property_zero, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Fault", "s", property_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("FaultMessage", "s", property_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Model", "s", property_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_VTABLE_END
};

int unconfigured_bus_open(struct chair_daemon *d, struct chair_bus **ret) {
        struct chair_bus *b = calloc(1, sizeof *b);
        int r;

        if (!b)
                return -ENOMEM;
        *ret = b;
        r = sd_bus_open_system(&b->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        /* Floating slots: they go with the bus (chair_bus_free). */
        r = sd_bus_add_object_vtable(b->bus, NULL, CHAIR_OBJECT_PATH, CHAIR_INTERFACE, unconfigured_vtable, d);
        if (r >= 0)
                r = sd_bus_add_filter(b->bus, NULL, filter, d);
        if (r < 0)
                return log_error_errno(r, "Failed to register %s: %m", CHAIR_OBJECT_PATH);
        r = sd_bus_attach_event(b->bus, d->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        r = sd_bus_request_name(b->bus, CHAIR_BUS_NAME, 0);
        if (r == -EEXIST || r == -EALREADY)
                return log_error_errno(r, "The bus name %s is already owned: is another massagechaird running?",
                                       CHAIR_BUS_NAME);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire the bus name %s: %m", CHAIR_BUS_NAME);
        return 0;
}
