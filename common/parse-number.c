/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "parse-number.h"

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* An optional sign then digits only: strtoll alone would take blanks, "0x" (base 0) and more. */
static bool integer_syntax(const char *s, bool sign) {
        if (sign && (*s == '-' || *s == '+'))
                s++;
        if (!*s)
                return false;
        for (; *s; s++)
                if (!is_digit(*s))
                        return false;
        return true;
}

int parse_integer(const char *s, long long min, long long max, long long *ret) {
        char *end;
        long long x;

        if (!s || !integer_syntax(s, true))
                return -EINVAL;
        errno = 0;
        x = strtoll(s, &end, 10);
        if (*end)
                return -EINVAL;
        if (errno == ERANGE || x < min || x > max)
                return -ERANGE;
        *ret = x;
        return 0;
}

int parse_unsigned(const char *s, unsigned long long max, unsigned long long *ret) {
        char *end;
        unsigned long long x;

        if (!s || !integer_syntax(s, false))
                return -EINVAL;
        errno = 0;
        x = strtoull(s, &end, 10);
        if (*end)
                return -EINVAL;
        if (errno == ERANGE || x > max)
                return -ERANGE;
        *ret = x;
        return 0;
}

/* [sign] digits [. digits] [e [sign] digits], at least one digit before the exponent. */
static bool decimal_syntax(const char *s) {
        unsigned digits = 0;

        if (*s == '-' || *s == '+')
                s++;
        for (; is_digit(*s); s++)
                digits++;
        if (*s == '.')
                for (s++; is_digit(*s); s++)
                        digits++;
        if (!digits)
                return false;
        if (*s == 'e' || *s == 'E') {
                s++;
                if (*s == '-' || *s == '+')
                        s++;
                if (!is_digit(*s))
                        return false;
                while (is_digit(*s))
                        s++;
        }
        return *s == 0;
}

int parse_decimal(const char *s, double min, double max, double *ret) {
        char *end;
        double x;

        if (!s || !decimal_syntax(s))
                return -EINVAL;
        errno = 0;
        x = strtod(s, &end);
        if (*end)
                return -EINVAL;
        if (!isfinite(x) || x < min || x > max)
                return -ERANGE;
        *ret = x;
        return 0;
}
