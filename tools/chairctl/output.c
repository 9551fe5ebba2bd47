/* SPDX-License-Identifier: MIT */
#include "output.h"

void json_string(FILE *f, const char *s) {
        fputc('"', f);
        for (; s && *s; s++) {
                unsigned char c = (unsigned char) *s;
                if (c == '"' || c == '\\')
                        fprintf(f, "\\%c", c);
                else if (c == '\n')
                        fputs("\\n", f);
                else if (c == '\t')
                        fputs("\\t", f);
                else if (c < 0x20)
                        fprintf(f, "\\u%04x", c);
                else
                        fputc(c, f);
        }
        fputc('"', f);
}

static void separator(struct json *j, const char *key) {
        if (j->depth > 0) {
                if (!j->first[j->depth])
                        fputc(',', j->f);
                j->first[j->depth] = false;
        }
        if (key) {
                json_string(j->f, key);
                fputc(':', j->f);
        }
}

static void open_container(struct json *j, const char *key, char c) {
        separator(j, key);
        fputc(c, j->f);
        if (j->depth < 15)
                j->depth++;
        j->first[j->depth] = true;
}

static void close_container(struct json *j, char c) {
        fputc(c, j->f);
        if (j->depth > 0)
                j->depth--;
        if (j->depth == 0)
                fputc('\n', j->f);
}

void json_begin_object(struct json *j, const char *key) {
        open_container(j, key, '{');
}

void json_end_object(struct json *j) {
        close_container(j, '}');
}

void json_begin_array(struct json *j, const char *key) {
        open_container(j, key, '[');
}

void json_end_array(struct json *j) {
        close_container(j, ']');
}

void json_str(struct json *j, const char *key, const char *value) {
        separator(j, key);
        json_string(j->f, value);
}

void json_int(struct json *j, const char *key, long long value) {
        separator(j, key);
        fprintf(j->f, "%lld", value);
}

void json_uint(struct json *j, const char *key, unsigned long long value) {
        separator(j, key);
        fprintf(j->f, "%llu", value);
}

void json_double(struct json *j, const char *key, double value) {
        separator(j, key);
        fprintf(j->f, "%.1f", value);
}

void json_bool(struct json *j, const char *key, bool value) {
        separator(j, key);
        fputs(value ? "true" : "false", j->f);
}
