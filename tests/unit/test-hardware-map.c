/* SPDX-License-Identifier: MIT */
/* The strict hardware-map loader: good maps load, each kind of bad line is refused with
 * FILE:LINE: message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "hardware-map.h"

static char path[] = "/tmp/test-hwmap-XXXXXX";

static int load_text(const char *text, struct hardware_map *map, char *err, size_t size) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        return hardware_map_load(path, map, err, size);
}

static void expect_error(const char *text, unsigned line, const char *needle) {
        struct hardware_map map;
        char err[2048], prefix[300];
        int r = load_text(text, &map, err, sizeof err);
        if (r >= 0 || !strstr(err, needle))
                print_error("expected '%s' at line %u, got r=%d: %s\n", needle, line, r, err);
        assert_true(r < 0);
        snprintf(prefix, sizeof prefix, "%s:%u: ", path, line);
        if (!strstr(err, prefix))
                print_error("expected prefix '%s' in: %s\n", prefix, err);
        assert_non_null(strstr(err, prefix));
        assert_non_null(strstr(err, needle));
}

/* Every map needs its emergency stop: appended at the end, on a chip of its own, so the line
 * numbers above stay as they are. */
#define ESTOP "[gpio.estop_chip]\nlabel = estop\n[input.estop]\nbackend = gpio\nchip = estop_chip\nline = 0\n"

static const char *good =
        "# a mixed chair\n"
        "[chair]\n"
        "model = Test chair\n"
        "track_length_mm = 780\n"
        "auto_off_minutes = 30\n"
        "[limits]\n"
        "heater_max_temp_c = 55\n"
        "[gpio.main]\n"
        "label = gpio-sim.0\n"
        "[bus.board]\n"
        "type = tcp\n"
        "host = 127.0.0.1\n"
        "port = 1502\n"
        "heartbeat_register = 10\n"
        "[output.travel_motor]\n"
        "backend = gpio\n"
        "chip = main\n"
        "line = travel-enable\n"
        "direction_line = 3\n"
        "[input.limit_top]\n"
        "backend = gpio\n"
        "chip = main\n"
        "line = 5\n"
        "active_low = yes\n"
        "bias = pull-up\n"
        "debounce_ms = 10\n"
        "[output.air_pump]\n"
        "backend = modbus\n"
        "bus = board\n"
        "table = coil\n"
        "address = 0\n"
        "[input.encoder]\n"
        "backend = modbus\n"
        "bus = board\n"
        "table = input\n"
        "address = 0\n"
        "words = 2\n"
        "signed = yes\n"
        "[input.temp_lumbar]\n"
        "backend = modbus\n"
        "bus = board\n"
        "table = input\n"
        "address = 5\n"
        "scale = 0.5\n"
        "[input.air_pressure]\n"
        "backend = modbus\n"
        "bus = board\n"
        "table = input\n"
        "address = 6\n"
        "[output.air_release]\n"
        "backend = modbus\n"
        "bus = board\n"
        "table = coil\n"
        "address = 1\n"
        ESTOP;

static void test_good_map(void **state) {
        struct hardware_map map;
        char err[1024];
        int r = load_text(good, &map, err, sizeof err);
        if (r < 0)
                print_error("%s\n", err);
        assert_int_equal(r, 0);
        assert_string_equal(map.model, "Test chair");
        assert_int_equal(map.track_length_mm, 780);
        assert_int_equal(map.auto_off_default_min, 30);
        assert_int_equal(map.limits.heater_max_decic, 550);
        assert_int_equal(map.n_gpio_chips, 2);
        assert_int_equal(map.n_buses, 1);
        assert_true(map.buses[0].tcp);
        assert_string_equal(map.buses[0].port, "1502");
        assert_int_equal(map.buses[0].heartbeat_register, 10);
        assert_int_equal(map.outputs[CHAIR_OUT_TRAVEL_MOTOR].backend, HW_BACKEND_GPIO);
        assert_int_equal(map.outputs[CHAIR_OUT_TRAVEL_MOTOR].line_offset, -1);
        assert_string_equal(map.outputs[CHAIR_OUT_TRAVEL_MOTOR].line_name, "travel-enable");
        assert_int_equal(map.outputs[CHAIR_OUT_TRAVEL_MOTOR].direction_offset, 3);
        assert_true(map.inputs[CHAIR_IN_LIMIT_TOP].active_low);
        assert_int_equal(map.inputs[CHAIR_IN_LIMIT_TOP].debounce_us, 10000);
        assert_int_equal(map.inputs[CHAIR_IN_ENCODER].words, 2);
        assert_true(map.inputs[CHAIR_IN_ENCODER].is_signed);
        assert_true(map.inputs[CHAIR_IN_TEMP_LUMBAR].scale == 0.5);
        assert_int_equal(map.outputs[CHAIR_OUT_KNEAD_MOTOR].backend, HW_BACKEND_NONE);
}

static void test_scheduler_section(void **state) {
        struct hardware_map map;
        char err[1024];

        assert_int_equal(load_text("[chair]\nmodel = x\n" ESTOP, &map, err, sizeof err), 0);
        assert_int_equal(map.scheduler.priority, 50);
        assert_int_equal(map.scheduler.cpu, -1);
        assert_int_equal(load_text("[chair]\nmodel = x\n[scheduler]\npriority = 70\ncpu = 1\n" ESTOP, &map, err, sizeof err), 0);
        assert_int_equal(map.scheduler.priority, 70);
        assert_int_equal(map.scheduler.cpu, 1);
        assert_int_equal(map.scheduler.line_no, 3);
        assert_int_equal(load_text("[chair]\nmodel = x\n[scheduler]\ncpu = any\n" ESTOP, &map, err, sizeof err), 0);
        assert_int_equal(map.scheduler.cpu, -1);
        expect_error("[chair]\nmodel = x\n[scheduler]\npriority = 0\n", 4, "out of range (1..99)");
        expect_error("[chair]\nmodel = x\n[scheduler]\ncpu = first\n", 4, "not a whole number");
        expect_error("[chair]\nmodel = x\n[scheduler]\npolicy = rr\n", 4, "unknown key 'policy' in [scheduler]");
}

static void test_unknown_section(void **state) {
        expect_error("[chair]\nmodel = x\n[blower]\nspeed = 1\n", 3, "unknown section [blower]");
}

static void test_unknown_key(void **state) {
        expect_error("[chair]\nmodel = x\ncolour = red\n", 3, "unknown key 'colour'");
}

static void test_unknown_output(void **state) {
        expect_error("[chair]\nmodel = x\n[output.rocket]\nbackend = sim\n", 3, "unknown output");
}

static void test_duplicate_key(void **state) {
        expect_error("[chair]\nmodel = x\nmodel = y\n", 3, "duplicate key 'model'");
}

static void test_duplicate_section(void **state) {
        expect_error("[chair]\nmodel = x\n[output.air_pump]\nbackend = sim\n[output.air_pump]\nbackend = sim\n",
                     5, "duplicate section [output.air_pump]");
}

static void test_missing_required(void **state) {
        expect_error("[chair]\ntrack_length_mm = 800\n", 1, "missing required key 'model'");
        expect_error("[chair]\nmodel = x\n[output.air_pump]\nchip = main\n", 3, "missing required key 'backend'");
        expect_error("[chair]\nmodel = x\n[bus.b]\nhost = h\n", 3, "missing required key 'type'");
        expect_error("# nothing\n", 1, "missing required section [chair]");
}

static void test_out_of_range(void **state) {
        expect_error("[chair]\nmodel = x\ntrack_length_mm = 5000\n", 3, "out of range (300..1500)");
        expect_error("[chair]\nmodel = x\n[bus.b]\ntype = tcp\nhost = h\nport = 70000\n", 6, "out of range");
        expect_error("[chair]\nmodel = x\n[limits]\nheater_max_temp_c = 90\n", 4, "out of range (35..70)");
}

static void test_bad_value(void **state) {
        expect_error("[chair]\nmodel = x\ntrack_length_mm = 8O0\n", 3, "not a whole number");
        expect_error("[chair]\nmodel = x\nauto_off_minutes = 15\n", 3, "not one of: 10, 20, 30");
        expect_error("[chair]\nmodel = x\n[output.air_pump]\nbackend = relay\n", 4, "not one of: sim, gpio, modbus");
        expect_error("[chair]\nmodel = x\n[input.estop]\nbackend = gpio\nchip = c\nline = 1\nactive_low = maybe\n",
                     7, "not a boolean");
}

static void test_cross_checks(void **state) {
        expect_error("[chair]\nmodel = x\n[output.air_pump]\nbackend = gpio\nchip = nowhere\nline = 1\n",
                     5, "chip 'nowhere' has no [gpio.nowhere] section");
        expect_error("[chair]\nmodel = x\n[output.air_pump]\nbackend = sim\naddress = 4\n",
                     5, "key 'address' does not apply to backend sim");
        expect_error("[chair]\nmodel = x\n[bus.b]\ntype = tcp\nhost = h\nport = 1\n"
                     "[output.air_pump]\nbackend = modbus\nbus = b\ntable = input\naddress = 1\n",
                     10, "an output must be a coil or a holding register");
        expect_error("[chair]\nmodel = x\n[gpio.g]\nlabel = a\n[output.air_pump]\nbackend = gpio\nchip = g\nline = 1\n"
                     "[output.beeper]\nbackend = gpio\nchip = g\nline = 1\n",
                     9, "same GPIO line");
        expect_error("[chair]\nmodel = x\n[gpio.g]\n", 3, "exactly one of 'path' or 'label'");
        expect_error("[chair]\nmodel = x\n[bus.b]\ntype = rtu\n", 3, "type rtu needs 'device'");
}

/* A GPIO panel: one line per key. The header is 5 lines, so [key.power] starts at line 6. */
#define KEYS_HEAD "[chair]\nmodel = x\n[gpio.main]\nlabel = chair-gpio\n# keys\n"
#define GPIO_KEY(name, line) "[key." name "]\nbackend = gpio\nchip = main\nline = " line "\n"

static void test_gpio_keys(void **state) {
        struct hardware_map map;
        char err[2048];
        int r = load_text(KEYS_HEAD
                          GPIO_KEY("power", "key-power")                            /* 6 */
                          GPIO_KEY("start_pause", "7")                              /* 10 */
                          GPIO_KEY("intensity_up", "key-up")                        /* 14 */
                          "active_low = yes\nbias = pull-up\ndebounce_ms = 10\ncode = 42\n" ESTOP,
                          &map, err, sizeof err);
        if (r < 0)
                print_error("%s\n", err);
        assert_int_equal(r, 0);
        assert_true(map.panel.gpio_keys);
        /* panel_key is the GPIO backend's, with no line of its own. */
        assert_int_equal(map.inputs[CHAIR_IN_PANEL_KEY].backend, HW_BACKEND_GPIO);
        assert_int_equal(map.inputs[CHAIR_IN_PANEL_KEY].line_offset, -1);
        assert_string_equal(map.inputs[CHAIR_IN_PANEL_KEY].line_name, "");
        assert_int_equal(map.inputs[CHAIR_IN_PANEL_KEY].line_no, 0);
        /* Only the listed keys exist; unlisted ones are gone from the key map. */
        assert_true(map.panel.keys[CHAIR_KEY_POWER].present);
        assert_true(map.panel.keys[CHAIR_KEY_START_PAUSE].present);
        assert_true(map.panel.keys[CHAIR_KEY_INTENSITY_UP].present);
        assert_false(map.panel.keys[CHAIR_KEY_PROGRAM].present);
        assert_false(map.panel.keys[CHAIR_KEY_CHILD_LOCK].present);

        const struct hw_key *power = &map.panel.keys[CHAIR_KEY_POWER];
        assert_int_equal(power->code, CHAIR_KEY_POWER + 1);   /* the default code */
        assert_int_equal(power->binding.backend, HW_BACKEND_GPIO);
        assert_int_equal(power->binding.chip, 0);
        assert_int_equal(power->binding.line_offset, -1);
        assert_string_equal(power->binding.line_name, "key-power");
        assert_int_equal(power->binding.line_no, 6);
        assert_int_equal(map.panel.keys[CHAIR_KEY_START_PAUSE].binding.line_offset, 7);

        const struct hw_key *up = &map.panel.keys[CHAIR_KEY_INTENSITY_UP];
        assert_int_equal(up->code, 42);
        assert_true(up->binding.active_low);
        assert_int_equal(up->binding.bias, HW_BIAS_PULL_UP);
        assert_int_equal(up->binding.debounce_us, 10000);
        assert_int_equal(up->binding.line_no, 14);

        /* Without GPIO keys, panel_key is whatever [input.panel_key] says (here nothing). */
        r = load_text("[chair]\nmodel = x\n[key.power]\ncode = 9\n" ESTOP, &map, err, sizeof err);
        assert_int_equal(r, 0);
        assert_false(map.panel.gpio_keys);
        assert_int_equal(map.inputs[CHAIR_IN_PANEL_KEY].backend, HW_BACKEND_NONE);
}

static void test_gpio_key_errors(void **state) {
        /* A key's own line is GPIO only. */
        expect_error(KEYS_HEAD "[bus.b]\ntype = tcp\nhost = h\nport = 1\n"
                     "[key.power]\nbackend = modbus\nbus = b\ntable = discrete\naddress = 3\n",
                     11, "[key.power]: a key has its own line on backend gpio only");
        /* GPIO keys are panel_key: a separate [input.panel_key] is refused, on any backend. */
        expect_error(KEYS_HEAD GPIO_KEY("power", "key-power")
                     "[input.panel_key]\nbackend = gpio\nchip = main\nline = key-start\n",
                     10, "[input.panel_key]: the panel's keys are on their own GPIO lines");
        expect_error(KEYS_HEAD "[input.panel_key]\nbackend = sim\n" GPIO_KEY("power", "key-power"),
                     6, "panel_key cannot also be on backend sim");
        /* Two keys on one line (by name, and by offset). */
        expect_error(KEYS_HEAD GPIO_KEY("power", "key-power") GPIO_KEY("start_pause", "key-power"),
                     10, "start_pause uses the same GPIO line as power (line 6)");
        expect_error(KEYS_HEAD GPIO_KEY("power", "3") GPIO_KEY("timer", "3"),
                     10, "timer uses the same GPIO line as power (line 6)");
        /* A key line that is already an input's. */
        expect_error(KEYS_HEAD GPIO_KEY("power", "4") "[input.limit_top]\nbackend = gpio\nchip = main\nline = 4\n",
                     6, "power uses the same GPIO line as limit_top (line 10)");
        /* Duplicate codes: given, and given against another key's default. */
        expect_error(KEYS_HEAD GPIO_KEY("power", "1") "code = 20\n" GPIO_KEY("start_pause", "2") "code = 20\n",
                     15, "[key.start_pause]: code 20 is already the code of key power");
        expect_error(KEYS_HEAD GPIO_KEY("power", "1") GPIO_KEY("program", "2") "code = 1\n",
                     14, "[key.program]: code 1 is already the code of key power");
        /* An unknown key function. */
        expect_error(KEYS_HEAD GPIO_KEY("power", "1") GPIO_KEY("massage_harder", "2"),
                     10, "[key.massage_harder]: unknown key function");
        /* GPIO line settings need backend = gpio; a key without a line on a GPIO panel is dead. */
        expect_error(KEYS_HEAD "[key.power]\nchip = main\nline = 1\n",
                     7, "[key.power]: 'chip' applies to a key on its own GPIO line");
        expect_error(KEYS_HEAD GPIO_KEY("power", "1") "[key.timer]\ncode = 30\n",
                     10, "[key.timer]: the panel's keys are on their own GPIO lines; this key needs one too");
        /* A key is an input: no direction line; the chip must exist. */
        expect_error(KEYS_HEAD GPIO_KEY("power", "1") "direction_line = 2\n",
                     10, "[key.power]: direction_line applies to reversible motors only");
        expect_error(KEYS_HEAD "[key.power]\nbackend = gpio\nchip = side\nline = 1\n",
                     8, "[key.power]: chip 'side' has no [gpio.side] section");
}

static void test_syntax_and_long_line(void **state) {
        char text[600];
        expect_error("[chair]\nmodel = x\nthis line has no equals sign\n", 3, "syntax error");
        snprintf(text, sizeof text, "[chair]\nmodel = x\n# %0300d\n", 0);
        expect_error(text, 3, "line longer than");
}

static void test_missing_file(void **state) {
        struct hardware_map map;
        char err[256];
        assert_true(hardware_map_load("/nonexistent/chair.conf", &map, err, sizeof err) < 0);
        assert_non_null(strstr(err, "/nonexistent/chair.conf: cannot open"));
}

static void test_shipped_maps(void **state) {
        static const char *const maps[] = { "hardware-maps/reference-chair.conf", "hardware-maps/chairsim.conf" };
        const char *src = getenv("MCD_SOURCE_DIR");
        for (size_t i = 0; i < 2; i++) {
                struct hardware_map map;
                char p[512], err[2048];
                snprintf(p, sizeof p, "%s/%s", src ? src : ".", maps[i]);
                if (hardware_map_load(p, &map, err, sizeof err) < 0)
                        print_error("%s\n", err);
                assert_int_equal(hardware_map_load(p, &map, err, sizeof err), 0);
                assert_int_not_equal(map.outputs[CHAIR_OUT_TRAVEL_MOTOR].backend, HW_BACKEND_NONE);
                assert_int_not_equal(map.inputs[CHAIR_IN_ENCODER].backend, HW_BACKEND_NONE);
        }
}

static void test_simulated(void **state) {
        struct hardware_map map;
        char err[2048];

        /* The built-in chair is today's: everything but the posture channels on sim. */
        hardware_map_simulated(&map);
        for (unsigned i = 0; i < _CHAIR_OUT_MAX; i++)
                assert_int_equal(map.outputs[i].backend, i < CHAIR_OUT_RECLINE_MOTOR ? HW_BACKEND_SIM : HW_BACKEND_NONE);
        for (unsigned i = CHAIR_IN_RECLINE_POSITION; i < _CHAIR_IN_MAX; i++)
                assert_int_equal(map.inputs[i].backend, HW_BACKEND_NONE);
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                assert_false(map.axes[a].present);
        assert_int_equal(map.track_length_mm, 800);

        hardware_map_simulated_posture(&map);
        for (unsigned i = 0; i < _CHAIR_OUT_MAX; i++)
                assert_int_equal(map.outputs[i].backend, HW_BACKEND_SIM);
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++) {
                assert_true(map.axes[a].present);
                assert_int_not_equal(map.axes[a].obstruction, HW_OBSTRUCTION_NONE);
        }
        assert_int_equal(hardware_map_check(&map, err, sizeof err), 0);
}


/* One Modbus board for the interlock tests: [chair] at 1, [bus.b] at 3. */
#define BOARD "[chair]\nmodel = x\n[bus.b]\ntype = tcp\nhost = 127.0.0.1\nport = 1502\n"
#define MB(kind, name, table, addr) "[" kind "." name "]\nbackend = modbus\nbus = b\ntable = " table "\naddress = " addr "\n"

static void test_interlocks(void **state) {
        struct hardware_map map;
        char err[2048];

        /* 1-2 [chair], 3-6 [bus.b]; each MB() section is 5 lines. */
        expect_error("[chair]\nmodel = x\n", 1, "no [input.estop]");
        expect_error(BOARD MB("output", "travel_motor", "holding", "0"), 1, "no [input.estop]");
        expect_error(BOARD MB("input", "estop", "discrete", "0") MB("output", "travel_motor", "holding", "0"),
                     12, "[output.travel_motor] has no [input.encoder]");
        expect_error(BOARD MB("input", "estop", "discrete", "0") MB("output", "heat_calves", "coil", "0"),
                     12, "[output.heat_calves] has no [input.temp_calves]: a heater needs its temperature sensor");
        expect_error(BOARD MB("input", "estop", "discrete", "0") MB("output", "valve_seat", "coil", "0"),
                     12, "the air bags have no [output.air_release]");
        expect_error(BOARD MB("input", "estop", "discrete", "0") MB("output", "air_release", "coil", "1")
                     MB("output", "air_pump", "coil", "0"),
                     17, "[output.air_pump] has no [input.air_pressure]; a chair that inflates by time alone says so: "
                         "[chair] air_inflation = timed");
        /* Timed inflation, declared: loads. */
        assert_int_equal(load_text("[chair]\nmodel = x\nair_inflation = timed\n[bus.b]\ntype = tcp\nhost = h\nport = 1\n"
                                   MB("input", "estop", "discrete", "0") MB("output", "air_release", "coil", "1")
                                   MB("output", "air_pump", "coil", "0"), &map, err, sizeof err), 0);
        assert_true(map.air_timed_inflation);
        assert_int_equal(map.air_inflate_ms[1], 4000);  /* the default */
        assert_int_equal(map.air_inflate_ms[5], 12000);
        /* ... and its time per level, strict. */
#define TIMED(times) "[chair]\nmodel = x\nair_inflation = timed\nair_inflate_s = " times "\n[bus.b]\ntype = tcp\nhost = h\n" \
                     "port = 1\n" MB("input", "estop", "discrete", "0") MB("output", "air_release", "coil", "1") \
                     MB("output", "air_pump", "coil", "0")
        assert_int_equal(load_text(TIMED("2, 3,5 ,8, 13"), &map, err, sizeof err), 0);
        assert_int_equal(map.air_inflate_ms[1], 2000);
        assert_int_equal(map.air_inflate_ms[3], 5000);
        assert_int_equal(map.air_inflate_ms[5], 13000);
        expect_error(TIMED("2, 3, 5, 8"), 4, "air_inflate_s = '2, 3, 5, 8' is not 5 seconds for levels 1-5");
        expect_error(TIMED("2, 3, 5, 8, 13, 20"), 4, "has more than 5 levels");
        expect_error(TIMED("2, 3, 3, 8, 13"), 4, "level 3 (3 s) must inflate longer than level 2");
        expect_error(TIMED("0, 3, 4, 8, 13"), 4, "'0' for level 1 is not 1-60 seconds");
        expect_error(TIMED("2, 3, 4, 8, 50"), 4, "level 5 inflates 50 s, longer than [limits] air_max_inflate_s = 30");
#undef TIMED
        expect_error("[chair]\nmodel = x\nair_inflate_s = 1, 2, 3, 4, 5\n[bus.b]\ntype = tcp\nhost = h\nport = 1\n"
                     MB("input", "estop", "discrete", "0"),
                     3, "air_inflate_s is for a chair that inflates by time");
        expect_error("[chair]\nmodel = x\nair_inflation = timed\n[bus.b]\ntype = tcp\nhost = h\nport = 1\n"
                     MB("input", "estop", "discrete", "0") MB("input", "air_pressure", "input", "0"),
                     3, "air_inflation = timed, but [input.air_pressure] is given (line 13)");
        /* The heartbeat register on an output's holding register. */
        expect_error("[chair]\nmodel = x\n[bus.b]\ntype = tcp\nhost = h\nport = 1\nheartbeat_register = 11\n"
                     MB("input", "estop", "discrete", "0") MB("output", "display_fault", "holding", "11"),
                     7, "heartbeat_register = 11 is the holding register of output display_fault (line 13)");
        expect_error("[chair]\nmodel = x\n[bus.b]\ntype = tcp\nhost = h\nport = 1\nheartbeat_register = 11\n"
                     MB("input", "estop", "discrete", "0") "[input.encoder]\nbackend = modbus\nbus = b\ntable = holding\n"
                     "address = 10\nwords = 2\n",
                     7, "is the holding register of input encoder");
}

/* A map with one posture axis on a Modbus board: its motor, position, end switches, current,
 * the seat's occupancy and the bumper, each a section of its own that OMIT can leave out, then
 * [axis.AXIS] with KEYS. */
enum { P_MOTOR = 1, P_POSITION = 2, P_END_MIN = 4, P_END_MAX = 8, P_CURRENT = 16, P_OCCUPANCY = 32, P_BUMPER = 64,
       P_AXIS = 128 };

static const char *posture_map(const char *axis, unsigned omit, const char *keys) {
        static char buf[4096];
        /* name: the axis's NAME + suffix, or the whole name when it is not the axis's */
        const struct { unsigned bit; const char *kind, *name, *table; unsigned address; bool of_axis; } parts[] = {
                { P_MOTOR, "output", "_motor", "holding", 30, true },
                { P_POSITION, "input", "_position", "input", 12, true },
                { P_END_MIN, "input", "_end_min", "discrete", 4, true },
                { P_END_MAX, "input", "_end_max", "discrete", 5, true },
                { P_CURRENT, "input", "_current", "input", 16, true },
                { P_OCCUPANCY, "input", "seat_occupancy", "discrete", 6, false },
                { P_BUMPER, "input", "legrest_obstruction", "discrete", 7, false },
        };
        size_t n = (size_t) snprintf(buf, sizeof buf, "%s%s", BOARD, MB("input", "estop", "discrete", "0"));

        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
                char name[64];
                if (omit & parts[i].bit)
                        continue;
                snprintf(name, sizeof name, "%s%s", parts[i].of_axis ? axis : "", parts[i].name);
                n += (size_t) snprintf(buf + n, sizeof buf - n, "[%s.%s]\nbackend = modbus\nbus = b\ntable = %s\naddress = %u\n",
                                       parts[i].kind, name, parts[i].table, parts[i].address);
        }
        if (!(omit & P_AXIS))
                snprintf(buf + n, sizeof buf - n, "[axis.%s]\n%s", axis, keys);
        return buf;
}

/* The line of text where needle first appears. */
static unsigned line_of(const char *text, const char *needle) {
        const char *at = strstr(text, needle);
        unsigned line = 1;
        assert_non_null(at);
        for (const char *p = text; p < at; p++)
                line += *p == '\n';
        return line;
}

#define LIFT_KEYS "travel_mm = 300\nspeed_mm_s = 25\nobstruction = bumper\nbumper = legrest_obstruction\n"
#define RECLINE_KEYS "travel_mm = 400\nspeed_mm_s = 25\nobstruction = current\nobstruction_rise_ma = 1500\n"

static void expect_posture_error(const char *axis, unsigned omit, const char *keys, const char *at, const char *needle) {
        const char *text = posture_map(axis, omit, keys);
        expect_error(text, line_of(text, at), needle);
}

static void test_axes(void **state) {
        struct hardware_map map;
        char err[2048];
        const char *text = posture_map("legrest_lift", 0, LIFT_KEYS "soft_max_permille = 900\n");
        const struct hw_axis *x = &map.axes[CHAIR_AXIS_LEGREST_LIFT];

        if (load_text(text, &map, err, sizeof err) < 0)
                print_error("%s\n", err);
        assert_int_equal(load_text(text, &map, err, sizeof err), 0);
        assert_true(x->present);
        assert_false(map.axes[CHAIR_AXIS_RECLINE].present);
        assert_int_equal(x->travel_mm, 300);
        assert_int_equal(x->speed_mm_s, 25);
        assert_int_equal(x->duty_pct, 60);
        assert_int_equal(x->soft_min, 20);
        assert_int_equal(x->soft_max, 900);
        assert_int_equal(x->limit_max, 900);
        assert_int_equal(x->current_max_ma, 3000);
        assert_int_equal(x->travel_timeout_ms, 30000);
        assert_int_equal(x->obstruction, HW_OBSTRUCTION_BUMPER);
        assert_int_equal(x->bumper, CHAIR_IN_LEGREST_OBSTRUCTION);
        assert_int_equal(map.outputs[CHAIR_OUT_LEGREST_LIFT_MOTOR].backend, HW_BACKEND_MODBUS);

        /* The recline, by the current, within the wall's clearance: 300 of 450 mm is 666 per mille. */
        text = posture_map("recline", P_BUMPER, RECLINE_KEYS "wall_clearance_mm = 300\nreach_mm = 450\n");
        if (load_text(text, &map, err, sizeof err) < 0)
                print_error("%s\n", err);
        assert_int_equal(load_text(text, &map, err, sizeof err), 0);
        assert_int_equal(map.axes[CHAIR_AXIS_RECLINE].obstruction, HW_OBSTRUCTION_CURRENT);
        assert_int_equal(map.axes[CHAIR_AXIS_RECLINE].obstruction_rise_ma, 1500);
        assert_int_equal(map.axes[CHAIR_AXIS_RECLINE].limit_max, 666);
        /* Room enough: the soft limit. */
        text = posture_map("recline", P_BUMPER, RECLINE_KEYS "wall_clearance_mm = 900\nreach_mm = 450\n");
        assert_int_equal(load_text(text, &map, err, sizeof err), 0);
        assert_int_equal(map.axes[CHAIR_AXIS_RECLINE].limit_max, 980);

        /* A moving axis without what makes it safe, each refused at its section with the reason. */
        expect_posture_error("legrest_lift", P_END_MAX, LIFT_KEYS, "[axis.", "needs both end switches: the map has no [input.legrest_lift_end_max]");
        expect_posture_error("legrest_lift", P_END_MIN, LIFT_KEYS, "[axis.", "needs both end switches: the map has no [input.legrest_lift_end_min]");
        expect_posture_error("legrest_lift", P_POSITION, LIFT_KEYS, "[axis.", "[input.legrest_lift_position]");
        expect_posture_error("legrest_lift", P_CURRENT, LIFT_KEYS, "[axis.", "[input.legrest_lift_current]");
        expect_posture_error("legrest_lift", P_OCCUPANCY, LIFT_KEYS, "[axis.", "needs [input.seat_occupancy]");
        expect_posture_error("legrest_lift", 0, "travel_mm = 300\nspeed_mm_s = 25\n", "[axis.", "needs an obstruction source");
        expect_posture_error("legrest_lift", 0, "travel_mm = 300\nspeed_mm_s = 25\nobstruction = current\n", "obstruction =",
                             "obstruction = current needs obstruction_rise_ma");
        expect_posture_error("legrest_lift", 0, "travel_mm = 300\nspeed_mm_s = 25\nobstruction = bumper\n", "obstruction =",
                             "obstruction = bumper needs bumper = INPUT");
        expect_posture_error("legrest_lift", P_BUMPER, LIFT_KEYS, "bumper =", "but the map has no [input.legrest_obstruction]");
        expect_posture_error("legrest_lift", 0, RECLINE_KEYS "bumper = legrest_obstruction\n", "bumper =",
                             "bumper applies to obstruction = bumper");
        expect_posture_error("legrest_lift", 0, LIFT_KEYS "obstruction_rise_ma = 500\n", "obstruction_rise_ma",
                             "obstruction_rise_ma applies to obstruction = current");
        expect_posture_error("legrest_lift", P_AXIS, "", "[output.legrest_lift_motor]", "has no [axis.legrest_lift]");
        expect_posture_error("legrest_lift", P_MOTOR, LIFT_KEYS, "[axis.", "binds no [output.legrest_lift_motor]");
        /* Bad values. */
        expect_posture_error("legrest_lift", 0, LIFT_KEYS "travel_mm = 5\n", "travel_mm = 5", "duplicate");
        expect_posture_error("legrest_lift", 0, "travel_mm = 5\nspeed_mm_s = 25\nobstruction = bumper\nbumper = legrest_obstruction\n",
                             "travel_mm", "out of range (10..2000)");
        expect_posture_error("legrest_lift", 0, "travel_mm = 300\nspeed_mm_s = 25\nobstruction = magic\n", "obstruction = magic",
                             "bumper, current");
        expect_posture_error("legrest_lift", 0, "travel_mm = 300\nspeed_mm_s = 25\nobstruction = bumper\nbumper = estop\n",
                             "bumper =", "is not a bumper input");
        expect_posture_error("legrest_lift", 0, LIFT_KEYS "soft_min_permille = 600\nsoft_max_permille = 500\n", "[axis.",
                             "soft_min_permille = 600 must be below soft_max_permille = 500");
        expect_posture_error("legrest_lift", 0, "travel_mm = 2000\nspeed_mm_s = 5\nobstruction = bumper\nbumper = legrest_obstruction\n",
                             "[axis.", "one travel takes 666666 ms at duty_pct = 60, longer than travel_timeout_s = 30");
        expect_posture_error("legrest_lift", 0, LIFT_KEYS "travel_timeout_s = 100\n", "[axis.",
                             "exceeds the motor's maximum on-time (30 s)");
        expect_posture_error("legrest_lift", 0, LIFT_KEYS "obstruction_rise_ma = 500\n", "obstruction_rise_ma", "applies to");
        expect_posture_error("recline", P_BUMPER, RECLINE_KEYS "obstruction_rise_ma = 3000\n", "obstruction_rise_ma = 3000",
                             "duplicate");
        expect_posture_error("recline", P_BUMPER, "travel_mm = 400\nspeed_mm_s = 25\nobstruction = current\nobstruction_rise_ma = 3000\n"
                             "wall_clearance_mm = 600\nreach_mm = 450\n", "obstruction_rise_ma",
                             "obstruction_rise_ma = 3000 must be below current_max_ma = 3000");
        expect_posture_error("legrest_lift", 0, LIFT_KEYS "wall_clearance_mm = 600\n", "wall_clearance_mm",
                             "apply to [axis.recline] only");
        expect_posture_error("recline", P_BUMPER, RECLINE_KEYS, "[axis.", "a reclining backrest needs wall_clearance_mm");
        expect_posture_error("recline", P_BUMPER, RECLINE_KEYS "wall_clearance_mm = 5\nreach_mm = 450\n", "wall_clearance_mm",
                             "leaves no room to recline");
        expect_error(BOARD MB("input", "estop", "discrete", "0") "[axis.armrest]\ntravel_mm = 10\n", 12, "unknown axis");

        /* The seat's load cell on a register, read as a switch. */
        text = BOARD MB("input", "estop", "discrete", "0") MB("input", "seat_occupancy", "input", "3") "scale = 0.1\nthreshold = 20.5\n";
        if (load_text(text, &map, err, sizeof err) < 0)
                print_error("%s\n", err);
        assert_int_equal(load_text(text, &map, err, sizeof err), 0);
        assert_true(map.inputs[CHAIR_IN_SEAT_OCCUPANCY].has_threshold);
        assert_true(map.inputs[CHAIR_IN_SEAT_OCCUPANCY].threshold > 20.4 && map.inputs[CHAIR_IN_SEAT_OCCUPANCY].threshold < 20.6);
        expect_error(BOARD MB("input", "estop", "discrete", "0") MB("input", "seat_occupancy", "discrete", "3") "threshold = 20\n",
                     17, "threshold applies to a 0/1 input read from a register");
        expect_error(BOARD MB("input", "estop", "discrete", "0") MB("input", "supply_voltage", "input", "3") "threshold = 20\n",
                     17, "threshold applies to a 0/1 input read from a register");
        expect_error(BOARD MB("input", "estop", "discrete", "0") MB("input", "seat_occupancy", "input", "3") "threshold = 0x10\n",
                     17, "threshold = '0x10' is not a number");
}

static void test_sim_backend(void **state) {
        struct hardware_map map;
        char err[2048];

        expect_error("[chair]\nmodel = x\n[input.estop]\nbackend = sim\n", 4, "backend = sim in a map of a real chair");
        assert_int_equal(load_text("[chair]\nmodel = x\nsimulated = yes\n[input.estop]\nbackend = sim\n", &map, err,
                                   sizeof err), 0);
        assert_true(map.simulated);
        expect_error("[chair]\nmodel = x\nsimulated = yes\n[bus.b]\ntype = tcp\nhost = h\nport = 1\n"
                     MB("input", "estop", "discrete", "0"),
                     9, "a simulated chair ([chair] simulated = yes, line 3) has backend sim only, not modbus");
}

static void test_numbers_base_10(void **state) {
        struct hardware_map map;
        char err[2048];

        assert_int_equal(load_text(BOARD MB("input", "estop", "discrete", "010"), &map, err, sizeof err), 0);
        assert_int_equal(map.inputs[CHAIR_IN_ESTOP].address, 10); /* never octal 8 */
        expect_error(BOARD MB("input", "estop", "discrete", "0x10"), 11, "address = '0x10' is not a whole number (base 10)");
        expect_error(BOARD MB("input", "estop", "discrete", "4294967297"), 11, "address = 4294967297 is out of range");
        expect_error(BOARD MB("input", "estop", "discrete", "0") "[input.temp_lumbar]\nbackend = modbus\nbus = b\n"
                     "table = input\naddress = 1\nscale = 0x1p-3\n", 17, "scale = '0x1p-3' is not a non-zero number");
        expect_error(BOARD MB("input", "estop", "discrete", "0") "[input.temp_lumbar]\nbackend = modbus\nbus = b\n"
                     "table = input\naddress = 1\nscale = nan\n", 17, "scale = 'nan'");
        expect_error(BOARD MB("input", "estop", "discrete", "0") "[input.temp_lumbar]\nbackend = modbus\nbus = b\n"
                     "table = input\naddress = 1\nscale = -inf\n", 17, "scale = '-inf'");
}

static void test_bad_bytes(void **state) {
        struct hardware_map map;
        char err[512];
        FILE *f;

        expect_error("[chair]\nmodel = caf\xc3\xa9\n\n# \xff\n", 4, "the file contains invalid UTF-8");
        /* A NUL byte: written by hand, the text functions stop at it. */
        f = fopen(path, "w");
        assert_non_null(f);
        fwrite("[chair]\nmodel = x\0y\n", 1, 20, f);
        fclose(f);
        assert_true(hardware_map_load(path, &map, err, sizeof err) < 0);
        assert_non_null(strstr(err, ":2: the file contains a NUL byte"));
        expect_error("[chair] [limits]\nmodel = x\n", 1, "text after the section header (one section per line)");
}

static void test_not_a_regular_file(void **state) {
        struct hardware_map map;
        char err[512], fifo[64];

        /* Refused at once: reading /dev/zero or waiting on a FIFO's writer would hang start-up. */
        assert_int_equal(hardware_map_load("/dev/zero", &map, err, sizeof err), -EBADFD);
        assert_non_null(strstr(err, "/dev/zero: refused: a character device"));
        snprintf(fifo, sizeof fifo, "%s.fifo", path);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        assert_int_equal(hardware_map_load(fifo, &map, err, sizeof err), -EBADFD);
        assert_non_null(strstr(err, "refused: a FIFO"));
        unlink(fifo);
        assert_int_equal(hardware_map_load("/tmp", &map, err, sizeof err), -EISDIR);
}

/* The rules the backends relied on at open are the loader's, with the map's line. */
static void test_backend_rules(void **state) {
        struct hardware_map map;
        char err[1024];

        expect_error("[chair]\nmodel = x\n[gpio.main]\nlabel = m\n[output.width]\nbackend = gpio\nchip = main\nline = 3\n" ESTOP,
                     5, "[output.width]: a setpoint with 3 values cannot be driven by a GPIO line; bind it to modbus");
        expect_error("[chair]\nmodel = x\n[gpio.main]\nlabel = m\n[input.motor_current]\nbackend = gpio\nchip = main\nline = 3\n" ESTOP,
                     5, "[input.motor_current]: a measurement cannot be read from a GPIO line");
        expect_error("[chair]\nmodel = x\n[bus.b]\ntype = tcp\nhost = h\nport = 1\n"
                     "[input.limit_top]\nbackend = modbus\nbus = b\ntable = discrete\naddress = 0\n"
                     "[input.limit_bottom]\nbackend = modbus\nbus = b\ntable = discrete\naddress = 130\n" ESTOP,
                     7, "[input.limit_top]: more than 120 addresses from another input of its table on this bus");
        /* A map built in code (the probes) gets the same rules from hardware_map_check. */
        hardware_map_simulated(&map);
        assert_int_equal(hardware_map_check(&map, err, sizeof err), 0);
        map.n_gpio_chips = 1;
        map.outputs[CHAIR_OUT_WIDTH] = (struct hw_binding) { .backend = HW_BACKEND_GPIO, .chip = 0, .line_offset = 3,
                                                             .direction_offset = -1, .bus = -1, .line_no = 300 };
        assert_int_equal(hardware_map_check(&map, err, sizeof err), -EINVAL);
        assert_non_null(strstr(err, ":300: [output.width]: a setpoint with 3 values"));
        map.outputs[CHAIR_OUT_WIDTH].chip = 2;
        assert_int_equal(hardware_map_check(&map, err, sizeof err), -EINVAL);
        assert_non_null(strstr(err, ":300: [output.width]: no GPIO chip 2 in the map"));
}

/* A key no table reads is an error at its line, whatever the section kind; required keys
 * come from the tables too. */
static void test_unread_keys(void **state) {
        expect_error("[chair]\nmodel = x\n[gpio.main]\nlabel = m\ncolour = 1\n", 5,
                     "unknown key 'colour' in [gpio.main] (path, label)");
        expect_error("[chair]\nmodel = x\n[output.air_pump]\nbackend = sim\ncode = 3\n", 5,
                     "unknown key 'code' in [output.air_pump]");
        expect_error("[chair]\nmodel = x\n[panel]\nlong_press = 3\n", 4,
                     "unknown key 'long_press' in [panel] (long_press_ms, repeat_delay_ms, repeat_interval_ms, child_lock_ms)");
        expect_error("[chair]\nmodel = x\n[bus.x]\nhost = h\nport = 1\n", 3, "[bus.x]: missing required key 'type' (tcp, rtu)");
        expect_error("# a comment\n[chair]\ntrack_length_mm = 800\n", 2, "[chair]: missing required key 'model'");
}

/* Every key of the tables is in docs/hardware-map.md under its section, and every key the
 * doc's tables list is one the loader reads. */
#define DOC_KEYS_MAX 64
struct doc_kind {
        char name[16];
        char keys[DOC_KEYS_MAX][32];
        unsigned n;
};

static struct doc_kind *doc_kind(struct doc_kind *kinds, unsigned *n, const char *name) {
        for (unsigned i = 0; i < *n; i++)
                if (strcmp(kinds[i].name, name) == 0)
                        return &kinds[i];
        assert_true(*n < 16);
        snprintf(kinds[*n].name, sizeof kinds[*n].name, "%s", name);
        kinds[*n].n = 0;
        return &kinds[(*n)++];
}

static bool doc_has(const struct doc_kind *k, const char *key) {
        for (unsigned i = 0; k && i < k->n; i++)
                if (strcmp(k->keys[i], key) == 0)
                        return true;
        return false;
}

static void test_doc_lists_every_key(void **state) {
        static struct doc_kind kinds[16];
        unsigned n_kinds = 0, n_current = 0;
        struct doc_kind *current[2] = {};
        const char *src = getenv("MCD_SOURCE_DIR");
        char p[512], line[1024];
        FILE *f;

        snprintf(p, sizeof p, "%s/docs/hardware-map.md", src ? src : ".");
        f = fopen(p, "r");
        assert_non_null(f);
        while (fgets(line, sizeof line, f)) {
                if (line[0] == '#') {
                        /* "### `[bus.NAME]`: ..." or "### `[output.NAME]` and `[input.NAME]`: ..." */
                        n_current = 0;
                        for (char *s = line; (s = strstr(s, "`[")) && n_current < 2; s += 2) {
                                char name[16];
                                size_t len = strcspn(s + 2, ".]");
                                snprintf(name, sizeof name, "%.*s", (int) len, s + 2);
                                current[n_current++] = doc_kind(kinds, &n_kinds, name);
                        }
                        continue;
                }
                if (strncmp(line, "| `", 3) != 0 || !n_current)
                        continue;
                /* The first cell's `key` or `key = value` names. */
                char *end = strchr(line + 1, '|');
                assert_non_null(end);
                *end = 0;
                for (char *s = line + 1; (s = strchr(s, '`'));) {
                        char *close = strchr(s + 1, '`');
                        size_t len;
                        assert_non_null(close);
                        len = strcspn(s + 1, " =`");
                        for (unsigned c = 0; c < n_current; c++) {
                                assert_true(current[c]->n < DOC_KEYS_MAX);
                                snprintf(current[c]->keys[current[c]->n++], 32, "%.*s", (int) len, s + 1);
                        }
                        s = close + 1;
                }
        }
        fclose(f);

        for (size_t kind = 0; kind < hardware_map_section_kinds(); kind++) {
                const char *kind_name = NULL, *key;
                bool named;
                struct doc_kind *d, *bindings;
                unsigned n_table = 0;

                hardware_map_section_key(kind, 0, &kind_name, &named);
                d = doc_kind(kinds, &n_kinds, kind_name);
                /* [key.NAME] documents its binding keys as "as for inputs". */
                bindings = strcmp(kind_name, "key") == 0 ? doc_kind(kinds, &n_kinds, "input") : NULL;
                for (size_t i = 0; (key = hardware_map_section_key(kind, i, &kind_name, &named)); i++) {
                        if (!doc_has(d, key) && !doc_has(bindings, key))
                                print_error("[%s%s]: key '%s' is not in docs/hardware-map.md\n", kind_name,
                                            named ? ".NAME" : "", key);
                        assert_true(doc_has(d, key) || doc_has(bindings, key));
                        n_table++;
                }
                for (unsigned i = 0; i < d->n; i++) {
                        bool found = false;
                        for (size_t j = 0; (key = hardware_map_section_key(kind, j, &kind_name, &named)); j++)
                                found = found || strcmp(key, d->keys[i]) == 0;
                        if (!found)
                                print_error("docs/hardware-map.md: [%s] lists '%s', which no table reads\n", kind_name,
                                            d->keys[i]);
                        assert_true(found);
                }
                assert_true(n_table > 0);
        }
        /* Every section the doc describes is a kind of the loader's. */
        assert_int_equal(n_kinds, hardware_map_section_kinds());
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_good_map),        cmocka_unit_test(test_unknown_section),
                cmocka_unit_test(test_unknown_key),     cmocka_unit_test(test_unknown_output),
                cmocka_unit_test(test_duplicate_key),   cmocka_unit_test(test_duplicate_section),
                cmocka_unit_test(test_missing_required), cmocka_unit_test(test_out_of_range),
                cmocka_unit_test(test_bad_value),       cmocka_unit_test(test_cross_checks),
                cmocka_unit_test(test_syntax_and_long_line), cmocka_unit_test(test_missing_file),
                cmocka_unit_test(test_simulated),      cmocka_unit_test(test_shipped_maps),
                cmocka_unit_test(test_gpio_keys),      cmocka_unit_test(test_gpio_key_errors),
                cmocka_unit_test(test_scheduler_section),
                cmocka_unit_test(test_interlocks),     cmocka_unit_test(test_sim_backend),
                cmocka_unit_test(test_numbers_base_10), cmocka_unit_test(test_bad_bytes),
                cmocka_unit_test(test_not_a_regular_file),
                cmocka_unit_test(test_backend_rules),  cmocka_unit_test(test_unread_keys),
                cmocka_unit_test(test_doc_lists_every_key), cmocka_unit_test(test_axes),
        };
        int fd = mkstemp(path), r;
        if (fd < 0)
                return 1;
        close(fd);
        r = cmocka_run_group_tests(tests, NULL, NULL);
        unlink(path);
        return r;
}
