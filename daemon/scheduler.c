/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "macro.h"
#include "scheduler.h"
#include "scheduler/controllers.h"
#include "scheduler/histogram.h"
#include "scheduler/ring.h"
#include "travel.h"

/* The scheduler's core and its thread: the queues to and from the event loop, timeline
 * execution, scheduler_service(now) and the real-time thread. What each output should be is
 * decided by the controllers (scheduler/controllers.h); this file reads their inputs and writes
 * their outputs. */

#define QUEUE_SIZE 64   /* both directions */
#define SLOW_TICK_MS 100 /* controller period when nothing travels or pumps */
/* A full command queue drains within microseconds while the thread lives: the event loop rings
 * and retries this long, so a burst of live changes is not a fault, and a thread that does not
 * drain it is one. */
#define PUSH_RETRY_NS (5 * NSEC_PER_USEC * USEC_PER_MSEC)

enum command_type {
        CMD_LOAD,
        CMD_PAUSE,
        CMD_RESUME,
        CMD_SETTLE,
        CMD_ABORT,
        CMD_MANUAL,
        CMD_SET_CHANNEL,
        CMD_MODIFIERS,
        CMD_ROLLER_OFFSET,
        CMD_HANG,
        CMD_LATE,
        CMD_QUIT,
};

struct command {
        enum command_type type;
        struct timeline *timeline;
        uint64_t start_ns;
        int32_t a, b, c;
};

/* Event loop -> thread, and thread -> event loop. */
SPSC_RING_DEFINE(command_ring, struct command, QUEUE_SIZE);
SPSC_RING_DEFINE(event_ring, struct scheduler_event, QUEUE_SIZE);

/* What the timeline asks for on every channel. */
struct channel_state {
        struct roller_setpoint roller;
        struct mechanism_setpoint mech;
        struct air_zone_state air[_CHAIR_AIR_ZONE_MAX];
        int32_t heat_level[_CHAIR_HEAT_ZONE_MAX];
};

struct scheduler {
        struct scheduler_config config;
        struct scheduler_io io;

        struct command_ring commands;
        struct event_ring events;
        atomic_bool overflow;
        scheduler_command_lost_fn command_lost;  /* event loop: a command could not be queued */
        void *command_lost_userdata;
        int event_fd;     /* scheduler -> event loop */
        /* Event loop -> scheduler: bumped on every command. The thread sleeps on this word
         * with an absolute deadline (one futex call, the same hrtimer wake-up path as
         * cyclictest's clock_nanosleep; a timerfd plus poll cost a third more latency). */
        atomic_uint doorbell;
        pthread_t thread;
        bool thread_running;

        /* Scheduler-thread state. */
        enum scheduler_mode mode;
        struct timeline *timeline;
        size_t next;
        uint64_t t0_ns;            /* absolute time of program time 0, moved on by pauses */
        uint64_t paused_at_ns;
        uint64_t next_tick_ns;
        struct channel_state planned;  /* as the timeline says */
        int32_t intensity_pct, speed_pct, width_override;
        int32_t pending_intensity_pct, pending_speed_pct, pending_width;
        bool modifiers_pending;
        int32_t out_cache[_CHAIR_OUT_MAX]; /* last value written, to write only changes */
        struct travel_limits travel;
        struct roller_progress roller;  /* published in roller_deadline_ns after each wake-up */
        uint64_t travel_run_ns;    /* when the travel motor's current run began, 0: it stands */
        bool out_known[_CHAIR_OUT_MAX];

        /* Shared with the event loop. */
        _Atomic enum scheduler_mode mode_shared;
        atomic_uint program_ms;
        atomic_uint air_zones_active;
        atomic_int heat_levels[_CHAIR_HEAT_ZONE_MAX];
        struct latency_hist commands_late, wakeups_late;
        _Atomic uint64_t wakeups;
        atomic_bool realtime;
        _Atomic uint64_t roller_deadline_ns;  /* when the roller should have arrived; 0 = arrived */
        uint64_t now_ns;                      /* of the wake-up being served */
        uint64_t air_last_ns;                 /* of the last air control pass */
        int32_t roller_offset_mm;             /* added to the timeline's roller positions */
        bool staged;                          /* outputs set since the last flush */
        uint64_t slept_until;                 /* the deadline the last service returned */
        bool hung;                            /* a test of the watchdog: the thread stops working */
};

/* ---- queues ---- */

static bool ring_push_event(struct scheduler *s, const struct scheduler_event *ev) {
        uint64_t one = 1;

        if (!event_ring_push(&s->events, ev))
                atomic_store(&s->overflow, true);
        if (s->event_fd >= 0 && write(s->event_fd, &one, sizeof one) < 0) {
                /* eventfd saturation only: the reader drains everything anyway */
        }
        return true;
}

bool scheduler_pop_event(struct scheduler *s, struct scheduler_event *ret) {
        uint64_t v;

        if (!event_ring_pop(&s->events, ret)) {
                if (s->event_fd >= 0 && read(s->event_fd, &v, sizeof v) < 0) {
                        /* EAGAIN: nothing pending */
                }
                return false;
        }
        return true;
}

/* Sleeps until the doorbell moves on from `seen` or until the absolute CLOCK_MONOTONIC
 * deadline (UINT64_MAX: no deadline). Spurious returns are harmless: the caller re-checks. */
static void doorbell_wait(struct scheduler *s, unsigned seen, uint64_t deadline_ns) {
        struct timespec ts = { (time_t) (deadline_ns / NSEC_PER_SEC), (long) (deadline_ns % NSEC_PER_SEC) };

        /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time, so a wake-up that comes
         * late does not push the next deadline back. */
        (void) syscall(SYS_futex, &s->doorbell, FUTEX_WAIT_BITSET_PRIVATE, seen,
                       deadline_ns == UINT64_MAX ? NULL : &ts, NULL, FUTEX_BITSET_MATCH_ANY);
}

static void doorbell_ring(struct scheduler *s) {
        atomic_fetch_add_explicit(&s->doorbell, 1, memory_order_release);
        (void) syscall(SYS_futex, &s->doorbell, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Waits, bounded, until the thread has taken what is queued (want_empty) or made room. */
static bool wait_for_queue(struct scheduler *s, bool want_empty) {
        uint64_t until = 0;

        for (;;) {
                uint64_t now;

                if (want_empty ? command_ring_empty(&s->commands) : !command_ring_full(&s->commands))
                        return true;
                doorbell_ring(s);
                now = clock_ns(CLOCK_MONOTONIC);
                if (!until)
                        until = now + PUSH_RETRY_NS;
                else if (now >= until)
                        return false;
                sched_yield();
        }
}

static int push_command(struct scheduler *s, const struct command *c) {
        if (!command_ring_push(&s->commands, c) &&
            !(wait_for_queue(s, false) && command_ring_push(&s->commands, c))) {
                /* Lost: the caller's state would no longer say what the chair does. An abort is
                 * only sent once every output is safe, so losing it must not trip again. */
                if (c->type != CMD_ABORT && c->type != CMD_QUIT && s->command_lost)
                        s->command_lost(s->command_lost_userdata);
                return -EAGAIN;
        }
        doorbell_ring(s);
        return 0;
}

/* ---- outputs and controllers ---- */

static void put(struct scheduler *s, enum chair_output out, int32_t value) {
        int r;

        if (s->out_known[out] && s->out_cache[out] == value)
                return;
        r = s->io.set_output(s->io.userdata, out, value);
        s->staged = true;
        if (r == -ENODEV) {
                /* Not on this chair (e.g. no calf heater): remember, stay quiet. */
        } else if (r == -EPERM) {
                return; /* the gate (or an output's block, a heat dose) is shut: no fault, retried at the next tick */
        } else if (r < 0) {
                ring_push_event(s, &(struct scheduler_event) { SCHED_EV_OUTPUT_ERROR, (int32_t) out, r, NULL });
                return;
        }
        /* The router's rule for on-time runs, so a leg can tell how much of the run is left. */
        if (out == CHAIR_OUT_TRAVEL_MOTOR &&
            (value == 0 || chair_output_starts_run(out, s->out_known[out] ? s->out_cache[out] : 0, value)))
                s->travel_run_ns = value ? MAX(s->now_ns, 1ULL) : 0;  /* 0 means none */
        s->out_cache[out] = value;
        s->out_known[out] = true;
}

static int32_t input(struct scheduler *s, enum chair_input in, int32_t fallback) {
        int32_t v;
        return s->io.read_input(s->io.userdata, in, &v) >= 0 ? v : fallback;
}

static int32_t roller_mm(struct scheduler *s) {
        return input(s, CHAIR_IN_ENCODER, 0) / MAX(1, s->config.pulses_per_mm);
}

/* What the roller controller sees at this wake-up. */
static struct roller_inputs roller_inputs(struct scheduler *s) {
        return (struct roller_inputs) {
                .now_ns = s->now_ns,
                .pos_mm = roller_mm(s),
                .limit_top = input(s, CHAIR_IN_LIMIT_TOP, 0) != 0,
                .limit_bottom = input(s, CHAIR_IN_LIMIT_BOTTOM, 0) != 0,
                .speed_pct = s->speed_pct,
                .motor = s->out_cache[CHAIR_OUT_TRAVEL_MOTOR],
                .run_started_ns = s->travel_run_ns,
        };
}

static void start_leg(struct scheduler *s) {
        struct roller_inputs in = roller_inputs(s);
        roller_start_leg(&s->planned.roller, &s->roller, &in, &s->travel);
}

static void start_travel(struct scheduler *s) {
        struct roller_inputs in = roller_inputs(s);
        roller_start_travel(&s->planned.roller, &s->roller, &in, &s->travel);
}

static void control_roller(struct scheduler *s, bool moving_allowed) {
        struct roller_inputs in = roller_inputs(s);
        put(s, CHAIR_OUT_TRAVEL_MOTOR, roller_control(&s->planned.roller, &s->roller, &in, moving_allowed, &s->travel));
}

static void control_mechanism(struct scheduler *s, bool moving_allowed) {
        struct mechanism_outputs o = mechanism_control(&s->planned.mech, s->intensity_pct, s->width_override, moving_allowed);

        put(s, CHAIR_OUT_KNEAD_MOTOR, o.knead);
        put(s, CHAIR_OUT_TAP_MOTOR, o.tap);
        put(s, CHAIR_OUT_WIDTH, o.width);
        put(s, CHAIR_OUT_DEPTH, o.depth);
}

static void control_air(struct scheduler *s, bool inflate_allowed) {
        struct air_inputs in = {
                .now_ns = s->now_ns,
                .pressure = input(s, CHAIR_IN_AIR_PRESSURE, 0),
                .intensity_pct = s->intensity_pct,
                .inflate_allowed = inflate_allowed,
                .inflate_ms = s->config.air_inflate_ms,
        };
        struct air_outputs o;

        air_control(s->planned.air, &s->air_last_ns, &in, &o);
        for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++)
                put(s, chair_air_zone_valve(z), o.valve[z] ? 1 : 0);
        put(s, CHAIR_OUT_AIR_PUMP, o.pump ? 1 : 0);
        put(s, CHAIR_OUT_AIR_RELEASE, o.release ? 1 : 0);
        /* Told only on a change, so the panel's air LED follows the bags at once. */
        if (atomic_exchange(&s->air_zones_active, o.active) != o.active)
                ring_push_event(s, &(struct scheduler_event) { SCHED_EV_AIR_ZONES, (int32_t) o.active, 0, NULL });
}

static void control_heat(struct scheduler *s, bool heat_allowed) {
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++) {
                int32_t level = heat_zone_level(s->planned.heat_level[z], heat_allowed);
                enum chair_output out = chair_heat_zone_output(z);
                enum heat_element e;

                atomic_store(&s->heat_levels[z], level);
                /* The sensor is read only for an element that may be on. */
                e = level ? heat_control(level, input(s, chair_heat_zone_sensor(z), INT32_MAX)) : HEAT_ELEMENT_OFF;
                if (e != HEAT_ELEMENT_KEEP)
                        put(s, out, e == HEAT_ELEMENT_ON ? 1 : 0);
        }
}

static void take_modifiers(struct scheduler *s) {
        s->intensity_pct = s->pending_intensity_pct;
        s->speed_pct = s->pending_speed_pct;
        s->width_override = s->pending_width;
        s->modifiers_pending = false;
}

static void apply_command(struct scheduler *s, const struct timeline_cmd *cmd) {
        struct channel_state *c = &s->planned;

        switch ((enum timeline_channel) cmd->channel) {
        case TL_ROLLER_POSITION:
                c->roller.sweeping = false;
                if (cmd->value == TL_ROLLER_HERE) {
                        c->roller.active = false;
                        s->roller.deadline_ns = 0;
                        break;
                }
                c->roller.active = true;
                c->roller.target_mm = CLAMP(cmd->value, 0, s->config.track_length_mm);
                c->roller.speed = CLAMP(cmd->arg, 1, 100);
                start_travel(s);
                break;
        case TL_ROLLER_SWEEP:
                c->roller.active = true;
                c->roller.sweeping = true;
                c->roller.sweep_mm[0] = CLAMP(timeline_sweep_first(cmd->value), 0, s->config.track_length_mm);
                c->roller.sweep_mm[1] = CLAMP(timeline_sweep_second(cmd->value), 0, s->config.track_length_mm);
                c->roller.target_mm = c->roller.sweep_mm[0];
                c->roller.speed = CLAMP(cmd->arg, 1, 100);
                start_travel(s);
                break;
        case TL_KNEAD:
                c->mech.knead = cmd->value;
                break;
        case TL_TAP:
                c->mech.tap = cmd->value;
                break;
        case TL_WIDTH:
                c->mech.width = cmd->value;
                break;
        case TL_DEPTH:
                c->mech.depth = cmd->value;
                break;
        case TL_AIR_ZONE:
                /* value: action in the low byte, pressure level 1-5 above it (0 = 3) */
                if ((unsigned) cmd->arg < _CHAIR_AIR_ZONE_MAX)
                        air_zone_command(&c->air[cmd->arg], cmd->value);
                break;
        case TL_HEAT_ZONE:
                if ((unsigned) cmd->arg < _CHAIR_HEAT_ZONE_MAX)
                        c->heat_level[cmd->arg] = cmd->value;
                break;
        case TL_STEP:
                /* A safe point: live changes take effect here. */
                if (s->modifiers_pending) {
                        take_modifiers(s);
                        /* A travel under way: its deadline at the new speed. */
                        if (c->roller.active && !s->roller.dwell_until_ns)
                                start_leg(s);
                }
                ring_push_event(s, &(struct scheduler_event) { SCHED_EV_STEP, cmd->value, cmd->arg, NULL });
                break;
        case TL_POSTURE:
        case TL_FOOT_ROLLERS:
        case TL_CALF_KNEAD:
                /* Never driven from this thread: posture.c's rules run on the event loop. */
                ring_push_event(s, &(struct scheduler_event) { SCHED_EV_POSTURE, (int32_t) cmd->channel,
                                                               scheduler_posture_event(cmd->arg, cmd->value), NULL });
                break;
        case _TL_CHANNEL_MAX:
                break;
        }
}

static void run_controllers(struct scheduler *s) {
        bool moving = s->mode == SCHEDULER_RUNNING || s->mode == SCHEDULER_SETTLING || s->mode == SCHEDULER_MANUAL;
        control_roller(s, moving);
        control_mechanism(s, s->mode == SCHEDULER_RUNNING || s->mode == SCHEDULER_MANUAL);
        control_air(s, s->mode == SCHEDULER_RUNNING || s->mode == SCHEDULER_MANUAL);
        control_heat(s, s->mode != SCHEDULER_PAUSED);
}

static void set_mode(struct scheduler *s, enum scheduler_mode m) {
        s->mode = m;
        atomic_store(&s->mode_shared, m);
}

static void release_timeline(struct scheduler *s) {
        if (!s->timeline)
                return;
        ring_push_event(s, &(struct scheduler_event) { SCHED_EV_TIMELINE_DONE, 0, 0, s->timeline });
        s->timeline = NULL;
}

static void begin_settling(struct scheduler *s) {
        struct channel_state *c = &s->planned;

        release_timeline(s);
        for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++)
                c->air[z].action = 0;
        memset(c->heat_level, 0, sizeof c->heat_level);
        c->mech.knead = c->mech.tap = c->mech.depth = 0;
        c->mech.width = 1;        /* every output back at its safe value once settled */
        s->width_override = -1;
        c->roller.active = true;
        c->roller.sweeping = false;
        c->roller.target_mm = 0;  /* park at the bottom of the track */
        c->roller.speed = s->config.max_speed_mm_s;
        start_travel(s);
        set_mode(s, SCHEDULER_SETTLING);
}

static void handle_command(struct scheduler *s, const struct command *cmd, uint64_t now) {
        switch (cmd->type) {
        case CMD_LOAD:
                release_timeline(s);
                memset(&s->planned, 0, sizeof s->planned);
                s->planned.mech.width = 1;
                s->timeline = cmd->timeline;
                s->next = 0;
                s->roller_offset_mm = 0; /* planned on the body as it is now */
                /* A new program is a safe point: the modifiers sent for it apply from its
                 * first command, never the last session's. */
                if (s->modifiers_pending)
                        take_modifiers(s);
                s->t0_ns = cmd->start_ns;
                atomic_store(&s->program_ms, 0);
                set_mode(s, SCHEDULER_RUNNING);
                break;
        case CMD_PAUSE:
                if (s->mode == SCHEDULER_RUNNING) {
                        s->paused_at_ns = now;
                        s->roller.deadline_ns = 0;
                        set_mode(s, SCHEDULER_PAUSED);
                }
                break;
        case CMD_RESUME:
                if (s->mode == SCHEDULER_PAUSED) {
                        s->t0_ns += now - s->paused_at_ns;
                        set_mode(s, SCHEDULER_RUNNING);
                        /* The travel goes on from where the roller stands, deadline anew. */
                        if (s->planned.roller.active)
                                start_travel(s);
                }
                break;
        case CMD_SETTLE:
                begin_settling(s);
                break;
        case CMD_ABORT:
                release_timeline(s);
                memset(&s->planned, 0, sizeof s->planned);
                s->planned.mech.width = 1;
                /* The router already drove everything safe; forget what we wrote. */
                memset(s->out_known, 0, sizeof s->out_known);
                s->roller.deadline_ns = 0;
                s->travel_run_ns = s->roller.dwell_until_ns = 0;
                atomic_store(&s->air_zones_active, 0);
                for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++)
                        atomic_store(&s->heat_levels[z], 0);
                set_mode(s, SCHEDULER_IDLE);
                break;
        case CMD_MANUAL:
                release_timeline(s);
                if (s->mode == SCHEDULER_IDLE) {
                        memset(&s->planned, 0, sizeof s->planned);
                        s->planned.mech.width = 1;
                        memset(s->out_known, 0, sizeof s->out_known);
                }
                set_mode(s, SCHEDULER_MANUAL);
                break;
        case CMD_SET_CHANNEL: {
                struct timeline_cmd tc = { 0, (uint16_t) cmd->a, (int16_t) cmd->b, cmd->c };
                apply_command(s, &tc);
                break;
        }
        case CMD_MODIFIERS:
                s->pending_intensity_pct = cmd->a;
                s->pending_speed_pct = cmd->b;
                s->pending_width = cmd->c;
                s->modifiers_pending = true;
                if (s->mode == SCHEDULER_MANUAL) {
                        /* manual mode has no steps: every moment is a safe point */
                        s->intensity_pct = cmd->a;
                        s->speed_pct = cmd->b;
                        s->width_override = cmd->c;
                        s->modifiers_pending = false;
                }
                break;
        case CMD_ROLLER_OFFSET:
                s->roller_offset_mm = cmd->a;
                break;
        case CMD_HANG:
                s->hung = true;
                break;
        case CMD_LATE:
                /* As if this wake-up came late: the next command is now cmd->a ms overdue. */
                if (s->timeline && s->next < s->timeline->n_cmds) {
                        uint64_t deadline = s->t0_ns + (uint64_t) s->timeline->cmds[s->next].at_ms * 1000000ULL;
                        uint64_t shift = (deadline > now ? deadline - now : 0) + (uint64_t) cmd->a * 1000000ULL;
                        s->t0_ns -= MIN(shift, s->t0_ns);
                }
                break;
        case CMD_QUIT:
                break;
        }
}

static uint64_t service(struct scheduler *s, uint64_t now) {
        struct command cmd;

        /* A wake-up at or after the deadline it slept for (a command's or the controllers'
         * tick), not one rung early by the doorbell: its lateness, one sample per wake-up. */
        if (s->slept_until != UINT64_MAX && now >= s->slept_until)
                latency_hist_record(&s->wakeups_late, now - s->slept_until);
        uint64_t next = UINT64_MAX;
        uint64_t bound_ns = (uint64_t) s->config.deadline_miss_ms * 1000000ULL;

        atomic_fetch_add(&s->wakeups, 1);
        s->now_ns = now;
        while (command_ring_pop(&s->commands, &cmd))
                handle_command(s, &cmd, now);

        if (s->mode == SCHEDULER_RUNNING && s->timeline) {
                while (s->next < s->timeline->n_cmds) {
                        const struct timeline_cmd *tc = &s->timeline->cmds[s->next];
                        uint64_t deadline = s->t0_ns + (uint64_t) tc->at_ms * 1000000ULL;
                        if (deadline > now) {
                                next = deadline;
                                break;
                        }
                        latency_hist_record(&s->commands_late, now - deadline);
                        if (bound_ns && now - deadline > bound_ns) {
                                ring_push_event(s, &(struct scheduler_event) {
                                        SCHED_EV_LATE, (int32_t) s->next, (int64_t) ((now - deadline) / 1000), NULL });
                                /* Stop here: the supervisor makes everything safe. */
                                release_timeline(s);
                                set_mode(s, SCHEDULER_IDLE);
                                return UINT64_MAX;
                        }
                        if (s->roller_offset_mm && (tc->channel == TL_ROLLER_SWEEP ||
                                                    (tc->channel == TL_ROLLER_POSITION && tc->value != TL_ROLLER_HERE))) {
                                struct timeline_cmd shifted = *tc;
                                shifted.value = tc->channel == TL_ROLLER_SWEEP
                                                        ? timeline_sweep_value(timeline_sweep_first(tc->value) + s->roller_offset_mm,
                                                                               timeline_sweep_second(tc->value) + s->roller_offset_mm)
                                                        : tc->value + s->roller_offset_mm;
                                apply_command(s, &shifted);
                        } else {
                                apply_command(s, tc);
                        }
                        s->next++;
                }
                if (now >= s->t0_ns)
                        atomic_store(&s->program_ms, (unsigned) ((now - s->t0_ns) / 1000000ULL));
                if (s->timeline && s->next >= s->timeline->n_cmds) {
                        uint64_t end = s->t0_ns + (uint64_t) s->timeline->duration_ms * 1000000ULL;
                        if (now >= end) {
                                ring_push_event(s, &(struct scheduler_event) { SCHED_EV_FINISHED, 0, 0, NULL });
                                begin_settling(s);
                        } else {
                                next = end;
                        }
                }
        }

        if (s->mode == SCHEDULER_IDLE)
                return next;

        run_controllers(s);

        if (s->mode == SCHEDULER_SETTLING) {
                if (roller_parked(roller_mm(s), input(s, CHAIR_IN_LIMIT_BOTTOM, 0) != 0)) {
                        put(s, CHAIR_OUT_TRAVEL_MOTOR, 0);
                        s->planned.roller.active = false;
                        s->roller.deadline_ns = 0;
                        set_mode(s, SCHEDULER_IDLE);
                        ring_push_event(s, &(struct scheduler_event) { SCHED_EV_SETTLED, 0, 0, NULL });
                        return next;
                }
        }
        /* Controllers tick while active; a paused chair with no heat needs no ticks. Only a
         * travelling roller or a running pump needs the fast tick: heat, held air and a roller at
         * its target change slowly, and the next timeline command wakes the thread anyway. */
        if (s->mode != SCHEDULER_PAUSED || s->planned.heat_level[0] || s->planned.heat_level[1]) {
                bool fast = s->mode == SCHEDULER_SETTLING || s->out_cache[CHAIR_OUT_TRAVEL_MOTOR] != 0 ||
                            s->out_cache[CHAIR_OUT_AIR_PUMP] != 0 || s->roller.dwell_until_ns != 0;
                uint64_t period_ms = fast ? s->config.tick_ms : MAX(s->config.tick_ms, SLOW_TICK_MS);
                if (s->next_tick_ns <= now || s->next_tick_ns > now + period_ms * 1000000ULL)
                        s->next_tick_ns = now + period_ms * 1000000ULL;
                next = MIN(next, s->next_tick_ns);
        }
        return next;
}

uint64_t scheduler_service(struct scheduler *s, uint64_t now) {
        uint64_t next = service(s, now);

        /* For the supervisor's travel-timeout check (event loop). */
        atomic_store(&s->roller_deadline_ns, s->roller.deadline_ns);
        s->slept_until = next;
        /* Everything this wake-up set goes out together. */
        if (s->staged && s->io.flush)
                s->io.flush(s->io.userdata);
        s->staged = false;
        return next;
}

/* ---- the thread ---- */

static bool quit_requested(struct scheduler *s) {
        const struct command *c;

        /* Looked for without consuming the other commands. */
        for (unsigned i = 0; (c = command_ring_peek(&s->commands, i)); i++)
                if (c->type == CMD_QUIT)
                        return true;
        return false;
}

static void *thread_main(void *userdata) {
        struct scheduler *s = userdata;

        /* The futex's timeout takes the thread's timer slack (50 us by default, and not every
         * kernel zeroes it for SCHED_FIFO): the smallest there is, so a deadline is a deadline. */
        (void) prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
        for (;;) {
                /* Read before looking at the queue: a command pushed after this point moves
                 * the doorbell on, so the wait below returns at once instead of missing it. */
                unsigned seen = atomic_load_explicit(&s->doorbell, memory_order_acquire);
                uint64_t next;

                if (quit_requested(s))
                        return NULL;
                next = scheduler_service(s, clock_ns(CLOCK_MONOTONIC));
                if (s->hung) {
                        /* Stuck on purpose: no progress, no outputs, only a quit ends it. */
                        while (!quit_requested(s)) {
                                seen = atomic_load_explicit(&s->doorbell, memory_order_acquire);
                                if (!quit_requested(s))
                                        doorbell_wait(s, seen, UINT64_MAX);
                        }
                        return NULL;
                }
                doorbell_wait(s, seen, next);
        }
}

/* A small stack (it is locked in memory with everything else), and the CPU of the map. */
static int thread_attr_init(struct scheduler *s, pthread_attr_t *attr) {
        int r;

        pthread_attr_init(attr);
        pthread_attr_setstacksize(attr, 256 * 1024);
        if (s->config.cpu >= 0) {
                cpu_set_t set;
                CPU_ZERO(&set);
                CPU_SET((unsigned) s->config.cpu, &set);
                r = pthread_attr_setaffinity_np(attr, sizeof set, &set);
                if (r != 0)
                        return -r;
        }
        return 0;
}

int scheduler_start_thread(struct scheduler *s, bool *ret_realtime) {
        struct sched_param param = { .sched_priority = s->config.priority ? (int) s->config.priority : 50 };
        pthread_attr_t attr;
        bool rt = true;
        int r;

        /* Memory locked so a page fault never delays a deadline; both need privileges. */
        if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
                rt = false;
        r = thread_attr_init(s, &attr);
        if (r < 0) {
                pthread_attr_destroy(&attr);
                return r;
        }
        if (rt) {
                pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
                pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
                pthread_attr_setschedparam(&attr, &param);
        }
        r = pthread_create(&s->thread, &attr, thread_main, s);
        /* EPERM: no real-time priority allowed; EAGAIN: the locked-memory limit is too small
         * for the new stack. Either way: an ordinary thread, unlocked. */
        if ((r == EPERM || r == EAGAIN) && rt) {
                rt = false;
                munlockall();
                pthread_attr_destroy(&attr);
                (void) thread_attr_init(s, &attr);
                r = pthread_create(&s->thread, &attr, thread_main, s);
        }
        pthread_attr_destroy(&attr);
        /* EINVAL here: the CPU of the map is not one this process may run on. */
        if (r != 0)
                return -r;
        /* Named, so top -H, ps -L and the benchmarks can tell it from the other threads. */
        (void) pthread_setname_np(s->thread, "scheduler");
        s->thread_running = true;
        atomic_store(&s->realtime, rt);
        if (ret_realtime)
                *ret_realtime = rt;
        return 0;
}

void scheduler_stop_thread(struct scheduler *s) {
        if (!s->thread_running)
                return;
        push_command(s, &(struct command) { .type = CMD_QUIT });
        pthread_join(s->thread, NULL);
        s->thread_running = false;
}

int scheduler_new(const struct scheduler_config *config, const struct scheduler_io *io,
                  struct scheduler **ret) {
        struct scheduler *s = calloc(1, sizeof *s);

        if (!s)
                return -ENOMEM;
        s->config = *config;
        if (s->config.tick_ms == 0)
                s->config.tick_ms = 10;
        if (s->config.max_speed_mm_s <= 0)
                s->config.max_speed_mm_s = 40;
        s->travel = (struct travel_limits) {
                .max_speed_mm_s = s->config.max_speed_mm_s,
                .margin_pct = s->config.travel_margin_pct ? s->config.travel_margin_pct : TRAVEL_MARGIN_PCT_DEFAULT,
                .floor_ms = s->config.travel_timeout_ms,
        };
        s->io = *io;
        s->intensity_pct = s->speed_pct = 100;
        s->pending_intensity_pct = s->pending_speed_pct = 100;
        s->width_override = s->pending_width = -1;
        s->planned.mech.width = 1;
        s->slept_until = UINT64_MAX;
        s->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (s->event_fd < 0) {
                int r = -errno;
                scheduler_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

void scheduler_free(struct scheduler *s) {
        struct scheduler_event ev;

        if (!s)
                return;
        scheduler_stop_thread(s);
        /* Free timelines still owned by queues or the scheduler. */
        while (scheduler_pop_event(s, &ev))
                if (ev.type == SCHED_EV_TIMELINE_DONE && ev.ptr) {
                        timeline_free(ev.ptr);
                }
        for (struct command c; command_ring_pop(&s->commands, &c);)
                if (c.type == CMD_LOAD && c.timeline) {
                        timeline_free(c.timeline);
                }
        if (s->timeline) {
                timeline_free(s->timeline);
        }
        if (s->event_fd >= 0)
                close(s->event_fd);
        free(s);
}

/* ---- event-loop side ---- */

int scheduler_load(struct scheduler *s, struct timeline *t, uint64_t start_ns) {
        int r = push_command(s, &(struct command) { .type = CMD_LOAD, .timeline = t, .start_ns = start_ns });
        if (r < 0)
                timeline_free(t); /* takes t on every path */
        return r;
}
int scheduler_pause(struct scheduler *s) {
        return push_command(s, &(struct command) { .type = CMD_PAUSE });
}
int scheduler_resume(struct scheduler *s) {
        return push_command(s, &(struct command) { .type = CMD_RESUME });
}
int scheduler_settle(struct scheduler *s) {
        return push_command(s, &(struct command) { .type = CMD_SETTLE });
}
int scheduler_abort(struct scheduler *s) {
        return push_command(s, &(struct command) { .type = CMD_ABORT });
}
int scheduler_manual(struct scheduler *s) {
        return push_command(s, &(struct command) { .type = CMD_MANUAL });
}
int scheduler_set_channel(struct scheduler *s, enum timeline_channel c, int16_t arg, int32_t value) {
        return push_command(s, &(struct command) { .type = CMD_SET_CHANNEL, .a = (int32_t) c, .b = arg, .c = value });
}
int scheduler_set_roller_offset(struct scheduler *s, int32_t mm) {
        return push_command(s, &(struct command) { .type = CMD_ROLLER_OFFSET, .a = mm });
}

int scheduler_set_modifiers(struct scheduler *s, int32_t intensity_pct, int32_t speed_pct, int32_t width) {
        return push_command(s, &(struct command) { .type = CMD_MODIFIERS, .a = intensity_pct, .b = speed_pct, .c = width });
}

int scheduler_inject_hang(struct scheduler *s) {
        return push_command(s, &(struct command) { .type = CMD_HANG });
}

int scheduler_inject_late(struct scheduler *s, uint32_t ms) {
        return push_command(s, &(struct command) { .type = CMD_LATE, .a = (int32_t) ms });
}

void scheduler_set_command_lost_sink(struct scheduler *s, scheduler_command_lost_fn fn, void *userdata) {
        s->command_lost = fn;
        s->command_lost_userdata = userdata;
}

bool scheduler_taking_commands(struct scheduler *s) {
        return wait_for_queue(s, true);
}

int scheduler_event_fd(struct scheduler *s) {
        return s->event_fd;
}

bool scheduler_overflowed(struct scheduler *s) {
        return atomic_load(&s->overflow);
}

static void summarize(const struct latency_hist *h, uint64_t *count, uint64_t *p50_us, uint64_t *p99_us,
                      uint64_t *max_us, uint64_t *over_1ms) {
        struct latency_summary sum;

        latency_hist_summarize(h, &sum);
        *count = sum.count;
        *p50_us = sum.p50_us;
        *p99_us = sum.p99_us;
        *max_us = sum.max_us;
        *over_1ms = sum.over_1ms;
}

void scheduler_get_stats(struct scheduler *s, struct scheduler_stats *ret) {
        memset(ret, 0, sizeof *ret);
        summarize(&s->commands_late, &ret->count, &ret->p50_us, &ret->p99_us, &ret->max_us, &ret->over_1ms);
        summarize(&s->wakeups_late, &ret->wake_count, &ret->wake_p50_us, &ret->wake_p99_us, &ret->wake_max_us,
                  &ret->wake_over_1ms);
        ret->wakeups = atomic_load(&s->wakeups);
        ret->realtime = atomic_load(&s->realtime);
}

size_t scheduler_get_histogram(struct scheduler *s, enum scheduler_histogram which, struct scheduler_hist_bin *ret) {
        return latency_hist_bins(which == SCHED_HIST_WAKEUPS ? &s->wakeups_late : &s->commands_late, ret);
}

uint64_t scheduler_wakeups(struct scheduler *s) {
        return atomic_load(&s->wakeups);
}

uint32_t scheduler_program_ms(struct scheduler *s) {
        return atomic_load(&s->program_ms);
}

enum scheduler_mode scheduler_get_mode(struct scheduler *s) {
        return atomic_load(&s->mode_shared);
}

uint32_t scheduler_active_air_zones(struct scheduler *s) {
        return atomic_load(&s->air_zones_active);
}

uint64_t scheduler_roller_deadline_ns(struct scheduler *s) {
        return atomic_load(&s->roller_deadline_ns);
}

int32_t scheduler_heat_level(struct scheduler *s, enum chair_heat_zone z) {
        return (unsigned) z < _CHAIR_HEAT_ZONE_MAX ? atomic_load(&s->heat_levels[z]) : 0;
}
