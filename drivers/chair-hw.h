/* SPDX-License-Identifier: MIT */
/*
 * The I/O router: one object in front of every driver instance. It sends each output to the
 * backend its hardware-map binding names, keeps the image of commanded outputs (with the time
 * each left its safe value, for maximum on-times), and holds the one safety gate: after
 * chair_hw_go_safe() no set_output gets through until chair_hw_enable().
 *
 * set_output, get_output, read_input and go_safe are safe from any thread and never block.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "driver.h"
#include "hardware-map.h"

struct chair_hw;
struct event_loop;

/* The drivers attach to loop; its clock stamps the outputs' times below. */
int chair_hw_open(const struct hardware_map *map, struct event_loop *loop, struct chair_hw **ret,
                  char *ret_error, size_t error_size);
void chair_hw_close(struct chair_hw *hw);

/* -EPERM when the safety gate is closed, -ENODEV when the output is not on this chair,
 * -ERANGE when the value is outside the output's range. */
int chair_hw_set_output(struct chair_hw *hw, enum chair_output out, int32_t value);
/* The same gate and checks, but a bus backend sends the value only at chair_hw_flush(): the
 * outputs of one program step go out together. Any thread; a flush from another thread only
 * sends staged values sooner. */
int chair_hw_stage_output(struct chair_hw *hw, enum chair_output out, int32_t value);
void chair_hw_flush(struct chair_hw *hw);
int32_t chair_hw_get_output(struct chair_hw *hw, enum chair_output out);
/* CLOCK_MONOTONIC ns when the output last left its safe value; 0 while it is safe. */
uint64_t chair_hw_output_active_since(struct chair_hw *hw, enum chair_output out);
/* CLOCK_MONOTONIC ns of the output's last change of value. */
uint64_t chair_hw_output_changed_at(struct chair_hw *hw, enum chair_output out);
int chair_hw_read_input(struct chair_hw *hw, enum chair_input in, int32_t *ret_value);
bool chair_hw_has_output(struct chair_hw *hw, enum chair_output out);
bool chair_hw_has_input(struct chair_hw *hw, enum chair_input in);

/* Every input change of every backend, on the event-loop thread. Several subscribers allowed. */
int chair_hw_subscribe(struct chair_hw *hw, chair_input_changed_fn fn, void *userdata);

/* Closes the gate, waits for set_output calls in flight, drives every output safe. */
void chair_hw_go_safe(struct chair_hw *hw);
/* One output shut behind the gate on its own (the supervisor's heat dose): while blocked it is
 * driven safe and any other value is refused with -EPERM, as by the closed gate; go_safe and
 * enable leave the block as it is. Returns once no set_output in flight can undo it. */
void chair_hw_block_output(struct chair_hw *hw, enum chair_output out, bool blocked);
bool chair_hw_output_blocked(struct chair_hw *hw, enum chair_output out);
/* Opens the gate, unless the stop path recorded a stop not yet cleared. */
void chair_hw_enable(struct chair_hw *hw);
bool chair_hw_enabled(struct chair_hw *hw);
/* While the gate is closed, lets one axis motor through in one direction (sign +1/-1) or to 0:
 * the slow release of a pinch (daemon/posture.c). Revoked by the next go_safe or enable;
 * -EPERM while the stop path holds a stop, -EINVAL for an output that is no axis motor. */
int chair_hw_permit_release(struct chair_hw *hw, enum chair_output out, int sign);

/* The stop path. A driver reports a "stop now" input (chair_input_info()->stop non-zero, both
 * limits, an interlock input out of range) on the thread that read it; the router closes the
 * gate and drives every output safe right there, and records the first such input until
 * chair_hw_clear_stop(). Returns false when nothing stopped; *ret_error is 0 or -ERANGE. */
bool chair_hw_stop_reason(struct chair_hw *hw, enum chair_input *ret_in, int32_t *ret_value, int *ret_error,
                          uint64_t *ret_timestamp_ns);
/* Forgets the recorded stop (the supervisor, when a technician clears the fault). */
void chair_hw_clear_stop(struct chair_hw *hw);
/* The same decision for a reading of any thread (drivers call it through their stop handler;
 * public for tests). */
void chair_hw_stop_input(struct chair_hw *hw, enum chair_input in, int32_t value, int error, uint64_t timestamp_ns);

/* The heartbeat lease: boards get their heartbeat only until until_ns (CLOCK_MONOTONIC). */
void chair_hw_renew_lease(struct chair_hw *hw, uint64_t until_ns);

/* Who keeps the polling backends at their active rate (see chair_driver_ops.set_idle): the
 * chair is idle while none does. Each caller says only for itself, so a posture move between
 * sessions is polled as fast as a session (the bumper and the seat read in time). */
enum chair_hw_waker {
        CHAIR_HW_AWAKE_SESSION = 1u << 0,  /* a session runs or is paused */
        CHAIR_HW_AWAKE_POSTURE = 1u << 1,  /* an axis moves or a leg roller runs */
};
void chair_hw_set_awake(struct chair_hw *hw, enum chair_hw_waker waker, bool awake);

/* A backend's link statistics: -ENODEV when the map does not use it, -EOPNOTSUPP when it
 * keeps none. */
int chair_hw_get_stats(struct chair_hw *hw, enum hw_backend backend, struct chair_driver_stats *ret);
/* Whether the map uses a backend (its driver is open). */
bool chair_hw_uses_backend(struct chair_hw *hw, enum hw_backend backend);

/* The simulated chair behind the router (technicians, tests): the sim driver's calls of
 * driver-sim.h, -ENODEV (lease: 0) when the map has no sim backend. */
int chair_hw_sim_inject(struct chair_hw *hw, const char *name, bool on);
int chair_hw_sim_press_key(struct chair_hw *hw, int32_t code);
int chair_hw_sim_set_person(struct chair_hw *hw, int32_t shoulder_mm, int32_t waist_mm);
int chair_hw_sim_set_occupant(struct chair_hw *hw, bool seated, int32_t leg_mm, bool feet_on);
uint64_t chair_hw_sim_lease_until_ns(struct chair_hw *hw);
