/* SPDX-License-Identifier: MIT */
/* The backend-independent half of event-loop.h. */
#include <errno.h>
#include <stdlib.h>

#include "event-loop-internal.h"
#include "macro.h"

uint64_t event_loop_now_ns(struct event_loop *l) {
        return l->ops->now_ns(l, CLOCK_MONOTONIC);
}

uint64_t event_loop_now(struct event_loop *l) {
        return event_loop_now_ns(l) / NSEC_PER_USEC;
}

uint64_t event_loop_clock(struct event_loop *l, clockid_t clock) {
        return l->ops->now_ns(l, clock) / NSEC_PER_USEC;
}

static int add(struct event_loop *l, enum event_source_kind kind, uint64_t accuracy_usec, void *fn, int fd,
               void *userdata, struct event_source **ret) {
        struct event_source *s = calloc(1, sizeof *s);
        int r;

        if (!s)
                return -ENOMEM;
        s->loop = l;
        s->kind = kind;
        s->userdata = userdata;
        s->fd = fd;
        s->armed = kind == EVENT_SOURCE_IO;
        if (kind == EVENT_SOURCE_TIMER)
                s->fn.time = (event_time_fn) fn;
        else if (kind == EVENT_SOURCE_DEFER)
                s->fn.defer = (event_defer_fn) fn;
        else
                s->fn.io = (event_io_fn) fn;
        r = l->ops->add(l, s, accuracy_usec);
        if (r < 0) {
                free(s);
                return r;
        }
        *ret = s;
        return 0;
}

int event_loop_add_timer(struct event_loop *l, uint64_t accuracy_usec, event_time_fn fn, void *userdata,
                         struct event_source **ret) {
        return add(l, EVENT_SOURCE_TIMER, accuracy_usec, (void *) fn, -1, userdata, ret);
}

int event_loop_add_defer(struct event_loop *l, event_defer_fn fn, void *userdata, struct event_source **ret) {
        return add(l, EVENT_SOURCE_DEFER, 0, (void *) fn, -1, userdata, ret);
}

int event_loop_add_io(struct event_loop *l, int fd, event_io_fn fn, void *userdata, struct event_source **ret) {
        if (fd < 0)
                return -EBADF;
        return add(l, EVENT_SOURCE_IO, 0, (void *) fn, fd, userdata, ret);
}

void event_source_arm(struct event_source *s, uint64_t at_usec) {
        s->at_usec = at_usec;
        s->armed = true;
        s->loop->ops->update(s);
}

void event_source_trigger(struct event_source *s) {
        if (s->armed)
                return;
        s->armed = true;
        s->loop->ops->update(s);
}

void event_source_disarm(struct event_source *s) {
        if (!s || !s->armed || s->kind == EVENT_SOURCE_IO)
                return;
        s->armed = false;
        s->loop->ops->update(s);
}

bool event_source_armed(struct event_source *s) {
        return s->armed;
}

uint64_t event_source_time(struct event_source *s) {
        return s->at_usec;
}

int event_source_set_priority(struct event_source *s, int priority) {
        s->priority = priority;
        s->loop->ops->update(s);
        return 0;
}

void event_source_set_description(struct event_source *s, const char *description) {
        if (s->loop->ops->set_description)
                s->loop->ops->set_description(s, description);
}

struct event_source *event_source_free(struct event_source *s) {
        if (s) {
                s->loop->ops->remove(s);
                free(s);
        }
        return NULL;
}

struct sd_event *event_loop_sd_event(struct event_loop *l) {
        return l && l->ops->sd_event ? l->ops->sd_event(l) : NULL;
}

struct event_loop *event_loop_free(struct event_loop *l) {
        if (l)
                l->ops->free(l);
        return NULL;
}
