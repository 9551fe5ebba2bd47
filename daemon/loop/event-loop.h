/* SPDX-License-Identifier: MIT */
/*
 * The event loop under the core: timers at absolute CLOCK_MONOTONIC microseconds, one-shot
 * deferred callbacks, fd-readable sources and the loop's clocks. Two backends: sd-event for the
 * daemon (event-loop-sd-event.h) and a virtual clock for the whole-chair harness
 * (event-loop-virtual.h), so session, supervisor, panel, the change channel and the sim driver
 * run unchanged on either. Only one thread (the loop's) calls these, except event_loop_now*(),
 * which any thread may call.
 *
 * Dispatch follows sd-event: one source per pass, the most important pending one first
 * (EVENT_PRIORITY_IMPORTANT before NORMAL), then the earliest timer.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct event_loop;
struct event_source;
struct sd_event;

typedef void (*event_time_fn)(struct event_source *s, uint64_t usec, void *userdata);
typedef void (*event_defer_fn)(struct event_source *s, void *userdata);
typedef void (*event_io_fn)(struct event_source *s, int fd, void *userdata);

enum {
        EVENT_PRIORITY_IMPORTANT = -100,  /* sd-event's SD_EVENT_PRIORITY_IMPORTANT */
        EVENT_PRIORITY_NORMAL = 0,
};

/* CLOCK_MONOTONIC microseconds (nanoseconds) now: the real clock, or the virtual one. */
uint64_t event_loop_now(struct event_loop *l);
uint64_t event_loop_now_ns(struct event_loop *l);
/* CLOCK_REALTIME or CLOCK_BOOTTIME microseconds; the virtual loop's are fixed offsets from its
 * monotonic time, so a virtual run is deterministic. */
uint64_t event_loop_clock(struct event_loop *l, clockid_t clock);

/* A timer, disarmed until event_source_arm(); it fires once per arm (re-arm it in its
 * callback). accuracy_usec is the slack sd-event may use (the virtual loop has none). */
int event_loop_add_timer(struct event_loop *l, uint64_t accuracy_usec, event_time_fn fn, void *userdata,
                         struct event_source **ret);
/* A deferred callback, run once at the next pass after each event_source_trigger(). */
int event_loop_add_defer(struct event_loop *l, event_defer_fn fn, void *userdata, struct event_source **ret);
/* fd readable: called on every pass while it is (the callback reads it). Always on. */
int event_loop_add_io(struct event_loop *l, int fd, event_io_fn fn, void *userdata, struct event_source **ret);

void event_source_arm(struct event_source *s, uint64_t at_usec);     /* timers */
void event_source_trigger(struct event_source *s);                   /* defers */
void event_source_disarm(struct event_source *s);
bool event_source_armed(struct event_source *s);
/* The time a timer is (or was last) armed for; 0 never armed. */
uint64_t event_source_time(struct event_source *s);
int event_source_set_priority(struct event_source *s, int priority);
void event_source_set_description(struct event_source *s, const char *description);
/* NULL-safe; returns NULL. */
struct event_source *event_source_free(struct event_source *s);

/* The sd_event under an sd-event loop (for the bus, the GPIO and Modbus drivers, which need
 * real fds and threads); NULL for a virtual loop. */
struct sd_event *event_loop_sd_event(struct event_loop *l);
struct event_loop *event_loop_free(struct event_loop *l);
