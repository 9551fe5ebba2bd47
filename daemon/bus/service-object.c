/* SPDX-License-Identifier: MIT */
/*
 * org.massagechair.Chair1.Service: the technicians' interface on the same object. Every call
 * and every property read is authorized before anything else, arguments included: by polkit
 * (its action per member, bus-polkit.c), or where polkit is absent on the caller's credentials
 * (root or the chairtech group); the D-Bus policy says the same, but the daemon does not rely
 * on it alone.
 */
#include <errno.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "atomic-file.h"
#include "bus-args.h"
#include "bus-errors.h"
#include "bus-polkit.h"
#include "bus-util.h"
#include "bus-state.h"
#include "chair-hw.h"
#include "chair-object.h"
#include "daemon-context.h"
#include "log.h"
#include "output-test.h"
#include "panel.h"
#include "profile.h"
#include "program-library.h"
#include "scheduler.h"
#include "service-object.h"
#include "session.h"
#include "state-store.h"
#include "supervisor.h"

static int method_reload(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        char **errors = NULL;
        int r;

        BUS_POLKIT_REQUIRE(d->bus->polkit, m, error);
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

        chair_core_reload_profiles(d->core, &errors);
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_append_strv(reply, errors ? errors : (char *[]) { NULL });
        program_library_free_errors(errors); /* on either path */
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_upload(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct bus_args a = {};
        char errors[4096], path[512];
        const char *name, *text;
        int r;

        BUS_POLKIT_REQUIRE(d->bus->polkit, m, error);
        r = bus_parse_upload(m, NULL, &a, error);
        if (r < 0)
                return r;
        name = a.str[0];
        text = a.str[1];
        r = program_library_upload(d->core->library, name, text, strlen(text), errors, sizeof errors);
        if (r == -EINVAL || r == -EEXIST)
                return sd_bus_error_set(error, r == -EINVAL && !program_file_name_valid(name) ? SD_BUS_ERROR_INVALID_ARGS
                                                                                          : CHAIR_ERROR_INVALID_PROFILE, errors);
        if (r == -EFBIG)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "contents: a profile is at most %d bytes",
                                         BUS_UPLOAD_MAX);
        if (r == -ENOSPC)
                return sd_bus_error_set(error, CHAIR_ERROR_LIBRARY_FULL, errors);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "%s", errors);
        snprintf(path, sizeof path, "%s/%s", d->options.profiles_override_dir, name);
        log_info("Profile %s uploaded.", path);
        chair_core_reload_profiles(d->core, NULL);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_clear_fault(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        char reason[200] = "";
        int r;

        BUS_POLKIT_REQUIRE(d->bus->polkit, m, error);
        r = supervisor_clear(d->core->supervisor, "technician", reason, sizeof reason);
        if (r == -EPERM || r == -EBUSY)
                return sd_bus_error_setf(error, CHAIR_ERROR_NOT_PERMITTED, "Cannot clear the fault: %s", reason);
        return reply_or_error(m, r);
}

static int dict_append_i(sd_bus_message *reply, const char *prefix, const char *name, int64_t v) {
        char key[96];
        snprintf(key, sizeof key, "%s%s", prefix, name);
        return sd_bus_message_append(reply, "{sv}", key, "x", v);
}

static int method_diagnostics(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct scheduler_stats st;
        int r;

        BUS_POLKIT_REQUIRE(d->bus->polkit, m, error);
        r = reply_open(m, &reply, 'a', "{sv}");
        if (r < 0)
                return r;
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++) {
                int32_t v;
                if (chair_hw_read_input(d->core->hw, i, &v) < 0)
                        continue; /* unavailable inputs are left out */
                r = dict_append_i(reply, "input.", chair_input_info(i)->name, v);
                if (r < 0)
                        return r;
        }
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++) {
                if (!chair_hw_has_output(d->core->hw, o))
                        continue;
                r = dict_append_i(reply, "output.", chair_output_info(o)->name, chair_hw_get_output(d->core->hw, o));
                if (r < 0)
                        return r;
        }
        for (unsigned b = HW_BACKEND_SIM; b <= HW_BACKEND_MODBUS; b++) {
                struct chair_driver_stats ds;
                char prefix[32];
                if (chair_hw_get_stats(d->core->hw, b, &ds) < 0)
                        continue;
                const struct {
                        const char *key;
                        int64_t value;
                } counters[] = {
                        { "transactions", (int64_t) ds.transactions },
                        { "errors_timeout", (int64_t) ds.errors_timeout },
                        { "errors_crc", (int64_t) ds.errors_crc },
                        { "errors_exception", (int64_t) ds.errors_exception },
                        { "errors_invalid", (int64_t) ds.errors_invalid },
                        { "reconnects", (int64_t) ds.reconnects },
                        { "link_up", ds.link_up },
                        { "safe_written_ns", (int64_t) ds.safe_written_ns },
                };
                snprintf(prefix, sizeof prefix, "%s.", hw_backend_name(b));
                for (size_t k = 0; k < ARRAY_SIZE(counters); k++) {
                        r = dict_append_i(reply, prefix, counters[k].key, counters[k].value);
                        if (r < 0)
                                return r;
                }
        }
        {
                struct panel_stats ps;
                panel_get_stats(d->core->panel, &ps);
                r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}{sv}", "panel.keys", "t", ps.keys,
                                                  "panel.ignored", "t", ps.ignored,
                                                  "panel.beeps_short", "t", ps.beeps[PANEL_BEEP_SHORT],
                                                  "panel.beeps_double", "t", ps.beeps[PANEL_BEEP_DOUBLE],
                                                  "panel.beeps_long", "t", ps.beeps[PANEL_BEEP_LONG],
                                                  "panel.selected_program", "u", ps.selected_program);
                if (r < 0)
                        return r;
        }
        scheduler_get_stats(d->core->scheduler, &st);
        {
                uint64_t in_ns, safe_ns;
                supervisor_trip_times(d->core->supervisor, &in_ns, &safe_ns);
                r = sd_bus_message_append(reply, "{sv}{sv}", "supervisor.trip_input_ns", "t", in_ns,
                                          "supervisor.trip_safe_ns", "t", safe_ns);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}{sv}", "scheduler.count", "t", st.count,
                                          "scheduler.p50_us", "t", st.p50_us, "scheduler.p99_us", "t", st.p99_us,
                                          "scheduler.max_us", "t", st.max_us, "scheduler.over_1ms", "t", st.over_1ms,
                                          "scheduler.realtime", "b", st.realtime);
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}", "scheduler.wake_count", "t", st.wake_count,
                                  "scheduler.wake_p50_us", "t", st.wake_p50_us, "scheduler.wake_p99_us", "t",
                                  st.wake_p99_us, "scheduler.wake_max_us", "t", st.wake_max_us,
                                  "scheduler.wake_over_1ms", "t", st.wake_over_1ms);
        if (r < 0)
                return r;
        return reply_close_and_send(reply);
}

static int method_inject_fault(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct bus_args a = {};
        const char *name;
        int on, r;

        BUS_POLKIT_REQUIRE(d->bus->polkit, m, error);
        r = bus_parse_inject_fault(m, NULL, &a, error);
        if (r < 0)
                return r;
        name = a.str[0];
        on = a.b;
        r = chair_core_sim_inject_fault(d->core, name, on);
        if (r == -ENODEV)
                return sd_bus_error_set(error, CHAIR_ERROR_NOT_PERMITTED, "Faults can only be injected into the simulated chair");
        if (r == -EINVAL)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "unknown simulated fault '%s'", name);
        if (r >= 0)
                supervisor_update_activity(d->core->supervisor);
        return reply_or_error(m, r);
}

/* The simulated chair's occupant (seated, leg length, feet on the foot rest), for tests and demos. */
static int method_sim_set_occupant(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct bus_args a = {};
        int r;

        BUS_POLKIT_REQUIRE(d->bus->polkit, m, error);
        r = bus_parse_sim_set_occupant(m, NULL, &a, error);
        if (r < 0)
                return r;
        if (!chair_hw_uses_backend(d->core->hw, HW_BACKEND_SIM) ||
            d->core->map.inputs[CHAIR_IN_SEAT_OCCUPANCY].backend != HW_BACKEND_SIM)
                return sd_bus_error_set(error, SD_BUS_ERROR_NOT_SUPPORTED, "Only the simulated chair has a simulated occupant");
        r = chair_hw_sim_set_occupant(d->core->hw, a.b, a.i, a.u[0]);
        if (r == -EINVAL)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "leg_mm: %d mm is not a leg length", a.i);
        return reply_or_error(m, r);
}

static int on_sim_key_release(sd_event_source *s, uint64_t usec, void *userdata) {
        struct chair_daemon *d = userdata;

        (void) chair_hw_sim_press_key(d->core->hw, 0);
        return 0;
}

/* A person at the simulated panel: holds a key for hold_ms, then lets go. */
static int method_press_key(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct bus_args a = {};
        const char *key;
        uint32_t hold_ms;
        int code, r;
        char *end;

        BUS_POLKIT_REQUIRE(d->bus->polkit, m, error);
        r = bus_parse_press_key(m, NULL, &a, error);
        if (r < 0)
                return r;
        key = a.str[0];
        hold_ms = a.u[0];
        if (!chair_hw_uses_backend(d->core->hw, HW_BACKEND_SIM) || d->core->map.inputs[CHAIR_IN_PANEL_KEY].backend != HW_BACKEND_SIM)
                return sd_bus_error_set(error, CHAIR_ERROR_NOT_PERMITTED, "Keys can only be pressed on the simulated panel");
        code = chair_key_from_name(key);
        if (code >= 0) {
                code = panel_key_code(d->core->panel, (enum chair_key) code);
                if (code < 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "this panel has no key '%s'", key);
        } else {
                /* A raw key code, for keys that are not in the key map. */
                long v = strtol(key, &end, 10);
                if (!*key || *end || v < 1 || v > 255)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "key must be a key name (docs/panel.md) or a code 1-255, not '%s'", key);
                code = (int) v;
        }
        /* A key still held from an earlier call is let go first. */
        if (d->bus->sim_key_release && sd_event_source_get_enabled(d->bus->sim_key_release, NULL) != SD_EVENT_OFF) {
                sd_event_source_set_enabled(d->bus->sim_key_release, SD_EVENT_OFF);
                chair_hw_sim_press_key(d->core->hw, 0);
        }
        if (!d->bus->sim_key_release) {
                r = sd_event_add_time(d->event, &d->bus->sim_key_release, CLOCK_MONOTONIC, 0, USEC_PER_MSEC,
                                      on_sim_key_release, d);
                if (r < 0)
                        return r;
        }
        chair_hw_sim_press_key(d->core->hw, code);
        if (hold_ms == 0) {
                chair_hw_sim_press_key(d->core->hw, 0);
        } else {
                uint64_t now = 0;
                sd_event_now(d->event, CLOCK_MONOTONIC, &now);
                sd_event_source_set_time(d->bus->sim_key_release, now + hold_ms * USEC_PER_MSEC);
                sd_event_source_set_enabled(d->bus->sim_key_release, SD_EVENT_ONESHOT);
        }
        return sd_bus_reply_method_return(m, NULL);
}

static int method_calibrate(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        BUS_POLKIT_REQUIRE(d->bus->polkit, m, error);
        /* Calibration is a body scan without a body's program: it homes the roller, sweeps the
         * track and stores the shoulder point. */
        struct chair_error e = CHAIR_ERROR_NULL;
        return reply_core(m, error, session_start_scan(d->core->session, &e), &e);
}

static int method_set_default_timer(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct chair_error e = CHAIR_ERROR_NULL;
        struct bus_args a = {};
        int r;

        BUS_POLKIT_REQUIRE(d->bus->polkit, m, error);
        r = bus_parse_timer(m, NULL, &a, error);
        if (r < 0)
                return r;
        return reply_core(m, error, chair_settings_set_default_timer(d->core->settings, a.u[0], &e), &e);
}

/* A technician drives one output for a bounded time (output-test.h: the rules). */
static int method_test_output(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct chair_error e = CHAIR_ERROR_NULL;
        struct bus_args a = {};
        int out, r;

        BUS_POLKIT_REQUIRE(d->bus->polkit, m, error);
        r = bus_parse_test_output(m, NULL, &a, error);
        if (r < 0)
                return r;
        out = chair_output_from_name(a.str[0]);
        if (out < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "output: unknown output '%s' (chairctl hw lists them)", a.str[0]);
        return reply_core(m, error, output_test_start(d->core->output_test, out, a.i, a.u[0], &e), &e);
}

static int property_scheduler_stats(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct scheduler_stats st;

        /* Getters cannot wait for polkit: bus-polkit's filter checked the call being answered
         * (Get or GetAll, the current message) before the dispatch reached here. */
        if (!bus_polkit_authorized(d->bus->polkit, sd_bus_get_current_message(bus)))
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "Not authorized to read SchedulerStats");
        scheduler_get_stats(d->core->scheduler, &st);
        return sd_bus_message_append(reply, "a{st}", 10, "count", st.count, "p50_us", st.p50_us, "p99_us", st.p99_us,
                                     "max_us", st.max_us, "over_1ms", st.over_1ms, "wake_count", st.wake_count,
                                     "wake_p50_us", st.wake_p50_us, "wake_p99_us", st.wake_p99_us,
                                     "wake_max_us", st.wake_max_us, "wake_over_1ms", st.wake_over_1ms);
}

static int method_latency_histogram(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ struct scheduler_hist_bin *bins = NULL;
        enum scheduler_histogram which;
        struct bus_args a = {};
        size_t n;
        int r;

        BUS_POLKIT_REQUIRE(d->bus->polkit, m, error);
        r = bus_parse_histogram(m, NULL, &a, error);
        if (r < 0)
                return r;
        which = strcmp(a.str[0], "wakeups") == 0 ? SCHED_HIST_WAKEUPS : SCHED_HIST_COMMANDS;
        bins = calloc(SCHED_HIST_BINS, sizeof *bins);
        if (!bins)
                return -ENOMEM;
        n = scheduler_get_histogram(d->core->scheduler, which, bins);
        r = reply_open(m, &reply, 'a', "(ttu)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                r = sd_bus_message_append(reply, "(ttu)", bins[i].from_us, bins[i].to_us, bins[i].count);
                if (r < 0)
                        return r;
        }
        return reply_close_and_send(reply);
}

static const sd_bus_vtable service_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("ReloadProfiles", SD_BUS_NO_ARGS, SD_BUS_RESULT("as", errors), method_reload,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("UploadProfile", SD_BUS_ARGS("s", filename, "s", contents), SD_BUS_NO_RESULT,
                                method_upload, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("ClearFault", "", "", method_clear_fault, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetDiagnostics", SD_BUS_NO_ARGS, SD_BUS_RESULT("a{sv}", values), method_diagnostics,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetLatencyHistogram", SD_BUS_ARGS("s", which), SD_BUS_RESULT("a(ttu)", bins),
                                method_latency_histogram, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("InjectFault", SD_BUS_ARGS("s", name, "b", on), SD_BUS_NO_RESULT, method_inject_fault,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("PressKey", SD_BUS_ARGS("s", key, "u", hold_ms), SD_BUS_NO_RESULT, method_press_key,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SimSetOccupant", SD_BUS_ARGS("b", seated, "u", leg_mm, "b", feet_on), SD_BUS_NO_RESULT,
                                method_sim_set_occupant, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Calibrate", "", "", method_calibrate, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetDefaultTimer", SD_BUS_ARGS("u", minutes), SD_BUS_NO_RESULT,
                                method_set_default_timer, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("TestOutput", SD_BUS_ARGS("s", output, "i", value, "u", milliseconds),
                                SD_BUS_NO_RESULT, method_test_output, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_PROPERTY("SchedulerStats", "a{st}", property_scheduler_stats, 0, 0),
        SD_BUS_VTABLE_END
};

int service_object_register(struct chair_daemon *d, struct chair_bus *b) {
        int r = sd_bus_add_object_vtable(b->bus, &b->service_slot, CHAIR_OBJECT_PATH, CHAIR_SERVICE_INTERFACE,
                                         service_vtable, d);
        if (r < 0)
                return log_error_errno(r, "Failed to register %s: %m", CHAIR_SERVICE_INTERFACE);
        return 0;
}
