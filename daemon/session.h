/* SPDX-License-Identifier: MIT */
/*
 * The session state machine, one for the panel and D-Bus alike (the latest command wins):
 *
 *   idle -> scanning -> running <-> paused -> settling -> idle
 *   any state -> fault (the supervisor) -> idle (a technician clears it)
 *
 * Every function runs on the event loop, never blocks, and reports refusals as named D-Bus
 * reasons in *error (chair-error.h; NULL logs the refusal).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "chair-error.h"
#include "fault-codes.h"
#include "timeline.h"
#include "vocab.h" /* enum manual_area */

struct chair_core;
struct session;

enum session_state {
        SESSION_IDLE,
        SESSION_SCANNING,
        SESSION_RUNNING,
        SESSION_PAUSED,
        SESSION_SETTLING,
        SESSION_FAULT,
};

struct session_options {
        uint32_t intensity;     /* 0 = the program's default */
        uint32_t duration_s;    /* 0 = the auto-off timer */
        int scan;               /* -1 = when no scan is stored, 0 no, 1 yes */
        bool heat;
        /* Started "focused" (docs/people.md): the planner weights the steps on FOCUS_AREAS
         * (a bit per enum pain_area), which the caller fills from the active person's
         * assessment; 0, or focus false: the program as written. */
        bool focus;
        uint32_t focus_areas;
};

struct session_settings {
        uint32_t intensity, speed, depth;  /* 1-5 */
        uint32_t width;                    /* 0 narrow, 1 medium, 2 wide */
        uint32_t air_zones;                /* bit per enum chair_air_zone */
        uint32_t air_intensity;            /* 0-5 */
        uint32_t heat[2];                  /* per enum chair_heat_zone, 0-3 */
        uint32_t timer_min;                /* 10, 20, 30 */
};

int session_new(struct chair_core *d, struct session **ret);
void session_free(struct session *s);

/* Where the session reports the faults it sees from the scheduler (a command not taken, a
 * deadline missed, an output refused); the composition root wires it to the supervisor. */
typedef void (*session_fault_sink)(void *userdata, enum chair_fault code, const char *message);
void session_set_fault_sink(struct session *s, session_fault_sink sink, void *userdata);
/* Called before a session drives anything (the composition root ends a technician's output
 * test there, synchronously, so the two never drive the chair at once). */
typedef void (*session_start_hook)(void *userdata);
void session_set_start_hook(struct session *s, session_start_hook hook, void *userdata);

int session_start(struct session *s, const char *program, const struct session_options *o, struct chair_error *error);
int session_start_manual(struct session *s, const char *technique, enum manual_area area,
                         const struct session_options *o, struct chair_error *error);
int session_move_point(struct session *s, int32_t steps, struct chair_error *error);
int session_stop(struct session *s, struct chair_error *error);
int session_pause(struct session *s, struct chair_error *error);
/* The seat reports no one (posture.c told core.c), or a program's posture step found no one
 * seated: a running session pauses and the air holds release (docs/posture.md). */
void session_vacated(struct session *s);
int session_resume(struct session *s, struct chair_error *error);
int session_start_scan(struct session *s, struct chair_error *error);
int session_adjust_shoulder(struct session *s, int32_t steps, struct chair_error *error);

int session_set_intensity(struct session *s, uint32_t level, struct chair_error *error);
int session_set_speed(struct session *s, uint32_t level, struct chair_error *error);
int session_set_width(struct session *s, uint32_t width, struct chair_error *error);
int session_set_depth(struct session *s, uint32_t level, struct chair_error *error);
int session_set_air(struct session *s, uint32_t zones, uint32_t intensity, struct chair_error *error);
int session_set_heat(struct session *s, unsigned zone, uint32_t level, struct chair_error *error);
int session_set_timer(struct session *s, uint32_t minutes, struct chair_error *error);

/* Memory slots 1 and 2 (the panel's A and B): save what runs now, or start from a slot. */
int session_save_memory(struct session *s, unsigned slot, struct chair_error *error);
int session_recall_memory(struct session *s, unsigned slot, struct chair_error *error);

/* The declared conditions changed: a session they refuse, or one planned with laxer caps,
 * ends with reason "precaution". */
void session_precautions_changed(struct session *s);

/* Another person is active (people.h; only while idle): the timer and the levels shown for the
 * next session follow theirs. */
void session_person_changed(struct session *s);

/* The supervisor tripped (core.c wires its trip event here): outputs are already safe; end
 * the session with reason "fault". */
void session_fault(struct session *s);
/* A technician cleared the fault. */
void session_fault_cleared(struct session *s);

enum session_state session_get_state(struct session *s);
DECLARE_STRING_TABLE_LOOKUP(session_state, enum session_state);
/* The state's name, "?" out of range. */
const char *session_state_name(enum session_state st);
const char *session_program(struct session *s);
uint32_t session_remaining_s(struct session *s);
uint32_t session_duration_s(struct session *s);
/* The step running and its technique as the program names them ("manual" and the manual
 * technique in manual mode; "" when nothing runs or before the first step). */
const char *session_step_name(struct session *s);
const char *session_step_technique(struct session *s);
uint64_t session_id(struct session *s);
int32_t session_shoulder_mm(struct session *s);
const struct session_settings *session_settings(struct session *s);
bool session_active(struct session *s);
/* Wall-clock length of the current session so far, for the maximum-session interlock. */
uint64_t session_elapsed_usec(struct session *s);

/* The event loop's handler of the scheduler's events. */
int session_on_scheduler_event(struct session *s);
