/* SPDX-License-Identifier: MIT */
/*
 * The technician's output test (Service.TestOutput, `chairctl test-output`): one actuator
 * driven to one value for a bounded time while the chair is idle, then back to its safe value.
 *
 * It goes through the router's gate (chair_hw_set_output: a stop or a fault closes it, so the
 * e-stop wins without waiting for this module) and the supervisor watches it as any active
 * output (heat, pressure, encoder, on-times). Anything else ends it at once: a session starting
 * (session.c asks before it leaves idle), a panel key, a stop input, a fault, an end switch in
 * the direction the roller travels. One test at a time. Runs on the event loop only.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "chair-error.h"
#include "chair-io.h"

struct chair_core;
struct output_test;

/* The longest test; shorter still for an output whose maximum on-time is shorter. */
#define OUTPUT_TEST_MAX_MS 10000u

int output_test_new(struct chair_core *c, struct output_test **ret);
/* Ends a running test first (the output safe). NULL-safe. */
struct output_test *output_test_free(struct output_test *t);

/* Refused (chair_error's reason) unless the session is idle, no fault is latched and no other
 * test runs (Busy, FaultLatched), the output is an actuator of this chair and value within its
 * range (InvalidArgs), ms is 1 to the output's bound (InvalidArgs), the gate is open
 * (NotPermitted: a stop input is active), the roller is not driven into its end switch, and
 * the person's declared conditions allow it (PrecautionConflict: heat, an air zone, the depth). */
int output_test_start(struct output_test *t, enum chair_output out, int32_t value, uint32_t ms,
                      struct chair_error *error);
/* Ends a test now (its output to the safe value); a no-op when none runs. why is logged. */
void output_test_end(struct output_test *t, const char *why);
bool output_test_active(struct output_test *t);
/* The longest test of out in ms (OUTPUT_TEST_MAX_MS or less). */
uint32_t output_test_max_ms(enum chair_output out);
