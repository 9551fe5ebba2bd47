/* SPDX-License-Identifier: MIT */
/*
 * The one number parser for files and arguments. Integers are base 10 only: "010" is ten (a
 * leading zero never means octal), "0x10" is refused, and a value that does not fit is refused
 * instead of wrapping ("4294967297" is never 1). Floats are plain decimal: no hex forms, no
 * nan, no inf, nothing that overflows to them. No leading or trailing blanks anywhere.
 *
 * Each returns 0, -EINVAL for a string that is not such a number, or -ERANGE for a number
 * outside min..max.
 */
#pragma once

#include <stdint.h>

int parse_integer(const char *s, long long min, long long max, long long *ret);
/* No sign at all: "-1" is -EINVAL. */
int parse_unsigned(const char *s, unsigned long long max, unsigned long long *ret);
int parse_decimal(const char *s, double min, double max, double *ret);
