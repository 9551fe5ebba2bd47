/* SPDX-License-Identifier: MIT */
/*
 * The sim backend: the chair physics in-process, for `massagechaird --simulate`, demos and
 * tests. Physics steps every 10 ms on the event loop (event-loop.h: real or virtual time) only
 * while something moves or changes,
 * so an idle simulated chair costs no wake-ups. Outputs arrive from any thread into an atomic
 * image; an eventfd wakes the event loop when it was at rest.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "chair-physics.h"
#include "driver-sim.h"
#include "event-loop.h"
#include "macro.h"

#define STEP_MS 10
#define COOLING_STEP_MS 1000
#define SIM_MAX_SUBSCRIBERS 4

struct sim_driver {
        struct chair_driver base;
        _Atomic uint64_t safe_written_ns;
        _Atomic uint64_t lease_until_ns;  /* the supervisor's lease, kept for tests (no board here) */
        struct chair_physics physics;     /* event-loop thread only */
        _Atomic int32_t image[_CHAIR_OUT_MAX];
        _Atomic int32_t inputs[_CHAIR_IN_MAX];
        atomic_bool stepping;
        atomic_bool cooling;            /* stepping once a second: only temperatures drift */
        uint64_t last_step_usec;          /* CLOCK_MONOTONIC of the last step */
        uint64_t carry_usec;              /* elapsed time not yet stepped (under 1 ms) */
        int wake_fd;
        struct event_loop *loop;
        struct event_source *wake_source, *timer;
        struct {
                chair_input_changed_fn fn;
                void *userdata;
        } subscribers[SIM_MAX_SUBSCRIBERS];
        unsigned n_subscribers;
        chair_input_stop_fn stop;         /* the router's stop path */
        void *stop_userdata;
        const struct hardware_map *map;
        bool air_leak;                    /* a burst bag: no pressure ever builds */
        int32_t max_speed_mm_s;           /* the healthy roller's, for slow-roller */
        struct chair_physics_axis_key axis_keys[_CHAIR_AXIS_MAX];  /* as of the last publish */
        bool axis_keyed;
};

static bool bound_input(struct sim_driver *s, enum chair_input in) {
        return s->map->inputs[in].backend == HW_BACKEND_SIM;
}

/* Copies the physics' inputs out and tells the subscriber what changed. */
static void publish_inputs(struct sim_driver *s) {
        uint64_t ts = event_loop_now_ns(s->loop), changed = 0;
        bool same_axis[_CHAIR_AXIS_MAX] = {};

        /* An axis whose inputs' sources did not change since the last publish keeps its values:
         * four axes at rest were most of the cost of a step. */
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++) {
                struct chair_physics_axis_key k;
                chair_physics_axis_key(&s->physics, a, &k);
                same_axis[a] = s->axis_keyed && memcmp(&k, &s->axis_keys[a], sizeof k) == 0;
                memcpy(&s->axis_keys[a], &k, sizeof k);
        }
        s->axis_keyed = true;
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++) {
                int32_t v;
                int a = s->physics.input_axis[i];
                if (!bound_input(s, i) || (a >= 0 && same_axis[a]))
                        continue;
                v = chair_physics_input(&s->physics, i);
                if (atomic_exchange(&s->inputs[i], v) != v)
                        changed |= 1ULL << i;
        }
        /* The stop path first, with every input current (both limits), then the subscribers. */
        for (unsigned i = 0; s->stop && i < _CHAIR_IN_MAX; i++)
                if (changed & (1ULL << i) && !chair_input_info(i)->sampled)
                        s->stop(s->stop_userdata, i, atomic_load(&s->inputs[i]), 0, ts);
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++)
                if (changed & (1ULL << i))
                        for (unsigned k = 0; k < s->n_subscribers; k++)
                                s->subscribers[k].fn(s->subscribers[k].userdata, i, atomic_load(&s->inputs[i]), ts);
}

/* Advances the physics by the real time since the last step (the loop may run late), then
 * applies the output image, so a change acts from now on. */
static void step_to(struct sim_driver *s, uint64_t now_usec) {
        if (s->last_step_usec && now_usec > s->last_step_usec) {
                uint64_t elapsed = now_usec - s->last_step_usec + s->carry_usec;
                /* Never replay more than a second: a suspended process does not fast-forward. */
                uint64_t ms = MIN(elapsed / USEC_PER_MSEC, 1000u);
                s->carry_usec = elapsed % USEC_PER_MSEC;
                chair_physics_step(&s->physics, (uint32_t) ms);
                if (s->air_leak) {
                        s->physics.pressure = 0;
                        memset(s->physics.bag, 0, sizeof s->physics.bag);
                }
        }
        s->last_step_usec = now_usec;
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                chair_physics_set_output(&s->physics, o, atomic_load(&s->image[o]));
        publish_inputs(s);
}

/* True when the physics already acts on every output in the image. */
static bool image_applied(struct sim_driver *s) {
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                if (atomic_load(&s->image[o]) != s->physics.out[o])
                        return false;
        return true;
}

static void schedule(struct sim_driver *s, uint64_t usec) {
        /* A chair that only cools after a session is followed once a second, not 100 times. */
        bool cooling = chair_physics_only_cooling(&s->physics);
        event_source_arm(s->timer, usec + (cooling ? COOLING_STEP_MS : STEP_MS) * USEC_PER_MSEC);
        atomic_store(&s->cooling, cooling);
        atomic_store(&s->stepping, true);
}

static void on_timer(struct event_source *src, uint64_t usec, void *userdata) {
        struct sim_driver *s = userdata;

        step_to(s, usec);
        /* Keep stepping while anything moves or changes, then sleep until an output changes:
         * an idle simulated chair makes no wake-ups (a lit LED changes nothing). */
        if (!chair_physics_at_rest(&s->physics)) {
                schedule(s, usec);
                return;
        }
        atomic_store(&s->stepping, false);
        atomic_store(&s->cooling, false);
        /* An output may have changed between the check and the store (set_output saw
         * stepping and did not wake us). */
        if (!image_applied(s))
                schedule(s, usec);
}

static void on_wake(struct event_source *src, int fd, void *userdata) {
        struct sim_driver *s = userdata;
        uint64_t v, now;

        if (read(fd, &v, sizeof v) < 0) {
                /* EAGAIN: already drained */
        }
        if (!atomic_load(&s->stepping)) {
                now = event_loop_now(s->loop);
                /* At rest nothing changed since the last step: apply the change at once. */
                s->last_step_usec = 0;
                s->carry_usec = 0;
                step_to(s, now);
                if (!chair_physics_at_rest(&s->physics))
                        schedule(s, now);
        } else if (atomic_load(&s->cooling)) {
                /* Stepping once a second: an output changed, act on it now, not at the next step. */
                now = event_loop_now(s->loop);
                step_to(s, now);
                schedule(s, now);
        }
}

static void wake(struct sim_driver *s) {
        uint64_t one = 1;
        if ((!atomic_load(&s->stepping) || atomic_load(&s->cooling)) && write(s->wake_fd, &one, sizeof one) < 0) {
                /* a full eventfd already wakes the loop */
        }
}

static int sim_open(struct chair_driver *drv, const struct hardware_map *map, struct event_loop *loop, char *err,
                    size_t size) {
        struct sim_driver *s = (struct sim_driver *) drv;
        struct chair_physics_params params;
        int r;

        s->map = map;
        s->loop = loop;
        chair_physics_default_params(&params);
        params.track_length_mm = map->track_length_mm;
        params.pulses_per_mm = map->pulses_per_mm;
        /* The axes the map declares move as it says; the others keep the reference chair's. */
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                if (map->axes[a].present) {
                        params.axis[a].travel_mm = (int32_t) map->axes[a].travel_mm;
                        params.axis[a].max_speed_mm_s = (int32_t) map->axes[a].speed_mm_s;
                }
        chair_physics_init(&s->physics, &params);
        s->max_speed_mm_s = params.max_speed_mm_s;
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                atomic_store(&s->image[o], chair_output_info(o)->safe_value);
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++)
                atomic_store(&s->inputs[i], chair_physics_input(&s->physics, i));

        s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (s->wake_fd < 0) {
                snprintf(err, size, "sim backend: eventfd: %s", strerror(errno));
                return -errno;
        }
        r = event_loop_add_io(loop, s->wake_fd, on_wake, s, &s->wake_source);
        if (r >= 0)
                r = event_loop_add_timer(loop, 1, on_timer, s, &s->timer);
        if (r < 0) {
                snprintf(err, size, "sim backend: cannot attach to the event loop: %s", strerror(-r));
                return r;
        }
        return 0;
}

static int sim_set_output(struct chair_driver *drv, enum chair_output out, int32_t value) {
        struct sim_driver *s = (struct sim_driver *) drv;
        const struct chair_output_info *info = chair_output_info(out);

        if (!info)
                return -EINVAL;
        if (value < info->min || value > info->max)
                return -ERANGE;
        if (atomic_exchange(&s->image[out], value) != value)
                wake(s);
        return 0;
}

static int sim_read_input(struct chair_driver *drv, enum chair_input in, int32_t *ret) {
        struct sim_driver *s = (struct sim_driver *) drv;
        if ((unsigned) in >= _CHAIR_IN_MAX)
                return -EINVAL;
        *ret = atomic_load(&s->inputs[in]);
        return 0;
}

static int sim_subscribe(struct chair_driver *drv, chair_input_changed_fn fn, void *userdata) {
        struct sim_driver *s = (struct sim_driver *) drv;
        if (!fn)
                return -EINVAL;
        if (s->n_subscribers >= SIM_MAX_SUBSCRIBERS)
                return -ENOSPC;
        s->subscribers[s->n_subscribers].fn = fn;
        s->subscribers[s->n_subscribers].userdata = userdata;
        s->n_subscribers++;
        return 0;
}

static int sim_set_stop_handler(struct chair_driver *drv, chair_input_stop_fn fn, void *userdata) {
        struct sim_driver *s = (struct sim_driver *) drv;
        s->stop = fn;
        s->stop_userdata = userdata;
        return 0;
}

static int sim_go_safe(struct chair_driver *drv) {
        struct sim_driver *s = (struct sim_driver *) drv;
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                atomic_store(&s->image[o], chair_output_info(o)->safe_value);
        /* The simulated outputs are the image: safe as of now. */
        atomic_store(&s->safe_written_ns, event_loop_now_ns(s->loop));
        wake(s);
        return 0;
}

static int sim_get_stats(struct chair_driver *drv, struct chair_driver_stats *ret) {
        memset(ret, 0, sizeof *ret);
        ret->link_up = true;
        ret->safe_written_ns = atomic_load(&((struct sim_driver *) drv)->safe_written_ns);
        return 0;
}

static void sim_renew_lease(struct chair_driver *drv, uint64_t until_ns) {
        atomic_store(&((struct sim_driver *) drv)->lease_until_ns, until_ns);
}

static void sim_close(struct chair_driver *drv) {
        struct sim_driver *s = (struct sim_driver *) drv;
        event_source_free(s->timer);
        event_source_free(s->wake_source);
        if (s->wake_fd >= 0)
                close(s->wake_fd);
        free(s);
}

static const struct chair_driver_ops sim_ops = {
        .name = "sim",
        .open = sim_open,
        .set_output = sim_set_output,
        .read_input = sim_read_input,
        .subscribe = sim_subscribe,
        .go_safe = sim_go_safe,
        .get_stats = sim_get_stats,
        .set_stop_handler = sim_set_stop_handler,
        .renew_lease = sim_renew_lease,
        .close = sim_close,
};

int chair_driver_new_sim(struct chair_driver **ret) {
        struct sim_driver *s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->base.ops = &sim_ops;
        s->base.backend = HW_BACKEND_SIM;
        s->wake_fd = -1;
        *ret = &s->base;
        return 0;
}

int chair_driver_sim_inject(struct chair_driver *drv, const char *name, bool on) {
        struct sim_driver *s = (struct sim_driver *) drv;
        int f;
        uint64_t now;

        if (drv->ops != &sim_ops)
                return -EINVAL;
        /* A burst air bag is not a board fault, so chairsim has no coil for it. */
        if (strcmp(name, "air-leak") == 0) {
                s->air_leak = on;
                return 0;
        }
        /* A slipping drive belt: the roller creeps at a twentieth of its speed, pulses and all. */
        if (strcmp(name, "slow-roller") == 0) {
                s->physics.params.max_speed_mm_s = on ? MAX(1, s->max_speed_mm_s / 20) : s->max_speed_mm_s;
                return 0;
        }
        f = chair_physics_fault_from_name(name);
        if (f < 0)
                return -EINVAL;
        now = event_loop_now(s->loop);
        if (!atomic_load(&s->stepping))
                s->last_step_usec = 0;  /* at rest: no time to catch up */
        step_to(s, now);
        chair_physics_inject(&s->physics, f, on);
        publish_inputs(s);
        if (!atomic_load(&s->stepping) && !chair_physics_at_rest(&s->physics))
                schedule(s, now);
        return 0;
}

const char *chair_driver_sim_fault_name(unsigned index) {
        return chair_physics_fault_name(index);
}

uint64_t chair_driver_sim_lease_until_ns(struct chair_driver *drv) {
        return drv->ops == &sim_ops ? atomic_load(&((struct sim_driver *) drv)->lease_until_ns) : 0;
}

bool chair_driver_sim_is_stepping(struct chair_driver *drv) {
        struct sim_driver *s = (struct sim_driver *) drv;
        return drv->ops == &sim_ops && atomic_load(&s->stepping);
}

int chair_driver_sim_set_person(struct chair_driver *drv, int32_t shoulder_mm, int32_t waist_mm) {
        struct sim_driver *s = (struct sim_driver *) drv;

        if (drv->ops != &sim_ops || waist_mm <= 0 || shoulder_mm <= waist_mm || shoulder_mm > s->physics.params.track_length_mm)
                return -EINVAL;
        s->physics.params.shoulder_mm = shoulder_mm;
        s->physics.params.waist_mm = waist_mm;
        publish_inputs(s);
        return 0;
}

int chair_driver_sim_set_occupant(struct chair_driver *drv, bool seated, int32_t leg_mm, bool feet_on) {
        struct sim_driver *s = (struct sim_driver *) drv;
        int r;

        if (drv->ops != &sim_ops)
                return -EINVAL;
        r = chair_physics_set_occupant(&s->physics, seated, leg_mm, feet_on);
        if (r < 0)
                return r;
        publish_inputs(s);
        return 0;
}

int chair_driver_sim_press_key(struct chair_driver *drv, int32_t code) {
        struct sim_driver *s = (struct sim_driver *) drv;
        if (drv->ops != &sim_ops)
                return -EINVAL;
        chair_physics_press_key(&s->physics, code);
        publish_inputs(s);
        return 0;
}
