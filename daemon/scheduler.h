/* SPDX-License-Identifier: MIT */
/*
 * The actuator scheduler: executes a timeline's commands at absolute CLOCK_MONOTONIC deadlines
 * on its own thread, and runs the controllers that turn setpoints into outputs (roller position
 * from the encoder, air pressure, heater hysteresis).
 *
 * Nothing on the scheduler's thread blocks, logs or allocates. The event loop talks to it
 * through a bounded command queue; it answers through a bounded event queue plus an eventfd.
 * A command later than the configured bound, or one a full queue still refuses after a few
 * milliseconds of retries, is a fault, never a silent skip.
 *
 * scheduler_service() is the whole of one wake-up, with the time passed in, so unit tests run
 * a 30-minute program in milliseconds with an injected clock.
 *
 * Inside (daemon/scheduler/): ring.h, the one SPSC ring both queues are; controllers.h, what
 * each output should be, as pure functions; histogram.h, the lateness histograms.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "chair-io.h"
#include "timeline.h"

struct scheduler;

struct scheduler_io {
        /* May only stage the value: flush (optional) sends every output staged by one wake-up. */
        int (*set_output)(void *userdata, enum chair_output out, int32_t value);
        int (*read_input)(void *userdata, enum chair_input in, int32_t *ret_value);
        void *userdata;
        void (*flush)(void *userdata);
};

struct scheduler_config {
        int32_t pulses_per_mm;
        int32_t track_length_mm;
        int32_t max_speed_mm_s;     /* travel speed at 100 % duty */
        uint32_t deadline_miss_ms;  /* a command later than this is a fault */
        uint32_t tick_ms;           /* controller period while active */
        uint32_t travel_timeout_ms; /* least time allowed to reach a roller target */
        uint32_t travel_margin_pct; /* allowed on top of a travel's expected time (0: the default) */
        /* A chair without a pressure sensor inflates by time: ms of pumping per level 1-5 ([0]
         * unused), then the zone holds. All zero: by pressure. */
        uint32_t air_inflate_ms[6];
        uint32_t priority;          /* SCHED_FIFO priority of the thread (0: 50) */
        int32_t cpu;                /* the CPU the thread is kept on, -1: any */
};

enum scheduler_event_type {
        SCHED_EV_STEP,          /* a = the running step's index, b = which of the program's steps */
        SCHED_EV_FINISHED,      /* the timeline's end was reached */
        SCHED_EV_SETTLED,       /* settling done: roller parked, air released, heat off */
        SCHED_EV_LATE,          /* fault: a = command index, b = lateness in us */
        SCHED_EV_OUTPUT_ERROR,  /* a = output, b = -errno (not a fault when the gate is closed) */
        SCHED_EV_TIMELINE_DONE, /* ptr = a timeline the event loop must free */
        SCHED_EV_AIR_ZONES,     /* a = the zones inflating or holding now (they changed) */
        SCHED_EV_POSTURE,       /* a posture or leg command came due (TL_POSTURE, TL_FOOT_ROLLERS,
                                   TL_CALF_KNEAD): a = the channel, b = scheduler_posture_event() of
                                   its arg and value; the event loop carries it out (posture.c) */
};

struct scheduler_event {
        enum scheduler_event_type type;
        int32_t a;
        int64_t b;
        struct timeline *ptr;
};

/* SCHED_EV_POSTURE's b: the command's arg (high half) and value (low half). */
static inline int64_t scheduler_posture_event(int16_t arg, int32_t value) {
        return (int64_t) ((uint64_t) (uint16_t) arg << 32 | (uint32_t) value);
}
static inline int16_t scheduler_posture_arg(int64_t b) {
        return (int16_t) (uint16_t) ((uint64_t) b >> 32);
}
static inline int32_t scheduler_posture_value(int64_t b) {
        return (int32_t) (uint32_t) ((uint64_t) b & 0xffffffffu);
}

/* Lateness histograms: 1 us bins below 1 ms (as cyclictest -h), 10 us bins below 10 ms, 100 us
 * bins below 100 ms, then one bin for everything later: within 1 % everywhere. */
#define SCHED_HIST_BINS 2801

enum scheduler_histogram {
        SCHED_HIST_COMMANDS,    /* every timeline command executed */
        SCHED_HIST_WAKEUPS,     /* every timed wake-up of the thread */
};

struct scheduler_hist_bin {
        uint64_t from_us, to_us;    /* [from, to); to is UINT64_MAX for the last bin */
        uint32_t count;
};

struct scheduler_stats {
        /* Lateness of every timeline command executed (commands due together share it). */
        uint64_t count;
        uint64_t p50_us, p99_us, max_us;
        uint64_t over_1ms;
        /* Lateness of every timed wake-up of the thread (for a command or the controllers'
         * tick), one sample each: what cyclictest measures, so the two compare like for like. */
        uint64_t wake_count;
        uint64_t wake_p50_us, wake_p99_us, wake_max_us;
        uint64_t wake_over_1ms;
        uint64_t wakeups;           /* progress counter for the watchdog */
        bool realtime;              /* SCHED_FIFO was granted */
};

enum scheduler_mode {
        SCHEDULER_IDLE,
        SCHEDULER_RUNNING,
        SCHEDULER_PAUSED,
        SCHEDULER_SETTLING,
        SCHEDULER_MANUAL,   /* setpoints from the event loop (body scan, manual adjustments) */
};

int scheduler_new(const struct scheduler_config *config, const struct scheduler_io *io,
                  struct scheduler **ret);
typedef void (*scheduler_command_lost_fn)(void *userdata);
void scheduler_set_command_lost_sink(struct scheduler *s, scheduler_command_lost_fn fn, void *userdata);
/* The thread takes commands: every queued one is taken within a few milliseconds (false for a
 * hung thread). Event loop only. */
bool scheduler_taking_commands(struct scheduler *s);
void scheduler_free(struct scheduler *s);

/* The real thread. ret_realtime tells whether SCHED_FIFO + mlockall were granted. */
int scheduler_start_thread(struct scheduler *s, bool *ret_realtime);
void scheduler_stop_thread(struct scheduler *s);

/* Commands from the event loop. A full queue is retried for a few milliseconds while the
 * thread drains it; a command still not queued returns -EAGAIN after the command-lost sink was
 * told (except for an abort, which follows a trip): the caller stops, the sink faults. */
int scheduler_load(struct scheduler *s, struct timeline *t, uint64_t start_ns); /* takes t, on failure too */
int scheduler_pause(struct scheduler *s);
int scheduler_resume(struct scheduler *s);
int scheduler_settle(struct scheduler *s);
int scheduler_abort(struct scheduler *s);  /* forget everything at once; outputs already safe */
int scheduler_manual(struct scheduler *s); /* setpoints only, no timeline */
/* Shifts the loaded timeline's roller positions by MM from its next roller command on (a
 * shoulder fine-tune during a session: every position is relative to the shoulder); a load
 * resets it. */
int scheduler_set_roller_offset(struct scheduler *s, int32_t mm);
int scheduler_set_channel(struct scheduler *s, enum timeline_channel c, int16_t arg, int32_t value);
/* Live changes, applied at the next step boundary: percentages of the planned values. */
int scheduler_set_modifiers(struct scheduler *s, int32_t intensity_pct, int32_t speed_pct, int32_t width);

/* For tests of the watchdog and the supervisor (simulated chair only): the thread stops making
 * progress, as a real hang would. */
int scheduler_inject_hang(struct scheduler *s);
/* As if the thread woke ms late for its next command (a deadline miss). */
int scheduler_inject_late(struct scheduler *s, uint32_t ms);

/* The event loop side. */
int scheduler_event_fd(struct scheduler *s);
bool scheduler_pop_event(struct scheduler *s, struct scheduler_event *ret);
bool scheduler_overflowed(struct scheduler *s);
void scheduler_get_stats(struct scheduler *s, struct scheduler_stats *ret);
/* The non-empty bins of one histogram, lowest first, into ret (room for SCHED_HIST_BINS);
 * returns how many. Percentiles in scheduler_stats are the largest whole microsecond of the bin
 * that holds them (for 1 us bins, the value itself, as cyclictest reports it). */
size_t scheduler_get_histogram(struct scheduler *s, enum scheduler_histogram which, struct scheduler_hist_bin *ret);
/* The thread's wake-ups so far: the progress counter the supervisor and the watchdog watch,
 * without summarising the histograms. */
uint64_t scheduler_wakeups(struct scheduler *s);
uint32_t scheduler_program_ms(struct scheduler *s);  /* program time reached */
enum scheduler_mode scheduler_get_mode(struct scheduler *s);
/* What the controllers aim at, for D-Bus: air zones holding air, heat levels. */
uint32_t scheduler_active_air_zones(struct scheduler *s);
int32_t scheduler_heat_level(struct scheduler *s, enum chair_heat_zone z);
/* CLOCK_MONOTONIC ns by which the roller should reach the end of its current travel (or of the
 * leg of a travel split by stops); 0 when it stands (arrived, at a stop or a sweep's turn). */
uint64_t scheduler_roller_deadline_ns(struct scheduler *s);

/* One wake-up at time now_ns: drains commands, executes every due command, runs the
 * controllers. Returns the next absolute deadline, UINT64_MAX when nothing is due. */
uint64_t scheduler_service(struct scheduler *s, uint64_t now_ns);
