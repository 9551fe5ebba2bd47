/* SPDX-License-Identifier: MIT */
/* chairctl's view of the daemon: the D-Bus connection, calls with helpful errors, and the
 * state read from the properties in one GetAll. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "chair-bus-names.h"

/* Exit codes: what the user should do next differs for each. */
enum {
        EXIT_OK = 0,
        EXIT_CALL_FAILED = 1,
        EXIT_USAGE = 2,
        EXIT_NOT_RUNNING = 3,
        EXIT_NOT_CONFIGURED = 4, /* the daemon runs, but the chair has no hardware map */
};

struct chair_status {
        char state[16], program[80], selected[80], width[16], fault[48], fault_message[1024], model[80];
        char step[40], technique[24];   /* the step running and its technique ("" none) */
        uint32_t remaining, duration, intensity, speed, depth, air_intensity, timer;
        int32_t shoulder, roller;
        uint64_t session_id;
        bool child_lock;
        char air_zones[8][16], active_air[8][16];
        unsigned n_air_zones, n_active_air;
        struct {
                char zone[16];
                uint32_t level;
                double temp;
                bool has_temp;
                /* Chair1.HeatDose: seconds, the threshold in 0.1 degC; limited: off for its dose */
                uint32_t dose_s, limit_s, resume_s;
                int32_t threshold_decic;
                bool has_dose, limited;
        } heat[4];
        unsigned n_heat;
        char precautions[32][40];
        unsigned n_precautions;
        bool precautions_hidden;  /* not authorized for read-health (the list is health data) */
};

/* Service.GetDiagnostics (technicians and the simulated chair): fn sees every integer entry.
 * False when it could not be read. */
typedef void (*client_diagnostic_fn)(void *userdata, const char *key, int64_t value);
bool client_read_diagnostics(sd_bus *bus, client_diagnostic_fn fn, void *userdata);

/* How to choose another bus: printed whenever the daemon is not found. */
#define CLIENT_CHOOSE_BUS                                                                          \
        "chairctl: choose the bus with --address=ADDRESS (scripts/demo.sh prints its own), "      \
        "DBUS_SYSTEM_BUS_ADDRESS, or -H [USER@]HOST for another machine; on a chair, "            \
        "'systemctl start massagechaird' starts the daemon.\n"

/* Connects to --host over ssh, to --address, else to the system bus (DBUS_SYSTEM_BUS_ADDRESS
 * honoured); on failure says which bus it tried and returns -EXIT_NOT_RUNNING. */
int client_connect(const char *address, const char *host, sd_bus **ret);
/* The same without a word on failure: a negative errno. */
int client_connect_quiet(const char *address, const char *host, sd_bus **ret);
void client_describe_bus(const char *address, const char *host, char *buf, size_t size);
/* Prints a sentence that tells the user what to do and returns the exit code to use. */
int client_report_error(const sd_bus_error *error, int r);
/* Calls a method on the chair's object; on failure reports it and returns the exit code to use
 * (> 0), else 0 with the reply in *ret_reply. */
int client_call(sd_bus *bus, const char *interface, const char *method, sd_bus_message **ret_reply,
                const char *types, ...);
int client_get_status(sd_bus *bus, struct chair_status *ret, sd_bus_error *error);
