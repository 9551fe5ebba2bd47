/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "changes.h"
#include "event-loop.h"
#include "macro.h"

#define SUBSCRIBERS_MAX CHAIR_CHANGES_SUBSCRIBERS_MAX

struct chair_changes {
        struct event_source *defer;
        uint32_t pending;
        /* One list for both kinds, in the order wired: a slot has one of the two callbacks. */
        struct {
                chair_changes_fn changes;
                chair_event_fn event;
                void *userdata;
        } slots[SUBSCRIBERS_MAX];
        unsigned n_slots;
};

static void on_defer(struct event_source *s, void *userdata) {
        /* A deferred source is off again before this runs: a mark made by a subscriber re-arms it. */
        chair_changes_flush(userdata);
}

int chair_changes_new(struct event_loop *loop, struct chair_changes **ret) {
        struct chair_changes *c = calloc(1, sizeof *c);
        int r;

        if (!c)
                return -ENOMEM;
        if (loop) {
                r = event_loop_add_defer(loop, on_defer, c, &c->defer);
                if (r < 0) {
                        chair_changes_free(c);
                        return r;
                }
                event_source_set_description(c->defer, "changes");
        }
        *ret = c;
        return 0;
}

struct chair_changes *chair_changes_free(struct chair_changes *c) {
        if (c) {
                event_source_free(c->defer);
                free(c);
        }
        return NULL;
}

static int add_slot(struct chair_changes *c, chair_changes_fn changes, chair_event_fn event, void *userdata) {
        if (c->n_slots >= SUBSCRIBERS_MAX)
                return -ENOBUFS;
        c->slots[c->n_slots].changes = changes;
        c->slots[c->n_slots].event = event;
        c->slots[c->n_slots++].userdata = userdata;
        return 0;
}

int chair_changes_subscribe(struct chair_changes *c, chair_changes_fn fn, void *userdata) {
        return add_slot(c, fn, NULL, userdata);
}

int chair_changes_listen(struct chair_changes *c, chair_event_fn fn, void *userdata) {
        return add_slot(c, NULL, fn, userdata);
}

void chair_changes_mark(struct chair_changes *c, uint32_t changed) {
        if (!c || !changed)
                return;
        c->pending |= changed;
        if (c->defer)
                event_source_trigger(c->defer);
}

void chair_changes_flush(struct chair_changes *c) {
        uint32_t changed;

        if (!c || !c->pending)
                return;
        /* Taken before delivery: a subscriber's own marks (the panel's selection) go out in
         * the next pass, not lost in this one. */
        changed = c->pending;
        c->pending = 0;
        for (unsigned i = 0; i < c->n_slots; i++)
                if (c->slots[i].changes)
                        c->slots[i].changes(changed, c->slots[i].userdata);
}

void chair_changes_publish(struct chair_changes *c, const struct chair_event *ev) {
        if (!c)
                return;
        for (unsigned i = 0; i < c->n_slots; i++)
                if (c->slots[i].event)
                        c->slots[i].event(ev, c->slots[i].userdata);
}
