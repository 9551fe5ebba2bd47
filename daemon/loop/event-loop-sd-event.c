/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <systemd/sd-event.h>

#include "clock.h"
#include "event-loop-internal.h"
#include "event-loop-sd-event.h"

struct sd_loop {
        struct event_loop base;
        sd_event *event;
};

static uint64_t sd_now_ns(struct event_loop *l, clockid_t clock) {
        /* The clock itself, not the pass's cached time: a program's start and the scheduler's
         * deadlines must not begin in the past after a slow callback. */
        return clock_ns(clock);
}

static int on_time(sd_event_source *src, uint64_t usec, void *userdata) {
        struct event_source *s = userdata;

        s->armed = false;  /* ONESHOT: off before the callback, which may re-arm it */
        s->fn.time(s, usec, s->userdata);
        return 0;
}

static int on_defer(sd_event_source *src, void *userdata) {
        struct event_source *s = userdata;

        s->armed = false;
        s->fn.defer(s, s->userdata);
        return 0;
}

static int on_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        struct event_source *s = userdata;

        s->fn.io(s, fd, s->userdata);
        return 0;
}

static int sd_add(struct event_loop *l, struct event_source *s, uint64_t accuracy_usec) {
        sd_event *e = ((struct sd_loop *) l)->event;
        int r;

        if (s->kind == EVENT_SOURCE_TIMER)
                r = sd_event_add_time(e, &s->sd, CLOCK_MONOTONIC, 0, accuracy_usec ? accuracy_usec : 1, on_time, s);
        else if (s->kind == EVENT_SOURCE_DEFER)
                r = sd_event_add_defer(e, &s->sd, on_defer, s);
        else
                return sd_event_add_io(e, &s->sd, s->fd, EPOLLIN, on_io, s);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(s->sd, SD_EVENT_OFF);
        if (r < 0)
                s->sd = sd_event_source_unref(s->sd);
        return r;
}

static void sd_update(struct event_source *s) {
        (void) sd_event_source_set_priority(s->sd, s->priority);
        if (s->kind == EVENT_SOURCE_IO)
                return;
        if (s->armed && s->kind == EVENT_SOURCE_TIMER)
                (void) sd_event_source_set_time(s->sd, s->at_usec);
        (void) sd_event_source_set_enabled(s->sd, s->armed ? SD_EVENT_ONESHOT : SD_EVENT_OFF);
}

static void sd_set_description(struct event_source *s, const char *description) {
        (void) sd_event_source_set_description(s->sd, description);
}

static void sd_remove(struct event_source *s) {
        s->sd = sd_event_source_disable_unref(s->sd);
}

static struct sd_event *sd_get(struct event_loop *l) {
        return ((struct sd_loop *) l)->event;
}

static void sd_free(struct event_loop *l) {
        struct sd_loop *sl = (struct sd_loop *) l;

        sd_event_unref(sl->event);
        free(sl);
}

static const struct event_loop_ops sd_ops = {
        .now_ns = sd_now_ns,
        .add = sd_add,
        .update = sd_update,
        .set_description = sd_set_description,
        .remove = sd_remove,
        .sd_event = sd_get,
        .free = sd_free,
};

int event_loop_sd_event_new(struct sd_event *event, struct event_loop **ret) {
        struct sd_loop *l = calloc(1, sizeof *l);

        if (!l)
                return -ENOMEM;
        l->base.ops = &sd_ops;
        l->event = sd_event_ref(event);
        *ret = &l->base;
        return 0;
}
