/* SPDX-License-Identifier: MIT */
/* svg_escape (tools/chairctl/svg.h), which every text of chairctl's pictures goes through: the
 * XML specials escaped, control characters as '?', and each byte that is not UTF-8 (a stray
 * continuation, a sequence cut short as "%.20s" cuts it, an overlong form, a surrogate, above
 * U+10FFFF) and the XML non-characters U+FFFE/U+FFFF as U+FFFD, so the picture is always
 * well-formed; valid text of any length is kept as it is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "svg.h"

#define FFFD "\xef\xbf\xbd"

static char *escaped(const char *s) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        assert_non_null(f);
        svg_escape(f, s);
        assert_int_equal(fclose(f), 0);
        return buf;
}

static void check(const char *in, const char *want) {
        char *got = escaped(in);
        if (strcmp(got, want) != 0)
                print_error("'%s' escaped to '%s', not '%s'\n", in, got, want);
        assert_string_equal(got, want);
        free(got);
}

static void test_specials_and_controls(void **state) {
        check("a <b> & \"c\"", "a &lt;b&gt; &amp; &quot;c&quot;");
        check("x\x1b[2Jy\x7f", "x?[2Jy?");
        check("", "");
}

static void test_valid_utf8_kept(void **state) {
        check("caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x92\x86", "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x92\x86");
        check("\xef\xbf\xbd", FFFD);          /* U+FFFD itself */
        check("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
}

static void test_invalid_bytes_replaced(void **state) {
        check("a\x80" "b", "a" FFFD "b");                      /* a stray continuation */
        check("c\xe2\x82", "c" FFFD FFFD);                   /* cut short at the end */
        check("c\xe2\x82<", "c" FFFD FFFD "&lt;");          /* cut short before more */
        check("d\xc0\xaf" "e", "d" FFFD FFFD "e");             /* an overlong '/' */
        check("\xe0\x80\xaf", FFFD FFFD FFFD);               /* overlong, three bytes */
        check("f\xed\xa0\x80g", "f" FFFD FFFD FFFD "g");     /* a surrogate */
        check("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);      /* above U+10FFFF */
        check("\xf5\xff\xfe", FFFD FFFD FFFD);
        check("h\xef\xbf\xbfi\xef\xbf\xbe", "h" FFFD "i" FFFD); /* U+FFFF, U+FFFE: no XML characters */
}

/* Any text, cut anywhere, escapes to valid UTF-8. */
static void test_every_cut_well_formed(void **state) {
        const char *text = "Ann \xc3\xa9\xe2\x86\x92\xf0\x9f\x92\x86 <&>";
        char cut[64];

        for (size_t n = 0; n <= strlen(text); n++) {
                char *got;
                size_t len;
                snprintf(cut, sizeof cut, "%.*s", (int) n, text);
                got = escaped(cut);
                len = strlen(got);
                for (size_t i = 0; i < len;) {
                        unsigned char c = (unsigned char) got[i];
                        size_t k = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
                        assert_true(c < 0x80 || (c >= 0xc2 && c <= 0xf4));
                        assert_true(i + k <= len);
                        for (size_t j = 1; j < k; j++)
                                assert_int_equal((unsigned char) got[i + j] & 0xc0, 0x80);
                        i += k;
                }
                free(got);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_specials_and_controls),
                cmocka_unit_test(test_valid_utf8_kept),
                cmocka_unit_test(test_invalid_bytes_replaced),
                cmocka_unit_test(test_every_cut_well_formed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
