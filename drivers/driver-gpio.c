/* SPDX-License-Identifier: MIT */
/*
 * The GPIO backend (libgpiod v2): one line request per chip, held for the daemon's lifetime,
 * with every output requested at its safe value so it is safe from the first instant. Inputs
 * use both-edge detection with the kernel's debounce and CLOCK_MONOTONIC timestamps; the
 * request's fd sits in the event loop. The encoder line's rising edges are counted, with the
 * direction taken from the travel motor's output. A released request returns the lines to
 * their defaults, so the chair must be wired for those to be safe.
 */
#include <dirent.h>
#include <errno.h>
#include <gpiod.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "macro.h"

#define MAX_LINES 64

struct gpio_line {
        bool used, is_output, is_direction;
        unsigned offset;
        int chip;
        int index;                /* enum chair_output or chair_input */
};

struct gpio_chip_state {
        struct gpiod_chip *chip;
        struct gpiod_line_request *request;
        struct gpiod_edge_event_buffer *events;
        sd_event_source *source;
        struct gpio_line lines[MAX_LINES];
        unsigned n_lines;
};

struct gpio_driver {
        struct chair_driver base;
        const struct hardware_map *map;
        struct gpio_chip_state chips[HW_MAX_GPIO_CHIPS];
        _Atomic int32_t image[_CHAIR_OUT_MAX];
        _Atomic int32_t inputs[_CHAIR_IN_MAX];
        _Atomic uint64_t safe_written_ns;
        chair_input_changed_fn notify;
        void *notify_userdata;
};

static int open_chip(const struct hw_gpio_chip *c, struct gpiod_chip **ret) {
        DIR *d;
        struct dirent *de;

        if (c->path[0]) {
                *ret = gpiod_chip_open(c->path);
                return *ret ? 0 : -errno;
        }
        /* By label: the kernel may number chips differently from boot to boot. */
        d = opendir("/dev");
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                char path[300];
                struct gpiod_chip *chip;
                struct gpiod_chip_info *info;
                bool match;

                if (strncmp(de->d_name, "gpiochip", 8) != 0)
                        continue;
                snprintf(path, sizeof path, "/dev/%s", de->d_name);
                chip = gpiod_chip_open(path);
                if (!chip)
                        continue;
                info = gpiod_chip_get_info(chip);
                match = info && strcmp(gpiod_chip_info_get_label(info), c->label) == 0;
                gpiod_chip_info_free(info);
                if (match) {
                        closedir(d);
                        *ret = chip;
                        return 0;
                }
                gpiod_chip_close(chip);
        }
        closedir(d);
        return -ENODEV;
}

static int resolve(struct gpiod_chip *chip, int32_t offset, const char *name) {
        return offset >= 0 ? offset : gpiod_chip_get_line_offset_from_name(chip, name);
}

/* The logical value of an output's main line: active when away from "off". */
static enum gpiod_line_value line_value(enum chair_output out, int32_t value, bool direction) {
        if (direction)
                return value > 0 ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE;
        return value != 0 ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE;
}

static int add_line(struct gpio_driver *d, int chip, const struct hw_binding *b, bool output, bool direction, int index,
                    char *err, size_t size) {
        struct gpio_chip_state *cs = &d->chips[chip];
        int32_t want = direction ? b->direction_offset : b->line_offset;
        const char *name = direction ? b->direction_name : b->line_name;
        int off = resolve(cs->chip, want, name);

        if (off < 0) {
                snprintf(err, size, "%s:%u: line '%s' does not exist on chip [gpio.%s]", d->map->path, b->line_no, name,
                         d->map->gpio_chips[chip].name);
                return -ENOENT;
        }
        if (cs->n_lines >= MAX_LINES)
                return -E2BIG;
        cs->lines[cs->n_lines++] = (struct gpio_line) { true, output, direction, (unsigned) off, chip, index };
        return 0;
}

static int on_edges(sd_event_source *s, int fd, uint32_t revents, void *userdata);

static int request_chip(struct gpio_driver *d, int c, sd_event *event, char *err, size_t size) {
        struct gpio_chip_state *cs = &d->chips[c];
        struct gpiod_line_config *lc = gpiod_line_config_new();
        struct gpiod_request_config *rc = gpiod_request_config_new();
        int r = 0;

        if (!lc || !rc) {
                r = -ENOMEM;
                goto out;
        }
        gpiod_request_config_set_consumer(rc, "massagechaird");
        for (unsigned i = 0; i < cs->n_lines; i++) {
                struct gpio_line *l = &cs->lines[i];
                const struct hw_binding *b = l->is_output ? &d->map->outputs[l->index] : &d->map->inputs[l->index];
                struct gpiod_line_settings *ls = gpiod_line_settings_new();
                if (!ls) {
                        r = -ENOMEM;
                        goto out;
                }
                gpiod_line_settings_set_active_low(ls, b->active_low && !l->is_direction);
                if (l->is_output) {
                        int32_t safe = chair_output_info(l->index)->safe_value;
                        gpiod_line_settings_set_direction(ls, GPIOD_LINE_DIRECTION_OUTPUT);
                        /* Safe from the first instant: the request itself sets the value. */
                        gpiod_line_settings_set_output_value(ls, line_value(l->index, safe, l->is_direction));
                } else {
                        static const enum gpiod_line_bias bias[] = {
                                [HW_BIAS_AS_IS] = GPIOD_LINE_BIAS_AS_IS, [HW_BIAS_DISABLED] = GPIOD_LINE_BIAS_DISABLED,
                                [HW_BIAS_PULL_UP] = GPIOD_LINE_BIAS_PULL_UP, [HW_BIAS_PULL_DOWN] = GPIOD_LINE_BIAS_PULL_DOWN,
                        };
                        gpiod_line_settings_set_direction(ls, GPIOD_LINE_DIRECTION_INPUT);
                        gpiod_line_settings_set_bias(ls, bias[b->bias]);
                        gpiod_line_settings_set_edge_detection(ls, GPIOD_LINE_EDGE_BOTH);
                        gpiod_line_settings_set_debounce_period_us(ls, b->debounce_us);
                        gpiod_line_settings_set_event_clock(ls, GPIOD_LINE_CLOCK_MONOTONIC);
                }
                r = gpiod_line_config_add_line_settings(lc, &l->offset, 1, ls);
                gpiod_line_settings_free(ls);
                if (r < 0) {
                        r = -errno;
                        goto out;
                }
        }
        cs->request = gpiod_chip_request_lines(cs->chip, rc, lc);
        if (!cs->request) {
                r = -errno;
                snprintf(err, size, "%s:%u: [gpio.%s]: cannot request the chair's lines: %s%s", d->map->path,
                         d->map->gpio_chips[c].line_no, d->map->gpio_chips[c].name, strerror(-r),
                         r == -EBUSY ? " (a line is held by another consumer; see gpioinfo)" : "");
                goto out;
        }
        cs->events = gpiod_edge_event_buffer_new(64);
        if (!cs->events) {
                r = -ENOMEM;
                goto out;
        }
        /* Initial input values. */
        for (unsigned i = 0; i < cs->n_lines; i++) {
                struct gpio_line *l = &cs->lines[i];
                if (!l->is_output && l->index != CHAIR_IN_ENCODER) {
                        enum gpiod_line_value v = gpiod_line_request_get_value(cs->request, l->offset);
                        atomic_store(&d->inputs[l->index], v == GPIOD_LINE_VALUE_ACTIVE);
                }
        }
        r = sd_event_add_io(event, &cs->source, gpiod_line_request_get_fd(cs->request), EPOLLIN, on_edges, d);
out:
        gpiod_line_config_free(lc);
        gpiod_request_config_free(rc);
        return r;
}

static uint64_t mono_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * NSEC_PER_SEC + (uint64_t) ts.tv_nsec;
}

static int on_edges(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct gpio_driver *d = userdata;

        for (unsigned c = 0; c < HW_MAX_GPIO_CHIPS; c++) {
                struct gpio_chip_state *cs = &d->chips[c];
                int n;

                if (!cs->request || gpiod_line_request_get_fd(cs->request) != fd)
                        continue;
                n = gpiod_line_request_read_edge_events(cs->request, cs->events, 64);
                for (int e = 0; e < n; e++) {
                        struct gpiod_edge_event *ev = gpiod_edge_event_buffer_get_event(cs->events, (unsigned long) e);
                        unsigned off = gpiod_edge_event_get_line_offset(ev);
                        bool rising = gpiod_edge_event_get_event_type(ev) == GPIOD_EDGE_EVENT_RISING_EDGE;
                        uint64_t ts = gpiod_edge_event_get_timestamp_ns(ev);
                        for (unsigned i = 0; i < cs->n_lines; i++) {
                                struct gpio_line *l = &cs->lines[i];
                                int32_t v;
                                if (l->is_output || l->offset != off)
                                        continue;
                                if (l->index == CHAIR_IN_ENCODER) {
                                        if (!rising)
                                                continue;
                                        /* Direction from the motor: pulses alone cannot tell. */
                                        int32_t step = atomic_load(&d->image[CHAIR_OUT_TRAVEL_MOTOR]) < 0 ? -1 : 1;
                                        v = atomic_fetch_add(&d->inputs[CHAIR_IN_ENCODER], step) + step;
                                } else {
                                        v = rising;
                                        atomic_store(&d->inputs[l->index], v);
                                }
                                if (d->notify)
                                        d->notify(d->notify_userdata, l->index, v, ts ? ts : mono_ns());
                        }
                }
        }
        return 0;
}

static int gpio_open(struct chair_driver *drv, const struct hardware_map *map, sd_event *event, char *err, size_t size) {
        struct gpio_driver *d = (struct gpio_driver *) drv;
        bool used[HW_MAX_GPIO_CHIPS] = {};
        int r;

        d->map = map;
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++) {
                atomic_store(&d->image[o], chair_output_info(o)->safe_value);
                if (map->outputs[o].backend == HW_BACKEND_GPIO)
                        used[map->outputs[o].chip] = true;
        }
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++)
                if (map->inputs[i].backend == HW_BACKEND_GPIO)
                        used[map->inputs[i].chip] = true;

        for (unsigned c = 0; c < map->n_gpio_chips; c++) {
                if (!used[c])
                        continue;
                r = open_chip(&map->gpio_chips[c], &d->chips[c].chip);
                if (r < 0) {
                        snprintf(err, size, "%s:%u: [gpio.%s]: cannot open the chip %s: %s", map->path,
                                 map->gpio_chips[c].line_no, map->gpio_chips[c].name,
                                 map->gpio_chips[c].path[0] ? map->gpio_chips[c].path : map->gpio_chips[c].label,
                                 strerror(-r));
                        return r;
                }
        }
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++) {
                const struct hw_binding *b = &map->outputs[o];
                const struct chair_output_info *info = chair_output_info(o);
                if (b->backend != HW_BACKEND_GPIO)
                        continue;
                if (info->kind == CHAIR_VALUE_LEVEL) {
                        snprintf(err, size, "%s:%u: [output.%s]: a setpoint with %d levels cannot be one GPIO line; "
                                 "bind it to a Modbus register", map->path, b->line_no, info->name, info->max + 1);
                        return -EINVAL;
                }
                r = add_line(d, b->chip, b, true, false, (int) o, err, size);
                if (r >= 0 && (b->direction_offset >= 0 || b->direction_name[0]))
                        r = add_line(d, b->chip, b, true, true, (int) o, err, size);
                if (r < 0)
                        return r;
        }
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++) {
                const struct hw_binding *b = &map->inputs[i];
                if (b->backend != HW_BACKEND_GPIO)
                        continue;
                r = add_line(d, b->chip, b, false, false, (int) i, err, size);
                if (r < 0)
                        return r;
        }
        for (unsigned c = 0; c < map->n_gpio_chips; c++) {
                if (!d->chips[c].chip)
                        continue;
                r = request_chip(d, (int) c, event, err, size);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int set_lines(struct gpio_driver *d, enum chair_output out, int32_t value) {
        int r = 0;
        for (unsigned c = 0; c < HW_MAX_GPIO_CHIPS; c++) {
                struct gpio_chip_state *cs = &d->chips[c];
                for (unsigned i = 0; cs->request && i < cs->n_lines; i++) {
                        struct gpio_line *l = &cs->lines[i];
                        if (l->is_output && l->index == (int) out &&
                            gpiod_line_request_set_value(cs->request, l->offset, line_value(out, value, l->is_direction)) < 0)
                                r = -errno;
                }
        }
        return r;
}

static int gpio_set_output(struct chair_driver *drv, enum chair_output out, int32_t value) {
        struct gpio_driver *d = (struct gpio_driver *) drv;
        if (d->map->outputs[out].backend != HW_BACKEND_GPIO)
                return -ENODEV;
        atomic_store(&d->image[out], value);
        return set_lines(d, out, value);
}

static int gpio_read_input(struct chair_driver *drv, enum chair_input in, int32_t *ret) {
        struct gpio_driver *d = (struct gpio_driver *) drv;
        *ret = atomic_load(&d->inputs[in]);
        return 0;
}

static int gpio_subscribe(struct chair_driver *drv, chair_input_changed_fn fn, void *userdata) {
        struct gpio_driver *d = (struct gpio_driver *) drv;
        d->notify = fn;
        d->notify_userdata = userdata;
        return 0;
}

static int gpio_go_safe(struct chair_driver *drv) {
        struct gpio_driver *d = (struct gpio_driver *) drv;
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                if (d->map && d->map->outputs[o].backend == HW_BACKEND_GPIO) {
                        atomic_store(&d->image[o], chair_output_info(o)->safe_value);
                        set_lines(d, o, chair_output_info(o)->safe_value);
                }
        atomic_store(&d->safe_written_ns, mono_ns());
        return 0;
}

static int gpio_get_stats(struct chair_driver *drv, struct chair_driver_stats *ret) {
        memset(ret, 0, sizeof *ret);
        ret->link_up = true;
        ret->safe_written_ns = atomic_load(&((struct gpio_driver *) drv)->safe_written_ns);
        return 0;
}

static void gpio_close(struct chair_driver *drv) {
        struct gpio_driver *d = (struct gpio_driver *) drv;
        gpio_go_safe(drv);
        for (unsigned c = 0; c < HW_MAX_GPIO_CHIPS; c++) {
                struct gpio_chip_state *cs = &d->chips[c];
                sd_event_source_disable_unref(cs->source);
                if (cs->events)
                        gpiod_edge_event_buffer_free(cs->events);
                if (cs->request)
                        gpiod_line_request_release(cs->request);
                if (cs->chip)
                        gpiod_chip_close(cs->chip);
        }
        free(d);
}

static const struct chair_driver_ops gpio_ops = {
        .name = "gpio",
        .open = gpio_open,
        .set_output = gpio_set_output,
        .read_input = gpio_read_input,
        .subscribe = gpio_subscribe,
        .go_safe = gpio_go_safe,
        .get_stats = gpio_get_stats,
        .close = gpio_close,
};

int chair_driver_new_gpio(struct chair_driver **ret) {
        struct gpio_driver *d = calloc(1, sizeof *d);
        if (!d)
                return -ENOMEM;
        d->base.ops = &gpio_ops;
        d->base.backend = HW_BACKEND_GPIO;
        *ret = &d->base;
        return 0;
}
