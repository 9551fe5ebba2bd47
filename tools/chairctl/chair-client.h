/* SPDX-License-Identifier: MIT */
/* chairctl's view of the daemon: the D-Bus connection, calls with helpful errors, and the
 * state read from the properties in one GetAll. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#define CHAIR_BUS_NAME "org.massagechair.Chair1"
#define CHAIR_OBJECT_PATH "/org/massagechair/Chair1"
#define CHAIR_INTERFACE "org.massagechair.Chair1"
#define CHAIR_SERVICE_INTERFACE "org.massagechair.Chair1.Service"

/* Exit codes: what the user should do next differs for each. */
enum {
        EXIT_OK = 0,
        EXIT_CALL_FAILED = 1,
        EXIT_USAGE = 2,
        EXIT_NOT_RUNNING = 3,
};

struct chair_status {
        char state[16], program[80], width[16], fault[48], fault_message[256], model[80];
        uint32_t remaining, duration, intensity, speed, depth, air_intensity, timer;
        int32_t shoulder, roller;
        uint64_t session_id;
        bool child_lock;
        char air_zones[8][16], active_air[8][16];
        unsigned n_air_zones, n_active_air;
        struct { char zone[16]; uint32_t level; double temp; bool has_temp; } heat[4];
        unsigned n_heat;
        char precautions[32][40];
        unsigned n_precautions;
};

/* Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS honoured). */
int client_connect(sd_bus **ret);
/* Prints a sentence that tells the user what to do and returns the exit code to use. */
int client_report_error(const sd_bus_error *error, int r);
/* Calls a method on the chair's object; on failure reports it and returns the exit code to use
 * (> 0), else 0 with the reply in *ret_reply. */
int client_call(sd_bus *bus, const char *interface, const char *method, sd_bus_message **ret_reply,
                const char *types, ...);
int client_get_status(sd_bus *bus, struct chair_status *ret, sd_bus_error *error);
