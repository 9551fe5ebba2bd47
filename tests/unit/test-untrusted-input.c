/* SPDX-License-Identifier: MIT */
/* The one number parser (base 10, overflow, no hex/nan/inf), the one reader of untrusted files
 * (regular files only, bounded, never blocking, NUL and UTF-8 checked), and atomic writes that
 * never follow a planted link. */
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

#include "atomic-file.h"
#include "parse-number.h"
#include "untrusted-file.h"

static char dir[] = "/tmp/test-untrusted-XXXXXX";

static void put(const char *name, const char *text, size_t len) {
        char p[256];
        FILE *f;
        snprintf(p, sizeof p, "%s/%s", dir, name);
        f = fopen(p, "w");
        assert_non_null(f);
        assert_int_equal(fwrite(text, 1, len, f), len);
        fclose(f);
}

static void test_integers(void **state) {
        long long x;
        unsigned long long u;

        assert_int_equal(parse_integer("010", 0, 100, &x), 0);
        assert_int_equal(x, 10); /* never octal */
        assert_int_equal(parse_integer("-5", -10, 10, &x), 0);
        assert_int_equal(x, -5);
        assert_int_equal(parse_integer("+5", -10, 10, &x), 0);
        assert_int_equal(parse_integer("0x10", 0, 100, &x), -EINVAL);
        assert_int_equal(parse_integer("4294967297", 0, UINT32_MAX, &x), -ERANGE);
        assert_int_equal(parse_integer("99999999999999999999", 0, INT64_MAX, &x), -ERANGE);
        assert_int_equal(parse_integer(" 1", 0, 10, &x), -EINVAL);
        assert_int_equal(parse_integer("1 ", 0, 10, &x), -EINVAL);
        assert_int_equal(parse_integer("", 0, 10, &x), -EINVAL);
        assert_int_equal(parse_integer("-", 0, 10, &x), -EINVAL);
        assert_int_equal(parse_integer("1e3", 0, 10000, &x), -EINVAL);
        assert_int_equal(parse_integer("11", 0, 10, &x), -ERANGE);
        assert_int_equal(parse_unsigned("18446744073709551615", UINT64_MAX, &u), 0);
        assert_true(u == UINT64_MAX);
        assert_int_equal(parse_unsigned("18446744073709551616", UINT64_MAX, &u), -ERANGE);
        assert_int_equal(parse_unsigned("-1", UINT64_MAX, &u), -EINVAL);
        assert_int_equal(parse_unsigned("+1", UINT64_MAX, &u), -EINVAL);
}

static void test_decimals(void **state) {
        double d;

        assert_int_equal(parse_decimal("0.5", 0, 1, &d), 0);
        assert_true(d == 0.5);
        assert_int_equal(parse_decimal("-.25", -1, 1, &d), 0);
        assert_true(d == -0.25);
        assert_int_equal(parse_decimal("1e-3", 0, 1, &d), 0);
        assert_int_equal(parse_decimal("5.", 0, 10, &d), 0);
        assert_int_equal(parse_decimal("0x1p3", 0, 100, &d), -EINVAL);
        assert_int_equal(parse_decimal("nan", -1e9, 1e9, &d), -EINVAL);
        assert_int_equal(parse_decimal("inf", -1e9, 1e9, &d), -EINVAL);
        assert_int_equal(parse_decimal("-infinity", -1e9, 1e9, &d), -EINVAL);
        assert_int_equal(parse_decimal("1e999", -1e9, 1e9, &d), -ERANGE);
        assert_int_equal(parse_decimal(".", 0, 1, &d), -EINVAL);
        assert_int_equal(parse_decimal("1e", 0, 1, &d), -EINVAL);
        assert_int_equal(parse_decimal(" 1", 0, 1, &d), -EINVAL);
        assert_int_equal(parse_decimal("2", 0, 1, &d), -ERANGE);
}

static void test_utf8(void **state) {
        unsigned line;
        const char *what;
        char s[] = "ok \xc3\xa9 bad \xff\xfe end \xed\xa0\x80";

        assert_int_equal(text_check("a\nb\n\xc2\xb0\n", 7, &line, &what), 0);
        assert_int_equal(text_check("a\nb\n\xc0\xaf\n", 7, &line, &what), -EILSEQ); /* overlong '/' */
        assert_int_equal(line, 3);
        assert_string_equal(what, "invalid UTF-8");
        assert_int_equal(text_check("a\n\0b", 4, &line, &what), -EILSEQ);
        assert_int_equal(line, 2);
        assert_string_equal(what, "a NUL byte");
        assert_false(utf8_valid(s, strlen(s)));
        utf8_sanitize(s);
        assert_true(utf8_valid(s, strlen(s)));
        assert_string_equal(s, "ok \xc3\xa9 bad ?? end ???");
}

static void test_read_refusals(void **state) {
        char p[256], link[256], err[512], *text = NULL;
        size_t len;
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        assert_true(dfd >= 0);
        put("ok.ini", "[a]\nb = c\n", 10);
        assert_int_equal(read_untrusted_file(dfd, "ok.ini", "ok.ini", 10, UNTRUSTED_TEXT, &text, &len, err, sizeof err), 0);
        assert_int_equal(len, 10);
        assert_string_equal(text, "[a]\nb = c\n");
        free(text);
        /* The size bound is exact. */
        assert_int_equal(read_untrusted_file(dfd, "ok.ini", "ok.ini", 9, 0, &text, &len, err, sizeof err), -EFBIG);
        assert_non_null(strstr(err, "ok.ini: refused: 10 bytes"));
        /* A FIFO is refused at once, never opened for a read that would wait for a writer. */
        snprintf(p, sizeof p, "%s/fifo.ini", dir);
        assert_int_equal(mkfifo(p, 0644), 0);
        assert_int_equal(read_untrusted_file(dfd, "fifo.ini", "fifo.ini", 1000, 0, &text, &len, err, sizeof err), -EBADFD);
        assert_non_null(strstr(err, "a FIFO"));
        /* A link to /dev/zero: with NOFOLLOW the link is refused, without it the device is. */
        snprintf(link, sizeof link, "%s/zero.ini", dir);
        assert_int_equal(symlink("/dev/zero", link), 0);
        assert_int_equal(read_untrusted_file(dfd, "zero.ini", "zero.ini", 1000, UNTRUSTED_NOFOLLOW, &text, &len, err,
                                             sizeof err), -ELOOP);
        assert_int_equal(read_untrusted_file(AT_FDCWD, link, link, 1000, 0, &text, &len, err, sizeof err), -EBADFD);
        assert_non_null(strstr(err, "a character device"));
        assert_int_equal(read_untrusted_file(AT_FDCWD, "/tmp", "/tmp", 1000, 0, &text, &len, err, sizeof err), -EISDIR);
        assert_int_equal(read_untrusted_file(dfd, "none.ini", "none.ini", 1000, 0, &text, &len, err, sizeof err), -ENOENT);
        /* Text: NUL and invalid UTF-8 with the line. */
        put("nul.ini", "a\nb\n\0", 5);
        assert_int_equal(read_untrusted_file(dfd, "nul.ini", "nul.ini", 100, UNTRUSTED_TEXT, &text, &len, err, sizeof err),
                         -EILSEQ);
        assert_string_equal(err, "nul.ini:3: a NUL byte");
        /* Moved aside: the link itself, not its target. */
        assert_int_equal(move_aside_at(dfd, dir, "zero.ini", "test"), 0);
        assert_int_equal(faccessat(dfd, "zero.ini", F_OK, AT_SYMLINK_NOFOLLOW), -1);
        unlink(p);
        close(dfd);
}

static void test_atomic_write_no_follow(void **state) {
        char target[256], planted[256], buf[64] = "";
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct stat st;
        FILE *f;

        assert_true(dfd >= 0);
        /* A planted NAME.tmp link (the old temporary's name) and a link as NAME itself. */
        put("victim", "precious", 8);
        snprintf(target, sizeof target, "%s/victim", dir);
        snprintf(planted, sizeof planted, "%s/up.ini.tmp", dir);
        assert_int_equal(symlink(target, planted), 0);
        snprintf(planted, sizeof planted, "%s/up.ini", dir);
        assert_int_equal(symlink(target, planted), 0);
        assert_int_equal(write_file_atomic_at(dfd, "up.ini", "new", 3, 0644), 0);
        f = fopen(target, "r");
        assert_non_null(f);
        assert_non_null(fgets(buf, sizeof buf, f));
        fclose(f);
        assert_string_equal(buf, "precious");
        /* up.ini is now a regular file of its own; the link was replaced, not followed. */
        assert_int_equal(fstatat(dfd, "up.ini", &st, AT_SYMLINK_NOFOLLOW), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_size, 3);
        assert_int_equal(write_file_atomic_at(dfd, "a/b", "x", 1, 0644), -EINVAL);
        /* The path form too. */
        snprintf(planted, sizeof planted, "%s/path.txt", dir);
        assert_int_equal(write_file_atomic(planted, "p", 1, 0600), 0);
        assert_int_equal(stat(planted, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        close(dfd);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_integers),      cmocka_unit_test(test_decimals),
                cmocka_unit_test(test_utf8),          cmocka_unit_test(test_read_refusals),
                cmocka_unit_test(test_atomic_write_no_follow),
        };
        char cmd[300];
        int r;

        if (!mkdtemp(dir))
                return 1;
        r = cmocka_run_group_tests(tests, NULL, NULL);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                r = r ? r : 1;
        return r;
}
