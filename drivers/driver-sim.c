/* SPDX-License-Identifier: MIT */
/*
 * The sim backend: the chair physics in-process, for `massagechaird --simulate`, demos and
 * tests. Physics steps every 10 ms on the event loop only while something moves or changes,
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
#include "macro.h"

#define STEP_MS 10

struct sim_driver {
        struct chair_driver base;
        _Atomic uint64_t safe_written_ns;
        struct chair_physics physics;     /* event-loop thread only */
        _Atomic int32_t image[_CHAIR_OUT_MAX];
        _Atomic int32_t inputs[_CHAIR_IN_MAX];
        atomic_bool stepping;
        int wake_fd;
        sd_event_source *wake_source, *timer;
        chair_input_changed_fn notify;
        void *notify_userdata;
        const struct hardware_map *map;
};

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * NSEC_PER_SEC + (uint64_t) ts.tv_nsec;
}

static bool bound_input(struct sim_driver *s, enum chair_input in) {
        return s->map->inputs[in].backend == HW_BACKEND_SIM;
}

/* Copies the physics' inputs out and tells the subscriber what changed. */
static void publish_inputs(struct sim_driver *s) {
        uint64_t ts = now_ns();
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++) {
                int32_t v;
                if (!bound_input(s, i))
                        continue;
                v = chair_physics_input(&s->physics, i);
                if (atomic_exchange(&s->inputs[i], v) != v && s->notify)
                        s->notify(s->notify_userdata, i, v, ts);
        }
}

static void step(struct sim_driver *s, uint32_t dt_ms) {
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                chair_physics_set_output(&s->physics, o, atomic_load(&s->image[o]));
        chair_physics_step(&s->physics, dt_ms);
        publish_inputs(s);
}

static bool outputs_safe(struct sim_driver *s) {
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                if (atomic_load(&s->image[o]) != chair_output_info(o)->safe_value)
                        return false;
        return true;
}

static void schedule(struct sim_driver *s, uint64_t usec) {
        sd_event_source_set_time(s->timer, usec + STEP_MS * USEC_PER_MSEC);
        sd_event_source_set_enabled(s->timer, SD_EVENT_ON);
        atomic_store(&s->stepping, true);
}

static int on_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        struct sim_driver *s = userdata;

        step(s, STEP_MS);
        /* Keep stepping while anything moves, then sleep until an output changes. */
        if (!outputs_safe(s) || !chair_physics_at_rest(&s->physics)) {
                schedule(s, usec);
                return 0;
        }
        atomic_store(&s->stepping, false);
        sd_event_source_set_enabled(src, SD_EVENT_OFF);
        /* An output may have changed between the check and now. */
        if (!outputs_safe(s))
                schedule(s, usec);
        return 0;
}

static int on_wake(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        struct sim_driver *s = userdata;
        uint64_t v, now;

        if (read(fd, &v, sizeof v) < 0) {
                /* EAGAIN: already drained */
        }
        if (!atomic_load(&s->stepping)) {
                sd_event_now(sd_event_source_get_event(src), CLOCK_MONOTONIC, &now);
                /* Apply the change at once, then step on. */
                step(s, 0);
                schedule(s, now);
        }
        return 0;
}

static void wake(struct sim_driver *s) {
        uint64_t one = 1;
        if (!atomic_load(&s->stepping) && write(s->wake_fd, &one, sizeof one) < 0) {
                /* a full eventfd already wakes the loop */
        }
}

static int sim_open(struct chair_driver *drv, const struct hardware_map *map, sd_event *event, char *err, size_t size) {
        struct sim_driver *s = (struct sim_driver *) drv;
        struct chair_physics_params params;
        int r;

        s->map = map;
        chair_physics_default_params(&params);
        params.track_length_mm = map->track_length_mm;
        params.pulses_per_mm = map->pulses_per_mm;
        chair_physics_init(&s->physics, &params);
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                atomic_store(&s->image[o], chair_output_info(o)->safe_value);
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++)
                atomic_store(&s->inputs[i], chair_physics_input(&s->physics, i));

        s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (s->wake_fd < 0) {
                snprintf(err, size, "sim backend: eventfd: %s", strerror(errno));
                return -errno;
        }
        r = sd_event_add_io(event, &s->wake_source, s->wake_fd, EPOLLIN, on_wake, s);
        if (r >= 0)
                r = sd_event_add_time_relative(event, &s->timer, CLOCK_MONOTONIC, STEP_MS * USEC_PER_MSEC, 1, on_timer, s);
        if (r >= 0)
                r = sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
        if (r < 0) {
                snprintf(err, size, "sim backend: cannot attach to the event loop: %s", strerror(-r));
                return r;
        }
        return 0;
}

static int sim_set_output(struct chair_driver *drv, enum chair_output out, int32_t value) {
        struct sim_driver *s = (struct sim_driver *) drv;
        if (atomic_exchange(&s->image[out], value) != value)
                wake(s);
        return 0;
}

static int sim_read_input(struct chair_driver *drv, enum chair_input in, int32_t *ret) {
        struct sim_driver *s = (struct sim_driver *) drv;
        *ret = atomic_load(&s->inputs[in]);
        return 0;
}

static int sim_subscribe(struct chair_driver *drv, chair_input_changed_fn fn, void *userdata) {
        struct sim_driver *s = (struct sim_driver *) drv;
        s->notify = fn;
        s->notify_userdata = userdata;
        return 0;
}

static int sim_go_safe(struct chair_driver *drv) {
        struct sim_driver *s = (struct sim_driver *) drv;
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                atomic_store(&s->image[o], chair_output_info(o)->safe_value);
        /* The simulated outputs are the image: safe as of now. */
        atomic_store(&s->safe_written_ns, now_ns());
        wake(s);
        return 0;
}

static int sim_get_stats(struct chair_driver *drv, struct chair_driver_stats *ret) {
        memset(ret, 0, sizeof *ret);
        ret->link_up = true;
        ret->safe_written_ns = atomic_load(&((struct sim_driver *) drv)->safe_written_ns);
        return 0;
}

static void sim_close(struct chair_driver *drv) {
        struct sim_driver *s = (struct sim_driver *) drv;
        sd_event_source_disable_unref(s->timer);
        sd_event_source_disable_unref(s->wake_source);
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
        f = chair_physics_fault_from_name(name);
        if (f < 0)
                return -EINVAL;
        chair_physics_inject(&s->physics, f, on);
        publish_inputs(s);
        if (!atomic_load(&s->stepping) && sd_event_now(sd_event_source_get_event(s->timer), CLOCK_MONOTONIC, &now) >= 0)
                schedule(s, now);
        return 0;
}

int chair_driver_sim_press_key(struct chair_driver *drv, int32_t code) {
        struct sim_driver *s = (struct sim_driver *) drv;
        if (drv->ops != &sim_ops)
                return -EINVAL;
        s->physics.panel_key = code;
        publish_inputs(s);
        return 0;
}
