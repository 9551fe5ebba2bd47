/* SPDX-License-Identifier: MIT */
/*
 * chairctl hw: every input and output of the chair with its binding (GPIO chip and line, or
 * Modbus bus, table and address) and, when the daemon answers, its current value in units, as
 * gpioinfo lists lines. The bindings are read from the hardware map itself (chairctl reads
 * files only here and in 'profile'); the values come from the daemon's diagnostics.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chair-client.h"
#include "hardware-map.h"
#include "hw-command.h"
#include "macro.h"
#include "output.h"

struct values {
        bool known[_CHAIR_OUT_MAX + _CHAIR_IN_MAX];
        int64_t v[_CHAIR_OUT_MAX + _CHAIR_IN_MAX];
};

static void value_entry(void *userdata, const char *key, int64_t x) {
        struct values *vals = userdata;
        int i = -1;

        if (strncmp(key, "output.", 7) == 0)
                i = chair_output_from_name(key + 7);
        else if (strncmp(key, "input.", 6) == 0 && (i = chair_input_from_name(key + 6)) >= 0)
                i += _CHAIR_OUT_MAX;
        if (i < 0)
                return;
        vals->known[i] = true;
        vals->v[i] = x;
}

static void read_values(sd_bus *bus, struct values *vals) {
        memset(vals, 0, sizeof *vals);
        client_read_diagnostics(bus, value_entry, vals);
}

static const char *const tables[] = {
        [HW_MODBUS_COIL] = "coil",
        [HW_MODBUS_DISCRETE_INPUT] = "discrete",
        [HW_MODBUS_HOLDING] = "holding",
        [HW_MODBUS_INPUT_REGISTER] = "input",
};

static void describe_binding(const struct hardware_map *map, const struct hw_binding *b, char *buf, size_t size) {
        switch (b->backend) {
        case HW_BACKEND_GPIO: {
                const struct hw_gpio_chip *c = b->chip >= 0 && (unsigned) b->chip < map->n_gpio_chips
                                                       ? &map->gpio_chips[b->chip]
                                                       : NULL;
                char line[HW_NAME_MAX + 16], dir[HW_NAME_MAX + 16] = "";
                if (b->line_offset >= 0)
                        snprintf(line, sizeof line, "line %d", b->line_offset);
                else
                        snprintf(line, sizeof line, "line \"%s\"", b->line_name);
                if (b->direction_offset >= 0)
                        snprintf(dir, sizeof dir, " dir line %d", b->direction_offset);
                else if (b->direction_name[0])
                        snprintf(dir, sizeof dir, " dir \"%s\"", b->direction_name);
                snprintf(buf, size, "gpio %s %s%s%s", c ? (c->path[0] ? c->path : c->label) : "?", line, dir,
                         b->active_low ? " active-low" : "");
                break;
        }
        case HW_BACKEND_MODBUS: {
                const struct hw_bus *bus = b->bus >= 0 && (unsigned) b->bus < map->n_buses ? &map->buses[b->bus] : NULL;
                snprintf(buf, size, "modbus %s %s %u%s", bus ? bus->name : "?",
                         (unsigned) b->table < ARRAY_SIZE(tables) ? tables[b->table] : "?", b->address,
                         b->words == 2 ? " (32-bit)" : "");
                break;
        }
        case HW_BACKEND_SIM:
                snprintf(buf, size, "simulated");
                break;
        default:
                snprintf(buf, size, "-");
        }
}

/* A raw value in the unit a person reads: 0.1 degC as °C, 0.1 kPa as kPa, mV as V, pulses as mm. */
static void format_value(const struct hardware_map *map, const char *unit, int64_t v, char *buf, size_t size,
                         double *ret_value, const char **ret_unit) {
        double d = (double) v;
        const char *u = unit;
        if (strcmp(unit, "0.1degC") == 0)
                d /= 10, u = "°C";
        else if (strcmp(unit, "0.1kPa") == 0)
                d /= 10, u = "kPa";
        else if (strcmp(unit, "mV") == 0)
                d /= 1000, u = "V";
        else if (strcmp(unit, "pulses") == 0 && map->pulses_per_mm > 0)
                d /= map->pulses_per_mm, u = "mm";
        else if (strcmp(unit, "permille") == 0)
                d /= 10, u = "%";
        *ret_value = d;
        *ret_unit = u;
        if (d == (double) (int64_t) d)
                snprintf(buf, size, "%lld%s%s", (long long) d, *u ? " " : "", u);
        else
                snprintf(buf, size, "%.1f%s%s", d, *u ? " " : "", u);
}

int chairctl_hw(sd_bus *bus, const char *config, bool json, bool pretty, bool no_legend) {
        _cleanup_free_ struct hardware_map *map = calloc(1, sizeof *map);
        struct values vals;
        struct json j = { .f = stdout, .pretty = pretty };
        char error[1024], model[96] = "";
        int r;

        if (!map)
                return client_report_error(NULL, -ENOMEM);
        /* No map named: the daemon's own, which is the built-in one when it simulates. */
        if (!config && bus) {
                char *m = NULL;
                if (sd_bus_get_property_string(bus, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, CHAIR_INTERFACE, "Model", NULL,
                                               &m) >= 0)
                        snprintf(model, sizeof model, "%s", m);
                free(m);
        }
        if (!config && strncmp(model, "simulated", 9) == 0)
                hardware_map_simulated(map);
        else {
                const char *path = config ? config : MCD_SYSCONFDIR "/chair.conf";
                r = hardware_map_load(path, map, error, sizeof error);
                if (r < 0) {
                        fprintf(stderr, "%s\n", error[0] ? error : strerror(-r));
                        return EXIT_CALL_FAILED;
                }
        }
        read_values(bus, &vals);

        if (json)
                json_begin_array(&j, NULL);
        else if (!no_legend)
                printf("%-6s %-18s %-40s %s\n", "KIND", "NAME", "BINDING", "VALUE");
        for (unsigned i = 0; i < _CHAIR_OUT_MAX + _CHAIR_IN_MAX; i++) {
                bool out = i < _CHAIR_OUT_MAX;
                const struct hw_binding *b = out ? &map->outputs[i] : &map->inputs[i - _CHAIR_OUT_MAX];
                const char *name = out ? chair_output_info(i)->name : chair_input_info(i - _CHAIR_OUT_MAX)->name;
                const char *unit = out ? (chair_output_info(i)->kind == CHAIR_VALUE_PERCENT ? "%" : "")
                                       : chair_input_info(i - _CHAIR_OUT_MAX)->unit;
                char binding[HW_PATH_MAX + 2 * HW_NAME_MAX + 96], value[48] = "-";
                double d = 0;
                const char *u = "";

                describe_binding(map, b, binding, sizeof binding);
                if (vals.known[i])
                        format_value(map, unit, vals.v[i], value, sizeof value, &d, &u);
                if (json) {
                        json_begin_object(&j, NULL);
                        json_str(&j, "kind", out ? "output" : "input");
                        json_str(&j, "name", name);
                        json_str(&j, "backend", hw_backend_name(b->backend));
                        json_str(&j, "binding", binding);
                        if (vals.known[i]) {
                                json_double(&j, "value", d);
                                json_str(&j, "unit", u);
                        }
                        json_end_object(&j);
                } else
                        printf("%-6s %-18s %-40s %s\n", out ? "output" : "input", name, binding, value);
        }
        if (json)
                json_end_array(&j);
        else if (!no_legend)
                printf("\n%s: %s%s\n", map->path[0] ? map->path : "map", map->model,
                       bus && vals.known[_CHAIR_OUT_MAX] ? "" : " (values need the daemon and technician rights)");
        return 0;
}
