/* SPDX-License-Identifier: MIT */
/*
 * The whole chair in virtual time: the real core (core.h: session, planner, scheduler,
 * supervisor, panel, settings, the change channel) on the simulated chair's physics, on one
 * virtual clock (loop/event-loop-virtual.h), with no bus and no threads. The scheduler runs
 * through scheduler_service() after every callback of the loop (as its thread wakes at every
 * command) and at the deadlines it returns. A 30-minute program runs in a fraction of a
 * second; a run is deterministic.
 *
 * Drive it with direct calls on vt_harness_core(h) (session_start(), panel keys through
 * vt_harness_key_down(), ...) between vt_harness_run_for()/run_until() calls, or with a script
 * of actions at times (vt_harness_play()). Read back the record: output changes, faults raised
 * and cleared, session state changes and finished programs, each with its virtual time.
 * Times are milliseconds (and microseconds) since the harness was made.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chair-error.h"
#include "chair-io.h"
#include "core.h"
#include "hardware-map.h"
#include "session.h"

struct vt_harness;

struct vt_harness_options {
        /* NULL: the built-in simulated chair (--simulate). Else a map to copy (a test's tweaked
         * hardware_map_simulated(), say); every binding must be on the sim backend. */
        const struct hardware_map *map;
        const char *profiles_dir;          /* NULL: $MCD_SOURCE_DIR/profiles/programs, else ./profiles/programs */
        const char *profiles_override_dir; /* NULL: none */
        const char *state_dir;             /* NULL: a new temporary directory, removed at free */
        int log_level;                     /* syslog priority shown; 0: LOG_WARNING */
        bool no_output_record;             /* leave the output changes out of the record */
        /* The seated person (chair_hw_sim_set_person()); 0: the reference person,
         * shoulder 620 mm, waist 220 mm. */
        int32_t person_shoulder_mm, person_waist_mm;
        /* CLOCK_REALTIME at the start, microseconds; 0: 2026-01-01T00:00:00Z. A harness on the
         * state_dir of an earlier one with a later start is a later boot (a power cycle). */
        uint64_t realtime_start_usec;
};

struct vt_state_change {
        uint64_t at_ms, at_us;
        enum session_state from, to;
};

struct vt_fault_event {
        uint64_t at_ms, at_us;
        bool cleared;                      /* false: raised */
        bool restored;                     /* latched before the start (no new fault) */
        char code[48];
        char message[256];
};

struct vt_output_change {
        uint64_t at_ms, at_us;
        enum chair_output out;
        int32_t value;
};

struct vt_finished {
        uint64_t at_ms, at_us;
        char program[80];
        char reason[32];
};

struct vt_record {
        const struct vt_state_change *states;
        size_t n_states;
        const struct vt_fault_event *faults;
        size_t n_faults;
        const struct vt_output_change *outputs;
        size_t n_outputs;
        const struct vt_finished *finished;
        size_t n_finished;
};

/* On error (a bad map, no programs directory, ...) nothing is left to free. Free it in a
 * teardown (cmocka_unit_test_setup_teardown): a failed assertion leaves the test function at
 * once, and only vt_harness_free() removes the temporary state directory. */
int vt_harness_new(const struct vt_harness_options *options, struct vt_harness **ret);
struct vt_harness *vt_harness_free(struct vt_harness *h);

struct chair_core *vt_harness_core(struct vt_harness *h);
/* The state directory (the temporary one, or options->state_dir). */
const char *vt_harness_state_dir(struct vt_harness *h);
uint64_t vt_harness_now_ms(struct vt_harness *h);
uint64_t vt_harness_now_us(struct vt_harness *h);

/* Runs the chair up to (and including) at_ms since the start. Returns the callbacks run, or
 * -ELOOP when the loop could not move time on (a livelock: a bug). */
int64_t vt_harness_run_until(struct vt_harness *h, uint64_t at_ms);
int64_t vt_harness_run_for(struct vt_harness *h, uint64_t ms);
/* Runs until the session is in state st (now or later), at most max_ms more: 0 once it is,
 * -ETIMEDOUT when it was not within max_ms. */
int vt_harness_run_until_state(struct vt_harness *h, enum session_state st, uint64_t max_ms);

/* Until when the supervisor's heartbeat lease runs (as vt_harness_now_us(); INT64_MIN: never
 * renewed): a board would switch itself off after it. */
int64_t vt_harness_lease_until_us(struct vt_harness *h);

/* A hung scheduler thread: while stalled it is not serviced (no wake-ups, its queue fills);
 * unstalled, it catches up at once. */
void vt_harness_stall_scheduler(struct vt_harness *h, bool stalled);

/* Called after every callback of the loop, once the scheduler was serviced and the record
 * sampled (NULL: none): a test's observer of what the chair does at every instant. */
void vt_harness_set_observer(struct vt_harness *h, void (*fn)(struct vt_harness *h, void *userdata), void *userdata);

/* The simulated panel: a key held (by its enum chair_key; the map's code) and released. */
int vt_harness_key_down(struct vt_harness *h, enum chair_key k);
int vt_harness_key_up(struct vt_harness *h);

/* The simulated occupant (chair_hw_sim_set_occupant()): seated or not, leg length (knee to
 * sole, 1..2000 mm) and feet on the foot rest; the chair starts with someone seated, 450 mm,
 * feet on. The sensors follow at the sim's next step (10 ms). */
int vt_harness_set_occupant(struct vt_harness *h, bool seated, int32_t leg_mm, bool feet_on);

/* ---- scripts ---- */

enum vt_action_kind {
        VT_ACT_START,          /* name: program, options */
        VT_ACT_START_MANUAL,   /* name: technique, area, options */
        VT_ACT_STOP,
        VT_ACT_PAUSE,
        VT_ACT_RESUME,
        VT_ACT_SCAN,           /* a body scan alone */
        VT_ACT_KEY_DOWN,       /* value: enum chair_key */
        VT_ACT_KEY_UP,
        VT_ACT_KEY_PRESS,      /* value: enum chair_key, held value2 ms (0: 100 ms) */
        VT_ACT_INJECT,         /* name: the sim's fault ("estop", "scheduler-late", ...), value: on;
                                  "scheduler-hang" is vt_harness_stall_scheduler() */
        VT_ACT_CLEAR_FAULT,    /* the technician's clear (supervisor_clear) */
        VT_ACT_PRECAUTIONS,    /* list: NULL-terminated conditions (copied) */
        VT_ACT_CHILD_LOCK,     /* value: on */
        VT_ACT_DEFAULT_TIMER,  /* value: minutes */
        VT_ACT_INTENSITY,      /* value: 1-5 */
        VT_ACT_SPEED,          /* value: 1-5 */
        VT_ACT_DEPTH,          /* value: 1-5 */
        VT_ACT_WIDTH,          /* value: 0-2 */
        VT_ACT_TIMER,          /* value: minutes */
        VT_ACT_HEAT,           /* value: level, value2: zone */
        VT_ACT_AIR,            /* value: zones, value2: intensity */
        VT_ACT_CALL,           /* call(h, userdata) */
};

struct vt_action {
        uint64_t at_ms;
        enum vt_action_kind kind;
        const char *name;
        struct session_options options;
        enum manual_area area;
        uint32_t value, value2;
        const char *const *list;
        int (*call)(struct vt_harness *h, void *userdata);
        void *userdata;
};

/* Does one action now; its result (a refusal's reason in *error, when given). */
int vt_harness_act(struct vt_harness *h, const struct vt_action *a, struct chair_error *error);
/* Runs to each action's time in turn (they must be in time order) and does it; ret_results
 * (room for n, may be NULL) gets each action's result. Stops after the last action: run on
 * with vt_harness_run_until(). -EINVAL for actions out of order, -ELOOP as run_until. */
int vt_harness_play(struct vt_harness *h, const struct vt_action *script, size_t n, int *ret_results);

/* ---- the record ---- */

const struct vt_record *vt_harness_record(struct vt_harness *h);
/* Forgets what was recorded so far. */
void vt_harness_record_clear(struct vt_harness *h);
/* The states the session went through, in order ("to" of each change), as "a b c": for
 * assertions and messages. */
const char *vt_harness_states_string(struct vt_harness *h, char *buf, size_t size);
/* The first change to st at or after from_ms, or NULL. */
const struct vt_state_change *vt_harness_find_state(struct vt_harness *h, enum session_state st, uint64_t from_ms);
/* The first raised fault, or NULL. */
const struct vt_fault_event *vt_harness_first_fault(struct vt_harness *h);
/* An output's value now (the router's image). */
int32_t vt_harness_output(struct vt_harness *h, enum chair_output out);
/* The output's value at at_ms, from the record (its safe value before the first change). */
int32_t vt_harness_output_at(struct vt_harness *h, enum chair_output out, uint64_t at_ms);
