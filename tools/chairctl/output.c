/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chair-client.h"
#include "macro.h"
#include "output.h"
#include "parse-number.h"

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

static void newline(struct json *j) {
        if (j->pretty)
                fprintf(j->f, "\n%*s", 2 * j->depth, "");
}

static void separator(struct json *j, const char *key) {
        if (j->depth > 0) {
                if (!j->first[j->depth])
                        fputc(',', j->f);
                j->first[j->depth] = false;
                newline(j);
        }
        if (key) {
                json_string(j->f, key);
                fputs(j->pretty ? ": " : ":", j->f);
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
        bool empty = j->first[j->depth];
        if (j->depth > 0)
                j->depth--;
        if (!empty)
                newline(j);
        fputc(c, j->f);
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

unsigned output_columns(void) {
        struct winsize ws;
        const char *e = getenv("COLUMNS");
        if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
                return ws.ws_col;
        if (e) {
                long v = strtol(e, NULL, 10);
                if (v > 0 && v < 10000)
                        return (unsigned) v;
        }
        return 0;
}

void print_ellipsized(FILE *f, const char *s, unsigned width) {
        unsigned cols = 0;
        const char *p;

        /* Counts columns as UTF-8 code points: every text here is narrow. */
        for (p = s; *p; p++)
                cols += ((unsigned char) *p & 0xc0) != 0x80;
        if (!width || cols <= width) {
                fputs(s, f);
                return;
        }
        cols = 0;
        for (p = s; *p; p++) {
                if (((unsigned char) *p & 0xc0) != 0x80 && ++cols > width - 1)
                        break;
                fputc(*p, f);
        }
        fputs("…", f);
}

pid_t pager_open(void) {
        pid_t pager_pid;
        const char *pager = getenv("CHAIRCTL_PAGER");
        int fds[2];

        if (!isatty(STDOUT_FILENO))
                return 0;
        if (!pager)
                pager = getenv("PAGER");
        if (!pager || !*pager)
                pager = "less";
        if (strcmp(pager, "cat") == 0 || pipe(fds) < 0)
                return 0;
        fflush(stdout);
        pager_pid = fork();
        if (pager_pid < 0) {
                close(fds[0]);
                close(fds[1]);
                return 0;
        }
        if (pager_pid == 0) {
                dup2(fds[0], STDIN_FILENO);
                close(fds[0]);
                close(fds[1]);
                /* As systemd's tools: quit at one screen, keep colours, no init sequence. */
                setenv("LESS", "FRSXMK", 0);
                execlp("sh", "sh", "-c", pager, (char *) NULL);
                _exit(127);
        }
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        /* Leaving the pager early must not kill us with SIGPIPE before we wait for it. */
        signal(SIGPIPE, SIG_IGN);
        return pager_pid;
}

void pager_close(pid_t pager_pid) {
        if (pager_pid <= 0)
                return;
        fflush(stdout);
        fclose(stdout);
        while (waitpid(pager_pid, NULL, 0) < 0 && errno == EINTR)
                ;
}

void format_time_usec(uint64_t usec, char *buf, size_t size) {
        time_t s = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;
        if (!gmtime_r(&s, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
                snprintf(buf, size, "-");
}

int chairctl_usage(const char *help, const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "chairctl: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, ". Try '%s'.\n", help);
        return EXIT_USAGE;
}

int chairctl_parse_uint(const char *s, unsigned min, unsigned max, unsigned *ret) {
        long long v;

        if (*s == '+' || parse_integer(s, min, max, &v) < 0)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}
