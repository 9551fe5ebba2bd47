/* SPDX-License-Identifier: MIT */
/* The one change channel (daemon/changes.c), the core's reasons (chair-error.c) and their one
 * table of named D-Bus errors (bus/bus-errors.c), and the vocabularies' two-way lookups, without
 * a daemon. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bus/bus-errors.h"
#include "changes.h"
#include "fault-codes.h"
#include "session.h"
#include "vocab.h"

struct record {
        uint32_t deliveries[8];
        unsigned n;
        char events[8][32];
        unsigned n_events;
        struct chair_changes *c;
        uint32_t mark_from_subscriber;
};

static void on_changes(uint32_t changed, void *userdata) {
        struct record *r = userdata;
        r->deliveries[r->n++ % 8] = changed;
        if (r->mark_from_subscriber) {
                chair_changes_mark(r->c, r->mark_from_subscriber);
                r->mark_from_subscriber = 0;
        }
}

static void on_event(const struct chair_event *ev, void *userdata) {
        struct record *r = userdata;
        snprintf(r->events[r->n_events++ % 8], 32, "%d:%s", ev->kind, ev->code ? ev->code : ev->program ? ev->program : "");
}

static void test_marks_coalesce_into_one_delivery(void **state) {
        struct chair_changes *c = NULL;
        struct record a = {}, b = {};

        assert_int_equal(chair_changes_new(NULL, &c), 0);
        assert_int_equal(chair_changes_subscribe(c, on_changes, &a), 0);
        assert_int_equal(chair_changes_subscribe(c, on_changes, &b), 0);
        chair_changes_flush(c);
        assert_int_equal(a.n, 0); /* nothing marked, nothing delivered */
        chair_changes_mark(c, CHAIR_CHANGE_STATE);
        chair_changes_mark(c, CHAIR_CHANGE_FAULT);
        chair_changes_mark(c, CHAIR_CHANGE_STATE);
        chair_changes_flush(c);
        assert_int_equal(a.n, 1);
        assert_int_equal(b.n, 1);
        assert_int_equal(a.deliveries[0], CHAIR_CHANGE_STATE | CHAIR_CHANGE_FAULT);
        chair_changes_flush(c);
        assert_int_equal(a.n, 1); /* taken once */
        chair_changes_mark(NULL, CHAIR_CHANGE_STATE); /* a module without a channel */
        chair_changes_free(c);
}

static void test_a_subscribers_mark_goes_out_next_pass(void **state) {
        struct chair_changes *c = NULL;
        struct record a = {};

        assert_int_equal(chair_changes_new(NULL, &c), 0);
        a.c = c;
        a.mark_from_subscriber = CHAIR_CHANGE_SELECTED_PROGRAM;
        assert_int_equal(chair_changes_subscribe(c, on_changes, &a), 0);
        chair_changes_mark(c, CHAIR_CHANGE_STATE);
        chair_changes_flush(c);
        chair_changes_flush(c);
        assert_int_equal(a.n, 2);
        assert_int_equal(a.deliveries[0], CHAIR_CHANGE_STATE);
        assert_int_equal(a.deliveries[1], CHAIR_CHANGE_SELECTED_PROGRAM);
        chair_changes_free(c);
}

static void test_events_reach_listeners_in_wiring_order(void **state) {
        struct chair_changes *c = NULL;
        struct record first = {}, second = {};

        assert_int_equal(chair_changes_new(NULL, &c), 0);
        assert_int_equal(chair_changes_listen(c, on_event, &first), 0);
        assert_int_equal(chair_changes_subscribe(c, on_changes, &first), 0);
        assert_int_equal(chair_changes_listen(c, on_event, &second), 0);
        chair_changes_publish(c, &(struct chair_event) { .kind = CHAIR_EVENT_FAULT_RAISED, .code = "emergency-stop" });
        chair_changes_publish(c, &(struct chair_event) { .kind = CHAIR_EVENT_PROGRAM_FINISHED, .program = "demo" });
        assert_int_equal(first.n_events, 2);
        assert_int_equal(second.n_events, 2);
        assert_string_equal(first.events[0], "1:emergency-stop");
        assert_string_equal(second.events[1], "0:demo");
        assert_int_equal(first.n, 0); /* an event is no mark */
        for (unsigned i = 3; i < CHAIR_CHANGES_SUBSCRIBERS_MAX; i++)
                assert_int_equal(chair_changes_listen(c, on_event, &second), 0);
        assert_int_equal(chair_changes_listen(c, on_event, &second), -ENOBUFS);
        chair_changes_free(c);
}

static void test_reasons_map_to_named_errors(void **state) {
        struct chair_error e = CHAIR_ERROR_NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = chair_error_set(&e, CHAIR_REASON_BUSY, "The chair is %s; stop it first", "running");
        assert_true(r < 0);
        assert_true(chair_error_is(&e, CHAIR_REASON_BUSY));
        assert_int_equal(bus_error_from_chair(&error, r, &e), r);
        assert_string_equal(error.name, CHAIR_ERROR_BUSY);
        assert_string_equal(error.message, "The chair is running; stop it first");
        sd_bus_error_free(&error);

        chair_error_reset(&e);
        r = chair_error_set(&e, CHAIR_REASON_INVALID_ARGS, "Unknown technique '%s'", "x");
        assert_int_equal(r, -EINVAL);
        bus_error_from_chair(&error, r, &e);
        assert_string_equal(error.name, SD_BUS_ERROR_INVALID_ARGS);
        sd_bus_error_free(&error);

        /* No reason of ours: the errno's standard error, with the message. */
        chair_error_reset(&e);
        r = chair_error_set_errno(&e, -ENOSPC, "Could not save memory slot %u: %m", 1u);
        assert_int_equal(r, -ENOSPC);
        assert_non_null(strstr(e.message, "slot 1: "));
        bus_error_from_chair(&error, r, &e);
        assert_true(sd_bus_error_is_set(&error));
        assert_int_equal(sd_bus_error_get_errno(&error), ENOSPC);
        sd_bus_error_free(&error);

        /* Without a place for the reason (the panel's own calls) it is logged: -EPERM. */
        assert_int_equal(chair_error_set(NULL, CHAIR_REASON_BUSY, "busy"), -EPERM);
        /* Every reason has an errno, and none is the panel's -ERANGE. */
        for (int i = 0; i < _CHAIR_REASON_MAX; i++) {
                chair_error_reset(&e);
                r = chair_error_set(&e, (enum chair_reason) i, "x");
                assert_true(r < 0);
                assert_int_not_equal(r, -ERANGE);
        }
}

static void test_vocabularies_both_ways(void **state) {
        for (int i = 0; i < _CHAIR_FAULT_MAX; i++) {
                const char *name = chair_fault_to_string((enum chair_fault) i);
                assert_non_null(name);
                assert_int_equal(chair_fault_from_string(name), i);
                assert_int_equal(chair_fault_number(name), (unsigned) i);
        }
        assert_int_equal(chair_fault_from_string("no-such-fault"), -EINVAL);
        assert_int_equal(chair_fault_number("no-such-fault"), CHAIR_FAULT_NUMBER_UNKNOWN);
        assert_int_equal(chair_fault_number(NULL), 0);
        assert_null(chair_fault_to_string(_CHAIR_FAULT_MAX));

        for (int i = 0; i < _CHAIR_WIDTH_MAX; i++)
                assert_int_equal(chair_width_from_string(chair_width_to_string((enum chair_width) i)), i);
        assert_string_equal(chair_width_to_string(CHAIR_WIDTH_MEDIUM), "medium");
        assert_int_equal(chair_width_from_string("huge"), -EINVAL);

        for (int i = SESSION_IDLE; i <= SESSION_FAULT; i++)
                assert_int_equal(session_state_from_string(session_state_name((enum session_state) i)), i);
        assert_string_equal(session_state_name((enum session_state) 42), "?");

        assert_true(chair_timer_valid(10) && chair_timer_valid(20) && chair_timer_valid(30));
        assert_false(chair_timer_valid(0) || chair_timer_valid(15) || chair_timer_valid(40));
        assert_int_equal(chair_timer_next(10), 20);
        assert_int_equal(chair_timer_next(20), 30);
        assert_int_equal(chair_timer_next(30), 10);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_marks_coalesce_into_one_delivery),
                cmocka_unit_test(test_a_subscribers_mark_goes_out_next_pass),
                cmocka_unit_test(test_events_reach_listeners_in_wiring_order),
                cmocka_unit_test(test_reasons_map_to_named_errors),
                cmocka_unit_test(test_vocabularies_both_ways),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
