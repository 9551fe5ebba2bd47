/* SPDX-License-Identifier: MIT */
/* The scheduler with an injected clock: whole programs run in milliseconds, and the command log
 * is checked against the plan. A tiny roller model stands in for the chair. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "scheduler.h"

#define MS 1000000ULL

struct fake_chair {
        uint64_t now;
        int32_t out[_CHAIR_OUT_MAX];
        double roller_mm;
        int32_t pressure, temp;
        unsigned n_sets;
        unsigned unflushed;        /* staged since the last flush */
        unsigned flushes, largest_flush;
        struct { uint64_t at; int out; int32_t value; } log[20000];
};

/* Staged values reach the fake world at once: the log records when they were set, and the
 * flush count shows how they were batched. */
static int fake_set(void *userdata, enum chair_output out, int32_t value) {
        struct fake_chair *c = userdata;
        c->out[out] = value;
        c->unflushed++;
        if (c->n_sets < 20000)
                c->log[c->n_sets++] = (typeof(c->log[0])) { c->now, out, value };
        return 0;
}

static void fake_flush(void *userdata) {
        struct fake_chair *c = userdata;
        c->flushes++;
        if (c->unflushed > c->largest_flush)
                c->largest_flush = c->unflushed;
        c->unflushed = 0;
}

static int fake_read(void *userdata, enum chair_input in, int32_t *ret) {
        struct fake_chair *c = userdata;
        switch (in) {
        case CHAIR_IN_ENCODER:
                *ret = (int32_t) (c->roller_mm * 2);
                return 0;
        case CHAIR_IN_LIMIT_BOTTOM:
                *ret = c->roller_mm <= 0;
                return 0;
        case CHAIR_IN_LIMIT_TOP:
                *ret = c->roller_mm >= 800;
                return 0;
        case CHAIR_IN_AIR_PRESSURE:
                *ret = c->pressure;
                return 0;
        case CHAIR_IN_TEMP_LUMBAR:
                *ret = c->temp;
                return 0;
        default:
                return -ENODEV;
        }
}

/* Advances the fake world to t, integrating the roller at 40 mm/s at 100 % duty. */
static void advance(struct fake_chair *c, uint64_t t) {
        double dt = (double) (t - c->now) / 1e9;
        c->roller_mm += c->out[CHAIR_OUT_TRAVEL_MOTOR] / 100.0 * 40.0 * dt;
        if (c->roller_mm < 0)
                c->roller_mm = 0;
        if (c->roller_mm > 800)
                c->roller_mm = 800;
        if (c->out[CHAIR_OUT_AIR_PUMP])
                c->pressure += (int32_t) (dt * 200);
        c->now = t;
}

static struct scheduler *new_scheduler(struct fake_chair *c) {
        struct scheduler_config cfg = { .pulses_per_mm = 2, .track_length_mm = 800, .max_speed_mm_s = 40,
                                        .deadline_miss_ms = 20, .tick_ms = 10,
                                        .travel_timeout_ms = 42000 };
        struct scheduler_io io = { fake_set, fake_read, c, fake_flush };
        struct scheduler *s;
        assert_int_equal(scheduler_new(&cfg, &io, &s), 0);
        return s;
}

static struct timeline *make_timeline(const struct timeline_cmd *cmds, size_t n, uint32_t duration_ms) {
        struct timeline *t = calloc(1, sizeof *t);
        t->cmds = calloc(n, sizeof *cmds);
        memcpy(t->cmds, cmds, n * sizeof *cmds);
        t->n_cmds = n;
        t->duration_ms = duration_ms;
        return t;
}

/* Runs the scheduler's wake-ups on the fake clock until `until` or until idle. */
static void run_until(struct scheduler *s, struct fake_chair *c, uint64_t until, struct scheduler_event *events,
                      unsigned *n_events) {
        for (;;) {
                uint64_t next = scheduler_service(s, c->now);
                struct scheduler_event ev;

                /* Whatever a wake-up set, on every path out of it, has been flushed. */
                assert_int_equal(c->unflushed, 0);
                while (scheduler_pop_event(s, &ev)) {
                        if (ev.type == SCHED_EV_TIMELINE_DONE) {
                                timeline_free(ev.ptr);
                                continue;
                        }
                        if (events && *n_events < 64)
                                events[(*n_events)++] = ev;
                }
                if (next == UINT64_MAX || next > until) {
                        advance(c, until);
                        return;
                }
                advance(c, next);
        }
}

static uint64_t first_set(struct fake_chair *c, int out, int32_t value) {
        for (unsigned i = 0; i < c->n_sets; i++)
                if (c->log[i].out == out && c->log[i].value == value)
                        return c->log[i].at;
        return UINT64_MAX;
}

static bool set_at(struct fake_chair *c, int out, int32_t value, uint64_t at) {
        for (unsigned i = 0; i < c->n_sets; i++)
                if (c->log[i].out == out && c->log[i].value == value && c->log[i].at == at)
                        return true;
        return false;
}

static void test_commands_at_planned_times(void **state) {
        struct fake_chair *c = calloc(1, sizeof *c);
        struct scheduler *s = new_scheduler(c);
        struct scheduler_event ev[64];
        unsigned n = 0;
        const struct timeline_cmd cmds[] = {
                { 0, TL_STEP, 0, 0 },
                { 0, TL_KNEAD, 0, 60 },
                { 1500, TL_TAP, 0, 40 },
                { 2000, TL_STEP, 0, 1 },
                { 2000, TL_KNEAD, 0, -50 },
                { 30 * 60 * 1000, TL_TAP, 0, 0 },   /* half an hour in */
        };
        uint64_t start = 1000 * MS;

        c->now = start;
        assert_int_equal(scheduler_load(s, make_timeline(cmds, 6, 30 * 60 * 1000 + 500), start), 0);
        run_until(s, c, start + 31 * 60 * 1000 * MS, ev, &n);

        assert_int_equal(first_set(c, CHAIR_OUT_KNEAD_MOTOR, 60), start);
        assert_int_equal(first_set(c, CHAIR_OUT_TAP_MOTOR, 40), start + 1500 * MS);
        assert_int_equal(first_set(c, CHAIR_OUT_KNEAD_MOTOR, -50), start + 2000 * MS);
        assert_true(set_at(c, CHAIR_OUT_TAP_MOTOR, 0, start + 30 * 60 * 1000 * MS));

        struct scheduler_stats st;
        scheduler_get_stats(s, &st);
        assert_int_equal(st.count, 6);
        assert_int_equal(st.max_us, 0);
        assert_int_equal(st.over_1ms, 0);
        /* Every timed wake-up (commands and controller ticks) is a sample, each on time here. */
        assert_true(st.wake_count >= 4);
        assert_int_equal(st.wake_max_us, 0);
        /* The step at 2 s sets its outputs in one wake-up, sent with one flush. */
        assert_true(c->largest_flush >= 2);

        /* Steps, then the end, then settling done. */
        assert_int_equal(ev[0].type, SCHED_EV_STEP);
        assert_int_equal(ev[1].type, SCHED_EV_STEP);
        assert_int_equal(ev[1].a, 1);
        bool finished = false, settled = false;
        for (unsigned i = 0; i < n; i++) {
                finished |= ev[i].type == SCHED_EV_FINISHED;
                settled |= ev[i].type == SCHED_EV_SETTLED;
        }
        assert_true(finished && settled);
        assert_int_equal(scheduler_get_mode(s), SCHEDULER_IDLE);
        assert_int_equal(c->out[CHAIR_OUT_KNEAD_MOTOR], 0);
        assert_int_equal(c->out[CHAIR_OUT_TRAVEL_MOTOR], 0);
        assert_int_equal(c->out[CHAIR_OUT_AIR_RELEASE], 1);
        scheduler_free(s);
        free(c);
}

static void test_roller_reaches_target(void **state) {
        struct fake_chair *c = calloc(1, sizeof *c);
        struct scheduler *s = new_scheduler(c);
        const struct timeline_cmd cmds[] = {
                { 0, TL_ROLLER_POSITION, 40, 600 },
                { 20000, TL_ROLLER_POSITION, 20, 300 },
        };
        c->now = 5 * MS;
        scheduler_load(s, make_timeline(cmds, 2, 40000), c->now);
        run_until(s, c, c->now + 19000 * MS, NULL, NULL);
        assert_true(c->roller_mm > 600 - 4 && c->roller_mm < 600 + 4);
        run_until(s, c, c->now + 20000 * MS, NULL, NULL);
        assert_true(c->roller_mm > 300 - 4 && c->roller_mm < 300 + 4);
        scheduler_free(s);
        free(c);
}

/* The longest continuous run of the travel motor in the log (a stop or a reversal ends one). */
static uint64_t longest_travel_run(struct fake_chair *c, uint64_t end) {
        uint64_t longest = 0, since = 0;
        int32_t last = 0;
        for (unsigned i = 0; i < c->n_sets; i++) {
                if (c->log[i].out != CHAIR_OUT_TRAVEL_MOTOR)
                        continue;
                int32_t v = c->log[i].value;
                if (last && (v == 0 || (v < 0) != (last < 0)) && c->log[i].at - since > longest)
                        longest = c->log[i].at - since;
                if (v && (!last || (v < 0) != (last < 0)))
                        since = c->log[i].at;
                last = v;
        }
        if (last && end - since > longest)
                longest = end - since;
        return longest;
}

/* A sweep goes closed-loop to each end and turns there, whatever the time: the encoder says
 * when an end is reached. */
static void test_sweep_turns_at_the_ends(void **state) {
        struct fake_chair *c = calloc(1, sizeof *c);
        struct scheduler *s = new_scheduler(c);
        const struct timeline_cmd cmds[] = {
                { 0, TL_ROLLER_SWEEP, 20, timeline_sweep_value(100, 600) },
        };
        double lo = 1e9, hi = -1e9;
        unsigned turns = 0;
        int dir = 0;

        uint64_t first = 0;

        scheduler_load(s, make_timeline(cmds, 1, 120000), 0);
        for (uint64_t t = 100; t < 110000; t += 100) {
                double before = c->roller_mm;
                run_until(s, c, t * MS, NULL, NULL);
                /* First to the first end, from the bottom. */
                if (!first && c->roller_mm > 100 - 4 && c->roller_mm < 100 + 4)
                        first = t;
                if (!first)
                        continue;
                lo = c->roller_mm < lo ? c->roller_mm : lo;
                hi = c->roller_mm > hi ? c->roller_mm : hi;
                int d = c->roller_mm > before + 0.01 ? 1 : c->roller_mm < before - 0.01 ? -1 : 0;
                if (d && dir && d != dir)
                        turns++;
                if (d)
                        dir = d;
        }
        assert_true(first > 0 && first < 7000);
        /* Both ends reached, never overshot, and turned at each: 500 mm at 20 mm/s is ~27 s. */
        assert_true(lo > 100 - 4 && lo < 100 + 4);
        assert_true(hi > 600 - 4 && hi < 600 + 4);
        assert_true(turns >= 3);
        scheduler_free(s);
        free(c);
}

/* A travel longer than the travel motor's maximum on-time allows goes in legs with a short
 * stop between them; each leg's deadline is its expected time plus the margin. */
static void test_long_travel_in_legs(void **state) {
        struct fake_chair *c = calloc(1, sizeof *c);
        struct scheduler *s = new_scheduler(c);
        const struct timeline_cmd cmds[] = {
                { 0, TL_ROLLER_POSITION, 8, 700 },  /* 700 mm at 8 mm/s: 88 s */
        };
        uint64_t deadline;

        scheduler_load(s, make_timeline(cmds, 1, 150000), 0);
        run_until(s, c, 1000 * MS, NULL, NULL);
        deadline = scheduler_roller_deadline_ns(s);
        /* The first leg's deadline is well inside the 42 s and past its expected time. */
        assert_true(deadline > 20000 * MS && deadline <= 41500 * MS);
        run_until(s, c, 120000 * MS, NULL, NULL);
        assert_true(c->roller_mm > 700 - 4 && c->roller_mm < 700 + 4);
        assert_true(longest_travel_run(c, c->now) < 41000 * MS);
        assert_int_equal(scheduler_roller_deadline_ns(s), 0);
        scheduler_free(s);
        free(c);
}

/* New targets in the same direction continue the motor's run: it stops a moment before the
 * run would pass its limit, rather than trip the last line of defence. */
static void test_run_continued_by_new_targets_stops(void **state) {
        struct fake_chair *c = calloc(1, sizeof *c);
        struct scheduler *s = new_scheduler(c);
        struct timeline_cmd cmds[16];
        size_t n = 0;

        /* A target 50 mm further every 5 s at 8 mm/s: the roller never arrives before the next. */
        for (; n < 16; n++)
                cmds[n] = (struct timeline_cmd) { (uint32_t) (n * 5000), TL_ROLLER_POSITION, 8, (int32_t) (60 * (n + 1)) };
        scheduler_load(s, make_timeline(cmds, n, 150000), 0);
        run_until(s, c, 140000 * MS, NULL, NULL);
        assert_true(c->roller_mm > 800 - 4);
        assert_true(longest_travel_run(c, c->now) < 41000 * MS);
        scheduler_free(s);
        free(c);
}

static void test_pause_holds_and_shifts(void **state) {
        struct fake_chair *c = calloc(1, sizeof *c);
        struct scheduler *s = new_scheduler(c);
        const struct timeline_cmd cmds[] = {
                { 0, TL_KNEAD, 0, 50 },
                { 1000, TL_TAP, 0, 30 },
        };
        c->now = 0;
        scheduler_load(s, make_timeline(cmds, 2, 5000), 0);
        run_until(s, c, 500 * MS, NULL, NULL);
        scheduler_pause(s);
        run_until(s, c, 600 * MS, NULL, NULL);
        assert_int_equal(c->out[CHAIR_OUT_KNEAD_MOTOR], 0);
        unsigned sets = c->n_sets;
        run_until(s, c, 3600 * MS, NULL, NULL);
        /* Paused: nothing changes, and the tap command has not run. */
        assert_int_equal(c->n_sets, sets);
        assert_int_equal(c->out[CHAIR_OUT_TAP_MOTOR], 0);
        scheduler_resume(s);
        run_until(s, c, 5000 * MS, NULL, NULL);
        /* Paused at program time 500 ms, resumed at 3600 ms: the 1000 ms command runs 500 ms later. */
        assert_int_equal(first_set(c, CHAIR_OUT_TAP_MOTOR, 30), 3600 * MS + 500 * MS);
        assert_int_equal(c->out[CHAIR_OUT_KNEAD_MOTOR], 50);
        scheduler_free(s);
        free(c);
}

static void test_late_command_is_a_fault(void **state) {
        struct fake_chair *c = calloc(1, sizeof *c);
        struct scheduler *s = new_scheduler(c);
        struct scheduler_event ev[64];
        unsigned n = 0;
        const struct timeline_cmd cmds[] = { { 0, TL_KNEAD, 0, 50 }, { 100, TL_TAP, 0, 30 } };

        scheduler_load(s, make_timeline(cmds, 2, 1000), 0);
        scheduler_service(s, 0);
        /* The thread "stalls" 50 ms past the second deadline (bound: 20 ms). */
        c->now = 150 * MS;
        run_until(s, c, 150 * MS, ev, &n);
        bool late = false;
        for (unsigned i = 0; i < n; i++)
                if (ev[i].type == SCHED_EV_LATE) {
                        late = true;
                        assert_int_equal(ev[i].a, 1);
                        assert_true(ev[i].b >= 50000);
                }
        assert_true(late);
        assert_int_equal(c->out[CHAIR_OUT_TAP_MOTOR], 0); /* never silently executed late */
        assert_int_equal(scheduler_get_mode(s), SCHEDULER_IDLE);
        /* The late wake-up is in both distributions. */
        struct scheduler_stats st;
        scheduler_get_stats(s, &st);
        assert_true(st.max_us >= 50000 && st.wake_max_us >= 50000);
        assert_int_equal(st.wake_over_1ms, 1);
        scheduler_free(s);
        free(c);
}

/* Each command's lateness lands in its bin: 1 us wide below 1 ms, 10 us below 10 ms, 100 us
 * below 100 ms; the percentiles are the largest whole microsecond of their bin. */
static void test_lateness_histogram(void **state) {
        struct fake_chair *c = calloc(1, sizeof *c);
        struct scheduler *s = new_scheduler(c);
        struct scheduler_hist_bin *bins = calloc(SCHED_HIST_BINS, sizeof *bins);
        const struct timeline_cmd cmds[] = {
                { 0, TL_KNEAD, 0, 50 }, { 0, TL_TAP, 0, 30 }, { 0, TL_KNEAD, 0, 40 },
                { 100, TL_TAP, 0, 20 }, { 200, TL_KNEAD, 0, 30 }, { 300, TL_TAP, 0, 10 },
        };
        const uint64_t late_ns[] = { 0, 5000, 1234000, 15000000 };   /* per deadline */
        struct scheduler_stats st;
        size_t n;

        scheduler_load(s, make_timeline(cmds, 6, 1000), 0);
        for (unsigned i = 0; i < 4; i++)
                scheduler_service(s, i * 100 * MS + late_ns[i]);

        n = scheduler_get_histogram(s, SCHED_HIST_COMMANDS, bins);
        assert_int_equal(n, 4);
        assert_int_equal(bins[0].from_us, 0);
        assert_int_equal(bins[0].to_us, 1);
        assert_int_equal(bins[0].count, 3);
        assert_int_equal(bins[1].from_us, 5);
        assert_int_equal(bins[1].count, 1);
        assert_int_equal(bins[2].from_us, 1230);
        assert_int_equal(bins[2].to_us, 1240);
        assert_int_equal(bins[3].from_us, 15000);
        assert_int_equal(bins[3].to_us, 15100);
        scheduler_get_stats(s, &st);
        assert_int_equal(st.count, 6);
        assert_int_equal(st.p50_us, 0);         /* half the commands were on time */
        assert_int_equal(st.p99_us, 15000);     /* the bin holds up to 15099, the maximum is 15000 */
        assert_int_equal(st.max_us, 15000);
        assert_int_equal(st.over_1ms, 2);

        /* The wake-up histogram counts what wake_count counts. */
        n = scheduler_get_histogram(s, SCHED_HIST_WAKEUPS, bins);
        uint64_t total = 0;
        for (size_t i = 0; i < n; i++)
                total += bins[i].count;
        assert_int_equal(total, st.wake_count);

        /* 100 ms and later share the last bin. */
        scheduler_service(s, 900 * MS + 250 * MS);
        n = scheduler_get_histogram(s, SCHED_HIST_WAKEUPS, bins);
        assert_int_equal(bins[n - 1].from_us, 100000);
        assert_true(bins[n - 1].to_us == UINT64_MAX);
        free(bins);
        scheduler_free(s);
        free(c);
}

static void count_lost(void *userdata) {
        (*(unsigned *) userdata)++;
}

/* With no thread to drain it, the queue stays full: the push retries for its few milliseconds,
 * then tells the sink once per lost command (never for an abort, which follows a trip). */
static void test_full_queue_refused(void **state) {
        struct fake_chair *c = calloc(1, sizeof *c);
        struct scheduler *s = new_scheduler(c);
        unsigned lost = 0;
        int r = 0, queued = 0;

        scheduler_set_command_lost_sink(s, count_lost, &lost);
        assert_true(scheduler_taking_commands(s));
        for (int i = 0; i < 100 && r == 0; i++)
                if ((r = scheduler_set_channel(s, TL_KNEAD, 0, i % 100)) == 0)
                        queued++;
        assert_int_equal(r, -EAGAIN);
        assert_int_equal(queued, 64);
        assert_int_equal(lost, 1);
        assert_false(scheduler_taking_commands(s));
        assert_int_equal(scheduler_abort(s), -EAGAIN);
        assert_int_equal(lost, 1);
        assert_int_equal(scheduler_pause(s), -EAGAIN);
        assert_int_equal(lost, 2);

        /* A wake-up takes them all: the queue has room again. */
        scheduler_service(s, 0);
        assert_true(scheduler_taking_commands(s));
        assert_int_equal(scheduler_pause(s), 0);
        scheduler_free(s);
        free(c);
}

static void test_air_and_heat_controllers(void **state) {
        struct fake_chair *c = calloc(1, sizeof *c);
        struct scheduler *s = new_scheduler(c);
        const struct timeline_cmd cmds[] = {
                { 0, TL_AIR_ZONE, CHAIR_AIR_CALVES, TL_AIR_INFLATE | (2 << 8) },
                { 0, TL_HEAT_ZONE, CHAIR_HEAT_LUMBAR, 3 },
                { 4000, TL_AIR_ZONE, CHAIR_AIR_CALVES, TL_AIR_RELEASE },
        };
        c->temp = 250;
        scheduler_load(s, make_timeline(cmds, 3, 6000), 0);
        run_until(s, c, 100 * MS, NULL, NULL);
        assert_int_equal(c->out[CHAIR_OUT_AIR_PUMP], 1);
        assert_int_equal(c->out[CHAIR_OUT_VALVE_CALVES], 1);
        assert_int_equal(c->out[CHAIR_OUT_AIR_RELEASE], 0);
        assert_int_equal(c->out[CHAIR_OUT_HEAT_LUMBAR], 1);
        assert_int_equal(scheduler_active_air_zones(s), 1u << CHAIR_AIR_CALVES);
        /* Pressure reaches level 2's target (20 kPa): the pump stops, the bag holds. */
        run_until(s, c, 2000 * MS, NULL, NULL);
        assert_int_equal(c->out[CHAIR_OUT_AIR_PUMP], 0);
        assert_int_equal(c->out[CHAIR_OUT_VALVE_CALVES], 1);
        c->temp = 530;
        run_until(s, c, 2100 * MS, NULL, NULL);
        assert_int_equal(c->out[CHAIR_OUT_HEAT_LUMBAR], 0);
        c->temp = 510; /* inside the band: stays off */
        run_until(s, c, 2200 * MS, NULL, NULL);
        assert_int_equal(c->out[CHAIR_OUT_HEAT_LUMBAR], 0);
        run_until(s, c, 4100 * MS, NULL, NULL);
        assert_int_equal(c->out[CHAIR_OUT_VALVE_CALVES], 0);
        assert_int_equal(c->out[CHAIR_OUT_AIR_RELEASE], 1);
        scheduler_free(s);
        free(c);
}

static void test_modifiers_at_step_boundary(void **state) {
        struct fake_chair *c = calloc(1, sizeof *c);
        struct scheduler *s = new_scheduler(c);
        const struct timeline_cmd cmds[] = {
                { 0, TL_STEP, 0, 0 }, { 0, TL_KNEAD, 0, 60 },
                { 3000, TL_STEP, 0, 1 },
        };
        scheduler_load(s, make_timeline(cmds, 3, 6000), 0);
        run_until(s, c, 1000 * MS, NULL, NULL);
        scheduler_set_modifiers(s, 50, 100, 2);
        run_until(s, c, 2000 * MS, NULL, NULL);
        assert_int_equal(c->out[CHAIR_OUT_KNEAD_MOTOR], 60);  /* not yet: no safe point */
        run_until(s, c, 3100 * MS, NULL, NULL);
        assert_int_equal(c->out[CHAIR_OUT_KNEAD_MOTOR], 30);
        assert_int_equal(c->out[CHAIR_OUT_WIDTH], 2);
        scheduler_free(s);
        free(c);
}

/* No pressure sensor (a timed map): the pump fills a zone for its level's time, then the zone
 * holds; a release empties it and the next inflation pumps the whole time again. */
static void test_timed_inflation(void **state) {
        struct fake_chair *c = calloc(1, sizeof *c);
        struct scheduler_config cfg = { .pulses_per_mm = 2, .track_length_mm = 800, .max_speed_mm_s = 40,
                                        .deadline_miss_ms = 20, .tick_ms = 10, .travel_timeout_ms = 42000,
                                        .air_inflate_ms = { 0, 1000, 2000, 3000, 4000, 5000 } };
        struct scheduler_io io = { fake_set, fake_read, c, fake_flush };
        struct scheduler *s;
        const struct timeline_cmd cmds[] = {
                { 0, TL_AIR_ZONE, CHAIR_AIR_SEAT, TL_AIR_INFLATE | (2 << 8) },
                { 6000, TL_AIR_ZONE, CHAIR_AIR_SEAT, TL_AIR_RELEASE },
                { 7000, TL_AIR_ZONE, CHAIR_AIR_SEAT, TL_AIR_INFLATE | (4 << 8) | TL_AIR_LEVEL_AS_GIVEN },
        };

        assert_int_equal(scheduler_new(&cfg, &io, &s), 0);
        c->pressure = -1000000; /* a pressure that never rises: only the time may stop the pump */
        scheduler_load(s, make_timeline(cmds, 3, 20000), 0);
        run_until(s, c, 1900 * MS, NULL, NULL);
        assert_int_equal(c->out[CHAIR_OUT_AIR_PUMP], 1);
        run_until(s, c, 2100 * MS, NULL, NULL);
        assert_int_equal(c->out[CHAIR_OUT_AIR_PUMP], 0);
        assert_int_equal(c->out[CHAIR_OUT_VALVE_SEAT], 1);  /* holds */
        assert_int_equal(c->out[CHAIR_OUT_AIR_RELEASE], 0);
        run_until(s, c, 6100 * MS, NULL, NULL);
        assert_int_equal(c->out[CHAIR_OUT_VALVE_SEAT], 0);
        /* Level 4 as given, whatever the live intensity: 4 s. */
        scheduler_set_modifiers(s, 40, 100, -1);
        run_until(s, c, 10900 * MS, NULL, NULL);
        assert_int_equal(c->out[CHAIR_OUT_AIR_PUMP], 1);
        run_until(s, c, 11100 * MS, NULL, NULL);
        assert_int_equal(c->out[CHAIR_OUT_AIR_PUMP], 0);
        scheduler_free(s);
        free(c);
}

/* Modifiers sent before a load apply from the program's first command, and a paused chair's
 * heaters are off (the level comes back on resume). */
static void test_modifiers_at_load_and_heat_paused(void **state) {
        struct fake_chair *c = calloc(1, sizeof *c);
        struct scheduler *s = new_scheduler(c);
        const struct timeline_cmd cmds[] = {
                { 0, TL_KNEAD, 0, 60 }, { 0, TL_HEAT_ZONE, CHAIR_HEAT_LUMBAR, 2 }, { 0, TL_STEP, 0, 0 },
        };

        c->temp = 250;
        scheduler_set_modifiers(s, 50, 100, -1);
        scheduler_load(s, make_timeline(cmds, 3, 6000), 0);
        run_until(s, c, 100 * MS, NULL, NULL);
        assert_true(set_at(c, CHAIR_OUT_KNEAD_MOTOR, 30, 0));
        assert_false(set_at(c, CHAIR_OUT_KNEAD_MOTOR, 60, 0));
        assert_int_equal(c->out[CHAIR_OUT_HEAT_LUMBAR], 1);
        scheduler_pause(s);
        run_until(s, c, 300 * MS, NULL, NULL);
        assert_int_equal(c->out[CHAIR_OUT_HEAT_LUMBAR], 0);
        scheduler_resume(s);
        run_until(s, c, 500 * MS, NULL, NULL);
        assert_int_equal(c->out[CHAIR_OUT_HEAT_LUMBAR], 1);
        scheduler_free(s);
        free(c);
}

/* A shoulder fine-tune during a program: the next roller commands land that much higher. */
static void test_roller_offset(void **state) {
        struct fake_chair *c = calloc(1, sizeof *c);
        struct scheduler *s = new_scheduler(c);
        const struct timeline_cmd cmds[] = {
                { 0, TL_ROLLER_POSITION, 30, 300 },
                { 15000, TL_ROLLER_POSITION, 30, 400 },
        };

        scheduler_load(s, make_timeline(cmds, 2, 30000), 0);
        run_until(s, c, 12000 * MS, NULL, NULL);
        assert_true(c->roller_mm > 295 && c->roller_mm < 305);
        scheduler_set_roller_offset(s, 50);
        run_until(s, c, 14000 * MS, NULL, NULL);
        assert_true(c->roller_mm > 295 && c->roller_mm < 305);  /* from the next command on */
        run_until(s, c, 25000 * MS, NULL, NULL);
        assert_true(c->roller_mm > 445 && c->roller_mm < 455);
        scheduler_free(s);
        free(c);
}

static void test_real_thread(void **state) {
        struct fake_chair *c = calloc(1, sizeof *c);
        struct scheduler *s = new_scheduler(c);
        bool rt;
        assert_int_equal(scheduler_start_thread(s, &rt), 0);
        scheduler_stop_thread(s);
        scheduler_free(s);
        free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_commands_at_planned_times),
                cmocka_unit_test(test_roller_reaches_target),
                cmocka_unit_test(test_sweep_turns_at_the_ends),
                cmocka_unit_test(test_long_travel_in_legs),
                cmocka_unit_test(test_run_continued_by_new_targets_stops),
                cmocka_unit_test(test_pause_holds_and_shifts),
                cmocka_unit_test(test_late_command_is_a_fault),
                cmocka_unit_test(test_lateness_histogram),
                cmocka_unit_test(test_full_queue_refused),
                cmocka_unit_test(test_air_and_heat_controllers),
                cmocka_unit_test(test_modifiers_at_step_boundary),
                cmocka_unit_test(test_timed_inflation),
                cmocka_unit_test(test_modifiers_at_load_and_heat_paused),
                cmocka_unit_test(test_roller_offset),
                cmocka_unit_test(test_real_thread),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
