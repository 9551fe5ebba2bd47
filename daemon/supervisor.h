/* SPDX-License-Identifier: MIT */
/*
 * The safety supervisor: watches every input and the outputs' on-times, and wins every
 * conflict. Any fault takes one path (supervisor_trip): every output to its safe value through
 * the router's gate, the scheduler aborted, the fault latched with its reason, a FaultRaised
 * signal, a journal entry with a MESSAGE_ID, a record in the fault history. The daemon stays up.
 *
 * It wakes on input changes and on its check: every 100 ms while anything is active, every 2 s at
 * rest (the checks that make sense there). Each run renews the board heartbeat's lease, so a
 * stalled event loop lets the board switch itself off. The stop inputs were already made safe by
 * the driver's thread (chair_hw_stop_input); the supervisor latches and reports them.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "chair-io.h"
#include "fault-codes.h"
#include "log.h"

struct chair_core;
struct person;
struct supervisor;

/* MESSAGE_ID of fault journal entries (journalctl MESSAGE_ID=...). */
#define CHAIR_MESSAGE_FAULT "3f0cbb8a4c2b4a6e9d1e62a0c1b7f5d2"

int supervisor_new(struct chair_core *d, struct supervisor **ret);
void supervisor_free(struct supervisor *sup);
/* What the supervisor asks of the session (core.c wires it; the session calls the supervisor,
 * so the supervisor does not include the session): whether one is active, and for how long.
 * Unwired: none is. */
struct supervisor_session_probe {
        bool (*active)(void *userdata);
        uint64_t (*elapsed_usec)(void *userdata);
        void *userdata;
};
void supervisor_set_session_probe(struct supervisor *sup, const struct supervisor_session_probe *probe);

/* Returns -ECANCELED so callers can "return supervisor_trip(...)". */
_printf_(3, 4) int supervisor_trip(struct supervisor *sup, enum chair_fault fault, const char *fmt, ...);
/* -EPERM when only a power cycle clears, -EBUSY while the cause persists; the reason says why. */
int supervisor_clear(struct supervisor *sup, const char *how, char *ret_reason, size_t reason_size);
/* A fault latched before the daemon (re)started is latched again: a restart is not a clear. */
void supervisor_restore_latch(struct supervisor *sup);
bool supervisor_latched(struct supervisor *sup);
const char *supervisor_fault_code(struct supervisor *sup);
/* For the emergency-stop benchmark: the tripping input's timestamp and when go_safe returned
 * (CLOCK_MONOTONIC ns). */
void supervisor_trip_times(struct supervisor *sup, uint64_t *ret_input_ns, uint64_t *ret_safe_ns);
const char *supervisor_fault_message(struct supervisor *sup);
/* Starts or stops the periodic checks as the session becomes active or idle. */
void supervisor_update_activity(struct supervisor *sup);
/* Progress for the watchdog: checks ran since the last call, or nothing needed checking. */
bool supervisor_progressed(struct supervisor *sup);

/* The heat dose (docs/architecture.md "Heat dose"): per heat zone, the seconds its sensor read
 * at or above the threshold, decaying at the same rate while below it (never below 0). At the
 * limit the zone's element is shut behind the router's gate (chair_hw_block_output; not a
 * fault, nothing latches) until the dose has decayed to the resume level; each change of that,
 * of the limit, and of the dose by HEAT_DOSE_REPORT_S marks CHAIR_CHANGE_HEAT_DOSE. The dose is
 * the chair's, not the session's or the person's: stopping, restarting or switching person
 * does not reset it, only the time below the threshold does. */
#define HEAT_DOSE_REPORT_S 10
struct heat_dose_zone_limit {
        int32_t threshold_decic;   /* 0.1 degC: the dose counts at or above it */
        uint32_t limit_s;          /* the heat goes off at this dose; 0: no heat at all */
        uint32_t resume_s;         /* and may come back once the dose is at most this */
};
struct heat_dose_limit {
        struct heat_dose_zone_limit zone[_CHAIR_HEAT_ZONE_MAX];
};
struct heat_dose_status {
        uint32_t dose_s, limit_s, resume_s;
        int32_t threshold_decic;
        bool limited;              /* the zone's heat is off until the dose is at most resume_s */
};
/* The chair's own limit: the built-in table (lumbar 43 degC for 20 minutes, calves 43 degC for
 * 15 minutes, resume at half the limit). */
void heat_dose_limit_default(struct heat_dose_limit *ret);
/* The chair's limit lowered for a person: by the conditions' share (precautions_heat_dose_pct:
 * none with one that forbids heat) and by their heat cap (0: none, 1: half, 2: three
 * quarters, 3: the chair's), the lower of the two; NULL: the chair's. */
void heat_dose_limit_for_person(const struct person *p, struct heat_dose_limit *ret);
/* Takes effect at once: a dose already at the new limit shuts that zone's heat now. */
void supervisor_set_heat_dose_limit(struct supervisor *sup, const struct heat_dose_limit *limit);
int supervisor_heat_dose(struct supervisor *sup, enum chair_heat_zone z, struct heat_dose_status *ret);
