/* SPDX-License-Identifier: MIT */
/*
 * D-Bus round trips to massagechaird beside org.freedesktop.DBus.Peer.Ping in the same run:
 * Ping (the floor: bus + daemon dispatch, no work), Properties.Get State, ListPrograms and
 * GetProgram. Calls are interleaved so every kind sees the same machine load; prints p50/p99
 * of each and its ratio to Ping. Run it against a private bus (bench/dbus-bench.py does).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#define BUS_NAME "org.massagechair.Chair1"
#define OBJECT_PATH "/org/massagechair/Chair1"
#define INTERFACE "org.massagechair.Chair1"

enum kind { PING, GET_STATE, LIST_PROGRAMS, GET_PROGRAM, N_KINDS };
static const char *const kind_names[N_KINDS] = { "Peer.Ping", "Get State", "ListPrograms", "GetProgram demo" };

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static int one_call(sd_bus *bus, enum kind k) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r;

        switch (k) {
        case PING:
                r = sd_bus_call_method(bus, BUS_NAME, OBJECT_PATH, "org.freedesktop.DBus.Peer", "Ping", &error, &reply, NULL);
                break;
        case GET_STATE:
                r = sd_bus_call_method(bus, BUS_NAME, OBJECT_PATH, "org.freedesktop.DBus.Properties", "Get", &error, &reply,
                                       "ss", INTERFACE, "State");
                break;
        case LIST_PROGRAMS:
                r = sd_bus_call_method(bus, BUS_NAME, OBJECT_PATH, INTERFACE, "ListPrograms", &error, &reply, NULL);
                break;
        default:
                r = sd_bus_call_method(bus, BUS_NAME, OBJECT_PATH, INTERFACE, "GetProgram", &error, &reply, "s", "demo");
                break;
        }
        if (r < 0)
                fprintf(stderr, "dbus-bench: %s failed: %s\n", kind_names[k], error.message ? error.message : strerror(-r));
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
        return r < 0 ? r : 0;
}

static int compare_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static uint64_t percentile(const uint64_t *sorted, size_t n, double p) {
        size_t i = (size_t) (p * (double) (n - 1) + 0.5);
        return sorted[i < n ? i : n - 1];
}

int main(int argc, char **argv) {
        unsigned iterations = 20000, warmup = 500;
        bool json = false;
        uint64_t *samples[N_KINDS] = {};
        sd_bus *bus = NULL;
        int c, r;
        static const struct option opts[] = {
                { "iterations", required_argument, NULL, 'n' }, { "json", no_argument, NULL, 'j' }, {}
        };

        while ((c = getopt_long(argc, argv, "n:j", opts, NULL)) >= 0) {
                if (c == 'n') {
                        char *end;
                        unsigned long v = strtoul(optarg, &end, 10);
                        if (*end || v < 10 || v > 10000000) {
                                fprintf(stderr, "dbus-bench: --iterations takes 10-10000000, not '%s'\n", optarg);
                                return 2;
                        }
                        iterations = (unsigned) v;
                } else if (c == 'j')
                        json = true;
                else {
                        fprintf(stderr, "Usage: dbus-bench [--iterations N] [--json]\n");
                        return 2;
                }
        }
        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "dbus-bench: cannot connect to the system bus: %s\n", strerror(-r));
                return 3;
        }
        for (int k = 0; k < N_KINDS; k++) {
                samples[k] = calloc(iterations, sizeof(uint64_t));
                if (!samples[k]) {
                        r = -ENOMEM;
                        goto finish;
                }
        }
        for (unsigned i = 0; i < warmup; i++)
                for (int k = 0; k < N_KINDS; k++)
                        if ((r = one_call(bus, (enum kind) k)) < 0)
                                goto finish;
        for (unsigned i = 0; i < iterations; i++)
                /* Rotate the order so no kind always follows the same one. */
                for (int j = 0; j < N_KINDS; j++) {
                        int k = (int) ((i + (unsigned) j) % N_KINDS);
                        uint64_t t0 = now_ns();
                        if ((r = one_call(bus, (enum kind) k)) < 0)
                                goto finish;
                        samples[k][i] = now_ns() - t0;
                }

        uint64_t p50[N_KINDS], p99[N_KINDS];
        for (int k = 0; k < N_KINDS; k++) {
                qsort(samples[k], iterations, sizeof(uint64_t), compare_u64);
                p50[k] = percentile(samples[k], iterations, 0.50);
                p99[k] = percentile(samples[k], iterations, 0.99);
        }
        if (json) {
                printf("{\"iterations\":%u,\"calls\":[", iterations);
                for (int k = 0; k < N_KINDS; k++)
                        printf("%s{\"call\":\"%s\",\"p50_us\":%.1f,\"p99_us\":%.1f,\"p50_ratio\":%.3f,\"p99_ratio\":%.3f}",
                               k ? "," : "", kind_names[k], (double) p50[k] / 1e3, (double) p99[k] / 1e3,
                               (double) p50[k] / (double) p50[PING], (double) p99[k] / (double) p99[PING]);
                printf("]}\n");
        } else {
                printf("%u interleaved iterations of each call, microseconds; ratio to Peer.Ping\n", iterations);
                printf("%-16s %9s %9s %9s %9s\n", "call", "p50", "p99", "p50 x", "p99 x");
                for (int k = 0; k < N_KINDS; k++)
                        printf("%-16s %9.1f %9.1f %9.2f %9.2f\n", kind_names[k], (double) p50[k] / 1e3,
                               (double) p99[k] / 1e3, (double) p50[k] / (double) p50[PING],
                               (double) p99[k] / (double) p99[PING]);
        }
        r = 0;
finish:
        for (int k = 0; k < N_KINDS; k++)
                free(samples[k]);
        sd_bus_flush_close_unref(bus);
        return r < 0 ? 1 : 0;
}
