/* SPDX-License-Identifier: MIT */
/*
 * The posture axes' motion rules (issue #19, docs/posture.md): every automatic and manual move
 * of the recline, the leg rest's lift and extension and the seat slide goes through here, and
 * the rules hold by construction:
 *   - every move (presets, the leg-length fit, the return upright, hold-to-run) starts only
 *     while the seat reports a person, but a pinch's release; the person leaving stops every
 *     axis on the input's own callback and tells the vacated listener (core.c pauses the session);
 *   - the fit only extends, only while the feet are not felt, and stops at them;
 *   - manual moves are hold-to-run: a lease the caller renews, bound to an opaque owner; a move
 *     posture stopped (anything but its owner's release) is refused to that owner's renewals
 *     until the owner releases it (direction 0) or moves another axis or way;
 *   - an obstruction (the map's bumper, a current rise, the current limit) stops every axis,
 *     reverses the axis a bounded distance, then latches the axis's pinch fault through the
 *     supervisor; until a technician clears it only slow hold-to-run moves of that axis away
 *     from the obstruction pass (the router's release permit);
 *   - every move passes the supervisor (nothing while a fault is latched, but that release)
 *     and the precaution gate (PRECAUTION_POSTURE); soft limits, the recline's wall clearance,
 *     the current limit and the travel timeout come from the map.
 * A fault, the e-stop or a stalled loop stops the axes where they are (the router's gate, the
 * board's heartbeat): this module never drives an axis back after a stop.
 *
 * Runs on the event loop; no D-Bus (daemon/bus/posture-object.c puts it there). Marks
 * CHAIR_CHANGE_POSTURE on every change of a motion, the pinch, the occupant and the leg rollers.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chair-error.h"
#include "chair-io.h"
#include "posture-presets.h" /* the presets' table: enum posture_preset, its names, its positions */

struct chair_core;
struct posture;

/* What an axis is doing. */
enum posture_motion {
        POSTURE_STILL,
        POSTURE_PRESET_MOVE,   /* to a preset, or the return upright */
        POSTURE_FIT,           /* the leg-length fit */
        POSTURE_MANUAL,        /* hold-to-run */
        POSTURE_RELEASING,     /* the bounded reverse after an obstruction */
};

/* Lease bounds of posture_move(), milliseconds. */
#define POSTURE_LEASE_MIN_MS 50u
#define POSTURE_LEASE_MAX_MS 1000u
#define POSTURE_OWNER_PANEL 1u /* the panel's hold-to-run owner; bus owners are >= 0x100 */

int posture_new(struct chair_core *c, struct posture **ret);
struct posture *posture_free(struct posture *p);

/* The axes this chair has (a bit per enum chair_axis); 0 on a map without axes. */
uint32_t posture_axes(struct posture *p);
/* The axis's position, per mille; -ENODEV when the chair has no such axis. */
int posture_position(struct posture *p, enum chair_axis a, int32_t *ret_permille);
enum posture_motion posture_axis_motion(struct posture *p, enum chair_axis a);
bool posture_moving(struct posture *p);
/* A pinch fault of ours is latched: the axis, else -1. */
int posture_pinched_axis(struct posture *p);
/* The seat reports a person; the feet are on the foot rest (false without the sensor). */
bool posture_occupied(struct posture *p);
bool posture_feet_on(struct posture *p);
/* A rotary leg channel's value last set (0 when off or absent), and the channels the chair has:
 * a bit (1ull << out) per chair_output, foot_rollers and calf_knead (their numbers pass 31). */
int32_t posture_rotary(struct posture *p, enum chair_output out);
uint64_t posture_rotaries(struct posture *p);

/* Automatic moves: refused without an occupant (CHAIR_REASON_NOT_OCCUPIED), under a latched
 * fault, by the precautions. A preset (the return upright too) checks each axis it would move:
 * one the precautions forbid (the leg rest, with a leg condition) is left out and the others
 * go; refused (CHAIR_REASON_PRECAUTION) only when nothing else would move. */
int posture_preset(struct posture *p, enum posture_preset preset, struct chair_error *error);
int posture_fit_legs(struct posture *p, struct chair_error *error);
/* Slow (half the map's duty), watched like every move; the leg rest's extension stays. */
int posture_return_upright(struct posture *p, struct chair_error *error);
/* A program's step (issue #19): one axis to PERMILLE of its travel (clamped to its soft limits
 * and the wall clearance), an automatic move like a preset (refused without an occupant, under
 * a latched fault, by the precautions); SLOW at half the map's duty. The other axes go on. */
int posture_go_to(struct posture *p, enum chair_axis a, int32_t permille, bool slow, struct chair_error *error);

/* Hold-to-run: direction +1 (toward end_max) or -1, lease_ms POSTURE_LEASE_MIN_MS..MAX_MS from
 * now; the same owner calling again renews it. owner is non-zero and opaque (the panel's, a bus
 * connection's). direction 0 is the key released: that owner's move stops. Refused
 * CHAIR_REASON_NOT_OCCUPIED with nobody seated (a pinch's release excepted); after a stop
 * posture made (the person leaving, a limit, an obstruction, a fault, a precaution, a
 * posture_stop(), the lease lapsing) the owner's renewals of that move are refused with the
 * stop's reason until the owner sends direction 0 or moves another axis or way. */
int posture_move(struct posture *p, enum chair_axis a, int direction, uint32_t lease_ms, uint64_t owner,
                 struct chair_error *error);
/* The owner went away (a client disconnected): its move stops. */
void posture_owner_gone(struct posture *p, uint64_t owner);
/* Every axis stops where it is. */
void posture_stop(struct posture *p);

/* The rotary leg channels (foot_rollers -100..100 %, calf_knead 0..100 %): running them needs
 * an occupant (the foot rollers: the feet on the foot rest too), no latched fault and the
 * precautions (they press the calves and feet); 0 is always allowed. The person leaving, or
 * the feet lifted off the foot rollers, stops them. -EINVAL for another output. */
int posture_set_rotary(struct posture *p, enum chair_output out, int32_t value, struct chair_error *error);

/* posture's obstruction detection and reach, for the technician's output test too (one rule):
 * the axis's bumper (a map naming one) is pressed or cannot be read; a reading MA of the axis's
 * current is above the map's current_max_ma or (an axis sensing by current) has risen more than
 * obstruction_rise_ma over *RUNNING_MIN, the lowest current of this move (INT32_MAX until it was
 * read POSTURE_CURRENT_SETTLE_USEC into the move; lowered here): true, and why in WHY; the
 * range moves may reach, per mille (the soft limits, the recline's wall clearance). */
#define POSTURE_CURRENT_SETTLE_USEC (200 * USEC_PER_MSEC) /* a real motor's inrush */
bool posture_bumper_pressed(struct chair_core *c, enum chair_axis a);
bool posture_current_obstructed(struct chair_core *c, enum chair_axis a, int32_t ma, int32_t *running_min, char *why,
                                size_t n);
void posture_axis_range(struct chair_core *c, enum chair_axis a, int32_t *ret_lo, int32_t *ret_hi);

/* Told when the seat reports the person gone while an axis moved or a session may run. */
typedef void (*posture_vacated_fn)(void *userdata);
void posture_set_vacated_listener(struct posture *p, posture_vacated_fn fn, void *userdata);
/* Told before any move of ours drives an axis or a leg roller (the composition ends a
 * technician's output test there, as a session's start does; posture knows no output test). */
typedef void (*posture_move_fn)(void *userdata);
void posture_set_move_hook(struct posture *p, posture_move_fn fn, void *userdata);

/* The last obstruction's timeline, loop microseconds (0: not reached): for the measurements. */
struct posture_obstruction_times {
        uint64_t detected_us;    /* the input that showed it */
        uint64_t stopped_us;     /* every motor commanded 0 */
        uint64_t reverse_start_us;
        uint64_t reverse_done_us;
        uint64_t latched_us;
};
void posture_obstruction_times(struct posture *p, struct posture_obstruction_times *ret);
