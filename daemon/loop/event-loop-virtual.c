/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "event-loop-internal.h"
#include "event-loop-virtual.h"
#include "macro.h"

/* A wall-clock base for CLOCK_REALTIME (2026-01-01T00:00:00Z): fixed, so history stamps of a
 * virtual run are the same every run. */
#define VIRTUAL_REALTIME_BASE_USEC (1767225600ULL * USEC_PER_SEC)
/* Callbacks at one instant before the loop calls it a livelock. */
#define PASSES_PER_INSTANT_MAX 100000

struct virtual_loop {
        struct event_loop base;
        uint64_t now_usec;
        uint64_t seq;
        struct event_source **sources;
        size_t n_sources, n_allocated;
        struct pollfd *pfds;
        size_t n_pfds;
        bool polled;                 /* pfds hold the fds' state: no callback ran since */
        void (*post)(void *userdata);
        void *post_userdata;
};

static struct virtual_loop *V(struct event_loop *l) {
        return (struct virtual_loop *) l;
}

static uint64_t v_now_ns(struct event_loop *l, clockid_t clock) {
        uint64_t t = V(l)->now_usec;

        if (clock == CLOCK_REALTIME)
                t += VIRTUAL_REALTIME_BASE_USEC;
        return t * NSEC_PER_USEC;
}

static int v_add(struct event_loop *l, struct event_source *s, uint64_t accuracy_usec) {
        struct virtual_loop *v = V(l);

        if (v->n_sources == v->n_allocated) {
                size_t n = MAX(v->n_allocated * 2, (size_t) 16);
                struct event_source **a = realloc(v->sources, n * sizeof *a);
                struct pollfd *p;

                if (!a)
                        return -ENOMEM;
                v->sources = a;
                p = realloc(v->pfds, n * sizeof *p);
                if (!p)
                        return -ENOMEM;
                v->pfds = p;
                v->n_allocated = n;
        }
        v->sources[v->n_sources++] = s;
        s->seq = ++v->seq;
        v->polled = false;
        return 0;
}

static void v_update(struct event_source *s) {
        if (s->armed)
                s->seq = ++V(s->loop)->seq;
}

static void v_remove(struct event_source *s) {
        struct virtual_loop *v = V(s->loop);

        for (size_t i = 0; i < v->n_sources; i++)
                if (v->sources[i] == s) {
                        v->sources[i] = v->sources[--v->n_sources];
                        v->polled = false;
                        return;
                }
}

static void v_free(struct event_loop *l) {
        struct virtual_loop *v = V(l);

        free(v->sources);
        free(v->pfds);
        free(v);
}

static const struct event_loop_ops virtual_ops = {
        .now_ns = v_now_ns,
        .add = v_add,
        .update = v_update,
        .remove = v_remove,
        .free = v_free,
};

int event_loop_virtual_new(uint64_t start_usec, struct event_loop **ret) {
        struct virtual_loop *v = calloc(1, sizeof *v);

        if (!v)
                return -ENOMEM;
        v->base.ops = &virtual_ops;
        v->now_usec = start_usec;
        *ret = &v->base;
        return 0;
}

void event_loop_virtual_set_post(struct event_loop *l, void (*fn)(void *userdata), void *userdata) {
        V(l)->post = fn;
        V(l)->post_userdata = userdata;
}

uint64_t event_loop_virtual_next(struct event_loop *l) {
        struct virtual_loop *v = V(l);
        uint64_t next = UINT64_MAX;

        for (size_t i = 0; i < v->n_sources; i++)
                if (v->sources[i]->kind == EVENT_SOURCE_TIMER && v->sources[i]->armed)
                        next = MIN(next, v->sources[i]->at_usec);
        return next;
}

/* Orders pending sources as sd-event does: priority first, then the earliest timer, then the
 * order they became pending. */
static bool before(const struct event_source *a, const struct event_source *b) {
        uint64_t ta = a->kind == EVENT_SOURCE_TIMER ? a->at_usec : 0, tb = b->kind == EVENT_SOURCE_TIMER ? b->at_usec : 0;

        if (a->priority != b->priority)
                return a->priority < b->priority;
        if (ta != tb)
                return ta < tb;
        return a->seq < b->seq;
}

/* The fds' state, polled again only when a callback may have changed it: with no thread, only
 * a callback (or the caller, between runs) writes an fd. */
static void poll_fds(struct virtual_loop *v) {
        size_t n = 0;

        if (v->polled)
                return;
        for (size_t i = 0; i < v->n_sources; i++)
                if (v->sources[i]->kind == EVENT_SOURCE_IO)
                        v->pfds[n++] = (struct pollfd) { .fd = v->sources[i]->fd, .events = POLLIN };
        v->n_pfds = n;
        if (n > 0 && poll(v->pfds, n, 0) < 0)
                for (size_t i = 0; i < n; i++)
                        v->pfds[i].revents = 0;
        v->polled = true;
}

/* The pending source to run now, or NULL. */
static struct event_source *pick(struct virtual_loop *v) {
        struct event_source *best = NULL;

        for (size_t i = 0; i < v->n_sources; i++) {
                struct event_source *s = v->sources[i];

                if (s->kind == EVENT_SOURCE_IO)
                        continue;
                if (!s->armed || (s->kind == EVENT_SOURCE_TIMER && s->at_usec > v->now_usec))
                        continue;
                if (!best || before(s, best))
                        best = s;
        }
        poll_fds(v);
        if (v->n_pfds > 0)
                for (size_t i = 0, k = 0; i < v->n_sources; i++) {
                        struct event_source *s = v->sources[i];

                        if (s->kind != EVENT_SOURCE_IO)
                                continue;
                        if ((v->pfds[k++].revents & (POLLIN | POLLERR | POLLHUP)) && (!best || before(s, best)))
                                best = s;
                }
        return best;
}

static void dispatch(struct virtual_loop *v, struct event_source *s) {
        if (s->kind == EVENT_SOURCE_TIMER) {
                s->armed = false;
                s->fn.time(s, s->at_usec, s->userdata);
        } else if (s->kind == EVENT_SOURCE_DEFER) {
                s->armed = false;
                s->fn.defer(s, s->userdata);
        } else {
                s->seq = ++v->seq;  /* a busy fd does not starve its peers */
                s->fn.io(s, s->fd, s->userdata);
        }
        if (v->post)
                v->post(v->post_userdata);
        v->polled = false;
}

int64_t event_loop_virtual_run_until(struct event_loop *l, uint64_t until_usec) {
        struct virtual_loop *v = V(l);
        int64_t ran = 0;
        unsigned at_instant = 0;

        v->polled = false;  /* the caller may have written an fd since */
        for (;;) {
                struct event_source *s = pick(v);
                uint64_t next;

                if (s) {
                        if (++at_instant > PASSES_PER_INSTANT_MAX)
                                return -ELOOP;
                        dispatch(v, s);
                        ran++;
                        continue;
                }
                next = event_loop_virtual_next(l);
                if (next > until_usec || next == UINT64_MAX) {
                        v->now_usec = MAX(v->now_usec, until_usec);
                        return ran;
                }
                if (next > v->now_usec) {
                        v->now_usec = next;
                        at_instant = 0;
                }
        }
}
