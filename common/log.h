/* SPDX-License-Identifier: MIT */
/*
 * Logging: to the journal with priorities when stderr is connected to it (JOURNAL_STREAM),
 * otherwise to stderr with a "<level>" prefix. Never call from the scheduler's thread.
 */
#pragma once

#include <syslog.h>

#include "macro.h"

/* Decides once where log lines go and the lowest priority shown. */
void log_setup(int max_priority);
void log_set_max_priority(int max_priority);
_printf_(2, 3) void log_full(int priority, const char *fmt, ...);
/* Logs and returns -abs(error), so "return log_error_errno(r, ...)" reads naturally. */
_printf_(3, 4) int log_full_errno(int priority, int error, const char *fmt, ...);
/* A structured journal entry with a MESSAGE_ID (32 hex digits) plus extra FIELD=value pairs. */
_printf_(3, 4) void log_struct_id(int priority, const char *message_id, const char *fmt, ...);

#define log_debug(...)   log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)    log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...)  log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...)   log_full(LOG_ERR, __VA_ARGS__)
#define log_error_errno(e, ...)   log_full_errno(LOG_ERR, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
