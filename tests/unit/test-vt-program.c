/* SPDX-License-Identifier: MIT */
/* One program as a person starts it on the whole chair (tests/vt/vt-program.h): a fault the
 * supervisor raises is named by the step running then (what `chairctl profile check` turns into
 * FILE:LINE), and a healthy run ends completed with nothing reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vt-program.h"

/* demo.ini: knead-up 0-20 s, tap-down 20-40 s, press 40-60 s, roll-out 60-90 s. */
static void test_fault_names_its_step(void **state) {
        struct vt_program_result r;
        char buf[400];

        assert_int_equal(vt_program_run(&(struct vt_program_options) { .program = "demo", .inject = "estop",
                                                                       .inject_at_ms = 30000 }, &r), 0);
        print_message("%s; states %s\n", vt_program_first_fault(&r, buf, sizeof buf), r.states);
        assert_false(r.refused);
        assert_false(r.idle);
        assert_true(r.n_faults >= 1);
        assert_string_equal(r.faults[0].code, "emergency-stop");
        assert_int_equal(r.faults[0].step, 1);
        assert_in_range(r.faults[0].at_ms, 29000, 31000);
        assert_string_equal(r.finished, "fault");
}

static void test_healthy_run(void **state) {
        struct vt_program_result r;
        char buf[400];

        assert_int_equal(vt_program_run(&(struct vt_program_options) { .program = "demo", .intensity = 5 }, &r), 0);
        print_message("%s; states %s, planned %u ms, ran %llu ms\n", vt_program_first_fault(&r, buf, sizeof buf), r.states,
                      r.planned_ms, (unsigned long long) r.ran_ms);
        assert_int_equal(r.n_faults, 0);
        assert_true(r.idle);
        assert_string_equal(r.finished, "completed");
        assert_string_equal(r.states, "running settling idle");
        assert_int_equal(r.intensity, 5);
        assert_int_equal(r.planned_ms, 90000);
        assert_int_equal(r.sweeps_missed, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fault_names_its_step),
                cmocka_unit_test(test_healthy_run),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
