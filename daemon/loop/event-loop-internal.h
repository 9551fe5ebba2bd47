/* SPDX-License-Identifier: MIT */
/* What the two backends of event-loop.h share: one source struct, one operations table. */
#pragma once

#include "event-loop.h"

enum event_source_kind {
        EVENT_SOURCE_TIMER,
        EVENT_SOURCE_DEFER,
        EVENT_SOURCE_IO,
};

struct event_source {
        struct event_loop *loop;
        enum event_source_kind kind;
        union {
                event_time_fn time;
                event_defer_fn defer;
                event_io_fn io;
        } fn;
        void *userdata;
        int priority;
        int fd;
        bool armed;
        uint64_t at_usec;
        uint64_t seq;                /* virtual: order of arming among equals */
        struct sd_event_source *sd;  /* sd-event backend */
};

struct event_loop_ops {
        uint64_t (*now_ns)(struct event_loop *l, clockid_t clock);
        int (*add)(struct event_loop *l, struct event_source *s, uint64_t accuracy_usec);
        void (*update)(struct event_source *s);   /* after armed/at/priority changed */
        void (*set_description)(struct event_source *s, const char *description);
        void (*remove)(struct event_source *s);
        struct sd_event *(*sd_event)(struct event_loop *l);
        void (*free)(struct event_loop *l);
};

struct event_loop {
        const struct event_loop_ops *ops;
};
