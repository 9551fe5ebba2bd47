/* SPDX-License-Identifier: MIT */
/* libFuzzer target: any bytes as people/1, read by person_file_load next to a good people/2.
 * Nothing may crash, leak or hang; every text read back is UTF-8 without control characters;
 * what was loaded saves and loads again to the same record (the readable part written back
 * reads clean); and people/2 stays byte for byte what it was. */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "person-file.h"
#include "untrusted-file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char other[] = "name=Other\nconditions=pregnancy\nintensity_cap=2\n"
                            "session=1,swedish,1700000000000000,600,3,4,2,completed,0,0,relief,65535,65535,65535,"
                            "65535,65535,65535,65535,65535,65535,65535,65535,65535,65535,65535\n";
static char dir[] = "/tmp/fuzz-person-XXXXXX";
static int people_fd = -1;

static void write_part(const char *name, const void *p, size_t n) {
        int fd = openat(people_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

        if (fd < 0)
                abort();
        if (n && write(fd, p, n) != (ssize_t) n)
                abort();
        close(fd);
}

static void empty_dir(void) {
        DIR *d = fdopendir(fcntl(people_fd, F_DUPFD_CLOEXEC, 3));
        struct dirent *de;

        if (!d)
                abort();
        rewinddir(d);
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        unlinkat(people_fd, de->d_name, 0);
        closedir(d);
}

static void remove_dir(void) {
        char path[64];

        empty_dir();
        close(people_fd);
        snprintf(path, sizeof path, "%s/people", dir);
        rmdir(path);
        rmdir(dir);
}

static void check(const char *s) {
        if (!utf8_valid(s, strlen(s)))
                abort();
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        abort();
}

static void same(const struct person_record *a, const struct person_record *b) {
        size_t n = 0;

        if (strcmp(a->person.name, b->person.name) != 0 || a->person.conditions_unreadable != b->person.conditions_unreadable ||
            a->person.intensity_cap != b->person.intensity_cap || a->person.heat_cap != b->person.heat_cap ||
            a->person.shoulder_mm != b->person.shoulder_mm || a->person.timer_min != b->person.timer_min ||
            a->person.assessment.time_usec != b->person.assessment.time_usec ||
            a->person.assessment_used_by != b->person.assessment_used_by || a->n_history != b->n_history)
                abort();
        for (; a->person.conditions[n]; n++)
                if (!b->person.conditions[n] || strcmp(a->person.conditions[n], b->person.conditions[n]) != 0)
                        abort();
        if (b->person.conditions[n])
                abort();
        for (size_t i = 0; i < a->n_history; i++)
                if (a->history[i].id != b->history[i].id || strcmp(a->history[i].program, b->history[i].program) != 0 ||
                    strcmp(a->history[i].reason, b->history[i].reason) != 0)
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct person_record r = {}, again = {};
        char before[sizeof other + 16];
        int fd;
        ssize_t n;

        if (size > 64 * 1024)
                return 0;
        if (people_fd < 0) {
                if (!mkdtemp(dir) || person_dir_open(dir, &people_fd) < 0)
                        abort();
                atexit(remove_dir);
        }
        empty_dir();
        write_part("2", other, sizeof other - 1);
        write_part("1", data, size);
        if (person_file_load(people_fd, 1, &r) == 0) {
                check(r.person.name);
                for (char **c = r.person.conditions; *c; c++)
                        check(*c);
                for (size_t i = 0; i < r.n_history; i++) {
                        check(r.history[i].program);
                        check(r.history[i].reason);
                }
                if (r.n_history > HISTORY_MAX)
                        abort();
                if (person_file_save(people_fd, &r) < 0 || person_file_load(people_fd, 1, &again) < 0)
                        abort();
                same(&r, &again);
        }
        person_record_done(&r);
        person_record_done(&again);
        fd = openat(people_fd, "2", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                abort();
        n = read(fd, before, sizeof before);
        close(fd);
        if (n != (ssize_t) sizeof other - 1 || memcmp(before, other, sizeof other - 1) != 0)
                abort();
        return 0;
}
