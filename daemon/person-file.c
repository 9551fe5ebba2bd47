/* SPDX-License-Identifier: MIT */
/* One person's state file (person-file.h; the format is docs/state-files.md, "people/"). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic-file.h"
#include "chair-io.h"
#include "log.h"
#include "macro.h"
#include "parse-number.h"
#include "person-file.h"
#include "precautions.h"
#include "untrusted-file.h"
#include "vocab.h"

#define PEOPLE_DIR "people"
#define NEXT_ID_FILE "next-id"
#define NEXT_ID_FILE_MAX 64
/* Longer than any line the daemon writes (a session line with every text escaped stays
 * under 800 bytes): anything longer is not ours. */
#define LINE_MAX_LEN 1024
#define CONDITIONS_MAX 512     /* as the settings file's precautions line */
#define CONDITIONS_N_MAX 63
#define SESSION_LINE_MAX 1024
/* The hardware map's track_length_mm is at most 1500 (hardware-map.c). */
#define SHOULDER_MM_MAX 1500
#define SHOULDER_ADJUST_MAX 5
#define ASSESSMENT_FIELDS (3 + _PAIN_AREA_MAX)

_Static_assert(ARRAY_SIZE(((struct person *) 0)->heat_pref) == _CHAIR_HEAT_ZONE_MAX, "heat_pref= holds every zone");

static void strv_free(char **l) {
        for (char **p = l; p && *p; p++)
                free(*p);
        free(l);
}

void person_record_done(struct person_record *r) {
        if (!r)
                return;
        strv_free(r->person.conditions);
        r->person.conditions = NULL;
        free(r->history);
        r->history = NULL;
        r->n_history = 0;
}

static void id_name(uint32_t id, char buf[static 16]) {
        snprintf(buf, 16, "%" PRIu32, id);
}

/* read_untrusted_file's message without its leading "PATH: " (move_aside_at names the file). */
static const char *why_of(const char *err, const char *display) {
        size_t n = strlen(display);

        return strncmp(err, display, n) == 0 && err[n] == ':' && err[n + 1] == ' ' ? err + n + 2 : err;
}

/* The directory's path for messages (the fd is all we have), else "people". */
static void dir_display(int dir_fd, char *buf, size_t size) {
        char proc[64];
        ssize_t n;

        snprintf(proc, sizeof proc, "/proc/self/fd/%d", dir_fd);
        n = readlink(proc, buf, size - 1);
        if (n <= 0 || (size_t) n >= size - 1)
                n = (ssize_t) snprintf(buf, size, PEOPLE_DIR);
        buf[n] = 0;
}

static int dir_open(const char *state_dir, bool create, int *ret_fd) {
        _cleanup_close_ int sfd = -EBADF, fd = -EBADF;
        struct stat st;
        bool created = false;

        sfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sfd < 0)
                return -errno;
        if (!create)
                ;
        else if (mkdirat(sfd, PEOPLE_DIR, 0700) == 0)
                created = true;
        else if (errno != EEXIST)
                return -errno;
        /* A link planted as people/ is refused (ELOOP or ENOTDIR), never followed. */
        fd = openat(sfd, PEOPLE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        /* Health data: nobody else may list it, whatever an earlier umask made of it. */
        if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0)
                log_warning_errno(errno, "%s/" PEOPLE_DIR ": mode %04o, could not make it 0700: %m", state_dir,
                                  (unsigned) (st.st_mode & 07777));
        *ret_fd = fd;
        fd = -EBADF;
        return created;
}

int person_dir_open(const char *state_dir, int *ret_fd) {
        return dir_open(state_dir, true, ret_fd);
}

int person_dir_open_existing(const char *state_dir, int *ret_fd) {
        return dir_open(state_dir, false, ret_fd);
}

/* "0", or digits without a leading zero, at most PERSON_ID_MAX. */
static bool parse_id_name(const char *s, uint32_t *ret) {
        unsigned long long v;

        if (!*s || (s[0] == '0' && s[1]) || strspn(s, "0123456789") != strlen(s) ||
            parse_unsigned(s, PERSON_ID_MAX, &v) < 0)
                return false;
        *ret = (uint32_t) v;
        return true;
}

static int cmp_u32(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
        return x < y ? -1 : x > y;
}

int person_dir_list(int dir_fd, uint32_t *ret_ids, size_t max) {
        DIR *d;
        struct dirent *de;
        size_t n = 0;
        int fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);

        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                int r = -errno;
                close(fd);
                return r;
        }
        /* A dup shares the offset: start at the top whatever an earlier listing left. */
        rewinddir(d);
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                uint32_t id;
                /* A temporary left by a kill -9 mid-write (atomic-file.c's .#NAME.*.tmp);
                 * unlinkat removes a planted link itself, never its target. */
                if (strncmp(de->d_name, ".#", 2) == 0 && len > 6 && strcmp(de->d_name + len - 4, ".tmp") == 0) {
                        (void) unlinkat(dir_fd, de->d_name, 0);
                        continue;
                }
                if (!parse_id_name(de->d_name, &id))
                        continue;
                if (n < max)
                        ret_ids[n++] = id;
                else {
                        /* Keep the smallest ids whatever the order readdir gives. */
                        size_t hi = 0;
                        for (size_t i = 1; i < n; i++)
                                if (ret_ids[i] > ret_ids[hi])
                                        hi = i;
                        if (n && id < ret_ids[hi])
                                ret_ids[hi] = id;
                }
        }
        closedir(d);
        if (n)
                qsort(ret_ids, n, sizeof *ret_ids, cmp_u32);
        return (int) n;
}

/* ---- texts: %XX for '%', ',', '=' and control bytes, every other byte (UTF-8) as it is ---- */

static bool text_char_plain(unsigned char c) {
        return c >= 0x20 && c != 0x7f && c != '%' && c != ',' && c != '=';
}

/* -ENOBUFS when it does not fit. */
static int text_escape(const char *s, char *buf, size_t size) {
        size_t n = 0;

        for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
                if (n + 4 > size)
                        return -ENOBUFS;
                if (text_char_plain(*c))
                        buf[n++] = (char) *c;
                else
                        n += (size_t) snprintf(buf + n, size - n, "%%%02X", *c);
        }
        if (n >= size)
                return -ENOBUFS;
        buf[n] = 0;
        return 0;
}

static int hex_digit(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* In place (never longer); the result must be UTF-8 without control characters, the
 * escapes uppercase and of bytes that needed one. */
static int text_unescape(char *s) {
        char *w = s;

        for (const char *c = s; *c; c++) {
                int hi, lo;
                if (*c != '%') {
                        *w++ = *c;
                        continue;
                }
                hi = hex_digit(c[1]);
                lo = hi < 0 ? -1 : hex_digit(c[2]);
                if (lo < 0 || text_char_plain((unsigned char) (hi << 4 | lo)))
                        return -EINVAL;
                *w++ = (char) (hi << 4 | lo);
                c += 2;
        }
        *w = 0;
        for (const char *c = s; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                        return -EINVAL;
        return utf8_valid(s, (size_t) (w - s)) ? 0 : -EINVAL;
}

/* A history entry's texts come from programs and the session: never worth failing a save
 * for, so an invalid byte becomes '?' and a control character a space. */
static void text_sanitize(char *s) {
        utf8_sanitize(s);
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        *s = ' ';
}

/* A name people.c accepts: 1-PERSON_NAME_MAX bytes of UTF-8 without control characters. */
static bool name_ok(const char *s) {
        size_t len = strlen(s);

        if (!len || len > PERSON_NAME_MAX || !utf8_valid(s, len))
                return false;
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return false;
        return true;
}

/* Splits at every SEP (empty fields allowed); returns the count, or max + 1 for more. */
static size_t split(char *s, char sep, char **fields, size_t max) {
        size_t n = 0;

        while (n < max) {
                fields[n++] = s;
                s = strchr(s, sep);
                if (!s)
                        return n;
                *s++ = 0;
        }
        return max + 1;
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *ret) {
        unsigned long long v;
        int r = parse_unsigned(s, max, &v);

        if (r < 0)
                return r;
        if (v < min)
                return -ERANGE;
        *ret = (uint32_t) v;
        return 0;
}

static int parse_pain(const char *s, uint16_t *ret) {
        uint32_t v;
        int r = parse_u32(s, 0, PAIN_NOT_RATED, &v);

        if (r < 0)
                return r;
        if (v > 10 && v != PAIN_NOT_RATED)
                return -ERANGE;
        *ret = (uint16_t) v;
        return 0;
}

/* A session line's value, split in place. */
static int parse_session(char *v, struct history_entry *ret) {
        char *f[HISTORY_FIELDS];

        if (split(v, ',', f, HISTORY_FIELDS) != HISTORY_FIELDS || text_unescape(f[1]) < 0 || text_unescape(f[7]) < 0)
                return -EINVAL;
        return history_entry_parse_fields(f, HISTORY_FIELDS, ret);
}

/* ---- writing ---- */

struct out {
        char *buf;
        size_t len, size;
        int error;
};

static void _printf_(2, 3) out_printf(struct out *o, const char *fmt, ...) {
        va_list ap;
        int n;

        if (o->error)
                return;
        va_start(ap, fmt);
        n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t) n >= o->size - o->len)
                o->error = -ENOBUFS;
        else
                o->len += (size_t) n;
}

static int format_conditions(const struct person *p, char *buf, size_t size) {
        size_t len = 0, n = 0;

        buf[0] = 0;
        for (char **c = p->conditions; c && *c; c++) {
                if (++n > CONDITIONS_N_MAX)
                        return -ENOBUFS;
                /* Only names the line can hold and the loader takes back. */
                if (!**c || strspn(*c, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(*c) || !precaution_find(*c))
                        return -EINVAL;
                if (strlen(*c) + 2 > size - len)
                        return -ENOBUFS;
                len += (size_t) snprintf(buf + len, size - len, "%s%s", len ? "," : "", *c);
        }
        return 0;
}

static int format_record(const struct person_record *rec, struct out *o) {
        const struct person *p = &rec->person;
        const struct assessment *a = &p->assessment;
        char text[3 * 80 + 1], reason[3 * 16 + 1], line[SESSION_LINE_MAX];
        size_t first;
        int r;

        if (!name_ok(p->name))
                return -EINVAL;
        r = text_escape(p->name, text, sizeof text);
        if (r < 0)
                return r;
        out_printf(o, "name=%s\n", text);
        /* Unknown conditions are remembered as unknown: no line, which loads as unreadable. */
        if (!p->conditions_unreadable) {
                char list[CONDITIONS_MAX];
                r = format_conditions(p, list, sizeof list);
                if (r < 0)
                        return r;
                out_printf(o, "conditions=%s\n", list);
        }
        if (p->intensity_cap < 1 || p->intensity_cap > 5 || p->heat_cap > 3 || p->shoulder_mm < -1 ||
            p->shoulder_mm > SHOULDER_MM_MAX || p->shoulder_adjust < -SHOULDER_ADJUST_MAX ||
            p->shoulder_adjust > SHOULDER_ADJUST_MAX || (p->timer_min && !chair_timer_valid(p->timer_min)) ||
            p->heat_pref[0] > 3 || p->heat_pref[1] > 3)
                return -ERANGE;
        out_printf(o, "intensity_cap=%" PRIu32 "\nheat_cap=%" PRIu32 "\n", p->intensity_cap, p->heat_cap);
        out_printf(o, "shoulder=%" PRId32 "\nshoulder_adjust=%" PRId32 "\n", p->shoulder_mm, p->shoulder_adjust);
        for (unsigned i = 0; i < MEMORY_SLOTS; i++) {
                if (!p->memory[i].used)
                        continue;
                r = memory_slot_format(&p->memory[i], line, sizeof line);
                if (r < 0)
                        return r;
                /* One set of rules: what would not read back is not written. */
                if (memory_slot_parse(line, &(struct memory_slot) {}) < 0)
                        return -ERANGE;
                out_printf(o, "memory%u=%s\n", i + 1, line);
        }
        out_printf(o, "timer=%" PRIu32 "\nheat_pref=%" PRIu32 ",%" PRIu32 "\n", p->timer_min, p->heat_pref[0],
                   p->heat_pref[1]);
        if (a->time_usec) {
                const char *goal = massage_goal_to_string(a->goal);
                if (!goal || (a->pain_now > 10 && a->pain_now != PAIN_NOT_RATED))
                        return -ERANGE;
                out_printf(o, "assessment=%" PRIu64 ",%s", a->time_usec, goal);
                for (size_t i = 0; i < _PAIN_AREA_MAX; i++) {
                        if (a->pain[i] > 10 && a->pain[i] != PAIN_NOT_RATED)
                                return -ERANGE;
                        out_printf(o, ",%u", a->pain[i]);
                }
                out_printf(o, ",%u\n", a->pain_now);
        }
        if (p->assessment_used_by)
                out_printf(o, "assessment_used_by=%" PRIu64 "\n", p->assessment_used_by);
        /* At most HISTORY_MAX, the newest. */
        first = rec->n_history > HISTORY_MAX ? rec->n_history - HISTORY_MAX : 0;
        for (size_t i = first; i < rec->n_history; i++) {
                const struct history_entry *e = &rec->history[i];
                char program[sizeof e->program], why[sizeof e->reason];
                /* Bounded copies (the record's strings need not be terminated), made UTF-8
                 * without control characters as the state store's history is. */
                snprintf(program, sizeof program, "%.*s", (int) sizeof program - 1, e->program);
                snprintf(why, sizeof why, "%.*s", (int) sizeof why - 1, e->reason);
                text_sanitize(program);
                text_sanitize(why);
                if (text_escape(program, text, sizeof text) < 0 || text_escape(why, reason, sizeof reason) < 0)
                        return -ENOBUFS;
                r = history_entry_format(e, ',', HISTORY_FIELDS, text, reason, line, sizeof line);
                if (r < 0)
                        return r;
                out_printf(o, "session=%s\n", line);
                if (parse_session(line, &(struct history_entry) {}) < 0)
                        return -ERANGE;
        }
        return o->error;
}

int person_file_save(int dir_fd, const struct person_record *r) {
        _cleanup_free_ char *buf = NULL;
        char name[16];
        size_t n = MIN(r->n_history, (size_t) HISTORY_MAX);
        struct out o = { .size = 4096 + n * SESSION_LINE_MAX };
        int k;

        if (r->person.id > PERSON_ID_MAX)
                return -EINVAL;
        buf = o.buf = malloc(o.size);
        if (!buf)
                return -ENOMEM;
        k = format_record(r, &o);
        if (k < 0)
                return k;
        id_name(r->person.id, name);
        return write_file_atomic_at(dir_fd, name, o.buf, o.len, 0600);
}

/* ---- reading ---- */

enum key {
        KEY_NAME,
        KEY_CONDITIONS,
        KEY_INTENSITY_CAP,
        KEY_HEAT_CAP,
        KEY_SHOULDER,
        KEY_SHOULDER_ADJUST,
        KEY_MEMORY1,
        KEY_MEMORY2,
        KEY_TIMER,
        KEY_HEAT_PREF,
        KEY_ASSESSMENT,
        KEY_ASSESSMENT_USED_BY,
        KEY_SESSION,
        _KEY_MAX,
};

static const char *const key_table[_KEY_MAX] = {
        [KEY_NAME] = "name",
        [KEY_CONDITIONS] = "conditions",
        [KEY_INTENSITY_CAP] = "intensity_cap",
        [KEY_HEAT_CAP] = "heat_cap",
        [KEY_SHOULDER] = "shoulder",
        [KEY_SHOULDER_ADJUST] = "shoulder_adjust",
        [KEY_MEMORY1] = "memory1",
        [KEY_MEMORY2] = "memory2",
        [KEY_TIMER] = "timer",
        [KEY_HEAT_PREF] = "heat_pref",
        [KEY_ASSESSMENT] = "assessment",
        [KEY_ASSESSMENT_USED_BY] = "assessment_used_by",
        [KEY_SESSION] = "session",
};

struct loader {
        struct person_record *rec;
        size_t history_size;
        bool seen[_KEY_MAX];    /* a readable line of that key was read: a second one is bad */
        bool conditions_bad;    /* any doubt about the conditions line */
        bool out_of_memory;     /* nothing may be rewritten from a partial read */
};

static int key_from_string(const char *s) {
        for (size_t i = 0; i < ARRAY_SIZE(key_table); i++)
                if (strcmp(key_table[i], s) == 0)
                        return (int) i;
        return -EINVAL;
}

static int parse_conditions(struct person *p, char *v) {
        char *names[CONDITIONS_N_MAX + 1];
        char **list;
        size_t n = 0;

        if (strlen(v) >= CONDITIONS_MAX || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-,") != strlen(v))
                return -EINVAL;
        if (*v) {
                n = split(v, ',', names, CONDITIONS_N_MAX);
                if (n > CONDITIONS_N_MAX)
                        return -E2BIG;
        }
        for (size_t i = 0; i < n; i++)
                if (!precaution_find(names[i]))
                        return -ENOENT;
        list = calloc(n + 1, sizeof *list);
        if (!list)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (!(list[i] = strdup(names[i]))) {
                        strv_free(list);
                        return -ENOMEM;
                }
        strv_free(p->conditions);
        p->conditions = list;
        return 0;
}

static int parse_assessment(struct assessment *ret, char *v) {
        char *f[ASSESSMENT_FIELDS];
        struct assessment a = {};
        unsigned long long t;
        int goal;

        if (split(v, ',', f, ASSESSMENT_FIELDS) != ASSESSMENT_FIELDS)
                return -EINVAL;
        goal = massage_goal_from_string(f[1]);
        if (parse_unsigned(f[0], UINT64_MAX, &t) < 0 || t == 0 || goal < 0)
                return -EINVAL;
        a.time_usec = t;
        a.goal = (enum massage_goal) goal;
        for (size_t i = 0; i < _PAIN_AREA_MAX; i++)
                if (parse_pain(f[2 + i], &a.pain[i]) < 0)
                        return -ERANGE;
        if (parse_pain(f[ASSESSMENT_FIELDS - 1], &a.pain_now) < 0)
                return -ERANGE;
        *ret = a;
        return 0;
}

static int add_session(struct loader *l, char *v) {
        struct person_record *rec = l->rec;
        struct history_entry e;
        int r;

        r = parse_session(v, &e);
        if (r < 0)
                return r;
        if (rec->n_history == HISTORY_MAX) {
                /* More than the daemon keeps: the oldest go. */
                memmove(rec->history, rec->history + 1, (HISTORY_MAX - 1) * sizeof e);
                rec->n_history--;
        }
        if (rec->n_history == l->history_size) {
                size_t size = l->history_size ? 2 * l->history_size : 16;
                struct history_entry *h = reallocarray(rec->history, MIN(size, (size_t) HISTORY_MAX), sizeof *h);
                if (!h)
                        return -ENOMEM;
                rec->history = h;
                l->history_size = MIN(size, (size_t) HISTORY_MAX);
        }
        rec->history[rec->n_history++] = e;
        return 0;
}

static int parse_value(struct loader *l, enum key k, char *eq);

/* One line: 0, or a negative errno when it is unreadable (and is dropped). */
static int parse_line(struct loader *l, char *line) {
        char *eq = strchr(line, '=');
        int k, r;

        if (!eq)
                return -EINVAL;
        *eq++ = 0;
        k = key_from_string(line);
        if (k < 0)
                return -EINVAL;
        /* Twice is as untrustworthy as garbage: which one was meant? The first readable one
         * stays, except for the conditions, which any doubt makes unknown. */
        if (k != KEY_SESSION && l->seen[k]) {
                if (k == KEY_CONDITIONS)
                        l->conditions_bad = true;
                return -EEXIST;
        }
        r = parse_value(l, (enum key) k, eq);
        if (r >= 0 || k == KEY_CONDITIONS)
                l->seen[k] = true;
        return r;
}

static int parse_value(struct loader *l, enum key k, char *eq) {
        struct person *p = &l->rec->person;
        int r;

        switch (k) {
        case KEY_NAME: {
                char name[3 * PERSON_NAME_MAX + 1];
                if (strlen(eq) >= sizeof name)
                        return -EINVAL;
                memcpy(name, eq, strlen(eq) + 1);
                if (text_unescape(name) < 0 || !name_ok(name))
                        return -EINVAL;
                memcpy(p->name, name, strlen(name) + 1);
                return 0;
        }
        case KEY_CONDITIONS:
                r = parse_conditions(p, eq);
                if (r < 0)
                        l->conditions_bad = true;
                return r;
        case KEY_INTENSITY_CAP:
                return parse_u32(eq, 1, 5, &p->intensity_cap);
        case KEY_HEAT_CAP:
                return parse_u32(eq, 0, 3, &p->heat_cap);
        case KEY_SHOULDER: {
                long long v;
                r = parse_integer(eq, -1, SHOULDER_MM_MAX, &v);
                if (r >= 0)
                        p->shoulder_mm = (int32_t) v;
                return r;
        }
        case KEY_SHOULDER_ADJUST: {
                long long v;
                r = parse_integer(eq, -SHOULDER_ADJUST_MAX, SHOULDER_ADJUST_MAX, &v);
                if (r >= 0)
                        p->shoulder_adjust = (int32_t) v;
                return r;
        }
        case KEY_MEMORY1:
        case KEY_MEMORY2:
                return memory_slot_parse(eq, &p->memory[k == KEY_MEMORY2]);
        case KEY_TIMER: {
                uint32_t t;
                r = parse_u32(eq, 0, UINT32_MAX, &t);
                if (r >= 0 && t && !chair_timer_valid(t))
                        r = -ERANGE;
                if (r >= 0)
                        p->timer_min = t;
                return r;
        }
        case KEY_HEAT_PREF: {
                char *f[2];
                uint32_t lumbar, calves;
                if (split(eq, ',', f, 2) != 2 || parse_u32(f[0], 0, 3, &lumbar) < 0 || parse_u32(f[1], 0, 3, &calves) < 0)
                        return -EINVAL;
                p->heat_pref[0] = lumbar;
                p->heat_pref[1] = calves;
                return 0;
        }
        case KEY_ASSESSMENT:
                return parse_assessment(&p->assessment, eq);
        case KEY_ASSESSMENT_USED_BY: {
                unsigned long long v;
                r = parse_unsigned(eq, UINT64_MAX, &v);
                if (r >= 0)
                        p->assessment_used_by = v;
                return r;
        }
        case KEY_SESSION:
                return add_session(l, eq);
        case _KEY_MAX:
                break;
        }
        return -EINVAL;
}

int person_record_init(struct person_record *rec, uint32_t id) {
        struct person *p = &rec->person;

        if (id > PERSON_ID_MAX)
                return -EINVAL;
        *rec = (struct person_record) {};
        p->conditions = calloc(1, sizeof(char *));
        if (!p->conditions)
                return -ENOMEM;
        p->id = id;
        /* A name that could not be read: one the person can see and rename. */
        if (id == PERSON_GUEST_ID)
                snprintf(p->name, sizeof p->name, "guest");
        else
                snprintf(p->name, sizeof p->name, "person %" PRIu32, id);
        p->intensity_cap = 5;
        p->heat_cap = 3;
        p->shoulder_mm = -1;
        for (size_t i = 0; i < _PAIN_AREA_MAX; i++)
                p->assessment.pain[i] = PAIN_NOT_RATED;
        p->assessment.pain_now = PAIN_NOT_RATED;
        return 0;
}

/* Every line of TEXT; returns the 1-based number of the first unreadable one (0: none) and
 * what was wrong with it in WHY. */
static unsigned parse_text(struct loader *l, char *text, size_t len, const char **why) {
        unsigned n = 0, bad = 0;
        size_t pos = 0;

        while (pos < len) {
                char *line = text + pos, *nl = memchr(line, '\n', len - pos);
                size_t line_len = nl ? (size_t) (nl - line) : len - pos;
                const char *what = NULL;
                int r;

                pos += line_len + 1;
                n++;
                line[line_len] = 0;
                if (line_len >= LINE_MAX_LEN)
                        what = "a line longer than any the daemon writes";
                else if (strlen(line) != line_len)
                        what = "a NUL byte";
                else if (!utf8_valid(line, line_len))
                        what = "invalid UTF-8";
                else {
                        for (const char *c = line; *c && !what; c++)
                                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                                        what = "a control character";
                }
                if (!what && (r = parse_line(l, line)) < 0) {
                        if (r == -ENOMEM) {
                                l->out_of_memory = true;
                                return 0;
                        }
                        what = r == -EEXIST         ? "a second line of that key"
                               : r == -ERANGE         ? "a value out of range"
                               : r == -ENOENT         ? "an unknown condition"
                                                      : "not a line of a person file";
                }
                if (what && !bad) {
                        bad = n;
                        *why = what;
                }
        }
        return bad;
}

int person_file_load(int dir_fd, uint32_t id, struct person_record *ret) {
        _cleanup_free_ char *text = NULL;
        struct person_record rec;
        struct loader l = { .rec = &rec };
        char name[16], dir[256], display[300], err[400];
        const char *why = NULL;
        unsigned bad;
        size_t len;
        int r;

        if (id > PERSON_ID_MAX)
                return -EINVAL;
        id_name(id, name);
        dir_display(dir_fd, dir, sizeof dir);
        snprintf(display, sizeof display, "%s/%s", dir, name);
        r = read_untrusted_file(dir_fd, name, display, PERSON_FILE_MAX, UNTRUSTED_NOFOLLOW, &text, &len, err, sizeof err);
        if (untrusted_file_refused(r)) {
                (void) move_aside_at(dir_fd, dir, name, why_of(err, display));
                return -EBADMSG;
        }
        if (r < 0) {
                if (r != -ENOENT)
                        log_warning("%s", err);
                return r;
        }
        r = person_record_init(&rec, id);
        if (r < 0)
                return r;
        bad = parse_text(&l, text, len, &why);
        if (l.out_of_memory) {
                person_record_done(&rec);
                return -ENOMEM;
        }
        if (!l.seen[KEY_CONDITIONS] || l.conditions_bad) {
                /* Fail closed: nothing moves until the person declares them again. */
                strv_free(rec.person.conditions);
                rec.person.conditions = calloc(1, sizeof(char *));
                rec.person.conditions_unreadable = true;
                if (!rec.person.conditions) {
                        person_record_done(&rec);
                        return -ENOMEM;
                }
        }
        if (!l.seen[KEY_NAME] && !bad) {
                bad = 1;
                why = "no name line";
        }
        if (bad) {
                char aside[64];
                snprintf(aside, sizeof aside, "%s.corrupt-%lld", name, (long long) time(NULL));
                if (renameat(dir_fd, name, dir_fd, aside) < 0)
                        log_warning("%s:%u: %s; keeping the readable lines%s, could not move it aside: %m", display, bad,
                                    why, rec.person.conditions_unreadable ? " (the conditions are unknown)" : "");
                else
                        log_warning("%s:%u: %s; keeping the readable lines%s, moved aside to %s/%s.", display, bad, why,
                                    rec.person.conditions_unreadable ? " (the conditions are unknown)" : "", dir, aside);
                r = person_file_save(dir_fd, &rec);
                if (r < 0)
                        log_warning_errno(r, "%s: could not write the readable lines back: %m", display);
        } else if (rec.person.conditions_unreadable)
                log_warning("%s: no conditions line; the declared conditions are unknown until declared again.", display);
        *ret = rec;
        return 0;
}

/* ---- delete ---- */

/* Empties and removes NAME.programs: every entry that is not a directory is unlinked (a link
 * itself, never its target); the directory itself is opened O_NOFOLLOW, and a link planted
 * in its place is unlinked. */
static int remove_programs(int dir_fd, const char *name) {
        DIR *d;
        struct dirent *de;
        int fd, r = 0;

        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                if (errno == ELOOP || errno == ENOTDIR)
                        return unlinkat(dir_fd, name, 0) < 0 ? -errno : 0;
                return -errno;
        }
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        while ((de = readdir(d))) {
                struct stat st;
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                /* We never make subdirectories there: refuse to descend into one. */
                if (S_ISDIR(st.st_mode)) {
                        r = -ENOTEMPTY;
                        continue;
                }
                if (unlinkat(fd, de->d_name, 0) < 0 && r == 0)
                        r = -errno;
        }
        closedir(d);
        if (r == 0 && unlinkat(dir_fd, name, AT_REMOVEDIR) < 0)
                r = -errno;
        return r;
}

/* Whether ENTRY is a copy of NAME moved aside (NAME.corrupt-*, NAME.rejected-*): those hold the
 * person's health data too. */
static bool is_aside_copy(const char *entry, const char *name) {
        static const char *const kinds[] = { ".corrupt-", ".rejected-" };
        size_t n = strlen(name);

        if (strncmp(entry, name, n) != 0)
                return false;
        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
                if (strncmp(entry + n, kinds[i], strlen(kinds[i])) == 0)
                        return true;
        return false;
}

/* Unlinks every copy of NAME moved aside (a link itself, never its target). A directory of that
 * name is none of ours (we never make one) and is left, logged. The first error is returned
 * after every other copy has been tried. */
static int remove_aside_copies(int dir_fd, const char *name) {
        char dir[256];
        struct dirent *de;
        DIR *d;
        int fd, r = 0;

        fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        while ((de = readdir(d))) {
                struct stat st;
                if (!is_aside_copy(de->d_name, name))
                        continue;
                if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno != ENOENT && r == 0)
                                r = -errno;
                        continue;
                }
                if (S_ISDIR(st.st_mode)) {
                        dir_display(dir_fd, dir, sizeof dir);
                        log_warning("%s/%s: a directory, not a copy this daemon made: left.", dir, de->d_name);
                        continue;
                }
                if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT && r == 0)
                        r = -errno;
        }
        closedir(d);
        return r;
}

int person_file_delete(int dir_fd, uint32_t id) {
        char name[16], programs[32], dir[256];
        int r;

        if (id > PERSON_ID_MAX)
                return -EINVAL;
        id_name(id, name);
        snprintf(programs, sizeof programs, "%s.programs", name);
        /* The health data first, the copies moved aside before the file: a copy that cannot be
         * removed keeps the person (the delete can be tried again), never an orphaned copy. */
        r = remove_aside_copies(dir_fd, name);
        if (r < 0)
                return r;
        if (unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT)
                return -errno;
        /* The person is gone now whatever is left of their programs (only the daemon's user
         * can write there): a leftover is logged, not an error that would keep them. */
        r = remove_programs(dir_fd, programs);
        if (r < 0) {
                dir_display(dir_fd, dir, sizeof dir);
                log_warning_errno(r, "%s/%s: could not remove all of it: %m", dir, programs);
        }
        return 0;
}

/* ---- next-id ---- */

int person_file_load_next_id(int dir_fd, uint32_t *ret) {
        _cleanup_free_ char *text = NULL;
        char dir[256], display[300], err[400];
        unsigned long long v;
        size_t len;
        int r;

        dir_display(dir_fd, dir, sizeof dir);
        snprintf(display, sizeof display, "%s/%s", dir, NEXT_ID_FILE);
        r = read_untrusted_file(dir_fd, NEXT_ID_FILE, display, NEXT_ID_FILE_MAX, UNTRUSTED_NOFOLLOW | UNTRUSTED_TEXT,
                                &text, &len, err, sizeof err);
        if (untrusted_file_refused(r)) {
                (void) move_aside_at(dir_fd, dir, NEXT_ID_FILE, why_of(err, display));
                return -EBADMSG;
        }
        if (r < 0) {
                if (r != -ENOENT)
                        log_warning("%s", err);
                return r == -EILSEQ ? -EBADMSG : r;
        }
        if (len && text[len - 1] == '\n')
                text[--len] = 0;
        if (parse_unsigned(text, PERSON_ID_MAX + 1, &v) < 0 || v == 0) {
                log_warning("%s:1: not an id from 1 to %u.", display, PERSON_ID_MAX + 1);
                return -EBADMSG;
        }
        *ret = (uint32_t) v;
        return 0;
}

int person_file_save_next_id(int dir_fd, uint32_t next_id) {
        char text[16];
        int n;

        if (next_id == 0 || next_id > PERSON_ID_MAX + 1)
                return -ERANGE;
        n = snprintf(text, sizeof text, "%" PRIu32 "\n", next_id);
        return write_file_atomic_at(dir_fd, NEXT_ID_FILE, text, (size_t) n, 0600);
}
