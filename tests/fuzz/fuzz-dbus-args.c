/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: method calls built from the input, through the daemon's argument parsers
 * (daemon/bus-args.c, which every handler with arguments calls first), and the reply or error
 * the handler would send built from the outcome. Nothing may crash, leak or hang; every
 * refusal must carry an error; InvalidArgs must say something.
 *
 * Input: byte 0 picks the method (bus_method_args[]), byte 1's low bit sends another method's
 * signature (byte 2 picks it: the parsers must cope with the wrong types), then the values of
 * the signature: a string is a length byte and that many bytes (length 0xff: a word of the
 * daemon's vocabularies instead, picked by the next byte; high bit: a long string), an array a
 * count byte (high bit: times 64) and its elements, a variant a type byte and its value.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#include "bus/bus-args.h"
#include "macro.h"
#include "precautions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken expectation is a crash libFuzzer reports, whatever NDEBUG says. */
#define CHECK(x)                 \
        do {                     \
                if (!(x))        \
                        abort(); \
        } while (0)

struct input {
        const uint8_t *p;
        size_t left;
        size_t budget;  /* array elements left: nested long arrays must not multiply */
};

static uint8_t next(struct input *in) {
        if (!in->left)
                return 0;
        in->left--;
        return *in->p++;
}

/* Words the parsers know, so the fuzzer reaches past the first check. */
static const char *const words[] = {
        "intensity", "duration", "scan", "heat", "shoulders", "arms", "back", "seat", "calves", "feet",
        "lumbar", "narrow", "medium", "wide", "full", "upper", "lower", "point", "knead", "demo",
        "wakeups", "commands", "pregnancy", "osteoporosis", "stop", "estop", "x.ini", "../x.ini", "",
};

static int append_string(sd_bus_message *m, struct input *in) {
        uint8_t b = next(in);
        size_t len;
        char *s;
        int r;

        if (b == 0xff) {
                const char *w = words[next(in) % (sizeof words / sizeof *words)];
                return sd_bus_message_append_basic(m, 's', w);
        }
        len = b & 0x80 ? (size_t) (b & 0x7f) * 1024 + next(in) : b;
        s = malloc(len + 1);
        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < len; i++) {
                uint8_t c = in->left ? next(in) : 'a';
                s[i] = (char) (c == 0 ? 'a' : c); /* invalid UTF-8 is refused by sd-bus itself */
        }
        s[len] = '\0';
        r = sd_bus_message_append_basic(m, 's', s);
        free(s);
        return r;
}

static int append_value(sd_bus_message *m, const char **sig, struct input *in, unsigned depth);

static int append_variant(sd_bus_message *m, struct input *in, unsigned depth) {
        static const char *const types[] = { "u", "b", "s", "i", "t", "as", "a{sv}" };
        const char *t = types[next(in) % (depth > 2 ? 5 : sizeof types / sizeof *types)];
        const char *p = t;
        int r = sd_bus_message_open_container(m, 'v', t);
        if (r >= 0)
                r = append_value(m, &p, in, depth + 1);
        return r < 0 ? r : sd_bus_message_close_container(m);
}

/* Appends one complete type from *sig, advancing it. */
static int append_value(sd_bus_message *m, const char **sig, struct input *in, unsigned depth) {
        char c = *(*sig)++;
        int r;

        switch (c) {
        case 's':
                return append_string(m, in);
        case 'u': {
                uint32_t v = 0;
                for (unsigned i = 0; i < 4; i++)
                        v = v << 8 | next(in);
                if (v >> 24 == 0) /* mostly small numbers: the ranges are small */
                        v &= 0xff;
                return sd_bus_message_append_basic(m, 'u', &v);
        }
        case 'i': {
                int32_t v = (int8_t) next(in);
                return sd_bus_message_append_basic(m, 'i', &v);
        }
        case 't': {
                uint64_t v = 0;
                for (unsigned i = 0; i < 8; i++)
                        v = v << 8 | next(in);
                return sd_bus_message_append_basic(m, 't', &v);
        }
        case 'b': {
                int v = next(in) & 1;
                return sd_bus_message_append_basic(m, 'b', &v);
        }
        case 'v':
                return append_variant(m, in, depth);
        case 'a': {
                uint8_t b = next(in);
                size_t n = b & 0x80 ? (size_t) (b & 0x7f) * 64 : b;
                const char *elem = *sig, *end;
                char contents[16];

                /* The element type: one letter or a dict entry "{sv}". */
                end = *elem == '{' ? strchr(elem, '}') + 1 : elem + 1;
                assert((size_t) (end - elem) < sizeof contents);
                memcpy(contents, elem, (size_t) (end - elem));
                contents[end - elem] = '\0';
                r = sd_bus_message_open_container(m, 'a', contents);
                for (size_t i = 0; r >= 0 && i < n; i++) {
                        const char *p = contents;
                        if (!in->budget--)
                                return -E2BIG;
                        if (*p == '{') {
                                r = sd_bus_message_open_container(m, 'e', "sv");
                                p = contents + 1;
                                if (r >= 0)
                                        r = append_value(m, &p, in, depth);
                                if (r >= 0)
                                        r = append_value(m, &p, in, depth);
                                if (r >= 0)
                                        r = sd_bus_message_close_container(m);
                        } else {
                                r = append_value(m, &p, in, depth);
                        }
                }
                *sig = end;
                return r < 0 ? r : sd_bus_message_close_container(m);
        }
        default:
                return -EINVAL;
        }
}

static size_t n_methods(void) {
        size_t n = 0;
        while (bus_method_args[n].member)
                n++;
        return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static sd_bus *bus;
        static const char **conditions;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        struct input in = { data, size, 100000 };
        const struct bus_method_args *method;
        struct bus_args a = {};
        const char *sig;
        size_t count = n_methods();
        uint8_t flags;
        int r;

        if (!bus) {
                /* A bus on a socketpair that never authenticates: enough to build messages. */
                int fds[2];
                size_t n;
                const struct precaution *list = precaution_list(&n);
                CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
                CHECK(sd_bus_new(&bus) >= 0);
                CHECK(sd_bus_set_fd(bus, fds[0], fds[0]) >= 0);
                CHECK(sd_bus_start(bus) >= 0);
                conditions = calloc(n + 1, sizeof *conditions);
                CHECK(conditions);
                for (size_t i = 0; i < n; i++)
                        conditions[i] = list[i].name;
        }
        if (size < 2 || size > 64 * 1024)
                return 0;
        method = &bus_method_args[next(&in) % count];
        flags = next(&in);
        sig = flags & 1 ? bus_method_args[next(&in) % count].signature : method->signature;

        CHECK(sd_bus_message_new_method_call(bus, &m, "org.massagechair.Chair1", "/org/massagechair/Chair1",
                                              method->interface, method->member) >= 0);
        for (const char *p = sig; *p;)
                if (append_value(m, &p, &in, 0) < 0)
                        return 0; /* not a message a client could send (invalid UTF-8, too deep) */
        if (sd_bus_message_seal(m, 1, 0) < 0)
                return 0;

        const struct bus_args_context ctx = { .conditions = conditions };
        r = method->parse(m, &ctx, &a, &error);
        bus_args_done(&a);
        if (r < 0) {
                /* What sd-bus sends for a handler's failure: the named error, or one from r. */
                if (sd_bus_error_is_set(&error) && strcmp(error.name, SD_BUS_ERROR_INVALID_ARGS) == 0)
                        CHECK(error.message && *error.message);
                CHECK(sd_bus_message_new_method_errno(m, &reply, r, &error) >= 0);
        } else {
                CHECK(!sd_bus_error_is_set(&error));
                CHECK(sd_bus_message_new_method_return(m, &reply) >= 0);
        }
        CHECK(reply);
        return 0;
}
