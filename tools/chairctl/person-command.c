/* SPDX-License-Identifier: MIT */
/*
 * chairctl person ..., assess, recommend and rate: the people of docs/people.md over D-Bus
 * (org.massagechair.Chair1.People at CHAIR_PEOPLE_PATH, one org.massagechair.Chair1.Person
 * object per person under it; docs/dbus-api.md). A person is named by NAME (People.FindByName),
 * "guest" being the guest (id 0); with no NAME the active person is meant.
 *
 * Every argument is checked here first (areas and goals from their one table, common/vocab.h),
 * so a bad one is a usage error (2) naming it, before the daemon is asked anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chair-client.h"
#include "chair-io.h"
#include "macro.h"
#include "output.h"
#include "parse-number.h"
#include "person-command.h"
#include "profile.h"
#include "untrusted-file.h"
#include "vocab.h"

#define PAIN_UNSET 0xffffu        /* not rated: the API's convention (GetHistory, Assess) */
#define NAME_BUF 128              /* a person's name as the daemon sends it (at most 32 bytes) */
#define PATH_BUF 128
#define LAST_SESSIONS 5           /* person show's history */
#define PEOPLE_SEEN_MAX 16        /* the guest and 8 profiles, with room for a newer daemon */
#define READ_HEALTH "org.massagechair.Chair1.read-health"

#define _cleanup_message_ _cleanup_(sd_bus_message_unrefp)
#define _cleanup_bus_error_ _cleanup_(sd_bus_error_free)

#define usage(...) chairctl_usage("chairctl --help", __VA_ARGS__)

#define parse_uint chairctl_parse_uint

/* ---- the arguments of these verbs ---- */

enum {
        OPT_PERSON = 1 << 0,
        OPT_PAIN = 1 << 1,
        OPT_GOAL = 1 << 2,
        OPT_INTENSITY = 1 << 3,
        OPT_HEAT = 1 << 4,
        OPT_YES = 1 << 5,
        OPT_MAX = 1 << 6,
};

/* Every option of these verbs, and whether it takes a value. */
static const struct {
        const char *name;
        unsigned bit;
        bool value;
} options[] = {
        { "--person", OPT_PERSON, true },       { "--pain", OPT_PAIN, true }, { "--goal", OPT_GOAL, true },
        { "--intensity", OPT_INTENSITY, true }, { "--heat", OPT_HEAT, true }, { "--yes", OPT_YES, false },
        { "--max", OPT_MAX, true },
};

#define POSITIONAL_MAX 32

struct args {
        const char *pos[POSITIONAL_MAX];
        unsigned n;
        unsigned given;                 /* OPT_* seen */
        const char *value[ARRAY_SIZE(options)];
};

static const char *arg_value(const struct args *a, unsigned bit) {
        for (size_t i = 0; i < ARRAY_SIZE(options); i++)
                if (options[i].bit == bit)
                        return a->value[i];
        return NULL;
}

/* Splits ARGV (after the verb, or the person command) into positional words and the options
 * in ALLOWED ("--opt VALUE", "--opt=VALUE"); WHAT names the command in errors. */
static int parse_args(const char *what, int argc, char **argv, unsigned allowed, struct args *a) {
        *a = (struct args) {};
        for (int i = 0; i < argc; i++) {
                const char *s = argv[i];
                size_t k;

                /* Words and negative numbers (refused by their own check) are positional. */
                if (s[0] != '-' || !s[1] || (s[1] >= '0' && s[1] <= '9')) {
                        if (a->n >= POSITIONAL_MAX)
                                return usage("%s takes at most %d arguments", what, POSITIONAL_MAX);
                        a->pos[a->n++] = s;
                        continue;
                }
                for (k = 0; k < ARRAY_SIZE(options); k++) {
                        size_t len = strlen(options[k].name);
                        if (strncmp(s, options[k].name, len) == 0 && (!s[len] || (s[len] == '=' && options[k].value)))
                                break;
                }
                if (k == ARRAY_SIZE(options) || !(allowed & options[k].bit))
                        return usage("%s: unknown option '%s'", what, s);
                if (a->given & options[k].bit)
                        return usage("%s: %s given twice", what, options[k].name);
                a->given |= options[k].bit;
                if (!options[k].value)
                        continue;
                if (strchr(s, '='))
                        a->value[k] = strchr(s, '=') + 1;
                else if (i + 1 < argc)
                        a->value[k] = argv[++i];
                else
                        return usage("%s: %s needs a value", what, s);
        }
        return 0;
}

/* "AREA=PAIN" into PAIN[] (PAIN_UNSET elsewhere): each area of the pain_area table at most
 * once, pain 0-10. WHAT names the command. */
static int parse_area_pain(const char *what, const char *arg, uint32_t pain[static _PAIN_AREA_MAX]) {
        char area[64], names[VOCAB_NAMES_MAX];
        const char *eq = strchr(arg, '=');
        unsigned v;
        int i;

        if (!eq || (size_t) (eq - arg) >= sizeof area)
                return usage("%s: '%s' is not AREA=PAIN (AREA: %s)", what, arg,
                             vocab_join(VOCAB_PAIN_AREAS, ", ", names, sizeof names));
        snprintf(area, sizeof area, "%.*s", (int) (eq - arg), arg);
        i = pain_area_from_string(area);
        if (i < 0)
                return usage("%s: '%s' in '%s' is not a pain area (%s)", what, area, arg,
                             vocab_join(VOCAB_PAIN_AREAS, ", ", names, sizeof names));
        if (parse_uint(eq + 1, 0, 10, &v) < 0)
                return usage("%s: '%s': pain is 0-10, not '%s'", what, arg, eq + 1);
        if (pain[i] != PAIN_UNSET)
                return usage("%s: the area '%s' is given twice", what, area);
        pain[i] = v;
        return 0;
}

static int append_area_pain(sd_bus_message *m, const uint32_t pain[static _PAIN_AREA_MAX]) {
        int r = sd_bus_message_open_container(m, 'a', "{su}");
        for (int i = 0; r >= 0 && i < _PAIN_AREA_MAX; i++)
                if (pain[i] != PAIN_UNSET)
                        r = sd_bus_message_append(m, "{su}", pain_area_to_string((enum pain_area) i), pain[i]);
        return r < 0 ? r : sd_bus_message_close_container(m);
}

/* ---- calls ---- */

/* Calls METHOD on the object PATH; on failure reports it and returns the exit code (> 0). */
static int call_path(sd_bus *bus, const char *path, const char *interface, const char *method,
                     sd_bus_message **ret_reply, const char *types, ...) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        va_list ap;
        int r;

        va_start(ap, types);
        r = sd_bus_call_methodv(bus, CHAIR_BUS_NAME, path, interface, method, &error, ret_reply, types, ap);
        va_end(ap);
        return r < 0 ? client_report_error(&error, r) : 0;
}

static bool access_denied(const sd_bus_error *error) {
        return sd_bus_error_has_name(error, SD_BUS_ERROR_ACCESS_DENIED) ||
               sd_bus_error_has_name(error, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired");
}

#define HEALTH_ACCESS                                                                                  \
        "the polkit action " READ_HEALTH ", which root, the group chairtech and the chair's active " \
        "session have"

/* A refusal of a member behind read-health says what it takes, not a technician's. */
static int report_health_error(const sd_bus_error *error, int r, const char *method) {
        if (access_denied(error)) {
                fprintf(stderr, "chairctl: %s is health data: reading it needs %s.\n", method, HEALTH_ACCESS);
                return EXIT_CALL_FAILED;
        }
        return client_report_error(error, r);
}

static int call_health(sd_bus *bus, const char *path, const char *method, sd_bus_message **ret_reply,
                       const char *types, ...) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        va_list ap;
        int r;

        va_start(ap, types);
        r = sd_bus_call_methodv(bus, CHAIR_BUS_NAME, path, CHAIR_PERSON_INTERFACE, method, &error, ret_reply, types, ap);
        va_end(ap);
        return r < 0 ? report_health_error(&error, r, method) : 0;
}

/* Sends M; on failure reports it and returns the exit code (> 0). */
static int send_call(sd_bus *bus, sd_bus_message *m, sd_bus_message **ret_reply) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_call(bus, m, 0, &error, ret_reply);
        return r < 0 ? client_report_error(&error, r) : 0;
}

static int read_path_reply(sd_bus_message *reply, char *path, size_t size) {
        const char *p;
        int r = sd_bus_message_read(reply, "o", &p);
        if (r < 0)
                return client_report_error(NULL, r);
        snprintf(path, size, "%s", p);
        return 0;
}

int person_find(sd_bus *bus, const char *name, char *path, size_t size) {
        _cleanup_message_ sd_bus_message *reply = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (name && strcmp(name, "guest") == 0) {
                snprintf(path, size, "%s/0", CHAIR_PEOPLE_PATH);
                return 0;
        }
        if (!name) {
                r = sd_bus_get_property(bus, CHAIR_BUS_NAME, CHAIR_PEOPLE_PATH, CHAIR_PEOPLE_INTERFACE, "Active", &error,
                                        &reply, "o");
                if (r < 0)
                        return client_report_error(&error, r);
                return read_path_reply(reply, path, size);
        }
        r = call_path(bus, CHAIR_PEOPLE_PATH, CHAIR_PEOPLE_INTERFACE, "FindByName", &reply, "s", name);
        return r ? r : read_path_reply(reply, path, size);
}

/* ---- a person's public properties ---- */

struct person_props {
        char path[PATH_BUF];
        char name[NAME_BUF];
        uint32_t id, intensity_cap, heat_cap, timer, program_count;
        int32_t shoulder;
        bool guest, active;
        struct {
                char zone[16];
                uint32_t level;
        } heat[4];
        unsigned n_heat;
};

/* Reads an a{sv} of Person properties; a newer daemon's others are skipped. */
static int read_props(sd_bus_message *m, struct person_props *p) {
        int r = sd_bus_message_enter_container(m, 'a', "{sv}");

        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key, *s;
                int b;
                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        break;
                if (strcmp(key, "Name") == 0) {
                        r = sd_bus_message_read(m, "v", "s", &s);
                        if (r >= 0)
                                snprintf(p->name, sizeof p->name, "%s", s);
                } else if (strcmp(key, "Id") == 0)
                        r = sd_bus_message_read(m, "v", "u", &p->id);
                else if (strcmp(key, "IntensityCap") == 0)
                        r = sd_bus_message_read(m, "v", "u", &p->intensity_cap);
                else if (strcmp(key, "HeatCap") == 0)
                        r = sd_bus_message_read(m, "v", "u", &p->heat_cap);
                else if (strcmp(key, "Timer") == 0)
                        r = sd_bus_message_read(m, "v", "u", &p->timer);
                else if (strcmp(key, "ProgramCount") == 0)
                        r = sd_bus_message_read(m, "v", "u", &p->program_count);
                else if (strcmp(key, "ShoulderPosition") == 0)
                        r = sd_bus_message_read(m, "v", "i", &p->shoulder);
                else if (strcmp(key, "Guest") == 0 || strcmp(key, "Active") == 0) {
                        r = sd_bus_message_read(m, "v", "b", &b);
                        if (key[0] == 'G')
                                p->guest = b;
                        else
                                p->active = b;
                } else if (strcmp(key, "HeatPreference") == 0) {
                        const char *z;
                        uint32_t level;
                        r = sd_bus_message_enter_container(m, 'v', "a{su}");
                        if (r >= 0)
                                r = sd_bus_message_enter_container(m, 'a', "{su}");
                        while (r >= 0 && (r = sd_bus_message_read(m, "{su}", &z, &level)) > 0)
                                if (p->n_heat < ARRAY_SIZE(p->heat)) {
                                        snprintf(p->heat[p->n_heat].zone, sizeof p->heat[0].zone, "%s", z);
                                        p->heat[p->n_heat++].level = level;
                                }
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                } else
                        r = sd_bus_message_skip(m, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int get_props(sd_bus *bus, const char *path, struct person_props *p) {
        _cleanup_message_ sd_bus_message *reply = NULL;
        int r;

        *p = (struct person_props) { .shoulder = -1 };
        snprintf(p->path, sizeof p->path, "%s", path);
        r = call_path(bus, path, "org.freedesktop.DBus.Properties", "GetAll", &reply, "s", CHAIR_PERSON_INTERFACE);
        if (r)
                return r;
        r = read_props(reply, p);
        return r < 0 ? client_report_error(NULL, r) : 0;
}

/* Every person, by id, from the ObjectManager's one GetManagedObjects. Quiet when QUIET. */
static int list_people(sd_bus *bus, struct person_props *ret, unsigned *ret_n, bool quiet) {
        _cleanup_message_ sd_bus_message *reply = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        unsigned n = 0;
        int r;

        r = sd_bus_call_method(bus, CHAIR_BUS_NAME, CHAIR_PEOPLE_PATH, "org.freedesktop.DBus.ObjectManager",
                               "GetManagedObjects", &error, &reply, NULL);
        if (r < 0)
                return quiet ? EXIT_CALL_FAILED : client_report_error(&error, r);
        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                struct person_props p = { .shoulder = -1 };
                const char *path, *interface;
                bool person = false;
                r = sd_bus_message_read(reply, "o", &path);
                if (r >= 0)
                        r = sd_bus_message_enter_container(reply, 'a', "{sa{sv}}");
                while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sa{sv}")) > 0) {
                        r = sd_bus_message_read(reply, "s", &interface);
                        if (r >= 0 && strcmp(interface, CHAIR_PERSON_INTERFACE) == 0) {
                                person = true;
                                r = read_props(reply, &p);
                        } else if (r >= 0)
                                r = sd_bus_message_skip(reply, "a{sv}");
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r >= 0 && person && n < PEOPLE_SEEN_MAX) {
                        snprintf(p.path, sizeof p.path, "%s", path);
                        /* Insertion by id: the guest first, then the order they were made in. */
                        unsigned k = n++;
                        for (; k > 0 && ret[k - 1].id > p.id; k--)
                                ret[k] = ret[k - 1];
                        ret[k] = p;
                }
        }
        if (r < 0)
                return quiet ? EXIT_CALL_FAILED : client_report_error(NULL, r);
        *ret_n = n;
        return 0;
}

static void format_timer(uint32_t minutes, char *buf, size_t size) {
        if (minutes)
                snprintf(buf, size, "%u min", minutes);
        else
                snprintf(buf, size, "default");
}

static void json_props(struct json *j, const struct person_props *p) {
        json_uint(j, "id", p->id);
        json_str(j, "name", p->name);
        json_bool(j, "guest", p->guest);
        json_bool(j, "active", p->active);
        json_uint(j, "intensity_cap", p->intensity_cap);
        json_uint(j, "heat_cap", p->heat_cap);
        json_uint(j, "timer", p->timer);
        json_begin_object(j, "heat_preference");
        for (unsigned i = 0; i < p->n_heat; i++)
                json_uint(j, p->heat[i].zone, p->heat[i].level);
        json_end_object(j);
        json_int(j, "shoulder_mm", p->shoulder);
        json_uint(j, "program_count", p->program_count);
}

static struct json json_for(const struct person_output *o) {
        return (struct json) { .f = stdout, .pretty = o->json == 2 };
}

/* ---- person list and show ---- */

static int person_list(sd_bus *bus, const struct person_output *o, const struct args *a) {
        struct person_props people[PEOPLE_SEEN_MAX];
        struct json j = json_for(o);
        unsigned n;
        int r;

        if (a->n)
                return usage("person list takes no arguments, not '%s'", a->pos[0]);
        if (!bus)
                return 0;
        r = list_people(bus, people, &n, false);
        if (r)
                return r;
        if (o->json)
                json_begin_array(&j, NULL);
        else if (!o->no_legend)
                printf("  %4s  %-20s %9s %8s %8s %9s %8s\n", "ID", "NAME", "INTENSITY", "HEAT CAP", "TIMER", "SHOULDER",
                       "PROGRAMS");
        for (unsigned i = 0; i < n; i++) {
                const struct person_props *p = &people[i];
                char timer[16], shoulder[16] = "-";
                if (o->json) {
                        json_begin_object(&j, NULL);
                        json_props(&j, p);
                        json_end_object(&j);
                        continue;
                }
                format_timer(p->timer, timer, sizeof timer);
                if (p->shoulder >= 0)
                        snprintf(shoulder, sizeof shoulder, "%d mm", p->shoulder);
                /* '*' the active person, as list's '*' the running program. */
                printf("%c %4u  %-20s %9u %8u %8s %9s %8u\n", p->active ? '*' : ' ', p->id, p->name, p->intensity_cap,
                       p->heat_cap, timer, shoulder, p->program_count);
        }
        if (o->json)
                json_end_array(&j);
        else if (!o->no_legend)
                printf("\n* active (the chair's next session is theirs); %u of at most 8 profiles and the guest\n",
                       n ? n - 1 : 0);
        return 0;
}

/* The health data of a person (read-health): a call that may be refused. */
struct health {
        bool allowed;
        char conditions[32][40];
        unsigned n_conditions;
        bool assessed;
        uint64_t assessed_usec;
        uint32_t pain[_PAIN_AREA_MAX], pain_now;
        char goal[24];
};

struct session_row {
        uint64_t id;
        char program[80], start[40], reason[32], goal[24];
        uint32_t duration, intensity, before, after;
        bool focused;
        uint32_t area_before[_PAIN_AREA_MAX], area_after[_PAIN_AREA_MAX];
};

/* A number of any unsigned or signed D-Bus type inside a variant. */
static int read_number_variant(sd_bus_message *m, const char *contents, uint64_t *ret) {
        union {
                uint8_t y;
                uint16_t q;
                int16_t n;
                uint32_t u;
                int32_t i;
                uint64_t t;
                int64_t x;
        } v = {};
        int r;

        if (!contents || strlen(contents) != 1 || !strchr("yqnuitx", contents[0]))
                return sd_bus_message_skip(m, "v");
        r = sd_bus_message_read(m, "v", contents, &v);
        if (r < 0)
                return r;
        switch (contents[0]) {
        case 'y': *ret = v.y; break;
        case 'q': *ret = v.q; break;
        case 'n': *ret = v.n < 0 ? PAIN_UNSET : (uint64_t) v.n; break;
        case 'u': *ret = v.u; break;
        case 'i': *ret = v.i < 0 ? PAIN_UNSET : (uint64_t) v.i; break;
        case 'x': *ret = v.x < 0 ? PAIN_UNSET : (uint64_t) v.x; break;
        default: *ret = v.t; break;
        }
        return 1;
}

/* A variant a{su} of pain per area into PAIN[] (PAIN_UNSET where not named). */
static int read_area_variant(sd_bus_message *m, uint32_t pain[static _PAIN_AREA_MAX]) {
        const char *area;
        uint32_t v;
        int r;

        for (int i = 0; i < _PAIN_AREA_MAX; i++)
                pain[i] = PAIN_UNSET;
        r = sd_bus_message_enter_container(m, 'v', "a{su}");
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "{su}");
        while (r >= 0 && (r = sd_bus_message_read(m, "{su}", &area, &v)) > 0) {
                int i = pain_area_from_string(area);
                if (i >= 0)
                        pain[i] = v;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

/* One history entry (a{sv}, every field by name, docs/dbus-api.md). */
static int read_session(sd_bus_message *m, struct session_row *s) {
        int r;

        *s = (struct session_row) { .before = PAIN_UNSET, .after = PAIN_UNSET };
        for (int i = 0; i < _PAIN_AREA_MAX; i++)
                s->area_before[i] = s->area_after[i] = PAIN_UNSET;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key, *contents, *str;
                char type;
                uint64_t u = 0;
                int b;
                r = sd_bus_message_read(m, "s", &key);
                if (r >= 0)
                        r = sd_bus_message_peek_type(m, &type, &contents);
                if (r < 0)
                        break;
                if (contents && strcmp(contents, "s") == 0) {
                        r = sd_bus_message_read(m, "v", "s", &str);
                        if (r >= 0 && strcmp(key, "program") == 0)
                                snprintf(s->program, sizeof s->program, "%s", str);
                        else if (r >= 0 && strcmp(key, "start") == 0)
                                snprintf(s->start, sizeof s->start, "%s", str);
                        else if (r >= 0 && strcmp(key, "reason") == 0)
                                snprintf(s->reason, sizeof s->reason, "%s", str);
                        else if (r >= 0 && strcmp(key, "goal") == 0)
                                snprintf(s->goal, sizeof s->goal, "%s", str);
                } else if (contents && strcmp(contents, "b") == 0) {
                        r = sd_bus_message_read(m, "v", "b", &b);
                        if (strcmp(key, "focused") == 0)
                                s->focused = b;
                } else if (contents && strcmp(contents, "a{su}") == 0 &&
                           (strcmp(key, "area_before") == 0 || strcmp(key, "area_after") == 0))
                        r = read_area_variant(m, key[5] == 'b' ? s->area_before : s->area_after);
                else if ((r = read_number_variant(m, contents, &u)) > 0) {
                        uint32_t v = (uint32_t) MIN(u, (uint64_t) UINT32_MAX);
                        if (strcmp(key, "id") == 0)
                                s->id = u;
                        else if (strcmp(key, "duration") == 0)
                                s->duration = v;
                        else if (strcmp(key, "intensity") == 0)
                                s->intensity = v;
                        else if (strcmp(key, "pain_before") == 0)
                                s->before = v;
                        else if (strcmp(key, "pain_after") == 0)
                                s->after = v;
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

static bool rated(uint32_t pain) {
        return pain <= 10;
}

/* Person.GetHistory(MAX) into ROWS (at most MAX); the error (unreported) in *ERROR. */
static int get_sessions(sd_bus *bus, const char *path, unsigned max, struct session_row *rows, unsigned *ret_n,
                        sd_bus_error *error) {
        _cleanup_message_ sd_bus_message *reply = NULL;
        unsigned n = 0;
        int r;

        r = sd_bus_call_method(bus, CHAIR_BUS_NAME, path, CHAIR_PERSON_INTERFACE, "GetHistory", error, &reply, "u", max);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "a{sv}");
        while (r >= 0 && n < max && (r = sd_bus_message_at_end(reply, false)) == 0) {
                r = read_session(reply, &rows[n]);
                if (r >= 0)
                        n++;
        }
        *ret_n = n;
        return r < 0 ? r : 0;
}

/* GetConditions and GetAssessment. An AccessDenied is no error: the caller may not read them,
 * and show says so. */
static int get_health(sd_bus *bus, const char *path, struct health *h) {
        _cleanup_message_ sd_bus_message *reply = NULL, *assessment = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *s;
        int r;

        *h = (struct health) { .pain_now = PAIN_UNSET };
        for (int i = 0; i < _PAIN_AREA_MAX; i++)
                h->pain[i] = PAIN_UNSET;
        r = sd_bus_call_method(bus, CHAIR_BUS_NAME, path, CHAIR_PERSON_INTERFACE, "GetConditions", &error, &reply, NULL);
        if (r < 0 && access_denied(&error))
                return 0;
        if (r < 0)
                return client_report_error(&error, r);
        h->allowed = true;
        r = sd_bus_message_enter_container(reply, 'a', "s");
        while (r >= 0 && (r = sd_bus_message_read(reply, "s", &s)) > 0)
                if (h->n_conditions < ARRAY_SIZE(h->conditions))
                        snprintf(h->conditions[h->n_conditions++], sizeof h->conditions[0], "%s", s);
        if (r < 0)
                return client_report_error(NULL, r);

        r = call_health(bus, path, "GetAssessment", &assessment, NULL);
        if (r)
                return r;
        r = sd_bus_message_enter_container(assessment, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(assessment, 'e', "sv")) > 0) {
                const char *key, *contents;
                char type;
                uint64_t u = 0;
                r = sd_bus_message_read(assessment, "s", &key);
                if (r >= 0)
                        r = sd_bus_message_peek_type(assessment, &type, &contents);
                if (r < 0)
                        break;
                h->assessed = true;
                if (strcmp(key, "pain") == 0 && contents && strcmp(contents, "a{su}") == 0)
                        r = read_area_variant(assessment, h->pain);
                else if (strcmp(key, "goal") == 0 && contents && strcmp(contents, "s") == 0) {
                        r = sd_bus_message_read(assessment, "v", "s", &s);
                        if (r >= 0)
                                snprintf(h->goal, sizeof h->goal, "%s", s);
                } else if ((r = read_number_variant(assessment, contents, &u)) > 0) {
                        if (strcmp(key, "time") == 0)
                                h->assessed_usec = u;
                        else if (strcmp(key, "pain_now") == 0)
                                h->pain_now = (uint32_t) MIN(u, (uint64_t) PAIN_UNSET);
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(assessment);
        }
        return r < 0 ? client_report_error(NULL, r) : 0;
}

static void json_area_map(struct json *j, const char *key, const uint32_t pain[static _PAIN_AREA_MAX]) {
        json_begin_object(j, key);
        for (int i = 0; i < _PAIN_AREA_MAX; i++)
                if (rated(pain[i]))
                        json_uint(j, pain_area_to_string((enum pain_area) i), pain[i]);
        json_end_object(j);
}

static void json_session(struct json *j, const struct session_row *s) {
        json_begin_object(j, NULL);
        json_uint(j, "id", s->id);
        json_str(j, "program", s->program);
        json_str(j, "started", s->start);
        json_uint(j, "duration", s->duration);
        json_uint(j, "intensity", s->intensity);
        if (rated(s->before))
                json_uint(j, "pain_before", s->before);
        if (rated(s->after))
                json_uint(j, "pain_after", s->after);
        json_str(j, "end", s->reason);
        json_str(j, "goal", s->goal);
        json_bool(j, "focused", s->focused);
        json_area_map(j, "area_before", s->area_before);
        json_area_map(j, "area_after", s->area_after);
        json_end_object(j);
}

static void print_pain(uint32_t pain, char *buf, size_t size) {
        if (rated(pain))
                snprintf(buf, size, "%u", pain);
        else
                snprintf(buf, size, "-");
}

/* The end of a session's line: the areas' pain before → after. */
static void print_session_areas(const struct session_row *s) {
        char b[8], a[8];

        for (int i = 0; i < _PAIN_AREA_MAX; i++)
                if (rated(s->area_before[i]) || rated(s->area_after[i])) {
                        print_pain(s->area_before[i], b, sizeof b);
                        print_pain(s->area_after[i], a, sizeof a);
                        printf(" %s %s→%s", pain_area_to_string((enum pain_area) i), b, a);
                }
        printf("\n");
}

/* A session a line, as 'chairctl history' prints them, with the areas' pain before → after. */
static void print_session(const struct session_row *s) {
        char b[8], a[8];

        print_pain(s->before, b, sizeof b);
        print_pain(s->after, a, sizeof a);
        printf("  %-17llu %-21s %-20s %4u %6s %5s  %s%s", (unsigned long long) s->id, s->start, s->program,
               (s->duration + 59) / 60, b, a, s->reason, s->focused ? " focused" : "");
        print_session_areas(s);
}

static int person_show(sd_bus *bus, const struct person_output *o, const struct args *a) {
        struct person_props p;
        struct health h;
        struct session_row rows[LAST_SESSIONS];
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        struct json j = json_for(o);
        char path[PATH_BUF], timer[24];
        unsigned n_rows = 0;
        int r;

        if (a->n > 1)
                return usage("%s", "usage: chairctl person show [NAME]");
        if (!bus)
                return 0;
        r = person_find(bus, a->n ? a->pos[0] : NULL, path, sizeof path);
        if (!r)
                r = get_props(bus, path, &p);
        if (!r)
                r = get_health(bus, path, &h);
        if (r)
                return r;
        if (h.allowed) {
                r = get_sessions(bus, path, LAST_SESSIONS, rows, &n_rows, &error);
                if (r < 0)
                        return report_health_error(&error, r, "GetHistory");
        }
        if (o->json) {
                json_begin_object(&j, NULL);
                json_props(&j, &p);
                if (h.allowed) {
                        json_begin_array(&j, "conditions");
                        for (unsigned i = 0; i < h.n_conditions; i++)
                                json_str(&j, NULL, h.conditions[i]);
                        json_end_array(&j);
                        json_begin_object(&j, "assessment");
                        if (h.assessed) {
                                char when[40];
                                format_time_usec(h.assessed_usec, when, sizeof when);
                                json_str(&j, "time", when);
                                json_area_map(&j, "pain", h.pain);
                                if (rated(h.pain_now))
                                        json_uint(&j, "pain_now", h.pain_now);
                                json_str(&j, "goal", h.goal);
                        }
                        json_end_object(&j);
                        json_begin_array(&j, "history");
                        for (unsigned i = 0; i < n_rows; i++)
                                json_session(&j, &rows[i]);
                        json_end_array(&j);
                }
                json_end_object(&j);
                return 0;
        }
        format_timer(p.timer, timer, sizeof timer);
        printf("       Person: %s (id %u%s)\n", p.name, p.id, p.guest ? ", the guest" : "");
        printf("       Active: %s\n", p.active ? "yes (the chair's next session is theirs)" : "no");
        printf("Intensity cap: %u of 5\n", p.intensity_cap);
        printf("     Heat cap: %u of 3\n", p.heat_cap);
        printf("        Timer: %s\n", p.timer ? timer : "the chair's default");
        printf("         Heat:");
        for (unsigned i = 0; i < p.n_heat; i++)
                printf(" %s %u%s", p.heat[i].zone, p.heat[i].level, i + 1 < p.n_heat ? "," : "");
        printf("%s\n", p.n_heat ? "" : " -");
        if (p.shoulder >= 0)
                printf("     Shoulder: %d mm\n", p.shoulder);
        else
                printf("     Shoulder: not scanned\n");
        printf("     Programs: %u of their own\n", p.program_count);
        if (!h.allowed) {
                /* Public properties only: the rest is health data (docs/dbus-api.md, "Access"). */
                printf("  Health data: not shown (reading it needs %s)\n", HEALTH_ACCESS);
                return 0;
        }
        printf("   Conditions:");
        for (unsigned i = 0; i < h.n_conditions; i++)
                printf(" %s", h.conditions[i]);
        printf("%s\n", h.n_conditions ? "" : " none declared");
        if (h.assessed) {
                char when[40], now[8];
                format_time_usec(h.assessed_usec, when, sizeof when);
                print_pain(h.pain_now, now, sizeof now);
                printf("   Assessment: %s, pain now %s", when, now);
                for (int i = 0; i < _PAIN_AREA_MAX; i++)
                        if (rated(h.pain[i]))
                                printf(", %s %u", pain_area_to_string((enum pain_area) i), h.pain[i]);
                printf("; goal %s\n", h.goal[0] ? h.goal : "-");
        } else
                printf("   Assessment: none recorded ('chairctl assess' records one)\n");
        if (!n_rows) {
                printf("     Sessions: none recorded\n");
                return 0;
        }
        printf("\nLast sessions:\n");
        if (!o->no_legend)
                printf("  %-17s %-21s %-20s %4s %6s %5s  %s\n", "SESSION", "STARTED (UTC)", "PROGRAM", "MIN", "BEFORE",
                       "AFTER", "END");
        for (unsigned i = 0; i < n_rows; i++)
                print_session(&rows[i]);
        return 0;
}

/* ---- the commands that change a person ---- */

static int person_create(sd_bus *bus, const struct args *a) {
        _cleanup_message_ sd_bus_message *reply = NULL;
        if (!bus)
                return 0;
        return call_path(bus, CHAIR_PEOPLE_PATH, CHAIR_PEOPLE_INTERFACE, "Create", &reply, "s", a->pos[0]);
}

static int person_rename(sd_bus *bus, const struct args *a) {
        char path[PATH_BUF];
        int r = bus ? person_find(bus, a->pos[0], path, sizeof path) : 0;
        return r || !bus ? r : call_path(bus, path, CHAIR_PERSON_INTERFACE, "Rename", NULL, "s", a->pos[1]);
}

static int person_select(sd_bus *bus, const struct args *a) {
        char path[PATH_BUF];
        int r = bus ? person_find(bus, a->pos[0], path, sizeof path) : 0;
        return r || !bus ? r : call_path(bus, path, CHAIR_PERSON_INTERFACE, "Select", NULL, NULL);
}

/* Delete asks for the name typed again (the daemon wants it as the confirmation): on a
 * terminal unless --yes; without a terminal only with --yes. */
static int person_delete(sd_bus *bus, const struct args *a) {
        struct person_props p;
        char path[PATH_BUF], typed[NAME_BUF + 2];
        const char *confirm;
        bool yes = a->given & OPT_YES;
        int r;

        if (!yes && !isatty(STDIN_FILENO))
                return usage("person delete %s: deleting a person deletes their history and programs too: type the "
                             "name on a terminal, or confirm with --yes",
                             a->pos[0]);
        if (!bus)
                return 0;
        r = person_find(bus, a->pos[0], path, sizeof path);
        if (!r)
                r = get_props(bus, path, &p);
        if (r)
                return r;
        confirm = p.name;
        if (!yes) {
                fprintf(stderr, "Deleting %s deletes their conditions, history, ratings and programs.\n"
                                "Type the name again to delete them: ",
                        p.name);
                fflush(stderr);
                if (!fgets(typed, sizeof typed, stdin))
                        typed[0] = 0;
                typed[strcspn(typed, "\r\n")] = 0;
                if (strcmp(typed, p.name) != 0) {
                        fprintf(stderr, "chairctl: '%s' is not '%s': nothing deleted.\n", typed, p.name);
                        return EXIT_CALL_FAILED;
                }
                confirm = typed;
        }
        return call_path(bus, path, CHAIR_PERSON_INTERFACE, "Delete", NULL, "s", confirm);
}

static int person_caps(sd_bus *bus, const struct person_output *o, const struct args *a) {
        const char *intensity = arg_value(a, OPT_INTENSITY), *heat = arg_value(a, OPT_HEAT);
        struct person_props p;
        char path[PATH_BUF];
        unsigned ic = 0, hc = 0;
        int r;

        if (intensity && parse_uint(intensity, 1, 5, &ic) < 0)
                return usage("person caps --intensity takes 1-5, not '%s'", intensity);
        if (heat && parse_uint(heat, 0, 3, &hc) < 0)
                return usage("person caps --heat takes 0-3, not '%s'", heat);
        if ((intensity || heat) && o->json)
                return usage("%s", "person caps with --intensity or --heat prints nothing for --json");
        if (!bus)
                return 0;
        r = person_find(bus, a->pos[0], path, sizeof path);
        if (!r)
                r = get_props(bus, path, &p);
        if (r)
                return r;
        if (!intensity && !heat) {
                /* No change asked: the caps as they are. */
                if (o->json) {
                        struct json j = json_for(o);
                        json_begin_object(&j, NULL);
                        json_uint(&j, "intensity_cap", p.intensity_cap);
                        json_uint(&j, "heat_cap", p.heat_cap);
                        json_end_object(&j);
                } else
                        printf("%s: intensity cap %u of 5, heat cap %u of 3\n", p.name, p.intensity_cap, p.heat_cap);
                return 0;
        }
        return call_path(bus, path, CHAIR_PERSON_INTERFACE, "SetCaps", NULL, "uu", intensity ? ic : p.intensity_cap,
                         heat ? hc : p.heat_cap);
}

static int person_timer(sd_bus *bus, const struct args *a) {
        char path[PATH_BUF], choices[VOCAB_NAMES_MAX];
        unsigned minutes;
        int r;

        if (parse_uint(a->pos[1], 0, UINT32_MAX, &minutes) < 0 || (minutes && !chair_timer_valid(minutes)))
                return usage("person timer: MINUTES is 0 (the chair's default) or %s, not '%s'",
                             vocab_join(VOCAB_TIMERS, ", ", choices, sizeof choices), a->pos[1]);
        if (!bus)
                return 0;
        r = person_find(bus, a->pos[0], path, sizeof path);
        return r ? r : call_path(bus, path, CHAIR_PERSON_INTERFACE, "SetTimer", NULL, "u", minutes);
}

static int person_heat(sd_bus *bus, const struct args *a) {
        char path[PATH_BUF], zones[VOCAB_NAMES_MAX];
        unsigned level;
        int r;

        if (chair_heat_zone_from_name(a->pos[1]) < 0)
                return usage("person heat: ZONE is %s, not '%s'", vocab_join(VOCAB_HEAT_ZONES, ", ", zones, sizeof zones),
                             a->pos[1]);
        if (parse_uint(a->pos[2], 0, 3, &level) < 0)
                return usage("person heat: LEVEL is 0-3, not '%s'", a->pos[2]);
        if (!bus)
                return 0;
        r = person_find(bus, a->pos[0], path, sizeof path);
        return r ? r : call_path(bus, path, CHAIR_PERSON_INTERFACE, "SetHeatPreference", NULL, "su", a->pos[1], level);
}

/* install NAME FILE: the daemon validates it as Service.UploadProfile does, with the same
 * bound, which is read here first (a FIFO or a device is refused, not waited on). */
static int person_install(sd_bus *bus, const struct args *a) {
        _cleanup_free_ char *text = NULL;
        char path[PATH_BUF], err[512], name[256];
        size_t len = 0;
        int r;

        r = read_untrusted_file(AT_FDCWD, a->pos[1], a->pos[1], PROFILE_FILE_MAX, UNTRUSTED_TEXT, &text, &len, err,
                                sizeof err);
        if (r < 0) {
                fprintf(stderr, "chairctl: %s\n", err);
                return EXIT_CALL_FAILED;
        }
        if (!bus)
                return 0;
        r = person_find(bus, a->pos[0], path, sizeof path);
        if (r)
                return r;
        snprintf(name, sizeof name, "%s", a->pos[1]);
        return call_path(bus, path, CHAIR_PERSON_INTERFACE, "InstallProgram", NULL, "ss", basename(name), text);
}

static int person_programs(sd_bus *bus, const struct person_output *o, const struct args *a) {
        _cleanup_message_ sd_bus_message *reply = NULL;
        struct json j = json_for(o);
        const char *id, *name, *desc;
        char path[PATH_BUF];
        uint32_t duration;
        unsigned n = 0;
        int r;

        if (!bus)
                return 0;
        r = person_find(bus, a->pos[0], path, sizeof path);
        if (!r)
                r = call_path(bus, path, CHAIR_PERSON_INTERFACE, "ListPrograms", &reply, NULL);
        if (r)
                return r;
        if (o->json)
                json_begin_array(&j, NULL);
        else if (!o->no_legend)
                printf("%-20s %-22s %4s  %s\n", "ID", "NAME", "MIN", "DESCRIPTION");
        r = sd_bus_message_enter_container(reply, 'a', "(sssu)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(sssu)", &id, &name, &desc, &duration)) > 0) {
                n++;
                if (o->json) {
                        json_begin_object(&j, NULL);
                        json_str(&j, "id", id);
                        json_str(&j, "name", name);
                        json_str(&j, "description", desc);
                        json_uint(&j, "duration", duration);
                        json_end_object(&j);
                } else {
                        printf("%-20s %-22s %4u  ", id, name, duration / 60);
                        print_ellipsized(stdout, desc, o->columns > 51 ? o->columns - 51 : 0);
                        printf("\n");
                }
        }
        if (o->json)
                json_end_array(&j);
        else if (!n && !o->no_legend)
                printf("No programs of their own ('chairctl person install %s FILE' installs one).\n", a->pos[0]);
        return r < 0 ? client_report_error(NULL, r) : 0;
}

static int person_remove_program(sd_bus *bus, const struct args *a) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        char path[PATH_BUF];
        int r = bus ? person_find(bus, a->pos[0], path, sizeof path) : 0;

        if (r || !bus)
                return r;
        r = sd_bus_call_method(bus, CHAIR_BUS_NAME, path, CHAIR_PERSON_INTERFACE, "RemoveProgram", &error, NULL, "s",
                               a->pos[1]);
        if (r >= 0)
                return 0;
        /* Theirs, not the catalog's: the fix is the person's list. */
        if (sd_bus_error_has_name(&error, CHAIR_ERROR_UNKNOWN_PROGRAM)) {
                fprintf(stderr, "chairctl: %s: 'chairctl person programs %s' shows theirs.\n", error.message, a->pos[0]);
                return EXIT_CALL_FAILED;
        }
        return client_report_error(&error, r);
}

/* ---- the table of person commands: dispatch, help, man page and completion ---- */

enum { RUN_LIST, RUN_SHOW, RUN_CREATE, RUN_RENAME, RUN_DELETE, RUN_SELECT, RUN_CAPS, RUN_TIMER, RUN_HEAT,
       RUN_INSTALL, RUN_PROGRAMS, RUN_REMOVE_PROGRAM };

static const struct person_command {
        const char *name, *args;
        unsigned min, max;      /* positional arguments */
        unsigned options;       /* OPT_* it takes */
        bool prints;            /* --json applies */
        int run;
        const char *complete[3]; /* the sources of its positional arguments */
} commands[] = {
        { "list", "", 0, 0, 0, true, RUN_LIST, {} },
        { "show", "[NAME]", 0, 1, 0, true, RUN_SHOW, { "@people" } },
        { "create", "NAME", 1, 1, 0, false, RUN_CREATE, {} },
        { "rename", "NAME NEW", 2, 2, 0, false, RUN_RENAME, { "@people" } },
        { "delete", "NAME [--yes]", 1, 1, OPT_YES, false, RUN_DELETE, { "@people" } },
        { "select", "NAME", 1, 1, 0, false, RUN_SELECT, { "@people" } },
        { "caps", "NAME [--intensity N] [--heat N]", 1, 1, OPT_INTENSITY | OPT_HEAT, true, RUN_CAPS, { "@people" } },
        { "timer", "NAME MINUTES", 2, 2, 0, false, RUN_TIMER, { "@people", "0 @timers" } },
        { "heat", "NAME ZONE LEVEL", 3, 3, 0, false, RUN_HEAT, { "@people", "@heat-zones", "0 1 2 3" } },
        { "install", "NAME FILE", 2, 2, 0, false, RUN_INSTALL, { "@people", "@files" } },
        { "programs", "NAME", 1, 1, 0, true, RUN_PROGRAMS, { "@people" } },
        { "remove-program", "NAME ID", 2, 2, 0, false, RUN_REMOVE_PROGRAM, { "@people" } },
};

static const struct person_command *find_command(const char *name) {
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                if (strcmp(commands[i].name, name) == 0)
                        return &commands[i];
        return NULL;
}

static const char *join_commands(bool with_args, const char *sep, char *buf, size_t size) {
        size_t o = 0;

        if (!size)
                return buf;
        buf[0] = 0;
        for (size_t i = 0; i < ARRAY_SIZE(commands) && o < size; i++) {
                int n = snprintf(buf + o, size - o, "%s%s%s%s", i ? sep : "", commands[i].name,
                                 with_args && commands[i].args[0] ? " " : "", with_args ? commands[i].args : "");
                o = n < 0 ? size : o + (size_t) n;
        }
        return buf;
}

const char *person_commands_join(const char *sep, char *buf, size_t size) {
        return join_commands(false, sep, buf, size);
}

const char *person_usage_join(const char *sep, char *buf, size_t size) {
        return join_commands(true, sep, buf, size);
}

static int run_person(sd_bus *bus, const struct person_output *o, int argc, char **argv) {
        const struct person_command *cmd;
        char what[64], names[VOCAB_NAMES_MAX];
        struct args a;
        int r;

        cmd = argc >= 2 ? find_command(argv[1]) : NULL;
        if (!cmd && argc < 2) /* 'chairctl person': who is there */
                cmd = find_command("list");
        if (!cmd)
                return usage("person takes %s, not '%s'", person_commands_join(", ", names, sizeof names), argv[1]);
        snprintf(what, sizeof what, "person %s", cmd->name);
        r = parse_args(what, argc > 2 ? argc - 2 : 0, argv + 2, cmd->options, &a);
        if (r)
                return r;
        if (a.n < cmd->min || a.n > cmd->max)
                return usage("usage: chairctl person %s %s", cmd->name, cmd->args);
        if (o->json && !cmd->prints)
                return usage("person %s prints nothing to format: --json applies to list, show, caps and programs",
                             cmd->name);
        switch (cmd->run) {
        case RUN_LIST: return person_list(bus, o, &a);
        case RUN_SHOW: return person_show(bus, o, &a);
        case RUN_CREATE: return person_create(bus, &a);
        case RUN_RENAME: return person_rename(bus, &a);
        case RUN_DELETE: return person_delete(bus, &a);
        case RUN_SELECT: return person_select(bus, &a);
        case RUN_CAPS: return person_caps(bus, o, &a);
        case RUN_TIMER: return person_timer(bus, &a);
        case RUN_HEAT: return person_heat(bus, &a);
        case RUN_INSTALL: return person_install(bus, &a);
        case RUN_PROGRAMS: return person_programs(bus, o, &a);
        default: return person_remove_program(bus, &a);
        }
}

/* ---- assess, recommend, rate ---- */

/* assess [--person NAME] AREA=PAIN... [--pain N] [--goal GOAL]: the goal is the table's first
 * (relief) unless given; the pain now, unless given, the worst of the areas' (the daemon keeps
 * it as the next session's pain before). */
static int run_assess(sd_bus *bus, int argc, char **argv) {
        _cleanup_message_ sd_bus_message *m = NULL;
        const char *pain_now_arg, *goal;
        char path[PATH_BUF], names[VOCAB_NAMES_MAX];
        uint32_t pain[_PAIN_AREA_MAX];
        unsigned pain_now = PAIN_UNSET;
        struct args a;
        int r;

        r = parse_args("assess", argc - 1, argv + 1, OPT_PERSON | OPT_PAIN | OPT_GOAL, &a);
        if (r)
                return r;
        for (int i = 0; i < _PAIN_AREA_MAX; i++)
                pain[i] = PAIN_UNSET;
        for (unsigned i = 0; i < a.n; i++) {
                r = parse_area_pain("assess", a.pos[i], pain);
                if (r)
                        return r;
        }
        pain_now_arg = arg_value(&a, OPT_PAIN);
        if (pain_now_arg && parse_uint(pain_now_arg, 0, 10, &pain_now) < 0)
                return usage("assess --pain: pain now is 0-10, not '%s'", pain_now_arg);
        goal = arg_value(&a, OPT_GOAL);
        if (goal && massage_goal_from_string(goal) < 0)
                return usage("assess --goal: '%s' is not a goal (%s)", goal,
                             vocab_join(VOCAB_GOALS, ", ", names, sizeof names));
        if (!goal)
                goal = massage_goal_to_string(GOAL_RELIEF);
        if (!a.n && !pain_now_arg)
                return usage("assess takes AREA=PAIN (AREA: %s) or --pain N, or both",
                             vocab_join(VOCAB_PAIN_AREAS, ", ", names, sizeof names));
        if (!pain_now_arg) {
                pain_now = 0;
                for (int i = 0; i < _PAIN_AREA_MAX; i++)
                        if (pain[i] != PAIN_UNSET)
                                pain_now = MAX(pain_now, pain[i]);
        }
        if (!bus)
                return 0;
        r = person_find(bus, arg_value(&a, OPT_PERSON), path, sizeof path);
        if (r)
                return r;
        r = sd_bus_message_new_method_call(bus, &m, CHAIR_BUS_NAME, path, CHAIR_PERSON_INTERFACE, "Assess");
        if (r >= 0)
                r = append_area_pain(m, pain);
        if (r >= 0)
                r = sd_bus_message_append(m, "us", pain_now, goal);
        return r < 0 ? client_report_error(NULL, r) : send_call(bus, m, NULL);
}

static int run_recommend(sd_bus *bus, const struct person_output *o, int argc, char **argv) {
        _cleanup_message_ sd_bus_message *reply = NULL;
        struct json j = json_for(o);
        const char *program, *reason;
        char path[PATH_BUF];
        int32_t score;
        unsigned n = 0;
        struct args a;
        int r;

        r = parse_args("recommend", argc - 1, argv + 1, OPT_PERSON, &a);
        if (r)
                return r;
        if (a.n)
                return usage("recommend takes only --person NAME, not '%s'", a.pos[0]);
        if (!bus)
                return 0;
        r = person_find(bus, arg_value(&a, OPT_PERSON), path, sizeof path);
        if (!r)
                r = call_health(bus, path, "RecommendPrograms", &reply, NULL);
        if (r)
                return r;
        if (o->json)
                json_begin_array(&j, NULL);
        else if (!o->no_legend)
                printf("%-20s %5s  %s\n", "PROGRAM", "SCORE", "WHY");
        r = sd_bus_message_enter_container(reply, 'a', "(sis)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(sis)", &program, &score, &reason)) > 0) {
                n++;
                if (o->json) {
                        json_begin_object(&j, NULL);
                        json_uint(&j, "rank", n);
                        json_str(&j, "program", program);
                        json_int(&j, "score", score);
                        json_str(&j, "reason", reason);
                        json_end_object(&j);
                } else {
                        printf("%-20s %5d  ", program, score);
                        print_ellipsized(stdout, reason, o->columns > 28 ? o->columns - 28 : 0);
                        printf("\n");
                }
        }
        if (o->json)
                json_end_array(&j);
        else if (!n && !o->no_legend)
                printf("No program to recommend ('chairctl assess AREA=PAIN...' records where it hurts).\n");
        return r < 0 ? client_report_error(NULL, r) : 0;
}

/* The newest session's id of the person at PATH (NULL: the active person, by Chair1). */
static int last_session(sd_bus *bus, const char *path, uint64_t *ret) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        *ret = 0;
        if (path) {
                struct session_row row;
                unsigned n = 0;
                r = get_sessions(bus, path, 1, &row, &n, &error);
                if (r < 0)
                        return report_health_error(&error, r, "GetHistory");
                if (n)
                        *ret = row.id;
        } else {
                _cleanup_message_ sd_bus_message *reply = NULL;
                r = call_path(bus, CHAIR_OBJECT_PATH, CHAIR_INTERFACE, "GetHistory", &reply, "u", 1);
                if (r)
                        return r;
                r = sd_bus_message_enter_container(reply, 'a', "(tssuuqqs)");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "(tssuuqqs)", ret, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
                if (r < 0)
                        return client_report_error(NULL, r);
        }
        if (!*ret) {
                fprintf(stderr, "chairctl: no session in the history yet: 'chairctl start PROGRAM' runs one.\n");
                return EXIT_CALL_FAILED;
        }
        return 0;
}

/* rate SESSION|last BEFORE AFTER [AREA=PAIN...] [--person NAME]: without areas and --person
 * Chair1.RateSession (the daemon finds the session's person); with them the person's own
 * RateSession (the active person's unless --person). */
static int run_rate(sd_bus *bus, int argc, char **argv) {
        _cleanup_message_ sd_bus_message *m = NULL;
        const char *person;
        char path[PATH_BUF];
        uint32_t area_after[_PAIN_AREA_MAX];
        unsigned before, after;
        unsigned long long id = 0;
        uint64_t last;
        bool per_person;
        struct args a;
        int r;

        r = parse_args("rate", argc - 1, argv + 1, OPT_PERSON, &a);
        if (r)
                return r;
        if (a.n < 3)
                return usage("%s", "usage: chairctl rate SESSION|last BEFORE AFTER [AREA=PAIN]... [--person NAME]");
        if (parse_uint(a.pos[1], 0, 10, &before) < 0 || parse_uint(a.pos[2], 0, 10, &after) < 0)
                return usage("%s", "rate SESSION BEFORE AFTER: pain is 0-10");
        if (strcmp(a.pos[0], "last") != 0 && (parse_unsigned(a.pos[0], UINT64_MAX, &id) < 0 || !id))
                return usage("rate: SESSION is 'last' or an id from 'chairctl history', not '%s'", a.pos[0]);
        for (int i = 0; i < _PAIN_AREA_MAX; i++)
                area_after[i] = PAIN_UNSET;
        for (unsigned i = 3; i < a.n; i++) {
                r = parse_area_pain("rate", a.pos[i], area_after);
                if (r)
                        return r;
        }
        if (!bus)
                return 0;
        person = arg_value(&a, OPT_PERSON);
        per_person = person || a.n > 3;
        if (per_person) {
                r = person_find(bus, person, path, sizeof path);
                if (r)
                        return r;
        }
        if (!id) {
                r = last_session(bus, person ? path : NULL, &last);
                if (r)
                        return r;
                id = last;
        }
        if (!per_person)
                return call_path(bus, CHAIR_OBJECT_PATH, CHAIR_INTERFACE, "RateSession", NULL, "tuu", (uint64_t) id,
                                 before, after);
        r = sd_bus_message_new_method_call(bus, &m, CHAIR_BUS_NAME, path, CHAIR_PERSON_INTERFACE, "RateSession");
        if (r >= 0)
                r = sd_bus_message_append(m, "tuu", (uint64_t) id, before, after);
        if (r >= 0)
                r = append_area_pain(m, area_after);
        return r < 0 ? client_report_error(NULL, r) : send_call(bus, m, NULL);
}

int chairctl_people_command(sd_bus *bus, const struct person_output *o, int argc, char **argv) {
        if (strcmp(argv[0], "assess") == 0)
                return run_assess(bus, argc, argv);
        if (strcmp(argv[0], "recommend") == 0)
                return run_recommend(bus, o, argc, argv);
        if (strcmp(argv[0], "rate") == 0)
                return run_rate(bus, argc, argv);
        return run_person(bus, o, argc, argv);
}

/* ---- precautions and history of a person (--person NAME) ---- */

bool person_option_given(int argc, char **argv) {
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--person") == 0 || strncmp(argv[i], "--person=", 9) == 0)
                        return true;
        return false;
}

/* precautions [list | set CONDITION... | clear] --person NAME: Person.GetConditions and
 * SetConditions, printed as 'chairctl precautions' prints the active person's. */
int person_precautions(sd_bus *bus, const struct person_output *o, int argc, char **argv) {
        _cleanup_message_ sd_bus_message *list = NULL, *declared = NULL, *m = NULL;
        struct json j = json_for(o);
        const char *verb, *name, *effect, *s;
        char path[PATH_BUF], have[32][40];
        unsigned n_have = 0;
        struct args a;
        int r;

        r = parse_args("precautions", argc - 1, argv + 1, OPT_PERSON, &a);
        if (r)
                return r;
        verb = a.n ? a.pos[0] : "list";
        if (strcmp(verb, "list") != 0 && strcmp(verb, "set") != 0 && strcmp(verb, "clear") != 0)
                return usage("precautions takes list, set or clear, not '%s'", verb);
        if (verb[0] == 'l' && a.n > 1)
                return usage("%s", "precautions list takes no arguments but --person NAME");
        if (verb[0] != 'l' && o->json)
                return usage("%s", "precautions set and clear print nothing for --json");
        if (verb[0] == 's' && a.n < 2)
                return usage("%s", "precautions set takes one or more CONDITIONs (see 'chairctl precautions')");
        if (verb[0] == 'c' && a.n > 1)
                return usage("%s", "precautions clear takes no arguments but --person NAME");
        r = person_find(bus, arg_value(&a, OPT_PERSON), path, sizeof path);
        if (r)
                return r;
        if (verb[0] != 'l') {
                r = sd_bus_message_new_method_call(bus, &m, CHAIR_BUS_NAME, path, CHAIR_PERSON_INTERFACE, "SetConditions");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', "s");
                for (unsigned i = 1; r >= 0 && verb[0] == 's' && i < a.n; i++)
                        r = sd_bus_message_append(m, "s", a.pos[i]);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                return r < 0 ? client_report_error(NULL, r) : send_call(bus, m, NULL);
        }

        r = call_health(bus, path, "GetConditions", &declared, NULL);
        if (!r)
                r = call_path(bus, CHAIR_OBJECT_PATH, CHAIR_INTERFACE, "ListPrecautions", &list, NULL);
        if (r)
                return r;
        r = sd_bus_message_enter_container(declared, 'a', "s");
        while (r >= 0 && (r = sd_bus_message_read(declared, "s", &s)) > 0)
                if (n_have < ARRAY_SIZE(have))
                        snprintf(have[n_have++], sizeof have[0], "%s", s);
        if (r < 0)
                return client_report_error(NULL, r);
        if (o->json)
                json_begin_array(&j, NULL);
        else if (!o->no_legend)
                printf("%-3s %-30s %s\n", "", "CONDITION", "WHAT IT CHANGES");
        r = sd_bus_message_enter_container(list, 'a', "(ss)");
        while (r >= 0 && (r = sd_bus_message_read(list, "(ss)", &name, &effect)) > 0) {
                bool is = false;
                for (unsigned i = 0; i < n_have; i++)
                        is |= strcmp(have[i], name) == 0;
                if (o->json) {
                        json_begin_object(&j, NULL);
                        json_str(&j, "name", name);
                        json_str(&j, "effect", effect);
                        json_bool(&j, "declared", is);
                        json_end_object(&j);
                } else {
                        printf("%-3s %-30s ", is ? "[x]" : "[ ]", name);
                        print_ellipsized(stdout, effect, o->columns > 35 ? o->columns - 35 : 0);
                        printf("\n");
                }
        }
        if (o->json)
                json_end_array(&j);
        return r < 0 ? client_report_error(NULL, r) : 0;
}

/* history [--max N] --person NAME: Person.GetHistory, with the columns of 'chairctl history'
 * and, after them, the goal and the areas' pain. */
int person_history(sd_bus *bus, const struct person_output *o, int argc, char **argv) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ struct session_row *rows = NULL;
        struct json j = json_for(o);
        const char *max_arg;
        char path[PATH_BUF];
        unsigned max = 20, n = 0;
        struct args a;
        int r;

        r = parse_args("history", argc - 1, argv + 1, OPT_PERSON | OPT_MAX, &a);
        if (r)
                return r;
        if (a.n)
                return usage("history takes only --max N and --person NAME, not '%s'", a.pos[0]);
        max_arg = arg_value(&a, OPT_MAX);
        if (max_arg && parse_uint(max_arg, 1, 500, &max) < 0)
                return usage("history --max takes 1-500, not '%s'", max_arg);
        r = person_find(bus, arg_value(&a, OPT_PERSON), path, sizeof path);
        if (r)
                return r;
        rows = calloc(max, sizeof *rows);
        if (!rows)
                return client_report_error(NULL, -ENOMEM);
        r = get_sessions(bus, path, max, rows, &n, &error);
        if (r < 0)
                return report_health_error(&error, r, "GetHistory");
        if (o->json) {
                json_begin_array(&j, NULL);
                for (unsigned i = 0; i < n; i++)
                        json_session(&j, &rows[i]);
                json_end_array(&j);
                return 0;
        }
        if (!o->no_legend)
                printf("%-17s %-21s %-20s %5s %3s %6s %5s  %s\n", "SESSION", "STARTED (UTC)", "PROGRAM", "MIN", "INT",
                       "BEFORE", "AFTER", "END");
        for (unsigned i = 0; i < n; i++) {
                const struct session_row *s = &rows[i];
                char b[8], af[8];
                print_pain(s->before, b, sizeof b);
                print_pain(s->after, af, sizeof af);
                printf("%-17llu %-21s %-20s %5u %3u %6s %5s  %s%s", (unsigned long long) s->id, s->start, s->program,
                       (s->duration + 59) / 60, s->intensity, b, af, s->reason, s->focused ? " focused" : "");
                print_session_areas(s);
        }
        if (!n && !o->no_legend)
                printf("No sessions recorded.\n");
        return 0;
}

/* ---- completion ---- */

bool person_option_takes_value(const char *opt) {
        for (size_t i = 0; i < ARRAY_SIZE(options); i++)
                if (options[i].value && strcmp(options[i].name, opt) == 0)
                        return true;
        return false;
}

/* The values of an option, as a completion source. */
static const char *option_source(const char *opt) {
        if (!opt)
                return NULL;
        if (strcmp(opt, "--person") == 0)
                return "@people";
        if (strcmp(opt, "--goal") == 0)
                return "@goals";
        if (strcmp(opt, "--pain") == 0)
                return "0 1 2 3 4 5 6 7 8 9 10";
        if (strcmp(opt, "--heat") == 0)
                return "0 1 2 3";
        if (strcmp(opt, "--intensity") == 0)
                return "1 2 3 4 5";
        return NULL;
}

bool person_complete(const char *verb, int argc, char **argv, int pos, const char *prev, const char **ret_src) {
        const struct person_command *cmd;

        *ret_src = NULL;
        /* precautions, history and report take --person NAME among their own words. */
        if (prev && strcmp(prev, "--person") == 0 &&
            (strcmp(verb, "precautions") == 0 || strcmp(verb, "history") == 0 || strcmp(verb, "report") == 0)) {
                *ret_src = "@people";
                return true;
        }
        if (strcmp(verb, "assess") == 0 || strcmp(verb, "recommend") == 0 || strcmp(verb, "rate") == 0) {
                /* bash splits AREA=PAIN at '=' (COMP_WORDBREAKS): after it comes the pain. */
                if (prev && strcmp(prev, "=") == 0)
                        *ret_src = "0 1 2 3 4 5 6 7 8 9 10";
                else if (prev && person_option_takes_value(prev))
                        *ret_src = option_source(prev);
                else if (verb[1] == 's')
                        *ret_src = "@area=pain --person --pain --goal";
                else if (verb[0] == 'r' && verb[1] == 'e')
                        *ret_src = "--person";
                else
                        *ret_src = pos == 0 ? "last" : pos >= 3 ? "@area=pain --person" : NULL;
                return true;
        }
        if (strcmp(verb, "person") != 0)
                return false;
        if (prev && person_option_takes_value(prev)) {
                *ret_src = option_source(prev);
                return true;
        }
        if (pos == 0) {
                *ret_src = "@person-commands";
                return true;
        }
        cmd = argc > 0 ? find_command(argv[0]) : NULL;
        if (!cmd)
                return true;
        if (pos - 1 < (int) ARRAY_SIZE(cmd->complete) && cmd->complete[pos - 1])
                *ret_src = cmd->complete[pos - 1];
        else if (cmd->options & OPT_YES)
                *ret_src = "--yes";
        else if (cmd->options & OPT_INTENSITY)
                *ret_src = "--intensity --heat";
        return true;
}

void person_print_names(sd_bus *bus) {
        struct person_props people[PEOPLE_SEEN_MAX];
        unsigned n;

        if (!bus || list_people(bus, people, &n, true) != 0)
                return;
        for (unsigned i = 0; i < n; i++)
                printf("%s\n", people[i].name);
}

void person_print_area_words(void) {
        for (int i = 0; i < _PAIN_AREA_MAX; i++)
                printf("%s=\n", pain_area_to_string((enum pain_area) i));
}
