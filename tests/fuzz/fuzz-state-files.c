/* SPDX-License-Identifier: MIT */
/* libFuzzer target: any bytes as the state directory's settings, history and fault log (split
 * at the first two form feeds), read by the state store. Nothing may crash, leak or hang, and
 * every text read back must be valid UTF-8 (GetHistory and GetFaults would fail on it). */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state-store.h"
#include "untrusted-file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/fuzz-state-XXXXXX";

static void write_part(const char *name, const uint8_t *p, size_t n) {
        char path[64];
        int fd;

        snprintf(path, sizeof path, "%s/%s", dir, name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                abort();
        if (n && write(fd, p, n) != (ssize_t) n)
                abort();
        close(fd);
}

static void empty_dir(void) {
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                abort();
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' || (de->d_name[1] && strcmp(de->d_name, "..") != 0))
                        unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
}

static void remove_dir(void) {
        empty_dir();
        rmdir(dir);
}

static void check(const char *s) {
        if (!utf8_valid(s, strlen(s)))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const names[] = { "settings", "history", "faults" };
        struct state_store *st = NULL;
        struct history_entry *h = NULL;
        struct fault_entry *f = NULL;
        size_t n_h = 0, n_f = 0, start = 0;

        if (size > 64 * 1024)
                return 0;
        if (dir[sizeof dir - 2] == 'X') {
                if (!mkdtemp(dir))
                        abort();
                atexit(remove_dir);
        }
        empty_dir();
        for (unsigned part = 0; part < 3; part++) {
                const uint8_t *ff = part < 2 ? memchr(data + start, '\f', size - start) : NULL;
                size_t end = ff ? (size_t) (ff - data) : size;
                write_part(names[part], data + start, end - start);
                start = ff ? end + 1 : size;
        }
        if (state_store_open(dir, &st) < 0)
                abort();
        if (state_store_list_history(st, 1000, &h, &n_h) < 0 || state_store_list_faults(st, 1000, &f, &n_f) < 0)
                abort();
        for (size_t i = 0; i < n_h; i++) {
                check(h[i].program);
                check(h[i].reason);
        }
        for (size_t i = 0; i < n_f; i++) {
                check(f[i].code);
                check(f[i].message);
                check(f[i].cleared);
        }
        free(h);
        free(f);
        state_store_close(st);
        return 0;
}
