/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "chair-client.h"

/* The bus chairctl talks to: --host through ssh, --address, else the system bus (whose address
 * DBUS_SYSTEM_BUS_ADDRESS overrides). Described in words for the errors. */
void client_describe_bus(const char *address, const char *host, char *buf, size_t size) {
        const char *env = getenv("DBUS_SYSTEM_BUS_ADDRESS");
        if (host)
                snprintf(buf, size, "the system bus of %s (over ssh)", host);
        else if (address)
                snprintf(buf, size, "the bus at %s (--address)", address);
        else if (env && *env)
                snprintf(buf, size, "the system bus at %s (DBUS_SYSTEM_BUS_ADDRESS)", env);
        else
                snprintf(buf, size, "the system bus at unix:path=/run/dbus/system_bus_socket");
}

int client_connect_quiet(const char *address, const char *host, sd_bus **ret) {
        sd_bus *bus = NULL;
        int r;

        if (host)
                r = sd_bus_open_system_remote(&bus, host);
        else if (address) {
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_address(bus, address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, true);
                if (r >= 0)
                        r = sd_bus_start(bus);
        } else
                r = sd_bus_open_system(&bus);
        /* Through ssh the connection is made lazily: wait for the bus's Hello reply, so an
         * unreachable host is a connection error here, not a strange error of the first call. */
        if (r >= 0) {
                const char *unique;
                r = sd_bus_get_unique_name(bus, &unique);
        }
        if (r < 0) {
                sd_bus_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}

int client_connect(const char *address, const char *host, sd_bus **ret) {
        char where[600];
        int r = client_connect_quiet(address, host, ret);
        if (r < 0) {
                client_describe_bus(address, host, where, sizeof where);
                fprintf(stderr, "chairctl: cannot connect to %s: %s.\n%s", where, strerror(-r), CLIENT_CHOOSE_BUS);
                return -EXIT_NOT_RUNNING;
        }
        return 0;
}

static const struct {
        const char *name;
        const char *advice;
        int code;
} advice[] = {
        { CHAIR_ERROR_FAULT_LATCHED, "a technician must check the chair and run 'chairctl clear-fault'", 1 },
        { CHAIR_ERROR_BUSY, "'chairctl stop' ends the session first", 1 },
        { CHAIR_ERROR_UNKNOWN_PROGRAM, "'chairctl list' shows the programs", 1 },
        { CHAIR_ERROR_NOT_RUNNING, "start a program first ('chairctl start PROGRAM')", 1 },
        { CHAIR_ERROR_PRECAUTION,
          "choose another program, or review the declared conditions with 'chairctl precautions'", 1 },
        { CHAIR_ERROR_INVALID_PROFILE, "fix the lines named above and check with 'chairctl profile check FILE'", 1 },
        { CHAIR_ERROR_NOT_PERMITTED, NULL, 1 },
        { CHAIR_ERROR_LIBRARY_FULL, "remove a technician's program from /etc/massagechair/profiles.d first", 1 },
        { CHAIR_ERROR_NOT_CONFIGURED, NULL, EXIT_NOT_CONFIGURED },
        { CHAIR_ERROR_UNKNOWN_PERSON, "'chairctl person list' shows the people", 1 },
        { CHAIR_ERROR_PEOPLE_FULL, "delete a profile first ('chairctl person delete NAME')", 1 },
        { CHAIR_ERROR_NAME_TAKEN, "choose another name ('chairctl person list' shows the names in use)", 1 },
        { CHAIR_ERROR_NOT_OCCUPIED, "sit down first; 'chairctl posture' shows whether the seat feels a person", 1 },
        { "org.freedesktop.DBus.Error.AccessDenied",
          "technician commands need root or membership of the 'chairtech' group", 1 },
        /* chairctl checked the syntax already: this is the daemon refusing a value. */
        { "org.freedesktop.DBus.Error.InvalidArgs", NULL, 1 },
        { "org.freedesktop.DBus.Error.ServiceUnknown",
          "massagechaird is not running (no org.massagechair.Chair1 on this bus)", 3 },
        { "org.freedesktop.DBus.Error.NameHasNoOwner",
          "massagechaird is not running (no org.massagechair.Chair1 on this bus)", 3 },
};

int client_report_error(const sd_bus_error *error, int r) {
        if (error && sd_bus_error_is_set(error)) {
                for (size_t i = 0; i < sizeof advice / sizeof advice[0]; i++)
                        if (strcmp(error->name, advice[i].name) == 0) {
                                if (advice[i].code == EXIT_NOT_RUNNING)
                                        fprintf(stderr, "chairctl: %s.\n", advice[i].advice);
                                else if (advice[i].advice)
                                        fprintf(stderr, "chairctl: %s: %s.\n", error->message, advice[i].advice);
                                else
                                        fprintf(stderr, "chairctl: %s.\n", error->message);
                                return advice[i].code;
                        }
                fprintf(stderr, "chairctl: %s (%s).\n", error->message ? error->message : "failed", error->name);
                return EXIT_CALL_FAILED;
        }
        fprintf(stderr, "chairctl: %s.\n", strerror(r < 0 ? -r : r));
        return EXIT_CALL_FAILED;
}

int client_call(sd_bus *bus, const char *interface, const char *method, sd_bus_message **ret_reply,
                const char *types, ...) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        va_list ap;
        int r;

        va_start(ap, types);
        r = sd_bus_call_methodv(bus, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, interface, method, &error, ret_reply, types, ap);
        va_end(ap);
        if (r < 0) {
                r = client_report_error(&error, r);
                sd_bus_error_free(&error);
                return r;
        }
        return 0;
}

static int read_strv_into(sd_bus_message *m, char (*out)[16], unsigned max, unsigned *n) {
        const char *s;
        int r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return r;
        *n = 0;
        while ((r = sd_bus_message_read(m, "s", &s)) > 0)
                if (*n < max)
                        snprintf(out[(*n)++], 16, "%s", s);
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int client_get_precautions(sd_bus *bus, struct chair_status *st);

int client_get_status(sd_bus *bus, struct chair_status *st, sd_bus_error *error) {
        sd_bus_message *reply = NULL;
        int r;

        memset(st, 0, sizeof *st);
        r = sd_bus_call_method(bus, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, "org.freedesktop.DBus.Properties", "GetAll",
                               error, &reply, "s", CHAIR_INTERFACE);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key, *s;
                r = sd_bus_message_read(reply, "s", &key);
                if (r < 0)
                        break;
#define STR(name, field)                                                                        \
        if (strcmp(key, name) == 0) {                                                           \
                r = sd_bus_message_read(reply, "v", "s", &s);                                   \
                if (r >= 0)                                                                     \
                        snprintf(st->field, sizeof st->field, "%s", s);                         \
        } else
#define NUM(name, sig, field)                                                                   \
        if (strcmp(key, name) == 0)                                                             \
                r = sd_bus_message_read(reply, "v", sig, &st->field);                           \
        else
                STR("State", state)
                STR("Program", program)
                STR("Step", step)
                STR("Technique", technique)
                STR("SelectedProgram", selected)
                STR("Width", width)
                STR("Fault", fault)
                STR("FaultMessage", fault_message)
                STR("Model", model)
                NUM("Remaining", "u", remaining)
                NUM("Duration", "u", duration)
                NUM("Intensity", "u", intensity)
                NUM("Speed", "u", speed)
                NUM("Depth", "u", depth)
                NUM("AirIntensity", "u", air_intensity)
                NUM("Timer", "u", timer)
                NUM("ShoulderPosition", "i", shoulder)
                NUM("RollerPosition", "i", roller)
                NUM("SessionId", "t", session_id)
                if (strcmp(key, "ChildLock") == 0) {
                        int b;
                        r = sd_bus_message_read(reply, "v", "b", &b);
                        st->child_lock = b;
                } else if (strcmp(key, "AirZones") == 0 || strcmp(key, "ActiveAirZones") == 0) {
                        bool active = key[0] == 'A' && key[1] == 'c';
                        r = sd_bus_message_enter_container(reply, 'v', "as");
                        if (r >= 0)
                                r = read_strv_into(reply, active ? st->active_air : st->air_zones, 8,
                                                   active ? &st->n_active_air : &st->n_air_zones);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                } else if (strcmp(key, "HeatLevels") == 0) {
                        const char *z;
                        uint32_t level;
                        r = sd_bus_message_enter_container(reply, 'v', "a{su}");
                        if (r >= 0)
                                r = sd_bus_message_enter_container(reply, 'a', "{su}");
                        while (r >= 0 && (r = sd_bus_message_read(reply, "{su}", &z, &level)) > 0)
                                if (st->n_heat < 4) {
                                        snprintf(st->heat[st->n_heat].zone, 16, "%s", z);
                                        st->heat[st->n_heat++].level = level;
                                }
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                } else if (strcmp(key, "Temperatures") == 0) {
                        const char *z;
                        double t;
                        r = sd_bus_message_enter_container(reply, 'v', "a{sd}");
                        if (r >= 0)
                                r = sd_bus_message_enter_container(reply, 'a', "{sd}");
                        while (r >= 0 && (r = sd_bus_message_read(reply, "{sd}", &z, &t)) > 0)
                                for (unsigned i = 0; i < st->n_heat; i++)
                                        if (strcmp(st->heat[i].zone, z) == 0) {
                                                st->heat[i].temp = t;
                                                st->heat[i].has_temp = true;
                                        }
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                } else if (strcmp(key, "HeatDose") == 0) {
                        const char *z;
                        uint32_t dose, limit, resume;
                        int32_t threshold;
                        int limited;
                        r = sd_bus_message_enter_container(reply, 'v', "a{s(uuuib)}");
                        if (r >= 0)
                                r = sd_bus_message_enter_container(reply, 'a', "{s(uuuib)}");
                        while (r >= 0 && (r = sd_bus_message_read(reply, "{s(uuuib)}", &z, &dose, &limit, &resume,
                                                                  &threshold, &limited)) > 0)
                                for (unsigned i = 0; i < st->n_heat; i++)
                                        if (strcmp(st->heat[i].zone, z) == 0) {
                                                st->heat[i].dose_s = dose;
                                                st->heat[i].limit_s = limit;
                                                st->heat[i].resume_s = resume;
                                                st->heat[i].threshold_decic = threshold;
                                                st->heat[i].limited = limited;
                                                st->heat[i].has_dose = true;
                                        }
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                } else {
                        r = sd_bus_message_skip(reply, "v");
                }
#undef STR
#undef NUM
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        reply = sd_bus_message_unref(reply);
        return r < 0 ? r : client_get_precautions(bus, st);
}

/* The active person's conditions: health data, not in GetAll; a caller not authorized for
 * read-health is told they are hidden, never that none are declared. */
static int client_get_precautions(sd_bus *bus, struct chair_status *st) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *s;
        int r;

        r = sd_bus_get_property(bus, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, CHAIR_INTERFACE, "Precautions", &error, &reply, "as");
        st->precautions_hidden = r < 0;
        sd_bus_error_free(&error);
        if (r < 0)
                return 0;
        r = sd_bus_message_enter_container(reply, 'a', "s");
        while (r >= 0 && (r = sd_bus_message_read(reply, "s", &s)) > 0)
                if (st->n_precautions < 32)
                        snprintf(st->precautions[st->n_precautions++], 40, "%s", s);
        sd_bus_message_unref(reply);
        return r < 0 ? r : 0;
}

bool client_read_diagnostics(sd_bus *bus, client_diagnostic_fn fn, void *userdata) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r;

        if (!bus)
                return false;
        r = sd_bus_call_method(bus, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, CHAIR_SERVICE_INTERFACE, "GetDiagnostics", &error,
                               &reply, NULL);
        sd_bus_error_free(&error);
        if (r < 0)
                return false;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key, *contents;
                char type;
                int64_t x;
                if (sd_bus_message_read(reply, "s", &key) < 0 || sd_bus_message_peek_type(reply, &type, &contents) < 0)
                        break;
                if (contents && strcmp(contents, "x") == 0 && sd_bus_message_read(reply, "v", "x", &x) >= 0)
                        fn(userdata, key, x);
                else if (sd_bus_message_skip(reply, "v") < 0)
                        break;
                if (sd_bus_message_exit_container(reply) < 0)
                        break;
        }
        sd_bus_message_unref(reply);
        return r >= 0;
}
