/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic-file.h"
#include "log.h"
#include "parse-number.h"
#include "state-store.h"
#include "untrusted-file.h"
#include "vocab.h"

#define SETTINGS_FILE "settings"
#define HISTORY_FILE "history"
#define FAULTS_FILE "faults"
/* Far above what the daemon writes (500 lines of at most 1 KiB): anything larger is not ours. */
#define SETTINGS_FILE_MAX (64 * 1024)
#define LINES_FILE_MAX (1024 * 1024)
#define PRECAUTIONS_MAX 512

struct state_store {
        char dir[256];
        int dfd;                     /* the directory: every read and write is relative to it */
        struct memory_slot memory[MEMORY_SLOTS];
        char precautions[PRECAUTIONS_MAX]; /* comma-separated */
        bool precautions_unreadable; /* the file had no readable precautions line */
        uint32_t default_timer;
        bool child_lock;
        struct heat_dose_record heat_dose[_CHAIR_HEAT_ZONE_MAX];
        bool heat_dose_stored, heat_dose_unreadable;
        struct history_entry history[HISTORY_MAX];   /* oldest first */
        size_t n_history;
        struct fault_entry faults[FAULTS_MAX];
        size_t n_faults;
};

static void path_of(struct state_store *st, const char *name, char *buf, size_t size) {
        snprintf(buf, size, "%s/%s", st->dir, name);
}

static int write_atomic(struct state_store *st, const char *name, const char *text, size_t len) {
        return write_file_atomic_at(st->dfd, name, text, len, 0644);
}

/* Opens a state file for line reading without ever blocking on it: a FIFO, a device, a link,
 * a directory or an oversized file is moved aside unread (the daemon starts with an empty
 * one), and what is read is a copy in memory. NULL with errno ENOENT when there is none. */
static FILE *open_state_file(struct state_store *st, const char *name, size_t max_size) {
        _cleanup_free_ char *text = NULL;
        char path[300], err[400];
        size_t len;
        FILE *f;
        int r;

        path_of(st, name, path, sizeof path);
        r = read_untrusted_file(st->dfd, name, path, max_size, UNTRUSTED_NOFOLLOW, &text, &len, err, sizeof err);
        if (untrusted_file_refused(r)) {
                move_aside_at(st->dfd, st->dir, name, err);
                errno = EBADMSG;
                return NULL;
        }
        if (r < 0) {
                if (r != -ENOENT)
                        log_warning("%s; starting with an empty one.", err);
                errno = -r;
                return NULL;
        }
        /* Every text field read from it is UTF-8 then, settings included. */
        utf8_sanitize_len(text, len);
        /* A buffer of its own, freed by fclose. */
        f = fmemopen(NULL, len + 1, "w+");
        if (!f)
                return NULL;
        if (fwrite(text, 1, len, f) != len) {
                fclose(f);
                errno = EIO;
                return NULL;
        }
        rewind(f);
        return f;
}

static void move_aside(struct state_store *st, const char *name, unsigned line, const char *why) {
        char path[300], aside[340];

        path_of(st, name, path, sizeof path);
        snprintf(aside, sizeof aside, "%s.corrupt-%lld", path, (long long) time(NULL));
        if (renameat(st->dfd, name, st->dfd, aside + strlen(st->dir) + 1) < 0)
                log_warning("%s:%u: %s; could not move it aside: %m", path, line, why);
        else
                log_warning("%s:%u: %s; moved aside to %s.", path, line, why, aside);
}

/* Texts are stored on one line of tab-separated fields: no tabs or newlines inside, and
 * UTF-8 only (an invalid byte would make GetAll, GetHistory and GetFaults fail). */
static void sanitize(char *s) {
        utf8_sanitize(s);
        for (; *s; s++)
                if (*s == '\t' || *s == '\n' || *s == '\r')
                        *s = ' ';
}

/* ---- settings: key=value lines ---- */

static int save_settings(struct state_store *st) {
        char buf[4096];
        size_t len = 0;

        if (!st->precautions_unreadable)
                len += (size_t) snprintf(buf + len, sizeof buf - len, "precautions=%s\n", st->precautions);
        if (st->default_timer)
                len += (size_t) snprintf(buf + len, sizeof buf - len, "default_timer=%u\n", st->default_timer);
        if (st->child_lock)
                len += (size_t) snprintf(buf + len, sizeof buf - len, "child_lock=1\n");
        if (st->heat_dose_stored) {
                const char *sep = "heat_dose=";
                for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX && len < sizeof buf; z++) {
                        const struct heat_dose_record *h = &st->heat_dose[z];
                        if (!h->known)
                                continue;
                        len += (size_t) snprintf(buf + len, sizeof buf - len, "%s%s,%" PRIu32 ",%" PRIu64 ",%d", sep,
                                                 chair_heat_zone_name(z), h->dose_s, h->time_s, h->limited);
                        sep = ";";
                }
                if (len < sizeof buf && sep[0] == ';')
                        len += (size_t) snprintf(buf + len, sizeof buf - len, "\n");
        }
        for (unsigned i = 0; i < MEMORY_SLOTS && len < sizeof buf; i++) {
                int n;
                if (!st->memory[i].used)
                        continue;
                len += (size_t) snprintf(buf + len, sizeof buf - len, "memory%u=", i + 1);
                if (len >= sizeof buf)
                        break;
                n = memory_slot_format(&st->memory[i], buf + len, sizeof buf - len);
                if (n < 0)
                        return n;
                len += (size_t) n;
                len += (size_t) snprintf(buf + len, sizeof buf - len, "\n");
        }
        if (len >= sizeof buf)
                return -ENOBUFS;
        return write_atomic(st, SETTINGS_FILE, buf, len);
}

int memory_slot_format(const struct memory_slot *m, char *buf, size_t size) {
        int n;

        /* The program is the one text of the line: a ',', a control character or invalid
         * UTF-8 would not read back. */
        if (!utf8_valid(m->program, strnlen(m->program, sizeof m->program)))
                return -EINVAL;
        for (const char *c = m->program; *c; c++)
                if (*c == ',' || (unsigned char) *c < 0x20 || *c == 0x7f)
                        return -EINVAL;
        n = snprintf(buf, size, "%s,%u,%u,%u,%u,%u,%u,%u,%u,%u", m->program, m->intensity, m->speed, m->width,
                         m->depth, m->air_zones, m->air_intensity, m->heat_lumbar, m->heat_calves, m->timer_min);

        return n < 0 || (size_t) n >= size ? -ENOBUFS : n;
}

int memory_slot_parse(const char *v, struct memory_slot *ret) {
        struct memory_slot slot, *m = &slot;
        char program[80];
        int n;

        memset(m, 0, sizeof *m);
        if (sscanf(v, "%79[^,],%u,%u,%u,%u,%u,%u,%u,%u,%u%n", program, &m->intensity, &m->speed, &m->width, &m->depth,
                   &m->air_zones, &m->air_intensity, &m->heat_lumbar, &m->heat_calves, &m->timer_min, &n) != 10 ||
            v[n] != 0)
                return -EINVAL;
        if (m->intensity < 1 || m->intensity > 5 || m->speed < 1 || m->speed > 5 || m->width > 2 || m->depth > 5 ||
            m->air_intensity > 5 || m->heat_lumbar > 3 || m->heat_calves > 3 || m->air_zones >= 64 ||
            !chair_timer_valid(m->timer_min))
                return -ERANGE;
        snprintf(m->program, sizeof m->program, "%s", program);
        m->used = true;
        *ret = slot;
        return 0;
}

/* The precautions line's value: condition names (lower case, digits, '-') joined by commas. */
static bool precautions_value_ok(const char *v) {
        return strlen(v) < PRECAUTIONS_MAX && strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-,") == strlen(v);
}

/* "ZONE,DOSE_S,TIME_S,LIMITED;..." (docs/state-files.md): each zone by its name at most once,
 * the dose at most HEAT_DOSE_STORED_MAX, the flag 0 or 1. rec untouched on error. */
static int parse_u64(const char *s, uint64_t max, uint64_t *ret);
static int parse_flag(const char *s, bool *ret);

static int parse_heat_dose(char *v, struct heat_dose_record rec[_CHAIR_HEAT_ZONE_MAX]) {
        struct heat_dose_record out[_CHAIR_HEAT_ZONE_MAX] = {};
        size_t len = strlen(v);
        char *save = NULL;
        unsigned n = 0;

        /* strtok_r skips empty fields: an empty one is refused here, not read as absent. */
        if (!len || strchr(";,", v[0]) || strchr(";,", v[len - 1]) || strstr(v, ";;") || strstr(v, ",,") ||
            strstr(v, ",;") || strstr(v, ";,"))
                return -EINVAL;
        for (char *item = strtok_r(v, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
                char *f[5], *fs = NULL;
                size_t nf = 0;
                uint64_t dose, t;
                bool limited;
                int z;

                for (char *x = strtok_r(item, ",", &fs); x && nf < 5; x = strtok_r(NULL, ",", &fs))
                        f[nf++] = x;
                if (nf != 4 || ++n > _CHAIR_HEAT_ZONE_MAX)
                        return -EINVAL;
                z = chair_heat_zone_from_name(f[0]);
                if (z < 0 || out[z].known || parse_u64(f[1], HEAT_DOSE_STORED_MAX, &dose) < 0 ||
                    parse_u64(f[2], UINT64_MAX / 1000000, &t) < 0 || parse_flag(f[3], &limited) < 0)
                        return -EINVAL;
                out[z] = (struct heat_dose_record) { .known = true, .limited = limited, .dose_s = (uint32_t) dose,
                                                     .time_s = t };
        }
        memcpy(rec, out, sizeof out);
        return 0;
}

/* One key=value line; -EINVAL when it does not parse, -EBADMSG when it is a precautions line
 * that does not. */
static int parse_setting(struct state_store *st, char *line, bool *seen_precautions) {
        char *eq = strchr(line, '=');
        unsigned slot;
        uint32_t timer;

        if (!eq)
                return -EINVAL;
        *eq++ = 0;
        if (strcmp(line, "precautions") == 0) {
                /* Twice is as untrustworthy as garbage: which one did the person mean? */
                if (*seen_precautions || !precautions_value_ok(eq))
                        return -EBADMSG;
                *seen_precautions = true;
                snprintf(st->precautions, sizeof st->precautions, "%s", eq);
        } else if (strcmp(line, "default_timer") == 0) {
                timer = (uint32_t) strtoul(eq, NULL, 10);
                if (!chair_timer_valid(timer))
                        return -EINVAL;
                st->default_timer = timer;
        } else if (strcmp(line, "heat_dose") == 0) {
                /* Twice, or not parsing: the dose is unknown, and the supervisor assumes the worst. */
                if (st->heat_dose_stored || parse_heat_dose(eq, st->heat_dose) < 0) {
                        st->heat_dose_unreadable = true;
                        return -EINVAL;
                }
                st->heat_dose_stored = true;
        } else if (strcmp(line, "child_lock") == 0) {
                if (strcmp(eq, "0") != 0 && strcmp(eq, "1") != 0)
                        return -EINVAL;
                st->child_lock = eq[0] == '1';
        } else if (sscanf(line, "memory%u", &slot) == 1 && slot >= 1 && slot <= MEMORY_SLOTS) {
                struct memory_slot m;
                if (memory_slot_parse(eq, &m) < 0)
                        return -EINVAL;
                st->memory[slot - 1] = m;
        } else
                return -EINVAL;
        return 0;
}

/* Reads one line into buf without its newline (a last line may lack it); -1 at the end of the
 * file. *bad: longer than buf (the rest is skipped) or a NUL byte inside, which fgets hides. */
static int read_line(FILE *f, char *buf, size_t size, bool *bad) {
        size_t n = 0;
        int c;

        *bad = false;
        while ((c = getc(f)) != EOF && c != '\n') {
                if (c == 0 || n + 1 >= size)
                        *bad = true;
                else
                        buf[n++] = (char) c;
        }
        buf[n] = 0;
        return c == EOF && n == 0 && !*bad ? -1 : 0;
}

/* Every line that parses is kept; a bad one moves the file aside and the good lines are written
 * back. The precautions fail closed: a file without one readable precautions line (every file
 * the daemon writes has one) marks them unreadable, which refuses sessions until they are
 * declared again; until then the file keeps no precautions line, so a restart does not forget
 * that they are unknown. */
static void load_settings(struct state_store *st) {
        char path[300], line[600];
        unsigned n = 0, bad_line = 0;
        int r;
        bool seen_precautions = false, bad_precautions = false;
        FILE *f;

        path_of(st, SETTINGS_FILE, path, sizeof path);
        f = open_state_file(st, SETTINGS_FILE, SETTINGS_FILE_MAX);
        if (!f) {
                /* Missing is a fresh chair; anything else (unreadable, not a file, too large)
                 * leaves the declared precautions unknown. */
                if (errno != ENOENT) {
                        log_warning("%s: cannot read it; the declared precautions are unknown.", path);
                        st->precautions_unreadable = true;
                }
                return;
        }
        for (;;) {
                bool bad;
                if (read_line(f, line, sizeof line, &bad) < 0)
                        break;
                n++;
                if (bad) {
                        bad_precautions |= strncmp(line, "precautions", strlen("precautions")) == 0;
                        if (!bad_line)
                                bad_line = n;
                        continue;
                }
                r = parse_setting(st, line, &seen_precautions);
                bad_precautions |= r == -EBADMSG;
                if (r < 0 && !bad_line)
                        bad_line = n;
        }
        fclose(f);
        if (!seen_precautions || bad_precautions) {
                st->precautions[0] = 0;
                st->precautions_unreadable = true;
                log_warning("%s: the precautions line is missing or unreadable; sessions are refused until the precautions are "
                            "declared again.", path);
        }
        if (!bad_line)
                return;
        move_aside(st, SETTINGS_FILE, bad_line, "unreadable setting, keeping the readable ones");
        r = save_settings(st);
        if (r < 0)
                log_warning_errno(r, "%s: could not rewrite the readable settings: %m", path);
}

/* ---- history and faults: one tab-separated line each, oldest first ---- */

static int save_history(struct state_store *st) {
        size_t size = st->n_history * 200 + 1, len = 0;
        char *buf = malloc(size);
        int r;

        if (!buf)
                return -ENOMEM;
        buf[0] = 0;
        for (size_t i = 0; i < st->n_history; i++) {
                const struct history_entry *e = &st->history[i];
                int n = history_entry_format(e, '\t', HISTORY_FIELDS_BASE, e->program, e->reason, buf + len, size - len - 1);
                if (n < 0) {
                        free(buf);
                        return n;
                }
                len += (size_t) n;
                buf[len++] = '\n';
                buf[len] = 0;
        }
        r = write_atomic(st, HISTORY_FILE, buf, len);
        free(buf);
        return r;
}

static int save_faults(struct state_store *st) {
        size_t size = st->n_faults * 400 + 1, len = 0;
        char *buf = malloc(size);
        int r;

        if (!buf)
                return -ENOMEM;
        buf[0] = 0;
        for (size_t i = 0; i < st->n_faults; i++) {
                const struct fault_entry *e = &st->faults[i];
                len += (size_t) snprintf(buf + len, size - len, "%" PRIu64 "\t%s\t%s\t%s\n", e->time_usec, e->code,
                                         e->message, e->cleared);
        }
        r = write_atomic(st, FAULTS_FILE, buf, len);
        free(buf);
        return r;
}

/* Splits a line at every tab (empty fields allowed) after cutting its newline; returns the count. */
static size_t split_tabs(char *line, char **fields, size_t max) {
        size_t n = 0;

        line[strcspn(line, "\n")] = 0;
        while (n < max) {
                fields[n++] = line;
                line = strchr(line, '\t');
                if (!line)
                        break;
                *line++ = 0;
        }
        return line ? max + 1 : n;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *ret) {
        unsigned long long v;

        if (parse_unsigned(s, max, &v) < 0)
                return -EINVAL;
        *ret = v;
        return 0;
}

static bool copy_field(char *dst, size_t size, const char *src) {
        if (strlen(src) >= size)
                return false;
        memcpy(dst, src, strlen(src) + 1);
        return true;
}

static bool pain_ok(uint64_t v) {
        return v <= 10 || v == HISTORY_NOT_RATED;
}

/* "assessed,focused,goal": the flags 0 or 1, the goal by its name (massage_goal). */
static int parse_flag(const char *s, bool *ret) {
        if (strcmp(s, "0") != 0 && strcmp(s, "1") != 0)
                return -EINVAL;
        *ret = s[0] == '1';
        return 0;
}

int history_entry_parse_fields(char *const *f, size_t n, struct history_entry *ret) {
        struct history_entry e = {};
        uint64_t dur, intensity, before, after, area;
        int goal;

        if (n != HISTORY_FIELDS_BASE && n != HISTORY_FIELDS)
                return -EINVAL;
        if (parse_u64(f[0], UINT64_MAX, &e.id) < 0 || !copy_field(e.program, sizeof e.program, f[1]) ||
            parse_u64(f[2], UINT64_MAX, &e.start_usec) < 0 || parse_u64(f[3], UINT32_MAX, &dur) < 0 ||
            parse_u64(f[4], 5, &intensity) < 0 || parse_u64(f[5], HISTORY_NOT_RATED, &before) < 0 ||
            parse_u64(f[6], HISTORY_NOT_RATED, &after) < 0 || !copy_field(e.reason, sizeof e.reason, f[7]))
                return -EINVAL;
        if (!pain_ok(before) || !pain_ok(after))
                return -ERANGE;
        utf8_sanitize(e.program);
        utf8_sanitize(e.reason);
        e.duration_s = (uint32_t) dur;
        e.intensity = (uint32_t) intensity;
        e.pain_before = (uint16_t) before;
        e.pain_after = (uint16_t) after;
        for (size_t i = 0; i < HISTORY_AREAS; i++)
                e.area_before[i] = e.area_after[i] = HISTORY_NOT_RATED;
        if (n == HISTORY_FIELDS) {
                goal = massage_goal_from_string(f[10]);
                if (parse_flag(f[8], &e.assessed) < 0 || parse_flag(f[9], &e.focused) < 0 || goal < 0)
                        return -EINVAL;
                e.goal = (uint8_t) goal;
                for (size_t i = 0; i < 2 * HISTORY_AREAS; i++) {
                        if (parse_u64(f[11 + i], HISTORY_NOT_RATED, &area) < 0)
                                return -EINVAL;
                        if (!pain_ok(area))
                                return -ERANGE;
                        (i < HISTORY_AREAS ? e.area_before : e.area_after)[i % HISTORY_AREAS] = (uint16_t) area;
                }
        }
        *ret = e;
        return 0;
}

int history_entry_format(const struct history_entry *e, char sep, size_t n_fields, const char *program,
                         const char *reason, char *buf, size_t size) {
        size_t len;
        int n;

        if (n_fields != HISTORY_FIELDS_BASE && n_fields != HISTORY_FIELDS)
                return -EINVAL;
        n = snprintf(buf, size, "%" PRIu64 "%c%s%c%" PRIu64 "%c%u%c%u%c%u%c%u%c%s", e->id, sep, program, sep,
                     e->start_usec, sep, e->duration_s, sep, e->intensity, sep, e->pain_before, sep, e->pain_after, sep,
                     reason);
        if (n < 0 || (size_t) n >= size)
                return -ENOBUFS;
        len = (size_t) n;
        if (n_fields == HISTORY_FIELDS) {
                const char *goal = massage_goal_to_string((enum massage_goal) e->goal);
                n = snprintf(buf + len, size - len, "%c%d%c%d%c%s", sep, e->assessed, sep, e->focused, sep,
                             goal ? goal : massage_goal_to_string(GOAL_RELIEF));
                if (n < 0 || (size_t) n >= size - len)
                        return -ENOBUFS;
                len += (size_t) n;
                for (size_t i = 0; i < 2 * HISTORY_AREAS; i++) {
                        n = snprintf(buf + len, size - len, "%c%u", sep,
                                     (i < HISTORY_AREAS ? e->area_before : e->area_after)[i % HISTORY_AREAS]);
                        if (n < 0 || (size_t) n >= size - len)
                                return -ENOBUFS;
                        len += (size_t) n;
                }
        }
        return (int) len;
}

static int parse_history_line(char *line, struct history_entry *e) {
        char *f[HISTORY_FIELDS_BASE];

        if (split_tabs(line, f, HISTORY_FIELDS_BASE) != HISTORY_FIELDS_BASE)
                return -EINVAL;
        return history_entry_parse_fields(f, HISTORY_FIELDS_BASE, e);
}

static int parse_fault_line(char *line, struct fault_entry *e) {
        char *f[4];

        if (split_tabs(line, f, 4) != 4)
                return -EINVAL;
        if (parse_u64(f[0], UINT64_MAX, &e->time_usec) < 0 || !f[1][0] || !copy_field(e->code, sizeof e->code, f[1]) ||
            !copy_field(e->message, sizeof e->message, f[2]) || !copy_field(e->cleared, sizeof e->cleared, f[3]))
                return -EINVAL;
        utf8_sanitize(e->code);
        utf8_sanitize(e->message);
        utf8_sanitize(e->cleared);
        return 0;
}

/* Reads a line file; a bad or torn line is skipped, and then the file is moved aside and
 * rewritten with the good lines, so one bad line never costs the whole history. */
static void load_lines(struct state_store *st, const char *name, bool history) {
        char path[300], line[1024];
        unsigned n = 0, bad_line = 0;
        FILE *f;

        path_of(st, name, path, sizeof path);
        f = open_state_file(st, name, LINES_FILE_MAX);
        if (!f)
                return;
        while (fgets(line, sizeof line, f)) {
                bool torn = !strchr(line, '\n');
                n++;
                if (torn && !feof(f)) {
                        /* Longer than any line we write: skip the rest of it. */
                        int c;
                        while ((c = fgetc(f)) != EOF && c != '\n')
                                ;
                }
                if (history) {
                        struct history_entry e = {};
                        if (torn || parse_history_line(line, &e) < 0) {
                                if (!bad_line)
                                        bad_line = n;
                                continue;
                        }
                        if (st->n_history == HISTORY_MAX) {
                                memmove(st->history, st->history + 1, (HISTORY_MAX - 1) * sizeof e);
                                st->n_history--;
                        }
                        st->history[st->n_history++] = e;
                } else {
                        struct fault_entry e = {};
                        if (torn || parse_fault_line(line, &e) < 0) {
                                if (!bad_line)
                                        bad_line = n;
                                continue;
                        }
                        if (st->n_faults == FAULTS_MAX) {
                                memmove(st->faults, st->faults + 1, (FAULTS_MAX - 1) * sizeof e);
                                st->n_faults--;
                        }
                        st->faults[st->n_faults++] = e;
                }
        }
        fclose(f);
        if (!bad_line)
                return;
        move_aside(st, name, bad_line, history ? "unreadable history line, keeping the readable ones"
                                                : "unreadable fault line, keeping the readable ones");
        int r = history ? save_history(st) : save_faults(st);
        if (r < 0)
                log_warning_errno(r, "%s: could not rewrite the readable lines: %m", path);
}

/* A temporary file left by a kill -9 mid-write (common/atomic-file.c names them .#NAME.*.tmp)
 * is just garbage. unlinkat removes a planted link itself, never its target. */
static void remove_temporaries(struct state_store *st) {
        DIR *d = fdopendir(dup(st->dfd));
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (strncmp(de->d_name, ".#", 2) == 0 && len > 6 && strcmp(de->d_name + len - 4, ".tmp") == 0)
                        unlinkat(st->dfd, de->d_name, 0);
        }
        closedir(d);
        /* And the NAME.tmp of earlier versions. */
        for (const char *const *name = (const char *const[]) { SETTINGS_FILE ".tmp", HISTORY_FILE ".tmp", FAULTS_FILE ".tmp",
                                                               NULL }; *name; name++)
                unlinkat(st->dfd, *name, 0);
}

int state_store_open(const char *dir, struct state_store **ret) {
        struct state_store *st;

        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        st = calloc(1, sizeof *st);
        if (!st)
                return -ENOMEM;
        snprintf(st->dir, sizeof st->dir, "%s", dir);
        st->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (st->dfd < 0) {
                int r = -errno;
                free(st);
                return r;
        }
        remove_temporaries(st);
        load_settings(st);
        load_lines(st, HISTORY_FILE, true);
        load_lines(st, FAULTS_FILE, false);
        *ret = st;
        return 0;
}

void state_store_close(struct state_store *st) {
        if (st && st->dfd >= 0)
                close(st->dfd);
        free(st);
}

int state_store_save_memory(struct state_store *st, unsigned slot, const struct memory_slot *m) {
        struct memory_slot copy = *m;
        char line[200];
        int r;

        if (slot < 1 || slot > MEMORY_SLOTS)
                return -EINVAL;
        sanitize(copy.program);
        /* Checked aside: a slot the file cannot hold never reaches the copy every later
         * settings write saves. */
        if (copy.used && (r = memory_slot_format(&copy, line, sizeof line)) < 0)
                return r;
        st->memory[slot - 1] = copy;
        return save_settings(st);
}

int state_store_load_memory(struct state_store *st, unsigned slot, struct memory_slot *ret) {
        if (slot < 1 || slot > MEMORY_SLOTS)
                return -EINVAL;
        *ret = st->memory[slot - 1];
        return 0;
}

int state_store_save_precautions(struct state_store *st, const char *const *list) {
        char text[sizeof st->precautions], old[sizeof st->precautions];
        bool old_unreadable = st->precautions_unreadable;
        size_t len = 0;
        int r;

        /* Built aside and checked first: a refused list never reaches the copy that the next
         * unrelated write (child lock, memory, timer) would save. */
        text[0] = 0;
        for (const char *const *p = list; p && *p; p++) {
                if (strlen(*p) + 2 >= sizeof text - len)
                        return -ENOBUFS;
                len += (size_t) snprintf(text + len, sizeof text - len, "%s%s", len ? "," : "", *p);
        }
        if (!precautions_value_ok(text))
                return -EINVAL;
        memcpy(old, st->precautions, sizeof old);
        memcpy(st->precautions, text, sizeof text);
        st->precautions_unreadable = false;
        r = save_settings(st);
        if (r < 0) {
                memcpy(st->precautions, old, sizeof old);
                st->precautions_unreadable = old_unreadable;
        }
        return r;
}

bool state_store_precautions_unreadable(struct state_store *st) {
        return st->precautions_unreadable;
}

int state_store_load_precautions(struct state_store *st, char ***ret) {
        char copy[512], *save = NULL, **list;
        size_t n = 0;

        list = calloc(64, sizeof *list);
        if (!list)
                return -ENOMEM;
        snprintf(copy, sizeof copy, "%s", st->precautions);
        for (char *tok = strtok_r(copy, ",", &save); tok && n < 63; tok = strtok_r(NULL, ",", &save))
                if ((list[n] = strdup(tok)))
                        n++;
        *ret = list;
        return 0;
}

int state_store_save_default_timer(struct state_store *st, uint32_t minutes) {
        st->default_timer = minutes;
        return save_settings(st);
}

int state_store_load_default_timer(struct state_store *st, uint32_t *ret) {
        if (!st->default_timer)
                return -ENOENT;
        *ret = st->default_timer;
        return 0;
}

int state_store_save_child_lock(struct state_store *st, bool on) {
        st->child_lock = on;
        return save_settings(st);
}

bool state_store_child_lock(struct state_store *st) {
        return st->child_lock;
}

int state_store_save_heat_dose(struct state_store *st, const struct heat_dose_record rec[_CHAIR_HEAT_ZONE_MAX]) {
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++)
                if (rec[z].known && rec[z].dose_s > HEAT_DOSE_STORED_MAX)
                        return -ERANGE;
        memcpy(st->heat_dose, rec, sizeof st->heat_dose);
        st->heat_dose_stored = true;
        st->heat_dose_unreadable = false;
        return save_settings(st);
}

int state_store_load_heat_dose(struct state_store *st, struct heat_dose_record ret[_CHAIR_HEAT_ZONE_MAX]) {
        if (st->heat_dose_unreadable)
                return -EBADMSG;
        if (!st->heat_dose_stored)
                return -ENODATA;
        memcpy(ret, st->heat_dose, sizeof st->heat_dose);
        return 0;
}

int state_store_append_history(struct state_store *st, const struct history_entry *e) {
        if (st->n_history == HISTORY_MAX) {
                memmove(st->history, st->history + 1, (HISTORY_MAX - 1) * sizeof *e);
                st->n_history--;
        }
        st->history[st->n_history] = *e;
        sanitize(st->history[st->n_history].program);
        sanitize(st->history[st->n_history].reason);
        st->n_history++;
        return save_history(st);
}

int state_store_rate_session(struct state_store *st, uint64_t id, uint32_t before, uint32_t after) {
        for (size_t i = st->n_history; i-- > 0;)
                if (st->history[i].id == id) {
                        st->history[i].pain_before = (uint16_t) before;
                        st->history[i].pain_after = (uint16_t) after;
                        return save_history(st);
                }
        return -ENOENT;
}

int state_store_list_history(struct state_store *st, size_t max, struct history_entry **ret, size_t *ret_n) {
        size_t n = MIN(max, st->n_history);
        struct history_entry *out = calloc(n ? n : 1, sizeof *out);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                out[i] = st->history[st->n_history - 1 - i];
        *ret = out;
        *ret_n = n;
        return 0;
}

int state_store_append_fault(struct state_store *st, const struct fault_entry *e) {
        if (st->n_faults == FAULTS_MAX) {
                memmove(st->faults, st->faults + 1, (FAULTS_MAX - 1) * sizeof *e);
                st->n_faults--;
        }
        st->faults[st->n_faults] = *e;
        sanitize(st->faults[st->n_faults].message);
        sanitize(st->faults[st->n_faults].code);
        st->n_faults++;
        return save_faults(st);
}

int state_store_mark_fault_cleared(struct state_store *st, const char *how) {
        if (!st->n_faults)
                return -ENOENT;
        snprintf(st->faults[st->n_faults - 1].cleared, sizeof st->faults[0].cleared, "%s", how);
        sanitize(st->faults[st->n_faults - 1].cleared);
        return save_faults(st);
}

int state_store_list_faults(struct state_store *st, size_t max, struct fault_entry **ret, size_t *ret_n) {
        size_t n = MIN(max, st->n_faults);
        struct fault_entry *out = calloc(n ? n : 1, sizeof *out);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                out[i] = st->faults[st->n_faults - 1 - i];
        *ret = out;
        *ret_n = n;
        return 0;
}
