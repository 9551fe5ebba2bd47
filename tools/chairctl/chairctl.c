/* SPDX-License-Identifier: MIT */
/*
 * chairctl: the command-line client of massagechaird. It talks D-Bus only (like timedatectl),
 * except `chairctl profile check|show|plot`, which read profile files directly.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chair-client.h"
#include "macro.h"
#include "monitor.h"
#include "output.h"
#include "parse-number.h"
#include "profile-command.h"

struct options {
        bool json;
        bool verbose;
};

static void help(void) {
        printf("chairctl - control massagechaird, the massage chair daemon\n\n"
               "Usage: chairctl [--json] COMMAND [ARGS]\n\n"
               "Sessions:\n"
               "  status [--verbose]             state, program, remaining time, levels, heat, air, fault\n"
               "  list                           the programs\n"
               "  start PROGRAM [--intensity N] [--minutes M] [--scan|--no-scan] [--no-heat]\n"
               "  stop | pause | resume\n"
               "  manual TECHNIQUE AREA          knead, knead-reverse, tap, knock, shiatsu, clap, roll, knead+tap;\n"
               "                                 full, upper, lower, point\n"
               "  point +N|-N                    move the manual point up or down\n"
               "  intensity N | speed N | depth N  levels 1-5\n"
               "  width narrow|medium|wide\n"
               "  heat lumbar|calves LEVEL       0 (off) - 3\n"
               "  air ZONE... [--intensity N]    shoulders arms back seat calves feet; 'air off'\n"
               "  timer 10|20|30                 the auto-off timer in minutes\n"
               "  scan                           measure the shoulder height\n"
               "  shoulder +N|-N                 fine-tune the shoulder point in 10 mm steps\n"
               "  monitor [--once]               a live view of the chair\n\n"
               "The person:\n"
               "  memory save|recall|show 1|2\n"
               "  precautions [list | set CONDITION... | clear]\n"
               "  history [--max N]              past sessions with their pain ratings\n"
               "  rate SESSION BEFORE AFTER      pain 0-10 before and after a session\n"
               "  child-lock on|off              every panel key but stop ignored\n\n"
               "Technicians (root or group chairtech):\n"
               "  faults [--max N] | clear-fault | reload | latency [wakeups|commands]\n"
               "  press KEY [MILLISECONDS]       hold a key of the simulated panel\n"
               "  profile check FILE... | show FILE | plot FILE -o OUT.svg | upload FILE\n\n"
               "'chairctl help COMMAND' or 'chairctl COMMAND --help' tells more about one command.\n"
               "Exit status: 0 done, 1 the daemon refused, 2 bad usage, 3 the daemon is not running.\n");
}

__attribute__((format(printf, 1, 2))) static int usage(const char *fmt, ...) {
        va_list ap;
        fprintf(stderr, "chairctl: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry 'chairctl --help'.\n");
        return EXIT_USAGE;
}

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *ret) {
        long long v;
        if (parse_integer(s, min, max, &v) < 0)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

static int parse_steps(const char *s, int *ret) {
        long long v;
        if (parse_integer(s, -20, 20, &v) < 0 || v == 0)
                return -EINVAL;
        *ret = (int) v;
        return 0;
}

/* Runs one method with no reply data; on failure prints advice and returns the exit code. */
static int call(sd_bus *bus, const char *interface, const char *method, const char *sig, ...) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, interface, method);
        if (r >= 0 && sig) {
                va_start(ap, sig);
                r = sd_bus_message_appendv(m, sig, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                r = -client_report_error(&error, r);
        sd_bus_error_free(&error);
        sd_bus_message_unref(m);
        sd_bus_message_unref(reply);
        return r < 0 ? -r : 0;
}

static void format_duration(uint32_t s, char *buf, size_t size) {
        snprintf(buf, size, "%u:%02u", s / 60, s % 60);
}

static int cmd_status(sd_bus *bus, const struct options *o) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        struct chair_status st;
        char rem[16], dur[16];
        int r = client_get_status(bus, &st, &error);

        if (r < 0) {
                r = client_report_error(&error, r);
                sd_bus_error_free(&error);
                return r;
        }
        if (o->json) {
                struct json j = { .f = stdout };
                json_begin_object(&j, NULL);
                json_str(&j, "state", st.state);
                json_str(&j, "program", st.program);
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
                json_begin_array(&j, "precautions");
                for (unsigned i = 0; i < st.n_precautions; i++)
                        json_str(&j, NULL, st.precautions[i]);
                json_end_array(&j);
                json_str(&j, "fault", st.fault);
                json_str(&j, "fault_message", st.fault_message);
                json_end_object(&j);
                return 0;
        }
        format_duration(st.remaining, rem, sizeof rem);
        format_duration(st.duration, dur, sizeof dur);
        printf("       Chair: %s\n", st.model);
        printf("       State: %s\n", st.state);
        if (st.program[0])
                printf("     Program: %s (%s of %s left)\n", st.program, rem, dur);
        printf("      Levels: intensity %u, speed %u, depth %u, width %s\n", st.intensity, st.speed, st.depth, st.width);
        printf("        Heat:");
        for (unsigned i = 0; i < st.n_heat; i++) {
                printf(" %s %u", st.heat[i].zone, st.heat[i].level);
                if (st.heat[i].has_temp)
                        printf(" (%.1f °C)", st.heat[i].temp);
                printf("%s", i + 1 < st.n_heat ? "," : "");
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
        /* Always shown: "none declared" is worth knowing before a session too. */
        printf(" Precautions:");
        for (unsigned i = 0; i < st.n_precautions; i++)
                printf(" %s", st.precautions[i]);
        printf("%s\n", st.n_precautions ? "" : " none declared");
        if (st.fault[0])
                printf("       Fault: %s: %s\n", st.fault, st.fault_message);

        if (o->verbose) {
                sd_bus_message *reply = NULL;
                r = sd_bus_call_method(bus, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, CHAIR_SERVICE_INTERFACE, "GetDiagnostics",
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
                                printf("  %-28s %llu%s\n", key, (unsigned long long) v,
                                       strstr(key, "_us") ? " us" : "");
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
        }
        return 0;
}

static int cmd_list(sd_bus *bus, const struct options *o) {
        sd_bus_message *reply = NULL;
        const char *id, *name, *desc;
        uint32_t duration;
        struct json j = { .f = stdout };
        int r;

        r = client_call(bus, CHAIR_INTERFACE, "ListPrograms", &reply, NULL);
        if (r > 0)
                return r;
        if (o->json)
                json_begin_array(&j, NULL);
        else
                printf("%-20s %-22s %6s  %s\n", "ID", "NAME", "MIN", "DESCRIPTION");
        r = sd_bus_message_enter_container(reply, 'a', "(sssu)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(sssu)", &id, &name, &desc, &duration)) > 0) {
                if (o->json) {
                        json_begin_object(&j, NULL);
                        json_str(&j, "id", id);
                        json_str(&j, "name", name);
                        json_str(&j, "description", desc);
                        json_uint(&j, "duration", duration);
                        json_end_object(&j);
                } else {
                        printf("%-20s %-22s %6u  %s\n", id, name, duration / 60, desc);
                }
        }
        if (o->json)
                json_end_array(&j);
        sd_bus_message_unref(reply);
        return r < 0 ? EXIT_CALL_FAILED : 0;
}

static int cmd_start(sd_bus *bus, int argc, char **argv) {
        static const struct option opts[] = {
                { "intensity", required_argument, NULL, 'i' }, { "minutes", required_argument, NULL, 'm' },
                { "scan", no_argument, NULL, 's' },            { "no-scan", no_argument, NULL, 'S' },
                { "no-heat", no_argument, NULL, 'H' },         {}
        };
        unsigned intensity = 0, minutes = 0;
        int scan = -1, heat = 1, c, r;
        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;

        optind = 1;
        while ((c = getopt_long(argc, argv, "i:m:", opts, NULL)) >= 0) {
                switch (c) {
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
                case 'H':
                        heat = 0;
                        break;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind + 1 != argc)
                return usage("%s", "start takes one PROGRAM (see 'chairctl list')");

        r = sd_bus_message_new_method_call(bus, &m, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, CHAIR_INTERFACE, "Start");
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
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                r = -client_report_error(&error, r);
        sd_bus_error_free(&error);
        sd_bus_message_unref(m);
        sd_bus_message_unref(reply);
        return r < 0 ? -r : 0;
}

static int cmd_air(sd_bus *bus, int argc, char **argv) {
        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        unsigned intensity = 3;
        int r;
        bool off = argc == 2 && strcmp(argv[1], "off") == 0;

        if (argc < 2)
                return usage("%s", "air takes zones (shoulders arms back seat calves feet) or 'off'");
        r = sd_bus_message_new_method_call(bus, &m, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, CHAIR_INTERFACE, "SetAir");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "s");
        for (int i = 1; r >= 0 && i < argc && !off; i++) {
                if (strcmp(argv[i], "--intensity") == 0 && i + 1 < argc) {
                        if (parse_uint(argv[++i], 0, 5, &intensity) < 0) {
                                sd_bus_message_unref(m);
                                return usage("--intensity takes 0-5, not '%s'", argv[i]);
                        }
                        continue;
                }
                r = sd_bus_message_append(m, "s", argv[i]);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "u", off ? 0 : intensity);
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                r = -client_report_error(&error, r);
        sd_bus_error_free(&error);
        sd_bus_message_unref(m);
        sd_bus_message_unref(reply);
        return r < 0 ? -r : 0;
}

static int cmd_memory(sd_bus *bus, const struct options *o, int argc, char **argv) {
        unsigned slot;
        if (argc != 3 || parse_uint(argv[2], 1, 2, &slot) < 0)
                return usage("%s", "memory save|recall|show 1|2");
        if (strcmp(argv[1], "save") == 0)
                return call(bus, CHAIR_INTERFACE, "SaveMemory", "u", slot);
        if (strcmp(argv[1], "recall") == 0)
                return call(bus, CHAIR_INTERFACE, "RecallMemory", "u", slot);
        if (strcmp(argv[1], "show") == 0) {
                sd_bus_message *reply = NULL;
                struct json j = { .f = stdout };
                int r = client_call(bus, CHAIR_INTERFACE, "GetMemory", &reply, "u", slot);
                unsigned n = 0;
                if (r > 0)
                        return r;
                if (o->json)
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
                                if (o->json)
                                        json_str(&j, key, s);
                                else
                                        printf("%14s: %s\n", key, s);
                        } else {
                                sd_bus_message_read(reply, "v", "u", &u);
                                if (o->json)
                                        json_uint(&j, key, u);
                                else
                                        printf("%14s: %u\n", key, u);
                        }
                        sd_bus_message_exit_container(reply);
                }
                if (o->json)
                        json_end_object(&j);
                else if (!n)
                        printf("Memory slot %u is empty.\n", slot);
                sd_bus_message_unref(reply);
                return 0;
        }
        return usage("%s", "memory save|recall|show 1|2");
}

static int cmd_precautions(sd_bus *bus, const struct options *o, int argc, char **argv) {
        if (argc == 1 || strcmp(argv[1], "list") == 0) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;
                struct chair_status st;
                const char *name, *effect;
                struct json j = { .f = stdout };
                int r = client_get_status(bus, &st, &error);
                if (r < 0) {
                        r = client_report_error(&error, r);
                        sd_bus_error_free(&error);
                        return r;
                }
                r = client_call(bus, CHAIR_INTERFACE, "ListPrecautions", &reply, NULL);
                if (r > 0)
                        return r;
                if (o->json)
                        json_begin_array(&j, NULL);
                else
                        printf("%-3s %-30s %s\n", "", "CONDITION", "WHAT IT CHANGES");
                r = sd_bus_message_enter_container(reply, 'a', "(ss)");
                while (r >= 0 && (r = sd_bus_message_read(reply, "(ss)", &name, &effect)) > 0) {
                        bool declared = false;
                        for (unsigned i = 0; i < st.n_precautions; i++)
                                declared |= strcmp(st.precautions[i], name) == 0;
                        if (o->json) {
                                json_begin_object(&j, NULL);
                                json_str(&j, "name", name);
                                json_str(&j, "effect", effect);
                                json_bool(&j, "declared", declared);
                                json_end_object(&j);
                        } else {
                                printf("%-3s %-30s %s\n", declared ? "[x]" : "[ ]", name, effect);
                        }
                }
                if (o->json)
                        json_end_array(&j);
                sd_bus_message_unref(reply);
                return 0;
        }
        if (strcmp(argv[1], "set") == 0 || strcmp(argv[1], "clear") == 0) {
                sd_bus_message *m = NULL, *reply = NULL;
                sd_bus_error error = SD_BUS_ERROR_NULL;
                int r = sd_bus_message_new_method_call(bus, &m, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, CHAIR_INTERFACE,
                                                       "SetPrecautions");
                if (r >= 0)
                        r = sd_bus_message_append_strv(m, argv[1][0] == 's' ? argv + 2 : (char *[]) { NULL });
                if (r >= 0)
                        r = sd_bus_call(bus, m, 0, &error, &reply);
                /* sd_bus_call() returns 1 on success: only its failures are exit codes. */
                r = r < 0 ? client_report_error(&error, r) : 0;
                sd_bus_error_free(&error);
                sd_bus_message_unref(m);
                sd_bus_message_unref(reply);
                return r;
        }
        return usage("%s", "precautions [list | set CONDITION... | clear]");
}

static unsigned parse_max(int argc, char **argv) {
        unsigned max = 20;
        for (int i = 1; i + 1 < argc; i++)
                if (strcmp(argv[i], "--max") == 0)
                        parse_uint(argv[i + 1], 1, 500, &max);
        return max;
}

static int cmd_history(sd_bus *bus, const struct options *o, int argc, char **argv) {
        sd_bus_message *reply = NULL;
        struct json j = { .f = stdout };
        uint64_t id;
        const char *program, *when, *reason;
        uint32_t duration, intensity;
        uint16_t before, after;
        int r = client_call(bus, CHAIR_INTERFACE, "GetHistory", &reply, "u", parse_max(argc, argv));
        if (r > 0)
                return r;
        if (o->json)
                json_begin_array(&j, NULL);
        else
                printf("%-17s %-21s %-20s %5s %3s %6s %5s  %s\n", "SESSION", "STARTED", "PROGRAM", "MIN", "INT", "BEFORE",
                       "AFTER", "END");
        r = sd_bus_message_enter_container(reply, 'a', "(tssuuqqs)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(tssuuqqs)", &id, &program, &when, &duration, &intensity,
                                                   &before, &after, &reason)) > 0) {
                if (o->json) {
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
        if (o->json)
                json_end_array(&j);
        sd_bus_message_unref(reply);
        return 0;
}

static int cmd_faults(sd_bus *bus, const struct options *o, int argc, char **argv) {
        sd_bus_message *reply = NULL;
        struct json j = { .f = stdout };
        uint64_t t;
        const char *code, *message, *cleared;
        int r = client_call(bus, CHAIR_INTERFACE, "GetFaults", &reply, "u", parse_max(argc, argv));
        unsigned n = 0;

        if (r > 0)
                return r;
        if (o->json)
                json_begin_array(&j, NULL);
        r = sd_bus_message_enter_container(reply, 'a', "(tsss)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(tsss)", &t, &code, &message, &cleared)) > 0) {
                char when[40];
                time_t s = (time_t) (t / 1000000);
                struct tm tm;
                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime_r(&s, &tm));
                n++;
                if (o->json) {
                        json_begin_object(&j, NULL);
                        json_uint(&j, "time_usec", t);
                        json_str(&j, "code", code);
                        json_str(&j, "message", message);
                        json_str(&j, "cleared", cleared);
                        json_end_object(&j);
                } else {
                        printf("%s  %-24s %-10s %s\n", when, code, cleared, message);
                }
        }
        if (o->json)
                json_end_array(&j);
        else if (!n)
                printf("No faults recorded.\n");
        sd_bus_message_unref(reply);
        return 0;
}

/* The scheduler's lateness histogram, one bin a line with the running share, in columns a
 * plotting tool reads as cyclictest -h output (comment lines start with #). */
static int cmd_latency(sd_bus *bus, const struct options *o, int argc, char **argv) {
        sd_bus_message *reply = NULL;
        struct json j = { .f = stdout };
        const char *which = argc > 1 ? argv[1] : "wakeups";
        uint64_t from, to, total = 0, acc = 0;
        uint32_t count;
        int r;

        if (argc > 2)
                return usage("%s", "latency [wakeups|commands]");
        r = client_call(bus, CHAIR_SERVICE_INTERFACE, "GetLatencyHistogram", &reply, "s", which);
        if (r > 0)
                return r;
        /* Two passes over the reply: the total first, for the running share. */
        r = sd_bus_message_enter_container(reply, 'a', "(ttu)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(ttu)", &from, &to, &count)) > 0)
                total += count;
        sd_bus_message_rewind(reply, true);
        if (o->json)
                json_begin_array(&j, NULL);
        else
                printf("# lateness of the scheduler's %s: %llu samples\n# %8s %10s %10s %8s\n",
                       strcmp(which, "commands") == 0 ? "timeline commands" : "timed wake-ups",
                       (unsigned long long) total, "from_us", "to_us", "count", "cum_%");
        r = sd_bus_message_enter_container(reply, 'a', "(ttu)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(ttu)", &from, &to, &count)) > 0) {
                acc += count;
                if (o->json) {
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
        if (o->json)
                json_end_array(&j);
        sd_bus_message_unref(reply);
        return 0;
}

static int cmd_reload(sd_bus *bus) {
        sd_bus_message *reply = NULL;
        const char *e;
        unsigned n = 0;
        int r = client_call(bus, CHAIR_SERVICE_INTERFACE, "ReloadProfiles", &reply, NULL);
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

static int run(sd_bus *bus, const struct options *o, int argc, char **argv) {
        const char *verb = argv[0];
        unsigned u;
        int steps;

#define NEEDS(n, text)                                      \
        do {                                                \
                if (argc != (n))                            \
                        return usage("%s", text);           \
        } while (0)

        if (strcmp(verb, "status") == 0)
                return cmd_status(bus, o);
        if (strcmp(verb, "list") == 0)
                return cmd_list(bus, o);
        if (strcmp(verb, "start") == 0)
                return cmd_start(bus, argc, argv);
        if (strcmp(verb, "stop") == 0 || strcmp(verb, "pause") == 0 || strcmp(verb, "resume") == 0) {
                char method[16];
                snprintf(method, sizeof method, "%c%s", verb[0] - 32, verb + 1);
                return call(bus, CHAIR_INTERFACE, method, NULL);
        }
        if (strcmp(verb, "manual") == 0) {
                NEEDS(3, "manual TECHNIQUE AREA");
                return call(bus, CHAIR_INTERFACE, "StartManual", "ssa{sv}", argv[1], argv[2], 0);
        }
        if (strcmp(verb, "point") == 0 || strcmp(verb, "shoulder") == 0) {
                NEEDS(2, "point|shoulder +N|-N");
                if (parse_steps(argv[1], &steps) < 0)
                        return usage("steps must be -20..+20 and not 0, not '%s'", argv[1]);
                return call(bus, CHAIR_INTERFACE, verb[0] == 'p' ? "MovePoint" : "AdjustShoulder", "i", steps);
        }
        if (strcmp(verb, "intensity") == 0 || strcmp(verb, "speed") == 0 || strcmp(verb, "depth") == 0) {
                NEEDS(2, "intensity|speed|depth N (1-5)");
                if (parse_uint(argv[1], 1, 5, &u) < 0)
                        return usage("levels are 1-5, not '%s'", argv[1]);
                return call(bus, CHAIR_INTERFACE,
                            verb[0] == 'i' ? "SetIntensity" : verb[0] == 's' ? "SetSpeed" : "SetDepth", "u", u);
        }
        if (strcmp(verb, "width") == 0) {
                NEEDS(2, "width narrow|medium|wide");
                return call(bus, CHAIR_INTERFACE, "SetWidth", "s", argv[1]);
        }
        if (strcmp(verb, "heat") == 0) {
                NEEDS(3, "heat lumbar|calves LEVEL (0-3)");
                if (parse_uint(argv[2], 0, 3, &u) < 0)
                        return usage("heat levels are 0-3, not '%s'", argv[2]);
                return call(bus, CHAIR_INTERFACE, "SetHeat", "su", argv[1], u);
        }
        if (strcmp(verb, "air") == 0)
                return cmd_air(bus, argc, argv);
        if (strcmp(verb, "timer") == 0) {
                NEEDS(2, "timer 10|20|30");
                if (parse_uint(argv[1], 10, 30, &u) < 0 || u % 10)
                        return usage("the timer is 10, 20 or 30 minutes, not '%s'", argv[1]);
                return call(bus, CHAIR_INTERFACE, "SetTimer", "u", u);
        }
        if (strcmp(verb, "scan") == 0)
                return call(bus, CHAIR_INTERFACE, "StartBodyScan", NULL);
        if (strcmp(verb, "memory") == 0)
                return cmd_memory(bus, o, argc, argv);
        if (strcmp(verb, "precautions") == 0)
                return cmd_precautions(bus, o, argc, argv);
        if (strcmp(verb, "history") == 0)
                return cmd_history(bus, o, argc, argv);
        if (strcmp(verb, "rate") == 0) {
                unsigned long long id;
                unsigned before, after;
                NEEDS(4, "rate SESSION BEFORE AFTER (pain 0-10)");
                if (parse_unsigned(argv[1], UINT64_MAX, &id) < 0 || parse_uint(argv[2], 0, 10, &before) < 0 || parse_uint(argv[3], 0, 10, &after) < 0)
                        return usage("%s", "rate SESSION BEFORE AFTER: a session id from 'chairctl history', pain 0-10");
                return call(bus, CHAIR_INTERFACE, "RateSession", "tuu", (uint64_t) id, before, after);
        }
        if (strcmp(verb, "faults") == 0)
                return cmd_faults(bus, o, argc, argv);
        if (strcmp(verb, "child-lock") == 0) {
                NEEDS(2, "child-lock on|off");
                if (strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0)
                        return usage("child-lock takes on or off, not '%s'", argv[1]);
                return call(bus, CHAIR_INTERFACE, "SetChildLock", "b", strcmp(argv[1], "on") == 0);
        }
        if (strcmp(verb, "press") == 0) {
                if (argc != 2 && argc != 3)
                        return usage("%s", "press KEY [MILLISECONDS]");
                u = 100;
                if (argc == 3 && parse_uint(argv[2], 0, 30000, &u) < 0)
                        return usage("a key is held 0-30000 ms, not '%s'", argv[2]);
                return call(bus, CHAIR_SERVICE_INTERFACE, "PressKey", "su", argv[1], u);
        }
        if (strcmp(verb, "clear-fault") == 0)
                return call(bus, CHAIR_SERVICE_INTERFACE, "ClearFault", NULL);
        if (strcmp(verb, "reload") == 0)
                return cmd_reload(bus);
        if (strcmp(verb, "latency") == 0)
                return cmd_latency(bus, o, argc, argv);
        if (strcmp(verb, "monitor") == 0)
                return monitor_run(bus, argc > 1 && strcmp(argv[1], "--once") == 0);
        return usage("unknown command '%s'", verb);
}

/* Every command with its usage and what it does: 'chairctl help COMMAND', 'chairctl COMMAND --help'. */
static const struct command_help {
        const char *verb, *usage, *text;
} commands[] = {
        { "status", "status [--verbose]",
          "The chair's state, program and time left, levels, heat with temperatures, air, timer, shoulder\n"
          "and any latched fault. --verbose adds the technician diagnostics: raw inputs and outputs, bus\n"
          "counters and the scheduler's lateness (p50, p99, max, deadlines over 1 ms). --json for scripts." },
        { "list", "list", "The programs: id, name, minutes and description. --json for scripts." },
        { "start", "start PROGRAM [--intensity N] [--minutes M] [--scan|--no-scan] [--no-heat]",
          "Starts a program (see 'chairctl list'). Intensity 1-5; minutes 1-60 (the program is fitted to\n"
          "whole cycles); a body scan runs first when none is stored unless --no-scan; --no-heat keeps\n"
          "the heaters off. Refused while a session runs, with a latched fault, or when a declared\n"
          "precaution excludes the program." },
        { "stop", "stop", "Ends the session: the roller settles home, air releases, heat goes off." },
        { "pause", "pause", "Holds the session: motion stops, air releases, the timers hold." },
        { "resume", "resume", "Continues a paused session." },
        { "manual", "manual TECHNIQUE AREA",
          "Manual mode. TECHNIQUE: knead, knead-reverse, tap, knock, shiatsu, clap, roll, knead+tap.\n"
          "AREA: full, upper, lower, point (then 'chairctl point +N|-N' moves the point)." },
        { "point", "point +N|-N", "Manual mode, area point: moves the point up or down by 10 mm a step." },
        { "shoulder", "shoulder +N|-N", "Fine-tunes the scanned shoulder point by 10 mm a step (at most 5)." },
        { "intensity", "intensity N", "Intensity 1-5, applied at the next step boundary." },
        { "speed", "speed N", "Roller speed 1-5." },
        { "depth", "depth N", "Roller depth 1-5 (manual mode; programs set their own)." },
        { "width", "width narrow|medium|wide", "The distance between the rollers." },
        { "heat", "heat lumbar|calves LEVEL", "A heat zone's level, 0 (off) to 3." },
        { "air", "air ZONE... [--intensity N] | air off",
          "The air bags: zones from shoulders arms back seat calves feet, intensity 1-5 (default 3)." },
        { "timer", "timer 10|20|30", "The auto-off timer of this and the next sessions, in minutes." },
        { "scan", "scan", "Measures the shoulder height (the chair must be idle)." },
        { "memory", "memory save|recall|show 1|2",
          "Memory slots A and B: save stores the running program with its levels, air, heat and timer;\n"
          "recall starts a session from a slot; show prints it (--json for scripts)." },
        { "precautions", "precautions [list | set CONDITION... | clear]",
          "The person's declared conditions (pregnancy, osteoporosis, ...), which exclude or cap programs,\n"
          "heat and compression. 'list' shows every condition and what it changes; kept across restarts." },
        { "history", "history [--max N]", "Past sessions, newest first, with their pain ratings (--json)." },
        { "rate", "rate SESSION BEFORE AFTER",
          "Keeps a pain rating 0-10 from before and after a session with it in the history; SESSION is the\n"
          "id 'chairctl history' shows." },
        { "faults", "faults [--max N]", "The fault history, newest first, and how each was cleared (--json)." },
        { "child-lock", "child-lock on|off",
          "The panel's child lock: every panel key but stop is ignored until it is off (kept across restarts)." },
        { "press", "press KEY [MILLISECONDS]",
          "Technicians, simulated chair: holds a panel key (power, program, start_pause, intensity_up, ...; "
          "docs/panel.md) for the given time (default 100 ms), as a person at the panel would." },
        { "clear-fault", "clear-fault", "Technicians: clears a latched fault once its cause is gone." },
        { "reload", "reload", "Technicians: reloads the programs and prints every load error." },
        { "latency", "latency [wakeups|commands]",
          "Technicians: the scheduler's lateness histogram since the daemon started, for its timed\n"
          "wake-ups (default) or its timeline commands: one bin a line (from_us to_us count cum_%),\n"
          "1 us bins below 1 ms as cyclictest -h prints them, 10 us below 10 ms, 100 us below 100 ms.\n"
          "--json for scripts." },
        { "monitor", "monitor [--once]",
          "A live view redrawn on every change: the roller on its track with the shoulder mark, the air\n"
          "zones, heat temperatures, the program with a progress bar. Ctrl-C leaves it; without a\n"
          "terminal it ends when the session does. --once prints one frame." },
        { "profile", "profile check FILE... | show FILE | plot FILE -o OUT.svg | upload FILE",
          "Program files: check validates them, show prints the planned steps, plot draws the timeline;\n"
          "upload (technicians) sends a file to the daemon, which validates and stores it." },
};

static const struct command_help *find_command(const char *verb) {
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                if (strcmp(commands[i].verb, verb) == 0)
                        return &commands[i];
        return NULL;
}

static bool known_command(const char *verb) {
        return find_command(verb) != NULL;
}

static int command_help(const char *verb) {
        const struct command_help *c = find_command(verb);
        if (!c)
                return usage("no command '%s'", verb);
        printf("Usage: chairctl [--json] %s\n\n%s\n", c->usage, c->text);
        return 0;
}

int main(int argc, char **argv) {
        struct options o = {};
        sd_bus *bus = NULL;
        int i, r;

        for (i = 1; i < argc && argv[i][0] == '-'; i++) {
                if (strcmp(argv[i], "--json") == 0)
                        o.json = true;
                else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                        help();
                        return 0;
                } else if (strcmp(argv[i], "--version") == 0) {
                        printf("chairctl %s\n", MCD_VERSION);
                        return 0;
                } else
                        return usage("unknown option '%s'", argv[i]);
        }
        if (i >= argc) {
                help();
                return EXIT_USAGE;
        }
        argc -= i;
        argv += i;
        for (int k = 1; k < argc; k++)
                if (strcmp(argv[k], "--verbose") == 0 || strcmp(argv[k], "-v") == 0)
                        o.verbose = true;
                else if (strcmp(argv[k], "--json") == 0)
                        o.json = true;

        if (strcmp(argv[0], "help") == 0) {
                if (argc < 2) {
                        help();
                        return 0;
                }
                return command_help(argv[1]);
        }
        /* Usage errors are told before the bus is tried, so they exit 2 even without a daemon. */
        if (!known_command(argv[0]))
                return usage("unknown command '%s'", argv[0]);

        for (int k = 1; k < argc && strcmp(argv[0], "profile") != 0; k++)
                if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0)
                        return command_help(argv[0]);

        /* Profile files are checked, shown and plotted without the daemon. */
        if (strcmp(argv[0], "profile") == 0 && (argc < 2 || strcmp(argv[1], "upload") != 0))
                return chairctl_profile_command(argc, argv);

        r = client_connect(&bus);
        if (r < 0)
                return -r;
        if (strcmp(argv[0], "profile") == 0)
                r = chairctl_profile_upload(bus, argc, argv);
        else
                r = run(bus, &o, argc, argv);
        sd_bus_flush_close_unref(bus);
        return r;
}
