/* SPDX-License-Identifier: MIT */
/*
 * The one way to read a file the daemon does not trust (the hardware map, profiles, uploads,
 * the state files): nothing can make it block or read without bound.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

enum {
        /* Refuse a symlink as the last component (the state directory, profiles.d). */
        UNTRUSTED_NOFOLLOW = 1 << 0,
        /* The contents must be UTF-8 text without NUL bytes. */
        UNTRUSTED_TEXT = 1 << 1,
};

/* Opens NAME relative to DIRFD (AT_FDCWD for a plain path) with O_RDONLY|O_NONBLOCK|O_CLOEXEC
 * (and O_NOFOLLOW when asked), refuses anything but a regular file before and after opening
 * (a FIFO, a device, a directory: refused at once, never read), refuses more than MAX_SIZE
 * bytes before reading, then reads it whole into a NUL-terminated buffer.
 *
 * Returns 0, or a negative errno with a message in ERR: "PATH: why" or, for text errors,
 * "PATH:LINE: why". -ENOENT when there is no such file. DISPLAY names the file in messages. */
int read_untrusted_file(int dirfd, const char *name, const char *display, size_t max_size, unsigned flags,
                        char **ret, size_t *ret_len, char *err, size_t err_size);

/* Whether an error of read_untrusted_file means the file itself was refused, unread: a link
 * (with UNTRUSTED_NOFOLLOW), a directory, a FIFO or device, or too large. Such a file in a
 * directory the daemon reads again and again is moved aside. */
static inline bool untrusted_file_refused(int r) {
        return r == -ELOOP || r == -EISDIR || r == -EBADFD || r == -EFBIG;
}

/* Checks text: no NUL byte, valid UTF-8 (no overlong forms, surrogates or values above
 * U+10FFFF). Returns 0 or -EILSEQ with the 1-based line of the first bad byte and what it is. */
int text_check(const char *text, size_t len, unsigned *ret_line, const char **ret_what);
bool utf8_valid(const char *s, size_t len);
/* The length of the valid UTF-8 sequence at S (1-4; LEFT bytes there), or 0 when it is not one. */
size_t utf8_seq(const unsigned char *s, size_t left);
/* Replaces every byte of an invalid UTF-8 sequence in S (NUL-terminated) by '?'. */
void utf8_sanitize(char *s);
void utf8_sanitize_len(char *s, size_t len);

/* Renames NAME in DIRFD to NAME.rejected-UNIXTIME (renameat never follows a symlink: the link
 * itself moves) and logs a warning with WHY. Returns 0 or a negative errno. */
int move_aside_at(int dirfd, const char *dir_display, const char *name, const char *why);
