/* SPDX-License-Identifier: MIT */
/*
 * A person's own programs in the program library (program-library.h, docs/profiles.md "Programs
 * of one person"): validated exactly as a technician's upload (the same errors, FILE:LINE),
 * stored 0600 in the person's 0700 directory and never through a planted link, at most
 * PROGRAM_LIBRARY_PERSON_MAX, within the person's intensity cap, never with the id of a
 * shipped or technician program, and in the catalog only while that person is active.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
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

#include "program-library.h"
#include "timeline.h"

struct fixture {
        char base[PATH_MAX];
        char shipped[PATH_MAX + 16], overrides[PATH_MAX + 16], people[PATH_MAX + 16];
        char anna[PATH_MAX + 32], ben[PATH_MAX + 32];   /* people/1.programs, people/2.programs */
        struct program_library *lib;
};

/* A valid program of that id and default intensity. */
static const char *program_text(const char *id, unsigned intensity, char *buf, size_t size) {
        snprintf(buf, size,
                 "[program]\n"
                 "id = %s\n"
                 "name = Program %s\n"
                 "description = A short test program\n"
                 "duration_s = 600\n"
                 "intensity = %u\n"
                 "areas = back\n"
                 "\n"
                 "[step.roll]\n"
                 "technique = roll\n"
                 "range = 1.2..-0.1\n"
                 "speed = 2\n"
                 "depth = 1\n"
                 "repetitions = 2\n",
                 id, id, intensity);
        return buf;
}

static void write_text(const char *dir, const char *name, const char *text) {
        char path[PATH_MAX * 2];
        FILE *f;

        snprintf(path, sizeof path, "%s/%s", dir, name);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fputs(text, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof *f);
        char buf[1024];

        if (!f)
                return -1;
        snprintf(f->base, sizeof f->base, "/tmp/test-program-library-person-XXXXXX");
        if (!mkdtemp(f->base))
                return -1;
        snprintf(f->shipped, sizeof f->shipped, "%s/shipped", f->base);
        snprintf(f->overrides, sizeof f->overrides, "%s/profiles.d", f->base);
        snprintf(f->people, sizeof f->people, "%s/people", f->base);
        snprintf(f->anna, sizeof f->anna, "%s/1.programs", f->people);
        snprintf(f->ben, sizeof f->ben, "%s/2.programs", f->people);
        if (mkdir(f->shipped, 0755) < 0 || mkdir(f->people, 0700) < 0)
                return -1;
        write_text(f->shipped, "base.ini", program_text("base", 3, buf, sizeof buf));
        if (program_library_new(f->shipped, f->overrides, &f->lib) < 0)
                return -1;
        *state = f;
        return 0;
}

static int rm(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st, (void) flag, (void) ftw;
        return remove(path);
}

static int teardown(void **state) {
        struct fixture *f = *state;

        program_library_free(f->lib);
        nftw(f->base, rm, 16, FTW_DEPTH | FTW_PHYS);
        free(f);
        return 0;
}

static void reload(struct fixture *f) {
        char **errors = NULL;
        (void) program_library_reload(f->lib, &errors);
        program_library_free_errors(errors);
}

static int install(struct fixture *f, const char *dir, const char *file, const char *text, uint32_t cap, char *err,
                   size_t size) {
        return program_library_install_person(f->lib, dir, file, text, strlen(text), cap, err, size);
}

/* A technician's upload of a valid program. */
static int upload(struct fixture *f, const char *file, const char *id, char *err, size_t size) {
        char text[1024];
        program_text(id, 3, text, sizeof text);
        return program_library_upload(f->lib, file, text, strlen(text), err, size);
}

static void count_fn(const struct program_summary *p, void *userdata) {
        char *ids = userdata;
        strcat(ids, p->id);
        strcat(ids, " ");
}

static void test_install_valid_stores_it_with_the_person(void **state) {
        struct fixture *f = *state;
        char text[1024], err[1024] = "", ids[256] = "", path[PATH_MAX * 2];
        struct program_summary ps;
        struct timeline *t = NULL;
        struct stat st;
        size_t before;

        reload(f);
        before = program_library_count(f->lib);
        assert_int_equal(install(f, f->anna, "my-back.ini", program_text("my-back", 2, text, sizeof text), 5, err,
                                 sizeof err), 0);
        /* 0600 in a 0700 directory, a regular file. */
        assert_int_equal(lstat(f->anna, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 0777, 0700);
        snprintf(path, sizeof path, "%s/my-back.ini", f->anna);
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_int_equal(program_library_list_person(f->lib, f->anna, count_fn, ids), 1);
        assert_string_equal(ids, "my-back ");

        /* Not in the catalog until that person is active; then after the global programs. */
        assert_int_equal(program_library_find(f->lib, "my-back", &ps), -ENOENT);
        assert_int_equal(program_library_set_person(f->lib, f->anna), 0);
        assert_int_equal(program_library_count(f->lib), before + 1);
        assert_int_equal(program_library_get(f->lib, before, &ps), 0);
        assert_string_equal(ps.id, "my-back");
        assert_true(ps.person);
        assert_int_equal(program_library_find(f->lib, "my-back", &ps), 0);
        assert_int_equal(program_library_find(f->lib, "base", &ps), 0);
        assert_false(ps.person);
        /* Start sees it: it plans like any program. */
        assert_int_equal(program_library_plan(f->lib, "my-back",
                                              &(struct plan_request) { .intensity = 2, .scan = { 620, 220 },
                                                                       .track_length_mm = 800 },
                                              &t, err, sizeof err), 0);
        assert_non_null(t);
        timeline_free(t);
        /* A reload keeps the active person's. */
        reload(f);
        assert_int_equal(program_library_find(f->lib, "my-back", &ps), 0);
        /* Installing for the active person updates the catalog at once. */
        assert_int_equal(install(f, f->anna, "second.ini", program_text("second", 1, text, sizeof text), 5, err,
                                 sizeof err), 0);
        assert_int_equal(program_library_find(f->lib, "second", &ps), 0);
}

/* The same checks and the same words as a technician's upload. */
static void test_invalid_is_refused_as_an_upload(void **state) {
        struct fixture *f = *state;
        char text[1024], err[1024] = "", upload_err[1024] = "";
        const char *bad = "[program]\nid = bad\nname = Bad\nspeed = 9\n";
        char *big;

        assert_int_equal(install(f, f->anna, "bad.ini", bad, 5, err, sizeof err), -EINVAL);
        assert_int_equal(program_library_upload(f->lib, "bad.ini", bad, strlen(bad), upload_err, sizeof upload_err),
                         -EINVAL);
        assert_string_equal(err, upload_err);
        assert_non_null(strstr(err, "bad.ini:4:"));      /* FILE:LINE */

        /* A bad name. */
        assert_int_equal(install(f, f->anna, "../evil.ini", program_text("evil", 1, text, sizeof text), 5, err,
                                 sizeof err), -EINVAL);
        assert_non_null(strstr(err, "filename"));
        assert_int_equal(install(f, f->anna, ".hidden.ini", program_text("hidden", 1, text, sizeof text), 5, err,
                                 sizeof err), -EINVAL);

        /* Over 64 KiB: refused before parsing, as an upload. */
        big = malloc(PROFILE_FILE_MAX + 2);
        assert_non_null(big);
        memset(big, '#', PROFILE_FILE_MAX + 1);
        big[PROFILE_FILE_MAX + 1] = 0;
        assert_int_equal(install(f, f->anna, "big.ini", big, 5, err, sizeof err), -EFBIG);
        assert_int_equal(program_library_upload(f->lib, "big.ini", big, strlen(big), upload_err, sizeof upload_err),
                         -EFBIG);
        assert_string_equal(err, upload_err);
        free(big);
        /* Nothing was stored. */
        assert_int_equal(program_library_list_person(f->lib, f->anna, NULL, NULL), 0);
}

static void test_ids_of_the_catalog_and_of_the_person_are_taken(void **state) {
        struct fixture *f = *state;
        char text[1024], err[1024] = "";
        struct program_summary ps;

        /* A technician's program, then a person's with its id, and with a shipped one's. */
        assert_int_equal(upload(f, "tech.ini", "tech", err, sizeof err), 0);
        reload(f);
        assert_int_equal(install(f, f->anna, "mine.ini", program_text("tech", 3, text, sizeof text), 5, err, sizeof err),
                         -EEXIST);
        assert_non_null(strstr(err, "'tech'"));
        assert_int_equal(install(f, f->anna, "mine.ini", program_text("base", 3, text, sizeof text), 5, err, sizeof err),
                         -EEXIST);
        /* Two files of one person with one id: refused; the same file name replaces. */
        assert_int_equal(install(f, f->anna, "mine.ini", program_text("mine", 3, text, sizeof text), 5, err, sizeof err), 0);
        assert_int_equal(install(f, f->anna, "other.ini", program_text("mine", 3, text, sizeof text), 5, err, sizeof err),
                         -EEXIST);
        assert_non_null(strstr(err, "mine.ini"));
        assert_int_equal(install(f, f->anna, "mine.ini", program_text("mine", 2, text, sizeof text), 5, err, sizeof err), 0);
        assert_int_equal(program_library_list_person(f->lib, f->anna, NULL, NULL), 1);

        /* A technician who later takes a person's id wins; the person's file is left out. */
        assert_int_equal(program_library_set_person(f->lib, f->anna), 0);
        assert_int_equal(upload(f, "mine-tech.ini", "mine", err, sizeof err), 0);
        reload(f);
        assert_int_equal(program_library_find(f->lib, "mine", &ps), 0);
        assert_false(ps.person);
        for (size_t i = 0, n = 0; i < program_library_count(f->lib); i++) {
                assert_int_equal(program_library_get(f->lib, i, &ps), 0);
                n += strcmp(ps.id, "mine") == 0;
                assert_true(n <= 1);
        }
}

static void test_default_intensity_above_the_cap_is_refused(void **state) {
        struct fixture *f = *state;
        char text[1024], err[1024] = "";

        assert_int_equal(install(f, f->anna, "strong.ini", program_text("strong", 4, text, sizeof text), 3, err,
                                 sizeof err), -EPERM);
        assert_non_null(strstr(err, "intensity cap (3)"));
        assert_int_equal(program_library_list_person(f->lib, f->anna, NULL, NULL), 0);
        assert_int_equal(install(f, f->anna, "strong.ini", program_text("strong", 3, text, sizeof text), 3, err,
                                 sizeof err), 0);
}

static void test_at_most_the_bound_per_person(void **state) {
        struct fixture *f = *state;
        char text[1024], err[1024] = "", name[32], id[32];

        reload(f);
        for (unsigned i = 0; i < PROGRAM_LIBRARY_PERSON_MAX; i++) {
                snprintf(name, sizeof name, "p%02u.ini", i);
                snprintf(id, sizeof id, "p%02u", i);
                assert_int_equal(install(f, f->anna, name, program_text(id, 1, text, sizeof text), 5, err, sizeof err), 0);
        }
        assert_int_equal(install(f, f->anna, "one-more.ini", program_text("one-more", 1, text, sizeof text), 5, err,
                                 sizeof err), -ENOSPC);
        assert_non_null(strstr(err, "remove one"));
        /* Replacing one of them is no new one. */
        assert_int_equal(install(f, f->anna, "p03.ini", program_text("p03", 2, text, sizeof text), 5, err, sizeof err), 0);
        assert_int_equal(program_library_list_person(f->lib, f->anna, NULL, NULL), PROGRAM_LIBRARY_PERSON_MAX);
        /* Another person has their own bound. */
        assert_int_equal(install(f, f->ben, "one-more.ini", program_text("one-more", 1, text, sizeof text), 5, err,
                                 sizeof err), 0);
        assert_int_equal(program_library_set_person(f->lib, f->anna), 0);
        assert_int_equal(program_library_count(f->lib), 1 + PROGRAM_LIBRARY_PERSON_MAX);
}

static void test_remove_and_another_person_does_not_see_it(void **state) {
        struct fixture *f = *state;
        char text[1024], err[1024] = "";
        struct program_summary ps;

        assert_int_equal(install(f, f->anna, "mine.ini", program_text("mine", 2, text, sizeof text), 5, err, sizeof err), 0);
        assert_int_equal(program_library_set_person(f->lib, f->ben), 0);
        assert_int_equal(program_library_find(f->lib, "mine", &ps), -ENOENT);
        assert_int_equal(program_library_list_person(f->lib, f->ben, NULL, NULL), 0);
        assert_int_equal(program_library_remove_person(f->lib, f->ben, "mine"), -ENOENT);
        assert_int_equal(program_library_set_person(f->lib, NULL), 0);
        assert_int_equal(program_library_find(f->lib, "mine", &ps), -ENOENT);

        assert_int_equal(program_library_set_person(f->lib, f->anna), 0);
        assert_int_equal(program_library_find(f->lib, "mine", &ps), 0);
        assert_int_equal(program_library_remove_person(f->lib, f->anna, "mine"), 0);
        assert_int_equal(program_library_find(f->lib, "mine", &ps), -ENOENT);
        assert_int_equal(program_library_list_person(f->lib, f->anna, NULL, NULL), 0);
        assert_int_equal(program_library_remove_person(f->lib, f->anna, "mine"), -ENOENT);
        assert_int_equal(program_library_remove_person(f->lib, f->anna, "base"), -ENOENT);
}

/* A link planted in the person's directory is never followed: not loaded, not written through,
 * and a directory that is itself a link is refused. */
static void test_planted_links_are_not_followed(void **state) {
        struct fixture *f = *state;
        char text[1024], err[1024] = "", outside[PATH_MAX * 2], target[PATH_MAX * 3], link[PATH_MAX * 3];
        char ids[256] = "", buf[4096];
        struct program_summary ps;
        struct stat st;
        ssize_t n;
        int fd;

        snprintf(outside, sizeof outside, "%s/outside", f->base);
        assert_int_equal(mkdir(outside, 0755), 0);
        write_text(outside, "evil.ini", program_text("evil", 1, text, sizeof text));
        snprintf(target, sizeof target, "%s/evil.ini", outside);

        /* A link to a valid program: not in the catalog, not listed, moved aside. */
        assert_int_equal(mkdir(f->anna, 0700), 0);
        snprintf(link, sizeof link, "%s/evil.ini", f->anna);
        assert_int_equal(symlink(target, link), 0);
        assert_int_equal(program_library_set_person(f->lib, f->anna), 0);
        assert_int_equal(program_library_find(f->lib, "evil", &ps), -ENOENT);
        assert_int_equal(program_library_list_person(f->lib, f->anna, count_fn, ids), 0);
        assert_int_equal(lstat(link, &st), -1);

        /* An install onto a planted link replaces the link, never writes its target. */
        snprintf(link, sizeof link, "%s/mine.ini", f->anna);
        assert_int_equal(symlink(target, link), 0);
        assert_int_equal(install(f, f->anna, "mine.ini", program_text("mine", 1, buf, sizeof buf), 5, err, sizeof err), 0);
        assert_int_equal(lstat(link, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        fd = open(target, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
        assert_true(n > 0);
        buf[n] = 0;
        assert_non_null(strstr(buf, "id = evil"));

        /* The person's directory itself a link (to the outside): refused, nothing written there. */
        assert_int_equal(symlink(outside, f->ben), 0);
        assert_true(install(f, f->ben, "planted.ini", program_text("planted", 1, text, sizeof text), 5, err, sizeof err) < 0);
        snprintf(link, sizeof link, "%s/planted.ini", outside);
        assert_int_equal(lstat(link, &st), -1);
        assert_true(program_library_set_person(f->lib, f->ben) < 0);
        assert_int_equal(program_library_find(f->lib, "evil", &ps), -ENOENT);
        assert_true(program_library_list_person(f->lib, f->ben, NULL, NULL) < 0);
        assert_true(program_library_remove_person(f->lib, f->ben, "evil") < 0);
        assert_int_equal(stat(target, &st), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_install_valid_stores_it_with_the_person, setup, teardown),
                cmocka_unit_test_setup_teardown(test_invalid_is_refused_as_an_upload, setup, teardown),
                cmocka_unit_test_setup_teardown(test_ids_of_the_catalog_and_of_the_person_are_taken, setup, teardown),
                cmocka_unit_test_setup_teardown(test_default_intensity_above_the_cap_is_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_at_most_the_bound_per_person, setup, teardown),
                cmocka_unit_test_setup_teardown(test_remove_and_another_person_does_not_see_it, setup, teardown),
                cmocka_unit_test_setup_teardown(test_planted_links_are_not_followed, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
