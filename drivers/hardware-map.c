/* SPDX-License-Identifier: MIT */
/*
 * Strict loader of the hardware map, in Klipper's manner: every number bounded, every choice
 * from a list, an unknown section or key, a duplicate, a missing required key or a key that
 * does not apply to the binding's backend is an error reported as FILE:LINE: message.
 *
 * Debian's inih does not give the handler a line number, so the file is fed through
 * ini_parse_stream with a reader that counts lines and sees each section header itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hardware-map.h"
#include "macro.h"
#include "parse-number.h"
#include "strict-ini.h"
#include "untrusted-file.h"

#define MAX_LINE 200
#define MAX_ERRORS 20
/* A full map of every output and input is under 10 KiB. */
#define MAP_FILE_MAX (256 * 1024)

enum section_kind {
        SECTION_NONE,
        SECTION_CHAIR,
        SECTION_LIMITS,
        SECTION_GPIO,
        SECTION_BUS,
        SECTION_OUTPUT,
        SECTION_INPUT,
        SECTION_PANEL,
        SECTION_KEY,
        SECTION_SCHEDULER,
};

/* Keys of [output.X] and [input.X]; recorded so that applicability to the backend can be
 * checked once the whole section (in any key order) has been read. */
enum binding_key {
        BK_BACKEND,
        BK_CHIP,
        BK_LINE,
        BK_DIRECTION_LINE,
        BK_ACTIVE_LOW,
        BK_BIAS,
        BK_DEBOUNCE_MS,
        BK_BUS,
        BK_TABLE,
        BK_ADDRESS,
        BK_SCALE,
        BK_SIGNED,
        BK_WORDS,
        BK_WORD_ORDER,
        _BK_MAX,
};

static const char *const binding_key_names[_BK_MAX] = {
        "backend", "chip", "line", "direction_line", "active_low", "bias", "debounce_ms",
        "bus", "table", "address", "scale", "signed", "words", "word_order",
};

struct binding_refs {
        char chip[HW_NAME_MAX];
        char bus[HW_NAME_MAX];
        unsigned key_line[_BK_MAX]; /* 0 = not given */
};

struct loader {
        const char *path;
        FILE *file;
        struct hardware_map *map;
        unsigned line;
        bool line_too_long;

        enum section_kind kind;
        int index;                   /* chip, bus, output or input index of the section */
        unsigned section_line;
        char seen_sections[64][HW_NAME_MAX + 16];
        unsigned n_seen_sections;
        char seen_keys[32][32];      /* keys of the current section */
        unsigned n_seen_keys;

        struct binding_refs out_refs[_CHAIR_OUT_MAX];
        struct binding_refs in_refs[_CHAIR_IN_MAX];
        struct binding_refs key_refs[_CHAIR_KEY_MAX];
        unsigned key_code_line[_CHAIR_KEY_MAX];
        unsigned idle_poll_line[HW_MAX_BUSES];
        unsigned n_key_sections;
        unsigned bus_key_line[HW_MAX_BUSES][4]; /* host, port, device, type */
        unsigned heartbeat_line[HW_MAX_BUSES];
        bool seen_chair;
        bool seen_model;
        unsigned chair_line, simulated_line, air_inflation_line, air_inflate_line;

        char *errors;
        size_t errors_size;
        size_t errors_len;
        unsigned n_errors;
};

_printf_(3, 4) static int add_error(struct loader *l, unsigned line, const char *fmt, ...) {
        va_list ap;
        int n;

        if (l->n_errors++ >= MAX_ERRORS || l->errors_len + 1 >= l->errors_size)
                return -EINVAL;
        n = snprintf(l->errors + l->errors_len, l->errors_size - l->errors_len, "%s%s:%u: ",
                     l->errors_len ? "\n" : "", l->path, line);
        if (n > 0)
                l->errors_len = MIN((size_t) n + l->errors_len, l->errors_size - 1);
        va_start(ap, fmt);
        n = vsnprintf(l->errors + l->errors_len, l->errors_size - l->errors_len, fmt, ap);
        va_end(ap);
        if (n > 0)
                l->errors_len = MIN((size_t) n + l->errors_len, l->errors_size - 1);
        return -EINVAL;
}

/* ---- value parsers: locale-independent, whole-string, bounded ---- */

/* Base 10 only: "010" is ten and "0x10" an error (common/parse-number.h). */
static int parse_int(const char *v, long long min, long long max, long long *ret) {
        return parse_integer(v, min, max, ret);
}

static int parse_bool(const char *v, bool *ret) {
        static const char *const yes[] = { "yes", "true", "on", "1" };
        static const char *const no[] = { "no", "false", "off", "0" };
        for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
                if (strcmp(v, yes[i]) == 0)
                        return *ret = true, 0;
                if (strcmp(v, no[i]) == 0)
                        return *ret = false, 0;
        }
        return -EINVAL;
}

static int parse_choice(const char *v, const char *const *choices, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(v, choices[i]) == 0)
                        return (int) i;
        return -EINVAL;
}

static void choices_text(const char *const *choices, size_t n, char *buf, size_t size) {
        size_t len = 0;
        buf[0] = 0;
        for (size_t i = 0; i < n && len < size; i++)
                len += (size_t) snprintf(buf + len, size - len, "%s%s", i ? ", " : "", choices[i]);
}

/* Reports a bounded-integer error in one consistent wording. */
static int int_key(struct loader *l, const char *key, const char *v, long long min, long long max,
                   long long *ret) {
        int r = parse_int(v, min, max, ret);
        if (r == -ERANGE)
                return add_error(l, l->line, "%s = %s is out of range (%lld..%lld)", key, v, min, max);
        if (r < 0)
                return add_error(l, l->line, "%s = '%s' is not a whole number (base 10)", key, v);
        return 0;
}

static int choice_key(struct loader *l, const char *key, const char *v, const char *const *choices,
                      size_t n, int *ret) {
        char list[256];
        int r = parse_choice(v, choices, n);
        if (r < 0) {
                choices_text(choices, n, list, sizeof list);
                return add_error(l, l->line, "%s = '%s' is not one of: %s", key, v, list);
        }
        *ret = r;
        return 0;
}

static int bool_key(struct loader *l, const char *key, const char *v, bool *ret) {
        if (parse_bool(v, ret) < 0)
                return add_error(l, l->line, "%s = '%s' is not a boolean (yes/no)", key, v);
        return 0;
}

static int string_key(struct loader *l, const char *key, const char *v, char *buf, size_t size) {
        if (!*v)
                return add_error(l, l->line, "%s is empty", key);
        if (strlen(v) >= size)
                return add_error(l, l->line, "%s is longer than %zu characters", key, size - 1);
        memcpy(buf, v, strlen(v) + 1);
        return 0;
}

/* ---- sections ---- */

/* air_inflate_s = 5 seconds for levels 1-5: how long a timed chair pumps a zone for each level,
 * each 1-60, rising. */
static int air_inflate_key(struct loader *l, const char *key, const char *v) {
        uint32_t ms[6] = { 0 };
        const char *p = v;

        l->air_inflate_line = l->line;
        for (unsigned level = 1; level <= 5; level++) {
                char item[16];
                size_t n, len;
                long long x;
                p += strspn(p, " \t");
                n = len = strcspn(p, ",");
                while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
                        len--;
                if (len == 0 || len >= sizeof item)
                        return add_error(l, l->line, "%s = '%s' is not 5 seconds for levels 1-5 (e.g. 4, 6, 8, 10, 12)", key, v);
                memcpy(item, p, len);
                item[len] = 0;
                if (parse_int(item, 1, 60, &x) < 0)
                        return add_error(l, l->line, "%s: '%s' for level %u is not 1-60 seconds", key, item, level);
                ms[level] = (uint32_t) x * 1000;
                if (ms[level] <= ms[level - 1])
                        return add_error(l, l->line, "%s: level %u (%s s) must inflate longer than level %u", key, level,
                                         item, level - 1);
                p += n;
                if (level < 5 && *p++ != ',')
                        return add_error(l, l->line, "%s = '%s' is not 5 seconds for levels 1-5 (e.g. 4, 6, 8, 10, 12)", key, v);
        }
        if (*p)
                return add_error(l, l->line, "%s = '%s' has more than 5 levels", key, v);
        memcpy(l->map->air_inflate_ms, ms, sizeof ms);
        return 0;
}

static int key_chair(struct loader *l, const char *key, const char *v) {
        struct hardware_map *m = l->map;
        long long x;
        int r;

        if (strcmp(key, "model") == 0) {
                l->seen_model = true;
                return string_key(l, key, v, m->model, sizeof m->model);
        }
        if (strcmp(key, "track_length_mm") == 0) {
                if ((r = int_key(l, key, v, 300, 1500, &x)) == 0)
                        m->track_length_mm = (int32_t) x;
                return r;
        }
        if (strcmp(key, "pulses_per_mm") == 0) {
                if ((r = int_key(l, key, v, 1, 100, &x)) == 0)
                        m->pulses_per_mm = (int32_t) x;
                return r;
        }
        if (strcmp(key, "auto_off_minutes") == 0) {
                static const char *const choices[] = { "10", "20", "30" };
                int c;
                if ((r = choice_key(l, key, v, choices, ARRAY_SIZE(choices), &c)) == 0)
                        m->auto_off_default_min = (uint32_t) (10 * (c + 1));
                return r;
        }
        if (strcmp(key, "fault_latch") == 0) {
                static const char *const choices[] = { "technician", "power-cycle" };
                int c;
                if ((r = choice_key(l, key, v, choices, ARRAY_SIZE(choices), &c)) == 0)
                        m->limits.latch_until_power_cycle = c == 1;
                return r;
        }
        if (strcmp(key, "simulated") == 0) {
                l->simulated_line = l->line;
                return bool_key(l, key, v, &m->simulated);
        }
        if (strcmp(key, "air_inflation") == 0) {
                static const char *const choices[] = { "pressure", "timed" };
                int c;
                l->air_inflation_line = l->line;
                if ((r = choice_key(l, key, v, choices, ARRAY_SIZE(choices), &c)) == 0)
                        m->air_timed_inflation = c == 1;
                return r;
        }
        if (strcmp(key, "air_inflate_s") == 0)
                return air_inflate_key(l, key, v);
        return add_error(l, l->line, "unknown key '%s' in [chair]", key);
}

struct limit_key {
        const char *name;
        long long min, max;
        long long factor;   /* file unit -> stored unit */
        size_t offset;
        bool is_signed;
};

static const struct limit_key limit_keys[] = {
        { "max_session_minutes", 1, 60, 60, offsetof(struct hw_limits, max_session_s), false },
        { "heater_max_temp_c", 35, 70, 10, offsetof(struct hw_limits, heater_max_decic), true },
        { "heat_rise_timeout_s", 30, 900, 1, offsetof(struct hw_limits, heat_rise_timeout_s), false },
        { "air_max_pressure_kpa", 10, 80, 10, offsetof(struct hw_limits, air_max_pressure_decikpa), true },
        { "air_max_inflate_s", 5, 120, 1, offsetof(struct hw_limits, air_max_inflate_s), false },
        { "travel_timeout_s", 5, 60, 1000, offsetof(struct hw_limits, travel_timeout_ms), false },
        { "travel_margin_pct", 5, 100, 1, offsetof(struct hw_limits, travel_margin_pct), false },
        { "encoder_loss_ms", 200, 10000, 1, offsetof(struct hw_limits, encoder_loss_ms), false },
        { "motor_current_max_ma", 500, 20000, 1, offsetof(struct hw_limits, motor_current_max_ma), false },
        { "stall_ms", 100, 5000, 1, offsetof(struct hw_limits, stall_ms), false },
        { "supply_min_mv", 5000, 40000, 1, offsetof(struct hw_limits, supply_min_mv), false },
        { "supply_max_mv", 5000, 48000, 1, offsetof(struct hw_limits, supply_max_mv), false },
        { "modbus_link_lost_ms", 100, 10000, 1, offsetof(struct hw_limits, modbus_link_lost_ms), false },
        { "modbus_error_storm", 3, 1000, 1, offsetof(struct hw_limits, modbus_error_storm), false },
        { "deadline_miss_ms", 2, 1000, 1, offsetof(struct hw_limits, deadline_miss_ms), false },
};

static int key_limits(struct loader *l, const char *key, const char *v) {
        for (size_t i = 0; i < ARRAY_SIZE(limit_keys); i++) {
                const struct limit_key *k = &limit_keys[i];
                long long x;
                int r;

                if (strcmp(key, k->name) != 0)
                        continue;
                if ((r = int_key(l, key, v, k->min, k->max, &x)) < 0)
                        return r;
                x *= k->factor;
                if (k->is_signed)
                        *(int32_t *) ((char *) &l->map->limits + k->offset) = (int32_t) x;
                else
                        *(uint32_t *) ((char *) &l->map->limits + k->offset) = (uint32_t) x;
                return 0;
        }
        return add_error(l, l->line, "unknown key '%s' in [limits]", key);
}

static int key_gpio(struct loader *l, const char *key, const char *v) {
        struct hw_gpio_chip *c = &l->map->gpio_chips[l->index];

        if (strcmp(key, "path") == 0) {
                if (strncmp(v, "/dev/", 5) != 0)
                        return add_error(l, l->line, "path = '%s' is not a device under /dev", v);
                return string_key(l, key, v, c->path, sizeof c->path);
        }
        if (strcmp(key, "label") == 0)
                return string_key(l, key, v, c->label, sizeof c->label);
        return add_error(l, l->line, "unknown key '%s' in [gpio.%s] (path, label)", key, c->name);
}

static int key_bus(struct loader *l, const char *key, const char *v) {
        struct hw_bus *b = &l->map->buses[l->index];
        long long x;
        int r, c;

        if (strcmp(key, "type") == 0) {
                static const char *const choices[] = { "tcp", "rtu" };
                if ((r = choice_key(l, key, v, choices, ARRAY_SIZE(choices), &c)) == 0)
                        b->tcp = c == 0;
                l->bus_key_line[l->index][3] = l->line;
                return r;
        }
        if (strcmp(key, "host") == 0) {
                l->bus_key_line[l->index][0] = l->line;
                return string_key(l, key, v, b->host, sizeof b->host);
        }
        if (strcmp(key, "port") == 0) {
                l->bus_key_line[l->index][1] = l->line;
                if ((r = int_key(l, key, v, 1, 65535, &x)) == 0)
                        snprintf(b->port, sizeof b->port, "%lld", x);
                return r;
        }
        if (strcmp(key, "device") == 0) {
                l->bus_key_line[l->index][2] = l->line;
                if (strncmp(v, "/", 1) != 0)
                        return add_error(l, l->line, "device = '%s' is not an absolute path", v);
                return string_key(l, key, v, b->device, sizeof b->device);
        }
        if (strcmp(key, "baud") == 0) {
                static const char *const choices[] = { "9600", "19200", "38400", "57600", "115200", "230400" };
                long long baud;
                if ((r = choice_key(l, key, v, choices, ARRAY_SIZE(choices), &c)) == 0 &&
                    parse_integer(choices[c], 1, INT32_MAX, &baud) == 0)
                        b->baud = (uint32_t) baud;
                return r;
        }
        if (strcmp(key, "parity") == 0) {
                static const char *const choices[] = { "none", "even", "odd" };
                if ((r = choice_key(l, key, v, choices, ARRAY_SIZE(choices), &c)) == 0)
                        b->parity = "NEO"[c];
                return r;
        }
        if (strcmp(key, "data_bits") == 0) {
                if ((r = int_key(l, key, v, 7, 8, &x)) == 0)
                        b->data_bits = (uint8_t) x;
                return r;
        }
        if (strcmp(key, "stop_bits") == 0) {
                if ((r = int_key(l, key, v, 1, 2, &x)) == 0)
                        b->stop_bits = (uint8_t) x;
                return r;
        }
        if (strcmp(key, "rs485") == 0)
                return bool_key(l, key, v, &b->rs485);
        if (strcmp(key, "slave") == 0) {
                if ((r = int_key(l, key, v, 1, 247, &x)) == 0)
                        b->slave = (uint8_t) x;
                return r;
        }
        if (strcmp(key, "timeout_ms") == 0) {
                if ((r = int_key(l, key, v, 5, 2000, &x)) == 0)
                        b->response_timeout_ms = (uint32_t) x;
                return r;
        }
        if (strcmp(key, "poll_ms") == 0) {
                if ((r = int_key(l, key, v, 5, 10000, &x)) == 0)
                        b->poll_interval_ms = (uint32_t) x;
                return r;
        }
        if (strcmp(key, "idle_poll_ms") == 0) {
                l->idle_poll_line[l->index] = l->line;
                if ((r = int_key(l, key, v, 5, 10000, &x)) == 0)
                        b->idle_poll_ms = (uint32_t) x;
                return r;
        }
        if (strcmp(key, "heartbeat_register") == 0) {
                l->heartbeat_line[l->index] = l->line;
                if ((r = int_key(l, key, v, 0, 65535, &x)) == 0)
                        b->heartbeat_register = (int32_t) x;
                return r;
        }
        if (strcmp(key, "heartbeat_ms") == 0) {
                if ((r = int_key(l, key, v, 50, 10000, &x)) == 0)
                        b->heartbeat_period_ms = (uint32_t) x;
                return r;
        }
        return add_error(l, l->line, "unknown key '%s' in [bus.%s]", key, b->name);
}

/* A GPIO line is a number (offset) or a name the chip gives it. */
static int line_key(struct loader *l, const char *key, const char *v, int32_t *offset, char *name) {
        long long x;
        if (parse_int(v, 0, 1023, &x) == 0) {
                *offset = (int32_t) x;
                name[0] = 0;
                return 0;
        }
        if (v[0] >= '0' && v[0] <= '9')
                return add_error(l, l->line, "%s = '%s' is neither an offset (0..1023) nor a line name", key, v);
        *offset = -1;
        return string_key(l, key, v, name, HW_NAME_MAX);
}

static int key_binding(struct loader *l, const char *key, const char *v) {
        bool output = l->kind == SECTION_OUTPUT, is_key = l->kind == SECTION_KEY;
        struct hw_binding *b = is_key ? &l->map->panel.keys[l->index].binding
                               : output ? &l->map->outputs[l->index] : &l->map->inputs[l->index];
        struct binding_refs *refs = is_key ? &l->key_refs[l->index]
                                    : output ? &l->out_refs[l->index] : &l->in_refs[l->index];
        const char *what = is_key ? chair_key_name(l->index)
                           : output ? chair_output_info(l->index)->name : chair_input_info(l->index)->name;
        const char *kind = is_key ? "key" : output ? "output" : "input";
        long long x;
        int k, r, c;

        if (is_key && strcmp(key, "code") == 0) {
                l->key_code_line[l->index] = l->line;
                if ((r = int_key(l, key, v, 1, 255, &x)) == 0)
                        l->map->panel.keys[l->index].code = (uint8_t) x;
                return r;
        }
        k = parse_choice(key, binding_key_names, _BK_MAX);
        if (k < 0)
                return add_error(l, l->line, "unknown key '%s' in [%s.%s]", key, kind, what);
        refs->key_line[k] = l->line;

        switch ((enum binding_key) k) {
        case BK_BACKEND: {
                static const char *const choices[] = { "sim", "gpio", "modbus" };
                if ((r = choice_key(l, key, v, choices, ARRAY_SIZE(choices), &c)) == 0)
                        b->backend = (enum hw_backend) (HW_BACKEND_SIM + c);
                return r;
        }
        case BK_CHIP:
                return string_key(l, key, v, refs->chip, sizeof refs->chip);
        case BK_LINE:
                return line_key(l, key, v, &b->line_offset, b->line_name);
        case BK_DIRECTION_LINE:
                return line_key(l, key, v, &b->direction_offset, b->direction_name);
        case BK_ACTIVE_LOW:
                return bool_key(l, key, v, &b->active_low);
        case BK_BIAS: {
                static const char *const choices[] = { "as-is", "disabled", "pull-up", "pull-down" };
                if ((r = choice_key(l, key, v, choices, ARRAY_SIZE(choices), &c)) == 0)
                        b->bias = (enum hw_gpio_bias) c;
                return r;
        }
        case BK_DEBOUNCE_MS:
                if ((r = int_key(l, key, v, 0, 1000, &x)) == 0)
                        b->debounce_us = (uint32_t) x * 1000;
                return r;
        case BK_BUS:
                return string_key(l, key, v, refs->bus, sizeof refs->bus);
        case BK_TABLE: {
                static const char *const choices[] = { "coil", "discrete", "holding", "input" };
                if ((r = choice_key(l, key, v, choices, ARRAY_SIZE(choices), &c)) == 0)
                        b->table = (enum hw_modbus_table) c;
                return r;
        }
        case BK_ADDRESS:
                if ((r = int_key(l, key, v, 0, 65535, &x)) == 0)
                        b->address = (uint16_t) x;
                return r;
        case BK_SCALE: {
                double d;
                if (parse_decimal(v, -1e6, 1e6, &d) < 0 || fabs(d) < 1e-6)
                        return add_error(l, l->line, "scale = '%s' is not a non-zero number within 1e-6..1e6", v);
                b->scale = d;
                return 0;
        }
        case BK_SIGNED:
                return bool_key(l, key, v, &b->is_signed);
        case BK_WORDS:
                if ((r = int_key(l, key, v, 1, 2, &x)) == 0)
                        b->words = (uint8_t) x;
                return r;
        case BK_WORD_ORDER: {
                static const char *const choices[] = { "high-first", "low-first" };
                if ((r = choice_key(l, key, v, choices, ARRAY_SIZE(choices), &c)) == 0)
                        b->word_swap = c == 1;
                return r;
        }
        case _BK_MAX:
                break;
        }
        return -EINVAL;
}

static void binding_defaults(struct hw_binding *b) {
        *b = (struct hw_binding) {
                .backend = HW_BACKEND_NONE,
                .chip = -1,
                .line_offset = -1,
                .direction_offset = -1,
                .bus = -1,
                .scale = 1.0,
                .words = 1,
        };
}

static void limits_defaults(struct hw_limits *lim) {
        /* Documented defaults (docs/hardware-map.md), from chair-domain.md section 3. */
        *lim = (struct hw_limits) {
                .max_session_s = 30 * 60,
                .heater_max_decic = 600,
                .heat_rise_timeout_s = 300,
                .air_max_pressure_decikpa = 500,
                .air_max_inflate_s = 30,
                .travel_timeout_ms = 10000,
                .travel_margin_pct = 25,
                .encoder_loss_ms = 2000,
                .motor_current_max_ma = 4000,
                .stall_ms = 300,
                .supply_min_mv = 10000,
                .supply_max_mv = 36000,
                .modbus_link_lost_ms = 1000,
                .modbus_error_storm = 20,
                .deadline_miss_ms = 20,
                .latch_until_power_cycle = false,
        };
}

static void panel_defaults(struct hw_panel *p) {
        p->long_press_ms = 1500;
        p->repeat_delay_ms = 600;
        p->repeat_interval_ms = 250;
        p->child_lock_ms = 3000;
        for (unsigned k = 0; k < _CHAIR_KEY_MAX; k++) {
                binding_defaults(&p->keys[k].binding);
                p->keys[k].present = true;
                p->keys[k].code = (uint8_t) (k + 1);
        }
}

static void map_defaults(struct hardware_map *m, const char *path) {
        memset(m, 0, sizeof *m);
        snprintf(m->path, sizeof m->path, "%s", path);
        m->track_length_mm = 800;
        m->pulses_per_mm = 2;
        m->auto_off_default_min = 20;
        /* Timed inflation per level, as the RT6923's pump runs (docs/hardware-map.md). */
        memcpy(m->air_inflate_ms, (const uint32_t[6]) { 0, 4000, 6000, 8000, 10000, 12000 }, sizeof m->air_inflate_ms);
        limits_defaults(&m->limits);
        for (unsigned i = 0; i < _CHAIR_OUT_MAX; i++)
                binding_defaults(&m->outputs[i]);
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++)
                binding_defaults(&m->inputs[i]);
        panel_defaults(&m->panel);
        m->scheduler.priority = 50;
        m->scheduler.cpu = -1;
}

static void bus_defaults(struct hw_bus *b) {
        b->baud = 115200;
        b->parity = 'N';
        b->data_bits = 8;
        b->stop_bits = 1;
        b->slave = 1;
        b->response_timeout_ms = 50;
        b->poll_interval_ms = 50;
        b->heartbeat_register = -1;
        b->heartbeat_period_ms = 250;
        b->idle_poll_ms = 200;
}

static int key_panel(struct loader *l, const char *key, const char *v) {
        static const struct { const char *name; long long min, max; size_t offset; } keys[] = {
                { "long_press_ms", 300, 10000, offsetof(struct hw_panel, long_press_ms) },
                { "repeat_delay_ms", 100, 5000, offsetof(struct hw_panel, repeat_delay_ms) },
                { "repeat_interval_ms", 50, 2000, offsetof(struct hw_panel, repeat_interval_ms) },
                { "child_lock_ms", 500, 10000, offsetof(struct hw_panel, child_lock_ms) },
        };
        long long x;
        int r;

        for (unsigned i = 0; i < ARRAY_SIZE(keys); i++)
                if (strcmp(key, keys[i].name) == 0) {
                        if ((r = int_key(l, key, v, keys[i].min, keys[i].max, &x)) == 0)
                                *(uint32_t *) ((char *) &l->map->panel + keys[i].offset) = (uint32_t) x;
                        return r;
                }
        return add_error(l, l->line, "unknown key '%s' in [panel] (long_press_ms, repeat_delay_ms, "
                         "repeat_interval_ms, child_lock_ms)", key);
}

static int key_scheduler(struct loader *l, const char *key, const char *v) {
        long long x;
        int r;

        if (strcmp(key, "priority") == 0) {
                if ((r = int_key(l, key, v, 1, 99, &x)) == 0)
                        l->map->scheduler.priority = (uint32_t) x;
                return r;
        }
        if (strcmp(key, "cpu") == 0) {
                if (strcmp(v, "any") == 0) {
                        l->map->scheduler.cpu = -1;
                        return 0;
                }
                if ((r = int_key(l, key, v, 0, 1023, &x)) == 0)
                        l->map->scheduler.cpu = (int32_t) x;
                return r;
        }
        return add_error(l, l->line, "unknown key '%s' in [scheduler] (priority, cpu)", key);
}

/* Called by the reader for each "[...]" line: validates the name and starts the section. */
static void begin_section(struct loader *l, const char *name) {
        const char *dot = strchr(name, '.');
        const char *sub = dot ? dot + 1 : NULL;
        size_t kind_len = dot ? (size_t) (dot - name) : strlen(name);

        l->kind = SECTION_NONE;
        l->section_line = l->line;
        l->n_seen_keys = 0;

        for (unsigned i = 0; i < l->n_seen_sections; i++)
                if (strcmp(l->seen_sections[i], name) == 0) {
                        add_error(l, l->line, "duplicate section [%s]", name);
                        return;
                }
        if (l->n_seen_sections < ARRAY_SIZE(l->seen_sections))
                snprintf(l->seen_sections[l->n_seen_sections++], sizeof l->seen_sections[0], "%s", name);

        if (!dot && strcmp(name, "chair") == 0) {
                l->kind = SECTION_CHAIR;
                l->seen_chair = true;
                l->chair_line = l->line;
                return;
        }
        if (!dot && strcmp(name, "limits") == 0) {
                l->kind = SECTION_LIMITS;
                return;
        }
        if (!dot && strcmp(name, "panel") == 0) {
                l->kind = SECTION_PANEL;
                return;
        }
        if (!dot && strcmp(name, "scheduler") == 0) {
                l->kind = SECTION_SCHEDULER;
                l->map->scheduler.line_no = l->line;
                return;
        }
        if (dot && (!*sub || strlen(sub) >= HW_NAME_MAX)) {
                add_error(l, l->line, "section [%s] has an empty or too long name", name);
                return;
        }
        if (dot && kind_len == 4 && strncmp(name, "gpio", 4) == 0) {
                if (l->map->n_gpio_chips >= HW_MAX_GPIO_CHIPS) {
                        add_error(l, l->line, "more than %d [gpio.*] sections", HW_MAX_GPIO_CHIPS);
                        return;
                }
                l->index = (int) l->map->n_gpio_chips++;
                snprintf(l->map->gpio_chips[l->index].name, HW_NAME_MAX, "%s", sub);
                l->map->gpio_chips[l->index].line_no = l->line;
                l->kind = SECTION_GPIO;
                return;
        }
        if (dot && kind_len == 3 && strncmp(name, "bus", 3) == 0) {
                if (l->map->n_buses >= HW_MAX_BUSES) {
                        add_error(l, l->line, "more than %d [bus.*] sections", HW_MAX_BUSES);
                        return;
                }
                l->index = (int) l->map->n_buses++;
                bus_defaults(&l->map->buses[l->index]);
                snprintf(l->map->buses[l->index].name, HW_NAME_MAX, "%s", sub);
                l->map->buses[l->index].line_no = l->line;
                l->kind = SECTION_BUS;
                return;
        }
        if (dot && kind_len == 6 && strncmp(name, "output", 6) == 0) {
                int o = chair_output_from_name(sub);
                if (o < 0) {
                        add_error(l, l->line, "[output.%s]: unknown output (see docs/hardware-map.md)", sub);
                        return;
                }
                l->index = o;
                l->map->outputs[o].line_no = l->line;
                l->kind = SECTION_OUTPUT;
                return;
        }
        if (dot && kind_len == 5 && strncmp(name, "input", 5) == 0) {
                int i = chair_input_from_name(sub);
                if (i < 0) {
                        add_error(l, l->line, "[input.%s]: unknown input (see docs/hardware-map.md)", sub);
                        return;
                }
                l->index = i;
                l->map->inputs[i].line_no = l->line;
                l->kind = SECTION_INPUT;
                return;
        }
        if (dot && kind_len == 3 && strncmp(name, "key", 3) == 0) {
                int k = chair_key_from_name(sub);
                if (k < 0) {
                        add_error(l, l->line, "[key.%s]: unknown key function (see docs/panel.md)", sub);
                        return;
                }
                /* The first [key.*] section replaces the default key map (every key, default
                 * codes) with the keys the file lists. */
                if (l->n_key_sections++ == 0)
                        for (unsigned i = 0; i < _CHAIR_KEY_MAX; i++)
                                l->map->panel.keys[i].present = false;
                l->index = k;
                l->map->panel.keys[k].present = true;
                l->map->panel.keys[k].binding.line_no = l->line;
                l->kind = SECTION_KEY;
                return;
        }
        add_error(l, l->line, "unknown section [%s] (chair, limits, panel, scheduler, gpio.NAME, bus.NAME, output.NAME, "
                  "input.NAME, key.NAME)", name);
}

static char *reader(char *str, int num, void *userdata) {
        struct loader *l = userdata;
        size_t len;
        char *s;

        if (l->line_too_long)
                return NULL;
        if (!fgets(str, num, l->file))
                return NULL;
        l->line++;
        len = strlen(str);
        if (len == (size_t) num - 1 && str[len - 1] != '\n' && !feof(l->file)) {
                add_error(l, l->line, "line longer than %d characters", MAX_LINE - 2);
                l->line_too_long = true;
                return NULL;
        }
        s = str + strspn(str, " \t");
        if (*s == '[') {
                char name[MAX_LINE];
                char *end = strchr(s, ']');
                if (end && !ini_rest_is_blank(end + 1)) {
                        /* inih would take "[a] [b]" as [a] and drop the rest unseen. */
                        l->kind = SECTION_NONE; /* its keys go nowhere */
                        l->n_seen_keys = 0;
                        add_error(l, l->line, "text after the section header (one section per line)");
                        return str;
                }
                if (end) {
                        size_t n = (size_t) (end - s - 1);
                        memcpy(name, s + 1, n);
                        name[n] = 0;
                        begin_section(l, name);
                }
        }
        return str;
}

static int handler(void *userdata, const char *section, const char *key, const char *value) {
        struct loader *l = userdata;

        for (unsigned i = 0; i < l->n_seen_keys; i++)
                if (strcmp(l->seen_keys[i], key) == 0) {
                        add_error(l, l->line, "duplicate key '%s' in [%s]", key, section);
                        return 1;
                }
        if (l->n_seen_keys < ARRAY_SIZE(l->seen_keys))
                snprintf(l->seen_keys[l->n_seen_keys++], sizeof l->seen_keys[0], "%s", key);

        switch (l->kind) {
        case SECTION_NONE:
                if (!*section)
                        add_error(l, l->line, "key '%s' outside of any section", key);
                /* else: the section header was already reported */
                break;
        case SECTION_CHAIR:
                key_chair(l, key, value);
                break;
        case SECTION_LIMITS:
                key_limits(l, key, value);
                break;
        case SECTION_GPIO:
                key_gpio(l, key, value);
                break;
        case SECTION_BUS:
                key_bus(l, key, value);
                break;
        case SECTION_PANEL:
                key_panel(l, key, value);
                break;
        case SECTION_SCHEDULER:
                key_scheduler(l, key, value);
                break;
        case SECTION_OUTPUT:
        case SECTION_INPUT:
        case SECTION_KEY:
                key_binding(l, key, value);
                break;
        }
        /* Keep going: a technician wants every error of the file at once. */
        return 1;
}

static int find_chip(const struct hardware_map *m, const char *name) {
        for (unsigned i = 0; i < m->n_gpio_chips; i++)
                if (strcmp(m->gpio_chips[i].name, name) == 0)
                        return (int) i;
        return -1;
}

static int find_bus(const struct hardware_map *m, const char *name) {
        for (unsigned i = 0; i < m->n_buses; i++)
                if (strcmp(m->buses[i].name, name) == 0)
                        return (int) i;
        return -1;
}

/* Checks one binding once the whole file is read: required keys, keys that do not apply to
 * its backend, references to chips and buses, tables that fit the direction. */
static void check_binding(struct loader *l, struct hw_binding *b, struct binding_refs *refs,
                          const char *kind, unsigned index, const char *name) {
        bool output = strcmp(kind, "output") == 0;
        static const bool applies[][_BK_MAX] = {
                [HW_BACKEND_SIM] = { [BK_BACKEND] = true },
                [HW_BACKEND_GPIO] = { [BK_BACKEND] = true, [BK_CHIP] = true, [BK_LINE] = true,
                                      [BK_DIRECTION_LINE] = true, [BK_ACTIVE_LOW] = true,
                                      [BK_BIAS] = true, [BK_DEBOUNCE_MS] = true },
                [HW_BACKEND_MODBUS] = { [BK_BACKEND] = true, [BK_BUS] = true, [BK_TABLE] = true,
                                        [BK_ADDRESS] = true, [BK_SCALE] = true, [BK_SIGNED] = true,
                                        [BK_WORDS] = true, [BK_WORD_ORDER] = true },
        };
        if (!refs->key_line[BK_BACKEND]) {
                add_error(l, b->line_no, "[%s.%s]: missing required key 'backend' (sim, gpio, modbus)", kind, name);
                return;
        }
        if (b->backend == HW_BACKEND_NONE)
                return; /* its value was already reported */
        for (unsigned k = 0; k < _BK_MAX; k++)
                if (refs->key_line[k] && !applies[b->backend][k])
                        add_error(l, refs->key_line[k], "[%s.%s]: key '%s' does not apply to backend %s",
                                  kind, name, binding_key_names[k], hw_backend_name(b->backend));

        if (b->backend == HW_BACKEND_GPIO) {
                if (!refs->key_line[BK_CHIP] || !refs->key_line[BK_LINE]) {
                        add_error(l, b->line_no, "[%s.%s]: backend gpio needs 'chip' and 'line'", kind, name);
                        return;
                }
                b->chip = find_chip(l->map, refs->chip);
                if (b->chip < 0)
                        add_error(l, refs->key_line[BK_CHIP], "[%s.%s]: chip '%s' has no [gpio.%s] section",
                                  kind, name, refs->chip, refs->chip);
                if (output && (refs->key_line[BK_BIAS] || refs->key_line[BK_DEBOUNCE_MS]))
                        add_error(l, refs->key_line[BK_BIAS] ? refs->key_line[BK_BIAS] : refs->key_line[BK_DEBOUNCE_MS],
                                  "[output.%s]: bias and debounce_ms apply to inputs only", name);
                if (refs->key_line[BK_DIRECTION_LINE] && !(output && chair_output_info(index)->min < 0))
                        add_error(l, refs->key_line[BK_DIRECTION_LINE],
                                  "[%s.%s]: direction_line applies to reversible motors only", kind, name);
        } else if (b->backend == HW_BACKEND_MODBUS) {
                if (!refs->key_line[BK_BUS] || !refs->key_line[BK_TABLE] || !refs->key_line[BK_ADDRESS]) {
                        add_error(l, b->line_no, "[%s.%s]: backend modbus needs 'bus', 'table' and 'address'", kind, name);
                        return;
                }
                b->bus = find_bus(l->map, refs->bus);
                if (b->bus < 0)
                        add_error(l, refs->key_line[BK_BUS], "[%s.%s]: bus '%s' has no [bus.%s] section",
                                  kind, name, refs->bus, refs->bus);
                if (output && (b->table == HW_MODBUS_DISCRETE_INPUT || b->table == HW_MODBUS_INPUT_REGISTER))
                        add_error(l, refs->key_line[BK_TABLE],
                                  "[output.%s]: an output must be a coil or a holding register", name);
                if ((b->table == HW_MODBUS_COIL || b->table == HW_MODBUS_DISCRETE_INPUT) &&
                    (b->words != 1 || refs->key_line[BK_SCALE] || refs->key_line[BK_SIGNED]))
                        add_error(l, b->line_no, "[%s.%s]: a bit (coil or discrete) takes no words, scale or signed", kind, name);
                if (b->words == 2 && b->address == 65535)
                        add_error(l, refs->key_line[BK_ADDRESS], "[%s.%s]: a 2-word value cannot start at 65535", kind, name);
        }
}

/* Panel keys: a key is a code (a Modbus panel board or the simulated panel reports it in
 * panel_key) or, on a GPIO panel, a line of its own; codes are unique. */
static void check_keys(struct loader *l) {
        struct hardware_map *m = l->map;
        struct hw_binding *panel_in = &m->inputs[CHAIR_IN_PANEL_KEY];

        for (unsigned k = 0; k < _CHAIR_KEY_MAX; k++) {
                struct hw_key *key = &m->panel.keys[k];
                struct binding_refs *refs = &l->key_refs[k];

                if (!key->present)
                        continue;
                for (unsigned j = 0; j < k; j++)
                        if (m->panel.keys[j].present && m->panel.keys[j].code == key->code)
                                add_error(l, l->key_code_line[k] ? l->key_code_line[k] : key->binding.line_no,
                                          "[key.%s]: code %u is already the code of key %s", chair_key_name(k),
                                          key->code, chair_key_name(j));
                if (!refs->key_line[BK_BACKEND]) {
                        /* Reported through panel_key: every binding key needs a backend. */
                        for (unsigned b = 0; b < _BK_MAX; b++)
                                if (refs->key_line[b]) {
                                        add_error(l, refs->key_line[b], "[key.%s]: '%s' applies to a key on its own GPIO "
                                                  "line (backend = gpio)", chair_key_name(k), binding_key_names[b]);
                                        break;
                                }
                        continue;
                }
                if (key->binding.backend != HW_BACKEND_GPIO) {
                        if (key->binding.backend != HW_BACKEND_NONE)
                                add_error(l, refs->key_line[BK_BACKEND], "[key.%s]: a key has its own line on backend gpio "
                                          "only; a Modbus panel board or the simulated panel reports its code in "
                                          "[input.panel_key]", chair_key_name(k));
                        continue;
                }
                check_binding(l, &key->binding, refs, "key", CHAIR_IN_PANEL_KEY, chair_key_name(k));
                m->panel.gpio_keys = true;
        }
        if (m->panel.gpio_keys) {
                /* GPIO keys are panel_key: the GPIO backend reports the code of the key held. */
                if (panel_in->line_no && panel_in->backend != HW_BACKEND_GPIO)
                        add_error(l, panel_in->line_no, "[input.panel_key]: the panel's keys are on GPIO lines "
                                  "([key.*] sections); panel_key cannot also be on backend %s",
                                  hw_backend_name(panel_in->backend));
                else if (panel_in->line_no)
                        add_error(l, panel_in->line_no, "[input.panel_key]: the panel's keys are on their own GPIO "
                                  "lines ([key.*] sections); drop this section");
                else
                        panel_in->backend = HW_BACKEND_GPIO;
                /* Nothing else reports panel_key then: a key without a line could never be pressed. */
                for (unsigned k = 0; k < _CHAIR_KEY_MAX; k++)
                        if (m->panel.keys[k].present && !l->key_refs[k].key_line[BK_BACKEND])
                                add_error(l, m->panel.keys[k].binding.line_no, "[key.%s]: the panel's keys are on "
                                          "their own GPIO lines; this key needs one too (backend = gpio, chip, line)",
                                          chair_key_name(k));
        }
}

/* The same GPIO line or Modbus address must not drive two things. */
static void check_conflicts(struct loader *l) {
        struct hardware_map *m = l->map;
        struct { const struct hw_binding *b; const char *name; } all[_CHAIR_OUT_MAX + _CHAIR_IN_MAX + _CHAIR_KEY_MAX];
        unsigned n = 0;

        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                all[n++] = (typeof(all[0])) { &m->outputs[o], chair_output_info(o)->name };
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++)
                all[n++] = (typeof(all[0])) { &m->inputs[i], chair_input_info(i)->name };
        for (unsigned k = 0; k < _CHAIR_KEY_MAX; k++)
                if (m->panel.keys[k].present)
                        all[n++] = (typeof(all[0])) { &m->panel.keys[k].binding, chair_key_name(k) };
        for (unsigned a = 0; a < n; a++) {
                const struct hw_binding *x = all[a].b;
                for (unsigned b = a + 1; b < n; b++) {
                        const struct hw_binding *y = all[b].b;
                        if (x->backend != y->backend || !x->line_no || !y->line_no)
                                continue;
                        if (x->backend == HW_BACKEND_GPIO && x->chip >= 0 && x->chip == y->chip &&
                            x->line_offset == y->line_offset && strcmp(x->line_name, y->line_name) == 0)
                                add_error(l, y->line_no, "%s uses the same GPIO line as %s (line %u)", all[b].name,
                                          all[a].name, x->line_no);
                        if (x->backend == HW_BACKEND_MODBUS && x->bus >= 0 && x->bus == y->bus &&
                            x->table == y->table && y->address < x->address + x->words &&
                            x->address < y->address + y->words)
                                add_error(l, y->line_no, "%s overlaps the Modbus address of %s (line %u)", all[b].name,
                                          all[a].name, x->line_no);
                }
        }
}

/* A board's heartbeat is written every few hundred ms: on an output's register it would drive
 * that output, and an input there would read the heartbeat. */
static void check_heartbeats(struct loader *l) {
        struct hardware_map *m = l->map;

        for (unsigned i = 0; i < m->n_buses; i++) {
                int32_t hb = m->buses[i].heartbeat_register;
                if (hb < 0)
                        continue;
                for (unsigned o = 0; o < _CHAIR_OUT_MAX + _CHAIR_IN_MAX; o++) {
                        bool out = o < _CHAIR_OUT_MAX;
                        const struct hw_binding *b = out ? &m->outputs[o] : &m->inputs[o - _CHAIR_OUT_MAX];
                        if (b->backend != HW_BACKEND_MODBUS || b->bus != (int) i || b->table != HW_MODBUS_HOLDING ||
                            hb < b->address || hb >= b->address + b->words)
                                continue;
                        add_error(l, l->heartbeat_line[i], "[bus.%s]: heartbeat_register = %d is the holding register of "
                                  "%s %s (line %u)", m->buses[i].name, hb, out ? "output" : "input",
                                  out ? chair_output_info(o)->name : chair_input_info(o - _CHAIR_OUT_MAX)->name, b->line_no);
                }
        }
}

/* backend = sim is the simulated chair's: in a map of a real chair it would silently drive
 * nothing. A map for the simulator says so ([chair] simulated = yes) and has nothing else. */
static void check_backends(struct loader *l) {
        struct hardware_map *m = l->map;

        for (unsigned o = 0; o < _CHAIR_OUT_MAX + _CHAIR_IN_MAX; o++) {
                bool out = o < _CHAIR_OUT_MAX;
                const struct hw_binding *b = out ? &m->outputs[o] : &m->inputs[o - _CHAIR_OUT_MAX];
                const struct binding_refs *refs = out ? &l->out_refs[o] : &l->in_refs[o - _CHAIR_OUT_MAX];
                const char *name = out ? chair_output_info(o)->name : chair_input_info(o - _CHAIR_OUT_MAX)->name;
                unsigned line = refs->key_line[BK_BACKEND] ? refs->key_line[BK_BACKEND] : b->line_no;

                if (!b->line_no || b->backend == HW_BACKEND_NONE)
                        continue;
                if (!m->simulated && b->backend == HW_BACKEND_SIM)
                        add_error(l, line, "[%s.%s]: backend = sim in a map of a real chair (a map for the simulated "
                                  "chair says [chair] simulated = yes)", out ? "output" : "input", name);
                else if (m->simulated && b->backend != HW_BACKEND_SIM)
                        add_error(l, line, "[%s.%s]: a simulated chair ([chair] simulated = yes, line %u) has backend "
                                  "sim only, not %s", out ? "output" : "input", name, l->simulated_line,
                                  hw_backend_name(b->backend));
        }
}

/* An interlock must never be silently off: each actuator needs the sensor its interlock reads. */
static void check_interlocks(struct loader *l) {
        struct hardware_map *m = l->map;
        const struct hw_binding *in = m->inputs, *out = m->outputs;
        unsigned chair_line = l->chair_line ? l->chair_line : 1;
        unsigned air_line = out[CHAIR_OUT_AIR_PUMP].line_no;

        if (in[CHAIR_IN_ESTOP].backend == HW_BACKEND_NONE)
                add_error(l, chair_line, "the map has no [input.estop]: every chair needs its emergency-stop input");
        if (out[CHAIR_OUT_TRAVEL_MOTOR].backend != HW_BACKEND_NONE && in[CHAIR_IN_ENCODER].backend == HW_BACKEND_NONE)
                add_error(l, out[CHAIR_OUT_TRAVEL_MOTOR].line_no, "[output.travel_motor] has no [input.encoder]: "
                          "the travel interlocks need the roller's position");
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++) {
                const struct hw_binding *h = &out[chair_heat_zone_output(z)];
                if (h->backend != HW_BACKEND_NONE && in[chair_heat_zone_sensor(z)].backend == HW_BACKEND_NONE)
                        add_error(l, h->line_no, "[output.%s] has no [input.%s]: a heater needs its temperature sensor",
                                  chair_output_info(chair_heat_zone_output(z))->name,
                                  chair_input_info(chair_heat_zone_sensor(z))->name);
        }
        for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++) {
                const struct hw_binding *v = &out[chair_air_zone_valve(z)];
                if (v->backend != HW_BACKEND_NONE && (!air_line || v->line_no < air_line))
                        air_line = v->line_no;
        }
        if (air_line && out[CHAIR_OUT_AIR_RELEASE].backend == HW_BACKEND_NONE)
                add_error(l, air_line, "the air bags have no [output.air_release]: inflated bags must be able to vent");
        if (out[CHAIR_OUT_AIR_PUMP].backend != HW_BACKEND_NONE && in[CHAIR_IN_AIR_PRESSURE].backend == HW_BACKEND_NONE &&
            !m->air_timed_inflation)
                add_error(l, out[CHAIR_OUT_AIR_PUMP].line_no, "[output.air_pump] has no [input.air_pressure]; a chair "
                          "that inflates by time alone says so: [chair] air_inflation = timed");
        if (l->air_inflate_line && !m->air_timed_inflation)
                add_error(l, l->air_inflate_line, "[chair]: air_inflate_s is for a chair that inflates by time "
                          "(air_inflation = timed)");
        if (m->air_timed_inflation && m->air_inflate_ms[5] > m->limits.air_max_inflate_s * 1000)
                add_error(l, l->air_inflate_line, "[chair]: air_inflate_s: level 5 inflates %u s, longer than "
                          "[limits] air_max_inflate_s = %u", m->air_inflate_ms[5] / 1000, m->limits.air_max_inflate_s);
        if (m->air_timed_inflation && in[CHAIR_IN_AIR_PRESSURE].backend != HW_BACKEND_NONE)
                add_error(l, l->air_inflation_line, "[chair]: air_inflation = timed, but [input.air_pressure] is given "
                          "(line %u)", in[CHAIR_IN_AIR_PRESSURE].line_no);
}

static void check_map(struct loader *l) {
        struct hardware_map *m = l->map;

        if (!l->seen_chair)
                add_error(l, 1, "missing required section [chair]");
        else if (!l->seen_model)
                add_error(l, 1, "[chair]: missing required key 'model'");
        if (m->limits.supply_min_mv >= m->limits.supply_max_mv)
                add_error(l, 1, "[limits]: supply_min_mv must be below supply_max_mv");

        for (unsigned i = 0; i < m->n_gpio_chips; i++) {
                struct hw_gpio_chip *c = &m->gpio_chips[i];
                if (!c->path[0] == !c->label[0])
                        add_error(l, c->line_no, "[gpio.%s]: give exactly one of 'path' or 'label'", c->name);
        }
        for (unsigned i = 0; i < m->n_buses; i++) {
                struct hw_bus *b = &m->buses[i];
                unsigned *kl = l->bus_key_line[i];
                if (!kl[3]) {
                        add_error(l, b->line_no, "[bus.%s]: missing required key 'type' (tcp, rtu)", b->name);
                        continue;
                }
                if (b->tcp && (!kl[0] || !kl[1]))
                        add_error(l, b->line_no, "[bus.%s]: type tcp needs 'host' and 'port'", b->name);
                if (b->tcp && kl[2])
                        add_error(l, kl[2], "[bus.%s]: 'device' does not apply to type tcp", b->name);
                if (!b->tcp && !kl[2])
                        add_error(l, b->line_no, "[bus.%s]: type rtu needs 'device'", b->name);
                if (!b->tcp && (kl[0] || kl[1]))
                        add_error(l, kl[0] ? kl[0] : kl[1], "[bus.%s]: 'host' and 'port' do not apply to type rtu", b->name);
        }
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                if (m->outputs[o].line_no)
                        check_binding(l, &m->outputs[o], &l->out_refs[o], "output", o, chair_output_info(o)->name);
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++)
                if (m->inputs[i].line_no)
                        check_binding(l, &m->inputs[i], &l->in_refs[i], "input", i, chair_input_info(i)->name);
        for (unsigned i = 0; i < m->n_buses; i++)
                if (m->buses[i].idle_poll_ms < m->buses[i].poll_interval_ms) {
                        if (l->idle_poll_line[i])
                                add_error(l, l->idle_poll_line[i], "[bus.%s]: idle_poll_ms must not be below poll_ms",
                                          m->buses[i].name);
                        else
                                m->buses[i].idle_poll_ms = m->buses[i].poll_interval_ms;
                }
        check_keys(l);

        check_conflicts(l);
        check_heartbeats(l);
        check_backends(l);
        check_interlocks(l);
}

int hardware_map_load(const char *path, struct hardware_map *ret, char *ret_error, size_t error_size) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        if (error_size)
                ret_error[0] = 0;
        /* A FIFO or /dev/zero is refused unread, before any parsing. */
        r = read_untrusted_file(AT_FDCWD, path, path, MAP_FILE_MAX, 0, &text, &len, ret_error, error_size);
        if (r < 0)
                return r;
        return hardware_map_load_text(path, text, len, ret, ret_error, error_size);
}

int hardware_map_load_text(const char *path, const char *text, size_t len, struct hardware_map *ret, char *ret_error,
                           size_t error_size) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ struct loader *l = NULL;
        const char *what;
        unsigned bad_line;
        int r;

        if (error_size)
                ret_error[0] = 0;
        if (len > MAP_FILE_MAX) {
                snprintf(ret_error, error_size, "%s: refused: more than the %d bytes allowed", path, MAP_FILE_MAX);
                return -EFBIG;
        }
        if (text_check(text, len, &bad_line, &what) < 0) {
                snprintf(ret_error, error_size, "%s:%u: the file contains %s", path, bad_line, what);
                return -EINVAL;
        }
        /* fmemopen refuses an empty buffer: an empty file reads as one empty line. */
        f = fmemopen((void *) (len ? text : "\n"), len ? len : 1, "r");
        if (!f)
                return -errno;
        l = calloc(1, sizeof *l);
        if (!l)
                return -ENOMEM;
        l->path = path;
        l->file = f;
        l->map = ret;
        l->errors = ret_error;
        l->errors_size = error_size;
        map_defaults(ret, path);

        r = ini_parse_stream(reader, l, handler, l);
        if (r > 0 && !l->n_errors)
                add_error(l, (unsigned) r, "syntax error (expected [section], key = value or a comment)");
        else if (r < 0 && !l->n_errors)
                add_error(l, l->line, "cannot parse (error %d)", r);
        if (!l->line_too_long)
                check_map(l);
        if (l->n_errors > MAX_ERRORS && l->errors_len + 32 < l->errors_size)
                snprintf(l->errors + l->errors_len, l->errors_size - l->errors_len,
                         "\n%s: ... and %u more errors", path, l->n_errors - MAX_ERRORS);
        return l->n_errors ? -EINVAL : 0;
}

void hardware_map_simulated(struct hardware_map *ret) {
        map_defaults(ret, "(built-in simulated chair)");
        ret->simulated = true;
        snprintf(ret->model, sizeof ret->model, "simulated reference chair");
        for (unsigned i = 0; i < _CHAIR_OUT_MAX; i++)
                ret->outputs[i].backend = HW_BACKEND_SIM;
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++)
                ret->inputs[i].backend = HW_BACKEND_SIM;
        /* The simulated panel behaves as a GPIO one: every press and release is seen as it
         * happens, so there is no board latch to read. */
        ret->inputs[CHAIR_IN_PANEL_EVENT].backend = HW_BACKEND_NONE;
}

const char *hw_backend_name(enum hw_backend b) {
        static const char *const names[] = { "none", "sim", "gpio", "modbus" };
        return (unsigned) b < ARRAY_SIZE(names) ? names[b] : "?";
}
