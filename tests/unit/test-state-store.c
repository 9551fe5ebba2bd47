/* SPDX-License-Identifier: MIT */
/* The state store: round trips through close and reopen, bounded history, corrupt files moved
 * aside (never a crash), a torn temporary file left by a kill -9. */
#include <dirent.h>
#include <errno.h>
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

#include "state-store.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct fixture {
        char dir[64];
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof *f);
        assert_non_null(f);
        snprintf(f->dir, sizeof f->dir, "/tmp/test-state-store-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        DIR *d = opendir(f->dir);
        struct dirent *de;
        char path[400];

        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.') {
                        snprintf(path, sizeof path, "%s/%s", f->dir, de->d_name);
                        unlink(path);
                }
        if (d)
                closedir(d);
        rmdir(f->dir);
        free(f);
        return 0;
}

static void write_file(const char *dir, const char *name, const char *text) {
        char path[400];
        FILE *fp;

        snprintf(path, sizeof path, "%s/%s", dir, name);
        fp = fopen(path, "we");
        assert_non_null(fp);
        fputs(text, fp);
        fclose(fp);
}

static char *read_file(const char *dir, const char *name) {
        static char buf[65536];
        char path[400];
        size_t n;
        FILE *fp;

        snprintf(path, sizeof path, "%s/%s", dir, name);
        fp = fopen(path, "re");
        if (!fp)
                return NULL;
        n = fread(buf, 1, sizeof buf - 1, fp);
        buf[n] = 0;
        fclose(fp);
        return buf;
}

/* How many files in dir start with prefix. */
static unsigned count_files(const char *dir, const char *prefix) {
        DIR *d = opendir(dir);
        struct dirent *de;
        unsigned n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
                        n++;
        closedir(d);
        return n;
}

static struct history_entry session(uint64_t id, const char *program) {
        struct history_entry e = { .id = id, .start_usec = 1700000000000000ULL + id, .duration_s = 600,
                                   .intensity = 3, .pain_before = HISTORY_NOT_RATED,
                                   .pain_after = HISTORY_NOT_RATED };
        snprintf(e.program, sizeof e.program, "%s", program);
        snprintf(e.reason, sizeof e.reason, "completed");
        return e;
}

static void test_settings_round_trip(void **state) {
        struct fixture *f = *state;
        struct state_store *st;
        struct memory_slot m = { .used = true, .intensity = 4, .speed = 2, .width = 2, .depth = 5,
                                 .air_zones = 0x3f, .air_intensity = 5, .heat_lumbar = 3, .heat_calves = 1,
                                 .timer_min = 30 }, got;
        const char *const precautions[] = { "pregnancy", "osteoporosis", NULL };
        char **list;
        uint32_t timer;

        snprintf(m.program, sizeof m.program, "manual:knead+tap");
        assert_int_equal(state_store_open(f->dir, &st), 0);
        assert_int_equal(state_store_load_memory(st, 1, &got), 0);
        assert_false(got.used);
        assert_int_equal(state_store_load_default_timer(st, &timer), -ENOENT);
        assert_int_equal(state_store_save_memory(st, 0, &m), -EINVAL);
        assert_int_equal(state_store_save_memory(st, 3, &m), -EINVAL);
        assert_int_equal(state_store_save_memory(st, 2, &m), 0);
        assert_int_equal(state_store_save_precautions(st, precautions), 0);
        assert_int_equal(state_store_save_default_timer(st, 10), 0);
        state_store_close(st);

        assert_int_equal(state_store_open(f->dir, &st), 0);
        assert_int_equal(state_store_load_memory(st, 1, &got), 0);
        assert_false(got.used);
        assert_int_equal(state_store_load_memory(st, 2, &got), 0);
        assert_true(got.used);
        assert_string_equal(got.program, "manual:knead+tap");
        assert_memory_equal(&got.intensity, &m.intensity, sizeof m - offsetof(struct memory_slot, intensity));
        assert_int_equal(state_store_load_precautions(st, &list), 0);
        assert_string_equal(list[0], "pregnancy");
        assert_string_equal(list[1], "osteoporosis");
        assert_null(list[2]);
        for (char **p = list; *p; p++)
                free(*p);
        free(list);
        assert_int_equal(state_store_load_default_timer(st, &timer), 0);
        assert_int_equal(timer, 10);

        /* Clearing the precautions persists too. */
        assert_int_equal(state_store_save_precautions(st, (const char *const[]) { NULL }), 0);
        state_store_close(st);
        assert_int_equal(state_store_open(f->dir, &st), 0);
        assert_int_equal(state_store_load_precautions(st, &list), 0);
        assert_null(list[0]);
        free(list);
        state_store_close(st);
        assert_int_equal(count_files(f->dir, "settings.corrupt"), 0);
}

static void test_history_round_trip_and_rating(void **state) {
        struct fixture *f = *state;
        struct state_store *st;
        struct history_entry *list, e;
        size_t n;

        assert_int_equal(state_store_open(f->dir, &st), 0);
        e = session(1, "swedish");
        assert_int_equal(state_store_append_history(st, &e), 0);
        e = session(2, "prog\twith\ttabs");
        snprintf(e.reason, sizeof e.reason, "%s", "");
        assert_int_equal(state_store_append_history(st, &e), 0);
        assert_int_equal(state_store_rate_session(st, 1, 7, 2), 0);
        assert_int_equal(state_store_rate_session(st, 99, 7, 2), -ENOENT);
        state_store_close(st);

        assert_int_equal(state_store_open(f->dir, &st), 0);
        assert_int_equal(state_store_list_history(st, 10, &list, &n), 0);
        assert_int_equal(n, 2);
        /* Newest first; tabs never break the line format; an empty field survives. */
        assert_int_equal(list[0].id, 2);
        assert_string_equal(list[0].program, "prog with tabs");
        assert_string_equal(list[0].reason, "");
        assert_int_equal(list[0].pain_before, HISTORY_NOT_RATED);
        assert_int_equal(list[1].id, 1);
        assert_string_equal(list[1].program, "swedish");
        assert_int_equal(list[1].start_usec, 1700000000000001ULL);
        assert_int_equal(list[1].duration_s, 600);
        assert_int_equal(list[1].intensity, 3);
        assert_int_equal(list[1].pain_before, 7);
        assert_int_equal(list[1].pain_after, 2);
        assert_string_equal(list[1].reason, "completed");
        free(list);
        assert_int_equal(state_store_list_history(st, 1, &list, &n), 0);
        assert_int_equal(n, 1);
        free(list);
        assert_int_equal(state_store_list_history(st, 0, &list, &n), 0);
        assert_int_equal(n, 0);
        free(list);
        state_store_close(st);
}

static void test_history_is_bounded(void **state) {
        struct fixture *f = *state;
        struct state_store *st;
        struct history_entry *list, e;
        size_t n;

        assert_int_equal(state_store_open(f->dir, &st), 0);
        for (uint64_t id = 1; id <= HISTORY_MAX + 20; id++) {
                e = session(id, "gentle");
                assert_int_equal(state_store_append_history(st, &e), 0);
        }
        state_store_close(st);
        assert_int_equal(state_store_open(f->dir, &st), 0);
        assert_int_equal(state_store_list_history(st, 10000, &list, &n), 0);
        assert_int_equal(n, HISTORY_MAX);
        assert_int_equal(list[0].id, HISTORY_MAX + 20);
        assert_int_equal(list[n - 1].id, 21);
        free(list);
        state_store_close(st);
}

static void test_faults_round_trip(void **state) {
        struct fixture *f = *state;
        struct state_store *st;
        struct fault_entry e = { .time_usec = 42 }, *list;
        size_t n;

        assert_int_equal(state_store_open(f->dir, &st), 0);
        assert_int_equal(state_store_mark_fault_cleared(st, "technician"), -ENOENT);
        snprintf(e.code, sizeof e.code, "motor-overcurrent");
        snprintf(e.message, sizeof e.message, "roller motor drew too much\ncurrent");
        snprintf(e.cleared, sizeof e.cleared, "latched");
        assert_int_equal(state_store_append_fault(st, &e), 0);
        e.time_usec = 43;
        snprintf(e.code, sizeof e.code, "estop");
        e.message[0] = 0;
        assert_int_equal(state_store_append_fault(st, &e), 0);
        assert_int_equal(state_store_mark_fault_cleared(st, "technician (uid 0)"), 0);
        state_store_close(st);

        assert_int_equal(state_store_open(f->dir, &st), 0);
        assert_int_equal(state_store_list_faults(st, 10, &list, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(list[0].time_usec, 43);
        assert_string_equal(list[0].code, "estop");
        assert_string_equal(list[0].message, "");
        assert_string_equal(list[0].cleared, "technician (uid 0)");
        assert_string_equal(list[1].code, "motor-overcurrent");
        assert_string_equal(list[1].message, "roller motor drew too much current");
        assert_string_equal(list[1].cleared, "latched");
        free(list);
        state_store_close(st);
        assert_int_equal(count_files(f->dir, "faults.corrupt"), 0);
}

static void test_corrupt_history_keeps_readable_lines(void **state) {
        struct fixture *f = *state;
        struct state_store *st;
        struct history_entry *list;
        size_t n;

        write_file(f->dir, "history",
                   "1\tswedish\t1700000000000000\t600\t3\t65535\t65535\tcompleted\n"
                   "this is not a session\n"
                   "2\tgentle\t1700000000000001\t600\t9\t65535\t65535\tcompleted\n" /* intensity 9 */
                   "3\tgentle\t1700000000000002\t600\t2\t11\t3\tcompleted\n"        /* pain 11 */
                   "4\tgentle\t1700000000000003\t-5\t2\t1\t3\tcompleted\n"
                   "5\tsports\t1700000000000004\t60\t2\t1\t3\ttimer\n"
                   "6\tsports\t17000000"); /* torn last line */
        assert_int_equal(state_store_open(f->dir, &st), 0);
        assert_int_equal(state_store_list_history(st, 10, &list, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(list[0].id, 5);
        assert_int_equal(list[1].id, 1);
        free(list);
        state_store_close(st);
        assert_int_equal(count_files(f->dir, "history.corrupt-"), 1);
        /* The rewritten file is clean: reopening moves nothing more aside. */
        assert_int_equal(state_store_open(f->dir, &st), 0);
        state_store_close(st);
        assert_int_equal(count_files(f->dir, "history.corrupt-"), 1);
}

static void test_corrupt_settings_and_faults(void **state) {
        struct fixture *f = *state;
        struct state_store *st;
        struct memory_slot m;
        struct fault_entry *faults;
        uint32_t timer;
        char **list;
        size_t n;

        write_file(f->dir, "settings", "precautions=pregnancy\nmemory1=swedish,9,9,9\n\x01\x02garbage");
        write_file(f->dir, "faults", "\xff\xfe\x00binary");
        assert_int_equal(state_store_open(f->dir, &st), 0);
        assert_int_equal(state_store_load_memory(st, 1, &m), 0);
        assert_false(m.used);
        assert_int_equal(state_store_load_default_timer(st, &timer), -ENOENT);
        /* The readable lines are kept: the declared condition above all. */
        assert_int_equal(state_store_load_precautions(st, &list), 0);
        assert_string_equal(list[0], "pregnancy");
        assert_null(list[1]);
        free(list[0]);
        free(list);
        assert_false(state_store_precautions_unreadable(st));
        assert_int_equal(state_store_list_faults(st, 10, &faults, &n), 0);
        assert_int_equal(n, 0);
        free(faults);
        /* Writing works again after the move. */
        assert_int_equal(state_store_save_default_timer(st, 30), 0);
        state_store_close(st);
        assert_int_equal(count_files(f->dir, "settings.corrupt-"), 1);
        assert_int_equal(count_files(f->dir, "faults.corrupt-"), 1);
        assert_int_equal(state_store_open(f->dir, &st), 0);
        assert_int_equal(state_store_load_default_timer(st, &timer), 0);
        assert_int_equal(timer, 30);
        state_store_close(st);
}

static void test_torn_temporary_file(void **state) {
        struct fixture *f = *state;
        struct state_store *st;
        struct history_entry *list, e = session(7, "swedish");
        size_t n;

        assert_int_equal(state_store_open(f->dir, &st), 0);
        assert_int_equal(state_store_append_history(st, &e), 0);
        assert_int_equal(state_store_save_default_timer(st, 20), 0);
        state_store_close(st);
        /* A kill -9 between write and rename leaves half a temporary file beside the real one. */
        write_file(f->dir, "history.tmp", "8\tswedish\t17000");
        write_file(f->dir, "settings.tmp", "default_ti");
        assert_int_equal(state_store_open(f->dir, &st), 0);
        assert_int_equal(state_store_list_history(st, 10, &list, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(list[0].id, 7);
        free(list);
        state_store_close(st);
        assert_null(read_file(f->dir, "history.tmp"));
        assert_null(read_file(f->dir, "settings.tmp"));
        assert_int_equal(count_files(f->dir, "history.corrupt"), 0);
        assert_non_null(strstr(read_file(f->dir, "settings"), "default_timer=20\n"));
}

/* A FIFO, a link to /dev/zero and a directory as state files: nothing blocks, each is moved
 * aside (the link itself, not its target) and the store starts empty. */
static void test_not_regular_files_moved_aside(void **state) {
        struct fixture *f = *state;
        struct state_store *st;
        struct history_entry *list;
        struct fault_entry *faults;
        char path[400];
        size_t n;

        snprintf(path, sizeof path, "%s/history", f->dir);
        assert_int_equal(mkfifo(path, 0644), 0);
        snprintf(path, sizeof path, "%s/faults", f->dir);
        assert_int_equal(symlink("/dev/zero", path), 0);
        snprintf(path, sizeof path, "%s/settings", f->dir);
        assert_int_equal(mkdir(path, 0755), 0);
        assert_int_equal(state_store_open(f->dir, &st), 0);
        assert_int_equal(state_store_list_history(st, 10, &list, &n), 0);
        assert_int_equal(n, 0);
        free(list);
        assert_int_equal(state_store_list_faults(st, 10, &faults, &n), 0);
        assert_int_equal(n, 0);
        free(faults);
        assert_int_equal(count_files(f->dir, "history.rejected-"), 1);
        assert_int_equal(count_files(f->dir, "faults.rejected-"), 1);
        assert_int_equal(count_files(f->dir, "settings.rejected-"), 1);
        /* The next write makes regular files again. */
        {
                struct history_entry e = session(3, "swedish");
                assert_int_equal(state_store_append_history(st, &e), 0);
        }
        state_store_close(st);
        assert_non_null(read_file(f->dir, "history"));
        {
                DIR *d = opendir(f->dir);
                struct dirent *de;
                while ((de = readdir(d)))
                        if (strncmp(de->d_name, "settings.rejected-", 18) == 0) {
                                snprintf(path, sizeof path, "%s/%s", f->dir, de->d_name);
                                rmdir(path);
                        }
                closedir(d);
        }
}

/* Invalid UTF-8 in a stored field is replaced at read, so GetHistory and GetFaults never fail. */
static void test_invalid_utf8_replaced(void **state) {
        struct fixture *f = *state;
        struct state_store *st;
        struct history_entry *list;
        struct fault_entry *faults;
        size_t n;

        write_file(f->dir, "history", "1\tswe\xff" "dish\t1700000000000000\t900\t3\t4\t2\tcompleted\n");
        write_file(f->dir, "faults", "1700000000000000\testop\tpressed \xed\xa0\x80 here\tlatched\n");
        assert_int_equal(state_store_open(f->dir, &st), 0);
        assert_int_equal(state_store_list_history(st, 10, &list, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(list[0].program, "swe?dish");
        free(list);
        assert_int_equal(state_store_list_faults(st, 10, &faults, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(faults[0].message, "pressed ??? here");
        free(faults);
        state_store_close(st);
}

/* Numbers in state files are base 10 and bounded: no wrap, no sign. */
static void test_numbers_do_not_wrap(void **state) {
        struct fixture *f = *state;
        struct state_store *st;
        struct history_entry *list;
        size_t n;

        write_file(f->dir, "history", "18446744073709551616\tx\t1\t1\t1\t1\t1\tstopped\n"
                                      "2\tx\t1\t4294967297\t1\t1\t1\tstopped\n"
                                      "3\tx\t1\t+1\t1\t1\t1\tstopped\n"
                                      "4\tx\t1\t010\t1\t1\t1\tstopped\n");
        assert_int_equal(state_store_open(f->dir, &st), 0);
        assert_int_equal(state_store_list_history(st, 10, &list, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(list[0].id, 4);
        assert_int_equal(list[0].duration_s, 10);
        free(list);
        state_store_close(st);
}

/* Writes never go through a planted link: the link is replaced, its target untouched. */
static void test_write_does_not_follow_links(void **state) {
        struct fixture *f = *state;
        struct state_store *st;
        struct history_entry e = session(5, "swedish");
        char path[400], target[400];
        struct stat sb;

        write_file(f->dir, "victim", "precious");
        snprintf(target, sizeof target, "%s/victim", f->dir);
        snprintf(path, sizeof path, "%s/history.tmp", f->dir);
        assert_int_equal(symlink(target, path), 0);
        assert_int_equal(state_store_open(f->dir, &st), 0);
        snprintf(path, sizeof path, "%s/settings", f->dir);
        assert_int_equal(symlink(target, path), 0);
        assert_int_equal(state_store_append_history(st, &e), 0);
        assert_int_equal(state_store_save_default_timer(st, 20), 0);
        state_store_close(st);
        assert_string_equal(read_file(f->dir, "victim"), "precious");
        assert_int_equal(lstat(path, &sb), 0);
        assert_true(S_ISREG(sb.st_mode));
}

static void test_state_dir_created(void **state) {
        struct fixture *f = *state;
        struct state_store *st;
        char sub[128];

        snprintf(sub, sizeof sub, "%s/new", f->dir);
        assert_int_equal(state_store_open(sub, &st), 0);
        assert_int_equal(state_store_save_default_timer(st, 20), 0);
        state_store_close(st);
        assert_non_null(read_file(sub, "settings"));
        unlink(strcat(sub, "/settings"));
        sub[strlen(sub) - strlen("/settings")] = 0;
        rmdir(sub);
}

/* A refused list leaves the stored one: neither in memory nor in the next unrelated write. */
static void test_refused_precautions_leave_the_stored_ones(void **state) {
        struct fixture *f = *state;
        const char *many[80];
        struct state_store *st;
        char **list;

        for (size_t i = 0; i < 79; i++)
                many[i] = "kidney-or-liver-problems";
        many[79] = NULL;
        assert_int_equal(state_store_open(f->dir, &st), 0);
        assert_int_equal(state_store_save_precautions(st, (const char *const[]) { "pregnancy", NULL }), 0);
        assert_int_equal(state_store_save_precautions(st, many), -ENOBUFS);
        assert_int_equal(state_store_save_precautions(st, (const char *const[]) { "bad\nname", NULL }), -EINVAL);
        assert_int_equal(state_store_save_child_lock(st, true), 0);
        state_store_close(st);
        assert_non_null(strstr(read_file(f->dir, "settings"), "precautions=pregnancy\n"));
        assert_int_equal(state_store_open(f->dir, &st), 0);
        assert_int_equal(state_store_load_precautions(st, &list), 0);
        assert_string_equal(list[0], "pregnancy");
        assert_null(list[1]);
        free(list[0]);
        free(list);
        state_store_close(st);
}

/* An unreadable precautions line: the other lines stay, the precautions are unknown (and stay
 * unknown through other writes and a restart) until they are saved again. */
static void test_unreadable_precautions_line_fails_closed(void **state) {
        struct fixture *f = *state;
        static const char *const cases[] = {
                "precautions=preg\x01nancy\ndefault_timer=20\n",
                "precautions=pregnancy\nprecautions=\ndefault_timer=20\n",
                "precauti\xffons=pregnancy\ndefault_timer=20\n",
                "default_timer=20\n",
        };
        char longline[2000];

        memset(longline, 'a', sizeof longline);
        memcpy(longline, "precautions=", 12);
        memcpy(longline + sizeof longline - 20, "\ndefault_timer=20\n", 19);
        for (size_t i = 0; i <= ARRAY_SIZE(cases); i++) {
                struct state_store *st;
                uint32_t timer = 0;
                char **list;

                write_file(f->dir, "settings", i < ARRAY_SIZE(cases) ? cases[i] : longline);
                assert_int_equal(state_store_open(f->dir, &st), 0);
                assert_true(state_store_precautions_unreadable(st));
                assert_int_equal(state_store_load_default_timer(st, &timer), 0);
                assert_int_equal(timer, 20);
                assert_int_equal(state_store_load_precautions(st, &list), 0);
                assert_null(list[0]);
                free(list);
                assert_int_equal(state_store_save_child_lock(st, true), 0);
                state_store_close(st);
                assert_int_equal(state_store_open(f->dir, &st), 0);
                assert_true(state_store_precautions_unreadable(st));
                assert_true(state_store_child_lock(st));
                assert_int_equal(state_store_save_precautions(st, (const char *const[]) { NULL }), 0);
                assert_false(state_store_precautions_unreadable(st));
                state_store_close(st);
                assert_int_equal(state_store_open(f->dir, &st), 0);
                assert_false(state_store_precautions_unreadable(st));
                state_store_close(st);
        }
        /* No file at all is a first start: nothing declared, nothing unknown. */
        unlink(strcat(strcpy(longline, f->dir), "/settings"));
        {
                struct state_store *st;
                assert_int_equal(state_store_open(f->dir, &st), 0);
                assert_false(state_store_precautions_unreadable(st));
                state_store_close(st);
        }
}

/* The heat dose line: per zone the dose, the off flag and the time, through close and reopen;
 * nothing stored reads as none, a chair without any has no line. */
static void test_heat_dose_round_trip(void **state) {
        struct fixture *f = *state;
        struct heat_dose_record rec[_CHAIR_HEAT_ZONE_MAX] = {}, got[_CHAIR_HEAT_ZONE_MAX];
        struct state_store *st;

        assert_int_equal(state_store_open(f->dir, &st), 0);
        assert_int_equal(state_store_load_heat_dose(st, got), -ENODATA);
        assert_int_equal(state_store_save_precautions(st, (const char *const[]) { NULL }), 0);
        assert_null(strstr(read_file(f->dir, "settings"), "heat_dose"));
        rec[CHAIR_HEAT_LUMBAR] = (struct heat_dose_record) { .known = true, .limited = true, .dose_s = 1234,
                                                             .time_s = 1764608400 };
        rec[CHAIR_HEAT_CALVES] = (struct heat_dose_record) { .known = true, .dose_s = 0, .time_s = 1764608400 };
        assert_int_equal(state_store_save_heat_dose(st, rec), 0);
        rec[CHAIR_HEAT_CALVES].dose_s = HEAT_DOSE_STORED_MAX + 1;
        assert_int_equal(state_store_save_heat_dose(st, rec), -ERANGE);
        state_store_close(st);
        assert_non_null(strstr(read_file(f->dir, "settings"), "heat_dose=lumbar,1234,1764608400,1;calves,0,1764608400,0\n"));

        assert_int_equal(state_store_open(f->dir, &st), 0);
        assert_int_equal(state_store_load_heat_dose(st, got), 0);
        assert_true(got[CHAIR_HEAT_LUMBAR].known && got[CHAIR_HEAT_LUMBAR].limited);
        assert_int_equal(got[CHAIR_HEAT_LUMBAR].dose_s, 1234);
        assert_int_equal(got[CHAIR_HEAT_LUMBAR].time_s, 1764608400);
        assert_true(got[CHAIR_HEAT_CALVES].known && !got[CHAIR_HEAT_CALVES].limited);
        assert_int_equal(got[CHAIR_HEAT_CALVES].dose_s, 0);
        /* The other settings are untouched by it. */
        assert_false(state_store_precautions_unreadable(st));
        state_store_close(st);
}

/* A heat dose line that is not exactly ours reads as unreadable (the supervisor then assumes
 * the limit), the file moves aside, the other lines are kept. */
static void test_heat_dose_corrupt_line(void **state) {
        static const char *const bad[] = {
                "heat_dose=lumbar,12,1764608400",                       /* a field short */
                "heat_dose=lumbar,12,1764608400,1,9",                   /* one too many */
                "heat_dose=neck,12,1764608400,0",                       /* no such zone */
                "heat_dose=lumbar,12,1764608400,0;lumbar,1,1,0",        /* twice */
                "heat_dose=lumbar,-12,1764608400,0",                    /* signed */
                "heat_dose=lumbar,604801,1764608400,0",                 /* past the bound */
                "heat_dose=lumbar,12,99999999999999999999,0",           /* overflows */
                "heat_dose=lumbar,12,1764608400,2",                     /* not a flag */
                "heat_dose=lumbar,12,1764608400,0;",                    /* an empty item */
                "heat_dose=lumbar,,1764608400,0",                       /* an empty field */
                "heat_dose=",
        };
        struct fixture *f = *state;
        struct heat_dose_record got[_CHAIR_HEAT_ZONE_MAX];
        struct state_store *st;
        char text[256];

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                snprintf(text, sizeof text, "precautions=pregnancy\n%s\n", bad[i]);
                write_file(f->dir, "settings", text);
                assert_int_equal(state_store_open(f->dir, &st), 0);
                if (state_store_load_heat_dose(st, got) != -EBADMSG)
                        fail_msg("%s read as readable", bad[i]);
                assert_false(state_store_precautions_unreadable(st));
                state_store_close(st);
                assert_true(count_files(f->dir, "settings.corrupt-") >= 1);   /* named by the second */
        }
        /* Twice, each valid: which one? */
        write_file(f->dir, "settings", "precautions=\nheat_dose=lumbar,1,1,0\nheat_dose=lumbar,2,2,0\n");
        assert_int_equal(state_store_open(f->dir, &st), 0);
        assert_int_equal(state_store_load_heat_dose(st, got), -EBADMSG);
        state_store_close(st);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_settings_round_trip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_history_round_trip_and_rating, setup, teardown),
                cmocka_unit_test_setup_teardown(test_history_is_bounded, setup, teardown),
                cmocka_unit_test_setup_teardown(test_faults_round_trip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_corrupt_history_keeps_readable_lines, setup, teardown),
                cmocka_unit_test_setup_teardown(test_corrupt_settings_and_faults, setup, teardown),
                cmocka_unit_test_setup_teardown(test_torn_temporary_file, setup, teardown),
                cmocka_unit_test_setup_teardown(test_state_dir_created, setup, teardown),
                cmocka_unit_test_setup_teardown(test_not_regular_files_moved_aside, setup, teardown),
                cmocka_unit_test_setup_teardown(test_invalid_utf8_replaced, setup, teardown),
                cmocka_unit_test_setup_teardown(test_numbers_do_not_wrap, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_does_not_follow_links, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refused_precautions_leave_the_stored_ones, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unreadable_precautions_line_fails_closed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_heat_dose_round_trip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_heat_dose_corrupt_line, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
