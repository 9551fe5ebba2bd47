/* SPDX-License-Identifier: MIT */
/* The few pieces chairctl's SVG pictures share (profile plot, report): plain SVG 1.1, no
 * scripts, every text escaped. */
#pragma once

#include <stdio.h>

/* The XML declaration, the <svg> element of W x H user units (with the same viewBox, sans-serif
 * text) and a white background, so it prints as it shows. */
void svg_begin(FILE *f, double w, double h);
void svg_end(FILE *f);
/* S as XML character data or an attribute value: <, >, & and " escaped, control characters
 * (which XML 1.0 cannot carry) written as '?', each byte that is not valid UTF-8 as U+FFFD, so
 * the picture is always well-formed. */
void svg_escape(FILE *f, const char *s);
/* A <text> at X,Y, ANCHOR start|middle|end, SIZE px, COLOUR, S escaped. */
void svg_text(FILE *f, double x, double y, const char *anchor, int size, const char *colour, const char *s);
