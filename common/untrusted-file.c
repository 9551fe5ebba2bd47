/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "untrusted-file.h"

static const char *file_type(mode_t m) {
        return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" :
               S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : S_ISLNK(m) ? "a symbolic link" :
               "not a regular file";
}

size_t utf8_seq(const unsigned char *s, size_t left) {
        uint32_t c;
        size_t n;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2, c = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3, c = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4, c = s[0] & 0x07;
        else
                return 0;
        if (left < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = c << 6 | (s[i] & 0x3f);
        }
        if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        return n;
}

int text_check(const char *text, size_t len, unsigned *ret_line, const char **ret_what) {
        const unsigned char *s = (const unsigned char *) text;
        unsigned line = 1;

        for (size_t i = 0; i < len;) {
                size_t n;
                if (s[i] == 0) {
                        *ret_line = line;
                        *ret_what = "a NUL byte";
                        return -EILSEQ;
                }
                if (s[i] == '\n')
                        line++;
                n = utf8_seq(s + i, len - i);
                if (!n) {
                        *ret_line = line;
                        *ret_what = "invalid UTF-8";
                        return -EILSEQ;
                }
                i += n;
        }
        return 0;
}

bool utf8_valid(const char *s, size_t len) {
        for (size_t i = 0; i < len;) {
                size_t n = utf8_seq((const unsigned char *) s + i, len - i);
                if (!n)
                        return false;
                i += n;
        }
        return true;
}

void utf8_sanitize(char *s) {
        utf8_sanitize_len(s, strlen(s));
}

void utf8_sanitize_len(char *s, size_t len) {
        for (size_t i = 0; i < len;) {
                size_t n = utf8_seq((const unsigned char *) s + i, len - i);
                if (!n) {
                        s[i++] = '?';
                        continue;
                }
                i += n;
        }
}

int read_untrusted_file(int dirfd, const char *name, const char *display, size_t max_size, unsigned flags,
                        char **ret, size_t *ret_len, char *err, size_t err_size) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t len = 0;
        int nofollow = flags & UNTRUSTED_NOFOLLOW ? AT_SYMLINK_NOFOLLOW : 0;

        if (err_size)
                err[0] = 0;
        /* Look before opening: opening a device or a FIFO can have effects of its own. */
        if (fstatat(dirfd, name, &st, nofollow) < 0) {
                int r = -errno;
                snprintf(err, err_size, "%s: cannot open: %s", display, strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                snprintf(err, err_size, "%s: refused: %s, not a regular file", display, file_type(st.st_mode));
                return S_ISLNK(st.st_mode) ? -ELOOP : S_ISDIR(st.st_mode) ? -EISDIR : -EBADFD;
        }
        fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (nofollow ? O_NOFOLLOW : 0));
        if (fd < 0) {
                int r = -errno;
                snprintf(err, err_size, "%s: cannot open: %s", display, strerror(-r));
                return r;
        }
        /* It may have been swapped between the look and the open. */
        if (fstat(fd, &st) < 0) {
                int r = -errno;
                snprintf(err, err_size, "%s: cannot stat: %s", display, strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                snprintf(err, err_size, "%s: refused: %s, not a regular file", display, file_type(st.st_mode));
                return -EBADFD;
        }
        if (st.st_size < 0 || (uintmax_t) st.st_size > max_size) {
                snprintf(err, err_size, "%s: refused: %jd bytes, more than the %zu allowed", display,
                         (intmax_t) st.st_size, max_size);
                return -EFBIG;
        }
        buf = malloc(max_size + 2);
        if (!buf)
                return -ENOMEM;
        /* Read up to one byte past the bound: a file that grew since fstat is caught too. */
        while (len <= max_size) {
                ssize_t n = read(fd, buf + len, max_size + 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int r = -errno;
                        snprintf(err, err_size, "%s: cannot read: %s", display, strerror(-r));
                        return r;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        if (len > max_size) {
                snprintf(err, err_size, "%s: refused: more than the %zu bytes allowed", display, max_size);
                return -EFBIG;
        }
        buf[len] = 0;
        if (flags & UNTRUSTED_TEXT) {
                unsigned line;
                const char *what;
                if (text_check(buf, len, &line, &what) < 0) {
                        snprintf(err, err_size, "%s:%u: %s", display, line, what);
                        return -EILSEQ;
                }
        }
        *ret = buf;
        buf = NULL;
        *ret_len = len;
        return 0;
}

int move_aside_at(int dirfd, const char *dir_display, const char *name, const char *why) {
        char aside[512];

        if (snprintf(aside, sizeof aside, "%s.rejected-%lld", name, (long long) time(NULL)) >= (int) sizeof aside)
                return -ENAMETOOLONG;
        if (renameat(dirfd, name, dirfd, aside) < 0) {
                int r = -errno;
                log_warning("%s/%s: %s; could not move it aside: %s", dir_display, name, why, strerror(-r));
                return r;
        }
        log_warning("%s/%s: %s; moved aside to %s.", dir_display, name, why, aside);
        return 0;
}
