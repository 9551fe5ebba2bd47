/* SPDX-License-Identifier: MIT */
/* chairctl's output: plain text for people, or JSON (--json) for scripts. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "macro.h"

/* Writes s as a JSON string, quotes included. */
void json_string(FILE *f, const char *s);

/* A tiny streaming JSON writer that places the commas itself; pretty indents by two. */
struct json {
        FILE *f;
        bool pretty;
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

/* The width to fit plain output to: the terminal's, else $COLUMNS, else 0 (no limit: a pipe
 * gets everything, as systemd's tools do). */
unsigned output_columns(void);
/* Prints s in at most width columns (0: no limit), ending it with "…" when it is cut. */
void print_ellipsized(FILE *f, const char *s, unsigned width);
/* Pipes stdout through $CHAIRCTL_PAGER, $PAGER or "less" when it is a terminal and returns the
 * pager's pid, which pager_close() waits for; 0 (nothing done) without a terminal or when the
 * pager cannot start. */
pid_t pager_open(void);
void pager_close(pid_t pager);
/* ISO 8601 in UTC (2026-12-01T13:30:00Z): the one convention of every time chairctl prints,
 * the history's, the fault log's and the monitor's (man/chairctl.1). */
void format_time_usec(uint64_t usec, char *buf, size_t size);

/* A usage error: "chairctl: MESSAGE. Try 'HELP'." on stderr; returns EXIT_USAGE. */
_printf_(2, 3) int chairctl_usage(const char *help, const char *fmt, ...);
/* A level or a count: base 10, min-max, and no sign ("+3" is as wrong as "-3"). 0 or -EINVAL. */
int chairctl_parse_uint(const char *s, unsigned min, unsigned max, unsigned *ret);
