/* SPDX-License-Identifier: MIT */
/*
 * Strict loader of the hardware map, in Klipper's manner: every number bounded, every choice
 * from a list, an unknown section or key, a duplicate, a missing required key or a key that
 * does not apply to the binding's backend is an error reported as FILE:LINE: message.
 *
 * Two steps. Parsing is the shared strict INI reader's (common/strict-ini.h, the profiles'
 * too): text to sections and keys with their lines. Checking is here: each section kind
 * declares its keys in one table (name, parser, range, default, required); a key no table
 * reads is an error, and the map's cross-section rules run once the whole file is read.
 */
#include <errno.h>
#include <fcntl.h>
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
        SECTION_AXIS,
};

/* Keys of [output.X], [input.X] and [key.X]: the index of each in binding_keys[], so that
 * applicability to the backend can be checked once the whole section has been read. */
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
        BK_STOP,
        BK_THRESHOLD,
        _BK_MAX,
};

struct binding_refs {
        char chip[HW_NAME_MAX];
        char bus[HW_NAME_MAX];
        unsigned key_line[_BK_MAX]; /* 0 = not given */
};

struct loader {
        const char *path;
        struct hardware_map *map;
        unsigned line;               /* of the key being read, for its errors */

        enum section_kind kind;
        int index;                   /* chip, bus, output, input or key index of the section */

        struct binding_refs out_refs[_CHAIR_OUT_MAX];
        struct binding_refs in_refs[_CHAIR_IN_MAX];
        struct binding_refs key_refs[_CHAIR_KEY_MAX];
        unsigned key_code_line[_CHAIR_KEY_MAX];
        unsigned idle_poll_line[HW_MAX_BUSES];
        unsigned n_key_sections;
        unsigned bus_key_line[HW_MAX_BUSES][4]; /* host, port, device, type */
        unsigned heartbeat_line[HW_MAX_BUSES];
        bool seen_chair;
        unsigned chair_line, simulated_line, air_inflation_line, air_inflate_line;
        /* [axis.NAME]'s keys whose meaning depends on others, by enum axis_key_line. */
        unsigned axis_line[_CHAIR_AXIS_MAX][5];

        struct ini_errors errors;
};

_printf_(3, 4) static int add_error(struct loader *l, unsigned line, const char *fmt, ...) {
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        ini_errors_add(&l->errors, l->path, line, "%s", msg);
        return -EINVAL;
}

/* ---- key tables ---- */

/* Where a key's value is stored in its section's struct, for the generic parsers and defaults. */
enum field_type { F_NONE, F_BOOL, F_CHAR, F_U8, F_U16, F_U32, F_I32, F_STRING };

struct map_key;
typedef int (*key_parser)(struct loader *l, const struct map_key *k, const char *v, void *obj);

struct map_key {
        const char *name;
        key_parser parse;
        enum field_type type;
        size_t offset;               /* of the field in the section's struct */
        long long min, max;          /* integers: the range in the file's unit; strings: max is the size */
        long long factor;            /* file unit -> stored unit (0: 1) */
        bool has_default;
        long long def;               /* the default, stored unit */
        const char *const *choices;  /* NULL-terminated */
        bool required;
};

static void store(const struct map_key *k, void *obj, long long x) {
        char *p = (char *) obj + k->offset;
        switch (k->type) {
        case F_BOOL: *(bool *) p = x != 0; break;
        case F_CHAR: *p = (char) x; break;
        case F_U8: *(uint8_t *) p = (uint8_t) x; break;
        case F_U16: *(uint16_t *) p = (uint16_t) x; break;
        case F_U32: *(uint32_t *) p = (uint32_t) x; break;
        case F_I32: *(int32_t *) p = (int32_t) x; break;
        case F_NONE: case F_STRING: break;
        }
}

static void apply_defaults(const struct map_key *keys, size_t n, void *obj) {
        for (size_t i = 0; i < n; i++)
                if (keys[i].has_default)
                        store(&keys[i], obj, keys[i].def);
}

static size_t n_choices(const char *const *choices) {
        size_t n = 0;
        while (choices && choices[n])
                n++;
        return n;
}

static int choice_of(struct loader *l, const struct map_key *k, const char *v, int *ret) {
        return ini_choice(&l->errors, l->path, l->line, k->name, v, k->choices, n_choices(k->choices), ret);
}

static int int_key(struct loader *l, const char *key, const char *v, long long min, long long max, long long *ret) {
        return ini_int(&l->errors, l->path, l->line, key, v, min, max, ret);
}

static int key_int(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        long long x;
        int r = int_key(l, k->name, v, k->min, k->max, &x);
        if (r == 0)
                store(k, obj, x * (k->factor ? k->factor : 1));
        return r;
}

static int key_bool(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        bool b;
        int r = ini_bool(&l->errors, l->path, l->line, k->name, v, &b);
        if (r == 0)
                store(k, obj, b);
        return r;
}

/* A choice stored as its index (an enum, or a bool for two choices). */
static int key_choice(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        int c, r = choice_of(l, k, v, &c);
        if (r == 0)
                store(k, obj, c);
        return r;
}

static int string_value(struct loader *l, const char *key, const char *v, char *buf, size_t size) {
        if (!*v)
                return add_error(l, l->line, "%s is empty", key);
        if (strlen(v) >= size)
                return add_error(l, l->line, "%s is longer than %zu characters", key, size - 1);
        memcpy(buf, v, strlen(v) + 1);
        return 0;
}

static int key_string(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        return string_value(l, k->name, v, (char *) obj + k->offset, (size_t) k->max);
}

#define INT(n, st, f, ty, lo, hi, ...) \
        { .name = n, .parse = key_int, .type = ty, .offset = offsetof(st, f), .min = lo, .max = hi, __VA_ARGS__ }
#define STRING(n, st, f, ...) \
        { .name = n, .parse = key_string, .type = F_STRING, .offset = offsetof(st, f), \
          .max = sizeof(((st *) 0)->f), __VA_ARGS__ }
#define DEF(x) .has_default = true, .def = (x)
#define CHOICES(...) .choices = (const char *const[]) { __VA_ARGS__, NULL }

/* [chair] */
static int key_auto_off(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        int c, r = choice_of(l, k, v, &c);
        if (r == 0)
                store(k, obj, 10 * (c + 1));
        return r;
}

static int key_fault_latch(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        int c, r = choice_of(l, k, v, &c);
        if (r == 0)
                l->map->limits.latch_until_power_cycle = c == 1;
        return r;
}

static int key_simulated(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        l->simulated_line = l->line;
        return key_bool(l, k, v, obj);
}

static int key_air_inflation(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        l->air_inflation_line = l->line;
        return key_choice(l, k, v, obj);
}

/* air_inflate_s = 5 seconds for levels 1-5: how long a timed chair pumps a zone for each level,
 * each 1-60, rising. */
static int key_air_inflate(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        struct hardware_map *m = obj;
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
                        return add_error(l, l->line, "%s = '%s' is not 5 seconds for levels 1-5 (e.g. 4, 6, 8, 10, 12)",
                                         k->name, v);
                memcpy(item, p, len);
                item[len] = 0;
                if (parse_integer(item, 1, 60, &x) < 0)
                        return add_error(l, l->line, "%s: '%s' for level %u is not 1-60 seconds", k->name, item, level);
                ms[level] = (uint32_t) x * 1000;
                if (ms[level] <= ms[level - 1])
                        return add_error(l, l->line, "%s: level %u (%s s) must inflate longer than level %u", k->name,
                                         level, item, level - 1);
                p += n;
                if (level < 5 && *p++ != ',')
                        return add_error(l, l->line, "%s = '%s' is not 5 seconds for levels 1-5 (e.g. 4, 6, 8, 10, 12)",
                                         k->name, v);
        }
        if (*p)
                return add_error(l, l->line, "%s = '%s' has more than 5 levels", k->name, v);
        memcpy(m->air_inflate_ms, ms, sizeof ms);
        return 0;
}

static const struct map_key chair_keys[] = {
        STRING("model", struct hardware_map, model, .required = true),
        INT("track_length_mm", struct hardware_map, track_length_mm, F_I32, 300, 1500, DEF(800)),
        INT("pulses_per_mm", struct hardware_map, pulses_per_mm, F_I32, 1, 100, DEF(2)),
        { .name = "auto_off_minutes", .parse = key_auto_off, .type = F_U32, .offset = offsetof(struct hardware_map, auto_off_default_min),
          DEF(20), CHOICES("10", "20", "30") },
        { .name = "fault_latch", .parse = key_fault_latch, CHOICES("technician", "power-cycle") },
        { .name = "simulated", .parse = key_simulated, .type = F_BOOL, .offset = offsetof(struct hardware_map, simulated) },
        { .name = "air_inflation", .parse = key_air_inflation, .type = F_BOOL, .offset = offsetof(struct hardware_map, air_timed_inflation),
          CHOICES("pressure", "timed") },
        { .name = "air_inflate_s", .parse = key_air_inflate },
};

/* [limits]: documented defaults (docs/hardware-map.md), from chair-domain.md section 3. */
#define LIMIT(n, f, ty, lo, hi, fac, def) INT(n, struct hw_limits, f, ty, lo, hi, .factor = fac, DEF((def) * (fac)))
static const struct map_key limit_keys[] = {
        LIMIT("max_session_minutes", max_session_s, F_U32, 1, 60, 60, 30),
        LIMIT("heater_max_temp_c", heater_max_decic, F_I32, 35, 70, 10, 60),
        LIMIT("heat_rise_timeout_s", heat_rise_timeout_s, F_U32, 30, 900, 1, 300),
        LIMIT("air_max_pressure_kpa", air_max_pressure_decikpa, F_I32, 10, 80, 10, 50),
        LIMIT("air_max_inflate_s", air_max_inflate_s, F_U32, 5, 120, 1, 30),
        LIMIT("travel_timeout_s", travel_timeout_ms, F_U32, 5, 60, 1000, 10),
        LIMIT("travel_margin_pct", travel_margin_pct, F_U32, 5, 100, 1, 25),
        LIMIT("encoder_loss_ms", encoder_loss_ms, F_U32, 200, 10000, 1, 2000),
        LIMIT("motor_current_max_ma", motor_current_max_ma, F_U32, 500, 20000, 1, 4000),
        LIMIT("stall_ms", stall_ms, F_U32, 100, 5000, 1, 300),
        LIMIT("supply_min_mv", supply_min_mv, F_U32, 5000, 40000, 1, 10000),
        LIMIT("supply_max_mv", supply_max_mv, F_U32, 5000, 48000, 1, 36000),
        LIMIT("modbus_link_lost_ms", modbus_link_lost_ms, F_U32, 100, 10000, 1, 1000),
        LIMIT("modbus_error_storm", modbus_error_storm, F_U32, 3, 1000, 1, 20),
        LIMIT("deadline_miss_ms", deadline_miss_ms, F_U32, 2, 1000, 1, 20),
};

/* [gpio.NAME] */
static int key_gpio_path(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        if (strncmp(v, "/dev/", 5) != 0)
                return add_error(l, l->line, "path = '%s' is not a device under /dev", v);
        return key_string(l, k, v, obj);
}

static const struct map_key gpio_keys[] = {
        { .name = "path", .parse = key_gpio_path, .type = F_STRING, .offset = offsetof(struct hw_gpio_chip, path), .max = HW_PATH_MAX },
        STRING("label", struct hw_gpio_chip, label),
};

/* [bus.NAME] */
static int key_bus_type(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        int c, r = choice_of(l, k, v, &c);
        l->bus_key_line[l->index][3] = l->line;
        if (r == 0)
                ((struct hw_bus *) obj)->tcp = c == 0;
        return r;
}

static int key_bus_host(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        l->bus_key_line[l->index][0] = l->line;
        return key_string(l, k, v, obj);
}

static int key_bus_port(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        long long x;
        int r;
        l->bus_key_line[l->index][1] = l->line;
        if ((r = int_key(l, k->name, v, k->min, k->max, &x)) == 0)
                snprintf(((struct hw_bus *) obj)->port, sizeof ((struct hw_bus *) obj)->port, "%lld", x);
        return r;
}

static int key_bus_device(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        l->bus_key_line[l->index][2] = l->line;
        if (strncmp(v, "/", 1) != 0)
                return add_error(l, l->line, "device = '%s' is not an absolute path", v);
        return key_string(l, k, v, obj);
}

static int key_baud(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        long long baud;
        int c, r = choice_of(l, k, v, &c);
        if (r == 0 && parse_integer(k->choices[c], 1, INT32_MAX, &baud) == 0)
                store(k, obj, baud);
        return r;
}

static int key_parity(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        int c, r = choice_of(l, k, v, &c);
        if (r == 0)
                store(k, obj, "NEO"[c]);
        return r;
}

static int key_idle_poll(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        l->idle_poll_line[l->index] = l->line;
        return key_int(l, k, v, obj);
}

static int key_heartbeat_register(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        l->heartbeat_line[l->index] = l->line;
        return key_int(l, k, v, obj);
}

static const struct map_key bus_keys[] = {
        { .name = "type", .parse = key_bus_type, .type = F_NONE, .offset = 0, CHOICES("tcp", "rtu"), .required = true },
        { .name = "host", .parse = key_bus_host, .type = F_STRING, .offset = offsetof(struct hw_bus, host), .max = HW_NAME_MAX },
        { .name = "port", .parse = key_bus_port, .type = F_NONE, .offset = 0, .min = 1, .max = 65535 },
        { .name = "device", .parse = key_bus_device, .type = F_STRING, .offset = offsetof(struct hw_bus, device), .max = HW_PATH_MAX },
        { .name = "baud", .parse = key_baud, .type = F_U32, .offset = offsetof(struct hw_bus, baud), DEF(115200),
          CHOICES("9600", "19200", "38400", "57600", "115200", "230400") },
        { .name = "parity", .parse = key_parity, .type = F_CHAR, .offset = offsetof(struct hw_bus, parity), DEF('N'), CHOICES("none", "even", "odd") },
        INT("data_bits", struct hw_bus, data_bits, F_U8, 7, 8, DEF(8)),
        INT("stop_bits", struct hw_bus, stop_bits, F_U8, 1, 2, DEF(1)),
        { .name = "rs485", .parse = key_bool, .type = F_BOOL, .offset = offsetof(struct hw_bus, rs485) },
        INT("slave", struct hw_bus, slave, F_U8, 1, 247, DEF(1)),
        INT("timeout_ms", struct hw_bus, response_timeout_ms, F_U32, 5, 2000, DEF(50)),
        INT("poll_ms", struct hw_bus, poll_interval_ms, F_U32, 5, 10000, DEF(50)),
        { .name = "idle_poll_ms", .parse = key_idle_poll, .type = F_U32, .offset = offsetof(struct hw_bus, idle_poll_ms), .min = 5, .max = 10000, DEF(200) },
        /* -1: no heartbeat */
        { .name = "heartbeat_register", .parse = key_heartbeat_register, .type = F_I32, .offset = offsetof(struct hw_bus, heartbeat_register), .min = 0, .max = 65535,
          DEF(-1) },
        INT("heartbeat_ms", struct hw_bus, heartbeat_period_ms, F_U32, 50, 10000, DEF(250)),
};

/* [panel] */
static const struct map_key panel_keys[] = {
        INT("long_press_ms", struct hw_panel, long_press_ms, F_U32, 300, 10000, DEF(1500)),
        INT("repeat_delay_ms", struct hw_panel, repeat_delay_ms, F_U32, 100, 5000, DEF(600)),
        INT("repeat_interval_ms", struct hw_panel, repeat_interval_ms, F_U32, 50, 2000, DEF(250)),
        INT("child_lock_ms", struct hw_panel, child_lock_ms, F_U32, 500, 10000, DEF(3000)),
};

/* [scheduler] */
static int key_cpu(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        if (strcmp(v, "any") == 0) {
                store(k, obj, -1);
                return 0;
        }
        return key_int(l, k, v, obj);
}

static const struct map_key scheduler_keys[] = {
        INT("priority", struct hw_scheduler, priority, F_U32, 1, 99, DEF(50)),
        { .name = "cpu", .parse = key_cpu, .type = F_I32, .offset = offsetof(struct hw_scheduler, cpu), .min = 0, .max = 1023, DEF(-1) },
};

/* [axis.NAME]: a posture axis's travel, limits and obstruction source. The keys that depend
 * on others keep their lines for check_axes. */
enum axis_key_line { AL_OBSTRUCTION, AL_BUMPER, AL_RISE, AL_WALL, AL_REACH };

static int key_axis_line(struct loader *l, const struct map_key *k, const char *v, void *obj, enum axis_key_line which) {
        l->axis_line[l->index][which] = l->line;
        return k->choices ? key_choice(l, k, v, obj) : key_int(l, k, v, obj);
}

static int key_obstruction(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        int c, r = choice_of(l, k, v, &c);
        l->axis_line[l->index][AL_OBSTRUCTION] = l->line;
        if (r == 0)
                ((struct hw_axis *) obj)->obstruction = c == 0 ? HW_OBSTRUCTION_BUMPER : HW_OBSTRUCTION_CURRENT;
        return r;
}

static int key_bumper(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        int in = chair_input_from_name(v);
        l->axis_line[l->index][AL_BUMPER] = l->line;
        if (in < 0 || !chair_input_info(in)->bumper)
                return add_error(l, l->line, "bumper = '%s' is not a bumper input (legrest_obstruction)", v);
        ((struct hw_axis *) obj)->bumper = in;
        return 0;
}

static int key_rise(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        return key_axis_line(l, k, v, obj, AL_RISE);
}

static int key_wall(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        return key_axis_line(l, k, v, obj, AL_WALL);
}

static int key_reach(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        return key_axis_line(l, k, v, obj, AL_REACH);
}

static const struct map_key axis_keys[] = {
        INT("travel_mm", struct hw_axis, travel_mm, F_U32, 10, 2000, .required = true),
        INT("speed_mm_s", struct hw_axis, speed_mm_s, F_U32, 1, 200, .required = true),
        INT("duty_pct", struct hw_axis, duty_pct, F_U32, 10, 100, DEF(60)),
        INT("soft_min_permille", struct hw_axis, soft_min, F_I32, 0, 1000, DEF(20)),
        INT("soft_max_permille", struct hw_axis, soft_max, F_I32, 0, 1000, DEF(980)),
        INT("current_max_ma", struct hw_axis, current_max_ma, F_U32, 100, 20000, DEF(3000)),
        INT("travel_timeout_s", struct hw_axis, travel_timeout_ms, F_U32, 1, 120, .factor = 1000, DEF(30000)),
        { .name = "obstruction", .parse = key_obstruction, CHOICES("bumper", "current") },
        { .name = "bumper", .parse = key_bumper },
        { .name = "obstruction_rise_ma", .parse = key_rise, .type = F_U32, .offset = offsetof(struct hw_axis, obstruction_rise_ma),
          .min = 50, .max = 20000 },
        { .name = "wall_clearance_mm", .parse = key_wall, .type = F_U32, .offset = offsetof(struct hw_axis, wall_clearance_mm),
          .min = 0, .max = 3000 },
        { .name = "reach_mm", .parse = key_reach, .type = F_U32, .offset = offsetof(struct hw_axis, reach_mm), .min = 10, .max = 3000 },
};

/* [output.NAME], [input.NAME], [key.NAME]: which keys apply to which backend is check_binding's. */
static struct binding_refs *current_refs(struct loader *l) {
        return l->kind == SECTION_KEY ? &l->key_refs[l->index]
               : l->kind == SECTION_OUTPUT ? &l->out_refs[l->index] : &l->in_refs[l->index];
}

static int key_backend(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        int c, r = choice_of(l, k, v, &c);
        if (r == 0)
                ((struct hw_binding *) obj)->backend = (enum hw_backend) (HW_BACKEND_SIM + c);
        return r;
}

static int key_chip(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        return string_value(l, k->name, v, current_refs(l)->chip, sizeof current_refs(l)->chip);
}

static int key_bus_ref(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        return string_value(l, k->name, v, current_refs(l)->bus, sizeof current_refs(l)->bus);
}

/* A GPIO line is a number (offset) or a name the chip gives it. */
static int line_value(struct loader *l, const char *key, const char *v, int32_t *offset, char *name) {
        long long x;
        if (parse_integer(v, 0, 1023, &x) == 0) {
                *offset = (int32_t) x;
                name[0] = 0;
                return 0;
        }
        if (v[0] >= '0' && v[0] <= '9')
                return add_error(l, l->line, "%s = '%s' is neither an offset (0..1023) nor a line name", key, v);
        *offset = -1;
        return string_value(l, key, v, name, HW_NAME_MAX);
}

static int key_line(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        struct hw_binding *b = obj;
        return line_value(l, k->name, v, &b->line_offset, b->line_name);
}

static int key_direction_line(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        struct hw_binding *b = obj;
        return line_value(l, k->name, v, &b->direction_offset, b->direction_name);
}

static int key_debounce(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        long long x;
        int r = int_key(l, k->name, v, k->min, k->max, &x);
        if (r == 0)
                ((struct hw_binding *) obj)->debounce_us = (uint32_t) x * 1000;
        return r;
}

static int key_scale(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        double d;
        if (parse_decimal(v, -1e6, 1e6, &d) < 0 || fabs(d) < 1e-6)
                return add_error(l, l->line, "scale = '%s' is not a non-zero number within 1e-6..1e6", v);
        ((struct hw_binding *) obj)->scale = d;
        return 0;
}

static int key_threshold(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        double d;
        if (parse_decimal(v, -1e9, 1e9, &d) < 0)
                return add_error(l, l->line, "threshold = '%s' is not a number within -1e9..1e9", v);
        ((struct hw_binding *) obj)->threshold = d;
        ((struct hw_binding *) obj)->has_threshold = true;
        return 0;
}

static const struct map_key binding_keys[_BK_MAX] = {
        [BK_BACKEND] = { .name = "backend", .parse = key_backend, CHOICES("sim", "gpio", "modbus") },
        [BK_CHIP] = { .name = "chip", .parse = key_chip },
        [BK_LINE] = { .name = "line", .parse = key_line },
        [BK_DIRECTION_LINE] = { .name = "direction_line", .parse = key_direction_line },
        [BK_ACTIVE_LOW] = { .name = "active_low", .parse = key_bool, .type = F_BOOL, .offset = offsetof(struct hw_binding, active_low) },
        [BK_BIAS] = { .name = "bias", .parse = key_choice, .type = F_I32, .offset = offsetof(struct hw_binding, bias),
                      CHOICES("as-is", "disabled", "pull-up", "pull-down") },
        [BK_DEBOUNCE_MS] = { .name = "debounce_ms", .parse = key_debounce, .min = 0, .max = 1000 },
        [BK_BUS] = { .name = "bus", .parse = key_bus_ref },
        [BK_TABLE] = { .name = "table", .parse = key_choice, .type = F_I32, .offset = offsetof(struct hw_binding, table),
                       CHOICES("coil", "discrete", "holding", "input") },
        [BK_ADDRESS] = INT("address", struct hw_binding, address, F_U16, 0, 65535),
        [BK_SCALE] = { .name = "scale", .parse = key_scale },
        [BK_SIGNED] = { .name = "signed", .parse = key_bool, .type = F_BOOL, .offset = offsetof(struct hw_binding, is_signed) },
        [BK_WORDS] = INT("words", struct hw_binding, words, F_U8, 1, 2),
        [BK_WORD_ORDER] = { .name = "word_order", .parse = key_choice, .type = F_BOOL, .offset = offsetof(struct hw_binding, word_swap),
                            CHOICES("high-first", "low-first") },
        /* Inputs only: a non-zero reading stops at once, on the thread that read it. */
        [BK_STOP] = { .name = "stop", .parse = key_bool, .type = F_BOOL, .offset = offsetof(struct hw_binding, stop) },
        /* A 0/1 input on a register: 1 at or above it. */
        [BK_THRESHOLD] = { .name = "threshold", .parse = key_threshold },
};

/* [key.NAME] has the binding keys and its code. */
static int key_code(struct loader *l, const struct map_key *k, const char *v, void *obj) {
        l->key_code_line[l->index] = l->line;
        return key_int(l, k, v, obj);
}

static const struct map_key key_keys[] = {
        { .name = "code", .parse = key_code, .type = F_U8, .offset = offsetof(struct hw_key, code), .min = 1, .max = 255 },
};

/* Every section kind and its keys, in one table: the checker walks it, the unit test compares
 * it with docs/hardware-map.md. */
struct section_kind_info {
        const char *name;            /* "chair", or "gpio" for [gpio.NAME] */
        bool named;                  /* [KIND.NAME] */
        enum section_kind kind;
        const struct map_key *keys[2];
        size_t n_keys[2];
};

static const struct section_kind_info section_kinds[] = {
        { .name = "chair", .named = false, .kind = SECTION_CHAIR, .keys = { chair_keys }, .n_keys = { ARRAY_SIZE(chair_keys) } },
        { .name = "limits", .named = false, .kind = SECTION_LIMITS, .keys = { limit_keys }, .n_keys = { ARRAY_SIZE(limit_keys) } },
        { .name = "panel", .named = false, .kind = SECTION_PANEL, .keys = { panel_keys }, .n_keys = { ARRAY_SIZE(panel_keys) } },
        { .name = "scheduler", .named = false, .kind = SECTION_SCHEDULER, .keys = { scheduler_keys }, .n_keys = { ARRAY_SIZE(scheduler_keys) } },
        { .name = "gpio", .named = true, .kind = SECTION_GPIO, .keys = { gpio_keys }, .n_keys = { ARRAY_SIZE(gpio_keys) } },
        { .name = "bus", .named = true, .kind = SECTION_BUS, .keys = { bus_keys }, .n_keys = { ARRAY_SIZE(bus_keys) } },
        { .name = "output", .named = true, .kind = SECTION_OUTPUT, .keys = { binding_keys }, .n_keys = { ARRAY_SIZE(binding_keys) } },
        { .name = "input", .named = true, .kind = SECTION_INPUT, .keys = { binding_keys }, .n_keys = { ARRAY_SIZE(binding_keys) } },
        { .name = "axis", .named = true, .kind = SECTION_AXIS, .keys = { axis_keys }, .n_keys = { ARRAY_SIZE(axis_keys) } },
        { .name = "key", .named = true, .kind = SECTION_KEY, .keys = { key_keys, binding_keys }, .n_keys = { ARRAY_SIZE(key_keys), ARRAY_SIZE(binding_keys) } },
};

size_t hardware_map_section_kinds(void) {
        return ARRAY_SIZE(section_kinds);
}

const char *hardware_map_section_key(size_t kind, size_t i, const char **ret_kind, bool *ret_named) {
        const struct section_kind_info *s;

        if (kind >= ARRAY_SIZE(section_kinds))
                return NULL;
        s = &section_kinds[kind];
        *ret_kind = s->name;
        *ret_named = s->named;
        for (size_t t = 0; t < ARRAY_SIZE(s->keys); t++) {
                if (i < s->n_keys[t])
                        return s->keys[t][i].name;
                i -= s->n_keys[t];
        }
        return NULL;
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

static void panel_defaults(struct hw_panel *p) {
        apply_defaults(panel_keys, ARRAY_SIZE(panel_keys), p);
        for (unsigned k = 0; k < _CHAIR_KEY_MAX; k++) {
                binding_defaults(&p->keys[k].binding);
                p->keys[k].present = true;
                p->keys[k].code = (uint8_t) (k + 1);
        }
}

static void map_defaults(struct hardware_map *m, const char *path) {
        memset(m, 0, sizeof *m);
        snprintf(m->path, sizeof m->path, "%s", path);
        apply_defaults(chair_keys, ARRAY_SIZE(chair_keys), m);
        /* Timed inflation per level, as the RT6923's pump runs (docs/hardware-map.md). */
        memcpy(m->air_inflate_ms, (const uint32_t[6]) { 0, 4000, 6000, 8000, 10000, 12000 }, sizeof m->air_inflate_ms);
        apply_defaults(limit_keys, ARRAY_SIZE(limit_keys), &m->limits);
        m->limits.latch_until_power_cycle = false;
        for (unsigned i = 0; i < _CHAIR_OUT_MAX; i++)
                binding_defaults(&m->outputs[i]);
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++)
                binding_defaults(&m->inputs[i]);
        panel_defaults(&m->panel);
        apply_defaults(scheduler_keys, ARRAY_SIZE(scheduler_keys), &m->scheduler);
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++) {
                apply_defaults(axis_keys, ARRAY_SIZE(axis_keys), &m->axes[a]);
                m->axes[a].bumper = -1;
        }
}

/* Starts a section: validates its name, finds its slot. Returns its kind (SECTION_NONE: refused,
 * its keys unread) and sets *ret_obj to where its keys go. */
static const struct section_kind_info *begin_section(struct loader *l, const char *name, void **ret_obj,
                                                     void **ret_obj2) {
        const char *dot = strchr(name, '.');
        const char *sub = dot ? dot + 1 : NULL;
        size_t kind_len = dot ? (size_t) (dot - name) : strlen(name);
        const struct section_kind_info *info = NULL;
        struct hardware_map *m = l->map;

        l->kind = SECTION_NONE;
        for (size_t i = 0; i < ARRAY_SIZE(section_kinds); i++)
                if (!!dot == section_kinds[i].named && strlen(section_kinds[i].name) == kind_len &&
                    strncmp(name, section_kinds[i].name, kind_len) == 0)
                        info = &section_kinds[i];
        if (!info) {
                add_error(l, l->line, "unknown section [%s] (chair, limits, panel, scheduler, gpio.NAME, bus.NAME, "
                          "output.NAME, input.NAME, axis.NAME, key.NAME)", name);
                return NULL;
        }
        if (dot && (!*sub || strlen(sub) >= HW_NAME_MAX)) {
                add_error(l, l->line, "section [%s] has an empty or too long name", name);
                return NULL;
        }
        *ret_obj2 = NULL;
        switch (info->kind) {
        case SECTION_CHAIR:
                l->seen_chair = true;
                l->chair_line = l->line;
                *ret_obj = m;
                break;
        case SECTION_LIMITS:
                *ret_obj = &m->limits;
                break;
        case SECTION_PANEL:
                *ret_obj = &m->panel;
                break;
        case SECTION_SCHEDULER:
                m->scheduler.line_no = l->line;
                *ret_obj = &m->scheduler;
                break;
        case SECTION_GPIO:
                if (m->n_gpio_chips >= HW_MAX_GPIO_CHIPS) {
                        add_error(l, l->line, "more than %d [gpio.*] sections", HW_MAX_GPIO_CHIPS);
                        return NULL;
                }
                l->index = (int) m->n_gpio_chips++;
                snprintf(m->gpio_chips[l->index].name, HW_NAME_MAX, "%s", sub);
                m->gpio_chips[l->index].line_no = l->line;
                *ret_obj = &m->gpio_chips[l->index];
                break;
        case SECTION_BUS:
                if (m->n_buses >= HW_MAX_BUSES) {
                        add_error(l, l->line, "more than %d [bus.*] sections", HW_MAX_BUSES);
                        return NULL;
                }
                l->index = (int) m->n_buses++;
                apply_defaults(bus_keys, ARRAY_SIZE(bus_keys), &m->buses[l->index]);
                snprintf(m->buses[l->index].name, HW_NAME_MAX, "%s", sub);
                m->buses[l->index].line_no = l->line;
                *ret_obj = &m->buses[l->index];
                break;
        case SECTION_OUTPUT: {
                int o = chair_output_from_name(sub);
                if (o < 0) {
                        add_error(l, l->line, "[output.%s]: unknown output (see docs/hardware-map.md)", sub);
                        return NULL;
                }
                l->index = o;
                m->outputs[o].line_no = l->line;
                *ret_obj = &m->outputs[o];
                break;
        }
        case SECTION_INPUT: {
                int i = chair_input_from_name(sub);
                if (i < 0) {
                        add_error(l, l->line, "[input.%s]: unknown input (see docs/hardware-map.md)", sub);
                        return NULL;
                }
                l->index = i;
                m->inputs[i].line_no = l->line;
                *ret_obj = &m->inputs[i];
                break;
        }
        case SECTION_AXIS: {
                int a = chair_axis_from_name(sub);
                if (a < 0) {
                        add_error(l, l->line, "[axis.%s]: unknown axis (recline, legrest_lift, legrest_extend, seat_slide)", sub);
                        return NULL;
                }
                l->index = a;
                m->axes[a].present = true;
                m->axes[a].line_no = l->line;
                *ret_obj = &m->axes[a];
                break;
        }
        case SECTION_KEY: {
                int k = chair_key_from_name(sub);
                if (k < 0) {
                        add_error(l, l->line, "[key.%s]: unknown key function (see docs/panel.md)", sub);
                        return NULL;
                }
                /* The first [key.*] section replaces the default key map (every key, default
                 * codes) with the keys the file lists. */
                if (l->n_key_sections++ == 0)
                        for (unsigned i = 0; i < _CHAIR_KEY_MAX; i++)
                                m->panel.keys[i].present = false;
                l->index = k;
                m->panel.keys[k].present = true;
                m->panel.keys[k].binding.line_no = l->line;
                *ret_obj = &m->panel.keys[k];
                *ret_obj2 = &m->panel.keys[k].binding;
                break;
        }
        case SECTION_NONE:
                return NULL;
        }
        l->kind = info->kind;
        return info;
}

static void keys_text(const struct section_kind_info *info, char *buf, size_t size) {
        size_t len = 0, n = 0;
        buf[0] = 0;
        for (size_t t = 0; t < ARRAY_SIZE(info->keys); t++)
                n += info->n_keys[t];
        /* A short list helps; a long one is in docs/hardware-map.md. */
        if (n > 6)
                return;
        for (size_t t = 0; t < ARRAY_SIZE(info->keys); t++)
                for (size_t i = 0; i < info->n_keys[t] && len < size; i++)
                        len += (size_t) snprintf(buf + len, size - len, "%s%s", len ? ", " : " (", info->keys[t][i].name);
        if (len && len < size)
                snprintf(buf + len, size - len, ")");
}

/* Reads one section's keys through its kind's tables, then reports every key none read. */
static void read_section(struct loader *l, struct ini_section *s) {
        const struct section_kind_info *info;
        void *objs[2] = {};

        l->line = s->line;
        info = begin_section(l, s->name, &objs[0], &objs[1]);
        if (!info)
                return; /* reported; its keys go nowhere */
        if (!objs[1])
                objs[1] = objs[0];
        for (size_t t = 0; t < ARRAY_SIZE(info->keys); t++)
                for (size_t i = 0; i < info->n_keys[t]; i++) {
                        const struct map_key *k = &info->keys[t][i];
                        struct ini_key *key = ini_section_get(s, k->name);

                        if (!key) {
                                if (k->required) {
                                        char list[300] = "";
                                        if (k->choices) {
                                                size_t len = 0;
                                                for (size_t c = 0; k->choices[c] && len < sizeof list; c++)
                                                        len += (size_t) snprintf(list + len, sizeof list - len, "%s%s",
                                                                                 c ? ", " : " (", k->choices[c]);
                                                if (len + 1 < sizeof list)
                                                        strcat(list, ")");
                                        }
                                        add_error(l, s->line, "[%s]: missing required key '%s'%s", s->name, k->name, list);
                                }
                                continue;
                        }
                        if (info->keys[t] == binding_keys)
                                current_refs(l)->key_line[i] = key->line;
                        l->line = key->line;
                        k->parse(l, k, key->value, objs[t]);
                }
        for (size_t i = 0; i < s->n_keys; i++)
                if (!s->keys[i].used) {
                        char list[300];
                        keys_text(info, list, sizeof list);
                        add_error(l, s->keys[i].line, "unknown key '%s' in [%s]%s", s->keys[i].name, s->name, list);
                }
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
                [HW_BACKEND_SIM] = { [BK_BACKEND] = true, [BK_STOP] = true },
                [HW_BACKEND_GPIO] = { [BK_BACKEND] = true, [BK_CHIP] = true, [BK_LINE] = true,
                                      [BK_DIRECTION_LINE] = true, [BK_ACTIVE_LOW] = true,
                                      [BK_BIAS] = true, [BK_DEBOUNCE_MS] = true, [BK_STOP] = true },
                [HW_BACKEND_MODBUS] = { [BK_BACKEND] = true, [BK_BUS] = true, [BK_TABLE] = true,
                                        [BK_ADDRESS] = true, [BK_SCALE] = true, [BK_SIGNED] = true,
                                        [BK_WORDS] = true, [BK_WORD_ORDER] = true, [BK_STOP] = true,
                                        [BK_THRESHOLD] = true },
        };
        if (!refs->key_line[BK_BACKEND]) {
                add_error(l, b->line_no, "[%s.%s]: missing required key 'backend' (sim, gpio, modbus)", kind, name);
                return;
        }
        if (refs->key_line[BK_STOP] && strcmp(kind, "input") != 0)
                add_error(l, refs->key_line[BK_STOP], "key 'stop' applies to inputs only, not [%s.%s]", kind, name);
        if (b->backend == HW_BACKEND_NONE)
                return; /* its value was already reported */
        for (unsigned k = 0; k < _BK_MAX; k++)
                if (refs->key_line[k] && !applies[b->backend][k])
                        add_error(l, refs->key_line[k], "[%s.%s]: key '%s' does not apply to backend %s",
                                  kind, name, binding_keys[k].name, hw_backend_name(b->backend));

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
                if (refs->key_line[BK_THRESHOLD] &&
                    (output || chair_input_info(index)->kind != CHAIR_VALUE_BOOL || b->table == HW_MODBUS_COIL ||
                     b->table == HW_MODBUS_DISCRETE_INPUT))
                        add_error(l, refs->key_line[BK_THRESHOLD], "[%s.%s]: threshold applies to a 0/1 input read "
                                  "from a register (a load cell for seat_occupancy)", kind, name);
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
                                                  "line (backend = gpio)", chair_key_name(k), binding_keys[b].name);
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

/* A moving axis can hurt someone: it needs both end switches, its position and current, an
 * obstruction source, and the seat's occupancy; the recline stays within the wall clearance. */
static void check_axis(struct loader *l, enum chair_axis a) {
        struct hardware_map *m = l->map;
        const struct chair_axis_info *ax = chair_axis_info(a);
        struct hw_axis *x = &m->axes[a];
        const struct hw_binding *motor = &m->outputs[ax->motor];
        const unsigned *kl = l->axis_line[a];
        const enum chair_input needed[] = { ax->end_min, ax->end_max, ax->position, ax->current };
        const char *why[] = { "both end switches", "both end switches", "its position for the soft limits",
                              "its motor current for the current limit" };
        bool recline = a == CHAIR_AXIS_RECLINE;
        uint64_t travel_ms;

        if (motor->backend == HW_BACKEND_NONE) {
                if (x->present)
                        add_error(l, x->line_no, "[axis.%s]: the map binds no [output.%s]: an axis section describes "
                                  "a motor", ax->name, chair_output_info(ax->motor)->name);
                return;
        }
        if (!x->present) {
                add_error(l, motor->line_no, "[output.%s] moves the %s axis, but the map has no [axis.%s] (travel, "
                          "limits, obstruction source)", chair_output_info(ax->motor)->name, ax->name, ax->name);
                return;
        }
        for (unsigned i = 0; i < ARRAY_SIZE(needed); i++)
                if (m->inputs[needed[i]].backend == HW_BACKEND_NONE)
                        add_error(l, x->line_no, "[axis.%s]: a moving axis needs %s: the map has no [input.%s]", ax->name,
                                  why[i], chair_input_info(needed[i])->name);
        if (m->inputs[CHAIR_IN_SEAT_OCCUPANCY].backend == HW_BACKEND_NONE)
                add_error(l, x->line_no, "[axis.%s]: a moving axis needs [input.seat_occupancy]: no motion without "
                          "knowing whether someone sits", ax->name);
        if (x->obstruction == HW_OBSTRUCTION_NONE)
                add_error(l, x->line_no, "[axis.%s]: a moving axis needs an obstruction source: obstruction = bumper "
                          "(with bumper = INPUT) or current (with obstruction_rise_ma)", ax->name);
        if (x->obstruction == HW_OBSTRUCTION_BUMPER && x->bumper < 0 && !kl[AL_BUMPER])
                add_error(l, kl[AL_OBSTRUCTION], "[axis.%s]: obstruction = bumper needs bumper = INPUT", ax->name);
        if (kl[AL_BUMPER] && x->obstruction != HW_OBSTRUCTION_BUMPER)
                add_error(l, kl[AL_BUMPER], "[axis.%s]: bumper applies to obstruction = bumper", ax->name);
        if (x->bumper >= 0 && m->inputs[x->bumper].backend == HW_BACKEND_NONE)
                add_error(l, kl[AL_BUMPER], "[axis.%s]: bumper = %s, but the map has no [input.%s]", ax->name,
                          chair_input_info(x->bumper)->name, chair_input_info(x->bumper)->name);
        if (x->obstruction == HW_OBSTRUCTION_CURRENT && !kl[AL_RISE])
                add_error(l, kl[AL_OBSTRUCTION], "[axis.%s]: obstruction = current needs obstruction_rise_ma", ax->name);
        if (kl[AL_RISE] && x->obstruction != HW_OBSTRUCTION_CURRENT)
                add_error(l, kl[AL_RISE], "[axis.%s]: obstruction_rise_ma applies to obstruction = current", ax->name);
        if (kl[AL_RISE] && x->obstruction_rise_ma >= x->current_max_ma)
                add_error(l, kl[AL_RISE], "[axis.%s]: obstruction_rise_ma = %u must be below current_max_ma = %u",
                          ax->name, x->obstruction_rise_ma, x->current_max_ma);
        if (x->soft_min >= x->soft_max)
                add_error(l, x->line_no, "[axis.%s]: soft_min_permille = %d must be below soft_max_permille = %d",
                          ax->name, x->soft_min, x->soft_max);
        /* One end-to-end travel at the axis's duty must fit its timeout and the motor's on-time. */
        /* A missing or refused speed or duty has its own error already. */
        travel_ms = x->speed_mm_s && x->duty_pct ?
                (uint64_t) x->travel_mm * 1000 * 100 / ((uint64_t) x->speed_mm_s * x->duty_pct) : 0;
        if (travel_ms > x->travel_timeout_ms)
                add_error(l, x->line_no, "[axis.%s]: one travel takes %llu ms at duty_pct = %u, longer than "
                          "travel_timeout_s = %u", ax->name, (unsigned long long) travel_ms, x->duty_pct,
                          x->travel_timeout_ms / 1000);
        else if (x->travel_timeout_ms > chair_output_info(ax->motor)->max_on_ms)
                add_error(l, x->line_no, "[axis.%s]: travel_timeout_s = %u exceeds the motor's maximum on-time (%u s)",
                          ax->name, x->travel_timeout_ms / 1000, chair_output_info(ax->motor)->max_on_ms / 1000);
        if (!recline && (kl[AL_WALL] || kl[AL_REACH]))
                add_error(l, kl[AL_WALL] ? kl[AL_WALL] : kl[AL_REACH], "[axis.%s]: wall_clearance_mm and reach_mm "
                          "apply to [axis.recline] only", ax->name);
        x->limit_max = x->soft_max;
        if (!recline)
                return;
        if (!kl[AL_WALL] || !kl[AL_REACH]) {
                add_error(l, x->line_no, "[axis.recline]: a reclining backrest needs wall_clearance_mm (the free space "
                          "behind it) and reach_mm (how far back it goes at full recline)");
                return;
        }
        if (x->wall_clearance_mm < x->reach_mm)
                x->limit_max = MIN(x->limit_max, (int32_t) ((uint64_t) x->wall_clearance_mm * 1000 / x->reach_mm));
        if (x->limit_max <= x->soft_min)
                add_error(l, kl[AL_WALL], "[axis.recline]: wall_clearance_mm = %u leaves no room to recline (reach_mm "
                          "= %u)", x->wall_clearance_mm, x->reach_mm);
}

static void check_axes(struct loader *l) {
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                check_axis(l, a);
}

/* What the backends can run, from the map alone (no loader state), so it also checks a map
 * built in code: the GPIO and Modbus drivers carry no rules of their own and run this at open.
 * In a loaded map most of it was refused already, by the key tables' ranges. */
static void check_backend_rules(const struct hardware_map *m, struct ini_errors *e) {
        const char *path = m->path[0] ? m->path : "hardware map";

        for (unsigned i = 0; i < m->n_buses; i++) {
                const struct hw_bus *c = &m->buses[i];
                const char *why = NULL;

                if (c->slave > 247)
                        why = "slave must be 0..247";
                else if (c->response_timeout_ms == 0 || c->response_timeout_ms > 10000)
                        why = "timeout_ms must be 1..10000";
                else if (c->poll_interval_ms == 0)
                        why = "poll_ms must be at least 1";
                else if (c->heartbeat_register > 65535)
                        why = "heartbeat_register must be 0..65535";
                else if (c->heartbeat_register >= 0 && c->heartbeat_period_ms == 0)
                        why = "heartbeat_ms must be at least 1 with a heartbeat_register";
                else if (!c->tcp && (c->baud == 0 || (c->parity != 'N' && c->parity != 'E' && c->parity != 'O') ||
                                     (c->data_bits != 0 && (c->data_bits < 5 || c->data_bits > 8)) ||
                                     (c->stop_bits != 0 && c->stop_bits != 1 && c->stop_bits != 2)))
                        why = "serial settings (baud, parity N/E/O, data bits 5..8, stop bits 1..2) are unusable";
                if (why)
                        ini_errors_add(e, path, c->line_no, "[bus.%s]: %s", c->name, why);
        }
        for (unsigned k = 0; k < _CHAIR_OUT_MAX + _CHAIR_IN_MAX + _CHAIR_KEY_MAX; k++) {
                bool is_out = k < _CHAIR_OUT_MAX, is_key = k >= _CHAIR_OUT_MAX + _CHAIR_IN_MAX;
                unsigned in = k - _CHAIR_OUT_MAX, key = k - _CHAIR_OUT_MAX - _CHAIR_IN_MAX;
                const struct hw_binding *b = is_out ? &m->outputs[k] : is_key ? &m->panel.keys[key].binding : &m->inputs[in];
                const char *kind = is_out ? "output" : is_key ? "key" : "input";
                const char *name = is_out ? chair_output_info(k)->name : is_key ? chair_key_name(key) : chair_input_info(in)->name;
                bool direction = b->direction_offset >= 0 || b->direction_name[0];
                char why[160] = "";

                if (is_key && !m->panel.keys[key].present)
                        continue;
                if (!is_out && !is_key && in == CHAIR_IN_PANEL_KEY && m->panel.gpio_keys)
                        continue; /* the [key.*] lines are panel_key */
                if (b->backend == HW_BACKEND_GPIO) {
                        if (b->chip < 0 || (unsigned) b->chip >= m->n_gpio_chips)
                                snprintf(why, sizeof why, "no GPIO chip %d in the map", b->chip);
                        else if (is_out && chair_output_info(k)->kind != CHAIR_VALUE_PERCENT &&
                                 chair_output_info(k)->max - chair_output_info(k)->min > 1)
                                snprintf(why, sizeof why, "a setpoint with %d values cannot be driven by a GPIO line; "
                                         "bind it to modbus", chair_output_info(k)->max - chair_output_info(k)->min + 1);
                        else if (is_out && direction &&
                                 (chair_output_info(k)->kind != CHAIR_VALUE_PERCENT || chair_output_info(k)->min >= 0))
                                snprintf(why, sizeof why, "direction_line only applies to a motor that runs both ways");
                        else if (!is_out && !is_key && chair_input_info(in)->kind == CHAIR_VALUE_MEASURE)
                                snprintf(why, sizeof why, "a measurement cannot be read from a GPIO line; bind it to modbus");
                        else if (!is_out && direction && (is_key || in != CHAIR_IN_ENCODER))
                                snprintf(why, sizeof why, "direction_line only applies to the encoder (quadrature phase B)");
                } else if (b->backend == HW_BACKEND_MODBUS && !is_key) {
                        bool bit = b->table == HW_MODBUS_COIL || b->table == HW_MODBUS_DISCRETE_INPUT;
                        if (b->bus < 0 || (unsigned) b->bus >= m->n_buses)
                                snprintf(why, sizeof why, "names no bus");
                        else if (!isfinite(b->scale) || b->scale == 0)
                                snprintf(why, sizeof why, "scale must be a non-zero number");
                        else if (b->words != 1 && (b->words != 2 || bit))
                                snprintf(why, sizeof why, "words must be 1, or 2 for a register");
                        else if ((unsigned) b->address + b->words > 65536)
                                snprintf(why, sizeof why, "address runs past 65535");
                        else if (is_out && (b->table == HW_MODBUS_DISCRETE_INPUT || b->table == HW_MODBUS_INPUT_REGISTER))
                                snprintf(why, sizeof why, "an output needs a writable table (coil or holding)");
                        else if (!is_out)
                                for (unsigned j = 0; j < _CHAIR_IN_MAX && !why[0]; j++) {
                                        const struct hw_binding *o = &m->inputs[j];
                                        /* One block read per table per poll: 120 registers or bits at most. */
                                        if (o->backend == HW_BACKEND_MODBUS && o->bus == b->bus && o->table == b->table &&
                                            (int) o->address + o->words - 1 - (int) b->address >= 120)
                                                snprintf(why, sizeof why, "more than 120 addresses from another input of "
                                                         "its table on this bus (one block read)");
                                }
                }
                if (why[0])
                        ini_errors_add(e, path, b->line_no, "[%s.%s]: %s", kind, name, why);
        }
}

int hardware_map_check(const struct hardware_map *m, char *err, size_t size) {
        struct ini_errors *e = calloc(1, sizeof *e);
        int r = 0;

        if (!e)
                return -ENOMEM;
        check_backend_rules(m, e);
        if (e->count) {
                snprintf(err, size, "%s", e->text);
                r = -EINVAL;
        }
        free(e);
        return r;
}

static void check_map(struct loader *l) {
        struct hardware_map *m = l->map;

        if (!l->seen_chair)
                add_error(l, 1, "missing required section [chair]");
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
                if (!kl[3])
                        continue; /* required: reported with its keys */
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
        check_axes(l);
        /* Last, and only on an otherwise good map: what is left of them is what the key
         * tables cannot see (a setpoint on a GPIO line, inputs too far apart for one block read). */
        if (!l->errors.count)
                check_backend_rules(l->map, &l->errors);
}

/* The first MAX_ERRORS errors, and how many more there were. */
static void copy_errors(struct loader *l, char *buf, size_t size) {
        const char *p = l->errors.text;
        size_t len;

        for (unsigned n = 0; n < MAX_ERRORS && p; n++) {
                const char *nl = strchr(p, '\n');
                p = nl ? nl + 1 : NULL;
        }
        len = p ? (size_t) (p - 1 - l->errors.text) : l->errors.len;
        if (!size)
                return;
        snprintf(buf, size, "%.*s", (int) len, l->errors.text);
        if (l->errors.count > MAX_ERRORS && strlen(buf) + 40 < size)
                snprintf(buf + strlen(buf), size - strlen(buf), "\n%s: ... and %u more errors", l->path,
                         l->errors.count - MAX_ERRORS);
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
        _cleanup_free_ struct loader *l = NULL;
        struct ini_document doc;
        const char *what;
        unsigned bad_line;
        int r;

        if (error_size)
                ret_error[0] = 0;
        if (len > MAP_FILE_MAX) {
                snprintf(ret_error, error_size, "%s: refused: more than the %d bytes allowed", path, MAP_FILE_MAX);
                return -EFBIG;
        }
        l = calloc(1, sizeof *l);
        if (!l)
                return -ENOMEM;
        l->path = path;
        l->map = ret;
        map_defaults(ret, path);

        /* A file that is not text is that one error. */
        if (text_check(text, len, &bad_line, &what) < 0) {
                snprintf(ret_error, error_size, "%s:%u: the file contains %s", path, bad_line, what);
                return -EINVAL;
        }
        /* Parsing: syntax and duplicates. */
        r = ini_document_parse(path, text, len, &doc, &l->errors);
        if (r < 0) {
                ini_document_free(&doc);
                return r;
        }
        /* Checking: the keys read; the rules across sections only if no over-long line cut
         * the file short. */
        for (size_t i = 0; i < doc.n_sections; i++)
                read_section(l, &doc.sections[i]);
        if (!doc.stopped)
                check_map(l);
        ini_document_free(&doc);
        if (!l->errors.count)
                return 0;
        copy_errors(l, ret_error, error_size);
        return -EINVAL;
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
        ret->inputs[CHAIR_IN_HEARTBEAT_TRIPPED].backend = HW_BACKEND_NONE; /* no board, no heartbeat */
        /* The built-in chair is today's: no posture channels (they follow the heartbeat in the
         * I/O model's enums). hardware_map_simulated_posture() has them. */
        for (unsigned o = CHAIR_OUT_RECLINE_MOTOR; o < _CHAIR_OUT_MAX; o++)
                ret->outputs[o].backend = HW_BACKEND_NONE;
        for (unsigned i = CHAIR_IN_RECLINE_POSITION; i < _CHAIR_IN_MAX; i++)
                ret->inputs[i].backend = HW_BACKEND_NONE;
}

void hardware_map_simulated_posture(struct hardware_map *ret) {
        /* The reference chair's axes (hardware-maps/reference-chair.conf). */
        static const struct { uint32_t travel_mm, speed_mm_s; enum hw_obstruction obstruction; } axes[_CHAIR_AXIS_MAX] = {
                [CHAIR_AXIS_RECLINE] = { 400, 25, HW_OBSTRUCTION_CURRENT },
                [CHAIR_AXIS_LEGREST_LIFT] = { 300, 25, HW_OBSTRUCTION_BUMPER },
                [CHAIR_AXIS_LEGREST_EXTEND] = { 200, 15, HW_OBSTRUCTION_BUMPER },
                [CHAIR_AXIS_SEAT_SLIDE] = { 150, 12, HW_OBSTRUCTION_CURRENT },
        };

        /* The same model: --simulate's chair (daemon.c), the one the README shows. */
        hardware_map_simulated(ret);
        for (unsigned o = CHAIR_OUT_RECLINE_MOTOR; o < _CHAIR_OUT_MAX; o++)
                ret->outputs[o].backend = HW_BACKEND_SIM;
        for (unsigned i = CHAIR_IN_RECLINE_POSITION; i < _CHAIR_IN_MAX; i++)
                ret->inputs[i].backend = HW_BACKEND_SIM;
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++) {
                struct hw_axis *x = &ret->axes[a];
                x->present = true;
                x->travel_mm = axes[a].travel_mm;
                x->speed_mm_s = axes[a].speed_mm_s;
                x->obstruction = axes[a].obstruction;
                if (x->obstruction == HW_OBSTRUCTION_BUMPER)
                        x->bumper = CHAIR_IN_LEGREST_OBSTRUCTION;
                else
                        x->obstruction_rise_ma = 1500;
                x->limit_max = x->soft_max;
        }
        ret->axes[CHAIR_AXIS_RECLINE].wall_clearance_mm = 600;
        ret->axes[CHAIR_AXIS_RECLINE].reach_mm = 450;
}

const char *hw_backend_name(enum hw_backend b) {
        static const char *const names[] = { "none", "sim", "gpio", "modbus" };
        return (unsigned) b < ARRAY_SIZE(names) ? names[b] : "?";
}
