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


/* ---- helpers ---- */

static void write_at(int dfd, const char *name, const void *data, size_t len) {
        int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, len), (ssize_t) len);
        close(fd);
}

static void write_text(int dfd, const char *name, const char *text) {
        write_at(dfd, name, text, strlen(text));
}

/* The file's contents (NUL-terminated) and length; NULL when there is none. */
static char *read_at(int dfd, const char *name, size_t *ret_len) {
        int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        char *buf;
        size_t len = 0;
        ssize_t n;

        if (fd < 0)
                return NULL;
        buf = malloc(PERSON_FILE_MAX + 2);
        assert_non_null(buf);
        while ((n = read(fd, buf + len, PERSON_FILE_MAX + 1 - len)) > 0)
                len += (size_t) n;
        close(fd);
        buf[len] = 0;
        if (ret_len)
                *ret_len = len;
        return buf;
}

/* How many names in the directory start with PREFIX; with UNLINK, they are removed too. */
static unsigned count_prefix(int dfd, const char *prefix, bool unlink_them) {
        DIR *d = fdopendir(fcntl(dfd, F_DUPFD_CLOEXEC, 3));
        struct dirent *de;
        unsigned n = 0;

        assert_non_null(d);
        rewinddir(d);
        while ((de = readdir(d)))
                if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
                        n++;
                        if (unlink_them)
                                unlinkat(dfd, de->d_name, 0);
                }
        closedir(d);
        return n;
}

static void assert_entry_equal(const struct history_entry *a, const struct history_entry *b) {
        assert_int_equal(a->id, b->id);
        assert_string_equal(a->program, b->program);
        assert_int_equal(a->start_usec, b->start_usec);
        assert_int_equal(a->duration_s, b->duration_s);
        assert_int_equal(a->intensity, b->intensity);
        assert_int_equal(a->pain_before, b->pain_before);
        assert_int_equal(a->pain_after, b->pain_after);
        assert_string_equal(a->reason, b->reason);
        assert_int_equal(a->assessed, b->assessed);
        assert_int_equal(a->focused, b->focused);
        assert_int_equal(a->goal, b->goal);
        for (size_t i = 0; i < HISTORY_AREAS; i++) {
                assert_int_equal(a->area_before[i], b->area_before[i]);
                assert_int_equal(a->area_after[i], b->area_after[i]);
        }
}

static void assert_memory_equal_slot(const struct memory_slot *a, const struct memory_slot *b) {
        assert_int_equal(a->used, b->used);
        if (!a->used)
                return;
        assert_string_equal(a->program, b->program);
        assert_int_equal(a->intensity, b->intensity);
        assert_int_equal(a->speed, b->speed);
        assert_int_equal(a->width, b->width);
        assert_int_equal(a->depth, b->depth);
        assert_int_equal(a->air_zones, b->air_zones);
        assert_int_equal(a->air_intensity, b->air_intensity);
        assert_int_equal(a->heat_lumbar, b->heat_lumbar);
        assert_int_equal(a->heat_calves, b->heat_calves);
        assert_int_equal(a->timer_min, b->timer_min);
}

static void assert_person_equal(const struct person_record *a, const struct person_record *b) {
        const struct person *p = &a->person, *q = &b->person;
        size_t n = 0;

        assert_int_equal(p->id, q->id);
        assert_string_equal(p->name, q->name);
        assert_int_equal(p->conditions_unreadable, q->conditions_unreadable);
        for (; p->conditions[n]; n++) {
                assert_non_null(q->conditions[n]);
                assert_string_equal(p->conditions[n], q->conditions[n]);
        }
        assert_null(q->conditions[n]);
        assert_int_equal(p->intensity_cap, q->intensity_cap);
        assert_int_equal(p->heat_cap, q->heat_cap);
        assert_int_equal(p->shoulder_mm, q->shoulder_mm);
        assert_int_equal(p->shoulder_adjust, q->shoulder_adjust);
        for (unsigned i = 0; i < MEMORY_SLOTS; i++)
                assert_memory_equal_slot(&p->memory[i], &q->memory[i]);
        assert_int_equal(p->timer_min, q->timer_min);
        assert_int_equal(p->heat_pref[0], q->heat_pref[0]);
        assert_int_equal(p->heat_pref[1], q->heat_pref[1]);
        assert_int_equal(p->assessment.time_usec, q->assessment.time_usec);
        if (p->assessment.time_usec) {
                for (size_t i = 0; i < _PAIN_AREA_MAX; i++)
                        assert_int_equal(p->assessment.pain[i], q->assessment.pain[i]);
                assert_int_equal(p->assessment.pain_now, q->assessment.pain_now);
                assert_int_equal(p->assessment.goal, q->assessment.goal);
        }
        assert_int_equal(p->assessment_used_by, q->assessment_used_by);
        assert_int_equal(a->n_history, b->n_history);
        for (size_t i = 0; i < a->n_history; i++)
                assert_entry_equal(&a->history[i], &b->history[i]);
}

static char pregnancy[] = "pregnancy", osteoporosis[] = "osteoporosis";
static char *conditions_two[] = { pregnancy, osteoporosis, NULL };

/* Every field set to something other than its default. */
static void fill_full(struct person_record *r, uint32_t id, const char *name) {
        struct person *p = &r->person;

        fill_record(r, id, name, 3);
        p->conditions = conditions_two;
        p->intensity_cap = 3;
        p->heat_cap = 1;
        p->shoulder_mm = 640;
        p->shoulder_adjust = -2;
        p->memory[0] = (struct memory_slot) { true, "swedish", 4, 3, 1, 3, 6, 3, 2, 0, 20 };
        p->memory[1] = (struct memory_slot) { true, "deep-tissue", 2, 1, 2, 5, 63, 5, 3, 3, 30 };
        p->timer_min = 20;
        p->heat_pref[0] = 2;
        p->heat_pref[1] = 1;
        p->assessment.time_usec = 1700000000123456ull;
        for (size_t i = 0; i < _PAIN_AREA_MAX; i++)
                p->assessment.pain[i] = i % 2 ? PAIN_NOT_RATED : (uint16_t) i;
        p->assessment.pain_now = 7;
        p->assessment.goal = GOAL_MOBILITY;
        p->assessment_used_by = 18446744073709551615ull;
        r->history[0].id = UINT64_MAX;
        r->history[0].start_usec = UINT64_MAX;
        r->history[0].duration_s = UINT32_MAX;
        r->history[1].pain_before = 8;
        r->history[1].pain_after = 0;
        r->history[1].assessed = true;
        r->history[1].focused = true;
        r->history[1].goal = GOAL_RECOVERY;
        for (size_t i = 0; i < HISTORY_AREAS; i++) {
                r->history[1].area_before[i] = (uint16_t) (i + 3);
                r->history[1].area_after[i] = i == 2 ? HISTORY_NOT_RATED : (uint16_t) i;
        }
        /* Texts the line's separators must not break. */
        snprintf(r->history[2].program, sizeof r->history[2].program, "a,b=c%%d é");
        snprintf(r->history[2].reason, sizeof r->history[2].reason, "fault");
        r->history[2].goal = GOAL_RELAXATION;
}

/* ---- tests ---- */

static void test_round_trip_simple(void **state) {
        struct fixture *f = *state;
        struct person_record r, back;

        fill_record(&r, 1, "Ann", 2);
        assert_int_equal(person_file_save(f->fd, &r), 0);
        assert_int_equal(person_file_load(f->fd, 1, &back), 0);
        assert_person_equal(&r, &back);
        free(r.history);
        person_record_done(&back);
}

static void test_round_trip_every_field(void **state) {
        static const char *const names[] = {
                "Ann Marie", "a=b,c", "%41 100% ,=,", "Zoë 李小龍 Ωμέγα", "  spaced out  ", "guest", "x",
                "12345678901234567890123456789012", /* PERSON_NAME_MAX bytes */
                "日本語の名前です日本", /* 30 bytes of three-byte characters */
        };
        struct fixture *f = *state;

        for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
                struct person_record r, back, again;
                size_t len, len2;
                char *text, *text2;

                fill_full(&r, (uint32_t) i, names[i]);
                assert_int_equal(person_file_save(f->fd, &r), 0);
                assert_int_equal(person_file_load(f->fd, (uint32_t) i, &back), 0);
                assert_person_equal(&r, &back);
                /* Nothing was moved aside, and a save of what was loaded is the same bytes. */
                assert_int_equal(count_prefix(f->fd, "", false) - count_prefix(f->fd, ".", false), i + 1);
                {
                        char name[16];
                        snprintf(name, sizeof name, "%zu", i);
                        text = read_at(f->fd, name, &len);
                        assert_non_null(text);
                        /* Separators and control bytes never reach the file as they are. */
                        assert_null(strchr(text, '\t'));
                        assert_non_null(strstr(text, "conditions=pregnancy,osteoporosis\n"));
                        assert_int_equal(person_file_save(f->fd, &back), 0);
                        text2 = read_at(f->fd, name, &len2);
                        assert_int_equal(len, len2);
                        assert_memory_equal(text, text2, len);
                        free(text);
                        free(text2);
                }
                assert_int_equal(person_file_load(f->fd, (uint32_t) i, &again), 0);
                assert_person_equal(&r, &again);
                free(r.history);
                person_record_done(&back);
                person_record_done(&again);
        }
}

static void test_bad_names_refused(void **state) {
        static const char *const names[] = { "", "tab\there", "new\nline", "bell\a", "del\x7f", "bad \xff utf8",
                                             "\xc0\xaf overlong" };
        struct fixture *f = *state;

        for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
                struct person_record r;
                fill_record(&r, 4, names[i], 0);
                assert_int_equal(person_file_save(f->fd, &r), -EINVAL);
                free(r.history);
        }
        /* Nothing was written. */
        assert_null(read_at(f->fd, "4", NULL));
}

static void test_record_init(void **state) {
        struct fixture *f = *state;
        struct person_record r, back;
        char *text;

        assert_int_equal(person_record_init(&r, PERSON_ID_MAX + 1), -EINVAL);
        assert_int_equal(person_record_init(&r, 0), 0);
        assert_string_equal(r.person.name, "guest");
        assert_int_equal(person_file_save(f->fd, &r), 0);
        text = read_at(f->fd, "0", NULL);
        assert_string_equal(text, "name=guest\nconditions=\nintensity_cap=5\nheat_cap=3\nshoulder=-1\n"
                                  "shoulder_adjust=0\ntimer=0\nheat_pref=0,0\n");
        free(text);
        assert_int_equal(person_file_load(f->fd, 0, &back), 0);
        assert_person_equal(&r, &back);
        person_record_done(&r);
        person_record_done(&back);
        assert_int_equal(person_record_init(&r, 12), 0);
        assert_string_equal(r.person.name, "person 12");
        assert_int_equal(r.person.intensity_cap, 5);
        assert_int_equal(r.person.heat_cap, 3);
        assert_int_equal(r.person.shoulder_mm, -1);
        assert_int_equal(r.person.assessment.pain_now, PAIN_NOT_RATED);
        /* What the file cannot hold is refused, never written half. */
        r.person.memory[0] = (struct memory_slot) { true, "a,b", 4, 3, 1, 3, 6, 3, 2, 0, 20 };
        assert_int_equal(person_file_save(f->fd, &r), -EINVAL);
        r.person.memory[0] = (struct memory_slot) { true, "bad\xff", 4, 3, 1, 3, 6, 3, 2, 0, 20 };
        assert_int_equal(person_file_save(f->fd, &r), -EINVAL);
        r.person.memory[0] = (struct memory_slot) { true, "tab\t", 4, 3, 1, 3, 6, 3, 2, 0, 20 };
        assert_int_equal(person_file_save(f->fd, &r), -EINVAL);
        r.person.memory[0] = (struct memory_slot) { true, "ok", 6, 3, 1, 3, 6, 3, 2, 0, 20 };
        assert_int_equal(person_file_save(f->fd, &r), -ERANGE);
        r.person.memory[0].used = false;
        r.person.intensity_cap = 0;
        assert_int_equal(person_file_save(f->fd, &r), -ERANGE);
        r.person.intensity_cap = 5;
        r.person.timer_min = 15;
        assert_int_equal(person_file_save(f->fd, &r), -ERANGE);
        r.person.timer_min = 0;
        r.person.assessment.time_usec = 1;
        r.person.assessment.pain[PAIN_FEET] = 11;
        assert_int_equal(person_file_save(f->fd, &r), -ERANGE);
        r.person.assessment.time_usec = 0;
        assert_null(read_at(f->fd, "12", NULL));
        /* A history entry's texts are made storable rather than refused. */
        r.history = calloc(1, sizeof *r.history);
        assert_non_null(r.history);
        r.n_history = 1;
        r.history[0] = (struct history_entry) { .id = 5, .program = "tab\there\xff", .intensity = 3,
                                                .pain_before = PAIN_NOT_RATED, .pain_after = PAIN_NOT_RATED,
                                                .reason = "new\nline" };
        for (size_t i = 0; i < HISTORY_AREAS; i++)
                r.history[0].area_before[i] = r.history[0].area_after[i] = PAIN_NOT_RATED;
        assert_int_equal(person_file_save(f->fd, &r), 0);
        assert_int_equal(person_file_load(f->fd, 12, &back), 0);
        assert_string_equal(back.history[0].program, "tab here?");
        assert_string_equal(back.history[0].reason, "new line");
        person_record_done(&back);
        r.history[0].pain_after = 11;
        assert_int_equal(person_file_save(f->fd, &r), -ERANGE);
        r.history[0].pain_after = 2;
        r.history[0].intensity = 6;
        assert_int_equal(person_file_save(f->fd, &r), -ERANGE);
        r.history[0].intensity = 3;
        assert_int_equal(person_file_save(f->fd, &r), 0);
        person_record_done(&r);
}

static void test_unreadable_conditions_round_trip(void **state) {
        struct fixture *f = *state;
        struct person_record r, back;
        char *text;

        fill_full(&r, 2, "Bo");
        r.person.conditions = conditions_none;
        r.person.conditions_unreadable = true;
        assert_int_equal(person_file_save(f->fd, &r), 0);
        text = read_at(f->fd, "2", NULL);
        assert_null(strstr(text, "conditions="));
        free(text);
        assert_int_equal(person_file_load(f->fd, 2, &back), 0);
        assert_true(back.person.conditions_unreadable);
        assert_null(back.person.conditions[0]);
        assert_person_equal(&r, &back);
        /* A missing line alone is not damage: nothing moved aside. */
        assert_int_equal(count_prefix(f->fd, "2.", false), 0);
        free(r.history);
        person_record_done(&back);
}

static void test_history_capped(void **state) {
        struct fixture *f = *state;
        struct person_record r, back;
        char *text, line[256];
        size_t len = 0;

        /* Saving more than HISTORY_MAX keeps the newest. */
        fill_record(&r, 3, "Cy", 600);
        assert_int_equal(person_file_save(f->fd, &r), 0);
        assert_int_equal(person_file_load(f->fd, 3, &back), 0);
        assert_int_equal(back.n_history, HISTORY_MAX);
        assert_int_equal(back.history[0].id, 1100);
        assert_int_equal(back.history[HISTORY_MAX - 1].id, 1599);
        for (size_t i = 0; i < HISTORY_MAX; i++)
                assert_entry_equal(&r.history[100 + i], &back.history[i]);
        free(r.history);
        person_record_done(&back);

        /* A file with more lines than that (an older daemon, a hand edit): the oldest go. */
        text = malloc(PERSON_FILE_MAX);
        assert_non_null(text);
        len += (size_t) snprintf(text + len, PERSON_FILE_MAX - len, "name=Cy\nconditions=\n");
        for (unsigned i = 0; i < 520; i++) {
                snprintf(line, sizeof line,
                         "session=%u,swedish,%u,60,2,65535,65535,completed,0,0,relief,65535,65535,65535,65535,65535,65535,"
                         "65535,65535,65535,65535,65535,65535,65535,65535\n",
                         i + 1, i);
                len += (size_t) snprintf(text + len, PERSON_FILE_MAX - len, "%s", line);
        }
        write_at(f->fd, "3", text, len);
        free(text);
        assert_int_equal(person_file_load(f->fd, 3, &back), 0);
        assert_int_equal(back.n_history, HISTORY_MAX);
        assert_int_equal(back.history[0].id, 21);
        assert_int_equal(back.history[HISTORY_MAX - 1].id, 520);
        assert_int_equal(count_prefix(f->fd, "3.corrupt-", false), 0);
        person_record_done(&back);
}

static const char good_file[] =
        "name=Dee\n"
        "conditions=pregnancy\n"
        "intensity_cap=3\n"
        "heat_cap=2\n"
        "shoulder=700\n"
        "shoulder_adjust=1\n"
        "memory1=swedish,4,3,1,3,6,3,2,0,20\n"
        "timer=30\n"
        "heat_pref=1,2\n"
        "assessment=1700000000000000,relief,3,65535,65535,65535,65535,65535,65535,4\n"
        "assessment_used_by=12\n"
        "session=12,swedish,1700000000000000,600,3,4,2,completed,1,1,relief,3,65535,65535,65535,65535,65535,65535,"
        "1,65535,65535,65535,65535,65535,65535\n";

/* The good file's fields, every one. */
static void assert_good(const struct person_record *r) {
        const struct person *p = &r->person;

        assert_string_equal(p->name, "Dee");
        assert_false(p->conditions_unreadable);
        assert_string_equal(p->conditions[0], "pregnancy");
        assert_null(p->conditions[1]);
        assert_int_equal(p->intensity_cap, 3);
        assert_int_equal(p->heat_cap, 2);
        assert_int_equal(p->shoulder_mm, 700);
        assert_int_equal(p->shoulder_adjust, 1);
        assert_true(p->memory[0].used);
        assert_int_equal(p->memory[0].intensity, 4);
        assert_false(p->memory[1].used);
        assert_int_equal(p->timer_min, 30);
        assert_int_equal(p->heat_pref[0], 1);
        assert_int_equal(p->heat_pref[1], 2);
        assert_int_equal(p->assessment.time_usec, 1700000000000000ull);
        assert_int_equal(p->assessment.pain[PAIN_NECK], 3);
        assert_int_equal(p->assessment.pain[PAIN_SHOULDERS], PAIN_NOT_RATED);
        assert_int_equal(p->assessment.pain_now, 4);
        assert_int_equal(p->assessment_used_by, 12);
        assert_int_equal(r->n_history, 1);
        assert_true(r->history[0].assessed);
        assert_true(r->history[0].focused);
        assert_int_equal(r->history[0].area_before[PAIN_NECK], 3);
        assert_int_equal(r->history[0].area_after[PAIN_NECK], 1);
        assert_int_equal(r->history[0].pain_before, 4);
}

static void test_good_file(void **state) {
        struct fixture *f = *state;
        struct person_record r;

        write_text(f->fd, "5", good_file);
        assert_int_equal(person_file_load(f->fd, 5, &r), 0);
        assert_good(&r);
        assert_int_equal(count_prefix(f->fd, "5.", false), 0);
        person_record_done(&r);
}

/* Each line, added to the good file, is unreadable: it is dropped, every good line is kept,
 * the original is moved aside, and what is written back loads clean. */
static void test_corrupt_lines(void **state) {
        static const char *const bad[] = {
                "intensity_cap=0", "intensity_cap=6", "intensity_cap=-1", "intensity_cap=03x", "heat_cap=4",
                "shoulder=1501", "shoulder=-2", "shoulder=4294967296", "shoulder_adjust=6", "shoulder_adjust=-6",
                "timer=15", "timer=18446744073709551617", "heat_pref=4,0", "heat_pref=1", "heat_pref=1,2,3",
                "memory2=swedish,6,3,1,3,6,3,2,0,20", "memory2=swedish,4,3,1,3,64,3,2,0,20", "memory2=garbage",
                "memory3=swedish,4,3,1,3,6,3,2,0,20",
                "assessment_used_by=x", "assessment_used_by=18446744073709551616",
                "session=13,swedish,1,2,3,4,5,completed,0,0,relief,3,65535,65535,65535,65535,65535,65535,"
                "1,65535,65535,65535,65535,65535", /* a field short */
                "session=13,swedish,1,2,3,11,5,completed,0,0,relief,3,65535,65535,65535,65535,65535,65535,"
                "1,65535,65535,65535,65535,65535,65535", /* pain 11 */
                "session=13,swedish,1,2,6,1,5,completed,0,0,relief,3,65535,65535,65535,65535,65535,65535,"
                "1,65535,65535,65535,65535,65535,65535", /* intensity 6 */
                "session=13,swedish,1,2,3,1,5,completed,2,0,relief,3,65535,65535,65535,65535,65535,65535,"
                "1,65535,65535,65535,65535,65535,65535", /* assessed 2 */
                "session=13,swedish,1,2,3,1,5,completed,0,0,joy,3,65535,65535,65535,65535,65535,65535,"
                "1,65535,65535,65535,65535,65535,65535", /* no such goal */
                "session=13,swedish,1,2,3,1,5,completed,0,0,relief,3,65535,65535,65535,65535,65535,65535,"
                "1,65535,65535,65535,65535,65535,12", /* area 12 */
                "session=13,swe%2dish,1,2,3,1,5,completed,0,0,relief,3,65535,65535,65535,65535,65535,65535,"
                "1,65535,65535,65535,65535,65535,65535", /* an escape that needs none */
                "session=13,swe%09dish,1,2,3,1,5,completed,0,0,relief,3,65535,65535,65535,65535,65535,65535,"
                "1,65535,65535,65535,65535,65535,65535", /* a tab, escaped */
                "session=13,swe%zzdish,1,2,3,1,5,completed,0,0,relief,3,65535,65535,65535,65535,65535,65535,"
                "1,65535,65535,65535,65535,65535,65535",
                "session=18446744073709551616,swedish,1,2,3,1,5,completed,0,0,relief,3,65535,65535,65535,65535,65535,"
                "65535,1,65535,65535,65535,65535,65535,65535",
                "assessment=1700000000000000,relief,11,65535,65535,65535,65535,65535,65535,4",
                "assessment=1700000000000000,joy,1,65535,65535,65535,65535,65535,65535,4",
                "assessment=0,relief,1,65535,65535,65535,65535,65535,65535,4",
                "assessment=1700000000000000,relief,1,65535,65535,65535,65535,65535,65535",
                "name=Eve", /* a second name */
                "hello", "=", "unknown_key=1", "name", " name=Dee", "bad utf8 \xff\xfe", "tab\tinside",
                "cr at the end\r",
        };
        struct fixture *f = *state;
        char text[8192];

        for (size_t i = 0; i < sizeof bad / sizeof *bad + 3; i++) {
                struct person_record r;
                size_t len;
                char *back;

                /* The bad line after the first: the lines after it are kept as well. */
                len = (size_t) snprintf(text, sizeof text, "%.9s", good_file); /* "name=Dee\n" */
                if (i < sizeof bad / sizeof *bad)
                        len += (size_t) snprintf(text + len, sizeof text - len, "%s\n", bad[i]);
                else if (i == sizeof bad / sizeof *bad) {
                        memcpy(text + len, "nul\0byte=1\n", 11); /* a NUL byte */
                        len += 11;
                } else if (i == sizeof bad / sizeof *bad + 1) {
                        memset(text + len, 'x', 2000); /* overlong */
                        len += 2000;
                        text[len++] = '\n';
                } else {
                        memset(text + len, 'x', 1100);
                        memcpy(text + len, "name=", 5);
                        len += 1100;
                        text[len++] = '\n';
                }
                memcpy(text + len, good_file + 9, sizeof good_file - 9);
                len += sizeof good_file - 10;
                if (i == sizeof bad / sizeof *bad + 2)
                        len += (size_t) snprintf(text + len, sizeof text - len, "timer=20\n"); /* a second timer */
                write_at(f->fd, "5", text, len);
                assert_int_equal(person_file_load(f->fd, 5, &r), 0);
                assert_good(&r);
                person_record_done(&r);
                /* Moved aside, the readable part written back: it now loads clean. */
                assert_int_equal(count_prefix(f->fd, "5.corrupt-", true), 1);
                back = read_at(f->fd, "5", NULL);
                assert_non_null(back);
                if (i < sizeof bad / sizeof *bad) {
                        char whole[300];
                        snprintf(whole, sizeof whole, "\n%s\n", bad[i]);
                        assert_null(strstr(back, whole));
                        assert_null(strstr(back, "Eve"));
                }
                free(back);
                assert_int_equal(person_file_load(f->fd, 5, &r), 0);
                assert_good(&r);
                person_record_done(&r);
                assert_int_equal(count_prefix(f->fd, "5.corrupt-", false), 0);
        }
}

/* The conditions fail closed: whatever makes the line unreadable leaves them unknown. */
static void test_conditions_fail_closed(void **state) {
        static const char *const cases[] = {
                "name=Fay\nconditions=pregnancy,flying\n",              /* unknown */
                "name=Fay\nconditions=pregnancy\nconditions=\n",        /* twice */
                "name=Fay\nconditions=\nconditions=pregnancy\n",
                "name=Fay\nconditions=Pregnancy\n",                     /* not a name */
                "name=Fay\nconditions=pregnancy,\n",                    /* an empty one */
                "name=Fay\nconditions=pregnancy\xff\n",
                "name=Fay\nconditions=preg\0nancy\n",
                "name=Fay\n",                                           /* missing */
        };
        static const size_t lens[] = { 0, 0, 0, 0, 0, 0, 29, 0 };
        struct fixture *f = *state;

        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
                struct person_record r;
                char *back;

                write_at(f->fd, "6", cases[i], lens[i] ? lens[i] : strlen(cases[i]));
                assert_int_equal(person_file_load(f->fd, 6, &r), 0);
                assert_string_equal(r.person.name, "Fay");
                assert_true(r.person.conditions_unreadable);
                assert_non_null(r.person.conditions);
                assert_null(r.person.conditions[0]);
                person_record_done(&r);
                count_prefix(f->fd, "6.corrupt-", true);
                /* Still unknown after the rewrite: a restart never forgets it. */
                back = read_at(f->fd, "6", NULL);
                assert_null(strstr(back, "conditions="));
                free(back);
                assert_int_equal(person_file_load(f->fd, 6, &r), 0);
                assert_true(r.person.conditions_unreadable);
                person_record_done(&r);
        }
}

static void test_refused_files(void **state) {
        struct fixture *f = *state;
        struct person_record r;
        char *big, *target;
        int tfd;

        /* A symlink (to a readable file): renamed, the target untouched. */
        write_text(f->fd, "target", good_file);
        assert_int_equal(symlinkat("target", f->fd, "7"), 0);
        assert_int_equal(person_file_load(f->fd, 7, &r), -EBADMSG);
        assert_int_equal(count_prefix(f->fd, "7.rejected-", true), 1);
        target = read_at(f->fd, "target", NULL);
        assert_string_equal(target, good_file);
        free(target);
        /* To /dev/zero. */
        tfd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
        assert_true(tfd >= 0);
        close(tfd);
        assert_int_equal(symlinkat("/dev/zero", f->fd, "7"), 0);
        assert_int_equal(person_file_load(f->fd, 7, &r), -EBADMSG);
        assert_int_equal(count_prefix(f->fd, "7.rejected-", true), 1);
        /* A FIFO: never opened, never blocks. */
        assert_int_equal(mkfifoat(f->fd, "7", 0600), 0);
        assert_int_equal(person_file_load(f->fd, 7, &r), -EBADMSG);
        assert_int_equal(count_prefix(f->fd, "7.rejected-", true), 1);
        /* A directory. */
        assert_int_equal(mkdirat(f->fd, "7", 0700), 0);
        assert_int_equal(person_file_load(f->fd, 7, &r), -EBADMSG);
        assert_int_equal(count_prefix(f->fd, "7.rejected-", false), 1);
        {
                DIR *d = fdopendir(fcntl(f->fd, F_DUPFD_CLOEXEC, 3));
                struct dirent *de;
                rewinddir(d);
                while ((de = readdir(d)))
                        if (strncmp(de->d_name, "7.rejected-", 11) == 0)
                                assert_int_equal(unlinkat(f->fd, de->d_name, AT_REMOVEDIR), 0);
                closedir(d);
        }
        /* Oversized. */
        big = calloc(1, PERSON_FILE_MAX + 1);
        assert_non_null(big);
        memset(big, '\n', PERSON_FILE_MAX + 1);
        memcpy(big, "name=Gil\n", 9);
        write_at(f->fd, "7", big, PERSON_FILE_MAX + 1);
        free(big);
        assert_int_equal(person_file_load(f->fd, 7, &r), -EBADMSG);
        assert_int_equal(count_prefix(f->fd, "7.rejected-", true), 1);
        /* None: */
        assert_int_equal(person_file_load(f->fd, 7, &r), -ENOENT);
        assert_int_equal(person_file_load(f->fd, PERSON_ID_MAX + 1, &r), -EINVAL);
}

static void test_save_replaces_planted_links(void **state) {
        struct fixture *f = *state;
        struct person_record r, back;
        char *target;

        write_text(f->fd, "target", "keep me\n");
        assert_int_equal(symlinkat("target", f->fd, "8"), 0);
        fill_record(&r, 8, "Hal", 1);
        assert_int_equal(person_file_save(f->fd, &r), 0);
        target = read_at(f->fd, "target", NULL);
        assert_string_equal(target, "keep me\n");
        free(target);
        assert_int_equal(person_file_load(f->fd, 8, &back), 0);
        assert_person_equal(&r, &back);
        person_record_done(&back);
        /* next-id too. */
        assert_int_equal(symlinkat("target", f->fd, "next-id"), 0);
        assert_int_equal(person_file_save_next_id(f->fd, 9), 0);
        target = read_at(f->fd, "target", NULL);
        assert_string_equal(target, "keep me\n");
        free(target);
        free(r.history);
}

static void test_modes(void **state) {
        struct fixture *f = *state;
        struct person_record r;
        struct stat st;
        mode_t old = umask(0);
        char people[128];
        int fd;

        fill_record(&r, 9, "Ida", 0);
        assert_int_equal(person_file_save(f->fd, &r), 0);
        assert_int_equal(fstatat(f->fd, "9", &st, AT_SYMLINK_NOFOLLOW), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(person_file_save_next_id(f->fd, 10), 0);
        assert_int_equal(fstatat(f->fd, "next-id", &st, AT_SYMLINK_NOFOLLOW), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(fstat(f->fd, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
        /* An existing people/ with a looser mode is tightened; opening it again is 0. */
        snprintf(people, sizeof people, "%s/people", f->dir);
        assert_int_equal(chmod(people, 0755), 0);
        assert_int_equal(person_dir_open(f->dir, &fd), 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
        close(fd);
        umask(old);
        free(r.history);
}

static void test_dir_open_refuses_link(void **state) {
        struct fixture *f = *state;
        char dir[64], real[128], link[128];
        int fd = -1;

        snprintf(dir, sizeof dir, "/tmp/test-person-file-XXXXXX");
        assert_non_null(mkdtemp(dir));
        assert_int_equal(person_dir_open(dir, &fd), 1);   /* created */
        close(fd);
        snprintf(real, sizeof real, "%s/people", dir);
        snprintf(link, sizeof link, "%s/elsewhere", dir);
        assert_int_equal(rename(real, link), 0);
        assert_int_equal(symlink("elsewhere", real), 0);
        assert_true(person_dir_open(dir, &fd) < 0);
        unlink(real);
        rmdir(link);
        rmdir(dir);
        (void) f;
}

/* A corrupt file of one person never touches another's. */
static void test_other_person_untouched(void **state) {
        struct fixture *f = *state;
        struct person_record r, a, b;
        struct stat before, after;
        char *text_before, *text_after;
        size_t len_before, len_after;

        fill_full(&r, 2, "Other");
        assert_int_equal(person_file_save(f->fd, &r), 0);
        free(r.history);
        text_before = read_at(f->fd, "2", &len_before);
        assert_int_equal(fstatat(f->fd, "2", &before, AT_SYMLINK_NOFOLLOW), 0);
        write_text(f->fd, "1", "name=One\nconditions=\ngarbage\nsession=1,2,3\n");
        assert_int_equal(person_file_load(f->fd, 1, &a), 0);
        assert_string_equal(a.person.name, "One");
        assert_int_equal(count_prefix(f->fd, "1.corrupt-", false), 1);
        /* Refused whole as well. */
        assert_int_equal(symlinkat("2", f->fd, "3"), 0);
        assert_int_equal(person_file_load(f->fd, 3, &b), -EBADMSG);
        text_after = read_at(f->fd, "2", &len_after);
        assert_int_equal(fstatat(f->fd, "2", &after, AT_SYMLINK_NOFOLLOW), 0);
        assert_int_equal(len_before, len_after);
        assert_memory_equal(text_before, text_after, len_before);
        assert_int_equal(before.st_ino, after.st_ino);
        assert_int_equal(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
        assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
        assert_int_equal(count_prefix(f->fd, "2.", false), 0);
        free(text_before);
        free(text_after);
        person_record_done(&a);
}

static void test_dir_list(void **state) {
        struct fixture *f = *state;
        uint32_t ids[16];

        for (const char *const *n = (const char *const[]) { "1", "2", "10", "0", "9999", NULL }; *n; n++)
                write_text(f->fd, *n, "name=x\nconditions=\n");
        /* Not person files. */
        for (const char *const *n = (const char *const[]) { "007", "00", "abc", "3.corrupt-1700000000",
                                                            "4.rejected-1700000000", "next-id", "10000", "4294967297",
                                                            "-1", "+5", " 5", "5 ", NULL };
             *n; n++)
                write_text(f->fd, *n, "name=x\n");
        assert_int_equal(mkdirat(f->fd, "1.programs", 0700), 0);
        /* Leftover temporaries are deleted. */
        write_text(f->fd, ".#2.0123456789abcdef.tmp", "torn");
        write_text(f->fd, ".#next-id.0123456789abcdef.tmp", "torn");
        assert_int_equal(person_dir_list(f->fd, ids, 16), 5);
        assert_int_equal(ids[0], 0);
        assert_int_equal(ids[1], 1);
        assert_int_equal(ids[2], 2);
        assert_int_equal(ids[3], 10);
        assert_int_equal(ids[4], 9999);
        assert_int_equal(count_prefix(f->fd, ".#", false), 0);
        assert_int_equal(count_prefix(f->fd, "007", false), 1);
        /* Twice from the same fd: the same answer. */
        assert_int_equal(person_dir_list(f->fd, ids, 16), 5);
        assert_int_equal(ids[4], 9999);
        /* Bounded: the smallest ids. */
        assert_int_equal(person_dir_list(f->fd, ids, 3), 3);
        assert_int_equal(ids[0], 0);
        assert_int_equal(ids[1], 1);
        assert_int_equal(ids[2], 2);
}

static void test_delete(void **state) {
        struct fixture *f = *state;
        struct person_record r;
        char outside[128], path[256], *text;
        int ofd, pfd;

        /* A directory outside people/ that links point into. */
        snprintf(outside, sizeof outside, "%s/outside", f->dir);
        assert_int_equal(mkdir(outside, 0700), 0);
        ofd = open(outside, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(ofd >= 0);
        write_text(ofd, "precious.ini", "precious\n");

        fill_record(&r, 3, "Jo", 1);
        assert_int_equal(person_file_save(f->fd, &r), 0);
        assert_int_equal(mkdirat(f->fd, "3.programs", 0700), 0);
        pfd = openat(f->fd, "3.programs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(pfd >= 0);
        write_text(pfd, "mine.ini", "[program]\n");
        write_text(pfd, ".hidden", "x");
        snprintf(path, sizeof path, "%s/precious.ini", outside);
        assert_int_equal(symlinkat(path, pfd, "link.ini"), 0);
        assert_int_equal(symlinkat(outside, pfd, "linkdir"), 0);
        close(pfd);
        assert_int_equal(person_file_delete(f->fd, 3), 0);
        assert_int_equal(faccessat(f->fd, "3", F_OK, AT_SYMLINK_NOFOLLOW), -1);
        assert_int_equal(faccessat(f->fd, "3.programs", F_OK, AT_SYMLINK_NOFOLLOW), -1);
        text = read_at(ofd, "precious.ini", NULL);
        assert_string_equal(text, "precious\n");
        free(text);
        /* Deleting again, or someone without programs: fine. */
        assert_int_equal(person_file_delete(f->fd, 3), 0);

        /* The programs directory itself a planted link: the link goes, not what it names. */
        assert_int_equal(person_file_save(f->fd, &r), 0);
        assert_int_equal(symlinkat(outside, f->fd, "3.programs"), 0);
        assert_int_equal(person_file_delete(f->fd, 3), 0);
        assert_int_equal(faccessat(f->fd, "3.programs", F_OK, AT_SYMLINK_NOFOLLOW), -1);
        text = read_at(ofd, "precious.ini", NULL);
        assert_string_equal(text, "precious\n");
        free(text);

        /* A subdirectory is not followed down: left (with a warning), the person gone all the same. */
        assert_int_equal(person_file_save(f->fd, &r), 0);
        assert_int_equal(mkdirat(f->fd, "3.programs", 0700), 0);
        pfd = openat(f->fd, "3.programs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_int_equal(mkdirat(pfd, "sub", 0700), 0);
        write_text(pfd, "mine.ini", "[program]\n");
        assert_int_equal(person_file_delete(f->fd, 3), 0);
        assert_int_equal(faccessat(f->fd, "3", F_OK, AT_SYMLINK_NOFOLLOW), -1);
        assert_int_equal(faccessat(pfd, "mine.ini", F_OK, AT_SYMLINK_NOFOLLOW), -1);
        assert_int_equal(unlinkat(pfd, "sub", AT_REMOVEDIR), 0);
        close(pfd);
        assert_int_equal(person_file_delete(f->fd, 3), 0);
        assert_int_equal(faccessat(f->fd, "3.programs", F_OK, AT_SYMLINK_NOFOLLOW), -1);

        assert_int_equal(person_file_delete(f->fd, PERSON_ID_MAX + 1), -EINVAL);
        close(ofd);
        free(r.history);
}

/* The copies moved aside hold the health data too: deleting the person removes them, a link
 * among them itself and never what it names; another person's copies and files stay. */
static void test_delete_removes_aside_copies(void **state) {
        struct fixture *f = *state;
        struct person_record r;
        char outside[128], path[256], *text;
        int ofd;

        snprintf(outside, sizeof outside, "%s/outside", f->dir);
        assert_int_equal(mkdir(outside, 0700), 0);
        ofd = open(outside, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(ofd >= 0);
        write_text(ofd, "precious", "precious\n");
        snprintf(path, sizeof path, "%s/precious", outside);

        fill_record(&r, 3, "Jo", 1);
        assert_int_equal(person_file_save(f->fd, &r), 0);
        write_text(f->fd, "3.corrupt-1700000000", "conditions pregnancy\n");
        write_text(f->fd, "3.corrupt-1700000001", "conditions fever\n");
        write_text(f->fd, "3.rejected-1700000002", "x");
        assert_int_equal(mkfifoat(f->fd, "3.rejected-1700000003", 0600), 0);
        assert_int_equal(symlinkat(path, f->fd, "3.rejected-1700000004"), 0);
        /* Not copies of 3: another person's, and names that only start alike. */
        write_text(f->fd, "33.corrupt-1700000000", "keep\n");
        write_text(f->fd, "3.corruptx", "keep\n");
        write_text(f->fd, "30", "keep\n");
        /* A directory of that name is none of ours: left. */
        assert_int_equal(mkdirat(f->fd, "3.rejected-1700000005", 0700), 0);

        assert_int_equal(person_file_delete(f->fd, 3), 0);
        assert_int_equal(faccessat(f->fd, "3", F_OK, AT_SYMLINK_NOFOLLOW), -1);
        assert_int_equal(count_prefix(f->fd, "3.corrupt-", false), 0);
        assert_int_equal(count_prefix(f->fd, "3.rejected-", false), 1);
        assert_int_equal(faccessat(f->fd, "3.rejected-1700000005", F_OK, AT_SYMLINK_NOFOLLOW), 0);
        assert_int_equal(faccessat(f->fd, "33.corrupt-1700000000", F_OK, AT_SYMLINK_NOFOLLOW), 0);
        assert_int_equal(faccessat(f->fd, "3.corruptx", F_OK, AT_SYMLINK_NOFOLLOW), 0);
        assert_int_equal(faccessat(f->fd, "30", F_OK, AT_SYMLINK_NOFOLLOW), 0);
        text = read_at(ofd, "precious", NULL);
        assert_string_equal(text, "precious\n");
        free(text);
        assert_int_equal(unlinkat(f->fd, "3.rejected-1700000005", AT_REMOVEDIR), 0);

        /* Copies without the file (it was moved aside and never written back): removed too. */
        write_text(f->fd, "3.corrupt-1700000009", "conditions pregnancy\n");
        assert_int_equal(person_file_delete(f->fd, 3), 0);
        assert_int_equal(count_prefix(f->fd, "3.corrupt-", false), 0);
        close(ofd);
        free(r.history);
}

static void test_next_id(void **state) {
        static const char *const bad[] = { "", "0\n", "x\n", "10001\n", "-1\n", "4294967297\n", "5\n6\n", "05x" };
        struct fixture *f = *state;
        uint32_t id = 0;

        assert_int_equal(person_file_load_next_id(f->fd, &id), -ENOENT);
        assert_int_equal(person_file_save_next_id(f->fd, 5), 0);
        assert_int_equal(person_file_load_next_id(f->fd, &id), 0);
        assert_int_equal(id, 5);
        assert_int_equal(person_file_save_next_id(f->fd, PERSON_ID_MAX + 1), 0);
        assert_int_equal(person_file_load_next_id(f->fd, &id), 0);
        assert_int_equal(id, PERSON_ID_MAX + 1);
        assert_int_equal(person_file_save_next_id(f->fd, 0), -ERANGE);
        assert_int_equal(person_file_save_next_id(f->fd, PERSON_ID_MAX + 2), -ERANGE);
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                id = 77;
                write_text(f->fd, "next-id", bad[i]);
                assert_int_equal(person_file_load_next_id(f->fd, &id), -EBADMSG);
                assert_int_equal(id, 77);
        }
        write_at(f->fd, "next-id", "1\0", 2);
        assert_int_equal(person_file_load_next_id(f->fd, &id), -EBADMSG);
        /* No trailing newline is fine (a hand edit). */
        write_text(f->fd, "next-id", "12");
        assert_int_equal(person_file_load_next_id(f->fd, &id), 0);
        assert_int_equal(id, 12);
        unlinkat(f->fd, "next-id", 0);
        assert_int_equal(mkfifoat(f->fd, "next-id", 0600), 0);
        assert_int_equal(person_file_load_next_id(f->fd, &id), -EBADMSG);
        assert_int_equal(count_prefix(f->fd, "next-id.rejected-", true), 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_round_trip_simple, setup, teardown),
                cmocka_unit_test_setup_teardown(test_round_trip_every_field, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_names_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_record_init, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unreadable_conditions_round_trip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_history_capped, setup, teardown),
                cmocka_unit_test_setup_teardown(test_good_file, setup, teardown),
                cmocka_unit_test_setup_teardown(test_corrupt_lines, setup, teardown),
                cmocka_unit_test_setup_teardown(test_conditions_fail_closed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refused_files, setup, teardown),
                cmocka_unit_test_setup_teardown(test_save_replaces_planted_links, setup, teardown),
                cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dir_open_refuses_link, setup, teardown),
                cmocka_unit_test_setup_teardown(test_other_person_untouched, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dir_list, setup, teardown),
                cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
                cmocka_unit_test_setup_teardown(test_delete_removes_aside_copies, setup, teardown),
                cmocka_unit_test_setup_teardown(test_next_id, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
