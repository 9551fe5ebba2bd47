/* SPDX-License-Identifier: MIT */
/*
 * The GPIO backend: libgpiod v2 line requests, one per chip, held from open to close.
 *
 * Outputs are requested with their safe values as the initial values, so they are safe from the
 * first instant. On/off outputs use one line; motors use an enable line (active while the duty is
 * not 0) and optionally a direction line on the same chip (active while the duty is negative).
 * Setpoints with more than two values (width, depth) cannot be driven by one line and are refused.
 *
 * Inputs get both-edge detection, the map's bias and debounce, and the MONOTONIC event clock.
 * The request fd sits in the event loop; each edge updates an atomic image that read_input reads
 * and is passed to the subscribers with the kernel's timestamp. The encoder counts rising edges of
 * its line; the direction comes from a second (quadrature) line when the map names one, else from
 * the sign of the last travel-motor command.
 *
 * A GPIO panel ([key.NAME] sections with backend = gpio) has one input line per key, debounced by
 * the kernel like any input. Together they are panel_key: the code of the key pressed last and
 * still held, 0 when none is held.
 *
 * The stop lines (the emergency stop, the limits, inputs the map marks stop) are requested
 * apart, and a thread of their own ("gpio-stop") waits on that request's fd: an edge there goes
 * through the router's stop path at once, then to the event loop through a small queue, so a
 * busy event loop never delays the stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <gpiod.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-event.h>

#include "clock.h"
#include "driver.h"
#include "event-loop.h"
#include "macro.h"

#define GPIO_CONSUMER "massagechaird"
#define GPIO_LINES_PER_CHIP 64
#define GPIO_MAX_SUBSCRIBERS 8
#define GPIO_EVENT_BUFFER 64
#define GPIO_STOP_QUEUE 64         /* stop-line edges on their way to the event loop */

enum gpio_line_role {
        GPIO_ROLE_OUTPUT,          /* on/off output or motor enable */
        GPIO_ROLE_DIRECTION,       /* motor direction, active = negative duty */
        GPIO_ROLE_INPUT,
        GPIO_ROLE_ENCODER_B,       /* quadrature phase B of the encoder */
        GPIO_ROLE_KEY,             /* a panel key's own line; index is its enum chair_key */
};

struct gpio_line {
        unsigned offset;
        enum gpio_line_role role;
        int index;                 /* enum chair_output, chair_input or chair_key */
        bool active_low;
        enum hw_gpio_bias bias;
        uint32_t debounce_us;
        enum gpiod_line_value safe_value;   /* outputs */
        unsigned map_line;
        bool stop_line;            /* in the stop request, read by the stop thread */
};

struct gpio_chip_state {
        struct gpiod_chip *chip;
        struct gpiod_line_request *request;
        struct gpiod_line_request *stop_request;   /* the stop lines, or NULL */
        sd_event_source *event_source;
        struct gpiod_edge_event_buffer *event_buffer;
        struct gpio_line lines[GPIO_LINES_PER_CHIP];
        unsigned n_lines;
        /* go_safe's precomputed subset: every output and direction line with its safe value. */
        unsigned safe_offsets[GPIO_LINES_PER_CHIP];
        enum gpiod_line_value safe_values[GPIO_LINES_PER_CHIP];
        unsigned n_safe;
};

struct gpio_output {
        bool bound;
        int chip;
        unsigned offset;
        int32_t direction_offset;   /* -1 none */
};

struct gpio_input {
        bool bound;
        int chip;
        unsigned offset;
        int32_t phase_b_offset;     /* encoder only, -1 none */
        _Atomic int32_t value;
};

/* A GPIO panel's keys, touched on the event-loop thread only (open and edges); read_input reads
 * the result from inputs[CHAIR_IN_PANEL_KEY].value. */
struct gpio_panel {
        bool bound[_CHAIR_KEY_MAX];
        uint8_t code[_CHAIR_KEY_MAX];
        uint64_t held_since[_CHAIR_KEY_MAX];   /* press order while held (1, 2, ...), 0 = up */
        uint64_t presses;
};

struct gpio_subscriber {
        chair_input_changed_fn fn;
        void *userdata;
};

struct gpio_driver {
        struct chair_driver base;
        struct gpio_chip_state chips[HW_MAX_GPIO_CHIPS];
        unsigned n_chips;
        struct gpio_output outputs[_CHAIR_OUT_MAX];
        struct gpio_input inputs[_CHAIR_IN_MAX];
        struct gpio_panel panel;
        _Atomic int32_t travel_sign;        /* sign of the last non-zero travel command */
        struct gpio_subscriber subscribers[GPIO_MAX_SUBSCRIBERS];
        unsigned n_subscribers;
        _Atomic uint64_t transactions;
        _Atomic uint64_t errors;
        _Atomic uint64_t safe_written_ns;   /* CLOCK_MONOTONIC of the last go_safe that reached the chips */
        bool opened;
        /* The stop thread and its single-producer queue to the event loop. */
        chair_input_stop_fn stop;
        void *stop_userdata;
        pthread_t stop_thread;
        bool stop_thread_started;
        int stop_quit_fd, stop_event_fd;
        sd_event_source *stop_source;
        struct gpiod_edge_event_buffer *stop_buffer;
        struct { int32_t in, value; uint64_t ts; } stop_queue[GPIO_STOP_QUEUE];
        atomic_uint stop_head, stop_tail;   /* head: written by the thread; tail: by the loop */
        atomic_bool stop_overflow;
};

static struct gpio_driver *gpio_driver_cast(struct chair_driver *drv) {
        return (struct gpio_driver *) drv;
}

static void set_error(char *buf, size_t size, const struct hardware_map *map, unsigned line,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void set_error(char *buf, size_t size, const struct hardware_map *map, unsigned line,
                      const char *fmt, ...) {
        va_list ap;
        int n;

        if (!buf || size == 0)
                return;
        n = snprintf(buf, size, "%s:%u: ", map->path[0] ? map->path : "hardware map", line);
        if (n < 0 || (size_t) n >= size)
                return;
        va_start(ap, fmt);
        vsnprintf(buf + n, size - n, fmt, ap);
        va_end(ap);
}

static enum gpiod_line_value logical(bool active) {
        return active ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE;
}

/* Opens a chip by /dev path, or scans /dev/gpiochip* for the label. */
static int open_chip(const struct hw_gpio_chip *spec, struct gpiod_chip **ret) {
        glob_t g = {};
        int r = -ENODEV;

        if (spec->path[0]) {
                *ret = gpiod_chip_open(spec->path);
                return *ret ? 0 : -errno;
        }
        if (glob("/dev/gpiochip*", 0, NULL, &g) != 0)
                return -ENODEV;
        for (size_t i = 0; i < g.gl_pathc && r < 0; i++) {
                struct gpiod_chip *chip = gpiod_chip_open(g.gl_pathv[i]);
                struct gpiod_chip_info *info;

                if (!chip)
                        continue;
                info = gpiod_chip_get_info(chip);
                if (info && strcmp(gpiod_chip_info_get_label(info), spec->label) == 0) {
                        *ret = chip;
                        r = 0;
                } else
                        gpiod_chip_close(chip);
                if (info)
                        gpiod_chip_info_free(info);
        }
        globfree(&g);
        return r;
}

static int resolve_line(struct gpiod_chip *chip, int32_t offset, const char *name, unsigned *ret) {
        int r;

        if (offset >= 0) {
                *ret = (unsigned) offset;
                return 0;
        }
        r = gpiod_chip_get_line_offset_from_name(chip, name);
        if (r < 0)
                return -ENOENT;
        *ret = (unsigned) r;
        return 0;
}

static int add_line(struct gpio_driver *g, const struct hardware_map *map, int chip_index,
                    const struct gpio_line *line, const char *what, char *err, size_t err_size) {
        struct gpio_chip_state *c = &g->chips[chip_index];
        const struct hw_gpio_chip *spec = &map->gpio_chips[chip_index];
        struct gpiod_chip_info *chip_info;
        struct gpiod_line_info *info;
        unsigned n_lines;

        chip_info = gpiod_chip_get_info(c->chip);
        if (!chip_info) {
                set_error(err, err_size, map, line->map_line, "%s: cannot read chip %s: %m", what, spec->name);
                return -errno;
        }
        n_lines = (unsigned) gpiod_chip_info_get_num_lines(chip_info);
        gpiod_chip_info_free(chip_info);
        if (line->offset >= n_lines) {
                set_error(err, err_size, map, line->map_line, "%s: line %u does not exist on chip %s (%u lines)",
                          what, line->offset, spec->name, n_lines);
                return -ENOENT;
        }
        for (unsigned i = 0; i < c->n_lines; i++)
                if (c->lines[i].offset == line->offset) {
                        set_error(err, err_size, map, line->map_line,
                                  "%s: line %u of chip %s is already bound (map line %u)",
                                  what, line->offset, spec->name, c->lines[i].map_line);
                        return -EEXIST;
                }
        if (c->n_lines >= GPIO_LINES_PER_CHIP) {
                set_error(err, err_size, map, line->map_line, "%s: too many lines on chip %s", what, spec->name);
                return -E2BIG;
        }

        /* Name the consumer that holds a busy line: the kernel would only say EBUSY. */
        info = gpiod_chip_get_line_info(c->chip, line->offset);
        if (info) {
                bool used = gpiod_line_info_is_used(info);
                const char *consumer = gpiod_line_info_get_consumer(info);
                const char *name = gpiod_line_info_get_name(info);

                if (used)
                        set_error(err, err_size, map, line->map_line,
                                  "%s: line %u (%s) of chip %s is busy, held by consumer '%s'",
                                  what, line->offset, name ? name : "unnamed", spec->name,
                                  consumer ? consumer : "unknown");
                gpiod_line_info_free(info);
                if (used)
                        return -EBUSY;
        }
        c->lines[c->n_lines++] = *line;
        return 0;
}

static int bind_chip_line(struct gpio_driver *g, const struct hardware_map *map,
                          const struct hw_binding *b, const char *what, int32_t offset,
                          const char *name, unsigned *ret, char *err, size_t err_size) {
        int r;

        if (b->chip < 0 || (unsigned) b->chip >= map->n_gpio_chips) {
                set_error(err, err_size, map, b->line_no, "%s: no GPIO chip %d in the map", what, b->chip);
                return -EINVAL;
        }
        if (!g->chips[b->chip].chip) {
                r = open_chip(&map->gpio_chips[b->chip], &g->chips[b->chip].chip);
                if (r < 0) {
                        const struct hw_gpio_chip *spec = &map->gpio_chips[b->chip];
                        set_error(err, err_size, map, spec->line_no, "[gpio.%s]: cannot open the chip %s: %s",
                                  spec->name, spec->path[0] ? spec->path : spec->label, strerror(-r));
                        return r;
                }
        }
        r = resolve_line(g->chips[b->chip].chip, offset, name, ret);
        if (r < 0) {
                set_error(err, err_size, map, b->line_no, "%s: no line named '%s' on chip %s",
                          what, name, map->gpio_chips[b->chip].name);
                return r;
        }
        return 0;
}

/* A binding's own line (line or line_name), bound and added as [section.name]. */
static int bind_main_line(struct gpio_driver *g, const struct hardware_map *map, const struct hw_binding *b,
                          const char *section, const char *name, struct gpio_line *line, char *err,
                          size_t err_size) {
        char what[96];
        int r;

        snprintf(what, sizeof what, "[%s.%s]", section, name);
        r = bind_chip_line(g, map, b, what, b->line_offset, b->line_name, &line->offset, err, err_size);
        if (r < 0)
                return r;
        return add_line(g, map, b->chip, line, what, err, err_size);
}

/* A binding's direction_line, when it has one: a motor's direction (an output) or an
 * encoder's phase B (an input), on the main line's chip with its polarity and bias, safe
 * inactive. *ret_offset is set only once the line is bound. */
static int bind_second_line(struct gpio_driver *g, const struct hardware_map *map, const struct hw_binding *b,
                            const char *section, const char *name, enum gpio_line_role role,
                            struct gpio_line *line, int32_t *ret_offset, char *err, size_t err_size) {
        char what[96];
        unsigned offset;
        int r;

        if (b->direction_offset < 0 && !b->direction_name[0])
                return 0;
        snprintf(what, sizeof what, "[%s.%s] direction_line", section, name);
        r = bind_chip_line(g, map, b, what, b->direction_offset, b->direction_name, &offset, err, err_size);
        if (r < 0)
                return r;
        line->offset = offset;
        line->role = role;
        line->safe_value = GPIOD_LINE_VALUE_INACTIVE;
        r = add_line(g, map, b->chip, line, what, err, err_size);
        if (r < 0)
                return r;
        *ret_offset = (int32_t) offset;
        return 0;
}

static int bind_output(struct gpio_driver *g, const struct hardware_map *map, enum chair_output out,
                       char *err, size_t err_size) {
        const struct hw_binding *b = &map->outputs[out];
        const struct chair_output_info *oi = chair_output_info(out);
        struct gpio_line line = {
                .role = GPIO_ROLE_OUTPUT, .index = out, .active_low = b->active_low,
                .bias = b->bias, .map_line = b->line_no,
                /* A motor at 0 % is off; an on/off output's safe value is 0 or 1. */
                .safe_value = logical(oi->kind == CHAIR_VALUE_PERCENT ? false : oi->safe_value != 0),
        };
        int r;

        r = bind_main_line(g, map, b, "output", oi->name, &line, err, err_size);
        if (r < 0)
                return r;
        g->outputs[out] = (struct gpio_output) {
                .bound = true, .chip = b->chip, .offset = line.offset, .direction_offset = -1,
        };
        return bind_second_line(g, map, b, "output", oi->name, GPIO_ROLE_DIRECTION, &line,
                                &g->outputs[out].direction_offset, err, err_size);
}

static int bind_input(struct gpio_driver *g, const struct hardware_map *map, enum chair_input in,
                      char *err, size_t err_size) {
        const struct hw_binding *b = &map->inputs[in];
        const struct chair_input_info *ii = chair_input_info(in);
        struct gpio_line line = {
                .role = GPIO_ROLE_INPUT, .index = in, .active_low = b->active_low, .bias = b->bias,
                .debounce_us = b->debounce_us, .map_line = b->line_no,
                /* The limits too: both at once is a stop, and the router needs both current. */
                .stop_line = ii->stop || b->stop || in == CHAIR_IN_LIMIT_TOP || in == CHAIR_IN_LIMIT_BOTTOM,
        };
        int r;

        r = bind_main_line(g, map, b, "input", ii->name, &line, err, err_size);
        if (r < 0)
                return r;
        g->inputs[in].bound = true;
        g->inputs[in].chip = b->chip;
        g->inputs[in].offset = line.offset;
        g->inputs[in].phase_b_offset = -1;
        return bind_second_line(g, map, b, "input", ii->name, GPIO_ROLE_ENCODER_B, &line,
                                &g->inputs[in].phase_b_offset, err, err_size);
}

/* One key of a GPIO panel: an input line of its own, reported through panel_key. */
static int bind_key(struct gpio_driver *g, const struct hardware_map *map, enum chair_key k,
                    char *err, size_t err_size) {
        const struct hw_key *key = &map->panel.keys[k];
        const struct hw_binding *b = &key->binding;
        struct gpio_line line = {
                .role = GPIO_ROLE_KEY, .index = k, .active_low = b->active_low, .bias = b->bias,
                .debounce_us = b->debounce_us, .map_line = b->line_no,
        };
        int r;

        r = bind_main_line(g, map, b, "key", chair_key_name(k), &line, err, err_size);
        if (r < 0)
                return r;
        g->panel.bound[k] = true;
        g->panel.code[k] = key->code;
        return 0;
}

static enum gpiod_line_bias gpiod_bias(enum hw_gpio_bias bias) {
        switch (bias) {
        case HW_BIAS_DISABLED:  return GPIOD_LINE_BIAS_DISABLED;
        case HW_BIAS_PULL_UP:   return GPIOD_LINE_BIAS_PULL_UP;
        case HW_BIAS_PULL_DOWN: return GPIOD_LINE_BIAS_PULL_DOWN;
        case HW_BIAS_AS_IS:
        default:                return GPIOD_LINE_BIAS_AS_IS;
        }
}

static void deliver(struct gpio_driver *g, enum chair_input in, int32_t value, uint64_t ts) {
        for (unsigned i = 0; i < g->n_subscribers; i++)
                g->subscribers[i].fn(g->subscribers[i].userdata, in, value, ts);
}

static const struct gpio_line *find_line(const struct gpio_chip_state *c, unsigned offset) {
        for (unsigned i = 0; i < c->n_lines; i++)
                if (c->lines[i].offset == offset)
                        return &c->lines[i];
        return NULL;
}

/* A key of a GPIO panel went down or up: panel_key becomes the code of the key pressed last among
 * those still held (0 when none is). Returns whether panel_key changed. */
static bool panel_key_edge(struct gpio_driver *g, enum chair_key k, bool pressed) {
        struct gpio_panel *p = &g->panel;
        int32_t old = atomic_load(&g->inputs[CHAIR_IN_PANEL_KEY].value), value = 0;
        uint64_t latest = 0;

        if (pressed == (p->held_since[k] != 0))
                return false;   /* no change of this key (e.g. a level read at open, then its edge) */
        p->held_since[k] = pressed ? ++p->presses : 0;
        for (unsigned i = 0; i < _CHAIR_KEY_MAX; i++)
                if (p->held_since[i] > latest) {
                        latest = p->held_since[i];
                        value = p->code[i];
                }
        atomic_store(&g->inputs[CHAIR_IN_PANEL_KEY].value, value);
        return value != old;
}

static void handle_edge(struct gpio_driver *g, struct gpio_chip_state *c, struct gpiod_edge_event *ev) {
        unsigned offset = gpiod_edge_event_get_line_offset(ev);
        bool rising = gpiod_edge_event_get_event_type(ev) == GPIOD_EDGE_EVENT_RISING_EDGE;
        uint64_t ts = gpiod_edge_event_get_timestamp_ns(ev);
        const struct gpio_line *line = find_line(c, offset);
        struct gpio_input *enc = &g->inputs[CHAIR_IN_ENCODER];
        int32_t value;

        if (!line)
                return;
        if (line->role == GPIO_ROLE_ENCODER_B)
                return;   /* sampled on phase A's rising edge */
        if (line->role == GPIO_ROLE_KEY) {
                if (panel_key_edge(g, (enum chair_key) line->index, rising))
                        deliver(g, CHAIR_IN_PANEL_KEY, atomic_load(&g->inputs[CHAIR_IN_PANEL_KEY].value), ts);
                return;
        }
        if (line->role != GPIO_ROLE_INPUT)
                return;

        if (line->index == CHAIR_IN_ENCODER) {
                int32_t step;

                if (!rising)
                        return;
                if (enc->phase_b_offset >= 0) {
                        /* Quadrature: B low at A's rising edge = forward (up). */
                        enum gpiod_line_value bv =
                                gpiod_line_request_get_value(c->request, (unsigned) enc->phase_b_offset);
                        step = bv == GPIOD_LINE_VALUE_ACTIVE ? -1 : 1;
                } else
                        step = atomic_load(&g->travel_sign) < 0 ? -1 : 1;
                value = atomic_fetch_add(&enc->value, step) + step;
        } else if (line->index == CHAIR_IN_PANEL_KEY) {
                value = rising ? 1 : 0;   /* a single-key panel: key code 1 while held */
                atomic_store(&g->inputs[line->index].value, value);
        } else {
                value = rising ? 1 : 0;
                atomic_store(&g->inputs[line->index].value, value);
        }
        deliver(g, (enum chair_input) line->index, value, ts);
}

static int on_request_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct gpio_driver *g = userdata;
        unsigned chip_index = UINT32_MAX;

        for (unsigned i = 0; i < HW_MAX_GPIO_CHIPS; i++)
                if (g->chips[i].event_source == s)
                        chip_index = i;
        if (chip_index == UINT32_MAX)
                return 0;

        struct gpio_chip_state *c = &g->chips[chip_index];
        for (;;) {
                int n = gpiod_line_request_read_edge_events(c->request, c->event_buffer, GPIO_EVENT_BUFFER);
                if (n < 0) {
                        atomic_fetch_add(&g->errors, 1);
                        return 0;
                }
                for (int i = 0; i < n; i++)
                        handle_edge(g, c, gpiod_edge_event_buffer_get_event(c->event_buffer, (unsigned long) i));
                if (n < GPIO_EVENT_BUFFER)
                        break;
                /* A full buffer: more may be queued; read again only if the fd is still ready. */
                if (gpiod_line_request_wait_edge_events(c->request, 0) <= 0)
                        break;
        }
        return 0;
}

static int request_chip(struct gpio_driver *g, const struct hardware_map *map, unsigned chip_index,
                        sd_event *event, char *err, size_t err_size) {
        struct gpio_chip_state *c = &g->chips[chip_index];
        const struct hw_gpio_chip *spec = &map->gpio_chips[chip_index];
        struct gpiod_line_settings *settings = NULL;
        struct gpiod_line_config *config = NULL, *stop_config = NULL;
        struct gpiod_request_config *req_config = NULL;
        bool has_inputs = false, has_stop_lines = false;
        int r = 0;

        config = gpiod_line_config_new();
        stop_config = gpiod_line_config_new();
        settings = gpiod_line_settings_new();
        req_config = gpiod_request_config_new();
        if (!config || !stop_config || !settings || !req_config) {
                r = -ENOMEM;
                goto finish;
        }
        gpiod_request_config_set_consumer(req_config, GPIO_CONSUMER);
        gpiod_request_config_set_event_buffer_size(req_config, 1024);

        c->n_safe = 0;
        for (unsigned i = 0; i < c->n_lines; i++) {
                const struct gpio_line *line = &c->lines[i];
                bool output = line->role == GPIO_ROLE_OUTPUT || line->role == GPIO_ROLE_DIRECTION;

                gpiod_line_settings_reset(settings);
                gpiod_line_settings_set_active_low(settings, line->active_low);
                gpiod_line_settings_set_bias(settings, gpiod_bias(line->bias));
                if (output) {
                        gpiod_line_settings_set_direction(settings, GPIOD_LINE_DIRECTION_OUTPUT);
                        gpiod_line_settings_set_output_value(settings, line->safe_value);
                        c->safe_offsets[c->n_safe] = line->offset;
                        c->safe_values[c->n_safe++] = line->safe_value;
                } else {
                        gpiod_line_settings_set_direction(settings, GPIOD_LINE_DIRECTION_INPUT);
                        gpiod_line_settings_set_event_clock(settings, GPIOD_LINE_CLOCK_MONOTONIC);
                        if (line->role == GPIO_ROLE_INPUT || line->role == GPIO_ROLE_KEY) {
                                gpiod_line_settings_set_edge_detection(settings, GPIOD_LINE_EDGE_BOTH);
                                gpiod_line_settings_set_debounce_period_us(settings, line->debounce_us);
                                has_inputs = true;
                        }
                }
                has_stop_lines |= line->stop_line;
                if (gpiod_line_config_add_line_settings(line->stop_line ? stop_config : config, &line->offset, 1,
                                                        settings) < 0) {
                        r = -errno;
                        set_error(err, err_size, map, line->map_line, "line %u of chip %s: %m",
                                  line->offset, spec->name);
                        goto finish;
                }
        }

        c->request = gpiod_chip_request_lines(c->chip, req_config, config);
        if (!c->request) {
                r = -errno;
                set_error(err, err_size, map, spec->line_no, "[gpio.%s]: requesting %u lines failed: %s",
                          spec->name, c->n_lines, strerror(-r));
                goto finish;
        }
        if (has_stop_lines) {
                c->stop_request = gpiod_chip_request_lines(c->chip, req_config, stop_config);
                if (!c->stop_request) {
                        r = -errno;
                        set_error(err, err_size, map, spec->line_no, "[gpio.%s]: requesting the stop lines failed: %s",
                                  spec->name, strerror(-r));
                        goto finish;
                }
        }

        /* Read the inputs' starting levels, so read_input is right before the first edge. */
        for (unsigned i = 0; i < c->n_lines; i++) {
                const struct gpio_line *line = &c->lines[i];
                enum gpiod_line_value v;

                if ((line->role != GPIO_ROLE_INPUT && line->role != GPIO_ROLE_KEY) ||
                    (line->role == GPIO_ROLE_INPUT && line->index == CHAIR_IN_ENCODER))
                        continue;
                v = gpiod_line_request_get_value(line->stop_line ? c->stop_request : c->request, line->offset);
                if (v == GPIOD_LINE_VALUE_ERROR) {
                        r = -errno;
                        set_error(err, err_size, map, line->map_line, "line %u of chip %s: reading failed: %s",
                                  line->offset, spec->name, strerror(-r));
                        goto finish;
                }
                if (line->role == GPIO_ROLE_KEY)
                        (void) panel_key_edge(g, (enum chair_key) line->index, v == GPIOD_LINE_VALUE_ACTIVE);
                else
                        atomic_store(&g->inputs[line->index].value, v == GPIOD_LINE_VALUE_ACTIVE ? 1 : 0);
        }

        if (has_inputs) {
                c->event_buffer = gpiod_edge_event_buffer_new(GPIO_EVENT_BUFFER);
                if (!c->event_buffer) {
                        r = -ENOMEM;
                        goto finish;
                }
                r = sd_event_add_io(event, &c->event_source, gpiod_line_request_get_fd(c->request), EPOLLIN,
                                    on_request_readable, g);
                if (r < 0) {
                        set_error(err, err_size, map, spec->line_no, "[gpio.%s]: cannot watch edge events: %s",
                                  spec->name, strerror(-r));
                        goto finish;
                }
                /* Edges are safety inputs (limits, emergency stop): ahead of ordinary work. */
                (void) sd_event_source_set_priority(c->event_source, SD_EVENT_PRIORITY_IMPORTANT);
                (void) sd_event_source_set_description(c->event_source, "gpio-edges");
        }
finish:
        gpiod_request_config_free(req_config);
        gpiod_line_settings_free(settings);
        gpiod_line_config_free(config);
        gpiod_line_config_free(stop_config);
        return r;
}


/* The stop thread: reads the stop lines' edges, updates their values, takes the router's stop
 * path right here, and queues each change for the event loop's subscribers. */
static void stop_edge(struct gpio_driver *g, struct gpio_chip_state *c, struct gpiod_edge_event *ev) {
        const struct gpio_line *line = find_line(c, gpiod_edge_event_get_line_offset(ev));
        int32_t value = gpiod_edge_event_get_event_type(ev) == GPIOD_EDGE_EVENT_RISING_EDGE ? 1 : 0;
        uint64_t ts = gpiod_edge_event_get_timestamp_ns(ev);
        unsigned head = atomic_load(&g->stop_head);
        uint64_t one = 1;

        if (!line || !line->stop_line)
                return;
        atomic_store(&g->inputs[line->index].value, value);
        if (g->stop)
                g->stop(g->stop_userdata, (enum chair_input) line->index, value, 0, ts);
        if (head - atomic_load(&g->stop_tail) >= GPIO_STOP_QUEUE) {
                atomic_store(&g->stop_overflow, true);   /* the loop re-reads every stop line */
        } else {
                g->stop_queue[head % GPIO_STOP_QUEUE].in = line->index;
                g->stop_queue[head % GPIO_STOP_QUEUE].value = value;
                g->stop_queue[head % GPIO_STOP_QUEUE].ts = ts;
                atomic_store(&g->stop_head, head + 1);
        }
        if (write(g->stop_event_fd, &one, sizeof one) < 0) {
                /* a saturated eventfd still wakes the loop */
        }
}

static void *stop_thread(void *userdata) {
        struct gpio_driver *g = userdata;
        struct pollfd p[HW_MAX_GPIO_CHIPS + 1];
        unsigned chip_of[HW_MAX_GPIO_CHIPS + 1], n = 0;

        p[n++] = (struct pollfd) { .fd = g->stop_quit_fd, .events = POLLIN };
        for (unsigned i = 0; i < HW_MAX_GPIO_CHIPS; i++)
                if (g->chips[i].stop_request) {
                        chip_of[n] = i;
                        p[n++] = (struct pollfd) { .fd = gpiod_line_request_get_fd(g->chips[i].stop_request),
                                                   .events = POLLIN };
                }
        for (;;) {
                if (poll(p, n, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        atomic_fetch_add(&g->errors, 1);
                        return NULL;
                }
                if (p[0].revents)
                        return NULL;
                for (unsigned k = 1; k < n; k++) {
                        struct gpio_chip_state *c = &g->chips[chip_of[k]];
                        int got;

                        if (!p[k].revents)
                                continue;
                        got = gpiod_line_request_read_edge_events(c->stop_request, g->stop_buffer, GPIO_EVENT_BUFFER);
                        if (got < 0) {
                                atomic_fetch_add(&g->errors, 1);
                                continue;
                        }
                        for (int i = 0; i < got; i++)
                                stop_edge(g, c, gpiod_edge_event_buffer_get_event(g->stop_buffer, (unsigned long) i));
                }
        }
}

static int on_stop_queue(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct gpio_driver *g = userdata;
        uint64_t v;

        if (read(fd, &v, sizeof v) < 0) {
                /* drained already */
        }
        for (unsigned tail = atomic_load(&g->stop_tail); tail != atomic_load(&g->stop_head); tail++) {
                int32_t in = g->stop_queue[tail % GPIO_STOP_QUEUE].in, value = g->stop_queue[tail % GPIO_STOP_QUEUE].value;
                uint64_t ts = g->stop_queue[tail % GPIO_STOP_QUEUE].ts;

                atomic_store(&g->stop_tail, tail + 1);
                deliver(g, (enum chair_input) in, value, ts);
        }
        if (atomic_exchange(&g->stop_overflow, false))
                for (unsigned c = 0; c < HW_MAX_GPIO_CHIPS; c++)
                        for (unsigned i = 0; i < g->chips[c].n_lines; i++)
                                if (g->chips[c].lines[i].stop_line)
                                        deliver(g, (enum chair_input) g->chips[c].lines[i].index,
                                                atomic_load(&g->inputs[g->chips[c].lines[i].index].value),
                                                clock_ns(CLOCK_MONOTONIC));
        return 0;
}

static int start_stop_thread(struct gpio_driver *g, sd_event *event, char *err, size_t err_size) {
        int r;

        g->stop_buffer = gpiod_edge_event_buffer_new(GPIO_EVENT_BUFFER);
        if (!g->stop_buffer)
                return -ENOMEM;
        g->stop_quit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        g->stop_event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (g->stop_quit_fd < 0 || g->stop_event_fd < 0)
                return -errno;
        r = sd_event_add_io(event, &g->stop_source, g->stop_event_fd, EPOLLIN, on_stop_queue, g);
        if (r >= 0)
                r = sd_event_source_set_priority(g->stop_source, SD_EVENT_PRIORITY_IMPORTANT);
        if (r < 0) {
                snprintf(err, err_size, "gpio backend: cannot attach the stop lines to the event loop: %s", strerror(-r));
                return r;
        }
        r = pthread_create(&g->stop_thread, NULL, stop_thread, g);
        if (r != 0) {
                snprintf(err, err_size, "gpio backend: cannot start the stop lines' thread: %s", strerror(r));
                return -r;
        }
        (void) pthread_setname_np(g->stop_thread, "gpio-stop");
        g->stop_thread_started = true;
        return 0;
}

static void gpio_release(struct gpio_driver *g);

static int gpio_open(struct chair_driver *drv, const struct hardware_map *map, struct event_loop *loop,
                     char *ret_error, size_t error_size) {
        struct gpio_driver *g = gpio_driver_cast(drv);
        sd_event *event = event_loop_sd_event(loop);
        int r;

        if (g->opened)
                return -EALREADY;
        if (ret_error && error_size)
                ret_error[0] = '\0';
        /* Edge fds and the stop thread need a real loop. */
        if (!event) {
                if (ret_error && error_size)
                        snprintf(ret_error, error_size, "gpio backend: needs the sd-event loop, not a virtual one");
                return -EOPNOTSUPP;
        }
        /* What GPIO can drive is the map checker's rule (a setpoint, a measurement, a direction line). */
        r = hardware_map_check(map, ret_error, ret_error ? error_size : 0);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < _CHAIR_OUT_MAX; i++)
                g->outputs[i].bound = false;
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++) {
                g->inputs[i].bound = false;
                atomic_store(&g->inputs[i].value, 0);
        }
        g->panel = (struct gpio_panel) {};
        g->n_chips = map->n_gpio_chips;

        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++) {
                if (map->outputs[o].backend != HW_BACKEND_GPIO)
                        continue;
                r = bind_output(g, map, (enum chair_output) o, ret_error, error_size);
                if (r < 0)
                        goto fail;
        }
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++) {
                if (map->inputs[i].backend != HW_BACKEND_GPIO)
                        continue;
                if (i == CHAIR_IN_PANEL_KEY && map->panel.gpio_keys)
                        continue;   /* no line of its own: the keys' lines below */
                r = bind_input(g, map, (enum chair_input) i, ret_error, error_size);
                if (r < 0)
                        goto fail;
        }
        if (map->panel.gpio_keys) {
                for (unsigned k = 0; k < _CHAIR_KEY_MAX; k++) {
                        if (!map->panel.keys[k].present || map->panel.keys[k].binding.backend != HW_BACKEND_GPIO)
                                continue;
                        r = bind_key(g, map, (enum chair_key) k, ret_error, error_size);
                        if (r < 0)
                                goto fail;
                }
                g->inputs[CHAIR_IN_PANEL_KEY].bound = true;
                g->inputs[CHAIR_IN_PANEL_KEY].phase_b_offset = -1;
        }
        for (unsigned c = 0; c < map->n_gpio_chips && c < HW_MAX_GPIO_CHIPS; c++) {
                if (g->chips[c].n_lines == 0)
                        continue;
                r = request_chip(g, map, c, event, ret_error, error_size);
                if (r < 0)
                        goto fail;
        }
        for (unsigned c = 0; c < HW_MAX_GPIO_CHIPS; c++)
                if (g->chips[c].stop_request && !g->stop_thread_started) {
                        r = start_stop_thread(g, event, ret_error, error_size);
                        if (r < 0)
                                goto fail;
                }
        g->opened = true;
        return 0;
fail:
        /* The caller still calls close (which frees); leave nothing claimed meanwhile. */
        gpio_release(g);
        return r;
}

static int gpio_set_output(struct chair_driver *drv, enum chair_output out, int32_t value) {
        struct gpio_driver *g = gpio_driver_cast(drv);
        const struct chair_output_info *oi;
        const struct gpio_output *o;
        struct gpio_chip_state *c;
        unsigned offsets[2];
        enum gpiod_line_value values[2];
        size_t n = 1;

        if ((unsigned) out >= _CHAIR_OUT_MAX)
                return -EINVAL;
        o = &g->outputs[out];
        if (!o->bound)
                return -ENODEV;
        oi = chair_output_info(out);
        if (value < oi->min || value > oi->max)
                return -ERANGE;
        c = &g->chips[o->chip];
        if (!c->request)
                return -ENODEV;

        offsets[0] = o->offset;
        values[0] = logical(value != 0);
        if (o->direction_offset >= 0) {
                /* Keep the direction while stopping, so a stop never glitches the direction line. */
                if (value != 0) {
                        offsets[n] = (unsigned) o->direction_offset;
                        values[n++] = logical(value < 0);
                }
        }
        if (out == CHAIR_OUT_TRAVEL_MOTOR && value != 0)
                atomic_store(&g->travel_sign, value < 0 ? -1 : 1);
        atomic_fetch_add(&g->transactions, 1);
        if (gpiod_line_request_set_values_subset(c->request, n, offsets, values) < 0) {
                atomic_fetch_add(&g->errors, 1);
                return -errno;
        }
        return 0;
}

static int gpio_read_input(struct chair_driver *drv, enum chair_input in, int32_t *ret_value) {
        struct gpio_driver *g = gpio_driver_cast(drv);

        if ((unsigned) in >= _CHAIR_IN_MAX || !ret_value)
                return -EINVAL;
        if (!g->inputs[in].bound)
                return -ENODEV;
        *ret_value = atomic_load(&g->inputs[in].value);
        return 0;
}

static int gpio_subscribe(struct chair_driver *drv, chair_input_changed_fn fn, void *userdata) {
        struct gpio_driver *g = gpio_driver_cast(drv);

        if (!fn)
                return -EINVAL;
        if (g->n_subscribers >= GPIO_MAX_SUBSCRIBERS)
                return -ENOSPC;
        g->subscribers[g->n_subscribers++] = (struct gpio_subscriber) { fn, userdata };
        return 0;
}

static int gpio_go_safe(struct chair_driver *drv) {
        struct gpio_driver *g = gpio_driver_cast(drv);
        bool wrote = false;
        int r = 0;

        /* Try every chip even when one fails: as much as possible must go safe. */
        for (unsigned i = 0; i < HW_MAX_GPIO_CHIPS; i++) {
                struct gpio_chip_state *c = &g->chips[i];

                if (!c->request || c->n_safe == 0)
                        continue;
                if (gpiod_line_request_set_values_subset(c->request, c->n_safe, c->safe_offsets,
                                                         c->safe_values) < 0) {
                        atomic_fetch_add(&g->errors, 1);
                        if (r == 0)
                                r = -errno;
                } else
                        wrote = true;
        }
        if (wrote && r == 0)
                atomic_store(&g->safe_written_ns, clock_ns(CLOCK_MONOTONIC));
        return r;
}

static int gpio_get_stats(struct chair_driver *drv, struct chair_driver_stats *ret) {
        struct gpio_driver *g = gpio_driver_cast(drv);

        if (!ret)
                return -EINVAL;
        *ret = (struct chair_driver_stats) {
                .transactions = atomic_load(&g->transactions),
                .errors_invalid = atomic_load(&g->errors),
                .link_up = g->opened,
                .safe_written_ns = atomic_load(&g->safe_written_ns),
        };
        return 0;
}

static void gpio_release(struct gpio_driver *g) {
        uint64_t one = 1;

        if (g->stop_thread_started) {
                if (write(g->stop_quit_fd, &one, sizeof one) < 0) {
                        /* cannot fail on a fresh eventfd */
                }
                pthread_join(g->stop_thread, NULL);
                g->stop_thread_started = false;
        }
        g->stop_source = sd_event_source_disable_unref(g->stop_source);
        if (g->stop_quit_fd >= 0)
                close(g->stop_quit_fd);
        if (g->stop_event_fd >= 0)
                close(g->stop_event_fd);
        g->stop_quit_fd = g->stop_event_fd = -1;
        if (g->stop_buffer)
                gpiod_edge_event_buffer_free(g->stop_buffer);
        g->stop_buffer = NULL;
        for (unsigned i = 0; i < HW_MAX_GPIO_CHIPS; i++) {
                struct gpio_chip_state *c = &g->chips[i];

                c->event_source = sd_event_source_disable_unref(c->event_source);
                if (c->event_buffer)
                        gpiod_edge_event_buffer_free(c->event_buffer);
                /* Released lines return to the chip's default, which the wiring makes safe. */
                if (c->request)
                        gpiod_line_request_release(c->request);
                if (c->stop_request)
                        gpiod_line_request_release(c->stop_request);
                if (c->chip)
                        gpiod_chip_close(c->chip);
                *c = (struct gpio_chip_state) {};
        }
        g->n_chips = 0;
        g->n_subscribers = 0;
        g->opened = false;
}

/* Drives every output safe, releases the lines and frees the instance. */
static void gpio_close(struct chair_driver *drv) {
        struct gpio_driver *g = gpio_driver_cast(drv);

        if (!g)
                return;
        gpio_go_safe(drv);
        gpio_release(g);
        free(g);
}

static int gpio_set_stop_handler(struct chair_driver *drv, chair_input_stop_fn fn, void *userdata) {
        struct gpio_driver *g = gpio_driver_cast(drv);
        /* Before the first edge matters: the router attaches right after open. */
        g->stop_userdata = userdata;
        __atomic_store_n(&g->stop, fn, __ATOMIC_RELEASE);
        return 0;
}

static const struct chair_driver_ops gpio_ops = {
        .name = "gpio",
        .open = gpio_open,
        .set_output = gpio_set_output,
        .read_input = gpio_read_input,
        .subscribe = gpio_subscribe,
        .go_safe = gpio_go_safe,
        .get_stats = gpio_get_stats,
        .set_stop_handler = gpio_set_stop_handler,
        .close = gpio_close,
};

int chair_driver_new_gpio(struct chair_driver **ret) {
        struct gpio_driver *g;

        if (!ret)
                return -EINVAL;
        g = calloc(1, sizeof *g);
        if (!g)
                return -ENOMEM;
        g->base.ops = &gpio_ops;
        g->base.backend = HW_BACKEND_GPIO;
        atomic_store(&g->travel_sign, 1);
        g->stop_quit_fd = g->stop_event_fd = -1;
        *ret = &g->base;
        return 0;
}
