/* SPDX-License-Identifier: MIT */
/*
 * A hold-to-run client for the VM tier (the guest has busctl, whose connection ends with its one
 * call, and a move bound to the caller's connection stops right then): one connection to the
 * system bus (DBUS_SYSTEM_BUS_ADDRESS) that calls Posture.Move(AXIS, DIR, LEASE_MS) RENEWALS
 * times, PERIOD_MS apart, then keeps the connection open for HOLD_MS without renewing, so the
 * guest sees the lease lapse and not a disconnect. One line per event on stdout, flushed:
 * "renewed N at MS", "error NAME MESSAGE" (a refusal: exit 1), "renewals done at MS", "exit";
 * MS is CLOCK_BOOTTIME in milliseconds, the clock of the guest shell's /proc/uptime.
 * Usage: posture-hold AXIS DIR LEASE_MS RENEWALS PERIOD_MS HOLD_MS
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-bus.h>

#include "macro.h"

static int number(const char *s, long lo, long hi, long *ret) {
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < lo || v > hi)
                return -EINVAL;
        *ret = v;
        return 0;
}

static long long boottime_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_BOOTTIME, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

int main(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        long dir, lease, renewals, period, hold;
        int r;

        if (argc != 7 || number(argv[2], -1, 1, &dir) < 0 || number(argv[3], 1, 60000, &lease) < 0 ||
            number(argv[4], 1, 10000, &renewals) < 0 || number(argv[5], 0, 60000, &period) < 0 ||
            number(argv[6], 0, 600000, &hold) < 0) {
                fprintf(stderr, "usage: posture-hold AXIS DIR(-1..1) LEASE_MS RENEWALS PERIOD_MS HOLD_MS\n");
                return 2;
        }
        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "posture-hold: the system bus: %s\n", strerror(-r));
                return 2;
        }
        for (long i = 1; i <= renewals; i++) {
                sd_bus_error error = SD_BUS_ERROR_NULL;

                r = sd_bus_call_method(bus, "org.massagechair.Chair1", "/org/massagechair/Chair1/posture",
                                       "org.massagechair.Chair1.Posture", "Move", &error, NULL, "siu", argv[1], (int32_t) dir,
                                       (uint32_t) lease);
                if (r < 0) {
                        printf("error %s %s\n", error.name ? error.name : "-", error.message ? error.message : strerror(-r));
                        fflush(stdout);
                        sd_bus_error_free(&error);
                        return 1;
                }
                printf("renewed %ld at %lld\n", i, boottime_ms());
                fflush(stdout);
                if (i < renewals)
                        sleep_ms(period);
        }
        printf("renewals done at %lld\n", boottime_ms());
        fflush(stdout);
        sleep_ms(hold);
        printf("exit\n");
        return 0;
}
