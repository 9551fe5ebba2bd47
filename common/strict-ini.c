/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "parse-number.h"
#include "strict-ini.h"
#include "untrusted-file.h"

#define MAX_SECTIONS 128
#define MAX_KEYS 48

struct parser {
        const char *path;
        FILE *file;
        const char *text;
        size_t len, pos;
        unsigned line;
        bool stop;
        const struct strict_ini_handlers *h;
        void *userdata;
        struct ini_errors *errors;
        char sections[MAX_SECTIONS][STRICT_INI_MAX_LINE];
        unsigned n_sections;
        char keys[MAX_KEYS][STRICT_INI_MAX_LINE];
        unsigned n_keys;
        bool skip_section;   /* a duplicate section: its keys go nowhere */
};

void ini_errors_add(struct ini_errors *e, const char *path, unsigned line, const char *fmt, ...) {
        va_list ap;
        int n;

        e->count++;
        if (e->len + 2 >= sizeof e->text)
                return;
        n = snprintf(e->text + e->len, sizeof e->text - e->len, "%s%s:%u: ", e->len ? "\n" : "", path, line);
        if (n > 0)
                e->len = MIN(e->len + (size_t) n, sizeof e->text - 1);
        va_start(ap, fmt);
        n = vsnprintf(e->text + e->len, sizeof e->text - e->len, fmt, ap);
        va_end(ap);
        if (n > 0)
                e->len = MIN(e->len + (size_t) n, sizeof e->text - 1);
}

static char *next_line(struct parser *p, char *str, int num) {
        if (p->file)
                return fgets(str, num, p->file);
        if (p->pos >= p->len)
                return NULL;
        {
                size_t n = 0;
                while (p->pos < p->len && n + 1 < (size_t) num) {
                        char c = p->text[p->pos++];
                        str[n++] = c;
                        if (c == '\n')
                                break;
                }
                str[n] = 0;
        }
        return str;
}

static bool at_end(struct parser *p) {
        return p->file ? feof(p->file) : p->pos >= p->len;
}

static void begin_section(struct parser *p, const char *name) {
        p->n_keys = 0;
        p->skip_section = false;
        for (unsigned i = 0; i < p->n_sections; i++)
                if (strcmp(p->sections[i], name) == 0) {
                        ini_errors_add(p->errors, p->path, p->line, "duplicate section [%s]", name);
                        p->skip_section = true;
                        return;
                }
        if (p->n_sections < MAX_SECTIONS)
                snprintf(p->sections[p->n_sections++], sizeof p->sections[0], "%s", name);
        p->h->section(p->userdata, name, p->line);
}

bool ini_rest_is_blank(const char *s) {
        s += strspn(s, " \t\r\n");
        return !*s || *s == ';' || *s == '#';
}

static char *reader(char *str, int num, void *userdata) {
        struct parser *p = userdata;
        size_t len;
        char *s;

        if (p->stop || !next_line(p, str, num))
                return NULL;
        p->line++;
        len = strlen(str);
        if (len == (size_t) num - 1 && str[len - 1] != '\n' && !at_end(p)) {
                ini_errors_add(p->errors, p->path, p->line, "line longer than %d characters", num - 2);
                p->stop = true;
                return NULL;
        }
        s = str + strspn(str, " \t");
        if (*s == '[') {
                char *end = strchr(s, ']');
                if (end && !ini_rest_is_blank(end + 1)) {
                        /* inih would take "[a] [b]" as [a] and drop the rest unseen. */
                        ini_errors_add(p->errors, p->path, p->line, "text after the section header (one section per line)");
                        p->n_keys = 0;
                        p->skip_section = true; /* its keys go nowhere */
                        return str;
                }
                if (end) {
                        char name[STRICT_INI_MAX_LINE];
                        size_t n = MIN((size_t) (end - s - 1), sizeof name - 1);
                        memcpy(name, s + 1, n);
                        name[n] = 0;
                        begin_section(p, name);
                }
        }
        return str;
}

static int handler(void *userdata, const char *section, const char *key, const char *value) {
        struct parser *p = userdata;

        if (!*section) {
                ini_errors_add(p->errors, p->path, p->line, "key '%s' outside of any section", key);
                return 1;
        }
        if (p->skip_section)
                return 1;
        for (unsigned i = 0; i < p->n_keys; i++)
                if (strcmp(p->keys[i], key) == 0) {
                        ini_errors_add(p->errors, p->path, p->line, "duplicate key '%s' in [%s]", key, section);
                        return 1;
                }
        if (p->n_keys < MAX_KEYS)
                snprintf(p->keys[p->n_keys++], sizeof p->keys[0], "%s", key);
        p->h->key(p->userdata, key, value, p->line);
        return 1; /* keep going: every error of the file at once */
}

static int parse(const char *path, FILE *f, const char *text, size_t len, const struct strict_ini_handlers *h,
                 void *userdata, struct ini_errors *errors, bool *ret_stopped) {
        struct parser *p = calloc(1, sizeof *p);
        int r, count;

        if (!p)
                return -ENOMEM;
        if (text) {
                unsigned line;
                const char *what;
                if (text_check(text, len, &line, &what) < 0) {
                        ini_errors_add(errors, path, line, "the file contains %s", what);
                        free(p);
                        return (int) errors->count;
                }
        }
        *p = (struct parser) { .path = path, .file = f, .text = text, .len = len, .h = h, .userdata = userdata,
                               .errors = errors };
        r = ini_parse_stream(reader, p, handler, p);
        if (r > 0 && !p->stop)
                ini_errors_add(errors, path, (unsigned) r, "syntax error (expected [section], key = value or a comment)");
        else if (r < 0)
                ini_errors_add(errors, path, p->line, "cannot parse (error %d)", r);
        count = (int) errors->count;
        if (ret_stopped)
                *ret_stopped = p->stop;
        free(p);
        return count;
}

int strict_ini_parse(const char *path, FILE *f, const char *text, size_t len,
                     const struct strict_ini_handlers *h, void *userdata, struct ini_errors *errors) {
        return parse(path, f, text, len, h, userdata, errors, NULL);
}

struct doc_builder {
        struct ini_document *doc;
        bool failed;
};

static void doc_section(void *userdata, const char *name, unsigned line) {
        struct doc_builder *b = userdata;
        struct ini_document *d = b->doc;
        struct ini_section *n;

        if (b->failed)
                return;
        n = reallocarray(d->sections, d->n_sections + 1, sizeof *n);
        if (!n) {
                b->failed = true;
                return;
        }
        d->sections = n;
        n[d->n_sections] = (struct ini_section) { .name = strdup(name), .line = line };
        if (!n[d->n_sections].name)
                b->failed = true;
        d->n_sections++;
}

static void doc_key(void *userdata, const char *key, const char *value, unsigned line) {
        struct doc_builder *b = userdata;
        struct ini_section *s;
        struct ini_key *n;

        /* strict_ini_parse calls this only inside a section it announced. */
        if (b->failed || !b->doc->n_sections)
                return;
        s = &b->doc->sections[b->doc->n_sections - 1];
        n = reallocarray(s->keys, s->n_keys + 1, sizeof *n);
        if (!n) {
                b->failed = true;
                return;
        }
        s->keys = n;
        n[s->n_keys] = (struct ini_key) { .name = strdup(key), .value = strdup(value), .line = line };
        s->n_keys++;
        if (!n[s->n_keys - 1].name || !n[s->n_keys - 1].value)
                b->failed = true;
}

int ini_document_parse(const char *path, const char *text, size_t len, struct ini_document *ret,
                       struct ini_errors *errors) {
        static const struct strict_ini_handlers handlers = { doc_section, doc_key };
        struct doc_builder b = { .doc = ret };
        int r;

        *ret = (struct ini_document) {};
        r = parse(path, NULL, text ? text : "", len, &handlers, &b, errors, &ret->stopped);
        if (r < 0 || b.failed)
                return -ENOMEM;
        return r;
}

void ini_document_free(struct ini_document *d) {
        for (size_t i = 0; i < d->n_sections; i++) {
                for (size_t k = 0; k < d->sections[i].n_keys; k++) {
                        free(d->sections[i].keys[k].name);
                        free(d->sections[i].keys[k].value);
                }
                free(d->sections[i].keys);
                free(d->sections[i].name);
        }
        free(d->sections);
        *d = (struct ini_document) {};
}

struct ini_key *ini_section_get(struct ini_section *s, const char *name) {
        for (size_t i = 0; i < s->n_keys; i++)
                if (strcmp(s->keys[i].name, name) == 0) {
                        s->keys[i].used = true;
                        return &s->keys[i];
                }
        return NULL;
}

/* A number parser's verdict, worded once: range is "min..max" as the caller prints it. */
static int number_error(struct ini_errors *e, const char *path, unsigned line, const char *key, const char *v,
                        int r, const char *range, const char *kind) {
        if (r == -ERANGE)
                ini_errors_add(e, path, line, "%s = %s is out of range (%s)", key, v, range);
        else if (r < 0)
                ini_errors_add(e, path, line, "%s = '%s' is not %s", key, v, kind);
        return r;
}

int ini_int(struct ini_errors *e, const char *path, unsigned line, const char *key, const char *v,
            long long min, long long max, long long *ret) {
        char range[64];

        snprintf(range, sizeof range, "%lld..%lld", min, max);
        return number_error(e, path, line, key, v, parse_integer(v, min, max, ret), range,
                            "a whole number (base 10)");
}

int ini_double(struct ini_errors *e, const char *path, unsigned line, const char *key, const char *v,
               double min, double max, double *ret) {
        char range[64];

        snprintf(range, sizeof range, "%g..%g", min, max);
        return number_error(e, path, line, key, v, parse_decimal(v, min, max, ret), range, "a number");
}

int ini_bool(struct ini_errors *e, const char *path, unsigned line, const char *key, const char *v, bool *ret) {
        static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };
        for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
                if (strcmp(v, yes[i]) == 0)
                        return *ret = true, 0;
                if (strcmp(v, no[i]) == 0)
                        return *ret = false, 0;
        }
        ini_errors_add(e, path, line, "%s = '%s' is not a boolean (yes/no)", key, v);
        return -EINVAL;
}

int ini_choice(struct ini_errors *e, const char *path, unsigned line, const char *key, const char *v,
               const char *const *choices, size_t n, int *ret) {
        char list[300];
        size_t len = 0;

        for (size_t i = 0; i < n; i++)
                if (strcmp(v, choices[i]) == 0)
                        return *ret = (int) i, 0;
        list[0] = 0;
        for (size_t i = 0; i < n && len < sizeof list; i++)
                len += (size_t) snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", choices[i]);
        ini_errors_add(e, path, line, "%s = '%s' is not one of: %s", key, v, list);
        return -EINVAL;
}
