/* SPDX-License-Identifier: MIT */
/*
 * chairctl report: what a person's sessions did (docs/people.md, "Outcomes"). The sessions come
 * from the daemon (the person's Person.GetHistory, health data; a daemon without people: the
 * chair's GetHistory) or, offline, from a state file (--history FILE: the history file's
 * tab-separated lines or a person file's session= lines). The summary is outcomes_summarize()
 * itself, the daemon's own code (daemon/outcomes.h), so both read the same numbers. Output: a
 * table overall, per program and per pain area, or JSON; --svg FILE draws the pain before and
 * after each session over time, one line per series.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic-file.h"
#include "chair-client.h"
#include "macro.h"
#include "outcomes.h"
#include "output.h"
#include "parse-number.h"
#include "person-file.h"
#include "report-command.h"
#include "svg.h"
#include "untrusted-file.h"

/* A trend within this of 0 is steady: less than half a point on the 0-10 scale. */
#define TREND_STEADY 0.5

struct report {
        char person[PERSON_NAME_MAX + 1];
        struct history_entry *entries; /* oldest first once chairctl_report() sorts them */
        size_t n;
};

static void report_done(struct report *r) {
        free(r->entries);
}

static struct history_entry *report_add(struct report *r) {
        struct history_entry *e;

        /* A history holds HISTORY_MAX: beyond it the oldest go, as the daemon drops them. */
        if (r->n == HISTORY_MAX) {
                memmove(r->entries, r->entries + 1, (HISTORY_MAX - 1) * sizeof *r->entries);
                r->n--;
        }
        if (!r->entries) {
                r->entries = calloc(HISTORY_MAX, sizeof *r->entries);
                if (!r->entries)
                        return NULL;
        }
        e = &r->entries[r->n++];
        *e = (struct history_entry) { .pain_before = HISTORY_NOT_RATED, .pain_after = HISTORY_NOT_RATED };
        for (size_t a = 0; a < HISTORY_AREAS; a++)
                e->area_before[a] = e->area_after[a] = HISTORY_NOT_RATED;
        return e;
}

/* A text from a file or the bus printed on a terminal: no control characters (no escape
 * sequences) reach it. */
static void no_controls(char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        *s = '?';
}

static int by_time(const void *a, const void *b) {
        const struct history_entry *x = a, *y = b;
        if (x->start_usec != y->start_usec)
                return x->start_usec < y->start_usec ? -1 : 1;
        return x->id < y->id ? -1 : x->id > y->id;
}

/* ---- the sessions from a file ---- */

static bool copy_text(char *dst, size_t size, const char *src) {
        size_t len = strlen(src);
        if (len >= size)
                return false;
        memcpy(dst, src, len + 1);
        utf8_sanitize(dst);
        return true;
}

/* The history file's line (docs/state-files.md): id program start_usec duration_s intensity
 * pain_before pain_after end_reason, tab-separated; the state store's own field parser. */
static int parse_history_line(char *line, struct history_entry *e, const char **what) {
        char *f[HISTORY_FIELDS_BASE + 1];
        size_t n = 0;
        int r;

        for (char *p = line; p && n < ARRAY_SIZE(f); n++) {
                f[n] = p;
                p = strchr(p, '\t');
                if (p)
                        *p++ = 0;
        }
        if (n != HISTORY_FIELDS_BASE)
                return *what = "not a history line (id program start_usec duration_s intensity pain_before pain_after "
                               "end_reason, tab-separated)",
                       -EINVAL;
        r = history_entry_parse_fields(f, n, e);
        if (r < 0)
                *what = r == -ERANGE ? "a pain rating is not 0-10 or 65535 (not rated)" : "a field is not what the history file holds";
        return r;
}

static int load_history_text(const char *path, char *text, struct report *rep) {
        unsigned line_no = 0;

        for (char *line = text, *next; line && *line; line = next) {
                const char *what = NULL;
                struct history_entry *e;

                line_no++;
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                if (!line[0] || line[0] == '#')
                        continue;
                e = report_add(rep);
                if (!e)
                        return fprintf(stderr, "chairctl: %s\n", strerror(ENOMEM)), EXIT_CALL_FAILED;
                if (parse_history_line(line, e, &what) < 0) {
                        fprintf(stderr, "chairctl: %s:%u: %s.\n", path, line_no, what);
                        return EXIT_CALL_FAILED;
                }
        }
        return 0;
}

/* Whether the person file loader left NAME.corrupt-TIME in the directory. */
static bool has_corrupt_copy(int dir_fd) {
        int fd = dup(dir_fd);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;
        bool found = false;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return false;
        }
        rewinddir(d); /* a dup shares the offset */
        while ((de = readdir(d)))
                found = found || strstr(de->d_name, ".corrupt-");
        closedir(d);
        return found;
}

static void remove_dir(char *dir, int dir_fd) {
        DIR *d = fdopendir(dir_fd);
        struct dirent *de;

        if (!d) {
                close(dir_fd);
                return;
        }
        rewinddir(d);
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        (void) unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
        (void) rmdir(dir);
}

/* A person file (daemon/person-file.h), read by the daemon's own loader from a private copy:
 * the loader moves a damaged file aside and writes back what it could read, which must not
 * happen to the file the user named. */
static int load_person_text(const char *path, const char *text, size_t len, struct report *rep) {
        const char *tmp = getenv("TMPDIR");
        struct person_record rec = {};
        char dir[PATH_MAX];
        bool damaged = false;
        int dir_fd, r;

        snprintf(dir, sizeof dir, "%s/chairctl-report-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir))
                return fprintf(stderr, "chairctl: cannot read %s: %s\n", path, strerror(errno)), EXIT_CALL_FAILED;
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0) {
                fprintf(stderr, "chairctl: cannot read %s: %s\n", path, strerror(errno));
                (void) rmdir(dir);
                return EXIT_CALL_FAILED;
        }
        r = write_file_atomic_at(dir_fd, "0", text, len, 0600);
        if (r >= 0)
                r = person_file_load(dir_fd, 0, &rec);
        /* The loader moved the copy aside: some lines were not a person file's. */
        if (r >= 0)
                damaged = has_corrupt_copy(dir_fd);
        remove_dir(dir, dir_fd);
        if (r < 0) {
                fprintf(stderr, "chairctl: %s: not a person file: %s\n", path, strerror(-r));
                return EXIT_CALL_FAILED;
        }
        if (damaged)
                fprintf(stderr, "chairctl: %s: some lines are not a person file's (above); the report leaves them out.\n",
                        path);
        copy_text(rep->person, sizeof rep->person, rec.person.name);
        for (size_t i = 0; i < rec.n_history; i++) {
                struct history_entry *e = report_add(rep);
                if (!e) {
                        person_record_done(&rec);
                        return fprintf(stderr, "chairctl: %s\n", strerror(ENOMEM)), EXIT_CALL_FAILED;
                }
                *e = rec.history[i];
        }
        person_record_done(&rec);
        return 0;
}

/* The history file's tab-separated lines, or a person file (key=value lines, session= ones). */
static int load_file(const char *path, struct report *rep) {
        _cleanup_free_ char *text = NULL;
        const char *first;
        char err[512];
        size_t len, eol;
        int r;

        r = read_untrusted_file(AT_FDCWD, path, path, PERSON_FILE_MAX, UNTRUSTED_TEXT, &text, &len, err, sizeof err);
        if (r < 0) {
                fprintf(stderr, "chairctl: %s\n", err);
                return EXIT_CALL_FAILED;
        }
        snprintf(rep->person, sizeof rep->person, "%s", path);
        utf8_sanitize(rep->person);
        /* A person file starts with its key=value lines; the history file's have tabs. */
        first = text + strspn(text, "\n");
        eol = strcspn(first, "\n");
        if (strcspn(first, "=") < eol && strcspn(first, "\t") >= eol)
                return load_person_text(path, text, len, rep);
        return load_history_text(path, text, rep);
}

/* ---- the sessions from the daemon ---- */

static bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

static bool no_such_member(const sd_bus_error *error) {
        return sd_bus_error_has_names(error, SD_BUS_ERROR_UNKNOWN_METHOD, SD_BUS_ERROR_UNKNOWN_OBJECT,
                                      SD_BUS_ERROR_UNKNOWN_INTERFACE, SD_BUS_ERROR_UNKNOWN_PROPERTY);
}

/* "2026-12-01T13:30:00Z" (chairctl's and the daemon's one time format) to microseconds. */
static int parse_iso_time(const char *s, uint64_t *ret) {
        struct tm tm = {};
        char z = 0;
        time_t t;

        if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                   &tm.tm_sec, &z) != 7 ||
            z != 'Z' || tm.tm_year < 1970)
                return -EINVAL;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        t = timegm(&tm);
        if (t < 0)
                return -EINVAL;
        *ret = (uint64_t) t * USEC_PER_SEC;
        return 0;
}

/* An unsigned integer of any width the daemon might send. */
static int read_uint(sd_bus_message *m, uint64_t *ret) {
        char type;
        const char *contents;
        int r = sd_bus_message_peek_type(m, &type, &contents);
        uint16_t q;
        uint32_t u;
        uint8_t y;

        if (r < 0)
                return r;
        switch (type) {
        case 'y':
                r = sd_bus_message_read_basic(m, type, &y);
                *ret = y;
                return r;
        case 'q':
                r = sd_bus_message_read_basic(m, type, &q);
                *ret = q;
                return r;
        case 'u':
                r = sd_bus_message_read_basic(m, type, &u);
                *ret = u;
                return r;
        case 't':
                return sd_bus_message_read_basic(m, type, ret);
        default:
                return -EBADMSG;
        }
}

static int read_pain(sd_bus_message *m, uint16_t *ret) {
        uint64_t v;
        int r = read_uint(m, &v);
        if (r < 0)
                return r;
        *ret = v <= 10 ? (uint16_t) v : HISTORY_NOT_RATED;
        return 0;
}

/* a{su} of area names and pain. */
static int read_areas(sd_bus_message *m, uint16_t *areas, bool *any) {
        const char *name, *contents;
        char type;
        int r = sd_bus_message_peek_type(m, &type, &contents);

        if (r < 0)
                return r;
        if (type != 'a' || contents[0] != '{')
                return -EBADMSG;
        r = sd_bus_message_enter_container(m, 'a', contents);
        if (r < 0)
                return r;
        for (;;) {
                uint16_t v;
                int a;

                r = sd_bus_message_peek_type(m, &type, &contents);
                if (r <= 0)
                        break;
                r = sd_bus_message_enter_container(m, 'e', contents);
                if (r >= 0)
                        r = sd_bus_message_read_basic(m, 's', &name);
                if (r >= 0)
                        r = read_pain(m, &v);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                a = pain_area_from_string(name);
                if (a >= 0 && v != HISTORY_NOT_RATED) {
                        areas[a] = v;
                        *any = true;
                }
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

/* One a{sv} of Person.GetHistory: every field of a history entry by name; unknown keys skipped. */
static int read_person_entry(sd_bus_message *m, struct history_entry *e) {
        int r;

        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key, *s, *contents;
                char type;
                uint64_t v;
                int b;

                r = sd_bus_message_read_basic(m, 's', &key);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(m, &type, &contents);
                if (r < 0)
                        return r;
                r = sd_bus_message_enter_container(m, 'v', contents);
                if (r < 0)
                        return r;
                /* On a failed read the value is not used: the error returns below. */
                v = 0;
                s = "";
                b = 0;
                if (streq(key, "id")) {
                        r = read_uint(m, &v);
                        e->id = v;
                } else if (streq(key, "start") && contents[0] == 's') {
                        r = sd_bus_message_read_basic(m, 's', &s);
                        r = r < 0 ? r : parse_iso_time(s, &e->start_usec);
                } else if (streq(key, "start")) {
                        r = read_uint(m, &e->start_usec);
                } else if (streq(key, "duration")) {
                        r = read_uint(m, &v);
                        e->duration_s = (uint32_t) MIN(v, UINT32_MAX);
                } else if (streq(key, "intensity")) {
                        r = read_uint(m, &v);
                        e->intensity = (uint32_t) MIN(v, 5);
                } else if (streq(key, "program")) {
                        r = sd_bus_message_read_basic(m, 's', &s);
                        r = r < 0 ? r : copy_text(e->program, sizeof e->program, s) ? 0 : -EBADMSG;
                } else if (streq(key, "reason")) {
                        r = sd_bus_message_read_basic(m, 's', &s);
                        r = r < 0 ? r : copy_text(e->reason, sizeof e->reason, s) ? 0 : -EBADMSG;
                } else if (streq(key, "goal")) {
                        r = sd_bus_message_read_basic(m, 's', &s);
                        e->goal = (uint8_t) MAX(massage_goal_from_string(s), 0); /* "" without an assessment */
                } else if (streq(key, "focused")) {
                        r = sd_bus_message_read_basic(m, 'b', &b);
                        e->focused = b;
                } else if (streq(key, "pain_before"))
                        r = read_pain(m, &e->pain_before);
                else if (streq(key, "pain_after"))
                        r = read_pain(m, &e->pain_after);
                else if (streq(key, "area_before"))
                        r = read_areas(m, e->area_before, &e->assessed);
                else if (streq(key, "area_after"))
                        r = read_areas(m, e->area_after, &(bool) { false });
                else
                        r = sd_bus_message_skip(m, contents);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        return r;
}

/* A refusal names its fix (client_report_error); anything else what could not be read. */
static int bus_failed(const char *what, const sd_bus_error *error, int r) {
        if (error && sd_bus_error_is_set(error))
                return client_report_error(error, r);
        fprintf(stderr, "chairctl: cannot read %s: %s.\n", what, strerror(r < 0 ? -r : r));
        return EXIT_CALL_FAILED;
}

/* The person's object: --person NAME through People.FindByName, else Chair1.ActivePerson.
 * 0 with *ret NULL: a daemon without people (no --person asked). */
static int person_object(sd_bus *bus, const char *name, char **ret) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *path;
        int r;

        if (name)
                r = sd_bus_call_method(bus, CHAIR_BUS_NAME, CHAIR_PEOPLE_PATH, CHAIR_PEOPLE_INTERFACE, "FindByName", &error,
                                       &reply, "s", name);
        else
                r = sd_bus_get_property(bus, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, CHAIR_INTERFACE, "ActivePerson", &error,
                                        &reply, "o");
        if (r < 0) {
                if (no_such_member(&error) && !name) {
                        sd_bus_error_free(&error);
                        *ret = NULL;
                        return 0;
                }
                if (no_such_member(&error))
                        fprintf(stderr, "chairctl: this massagechaird has no people (%s.FindByName): --person needs one that does.\n",
                                CHAIR_PEOPLE_INTERFACE);
                r = no_such_member(&error) ? EXIT_CALL_FAILED : bus_failed(name ? name : "the active person", &error, r);
                sd_bus_error_free(&error);
                return r;
        }
        r = sd_bus_message_read(reply, "o", &path);
        if (r >= 0) {
                *ret = strdup(path);
                r = *ret ? 0 : -ENOMEM;
        }
        sd_bus_message_unref(reply);
        return r < 0 ? bus_failed("the person's object", NULL, r) : 0;
}

static int load_person(sd_bus *bus, const char *path, struct report *rep) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        char *name = NULL;
        int r;

        r = sd_bus_get_property_string(bus, CHAIR_BUS_NAME, path, CHAIR_PERSON_INTERFACE, "Name", &error, &name);
        if (r < 0) {
                r = bus_failed("the person's name", &error, r);
                sd_bus_error_free(&error);
                return r;
        }
        copy_text(rep->person, sizeof rep->person, name);
        free(name);
        r = sd_bus_call_method(bus, CHAIR_BUS_NAME, path, CHAIR_PERSON_INTERFACE, "GetHistory", &error, &reply, "u",
                               (uint32_t) HISTORY_MAX);
        if (r < 0) {
                if (no_such_member(&error))
                        fprintf(stderr, "chairctl: this massagechaird has no %s.GetHistory.\n", CHAIR_PERSON_INTERFACE);
                r = no_such_member(&error) ? EXIT_CALL_FAILED : bus_failed(rep->person, &error, r);
                sd_bus_error_free(&error);
                return r;
        }
        r = sd_bus_message_enter_container(reply, 'a', "a{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'a', "{sv}")) > 0) {
                struct history_entry *e = report_add(rep);
                r = e ? read_person_entry(reply, e) : -ENOMEM;
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        sd_bus_message_unref(reply);
        return r < 0 ? bus_failed("the person's history", NULL, r) : 0;
}

/* A daemon without people: the chair's one history (Chair1.GetHistory, newest first). */
static int load_chair_history(sd_bus *bus, struct report *rep) {
        sd_bus_message *reply = NULL;
        const char *program, *when, *reason;
        int r;

        snprintf(rep->person, sizeof rep->person, "the chair");
        r = client_call(bus, CHAIR_INTERFACE, "GetHistory", &reply, "u", (uint32_t) HISTORY_MAX);
        if (r > 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(tssuuqqs)");
        while (r >= 0) {
                struct history_entry *e;
                uint64_t id;
                uint32_t duration, intensity;
                uint16_t before, after;

                r = sd_bus_message_read(reply, "(tssuuqqs)", &id, &program, &when, &duration, &intensity, &before, &after,
                                        &reason);
                if (r <= 0)
                        break;
                e = report_add(rep);
                if (!e) {
                        r = -ENOMEM;
                        break;
                }
                e->id = id;
                e->duration_s = duration;
                e->intensity = intensity;
                e->pain_before = before <= 10 ? before : HISTORY_NOT_RATED;
                e->pain_after = after <= 10 ? after : HISTORY_NOT_RATED;
                if (!copy_text(e->program, sizeof e->program, program) || !copy_text(e->reason, sizeof e->reason, reason) ||
                    parse_iso_time(when, &e->start_usec) < 0)
                        r = -EBADMSG;
        }
        sd_bus_message_unref(reply);
        return r < 0 ? bus_failed("the history", NULL, r) : 0;
}

/* ---- the table ---- */

static const char *trend_words(const struct outcome_stats *s, unsigned n, char *buf, size_t size) {
        if (!s->rated)
                return "-";
        if (s->rated < 2 * n)
                snprintf(buf, size, "- (needs %u rated)", 2 * n);
        else if (s->trend <= -TREND_STEADY)
                snprintf(buf, size, "↓ better (%+.1f)", s->trend);
        else if (s->trend >= TREND_STEADY)
                snprintf(buf, size, "↑ worse (%+.1f)", s->trend);
        else
                snprintf(buf, size, "→ steady (%+.1f)", s->trend);
        return buf;
}

static void table_heading(const char *first, bool no_legend) {
        if (!no_legend)
                printf("%-20s %8s %6s  %s  %6s  %s\n", first, "SESSIONS", "RATED", "PAIN BEFORE → AFTER", "CHANGE", "TREND");
}

static void table_row(const char *name, const struct outcome_stats *s, unsigned n) {
        char trend[64];

        printf("%-20s %8u %6u  ", name, s->sessions, s->rated);
        if (s->rated)
                printf("%11.1f → %-5.1f  %+6.1f", s->mean_before, s->mean_after, s->mean_change);
        else
                printf("%11s   %-5s  %6s", "-", "-", "-");
        printf("  %s\n", trend_words(s, n, trend, sizeof trend));
}

static void print_table(const struct report *rep, const struct outcome_summary *s, bool no_legend) {
        bool areas = false;

        if (!no_legend)
                printf("Outcomes of %s: %u session%s, %u rated; the trend compares the last %u rated with the %u before "
                       "(negative: less pain than before).\n\n",
                       rep->person, s->all.sessions, s->all.sessions == 1 ? "" : "s", s->all.rated, s->trend_n, s->trend_n);
        table_heading("", no_legend);
        table_row("all sessions", &s->all, s->trend_n);
        if (!no_legend)
                printf("\n");
        table_heading("PROGRAM", no_legend);
        for (size_t i = 0; i < s->n_programs; i++)
                table_row(s->programs[i].program, &s->programs[i].stats, s->trend_n);
        for (size_t a = 0; a < _PAIN_AREA_MAX; a++)
                areas = areas || s->area[a].sessions;
        if (!areas)
                return;
        if (!no_legend)
                printf("\n");
        table_heading("AREA", no_legend);
        for (size_t a = 0; a < _PAIN_AREA_MAX; a++)
                if (s->area[a].sessions)
                        table_row(pain_area_to_string(a), &s->area[a], s->trend_n);
}

static void json_stats(struct json *j, const struct outcome_stats *s, unsigned n) {
        char when[32];

        json_uint(j, "sessions", s->sessions);
        json_uint(j, "rated", s->rated);
        if (s->rated) {
                json_double(j, "mean_before", s->mean_before);
                json_double(j, "mean_after", s->mean_after);
                json_double(j, "mean_change", s->mean_change);
        }
        if (s->rated >= 2 * n)
                json_double(j, "trend", s->trend);
        if (s->sessions) {
                format_time_usec(s->last_usec, when, sizeof when);
                json_str(j, "last", when);
        }
}

static void print_json(const struct report *rep, const struct outcome_summary *s, bool pretty) {
        struct json j = { .f = stdout, .pretty = pretty };

        json_begin_object(&j, NULL);
        json_str(&j, "person", rep->person);
        json_uint(&j, "trend_n", s->trend_n);
        json_begin_object(&j, "all");
        json_stats(&j, &s->all, s->trend_n);
        json_end_object(&j);
        json_begin_array(&j, "programs");
        for (size_t i = 0; i < s->n_programs; i++) {
                json_begin_object(&j, NULL);
                json_str(&j, "program", s->programs[i].program);
                json_stats(&j, &s->programs[i].stats, s->trend_n);
                json_end_object(&j);
        }
        json_end_array(&j);
        json_begin_array(&j, "areas");
        for (size_t a = 0; a < _PAIN_AREA_MAX; a++) {
                if (!s->area[a].sessions)
                        continue;
                json_begin_object(&j, NULL);
                json_str(&j, "area", pain_area_to_string(a));
                json_stats(&j, &s->area[a], s->trend_n);
                json_end_object(&j);
        }
        json_end_array(&j);
        json_end_object(&j);
        fputc('\n', stdout);
}

/* ---- the plot ---- */

#define PW 960                 /* the page */
#define PL 70                  /* the plot area's left, right, top and height */
#define PR (PW - 30)
#define PT 80
#define PH 340
#define LEGEND_ROW 22

/* Distinct in colour and, for a printed page, before dashed with hollow marks, after solid. */
static const char *const area_colour[_PAIN_AREA_MAX] = {
        [PAIN_NECK] = "#1f77b4",  [PAIN_SHOULDERS] = "#ff7f0e", [PAIN_UPPER_BACK] = "#2ca02c",
        [PAIN_LOWER_BACK] = "#d62728", [PAIN_HIPS] = "#9467bd", [PAIN_CALVES] = "#8c564b",
        [PAIN_FEET] = "#e377c2",
};
#define ALL_COLOUR "#222222"

/* A series: the overall pain (area -1) or one area's, before or after. */
struct series {
        int area;
        bool after;
};

static uint16_t series_value(const struct series *s, const struct history_entry *e) {
        if (s->area < 0)
                return s->after ? e->pain_after : e->pain_before;
        if (!e->assessed)
                return HISTORY_NOT_RATED;
        return s->after ? e->area_after[s->area] : e->area_before[s->area];
}

static void series_name(const struct series *s, char *buf, size_t size) {
        snprintf(buf, size, "%s, %s", s->area < 0 ? "all sessions" : pain_area_to_string(s->area), s->after ? "after" : "before");
}

static void series_id(const struct series *s, char *buf, size_t size) {
        snprintf(buf, size, "series-%s-%s", s->area < 0 ? "all" : pain_area_to_string(s->area), s->after ? "after" : "before");
}

static double x_at(uint64_t t, uint64_t t0, uint64_t t1) {
        return PL + (double) (t - t0) * (PR - PL) / (double) (t1 - t0);
}

static double y_at(unsigned pain) {
        return PT + PH - pain * (double) PH / 10;
}

static void plot_series(FILE *f, const struct report *rep, const struct series *s, uint64_t t0, uint64_t t1) {
        const char *colour = s->area < 0 ? ALL_COLOUR : area_colour[s->area];
        char name[64], id[64], when[32], tip[256];

        series_name(s, name, sizeof name);
        series_id(s, id, sizeof id);
        fprintf(f, "<g id=\"%s\">\n<title>", id);
        svg_escape(f, name);
        fputs("</title>\n<polyline fill=\"none\" stroke-width=\"2\"", f);
        fprintf(f, " stroke=\"%s\"%s points=\"", colour, s->after ? "" : " stroke-dasharray=\"6 4\"");
        for (size_t i = 0; i < rep->n; i++) {
                uint16_t v = series_value(s, &rep->entries[i]);
                if (v <= 10)
                        fprintf(f, "%.1f,%.1f ", x_at(rep->entries[i].start_usec, t0, t1), y_at(v));
        }
        fputs("\"/>\n", f);
        for (size_t i = 0; i < rep->n; i++) {
                const struct history_entry *e = &rep->entries[i];
                uint16_t v = series_value(s, e);
                if (v > 10)
                        continue;
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" stroke=\"%s\" stroke-width=\"1.5\" fill=\"%s\"><title>",
                        x_at(e->start_usec, t0, t1), y_at(v), colour, s->after ? colour : "white");
                format_time_usec(e->start_usec, when, sizeof when);
                snprintf(tip, sizeof tip, "%s %s, %s: %u", when, e->program, name, v);
                svg_escape(f, tip);
                fputs("</title></circle>\n", f);
        }
        fputs("</g>\n", f);
}

static void plot_svg(FILE *f, const struct report *rep, const struct outcome_summary *sum) {
        struct series series[2 * (_PAIN_AREA_MAX + 1)];
        size_t n_series = 0;
        uint64_t t0 = UINT64_MAX, t1 = 0;
        char buf[256], name[64];
        double height, x, y;

        /* Every series with at least one point: overall, then each assessed area. */
        for (int a = -1; a < _PAIN_AREA_MAX; a++)
                for (int after = 0; after < 2; after++) {
                        struct series s = { .area = a, .after = after };
                        for (size_t i = 0; i < rep->n; i++)
                                if (series_value(&s, &rep->entries[i]) <= 10) {
                                        series[n_series++] = s;
                                        break;
                                }
                }
        for (size_t i = 0; i < rep->n; i++) {
                t0 = MIN(t0, rep->entries[i].start_usec);
                t1 = MAX(t1, rep->entries[i].start_usec);
        }
        /* One session, or none: a day either side of it. */
        if (t0 > t1)
                t0 = t1 = 0;
        if (t1 - t0 < 2 * 3600 * USEC_PER_SEC) {
                uint64_t mid = t0 / 2 + t1 / 2;
                t0 = mid > 86400 * USEC_PER_SEC ? mid - 86400 * USEC_PER_SEC : 0;
                t1 = mid + 86400 * USEC_PER_SEC;
        } else {
                /* A margin, so the first and last marks stand clear of the frame. */
                uint64_t pad = (t1 - t0) / 30;
                t0 = t0 > pad ? t0 - pad : 0;
                t1 += pad;
        }

        height = PT + PH + 70 + LEGEND_ROW * ((n_series + 3) / 4) + 40;
        svg_begin(f, PW, height);
        snprintf(buf, sizeof buf, "Pain before and after each session: %s", rep->person);
        svg_text(f, PL, 30, "start", 18, "#000", buf);
        snprintf(buf, sizeof buf, "%u session%s, %u rated; mean pain %.1f before, %.1f after. Lower is better.",
                 sum->all.sessions, sum->all.sessions == 1 ? "" : "s", sum->all.rated, sum->all.mean_before,
                 sum->all.mean_after);
        if (!sum->all.rated)
                snprintf(buf, sizeof buf, "%u session%s, none rated yet ('chairctl rate' keeps a rating).", sum->all.sessions,
                         sum->all.sessions == 1 ? "" : "s");
        svg_text(f, PL, 54, "start", 13, "#444", buf);

        /* The grid and the pain axis, 0-10. */
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fcfcfc\" stroke=\"#999\"/>\n", PL, PT, PR - PL, PH);
        for (unsigned p = 0; p <= 10; p++) {
                fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"0.6\"/>\n", PL, y_at(p),
                        PR, y_at(p), p % 5 ? "#e4e4e4" : "#bbbbbb");
                snprintf(buf, sizeof buf, "%u", p);
                svg_text(f, PL - 8, y_at(p) + 4, "end", 11, "#333", buf);
        }
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"13\" fill=\"#333\" "
                   "transform=\"rotate(-90 %d %d)\">pain (0 none, 10 worst)</text>\n",
                24, PT + PH / 2, 24, PT + PH / 2);

        /* The time axis: ticks on whole hours or days (UTC), at most 8, dated. */
        {
                static const uint64_t steps_h[] = { 1, 2, 3, 6, 12, 24, 48, 7 * 24, 14 * 24, 28 * 24, 56 * 24, 91 * 24, 182 * 24, 364 * 24 };
                uint64_t step = steps_h[ARRAY_SIZE(steps_h) - 1] * 3600 * USEC_PER_SEC;
                for (size_t k = 0; k < ARRAY_SIZE(steps_h); k++)
                        if ((t1 - t0) / (steps_h[k] * 3600 * USEC_PER_SEC) <= 7) {
                                step = steps_h[k] * 3600 * USEC_PER_SEC;
                                break;
                        }
                for (uint64_t t = (t0 + step - 1) / step * step; t <= t1; t += step) {
                        time_t sec = (time_t) (t / USEC_PER_SEC);
                        struct tm tm;
                        x = x_at(t, t0, t1);
                        if (!gmtime_r(&sec, &tm) ||
                            !strftime(buf, sizeof buf, step >= 24 * 3600 * USEC_PER_SEC ? "%Y-%m-%d" : "%m-%d %H:%M", &tm))
                                snprintf(buf, sizeof buf, "-");
                        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/>\n", x, PT + PH, x,
                                PT + PH + 6);
                        svg_text(f, x, PT + PH + 22, "middle", 11, "#333", buf);
                }
        }
        svg_text(f, (PL + PR) / 2.0, PT + PH + 44, "middle", 13, "#333", "date of the session (UTC)");

        for (size_t i = 0; i < n_series; i++)
                plot_series(f, rep, &series[i], t0, t1);

        /* The legend: four a row, each its line and mark as drawn. */
        y = PT + PH + 64;
        for (size_t i = 0; i < n_series; i++) {
                const struct series *s = &series[i];
                const char *colour = s->area < 0 ? ALL_COLOUR : area_colour[s->area];
                x = PL + (double) (i % 4) * (PR - PL) / 4;
                if (i && i % 4 == 0)
                        y += LEGEND_ROW;
                fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s/>\n", x,
                        y, x + 28, y, colour, s->after ? "" : " stroke-dasharray=\"6 4\"");
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" stroke=\"%s\" stroke-width=\"1.5\" fill=\"%s\"/>\n", x + 14, y,
                        colour, s->after ? colour : "white");
                series_name(s, name, sizeof name);
                svg_text(f, x + 36, y + 4, "start", 12, "#333", name);
        }
        if (!n_series)
                svg_text(f, (PL + PR) / 2.0, PT + PH / 2.0, "middle", 14, "#777", "no rated sessions to draw");
        svg_end(f);
}

static int write_svg(const char *out, const struct report *rep, const struct outcome_summary *sum) {
        _cleanup_free_ char *svg = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&svg, &len);
        int r;

        if (!f)
                return fprintf(stderr, "chairctl: cannot draw %s: %s\n", out, strerror(errno)), EXIT_CALL_FAILED;
        plot_svg(f, rep, sum);
        if (fclose(f) != 0)
                r = -errno;
        else if (strcmp(out, "-") == 0)
                r = fwrite(svg, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : -EIO;
        else
                /* Health data: readable by its owner only, as the daemon keeps it. */
                r = write_file_atomic(out, svg, len, 0600);
        if (r < 0) {
                fprintf(stderr, "chairctl: cannot write %s: %s\n", out, strerror(-r));
                return EXIT_CALL_FAILED;
        }
        return 0;
}

/* ---- the command ---- */

#define usage(...) chairctl_usage("chairctl report --help", __VA_ARGS__)

/* "--opt VALUE" or "--opt=VALUE": 1 with *value set, 0 when ARGV[*I] is not OPT, < 0 missing. */
static int option_value(const char *opt, int *i, int argc, char **argv, const char **value) {
        size_t len = strlen(opt);
        const char *a = argv[*i];

        if (strncmp(a, opt, len) != 0 || (a[len] && a[len] != '='))
                return 0;
        if (a[len] == '=')
                *value = a + len + 1;
        else if (*i + 1 < argc)
                *value = argv[++*i];
        else
                return -EINVAL;
        return 1;
}

int chairctl_report(sd_bus *bus, int argc, char **argv, int json, bool no_legend) {
        static const char *const opts[] = { "--person", "--last", "--svg", "--history" };
        const char *values[ARRAY_SIZE(opts)] = {};
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ struct outcome_summary *sum = NULL;
        struct report rep = {};
        unsigned long long last = OUTCOMES_TREND_N;
        int r = 0;

        for (int i = 1; i < argc; i++) {
                size_t k;
                for (k = 0; k < ARRAY_SIZE(opts); k++) {
                        r = option_value(opts[k], &i, argc, argv, &values[k]);
                        if (r)
                                break;
                }
                if (r < 0)
                        return usage("report %s needs a value", opts[k]);
                if (k == ARRAY_SIZE(opts))
                        return usage("report takes --person NAME, --last N, --svg FILE and --history FILE, not '%s'", argv[i]);
        }
        if (values[1] && (parse_unsigned(values[1], OUTCOMES_TREND_MAX, &last) < 0 || last == 0))
                return usage("report --last takes 1-%u, not '%s'", OUTCOMES_TREND_MAX, values[1]);
        if (values[0] && values[3])
                return usage("%s", "report --person asks the daemon and --history reads a file: one of them");
        if (values[2] && !values[2][0])
                return usage("%s", "report --svg needs a file name (- writes to stdout)");
        if (values[2] && strcmp(values[2], "-") == 0 && json)
                return usage("%s", "report --svg - writes the picture to stdout: leave out --json");

        if (values[3])
                r = load_file(values[3], &rep);
        else if (!bus) {
                fprintf(stderr, "chairctl: report needs the daemon, or --history FILE to read a state file.\n");
                r = EXIT_NOT_RUNNING;
        } else {
                r = person_object(bus, values[0], &path);
                if (r == 0)
                        r = path ? load_person(bus, path, &rep) : load_chair_history(bus, &rep);
                if (r == EXIT_NOT_RUNNING)
                        fprintf(stderr, "chairctl: report --history FILE reads a state file without the daemon.\n");
        }
        if (r)
                goto finish;

        no_controls(rep.person);
        for (size_t i = 0; i < rep.n; i++) {
                no_controls(rep.entries[i].program);
                no_controls(rep.entries[i].reason);
        }
        if (rep.n)
                qsort(rep.entries, rep.n, sizeof *rep.entries, by_time);
        sum = malloc(sizeof *sum);
        r = sum ? outcomes_summarize(rep.entries, rep.n, (unsigned) last, sum) : -ENOMEM;
        if (r < 0) {
                fprintf(stderr, "chairctl: cannot summarize: %s\n", strerror(-r));
                r = EXIT_CALL_FAILED;
                goto finish;
        }
        if (values[2])
                r = write_svg(values[2], &rep, sum);
        if (r || (values[2] && strcmp(values[2], "-") == 0))
                goto finish;
        if (json)
                print_json(&rep, sum, json == 2);
        else if (!rep.n)
                printf("No sessions recorded%s%s.\n", rep.person[0] ? " for " : "", rep.person);
        else
                print_table(&rep, sum, no_legend);
finish:
        report_done(&rep);
        return r;
}
