/* SPDX-License-Identifier: MIT */
/*
 * Every fault the daemon can raise, in one table: its code (the Fault property, FaultRaised,
 * the fault history, the journal's FAULT= field) and its number on the panel's display (E01...).
 * Append only: a number never changes its meaning (service manuals and technicians rely on
 * them; docs/panel.md lists them and a test checks it against this table).
 */
#pragma once

#include "vocab.h"

enum chair_fault {
        CHAIR_FAULT_NONE,                 /* 0: no fault */
        CHAIR_FAULT_EMERGENCY_STOP,       /* E01 */
        CHAIR_FAULT_SESSION_TOO_LONG,
        CHAIR_FAULT_HEATER_OVER_TEMPERATURE,
        CHAIR_FAULT_THERMISTOR_OPEN,
        CHAIR_FAULT_THERMISTOR_SHORT,
        CHAIR_FAULT_HEAT_NOT_RISING,
        CHAIR_FAULT_AIR_OVER_PRESSURE,
        CHAIR_FAULT_AIR_INFLATION_TOO_LONG,
        CHAIR_FAULT_TRAVEL_TIMEOUT,
        CHAIR_FAULT_ENCODER_LOST,         /* E10 */
        CHAIR_FAULT_ENCODER_SPURIOUS,
        CHAIR_FAULT_LIMITS_BOTH,
        CHAIR_FAULT_MOTOR_OVERCURRENT,
        CHAIR_FAULT_SUPPLY_VOLTAGE,
        CHAIR_FAULT_MODBUS_LINK_LOST,
        CHAIR_FAULT_MODBUS_ERROR_STORM,
        CHAIR_FAULT_DEADLINE_MISSED,
        CHAIR_FAULT_QUEUE_FULL,
        CHAIR_FAULT_OUTPUT_MAX_ON_TIME,
        CHAIR_FAULT_OUTPUT_ERROR,         /* E20 */
        CHAIR_FAULT_SCHEDULER_STALLED,
        CHAIR_FAULT_HEARTBEAT_TRIPPED,
        CHAIR_FAULT_SENSOR_OUT_OF_RANGE,
        CHAIR_FAULT_STOP_INPUT,
        /* An obstruction stopped and released a posture axis (docs/posture.md): only a
         * technician's clear ends it, never the person in the chair. */
        CHAIR_FAULT_RECLINE_PINCH,        /* E25 */
        CHAIR_FAULT_LEGREST_PINCH,        /* the leg rest's lift or extension */
        CHAIR_FAULT_SEAT_SLIDE_PINCH,
        _CHAIR_FAULT_MAX,
};

/* A code no table entry has (a history written by another version) shows as this number. */
#define CHAIR_FAULT_NUMBER_UNKNOWN 99

/* Both lookups: the code's name ("" for none), and the fault a name means (-EINVAL when none). */
DECLARE_STRING_TABLE_LOOKUP(chair_fault, enum chair_fault);
/* The display's number of a code as stored: 0 for none, CHAIR_FAULT_NUMBER_UNKNOWN for one this
 * table does not know. */
unsigned chair_fault_number(const char *code);
