/* SPDX-License-Identifier: MIT */
/*
 * Strict INI reading on top of inih, shared by the hardware map and the profile loader:
 * line numbers for every key (Debian's inih gives the handler none, so lines are counted
 * here through ini_parse_stream's reader), duplicate sections and keys detected, over-long
 * lines refused, and bounded value parsers with one wording for their errors. The profile
 * loader takes the keys as they come (strict_ini_parse); the map reads the whole file first
 * (ini_document) and then checks it through its key tables.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define STRICT_INI_MAX_LINE 200

/* Every error of a file, each "FILE:LINE: message", newline-separated. */
struct ini_errors {
        char text[4096];
        size_t len;
        unsigned count;
};

void ini_errors_add(struct ini_errors *e, const char *path, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

struct strict_ini_handlers {
        /* A "[name]" header; duplicates are reported before this is called. */
        void (*section)(void *userdata, const char *name, unsigned line);
        /* A "key = value" line; duplicate keys in a section are reported instead. */
        void (*key)(void *userdata, const char *key, const char *value, unsigned line);
};

/* Parses from a FILE (text may be NULL) or from text of the given length. Errors of syntax go
 * to *errors; returns the number of errors found so far. */
int strict_ini_parse(const char *path, FILE *f, const char *text, size_t len,
                     const struct strict_ini_handlers *h, void *userdata, struct ini_errors *errors);

/* The parsed file, before any checking: its sections and keys in file order, each with its
 * line. A checker reads keys by name (ini_section_get marks them read) and then reports every
 * key nothing read (Klipper's configfile tracks option access the same way). Duplicate
 * sections and keys, and the keys of a refused header, were reported and are not in it. */
struct ini_key {
        char *name, *value;
        unsigned line;
        bool used;
};

struct ini_section {
        char *name;
        unsigned line;
        struct ini_key *keys;
        size_t n_keys;
};

struct ini_document {
        struct ini_section *sections;
        size_t n_sections;
        bool stopped;           /* a line too long ended the parse: what follows is unread */
};

/* Parses TEXT (LEN bytes) into *RET; errors of syntax go to *errors. Returns the number of
 * errors, or -ENOMEM. Free *RET with ini_document_free in either case. */
int ini_document_parse(const char *path, const char *text, size_t len, struct ini_document *ret,
                       struct ini_errors *errors);
void ini_document_free(struct ini_document *d);
/* The key NAME of S, marked read, or NULL. */
struct ini_key *ini_section_get(struct ini_section *s, const char *name);

/* Whether what follows a section header's ']' is blanks or a comment. */
bool ini_rest_is_blank(const char *s);

/* Value parsers (base-10 integers, plain decimals: common/parse-number.h): 0, or an error added naming the key and what was expected. */
int ini_int(struct ini_errors *e, const char *path, unsigned line, const char *key, const char *v,
            long long min, long long max, long long *ret);
int ini_double(struct ini_errors *e, const char *path, unsigned line, const char *key, const char *v,
               double min, double max, double *ret);
int ini_bool(struct ini_errors *e, const char *path, unsigned line, const char *key, const char *v, bool *ret);
int ini_choice(struct ini_errors *e, const char *path, unsigned line, const char *key, const char *v,
               const char *const *choices, size_t n, int *ret);
