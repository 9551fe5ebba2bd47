/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "fault-codes.h"
#include "vocab.h"

/* The index is the display number (fault-codes.h: append only). */
static const char *const fault_table[_CHAIR_FAULT_MAX] = {
        [CHAIR_FAULT_NONE] = "",
        [CHAIR_FAULT_EMERGENCY_STOP] = "emergency-stop",
        [CHAIR_FAULT_SESSION_TOO_LONG] = "session-too-long",
        [CHAIR_FAULT_HEATER_OVER_TEMPERATURE] = "heater-over-temperature",
        [CHAIR_FAULT_THERMISTOR_OPEN] = "thermistor-open",
        [CHAIR_FAULT_THERMISTOR_SHORT] = "thermistor-short",
        [CHAIR_FAULT_HEAT_NOT_RISING] = "heat-not-rising",
        [CHAIR_FAULT_AIR_OVER_PRESSURE] = "air-over-pressure",
        [CHAIR_FAULT_AIR_INFLATION_TOO_LONG] = "air-inflation-too-long",
        [CHAIR_FAULT_TRAVEL_TIMEOUT] = "travel-timeout",
        [CHAIR_FAULT_ENCODER_LOST] = "encoder-lost",
        [CHAIR_FAULT_ENCODER_SPURIOUS] = "encoder-spurious",
        [CHAIR_FAULT_LIMITS_BOTH] = "limits-both",
        [CHAIR_FAULT_MOTOR_OVERCURRENT] = "motor-overcurrent",
        [CHAIR_FAULT_SUPPLY_VOLTAGE] = "supply-voltage",
        [CHAIR_FAULT_MODBUS_LINK_LOST] = "modbus-link-lost",
        [CHAIR_FAULT_MODBUS_ERROR_STORM] = "modbus-error-storm",
        [CHAIR_FAULT_DEADLINE_MISSED] = "deadline-missed",
        [CHAIR_FAULT_QUEUE_FULL] = "queue-full",
        [CHAIR_FAULT_OUTPUT_MAX_ON_TIME] = "output-max-on-time",
        [CHAIR_FAULT_OUTPUT_ERROR] = "output-error",
        [CHAIR_FAULT_SCHEDULER_STALLED] = "scheduler-stalled",
        [CHAIR_FAULT_HEARTBEAT_TRIPPED] = "heartbeat-tripped",
        [CHAIR_FAULT_SENSOR_OUT_OF_RANGE] = "sensor-out-of-range",
        [CHAIR_FAULT_STOP_INPUT] = "stop-input",
        [CHAIR_FAULT_RECLINE_PINCH] = "recline-pinch",
        [CHAIR_FAULT_LEGREST_PINCH] = "legrest-pinch",
        [CHAIR_FAULT_SEAT_SLIDE_PINCH] = "seat-slide-pinch",
};

DEFINE_STRING_TABLE_LOOKUP(chair_fault, enum chair_fault, fault_table)

unsigned chair_fault_number(const char *code) {
        int f = chair_fault_from_string(code ?: "");
        return f < 0 ? CHAIR_FAULT_NUMBER_UNKNOWN : (unsigned) f;
}
