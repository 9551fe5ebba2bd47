/* SPDX-License-Identifier: MIT */
/*
 * chairctl: the command-line client of massagechaird. It talks D-Bus only (like timedatectl),
 * except `chairctl profile check|show|plot`, which read profile files directly.
 *
 * One table, verbs[], drives everything about a command: dispatch and its argument count, the
 * help, the man page's list (chairctl __man, at build time) and the shell completion
 * (chairctl __complete, at Tab time).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chair-client.h"
#include "fault-codes.h"
#include "chair-io.h"
#include "hw-command.h"
#include "macro.h"
#include "monitor.h"
#include "output.h"
#include "parse-number.h"
#include "person-command.h"
#include "posture-command.h"
#include "profile-command.h"
#include "report-command.h"
#include "vocab.h"

enum json_mode { JSON_OFF, JSON_SHORT, JSON_PRETTY };

struct options {
        enum json_mode json;
        bool verbose, no_legend, no_pager, full, value, no_block;
        const char *address, *host;
        const char *properties[32];
        unsigned n_properties;
};

struct ctx {
        sd_bus *bus;
        const struct options *o;
        unsigned columns; /* 0: no limit */
};

enum {
        V_READS = 1 << 0,  /* prints data: --json applies */
        V_NO_BUS = 1 << 1, /* works without the daemon */
        V_PAGER = 1 << 2,  /* long output: paged on a terminal */
        V_BUS_OPTIONAL = 1 << 3, /* uses the daemon when it answers */
        V_CHECKS_FIRST = 1 << 4, /* checks its arguments, then connects itself */
};

struct verb {
        const char *name, *section, *args, *summary, *text;
        int min, max; /* arguments after the verb; -1: the command checks its own */
        unsigned flags;
        int (*run)(struct ctx *c, int argc, char **argv);
        /* Completion of each argument: words, or @programs, @conditions, @keys, @files, @techniques, @areas */
        const char *complete[3];
        const char *verb_options;
};

/* In a verb's args, text and completion, @NAME stands for a vocabulary's words, read from its
 * one table (common/vocab.h), so the help, the man page and the completion say what the daemon
 * takes. */
static const struct {
        const char *token;
        enum vocab_list list;
        /* Instead of LIST: a table of commands (person-command.h). */
        const char *(*join)(const char *sep, char *buf, size_t size);
} vocab_tokens[] = {
        { "@techniques", VOCAB_TECHNIQUES, NULL },
        { "@areas", VOCAB_AREAS, NULL },
        { "@widths", VOCAB_WIDTHS, NULL },
        { "@air-zones", VOCAB_AIR_ZONES, NULL },
        { "@heat-zones", VOCAB_HEAT_ZONES, NULL },
        { "@keys", VOCAB_KEYS, NULL },
        { "@timers", VOCAB_TIMERS, NULL },
        { "@pain-areas", VOCAB_PAIN_AREAS, NULL },
        { "@goals", VOCAB_GOALS, NULL },
        { "@person-commands", 0, person_commands_join },
        { "@person-usage", 0, person_usage_join },
        { "@axes", 0, posture_axes_join },
        { "@presets", 0, posture_presets_join },
        { "@axis-directions", 0, posture_directions_join },
};

/* TEXT with each @NAME of vocab_tokens[] spelled out, its words separated by SEP; other words
 * (@programs, @files, ...) stay. */
static const char *expand_vocab(const char *text, const char *sep, char *buf, size_t size) {
        size_t o = 0;

        if (!strchr(text, '@') || !size)
                return text;
        for (const char *s = text; *s && o + 1 < size;) {
                bool found = false;
                for (size_t i = 0; i < ARRAY_SIZE(vocab_tokens) && !found; i++) {
                        size_t len = strlen(vocab_tokens[i].token);
                        char names[2 * VOCAB_NAMES_MAX]; /* @person-usage is long */
                        int n;
                        if (strncmp(s, vocab_tokens[i].token, len) != 0)
                                continue;
                        n = snprintf(buf + o, size - o, "%s",
                                     vocab_tokens[i].join ? vocab_tokens[i].join(sep, names, sizeof names)
                                                          : vocab_join(vocab_tokens[i].list, sep, names, sizeof names));
                        o = n < 0 ? size - 1 : MIN(o + (size_t) n, size - 1);
                        s += len;
                        found = true;
                }
                if (!found)
                        buf[o++] = *s++;
        }
        buf[MIN(o, size - 1)] = 0;
        return buf;
}

#define usage(...) chairctl_usage("chairctl --help", __VA_ARGS__)

#define parse_uint chairctl_parse_uint

static int parse_steps(const char *s, int *ret) {
        long long v;
        if (parse_integer(s, -20, 20, &v) < 0 || v == 0)
                return -EINVAL;
        *ret = (int) v;
        return 0;
}

static struct json json_for(const struct ctx *c) {
        return (struct json) { .f = stdout, .pretty = c->o->json == JSON_PRETTY };
}

static int get_state(sd_bus *bus, char *buf, size_t size) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char *s = NULL;
        int r = sd_bus_get_property_string(bus, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, CHAIR_INTERFACE, "State", &error, &s);
        sd_bus_error_free(&error);
        if (r < 0)
                return r;
        snprintf(buf, size, "%s", s);
        free(s);
        return 0;
}

/*
 * A Busy or NotRunning refusal: the fix depends on what the chair is doing, which the daemon's
 * sentence cannot know from the caller's point of view. One line, naming the fix.
 */
static int report_refusal(struct ctx *c, const char *verb, const sd_bus_error *error, int r) {
        char state[16] = "";
        const char *fix = NULL;
        bool busy = sd_bus_error_has_name(error, CHAIR_ERROR_BUSY),
             not_running = sd_bus_error_has_name(error, CHAIR_ERROR_NOT_RUNNING);

        if ((!busy && !not_running) || get_state(c->bus, state, sizeof state) < 0)
                return client_report_error(error, r);
        if (strcmp(verb, "point") == 0 && strcmp(state, "scanning") != 0)
                fix = "'chairctl manual TECHNIQUE point' starts point mode";
        else if (strcmp(verb, "test-output") == 0 && strcmp(state, "idle") == 0)
                fix = "another output test runs and ends within its time";
        else if (strcmp(state, "scanning") == 0)
                fix = "the body scan ends by itself in a few seconds and its program then starts "
                      "('chairctl stop' cancels it)";
        else if (strcmp(state, "fault") == 0)
                fix = "a fault is latched: 'chairctl status' names it, 'chairctl clear-fault' clears it once its "
                      "cause is gone";
        else if (strcmp(state, "settling") == 0)
                fix = "the chair is settling (roller going home) and is idle again in a few seconds";
        else if (strcmp(state, "paused") == 0 && strcmp(verb, "pause") == 0)
                fix = "the session is paused already; 'chairctl resume' continues it";
        else if (strcmp(state, "running") == 0 && strcmp(verb, "resume") == 0)
                fix = "the session is running already; 'chairctl pause' holds it";
        else if (busy)
                fix = "stop the running session first with 'chairctl stop'";
        else
                fix = "'chairctl start PROGRAM' starts a session";
        fprintf(stderr, "chairctl: %s: %s.\n", error->message ? error->message : error->name, fix);
        return EXIT_CALL_FAILED;
}

/* Runs one method with no reply data; on failure prints advice and returns the exit code. */
static int call(struct ctx *c, const char *verb, const char *interface, const char *method, const char *sig, ...) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(c->bus, &m, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, interface, method);
        if (r >= 0 && sig) {
                va_start(ap, sig);
                r = sd_bus_message_appendv(m, sig, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_call(c->bus, m, 0, &error, &reply);
        r = r < 0 ? report_refusal(c, verb, &error, r) : 0;
        sd_bus_error_free(&error);
        sd_bus_message_unref(m);
        sd_bus_message_unref(reply);
        return r;
}

static void format_duration(uint32_t s, char *buf, size_t size) {
        snprintf(buf, size, "%u:%02u", s / 60, s % 60);
}

/* The panel's display and the latched fault's number, from the diagnostics (technicians and
 * the simulated chair); -1 each when they cannot be read. */
struct panel_view {
        int64_t minutes, program, intensity, fault;
        bool known;
};

static void panel_view_entry(void *userdata, const char *key, int64_t x) {
        struct panel_view *v = userdata;
        const char *k = key + strlen("output.display_");

        if (strncmp(key, "output.display_", 15) != 0)
                return;
        v->known = true;
        if (strcmp(k, "minutes") == 0)
                v->minutes = x;
        else if (strcmp(k, "program") == 0)
                v->program = x;
        else if (strcmp(k, "intensity") == 0)
                v->intensity = x;
        else if (strcmp(k, "fault") == 0)
                v->fault = x;
}

static void get_panel_view(sd_bus *bus, struct panel_view *v) {
        *v = (struct panel_view) { -1, -1, -1, -1, false };
        client_read_diagnostics(bus, panel_view_entry, v);
}

static int print_diagnostics(struct ctx *c) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r = sd_bus_call_method(c->bus, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, CHAIR_SERVICE_INTERFACE, "GetDiagnostics",
                                   &error, &reply, NULL);
        if (r < 0) {
                printf("\n(diagnostics: %s)\n", error.message ? error.message : strerror(-r));
                sd_bus_error_free(&error);
                return 0;
        }
        printf("\nDiagnostics:\n");
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key, *contents;
                char type;
                sd_bus_message_read(reply, "s", &key);
                sd_bus_message_peek_type(reply, &type, &contents);
                if (contents && contents[0] == 'x') {
                        int64_t v;
                        sd_bus_message_read(reply, "v", "x", &v);
                        printf("  %-28s %lld\n", key, (long long) v);
                } else if (contents && contents[0] == 't') {
                        uint64_t v;
                        sd_bus_message_read(reply, "v", "t", &v);
                        printf("  %-28s %llu%s\n", key, (unsigned long long) v, strstr(key, "_us") ? " us" : "");
                } else if (contents && contents[0] == 'b') {
                        int v;
                        sd_bus_message_read(reply, "v", "b", &v);
                        printf("  %-28s %s\n", key, v ? "yes" : "no");
                } else {
                        sd_bus_message_skip(reply, "v");
                }
                sd_bus_message_exit_container(reply);
        }
        sd_bus_message_unref(reply);
        return 0;
}

static int cmd_status(struct ctx *c, int argc, char **argv) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        struct chair_status st;
        struct panel_view pv;
        struct posture_view pos;
        char rem[16], dur[16], fault_panel[16] = "";
        int r = client_get_status(c->bus, &st, &error);
        bool has_posture;

        if (r < 0) {
                r = client_report_error(&error, r);
                sd_bus_error_free(&error);
                return r;
        }
        /* A daemon without a hardware map says what to do (its FaultMessage). */
        if (strcmp(st.state, "unconfigured") == 0) {
                if (c->o->json) {
                        struct json j = json_for(c);
                        json_begin_object(&j, NULL);
                        json_str(&j, "state", st.state);
                        json_str(&j, "message", st.fault_message);
                        json_end_object(&j);
                }
                fprintf(stderr, "not configured: %s\n", st.fault_message);
                return EXIT_NOT_CONFIGURED;
        }
        get_panel_view(c->bus, &pv);
        has_posture = posture_view_read(c->bus, &pos, &error) >= 0; /* none from an older daemon */
        sd_bus_error_free(&error);
        if (st.fault[0])
                snprintf(fault_panel, sizeof fault_panel, "E%02u", chair_fault_number(st.fault));
        if (c->o->json) {
                struct json j = json_for(c);
                json_begin_object(&j, NULL);
                json_str(&j, "state", st.state);
                json_str(&j, "program", st.program);
                json_str(&j, "selected_program", st.selected);
                json_uint(&j, "remaining", st.remaining);
                json_uint(&j, "duration", st.duration);
                json_uint(&j, "intensity", st.intensity);
                json_uint(&j, "speed", st.speed);
                json_uint(&j, "depth", st.depth);
                json_str(&j, "width", st.width);
                json_uint(&j, "timer", st.timer);
                json_int(&j, "shoulder_mm", st.shoulder);
                json_int(&j, "roller_mm", st.roller);
                json_uint(&j, "session_id", st.session_id);
                json_begin_object(&j, "heat");
                for (unsigned i = 0; i < st.n_heat; i++) {
                        json_begin_object(&j, st.heat[i].zone);
                        json_uint(&j, "level", st.heat[i].level);
                        if (st.heat[i].has_temp)
                                json_double(&j, "temperature", st.heat[i].temp);
                        if (st.heat[i].has_dose) {
                                json_uint(&j, "dose_s", st.heat[i].dose_s);
                                json_uint(&j, "dose_limit_s", st.heat[i].limit_s);
                                json_uint(&j, "dose_resume_s", st.heat[i].resume_s);
                                json_double(&j, "dose_threshold", st.heat[i].threshold_decic / 10.0);
                                json_bool(&j, "dose_limited", st.heat[i].limited);
                        }
                        json_end_object(&j);
                }
                json_end_object(&j);
                json_begin_array(&j, "air_zones");
                for (unsigned i = 0; i < st.n_air_zones; i++)
                        json_str(&j, NULL, st.air_zones[i]);
                json_end_array(&j);
                json_uint(&j, "air_intensity", st.air_intensity);
                json_begin_array(&j, "active_air_zones");
                for (unsigned i = 0; i < st.n_active_air; i++)
                        json_str(&j, NULL, st.active_air[i]);
                json_end_array(&j);
                json_bool(&j, "child_lock", st.child_lock);
                if (has_posture)
                        posture_view_json(&j, "posture", &pos);
                json_begin_array(&j, "precautions");
                for (unsigned i = 0; i < st.n_precautions; i++)
                        json_str(&j, NULL, st.precautions[i]);
                json_end_array(&j);
                json_str(&j, "fault", st.fault);
                json_str(&j, "fault_message", st.fault_message);
                /* The number the panel shows for it (the one table), as the text's "E01". */
                json_str(&j, "fault_panel", fault_panel);
                if (pv.known) {
                        json_begin_object(&j, "panel_display");
                        json_int(&j, "program", pv.program);
                        json_int(&j, "minutes", pv.minutes);
                        json_int(&j, "intensity", pv.intensity);
                        json_int(&j, "fault", pv.fault);
                        json_end_object(&j);
                }
                json_end_object(&j);
                return 0;
        }
        format_duration(st.remaining, rem, sizeof rem);
        format_duration(st.duration, dur, sizeof dur);
        printf("       Chair: %s\n", st.model);
        printf("       State: %s\n", st.state);
        if (st.program[0])
                printf("     Program: %s (%s of %s left)\n", st.program, rem, dur);
        if (st.selected[0] && strcmp(st.selected, st.program) != 0)
                printf("    Selected: %s (the panel's start key starts it)\n", st.selected);
        printf("      Levels: intensity %u, speed %u, depth %u, width %s\n", st.intensity, st.speed, st.depth, st.width);
        printf("        Heat:");
        for (unsigned i = 0; i < st.n_heat; i++) {
                printf(" %s %u", st.heat[i].zone, st.heat[i].level);
                if (st.heat[i].has_temp)
                        printf(" (%.1f °C)", st.heat[i].temp);
                printf("%s", i + 1 < st.n_heat ? "," : "");
        }
        /* The zones off for their heat dose, on one line: why their heat does not come on. */
        for (unsigned i = 0, n = 0; i < st.n_heat; i++) {
                if (!st.heat[i].has_dose || !st.heat[i].limited)
                        continue;
                printf(n++ ? "; " : "\n   Heat dose: ");
                if (!st.heat[i].limit_s)
                        printf("%s off, no heat for the active person", st.heat[i].zone);
                else
                        printf("%s off, %u min at or above %.1f °C reached the limit of %u min, back at %u min",
                               st.heat[i].zone, st.heat[i].dose_s / 60, st.heat[i].threshold_decic / 10.0,
                               st.heat[i].limit_s / 60, st.heat[i].resume_s / 60);
        }
        printf("\n         Air:");
        if (!st.n_air_zones)
                printf(" off");
        for (unsigned i = 0; i < st.n_air_zones; i++)
                printf(" %s", st.air_zones[i]);
        if (st.n_air_zones)
                printf(" at %u", st.air_intensity);
        /* A program drives its own air: say which zones are inflated right now. */
        if (st.n_active_air) {
                printf(" (inflated now:");
                for (unsigned i = 0; i < st.n_active_air; i++)
                        printf(" %s", st.active_air[i]);
                printf(")");
        }
        printf("\n");
        printf("       Timer: %u min\n", st.timer);
        if (st.child_lock)
                printf("  Child lock: on (panel keys other than stop are ignored)\n");
        if (st.shoulder >= 0)
                printf("    Shoulder: %d mm (roller at %d mm)\n", st.shoulder, st.roller);
        else
                printf("    Shoulder: not scanned (roller at %d mm)\n", st.roller);
        if (has_posture)
                posture_view_status(stdout, &pos);
        /* Always shown: "none declared" is worth knowing before a session too. */
        printf(" Precautions:");
        for (unsigned i = 0; i < st.n_precautions; i++)
                printf(" %s", st.precautions[i]);
        printf("%s\n", st.n_precautions ? "" : st.precautions_hidden ? " not shown (health data)" : " none declared");
        if (pv.known) {
                /* What the person sees on the panel's display (docs/panel.md): blank fields as '-'. */
                printf("       Panel: program ");
                printf(pv.program > 0 ? "%lld" : "-", (long long) pv.program);
                printf(", %lld min, intensity %lld", (long long) pv.minutes, (long long) pv.intensity);
                if (pv.fault > 0)
                        printf(", fault E%02lld", (long long) pv.fault);
                printf("\n");
        }
        if (st.fault[0]) {
                printf("       Fault: %s: %s (the panel shows %s)\n", st.fault, st.fault_message, fault_panel);
        }
        if (c->o->verbose)
                return print_diagnostics(c);
        return 0;
}

/* Prints one property's value as text: scalars as they are, arrays space-separated, dicts as
 * KEY:VALUE pairs. Returns < 0 for a type it does not know (then skipped). */
static int print_variant(FILE *f, sd_bus_message *m, const char *contents) {
        char type = contents[0];
        int r;

        switch (type) {
        case 's': {
                const char *s;
                r = sd_bus_message_read(m, "v", "s", &s);
                if (r >= 0)
                        fprintf(f, "%s", s);
                return r;
        }
        case 'u': {
                uint32_t u;
                r = sd_bus_message_read(m, "v", "u", &u);
                if (r >= 0)
                        fprintf(f, "%u", u);
                return r;
        }
        case 'i': {
                int32_t i;
                r = sd_bus_message_read(m, "v", "i", &i);
                if (r >= 0)
                        fprintf(f, "%d", i);
                return r;
        }
        case 't': {
                uint64_t t;
                r = sd_bus_message_read(m, "v", "t", &t);
                if (r >= 0)
                        fprintf(f, "%llu", (unsigned long long) t);
                return r;
        }
        case 'b': {
                int b;
                r = sd_bus_message_read(m, "v", "b", &b);
                if (r >= 0)
                        fprintf(f, "%s", b ? "yes" : "no");
                return r;
        }
        case 'a': {
                bool first = true;
                r = sd_bus_message_enter_container(m, 'v', contents);
                if (r < 0)
                        return r;
                if (strcmp(contents, "as") == 0) {
                        const char *s;
                        r = sd_bus_message_enter_container(m, 'a', "s");
                        while (r >= 0 && (r = sd_bus_message_read(m, "s", &s)) > 0) {
                                fprintf(f, "%s%s", first ? "" : " ", s);
                                first = false;
                        }
                } else if (strcmp(contents, "a{su}") == 0) {
                        const char *k;
                        uint32_t u;
                        r = sd_bus_message_enter_container(m, 'a', "{su}");
                        while (r >= 0 && (r = sd_bus_message_read(m, "{su}", &k, &u)) > 0) {
                                fprintf(f, "%s%s:%u", first ? "" : " ", k, u);
                                first = false;
                        }
                } else if (strcmp(contents, "a{sd}") == 0) {
                        const char *k;
                        double d;
                        r = sd_bus_message_enter_container(m, 'a', "{sd}");
                        while (r >= 0 && (r = sd_bus_message_read(m, "{sd}", &k, &d)) > 0) {
                                fprintf(f, "%s%s:%.1f", first ? "" : " ", k, d);
                                first = false;
                        }
                } else {
                        r = sd_bus_message_skip(m, contents);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                        return r < 0 ? r : -EOPNOTSUPP;
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                return r;
        }
        default:
                r = sd_bus_message_skip(m, "v");
                return r < 0 ? r : -EOPNOTSUPP;
        }
}

static bool wanted_property(const struct options *o, const char *name) {
        if (!o->n_properties)
                return true;
        for (unsigned i = 0; i < o->n_properties; i++)
                if (strcmp(o->properties[i], name) == 0)
                        return true;
        return false;
}

/* show: every property of the chair as NAME=VALUE for scripts, like 'systemctl show'. With
 * --json, busctl's own rendering of the same properties is the better tool, so show prints a
 * flat object of the text values. */
static int cmd_show(struct ctx *c, int argc, char **argv) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        unsigned shown = 0;
        int r;

        r = sd_bus_call_method(c->bus, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, "org.freedesktop.DBus.Properties", "GetAll",
                               &error, &reply, "s", CHAIR_INTERFACE);
        if (r < 0) {
                r = client_report_error(&error, r);
                sd_bus_error_free(&error);
                return r;
        }
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key, *contents;
                char type;
                char *text = NULL;
                size_t len = 0;
                FILE *mem;

                r = sd_bus_message_read(reply, "s", &key);
                if (r >= 0)
                        r = sd_bus_message_peek_type(reply, &type, &contents);
                if (r < 0)
                        break;
                if (!wanted_property(c->o, key)) {
                        r = sd_bus_message_skip(reply, "v");
                } else {
                        /* The value as text first, so a property of an unknown type prints nothing. */
                        mem = open_memstream(&text, &len);
                        if (!mem) {
                                r = -ENOMEM;
                                break;
                        }
                        r = print_variant(mem, reply, contents);
                        fclose(mem);
                        if (r >= 0) {
                                shown++;
                                if (c->o->json) {
                                        struct json j = json_for(c);
                                        if (shown == 1)
                                                printf("{");
                                        else
                                                printf(",");
                                        if (j.pretty)
                                                printf("\n  ");
                                        json_string(stdout, key);
                                        printf(j.pretty ? ": " : ":");
                                        json_string(stdout, text);
                                } else if (c->o->value)
                                        printf("%s\n", text);
                                else
                                        printf("%s=%s\n", key, text);
                        } else if (r == -EOPNOTSUPP)
                                r = 0;
                        free(text);
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (c->o->json)
                printf(shown ? (c->o->json == JSON_PRETTY ? "\n}\n" : "}\n") : "{}\n");
        sd_bus_message_unref(reply);
        if (r < 0)
                return client_report_error(NULL, r);
        if (c->o->n_properties && !shown)
                return usage("no property %s on %s", c->o->properties[0], CHAIR_INTERFACE);
        return 0;
}

static int cmd_list(struct ctx *c, int argc, char **argv) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        struct chair_status st;
        const char *id, *name, *desc;
        uint32_t duration;
        struct json j = json_for(c);
        int r;

        r = client_get_status(c->bus, &st, &error);
        if (r < 0) {
                r = client_report_error(&error, r);
                sd_bus_error_free(&error);
                return r;
        }
        r = client_call(c->bus, CHAIR_INTERFACE, "ListPrograms", &reply, NULL);
        if (r > 0)
                return r;
        if (c->o->json)
                json_begin_array(&j, NULL);
        else if (!c->o->no_legend)
                printf("  %-20s %-22s %4s  %s\n", "ID", "NAME", "MIN", "DESCRIPTION");
        r = sd_bus_message_enter_container(reply, 'a', "(sssu)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(sssu)", &id, &name, &desc, &duration)) > 0) {
                bool running = strcmp(id, st.program) == 0, selected = strcmp(id, st.selected) == 0;
                if (c->o->json) {
                        json_begin_object(&j, NULL);
                        json_str(&j, "id", id);
                        json_str(&j, "name", name);
                        json_str(&j, "description", desc);
                        json_uint(&j, "duration", duration);
                        json_bool(&j, "running", running);
                        json_bool(&j, "selected", selected);
                        json_end_object(&j);
                } else {
                        /* '*' running, '>' selected on the panel: the marks 'systemctl list-units' would use. */
                        printf("%c %-20s %-22s %4u  ", running ? '*' : selected ? '>' : ' ', id, name, duration / 60);
                        print_ellipsized(stdout, desc, c->columns > 53 && !c->o->full ? c->columns - 53 : 0);
                        printf("\n");
                }
        }
        if (c->o->json)
                json_end_array(&j);
        else if (!c->o->no_legend && (st.program[0] || st.selected[0]))
                printf("\n* running, > selected on the panel\n");
        sd_bus_message_unref(reply);
        return r < 0 ? EXIT_CALL_FAILED : 0;
}

/* Waits (bounded) until the chair has left a state, so the next command finds it settled. */
static int wait_leaves_state(struct ctx *c, const char *state, unsigned seconds) {
        char now[16];
        for (unsigned i = 0; i < seconds * 10; i++) {
                if (get_state(c->bus, now, sizeof now) < 0 || strcmp(now, state) != 0)
                        return 0;
                usleep(100 * 1000);
        }
        fprintf(stderr, "chairctl: the chair is still %s after %u s; 'chairctl status' tells more.\n", state, seconds);
        return EXIT_CALL_FAILED;
}

static int cmd_stop(struct ctx *c, int argc, char **argv) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char state[16] = "";
        int r = sd_bus_call_method(c->bus, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, CHAIR_INTERFACE, "Stop", &error, NULL, NULL);

        /* As 'systemctl stop' of a stopped unit: an idle chair is what stop asks for. */
        if (r < 0 && sd_bus_error_has_name(&error, CHAIR_ERROR_NOT_RUNNING) &&
            get_state(c->bus, state, sizeof state) >= 0 && strcmp(state, "idle") == 0)
                r = 0;
        r = r < 0 ? report_refusal(c, "stop", &error, r) : 0;
        sd_bus_error_free(&error);
        if (r || c->o->no_block)
                return r;
        /* As 'systemctl stop' waits for its job: the chair is idle when stop returns. */
        return wait_leaves_state(c, "settling", 60);
}

static int cmd_pause_resume(struct ctx *c, int argc, char **argv) {
        return call(c, argv[0], CHAIR_INTERFACE, strcmp(argv[0], "pause") == 0 ? "Pause" : "Resume", NULL);
}

/* Start's reply: "swedish: 20:00 planned at intensity 2", with the timer's cap and a scan first
 * when they apply (docs/dbus-api.md, Start). */
static int print_planned(struct ctx *c, const char *program, sd_bus_message *reply) {
        uint32_t duration = 0, intensity = 0;
        int capped = 0, scan = 0, r;
        char length[16];

        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key;
                r = sd_bus_message_read(reply, "s", &key);
                if (r >= 0 && strcmp(key, "duration") == 0)
                        r = sd_bus_message_read(reply, "v", "u", &duration);
                else if (r >= 0 && strcmp(key, "intensity") == 0)
                        r = sd_bus_message_read(reply, "v", "u", &intensity);
                else if (r >= 0 && strcmp(key, "timer_capped") == 0)
                        r = sd_bus_message_read(reply, "v", "b", &capped);
                else if (r >= 0 && strcmp(key, "scan") == 0)
                        r = sd_bus_message_read(reply, "v", "b", &scan);
                else if (r >= 0)
                        r = sd_bus_message_skip(reply, "v"); /* a newer daemon's key */
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0) {
                fprintf(stderr, "chairctl: start: cannot read what the daemon planned: %s.\n", strerror(-r));
                return 1;
        }
        if (c->o->json) {
                struct json j = json_for(c);
                json_begin_object(&j, NULL);
                json_str(&j, "program", program);
                json_uint(&j, "duration", duration);
                json_uint(&j, "intensity", intensity);
                json_bool(&j, "timer_capped", capped);
                json_bool(&j, "scan", scan);
                json_end_object(&j);
                return 0;
        }
        format_duration(duration, length, sizeof length);
        printf("%s: %s%s planned at intensity %u%s\n", program, scan ? "a body scan first, then " : "", length,
               intensity, capped ? " (the auto-off timer caps it)" : "");
        return 0;
}

static int cmd_start(struct ctx *c, int argc, char **argv) {
        static const struct option opts[] = {
                { "intensity", required_argument, NULL, 'i' }, { "minutes", required_argument, NULL, 'm' },
                { "scan", no_argument, NULL, 's' },            { "no-scan", no_argument, NULL, 'S' },
                { "no-heat", no_argument, NULL, 'N' },         { "focus", no_argument, NULL, 'F' },
                {}
        };
        unsigned intensity = 0, minutes = 0;
        int scan = -1, heat = 1, focus = 0, ch, r;
        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;

        /* GNU getopt permutes: options may follow the program, as in 'start swedish --intensity 2'. */
        optind = 0;
        opterr = 0;
        while ((ch = getopt_long(argc, argv, ":i:m:", opts, NULL)) >= 0) {
                switch (ch) {
                case 'i':
                        if (parse_uint(optarg, 1, 5, &intensity) < 0)
                                return usage("--intensity takes 1-5, not '%s'", optarg);
                        break;
                case 'm':
                        if (parse_uint(optarg, 1, 60, &minutes) < 0)
                                return usage("--minutes takes 1-60, not '%s'", optarg);
                        break;
                case 's':
                        scan = 1;
                        break;
                case 'S':
                        scan = 0;
                        break;
                case 'N':
                        heat = 0;
                        break;
                case 'F':
                        focus = 1;
                        break;
                case ':':
                        return usage("start: %s needs a value", argv[optind - 1]);
                default:
                        return usage("start: unknown option '%s'", argv[optind - 1]);
                }
        }
        if (optind + 1 != argc)
                return usage("%s", "start takes one PROGRAM (see 'chairctl list')");

        r = sd_bus_message_new_method_call(c->bus, &m, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, CHAIR_INTERFACE, "Start");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", argv[optind]);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0 && intensity)
                r = sd_bus_message_append(m, "{sv}", "intensity", "u", intensity);
        if (r >= 0 && minutes)
                r = sd_bus_message_append(m, "{sv}", "duration", "u", minutes * 60);
        if (r >= 0 && scan >= 0)
                r = sd_bus_message_append(m, "{sv}", "scan", "b", scan);
        if (r >= 0 && !heat)
                r = sd_bus_message_append(m, "{sv}", "heat", "b", 0);
        if (r >= 0 && focus)
                r = sd_bus_message_append(m, "{sv}", "focus", "b", 1);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_call(c->bus, m, 0, &error, &reply);
        r = r < 0 ? report_refusal(c, "start", &error, r) : print_planned(c, argv[optind], reply);
        sd_bus_error_free(&error);
        sd_bus_message_unref(m);
        sd_bus_message_unref(reply);
        return r;
}

static int cmd_manual(struct ctx *c, int argc, char **argv) {
        return call(c, "manual", CHAIR_INTERFACE, "StartManual", "ssa{sv}", argv[1], argv[2], 0);
}

static int cmd_steps(struct ctx *c, int argc, char **argv) {
        int steps;
        if (parse_steps(argv[1], &steps) < 0)
                return usage("%s takes steps -20..+20 and not 0, not '%s'", argv[0], argv[1]);
        return call(c, argv[0], CHAIR_INTERFACE, argv[0][0] == 'p' ? "MovePoint" : "AdjustShoulder", "i", steps);
}

static int cmd_level(struct ctx *c, int argc, char **argv) {
        unsigned u;
        if (parse_uint(argv[1], 1, 5, &u) < 0)
                return usage("%s takes a level 1-5, not '%s'", argv[0], argv[1]);
        return call(c, argv[0], CHAIR_INTERFACE,
                    argv[0][0] == 'i' ? "SetIntensity" : argv[0][0] == 's' ? "SetSpeed" : "SetDepth", "u", u);
}

static int cmd_width(struct ctx *c, int argc, char **argv) {
        return call(c, "width", CHAIR_INTERFACE, "SetWidth", "s", argv[1]);
}

static int cmd_heat(struct ctx *c, int argc, char **argv) {
        unsigned u;
        if (parse_uint(argv[2], 0, 3, &u) < 0)
                return usage("heat levels are 0-3, not '%s'", argv[2]);
        return call(c, "heat", CHAIR_INTERFACE, "SetHeat", "su", argv[1], u);
}

static int cmd_timer(struct ctx *c, int argc, char **argv) {
        char choices[VOCAB_NAMES_MAX];
        unsigned u;
        if (parse_uint(argv[1], 0, UINT32_MAX, &u) < 0 || !chair_timer_valid(u))
                return usage("the timer is %s minutes, not '%s'", vocab_join(VOCAB_TIMERS, ", ", choices, sizeof choices),
                             argv[1]);
        return call(c, "timer", CHAIR_INTERFACE, "SetTimer", "u", u);
}

static int cmd_scan(struct ctx *c, int argc, char **argv) {
        return call(c, "scan", CHAIR_INTERFACE, "StartBodyScan", NULL);
}

static int cmd_child_lock(struct ctx *c, int argc, char **argv) {
        if (strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0)
                return usage("child-lock takes on or off, not '%s'", argv[1]);
        return call(c, "child-lock", CHAIR_INTERFACE, "SetChildLock", "b", strcmp(argv[1], "on") == 0);
}

static int cmd_press(struct ctx *c, int argc, char **argv) {
        unsigned u = 100;
        if (argc == 3 && parse_uint(argv[2], 0, 30000, &u) < 0)
                return usage("a key is held 0-30000 ms, not '%s'", argv[2]);
        return call(c, "press", CHAIR_SERVICE_INTERFACE, "PressKey", "su", argv[1], u);
}

/* test-output OUTPUT VALUE [--for=MS]: the daemon checks the output, its range and bound. */
static int cmd_test_output(struct ctx *c, int argc, char **argv) {
        const char *args[2];
        unsigned ms = 1000, n = 0;
        long long value;

        for (int i = 1; i < argc; i++) {
                if (strncmp(argv[i], "--for=", 6) == 0) {
                        if (parse_uint(argv[i] + 6, 1, 10000, &ms) < 0)
                                return usage("test-output --for takes 1-10000 ms, not '%s'", argv[i] + 6);
                } else if (argv[i][0] == '-' && !(argv[i][1] >= '0' && argv[i][1] <= '9'))
                        return usage("test-output: unknown option '%s'", argv[i]);
                else if (n < 2)
                        args[n++] = argv[i];
                else
                        return usage("%s", "usage: chairctl test-output OUTPUT VALUE [--for=MS]");
        }
        if (n < 2)
                return usage("%s", "usage: chairctl test-output OUTPUT VALUE [--for=MS]");
        if (parse_integer(args[1], INT32_MIN, INT32_MAX, &value) < 0)
                return usage("test-output: the value is a whole number, not '%s'", args[1]);
        return call(c, "test-output", CHAIR_SERVICE_INTERFACE, "TestOutput", "siu", args[0], (int32_t) value, ms);
}

static int cmd_clear_fault(struct ctx *c, int argc, char **argv) {
        return call(c, "clear-fault", CHAIR_SERVICE_INTERFACE, "ClearFault", NULL);
}

static int air_usage(void) {
        char zones[VOCAB_NAMES_MAX];
        return usage("air takes zones (%s) or 'off'", vocab_join(VOCAB_AIR_ZONES, " ", zones, sizeof zones));
}

static int cmd_air(struct ctx *c, int argc, char **argv) {
        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        unsigned intensity = 3, zones = 0;
        bool off = argc == 2 && strcmp(argv[1], "off") == 0;
        int r;

        if (argc < 2)
                return air_usage();
        r = sd_bus_message_new_method_call(c->bus, &m, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, CHAIR_INTERFACE, "SetAir");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "s");
        for (int i = 1; r >= 0 && i < argc && !off; i++) {
                if (strcmp(argv[i], "--intensity") == 0) {
                        if (i + 1 >= argc || parse_uint(argv[++i], 1, 5, &intensity) < 0) {
                                sd_bus_message_unref(m);
                                return usage("air --intensity takes 1-5%s%s%s", i < argc ? ", not '" : "",
                                             i < argc ? argv[i] : "", i < argc ? "'" : "");
                        }
                        continue;
                }
                if (argv[i][0] == '-') {
                        sd_bus_message_unref(m);
                        return usage("air: unknown option '%s'", argv[i]);
                }
                zones++;
                r = sd_bus_message_append(m, "s", argv[i]);
        }
        if (!off && !zones) {
                sd_bus_message_unref(m);
                return air_usage();
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "u", off ? 0 : intensity);
        if (r >= 0)
                r = sd_bus_call(c->bus, m, 0, &error, &reply);
        r = r < 0 ? report_refusal(c, "air", &error, r) : 0;
        sd_bus_error_free(&error);
        sd_bus_message_unref(m);
        sd_bus_message_unref(reply);
        return r;
}

static int cmd_memory(struct ctx *c, int argc, char **argv) {
        unsigned slot;
        if (parse_uint(argv[2], 1, 2, &slot) < 0)
                return usage("memory slots are 1 and 2, not '%s'", argv[2]);
        if (strcmp(argv[1], "save") == 0)
                return call(c, "memory", CHAIR_INTERFACE, "SaveMemory", "u", slot);
        if (strcmp(argv[1], "recall") == 0)
                return call(c, "memory", CHAIR_INTERFACE, "RecallMemory", "u", slot);
        if (strcmp(argv[1], "show") == 0) {
                sd_bus_message *reply = NULL;
                struct json j = json_for(c);
                int r = client_call(c->bus, CHAIR_INTERFACE, "GetMemory", &reply, "u", slot);
                unsigned n = 0;
                if (r > 0)
                        return r;
                if (c->o->json)
                        json_begin_object(&j, NULL);
                r = sd_bus_message_enter_container(reply, 'a', "{sv}");
                while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                        const char *key, *contents, *s;
                        char type;
                        uint32_t u;
                        sd_bus_message_read(reply, "s", &key);
                        sd_bus_message_peek_type(reply, &type, &contents);
                        n++;
                        if (contents && contents[0] == 's') {
                                sd_bus_message_read(reply, "v", "s", &s);
                                if (c->o->json)
                                        json_str(&j, key, s);
                                else
                                        printf("%14s: %s\n", key, s);
                        } else if (contents && contents[0] == 'u') {
                                sd_bus_message_read(reply, "v", "u", &u);
                                if (c->o->json)
                                        json_uint(&j, key, u);
                                else
                                        printf("%14s: %u\n", key, u);
                        } else
                                sd_bus_message_skip(reply, "v");
                        sd_bus_message_exit_container(reply);
                }
                if (c->o->json)
                        json_end_object(&j);
                else if (!n)
                        printf("Memory slot %u is empty.\n", slot);
                sd_bus_message_unref(reply);
                return 0;
        }
        return usage("memory takes save, recall or show, not '%s'", argv[1]);
}

/* The output options of the person commands (person-command.c). */
static struct person_output person_output_for(const struct ctx *c) {
        return (struct person_output) { .json = c->o->json == JSON_PRETTY ? 2 : c->o->json ? 1 : 0,
                                        .no_legend = c->o->no_legend,
                                        .columns = c->o->full ? 0 : c->columns };
}

static int cmd_precautions(struct ctx *c, int argc, char **argv) {
        if (person_option_given(argc, argv)) {
                struct person_output o = person_output_for(c);
                return person_precautions(c->bus, &o, argc, argv);
        }
        if (argc == 1 || strcmp(argv[1], "list") == 0) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;
                struct chair_status st;
                const char *name, *effect;
                struct json j = json_for(c);
                int r;

                if (argc > 2)
                        return usage("%s", "precautions list takes no arguments");
                r = client_get_status(c->bus, &st, &error);
                if (r < 0) {
                        r = client_report_error(&error, r);
                        sd_bus_error_free(&error);
                        return r;
                }
                r = client_call(c->bus, CHAIR_INTERFACE, "ListPrecautions", &reply, NULL);
                if (r > 0)
                        return r;
                if (c->o->json)
                        json_begin_array(&j, NULL);
                else if (!c->o->no_legend)
                        printf("%-3s %-30s %s\n", "", "CONDITION", "WHAT IT CHANGES");
                r = sd_bus_message_enter_container(reply, 'a', "(ss)");
                while (r >= 0 && (r = sd_bus_message_read(reply, "(ss)", &name, &effect)) > 0) {
                        bool declared = false;
                        for (unsigned i = 0; i < st.n_precautions; i++)
                                declared |= strcmp(st.precautions[i], name) == 0;
                        if (c->o->json) {
                                json_begin_object(&j, NULL);
                                json_str(&j, "name", name);
                                json_str(&j, "effect", effect);
                                json_bool(&j, "declared", declared);
                                json_end_object(&j);
                        } else {
                                printf("%-3s %-30s ", declared ? "[x]" : "[ ]", name);
                                print_ellipsized(stdout, effect, c->columns > 35 && !c->o->full ? c->columns - 35 : 0);
                                printf("\n");
                        }
                }
                if (c->o->json)
                        json_end_array(&j);
                sd_bus_message_unref(reply);
                return 0;
        }
        if (strcmp(argv[1], "set") == 0 || strcmp(argv[1], "clear") == 0) {
                sd_bus_message *m = NULL, *reply = NULL;
                sd_bus_error error = SD_BUS_ERROR_NULL;
                int r;

                if (c->o->json)
                        return usage("%s", "precautions set and clear print nothing for --json");
                if (argv[1][0] == 's' && argc < 3)
                        return usage("%s", "precautions set takes one or more CONDITIONs (see 'chairctl precautions')");
                if (argv[1][0] == 'c' && argc > 2)
                        return usage("%s", "precautions clear takes no arguments");
                r = sd_bus_message_new_method_call(c->bus, &m, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, CHAIR_INTERFACE,
                                                   "SetPrecautions");
                if (r >= 0)
                        r = sd_bus_message_append_strv(m, argv[1][0] == 's' ? argv + 2 : (char *[]) { NULL });
                if (r >= 0)
                        r = sd_bus_call(c->bus, m, 0, &error, &reply);
                /* sd_bus_call() returns 1 on success: only its failures are exit codes. */
                r = r < 0 ? client_report_error(&error, r) : 0;
                sd_bus_error_free(&error);
                sd_bus_message_unref(m);
                sd_bus_message_unref(reply);
                return r;
        }
        return usage("precautions takes list, set or clear, not '%s'", argv[1]);
}

/* --max N of history and faults: 1-500, and nothing else after the verb. */
static int parse_max(int argc, char **argv, unsigned *max) {
        *max = 20;
        for (int i = 1; i < argc; i++) {
                const char *v = NULL;
                if (strcmp(argv[i], "--max") == 0) {
                        if (i + 1 >= argc)
                                return usage("%s --max needs a number 1-500", argv[0]);
                        v = argv[++i];
                } else if (strncmp(argv[i], "--max=", 6) == 0)
                        v = argv[i] + 6;
                else
                        return usage("%s takes only --max N, not '%s'", argv[0], argv[i]);
                if (parse_uint(v, 1, 500, max) < 0)
                        return usage("%s --max takes 1-500, not '%s'", argv[0], v);
        }
        return 0;
}

static int cmd_history(struct ctx *c, int argc, char **argv) {
        sd_bus_message *reply = NULL;
        struct json j = json_for(c);
        uint64_t id;
        const char *program, *when, *reason;
        uint32_t duration, intensity;
        uint16_t before, after;
        unsigned max, n = 0;
        int r;

        if (person_option_given(argc, argv)) {
                struct person_output o = person_output_for(c);
                return person_history(c->bus, &o, argc, argv);
        }
        r = parse_max(argc, argv, &max);
        if (r)
                return r;
        r = client_call(c->bus, CHAIR_INTERFACE, "GetHistory", &reply, "u", max);
        if (r > 0)
                return r;
        if (c->o->json)
                json_begin_array(&j, NULL);
        else if (!c->o->no_legend)
                printf("%-17s %-21s %-20s %5s %3s %6s %5s  %s\n", "SESSION", "STARTED (UTC)", "PROGRAM", "MIN", "INT",
                       "BEFORE", "AFTER", "END");
        r = sd_bus_message_enter_container(reply, 'a', "(tssuuqqs)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(tssuuqqs)", &id, &program, &when, &duration, &intensity,
                                                   &before, &after, &reason)) > 0) {
                n++;
                if (c->o->json) {
                        json_begin_object(&j, NULL);
                        json_uint(&j, "id", id);
                        json_str(&j, "program", program);
                        json_str(&j, "started", when);
                        json_uint(&j, "duration", duration);
                        json_uint(&j, "intensity", intensity);
                        if (before != 0xffff)
                                json_uint(&j, "pain_before", before);
                        if (after != 0xffff)
                                json_uint(&j, "pain_after", after);
                        json_str(&j, "end", reason);
                        json_end_object(&j);
                } else {
                        char b[8] = "-", a[8] = "-";
                        if (before != 0xffff)
                                snprintf(b, sizeof b, "%u", before);
                        if (after != 0xffff)
                                snprintf(a, sizeof a, "%u", after);
                        printf("%-17llu %-21s %-20s %5u %3u %6s %5s  %s\n", (unsigned long long) id, when, program,
                               (duration + 59) / 60, intensity, b, a, reason);
                }
        }
        if (c->o->json)
                json_end_array(&j);
        else if (!n && !c->o->no_legend)
                printf("No sessions recorded.\n");
        sd_bus_message_unref(reply);
        return 0;
}

/* person ..., assess, recommend and rate (person-command.c). */
static int cmd_people(struct ctx *c, int argc, char **argv) {
        struct person_output o = person_output_for(c);
        int r = chairctl_people_command(NULL, &o, argc, argv); /* the arguments, before any bus */

        if (r)
                return r;
        r = client_connect_quiet(c->o->address, c->o->host, &c->bus);
        if (r < 0) {
                fprintf(stderr, "chairctl: cannot connect: %s.\n", strerror(-r));
                return EXIT_NOT_RUNNING;
        }
        return chairctl_people_command(c->bus, &o, argc, argv);
}

static int cmd_faults(struct ctx *c, int argc, char **argv) {
        sd_bus_message *reply = NULL;
        struct json j = json_for(c);
        uint64_t t;
        const char *code, *message, *cleared;
        unsigned max, n = 0;
        int r = parse_max(argc, argv, &max);

        if (r)
                return r;
        r = client_call(c->bus, CHAIR_INTERFACE, "GetFaults", &reply, "u", max);
        if (r > 0)
                return r;
        if (c->o->json)
                json_begin_array(&j, NULL);
        else if (!c->o->no_legend)
                printf("%-20s  %-24s %-10s %s\n", "TIME (UTC)", "FAULT", "CLEARED", "MESSAGE");
        r = sd_bus_message_enter_container(reply, 'a', "(tsss)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(tsss)", &t, &code, &message, &cleared)) > 0) {
                char when[40];
                format_time_usec(t, when, sizeof when);
                n++;
                if (c->o->json) {
                        json_begin_object(&j, NULL);
                        json_uint(&j, "time_usec", t);
                        json_str(&j, "time", when);
                        json_str(&j, "code", code);
                        json_str(&j, "message", message);
                        json_str(&j, "cleared", cleared);
                        json_end_object(&j);
                } else {
                        printf("%-20s  %-24s %-10s ", when, code, cleared);
                        print_ellipsized(stdout, message, c->columns > 58 && !c->o->full ? c->columns - 58 : 0);
                        printf("\n");
                }
        }
        if (c->o->json)
                json_end_array(&j);
        else if (!n && !c->o->no_legend)
                printf("No faults recorded.\n");
        sd_bus_message_unref(reply);
        return 0;
}

/* The scheduler's lateness histogram, one bin a line with the running share, in columns a
 * plotting tool reads as cyclictest -h output (comment lines start with #). */
static int cmd_latency(struct ctx *c, int argc, char **argv) {
        sd_bus_message *reply = NULL;
        struct json j = json_for(c);
        const char *which = argc > 1 ? argv[1] : "wakeups";
        uint64_t from, to, total = 0, acc = 0;
        uint32_t count;
        int r;

        if (strcmp(which, "wakeups") != 0 && strcmp(which, "commands") != 0)
                return usage("latency takes wakeups or commands, not '%s'", which);
        r = client_call(c->bus, CHAIR_SERVICE_INTERFACE, "GetLatencyHistogram", &reply, "s", which);
        if (r > 0)
                return r;
        /* Two passes over the reply: the total first, for the running share. */
        r = sd_bus_message_enter_container(reply, 'a', "(ttu)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(ttu)", &from, &to, &count)) > 0)
                total += count;
        sd_bus_message_rewind(reply, true);
        if (c->o->json)
                json_begin_array(&j, NULL);
        else if (!c->o->no_legend)
                printf("# lateness of the scheduler's %s: %llu samples\n# %8s %10s %10s %8s\n",
                       strcmp(which, "commands") == 0 ? "timeline commands" : "timed wake-ups",
                       (unsigned long long) total, "from_us", "to_us", "count", "cum_%");
        r = sd_bus_message_enter_container(reply, 'a', "(ttu)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(ttu)", &from, &to, &count)) > 0) {
                acc += count;
                if (c->o->json) {
                        json_begin_object(&j, NULL);
                        json_uint(&j, "from_us", from);
                        if (to != UINT64_MAX)
                                json_uint(&j, "to_us", to);
                        json_uint(&j, "count", count);
                        json_end_object(&j);
                } else {
                        char to_text[24] = "inf";
                        if (to != UINT64_MAX)
                                snprintf(to_text, sizeof to_text, "%llu", (unsigned long long) to);
                        printf("%10llu %10s %10u %8.3f\n", (unsigned long long) from, to_text, count, 100.0 * acc / total);
                }
        }
        if (c->o->json)
                json_end_array(&j);
        sd_bus_message_unref(reply);
        return 0;
}

static int cmd_reload(struct ctx *c, int argc, char **argv) {
        sd_bus_message *reply = NULL;
        const char *e;
        unsigned n = 0;
        int r = client_call(c->bus, CHAIR_SERVICE_INTERFACE, "ReloadProfiles", &reply, NULL);
        if (r > 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "s");
        while (r >= 0 && (r = sd_bus_message_read(reply, "s", &e)) > 0) {
                fprintf(stderr, "%s\n", e);
                n++;
        }
        sd_bus_message_unref(reply);
        printf(n ? "Programs reloaded; %u file(s) had errors (above).\n" : "Programs reloaded.\n", n);
        return n ? EXIT_CALL_FAILED : 0;
}

static int cmd_monitor(struct ctx *c, int argc, char **argv) {
        bool once = false;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--once") == 0)
                        once = true;
                else
                        return usage("monitor takes only --once, not '%s'", argv[i]);
        }
        return monitor_run(c->bus, once, c->o->json != JSON_OFF);
}

static int cmd_hw(struct ctx *c, int argc, char **argv) {
        /* Values only for the daemon's own map: another file's bindings are not what it drives. */
        return chairctl_hw(argc > 1 ? NULL : c->bus, argc > 1 ? argv[1] : NULL, c->o->json != JSON_OFF, c->o->json == JSON_PRETTY,
                           c->o->no_legend);
}

static int cmd_profile(struct ctx *c, int argc, char **argv) {
        if (argc >= 2 && strcmp(argv[1], "upload") == 0) {
                if (c->o->json)
                        return usage("%s", "profile upload prints nothing to format: --json applies to check and show");
                return chairctl_profile_upload(c->bus, argc, argv);
        }
        return chairctl_profile_command(argc, argv, c->o->json == JSON_PRETTY ? 2 : c->o->json ? 1 : 0);
}

/* posture, capabilities, preset, upright, fit-legs, move, foot-rollers and calf
 * (posture-command.c): the arguments first, then the bus. */
static int cmd_posture(struct ctx *c, int argc, char **argv) {
        int json = c->o->json == JSON_PRETTY ? 2 : c->o->json ? 1 : 0;
        int r = chairctl_posture_command(NULL, json, c->o->no_legend, argc, argv);

        if (r)
                return r;
        r = client_connect(c->o->address, c->o->host, &c->bus);
        if (r < 0)
                return -r;
        return chairctl_posture_command(c->bus, json, c->o->no_legend, argc, argv);
}

static int cmd_report(struct ctx *c, int argc, char **argv) {
        return chairctl_report(c->bus, argc, argv, c->o->json == JSON_PRETTY ? 2 : c->o->json ? 1 : 0, c->o->no_legend);
}

/* ---- help, man page and completion, all from verbs[] ---- */

static int cmd_help(struct ctx *c, int argc, char **argv);
static int cmd_complete(struct ctx *c, int argc, char **argv);
static int cmd_man(struct ctx *c, int argc, char **argv);

#define S_SESSIONS "Sessions"
#define S_PERSON "The person"
#define S_PEOPLE "People"
#define S_POSTURE "Posture and the legs"
#define S_TECH "Technicians (root or group chairtech)"

static const struct verb verbs[] = {
        { "status", S_SESSIONS, "", "state, program, levels, panel, fault",
          "The chair's state, the running and the selected program with the time left, levels, heat with\n"
          "temperatures, air, timer, shoulder, the posture (each axis in %, what moves it, an empty seat, the\n"
          "leg rollers), the declared conditions, the panel's display and any latched fault with its panel\n"
          "number. --verbose adds the technician diagnostics: raw inputs and outputs, bus counters and the\n"
          "scheduler's lateness. The default command.",
          0, 0, V_READS, cmd_status, {}, "--verbose" },
        { "show", S_SESSIONS, "[-p NAME]... [--value]", "every property as NAME=VALUE (scripts)",
          "Every property of org.massagechair.Chair1 as NAME=VALUE, one a line, as 'systemctl show' prints\n"
          "them: arrays space-separated, dictionaries as KEY:VALUE. -p NAME (repeatable, or comma-separated)\n"
          "picks properties; --value prints the values only.",
          0, 0, V_READS, cmd_show, {}, "--property= --value" },
        { "list", S_SESSIONS, "", "the programs (* running, > selected)",
          "The programs: id, name, minutes and description; '*' marks the running program and '>' the one\n"
          "selected on the panel.",
          0, 0, V_READS | V_PAGER, cmd_list, {}, NULL },
        { "start", S_SESSIONS, "PROGRAM [--intensity N] [--minutes M] [OPTION]...", "start a program",
          "Starts a program (see 'chairctl list') for the active person. --intensity 1-5; --minutes 1-60\n"
          "(the program is fitted to whole cycles); a body scan runs first when none is stored unless\n"
          "--no-scan (--scan: always); --no-heat keeps the heaters off; --focus weights the steps on the\n"
          "areas of the person's last assessment ('chairctl assess') within the program's length.\n"
          "Prints what was planned: the length (at most the auto-off timer) and the intensity (at most\n"
          "the person's cap and the declared conditions' cap). Refused while a session runs, with a\n"
          "latched fault, or when a declared precaution excludes the program.",
          -1, -1, V_READS, cmd_start, { "@programs" }, "--intensity --minutes --scan --no-scan --no-heat --focus" },
        { "stop", S_SESSIONS, "[--no-block]", "end the session, wait until it has settled",
          "Ends the session: the roller settles home, air releases, heat goes off. Returns once the chair\n"
          "is idle again (at most 60 s), so the next command finds it ready; --no-block returns at once.\n"
          "An idle chair is stopped already: exit 0, as 'systemctl stop' of a stopped unit.",
          0, 0, 0, cmd_stop, {}, "--no-block" },
        { "pause", S_SESSIONS, "", "hold the session", "Holds the session: motion stops, air releases, the timers hold.",
          0, 0, 0, cmd_pause_resume, {}, NULL },
        { "resume", S_SESSIONS, "", "continue a paused session", "Continues a paused session.", 0, 0, 0,
          cmd_pause_resume, {}, NULL },
        { "manual", S_SESSIONS, "TECHNIQUE AREA", "manual mode",
          "Manual mode. TECHNIQUE: @techniques.\n"
          "AREA: @areas (then 'chairctl point +N|-N' moves the point).",
          2, 2, 0, cmd_manual, { "@techniques", "@areas" }, NULL },
        { "point", S_SESSIONS, "+N|-N", "move the manual point", "Manual mode, area point: moves the point up or down by 10 mm a step.",
          1, 1, 0, cmd_steps, { "+1 -1" }, NULL },
        { "shoulder", S_SESSIONS, "+N|-N", "fine-tune the shoulder point",
          "Fine-tunes the scanned shoulder point by 10 mm a step (at most 5).", 1, 1, 0, cmd_steps, { "+1 -1" }, NULL },
        { "intensity", S_SESSIONS, "N", "intensity 1-5", "Intensity 1-5, applied at the next step boundary.", 1, 1, 0,
          cmd_level, { "1 2 3 4 5" }, NULL },
        { "speed", S_SESSIONS, "N", "roller speed 1-5", "Roller speed 1-5.", 1, 1, 0, cmd_level, { "1 2 3 4 5" }, NULL },
        { "depth", S_SESSIONS, "N", "roller depth 1-5", "Roller depth 1-5 (manual mode; programs set their own).", 1, 1, 0,
          cmd_level, { "1 2 3 4 5" }, NULL },
        { "width", S_SESSIONS, "@widths", "the distance between the rollers",
          "The distance between the rollers.", 1, 1, 0, cmd_width, { "@widths" }, NULL },
        { "heat", S_SESSIONS, "@heat-zones LEVEL", "a heat zone's level 0-3", "A heat zone's level, 0 (off) to 3.", 2, 2,
          0, cmd_heat, { "@heat-zones", "0 1 2 3" }, NULL },
        { "air", S_SESSIONS, "off | ZONE... [--intensity N]", "the air bags",
          "The air bags: ZONE is one of @air-zones;\n"
          "intensity 1-5 (default 3); 'air off' releases them.", -1, -1, 0,
          cmd_air, { "@air-zones off", "@air-zones", "@air-zones" }, "--intensity" },
        { "timer", S_SESSIONS, "@timers", "the auto-off timer in minutes",
          "The auto-off timer of this and the next sessions, in minutes.", 1, 1, 0, cmd_timer, { "@timers" }, NULL },
        { "scan", S_SESSIONS, "", "measure the shoulder height", "Measures the shoulder height (the chair must be idle).", 0,
          0, 0, cmd_scan, {}, NULL },
        { "monitor", S_SESSIONS, "[--once]", "a live view of the chair",
          "A live view: the roller on its track with the shoulder mark, its speed, the motors that run (the\n"
          "technique), depth and width as the chair does them, the air zones and pattern phase, the heat\n"
          "zones' targets and temperatures, the posture and the leg rollers, the program with a progress\n"
          "bar. On a terminal it uses the alternate screen and redraws at most 4 times a second; Ctrl-C\n"
          "leaves it. Piped, it prints one timestamped line per change, cut at 80 columns (an axis that\n"
          "moves comes right after the state), and ends when the session does (--json: one JSON object a\n"
          "line, every field). --once prints one frame.",
          -1, -1, V_READS, cmd_monitor, {}, "--once" },
        { "posture", S_POSTURE, "[stop]", "the axes, the occupant, the leg rollers",
          "Each posture axis (@axes) with its position in % of its travel and what moves it\n"
          "(still, preset, fit, manual, releasing); whether a person is seated and the feet are on the\n"
          "foot rest; the foot rollers and the calf kneading; a latched pinch. 'posture stop' stops every\n"
          "axis and leg roller where it is, and is never refused.",
          0, 1, V_READS | V_CHECKS_FIRST, cmd_posture, { "stop" }, NULL },
        { "capabilities", S_POSTURE, "", "what this chair has: axes, zones, ranges",
          "What this chair has, from its hardware map and the daemon's tables (Chair1.GetCapabilities):\n"
          "the posture axes and presets, the leg channels, the air and heat zones, the techniques and\n"
          "widths, and the ranges of intensity, speed, depth, air intensity, heat level and the timer.",
          0, 0, V_READS | V_CHECKS_FIRST, cmd_posture, {}, NULL },
        { "preset", S_POSTURE, "@presets", "move the axes to a preset",
          "Moves the axes to a preset and returns at once: the move goes on in the daemon ('chairctl\n"
          "posture' follows it, 'chairctl posture stop' ends it). Only with a person seated; refused with a\n"
          "latched fault or when a declared condition rules it out.",
          1, 1, V_CHECKS_FIRST, cmd_posture, { "@presets" }, NULL },
        { "upright", S_POSTURE, "", "return upright, slowly",
          "Returns the backrest, the leg rest and the seat upright at half speed, watched for obstructions\n"
          "like every move; the leg rest's extension stays. Only with a person seated.",
          0, 0, V_CHECKS_FIRST, cmd_posture, {}, NULL },
        { "fit-legs", S_POSTURE, "", "extend the leg rest to the feet",
          "The leg-length fit: extends the leg rest until the feet are felt on the foot rest, and stops\n"
          "there (nothing retracts it by itself). Only with a person seated.",
          0, 0, V_CHECKS_FIRST, cmd_posture, {}, NULL },
        { "move", S_POSTURE, "@axes up|down [SECONDS]", "move an axis, hold-to-run",
          "Moves one axis for SECONDS (0.1-30, default 2) or until Ctrl-C, hold-to-run like a panel key:\n"
          "it renews the move every 200 ms with a 500 ms lease and releases it at the end; if chairctl dies,\n"
          "the daemon stops the axis when its connection goes.\n"
          "Up and down: @axis-directions.\n"
          "Exit 0 when its time is up or on Ctrl-C (SIGINT, SIGTERM); 1 when the daemon refuses it or stops\n"
          "the axis (a limit, the person leaving, an obstruction, a declared condition, a fault, a stop),\n"
          "with the reason. After a pinch only the pinched axis moves, away from the obstruction.",
          -1, -1, V_CHECKS_FIRST, cmd_posture, { "@axes", "up down" }, NULL },
        { "foot-rollers", S_POSTURE, "PERCENT", "the foot rollers, -100-100 %",
          "The foot rollers at PERCENT of their speed, -100 to 100 (negative: reversed), 0 off. They run\n"
          "only with a person seated and the feet on the foot rest, and stop when either leaves.",
          1, 1, V_CHECKS_FIRST, cmd_posture, { "0 50 100 -50" }, NULL },
        { "calf", S_POSTURE, "PERCENT", "calf kneading 0-100 %",
          "Calf kneading at PERCENT, 0 (off) to 100. Only with a person seated; a declared leg condition\n"
          "rules it out.",
          1, 1, V_CHECKS_FIRST, cmd_posture, { "0 50 100" }, NULL },
        { "memory", S_PERSON, "save|recall|show 1|2", "the memory slots",
          "Memory slots 1 and 2: save stores the running program with its levels, air, heat and timer;\n"
          "recall starts a session from a slot; show prints it.",
          2, 2, V_READS, cmd_memory, { "save recall show", "1 2" }, NULL },
        { "precautions", S_PERSON, "[list | set CONDITION... | clear] [--person NAME]", "the person's declared conditions",
          "The person's declared conditions (pregnancy, osteoporosis, ...), which exclude or cap programs,\n"
          "heat and compression. 'list' shows every condition and what it changes; kept across restarts.\n"
          "The active person's, or NAME's with --person (Person.SetConditions and GetConditions).",
          0, 34, V_READS, cmd_precautions, { "list set clear", "@conditions", "@conditions" }, "--person" },
        { "history", S_PERSON, "[--max N] [--person NAME]", "past sessions with their pain ratings",
          "Past sessions, newest first (20 unless --max N, 1-500), with their pain ratings: the active\n"
          "person's, or NAME's with --person (Person.GetHistory, with the goal and the areas' pain too).", -1, -1,
          V_READS | V_PAGER, cmd_history, {}, "--max --person" },
        { "report", S_PERSON, "[--person NAME] [--last N] [--json] [--svg FILE] [--history FILE]",
          "pain before and after, per program and area",
          "What a person's sessions did, per program and per pain area: sessions, rated sessions, mean pain\n"
          "before -> after, the mean change and its trend (the last N rated against the N before, 3 unless\n"
          "--last N), for the active person unless --person NAME. --svg FILE also draws the pain before and\n"
          "after each session over time (- writes it to stdout); --history FILE reads a state file instead\n"
          "of the daemon (a person file or the history file). REPORT in chairctl(1) defines each number.",
          -1, -1, V_READS | V_BUS_OPTIONAL, cmd_report, {}, "--person --last --svg --history" },
        { "rate", S_PERSON, "SESSION|last BEFORE AFTER [AREA=PAIN]... [--person NAME]",
          "pain 0-10 before and after a session",
          "Keeps a pain rating 0-10 from before and after a session with it in the history; SESSION is the\n"
          "id 'chairctl history' shows, or 'last' for the latest session. AREA=PAIN (AREA: @pain-areas)\n"
          "rates an area after the session too; those ratings go to the active person's session, or to\n"
          "NAME's with --person.",
          -1, -1, V_CHECKS_FIRST, cmd_people, { "last" }, NULL },
        { "child-lock", S_PERSON, "on|off", "ignore every panel key but stop",
          "The panel's child lock: every panel key but stop is ignored until it is off (kept across restarts).", 1, 1, 0,
          cmd_child_lock, { "on off" }, NULL },
        { "person", S_PEOPLE, "COMMAND [NAME] [ARGS]", "the people and their profiles",
          "The people who use the chair: the guest (NAME 'guest', always there) and up to 8 profiles, each\n"
          "with their own conditions, caps, body scan, memory slots, timer, heat, history and programs; the\n"
          "active person's are what the chair uses. COMMAND:\n"
          "@person-usage.\n"
          "'person' alone lists them ('*' the active one). show prints the public settings and, for callers\n"
          "allowed to read health data (polkit action org.massagechair.Chair1.read-health), the conditions,\n"
          "the last assessment and the last sessions. select is refused while a session runs. delete takes\n"
          "their history and programs too: it asks for the name again on a terminal, and needs --yes\n"
          "elsewhere. caps: intensity 1-5, heat 0-3 (without either it prints them). timer: 0 (the chair's\n"
          "default) or @timers minutes. heat: ZONE (@heat-zones) and LEVEL 0-3, what their sessions start with.\n"
          "install validates FILE as 'chairctl profile upload' does and keeps it with the person.",
          -1, -1, V_READS | V_CHECKS_FIRST, cmd_people, { "@person-commands" }, NULL },
        { "assess", S_PEOPLE, "[--person NAME] AREA=PAIN... [--pain N] [--goal GOAL]", "record where it hurts",
          "Records an assessment for the active person (or NAME): pain 0-10 per AREA (@pain-areas), each\n"
          "at most once; --pain N the pain now, 0-10 (default: the worst of the areas'); --goal one of\n"
          "@goals (default relief). Their next session carries it, 'chairctl start PROGRAM --focus'\n"
          "works on those areas and 'chairctl recommend' ranks the programs for it.",
          -1, -1, V_CHECKS_FIRST, cmd_people, {}, "--person --pain --goal" },
        { "recommend", S_PEOPLE, "[--person NAME]", "the programs ranked for the assessment",
          "The programs ranked for the active person's (or NAME's) last assessment, their conditions and\n"
          "how their past sessions were rated, each with its score and the reason. Never a program their\n"
          "conditions exclude. Health data: needs the read-health authorization.",
          -1, -1, V_READS | V_CHECKS_FIRST, cmd_people, {}, "--person" },
        { "faults", S_TECH, "[--max N]", "the fault history",
          "The fault history, newest first (20 unless --max N, 1-500), and how each was cleared.", -1, -1,
          V_READS | V_PAGER, cmd_faults, {}, "--max" },
        { "clear-fault", S_TECH, "", "clear a latched fault once its cause is gone",
          "Clears a latched fault once its cause is gone.", 0, 0, 0, cmd_clear_fault, {}, NULL },
        { "reload", S_TECH, "", "reload the programs, printing every load error",
          "Reloads the programs and prints every load error.", 0, 0, 0, cmd_reload, {}, NULL },
        { "latency", S_TECH, "[wakeups|commands]", "the scheduler's lateness histogram",
          "The scheduler's lateness histogram since the daemon started, for its timed wake-ups (default) or\n"
          "its timeline commands: one bin a line (from_us to_us count cum_%), 1 us bins below 1 ms as\n"
          "cyclictest -h prints them, 10 us below 10 ms, 100 us below 100 ms.",
          0, 1, V_READS | V_PAGER, cmd_latency, { "wakeups commands" }, NULL },
        { "hw", S_TECH, "[MAP]", "each input and output: binding, value",
          "Every input and output of the chair with its binding (GPIO chip and line, or Modbus bus, table\n"
          "and address) and its current value in units (degrees Celsius, kPa, V, mm, %), as gpioinfo lists\n"
          "lines.\n"
          "The bindings come from MAP, or else the daemon's map (the built-in one when it simulates, else\n"
          "the installed chair.conf); the values need the daemon (technicians). Without the daemon the\n"
          "bindings are still listed: 'massagechaird --check-config MAP' checks a map the same way.",
          0, 1, V_READS | V_PAGER | V_BUS_OPTIONAL, cmd_hw, { "@files" }, NULL },
        { "press", S_TECH, "KEY [MILLISECONDS]", "hold a key of the simulated panel",
          "Simulated chair: holds a panel key (docs/panel.md) for the given time (0-30000 ms, default 100),\n"
          "as a person at the panel would. KEY: @keys.",
          1, 2, 0, cmd_press, { "@keys" }, NULL },
        { "test-output", S_TECH, "OUTPUT VALUE [--for=MS]", "drive one output for a moment (idle only)",
          "Drives one actuator (travel_motor, air_pump, heat_lumbar, ...; 'chairctl hw' lists them) to VALUE\n"
          "for MS milliseconds (default 1000, at most 10000 or the output's maximum on-time), then back to\n"
          "its safe value. Only while the chair is idle and no fault is latched; the e-stop, the supervisor's\n"
          "limits, the end switches and the declared conditions still apply, and a session, a panel key or a\n"
          "fault ends it at once.",
          -1, -1, 0, cmd_test_output, { "@outputs" }, "--for=" },
        { "profile", S_TECH, "check FILE... | show FILE | plot FILE -o OUT.svg|- | upload FILE", "program files",
          "Program files: check validates them (every error as FILE:LINE), show prints the planned steps,\n"
          "plot draws the timeline as SVG (-o - writes it to stdout); these three work without the daemon.\n"
          "upload sends a file to the daemon, which validates and stores it.",
          -1, -1, V_NO_BUS, cmd_profile, { "check show plot upload", "@files", "@files" }, NULL },
        { "help", NULL, "[COMMAND]", "this help, or one command's", NULL, 0, 1, V_NO_BUS, cmd_help, { "@verbs" }, NULL },
        { "__complete", NULL, "VERB [ARGS]", NULL, NULL, -1, -1, V_NO_BUS, cmd_complete, {}, NULL },
        { "__man", NULL, "", NULL, NULL, 0, 0, V_NO_BUS, cmd_man, {}, NULL },
};

/* The options every command takes: the help and the man page list them from here. */
static const struct {
        const char *name, *text;
} global_options[] = {
        { "-h, --help", "this help (COMMAND --help: one command's)" },
        { "--version", "the version" },
        { "--address=ADDRESS", "the D-Bus address (default: the system bus)" },
        { "-H, --host=[USER@]HOST", "another machine's system bus, over ssh" },
        { "--json=pretty|short|off", "JSON from commands that read (--json: short)" },
        { "-p, --property=NAME", "show: only these (repeatable, or A,B)" },
        { "--value", "show: the values only" },
        { "--no-legend", "no column headings and footers" },
        { "--no-pager", "do not pipe long lists through a pager" },
        { "-l, --full", "do not ellipsize to the terminal's width" },
        { "-v, --verbose", "status: the technician diagnostics" },
        { "--no-block", "stop: return before the chair has settled" },
};

static const struct verb *find_verb(const char *name) {
        for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
                if (strcmp(verbs[i].name, name) == 0)
                        return &verbs[i];
        return NULL;
}

static void help(void) {
        const char *section = NULL;
        printf("chairctl - control massagechaird, the massage chair daemon\n\n"
               "Usage: chairctl [OPTIONS] [COMMAND [ARGS]]  (no command: status)\n");
        for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
                char left[96 + VOCAB_NAMES_MAX], args[VOCAB_NAMES_MAX];
                if (!verbs[i].section)
                        continue;
                if (!section || strcmp(section, verbs[i].section) != 0) {
                        section = verbs[i].section;
                        printf("\n%s:\n", section);
                }
                snprintf(left, sizeof left, "%s %s", verbs[i].name, expand_vocab(verbs[i].args, "|", args, sizeof args));
                if (strlen(left) >= 31)
                        printf("  %s\n  %-31s %s\n", left, "", verbs[i].summary);
                else
                        printf("  %-31s %s\n", left, verbs[i].summary);
        }
        printf("\nOptions:\n");
        for (size_t i = 0; i < ARRAY_SIZE(global_options); i++)
                printf("  %-31s %s\n", global_options[i].name, global_options[i].text);
        printf("\n'chairctl help COMMAND' or 'chairctl COMMAND --help' tells more about one.\n"
               "Times are ISO 8601 in UTC. Exit status: 0 done, 1 the daemon refused,\n"
               "2 bad usage, 3 the daemon is not running (or not on the bus tried).\n");
}

/* A verb's text with its vocabularies spelled out. */
static const char *verb_text(const struct verb *v, char *buf, size_t size) {
        return expand_vocab(v->text, ", ", buf, size);
}

static int command_help(const char *name) {
        const struct verb *v = find_verb(name);
        char text[2048], args[VOCAB_NAMES_MAX];
        if (!v || !v->section)
                return usage("no command '%s'", name);
        printf("Usage: chairctl %s%s%s%s\n\n%s\n", v->flags & V_READS ? "[--json=MODE] " : "", v->name,
               v->args[0] ? " " : "", expand_vocab(v->args, "|", args, sizeof args), verb_text(v, text, sizeof text));
        return 0;
}

static int cmd_help(struct ctx *c, int argc, char **argv) {
        if (argc < 2) {
                help();
                return 0;
        }
        return command_help(argv[1]);
}

/* Roff-escapes text for the man page: '-' as \-, a leading '.' or '\'' protected. */
static void roff(const char *s) {
        if (*s == '.' || *s == '\'')
                fputs("\\&", stdout);
        for (; *s; s++) {
                if (*s == '-')
                        fputs("\\-", stdout);
                else if (*s == '\\')
                        fputs("\\e", stdout);
                else if (*s == '\n')
                        fputc(' ', stdout);
                else if ((unsigned char) *s >= 0xc0 && (unsigned char) *s < 0xf0) {
                        /* UTF-8 (°C, …) as groff's \[uXXXX], which every output device renders. */
                        unsigned c = (unsigned char) *s, n = c >= 0xe0 ? 2 : 1, cp = c & (n == 2 ? 0x0f : 0x1f);
                        for (unsigned k = 0; k < n && (s[1] & 0xc0) == 0x80; k++)
                                cp = cp << 6 | (*++s & 0x3f);
                        printf("\\[u%04X]", cp);
                } else
                        fputc(*s, stdout);
        }
}

/* The man page's OPTIONS and COMMANDS sections (man/chairctl.1.in has the rest). */
static int cmd_man(struct ctx *c, int argc, char **argv) {
        const char *section = NULL;
        char text[2048], args[VOCAB_NAMES_MAX];
        printf(".SH OPTIONS\n");
        for (size_t i = 0; i < ARRAY_SIZE(global_options); i++) {
                printf(".TP\n.B ");
                roff(global_options[i].name);
                printf("\n");
                roff(global_options[i].text);
                printf(".\n");
        }
        for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
                if (!verbs[i].section || !verbs[i].text)
                        continue;
                if (!section || strcmp(section, verbs[i].section) != 0) {
                        section = verbs[i].section;
                        printf(".SH \"");
                        for (const char *p = section; *p; p++)
                                fputc(*p >= 'a' && *p <= 'z' ? *p - 32 : *p, stdout);
                        printf("\"\n");
                }
                printf(".TP\n.B ");
                roff(verbs[i].name);
                if (verbs[i].args[0]) {
                        printf("\n.I \"");
                        roff(expand_vocab(verbs[i].args, "|", args, sizeof args));
                        printf("\"");
                }
                printf("\n");
                roff(verb_text(&verbs[i], text, sizeof text));
                printf("\n");
        }
        return 0;
}

/* Prints the words of one completion source, one a line; the dynamic ones ask the daemon. */
static void complete_source(struct ctx *c, const char *src) {
        if (strcmp(src, "@verbs") == 0) {
                for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
                        if (verbs[i].section)
                                printf("%s\n", verbs[i].name);
        } else if (strcmp(src, "@outputs") == 0) {
                for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                        if (!chair_output_info(o)->indicator)
                                printf("%s\n", chair_output_info(o)->name);
        } else if (strcmp(src, "@files") == 0) {
                printf("@files\n"); /* the shell completes file names itself */
        } else if (strcmp(src, "@people") == 0) {
                person_print_names(c->bus);
        } else if (strcmp(src, "@area=pain") == 0) {
                person_print_area_words();
        } else if (strcmp(src, "@programs") == 0 || strcmp(src, "@conditions") == 0) {
                bool programs = src[1] == 'p';
                sd_bus_message *reply = NULL;
                const char *a, *b, *d;
                uint32_t u;
                int r;
                if (!c->bus || sd_bus_call_method(c->bus, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, CHAIR_INTERFACE,
                                                  programs ? "ListPrograms" : "ListPrecautions", NULL, &reply, NULL) < 0)
                        return;
                r = sd_bus_message_enter_container(reply, 'a', programs ? "(sssu)" : "(ss)");
                while (r >= 0 && (r = programs ? sd_bus_message_read(reply, "(sssu)", &a, &b, &d, &u)
                                               : sd_bus_message_read(reply, "(ss)", &a, &b)) > 0)
                        printf("%s\n", a);
                sd_bus_message_unref(reply);
        } else {
                char words[1024];
                for (const char *p = expand_vocab(src, " ", words, sizeof words); *p; p++)
                        fputc(*p == ' ' ? '\n' : *p, stdout);
                printf("\n");
        }
}

/* __complete [VERB [ARGS...]]: the words the next argument can be, for the shell completions
 * (shell-completion/), so they never keep a list of their own. */
static int cmd_complete(struct ctx *c, int argc, char **argv) {
        const struct verb *v;
        const char *src;
        int pos = 0;

        if (argc < 2) {
                complete_source(c, "@verbs");
                for (size_t i = 0; i < ARRAY_SIZE(global_options); i++) {
                        const char *n = global_options[i].name, *l = strstr(n, "--");
                        char word[40];
                        size_t len;
                        if (!l)
                                continue;
                        len = strcspn(l, "=[ ");
                        snprintf(word, sizeof word, "%.*s%s", (int) len, l, l[len] == '=' ? "=" : "");
                        printf("%s\n", word);
                }
                return 0;
        }
        v = find_verb(argv[1]);
        if (!v)
                return 0;
        /* Count the positional arguments already given: options and their values aside. */
        for (int i = 2; i < argc; i++) {
                static const char *const with_value[] = { "--intensity", "--minutes", "--max", "-o", "--output", "-i", "-m" };
                bool value = false;
                for (size_t k = 0; i > 2 && k < ARRAY_SIZE(with_value); k++)
                        value |= strcmp(argv[i - 1], with_value[k]) == 0;
                value |= i > 2 && person_option_takes_value(argv[i - 1]);
                if (argv[i][0] != '-' && !value)
                        pos++;
        }
        if (argc > 2 && strcmp(argv[argc - 1], "-o") == 0) {
                printf("@files\n");
                return 0;
        }
        /* The people's verbs complete by their own table, word by word of its source. */
        if (person_complete(v->name, argc - 2, argv + 2, pos, argc > 2 ? argv[argc - 1] : NULL, &src)) {
                for (const char *p = src; p && *p; p += strspn(p, " ")) {
                        char word[64];
                        size_t len = strcspn(p, " ");
                        snprintf(word, sizeof word, "%.*s", (int) len, p);
                        complete_source(c, word);
                        p += len;
                }
                return 0;
        }
        /* precautions set A B <Tab>: more conditions; profile check A B <Tab>: more files. */
        if (pos >= (int) ARRAY_SIZE(v->complete))
                pos = ARRAY_SIZE(v->complete) - 1;
        while (pos > 0 && !v->complete[pos])
                pos = -1;
        if (pos >= 0 && v->complete[pos] && !(strcmp(v->name, "precautions") == 0 && pos > 0 && argc > 2 &&
                                              strcmp(argv[2], "set") != 0))
                complete_source(c, v->complete[pos]);
        if (v->verb_options)
                complete_source(c, v->verb_options);
        return 0;
}

/* ---- options and dispatch ---- */

static int add_properties(struct options *o, char *list) {
        for (char *save = NULL, *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
                if (o->n_properties >= ARRAY_SIZE(o->properties))
                        return usage("at most %zu properties", ARRAY_SIZE(o->properties));
                o->properties[o->n_properties++] = p;
        }
        return 0;
}

/*
 * parse_global() takes the options every command shares out of argv, wherever they stand (as systemd's tools
 * accept 'chairctl status --json=short'), leaving the verb and its own arguments. "--" ends
 * the options. *help_at is 1 when --help came before the verb, 2 after it.
 */
/* "--opt=VALUE", "--opt VALUE", "-xVALUE" or "-x VALUE": 1 and *value set when a is opt, 0
 * when not, < 0 when the value is missing. */
static int take_value(const char *opt, char *a, int *i, int argc, char **argv, char **value) {
        size_t len = strlen(opt);
        bool is_short = len == 2;
        if (strncmp(a, opt, len) != 0 || (!is_short && a[len] && a[len] != '='))
                return 0;
        if (is_short && a[2]) /* -pState, -Hhost */
                *value = a + 2;
        else if (!is_short && a[len] == '=')
                *value = a + len + 1;
        else if (*i + 1 < argc)
                *value = argv[++*i];
        else
                return usage("%s needs a value", opt), -EINVAL;
        return 1;
}

static int parse_global(int *argc, char **argv, struct options *o, int *help_at) {
        int n = 1, k;
        bool done = false;

        for (int i = 1; i < *argc; i++) {
                char *a = argv[i], *value = NULL;

                /* Words, "-", negative steps (point -1) and everything after "--" are arguments. */
                if (done || a[0] != '-' || !a[1] || (a[1] >= '0' && a[1] <= '9')) {
                        argv[n++] = a;
                        continue;
                }
                if (strcmp(a, "--") == 0) {
                        done = true;
                        continue;
                }
                if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
                        *help_at = n > 1 ? 2 : 1;
                else if (strcmp(a, "--version") == 0) {
                        printf("chairctl %s\n", MCD_VERSION);
                        exit(EXIT_SUCCESS);
                } else if (strcmp(a, "--json") == 0)
                        o->json = JSON_SHORT;
                else if (strncmp(a, "--json=", 7) == 0) {
                        if (strcmp(a + 7, "pretty") == 0)
                                o->json = JSON_PRETTY;
                        else if (strcmp(a + 7, "short") == 0)
                                o->json = JSON_SHORT;
                        else if (strcmp(a + 7, "off") == 0)
                                o->json = JSON_OFF;
                        else
                                return usage("--json takes pretty, short or off, not '%s'", a + 7);
                } else if ((k = take_value("--address", a, &i, *argc, argv, &value)) != 0) {
                        if (k < 0)
                                return EXIT_USAGE;
                        o->address = value;
                } else if ((k = take_value("--host", a, &i, *argc, argv, &value)) != 0 ||
                           (k = take_value("-H", a, &i, *argc, argv, &value)) != 0) {
                        if (k < 0)
                                return EXIT_USAGE;
                        o->host = value;
                } else if ((k = take_value("--property", a, &i, *argc, argv, &value)) != 0 ||
                           (k = take_value("-p", a, &i, *argc, argv, &value)) != 0) {
                        if (k < 0 || add_properties(o, value))
                                return EXIT_USAGE;
                } else if (strcmp(a, "--value") == 0)
                        o->value = true;
                else if (strcmp(a, "--no-legend") == 0)
                        o->no_legend = true;
                else if (strcmp(a, "--no-pager") == 0)
                        o->no_pager = true;
                else if (strcmp(a, "--full") == 0 || strcmp(a, "-l") == 0)
                        o->full = true;
                else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0)
                        o->verbose = true;
                else if (strcmp(a, "--no-block") == 0)
                        o->no_block = true;
                else if (n > 1)
                        argv[n++] = a; /* the command's own option (start --intensity, monitor --once, ...) */
                else
                        return usage("unknown option '%s'", a);
        }
        *argc = n;
        argv[n] = NULL;
        return 0;
}

/* Options that only some commands take, refused elsewhere rather than ignored. */
static int check_options(const struct verb *v, const struct options *o) {
        if (o->json && !(v->flags & V_READS) && strcmp(v->name, "profile") != 0)
                return usage("%s prints nothing to format: --json applies to commands that read", v->name);
        if ((o->n_properties || o->value) && strcmp(v->name, "show") != 0)
                return usage("%s", "-p/--property and --value are options of show");
        if (o->verbose && strcmp(v->name, "status") != 0)
                return usage("%s", "--verbose is an option of status");
        if (o->no_block && strcmp(v->name, "stop") != 0)
                return usage("%s", "--no-block is an option of stop");
        if (o->address && o->host)
                return usage("%s", "--address and --host exclude each other");
        return 0;
}

int main(int argc, char **argv) {
        struct options o = {};
        struct ctx c = { .o = &o };
        const struct verb *v;
        char *default_argv[] = { argv[0], (char *) "status", NULL };
        int help_at = 0, r, nargs;
        pid_t pager = 0;

        r = parse_global(&argc, argv, &o, &help_at);
        if (r)
                return r;
        if (help_at == 1 || (help_at && argc < 2)) {
                help();
                return 0;
        }
        if (argc < 2) {
                argc = 2;
                argv = default_argv;
        }
        v = find_verb(argv[1]);
        if (!v)
                return usage("unknown command '%s'", argv[1]);
        if (help_at)
                return command_help(v->name);
        argc--;
        argv++;
        nargs = argc - 1;
        /* Usage errors are told before the bus is tried, so they exit 2 even without a daemon. */
        if (v->min >= 0 && (nargs < v->min || nargs > v->max)) {
                char args[VOCAB_NAMES_MAX];
                if (nargs > v->max && v->max == 0)
                        return usage("%s takes no arguments, not '%s'", v->name, argv[1]);
                return usage("usage: chairctl %s %s", v->name, expand_vocab(v->args, "|", args, sizeof args));
        }
        r = check_options(v, &o);
        if (r)
                return r;
        if (!o.json && !o.full)
                c.columns = output_columns();

        /* Completion asks the daemon for programs and conditions when it can, quietly. */
        if (strcmp(v->name, "__complete") == 0 || (v->flags & V_BUS_OPTIONAL)) {
                if (client_connect_quiet(o.address, o.host, &c.bus) < 0)
                        c.bus = NULL;
        } else if (!(v->flags & (V_NO_BUS | V_CHECKS_FIRST)) || (strcmp(v->name, "profile") == 0 && argc >= 2 && strcmp(argv[1], "upload") == 0)) {
                r = client_connect(o.address, o.host, &c.bus);
                if (r < 0)
                        return -r;
        }
        if ((v->flags & V_PAGER) && !o.no_pager && !o.json)
                pager = pager_open();
        r = v->run(&c, argc, argv);
        pager_close(pager);
        if (r == EXIT_NOT_RUNNING) {
                char where[600];
                client_describe_bus(o.address, o.host, where, sizeof where);
                fprintf(stderr, "chairctl: the bus tried: %s.\n%s", where, CLIENT_CHOOSE_BUS);
        }
        sd_bus_flush_close_unref(c.bus);
        return r;
}
