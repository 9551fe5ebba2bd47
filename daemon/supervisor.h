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

#include "fault-codes.h"
#include "log.h"

struct chair_core;
struct supervisor;

/* MESSAGE_ID of fault journal entries (journalctl MESSAGE_ID=...). */
#define CHAIR_MESSAGE_FAULT "3f0cbb8a4c2b4a6e9d1e62a0c1b7f5d2"

int supervisor_new(struct chair_core *d, struct supervisor **ret);
void supervisor_free(struct supervisor *sup);

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
