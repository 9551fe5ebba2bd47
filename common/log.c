/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

#include "log.h"

/* Process-wide by nature: there is one stderr and one journal connection per process. */
static struct {
        bool to_journal;
        int max_priority;
} log_target = { false, LOG_INFO };

static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%lu:%lu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return st.st_dev == dev && st.st_ino == ino;
}

void log_setup(int max_priority) {
        log_target.to_journal = stderr_is_journal();
        log_target.max_priority = max_priority;
}

void log_set_max_priority(int max_priority) {
        log_target.max_priority = max_priority;
}

static void log_va(int priority, const char *fmt, va_list ap) {
        static const char *const names[] = { "emerg", "alert", "crit", "error",
                                             "warning", "notice", "info", "debug" };
        if (priority > log_target.max_priority)
                return;
        if (log_target.to_journal) {
                sd_journal_printv(priority, fmt, ap);
                return;
        }
        fprintf(stderr, "massagechaird[%s]: ", names[priority & 7]);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
}

void log_full(int priority, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        log_va(priority, fmt, ap);
        va_end(ap);
}

int log_full_errno(int priority, int error, const char *fmt, ...) {
        int saved = errno;
        va_list ap;

        error = error < 0 ? -error : error;
        errno = error;
        va_start(ap, fmt);
        log_va(priority, fmt, ap);
        va_end(ap);
        errno = saved;
        return -error;
}

void log_struct_id(int priority, const char *message_id, const char *fmt, ...) {
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (priority > log_target.max_priority)
                return;
        if (log_target.to_journal) {
                sd_journal_send("MESSAGE=%s", msg, "MESSAGE_ID=%s", message_id,
                                "PRIORITY=%i", priority, "SYSLOG_IDENTIFIER=massagechaird", NULL);
                return;
        }
        log_full(priority, "%s", msg);
}
