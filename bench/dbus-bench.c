/* SPDX-License-Identifier: MIT */
/*
 * D-Bus round trips to massagechaird beside org.freedesktop.DBus.Peer.Ping in the same run:
 * Ping (the floor: bus + daemon dispatch, no work), every read of org.massagechair.Chair1
 * (its read methods, GetAll, and a Get of each property GetAll returns, so the list cannot
 * fall behind the daemon), and the setters that change nothing when given the value the
 * property already has (the change channel then announces nothing). Start, Stop and anything
 * that stores a file are left out: they change what the next call sees, or measure the disk.
 * Each call's message is built before its clock starts, so only the round trip is timed.
 * Calls are interleaved in a new random order each iteration, so every kind sees the same
 * machine load and the same predecessors; prints p50/p99 of each and its ratio to Ping. Run it against a private bus (bench/dbus-bench.py does).
 *
 * Each reply's size on the wire (header and body, as the client reads it) is measured once
 * before the clock starts. --baseline-payload adds the floor: a bare sd-bus server (a thread
 * of this process on a connection of its own, no vtable, no work) that answers each call with
 * a copy of the daemon's own reply to it, timed beside its own Ping in the same iterations, so
 * what the bus costs for a payload of that size is told apart from what the daemon adds.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#define BUS_NAME "org.massagechair.Chair1"
#define OBJECT_PATH "/org/massagechair/Chair1"
#define INTERFACE "org.massagechair.Chair1"
#define PROPERTIES "org.freedesktop.DBus.Properties"
#define MAX_CALLS 128
#define BARE_PATH "/org/massagechair/Bench" /* + "/N": the bare server answers with payload N */

/* One kind of call: a label for the table and its arguments, kept in a message to copy from;
 * a bare twin (--baseline-payload) goes to the bare server with the same arguments. */
struct call {
        char label[64];
        const char *interface, *member;
        char destination[256], path[64];
        sd_bus_message *args;
        uint64_t *samples;
        uint64_t reply_bytes;
        long twin; /* the bare twin's index, or the original's for a twin; -1 none */
        bool bare;
};

/* The bare server: a connection of its own in its own thread, answering each call to
 * BARE_PATH/N with a copy of payloads[N]. */
struct bare {
        sd_bus *bus;
        sd_bus_slot *slot;
        pthread_t thread;
        atomic_bool stop;
        sd_bus_message *payloads[MAX_CALLS];
        size_t n;
        uint64_t copy_ns[MAX_CALLS], copies[MAX_CALLS]; /* the server's CPU copying each reply */
        uint64_t clock_ns; /* what reading the thread's CPU clock twice costs, taken off each copy */
        uint64_t read_ns[MAX_CALLS]; /* reading each payload through (the copy's other half) */
};

static uint64_t thread_cpu_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

struct bench {
        sd_bus *bus;
        struct call calls[MAX_CALLS];
        size_t n;
        struct bare *bare;
};

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

/* Adds a call; the caller appends its arguments to the returned message (NULL: out of room). */
static sd_bus_message *add_call(struct bench *b, const char *label, const char *interface, const char *member) {
        struct call *c;

        if (b->n >= MAX_CALLS)
                return NULL;
        c = &b->calls[b->n];
        if (sd_bus_message_new_method_call(b->bus, &c->args, BUS_NAME, OBJECT_PATH, interface, member) < 0)
                return NULL;
        snprintf(c->label, sizeof c->label, "%s", label);
        snprintf(c->destination, sizeof c->destination, "%s", BUS_NAME);
        snprintf(c->path, sizeof c->path, "%s", OBJECT_PATH);
        c->interface = interface;
        c->member = member;
        c->twin = -1;
        b->n++;
        return c->args;
}

#define ADD(b, label, interface, member, ...)                                                     \
        do {                                                                                      \
                sd_bus_message *_m = add_call(b, label, interface, member);                       \
                if (!_m || sd_bus_message_append(_m, __VA_ARGS__) < 0) {                          \
                        fprintf(stderr, "dbus-bench: cannot build %s\n", label);                  \
                        return -ENOMEM;                                                           \
                }                                                                                 \
        } while (0)

static int get_u(sd_bus *bus, const char *property, uint32_t *ret) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_get_property_trivial(bus, BUS_NAME, OBJECT_PATH, INTERFACE, property, &error, 'u', ret);
        if (r < 0)
                fprintf(stderr, "dbus-bench: Get %s failed: %s\n", property, error.message ?: strerror(-r));
        sd_bus_error_free(&error);
        return r;
}

/* The setters, each given the value its property has now. */
static int add_setters(struct bench *b) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        char *width = NULL, **zones = NULL;
        uint32_t intensity, speed, depth, timer, air, heat = 0;
        const char *heat_zone = NULL;
        int lock = 0, r;

        if ((r = get_u(b->bus, "Intensity", &intensity)) < 0 || (r = get_u(b->bus, "Speed", &speed)) < 0 ||
            (r = get_u(b->bus, "Depth", &depth)) < 0 || (r = get_u(b->bus, "Timer", &timer)) < 0 ||
            (r = get_u(b->bus, "AirIntensity", &air)) < 0)
                return r;
        r = sd_bus_get_property_string(b->bus, BUS_NAME, OBJECT_PATH, INTERFACE, "Width", &error, &width);
        if (r >= 0)
                r = sd_bus_get_property_strv(b->bus, BUS_NAME, OBJECT_PATH, INTERFACE, "AirZones", &error, &zones);
        if (r >= 0)
                r = sd_bus_get_property_trivial(b->bus, BUS_NAME, OBJECT_PATH, INTERFACE, "ChildLock", &error, 'b', &lock);
        if (r >= 0)
                r = sd_bus_get_property(b->bus, BUS_NAME, OBJECT_PATH, INTERFACE, "HeatLevels", &error, &reply, "a{su}");
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "{su}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "{su}", &heat_zone, &heat); /* the first zone, if any */
        if (r < 0) {
                fprintf(stderr, "dbus-bench: reading the settings failed: %s\n", error.message ?: strerror(-r));
                goto finish;
        }
        r = -ENOMEM;
        {
                sd_bus_message *m;
#define ADD_OR_FINISH(label, member, ...)                                                         \
                if (!(m = add_call(b, label, INTERFACE, member)) || sd_bus_message_append(m, __VA_ARGS__) < 0) \
                        goto finish;
                ADD_OR_FINISH("SetIntensity same", "SetIntensity", "u", intensity);
                ADD_OR_FINISH("SetSpeed same", "SetSpeed", "u", speed);
                ADD_OR_FINISH("SetDepth same", "SetDepth", "u", depth);
                ADD_OR_FINISH("SetWidth same", "SetWidth", "s", width);
                ADD_OR_FINISH("SetTimer same", "SetTimer", "u", timer);
                ADD_OR_FINISH("SetChildLock same", "SetChildLock", "b", lock);
                if (heat_zone)
                        ADD_OR_FINISH("SetHeat same", "SetHeat", "su", heat_zone, heat);
#undef ADD_OR_FINISH
                if (!(m = add_call(b, "SetAir same", INTERFACE, "SetAir")) || sd_bus_message_append_strv(m, zones) < 0 ||
                    sd_bus_message_append(m, "u", air) < 0)
                        goto finish;
        }
        r = 0;
finish:
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
        free(width);
        for (char **z = zones; z && *z; z++)
                free(*z);
        free(zones);
        return r;
}

/* A Get of every property GetAll returns. */
static int add_gets(struct bench *b) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *name;
        int r;

        r = sd_bus_call_method(b->bus, BUS_NAME, OBJECT_PATH, PROPERTIES, "GetAll", &error, &reply, "s", INTERFACE);
        if (r < 0) {
                fprintf(stderr, "dbus-bench: GetAll failed: %s\n", error.message ?: strerror(-r));
                goto finish;
        }
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                char label[64];
                sd_bus_message *m;
                if ((r = sd_bus_message_read(reply, "s", &name)) < 0 || (r = sd_bus_message_skip(reply, "v")) < 0 ||
                    (r = sd_bus_message_exit_container(reply)) < 0)
                        break;
                snprintf(label, sizeof label, "Get %s", name);
                if (!(m = add_call(b, label, PROPERTIES, "Get")) || sd_bus_message_append(m, "ss", INTERFACE, name) < 0) {
                        r = -ENOMEM;
                        break;
                }
        }
        if (r < 0)
                fprintf(stderr, "dbus-bench: reading GetAll's reply failed: %s\n", strerror(-r));
finish:
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
        return r < 0 ? r : 0;
}

static int add_calls(struct bench *b) {
        int r;

        ADD(b, "Peer.Ping", "org.freedesktop.DBus.Peer", "Ping", "");
        ADD(b, "ListPrograms", INTERFACE, "ListPrograms", "");
        ADD(b, "GetProgram demo", INTERFACE, "GetProgram", "s", "demo");
        ADD(b, "ListPrecautions", INTERFACE, "ListPrecautions", "");
        ADD(b, "GetMemory 1", INTERFACE, "GetMemory", "u", 1u);
        ADD(b, "GetHistory 20", INTERFACE, "GetHistory", "u", 20u);
        ADD(b, "GetFaults 20", INTERFACE, "GetFaults", "u", 20u);
        ADD(b, "GetAll", PROPERTIES, "GetAll", "s", INTERFACE);
        r = add_gets(b);
        if (r < 0)
                return r;
        r = add_setters(b);
        if (r < 0)
                return r;
        /* Sealed, so each call can copy its arguments from the start; never sent themselves. */
        for (size_t k = 0; k < b->n; k++) {
                r = sd_bus_message_seal(b->calls[k].args, k + 1, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int one_call(struct bench *b, struct call *c, uint64_t *ret_ns) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        uint64_t t0;
        int r;

        r = sd_bus_message_new_method_call(b->bus, &m, c->destination, c->path, c->interface, c->member);
        if (r >= 0)
                r = sd_bus_message_rewind(c->args, true);
        if (r >= 0)
                r = sd_bus_message_copy(m, c->args, true);
        if (r >= 0) {
                t0 = now_ns();
                r = sd_bus_call(b->bus, m, 0, &error, &reply);
                *ret_ns = now_ns() - t0;
        }
        if (r < 0)
                fprintf(stderr, "dbus-bench: %s failed: %s\n", c->label, error.message ?: strerror(-r));
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
        sd_bus_message_unref(m);
        return r < 0 ? r : 0;
}

static size_t align_to(size_t n, size_t a) {
        return (n + a - 1) / a * a;
}

static size_t type_alignment(char t) {
        switch (t) {
        case 'y': case 'g': case 'v':
                return 1;
        case 'n': case 'q':
                return 2;
        case 'x': case 't': case 'd': case 'r': case 'e': case '(': case '{':
                return 8;
        default: /* b i u h s o a */
                return 4;
        }
}

/* The marshalled size of what is left of the current container, from offset (D-Bus's
 * alignment rules: each value at a multiple of its size, containers of 8, strings and arrays
 * after their 4-byte length). */
static int body_size(sd_bus_message *m, size_t offset, size_t *ret) {
        const char *contents;
        char type;
        int r;

        while ((r = sd_bus_message_peek_type(m, &type, &contents)) > 0) {
                offset = align_to(offset, type_alignment(type));
                if (type == 'a' || type == 'r' || type == 'e' || type == 'v') {
                        if (type == 'a')
                                offset += 4;
                        else if (type == 'v')
                                offset += 1 + strlen(contents) + 1;
                        if (type == 'a')
                                offset = align_to(offset, type_alignment(contents[0]));
                        r = sd_bus_message_enter_container(m, type, contents);
                        if (r >= 0)
                                r = body_size(m, offset, &offset);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                        if (r < 0)
                                return r;
                        continue;
                }
                {
                        union {
                                const char *s;
                                uint64_t u;
                        } v;
                        r = sd_bus_message_read_basic(m, type, &v);
                        if (r < 0)
                                return r;
                        if (type == 's' || type == 'o')
                                offset += 4 + strlen(v.s) + 1;
                        else if (type == 'g')
                                offset += 1 + strlen(v.s) + 1;
                        else
                                offset += type_alignment(type); /* a fixed type's size */
                }
        }
        if (r < 0)
                return r;
        *ret = offset;
        return 0;
}

/* Each call once, untimed: the size of its reply's body as marshalled, and the reply itself
 * when payloads is given. */
static int measure_replies(struct bench *b, sd_bus_message **payloads) {
        for (size_t k = 0; k < b->n; k++) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                sd_bus_message *m = NULL, *reply = NULL;
                size_t size = 0;
                int r;

                r = sd_bus_message_new_method_call(b->bus, &m, BUS_NAME, OBJECT_PATH, b->calls[k].interface,
                                                   b->calls[k].member);
                if (r >= 0)
                        r = sd_bus_message_rewind(b->calls[k].args, true);
                if (r >= 0)
                        r = sd_bus_message_copy(m, b->calls[k].args, true);
                if (r >= 0)
                        r = sd_bus_call(b->bus, m, 0, &error, &reply);
                if (r >= 0)
                        r = body_size(reply, 0, &size);
                if (r >= 0)
                        r = sd_bus_message_rewind(reply, true);
                if (r < 0)
                        fprintf(stderr, "dbus-bench: %s failed: %s\n", b->calls[k].label, error.message ?: strerror(-r));
                else
                        b->calls[k].reply_bytes = size;
                sd_bus_error_free(&error);
                sd_bus_message_unref(m);
                if (r >= 0 && payloads)
                        payloads[k] = reply;
                else
                        sd_bus_message_unref(reply);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int on_bare_call(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct bare *s = userdata;
        sd_bus_message *reply = NULL;
        const char *path = sd_bus_message_get_path(m);
        unsigned long k;
        char *end;
        int r;

        if (!path || strncmp(path, BARE_PATH "/", strlen(BARE_PATH "/")) != 0)
                return 0;
        k = strtoul(path + strlen(BARE_PATH "/"), &end, 10);
        if (*end || k >= s->n || !s->payloads[k])
                return 0;
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0) {
                /* Ping's reply is made and sent too: only the copy is the payload's cost here. */
                uint64_t t0 = thread_cpu_ns(), t;
                r = sd_bus_message_rewind(s->payloads[k], true);
                if (r >= 0)
                        r = sd_bus_message_copy(reply, s->payloads[k], true);
                t = thread_cpu_ns() - t0;
                s->copy_ns[k] += t > s->clock_ns ? t - s->clock_ns : 0;
                s->copies[k]++;
        }
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r < 0 ? r : 1;
}

static void *bare_run(void *userdata) {
        struct bare *s = userdata;

        while (!atomic_load(&s->stop)) {
                int r = sd_bus_process(s->bus, NULL);
                if (r < 0)
                        break;
                if (r == 0)
                        (void) sd_bus_wait(s->bus, 50000); /* to look at stop now and then */
        }
        return NULL;
}

static void bare_stop(struct bare *s) {
        if (s && s->thread) {
                atomic_store(&s->stop, true);
                pthread_join(s->thread, NULL);
                s->thread = 0;
        }
}

static void bare_free(struct bare *s) {
        if (!s)
                return;
        bare_stop(s);
        sd_bus_slot_unref(s->slot);
        sd_bus_flush_close_unref(s->bus);
        for (size_t k = 0; k < s->n; k++)
                sd_bus_message_unref(s->payloads[k]);
        free(s);
}

/* Starts the bare server with the daemon's replies and adds a bare twin of every call. */
static int add_baseline(struct bench *b) {
        struct bare *s = calloc(1, sizeof *s);
        const char *unique;
        size_t n = b->n;
        int r;

        if (!s)
                return -ENOMEM;
        b->bare = s;
        if (2 * n > MAX_CALLS)
                return -E2BIG;
        s->n = n;
        r = measure_replies(b, s->payloads);
        if (r < 0)
                return r;
        /* What reading each payload through costs: the copy less this is what appending it
         * costs, as a server building the same reply pays. */
        s->clock_ns = UINT64_MAX;
        for (unsigned i = 0; i < 1000; i++) {
                uint64_t t0 = thread_cpu_ns(), t = thread_cpu_ns() - t0;
                if (t < s->clock_ns)
                        s->clock_ns = t;
        }
        for (size_t k = 0; k < n; k++) {
                uint64_t sum = 0;
                unsigned i;
                for (i = 0; i < 200 && r >= 0; i++) {
                        uint64_t t0 = thread_cpu_ns(), t;
                        size_t size;
                        r = sd_bus_message_rewind(s->payloads[k], true);
                        if (r >= 0)
                                r = body_size(s->payloads[k], 0, &size);
                        t = thread_cpu_ns() - t0;
                        sum += t > s->clock_ns ? t - s->clock_ns : 0;
                }
                s->read_ns[k] = i ? sum / i : 0;
        }
        if (r >= 0)
                r = sd_bus_open_system(&s->bus);
        if (r >= 0)
                r = sd_bus_add_fallback(s->bus, &s->slot, BARE_PATH, on_bare_call, s);
        if (r >= 0)
                r = sd_bus_get_unique_name(s->bus, &unique); /* connected: Hello answered */
        if (r < 0)
                return r;
        for (size_t k = 0; k < n; k++) {
                struct call *c = &b->calls[n + k];
                *c = b->calls[k];
                sd_bus_message_ref(c->args);
                snprintf(c->label, sizeof c->label, "bare %s", b->calls[k].label);
                snprintf(c->destination, sizeof c->destination, "%s", unique);
                snprintf(c->path, sizeof c->path, BARE_PATH "/%zu", k);
                c->bare = true;
                c->twin = (long) k;
                b->calls[k].twin = (long) (n + k);
        }
        b->n = 2 * n;
        r = -pthread_create(&s->thread, NULL, bare_run, s);
        if (r < 0)
                s->thread = 0;
        return r;
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
        unsigned iterations = 5000, warmup = 200;
        const char *only = NULL;
        bool json = false, baseline = false;
        struct bench b = {};
        uint64_t ns;
        int c, r;
        static const struct option opts[] = {
                { "iterations", required_argument, NULL, 'n' }, { "json", no_argument, NULL, 'j' },
                { "only", required_argument, NULL, 'o' }, { "baseline-payload", no_argument, NULL, 'b' }, {}
        };

        while ((c = getopt_long(argc, argv, "n:jo:b", opts, NULL)) >= 0) {
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
                else if (c == 'o')
                        only = optarg;
                else if (c == 'b')
                        baseline = true;
                else {
                        fprintf(stderr, "Usage: dbus-bench [--iterations N] [--json] [--only LABEL] [--baseline-payload]\n");
                        return 2;
                }
        }
        r = sd_bus_open_system(&b.bus);
        if (r < 0) {
                fprintf(stderr, "dbus-bench: cannot connect to the system bus: %s\n", strerror(-r));
                return 3;
        }
        r = add_calls(&b);
        if (r < 0)
                goto finish;
        /* --only: that call beside Ping (always calls[0]) and nothing else, to profile one call. */
        if (only) {
                size_t k = 1;
                while (k < b.n && strcmp(b.calls[k].label, only) != 0)
                        k++;
                if (k == b.n && strcmp(b.calls[0].label, only) != 0) {
                        fprintf(stderr, "dbus-bench: --only: no call '%s'\n", only);
                        r = -EINVAL;
                        goto finish;
                }
                for (size_t j = 1; j < b.n; j++)
                        if (j != k)
                                b.calls[j].args = sd_bus_message_unref(b.calls[j].args);
                if (k < b.n)
                        b.calls[1] = b.calls[k];
                b.n = k < b.n ? 2 : 1;
        }
        r = baseline ? add_baseline(&b) : measure_replies(&b, NULL);
        if (r < 0) {
                fprintf(stderr, "dbus-bench: %s failed: %s\n", baseline ? "the bare server" : "measuring the replies",
                        strerror(-r));
                goto finish;
        }
        for (size_t k = 0; k < b.n; k++) {
                b.calls[k].samples = calloc(iterations, sizeof(uint64_t));
                if (!b.calls[k].samples) {
                        r = -ENOMEM;
                        goto finish;
                }
        }
        for (unsigned i = 0; i < warmup; i++)
                for (size_t k = 0; k < b.n; k++)
                        if ((r = one_call(&b, &b.calls[k], &ns)) < 0)
                                goto finish;
        /* A new order each iteration: a call's time depends on the call before it (with a
         * rotation, which keeps each kind after the same one, Get State after GetAll measured
         * 1.15x and the other Gets 1.08x). */
        size_t order[MAX_CALLS];
        unsigned seed = 16;
        for (size_t k = 0; k < b.n; k++)
                order[k] = k;
        for (unsigned i = 0; i < iterations; i++) {
                for (size_t k = b.n - 1; k > 0; k--) {
                        size_t j = (size_t) rand_r(&seed) % (k + 1), t = order[k];
                        order[k] = order[j];
                        order[j] = t;
                }
                for (size_t j = 0; j < b.n; j++) {
                        struct call *k = &b.calls[order[j]];
                        if ((r = one_call(&b, k, &k->samples[i])) < 0)
                                goto finish;
                }
        }

        bare_stop(b.bare); /* its counters are read below */
        uint64_t p50[MAX_CALLS], p99[MAX_CALLS];
        for (size_t k = 0; k < b.n; k++) {
                qsort(b.calls[k].samples, iterations, sizeof(uint64_t), compare_u64);
                p50[k] = percentile(b.calls[k].samples, iterations, 0.50);
                p99[k] = percentile(b.calls[k].samples, iterations, 0.99);
        }
        /* calls[0] is Ping; a bare twin's ratios are to the bare Ping (calls[calls[0].twin]). */
        size_t half = baseline ? b.n / 2 : b.n;
#define PING_OF(k) (b.calls[k].bare ? (size_t) b.calls[0].twin : 0)
#define COPY_US(k)                                                                                   \
        (b.calls[k].bare && b.bare->copies[b.calls[k].twin]                                          \
                 ? (double) b.bare->copy_ns[b.calls[k].twin] / (double) b.bare->copies[b.calls[k].twin] / 1e3 \
                 : 0.0)
#define READ_US(k) (b.calls[k].bare ? (double) b.bare->read_ns[b.calls[k].twin] / 1e3 : 0.0)
        if (json) {
                printf("{\"iterations\":%u,\"calls\":[", iterations);
                for (size_t k = 0; k < b.n; k++)
                        printf("%s{\"call\":\"%s\",\"bare\":%s,\"body_bytes\":%llu,\"p50_us\":%.1f,\"p99_us\":%.1f,"
                               "\"p50_ratio\":%.3f,\"p99_ratio\":%.3f,\"copy_us\":%.2f,\"read_us\":%.2f}",
                               k ? "," : "", b.calls[k].label, b.calls[k].bare ? "true" : "false",
                               (unsigned long long) b.calls[k].reply_bytes, (double) p50[k] / 1e3, (double) p99[k] / 1e3,
                               (double) p50[k] / (double) p50[PING_OF(k)], (double) p99[k] / (double) p99[PING_OF(k)],
                               COPY_US(k), READ_US(k));
                printf("]}\n");
        } else {
                printf("%u interleaved iterations of each call, microseconds; ratio to Peer.Ping%s\n", iterations,
                       baseline ? "; bare: the same reply from a bare sd-bus server, ratio to its Ping" : "");
                printf("%-24s %7s %9s %9s %7s %7s", "call", "body", "p50", "p99", "p50 x", "p99 x");
                printf(baseline ? " %9s %7s %7s %7s %7s %7s\n" : "\n", "bare p50", "bare x", "copy", "read", "floor x",
                       "built x");
                for (size_t k = 0; k < half; k++) {
                        printf("%-24s %7llu %9.1f %9.1f %7.2f %7.2f", b.calls[k].label,
                               (unsigned long long) b.calls[k].reply_bytes, (double) p50[k] / 1e3, (double) p99[k] / 1e3,
                               (double) p50[k] / (double) p50[0], (double) p99[k] / (double) p99[0]);
                        if (baseline) {
                                size_t t = (size_t) b.calls[k].twin;
                                /* The floor: the bare server's round trip without its copy of the reply;
                                 * built: without the copy's reading half, as if it appended the reply. */
                                double ping = (double) p50[PING_OF(t)] / 1e3, bare = (double) p50[t] / 1e3;
                                printf(" %9.1f %7.2f %7.2f %7.2f %7.2f %7.2f", bare, bare / ping, COPY_US(t), READ_US(t),
                                       (bare - COPY_US(t)) / ping, (bare - READ_US(t)) / ping);
                        }
                        printf("\n");
                }
        }
#undef READ_US
#undef COPY_US
#undef PING_OF
        r = 0;
finish:
        for (size_t k = 0; k < b.n; k++) {
                free(b.calls[k].samples);
                sd_bus_message_unref(b.calls[k].args);
        }
        bare_free(b.bare);
        sd_bus_flush_close_unref(b.bus);
        return r < 0 ? 1 : 0;
}
