/* SPDX-License-Identifier: MIT */
/* chairctl's output: plain text for people, or JSON (--json) for scripts. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

/* Writes s as a JSON string, quotes included. */
void json_string(FILE *f, const char *s);

/* A tiny streaming JSON writer that places the commas itself. */
struct json {
        FILE *f;
        int depth;
        bool first[16];
};

void json_begin_object(struct json *j, const char *key);
void json_end_object(struct json *j);
void json_begin_array(struct json *j, const char *key);
void json_end_array(struct json *j);
void json_str(struct json *j, const char *key, const char *value);
void json_int(struct json *j, const char *key, long long value);
void json_uint(struct json *j, const char *key, unsigned long long value);
void json_double(struct json *j, const char *key, double value);
void json_bool(struct json *j, const char *key, bool value);
