/* SPDX-License-Identifier: MIT */
/* The strict hardware-map loader: good maps load, each kind of bad line is refused with
 * FILE:LINE: message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
        "scale = 0.5\n";

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
        assert_int_equal(map.n_gpio_chips, 1);
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
        hardware_map_simulated(&map);
        for (unsigned i = 0; i < _CHAIR_OUT_MAX; i++)
                assert_int_equal(map.outputs[i].backend, HW_BACKEND_SIM);
        assert_int_equal(map.track_length_mm, 800);
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
        };
        int fd = mkstemp(path), r;
        if (fd < 0)
                return 1;
        close(fd);
        r = cmocka_run_group_tests(tests, NULL, NULL);
        unlink(path);
        return r;
}
