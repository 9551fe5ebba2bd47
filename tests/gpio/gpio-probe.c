/* SPDX-License-Identifier: MIT */
/*
 * gpio-probe: opens the GPIO driver on a hardware map laid out like the reference chair's GPIO
 * half (line names as in tests/vm/gpio-sim-chair.conf) and obeys commands from stdin, one a line:
 *   set NAME VALUE | get NAME | safe | quit
 * Replies on stdout, one a line: "value NAME V", "ok", "error TEXT", then "done N" after the Nth
 * command; input changes arrive as "event NAME VALUE TIMESTAMP_NS" whenever they happen, and
 * the stop lines' changes first as "stop NAME VALUE THREAD" from the thread that read them.
 * At start it prints "ready", or "open-error: MESSAGE" and exits 2.
 * Options: --chip PATH | --label LABEL, --key-debounce-ms N, --quadrature, --bind-width; or
 * --map FILE: the map is loaded from FILE by the daemon's loader instead (e.g. the VM tier's
 * gpio-sim-chair.conf, whose panel keys have lines of their own).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "driver.h"
#include "event-loop-sd-event.h"

struct probe {
        struct chair_driver *drv;
        sd_event *event;
        struct event_loop *loop;
        unsigned n_commands;
        char buf[512];
        size_t len;
};

static struct hw_binding gpio_binding(const char *line_name, bool active_low, enum hw_gpio_bias bias,
                                      uint32_t debounce_us, unsigned line_no) {
        struct hw_binding b = {
                .backend = HW_BACKEND_GPIO, .line_no = line_no, .chip = 0, .line_offset = -1,
                .direction_offset = -1, .active_low = active_low, .bias = bias, .debounce_us = debounce_us,
        };
        snprintf(b.line_name, sizeof b.line_name, "%s", line_name);
        return b;
}

static void build_map(struct hardware_map *m, const char *chip_path, const char *chip_label,
                      uint32_t key_debounce_us, bool quadrature, bool bind_width) {
        static const struct { enum chair_output out; const char *line; bool active_low; } outs[] = {
                { CHAIR_OUT_TRAVEL_MOTOR, "travel_en", false },
                { CHAIR_OUT_KNEAD_MOTOR, "knead_en", false },
                { CHAIR_OUT_TAP_MOTOR, "tap_en", false },
                { CHAIR_OUT_AIR_PUMP, "air_pump", false },
                { CHAIR_OUT_VALVE_SHOULDERS, "valve_shoulders", false },
                { CHAIR_OUT_VALVE_ARMS, "valve_arms", false },
                { CHAIR_OUT_VALVE_BACK, "valve_back", false },
                { CHAIR_OUT_VALVE_SEAT, "valve_seat", false },
                { CHAIR_OUT_VALVE_CALVES, "valve_calves", false },
                { CHAIR_OUT_VALVE_FEET, "valve_feet", false },
                { CHAIR_OUT_AIR_RELEASE, "air_release", false },
                { CHAIR_OUT_HEAT_LUMBAR, "heat_lumbar", false },
                { CHAIR_OUT_HEAT_CALVES, "heat_calves", false },
                { CHAIR_OUT_BEEPER, NULL, false },   /* bound by offset below */
                { CHAIR_OUT_LED_POWER, "led_power", true },
                { CHAIR_OUT_LED_HEAT, "led_heat", true },
                { CHAIR_OUT_LED_AIR, "led_air", true },
        };
        unsigned line_no = 10;

        memset(m, 0, sizeof *m);
        snprintf(m->path, sizeof m->path, "gpio-probe-map");
        snprintf(m->model, sizeof m->model, "gpio-sim chair");
        m->n_gpio_chips = 1;
        snprintf(m->gpio_chips[0].name, HW_NAME_MAX, "main");
        if (chip_path)
                snprintf(m->gpio_chips[0].path, HW_PATH_MAX, "%s", chip_path);
        if (chip_label)
                snprintf(m->gpio_chips[0].label, HW_NAME_MAX, "%s", chip_label);
        m->gpio_chips[0].line_no = 1;

        for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++) {
                m->outputs[outs[i].out] = gpio_binding(outs[i].line ? outs[i].line : "", outs[i].active_low,
                                                       HW_BIAS_AS_IS, 0, line_no);
                line_no += 7;
        }
        m->outputs[CHAIR_OUT_BEEPER].line_offset = 15;
        snprintf(m->outputs[CHAIR_OUT_TRAVEL_MOTOR].direction_name, HW_NAME_MAX, "travel_dir");
        snprintf(m->outputs[CHAIR_OUT_KNEAD_MOTOR].direction_name, HW_NAME_MAX, "knead_dir");
        if (bind_width)
                m->outputs[CHAIR_OUT_WIDTH] = gpio_binding("width_a", false, HW_BIAS_AS_IS, 0, 300);

        m->inputs[CHAIR_IN_PANEL_KEY] = gpio_binding("key_start", false, HW_BIAS_PULL_DOWN, key_debounce_us, 200);
        m->inputs[CHAIR_IN_LIMIT_TOP] = gpio_binding("limit_top", true, HW_BIAS_PULL_UP, 0, 210);
        m->inputs[CHAIR_IN_LIMIT_BOTTOM] = gpio_binding("limit_bottom", true, HW_BIAS_PULL_UP, 0, 220);
        /* Normally closed to ground: a pressed button or a broken wire reads 1 (pressed). */
        m->inputs[CHAIR_IN_ESTOP] = gpio_binding("estop", false, HW_BIAS_PULL_UP, 0, 230);
        m->inputs[CHAIR_IN_ENCODER] = gpio_binding("encoder_a", false, HW_BIAS_PULL_DOWN, 0, 240);
        if (quadrature)
                snprintf(m->inputs[CHAIR_IN_ENCODER].direction_name, HW_NAME_MAX, "encoder_b");
}

static void on_input(void *userdata, enum chair_input in, int32_t value, uint64_t timestamp_ns) {
        printf("event %s %d %llu\n", chair_input_info(in)->name, value, (unsigned long long) timestamp_ns);
        fflush(stdout);
}

/* The router's stop path stands here: it must be called on the driver's stop thread. */
static void on_stop(void *userdata, enum chair_input in, int32_t value, int error, uint64_t timestamp_ns) {
        char thread[16] = "?";

        (void) pthread_getname_np(pthread_self(), thread, sizeof thread);
        printf("stop %s %d %s\n", chair_input_info(in)->name, error < 0 ? error : value, thread);
        fflush(stdout);
}

static void run_command(struct probe *p, char *line) {
        char *cmd = strtok(line, " \t"), *name = strtok(NULL, " \t"), *arg = strtok(NULL, " \t");
        int r;

        if (!cmd) {
                return;
        } else if (strcmp(cmd, "quit") == 0) {
                sd_event_exit(p->event, 0);
        } else if (strcmp(cmd, "safe") == 0) {
                r = p->drv->ops->go_safe(p->drv);
                printf(r < 0 ? "error go_safe: %s\n" : "ok\n", strerror(-r));
        } else if (strcmp(cmd, "set") == 0 && name && arg) {
                int out = chair_output_from_name(name);
                char *end;
                long v = strtol(arg, &end, 10);

                if (out < 0 || *end)
                        printf("error bad output or value: %s %s\n", name, arg);
                else {
                        r = p->drv->ops->set_output(p->drv, (enum chair_output) out, (int32_t) v);
                        printf(r < 0 ? "error set %s: %s\n" : "ok\n", name, strerror(-r));
                }
        } else if (strcmp(cmd, "get") == 0 && name) {
                int in = chair_input_from_name(name);
                int32_t v;

                if (in < 0)
                        printf("error unknown input %s\n", name);
                else if ((r = p->drv->ops->read_input(p->drv, (enum chair_input) in, &v)) < 0)
                        printf("error get %s: %s\n", name, strerror(-r));
                else
                        printf("value %s %d\n", name, v);
        } else
                printf("error unknown command\n");
        printf("done %u\n", ++p->n_commands);
        fflush(stdout);
}

static int on_stdin(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct probe *p = userdata;
        ssize_t n = read(fd, p->buf + p->len, sizeof p->buf - 1 - p->len);
        char *nl;

        if (n <= 0)
                return sd_event_exit(p->event, 0);
        p->len += (size_t) n;
        p->buf[p->len] = '\0';
        while ((nl = strchr(p->buf, '\n'))) {
                *nl = '\0';
                run_command(p, p->buf);
                p->len -= (size_t) (nl + 1 - p->buf);
                memmove(p->buf, nl + 1, p->len + 1);
        }
        if (p->len == sizeof p->buf - 1)
                p->len = 0;   /* an overlong line: drop it */
        return 0;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "chip", required_argument, NULL, 'c' },
                { "label", required_argument, NULL, 'l' },
                { "key-debounce-ms", required_argument, NULL, 'd' },
                { "quadrature", no_argument, NULL, 'q' },
                { "bind-width", no_argument, NULL, 'w' },
                { "map", required_argument, NULL, 'm' },
                {}
        };
        const char *chip = NULL, *label = NULL, *map_file = NULL;
        uint32_t debounce_us = 0;
        bool quadrature = false, bind_width = false;
        struct hardware_map map;
        struct probe p = {};
        sd_event_source *stdin_source = NULL;
        char err[2048] = "";
        int c, r;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                switch (c) {
                case 'c': chip = optarg; break;
                case 'l': label = optarg; break;
                case 'd': debounce_us = (uint32_t) strtoul(optarg, NULL, 10) * 1000; break;
                case 'q': quadrature = true; break;
                case 'w': bind_width = true; break;
                case 'm': map_file = optarg; break;
                default: return 1;
                }
        }
        if (map_file) {
                if (chip || label) {
                        fprintf(stderr, "gpio-probe: --map names the chip itself\n");
                        return 1;
                }
                if (hardware_map_load(map_file, &map, err, sizeof err) < 0) {
                        printf("open-error: %s\n", err);
                        return 2;
                }
        } else if (!chip == !label) {
                fprintf(stderr, "gpio-probe: give exactly one of --chip PATH, --label LABEL or --map FILE\n");
                return 1;
        } else
                build_map(&map, chip, label, debounce_us, quadrature, bind_width);

        r = sd_event_default(&p.event);
        if (r >= 0)
                r = event_loop_sd_event_new(p.event, &p.loop);
        if (r < 0)
                return 1;
        r = chair_driver_new_gpio(&p.drv);
        if (r < 0)
                return 1;
        r = p.drv->ops->open(p.drv, &map, p.loop, err, sizeof err);
        if (r < 0) {
                printf("open-error: %s (%s)\n", err, strerror(-r));
                fflush(stdout);
                p.drv->ops->close(p.drv);
                event_loop_free(p.loop);
                sd_event_unref(p.event);
                return 2;
        }
        p.drv->ops->subscribe(p.drv, on_input, &p);
        p.drv->ops->set_stop_handler(p.drv, on_stop, &p);
        r = sd_event_add_io(p.event, &stdin_source, STDIN_FILENO, EPOLLIN, on_stdin, &p);
        if (r >= 0) {
                printf("ready\n");
                fflush(stdout);
                r = sd_event_loop(p.event);
        }
        sd_event_source_unref(stdin_source);
        p.drv->ops->close(p.drv);
        event_loop_free(p.loop);
        sd_event_unref(p.event);
        return r < 0 ? 1 : 0;
}
